//! `F` with no terminal and no network: keys and worker answers in, state and requests out.

use crossterm::event::KeyCode;

use super::*;
use crate::app::Msg;
use crate::app::listing::Entry;
use crate::app::test_support::*;
use crate::s3::Page;
use crate::worker::{FailureKind, Response};

fn cancelled(effects: &[Effect]) -> Vec<RequestId> {
    requests(effects)
        .into_iter()
        .filter_map(|r| if let Request::Cancel { id } = r { Some(*id) } else { None })
        .collect()
}

fn list_requests(effects: &[Effect]) -> Vec<(RequestId, String)> {
    requests(effects)
        .into_iter()
        .filter_map(|r| match r {
            Request::ListObjects { id, prefix, .. } => Some((*id, prefix.clone())),
            _ => None,
        })
        .collect()
}

fn page(prefixes: &[&str], keys: &[&str]) -> Msg {
    Msg::Worker(Response::Objects {
        id: RequestId(0),
        result: Ok(Page {
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            objects: keys.iter().map(|k| object(k)).collect(),
            next: None,
        }),
    })
}

/// Answers listing `id` with one whole page.
fn answer(app: &mut App, id: RequestId, prefixes: &[&str], keys: &[&str]) -> Vec<Effect> {
    let Msg::Worker(Response::Objects { result, .. }) = page(prefixes, keys) else { unreachable!() };
    app.update(Msg::Worker(Response::Objects { id, result }))
}

fn found(id: RequestId, keys: &[&str], matched: u64, scanned: u64) -> Msg {
    let matches = keys.iter().map(|k| object(k)).collect();
    Msg::Worker(Response::Found { id, batch: FoundBatch { matches, matched, scanned } })
}

fn done(id: RequestId) -> Msg {
    Msg::Worker(Response::FindDone { id, result: Ok(()) })
}

fn view(app: &App) -> &FindView {
    match &app.mode {
        Mode::Find(view) => view,
        other => panic!("not the find results: {other:?}"),
    }
}

/// `s3://demo-data/reports/` listed (one folder, one object, cursor on the object), then `F`,
/// `needle` and Enter: the app and the id of the find it sent.
fn finding(needle: &str) -> (App, RequestId) {
    let (mut app, effects) = app_at(Location::Prefix { bucket: "demo-data".into(), prefix: "reports/".into() });
    let (id, _) = list_requests(&effects)[0].clone();
    answer(&mut app, id, &["reports/2024/"], &["reports/index.csv"]);
    app.update(ch('j'));
    assert_eq!(app.listing.selected().map(Entry::key), Some("reports/index.csv"));
    app.update(ch('F'));
    for c in needle.chars() {
        app.update(ch(c));
    }
    let effects = app.update(key(KeyCode::Enter));
    let sent = requests(&effects);
    let [Request::Find { id, bucket, prefix, needle: asked, limit, .. }] = sent.as_slice() else {
        panic!("one Find request: {effects:?}")
    };
    assert_eq!((bucket.as_str(), prefix.as_str(), asked.as_str()), ("demo-data", "reports/", needle));
    assert_eq!(*limit, MAX_MATCHES);
    (app, *id)
}

#[test]
fn in_the_bucket_list_f_says_a_bucket_is_needed() {
    let (mut app, _) = app_at(Location::Buckets);
    let effects = app.update(ch('F'));
    assert!(effects.is_empty());
    assert_eq!(app.mode, Mode::Normal);
    let notice = app.notice.as_ref().map(|n| n.text.as_str()).unwrap_or_default();
    assert!(notice.contains("find needs a bucket"), "{notice}");
}

#[test]
fn the_prompt_takes_text_and_empty_enter_or_esc_cancel() {
    let (mut app, _) = app_at(Location::Prefix { bucket: "b".into(), prefix: "p/".into() });
    app.update(ch('F'));
    assert!(matches!(&app.mode, Mode::FindPrompt(p) if p.bucket == "b" && p.prefix == "p/" && p.text.is_empty()));
    assert!(app.update(key(KeyCode::Enter)).is_empty(), "nothing to find");
    assert_eq!(app.mode, Mode::Normal);

    app.update(ch('F'));
    for c in "jq/x".chars() {
        app.update(ch(c));
    }
    app.update(key(KeyCode::Backspace));
    assert!(matches!(&app.mode, Mode::FindPrompt(p) if p.text == "jq/"), "bound keys are text here: {:?}", app.mode);
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn batches_add_up_and_answers_for_other_finds_are_dropped() {
    let (mut app, id) = finding("Q1");
    assert_eq!(view(&app).state, FindState::Searching);
    app.update(found(id, &["reports/2024/q1/a.csv", "reports/2024/q1/b.csv"], 2, 1000));
    app.update(found(id, &["reports/2025/q1/a.csv"], 1, 500));
    app.update(found(RequestId(id.0 + 100), &["reports/stale.csv"], 1, 7));
    let v = view(&app);
    let keys: Vec<&str> = v.matches.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["reports/2024/q1/a.csv", "reports/2024/q1/b.csv", "reports/2025/q1/a.csv"]);
    assert_eq!((v.matched, v.scanned), (3, 1500));
    app.update(Msg::Worker(Response::FindDone { id: RequestId(id.0 + 100), result: Ok(()) }));
    assert_eq!(view(&app).state, FindState::Searching, "another find's end is not this one's");
    app.update(done(id));
    assert_eq!(view(&app).state, FindState::Done);
    app.update(found(id, &["reports/late.csv"], 1, 1));
    assert_eq!(view(&app).matches.len(), 3, "nothing after the end");
}

#[test]
fn a_newer_find_drops_the_answers_of_the_one_before() {
    let (mut app, first) = finding("a");
    let effects = app.update(ch('F'));
    assert_eq!(cancelled(&effects), [first], "finding again cancels the running find");
    assert!(matches!(&app.mode, Mode::FindPrompt(p) if p.text == "a"), "starting from the last text");
    app.update(ch('b'));
    let effects = app.update(key(KeyCode::Enter));
    let Some(Request::Find { id: second, needle, .. }) = requests(&effects).into_iter().next() else { panic!() };
    assert_eq!(needle, "ab");
    let second = *second;
    app.update(found(first, &["reports/a"], 1, 1));
    app.update(done(first));
    assert!(view(&app).matches.is_empty());
    assert_eq!(view(&app).state, FindState::Searching);
    app.update(found(second, &["reports/ab"], 1, 1));
    assert_eq!(view(&app).matches.len(), 1);
}

#[test]
fn esc_stops_the_find_keeping_its_matches_and_esc_again_goes_back_to_the_browser() {
    let (mut app, id) = finding("csv");
    let listing_before = app.listing.clone();
    app.update(found(id, &["reports/2024/x.csv"], 1, 10));
    let effects = app.update(key(KeyCode::Esc));
    assert_eq!(cancelled(&effects), [id]);
    assert_eq!(view(&app).state, FindState::Stopped);
    assert_eq!(view(&app).matches.len(), 1, "what was found stays");
    app.update(found(id, &["reports/2024/y.csv"], 1, 10));
    app.update(done(id));
    assert_eq!((view(&app).matches.len(), &view(&app).state), (1, &FindState::Stopped), "a late batch is dropped");

    let effects = app.update(key(KeyCode::Esc));
    assert!(effects.is_empty(), "nothing left to cancel: {effects:?}");
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.listing, listing_before, "the browser is where it was before F");
    app.update(found(id, &["reports/z.csv"], 1, 1));
    assert_eq!(app.mode, Mode::Normal, "answers after leaving are dropped");
}

#[test]
fn leaving_a_running_find_cancels_it() {
    let (mut app, id) = finding("x");
    let effects = app.update(ch('q'));
    assert_eq!(cancelled(&effects), [id]);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn a_failure_is_kept_with_the_matches_and_shown() {
    let (mut app, id) = finding("x");
    app.update(found(id, &["reports/x1"], 1, 1000));
    let message = "AccessDenied: ListObjectsV2 on s3://demo-data/reports/2024/ as identity `auditor` was refused";
    let failure = Failure { kind: FailureKind::AccessDenied, message: message.into() };
    app.update(Msg::Worker(Response::FindDone { id, result: Err(failure) }));
    assert_eq!(view(&app).state, FindState::Failed(message.into()));
    assert_eq!(view(&app).matches.len(), 1);
    assert_eq!(app.notice.as_ref().map(|n| (n.text.as_str(), n.error)), Some((message, true)));
}

#[test]
fn matches_past_the_cap_are_counted_not_kept() {
    let (mut app, id) = finding("e");
    let many: Vec<String> = (0..MAX_MATCHES - 1).map(|i| format!("reports/e{i:06}")).collect();
    let keys: Vec<&str> = many.iter().map(String::as_str).collect();
    app.update(found(id, &keys, keys.len() as u64, 2_000_000));
    assert!(!view(&app).capped());
    app.update(found(id, &["reports/f1", "reports/f2", "reports/f3"], 50, 1_000_000));
    let v = view(&app);
    assert_eq!(v.matches.len(), MAX_MATCHES);
    assert_eq!(v.matches.last().map(|o| o.key.as_str()), Some("reports/f1"));
    assert_eq!((v.matched, v.scanned), (MAX_MATCHES as u64 - 1 + 50, 3_000_000), "still counting");
    assert!(v.capped());
}

#[test]
fn the_cursor_moves_as_in_the_browser() {
    let (mut app, id) = finding("r");
    let many: Vec<String> = (0..100).map(|i| format!("reports/r{i:03}")).collect();
    let keys: Vec<&str> = many.iter().map(String::as_str).collect();
    app.update(found(id, &keys, 100, 100));
    let rows = app.list_rows();
    app.update(ch('j'));
    app.update(key(KeyCode::Down));
    assert_eq!(view(&app).cursor, 2);
    app.update(ch('k'));
    assert_eq!(view(&app).cursor, 1);
    app.update(key(KeyCode::PageDown));
    assert_eq!(view(&app).cursor, 1 + rows);
    app.update(ch('G'));
    assert_eq!(view(&app).cursor, 99);
    assert_eq!(view(&app).offset, 100 - rows, "the last row is on screen");
    app.update(key(KeyCode::PageUp));
    assert_eq!(view(&app).cursor, 99 - rows);
    app.update(ch('g'));
    assert_eq!((view(&app).cursor, view(&app).offset), (0, 0));
}

#[test]
fn enter_opens_the_folder_of_the_match_with_the_cursor_on_it_and_back_goes_up_level_by_level() {
    let (mut app, id) = finding("sum");
    app.update(found(id, &["reports/2024/q1/summary.csv", "reports/2024/q2/summary.csv"], 2, 20));
    app.update(ch('j'));
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(cancelled(&effects), [id], "the running find stops");
    assert_eq!(app.mode, Mode::Normal);
    let expected = Location::Prefix { bucket: "demo-data".into(), prefix: "reports/2024/q2/".into() };
    assert_eq!(app.listing.location, expected);
    let lists = list_requests(&effects);
    assert_eq!(lists.len(), 1, "{effects:?}");
    answer(&mut app, lists[0].0, &[], &["reports/2024/q2/detail.json", "reports/2024/q2/summary.csv"]);
    assert_eq!(app.listing.selected().map(Entry::key), Some("reports/2024/q2/summary.csv"));

    // Back lists the level in between, with the cursor on where we came from, ...
    let effects = app.update(key(KeyCode::Backspace));
    let lists = list_requests(&effects);
    assert_eq!(lists.iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["reports/2024/"]);
    answer(&mut app, lists[0].0, &["reports/2024/q1/", "reports/2024/q2/"], &[]);
    assert_eq!(app.listing.selected().map(Entry::key), Some("reports/2024/q2/"));
    // ... then the listing F was pressed in, as it was.
    app.update(key(KeyCode::Backspace));
    assert_eq!(app.listing.location, Location::Prefix { bucket: "demo-data".into(), prefix: "reports/".into() });
    assert_eq!(app.listing.selected().map(Entry::key), Some("reports/index.csv"), "its cursor where it was");
    assert!(app.parents.is_empty(), "{:?}", app.parents.iter().map(|p| &p.location).collect::<Vec<_>>());
}

#[test]
fn enter_on_a_match_in_the_same_folder_moves_the_cursor_there() {
    let (mut app, id) = finding("index");
    app.listing.set_filter("2024");
    assert_eq!(app.listing.selected().map(Entry::key), Some("reports/2024/"));
    app.update(found(id, &["reports/index.csv"], 1, 2));
    app.update(done(id));
    let effects = app.update(key(KeyCode::Enter));
    assert!(effects.is_empty(), "no listing needed: {effects:?}");
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.listing.selected().map(Entry::key), Some("reports/index.csv"), "the hiding filter is cleared");
}
