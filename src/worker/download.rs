//! Downloads run by the worker: the engine in `crate::transfer`, with progress sent back as
//! `TransferProgress` at most every 100 ms (and at the end), and a cancel flag the worker
//! flips on `Cancel` so the engine cleans up its partial files instead of being cut off.
//! Credentials that expire mid-download are renewed and the download goes on from where it
//! stopped (see [`crate::transfer::renew`]).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::jobs;
use super::protocol::{DownloadWhat, Failure, RequestId, Response, TransferSummary};
use crate::error::Error;
use crate::s3::region::Regions;
use crate::transfer::{self, Cancel, DownloadOptions, PrefixDownloadOptions};

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
    let prepared = match jobs::prepare(&sessions, &regions, id, &job.identity, &job.bucket, responses).await {
        Ok(prepared) => prepared,
        Err(done) => return done,
    };
    let jobs::Prepared { client, endpoint, renewal, progress, file_progress, concurrency, ignore_md5 } = prepared;
    let batch = PrefixDownloadOptions {
        concurrency,
        overwrite: job.overwrite,
        renewal: Some(renewal.clone()),
        ignore_md5,
        progress: progress.clone(),
        file_progress,
        cancel: job.cancel.clone(),
        ..PrefixDownloadOptions::default()
    };
    let result = match &job.what {
        DownloadWhat::Object { key, version_id } => {
            let name = match transfer::local_path_for(key, transfer::folder_of(key)) {
                Ok(name) => name,
                Err(why) => {
                    let message = format!("`{}` has no safe local file name: {why}", crate::escape::untrusted(key));
                    return Response::TransferDone { id, result: Err(Failure::from(&Error::Usage(message))) };
                }
            };
            let opts = DownloadOptions {
                overwrite: job.overwrite,
                version_id: version_id.clone(),
                renewal: Some(renewal),
                ignore_md5,
                progress: jobs::one_file(progress),
                cancel: job.cancel.clone(),
                ..DownloadOptions::default()
            };
            transfer::download_object(&client, &endpoint, &job.bucket, key, &job.dest_dir.join(name), &opts)
                .await
                .map(|report| TransferSummary { files: 1, bytes: report.bytes, problems: Vec::new() })
                .map_err(|e| jobs::failure(&e))
        }
        DownloadWhat::Objects { objects } => {
            let report =
                transfer::download_objects(&client, &endpoint, &job.bucket, objects.clone(), &job.dest_dir, &batch)
                    .await;
            Ok(jobs::summarize(&report.files, |r| r.bytes, &report.skipped))
        }
        DownloadWhat::Prefix { prefix } => {
            // `shared/` goes to DEST/shared/..., as a file manager copies a folder, rather
            // than spilling its contents loose into DEST.
            let folder = prefix.trim_end_matches('/');
            let dest_dir = match transfer::local_path_for(folder, transfer::folder_of(folder)) {
                Ok(name) => job.dest_dir.join(name),
                Err(_) => job.dest_dir.clone(),
            };
            transfer::download_prefix(&client, &endpoint, &job.bucket, prefix, &dest_dir, &batch)
                .await
                .map(|report| jobs::summarize(&report.files, |r| r.bytes, &report.skipped))
                .map_err(|e| jobs::failure(&e))
        }
    };
    Response::TransferDone { id, result }
}
