//! Keys to seed at start: generated in one of two shapes, or read from a file so a test can
//! put exactly the same keys into moto and into this server.

use std::io::{self, BufRead};
use std::path::Path;

use crate::content::fnv1a;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// `data/key-0000001.json`, ...: one prefix, sequential names.
    Flat,
    /// Keys dealt round-robin over top-level prefixes `p000/`, `p001/`, ..., each split into
    /// sub-prefixes `d00/` to `d09/`, with event-style file names of about 50 bytes.
    Spread,
}

/// Sub-prefixes under each top-level prefix of the spread layout.
pub const SUBDIRS: usize = 10;

/// The `i`-th key (from 0) of `count` in `layout`. Keys are distinct for distinct `i`.
pub fn key(layout: Layout, prefixes: usize, i: usize) -> String {
    match layout {
        Layout::Flat => format!("data/key-{:07}.json", i + 1),
        Layout::Spread => {
            let prefixes = prefixes.max(1);
            let top = i % prefixes;
            let sub = (i / prefixes) % SUBDIRS;
            // A plausible timestamp walking forward one second per key: only the look matters.
            let secs = i as u64;
            let (day, month) = ((secs / 86_400) % 28 + 1, (secs / (28 * 86_400)) % 12 + 1);
            let (hour, minute, second) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
            let tag = fnv1a(0, &secs.to_le_bytes()) as u32;
            format!(
                "p{top:03}/d{sub:02}/event-2024-{month:02}-{day:02}T{hour:02}-{minute:02}-{second:02}Z-{i:08}-{tag:08x}.json"
            )
        }
    }
}

pub fn keys(layout: Layout, prefixes: usize, count: usize) -> impl Iterator<Item = String> {
    (0..count).map(move |i| key(layout, prefixes, i))
}

/// One key per line, taken as is: only the line's `\n` is removed, so keys may hold spaces,
/// `\r` or control characters (but not a newline). Empty lines are skipped.
pub fn read_keys(path: &Path) -> io::Result<Vec<String>> {
    let file = std::fs::File::open(path)?;
    let mut reader = io::BufReader::new(file);
    let mut keys = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(keys);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.is_empty() {
            continue;
        }
        let key = String::from_utf8(std::mem::take(&mut line)).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidData, format!("a key in {} is not UTF-8: {e}", path.display()))
        })?;
        keys.push(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn flat_keys_are_sequential() {
        let keys: Vec<String> = keys(Layout::Flat, 0, 3).collect();
        assert_eq!(keys, ["data/key-0000001.json", "data/key-0000002.json", "data/key-0000003.json"]);
    }

    #[test]
    fn spread_keys_are_distinct_even_and_realistic() {
        let keys: Vec<String> = keys(Layout::Spread, 4, 4000).collect();
        let distinct: BTreeSet<&String> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len());
        for top in 0..4 {
            let under = keys.iter().filter(|k| k.starts_with(&format!("p{top:03}/"))).count();
            assert_eq!(under, 1000);
            for sub in 0..SUBDIRS {
                let under = keys.iter().filter(|k| k.starts_with(&format!("p{top:03}/d{sub:02}/"))).count();
                assert_eq!(under, 100);
            }
        }
        for key in &keys {
            let name = key.rsplit('/').next().expect("a file name");
            assert!((40..=60).contains(&name.len()), "{key}");
        }
        assert!(keys[0].starts_with("p000/d00/event-2024-01-01T00-00-00Z-00000000-"), "{}", keys[0]);
        assert!(keys[1].starts_with("p001/d00/event-2024-01-01T00-00-01Z-00000001-"), "{}", keys[1]);
        assert!(keys[4].starts_with("p000/d01/"), "{}", keys[4]);
    }

    #[test]
    fn reads_keys_verbatim() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys.txt");
        std::fs::write(&path, "a b\n/\n\nesc\u{1b}\r\ntrailing/\nlast").expect("write");
        let keys = read_keys(&path).expect("read");
        assert_eq!(keys, ["a b", "/", "esc\u{1b}\r", "trailing/", "last"]);
        std::fs::write(&path, [0xffu8, b'\n']).expect("write");
        assert!(read_keys(&path).is_err());
    }
}
