//! Listing buckets and one page of a prefix at a time. Keys are requested URL-encoded
//! (`encoding-type=url`), as the AWS CLI does, because XML 1.0 cannot carry every character
//! a key may hold; they are decoded here and stay untrusted text from then on.

// AwsError is returned only on the cold path after a network call; boxing it here buys nothing.
#![allow(clippy::result_large_err)]

use std::borrow::Cow;
use std::time::SystemTime;

use aws_sdk_s3::types::EncodingType;
use serde::Serialize;

use crate::aws_error::{AwsError, AwsErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub name: String,
    pub created: Option<SystemTime>,
    /// As reported by ListBuckets (newer endpoints do; others leave it out).
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Object {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<SystemTime>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

/// One ListObjectsV2 page: common prefixes (with a delimiter) and objects, in key order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub prefixes: Vec<String>,
    pub objects: Vec<Object>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<String>,
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> Option<SystemTime> {
    t.and_then(|t| SystemTime::try_from(*t).ok())
}

/// Decodes an `encoding-type=url` value the way botocore does (`unquote_plus`): S3 encodes a
/// literal `+` as `%2B`, so a bare `+` is a space.
pub fn decode_key(encoded: &str) -> String {
    let spaced: Cow<str> =
        if encoded.contains('+') { Cow::Owned(encoded.replace('+', " ")) } else { Cow::Borrowed(encoded) };
    percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

pub async fn list_buckets(client: &aws_sdk_s3::Client, endpoint: &str) -> Result<Vec<Bucket>, AwsError> {
    const OP: &str = "ListBuckets";
    let mut buckets = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_buckets()
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, endpoint, &e))?;
        buckets.extend(out.buckets().iter().filter_map(|b| {
            Some(Bucket {
                name: b.name()?.to_string(),
                created: time(b.creation_date()),
                region: b.bucket_region().map(str::to_string),
            })
        }));
        match out.continuation_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(buckets),
        }
    }
}

/// One page under `prefix`. With `delimiter` (`/`) it is one level, sub-prefixes apart;
/// without, every key below.
pub async fn list_page(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    continuation: Option<String>,
) -> Result<Page, AwsError> {
    const OP: &str = "ListObjectsV2";
    let out = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .set_delimiter(delimiter.map(str::to_string))
        .encoding_type(EncodingType::Url)
        .set_continuation_token(continuation)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(OP, endpoint, &e).on(format!("s3://{bucket}/{prefix}")).in_bucket(bucket))?;
    // Endpoints that ignore encoding-type answer without echoing it: take their keys as they are.
    let encoded = out.encoding_type().is_some();
    let decode = |k: &str| if encoded { decode_key(k) } else { k.to_string() };
    let prefixes = out.common_prefixes().iter().filter_map(|p| p.prefix().map(decode)).collect();
    let objects = out
        .contents()
        .iter()
        .filter_map(|o| {
            Some(Object {
                key: decode(o.key()?),
                size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                last_modified: time(o.last_modified()),
                etag: o.e_tag().map(str::to_string),
                storage_class: o.storage_class().map(|c| c.as_str().to_string()),
            })
        })
        .collect();
    let next = match (out.is_truncated(), out.next_continuation_token()) {
        (Some(true), Some(token)) if !token.is_empty() => Some(token.to_string()),
        // Taking this page for the last would end the listing short without a word.
        (Some(true), _) => {
            let message = "the page says more follow (IsTruncated) but gives no NextContinuationToken to ask for them";
            let e = AwsError::new(AwsErrorKind::BadResponse, OP, endpoint, message);
            return Err(e.on(format!("s3://{bucket}/{prefix}")).in_bucket(bucket));
        }
        _ => None,
    };
    Ok(Page { prefixes, objects, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_unquote_plus() {
        assert_eq!(decode_key("odd/with%20space.txt"), "odd/with space.txt");
        assert_eq!(decode_key("odd/with+space.txt"), "odd/with space.txt");
        assert_eq!(decode_key("odd/a%2Bb%3Dc.txt"), "odd/a+b=c.txt");
        assert_eq!(decode_key("odd/100%25.txt"), "odd/100%.txt");
        assert_eq!(decode_key("odd/percent%2520literal.txt"), "odd/percent%20literal.txt");
        assert_eq!(decode_key("unicod%C3%A9"), "unicodé");
        assert_eq!(decode_key("esc%1B%5B31m"), "esc\u{1b}[31m");
        assert_eq!(decode_key("plain"), "plain");
    }
}
