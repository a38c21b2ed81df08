//! The scriptable subcommands. Each starts identities through the same session manager as
//! the TUI, so an identity behaves the same in a shell as on screen.

mod credential_process;
mod demo;
mod env;
mod identities;
mod ls;
mod tui;
mod whoami;

use std::sync::Arc;

use crate::cli::{Cli, Command, IdentityArgs};
use crate::clients::AwsContext;
use crate::config::{Catalog, Sources};
use crate::credentials::mfa::CliMfa;
use crate::credentials::{Session, SessionManager};
use crate::error::{Error, Result};

pub async fn run(cli: Cli) -> Result<()> {
    // The demo brings its own config; everything else reads the user's.
    let config = cli.config.clone();
    let load = move || Catalog::load(&Sources::from_env(config)).map(Arc::new);
    match cli.command {
        None => tui::run(load()?, cli.who, cli.uri, cli.read_only).await,
        Some(Command::Demo { serve, big_keys }) => demo::run(serve, big_keys).await,
        Some(Command::Identities { json }) => identities::run(&*load()?, json),
        Some(Command::Whoami { who, json }) => {
            let session = start(load()?, &who).await?;
            whoami::run(&session, json)
        }
        Some(Command::Ls { who, recursive, concurrency, json, uri }) => {
            let uri = uri.as_deref().map(crate::s3::uri::parse).transpose().map_err(Error::Usage)?;
            let catalog = load()?;
            let concurrency = concurrency.map_or(catalog.settings.list_concurrency, usize::from);
            let (mut manager, name, aws) = manager_for(catalog, &who).await?;
            let session = manager.start_unidentified(&name, &mut CliMfa::new(who.mfa_code.clone())).await?;
            let opts = ls::Options { recursive, concurrency, json };
            match ls::run(&session, &crate::s3::region::Regions::new(aws), uri, opts).await {
                // Who was refused is worth a GetCallerIdentity call, but only once S3 has refused.
                Err(Error::Aws(e)) if e.principal.is_none() => {
                    let arn = manager.identify(session).await.ok().and_then(|s| s.info.arn.clone());
                    Err(Error::Aws(Box::new(e.by(arn.as_deref()))))
                }
                done => done,
            }
        }
        Some(Command::Env { who, format }) => {
            let args = IdentityArgs { identity: Some(who.identity), mfa_code: who.mfa_code };
            let session = start(load()?, &args).await?;
            env::run(&session, format)
        }
        Some(Command::CredentialProcess { who }) => {
            let args = IdentityArgs { identity: Some(who.identity), mfa_code: who.mfa_code };
            let session = start(load()?, &args).await?;
            credential_process::run(&session)
        }
    }
}

async fn start(catalog: Arc<Catalog>, who: &IdentityArgs) -> Result<Arc<Session>> {
    let (mut manager, name, _) = manager_for(catalog, who).await?;
    manager.start(&name, &mut CliMfa::new(who.mfa_code.clone())).await
}

/// The session manager and the name of the identity `who` asks for (the first one if none).
async fn manager_for(catalog: Arc<Catalog>, who: &IdentityArgs) -> Result<(SessionManager, String, AwsContext)> {
    let name = match &who.identity {
        Some(name) => {
            catalog.get(name).ok_or_else(|| catalog.unknown(name))?;
            name.clone()
        }
        None => catalog.first().name.clone(),
    };
    let aws = AwsContext::new(&catalog.settings).await;
    Ok((SessionManager::new(catalog, aws.clone()), name, aws))
}

/// Writes text that holds secrets (`env`, `credential-process`) straight to the stdout file
/// descriptor: through `Stdout` it would be copied into a buffer that is freed unwiped. A
/// closed pipe counts as the reader being done, as in [`emit`].
pub(crate) fn emit_secret(text: &[u8]) -> Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let written = lock.flush().and_then(|_| {
        #[cfg(unix)]
        {
            let fd = std::os::fd::AsFd::as_fd(&lock).try_clone_to_owned()?;
            std::fs::File::from(fd).write_all(text)
        }
        #[cfg(not(unix))]
        {
            lock.write_all(text).and_then(|_| lock.flush())
        }
    });
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("writing to stdout", e)),
        _ => Ok(()),
    }
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
