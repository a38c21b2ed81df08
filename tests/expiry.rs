//! Credential expiry through the real event loop: `run_loop` with a `TestBackend`, keys from a
//! channel and a short tick, against the shared moto server. moto never checks expiry, so the
//! test proxy in front of it does: it learns each session token's expiry from the STS answers
//! it relays, holds listing pages at a gate, and refuses revoked tokens with `ExpiredToken`.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::proxy::{Action, Gate, Outcome, Proxy, RequestHead, Seen, fingerprint};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use s3lease::app::listing::{LoadState, Location};
use s3lease::app::{App, AppConfig, Mode, SessionRequest};
use s3lease::config::Catalog;
use s3lease::credentials::SessionManager;
use s3lease::keymap::Keymap;
use s3lease::testbed::{Seed, Testbed};
use tokio::sync::{mpsc, watch};

/// For each thing a test waits for.
const DEADLINE: Duration = Duration::from_secs(60);
const TICK: Duration = Duration::from_millis(200);
const CODE: &str = "123456";
const BUCKET: &str = "demo-data";
const PREFIX: &str = "logs/";

// ---------------------------------------------------------------------------------------------
// Setup: a catalog with extra settings and identities, and the AppConfig `s3lease` would build.

struct Setup {
    /// Holds the AWS files profile keys are read from.
    _dir: tempfile::TempDir,
    catalog: Arc<Catalog>,
    manager: SessionManager,
}

async fn setup(tb: &Testbed, endpoint: &str, settings: &str, extra: &str) -> Setup {
    let (dir, catalog) = common::catalog(tb, endpoint, settings, extra);
    let aws = s3lease::clients::AwsContext::new(&catalog.settings).await;
    let manager = SessionManager::new(catalog.clone(), aws);
    Setup { _dir: dir, catalog, manager }
}

/// What `s3lease --identity NAME s3://demo-data/logs/` starts the app with.
fn app_config(catalog: &Catalog, identity: &str, mfa_code: Option<&str>) -> AppConfig {
    assert!(catalog.get(identity).is_some(), "no identity {identity} in the catalog");
    let keymap = Keymap::with_overrides(&catalog.keys).unwrap_or_else(|e| panic!("{e}"));
    let start = Location::Prefix { bucket: BUCKET.into(), prefix: PREFIX.into() };
    AppConfig::for_catalog(catalog, identity, start, keymap, mfa_code.map(str::to_string))
}

/// Holds every ListObjectsV2 continuation page (page 2 on) at `gate`; forwards the rest.
fn hold_continuations(gate: &Gate) -> impl Fn(&RequestHead) -> Action + Send + Sync + 'static {
    let gate = gate.clone();
    move |r: &RequestHead| {
        if r.is_list_objects_v2() && r.has_query_key("continuation-token") {
            Action::hold(&gate)
        } else {
            Action::Forward
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The event loop, driven as a terminal would drive it.

/// What the test follows of the app, sent by `observe` after every update.
#[derive(Debug, Clone, Default)]
struct View {
    updates: u64,
    load: Option<LoadState>,
    entries: usize,
    /// The open MFA prompt: identity, serial, and whether a code is being tried.
    prompt: Option<(String, String, bool)>,
    /// How often the prompt opened so far.
    prompts_opened: usize,
    expires_at: Option<SystemTime>,
    first_expires_at: Option<SystemTime>,
    /// Refresh requests the app issued (automatic, `R`, or with an MFA code).
    refreshes_asked: usize,
    status: String,
    notice: Option<String>,
}

fn observer(tx: watch::Sender<View>) -> impl FnMut(&App) + Send + 'static {
    let mut refresh_ids = HashSet::new();
    let mut view = View::default();
    move |app: &App| {
        view.updates += 1;
        view.load = Some(app.listing.load.clone());
        view.entries = app.listing.entries.len();
        let prompt = match &app.mode {
            Mode::Mfa(p) => Some((p.identity.clone(), p.serial.clone(), p.waiting)),
            _ => None,
        };
        if prompt.is_some() && view.prompt.is_none() {
            view.prompts_opened += 1;
        }
        view.prompt = prompt;
        let expires_at = app.session.info.as_ref().and_then(|i| i.expires_at);
        if view.first_expires_at.is_none() {
            view.first_expires_at = expires_at;
        }
        view.expires_at = expires_at;
        refresh_ids.extend(
            app.pending_sessions.iter().filter(|(_, (_, kind))| *kind == SessionRequest::Refresh).map(|(id, _)| *id),
        );
        view.refreshes_asked = refresh_ids.len();
        view.status = format!("{:?}", app.session.status);
        view.notice = app.notice.as_ref().map(|n| n.text.clone());
        tx.send_replace(view.clone());
    }
}

type EventResult = s3lease::error::Result<Event>;

/// `run_loop` on a task: keys go in through a channel, views come out through a watch.
struct Tui {
    keys: mpsc::UnboundedSender<EventResult>,
    view: watch::Receiver<View>,
    task: tokio::task::JoinHandle<s3lease::error::Result<App>>,
}

impl Tui {
    fn start(manager: SessionManager, config: AppConfig) -> Tui {
        let (keys, rx) = mpsc::unbounded_channel::<EventResult>();
        let events = Box::pin(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) }));
        let (tx, view) = watch::channel(View::default());
        let terminal = Terminal::new(TestBackend::new(120, 40)).expect("a test terminal");
        let task = tokio::spawn(s3lease::runtime::run_loop(terminal, events, manager, config, TICK, observer(tx)));
        Tui { keys, view, task }
    }

    fn press(&self, code: KeyCode) {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        self.keys.send(Ok(Event::Key(key))).expect("the event loop is running");
    }

    fn view(&self) -> View {
        self.view.borrow().clone()
    }

    /// Waits until the app's view satisfies `ready`.
    async fn wait(&mut self, what: &str, ready: impl FnMut(&View) -> bool) -> View {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        let result = match tokio::time::timeout_at(deadline, self.view.wait_for(ready)).await {
            Ok(Ok(view)) => Ok(view.clone()),
            Ok(Err(_)) => Err("the event loop ended while waiting for"),
            Err(_) => Err("timed out waiting for"),
        };
        result.unwrap_or_else(|why| panic!("{why} {what} ({DEADLINE:?}); last view {:#?}", self.view()))
    }

    /// Waits until the listing completes; a listing that fails instead fails the test at once.
    async fn wait_complete(&mut self, what: &str) -> View {
        let view = self.wait(what, |v| matches!(v.load, Some(LoadState::Complete | LoadState::Failed(_)))).await;
        assert_eq!(view.load, Some(LoadState::Complete), "the listing failed instead: {view:#?}");
        view
    }

    /// `q`, and the app as the loop returned it.
    async fn quit(self) -> App {
        self.press(KeyCode::Char('q'));
        let joined = tokio::time::timeout(DEADLINE, self.task).await.expect("the event loop quits on q");
        joined.expect("the event loop did not panic").unwrap_or_else(|e| panic!("the event loop failed: {e}"))
    }
}

/// Polls `done` until it holds; panics naming `what` (and `context()`) after [`DEADLINE`].
async fn until(what: &str, mut done: impl FnMut() -> bool, context: impl Fn() -> String) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < deadline, "no {what} within {DEADLINE:?}\n{}", context());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// What the proxy saw.

/// The ListObjectsV2 requests for demo-data/logs/, in arrival order.
fn list_requests(proxy: &Proxy) -> Vec<Seen> {
    proxy
        .requests()
        .into_iter()
        .filter(|s| {
            s.request.is_list_objects_v2()
                && s.request.path().trim_end_matches('/').ends_with(BUCKET)
                && s.request.query_param("prefix").as_deref() == Some(PREFIX)
        })
        .collect()
}

fn continuation(seen: &Seen) -> Option<String> {
    seen.request.query_param("continuation-token")
}

fn outcome(proxy: &Proxy, seq: u64) -> Outcome {
    proxy.wait_outcome(seq, Duration::from_secs(10)).unwrap_or_else(|| panic!("request #{seq} never finished"))
}

fn token_name(seen: &Seen) -> String {
    seen.session_token().map(|t| fingerprint(&t)).unwrap_or_else(|| "-".into())
}

/// Every request so far, one line each (tokens by fingerprint), and the tokens learned.
fn describe(proxy: &Proxy) -> String {
    let mut text = String::from("proxy saw:\n");
    for seen in proxy.requests() {
        let what = seen.api_action.clone().unwrap_or_else(|| format!("{} {}", seen.method, seen.target));
        let outcome = proxy.outcome(seen.seq);
        text.push_str(&format!("  #{} {what} token {} -> {outcome:?}\n", seen.seq, token_name(&seen)));
    }
    text.push_str(&format!("tokens learned: {:#?}", proxy.tokens()));
    text
}

/// Prints what happened: the tokens STS issued and every listing request with its token.
fn summary(test: &str, proxy: &Proxy, app: &App) {
    println!("=== {test}");
    for issued in proxy.token_expiries() {
        println!("  issued: {}", issued.label());
    }
    for (n, seen) in list_requests(proxy).iter().enumerate() {
        let page = if continuation(seen).is_some() { "continuation" } else { "first page" };
        println!(
            "  list #{n} (request #{}): {page}, token {} -> {:?}",
            seen.seq,
            token_name(seen),
            proxy.outcome(seen.seq)
        );
    }
    let sts: Vec<String> = proxy.requests().iter().filter_map(|s| s.api_action.clone()).collect();
    println!("  STS calls: {sts:?}");
    println!(
        "  final: {} entries, {:?}, session {:?}, notice {:?}",
        app.listing.entries.len(),
        app.listing.load,
        app.session.status,
        app.notice.as_ref().map(|n| &n.text)
    );
}

/// Every key under logs/ exactly once, nothing else, and the listing complete.
fn assert_every_key_once(app: &App) {
    let mut expected: BTreeSet<String> =
        (0..Seed::default().prefix_keys).map(|i| format!("{PREFIX}event-{i:05}.json")).collect();
    expected.insert(format!("{PREFIX}archive/"));
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in &app.listing.entries {
        *counts.entry(entry.key()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).take(10).collect();
    let missing: Vec<_> = expected.iter().filter(|k| !counts.contains_key(k.as_str())).take(10).collect();
    let unexpected: Vec<_> = counts.keys().filter(|k| !expected.contains(**k)).take(10).collect();
    assert!(
        twice.is_empty() && missing.is_empty() && unexpected.is_empty(),
        "{} entries for {} keys; listed more than once (first 10): {twice:?}; missing: {missing:?}; unexpected: {unexpected:?}",
        app.listing.entries.len(),
        expected.len()
    );
    assert_eq!(app.listing.entries.len(), expected.len());
    assert_eq!(app.listing.load, LoadState::Complete, "notice: {:?}", app.notice);
}

/// No page was fetched successfully twice: each continuation token (and the first page)
/// answered 200 exactly once. Returns how many pages that was.
fn assert_pages_once(proxy: &Proxy) -> usize {
    let mut ok: BTreeMap<Option<String>, Vec<u64>> = BTreeMap::new();
    for seen in list_requests(proxy) {
        if let Outcome::Forwarded { status: 200, .. } = outcome(proxy, seen.seq) {
            ok.entry(continuation(&seen)).or_default().push(seen.seq);
        }
    }
    let twice: Vec<_> = ok.iter().filter(|(_, seqs)| seqs.len() > 1).map(|(_, seqs)| seqs).collect();
    assert!(twice.is_empty(), "pages fetched successfully more than once (request numbers): {twice:?}");
    assert!(ok.contains_key(&None), "the first page was fetched: {ok:?}");
    ok.len()
}

fn assert_no_token_misuse(proxy: &Proxy) {
    let misuse = proxy.token_misuse();
    assert!(misuse.is_empty(), "requests signed with an expired (or never issued) token: {misuse:#?}");
    let signed = proxy.requests().iter().filter(|s| s.session_token().is_some()).count();
    assert!(signed > 0, "the check saw requests signed with session tokens");
}

// ---------------------------------------------------------------------------------------------
// The tests.

/// A 10 s role session refreshes itself (inside refresh_before) while a listing streams; the
/// listing completes with every key once and no request ever carries an expired token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_refresh_while_streaming_loses_nothing_and_never_sends_an_expired_token() {
    let tb = common::testbed();
    let gate = Gate::new();
    let proxy = Proxy::start(tb.endpoint(), hold_continuations(&gate));
    let extra = format!(
        r#"
[[identity]]
name = "short-auditor"
kind = "assume-role"
source = "bob"
role_arn = "{}"
session_name = "short-auditor"
duration = "10s"
"#,
        tb.manifest.role("Auditor")
    );
    let settings = "refresh_before = \"6s\"\nwarn_before = \"8s\"\ncritical_before = \"3s\"";
    let setup = setup(tb, &proxy.url(), settings, &extra).await;
    let config = app_config(&setup.catalog, "short-auditor", None);
    assert_eq!(config.refresh_before, Duration::from_secs(6));
    assert!(config.auto_refresh);
    let mut tui = Tui::start(setup.manager, config);

    let context = || describe(&proxy);
    until("request for page 2 at the gate", || gate.held() >= 1, context).await;
    let held = list_requests(&proxy).into_iter().find(|s| continuation(s).is_some()).expect("the held request");
    let assume_roles_at_hold = proxy.count_action("AssumeRole");
    let tokens_at_hold = proxy.tokens().len();
    let started = tui.wait("started session in the app", |v| v.first_expires_at.is_some()).await;
    let first_expiry = started.first_expires_at.expect("the first session's expiry");
    // While page 2 waits nothing else asks for credentials: a new AssumeRole is the auto-refresh.
    until(
        "AssumeRole while page 2 is held (the auto-refresh)",
        || proxy.count_action("AssumeRole") > assume_roles_at_hold && proxy.tokens().len() > tokens_at_hold,
        || format!("view {:#?}\ntokens {:#?}", tui.view(), proxy.tokens()),
    )
    .await;
    assert_eq!(gate.held(), 1, "page 2 is still held");
    let refreshed = proxy.tokens().get(tokens_at_hold).expect("the refreshed token");
    let view = tui
        .wait("answer to the app's refresh", |v| v.refreshes_asked >= 1 && v.expires_at >= Some(refreshed.expires_at))
        .await;
    assert!(view.refreshes_asked >= 1, "the app asked for the refresh itself: {view:#?}");
    // Page 2's token runs out before the listing goes on, so the rest of it is sent after a
    // token expired: the check for expired tokens below then has something to catch.
    let held_token = held.session_token().expect("page 2 is signed with a session token");
    let held_expiry = proxy.learned_expiry(&held_token).expect("the proxy learned page 2's token");
    until("expiry of page 2's token", || SystemTime::now() > held_expiry, || format!("{:#?}", proxy.tokens())).await;
    gate.release();
    let done = tui.wait_complete("complete listing").await;
    let app = tui.quit().await;

    summary("auto-refresh while streaming", &proxy, &app);
    println!(
        "  AssumeRole calls: {} ({assume_roles_at_hold} before page 2 was held); refreshes the app asked for: {}",
        proxy.count_action("AssumeRole"),
        done.refreshes_asked
    );
    assert_every_key_once(&app);
    assert_eq!(assert_pages_once(&proxy), 3, "2601 entries come in three pages");
    assert_no_token_misuse(&proxy);
    assert!(list_requests(&proxy).iter().any(|s| s.at > held_expiry), "the listing went on after a token expired");
    // Pages asked for after the refresh are signed with the refreshed credentials or newer.
    let tokens = proxy.tokens();
    for seen in list_requests(&proxy).iter().filter(|s| s.seq > held.seq) {
        let token = seen.session_token().expect("signed with a session token");
        let position = tokens.position(&token).expect("a token STS issued");
        assert!(
            position >= tokens_at_hold,
            "request #{} after the refresh is signed with issuance {position} ({}), older than the refresh's ({})",
            seen.seq,
            fingerprint(&token),
            refreshed.label()
        );
    }
    let last_expiry = app.session.info.as_ref().and_then(|i| i.expires_at).expect("a session");
    assert!(last_expiry > first_expiry, "the final session ({last_expiry:?}) outlives the first ({first_expiry:?})");
    assert!(
        proxy.token_expiries().iter().any(|i| i.expires_at == last_expiry),
        "the app's expiry is one STS gave: {last_expiry:?} vs {:#?}",
        proxy.tokens()
    );
}

/// S3 refuses a token that has not expired yet (revoked, or S3's clock ahead): the worker
/// refreshes and retries the page once with the new token, and the listing loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_from_s3_is_refreshed_and_the_page_retried_once() {
    let tb = common::testbed();
    let gate = Gate::new();
    let proxy = Proxy::start(tb.endpoint(), hold_continuations(&gate));
    let setup = setup(tb, &proxy.url(), "", "").await;
    let config = app_config(&setup.catalog, "auditor", None);
    let mut tui = Tui::start(setup.manager, config);

    let context = || describe(&proxy);
    until("request for page 2 at the gate", || gate.held() >= 1, context).await;
    assert_eq!(proxy.count_action("AssumeRole"), 1, "the start and page 1 share one session: {:#?}", proxy.tokens());
    let first = proxy.tokens().get(0).expect("the session's token");
    let held = list_requests(&proxy).into_iter().find(|s| continuation(s).is_some()).expect("the held request");
    assert_eq!(held.session_token().as_deref(), Some(first.token.as_str()), "page 2 is signed with the session");
    proxy.revoke_token(&first.token);
    gate.release();
    tui.wait_complete("complete listing").await;
    let app = tui.quit().await;

    summary("ExpiredToken from S3", &proxy, &app);
    assert_every_key_once(&app);
    assert_eq!(assert_pages_once(&proxy), 3, "2601 entries come in three pages");
    let page2: Vec<Seen> =
        list_requests(&proxy).into_iter().filter(|s| continuation(s) == continuation(&held)).collect();
    assert_eq!(page2.len(), 2, "page 2 refused, then retried once: {page2:#?}");
    assert_eq!(outcome(&proxy, page2[0].seq), Outcome::Canned { status: 400 }, "refused: the token is revoked");
    assert!(matches!(outcome(&proxy, page2[1].seq), Outcome::Forwarded { status: 200, .. }), "the retry went through");
    assert_eq!(proxy.count_action("AssumeRole"), 2, "one refresh: {:#?}", proxy.tokens());
    let second = proxy.tokens().get(1).expect("the refreshed token");
    let retried_with = page2[1].session_token().expect("the retry is signed with a session token");
    println!(
        "  refused {} with {}, retried {} with {}",
        page2[0].seq,
        fingerprint(&first.token),
        page2[1].seq,
        fingerprint(&retried_with)
    );
    assert_ne!(retried_with, first.token, "the retry carries a different token");
    assert_eq!(retried_with, second.token, "the retry carries the refreshed token");
    assert!(page2[0].seq < second.seq && second.seq < page2[1].seq, "refused, refreshed, retried, in that order");
    let revoked_after: Vec<u64> = proxy
        .requests()
        .iter()
        .filter(|s| s.seq > page2[0].seq && s.session_token().as_deref() == Some(first.token.as_str()))
        .map(|s| s.seq)
        .collect();
    assert!(revoked_after.is_empty(), "requests still signed with the revoked token: {revoked_after:?}");
    assert_no_token_misuse(&proxy);
    let expiry = app.session.info.as_ref().and_then(|i| i.expires_at);
    assert_eq!(expiry, Some(second.expires_at), "the app shows the refreshed session");
}

/// The refresh after S3's ExpiredToken needs an MFA code: the listing waits with the prompt
/// open, and after the code it carries on from its continuation token, losing no page and
/// listing none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_needing_mfa_prompts_and_the_listing_resumes_where_it_stopped() {
    let tb = common::testbed();
    let serial = tb.manifest.user("alice").mfa_serial.clone().expect("alice has an MFA device");
    let gate = Gate::new();
    let proxy = Proxy::start(tb.endpoint(), hold_continuations(&gate));
    // moto hands out one constant GetSessionToken token; revoking it must not revoke the next.
    proxy.set_distinct_tokens(true);
    let setup = setup(tb, &proxy.url(), "", "").await;
    let config = app_config(&setup.catalog, "alice-mfa", Some(CODE));
    let mut tui = Tui::start(setup.manager, config);

    let context = || describe(&proxy);
    until("request for page 2 at the gate", || gate.held() >= 1, context).await;
    assert_eq!(proxy.count_action("GetSessionToken"), 1, "{:#?}", proxy.tokens());
    let first = proxy.tokens().get(0).expect("the session's token");
    assert_eq!(first.action, "GetSessionToken");
    let held = list_requests(&proxy).into_iter().find(|s| continuation(s).is_some()).expect("the held request");
    assert_eq!(held.session_token().as_deref(), Some(first.token.as_str()), "page 2 is signed with the session");
    let before = tui.view();
    assert_eq!(before.prompt, None, "no prompt while the session is good: {before:#?}");
    assert_eq!(before.prompts_opened, 0, "the code given at start serves: no prompt flashes");

    proxy.revoke_token(&first.token);
    gate.release();
    let view = tui
        .wait("MFA prompt with the listing waiting", |v| {
            v.prompts_opened > before.prompts_opened && v.prompt.is_some() && v.load == Some(LoadState::AwaitingSession)
        })
        .await;
    let (identity, prompt_serial, _) = view.prompt.clone().expect("the prompt");
    assert_eq!((identity.as_str(), prompt_serial.as_str()), ("alice-mfa", serial.as_str()));
    assert!(view.entries > 0, "page 1 stays on screen while waiting: {view:#?}");
    let refused: Vec<Seen> =
        list_requests(&proxy).into_iter().filter(|s| continuation(s) == continuation(&held)).collect();
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert_eq!(outcome(&proxy, refused[0].seq), Outcome::Canned { status: 400 });
    assert_eq!(proxy.count_action("GetSessionToken"), 1, "nothing goes to STS without a code");
    let listed_while_waiting = list_requests(&proxy).len();

    for digit in CODE.chars() {
        tui.press(KeyCode::Char(digit));
    }
    tui.press(KeyCode::Enter);
    let done = tui.wait_complete("complete listing after the code").await;
    assert_eq!(done.prompt, None, "the prompt closed");
    let app = tui.quit().await;

    summary("refresh needing MFA", &proxy, &app);
    assert_every_key_once(&app);
    assert_eq!(assert_pages_once(&proxy), 3, "2601 entries come in three pages");
    let sessions: Vec<Seen> =
        proxy.requests().into_iter().filter(|s| s.api_action.as_deref() == Some("GetSessionToken")).collect();
    assert_eq!(sessions.len(), 2, "one GetSessionToken at start, one with the typed code");
    assert_eq!(sessions[1].request.form_param("TokenCode").as_deref(), Some(CODE), "the typed code was sent");
    assert_eq!(sessions[1].request.form_param("SerialNumber").as_deref(), Some(serial.as_str()));
    let second = proxy.tokens().all().into_iter().find(|i| i.seq == sessions[1].seq).expect("the new token");
    // After the code the listing resumed at page 2: no first page again, page 2 once more.
    let after: Vec<Seen> = list_requests(&proxy).into_iter().skip(listed_while_waiting).collect();
    let resumed = after.first().expect("the listing resumed");
    assert!(resumed.seq > sessions[1].seq, "nothing was listed before the new session");
    assert_eq!(continuation(resumed), continuation(&held), "it resumed from page 2's continuation token");
    assert!(after.iter().all(|s| continuation(s).is_some()), "the first page was not listed again");
    let resumed_with = resumed.session_token().expect("signed with a session token");
    println!(
        "  refused page 2 (request #{}) with {}, prompt shown, resumed (request #{}) with {}",
        refused[0].seq,
        fingerprint(&first.token),
        resumed.seq,
        fingerprint(&resumed_with)
    );
    assert_ne!(resumed_with, first.token, "the resumed page carries a different token");
    assert_eq!(resumed_with, second.token, "the resumed page carries the token the code bought");
    assert_no_token_misuse(&proxy);
    assert!(matches!(app.mode, Mode::Normal), "{:?}", app.mode);
    assert_eq!(app.session.info.as_ref().and_then(|i| i.expires_at), Some(second.expires_at));
}
