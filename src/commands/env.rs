//! `s3lease env`: the identity's credentials as environment variables. One of only two
//! places (with credential-process) where secrets are printed, on purpose, to stdout.

use crate::cli::EnvFormat;
use crate::credentials::Session;
use crate::error::{Error, Result};
use crate::timefmt::rfc3339;

/// The variables to set (`Some`) or unset (`None`), in a fixed order.
fn variables(session: &Session) -> Result<Vec<(&'static str, Option<String>)>> {
    let credentials = session
        .lease
        .valid_at(std::time::SystemTime::now())
        .map_err(|e| Error::Expired { identity: e.identity, at: e.at })?;
    Ok(vec![
        ("AWS_ACCESS_KEY_ID", Some(credentials.access_key_id().to_string())),
        ("AWS_SECRET_ACCESS_KEY", Some(credentials.secret_access_key().to_string())),
        ("AWS_SESSION_TOKEN", credentials.session_token().map(str::to_string)),
        ("AWS_CREDENTIAL_EXPIRATION", credentials.expiry().map(rfc3339)),
    ])
}

fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

pub fn render(vars: &[(&'static str, Option<String>)], format: EnvFormat) -> String {
    let mut out = String::new();
    match format {
        EnvFormat::Sh => {
            for (name, value) in vars {
                match value {
                    Some(v) => out.push_str(&format!("export {name}={}\n", sh_quote(v))),
                    None => out.push_str(&format!("unset {name}\n")),
                }
            }
        }
        EnvFormat::Fish => {
            for (name, value) in vars {
                match value {
                    Some(v) => out.push_str(&format!("set -gx {name} {};\n", fish_quote(v))),
                    None => out.push_str(&format!("set -e {name};\n")),
                }
            }
        }
        EnvFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = vars
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_string(), serde_json::Value::String(v.clone()))))
                .collect();
            out = serde_json::Value::Object(map).to_string();
            out.push('\n');
        }
    }
    out
}

pub fn run(session: &Session, format: EnvFormat) -> Result<()> {
    let text = render(&variables(session)?, format);
    super::emit(|out| out.write_all(text.as_bytes()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vec<(&'static str, Option<String>)> {
        vec![("AWS_ACCESS_KEY_ID", Some("AK'x\\".into())), ("AWS_SESSION_TOKEN", None)]
    }

    #[test]
    fn sh_quotes_and_unsets() {
        assert_eq!(render(&vars(), EnvFormat::Sh), "export AWS_ACCESS_KEY_ID='AK'\\''x\\'\nunset AWS_SESSION_TOKEN\n");
    }

    #[test]
    fn fish_quotes_and_erases() {
        assert_eq!(
            render(&vars(), EnvFormat::Fish),
            "set -gx AWS_ACCESS_KEY_ID 'AK\\'x\\\\';\nset -e AWS_SESSION_TOKEN;\n"
        );
    }

    #[test]
    fn json_leaves_out_what_is_unset() {
        assert_eq!(render(&vars(), EnvFormat::Json), "{\"AWS_ACCESS_KEY_ID\":\"AK'x\\\\\"}\n");
    }
}
