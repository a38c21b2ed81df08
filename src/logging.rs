//! Diagnostics go to a file, never the terminal (the TUI owns it), and only when asked for
//! with `S3LEASE_LOG` (e.g. `S3LEASE_LOG=debug`). The file is private to the user: a log is
//! no place for secrets, but it can still name buckets and keys.

use std::fs::OpenOptions;
use std::path::PathBuf;

use tracing::{Level, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt, filter_fn};
use tracing_subscriber::prelude::*;

use crate::error::{Error, Result};

/// Where the SDK's TRACE events dump raw HTTP: request and response bodies (an STS answer
/// carries the new secret key and session token, an STS request the MFA code), signing
/// inputs, and error bodies, which can echo the signed request with its token. The SDK
/// redacts some of it, but not when `LOG_SENSITIVE_BODIES` or `LOG_SIGNABLE_BODY` is set,
/// and never an error body. So these are left out whatever `S3LEASE_LOG` asks for.
const RAW_HTTP: &[&str] = &["aws_smithy_runtime::client::orchestrator", "aws_sigv4", "hyper", "hyper_util", "h2"];

/// Whether an event or span may reach the log at all.
fn may_log(meta: &Metadata<'_>) -> bool {
    *meta.level() != Level::TRACE || !RAW_HTTP.iter().any(|module| within(meta.target(), module))
}

/// `target` is `module` or one of its submodules (not merely a name starting the same).
fn within(target: &str, module: &str) -> bool {
    target.strip_prefix(module).is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

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
    crate::private_file::own_dir(&dir)?;
    let path = dir.join("s3lease.log");
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).map_err(|e| Error::io(format!("opening the log {}", path.display()), e))?;
    // A log left by an older version, or made by hand, may be readable by others.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(|e| Error::io(format!("making the log {} private", path.display()), e))?;
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_filter(filter.and(filter_fn(may_log)));
    tracing_subscriber::registry().with(layer).init();
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_http_modules_are_matched_by_module_not_by_prefix() {
        assert!(within("aws_smithy_runtime::client::orchestrator::http", "aws_smithy_runtime::client::orchestrator"));
        assert!(within("aws_sigv4", "aws_sigv4"));
        assert!(!within("aws_sigv4a", "aws_sigv4"));
        assert!(!within("aws_smithy_runtime::client::orchestrator_x", "aws_smithy_runtime::client::orchestrator"));
    }
}
