//! The bottom line: the filter being typed, or the last notice or error, and key hints.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::app::{App, Mode};
use crate::escape::untrusted;
use crate::keymap::Action;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let left = match (&app.mode, &app.notice) {
        (Mode::Filter, _) => Line::from(vec![
            Span::styled("/", theme::header()),
            Span::raw(untrusted(&app.listing.filter).into_owned()),
            Span::styled("▏", theme::hint()),
            Span::styled("  Enter keep · Esc clear", theme::hint()),
        ]),
        (_, Some(notice)) => Line::from(Span::styled(
            untrusted(&notice.text).into_owned(),
            if notice.error { theme::error() } else { ratatui::style::Style::new() },
        )),
        (_, None) => Line::default(),
    };
    let hints: Vec<String> = [Action::Help, Action::Filter, Action::Sort, Action::Focus, Action::Quit]
        .iter()
        .map(|a| format!("{} {}", app.keymap.describe(*a), a.name()))
        .collect();
    let hints = Line::from(Span::styled(hints.join("  "), theme::hint())).right_aligned();
    let hint_width = u16::try_from(hints.width()).unwrap_or(u16::MAX).min(area.width / 2);
    let [left_area, right_area] = Layout::horizontal([Constraint::Min(0), Constraint::Length(hint_width)]).areas(area);
    frame.render_widget(Paragraph::new(left), left_area);
    frame.render_widget(Paragraph::new(hints), right_area);
}
