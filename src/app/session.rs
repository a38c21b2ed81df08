//! The session pane's state: which identity, what STS said about it, and where its countdown
//! stands. Time comes in as a value (`now`), so every threshold is testable without a clock.

use std::time::{Duration, SystemTime};

use crate::credentials::SessionInfo;
use crate::worker::RequestId;

/// When the countdown changes colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub warn: Duration,
    pub critical: Duration,
}

/// What the pane shows, in order of urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Starting,
    Valid,
    Warning,
    Critical,
    Expired,
    Refreshing,
    Failed,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Valid => "valid",
            State::Warning => "warning",
            State::Critical => "critical",
            State::Expired => "expired",
            State::Refreshing => "refreshing",
            State::Failed => "failed",
        }
    }
}

/// Time left before `expires_at`, or `None` once it has passed.
pub fn remaining(expires_at: SystemTime, now: SystemTime) -> Option<Duration> {
    expires_at.duration_since(now).ok().filter(|d| !d.is_zero())
}

/// The countdown's level at `now`: long-term keys (no expiry) are always valid.
pub fn level(expires_at: Option<SystemTime>, now: SystemTime, t: Thresholds) -> State {
    let Some(at) = expires_at else { return State::Valid };
    match remaining(at, now) {
        None => State::Expired,
        Some(left) if left <= t.critical => State::Critical,
        Some(left) if left <= t.warn => State::Warning,
        Some(_) => State::Valid,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the first StartSession answer.
    Starting,
    Active,
    /// A refresh is in flight; the current credentials are still shown.
    Refreshing,
    /// Starting needs an MFA code from the user, being asked for.
    AwaitingMfa,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPane {
    pub identity: String,
    pub kind: &'static str,
    pub info: Option<SessionInfo>,
    pub status: Status,
    /// The StartSession/RefreshSession answer being waited for.
    pub pending: Option<RequestId>,
    /// Failed refreshes in a row, for the backoff.
    pub failures: u32,
    /// No automatic refresh before this (backing off after a failure).
    pub retry_at: Option<SystemTime>,
}

impl SessionPane {
    pub fn new(identity: String, kind: &'static str) -> Self {
        SessionPane { identity, kind, info: None, status: Status::Starting, pending: None, failures: 0, retry_at: None }
    }

    pub fn state(&self, now: SystemTime, t: Thresholds) -> State {
        match (&self.status, &self.info) {
            (Status::Failed(_), _) => State::Failed,
            (Status::Refreshing, _) => State::Refreshing,
            (Status::Starting | Status::AwaitingMfa, None) => State::Starting,
            (_, Some(info)) => level(info.expires_at, now, t),
            (Status::Active, None) => State::Starting,
        }
    }
}

/// How long to wait before retrying after `failures` failed refreshes: 15 s, doubling, at
/// most 5 minutes.
pub fn backoff(failures: u32) -> Duration {
    let secs = 15u64.saturating_mul(1 << failures.saturating_sub(1).min(10));
    Duration::from_secs(secs.min(300))
}

/// The lifetime to give something that outlives a request (a presigned URL): what was asked
/// for, cut to what the credentials have left. The bool says whether it was cut.
pub fn cap_lifetime(requested: Duration, expires_at: Option<SystemTime>, now: SystemTime) -> (Duration, bool) {
    match expires_at.map(|at| remaining(at, now).unwrap_or_default()) {
        Some(left) if left < requested => (left, true),
        _ => (requested, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds { warn: Duration::from_secs(600), critical: Duration::from_secs(120) };

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn levels_change_exactly_at_the_thresholds() {
        let expiry = Some(at(10_000));
        assert_eq!(level(expiry, at(10_000 - 601), T), State::Valid);
        assert_eq!(level(expiry, at(10_000 - 600), T), State::Warning);
        assert_eq!(level(expiry, at(10_000 - 121), T), State::Warning);
        assert_eq!(level(expiry, at(10_000 - 120), T), State::Critical);
        assert_eq!(level(expiry, at(10_000 - 1), T), State::Critical);
        assert_eq!(level(expiry, at(10_000), T), State::Expired);
        assert_eq!(level(expiry, at(20_000), T), State::Expired);
        assert_eq!(level(None, at(20_000), T), State::Valid, "long-term keys never expire");
    }

    #[test]
    fn backoff_doubles_to_a_ceiling() {
        let secs: Vec<u64> = (1..=7).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [15, 30, 60, 120, 240, 300, 300]);
        assert_eq!(backoff(u32::MAX).as_secs(), 300);
    }

    #[test]
    fn lifetimes_are_capped_at_the_credentials_expiry() {
        let hour = Duration::from_secs(3600);
        assert_eq!(cap_lifetime(hour, Some(at(1000 + 600)), at(1000)), (Duration::from_secs(600), true));
        assert_eq!(
            cap_lifetime(Duration::from_secs(60), Some(at(1000 + 600)), at(1000)),
            (Duration::from_secs(60), false)
        );
        assert_eq!(cap_lifetime(hour, None, at(1000)), (hour, false), "long-term keys do not cap");
        assert_eq!(cap_lifetime(hour, Some(at(900)), at(1000)), (Duration::ZERO, true), "expired: nothing left");
    }

    #[test]
    fn remaining_is_none_once_expired() {
        assert_eq!(remaining(at(100), at(40)), Some(Duration::from_secs(60)));
        assert_eq!(remaining(at(100), at(100)), None);
        assert_eq!(remaining(at(100), at(101)), None);
    }
}
