//! `s3lease env`: the identity's credentials as environment variables. One of only two
//! places (with credential-process) where secrets are printed, on purpose, to stdout.
//!
//! The text is built in one buffer sized for the worst case up front, so it never grows
//! (growing copies it and frees the old block unwiped), and wiped when dropped.

use std::fmt::Write;

use zeroize::Zeroizing;

use crate::cli::EnvFormat;
use crate::credentials::Session;
use crate::error::{Error, Result};
use crate::timefmt::rfc3339;

/// A variable to set (`Some`) or unset (`None`).
pub type Var<'a> = (&'static str, Option<&'a str>);

/// Quoting turns one character into at most six (`\u001b` in JSON, `'\''` in sh).
fn capacity(vars: &[Var<'_>]) -> usize {
    vars.iter().map(|(name, value)| name.len() + 6 * value.map_or(0, str::len) + 32).sum::<usize>() + 8
}

fn sh_quoted(out: &mut String, value: &str) {
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str(r"'\''"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

fn fish_quoted(out: &mut String, value: &str) {
    out.push('\'');
    for c in value.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '\'' => out.push_str(r"\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

fn json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

pub fn render(vars: &[Var<'_>], format: EnvFormat) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(capacity(vars)));
    match format {
        EnvFormat::Sh => {
            for (name, value) in vars {
                match value {
                    Some(v) => {
                        let _ = write!(out, "export {name}=");
                        sh_quoted(&mut out, v);
                        out.push('\n');
                    }
                    None => {
                        let _ = writeln!(out, "unset {name}");
                    }
                }
            }
        }
        EnvFormat::Fish => {
            for (name, value) in vars {
                match value {
                    Some(v) => {
                        let _ = write!(out, "set -gx {name} ");
                        fish_quoted(&mut out, v);
                        out.push_str(";\n");
                    }
                    None => {
                        let _ = writeln!(out, "set -e {name};");
                    }
                }
            }
        }
        EnvFormat::Json => {
            out.push('{');
            for (i, (name, value)) in vars.iter().filter_map(|(n, v)| v.map(|v| (n, v))).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(&mut out, name);
                out.push(':');
                json_string(&mut out, value);
            }
            out.push_str("}\n");
        }
    }
    out
}

pub fn run(session: &Session, format: EnvFormat) -> Result<()> {
    let credentials = session
        .lease
        .valid_at(std::time::SystemTime::now())
        .map_err(|e| Error::Expired { identity: e.identity, at: e.at })?;
    let expiration = credentials.expiry().map(rfc3339);
    let vars = [
        ("AWS_ACCESS_KEY_ID", Some(credentials.access_key_id())),
        ("AWS_SECRET_ACCESS_KEY", Some(credentials.secret_access_key())),
        ("AWS_SESSION_TOKEN", credentials.session_token()),
        ("AWS_CREDENTIAL_EXPIRATION", expiration.as_deref()),
    ];
    super::emit_secret(render(&vars, format).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vec<Var<'static>> {
        vec![("AWS_ACCESS_KEY_ID", Some("AK'x\\")), ("AWS_SESSION_TOKEN", None)]
    }

    #[test]
    fn sh_quotes_and_unsets() {
        assert_eq!(
            render(&vars(), EnvFormat::Sh).as_str(),
            "export AWS_ACCESS_KEY_ID='AK'\\''x\\'\nunset AWS_SESSION_TOKEN\n"
        );
    }

    #[test]
    fn fish_quotes_and_erases() {
        assert_eq!(
            render(&vars(), EnvFormat::Fish).as_str(),
            "set -gx AWS_ACCESS_KEY_ID 'AK\\'x\\\\';\nset -e AWS_SESSION_TOKEN;\n"
        );
    }

    #[test]
    fn json_leaves_out_what_is_unset() {
        assert_eq!(render(&vars(), EnvFormat::Json).as_str(), "{\"AWS_ACCESS_KEY_ID\":\"AK'x\\\\\"}\n");
    }

    #[test]
    fn json_escapes_like_serde_json() {
        let value = "a\"b\\c\u{1b}d\ne/f+g=";
        let text = render(&[("K", Some(value))], EnvFormat::Json);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["K"], value);
    }

    #[test]
    fn the_text_is_built_without_ever_growing_its_buffer() {
        // The worst cases for each quoting: every character expands as far as it can.
        let nasty = "'\\\u{1}".repeat(40);
        let vars = [("AWS_SECRET_ACCESS_KEY", Some(nasty.as_str())), ("AWS_SESSION_TOKEN", None)];
        for format in [EnvFormat::Sh, EnvFormat::Fish, EnvFormat::Json] {
            let text = render(&vars, format);
            assert_eq!(text.capacity(), capacity(&vars), "{format:?}: the buffer grew, leaving an unwiped copy");
        }
    }
}
