//! The `?` overlay: every binding, from the keymap actually in force.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{overlay, theme};
use crate::app::App;
use crate::keymap::Action;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let lines: Vec<Line> = Action::ALL
        .iter()
        .map(|action| {
            Line::from(vec![
                Span::styled(format!("{:<18}", app.keymap.describe(*action)), theme::header()),
                Span::raw(action.description()),
            ])
        })
        .collect();
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_add(2).min(area.height);
    let width = 68.min(area.width);
    let popup = overlay::centered(area, width, height);
    let block = overlay::block(" keys ", "? or Esc closes");
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
