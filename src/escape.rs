//! Object keys and server messages are untrusted text: a key can hold ANSI escape sequences
//! or bidi overrides that would rewrite the user's terminal, or invisible characters that make
//! two different keys look the same. Everything shown is passed through here first.

pub mod json;

use std::borrow::Cow;
use std::fmt::Write;

pub use json::{json_string, to_writer as json_to_writer};

/// Characters that steer a terminal (C0, DEL, C1), reorder text (bidi marks, embeddings,
/// overrides and isolates), break lines outside `\n`, or show nothing at all (zero-width and
/// other invisible format characters, Unicode tags).
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e007f}'
        )
}

/// Replaces control characters and bidi controls with visible `\u{..}` escapes (and `\` with
/// `\\` when anything was escaped, so the output stays unambiguous).
pub fn untrusted(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// As [`untrusted`], but line breaks stay: for multi-line messages such as a TOML parse error
/// with its excerpt, printed to a terminal.
pub fn untrusted_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let escaped = |c: char| needs_escape(c) && !(keep_newlines && c == '\n');
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' if keep_newlines => out.push('\n'),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes_untouched() {
        assert!(matches!(untrusted("logs/ключ 鍵 a+b.txt"), Cow::Borrowed(_)));
        assert_eq!(untrusted("back\\slash"), "back\\slash");
    }

    #[test]
    fn controls_and_bidi_become_visible() {
        assert_eq!(untrusted("evil\u{1b}[2J.txt"), "evil\\u{1b}[2J.txt");
        assert_eq!(untrusted("a\u{202e}txt.exe"), "a\\u{202e}txt.exe");
        assert_eq!(untrusted("bell\u{7}\\"), "bell\\u{7}\\\\");
        assert_eq!(untrusted("two\nlines"), "two\\nlines");
        assert_eq!(untrusted("c1\u{9b}31m"), "c1\\u{9b}31m");
        assert_eq!(untrusted("del\u{7f}"), "del\\u{7f}");
    }

    #[test]
    fn invisible_characters_become_visible() {
        assert_eq!(untrusted("a\u{200b}b\u{200d}c\u{2060}d\u{feff}"), "a\\u{200b}b\\u{200d}c\\u{2060}d\\u{feff}");
        assert_eq!(untrusted("\u{2066}x\u{2069}\u{2028}"), "\\u{2066}x\\u{2069}\\u{2028}");
        assert_eq!(untrusted("tag\u{e0041}"), "tag\\u{e0041}");
        assert_eq!(untrusted("ключ 鍵 é ❤"), "ключ 鍵 é ❤");
    }

    #[test]
    fn multi_line_messages_keep_their_line_breaks() {
        assert_eq!(untrusted_lines("line 1\n  | \u{1b}[2J\n"), "line 1\n  | \\u{1b}[2J\n");
        assert!(matches!(untrusted_lines("plain\ntwo"), Cow::Borrowed(_)));
    }
}
