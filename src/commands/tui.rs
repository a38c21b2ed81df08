//! `s3lease [s3://bucket/prefix]`: the terminal UI.

use std::io::IsTerminal;
use std::sync::Arc;

use crate::app::AppConfig;
use crate::app::listing::Location;
use crate::cli::IdentityArgs;
use crate::clients::AwsContext;
use crate::config::Catalog;
use crate::credentials::SessionManager;
use crate::error::{ConfigError, Error, Result};
use crate::keymap::Keymap;

pub async fn run(catalog: Arc<Catalog>, who: IdentityArgs, uri: Option<String>, read_only: bool) -> Result<()> {
    // A bare word here is far more likely a mistyped subcommand than a location.
    if let Some(word) = uri.as_deref().filter(|u| !u.contains("://")) {
        return Err(Error::Usage(format!(
            "`{word}` is neither a subcommand nor an S3 URI; subcommands are identities, whoami, ls, env, \
             credential-process and demo (see --help), and a location is written like s3://my-bucket/prefix/"
        )));
    }
    let start = match uri.as_deref().map(crate::s3::uri::parse).transpose().map_err(Error::Usage)? {
        Some(uri) => Location::Prefix { bucket: uri.bucket, prefix: uri.prefix },
        None => Location::Buckets,
    };
    let identity = match &who.identity {
        Some(name) => catalog.get(name).ok_or_else(|| catalog.unknown(name))?,
        None => catalog.first(),
    };
    // Conflicting or unknown bindings are refused before the screen is taken over.
    let keymap = Keymap::with_overrides(&catalog.keys).map_err(|e| ConfigError {
        file: catalog.config_file.clone().unwrap_or_default(),
        context: None,
        message: e.to_string(),
    })?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "the terminal UI needs a terminal; for scripts use `s3lease ls`, `whoami`, `env` or `credential-process`"
                .into(),
        ));
    }
    let mut config = AppConfig::for_catalog(&catalog, &identity.name, start, keymap, who.mfa_code.clone());
    config.read_only |= read_only;
    let aws = AwsContext::new(&catalog.settings).await;
    crate::runtime::run(SessionManager::new(catalog, aws), config).await
}
