//! The worker task: owns the session manager (and with it every client and secret) and
//! answers requests over channels. Each request runs as its own task so a slow listing never
//! holds up another; `Cancel` aborts one, and dropping the request channel stops them all.

mod changes;
mod download;
mod find;
mod in_flight;
mod jobs;
mod protocol;

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc};

use self::in_flight::InFlight;
pub use self::protocol::{
    DeleteSummary, DeleteWhat, DownloadWhat, Failure, FailureKind, FoundBatch, Presigned, Request, RequestId, Response,
    TransferSummary,
};
use crate::credentials::mfa::GivenCode;
use crate::credentials::{Session, SessionManager};
use crate::error::{Error, Result};
use crate::s3::region::Regions;
use crate::s3::{list, object};

/// The TUI answers `NeedsMfa` with its modal; this tells a reader of the error where that is.
const MFA_HINT: &str = "enter the code in the MFA prompt";

/// The request and response ends of a running worker.
pub struct WorkerHandle {
    pub requests: mpsc::UnboundedSender<Request>,
    pub responses: mpsc::UnboundedReceiver<Response>,
    pub task: tokio::task::JoinHandle<()>,
}

pub fn spawn(manager: SessionManager) -> WorkerHandle {
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (res_tx, res_rx) = mpsc::unbounded_channel();
    let regions = Regions::new(manager.aws().clone());
    let task = tokio::spawn(run(Arc::new(Mutex::new(manager)), regions, req_rx, res_tx));
    WorkerHandle { requests: req_tx, responses: res_rx, task }
}

async fn run(
    sessions: Arc<Mutex<SessionManager>>,
    regions: Regions,
    mut requests: mpsc::UnboundedReceiver<Request>,
    responses: mpsc::UnboundedSender<Response>,
) {
    let mut in_flight = InFlight::default();
    loop {
        tokio::select! {
            request = requests.recv() => {
                let Some(request) = request else { break };
                tracing::debug!(?request, "worker request");
                if let Request::Cancel { id } = request {
                    in_flight.cancel(id);
                    continue;
                }
                if let Request::Upload { id, identity, bucket, prefix, source } = request {
                    let cancel = crate::transfer::Cancel::new();
                    let job = changes::UploadJob { id, identity, bucket, prefix, source, cancel: cancel.clone() };
                    let work = changes::upload(sessions.clone(), regions.clone(), job, responses.clone());
                    in_flight.spawn_transfer(id, cancel, work, responses.clone());
                    continue;
                }
                if let Request::Download { id, identity, bucket, what, dest_dir, overwrite } = request {
                    let cancel = crate::transfer::Cancel::new();
                    let job = download::Job { id, identity, bucket, what, dest_dir, overwrite, cancel: cancel.clone() };
                    let work = download::run(sessions.clone(), regions.clone(), job, responses.clone());
                    in_flight.spawn_transfer(id, cancel, work, responses.clone());
                    continue;
                }
                if let Request::Find { id, identity, bucket, prefix, needle, limit } = request {
                    let job = find::Job { id, identity, bucket, prefix, needle, limit };
                    in_flight.spawn(id, find::run(sessions.clone(), regions.clone(), job, responses.clone()));
                    continue;
                }
                // Added here, in order, so requests that use the new identity find it.
                if let Request::AddIdentity { id, identity, save } = request {
                    let result = sessions.lock().await.add_identity(*identity, save);
                    let _ = responses.send(Response::IdentityAdded { id, result: result.map_err(|e| Failure::from(&e)) });
                    continue;
                }
                let id = request.id();
                in_flight.spawn(id, serve(sessions.clone(), regions.clone(), request, responses.clone()));
            }
            Some(()) = in_flight.join_next() => {}
        }
    }
    in_flight.shutdown().await;
}

/// A running session for `identity`, started if needed (which may ask for MFA via `NeedsMfa`).
async fn session(
    sessions: &Mutex<SessionManager>,
    identity: &str,
    code: Option<zeroize::Zeroizing<String>>,
    refresh: bool,
) -> Result<Arc<Session>> {
    let mut manager = sessions.lock().await;
    let mut mfa = GivenCode::secret(code, MFA_HINT);
    if refresh { manager.refresh(identity, &mut mfa).await } else { manager.start(identity, &mut mfa).await }
}

/// Tells the app about sessions started or refreshed while serving a request.
async fn report_changes(sessions: &Mutex<SessionManager>, responses: &mpsc::UnboundedSender<Response>) {
    for info in sessions.lock().await.take_changes() {
        let _ = responses.send(Response::SessionUpdate { info });
    }
}

/// Runs `call` with the identity's session. If S3 says the token expired anyway (clock skew,
/// revocation), the session is refreshed and the call made once more; a refresh that needs
/// an MFA code comes back as `NeedsMfa`, so the app can ask and resume.
async fn with_retry<T, F, Fut>(sessions: &Mutex<SessionManager>, identity: &str, call: F) -> Result<T>
where
    F: Fn(Arc<Session>) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let first = call(session(sessions, identity, None, false).await?).await;
    match first {
        Err(Error::Aws(e)) if e.kind == crate::aws_error::AwsErrorKind::ExpiredToken => {
            tracing::info!(identity, "S3 answered ExpiredToken; refreshing and retrying once");
            call(session(sessions, identity, None, true).await?).await
        }
        other => other,
    }
}

async fn serve(
    sessions: Arc<Mutex<SessionManager>>,
    regions: Regions,
    request: Request,
    responses: mpsc::UnboundedSender<Response>,
) -> RequestId {
    let id = request.id();
    let response = match request {
        Request::StartSession { identity, mfa_code, .. } => {
            let result = session(&sessions, &identity, mfa_code, false).await;
            Response::Session { id, result: result.map(|s| s.info.clone()).map_err(|e| Failure::from(&e)) }
        }
        Request::RefreshSession { identity, mfa_code, .. } => {
            let result = session(&sessions, &identity, mfa_code, true).await;
            Response::Session { id, result: result.map(|s| s.info.clone()).map_err(|e| Failure::from(&e)) }
        }
        Request::ListBuckets { identity, .. } => {
            let result = with_retry(&sessions, &identity, |s| {
                let regions = regions.clone();
                let identity = identity.clone();
                async move {
                    let mut buckets = list::list_buckets(&s.s3, &s.info.endpoint)
                        .await
                        .map_err(|e| Error::from(e.as_identity(&identity).by(s.info.arn.as_deref())))?;
                    regions.fill(&s, &mut buckets).await;
                    Ok(buckets)
                }
            })
            .await;
            Response::Buckets { id, result: result.map_err(|e| Failure::from(&e)) }
        }
        Request::ListObjects { identity, bucket, prefix, continuation, .. } => {
            let result = with_retry(&sessions, &identity, |s| {
                let (regions, identity, bucket, prefix, continuation) =
                    (regions.clone(), identity.clone(), bucket.clone(), prefix.clone(), continuation.clone());
                async move {
                    let client = regions.client_for(&s, &bucket).await;
                    list::list_page(&client, &s.info.endpoint, &bucket, &prefix, Some("/"), continuation)
                        .await
                        .map_err(|e| Error::from(e.as_identity(&identity).by(s.info.arn.as_deref())))
                }
            })
            .await;
            Response::Objects { id, result: result.map_err(|e| Failure::from(&e)) }
        }
        Request::ObjectDetails { identity, bucket, key, version_id, .. } => {
            let result = with_retry(&sessions, &identity, |s| {
                let (regions, identity, bucket, key) = (regions.clone(), identity.clone(), bucket.clone(), key.clone());
                let version_id = version_id.clone();
                async move {
                    let client = regions.client_for(&s, &bucket).await;
                    let object = object::Version { bucket: &bucket, key: &key, version_id: version_id.as_deref() };
                    object::details(&client, &s.info.endpoint, object)
                        .await
                        .map_err(|e| Error::from(e.as_identity(&identity).by(s.info.arn.as_deref())))
                }
            })
            .await;
            Response::Details { id, result: result.map(Box::new).map_err(|e| Failure::from(&e)) }
        }
        Request::ReadRange { identity, bucket, key, version_id, start, len, .. } => {
            let result = with_retry(&sessions, &identity, |s| {
                let (regions, identity, bucket, key) = (regions.clone(), identity.clone(), bucket.clone(), key.clone());
                let version_id = version_id.clone();
                async move {
                    let client = regions.client_for(&s, &bucket).await;
                    let object = object::Version { bucket: &bucket, key: &key, version_id: version_id.as_deref() };
                    object::range(&client, &s.info.endpoint, object, start, len)
                        .await
                        .map_err(|e| Error::from(e.as_identity(&identity).by(s.info.arn.as_deref())))
                }
            })
            .await;
            Response::Range { id, result: result.map_err(|e| Failure::from(&e)) }
        }
        Request::Presign { identity, bucket, key, lifetime, .. } => {
            let result = async {
                let s = session(&sessions, &identity, None, false).await?;
                // A link must not outlive the credentials that signed it.
                let (lifetime, capped) =
                    crate::app::session::cap_lifetime(lifetime, s.info.expires_at, std::time::SystemTime::now());
                let client = regions.client_for(&s, &bucket).await;
                let url = object::presigned_get(&client, &s.info.endpoint, &bucket, &key, lifetime)
                    .await
                    .map_err(|e| Error::from(e.as_identity(&identity)))?;
                Ok(Presigned { url, lifetime, capped })
            }
            .await;
            Response::Presigned { id, result: result.map_err(|e: Error| Failure::from(&e)) }
        }
        Request::ListVersions { identity, bucket, key, .. } => {
            let result = with_retry(&sessions, &identity, |s| {
                let (regions, identity, bucket, key) = (regions.clone(), identity.clone(), bucket.clone(), key.clone());
                async move {
                    let client = regions.client_for(&s, &bucket).await;
                    crate::transfer::list_versions(&client, &s.info.endpoint, &bucket, &key)
                        .await
                        .map_err(|e| Error::from(e.as_identity(&identity).by(s.info.arn.as_deref())))
                }
            })
            .await;
            Response::Versions { id, result: result.map_err(|e| Failure::from(&e)) }
        }
        Request::Delete { identity, bucket, what, .. } => {
            changes::delete(sessions.clone(), regions.clone(), id, identity, bucket, what).await
        }
        Request::Cancel { .. }
        | Request::AddIdentity { .. }
        | Request::Download { .. }
        | Request::Upload { .. }
        | Request::Find { .. } => {
            return id;
        }
    };
    report_changes(&sessions, &responses).await;
    // The app may have gone away (quitting); nothing is waiting for the answer then.
    let _ = responses.send(response);
    id
}
