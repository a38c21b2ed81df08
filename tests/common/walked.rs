//! What `tests/walk.rs` and `tests/find.rs` share: the keys a walk yields, and a proxy that
//! holds every folder's first page so a test can see how many are listed side by side.

use s3lease::s3::walk::{Target, WalkOptions, walk};

use super::proxy::{Action, Gate, Proxy, RequestHead};

/// Every key under `prefix`, in the order the walk yields them; an error fails the test.
pub async fn keys_of(target: Target, prefix: &str, concurrency: usize) -> Vec<String> {
    let mut pages = walk(target, prefix.to_string(), WalkOptions { concurrency, ahead: 2 });
    let mut keys = Vec::new();
    while let Some(page) = pages.recv().await {
        keys.extend(page.unwrap_or_else(|e| panic!("{e}")).into_iter().map(|o| o.key));
    }
    keys
}

/// A proxy in front of `upstream` that holds the first page of every flat listing (no
/// delimiter: a folder's range) on `gate` until it is released.
pub fn holding_first_pages(upstream: &str, gate: &Gate) -> Proxy {
    let held = gate.clone();
    Proxy::start(upstream, move |r: &RequestHead| {
        let range = r.is_list_objects_v2() && r.query_param("delimiter").is_none();
        if range && !r.has_query_key("continuation-token") && !held.is_released() {
            Action::hold(&held)
        } else {
            Action::Forward
        }
    })
}
