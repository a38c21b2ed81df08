//! The download prompt and the transfers panel: a bar per transfer with files, bytes, speed
//! and time left.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Gauge, Paragraph};

use super::{format, overlay, theme};
use crate::app::App;
use crate::app::transfers::{DownloadPrompt, TransferState, TransfersPanel};
use crate::duration::Countdown;
use crate::escape::untrusted;
use crate::worker::DownloadWhat;

pub fn render_prompt(prompt: &DownloadPrompt, frame: &mut Frame, area: Rect) {
    let what = match prompt.what.as_slice() {
        [DownloadWhat::Object { key }] => format!("s3://{}/{key}", prompt.bucket),
        [DownloadWhat::Prefix { prefix }] => format!("s3://{}/{prefix} and everything below it", prompt.bucket),
        many => format!("{} marked objects from s3://{}", many.len(), prompt.bucket),
    };
    let lines = vec![
        Line::from(vec![Span::styled("download  ", theme::label()), Span::raw(untrusted(&what).into_owned())]),
        Line::from(vec![
            Span::styled("into      ", theme::label()),
            Span::styled(format!("{}▏", untrusted(&prompt.dir)), theme::selected()),
        ]),
        Line::from(vec![
            Span::styled("existing  ", theme::label()),
            Span::raw(if prompt.overwrite {
                "[x] replace existing files"
            } else {
                "[ ] never replace an existing file"
            }),
        ]),
    ];
    let area = overlay::centered(area, 100, 5);
    let block = overlay::block(" download ", "Enter start · Tab replace existing · Esc cancel");
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

pub fn render_panel(app: &App, panel: &TransfersPanel, frame: &mut Frame, area: Rect) {
    let rows = u16::try_from(app.transfers.len().max(1)).unwrap_or(u16::MAX).saturating_mul(3);
    let area = overlay::centered(area, area.width.saturating_sub(4), rows.saturating_add(2));
    let block = overlay::block(" transfers ", "↑↓ choose · c cancel · Esc close");
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.transfers.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("No downloads yet: D on an object or prefix.", theme::hint())),
            inner,
        );
        return;
    }
    let width = usize::from(inner.width);
    for (i, t) in app.transfers.iter().enumerate() {
        let y = inner.y + u16::try_from(i * 3).unwrap_or(u16::MAX);
        if y + 2 > inner.y + inner.height {
            break;
        }
        let p = &t.progress;
        let (rate, eta) = t.rate_and_eta(app.now);
        let status = match &t.state {
            TransferState::Running => match eta {
                Some(eta) => format!("{}/s · {} left", format::size(rate), Countdown(eta)),
                None => "starting…".to_string(),
            },
            TransferState::Cancelling => "cancelling…".to_string(),
            TransferState::Done(summary) if summary.problems.is_empty() => "done".to_string(),
            TransferState::Done(summary) => format!("done; {}", summary.problems.join("; ")),
            TransferState::Failed(error) => error.clone(),
        };
        let style = match &t.state {
            TransferState::Failed(_) => theme::error(),
            TransferState::Done(s) if !s.problems.is_empty() => theme::error(),
            _ => ratatui::style::Style::new(),
        };
        let mut label = Line::from(format::fit(&untrusted(&t.label), width));
        if i == panel.cursor {
            label = label.style(theme::selected());
        }
        frame.render_widget(Paragraph::new(label), Rect { y, height: 1, ..inner });
        let ratio = if p.bytes_total == 0 { 0.0 } else { (p.bytes_done as f64 / p.bytes_total as f64).min(1.0) };
        let gauge = Gauge::default().ratio(ratio).label(format!(
            "{} of {} · {} of {} file(s)",
            format::size(p.bytes_done),
            format::size(p.bytes_total),
            p.files_done,
            p.files_total
        ));
        frame.render_widget(gauge, Rect { y: y + 1, height: 1, ..inner });
        frame.render_widget(
            Paragraph::new(Span::styled(format::fit(&untrusted(&status), width), style)),
            Rect { y: y + 2, height: 1, ..inner },
        );
    }
}
