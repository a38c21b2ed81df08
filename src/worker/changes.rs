//! Writes to S3 run by the worker: uploads through the transfer engine (progress reported like
//! downloads) and deletes in batches with a per-key account of what failed.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::jobs;
use super::protocol::{DeleteSummary, DeleteWhat, Failure, RequestId, Response, TransferSummary};
use crate::aws_error::AwsError;
use crate::credentials::SessionManager;
use crate::error::Error;
use crate::s3::list;
use crate::s3::region::Regions;
use crate::s3::token_guard::TokenGuard;
use crate::transfer::{self, Cancel, DirUploadOptions, UploadOptions};

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
    let prepared = match jobs::prepare(&sessions, &regions, id, &job.identity, &job.bucket, responses).await {
        Ok(prepared) => prepared,
        Err(done) => return done,
    };
    let jobs::Prepared { client, endpoint, renewal, progress, file_progress, concurrency, .. } = prepared;
    let result = if job.source.is_dir() {
        let opts = DirUploadOptions {
            concurrency,
            renewal: Some(renewal),
            progress,
            file_progress,
            cancel: job.cancel.clone(),
            ..DirUploadOptions::default()
        };
        transfer::upload_dir(&client, &endpoint, &job.bucket, &job.prefix, &job.source, &opts)
            .await
            .map(|report| jobs::summarize(&report.files, |r| r.bytes, &report.skipped))
            .map_err(|e| jobs::failure(&e))
    } else {
        let name = job.source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let key = format!("{}{name}", job.prefix);
        let opts = UploadOptions {
            renewal: Some(renewal),
            progress: jobs::one_file(progress),
            cancel: job.cancel.clone(),
            ..UploadOptions::default()
        };
        transfer::upload_file(&client, &endpoint, &job.bucket, &key, &job.source, &opts)
            .await
            .map(|report| TransferSummary { files: 1, bytes: report.bytes, problems: Vec::new() })
            .map_err(|e| jobs::failure(&e))
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
                let mut tokens = TokenGuard::new();
                let failed = |e: AwsError| Error::from(e.as_identity(&identity).by(session.info.arn.as_deref()));
                loop {
                    let page = list::list_page(&client, &endpoint, &bucket, &prefix, None, token.take())
                        .await
                        .map_err(failed)?;
                    let next = list::follow(&mut tokens, page.next, &endpoint, &bucket, &prefix).map_err(failed)?;
                    keys.extend(page.objects.into_iter().map(|o| o.key));
                    match next {
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
