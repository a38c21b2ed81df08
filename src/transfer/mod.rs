//! The S3 transfer engine: downloads, uploads, batch deletes and version listings, as plain
//! async functions over an `aws_sdk_s3::Client` (in the style of [`crate::s3`]), for the
//! worker to run and the UI to show.
//!
//! # API
//!
//! ```text
//! download_object(client, endpoint, bucket, key, dest: &Path, &DownloadOptions)
//!     -> Result<DownloadReport, TransferError>
//! download_prefix(client, endpoint, bucket, prefix, dest_dir: &Path, &PrefixDownloadOptions)
//!     -> Result<PrefixReport, TransferError>          // Err only if the listing fails
//! download_objects(client, endpoint, bucket, [(key, size)], dest_dir: &Path, &PrefixDownloadOptions)
//!     -> PrefixReport
//! upload_file(client, endpoint, bucket, key, src: &Path, &UploadOptions)
//!     -> Result<UploadReport, TransferError>
//! upload_dir(client, endpoint, bucket, prefix, src_dir: &Path, &DirUploadOptions)
//!     -> Result<DirUploadReport, TransferError>       // Err only if src_dir cannot be read
//! delete_objects(client, endpoint, bucket, keys: &[String]) -> DeleteReport
//! list_versions(client, endpoint, bucket, key) -> Result<Vec<Version>, AwsError>
//! local_path_for(key, strip_prefix) -> Result<PathBuf, String>
//! ```
//!
//! Every options struct has a `Default` (concurrency 4, 8 MiB multipart threshold and parts,
//! no overwrite, no resume) and carries the transfer's hooks:
//!
//! - `progress`: a [`Reporter`], called inline with a [`Progress`] (`bytes_done`,
//!   `bytes_total`) after every chunk written or part sent, or a [`BatchProgress`] (files and
//!   bytes) for prefix and directory transfers. [`Reporter::watch`] turns it into a
//!   `tokio::sync::watch` receiver that always holds the latest value.
//! - `cancel`: a [`Cancel`] flag. Cancelling interrupts a transfer at once, even mid-request;
//!   it then fails with [`TransferErrorKind::Cancelled`] after cleaning up (partial file
//!   removed unless kept for resume; multipart upload aborted).
//! - `renewal`: a [`Renewal`] that gets new credentials when S3 answers `ExpiredToken`; the
//!   transfer then carries on from where it stopped (see [`renew`]).
//!
//! A download takes its name only once checked against the object ([`integrity`]: a flexible
//! checksum, the ETag's MD5, or the size S3 gives), after one more try from the start if the
//! first file was wrong; its body is timed piece by piece with the client's read timeout.
//!
//! Errors ([`TransferError`]) name the operation, bucket, key, local path and the cause: an
//! [`AwsError`](crate::aws_error::AwsError) for S3 and network failures, the file and the
//! action for local I/O. Batch operations report per file ([`FileResult`]) and go on past
//! failures. Keys and messages are untrusted text: escape them
//! ([`crate::escape::untrusted`]) before showing them.

pub mod delete;
pub mod download;
pub mod error;
pub mod integrity;
pub mod path;
pub mod progress;
pub mod renew;
pub mod upload;
pub mod versions;

use std::path::PathBuf;
use std::sync::Mutex;

pub use delete::{DeleteFailure, DeleteReport, delete_objects};
pub use download::{
    DownloadOptions, DownloadReport, PrefixDownloadOptions, PrefixReport, download_object, download_objects,
    download_prefix, partial_etag_path, partial_path,
};
pub use error::{TransferError, TransferErrorKind, TransferOp};
pub use integrity::{Check, Mismatch};
pub use path::{folder_of, local_path_for};
pub use progress::{BatchProgress, Cancel, FileProgress, Progress, Reporter};
pub use renew::Renewal;
pub use upload::{DirUploadOptions, DirUploadReport, UploadOptions, UploadReport, upload_dir, upload_file};
pub use versions::{Version, list_versions, list_versions_paged};

/// One file of a batch transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult<T> {
    pub key: String,
    /// The local file; `None` when the key has no safe local name.
    pub path: Option<PathBuf>,
    pub result: Result<T, TransferError>,
}

/// Something a batch transfer found and deliberately left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub key: String,
    pub path: Option<PathBuf>,
    pub reason: String,
}

/// The running totals of a batch, reported as they change. Reported under the lock so that
/// updates from concurrent files reach the reporter in the order they were counted.
pub(crate) struct Tally {
    reporter: Reporter<BatchProgress>,
    state: Mutex<BatchProgress>,
}

impl Tally {
    pub(crate) fn new(reporter: Reporter<BatchProgress>, initial: BatchProgress) -> Self {
        Tally { reporter, state: Mutex::new(initial) }
    }

    fn update(&self, change: impl FnOnce(&mut BatchProgress)) {
        if self.reporter.is_none() {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut state);
        self.reporter.report(*state);
    }

    pub(crate) fn announce(&self) {
        self.update(|_| {});
    }

    /// One file's bytes went from `before` to `after`.
    pub(crate) fn bytes(&self, before: u64, after: u64) {
        self.update(|s| s.bytes_done = s.bytes_done.saturating_sub(before).saturating_add(after));
    }

    pub(crate) fn file_done(&self, ok: bool) {
        self.update(|s| {
            s.files_done += 1;
            s.files_failed += usize::from(!ok);
        });
    }
}
