//! Listing buckets and one page of a prefix at a time. Keys are requested URL-encoded
//! (`encoding-type=url`), as the AWS CLI does, because XML 1.0 cannot carry every character
//! a key may hold; they are decoded here and stay untrusted text from then on.

// AwsError is returned only on the cold path after a network call; boxing it here buys nothing.
#![allow(clippy::result_large_err)]

use std::borrow::Cow;
use std::time::SystemTime;

use aws_sdk_s3::types::EncodingType;
use serde::Serialize;

use super::token_guard::{Refused, TokenGuard};
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
    let malformed = |what: String| AwsError::new(AwsErrorKind::Other, OP, endpoint, malformed(endpoint, &what));
    let mut buckets = Vec::new();
    let mut token: Option<String> = None;
    let mut guard = TokenGuard::new();
    loop {
        let out = client
            .list_buckets()
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, endpoint, &e))?;
        for b in out.buckets() {
            let name = b.name().ok_or_else(|| malformed("a bucket without a <Name>".into()))?;
            buckets.push(Bucket {
                name: name.to_string(),
                created: time(b.creation_date()),
                region: b.bucket_region().map(str::to_string),
            });
        }
        match out.continuation_token() {
            Some(next) if !next.is_empty() => {
                if let Err(refused) = guard.follow(next) {
                    return Err(AwsError::new(AwsErrorKind::Other, OP, endpoint, looping(endpoint, &refused)));
                }
                token = Some(next.to_string());
            }
            _ => return Ok(buckets),
        }
    }
}

/// The message for an answer that parsed but cannot be right.
fn malformed(endpoint: &str, what: &str) -> String {
    format!("the answer from {endpoint} is malformed: it has {what}; s3lease stopped rather than guess")
}

/// The message for a listing that would go round in a cycle (or hold without bound) if its
/// next token were followed.
fn looping(endpoint: &str, refused: &Refused) -> String {
    format!(
        "the answer from {endpoint} is malformed: it has {}; s3lease stopped rather than loop over the same pages",
        refused.what("continuation token")
    )
}

/// The error for a ListObjectsV2 listing of `prefix` whose next token `guard` refused.
pub fn refused(endpoint: &str, bucket: &str, prefix: &str, refused: &Refused) -> AwsError {
    AwsError::new(AwsErrorKind::Other, "ListObjectsV2", endpoint, looping(endpoint, refused))
        .on(format!("s3://{bucket}/{prefix}"))
        .in_bucket(bucket)
}

/// Where a listing of `prefix` goes after a page whose next token is `next`: there, unless an
/// earlier page of the same listing (as `guard` keeps them) gave it. Called before the page
/// is used, so nothing of a looping answer is printed or kept.
pub fn follow(
    guard: &mut TokenGuard,
    next: Option<String>,
    endpoint: &str,
    bucket: &str,
    prefix: &str,
) -> Result<Option<String>, AwsError> {
    match next {
        Some(token) => match guard.follow(&token) {
            Ok(()) => Ok(Some(token)),
            Err(e) => Err(refused(endpoint, bucket, prefix, &e)),
        },
        None => Ok(None),
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
        .set_continuation_token(continuation.clone())
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(OP, endpoint, &e).on(format!("s3://{bucket}/{prefix}")).in_bucket(bucket))?;
    // Endpoints that ignore encoding-type answer without echoing it: take their keys as they are.
    let encoded = out.encoding_type().is_some();
    let decode = |k: &str| if encoded { decode_key(k) } else { k.to_string() };
    let malformed = |what: String| {
        AwsError::new(AwsErrorKind::Other, OP, endpoint, malformed(endpoint, &what))
            .on(format!("s3://{bucket}/{prefix}"))
            .in_bucket(bucket)
    };
    let mut prefixes = Vec::with_capacity(out.common_prefixes().len());
    for p in out.common_prefixes() {
        prefixes.push(decode(p.prefix().ok_or_else(|| malformed("a <CommonPrefixes> without a <Prefix>".into()))?));
    }
    let mut objects = Vec::with_capacity(out.contents().len());
    for o in out.contents() {
        let key = decode(o.key().ok_or_else(|| malformed("a <Contents> without a <Key>".into()))?);
        let size = match o.size().map(u64::try_from) {
            Some(Ok(size)) => size,
            Some(Err(_)) => {
                return Err(malformed(format!("a negative <Size> for `{key}`")));
            }
            None => return Err(malformed(format!("no <Size> for `{key}`"))),
        };
        objects.push(Object {
            key,
            size,
            last_modified: time(o.last_modified()),
            etag: o.e_tag().map(str::to_string),
            storage_class: o.storage_class().map(|c| c.as_str().to_string()),
        });
    }
    let next = match (out.is_truncated(), out.next_continuation_token().filter(|t| !t.is_empty())) {
        (Some(true), None) => return Err(malformed("more to list (<IsTruncated>) but no continuation token".into())),
        // Followed, it would list the same page forever.
        (Some(true), Some(token)) if Some(token) == continuation.as_deref() => {
            return Err(malformed("the continuation token it was asked with as the next one".into()));
        }
        (Some(true), Some(token)) => Some(token.to_string()),
        // Without <IsTruncated> the listing is over, whatever else it says (as the AWS CLI reads it).
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
