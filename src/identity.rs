//! Identities: named ways of getting credentials, from the s3lease config, from
//! `~/.aws/config`, or the AWS default chain. Pure data; `credentials` turns them into sessions.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Where an identity was defined, so errors can point at the file to edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Config(PathBuf),
    AwsProfile {
        file: PathBuf,
        profile: String,
    },
    /// The AWS default credential chain, offered when nothing else is called `default`.
    Builtin,
    /// Created in the UI during this run.
    AdHoc,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Config(path) => write!(f, "{}", path.display()),
            Origin::AwsProfile { file, profile } => write!(f, "{} [{profile}]", file.display()),
            Origin::Builtin => f.write_str("built in"),
            Origin::AdHoc => f.write_str("created in this run"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub name: String,
    pub origin: Origin,
    pub spec: Spec,
    /// A problem found while importing it (from `~/.aws/config`), reported only if it is used:
    /// one odd profile must not stop every other identity from working.
    pub defect: Option<crate::error::ConfigError>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    Profile(ProfileSpec),
    SessionToken(SessionTokenSpec),
    Federation(FederationSpec),
    AssumeRole(AssumeRoleSpec),
}

/// The `kind` values accepted in the config, in the order the docs list them.
pub const KINDS: [&str; 4] = ["profile", "session-token", "federation", "assume-role"];

impl Spec {
    pub fn kind(&self) -> &'static str {
        match self {
            Spec::Profile(_) => KINDS[0],
            Spec::SessionToken(_) => KINDS[1],
            Spec::Federation(_) => KINDS[2],
            Spec::AssumeRole(_) => KINDS[3],
        }
    }

    /// The identity whose credentials this one is derived from, if any.
    pub fn source(&self) -> Option<&str> {
        match self {
            Spec::Profile(_) => None,
            Spec::SessionToken(s) => Some(&s.source),
            Spec::Federation(s) => Some(&s.source),
            Spec::AssumeRole(s) => Some(&s.source),
        }
    }

    pub fn mfa_serial(&self) -> Option<&str> {
        match self {
            Spec::SessionToken(s) => s.mfa_serial.as_deref(),
            Spec::AssumeRole(s) => s.mfa_serial.as_deref(),
            Spec::Profile(_) | Spec::Federation(_) => None,
        }
    }

    /// Whether the credentials this yields are always temporary (carry a session token).
    /// Profiles may be either; that is only known once they are loaded.
    pub fn always_temporary(&self) -> bool {
        !matches!(self, Spec::Profile(_))
    }
}

/// A duration written as text in the config (`"15m"`, `"1h30m"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        crate::duration::parse(&text).map(HumanDuration).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    /// A profile from `~/.aws/config`; `None` is the AWS default chain (environment first).
    pub profile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionTokenSpec {
    pub source: String,
    pub duration: Option<HumanDuration>,
    pub mfa_serial: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    Inline(String),
    /// Read when the identity starts, so edits apply without restarting.
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationSpec {
    pub source: String,
    pub federated_name: String,
    #[serde(skip)]
    pub policy: Option<PolicySource>,
    #[serde(default)]
    pub policy_arns: Vec<String>,
    pub duration: Option<HumanDuration>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssumeRoleSpec {
    pub source: String,
    pub role_arn: String,
    /// Optional only for roles imported from `~/.aws/config`; the config requires it.
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<HumanDuration>,
    pub mfa_serial: Option<String>,
    #[serde(skip)]
    pub policy: Option<PolicySource>,
    #[serde(default)]
    pub policy_arns: Vec<String>,
    pub source_identity: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// Used in config tables alongside the kind's own keys; separated out before the kind is parsed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyKeys {
    pub policy: Option<String>,
    pub policy_file: Option<PathBuf>,
}
