//! Faults a network or a server adds, injected by the test proxy in front of moto: latency,
//! 500 `InternalError`, 503 `SlowDown`, a connection reset mid-body, a body (XML or an
//! object's bytes) cut off but framed as complete, a dropped connection, the server going away
//! (and coming back) mid-listing, and answers that stall past the `read_timeout` setting.
//!
//! For listing (`ls --recursive` through the binary, and the worker's paged listing), details
//! (HeadObject), download and upload (the transfer engine, through the worker), each fault
//! either ends in exactly the right result (same keys, none twice; same bytes) because the
//! call was retried, or, when the fault does not go away, in an error that names the endpoint
//! and the operation. Never a shorter listing, a duplicate, or a partial file.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::proxy::{Action, Canned, Gate, Keep, Outcome, Proxy, RequestHead};
use common::*;
use s3lease::credentials::mfa::GivenCode;
use s3lease::worker::{self, DownloadWhat, Request, RequestId, Response, WorkerHandle};

/// The faults that pass if the request is sent again.
fn transient_faults() -> Vec<(&'static str, Action)> {
    vec![
        ("latency", Action::delay(Duration::from_millis(300))),
        ("500 InternalError", Action::respond(Canned::internal_error())),
        ("503 SlowDown", Action::respond(Canned::slow_down())),
        ("reset mid-body", Action::Truncate { keep: 100 }),
        ("truncated XML", Action::TruncateXml { keep: Keep::Fraction(0.5) }),
        ("dropped connection", Action::Drop),
    ]
}

/// A rule applying `fault` to the first `times` requests that `pick` selects (every one if
/// `times` is `usize::MAX`), forwarding the rest.
fn faulty(
    pick: impl Fn(&RequestHead) -> bool + Send + Sync + 'static,
    fault: Action,
    times: usize,
) -> impl Fn(&RequestHead) -> Action + Send + Sync + 'static {
    let hits = AtomicUsize::new(0);
    move |r: &RequestHead| {
        if pick(r) && hits.fetch_add(1, Ordering::SeqCst) < times { fault.clone() } else { Action::Forward }
    }
}

fn continuation_page(r: &RequestHead) -> bool {
    r.is_list_objects_v2() && r.has_query_key("continuation-token")
}

/// Asserts that `message` is the clear error the issue asks for: the endpoint and the call.
fn assert_names_endpoint_and_operation(message: &str, endpoint: &str, operation: &str) {
    assert!(message.contains(endpoint), "the error names the endpoint {endpoint}: {message}");
    assert!(message.contains(operation), "the error names the operation {operation}: {message}");
}

// --- ls --recursive through the binary ------------------------------------------------------

/// The standard sandbox with every call going through `proxy`.
fn sandbox_via(proxy: &Proxy) -> Sandbox {
    let tb = testbed();
    Sandbox::with_config(tb, &tb.config_toml().replace(tb.endpoint(), &proxy.url()))
}

const LS: [&str; 5] = ["ls", "--identity", "admin", "--recursive", "s3://demo-data/logs/"];

/// What `ls --recursive` prints with nothing in the way.
fn clean_listing() -> &'static str {
    static CLEAN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CLEAN.get_or_init(|| {
        let proxy = Proxy::forwarding(testbed().endpoint());
        let out = sandbox_via(&proxy).run(&LS).ok().stdout;
        assert_eq!(out.lines().count(), 2601, "every key under logs/, once:\n{out}");
        out
    })
}

fn assert_no_duplicates(listing: &str) {
    let mut seen = HashSet::new();
    for line in listing.lines() {
        assert!(seen.insert(line), "listed twice: {line}");
    }
}

#[test]
fn ls_recursive_retries_each_transient_fault_and_lists_exactly() {
    let clean = clean_listing();
    for (name, fault) in transient_faults() {
        let proxy = Proxy::start(testbed().endpoint(), faulty(continuation_page, fault, 1));
        let run = sandbox_via(&proxy).run(&LS);
        assert_eq!(run.code, 0, "{name}: exit code\n{}", run.stderr);
        assert_no_duplicates(&run.stdout);
        assert!(run.stdout == clean, "{name}: the listing is exactly the clean one");
        let pages: Vec<_> = proxy.requests().into_iter().filter(|s| continuation_page(&s.request)).collect();
        let faulted = &pages[0];
        let again = pages.iter().filter(|s| s.target == faulted.target).count();
        let expected = if name == "latency" { 1 } else { 2 };
        assert_eq!(again, expected, "{name}: the faulted page was asked for {expected} time(s)");
    }
}

#[test]
fn ls_recursive_stops_with_a_clear_error_when_a_fault_persists() {
    let clean = clean_listing();
    for (name, fault) in transient_faults().into_iter().filter(|(n, _)| *n != "latency") {
        let proxy = Proxy::start(testbed().endpoint(), faulty(continuation_page, fault, usize::MAX));
        let run = sandbox_via(&proxy).run(&LS);
        assert_eq!(run.code, 1, "{name}: exit code\n{}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.starts_with("error: "), "{name}: {}", run.stderr);
        assert_names_endpoint_and_operation(&run.stderr, &proxy.url(), "ListObjectsV2");
        assert!(run.stderr.contains("s3://demo-data/logs/"), "{name}: names the listing: {}", run.stderr);
        // What was printed before the error is the start of the listing: the first page,
        // nothing of the broken ones.
        assert_no_duplicates(&run.stdout);
        assert!(clean.starts_with(&run.stdout), "{name}: printed a prefix of the listing");
        assert_eq!(run.stdout.lines().count() % 1000, 0, "{name}: whole pages only:\n{}", run.stdout);
        let attempts = proxy.requests().iter().filter(|s| continuation_page(&s.request)).count();
        assert_eq!(attempts as u32, s3lease::clients::MAX_ATTEMPTS, "{name}: retried, then gave up");
    }
}

/// `ls --recursive` running through a proxy that holds its second page until `gate` is
/// released.
struct HeldListing {
    proxy: Proxy,
    gate: Gate,
    child: std::process::Child,
    /// Keeps the config the child reads alive.
    _sandbox: Sandbox,
}

impl HeldListing {
    /// Started, and waiting at its second page.
    fn start() -> HeldListing {
        let gate = Gate::new();
        let held = gate.clone();
        let proxy = Proxy::start(testbed().endpoint(), move |r: &RequestHead| {
            if continuation_page(r) && !held.is_released() { Action::hold(&held) } else { Action::Forward }
        });
        let sandbox = sandbox_via(&proxy);
        let child = sandbox
            .command()
            .args(LS)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run s3lease");
        assert!(gate.wait_held(1, Duration::from_secs(60)), "the listing reached its second page");
        HeldListing { proxy, gate, child, _sandbox: sandbox }
    }
}

#[test]
fn ls_recursive_survives_the_server_going_away_and_coming_back_mid_listing() {
    let HeldListing { proxy, gate, child, _sandbox } = HeldListing::start();
    // Killed mid-listing: the page in flight is cut, then connections are refused...
    proxy.go_down();
    let cut = proxy.requests().into_iter().find(|s| continuation_page(&s.request)).expect("a second page");
    let outcome = proxy.wait_outcome(cut.seq, Duration::from_secs(60));
    assert!(matches!(outcome, Some(Outcome::Abandoned | Outcome::ClientGone)), "cut unanswered: {outcome:?}");
    // ...and restarted: the retries find it back.
    gate.release();
    proxy.come_back();
    let out = child.wait_with_output().expect("s3lease ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_no_duplicates(&stdout);
    assert!(stdout == clean_listing(), "the listing is exactly the clean one");
    let again = proxy.requests().iter().filter(|s| s.target == cut.target).count();
    assert!(again >= 2, "the cut page was asked for again ({again} times in all)");
}

#[test]
fn ls_recursive_says_which_server_is_gone_when_it_stays_away() {
    // The gate stays shut: the held page is only ever cut.
    let HeldListing { proxy, child, _sandbox, .. } = HeldListing::start();
    proxy.go_down();
    let out = child.wait_with_output().expect("s3lease ran");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_names_endpoint_and_operation(&stderr, &proxy.url(), "ListObjectsV2");
    assert!(stderr.contains("cannot reach"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(clean_listing().starts_with(stdout.as_ref()), "printed a prefix of the listing");
}

// --- The worker: paged listing, details, download, upload -----------------------------------

/// A worker whose calls (STS too) go through `proxy`, one file at a time.
async fn worker_via(proxy: &Proxy) -> (tempfile::TempDir, WorkerHandle) {
    let (dir, catalog) = catalog(testbed(), &proxy.url(), "transfer_concurrency = 1", "");
    let aws = s3lease::clients::AwsContext::new(&catalog.settings).await;
    (dir, worker::spawn(s3lease::credentials::SessionManager::new(catalog, aws)))
}

/// An admin session straight to moto, for setting up and checking behind the proxy's back.
async fn admin() -> (tempfile::TempDir, Arc<s3lease::credentials::Session>) {
    let tb = testbed();
    let (dir, mut manager) = session_manager(tb, tb.endpoint(), "").await;
    let session = manager.start("admin", &mut GivenCode::new(None, "none needed")).await.expect("admin");
    (dir, session)
}

async fn list_page(worker: &mut WorkerHandle, id: u64, continuation: Option<String>) -> Response {
    let request = Request::ListObjects {
        id: RequestId(id),
        identity: "admin".into(),
        bucket: "demo-data".into(),
        prefix: "logs/".into(),
        continuation,
    };
    worker.requests.send(request).expect("worker running");
    answer(worker, id).await
}

/// Every page of `logs/` through the worker, as the app asks for them.
async fn list_all(worker: &mut WorkerHandle, first_id: u64) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut next = None;
    for id in first_id.. {
        match list_page(worker, id, next.take()).await {
            Response::Objects { result: Ok(page), .. } => {
                names.extend(page.prefixes);
                names.extend(page.objects.into_iter().map(|o| o.key));
                match page.next {
                    Some(token) => next = Some(token),
                    None => return Ok(names),
                }
            }
            Response::Objects { result: Err(failure), .. } => return Err(failure.message),
            other => panic!("expected a page, got {other:?}"),
        }
    }
    unreachable!()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workers_paged_listing_retries_each_fault_or_names_what_failed() {
    let clean = {
        let proxy = Proxy::forwarding(testbed().endpoint());
        let (_dir, mut worker) = worker_via(&proxy).await;
        list_all(&mut worker, 1).await.expect("a clean listing")
    };
    assert_eq!(clean.len(), 2601, "logs/ holds 2,600 objects and archive/");
    for (name, fault) in transient_faults() {
        let proxy = Proxy::start(testbed().endpoint(), faulty(continuation_page, fault.clone(), 1));
        let (_dir, mut worker) = worker_via(&proxy).await;
        assert_eq!(list_all(&mut worker, 1).await.as_ref(), Ok(&clean), "{name}: exactly the clean listing");

        if name == "latency" {
            continue;
        }
        let proxy = Proxy::start(testbed().endpoint(), faulty(continuation_page, fault, usize::MAX));
        let (_dir, mut worker) = worker_via(&proxy).await;
        let message = list_all(&mut worker, 1).await.expect_err("the second page never comes");
        assert_names_endpoint_and_operation(&message, &proxy.url(), "ListObjectsV2");
        // The app asks again from the same token once the fault is gone: nothing lost.
        proxy.set_rule(|_| Action::Forward);
        let first = match list_page(&mut worker, 100, None).await {
            Response::Objects { result: Ok(page), .. } => page,
            other => panic!("{name}: {other:?}"),
        };
        let mut names: Vec<String> = first.objects.into_iter().map(|o| o.key).collect();
        names.extend(list_all_from(&mut worker, 101, first.next).await);
        let mut expected = clean.clone();
        expected.retain(|k| k != "logs/archive/");
        names.sort();
        expected.sort();
        assert_eq!(names, expected, "{name}: resumed from the token, every key once");
    }
}

async fn list_all_from(worker: &mut WorkerHandle, first_id: u64, mut next: Option<String>) -> Vec<String> {
    let mut names = Vec::new();
    let mut id = first_id;
    while let Some(token) = next.take() {
        match list_page(worker, id, Some(token)).await {
            Response::Objects { result: Ok(page), .. } => {
                names.extend(page.objects.into_iter().map(|o| o.key));
                next = page.next;
            }
            other => panic!("{other:?}"),
        }
        id += 1;
    }
    names
}

fn details_request(id: u64) -> Request {
    Request::ObjectDetails {
        id: RequestId(id),
        identity: "admin".into(),
        bucket: "demo-data".into(),
        key: "shared/preview/tagged.csv".into(),
        version_id: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_retry_each_fault_or_name_what_failed() {
    // HeadObject (no body to cut) and GetObjectTagging (XML) both meet the fault.
    let object = |r: &RequestHead| r.path().ends_with("/tagged.csv");
    for (name, fault) in transient_faults() {
        let proxy = Proxy::start(testbed().endpoint(), faulty(object, fault.clone(), 1));
        let (_dir, mut worker) = worker_via(&proxy).await;
        worker.requests.send(details_request(1)).unwrap();
        match answer(&mut worker, 1).await {
            Response::Details { result: Ok(details), .. } => {
                assert_eq!((details.size, details.content_type.is_some()), (16, true), "{name}: {details:?}");
                assert_eq!(details.metadata.get("owner").map(String::as_str), Some("data-team"), "{name}");
                let tags = details.tags.as_ref().unwrap_or_else(|e| panic!("{name}: tags: {e}"));
                assert_eq!(tags.len(), 2, "{name}: every tag: {tags:?}");
            }
            other => panic!("{name}: expected details, got {other:?}"),
        }

        if name == "latency" {
            continue;
        }
        let proxy = Proxy::start(testbed().endpoint(), faulty(object, fault, usize::MAX));
        let (_dir, mut worker) = worker_via(&proxy).await;
        worker.requests.send(details_request(1)).unwrap();
        match answer(&mut worker, 1).await {
            Response::Details { result: Err(failure), .. } => {
                assert!(!name.contains("body") && !name.contains("XML"), "{name}: HEAD has no body to break");
                assert_names_endpoint_and_operation(&failure.message, &proxy.url(), "HeadObject");
            }
            // A HEAD answer has no body to cut: the tags, read with a GET, are what breaks.
            Response::Details { result: Ok(details), .. } if name.contains("body") || name.contains("XML") => {
                let message = details.tags.expect_err("the tags cannot be read");
                assert_names_endpoint_and_operation(&message, &proxy.url(), "GetObjectTagging");
            }
            other => panic!("{name}: expected a failure, got {other:?}"),
        }
    }
}

/// What moto holds for `key` of demo-data.
async fn server_bytes(key: &str) -> Vec<u8> {
    let (_dir, admin) = admin().await;
    let out = admin.s3.get_object().bucket("demo-data").key(key).send().await.unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

fn download(id: u64, dest: &Path) -> Request {
    Request::Download {
        id: RequestId(id),
        identity: "admin".into(),
        bucket: "demo-data".into(),
        what: DownloadWhat::Object { key: "shared/preview/long.txt".into(), version_id: None },
        dest_dir: dest.to_path_buf(),
        overwrite: false,
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_retry_each_fault_or_name_what_failed() {
    let expected = server_bytes("shared/preview/long.txt").await;
    let get = |r: &RequestHead| r.method == "GET" && r.path().ends_with("/long.txt");
    // "truncated XML" cuts the object's body and frames it as whole (a lying Content-Length):
    // the file's check against the object catches it, and one download from the start passes.
    for (name, fault) in transient_faults() {
        let proxy = Proxy::start(testbed().endpoint(), faulty(get, fault.clone(), 1));
        let (_dir, mut worker) = worker_via(&proxy).await;
        let dest = tempfile::tempdir().unwrap();
        worker.requests.send(download(1, dest.path())).unwrap();
        match answer(&mut worker, 1).await {
            Response::TransferDone { result: Ok(summary), .. } => {
                assert_eq!((summary.files, summary.problems.len()), (1, 0), "{name}: {summary:?}")
            }
            other => panic!("{name}: expected the download, got {other:?}"),
        }
        let got = std::fs::read(dest.path().join("long.txt")).unwrap();
        assert!(got == expected, "{name}: the file is the object, byte for byte");
        assert_eq!(files_in(dest.path()), ["long.txt"], "{name}: no partial file left");

        if name == "latency" {
            continue;
        }
        let proxy = Proxy::start(testbed().endpoint(), faulty(get, fault, usize::MAX));
        let (_dir, mut worker) = worker_via(&proxy).await;
        let dest = tempfile::tempdir().unwrap();
        worker.requests.send(download(1, dest.path())).unwrap();
        let message = match answer(&mut worker, 1).await {
            Response::TransferDone { result: Err(failure), .. } => failure.message,
            Response::TransferDone { result: Ok(summary), .. } if summary.files == 0 => summary.problems.join("\n"),
            other => panic!("{name}: expected a failure, got {other:?}"),
        };
        assert_names_endpoint_and_operation(&message, &proxy.url(), "GetObject");
        assert_eq!(files_in(dest.path()), Vec::<String>::new(), "{name}: neither file nor partial left");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_retry_each_fault_or_name_what_failed() {
    let (_admin_dir, admin) = admin().await;
    let bucket = format!("faults-up-{}", std::process::id());
    admin.s3.create_bucket().bucket(&bucket).send().await.expect("the test's own bucket");
    let source = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let file = source.path().join("data.bin");
    std::fs::write(&file, &data).unwrap();
    let put = |r: &RequestHead| r.method == "PUT" && r.path().ends_with("/data.bin");
    let upload = |id: u64, prefix: &str| Request::Upload {
        id: RequestId(id),
        identity: "admin".into(),
        bucket: bucket.clone(),
        prefix: prefix.into(),
        source: file.clone(),
    };
    // PutObject's answer has no body to cut.
    let faults = transient_faults().into_iter().filter(|(n, _)| !n.contains("XML") && !n.contains("body"));
    for (n, (name, fault)) in faults.enumerate() {
        let proxy = Proxy::start(testbed().endpoint(), faulty(put, fault.clone(), 1));
        let (_dir, mut worker) = worker_via(&proxy).await;
        let prefix = format!("ok-{n}/");
        worker.requests.send(upload(1, &prefix)).unwrap();
        match answer(&mut worker, 1).await {
            Response::TransferDone { result: Ok(summary), .. } => {
                assert_eq!((summary.files, summary.problems.len()), (1, 0), "{name}: {summary:?}")
            }
            other => panic!("{name}: expected the upload, got {other:?}"),
        }
        let out = admin.s3.get_object().bucket(&bucket).key(format!("{prefix}data.bin")).send().await.unwrap();
        assert!(out.body.collect().await.unwrap().into_bytes() == data[..], "{name}: stored byte for byte");

        if name == "latency" {
            continue;
        }
        let proxy = Proxy::start(testbed().endpoint(), faulty(put, fault, usize::MAX));
        let (_dir, mut worker) = worker_via(&proxy).await;
        let prefix = format!("failed-{n}/");
        worker.requests.send(upload(1, &prefix)).unwrap();
        let message = match answer(&mut worker, 1).await {
            Response::TransferDone { result: Err(failure), .. } => failure.message,
            Response::TransferDone { result: Ok(summary), .. } if summary.files == 0 => summary.problems.join("\n"),
            other => panic!("{name}: expected a failure, got {other:?}"),
        };
        assert_names_endpoint_and_operation(&message, &proxy.url(), "PutObject");
        let stored = admin.s3.list_objects_v2().bucket(&bucket).prefix(&prefix).send().await.unwrap();
        assert_eq!(stored.key_count(), Some(0), "{name}: nothing stored under {prefix}");
    }
}

// --- The terminal UI recovers without restarting ---------------------------------------------

/// The footer's last part: `3 of 5`, `1 of 1,000+ loading…`.
fn progress(screen: &str) -> String {
    let footer = screen.lines().find(|l| l.starts_with("└ sort: ")).unwrap_or_default();
    let footer = footer.trim_start_matches('└').trim_end_matches(['─', '┘']).trim();
    footer.rsplit_once(" · ").map_or("", |(_, p)| p).trim().to_string()
}

#[test]
fn the_ui_survives_the_server_going_away_mid_listing_and_r_lists_again_once_it_is_back() {
    let tb = testbed();
    let gate = Gate::new();
    let held = gate.clone();
    let proxy = Proxy::start(tb.endpoint(), move |r: &RequestHead| {
        if continuation_page(r) && !held.is_released() { Action::hold(&held) } else { Action::Forward }
    });
    let sb = sandbox_via(&proxy);
    let mut cmd = sb.command();
    cmd.args(["--identity", "auditor", "s3://demo-data/logs/"]);
    let term = common::tmux::Tmux::start(&cmd, 160, 40);

    term.wait_until("the first page, the second on its way", |s| progress(s) == "1 of 1,000+ loading…");
    assert!(gate.wait_held(1, common::tmux::DEADLINE), "the second page was asked for");
    proxy.go_down();

    // The retries give up and the screen says which server, for which call.
    let gone = format!("cannot reach {} for ListObjectsV2", proxy.url());
    let screen = term.wait_for(&gone);
    assert!(!progress(&screen).contains("loading"), "no longer waiting for the page:\n{screen}");
    // Still responsive: the cursor moves through what did arrive.
    term.send_keys(&["j"]);
    term.wait_until("the cursor on the second row", |s| progress(s).starts_with("2 of 1,000"));

    gate.release();
    proxy.come_back();
    term.send_keys(&["r"]);
    let screen = term.wait_until("the whole listing", |s| progress(s) == "2 of 2,601");
    assert!(!screen.contains(&gone), "the error is gone once listed again:\n{screen}");
    term.send_keys(&["q"]);
}

// --- Answers that stall: the read_timeout setting ------------------------------------------

/// The standard sandbox through `proxy`, with `line` added to its `[settings]`.
fn sandbox_with_setting(proxy: &Proxy, line: &str) -> Sandbox {
    let tb = testbed();
    let anchor = "allow_short_durations = true\n";
    let text = tb.config_toml().replace(tb.endpoint(), &proxy.url()).replacen(anchor, &format!("{anchor}{line}\n"), 1);
    assert!(text.contains(line), "the setting went into [settings]:\n{text}");
    Sandbox::with_config(tb, &text)
}

#[test]
fn ls_ends_with_a_timeout_naming_the_setting_when_an_answer_never_comes() {
    // Never released: without a read timeout the listing would wait for ever.
    let gate = Gate::new();
    let held = gate.clone();
    let proxy =
        Proxy::start(
            testbed().endpoint(),
            move |r: &RequestHead| {
                if r.is_list_objects_v2() { Action::hold(&held) } else { Action::Forward }
            },
        );
    let run = sandbox_with_setting(&proxy, "read_timeout = \"1s\"").run(&LS);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert_names_endpoint_and_operation(&run.stderr, &proxy.url(), "ListObjectsV2");
    for needle in ["timed out", "no answer within 1s", "read_timeout", "s3://demo-data/logs/"] {
        assert!(run.stderr.contains(needle), "names {needle:?}: {}", run.stderr);
    }
    assert_eq!(run.stdout, "", "nothing listed");
    assert_eq!(gate.arrived() as u32, s3lease::clients::MAX_ATTEMPTS, "each attempt timed out, then it gave up");
    assert!(!gate.is_released());
}

#[test]
fn ls_ends_with_an_error_when_a_pages_body_stops_mid_way() {
    // Never released: the page's head and first bytes come, then nothing.
    let gate = Gate::new();
    let stalled = gate.clone();
    let proxy = Proxy::start(testbed().endpoint(), move |r: &RequestHead| {
        if r.is_list_objects_v2() { Action::Stall { keep: 200, gate: stalled.clone() } } else { Action::Forward }
    });
    let run = sandbox_with_setting(&proxy, "read_timeout = \"1s\"").run(&LS);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert_names_endpoint_and_operation(&run.stderr, &proxy.url(), "ListObjectsV2");
    assert!(run.stderr.contains("s3://demo-data/logs/"), "names what it listed: {}", run.stderr);
    for needle in ["timed out", "stopped part-way", "read_timeout"] {
        assert!(run.stderr.contains(needle), "names {needle:?}: {}", run.stderr);
    }
    assert_eq!(run.stdout, "", "nothing listed from a page that never ended");
    assert!(gate.arrived() >= 1 && !gate.is_released());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_whose_body_stalls_mid_way_times_out_and_leaves_no_file() {
    let size = server_bytes("shared/preview/long.txt").await.len();
    assert!(size > 100, "long.txt is long enough to stall inside ({size} bytes)");
    let gate = Gate::new();
    let held = gate.clone();
    let proxy = Proxy::start(testbed().endpoint(), move |r: &RequestHead| {
        if r.method == "GET" && r.path().ends_with("/long.txt") {
            Action::Stall { keep: 100, gate: held.clone() }
        } else {
            Action::Forward
        }
    });
    let (_dir, catalog) = catalog(testbed(), &proxy.url(), "transfer_concurrency = 1\nread_timeout = \"1s\"", "");
    let aws = s3lease::clients::AwsContext::new(&catalog.settings).await;
    let mut worker = worker::spawn(s3lease::credentials::SessionManager::new(catalog, aws));
    let dest = tempfile::tempdir().unwrap();
    worker.requests.send(download(1, dest.path())).unwrap();
    let message = match answer(&mut worker, 1).await {
        Response::TransferDone { result: Err(failure), .. } => failure.message,
        other => panic!("expected the download to fail, got {other:?}"),
    };
    assert_names_endpoint_and_operation(&message, &proxy.url(), "GetObject");
    for needle in
        ["s3://demo-data/shared/preview/long.txt", "timed out", "the body stopped coming after", "read_timeout"]
    {
        assert!(message.contains(needle), "names {needle:?}: {message}");
    }
    assert_eq!(files_in(dest.path()), Vec::<String>::new(), "neither file nor partial left");
    // Picked up from where it stalled, each time: the first GET whole, the others from the
    // end of what had arrived (each answer stalls after 100 bytes of its own).
    let ranges: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|s| s.method == "GET")
        .map(|g| g.request.header("range").map(str::to_string))
        .collect();
    assert!(ranges.len() >= 2 && ranges[0].is_none(), "whole, then resumed: {ranges:?}");
    let offsets: Vec<u64> = ranges[1..]
        .iter()
        .map(|r| {
            let r = r.as_deref().unwrap_or_else(|| panic!("a resume asks for a range: {ranges:?}"));
            r.strip_prefix("bytes=").and_then(|r| r.strip_suffix('-')).and_then(|n| n.parse().ok()).unwrap()
        })
        .collect();
    assert!(offsets.iter().all(|o| o % 100 == 0 && *o > 0), "from where the bytes on disk end: {ranges:?}");
    assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "never going back: {ranges:?}");
}
