//! `s3lease identities`: what can be started, of which kind, from what.

use serde::Serialize;

use crate::config::Catalog;
use crate::error::Result;
use crate::escape::untrusted;
use crate::identity::{Identity, Spec};

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    kind: &'a str,
    /// The identity it derives from, or for profiles the AWS profile (null: the default chain).
    source: Option<&'a str>,
    mfa: bool,
    origin: String,
}

fn row(identity: &Identity) -> Row<'_> {
    let source = match &identity.spec {
        Spec::Profile(p) => p.profile.as_deref(),
        other => other.source(),
    };
    Row {
        name: &identity.name,
        kind: identity.spec.kind(),
        source,
        mfa: identity.spec.mfa_serial().is_some(),
        origin: identity.origin.to_string(),
    }
}

pub fn run(catalog: &Catalog, json: bool) -> Result<()> {
    let rows: Vec<Row> = catalog.identities().iter().map(row).collect();
    super::emit(|out| {
        if json {
            for r in &rows {
                crate::escape::json_to_writer(&mut *out, r)?;
                writeln!(out)?;
            }
            return Ok(());
        }
        let width = |f: &dyn Fn(&Row) -> usize, min: usize| rows.iter().map(f).max().unwrap_or(0).max(min);
        let name_w = width(&|r| r.name.chars().count(), 4);
        let kind_w = width(&|r| r.kind.len(), 4);
        let source_label = |r: &Row| match (r.kind, r.source) {
            ("profile", None) => "(default chain)".to_string(),
            (_, Some(s)) => s.to_string(),
            (_, None) => String::new(),
        };
        let source_w = width(&|r| source_label(r).chars().count() + if r.mfa { 6 } else { 0 }, 6);
        writeln!(out, "{:name_w$}  {:kind_w$}  {:source_w$}  FROM", "NAME", "KIND", "SOURCE")?;
        for r in &rows {
            let source = format!("{}{}", source_label(r), if r.mfa { " (MFA)" } else { "" });
            writeln!(
                out,
                "{:name_w$}  {:kind_w$}  {:source_w$}  {}",
                untrusted(r.name),
                r.kind,
                untrusted(&source),
                untrusted(&r.origin)
            )?;
        }
        Ok(())
    })?;
    Ok(())
}
