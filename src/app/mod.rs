//! The application state and its one way of changing: `update(Msg) -> Vec<Effect>`. No I/O,
//! no clock, no terminal: time arrives as `Msg::Tick(now)`, network answers as
//! `Msg::Worker(response)`, and everything the app wants done leaves as an `Effect`.

pub mod adhoc;
pub mod changes;
pub mod find;
pub mod help;
pub mod listing;
pub mod mfa;
pub mod object;
pub mod picker;
pub mod session;
pub mod transfers;

mod browse;
mod entry;
mod etag;
mod filter;
mod keys;
mod order;
mod sessions;
mod storage_class;

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use crossterm::event::KeyEvent;

use self::listing::{Entry, Listing, Location, Sort};
use self::session::{SessionPane, Thresholds};
use crate::credentials::SessionInfo;
use crate::keymap::Keymap;
use crate::worker::{Request, RequestId, Response};

#[derive(Debug)]
pub enum Msg {
    Tick(SystemTime),
    Key(KeyEvent),
    Resize { width: u16, height: u16 },
    Worker(Response),
}

#[derive(Debug)]
pub enum Effect {
    Send(Request),
    /// Put text on the clipboard (OSC 52, which also works over SSH).
    Clipboard(String),
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Browser,
    Session,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing into the filter.
    Filter,
    /// Every key binding, scrolled when they do not all fit.
    Help(help::HelpState),
    /// Choosing an identity to switch to.
    Picker(picker::Picker),
    /// Asking for an MFA code.
    Mfa(mfa::MfaPrompt),
    /// Filling in an identity made on the spot.
    AdHoc(adhoc::AdHocForm),
    Details(object::DetailsView),
    Preview(object::PreviewView),
    Share(object::ShareMenu),
    Versions(object::VersionsView),
    /// Asking where to download to.
    Download(transfers::DownloadPrompt),
    Transfers(transfers::TransfersPanel),
    ConfirmDelete(changes::DeleteConfirm),
    Upload(changes::UploadPrompt),
    /// Typing what `F` looks for.
    FindPrompt(find::FindPrompt),
    /// A find's results, in place of the browser.
    Find(find::FindView),
}

/// An identity as the picker offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityChoice {
    pub name: String,
    pub kind: &'static str,
    /// Where its credentials come from, e.g. `assume-role auditor <- profile bob`.
    pub chain: String,
    pub mfa: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// What the app starts with.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub identity: String,
    pub kind: &'static str,
    pub keymap: Keymap,
    pub thresholds: Thresholds,
    pub start: Location,
    /// A code given on the command line for the first start of the identity.
    pub mfa_code: Option<crate::secret::Secret>,
    /// Every identity that can be switched to, in catalog order.
    pub identities: Vec<IdentityChoice>,
    pub refresh_before: Duration,
    pub auto_refresh: bool,
    /// Durations under STS's minimum are fine (a local test server).
    pub allow_short_durations: bool,
    /// Where downloads go unless the user says otherwise.
    pub download_dir: std::path::PathBuf,
    /// Uploads and deletes are refused.
    pub read_only: bool,
}

impl AppConfig {
    /// The app's start for `identity` (a name in `catalog`) at `start`, with the catalog's
    /// thresholds and every identity it offers.
    pub fn for_catalog(
        catalog: &crate::config::Catalog,
        identity: &str,
        start: Location,
        keymap: Keymap,
        mfa_code: Option<impl Into<crate::secret::Secret>>,
    ) -> AppConfig {
        let settings = &catalog.settings;
        AppConfig {
            identity: identity.to_string(),
            kind: catalog.get(identity).map_or("profile", |i| i.spec.kind()),
            keymap,
            thresholds: Thresholds { warn: settings.warn_before, critical: settings.critical_before },
            start,
            mfa_code: mfa_code.map(Into::into),
            identities: catalog
                .identities()
                .iter()
                .map(|i| IdentityChoice {
                    name: i.name.clone(),
                    kind: i.spec.kind(),
                    chain: catalog.describe_chain(&i.name),
                    // MFA anywhere in the chain: starting it may ask for a code.
                    mfa: catalog.chain(&i.name).is_ok_and(|c| c.iter().any(|l| l.spec.mfa_serial().is_some())),
                })
                .collect(),
            refresh_before: settings.refresh_before,
            auto_refresh: settings.auto_refresh,
            allow_short_durations: settings.allow_short_durations,
            // The user's downloads folder where there is one, else where s3lease was started.
            download_dir: directories::UserDirs::new()
                .and_then(|d| d.download_dir().map(std::path::Path::to_path_buf))
                .or_else(|| std::env::current_dir().ok())
                .unwrap_or_default(),
            read_only: settings.read_only,
        }
    }
}

/// What a pending session request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRequest {
    Start,
    Refresh,
}

#[derive(Debug, Clone)]
pub struct App {
    pub now: SystemTime,
    pub keymap: Keymap,
    pub thresholds: Thresholds,
    pub session: SessionPane,
    pub listing: Listing,
    /// Listings above the current one, with their cursor and scroll, for going back.
    pub parents: Vec<Listing>,
    /// Entries of listings seen in this run, shown at once when re-entered.
    pub cache: HashMap<Location, Vec<Entry>>,
    pub sort: Sort,
    pub focus: Focus,
    pub mode: Mode,
    pub notice: Option<Notice>,
    pub width: u16,
    pub height: u16,
    pub identities: Vec<IdentityChoice>,
    /// Sessions started in this run, by identity: switching back to one is instant.
    pub sessions: HashMap<String, SessionInfo>,
    /// Session requests in flight: which identity, and whether a start or a refresh.
    pub pending_sessions: HashMap<RequestId, (String, SessionRequest)>,
    pub refresh_before: Duration,
    pub auto_refresh: bool,
    pub allow_short_durations: bool,
    pub download_dir: std::path::PathBuf,
    pub transfers: Vec<transfers::Transfer>,
    pub read_only: bool,
    /// The delete being waited for.
    pub pending_delete: Option<RequestId>,
    /// Going up after an AccessDenied until a level this identity may list.
    pub climbing: bool,
    /// The overlay to go back to when the one on top closes (the versions view under a
    /// version's preview, details or download prompt).
    pub behind: Option<Box<Mode>>,
    next_id: u64,
}

impl App {
    /// The app and its first requests: start the session and list the start location, both
    /// at once, so the first frame is drawn before either answers.
    pub fn new(config: AppConfig, now: SystemTime) -> (App, Vec<Effect>) {
        let mut app = App {
            now,
            keymap: config.keymap,
            thresholds: config.thresholds,
            session: SessionPane::new(config.identity, config.kind),
            listing: Listing::new(Location::Buckets, listing::LoadState::Complete, Sort::default()),
            parents: Vec::new(),
            cache: HashMap::new(),
            sort: Sort::default(),
            focus: Focus::Browser,
            mode: Mode::Normal,
            notice: None,
            width: 80,
            height: 24,
            identities: config.identities,
            sessions: HashMap::new(),
            pending_sessions: HashMap::new(),
            refresh_before: config.refresh_before,
            auto_refresh: config.auto_refresh,
            allow_short_durations: config.allow_short_durations,
            download_dir: config.download_dir,
            transfers: Vec::new(),
            read_only: config.read_only,
            pending_delete: None,
            climbing: false,
            behind: None,
            next_id: 0,
        };
        let identity = app.session.identity.clone();
        let mut effects =
            vec![app.session_request(&identity, SessionRequest::Start, config.mfa_code.map(|c| c.into_zeroizing()))];
        effects.extend(app.enter(config.start, None));
        (app, effects)
    }

    fn issue_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Tick(now) => {
                self.now = now;
                self.auto_refresh()
            }
            Msg::Key(key) => self.on_key(key),
            Msg::Resize { width, height } => {
                self.width = width;
                self.height = height;
                let rows = self.list_rows();
                self.listing.scroll_into_view(rows);
                match &mut self.mode {
                    Mode::Help(help) => help.clamp(height),
                    Mode::Find(view) => view.scroll_into_view(rows),
                    _ => {}
                }
                Vec::new()
            }
            Msg::Worker(response) => self.on_response(response),
        }
    }

    /// Rows of entries the browser shows at the current size and focus.
    pub fn list_rows(&self) -> usize {
        crate::ui::layout::list_rows(self.width, self.height, self.focus)
    }

    /// Closes the overlay on top: back to the one it was opened from, if any.
    fn close_overlay(&mut self) {
        self.mode = self.behind.take().map_or(Mode::Normal, |mode| *mode);
    }

    fn notify(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice { text: text.into(), error });
    }

    fn on_response(&mut self, response: Response) -> Vec<Effect> {
        match response {
            Response::Session { id, result } => self.on_session(id, result),
            Response::SessionUpdate { info } => self.on_session_update(info),
            Response::Buckets { id, result } => {
                self.on_page(id, result.map(|buckets| (buckets.into_iter().map(Entry::from).collect(), None)))
            }
            Response::Objects { id, result } => self.on_page(id, result.map(entries_of)),
            Response::Details { id, result } => self.on_details(id, result),
            Response::Range { id, result } => self.on_range(id, result),
            Response::Presigned { id, result } => self.on_presigned(id, result),
            Response::TransferProgress { id, progress, files } => self.on_transfer_progress(id, progress, files),
            Response::TransferDone { id, result } => self.on_transfer_done(id, result),
            Response::Deleted { id, result } => self.on_deleted(id, result),
            Response::Versions { id, result } => self.on_versions(id, result),
            Response::Found { id, batch } => self.on_found(id, batch),
            Response::FindDone { id, result } => self.on_find_done(id, result),
            Response::IdentityAdded { result, .. } => {
                match result {
                    Ok(Some(path)) => {
                        // Keep "switched to …" from the same keystroke in view.
                        let before = self.notice.take().filter(|n| !n.error).map(|n| format!("{}; ", n.text));
                        self.notify(format!("{}saved to {}", before.unwrap_or_default(), path.display()), false);
                    }
                    Ok(None) => {}
                    Err(failure) => self.notify(failure.message, true),
                }
                Vec::new()
            }
        }
    }
}

/// A page as listing entries (common prefixes, then objects) and where the next one starts.
fn entries_of(page: crate::s3::Page) -> (Vec<Entry>, Option<String>) {
    let mut entries = Vec::with_capacity(page.prefixes.len() + page.objects.len());
    entries.extend(page.prefixes.into_iter().map(Entry::Prefix));
    entries.extend(page.objects.into_iter().map(Entry::from));
    (entries, page.next)
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
