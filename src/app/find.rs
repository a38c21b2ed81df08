//! `F`: a find over every key below the current prefix. A prompt takes the text; the results
//! replace the browser pane while matches stream in. Esc stops a running find (keeping what
//! it found), Esc again goes back to the browser as it was; Enter opens a match's folder
//! with the cursor on it.
//!
//! Keys match on their path below the find's prefix, in any case (see [`crate::s3::find`]).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::listing::{Listing, LoadState, Location};
use super::{App, Effect, Mode};
use crate::keymap::Action;
use crate::s3::Object;
use crate::worker::{Failure, FoundBatch, Request, RequestId};

/// Matches kept for the results. Past it they are counted but not stored, so a find of `a`
/// over millions of keys cannot exhaust memory.
pub const MAX_MATCHES: usize = 100_000;

/// Typing what to find, under `bucket`/`prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindPrompt {
    pub bucket: String,
    pub prefix: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindState {
    Searching,
    Done,
    /// Stopped by the user; what was found stays.
    Stopped,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindView {
    pub id: RequestId,
    pub bucket: String,
    pub prefix: String,
    pub needle: String,
    pub state: FindState,
    /// In key order, as the walk lists them; at most [`MAX_MATCHES`].
    pub matches: Vec<Object>,
    /// Every match, including those past the cap.
    pub matched: u64,
    pub scanned: u64,
    pub cursor: usize,
    /// First row shown.
    pub offset: usize,
}

impl FindView {
    pub fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    /// More matched than are kept.
    pub fn capped(&self) -> bool {
        self.matched > self.matches.len() as u64
    }

    pub fn selected(&self) -> Option<&Object> {
        self.matches.get(self.cursor)
    }

    fn move_to(&mut self, position: usize) {
        self.cursor = position.min(self.matches.len().saturating_sub(1));
    }

    fn move_by(&mut self, delta: isize) {
        self.move_to(self.cursor.saturating_add_signed(delta));
    }

    /// Scrolls just enough to keep the cursor inside `rows` visible rows.
    pub fn scroll_into_view(&mut self, rows: usize) {
        self.offset = super::listing::scrolled(self.cursor, self.offset, rows, self.matches.len());
    }
}

impl App {
    pub(super) fn open_find(&mut self) {
        match &self.listing.location {
            Location::Buckets => {
                let key = self.keymap.describe(Action::Find);
                self.notify(
                    format!("find needs a bucket: open one, then press {key} to search every key in it"),
                    false,
                );
            }
            Location::Prefix { bucket, prefix } => {
                self.mode = Mode::FindPrompt(FindPrompt {
                    bucket: bucket.clone(),
                    prefix: prefix.clone(),
                    text: String::new(),
                });
            }
        }
    }

    pub(super) fn on_find_prompt_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let Mode::FindPrompt(prompt) = &mut self.mode else { return Vec::new() };
        match key.code {
            KeyCode::Char('c') if ctrl => return vec![Effect::Quit],
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Enter if prompt.text.is_empty() => self.mode = Mode::Normal,
            KeyCode::Enter => {
                let prompt = prompt.clone();
                return self.start_find(prompt);
            }
            KeyCode::Backspace => {
                prompt.text.pop();
            }
            KeyCode::Char(c) if !ctrl => prompt.text.push(c),
            _ => {}
        }
        Vec::new()
    }

    fn start_find(&mut self, prompt: FindPrompt) -> Vec<Effect> {
        let id = self.issue_id();
        let request = Request::Find {
            id,
            identity: self.session.identity.clone(),
            bucket: prompt.bucket.clone(),
            prefix: prompt.prefix.clone(),
            needle: prompt.text.clone(),
            limit: MAX_MATCHES,
        };
        self.mode = Mode::Find(FindView {
            id,
            bucket: prompt.bucket,
            prefix: prompt.prefix,
            needle: prompt.text,
            state: FindState::Searching,
            matches: Vec::new(),
            matched: 0,
            scanned: 0,
            cursor: 0,
            offset: 0,
        });
        vec![Effect::Send(request)]
    }

    /// The running find the results show, if `id` is its request.
    fn running_find(&mut self, id: RequestId) -> Option<&mut FindView> {
        match &mut self.mode {
            Mode::Find(view) if view.id == id && view.state == FindState::Searching => Some(view),
            _ => None,
        }
    }

    pub(super) fn on_found(&mut self, id: RequestId, batch: FoundBatch) -> Vec<Effect> {
        let rows = self.list_rows();
        if let Some(view) = self.running_find(id) {
            let room = MAX_MATCHES.saturating_sub(view.matches.len());
            view.matches.extend(batch.matches.into_iter().take(room));
            view.matched += batch.matched;
            view.scanned += batch.scanned;
            view.scroll_into_view(rows);
        }
        Vec::new()
    }

    pub(super) fn on_find_done(&mut self, id: RequestId, result: Result<(), Failure>) -> Vec<Effect> {
        let Some(view) = self.running_find(id) else { return Vec::new() };
        match result {
            Ok(()) => view.state = FindState::Done,
            Err(failure) => {
                view.state = FindState::Failed(failure.message.clone());
                self.notify(failure.message, true);
            }
        }
        Vec::new()
    }

    pub(super) fn on_find_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return vec![Effect::Quit];
        }
        let rows = self.list_rows();
        let page = rows.max(1) as isize;
        let action = self.keymap.action(&key);
        let Mode::Find(view) = &mut self.mode else { return Vec::new() };
        match action {
            Some(Action::Cancel) if view.state == FindState::Searching => {
                view.state = FindState::Stopped;
                return vec![Effect::Send(Request::Cancel { id: view.id })];
            }
            Some(Action::Cancel | Action::Back | Action::Quit) => return self.close_find(),
            // Again: a new find, starting from the text of this one.
            Some(Action::Find) => {
                let prompt =
                    FindPrompt { bucket: view.bucket.clone(), prefix: view.prefix.clone(), text: view.needle.clone() };
                let effects = self.close_find();
                self.mode = Mode::FindPrompt(prompt);
                return effects;
            }
            Some(Action::Open) => return self.jump_to_match(),
            Some(Action::Up) => view.move_by(-1),
            Some(Action::Down) => view.move_by(1),
            Some(Action::PageUp) => view.move_by(-page),
            Some(Action::PageDown) => view.move_by(page),
            Some(Action::Top) => view.move_to(0),
            Some(Action::Bottom) => view.move_to(usize::MAX),
            _ => {}
        }
        view.scroll_into_view(rows);
        Vec::new()
    }

    /// Back to the browser as it was before `F`; a find still running is cancelled.
    fn close_find(&mut self) -> Vec<Effect> {
        let mode = std::mem::replace(&mut self.mode, Mode::Normal);
        match mode {
            Mode::Find(view) if view.state == FindState::Searching => {
                vec![Effect::Send(Request::Cancel { id: view.id })]
            }
            _ => Vec::new(),
        }
    }

    /// Opens the folder of the match under the cursor with the cursor on it.
    fn jump_to_match(&mut self) -> Vec<Effect> {
        let Mode::Find(view) = &self.mode else { return Vec::new() };
        let Some(object) = view.selected() else { return Vec::new() };
        let (bucket, key) = (view.bucket.clone(), object.key.clone());
        let mut effects = self.close_find();
        let cut = key.rfind('/').map_or(0, |i| i + 1);
        let (folder, name) = (key[..cut].to_string(), key[cut..].to_string());
        let target = Location::Prefix { bucket, prefix: folder };
        self.notice = None;
        if target == self.listing.location {
            self.select_key(&key, name);
            return effects;
        }
        // The listing left stays on the way back up: Back rebuilds the levels in between.
        effects.extend(self.halt(LoadState::Paused));
        let left = std::mem::replace(&mut self.listing, Listing::new(target.clone(), LoadState::Complete, self.sort));
        self.parents.push(left);
        effects.extend(self.enter(target, Some(name)));
        effects
    }

    /// Puts the current listing's cursor on `key` (clearing a filter that hides it), or on
    /// `name` once it arrives if it is not listed yet.
    fn select_key(&mut self, key: &str, name: String) {
        let position = |l: &Listing| l.view.iter().position(|&i| l.entries[i].key() == key);
        if position(&self.listing).is_none() && !self.listing.filter.is_empty() {
            self.listing.set_filter("");
        }
        match position(&self.listing) {
            Some(at) => self.listing.move_to(at),
            None => {
                self.listing.select_on_load = Some(name);
                if !self.listing.is_loading() {
                    let reload = self.keymap.describe(Action::Reload);
                    self.notify(format!("not in this listing (new since it was listed?); {reload} lists again"), false);
                }
            }
        }
        self.listing.scroll_into_view(self.list_rows());
    }
}

#[cfg(test)]
mod tests;
