//! Uploads: a file in one PUT or in parts, and a directory tree under a prefix. Bodies are
//! read from disk as they are sent (`ByteStream::read_from`), a part at a time, so memory does
//! not grow with the file; the SDK can re-read a part from disk to retry it.
//!
//! A request refused because the credentials expired is sent again with renewed ones (when
//! the options carry a [`Renewal`]): a multipart upload keeps its upload id and the parts
//! already sent, and goes on with the rest.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use futures::{StreamExt, TryStreamExt};

use super::download::{finished, per_file};
use super::error::{TransferError, TransferErrorKind, TransferOp, io_kind};
use super::progress::{BatchProgress, Cancel, FileProgress, Progress, Reporter};
use super::renew::{self, Renewal};
use super::{FileResult, Skipped, Tally};
use crate::aws_error::{AwsError, AwsErrorKind};

const MIB: u64 = 1024 * 1024;
/// S3's smallest part (except the last).
pub const MIN_PART_SIZE: u64 = 5 * MIB;
/// S3's most parts per upload.
pub const MAX_PARTS: u64 = 10_000;
/// S3's largest single PUT.
pub const MAX_SINGLE_PUT: u64 = 5 * 1024 * MIB;

#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// Files this size or larger go in parts.
    pub multipart_threshold: u64,
    /// Raised to [`MIN_PART_SIZE`], and as far as needed to stay within [`MAX_PARTS`].
    pub part_size: u64,
    /// Parts sent at once (at least 1).
    pub concurrency: usize,
    pub content_type: Option<String>,
    pub renewal: Option<Renewal>,
    pub progress: Reporter<Progress>,
    pub cancel: Cancel,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            multipart_threshold: 8 * MIB,
            part_size: 8 * MIB,
            concurrency: 4,
            content_type: None,
            renewal: None,
            progress: Reporter::none(),
            cancel: Cancel::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReport {
    pub key: String,
    pub path: PathBuf,
    pub bytes: u64,
    /// 0 for a single PUT.
    pub parts: usize,
    pub etag: Option<String>,
    pub version_id: Option<String>,
}

/// The part size actually used for a file of `size` bytes.
pub fn effective_part_size(size: u64, wanted: u64) -> u64 {
    wanted.max(MIN_PART_SIZE).max(size.div_ceil(MAX_PARTS))
}

/// Uploads `src` as `key`. A multipart upload that fails or is cancelled is aborted, so no
/// stray parts are left to be billed.
pub async fn upload_file(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    key: &str,
    src: &Path,
    opts: &UploadOptions,
) -> Result<UploadReport, TransferError> {
    let fail = |kind| TransferError::new(TransferOp::Upload, bucket, key, Some(src), kind);
    if opts.cancel.is_cancelled() {
        return Err(fail(TransferErrorKind::Cancelled));
    }
    let meta = tokio::fs::metadata(src).await.map_err(|e| fail(io_kind(format!("reading {}", src.display()), &e)))?;
    if !meta.is_file() {
        return Err(fail(TransferErrorKind::BadPath(format!("{} is not a regular file", src.display()))));
    }
    let size = meta.len();
    let job = Job { client, endpoint, bucket, key, src, opts };
    opts.progress.report(Progress { bytes_done: 0, bytes_total: size });
    let threshold = opts.multipart_threshold.min(MAX_SINGLE_PUT);
    let uploaded = if size < threshold { job.single(size).await } else { job.multipart(size).await };
    let (parts, etag, version_id) = uploaded.map_err(fail)?;
    Ok(UploadReport { key: key.to_string(), path: src.to_path_buf(), bytes: size, parts, etag, version_id })
}

type Uploaded = (usize, Option<String>, Option<String>);

struct Job<'a> {
    client: &'a aws_sdk_s3::Client,
    endpoint: &'a str,
    bucket: &'a str,
    key: &'a str,
    src: &'a Path,
    opts: &'a UploadOptions,
}

impl Job<'_> {
    /// Sends a request built by `call` on the current client; if S3 says the credentials
    /// expired, renews them (when allowed) and sends it again.
    async fn renewing<T, F, Fut>(&self, call: F) -> Result<T, TransferErrorKind>
    where
        F: Fn(aws_sdk_s3::Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, TransferErrorKind>>,
    {
        renew::renewing(self.opts.renewal.as_ref(), self.client, call).await
    }

    async fn single(&self, size: u64) -> Result<Uploaded, TransferErrorKind> {
        let out = self
            .renewing(|client| async move {
                let body = self.body(0, size).await?;
                let request = client
                    .put_object()
                    .bucket(self.bucket)
                    .key(self.key)
                    .set_content_type(self.opts.content_type.clone())
                    .content_length(self.i64(size)?)
                    .body(body)
                    .send();
                self.sent("PutObject", self.opts.cancel.guard(request).await)
            })
            .await?;
        self.opts.progress.report(Progress { bytes_done: size, bytes_total: size });
        Ok((0, out.e_tag().map(str::to_string), out.version_id().map(str::to_string)))
    }

    async fn multipart(&self, size: u64) -> Result<Uploaded, TransferErrorKind> {
        // CRC32 per part, declared up front: S3 then checks every part and the whole.
        let created = self
            .renewing(|client| async move {
                let request = client
                    .create_multipart_upload()
                    .bucket(self.bucket)
                    .key(self.key)
                    .set_content_type(self.opts.content_type.clone())
                    .checksum_algorithm(ChecksumAlgorithm::Crc32)
                    .send();
                self.sent("CreateMultipartUpload", self.opts.cancel.guard(request).await)
            })
            .await?;
        let Some(upload_id) = created.upload_id().map(str::to_string) else {
            return Err(self.aws(AwsErrorKind::Other, "CreateMultipartUpload", "the answer had no upload id"));
        };
        let result = async {
            let parts = self.parts(size, &upload_id).await?;
            let count = parts.len();
            if self.opts.cancel.is_cancelled() {
                return Err(TransferErrorKind::Cancelled);
            }
            let upload = CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
            let out = self
                .renewing(|client| {
                    let (upload, upload_id) = (upload.clone(), &upload_id);
                    async move {
                        let request = client
                            .complete_multipart_upload()
                            .bucket(self.bucket)
                            .key(self.key)
                            .upload_id(upload_id)
                            .multipart_upload(upload)
                            .send();
                        self.sent("CompleteMultipartUpload", self.opts.cancel.guard(request).await)
                    }
                })
                .await?;
            Ok((count, out.e_tag().map(str::to_string), out.version_id().map(str::to_string)))
        }
        .await;
        if result.is_err() {
            self.abort(&upload_id).await;
        }
        result
    }

    async fn parts(&self, size: u64, upload_id: &str) -> Result<Vec<CompletedPart>, TransferErrorKind> {
        let part_size = effective_part_size(size, self.opts.part_size);
        let count = size.div_ceil(part_size).max(1);
        let mut done = 0u64;
        let mut parts: Vec<CompletedPart> = futures::stream::iter(0..count)
            .map(|index| {
                let offset = index * part_size;
                let len = part_size.min(size - offset);
                async move {
                    if self.opts.cancel.is_cancelled() {
                        return Err(TransferErrorKind::Cancelled);
                    }
                    let number = i32::try_from(index + 1)
                        .map_err(|_| self.aws(AwsErrorKind::Validation, "UploadPart", "more parts than S3 allows"))?;
                    let out = self
                        .renewing(|client| async move {
                            let body = self.body(offset, len).await?;
                            let request = client
                                .upload_part()
                                .bucket(self.bucket)
                                .key(self.key)
                                .upload_id(upload_id)
                                .part_number(number)
                                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                                .content_length(self.i64(len)?)
                                .body(body)
                                .send();
                            self.sent("UploadPart", self.opts.cancel.guard(request).await)
                        })
                        .await?;
                    let part = CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(out.e_tag().map(str::to_string))
                        .set_checksum_crc32(out.checksum_crc32().map(str::to_string))
                        .build();
                    Ok((part, len))
                }
            })
            .buffer_unordered(self.opts.concurrency.max(1))
            // One task polls every part, so these updates arrive in order.
            .inspect_ok(|(_, len)| {
                done += len;
                self.opts.progress.report(Progress { bytes_done: done, bytes_total: size });
            })
            .map_ok(|(part, _)| part)
            .try_collect()
            .await?;
        parts.sort_by_key(|p| p.part_number());
        Ok(parts)
    }

    /// Best effort: the upload already failed, and a failed abort only leaves parts behind
    /// (which a bucket lifecycle rule may clean up), so it is logged, not reported.
    async fn abort(&self, upload_id: &str) {
        let (_, client) = renew::current(self.opts.renewal.as_ref(), self.client).await;
        let aborted =
            client.abort_multipart_upload().bucket(self.bucket).key(self.key).upload_id(upload_id).send().await;
        if let Err(e) = aborted {
            let e = AwsError::from_sdk("AbortMultipartUpload", self.endpoint, &e).on(self.location());
            tracing::warn!("could not abort the multipart upload {upload_id}: {e}");
        }
    }

    async fn body(&self, offset: u64, len: u64) -> Result<ByteStream, TransferErrorKind> {
        ByteStream::read_from().path(self.src).offset(offset).length(Length::Exact(len)).build().await.map_err(|e| {
            let kind = std::error::Error::source(&e)
                .and_then(|s| s.downcast_ref::<std::io::Error>())
                .map_or(std::io::ErrorKind::Other, std::io::Error::kind);
            TransferErrorKind::Io { action: format!("reading {}", self.src.display()), kind, message: e.to_string() }
        })
    }

    fn sent<T, E>(
        &self,
        operation: &str,
        outcome: Option<Result<T, aws_sdk_s3::error::SdkError<E>>>,
    ) -> Result<T, TransferErrorKind>
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        match outcome {
            None => Err(TransferErrorKind::Cancelled),
            Some(Ok(out)) => Ok(out),
            Some(Err(e)) => Err(TransferErrorKind::Aws(Box::new(
                AwsError::from_sdk(operation, self.endpoint, &e).on(self.location()).in_bucket(self.bucket),
            ))),
        }
    }

    fn i64(&self, n: u64) -> Result<i64, TransferErrorKind> {
        i64::try_from(n).map_err(|_| self.aws(AwsErrorKind::Validation, "PutObject", "the file is too large"))
    }

    fn aws(&self, kind: AwsErrorKind, operation: &str, message: &str) -> TransferErrorKind {
        let e = AwsError::new(kind, operation, self.endpoint, message).on(self.location()).in_bucket(self.bucket);
        TransferErrorKind::Aws(Box::new(e))
    }

    fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

#[derive(Debug, Clone)]
pub struct DirUploadOptions {
    /// Files uploaded at once (at least 1); each may send `part_concurrency` parts at once.
    pub concurrency: usize,
    pub multipart_threshold: u64,
    pub part_size: u64,
    pub part_concurrency: usize,
    pub renewal: Option<Renewal>,
    pub progress: Reporter<BatchProgress>,
    pub file_progress: Reporter<FileProgress>,
    pub cancel: Cancel,
}

impl Default for DirUploadOptions {
    fn default() -> Self {
        let file = UploadOptions::default();
        DirUploadOptions {
            concurrency: 4,
            multipart_threshold: file.multipart_threshold,
            part_size: file.part_size,
            part_concurrency: file.concurrency,
            renewal: None,
            progress: Reporter::none(),
            file_progress: Reporter::none(),
            cancel: Cancel::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DirUploadReport {
    /// One entry per regular file found, in key order.
    pub files: Vec<FileResult<UploadReport>>,
    /// What was found but not uploaded (symlinked directories, sockets, non-UTF-8 names,
    /// unreadable directories), with why.
    pub skipped: Vec<Skipped>,
}

impl DirUploadReport {
    pub fn failures(&self) -> impl Iterator<Item = &FileResult<UploadReport>> {
        self.files.iter().filter(|f| f.result.is_err())
    }
}

/// The key for a file at `relative` (segments already split) under `prefix`: `prefix/` is
/// added a `/` if it lacks one, so `backup` + `a.txt` is `backup/a.txt`.
pub fn key_for(prefix: &str, relative: &[String]) -> String {
    let mut key = prefix.to_string();
    if !key.is_empty() && !key.ends_with('/') {
        key.push('/');
    }
    key.push_str(&relative.join("/"));
    key
}

/// Uploads every regular file below `src_dir` (and files that symlinks point to) as
/// `prefix` + its relative path with `/` separators. Symlinked directories are not followed,
/// so a link cycle cannot make the walk endless. Fails as a whole only if `src_dir` itself
/// cannot be read.
pub async fn upload_dir(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    prefix: &str,
    src_dir: &Path,
    opts: &DirUploadOptions,
) -> Result<DirUploadReport, TransferError> {
    let root = src_dir.to_path_buf();
    let walked = tokio::task::spawn_blocking(move || walk(&root)).await;
    let fail = |kind| TransferError::new(TransferOp::Upload, bucket, prefix, Some(src_dir), kind);
    let (found, skipped) = match walked {
        Ok(Ok(walked)) => walked,
        Ok(Err(e)) => return Err(fail(io_kind(format!("reading the directory {}", src_dir.display()), &e))),
        Err(e) => return Err(fail(io_kind("walking the directory", &std::io::Error::other(e.to_string())))),
    };
    let mut report = DirUploadReport { files: Vec::new(), skipped };
    for skip in &mut report.skipped {
        skip.key = key_for(prefix, std::slice::from_ref(&skip.key));
    }
    let tally = Arc::new(Tally::new(
        opts.progress.clone(),
        BatchProgress {
            files_total: found.len(),
            bytes_total: found.iter().map(|f| f.size).sum(),
            ..BatchProgress::default()
        },
    ));
    tally.announce();
    let results: Vec<_> = futures::stream::iter(found)
        .map(|file| {
            let tally = tally.clone();
            async move {
                let key = key_for(prefix, &file.relative);
                let name: Arc<str> = Arc::from(key.as_str());
                let file_opts = UploadOptions {
                    multipart_threshold: opts.multipart_threshold,
                    part_size: opts.part_size,
                    concurrency: opts.part_concurrency,
                    content_type: None,
                    renewal: opts.renewal.clone(),
                    progress: per_file(&tally, &opts.file_progress, name.clone()),
                    cancel: opts.cancel.clone(),
                };
                let result = upload_file(client, endpoint, bucket, &key, &file.path, &file_opts).await;
                finished(&opts.file_progress, name);
                tally.file_done(result.is_ok());
                FileResult { key, path: Some(file.path), result }
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    report.files = results;
    report.files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(report)
}

struct Found {
    path: PathBuf,
    /// Path segments below the root.
    relative: Vec<String>,
    size: u64,
}

/// Walks `root` without following symlinked directories. Entries that cannot be uploaded are
/// returned as skipped, their `key` holding the relative path for now.
fn walk(root: &Path) -> std::io::Result<(Vec<Found>, Vec<Skipped>)> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut pending: Vec<(PathBuf, Vec<String>)> = vec![(root.to_path_buf(), Vec::new())];
    while let Some((dir, relative)) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            // The root must be readable; below it, an unreadable directory is one skipped entry.
            Err(e) if relative.is_empty() => return Err(e),
            Err(e) => {
                skipped.push(skip(&relative, &dir, format!("the directory cannot be read: {e}")));
                continue;
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => names.push(entry),
                Err(e) => skipped.push(skip(&relative, &dir, format!("the directory cannot be read: {e}"))),
            }
        }
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            let path = entry.path();
            let Ok(name) = entry.file_name().into_string() else {
                let shown = entry.file_name().to_string_lossy().into_owned();
                skipped.push(skip(&relative, &path, format!("the name {shown:?} is not UTF-8, which S3 keys must be")));
                continue;
            };
            let mut below = relative.clone();
            below.push(name);
            // `metadata` follows a symlink: a link to a file uploads the file it points to.
            let (is_link, meta) = match (entry.file_type(), std::fs::metadata(&path)) {
                (Ok(kind), Ok(meta)) => (kind.is_symlink(), meta),
                (_, Err(e)) => {
                    skipped.push(skip(&below, &path, format!("cannot be read: {e}")));
                    continue;
                }
                (Err(e), _) => {
                    skipped.push(skip(&below, &path, format!("cannot be read: {e}")));
                    continue;
                }
            };
            if meta.is_dir() && is_link {
                skipped.push(skip(&below, &path, "a symbolic link to a directory (not followed)".into()));
            } else if meta.is_dir() {
                pending.push((path, below));
            } else if meta.is_file() {
                found.push(Found { path, relative: below, size: meta.len() });
            } else {
                skipped.push(skip(&below, &path, "not a regular file".into()));
            }
        }
    }
    found.sort_by(|a, b| a.relative.cmp(&b.relative));
    skipped.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((found, skipped))
}

fn skip(relative: &[String], path: &Path, reason: String) -> Skipped {
    Skipped { key: relative.join("/"), path: Some(path.to_path_buf()), reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_respect_s3_limits() {
        assert_eq!(effective_part_size(12 * MIB, 8 * MIB), 8 * MIB);
        assert_eq!(effective_part_size(12 * MIB, MIB), MIN_PART_SIZE, "no part below 5 MiB");
        let huge = 5 * 1024 * 1024 * MIB; // 5 TiB, S3's largest object
        let part = effective_part_size(huge, 8 * MIB);
        assert!(huge.div_ceil(part) <= MAX_PARTS, "{part}");
    }

    #[test]
    fn keys_join_the_prefix_with_slashes() {
        let rel = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(key_for("backup", &rel(&["a b", "c+d%.txt"])), "backup/a b/c+d%.txt");
        assert_eq!(key_for("backup/", &rel(&["x"])), "backup/x");
        assert_eq!(key_for("", &rel(&["x", "y"])), "x/y");
    }

    #[cfg(unix)]
    #[test]
    fn the_walk_skips_linked_directories_and_special_files() {
        let root = tempfile::tempdir().expect("temp dir");
        let r = root.path();
        std::fs::create_dir_all(r.join("sub/deeper")).expect("mkdir");
        std::fs::write(r.join("top.txt"), b"1").expect("write");
        std::fs::write(r.join("sub/deeper/leaf.txt"), b"22").expect("write");
        std::os::unix::fs::symlink(r.join("sub"), r.join("loop")).expect("symlink");
        std::os::unix::fs::symlink(r.join("top.txt"), r.join("link.txt")).expect("symlink");
        std::os::unix::net::UnixListener::bind(r.join("sock")).expect("socket");
        let (found, skipped) = walk(r).expect("walk");
        let found: Vec<(String, u64)> = found.iter().map(|f| (f.relative.join("/"), f.size)).collect();
        assert_eq!(
            found,
            [("link.txt".to_string(), 1), ("sub/deeper/leaf.txt".to_string(), 2), ("top.txt".to_string(), 1)]
        );
        let skipped: Vec<&str> = skipped.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(skipped, ["loop", "sock"]);
    }
}
