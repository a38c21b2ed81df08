//! A download never saves a short or corrupt file silently: against moto, behind the test
//! proxy that lies about a body's length ([`Action::TruncateXml`]: the body cut, its
//! Content-Length rewritten to match) or flips bytes of it ([`Action::Corrupt`]).
//!
//! Each object kind meets the check that fits it: a flexible checksum validated by the SDK, the
//! ETag's MD5 over the whole file (bytes resumed from disk included), or the size from the
//! listing or HeadObject for a multipart object without a full-object checksum. A file that
//! fails is downloaded once more from the start; failing again, nothing is left at the
//! destination and the error names the object, the endpoint, what differed and the fix.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use common::proxy::{Action, Keep, Proxy, RequestHead};
use common::*;
use s3lease::credentials::Session;
use s3lease::credentials::mfa::GivenCode;
use s3lease::transfer::{
    self, Check, DownloadOptions, DownloadReport, Mismatch, PrefixDownloadOptions, TransferError, TransferErrorKind,
    partial_etag_path, partial_path,
};
use tokio::sync::OnceCell;

const PLAIN: &str = "plain.bin";
const SHA256: &str = "sha256.bin";
const MULTIPART: &str = "multipart.bin";
/// moto refuses parts under 5 MiB but the last.
const PART: usize = 5 * 1024 * 1024;

/// Bytes that differ all along, so a flipped or missing byte anywhere shows.
fn data(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 24) as u8).collect()
}

struct Objects {
    bucket: String,
    plain: Vec<u8>,
    sha256: Vec<u8>,
    multipart: Vec<u8>,
    /// Keeps the admin's profile files alive.
    _dir: tempfile::TempDir,
}

/// An admin session whose calls go to `endpoint`.
async fn admin_via(endpoint: &str) -> (tempfile::TempDir, Arc<Session>) {
    let (dir, mut manager) = session_manager(testbed(), endpoint, "").await;
    let session = manager.start("admin", &mut GivenCode::new(None, "none needed")).await.expect("admin");
    (dir, session)
}

/// The test's bucket, straight on moto: a single-part object without a flexible checksum
/// (its ETag is its MD5), one with a SHA-256 checksum, and a two-part upload without one.
async fn objects() -> &'static Objects {
    static OBJECTS: OnceCell<Objects> = OnceCell::const_new();
    OBJECTS
        .get_or_init(|| async {
            let (dir, admin) = admin_via(testbed().endpoint()).await;
            // The SDK adds a CRC32 to every upload unless told it is not required.
            let config =
                admin.s3.config().to_builder().request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
            let s3 = aws_sdk_s3::Client::from_conf(config.build());
            let bucket = format!("integrity-{}", std::process::id());
            s3.create_bucket().bucket(&bucket).send().await.expect("the test's own bucket");
            let plain = data(300_000, 1);
            s3.put_object().bucket(&bucket).key(PLAIN).body(ByteStream::from(plain.clone())).send().await.unwrap();
            let sha256 = data(200_000, 2);
            s3.put_object()
                .bucket(&bucket)
                .key(SHA256)
                .checksum_algorithm(ChecksumAlgorithm::Sha256)
                .body(ByteStream::from(sha256.clone()))
                .send()
                .await
                .unwrap();
            let multipart = data(PART + 100_000, 3);
            let upload = s3.create_multipart_upload().bucket(&bucket).key(MULTIPART).send().await.unwrap();
            let upload_id = upload.upload_id().expect("an upload id");
            let mut parts = Vec::new();
            for (n, chunk) in multipart.chunks(PART).enumerate() {
                let number = n as i32 + 1;
                let part = s3
                    .upload_part()
                    .bucket(&bucket)
                    .key(MULTIPART)
                    .upload_id(upload_id)
                    .part_number(number)
                    .body(ByteStream::from(chunk.to_vec()))
                    .send()
                    .await
                    .unwrap();
                parts
                    .push(CompletedPart::builder().part_number(number).set_e_tag(part.e_tag().map(Into::into)).build());
            }
            s3.complete_multipart_upload()
                .bucket(&bucket)
                .key(MULTIPART)
                .upload_id(upload_id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                .send()
                .await
                .unwrap();
            Objects { bucket, plain, sha256, multipart, _dir: dir }
        })
        .await
}

/// A proxy applying `fault` to the first `times` GETs of `key`, forwarding the rest.
fn proxy_faulting(key: &'static str, fault: Action, times: usize) -> Proxy {
    let hits = AtomicUsize::new(0);
    Proxy::start(testbed().endpoint(), move |r: &RequestHead| {
        let hit = r.method == "GET" && r.path().ends_with(&format!("/{key}"));
        if hit && hits.fetch_add(1, Ordering::SeqCst) < times { fault.clone() } else { Action::Forward }
    })
}

/// An admin session whose calls go through `proxy`, and an empty directory to download into.
struct Setup {
    proxy: Proxy,
    session: Arc<Session>,
    dest: tempfile::TempDir,
    /// Keeps the admin's profile files alive.
    _profiles: tempfile::TempDir,
}

impl Setup {
    async fn via(proxy: Proxy) -> Setup {
        let (_profiles, session) = admin_via(&proxy.url()).await;
        Setup { proxy, session, dest: tempfile::tempdir().unwrap(), _profiles }
    }

    /// Where `download` saves `key`.
    fn path(&self, key: &str) -> PathBuf {
        self.dest.path().join(key)
    }

    /// `key` of the test's bucket, downloaded through the proxy to `self.path(key)`.
    async fn download(&self, key: &str, opts: &DownloadOptions) -> Result<DownloadReport, TransferError> {
        let bucket = &objects().await.bucket;
        transfer::download_object(&self.session.s3, &self.proxy.url(), bucket, key, &self.path(key), opts).await
    }
}

/// The GETs of `key` the proxy saw, by their `Range` header ("whole" without one).
fn gets(proxy: &Proxy, key: &str) -> Vec<String> {
    proxy
        .requests()
        .into_iter()
        .filter(|s| s.method == "GET" && s.request.path().ends_with(&format!("/{key}")))
        .map(|s| s.request.header("range").unwrap_or("whole").to_string())
        .collect()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn md5_hex(bytes: &[u8]) -> String {
    let mut sum = transfer::integrity::Md5Sum::default();
    sum.update(bytes);
    sum.hex()
}

/// The lying length: every GET answered with a third of the body, framed as all of it.
fn lying_length() -> Action {
    Action::TruncateXml { keep: Keep::Fraction(0.3) }
}

/// Asserts the error the issue asks for and that nothing is left where the file would go.
fn assert_clear_corrupt_error(err: &transfer::TransferError, proxy: &Proxy, key: &str, dest: &Path) -> Mismatch {
    let message = err.to_string();
    let bucket = &err.bucket;
    for needle in [
        format!("s3://{bucket}/{key}"),
        proxy.url(),
        "GetObject".to_string(),
        "the file was discarded".to_string(),
        "Try again; if it persists".to_string(),
        "corrupting data".to_string(),
    ] {
        assert!(message.contains(&needle), "the error names {needle:?}: {message}");
    }
    assert!(!dest.exists(), "nothing at the destination: {message}");
    let dir = dest.parent().unwrap();
    assert_eq!(files_in(dir), Vec::<String>::new(), "no partial file either");
    match &err.kind {
        TransferErrorKind::Corrupt { endpoint, mismatch } => {
            assert_eq!(endpoint, &proxy.url());
            mismatch.clone()
        }
        other => panic!("expected a corrupt download, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_object_kind_downloads_whole_and_is_checked_the_way_that_fits_it() {
    let objects = objects().await;
    let fx = Setup::via(Proxy::forwarding(testbed().endpoint())).await;
    for (key, bytes, check) in [
        (PLAIN, &objects.plain, Check::Md5(md5_hex(&objects.plain))),
        (SHA256, &objects.sha256, Check::Checksum),
        (MULTIPART, &objects.multipart, Check::Size),
    ] {
        let report = fx.download(key, &DownloadOptions::default()).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.verified, check, "{key}");
        assert!(std::fs::read(fx.path(key)).unwrap() == *bytes, "{key}: byte for byte");
        assert_eq!(gets(&fx.proxy, key), ["whole"], "{key}: one GET");
    }
    // Only the multipart object, which nothing else vouches for, needed its size from S3.
    let heads: Vec<_> = fx.proxy.requests().into_iter().filter(|s| s.method == "HEAD").map(|s| s.target).collect();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(heads[0].ends_with(MULTIPART), "{heads:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_content_length_is_caught_downloaded_again_and_reported_if_it_persists() {
    let objects = objects().await;
    for (key, bytes) in [(PLAIN, &objects.plain), (SHA256, &objects.sha256), (MULTIPART, &objects.multipart)] {
        // Once: the second download, from the start, is whole.
        let fx = Setup::via(proxy_faulting(key, lying_length(), 1)).await;
        let opts = DownloadOptions::default();
        let report = fx.download(key, &opts).await.unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(report.resumed_from, 0, "{key}");
        assert!(std::fs::read(fx.path(key)).unwrap() == *bytes, "{key}: byte for byte");
        assert_eq!(gets(&fx.proxy, key), ["whole", "whole"], "{key}: downloaded again from the start");
        assert_eq!(files_in(fx.dest.path()), [key], "{key}: no partial left");

        // Always: an error, and nothing saved.
        let fx = Setup::via(proxy_faulting(key, lying_length(), usize::MAX)).await;
        let err = fx.download(key, &opts).await.expect_err("a short body is never saved");
        let mismatch = assert_clear_corrupt_error(&err, &fx.proxy, key, &fx.path(key));
        eprintln!("{key}: {err}");
        let short = (bytes.len() as f64 * 0.3) as u64;
        match (key, mismatch) {
            (PLAIN, Mismatch::Md5 { expected, got }) => {
                assert_eq!(expected, md5_hex(bytes));
                assert_eq!(got, md5_hex(&bytes[..short as usize]));
            }
            (SHA256, Mismatch::Checksum(detail)) => assert!(detail.contains("checksum"), "{detail}"),
            (MULTIPART, Mismatch::Size { expected, got, source }) => {
                assert_eq!((expected, got, source), (bytes.len() as u64, short, "HeadObject"));
            }
            (key, other) => panic!("{key}: unexpected {other:?}"),
        }
        assert_eq!(gets(&fx.proxy, key), ["whole", "whole"], "{key}: tried twice from the start, no more");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipped_bytes_of_the_right_length_are_caught() {
    let objects = objects().await;
    // A byte early, one in the middle, the last: the length stays right.
    let flip = || Action::Corrupt { at: vec![7, 150_000, usize::MAX] };
    for key in [PLAIN, SHA256] {
        let fx = Setup::via(proxy_faulting(key, flip(), usize::MAX)).await;
        let err = fx.download(key, &DownloadOptions::default()).await.expect_err("a corrupt body is never saved");
        eprintln!("{key}: {err}");
        match (key, assert_clear_corrupt_error(&err, &fx.proxy, key, &fx.path(key))) {
            (PLAIN, Mismatch::Md5 { expected, .. }) => {
                assert_eq!(expected, md5_hex(&objects.plain));
                let message = err.to_string();
                assert!(message.contains("set verify_md5 = false under [settings]"), "names the way out: {message}");
            }
            // The SDK's checksum sees it first, as the body streams.
            (SHA256, Mismatch::Checksum(_)) => {}
            (key, other) => panic!("{key}: unexpected {other:?}"),
        }
    }
}

/// For S3-compatible stores whose ETags are not MD5 digests: with `verify_md5 = false` the
/// ETag is not taken for one, and the size is still checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_md5_checks_off_an_etag_is_not_taken_for_a_digest_and_the_size_still_is() {
    let objects = objects().await;
    // Bytes changed, length intact: what a store whose ETag is no MD5 looks like to the check.
    let fx = Setup::via(proxy_faulting(PLAIN, Action::Corrupt { at: vec![7] }, usize::MAX)).await;
    let opts = DownloadOptions { ignore_md5: true, ..DownloadOptions::default() };
    let report = fx.download(PLAIN, &opts).await.expect("saved: nothing it may check differs");
    assert_eq!(report.verified, transfer::integrity::Check::Size);
    assert_eq!(std::fs::metadata(fx.path(PLAIN)).unwrap().len(), objects.plain.len() as u64);

    let fx = Setup::via(proxy_faulting(PLAIN, lying_length(), usize::MAX)).await;
    let err = fx.download(PLAIN, &opts).await.expect_err("a short body is still caught");
    match assert_clear_corrupt_error(&err, &fx.proxy, PLAIN, &fx.path(PLAIN)) {
        Mismatch::Size { expected, .. } => assert_eq!(expected, objects.plain.len() as u64),
        other => panic!("caught by its size, not {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_download_is_checked_over_the_whole_file() {
    let objects = objects().await;
    let key = PLAIN;
    // Cut after 100,000 bytes once: the rest comes as a range, and the MD5 covers both.
    let fx = Setup::via(proxy_faulting(key, Action::Truncate { keep: 100_000 }, 1)).await;
    let report = fx.download(key, &DownloadOptions::default()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.resumed_from, 100_000);
    assert_eq!(report.verified, Check::Md5(md5_hex(&objects.plain)));
    assert!(std::fs::read(fx.path(key)).unwrap() == objects.plain, "byte for byte");
    assert_eq!(gets(&fx.proxy, key), ["whole", "bytes=100000-"]);

    // A partial file on disk with a wrong byte, recorded as this very object: the resumed
    // download's digest covers it, fails, and the file is downloaded again from the start.
    let fx = Setup::via(Proxy::forwarding(testbed().endpoint())).await;
    let path = fx.path(key);
    let mut stale = objects.plain[..120_000].to_vec();
    stale[5] ^= 0xFF;
    std::fs::write(partial_path(&path).unwrap(), &stale).unwrap();
    let etag = format!("\"{}\"", md5_hex(&objects.plain));
    std::fs::write(partial_etag_path(&path).unwrap(), &etag).unwrap();
    let opts = DownloadOptions { resume: true, ..DownloadOptions::default() };
    let report = fx.download(key, &opts).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(gets(&fx.proxy, key), ["bytes=120000-", "whole"], "resumed, found wrong, downloaded again");
    assert_eq!(report.resumed_from, 0, "the second download started from nothing");
    assert!(std::fs::read(&path).unwrap() == objects.plain, "byte for byte");
    assert_eq!(files_in(fx.dest.path()), [key], "no partial left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_of_many_objects_check_each_against_its_listed_size() {
    let objects = objects().await;
    let listed =
        vec![(PLAIN.to_string(), objects.plain.len() as u64), (MULTIPART.to_string(), objects.multipart.len() as u64)];
    // The multipart object comes short every time; the plain one is left alone.
    let fx = Setup::via(proxy_faulting(MULTIPART, lying_length(), usize::MAX)).await;
    let opts = PrefixDownloadOptions::default();
    let report = transfer::download_objects(
        &fx.session.s3,
        &fx.proxy.url(),
        &objects.bucket,
        listed.clone(),
        fx.dest.path(),
        &opts,
    )
    .await;
    // In key order: multipart.bin, plain.bin.
    assert_eq!(report.files.len(), 2);
    assert!(report.files[1].result.is_ok(), "{:?}", report.files[1]);
    let err = report.files[0].result.as_ref().expect_err("the short multipart object fails");
    let message = err.to_string();
    assert!(message.contains(&format!("s3://{}/{MULTIPART}", objects.bucket)), "{message}");
    assert!(message.contains(&fx.proxy.url()) && message.contains("corrupting data"), "{message}");
    assert!(!fx.path(MULTIPART).exists(), "nothing saved: {message}");
    assert_eq!(files_in(fx.dest.path()), [PLAIN], "only the whole file, no partial");

    // With nothing in the way, the listed size vouches for the multipart object: no HeadObject.
    let fx = Setup::via(Proxy::forwarding(testbed().endpoint())).await;
    let report =
        transfer::download_objects(&fx.session.s3, &fx.proxy.url(), &objects.bucket, listed, fx.dest.path(), &opts)
            .await;
    assert_eq!(report.failures().count(), 0, "{report:?}");
    assert!(std::fs::read(fx.path(MULTIPART)).unwrap() == objects.multipart, "byte for byte");
    assert!(fx.proxy.requests().iter().all(|s| s.method != "HEAD"), "the listing's size sufficed");
}
