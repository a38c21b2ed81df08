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
            let text = read_policy_file(identity, path)?;
            validate::inline_policy(identity, "policy_file", &text).map(Some)
        }
    }
}

/// A policy is at most 2048 characters once minified; a file far past that (or one that never
/// ends, like `/dev/zero`) is a wrong path, refused after reading this much of it.
const POLICY_FILE_LIMIT: u64 = 1024 * 1024;

fn read_policy_file(identity: &str, path: &std::path::Path) -> Result<String, ValidationError> {
    use std::io::Read;
    let refuse = |problem: String| ValidationError {
        identity: identity.to_string(),
        field: "policy_file".into(),
        problem,
        fix: "check the path; a relative path is relative to the config file".into(),
    };
    let file = std::fs::File::open(path).map_err(|e| refuse(format!("cannot be read from {}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(POLICY_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(format!("cannot be read from {}: {e}", path.display())))?;
    if bytes.len() as u64 > POLICY_FILE_LIMIT {
        return Err(refuse(format!("names {}, which is larger than {POLICY_FILE_LIMIT} bytes", path.display())));
    }
    String::from_utf8(bytes).map_err(|_| refuse(format!("names {}, which is not UTF-8 text", path.display())))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_file_that_never_ends_is_refused() {
        let e = read_policy_file("x", std::path::Path::new("/dev/zero")).unwrap_err();
        assert_eq!(e.field, "policy_file");
        assert!(e.problem.contains("larger than 1048576 bytes"), "{e}");
        let e = read_policy_file("x", std::path::Path::new("/nonexistent/p.json")).unwrap_err();
        assert!(e.problem.contains("cannot be read from /nonexistent/p.json"), "{e}");
    }
}
