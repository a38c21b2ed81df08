//! Object keys and server messages are untrusted text: a key can hold ANSI escape sequences
//! or bidi overrides that would rewrite the user's terminal. Everything shown is passed
//! through here first.

use std::borrow::Cow;
use std::fmt::Write;

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Replaces control characters and bidi controls with visible `\u{..}` escapes (and `\` with
/// `\\` when anything was escaped, so the output stays unambiguous).
pub fn untrusted(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
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
    }
}
