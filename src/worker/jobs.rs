//! What the worker's transfer jobs (downloads, uploads) share: the session's client for the
//! bucket, progress sent back at a bounded rate, one file's progress as a batch of one, and
//! the summary of a batch for the panel.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::protocol::{Failure, FailureKind, RequestId, Response, TransferSummary};
use crate::credentials::SessionManager;
use crate::s3::region::Regions;
use crate::transfer::{BatchProgress, FileResult, Progress, Reporter, Skipped, TransferError};

const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// A reporter that forwards progress to the app, dropping updates closer than 100 ms apart
/// except the last one (when everything is done).
fn throttled(id: RequestId, responses: mpsc::UnboundedSender<Response>) -> Reporter<BatchProgress> {
    let last = Mutex::new(None::<Instant>);
    Reporter::new(move |progress: BatchProgress| {
        let finished = progress.files_done == progress.files_total && progress.bytes_done >= progress.bytes_total;
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        if finished || last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
            *last = Some(Instant::now());
            let _ = responses.send(Response::TransferProgress { id, progress });
        }
    })
}

/// The client for `bucket` as `identity`, its endpoint, and a progress reporter for job `id`;
/// or the `TransferDone` that ends the job when the session cannot be had.
pub(super) async fn prepare(
    sessions: &tokio::sync::Mutex<SessionManager>,
    regions: &Regions,
    id: RequestId,
    identity: &str,
    bucket: &str,
    responses: mpsc::UnboundedSender<Response>,
) -> Result<(aws_sdk_s3::Client, String, Reporter<BatchProgress>), Response> {
    let session = super::session(sessions, identity, None, false)
        .await
        .map_err(|e| Response::TransferDone { id, result: Err(Failure::from(&e)) })?;
    let client = regions.client_for(&session, bucket).await;
    Ok((client, session.info.endpoint.clone(), throttled(id, responses)))
}

/// One file's progress, reported to the panel as a batch of one.
pub(super) fn one_file(batch: Reporter<BatchProgress>) -> Reporter<Progress> {
    Reporter::new(move |p: Progress| {
        batch.report(BatchProgress {
            files_total: 1,
            files_done: usize::from(p.bytes_done >= p.bytes_total),
            files_failed: 0,
            bytes_total: p.bytes_total,
            bytes_done: p.bytes_done,
        });
    })
}

/// A batch's files and bytes done, and one line per file that failed or was passed over.
pub(super) fn summarize<T>(files: &[FileResult<T>], bytes: impl Fn(&T) -> u64, skipped: &[Skipped]) -> TransferSummary {
    let done: Vec<&T> = files.iter().filter_map(|f| f.result.as_ref().ok()).collect();
    let mut problems: Vec<String> =
        files.iter().filter_map(|f| f.result.as_ref().err().map(|e| e.to_string())).collect();
    problems.extend(skipped.iter().map(|s| format!("{}: {}", s.key, s.reason)));
    TransferSummary { files: done.len(), bytes: done.iter().map(|r| bytes(r)).sum(), problems }
}

pub(super) fn failure(e: &TransferError) -> Failure {
    Failure { kind: FailureKind::Other, message: e.to_string() }
}
