//! The crate's error type and how each kind maps to an exit code.
//!
//! Errors are grouped by who can fix them: the user's input (usage, config, validation: exit 2)
//! or the outside world (AWS, network, local I/O: exit 1). Messages never carry secrets: the
//! types that hold credentials redact themselves, and nothing here formats them.

use std::path::PathBuf;

use crate::aws_error::AwsError;

/// A local check that failed before any network call: names the identity, the field, the
/// limit that was broken and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("identity `{identity}`: `{field}` {problem}; {fix}")]
pub struct ValidationError {
    pub identity: String,
    pub field: String,
    pub problem: String,
    pub fix: String,
}

/// A problem in a configuration file, located as precisely as the parser allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}{}", .file.display(), .context.as_ref().map(|c| format!("{c}: ")).unwrap_or_default(), .message)]
pub struct ConfigError {
    pub file: PathBuf,
    /// Which table or identity the problem is in, e.g. "identity `audit`, key `source`".
    pub context: Option<String>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command-line use, or input that only a person at a terminal could supply.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// An identity needs an MFA code that nobody supplied.
    #[error("identity `{identity}` needs an MFA code for {serial}; {hint}")]
    MfaRequired { identity: String, serial: String, hint: String },
    /// Boxed: an AWS error carries several strings and would bloat every `Result`.
    #[error(transparent)]
    Aws(Box<AwsError>),
    /// Credentials could not be loaded from a profile or the default chain.
    #[error("identity `{identity}`: could not load credentials from {source_desc}: {message}")]
    Credentials { identity: String, source_desc: String, message: String },
    /// The session's credentials ran out before a request could be made.
    #[error("identity `{identity}`: credentials expired at {at}; start the identity again")]
    Expired { identity: String, at: String },
    /// The user stopped s3lease (Ctrl-C) where it was waiting for them.
    #[error("interrupted {0}")]
    Interrupted(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// 2 for what the user can fix by changing their input, 1 for failures of the outside world,
    /// 130 for Ctrl-C.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Config(_) | Error::Validation(_) | Error::MfaRequired { .. } => 2,
            Error::Aws(_) | Error::Credentials { .. } | Error::Expired { .. } | Error::Io { .. } => 1,
            // As a shell reports a command ended by SIGINT.
            Error::Interrupted(_) => 130,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}

impl From<AwsError> for Error {
    fn from(e: AwsError) -> Self {
        Error::Aws(Box::new(e))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
