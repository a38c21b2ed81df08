//! Builds the AWS SDK clients: one shared base config (region, HTTP connection pool, retries),
//! then an STS client per call site and an S3 client per identity and region.

use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::complete_xml::CompleteXml;
use crate::config::Settings;
use crate::credentials::provider::LeaseProvider;
use crate::response_cap::ResponseCap;

/// Attempts per call, the first included. Throttling, 5xx answers, refused or broken
/// connections and answers cut off on the way are retried; the rest fail at once.
pub const MAX_ATTEMPTS: u32 = 5;
/// The first retry waits up to this long (jittered), doubling for each one after: at most
/// 0.25 + 0.5 + 1 + 2 s in all, so a server that stays away is reported within seconds while
/// a blip (one 503, one reset) passes unnoticed. The SDK's default of 1 s would keep the UI
/// waiting up to four times as long for the same four retries.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(250);

/// The retry policy of every client: standard mode (with its retry quota, so a dead endpoint
/// does not draw a retry storm), [`MAX_ATTEMPTS`] and [`INITIAL_BACKOFF`].
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS).with_initial_backoff(INITIAL_BACKOFF)
}

fn is_plain_http(endpoint: Option<&str>) -> bool {
    endpoint.is_some_and(|url| url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://")))
}

/// An HTTP client for `http://` endpoints (moto, MinIO, the demo): it never loads the system's
/// root certificates, which the default client reads on its first request whatever the scheme,
/// about 25 ms of every `s3lease ls` against a local endpoint. `None` where the default is
/// needed: no plain endpoint, or a proxy set in the environment (the default client honours it).
fn plain_http_client(settings: &Settings) -> Option<SharedHttpClient> {
    let plain = is_plain_http(settings.endpoint_url.as_deref()) || is_plain_http(settings.sts_endpoint());
    let proxied = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"].iter().any(|v| std::env::var_os(v).is_some());
    if !plain || proxied {
        return None;
    }
    let context = TlsContext::builder().with_trust_store(TrustStore::empty()).build().ok()?;
    let provider = tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc);
    Some(aws_smithy_http_client::Builder::new().tls_provider(provider).tls_context(context).build_https())
}

/// `connect_timeout` and `read_timeout` from the settings. The read timeout covers the wait for
/// an answer's head only: downloads guard each piece of the body themselves (see
/// `transfer::download`), and other bodies are bounded by the SDK's stalled-stream check.
pub fn timeout_config(settings: &Settings) -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(settings.connect_timeout)
        .read_timeout(settings.read_timeout)
        .build()
}

/// The SDK's own grace period for a body that stops coming (under 1 byte a second).
const SDK_STALL_GRACE: Duration = Duration::from_secs(20);

/// A listing's body that stops mid-way is given up on after `read_timeout` too, when that is
/// shorter than the SDK's 20 s; a longer `read_timeout` is for slow starts, and a body that
/// sends nothing for 20 s is not slow but stuck.
pub fn stalled_stream_config(settings: &Settings) -> StalledStreamProtectionConfig {
    StalledStreamProtectionConfig::enabled().grace_period(settings.read_timeout.min(SDK_STALL_GRACE)).build()
}

#[derive(Clone, Debug)]
pub struct AwsContext {
    base: SdkConfig,
    /// Shared by every client whose endpoint is plain http, as the base's client is by the rest,
    /// so that each keeps one connection pool.
    plain_http: Option<SharedHttpClient>,
    pub settings: Settings,
    pub region: Region,
}

impl AwsContext {
    /// Resolves the region (settings, then `AWS_REGION` and the profile, then us-east-1).
    pub async fn new(settings: &Settings) -> AwsContext {
        let region = RegionProviderChain::first_try(settings.region.clone().map(Region::new))
            .or_default_provider()
            .or_else(Region::from_static("us-east-1"))
            .region()
            .await
            .unwrap_or_else(|| Region::from_static("us-east-1"));
        let base = aws_config::defaults(BehaviorVersion::latest())
            .region(region.clone())
            .retry_config(retry_config())
            .timeout_config(timeout_config(settings))
            .stalled_stream_protection(stalled_stream_config(settings))
            .no_credentials()
            .load()
            .await;
        AwsContext { base, plain_http: plain_http_client(settings), settings: settings.clone(), region }
    }

    /// Where STS calls go, for error messages.
    pub fn sts_endpoint(&self) -> String {
        match self.settings.sts_endpoint() {
            Some(url) => url.to_string(),
            None => format!("https://sts.{}.amazonaws.com", self.region),
        }
    }

    pub fn s3_endpoint(&self, region: Option<&str>) -> String {
        match &self.settings.endpoint_url {
            Some(url) => url.clone(),
            None => format!("https://s3.{}.amazonaws.com", region.unwrap_or(self.region.as_ref())),
        }
    }

    /// An STS client signing with fixed credentials: the source of one STS call.
    pub fn sts(&self, credentials: Credentials) -> aws_sdk_sts::Client {
        let mut builder = aws_sdk_sts::config::Builder::from(&self.base)
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .interceptor(CompleteXml)
            .interceptor(ResponseCap);
        if let Some(url) = self.settings.sts_endpoint() {
            builder = builder.endpoint_url(url);
        }
        if let Some(http) = self.plain_http.clone().filter(|_| is_plain_http(self.settings.sts_endpoint())) {
            builder = builder.http_client(http);
        }
        aws_sdk_sts::Client::from_conf(builder.build())
    }

    /// An S3 client reading credentials from the identity's lease on every request (no SDK
    /// identity cache, which would keep serving old credentials after a refresh).
    pub fn s3(&self, lease: LeaseProvider, region: Option<&str>) -> aws_sdk_s3::Client {
        let mut builder = aws_sdk_s3::config::Builder::from(&self.base)
            .credentials_provider(lease)
            .identity_cache(aws_sdk_s3::config::IdentityCache::no_cache())
            .interceptor(CompleteXml)
            .interceptor(ResponseCap)
            .force_path_style(self.settings.force_path_style());
        if let Some(region) = region {
            builder = builder.region(Region::new(region.to_string()));
        }
        if let Some(url) = &self.settings.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        if let Some(http) = self.plain_http.clone().filter(|_| is_plain_http(self.settings.endpoint_url.as_deref())) {
            builder = builder.http_client(http);
        }
        aws_sdk_s3::Client::from_conf(builder.build())
    }
}
