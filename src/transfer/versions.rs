//! The versions and delete markers of one key. ListObjectVersions lists a prefix, so asking
//! for `report` also returns `report.bak` and `reports/…`: only entries whose key is exactly
//! the one asked for are kept.

// AwsError is returned only on the cold path after a network call; boxing it here buys nothing.
#![allow(clippy::result_large_err)]

use std::time::SystemTime;

use aws_sdk_s3::types::EncodingType;

use crate::aws_error::{AwsError, AwsErrorKind};
use crate::s3::list::decode_key;
use crate::s3::token_guard::TokenGuard;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub key: String,
    /// `null` for an object written before versioning was enabled.
    pub version_id: Option<String>,
    pub is_delete_marker: bool,
    pub is_latest: bool,
    /// `None` for a delete marker.
    pub size: Option<u64>,
    pub last_modified: Option<SystemTime>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> Option<SystemTime> {
    t.and_then(|t| SystemTime::try_from(*t).ok())
}

/// Every version and delete marker of `key`, the latest first, then newest to oldest.
pub async fn list_versions(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    key: &str,
) -> Result<Vec<Version>, AwsError> {
    list_versions_paged(client, endpoint, bucket, key, None).await
}

/// [`list_versions`] with at most `page_size` entries per request (S3's default, 1,000, when
/// `None`): small pages exercise the markers that continue a listing inside one key's versions.
pub async fn list_versions_paged(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    key: &str,
    page_size: Option<i32>,
) -> Result<Vec<Version>, AwsError> {
    const OP: &str = "ListObjectVersions";
    let location = format!("s3://{bucket}/{key}");
    let mut versions = Vec::new();
    let mut markers: (Option<String>, Option<String>) = (None, None);
    let mut guard = TokenGuard::new();
    loop {
        let out = client
            .list_object_versions()
            .bucket(bucket)
            .prefix(key)
            .encoding_type(EncodingType::Url)
            .set_key_marker(markers.0.clone())
            .set_version_id_marker(markers.1.clone())
            .set_max_keys(page_size)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, endpoint, &e).on(location.clone()).in_bucket(bucket))?;
        // With encoding-type=url, keys and key markers come encoded; endpoints that ignore it
        // do not echo it back and send them as they are.
        let encoded = out.encoding_type().is_some();
        let decode = |k: &str| if encoded { decode_key(k) } else { k.to_string() };
        for v in out.versions() {
            if v.key().map(decode).as_deref() == Some(key) {
                versions.push(Version {
                    key: key.to_string(),
                    version_id: v.version_id().map(str::to_string),
                    is_delete_marker: false,
                    is_latest: v.is_latest().unwrap_or(false),
                    size: v.size().and_then(|s| u64::try_from(s).ok()),
                    last_modified: time(v.last_modified()),
                    etag: v.e_tag().map(str::to_string),
                    storage_class: v.storage_class().map(|c| c.as_str().to_string()),
                });
            }
        }
        for m in out.delete_markers() {
            if m.key().map(decode).as_deref() == Some(key) {
                versions.push(Version {
                    key: key.to_string(),
                    version_id: m.version_id().map(str::to_string),
                    is_delete_marker: true,
                    is_latest: m.is_latest().unwrap_or(false),
                    size: None,
                    last_modified: time(m.last_modified()),
                    etag: None,
                    storage_class: None,
                });
            }
        }
        if out.is_truncated() != Some(true) {
            break;
        }
        let next_key = out.next_key_marker().map(decode);
        // Keys are listed in order and `key` sorts before every other key it prefixes: once the
        // listing moves on to another key, no later page can hold `key` again.
        if next_key.as_deref() != Some(key) {
            break;
        }
        let next_version = out.next_version_id_marker().map(str::to_string);
        // The key marker is `key` on every page that gets here, so the version-id marker
        // alone says where the listing is.
        if let Err(refused) = guard.follow(next_version.as_deref().unwrap_or_default()) {
            let message = format!(
                "the answer from {endpoint} is malformed: it has {}; s3lease stopped rather than loop over the same pages",
                refused.what("version-id marker")
            );
            return Err(AwsError::new(AwsErrorKind::Other, OP, endpoint, message).on(location).in_bucket(bucket));
        }
        markers = (next_key, next_version);
    }
    // S3 lists a key's versions newest first but delete markers apart from them; merge.
    versions.sort_by(|a, b| b.is_latest.cmp(&a.is_latest).then(b.last_modified.cmp(&a.last_modified)));
    Ok(versions)
}
