//! A server that cycles its continuation tokens (A→B→A…): the listing on screen remembers every
//! token it followed, across a pause and an MFA wait, and refuses the page that points back.

use super::*;

/// The app at `logs/` with its session started, and the first page's request.
fn listing_app() -> (App, RequestId) {
    let (mut app, effects) = app_at(logs());
    let start = session_request_id(&effects);
    app.update(Msg::Worker(Response::Session { id: start, result: Ok(session_info(Some(at(T0 + 3600)))) }));
    let (first, _) = list_request(&effects);
    (app, first)
}

/// Answers `id` with `page`; the next page's request and its token, if one was asked for.
fn answer(app: &mut App, id: RequestId, page: Page) -> Option<(RequestId, Option<String>)> {
    let effects = app.update(objects_msg(id, page));
    let asked = requests(&effects).iter().any(|r| matches!(r, Request::ListObjects { .. }));
    asked.then(|| list_request(&effects))
}

const REFUSED: &str = "ListObjectsV2 on s3://demo-data/logs/ as identity `auditor` at http://127.0.0.1:5000 failed: \
    the answer from http://127.0.0.1:5000 is malformed: it has a continuation token it had already given";

fn assert_refused(app: &App, pages: &str) {
    let LoadState::Failed(message) = &app.listing.load else { panic!("not failed: {:?}", app.listing.load) };
    assert!(message.starts_with(REFUSED), "{message}");
    assert!(message.contains(pages), "{pages:?} in {message}");
    assert!(message.ends_with("s3lease stopped rather than loop over the same pages"), "{message}");
    let notice = app.notice.as_ref().expect("the refusal is in the status line");
    assert!(notice.error && notice.text == *message, "{notice:?}");
}

#[test]
fn a_two_page_cycle_is_refused_at_the_page_pointing_back() {
    let (mut app, first) = listing_app();
    let (second, token) = answer(&mut app, first, page(&[], &["logs/a"], Some("A"))).expect("page 2 asked for");
    assert_eq!(token.as_deref(), Some("A"));
    let (third, token) = answer(&mut app, second, page(&[], &["logs/b"], Some("B"))).expect("page 3 asked for");
    assert_eq!(token.as_deref(), Some("B"));
    // Page 3 points back at A: it is refused whole and nothing more is asked for.
    assert_eq!(answer(&mut app, third, page(&[], &["logs/c"], Some("A"))), None);
    assert_refused(&app, "(page 3 gave the one page 1 gave)");
    assert_eq!(names(&app), ["a", "b"], "what came before stays, nothing of the refused page");
}

#[test]
fn a_three_page_cycle_is_refused_too() {
    let (mut app, mut id) = listing_app();
    for (key, next) in [("logs/a", "A"), ("logs/b", "B"), ("logs/c", "C")] {
        id = answer(&mut app, id, page(&[], &[key], Some(next))).expect("the next page asked for").0;
    }
    assert_eq!(answer(&mut app, id, page(&[], &["logs/d"], Some("A"))), None);
    assert_refused(&app, "(page 4 gave the one page 1 gave)");
    assert_eq!(names(&app), ["a", "b", "c"]);
}

#[test]
fn a_paused_listing_remembers_its_tokens_when_it_resumes() {
    let (mut app, first) = listing_app();
    let (second, _) = answer(&mut app, first, page(&["logs/archive/"], &["logs/a"], Some("A"))).expect("page 2");
    let (third, _) = answer(&mut app, second, page(&[], &["logs/b"], Some("B"))).expect("page 3");
    // Into archive/ while page 3 loads, and back: the parent resumes from B.
    let effects = app.update(key(KeyCode::Enter));
    let (child, _) = list_request(&effects);
    assert!(app.update(objects_msg(third, page(&[], &["logs/late"], None))).is_empty(), "a stale answer is dropped");
    answer(&mut app, child, page(&[], &["logs/archive/x"], Some("A")));
    let effects = app.update(key(KeyCode::Backspace));
    let (resumed, token) = list_request(&effects);
    assert_eq!(token.as_deref(), Some("B"));
    // The child's own A was its own listing's; the parent's page pointing back at its A is not.
    assert_eq!(answer(&mut app, resumed, page(&[], &["logs/c"], Some("A"))), None);
    assert_refused(&app, "(page 3 gave the one page 1 gave)");
    assert_eq!(names(&app), ["archive/", "a", "b"]);
}

#[test]
fn a_listing_that_waited_for_an_mfa_code_remembers_its_tokens() {
    let (mut app, first) = listing_app();
    let (second, _) = answer(&mut app, first, page(&[], &["logs/a"], Some("A"))).expect("page 2");
    app.update(Msg::Worker(Response::Objects { id: second, result: Err(needs_mfa()) }));
    assert_eq!(app.listing.load, LoadState::AwaitingSession);
    for c in "907315".chars() {
        app.update(ch(c));
    }
    let refresh = session_request_id(&app.update(key(KeyCode::Enter)));
    let effects =
        app.update(Msg::Worker(Response::Session { id: refresh, result: Ok(session_info(Some(at(T0 + 7200)))) }));
    let (resumed, token) = list_request(&effects);
    assert_eq!(token.as_deref(), Some("A"));
    assert_eq!(answer(&mut app, resumed, page(&[], &["logs/b"], Some("A"))), None);
    assert_refused(&app, "(page 2 gave the one page 1 gave)");
}

#[test]
fn a_reload_from_the_first_page_starts_with_no_tokens() {
    let (mut app, first) = listing_app();
    let (second, _) = answer(&mut app, first, page(&[], &[], Some("A"))).expect("page 2");
    assert_eq!(answer(&mut app, second, page(&[], &[], Some("A"))), None);
    assert_refused(&app, "(page 2 gave the one page 1 gave)");
    // Nothing listed, so `r` lists in place: the server may hand out A again, once.
    let (again, token) = list_request(&app.update(ch('r')));
    assert_eq!(token, None);
    let (next, token) = answer(&mut app, again, page(&[], &["logs/a"], Some("A"))).expect("A followed again");
    assert_eq!(token.as_deref(), Some("A"));
    assert_eq!(answer(&mut app, next, page(&[], &["logs/b"], None)), None);
    assert_eq!(app.listing.load, LoadState::Complete);
    assert_eq!(names(&app), ["a", "b"]);
}

#[test]
fn a_background_reload_has_its_own_tokens_and_a_cycle_keeps_what_was_shown() {
    let (mut app, first) = listing_app();
    let (second, _) = answer(&mut app, first, page(&[], &["logs/a"], Some("A"))).expect("page 2");
    assert_eq!(answer(&mut app, second, page(&[], &["logs/b"], None)), None);
    // `r` behind the entries on screen: the same tokens are fine in a new listing.
    let (reload, _) = list_request(&app.update(ch('r')));
    let (next, token) = answer(&mut app, reload, page(&[], &["logs/a"], Some("A"))).expect("A followed");
    assert_eq!(token.as_deref(), Some("A"));
    let (third, _) = answer(&mut app, next, page(&[], &["logs/b"], Some("B"))).expect("B followed");
    // ... but not round a cycle: the reload fails and the old entries stay.
    assert_eq!(answer(&mut app, third, page(&[], &["logs/c"], Some("A"))), None);
    assert!(app.listing.refresh.is_none());
    assert_eq!(app.listing.load, LoadState::Complete);
    assert_eq!(names(&app), ["a", "b"]);
    let notice = app.notice.as_ref().expect("the failure is shown");
    assert!(notice.error && notice.text.starts_with("reload failed, showing what was listed before: "), "{notice:?}");
    assert!(notice.text.contains("a continuation token it had already given (page 3 gave the one page 1 gave)"));
}
