//! The `?` overlay: every binding, scrolled when the terminal is too short to show them all.

use crossterm::event::KeyEvent;

use super::{App, Effect, Mode};
use crate::keymap::Action;
use crate::ui::layout;

/// How far the list of bindings is scrolled: the index of the first one shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HelpState {
    pub scroll: usize,
}

impl HelpState {
    /// The furthest the list scrolls at a terminal `height` rows tall: the last binding on the
    /// overlay's last row. 0 when every binding fits.
    pub fn max_scroll(height: u16) -> usize {
        Action::ALL.len() - layout::help_rows(height)
    }

    /// Keeps the window within the list at `height`, so that after a shrink or a long press of
    /// ↓ the first key back up moves the list at once instead of paying off an overshoot.
    pub fn clamp(&mut self, height: u16) {
        self.scroll = self.scroll.min(Self::max_scroll(height));
    }
}

impl App {
    pub(super) fn open_help(&mut self) {
        self.mode = Mode::Help(HelpState::default());
    }

    pub(super) fn on_help_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let rows = layout::help_rows(self.height);
        let action = self.keymap.action(&key);
        let Mode::Help(help) = &mut self.mode else { return Vec::new() };
        help.clamp(self.height);
        let scroll = help.scroll;
        help.scroll = match action {
            // Quit closes the overlay first, as every overlay does: q is too easy to press by
            // mistake while reading.
            Some(Action::Help | Action::Cancel | Action::Quit) => {
                self.mode = Mode::Normal;
                return Vec::new();
            }
            Some(Action::Up) => scroll.saturating_sub(1),
            Some(Action::Down) => scroll + 1,
            Some(Action::PageUp) => scroll.saturating_sub(rows),
            Some(Action::PageDown) => scroll + rows,
            Some(Action::Top) => 0,
            Some(Action::Bottom) => usize::MAX,
            _ => scroll,
        };
        help.clamp(self.height);
        Vec::new()
    }
}
