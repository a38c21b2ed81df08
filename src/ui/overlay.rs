//! What every overlay (help, picker, forms, prompts, details, transfers) shares: a centred
//! box, its title, and the keys it takes shown on its bottom border.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::theme;

/// A `width`x`height` box in the middle of `area`, shrunk to fit it.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [vertical] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(vertical);
    popup
}

/// The overlay's frame: `title` on top, `keys` (what it takes) bottom right.
pub fn block<'a>(title: impl Into<Line<'a>>, keys: &str) -> Block<'a> {
    let block = Block::bordered().title(title).border_style(theme::border(true));
    if keys.is_empty() {
        return block;
    }
    block.title_bottom(Line::from(Span::styled(format!(" {keys} "), theme::hint())).right_aligned())
}
