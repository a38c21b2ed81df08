//! The worker task, driven over its channels as the TUI drives it, against the shared moto
//! server (through the test proxy where a request must be held).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::proxy::{Action, Canned, Gate, Outcome, Proxy, RequestHead};
use common::{holding_listings, next_response, session_manager};
use s3lease::testbed::{Seed, Testbed};
use s3lease::worker::{self, Failure, FailureKind, Request, RequestId, Response, WorkerHandle};
use zeroize::Zeroizing;

const DEADLINE: Duration = Duration::from_secs(60);

/// A worker for `tb` whose AWS calls go to `endpoint` (moto's, or a proxy's). Keep the
/// returned directory alive: profile keys are read from it.
async fn start_worker(tb: &Testbed, endpoint: &str) -> (tempfile::TempDir, WorkerHandle) {
    let (dir, manager) = session_manager(tb, endpoint, "").await;
    (dir, worker::spawn(manager))
}

fn list_objects(id: u64, bucket: &str, prefix: &str, continuation: Option<String>) -> Request {
    Request::ListObjects {
        id: RequestId(id),
        identity: "auditor".into(),
        bucket: bucket.into(),
        prefix: prefix.into(),
        continuation,
    }
}

fn list_buckets(id: u64) -> Request {
    Request::ListBuckets { id: RequestId(id), identity: "auditor".into() }
}

fn send(handle: &WorkerHandle, request: Request) {
    handle.requests.send(request).expect("the worker is running");
}

/// Waits for the response to `id`, keeping any other response that arrives first in `others`
/// (unasked session updates are expected along the way and skipped).
async fn response_to(handle: &mut WorkerHandle, id: u64, others: &mut Vec<Response>) -> Response {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let timed_out = || format!("no response to request {id} within {DEADLINE:?}; others: {others:#?}");
        let received = next_response(handle, deadline, timed_out).await;
        match received.id() {
            Some(got) if got == RequestId(id) => return received,
            Some(_) => others.push(received),
            None => {}
        }
    }
}

/// Drops the request channel and checks the worker task ends without panicking.
async fn stop(handle: WorkerHandle) {
    let WorkerHandle { requests, task, .. } = handle;
    drop(requests);
    let joined = tokio::time::timeout(DEADLINE, task).await.expect("the worker stops when the channel closes");
    joined.expect("the worker task did not panic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_objects_pages_through_every_key_once() {
    let tb = common::testbed();
    let (_dir, mut handle) = start_worker(tb, tb.endpoint()).await;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut continuation = None;
    let mut others = Vec::new();
    let mut pages = 0;
    loop {
        let id = 100 + pages;
        send(&handle, list_objects(id, "demo-data", "logs/", continuation.take()));
        let response = response_to(&mut handle, id, &mut others).await;
        let Response::Objects { id: got, result } = response else { panic!("not an Objects response: {response:?}") };
        assert_eq!(got, RequestId(id));
        let page = result.unwrap_or_else(|f| panic!("page {pages}: {f:?}"));
        pages += 1;
        for key in page.prefixes.iter().cloned().chain(page.objects.into_iter().map(|o| o.key)) {
            *seen.entry(key).or_default() += 1;
        }
        match page.next {
            Some(token) => continuation = Some(token),
            None => break,
        }
        assert!(pages < 50, "the listing does not end");
    }
    assert!(others.is_empty(), "responses to nothing asked: {others:#?}");

    let keys = Seed::default().prefix_keys;
    let mut expected: Vec<String> = (0..keys).map(|i| format!("logs/event-{i:05}.json")).collect();
    expected.push("logs/archive/".into());
    expected.sort();
    let got: Vec<String> = seen.keys().cloned().collect();
    assert_eq!(got.len(), expected.len(), "distinct keys and prefixes");
    assert!(got == expected, "the keys differ from the seeded ones");
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert!(repeated.is_empty(), "listed more than once: {repeated:?}");
    assert!(pages >= 3, "{} entries should take several pages, got {pages}", expected.len());
    stop(handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_session_asks_for_mfa_then_accepts_the_code() {
    let tb = common::testbed();
    let (_dir, mut handle) = start_worker(tb, tb.endpoint()).await;
    let serial = tb.manifest.user("alice").mfa_serial.clone().expect("alice has an MFA device");
    let mut others = Vec::new();

    send(&handle, Request::StartSession { id: RequestId(1), identity: "mfa-admin".into(), mfa_code: None });
    match response_to(&mut handle, 1, &mut others).await {
        Response::Session {
            result: Err(Failure { kind: FailureKind::NeedsMfa { identity, serial: s }, message }),
            ..
        } => {
            assert_eq!(identity, "alice-mfa");
            assert_eq!(s, serial);
            assert!(message.contains("alice-mfa"), "{message}");
        }
        other => panic!("expected NeedsMfa, got {other:?}"),
    }

    send(
        &handle,
        Request::StartSession {
            id: RequestId(2),
            identity: "mfa-admin".into(),
            mfa_code: Some(Zeroizing::new("123456".into())),
        },
    );
    match response_to(&mut handle, 2, &mut others).await {
        Response::Session { result: Ok(info), .. } => {
            assert_eq!(info.identity, "mfa-admin");
            assert!(info.chain.contains("alice-mfa (MFA)"), "{}", info.chain);
            assert!(info.arn.is_some(), "{info:?}");
        }
        other => panic!("expected a session, got {other:?}"),
    }
    assert!(others.is_empty(), "{others:#?}");
    stop(handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_aborts_a_request_in_flight() {
    let tb = common::testbed();
    let gate = Gate::new();
    let proxy = holding_listings(tb.endpoint(), &gate);
    let (_dir, mut handle) = start_worker(tb, &proxy.url()).await;
    let mut others = Vec::new();

    send(&handle, Request::StartSession { id: RequestId(0), identity: "auditor".into(), mfa_code: None });
    let started = response_to(&mut handle, 0, &mut others).await;
    assert!(matches!(started, Response::Session { result: Ok(_), .. }), "{started:?}");

    send(&handle, list_objects(1, "demo-data", "logs/", None));
    let held = tokio::task::block_in_place(|| gate.wait_held(1, DEADLINE));
    assert!(held, "the ListObjects request never reached the proxy");
    let held_seq = proxy.requests().iter().find(|s| s.request.is_list_objects_v2()).map(|s| s.seq).expect("logged");
    send(&handle, Request::Cancel { id: RequestId(1) });
    // The worker reads requests in order: once 2 is answered, the cancel has been handled.
    send(&handle, list_buckets(2));
    let buckets = response_to(&mut handle, 2, &mut others).await;
    assert!(matches!(buckets, Response::Buckets { result: Ok(_), .. }), "{buckets:?}");
    // Aborting the task drops its HTTP exchange, and hyper closes a connection whose response
    // nobody waits for: the proxy sees the hang-up while still holding the request. A task
    // left running would keep the connection open, and this wait would run out.
    let outcome = tokio::task::block_in_place(|| proxy.wait_outcome(held_seq, DEADLINE));
    assert_eq!(outcome, Some(Outcome::ClientGone), "the held ListObjects was abandoned by its client");

    gate.release();
    // The same listing, now let through: the worker still serves, and the answer is 3's alone.
    send(&handle, list_objects(3, "demo-data", "logs/", None));
    let last = response_to(&mut handle, 3, &mut others).await;
    assert!(matches!(last, Response::Objects { result: Ok(_), .. }), "{last:?}");
    while let Ok(late) = handle.responses.try_recv() {
        if late.id().is_some() {
            others.push(late);
        }
    }
    let cancelled: Vec<_> = others.iter().filter(|r| r.id() == Some(RequestId(1))).collect();
    assert!(cancelled.is_empty(), "a response to the cancelled request arrived: {cancelled:#?}");
    assert!(others.is_empty(), "unexpected responses: {others:#?}");
    assert_eq!(gate.arrived(), 2, "the cancelled ListObjects and 3's reached the gate");
    stop(handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_come_back_as_responses_and_the_worker_carries_on() {
    let tb = common::testbed();
    let (_dir, mut handle) = start_worker(tb, tb.endpoint()).await;
    let mut others = Vec::new();

    send(&handle, list_objects(1, "s3lease-no-such-bucket", "", None));
    match response_to(&mut handle, 1, &mut others).await {
        Response::Objects { result: Err(Failure { kind: FailureKind::NotFound, message }), .. } => {
            assert!(message.contains("s3lease-no-such-bucket"), "{message}");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(!handle.task.is_finished(), "the worker survived the failure");

    send(&handle, list_buckets(2));
    match response_to(&mut handle, 2, &mut others).await {
        Response::Buckets { result: Ok(buckets), .. } => {
            assert!(buckets.iter().any(|b| b.name == "demo-data"), "{buckets:?}");
        }
        other => panic!("expected buckets, got {other:?}"),
    }
    send(&handle, list_objects(3, "demo-data", "reports/2024/", None));
    match response_to(&mut handle, 3, &mut others).await {
        Response::Objects { result: Ok(page), .. } => {
            assert_eq!(page.prefixes, ["reports/2024/q1/", "reports/2024/q2/", "reports/2024/q3/", "reports/2024/q4/"]);
        }
        other => panic!("expected a page, got {other:?}"),
    }
    assert!(others.is_empty(), "{others:#?}");
    stop(handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_faults_come_back_as_failures() {
    let tb = common::testbed();
    let proxy = Proxy::start(tb.endpoint(), |r: &RequestHead| match r.query_param("prefix").as_deref() {
        Some("expired/") => Action::respond(Canned::s3_error(400, "ExpiredToken", "The provided token has expired.")),
        Some("dropped/") => Action::Drop,
        _ => Action::Forward,
    });
    let (_dir, mut handle) = start_worker(tb, &proxy.url()).await;
    let mut others = Vec::new();

    send(&handle, list_objects(1, "demo-data", "expired/", None));
    match response_to(&mut handle, 1, &mut others).await {
        Response::Objects { result: Err(Failure { kind: FailureKind::Expired, message }), .. } => {
            assert!(message.contains("ExpiredToken") && message.contains("auditor"), "{message}");
        }
        other => panic!("expected Expired, got {other:?}"),
    }
    send(&handle, list_objects(2, "demo-data", "dropped/", None));
    match response_to(&mut handle, 2, &mut others).await {
        Response::Objects { result: Err(Failure { kind: FailureKind::Network, message }), .. } => {
            assert!(message.contains(&proxy.url()), "names the endpoint: {message}");
        }
        other => panic!("expected Network, got {other:?}"),
    }
    send(&handle, list_objects(3, "demo-data", "reports/", None));
    let fine = response_to(&mut handle, 3, &mut others).await;
    assert!(matches!(fine, Response::Objects { result: Ok(_), .. }), "{fine:?}");
    assert!(others.is_empty(), "{others:#?}");

    let log = proxy.requests();
    let tries =
        |prefix: &str| log.iter().filter(|s| s.request.query_param("prefix").as_deref() == Some(prefix)).count();
    assert_eq!(tries("expired/"), 2, "an expired token is retried once, after a refresh, and only once");
    let seqs: Vec<u64> =
        log.iter().filter(|s| s.request.query_param("prefix").as_deref() == Some("expired/")).map(|s| s.seq).collect();
    let refreshed_between =
        log.iter().any(|s| s.api_action.as_deref() == Some("AssumeRole") && s.seq > seqs[0] && s.seq < seqs[1]);
    assert!(refreshed_between, "a new AssumeRole between the two tries: {log:#?}");
    assert!(tries("dropped/") >= 1);
    stop(handle).await;
}
