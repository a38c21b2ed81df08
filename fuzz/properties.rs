//! What every parser and validator must do with any input, checked by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/*.rs`) and, on generated inputs, by `tests/fuzz_properties.rs`:
//! never panic, refuse with a message that names what was wrong (the file, the identity, the
//! field), and give back what it accepted in a form it accepts again.
//!
//! Each function panics when a property fails, which is what a fuzzer reports as a crash.

#![allow(dead_code)] // each fuzz target uses one of these

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use s3lease::config::Catalog;
use s3lease::config::aws_profiles;
use s3lease::credentials::checks;
use s3lease::duration::{self, Compact};
use s3lease::error::ValidationError;
use s3lease::escape;
use s3lease::identity::{PolicySource, Spec};
use s3lease::keymap::{KeySpec, Keymap, KeymapError};
use s3lease::s3::list::decode_key;
use s3lease::s3::uri;
use s3lease::validate::{self, StsOperation};

/// The file the fuzzed config pretends to come from; nothing is ever read there.
const CONFIG: &str = "/nonexistent-s3lease-fuzz/config.toml";

/// A refusal of a local check: it names the identity and exactly the field it was asked about.
fn named(err: &ValidationError, identity: &str, field: &str) {
    let message = err.to_string();
    assert_eq!(err.identity, identity, "{message}");
    assert!(
        err.field == field || err.field.starts_with(&format!("{field}.")),
        "field {:?} for {field}: {message}",
        err.field
    );
    assert!(message.starts_with(&format!("identity `{identity}`: `{}` ", err.field)), "{message}");
    assert!(!err.problem.is_empty() && !err.fix.is_empty(), "{message}");
}

fn keymap_error(err: &KeymapError) {
    let message = err.to_string();
    assert!(message.starts_with("[keys]"), "{message}");
    if !err.action.is_empty() {
        assert!(message.contains(&format!("`{}`", err.action)), "the action is named: {message}");
    }
}

/// The TOML config: settings, identities and `[keys]`, then every identity's STS checks, and
/// the AWS CLI's INI format read from the same text.
pub fn config(text: &str) {
    let path = Path::new(CONFIG);
    for credentials_file in [false, true] {
        for (name, _keys) in aws_profiles::parse(text, credentials_file) {
            assert!(!name.is_empty() || credentials_file, "a config-file profile has a name");
        }
    }
    let catalog = match Catalog::from_parts(Some((path, text)), &[]) {
        Ok(catalog) => catalog,
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with(CONFIG), "the file is named: {message}");
            assert!(!e.message.trim().is_empty(), "{message}");
            if let Some(context) = &e.context {
                assert!(
                    context.starts_with("identity `")
                        || context.starts_with("[[identity]]")
                        || context.starts_with("[settings]"),
                    "the context names the table: {message}"
                );
            }
            return;
        }
    };
    assert!(catalog.get("default").is_some(), "the default chain is always offered");
    if let Err(e) = Keymap::with_overrides(&catalog.keys) {
        keymap_error(&e);
    }
    let allow_short = catalog.settings.allow_short_durations;
    for identity in catalog.identities() {
        // A policy file would be read from disk: not the parser's business, and not repeatable.
        let file_policy = match &identity.spec {
            Spec::Federation(s) => matches!(s.policy, Some(PolicySource::File(_))),
            Spec::AssumeRole(s) => matches!(s.policy, Some(PolicySource::File(_))),
            _ => false,
        };
        if file_policy {
            continue;
        }
        for temporary in [false, true] {
            if let Err(e) = checks::check(identity, Some(("src", "profile")), temporary, allow_short) {
                let message = e.to_string();
                assert_eq!(e.identity, identity.name, "{message}");
                assert!(message.contains(&format!("`{}`", e.field)), "{message}");
            }
        }
        let _ = catalog.describe_chain(&identity.name);
    }
}

/// `"1h30m"` durations: what parses prints back to the same duration.
pub fn duration(text: &str) {
    match duration::parse(text) {
        Ok(d) => {
            let shown = Compact(d).to_string();
            assert_eq!(duration::parse(&shown), Ok(d), "{text:?} printed as {shown:?}");
        }
        Err(e) => {
            let message = e.to_string();
            assert_eq!(e.input, text);
            assert!(message.starts_with(&format!("`{text}` is not a duration: ")), "{message}");
        }
    }
}

/// `s3://BUCKET/PREFIX`: what parses prints back to the same location.
pub fn s3_uri(text: &str) {
    match uri::parse(text) {
        Ok(u) => {
            assert!(!u.bucket.is_empty());
            assert!(u.prefix.len() <= 1024);
            assert_eq!(uri::parse(&u.to_string()), Ok(u.clone()), "{text:?}");
        }
        Err(message) => {
            assert!(
                message.contains("s3://") || message.contains("the prefix is"),
                "the message shows the expected form: {message}"
            );
        }
    }
}

/// One key per line; a line `action: key key` binds an action. Keys print back to themselves.
pub fn keymap(text: &str) {
    let mut overrides: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        match KeySpec::from_str(line) {
            Ok(key) => {
                let shown = key.to_string();
                assert_eq!(KeySpec::from_str(&shown), Ok(key), "{line:?} printed as {shown:?}");
            }
            Err(e) => {
                assert_eq!(e.input, line);
                assert!(e.message.contains("key"), "{}", e.message);
            }
        }
        if let Some((action, keys)) = line.split_once(": ") {
            overrides.insert(action.to_string(), keys.split(' ').map(str::to_string).collect());
        }
    }
    match Keymap::with_overrides(&overrides) {
        Ok(keymap) => {
            for (action, keys) in keymap.bindings() {
                assert!(!keys.is_empty(), "{action:?} has a key");
            }
        }
        Err(e) => keymap_error(&e),
    }
}

/// Every STS input check on the text as a whole, and on its lines as lists and tags.
pub fn sts_validators(text: &str) {
    const ID: &str = "fuzz";
    type Check = fn(&str, &str) -> Result<(), ValidationError>;
    let single: [(&str, Check); 7] = [
        ("session_name", validate::role_session_name),
        ("federated_name", validate::federated_name),
        ("source_identity", validate::source_identity),
        ("external_id", validate::external_id),
        ("mfa_serial", validate::mfa_serial),
        ("mfa_code", validate::mfa_code),
        ("role_arn", validate::role_arn),
    ];
    for (field, check) in single {
        if let Err(e) = check(ID, text) {
            named(&e, ID, field);
        }
    }
    for field in ["policy", "policy_file"] {
        match validate::inline_policy(ID, field, text) {
            Ok(minified) => {
                assert!(minified.chars().count() <= 2048);
                assert_eq!(validate::inline_policy(ID, field, &minified), Ok(minified.clone()), "minifying is stable");
            }
            Err(e) => named(&e, ID, field),
        }
    }
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    if let Err(e) = validate::policy_arns(ID, &lines) {
        named(&e, ID, "policy_arns");
    }
    let tags: BTreeMap<String, String> = lines
        .iter()
        .map(|l| l.split_once('=').unwrap_or((l, "")))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Err(e) = validate::tags(ID, &tags) {
        named(&e, ID, "tags");
    }
    let seconds = text.bytes().fold(0u64, |acc, b| acc.wrapping_mul(31).wrapping_add(u64::from(b)));
    for op in [
        StsOperation::GetSessionToken,
        StsOperation::GetFederationToken,
        StsOperation::AssumeRole { chained: false },
        StsOperation::AssumeRole { chained: true },
    ] {
        for d in [Duration::from_secs(seconds), Duration::from_secs(seconds % 200_000)] {
            for allow_short in [false, true] {
                match validate::duration(ID, op, d, allow_short) {
                    Ok(()) => {
                        let (min, max) = op.duration_range();
                        assert!(d.as_secs() <= max && (allow_short || d.as_secs() >= min) && d.as_secs() > 0);
                    }
                    Err(e) => named(&e, ID, "duration"),
                }
            }
        }
    }
    // A session policy may also come from a file, whose path is shown in the refusal.
    let policy = Some(PolicySource::File(PathBuf::from("/nonexistent-s3lease-fuzz/policy.json")));
    if let Err(e) = checks::policy_text(ID, policy.as_ref()) {
        named(&e, ID, "policy_file");
    }
}

/// Text from a server or a bucket: once escaped, nothing reaches the terminal that could
/// steer it, and percent-decoding never fails.
pub fn untrusted_text(text: &str) {
    let shown = escape::untrusted(text);
    assert!(!shown.chars().any(escape::needs_escape), "{text:?} escaped as {shown:?}");
    if shown == text {
        assert!(!text.chars().any(escape::needs_escape));
    }
    let kept = escape::untrusted_lines(text);
    assert!(!kept.chars().any(|c| c != '\n' && escape::needs_escape(c)), "{text:?} escaped as {kept:?}");
    assert_eq!(kept.lines().count(), text.lines().count(), "line breaks are kept");
    let json = escape::json_string(text);
    assert!(!json.chars().any(escape::needs_escape), "{json}");
    let back: String = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
    assert_eq!(back, text, "the JSON carries the exact text");
    // `%XX` is three characters for one byte, or for one replacement character (three bytes).
    assert!(decode_key(text).len() <= text.len());
}
