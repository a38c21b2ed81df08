//! A bucket in another region is listed through a client for its region, not refused: the
//! requests for it are signed for that region (the SigV4 credential scope says which).
//!
//! moto answers a request for any bucket whatever region it was signed for; S3 does not. The
//! proxy plays S3's part: a request for `demo-eu` signed for another region gets S3's 301
//! `PermanentRedirect` with `x-amz-bucket-region`, and never reaches moto.

mod common;

use common::proxy::{Action, Canned, Outcome, Proxy, RequestHead};
use common::*;
use s3lease::worker::{self, Request, RequestId, Response};

/// The region in a request's SigV4 `Authorization` credential scope.
fn signed_region(authorization: &str) -> Option<&str> {
    let scope = authorization.split("Credential=").nth(1)?.split(',').next()?;
    scope.split('/').nth(2)
}

const EU_BUCKET: &str = "/demo-eu";
const EU: &str = "eu-west-1";

/// S3's answer to a request for a bucket in another region than the one it was signed for.
fn s3_redirects(request: &RequestHead) -> Action {
    let for_eu = request.path() == EU_BUCKET || request.path().starts_with(&format!("{EU_BUCKET}/"));
    let region = request.header("authorization").and_then(signed_region);
    if !for_eu || region.is_none_or(|r| r == EU) {
        return Action::Forward;
    }
    let body = if request.method.eq_ignore_ascii_case("HEAD") {
        String::new()
    } else {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you \
         are attempting to access must be addressed using the specified endpoint. Please send all future requests \
         to this endpoint.</Message><Endpoint>s3.eu-west-1.amazonaws.com</Endpoint><Bucket>demo-eu</Bucket>\
         <RequestId>proxy</RequestId></Error>"
            .to_string()
    };
    Action::respond(Canned::new(301, body).header("Content-Type", "application/xml").header("x-amz-bucket-region", EU))
}

/// The signed regions of the ListObjectsV2 requests, each with whether moto answered it (true)
/// or the proxy refused it as S3 would (false).
fn listings(proxy: &Proxy) -> Vec<(String, bool)> {
    proxy
        .requests()
        .iter()
        .filter(|s| s.request.is_list_objects_v2())
        .filter_map(|s| {
            let region = s.request.header("authorization").and_then(signed_region)?.to_string();
            let forwarded = matches!(proxy.outcome(s.seq), Some(Outcome::Forwarded { .. }));
            Some((region, forwarded))
        })
        .collect()
}

fn regions_for(proxy: &Proxy, path_prefix: &str) -> Vec<String> {
    proxy
        .requests()
        .iter()
        .filter(|seen| seen.request.path().starts_with(path_prefix))
        .filter_map(|seen| seen.request.header("authorization").and_then(signed_region).map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_lists_a_bucket_with_a_client_for_its_region() {
    let tb = testbed();
    let proxy = Proxy::start(tb.endpoint(), s3_redirects);
    let (_dir, manager) = session_manager(tb, &proxy.url(), "").await;
    let mut worker = worker::spawn(manager);
    for (id, bucket) in [(1, "demo-eu"), (2, "demo-data")] {
        let request = Request::ListObjects {
            id: RequestId(id),
            identity: "auditor".into(),
            bucket: bucket.into(),
            prefix: String::new(),
            continuation: None,
        };
        worker.requests.send(request).expect("worker running");
        let response = answer(&mut worker, id).await;
        let Response::Objects { id: got, result } = response else { panic!("unexpected {response:?}") };
        assert_eq!(got, RequestId(id));
        let page = result.unwrap_or_else(|f| panic!("{bucket}: {}", f.message));
        assert!(!page.objects.is_empty() || !page.prefixes.is_empty(), "{bucket} has entries");
    }
    let eu = regions_for(&proxy, EU_BUCKET);
    assert!(eu.iter().any(|r| r == EU), "demo-eu listed with eu-west-1 signatures: {eu:?}");
    let eu_listings: Vec<(String, bool)> = proxy
        .requests()
        .iter()
        .filter(|s| s.request.path().starts_with(EU_BUCKET) && s.request.is_list_objects_v2())
        .filter_map(|s| s.request.header("authorization").and_then(signed_region).map(|r| (r.to_string(), true)))
        .collect();
    assert_eq!(eu_listings, [(EU.to_string(), true)], "the region was looked up first, so the listing went there");
    let home = regions_for(&proxy, "/demo-data");
    assert!(!home.is_empty() && home.iter().all(|r| r == "us-east-1"), "demo-data stays in us-east-1: {home:?}");

    // The bucket list shows each bucket's region, looked up where ListBuckets leaves it out.
    worker.requests.send(Request::ListBuckets { id: RequestId(3), identity: "auditor".into() }).expect("running");
    let response = answer(&mut worker, 3).await;
    let Response::Buckets { result: Ok(buckets), .. } = response else { panic!("unexpected {response:?}") };
    let region = |name: &str| buckets.iter().find(|b| b.name == name).and_then(|b| b.region.clone());
    assert_eq!(region("demo-eu").as_deref(), Some("eu-west-1"));
    assert_eq!(region("demo-data").as_deref(), Some("us-east-1"));
}

#[test]
fn ls_guesses_the_home_region_and_follows_s3s_redirect_to_the_buckets() {
    let tb = testbed();
    let proxy = Proxy::start(tb.endpoint(), s3_redirects);
    let sb = Sandbox::with_config(tb, &tb.config_toml().replace(tb.endpoint(), &proxy.url()));
    let run = sb.run(&["ls", "--identity", "auditor", "s3://demo-eu/"]).ok();
    assert!(run.stdout.contains("PRE eu/"), "{}", run.stdout);
    // One refused guess, then the listing in the bucket's region; no lookup before either.
    assert_eq!(listings(&proxy), [("us-east-1".to_string(), false), (EU.to_string(), true)]);
    let s3_requests: Vec<String> =
        proxy.requests().iter().filter(|s| s.is_s3()).map(|s| format!("{} {}", s.method, s.target)).collect();
    assert_eq!(s3_requests.len(), 2, "no HeadBucket: {s3_requests:?}");

    let run = sb.run(&["ls", "--recursive", "--identity", "auditor", "s3://demo-eu/"]).ok();
    assert!(run.stdout.lines().any(|l| l.contains("eu/")), "{}", run.stdout);
}

#[test]
fn ls_of_a_bucket_in_the_home_region_is_one_round_trip_to_s3() {
    let tb = testbed();
    let proxy = Proxy::start(tb.endpoint(), s3_redirects);
    let sb = Sandbox::with_config(tb, &tb.config_toml().replace(tb.endpoint(), &proxy.url()));
    let run = sb.run(&["ls", "--identity", "auditor", "s3://demo-data/"]).ok();
    assert!(!run.stdout.is_empty(), "demo-data has entries");
    let s3_requests: Vec<String> =
        proxy.requests().iter().filter(|s| s.is_s3()).map(|s| format!("{} {}", s.method, s.target)).collect();
    assert_eq!(s3_requests.len(), 1, "the first line waits for one S3 request only: {s3_requests:?}");
    assert_eq!(listings(&proxy), [("us-east-1".to_string(), true)]);
}
