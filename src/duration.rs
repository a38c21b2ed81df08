//! Human durations (`"15m"`, `"1h30m"`, `"900s"`) for config values and CLI flags, and the
//! countdown format (`42m 10s`) shown to users.

use std::fmt;
use std::time::Duration;

/// Why a duration string was refused; the caller adds which field it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a duration: {reason} (write it like \"15m\", \"1h30m\" or \"900s\")")]
pub struct DurationError {
    pub input: String,
    pub reason: &'static str,
}

/// Parses `<number><unit>` groups with units `h`, `m`, `s`, largest first, each at most once.
pub fn parse(input: &str) -> Result<Duration, DurationError> {
    let err = |reason| DurationError { input: input.to_string(), reason };
    let text = input.trim();
    if text.is_empty() {
        return Err(err("it is empty"));
    }
    let mut total: u64 = 0;
    let mut last_rank = usize::MAX;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err("each part must start with a whole number"));
        }
        let (number, tail) = rest.split_at(digits);
        let value: u64 = number.parse().map_err(|_| err("the number is too large"))?;
        let unit = tail.chars().next().ok_or_else(|| err("the last number has no unit (h, m or s)"))?;
        let (rank, seconds) = match unit {
            'h' => (2, 3600),
            'm' => (1, 60),
            's' => (0, 1),
            _ => return Err(err("units are h, m and s")),
        };
        if rank >= last_rank {
            return Err(err("units must go from largest to smallest, each once"));
        }
        last_rank = rank;
        total = value
            .checked_mul(seconds)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| err("the number is too large"))?;
        rest = &tail[unit.len_utf8()..];
    }
    Ok(Duration::from_secs(total))
}

/// A duration written the way `parse` reads it, e.g. `1h30m`, `15m`, `0s`.
pub struct Compact(pub Duration);

impl fmt::Display for Compact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        if secs == 0 {
            return f.write_str("0s");
        }
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

/// Time left on a countdown, at second precision and with the two largest units:
/// `1h 05m`, `42m 10s`, `9s`.
pub struct Countdown(pub Duration);

impl fmt::Display for Countdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.as_secs();
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        if h > 0 {
            write!(f, "{h}h {m:02}m")
        } else if m > 0 {
            write!(f, "{m}m {s:02}s")
        } else {
            write!(f, "{s}s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit_and_combinations() {
        assert_eq!(parse("900s"), Ok(Duration::from_secs(900)));
        assert_eq!(parse("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("36h"), Ok(Duration::from_secs(129_600)));
        assert_eq!(parse("1h2m3s"), Ok(Duration::from_secs(3723)));
        assert_eq!(parse(" 10m "), Ok(Duration::from_secs(600)));
    }

    #[test]
    fn refuses_malformed_input_with_a_reason() {
        for (input, reason) in [
            ("", "it is empty"),
            ("15", "the last number has no unit (h, m or s)"),
            ("m", "each part must start with a whole number"),
            ("15 m", "units are h, m and s"),
            ("1d", "units are h, m and s"),
            ("30m1h", "units must go from largest to smallest, each once"),
            ("1m1m", "units must go from largest to smallest, each once"),
            ("-5m", "each part must start with a whole number"),
            ("99999999999999999999s", "the number is too large"),
            ("9999999999999999h", "the number is too large"),
        ] {
            let err = parse(input).unwrap_err();
            assert_eq!(err.reason, reason, "input {input:?}");
            assert!(err.to_string().contains("\"1h30m\""), "message shows the fix: {err}");
        }
    }

    #[test]
    fn compact_round_trips_through_parse() {
        for secs in [0, 1, 59, 60, 900, 3600, 5400, 3723, 129_600] {
            let text = Compact(Duration::from_secs(secs)).to_string();
            assert_eq!(parse(&text), Ok(Duration::from_secs(secs)), "{text}");
        }
    }

    #[test]
    fn countdown_shows_the_two_largest_units() {
        let c = |s| Countdown(Duration::from_secs(s)).to_string();
        assert_eq!(c(0), "0s");
        assert_eq!(c(9), "9s");
        assert_eq!(c(60), "1m 00s");
        assert_eq!(c(42 * 60 + 10), "42m 10s");
        assert_eq!(c(3600 + 5 * 60 + 59), "1h 05m");
        assert_eq!(c(36 * 3600), "36h 00m");
    }
}
