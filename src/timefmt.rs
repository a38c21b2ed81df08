//! Timestamps as users and scripts see them: RFC 3339 in UTC, and `aws s3 ls`-style listings.

use std::time::SystemTime;

use jiff::Timestamp;

fn timestamp(t: SystemTime) -> Timestamp {
    // Out-of-range times (before 9999 BC or after 9999 AD) cannot come from AWS; clamp rather than panic.
    Timestamp::try_from(t).unwrap_or(if t < SystemTime::UNIX_EPOCH { Timestamp::MIN } else { Timestamp::MAX })
}

/// `2026-11-23T07:14:11Z`, at whole seconds, as `AWS_CREDENTIAL_EXPIRATION` and credential_process expect.
pub fn rfc3339(t: SystemTime) -> String {
    timestamp(t).strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `2026-11-23 07:14:11`, the column format of `aws s3 ls` (always UTC here, so output is stable).
pub fn listing(t: SystemTime) -> String {
    timestamp(t).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// `07:14:11`, for times within the session's lifetime.
pub fn clock(t: SystemTime) -> String {
    timestamp(t).strftime("%H:%M:%S").to_string()
}

pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    text.trim().parse::<Timestamp>().ok().map(SystemTime::from)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn formats_and_parses() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_418_051);
        assert_eq!(rfc3339(t), "2026-11-23T07:14:11Z");
        assert_eq!(listing(t), "2026-11-23 07:14:11");
        assert_eq!(clock(t), "07:14:11");
        assert_eq!(parse_rfc3339("2026-11-23T07:14:11Z"), Some(t));
        assert_eq!(parse_rfc3339("2026-11-23T08:14:11+01:00"), Some(t));
        assert_eq!(parse_rfc3339("tomorrow"), None);
    }
}
