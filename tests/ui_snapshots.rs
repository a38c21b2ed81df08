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
use s3lease::app::listing::{LoadState, Location};
use s3lease::app::session::{State, Status, Thresholds};
use s3lease::app::{App, AppConfig, Effect, Focus, Mode, Msg};
use s3lease::credentials::SessionInfo;
use s3lease::keymap::Keymap;
use s3lease::s3::{Bucket, Object, Page};
use s3lease::worker::{Failure, FailureKind, Request, RequestId, Response};

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

/// The app and every request it has sent so far.
struct Ui {
    app: App,
    sent: Vec<Request>,
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
        let mut ui = Ui { app, sent: Vec::new() };
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
                Effect::Clipboard(text) => panic!("nothing here copies, yet {text:?} was copied"),
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
        self.key(KeyCode::Char('g'));
        let base = self.app.listing.base().to_string();
        for _ in 0..self.app.listing.view.len() {
            if self.app.listing.selected().map(|e| e.name(&base)) == Some(name) {
                self.key(KeyCode::Enter);
                return;
            }
            self.key(KeyCode::Down);
        }
        panic!("no entry {name:?} in the listing");
    }

    fn draw(&self) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(self.app.width, self.app.height)).unwrap();
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
    assert_eq!(ui.app.mode, Mode::Help);
    let terminal = ui.draw();
    assert_on_screen(&terminal, &[" keys ", "? or Esc closes", "Switch focus between panes", "q/Ctrl-c"]);
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
