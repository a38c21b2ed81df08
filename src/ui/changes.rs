//! The delete confirmation (what will go, and for a prefix the name to type) and the upload
//! prompt.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{format, overlay, theme};
use crate::app::changes::{DeleteConfirm, UploadPrompt};
use crate::escape::untrusted;
use crate::worker::DeleteWhat;

/// Keys listed in the confirmation before "and N more".
const LISTED: usize = 10;

pub fn render_confirm(confirm: &DeleteConfirm, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width.saturating_sub(6)).min(96);
    let mut lines = Vec::new();
    let keys = match &confirm.what {
        DeleteWhat::Keys(keys) => {
            lines.push(Line::from(Span::styled(
                format!(
                    "Delete {} from s3://{}:",
                    format::plural(keys.len(), "object", "objects"),
                    untrusted(&confirm.bucket)
                ),
                theme::header(),
            )));
            keys.as_slice()
        }
        DeleteWhat::Prefix(prefix) => {
            lines.push(Line::from(Span::styled(
                format!("Delete EVERY object under s3://{}/{}", untrusted(&confirm.bucket), untrusted(prefix)),
                theme::error(),
            )));
            lines.push(Line::from(format!("Type the prefix to confirm: {}", untrusted(prefix))));
            lines.push(Line::from(vec![
                Span::raw("> "),
                Span::styled(format!("{}▏", untrusted(&confirm.typed)), theme::selected()),
            ]));
            &[]
        }
    };
    for key in keys.iter().take(LISTED) {
        lines.push(Line::from(format!("  {}", format::fit(&untrusted(key), width.saturating_sub(2)))));
    }
    if keys.len() > LISTED {
        lines.push(Line::from(Span::styled(format!("  and {} more", keys.len() - LISTED), theme::hint())));
    }
    let hint = if confirm.confirmed() { "Enter delete · Esc keep" } else { "type the prefix · Esc keep" };
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_add(2);
    let popup = overlay::centered(area, 100, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(overlay::block(" delete ", hint)), popup);
}

pub fn render_upload(prompt: &UploadPrompt, frame: &mut Frame, area: Rect) {
    let lines = vec![
        Line::from(vec![
            Span::styled("upload  ", theme::label()),
            Span::styled(format!("{}▏", untrusted(&prompt.path)), theme::selected()),
        ]),
        Line::from(vec![
            Span::styled("into    ", theme::label()),
            Span::raw(format!("s3://{}/{}", untrusted(&prompt.bucket), untrusted(&prompt.prefix))),
        ]),
        Line::from(Span::styled("a file, or a folder (uploaded with everything in it)", theme::hint())),
    ];
    let popup = overlay::centered(area, 100, 5);
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(overlay::block(" upload ", "Enter start · Esc cancel")), popup);
}
