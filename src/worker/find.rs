//! A bucket-wide find: walks every key under a prefix, folders side by side, and streams the
//! keys that match back in batches. Batches go at most every 100 ms (and once at the end), so
//! a fast listing does not make the app redraw a thousand times a second.
//!
//! The task is aborted on `Cancel`; dropping the walk's receiver then stops every range it
//! was listing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, mpsc};

use super::protocol::{Failure, FoundBatch, RequestId, Response};
use crate::credentials::SessionManager;
use crate::error::{Error, Result};
use crate::s3::find::{Needle, below};
use crate::s3::region::Regions;
use crate::s3::walk::{Target, WalkOptions, walk};

const BATCH_EVERY: Duration = Duration::from_millis(100);

pub(super) struct Job {
    pub id: RequestId,
    pub identity: String,
    pub bucket: String,
    pub prefix: String,
    pub needle: String,
    pub limit: usize,
}

/// Runs the find to its end; its `FindDone` goes out after the last batch.
pub(super) async fn run(
    sessions: Arc<Mutex<SessionManager>>,
    regions: Regions,
    job: Job,
    responses: mpsc::UnboundedSender<Response>,
) -> RequestId {
    let id = job.id;
    let result = search(&sessions, &regions, &job, &responses).await;
    super::report_changes(&sessions, &responses).await;
    let _ = responses.send(Response::FindDone { id, result: result.map_err(|e| Failure::from(&e)) });
    id
}

async fn search(
    sessions: &Mutex<SessionManager>,
    regions: &Regions,
    job: &Job,
    responses: &mpsc::UnboundedSender<Response>,
) -> Result<()> {
    let session = super::session(sessions, &job.identity, None, false).await?;
    let concurrency = sessions.lock().await.catalog().settings.list_concurrency;
    let target = Target {
        client: regions.client_for(&session, &job.bucket).await,
        endpoint: session.info.endpoint.clone(),
        bucket: job.bucket.clone(),
    };
    let mut pages = walk(target, job.prefix.clone(), WalkOptions { concurrency, ..WalkOptions::default() });
    let needle = Needle::new(&job.needle);
    let mut batch = FoundBatch::default();
    let mut kept = 0;
    let mut last_sent = Instant::now();
    while let Some(page) = pages.recv().await {
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                // What was found before the failure stays with the app.
                send(job.id, &mut batch, responses);
                return Err(Error::from(e.as_identity(&job.identity).by(session.info.arn.as_deref())));
            }
        };
        batch.scanned += page.len() as u64;
        for object in page {
            if needle.found_in(below(&object.key, &job.prefix)) {
                batch.matched += 1;
                if kept < job.limit {
                    kept += 1;
                    batch.matches.push(object);
                }
            }
        }
        if last_sent.elapsed() >= BATCH_EVERY {
            send(job.id, &mut batch, responses);
            last_sent = Instant::now();
        }
    }
    send(job.id, &mut batch, responses);
    Ok(())
}

fn send(id: RequestId, batch: &mut FoundBatch, responses: &mpsc::UnboundedSender<Response>) {
    if batch.scanned > 0 {
        let _ = responses.send(Response::Found { id, batch: std::mem::take(batch) });
    }
}
