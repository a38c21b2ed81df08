//! The worker's bucket-wide find against moto: its matches are exactly the plain sequential
//! listing's keys that contain the needle below the prefix, it fans out over folders as far as
//! `list_concurrency` allows, counts past its limit, stops when cancelled, and reports errors.

mod common;

use std::time::Duration;

use common::proxy::{Action, Canned, Gate, Outcome, Proxy, RequestHead};
use common::walked::{self, keys_of};
use common::*;
use s3lease::credentials::mfa::GivenCode;
use s3lease::s3::walk::Target;
use s3lease::testbed::Testbed;
use s3lease::worker::{self, Failure, FailureKind, FoundBatch, Request, RequestId, Response, WorkerHandle};

const DEADLINE: Duration = Duration::from_secs(60);

/// A worker whose calls go to `endpoint`, with `settings` added to `[settings]`. Keep the
/// directory alive: profile keys are read from it.
async fn start_worker(tb: &Testbed, endpoint: &str, settings: &str) -> (tempfile::TempDir, WorkerHandle) {
    let (dir, catalog) = catalog(tb, endpoint, settings, "");
    let aws = s3lease::clients::AwsContext::new(&catalog.settings).await;
    (dir, worker::spawn(s3lease::credentials::SessionManager::new(catalog, aws)))
}

fn find(id: u64, bucket: &str, prefix: &str, needle: &str, limit: usize) -> Request {
    Request::Find {
        id: RequestId(id),
        identity: "auditor".into(),
        bucket: bucket.into(),
        prefix: prefix.into(),
        needle: needle.into(),
        limit,
    }
}

/// Every batch of find `id` added up, and how it ended.
async fn results(handle: &mut WorkerHandle, id: u64) -> (FoundBatch, Result<(), Failure>) {
    let mut total = FoundBatch::default();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match next_response(handle, deadline, || format!("find {id} did not end within {DEADLINE:?}")).await {
            Response::Found { id: got, batch } if got == RequestId(id) => {
                assert!(batch.scanned > 0, "a batch says how far the find has got");
                total.matches.extend(batch.matches);
                total.matched += batch.matched;
                total.scanned += batch.scanned;
            }
            Response::FindDone { id: got, result } if got == RequestId(id) => return (total, result),
            Response::SessionUpdate { .. } => {}
            other => panic!("an answer to something else: {other:?}"),
        }
    }
}

/// Every key under `prefix` of demo-data, listed page after page with no delimiter.
async fn plain_listing(tb: &Testbed, prefix: &str) -> Vec<String> {
    let (_dir, mut manager) = session_manager(tb, tb.endpoint(), "").await;
    let session = manager.start("auditor", &mut GivenCode::new(None, "none needed")).await.unwrap();
    let target = Target { client: session.s3.clone(), endpoint: tb.endpoint().to_string(), bucket: "demo-data".into() };
    keys_of(target, prefix, 1).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matches_are_the_plain_listings_keys_that_contain_the_needle_below_the_prefix() {
    let tb = testbed();
    let gate = Gate::new();
    // Folders' own listings (no delimiter): hold each one's first page until three wait.
    let proxy = walked::holding_first_pages(tb.endpoint(), &gate);
    let (_dir, mut handle) = start_worker(tb, &proxy.url(), "list_concurrency = 3").await;

    handle.requests.send(find(1, "demo-data", "", "Q1", 100_000)).unwrap();
    let waited = tokio::task::block_in_place(|| gate.wait_held(3, DEADLINE));
    assert!(waited, "three folders were listed at once");
    assert_eq!(gate.held(), 3, "and no more than list_concurrency allows");
    gate.release();
    let mut id = 1;
    let (found, end) = results(&mut handle, id).await;
    assert_eq!(end, Ok(()));
    check(tb, "", "Q1", &found).await;

    for (prefix, needle) in [("", "0042"), ("", "é"), ("", "SUMMARY"), ("reports/", "2024/q"), ("logs/", "logs")] {
        id += 1;
        handle.requests.send(find(id, "demo-data", prefix, needle, 100_000)).unwrap();
        let (found, end) = results(&mut handle, id).await;
        assert_eq!(end, Ok(()), "{prefix:?} {needle:?}");
        check(tb, prefix, needle, &found).await;
    }
}

/// `found` is exactly the plain listing under `prefix`, filtered by `needle` in any case.
async fn check(tb: &Testbed, prefix: &str, needle: &str, found: &FoundBatch) {
    let all = plain_listing(tb, prefix).await;
    let needle_lower = needle.to_lowercase();
    let expected: Vec<&String> =
        all.iter().filter(|k| k[prefix.len()..].to_lowercase().contains(&needle_lower)).collect();
    let got: Vec<&String> = found.matches.iter().map(|o| &o.key).collect();
    assert_eq!(got, expected, "under {prefix:?}, {needle:?}");
    assert_eq!(found.matched, expected.len() as u64);
    assert_eq!(found.scanned, all.len() as u64, "every key under {prefix:?} was looked at");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_limit_matches_are_counted_not_sent() {
    let tb = testbed();
    let (_dir, mut handle) = start_worker(tb, tb.endpoint(), "").await;
    handle.requests.send(find(1, "demo-data", "logs/", "EVENT", 10)).unwrap();
    let (found, end) = results(&mut handle, 1).await;
    assert_eq!(end, Ok(()));
    let keys: Vec<&str> = found.matches.iter().map(|o| o.key.as_str()).collect();
    let first: Vec<String> = (0..10).map(|i| format!("logs/event-{i:05}.json")).collect();
    assert_eq!(keys, first, "the first ten, in key order");
    let events = s3lease::testbed::Seed::default().prefix_keys as u64;
    assert_eq!(found.matched, events);
    assert_eq!(found.scanned, events + 1, "logs/archive/2023.tar too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_listing_and_nothing_more_comes() {
    let tb = testbed();
    let gate = Gate::new();
    let proxy = holding_listings(tb.endpoint(), &gate);
    let (_dir, mut handle) = start_worker(tb, &proxy.url(), "").await;
    handle.requests.send(find(1, "demo-data", "", "a", 100_000)).unwrap();
    assert!(tokio::task::block_in_place(|| gate.wait_held(1, DEADLINE)), "the find started listing");
    let seq = proxy.requests().iter().find(|s| s.request.is_list_objects_v2()).map(|s| s.seq).expect("logged");
    handle.requests.send(Request::Cancel { id: RequestId(1) }).unwrap();
    // The aborted task drops its request; the proxy sees the client hang up while holding it.
    let outcome = tokio::task::block_in_place(|| proxy.wait_outcome(seq, DEADLINE));
    assert_eq!(outcome, Some(Outcome::ClientGone), "the held listing was abandoned");
    assert_eq!(gate.arrived(), 1, "no listing after the first");

    gate.release();
    // The worker reads requests in order: once 2 ends, anything from 1 would have come first.
    handle.requests.send(find(2, "demo-data", "shared/", "handbook", 100_000)).unwrap();
    let (found, end) = results(&mut handle, 2).await;
    assert_eq!(end, Ok(()));
    assert_eq!(found.matches.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["shared/handbook.md"]);
    while let Ok(late) = handle.responses.try_recv() {
        assert!(late.id() != Some(RequestId(1)), "an answer to the cancelled find: {late:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_folder_ends_the_find_with_the_listing_error_keeping_the_matches_before_it() {
    let tb = testbed();
    // `shared/`, listed as a folder of the bucket's top level, is refused.
    let proxy = Proxy::start(tb.endpoint(), |r: &RequestHead| {
        if r.is_list_objects_v2() && r.query_param("prefix").as_deref() == Some("shared/") {
            Action::respond(Canned::s3_error(403, "AccessDenied", "Access Denied"))
        } else {
            Action::Forward
        }
    });
    let (_dir, mut handle) = start_worker(tb, &proxy.url(), "").await;
    handle.requests.send(find(1, "demo-data", "", "0042", 100_000)).unwrap();
    let (found, end) = results(&mut handle, 1).await;
    // logs/ and reports/ come before shared/ in key order.
    let keys: Vec<&str> = found.matches.iter().map(|o| o.key.as_str()).collect();
    let mut before: Vec<String> = vec!["logs/event-00042.json".into()];
    before.extend((420..430).map(|i| format!("logs/event-00{i}.json")));
    assert_eq!(keys, before, "what was found before the failure is sent");
    match end {
        Err(Failure { kind: FailureKind::AccessDenied, message }) => {
            // Worded as the browser's listing errors: who was refused what, where.
            assert!(message.starts_with("AccessDenied: "), "{message}");
            assert!(message.contains("(identity `auditor`)"), "{message}");
            assert!(message.contains("ListObjectsV2 on s3://demo-data/shared/ was refused"), "{message}");
        }
        other => panic!("expected AccessDenied, got {other:?}"),
    }
}
