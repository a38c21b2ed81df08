//! A find's results in place of the browser pane: what is being looked for and where on the
//! top border, the matches (keys below the find's prefix), and how far it has got on the
//! bottom one. Only the rows on screen are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::{format, table, theme};
use crate::app::find::{FindState, FindView, MAX_MATCHES};
use crate::app::{App, Focus};
use crate::escape::untrusted;
use crate::s3::find::below;
use crate::timefmt;

/// `1,234 matches in 56,789 keys scanned · searching…`
fn progress(view: &FindView) -> Line<'static> {
    let matched = usize::try_from(view.matched).unwrap_or(usize::MAX);
    let scanned = usize::try_from(view.scanned).unwrap_or(usize::MAX);
    let kept = if view.capped() { format!(" (the first {} kept)", format::count(MAX_MATCHES)) } else { String::new() };
    let mut spans = vec![Span::raw(format!(
        " {}{kept} in {} scanned",
        format::plural(matched, "match", "matches"),
        format::plural(scanned, "key", "keys"),
    ))];
    spans.push(Span::styled(" · ", theme::hint()));
    spans.push(match &view.state {
        FindState::Searching => Span::raw("searching…"),
        FindState::Done => Span::raw("done"),
        FindState::Stopped => Span::raw("stopped"),
        FindState::Failed(error) => Span::styled(format!("failed: {}", untrusted(error)), theme::error()),
    });
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// What an empty result says instead of showing nothing.
fn empty_message(view: &FindView) -> (String, ratatui::style::Style) {
    let needle = untrusted(&view.needle);
    let location = untrusted(&view.location()).into_owned();
    match &view.state {
        FindState::Searching => ("Searching…".to_string(), theme::hint()),
        FindState::Done => (format!("No key below {location} contains \"{needle}\"."), theme::hint()),
        FindState::Stopped => ("Stopped before anything matched.".to_string(), theme::hint()),
        FindState::Failed(error) => (format!("Could not search {location}:\n{}", untrusted(error)), theme::error()),
    }
}

pub fn render(app: &App, view: &FindView, frame: &mut Frame, area: Rect) {
    let focused = app.focus == Focus::Browser;
    let title = format!(" find \"{}\" under {} ", untrusted(&view.needle), untrusted(&view.location()));
    let position = if view.matches.is_empty() {
        String::new()
    } else {
        format!(" {} of {} ", format::count(view.cursor + 1), format::count(view.matches.len()))
    };
    let block = Block::bordered()
        .title(Line::from(Span::styled(title, theme::header())))
        .title_bottom(progress(view))
        .title_bottom(Line::from(position).right_aligned())
        .border_style(theme::border(focused));
    let rows = app.list_rows();
    let body: Vec<Row> = view
        .matches
        .iter()
        .skip(view.offset)
        .take(rows)
        .map(|o| {
            Row::new(vec![
                Cell::from(untrusted(below(&o.key, &view.prefix)).into_owned()),
                Cell::from(Line::from(format::size(o.size)).right_aligned()),
                Cell::from(o.last_modified.map(timefmt::listing).unwrap_or_default()),
            ])
        })
        .collect();
    let empty = body.is_empty().then(|| empty_message(view));
    let (header, widths) = table::object_columns("KEY");
    let listing = table::Listing {
        block,
        header: Row::new(header),
        widths,
        rows: body,
        selected: view.cursor.saturating_sub(view.offset),
        focused,
        empty,
    };
    table::render(listing, frame, area);
}
