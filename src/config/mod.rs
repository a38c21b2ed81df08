//! The catalog of identities and the settings, from the s3lease config file and the AWS
//! CLI's profiles. Structure is checked at load (unknown keys, types, duplicate names,
//! sources that name nothing, cycles); STS limits are checked when an identity starts.

pub mod aws_profiles;
pub mod save;
mod settings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use self::settings::RawSettings;
pub use self::settings::Settings;
use crate::credentials::base::AwsFiles;
use crate::error::ConfigError;
use crate::identity::{
    AssumeRoleSpec, FederationSpec, Identity, KINDS, Origin, PolicyKeys, PolicySource, ProfileSpec, SessionTokenSpec,
    Spec,
};

/// The default config location: `$XDG_CONFIG_HOME/s3lease/config.toml` on Linux.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "s3lease").map(|d| d.config_dir().join("config.toml"))
}

/// Where to read from. `config_explicit` means the user named the file, so it must exist.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub config: Option<PathBuf>,
    pub config_explicit: bool,
    pub aws_config: Option<PathBuf>,
    pub aws_credentials: Option<PathBuf>,
}

impl Sources {
    /// `explicit`: from `--config` or `S3LEASE_CONFIG`; otherwise the default location.
    pub fn from_env(explicit: Option<PathBuf>) -> Self {
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let (aws_config, aws_credentials) = aws_profiles::default_paths(&env, home.as_deref());
        Sources {
            config_explicit: explicit.is_some(),
            config: explicit.or_else(default_config_path),
            aws_config,
            aws_credentials,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub settings: Settings,
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// The AWS CLI files the profiles came from; profile credentials are loaded from them too.
    pub aws_files: AwsFiles,
    /// `[keys]`: key binding overrides, action name to keys; checked by the keymap at start-up.
    pub keys: BTreeMap<String, Vec<String>>,
    identities: Vec<Identity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    settings: RawSettings,
    #[serde(default)]
    identity: Vec<toml::Spanned<toml::Table>>,
    #[serde(default)]
    keys: BTreeMap<String, Vec<String>>,
}

impl Catalog {
    pub fn load(sources: &Sources) -> Result<Catalog, ConfigError> {
        let config = match &sources.config {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => Some((path.clone(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !sources.config_explicit => None,
                Err(e) => {
                    let message = if e.kind() == std::io::ErrorKind::NotFound {
                        "no such file; create it (see config.example.toml) or point --config / S3LEASE_CONFIG elsewhere"
                            .to_string()
                    } else {
                        format!("cannot read it: {e}")
                    };
                    return Err(ConfigError { file: path.clone(), context: None, message });
                }
            },
            None => None,
        };
        let profiles = aws_profiles::load(sources.aws_config.as_deref(), sources.aws_credentials.as_deref())?;
        let mut catalog = Catalog::from_parts(config.as_ref().map(|(p, t)| (p.as_path(), t.as_str())), &profiles)?;
        catalog.aws_files =
            AwsFiles { config: sources.aws_config.clone(), credentials: sources.aws_credentials.clone() };
        Ok(catalog)
    }

    /// Builds the catalog from a config file's text and already-read AWS profiles.
    pub fn from_parts(
        config: Option<(&Path, &str)>,
        profiles: &[aws_profiles::AwsProfile],
    ) -> Result<Catalog, ConfigError> {
        let (settings, own, keys) = match config {
            Some((path, text)) => parse_config(path, text)?,
            None => (Settings::default(), Vec::new(), BTreeMap::new()),
        };
        let mut identities = own;
        let own_count = identities.len();
        for profile in profiles {
            // An s3lease identity of the same name shadows the AWS profile.
            if identities.iter().any(|i| i.name == profile.name) {
                continue;
            }
            identities.push(aws_profiles::to_identity(profile));
        }
        if !identities.iter().any(|i| i.name == "default") {
            identities.push(Identity {
                name: "default".into(),
                origin: Origin::Builtin,
                spec: Spec::Profile(ProfileSpec { profile: None }),
                defect: None,
            });
        }
        let catalog = Catalog {
            settings,
            config_file: config.map(|(p, _)| p.to_path_buf()),
            aws_files: AwsFiles::default(),
            keys,
            identities,
        };
        // Problems in s3lease's own config stop the load; an odd AWS profile only matters if used.
        for identity in &catalog.identities[..own_count] {
            catalog.chain(&identity.name)?;
        }
        Ok(catalog)
    }

    /// Adds an identity made at run time, checking its name and its source chain.
    pub fn add(&mut self, identity: Identity) -> Result<(), ConfigError> {
        if self.get(&identity.name).is_some() {
            return Err(ConfigError {
                file: origin_file(&identity.origin),
                context: Some(format!("identity `{}`", identity.name)),
                message: "that name is taken; pick another".into(),
            });
        }
        let name = identity.name.clone();
        self.identities.push(identity);
        if let Err(e) = self.chain(&name) {
            self.identities.pop();
            return Err(e);
        }
        Ok(())
    }

    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    pub fn get(&self, name: &str) -> Option<&Identity> {
        self.identities.iter().find(|i| i.name == name)
    }

    /// The identity used when none is named: the first one configured.
    pub fn first(&self) -> &Identity {
        // from_parts always adds `default` when nothing else defines it, so this is never empty.
        &self.identities[0]
    }

    /// The identity and its sources, nearest first, ending at a profile. Errors name the
    /// file, the identity and the `source` key when a source is missing or the chain loops.
    pub fn chain(&self, name: &str) -> Result<Vec<&Identity>, ConfigError> {
        let mut chain: Vec<&Identity> = Vec::new();
        let mut current = self.get(name).ok_or_else(|| self.unknown(name))?;
        loop {
            if chain.iter().any(|i| i.name == current.name) {
                let first = chain[0];
                let path: Vec<&str> = chain.iter().map(|i| i.name.as_str()).chain([current.name.as_str()]).collect();
                return Err(ConfigError {
                    file: origin_file(&first.origin),
                    context: Some(format!("identity `{}`, key `source`", first.name)),
                    message: format!(
                        "the source chain loops ({}); end the chain at a `profile` identity",
                        path.join(" -> ")
                    ),
                });
            }
            if let Some(defect) = &current.defect {
                return Err(defect.clone());
            }
            chain.push(current);
            let Some(source) = current.spec.source() else { return Ok(chain) };
            current = self.get(source).ok_or_else(|| ConfigError {
                file: origin_file(&current.origin),
                context: Some(format!("identity `{}`, key `source`", current.name)),
                message: format!("names `{source}`, which is not an identity; known: {}", self.names().join(", ")),
            })?;
        }
    }

    /// The chain as a person reads it, before anything is started:
    /// `assume-role auditor <- session-token mfa (MFA) <- profile alice`.
    pub fn describe_chain(&self, name: &str) -> String {
        match self.chain(name) {
            Ok(links) => links
                .iter()
                .map(|i| {
                    let mfa = if i.spec.mfa_serial().is_some() { " (MFA)" } else { "" };
                    format!("{} {}{mfa}", i.spec.kind(), i.name)
                })
                .collect::<Vec<_>>()
                .join(" <- "),
            Err(e) => format!("(cannot start: {})", e.message),
        }
    }

    fn names(&self) -> Vec<&str> {
        self.identities.iter().map(|i| i.name.as_str()).collect()
    }

    /// The error for an identity name given on the command line that names nothing.
    pub fn unknown(&self, name: &str) -> ConfigError {
        ConfigError {
            file: self.config_file.clone().unwrap_or_else(|| PathBuf::from("(no config file)")),
            context: None,
            message: format!(
                "no identity named `{name}`; known: {} (run `s3lease identities` to see them)",
                self.names().join(", ")
            ),
        }
    }
}

fn origin_file(origin: &Origin) -> PathBuf {
    match origin {
        Origin::Config(path) | Origin::AwsProfile { file: path, .. } => path.clone(),
        Origin::Builtin => PathBuf::from("(built in)"),
        Origin::AdHoc => PathBuf::from("(created in this run)"),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

type Parsed = (Settings, Vec<Identity>, BTreeMap<String, Vec<String>>);

fn parse_config(path: &Path, text: &str) -> Result<Parsed, ConfigError> {
    let error = |context: Option<String>, message: String| ConfigError { file: path.to_path_buf(), context, message };
    let raw: RawConfig = toml::from_str(text).map_err(|e| error(None, e.to_string().trim_end().to_string()))?;
    let settings =
        raw.settings.resolve().map_err(|(key, message)| error(Some(format!("[settings] key `{key}`")), message))?;

    let mut identities: Vec<Identity> = Vec::new();
    let mut lines: Vec<usize> = Vec::new();
    for spanned in raw.identity {
        let line = line_of(text, spanned.span().start);
        let mut table = spanned.into_inner();
        let name = match table.remove("name") {
            Some(toml::Value::String(name)) if !name.trim().is_empty() => name,
            Some(toml::Value::String(_)) => {
                return Err(error(
                    Some(format!("[[identity]] at line {line}, key `name`")),
                    "is empty; give the identity a name".into(),
                ));
            }
            Some(other) => {
                return Err(error(
                    Some(format!("[[identity]] at line {line}, key `name`")),
                    format!("must be a string, not {}", other.type_str()),
                ));
            }
            None => {
                return Err(error(
                    Some(format!("[[identity]] at line {line}")),
                    "missing key `name`; every identity needs a unique name".into(),
                ));
            }
        };
        let context = |key: &str| Some(format!("identity `{name}` (line {line}), key `{key}`"));
        if let Some(previous) = identities.iter().position(|i| i.name == name) {
            return Err(error(
                context("name"),
                format!("`{name}` is already used by the identity at line {}; names must be unique", lines[previous]),
            ));
        }
        let kind = match table.remove("kind") {
            Some(toml::Value::String(kind)) => kind,
            Some(other) => return Err(error(context("kind"), format!("must be a string, not {}", other.type_str()))),
            None => return Err(error(context("kind"), format!("is missing; set it to one of: {}", KINDS.join(", ")))),
        };
        let spec = parse_spec(path, &kind, table).map_err(|(key, message)| error(context(&key), message))?;
        identities.push(Identity { name, origin: Origin::Config(path.to_path_buf()), spec, defect: None });
        lines.push(line);
    }
    Ok((settings, identities, raw.keys))
}

/// Parses one identity table (without `name` and `kind`); errors are (key, message).
fn parse_spec(config_path: &Path, kind: &str, mut table: toml::Table) -> Result<Spec, (String, String)> {
    fn typed<T: serde::de::DeserializeOwned>(table: toml::Table) -> Result<T, (String, String)> {
        serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let message = e.inner().to_string();
            let path = e.path().to_string();
            // Unknown and missing fields are reported at the table itself; serde names them.
            let key = if path == "." { message.split('`').nth(1).unwrap_or("?").to_string() } else { path };
            (key, message)
        })
    }
    let mut policy = || -> Result<Option<PolicySource>, (String, String)> {
        let keys = PolicyKeys {
            policy: take_string(&mut table, "policy")?,
            policy_file: take_string(&mut table, "policy_file")?.map(PathBuf::from),
        };
        match (keys.policy, keys.policy_file) {
            (Some(_), Some(_)) => Err((
                "policy_file".into(),
                "is set together with `policy`; use one: inline JSON in `policy`, or a path in `policy_file`".into(),
            )),
            (Some(text), None) => Ok(Some(PolicySource::Inline(text))),
            (None, Some(file)) => {
                let base = config_path.parent().unwrap_or(Path::new("."));
                Ok(Some(PolicySource::File(base.join(file))))
            }
            (None, None) => Ok(None),
        }
    };
    match kind {
        "profile" => Ok(Spec::Profile(typed::<ProfileSpec>(table)?)),
        "session-token" => Ok(Spec::SessionToken(typed::<SessionTokenSpec>(table)?)),
        "federation" => {
            let policy = policy()?;
            let mut spec = typed::<FederationSpec>(table)?;
            if policy.is_none() && spec.policy_arns.is_empty() {
                return Err((
                    "policy".into(),
                    "is missing: a federated user has no permissions without a policy; set `policy`, `policy_file` or `policy_arns`".into(),
                ));
            }
            spec.policy = policy;
            Ok(Spec::Federation(spec))
        }
        "assume-role" => {
            let policy = policy()?;
            let mut spec = typed::<AssumeRoleSpec>(table)?;
            if spec.session_name.is_none() {
                return Err((
                    "session_name".into(),
                    "is missing; it names the session in CloudTrail, e.g. session_name = \"alice-audit\"".into(),
                ));
            }
            spec.policy = policy;
            Ok(Spec::AssumeRole(spec))
        }
        other => Err(("kind".into(), format!("`{other}` is not a kind; use one of: {}", KINDS.join(", ")))),
    }
}

fn take_string(table: &mut toml::Table, key: &str) -> Result<Option<String>, (String, String)> {
    match table.remove(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(other) => Err((key.to_string(), format!("must be a string, not {}", other.type_str()))),
    }
}

#[cfg(test)]
mod tests;
