//! JSON that is safe to print to a terminal. serde_json escapes only what JSON requires (C0
//! controls, `"` and `\`): DEL, C1 controls and bidi overrides would still go out raw. Here
//! every character [`super::needs_escape`] names is written as a `\uXXXX` escape, so the text
//! a reader parses back is exactly the key, yet nothing in it can steer a terminal.

use std::io;

use serde::Serialize;

use super::needs_escape;

struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if needs_escape(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Compact JSON, as `serde_json::to_writer`, with terminal-steering characters escaped.
pub fn to_writer<W: io::Write, T: ?Sized + Serialize>(writer: W, value: &T) -> serde_json::Result<()> {
    value.serialize(&mut serde_json::Serializer::with_formatter(writer, TerminalSafe))
}

/// `text` as a JSON string literal, quotes included.
pub fn json_string(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len() + 2);
    // Writing a string into a Vec cannot fail.
    let _ = to_writer(&mut out, text);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steering_characters_are_escaped_and_read_back_exactly() {
        let key = "a\u{1b}]0;x\u{7}\u{7f}\u{9b}\u{202e}\u{200b}\u{e0041}é\"\\";
        let json = json_string(key);
        assert_eq!(json, r#""a\u001b]0;x\u0007\u007f\u009b\u202e\u200b\udb40\udc41é\"\\""#);
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), key);
    }
}
