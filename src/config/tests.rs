use super::aws_profiles::AwsProfile;
use super::*;

const FILE: &str = "/home/u/.config/s3lease/config.toml";

fn load(text: &str) -> Result<Catalog, ConfigError> {
    Catalog::from_parts(Some((Path::new(FILE), text)), &[])
}

fn error(text: &str) -> String {
    load(text).expect_err("config should be refused").to_string()
}

#[test]
fn an_empty_config_offers_the_default_chain() {
    let catalog = load("").unwrap();
    assert_eq!(catalog.settings, Settings::default());
    assert_eq!(catalog.identities().len(), 1);
    assert_eq!(catalog.first().name, "default");
    assert_eq!(catalog.first().origin, Origin::Builtin);
}

#[test]
fn settings_parse_durations_and_endpoints() {
    let catalog = load(
        r#"
[settings]
region = "eu-west-1"
endpoint_url = "http://127.0.0.1:9000/"
warn_before = "15m"
critical_before = "1m30s"
refresh_before = "900s"
auto_refresh = false
verify_md5 = false
"#,
    )
    .unwrap();
    let s = &catalog.settings;
    assert_eq!(s.region.as_deref(), Some("eu-west-1"));
    assert_eq!(s.endpoint_url.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(s.sts_endpoint(), Some("http://127.0.0.1:9000"), "STS follows endpoint_url");
    assert!(s.force_path_style(), "custom endpoints default to path-style");
    assert_eq!(s.warn_before.as_secs(), 900);
    assert_eq!(s.critical_before.as_secs(), 90);
    assert_eq!(s.refresh_before.as_secs(), 900);
    assert!(!s.auto_refresh);
    assert!(!s.verify_md5);
    assert_eq!(s.read_timeout, crate::config::settings::DEFAULT_READ_TIMEOUT, "unset: the default");
}

#[test]
fn timeouts_parse_and_are_bounded() {
    let catalog = load("[settings]\nread_timeout = \"1s\"\nconnect_timeout = \"2m\"\n").unwrap();
    assert_eq!(catalog.settings.read_timeout.as_secs(), 1);
    assert_eq!(catalog.settings.connect_timeout.as_secs(), 120);
    let e = error("[settings]\nread_timeout = \"0s\"\n");
    assert!(
        e.contains(
            "[settings] key `read_timeout`: is 0s; it must be between 1s and 1h: write e.g. read_timeout = \"1m\""
        ),
        "{e}"
    );
    let e = error("[settings]\nconnect_timeout = \"2h\"\n");
    assert!(e.contains("[settings] key `connect_timeout`: is 2h; it must be between 1s and 1h"), "{e}");
    let e = error("[settings]\nread_timeout = \"30\"\n");
    assert!(e.contains("read_timeout") && e.contains("`30` is not a duration"), "{e}");
}

#[test]
fn every_kind_parses_with_its_keys() {
    let catalog = load(
        r#"
[[identity]]
name = "base"
kind = "profile"
profile = "dev"

[[identity]]
name = "mfa"
kind = "session-token"
source = "base"
duration = "12h"
mfa_serial = "arn:aws:iam::123456789012:mfa/alice"

[[identity]]
name = "fed"
kind = "federation"
source = "base"
federated_name = "reader"
policy_file = "policies/read.json"
policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]

[[identity]]
name = "role"
kind = "assume-role"
source = "mfa"
role_arn = "arn:aws:iam::123456789012:role/Auditor"
session_name = "audit"
external_id = "ext-1"
duration = "1h"
policy = '{"Version": "2012-10-17", "Statement": []}'
source_identity = "alice"
tags = { team = "data" }
"#,
    )
    .unwrap();
    let names: Vec<&str> = catalog.identities().iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["base", "mfa", "fed", "role", "default"]);
    let Spec::Federation(fed) = &catalog.get("fed").unwrap().spec else { panic!("fed is federation") };
    assert_eq!(
        fed.policy,
        Some(PolicySource::File(PathBuf::from("/home/u/.config/s3lease/policies/read.json"))),
        "relative policy files resolve against the config's directory"
    );
    let Spec::AssumeRole(role) = &catalog.get("role").unwrap().spec else { panic!("role is assume-role") };
    assert_eq!(role.tags.get("team").map(String::as_str), Some("data"));
    assert!(matches!(role.policy, Some(PolicySource::Inline(_))));
    let chain: Vec<&str> = catalog.chain("role").unwrap().iter().map(|i| i.name.as_str()).collect();
    assert_eq!(chain, ["role", "mfa", "base"]);
}

#[test]
fn unknown_keys_name_the_file_the_identity_and_the_key() {
    let e = error("[[identity]]\nname = \"r\"\nkind = \"assume-role\"\nsource = \"default\"\nrolearn = \"x\"\n");
    assert!(e.starts_with(&format!("{FILE}: identity `r` (line 1), key `rolearn`: unknown field `rolearn`")), "{e}");
    let e = error("[settings]\nwarn_befor = \"1m\"\n");
    assert!(e.contains("unknown field `warn_befor`") && e.contains("line 2"), "{e}");
    let e = error("[setting]\nregion = \"x\"\n");
    assert!(e.contains("unknown field `setting`"), "{e}");
}

#[test]
fn wrong_types_and_missing_keys_are_named() {
    let e = error(
        "[[identity]]\nname = \"r\"\nkind = \"assume-role\"\nsource = \"default\"\nrole_arn = 5\nsession_name = \"s\"\n",
    );
    assert!(e.contains("identity `r`") && e.contains("invalid type: integer `5`, expected a string"), "{e}");
    let e = error("[[identity]]\nname = \"r\"\nkind = \"assume-role\"\nsource = \"default\"\nsession_name = \"s\"\n");
    assert!(e.contains("key `role_arn`: missing field `role_arn`"), "{e}");
    let e = error("[[identity]]\nkind = \"profile\"\n");
    assert!(e.contains("[[identity]] at line 1: missing key `name`"), "{e}");
    let e = error("[[identity]]\nname = \"x\"\n");
    assert!(e.contains("identity `x` (line 1), key `kind`: is missing; set it to one of: profile, session-token, federation, assume-role"), "{e}");
    let e = error("[[identity]]\nname = \"x\"\nkind = \"role\"\n");
    assert!(e.contains("`role` is not a kind"), "{e}");
    let e = error("[settings]\nauto_refresh = \"yes\"\n");
    assert!(e.contains("auto_refresh") || e.contains("expected a boolean"), "{e}");
    let e = error("[settings]\nwarn_before = \"10 minutes\"\n");
    assert!(e.contains("is not a duration") && e.contains("\"1h30m\""), "{e}");
}

#[test]
fn duplicate_names_point_at_the_first_definition() {
    let e = error("[[identity]]\nname = \"a\"\nkind = \"profile\"\n\n[[identity]]\nname = \"a\"\nkind = \"profile\"\n");
    assert!(e.contains("identity `a` (line 5), key `name`: `a` is already used by the identity at line 1"), "{e}");
}

#[test]
fn sources_must_exist_and_must_not_loop() {
    let e = error("[[identity]]\nname = \"r\"\nkind = \"session-token\"\nsource = \"nobody\"\n");
    assert!(
        e.contains("identity `r`, key `source`: names `nobody`, which is not an identity; known: r, default"),
        "{e}"
    );
    let e = error(
        "[[identity]]\nname = \"a\"\nkind = \"session-token\"\nsource = \"b\"\n\n\
         [[identity]]\nname = \"b\"\nkind = \"session-token\"\nsource = \"a\"\n",
    );
    assert!(e.contains("identity `a`, key `source`: the source chain loops (a -> b -> a)"), "{e}");
}

#[test]
fn federation_and_role_specific_rules() {
    let e = error("[[identity]]\nname = \"f\"\nkind = \"federation\"\nsource = \"default\"\nfederated_name = \"x\"\n");
    assert!(e.contains("key `policy`: is missing: a federated user has no permissions"), "{e}");
    let e = error(
        "[[identity]]\nname = \"f\"\nkind = \"federation\"\nsource = \"default\"\nfederated_name = \"x\"\npolicy = \"{}\"\npolicy_file = \"p.json\"\n",
    );
    assert!(e.contains("key `policy_file`: is set together with `policy`"), "{e}");
    let e = error(
        "[[identity]]\nname = \"r\"\nkind = \"assume-role\"\nsource = \"default\"\nrole_arn = \"arn:aws:iam::123456789012:role/R\"\n",
    );
    assert!(e.contains("key `session_name`: is missing"), "{e}");
}

#[test]
fn settings_are_checked_against_each_other() {
    let e = error("[settings]\nwarn_before = \"1m\"\ncritical_before = \"5m\"\n");
    assert!(e.contains("[settings] key `critical_before`: is 5m, longer than warn_before (1m)"), "{e}");
    let e = error("[settings]\nallow_short_durations = true\n");
    assert!(e.contains("[settings] key `allow_short_durations`: is only for local test servers"), "{e}");
    let e = error("[settings]\nendpoint_url = \"localhost:9000\"\n");
    assert!(e.contains("key `endpoint_url`: `localhost:9000` is not an http:// or https:// URL"), "{e}");
}

#[test]
fn aws_profiles_join_the_catalog_unless_shadowed() {
    let profile = |name: &str, keys: &[(&str, &str)]| AwsProfile {
        name: name.into(),
        file: "/home/u/.aws/config".into(),
        keys: keys.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    };
    let profiles = [
        profile("default", &[("region", "eu-west-1")]),
        profile("dev", &[]),
        profile("audit", &[("role_arn", "arn:aws:iam::123456789012:role/A"), ("source_profile", "dev")]),
    ];
    let catalog = Catalog::from_parts(
        Some((Path::new(FILE), "[[identity]]\nname = \"dev\"\nkind = \"profile\"\nprofile = \"other\"\n")),
        &profiles,
    )
    .unwrap();
    let names: Vec<&str> = catalog.identities().iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["dev", "default", "audit"], "no built-in default when ~/.aws has one");
    assert_eq!(catalog.get("dev").unwrap().origin, Origin::Config(FILE.into()), "config shadows the profile");
    assert_eq!(catalog.get("audit").unwrap().spec.kind(), "assume-role");
    assert_eq!(catalog.get("default").unwrap().spec, Spec::Profile(ProfileSpec { profile: None }));
}

#[test]
fn a_broken_aws_profile_only_fails_when_used() {
    let broken = AwsProfile {
        name: "orphan".into(),
        file: "/home/u/.aws/config".into(),
        keys: [("role_arn", "arn:aws:iam::123456789012:role/A"), ("source_profile", "missing")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let catalog = Catalog::from_parts(None, &[broken]).unwrap();
    let e = catalog.chain("orphan").unwrap_err().to_string();
    assert!(e.starts_with("/home/u/.aws/config: identity `orphan`, key `source`: names `missing`"), "{e}");
}

#[test]
fn a_missing_default_file_is_fine_but_a_named_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("nope.toml");
    let implicit = Sources { config: Some(absent.clone()), config_explicit: false, ..Sources::default() };
    assert!(Catalog::load(&implicit).is_ok());
    let explicit = Sources { config: Some(absent.clone()), config_explicit: true, ..Sources::default() };
    let e = Catalog::load(&explicit).unwrap_err().to_string();
    assert!(e.starts_with(&absent.display().to_string()) && e.contains("no such file"), "{e}");
}

#[test]
fn the_example_config_parses_and_documents_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let catalog = Catalog::from_parts(Some((&path, &text)), &[]).unwrap_or_else(|e| panic!("{e}"));
    crate::keymap::Keymap::with_overrides(&catalog.keys).unwrap_or_else(|e| panic!("the example's [keys]: {e}"));
    assert!(!catalog.keys.is_empty(), "the example shows [keys]");
    let kinds: std::collections::BTreeSet<&str> = catalog.identities().iter().map(|i| i.spec.kind()).collect();
    assert_eq!(kinds.len(), KINDS.len(), "the example shows every kind: {kinds:?}");
    for key in [
        "region",
        "endpoint_url",
        "sts_endpoint_url",
        "path_style",
        "warn_before",
        "critical_before",
        "refresh_before",
        "auto_refresh",
        "allow_short_durations",
        "read_only",
        "transfer_concurrency",
        "list_concurrency",
        "read_timeout",
        "connect_timeout",
        "verify_md5",
        "profile",
        "source",
        "duration",
        "mfa_serial",
        "federated_name",
        "policy",
        "policy_file",
        "policy_arns",
        "role_arn",
        "session_name",
        "external_id",
        "source_identity",
        "tags",
    ] {
        assert!(
            text.contains(&format!("{key} =")) || text.contains(&format!("# {key} =")),
            "example documents `{key}`"
        );
    }
}
