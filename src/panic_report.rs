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

/// `text` with every run of [`SECRET_RUN`] or more base64 characters replaced.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= SECRET_RUN {
            out.push_str("<redacted>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if base64_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
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
}
