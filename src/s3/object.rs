//! One object: its details (HeadObject and, where allowed, its tags), a byte range of its
//! content for previews, and presigned links to share it.

// AwsError is returned only on the cold path after a network call; boxing it here buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::PresigningConfig;

use crate::aws_error::{AwsError, AwsErrorKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<SystemTime>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub storage_class: Option<String>,
    /// e.g. `aws:kms (arn:aws:kms:…)` or `AES256`.
    pub encryption: Option<String>,
    pub version_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// `Err` holds why they could not be read (often: the identity may not GetObjectTagging).
    pub tags: Result<BTreeMap<String, String>, String>,
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> Option<SystemTime> {
    t.and_then(|t| SystemTime::try_from(*t).ok())
}

/// One object, or one version of it (`None`: the latest).
#[derive(Debug, Clone, Copy)]
pub struct Version<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub version_id: Option<&'a str>,
}

pub async fn details(client: &aws_sdk_s3::Client, endpoint: &str, object: Version<'_>) -> Result<Details, AwsError> {
    let Version { bucket, key, version_id } = object;
    let location = format!("s3://{bucket}/{key}");
    let head = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_string))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("HeadObject", endpoint, &e).on(location.clone()).in_bucket(bucket))?;
    let tagging = client.get_object_tagging().bucket(bucket).key(key).set_version_id(version_id.map(str::to_string));
    let tags = match tagging.send().await {
        Ok(out) => Ok(out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()),
        Err(e) => Err(AwsError::from_sdk("GetObjectTagging", endpoint, &e).on(location).in_bucket(bucket).to_string()),
    };
    let encryption = head.server_side_encryption().map(|sse| match head.ssekms_key_id() {
        Some(kms) => format!("{} ({kms})", sse.as_str()),
        None => sse.as_str().to_string(),
    });
    Ok(Details {
        key: key.to_string(),
        size: head.content_length().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
        last_modified: time(head.last_modified()),
        etag: head.e_tag().map(|e| e.trim_matches('"').to_string()),
        content_type: head.content_type().map(str::to_string),
        storage_class: Some(head.storage_class().map_or("STANDARD", |c| c.as_str()).to_string()),
        encryption,
        version_id: head.version_id().map(str::to_string),
        metadata: head.metadata().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default(),
        tags,
    })
}

/// Bytes `start..start+len` of an object (fewer at its end), and its total size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub start: u64,
    pub data: Vec<u8>,
    pub total: u64,
}

/// A ranged GET: previews read the first 64 KiB, never the whole object.
pub async fn range(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    object: Version<'_>,
    start: u64,
    len: u64,
) -> Result<Chunk, AwsError> {
    let Version { bucket, key, version_id } = object;
    let location = format!("s3://{bucket}/{key}");
    let fail = |e: String| AwsError::new(AwsErrorKind::Network, "GetObject", endpoint, e).on(location.clone());
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_string))
        .range(format!("bytes={start}-{}", start + len.max(1) - 1))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetObject", endpoint, &e).on(location.clone()).in_bucket(bucket))?;
    // `Content-Range: bytes 0-65535/1048576` carries the total; without it the object was
    // shorter than the range and came whole.
    let total = out.content_range().and_then(|r| r.rsplit('/').next()?.parse().ok());
    let body = out.body.collect().await.map_err(|e| fail(format!("the download broke off: {e}")))?;
    let mut data = body.into_bytes().to_vec();
    // A server may ignore the range and send everything: keep only what was asked for.
    if total.is_none() && start > 0 {
        data.drain(..usize::try_from(start).unwrap_or(usize::MAX).min(data.len()));
    }
    data.truncate(usize::try_from(len).unwrap_or(usize::MAX));
    let total = total.unwrap_or(start + data.len() as u64);
    Ok(Chunk { start, data, total })
}

/// A presigned GET URL valid for `lifetime`.
pub async fn presigned_get(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    key: &str,
    lifetime: Duration,
) -> Result<String, AwsError> {
    let config = PresigningConfig::expires_in(lifetime)
        .map_err(|e| AwsError::new(AwsErrorKind::Validation, "presign", endpoint, e.to_string()))?;
    let request = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
        .map_err(|e| AwsError::from_sdk("GetObject", endpoint, &e).on(format!("s3://{bucket}/{key}")))?;
    Ok(request.uri().to_string())
}
