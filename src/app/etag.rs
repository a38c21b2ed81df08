//! ETags kept as the 16 bytes they spell instead of the 34-odd characters S3 sends. A million
//! listed objects would otherwise hold a million small strings. The text is rebuilt exactly:
//! anything that would not come back byte for byte (upper-case hex, odd part counts, an
//! S3-compatible server's own format) is refused here and kept as text by the caller.

/// How the text around the digest looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Absent,
    /// Not packable; the caller holds the text.
    Text,
    Digest {
        quoted: bool,
    },
    /// `<md5 of the part md5s>-<parts>`, as a multipart upload gets.
    Multipart {
        quoted: bool,
    },
}

/// 20 bytes: the digest, the part count of a multipart ETag, and the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedETag {
    digest: [u8; 16],
    // S3 allows at most 10,000 parts.
    parts: u16,
    form: Form,
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// A part count exactly as `u16::to_string` would write it (no sign, no leading zero).
fn parse_parts(text: &str) -> Option<u16> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let canonical = text == "0" || !text.starts_with('0');
    if digits_only && canonical { text.parse().ok() } else { None }
}

impl PackedETag {
    pub const ABSENT: PackedETag = PackedETag { digest: [0; 16], parts: 0, form: Form::Absent };
    pub const TEXT: PackedETag = PackedETag { digest: [0; 16], parts: 0, form: Form::Text };

    /// Packs `"<32 lower-case hex>"` or `"<32 hex>-<parts>"`, quoted or bare; `None` for
    /// anything whose text would not be rebuilt exactly.
    pub fn pack(etag: &str) -> Option<PackedETag> {
        let inner = etag.strip_prefix('"').and_then(|e| e.strip_suffix('"'));
        let quoted = inner.is_some();
        let inner = inner.unwrap_or(etag);
        let (hex, parts) = match inner.split_once('-') {
            Some((hex, parts)) => (hex, Some(parse_parts(parts)?)),
            None => (inner, None),
        };
        let hex = hex.as_bytes();
        if hex.len() != 32 {
            return None;
        }
        let mut digest = [0u8; 16];
        for (byte, pair) in digest.iter_mut().zip(hex.chunks_exact(2)) {
            *byte = hex_value(pair[0])? << 4 | hex_value(pair[1])?;
        }
        let form = if parts.is_some() { Form::Multipart { quoted } } else { Form::Digest { quoted } };
        Some(PackedETag { digest, parts: parts.unwrap_or(0), form })
    }

    /// True when the ETag did not pack and its text is kept elsewhere.
    pub fn is_text(&self) -> bool {
        self.form == Form::Text
    }

    /// The ETag's text as it was sent; `None` when absent or kept as text.
    pub fn unpack(&self) -> Option<String> {
        use std::fmt::Write;
        let (quoted, multipart) = match self.form {
            Form::Absent | Form::Text => return None,
            Form::Digest { quoted } => (quoted, false),
            Form::Multipart { quoted } => (quoted, true),
        };
        let mut text = String::with_capacity(40);
        if quoted {
            text.push('"');
        }
        for byte in self.digest {
            let _ = write!(text, "{byte:02x}");
        }
        if multipart {
            let _ = write!(text, "-{}", self.parts);
        }
        if quoted {
            text.push('"');
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(etag: &str) -> Option<String> {
        PackedETag::pack(etag).and_then(|p| p.unpack())
    }

    #[test]
    fn plain_and_multipart_etags_come_back_exactly() {
        for etag in [
            "\"d41d8cd98f00b204e9800998ecf8427e\"",
            "d41d8cd98f00b204e9800998ecf8427e",
            "\"9b2cf535f27731c974343645a3985328-3\"",
            "9b2cf535f27731c974343645a3985328-10000",
            "\"00000000000000000000000000000000-0\"",
            "\"ffffffffffffffffffffffffffffffff-65535\"",
        ] {
            assert_eq!(round_trip(etag).as_deref(), Some(etag), "{etag}");
        }
    }

    #[test]
    fn etags_that_would_not_come_back_exactly_are_refused() {
        for etag in [
            "",
            "\"\"",
            "\"",
            // Upper-case hex would come back lower-case.
            "\"D41D8CD98F00B204E9800998ECF8427E\"",
            "\"d41d8cd98f00b204e9800998ecf8427\"",
            "\"d41d8cd98f00b204e9800998ecf8427e0\"",
            "\"d41d8cd98f00b204e9800998ecf8427g\"",
            "\"d41d8cd98f00b204e9800998ecf8427e-\"",
            "\"d41d8cd98f00b204e9800998ecf8427e-03\"",
            "\"d41d8cd98f00b204e9800998ecf8427e-+3\"",
            "\"d41d8cd98f00b204e9800998ecf8427e-65536\"",
            "\"d41d8cd98f00b204e9800998ecf8427e-3-4\"",
            "\"d41d8cd98f00b204e9800998ecf8427e",
            "W/\"d41d8cd98f00b204e9800998ecf8427e\"",
            "\"d41d8cd98f00b204e9800998ecf8427é\"",
        ] {
            assert_eq!(PackedETag::pack(etag), None, "{etag:?}");
        }
    }

    #[test]
    fn small_enough_to_keep_a_million() {
        assert_eq!(std::mem::size_of::<PackedETag>(), 20);
        assert_eq!(PackedETag::ABSENT.unpack(), None);
        assert_eq!(PackedETag::TEXT.unpack(), None);
        assert!(PackedETag::TEXT.is_text() && !PackedETag::ABSENT.is_text());
    }
}
