//! The table both listing panes draw, the browser and a find's results: the object columns,
//! the header and highlight styles, and the message shown where rows would be.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::theme;

/// The header and widths of an object listing: `first` (what the key column is called), then
/// size and last modified.
pub fn object_columns(first: &'static str) -> (Vec<Cell<'static>>, Vec<Constraint>) {
    let header = vec![Cell::from(first), Cell::from(Line::from("SIZE").right_aligned()), Cell::from("LAST MODIFIED")];
    (header, vec![Constraint::Min(20), Constraint::Length(10), Constraint::Length(19)])
}

/// A listing pane's table: `rows` are the ones on screen, `selected` is the cursor's place
/// among them, and `empty` is shown below the header when there is nothing to list.
pub struct Listing<'a> {
    pub block: Block<'a>,
    pub header: Row<'a>,
    pub widths: Vec<Constraint>,
    pub rows: Vec<Row<'a>>,
    pub selected: usize,
    pub focused: bool,
    pub empty: Option<(String, Style)>,
}

pub fn render(listing: Listing<'_>, frame: &mut Frame, area: Rect) {
    let has_rows = !listing.rows.is_empty();
    let table = Table::new(listing.rows, listing.widths)
        .header(listing.header.style(theme::header()))
        .block(listing.block)
        .row_highlight_style(if listing.focused { theme::selected() } else { theme::header() });
    let mut state = TableState::default().with_selected(has_rows.then_some(listing.selected));
    frame.render_stateful_widget(table, area, &mut state);
    if let Some((text, style)) = listing.empty {
        // Below the column header, inside the borders.
        let body = Rect {
            x: area.x + 1,
            y: area.y + 2,
            width: area.width.saturating_sub(2),
            height: area.height.saturating_sub(3),
        };
        frame.render_widget(Paragraph::new(text).style(style).wrap(Wrap { trim: true }), body);
    }
}
