//! Downloads: one object streamed to disk, or every object under a prefix.
//!
//! A download writes `.<name>.s3lease-partial` next to the destination and renames it only
//! once the byte count matches what S3 announced, so the final name never holds half an
//! object. Beside the partial, `.<name>.s3lease-partial.etag` records which version of the
//! object the bytes came from: a resumed download sends it as `If-Match`, so bytes of a
//! changed object are never spliced onto the old ones.
//!
//! A body that breaks off mid-way or stalls for longer than the client's read timeout, or a GET
//! refused because the credentials expired (with a [`Renewal`] to get new ones), is picked up
//! again from the partial file's length, so a long download survives a flaky network and the
//! end of its session.
//!
//! Before the rename the file is checked against the object (see [`super::integrity`]): a
//! flexible checksum, the ETag's MD5 over the whole file (resumed bytes included), or the size
//! S3 gives elsewhere. A file that fails is thrown away and downloaded once more from the
//! start; failing again, the download fails with what differed.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumMode;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use super::error::{TransferError, TransferErrorKind, TransferOp, io_kind};
use super::integrity::{Check, Md5Sum, Mismatch, check_for, checksum_failure};
use super::path::{folder_of, local_path_for};
use super::progress::{BatchProgress, Cancel, FileProgress, Progress, Reporter};
use super::renew::{self, Renewal, is_expired, is_transient, renewal_failed};
use super::{FileResult, Skipped, Tally};
use crate::aws_error::{AwsError, AwsErrorKind, timeout_message};
use crate::s3::list::{Object, follow, list_page};
use crate::s3::token_guard::TokenGuard;

/// Large enough that a fast link is not slowed by a system call per network chunk, small
/// enough that memory stays flat however large the object.
const WRITE_BUFFER: usize = 256 * 1024;

/// Times a download picks up again after its body broke off: enough for a flaky link, few
/// enough that a dead endpoint is reported within seconds.
const MAX_RESUMES: u32 = 3;
/// Before the first resume; doubled for each one after.
const RESUME_BACKOFF: std::time::Duration = std::time::Duration::from_millis(250);

#[derive(Debug, Clone, Default)]
pub struct DownloadOptions {
    /// Replace an existing file at the destination (atomically, once the download is whole).
    pub overwrite: bool,
    /// On failure or cancel, keep the partial file (and its ETag record) for a later `resume`.
    pub keep_partial_for_resume: bool,
    /// Continue from an existing partial file with a ranged GET, if the object is unchanged;
    /// a changed object (or a partial without its ETag record) is downloaded from the start.
    pub resume: bool,
    /// A version other than the latest (from ListObjectVersions).
    pub version_id: Option<String>,
    /// The object's size as listed, if known: saves a HeadObject when nothing else can check
    /// the bytes received (a multipart object without a full-object checksum).
    pub listed_size: Option<u64>,
    /// New credentials when S3 says the current ones expired; without it that fails the file.
    pub renewal: Option<Renewal>,
    /// Do not check the file's MD5 against a plain ETag (`verify_md5 = false` in the settings).
    pub ignore_md5: bool,
    pub progress: Reporter<Progress>,
    pub cancel: Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadReport {
    pub key: String,
    pub path: PathBuf,
    pub bytes: u64,
    /// How many bytes came from an earlier partial file (0 when downloaded from the start).
    pub resumed_from: u64,
    /// As S3 sent it, quotes included (the form `If-Match` takes).
    pub etag: Option<String>,
    /// How the bytes were found to be the object's.
    pub verified: Check,
}

/// Where the bytes of a download to `dest` collect until it is complete.
pub fn partial_path(dest: &Path) -> Option<PathBuf> {
    sibling(dest, ".s3lease-partial")
}

/// The record of which object version the partial file holds (its ETag, as S3 sent it).
pub fn partial_etag_path(dest: &Path) -> Option<PathBuf> {
    sibling(dest, ".s3lease-partial.etag")
}

fn sibling(dest: &Path, suffix: &str) -> Option<PathBuf> {
    let name = dest.file_name()?;
    let mut hidden = OsString::from(".");
    hidden.push(name);
    hidden.push(suffix);
    Some(dest.with_file_name(hidden))
}

/// Downloads `key` to `dest`, creating its directory. See the module docs for the partial file.
pub async fn download_object(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    key: &str,
    dest: &Path,
    opts: &DownloadOptions,
) -> Result<DownloadReport, TransferError> {
    let fail = |kind| TransferError::new(TransferOp::Download, bucket, key, Some(dest), kind);
    if opts.cancel.is_cancelled() {
        return Err(fail(TransferErrorKind::Cancelled));
    }
    let (Some(partial), Some(etag_file)) = (partial_path(dest), partial_etag_path(dest)) else {
        return Err(fail(TransferErrorKind::BadPath("the destination has no file name".into())));
    };
    // Checked before any network call; the final rename checks again (something may appear
    // meanwhile) without ever replacing it.
    if !opts.overwrite && tokio::fs::symlink_metadata(dest).await.is_ok() {
        return Err(fail(TransferErrorKind::AlreadyExists));
    }
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| fail(io_kind(format!("creating the directory {}", dir.display()), &e)))?;
    }
    let fetched = match fetch_resuming(client, endpoint, bucket, key, (&partial, &etag_file), opts).await {
        Ok(fetched) => fetched,
        Err(kind) => {
            // Bytes that are not the object's are worth nothing to a later resume.
            let corrupt = matches!(kind, TransferErrorKind::Corrupt { .. });
            if !opts.keep_partial_for_resume || corrupt {
                discard(&partial, &etag_file).await;
            }
            return Err(fail(kind));
        }
    };
    match place(&partial, dest, opts.overwrite).await {
        Ok(()) => {
            let _ = tokio::fs::remove_file(&etag_file).await;
            Ok(DownloadReport {
                key: key.to_string(),
                path: dest.to_path_buf(),
                bytes: fetched.size,
                resumed_from: fetched.resumed_from,
                etag: fetched.etag,
                verified: fetched.verified,
            })
        }
        Err(kind) => {
            if !opts.keep_partial_for_resume {
                discard(&partial, &etag_file).await;
            }
            Err(fail(kind))
        }
    }
}

/// Fetches into the partial file, resuming from its length after a broken body or renewed
/// credentials. The partial is left for the caller to place or discard.
async fn fetch_resuming(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    key: &str,
    (partial, etag_file): (&Path, &Path),
    opts: &DownloadOptions,
) -> Result<Fetched, TransferErrorKind> {
    let mut resume = opts.resume;
    let mut resumes = 0;
    let mut fresh_starts = 0;
    loop {
        let (generation, client) = renew::current(opts.renewal.as_ref(), client).await;
        let job = Job { client: &client, endpoint, bucket, key, partial, etag_file, opts, resume };
        let kind = match job.fetch().await {
            Ok(fetched) => return Ok(fetched),
            Err(kind) => kind,
        };
        match &opts.renewal {
            Some(renewal) if is_expired(&kind) => {
                renewal.renew(generation).await.map_err(|why| renewal_failed(&kind, &why))?;
            }
            // A wrong file may come of a fault on the way that does not recur: one more try,
            // from nothing, before blaming the endpoint.
            _ if matches!(kind, TransferErrorKind::Corrupt { .. }) && fresh_starts < 1 => {
                fresh_starts += 1;
                tracing::warn!(
                    bucket,
                    key,
                    "the download is not the object; downloading it again from the start: {kind}"
                );
                discard(partial, etag_file).await;
                resume = false;
                continue;
            }
            _ if is_transient(&kind) && resumes < MAX_RESUMES => {
                let backoff = RESUME_BACKOFF * 2u32.pow(resumes);
                resumes += 1;
                tracing::info!(bucket, key, resumes, "the download broke off; resuming after {backoff:?}: {kind}");
                if opts.cancel.guard(tokio::time::sleep(backoff)).await.is_none() {
                    return Err(TransferErrorKind::Cancelled);
                }
            }
            _ => return Err(kind),
        }
        // What arrived so far stays: the next attempt asks only for the rest.
        resume = true;
    }
}

async fn discard(partial: &Path, etag_file: &Path) {
    let _ = tokio::fs::remove_file(partial).await;
    let _ = tokio::fs::remove_file(etag_file).await;
}

/// Moves the finished partial file to `dest`: replacing whatever is there only if allowed.
async fn place(partial: &Path, dest: &Path, overwrite: bool) -> Result<(), TransferErrorKind> {
    let rename = |e: std::io::Error| io_kind(format!("renaming {} to {}", partial.display(), dest.display()), &e);
    if overwrite {
        return tokio::fs::rename(partial, dest).await.map_err(rename);
    }
    // A hard link fails if `dest` exists, atomically: no window in which a file created by
    // someone else could be replaced.
    match tokio::fs::hard_link(partial, dest).await {
        Ok(()) => {
            let _ = tokio::fs::remove_file(partial).await;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(TransferErrorKind::AlreadyExists),
        // File systems without hard links (FAT, some network shares): check, then rename.
        Err(_) => {
            if tokio::fs::symlink_metadata(dest).await.is_ok() {
                return Err(TransferErrorKind::AlreadyExists);
            }
            tokio::fs::rename(partial, dest).await.map_err(rename)
        }
    }
}

struct Fetched {
    size: u64,
    resumed_from: u64,
    etag: Option<String>,
    verified: Check,
}

struct Job<'a> {
    client: &'a aws_sdk_s3::Client,
    endpoint: &'a str,
    bucket: &'a str,
    key: &'a str,
    partial: &'a Path,
    etag_file: &'a Path,
    opts: &'a DownloadOptions,
    resume: bool,
}

impl Job<'_> {
    async fn fetch(&self) -> Result<Fetched, TransferErrorKind> {
        let resumable = if self.resume { self.resumable().await } else { None };
        let (out, offset) = match resumable {
            Some((len, etag)) => match self.get(Some((len, &etag))).await {
                Ok(out) => (out, len),
                // 412: the object changed since the partial was written. 416: the partial is
                // as long as the object or longer, so it cannot be this version's prefix.
                Err(TransferErrorKind::Aws(e)) if matches!(e.status, Some(412 | 416)) => (self.get(None).await?, 0),
                Err(e) => return Err(e),
            },
            None => (self.get(None).await?, 0),
        };
        let range = out.content_range().and_then(parse_content_range);
        // A server that ignores Range sends the whole object with a 200: start over.
        let offset = if range.is_some() { offset } else { 0 };
        if let Some((start, _)) = range
            && start != offset
        {
            return Err(self.bad_answer(format!("answered a range from byte {start} when asked from byte {offset}")));
        }
        let length = out.content_length().and_then(|l| u64::try_from(l).ok());
        let total = match (range, length) {
            (Some((_, total)), _) => Some(total),
            (None, Some(length)) => Some(length),
            (None, None) => None,
        };
        let etag = out.e_tag().map(str::to_string);
        let check = check_for(&out, range.is_none(), !self.opts.ignore_md5);
        let mut md5 = match check {
            Check::Md5(_) => Some(Md5Sum::default()),
            _ => None,
        };
        if let Some(md5) = md5.as_mut()
            && offset > 0
        {
            // The digest is of the whole object: the bytes already on disk count too.
            let partial = self.partial;
            md5.update_from_file(partial, offset)
                .await
                .map_err(|e| io_kind(format!("reading {}", partial.display()), &e))?;
        }
        let file = self.open(offset, etag.as_deref()).await?;
        let size = self.stream(out, file, offset, total, md5.as_mut()).await?;
        if let Some(expected) = total
            && size != expected
        {
            let source = if range.is_some() { "the Content-Range header" } else { "the Content-Length header" };
            return Err(self.corrupt(Mismatch::Size { expected, got: size, source }));
        }
        match (&check, md5) {
            (Check::Md5(expected), Some(md5)) => {
                let got = md5.hex();
                if got != *expected {
                    return Err(self.corrupt(Mismatch::Md5 { expected: expected.clone(), got }));
                }
            }
            // A range's total is S3's own word on the size, apart from the answer's length.
            (Check::Size, _) if range.is_none() => self.check_size(size, etag.as_deref()).await?,
            _ => {}
        }
        Ok(Fetched { size, resumed_from: offset, etag, verified: check })
    }

    /// Compares `size` with the object's size as listed or, failing that, as HeadObject gives
    /// it for the version the bytes came from.
    async fn check_size(&self, size: u64, etag: Option<&str>) -> Result<(), TransferErrorKind> {
        if self.opts.listed_size == Some(size) {
            return Ok(());
        }
        // Not as listed: the listing may be old, so S3 has the last word.
        let request = self
            .client
            .head_object()
            .bucket(self.bucket)
            .key(self.key)
            .set_version_id(self.opts.version_id.clone())
            .set_if_match(etag.map(str::to_string));
        let head = match self.opts.cancel.guard(request.send()).await {
            None => return Err(TransferErrorKind::Cancelled),
            Some(Ok(head)) => head,
            Some(Err(e)) => {
                let e = AwsError::from_sdk("HeadObject", self.endpoint, &e).on(self.location()).in_bucket(self.bucket);
                return Err(TransferErrorKind::Aws(Box::new(e)));
            }
        };
        match head.content_length().and_then(|l| u64::try_from(l).ok()) {
            Some(expected) if expected != size => {
                Err(self.corrupt(Mismatch::Size { expected, got: size, source: "HeadObject" }))
            }
            _ => Ok(()),
        }
    }

    /// The partial file's length and recorded ETag, if both are there and usable.
    async fn resumable(&self) -> Option<(u64, String)> {
        let meta = tokio::fs::symlink_metadata(self.partial).await.ok()?;
        if !meta.file_type().is_file() || meta.len() == 0 {
            return None;
        }
        let etag = tokio::fs::read_to_string(self.etag_file).await.ok()?;
        let etag = etag.trim();
        (!etag.is_empty()).then(|| (meta.len(), etag.to_string()))
    }

    async fn get(&self, from: Option<(u64, &str)>) -> Result<GetObjectOutput, TransferErrorKind> {
        let mut request =
            self.client.get_object().bucket(self.bucket).key(self.key).set_version_id(self.opts.version_id.clone());
        match from {
            Some((offset, etag)) => request = request.range(format!("bytes={offset}-")).if_match(etag),
            // S3 sends no checksum for part of an object; for all of it, the SDK checks it.
            None => request = request.checksum_mode(ChecksumMode::Enabled),
        }
        match self.opts.cancel.guard(request.send()).await {
            None => Err(TransferErrorKind::Cancelled),
            Some(Ok(out)) => Ok(out),
            Some(Err(e)) => Err(TransferErrorKind::Aws(Box::new(
                AwsError::from_sdk("GetObject", self.endpoint, &e).on(self.location()).in_bucket(self.bucket),
            ))),
        }
    }

    /// The partial file, positioned at `offset`: appended to when resuming, else created anew
    /// with the ETag it will hold recorded beside it.
    async fn open(&self, offset: u64, etag: Option<&str>) -> Result<tokio::fs::File, TransferErrorKind> {
        let partial = self.partial;
        let action = |what: &str| format!("{what} {}", partial.display());
        if offset > 0 {
            return tokio::fs::OpenOptions::new()
                .append(true)
                .open(partial)
                .await
                .map_err(|e| io_kind(action("opening"), &e));
        }
        // Removed first so that a symlink planted under the partial's name is never followed.
        match tokio::fs::remove_file(partial).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_kind(action("removing"), &e)),
            _ => {}
        }
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(partial)
            .await
            .map_err(|e| io_kind(action("creating"), &e))?;
        let recorded = match etag {
            Some(etag) => tokio::fs::write(self.etag_file, etag).await,
            None => match tokio::fs::remove_file(self.etag_file).await {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
        };
        recorded.map_err(|e| io_kind(format!("writing {}", self.etag_file.display()), &e))?;
        Ok(file)
    }

    /// Copies the body to `file` chunk by chunk, feeding `md5` too; returns the partial file's
    /// new length.
    async fn stream(
        &self,
        mut out: GetObjectOutput,
        file: tokio::fs::File,
        offset: u64,
        total: Option<u64>,
        mut md5: Option<&mut Md5Sum>,
    ) -> Result<u64, TransferErrorKind> {
        let mut writer = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut done = offset;
        let report =
            |done: u64| self.opts.progress.report(Progress { bytes_done: done, bytes_total: total.unwrap_or(done) });
        report(done);
        let read_timeout = self.read_timeout();
        let written: Result<(), TransferErrorKind> = async {
            loop {
                let chunk = match self.opts.cancel.guard(next_chunk(&mut out.body, read_timeout)).await {
                    None => return Err(TransferErrorKind::Cancelled),
                    Some(Chunk::End) => return Ok(()),
                    Some(Chunk::Data(chunk)) => chunk,
                    Some(Chunk::Stalled(after)) => return Err(self.stalled(after, done, total)),
                    Some(Chunk::Failed(e)) => match checksum_failure(&e) {
                        Some(detail) => return Err(self.corrupt(Mismatch::Checksum(detail))),
                        None => return Err(self.broken(format!("the download broke off: {e}"))),
                    },
                };
                writer.write_all(&chunk).await.map_err(|e| self.write_error(&e))?;
                if let Some(md5) = md5.as_deref_mut() {
                    md5.update(&chunk);
                }
                done += chunk.len() as u64;
                report(done);
            }
        }
        .await;
        // Flushed even on failure: a kept partial must hold every byte that was received.
        let flushed = writer.flush().await.map_err(|e| self.write_error(&e));
        written?;
        flushed?;
        // On disk before the rename, so a crash cannot leave a complete-looking name over a
        // file whose data never reached the disk.
        writer.get_ref().sync_data().await.map_err(|e| self.write_error(&e))?;
        Ok(done)
    }

    /// The client's read timeout (the `read_timeout` setting): the SDK applies it up to the
    /// answer's head only, so the body's pieces are timed here.
    fn read_timeout(&self) -> Option<std::time::Duration> {
        self.client.config().timeout_config().and_then(|t| t.read_timeout())
    }

    fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    fn write_error(&self, e: &std::io::Error) -> TransferErrorKind {
        io_kind(format!("writing {}", self.partial.display()), e)
    }

    fn broken(&self, message: String) -> TransferErrorKind {
        let e = AwsError::new(AwsErrorKind::Network, "GetObject", self.endpoint, message).on(self.location());
        TransferErrorKind::Aws(Box::new(e.in_bucket(self.bucket)))
    }

    fn stalled(&self, after: std::time::Duration, done: u64, total: Option<u64>) -> TransferErrorKind {
        let of = total.map(|t| format!(" of {t}")).unwrap_or_default();
        let waited = crate::duration::Compact(after).to_string();
        let message = format!(
            "the body stopped coming after {done}{of} bytes: {}",
            timeout_message("read_timeout", &waited, self.endpoint)
        );
        let e = AwsError::new(AwsErrorKind::Timeout, "GetObject", self.endpoint, message).on(self.location());
        TransferErrorKind::Aws(Box::new(e.in_bucket(self.bucket)))
    }

    fn corrupt(&self, mismatch: Mismatch) -> TransferErrorKind {
        TransferErrorKind::Corrupt { endpoint: self.endpoint.to_string(), mismatch }
    }

    fn bad_answer(&self, message: String) -> TransferErrorKind {
        let e = AwsError::new(AwsErrorKind::Other, "GetObject", self.endpoint, message).on(self.location());
        TransferErrorKind::Aws(Box::new(e.in_bucket(self.bucket)))
    }
}

/// The next piece of a body.
enum Chunk {
    Data(bytes::Bytes),
    End,
    Failed(aws_sdk_s3::primitives::ByteStreamError),
    /// Nothing came for this long.
    Stalled(std::time::Duration),
}

async fn next_chunk(body: &mut ByteStream, timeout: Option<std::time::Duration>) -> Chunk {
    let next = match timeout {
        Some(timeout) => match tokio::time::timeout(timeout, body.next()).await {
            Ok(next) => next,
            Err(_) => return Chunk::Stalled(timeout),
        },
        None => body.next().await,
    };
    match next {
        None => Chunk::End,
        Some(Ok(data)) => Chunk::Data(data),
        Some(Err(e)) => Chunk::Failed(e),
    }
}

/// `bytes 100-199/1000` as (100, 1000).
fn parse_content_range(header: &str) -> Option<(u64, u64)> {
    let (range, total) = header.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (start, _) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()?))
}

#[derive(Debug, Clone)]
pub struct PrefixDownloadOptions {
    /// Files downloaded at once (at least 1).
    pub concurrency: usize,
    pub overwrite: bool,
    pub keep_partial_for_resume: bool,
    pub resume: bool,
    pub renewal: Option<Renewal>,
    pub ignore_md5: bool,
    pub progress: Reporter<BatchProgress>,
    /// Each file's own progress, for showing the files in flight.
    pub file_progress: Reporter<FileProgress>,
    pub cancel: Cancel,
}

impl Default for PrefixDownloadOptions {
    fn default() -> Self {
        PrefixDownloadOptions {
            concurrency: 4,
            overwrite: false,
            keep_partial_for_resume: false,
            resume: false,
            renewal: None,
            ignore_md5: false,
            progress: Reporter::none(),
            file_progress: Reporter::none(),
            cancel: Cancel::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrefixReport {
    /// One entry per object that names a file, in key order.
    pub files: Vec<FileResult<DownloadReport>>,
    /// Folder markers (keys ending in `/`): nothing to download.
    pub skipped: Vec<Skipped>,
}

impl PrefixReport {
    pub fn failures(&self) -> impl Iterator<Item = &FileResult<DownloadReport>> {
        self.files.iter().filter(|f| f.result.is_err())
    }
}

/// Downloads every object under `prefix` into `dest_dir`, keeping their paths below the
/// prefix's last `/` (see [`local_path_for`]). Lists everything first, so that the totals are
/// known from the start; one file failing does not stop the others. Fails as a whole only if
/// the listing does.
pub async fn download_prefix(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    prefix: &str,
    dest_dir: &Path,
    opts: &PrefixDownloadOptions,
) -> Result<PrefixReport, TransferError> {
    let objects = list_all(client, endpoint, bucket, prefix, opts)
        .await
        .map_err(|kind| TransferError::new(TransferOp::List, bucket, prefix, Some(dest_dir), kind))?;
    let objects = objects.into_iter().map(|o| (o.key, o.size)).collect();
    Ok(download_many(client, endpoint, bucket, objects, Strip::Prefix(folder_of(prefix)), dest_dir, opts).await)
}

/// Downloads the given objects (key and size, as listed) side by side into `dest_dir`, each
/// under the last part of its key: the marked objects of one listing.
pub async fn download_objects(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    objects: Vec<(String, u64)>,
    dest_dir: &Path,
    opts: &PrefixDownloadOptions,
) -> PrefixReport {
    download_many(client, endpoint, bucket, objects, Strip::OwnFolder, dest_dir, opts).await
}

/// What of a key is left out of its local path.
#[derive(Clone, Copy)]
enum Strip<'a> {
    /// The same folder for every key: its tree below is kept.
    Prefix(&'a str),
    /// Each key's own folder: the files land side by side.
    OwnFolder,
}

/// Downloads each object to `dest_dir` joined with its key less what `strip` says.
async fn download_many(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    objects: Vec<(String, u64)>,
    strip: Strip<'_>,
    dest_dir: &Path,
    opts: &PrefixDownloadOptions,
) -> PrefixReport {
    let mut report = PrefixReport::default();
    let mut jobs = Vec::new();
    for (key, size) in objects {
        if key.ends_with('/') {
            report.skipped.push(Skipped { key, path: None, reason: "a folder marker".into() });
            continue;
        }
        let strip = match strip {
            Strip::Prefix(prefix) => prefix,
            Strip::OwnFolder => folder_of(&key),
        };
        match local_path_for(&key, strip) {
            Ok(relative) => jobs.push((key, size, dest_dir.join(relative))),
            Err(reason) => report.files.push(unsafe_key(bucket, key, reason)),
        }
    }
    run_batch(client, endpoint, bucket, jobs, report, opts).await
}

fn unsafe_key(bucket: &str, key: String, reason: String) -> FileResult<DownloadReport> {
    let error = TransferError::new(TransferOp::Download, bucket, &key, None, TransferErrorKind::UnsafeKey(reason));
    FileResult { key, path: None, result: Err(error) }
}

/// Runs `jobs` (key, size, destination) `concurrency` at a time, adding their results to
/// `report` (which may hold failures already) in key order.
async fn run_batch(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    jobs: Vec<(String, u64, PathBuf)>,
    mut report: PrefixReport,
    opts: &PrefixDownloadOptions,
) -> PrefixReport {
    let tally = Arc::new(Tally::new(
        opts.progress.clone(),
        BatchProgress {
            files_total: jobs.len() + report.files.len(),
            files_done: report.files.len(),
            files_failed: report.files.len(),
            // Sizes come from the listing: a hostile one must not overflow the total.
            bytes_total: jobs.iter().fold(0u64, |total, (_, size, _)| total.saturating_add(*size)),
            bytes_done: 0,
        },
    ));
    tally.announce();
    let results: Vec<_> = futures::stream::iter(jobs)
        .map(|(key, size, path)| {
            let tally = tally.clone();
            async move {
                let name: Arc<str> = Arc::from(key.as_str());
                let file_opts = DownloadOptions {
                    overwrite: opts.overwrite,
                    keep_partial_for_resume: opts.keep_partial_for_resume,
                    resume: opts.resume,
                    version_id: None,
                    listed_size: Some(size),
                    renewal: opts.renewal.clone(),
                    ignore_md5: opts.ignore_md5,
                    progress: per_file(&tally, &opts.file_progress, name.clone()),
                    cancel: opts.cancel.clone(),
                };
                let result = download_object(client, endpoint, bucket, &key, &path, &file_opts).await;
                finished(&opts.file_progress, name);
                tally.file_done(result.is_ok());
                FileResult { key, path: Some(path), result }
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    report.files.extend(results);
    report.files.sort_by(|a, b| a.key.cmp(&b.key));
    report
}

/// Every object under `prefix`, page by page; a page refused for expired credentials is
/// asked for again with renewed ones.
async fn list_all(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    prefix: &str,
    opts: &PrefixDownloadOptions,
) -> Result<Vec<Object>, TransferErrorKind> {
    let mut objects = Vec::new();
    let mut seen = HashSet::new();
    let mut tokens = TokenGuard::new();
    let mut token = None;
    loop {
        let page = renew::renewing(opts.renewal.as_ref(), client, |client| {
            let token = token.clone();
            async move {
                match opts.cancel.guard(list_page(&client, endpoint, bucket, prefix, None, token)).await {
                    None => Err(TransferErrorKind::Cancelled),
                    Some(page) => page.map_err(|e| TransferErrorKind::Aws(Box::new(e))),
                }
            }
        })
        .await?;
        let next = follow(&mut tokens, page.next, endpoint, bucket, prefix)
            .map_err(|e| TransferErrorKind::Aws(Box::new(e)))?;
        for object in page.objects {
            // A page boundary repeated by a flaky endpoint must not download a key twice.
            if seen.insert(object.key.clone()) {
                objects.push(object);
            }
        }
        match next {
            Some(next) => token = Some(next),
            None => return Ok(objects),
        }
    }
}

/// A file's progress reporter feeding the batch tally (by the change since its last update,
/// so a file that restarts from zero takes its bytes back out) and the per-file reporter.
pub(crate) fn per_file(tally: &Arc<Tally>, files: &Reporter<FileProgress>, key: Arc<str>) -> Reporter<Progress> {
    let tally = tally.clone();
    let files = files.clone();
    let last = AtomicU64::new(0);
    Reporter::new(move |progress: Progress| {
        let before = last.swap(progress.bytes_done, Ordering::Relaxed);
        tally.bytes(before, progress.bytes_done);
        if !files.is_none() {
            files.report(FileProgress { key: key.clone(), progress, finished: false });
        }
    })
}

/// Tells the per-file reporter that a file of the batch is over, whichever way it ended.
pub(crate) fn finished(files: &Reporter<FileProgress>, key: Arc<str>) {
    files.report(FileProgress { key, progress: Progress::default(), finished: true });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_sit_hidden_beside_the_destination() {
        assert_eq!(partial_path(Path::new("/d/x.bin")), Some(PathBuf::from("/d/.x.bin.s3lease-partial")));
        assert_eq!(partial_etag_path(Path::new("x")), Some(PathBuf::from(".x.s3lease-partial.etag")));
        assert_eq!(partial_path(Path::new("/")), None);
        assert_eq!(partial_path(Path::new("a/..")), None);
    }

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("bytes 100-199/1000"), Some((100, 1000)));
        assert_eq!(parse_content_range("bytes 0-0/1"), Some((0, 1)));
        assert_eq!(parse_content_range("bytes */1000"), None);
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}
