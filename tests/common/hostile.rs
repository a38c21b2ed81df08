//! Object keys built to attack a terminal, shared by the tests that prove they never reach one
//! raw: through `ls` and the TUI against moto (`tests/hostile_keys.rs`) and on every screen
//! drawn into a `TestBackend` (`tests/ui_snapshots.rs`).

#![allow(dead_code)] // each test binary uses a different part

/// A window title set by OSC 0, terminated by BEL.
pub const TITLE: &str = "title\u{1b}]0;pwned\u{7}.txt";
/// Clear the screen and home the cursor.
pub const CLEAR: &str = "clear\u{1b}[2J\u{1b}[H.txt";
/// CSI colour codes around a word.
pub const COLOUR: &str = "red\u{1b}[31mcolour\u{1b}[0m.txt";
/// Other C0 controls: backspace, vertical tab, form feed, shift out, unit separator, BEL, and
/// line breaks.
pub const C0: &str = "c0\u{8}\u{b}\u{c}\u{e}\u{1f}\u{7}line\nbreak\r.txt";
/// C1 controls: the one-byte CSI (as UTF-8) and NEL.
pub const C1: &str = "c1\u{9b}31m\u{85}next.txt";
pub const DEL: &str = "del\u{7f}ete.txt";
/// "invoice-" then a right-to-left override: shown naively it reads `invoice-exe.pdf`.
pub const BIDI: &str = "invoice-\u{202e}fdp.exe";
/// Bidi isolates.
pub const ISOLATES: &str = "isolate\u{2066}a\u{2067}b\u{2068}c\u{2069}.txt";
/// Zero-width space, joiner and non-joiner, word joiner and BOM: looks like `zerowidth.txt`.
pub const ZERO_WIDTH: &str = "zero\u{200b}wi\u{200c}d\u{200d}th\u{2060}\u{feff}.txt";

/// A key of exactly 1,024 bytes (S3's limit): `long-xxx…x.txt`.
pub fn long_key() -> String {
    let key = format!("long-{}.txt", "x".repeat(1024 - "long-".len() - ".txt".len()));
    assert_eq!(key.len(), 1024);
    key
}

/// Keys made of `/` only.
pub const SLASHES: [&str; 3] = ["/", "//", "///"];

/// Every hostile key but the slashes-only ones, which list as prefixes at the top level.
pub fn named() -> Vec<String> {
    let mut keys: Vec<String> =
        [TITLE, CLEAR, COLOUR, C0, C1, DEL, BIDI, ISOLATES, ZERO_WIDTH].iter().map(|k| k.to_string()).collect();
    keys.push(long_key());
    keys
}

/// Every hostile key.
pub fn all() -> Vec<String> {
    let mut keys = named();
    keys.extend(SLASHES.iter().map(|k| k.to_string()));
    keys
}

/// How each named key must look once escaped, spelled out by hand (not computed with the
/// function under test).
pub const SHOWN: [&str; 9] = [
    "title\\u{1b}]0;pwned\\u{7}.txt",
    "clear\\u{1b}[2J\\u{1b}[H.txt",
    "red\\u{1b}[31mcolour\\u{1b}[0m.txt",
    "c0\\u{8}\\u{b}\\u{c}\\u{e}\\u{1f}\\u{7}line\\nbreak\\r.txt",
    "c1\\u{9b}31m\\u{85}next.txt",
    "del\\u{7f}ete.txt",
    "invoice-\\u{202e}fdp.exe",
    "isolate\\u{2066}a\\u{2067}b\\u{2068}c\\u{2069}.txt",
    "zero\\u{200b}wi\\u{200c}d\\u{200d}th\\u{2060}\\u{feff}.txt",
];

/// Characters that must never reach a terminal raw: C0 (but the line feed that ends a line),
/// DEL, C1, bidi controls and zero-width characters. Listed here by hand, independently of
/// `s3lease::escape`.
pub fn is_steering(c: char) -> bool {
    (c < ' ' && c != '\n')
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Panics naming the first steering character in `text`, with where it is.
pub fn assert_clean(what: &str, text: &str) {
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| is_steering(c)) {
        let start = text.floor_char_boundary(i.saturating_sub(40));
        panic!("{what}: raw {c:?} at byte {i}, after {:?}", &text[start..i]);
    }
}
