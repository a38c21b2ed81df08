//! Creating an identity from the picker, without editing the config: assume a role by ARN, or
//! get a federation token with a bundled policy (or one from a file). Each field is checked as
//! it is typed, with the same validators the CLI runs before calling STS.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, IdentityChoice, Mode};
use crate::identity::{AssumeRoleSpec, FederationSpec, HumanDuration, Identity, Origin, PolicySource, Spec};
use crate::policy_templates::Template;
use crate::validate::{self, StsOperation};
use crate::worker::Request;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdHocKind {
    AssumeRole,
    Federation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyChoice {
    Template(Template),
    File,
}

impl PolicyChoice {
    const ALL: [PolicyChoice; 4] = [
        PolicyChoice::Template(Template::ReadOnlyBucket),
        PolicyChoice::Template(Template::ReadOnlyPrefix),
        PolicyChoice::Template(Template::ListOnly),
        PolicyChoice::File,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PolicyChoice::Template(t) => t.label(),
            PolicyChoice::File => "from a file",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Name,
    Source,
    RoleArn,
    SessionName,
    ExternalId,
    FederatedName,
    Policy,
    Bucket,
    Prefix,
    PolicyFile,
    Duration,
    Save,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Source => "source",
            Field::RoleArn => "role ARN",
            Field::SessionName => "session name",
            Field::ExternalId => "external ID",
            Field::FederatedName => "federated name",
            Field::Policy => "policy",
            Field::Bucket => "bucket",
            Field::Prefix => "prefix",
            Field::PolicyFile => "policy file",
            Field::Duration => "duration",
            Field::Save => "save to config",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdHocForm {
    pub kind: AdHocKind,
    pub text: BTreeMap<Field, String>,
    pub policy: PolicyChoice,
    pub save: bool,
    /// Position in `fields()`.
    pub focus: usize,
    /// Shown once the user has tried to create with errors left.
    pub show_all_errors: bool,
}

/// What the form needs to know about the rest of the app to check its fields.
pub struct Context<'a> {
    pub identities: &'a [IdentityChoice],
    pub allow_short: bool,
}

impl AdHocForm {
    pub fn new(kind: AdHocKind, source: &str, bucket: &str, prefix: &str) -> Self {
        let mut text = BTreeMap::new();
        text.insert(Field::Source, source.to_string());
        text.insert(Field::Bucket, bucket.to_string());
        text.insert(Field::Prefix, prefix.to_string());
        let (name, duration) = match kind {
            AdHocKind::AssumeRole => ("adhoc-role", "1h"),
            AdHocKind::Federation => ("adhoc-federated", "1h"),
        };
        text.insert(Field::Name, name.to_string());
        text.insert(Field::Duration, duration.to_string());
        text.insert(Field::SessionName, "s3lease-adhoc".to_string());
        text.insert(Field::FederatedName, "s3lease-share".to_string());
        let policy = if prefix.is_empty() {
            PolicyChoice::Template(Template::ReadOnlyBucket)
        } else {
            PolicyChoice::Template(Template::ReadOnlyPrefix)
        };
        AdHocForm { kind, text, policy, save: false, focus: 0, show_all_errors: false }
    }

    pub fn title(&self) -> &'static str {
        match self.kind {
            AdHocKind::AssumeRole => "assume a role",
            AdHocKind::Federation => "federation token",
        }
    }

    /// The fields in order; some depend on the kind and the policy choice.
    pub fn fields(&self) -> Vec<Field> {
        let mut fields = vec![Field::Name, Field::Source];
        match self.kind {
            AdHocKind::AssumeRole => fields.extend([Field::RoleArn, Field::SessionName, Field::ExternalId]),
            AdHocKind::Federation => {
                fields.extend([Field::FederatedName, Field::Policy]);
                match self.policy {
                    PolicyChoice::Template(t) => {
                        fields.push(Field::Bucket);
                        if t.needs_prefix() {
                            fields.push(Field::Prefix);
                        }
                    }
                    PolicyChoice::File => fields.push(Field::PolicyFile),
                }
            }
        }
        fields.extend([Field::Duration, Field::Save]);
        fields
    }

    pub fn focused(&self) -> Field {
        let fields = self.fields();
        fields[self.focus.min(fields.len() - 1)]
    }

    pub fn value(&self, field: Field) -> &str {
        self.text.get(&field).map(String::as_str).unwrap_or("")
    }

    fn source_choice<'a>(&self, ctx: &Context<'a>) -> Option<&'a IdentityChoice> {
        ctx.identities.iter().find(|i| i.name == self.value(Field::Source).trim())
    }

    fn policy_text(&self) -> Result<String, String> {
        match self.policy {
            PolicyChoice::Template(t) => Ok(t.render(self.value(Field::Bucket).trim(), self.value(Field::Prefix))),
            PolicyChoice::File => {
                let path = self.value(Field::PolicyFile).trim();
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
            }
        }
    }

    /// The problem with one field, if any: the limit it breaks and the fix.
    pub fn error(&self, field: Field, ctx: &Context<'_>) -> Option<String> {
        let name = self.value(Field::Name).trim();
        let v = self.value(field).trim();
        let describe = |e: crate::error::ValidationError| format!("{} {}; {}", field.label(), e.problem, e.fix);
        match field {
            Field::Name if v.is_empty() => Some("give the identity a name".into()),
            Field::Name if ctx.identities.iter().any(|i| i.name == v) => {
                Some(format!("`{v}` is already an identity; pick another name"))
            }
            Field::Source => match self.source_choice(ctx) {
                None => Some(format!("`{v}` is not an identity; use one listed in the picker")),
                // AWS refuses GetFederationToken with temporary credentials.
                Some(s) if self.kind == AdHocKind::Federation && s.kind != "profile" => Some(format!(
                    "`{v}` ({}) gives temporary credentials; GetFederationToken needs a profile with long-term keys",
                    s.kind
                )),
                _ => None,
            },
            Field::RoleArn => validate::role_arn(name, v).err().map(describe),
            Field::SessionName => validate::role_session_name(name, v).err().map(describe),
            Field::ExternalId if v.is_empty() => None,
            Field::ExternalId => validate::external_id(name, v).err().map(describe),
            Field::FederatedName => validate::federated_name(name, v).err().map(describe),
            Field::Bucket if v.is_empty() => Some("name the bucket the policy covers".into()),
            Field::Prefix if v.is_empty() => Some("name the prefix the policy covers, e.g. reports/2024/".into()),
            Field::PolicyFile if v.is_empty() => Some("give the path of a JSON policy document".into()),
            Field::Bucket | Field::Prefix | Field::PolicyFile | Field::Policy => match self.policy_text() {
                Err(e) => Some(e),
                Ok(text) => validate::inline_policy(name, "policy", &text)
                    .err()
                    .map(|e| format!("policy {}; {}", e.problem, e.fix)),
            },
            Field::Duration => match crate::duration::parse(v) {
                Err(e) => Some(e.to_string()),
                Ok(d) => {
                    let op = match self.kind {
                        AdHocKind::AssumeRole => StsOperation::AssumeRole {
                            chained: self.source_choice(ctx).is_some_and(|s| s.kind != "profile"),
                        },
                        AdHocKind::Federation => StsOperation::GetFederationToken,
                    };
                    validate::duration(name, op, d, ctx.allow_short).err().map(describe)
                }
            },
            _ => None,
        }
    }

    pub fn errors(&self, ctx: &Context<'_>) -> Vec<(Field, String)> {
        self.fields().into_iter().filter_map(|f| self.error(f, ctx).map(|e| (f, e))).collect()
    }

    /// The identity the form describes; call only when `errors` is empty.
    pub fn build(&self) -> Result<Identity, String> {
        let duration = crate::duration::parse(self.value(Field::Duration)).map_err(|e| e.to_string())?;
        let source = self.value(Field::Source).trim().to_string();
        let spec = match self.kind {
            AdHocKind::AssumeRole => Spec::AssumeRole(AssumeRoleSpec {
                source,
                role_arn: self.value(Field::RoleArn).trim().to_string(),
                session_name: Some(self.value(Field::SessionName).trim().to_string()),
                external_id: Some(self.value(Field::ExternalId).trim().to_string()).filter(|e| !e.is_empty()),
                duration: Some(HumanDuration(duration)),
                mfa_serial: None,
                policy: None,
                policy_arns: Vec::new(),
                source_identity: None,
                tags: BTreeMap::new(),
            }),
            AdHocKind::Federation => Spec::Federation(FederationSpec {
                source,
                federated_name: self.value(Field::FederatedName).trim().to_string(),
                policy: Some(match self.policy {
                    PolicyChoice::File => PolicySource::File(PathBuf::from(self.value(Field::PolicyFile).trim())),
                    PolicyChoice::Template(_) => PolicySource::Inline(self.policy_text()?),
                }),
                policy_arns: Vec::new(),
                duration: Some(HumanDuration(duration)),
            }),
        };
        Ok(Identity { name: self.value(Field::Name).trim().to_string(), origin: Origin::AdHoc, spec, defect: None })
    }

    fn move_focus(&mut self, delta: isize) {
        let last = self.fields().len() - 1;
        self.focus = self.focus.saturating_add_signed(delta).min(last);
    }
}

impl App {
    pub(super) fn open_adhoc(&mut self, kind: AdHocKind) {
        let (bucket, prefix) = match &self.listing.location {
            super::listing::Location::Prefix { bucket, prefix } => (bucket.clone(), prefix.clone()),
            super::listing::Location::Buckets => {
                (self.listing.selected().map(|e| e.key().to_string()).unwrap_or_default(), String::new())
            }
        };
        // Federation needs long-term keys: start from the first profile rather than a role.
        let source = match kind {
            AdHocKind::AssumeRole => self.session.identity.clone(),
            AdHocKind::Federation => self
                .identities
                .iter()
                .find(|i| i.kind == "profile")
                .map(|i| i.name.clone())
                .unwrap_or_else(|| self.session.identity.clone()),
        };
        self.mode = Mode::AdHoc(AdHocForm::new(kind, &source, &bucket, &prefix));
    }

    pub(super) fn on_adhoc_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let ctx_identities = self.identities.clone();
        let allow_short = self.allow_short_durations;
        let Mode::AdHoc(form) = &mut self.mode else { return Vec::new() };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let field = form.focused();
        match key.code {
            KeyCode::Char('c') if ctrl => return vec![Effect::Quit],
            KeyCode::Esc => self.open_picker(),
            KeyCode::Up | KeyCode::BackTab => form.move_focus(-1),
            KeyCode::Down | KeyCode::Tab => form.move_focus(1),
            KeyCode::Left | KeyCode::Right if field == Field::Policy => {
                let at = PolicyChoice::ALL.iter().position(|p| *p == form.policy).unwrap_or(0);
                let step = if key.code == KeyCode::Right { 1 } else { PolicyChoice::ALL.len() - 1 };
                form.policy = PolicyChoice::ALL[(at + step) % PolicyChoice::ALL.len()];
            }
            KeyCode::Char(' ') if field == Field::Save => form.save = !form.save,
            KeyCode::Enter => {
                let ctx = Context { identities: &ctx_identities, allow_short };
                let errors = form.errors(&ctx);
                if let Some((first, _)) = errors.first() {
                    form.show_all_errors = true;
                    form.focus = form.fields().iter().position(|f| f == first).unwrap_or(0);
                    return Vec::new();
                }
                let (built, save) = (form.build(), form.save);
                return match built {
                    Ok(identity) => self.create_identity(identity, save),
                    Err(e) => {
                        self.notify(e, true);
                        Vec::new()
                    }
                };
            }
            KeyCode::Backspace => {
                if let Some(text) = form.text.get_mut(&field) {
                    text.pop();
                }
            }
            KeyCode::Char(c) if !ctrl && !matches!(field, Field::Policy | Field::Save) => {
                form.text.entry(field).or_default().push(c);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Adds the identity (the worker checks its chain and, if asked, saves it) and switches to it.
    fn create_identity(&mut self, identity: Identity, save: bool) -> Vec<Effect> {
        let source = identity.spec.source().unwrap_or_default().to_string();
        let source_choice = self.identities.iter().find(|i| i.name == source).cloned();
        let chain = match &source_choice {
            Some(s) => format!("{} {} <- {}", identity.spec.kind(), identity.name, s.chain),
            None => format!("{} {}", identity.spec.kind(), identity.name),
        };
        let name = identity.name.clone();
        self.identities.push(IdentityChoice {
            name: name.clone(),
            kind: identity.spec.kind(),
            chain,
            mfa: source_choice.is_some_and(|s| s.mfa),
        });
        self.mode = Mode::Normal;
        let id = self.issue_id();
        let mut effects = vec![Effect::Send(Request::AddIdentity { id, identity: Box::new(identity), save })];
        effects.extend(self.switch_to(&name));
        effects
    }
}

#[cfg(test)]
mod tests;
