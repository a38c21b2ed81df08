//! The bottom line: the filter being typed, or the last notice or error, and key hints.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{format, theme};
use crate::app::find::FindState;
use crate::app::{App, Mode};
use crate::escape::untrusted;
use crate::keymap::Action;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width);
    let left = match (&app.mode, &app.notice) {
        (Mode::Filter, _) => Line::from(vec![
            Span::styled("/", theme::header()),
            Span::raw(untrusted(&app.listing.filter).into_owned()),
            Span::styled("▏", theme::hint()),
            Span::styled("  Enter keep · Esc clear", theme::hint()),
        ]),
        (Mode::FindPrompt(prompt), _) => Line::from(vec![
            Span::styled(
                format!("find under s3://{}/{}: ", untrusted(&prompt.bucket), untrusted(&prompt.prefix)),
                theme::header(),
            ),
            Span::raw(untrusted(&prompt.text).into_owned()),
            Span::styled("▏", theme::hint()),
            Span::styled("  Enter find · Esc cancel", theme::hint()),
        ]),
        (_, Some(notice)) => Line::from(Span::styled(
            format::fit(&untrusted(&notice.text), width),
            if notice.error { theme::error() } else { ratatui::style::Style::new() },
        )),
        (Mode::Find(view), None) => {
            let key = |action| app.keymap.keys(action).first().map(ToString::to_string).unwrap_or_default();
            let esc = if view.state == FindState::Searching { "stop" } else { "back" };
            let hint = format!(
                "{} go to the object · {} {esc} · {} find again",
                key(Action::Open),
                key(Action::Cancel),
                key(Action::Find)
            );
            Line::from(Span::styled(hint, theme::hint()))
        }
        (_, None) => Line::default(),
    };
    // Hints fill what the message leaves, whole ones only, most useful first.
    let room = width.saturating_sub(left.width() + 2);
    let mut hints = String::new();
    // The results of a find take no filter or sort.
    let actions: &[Action] = match app.mode {
        Mode::Find(_) => &[Action::Help, Action::Focus, Action::Quit],
        _ => &[Action::Help, Action::Filter, Action::Sort, Action::Focus, Action::Quit],
    };
    for &action in actions {
        let hint = format!("{} {}", app.keymap.describe(action), action.name());
        let needed = hint.chars().count() + if hints.is_empty() { 0 } else { 2 };
        if hints.chars().count() + needed > room {
            break;
        }
        if !hints.is_empty() {
            hints.push_str("  ");
        }
        hints.push_str(&hint);
    }
    let hint_width = u16::try_from(hints.chars().count()).unwrap_or(0);
    let [left_area, right_area] = Layout::horizontal([Constraint::Min(0), Constraint::Length(hint_width)]).areas(area);
    frame.render_widget(Paragraph::new(left), left_area);
    frame.render_widget(Paragraph::new(Line::from(Span::styled(hints, theme::hint()))), right_area);
}
