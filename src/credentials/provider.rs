//! The app-owned credentials provider: one per started identity. It hands the SDK the
//! current credentials and refuses to hand out expired ones, so they are never sent.
//! A refresh replaces the credentials inside it; switching identity uses another provider.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};

/// Raised instead of signing a request with credentials past their expiry.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the credentials of identity `{identity}` expired at {at}, so s3lease did not send the request")]
pub struct LeaseExpired {
    pub identity: String,
    pub at: String,
}

#[derive(Clone)]
pub struct LeaseProvider {
    identity: Arc<str>,
    current: Arc<RwLock<Credentials>>,
}

impl fmt::Debug for LeaseProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials' own Debug redacts the secret; show only what identifies the lease.
        f.debug_struct("LeaseProvider")
            .field("identity", &self.identity)
            .field("expires_at", &self.expires_at().map(crate::timefmt::rfc3339))
            .finish()
    }
}

impl LeaseProvider {
    pub fn new(identity: &str, credentials: Credentials) -> Self {
        LeaseProvider { identity: identity.into(), current: Arc::new(RwLock::new(credentials)) }
    }

    /// Swaps in refreshed credentials; clients built on this provider use them from the next request.
    pub fn replace(&self, credentials: Credentials) {
        *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = credentials;
    }

    pub fn credentials(&self) -> Credentials {
        self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub fn expires_at(&self) -> Option<SystemTime> {
        self.credentials().expiry()
    }

    /// The credentials if they are still valid at `now`.
    pub fn valid_at(&self, now: SystemTime) -> Result<Credentials, LeaseExpired> {
        let credentials = self.credentials();
        match credentials.expiry() {
            Some(expiry) if expiry <= now => {
                Err(LeaseExpired { identity: self.identity.to_string(), at: crate::timefmt::rfc3339(expiry) })
            }
            _ => Ok(credentials),
        }
    }
}

impl ProvideCredentials for LeaseProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(self.valid_at(SystemTime::now()).map_err(CredentialsError::provider_error))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn creds(expiry: Option<SystemTime>) -> Credentials {
        Credentials::new("AKIDEXAMPLE", "SECRETSECRETSECRET", Some("TOKENTOKEN".into()), expiry, "test")
    }

    #[test]
    fn refuses_expired_credentials_and_accepts_refreshed_ones() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let lease = LeaseProvider::new("audit", creds(Some(now - Duration::from_secs(1))));
        let err = lease.valid_at(now).unwrap_err();
        assert_eq!(err.identity, "audit");
        assert_eq!(err.at, "2027-01-15T07:59:59Z");
        lease.replace(creds(Some(now + Duration::from_secs(900))));
        assert!(lease.valid_at(now).is_ok());
        assert!(LeaseProvider::new("p", creds(None)).valid_at(now).is_ok(), "no expiry: long-term keys");
    }

    #[test]
    fn debug_output_has_no_secrets() {
        let text = format!("{:?}", LeaseProvider::new("audit", creds(None)));
        assert!(!text.contains("SECRETSECRETSECRET") && !text.contains("TOKENTOKEN"), "{text}");
        assert!(text.contains("audit"));
    }
}
