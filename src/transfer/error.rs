//! What went wrong with one transfer: which operation, which object, which local file, and
//! why. Clone and comparable, so per-file results can travel in worker responses and reports.

use std::fmt;
use std::path::{Path, PathBuf};

use super::integrity::Mismatch;
use crate::aws_error::AwsError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferOp {
    Download,
    Upload,
    Delete,
    /// Listing a prefix before downloading it.
    List,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferErrorKind {
    /// S3 refused, or the network failed; the `AwsError` names the S3 call.
    Aws(Box<AwsError>),
    /// A local file operation failed. `action` names it and its file (which may be the partial
    /// file rather than the destination); `kind` allows matching without parsing `message`.
    Io {
        action: String,
        kind: std::io::ErrorKind,
        message: String,
    },
    Cancelled,
    /// The destination exists and overwriting was not allowed.
    AlreadyExists,
    /// The bytes received are not the object S3 described (a short body framed as whole, bytes
    /// changed on the way), even after downloading it again from the start.
    Corrupt {
        /// Where the GET went.
        endpoint: String,
        mismatch: Mismatch,
    },
    /// The key has no safe local name (see [`super::local_path_for`]).
    UnsafeKey(String),
    /// The destination path cannot be used (no file name, not a directory, ...).
    BadPath(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferError {
    pub op: TransferOp,
    pub bucket: String,
    pub key: String,
    /// The local file: the destination of a download, the source of an upload.
    pub path: Option<PathBuf>,
    pub kind: TransferErrorKind,
}

impl std::error::Error for TransferError {}

impl TransferError {
    pub fn new(op: TransferOp, bucket: &str, key: &str, path: Option<&Path>, kind: TransferErrorKind) -> Self {
        TransferError { op, bucket: bucket.to_string(), key: key.to_string(), path: path.map(Path::to_path_buf), kind }
    }

    pub fn is_cancelled(&self) -> bool {
        self.kind == TransferErrorKind::Cancelled
    }

    /// The S3 failure inside, if that is what this is.
    pub fn aws(&self) -> Option<&AwsError> {
        match &self.kind {
            TransferErrorKind::Aws(e) => Some(e),
            _ => None,
        }
    }
}

/// `action` names what was done and to which file, e.g. "writing /tmp/.a.s3lease-partial".
pub(crate) fn io_kind(action: impl Into<String>, err: &std::io::Error) -> TransferErrorKind {
    TransferErrorKind::Io { action: action.into(), kind: err.kind(), message: err.to_string() }
}

impl fmt::Display for TransferErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransferErrorKind::Aws(e) => write!(f, "{e}"),
            TransferErrorKind::Io { action, message, .. } => write!(f, "{action}: {message}"),
            TransferErrorKind::Cancelled => f.write_str("cancelled"),
            TransferErrorKind::AlreadyExists => {
                f.write_str("the file already exists; it is left untouched unless overwriting is allowed")
            }
            TransferErrorKind::Corrupt { endpoint, mismatch } => {
                write!(
                    f,
                    "GetObject from {endpoint} did not deliver the object: {mismatch}. Downloaded twice from the \
                     start, both times wrong; the file was discarded. Try again; if it persists, {endpoint} or \
                     something on the way to it (a proxy) is corrupting data"
                )?;
                if matches!(mismatch, Mismatch::Md5 { .. }) {
                    // Some S3-compatible stores send 32 hex digits that are not the data's MD5.
                    write!(f, ", or its ETags are not MD5 digests: then set verify_md5 = false under [settings]")?;
                }
                Ok(())
            }
            TransferErrorKind::UnsafeKey(reason) => write!(f, "no safe local file name for this key: {reason}"),
            TransferErrorKind::BadPath(reason) => f.write_str(reason),
        }
    }
}

impl fmt::Display for TransferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, joint) = match self.op {
            TransferOp::Download => ("downloading", " to "),
            TransferOp::Upload => ("uploading", " from "),
            TransferOp::Delete => ("deleting", " "),
            TransferOp::List => ("listing", " for "),
        };
        write!(f, "{verb} s3://{}/{}", self.bucket, self.key)?;
        if let Some(path) = &self.path {
            write!(f, "{joint}{}", path.display())?;
        }
        write!(f, ": {}", self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_operation_object_and_file() {
        let err = std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device");
        let e = TransferError::new(
            TransferOp::Download,
            "b",
            "k/x.bin",
            Some(Path::new("/tmp/x.bin")),
            io_kind("writing /tmp/.x.bin.s3lease-partial", &err),
        );
        assert_eq!(
            e.to_string(),
            "downloading s3://b/k/x.bin to /tmp/x.bin: writing /tmp/.x.bin.s3lease-partial: No space left on device"
        );
        let e = TransferError::new(TransferOp::Upload, "b", "k", Some(Path::new("src")), TransferErrorKind::Cancelled);
        assert_eq!(e.to_string(), "uploading s3://b/k from src: cancelled");
        assert!(e.is_cancelled());
    }

    #[test]
    fn a_corrupt_download_names_the_object_endpoint_difference_and_fix() {
        let mismatch = Mismatch::Size { expected: 100, got: 40, source: "HeadObject" };
        let kind = TransferErrorKind::Corrupt { endpoint: "http://127.0.0.1:1".into(), mismatch };
        let e = TransferError::new(TransferOp::Download, "b", "k/x", Some(Path::new("/d/x")), kind);
        assert_eq!(
            e.to_string(),
            "downloading s3://b/k/x to /d/x: GetObject from http://127.0.0.1:1 did not deliver the object: \
             received 40 bytes where HeadObject says the object has 100. Downloaded twice from the start, both \
             times wrong; the file was discarded. Try again; if it persists, http://127.0.0.1:1 or something on \
             the way to it (a proxy) is corrupting data"
        );
    }
}
