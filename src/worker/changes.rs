//! Writes to S3 run by the worker: uploads through the transfer engine (progress reported like
//! downloads) and deletes in batches with a per-key account of what failed.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::protocol::{DeleteSummary, DeleteWhat, Failure, FailureKind, RequestId, Response, TransferSummary};
use crate::credentials::SessionManager;
use crate::error::Error;
use crate::s3::list;
use crate::s3::region::Regions;
use crate::transfer::{self, BatchProgress, Cancel, DirUploadOptions, Progress, Reporter, UploadOptions};

pub(super) struct UploadJob {
    pub id: RequestId,
    pub identity: String,
    pub bucket: String,
    pub prefix: String,
    pub source: std::path::PathBuf,
    pub cancel: Cancel,
}

pub(super) async fn upload(
    sessions: Arc<tokio::sync::Mutex<SessionManager>>,
    regions: Regions,
    job: UploadJob,
    responses: mpsc::UnboundedSender<Response>,
) -> Response {
    let id = job.id;
    let session = match super::session(&sessions, &job.identity, None, false).await {
        Ok(s) => s,
        Err(e) => return Response::TransferDone { id, result: Err(Failure::from(&e)) },
    };
    let client = regions.client_for(&session, &job.bucket).await;
    let endpoint = session.info.endpoint.clone();
    let progress = super::download::throttled(id, responses);
    let fail = |e: transfer::TransferError| Failure { kind: FailureKind::Other, message: e.to_string() };
    let result = if job.source.is_dir() {
        let opts = DirUploadOptions { progress, cancel: job.cancel.clone(), ..DirUploadOptions::default() };
        transfer::upload_dir(&client, &endpoint, &job.bucket, &job.prefix, &job.source, &opts)
            .await
            .map(|report| {
                let ok: Vec<_> = report.files.iter().filter_map(|f| f.result.as_ref().ok()).collect();
                let mut problems: Vec<String> =
                    report.failures().filter_map(|f| f.result.as_ref().err().map(|e| e.to_string())).collect();
                problems.extend(report.skipped.iter().map(|s| format!("{}: {}", s.key, s.reason)));
                TransferSummary { files: ok.len(), bytes: ok.iter().map(|r| r.bytes).sum(), problems }
            })
            .map_err(fail)
    } else {
        let name = job.source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let key = format!("{}{name}", job.prefix);
        let single = progress.clone();
        let opts = UploadOptions {
            progress: Reporter::new(move |p: Progress| {
                single.report(BatchProgress {
                    files_total: 1,
                    files_done: usize::from(p.bytes_done >= p.bytes_total),
                    files_failed: 0,
                    bytes_total: p.bytes_total,
                    bytes_done: p.bytes_done,
                });
            }),
            cancel: job.cancel.clone(),
            ..UploadOptions::default()
        };
        transfer::upload_file(&client, &endpoint, &job.bucket, &key, &job.source, &opts)
            .await
            .map(|report| TransferSummary { files: 1, bytes: report.bytes, problems: Vec::new() })
            .map_err(fail)
    };
    Response::TransferDone { id, result }
}

pub(super) async fn delete(
    sessions: Arc<tokio::sync::Mutex<SessionManager>>,
    regions: Regions,
    id: RequestId,
    identity: String,
    bucket: String,
    what: DeleteWhat,
) -> Response {
    let result = async {
        let session = super::session(&sessions, &identity, None, false).await?;
        let client = regions.client_for(&session, &bucket).await;
        let endpoint = session.info.endpoint.clone();
        let keys = match what {
            DeleteWhat::Keys(keys) => keys,
            DeleteWhat::Prefix(prefix) => {
                let mut keys = Vec::new();
                let mut token = None;
                loop {
                    let page = list::list_page(&client, &endpoint, &bucket, &prefix, None, token.take())
                        .await
                        .map_err(|e| Error::from(e.as_identity(&identity).by(session.info.arn.as_deref())))?;
                    keys.extend(page.objects.into_iter().map(|o| o.key));
                    match page.next {
                        Some(next) => token = Some(next),
                        None => break,
                    }
                }
                keys
            }
        };
        let report = transfer::delete_objects(&client, &endpoint, &bucket, &keys).await;
        Ok::<_, Error>(DeleteSummary {
            deleted: report.deleted.len(),
            failed: report
                .failed
                .iter()
                .map(|f| format!("{}: {}: {}", f.key, f.code.as_deref().unwrap_or("not confirmed"), f.message))
                .collect(),
        })
    }
    .await;
    Response::Deleted { id, result: result.map_err(|e| Failure::from(&e)) }
}
