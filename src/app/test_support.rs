//! What the app's unit tests share: an app at a fixed time, keys, and reading its effects.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::listing::Location;
use super::session::Thresholds;
use super::{App, AppConfig, Effect, Msg};
use crate::s3::Object;
use crate::worker::Request;

/// The tests' "now" at start: the clock is a value, never read.
pub const T0: u64 = 1_800_000_000;

pub fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

pub fn config(start: Location) -> AppConfig {
    AppConfig {
        identity: "auditor".into(),
        kind: "assume-role",
        keymap: crate::keymap::Keymap::defaults(),
        thresholds: Thresholds { warn: Duration::from_secs(600), critical: Duration::from_secs(120) },
        start,
        mfa_code: None,
        identities: Vec::new(),
        refresh_before: Duration::from_secs(300),
        auto_refresh: true,
        allow_short_durations: false,
        download_dir: std::path::PathBuf::from("/tmp/downloads"),
        read_only: false,
    }
}

/// An app started at `start` at [`T0`], in a 100x30 terminal, and what it asked for first.
pub fn app_at(start: Location) -> (App, Vec<Effect>) {
    let (mut app, effects) = App::new(config(start), at(T0));
    app.update(Msg::Resize { width: 100, height: 30 });
    (app, effects)
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// The requests among `effects`.
pub fn requests(effects: &[Effect]) -> Vec<&Request> {
    effects.iter().filter_map(|e| if let Effect::Send(r) = e { Some(r) } else { None }).collect()
}

/// An object of 10 bytes last modified at [`T0`].
pub fn object(key: &str) -> Object {
    Object { key: key.into(), size: 10, last_modified: Some(at(T0)), etag: None, storage_class: None }
}
