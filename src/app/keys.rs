//! Keys: the keymap turns a key into an action in normal mode; the filter line takes text;
//! the help overlay scrolls and closes on help, cancel or quit.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{App, Effect, Focus, Mode};
use crate::keymap::Action;

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        match self.mode {
            Mode::Help(_) => self.on_help_key(key),
            Mode::Filter => self.on_filter_key(key),
            Mode::Picker(_) => self.on_picker_key(key),
            Mode::Mfa(_) => self.on_mfa_key(key),
            Mode::AdHoc(_) => self.on_adhoc_key(key),
            Mode::Details(_) | Mode::Preview(_) | Mode::Share(_) | Mode::Versions(_) => self.on_object_key(key),
            Mode::Download(_) => self.on_download_key(key),
            Mode::Transfers(_) => self.on_transfers_key(key),
            Mode::ConfirmDelete(_) => self.on_confirm_key(key),
            Mode::Upload(_) => self.on_upload_key(key),
            Mode::FindPrompt(_) => self.on_find_prompt_key(key),
            Mode::Find(_) => self.on_find_key(key),
            // Nothing is on screen to act on; only quitting makes sense.
            Mode::Normal if crate::ui::layout::too_small(self.width, self.height) => match self.keymap.action(&key) {
                Some(Action::Quit) => vec![Effect::Quit],
                _ => Vec::new(),
            },
            Mode::Normal => match self.keymap.action(&key) {
                Some(action) => self.on_action(action),
                None => Vec::new(),
            },
        }
    }

    fn on_filter_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let mut text = self.listing.filter.clone();
        match key.code {
            KeyCode::Char('c') if ctrl => return vec![Effect::Quit],
            KeyCode::Esc => {
                text.clear();
                self.mode = Mode::Normal;
            }
            KeyCode::Enter => self.mode = Mode::Normal,
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !ctrl => text.push(c),
            // Moving while typing, as in k9s: the arrows still move the cursor.
            KeyCode::Up => return self.move_cursor(-1),
            KeyCode::Down => return self.move_cursor(1),
            _ => return Vec::new(),
        }
        self.listing.set_filter(&text);
        self.listing.scroll_into_view(self.list_rows());
        Vec::new()
    }

    fn move_cursor(&mut self, delta: isize) -> Vec<Effect> {
        self.listing.move_by(delta);
        self.listing.scroll_into_view(self.list_rows());
        Vec::new()
    }

    fn on_action(&mut self, action: Action) -> Vec<Effect> {
        let page = self.list_rows().max(1) as isize;
        match action {
            Action::Quit => return vec![Effect::Quit],
            Action::Help => self.open_help(),
            Action::Identities => self.open_picker(),
            Action::RefreshSession => return self.refresh_now(),
            _ if self.focus == Focus::Session => {}
            Action::Details => return self.open_details(),
            Action::Preview => return self.open_preview(),
            Action::Share => self.open_share(),
            Action::Versions => return self.open_versions(),
            Action::Download => self.open_download(),
            Action::Transfers => self.open_transfers(),
            Action::Mark => self.toggle_mark(),
            Action::MarkAll => self.mark_all(),
            Action::Delete => self.open_delete(),
            Action::Upload => self.open_upload(),
            Action::Find => self.open_find(),
            Action::Focus => {
                self.focus = match self.focus {
                    Focus::Browser => Focus::Session,
                    Focus::Session => Focus::Browser,
                };
                self.listing.scroll_into_view(self.list_rows());
            }
            Action::Cancel => {
                if !self.listing.filter.is_empty() {
                    self.listing.set_filter("");
                    self.listing.scroll_into_view(self.list_rows());
                } else if self.listing.is_loading() || self.listing.refresh.is_some() {
                    return self.stop();
                } else {
                    self.notice = None;
                }
            }
            _ if self.focus == Focus::Session => {}
            Action::Up => return self.move_cursor(-1),
            Action::Down => return self.move_cursor(1),
            Action::PageUp => return self.move_cursor(-page),
            Action::PageDown => return self.move_cursor(page),
            Action::Top => {
                self.listing.move_to(0);
                self.listing.scroll_into_view(self.list_rows());
            }
            Action::Bottom => {
                self.listing.move_to(usize::MAX);
                // Still streaming: the end is where the last page will be.
                self.listing.follow_end = self.listing.is_loading();
                self.listing.scroll_into_view(self.list_rows());
            }
            Action::Open if self.listing.denied && self.listing.view.is_empty() => return self.climb(),
            Action::Open => return self.open_selected(),
            Action::Back => return self.go_back(),
            Action::Filter => self.mode = Mode::Filter,
            Action::Sort => {
                self.sort = self.sort.next();
                self.listing.set_sort(self.sort);
                self.listing.scroll_into_view(self.list_rows());
                self.notify(format!("sorted by {}", self.sort.label()), false);
            }
            Action::Reload => return self.reload(),
        }
        Vec::new()
    }
}
