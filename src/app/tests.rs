//! `update` with no terminal and no network: messages in, state and effects out.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::listing::{LoadState, Location, SortKey};
use super::session::State;
use super::test_support::*;
use super::*;
use crate::app::IdentityChoice;
use crate::credentials::SessionInfo;
use crate::s3::{Bucket, Page};
use crate::worker::{Failure, FailureKind, Request, RequestId, Response};

mod token_cycles;

/// The id of the only listing request in `effects`, and its continuation token.
fn list_request(effects: &[Effect]) -> (RequestId, Option<String>) {
    let found: Vec<_> = requests(effects)
        .into_iter()
        .filter_map(|r| match r {
            Request::ListObjects { id, continuation, .. } => Some((*id, continuation.clone())),
            Request::ListBuckets { id, .. } => Some((*id, None)),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "exactly one listing request in {effects:?}");
    found.into_iter().next().unwrap()
}

fn cancelled(effects: &[Effect]) -> Vec<RequestId> {
    requests(effects)
        .into_iter()
        .filter_map(|r| if let Request::Cancel { id } = r { Some(*id) } else { None })
        .collect()
}

fn page(prefixes: &[&str], keys: &[&str], next: Option<&str>) -> Page {
    Page {
        prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
        objects: keys.iter().map(|k| object(k)).collect(),
        next: next.map(str::to_string),
    }
}

fn objects_msg(id: RequestId, page: Page) -> Msg {
    Msg::Worker(Response::Objects { id, result: Ok(page) })
}

fn names(app: &App) -> Vec<String> {
    let l = &app.listing;
    l.view.iter().map(|&i| l.entries[i].name(l.base()).to_string()).collect()
}

fn logs() -> Location {
    Location::Prefix { bucket: "demo-data".into(), prefix: "logs/".into() }
}

fn session_info(expires_at: Option<SystemTime>) -> SessionInfo {
    SessionInfo {
        identity: "auditor".into(),
        kind: "assume-role",
        chain: "assume-role auditor <- profile bob".into(),
        arn: Some("arn:aws:sts::123456789012:assumed-role/Auditor/audit-session".into()),
        expires_at,
        temporary: true,
        mfa: false,
        refresh_needs_mfa_from: None,
        region: "us-east-1".into(),
        endpoint: "http://127.0.0.1:5000".into(),
        packed_policy_size: None,
    }
}

#[test]
fn starts_the_session_and_the_first_listing_together() {
    let (app, effects) = app_at(logs());
    let reqs = requests(&effects);
    assert!(matches!(reqs[0], Request::StartSession { identity, mfa_code: None, .. } if identity == "auditor"));
    assert!(matches!(reqs[1], Request::ListObjects { bucket, prefix, continuation: None, .. }
        if bucket == "demo-data" && prefix == "logs/"));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Starting);
    assert!(app.listing.is_loading());
}

#[test]
fn pages_stream_and_each_asks_for_the_next_with_its_token() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    let effects = app.update(objects_msg(first, page(&["logs/archive/"], &["logs/a", "logs/b"], Some("t1"))));
    let (second, token) = list_request(&effects);
    assert_eq!(token.as_deref(), Some("t1"));
    assert_eq!(names(&app), ["archive/", "a", "b"], "the first page shows before the rest arrive");
    assert!(app.listing.is_loading());
    let effects = app.update(objects_msg(second, page(&[], &["logs/c"], None)));
    assert!(requests(&effects).is_empty(), "no request after the last page");
    assert_eq!(names(&app), ["archive/", "a", "b", "c"]);
    assert_eq!(app.listing.load, LoadState::Complete);
}

#[test]
fn a_page_for_a_listing_left_behind_is_dropped() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&["logs/archive/"], &[], Some("t1"))));
    let in_flight = match &app.listing.load {
        LoadState::Loading { id } => *id,
        other => panic!("still loading, not {other:?}"),
    };
    // Open archive/ while logs/ is mid-stream: its page request is cancelled...
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(cancelled(&effects), [in_flight]);
    let (child, _) = list_request(&effects);
    // ...and a late answer for it changes nothing.
    let before = app.listing.clone();
    let effects = app.update(objects_msg(in_flight, page(&[], &["logs/late"], None)));
    assert!(effects.is_empty());
    assert_eq!(app.listing, before);
    app.update(objects_msg(child, page(&[], &["logs/archive/2023.tar"], None)));
    assert_eq!(names(&app), ["2023.tar"]);
}

#[test]
fn back_cancels_the_child_and_resumes_the_paused_parent_where_it_stopped() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&["logs/archive/"], &["logs/a"], Some("t1"))));
    let effects = app.update(key(KeyCode::Enter)); // into archive/
    let (child, _) = list_request(&effects);
    let effects = app.update(key(KeyCode::Backspace));
    assert_eq!(cancelled(&effects), [child], "the child's listing is aborted");
    let (resumed, token) = list_request(&effects);
    assert_eq!(token.as_deref(), Some("t1"), "the parent continues from its next page, none lost or repeated");
    app.update(objects_msg(resumed, page(&[], &["logs/b"], None)));
    assert_eq!(names(&app), ["archive/", "a", "b"]);
    assert_eq!(app.listing.load, LoadState::Complete);
}

#[test]
fn back_restores_the_parents_cursor_and_scroll() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    let prefixes: Vec<String> = (0..100).map(|i| format!("logs/p{i:03}/")).collect();
    let refs: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    app.update(objects_msg(first, page(&refs, &[], None)));
    for _ in 0..60 {
        app.update(ch('j'));
    }
    let (cursor, offset) = (app.listing.cursor, app.listing.offset);
    assert_eq!(cursor, 60);
    assert!(offset > 0, "scrolled to keep the cursor visible");
    let effects = app.update(key(KeyCode::Enter));
    assert!(matches!(requests(&effects)[..], [Request::ListObjects { prefix, .. }] if prefix == "logs/p060/"));
    assert_eq!((app.listing.cursor, app.listing.offset), (0, 0));
    app.update(key(KeyCode::Backspace));
    assert_eq!(app.listing.location, logs());
    assert_eq!((app.listing.cursor, app.listing.offset), (cursor, offset), "cursor and scroll come back");
}

#[test]
fn opened_at_a_prefix_back_goes_to_the_parent_with_the_cursor_on_where_we_were() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&[], &["logs/a"], None)));
    let effects = app.update(key(KeyCode::Backspace));
    let (parent, _) = list_request(&effects);
    assert_eq!(app.listing.location, Location::Prefix { bucket: "demo-data".into(), prefix: "".into() });
    app.update(objects_msg(parent, page(&["aaa/", "logs/", "zzz/"], &["README.txt"], None)));
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("logs/"));
    // Up again: the bucket list, cursor on the bucket.
    let effects = app.update(key(KeyCode::Backspace));
    let (buckets, _) = list_request(&effects);
    let list = ["alpha", "demo-data", "zeta"]
        .iter()
        .map(|n| Bucket { name: n.to_string(), created: None, region: None })
        .collect();
    app.update(Msg::Worker(Response::Buckets { id: buckets, result: Ok(list) }));
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("demo-data"));
    assert!(app.update(key(KeyCode::Backspace)).is_empty(), "nothing above the bucket list");
}

#[test]
fn re_entering_shows_the_cache_at_once_and_refreshes_behind_it() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&["logs/archive/"], &["logs/a"], None)));
    let effects = app.update(key(KeyCode::Enter));
    let (child, _) = list_request(&effects);
    app.update(objects_msg(child, page(&[], &["logs/archive/old.tar"], None)));
    app.update(key(KeyCode::Backspace));
    let effects = app.update(key(KeyCode::Enter)); // archive/ again
    assert_eq!(names(&app), ["old.tar"], "cached entries show before any answer");
    let (refresh, _) = list_request(&effects);
    assert_eq!(app.listing.refresh.as_ref().map(|r| r.id), Some(refresh));
    app.update(objects_msg(refresh, page(&[], &["logs/archive/new.tar", "logs/archive/old.tar"], None)));
    assert_eq!(names(&app), ["new.tar", "old.tar"]);
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("logs/archive/old.tar"), "cursor stays on its entry");
    assert!(app.listing.refresh.is_none());
}

#[test]
fn r_reloads_keeping_the_screen_until_the_new_listing_is_complete() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&[], &["logs/a", "logs/b"], None)));
    let effects = app.update(ch('r'));
    let (reload, _) = list_request(&effects);
    let effects = app.update(objects_msg(reload, page(&[], &["logs/a"], Some("t"))));
    assert_eq!(names(&app), ["a", "b"], "the old listing stays while the reload streams");
    let (next, _) = list_request(&effects);
    app.update(objects_msg(next, page(&[], &["logs/c"], None)));
    assert_eq!(names(&app), ["a", "c"]);
}

#[test]
fn esc_stops_a_long_listing_and_keeps_what_arrived() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    let effects = app.update(objects_msg(first, page(&[], &["logs/a"], Some("t1"))));
    let (second, _) = list_request(&effects);
    let effects = app.update(key(KeyCode::Esc));
    assert_eq!(cancelled(&effects), [second]);
    assert_eq!(app.listing.load, LoadState::Stopped);
    assert!(app.update(objects_msg(second, page(&[], &["logs/b"], None))).is_empty());
    assert_eq!(names(&app), ["a"]);
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("stopped after 1 entries")));
}

#[test]
fn filter_and_sort_apply_to_pages_still_arriving() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    let effects =
        app.update(objects_msg(first, page(&["logs/Reports/"], &["logs/a-report.csv", "logs/b.bin"], Some("t"))));
    let (second, _) = list_request(&effects);
    app.update(ch('/'));
    assert_eq!(app.mode, Mode::Filter);
    for c in "REPORT".chars() {
        app.update(ch(c));
    }
    app.update(key(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(names(&app), ["Reports/", "a-report.csv"]);
    app.update(ch('s')); // name descending
    app.update(objects_msg(second, page(&[], &["logs/c.bin", "logs/z-report.txt"], None)));
    assert_eq!(names(&app), ["Reports/", "z-report.txt", "a-report.csv"], "prefixes stay grouped first");
    app.update(ch('s')); // size ascending
    assert_eq!(app.sort.key, SortKey::Size);
    app.update(key(KeyCode::Esc));
    assert_eq!(names(&app).len(), 5, "Esc clears the filter");
}

#[test]
fn typing_in_the_filter_does_not_trigger_bindings() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&[], &["logs/q", "logs/r"], None)));
    app.update(ch('/'));
    for c in ['q', 'r', '?'] {
        let effects = app.update(ch(c));
        assert!(effects.is_empty(), "`{c}` is text while filtering");
    }
    assert_eq!(app.listing.filter, "qr?");
    assert_eq!(app.mode, Mode::Filter);
}

#[test]
fn errors_are_shown_and_the_pane_stays_usable() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    let failure = Failure {
        kind: FailureKind::AccessDenied,
        message: "AccessDenied: ListObjectsV2 on s3://demo-data/logs/ was refused".into(),
    };
    app.update(Msg::Worker(Response::Objects { id: first, result: Err(failure) }));
    assert!(matches!(app.listing.load, LoadState::Failed(_)));
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.starts_with("AccessDenied")));
    let effects = app.update(key(KeyCode::Backspace));
    assert_eq!(list_request(&effects).1, None, "back still works after a failure");
}

#[test]
fn the_countdown_changes_state_at_each_threshold() {
    let (mut app, effects) = app_at(Location::Buckets);
    let start = match requests(&effects)[0] {
        Request::StartSession { id, .. } => *id,
        other => panic!("{other:?}"),
    };
    let expiry = at(T0 + 3600);
    app.auto_refresh = false; // the thresholds alone; refresh has tests of its own
    app.update(Msg::Worker(Response::Session { id: start, result: Ok(session_info(Some(expiry))) }));
    let state = |app: &mut App, secs_left: u64| {
        app.update(Msg::Tick(at(T0 + 3600 - secs_left)));
        app.session.state(app.now, app.thresholds)
    };
    assert_eq!(state(&mut app, 601), State::Valid);
    assert_eq!(state(&mut app, 600), State::Warning);
    assert_eq!(state(&mut app, 121), State::Warning);
    assert_eq!(state(&mut app, 120), State::Critical);
    assert_eq!(state(&mut app, 1), State::Critical);
    app.update(Msg::Tick(expiry));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Expired);
}

#[test]
fn a_failed_start_is_shown_with_its_error_and_stale_session_answers_are_ignored() {
    let (mut app, _) = app_at(Location::Buckets);
    let failure = Failure {
        kind: FailureKind::AccessDenied,
        message: "AccessDenied: AssumeRole on role arn:aws:iam::123456789012:role/Auditor was refused".into(),
    };
    app.update(Msg::Worker(Response::Session { id: RequestId(999), result: Ok(session_info(None)) }));
    assert_eq!(app.session.info, None, "an answer nobody asked for is dropped");
    let id = app.session.pending.expect("waiting for the start");
    app.update(Msg::Worker(Response::Session { id, result: Err(failure) }));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Failed);
    assert!(matches!(&app.session.status, super::session::Status::Failed(m) if m.contains("AssumeRole on role")));
}

#[test]
fn help_tab_and_quit() {
    let (mut app, _) = app_at(Location::Buckets);
    app.update(ch('?'));
    assert_eq!(app.mode, Mode::Help(help::HelpState { scroll: 0 }));
    assert!(app.update(ch('q')).is_empty(), "q closes the help first");
    assert_eq!(app.mode, Mode::Normal);
    let rows = app.list_rows();
    app.update(key(KeyCode::Tab));
    assert_eq!(app.focus, Focus::Session);
    assert!(app.list_rows() < rows, "the focused session pane grows");
    assert!(matches!(app.update(ch('q')).as_slice(), [Effect::Quit]));
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(matches!(app.update(ctrl_c).as_slice(), [Effect::Quit]));
}

/// The help overlay's scroll, which must be open.
fn help_scroll(app: &App) -> usize {
    match &app.mode {
        Mode::Help(help) => help.scroll,
        other => panic!("the help overlay is closed: {other:?}"),
    }
}

#[test]
fn help_scrolls_within_the_bindings_and_saturates_at_both_ends() {
    let (mut app, _) = app_at(Location::Buckets);
    app.update(Msg::Resize { width: 80, height: 24 });
    app.update(ch('?'));
    let all = crate::keymap::Action::ALL.len();
    // 24 rows less the two borders: 22 bindings show, so the list scrolls by 5.
    let max = all - 22;
    assert_eq!(help::HelpState::max_scroll(24), max);

    app.update(key(KeyCode::Up));
    assert_eq!(help_scroll(&app), 0, "nothing above the first binding");
    app.update(key(KeyCode::Down));
    app.update(ch('j'));
    assert_eq!(help_scroll(&app), 2, "↓ and j both scroll, one binding at a time");
    for _ in 0..all * 2 {
        app.update(key(KeyCode::Down));
    }
    assert_eq!(help_scroll(&app), max, "held ↓ stops with the last binding on the last row");
    app.update(key(KeyCode::Up));
    assert_eq!(help_scroll(&app), max - 1, "and the first ↑ after it moves at once");

    app.update(key(KeyCode::Home));
    assert_eq!(help_scroll(&app), 0);
    app.update(key(KeyCode::End));
    assert_eq!(help_scroll(&app), max);
    app.update(key(KeyCode::PageUp));
    assert_eq!(help_scroll(&app), 0, "a page is 22 rows, more than the 5 there are to go");
    app.update(key(KeyCode::PageDown));
    assert_eq!(help_scroll(&app), max);

    // Keys of the browser do nothing here, and the list under the overlay does not move.
    let (sort, location) = (app.sort, app.listing.location.clone());
    app.update(key(KeyCode::Enter));
    app.update(ch('s'));
    assert_eq!((help_scroll(&app), app.sort, &app.listing.location), (max, sort, &location));
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert_eq!(app.mode, Mode::Normal);

    // Opened again, it starts at the top.
    app.update(ch('?'));
    assert_eq!(help_scroll(&app), 0);
}

#[test]
fn help_that_fits_does_not_scroll_and_a_resize_keeps_the_window_inside_the_list() {
    let (mut app, _) = app_at(Location::Buckets);
    app.update(Msg::Resize { width: 100, height: 40 });
    app.update(ch('?'));
    app.update(key(KeyCode::PageDown));
    app.update(key(KeyCode::Down));
    assert_eq!(help_scroll(&app), 0, "every binding is on screen already");

    // At the smallest supported size 13 bindings show: scrolled to the bottom, then grown.
    app.update(Msg::Resize { width: 60, height: 15 });
    app.update(key(KeyCode::End));
    let all = crate::keymap::Action::ALL.len();
    assert_eq!(help_scroll(&app), all - 13);
    app.update(Msg::Resize { width: 80, height: 24 });
    assert_eq!(help_scroll(&app), all - 22, "still ending on the last binding, no blank rows below it");
    app.update(key(KeyCode::Up));
    assert_eq!(help_scroll(&app), all - 23);
    app.update(Msg::Resize { width: 100, height: 40 });
    assert_eq!(help_scroll(&app), 0, "everything fits again");
}

// --- living sessions: refresh, MFA, switching ---------------------------------------------

fn choice(name: &str, kind: &'static str, mfa: bool) -> IdentityChoice {
    IdentityChoice { name: name.into(), kind, chain: format!("{kind} {name} <- profile bob"), mfa }
}

/// An app whose session `auditor` is running until `expires_at`, listing `logs/` (complete).
fn running(expires_at: SystemTime) -> App {
    let mut cfg = config(logs());
    cfg.identities = vec![
        choice("auditor", "assume-role", false),
        choice("admin", "profile", false),
        choice("mfa-admin", "assume-role", true),
    ];
    let (mut app, effects) = App::new(cfg, at(T0));
    app.update(Msg::Resize { width: 100, height: 30 });
    let start = session_request_id(&effects);
    app.update(Msg::Worker(Response::Session { id: start, result: Ok(session_info(Some(expires_at))) }));
    let (list, _) = list_request(&effects);
    app.update(objects_msg(list, page(&["logs/archive/"], &["logs/a", "logs/b"], None)));
    app
}

fn session_request_id(effects: &[Effect]) -> RequestId {
    let ids: Vec<RequestId> = requests(effects)
        .into_iter()
        .filter_map(|r| match r {
            Request::StartSession { id, .. } | Request::RefreshSession { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 1, "one session request in {effects:?}");
    ids[0]
}

fn refreshes(effects: &[Effect]) -> usize {
    requests(effects).iter().filter(|r| matches!(r, Request::RefreshSession { .. })).count()
}

fn needs_mfa() -> Failure {
    Failure {
        kind: FailureKind::NeedsMfa {
            identity: "alice-mfa".into(),
            serial: "arn:aws:iam::123456789012:mfa/alice".into(),
        },
        message: "identity `alice-mfa` needs an MFA code".into(),
    }
}

#[test]
fn auto_refresh_is_scheduled_once_inside_refresh_before() {
    let mut app = running(at(T0 + 3600));
    assert_eq!(refreshes(&app.update(Msg::Tick(at(T0 + 3600 - 301)))), 0, "not before refresh_before");
    let effects = app.update(Msg::Tick(at(T0 + 3600 - 300)));
    assert_eq!(refreshes(&effects), 1);
    assert_eq!(app.session.state(app.now, app.thresholds), State::Refreshing);
    for s in 1..5 {
        assert_eq!(refreshes(&app.update(Msg::Tick(at(T0 + 3600 - 300 + s)))), 0, "only one while it is pending");
    }
    let id = session_request_id(&effects);
    app.update(Msg::Worker(Response::Session { id, result: Ok(session_info(Some(at(T0 + 7200)))) }));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Valid);
    assert!(app.notice.as_ref().is_some_and(|n| n.text.starts_with("credentials refreshed")));
    assert_eq!(refreshes(&app.update(Msg::Tick(at(T0 + 3600)))), 0, "the new credentials are far from expiry");
}

#[test]
fn a_failed_refresh_is_shown_and_retried_with_backoff() {
    let mut app = running(at(T0 + 3600));
    let effects = app.update(Msg::Tick(at(T0 + 3300)));
    let id = session_request_id(&effects);
    let failure =
        Failure { kind: FailureKind::Network, message: "cannot reach http://127.0.0.1:1 for AssumeRole".into() };
    app.update(Msg::Worker(Response::Session { id, result: Err(failure) }));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Warning, "the old credentials still serve");
    let notice = app.notice.clone().expect("the failure is shown");
    assert!(
        notice.error && notice.text.contains("refresh failed: cannot reach") && notice.text.contains("retrying at")
    );
    assert_eq!(app.session.retry_at, Some(at(T0 + 3300 + 15)));
    assert_eq!(refreshes(&app.update(Msg::Tick(at(T0 + 3314)))), 0, "backing off");
    let effects = app.update(Msg::Tick(at(T0 + 3315)));
    assert_eq!(refreshes(&effects), 1, "retried after the backoff");
    let failure = Failure { kind: FailureKind::Network, message: "still down".into() };
    app.update(Msg::Worker(Response::Session { id: session_request_id(&effects), result: Err(failure) }));
    assert_eq!(app.session.retry_at, Some(at(T0 + 3315 + 30)), "the backoff doubles");
    assert!(app.banner().is_some_and(|b| b.contains("auto-refresh at")), "{:?}", app.banner());
}

#[test]
fn a_refresh_failing_after_expiry_backs_off_and_the_pane_says_when_it_tries_again() {
    let mut app = running(at(T0 + 600));
    let effects = app.update(Msg::Tick(at(T0 + 600)));
    let id = session_request_id(&effects);
    let down = |message: &str| Failure { kind: FailureKind::Network, message: message.into() };
    app.update(Msg::Worker(Response::Session {
        id,
        result: Err(down("cannot reach http://127.0.0.1:1 for AssumeRole")),
    }));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Failed);
    assert_eq!(app.session.retry_at, Some(at(T0 + 600 + 15)), "backing off, not retrying every tick");
    let super::session::Status::Failed(shown) = &app.session.status else { panic!("{:?}", app.session.status) };
    let when = crate::timefmt::clock(at(T0 + 615));
    assert!(shown.contains("cannot reach") && shown.contains(&format!("retrying at {when} UTC")), "{shown}");
    for s in 1..15 {
        assert_eq!(refreshes(&app.update(Msg::Tick(at(T0 + 600 + s)))), 0, "backing off at +{s} s");
    }
    let effects = app.update(Msg::Tick(at(T0 + 615)));
    assert_eq!(refreshes(&effects), 1, "retried once the backoff is over");
    app.update(Msg::Worker(Response::Session { id: session_request_id(&effects), result: Err(down("still down")) }));
    assert_eq!(app.session.retry_at, Some(at(T0 + 615 + 30)), "the backoff doubles");
    let effects = app.update(Msg::Tick(at(T0 + 645)));
    let fresh = session_info(Some(at(T0 + 4000)));
    app.update(Msg::Worker(Response::Session { id: session_request_id(&effects), result: Ok(fresh) }));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Valid, "back once the server is");
    assert_eq!((app.session.failures, app.session.retry_at), (0, None));
}

#[test]
fn the_banner_says_what_will_happen() {
    let mut app = running(at(T0 + 3600));
    app.update(Msg::Tick(at(T0 + 1000)));
    assert_eq!(app.banner(), None, "nothing to say while valid");
    app.auto_refresh = false;
    app.update(Msg::Tick(at(T0 + 3600 - 100)));
    assert_eq!(app.banner().as_deref(), Some("press R to refresh"));
    app.auto_refresh = true;
    assert!(app.banner().is_some_and(|b| b.starts_with("auto-refresh at")));
    if let Some(info) = &mut app.session.info {
        info.refresh_needs_mfa_from = Some(at(T0));
    }
    assert_eq!(app.banner().as_deref(), Some("press R to refresh; you will need an MFA code"));
    assert_eq!(refreshes(&app.update(Msg::Tick(at(T0 + 3600 - 90)))), 0, "no automatic refresh that needs a person");
    app.update(Msg::Tick(at(T0 + 3600)));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Expired);
}

#[test]
fn an_mfa_prompt_then_success_resumes_the_listing_from_its_page() {
    let (mut app, effects) = app_at(logs());
    let start = session_request_id(&effects);
    app.update(Msg::Worker(Response::Session { id: start, result: Ok(session_info(Some(at(T0 + 3600)))) }));
    let (first, _) = list_request(&effects);
    let effects = app.update(objects_msg(first, page(&[], &["logs/a"], Some("t1"))));
    let (second, _) = list_request(&effects);
    // S3 refused the credentials and refreshing them needs a code: the listing waits.
    app.update(Msg::Worker(Response::Objects { id: second, result: Err(needs_mfa()) }));
    assert_eq!(app.listing.load, LoadState::AwaitingSession);
    let Mode::Mfa(prompt) = &app.mode else { panic!("the MFA prompt opens, not {:?}", app.mode) };
    assert_eq!(prompt.identity, "alice-mfa");
    for c in "907315".chars() {
        assert!(app.update(ch(c)).is_empty());
    }
    assert!(!format!("{app:?}").contains("907315"), "the code is never in Debug output");
    let effects = app.update(key(KeyCode::Enter));
    let refresh = session_request_id(&effects);
    assert!(
        matches!(requests(&effects)[0], Request::RefreshSession { mfa_code: Some(code), .. } if code.as_str() == "907315")
    );
    let effects =
        app.update(Msg::Worker(Response::Session { id: refresh, result: Ok(session_info(Some(at(T0 + 7200)))) }));
    assert_eq!(app.mode, Mode::Normal);
    let (resumed, token) = list_request(&effects);
    assert_eq!(token.as_deref(), Some("t1"), "the listing resumes at the page that needed the code");
    app.update(objects_msg(resumed, page(&[], &["logs/b"], None)));
    assert_eq!(names(&app), ["a", "b"], "no page lost, none twice");
    assert_eq!(app.listing.load, LoadState::Complete);
}

#[test]
fn a_wrong_mfa_code_keeps_the_prompt_with_awss_message_then_a_right_one_works() {
    let (mut app, effects) = App::new(config(Location::Buckets), at(T0));
    let start = session_request_id(&effects);
    app.update(Msg::Worker(Response::Session { id: start, result: Err(needs_mfa()) }));
    assert!(matches!(app.mode, Mode::Mfa(_)));
    assert_eq!(app.session.status, super::session::Status::AwaitingMfa, "waiting for a person is no failure");
    assert_eq!(app.session.state(app.now, app.thresholds), State::Starting);
    app.update(ch('1'));
    app.update(key(KeyCode::Enter));
    let Mode::Mfa(prompt) = &app.mode else { panic!() };
    assert_eq!(prompt.error.as_deref(), Some("1 of 6 digits typed"), "a short code is not sent");
    app.update(ch('x'));
    let Mode::Mfa(prompt) = &app.mode else { panic!() };
    assert_eq!(prompt.error.as_deref(), Some("the code is 6 digits"));
    for c in "23456".chars() {
        app.update(ch(c));
    }
    let effects = app.update(key(KeyCode::Enter));
    let id = session_request_id(&effects);
    let wrong = Failure {
        kind: FailureKind::AccessDenied,
        message: "AccessDenied: GetSessionToken as identity `alice-mfa` was refused: MultiFactorAuthentication failed with invalid MFA one time pass code.".into(),
    };
    app.update(Msg::Worker(Response::Session { id, result: Err(wrong) }));
    let Mode::Mfa(prompt) = &app.mode else { panic!("the prompt stays after a wrong code") };
    assert!(prompt.error.as_deref().is_some_and(|e| e.contains("invalid MFA one time pass code")));
    assert_eq!(prompt.typed(), 0, "the wrong code is cleared");
    for c in "654321".chars() {
        app.update(ch(c));
    }
    let effects = app.update(key(KeyCode::Enter));
    let id = session_request_id(&effects);
    app.update(Msg::Worker(Response::Session { id, result: Ok(session_info(Some(at(T0 + 3600)))) }));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.session.state(app.now, app.thresholds), State::Valid);
}

#[test]
fn r_refreshes_now_and_escape_leaves_the_prompt() {
    let mut app = running(at(T0 + 3600));
    let effects = app.update(ch('R'));
    assert_eq!(refreshes(&effects), 1);
    assert!(app.update(ch('R')).is_empty(), "not twice while one is pending");
    let id = session_request_id(&effects);
    app.update(Msg::Worker(Response::Session { id, result: Err(needs_mfa()) }));
    assert!(matches!(app.mode, Mode::Mfa(_)));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Valid, "the running session is kept");
    app.update(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("R tries again")));
}

#[test]
fn switching_identity_keeps_the_place_and_reuses_running_sessions() {
    let mut app = running(at(T0 + 3600));
    app.update(ch('j')); // cursor on "a"
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("logs/a"));
    app.update(ch('i'));
    let Mode::Picker(picker) = &app.mode else { panic!("the picker opens") };
    assert_eq!(app.identities[picker.matches[picker.cursor]].name, "auditor", "starts on the active identity");
    for c in "admn".chars() {
        app.update(ch(c));
    }
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(app.session.identity, "admin");
    let start = session_request_id(&effects);
    assert!(matches!(requests(&effects)[0], Request::StartSession { identity, .. } if identity == "admin"));
    let (relist, _) = list_request(&effects);
    assert!(
        matches!(requests(&effects)[1], Request::ListObjects { prefix, identity, .. } if prefix == "logs/" && identity == "admin")
    );
    assert!(app.listing.entries.is_empty(), "the old identity's entries are not shown as the new one's");
    app.update(Msg::Worker(Response::Session { id: start, result: Ok(session_info(None)) }));
    app.update(objects_msg(relist, page(&["logs/archive/"], &["logs/a", "logs/b"], None)));
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("logs/a"), "the cursor keeps its place");

    // Back to auditor: its session is still running, so no STS call.
    app.update(ch('i'));
    for c in "auditor".chars() {
        app.update(ch(c));
    }
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(app.session.identity, "auditor");
    assert!(requests(&effects).iter().all(|r| !matches!(r, Request::StartSession { .. })), "{effects:?}");
    assert_eq!(app.session.state(app.now, app.thresholds), State::Valid, "shown at once");
}

#[test]
fn denied_after_a_switch_enter_climbs_to_the_nearest_listable_level() {
    let (mut app, effects) = app_at(Location::Prefix { bucket: "demo-restricted".into(), prefix: "a/b/".into() });
    let (first, _) = list_request(&effects);
    let denied = |id| {
        let failure = Failure {
            kind: FailureKind::AccessDenied,
            message: "AccessDenied: s3:ListBucket on bucket demo-restricted as assumed-role/Auditor/audit-session"
                .into(),
        };
        Msg::Worker(Response::Objects { id, result: Err(failure) })
    };
    app.update(denied(first));
    assert!(app.listing.denied);
    let effects = app.update(key(KeyCode::Enter));
    let (up, _) = list_request(&effects);
    assert_eq!(app.listing.location, Location::Prefix { bucket: "demo-restricted".into(), prefix: "a/".into() });
    let effects = app.update(denied(up));
    let (up_again, _) = list_request(&effects);
    assert_eq!(app.listing.location, Location::Prefix { bucket: "demo-restricted".into(), prefix: "".into() });
    let effects = app.update(denied(up_again));
    let (buckets, _) = list_request(&effects);
    assert_eq!(app.listing.location, Location::Buckets, "climbed to the bucket list");
    let list = vec![Bucket { name: "demo-restricted".into(), created: None, region: None }];
    app.update(Msg::Worker(Response::Buckets { id: buckets, result: Ok(list) }));
    assert!(!app.climbing);
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("demo-restricted"));
}

#[test]
fn a_session_the_worker_refreshed_on_its_own_updates_the_pane() {
    let mut app = running(at(T0 + 100));
    app.auto_refresh = false;
    app.update(Msg::Tick(at(T0 + 200)));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Expired);
    app.update(Msg::Worker(Response::SessionUpdate { info: session_info(Some(at(T0 + 3800))) }));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Valid);
    let mut other = session_info(Some(at(T0 + 9000)));
    other.identity = "admin".into();
    app.update(Msg::Worker(Response::SessionUpdate { info: other }));
    assert_eq!(app.session.identity, "auditor", "another identity's update only fills the cache");
    assert!(app.sessions.contains_key("admin"));
}

#[test]
fn bottom_while_streaming_follows_the_end_until_another_move() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(key(KeyCode::Char('G'))); // before any page
    let effects = app.update(objects_msg(first, page(&[], &["logs/a", "logs/b"], Some("t"))));
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("logs/b"));
    let (second, _) = list_request(&effects);
    let effects = app.update(objects_msg(second, page(&[], &["logs/c", "logs/d"], Some("u"))));
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("logs/d"), "still on the last entry");
    let (third, _) = list_request(&effects);
    app.update(ch('k'));
    app.update(objects_msg(third, page(&[], &["logs/e"], None)));
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("logs/c"), "a move stops the following");
}

#[test]
fn esc_on_a_kept_filter_keeps_the_cursor_in_view_and_keys_wait_while_too_small() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    let keys: Vec<String> = (0..300).map(|i| format!("logs/{i:03}")).collect();
    let mut p = page(&[], &[], None);
    p.objects = keys.iter().map(|k| object(k)).collect();
    app.update(objects_msg(first, p));
    app.update(ch('/'));
    for c in "250".chars() {
        app.update(ch(c));
    }
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("logs/250"));
    let rows = app.list_rows();
    assert!(app.listing.offset <= app.listing.cursor && app.listing.cursor < app.listing.offset + rows);
    app.update(Msg::Resize { width: 50, height: 12 });
    assert!(app.update(key(KeyCode::Enter)).is_empty() && app.update(ch('g')).is_empty());
    assert_eq!(app.listing.selected().map(|e| e.key()), Some("logs/250"), "no blind moves");
    assert!(matches!(app.update(ch('q')).as_slice(), [Effect::Quit]));
}

#[test]
fn a_download_is_asked_for_then_followed_in_the_panel_and_can_be_cancelled() {
    use crate::transfer::BatchProgress;
    use crate::worker::{DownloadWhat, TransferSummary};
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&["logs/archive/"], &["logs/a"], None)));
    app.update(ch('j')); // on logs/a
    app.update(ch('D'));
    let Mode::Download(prompt) = &app.mode else { panic!("the prompt opens: {:?}", app.mode) };
    assert_eq!(prompt.dir, "/tmp/downloads");
    assert!(!prompt.overwrite, "existing files are kept unless the user says otherwise");
    app.update(key(KeyCode::Tab));
    let effects = app.update(key(KeyCode::Enter));
    let [Request::Download { id, what, dest_dir, overwrite, .. }] = requests(&effects)[..] else {
        panic!("one download request: {effects:?}")
    };
    assert_eq!(what, &DownloadWhat::Object { key: "logs/a".into(), version_id: None });
    assert_eq!(dest_dir, &std::path::PathBuf::from("/tmp/downloads"));
    assert!(*overwrite);
    let id = *id;
    assert!(matches!(app.mode, Mode::Transfers(_)), "the panel shows it");
    let progress = BatchProgress { files_total: 1, files_done: 0, files_failed: 0, bytes_total: 100, bytes_done: 40 };
    let file = crate::transfer::FileProgress {
        key: "logs/a".into(),
        progress: crate::transfer::Progress { bytes_done: 40, bytes_total: 100 },
        finished: false,
    };
    app.update(Msg::Worker(Response::TransferProgress { id, progress, files: vec![file.clone()] }));
    assert_eq!(app.transfers[0].files, [file], "the files in flight are kept for the panel");
    app.update(Msg::Tick(at(T0 + 2)));
    let (rate, eta) = app.transfers[0].rate_and_eta(app.now);
    assert_eq!((rate, eta), (20, Some(Duration::from_secs(3))), "40 bytes in 2 s: 60 left take 3 s");
    let effects = app.update(ch('c'));
    assert_eq!(cancelled(&effects), [id]);
    let summary = TransferSummary { files: 1, bytes: 100, problems: Vec::new() };
    app.update(Msg::Worker(Response::TransferDone { id, result: Ok(summary) }));
    assert!(app.notice.as_ref().is_some_and(|n| n.text == "downloaded 1 file(s), 100 B"));

    // On a prefix: everything below it.
    app.update(key(KeyCode::Esc));
    app.update(ch('g'));
    app.update(ch('D'));
    let Mode::Download(prompt) = &app.mode else { panic!("{:?}", app.mode) };
    assert_eq!(prompt.what, [DownloadWhat::Prefix { prefix: "logs/archive/".into() }]);
}

#[test]
fn marks_feed_delete_and_download_and_a_prefix_is_deleted_only_by_name() {
    use crate::worker::{DeleteSummary, DeleteWhat, DownloadWhat};
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&["logs/archive/"], &["logs/a", "logs/b", "logs/c"], None)));
    app.update(ch('j')); // on logs/a
    app.update(ch(' ')); // marks a, moves to b
    app.update(ch(' ')); // marks b
    assert_eq!(app.listing.marks.iter().cloned().collect::<Vec<_>>(), ["logs/a", "logs/b"]);
    app.update(ch('x'));
    let Mode::ConfirmDelete(confirm) = &app.mode else { panic!("{:?}", app.mode) };
    assert_eq!(confirm.what, DeleteWhat::Keys(vec!["logs/a".into(), "logs/b".into()]));
    let effects = app.update(key(KeyCode::Enter));
    let [Request::Delete { id, what, .. }] = requests(&effects)[..] else { panic!("{effects:?}") };
    assert_eq!(what, &DeleteWhat::Keys(vec!["logs/a".into(), "logs/b".into()]));
    let summary = DeleteSummary { deleted: 1, failed: vec!["logs/b: AccessDenied: Access Denied".into()] };
    let effects = app.update(Msg::Worker(Response::Deleted { id: *id, result: Ok(summary) }));
    assert!(
        app.notice.as_ref().is_some_and(|n| n.error && n.text.contains("logs/b: AccessDenied")),
        "{:?}",
        app.notice
    );
    assert!(!requests(&effects).is_empty(), "listed again after a delete");
    assert!(app.listing.marks.is_empty());

    // A whole prefix: Enter does nothing until its name is typed.
    app.update(ch('g'));
    app.update(ch('x'));
    assert!(matches!(&app.mode, Mode::ConfirmDelete(c) if c.what == DeleteWhat::Prefix("logs/archive/".into())));
    assert!(app.update(key(KeyCode::Enter)).is_empty(), "not without the name");
    for c in "logs/archive/".chars() {
        app.update(ch(c));
    }
    let effects = app.update(key(KeyCode::Enter));
    assert!(
        matches!(requests(&effects)[..], [Request::Delete { what: DeleteWhat::Prefix(p), .. }] if p == "logs/archive/")
    );

    // `*` marks every loaded object; D downloads them as one batch, with their listed sizes.
    app.update(ch('*'));
    assert_eq!(app.listing.marks.len(), 3);
    app.update(ch('D'));
    let effects = app.update(key(KeyCode::Enter));
    let downloads: Vec<_> = requests(&effects)
        .into_iter()
        .filter_map(|r| if let Request::Download { what, .. } = r { Some(what.clone()) } else { None })
        .collect();
    let sizes: Vec<(String, u64)> = app
        .listing
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Object(o) => Some((o.key.to_string(), o.size)),
            _ => None,
        })
        .collect();
    assert_eq!(downloads, [DownloadWhat::Objects { objects: sizes }]);
    assert_eq!(
        app.transfers.last().map(|t| t.label.as_str()),
        Some("3 marked objects from s3://demo-data/logs/ → /tmp/downloads")
    );
}

#[test]
fn a_chosen_version_is_previewed_inspected_and_downloaded_and_esc_comes_back_to_the_list() {
    use crate::transfer::Version;
    use crate::worker::DownloadWhat;
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&[], &["logs/a"], None)));
    app.update(ch('j'));
    let effects = app.update(ch('v'));
    let [Request::ListVersions { id, .. }] = requests(&effects)[..] else { panic!("{effects:?}") };
    let version = |id: &str, latest: bool, marker: bool| Version {
        key: "logs/a".into(),
        version_id: Some(id.into()),
        is_delete_marker: marker,
        is_latest: latest,
        size: (!marker).then_some(10),
        last_modified: None,
        etag: None,
        storage_class: None,
    };
    let versions = vec![version("v3", true, true), version("v2", false, false), version("v1", false, false)];
    app.update(Msg::Worker(Response::Versions { id: *id, result: Ok(versions) }));

    // The latest is a delete marker: nothing to read.
    assert!(requests(&app.update(ch('p'))).is_empty());
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.starts_with("a delete marker has no content")));

    app.update(ch('j')); // v2
    let versions_view = app.mode.clone();
    let effects = app.update(ch('p'));
    let [Request::ReadRange { version_id, start: 0, .. }] = requests(&effects)[..] else { panic!("{effects:?}") };
    assert_eq!(version_id.as_deref(), Some("v2"));
    assert!(matches!(&app.mode, Mode::Preview(p) if p.object.version_id.as_deref() == Some("v2")));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.mode, versions_view, "closing the preview comes back to the versions");

    app.update(ch('j')); // v1
    let effects = app.update(key(KeyCode::Enter));
    let [Request::ObjectDetails { version_id, .. }] = requests(&effects)[..] else { panic!("{effects:?}") };
    assert_eq!(version_id.as_deref(), Some("v1"));
    app.update(key(KeyCode::Esc));
    assert!(matches!(app.mode, Mode::Versions(_)));

    app.update(ch('D'));
    let Mode::Download(prompt) = &app.mode else { panic!("{:?}", app.mode) };
    assert_eq!(prompt.what, [DownloadWhat::Object { key: "logs/a".into(), version_id: Some("v1".into()) }]);
    let effects = app.update(key(KeyCode::Enter));
    assert!(matches!(requests(&effects)[..], [Request::Download { .. }]));
    assert!(matches!(app.mode, Mode::Transfers(_)));
    assert_eq!(app.behind, None, "the transfers panel closes to the browser");
    assert!(app.transfers[0].label.starts_with("s3://demo-data/logs/a (version v1) → "));
}

#[test]
fn read_only_refuses_uploads_and_deletes_and_u_uploads_into_the_prefix() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&[], &["logs/a"], None)));
    app.read_only = true;
    app.update(ch('x'));
    app.update(ch('u'));
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.notice.as_ref().is_some_and(|n| n.error && n.text.starts_with("read-only: uploading is turned off")));
    app.read_only = false;
    app.update(ch('u'));
    let Mode::Upload(prompt) = &app.mode else { panic!("{:?}", app.mode) };
    assert_eq!((prompt.bucket.as_str(), prompt.prefix.as_str()), ("demo-data", "logs/"));
    for _ in 0..prompt.path.len() {
        app.update(key(KeyCode::Backspace));
    }
    for c in "/data/report.csv".chars() {
        app.update(ch(c));
    }
    let effects = app.update(key(KeyCode::Enter));
    assert!(matches!(requests(&effects)[..], [Request::Upload { prefix, source, .. }]
        if prefix == "logs/" && source == &std::path::PathBuf::from("/data/report.csv")));
    assert!(matches!(app.mode, Mode::Transfers(_)));
}

#[test]
fn v_lists_the_versions_of_the_object_under_the_cursor() {
    let (mut app, effects) = app_at(logs());
    let (first, _) = list_request(&effects);
    app.update(objects_msg(first, page(&[], &["logs/a"], None)));
    let effects = app.update(ch('v'));
    let [Request::ListVersions { id, key: object, .. }] = requests(&effects)[..] else { panic!("{effects:?}") };
    assert_eq!(object, "logs/a");
    let id = *id;
    let version = |n: &str, latest: bool, marker: bool| crate::transfer::Version {
        key: "logs/a".into(),
        version_id: Some(n.into()),
        is_delete_marker: marker,
        is_latest: latest,
        size: (!marker).then_some(10),
        last_modified: Some(at(T0)),
        etag: None,
        storage_class: None,
    };
    let versions = vec![version("v3", true, true), version("v2", false, false), version("v1", false, false)];
    app.update(Msg::Worker(Response::Versions { id, result: Ok(versions) }));
    app.update(ch('j'));
    let Mode::Versions(view) = &app.mode else { panic!("{:?}", app.mode) };
    assert_eq!(view.cursor, 1);
    assert_eq!(view.result.as_ref().map(|r| r.as_ref().map(Vec::len)), Some(Ok(3)));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
}
