//! What a panic prints once the terminal is restored: the default report (thread, location,
//! message, and a backtrace when `RUST_BACKTRACE` asks for one), with anything shaped like
//! a credential blanked out of the message.

use std::backtrace::{Backtrace, BacktraceStatus};
use std::panic::PanicHookInfo;

/// An AWS secret access key is 40 characters of base64; session tokens are hundreds.
/// Nothing else s3lease puts in a message (names, ARNs, paths, times) has such a run.
const SECRET_RUN: usize = 40;

fn base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')
}

/// How many bytes at the start of `text` are one base64 character: itself, or percent-encoded
/// (`%2B`, `%2F`, `%3D`, as in a presigned URL's token).
fn base64_len(text: &str) -> usize {
    let upper = |s: &str| s.get(..3).map(str::to_ascii_uppercase);
    match text.chars().next() {
        Some(c) if base64_char(c) => 1,
        Some('%') if matches!(upper(text).as_deref(), Some("%2B" | "%2F" | "%3D")) => 3,
        _ => 0,
    }
}

/// `text` with every run of [`SECRET_RUN`] or more base64 characters replaced.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut start, mut chars, mut at) = (0, 0, 0);
    while at < text.len() {
        match base64_len(&text[at..]) {
            0 => {
                out.push_str(if chars >= SECRET_RUN { "<redacted>" } else { &text[start..at] });
                let c = text[at..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&text[at..at + c]);
                at += c;
                (start, chars) = (at, 0);
            }
            n => {
                at += n;
                chars += 1;
            }
        }
    }
    out.push_str(if chars >= SECRET_RUN { "<redacted>" } else { &text[start..] });
    out
}

pub fn report(info: &PanicHookInfo<'_>) -> String {
    let message = match (info.payload().downcast_ref::<&str>(), info.payload().downcast_ref::<String>()) {
        (Some(s), _) => s,
        (_, Some(s)) => s.as_str(),
        _ => "Box<dyn Any>",
    };
    let thread = std::thread::current();
    let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())).unwrap_or_default();
    let mut text =
        format!("thread '{}' panicked at {location}:\n{}", thread.name().unwrap_or("<unnamed>"), redact(message));
    let backtrace = Backtrace::capture();
    match backtrace.status() {
        BacktraceStatus::Captured => text.push_str(&format!("\nstack backtrace:\n{backtrace}")),
        _ => text.push_str("\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_shaped_runs_are_blanked_and_the_rest_is_kept() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let token = "FQoGZXIvYXdzEBYaDC1F+QnzIvMvAwby2cRJKfgJ4Onl55Pcpp2QtzKLPX4GsKCLid0zIKfN7RBXebhtpnqL7Iur";
        let message = format!(
            "listing s3://demo-data/logs/2024 as arn:aws:sts::123456789012:assumed-role/Auditor/audit-session \
             (key AKIAIOSFODNN7EXAMPLE) failed: secret {secret}, token=\"{token}\""
        );
        let shown = redact(&message);
        assert!(!shown.contains(secret) && !shown.contains(&token[..30]), "{shown}");
        assert_eq!(
            shown,
            "listing s3://demo-data/logs/2024 as arn:aws:sts::123456789012:assumed-role/Auditor/audit-session \
             (key AKIAIOSFODNN7EXAMPLE) failed: secret <redacted>, token=\"<redacted>\""
        );
    }

    #[test]
    fn a_token_percent_encoded_in_a_url_is_blanked_whole() {
        let token = "FQoGZXIvYXdzEBYa+/C1F+QnzIv/MvAwby2c=RJK+fgJ4O/nl55P+cpp2QtzK/LPX4GsK=CLid0zIK/fN7RBXe+bhtp";
        let encoded = percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC).to_string();
        let url = format!("https://b.s3.amazonaws.com/k?X-Amz-Security-Token={encoded}&X-Amz-Signature=ab12");
        // `Token=` goes too: `=` is base64, and blanking a little more than the secret is fine.
        assert_eq!(redact(&url), "https://b.s3.amazonaws.com/k?X-Amz-Security-<redacted>&X-Amz-Signature=ab12");
        assert_eq!(redact("100% sure, %2F"), "100% sure, %2F", "short runs and stray percents stay");
    }
}
