//! The session lifecycle in the app: starting and switching, answers from STS, automatic
//! refresh before `refresh_before` with backoff after failures, `R`, and the MFA prompt when
//! a start or refresh needs a code.

use std::time::SystemTime;

use zeroize::Zeroizing;

use super::listing::LoadState;
use super::mfa::MfaPrompt;
use super::session::{Status, backoff, remaining};
use super::{App, Effect, Mode, SessionRequest};
use crate::credentials::SessionInfo;
use crate::worker::{Failure, FailureKind, Request, RequestId};

/// A cached session is shown at once on switching back only if it has this long left.
const REUSE_MARGIN: std::time::Duration = std::time::Duration::from_secs(60);

impl App {
    /// Asks the worker to start or refresh `identity`, tracking the answer by id.
    pub(super) fn session_request(
        &mut self,
        identity: &str,
        kind: SessionRequest,
        code: Option<Zeroizing<String>>,
    ) -> Effect {
        let id = self.issue_id();
        self.pending_sessions.insert(id, (identity.to_string(), kind));
        if identity == self.session.identity {
            self.session.pending = Some(id);
            if kind == SessionRequest::Refresh && self.session.info.is_some() {
                self.session.status = Status::Refreshing;
            }
        }
        let identity = identity.to_string();
        Effect::Send(match kind {
            SessionRequest::Start => Request::StartSession { id, identity, mfa_code: code },
            SessionRequest::Refresh => Request::RefreshSession { id, identity, mfa_code: code },
        })
    }

    /// A running session for `identity` with time left, if this run has one.
    pub(super) fn cached_session(&self, identity: &str) -> Option<&SessionInfo> {
        self.sessions.get(identity).filter(|info| info.expires_at.is_none_or(|at| at > self.now + REUSE_MARGIN))
    }

    fn activate(&mut self, info: SessionInfo) -> Vec<Effect> {
        self.session.info = Some(info);
        self.session.status = Status::Active;
        self.session.failures = 0;
        self.session.retry_at = None;
        if matches!(self.mode, Mode::Mfa(_)) {
            self.mode = Mode::Normal;
        }
        self.resume_waiting_listings()
    }

    /// Listings that stopped for want of a session carry on from where they stopped.
    fn resume_waiting_listings(&mut self) -> Vec<Effect> {
        for parent in &mut self.parents {
            if parent.load == LoadState::AwaitingSession {
                parent.load = LoadState::Paused;
            }
        }
        if self.listing.load != LoadState::AwaitingSession {
            return Vec::new();
        }
        let location = self.listing.location.clone();
        let (id, effect) = self.page_request(&location, self.listing.next.clone());
        self.listing.load = LoadState::Loading { id };
        vec![effect]
    }

    pub(super) fn on_session(&mut self, id: RequestId, result: Result<SessionInfo, Failure>) -> Vec<Effect> {
        let Some((identity, kind)) = self.pending_sessions.remove(&id) else { return Vec::new() };
        if let Ok(info) = &result {
            self.sessions.insert(identity.clone(), info.clone());
        }
        // Answers for an identity switched away from only fill the cache above.
        if self.session.pending != Some(id) {
            return Vec::new();
        }
        self.session.pending = None;
        match result {
            Ok(info) => {
                if kind == SessionRequest::Refresh {
                    let until = info.expires_at.map(crate::timefmt::clock).unwrap_or_default();
                    self.notify(format!("credentials refreshed; valid until {until} UTC"), false);
                }
                self.activate(info)
            }
            Err(failure) => self.session_failed(kind, failure),
        }
    }

    fn session_failed(&mut self, kind: SessionRequest, failure: Failure) -> Vec<Effect> {
        if let FailureKind::NeedsMfa { identity, serial } = &failure.kind {
            self.open_mfa(identity, serial, None);
            self.session.status = if self.session.info.is_some() { Status::Active } else { Status::AwaitingMfa };
            return Vec::new();
        }
        // A code was just tried: the prompt stays for another go, with AWS's words.
        if let Mode::Mfa(prompt) = &mut self.mode {
            prompt.rejected(&failure.message);
            if self.session.info.is_some() {
                self.session.status = Status::Active;
            }
            return Vec::new();
        }
        let still_valid = self.session.info.as_ref().is_some_and(|i| i.expires_at.is_none_or(|at| at > self.now));
        if kind == SessionRequest::Refresh && still_valid {
            self.session.status = Status::Active;
            self.session.failures += 1;
            let retry = self.now + backoff(self.session.failures);
            self.session.retry_at = Some(retry);
            self.notify(
                format!("refresh failed: {}; retrying at {} UTC", failure.message, crate::timefmt::clock(retry)),
                true,
            );
        } else if kind == SessionRequest::Refresh && self.session.info.is_some() {
            // Expired and the refresh failed: keep trying, but backing off (every tick would
            // hammer a server that is down), and say when the next try is.
            self.session.failures += 1;
            let retry = self.now + backoff(self.session.failures);
            self.session.retry_at = Some(retry);
            let message = format!("{}; retrying at {} UTC", failure.message, crate::timefmt::clock(retry));
            self.notify(format!("refresh failed: {message}"), true);
            self.session.status = Status::Failed(message);
        } else {
            self.notify(failure.message.clone(), true);
            self.session.status = Status::Failed(failure.message);
        }
        Vec::new()
    }

    /// A session the worker started or refreshed on its own (serving a listing).
    pub(super) fn on_session_update(&mut self, info: SessionInfo) -> Vec<Effect> {
        let identity = info.identity.clone();
        self.sessions.insert(identity.clone(), info.clone());
        if identity == self.session.identity && self.session.pending.is_none() {
            let newer = self.session.info.as_ref().is_none_or(|old| old.expires_at != info.expires_at);
            if newer || !matches!(self.session.status, Status::Active) {
                return self.activate(info);
            }
        }
        Vec::new()
    }

    /// On each tick: refresh the active session in the background when it enters the last
    /// `refresh_before`, unless that needs an MFA code (then the banner asks for `R`).
    pub(super) fn auto_refresh(&mut self) -> Vec<Effect> {
        if !self.auto_refresh || self.session.pending.is_some() || matches!(self.mode, Mode::Mfa(_)) {
            return Vec::new();
        }
        let Some(info) = &self.session.info else { return Vec::new() };
        let Some(expires_at) = info.expires_at else { return Vec::new() };
        let due = remaining(expires_at, self.now).is_none_or(|left| left <= self.refresh_before);
        let backing_off = self.session.retry_at.is_some_and(|at| self.now < at);
        if !due || backing_off || info.refresh_needs_mfa(self.now) {
            return Vec::new();
        }
        let identity = self.session.identity.clone();
        vec![self.session_request(&identity, SessionRequest::Refresh, None)]
    }

    /// `R`: refresh now. If a code is needed the worker says so at once and the prompt opens.
    pub(super) fn refresh_now(&mut self) -> Vec<Effect> {
        if self.session.pending.is_some() {
            return Vec::new();
        }
        self.session.retry_at = None;
        let identity = self.session.identity.clone();
        vec![self.session_request(&identity, SessionRequest::Refresh, None)]
    }

    pub(super) fn open_mfa(&mut self, identity: &str, serial: &str, error: Option<String>) {
        match &mut self.mode {
            Mode::Mfa(prompt) if prompt.serial == serial => prompt.waiting = false,
            _ => self.mode = Mode::Mfa(MfaPrompt::new(identity, serial, error)),
        }
    }

    /// Sends the typed code. A refresh forces new credentials even where the old ones still
    /// look valid (S3 may have refused them), and starts the identity if it never was.
    pub(super) fn submit_mfa(&mut self, code: Zeroizing<String>) -> Vec<Effect> {
        let identity = self.session.identity.clone();
        vec![self.session_request(&identity, SessionRequest::Refresh, Some(code))]
    }

    /// What the session pane says will happen as expiry nears.
    pub fn banner(&self) -> Option<String> {
        if self.session.status == Status::Refreshing {
            return None;
        }
        let info = self.session.info.as_ref()?;
        let expires_at = info.expires_at?;
        let left = remaining(expires_at, self.now);
        if left.is_some_and(|l| l > self.thresholds.warn) {
            return None;
        }
        if info.refresh_needs_mfa(self.now) {
            return Some("press R to refresh; you will need an MFA code".into());
        }
        if !self.auto_refresh {
            return Some("press R to refresh".into());
        }
        let at = match self.session.retry_at {
            Some(retry) => retry,
            None => expires_at.checked_sub(self.refresh_before).unwrap_or(SystemTime::UNIX_EPOCH).max(self.now),
        };
        Some(format!("auto-refresh at {} UTC (R: now)", crate::timefmt::clock(at)))
    }
}
