//! The identity picker (`i`): fuzzy search over every identity, then a switch that keeps the
//! user's place. Where the new identity may not list that place, the pane says so and Enter
//! climbs to the nearest level it can list.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::adhoc::AdHocKind;
use super::listing::{Listing, LoadState};
use super::session::SessionPane;
use super::{App, Effect, IdentityChoice, Mode, SessionRequest};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub query: String,
    /// Indices into `App::identities`, best match first.
    pub matches: Vec<usize>,
    /// Over the matches, then the two "new identity" rows below them.
    pub cursor: usize,
}

/// The rows after the identities: make one on the spot.
pub const NEW_ROWS: [(AdHocKind, &str); 2] =
    [(AdHocKind::AssumeRole, "+ assume a role by ARN…"), (AdHocKind::Federation, "+ get a federation token…")];

impl Picker {
    fn last_row(&self) -> usize {
        self.matches.len() + NEW_ROWS.len() - 1
    }
}

/// Identities matching `query`, best first; all of them, in order, for an empty query.
pub fn rank(identities: &[IdentityChoice], query: &str) -> Vec<usize> {
    if query.trim().is_empty() {
        return (0..identities.len()).collect();
    }
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = identities
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            // The name counts double: it is what people type.
            let haystack = format!("{} {} {} {}", id.name, id.name, id.kind, id.chain);
            pattern.score(Utf32Str::new(&haystack, &mut buf), &mut matcher).map(|score| (score, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

impl App {
    pub(super) fn open_picker(&mut self) {
        let matches = rank(&self.identities, "");
        let cursor = matches.iter().position(|&i| self.identities[i].name == self.session.identity).unwrap_or(0);
        self.mode = Mode::Picker(Picker { query: String::new(), matches, cursor });
    }

    pub(super) fn on_picker_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Mode::Picker(picker) = &mut self.mode else { return Vec::new() };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => return vec![Effect::Quit],
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Up => picker.cursor = picker.cursor.saturating_sub(1),
            KeyCode::Char('p') if ctrl => picker.cursor = picker.cursor.saturating_sub(1),
            KeyCode::Down => picker.cursor = (picker.cursor + 1).min(picker.last_row()),
            KeyCode::Home => picker.cursor = 0,
            KeyCode::End => picker.cursor = picker.last_row(),
            KeyCode::PageUp => picker.cursor = picker.cursor.saturating_sub(10),
            KeyCode::PageDown => picker.cursor = (picker.cursor + 10).min(picker.last_row()),
            KeyCode::Char('n') if ctrl => picker.cursor = (picker.cursor + 1).min(picker.last_row()),
            KeyCode::Enter => match picker.matches.get(picker.cursor) {
                Some(&index) => {
                    let name = self.identities[index].name.clone();
                    self.mode = Mode::Normal;
                    return self.switch_to(&name);
                }
                None => {
                    let row = picker.cursor - picker.matches.len();
                    if let Some((kind, _)) = NEW_ROWS.get(row) {
                        self.open_adhoc(*kind);
                    }
                }
            },
            KeyCode::Backspace => {
                picker.query.pop();
                picker.matches = rank(&self.identities, &picker.query);
                picker.cursor = 0;
            }
            KeyCode::Char(c) if !ctrl => {
                picker.query.push(c);
                picker.matches = rank(&self.identities, &picker.query);
                picker.cursor = 0;
            }
            _ => {}
        }
        Vec::new()
    }

    /// Makes `name` the active identity and lists the same place again under it. A session
    /// already running in this run is used at once, without asking STS.
    pub(super) fn switch_to(&mut self, name: &str) -> Vec<Effect> {
        if name == self.session.identity {
            return Vec::new();
        }
        let Some(choice) = self.identities.iter().find(|i| i.name == name).cloned() else { return Vec::new() };
        let mut effects = Vec::new();
        self.session = SessionPane::new(choice.name.clone(), choice.kind);
        match self.cached_session(name).cloned() {
            Some(info) => {
                self.session.info = Some(info);
                self.session.status = super::session::Status::Active;
            }
            None => effects.push(self.session_request(name, SessionRequest::Start, None)),
        }
        effects.extend(self.relist_as_new_identity());
        self.climbing = false;
        self.notify(format!("switched to {name} ({})", choice.kind), false);
        effects
    }

    /// What was listed belongs to the old identity: list the current place again (cursor kept
    /// by name) and mark the levels above to be listed again when returned to.
    fn relist_as_new_identity(&mut self) -> Vec<Effect> {
        let mut effects = self.halt(LoadState::Stopped);
        self.cache.clear();
        for parent in &mut self.parents {
            let selected = parent.selected().map(|e| e.name(parent.base()).to_string());
            let mut fresh = Listing::new(parent.location.clone(), LoadState::Paused, self.sort);
            fresh.select_on_load = selected;
            fresh.filter = parent.filter.clone();
            *parent = fresh;
        }
        let selected = self.listing.selected().map(|e| e.name(self.listing.base()).to_string());
        let location = self.listing.location.clone();
        let filter = self.listing.filter.clone();
        effects.extend(self.enter(location, selected));
        self.listing.set_filter(&filter);
        effects
    }

    /// Enter on a listing this identity may not read: go up until one it may.
    pub(super) fn climb(&mut self) -> Vec<Effect> {
        self.climbing = true;
        let effects = self.go_back();
        if effects.is_empty() {
            self.climbing = false;
        }
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> Vec<IdentityChoice> {
        ["admin", "auditor", "alice-mfa", "mfa-admin", "readonly-fed", "partner"]
            .iter()
            .map(|n| IdentityChoice { name: n.to_string(), kind: "assume-role", chain: String::new(), mfa: false })
            .collect()
    }

    #[test]
    fn ranks_fuzzy_matches_best_first() {
        let ids = choices();
        let names = |q: &str| rank(&ids, q).into_iter().map(|i| ids[i].name.as_str()).collect::<Vec<_>>();
        assert_eq!(names("").len(), 6);
        assert_eq!(names("aud")[0], "auditor");
        assert_eq!(names("rofed")[0], "readonly-fed", "subsequence matching");
        assert!(names("zzz").is_empty());
        assert_eq!(names("MFA")[..2].iter().filter(|n| n.contains("mfa")).count(), 2, "case-insensitive");
    }
}
