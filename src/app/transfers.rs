//! Downloads from the browser: `D` asks where to (the user's downloads folder by default, and
//! whether existing files may be replaced), the worker streams to disk, and the transfers
//! panel (`T`) shows each one's progress, speed and time left, and cancels with `c`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::listing::{Entry, Location};
use super::{App, Effect, Mode};
use crate::transfer::BatchProgress;
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
    pub progress: BatchProgress,
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

impl App {
    pub(super) fn open_download(&mut self) {
        let Location::Prefix { bucket, .. } = &self.listing.location else {
            self.notify("open a bucket first: downloads are of objects or prefixes", true);
            return;
        };
        let what: Vec<DownloadWhat> = if !self.listing.marks.is_empty() {
            self.listing.marks.iter().map(|key| DownloadWhat::Object { key: key.clone() }).collect()
        } else {
            match self.listing.selected() {
                Some(Entry::Object(o)) => vec![DownloadWhat::Object { key: o.key.clone() }],
                Some(Entry::Prefix(p)) => vec![DownloadWhat::Prefix { prefix: p.clone() }],
                _ => return,
            }
        };
        let dir = self.download_dir.display().to_string();
        self.mode = Mode::Download(DownloadPrompt { bucket: bucket.clone(), what, dir, overwrite: false });
    }

    pub(super) fn on_download_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Mode::Download(prompt) = &mut self.mode else { return Vec::new() };
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return vec![Effect::Quit],
            KeyCode::Esc => self.mode = Mode::Normal,
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
            let source = match &what {
                DownloadWhat::Object { key } => format!("s3://{}/{key}", prompt.bucket),
                DownloadWhat::Prefix { prefix } => format!("s3://{}/{prefix} (everything below)", prompt.bucket),
            };
            self.transfers.push(Transfer {
                id,
                label: format!("{source} → {}", dest_dir.display()),
                progress: BatchProgress::default(),
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
        self.mode = Mode::Transfers(TransfersPanel { cursor: self.transfers.len().saturating_sub(1) });
        effects
    }

    pub(super) fn on_transfer_progress(&mut self, id: RequestId, progress: BatchProgress) -> Vec<Effect> {
        if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
            t.progress = progress;
        }
        Vec::new()
    }

    pub(super) fn on_transfer_done(&mut self, id: RequestId, result: Result<TransferSummary, Failure>) -> Vec<Effect> {
        let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) else { return Vec::new() };
        let (text, error) = match result {
            Ok(summary) => {
                let text = format!(
                    "downloaded {} file(s), {}{}",
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
