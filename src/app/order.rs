//! Putting a listing's view in sort order, fast enough for a million entries.
//!
//! S3 lists keys in ascending order, so in a listing filled by S3 an entry's index is also its
//! rank by key. Then a name sort is a sort of plain indices, and a size or date sort is a sort
//! of integers (group, value, index) with no string compared and no entry touched twice.
//! Entries not in key order (a bucket list, a server that does not sort) fall back to
//! comparing the entries themselves.

use std::cmp::Ordering;

use super::entry::Entry;
use super::listing::{Sort, SortKey};

/// True when `entries` can be ranked by index: strictly ascending keys after `last`, and no
/// buckets (whose creation times are finer than the milliseconds a rank holds).
pub fn extends_key_order(last: Option<&Entry>, entries: &[Entry]) -> bool {
    let mut previous = last.map(Entry::key);
    entries.iter().all(|e| {
        let ascending = previous.is_none_or(|p| p < e.key());
        previous = Some(e.key());
        ascending && !matches!(e, Entry::Bucket(_))
    })
}

pub struct Order<'a> {
    entries: &'a [Entry],
    sort: Sort,
    /// Index order is key order (see `extends_key_order`), and every index fits in 32 bits.
    by_index: bool,
}

impl<'a> Order<'a> {
    pub fn new(entries: &'a [Entry], sort: Sort, in_key_order: bool) -> Order<'a> {
        Order { entries, sort, by_index: in_key_order && u32::try_from(entries.len()).is_ok() }
    }

    /// One integer that orders like `Sort::compare` then the index: containers first, the
    /// sort value, then the index (the key, when entries are in key order). Descending flips
    /// the value and the index but not the group, as `Sort::compare` does.
    fn rank(&self, i: usize) -> u128 {
        let entry = &self.entries[i];
        let value = match self.sort.key {
            SortKey::Name => 0,
            SortKey::Size => entry.size(),
            // Unknown times are i64::MIN and so come first, as `None` does in an `Option`.
            SortKey::Modified => match entry {
                Entry::Object(o) => o.modified_ms() as u64 ^ (1 << 63),
                _ => 0,
            },
        };
        let index = i as u32;
        let (value, index) = if self.sort.descending { (!value, !index) } else { (value, index) };
        u128::from(!entry.is_container()) << 96 | u128::from(value) << 32 | u128::from(index)
    }

    fn index_of(&self, rank: u128) -> usize {
        let low = rank as u32;
        (if self.sort.descending { !low } else { low }) as usize
    }

    /// The view's order between two entries; the index settles ties, so sorting is the same
    /// whether stable or not.
    pub fn compare(&self, a: usize, b: usize) -> Ordering {
        if self.by_index {
            self.rank(a).cmp(&self.rank(b))
        } else {
            self.sort.compare(&self.entries[a], &self.entries[b]).then(a.cmp(&b))
        }
    }

    pub fn sort(&self, view: &mut Vec<usize>) {
        if !self.by_index {
            view.sort_unstable_by(|&a, &b| self.compare(a, b));
        } else if self.sort.key == SortKey::Name {
            // By index, then containers moved to the front, each group keeping its order.
            view.sort_unstable();
            let (mut containers, mut objects): (Vec<usize>, Vec<usize>) =
                view.iter().partition(|&&i| self.entries[i].is_container());
            if self.sort.descending {
                containers.reverse();
                objects.reverse();
            }
            containers.append(&mut objects);
            *view = containers;
        } else {
            let mut ranks: Vec<u128> = view.iter().map(|&i| self.rank(i)).collect();
            ranks.sort_unstable();
            view.clear();
            view.extend(ranks.into_iter().map(|r| self.index_of(r)));
        }
    }

    /// Adds `fresh` to a sorted `view`, keeping it sorted, and moves `cursor` with the entry it
    /// was on. A page that sorts after everything (S3's pages in name order) is only appended;
    /// otherwise each new entry finds its place by binary search and the view is copied once.
    pub fn merge(&self, view: &mut Vec<usize>, mut fresh: Vec<usize>, cursor: &mut usize) {
        // S3's pages arrive sorted by name: checking is cheaper than sorting again.
        if !fresh.is_sorted_by(|&a, &b| self.compare(a, b) == Ordering::Less) {
            fresh.sort_unstable_by(|&a, &b| self.compare(a, b));
        }
        let (Some(&last), Some(&first)) = (view.last(), fresh.first()) else {
            view.append(&mut fresh);
            return;
        };
        if self.compare(last, first) == Ordering::Less {
            view.append(&mut fresh);
            return;
        }
        let mut merged = Vec::with_capacity(view.len() + fresh.len());
        let mut from = 0;
        let mut moved = 0;
        for f in fresh {
            let at = from + view[from..].partition_point(|&v| self.compare(v, f) == Ordering::Less);
            merged.extend_from_slice(&view[from..at]);
            merged.push(f);
            if at <= *cursor {
                moved += 1;
            }
            from = at;
        }
        merged.extend_from_slice(&view[from..]);
        *view = merged;
        *cursor += moved;
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::s3::{Bucket, Object};

    fn object(key: &str, size: u64, ms: Option<u64>) -> Entry {
        Entry::from(Object {
            key: key.into(),
            size,
            last_modified: ms.map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms)),
            etag: None,
            storage_class: None,
        })
    }

    /// A listing as S3 would send it: keys ascending, prefixes among the objects, ties in
    /// size and time, unknown times.
    fn entries() -> Vec<Entry> {
        let mut entries = Vec::new();
        for i in 0..300u64 {
            let key = format!("p/{i:04}");
            entries.push(if i % 37 == 5 {
                Entry::Prefix(format!("{key}/"))
            } else {
                object(&key, (i * 7919) % 13, (i % 11 != 0).then_some((i * 104_729) % 17))
            });
        }
        entries
    }

    const SORTS: [Sort; 6] = [
        Sort { key: SortKey::Name, descending: false },
        Sort { key: SortKey::Name, descending: true },
        Sort { key: SortKey::Size, descending: false },
        Sort { key: SortKey::Size, descending: true },
        Sort { key: SortKey::Modified, descending: false },
        Sort { key: SortKey::Modified, descending: true },
    ];

    /// The order a stable sort with `Sort::compare` gives: what the view showed before.
    fn reference(entries: &[Entry], sort: Sort, view: &[usize]) -> Vec<usize> {
        let mut view = view.to_vec();
        view.sort_by(|&a, &b| sort.compare(&entries[a], &entries[b]));
        view
    }

    #[test]
    fn ranking_by_index_sorts_as_comparing_entries_does() {
        let entries = entries();
        assert!(extends_key_order(None, &entries));
        let all: Vec<usize> = (0..entries.len()).rev().collect();
        for sort in SORTS {
            for by_index in [true, false] {
                let mut view = all.clone();
                Order::new(&entries, sort, by_index).sort(&mut view);
                assert_eq!(view, reference(&entries, sort, &all), "{sort:?}, by index: {by_index}");
            }
        }
    }

    #[test]
    fn merging_pages_equals_sorting_everything() {
        let entries = entries();
        for sort in SORTS {
            let mut view = Vec::new();
            let mut cursor = 0;
            // Pages of 50 in arrival order, then one whose entries come backwards.
            let pages = (0..250).step_by(50).map(|s| (s..s + 50).collect()).chain([(250..300).rev().collect()]);
            for page in pages {
                let kept = view.get(cursor).copied();
                let order = Order::new(&entries, sort, true);
                order.merge(&mut view, page, &mut cursor);
                if let Some(kept) = kept {
                    assert_eq!(view[cursor], kept, "the cursor stays on its entry");
                }
                cursor = view.len() / 3;
            }
            let all: Vec<usize> = (0..entries.len()).collect();
            assert_eq!(view, reference(&entries, sort, &all), "{sort:?}");
        }
    }

    #[test]
    fn key_order_is_broken_by_a_step_back_a_repeat_or_a_bucket() {
        let entries = entries();
        assert!(extends_key_order(Some(&object("a", 1, None)), &entries));
        assert!(!extends_key_order(Some(&object("q", 1, None)), &entries));
        assert!(!extends_key_order(None, &[object("a", 1, None), object("a", 1, None)]));
        assert!(!extends_key_order(None, &[object("b", 1, None), object("a", 1, None)]));
        let bucket = Entry::from(Bucket { name: "b".into(), created: None, region: None });
        assert!(!extends_key_order(None, &[bucket]));
        assert!(extends_key_order(None, &[]));
    }
}
