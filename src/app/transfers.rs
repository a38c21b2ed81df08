//! Downloads from the browser: `D` asks where to (the user's downloads folder by default, and
//! whether existing files may be replaced), the worker streams to disk, and the transfers
//! panel (`T`) shows each one's progress, speed and time left, and cancels with `c`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::listing::{Entry, Location};
use super::object::ObjectRef;
use super::{App, Effect, Mode};
use crate::transfer::{BatchProgress, FileProgress};
use crate::worker::{DownloadWhat, Failure, Request, RequestId, TransferSummary};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadPrompt {
    pub bucket: String,
    /// The marked objects, or the one object or prefix under the cursor.
    pub what: Vec<DownloadWhat>,
    pub dir: String,
    /// Existing local files are replaced only when this is ticked.
    pub overwrite: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    Running,
    Done(TransferSummary),
    Failed(String),
    Cancelling,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub id: RequestId,
    /// What it is, e.g. `s3://demo-data/logs/ → /home/me/Downloads`.
    pub label: String,
    /// For the summary when it ends: "downloaded" or "uploaded".
    pub verb: &'static str,
    pub progress: BatchProgress,
    /// The files of a batch in flight, by key.
    pub files: Vec<FileProgress>,
    pub state: TransferState,
    pub started: SystemTime,
}

impl Transfer {
    /// Bytes per second so far, and the time left at that rate.
    pub fn rate_and_eta(&self, now: SystemTime) -> (u64, Option<Duration>) {
        let elapsed = now.duration_since(self.started).unwrap_or_default().as_secs_f64().max(0.001);
        let rate = (self.progress.bytes_done as f64 / elapsed) as u64;
        let left = self.progress.bytes_total.saturating_sub(self.progress.bytes_done);
        let eta = (rate > 0 && self.state == TransferState::Running).then(|| Duration::from_secs(left / rate));
        (rate, eta)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransfersPanel {
    pub cursor: usize,
}

/// What a download fetches, e.g. `s3://demo-data/logs/ (everything below)`.
pub fn describe(bucket: &str, what: &DownloadWhat) -> String {
    match what {
        DownloadWhat::Object { key, version_id: None } => format!("s3://{bucket}/{key}"),
        DownloadWhat::Object { key, version_id: Some(v) } => format!("s3://{bucket}/{key} (version {v})"),
        DownloadWhat::Objects { objects } => match objects.as_slice() {
            [(key, _)] => format!("s3://{bucket}/{key}"),
            many => {
                let folder = many.first().map_or("", |(key, _)| crate::transfer::folder_of(key));
                format!("{} marked objects from s3://{bucket}/{folder}", many.len())
            }
        },
        DownloadWhat::Prefix { prefix } => format!("s3://{bucket}/{prefix} (everything below)"),
    }
}

impl App {
    pub(super) fn open_download(&mut self) {
        let Location::Prefix { bucket, .. } = &self.listing.location else {
            self.notify("open a bucket first: downloads are of objects or prefixes", true);
            return;
        };
        let what = if !self.listing.marks.is_empty() {
            // One batch, so the panel shows one total and the files in flight under it.
            let size = |key: &str| {
                self.listing.entries.iter().find_map(|e| match e {
                    Entry::Object(o) if &*o.key == key => Some(o.size),
                    _ => None,
                })
            };
            let objects = self.listing.marks.iter().map(|key| (key.clone(), size(key).unwrap_or(0))).collect();
            DownloadWhat::Objects { objects }
        } else {
            match self.listing.selected() {
                Some(Entry::Object(o)) => DownloadWhat::Object { key: o.key.to_string(), version_id: None },
                Some(Entry::Prefix(p)) => DownloadWhat::Prefix { prefix: p.clone() },
                _ => return,
            }
        };
        let dir = self.download_dir.display().to_string();
        self.mode = Mode::Download(DownloadPrompt { bucket: bucket.clone(), what: vec![what], dir, overwrite: false });
    }

    /// The download prompt for one version of an object (from the versions view).
    pub(super) fn download_version(&mut self, object: ObjectRef) {
        let what = DownloadWhat::Object { key: object.key, version_id: object.version_id };
        let dir = self.download_dir.display().to_string();
        self.mode = Mode::Download(DownloadPrompt { bucket: object.bucket, what: vec![what], dir, overwrite: false });
    }

    pub(super) fn on_download_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Mode::Download(prompt) = &mut self.mode else { return Vec::new() };
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return vec![Effect::Quit],
            KeyCode::Esc => self.close_overlay(),
            KeyCode::Tab => prompt.overwrite = !prompt.overwrite,
            KeyCode::Backspace => {
                prompt.dir.pop();
            }
            KeyCode::Char(c) => prompt.dir.push(c),
            KeyCode::Enter if prompt.dir.trim().is_empty() => {}
            KeyCode::Enter => {
                let prompt = prompt.clone();
                return self.start_download(prompt);
            }
            _ => {}
        }
        Vec::new()
    }

    fn start_download(&mut self, prompt: DownloadPrompt) -> Vec<Effect> {
        let dest_dir = PathBuf::from(prompt.dir.trim());
        let mut effects = Vec::new();
        for what in prompt.what {
            let id = self.issue_id();
            self.transfers.push(Transfer {
                id,
                label: format!("{} → {}", describe(&prompt.bucket, &what), dest_dir.display()),
                verb: "downloaded",
                progress: BatchProgress::default(),
                files: Vec::new(),
                state: TransferState::Running,
                started: self.now,
            });
            effects.push(Effect::Send(Request::Download {
                id,
                identity: self.session.identity.clone(),
                bucket: prompt.bucket.clone(),
                what,
                dest_dir: dest_dir.clone(),
                overwrite: prompt.overwrite,
            }));
        }
        self.listing.marks.clear();
        self.behind = None;
        self.mode = Mode::Transfers(TransfersPanel { cursor: self.transfers.len().saturating_sub(1) });
        effects
    }

    pub(super) fn on_transfer_progress(
        &mut self,
        id: RequestId,
        progress: BatchProgress,
        files: Vec<FileProgress>,
    ) -> Vec<Effect> {
        if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
            t.progress = progress;
            t.files = files;
        }
        Vec::new()
    }

    pub(super) fn on_transfer_done(&mut self, id: RequestId, result: Result<TransferSummary, Failure>) -> Vec<Effect> {
        let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) else { return Vec::new() };
        let (text, error) = match result {
            Ok(summary) => {
                let text = format!(
                    "{} {} file(s), {}{}",
                    t.verb,
                    summary.files,
                    crate::ui::format::size(summary.bytes),
                    if summary.problems.is_empty() {
                        String::new()
                    } else {
                        format!("; {} problem(s)", summary.problems.len())
                    }
                );
                let error = !summary.problems.is_empty();
                t.state = TransferState::Done(summary);
                (text, error)
            }
            Err(failure) => {
                t.state = TransferState::Failed(failure.message.clone());
                (failure.message, true)
            }
        };
        t.files.clear();
        self.notify(text, error);
        Vec::new()
    }

    pub(super) fn open_transfers(&mut self) {
        self.mode = Mode::Transfers(TransfersPanel { cursor: self.transfers.len().saturating_sub(1) });
    }

    pub(super) fn on_transfers_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Mode::Transfers(panel) = &mut self.mode else { return Vec::new() };
        use crate::keymap::Action as A;
        match (self.keymap.action(&key), key.code) {
            (Some(A::Quit), _) if key.modifiers.contains(KeyModifiers::CONTROL) => return vec![Effect::Quit],
            (Some(A::Cancel | A::Quit | A::Transfers), _) => self.mode = Mode::Normal,
            (Some(A::Up), _) => panel.cursor = panel.cursor.saturating_sub(1),
            (Some(A::Down), _) => panel.cursor = (panel.cursor + 1).min(self.transfers.len().saturating_sub(1)),
            (_, KeyCode::Char('c')) => {
                if let Some(t) = self.transfers.get_mut(panel.cursor)
                    && t.state == TransferState::Running
                {
                    t.state = TransferState::Cancelling;
                    return vec![Effect::Send(Request::Cancel { id: t.id })];
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
