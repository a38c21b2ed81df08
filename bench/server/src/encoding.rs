//! How names travel in listing responses: `encoding-type=url` and continuation tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes a key, prefix, delimiter or marker the way S3 does for `encoding-type=url`:
/// form-style, so a space becomes `+` and a literal `+` becomes `%2B` (botocore decodes with
/// `unquote_plus` for this reason), with `/` and `*` left alone and `~` encoded. Everything
/// else outside `A-Za-z0-9-_.` is percent-encoded byte by byte, in upper-case hex.
pub fn url_encode(name: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(name.len());
    for &byte in name.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'*' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xF)]));
            }
        }
    }
    out
}

/// A continuation token naming the last item of a page. It carries its own position, so it
/// stays valid across restarts and needs no server-side state.
pub fn continuation_token(last_item: &str) -> String {
    URL_SAFE_NO_PAD.encode(last_item.as_bytes())
}

/// The item a token names, or `None` for a token this server did not issue.
pub fn parse_continuation_token(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_s3() {
        // Observed from S3: space as '+', '+' as %2B, '%' as %25, UTF-8 bytes in upper hex.
        assert_eq!(url_encode("a b.txt"), "a+b.txt");
        assert_eq!(url_encode("a+b.txt"), "a%2Bb.txt");
        assert_eq!(url_encode("100%.csv"), "100%25.csv");
        assert_eq!(url_encode("한글/x.txt"), "%ED%95%9C%EA%B8%80/x.txt");
        assert_eq!(url_encode("run books/"), "run+books/");
        assert_eq!(url_encode("esc\u{1b}[0m"), "esc%1B%5B0m");
        assert_eq!(url_encode("star*tilde~"), "star*tilde%7E");
        assert_eq!(url_encode("a=b&c;d"), "a%3Db%26c%3Bd");
        assert_eq!(url_encode("keep-_./"), "keep-_./");
        assert_eq!(url_encode(""), "");
    }

    #[test]
    fn tokens_round_trip_any_key() {
        for key in ["", "/", "p000/d00/", "odd/with space+%.txt", "ключ\u{1b}\u{7}", "\u{10FFFF}"] {
            let token = continuation_token(key);
            assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
            assert_eq!(parse_continuation_token(&token).as_deref(), Some(key));
        }
    }

    #[test]
    fn rejects_tokens_it_did_not_issue() {
        assert_eq!(parse_continuation_token("not a token!"), None);
        assert_eq!(parse_continuation_token(&URL_SAFE_NO_PAD.encode([0xff, 0xfe])), None);
    }
}
