//! Downloads through the worker against moto: an object byte for byte, a prefix with its
//! tree, existing files kept unless replacing was asked for, and a cancel that leaves nothing.

mod common;

use std::time::Duration;

use common::proxy::{Action, Gate, Proxy, RequestHead};
use common::*;
use s3lease::worker::{self, DownloadWhat, Request, RequestId, Response, WorkerHandle};

async fn done(worker: &mut WorkerHandle, id: u64) -> Result<worker::TransferSummary, worker::Failure> {
    match answer(worker, id).await {
        Response::TransferDone { result, .. } => result,
        other => panic!("expected the end of transfer {id}, got {other:?}"),
    }
}

fn download(id: u64, what: DownloadWhat, dest: &std::path::Path, overwrite: bool) -> Request {
    Request::Download {
        id: RequestId(id),
        identity: "auditor".into(),
        bucket: "demo-data".into(),
        what,
        dest_dir: dest.to_path_buf(),
        overwrite,
    }
}

fn object(key: &str) -> DownloadWhat {
    DownloadWhat::Object { key: key.into(), version_id: None }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_and_prefixes_download_and_existing_files_are_kept() {
    let tb = testbed();
    let (_dir, manager) = session_manager(tb, tb.endpoint(), "").await;
    let mut worker = worker::spawn(manager);
    let dest = tempfile::tempdir().unwrap();
    worker.requests.send(download(1, object("shared/preview/long.txt"), dest.path(), false)).unwrap();
    let summary = done(&mut worker, 1).await.unwrap_or_else(|f| panic!("{}", f.message));
    assert_eq!((summary.files, summary.bytes), (1, 124_000));
    let expected: String = (0..4000).map(|i| format!("line {i:05} of the long preview\n")).collect();
    assert_eq!(std::fs::read(dest.path().join("long.txt")).unwrap(), expected.as_bytes());

    std::fs::write(dest.path().join("long.txt"), b"mine").unwrap();
    worker.requests.send(download(2, object("shared/preview/long.txt"), dest.path(), false)).unwrap();
    let refused = done(&mut worker, 2).await.expect_err("an existing file is not replaced without asking");
    assert!(refused.message.contains("long.txt"), "{}", refused.message);
    assert_eq!(std::fs::read(dest.path().join("long.txt")).unwrap(), b"mine");
    worker.requests.send(download(3, object("shared/preview/long.txt"), dest.path(), true)).unwrap();
    done(&mut worker, 3).await.unwrap_or_else(|f| panic!("{}", f.message));
    assert_eq!(std::fs::read(dest.path().join("long.txt")).unwrap(), expected.as_bytes(), "replaced when asked");

    let tree = tempfile::tempdir().unwrap();
    worker.requests.send(download(4, DownloadWhat::Prefix { prefix: "shared/".into() }, tree.path(), false)).unwrap();
    let summary = done(&mut worker, 4).await.unwrap_or_else(|f| panic!("{}", f.message));
    assert_eq!(summary.files, 4, "{summary:?}");
    assert!(summary.problems.is_empty(), "{summary:?}");
    for file in
        ["shared/handbook.md", "shared/preview/tagged.csv", "shared/preview/long.txt", "shared/preview/blob.bin"]
    {
        assert!(tree.path().join(file).is_file(), "{file} downloaded into its folder");
    }
    let blob: Vec<u8> = (0..8).flat_map(|_| 0u8..=255).collect();
    assert_eq!(std::fs::read(tree.path().join("shared/preview/blob.bin")).unwrap(), blob);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_download_leaves_nothing_behind() {
    let tb = testbed();
    let gate = Gate::new();
    let held = gate.clone();
    let proxy = Proxy::start(tb.endpoint(), move |r: &RequestHead| {
        if r.method == "GET" && r.path().ends_with("/long.txt") { Action::hold(&held) } else { Action::Forward }
    });
    let (_dir, manager) = session_manager(tb, &proxy.url(), "").await;
    let mut worker = worker::spawn(manager);
    let dest = tempfile::tempdir().unwrap();
    worker.requests.send(download(1, object("shared/preview/long.txt"), dest.path(), false)).unwrap();
    assert!(gate.wait_held(1, Duration::from_secs(60)), "the GET reached the proxy");
    worker.requests.send(Request::Cancel { id: RequestId(1) }).unwrap();
    let cancelled = done(&mut worker, 1).await.expect_err("cancelled");
    assert!(cancelled.message.to_lowercase().contains("cancel"), "{}", cancelled.message);
    gate.release();
    let left: Vec<_> = std::fs::read_dir(dest.path()).unwrap().collect();
    assert!(left.is_empty(), "no partial or final file left: {left:?}");
}
