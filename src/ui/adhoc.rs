//! The form for an identity made on the spot: one line per field, its problem underneath as
//! it is typed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{format, overlay, theme};
use crate::app::App;
use crate::app::adhoc::{AdHocForm, Context, Field};
use crate::escape::untrusted;

pub fn render(app: &App, form: &AdHocForm, frame: &mut Frame, area: Rect) {
    let ctx = Context { identities: &app.identities, allow_short: app.allow_short_durations };
    let width = area.width.saturating_sub(4).min(110);
    let inner = usize::from(width.saturating_sub(2));
    let focused = form.focused();
    let mut lines = Vec::new();
    for field in form.fields() {
        let here = field == focused;
        let value = match field {
            Field::Policy => format!("◀ {} ▶", form.policy.label()),
            Field::Save => (if form.save { "[x] append to the config file" } else { "[ ] this run only" }).to_string(),
            _ => untrusted(form.value(field)).into_owned(),
        };
        let cursor = if here && !matches!(field, Field::Policy | Field::Save) { "▏" } else { "" };
        let mut line = Line::from(vec![
            Span::styled(format!("{:<15}", field.label()), if here { theme::header() } else { theme::label() }),
            Span::raw(format::fit(&format!("{value}{cursor}"), inner.saturating_sub(15))),
        ]);
        if here {
            line = line.style(theme::selected());
        }
        lines.push(line);
        if (here || form.show_all_errors)
            && let Some(error) = form.error(field, &ctx)
        {
            for part in format::wrap(&untrusted(&error), inner.saturating_sub(15)) {
                lines.push(Line::from(Span::styled(format!("{:15}{part}", ""), theme::error())));
            }
        }
    }
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_add(2).min(area.height);
    let popup = overlay::centered(area, width, height);
    let block = overlay::block(
        format!(" new identity: {} ", form.title()),
        "↑↓ field · ←→ policy · Space save · Enter create · Esc back",
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
