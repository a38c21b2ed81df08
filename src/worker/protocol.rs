//! What the app asks the worker and what comes back. Every request carries an id issued by
//! the app; every response echoes it, so the app can drop answers it no longer waits for.

use std::fmt;

use zeroize::Zeroizing;

use crate::aws_error::AwsErrorKind;
use crate::credentials::SessionInfo;
use crate::error::Error;
use crate::s3::{Bucket, Page};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

pub enum Request {
    /// Starts (or reuses) an identity's session. `mfa_code` answers an earlier `NeedsMfa`.
    StartSession {
        id: RequestId,
        identity: String,
        mfa_code: Option<Zeroizing<String>>,
    },
    /// Gets new credentials for a running identity now.
    RefreshSession {
        id: RequestId,
        identity: String,
        mfa_code: Option<Zeroizing<String>>,
    },
    ListBuckets {
        id: RequestId,
        identity: String,
    },
    /// One page of one level (delimiter `/`) under `prefix`.
    ListObjects {
        id: RequestId,
        identity: String,
        bucket: String,
        prefix: String,
        continuation: Option<String>,
    },
    /// Aborts the request's task; no response follows for it.
    Cancel {
        id: RequestId,
    },
    /// HeadObject and the object's tags (of one version, or the latest).
    ObjectDetails {
        id: RequestId,
        identity: String,
        bucket: String,
        key: String,
        version_id: Option<String>,
    },
    /// Bytes `start..start+len` of an object (of one version, or the latest), for previews.
    ReadRange {
        id: RequestId,
        identity: String,
        bucket: String,
        key: String,
        version_id: Option<String>,
        start: u64,
        len: u64,
    },
    /// A presigned GET URL; its lifetime is cut to what the credentials have left.
    Presign {
        id: RequestId,
        identity: String,
        bucket: String,
        key: String,
        lifetime: std::time::Duration,
    },
    /// Downloads an object, or every object under a prefix, into `dest_dir`. Progress comes
    /// as `TransferProgress`, the end as `TransferDone`; `Cancel` stops it cleanly.
    Download {
        id: RequestId,
        identity: String,
        bucket: String,
        what: DownloadWhat,
        dest_dir: std::path::PathBuf,
        overwrite: bool,
    },
    /// Uploads a file, or a directory recursively, under `prefix`. Reported like downloads.
    Upload {
        id: RequestId,
        identity: String,
        bucket: String,
        prefix: String,
        source: std::path::PathBuf,
    },
    /// Deletes objects (in batches of 1,000), or every object under a prefix.
    Delete {
        id: RequestId,
        identity: String,
        bucket: String,
        what: DeleteWhat,
    },
    /// Every version and delete marker of one key.
    ListVersions {
        id: RequestId,
        identity: String,
        bucket: String,
        key: String,
    },
    /// Every key under `prefix` whose part below the prefix contains `needle` (any case),
    /// listed side by side (`[settings] list_concurrency`). Matches stream as `Found`, the end
    /// is `FindDone`; `Cancel` stops the listing. Past `limit` matches are counted, not sent.
    Find {
        id: RequestId,
        identity: String,
        bucket: String,
        prefix: String,
        needle: String,
        limit: usize,
    },
    /// An identity made in the UI: add it (and with `save`, append it to the config file).
    AddIdentity {
        id: RequestId,
        identity: Box<crate::identity::Identity>,
        save: bool,
    },
}

impl Request {
    pub fn id(&self) -> RequestId {
        match self {
            Request::StartSession { id, .. }
            | Request::RefreshSession { id, .. }
            | Request::ListBuckets { id, .. }
            | Request::ListObjects { id, .. }
            | Request::Cancel { id }
            | Request::AddIdentity { id, .. }
            | Request::ObjectDetails { id, .. }
            | Request::ReadRange { id, .. }
            | Request::Presign { id, .. }
            | Request::Download { id, .. }
            | Request::Upload { id, .. }
            | Request::Delete { id, .. }
            | Request::ListVersions { id, .. }
            | Request::Find { id, .. } => *id,
        }
    }
}

impl fmt::Debug for Request {
    // Hand-written so an MFA code never reaches a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::StartSession { id, identity, mfa_code } | Request::RefreshSession { id, identity, mfa_code } => {
                let name = if matches!(self, Request::StartSession { .. }) { "StartSession" } else { "RefreshSession" };
                f.debug_struct(name)
                    .field("id", id)
                    .field("identity", identity)
                    .field("mfa_code", &mfa_code.as_ref().map(|_| "<redacted>"))
                    .finish()
            }
            Request::ListBuckets { id, identity } => {
                f.debug_struct("ListBuckets").field("id", id).field("identity", identity).finish()
            }
            Request::ListObjects { id, identity, bucket, prefix, continuation } => f
                .debug_struct("ListObjects")
                .field("id", id)
                .field("identity", identity)
                .field("bucket", bucket)
                .field("prefix", prefix)
                .field("continuation", &continuation.is_some())
                .finish(),
            Request::ObjectDetails { id, bucket, key, version_id, .. } => f
                .debug_struct("ObjectDetails")
                .field("id", id)
                .field("bucket", bucket)
                .field("key", key)
                .field("version_id", version_id)
                .finish(),
            Request::ReadRange { id, bucket, key, version_id, start, len, .. } => f
                .debug_struct("ReadRange")
                .field("id", id)
                .field("bucket", bucket)
                .field("key", key)
                .field("version_id", version_id)
                .field("start", start)
                .field("len", len)
                .finish(),
            Request::Presign { id, bucket, key, lifetime, .. } => f
                .debug_struct("Presign")
                .field("id", id)
                .field("bucket", bucket)
                .field("key", key)
                .field("lifetime", lifetime)
                .finish(),
            Request::Download { id, bucket, what, dest_dir, overwrite, .. } => f
                .debug_struct("Download")
                .field("id", id)
                .field("bucket", bucket)
                .field("what", what)
                .field("dest_dir", dest_dir)
                .field("overwrite", overwrite)
                .finish(),
            Request::Upload { id, bucket, prefix, source, .. } => f
                .debug_struct("Upload")
                .field("id", id)
                .field("bucket", bucket)
                .field("prefix", prefix)
                .field("source", source)
                .finish(),
            Request::Delete { id, bucket, what, .. } => {
                f.debug_struct("Delete").field("id", id).field("bucket", bucket).field("what", what).finish()
            }
            Request::ListVersions { id, bucket, key, .. } => {
                f.debug_struct("ListVersions").field("id", id).field("bucket", bucket).field("key", key).finish()
            }
            Request::Find { id, bucket, prefix, needle, limit, .. } => f
                .debug_struct("Find")
                .field("id", id)
                .field("bucket", bucket)
                .field("prefix", prefix)
                .field("needle", needle)
                .field("limit", limit)
                .finish(),
            Request::Cancel { id } => f.debug_struct("Cancel").field("id", id).finish(),
            Request::AddIdentity { id, identity, save } => f
                .debug_struct("AddIdentity")
                .field("id", id)
                .field("identity", &identity.name)
                .field("save", save)
                .finish(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Session {
        id: RequestId,
        result: Result<SessionInfo, Failure>,
    },
    Buckets {
        id: RequestId,
        result: Result<Vec<Bucket>, Failure>,
    },
    Objects {
        id: RequestId,
        result: Result<Page, Failure>,
    },
    /// Unasked: a session was started or refreshed on the way to serving another request.
    SessionUpdate {
        info: SessionInfo,
    },
    /// Boxed: details carry maps of metadata and tags, and every response would pay for them.
    Details {
        id: RequestId,
        result: Result<Box<crate::s3::object::Details>, Failure>,
    },
    Range {
        id: RequestId,
        result: Result<crate::s3::object::Chunk, Failure>,
    },
    Presigned {
        id: RequestId,
        result: Result<Presigned, Failure>,
    },
    TransferProgress {
        id: RequestId,
        progress: crate::transfer::BatchProgress,
        /// The files of a batch in flight now, by key.
        files: Vec<crate::transfer::FileProgress>,
    },
    TransferDone {
        id: RequestId,
        result: Result<TransferSummary, Failure>,
    },
    Deleted {
        id: RequestId,
        result: Result<DeleteSummary, Failure>,
    },
    Versions {
        id: RequestId,
        result: Result<Vec<crate::transfer::Version>, Failure>,
    },
    /// Matches of a find since the last batch, and how many keys were looked at meanwhile.
    Found {
        id: RequestId,
        batch: FoundBatch,
    },
    /// The find has looked at every key, or failed; sent after its last `Found`.
    FindDone {
        id: RequestId,
        result: Result<(), Failure>,
    },
    /// The identity was added; `Some(path)` when it was also saved there.
    IdentityAdded {
        id: RequestId,
        result: Result<Option<std::path::PathBuf>, Failure>,
    },
}

impl Response {
    /// The request this answers; `None` for unasked updates.
    pub fn id(&self) -> Option<RequestId> {
        match self {
            Response::Session { id, .. }
            | Response::Buckets { id, .. }
            | Response::Objects { id, .. }
            | Response::IdentityAdded { id, .. }
            | Response::Details { id, .. }
            | Response::Range { id, .. }
            | Response::Presigned { id, .. }
            | Response::TransferProgress { id, .. }
            | Response::TransferDone { id, .. }
            | Response::Deleted { id, .. }
            | Response::Versions { id, .. }
            | Response::Found { id, .. }
            | Response::FindDone { id, .. } => Some(*id),
            Response::SessionUpdate { .. } => None,
        }
    }
}

/// What a find turned up since its last batch. The counts are increments, so batches add up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FoundBatch {
    /// Matching objects, up to the find's limit over all batches.
    pub matches: Vec<crate::s3::Object>,
    /// Keys that matched, including any past the limit.
    pub matched: u64,
    /// Keys looked at.
    pub scanned: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadWhat {
    Object {
        key: String,
        /// A version other than the latest.
        version_id: Option<String>,
    },
    /// Objects (key and listed size) side by side, as one batch: the marked ones.
    Objects { objects: Vec<(String, u64)> },
    /// Everything below, recursively.
    Prefix { prefix: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteWhat {
    Keys(Vec<String>),
    /// Every object under the prefix.
    Prefix(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteSummary {
    pub deleted: usize,
    /// `key: code: message`, per key that was not deleted.
    pub failed: Vec<String>,
}

/// How a transfer ended, for the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSummary {
    pub files: usize,
    pub bytes: u64,
    /// `key: reason`, one per file that failed or was skipped.
    pub problems: Vec<String>,
}

/// A presigned URL and how long it lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    pub url: String,
    pub lifetime: std::time::Duration,
    /// The lifetime asked for was cut to the credentials' expiry.
    pub capped: bool,
}

/// What went wrong, reduced to what the UI acts on plus the full message to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// Ask the user for a code for `serial`, then send the request again with it.
    NeedsMfa {
        identity: String,
        serial: String,
    },
    AccessDenied,
    Expired,
    NotFound,
    Network,
    /// Bad input: config, validation, usage.
    Invalid,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl From<&Error> for Failure {
    fn from(e: &Error) -> Self {
        let kind = match e {
            Error::MfaRequired { identity, serial, .. } => {
                FailureKind::NeedsMfa { identity: identity.clone(), serial: serial.clone() }
            }
            Error::Usage(_) | Error::Config(_) | Error::Validation(_) => FailureKind::Invalid,
            Error::Expired { .. } => FailureKind::Expired,
            Error::Aws(a) => match a.kind {
                AwsErrorKind::AccessDenied => FailureKind::AccessDenied,
                AwsErrorKind::ExpiredToken => FailureKind::Expired,
                AwsErrorKind::NoSuchBucket | AwsErrorKind::NotFound => FailureKind::NotFound,
                AwsErrorKind::Network | AwsErrorKind::Timeout | AwsErrorKind::BadResponse => FailureKind::Network,
                _ => FailureKind::Other,
            },
            Error::Credentials { .. } | Error::Io { .. } | Error::Interrupted(_) => FailureKind::Other,
        };
        Failure { kind, message: e.to_string() }
    }
}
