//! The scriptable subcommands. Each starts identities through the same session manager as
//! the TUI, so an identity behaves the same in a shell as on screen.

mod credential_process;
mod env;
mod identities;
mod ls;
mod whoami;

use std::sync::Arc;

use crate::cli::{Cli, Command, IdentityArgs};
use crate::clients::AwsContext;
use crate::config::{Catalog, Sources};
use crate::credentials::mfa::CliMfa;
use crate::credentials::{Session, SessionManager};
use crate::error::Result;

pub async fn run(cli: Cli) -> Result<()> {
    let catalog = Arc::new(Catalog::load(&Sources::from_env(cli.config.clone()))?);
    match cli.command {
        Command::Identities { json } => identities::run(&catalog, json),
        Command::Whoami { who, json } => {
            let session = start(catalog, &who).await?;
            whoami::run(&session, json)
        }
        Command::Ls { who, recursive, json, uri } => {
            let uri = uri.as_deref().map(crate::s3::uri::parse).transpose().map_err(crate::error::Error::Usage)?;
            let session = start(catalog, &who).await?;
            ls::run(&session, uri, recursive, json).await
        }
        Command::Env { who, format } => {
            let args = IdentityArgs { identity: Some(who.identity), mfa_code: who.mfa_code };
            let session = start(catalog, &args).await?;
            env::run(&session, format)
        }
        Command::CredentialProcess { who } => {
            let args = IdentityArgs { identity: Some(who.identity), mfa_code: who.mfa_code };
            let session = start(catalog, &args).await?;
            credential_process::run(&session)
        }
    }
}

async fn start(catalog: Arc<Catalog>, who: &IdentityArgs) -> Result<Arc<Session>> {
    let name = match &who.identity {
        Some(name) => {
            catalog.get(name).ok_or_else(|| catalog.unknown(name))?;
            name.clone()
        }
        None => catalog.first().name.clone(),
    };
    let aws = AwsContext::new(&catalog.settings).await;
    let mut manager = SessionManager::new(catalog, aws);
    manager.start(&name, &mut CliMfa::new(who.mfa_code.clone())).await
}

/// Writes to stdout, treating a closed pipe (`s3lease ls | head`) as the reader being done.
pub(crate) fn emit(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> Result<bool> {
    use std::io::Write;
    // Stdout is line-buffered; a page of a thousand keys is one write this way, not a thousand.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    match write(&mut out).and_then(|_| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(crate::error::Error::io("writing to stdout", e)),
    }
}
