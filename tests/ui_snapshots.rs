//! Whole-screen snapshots of the terminal UI, rebuilt from messages alone: the app is driven
//! through `App::update` exactly as the runtime drives it (keys, ticks, worker answers whose
//! ids come from the requests the app itself sent), then drawn into a `TestBackend`.
//!
//! insta keeps only the text of a screen, so colours are checked separately, cell by cell,
//! against the theme's documented colours.
//!
//! Everything here is pure: no network, no terminal, no clock (time is a fixed `Tick`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier};
use s3lease::app::help::HelpState;
use s3lease::app::listing::{LoadState, Location};
use s3lease::app::session::{State, Status, Thresholds};
use s3lease::app::{App, AppConfig, Effect, Focus, Mode, Msg};
use s3lease::credentials::SessionInfo;
use s3lease::keymap::Keymap;
use s3lease::s3::{Bucket, Object, Page};
use s3lease::worker::{DeleteWhat, Failure, FailureKind, FoundBatch, Request, RequestId, Response};

#[path = "common/hostile.rs"]
mod hostile;

const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;

/// 2027-01-15 08:00:00 UTC: the fixed "now" every screen is drawn at.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// The session's expiry: one hour after `now()`, 09:00:00 UTC.
fn expiry() -> SystemTime {
    now() + Duration::from_secs(3600)
}

const WARN: Duration = Duration::from_secs(600);
const CRITICAL: Duration = Duration::from_secs(120);

fn session_info() -> SessionInfo {
    SessionInfo {
        identity: "auditor".into(),
        kind: "assume-role",
        chain: "assume-role auditor <- profile bob".into(),
        arn: Some("arn:aws:sts::123456789012:assumed-role/Auditor/s3lease-auditor".into()),
        expires_at: Some(expiry()),
        temporary: true,
        mfa: false,
        refresh_needs_mfa_from: None,
        region: "us-east-1".into(),
        endpoint: "http://127.0.0.1:5000".into(),
        packed_policy_size: Some(6),
    }
}

fn buckets() -> Vec<Bucket> {
    let created = |days_ago: u64| Some(now() - Duration::from_secs(days_ago * 86_400 + 3_723));
    let bucket = |name: &str, region: &str, days_ago| Bucket {
        name: name.into(),
        created: created(days_ago),
        region: Some(region.into()),
    };
    // Deliberately not in name order: the bucket list sorts them.
    vec![
        bucket("media-assets", "eu-west-1", 40),
        bucket("audit-logs", "us-east-1", 400),
        bucket("analytics-raw", "us-west-2", 900),
        bucket("s3lease-demo", "ap-southeast-2", 3),
        bucket("backups-eu", "eu-central-1", 120),
    ]
}

/// `events-00000.json` … : deterministic sizes, dates and storage classes.
fn object(key: String, i: u64) -> Object {
    Object {
        key,
        size: (i * 7_919 + 311) % 5_000_000,
        last_modified: Some(now() - Duration::from_secs(86_400 * 30 - i * 60)),
        etag: Some(format!("\"{i:032x}\"")),
        storage_class: Some(if i % 7 == 3 { "STANDARD_IA" } else { "STANDARD" }.into()),
    }
}

fn events(range: std::ops::Range<u64>) -> Vec<Object> {
    range.map(|i| object(format!("events-{i:05}.json"), i)).collect()
}

fn denied(op: &str, on: &str) -> Failure {
    Failure {
        kind: FailureKind::AccessDenied,
        message: format!("AccessDenied: {op} on {on} as identity `auditor` was refused: Access Denied"),
    }
}

/// The app, every request it has sent so far and everything it put on the clipboard.
struct Ui {
    app: App,
    sent: Vec<Request>,
    copied: Vec<String>,
}

impl Ui {
    /// A fresh app at `start`, sized to `width`x`height`, nothing answered yet.
    fn start_at(start: Location, width: u16, height: u16) -> Ui {
        let config = AppConfig {
            identity: "auditor".into(),
            kind: "assume-role",
            keymap: Keymap::defaults(),
            thresholds: Thresholds { warn: WARN, critical: CRITICAL },
            start,
            mfa_code: None,
            identities: Vec::new(),
            refresh_before: Duration::from_secs(300),
            // The countdown states, still: refreshing on its own is tested in the app's tests.
            auto_refresh: false,
            allow_short_durations: false,
            download_dir: std::path::PathBuf::from("/tmp/downloads"),
            read_only: false,
        };
        let (app, effects) = App::new(config, now());
        let mut ui = Ui { app, sent: Vec::new(), copied: Vec::new() };
        ui.record(effects);
        ui.send(Msg::Resize { width, height });
        ui
    }

    fn start(width: u16, height: u16) -> Ui {
        Ui::start_at(Location::Buckets, width, height)
    }

    /// The bucket list with a valid session, at `width`x`height`.
    fn buckets(width: u16, height: u16) -> Ui {
        let mut ui = Ui::start(width, height);
        ui.session_ok();
        ui.answer_buckets(buckets());
        ui
    }

    fn record(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Send(request) => self.sent.push(request),
                Effect::Clipboard(text) => self.copied.push(text),
                Effect::Quit => panic!("the app quit unexpectedly"),
            }
        }
    }

    fn send(&mut self, msg: Msg) {
        let effects = self.app.update(msg);
        self.record(effects);
    }

    fn key(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn tick(&mut self, at: SystemTime) {
        self.send(Msg::Tick(at));
    }

    /// The id of the latest request `is` picks out, which the app must have sent.
    fn last_request(&self, what: &str, is: impl Fn(&Request) -> bool) -> RequestId {
        self.sent.iter().rev().find(|r| is(r)).map(Request::id).unwrap_or_else(|| panic!("the app asked for {what}"))
    }

    /// The id of the StartSession the app sent.
    fn session_id(&self) -> RequestId {
        self.sent
            .iter()
            .rev()
            .find_map(|r| match r {
                Request::StartSession { id, .. } => Some(*id),
                _ => None,
            })
            .expect("the app asked for a session")
    }

    fn session_ok(&mut self) {
        let id = self.session_id();
        self.send(Msg::Worker(Response::Session { id, result: Ok(session_info()) }));
        assert_eq!(self.app.session.status, Status::Active);
    }

    fn answer_buckets(&mut self, buckets: Vec<Bucket>) {
        let id = self
            .sent
            .iter()
            .rev()
            .find_map(|r| match r {
                Request::ListBuckets { id, .. } => Some(*id),
                _ => None,
            })
            .expect("the app asked for the bucket list");
        self.send(Msg::Worker(Response::Buckets { id, result: Ok(buckets) }));
        assert_eq!(self.app.listing.load, LoadState::Complete);
    }

    /// Answers the latest ListObjects, which must be for `bucket`/`prefix` and carry a
    /// continuation token exactly when `continued`.
    fn answer_objects(&mut self, bucket: &str, prefix: &str, continued: bool, result: Result<Page, Failure>) {
        let id = match self.sent.iter().rev().find(|r| matches!(r, Request::ListObjects { .. })) {
            Some(Request::ListObjects { id, bucket: b, prefix: p, continuation, .. }) => {
                assert_eq!((b.as_str(), p.as_str()), (bucket, prefix), "the pending listing is the expected one");
                assert_eq!(continuation.is_some(), continued, "continuation of {bucket}/{prefix}");
                *id
            }
            _ => panic!("the app asked for no object listing"),
        };
        self.send(Msg::Worker(Response::Objects { id, result }));
    }

    /// Moves the bucket-list cursor onto `name` and opens it.
    fn open(&mut self, name: &str) {
        self.select(name);
        self.key(KeyCode::Enter);
    }

    /// Moves the cursor onto `name` (in any listing) without opening it.
    fn select(&mut self, name: &str) {
        self.key(KeyCode::Char('g'));
        let base = self.app.listing.base().to_string();
        for _ in 0..self.app.listing.view.len() {
            if self.app.listing.selected().map(|e| e.name(&base)) == Some(name) {
                return;
            }
            self.key(KeyCode::Down);
        }
        panic!("no entry {name:?} in the listing");
    }

    fn draw(&self) -> Terminal<TestBackend> {
        self.draw_at(self.app.width, self.app.height)
    }

    /// Drawn into a terminal of a size the app may not have been told about.
    fn draw_at(&self, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|f| s3lease::ui::render(&self.app, f)).unwrap();
        terminal
    }
}

/// The screen's text, one line per row, trailing spaces kept.
fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    (area.top()..area.bottom())
        .map(|y| (area.left()..area.right()).map(|x| buffer[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The cells under the first occurrence of `needle` (one cell per char) in row `y`.
fn cells_in_row<'a>(buffer: &'a Buffer, y: u16, needle: &str) -> Vec<&'a Cell> {
    let chars: Vec<String> = needle.chars().map(String::from).collect();
    let area = buffer.area;
    for x in area.left()..area.right() {
        let fits = usize::from(area.right() - x) >= chars.len();
        if fits && chars.iter().enumerate().all(|(i, c)| buffer[(x + i as u16, y)].symbol() == c) {
            return (0..chars.len()).map(|i| &buffer[(x + i as u16, y)]).collect();
        }
    }
    panic!("{needle:?} is not in row {y}:\n{}", text(buffer));
}

fn assert_on_screen(terminal: &Terminal<TestBackend>, needles: &[&str]) {
    let screen = text(terminal.backend().buffer());
    for needle in needles {
        assert!(screen.contains(needle), "{needle:?} is not on screen:\n{screen}");
    }
}

fn assert_not_on_screen(terminal: &Terminal<TestBackend>, needles: &[&str]) {
    let screen = text(terminal.backend().buffer());
    for needle in needles {
        assert!(!screen.contains(needle), "{needle:?} should not be on screen:\n{screen}");
    }
}

// ---------------------------------------------------------------------------------------------
// Browsing

#[test]
fn bucket_list_with_a_valid_session() {
    let ui = Ui::buckets(WIDTH, HEIGHT);
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " s3:// ",
            "● valid",
            "expires in 1h 00m (09:00:00 UTC)",
            "analytics-raw",
            "s3lease-demo",
            "ap-southeast-2",
            "1 of 5 ",
        ],
    );
    insta::assert_snapshot!("bucket_list_valid_session", terminal.backend());
}

/// `audit-logs` open, its first page (2 prefixes + 1,000 objects) in, the second still pending.
fn prefix_listing_mid_stream() -> Ui {
    let mut ui = Ui::buckets(WIDTH, HEIGHT);
    ui.open("audit-logs");
    let first = Page {
        prefixes: vec!["2026/".into(), "restricted/".into()],
        objects: events(0..1000),
        next: Some("page-2".into()),
    };
    ui.answer_objects("audit-logs", "", false, Ok(first));
    assert!(ui.app.listing.is_loading(), "the second page is asked for and pending");
    ui
}

fn prefix_listing_complete() -> Ui {
    let mut ui = prefix_listing_mid_stream();
    ui.answer_objects("audit-logs", "", true, Ok(Page { prefixes: vec![], objects: events(1000..1500), next: None }));
    assert_eq!(ui.app.listing.load, LoadState::Complete);
    ui
}

#[test]
fn prefix_listing_while_the_next_page_loads() {
    let terminal = prefix_listing_mid_stream().draw();
    assert_on_screen(
        &terminal,
        &[" s3://audit-logs/ ", "2026/", "restricted/", "events-00000.json", "1 of 1,002+ loading…"],
    );
    insta::assert_snapshot!("prefix_listing_mid_stream", terminal.backend());
}

#[test]
fn prefix_listing_after_the_last_page() {
    let terminal = prefix_listing_complete().draw();
    assert_on_screen(&terminal, &["1 of 1,502 "]);
    assert_not_on_screen(&terminal, &["1,502+", "loading"]);
    insta::assert_snapshot!("prefix_listing_complete", terminal.backend());
}

#[test]
fn filter_being_typed_shows_the_text_and_the_match_count() {
    let mut ui = prefix_listing_complete();
    ui.key(KeyCode::Char('/'));
    ui.type_text("00042");
    assert_eq!(ui.app.mode, Mode::Filter);
    let terminal = ui.draw();
    assert_on_screen(&terminal, &["/00042▏", "filter: 00042 (1 match)", "events-00042.json", "1 of 1,502 "]);
    assert_not_on_screen(&terminal, &["events-00041.json", "2026/"]);
    insta::assert_snapshot!("filter_typing_00042", terminal.backend());
}

#[test]
fn help_overlay_lists_every_binding() {
    let mut ui = prefix_listing_complete();
    ui.key(KeyCode::Char('?'));
    assert_eq!(ui.app.mode, Mode::Help(HelpState { scroll: 0 }));
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[" keys ", "? or Esc closes", "Move up  ", "Switch focus between panes", "q/Ctrl-c", "Close overlay"],
    );
    // Everything fits at 100x30, so there is nothing to scroll and nothing to say about it.
    assert_not_on_screen(&terminal, &[" of 28 ", "scroll"]);
    insta::assert_snapshot!("help_overlay", terminal.backend());
}

#[test]
fn object_listing_failure_on_opening_a_prefix_shows_in_the_status_line() {
    let mut ui = prefix_listing_complete();
    ui.open("restricted/");
    ui.answer_objects("audit-logs", "restricted/", false, Err(denied("ListObjectsV2", "s3://audit-logs/restricted/")));
    assert!(matches!(ui.app.listing.load, LoadState::Failed(_)));
    assert!(ui.app.notice.as_ref().is_some_and(|n| n.error));
    let terminal = ui.draw();
    assert_on_screen(&terminal, &[" s3://audit-logs/restricted/ ", "0 of 0 (failed)", "AccessDenied: ListObjectsV2"]);
    insta::assert_snapshot!("error_denied_prefix", terminal.backend());
}

#[test]
fn object_listing_failure_mid_stream_keeps_what_was_listed() {
    let mut ui = prefix_listing_mid_stream();
    ui.answer_objects("audit-logs", "", true, Err(denied("ListObjectsV2", "s3://audit-logs/")));
    let terminal = ui.draw();
    assert_on_screen(&terminal, &["2026/", "events-00000.json", "1 of 1,002 (failed)", "AccessDenied: ListObjectsV2"]);
    insta::assert_snapshot!("error_mid_stream_keeps_listing", terminal.backend());
}

#[test]
fn reload_failure_keeps_the_old_listing_on_screen() {
    let mut ui = prefix_listing_complete();
    ui.key(KeyCode::Char('r'));
    ui.answer_objects("audit-logs", "", false, Err(denied("ListObjectsV2", "s3://audit-logs/")));
    let terminal = ui.draw();
    assert_on_screen(&terminal, &["events-00000.json", "1 of 1,502 ", "reload failed, showing what was listed before"]);
    insta::assert_snapshot!("error_reload_keeps_listing", terminal.backend());
}

#[test]
fn session_pane_focused_shows_every_detail() {
    let mut ui = Ui::buckets(WIDTH, HEIGHT);
    ui.key(KeyCode::Tab);
    assert_eq!(ui.app.focus, Focus::Session);
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            "region   us-east-1",
            "endpoint http://127.0.0.1:5000",
            "expires  2027-01-15T09:00:00Z",
            "6% of the packed session policy limit",
        ],
    );
    insta::assert_snapshot!("session_pane_focused", terminal.backend());
}

#[test]
fn too_small_terminal_says_so() {
    let ui = Ui::buckets(50, 12);
    let terminal = ui.draw();
    assert_on_screen(&terminal, &["Terminal too small", "50x12: s3lease needs at least 60x15"]);
    assert_not_on_screen(&terminal, &["s3://"]);
    insta::assert_snapshot!("too_small_50x12", terminal.backend());
}

#[test]
fn smallest_supported_terminal_shows_the_bucket_list() {
    let ui = Ui::buckets(60, 15);
    let terminal = ui.draw();
    assert_on_screen(&terminal, &[" s3:// ", "analytics-raw", "1 of 5 "]);
    assert_not_on_screen(&terminal, &["too small"]);
    insta::assert_snapshot!("smallest_60x15_bucket_list", terminal.backend());
}

#[test]
fn hostile_key_names_are_shown_escaped() {
    let mut ui = Ui::start_at(Location::Prefix { bucket: "audit-logs".into(), prefix: "odd/".into() }, WIDTH, HEIGHT);
    ui.session_ok();
    let objects = vec![
        object("odd/\u{1b}[2J\u{1b}[31mred.txt".into(), 1),
        object("odd/invoice-\u{202e}fdp.exe".into(), 2),
        object("odd/plain.txt".into(), 3),
    ];
    ui.answer_objects("audit-logs", "odd/", false, Ok(Page { prefixes: vec![], objects, next: None }));
    // Open the first object: the details overlay shows its key escaped too (the answer is pending).
    ui.key(KeyCode::Enter);
    let terminal = ui.draw();
    let screen = text(terminal.backend().buffer());
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'), "raw controls reached the screen:\n{screen}");
    assert_on_screen(&terminal, &["\\u{1b}[2J\\u{1b}[31mred.txt", "invoice-\\u{202e}fdp.exe", "plain.txt"]);
    insta::assert_snapshot!("hostile_keys_escaped", terminal.backend());
}

// ---------------------------------------------------------------------------------------------
// The session pane's countdown: one screen and one colour check per state.

/// The bucket list with the session in `state`, and the countdown text expected for it.
fn session_in(state: State) -> (Ui, &'static str) {
    let mut ui = Ui::start(WIDTH, HEIGHT);
    ui.answer_buckets(buckets());
    let countdown = match state {
        State::Starting => "starting…",
        State::Valid => {
            ui.session_ok();
            "expires in 1h 00m (09:00:00 UTC)"
        }
        State::Warning => {
            ui.session_ok();
            ui.tick(expiry() - Duration::from_secs(9 * 60 + 30));
            "expires in 9m 30s (09:00:00 UTC)"
        }
        State::Critical => {
            ui.session_ok();
            ui.tick(expiry() - Duration::from_secs(95));
            "expires in 1m 35s (09:00:00 UTC)"
        }
        State::Expired => {
            ui.session_ok();
            ui.tick(expiry() + Duration::from_secs(5));
            "expired at 09:00:00 UTC"
        }
        State::Refreshing => {
            ui.session_ok();
            ui.tick(expiry() - Duration::from_secs(60));
            ui.app.session.status = Status::Refreshing;
            "refreshing… (expires 09:00:00 UTC)"
        }
        State::Failed => {
            let id = ui.session_id();
            let failure = Failure {
                kind: FailureKind::AccessDenied,
                message: "AccessDenied: AssumeRole as identity `auditor` was refused: User: \
                          arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole"
                    .into(),
            };
            ui.send(Msg::Worker(Response::Session { id, result: Err(failure) }));
            assert!(matches!(ui.app.session.status, Status::Failed(_)));
            // The failure's message replaces the countdown, in the failed colour.
            "AccessDenied: AssumeRole"
        }
    };
    (ui, countdown)
}

fn snapshot_session(state: State) -> Terminal<TestBackend> {
    let (ui, countdown) = session_in(state);
    assert_eq!(ui.app.session.state(ui.app.now, ui.app.thresholds), state);
    let terminal = ui.draw();
    assert_on_screen(&terminal, &[&format!("● {} ", state.label()), countdown]);
    terminal
}

#[test]
fn session_starting_before_sts_answers() {
    let terminal = snapshot_session(State::Starting);
    assert_on_screen(&terminal, &["asking STS…"]);
    insta::assert_snapshot!("session_starting", terminal.backend());
}

#[test]
fn session_valid() {
    insta::assert_snapshot!("session_valid", snapshot_session(State::Valid).backend());
}

#[test]
fn session_warning_under_ten_minutes() {
    insta::assert_snapshot!("session_warning", snapshot_session(State::Warning).backend());
}

#[test]
fn session_critical_under_two_minutes() {
    insta::assert_snapshot!("session_critical", snapshot_session(State::Critical).backend());
}

#[test]
fn session_expired() {
    insta::assert_snapshot!("session_expired", snapshot_session(State::Expired).backend());
}

#[test]
fn session_refreshing_keeps_the_current_details() {
    let terminal = snapshot_session(State::Refreshing);
    assert_on_screen(&terminal, &["chain    assume-role auditor <- profile bob"]);
    insta::assert_snapshot!("session_refreshing", terminal.backend());
}

#[test]
fn session_failed_shows_the_error() {
    let terminal = snapshot_session(State::Failed);
    assert_on_screen(&terminal, &["AccessDenied: AssumeRole as identity `auditor` was refused"]);
    insta::assert_snapshot!("session_failed", terminal.backend());
}

/// Every cell of the `● state` label (in the pane's title, row 0) and of the countdown text
/// (the pane's first line, row 1) has the state's colours.
fn assert_state_colours(state: State, fg: Color, bg: Color, bold: bool) {
    let (ui, countdown) = session_in(state);
    let terminal = ui.draw();
    let buffer = terminal.backend().buffer();
    let state = state.label();
    for (y, needle) in [(0, format!("● {state}")), (1, countdown.to_string())] {
        for cell in cells_in_row(buffer, y, &needle) {
            assert_eq!(cell.fg, fg, "foreground of {needle:?} ({state})");
            assert_eq!(cell.bg, bg, "background of {needle:?} ({state})");
            assert_eq!(cell.modifier.contains(Modifier::BOLD), bold, "bold {needle:?} ({state})");
        }
    }
}

#[test]
fn starting_is_dark_gray() {
    assert_state_colours(State::Starting, Color::DarkGray, Color::Reset, false);
}

#[test]
fn valid_is_green() {
    assert_state_colours(State::Valid, Color::Green, Color::Reset, false);
}

#[test]
fn warning_is_bold_yellow() {
    assert_state_colours(State::Warning, Color::Yellow, Color::Reset, true);
}

#[test]
fn critical_is_bold_red() {
    assert_state_colours(State::Critical, Color::Red, Color::Reset, true);
}

#[test]
fn expired_is_bold_white_on_red() {
    assert_state_colours(State::Expired, Color::White, Color::Red, true);
}

#[test]
fn refreshing_is_cyan() {
    assert_state_colours(State::Refreshing, Color::Cyan, Color::Reset, false);
}

#[test]
fn failed_is_bold_red() {
    assert_state_colours(State::Failed, Color::Red, Color::Reset, true);
}

// ---------------------------------------------------------------------------------------------
// Help on a terminal too short for every binding

/// The help overlay over the bucket list at 80x24, where 22 of the 28 bindings fit.
fn short_help() -> Ui {
    let mut ui = Ui::buckets(80, 24);
    ui.key(KeyCode::Char('?'));
    ui
}

#[test]
fn help_on_a_short_terminal_starts_at_the_top_and_says_how_much_is_shown() {
    let terminal = short_help().draw();
    assert_on_screen(&terminal, &[" keys ", " 1–22 of 28 ", "↑↓ PgUp PgDn scroll · ? or Esc closes", "Move up  "]);
    // The 23rd binding onwards is below the fold.
    assert_not_on_screen(&terminal, &["Switch focus between panes", "Close overlay"]);
    insta::assert_snapshot!("help_overlay_80x24_top", terminal.backend());
}

#[test]
fn help_on_a_short_terminal_scrolled_to_the_end_shows_the_last_binding_last() {
    let mut ui = short_help();
    ui.key(KeyCode::End);
    assert_eq!(ui.app.mode, Mode::Help(HelpState { scroll: 6 }));
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[" 7–28 of 28 ", "Open the bucket or prefix", "Close overlay, clear filter or stop loading"],
    );
    assert_not_on_screen(&terminal, &["Move up", "Go to the last entry"]);
    // The last binding sits on the row just above the bottom border: no blank rows below it.
    let screen = text(terminal.backend().buffer());
    let rows: Vec<&str> = screen.lines().collect();
    let last = rows.iter().position(|r| r.contains("Close overlay")).expect("the last binding");
    assert!(rows[last + 1].contains(" 7–28 of 28 "), "the border follows the last binding:\n{screen}");
    insta::assert_snapshot!("help_overlay_80x24_bottom", terminal.backend());
}

#[test]
fn help_drawn_taller_than_the_app_was_told_still_ends_on_the_last_binding() {
    // Scrolled as far as 60x15 allows (13 bindings shown), then drawn at 80x24 before any
    // resize reached the app: the window must not run past the end of the list.
    let mut ui = Ui::buckets(60, 15);
    ui.key(KeyCode::Char('?'));
    ui.key(KeyCode::End);
    assert_eq!(ui.app.mode, Mode::Help(HelpState { scroll: 15 }));
    let terminal = ui.draw_at(80, 24);
    assert_on_screen(&terminal, &[" 7–28 of 28 ", "Close overlay, clear filter or stop loading"]);
}

// ---------------------------------------------------------------------------------------------
// One object: details, preview, share menu, versions

const DEMO: &str = "s3lease-demo";

fn file(key: &str, size: u64, age: Duration) -> Object {
    Object {
        key: key.into(),
        size,
        last_modified: Some(now() - age),
        etag: Some(format!("\"{:032x}\"", size * 7_919)),
        storage_class: Some("STANDARD".into()),
    }
}

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

/// `s3lease-demo/shared/`, listed: one prefix and five objects.
fn shared() -> Ui {
    let mut ui = Ui::start_at(Location::Prefix { bucket: DEMO.into(), prefix: "shared/".into() }, WIDTH, HEIGHT);
    ui.session_ok();
    let page = Page {
        prefixes: vec!["shared/archive/".into()],
        objects: vec![
            file("shared/blob.bin", 2048, 40 * DAY),
            file("shared/handbook.md", 231, 3 * DAY),
            file("shared/latin1.txt", 41, 12 * DAY),
            file("shared/long.txt", 124_000, 5 * HOUR),
            file("shared/tagged.csv", 16, 2 * HOUR),
        ],
        next: None,
    };
    ui.answer_objects(DEMO, "shared/", false, Ok(page));
    ui
}

fn etag() -> Option<String> {
    Some("9b2cf535f27731c974343645a3985328".into())
}

/// HeadObject and GetObjectTagging as the worker reports them for `shared/tagged.csv`.
fn tagged_details(tags: Result<Vec<(&str, &str)>, String>) -> Box<s3lease::s3::object::Details> {
    let own = |pairs: Vec<(&str, &str)>| pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Box::new(s3lease::s3::object::Details {
        key: "shared/tagged.csv".into(),
        size: 16,
        last_modified: Some(now() - 2 * HOUR),
        etag: etag(),
        content_type: Some("text/csv".into()),
        storage_class: Some("STANDARD".into()),
        encryption: Some(
            "aws:kms (arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab)".into(),
        ),
        version_id: Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY".into()),
        metadata: own(vec![("owner", "data-team"), ("source", "etl-nightly")]),
        tags: tags.map(own),
    })
}

fn open_details(ui: &mut Ui, details: Box<s3lease::s3::object::Details>) {
    ui.select("tagged.csv");
    ui.key(KeyCode::Char('d'));
    let id = ui.last_request(
        "the object's details",
        |r| matches!(r, Request::ObjectDetails { bucket, key, .. } if bucket == DEMO && key == "shared/tagged.csv"),
    );
    ui.send(Msg::Worker(Response::Details { id, result: Ok(details) }));
}

#[test]
fn details_of_an_object_show_head_fields_metadata_and_tags() {
    let mut ui = shared();
    // A tag value is free text: a bidi override in it must not reorder what is drawn.
    let tags = vec![("classification", "internal"), ("reviewed-by", "eve\u{202e}fdp.exe"), ("team", "data")];
    open_details(&mut ui, tagged_details(Ok(tags)));
    let terminal = ui.draw();
    let screen = text(terminal.backend().buffer());
    assert!(!screen.contains('\u{202e}'), "a raw bidi override reached the screen:\n{screen}");
    assert_on_screen(
        &terminal,
        &[
            " details ",
            "object         s3://s3lease-demo/shared/tagged.csv",
            "size           16 B (16 bytes)",
            "last modified  2027-01-15T06:00:00Z",
            "ETag           9b2cf535f27731c974343645a3985328",
            "content type   text/csv",
            // Too long for the line: wrapped at the space, the key's ARN whole on the next.
            "encryption     aws:kms",
            "(arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab)",
            "version        3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
            "metadata       owner: data-team",
            "metadata       source: etl-nightly",
            "tag            classification = internal",
            "tag            reviewed-by = eve\\u{202e}fdp.exe",
            "tag            team = data",
        ],
    );
    insta::assert_snapshot!("object_details", terminal.backend());
}

#[test]
fn details_when_the_tags_may_not_be_read_say_why_and_keep_the_rest() {
    let mut ui = shared();
    let refused = "AccessDenied: GetObjectTagging on s3://s3lease-demo/shared/tagged.csv as identity `auditor` \
                   was refused: Access Denied";
    let mut details = tagged_details(Err(refused.into()));
    details.metadata.clear();
    details.encryption = None;
    open_details(&mut ui, details);
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &["size           16 B", "encryption     none reported", "metadata       none", "tags           AccessDenied"],
    );
    assert_not_on_screen(&terminal, &["tag            "]);
    insta::assert_snapshot!("object_details_tags_refused", terminal.backend());
}

/// Opens the preview of `name` and answers its first range with `data` of an object `total`
/// bytes long.
fn preview(name: &str, data: &[u8], total: u64) -> Ui {
    let mut ui = shared();
    ui.select(name);
    ui.key(KeyCode::Char('p'));
    let key = format!("shared/{name}");
    let id = ui.last_request(
        "the first range",
        |r| matches!(r, Request::ReadRange { key: k, start: 0, len, .. } if *k == key && *len == 64 * 1024),
    );
    let chunk = s3lease::s3::object::Chunk { start: 0, data: data.to_vec(), total };
    ui.send(Msg::Worker(Response::Range { id, result: Ok(chunk) }));
    ui
}

#[test]
fn preview_of_a_text_object_numbers_its_lines() {
    let handbook = "# Handbook\n\nWelcome to the data team's shared space.\n\n## Layout\n\n\
                    \treports/  quarterly summaries, one folder per year\n\
                    \tshared/   anything handed to another team\n\n\
                    Terminal colours in a file, like \x1b[31mthis\x1b[0m, are shown, not obeyed.\n";
    let ui = preview("handbook.md", handbook.as_bytes(), handbook.len() as u64);
    let terminal = ui.draw();
    let screen = text(terminal.backend().buffer());
    assert!(!screen.contains('\x1b'), "a raw escape reached the screen:\n{screen}");
    assert_on_screen(
        &terminal,
        &[
            " preview: shared/handbook.md (text) ",
            " 1 # Handbook",
            " 3 Welcome to the data team's shared space.",
            // Tabs become four spaces.
            " 7     reports/  quarterly summaries",
            "10 Terminal colours in a file, like \\u{1b}[31mthis\\u{1b}[0m, are shown, not obeyed.",
            &format!(" all {handbook_len} B · Esc closes ", handbook_len = handbook.len()),
        ],
    );
    insta::assert_snapshot!("preview_text", terminal.backend());
}

/// The seeded `long.txt`: 4,000 lines of 31 bytes.
fn long_text() -> Vec<u8> {
    (0..4000).flat_map(|i| format!("line {i:05} of the long preview\n").into_bytes()).collect()
}

#[test]
fn preview_of_a_long_text_says_it_is_truncated_and_how_to_load_more() {
    let all = long_text();
    let ui = preview("long.txt", &all[..64 * 1024], all.len() as u64);
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " preview: shared/long.txt (text) ",
            "    1 line 00000 of the long preview",
            // As wide as `2,115`, the lines loaded so far (the last one cut short by the chunk).
            "   26 line 00025 of the long preview",
            " truncated: first 64.0 KiB of 121.1 KiB · scroll to the end to load more · Esc closes ",
        ],
    );
    insta::assert_snapshot!("preview_text_truncated", terminal.backend());
}

#[test]
fn preview_of_a_binary_object_is_a_hex_dump() {
    let blob: Vec<u8> = (0..8).flat_map(|_| 0u8..=255).collect();
    let ui = preview("blob.bin", &blob, blob.len() as u64);
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " preview: shared/blob.bin (binary: hex dump) ",
            "00000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  |................|",
            "00000020  20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f  | !\"#$%&'()*+,-./|",
            " all 2.0 KiB · Esc closes ",
        ],
    );
    assert_not_on_screen(&terminal, &["(text)"]);
    insta::assert_snapshot!("preview_binary_hex", terminal.backend());
}

#[test]
fn preview_of_invalid_utf8_falls_back_to_a_hex_dump() {
    // Latin-1, not UTF-8: é is the single byte e9.
    let latin1 = b"caf\xe9 cr\xe8me br\xfbl\xe9e\nna\xefve r\xe9sum\xe9, 12 \xa3\n";
    let ui = preview("latin1.txt", latin1, latin1.len() as u64);
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " preview: shared/latin1.txt (binary: hex dump) ",
            "00000000  63 61 66 e9 20 63 72 e8 6d 65 20 62 72 fb 6c e9  |caf. cr.me br.l.|",
            &format!(" all {} B · Esc closes ", latin1.len()),
        ],
    );
    assert_not_on_screen(&terminal, &["(text)", "\u{fffd}"]);
    insta::assert_snapshot!("preview_invalid_utf8_hex", terminal.backend());
}

#[test]
fn share_menu_offers_the_uri_the_url_and_a_presigned_link() {
    let mut ui = shared();
    ui.select("tagged.csv");
    ui.key(KeyCode::Char('y'));
    assert!(matches!(ui.app.mode, Mode::Share(_)));
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " share ",
            "object         s3://s3lease-demo/shared/tagged.csv",
            "  copy the s3:// URI",
            "  copy the https:// URL",
            "  copy a presigned GET URL, valid for ◀ 1h ▶",
            "↑↓ choose · ←→ lifetime · Enter copy · Esc close",
        ],
    );
    assert_not_on_screen(&terminal, &["copied"]);
    insta::assert_snapshot!("share_menu", terminal.backend());
}

#[test]
fn a_presigned_link_cut_to_the_session_says_it_was_capped() {
    let mut ui = shared();
    // 47m 12s of the session are left when the link is asked for.
    ui.tick(now() + Duration::from_secs(768));
    ui.select("tagged.csv");
    ui.key(KeyCode::Char('y'));
    ui.key(KeyCode::Down);
    ui.key(KeyCode::Down);
    for _ in 0..3 {
        ui.key(KeyCode::Right);
    }
    ui.key(KeyCode::Enter);
    let seven_days = Duration::from_secs(7 * 86_400);
    let id = ui.last_request("a presigned URL for 7 days", |r| {
        matches!(r, Request::Presign { key, lifetime, .. } if key == "shared/tagged.csv" && *lifetime == seven_days)
    });
    let url = "http://127.0.0.1:5000/s3lease-demo/shared/tagged.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256\
               &X-Amz-Credential=ASIAQEXAMPLE7KEY%2F20270115%2Fus-east-1%2Fs3%2Faws4_request\
               &X-Amz-Date=20270115T081248Z&X-Amz-Expires=2832&X-Amz-SignedHeaders=host\
               &X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE\
               &X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
    let presigned = s3lease::worker::Presigned { url: url.into(), lifetime: Duration::from_secs(2832), capped: true };
    ui.send(Msg::Worker(Response::Presigned { id, result: Ok(presigned) }));
    assert_eq!(ui.copied, [url], "the link went to the clipboard");
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            "copy a presigned GET URL, valid for ◀ 7d ▶",
            "valid for 47m 12s: capped at the credentials' expiry",
            "copied (select it here if your terminal ignores OSC 52):",
            "http://127.0.0.1:5000/s3lease-demo/shared/tagged.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "expires in 47m 12s",
        ],
    );
    insta::assert_snapshot!("share_presigned_capped", terminal.backend());
}

#[test]
fn versions_view_lists_every_version_and_the_delete_marker() {
    use s3lease::transfer::Version;
    let mut ui = shared();
    ui.select("tagged.csv");
    ui.key(KeyCode::Char('v'));
    let id = ui
        .last_request("the versions", |r| matches!(r, Request::ListVersions { key, .. } if key == "shared/tagged.csv"));
    let version = |id: Option<&str>, size: Option<u64>, age: Duration, latest: bool| Version {
        key: "shared/tagged.csv".into(),
        version_id: id.map(str::to_string),
        is_delete_marker: size.is_none(),
        is_latest: latest,
        size,
        last_modified: Some(now() - age),
        etag: size.and(etag()),
        storage_class: size.map(|_| "STANDARD".to_string()),
    };
    let versions = vec![
        version(Some("Wd3kXqT9rLm2bYcA0pZ7nJ4sF1eHuGvK"), None, Duration::from_secs(20 * 60), true),
        version(Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"), Some(16), 2 * HOUR, false),
        version(Some("2LWg7lQLnY41.maGB5Z6SWW.dcq0vx7b"), Some(1_536), 30 * DAY, false),
        // Written before versioning was turned on.
        version(None, Some(9), 400 * DAY, false),
    ];
    ui.send(Msg::Worker(Response::Versions { id, result: Ok(versions) }));
    ui.key(KeyCode::Down);
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " versions ",
            "object         s3://s3lease-demo/shared/tagged.csv",
            "VERSION",
            "LAST MODIFIED",
            "Wd3kXqT9rLm2bYcA0pZ7nJ4sF1eHuGvK",
            "latest · delete marker",
            "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY        16 B",
            "2LWg7lQLnY41.maGB5Z6SWW.dcq0vx7b      1.5 KiB",
            "null ",
        ],
    );
    // insta keeps no styles: the cursor (moved down once) is checked here.
    let buffer = terminal.backend().buffer();
    let row = row_of(buffer, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");
    for cell in cells_in_row(buffer, row, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY") {
        assert!(cell.modifier.contains(Modifier::REVERSED), "the second version is highlighted");
    }
    let marker = row_of(buffer, "Wd3kXqT9rLm2bYcA0pZ7nJ4sF1eHuGvK");
    assert!(!cells_in_row(buffer, marker, "Wd3k")[0].modifier.contains(Modifier::REVERSED), "only the cursor's row");
    insta::assert_snapshot!("versions_with_delete_marker", terminal.backend());
}

/// The row `needle` is on.
fn row_of(buffer: &Buffer, needle: &str) -> u16 {
    let screen = text(buffer);
    let y = screen.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle:?} on\n{screen}"));
    u16::try_from(y).expect("a screen row")
}

// ---------------------------------------------------------------------------------------------
// Changes and transfers: delete, download and upload prompts

/// `shared/` with blob.bin, long.txt and tagged.csv marked.
fn three_marked() -> Ui {
    let mut ui = shared();
    for name in ["blob.bin", "long.txt", "tagged.csv"] {
        ui.select(name);
        ui.key(KeyCode::Char(' '));
    }
    assert_eq!(ui.app.listing.marks.len(), 3);
    ui
}

const MARKED: [&str; 3] = ["shared/blob.bin", "shared/long.txt", "shared/tagged.csv"];

#[test]
fn deleting_marked_objects_lists_them_before_asking() {
    let mut ui = three_marked();
    ui.key(KeyCode::Char('x'));
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " delete ",
            "Delete 3 objects from s3://s3lease-demo:",
            "  shared/blob.bin",
            "  shared/long.txt",
            "  shared/tagged.csv",
            "Enter delete · Esc keep",
        ],
    );
    assert_not_on_screen(&terminal, &["shared/handbook.md", "Type the prefix"]);
    insta::assert_snapshot!("delete_marked", terminal.backend());

    // What is listed is what goes.
    ui.key(KeyCode::Enter);
    let sent = ui.sent.last();
    assert!(
        matches!(sent, Some(Request::Delete { bucket, what: DeleteWhat::Keys(keys), .. }) if bucket == DEMO && keys == &MARKED),
        "{sent:?}"
    );
}

#[test]
fn deleting_a_prefix_waits_for_its_name_to_be_typed_in_full() {
    let mut ui = shared();
    ui.select("archive/");
    ui.key(KeyCode::Char('x'));
    ui.type_text("shared/arch");
    let sent = ui.sent.len();
    ui.key(KeyCode::Enter);
    assert_eq!(ui.sent.len(), sent, "Enter does nothing until the whole prefix is typed");
    assert!(matches!(&ui.app.mode, Mode::ConfirmDelete(c) if c.typed == "shared/arch"));
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            "Delete EVERY object under s3://s3lease-demo/shared/archive/",
            "Type the prefix to confirm: shared/archive/",
            "> shared/arch▏",
            "type the prefix · Esc keep",
        ],
    );
    assert_not_on_screen(&terminal, &["Enter delete"]);
    insta::assert_snapshot!("delete_prefix_partly_typed", terminal.backend());
}

#[test]
fn download_prompt_for_marked_objects_offers_the_default_folder() {
    let mut ui = three_marked();
    ui.key(KeyCode::Char('D'));
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " download ",
            "download  3 marked objects from s3://s3lease-demo",
            "into      /tmp/downloads▏",
            "existing  [ ] never replace an existing file",
            "Enter start · Tab replace existing · Esc cancel",
        ],
    );
    insta::assert_snapshot!("download_prompt_marked", terminal.backend());
}

#[test]
fn upload_prompt_shows_the_typed_path_and_where_it_goes() {
    let mut ui = shared();
    ui.key(KeyCode::Char('u'));
    for _ in 0.."/tmp/downloads".len() {
        ui.key(KeyCode::Backspace);
    }
    ui.type_text("/home/auditor/reports/q3-summary.csv");
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " upload ",
            "upload  /home/auditor/reports/q3-summary.csv▏",
            "into    s3://s3lease-demo/shared/",
            "a file, or a folder (uploaded with everything in it)",
            "Enter start · Esc cancel",
        ],
    );
    assert_not_on_screen(&terminal, &["/tmp/downloads"]);
    insta::assert_snapshot!("upload_prompt", terminal.backend());
}

#[test]
fn transfers_panel_shows_a_batch_with_its_files_in_flight_and_finished_ones() {
    use s3lease::transfer::{BatchProgress, FileProgress, Progress};
    use s3lease::worker::{Failure, FailureKind, TransferSummary};
    let mut ui = three_marked();
    ui.key(KeyCode::Char('D'));
    ui.key(KeyCode::Enter);
    let batch = ui.last_request("the batch download", |r| matches!(r, Request::Download { .. }));
    // A second and a third transfer: one done with a problem, one failed.
    ui.key(KeyCode::Esc);
    ui.select("handbook.md");
    ui.key(KeyCode::Char('D'));
    ui.key(KeyCode::Enter);
    let failed = ui.last_request("the second download", |r| matches!(r, Request::Download { .. }));
    let denied = Failure {
        kind: FailureKind::AccessDenied,
        message: "AccessDenied: s3:GetObject on s3://s3lease-demo/shared/handbook.md as `auditor`".into(),
    };
    ui.send(Msg::Worker(Response::TransferDone { id: failed, result: Err(denied) }));

    let file = |key: &str, done: u64, total: u64| FileProgress {
        key: key.into(),
        progress: Progress { bytes_done: done, bytes_total: total },
        finished: false,
    };
    let progress =
        BatchProgress { files_total: 3, files_done: 1, files_failed: 0, bytes_total: 128_000, bytes_done: 64_056 };
    let files = vec![file("shared/long.txt", 62_000, 124_000), file("shared/tagged.csv", 8, 16)];
    ui.send(Msg::Worker(Response::TransferProgress { id: batch, progress, files }));
    ui.tick(now() + std::time::Duration::from_secs(2));
    assert!(matches!(ui.app.mode, s3lease::app::Mode::Transfers(_)), "the panel is open");
    ui.key(KeyCode::Up); // the batch
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " transfers ",
            "3 marked objects from s3://s3lease-demo/shared/ → /tmp/downloads",
            "62.6 KiB of 125.0 KiB · 1 of 3 file(s)",
            "shared/long.txt",
            "60.5 KiB of 121.1 KiB",
            "shared/tagged.csv",
            "s3://s3lease-demo/shared/handbook.md → /tmp/downloads",
            "AccessDenied: s3:GetObject on s3://s3lease-demo/shared/handbook.md as `auditor`",
            "↑↓ choose · c cancel · Esc close",
        ],
    );
    insta::assert_snapshot!("transfers_batch_with_files_in_flight", terminal.backend());

    let summary = TransferSummary { files: 3, bytes: 128_000, problems: Vec::new() };
    ui.send(Msg::Worker(Response::TransferDone { id: batch, result: Ok(summary) }));
    let terminal = ui.draw();
    assert_not_on_screen(&terminal, &["shared/long.txt  "]);
    assert_on_screen(&terminal, &["done"]);
}

// ---------------------------------------------------------------------------------------------
// Find (F): every key below the prefix, matches streaming in

/// In `audit-logs`, `F`, "0004" and Enter: the find's id.
fn find_0004(ui: &mut Ui) -> RequestId {
    ui.key(KeyCode::Char('F'));
    assert_on_screen(&ui.draw(), &["find under s3://audit-logs/: ▏", "Enter find · Esc cancel"]);
    ui.type_text("0004");
    ui.key(KeyCode::Enter);
    ui.last_request(
        "the find",
        |r| matches!(r, Request::Find { needle, prefix, .. } if needle == "0004" && prefix.is_empty()),
    )
}

/// Matches from deeper folders of `audit-logs`, in key order.
fn found(range: std::ops::Range<u64>) -> Vec<Object> {
    range.map(|i| object(format!("2026/{:02}/events-0004{}.json", i / 10 + 1, i % 10), i % 1000)).collect()
}

fn find_mid_search() -> (Ui, RequestId) {
    let mut ui = prefix_listing_complete();
    let id = find_0004(&mut ui);
    let batch = |matches: Vec<Object>, scanned| FoundBatch { matched: matches.len() as u64, matches, scanned };
    ui.send(Msg::Worker(Response::Found { id, batch: batch(found(0..8), 41_250) }));
    ui.send(Msg::Worker(Response::Found { id, batch: batch(found(8..12), 15_539) }));
    ui.key(KeyCode::Down);
    (ui, id)
}

#[test]
fn find_results_stream_in_while_it_searches() {
    let (ui, _) = find_mid_search();
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            " find \"0004\" under s3://audit-logs/ ",
            "2026/01/events-00041.json",
            "12 matches in 56,789 keys scanned · searching…",
            " 2 of 12 ",
            "Enter go to the object · Esc stop · F find again",
        ],
    );
    assert_not_on_screen(&terminal, &["events-00000.json", "done"]);
    insta::assert_snapshot!("find_mid_search", terminal.backend());
}

#[test]
fn find_results_when_done_and_capped() {
    let (mut ui, id) = find_mid_search();
    // Past the cap, matches are counted but not sent.
    let batch = FoundBatch { matches: found(12..100_000), matched: 123_444, scanned: 1_000_000 };
    ui.send(Msg::Worker(Response::Found { id, batch }));
    ui.send(Msg::Worker(Response::FindDone { id, result: Ok(()) }));
    ui.key(KeyCode::End);
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            "123,456 matches (the first 100,000 kept) in 1,056,789 keys scanned · done",
            " 100,000 of 100,000 ",
            "2026/10000/events-00049.json",
            "Esc back",
        ],
    );
    insta::assert_snapshot!("find_done_capped", terminal.backend());
}

#[test]
fn find_failure_shows_in_the_footer_and_the_status_line() {
    let mut ui = prefix_listing_complete();
    let id = find_0004(&mut ui);
    let failure = denied("ListObjectsV2", "s3://audit-logs/restricted/");
    ui.send(Msg::Worker(Response::FindDone { id, result: Err(failure) }));
    let terminal = ui.draw();
    assert_on_screen(
        &terminal,
        &[
            "0 matches in 0 keys scanned · failed: AccessDenied: ListObjectsV2 on s3://audit-logs/restricted/",
            "Could not search s3://audit-logs/:",
        ],
    );
    insta::assert_snapshot!("find_failed", terminal.backend());
}

// ---------------------------------------------------------------------------------------------
// Hostile keys (and server text) on every screen that shows them

const HOSTILE: &str = "hostile";

/// The top level of a bucket holding every hostile key: the prefix `/` (the keys of `/` only)
/// and the others as objects.
fn hostile_listing() -> Ui {
    let mut ui = Ui::start_at(Location::Prefix { bucket: HOSTILE.into(), prefix: String::new() }, WIDTH, HEIGHT);
    ui.session_ok();
    let mut keys = hostile::named();
    keys.sort();
    let objects = keys.into_iter().enumerate().map(|(i, k)| object(k, i as u64)).collect();
    ui.answer_objects(HOSTILE, "", false, Ok(Page { prefixes: vec!["/".into()], objects, next: None }));
    ui
}

fn assert_screen_clean(what: &str, terminal: &Terminal<TestBackend>) -> String {
    let screen = text(terminal.backend().buffer());
    hostile::assert_clean(what, &screen);
    screen
}

/// The start of each escaped name: the name column may cut the longest ones.
fn heads() -> Vec<String> {
    hostile::SHOWN.iter().map(|s| s.chars().take(40).collect()).collect()
}

#[test]
fn hostile_keys_of_every_kind_are_escaped_in_the_listing() {
    let ui = hostile_listing();
    let terminal = ui.draw();
    let screen = assert_screen_clean("the listing", &terminal);
    for head in heads() {
        assert!(screen.contains(&head), "{head:?} is on screen:\n{screen}");
    }
    // The 1,024-byte key stays on its row: cut to its column, the next columns in place.
    let row = screen.lines().find(|l| l.contains("long-xxxx")).expect("the long key's row");
    assert!(row.ends_with("STANDARD    │"), "{row:?}");
    insta::assert_snapshot!("hostile_keys_every_kind", terminal.backend());
}

#[test]
fn hostile_keys_and_server_text_are_escaped_in_details_preview_and_versions() {
    let mut ui = hostile_listing();
    ui.select(hostile::TITLE);
    ui.key(KeyCode::Char('d'));
    let id =
        ui.last_request("the details", |r| matches!(r, Request::ObjectDetails { key, .. } if key == hostile::TITLE));
    let details = s3lease::s3::object::Details {
        key: hostile::TITLE.into(),
        size: 8,
        last_modified: Some(now()),
        etag: Some("\"e\u{1b}[2J\"".into()),
        content_type: Some("text/plain\u{1b}]0;pwned\u{7}".into()),
        storage_class: Some("GLACIER\u{9b}2J".into()),
        encryption: Some("AES256\u{202e}".into()),
        version_id: Some("v\u{85}1".into()),
        metadata: [("owner\u{7}".to_string(), "\u{1b}[31mred".to_string())].into(),
        tags: Ok([("t\u{200b}".to_string(), "v\u{2066}".to_string())].into()),
    };
    ui.send(Msg::Worker(Response::Details { id, result: Ok(Box::new(details)) }));
    let screen = assert_screen_clean("the details", &ui.draw());
    for shown in ["title\\u{1b}]0;pwned\\u{7}.txt", "text/plain\\u{1b}]0;pwned\\u{7}", "GLACIER\\u{9b}2J"] {
        assert!(screen.contains(shown), "{shown:?}:\n{screen}");
    }
    ui.key(KeyCode::Esc);

    ui.key(KeyCode::Char('p'));
    let id = ui.last_request("the preview", |r| matches!(r, Request::ReadRange { key, .. } if key == hostile::TITLE));
    let chunk =
        s3lease::s3::object::Chunk { start: 0, data: b"body \x1b]0;pwned\x07 \xc2\x9b2J\n".to_vec(), total: 18 };
    ui.send(Msg::Worker(Response::Range { id, result: Ok(chunk) }));
    let screen = assert_screen_clean("the preview", &ui.draw());
    assert!(screen.contains("preview: title\\u{1b}]0;pwned"), "{screen}");
    ui.key(KeyCode::Esc);

    ui.key(KeyCode::Char('v'));
    let id = ui.last_request("the versions", |r| matches!(r, Request::ListVersions { .. }));
    let version = s3lease::transfer::Version {
        key: hostile::TITLE.into(),
        version_id: Some("\u{1b}[2Jversion".into()),
        is_delete_marker: false,
        is_latest: true,
        size: Some(u64::MAX),
        last_modified: Some(now()),
        etag: None,
        storage_class: Some("\u{7f}".into()),
    };
    ui.send(Msg::Worker(Response::Versions { id, result: Ok(vec![version]) }));
    let screen = assert_screen_clean("the versions", &ui.draw());
    assert!(screen.contains("\\u{1b}[2Jversion"), "{screen}");
}

#[test]
fn hostile_keys_are_escaped_in_delete_download_transfers_and_find() {
    use s3lease::transfer::{BatchProgress, FileProgress, Progress};
    let mut ui = hostile_listing();
    ui.key(KeyCode::Char('*'));
    ui.key(KeyCode::Char('x'));
    let screen = assert_screen_clean("the delete confirmation", &ui.draw());
    assert!(screen.contains("Delete 10 objects from s3://hostile:"), "{screen}");
    assert!(screen.contains("  c0\\u{8}"), "{screen}");
    ui.key(KeyCode::Esc);

    ui.key(KeyCode::Char('D'));
    assert_screen_clean("the download prompt", &ui.draw());
    ui.key(KeyCode::Enter);
    let batch = ui.last_request("the batch download", |r| matches!(r, Request::Download { .. }));
    let files = hostile::named()
        .into_iter()
        .take(4)
        .map(|key| FileProgress {
            key: key.into(),
            progress: Progress { bytes_done: 4, bytes_total: 8 },
            finished: false,
        })
        .collect();
    let progress = BatchProgress { files_total: 10, files_done: 0, files_failed: 0, bytes_total: 80, bytes_done: 16 };
    ui.send(Msg::Worker(Response::TransferProgress { id: batch, progress, files }));
    ui.tick(now() + Duration::from_secs(2));
    assert!(matches!(ui.app.mode, Mode::Transfers(_)), "the panel is open");
    let screen = assert_screen_clean("the transfers panel", &ui.draw());
    assert!(screen.contains("  title\\u{1b}]0;pwned"), "{screen}");
    let failure = Failure {
        kind: FailureKind::Other,
        message: format!("`{}` has no safe local file name: \u{1b}[2J", hostile::CLEAR),
    };
    ui.send(Msg::Worker(Response::TransferDone { id: batch, result: Err(failure) }));
    let screen = assert_screen_clean("a failed transfer", &ui.draw());
    assert!(screen.contains("clear\\u{1b}[2J\\u{1b}[H.txt"), "{screen}");
    ui.key(KeyCode::Esc);

    ui.key(KeyCode::Char('F'));
    ui.type_text("pwned");
    ui.key(KeyCode::Enter);
    let id = ui.last_request("the find", |r| matches!(r, Request::Find { needle, .. } if needle == "pwned"));
    let matches: Vec<Object> = hostile::all().into_iter().enumerate().map(|(i, k)| object(k, i as u64)).collect();
    let batch = FoundBatch { matched: matches.len() as u64, matches, scanned: 13 };
    ui.send(Msg::Worker(Response::Found { id, batch }));
    let screen = assert_screen_clean("the find results", &ui.draw());
    assert!(screen.contains("title\\u{1b}]0;pwned"), "{screen}");
    let failure = Failure { kind: FailureKind::Other, message: "NoSuchKey: \u{1b}]0;pwned\u{7}".into() };
    ui.send(Msg::Worker(Response::FindDone { id, result: Err(failure) }));
    assert_screen_clean("a failed find", &ui.draw());
}

#[test]
fn a_failed_listing_under_a_hostile_prefix_shows_both_escaped() {
    let prefix = format!("{}/", hostile::CLEAR);
    let mut ui = Ui::start_at(Location::Prefix { bucket: HOSTILE.into(), prefix: prefix.clone() }, WIDTH, HEIGHT);
    ui.session_ok();
    let failure = Failure {
        kind: FailureKind::Other,
        message: format!("ListObjectsV2 on s3://hostile/{prefix} failed: the answer is malformed \u{1b}]0;pwned\u{7}"),
    };
    ui.answer_objects(HOSTILE, &prefix, false, Err(failure));
    let screen = assert_screen_clean("the listing failure", &ui.draw());
    assert!(screen.contains("s3://hostile/clear\\u{1b}[2J"), "{screen}");
}
