//! The transfer engine against moto: multipart uploads and streamed downloads compared byte
//! for byte, resume and its protection against a changed object, cancellation and its
//! clean-up, directory trees with odd names, batch deletes, and version listings. Every test
//! works in a bucket of its own on the shared server, with a proxy in front to see (or fake)
//! what went over the wire.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::primitives::ByteStream;
use common::proxy::{Action, Canned, Outcome, Proxy, Seen};
use common::*;
use futures::StreamExt;
use s3lease::aws_error::AwsErrorKind;
use s3lease::credentials::Session;
use s3lease::credentials::mfa::GivenCode;
use s3lease::transfer::*;

const MIB: usize = 1024 * 1024;

async fn admin(endpoint: &str) -> (tempfile::TempDir, Arc<Session>) {
    let (dir, mut manager) = session_manager(testbed(), endpoint, "").await;
    let session = manager.start("admin-role", &mut GivenCode::new(None, "x")).await.unwrap_or_else(|e| panic!("{e}"));
    (dir, session)
}

/// Where each test starts: a proxy in front of moto to see (or fake) what goes over the wire,
/// an admin session whose calls go through it, a bucket of the test's own and an empty local
/// directory.
struct Setup {
    proxy: Proxy,
    endpoint: String,
    session: Arc<Session>,
    bucket: String,
    local: tempfile::TempDir,
    /// Keeps the admin's profile files alive.
    _profiles: tempfile::TempDir,
}

impl Setup {
    /// Through a proxy that forwards everything.
    async fn new() -> Setup {
        Setup::via(Proxy::forwarding(testbed().endpoint())).await
    }

    async fn via(proxy: Proxy) -> Setup {
        let endpoint = proxy.url();
        let (_profiles, session) = admin(&endpoint).await;
        let bucket = new_bucket(&session.s3).await;
        let local = tempfile::tempdir().expect("temp dir");
        Setup { proxy, endpoint, session, bucket, local, _profiles }
    }

    /// `data` written to `name` in the local directory, to upload.
    fn source(&self, name: &str, data: &[u8]) -> PathBuf {
        let src = self.local.path().join(name);
        std::fs::write(&src, data).expect("write source");
        src
    }
}

/// A name no other test (or run) uses.
fn unique(stem: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    format!("{stem}-{:016x}", hasher.finish())
}

async fn new_bucket(s3: &aws_sdk_s3::Client) -> String {
    let bucket = unique("transfers");
    s3.create_bucket().bucket(&bucket).send().await.unwrap_or_else(|e| panic!("create {bucket}: {e:?}"));
    bucket
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &[u8]) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key:?}: {e:?}"));
}

/// Deterministic bytes that no compression or repetition could fake.
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A reporter that keeps every update.
fn recorder<T: Send + 'static>() -> (Reporter<T>, Arc<Mutex<Vec<T>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (Reporter::new(move |update| sink.lock().expect("lock").push(update)), seen)
}

/// A reporter that cancels once the first bytes have been transferred.
fn cancel_after_first_bytes(cancel: &Cancel) -> Reporter<Progress> {
    let cancel = cancel.clone();
    Reporter::new(move |p: Progress| {
        if p.bytes_done > 0 {
            cancel.cancel();
        }
    })
}

/// Download options that cancel once the first bytes have come, keeping the partial file for a
/// later resume or not.
fn cancelled_download(keep_partial_for_resume: bool) -> DownloadOptions {
    let cancel = Cancel::new();
    DownloadOptions {
        keep_partial_for_resume,
        progress: cancel_after_first_bytes(&cancel),
        cancel,
        ..DownloadOptions::default()
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every file below `root`, by relative path with `/` separators.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).expect("below root");
                let key = relative.iter().map(|s| s.to_string_lossy()).collect::<Vec<_>>().join("/");
                files.insert(key, std::fs::read(&path).expect("read"));
            }
        }
    }
    files
}

fn requests_for<'a>(log: &'a [Seen], key_suffix: &str) -> impl Iterator<Item = &'a Seen> {
    let suffix = key_suffix.to_string();
    log.iter().filter(move |s| s.request.path().ends_with(&suffix))
}

fn gets(log: &[Seen], key_suffix: &str) -> Vec<Seen> {
    requests_for(log, key_suffix).filter(|s| s.method == "GET").cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfer_multipart_upload_and_streamed_download_round_trip_byte_for_byte() {
    let fx = Setup::new().await;
    let s3 = &fx.session.s3;
    let data = pseudo_random(12 * MIB, 1);
    let src = fx.source("big.bin", &data);

    let (progress, updates) = recorder();
    let opts = UploadOptions { progress, ..UploadOptions::default() };
    let key = "big/object.bin";
    let report = upload_file(s3, &fx.endpoint, &fx.bucket, key, &src, &opts).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.bytes, report.parts), (data.len() as u64, 2), "8 MiB parts: 8 + 4");
    let log = fx.proxy.requests();
    let calls: Vec<_> = requests_for(&log, key).collect();
    let created = calls.iter().filter(|s| s.method == "POST" && s.request.has_query_key("uploads")).count();
    let mut parts: Vec<String> = calls
        .iter()
        .filter(|s| s.method == "PUT")
        .map(|s| s.request.query_param("partNumber").expect("every PUT is an UploadPart"))
        .collect();
    parts.sort();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let completed = calls.iter().filter(|s| s.method == "POST" && s.request.has_query_key("uploadId")).count();
    assert_eq!((created, parts.as_slice(), completed), (1, ["1", "2"].as_slice(), 1), "{calls:#?}");
    let updates = updates.lock().expect("lock").clone();
    assert!(updates.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done), "{updates:?}");
    assert_eq!(updates.last(), Some(&Progress { bytes_done: 12 * MIB as u64, bytes_total: 12 * MIB as u64 }));

    let dest_dir = fx.local.path().join("out/nested");
    let dest = dest_dir.join("big.bin");
    let (progress, updates) = recorder();
    let opts = DownloadOptions { progress, ..DownloadOptions::default() };
    let report =
        download_object(s3, &fx.endpoint, &fx.bucket, key, &dest, &opts).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.bytes, report.resumed_from), (data.len() as u64, 0));
    assert!(std::fs::read(&dest).expect("downloaded") == data, "the download is the object, byte for byte");
    assert_eq!(names_in(&dest_dir), ["big.bin"], "no partial file or ETag record left behind");
    let updates = updates.lock().expect("lock").clone();
    assert!(updates.len() > 2, "progress came chunk by chunk, not once at the end: {updates:?}");
    assert!(updates.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done), "{updates:?}");
    assert_eq!(updates.last(), Some(&Progress { bytes_done: 12 * MIB as u64, bytes_total: 12 * MIB as u64 }));
    let downloads = gets(&fx.proxy.requests(), key);
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0].request.header("range"), None, "a fresh download asks for the whole object");

    // An existing file stays as it is, and nothing is even fetched, unless overwriting is allowed.
    std::fs::write(&dest, b"mine").expect("write");
    let err = download_object(s3, &fx.endpoint, &fx.bucket, key, &dest, &DownloadOptions::default())
        .await
        .expect_err("the file exists");
    assert_eq!(err.kind, TransferErrorKind::AlreadyExists, "{err}");
    assert_eq!(std::fs::read(&dest).expect("read"), b"mine");
    assert_eq!(gets(&fx.proxy.requests(), key).len(), 1, "refused before any request");
    let opts = DownloadOptions { overwrite: true, ..DownloadOptions::default() };
    download_object(s3, &fx.endpoint, &fx.bucket, key, &dest, &opts).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(std::fs::read(&dest).expect("downloaded") == data, "replaced by the object");
    assert_eq!(names_in(&dest_dir), ["big.bin"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_small_files_go_in_one_put_and_a_missing_file_names_its_path() {
    let fx = Setup::new().await;
    let s3 = &fx.session.s3;
    let data = pseudo_random(100_000, 2);
    let src = fx.source("small.bin", &data);
    let report = upload_file(s3, &fx.endpoint, &fx.bucket, "small.bin", &src, &UploadOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.bytes, report.parts), (100_000, 0));
    let log = fx.proxy.requests();
    let calls: Vec<_> = requests_for(&log, "/small.bin").collect();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].method, "PUT");
    assert!(!calls[0].request.has_query_key("partNumber") && !calls[0].request.has_query_key("uploadId"));
    let got = s3.get_object().bucket(&fx.bucket).key("small.bin").send().await.expect("get");
    assert!(got.body.collect().await.expect("body").into_bytes() == data);

    let missing = fx.local.path().join("absent.bin");
    let err = upload_file(s3, &fx.endpoint, &fx.bucket, "absent.bin", &missing, &UploadOptions::default())
        .await
        .expect_err("no such file");
    assert!(matches!(&err.kind, TransferErrorKind::Io { kind: std::io::ErrorKind::NotFound, .. }), "{err:?}");
    assert!(err.to_string().contains(&missing.display().to_string()), "{err}");
    assert_eq!(err.op, TransferOp::Upload);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_a_kept_partial_resumes_with_a_ranged_if_match_get() {
    let fx = Setup::new().await;
    let s3 = &fx.session.s3;
    let data = pseudo_random(6 * MIB, 3);
    let key = "resume/object.bin";
    put(s3, &fx.bucket, key, &data).await;
    let dest = fx.local.path().join("object.bin");
    let partial = partial_path(&dest).expect("a file name");

    let opts = cancelled_download(true);
    let err = download_object(s3, &fx.endpoint, &fx.bucket, key, &dest, &opts).await.expect_err("cancelled");
    assert!(err.is_cancelled(), "{err}");
    assert!(!dest.exists(), "nothing under the final name");
    let kept = std::fs::read(&partial).expect("the partial file was kept");
    assert!(!kept.is_empty() && kept.len() < data.len(), "kept {} bytes", kept.len());
    assert!(kept == data[..kept.len()], "the partial holds the object's first bytes");
    assert_eq!(names_in(fx.local.path()), [".object.bin.s3lease-partial", ".object.bin.s3lease-partial.etag"]);

    let (progress, updates) = recorder();
    let opts = DownloadOptions { resume: true, progress, ..DownloadOptions::default() };
    let report =
        download_object(s3, &fx.endpoint, &fx.bucket, key, &dest, &opts).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.resumed_from, report.bytes), (kept.len() as u64, data.len() as u64));
    assert!(std::fs::read(&dest).expect("downloaded") == data, "old and new bytes join into the object");
    assert_eq!(names_in(fx.local.path()), ["object.bin"]);
    assert_eq!(
        updates.lock().expect("lock").first().map(|p| p.bytes_done),
        Some(kept.len() as u64),
        "progress starts where the partial ends"
    );
    let downloads = gets(&fx.proxy.requests(), key);
    let resumed = downloads.last().expect("a GET");
    let expected_range = format!("bytes={}-", kept.len());
    assert_eq!(resumed.request.header("range"), Some(expected_range.as_str()));
    assert_eq!(resumed.request.header("if-match"), report.etag.as_deref(), "guarded by the ETag");
    assert_eq!(downloads.len(), 2, "one GET cancelled, one resumed: {downloads:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_resuming_a_changed_object_starts_over_instead_of_splicing() {
    let fx = Setup::new().await;
    let s3 = &fx.session.s3;
    let key = "changing.bin";
    let old = pseudo_random(3 * MIB, 4);
    put(s3, &fx.bucket, key, &old).await;
    let dest = fx.local.path().join("changing.bin");
    let opts = cancelled_download(true);
    download_object(s3, &fx.endpoint, &fx.bucket, key, &dest, &opts).await.expect_err("cancelled");
    assert!(partial_path(&dest).expect("name").exists());

    let new = pseudo_random(3 * MIB, 5);
    put(s3, &fx.bucket, key, &new).await;
    let opts = DownloadOptions { resume: true, ..DownloadOptions::default() };
    let report =
        download_object(s3, &fx.endpoint, &fx.bucket, key, &dest, &opts).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.resumed_from, 0, "nothing of the old partial was kept");
    assert!(std::fs::read(&dest).expect("downloaded") == new, "the new object, whole, not spliced onto the old");
    assert_eq!(names_in(fx.local.path()), ["changing.bin"]);
    let downloads = gets(&fx.proxy.requests(), key);
    let [_, refused, fresh] = downloads.as_slice() else { panic!("three GETs: {downloads:#?}") };
    assert!(refused.request.header("range").is_some() && refused.request.header("if-match").is_some());
    assert!(
        matches!(fx.proxy.outcome(refused.seq), Some(Outcome::Forwarded { status: 412, .. })),
        "moto refused the stale ETag: {:?}",
        fx.proxy.outcome(refused.seq)
    );
    assert_eq!(fresh.request.header("range"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_cancelling_a_download_leaves_no_file_at_all() {
    let fx = Setup::new().await;
    let s3 = &fx.session.s3;
    let key = "cancel/object.bin";
    put(s3, &fx.bucket, key, &pseudo_random(4 * MIB, 6)).await;
    let dest = fx.local.path().join("sub/object.bin");
    let opts = cancelled_download(false);
    let err = download_object(s3, &fx.endpoint, &fx.bucket, key, &dest, &opts).await.expect_err("cancelled");
    assert_eq!(err.kind, TransferErrorKind::Cancelled, "{err}");
    assert_eq!((err.op, err.key.as_str(), err.path.as_deref()), (TransferOp::Download, key, Some(dest.as_path())));
    assert_eq!(names_in(&fx.local.path().join("sub")), Vec::<String>::new(), "partial file and ETag record removed");

    // Cancelled before it starts: nothing is created.
    let dest = fx.local.path().join("never/object.bin");
    let err = download_object(s3, &fx.endpoint, &fx.bucket, key, &dest, &opts).await.expect_err("cancelled");
    assert!(err.is_cancelled());
    assert!(!fx.local.path().join("never").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_cancelling_a_multipart_upload_aborts_it() {
    let fx = Setup::new().await;
    let s3 = &fx.session.s3;
    let src = fx.source("parts.bin", &pseudo_random(12 * MIB, 7));
    let cancel = Cancel::new();
    let opts = UploadOptions {
        part_size: 5 * MIB as u64,
        concurrency: 1,
        progress: cancel_after_first_bytes(&cancel),
        cancel: cancel.clone(),
        ..UploadOptions::default()
    };
    let key = "abandoned/parts.bin";
    let err = upload_file(s3, &fx.endpoint, &fx.bucket, key, &src, &opts).await.expect_err("cancelled");
    assert!(err.is_cancelled(), "{err}");
    let log = fx.proxy.requests();
    let calls: Vec<_> = requests_for(&log, key).collect();
    let parts = calls.iter().filter(|s| s.request.has_query_key("partNumber")).count();
    let aborted = calls.iter().filter(|s| s.method == "DELETE" && s.request.has_query_key("uploadId")).count();
    let completed = calls.iter().filter(|s| s.method == "POST" && s.request.has_query_key("uploadId")).count();
    assert_eq!((parts, aborted, completed), (1, 1, 0), "one part, then abort: {calls:#?}");
    let uploads = s3.list_multipart_uploads().bucket(&fx.bucket).send().await.expect("list uploads");
    assert!(uploads.uploads().is_empty(), "{:?}", uploads.uploads());
    let head = s3.head_object().bucket(&fx.bucket).key(key).send().await;
    assert!(head.is_err(), "no object was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfer_a_directory_tree_with_odd_names_round_trips_exactly() {
    let fx = Setup::new().await;
    let s3 = &fx.session.s3;
    let src = fx.local.path().join("src");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("plain.txt", b"plain".to_vec()),
        ("with space.txt", b"space".to_vec()),
        ("a+b=c.txt", b"plus".to_vec()),
        ("100%.txt", b"percent".to_vec()),
        ("percent%20literal.txt", b"literal".to_vec()),
        ("unicodé/ключ 鍵.txt", "unicode ✓".as_bytes().to_vec()),
        ("empty.txt", Vec::new()),
        ("nested/deeper/still/deep.bin", pseudo_random(300_000, 8)),
        ("nested/big.bin", pseudo_random(6 * MIB, 9)),
    ];
    for (name, body) in &files {
        let path = src.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, body).expect("write");
    }
    let expected: BTreeMap<String, Vec<u8>> = files.iter().map(|(n, b)| (n.to_string(), b.clone())).collect();
    let total: u64 = expected.values().map(|b| b.len() as u64).sum();

    let (progress, updates) = recorder();
    let opts = DirUploadOptions {
        multipart_threshold: 5 * MIB as u64,
        part_size: 5 * MIB as u64,
        progress,
        ..DirUploadOptions::default()
    };
    let report = upload_dir(s3, &fx.endpoint, &fx.bucket, "uploads/odd tree", &src, &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let failures: Vec<_> = report.failures().collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let big = report.files.iter().find(|f| f.key.ends_with("big.bin")).expect("big.bin");
    assert_eq!(big.result.as_ref().map(|r| r.parts).ok(), Some(2), "the 6 MiB file went in parts");
    let last = *updates.lock().expect("lock").last().expect("updates");
    assert_eq!(
        last,
        BatchProgress { files_total: 9, files_done: 9, files_failed: 0, bytes_total: total, bytes_done: total }
    );
    let page = s3lease::s3::list::list_page(s3, &fx.endpoint, &fx.bucket, "", None, None).await.expect("list");
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    let expected_keys: Vec<String> = expected.keys().map(|k| format!("uploads/odd tree/{k}")).collect();
    assert_eq!(keys, expected_keys, "keys are the prefix, a slash and the relative path");

    let dst = fx.local.path().join("dst");
    let (progress, updates) = recorder();
    let opts = PrefixDownloadOptions { progress, ..PrefixDownloadOptions::default() };
    let report = download_prefix(s3, &fx.endpoint, &fx.bucket, "uploads/odd tree/", &dst, &opts)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let failures: Vec<_> = report.failures().collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(report.files.len(), 9);
    assert!(tree(&dst) == expected, "same relative paths, same bytes: {:?}", tree(&dst).keys());
    let last = *updates.lock().expect("lock").last().expect("updates");
    assert_eq!(
        last,
        BatchProgress { files_total: 9, files_done: 9, files_failed: 0, bytes_total: total, bytes_done: total }
    );

    // Without the trailing slash, the prefix's last segment is kept as a directory.
    let dst2 = fx.local.path().join("dst2");
    let report = download_prefix(s3, &fx.endpoint, &fx.bucket, "uploads/odd tree", &dst2, &Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.failures().count(), 0);
    assert_eq!(names_in(&dst2), ["odd tree"]);
    assert!(tree(&dst2.join("odd tree")) == expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfer_a_prefix_download_lists_each_failure_and_finishes_the_rest() {
    let proxy = Proxy::start(testbed().endpoint(), |r| {
        if r.method == "GET" && r.path().ends_with("/denied.txt") {
            Action::respond(Canned::s3_error(403, "AccessDenied", "Access Denied"))
        } else {
            Action::Forward
        }
    });
    let fx = Setup::via(proxy).await;
    let s3 = &fx.session.s3;
    for key in ["p/ok-1.txt", "p/sub/ok-2.txt", "p/denied.txt", "p/../escape.txt", "p/a//b.txt", "p/esc\u{1b}[2J.txt"] {
        put(s3, &fx.bucket, key, key.as_bytes()).await;
    }
    put(s3, &fx.bucket, "p/folder/", b"").await;
    let listed = s3lease::s3::list::list_page(s3, &fx.endpoint, &fx.bucket, "p/", None, None).await.expect("list");
    assert_eq!(listed.objects.len(), 7, "moto keeps every odd key as it is: {:?}", listed.objects);

    let dst = fx.local.path().join("dst");
    let (progress, updates) = recorder();
    let opts = PrefixDownloadOptions { progress, ..PrefixDownloadOptions::default() };
    let report =
        download_prefix(s3, &fx.endpoint, &fx.bucket, "p/", &dst, &opts).await.unwrap_or_else(|e| panic!("{e}"));
    let outcome: BTreeMap<&str, String> = report
        .files
        .iter()
        .map(|f| {
            let what = match &f.result {
                Ok(r) => format!("ok {}", r.bytes),
                Err(e) => match &e.kind {
                    TransferErrorKind::UnsafeKey(_) => "unsafe".to_string(),
                    TransferErrorKind::Aws(aws) if aws.kind == AwsErrorKind::AccessDenied => "denied".to_string(),
                    _ => format!("other: {e}"),
                },
            };
            (f.key.as_str(), what)
        })
        .collect();
    let expected: BTreeMap<&str, String> = [
        ("p/ok-1.txt", "ok 10"),
        ("p/sub/ok-2.txt", "ok 14"),
        ("p/denied.txt", "denied"),
        ("p/../escape.txt", "unsafe"),
        ("p/a//b.txt", "unsafe"),
        ("p/esc\u{1b}[2J.txt", "unsafe"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    assert_eq!(outcome, expected);
    assert_eq!(report.skipped.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(), ["p/folder/"]);
    assert_eq!(names_in(fx.local.path()), ["dst"], "nothing escaped the destination");
    assert!(tree(&dst).keys().eq(["ok-1.txt", "sub/ok-2.txt"]), "{:?}", tree(&dst).keys());
    assert_eq!(names_in(&dst), ["ok-1.txt", "sub"], "no partial file of the denied download");
    let last = *updates.lock().expect("lock").last().expect("updates");
    assert_eq!((last.files_total, last.files_done, last.files_failed), (6, 6, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfer_deleting_1001_keys_takes_two_batches_and_leaves_nothing() {
    let fx = Setup::new().await;
    let s3 = &fx.session.s3;
    let keys: Vec<String> = (0..1001).map(|i| format!("del/{i:04} odd+key%.txt")).collect();
    futures::stream::iter(&keys).for_each_concurrent(16, |key| put(s3, &fx.bucket, key, b"x")).await;
    let listed = s3lease::s3::list::list_page(s3, &fx.endpoint, &fx.bucket, "del/", None, None).await.expect("list");
    assert_eq!(listed.objects.len(), 1000, "a full first page before the delete");

    let report = delete_objects(s3, &fx.endpoint, &fx.bucket, &keys).await;
    assert!(report.failed.is_empty() && report.batch_errors.is_empty(), "{report:#?}");
    let mut deleted = report.deleted.clone();
    deleted.sort();
    assert!(deleted == keys, "every key confirmed deleted, by name");
    let batches: Vec<usize> = fx
        .proxy
        .requests()
        .iter()
        .filter(|s| s.method == "POST" && s.request.has_query_key("delete"))
        .map(|s| s.request.body.windows(8).filter(|w| w == b"<Object>").count())
        .collect();
    assert_eq!(batches, [1000, 1], "two DeleteObjects requests");
    let listed = s3lease::s3::list::list_page(s3, &fx.endpoint, &fx.bucket, "del/", None, None).await.expect("list");
    assert!(listed.objects.is_empty(), "{:?}", listed.objects);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_deletes_refused_per_key_or_per_batch_are_reported_per_key() {
    const PARTIAL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Deleted><Key>k1</Key></Deleted>
<Error><Key>k2</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
<Deleted><Key>k3</Key></Deleted>
</DeleteResult>"#;
    let proxy = Proxy::start(testbed().endpoint(), |r| {
        if r.method == "POST" && r.has_query_key("delete") {
            Action::respond(Canned::new(200, PARTIAL).header("Content-Type", "application/xml"))
        } else {
            Action::Forward
        }
    });
    let endpoint = proxy.url();
    let (_dir, session) = admin(&endpoint).await;
    let keys: Vec<String> = ["k1", "k2", "k3", "k4"].map(String::from).into();
    let report = delete_objects(&session.s3, &endpoint, "transfers-canned", &keys).await;
    assert_eq!(report.deleted, ["k1", "k3"]);
    let failed: Vec<(&str, Option<&str>, &str)> =
        report.failed.iter().map(|f| (f.key.as_str(), f.code.as_deref(), f.message.as_str())).collect();
    assert_eq!(
        failed,
        [
            ("k2", Some("AccessDenied"), "Access Denied"),
            ("k4", None, "S3's answer neither confirmed nor refused this key")
        ]
    );
    assert!(report.batch_errors.is_empty());

    proxy.set_rule(|r| {
        if r.method == "POST" && r.has_query_key("delete") {
            Action::respond(Canned::s3_error(403, "AccessDenied", "Access Denied"))
        } else {
            Action::Forward
        }
    });
    let report = delete_objects(&session.s3, &endpoint, "transfers-canned", &keys).await;
    assert!(report.deleted.is_empty());
    assert_eq!(report.failed.iter().map(|f| f.key.as_str()).collect::<Vec<_>>(), ["k1", "k2", "k3", "k4"]);
    assert!(report.failed.iter().all(|f| f.code.as_deref() == Some("AccessDenied")), "{:?}", report.failed);
    assert_eq!(report.batch_errors.len(), 1);
    assert_eq!(report.batch_errors[0].kind, AwsErrorKind::AccessDenied);
    assert!(report.failed[0].message.contains("DeleteObjects"), "{}", report.failed[0].message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_versions_of_exactly_one_key_across_pages() {
    let fx = Setup::new().await;
    let s3 = &fx.session.s3;
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    s3.put_bucket_versioning()
        .bucket(&fx.bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .expect("enable versioning");
    let key = "doc/key";
    for body in ["1", "22", "333"] {
        put(s3, &fx.bucket, key, body.as_bytes()).await;
    }
    s3.delete_object().bucket(&fx.bucket).key(key).send().await.expect("delete");
    put(s3, &fx.bucket, "doc/key.bak", b"backup").await;
    put(s3, &fx.bucket, "doc/key/inner", b"inner").await;

    let versions = list_versions(s3, &fx.endpoint, &fx.bucket, key).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(versions.iter().all(|v| v.key == key));
    let markers: Vec<&Version> = versions.iter().filter(|v| v.is_delete_marker).collect();
    let objects: Vec<&Version> = versions.iter().filter(|v| !v.is_delete_marker).collect();
    assert_eq!((objects.len(), markers.len()), (3, 1), "{versions:#?}");
    assert!(markers[0].is_latest && markers[0].size.is_none(), "{versions:#?}");
    assert!(objects.iter().all(|v| !v.is_latest), "{versions:#?}");
    assert!(versions[0].is_delete_marker, "the latest comes first");
    let mut sizes: Vec<u64> = objects.iter().filter_map(|v| v.size).collect();
    sizes.sort();
    assert_eq!(sizes, [1, 2, 3]);
    let mut ids: Vec<&str> = versions.iter().filter_map(|v| v.version_id.as_deref()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "four distinct version ids: {versions:#?}");

    let before = fx.proxy.requests().len();
    let paged = list_versions_paged(s3, &fx.endpoint, &fx.bucket, key, Some(1)).await.unwrap_or_else(|e| panic!("{e}"));
    let id_set = |vs: &[Version]| {
        let mut ids: Vec<(Option<String>, bool)> =
            vs.iter().map(|v| (v.version_id.clone(), v.is_delete_marker)).collect();
        ids.sort();
        ids
    };
    assert_eq!(id_set(&paged), id_set(&versions), "one entry per page gives the same answer");
    let pages = fx.proxy.requests()[before..].iter().filter(|s| s.request.has_query_key("versions")).count();
    assert!(pages >= 4, "the small pages were followed: {pages} requests");

    let bak = list_versions(s3, &fx.endpoint, &fx.bucket, "doc/key.bak").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bak.len(), 1);
    assert!(bak[0].is_latest && !bak[0].is_delete_marker && bak[0].size == Some(6));
}
