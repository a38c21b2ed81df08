//! Long-term (or externally managed) credentials for `profile` identities, loaded through
//! aws-config so SSO, credential_process and the environment work as in the AWS CLI.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::error::{Error, Result};

/// Loads the credentials of a profile, or of the default chain when `profile` is `None`.
/// `env` is the process environment, passed in so tests can drive it.
pub async fn load(
    identity: &str,
    profile: Option<&str>,
    region: aws_config::Region,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Credentials> {
    let (result, source_desc) = match profile {
        Some(name) => {
            let provider = aws_config::profile::ProfileFileCredentialsProvider::builder().profile_name(name).build();
            (provider.provide_credentials().await, format!("AWS profile `{name}`"))
        }
        None => {
            let provider = aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                .region(region)
                .build()
                .await;
            (provider.provide_credentials().await, "the AWS default credential chain".to_string())
        }
    };
    let mut credentials = result.map_err(|e| Error::Credentials {
        identity: identity.to_string(),
        source_desc,
        message: DisplayErrorContext(&e).to_string(),
    })?;
    // aws-config ignores AWS_CREDENTIAL_EXPIRATION; honour it for keys that came from the environment.
    if profile.is_none()
        && credentials.expiry().is_none()
        && env("AWS_ACCESS_KEY_ID").as_deref() == Some(credentials.access_key_id())
        && let Some(text) = env("AWS_CREDENTIAL_EXPIRATION")
    {
        let expiry = crate::timefmt::parse_rfc3339(&text).ok_or_else(|| {
            Error::Usage(format!(
                "AWS_CREDENTIAL_EXPIRATION is `{text}`, not an RFC 3339 time; set it like 2026-01-31T12:00:00Z or unset it"
            ))
        })?;
        *credentials.expiry_mut() = Some(expiry);
    }
    Ok(credentials)
}

/// Whether credentials are already past their expiry (a stale session token in the environment).
pub fn expired(credentials: &Credentials, now: SystemTime) -> bool {
    credentials.expiry().is_some_and(|e| e <= now)
}
