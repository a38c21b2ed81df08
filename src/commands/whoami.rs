//! `s3lease whoami`: start an identity and say who it is and for how long.

use std::time::SystemTime;

use serde::Serialize;

use crate::credentials::Session;
use crate::duration::Countdown;
use crate::error::Result;
use crate::escape::untrusted;
use crate::timefmt::rfc3339;

#[derive(Serialize)]
struct Whoami<'a> {
    identity: &'a str,
    kind: &'a str,
    chain: &'a str,
    arn: Option<&'a str>,
    expires_at: Option<String>,
}

/// `in 59m 58s`, or `expired 3s ago`.
pub fn time_left(expires_at: SystemTime, now: SystemTime) -> String {
    match expires_at.duration_since(now) {
        Ok(left) => format!("in {}", Countdown(left)),
        Err(e) => format!("expired {} ago", Countdown(e.duration())),
    }
}

pub fn run(session: &Session, json: bool) -> Result<()> {
    let info = &session.info;
    super::emit(|out| {
        if json {
            let body = Whoami {
                identity: &info.identity,
                kind: info.kind,
                chain: &info.chain,
                arn: info.arn.as_deref(),
                expires_at: info.expires_at.map(rfc3339),
            };
            crate::escape::json_to_writer(&mut *out, &body)?;
            return writeln!(out);
        }
        let expires = match info.expires_at {
            Some(at) => format!("{} ({})", rfc3339(at), time_left(at, SystemTime::now())),
            None => "never (long-term keys)".to_string(),
        };
        writeln!(out, "identity  {}", untrusted(&info.identity))?;
        writeln!(out, "kind      {}", info.kind)?;
        writeln!(out, "chain     {}", untrusted(&info.chain))?;
        writeln!(out, "arn       {}", untrusted(info.arn.as_deref().unwrap_or("(unknown)")))?;
        writeln!(out, "expires   {expires}")?;
        if let Some(size) = info.packed_policy_size {
            writeln!(out, "policy    {size}% of the packed session policy limit used")?;
        }
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn time_left_reads_both_ways() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(time_left(now + Duration::from_secs(3598), now), "in 59m 58s");
        assert_eq!(time_left(now - Duration::from_secs(3), now), "expired 3s ago");
    }
}
