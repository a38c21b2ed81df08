//! A server whose continuation tokens go round in a cycle (A→B→A, A→B→C→A): every listing
//! stops with a clear error at the page that points back, instead of following the cycle
//! forever. The test proxy answers ListObjectsV2 on the buckets below with canned pages keyed
//! by the continuation token asked with; STS goes through to moto. Covered: `s3lease ls`, plain
//! and recursive (the walk's level and its folder ranges), the walk itself, and the worker's
//! find, prefix download, prefix delete and the TUI's listing through the real event loop.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::hostile::assert_clean;
use common::proxy::{Action, Canned, Proxy, RequestHead};
use common::*;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use s3lease::app::listing::{LoadState, Location};
use s3lease::app::{App, AppConfig};
use s3lease::credentials::mfa::GivenCode;
use s3lease::keymap::Keymap;
use s3lease::s3::walk::{Target, WalkOptions, walk};
use s3lease::worker::{self, DeleteWhat, DownloadWhat, Request, RequestId, Response};
use tokio::sync::{mpsc, watch};

const DEADLINE: Duration = Duration::from_secs(60);

/// The n-th token a cycling server hands out: as long as S3's, so the error must not carry it.
fn token(n: usize) -> String {
    format!("{n}{}", "c3RpbGwgdGhlIHNhbWUgcGFnZXM".repeat(4))
}

/// Page `page` (0 is the first, asked for without a token) of a listing under `prefix` whose
/// tokens cycle through `len`: its two keys and the token it points on to.
fn cycle_page(prefix: &str, page: usize, len: usize) -> (Vec<String>, String) {
    let keys = vec![format!("{prefix}k{page}a"), format!("{prefix}k{page}b")];
    (keys, token(page % len + 1))
}

fn xml(body: String) -> Canned {
    Canned::new(200, format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}"))
        .header("Content-Type", "application/xml")
}

/// A ListObjectsV2 answer; truncated when `next` is given.
fn listing(bucket: &str, prefixes: &[&str], keys: &[String], next: Option<&str>) -> Canned {
    let paging = match next {
        Some(t) => format!("<IsTruncated>true</IsTruncated><NextContinuationToken>{t}</NextContinuationToken>"),
        None => "<IsTruncated>false</IsTruncated>".to_string(),
    };
    let contents: String = keys
        .iter()
        .map(|k| {
            format!(
                "<Contents><Key>{k}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
                 <ETag>&quot;0&quot;</ETag><Size>7</Size><StorageClass>STANDARD</StorageClass></Contents>"
            )
        })
        .collect();
    let common: String =
        prefixes.iter().map(|p| format!("<CommonPrefixes><Prefix>{p}</Prefix></CommonPrefixes>")).collect();
    xml(format!(
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{bucket}</Name><Prefix></Prefix>\
         {paging}<MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>{contents}{common}</ListBucketResult>"
    ))
}

/// Cycling pages the proxy serves in all; past them it answers a last, empty page. A client
/// that follows the cycle then ends (and fails its test) instead of hanging it.
const CYCLING_PAGES: usize = 200;

/// The cycling page asked for by `r`, under `prefix`, for a cycle of `len` tokens.
fn cycling(bucket: &str, r: &RequestHead, prefix: &str, len: usize) -> Canned {
    static SERVED: AtomicUsize = AtomicUsize::new(0);
    if SERVED.fetch_add(1, Ordering::SeqCst) >= CYCLING_PAGES {
        return listing(bucket, &[], &[], None);
    }
    let page = match r.query_param("continuation-token") {
        None => 0,
        Some(asked) => (1..=len).find(|&n| token(n) == asked).unwrap_or_else(|| panic!("an unknown token {asked}")),
    };
    let (keys, next) = cycle_page(prefix, page, len);
    listing(bucket, &[], &keys, Some(&next))
}

/// `cycle-two` and `cycle-three` cycle at the top level, whatever the delimiter. `cycle-folder`
/// has folders `f/` (cycling) and `g/` (one page) and an object `top`, so a recursive listing
/// meets the cycle in a folder range; listed flat from the top it cycles under `f/`.
fn rule(r: &RequestHead) -> Action {
    if r.method == "GET" && r.has_query_key("versions") && r.path().trim_matches('/') == "cycle-versions" {
        return Action::respond(versions(r));
    }
    if !r.is_list_objects_v2() {
        return Action::Forward;
    }
    let bucket = r.path().trim_matches('/');
    let prefix = r.query_param("prefix").unwrap_or_default();
    let delimited = r.query_param("delimiter").is_some();
    Action::respond(match (bucket, prefix.as_str()) {
        ("cycle-two", _) => cycling(bucket, r, "", 2),
        ("cycle-three", _) => cycling(bucket, r, "", 3),
        ("cycle-folder", "") if delimited => listing(bucket, &["f/", "g/"], &["top".to_string()], None),
        ("cycle-folder", "g/") => listing(bucket, &[], &["g/x".to_string()], None),
        ("cycle-folder", _) => cycling(bucket, r, "f/", 2),
        _ => return Action::Forward,
    })
}

/// ListObjectVersions of `report` in `cycle-versions`: one version a page, the version-id
/// markers going v1→v2→v1.
fn versions(r: &RequestHead) -> Canned {
    let page = match r.query_param("version-id-marker").as_deref() {
        None => 0,
        Some("v1") => 1,
        Some(_) => 2,
    };
    let next = ["v1", "v2", "v1"][page];
    xml(format!(
        "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>cycle-versions</Name>\
         <Prefix>report</Prefix><NextKeyMarker>report</NextKeyMarker><NextVersionIdMarker>{next}</NextVersionIdMarker>\
         <MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><EncodingType>url</EncodingType>\
         <Version><Key>report</Key><VersionId>p{page}</VersionId><IsLatest>false</IsLatest>\
         <LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;0&quot;</ETag><Size>7</Size>\
         <StorageClass>STANDARD</StorageClass></Version></ListVersionsResult>"
    ))
}

fn proxy() -> Proxy {
    Proxy::start(testbed().endpoint(), rule)
}

/// The keys listed before the page that points back: every page of the cycle once.
fn before_the_repeat(prefix: &str, len: usize) -> Vec<String> {
    (0..len).flat_map(|page| cycle_page(prefix, page, len).0).collect()
}

/// The clear error, naming the endpoint and the pages, and that s3lease stopped.
fn refusal(url: &str, len: usize) -> String {
    format!(
        "at {url} failed: the answer from {url} is malformed: it has a continuation token it had already given \
         (page {} gave the one page 1 gave); s3lease stopped rather than loop over the same pages",
        len + 1
    )
}

/// ListObjectsV2 requests of `bucket` under `prefix` the proxy saw.
fn listings_of(proxy: &Proxy, bucket: &str, prefix: &str) -> usize {
    proxy
        .requests()
        .iter()
        .filter(|s| s.request.is_list_objects_v2() && s.request.path().trim_matches('/') == bucket)
        .filter(|s| s.request.query_param("prefix").unwrap_or_default() == prefix)
        .count()
}

fn assert_no_token(what: &str, text: &str) {
    for n in 1..=3 {
        assert!(!text.contains(&token(n)), "{what} shows token {n}:\n{text}");
    }
}

#[test]
fn ls_stops_at_the_page_that_points_back_and_prints_each_page_once() {
    let proxy = proxy();
    let tb = testbed();
    let sb = Sandbox::with_config(tb, &tb.config_toml().replace(tb.endpoint(), &proxy.url()));
    let cases = [
        ("cycle-two", false, "", 2),
        ("cycle-two", true, "", 2),
        ("cycle-three", false, "", 3),
        ("cycle-three", true, "", 3),
        // The walk's range for f/ meets the cycle; `top` and g/ come after it and never print.
        ("cycle-folder", true, "f/", 2),
    ];
    for (bucket, recursive, prefix, len) in cases {
        let uri = format!("s3://{bucket}/");
        let mut args = vec!["ls", "--identity", "admin-role"];
        if recursive {
            args.push("--recursive");
        }
        args.push(&uri);
        let what = args.join(" ");
        let before = listings_of(&proxy, bucket, prefix);
        let run = sb.run(&args);
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        let printed: Vec<&str> = run.stdout.lines().map(|l| l.rsplit(' ').next().unwrap_or_default()).collect();
        let mut expected = before_the_repeat(prefix, len);
        if !recursive {
            // Names are relative to the prefix listed, which is the bucket's top here.
            expected = expected.iter().map(|k| k.trim_start_matches(prefix).to_string()).collect();
        }
        assert_eq!(printed, expected, "{what}: exactly the pages before the repeat, each once:\n{}", run.stdout);
        assert!(run.stdout.lines().all(|l| l.contains("          7 ")), "{what}: object lines:\n{}", run.stdout);
        assert!(run.stderr.starts_with("error: ListObjectsV2 on s3://"), "{what}: {}", run.stderr);
        assert!(run.stderr.contains(&refusal(&proxy.url(), len)), "{what}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{what}: one error line: {}", run.stderr);
        assert_no_token(&what, &run.stderr);
        assert_clean(&what, &run.stderr);
        // Every page of the cycle and the one pointing back, and not one more.
        assert_eq!(listings_of(&proxy, bucket, prefix) - before, len + 1, "{what}");
    }
}

/// A session for admin-role through `proxy`, and the directory its profile keys live in.
async fn session(proxy: &Proxy) -> (tempfile::TempDir, std::sync::Arc<s3lease::credentials::Session>) {
    let (dir, mut manager) = session_manager(testbed(), &proxy.url(), "").await;
    let session = manager.start("admin-role", &mut GivenCode::new(None, "none needed")).await.unwrap();
    (dir, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walk_ends_in_the_error_after_each_page_once_at_any_concurrency() {
    let proxy = proxy();
    let (_dir, session) = session(&proxy).await;
    for (bucket, prefix, len) in [("cycle-two", "", 2), ("cycle-three", "", 3), ("cycle-folder", "f/", 2)] {
        for concurrency in [1, 4] {
            let target = Target { client: session.s3.clone(), endpoint: proxy.url(), bucket: bucket.into() };
            let mut pages = walk(target, String::new(), WalkOptions { concurrency, ahead: 2 });
            let (mut keys, mut errors) = (Vec::new(), Vec::new());
            while let Some(page) = tokio::time::timeout(DEADLINE, pages.recv()).await.expect("the walk ends") {
                match page {
                    Ok(objects) => keys.extend(objects.into_iter().map(|o| o.key)),
                    Err(e) => errors.push(e.to_string()),
                }
            }
            let what = format!("{bucket} at concurrency {concurrency}");
            assert_eq!(keys, before_the_repeat(prefix, len), "{what}");
            assert_eq!(errors.len(), 1, "{what}: {errors:?}");
            assert!(errors[0].contains(&refusal(&proxy.url(), len)), "{what}: {}", errors[0]);
            assert_no_token(&what, &errors[0]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_s_versions_stop_when_the_markers_come_round_again() {
    let proxy = proxy();
    let (_dir, session) = session(&proxy).await;
    let listed = tokio::time::timeout(
        DEADLINE,
        s3lease::transfer::list_versions(&session.s3, &proxy.url(), "cycle-versions", "report"),
    )
    .await
    .expect("the listing ends");
    let message = listed.expect_err("a cycle of markers is refused").to_string();
    let url = proxy.url();
    assert!(
        message.contains(&format!(
            "the answer from {url} is malformed: it has a version-id marker it had already given \
             (page 3 gave the one page 1 gave); s3lease stopped rather than loop over the same pages"
        )),
        "{message}"
    );
    let asked = proxy.requests().iter().filter(|s| s.request.has_query_key("versions")).count();
    assert_eq!(asked, 3, "the two pages of the cycle and the one pointing back");
}

/// Waits for the worker's answer to `id` (passing over progress and other answers).
async fn final_answer(handle: &mut worker::WorkerHandle, id: u64, found: &mut Vec<String>) -> Response {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let response = tokio::time::timeout_at(deadline, handle.responses.recv())
            .await
            .unwrap_or_else(|_| panic!("no answer to request {id} within {DEADLINE:?}"))
            .expect("the worker stopped answering");
        match response {
            Response::Found { id: got, batch } if got == RequestId(id) => {
                found.extend(batch.matches.into_iter().map(|o| o.key));
            }
            Response::TransferProgress { .. } => {}
            other if other.id() == Some(RequestId(id)) => return other,
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workers_find_download_and_delete_answer_with_the_error() {
    let proxy = proxy();
    let tb = testbed();
    let (_dir, manager) = session_manager(tb, &proxy.url(), "").await;
    let mut handle = worker::spawn(manager);
    let dest = tempfile::tempdir().expect("a destination");
    let identity = || "admin-role".to_string();
    let bucket = || "cycle-three".to_string();
    let requests = [
        Request::Find {
            id: RequestId(1),
            identity: identity(),
            bucket: bucket(),
            prefix: "".into(),
            needle: "k".into(),
            limit: 100,
        },
        Request::Download {
            id: RequestId(2),
            identity: identity(),
            bucket: bucket(),
            what: DownloadWhat::Prefix { prefix: "".into() },
            dest_dir: dest.path().to_path_buf(),
            overwrite: false,
        },
        Request::Delete {
            id: RequestId(3),
            identity: identity(),
            bucket: bucket(),
            what: DeleteWhat::Prefix("".into()),
        },
    ];
    for request in requests {
        let id = request.id().0;
        handle.requests.send(request).expect("the worker is running");
        let mut found = Vec::new();
        let failure = match final_answer(&mut handle, id, &mut found).await {
            Response::FindDone { result: Err(f), .. } => {
                assert_eq!(found, before_the_repeat("", 3), "the find keeps what it found before the repeat");
                f
            }
            Response::TransferDone { result: Err(f), .. } | Response::Deleted { result: Err(f), .. } => f,
            other => panic!("request {id}: not a failure: {other:?}"),
        };
        assert!(failure.message.contains(&refusal(&proxy.url(), 3)), "request {id}: {}", failure.message);
        assert_no_token(&format!("request {id}"), &failure.message);
    }
    assert_eq!(std::fs::read_dir(dest.path()).expect("the destination").count(), 0, "nothing was downloaded");
    // Past the listings, only the bucket's region is looked up (HeadBucket): no object is
    // fetched or deleted.
    let touched: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|s| s.is_s3() && !s.request.is_list_objects_v2())
        .map(|s| format!("{} {}", s.request.method, s.request.target))
        .filter(|r| r != "HEAD /cycle-three/")
        .collect();
    assert!(touched.is_empty(), "{touched:?}");
}

/// What the test follows of the app through the event loop.
#[derive(Debug, Clone, Default)]
struct View {
    load: Option<LoadState>,
    keys: Vec<String>,
    notice: Option<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_shows_the_error_in_its_status_line_and_keeps_what_it_listed() {
    let proxy = proxy();
    let tb = testbed();
    let (_dir, catalog) = catalog(tb, &proxy.url(), "", "");
    let aws = s3lease::clients::AwsContext::new(&catalog.settings).await;
    let manager = s3lease::credentials::SessionManager::new(catalog.clone(), aws);
    let keymap = Keymap::with_overrides(&catalog.keys).unwrap_or_else(|e| panic!("{e}"));
    let start = Location::Prefix { bucket: "cycle-two".into(), prefix: "".into() };
    let config = AppConfig::for_catalog(&catalog, "admin-role", start, keymap, None::<String>);

    let (keys_tx, keys_rx) = mpsc::unbounded_channel::<s3lease::error::Result<Event>>();
    let events = Box::pin(futures::stream::unfold(keys_rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) }));
    let (view_tx, mut view) = watch::channel(View::default());
    let observe = move |app: &App| {
        view_tx.send_replace(View {
            load: Some(app.listing.load.clone()),
            keys: app.listing.entries.iter().map(|e| e.key().to_string()).collect(),
            notice: app.notice.as_ref().map(|n| n.text.clone()),
        });
    };
    let terminal = Terminal::new(TestBackend::new(200, 30)).expect("a test terminal");
    let tick = Duration::from_millis(200);
    let task = tokio::spawn(s3lease::runtime::run_loop(terminal, events, manager, config, tick, observe));

    let failed = tokio::time::timeout(DEADLINE, view.wait_for(|v| matches!(v.load, Some(LoadState::Failed(_)))))
        .await
        .expect("the listing fails rather than loop")
        .expect("the event loop is running")
        .clone();
    let Some(LoadState::Failed(message)) = &failed.load else { unreachable!() };
    assert!(message.contains(&refusal(&proxy.url(), 2)), "{message}");
    assert_eq!(failed.notice.as_deref(), Some(message.as_str()), "the status line says it");
    assert_eq!(failed.keys, before_the_repeat("", 2), "what came before the repeat stays, once");
    assert_eq!(listings_of(&proxy, "cycle-two", ""), 3, "no page asked for after the repeat");

    keys_tx.send(Ok(Event::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)))).expect("running");
    let app = tokio::time::timeout(DEADLINE, task).await.expect("q quits").expect("no panic").expect("no error");
    let mut screen = Terminal::new(TestBackend::new(200, 30)).expect("a test terminal");
    screen.draw(|f| s3lease::ui::render(&app, f)).expect("drawn");
    let text: String = screen
        .backend()
        .buffer()
        .content()
        .chunks(200)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
        .collect();
    assert!(text.contains("is malformed: it has a continuation token it had already given"), "{text}");
    assert_no_token("the screen", &text);
}
