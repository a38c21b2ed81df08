//! The bench server answers like moto on the same keys: every page of every listing variant,
//! ranged GETs and HEADs, read through aws-sdk-s3. Moto is started exactly as s3lease's own
//! tests start it (`s3lease::testbed`), in the venv they share.

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::EncodingType;
use futures::StreamExt as _;
use s3lease::testbed::{Seed, Testbed};

use support::{BenchServer, status_and_code};

const BUCKET: &str = "parity";
/// Objects written by the GET/HEAD test, kept out of the listed bucket: the tests run at once.
const OBJECTS_BUCKET: &str = "parity-objects";
/// Every object in both servers has this size, so listings can compare sizes too.
const OBJECT_SIZE: usize = 100;

fn venv() -> PathBuf {
    std::env::var_os("S3LEASE_TESTBED_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-testbed"))
}

/// About 1,500 keys: nested prefixes, a flat run, and names that are hard to carry in XML
/// and URLs.
fn keys() -> Vec<String> {
    let mut keys = Vec::new();
    for p in 0..4 {
        // d00..d11: "p000/d0" matches d00 to d09 only.
        for d in 0..12 {
            for f in 0..25 {
                keys.push(format!("p{p:03}/d{d:02}/file-{f:03}.json"));
            }
        }
    }
    keys.extend((1..=250).map(|i| format!("data/key-{i:07}.json")));
    keys.extend(
        [
            "/",
            "odd//double-slash",
            "odd/with space.txt",
            "odd/a+b=c.txt",
            "odd/100%.txt",
            "odd/percent%20literal.txt",
            "odd/unicodé ключ 鍵.txt",
            "odd/emoji 😀.txt",
            "odd/esc\u{1b}[31mred.txt",
            "odd/bell\u{7}.txt",
            "odd/semi;colon&amp.txt",
            "odd/star*tilde~.txt",
            "odd/question?hash#.txt",
            "odd/quote\"apos'lt<gt>.txt",
            "odd/deep/er/still/leaf.txt",
            "odd/dir/",
            "odd/dir/inside.txt",
            "dir-marker/",
            "p000/",
            "p000/d00/",
            "p000/d0",
            "p000/d0 space/x.txt",
            "p000/d0+plus/y.txt",
            "p000/d0%25/z.txt",
            "p000/d0!bang",
            "p000-dash",
            "p000.dot",
            "run books/x.txt",
            "top-level.txt",
            "zz~last",
        ]
        .map(str::to_owned),
    );
    keys
}

struct Servers {
    moto: Testbed,
    bench: BenchServer,
    _seed_dir: tempfile::TempDir,
}

/// Both servers, seeded once for every test in this file.
fn servers() -> &'static Servers {
    static SERVERS: OnceLock<Servers> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let keys = keys();
        let seed_dir = tempfile::tempdir().expect("temp dir");
        let seed_file = seed_dir.path().join("keys.txt");
        std::fs::write(&seed_file, keys.join("\n")).expect("write the seed file");
        let bench = BenchServer::start(&[
            "--bucket",
            BUCKET,
            "--bucket",
            OBJECTS_BUCKET,
            "--seed-file",
            seed_file.to_str().expect("a UTF-8 temp path"),
            "--object-size",
            &OBJECT_SIZE.to_string(),
        ]);
        let moto = Testbed::start(&venv(), Seed { prefix_keys: 0, big_keys: 0, spread_keys: 0 })
            .unwrap_or_else(|e| panic!("{e}"));
        runtime().block_on(seed_moto(moto.endpoint(), &keys));
        Servers { moto, bench, _seed_dir: seed_dir }
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime")
}

async fn seed_moto(endpoint: &str, keys: &[String]) {
    let client = moto_client(endpoint);
    client.create_bucket().bucket(BUCKET).send().await.expect("create the bucket in moto");
    client.create_bucket().bucket(OBJECTS_BUCKET).send().await.expect("create the bucket in moto");
    let body = vec![b'x'; OBJECT_SIZE];
    let puts = keys.iter().map(|key| {
        let request = client.put_object().bucket(BUCKET).key(key).body(ByteStream::from(body.clone()));
        async move { request.send().await.map_err(|e| format!("put {key:?} into moto: {e:?}")) }
    });
    // moto serves requests on threads; a few in flight hide the client's round trips.
    let results: Vec<Result<_, String>> = futures::stream::iter(puts).buffer_unordered(8).collect().await;
    for result in results {
        if let Err(e) = result {
            panic!("{e}");
        }
    }
}

fn moto_client(endpoint: &str) -> aws_sdk_s3::Client {
    // moto's default mode accepts any signature.
    support::client(endpoint, "testing", "testing")
}

#[derive(Debug, Clone, Copy)]
struct Variant {
    prefix: &'static str,
    delimiter: Option<&'static str>,
    max_keys: i32,
    url: bool,
    start_after: Option<&'static str>,
}

/// What a page says, with the names as the wire carried them (still encoded when asked).
#[derive(Debug, PartialEq, Eq)]
struct Page {
    keys: Vec<(String, Option<i64>)>,
    common_prefixes: Vec<String>,
    key_count: Option<i32>,
    is_truncated: Option<bool>,
    prefix: Option<String>,
    delimiter: Option<String>,
    max_keys: Option<i32>,
    encoding_type: Option<String>,
}

/// moto percent-encodes with Python's `quote` (space as %20, `*` encoded, `~` kept), while S3
/// and this server encode form-style (space as `+`, `*` kept, `~` encoded). Otherwise the two
/// must agree byte for byte, so map moto's three differences onto S3's and compare exactly.
fn moto_name_as_s3(name: &str) -> String {
    name.replace("%20", "+").replace("%2A", "*").replace('~', "%7E")
}

/// Decodes a name the way botocore does (`unquote_plus`).
fn unquote_plus(name: &str) -> String {
    percent_encoding::percent_decode_str(&name.replace('+', " ")).decode_utf8_lossy().into_owned()
}

/// Every page of `variant`, ending at the first error (recorded as its status and code).
async fn pages(client: &aws_sdk_s3::Client, variant: Variant, moto: bool) -> Vec<Result<Page, String>> {
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = client.list_objects_v2().bucket(BUCKET).max_keys(variant.max_keys);
        if !variant.prefix.is_empty() {
            request = request.prefix(variant.prefix);
        }
        if let Some(d) = variant.delimiter {
            request = request.delimiter(d);
        }
        if variant.url {
            request = request.encoding_type(EncodingType::Url);
        }
        if let Some(s) = variant.start_after {
            request = request.start_after(s);
        }
        if let Some(t) = &token {
            request = request.continuation_token(t);
        }
        let out = match request.send().await {
            Ok(out) => out,
            Err(e) => {
                pages.push(Err(format!("{:?}", status_and_code(&e))));
                return pages;
            }
        };
        let name = |s: &str| if moto && variant.url { moto_name_as_s3(s) } else { s.to_owned() };
        let page = Page {
            keys: out.contents().iter().map(|o| (name(o.key().unwrap_or_default()), o.size())).collect(),
            common_prefixes: out.common_prefixes().iter().map(|p| name(p.prefix().unwrap_or_default())).collect(),
            key_count: out.key_count(),
            is_truncated: out.is_truncated(),
            prefix: out.prefix().map(name),
            delimiter: out.delimiter().map(str::to_owned),
            max_keys: out.max_keys(),
            encoding_type: out.encoding_type().map(|e| e.as_str().to_owned()),
        };
        let truncated = page.is_truncated == Some(true);
        pages.push(Ok(page));
        token = out.next_continuation_token().map(str::to_owned);
        if !truncated {
            return pages;
        }
        assert!(token.is_some(), "a truncated page carries a continuation token ({variant:?}, moto: {moto})");
        assert!(pages.len() <= 5_000, "the listing ends ({variant:?}, moto: {moto})");
    }
}

fn variants() -> Vec<Variant> {
    let mut variants = Vec::new();
    for prefix in ["", "p000/", "p000/d0", "nonexistent/"] {
        for delimiter in [None, Some("/")] {
            for max_keys in [1, 7, 1000] {
                for url in [false, true] {
                    variants.push(Variant { prefix, delimiter, max_keys, url, start_after: None });
                }
            }
        }
    }
    for start_after in ["p000/d05/file-010.json", "p000/", "odd/dir/", "a"] {
        for delimiter in [None, Some("/")] {
            variants.push(Variant { prefix: "", delimiter, max_keys: 7, url: true, start_after: Some(start_after) });
        }
    }
    variants
}

#[test]
fn listings_page_for_page_like_moto() {
    let servers = servers();
    let moto = moto_client(servers.moto.endpoint());
    let bench = servers.bench.client();
    let rt = runtime();
    let compared = rt.block_on(async {
        let checks = variants().into_iter().map(|variant| {
            let (moto, bench) = (moto.clone(), bench.clone());
            async move {
                let (theirs, ours) = tokio::join!(pages(&moto, variant, true), pages(&bench, variant, false));
                (variant, theirs, ours)
            }
        });
        futures::stream::iter(checks).buffer_unordered(4).collect::<Vec<_>>().await
    });

    let mut listed_every_key_encoded = false;
    for (variant, theirs, ours) in &compared {
        assert!(!theirs.is_empty() && !ours.is_empty());
        for (i, (t, o)) in theirs.iter().zip(ours.iter()).enumerate() {
            assert_eq!(o, t, "page {i} of {variant:?} differs (left: bench server, right: moto)");
        }
        assert_eq!(ours.len(), theirs.len(), "page count of {variant:?} (bench {}, moto {})", ours.len(), theirs.len());
        if variant.prefix.is_empty() && variant.delimiter.is_none() && variant.url && variant.start_after.is_none() {
            // The encoded listing carries every key, control characters included.
            let mut listed: Vec<String> = Vec::new();
            for page in ours {
                let page = page.as_ref().unwrap_or_else(|e| panic!("{variant:?} failed: {e}"));
                listed.extend(page.keys.iter().map(|(k, _)| unquote_plus(k)));
            }
            let mut expected = keys();
            expected.sort();
            let missing: Vec<&String> = expected.iter().filter(|k| !listed.contains(k)).collect();
            let extra: Vec<&String> = listed.iter().filter(|k| !expected.contains(k)).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{variant:?}: missing {missing:?}, extra {extra:?}");
            assert!(listed == expected, "{variant:?} lists every key once, in order");
            listed_every_key_encoded = true;
        }
    }
    assert!(listed_every_key_encoded);
    // Encoded listings always parse. Raw ones carry the BEL and ESC keys as raw bytes, which
    // XML 1.0 cannot hold: both servers send them so (and the SDK fails on the same page).
    for (variant, _, ours) in &compared {
        if variant.url {
            assert!(ours.iter().all(Result::is_ok), "{variant:?} ended in {:?}", ours.last());
        }
    }
    let raw_control_pages = compared.iter().filter(|(v, _, ours)| !v.url && ours.iter().any(Result::is_err)).count();
    assert!(raw_control_pages > 0, "a raw listing reached the control-character keys");
    // Guard against a vacuous pass: the variants really paged.
    let most_pages = compared.iter().map(|(_, _, ours)| ours.len()).max().unwrap_or(0);
    assert!(most_pages > 1_000, "the one-key pages walked the whole bucket ({most_pages} pages)");
}

#[test]
fn ranged_gets_and_heads_like_moto() {
    let servers = servers();
    let moto = moto_client(servers.moto.endpoint());
    let bench = servers.bench.client();
    let key = "blobs/range test.bin";
    let body: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let rt = runtime();
    rt.block_on(async {
        for client in [&moto, &bench] {
            let put =
                client.put_object().bucket(OBJECTS_BUCKET).key(key).body(ByteStream::from(body.clone())).send().await;
            put.expect("put the range object");
        }
        for range in ["bytes=0-99", "bytes=100-", "bytes=-50", "bytes=990-2000", "bytes=5-5", "bytes=999-", "bytes=0-"]
        {
            let mut answers = Vec::new();
            for client in [&moto, &bench] {
                let out = client.get_object().bucket(OBJECTS_BUCKET).key(key).range(range).send().await;
                let out = out.unwrap_or_else(|e| panic!("GET {range}: {e:?}"));
                let head = (
                    out.content_range().map(str::to_owned),
                    out.content_length(),
                    out.e_tag().map(str::to_owned),
                    out.content_type().map(str::to_owned),
                );
                let bytes = out.body.collect().await.expect("read the body").into_bytes().to_vec();
                answers.push((head, bytes));
            }
            assert_eq!(answers[1], answers[0], "GET {range} (left: bench server, right: moto)");
        }
        // Equal is not enough if both were wrong: the suffix is the body's last 50 bytes.
        let out = bench.get_object().bucket(OBJECTS_BUCKET).key(key).range("bytes=-50").send().await.expect("GET");
        let suffix = out.body.collect().await.expect("body").into_bytes();
        assert_eq!(suffix, body[950..]);

        for range in ["bytes=1000-", "bytes=2000-3000"] {
            let mut refusals = Vec::new();
            for client in [&moto, &bench] {
                let err = client.get_object().bucket(OBJECTS_BUCKET).key(key).range(range).send().await.err();
                refusals.push(err.map(|e| status_and_code(&e)));
            }
            assert_eq!(refusals[1], refusals[0], "GET {range} (left: bench server, right: moto)");
            assert_eq!(refusals[1], Some((Some(416), Some("InvalidRange".to_owned()))));
        }

        let mut heads = Vec::new();
        for client in [&moto, &bench] {
            let out = client.head_object().bucket(OBJECTS_BUCKET).key(key).send().await.expect("HEAD");
            heads.push((
                out.content_length(),
                out.e_tag().map(str::to_owned),
                out.content_type().map(str::to_owned),
                out.accept_ranges().map(str::to_owned),
            ));
        }
        assert_eq!(heads[1], heads[0], "HEAD (left: bench server, right: moto)");
        assert_eq!(heads[1].0, Some(1000));

        // Seeded keys: the same size in both, through HEAD as through the listing.
        for client in [&moto, &bench] {
            let out = client.head_object().bucket(BUCKET).key("odd/esc\u{1b}[31mred.txt").send().await.expect("HEAD");
            assert_eq!(out.content_length(), Some(OBJECT_SIZE as i64));
        }

        let mut missing = Vec::new();
        for client in [&moto, &bench] {
            let head = client.head_object().bucket(OBJECTS_BUCKET).key("no/such/key").send().await.err();
            let get = client.get_object().bucket(OBJECTS_BUCKET).key("no/such/key").send().await.err();
            let bucket = client.get_object().bucket("no-such-bucket-here").key("k").send().await.err();
            missing.push((
                head.map(|e| status_and_code(&e).0),
                get.map(|e| status_and_code(&e)),
                bucket.map(|e| status_and_code(&e)),
            ));
        }
        assert_eq!(missing[1], missing[0], "missing keys and buckets (left: bench server, right: moto)");
        assert_eq!(missing[1].1, Some((Some(404), Some("NoSuchKey".to_owned()))));
        assert_eq!(missing[1].2, Some((Some(404), Some("NoSuchBucket".to_owned()))));
    });
}
