//! Local checks of the limits real STS enforces, run before any network call so a typo costs
//! no round trip and the message can say exactly which field, which limit and what to do.
//! Limits are from the STS API reference (AssumeRole, GetSessionToken, GetFederationToken).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::duration::Compact;
use crate::error::ValidationError;

/// The STS operation a duration is checked against; each has its own range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StsOperation {
    GetSessionToken,
    GetFederationToken,
    /// `chained`: the caller's own credentials are temporary (role chaining caps the session at 1 h).
    AssumeRole {
        chained: bool,
    },
}

impl StsOperation {
    pub fn name(self) -> &'static str {
        match self {
            StsOperation::GetSessionToken => "GetSessionToken",
            StsOperation::GetFederationToken => "GetFederationToken",
            StsOperation::AssumeRole { .. } => "AssumeRole",
        }
    }

    /// Inclusive range of DurationSeconds STS accepts.
    pub fn duration_range(self) -> (u64, u64) {
        match self {
            StsOperation::GetSessionToken | StsOperation::GetFederationToken => (900, 129_600),
            StsOperation::AssumeRole { chained: false } => (900, 43_200),
            StsOperation::AssumeRole { chained: true } => (900, 3_600),
        }
    }
}

fn violation(identity: &str, field: &str, problem: impl Into<String>, fix: impl Into<String>) -> ValidationError {
    ValidationError {
        identity: identity.to_string(),
        field: field.to_string(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// `allow_short`: a local test endpoint may ask for sessions under 15 minutes, which real STS refuses.
pub fn duration(identity: &str, op: StsOperation, value: Duration, allow_short: bool) -> Result<(), ValidationError> {
    let (min, max) = op.duration_range();
    let secs = value.as_secs();
    let range = format!("{} to {}", Compact(Duration::from_secs(min)), Compact(Duration::from_secs(max)));
    if secs == 0 || (secs < min && !allow_short) {
        return Err(violation(
            identity,
            "duration",
            format!("is {}, below the {} minimum of {}", Compact(value), op.name(), Compact(Duration::from_secs(min))),
            format!("use a duration from {range}"),
        ));
    }
    if secs > max {
        let why = match op {
            StsOperation::AssumeRole { chained: true } => {
                " (role chaining: the source credentials are temporary, so AWS caps the session at 1h)"
            }
            _ => "",
        };
        return Err(violation(
            identity,
            "duration",
            format!(
                "is {}, above the {} maximum of {}{why}",
                Compact(value),
                op.name(),
                Compact(Duration::from_secs(max))
            ),
            format!("use a duration from {range}"),
        ));
    }
    Ok(())
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Checks a length range (in characters) and an allowed character set.
fn text(
    identity: &str,
    field: &str,
    value: &str,
    (min, max): (usize, usize),
    allowed: impl Fn(char) -> bool,
    allowed_desc: &str,
) -> Result<(), ValidationError> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(violation(
            identity,
            field,
            format!("is {len} characters long; STS accepts {min} to {max}"),
            format!("pick a value of {min} to {max} characters"),
        ));
    }
    if let Some(bad) = value.chars().find(|&c| !allowed(c)) {
        return Err(violation(
            identity,
            field,
            format!("contains {bad:?}, which STS does not accept"),
            format!("use only {allowed_desc}"),
        ));
    }
    Ok(())
}

const NAME_CHARS: &str = "letters, digits and _+=,.@-";

fn name_char(c: char) -> bool {
    is_word(c) || "+=,.@-".contains(c)
}

pub fn role_session_name(identity: &str, value: &str) -> Result<(), ValidationError> {
    text(identity, "session_name", value, (2, 64), name_char, NAME_CHARS)
}

pub fn federated_name(identity: &str, value: &str) -> Result<(), ValidationError> {
    text(identity, "federated_name", value, (2, 32), name_char, NAME_CHARS)
}

pub fn source_identity(identity: &str, value: &str) -> Result<(), ValidationError> {
    text(identity, "source_identity", value, (2, 64), name_char, NAME_CHARS)
}

pub fn external_id(identity: &str, value: &str) -> Result<(), ValidationError> {
    text(
        identity,
        "external_id",
        value,
        (2, 1224),
        |c| name_char(c) || c == ':' || c == '/',
        "letters, digits and _+=,.@:/-",
    )
}

/// An MFA device: a virtual device ARN (`arn:aws:iam::123456789012:mfa/name`) or a hardware serial.
pub fn mfa_serial(identity: &str, value: &str) -> Result<(), ValidationError> {
    text(
        identity,
        "mfa_serial",
        value,
        (9, 256),
        |c| name_char(c) || c == ':' || c == '/',
        "letters, digits and _+=/:,.@-",
    )?;
    if value.starts_with("arn:") {
        arn(identity, "mfa_serial", value, "iam", "mfa/", "arn:aws:iam::123456789012:mfa/your-user")?;
    }
    Ok(())
}

/// The 6-digit one-time code. Never echoed back in the message: it is short-lived but still a credential.
pub fn mfa_code(identity: &str, value: &str) -> Result<(), ValidationError> {
    let len = value.chars().count();
    if len != 6 || !value.chars().all(|c| c.is_ascii_digit()) {
        let problem = if value.chars().all(|c| c.is_ascii_digit()) {
            format!("has {len} digits; an MFA code has exactly 6")
        } else {
            "must be digits only; an MFA code is exactly 6 digits".to_string()
        };
        return Err(violation(identity, "mfa_code", problem, "type the 6 digits your MFA device shows now"));
    }
    Ok(())
}

/// `arn:PARTITION:SERVICE::ACCOUNT:RESOURCE` with a resource starting `resource_prefix`.
fn arn(
    identity: &str,
    field: &str,
    value: &str,
    service: &str,
    resource_prefix: &str,
    example: &str,
) -> Result<(), ValidationError> {
    let bad = |problem: String| violation(identity, field, problem, format!("write it like {example}"));
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return Err(bad(format!("`{value}` is not an ARN (arn:partition:service::account:resource)")));
    }
    if !matches!(
        parts[1],
        "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b" | "aws-iso-e" | "aws-iso-f" | "aws-eusc"
    ) {
        return Err(bad(format!("has unknown partition `{}`", parts[1])));
    }
    if parts[2] != service {
        return Err(bad(format!("names service `{}`; it must be `{service}`", parts[2])));
    }
    if !parts[3].is_empty() {
        return Err(bad(format!("has region `{}`; IAM ARNs have an empty region", parts[3])));
    }
    let account_ok = parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit());
    // AWS-managed policies live under the pseudo-account `aws`.
    let managed_policy = resource_prefix == "policy/" && parts[4] == "aws";
    if !account_ok && !managed_policy {
        return Err(bad(format!("has account `{}`; an account ID is 12 digits", parts[4])));
    }
    let resource = parts[5];
    if !resource.starts_with(resource_prefix) || resource.len() == resource_prefix.len() || resource.ends_with('/') {
        return Err(bad(format!("has resource `{resource}`; it must be `{resource_prefix}NAME`")));
    }
    Ok(())
}

pub fn role_arn(identity: &str, value: &str) -> Result<(), ValidationError> {
    let len = value.chars().count();
    if !(20..=2048).contains(&len) {
        return Err(violation(
            identity,
            "role_arn",
            format!("is {len} characters long; STS accepts 20 to 2048"),
            "copy the role's ARN from the IAM console, like arn:aws:iam::123456789012:role/Auditor",
        ));
    }
    arn(identity, "role_arn", value, "iam", "role/", "arn:aws:iam::123456789012:role/Auditor")
}

pub fn policy_arns(identity: &str, values: &[String]) -> Result<(), ValidationError> {
    if values.len() > 10 {
        return Err(violation(
            identity,
            "policy_arns",
            format!("lists {} policies; STS accepts at most 10 managed session policies", values.len()),
            "remove some, or merge them into one managed policy",
        ));
    }
    for value in values {
        let len = value.chars().count();
        if !(20..=2048).contains(&len) {
            return Err(violation(
                identity,
                "policy_arns",
                format!("has `{value}`, {len} characters long; STS accepts 20 to 2048"),
                "use a managed policy ARN like arn:aws:iam::aws:policy/ReadOnlyAccess",
            ));
        }
        arn(identity, "policy_arns", value, "iam", "policy/", "arn:aws:iam::aws:policy/ReadOnlyAccess")?;
    }
    Ok(())
}

/// Checks an inline session policy and returns it minified, which is what is sent: STS counts
/// the characters it receives, and indentation would otherwise eat into the 2048 allowed.
pub fn inline_policy(identity: &str, field: &str, text: &str) -> Result<String, ValidationError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        violation(
            identity,
            field,
            format!("is not valid JSON ({e})"),
            "fix the policy document; `python3 -m json.tool FILE` shows where it breaks",
        )
    })?;
    if !value.is_object() {
        return Err(violation(
            identity,
            field,
            "is JSON but not an object",
            "write a policy document: {\"Version\": \"2012-10-17\", \"Statement\": [...]}",
        ));
    }
    let minified = minify(text);
    let len = minified.chars().count();
    if len > 2048 {
        return Err(violation(
            identity,
            field,
            format!("is {len} characters without whitespace; STS accepts at most 2048"),
            "shorten it, or move statements into a managed policy listed in `policy_arns`",
        ));
    }
    if let Some(bad) = minified.chars().find(|&c| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')) {
        return Err(violation(
            identity,
            field,
            format!("contains {bad:?}; STS accepts only characters U+0020 to U+00FF in a policy"),
            "replace it, or write it as a JSON \\u escape",
        ));
    }
    Ok(minified)
}

/// The JSON text with the whitespace between tokens removed and everything else kept as
/// written. Printing the parsed `serde_json::Value` instead would round numbers past f64 (found
/// by fuzzing: `-2000…028` became `-2.0001777777777777e+118`) and unescape `\uXXXX`, changing
/// the policy that is sent. `text` must already be valid JSON.
fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

pub fn tags(identity: &str, values: &BTreeMap<String, String>) -> Result<(), ValidationError> {
    if values.len() > 50 {
        return Err(violation(
            identity,
            "tags",
            format!("has {} session tags; STS accepts at most 50", values.len()),
            "remove some tags",
        ));
    }
    let chars = "letters, digits, spaces and _.:/=+-@";
    for (key, value) in values {
        text(identity, &format!("tags.{key}"), key, (1, 128), tag_char, chars)?;
        text(identity, &format!("tags.{key}"), value, (0, 256), tag_char, chars)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "test";

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn duration_ranges_per_operation() {
        use StsOperation::*;
        assert!(duration(ID, GetSessionToken, secs(900), false).is_ok());
        assert!(duration(ID, GetSessionToken, secs(129_600), false).is_ok());
        assert!(duration(ID, GetFederationToken, secs(129_600), false).is_ok());
        assert!(duration(ID, AssumeRole { chained: false }, secs(43_200), false).is_ok());
        assert!(duration(ID, AssumeRole { chained: true }, secs(3_600), false).is_ok());

        let e = duration(ID, GetSessionToken, secs(899), false).unwrap_err();
        assert_eq!(e.field, "duration");
        assert_eq!(e.problem, "is 14m59s, below the GetSessionToken minimum of 15m");
        assert_eq!(e.fix, "use a duration from 15m to 36h");
        let e = duration(ID, AssumeRole { chained: false }, secs(43_201), false).unwrap_err();
        assert_eq!(e.problem, "is 12h1s, above the AssumeRole maximum of 12h");
        let e = duration(ID, AssumeRole { chained: true }, secs(7200), false).unwrap_err();
        assert!(e.problem.contains("role chaining"), "{}", e.problem);
        assert_eq!(e.fix, "use a duration from 15m to 1h");
    }

    #[test]
    fn short_durations_only_where_allowed_and_never_zero() {
        assert!(duration(ID, StsOperation::GetSessionToken, secs(5), true).is_ok());
        assert!(duration(ID, StsOperation::GetSessionToken, secs(0), true).is_err());
        assert!(duration(ID, StsOperation::GetSessionToken, secs(5), false).is_err());
        assert!(duration(ID, StsOperation::GetSessionToken, secs(200_000), true).is_err());
    }

    #[test]
    fn session_and_federated_names() {
        assert!(role_session_name(ID, "audit-2024.q1@corp").is_ok());
        assert!(role_session_name(ID, &"a".repeat(64)).is_ok());
        let e = role_session_name(ID, "a").unwrap_err();
        assert_eq!(e.problem, "is 1 characters long; STS accepts 2 to 64");
        assert!(role_session_name(ID, &"a".repeat(65)).is_err());
        let e = role_session_name(ID, "my session").unwrap_err();
        assert_eq!(e.problem, "contains ' ', which STS does not accept");
        assert!(federated_name(ID, &"a".repeat(32)).is_ok());
        let e = federated_name(ID, &"a".repeat(33)).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.problem.as_str()),
            ("federated_name", "is 33 characters long; STS accepts 2 to 32")
        );
        assert!(source_identity(ID, "alice@example.com").is_ok());
        assert!(source_identity(ID, "a/b").is_err());
    }

    #[test]
    fn external_ids_allow_colon_and_slash() {
        assert!(external_id(ID, "partner:ext/42").is_ok());
        assert!(external_id(ID, "x").is_err());
        assert!(external_id(ID, &"x".repeat(1225)).is_err());
        assert!(external_id(ID, "tab\there").is_err());
    }

    #[test]
    fn mfa_serials_and_codes() {
        assert!(mfa_serial(ID, "arn:aws:iam::123456789012:mfa/alice").is_ok());
        assert!(mfa_serial(ID, "GAHT12345678").is_ok());
        let e = mfa_serial(ID, "arn:aws:iam::1234:mfa/alice").unwrap_err();
        assert!(e.problem.contains("12 digits"), "{}", e.problem);
        assert!(mfa_serial(ID, "arn:aws:iam::123456789012:user/alice").is_err());
        assert!(mfa_serial(ID, "short").is_err());

        assert!(mfa_code(ID, "012345").is_ok());
        let e = mfa_code(ID, "12345").unwrap_err();
        assert_eq!(e.problem, "has 5 digits; an MFA code has exactly 6");
        let e = mfa_code(ID, "12a456").unwrap_err();
        assert!(!e.to_string().contains("12a456"), "the code is never echoed: {e}");
        assert!(mfa_code(ID, "１２３４５６").is_err(), "full-width digits are not ASCII digits");
    }

    #[test]
    fn role_and_policy_arns() {
        assert!(role_arn(ID, "arn:aws:iam::123456789012:role/Auditor").is_ok());
        assert!(role_arn(ID, "arn:aws:iam::123456789012:role/path/to/Auditor").is_ok());
        assert!(role_arn(ID, "arn:aws-cn:iam::123456789012:role/Auditor").is_ok());
        for bad in [
            "arn:aws:iam::123456789012:user/Auditor",
            "arn:aws:s3::123456789012:role/Auditor",
            "arn:aws:iam:us-east-1:123456789012:role/Auditor",
            "arn:moon:iam::123456789012:role/Auditor",
            "arn:aws:iam::12345678901x:role/Auditor",
            "arn:aws:iam::123456789012:role/",
            "role/Auditor-but-long-enough",
            "short",
        ] {
            let e = role_arn(ID, bad).unwrap_err();
            assert_eq!(e.field, "role_arn", "{bad}");
            assert!(e.fix.contains("arn:aws:iam::123456789012:role/Auditor"), "{bad}: {}", e.fix);
        }
        assert!(policy_arns(ID, &["arn:aws:iam::aws:policy/ReadOnlyAccess".into()]).is_ok());
        assert!(policy_arns(ID, &["arn:aws:iam::123456789012:policy/team/Mine".into()]).is_ok());
        assert!(policy_arns(ID, &["arn:aws:iam::aws:role/ReadOnlyAccess".into()]).is_err());
        let eleven = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".to_string(); 11];
        let e = policy_arns(ID, &eleven).unwrap_err();
        assert_eq!(e.problem, "lists 11 policies; STS accepts at most 10 managed session policies");
    }

    #[test]
    fn inline_policies_are_minified_then_measured() {
        let pretty = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}";
        assert_eq!(inline_policy(ID, "policy", pretty).unwrap(), r#"{"Version":"2012-10-17","Statement":[]}"#);
        let e = inline_policy(ID, "policy", "{\"Version\": ").unwrap_err();
        assert!(e.problem.starts_with("is not valid JSON"), "{}", e.problem);
        assert!(inline_policy(ID, "policy", "[1]").is_err());
        let long = format!("{{\"Sid\": \"{}\"}}", "x".repeat(2100));
        let e = inline_policy(ID, "policy_file", &long).unwrap_err();
        assert_eq!(e.field, "policy_file");
        assert!(e.problem.contains("at most 2048"), "{}", e.problem);
        let e = inline_policy(ID, "policy", "{\"Sid\": \"✓\"}").unwrap_err();
        assert!(e.problem.contains("U+0020 to U+00FF"), "{}", e.problem);
        // ...which the fix says to write as an escape: that is kept, and accepted.
        assert_eq!(inline_policy(ID, "policy", "{\"Sid\": \"\\u2713\"}").unwrap(), r#"{"Sid":"\u2713"}"#);
    }

    #[test]
    fn minifying_keeps_numbers_strings_and_escapes_as_written() {
        let big = "{ \"n\" : -20001777777777777777777777777777777777777777028, \"f\": 1.10 }";
        assert_eq!(
            inline_policy(ID, "policy", big).unwrap(),
            r#"{"n":-20001777777777777777777777777777777777777777028,"f":1.10}"#
        );
        let strings = "{\"a b\": \" x \\\" y \\\\\", \"c\":\t[ 1 ,\n2 ]}";
        assert_eq!(inline_policy(ID, "policy", strings).unwrap(), r#"{"a b":" x \" y \\","c":[1,2]}"#);
    }

    #[test]
    fn session_tags() {
        let mut t = BTreeMap::new();
        t.insert("team".to_string(), "data eng".to_string());
        assert!(tags(ID, &t).is_ok());
        t.insert("bad!".to_string(), "x".to_string());
        let e = tags(ID, &t).unwrap_err();
        assert_eq!(e.field, "tags.bad!");
        let many: BTreeMap<String, String> = (0..51).map(|i| (format!("k{i}"), "v".to_string())).collect();
        assert!(tags(ID, &many).unwrap_err().problem.contains("at most 50"));
        let mut long = BTreeMap::new();
        long.insert("k".to_string(), "v".repeat(257));
        assert!(tags(ID, &long).is_err());
    }
}
