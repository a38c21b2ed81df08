//! Looking at one object: its details, a preview of its content (loaded 64 KiB at a time, on
//! demand), and the share menu (s3:// URI, https URL, presigned URL capped at the expiry).

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::listing::{Entry, Location};
use super::{App, Effect, Mode};
use crate::s3::object::{Chunk, Details};
use crate::worker::{Failure, Presigned, Request, RequestId};

/// How much a preview reads at a time: enough for a screenful of most text, never a whole
/// large object.
pub const PREVIEW_CHUNK: u64 = 64 * 1024;

/// Presigned URL lifetimes offered, shortest first.
pub const LIFETIMES: [(u64, &str); 5] =
    [(900, "15m"), (3600, "1h"), (4 * 3600, "4h"), (12 * 3600, "12h"), (7 * 86400, "7d")];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
    /// A version other than the latest, chosen in the versions view.
    pub version_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailsView {
    pub object: ObjectRef,
    pub pending: Option<RequestId>,
    pub result: Option<Result<Box<Details>, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionsView {
    pub object: ObjectRef,
    pub pending: Option<RequestId>,
    pub result: Option<Result<Vec<crate::transfer::Version>, String>>,
    pub cursor: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewView {
    pub object: ObjectRef,
    pub pending: Option<RequestId>,
    pub data: Vec<u8>,
    /// The object's size, once the first range says.
    pub total: Option<u64>,
    /// First line shown.
    pub scroll: usize,
    pub error: Option<String>,
}

impl PreviewView {
    pub fn more_to_load(&self) -> bool {
        self.total.is_some_and(|t| (self.data.len() as u64) < t)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareItem {
    S3Uri,
    HttpsUrl,
    Presigned,
}

impl ShareItem {
    pub const ALL: [ShareItem; 3] = [ShareItem::S3Uri, ShareItem::HttpsUrl, ShareItem::Presigned];
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareMenu {
    pub object: ObjectRef,
    pub cursor: usize,
    /// Index into `LIFETIMES`.
    pub lifetime: usize,
    pub pending: Option<RequestId>,
    /// What was copied last, shown too, for terminals that ignore OSC 52.
    pub copied: Option<String>,
    pub note: Option<String>,
}

/// `s3://bucket/key`
pub fn s3_uri(o: &ObjectRef) -> String {
    format!("s3://{}/{}", o.bucket, o.key)
}

/// The object's https URL: path-style on a custom endpoint, virtual-hosted on AWS.
pub fn https_url(o: &ObjectRef, endpoint: &str, region: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    let key = percent_encoding::utf8_percent_encode(&o.key, KEEP);
    if endpoint.contains(".amazonaws.com") || endpoint.is_empty() {
        format!("https://{}.s3.{region}.amazonaws.com/{key}", o.bucket)
    } else {
        format!("{}/{}/{key}", endpoint.trim_end_matches('/'), o.bucket)
    }
}

impl App {
    /// The object under the cursor, if the cursor is on one.
    fn selected_object(&self) -> Option<ObjectRef> {
        match (&self.listing.location, self.listing.selected()) {
            (Location::Prefix { bucket, .. }, Some(Entry::Object(o))) => {
                Some(ObjectRef { bucket: bucket.clone(), key: o.key.to_string(), version_id: None })
            }
            _ => None,
        }
    }

    /// A bucket's region, from any bucket list seen in this run.
    fn bucket_region(&self, bucket: &str) -> Option<String> {
        let lists = self.parents.iter().chain([&self.listing]).map(|l| &l.entries);
        lists.chain(self.cache.get(&Location::Buckets)).flatten().find_map(|e| match e {
            Entry::Bucket(b) if b.name == bucket => b.region.clone(),
            _ => None,
        })
    }

    pub(super) fn open_details(&mut self) -> Vec<Effect> {
        match self.selected_object() {
            Some(object) => self.details_of(object),
            None => Vec::new(),
        }
    }

    fn details_of(&mut self, object: ObjectRef) -> Vec<Effect> {
        let id = self.issue_id();
        let request = Request::ObjectDetails {
            id,
            identity: self.session.identity.clone(),
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            version_id: object.version_id.clone(),
        };
        self.mode = Mode::Details(DetailsView { object, pending: Some(id), result: None });
        vec![Effect::Send(request)]
    }

    fn range_request(&mut self, object: &ObjectRef, start: u64) -> (RequestId, Effect) {
        let id = self.issue_id();
        let request = Request::ReadRange {
            id,
            identity: self.session.identity.clone(),
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            version_id: object.version_id.clone(),
            start,
            len: PREVIEW_CHUNK,
        };
        (id, Effect::Send(request))
    }

    pub(super) fn open_preview(&mut self) -> Vec<Effect> {
        match self.selected_object() {
            Some(object) => self.preview_of(object),
            None => Vec::new(),
        }
    }

    fn preview_of(&mut self, object: ObjectRef) -> Vec<Effect> {
        let (id, effect) = self.range_request(&object, 0);
        self.mode = Mode::Preview(PreviewView {
            object,
            pending: Some(id),
            data: Vec::new(),
            total: None,
            scroll: 0,
            error: None,
        });
        vec![effect]
    }

    pub(super) fn open_versions(&mut self) -> Vec<Effect> {
        let Some(object) = self.selected_object() else { return Vec::new() };
        let id = self.issue_id();
        let request = Request::ListVersions {
            id,
            identity: self.session.identity.clone(),
            bucket: object.bucket.clone(),
            key: object.key.clone(),
        };
        self.mode = Mode::Versions(VersionsView { object, pending: Some(id), result: None, cursor: 0 });
        vec![Effect::Send(request)]
    }

    pub(super) fn on_versions(
        &mut self,
        id: RequestId,
        result: Result<Vec<crate::transfer::Version>, Failure>,
    ) -> Vec<Effect> {
        if let Mode::Versions(view) = &mut self.mode
            && view.pending == Some(id)
        {
            view.pending = None;
            view.result = Some(result.map_err(|f| f.message));
        }
        Vec::new()
    }

    /// Details, preview or download of the version under the versions view's cursor; closing
    /// what opens comes back to the versions view.
    fn open_version(&mut self, action: Option<crate::keymap::Action>) -> Vec<Effect> {
        use crate::keymap::Action as A;
        let Mode::Versions(view) = &self.mode else { return Vec::new() };
        let Some(Ok(versions)) = &view.result else { return Vec::new() };
        let Some(version) = versions.get(view.cursor) else { return Vec::new() };
        if version.is_delete_marker {
            self.notify("a delete marker has no content: choose a version above or below it", true);
            return Vec::new();
        }
        let object = ObjectRef {
            bucket: view.object.bucket.clone(),
            key: version.key.clone(),
            version_id: version.version_id.clone(),
        };
        self.behind = Some(Box::new(self.mode.clone()));
        match action {
            Some(A::Preview) => self.preview_of(object),
            Some(A::Download) => {
                self.download_version(object);
                Vec::new()
            }
            _ => self.details_of(object),
        }
    }

    pub(super) fn open_share(&mut self) {
        if let Some(object) = self.selected_object() {
            self.mode =
                Mode::Share(ShareMenu { object, cursor: 0, lifetime: 1, pending: None, copied: None, note: None });
        }
    }

    pub(super) fn on_details(&mut self, id: RequestId, result: Result<Box<Details>, Failure>) -> Vec<Effect> {
        if let Mode::Details(view) = &mut self.mode
            && view.pending == Some(id)
        {
            view.pending = None;
            view.result = Some(result.map_err(|f| f.message));
        }
        Vec::new()
    }

    pub(super) fn on_range(&mut self, id: RequestId, result: Result<Chunk, Failure>) -> Vec<Effect> {
        if let Mode::Preview(view) = &mut self.mode
            && view.pending == Some(id)
        {
            view.pending = None;
            match result {
                Ok(chunk) if chunk.start == view.data.len() as u64 => {
                    view.data.extend_from_slice(&chunk.data);
                    view.total = Some(chunk.total);
                }
                Ok(_) => view.error = Some("the object changed while it was being read; reopen the preview".into()),
                Err(failure) => view.error = Some(failure.message),
            }
        }
        Vec::new()
    }

    pub(super) fn on_presigned(&mut self, id: RequestId, result: Result<Presigned, Failure>) -> Vec<Effect> {
        let Mode::Share(menu) = &mut self.mode else { return Vec::new() };
        if menu.pending != Some(id) {
            return Vec::new();
        }
        menu.pending = None;
        match result {
            Ok(presigned) => {
                let valid = crate::duration::Countdown(presigned.lifetime);
                menu.note = Some(if presigned.capped {
                    format!("valid for {valid}: capped at the credentials' expiry")
                } else {
                    format!("valid for {valid}")
                });
                menu.copied = Some(presigned.url.clone());
                vec![Effect::Clipboard(presigned.url)]
            }
            Err(failure) => {
                menu.note = Some(failure.message);
                Vec::new()
            }
        }
    }

    pub(super) fn on_object_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return vec![Effect::Quit];
        }
        let rows = usize::from(self.height.saturating_sub(6)).max(1);
        let action = self.keymap.action(&key);
        use crate::keymap::Action as A;
        match &mut self.mode {
            Mode::Versions(view) => {
                let count = view.result.as_ref().and_then(|r| r.as_ref().ok()).map_or(0, Vec::len);
                match action {
                    Some(A::Cancel | A::Quit | A::Back | A::Versions) => self.mode = Mode::Normal,
                    Some(A::Up) => view.cursor = view.cursor.saturating_sub(1),
                    Some(A::Down) => view.cursor = (view.cursor + 1).min(count.saturating_sub(1)),
                    Some(A::Preview | A::Details | A::Download) => return self.open_version(action),
                    _ if key.code == KeyCode::Enter => return self.open_version(Some(A::Details)),
                    _ => {}
                }
                Vec::new()
            }
            Mode::Details(_) => {
                if matches!(action, Some(A::Cancel | A::Quit | A::Back | A::Details)) || key.code == KeyCode::Enter {
                    self.close_overlay();
                }
                Vec::new()
            }
            Mode::Preview(view) => {
                match action {
                    Some(A::Cancel | A::Quit | A::Back | A::Preview) => {
                        self.close_overlay();
                        return Vec::new();
                    }
                    Some(A::Down) => view.scroll += 1,
                    Some(A::Up) => view.scroll = view.scroll.saturating_sub(1),
                    Some(A::PageDown) => view.scroll += rows,
                    Some(A::PageUp) => view.scroll = view.scroll.saturating_sub(rows),
                    Some(A::Top) => view.scroll = 0,
                    Some(A::Bottom) => view.scroll = usize::MAX / 2,
                    _ => {}
                }
                // Scrolled to the end of what is loaded: read the next chunk.
                let lines = crate::ui::preview::line_count(&view.data, view.more_to_load());
                view.scroll = view.scroll.min(lines.saturating_sub(1));
                if view.scroll + rows >= lines && view.more_to_load() && view.pending.is_none() && view.error.is_none()
                {
                    let (object, start) = (view.object.clone(), view.data.len() as u64);
                    let (id, effect) = self.range_request(&object, start);
                    if let Mode::Preview(view) = &mut self.mode {
                        view.pending = Some(id);
                    }
                    return vec![effect];
                }
                Vec::new()
            }
            Mode::Share(menu) => {
                match (action, key.code) {
                    (Some(A::Cancel | A::Quit | A::Share), _) => self.mode = Mode::Normal,
                    (Some(A::Up), _) => menu.cursor = menu.cursor.saturating_sub(1),
                    (Some(A::Down), _) => menu.cursor = (menu.cursor + 1).min(ShareItem::ALL.len() - 1),
                    (_, KeyCode::Left) if ShareItem::ALL[menu.cursor] == ShareItem::Presigned => {
                        menu.lifetime = menu.lifetime.saturating_sub(1)
                    }
                    (_, KeyCode::Right) if ShareItem::ALL[menu.cursor] == ShareItem::Presigned => {
                        menu.lifetime = (menu.lifetime + 1).min(LIFETIMES.len() - 1)
                    }
                    (_, KeyCode::Enter) => return self.share_selected(),
                    _ => {}
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn share_selected(&mut self) -> Vec<Effect> {
        let (endpoint, region) = match &self.session.info {
            Some(info) => (info.endpoint.clone(), info.region.clone()),
            None => (String::new(), "us-east-1".to_string()),
        };
        let bucket = match &self.mode {
            Mode::Share(menu) => menu.object.bucket.clone(),
            _ => return Vec::new(),
        };
        let bucket_region = self.bucket_region(&bucket);
        let identity = self.session.identity.clone();
        let id = self.issue_id();
        let Mode::Share(menu) = &mut self.mode else { return Vec::new() };
        let text = match ShareItem::ALL[menu.cursor] {
            ShareItem::S3Uri => s3_uri(&menu.object),
            ShareItem::HttpsUrl => https_url(&menu.object, &endpoint, bucket_region.as_deref().unwrap_or(&region)),
            ShareItem::Presigned => {
                menu.pending = Some(id);
                menu.note = Some("signing…".into());
                return vec![Effect::Send(Request::Presign {
                    id,
                    identity,
                    bucket: menu.object.bucket.clone(),
                    key: menu.object.key.clone(),
                    lifetime: Duration::from_secs(LIFETIMES[menu.lifetime].0),
                })];
            }
        };
        menu.copied = Some(text.clone());
        menu.note = None;
        vec![Effect::Clipboard(text)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_escape_keys_and_follow_the_endpoint_style() {
        let o = ObjectRef { bucket: "demo-data".into(), key: "odd/with space+é.txt".into(), version_id: None };
        assert_eq!(s3_uri(&o), "s3://demo-data/odd/with space+é.txt");
        assert_eq!(
            https_url(&o, "https://s3.eu-west-1.amazonaws.com", "eu-west-1"),
            "https://demo-data.s3.eu-west-1.amazonaws.com/odd/with%20space%2B%C3%A9.txt"
        );
        assert_eq!(
            https_url(&o, "http://127.0.0.1:9000/", "us-east-1"),
            "http://127.0.0.1:9000/demo-data/odd/with%20space%2B%C3%A9.txt"
        );
    }
}
