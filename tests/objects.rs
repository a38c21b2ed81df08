//! Object actions through the worker against moto: details with tags and metadata, previews by
//! ranged GET (never the whole object), and presigned URLs that a plain HTTP client can fetch,
//! their lifetime capped at the credentials' expiry.

mod common;

use std::time::Duration;

use common::proxy::Proxy;
use common::*;
use s3lease::worker::{self, Request, RequestId, Response, WorkerHandle};

fn send(worker: &WorkerHandle, request: Request) {
    worker.requests.send(request).expect("worker running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_show_metadata_and_tags() {
    let tb = testbed();
    let (_dir, manager) = session_manager(tb, tb.endpoint(), "").await;
    let mut worker = worker::spawn(manager);
    let request = |id, key: &str| Request::ObjectDetails {
        version_id: None,
        id: RequestId(id),
        identity: "admin-role".into(),
        bucket: "demo-data".into(),
        key: key.into(),
    };
    send(&worker, request(1, "shared/preview/tagged.csv"));
    let Response::Details { result: Ok(details), .. } = answer(&mut worker, 1).await else { panic!("details") };
    assert_eq!(details.size, 16);
    assert_eq!(details.metadata.get("owner").map(String::as_str), Some("data-team"));
    let tags = details.tags.as_ref().expect("admin-role may read tags");
    assert_eq!(tags.get("classification").map(String::as_str), Some("internal"));
    assert_eq!(tags.get("team").map(String::as_str), Some("data"));
    assert!(details.etag.as_ref().is_some_and(|e| !e.contains('"')), "{:?}", details.etag);
    assert_eq!(details.storage_class.as_deref(), Some("STANDARD"));

    send(&worker, request(2, "shared/preview/missing.txt"));
    let Response::Details { result: Err(failure), .. } = answer(&mut worker, 2).await else { panic!("a failure") };
    assert!(failure.message.contains("HeadObject"), "{}", failure.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previews_read_64_kib_at_a_time() {
    let tb = testbed();
    let proxy = Proxy::forwarding(tb.endpoint());
    let (_dir, manager) = session_manager(tb, &proxy.url(), "").await;
    let mut worker = worker::spawn(manager);
    let read = |id, start| Request::ReadRange {
        version_id: None,
        id: RequestId(id),
        identity: "auditor".into(),
        bucket: "demo-data".into(),
        key: "shared/preview/long.txt".into(),
        start,
        len: 65536,
    };
    send(&worker, read(1, 0));
    let Response::Range { result: Ok(first), .. } = answer(&mut worker, 1).await else { panic!("a chunk") };
    assert_eq!((first.start, first.data.len(), first.total), (0, 65536, 124_000));
    assert!(first.data.starts_with(b"line 00000 of the long preview\n"));
    send(&worker, read(2, 65536));
    let Response::Range { result: Ok(second), .. } = answer(&mut worker, 2).await else { panic!("a chunk") };
    assert_eq!((second.start, second.data.len()), (65536, 124_000 - 65536));
    let whole: Vec<u8> = [first.data, second.data].concat();
    let expected: String = (0..4000).map(|i| format!("line {i:05} of the long preview\n")).collect();
    assert_eq!(whole, expected.as_bytes(), "the two chunks are the object, byte for byte");
    let ranges: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|s| s.request.path().ends_with("long.txt"))
        .filter_map(|s| s.request.header("range").map(str::to_string))
        .collect();
    assert_eq!(ranges, ["bytes=0-65535", "bytes=65536-131071"], "ranged GETs only, never the whole object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_urls_work_for_a_plain_client_and_never_outlive_the_credentials() {
    let tb = testbed();
    let (_dir, manager) = session_manager(tb, tb.endpoint(), "").await;
    let mut worker = worker::spawn(manager);
    // auditor's session lasts 1h: a 7-day link is cut to what is left, a 15-minute one is not.
    for (id, asked, capped) in [(1, 7 * 86400, true), (2, 900, false)] {
        send(
            &worker,
            Request::Presign {
                id: RequestId(id),
                identity: "auditor".into(),
                bucket: "demo-data".into(),
                key: "shared/preview/tagged.csv".into(),
                lifetime: Duration::from_secs(asked),
            },
        );
        let Response::Presigned { result: Ok(link), .. } = answer(&mut worker, id).await else { panic!("a link") };
        assert_eq!(link.capped, capped, "{link:?}");
        assert!(link.lifetime <= Duration::from_secs(3600), "{link:?}");
        let expires: u64 = link
            .url
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("X-Amz-Expires="))
            .and_then(|v| v.parse().ok())
            .expect("X-Amz-Expires in the URL");
        assert_eq!(expires, link.lifetime.as_secs(), "the URL says what the app says");
        // A plain HTTP client, no AWS SDK, fetches it.
        let out = std::process::Command::new(venv().join("bin/python"))
            .args([
                "-c",
                "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())",
            ])
            .arg(&link.url)
            .output()
            .expect("python runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout, b"id,name\n1,alpha\n");
    }
}
