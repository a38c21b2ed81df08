//! What a bucket-wide find matches: a key's path below the find's prefix (folders included,
//! not just the file name), containing the needle in any case.
//!
//! The prefix itself is left out because every key under it shares it: a needle that occurs
//! in the prefix would otherwise match everything. It is also what the results show, so
//! every match visibly contains what was typed.

/// A lower-cased needle, compared without allocating for the ASCII keys most buckets hold.
#[derive(Debug, Clone)]
pub struct Needle {
    lower: String,
}

impl Needle {
    pub fn new(text: &str) -> Needle {
        Needle { lower: text.to_lowercase() }
    }

    /// Whether `text` contains the needle, ignoring case as `str::to_lowercase` does.
    pub fn found_in(&self, text: &str) -> bool {
        if text.is_ascii() {
            // An ASCII text lower-cases byte by byte; a needle with non-ASCII letters cannot
            // occur in it (its lower case is still non-ASCII), and `windows` finds no match.
            let needle = self.lower.as_bytes();
            return needle.is_empty()
                || text
                    .as_bytes()
                    .windows(needle.len())
                    .any(|w| w.iter().zip(needle).all(|(a, b)| a.to_ascii_lowercase() == *b));
        }
        text.to_lowercase().contains(&self.lower)
    }
}

/// The part of `key` a find under `prefix` matches and shows.
pub fn below<'a>(key: &'a str, prefix: &str) -> &'a str {
    key.strip_prefix(prefix).unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_case_anywhere_below_the_prefix() {
        let n = Needle::new("Q1");
        assert!(n.found_in("reports/2024/q1/summary.csv"));
        assert!(n.found_in("REPORTS/2024/Q1/"));
        assert!(!n.found_in("reports/2024/q2/summary.csv"));
        assert!(Needle::new("").found_in("anything"));
        assert!(!Needle::new("longer than the text").found_in("short"));
    }

    #[test]
    fn non_ascii_keys_and_needles_match_as_to_lowercase_does() {
        assert!(Needle::new("КЛЮЧ").found_in("odd/unicodé ключ 鍵.txt"));
        assert!(Needle::new("É").found_in("odd/unicodé ключ 鍵.txt"));
        assert!(Needle::new("鍵.t").found_in("odd/unicodé ключ 鍵.txt"));
        assert!(!Needle::new("é").found_in("odd/unicode.txt"), "an accent is not ignored");
        // The Kelvin sign lower-cases to an ASCII k.
        assert!(Needle::new("k").found_in("\u{212a}elvin"));
    }

    #[test]
    fn the_prefix_is_not_part_of_what_matches() {
        assert_eq!(below("logs/2024/a.json", "logs/"), "2024/a.json");
        assert_eq!(below("logs/a", ""), "logs/a");
        assert!(!Needle::new("logs").found_in(below("logs/event-1.json", "logs/")));
    }
}
