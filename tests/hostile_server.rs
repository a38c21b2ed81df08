//! Server answers are untrusted: the test proxy answers S3 calls with malformed or hostile
//! listings (a missing `<Key>`, a continuation token served forever, a million entries, sizes
//! past 2^64 or negative, garbage, 10 MB bodies, an absurd `Content-Length`, escape sequences
//! in messages) while STS calls go through to moto. `s3lease ls` must end with a clear error
//! (exit 1) or a correct bounded result: never a panic, never a loop, never a balloon.
//!
//! The memory bound is measured in process: a counting allocator tracks the peak of what the
//! test's own thread holds while one page is listed on a current-thread runtime (the proxy's
//! threads, which build the hostile bodies, are not counted).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::hostile::assert_clean;
use common::proxy::{Action, Canned, Proxy, RequestHead};
use common::*;
use s3lease::credentials::mfa::GivenCode;
use s3lease::s3::list;

// --- Memory, per thread ---------------------------------------------------------------------

struct Counting;

thread_local! {
    static HELD: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    // `try_with`: a thread being torn down has no locals left to count in.
    let _ = HELD.try_with(|held| {
        let now = held.get() + delta;
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        track(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        track(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most this thread held at once while `f` ran, above what it held before.
fn peak_while<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = HELD.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    (out, usize::try_from(PEAK.with(Cell::get) - base).unwrap_or(0))
}

const MIB: usize = 1024 * 1024;

// --- Hostile answers ------------------------------------------------------------------------

fn xml(body: &str) -> Canned {
    Canned::new(200, format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}"))
        .header("Content-Type", "application/xml")
}

/// A ListObjectsV2 answer with `contents` and the paging elements given.
fn listing(contents: &str, truncated: Option<bool>, next: Option<&str>) -> Canned {
    let truncated = truncated.map(|t| format!("<IsTruncated>{t}</IsTruncated>")).unwrap_or_default();
    let next = next.map(|t| format!("<NextContinuationToken>{t}</NextContinuationToken>")).unwrap_or_default();
    xml(&format!(
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix></Prefix>\
         {truncated}{next}<MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>{contents}</ListBucketResult>"
    ))
}

fn object(key: &str, size: &str) -> String {
    format!(
        "<Contents><Key>{key}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
         <ETag>&quot;0&quot;</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>"
    )
}

/// A page of a million objects: about 150 MB of XML.
fn million() -> Canned {
    let mut contents = String::with_capacity(1_000_000 * 150);
    for i in 0..1_000_000 {
        contents.push_str(&object(&format!("k{i:07}"), "1"));
    }
    listing(&contents, Some(false), None)
}

/// The answer the proxy gives for `bucket`'s listings; everything else goes to moto.
fn hostile_listing(bucket: &str) -> Option<Canned> {
    Some(match bucket {
        "missing-key" => listing("<Contents><Size>1</Size></Contents>", Some(false), None),
        "missing-prefix" => listing("<CommonPrefixes></CommonPrefixes>", Some(false), None),
        "token-loop" => listing(&object("a", "1"), Some(true), Some("again")),
        "no-is-truncated" => listing(&object("a", "1"), None, Some("more")),
        "truncated-no-token" => listing(&object("a", "1"), Some(true), None),
        "size-past-u64" => listing(&object("a", "18446744073709551617"), Some(false), None),
        "size-negative" => listing(&object("a", "-5"), Some(false), None),
        "size-huge" => listing(&object("a", "9223372036854775807"), Some(false), None),
        "empty-contents" => listing(&"<Contents/>".repeat(300_000), Some(false), None),
        "garbage" => Canned::new(200, "this is not XML \u{1b}]0;pwned\u{7}\u{1b}[2J"),
        "ten-mb" => Canned::new(200, vec![b'A'; 10 * MIB]),
        "twenty-mb" => Canned::new(200, vec![b'A'; 20 * MIB]),
        "absurd-length" => listing(&object("a", "1"), Some(false), None).header("Content-Length", "99999999999999999"),
        "deep" => xml(&format!("{}{}", "<a>".repeat(200_000), "</a>".repeat(200_000))),
        "hostile-message" => Canned::s3_error(403, "AccessDenied", "no \u{1b}]0;pwned\u{7} \u{1b}[2J \u{202e}txt"),
        _ => return None,
    })
}

/// A proxy answering listings of the buckets above, and one forwarding the rest to moto.
fn proxy() -> Proxy {
    let tb = testbed();
    let million = million();
    Proxy::start(tb.endpoint(), move |r: &RequestHead| {
        let bucket = r.path().trim_start_matches('/').split('/').next().unwrap_or_default().to_string();
        if r.is_list_objects_v2() {
            if bucket == "million" {
                return Action::respond(million.clone());
            }
            if let Some(canned) = hostile_listing(&bucket) {
                return Action::respond(canned);
            }
        }
        Action::Forward
    })
}

fn sandbox(proxy: &Proxy) -> Sandbox {
    let tb = testbed();
    Sandbox::with_config(tb, &tb.config_toml().replace(tb.endpoint(), &proxy.url()))
}

fn ls(sb: &Sandbox, args: &[&str]) -> Run {
    let mut all = vec!["ls", "--identity", "admin-role"];
    all.extend_from_slice(args);
    sb.run(&all)
}

/// Listings of `bucket` the proxy saw.
fn listings_of(proxy: &Proxy, bucket: &str) -> usize {
    proxy
        .requests()
        .iter()
        .filter(|s| s.request.is_list_objects_v2() && s.request.path().trim_matches('/') == bucket)
        .count()
}

/// `ls` of `bucket` (plain, then recursive) exits 1 with `error: ` and `needle` on a clean
/// stderr, and no panic; returns the problems.
fn refused(sb: &Sandbox, bucket: &str, needle: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let uri = format!("s3://{bucket}/");
    for args in [vec![uri.as_str()], vec!["--recursive", uri.as_str()]] {
        let run = ls(sb, &args);
        let what = format!("ls {}", args.join(" "));
        if run.code != 1 || run.stderr.contains("panicked") || !run.stderr.starts_with("error: ") {
            problems.push(format!("{what}: exit {}\n{}", run.code, run.stderr));
        } else if !run.stderr.contains(needle) {
            problems.push(format!("{what}: stderr lacks {needle:?}:\n{}", run.stderr));
        }
        if run.stderr.chars().any(common::hostile::is_steering) {
            problems.push(format!("{what}: raw control characters on stderr: {:?}", run.stderr));
        }
    }
    problems
}

#[test]
fn malformed_and_hostile_listings_end_in_a_clear_error() {
    let proxy = proxy();
    let sb = sandbox(&proxy);
    let cases = [
        ("missing-key", "malformed: it has a <Contents> without a <Key>"),
        ("missing-prefix", "malformed: it has a <CommonPrefixes> without a <Prefix>"),
        ("token-loop", "malformed: it has the continuation token it was asked with as the next one"),
        ("truncated-no-token", "more to list (<IsTruncated>) but no continuation token"),
        ("size-past-u64", "is not a valid ListObjectsV2 answer"),
        ("size-negative", "malformed: it has a negative <Size> for `a`"),
        ("million", "the server announced a"),
        ("empty-contents", "more than 250000 XML tags"),
        ("garbage", "is not a valid ListObjectsV2 answer"),
        ("ten-mb", "is not a valid ListObjectsV2 answer"),
        ("twenty-mb", "the server announced a 20971520-byte answer"),
        ("absurd-length", "the server announced a 99999999999999999-byte answer"),
        ("hostile-message", "AccessDenied"),
    ];
    let mut problems = Vec::new();
    for (bucket, needle) in cases {
        problems.extend(refused(&sb, bucket, needle).into_iter().map(|p| format!("[{bucket}] {p}")));
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n\n"));

    // The loop was detected, not followed: two requests per listing (the first page, then
    // the one that handed the same token back), four for the two listings. (The walk of
    // --recursive lists the top level with a delimiter first, so its count is the same.)
    assert_eq!(listings_of(&proxy, "token-loop"), 4);
}

#[test]
fn server_messages_are_escaped_on_stderr() {
    let proxy = proxy();
    let sb = sandbox(&proxy);
    let run = ls(&sb, &["s3://hostile-message/"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_clean("stderr", &run.stderr);
    assert!(run.stderr.contains("no \\u{1b}]0;pwned\\u{7} \\u{1b}[2J \\u{202e}txt"), "{}", run.stderr);
    let run = ls(&sb, &["s3://garbage/"]);
    assert_clean("stderr", &run.stderr);
}

#[test]
fn odd_but_bounded_listings_give_a_correct_result() {
    let proxy = proxy();
    let sb = sandbox(&proxy);
    // No <IsTruncated>: the listing is over, whatever token comes with it (as the AWS CLI reads it).
    let run = ls(&sb, &["s3://no-is-truncated/"]).ok();
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert_eq!(listings_of(&proxy, "no-is-truncated"), 1);
    // The largest size S3's wire format can carry is shown as it is.
    let run = ls(&sb, &["s3://size-huge/"]).ok();
    assert!(run.stdout.contains(" 9223372036854775807 a"), "{}", run.stdout);
    // Elements nested 200,000 deep: read or refused, never a crash.
    let run = ls(&sb, &["s3://deep/"]);
    assert!(run.code == 0 || run.code == 1, "exit {}: {}", run.code, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// One page through the library, on this thread, and the most memory it held meanwhile.
/// The page is given back as its number of objects: a million of them would not print well.
fn list_one_page(proxy: &Proxy, bucket: &str) -> (Result<usize, String>, usize) {
    let tb = testbed();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let (dir, session) = runtime.block_on(async {
        let (dir, mut manager) = session_manager(tb, &proxy.url(), "").await;
        let session = manager.start("admin-role", &mut GivenCode::new(None, "none needed")).await.unwrap();
        (dir, session)
    });
    let (page, peak) = peak_while(|| {
        let page = runtime.block_on(list::list_page(&session.s3, &proxy.url(), bucket, "", Some("/"), None));
        page.map(|p| p.objects.len()).map_err(|e| e.to_string())
    });
    drop(dir);
    (page, peak)
}

#[test]
fn a_huge_page_is_refused_without_ballooning_memory() {
    let proxy = proxy();
    // The control: a good page through the same path holds little.
    let (page, small) = list_one_page(&proxy, "no-is-truncated");
    assert_eq!(page, Ok(1));
    for (bucket, needle) in [
        ("million", "the server announced a"),
        ("empty-contents", "more than 250000 XML tags"),
        ("ten-mb", "is not a valid ListObjectsV2 answer"),
        ("twenty-mb", "announced a 20971520-byte answer"),
    ] {
        let (page, peak) = list_one_page(&proxy, bucket);
        eprintln!("[{bucket}] peak {} KiB", peak / 1024);
        // At most the capped body (16 MiB) and its parse, never the page's own size.
        assert!(peak < 48 * MIB, "[{bucket}] held {} MiB at the peak (a good page: {} KiB)", peak / MIB, small / 1024);
        match page {
            Err(message) => assert!(message.contains(needle), "[{bucket}] {message}"),
            Ok(n) => panic!("[{bucket}] {n} objects listed"),
        }
    }
}

/// A proxy answering ListBuckets (`GET /`) with `body`, and forwarding the rest to moto.
fn buckets_proxy(body: &'static str) -> Proxy {
    Proxy::start(testbed().endpoint(), move |r: &RequestHead| {
        if r.method == "GET" && r.path() == "/" && r.api_action().is_none() {
            return Action::respond(xml(&format!(
                "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{body}</ListAllMyBucketsResult>"
            )));
        }
        Action::Forward
    })
}

#[test]
fn hostile_bucket_lists_are_escaped_or_refused() {
    // Names no real bucket can have, shown escaped.
    let proxy = buckets_proxy(
        "<Buckets><Bucket><Name>evil&#x1b;]0;pwned&#x7;</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate>\
         </Bucket><Bucket><Name>rtl&#x202e;gpj.exe</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>\
         </Buckets>",
    );
    let run = ls(&sandbox(&proxy), &[]).ok();
    assert_clean("ls stdout", &run.stdout);
    assert!(run.stdout.contains("evil\\u{1b}]0;pwned\\u{7}"), "{}", run.stdout);
    assert!(run.stdout.contains("rtl\\u{202e}gpj.exe"), "{}", run.stdout);

    // A bucket without a name, and a continuation token handed out again: refused.
    let cases = [
        (
            buckets_proxy("<Buckets><Bucket><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets>"),
            "a bucket without a <Name>",
        ),
        (
            buckets_proxy(
                "<Buckets><Bucket><Name>a</Name></Bucket></Buckets><ContinuationToken>again</ContinuationToken>",
            ),
            "a continuation token it had already given",
        ),
    ];
    for (proxy, needle) in cases {
        let run = ls(&sandbox(&proxy), &[]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.contains(needle), "{needle:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}
