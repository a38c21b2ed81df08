//! The identity picker overlay: query line, then each identity with its kind, chain, whether
//! it needs MFA, and the time left on sessions already started in this run.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{format, overlay, theme};
use crate::app::picker::{NEW_ROWS, Picker};
use crate::app::session::{level, remaining};
use crate::app::{App, IdentityChoice};
use crate::duration::Countdown;
use crate::escape::untrusted;

fn status(app: &App, choice: &IdentityChoice) -> Span<'static> {
    match app.sessions.get(&choice.name) {
        Some(info) => match info.expires_at {
            Some(at) => {
                let state = level(Some(at), app.now, app.thresholds);
                match remaining(at, app.now) {
                    Some(left) => Span::styled(format!("{:>9}", Countdown(left).to_string()), theme::state(state)),
                    None => Span::styled(format!("{:>9}", "expired"), theme::state(state)),
                }
            }
            None => Span::styled(format!("{:>9}", "running"), theme::label()),
        },
        None if choice.mfa => Span::styled(format!("{:>9}", "MFA"), theme::hint()),
        None => Span::raw(" ".repeat(9)),
    }
}

fn identity_line(app: &App, choice: &IdentityChoice, width: usize) -> Line<'static> {
    let active = choice.name == app.session.identity;
    let name = format!("{}{:<16}", if active { "● " } else { "  " }, untrusted(&choice.name));
    let kind = format!(" {:<14}", choice.kind);
    let used = name.chars().count() + kind.chars().count() + 9 + 2;
    Line::from(vec![
        Span::styled(name, theme::header()),
        Span::styled(kind, theme::label()),
        status(app, choice),
        Span::raw("  "),
        Span::raw(format::fit(&untrusted(&choice.chain), width.saturating_sub(used))),
    ])
}

pub fn render(app: &App, picker: &Picker, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(4).min(100);
    let entries = picker.matches.len() + NEW_ROWS.len();
    let height = area.height.saturating_sub(2).min(u16::try_from(entries).unwrap_or(u16::MAX) + 4);
    let popup = overlay::centered(area, width, height.max(5));
    let inner_width = usize::from(popup.width.saturating_sub(2));
    // Identities, then the "new identity" rows: one list, scrolled to keep the cursor in view.
    let rows = usize::from(popup.height.saturating_sub(4));
    let first = picker.cursor.saturating_sub(rows.saturating_sub(1));
    let mut lines = vec![
        Line::from(vec![
            Span::styled("> ", theme::header()),
            Span::raw(untrusted(&picker.query).into_owned()),
            Span::styled("▏", theme::hint()),
        ]),
        Line::from(Span::styled(format!("{} of {}", picker.matches.len(), app.identities.len()), theme::hint())),
    ];
    for row in (first..entries).take(rows) {
        let mut line = match picker.matches.get(row) {
            Some(&index) => identity_line(app, &app.identities[index], inner_width),
            None => {
                let (_, label) = NEW_ROWS[row - picker.matches.len()];
                Line::from(Span::styled(format!("  {label}"), theme::container()))
            }
        };
        if row == picker.cursor {
            line = line.style(theme::selected());
        }
        lines.push(line);
    }
    let block = overlay::block(" switch identity ", "type to filter · Enter switch · Esc close");
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
