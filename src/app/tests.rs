//! `update` with no terminal and no network: messages in, state and effects out.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::listing::{LoadState, Location, SortKey};
use super::session::{State, Thresholds};
use super::*;
use crate::credentials::SessionInfo;
use crate::s3::{Bucket, Object, Page};
use crate::worker::{Failure, FailureKind, Request, RequestId, Response};

const T0: u64 = 1_800_000_000;

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn config(start: Location) -> AppConfig {
    AppConfig {
        identity: "auditor".into(),
        kind: "assume-role",
        keymap: crate::keymap::Keymap::defaults(),
        thresholds: Thresholds { warn: Duration::from_secs(600), critical: Duration::from_secs(120) },
        start,
        mfa_code: None,
    }
}

fn app_at(start: Location) -> (App, Vec<Effect>) {
    let (mut app, effects) = App::new(config(start), at(T0));
    app.update(Msg::Resize { width: 100, height: 30 });
    (app, effects)
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// The requests among `effects`.
fn requests(effects: &[Effect]) -> Vec<&Request> {
    effects.iter().filter_map(|e| if let Effect::Send(r) = e { Some(r) } else { None }).collect()
}

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

fn object(key: &str) -> Object {
    Object { key: key.into(), size: 10, last_modified: Some(at(T0)), etag: None, storage_class: None }
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
    assert_eq!(app.listing.refresh.as_ref().map(|(id, _)| *id), Some(refresh));
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
        kind: FailureKind::NeedsMfa {
            identity: "alice-mfa".into(),
            serial: "arn:aws:iam::123456789012:mfa/alice".into(),
        },
        message: "identity `alice-mfa` needs an MFA code".into(),
    };
    app.update(Msg::Worker(Response::Session { id: RequestId(999), result: Ok(session_info(None)) }));
    assert_eq!(app.session.info, None, "an answer nobody asked for is dropped");
    let id = app.session.pending.expect("waiting for the start");
    app.update(Msg::Worker(Response::Session { id, result: Err(failure) }));
    assert_eq!(app.session.state(app.now, app.thresholds), State::Failed);
    assert!(matches!(&app.session.status, super::session::Status::Failed(m) if m.contains("needs an MFA code")));
}

#[test]
fn help_tab_and_quit() {
    let (mut app, _) = app_at(Location::Buckets);
    app.update(ch('?'));
    assert_eq!(app.mode, Mode::Help);
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
