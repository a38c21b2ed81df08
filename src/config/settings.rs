//! `[settings]`: where to connect and when to warn about and refresh expiring credentials.

use std::time::Duration;

use serde::Deserialize;

use crate::identity::HumanDuration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `None`: the AWS region chain (`AWS_REGION`, the profile), then `us-east-1`.
    pub region: Option<String>,
    /// For S3-compatible stores and local servers; also used for STS unless `sts_endpoint_url` is set.
    pub endpoint_url: Option<String>,
    pub sts_endpoint_url: Option<String>,
    /// `None`: path-style when a custom endpoint is set (what S3-compatible stores expect).
    pub path_style: Option<bool>,
    pub warn_before: Duration,
    pub critical_before: Duration,
    pub refresh_before: Duration,
    pub auto_refresh: bool,
    /// Let sessions be shorter than real STS's 15 minute minimum; only with a custom STS endpoint.
    pub allow_short_durations: bool,
    /// The UI refuses uploads and deletes (`--read-only` sets it too).
    pub read_only: bool,
    /// Files a download or upload moves at once.
    pub transfer_concurrency: usize,
    /// Folders a recursive listing lists at once (1: page after page).
    pub list_concurrency: usize,
    /// How long an answer may keep s3lease waiting: for its first byte, and between two
    /// pieces of a download's body. Past it the call is retried, then reported.
    pub read_timeout: Duration,
    /// How long opening a connection to an endpoint may take.
    pub connect_timeout: Duration,
    /// Check a download's MD5 against a plain ETag. Off only for S3-compatible stores whose
    /// ETags are not MD5 digests of the data (checksums and sizes are still checked).
    pub verify_md5: bool,
}

/// More requests than this at once gain nothing on one link and only invite throttling.
pub const MAX_CONCURRENCY: usize = 64;

/// The AWS CLI's read timeout. S3 answers a request within a second or two, but a
/// ListObjectsV2 page of a huge bucket or a busy S3-compatible store can take tens of seconds
/// to start answering; a minute reports a hung server without cutting off a slow one.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Shorter than the AWS CLI's 60 s: a reachable endpoint completes the handshake in well under
/// a second, and 5 s still covers the kernel's first two SYN retransmissions (at 1 s and 3 s)
/// on a lossy link, while a black-holed endpoint is reported after its five attempts in under
/// half a minute, not five minutes.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longer than this is no timeout at all: the UI would look frozen.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60 * 60);

impl Default for Settings {
    fn default() -> Self {
        Settings {
            region: None,
            endpoint_url: None,
            sts_endpoint_url: None,
            path_style: None,
            warn_before: Duration::from_secs(10 * 60),
            critical_before: Duration::from_secs(2 * 60),
            refresh_before: Duration::from_secs(5 * 60),
            auto_refresh: true,
            allow_short_durations: false,
            read_only: false,
            transfer_concurrency: 4,
            list_concurrency: 8,
            read_timeout: DEFAULT_READ_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            verify_md5: true,
        }
    }
}

impl Settings {
    pub fn sts_endpoint(&self) -> Option<&str> {
        self.sts_endpoint_url.as_deref().or(self.endpoint_url.as_deref())
    }

    pub fn force_path_style(&self) -> bool {
        self.path_style.unwrap_or(self.endpoint_url.is_some())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSettings {
    region: Option<String>,
    endpoint_url: Option<String>,
    sts_endpoint_url: Option<String>,
    path_style: Option<bool>,
    warn_before: Option<HumanDuration>,
    critical_before: Option<HumanDuration>,
    refresh_before: Option<HumanDuration>,
    auto_refresh: Option<bool>,
    allow_short_durations: Option<bool>,
    read_only: Option<bool>,
    transfer_concurrency: Option<i64>,
    list_concurrency: Option<i64>,
    read_timeout: Option<HumanDuration>,
    connect_timeout: Option<HumanDuration>,
    verify_md5: Option<bool>,
}

fn endpoint(key: &str, value: Option<String>) -> Result<Option<String>, (String, String)> {
    let Some(url) = value else { return Ok(None) };
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(Some(url.trim_end_matches('/').to_string()))
        }
        _ => Err((
            key.to_string(),
            format!("`{url}` is not an http:// or https:// URL; write it like \"http://127.0.0.1:9000\""),
        )),
    }
}

fn concurrency(key: &str, value: Option<i64>, default: usize) -> Result<usize, (String, String)> {
    match value {
        None => Ok(default),
        Some(n) => usize::try_from(n).ok().filter(|n| (1..=MAX_CONCURRENCY).contains(n)).ok_or_else(|| {
            (
                key.to_string(),
                format!("is {n}; it must be between 1 and {MAX_CONCURRENCY} at once: write e.g. {key} = {default}"),
            )
        }),
    }
}

fn timeout(key: &str, value: Option<HumanDuration>, default: Duration) -> Result<Duration, (String, String)> {
    use crate::duration::Compact;
    let Some(HumanDuration(value)) = value else { return Ok(default) };
    if value.is_zero() || value > MAX_TIMEOUT {
        return Err((
            key.to_string(),
            format!(
                "is {}; it must be between 1s and {}: write e.g. {key} = \"{}\"",
                Compact(value),
                Compact(MAX_TIMEOUT),
                Compact(default)
            ),
        ));
    }
    Ok(value)
}

impl RawSettings {
    /// Returns the settings, or the offending key and a message naming the limit and the fix.
    pub(crate) fn resolve(self) -> Result<Settings, (String, String)> {
        let d = Settings::default();
        let settings = Settings {
            region: self.region.filter(|r| !r.is_empty()),
            endpoint_url: endpoint("endpoint_url", self.endpoint_url)?,
            sts_endpoint_url: endpoint("sts_endpoint_url", self.sts_endpoint_url)?,
            path_style: self.path_style,
            warn_before: self.warn_before.map_or(d.warn_before, |h| h.0),
            critical_before: self.critical_before.map_or(d.critical_before, |h| h.0),
            refresh_before: self.refresh_before.map_or(d.refresh_before, |h| h.0),
            auto_refresh: self.auto_refresh.unwrap_or(d.auto_refresh),
            allow_short_durations: self.allow_short_durations.unwrap_or(false),
            read_only: self.read_only.unwrap_or(false),
            transfer_concurrency: concurrency(
                "transfer_concurrency",
                self.transfer_concurrency,
                d.transfer_concurrency,
            )?,
            list_concurrency: concurrency("list_concurrency", self.list_concurrency, d.list_concurrency)?,
            read_timeout: timeout("read_timeout", self.read_timeout, d.read_timeout)?,
            connect_timeout: timeout("connect_timeout", self.connect_timeout, d.connect_timeout)?,
            verify_md5: self.verify_md5.unwrap_or(d.verify_md5),
        };
        if settings.critical_before > settings.warn_before {
            return Err((
                "critical_before".into(),
                format!(
                    "is {}, longer than warn_before ({}); the critical state must come after the warning: make critical_before at most warn_before",
                    crate::duration::Compact(settings.critical_before),
                    crate::duration::Compact(settings.warn_before)
                ),
            ));
        }
        if settings.allow_short_durations && settings.sts_endpoint().is_none() {
            return Err((
                "allow_short_durations".into(),
                "is only for local test servers: real STS refuses sessions under 15 minutes; set endpoint_url or sts_endpoint_url, or remove it".into(),
            ));
        }
        Ok(settings)
    }
}
