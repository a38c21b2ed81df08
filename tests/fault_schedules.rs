//! A seeded randomized run: at least 1,000 fault schedules over a recursive listing of a
//! 5,000-key bucket (`demo-spread`: folders side by side, one of several pages, objects between
//! them, names that need URL-encoding), each of which must end in exactly the seeded keys, in
//! order and none twice, or in a clear error naming the endpoint and `ListObjectsV2`, with
//! only a prefix of the keys before it. Anything else (a missing, extra, repeated or garbled
//! key, a vague error, a listing that never ends) is a wrong outcome and fails the test.
//!
//! How it stays fast (well under two minutes on two cores):
//! - Replay: moto takes ~0.1 s a page here, and the run asks for ~25,000 pages. Every schedule
//!   gets its own fault proxy, all sharing one [`ReplayCache`]: each distinct listing request
//!   goes to moto once (the clean run below fetches them all), and every repeat is answered
//!   with moto's own bytes, with the schedule's faults applied to them.
//! - In-process, side by side: schedules run through `s3lease::s3::walk`, the code
//!   `s3lease ls --recursive` runs, with the S3 client the app builds (`AwsContext::s3`: its
//!   retry policy and its XML check), [`PARALLEL`] at a time, so retry backoffs overlap.
//!   The binary's own handling of the walk's result is covered by `tests/faults.rs`.
//!
//! A schedule decides each request's fate from its seed, the request's target and how many
//! times that target was asked for, so the faults do not depend on which of the concurrent
//! requests happens to arrive first. A failure prints the seed and the schedule; run again
//! with `S3LEASE_FAULT_SEED=S` (and `S3LEASE_FAULT_SCHEDULES=N` for a longer run, or
//! `S3LEASE_FAULT_ONLY=I` for one schedule).

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::proxy::{Action, Canned, Keep, Proxy, ReplayCache, RequestHead};
use common::*;
use s3lease::credentials::mfa::GivenCode;
use s3lease::s3::walk::{self, Target, WalkOptions};
use s3lease::testbed::Seed;
use tokio::sync::mpsc;

const KEYS: usize = 5000;
const BUCKET: &str = "demo-spread";
const DEFAULT_SCHEDULES: u64 = 1000;
const DEFAULT_SEED: u64 = 0x5eed_fa17;
/// Schedules listing at once.
const PARALLEL: usize = 32;
/// A schedule that has not ended by then is frozen: a wrong outcome, not a slow one.
const FROZEN: Duration = Duration::from_secs(120);

/// Key `i` of demo-spread, as `spread_key` in assets/testbed/server.py makes it.
fn spread_key(i: usize) -> String {
    if i.is_multiple_of(50) {
        return format!("top-{i:05}.txt");
    }
    if i % 50 == 25 {
        return format!("f{:02}-{i:05}.txt", i % 20);
    }
    if i.is_multiple_of(3) {
        return format!("big/{i:05}.json");
    }
    let name = if i % 101 == 1 { format!("{i:05} café + 100%.txt") } else { format!("{i:05}.txt") };
    format!("f{:02}/s{}/{name}", i % 20, i % 3)
}

/// The seeded keys in S3's order (by bytes).
fn expected_keys() -> Vec<String> {
    let mut keys: Vec<String> = (0..KEYS).map(spread_key).collect();
    keys.sort();
    keys
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={text:?} is not a number")))
}

// --- A small seeded PRNG (SplitMix64) -------------------------------------------------------

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = mix(self.0);
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn fraction(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

// --- Schedules ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Fault {
    Latency,
    InternalError,
    SlowDown,
    ResetMidBody,
    TruncatedXml,
    Dropped,
    ServerDown,
}

const FAULTS: [Fault; 7] = [
    Fault::Latency,
    Fault::InternalError,
    Fault::SlowDown,
    Fault::ResetMidBody,
    Fault::TruncatedXml,
    Fault::Dropped,
    Fault::ServerDown,
];

/// One schedule: how often its requests meet a fault, and the seed that picks which and how.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    index: u64,
    seed: u64,
    /// Per mille of requests that meet a fault.
    density: u64,
}

impl Schedule {
    fn new(run_seed: u64, index: u64) -> Self {
        let seed = mix(run_seed ^ mix(index));
        // From clean runs to storms: most schedules recover, some cannot.
        let density = [0, 30, 80, 150, 300, 600][(mix(seed) % 6) as usize];
        Schedule { index, seed, density }
    }

    /// The fate of the `attempt`-th request (from 0) for `target`: a fault and how it goes,
    /// or `None` to forward it.
    fn fate(&self, target: &str, attempt: u64) -> Option<(Fault, Action, Duration)> {
        let mut rng = Rng(self.seed ^ fnv(target) ^ mix(attempt));
        if rng.below(1000) >= self.density {
            return None;
        }
        let fault = FAULTS[rng.below(FAULTS.len() as u64) as usize];
        let mut down_for = Duration::ZERO;
        let action = match fault {
            Fault::Latency => Action::delay(Duration::from_millis(1 + rng.below(40))),
            Fault::InternalError => Action::respond(Canned::internal_error()),
            Fault::SlowDown => Action::respond(Canned::slow_down()),
            Fault::ResetMidBody => Action::Truncate { keep: rng.below(250_000) as usize },
            Fault::TruncatedXml => Action::TruncateXml { keep: Keep::Fraction(rng.fraction()) },
            Fault::Dropped => Action::Drop,
            Fault::ServerDown => {
                // From a blip the retries ride out to an outage that outlasts them.
                down_for = Duration::from_millis([30, 200, 800, 2500, 6000][rng.below(5) as usize]);
                Action::Drop
            }
        };
        Some((fault, action, down_for))
    }
}

/// What was injected over the whole run.
#[derive(Default)]
struct Tally {
    faults: Mutex<BTreeMap<Fault, u64>>,
    requests: AtomicU64,
}

/// How one schedule ended.
enum End {
    Exact,
    ClearError,
    Wrong(String),
}

fn judge(keys: &[String], error: Option<String>, expected: &[String], endpoint: &str) -> End {
    let mut seen = HashSet::new();
    if let Some(dup) = keys.iter().find(|k| !seen.insert(k.as_str())) {
        return End::Wrong(format!("{dup:?} listed twice"));
    }
    match error {
        None if keys == expected => End::Exact,
        None => {
            let got: HashSet<&str> = keys.iter().map(String::as_str).collect();
            let want: HashSet<&str> = expected.iter().map(String::as_str).collect();
            let missing: Vec<_> = want.difference(&got).take(3).collect();
            let extra: Vec<_> = got.difference(&want).take(3).collect();
            End::Wrong(format!(
                "listed {} keys without an error; missing {missing:?}, not seeded {extra:?}, in order: {}",
                keys.len(),
                missing.is_empty() && extra.is_empty()
            ))
        }
        Some(message) if !message.contains(endpoint) || !message.contains("ListObjectsV2") => {
            End::Wrong(format!("an error that does not name the endpoint and the operation: {message}"))
        }
        Some(message) if !expected.starts_with(keys) => {
            End::Wrong(format!("{} keys before the error are not the listing's start: {message}", keys.len()))
        }
        Some(_) => End::ClearError,
    }
}

struct Run {
    base: s3lease::clients::AwsContext,
    lease: s3lease::credentials::provider::LeaseProvider,
    upstream: String,
    cache: ReplayCache,
    expected: Vec<String>,
    tally: Tally,
}

impl Run {
    /// Lists the bucket once through a proxy applying `schedule` (none: a clean run).
    async fn list(&self, schedule: Option<Schedule>) -> End {
        let (down_tx, mut down_rx) = mpsc::unbounded_channel::<Duration>();
        let attempts: Mutex<HashMap<String, u64>> = Mutex::default();
        let tally_faults = Arc::new(Mutex::new(BTreeMap::<Fault, u64>::new()));
        let faults = tally_faults.clone();
        let proxy = Arc::new(Proxy::start(&self.upstream, move |r: &RequestHead| {
            let Some(schedule) = schedule else { return Action::Forward };
            let attempt = {
                let mut attempts = attempts.lock().unwrap_or_else(|p| p.into_inner());
                let n = attempts.entry(r.target.clone()).or_insert(0);
                *n += 1;
                *n - 1
            };
            let Some((fault, action, down_for)) = schedule.fate(&r.target, attempt) else { return Action::Forward };
            *faults.lock().unwrap_or_else(|p| p.into_inner()).entry(fault).or_insert(0) += 1;
            if !down_for.is_zero() {
                let _ = down_tx.send(down_for);
            }
            action
        }));
        proxy.replay_from(&self.cache);
        let endpoint = proxy.url();
        let mut aws = self.base.clone();
        aws.settings.endpoint_url = Some(endpoint.clone());
        let target =
            Target { client: aws.s3(self.lease.clone(), None), endpoint: endpoint.clone(), bucket: BUCKET.into() };
        let mut pages = walk::walk(target, String::new(), WalkOptions::default());

        let mut keys = Vec::new();
        let mut error = None;
        let mut outages = Vec::new();
        let listing = async {
            loop {
                tokio::select! {
                    page = pages.recv() => match page {
                        Some(Ok(objects)) => keys.extend(objects.into_iter().map(|o| o.key)),
                        Some(Err(e)) => {
                            error = Some(e.to_string());
                            break;
                        }
                        None => break,
                    },
                    Some(down_for) = down_rx.recv() => {
                        // The server dies with the request in hand, and comes back later.
                        let proxy = proxy.clone();
                        outages.push(tokio::task::spawn_blocking(move || {
                            proxy.go_down();
                            std::thread::sleep(down_for);
                            proxy.come_back();
                        }));
                    }
                }
            }
        };
        let frozen = tokio::time::timeout(FROZEN, listing).await.is_err();
        for outage in outages {
            let _ = outage.await;
        }
        self.tally.requests.fetch_add(proxy.requests().len() as u64, Ordering::SeqCst);
        let mut tally = self.tally.faults.lock().unwrap_or_else(|p| p.into_inner());
        for (fault, n) in tally_faults.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            *tally.entry(*fault).or_insert(0) += n;
        }
        if frozen {
            return End::Wrong(format!("no end after {FROZEN:?} ({} keys so far)", keys.len()));
        }
        judge(&keys, error, &self.expected, &endpoint)
    }
}

/// Test output that shows whether the test passes or not (libtest captures `println!`).
fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_fault_schedules_each_list_every_key_exactly_or_fail_clearly() {
    let seed = env_u64("S3LEASE_FAULT_SEED").unwrap_or(DEFAULT_SEED);
    let schedules = env_u64("S3LEASE_FAULT_SCHEDULES").unwrap_or(DEFAULT_SCHEDULES);
    let only = env_u64("S3LEASE_FAULT_ONLY");

    let tb = own_testbed(Seed { prefix_keys: 0, big_keys: 0, spread_keys: KEYS });
    assert_eq!(tb.manifest.object_counts.get(BUCKET), Some(&KEYS), "the server seeded {KEYS} keys");
    let (_dir, mut manager) = session_manager(&tb, tb.endpoint(), "").await;
    let admin = manager.start("admin", &mut GivenCode::new(None, "none needed")).await.expect("admin");
    let run = Arc::new(Run {
        base: manager.aws().clone(),
        lease: admin.lease.clone(),
        upstream: tb.endpoint().to_string(),
        cache: ReplayCache::new(),
        expected: expected_keys(),
        tally: Tally::default(),
    });
    assert_eq!(run.expected.iter().collect::<HashSet<_>>().len(), KEYS, "the seeded keys are distinct");

    // The clean run fills the replay cache and checks the walk against the seed.
    if let End::Wrong(why) = run.list(None).await {
        panic!("the clean listing is wrong: {why}");
    }
    let distinct = run.cache.fetched();
    assert!(distinct > 20, "the walk lists folders side by side: {distinct} distinct pages");

    let started = std::time::Instant::now();
    let indices: Vec<u64> = match only {
        Some(i) => vec![i],
        None => (0..schedules).collect(),
    };
    let (mut exact, mut clear, mut wrong) = (0u64, 0u64, Vec::new());
    let mut runs = tokio::task::JoinSet::new();
    let mut queue = indices.into_iter();
    loop {
        while runs.len() < PARALLEL {
            let Some(index) = queue.next() else { break };
            let run = run.clone();
            let schedule = Schedule::new(seed, index);
            runs.spawn(async move { (schedule, run.list(Some(schedule)).await) });
        }
        let Some(done) = runs.join_next().await else { break };
        let (schedule, end) = done.expect("a schedule panicked");
        match end {
            End::Exact => exact += 1,
            End::ClearError => clear += 1,
            End::Wrong(why) => wrong
                .push(format!("schedule {} (seed {seed:#x}, density {}‰): {why}", schedule.index, schedule.density)),
        }
    }

    let ran = exact + clear + wrong.len() as u64;
    let faults = run.tally.faults.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let injected: Vec<String> = faults.iter().map(|(f, n)| format!("{f:?}={n}")).collect();
    report(&format!(
        "fault schedules: seed={seed:#x} schedules={ran} exact={exact} clear_error={clear} wrong={} \
         ({:.1} s; requests={}, from moto once={distinct}, replayed={}; faults: {})",
        wrong.len(),
        started.elapsed().as_secs_f64(),
        run.tally.requests.load(Ordering::SeqCst),
        run.cache.replayed(),
        injected.join(" "),
    ));
    for why in wrong.iter().take(10) {
        report(&format!("  wrong: {why}"));
    }
    assert!(
        wrong.is_empty(),
        "{} of {ran} schedules ended wrong; replay with S3LEASE_FAULT_SEED={seed:#x}",
        wrong.len()
    );
    if only.is_none() {
        assert_eq!(ran, schedules, "every schedule ran");
        assert!(schedules < 100 || (exact > 0 && clear > 0), "the faults both passed and stopped listings");
        for fault in FAULTS {
            assert!(schedules < 100 || faults.get(&fault).is_some_and(|n| *n > 0), "{fault:?} was injected");
        }
    }
}
