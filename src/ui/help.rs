//! The `?` overlay: every binding, from the keymap actually in force.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme;
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
    let [vertical] = Layout::vertical([Constraint::Length(height)]).flex(Flex::Center).areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)]).flex(Flex::Center).areas(vertical);
    let block = Block::bordered()
        .title(" keys ")
        .title_bottom(Line::from(Span::styled(" ? or Esc closes ", theme::hint())).right_aligned())
        .border_style(theme::border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
