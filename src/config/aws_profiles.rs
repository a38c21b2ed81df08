//! Reads `~/.aws/config` and `~/.aws/credentials` so every AWS profile is an s3lease identity
//! without any s3lease config. Role profiles become `assume-role` identities that s3lease
//! runs itself, which is how it honours `mfa_serial`, `duration_seconds` and `external_id`
//! (aws-config's own profile provider ignores MFA, and its sessions cannot be watched).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::ConfigError;
use crate::identity::{AssumeRoleSpec, HumanDuration, Identity, Origin, ProfileSpec, Spec};

/// Keys that hold credentials. s3lease never reads them itself (aws-config loads a profile's
/// keys when it starts), so they are dropped while parsing and cannot end up in a `Debug`.
const SECRET_KEYS: [&str; 3] = ["aws_secret_access_key", "aws_session_token", "aws_security_token"];

/// One `[profile x]` section, with keys from both files merged (credentials win, as in the CLI).
/// Holds no secret: see [`SECRET_KEYS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsProfile {
    pub name: String,
    pub file: PathBuf,
    pub keys: BTreeMap<String, String>,
}

/// The two files the AWS CLI reads, honouring `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`.
pub fn default_paths(env: &dyn Fn(&str) -> Option<String>, home: Option<&Path>) -> (Option<PathBuf>, Option<PathBuf>) {
    let expand = |value: String| -> PathBuf {
        match (value.strip_prefix("~/"), home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(value),
        }
    };
    let from_home = |rel: &str| home.map(|h| h.join(".aws").join(rel));
    let config = env("AWS_CONFIG_FILE").map(expand).or_else(|| from_home("config"));
    let credentials = env("AWS_SHARED_CREDENTIALS_FILE").map(expand).or_else(|| from_home("credentials"));
    (config, credentials)
}

/// Sections of an AWS INI file as (profile name, keys). In the config file profiles are
/// `[default]` and `[profile NAME]`; in the credentials file every section is a profile.
/// Other sections (`[sso-session x]`, `[services x]`) and nested sub-properties are skipped.
pub fn parse(text: &str, credentials_file: bool) -> Vec<(String, BTreeMap<String, String>)> {
    let mut sections: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut current: Option<usize> = None;
    let mut in_nested = false;
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[') {
            in_nested = false;
            let header = strip_comment(header);
            let Some(inner) = header.trim_end().strip_suffix(']') else {
                current = None;
                continue;
            };
            let inner = inner.trim();
            let name = if credentials_file {
                Some(inner)
            } else if inner == "default" {
                Some("default")
            } else {
                inner.strip_prefix("profile").filter(|r| r.starts_with([' ', '\t'])).map(str::trim)
            };
            current = match name {
                Some(name) if !name.is_empty() => {
                    let index = sections.iter().position(|(n, _)| n == name).unwrap_or_else(|| {
                        sections.push((name.to_string(), BTreeMap::new()));
                        sections.len() - 1
                    });
                    Some(index)
                }
                _ => None,
            };
            continue;
        }
        let Some(index) = current else { continue };
        let indented = line.starts_with([' ', '\t']);
        if indented && in_nested {
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else { continue };
        let key = key.trim().to_ascii_lowercase();
        let value = strip_comment(value).trim();
        // `s3 =` followed by indented lines opens a nested block of sub-properties.
        in_nested = value.is_empty();
        if !in_nested && !indented && !SECRET_KEYS.contains(&key.as_str()) {
            sections[index].1.insert(key, value.to_string());
        }
    }
    sections
}

/// Inline comments need whitespace before `#`/`;`, as in the AWS CLI: `key = a#b` keeps `a#b`.
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for i in 1..bytes.len() {
        if (bytes[i] == b'#' || bytes[i] == b';') && bytes[i - 1].is_ascii_whitespace() {
            return &value[..i];
        }
    }
    value
}

/// Reads and merges both files; a missing file is simply empty.
pub fn load(config: Option<&Path>, credentials: Option<&Path>) -> Result<Vec<AwsProfile>, ConfigError> {
    let mut profiles: Vec<AwsProfile> = Vec::new();
    for (path, is_credentials) in [(config, false), (credentials, true)] {
        let Some(path) = path else { continue };
        // The credentials file's text holds secret keys: wiped once parsed.
        let text = match std::fs::read_to_string(path) {
            Ok(text) => zeroize::Zeroizing::new(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(ConfigError {
                    file: path.to_path_buf(),
                    context: None,
                    message: format!("cannot read it: {e}"),
                });
            }
        };
        for (name, keys) in parse(&text, is_credentials) {
            match profiles.iter_mut().find(|p| p.name == name) {
                Some(existing) => existing.keys.extend(keys),
                None => profiles.push(AwsProfile { name, file: path.to_path_buf(), keys }),
            }
        }
    }
    Ok(profiles)
}

/// Maps a profile to an identity: `role_arn` + `source_profile` to `assume-role`, anything else
/// (static keys, SSO, `credential_process`, `credential_source`) to `profile`, loaded by aws-config.
pub fn to_identity(profile: &AwsProfile) -> Identity {
    let origin = Origin::AwsProfile { file: profile.file.clone(), profile: profile.name.clone() };
    let get = |k: &str| profile.keys.get(k).filter(|v| !v.is_empty()).cloned();
    let mut defect = None;
    let spec = match (get("role_arn"), get("source_profile")) {
        (Some(role_arn), Some(source)) => {
            let duration = get("duration_seconds").and_then(|text| match text.parse::<u64>() {
                Ok(secs) => Some(HumanDuration(Duration::from_secs(secs))),
                Err(_) => {
                    defect = Some(ConfigError {
                        file: profile.file.clone(),
                        context: Some(format!("profile `{}`, key `duration_seconds`", profile.name)),
                        message: format!(
                            "`{text}` is not a whole number of seconds; write it like duration_seconds = 3600"
                        ),
                    });
                    None
                }
            });
            Spec::AssumeRole(AssumeRoleSpec {
                source,
                role_arn,
                session_name: get("role_session_name"),
                external_id: get("external_id"),
                duration,
                mfa_serial: get("mfa_serial"),
                policy: None,
                policy_arns: Vec::new(),
                source_identity: None,
                tags: BTreeMap::new(),
            })
        }
        // The default profile is the start of the default chain (environment variables first),
        // which is what the AWS CLI uses when no profile is named.
        _ if profile.name == "default" => Spec::Profile(ProfileSpec { profile: None }),
        _ => Spec::Profile(ProfileSpec { profile: Some(profile.name.clone()) }),
    };
    Identity { name: profile.name.clone(), origin, spec, defect }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# comment
[default]
region = eu-west-1

[profile dev]
region = us-east-1 ; inline comment
s3 =
  max_concurrent_requests = 20
output = json

[profile audit]
role_arn = arn:aws:iam::123456789012:role/Auditor
source_profile = dev
mfa_serial = arn:aws:iam::123456789012:mfa/alice
duration_seconds = 1800
external_id = ext#1

[sso-session corp]
sso_region = us-east-1

[profilenot]
x = y
";

    #[test]
    fn parses_config_sections_and_skips_others() {
        let sections = parse(CONFIG, false);
        let names: Vec<&str> = sections.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["default", "dev", "audit"]);
        let dev = &sections[1].1;
        assert_eq!(dev.get("region").map(String::as_str), Some("us-east-1"));
        assert_eq!(dev.get("output").map(String::as_str), Some("json"));
        assert!(!dev.contains_key("max_concurrent_requests"), "nested keys are not profile keys");
        assert_eq!(sections[2].1.get("external_id").map(String::as_str), Some("ext#1"));
    }

    #[test]
    fn secret_keys_are_dropped_while_parsing_and_never_in_debug() {
        let text = "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = SECRETSECRETSECRET\n\
                    aws_session_token = TOKENTOKEN\naws_security_token = OLDTOKEN\nregion = eu-west-1\n";
        let sections = parse(text, true);
        let keys: Vec<&str> = sections[0].1.keys().map(String::as_str).collect();
        assert_eq!(keys, ["aws_access_key_id", "region"]);
        let profile = AwsProfile { name: "dev".into(), file: "/c".into(), keys: sections[0].1.clone() };
        let debug = format!("{profile:?} {:?}", to_identity(&profile));
        for secret in ["SECRETSECRETSECRET", "TOKENTOKEN", "OLDTOKEN"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
    }

    #[test]
    fn credentials_file_sections_are_bare_names() {
        let sections = parse("[dev]\naws_access_key_id = AKIA\n[profile x]\na = b\n", true);
        assert_eq!(sections[0].0, "dev");
        assert_eq!(sections[1].0, "profile x");
    }

    #[test]
    fn maps_role_profiles_to_assume_role_with_the_keys_aws_config_ignores() {
        let profiles: Vec<AwsProfile> =
            parse(CONFIG, false).into_iter().map(|(name, keys)| AwsProfile { name, file: "/c".into(), keys }).collect();
        let ids: Vec<Identity> = profiles.iter().map(to_identity).collect();
        assert_eq!(ids[0].spec, Spec::Profile(ProfileSpec { profile: None }));
        assert_eq!(ids[1].spec, Spec::Profile(ProfileSpec { profile: Some("dev".into()) }));
        let Spec::AssumeRole(role) = &ids[2].spec else { panic!("audit should be assume-role: {:?}", ids[2]) };
        assert_eq!(role.source, "dev");
        assert_eq!(role.mfa_serial.as_deref(), Some("arn:aws:iam::123456789012:mfa/alice"));
        assert_eq!(role.duration, Some(HumanDuration(Duration::from_secs(1800))));
        assert_eq!(role.external_id.as_deref(), Some("ext#1"));
    }

    #[test]
    fn a_bad_duration_names_file_profile_and_key() {
        let mut keys = BTreeMap::new();
        keys.insert("role_arn".into(), "arn:aws:iam::123456789012:role/R".into());
        keys.insert("source_profile".into(), "dev".into());
        keys.insert("duration_seconds".into(), "1h".into());
        let identity = to_identity(&AwsProfile { name: "r".into(), file: "/home/u/.aws/config".into(), keys });
        let err = identity.defect.expect("the bad duration is kept as a defect");
        assert_eq!(
            err.to_string(),
            "/home/u/.aws/config: profile `r`, key `duration_seconds`: `1h` is not a whole number of seconds; write it like duration_seconds = 3600"
        );
    }

    #[test]
    fn env_overrides_and_tilde_expansion() {
        let env = |k: &str| (k == "AWS_CONFIG_FILE").then(|| "~/custom/config".to_string());
        let (config, creds) = default_paths(&env, Some(Path::new("/home/u")));
        assert_eq!(config, Some(PathBuf::from("/home/u/custom/config")));
        assert_eq!(creds, Some(PathBuf::from("/home/u/.aws/credentials")));
    }
}
