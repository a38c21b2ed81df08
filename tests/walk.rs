//! The parallel recursive listing against moto: folders are listed side by side (a proxy
//! holds their requests until several wait at once), and the result is the plain listing's,
//! key for key and in the same order.

mod common;

use std::time::Duration;

use common::proxy::{Action, Gate, Proxy, RequestHead};
use common::walked::{self, keys_of};
use common::*;
use s3lease::credentials::mfa::GivenCode;
use s3lease::s3::walk::{Target, WalkOptions, walk};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_are_listed_side_by_side_and_the_keys_are_the_plain_listings() {
    let tb = testbed();
    let gate = Gate::new();
    // Flat listings (no delimiter) are the folders' ranges: hold each one's first page.
    let proxy = walked::holding_first_pages(tb.endpoint(), &gate);
    let (_dir, mut manager) = session_manager(tb, &proxy.url(), "").await;
    let session = manager.start("auditor", &mut GivenCode::new(None, "none needed")).await.unwrap();
    let target = |endpoint: &str| Target {
        client: session.s3.clone(),
        endpoint: endpoint.to_string(),
        bucket: "demo-data".into(),
    };

    let parallel = tokio::spawn(keys_of(target(&proxy.url()), "", 3));
    assert!(gate.wait_held(3, Duration::from_secs(60)), "three folders' first pages were asked for at once");
    assert_eq!(gate.held(), 3, "and no more than the concurrency allows");
    gate.release();
    let parallel = parallel.await.unwrap();

    let sequential = keys_of(target(&proxy.url()), "", 1).await;
    assert!(sequential.len() > 2600, "the whole bucket: {}", sequential.len());
    assert_eq!(parallel, sequential, "the same keys in the same order");
    let mut sorted = sequential.clone();
    sorted.sort();
    assert_eq!(sequential, sorted, "in byte order, as S3 lists them");

    // A prefix that is one folder deep, and one that ends mid-name.
    for prefix in ["logs/", "logs/2024", "odd/", "nothing-here/"] {
        assert_eq!(keys_of(target(&proxy.url()), prefix, 4).await, keys_of(target(&proxy.url()), prefix, 1).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_levels_objects_stream_before_its_next_page_arrives() {
    let tb = testbed();
    let gate = Gate::new();
    let held = gate.clone();
    // `logs/` holds one folder and 2,600 objects: its level listing takes three pages.
    let proxy = Proxy::start(tb.endpoint(), move |r: &RequestHead| {
        let level = r.is_list_objects_v2() && r.query_param("delimiter").is_some();
        if level && r.has_query_key("continuation-token") { Action::hold(&held) } else { Action::Forward }
    });
    let (_dir, mut manager) = session_manager(tb, &proxy.url(), "").await;
    let session = manager.start("auditor", &mut GivenCode::new(None, "none needed")).await.unwrap();
    let target = Target { client: session.s3.clone(), endpoint: proxy.url(), bucket: "demo-data".into() };

    let mut pages = walk(target, "logs/".into(), WalkOptions { concurrency: 4, ahead: 2 });
    let mut keys = Vec::new();
    while keys.len() < 1000 {
        let page = tokio::time::timeout(Duration::from_secs(60), pages.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} keys while the level's second page is held", keys.len()))
            .expect("the walk ended early");
        keys.extend(page.unwrap_or_else(|e| panic!("{e}")).into_iter().map(|o| o.key));
    }
    assert!(gate.wait_held(1, Duration::from_secs(60)), "the level's second page was asked for");
    assert_eq!(keys[0], "logs/archive/2023.tar", "the folder sorts first and comes first");
    assert_eq!(keys[1], "logs/event-00000.json");

    gate.release();
    while let Some(page) = pages.recv().await {
        keys.extend(page.unwrap_or_else(|e| panic!("{e}")).into_iter().map(|o| o.key));
    }
    assert_eq!(keys.len(), 2601, "the folder's key and every object once");
}

#[test]
fn ls_recursive_prints_the_same_lines_in_parallel_as_page_by_page() {
    let tb = testbed();
    let sb = Sandbox::new(tb);
    let sequential = sb.run(&["ls", "--recursive", "--json", "--concurrency", "1", "s3://demo-data"]).ok();
    let parallel = sb.run(&["ls", "--recursive", "--json", "s3://demo-data"]).ok();
    assert!(sequential.stdout.lines().count() > 2600, "{}", sequential.stderr);
    assert_eq!(parallel.stdout, sequential.stdout);

    let refused = sb.run(&["ls", "--concurrency", "0", "--recursive", "s3://demo-data"]).expect_code(2);
    assert!(refused.stderr.contains("--concurrency"), "{}", refused.stderr);
    let refused = sb.run(&["ls", "--concurrency", "4", "s3://demo-data"]).expect_code(2);
    assert!(refused.stderr.contains("--recursive"), "{}", refused.stderr);
}
