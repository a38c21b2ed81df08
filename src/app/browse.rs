//! Moving between listings and streaming their pages. Every page request carries a fresh id;
//! a page is accepted only if the current listing waits for exactly that id, so answers for
//! a listing the user has left are dropped even if they arrive after the cancel.

use super::listing::{Entry, Listing, LoadState, Location, Refresh};
use super::{App, Effect};
use crate::error::Error;
use crate::s3::list;
use crate::s3::token_guard::TokenGuard;
use crate::worker::{Failure, FailureKind, Request, RequestId};

/// Which of the current listing's page streams a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Load,
    Refresh,
}

impl App {
    pub(super) fn page_request(&mut self, location: &Location, continuation: Option<String>) -> (RequestId, Effect) {
        let id = self.issue_id();
        let identity = self.session.identity.clone();
        let request = match location {
            Location::Buckets => Request::ListBuckets { id, identity },
            Location::Prefix { bucket, prefix } => {
                Request::ListObjects { id, identity, bucket: bucket.clone(), prefix: prefix.clone(), continuation }
            }
        };
        (id, Effect::Send(request))
    }

    /// Shows `location`: at once from the cache (refreshing it in the background), or empty
    /// while its first page loads. `select` names the entry to put the cursor on.
    pub(super) fn enter(&mut self, location: Location, select: Option<String>) -> Vec<Effect> {
        let mut listing = Listing::new(location.clone(), LoadState::Complete, self.sort);
        listing.select_on_load = select;
        let effect = if let Some(entries) = self.cache.remove(&location) {
            listing.append(entries);
            let (id, effect) = self.page_request(&location, None);
            listing.refresh = Some(Refresh::new(id));
            effect
        } else {
            let (id, effect) = self.page_request(&location, None);
            listing.load = LoadState::Loading { id };
            effect
        };
        self.listing = listing;
        self.listing.scroll_into_view(self.list_rows());
        vec![effect]
    }

    /// Cancels whatever the current listing is waiting for.
    pub(super) fn halt(&mut self, then: LoadState) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let LoadState::Loading { id } = self.listing.load {
            effects.push(Effect::Send(Request::Cancel { id }));
            self.listing.load = then;
        }
        if let Some(refresh) = self.listing.refresh.take() {
            effects.push(Effect::Send(Request::Cancel { id: refresh.id }));
        }
        effects
    }

    pub(super) fn open_selected(&mut self) -> Vec<Effect> {
        let child = match (self.listing.selected(), &self.listing.location) {
            (Some(Entry::Bucket(b)), _) => Location::Prefix { bucket: b.name.clone(), prefix: String::new() },
            (Some(Entry::Prefix(p)), Location::Prefix { bucket, .. }) => {
                Location::Prefix { bucket: bucket.clone(), prefix: p.clone() }
            }
            (Some(Entry::Object(_)), _) => return self.open_details(),
            _ => return Vec::new(),
        };
        self.notice = None;
        let mut effects = self.halt(LoadState::Paused);
        let parent = std::mem::replace(&mut self.listing, Listing::new(child.clone(), LoadState::Complete, self.sort));
        self.parents.push(parent);
        effects.extend(self.enter(child, None));
        effects
    }

    pub(super) fn go_back(&mut self) -> Vec<Effect> {
        let up = self.listing.location.parent();
        if self.parents.is_empty() && up.is_none() {
            return Vec::new();
        }
        if !self.climbing {
            self.notice = None;
        }
        let mut effects = self.halt(LoadState::Stopped);
        // Only the level right above is taken from the stack: after a jump to a find's match
        // the levels in between were never listed, and are built like an opened-at start.
        let above = match (self.parents.last(), &up) {
            (Some(parent), Some((location, _))) if parent.location != *location => None,
            _ => self.parents.pop(),
        };
        let left = match (above, up) {
            (Some(parent), _) => std::mem::replace(&mut self.listing, parent),
            // Opened straight at a prefix: build the parent, cursor on where we came from.
            (None, Some((location, name))) => {
                let blank = Listing::new(location.clone(), LoadState::Complete, self.sort);
                let left = std::mem::replace(&mut self.listing, blank);
                effects.extend(self.enter(location, Some(name)));
                left
            }
            (None, None) => return effects,
        };
        self.cache.insert(left.location, left.entries);
        if self.listing.load == LoadState::Paused {
            let location = self.listing.location.clone();
            let (id, effect) = self.page_request(&location, self.listing.next.clone());
            self.listing.load = LoadState::Loading { id };
            effects.push(effect);
        }
        self.listing.scroll_into_view(self.list_rows());
        effects
    }

    /// `r`: lists again; what is on screen stays until the new listing is complete.
    pub(super) fn reload(&mut self) -> Vec<Effect> {
        let mut effects = self.halt(LoadState::Stopped);
        let location = self.listing.location.clone();
        let (id, effect) = self.page_request(&location, None);
        if self.listing.entries.is_empty() {
            // From the first page again: the tokens followed before may all come back.
            self.listing.tokens = TokenGuard::new();
            self.listing.next = None;
            self.listing.load = LoadState::Loading { id };
        } else {
            self.listing.refresh = Some(Refresh::new(id));
        }
        self.notice = None;
        effects.push(effect);
        effects
    }

    /// Esc while pages stream: keep what arrived, ask for no more.
    pub(super) fn stop(&mut self) -> Vec<Effect> {
        let effects = self.halt(LoadState::Stopped);
        if !effects.is_empty() {
            self.notify(format!("stopped after {} entries; r lists again", self.listing.entries.len()), false);
        }
        effects
    }

    /// `next`, the token a page of `stream` points on to, unless an earlier page of the same
    /// listing gave it: then the page is refused whole, as the CLI refuses it.
    fn follow(&mut self, location: &Location, stream: Stream, next: Option<String>) -> Result<Option<String>, Failure> {
        let Location::Prefix { bucket, prefix } = location else { return Ok(next) };
        let tokens = match stream {
            Stream::Load => &mut self.listing.tokens,
            Stream::Refresh => match &mut self.listing.refresh {
                Some(refresh) => &mut refresh.tokens,
                None => return Ok(next),
            },
        };
        let endpoint = self.session.info.as_ref().map_or("the endpoint", |info| info.endpoint.as_str());
        list::follow(tokens, next, endpoint, bucket, prefix)
            .map_err(|e| Failure::from(&Error::from(e.as_identity(&self.session.identity))))
    }

    fn page_failed(&mut self, failure: Failure) -> Vec<Effect> {
        match &failure.kind {
            // The session needs a code: wait for it, then carry on from this very page.
            FailureKind::NeedsMfa { identity, serial } => {
                self.listing.load = LoadState::AwaitingSession;
                // A start already on its way may carry the code (given on the command line):
                // its answer decides whether to ask.
                if self.session.pending.is_none() {
                    self.open_mfa(identity, serial, None);
                }
                Vec::new()
            }
            FailureKind::AccessDenied => {
                self.listing.denied = true;
                self.listing.load = LoadState::Failed(failure.message.clone());
                // Still climbing: this level is denied too, so up again.
                if self.climbing {
                    let effects = self.go_back();
                    if !effects.is_empty() {
                        return effects;
                    }
                    self.climbing = false;
                }
                self.notify(failure.message, true);
                Vec::new()
            }
            _ => {
                self.climbing = false;
                self.notify(failure.message.clone(), true);
                self.listing.load = LoadState::Failed(failure.message);
                Vec::new()
            }
        }
    }

    pub(super) fn on_page(
        &mut self,
        id: RequestId,
        result: Result<(Vec<Entry>, Option<String>), Failure>,
    ) -> Vec<Effect> {
        let location = self.listing.location.clone();
        if self.listing.load == (LoadState::Loading { id }) {
            let result = result.and_then(|(entries, next)| {
                let next = self.follow(&location, Stream::Load, next)?;
                Ok((entries, next))
            });
            match result {
                Ok((entries, next)) => {
                    self.climbing = false;
                    self.listing.denied = false;
                    self.listing.append(entries);
                    self.listing.next = next.clone();
                    self.listing.scroll_into_view(self.list_rows());
                    match next {
                        Some(token) => {
                            let (id, effect) = self.page_request(&location, Some(token));
                            self.listing.load = LoadState::Loading { id };
                            return vec![effect];
                        }
                        None => self.listing.load = LoadState::Complete,
                    }
                }
                Err(failure) => return self.page_failed(failure),
            }
            return Vec::new();
        }
        if self.listing.refresh.as_ref().is_none_or(|r| r.id != id) {
            return Vec::new();
        }
        let result = result.and_then(|(entries, next)| {
            let next = self.follow(&location, Stream::Refresh, next)?;
            Ok((entries, next))
        });
        match result {
            Ok((entries, next)) => {
                if let Some(token) = next {
                    let (id, effect) = self.page_request(&location, Some(token));
                    if let Some(refresh) = &mut self.listing.refresh {
                        refresh.entries.extend(entries);
                        refresh.id = id;
                    }
                    return vec![effect];
                }
                if let Some(mut refresh) = self.listing.refresh.take() {
                    refresh.entries.extend(entries);
                    self.listing.replace(refresh.entries);
                    self.listing.load = LoadState::Complete;
                    self.listing.next = None;
                    self.listing.tokens = TokenGuard::new();
                    self.listing.scroll_into_view(self.list_rows());
                }
            }
            Err(failure) => {
                self.listing.refresh = None;
                self.notify(format!("reload failed, showing what was listed before: {}", failure.message), true);
            }
        }
        Vec::new()
    }
}
