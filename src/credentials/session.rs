//! A started identity: its live credentials (behind the lease) and what may be shown about it.

use std::time::SystemTime;

use serde::Serialize;

use crate::credentials::provider::LeaseProvider;

/// Everything the UI and the CLI show about a session. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    pub identity: String,
    pub kind: &'static str,
    /// e.g. `assume-role Auditor <- session-token mfa (MFA) <- profile default`
    pub chain: String,
    /// The caller ARN, once known (sources started only to derive another identity may lack it).
    pub arn: Option<String>,
    #[serde(serialize_with = "serialize_time")]
    pub expires_at: Option<SystemTime>,
    /// Whether the credentials carry a session token (anything from STS).
    pub temporary: bool,
    /// Whether this identity's own STS call used an MFA code.
    pub mfa: bool,
    /// From when a refresh needs an MFA code from a person: at once for an identity with its
    /// own MFA device, from the end of the MFA session for roles chained from one, never
    /// (`None`) when no MFA is involved.
    #[serde(serialize_with = "serialize_time")]
    pub refresh_needs_mfa_from: Option<SystemTime>,
    pub region: String,
    pub endpoint: String,
    /// Size of the packed session policy and tags, as a percentage of the allowed maximum.
    pub packed_policy_size: Option<i32>,
}

impl SessionInfo {
    pub fn refresh_needs_mfa(&self, now: SystemTime) -> bool {
        self.refresh_needs_mfa_from.is_some_and(|from| now >= from)
    }
}

fn serialize_time<S: serde::Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::timefmt::rfc3339(*t)),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub info: SessionInfo,
    /// When these credentials were obtained.
    pub issued_at: SystemTime,
    pub lease: LeaseProvider,
    pub s3: aws_sdk_s3::Client,
}

impl Session {
    /// True if the credentials stay valid for at least `margin` after `now`, or a quarter of
    /// their lifetime if that is shorter (sessions of seconds exist on test servers).
    pub fn valid_for(&self, now: SystemTime, margin: std::time::Duration) -> bool {
        self.info.expires_at.is_none_or(|at| {
            let lifetime = at.duration_since(self.issued_at).unwrap_or_default();
            at > now + margin.min(lifetime / 4)
        })
    }
}
