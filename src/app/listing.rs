//! One listing on screen: its entries in arrival order, the filtered and sorted view over them,
//! the cursor and scroll position, and how far loading has got.

use std::cmp::Ordering;

pub use super::entry::{Entry, ObjectEntry};
use super::filter;
use super::order::{self, Order};
use crate::s3::token_guard::TokenGuard;
use crate::worker::RequestId;

/// Where the browser is: the bucket list, or one level of a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    Buckets,
    Prefix { bucket: String, prefix: String },
}

impl Location {
    pub fn breadcrumb(&self) -> String {
        match self {
            Location::Buckets => "s3://".to_string(),
            Location::Prefix { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// One level up, and the name of the entry to put the cursor on there.
    pub fn parent(&self) -> Option<(Location, String)> {
        match self {
            Location::Buckets => None,
            Location::Prefix { bucket, prefix } if prefix.is_empty() => Some((Location::Buckets, bucket.clone())),
            Location::Prefix { bucket, prefix } => {
                let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
                let cut = trimmed.rfind('/').map_or(0, |i| i + 1);
                Some((
                    Location::Prefix { bucket: bucket.clone(), prefix: prefix[..cut].to_string() },
                    prefix[cut..].to_string(),
                ))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Size,
    Modified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort { key: SortKey::Name, descending: false }
    }
}

impl Sort {
    /// name ↑, name ↓, size ↑, size ↓, modified ↑, modified ↓, and round again.
    pub fn next(self) -> Sort {
        match (self.key, self.descending) {
            (key, false) => Sort { key, descending: true },
            (SortKey::Name, true) => Sort { key: SortKey::Size, descending: false },
            (SortKey::Size, true) => Sort { key: SortKey::Modified, descending: false },
            (SortKey::Modified, true) => Sort { key: SortKey::Name, descending: false },
        }
    }

    pub fn label(self) -> String {
        let key = match self.key {
            SortKey::Name => "name",
            SortKey::Size => "size",
            SortKey::Modified => "modified",
        };
        format!("{key} {}", if self.descending { "↓" } else { "↑" })
    }

    /// Containers (buckets, prefixes) stay grouped before objects; among themselves they
    /// sort by name, since they have no size or date of their own.
    pub(super) fn compare(self, a: &Entry, b: &Entry) -> Ordering {
        let group = b.is_container().cmp(&a.is_container());
        if group != Ordering::Equal {
            return group;
        }
        let by_key = match self.key {
            SortKey::Size if !a.is_container() => a.size().cmp(&b.size()),
            SortKey::Modified => a.modified().cmp(&b.modified()),
            _ => Ordering::Equal,
        };
        let ordering = by_key.then_with(|| a.key().cmp(b.key()));
        if self.descending { ordering.reverse() } else { ordering }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    /// Waiting for the page answering `id`.
    Loading {
        id: RequestId,
    },
    Complete,
    /// The user stopped it (Esc); what arrived stays.
    Stopped,
    /// Left for a child listing before it finished; resumes from `next` on return.
    Paused,
    /// Stopped for want of credentials (an MFA code is being asked for); resumes from `next`
    /// once the session is back, so no page is lost or listed twice.
    AwaitingSession,
    Failed(String),
}

/// A listing again from its first page, in the background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    /// The page it waits for.
    pub id: RequestId,
    pub entries: Vec<Entry>,
    /// Its own tokens: a fresh listing may hand out the ones the old one did.
    pub tokens: TokenGuard,
}

impl Refresh {
    pub fn new(id: RequestId) -> Self {
        Refresh { id, entries: Vec::new(), tokens: TokenGuard::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub location: Location,
    pub entries: Vec<Entry>,
    /// Indices into `entries` that pass the filter, in sort order.
    pub view: Vec<usize>,
    /// Position in `view`.
    pub cursor: usize,
    /// First row shown.
    pub offset: usize,
    pub load: LoadState,
    /// The continuation token of the next page to ask for (for resuming a paused listing).
    pub next: Option<String>,
    /// Every token this listing has followed, paused and resumed included: a page pointing
    /// back at any of them ends it rather than going round the cycle.
    pub tokens: TokenGuard,
    /// A reload in the background: the old entries stay on screen until it completes.
    pub refresh: Option<Refresh>,
    /// Lower-cased filter text; empty means no filter.
    pub filter: String,
    pub sort: Sort,
    /// Put the cursor on this name once it arrives (coming back up from a child).
    pub select_on_load: Option<String>,
    /// The last failure was AccessDenied: Enter climbs to a level the identity may list.
    pub denied: bool,
    /// `G` was pressed while pages were still coming: stay on the last entry as they arrive.
    pub follow_end: bool,
    /// Keys of the marked objects (kept by key, so sorting and filtering do not lose them).
    pub marks: std::collections::BTreeSet<String>,
    /// `entries` are in strictly ascending key order with no buckets, as S3 lists them, so an
    /// index is a rank by key and sorting need not compare keys (see `order`).
    in_key_order: bool,
}

impl Listing {
    pub fn new(location: Location, load: LoadState, sort: Sort) -> Self {
        Listing {
            location,
            entries: Vec::new(),
            view: Vec::new(),
            cursor: 0,
            offset: 0,
            load,
            next: None,
            tokens: TokenGuard::new(),
            refresh: None,
            filter: String::new(),
            sort,
            select_on_load: None,
            denied: false,
            follow_end: false,
            marks: Default::default(),
            in_key_order: true,
        }
    }

    /// The location's prefix, which entry names are shown relative to.
    pub fn base(&self) -> &str {
        match &self.location {
            Location::Buckets => "",
            Location::Prefix { prefix, .. } => prefix,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self.load, LoadState::Loading { .. })
    }

    pub fn selected(&self) -> Option<&Entry> {
        self.view.get(self.cursor).map(|&i| &self.entries[i])
    }

    fn order(&self) -> Order<'_> {
        Order::new(&self.entries, self.sort, self.in_key_order)
    }

    fn matches(&self, entry: &Entry) -> bool {
        filter::contains_folded(entry.name(self.base()), &self.filter)
    }

    /// The indices in `range` whose names pass the filter, in index order.
    fn matching(&self, range: std::ops::Range<usize>) -> Vec<usize> {
        range.filter(|&i| self.matches(&self.entries[i])).collect()
    }

    /// Adds a page. Entries that pass the filter join the view in sort order, the cursor
    /// staying on its entry. S3's pages in name order only append, so a page costs the same
    /// at the millionth entry as at the first.
    pub fn append(&mut self, page: Vec<Entry>) {
        let start = self.entries.len();
        self.in_key_order = self.in_key_order && order::extends_key_order(self.entries.last(), &page);
        self.entries.extend(page);
        let fresh = self.matching(start..self.entries.len());
        // Only this page can hold the name waited for: the earlier ones were looked through.
        let wanted = self
            .select_on_load
            .as_deref()
            .and_then(|name| fresh.iter().copied().find(|&i| self.entries[i].name(self.base()) == name));
        // A fresh listing starts at the top whatever order the pages come in.
        let mut cursor = if self.view.is_empty() { 0 } else { self.cursor };
        let mut view = std::mem::take(&mut self.view);
        self.order().merge(&mut view, fresh, &mut cursor);
        self.view = view;
        self.cursor = cursor;
        if self.follow_end {
            self.cursor = self.view.len().saturating_sub(1);
        }
        if let Some(wanted) = wanted
            && let Some(pos) = self.view.iter().position(|&i| i == wanted)
        {
            self.cursor = pos;
            self.select_on_load = None;
        }
    }

    /// Replaces all entries (a completed reload), keeping the cursor on the same name.
    pub fn replace(&mut self, entries: Vec<Entry>) {
        let current = self.selected().map(|e| e.key().to_string());
        self.in_key_order = order::extends_key_order(None, &entries);
        self.entries = entries;
        self.rebuild_view();
        if let Some(key) = current
            && let Some(pos) = self.view.iter().position(|&i| self.entries[i].key() == key)
        {
            self.cursor = pos;
        }
        self.clamp_cursor();
    }

    fn sort_view(&mut self) {
        let mut view = std::mem::take(&mut self.view);
        self.order().sort(&mut view);
        self.view = view;
    }

    /// Sorts the view, keeping the cursor on the entry it was on.
    fn resort(&mut self) {
        let keep = self.view.get(self.cursor).copied();
        self.sort_view();
        if let Some(keep) = keep {
            self.cursor = self.view.iter().position(|&i| i == keep).unwrap_or(0);
        }
    }

    fn rebuild_view(&mut self) {
        self.view = self.matching(0..self.entries.len());
        self.resort();
    }

    pub fn set_filter(&mut self, text: &str) {
        let keep = self.view.get(self.cursor).copied();
        let filter = text.to_lowercase();
        // A name holding the new text holds the old one too: only the entries still in view
        // need testing again, and they stay in order.
        let narrower = filter.contains(self.filter.as_str());
        self.filter = filter;
        if narrower {
            let mut view = std::mem::take(&mut self.view);
            view.retain(|&i| self.matches(&self.entries[i]));
            self.view = view;
        } else {
            self.rebuild_view();
        }
        self.cursor = keep.and_then(|k| self.view.iter().position(|&i| i == k)).unwrap_or(0);
        self.offset = 0;
    }

    pub fn set_sort(&mut self, sort: Sort) {
        self.sort = sort;
        self.resort();
    }

    fn clamp_cursor(&mut self) {
        self.cursor = self.cursor.min(self.view.len().saturating_sub(1));
    }

    /// Moves the cursor by `delta` rows, clamped to the view.
    pub fn move_by(&mut self, delta: isize) {
        self.follow_end = false;
        let last = self.view.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    pub fn move_to(&mut self, position: usize) {
        self.follow_end = false;
        self.cursor = position.min(self.view.len().saturating_sub(1));
    }

    /// Scrolls just enough to keep the cursor inside `rows` visible rows.
    pub fn scroll_into_view(&mut self, rows: usize) {
        self.offset = scrolled(self.cursor, self.offset, rows, self.view.len());
    }
}

/// The first row to show so that `cursor` sits inside `rows` visible rows of a list `len`
/// long, moving from `offset` as little as possible.
pub fn scrolled(cursor: usize, offset: usize, rows: usize, len: usize) -> usize {
    let rows = rows.max(1);
    let offset = if cursor < offset {
        cursor
    } else if cursor >= offset + rows {
        cursor + 1 - rows
    } else {
        offset
    };
    offset.min(len.saturating_sub(rows))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::s3::{Bucket, Object};

    fn object(key: &str, size: u64, secs: u64) -> Entry {
        Entry::from(Object {
            key: key.into(),
            size,
            last_modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
            etag: None,
            storage_class: None,
        })
    }

    fn listing(entries: Vec<Entry>) -> Listing {
        let mut l = Listing::new(
            Location::Prefix { bucket: "b".into(), prefix: "p/".into() },
            LoadState::Complete,
            Sort::default(),
        );
        l.append(entries);
        l
    }

    fn names(l: &Listing) -> Vec<&str> {
        l.view.iter().map(|&i| l.entries[i].name(l.base())).collect()
    }

    #[test]
    fn parents_and_breadcrumbs() {
        let loc = Location::Prefix { bucket: "b".into(), prefix: "a/b/".into() };
        assert_eq!(loc.breadcrumb(), "s3://b/a/b/");
        assert_eq!(loc.parent(), Some((Location::Prefix { bucket: "b".into(), prefix: "a/".into() }, "b/".into())));
        let top = Location::Prefix { bucket: "b".into(), prefix: "".into() };
        assert_eq!(top.parent(), Some((Location::Buckets, "b".into())));
        assert_eq!(Location::Buckets.parent(), None);
        let odd = Location::Prefix { bucket: "b".into(), prefix: "a/partial".into() };
        assert_eq!(
            odd.parent(),
            Some((Location::Prefix { bucket: "b".into(), prefix: "a/".into() }, "partial".into()))
        );
    }

    #[test]
    fn sorting_keeps_prefixes_grouped_first() {
        let mut l = listing(vec![
            Entry::Prefix("p/zeta/".into()),
            object("p/a.txt", 30, 3),
            Entry::Prefix("p/alpha/".into()),
            object("p/b.txt", 10, 1),
            object("p/c.txt", 20, 2),
        ]);
        assert_eq!(names(&l), ["alpha/", "zeta/", "a.txt", "b.txt", "c.txt"]);
        l.set_sort(Sort { key: SortKey::Name, descending: true });
        assert_eq!(names(&l), ["zeta/", "alpha/", "c.txt", "b.txt", "a.txt"]);
        l.set_sort(Sort { key: SortKey::Size, descending: false });
        assert_eq!(names(&l), ["alpha/", "zeta/", "b.txt", "c.txt", "a.txt"]);
        l.set_sort(Sort { key: SortKey::Modified, descending: true });
        assert_eq!(names(&l), ["zeta/", "alpha/", "a.txt", "c.txt", "b.txt"]);
    }

    #[test]
    fn sort_cycles_through_six_orders() {
        let mut s = Sort::default();
        let mut seen = vec![s.label()];
        for _ in 0..6 {
            s = s.next();
            seen.push(s.label());
        }
        assert_eq!(seen, ["name ↑", "name ↓", "size ↑", "size ↓", "modified ↑", "modified ↓", "name ↑"]);
    }

    #[test]
    fn filter_is_case_insensitive_and_applies_to_pages_still_arriving() {
        let mut l = listing(vec![object("p/Report-1.csv", 1, 1), object("p/data.bin", 1, 1)]);
        l.set_filter("REPORT");
        assert_eq!(names(&l), ["Report-1.csv"]);
        l.append(vec![object("p/report-2.csv", 1, 1), object("p/zzz", 1, 1)]);
        assert_eq!(names(&l), ["Report-1.csv", "report-2.csv"]);
        l.set_filter("");
        assert_eq!(names(&l).len(), 4);
    }

    #[test]
    fn typing_a_filter_narrows_to_what_a_fresh_listing_would_show() {
        // In key order, as S3 lists them.
        let entries: Vec<Entry> = (0..400u64)
            .map(|i| match i % 50 {
                7 => Entry::Prefix(format!("p/{i:03}-Dir/")),
                _ => object(
                    &format!("p/{i:03}-{}.{}", ["Log", "data"][i as usize % 2], ["csv", "json"][i as usize % 3 / 2]),
                    i % 9,
                    i % 13,
                ),
            })
            .collect();
        let sorts = [
            Sort::default(),
            Sort { key: SortKey::Size, descending: true },
            Sort { key: SortKey::Modified, descending: false },
        ];
        for sort in sorts {
            let mut typed = listing(entries.clone());
            typed.set_sort(sort);
            // Narrowing, widening (backspace), and a filter that is not an extension of the last.
            for filter in ["l", "lo", "log.c", "log.", "lo", "d", "Dat", "1-data", "json", "", "-d"] {
                typed.set_filter(filter);
                let mut fresh = listing(Vec::new());
                fresh.set_sort(sort);
                fresh.set_filter(filter);
                fresh.append(entries.clone());
                assert_eq!(typed.view, fresh.view, "{filter:?} in {sort:?}");
            }
        }
    }

    #[test]
    fn the_cursor_follows_its_entry_through_sorts_filters_and_reloads() {
        let mut l = listing(vec![object("p/a", 3, 1), object("p/b", 1, 1), object("p/c", 2, 1)]);
        l.move_to(2); // c
        l.set_sort(Sort { key: SortKey::Size, descending: false });
        assert_eq!(l.selected().map(|e| e.key()), Some("p/c"));
        l.set_filter("c");
        assert_eq!(l.selected().map(|e| e.key()), Some("p/c"));
        l.set_filter("");
        l.replace(vec![object("p/c", 2, 1), object("p/d", 5, 1)]);
        assert_eq!(l.selected().map(|e| e.key()), Some("p/c"));
    }

    #[test]
    fn scrolling_keeps_the_cursor_visible() {
        let mut l = listing((0..100).map(|i| object(&format!("p/{i:03}"), 1, 1)).collect());
        l.move_to(50);
        l.scroll_into_view(10);
        assert_eq!(l.offset, 41);
        l.move_by(-45);
        l.scroll_into_view(10);
        assert_eq!(l.offset, 5);
        l.move_by(-100);
        assert_eq!(l.cursor, 0);
        l.move_by(1000);
        assert_eq!(l.cursor, 99);
    }

    #[test]
    fn a_fresh_listing_starts_at_the_top_whatever_order_pages_arrive_in() {
        let mut l = Listing::new(Location::Buckets, LoadState::Complete, Sort::default());
        let bucket = |name: &str| Entry::from(Bucket { name: name.into(), created: None, region: None });
        l.append(vec![bucket("zeta"), bucket("alpha"), bucket("mid")]);
        assert_eq!(l.cursor, 0);
        assert_eq!(l.selected().map(|e| e.key()), Some("alpha"));
    }

    #[test]
    fn select_on_load_lands_when_the_name_arrives() {
        let mut l = listing(vec![object("p/a", 1, 1)]);
        l.select_on_load = Some("x/".into());
        l.append(vec![Entry::Prefix("p/m/".into())]);
        assert_eq!(l.select_on_load.as_deref(), Some("x/"), "still waiting for it");
        l.append(vec![Entry::Prefix("p/x/".into())]);
        assert_eq!(l.selected().map(|e| e.key()), Some("p/x/"));
        assert_eq!(l.select_on_load, None);
    }
}
