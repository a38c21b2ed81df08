//! Changing what is in S3 from the browser: marking objects (`space`, `*`), deleting (`x`, with
//! a confirmation that lists what goes; a whole prefix only after typing its name) and
//! uploading (`u`) into the current prefix. All of it refused in read-only mode.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::listing::{Entry, Location};
use super::transfers::{Transfer, TransferState, TransfersPanel};
use super::{App, Effect, Mode};
use crate::transfer::BatchProgress;
use crate::worker::{DeleteSummary, DeleteWhat, Failure, Request, RequestId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteConfirm {
    pub bucket: String,
    pub what: DeleteWhat,
    /// For a whole prefix: what the user has typed so far, which must equal the prefix.
    pub typed: String,
}

impl DeleteConfirm {
    pub fn confirmed(&self) -> bool {
        match &self.what {
            DeleteWhat::Keys(_) => true,
            DeleteWhat::Prefix(prefix) => self.typed == *prefix,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPrompt {
    pub bucket: String,
    pub prefix: String,
    pub path: String,
}

impl App {
    fn refuse_if_read_only(&mut self, what: &str) -> bool {
        if self.read_only {
            self.notify(
                format!("read-only: {what} is turned off (started with --read-only or read_only = true)"),
                true,
            );
        }
        self.read_only
    }

    /// `space`: marks or unmarks the object under the cursor, then moves down.
    pub(super) fn toggle_mark(&mut self) {
        if let Some(Entry::Object(o)) = self.listing.selected() {
            let key = o.key.to_string();
            if !self.listing.marks.remove(&key) {
                self.listing.marks.insert(key);
            }
            self.listing.move_by(1);
            self.listing.scroll_into_view(self.list_rows());
        }
    }

    /// `*`: marks every loaded object, or clears the marks if they all are.
    pub(super) fn mark_all(&mut self) {
        let objects: Vec<String> = self
            .listing
            .entries
            .iter()
            .filter_map(|e| if let Entry::Object(o) = e { Some(o.key.to_string()) } else { None })
            .collect();
        if !objects.is_empty() && objects.iter().all(|k| self.listing.marks.contains(k)) {
            self.listing.marks.clear();
        } else {
            self.listing.marks.extend(objects);
        }
    }

    pub(super) fn open_delete(&mut self) {
        if self.refuse_if_read_only("deleting") {
            return;
        }
        let Location::Prefix { bucket, .. } = &self.listing.location else { return };
        let bucket = bucket.clone();
        let what = if !self.listing.marks.is_empty() {
            DeleteWhat::Keys(self.listing.marks.iter().cloned().collect())
        } else {
            match self.listing.selected() {
                Some(Entry::Object(o)) => DeleteWhat::Keys(vec![o.key.to_string()]),
                Some(Entry::Prefix(p)) => DeleteWhat::Prefix(p.clone()),
                _ => return,
            }
        };
        self.mode = Mode::ConfirmDelete(DeleteConfirm { bucket, what, typed: String::new() });
    }

    pub(super) fn on_confirm_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Mode::ConfirmDelete(confirm) = &mut self.mode else { return Vec::new() };
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return vec![Effect::Quit],
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Backspace => {
                confirm.typed.pop();
            }
            KeyCode::Enter if confirm.confirmed() => {
                let confirm = confirm.clone();
                self.mode = Mode::Normal;
                let id = self.issue_id();
                self.pending_delete = Some(id);
                self.notify("deleting…", false);
                return vec![Effect::Send(Request::Delete {
                    id,
                    identity: self.session.identity.clone(),
                    bucket: confirm.bucket,
                    what: confirm.what,
                })];
            }
            KeyCode::Char(c) if matches!(confirm.what, DeleteWhat::Prefix(_)) => confirm.typed.push(c),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn on_deleted(&mut self, id: RequestId, result: Result<DeleteSummary, Failure>) -> Vec<Effect> {
        if self.pending_delete != Some(id) {
            return Vec::new();
        }
        self.pending_delete = None;
        self.listing.marks.clear();
        match result {
            Ok(summary) if summary.failed.is_empty() => {
                self.notify(format!("deleted {} object(s)", summary.deleted), false)
            }
            Ok(summary) => self.notify(
                format!(
                    "deleted {} object(s); {} not: {}",
                    summary.deleted,
                    summary.failed.len(),
                    summary.failed.join("; ")
                ),
                true,
            ),
            Err(failure) => self.notify(failure.message, true),
        }
        // What is listed no longer matches S3: list it again.
        let notice = self.notice.clone();
        let effects = self.reload();
        self.notice = notice;
        effects
    }

    pub(super) fn open_upload(&mut self) {
        if self.refuse_if_read_only("uploading") {
            return;
        }
        let Location::Prefix { bucket, prefix } = &self.listing.location else {
            self.notify("open a bucket first: uploads go into the bucket and prefix on screen", true);
            return;
        };
        let (bucket, prefix) = (bucket.clone(), prefix.clone());
        self.mode = Mode::Upload(UploadPrompt { bucket, prefix, path: self.download_dir.display().to_string() });
    }

    pub(super) fn on_upload_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Mode::Upload(prompt) = &mut self.mode else { return Vec::new() };
        match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return vec![Effect::Quit],
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Backspace => {
                prompt.path.pop();
            }
            KeyCode::Char(c) => prompt.path.push(c),
            KeyCode::Enter if !prompt.path.trim().is_empty() => {
                let prompt = prompt.clone();
                let id = self.issue_id();
                let source = PathBuf::from(prompt.path.trim());
                self.transfers.push(Transfer {
                    id,
                    label: format!("{} → s3://{}/{}", source.display(), prompt.bucket, prompt.prefix),
                    verb: "uploaded",
                    progress: BatchProgress::default(),
                    files: Vec::new(),
                    state: TransferState::Running,
                    started: self.now,
                });
                self.mode = Mode::Transfers(TransfersPanel { cursor: self.transfers.len() - 1 });
                return vec![Effect::Send(Request::Upload {
                    id,
                    identity: self.session.identity.clone(),
                    bucket: prompt.bucket,
                    prefix: prompt.prefix,
                    source,
                })];
            }
            _ => {}
        }
        Vec::new()
    }
}
