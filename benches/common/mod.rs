//! A browser holding a million objects, loaded the way the runtime loads one: the app asks for
//! a listing, and each ListObjects page (1,000 objects, as S3 sends them) answers the request
//! id the app itself sent. Pages are made one at a time, so the only large thing alive at the
//! end is the app's own listing.

// Each bench binary uses a different part of this module.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use s3lease::app::listing::{LoadState, Location};
use s3lease::app::session::Thresholds;
use s3lease::app::{App, AppConfig, Effect, Msg};
use s3lease::credentials::SessionInfo;
use s3lease::keymap::Keymap;
use s3lease::s3::{Object, Page};
use s3lease::worker::{Request, RequestId, Response};

/// A million unless `S3LEASE_BENCH_ENTRIES` says otherwise: the suite's quick mode (CI) runs
/// the benches once each over fewer entries, in a debug build, only to show they still work.
pub fn entries() -> usize {
    std::env::var("S3LEASE_BENCH_ENTRIES").ok().and_then(|n| n.parse().ok()).filter(|&n| n >= PAGE).unwrap_or(1_000_000)
}
pub const PAGE: usize = 1_000;
pub const BUCKET: &str = "lake";
pub const PREFIX: &str = "data/2024/03/";
pub const WIDTH: u16 = 200;
pub const HEIGHT: u16 = 60;

/// 2027-01-15 08:00:00 UTC.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// A stable pseudo-random stream, so every run lists the same objects.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// `data/2024/03/part-000123.parquet` with a size, a millisecond timestamp within the last
/// month, a quoted ETag (one in eight multipart) and a storage class, as the SDK hands them over.
pub fn object(i: u64) -> Object {
    let r = mix(i);
    let etag = if r.is_multiple_of(8) {
        format!("\"{:016x}{:016x}-{}\"", mix(r), mix(r ^ 1), 2 + r % 40)
    } else {
        format!("\"{:016x}{:016x}\"", mix(r), mix(r ^ 1))
    };
    let class = match r % 16 {
        0 => "STANDARD_IA",
        1 => "GLACIER_IR",
        _ => "STANDARD",
    };
    Object {
        key: format!("{PREFIX}part-{i:06}.parquet"),
        size: (r >> 8) % (512 << 20),
        last_modified: Some(now() - Duration::from_millis((r >> 16) % (30 * 86_400_000))),
        etag: Some(etag),
        storage_class: Some(class.to_string()),
    }
}

pub fn session_info() -> SessionInfo {
    SessionInfo {
        identity: "auditor".into(),
        kind: "assume-role",
        chain: "assume-role auditor <- profile bob".into(),
        arn: Some("arn:aws:sts::123456789012:assumed-role/Auditor/s3lease-auditor".into()),
        expires_at: Some(now() + Duration::from_secs(3600)),
        temporary: true,
        mfa: false,
        refresh_needs_mfa_from: None,
        region: "us-east-1".into(),
        endpoint: "http://127.0.0.1:5000".into(),
        packed_policy_size: None,
    }
}

/// The app and the requests it has sent, driven only through `App::update`.
pub struct Driver {
    pub app: App,
    sent: Vec<Request>,
}

impl Driver {
    /// A fresh app opened at `s3://lake/data/2024/03/`, sized 200x60, with a live session.
    pub fn start() -> Driver {
        let config = AppConfig {
            identity: "auditor".into(),
            kind: "assume-role",
            keymap: Keymap::defaults(),
            thresholds: Thresholds { warn: Duration::from_secs(600), critical: Duration::from_secs(120) },
            start: Location::Prefix { bucket: BUCKET.into(), prefix: PREFIX.into() },
            mfa_code: None,
            identities: Vec::new(),
            refresh_before: Duration::from_secs(300),
            auto_refresh: false,
            allow_short_durations: false,
            download_dir: std::path::PathBuf::from("/tmp/downloads"),
            read_only: false,
        };
        let (app, effects) = App::new(config, now());
        let mut driver = Driver { app, sent: Vec::new() };
        driver.record(effects);
        driver.send(Msg::Resize { width: WIDTH, height: HEIGHT });
        let session = driver.last_id(|r| matches!(r, Request::StartSession { .. }));
        driver.send(Msg::Worker(Response::Session { id: session, result: Ok(session_info()) }));
        driver
    }

    /// `start`, then `entries` objects in pages of 1,000; the listing is complete only when
    /// `complete` (otherwise the app is waiting for one more page).
    pub fn loaded(entries: usize, complete: bool) -> Driver {
        let mut driver = Driver::start();
        let pages = entries.div_ceil(PAGE);
        for page in 0..pages {
            let first = page * PAGE;
            let objects = (first..(first + PAGE).min(entries)).map(|i| object(i as u64)).collect();
            let last = page + 1 == pages && complete;
            driver.answer_page(objects, !last);
        }
        let listing = &driver.app.listing;
        assert_eq!(listing.entries.len(), entries, "every object was listed");
        assert_eq!(listing.view.len(), entries, "no filter hides any");
        assert_eq!(listing.load == LoadState::Complete, complete);
        driver
    }

    fn record(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            if let Effect::Send(request) = effect {
                self.sent.push(request);
            }
        }
        // Only the latest requests matter; keep the record from growing with every page.
        if self.sent.len() > 64 {
            self.sent.drain(..32);
        }
    }

    pub fn send(&mut self, msg: Msg) {
        let effects = self.app.update(msg);
        self.record(effects);
    }

    pub fn key(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn last_id(&self, is: impl Fn(&Request) -> bool) -> RequestId {
        match self.sent.iter().rev().find(|r| is(r)) {
            Some(request) => request.id(),
            None => panic!("the app sent no such request"),
        }
    }

    /// Answers the ListObjects the app is waiting for with `objects`.
    pub fn answer_page(&mut self, objects: Vec<Object>, more: bool) {
        let id = self.last_id(|r| matches!(r, Request::ListObjects { .. }));
        let next = more.then(|| format!("token-{}", self.app.listing.entries.len()));
        let page = Page { prefixes: Vec::new(), objects, next };
        self.send(Msg::Worker(Response::Objects { id, result: Ok(page) }));
    }
}
