//! The server binary on its own: startup and shutdown, authentication, the operations a
//! benchmark needs, and how fast it lists.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use support::{ACCESS_KEY, BenchServer, status_and_code};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime")
}

#[test]
fn stops_when_stdin_closes() {
    let mut server = BenchServer::start(&[]);
    assert!(server.endpoint.starts_with("http://127.0.0.1:"));
    server.close_stdin();
    let status = server.wait_for_exit(Duration::from_secs(5));
    assert!(status.is_some_and(|s| s.success()), "exit after stdin closed: {status:?}\n{}", server.stderr());
}

#[test]
fn stops_cleanly_on_sigterm() {
    let mut server = BenchServer::start(&[]);
    let killed = std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -TERM ran");
    let status = server.wait_for_exit(Duration::from_secs(5));
    assert!(status.is_some_and(|s| s.success()), "exit after SIGTERM: {status:?}\n{}", server.stderr());
}

#[test]
fn refuses_bad_arguments() {
    for (args, why) in [
        (&["--seed-keys", "10"][..], "needs at least one --bucket"),
        (&["--bucket", "b01", "--layout", "spread", "--prefixes", "0", "--seed-keys", "5"], "--prefixes of 1 or more"),
        (&["--bucket", "Not_A_Bucket"], "not a valid bucket name"),
        (&["--bucket", "b01,b01"], "named twice"),
        (&["--bucket", "b01", "--seed-file", "/nonexistent/keys.txt"], "cannot read /nonexistent/keys.txt"),
    ] {
        let error = BenchServer::try_start(args).err().unwrap_or_else(|| panic!("{args:?} should be refused"));
        assert!(error.contains(why), "{args:?}: {error}");
    }
}

#[test]
fn checks_signatures() {
    let server = BenchServer::start(&["--bucket", "b01"]);
    let rt = runtime();
    rt.block_on(async {
        server.client().head_bucket().bucket("b01").send().await.expect("the right keys work");
        let wrong_secret = support::client(&server.endpoint, ACCESS_KEY, "not-the-secret");
        let err = wrong_secret.list_objects_v2().bucket("b01").send().await.expect_err("a bad signature");
        assert_eq!(status_and_code(&err), (Some(403), Some("SignatureDoesNotMatch".to_owned())));
        let unknown = support::client(&server.endpoint, "someone-else", "bench-secret");
        let err = unknown.list_objects_v2().bucket("b01").send().await.expect_err("an unknown key");
        assert_eq!(status_and_code(&err), (Some(403), Some("InvalidAccessKeyId".to_owned())));
    });
}

#[test]
fn buckets_objects_and_errors() {
    let server = BenchServer::start(&["--bucket", "b01,b02", "--seed-keys", "3", "--object-size", "100000"]);
    let client = server.client();
    let rt = runtime();
    rt.block_on(async {
        let out = client.list_buckets().send().await.expect("ListBuckets");
        let names: Vec<&str> = out.buckets().iter().filter_map(|b| b.name()).collect();
        assert_eq!(names, ["b01", "b02"]);

        client.create_bucket().bucket("b03").send().await.expect("CreateBucket");
        let err = client.create_bucket().bucket("b03").send().await.expect_err("a second CreateBucket");
        assert_eq!(status_and_code(&err), (Some(409), Some("BucketAlreadyOwnedByYou".to_owned())));
        let err = client.head_bucket().bucket("nope").send().await.expect_err("HeadBucket of a missing bucket");
        assert_eq!(status_and_code(&err).0, Some(404));
        let err = client.list_objects_v2().bucket("nope").send().await.expect_err("listing a missing bucket");
        assert_eq!(status_and_code(&err), (Some(404), Some("NoSuchBucket".to_owned())));

        // Seeded into every bucket named at start.
        for bucket in ["b01", "b02"] {
            let out = client.list_objects_v2().bucket(bucket).send().await.expect("list");
            assert_eq!(out.key_count(), Some(3));
            assert_eq!(out.contents()[0].key(), Some("data/key-0000001.json"));
            assert_eq!(out.contents()[0].size(), Some(100_000));
        }

        // A seeded object streams its bytes; a range is a slice of the whole.
        let key = "data/key-0000002.json";
        let out = client.get_object().bucket("b01").key(key).send().await.expect("GET");
        assert_eq!(out.content_length(), Some(100_000));
        let etag = out.e_tag().map(str::to_owned);
        let whole = out.body.collect().await.expect("body").into_bytes();
        assert_eq!(whole.len(), 100_000);
        let out = client.get_object().bucket("b01").key(key).range("bytes=70000-70099").send().await.expect("GET");
        assert_eq!(out.content_range(), Some("bytes 70000-70099/100000"));
        assert_eq!(out.e_tag().map(str::to_owned), etag);
        let part = out.body.collect().await.expect("body").into_bytes();
        assert_eq!(part, whole.slice(70_000..70_100));

        // If-Match guards resumed downloads: a stale ETag is refused.
        let err = client.get_object().bucket("b01").key(key).if_match("\"0000\"").send().await.expect_err("If-Match");
        assert_eq!(status_and_code(&err).0, Some(412));
        let ok = client.get_object().bucket("b01").key(key).if_match(etag.clone().unwrap_or_default()).send().await;
        assert!(ok.is_ok(), "the current ETag matches");

        // PutObject keeps the bytes and answers with their MD5.
        let body = b"hello, bench".to_vec();
        let out = client
            .put_object()
            .bucket("b03")
            .key("greeting.txt")
            .content_type("text/plain")
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .expect("PutObject");
        let md5: String = {
            use md5::{Digest, Md5};
            Md5::digest(&body).iter().map(|b| format!("{b:02x}")).collect()
        };
        assert_eq!(out.e_tag(), Some(format!("\"{md5}\"").as_str()));
        let head = client.head_object().bucket("b03").key("greeting.txt").send().await.expect("HEAD");
        assert_eq!(head.content_length(), Some(body.len() as i64));
        assert_eq!(head.content_type(), Some("text/plain"));
        assert_eq!(head.e_tag(), out.e_tag());
        let got = client.get_object().bucket("b03").key("greeting.txt").send().await.expect("GET");
        assert_eq!(got.body.collect().await.expect("body").into_bytes().to_vec(), body);

        // A token this server did not issue is refused, as S3 refuses one.
        let err = client
            .list_objects_v2()
            .bucket("b01")
            .continuation_token("!!not-a-token!!")
            .send()
            .await
            .expect_err("a forged token");
        assert_eq!(status_and_code(&err), (Some(400), Some("InvalidArgument".to_owned())));
    });
}

#[test]
fn continuation_tokens_survive_a_restart() {
    let args = ["--bucket", "b01", "--seed-keys", "2500", "--layout", "spread", "--prefixes", "3"];
    let rt = runtime();
    let second_page = |server: &BenchServer, token: Option<String>| {
        rt.block_on(async {
            let client = server.client();
            let token = match token {
                Some(token) => token,
                None => {
                    let out = client.list_objects_v2().bucket("b01").send().await.expect("first page");
                    out.next_continuation_token().map(str::to_owned).expect("a token")
                }
            };
            let out = client.list_objects_v2().bucket("b01").continuation_token(&token).send().await;
            let keys: Vec<String> =
                out.expect("second page").contents().iter().filter_map(|o| o.key()).map(str::to_owned).collect();
            (token, keys)
        })
    };
    let (token, before) = second_page(&BenchServer::start(&args), None);
    let (_, after) = second_page(&BenchServer::start(&args), Some(token));
    assert_eq!(before.len(), 1000);
    assert_eq!(after, before, "a new server continues where the old one left off");
}

#[test]
fn latency_delays_every_request() {
    let server = BenchServer::start(&["--bucket", "b01", "--latency-ms", "150"]);
    let client = server.client();
    runtime().block_on(async {
        client.head_bucket().bucket("b01").send().await.expect("warm up the connection");
        for _ in 0..3 {
            let started = Instant::now();
            client.head_bucket().bucket("b01").send().await.expect("HeadBucket");
            let took = started.elapsed();
            assert!(took >= Duration::from_millis(150), "took {took:?}");
        }
    });
}

/// 100,000 keys paged through 1,000 at a time, as s3lease lists them. Prints the time: run
/// with `--nocapture` to see it (the release client is several times faster than this
/// debug one).
#[test]
fn lists_100k_keys_page_by_page() {
    let started = Instant::now();
    let server = BenchServer::start(&["--bucket", "big", "--seed-keys", "100000", "--layout", "spread"]);
    let seeded = started.elapsed();
    let client = server.client();
    runtime().block_on(async {
        let started = Instant::now();
        let mut keys: Vec<String> = Vec::with_capacity(100_000);
        let mut pages = client.list_objects_v2().bucket("big").into_paginator().send();
        let mut page_count = 0;
        while let Some(page) = pages.next().await {
            let page = page.expect("a page");
            page_count += 1;
            keys.extend(page.contents().iter().filter_map(|o| o.key()).map(str::to_owned));
        }
        let listed = started.elapsed();
        assert_eq!(page_count, 100);
        assert_eq!(keys.len(), 100_000);
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys come sorted and distinct");
        assert_eq!(keys.iter().map(|k| &k[..5]).collect::<BTreeSet<_>>().len(), 10, "ten top-level prefixes");

        let started = Instant::now();
        let out = client.list_objects_v2().bucket("big").delimiter("/").send().await.expect("top level");
        let grouped = started.elapsed();
        assert_eq!(out.common_prefixes().len(), 10);
        assert_eq!(out.key_count(), Some(10));
        println!(
            "bench server: started with 100k keys in {seeded:.2?}; listed them in {page_count} pages in \
             {listed:.2?} ({:.0} keys/s, debug client); top level with delimiter in {grouped:.2?}",
            keys.len() as f64 / listed.as_secs_f64()
        );
    });
}
