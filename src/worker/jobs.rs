//! What the worker's transfer jobs (downloads, uploads) share: the session's client for the
//! bucket and its renewal when the session expires mid-transfer, progress sent back at a
//! bounded rate with the files in flight, one file's progress as a batch of one, and the
//! summary of a batch for the panel.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::protocol::{Failure, FailureKind, RequestId, Response, TransferSummary};
use crate::credentials::SessionManager;
use crate::s3::region::Regions;
use crate::transfer::{BatchProgress, FileProgress, FileResult, Progress, Renewal, Reporter, Skipped, TransferError};

const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// What a transfer job needs from the worker: the client for its bucket, the means to renew
/// it, and where its progress goes.
pub(super) struct Prepared {
    pub client: aws_sdk_s3::Client,
    pub endpoint: String,
    pub renewal: Renewal,
    pub progress: Reporter<BatchProgress>,
    /// Each file of a batch; the panel shows the ones in flight.
    pub file_progress: Reporter<FileProgress>,
    pub concurrency: usize,
    /// `verify_md5 = false` in the settings.
    pub ignore_md5: bool,
}

/// Reporters that forward progress to the app: the batch totals with the files in flight,
/// dropping updates closer than 100 ms apart except the last one (when everything is done).
fn throttled(
    id: RequestId,
    responses: mpsc::UnboundedSender<Response>,
) -> (Reporter<BatchProgress>, Reporter<FileProgress>) {
    let in_flight: Arc<Mutex<BTreeMap<Arc<str>, FileProgress>>> = Arc::default();
    let files = in_flight.clone();
    let file_progress = Reporter::new(move |file: FileProgress| {
        let mut files = files.lock().unwrap_or_else(|p| p.into_inner());
        if file.finished {
            files.remove(&file.key);
        } else {
            files.insert(file.key.clone(), file);
        }
    });
    let last = Mutex::new(None::<Instant>);
    let progress = Reporter::new(move |progress: BatchProgress| {
        let finished = progress.files_done == progress.files_total && progress.bytes_done >= progress.bytes_total;
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        if finished || last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
            *last = Some(Instant::now());
            let files = in_flight.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
            let _ = responses.send(Response::TransferProgress { id, progress, files });
        }
    });
    (progress, file_progress)
}

/// Everything job `id` needs to move files for `identity` in `bucket`; or the `TransferDone`
/// that ends the job when the session cannot be had.
pub(super) async fn prepare(
    sessions: &Arc<tokio::sync::Mutex<SessionManager>>,
    regions: &Regions,
    id: RequestId,
    identity: &str,
    bucket: &str,
    responses: mpsc::UnboundedSender<Response>,
) -> Result<Prepared, Response> {
    let session = super::session(sessions, identity, None, false)
        .await
        .map_err(|e| Response::TransferDone { id, result: Err(Failure::from(&e)) })?;
    let client = regions.client_for(&session, bucket).await;
    let (concurrency, ignore_md5) = {
        let sessions = sessions.lock().await;
        let settings = &sessions.catalog().settings;
        (settings.transfer_concurrency, !settings.verify_md5)
    };
    let (progress, file_progress) = throttled(id, responses);
    Ok(Prepared {
        client,
        endpoint: session.info.endpoint.clone(),
        renewal: renewal(sessions.clone(), regions.clone(), identity.to_string(), bucket.to_string()),
        progress,
        file_progress,
        concurrency,
        ignore_md5,
    })
}

/// Renews by refreshing the identity's session, as a person pressing `R` would. A session
/// that needs an MFA code cannot be refreshed from inside a transfer: the transfer then fails
/// saying so (its partial file removed), and the session pane asks for the code.
fn renewal(
    sessions: Arc<tokio::sync::Mutex<SessionManager>>,
    regions: Regions,
    identity: String,
    bucket: String,
) -> Renewal {
    Renewal::new(move || {
        let (sessions, regions, identity, bucket) =
            (sessions.clone(), regions.clone(), identity.clone(), bucket.clone());
        Box::pin(async move {
            let session = super::session(&sessions, &identity, None, true).await.map_err(|e| e.to_string())?;
            Ok(regions.client_for(&session, &bucket).await)
        })
    })
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
    let bytes = done.iter().fold(0u64, |total, r| total.saturating_add(bytes(r)));
    TransferSummary { files: done.len(), bytes, problems }
}

pub(super) fn failure(e: &TransferError) -> Failure {
    Failure { kind: FailureKind::Other, message: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(key: &str, done: u64, finished: bool) -> FileProgress {
        FileProgress { key: key.into(), progress: Progress { bytes_done: done, bytes_total: 10 }, finished }
    }

    fn batch(files_done: usize, bytes_done: u64) -> BatchProgress {
        BatchProgress { files_total: 2, files_done, files_failed: 0, bytes_total: 20, bytes_done }
    }

    #[test]
    fn progress_carries_the_files_in_flight_and_drops_finished_ones() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (progress, files) = throttled(RequestId(7), tx);
        files.report(file("b", 4, false));
        files.report(file("a", 2, false));
        progress.report(batch(0, 6));
        let Ok(Response::TransferProgress { id, files: in_flight, .. }) = rx.try_recv() else { panic!("sent") };
        assert_eq!(id, RequestId(7));
        assert_eq!(in_flight, [file("a", 2, false), file("b", 4, false)], "by key");

        // Within 100 ms of the last: dropped, unless everything is done.
        progress.report(batch(0, 7));
        assert!(rx.try_recv().is_err(), "throttled");
        files.report(file("a", 10, false));
        files.report(file("a", 0, true));
        files.report(file("b", 10, false));
        files.report(file("b", 0, true));
        progress.report(batch(2, 20));
        let Ok(Response::TransferProgress { files: in_flight, progress, .. }) = rx.try_recv() else { panic!("sent") };
        assert!(in_flight.is_empty(), "{in_flight:?}");
        assert_eq!(progress, batch(2, 20), "the last update always goes");
    }
}
