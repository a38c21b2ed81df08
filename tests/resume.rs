//! Transfers through the worker that outlive their credentials or their connection: a proxy in
//! front of moto revokes the session's token mid-transfer (as S3 does once a token expires)
//! or cuts a body off mid-way, and the transfer goes on from where it stopped, or fails
//! cleanly with no partial file left.

mod common;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::proxy::{Action, Gate, Outcome, Proxy, RequestHead, Seen};
use common::*;
use s3lease::credentials::mfa::GivenCode;
use s3lease::worker::{self, DownloadWhat, Request, RequestId, Response, TransferSummary, WorkerHandle};
use zeroize::Zeroizing;

const SHARED: [&str; 4] =
    ["shared/handbook.md", "shared/preview/blob.bin", "shared/preview/long.txt", "shared/preview/tagged.csv"];

/// A worker whose calls (STS too) go through `proxy`, moving one file at a time so the
/// order of requests is known.
async fn worker_via(proxy: &Proxy) -> (tempfile::TempDir, WorkerHandle) {
    let (dir, catalog) = catalog(testbed(), &proxy.url(), "transfer_concurrency = 1", "");
    let aws = s3lease::clients::AwsContext::new(&catalog.settings).await;
    (dir, worker::spawn(s3lease::credentials::SessionManager::new(catalog, aws)))
}

async fn done(worker: &mut WorkerHandle, id: u64) -> Result<TransferSummary, worker::Failure> {
    match answer(worker, id).await {
        Response::TransferDone { result, .. } => result,
        other => panic!("expected the end of transfer {id}, got {other:?}"),
    }
}

fn download(id: u64, identity: &str, what: DownloadWhat, dest: &Path) -> Request {
    Request::Download {
        id: RequestId(id),
        identity: identity.into(),
        bucket: "demo-data".into(),
        what,
        dest_dir: dest.to_path_buf(),
        overwrite: false,
    }
}

/// What moto holds for `key` of demo-data, read past the proxy.
async fn server_bytes(key: &str) -> Vec<u8> {
    let tb = testbed();
    let (_dir, mut manager) = session_manager(tb, tb.endpoint(), "").await;
    let session = manager.start("admin-role", &mut GivenCode::new(None, "none needed")).await.unwrap();
    let out = session.s3.get_object().bucket("demo-data").key(key).send().await.unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

fn gets_of<'a>(seen: &'a [Seen], key: &str) -> Vec<&'a Seen> {
    seen.iter().filter(|s| s.method == "GET" && s.request.path().ends_with(key)).collect()
}

fn hold_get_of(key: &'static str, gate: &Gate) -> impl Fn(&RequestHead) -> Action + Send + Sync + 'static {
    let gate = gate.clone();
    move |r: &RequestHead| {
        if r.method == "GET" && r.path().ends_with(key) { Action::hold(&gate) } else { Action::Forward }
    }
}

fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                found.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    found.into_iter().filter(|n| n.contains("s3lease-partial")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_expiring_mid_batch_are_renewed_once_and_every_file_arrives() {
    let gate = Gate::new();
    let proxy = Proxy::start(testbed().endpoint(), hold_get_of("/long.txt", &gate));
    proxy.set_distinct_tokens(true);
    let (_dir, mut worker) = worker_via(&proxy).await;
    let dest = tempfile::tempdir().unwrap();
    let objects = SHARED.iter().map(|k| (k.to_string(), 0)).collect();
    worker.requests.send(download(1, "auditor", DownloadWhat::Objects { objects }, dest.path())).unwrap();

    // The third file's GET is held; meanwhile the token it carries is revoked.
    assert!(gate.wait_held(1, Duration::from_secs(60)), "the GET of long.txt reached the proxy");
    let held = gets_of(&proxy.requests(), "/long.txt")[0].clone();
    let old = held.session_token().expect("signed with the session's token");
    proxy.revoke_token(&old);
    gate.release();

    let summary = done(&mut worker, 1).await.unwrap_or_else(|f| panic!("{}", f.message));
    assert_eq!((summary.files, summary.problems.len()), (4, 0), "{summary:?}");
    for key in SHARED {
        let name = key.rsplit('/').next().unwrap();
        assert_eq!(std::fs::read(dest.path().join(name)).unwrap(), server_bytes(key).await, "{key} byte for byte");
    }
    assert_eq!(leftovers(dest.path()), Vec::<String>::new());

    let seen = proxy.requests();
    let refused = proxy.wait_outcome(held.seq, Duration::from_secs(5));
    assert_eq!(refused, Some(Outcome::Canned { status: 400 }), "S3 refused the held GET as expired");
    let retried = gets_of(&seen, "/long.txt");
    assert_eq!(retried.len(), 2, "long.txt was asked for again once");
    let new = retried[1].session_token().expect("signed");
    assert_ne!(new, old, "the retry carries renewed credentials");
    let renewals = seen.iter().filter(|s| s.seq > held.seq && s.api_action.as_deref() == Some("AssumeRole")).count();
    assert_eq!(renewals, 1, "one renewal (the role's AssumeRole) served the rest of the batch");
    let after = gets_of(&seen, "/tagged.csv");
    assert_eq!(after.len(), 1, "the file after it went once, with the new token");
    assert_eq!(after[0].session_token().as_deref(), Some(new.as_str()));
    let first = gets_of(&seen, "/handbook.md");
    assert_eq!(first.len(), 1, "files done before the expiry are not fetched again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_off_mid_download_resumes_from_the_byte_it_stopped_at() {
    const KEEP: usize = 50_000;
    let cut = std::sync::atomic::AtomicBool::new(false);
    let proxy = Proxy::start(testbed().endpoint(), move |r: &RequestHead| {
        let first_get = r.method == "GET" && r.path().ends_with("/long.txt") && !cut.swap(true, Ordering::SeqCst);
        if first_get { Action::Truncate { keep: KEEP } } else { Action::Forward }
    });
    let (_dir, mut worker) = worker_via(&proxy).await;
    let dest = tempfile::tempdir().unwrap();
    let what = DownloadWhat::Object { key: "shared/preview/long.txt".into(), version_id: None };
    worker.requests.send(download(1, "auditor", what, dest.path())).unwrap();
    let summary = done(&mut worker, 1).await.unwrap_or_else(|f| panic!("{}", f.message));
    assert_eq!(summary.bytes, 124_000);
    assert_eq!(std::fs::read(dest.path().join("long.txt")).unwrap(), server_bytes("shared/preview/long.txt").await);

    let seen = proxy.requests();
    let gets = gets_of(&seen, "/long.txt");
    assert_eq!(gets.len(), 2, "one GET cut off, one to finish");
    assert_eq!(proxy.outcome(gets[0].seq), Some(Outcome::Truncated { status: 200, kept: KEEP }));
    let range = format!("bytes={KEEP}-");
    assert_eq!(gets[1].request.header("range"), Some(range.as_str()), "only the rest was asked for");
    assert!(gets[1].request.header("if-match").is_some(), "and only of the same object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_upload_whose_token_expires_goes_on_with_the_remaining_parts() {
    let gate = Gate::new();
    let held = gate.clone();
    let proxy = Proxy::start(testbed().endpoint(), move |r: &RequestHead| {
        if r.method == "PUT" && r.query_param("partNumber").as_deref() == Some("2") {
            Action::hold(&held)
        } else {
            Action::Forward
        }
    });
    proxy.set_distinct_tokens(true);
    let (_dir, mut worker) = worker_via(&proxy).await;
    let (_tb_dir, mut manager) = session_manager(testbed(), testbed().endpoint(), "").await;
    let admin = manager.start("admin-role", &mut GivenCode::new(None, "none needed")).await.unwrap();
    let bucket = format!("resume-{}", std::process::id());
    admin.s3.create_bucket().bucket(&bucket).send().await.expect("the test's own bucket");

    // 20 MiB: three parts of 8, 8 and 4 MiB.
    let source = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..20u32 * 1024 * 1024).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let file = source.path().join("big.bin");
    std::fs::write(&file, &data).unwrap();
    let upload = Request::Upload {
        id: RequestId(1),
        identity: "admin-role".into(),
        bucket: bucket.clone(),
        prefix: "in/".into(),
        source: file,
    };
    worker.requests.send(upload).unwrap();

    assert!(gate.wait_held(1, Duration::from_secs(60)), "part 2 reached the proxy");
    let seen = proxy.requests();
    let part2 = seen.iter().find(|s| s.request.query_param("partNumber").as_deref() == Some("2")).unwrap().clone();
    let old = part2.session_token().expect("signed with the session's token");
    proxy.revoke_token(&old);
    gate.release();

    let summary = done(&mut worker, 1).await.unwrap_or_else(|f| panic!("{}", f.message));
    assert_eq!((summary.files, summary.bytes), (1, data.len() as u64), "{summary:?}");
    let out = admin.s3.get_object().bucket(&bucket).key("in/big.bin").send().await.unwrap();
    assert!(out.body.collect().await.unwrap().into_bytes() == data[..], "the object is the file, byte for byte");

    let seen = proxy.requests();
    let creates = seen.iter().filter(|s| s.method == "POST" && s.request.has_query_key("uploads")).count();
    assert_eq!(creates, 1, "the same multipart upload went on: no second CreateMultipartUpload");
    let parts: Vec<&Seen> =
        seen.iter().filter(|s| s.request.query_param("partNumber").as_deref() == Some("2")).collect();
    assert_eq!(parts.len(), 2, "part 2 was sent again once");
    assert_ne!(parts[1].session_token(), Some(old.clone()), "with renewed credentials");
    // Parts 1 and 3 ran beside part 2: each either got through before the revocation or was
    // refused with the old token and sent again; either way each part was stored exactly once.
    for number in ["1", "2", "3"] {
        let sends: Vec<&Seen> =
            seen.iter().filter(|s| s.request.query_param("partNumber").as_deref() == Some(number)).collect();
        let outcomes: Vec<Option<Outcome>> =
            sends.iter().map(|s| proxy.wait_outcome(s.seq, Duration::from_secs(5))).collect();
        let stored = outcomes.iter().filter(|o| matches!(o, Some(Outcome::Forwarded { status: 200, .. }))).count();
        assert_eq!(stored, 1, "part {number} stored once: {outcomes:?}");
        for (send, outcome) in sends.iter().zip(&outcomes) {
            if outcome == &Some(Outcome::Canned { status: 400 }) {
                assert_eq!(send.session_token().as_deref(), Some(old.as_str()), "only the old token was refused");
            }
        }
    }
    let complete = seen.iter().find(|s| s.method == "POST" && s.request.has_query_key("uploadId")).expect("completed");
    assert_ne!(complete.session_token(), Some(old), "completed with the renewed credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_that_needs_an_mfa_code_fails_cleanly_and_leaves_no_partial_file() {
    let gate = Gate::new();
    let proxy = Proxy::start(testbed().endpoint(), hold_get_of("/long.txt", &gate));
    // moto hands out one constant GetSessionToken token; revoking it must not revoke the next.
    proxy.set_distinct_tokens(true);
    let (_dir, mut worker) = worker_via(&proxy).await;
    let start = Request::StartSession {
        id: RequestId(1),
        identity: "alice-mfa".into(),
        mfa_code: Some(Zeroizing::new("123456".into())),
    };
    worker.requests.send(start).unwrap();
    assert!(matches!(answer(&mut worker, 1).await, Response::Session { result: Ok(_), .. }), "started with a code");

    let dest = tempfile::tempdir().unwrap();
    let what = DownloadWhat::Object { key: "shared/preview/long.txt".into(), version_id: None };
    worker.requests.send(download(2, "alice-mfa", what, dest.path())).unwrap();
    assert!(gate.wait_held(1, Duration::from_secs(60)), "the GET reached the proxy");
    let held = gets_of(&proxy.requests(), "/long.txt")[0].clone();
    proxy.revoke_token(&held.session_token().expect("signed"));
    gate.release();

    let failure = done(&mut worker, 2).await.expect_err("no code, no renewal");
    for needle in ["ExpiredToken", "renewing the credentials failed", "MFA"] {
        assert!(failure.message.contains(needle), "{needle:?} in: {}", failure.message);
    }
    let left: Vec<_> = std::fs::read_dir(dest.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "neither the file nor a partial is left: {left:?}");
}
