//! The scriptable subcommands against the seeded moto server: `identities`, `whoami` for every
//! identity kind and chain, `ls`, `env` and `credential-process`, the last two consumed by a
//! real AWS client (boto3 from the test bed's venv).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("line is not JSON ({e}): {l:?}")))
        .collect()
}

fn parse_time(text: &str) -> SystemTime {
    let ts: jiff::Timestamp = text.parse().unwrap_or_else(|e| panic!("`{text}` is not RFC 3339: {e}"));
    SystemTime::from(ts)
}

fn rfc3339(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t).unwrap().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Asserts that the RFC 3339 time `text` lies between `min` and `max` minutes from now. This
/// checks the value STS was asked for (the session's duration), with generous slack either side.
fn assert_expires_in(text: &str, min_minutes: u64, max_minutes: u64) {
    let at = parse_time(text);
    let now = SystemTime::now();
    let left = at.duration_since(now).unwrap_or_else(|_| panic!("`{text}` is in the past"));
    assert!(
        left >= Duration::from_secs(min_minutes * 60) && left <= Duration::from_secs(max_minutes * 60),
        "expires_at {text} is {}s from now, expected between {min_minutes} and {max_minutes} minutes",
        left.as_secs()
    );
}

fn python() -> PathBuf {
    venv().join("bin/python")
}

/// A command with the sandbox's environment (HOME, AWS files, S3LEASE_CONFIG, and none of the
/// developer's AWS_* variables), running `program` instead of s3lease.
fn sandboxed(sb: &Sandbox, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let template = sb.command();
    let mut cmd = Command::new(program);
    for (key, value) in template.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    cmd.stdin(std::process::Stdio::null());
    cmd
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn output(mut cmd: Command) -> Out {
    let out = cmd.output().expect("run command");
    let out = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(out.code, 0, "exit code\n--- stdout\n{}\n--- stderr\n{}", out.stdout, out.stderr);
    out
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_s3lease")
}

fn whoami_json(sb: &Sandbox, args: &[&str]) -> Value {
    let mut all = vec!["whoami", "--json"];
    all.extend_from_slice(args);
    let run = sb.run(&all).ok();
    let v = parse_json(&run.stdout);
    for key in ["identity", "kind", "chain", "arn", "expires_at"] {
        assert!(v.get(key).is_some(), "whoami --json lacks `{key}`: {v}");
    }
    v
}

/// `whoami` without --json: the `label  value` lines as a map.
fn whoami_plain(sb: &Sandbox, args: &[&str]) -> BTreeMap<String, String> {
    let mut all = vec!["whoami"];
    all.extend_from_slice(args);
    let run = sb.run(&all).ok();
    run.stdout
        .lines()
        .map(|l| {
            let (label, value) = l.split_once(' ').unwrap_or_else(|| panic!("odd whoami line {l:?}"));
            (label.to_string(), value.trim_start().to_string())
        })
        .collect()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("`{key}` is not a string in {v}"))
}

// ---------------------------------------------------------------------------------------------
// identities
// ---------------------------------------------------------------------------------------------

const CONFIG_IDENTITIES: [&str; 9] =
    ["admin", "auditor", "alice-mfa", "mfa-admin", "mfa-auditor", "partner", "readonly-fed", "admin-role", "chained"];

#[test]
fn identities_json_lists_config_profiles_and_default() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let rows = json_lines(&sb.run(&["identities", "--json"]).ok().stdout);
    for row in &rows {
        let obj = row.as_object().unwrap_or_else(|| panic!("not an object: {row}"));
        let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["name", "kind", "source", "mfa", "origin"]), "{row}");
        assert!(row["mfa"].is_boolean() && row["origin"].is_string() && row["name"].is_string(), "{row}");
    }
    let names: Vec<&str> = rows.iter().map(|r| str_of(r, "name")).collect();
    let mut expected: Vec<&str> = CONFIG_IDENTITIES.to_vec();
    // The AWS profile `admin` is shadowed by the config's identity of that name.
    expected.extend(["alice", "bob", "aws-auditor", "aws-partner", "aws-mfa-admin", "default"]);
    assert_eq!(names, expected, "config identities first, then AWS profiles, then the built-in default");

    let row = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap().clone();
    let config = sb.config.display().to_string();
    let aws_config = sb.aws_config.display().to_string();

    let admin = row("admin");
    assert_eq!((str_of(&admin, "kind"), str_of(&admin, "source")), ("profile", "admin"));
    assert_eq!(str_of(&admin, "origin"), config);

    let auditor = row("auditor");
    assert_eq!((str_of(&auditor, "kind"), str_of(&auditor, "source")), ("assume-role", "bob"));
    assert_eq!(auditor["mfa"], false);

    let alice_mfa = row("alice-mfa");
    assert_eq!((str_of(&alice_mfa, "kind"), str_of(&alice_mfa, "source")), ("session-token", "alice"));
    assert_eq!(alice_mfa["mfa"], true);

    // Chained from an MFA identity, but needing no code of its own.
    let mfa_admin = row("mfa-admin");
    assert_eq!((str_of(&mfa_admin, "kind"), str_of(&mfa_admin, "source")), ("assume-role", "alice-mfa"));
    assert_eq!(mfa_admin["mfa"], false);

    let fed = row("readonly-fed");
    assert_eq!((str_of(&fed, "kind"), str_of(&fed, "source")), ("federation", "alice"));

    let chained = row("chained");
    assert_eq!(str_of(&chained, "source"), "admin-role");

    let alice = row("alice");
    assert_eq!((str_of(&alice, "kind"), str_of(&alice, "source")), ("profile", "alice"));
    assert!(str_of(&alice, "origin").contains("[alice]"), "{alice}");

    let aws_auditor = row("aws-auditor");
    assert_eq!((str_of(&aws_auditor, "kind"), str_of(&aws_auditor, "source")), ("assume-role", "bob"));
    assert_eq!(aws_auditor["mfa"], false);
    assert_eq!(str_of(&aws_auditor, "origin"), format!("{aws_config} [aws-auditor]"));

    let aws_partner = row("aws-partner");
    assert_eq!((str_of(&aws_partner, "kind"), str_of(&aws_partner, "source")), ("assume-role", "bob"));

    let aws_mfa_admin = row("aws-mfa-admin");
    assert_eq!((str_of(&aws_mfa_admin, "kind"), str_of(&aws_mfa_admin, "source")), ("assume-role", "alice"));
    assert_eq!(aws_mfa_admin["mfa"], true);

    let default = row("default");
    assert_eq!(str_of(&default, "kind"), "profile");
    assert!(default["source"].is_null(), "the default chain has no source: {default}");
    assert_eq!(default["mfa"], false);
    assert_eq!(str_of(&default, "origin"), "built in");
}

#[test]
fn identities_plain_is_a_table() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let out = sb.run(&["identities"]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["NAME", "KIND", "SOURCE", "FROM"], "{out}");
    // Columns line up: every row's kind and source start where the header's KIND and SOURCE do.
    let kind_col = lines[0].find("KIND").unwrap();
    let source_col = lines[0].find("SOURCE").unwrap();
    let rows: BTreeMap<&str, &str> = lines[1..]
        .iter()
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            assert!(l[kind_col..].starts_with(words[1]), "misaligned kind in {l:?}\n{out}");
            assert!(l[source_col..].starts_with(words[2]), "misaligned source in {l:?}\n{out}");
            (words[0], *l)
        })
        .collect();
    assert_eq!(rows.len(), 15, "{out}");
    let fields = |name: &str| -> Vec<String> {
        let line = rows.get(name).unwrap_or_else(|| panic!("no row for {name}:\n{out}"));
        line.split_whitespace().map(str::to_string).collect()
    };
    let config = sb.config.display().to_string();
    let aws_config = sb.aws_config.display().to_string();

    assert_eq!(fields("auditor"), ["auditor", "assume-role", "bob", &config]);
    assert_eq!(fields("alice-mfa"), ["alice-mfa", "session-token", "alice", "(MFA)", &config]);
    assert_eq!(fields("aws-auditor"), ["aws-auditor", "assume-role", "bob", &aws_config, "[aws-auditor]"]);
    assert_eq!(
        fields("aws-mfa-admin"),
        ["aws-mfa-admin", "assume-role", "alice", "(MFA)", &aws_config, "[aws-mfa-admin]"]
    );
    assert_eq!(fields("default"), ["default", "profile", "(default", "chain)", "built", "in"]);
    assert_eq!(fields("admin"), ["admin", "profile", "admin", &config]);
}

// ---------------------------------------------------------------------------------------------
// whoami
// ---------------------------------------------------------------------------------------------

#[test]
fn whoami_profile_admin() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let admin_arn = &tb.manifest.user("admin").arn;
    let v = whoami_json(&sb, &["--identity", "admin"]);
    assert_eq!(v["identity"], "admin");
    assert_eq!(v["kind"], "profile");
    assert_eq!(v["chain"], "profile admin");
    assert_eq!(str_of(&v, "arn"), admin_arn);
    assert!(v["expires_at"].is_null(), "long-term keys do not expire: {v}");

    let plain = whoami_plain(&sb, &["--identity", "admin"]);
    assert_eq!(plain["identity"], "admin");
    assert_eq!(plain["kind"], "profile");
    assert_eq!(plain["chain"], "profile admin");
    assert_eq!(&plain["arn"], admin_arn);
    assert_eq!(plain["expires"], "never (long-term keys)");
}

#[test]
fn whoami_without_identity_uses_the_first_configured() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let v = whoami_json(&sb, &[]);
    assert_eq!(v["identity"], "admin");
    assert_eq!(str_of(&v, "arn"), tb.manifest.user("admin").arn);
}

#[test]
fn whoami_assume_role_auditor() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let v = whoami_json(&sb, &["--identity", "auditor"]);
    assert_eq!(v["identity"], "auditor");
    assert_eq!(v["kind"], "assume-role");
    assert_eq!(v["chain"], "assume-role auditor <- profile bob");
    let arn = str_of(&v, "arn");
    assert!(arn.ends_with("assumed-role/Auditor/audit-session"), "{arn}");
    assert!(arn.starts_with(&format!("arn:aws:sts::{}:", tb.manifest.account)), "{arn}");
    // duration = "1h"
    assert_expires_in(str_of(&v, "expires_at"), 55, 61);

    let plain = whoami_plain(&sb, &["--identity", "auditor"]);
    assert_eq!(plain["kind"], "assume-role");
    assert_eq!(plain["chain"], "assume-role auditor <- profile bob");
    assert!(plain["arn"].ends_with("assumed-role/Auditor/audit-session"), "{plain:?}");
    // `2026-01-01T10:00:00Z (in 59m 59s)`
    let (at, left) = plain["expires"].split_once(' ').unwrap();
    assert_expires_in(at, 55, 61);
    assert!(left.starts_with("(in ") && left.ends_with(')'), "{plain:?}");
}

#[test]
fn whoami_session_token_with_mfa() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let v = whoami_json(&sb, &["--identity", "alice-mfa", "--mfa-code", "123456"]);
    assert_eq!(v["identity"], "alice-mfa");
    assert_eq!(v["kind"], "session-token");
    assert_eq!(v["chain"], "session-token alice-mfa (MFA) <- profile alice");
    assert!(str_of(&v, "chain").contains("(MFA)"));
    assert!(str_of(&v, "arn").starts_with("arn:aws:"), "{v}");
    // duration = "12h"
    assert_expires_in(str_of(&v, "expires_at"), 11 * 60 + 55, 12 * 60 + 1);

    let plain = whoami_plain(&sb, &["--identity", "alice-mfa", "--mfa-code", "123456"]);
    assert_eq!(plain["chain"], "session-token alice-mfa (MFA) <- profile alice");
}

#[test]
fn whoami_role_chained_from_mfa_session() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let v = whoami_json(&sb, &["--identity", "mfa-admin", "--mfa-code", "123456"]);
    assert_eq!(v["kind"], "assume-role");
    let chain = str_of(&v, "chain");
    assert_eq!(chain, "assume-role mfa-admin <- session-token alice-mfa (MFA) <- profile alice");
    assert_eq!(chain.split(" <- ").count(), 3);
    assert!(str_of(&v, "arn").ends_with("assumed-role/Admin/mfa-admin"), "{v}");
    assert_expires_in(str_of(&v, "expires_at"), 55, 61);

    let v = whoami_json(&sb, &["--identity", "mfa-auditor", "--mfa-code", "654321"]);
    assert_eq!(v["chain"], "assume-role mfa-auditor <- session-token alice-mfa (MFA) <- profile alice");
    assert!(str_of(&v, "arn").ends_with("assumed-role/Auditor/mfa-auditor"), "{v}");
}

#[test]
fn whoami_federation() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let v = whoami_json(&sb, &["--identity", "readonly-fed"]);
    assert_eq!(v["kind"], "federation");
    assert_eq!(v["chain"], "federation readonly-fed <- profile alice");
    let arn = str_of(&v, "arn");
    assert!(arn.contains("federated-user/readonly"), "{arn}");
    // duration = "2h"
    assert_expires_in(str_of(&v, "expires_at"), 115, 121);

    let plain = whoami_plain(&sb, &["--identity", "readonly-fed"]);
    assert!(plain["arn"].contains("federated-user/readonly"), "{plain:?}");
    assert_eq!(plain["kind"], "federation");
}

#[test]
fn whoami_assume_role_with_external_id() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let v = whoami_json(&sb, &["--identity", "partner"]);
    assert_eq!(v["chain"], "assume-role partner <- profile bob");
    assert!(str_of(&v, "arn").ends_with("assumed-role/PartnerAccess/partner"), "{v}");
    assert_expires_in(str_of(&v, "expires_at"), 55, 61);

    // The imported AWS profile with external_id works the same way.
    let v = whoami_json(&sb, &["--identity", "aws-partner"]);
    assert_eq!(v["chain"], "assume-role aws-partner <- profile bob");
    assert!(str_of(&v, "arn").contains("assumed-role/PartnerAccess/"), "{v}");
}

#[test]
fn whoami_role_chained_from_role() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let v = whoami_json(&sb, &["--identity", "chained"]);
    assert_eq!(v["identity"], "chained");
    assert_eq!(v["chain"], "assume-role chained <- assume-role admin-role <- profile admin");
    assert!(str_of(&v, "arn").ends_with("assumed-role/Auditor/chained"), "{v}");
    // duration = "30m"
    assert_expires_in(str_of(&v, "expires_at"), 25, 31);

    let v = whoami_json(&sb, &["--identity", "admin-role"]);
    assert_eq!(v["chain"], "assume-role admin-role <- profile admin");
    assert!(str_of(&v, "arn").ends_with("assumed-role/Admin/admin-role"), "{v}");
}

#[test]
fn whoami_imported_role_profile_uses_duration_seconds() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let v = whoami_json(&sb, &["--identity", "aws-auditor"]);
    assert_eq!(v["kind"], "assume-role");
    assert_eq!(v["chain"], "assume-role aws-auditor <- profile bob");
    assert!(str_of(&v, "arn").ends_with("assumed-role/Auditor/aws-audit"), "role_session_name is used: {v}");
    // duration_seconds = 1800
    assert_expires_in(str_of(&v, "expires_at"), 25, 31);
}

#[test]
fn whoami_imported_role_profile_with_mfa_serial() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let v = whoami_json(&sb, &["--identity", "aws-mfa-admin", "--mfa-code", "123456"]);
    assert_eq!(v["chain"], "assume-role aws-mfa-admin (MFA) <- profile alice");
    let arn = str_of(&v, "arn");
    // No role_session_name: a generated `s3lease-<seconds>` name, as the AWS CLI does.
    assert!(arn.contains("assumed-role/Admin/s3lease-"), "{arn}");
    assert_expires_in(str_of(&v, "expires_at"), 55, 61);
}

#[test]
fn mfa_without_code_or_terminal_is_a_usage_error() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    for identity in ["alice-mfa", "mfa-admin", "aws-mfa-admin"] {
        let run = sb.run(&["whoami", "--identity", identity]).expect_code(2);
        assert!(run.stderr.starts_with("error:"), "{identity}: {}", run.stderr);
        assert!(run.stderr.contains("--mfa-code"), "{identity}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{identity}: {}", run.stdout);
    }
    // The same for the credential_process an SDK runs without a terminal.
    let run = sb.run(&["credential-process", "--identity", "mfa-auditor"]).expect_code(2);
    assert!(run.stderr.contains("--mfa-code"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no credentials are printed: {}", run.stdout);
}

// ---------------------------------------------------------------------------------------------
// The default credential chain
// ---------------------------------------------------------------------------------------------

fn with_admin_env(tb: &s3lease::testbed::Testbed) -> Sandbox {
    let mut sb = Sandbox::new(tb);
    let admin = tb.manifest.user("admin");
    sb.env.push(("AWS_ACCESS_KEY_ID".into(), admin.access_key_id.clone()));
    sb.env.push(("AWS_SECRET_ACCESS_KEY".into(), admin.secret_access_key.clone()));
    sb
}

#[test]
fn default_chain_reads_the_environment() {
    let tb = testbed();
    let sb = with_admin_env(tb);
    let v = whoami_json(&sb, &["--identity", "default"]);
    assert_eq!(v["identity"], "default");
    assert_eq!(v["kind"], "profile");
    assert_eq!(v["chain"], "profile default");
    assert_eq!(str_of(&v, "arn"), tb.manifest.user("admin").arn);
    assert!(v["expires_at"].is_null(), "{v}");

    let plain = whoami_plain(&sb, &["--identity", "default"]);
    assert_eq!(plain["arn"], tb.manifest.user("admin").arn);
}

#[test]
fn default_chain_honours_aws_credential_expiration() {
    let tb = testbed();
    let mut sb = with_admin_env(tb);
    let expiry = rfc3339(SystemTime::now() + Duration::from_secs(3 * 3600));
    sb.env.push(("AWS_SESSION_TOKEN".into(), "x".into()));
    sb.env.push(("AWS_CREDENTIAL_EXPIRATION".into(), expiry.clone()));
    let v = whoami_json(&sb, &["--identity", "default"]);
    assert_eq!(str_of(&v, "expires_at"), expiry);
    assert_eq!(str_of(&v, "arn"), tb.manifest.user("admin").arn);

    // A differently written but equal time (an offset instead of Z) is the same instant.
    let mut sb = with_admin_env(tb);
    let at = parse_time(&expiry);
    let offset = jiff::Timestamp::try_from(at).unwrap().to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(2)));
    sb.env.push(("AWS_SESSION_TOKEN".into(), "x".into()));
    sb.env.push(("AWS_CREDENTIAL_EXPIRATION".into(), offset.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()));
    let v = whoami_json(&sb, &["--identity", "default"]);
    assert_eq!(str_of(&v, "expires_at"), expiry);
}

#[test]
fn default_chain_refuses_a_malformed_expiration() {
    let tb = testbed();
    let mut sb = with_admin_env(tb);
    sb.env.push(("AWS_SESSION_TOKEN".into(), "x".into()));
    sb.env.push(("AWS_CREDENTIAL_EXPIRATION".into(), "next tuesday".into()));
    let run = sb.run(&["whoami", "--identity", "default"]).expect_code(2);
    assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
    assert!(run.stderr.contains("AWS_CREDENTIAL_EXPIRATION"), "{}", run.stderr);
    assert!(run.stderr.contains("next tuesday"), "{}", run.stderr);
}

#[test]
fn default_chain_refuses_an_expired_environment() {
    let tb = testbed();
    let mut sb = with_admin_env(tb);
    sb.env.push(("AWS_SESSION_TOKEN".into(), "x".into()));
    sb.env.push(("AWS_CREDENTIAL_EXPIRATION".into(), "2020-01-01T00:00:00Z".into()));
    let run = sb.run(&["whoami", "--identity", "default"]).expect_code(1);
    assert!(run.stderr.contains("expired"), "{}", run.stderr);
    assert!(run.stderr.contains("2020-01-01T00:00:00Z"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// ls
// ---------------------------------------------------------------------------------------------

/// Splits an `aws s3 ls` object line `YYYY-MM-DD HH:MM:SS <size right-aligned in 10> <name>`.
fn object_line(line: &str) -> (String, u64, String) {
    let chars: Vec<char> = line.chars().collect();
    assert!(chars.len() > 31, "short line {line:?}");
    let stamp: String = chars[..19].iter().collect();
    let date_ok = stamp.chars().enumerate().all(|(i, c)| match i {
        4 | 7 => c == '-',
        10 => c == ' ',
        13 | 16 => c == ':',
        _ => c.is_ascii_digit(),
    });
    assert!(date_ok, "no `date time` column in {line:?}");
    assert_eq!(chars[19], ' ', "{line:?}");
    let size_col: String = chars[20..30].iter().collect();
    assert_eq!(chars[30], ' ', "size is right-aligned in 10 columns: {line:?}");
    let size: u64 = size_col.trim_start().parse().unwrap_or_else(|_| panic!("size column {size_col:?} in {line:?}"));
    assert_eq!(size_col, format!("{size:>10}"), "{line:?}");
    let name: String = chars[31..].iter().collect();
    (stamp, size, name)
}

/// Splits listing output into (prefix names, object lines).
fn split_listing(out: &str) -> (Vec<String>, Vec<(String, u64, String)>) {
    let pre_head = format!("{:>30} ", "PRE");
    let mut prefixes = Vec::new();
    let mut objects = Vec::new();
    for line in out.lines() {
        if let Some(name) = line.strip_prefix(&pre_head) {
            prefixes.push(name.to_string());
        } else {
            objects.push(object_line(line));
        }
    }
    (prefixes, objects)
}

#[test]
fn ls_lists_buckets() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let out = sb.run(&["ls"]).ok().stdout;
    let names: BTreeSet<String> = out
        .lines()
        .map(|l| {
            let (stamp, name) = l.split_at(19);
            assert!(stamp.as_bytes()[4] == b'-' && stamp.as_bytes()[13] == b':', "no creation time in {l:?}");
            name.strip_prefix(' ').unwrap_or_else(|| panic!("{l:?}")).to_string()
        })
        .collect();
    assert_eq!(names, BTreeSet::from(["demo-data", "demo-empty", "demo-eu", "demo-restricted"].map(String::from)));
    assert_eq!(out.lines().count(), 4, "{out}");
    let expected: BTreeSet<String> = tb.manifest.object_counts.keys().cloned().collect();
    assert_eq!(names, expected);

    let rows = json_lines(&sb.run(&["ls", "--json"]).ok().stdout);
    assert_eq!(rows.len(), 4);
    for row in &rows {
        assert_eq!(row["kind"], "bucket", "{row}");
        parse_time(str_of(row, "last_modified"));
    }
}

#[test]
fn ls_one_level_looks_like_aws_s3_ls() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let out = sb.run(&["ls", "s3://demo-data"]).ok().stdout;
    let (prefixes, objects) = split_listing(&out);
    assert_eq!(prefixes, ["logs/", "odd/", "reports/", "shared/"], "{out}");
    assert_eq!(objects.len(), 1, "{out}");
    let (_, size, name) = &objects[0];
    assert_eq!(name, "README.txt");
    assert_eq!(*size, "Seeded by s3lease's test bed.\n".len() as u64);
    assert!(out.starts_with(&format!("{:>30} logs/\n", "PRE")), "prefixes first, `PRE` right-aligned: {out}");

    // A trailing slash on the bucket changes nothing.
    assert_eq!(sb.run(&["ls", "s3://demo-data/"]).ok().stdout, out);

    // An empty bucket lists nothing, successfully.
    assert_eq!(sb.run(&["ls", "s3://demo-empty"]).ok().stdout, "");
}

#[test]
fn ls_decodes_odd_keys() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let out = sb.run(&["ls", "s3://demo-data/odd/"]).ok().stdout;
    let (prefixes, objects) = split_listing(&out);
    let mut expected_prefixes = BTreeSet::new();
    let mut expected_objects = BTreeMap::new();
    for key in &tb.manifest.odd_keys {
        let rest = key.strip_prefix("odd/").unwrap();
        match rest.split_once('/') {
            Some((dir, _)) => {
                expected_prefixes.insert(format!("{dir}/"));
            }
            None => {
                // The seed's body is `demo-data/<key>\n`.
                expected_objects.insert(rest.to_string(), format!("demo-data/{key}\n").len() as u64);
            }
        }
    }
    assert!(expected_objects.contains_key("unicodé ключ 鍵.txt") && expected_objects.contains_key("a+b=c.txt"));
    assert_eq!(prefixes.iter().cloned().collect::<BTreeSet<_>>(), expected_prefixes, "{out}");
    assert_eq!(prefixes.len(), expected_prefixes.len(), "{out}");
    let got: BTreeMap<String, u64> = objects.iter().map(|(_, size, name)| (name.clone(), *size)).collect();
    assert_eq!(got, expected_objects, "{out}");
    assert_eq!(objects.len(), expected_objects.len(), "{out}");

    // A prefix that ends mid-name lists what starts with it, names relative to the last `/`.
    let out = sb.run(&["ls", "s3://demo-data/odd/percent"]).ok().stdout;
    let (prefixes, objects) = split_listing(&out);
    assert!(prefixes.is_empty(), "{out}");
    assert_eq!(objects.iter().map(|o| o.2.as_str()).collect::<Vec<_>>(), ["percent%20literal.txt"]);
}

#[test]
fn ls_json_lines_have_every_field() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let rows = json_lines(&sb.run(&["ls", "--json", "s3://demo-data"]).ok().stdout);
    let fields = BTreeSet::from(["kind", "key", "size", "last_modified", "etag", "storage_class"]);
    for row in &rows {
        let keys: BTreeSet<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, fields, "{row}");
    }
    let prefixes: Vec<&str> = rows.iter().filter(|r| r["kind"] == "prefix").map(|r| str_of(r, "key")).collect();
    assert_eq!(prefixes, ["logs/", "odd/", "reports/", "shared/"]);
    for row in rows.iter().filter(|r| r["kind"] == "prefix") {
        assert!(row["size"].is_null() && row["etag"].is_null() && row["last_modified"].is_null(), "{row}");
    }
    let objects: Vec<&Value> = rows.iter().filter(|r| r["kind"] == "object").collect();
    assert_eq!(objects.len(), 1, "{rows:?}");
    let readme = objects[0];
    assert_eq!(readme["key"], "README.txt");
    assert_eq!(readme["size"], 30);
    assert_eq!(readme["storage_class"], "STANDARD");
    let etag = str_of(readme, "etag");
    assert!(etag.len() == 32 && etag.chars().all(|c| c.is_ascii_hexdigit()), "bare MD5 etag, no quotes: {etag:?}");
    let modified = parse_time(str_of(readme, "last_modified"));
    assert!(modified <= SystemTime::now() + Duration::from_secs(60), "{readme}");
    assert_eq!(rows.len(), 5);

    // Keys in JSON are full keys, decoded.
    let rows = json_lines(&sb.run(&["ls", "--json", "s3://demo-data/odd/"]).ok().stdout);
    let keys: BTreeSet<&str> = rows.iter().filter(|r| r["kind"] == "object").map(|r| str_of(r, "key")).collect();
    assert!(keys.contains("odd/unicodé ключ 鍵.txt") && keys.contains("odd/100%.txt"), "{keys:?}");
}

#[test]
fn ls_recursive_yields_exactly_the_seeded_keys() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let rows = json_lines(&sb.run(&["ls", "--recursive", "--json", "s3://demo-data"]).ok().stdout);
    assert!(rows.iter().all(|r| r["kind"] == "object"), "a recursive listing has no prefixes");
    let keys: Vec<&str> = rows.iter().map(|r| str_of(r, "key")).collect();
    let unique: BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!(unique.len(), keys.len(), "duplicate keys across pages");
    assert_eq!(keys.len(), tb.manifest.object_counts["demo-data"]);

    let mut expected: BTreeSet<String> = BTreeSet::new();
    for year in [2024, 2025] {
        for q in 1..=4 {
            expected.insert(format!("reports/{year}/q{q}/summary.csv"));
            expected.insert(format!("reports/{year}/q{q}/detail.json"));
        }
    }
    expected.insert("README.txt".into());
    expected.insert("shared/handbook.md".into());
    for preview in ["tagged.csv", "long.txt", "blob.bin"] {
        expected.insert(format!("shared/preview/{preview}"));
    }
    for i in 0..2600 {
        expected.insert(format!("logs/event-{i:05}.json"));
    }
    expected.insert("logs/archive/2023.tar".into());
    expected.extend(tb.manifest.odd_keys.iter().cloned());
    for key in &tb.manifest.odd_keys {
        assert!(unique.contains(key.as_str()), "odd key {key:?} missing");
    }
    assert!(unique.contains("logs/event-00000.json") && unique.contains("logs/event-02599.json"));
    assert_eq!(unique, expected.iter().map(String::as_str).collect::<BTreeSet<_>>());
    // In key order, as S3 lists them.
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    // Plain recursive listings show whole keys.
    let out = sb.run(&["ls", "-r", "s3://demo-data/reports/2025/"]).ok().stdout;
    let (prefixes, objects) = split_listing(&out);
    assert!(prefixes.is_empty(), "{out}");
    let names: Vec<&str> = objects.iter().map(|o| o.2.as_str()).collect();
    assert_eq!(names.len(), 8, "{out}");
    assert!(names.contains(&"reports/2025/q3/summary.csv"), "{out}");
    assert!(names.iter().all(|n| n.starts_with("reports/2025/q")), "{out}");
}

#[test]
fn ls_one_level_pages_through_thousands() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let out = sb.run(&["ls", "s3://demo-data/logs/"]).ok().stdout;
    let (prefixes, objects) = split_listing(&out);
    assert_eq!(prefixes, ["archive/"], "the sub-prefix appears once across the three pages");
    let names: Vec<String> = objects.iter().map(|o| o.2.clone()).collect();
    let expected: Vec<String> = (0..2600).map(|i| format!("event-{i:05}.json")).collect();
    assert_eq!(names.len(), 2600);
    assert_eq!(names, expected);
    for (_, size, name) in &objects {
        assert_eq!(*size, format!("demo-data/logs/{name}\n").len() as u64);
    }
}

#[test]
fn ls_missing_bucket_is_an_aws_error() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let run = sb.run(&["ls", "s3://no-such-bucket-s3lease"]).expect_code(1);
    assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
    assert!(run.stderr.contains("NoSuchBucket"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn ls_bad_uri_is_a_usage_error() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let run = sb.run(&["ls", "demo-data"]).expect_code(2);
    assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
    assert!(run.stderr.contains("s3://"), "{}", run.stderr);
    let run = sb.run(&["ls", "s3://"]).expect_code(2);
    assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
    assert!(run.stderr.contains("no bucket"), "{}", run.stderr);
    let run = sb.run(&["ls", "s3://bad bucket/x"]).expect_code(2);
    assert!(run.stderr.contains("not a bucket name"), "{}", run.stderr);
}

#[test]
fn ls_as_derived_identities() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let out = sb.run(&["ls", "--identity", "readonly-fed", "s3://demo-data/shared/"]).ok().stdout;
    let (_, objects) = split_listing(&out);
    assert_eq!(objects.iter().map(|o| o.2.as_str()).collect::<Vec<_>>(), ["handbook.md"]);

    let out = sb.run(&["ls", "--identity", "chained", "s3://demo-eu"]).ok().stdout;
    let (prefixes, objects) = split_listing(&out);
    assert_eq!(prefixes, ["eu/"]);
    assert!(objects.is_empty());
}

// ---------------------------------------------------------------------------------------------
// env
// ---------------------------------------------------------------------------------------------

const CALLER_ARN_PY: &str = "import boto3, sys\n\
print(boto3.client('sts', endpoint_url=sys.argv[1], region_name='us-east-1').get_caller_identity()['Arn'])\n";

#[test]
fn env_sh_evals_into_working_credentials() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    // Evaluate s3lease's output in a real shell, then hand the environment to boto3.
    let script = r#"eval "$("$1" env --identity auditor)" || exit 9
printf 'AWS_ACCESS_KEY_ID=%s\n' "$AWS_ACCESS_KEY_ID"
printf 'AWS_SECRET_ACCESS_KEY=%s\n' "$AWS_SECRET_ACCESS_KEY"
printf 'AWS_SESSION_TOKEN=%s\n' "$AWS_SESSION_TOKEN"
printf 'AWS_CREDENTIAL_EXPIRATION=%s\n' "$AWS_CREDENTIAL_EXPIRATION"
printf 'ARN=%s\n' "$("$2" -c "$3" "$4")"
"#;
    let mut cmd = sandboxed(&sb, "sh");
    cmd.args(["-c", script, "sh", bin()]).arg(python()).args([CALLER_ARN_PY, tb.endpoint()]);
    let out = output(cmd);
    let vars: BTreeMap<&str, &str> = out.stdout.lines().filter_map(|l| l.split_once('=')).collect();
    let key = vars["AWS_ACCESS_KEY_ID"];
    assert!(!key.is_empty(), "{}", out.stdout);
    assert_ne!(key, tb.manifest.user("bob").access_key_id, "role credentials, not the source's");
    assert!(!vars["AWS_SECRET_ACCESS_KEY"].is_empty() && !vars["AWS_SESSION_TOKEN"].is_empty(), "{}", out.stdout);
    assert_expires_in(vars["AWS_CREDENTIAL_EXPIRATION"], 55, 61);
    let arn = vars["ARN"];
    assert!(arn.ends_with("assumed-role/Auditor/audit-session"), "{}\n{}", out.stdout, out.stderr);
}

#[test]
fn env_sh_output_format() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let out = sb.run(&["env", "--identity", "auditor"]).ok().stdout;
    let names: Vec<&str> = out
        .lines()
        .map(|l| {
            let rest = l.strip_prefix("export ").unwrap_or_else(|| panic!("{l:?}"));
            let (name, value) = rest.split_once('=').unwrap();
            assert!(value.starts_with('\'') && value.ends_with('\'') && value.len() > 2, "quoted: {l:?}");
            name
        })
        .collect();
    assert_eq!(names, ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"]);
}

#[test]
fn env_for_long_term_keys_unsets_the_session_variables() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let admin = tb.manifest.user("admin");
    let out = sb.run(&["env", "--identity", "admin"]).ok().stdout;
    assert!(out.contains(&format!("export AWS_ACCESS_KEY_ID='{}'\n", admin.access_key_id)), "{out}");
    assert!(out.contains("unset AWS_SESSION_TOKEN\n"), "{out}");
    assert!(out.contains("unset AWS_CREDENTIAL_EXPIRATION\n"), "{out}");

    // Evaluated over a stale session, the stale token is gone and the keys work.
    let script = r#"eval "$("$1" env --identity admin)" || exit 9
printf 'TOKEN=%s\n' "${AWS_SESSION_TOKEN-<unset>}"
printf 'ARN=%s\n' "$("$2" -c "$3" "$4")"
"#;
    let mut cmd = sandboxed(&sb, "sh");
    cmd.env("AWS_SESSION_TOKEN", "stale").env("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z");
    cmd.args(["-c", script, "sh", bin()]).arg(python()).args([CALLER_ARN_PY, tb.endpoint()]);
    let out = output(cmd);
    assert!(out.stdout.contains("TOKEN=<unset>\n"), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("ARN={}\n", admin.arn)), "{}\n{}", out.stdout, out.stderr);

    let v = parse_json(&sb.run(&["env", "--identity", "admin", "--format", "json"]).ok().stdout);
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]));
}

#[test]
fn env_fish_format() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let out = sb.run(&["env", "--identity", "auditor", "--format", "fish"]).ok().stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    for (line, name) in lines.iter().zip([
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
    ]) {
        let prefix = format!("set -gx {name} '");
        assert!(line.starts_with(&prefix), "{line:?}");
        let value = line[prefix.len()..].trim_end_matches(';').strip_suffix('\'').unwrap_or_else(|| panic!("{line:?}"));
        assert!(!value.is_empty(), "{line:?}");
    }
}

#[test]
fn env_json_format() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let v = parse_json(&sb.run(&["env", "--identity", "partner", "--format", "json"]).ok().stdout);
    let obj = v.as_object().unwrap();
    let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION"
        ])
    );
    for (k, value) in obj {
        assert!(value.as_str().is_some_and(|s| !s.is_empty()), "{k} = {value}");
    }
    assert_expires_in(str_of(&v, "AWS_CREDENTIAL_EXPIRATION"), 55, 61);
}

#[test]
fn env_needs_an_identity() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let run = sb.run(&["env"]).expect_code(2);
    assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
    assert!(run.stderr.contains("--identity"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let run = sb.run(&["credential-process"]).expect_code(2);
    assert!(run.stderr.contains("--identity"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// credential-process
// ---------------------------------------------------------------------------------------------

#[test]
fn credential_process_output_format() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let out = sb.run(&["credential-process", "--identity", "auditor"]).ok().stdout;
    assert_eq!(out.lines().count(), 1, "one line of JSON: {out}");
    let v = parse_json(&out);
    assert_eq!(v["Version"], 1);
    for key in ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"] {
        assert!(v[key].as_str().is_some_and(|s| !s.is_empty()), "{key} in {v}");
    }
    assert_eq!(v.as_object().unwrap().len(), 5, "{v}");
    assert_expires_in(str_of(&v, "Expiration"), 55, 61);

    // Long-term keys have neither token nor expiration.
    let v = parse_json(&sb.run(&["credential-process", "--identity", "admin"]).ok().stdout);
    assert_eq!(str_of(&v, "AccessKeyId"), tb.manifest.user("admin").access_key_id);
    assert!(v.get("SessionToken").is_none() && v.get("Expiration").is_none(), "{v}");
}

fn add_credential_process_profile(sb: &Sandbox, profile: &str, identity: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(&sb.aws_config).expect("open AWS config");
    write!(
        file,
        "\n[profile {profile}]\nregion = us-east-1\ncredential_process = {} credential-process --identity {identity}\n",
        bin()
    )
    .expect("append profile");
}

#[test]
fn credential_process_serves_a_real_aws_client() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    add_credential_process_profile(&sb, "via-s3lease", "auditor");
    let py = "import boto3, json, sys\n\
s = boto3.Session(profile_name='via-s3lease')\n\
arn = s.client('sts', endpoint_url=sys.argv[1], region_name='us-east-1').get_caller_identity()['Arn']\n\
buckets = [b['Name'] for b in s.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1').list_buckets()['Buckets']]\n\
print(json.dumps({'arn': arn, 'buckets': buckets}))\n";
    let mut cmd = sandboxed(&sb, python());
    cmd.args(["-c", py, tb.endpoint()]);
    let out = output(cmd);
    let v = parse_json(&out.stdout);
    assert!(str_of(&v, "arn").ends_with("assumed-role/Auditor/audit-session"), "{v}\n{}", out.stderr);
    let buckets: BTreeSet<&str> = v["buckets"].as_array().unwrap().iter().map(|b| b.as_str().unwrap()).collect();
    assert_eq!(buckets, BTreeSet::from(["demo-data", "demo-empty", "demo-eu", "demo-restricted"]));
}

#[test]
fn credential_process_profile_is_an_identity_too() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    add_credential_process_profile(&sb, "via-s3lease", "chained");
    // s3lease lists the profile and loads it through aws-config, which runs s3lease again.
    let rows = json_lines(&sb.run(&["identities", "--json"]).ok().stdout);
    let row = rows.iter().find(|r| r["name"] == "via-s3lease").expect("the new profile is listed");
    assert_eq!(row["kind"], "profile");
    let v = whoami_json(&sb, &["--identity", "via-s3lease"]);
    assert_eq!(v["chain"], "profile via-s3lease");
    assert!(str_of(&v, "arn").ends_with("assumed-role/Auditor/chained"), "{v}");
    // The Expiration from credential_process carries through.
    assert_expires_in(str_of(&v, "expires_at"), 25, 31);
}

// ---------------------------------------------------------------------------------------------
// Unknown identities
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_identity_lists_the_known_ones() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    for args in [
        &["whoami", "--identity", "nobody"][..],
        &["ls", "--identity", "nobody"],
        &["env", "--identity", "nobody"],
        &["credential-process", "--identity", "nobody"],
    ] {
        let run = sb.run(args).expect_code(2);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(run.stderr.starts_with("error:"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("`nobody`"), "{args:?}: {}", run.stderr);
        let known = run.stderr.split("known:").nth(1).unwrap_or_else(|| panic!("{args:?}: {}", run.stderr));
        for name in CONFIG_IDENTITIES.iter().chain(&["alice", "bob", "aws-auditor", "aws-mfa-admin", "default"]) {
            assert!(known.contains(name), "{args:?}: `{name}` not listed: {}", run.stderr);
        }
    }
    // S3LEASE_IDENTITY names it the same way.
    let mut sb = Sandbox::new(tb);
    sb.env.push(("S3LEASE_IDENTITY".into(), "ghost".into()));
    let run = sb.run(&["whoami"]).expect_code(2);
    assert!(run.stderr.contains("`ghost`") && run.stderr.contains("known:"), "{}", run.stderr);
}
