//! Writing an identity made in the UI into the config file: appended as a new `[[identity]]`
//! table, the rest of the file left as the user wrote it, replaced atomically.

use std::path::Path;

use crate::error::{Error, Result};
use crate::identity::{Identity, PolicySource, Spec};

/// The identity as a TOML table, in the config's own keys.
pub fn to_toml(identity: &Identity) -> toml::Table {
    let mut t = toml::Table::new();
    let mut put = |k: &str, v: String| {
        t.insert(k.to_string(), toml::Value::String(v));
    };
    put("name", identity.name.clone());
    put("kind", identity.spec.kind().to_string());
    let duration = |d: Option<crate::identity::HumanDuration>| d.map(|d| crate::duration::Compact(d.0).to_string());
    let policy = |p: &Option<PolicySource>| match p {
        Some(PolicySource::Inline(text)) => Some(("policy", text.clone())),
        Some(PolicySource::File(path)) => Some(("policy_file", path.display().to_string())),
        None => None,
    };
    match &identity.spec {
        Spec::Profile(p) => {
            if let Some(profile) = &p.profile {
                put("profile", profile.clone());
            }
        }
        Spec::SessionToken(s) => {
            put("source", s.source.clone());
            if let Some(d) = duration(s.duration) {
                put("duration", d);
            }
            if let Some(serial) = &s.mfa_serial {
                put("mfa_serial", serial.clone());
            }
        }
        Spec::Federation(f) => {
            put("source", f.source.clone());
            put("federated_name", f.federated_name.clone());
            if let Some((key, value)) = policy(&f.policy) {
                put(key, value);
            }
            if let Some(d) = duration(f.duration) {
                put("duration", d);
            }
        }
        Spec::AssumeRole(r) => {
            put("source", r.source.clone());
            put("role_arn", r.role_arn.clone());
            if let Some(name) = &r.session_name {
                put("session_name", name.clone());
            }
            if let Some(id) = &r.external_id {
                put("external_id", id.clone());
            }
            if let Some(d) = duration(r.duration) {
                put("duration", d);
            }
            if let Some((key, value)) = policy(&r.policy) {
                put(key, value);
            }
        }
    }
    t
}

/// Appends `identity` to the config at `path` (created if missing).
pub fn append_identity(path: &Path, identity: &Identity) -> Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let table = toml::to_string(&to_toml(identity))
        .map_err(|e| Error::Usage(format!("identity `{}` cannot be written as TOML: {e}", identity.name)))?;
    let separator = if existing.is_empty() || existing.ends_with("\n\n") {
        ""
    } else if existing.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    let text = format!("{existing}{separator}# Added by s3lease.\n[[identity]]\n{table}");
    crate::private_file::write(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Catalog;
    use crate::identity::{AssumeRoleSpec, HumanDuration, Origin};

    #[test]
    fn an_appended_identity_reads_back_the_same_and_the_rest_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "# mine\n[settings]\nregion = \"eu-west-1\"\n").unwrap();
        let identity = Identity {
            name: "adhoc-role".into(),
            origin: Origin::AdHoc,
            spec: Spec::AssumeRole(AssumeRoleSpec {
                source: "default".into(),
                role_arn: "arn:aws:iam::123456789012:role/Auditor".into(),
                session_name: Some("s3lease-adhoc".into()),
                external_id: Some("ext \"quoted\"".into()),
                duration: Some(HumanDuration(std::time::Duration::from_secs(5400))),
                mfa_serial: None,
                policy: Some(PolicySource::Inline("{\"Version\":\"2012-10-17\"}".into())),
                policy_arns: Vec::new(),
                source_identity: None,
                tags: Default::default(),
            }),
            defect: None,
        };
        append_identity(&path, &identity).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# mine\n[settings]\nregion = \"eu-west-1\"\n"), "{text}");
        let catalog = Catalog::from_parts(Some((&path, &text)), &[]).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let read = catalog.get("adhoc-role").expect("read back");
        assert_eq!(read.spec, identity.spec);
        assert_eq!(catalog.settings.region.as_deref(), Some("eu-west-1"));
    }
}
