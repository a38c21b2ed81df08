//! Starts identities: resolves the source chain, calls STS, and keeps every session started in
//! this run so sources are reused while valid. That is what makes one MFA session serve every
//! role chained from it: the second role finds the session-token identity already running.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::clients::AwsContext;
use crate::config::Catalog;
use crate::credentials::mfa::MfaSource;
use crate::credentials::provider::LeaseProvider;
use crate::credentials::session::{Session, SessionInfo};
use crate::credentials::{base, checks, sts};
use crate::error::{Error, Result};
use crate::identity::{Identity, Spec};
use crate::validate;

/// A cached session is reused only if it stays valid at least this long: enough for the
/// STS call that derives from it, and for a listing page or two.
const REUSE_MARGIN: Duration = Duration::from_secs(60);

type Env = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

pub struct SessionManager {
    catalog: Arc<Catalog>,
    aws: AwsContext,
    sessions: HashMap<String, Arc<Session>>,
    env: Env,
    /// Sessions started or refreshed since `take_changes`, for the UI to hear of refreshes it
    /// did not ask for (a listing that found its credentials expired).
    changes: Vec<SessionInfo>,
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

impl SessionManager {
    pub fn new(catalog: Arc<Catalog>, aws: AwsContext) -> Self {
        SessionManager {
            catalog,
            aws,
            sessions: HashMap::new(),
            env: Arc::new(|k| std::env::var(k).ok()),
            changes: Vec::new(),
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn aws(&self) -> &AwsContext {
        &self.aws
    }

    /// Adds an identity made at run time; saved to the config file too with `save`.
    pub fn add_identity(
        &mut self,
        identity: crate::identity::Identity,
        save: bool,
    ) -> Result<Option<std::path::PathBuf>> {
        let path = match save {
            true => Some(
                self.catalog
                    .config_file
                    .clone()
                    .or_else(crate::config::default_config_path)
                    .ok_or_else(|| Error::Usage("no config file location to save the identity in".into()))?,
            ),
            false => None,
        };
        Arc::make_mut(&mut self.catalog).add(identity.clone())?;
        if let Some(path) = &path {
            crate::config::save::append_identity(path, &identity)?;
        }
        Ok(path)
    }

    /// What was started or refreshed since the last call, with caller ARNs known.
    pub fn take_changes(&mut self) -> Vec<SessionInfo> {
        let mut changes = std::mem::take(&mut self.changes);
        changes.retain(|info| info.arn.is_some());
        changes
    }

    /// Sessions started so far in this run, valid or not.
    pub fn started(&self) -> impl Iterator<Item = &Arc<Session>> {
        self.sessions.values()
    }

    /// Starts `name` (or returns its running session), asking `mfa` for codes as needed.
    pub async fn start(&mut self, name: &str, mfa: &mut dyn MfaSource) -> Result<Arc<Session>> {
        // The hot path: every listing page asks for its session.
        if let Some(running) = self.sessions.get(name)
            && running.info.arn.is_some()
            && running.valid_for(SystemTime::now(), REUSE_MARGIN)
        {
            return Ok(running.clone());
        }
        self.check_chain(name)?;
        let session = self.start_link(name, mfa, false).await?;
        self.with_arn(session).await
    }

    /// Like [`start`](Self::start) but without asking STS who the session is: for commands that
    /// only use the credentials, where GetCallerIdentity would be a round trip before the first
    /// byte of output. [`identify`](Self::identify) fills the ARN in later if it is wanted.
    pub async fn start_unidentified(&mut self, name: &str, mfa: &mut dyn MfaSource) -> Result<Arc<Session>> {
        self.check_chain(name)?;
        self.start_link(name, mfa, false).await
    }

    /// `session` with its caller ARN (one GetCallerIdentity call unless already known).
    pub async fn identify(&mut self, session: Arc<Session>) -> Result<Arc<Session>> {
        self.with_arn(session).await
    }

    /// Gets new credentials for `name` now, reusing its sources while they are valid.
    pub async fn refresh(&mut self, name: &str, mfa: &mut dyn MfaSource) -> Result<Arc<Session>> {
        self.check_chain(name)?;
        let session = self.start_link(name, mfa, true).await?;
        self.with_arn(session).await
    }

    /// Every STS limit of every link, before any network call.
    fn check_chain(&self, name: &str) -> Result<()> {
        let chain = self.catalog.chain(name)?;
        let allow_short = self.aws.settings.allow_short_durations;
        for (i, identity) in chain.iter().enumerate() {
            let source = chain.get(i + 1);
            let temporary = source.is_some_and(|s| s.spec.always_temporary());
            checks::check(identity, source.map(|s| (s.name.as_str(), s.spec.kind())), temporary, allow_short)?;
        }
        Ok(())
    }

    /// Sources started only to derive another identity skip GetCallerIdentity; fetch it when
    /// the session is the one asked for.
    async fn with_arn(&mut self, session: Arc<Session>) -> Result<Arc<Session>> {
        if session.info.arn.is_some() {
            return Ok(session);
        }
        let name = session.info.identity.clone();
        let credentials =
            session.lease.valid_at(SystemTime::now()).map_err(|e| Error::Expired { identity: e.identity, at: e.at })?;
        let endpoint = self.aws.sts_endpoint();
        let arn = sts::caller_arn(&self.aws.sts(credentials), &endpoint).await.map_err(|e| e.as_identity(&name))?;
        let mut updated = (*session).clone();
        updated.info.arn = Some(arn);
        let updated = Arc::new(updated);
        self.changes.push(updated.info.clone());
        self.sessions.insert(name, updated.clone());
        Ok(updated)
    }

    fn start_link<'a>(&'a mut self, name: &'a str, mfa: &'a mut dyn MfaSource, force: bool) -> Boxed<'a, Arc<Session>> {
        Box::pin(async move {
            if !force
                && let Some(running) = self.sessions.get(name)
                && running.valid_for(SystemTime::now(), REUSE_MARGIN)
            {
                return Ok(running.clone());
            }
            let identity = self.catalog.get(name).ok_or_else(|| self.catalog.unknown(name))?.clone();
            let (issued, source) = match identity.spec.source() {
                None => (self.load_base(&identity).await?, None),
                Some(source_name) => {
                    let source = self.start_link(source_name, &mut *mfa, false).await?;
                    (self.call_sts(&identity, &source, mfa).await?, Some(source))
                }
            };
            Ok(self.store(&identity, issued, source.as_deref()))
        })
    }

    async fn load_base(&self, identity: &Identity) -> Result<sts::Issued> {
        let Spec::Profile(spec) = &identity.spec else {
            unreachable!("identities without a source are profiles: Catalog::chain ends there")
        };
        let credentials = base::load(
            &identity.name,
            spec.profile.as_deref(),
            &self.catalog.aws_files,
            self.aws.region.clone(),
            &*self.env,
        )
        .await?;
        if base::expired(&credentials, SystemTime::now()) {
            return Err(Error::Expired {
                identity: identity.name.clone(),
                at: credentials.expiry().map(crate::timefmt::rfc3339).unwrap_or_default(),
            });
        }
        Ok(sts::Issued { credentials, arn: None, packed_policy_size: None })
    }

    async fn call_sts(&self, identity: &Identity, source: &Session, mfa: &mut dyn MfaSource) -> Result<sts::Issued> {
        let name = identity.name.as_str();
        // The static checks assumed profiles give long-term keys; now the source is known.
        if source.info.temporary {
            checks::check(
                identity,
                Some((&source.info.identity, source.info.kind)),
                true,
                self.aws.settings.allow_short_durations,
            )?;
        }
        let code = match identity.spec.mfa_serial() {
            Some(serial) => {
                let code = mfa.code(name, serial)?;
                validate::mfa_code(name, &code)?;
                Some((serial, code))
            }
            None => None,
        };
        let mfa_pair = code.as_ref().map(|(serial, code)| (*serial, code.as_str()));
        let credentials =
            source.lease.valid_at(SystemTime::now()).map_err(|e| Error::Expired { identity: e.identity, at: e.at })?;
        let client = self.aws.sts(credentials);
        let endpoint = self.aws.sts_endpoint();
        let issued = match &identity.spec {
            Spec::Profile(_) => unreachable!("profiles have no source"),
            Spec::SessionToken(s) => {
                sts::get_session_token(&client, &endpoint, s.duration.map(|d| d.0), mfa_pair).await
            }
            Spec::Federation(s) => {
                let policy = checks::policy_text(name, s.policy.as_ref())?;
                sts::get_federation_token(
                    &client,
                    &endpoint,
                    &s.federated_name,
                    policy,
                    &s.policy_arns,
                    s.duration.map(|d| d.0),
                )
                .await
            }
            Spec::AssumeRole(s) => {
                let policy = checks::policy_text(name, s.policy.as_ref())?;
                let default_name = default_session_name();
                let input = sts::AssumeRoleInput {
                    role_arn: &s.role_arn,
                    session_name: s.session_name.as_deref().unwrap_or(&default_name),
                    external_id: s.external_id.as_deref(),
                    duration: s.duration.map(|d| d.0),
                    mfa: mfa_pair,
                    policy,
                    policy_arns: &s.policy_arns,
                    source_identity: s.source_identity.as_deref(),
                    tags: &s.tags,
                };
                sts::assume_role(&client, &endpoint, input).await
            }
        };
        issued.map_err(|e| Error::from(e.as_identity(name)))
    }

    fn store(&mut self, identity: &Identity, issued: sts::Issued, source: Option<&Session>) -> Arc<Session> {
        let own_mfa = identity.spec.mfa_serial().is_some();
        let link = format!("{} {}{}", identity.spec.kind(), identity.name, if own_mfa { " (MFA)" } else { "" });
        let chain = match source {
            Some(source) => format!("{link} <- {}", source.info.chain),
            None => link,
        };
        let info = SessionInfo {
            identity: identity.name.clone(),
            kind: identity.spec.kind(),
            chain,
            arn: issued.arn,
            expires_at: issued.credentials.expiry(),
            temporary: issued.credentials.session_token().is_some(),
            mfa: own_mfa,
            refresh_needs_mfa_from: if own_mfa {
                Some(SystemTime::UNIX_EPOCH)
            } else {
                source.and_then(|s| match (s.info.mfa, s.info.expires_at) {
                    // A refresh reuses the MFA session while it has REUSE_MARGIN left.
                    (true, Some(end)) => Some(end.checked_sub(REUSE_MARGIN).unwrap_or(SystemTime::UNIX_EPOCH)),
                    (true, None) => Some(SystemTime::UNIX_EPOCH),
                    (false, _) => s.info.refresh_needs_mfa_from,
                })
            },
            region: self.aws.region.to_string(),
            endpoint: self.aws.s3_endpoint(None),
            packed_policy_size: issued.packed_policy_size,
        };
        // A refresh keeps the lease and client, so listings in flight carry on with the new keys.
        let (lease, s3) = match self.sessions.get(&identity.name) {
            Some(previous) => {
                previous.lease.replace(issued.credentials);
                (previous.lease.clone(), previous.s3.clone())
            }
            None => {
                let lease = LeaseProvider::new(&identity.name, issued.credentials);
                let s3 = self.aws.s3(lease.clone(), None);
                (lease, s3)
            }
        };
        let session = Arc::new(Session { info, lease, s3, issued_at: SystemTime::now() });
        self.changes.push(session.info.clone());
        self.sessions.insert(identity.name.clone(), session.clone());
        session
    }
}

/// What the AWS CLI does for role profiles without `role_session_name`: a name from the clock.
fn default_session_name() -> String {
    let secs = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("s3lease-{secs}")
}
