//! The MFA prompt: which device, dots for the digits typed (never the digits), and AWS's
//! answer to a wrong code.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{overlay, theme};
use crate::app::mfa::MfaPrompt;
use crate::escape::untrusted;

pub fn render(prompt: &MfaPrompt, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(4).min(72);
    let popup = overlay::centered(area, width, 9);
    let dots: String = (0..6).map(|i| if i < prompt.typed() { "● " } else { "· " }).collect();
    let mut lines = vec![
        Line::from(vec![
            Span::raw("identity "),
            Span::styled(untrusted(&prompt.identity).into_owned(), theme::header()),
        ]),
        Line::from(vec![Span::raw("device   "), Span::raw(untrusted(&prompt.serial).into_owned())]),
        Line::default(),
        Line::from(vec![Span::raw("code     "), Span::styled(dots, theme::header())]),
    ];
    match (&prompt.error, prompt.waiting) {
        (_, true) => lines.push(Line::from(Span::styled("checking with STS…", theme::hint()))),
        (Some(error), _) => lines.push(Line::from(Span::styled(untrusted(error).into_owned(), theme::error()))),
        (None, _) => lines.push(Line::from(Span::styled("6 digits, then Enter · Esc cancels", theme::hint()))),
    }
    let block = overlay::block(" MFA code ", "");
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), popup);
}
