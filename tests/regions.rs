//! A bucket in another region is listed through a client for its region, not refused: the
//! requests for it are signed for that region (the SigV4 credential scope says which).

mod common;

use common::proxy::Proxy;
use common::*;
use s3lease::worker::{self, Request, RequestId, Response};

/// The region in a request's SigV4 `Authorization` credential scope.
fn signed_region(authorization: &str) -> Option<&str> {
    let scope = authorization.split("Credential=").nth(1)?.split(',').next()?;
    scope.split('/').nth(2)
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
    let proxy = Proxy::forwarding(tb.endpoint());
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
    let eu = regions_for(&proxy, "/demo-eu");
    assert!(eu.iter().any(|r| r == "eu-west-1"), "demo-eu listed with eu-west-1 signatures: {eu:?}");
    let listing: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|s| s.request.path().starts_with("/demo-eu") && s.request.is_list_objects_v2())
        .filter_map(|s| s.request.header("authorization").and_then(signed_region).map(str::to_string))
        .collect();
    assert_eq!(listing, ["eu-west-1"], "the listing itself went to the bucket's region");
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
fn ls_signs_for_the_buckets_region_too() {
    let tb = testbed();
    let proxy = Proxy::forwarding(tb.endpoint());
    let sb = Sandbox::with_config(tb, &tb.config_toml().replace(tb.endpoint(), &proxy.url()));
    let run = sb.run(&["ls", "--identity", "auditor", "s3://demo-eu/"]).ok();
    assert!(run.stdout.contains("PRE eu/"), "{}", run.stdout);
    let listing: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|s| s.request.is_list_objects_v2())
        .filter_map(|s| s.request.header("authorization").and_then(signed_region).map(str::to_string))
        .collect();
    assert_eq!(listing, ["eu-west-1"]);
}
