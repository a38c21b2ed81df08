//! `s3lease credential-process`: the AWS `credential_process` format (Version 1), so the AWS
//! CLI and every SDK can use an s3lease identity:
//! `credential_process = s3lease credential-process --identity audit`.

use serde::Serialize;

use crate::credentials::Session;
use crate::error::{Error, Result};
use crate::timefmt::rfc3339;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
}

pub fn run(session: &Session) -> Result<()> {
    let credentials = session
        .lease
        .valid_at(std::time::SystemTime::now())
        .map_err(|e| Error::Expired { identity: e.identity, at: e.at })?;
    let body = Output {
        version: 1,
        access_key_id: credentials.access_key_id(),
        secret_access_key: credentials.secret_access_key(),
        session_token: credentials.session_token(),
        expiration: credentials.expiry().map(rfc3339),
    };
    // Sized for the worst escaping up front: a buffer that grows leaves unwiped copies behind.
    let secrets = body.secret_access_key.len() + body.session_token.map_or(0, str::len) + body.access_key_id.len();
    let mut text = zeroize::Zeroizing::new(Vec::with_capacity(6 * secrets + 256));
    serde_json::to_writer(&mut *text, &body).map_err(|e| Error::io("encoding JSON", e.into()))?;
    text.push(b'\n');
    super::emit_secret(&text)
}
