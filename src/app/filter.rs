//! The filter's test: does a name contain the (lower-cased) filter text, ignoring case? Run
//! on every entry for a keystroke, so it must not allocate: ASCII names (nearly all keys) are
//! compared byte by byte, and only a name with other characters is lower-cased in full.

/// `name.to_lowercase().contains(lower)`, where `lower` is already lower-cased, without
/// building the lower-cased name when `name` is ASCII.
pub fn contains_folded(name: &str, lower: &str) -> bool {
    if lower.is_empty() {
        return true;
    }
    if !name.is_ascii() {
        // Unicode lower-casing can change lengths and map non-ASCII to ASCII (K, the Kelvin
        // sign, becomes k), so only the full conversion gives the same answer.
        return name.to_lowercase().contains(lower);
    }
    // An ASCII name lower-cases to ASCII, which cannot contain a non-ASCII filter.
    if !lower.is_ascii() {
        return false;
    }
    let (name, lower) = (name.as_bytes(), lower.as_bytes());
    if lower.len() > name.len() {
        return false;
    }
    let (first, rest) = (lower[0], &lower[1..]);
    (0..=name.len() - lower.len()).any(|start| {
        name[start].to_ascii_lowercase() == first && name[start + 1..start + lower.len()].eq_ignore_ascii_case(rest)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(name: &str, lower: &str) -> bool {
        name.to_lowercase().contains(lower)
    }

    #[test]
    fn matches_like_lower_casing_the_name() {
        let names = [
            "part-000123.parquet",
            "Report-2024.CSV",
            "",
            "a",
            "ABC",
            "aaab",
            "ключ-Data.json",
            "\u{212a}elvin.txt",
            "İstanbul.txt",
            "straße",
            "x[]().*+?",
        ];
        let filters = [
            "",
            "p",
            "part",
            "000123",
            ".parquet",
            "report",
            "csv",
            "2024.c",
            "ab",
            "aab",
            "aaab",
            "aaaab",
            "b",
            "c",
            "data",
            "ключ",
            "kelvin",
            "i̇stanbul",
            "istanbul",
            "ß",
            "ss",
            "[]",
            ".*",
            "z",
            "tt",
            "parquet!",
        ];
        for name in names {
            for filter in filters {
                assert_eq!(contains_folded(name, filter), reference(name, filter), "{name:?} contains {filter:?}");
            }
        }
    }

    #[test]
    fn matches_anywhere_in_the_name() {
        assert!(contains_folded("Part-000123.PARQUET", "t-000123.p"));
        assert!(contains_folded("abc", "abc"));
        assert!(contains_folded("xxABC", "abc"));
        assert!(!contains_folded("abc", "abcd"));
        assert!(!contains_folded("ab-c", "abc"));
    }
}
