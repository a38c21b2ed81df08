//! Applies the STS limits in `validate` to one identity, before any call is made.

use std::time::Duration;

use crate::error::ValidationError;
use crate::identity::{Identity, PolicySource, Spec};
use crate::validate::{self, StsOperation};

/// Reads and checks a session policy, returning it minified for sending.
pub fn policy_text(identity: &str, policy: Option<&PolicySource>) -> Result<Option<String>, ValidationError> {
    match policy {
        None => Ok(None),
        Some(PolicySource::Inline(text)) => validate::inline_policy(identity, "policy", text).map(Some),
        Some(PolicySource::File(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| ValidationError {
                identity: identity.to_string(),
                field: "policy_file".into(),
                problem: format!("cannot be read from {}: {e}", path.display()),
                fix: "check the path; a relative path is relative to the config file".into(),
            })?;
            validate::inline_policy(identity, "policy_file", &text).map(Some)
        }
    }
}

/// GetSessionToken and GetFederationToken need long-term keys; say so instead of calling.
pub fn needs_long_term(identity: &Identity, source: &str, source_kind: &str) -> Result<(), ValidationError> {
    let op = match identity.spec {
        Spec::SessionToken(_) => StsOperation::GetSessionToken,
        Spec::Federation(_) => StsOperation::GetFederationToken,
        _ => return Ok(()),
    };
    Err(ValidationError {
        identity: identity.name.clone(),
        field: "source".into(),
        problem: format!(
            "is `{source}` ({source_kind}), whose credentials are temporary; AWS refuses {} with temporary credentials",
            op.name()
        ),
        fix: "use a source with an IAM user's long-term access keys (a profile with aws_access_key_id and no session token)"
            .into(),
    })
}

/// Checks every field of `identity` against STS limits. `temporary_source`: the source's
/// credentials are temporary (decides role chaining and whether GetSessionToken is allowed).
pub fn check(
    identity: &Identity,
    source: Option<(&str, &str)>,
    temporary_source: bool,
    allow_short: bool,
) -> Result<(), ValidationError> {
    let name = identity.name.as_str();
    let duration = |op, d: Option<Duration>| match d {
        Some(d) => validate::duration(name, op, d, allow_short),
        None => Ok(()),
    };
    if temporary_source && let Some((source, kind)) = source {
        needs_long_term(identity, source, kind)?;
    }
    match &identity.spec {
        Spec::Profile(_) => Ok(()),
        Spec::SessionToken(s) => {
            if let Some(serial) = &s.mfa_serial {
                validate::mfa_serial(name, serial)?;
            }
            duration(StsOperation::GetSessionToken, s.duration.map(|d| d.0))
        }
        Spec::Federation(s) => {
            validate::federated_name(name, &s.federated_name)?;
            policy_text(name, s.policy.as_ref())?;
            validate::policy_arns(name, &s.policy_arns)?;
            duration(StsOperation::GetFederationToken, s.duration.map(|d| d.0))
        }
        Spec::AssumeRole(s) => {
            validate::role_arn(name, &s.role_arn)?;
            if let Some(session_name) = &s.session_name {
                validate::role_session_name(name, session_name)?;
            }
            if let Some(id) = &s.external_id {
                validate::external_id(name, id)?;
            }
            if let Some(serial) = &s.mfa_serial {
                validate::mfa_serial(name, serial)?;
            }
            policy_text(name, s.policy.as_ref())?;
            validate::policy_arns(name, &s.policy_arns)?;
            if let Some(si) = &s.source_identity {
                validate::source_identity(name, si)?;
            }
            validate::tags(name, &s.tags)?;
            duration(StsOperation::AssumeRole { chained: temporary_source }, s.duration.map(|d| d.0))
        }
    }
}
