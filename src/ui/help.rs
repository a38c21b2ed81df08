//! The `?` overlay: every binding, from the keymap actually in force. On a terminal too short
//! for all of them it shows a window of the list and says which part, e.g. `6–27 of 27`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{layout, overlay, theme};
use crate::app::App;
use crate::app::help::HelpState;
use crate::keymap::Action;

pub fn render(app: &App, help: &HelpState, frame: &mut Frame, area: Rect) {
    let total = Action::ALL.len();
    let rows = layout::help_rows(area.height);
    // `update` clamps the scroll to the height it was last told; clamping again here keeps
    // the window inside the list whatever size this frame is actually drawn at.
    let first = help.scroll.min(total - rows);
    let lines: Vec<Line> = Action::ALL[first..first + rows]
        .iter()
        .map(|action| {
            Line::from(vec![
                Span::styled(format!("{:<18}", app.keymap.describe(*action)), theme::header()),
                Span::raw(action.description()),
            ])
        })
        .collect();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2).min(area.height);
    let width = 68.min(area.width);
    let popup = overlay::centered(area, width, height);
    let block = if rows < total {
        overlay::block(" keys ", "↑↓ PgUp PgDn scroll · ? or Esc closes")
            .title_bottom(Line::from(format!(" {}–{} of {total} ", first + 1, first + rows)).left_aligned())
    } else {
        overlay::block(" keys ", "? or Esc closes")
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
