//! Bad input through the real binary: STS limits checked before any network call, and a table
//! of broken configs and command lines. Every case must exit 2 with `error: ...` naming what to
//! fix (the identity, the field or key, the limit), and nothing may ever panic.
//!
//! Uses the shared server (never changing it) only where a call would otherwise succeed, and a
//! closed port to prove the checks come first.

mod common;

use common::*;
use s3lease::testbed::Testbed;

/// Nothing listens on the discard port on loopback: any request there fails to connect.
const CLOSED_ENDPOINT: &str = "http://127.0.0.1:9";

/// What went wrong with `run`, or `None` if it exited 2 with every needle on stderr.
fn check_refused(run: &Run, needles: &[&str], absent: &[&str]) -> Option<String> {
    let mut problems = Vec::new();
    if run.code != 2 {
        problems.push(format!("exit code {} (expected 2)", run.code));
    }
    if run.stderr.contains("panicked") {
        problems.push("the binary panicked".to_string());
    }
    if let Some(c) = run.stderr.chars().find(|&c| common::hostile::is_steering(c)) {
        problems.push(format!("a raw {c:?} on stderr"));
    }
    if !run.stderr.starts_with("error: ") {
        problems.push("stderr does not start with `error: `".to_string());
    }
    for needle in needles {
        if !run.stderr.contains(needle) {
            problems.push(format!("stderr lacks {needle:?}"));
        }
    }
    for secret in absent {
        if run.stderr.contains(secret) || run.stdout.contains(secret) {
            problems.push(format!("the output echoes {secret:?}"));
        }
    }
    if problems.is_empty() {
        return None;
    }
    Some(format!("{}\n--- stdout\n{}--- stderr\n{}", problems.join("; "), run.stdout, run.stderr))
}

/// Panics listing every failed case, after all of them have run.
fn report(what: &str, total: usize, failures: Vec<String>) {
    eprintln!("{what}: {total} cases, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{} of {total} {what} cases failed:\n\n{}",
        failures.len(),
        failures.join("\n=====\n")
    );
}

// ---------------------------------------------------------------------------------------------
// STS limits, checked locally before any call.
// ---------------------------------------------------------------------------------------------

/// One identity (or a few) that breaks one STS limit, started with `args`.
struct Limit {
    label: &'static str,
    /// `[[identity]]` tables appended to the settings.
    identities: String,
    args: Vec<String>,
    /// Each must appear on stderr: the identity, the field, the limit.
    needles: Vec<String>,
    /// Must appear nowhere in the output (MFA codes).
    absent: Vec<String>,
}

fn limit(label: &'static str, identities: String, identity: &str, needles: &[&str]) -> Limit {
    let mut all = vec![format!("identity `{identity}`")];
    all.extend(needles.iter().map(|n| n.to_string()));
    Limit {
        label,
        identities,
        args: vec!["whoami".into(), "--identity".into(), identity.into()],
        needles: all,
        absent: Vec::new(),
    }
}

fn role_block(name: &str, source: &str, role_arn: &str, extra: &str) -> String {
    format!(
        "[[identity]]\nname = \"{name}\"\nkind = \"assume-role\"\nsource = \"{source}\"\nrole_arn = \"{role_arn}\"\nsession_name = \"{name}-session\"\n{extra}\n"
    )
}

fn federation_block(name: &str, source: &str, extra: &str) -> String {
    format!("[[identity]]\nname = \"{name}\"\nkind = \"federation\"\nsource = \"{source}\"\n{extra}\n")
}

fn session_block(name: &str, source: &str, extra: &str) -> String {
    format!("[[identity]]\nname = \"{name}\"\nkind = \"session-token\"\nsource = \"{source}\"\n{extra}\n")
}

const READ_POLICY: &str = r#"policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}'"#;

fn limit_cases(tb: &Testbed) -> Vec<Limit> {
    let m = &tb.manifest;
    let auditor = m.role("Auditor");
    let mfa = m.user("alice").mfa_serial.clone().expect("alice has an MFA device");
    let role = |name: &str, extra: &str| role_block(name, "admin", auditor, extra);
    let fed =
        |name: &str, extra: &str| federation_block(name, "alice", &format!("federated_name = \"reader\"\n{extra}"));
    // A valid role from long-term keys, for chains.
    let first_role = role_block("first-role", "admin", auditor, "");
    let mut cases = vec![
        // Durations below real STS's 15 minute minimum (no allow_short_durations here).
        limit(
            "session-token under 15m",
            session_block("st-short", "alice", "duration = \"10m\""),
            "st-short",
            &["`duration`", "is 10m", "GetSessionToken minimum of 15m"],
        ),
        limit(
            "assume-role under 15m",
            role("ar-short", "duration = \"899s\""),
            "ar-short",
            &["`duration`", "is 14m59s", "AssumeRole minimum of 15m"],
        ),
        limit(
            "federation under 15m",
            fed("fed-short", &format!("duration = \"5m\"\n{READ_POLICY}")),
            "fed-short",
            &["`duration`", "is 5m", "GetFederationToken minimum of 15m"],
        ),
        // Above the maxima.
        limit(
            "session-token over 36h",
            session_block("st-long", "alice", "duration = \"36h1s\""),
            "st-long",
            &["`duration`", "GetSessionToken maximum of 36h"],
        ),
        limit(
            "federation over 36h",
            fed("fed-long", &format!("duration = \"37h\"\n{READ_POLICY}")),
            "fed-long",
            &["`duration`", "GetFederationToken maximum of 36h"],
        ),
        limit(
            "assume-role over 12h",
            role("ar-long", "duration = \"12h1m\""),
            "ar-long",
            &["`duration`", "AssumeRole maximum of 12h"],
        ),
        limit(
            "chained assume-role over 1h",
            format!("{first_role}{}", role_block("chained-long", "first-role", auditor, "duration = \"2h\"")),
            "chained-long",
            &["`duration`", "AssumeRole maximum of 1h", "role chaining"],
        ),
        limit(
            "chained from a session token over 1h",
            format!(
                "{}{}",
                session_block("st-ok", "alice", "duration = \"1h\""),
                role_block("chained-st", "st-ok", auditor, "duration = \"90m\"")
            ),
            "chained-st",
            &["`duration`", "is 1h30m", "maximum of 1h", "role chaining"],
        ),
        // Names.
        limit(
            "session_name with a space",
            format!(
                "[[identity]]\nname = \"sn-space\"\nkind = \"assume-role\"\nsource = \"admin\"\nrole_arn = \"{auditor}\"\nsession_name = \"my session\"\n"
            ),
            "sn-space",
            &["`session_name`", "contains ' '", "letters, digits and _+=,.@-"],
        ),
        limit(
            "session_name of 1 char",
            format!(
                "[[identity]]\nname = \"sn-short\"\nkind = \"assume-role\"\nsource = \"admin\"\nrole_arn = \"{auditor}\"\nsession_name = \"a\"\n"
            ),
            "sn-short",
            &["`session_name`", "is 1 characters long", "2 to 64"],
        ),
        limit(
            "session_name of 65 chars",
            format!(
                "[[identity]]\nname = \"sn-long\"\nkind = \"assume-role\"\nsource = \"admin\"\nrole_arn = \"{auditor}\"\nsession_name = \"{}\"\n",
                "s".repeat(65)
            ),
            "sn-long",
            &["`session_name`", "is 65 characters long", "2 to 64"],
        ),
        limit(
            "federated_name of 33 chars",
            federation_block("fed-name", "alice", &format!("federated_name = \"{}\"\n{READ_POLICY}", "f".repeat(33))),
            "fed-name",
            &["`federated_name`", "is 33 characters long", "2 to 32"],
        ),
        limit(
            "external_id of 1 char",
            role("ext-short", "external_id = \"x\""),
            "ext-short",
            &["`external_id`", "is 1 characters long", "2 to 1224"],
        ),
        limit(
            "source_identity with a slash",
            role("si-slash", "source_identity = \"a/b\""),
            "si-slash",
            &["`source_identity`", "contains '/'"],
        ),
        // MFA.
        limit(
            "mfa_serial with a short account",
            session_block("mfa-bad-account", "alice", "mfa_serial = \"arn:aws:iam::1234:mfa/alice\""),
            "mfa-bad-account",
            &["`mfa_serial`", "an account ID is 12 digits"],
        ),
        limit(
            "mfa_serial naming a user",
            role("mfa-user-arn", "mfa_serial = \"arn:aws:iam::123456789012:user/alice\""),
            "mfa-user-arn",
            &["`mfa_serial`", "it must be `mfa/NAME`"],
        ),
        limit(
            "mfa_serial too short",
            session_block("mfa-short", "alice", "mfa_serial = \"GAHT1\""),
            "mfa-short",
            &["`mfa_serial`", "is 5 characters long", "9 to 256"],
        ),
        // Session policies.
        limit(
            "policy that is not JSON",
            role("pol-json", "policy = '{\"Version\": \"2012-10-17\", \"Statement\": ['"),
            "pol-json",
            &["`policy`", "is not valid JSON"],
        ),
        limit(
            "policy that is JSON but not an object",
            fed("pol-array", "policy = '[1, 2]'"),
            "pol-array",
            &["`policy`", "is JSON but not an object"],
        ),
        limit(
            "policy over 2048 chars",
            role("pol-long", &format!("policy = '{{\"Version\": \"2012-10-17\", \"Sid\": \"{}\"}}'", "x".repeat(2100))),
            "pol-long",
            &["`policy`", "without whitespace; STS accepts at most 2048"],
        ),
        limit(
            "policy with a character above U+00FF",
            fed("pol-char", "policy = '{\"Version\": \"2012-10-17\", \"Sid\": \"✓\"}'"),
            "pol-char",
            &["`policy`", "U+0020 to U+00FF"],
        ),
        limit(
            "policy_file that does not exist",
            fed("pol-file", "policy_file = \"no-such-policy.json\""),
            "pol-file",
            &["`policy_file`", "cannot be read", "no-such-policy.json"],
        ),
        limit(
            "11 policy_arns",
            role(
                "pol-arns",
                &format!(
                    "policy_arns = [{}]",
                    (0..11).map(|i| format!("\"arn:aws:iam::aws:policy/P{i}\"")).collect::<Vec<_>>().join(", ")
                ),
            ),
            "pol-arns",
            &["`policy_arns`", "lists 11 policies", "at most 10"],
        ),
        limit(
            "a policy_arn that is a role",
            fed("pol-arn-role", "policy_arns = [\"arn:aws:iam::aws:role/ReadOnlyAccess\"]"),
            "pol-arn-role",
            &["`policy_arns`", "policy/NAME"],
        ),
        // Session tags.
        limit(
            "51 tags",
            role(
                "tags-many",
                &format!("tags = {{ {} }}", (0..51).map(|i| format!("k{i} = \"v\"")).collect::<Vec<_>>().join(", ")),
            ),
            "tags-many",
            &["`tags`", "has 51 session tags", "at most 50"],
        ),
        limit(
            "a tag key with `!`",
            role("tags-char", "tags = { \"bad!\" = \"v\" }"),
            "tags-char",
            &["`tags.bad!`", "contains '!'"],
        ),
        // Temporary credentials where STS needs long-term keys.
        limit(
            "session-token from an assume-role",
            format!("{first_role}{}", session_block("st-from-role", "first-role", "")),
            "st-from-role",
            &["`source`", "`first-role` (assume-role)", "GetSessionToken with temporary credentials"],
        ),
        limit(
            "federation from a session-token",
            format!(
                "{}{}",
                session_block("st-base", "alice", ""),
                fed("fed-from-st", READ_POLICY).replace("\"alice\"", "\"st-base\"")
            ),
            "fed-from-st",
            &["`source`", "`st-base` (session-token)", "GetFederationToken with temporary credentials"],
        ),
    ];

    // Role ARNs of every wrong shape.
    for (label, arn, needle) in [
        ("role_arn naming a user", "arn:aws:iam::123456789012:user/Auditor", "it must be `role/NAME`"),
        ("role_arn of another service", "arn:aws:s3::123456789012:role/Auditor", "names service `s3`"),
        ("role_arn with a region", "arn:aws:iam:us-east-1:123456789012:role/Auditor", "has region `us-east-1`"),
        ("role_arn with an unknown partition", "arn:moon:iam::123456789012:role/Auditor", "unknown partition `moon`"),
        ("role_arn with a bad account", "arn:aws:iam::12345678901x:role/Auditor", "an account ID is 12 digits"),
        ("role_arn without a role name", "arn:aws:iam::123456789012:role/", "it must be `role/NAME`"),
        ("role_arn that is not an ARN", "role/Auditor-but-long-enough", "is not an ARN"),
        ("role_arn too short", "arn:aws:iam::1:r", "STS accepts 20 to 2048"),
    ] {
        cases.push(limit(label, role_block("bad-arn", "admin", arn, ""), "bad-arn", &["`role_arn`", needle]));
    }

    // MFA codes: refused before GetSessionToken, and never echoed back.
    for (label, code, needle) in [
        ("--mfa-code of 5 digits", "12345", "has 5 digits; an MFA code has exactly 6"),
        ("--mfa-code of letters", "abcdef", "must be digits only"),
        ("--mfa-code of 7 digits", "1234567", "has 7 digits"),
    ] {
        let mut case = limit(
            label,
            session_block("with-mfa", "alice", &format!("mfa_serial = \"{mfa}\"")),
            "with-mfa",
            &["`mfa_code`", needle],
        );
        case.args.extend(["--mfa-code".to_string(), code.to_string()]);
        case.absent.push(code.to_string());
        cases.push(case);
    }
    cases
}

fn settings(tb: &Testbed, endpoint: &str) -> String {
    format!("[settings]\nregion = \"{}\"\nendpoint_url = \"{endpoint}\"\n\n", tb.manifest.region)
}

/// Runs every limit case against `endpoint`; returns the failures.
fn run_limits(tb: &Testbed, endpoint: &str) -> (usize, Vec<String>) {
    let cases = limit_cases(tb);
    let mut failures = Vec::new();
    for case in &cases {
        let sb = Sandbox::with_config(tb, &format!("{}{}", settings(tb, endpoint), case.identities));
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let run = sb.run(&args);
        let needles: Vec<&str> = case.needles.iter().map(String::as_str).collect();
        let absent: Vec<&str> = case.absent.iter().map(String::as_str).collect();
        if let Some(problem) = check_refused(&run, &needles, &absent) {
            failures.push(format!("[{}] against {endpoint}: {problem}", case.label));
        }
    }
    (cases.len(), failures)
}

/// Against the shared server, which would accept most of these requests: only the local
/// checks stop them.
#[test]
fn sts_limits_are_refused_locally_with_the_field_and_the_limit() {
    let tb = testbed();
    // The control: the same shapes, within the limits, start fine against this server.
    let valid = format!(
        "{}{}{}{}{}",
        settings(tb, tb.endpoint()),
        session_block("st-ok", "alice", "duration = \"15m\""),
        role_block("role-ok", "admin", tb.manifest.role("Auditor"), "duration = \"12h\"\nexternal_id = \"ab\""),
        role_block("chained-ok", "role-ok", tb.manifest.role("Auditor"), "duration = \"1h\""),
        federation_block(
            "fed-ok",
            "alice",
            &format!("federated_name = \"{}\"\nduration = \"36h\"\n{READ_POLICY}", "f".repeat(32))
        ),
    );
    let sb = Sandbox::with_config(tb, &valid);
    for name in ["st-ok", "role-ok", "chained-ok", "fed-ok"] {
        let run = sb.run(&["whoami", "--identity", name]).ok();
        assert!(run.stdout.contains(&format!("identity  {name}")), "{}", run.stdout);
    }

    let (total, failures) = run_limits(tb, tb.endpoint());
    report("STS limit (live endpoint)", total, failures);
}

/// The same cases against a port where nothing listens: the validation error is what is
/// reported, so no request was attempted first.
#[test]
fn sts_limits_are_checked_before_any_network_call() {
    let tb = testbed();
    // The control: a valid identity against the closed port is a network failure (exit 1).
    let control = Sandbox::with_config(
        tb,
        &format!("{}{}", settings(tb, CLOSED_ENDPOINT), role_block("fine", "admin", tb.manifest.role("Auditor"), "")),
    );
    let run = control.run(&["whoami", "--identity", "fine"]).expect_code(1);
    assert!(run.stderr.contains("cannot reach http://127.0.0.1:9 for AssumeRole"), "{}", run.stderr);

    let (total, failures) = run_limits(tb, CLOSED_ENDPOINT);
    report("STS limit (closed port)", total, failures);
}

#[test]
fn short_durations_need_the_setting_and_never_allow_zero() {
    let tb = testbed();
    let base = format!("{}\nallow_short_durations = true\n\n", settings(tb, tb.endpoint()).trim_end());
    // With the setting, the local server's short sessions work...
    let sb = Sandbox::with_config(tb, &format!("{base}{}", session_block("st-5m", "alice", "duration = \"5m\"")));
    let run = sb.run(&["whoami", "--identity", "st-5m"]).ok();
    assert!(run.stdout.contains("kind      session-token"), "{}", run.stdout);
    // ...but a zero-length session and the maxima are still refused.
    let sb = Sandbox::with_config(tb, &format!("{base}{}", session_block("st-zero", "alice", "duration = \"0s\"")));
    let run = sb.run(&["whoami", "--identity", "st-zero"]);
    if let Some(problem) = check_refused(&run, &["identity `st-zero`", "`duration`", "is 0s"], &[]) {
        panic!("{problem}");
    }
    let sb = Sandbox::with_config(tb, &format!("{base}{}", session_block("st-long", "alice", "duration = \"37h\"")));
    let run = sb.run(&["whoami", "--identity", "st-long"]);
    if let Some(problem) = check_refused(&run, &["identity `st-long`", "`duration`", "maximum of 36h"], &[]) {
        panic!("{problem}");
    }
}

// ---------------------------------------------------------------------------------------------
// Broken configs and command lines: no server needed.
// ---------------------------------------------------------------------------------------------

struct Case {
    label: String,
    /// The s3lease config to write; `None` leaves it absent (S3LEASE_CONFIG still names it).
    config: Option<String>,
    /// `~/.aws/config` to write, if any.
    aws_config: Option<String>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    needles: Vec<String>,
}

impl Case {
    fn new(label: &str, config: Option<&str>, args: &[&str], needles: &[&str]) -> Case {
        Case {
            label: label.to_string(),
            config: config.map(str::to_string),
            aws_config: None,
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
            needles: needles.iter().map(|n| n.to_string()).collect(),
        }
    }
}

/// A config case: loading `config` (via `identities`) must fail naming `needles`.
fn config_case(label: &str, config: &str, needles: &[&str]) -> Case {
    Case::new(label, Some(config), &["identities"], needles)
}

/// A command-line case, with an empty config.
fn cli_case(label: &str, args: &[&str], needles: &[&str]) -> Case {
    Case::new(label, Some(""), args, needles)
}

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/Auditor";

/// An assume-role identity `r` from the default chain, valid except for `extra`.
fn role_with(extra: &str) -> String {
    format!(
        "[[identity]]\nname = \"r\"\nkind = \"assume-role\"\nsource = \"default\"\nrole_arn = \"{ROLE_ARN}\"\nsession_name = \"s\"\n{extra}\n"
    )
}

fn table() -> Vec<Case> {
    let mut cases = vec![
        // Key bindings are checked before the UI takes the screen.
        Case::new(
            "[keys] conflict",
            Some("[keys]\nfilter = [\"j\"]\n"),
            &[],
            &["`j` is bound to both", "`down`", "`filter`"],
        ),
        Case::new("[keys] unknown action", Some("[keys]\njump = [\"x\"]\n"), &[], &["`jump`"]),
        Case::new("[keys] bad key", Some("[keys]\nup = [\"Ctrl-\"]\n"), &[], &["`Ctrl-` is not a key"]),
        config_case("[keys] not a list", "[keys]\nup = \"k\"\n", &["line 2", "up = \"k\"", "expected a sequence"]),
        // Unknown keys, at every level.
        config_case("unknown top-level key", "regoin = \"eu-west-1\"\n", &["unknown field `regoin`", "line 1"]),
        config_case("misspelled [settings] table", "[setting]\nregion = \"x\"\n", &["unknown field `setting`"]),
        config_case(
            "unknown [settings] key",
            "[settings]\nregion = \"eu-west-1\"\nwarn_befor = \"1m\"\n",
            &["unknown field `warn_befor`", "line 3"],
        ),
        config_case("unknown [[identity]] key", &role_with("rolearn = \"x\""), &["identity `r`", "key `rolearn`"]),
        config_case(
            "key of another kind on a profile",
            "[[identity]]\nname = \"p\"\nkind = \"profile\"\nsource = \"default\"\n",
            &["identity `p`", "key `source`", "unknown field `source`"],
        ),
        config_case(
            "policy on a session-token",
            &format!("{}policy = '{{}}'\n", session_block("st", "default", "")),
            &["identity `st`", "key `policy`"],
        ),
        // Wrong types.
        config_case("[settings] region as a number", "[settings]\nregion = 5\n", &["region = 5", "expected a string"]),
        config_case(
            "[settings] auto_refresh as a string",
            "[settings]\nauto_refresh = \"yes\"\n",
            &["auto_refresh", "expected a boolean"],
        ),
        config_case(
            "[settings] path_style as a string",
            "[settings]\npath_style = \"no\"\n",
            &["path_style", "expected a boolean"],
        ),
        config_case("identity as a string", "identity = \"x\"\n", &["identity = \"x\"", "expected a sequence"]),
        config_case("settings as an array", "settings = [1]\n", &["settings = [1]", "line 1"]),
        config_case(
            "name as a number",
            "[[identity]]\nname = 5\nkind = \"profile\"\n",
            &["key `name`", "must be a string, not integer"],
        ),
        config_case(
            "kind as a boolean",
            "[[identity]]\nname = \"k\"\nkind = true\n",
            &["identity `k`", "key `kind`", "must be a string"],
        ),
        config_case(
            "role_arn as a number",
            "[[identity]]\nname = \"r\"\nkind = \"assume-role\"\nsource = \"default\"\nrole_arn = 5\nsession_name = \"s\"\n",
            &["identity `r`", "key `role_arn`", "expected a string"],
        ),
        config_case("duration as a number", &role_with("duration = 900"), &["identity `r`", "key `duration`"]),
        config_case("tags as a string", &role_with("tags = \"team=data\""), &["identity `r`", "key `tags`"]),
        config_case(
            "policy_arns as a string",
            &role_with("policy_arns = \"arn:aws:iam::aws:policy/ReadOnlyAccess\""),
            &["identity `r`", "key `policy_arns`"],
        ),
        config_case(
            "policy as a table",
            &role_with("policy = { Version = \"2012-10-17\" }"),
            &["identity `r`", "key `policy`", "must be a string, not table"],
        ),
        // Names, kinds and sources.
        config_case(
            "duplicate names",
            "[[identity]]\nname = \"a\"\nkind = \"profile\"\n\n[[identity]]\nname = \"a\"\nkind = \"profile\"\n",
            &["identity `a` (line 5)", "key `name`", "already used by the identity at line 1"],
        ),
        config_case("empty name", "[[identity]]\nname = \" \"\nkind = \"profile\"\n", &["key `name`", "is empty"]),
        config_case(
            "missing name",
            "[[identity]]\nkind = \"profile\"\n",
            &["[[identity]] at line 1", "missing key `name`"],
        ),
        config_case(
            "missing kind",
            "[[identity]]\nname = \"x\"\nprofile = \"dev\"\n",
            &["identity `x`", "key `kind`", "is missing", "profile, session-token, federation, assume-role"],
        ),
        config_case(
            "unknown kind",
            "[[identity]]\nname = \"x\"\nkind = \"role\"\n",
            &["identity `x`", "key `kind`", "`role` is not a kind"],
        ),
        config_case(
            "source naming nothing",
            &session_block("st", "nobody", ""),
            &["identity `st`", "key `source`", "names `nobody`, which is not an identity"],
        ),
        config_case(
            "source naming itself",
            &session_block("me", "me", ""),
            &["identity `me`", "key `source`", "the source chain loops (me -> me)"],
        ),
        config_case(
            "two-identity source cycle",
            &format!("{}{}", session_block("a", "b", ""), role_block("b", "a", ROLE_ARN, "")),
            &["key `source`", "the source chain loops", "a -> b -> a"],
        ),
        config_case(
            "three-identity source cycle",
            &format!(
                "{}{}{}",
                role_block("x", "y", ROLE_ARN, ""),
                role_block("y", "z", ROLE_ARN, ""),
                role_block("z", "x", ROLE_ARN, "")
            ),
            &["key `source`", "x -> y -> z -> x"],
        ),
        config_case(
            "session-token without source",
            "[[identity]]\nname = \"st\"\nkind = \"session-token\"\nduration = \"1h\"\n",
            &["identity `st`", "key `source`", "missing field `source`"],
        ),
        config_case(
            "assume-role without role_arn",
            "[[identity]]\nname = \"r\"\nkind = \"assume-role\"\nsource = \"default\"\nsession_name = \"s\"\n",
            &["identity `r`", "key `role_arn`", "missing field `role_arn`"],
        ),
        config_case(
            "assume-role without session_name",
            &format!(
                "[[identity]]\nname = \"r\"\nkind = \"assume-role\"\nsource = \"default\"\nrole_arn = \"{ROLE_ARN}\"\n"
            ),
            &["identity `r`", "key `session_name`", "is missing"],
        ),
        config_case(
            "federation without federated_name",
            &federation_block("f", "default", READ_POLICY),
            &["identity `f`", "key `federated_name`", "missing field `federated_name`"],
        ),
        config_case(
            "federation with policy and policy_file",
            &federation_block(
                "f",
                "default",
                &format!("federated_name = \"reader\"\n{READ_POLICY}\npolicy_file = \"p.json\""),
            ),
            &["identity `f`", "key `policy_file`", "is set together with `policy`"],
        ),
        config_case(
            "federation without any policy",
            &federation_block("f", "default", "federated_name = \"reader\""),
            &["identity `f`", "key `policy`", "is missing", "policy_arns"],
        ),
        // Durations in identities and in [settings].
        config_case(
            "identity duration \"10 minutes\"",
            &role_with("duration = \"10 minutes\""),
            &["identity `r`", "key `duration`", "`10 minutes` is not a duration"],
        ),
        config_case(
            "identity duration \"5\"",
            &role_with("duration = \"5\""),
            &["identity `r`", "key `duration`", "`5` is not a duration", "no unit"],
        ),
        config_case(
            "identity duration \"1d\"",
            &role_with("duration = \"1d\""),
            &["identity `r`", "key `duration`", "`1d` is not a duration", "units are h, m and s"],
        ),
        config_case(
            "identity duration \"30m1h\"",
            &role_with("duration = \"30m1h\""),
            &["identity `r`", "key `duration`", "`30m1h` is not a duration", "largest to smallest"],
        ),
        config_case(
            "warn_before \"10 minutes\"",
            "[settings]\nwarn_before = \"10 minutes\"\n",
            &["warn_before", "line 2", "`10 minutes` is not a duration"],
        ),
        config_case(
            "refresh_before \"5\"",
            "[settings]\nrefresh_before = \"5\"\n",
            &["refresh_before", "line 2", "`5` is not a duration"],
        ),
        config_case(
            "critical_before \"1d\"",
            "[settings]\ncritical_before = \"1d\"\n",
            &["critical_before", "`1d` is not a duration"],
        ),
        config_case(
            "warn_before \"30m1h\"",
            "[settings]\nregion = \"x\"\nwarn_before = \"30m1h\"\n",
            &["warn_before", "line 3", "`30m1h` is not a duration"],
        ),
        // Settings checked against each other.
        config_case(
            "critical_before longer than warn_before",
            "[settings]\nwarn_before = \"5m\"\ncritical_before = \"10m\"\n",
            &["[settings] key `critical_before`", "is 10m, longer than warn_before (5m)"],
        ),
        config_case(
            "critical_before longer than the default warn_before",
            "[settings]\ncritical_before = \"11m\"\n",
            &["[settings] key `critical_before`", "longer than warn_before (10m)"],
        ),
        config_case(
            "transfer_concurrency of zero",
            "[settings]\ntransfer_concurrency = 0\n",
            &["[settings] key `transfer_concurrency`", "is 0; it must be between 1 and 64 at once"],
        ),
        config_case(
            "transfer_concurrency past the limit",
            "[settings]\ntransfer_concurrency = 500\n",
            &["[settings] key `transfer_concurrency`", "is 500; it must be between 1 and 64"],
        ),
        config_case(
            "list_concurrency negative",
            "[settings]\nlist_concurrency = -3\n",
            &["[settings] key `list_concurrency`", "is -3; it must be between 1 and 64", "list_concurrency = 8"],
        ),
        config_case(
            "read_timeout \"30\"",
            "[settings]\nread_timeout = \"30\"\n",
            &["read_timeout", "line 2", "`30` is not a duration", "no unit"],
        ),
        config_case(
            "read_timeout of zero",
            "[settings]\nread_timeout = \"0s\"\n",
            &["[settings] key `read_timeout`", "is 0s; it must be between 1s and 1h", "read_timeout = \"1m\""],
        ),
        config_case(
            "connect_timeout past the limit",
            "[settings]\nconnect_timeout = \"2h\"\n",
            &["[settings] key `connect_timeout`", "is 2h; it must be between 1s and 1h", "connect_timeout = \"5s\""],
        ),
        config_case(
            "allow_short_durations without an endpoint",
            "[settings]\nallow_short_durations = true\n",
            &["[settings] key `allow_short_durations`", "set endpoint_url or sts_endpoint_url"],
        ),
        config_case(
            "endpoint_url without a scheme",
            "[settings]\nendpoint_url = \"localhost:9000\"\n",
            &["[settings] key `endpoint_url`", "`localhost:9000` is not an http:// or https:// URL"],
        ),
        config_case(
            "sts_endpoint_url with another scheme",
            "[settings]\nsts_endpoint_url = \"ftp://127.0.0.1:9000\"\n",
            &["[settings] key `sts_endpoint_url`", "is not an http:// or https:// URL"],
        ),
        config_case(
            "endpoint_url with only a scheme",
            "[settings]\nendpoint_url = \"http://\"\n",
            &["[settings] key `endpoint_url`", "is not an http:// or https:// URL"],
        ),
        // TOML syntax.
        config_case(
            "unterminated string",
            "[settings]\nregion = \"eu-west-1\"\nendpoint_url = \"http://127.0.0.1:9000\n",
            &["TOML parse error at line 3"],
        ),
        config_case("unclosed table header", "\n[settings\nregion = \"x\"\n", &["TOML parse error at line 2"]),
        config_case(
            "duplicate key",
            "[settings]\nregion = \"a\"\nregion = \"b\"\n",
            &["TOML parse error at line 3", "duplicate key"],
        ),
        // The command line.
        cli_case("unknown subcommand", &["lsit"], &["`lsit` is neither a subcommand nor an S3 URI"]),
        cli_case("unknown flag", &["ls", "--recursiv"], &["unexpected argument '--recursiv'"]),
        cli_case("unknown global flag", &["--verbose", "identities"], &["unexpected argument '--verbose'"]),
        cli_case("extra positional argument", &["whoami", "extra"], &["unexpected argument 'extra'"]),
        cli_case(
            "env --format xml",
            &["env", "--identity", "default", "--format", "xml"],
            &["invalid value 'xml' for '--format <FORMAT>'", "sh, fish, json"],
        ),
        cli_case("env without --identity", &["env"], &["required arguments were not provided", "--identity <NAME>"]),
        cli_case(
            "credential-process without --identity",
            &["credential-process"],
            &["required arguments were not provided", "--identity <NAME>"],
        ),
        cli_case("--identity without a value", &["whoami", "--identity"], &["--identity <NAME>"]),
        cli_case("no subcommand, no terminal", &[], &["the terminal UI needs a terminal"]),
        cli_case("TUI at a bad URI", &["s3://bad bucket/"], &["is not a bucket name"]),
        cli_case(
            "ls with a bare bucket name",
            &["ls", "demo-data"],
            &["`demo-data` is not an S3 URI", "must start with s3://"],
        ),
        cli_case("ls with an https URL", &["ls", "https://demo-data.s3.amazonaws.com/x"], &["must start with s3://"]),
        cli_case("ls with no bucket", &["ls", "s3:///logs/"], &["`s3:///logs/` has no bucket name"]),
        cli_case("ls with a space in the bucket", &["ls", "s3://my bucket/x"], &["`my bucket` is not a bucket name"]),
        cli_case(
            "ls with a bucket name of 256 characters",
            &["ls", &format!("s3://{}/", "b".repeat(256))],
            &["is not a bucket name", "at most 255"],
        ),
        cli_case(
            "ls with a prefix of 1,025 bytes",
            &["ls", &format!("s3://b/{}", "k".repeat(1025))],
            &["the prefix is 1025 bytes long", "at most 1024 bytes"],
        ),
        cli_case(
            "ls with an escape sequence in the bucket",
            &["ls", "s3://b\u{1b}]0;pwned\u{7}/"],
            &["`b\\u{1b}]0;pwned\\u{7}` is not a bucket name"],
        ),
        cli_case(
            "ls --concurrency 0",
            &["ls", "--recursive", "--concurrency", "0", "s3://b/"],
            &["invalid value '0' for '--concurrency <N>'", "1..=64"],
        ),
        cli_case(
            "ls --concurrency 65",
            &["ls", "--recursive", "--concurrency", "65", "s3://b/"],
            &["invalid value '65' for '--concurrency <N>'", "1..=64"],
        ),
        cli_case(
            "ls --concurrency not a number",
            &["ls", "--recursive", "--concurrency", "many", "s3://b/"],
            &["invalid value 'many' for '--concurrency <N>'"],
        ),
        cli_case(
            "ls --concurrency without --recursive",
            &["ls", "--concurrency", "4", "s3://b/"],
            &["--recursive", "required arguments were not provided"],
        ),
        cli_case(
            "env --format empty",
            &["env", "--identity", "default", "--format", ""],
            &["a value is required for '--format <FORMAT>'", "sh, fish, json"],
        ),
        cli_case("demo --big-keys -1", &["demo", "--big-keys=-1"], &["invalid value '-1' for '--big-keys <N>'"]),
        cli_case(
            "whoami --identity with an escape sequence",
            &["whoami", "--identity", "x\u{1b}]0;pwned\u{7}"],
            &["no identity named `x\\u{1b}]0;pwned\\u{7}`"],
        ),
        // Key bindings: every way a key or a list can be wrong.
        Case::new(
            "[keys] empty list",
            Some("[keys]\nup = []\n"),
            &[],
            &["[keys] `up`", "an empty list would leave `up` without a key"],
        ),
        Case::new(
            "[keys] Shift with a symbol",
            Some("[keys]\nhelp = [\"Shift-/\"]\n"),
            &[],
            &["[keys] `help`", "Shift- goes only with letters and named keys"],
        ),
        Case::new(
            "[keys] F13",
            Some("[keys]\nreload = [\"F13\"]\n"),
            &[],
            &["[keys] `reload`", "function keys go from F1 to F12"],
        ),
        Case::new(
            "[keys] a modifier twice",
            Some("[keys]\nquit = [\"Ctrl-Ctrl-q\"]\n"),
            &[],
            &["[keys] `quit`", "`Ctrl-` is written twice"],
        ),
        Case::new(
            "[keys] a key with a space",
            Some("[keys]\nfilter = [\"Ctrl- f\"]\n"),
            &[],
            &["[keys] `filter`", "keys contain no spaces"],
        ),
        Case::new(
            "[keys] an unknown modifier",
            Some("[keys]\ndown = [\"Hyper-j\"]\n"),
            &[],
            &["[keys] `down`", "`Hyper` is not a modifier"],
        ),
        Case::new(
            "[keys] an empty key",
            Some("[keys]\nup = [\"\"]\n"),
            &[],
            &["[keys] `up`", "an empty string is not a key"],
        ),
        config_case("[keys] a number for a key", "[keys]\nup = [5]\n", &["up = [5]", "line 2"]),
        // Durations, in identities and settings.
        config_case(
            "identity duration empty",
            &role_with("duration = \"\""),
            &["identity `r`", "key `duration`", "is not a duration: it is empty"],
        ),
        config_case(
            "identity duration too large",
            &role_with("duration = \"99999999999999999999h\""),
            &["identity `r`", "key `duration`", "the number is too large"],
        ),
        config_case(
            "identity duration negative",
            &role_with("duration = \"-15m\""),
            &["identity `r`", "key `duration`", "each part must start with a whole number"],
        ),
        config_case(
            "identity duration with a unit twice",
            &role_with("duration = \"1h1h\""),
            &["identity `r`", "key `duration`", "largest to smallest, each once"],
        ),
        config_case(
            "warn_before empty",
            "[settings]\nwarn_before = \"\"\n",
            &["warn_before = \"\"", "is not a duration: it is empty"],
        ),
        config_case(
            "refresh_before as a number",
            "[settings]\nrefresh_before = 300\n",
            &["refresh_before = 300", "expected a string"],
        ),
        // Concurrency settings.
        config_case(
            "list_concurrency of zero",
            "[settings]\nlist_concurrency = 0\n",
            &["[settings] key `list_concurrency`", "is 0; it must be between 1 and 64"],
        ),
        config_case(
            "transfer_concurrency of 65",
            "[settings]\ntransfer_concurrency = 65\n",
            &["[settings] key `transfer_concurrency`", "is 65; it must be between 1 and 64"],
        ),
        config_case(
            "list_concurrency as a string",
            "[settings]\nlist_concurrency = \"8\"\n",
            &["list_concurrency", "line 2"],
        ),
        config_case(
            "transfer_concurrency as a float",
            "[settings]\ntransfer_concurrency = 1.5\n",
            &["transfer_concurrency", "line 2"],
        ),
        cli_case(
            "whoami --identity nobody",
            &["whoami", "--identity", "nobody"],
            &["no identity named `nobody`", "known: default"],
        ),
        cli_case(
            "ls --identity nobody",
            &["ls", "--identity", "nobody", "s3://demo-data"],
            &["no identity named `nobody`"],
        ),
        cli_case("env --identity nobody", &["env", "--identity", "nobody"], &["no identity named `nobody`"]),
        cli_case(
            "credential-process --identity nobody",
            &["credential-process", "--identity", "nobody"],
            &["no identity named `nobody`"],
        ),
    ];

    // Config files that are not there, named on the command line or in the environment.
    cases.push(Case::new(
        "--config naming a missing file",
        Some(""),
        &["--config", "/nonexistent-s3lease-dir/s3lease.toml", "identities"],
        &["/nonexistent-s3lease-dir/s3lease.toml", "no such file"],
    ));
    cases.push(Case::new(
        "S3LEASE_CONFIG naming a missing file",
        None,
        &["identities"],
        &["absent.toml", "no such file"],
    ));
    cases.push(Case::new("S3LEASE_CONFIG missing, whoami", None, &["whoami"], &["absent.toml", "no such file"]));

    // The identity named in the environment.
    let mut env_identity =
        Case::new("S3LEASE_IDENTITY naming nothing", Some(""), &["whoami"], &["no identity named `ghost`"]);
    env_identity.env.push(("S3LEASE_IDENTITY".into(), "ghost".into()));
    cases.push(env_identity);

    // An AWS CLI role profile with a duration s3lease cannot read, used by name.
    let mut aws = Case::new(
        "AWS profile duration_seconds = 1h",
        Some(""),
        &["whoami", "--identity", "slow-role"],
        &["profile `slow-role`", "key `duration_seconds`", "`1h` is not a whole number of seconds"],
    );
    aws.aws_config = Some(format!(
        "[profile base]\nregion = us-east-1\n\n[profile slow-role]\nrole_arn = {ROLE_ARN}\nsource_profile = base\nduration_seconds = 1h\n"
    ));
    cases.push(aws);
    // The same profile's file names the source that is missing.
    let mut orphan = Case::new(
        "AWS role profile whose source_profile is missing",
        Some(""),
        &["whoami", "--identity", "orphan"],
        &["identity `orphan`", "key `source`", "names `nowhere`"],
    );
    orphan.aws_config =
        Some(format!("[profile orphan]\nrole_arn = {ROLE_ARN}\nsource_profile = nowhere\nrole_session_name = o\n"));
    cases.push(orphan);
    cases
}

/// The field each case is about, exactly as the message must name it: the config key
/// (`key \`x\``, or the line TOML quotes), the `[keys]` action, the flag or argument, the
/// identity or the file. Every case of the table needs one.
fn field(label: &str) -> Option<&'static str> {
    Some(match label {
        "[keys] conflict" => "`filter`",
        "[keys] unknown action" => "[keys] `jump`",
        "[keys] bad key" => "[keys] `up`",
        "[keys] not a list" => "up = \"k\"",
        "unknown top-level key" => "unknown field `regoin`",
        "misspelled [settings] table" => "unknown field `setting`",
        "unknown [settings] key" => "unknown field `warn_befor`",
        "unknown [[identity]] key" => "key `rolearn`",
        "key of another kind on a profile" => "key `source`",
        "policy on a session-token" => "key `policy`",
        "[settings] region as a number" => "region = 5",
        "[settings] auto_refresh as a string" => "auto_refresh = \"yes\"",
        "[settings] path_style as a string" => "path_style = \"no\"",
        "identity as a string" => "identity = \"x\"",
        "settings as an array" => "settings = [1]",
        "name as a number" | "duplicate names" | "empty name" => "key `name`",
        "missing name" => "missing key `name`",
        "kind as a boolean" | "missing kind" | "unknown kind" => "key `kind`",
        "role_arn as a number" | "assume-role without role_arn" => "key `role_arn`",
        "duration as a number"
        | "identity duration \"10 minutes\""
        | "identity duration \"5\""
        | "identity duration \"1d\""
        | "identity duration \"30m1h\""
        | "identity duration empty"
        | "identity duration too large"
        | "identity duration negative"
        | "identity duration with a unit twice" => "key `duration`",
        "tags as a string" => "key `tags`",
        "policy_arns as a string" => "key `policy_arns`",
        "policy as a table" | "federation without any policy" => "key `policy`",
        "source naming nothing"
        | "source naming itself"
        | "two-identity source cycle"
        | "three-identity source cycle"
        | "session-token without source"
        | "AWS role profile whose source_profile is missing" => "key `source`",
        "assume-role without session_name" => "key `session_name`",
        "federation without federated_name" => "key `federated_name`",
        "federation with policy and policy_file" => "key `policy_file`",
        "warn_before \"10 minutes\"" => "warn_before = \"10 minutes\"",
        "refresh_before \"5\"" => "refresh_before = \"5\"",
        "critical_before \"1d\"" => "critical_before = \"1d\"",
        "warn_before \"30m1h\"" => "warn_before = \"30m1h\"",
        "warn_before empty" => "warn_before = \"\"",
        "refresh_before as a number" => "refresh_before = 300",
        "critical_before longer than warn_before" | "critical_before longer than the default warn_before" => {
            "[settings] key `critical_before`"
        }
        "transfer_concurrency of zero" | "transfer_concurrency past the limit" | "transfer_concurrency of 65" => {
            "[settings] key `transfer_concurrency`"
        }
        "list_concurrency negative" | "list_concurrency of zero" => "[settings] key `list_concurrency`",
        "list_concurrency as a string" => "list_concurrency = \"8\"",
        "read_timeout \"30\"" => "read_timeout = \"30\"",
        "read_timeout of zero" => "[settings] key `read_timeout`",
        "connect_timeout past the limit" => "[settings] key `connect_timeout`",
        "transfer_concurrency as a float" => "transfer_concurrency = 1.5",
        "allow_short_durations without an endpoint" => "[settings] key `allow_short_durations`",
        "endpoint_url without a scheme" | "endpoint_url with only a scheme" => "[settings] key `endpoint_url`",
        "sts_endpoint_url with another scheme" => "[settings] key `sts_endpoint_url`",
        "unterminated string" => "endpoint_url = \"http://127.0.0.1:9000",
        "unclosed table header" => "[settings",
        "duplicate key" => "region = \"b\"",
        "unknown subcommand" => "`lsit`",
        "unknown flag" => "'--recursiv'",
        "unknown global flag" => "'--verbose'",
        "extra positional argument" => "'extra'",
        "env --format xml" | "env --format empty" => "'--format <FORMAT>'",
        "env without --identity" | "credential-process without --identity" => "--identity <NAME>",
        "--identity without a value" => "'--identity <NAME>'",
        // No argument at all: what is missing is the subcommand, and the message lists them.
        "no subcommand, no terminal" => "`s3lease ls`",
        "TUI at a bad URI" => "`bad bucket`",
        "ls with a bare bucket name" => "`demo-data`",
        "ls with an https URL" => "`https://demo-data.s3.amazonaws.com/x`",
        "ls with no bucket" => "`s3:///logs/`",
        "ls with a space in the bucket" => "`my bucket`",
        "ls with a bucket name of 256 characters" => "is not a bucket name",
        "ls with a prefix of 1,025 bytes" => "the prefix",
        "ls with an escape sequence in the bucket" => "`b\\u{1b}]0;pwned\\u{7}`",
        "ls --concurrency 0" | "ls --concurrency 65" | "ls --concurrency not a number" => "'--concurrency <N>'",
        "ls --concurrency without --recursive" => "--recursive",
        "demo --big-keys -1" => "'--big-keys <N>'",
        "whoami --identity with an escape sequence" => "identity named `x\\u{1b}]0;pwned\\u{7}`",
        "[keys] empty list" | "[keys] an empty key" => "[keys] `up`",
        "[keys] Shift with a symbol" => "[keys] `help`",
        "[keys] F13" => "[keys] `reload`",
        "[keys] a modifier twice" => "[keys] `quit`",
        "[keys] a key with a space" => "[keys] `filter`",
        "[keys] an unknown modifier" => "[keys] `down`",
        "[keys] a number for a key" => "up = [5]",
        "whoami --identity nobody"
        | "ls --identity nobody"
        | "env --identity nobody"
        | "credential-process --identity nobody" => "identity named `nobody`",
        "--config naming a missing file" => "/nonexistent-s3lease-dir/s3lease.toml",
        "S3LEASE_CONFIG naming a missing file" | "S3LEASE_CONFIG missing, whoami" => "absent.toml",
        "S3LEASE_IDENTITY naming nothing" => "identity named `ghost`",
        "AWS profile duration_seconds = 1h" => "key `duration_seconds`",
        _ => return None,
    })
}

fn run_case(case: &Case) -> Run {
    let mut sb = Sandbox::bare();
    if let Some(text) = &case.config {
        std::fs::write(&sb.config, text).expect("write the config");
    }
    if let Some(text) = &case.aws_config {
        std::fs::create_dir_all(sb.aws_config.parent().expect("aws dir")).expect("create the aws dir");
        std::fs::write(&sb.aws_config, text).expect("write the AWS config");
    }
    sb.env.extend(case.env.iter().cloned());
    let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
    sb.run(&args)
}

#[test]
fn every_bad_config_and_argument_exits_2_naming_what_to_fix() {
    let cases = table();
    assert!(cases.len() >= 40, "the table has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let Some(field) = field(&case.label) else {
            failures.push(format!("[{}] names no field in `field()`", case.label));
            continue;
        };
        let run = run_case(case);
        let mut needles: Vec<&str> = vec![field];
        needles.extend(case.needles.iter().map(String::as_str));
        if let Some(problem) = check_refused(&run, &needles, &[]) {
            failures.push(format!("[{}] {:?}: {problem}", case.label, case.args));
        }
    }
    report("bad config / argument", cases.len(), failures);
}

/// A broken AWS profile that is never used must not stop identities that do not involve it
/// (the catalog says so: "an odd AWS profile only matters if used").
#[test]
fn an_unused_broken_aws_profile_does_not_stop_other_identities() {
    let sb = Sandbox::bare();
    std::fs::write(&sb.config, "").expect("write the config");
    std::fs::create_dir_all(sb.aws_config.parent().expect("aws dir")).expect("create the aws dir");
    std::fs::write(
        &sb.aws_config,
        format!(
            "[profile base]\nregion = us-east-1\n\n[profile slow-role]\nrole_arn = {ROLE_ARN}\nsource_profile = base\nduration_seconds = 1h\n"
        ),
    )
    .expect("write the AWS config");
    let run = sb.run(&["identities"]);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, 0, "`identities` works despite the broken profile:\n{}", run.stderr);
    assert!(run.stdout.contains("base"), "the usable profile is listed:\n{}", run.stdout);
}

#[test]
fn help_and_version_are_not_errors() {
    let sb = Sandbox::bare();
    for args in [&["--help"][..], &["--version"], &["ls", "--help"], &["help", "env"]] {
        let run = sb.run(args).ok();
        assert!(!run.stdout.is_empty(), "{args:?} prints to stdout");
        assert!(!run.stderr.contains("error"), "{args:?}: {}", run.stderr);
    }
}
