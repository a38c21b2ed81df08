//! Diagnostics go to a file, never the terminal (the TUI owns it), and only when asked for
//! with `S3LEASE_LOG` (e.g. `S3LEASE_LOG=debug`). The file is private to the user: a log is
//! no place for secrets, but it can still name buckets and keys.

use std::fs::OpenOptions;
use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

use crate::error::{Error, Result};

pub fn log_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "s3lease").map(|d| d.data_dir().to_path_buf())
}

/// Starts logging if `S3LEASE_LOG` is set; returns the file it writes to.
pub fn init() -> Result<Option<PathBuf>> {
    let Ok(directives) = std::env::var("S3LEASE_LOG") else { return Ok(None) };
    let filter = EnvFilter::try_new(&directives).map_err(|e| {
        Error::Usage(format!("S3LEASE_LOG=`{directives}` is not a log filter ({e}); use e.g. S3LEASE_LOG=debug"))
    })?;
    let dir =
        log_dir().ok_or_else(|| Error::Usage("no home directory to keep the log in; unset S3LEASE_LOG".into()))?;
    crate::private_file::create_dir(&dir)?;
    let path = dir.join("s3lease.log");
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).map_err(|e| Error::io(format!("opening the log {}", path.display()), e))?;
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::sync::Mutex::new(file)).with_ansi(false).init();
    Ok(Some(path))
}
