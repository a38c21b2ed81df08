//! The download prompt and the transfers panel: a bar per transfer with files, bytes, speed
//! and time left.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Gauge, Paragraph};

use super::{format, overlay, theme};
use crate::app::App;
use crate::app::transfers::{DownloadPrompt, Transfer, TransferState, TransfersPanel, describe};
use crate::duration::Countdown;
use crate::escape::untrusted;
use crate::transfer::FileProgress;

pub fn render_prompt(prompt: &DownloadPrompt, frame: &mut Frame, area: Rect) {
    let what = prompt.what.iter().map(|w| describe(&prompt.bucket, w)).collect::<Vec<_>>().join(", ");
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

/// Rows a transfer takes: its label, total bar and status, then a bar per file in flight.
fn rows_of(t: &Transfer) -> usize {
    3 + t.files.len()
}

pub fn render_panel(app: &App, panel: &TransfersPanel, frame: &mut Frame, area: Rect) {
    let wanted: usize = app.transfers.iter().map(rows_of).sum::<usize>().max(1);
    let rows = u16::try_from(wanted).unwrap_or(u16::MAX);
    let area = overlay::centered(area, area.width.saturating_sub(4), rows.saturating_add(2));
    let block = overlay::block(" transfers ", "↑↓ choose · c cancel · Esc close");
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.transfers.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("No transfers yet: D downloads, u uploads.", theme::hint())),
            inner,
        );
        return;
    }
    // When they don't all fit, the chosen one and those after it are shown.
    let fits = |from: usize| {
        app.transfers[from..=panel.cursor].iter().map(rows_of).sum::<usize>() <= usize::from(inner.height)
    };
    let first = (0..=panel.cursor.min(app.transfers.len() - 1)).find(|&i| fits(i)).unwrap_or(panel.cursor);
    let width = usize::from(inner.width);
    let mut y = inner.y;
    for (i, t) in app.transfers.iter().enumerate().skip(first) {
        if y + 3 > inner.y + inner.height {
            break;
        }
        render_transfer(app, t, i == panel.cursor, frame, Rect { y, height: 3, ..inner });
        y += 3;
        for file in &t.files {
            if y >= inner.y + inner.height {
                break;
            }
            render_file(file, width, frame, Rect { y, height: 1, ..inner });
            y += 1;
        }
    }
}

fn render_transfer(app: &App, t: &Transfer, chosen: bool, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width);
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
    if chosen {
        label = label.style(theme::selected());
    }
    frame.render_widget(Paragraph::new(label), Rect { height: 1, ..area });
    let gauge = Gauge::default().ratio(ratio(p.bytes_done, p.bytes_total)).label(format!(
        "{} of {} · {} of {} file(s)",
        format::size(p.bytes_done),
        format::size(p.bytes_total),
        p.files_done,
        p.files_total
    ));
    frame.render_widget(gauge, Rect { y: area.y + 1, height: 1, ..area });
    frame.render_widget(
        Paragraph::new(Span::styled(format::fit(&untrusted(&status), width), style)),
        Rect { y: area.y + 2, height: 1, ..area },
    );
}

/// One file in flight: its name, then a bar with its bytes.
fn render_file(file: &FileProgress, width: usize, frame: &mut Frame, area: Rect) {
    let name_width = (width / 2).saturating_sub(2);
    let name = format!("  {}", format::fit(&untrusted(&file.key), name_width));
    let name_cols = u16::try_from(name_width + 3).unwrap_or(area.width).min(area.width);
    frame.render_widget(Paragraph::new(Span::styled(name, theme::hint())), Rect { width: name_cols, ..area });
    let p = file.progress;
    let gauge = Gauge::default().ratio(ratio(p.bytes_done, p.bytes_total)).gauge_style(theme::hint()).label(format!(
        "{} of {}",
        format::size(p.bytes_done),
        format::size(p.bytes_total)
    ));
    let bar = Rect { x: area.x + name_cols, width: area.width - name_cols, ..area };
    frame.render_widget(gauge, bar);
}

fn ratio(done: u64, total: u64) -> f64 {
    if total == 0 { 0.0 } else { (done as f64 / total as f64).min(1.0) }
}
