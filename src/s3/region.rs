//! Buckets live in regions, and S3 answers a request signed for the wrong one with a redirect.
//! Each bucket's region is looked up once (HeadBucket's `x-amz-bucket-region`, which S3 sends
//! even on a redirect or a denial) and requests then go through a client for that region.
//!
//! A one-shot command cannot amortise that lookup, so it guesses instead ([`Regions::guess`]):
//! most buckets live in the configured region, and S3's refusal of a wrong guess names the
//! right one ([`Regions::learn`]), as the AWS CLI's redirect handling does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_s3::operation::head_bucket::HeadBucketError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use futures::StreamExt;

use super::Bucket;
use crate::clients::AwsContext;
use crate::credentials::Session;

/// At most this many bucket regions are looked up for one bucket list (one HEAD each).
const LOOKUP_LIMIT: usize = 200;
const LOOKUP_CONCURRENCY: usize = 8;

#[derive(Clone)]
pub struct Regions {
    aws: AwsContext,
    buckets: Arc<Mutex<HashMap<String, String>>>,
    clients: Arc<Mutex<HashMap<(String, String), aws_sdk_s3::Client>>>,
}

fn region_header(err: &SdkError<HeadBucketError, HttpResponse>) -> Option<String> {
    let raw = match err {
        SdkError::ServiceError(e) => e.raw(),
        SdkError::ResponseError(e) => e.raw(),
        _ => return None,
    };
    raw.headers().get("x-amz-bucket-region").map(str::to_string)
}

impl Regions {
    pub fn new(aws: AwsContext) -> Self {
        Regions { aws, buckets: Arc::default(), clients: Arc::default() }
    }

    fn cached(&self, bucket: &str) -> Option<String> {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).get(bucket).cloned()
    }

    /// The bucket's region, or `None` when S3 will not say (then the default region is used).
    pub async fn region_of(&self, session: &Session, bucket: &str) -> Option<String> {
        if let Some(region) = self.cached(bucket) {
            return Some(region);
        }
        let region = match session.s3.head_bucket().bucket(bucket).send().await {
            Ok(out) => out.bucket_region().map(str::to_string),
            Err(e) => region_header(&e),
        }?;
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).insert(bucket.to_string(), region.clone());
        Some(region)
    }

    /// A client for the session's identity in the bucket's region.
    pub async fn client_for(&self, session: &Session, bucket: &str) -> aws_sdk_s3::Client {
        let region = self.region_of(session, bucket).await;
        self.client_in(session, region)
    }

    /// A client for the bucket's region if it is known, else for the configured one; no request.
    pub fn guess(&self, session: &Session, bucket: &str) -> aws_sdk_s3::Client {
        self.client_in(session, self.cached(bucket))
    }

    /// Records the region S3 named for `bucket` (see [`crate::aws_error::AwsError::bucket_region`])
    /// and returns a client for it, or `None` if the guess was already that region: sending
    /// again would be refused again.
    pub fn learn(
        &self,
        session: &Session,
        bucket: &str,
        region: &str,
        guessed: &aws_sdk_s3::Client,
    ) -> Option<aws_sdk_s3::Client> {
        if guessed.config().region().map(|r| r.as_ref()) == Some(region) {
            return None;
        }
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).insert(bucket.to_string(), region.to_string());
        Some(self.client_in(session, Some(region.to_string())))
    }

    fn client_in(&self, session: &Session, region: Option<String>) -> aws_sdk_s3::Client {
        match region {
            Some(region) if region != self.aws.region.as_ref() => {
                let key = (session.info.identity.clone(), region.clone());
                let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
                clients.entry(key).or_insert_with(|| self.aws.s3(session.lease.clone(), Some(&region))).clone()
            }
            _ => session.s3.clone(),
        }
    }

    /// Fills in the regions ListBuckets left out (endpoints other than AWS often do).
    pub async fn fill(&self, session: &Session, buckets: &mut [Bucket]) {
        for bucket in buckets.iter_mut() {
            match &bucket.region {
                Some(region) => {
                    self.buckets.lock().unwrap_or_else(|p| p.into_inner()).insert(bucket.name.clone(), region.clone());
                }
                None => bucket.region = self.cached(&bucket.name),
            }
        }
        let missing: Vec<String> =
            buckets.iter().filter(|b| b.region.is_none()).take(LOOKUP_LIMIT).map(|b| b.name.clone()).collect();
        let found: HashMap<String, String> = futures::stream::iter(missing)
            .map(|name| async move { self.region_of(session, &name).await.map(|r| (name, r)) })
            .buffer_unordered(LOOKUP_CONCURRENCY)
            .filter_map(|pair| async move { pair })
            .collect()
            .await;
        for bucket in buckets.iter_mut().filter(|b| b.region.is_none()) {
            bucket.region = found.get(&bucket.name).cloned();
        }
    }
}
