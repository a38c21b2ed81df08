//! Downloads run by the worker: the engine in `crate::transfer`, with progress sent back as
//! `TransferProgress` at most every 100 ms (and at the end), and a cancel flag the worker
//! flips on `Cancel` so the engine cleans up its partial files instead of being cut off.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::protocol::{DownloadWhat, Failure, RequestId, Response, TransferSummary};
use crate::error::Error;
use crate::s3::region::Regions;
use crate::transfer::{
    self, BatchProgress, Cancel, DownloadOptions, PrefixDownloadOptions, Progress, Reporter, TransferError,
};

const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// A reporter that forwards progress to the app, dropping updates closer than 100 ms apart
/// except the last one (when everything is done).
pub(super) fn throttled(id: RequestId, responses: mpsc::UnboundedSender<Response>) -> Reporter<BatchProgress> {
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

fn failure(e: &TransferError) -> Failure {
    Failure { kind: super::FailureKind::Other, message: e.to_string() }
}

pub(super) struct Job {
    pub id: RequestId,
    pub identity: String,
    pub bucket: String,
    pub what: DownloadWhat,
    pub dest_dir: PathBuf,
    pub overwrite: bool,
    pub cancel: Cancel,
}

pub(super) async fn run(
    sessions: Arc<tokio::sync::Mutex<crate::credentials::SessionManager>>,
    regions: Regions,
    job: Job,
    responses: mpsc::UnboundedSender<Response>,
) -> Response {
    let id = job.id;
    let session = match super::session(&sessions, &job.identity, None, false).await {
        Ok(s) => s,
        Err(e) => return Response::TransferDone { id, result: Err(Failure::from(&e)) },
    };
    let client = regions.client_for(&session, &job.bucket).await;
    let endpoint = session.info.endpoint.clone();
    let progress = throttled(id, responses);
    let result = match &job.what {
        DownloadWhat::Object { key } => {
            let name = match transfer::local_path_for(key, transfer::folder_of(key)) {
                Ok(name) => name,
                Err(why) => {
                    let message = format!("`{}` has no safe local file name: {why}", crate::escape::untrusted(key));
                    return Response::TransferDone { id, result: Err(Failure::from(&Error::Usage(message))) };
                }
            };
            let single = progress.clone();
            let opts = DownloadOptions {
                overwrite: job.overwrite,
                progress: Reporter::new(move |p: Progress| {
                    let done = p.bytes_done >= p.bytes_total;
                    single.report(BatchProgress {
                        files_total: 1,
                        files_done: usize::from(done),
                        files_failed: 0,
                        bytes_total: p.bytes_total,
                        bytes_done: p.bytes_done,
                    });
                }),
                cancel: job.cancel.clone(),
                ..DownloadOptions::default()
            };
            transfer::download_object(&client, &endpoint, &job.bucket, key, &job.dest_dir.join(name), &opts)
                .await
                .map(|report| TransferSummary { files: 1, bytes: report.bytes, problems: Vec::new() })
                .map_err(|e| failure(&e))
        }
        DownloadWhat::Prefix { prefix } => {
            // `shared/` goes to DEST/shared/..., as a file manager copies a folder, rather
            // than spilling its contents loose into DEST.
            let folder = prefix.trim_end_matches('/');
            let dest_dir = match transfer::local_path_for(folder, transfer::folder_of(folder)) {
                Ok(name) => job.dest_dir.join(name),
                Err(_) => job.dest_dir.clone(),
            };
            let opts = PrefixDownloadOptions {
                overwrite: job.overwrite,
                progress,
                cancel: job.cancel.clone(),
                ..PrefixDownloadOptions::default()
            };
            transfer::download_prefix(&client, &endpoint, &job.bucket, prefix, &dest_dir, &opts)
                .await
                .map(|report| {
                    let ok: Vec<_> = report.files.iter().filter_map(|f| f.result.as_ref().ok()).collect();
                    let mut problems: Vec<String> = report
                        .failures()
                        .map(|f| match &f.result {
                            Err(e) => e.to_string(),
                            Ok(_) => String::new(),
                        })
                        .collect();
                    problems.extend(report.skipped.iter().map(|s| format!("{}: {}", s.key, s.reason)));
                    TransferSummary { files: ok.len(), bytes: ok.iter().map(|r| r.bytes).sum(), problems }
                })
                .map_err(|e| failure(&e))
        }
    };
    Response::TransferDone { id, result }
}
