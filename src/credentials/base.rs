//! Long-term (or externally managed) credentials for `profile` identities, loaded through
//! aws-config so SSO, credential_process and the environment work as in the AWS CLI.

use std::path::PathBuf;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::error::{Error, Result};

/// The AWS CLI's two files, as the catalog read them (`AWS_CONFIG_FILE` etc. already applied).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsFiles {
    pub config: Option<PathBuf>,
    pub credentials: Option<PathBuf>,
}

impl AwsFiles {
    /// Profile credentials come from the very files the catalog listed the profiles from.
    fn profile_files(&self) -> aws_runtime::env_config::file::EnvConfigFiles {
        use aws_runtime::env_config::file::EnvConfigFileKind;
        let mut builder = aws_runtime::env_config::file::EnvConfigFiles::builder();
        // aws-config fails on a named file that is missing, where the CLI treats it as empty.
        let present = |p: &Option<PathBuf>| p.clone().filter(|p| p.exists());
        let (config, credentials) = (present(&self.config), present(&self.credentials));
        if config.is_none() && credentials.is_none() {
            // Nothing to read: aws-config's defaults give its usual "profile not found" error.
            return builder.include_default_config_file(true).include_default_credentials_file(true).build();
        }
        if let Some(path) = config {
            builder = builder.with_file(EnvConfigFileKind::Config, path);
        }
        if let Some(path) = credentials {
            builder = builder.with_file(EnvConfigFileKind::Credentials, path);
        }
        builder.build()
    }
}

/// Loads the credentials of a profile, or of the default chain when `profile` is `None`.
/// `env` is the process environment, passed in so tests can drive it.
pub async fn load(
    identity: &str,
    profile: Option<&str>,
    files: &AwsFiles,
    region: aws_config::Region,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Credentials> {
    let (result, source_desc) = match profile {
        Some(name) => {
            let provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_files(files.profile_files())
                .profile_name(name)
                .build();
            (provider.provide_credentials().await, format!("AWS profile `{name}`"))
        }
        None => {
            // The chain's first link, asked alone: building the whole chain builds its web
            // identity STS client, which loads the system's root certificates (~25 ms) before
            // the environment's keys are even read.
            let from_env = aws_config::environment::EnvironmentVariableCredentialsProvider::new();
            let result = match from_env.provide_credentials().await {
                Ok(credentials) => Ok(credentials),
                Err(_) => {
                    let chain = aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                        .region(region)
                        .build()
                        .await;
                    chain.provide_credentials().await
                }
            };
            (result, "the AWS default credential chain".to_string())
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
