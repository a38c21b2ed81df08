//! Where each pane goes. `update` uses the same arithmetic to know how many rows a page is.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::Focus;
use crate::keymap::Action;

/// The smallest terminal the layout is designed for; below it a message is shown instead.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

pub struct Areas {
    pub session: Rect,
    pub browser: Rect,
    pub status: Rect,
}

/// The session pane grows to show every detail when it has the focus.
fn session_height(height: u16, focus: Focus) -> u16 {
    match focus {
        Focus::Browser => 5,
        Focus::Session => (height / 2).clamp(5, 10),
    }
}

pub fn areas(area: Rect, focus: Focus) -> Areas {
    let [session, browser, status] = Layout::vertical([
        Constraint::Length(session_height(area.height, focus)),
        Constraint::Min(4),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas { session, browser, status }
}

pub fn too_small(width: u16, height: u16) -> bool {
    width < MIN_WIDTH || height < MIN_HEIGHT
}

/// Entry rows in the browser: its height less the borders (the footer sits on the bottom one)
/// and the column header.
pub fn list_rows(width: u16, height: u16, focus: Focus) -> usize {
    if too_small(width, height) {
        return 1;
    }
    let browser = areas(Rect::new(0, 0, width, height), focus).browser;
    usize::from(browser.height.saturating_sub(3)).max(1)
}

/// Bindings the help overlay shows at once: all of them while they fit between its borders,
/// else as many rows as the terminal leaves inside them.
pub fn help_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(2)).clamp(1, Action::ALL.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_fit_the_smallest_and_largest_screens() {
        assert_eq!(list_rows(60, 15, Focus::Browser), 6);
        assert_eq!(list_rows(200, 60, Focus::Browser), 51);
        assert_eq!(list_rows(200, 60, Focus::Session), 46);
        assert_eq!(list_rows(10, 3, Focus::Browser), 1, "too small still gives a usable page size");
    }

    #[test]
    fn help_shows_every_binding_once_they_fit_between_the_borders() {
        let all = Action::ALL.len();
        assert_eq!(help_rows(24), 22);
        assert_eq!(help_rows(u16::try_from(all).unwrap() + 1), all - 1);
        assert_eq!(help_rows(u16::try_from(all).unwrap() + 2), all);
        assert_eq!(help_rows(200), all);
        assert_eq!(help_rows(0), 1, "a page is never empty, so paging always moves");
    }
}
