//! Buckets as sorted maps, and the listing walk over them.
//!
//! A listing page costs O(log n) per item it returns: keys are visited in order from the start
//! marker, and a common prefix is skipped with one range jump to the first key after it, so a
//! prefix holding a million keys costs as much as one holding one.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use bytes::Bytes;

/// What a key holds. Seeded keys carry only their size, so a million of them fit in a few
/// hundred MB: their bytes, ETag and time are derived on demand.
#[derive(Clone)]
pub enum Object {
    Synthetic { size: u64 },
    Stored(Arc<StoredObject>),
}

/// An object written by PutObject.
pub struct StoredObject {
    pub data: Bytes,
    /// Hex MD5 of `data`, unquoted.
    pub md5_hex: String,
    pub content_type: Option<String>,
    pub last_modified: SystemTime,
}

impl Object {
    pub fn size(&self) -> u64 {
        match self {
            Object::Synthetic { size } => *size,
            Object::Stored(stored) => stored.data.len() as u64,
        }
    }
}

pub struct Bucket {
    /// The creation time, and the LastModified of every seeded key.
    pub created: SystemTime,
    objects: RwLock<BTreeMap<Box<str>, Object>>,
}

// Every write is a single insert, so a panic elsewhere cannot leave a map half-updated: a
// poisoned lock still guards consistent data.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl Bucket {
    pub fn new(created: SystemTime) -> Bucket {
        Bucket { created, objects: RwLock::new(BTreeMap::new()) }
    }

    pub fn get(&self, key: &str) -> Option<Object> {
        read(&self.objects).get(key).cloned()
    }

    pub fn put(&self, key: &str, object: Object) {
        write(&self.objects).insert(key.into(), object);
    }

    /// Adds many keys at once; cheaper than `put` one by one when the map is empty.
    pub fn seed(&self, objects: impl IntoIterator<Item = (Box<str>, Object)>) {
        let mut map = write(&self.objects);
        if map.is_empty() {
            // Collecting sorts once and builds the tree in bulk.
            *map = objects.into_iter().collect();
        } else {
            map.extend(objects);
        }
    }

    pub fn len(&self) -> usize {
        read(&self.objects).len()
    }

    pub fn list(&self, query: &ListQuery<'_>) -> ListPage<Object> {
        list(&read(&self.objects), query)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum CreateError {
    AlreadyExists,
}

#[derive(Default)]
pub struct Store {
    buckets: RwLock<BTreeMap<String, Arc<Bucket>>>,
}

impl Store {
    pub fn create_bucket(&self, name: &str, created: SystemTime) -> Result<Arc<Bucket>, CreateError> {
        let mut buckets = write(&self.buckets);
        if buckets.contains_key(name) {
            return Err(CreateError::AlreadyExists);
        }
        let bucket = Arc::new(Bucket::new(created));
        buckets.insert(name.to_owned(), Arc::clone(&bucket));
        Ok(bucket)
    }

    pub fn bucket(&self, name: &str) -> Option<Arc<Bucket>> {
        read(&self.buckets).get(name).cloned()
    }

    /// Every bucket's name and creation time, sorted by name as S3 lists them.
    pub fn buckets(&self) -> Vec<(String, SystemTime)> {
        read(&self.buckets).iter().map(|(name, b)| (name.clone(), b.created)).collect()
    }
}

/// One ListObjects page request, already validated.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    pub prefix: &'a str,
    /// `None` for no grouping; an empty delimiter must be passed as `None`.
    pub delimiter: Option<&'a str>,
    /// Only items (keys or common prefixes) sorting strictly after this are returned: the
    /// start-after key, the marker, or the last item of the previous page.
    pub after: Option<&'a str>,
    /// Items per page; common prefixes count like keys.
    pub max_items: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry<V> {
    Object(String, V),
    CommonPrefix(String),
}

impl<V> Entry<V> {
    /// The key or the common prefix: what the next page starts after.
    pub fn name(&self) -> &str {
        match self {
            Entry::Object(key, _) | Entry::CommonPrefix(key) => key,
        }
    }
}

#[derive(Debug)]
pub struct ListPage<V> {
    /// Keys and common prefixes, merged in key order as S3 returns them.
    pub entries: Vec<Entry<V>>,
    /// True when at least one more item follows the last entry.
    pub is_truncated: bool,
    /// Map entries visited; lets the tests prove that a common prefix costs one jump.
    pub visited: usize,
}

/// The smallest string that sorts after every string starting with `prefix`, or `None` when
/// nothing does. `str` orders by code point, so bumping the last character is enough.
pub fn prefix_successor(prefix: &str) -> Option<String> {
    let mut rest = prefix;
    while let Some(last) = rest.chars().next_back() {
        rest = &rest[..rest.len() - last.len_utf8()];
        let mut code = u32::from(last) + 1;
        if (0xD800..0xE000).contains(&code) {
            code = 0xE000; // surrogates are not chars; the next char is past them
        }
        if let Some(next) = char::from_u32(code) {
            let mut successor = String::with_capacity(rest.len() + next.len_utf8());
            successor.push_str(rest);
            successor.push(next);
            return Some(successor);
        }
    }
    None
}

/// The page of `map` that `query` asks for.
pub fn list<V: Clone>(map: &BTreeMap<Box<str>, V>, query: &ListQuery<'_>) -> ListPage<V> {
    let mut page = ListPage { entries: Vec::new(), is_truncated: false, visited: 0 };
    // S3 answers MaxKeys=0 with an empty, untruncated page.
    if query.max_items == 0 {
        return page;
    }
    let prefix = query.prefix;
    // Every key under `prefix` sorts at or after it, so the walk starts at whichever of the
    // prefix and the marker comes later.
    let mut start: Bound<String> = match query.after {
        Some(after) if after >= prefix => Bound::Excluded(after.to_owned()),
        _ => Bound::Included(prefix.to_owned()),
    };
    'walk: loop {
        let mut jump_to = None;
        for (key, value) in map.range::<str, _>((start.as_ref().map(String::as_str), Bound::Unbounded)) {
            page.visited += 1;
            // Keys under the prefix are contiguous: the first one outside ends the listing.
            let Some(rest) = key.strip_prefix(prefix) else { break 'walk };
            let common = query.delimiter.and_then(|d| rest.find(d).map(|at| &key[..prefix.len() + at + d.len()]));
            let Some(common) = common else {
                if page.entries.len() == query.max_items {
                    page.is_truncated = true;
                    break 'walk;
                }
                page.entries.push(Entry::Object(key.to_string(), value.clone()));
                continue;
            };
            // A common prefix at or before the marker was returned on an earlier page (or
            // holds the start-after key); either way its keys are skipped, not listed.
            if query.after.is_none_or(|after| common > after) {
                if page.entries.len() == query.max_items {
                    page.is_truncated = true;
                    break 'walk;
                }
                page.entries.push(Entry::CommonPrefix(common.to_owned()));
            }
            jump_to = Some(prefix_successor(common));
            break;
        }
        match jump_to {
            Some(Some(next)) => start = Bound::Included(next),
            // The end of the map, or a common prefix that nothing sorts after.
            Some(None) | None => break,
        }
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(keys: &[&str]) -> BTreeMap<Box<str>, ()> {
        keys.iter().map(|k| (Box::from(*k), ())).collect()
    }

    fn query<'a>(prefix: &'a str, delimiter: Option<&'a str>, after: Option<&'a str>, max: usize) -> ListQuery<'a> {
        ListQuery { prefix, delimiter, after, max_items: max }
    }

    /// Entries as strings, common prefixes marked with a trailing `*`.
    fn names(page: &ListPage<()>) -> Vec<String> {
        page.entries
            .iter()
            .map(|e| match e {
                Entry::Object(k, ()) => k.clone(),
                Entry::CommonPrefix(p) => format!("{p}*"),
            })
            .collect()
    }

    /// Every page of a listing, each as (names, is_truncated), following the last item as
    /// the next page's marker the way a continuation token does.
    fn all_pages(m: &BTreeMap<Box<str>, ()>, prefix: &str, delimiter: Option<&str>, max: usize) -> Vec<Vec<String>> {
        let mut pages = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = list(m, &query(prefix, delimiter, after.as_deref(), max));
            assert!(page.entries.len() <= max, "a page holds at most max items");
            pages.push(names(&page));
            if !page.is_truncated {
                return pages;
            }
            assert_eq!(page.entries.len(), max, "a truncated page is full");
            after = page.entries.last().map(|e| e.name().to_owned());
            assert!(pages.len() < 10_000, "the listing ends");
        }
    }

    const TREE: &[&str] =
        &["a.txt", "dir/", "dir/one", "dir/sub/deep", "dir/sub/two", "dir/three", "dir-x", "dir.y", "other/z", "zz"];

    #[test]
    fn lists_everything_in_order_without_a_delimiter() {
        let m = map(TREE);
        let page = list(&m, &query("", None, None, 1000));
        let mut sorted: Vec<String> = TREE.iter().map(|k| k.to_string()).collect();
        sorted.sort();
        assert_eq!(names(&page), sorted);
        assert!(!page.is_truncated);
    }

    #[test]
    fn groups_by_delimiter_in_key_order() {
        let m = map(TREE);
        let page = list(&m, &query("", Some("/"), None, 1000));
        // '-' and '.' sort before '/', so "dir-x" and "dir.y" come before the "dir/" group.
        assert_eq!(names(&page), ["a.txt", "dir-x", "dir.y", "dir/*", "other/*", "zz"]);
    }

    #[test]
    fn prefix_and_delimiter_group_below_the_prefix() {
        let m = map(TREE);
        let page = list(&m, &query("dir/", Some("/"), None, 1000));
        // The key equal to the prefix is a key, not a group.
        assert_eq!(names(&page), ["dir/", "dir/one", "dir/sub/*", "dir/three"]);
        let page = list(&m, &query("dir/s", Some("/"), None, 1000));
        assert_eq!(names(&page), ["dir/sub/*"]);
        let page = list(&m, &query("dir", Some("/"), None, 1000));
        assert_eq!(names(&page), ["dir-x", "dir.y", "dir/*"]);
    }

    #[test]
    fn a_prefix_matching_nothing_lists_nothing() {
        let m = map(TREE);
        for delimiter in [None, Some("/")] {
            let page = list(&m, &query("nonexistent/", delimiter, None, 1000));
            assert!(page.entries.is_empty() && !page.is_truncated);
        }
        let page = list(&map(&[]), &query("", None, None, 1000));
        assert!(page.entries.is_empty() && !page.is_truncated);
    }

    #[test]
    fn common_prefixes_count_against_max_keys() {
        let m = map(TREE);
        let pages = all_pages(&m, "", Some("/"), 4);
        assert_eq!(pages, vec![vec!["a.txt", "dir-x", "dir.y", "dir/*"], vec!["other/*", "zz"]]);
        let pages = all_pages(&m, "", Some("/"), 1);
        assert_eq!(pages.len(), 6, "one item per page: {pages:?}");
        assert_eq!(pages[3], ["dir/*"]);
        assert_eq!(pages[4], ["other/*"]);
    }

    #[test]
    fn truncation_is_exact() {
        let m = map(&["a", "b", "c"]);
        let page = list(&m, &query("", None, None, 3));
        assert!(!page.is_truncated, "a page that holds the last key is not truncated");
        let page = list(&m, &query("", None, None, 2));
        assert!(page.is_truncated);
        let page = list(&m, &query("", None, Some("b"), 1));
        assert_eq!(names(&page), ["c"]);
        assert!(!page.is_truncated);
        // A group after a full page makes it truncated too.
        let m = map(&["a", "b/1", "b/2"]);
        let page = list(&m, &query("", Some("/"), None, 1));
        assert!(page.is_truncated);
    }

    #[test]
    fn max_keys_zero_is_empty_and_not_truncated() {
        let page = list(&map(TREE), &query("", None, None, 0));
        assert!(page.entries.is_empty() && !page.is_truncated);
    }

    #[test]
    fn start_after_is_exclusive_and_may_name_a_missing_key() {
        let m = map(TREE);
        let page = list(&m, &query("", None, Some("dir/one"), 2));
        assert_eq!(names(&page), ["dir/sub/deep", "dir/sub/two"]);
        let page = list(&m, &query("", None, Some("dir/p"), 1));
        assert_eq!(names(&page), ["dir/sub/deep"]);
        // Before the prefix: the listing starts at the prefix.
        let page = list(&m, &query("other/", None, Some("a"), 1000));
        assert_eq!(names(&page), ["other/z"]);
        // After everything under the prefix: nothing.
        let page = list(&m, &query("dir/", None, Some("dir0"), 1000));
        assert!(page.entries.is_empty() && !page.is_truncated);
    }

    #[test]
    fn start_after_inside_a_common_prefix_skips_that_prefix() {
        let m = map(TREE);
        let page = list(&m, &query("", Some("/"), Some("dir/one"), 1000));
        assert_eq!(names(&page), ["other/*", "zz"]);
        let page = list(&m, &query("", Some("/"), Some("dir/"), 1000));
        assert_eq!(names(&page), ["other/*", "zz"]);
        let page = list(&m, &query("", Some("/"), Some("dir"), 1000));
        assert_eq!(names(&page), ["dir-x", "dir.y", "dir/*", "other/*", "zz"]);
    }

    #[test]
    fn multi_character_delimiters_group_on_the_first_match() {
        let m = map(&["a--b--c", "a-b", "x--", "y"]);
        let page = list(&m, &query("", Some("--"), None, 1000));
        assert_eq!(names(&page), ["a--*", "a-b", "x--*", "y"]);
    }

    #[test]
    fn odd_characters_sort_and_group_by_code_point() {
        let keys = [
            "/",
            "//double",
            "odd/with space.txt",
            "odd/a+b=c.txt",
            "odd/100%.txt",
            "odd/unicodé ключ 鍵.txt",
            "odd/esc\u{1b}[31mred.txt",
            "odd/bell\u{7}.txt",
            "odd/dir/",
            "odd/\u{10FFFF}max",
            "odd/\u{10FFFF}\u{10FFFF}",
            "odd/\u{FFFF}",
            "odd/\u{D7FF}x/y",
            "\u{7f}",
        ];
        let m = map(&keys);
        let page = list(&m, &query("", Some("/"), None, 1000));
        assert_eq!(names(&page), ["/*", "odd/*", "\u{7f}"]);
        let page = list(&m, &query("odd/", Some("/"), None, 1000));
        assert_eq!(
            names(&page),
            [
                "odd/100%.txt",
                "odd/a+b=c.txt",
                "odd/bell\u{7}.txt",
                "odd/dir/*",
                "odd/esc\u{1b}[31mred.txt",
                "odd/unicodé ключ 鍵.txt",
                "odd/with space.txt",
                "odd/\u{D7FF}x/*",
                "odd/\u{FFFF}",
                "odd/\u{10FFFF}max",
                "odd/\u{10FFFF}\u{10FFFF}",
            ]
        );
        // Grouping on the last char there is: the successor has to carry past char::MAX.
        let page = list(&m, &query("odd/", Some("\u{10FFFF}"), None, 1000));
        assert!(names(&page).contains(&"odd/\u{10FFFF}*".to_string()), "{:?}", names(&page));
        assert!(!names(&page).iter().any(|n| n.starts_with("odd/\u{10FFFF}m")));
    }

    #[test]
    fn prefix_successor_bumps_the_last_char() {
        assert_eq!(prefix_successor("a/").as_deref(), Some("a0"));
        assert_eq!(prefix_successor("").as_deref(), None);
        assert_eq!(prefix_successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{10FFFF}").as_deref(), None);
    }

    #[test]
    fn pagination_yields_every_item_exactly_once() {
        let mut keys: Vec<String> = Vec::new();
        for p in 0..7 {
            for d in 0..5 {
                for f in 0..9 {
                    keys.push(format!("p{p:03}/d{d:02}/file-{f}.json"));
                }
                keys.push(format!("p{p:03}/d{d:02}/"));
            }
            keys.push(format!("p{p:03}/top.txt"));
            keys.push(format!("p{p:03}-sibling"));
        }
        keys.extend(["/".to_string(), "odd/ space".to_string(), "odd/+".to_string(), "z\u{1b}".to_string()]);
        let m: BTreeMap<Box<str>, ()> = keys.iter().map(|k| (Box::from(k.as_str()), ())).collect();
        let mut sorted = keys.clone();
        sorted.sort();

        for max in [1, 2, 3, 7, 1000] {
            for prefix in ["", "p000/", "p000/d0", "p003/d04/", "nonexistent/"] {
                let pages = all_pages(&m, prefix, None, max);
                let flat: Vec<String> = pages.concat();
                let expected: Vec<String> = sorted.iter().filter(|k| k.starts_with(prefix)).cloned().collect();
                assert_eq!(flat, expected, "prefix {prefix:?} max {max}");

                // With a delimiter: every key is listed or covered by exactly one common prefix.
                let flat: Vec<String> = all_pages(&m, prefix, Some("/"), max).concat();
                let mut seen = std::collections::BTreeSet::new();
                for name in &flat {
                    assert!(seen.insert(name.clone()), "{name:?} listed twice (prefix {prefix:?} max {max})");
                }
                for key in &expected {
                    let rest = &key[prefix.len()..];
                    let want = match rest.find('/') {
                        Some(at) => format!("{}*", &key[..prefix.len() + at + 1]),
                        None => key.clone(),
                    };
                    assert!(seen.contains(&want), "{key:?} not covered by {want:?} (prefix {prefix:?} max {max})");
                }
                let mut in_order = flat.iter().map(|n| n.trim_end_matches('*')).collect::<Vec<_>>();
                let listed = in_order.clone();
                in_order.sort();
                assert_eq!(listed, in_order, "items come in key order");
            }
        }
    }

    #[test]
    fn a_common_prefix_costs_one_jump_however_many_keys_it_holds() {
        let mut keys: Vec<String> = (0..50_000).map(|i| format!("big/{i:06}")).collect();
        keys.extend((0..10).map(|i| format!("small-{i}/x")));
        keys.push("top".to_string());
        let m: BTreeMap<Box<str>, ()> = keys.iter().map(|k| (Box::from(k.as_str()), ())).collect();

        let page = list(&m, &query("", Some("/"), None, 1000));
        assert_eq!(page.entries.len(), 12);
        assert!(page.visited <= 12, "visited {} map entries for 12 items", page.visited);

        // A full page of keys visits one key beyond the page to know it is truncated.
        let page = list(&m, &query("big/", None, Some("big/010000"), 1000));
        assert_eq!(page.entries.first().map(Entry::name), Some("big/010001"));
        assert!(page.is_truncated);
        assert_eq!(page.visited, 1001);
    }

    #[test]
    fn buckets_are_created_once_and_listed_by_name() {
        let store = Store::default();
        let now = SystemTime::UNIX_EPOCH;
        assert!(store.create_bucket("b", now).is_ok());
        assert!(store.create_bucket("a", now).is_ok());
        assert_eq!(store.create_bucket("b", now).err(), Some(CreateError::AlreadyExists));
        let names: Vec<String> = store.buckets().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(store.bucket("c").is_none());
    }

    #[test]
    fn seeding_then_putting_keeps_both() {
        let bucket = Bucket::new(SystemTime::UNIX_EPOCH);
        bucket.seed([(Box::from("b"), Object::Synthetic { size: 3 }), (Box::from("a"), Object::Synthetic { size: 1 })]);
        bucket.seed([(Box::from("c"), Object::Synthetic { size: 2 })]);
        bucket.put("a", Object::Synthetic { size: 9 });
        assert_eq!(bucket.len(), 3);
        assert_eq!(bucket.get("a").map(|o| o.size()), Some(9));
        let page = bucket.list(&query("", None, None, 1000));
        let keys: Vec<&str> = page.entries.iter().map(Entry::name).collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }
}
