//! The browser pane: breadcrumb, the visible slice of the listing, and a footer with progress.
//! Only the rows on screen are built, so a million-entry listing costs no more to draw than ten.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row};

use super::{format, table, theme};
use crate::app::listing::{Entry, LoadState, Location};
use crate::app::{App, Focus, Mode};
use crate::escape::untrusted;
use crate::timefmt;

fn footer(app: &App) -> Line<'static> {
    let l = &app.listing;
    let total = format::count(l.entries.len());
    let more = if l.is_loading() { "+" } else { "" };
    let position = format::count(if l.view.is_empty() { 0 } else { l.cursor + 1 });
    let mut parts = vec![Span::styled(format!("sort: {}", app.sort.label()), theme::hint())];
    if !l.filter.is_empty() || app.mode == Mode::Filter {
        parts.push(Span::styled(
            format!("filter: {} ({})", untrusted(&l.filter), format::plural(l.view.len(), "match", "matches")),
            theme::header(),
        ));
    }
    if !l.marks.is_empty() {
        parts.push(Span::styled(format!("{} marked", format::count(l.marks.len())), theme::header()));
    }
    parts.push(Span::raw(match &l.load {
        LoadState::Loading { .. } => format!("{position} of {total}{more} loading…"),
        LoadState::Stopped => format!("{position} of {total} (stopped)"),
        LoadState::Failed(_) => format!("{position} of {total} (failed)"),
        LoadState::AwaitingSession => format!("{position} of {total}+ waiting for the session"),
        _ if l.refresh.is_some() => format!("{position} of {total} refreshing…"),
        _ => format!("{position} of {total}"),
    }));
    let mut spans = vec![Span::raw(" ")];
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme::hint()));
        }
        spans.push(part);
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// What an empty pane says instead of showing nothing.
fn empty_message(app: &App) -> Option<(String, ratatui::style::Style)> {
    let l = &app.listing;
    if !l.view.is_empty() {
        return None;
    }
    match &l.load {
        LoadState::Failed(error) => {
            let hint = if l.denied { "\n\nEnter: go up to the nearest level this identity can list" } else { "" };
            let place = untrusted(&l.location.breadcrumb()).into_owned();
            Some((format!("Could not list {place}:\n{}{hint}", untrusted(error)), theme::error()))
        }
        LoadState::AwaitingSession => Some(("Waiting for the session (MFA code)…".to_string(), theme::hint())),
        LoadState::Loading { .. } => Some(("Listing…".to_string(), theme::hint())),
        _ if !l.filter.is_empty() => Some(("Nothing matches the filter (Esc clears it).".to_string(), theme::hint())),
        _ => Some(("Empty: no objects here.".to_string(), theme::hint())),
    }
}

fn bucket_row(entry: &Entry) -> Row<'static> {
    let Entry::Bucket(b) = entry else { return Row::default() };
    Row::new(vec![
        Cell::from(Span::styled(untrusted(&b.name).into_owned(), theme::container())),
        Cell::from(untrusted(b.region.as_deref().unwrap_or_default()).into_owned()),
        Cell::from(b.created.map(timefmt::listing).unwrap_or_default()),
    ])
}

fn prefix_row(entry: &Entry, base: &str, marked: bool) -> Row<'static> {
    let mark = if marked { "✓ " } else { "" };
    let name = format!("{mark}{}", untrusted(entry.name(base)));
    match entry {
        Entry::Object(o) => Row::new(vec![
            Cell::from(name),
            Cell::from(Line::from(format::size(o.size)).right_aligned()),
            Cell::from(o.last_modified().map(timefmt::listing).unwrap_or_default()),
            Cell::from(untrusted(o.storage_class().unwrap_or_default()).into_owned()),
        ]),
        _ => Row::new(vec![Cell::from(Span::styled(name, theme::container()))]),
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let l = &app.listing;
    let focused = app.focus == Focus::Browser;
    let title = Line::from(Span::styled(format!(" {} ", untrusted(&l.location.breadcrumb())), theme::header()));
    let block = Block::bordered().title(title).title_bottom(footer(app)).border_style(theme::border(focused));
    let rows = app.list_rows();
    let visible = l.view.iter().skip(l.offset).take(rows).map(|&i| &l.entries[i]);
    let (header, widths, body): (Row, Vec<Constraint>, Vec<Row>) = match &l.location {
        Location::Buckets => (
            Row::new(["NAME", "REGION", "CREATED"]),
            vec![Constraint::Min(20), Constraint::Length(14), Constraint::Length(19)],
            visible.map(bucket_row).collect(),
        ),
        Location::Prefix { .. } => {
            let wide = area.width >= 80;
            let (mut header, mut widths) = table::object_columns("NAME");
            if wide {
                widths.push(Constraint::Length(12));
                header.push(Cell::from("CLASS"));
            }
            (Row::new(header), widths, visible.map(|e| prefix_row(e, l.base(), l.marks.contains(e.key()))).collect())
        }
    };
    let listing = table::Listing {
        block,
        header,
        widths,
        rows: body,
        selected: l.cursor.saturating_sub(l.offset),
        focused,
        empty: empty_message(app),
    };
    table::render(listing, frame, area);
}
