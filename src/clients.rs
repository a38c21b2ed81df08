//! Builds the AWS SDK clients: one shared base config (region, HTTP connection pool, retries),
//! then an STS client per call site and an S3 client per identity and region.

use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use crate::config::Settings;
use crate::credentials::provider::LeaseProvider;
use crate::response_cap::ResponseCap;

#[derive(Clone, Debug)]
pub struct AwsContext {
    base: SdkConfig,
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
        let base = aws_config::defaults(BehaviorVersion::latest()).region(region.clone()).no_credentials().load().await;
        AwsContext { base, settings: settings.clone(), region }
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
            .interceptor(ResponseCap);
        if let Some(url) = self.settings.sts_endpoint() {
            builder = builder.endpoint_url(url);
        }
        aws_sdk_sts::Client::from_conf(builder.build())
    }

    /// An S3 client reading credentials from the identity's lease on every request (no SDK
    /// identity cache, which would keep serving old credentials after a refresh).
    pub fn s3(&self, lease: LeaseProvider, region: Option<&str>) -> aws_sdk_s3::Client {
        let mut builder = aws_sdk_s3::config::Builder::from(&self.base)
            .credentials_provider(lease)
            .identity_cache(aws_sdk_s3::config::IdentityCache::no_cache())
            .force_path_style(self.settings.force_path_style())
            .interceptor(ResponseCap);
        if let Some(region) = region {
            builder = builder.region(Region::new(region.to_string()));
        }
        if let Some(url) = &self.settings.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        aws_sdk_s3::Client::from_conf(builder.build())
    }
}
