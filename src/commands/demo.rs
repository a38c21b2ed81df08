//! `s3lease demo`: a local S3+STS server (moto) seeded with buckets and identities, a config
//! pointing at it, and the UI opened on it. Quitting stops the server. `--serve` keeps only
//! the server running and prints how to use it from other shells.

use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::IdentityArgs;
use crate::config::{Catalog, Sources};
use crate::error::{Error, Result};
use crate::testbed::{Seed, Testbed};

/// The identity the UI opens with: a role, so the countdown has something to count.
const DEMO_IDENTITY: &str = "auditor";

fn data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "s3lease")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| Error::Usage("no home directory to keep the demo's files in".into()))
}

pub async fn run(serve: bool, big_keys: usize) -> Result<()> {
    let data = data_dir()?;
    let venv = std::env::var_os("S3LEASE_TESTBED_VENV").map(PathBuf::from).unwrap_or_else(|| data.join("testbed-venv"));
    let seed = Seed { big_keys, ..Seed::default() };
    let testbed = tokio::task::spawn_blocking(move || Testbed::start(&venv, seed))
        .await
        .map_err(|e| Error::Usage(format!("the demo server did not start: {e}")))??;

    let dir = data.join("demo");
    crate::private_file::own_dir(&data)?;
    crate::private_file::own_dir(&dir)?;
    let config = dir.join("config.toml");
    crate::private_file::write(&config, testbed.config_toml().as_bytes())?;
    let (aws_config, aws_credentials) = testbed.write_aws_files(&dir.join("aws"))?;
    let sources = Sources {
        config: Some(config.clone()),
        config_explicit: true,
        aws_config: Some(aws_config.clone()),
        aws_credentials: Some(aws_credentials.clone()),
    };

    if serve {
        // Listening before the hint is printed: a Ctrl-C right after it must stop the server
        // cleanly, not meet the default handler and kill the process.
        #[cfg(unix)]
        let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
            .map_err(|e| Error::io("listening for Ctrl-C", e))?;
        println!("Local S3+STS server (moto) on {}, seeded. In another shell:\n", testbed.endpoint());
        println!("  export S3LEASE_CONFIG='{}'", config.display());
        println!("  export AWS_CONFIG_FILE='{}'", aws_config.display());
        println!("  export AWS_SHARED_CREDENTIALS_FILE='{}'", aws_credentials.display());
        println!("  s3lease identities");
        println!("  s3lease whoami --identity {DEMO_IDENTITY}");
        println!("  s3lease ls --identity {DEMO_IDENTITY} s3://demo-data/");
        println!("\nCtrl-C stops the server.");
        #[cfg(unix)]
        interrupt.recv().await;
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await.map_err(|e| Error::io("waiting for Ctrl-C", e))?;
        return Ok(());
    }

    let catalog = Arc::new(Catalog::load(&sources)?);
    let who = IdentityArgs { identity: Some(DEMO_IDENTITY.to_string()), mfa_code: None };
    let result = super::tui::run(catalog, who, None, false).await;
    drop(testbed);
    result
}
