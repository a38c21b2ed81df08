//! The S3 operations, on top of the store. s3s has parsed and authenticated each request by
//! the time it gets here; this module maps store results to S3's answers and errors.

use std::sync::Arc;
use std::time::SystemTime;

use futures::TryStreamExt as _;
use s3s::dto::{
    Bucket as BucketInfo, CommonPrefix, CreateBucketInput, CreateBucketOutput, ETag, ETagCondition, EncodingType,
    GetObjectInput, GetObjectOutput, HeadBucketInput, HeadBucketOutput, HeadObjectInput, HeadObjectOutput,
    ListBucketsInput, ListBucketsOutput, ListObjectsInput, ListObjectsOutput, ListObjectsV2Input, ListObjectsV2Output,
    Object as ObjectInfo, ObjectStorageClass, Owner, PutObjectInput, PutObjectOutput, StreamingBlob, Timestamp,
};
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};

use crate::content::{SyntheticBody, md5_hex, synthetic_etag};
use crate::encoding::{continuation_token, parse_continuation_token, url_encode};
use crate::store::{Bucket, CreateError, Entry, ListPage, ListQuery, Object, Store, StoredObject};

/// The region HeadBucket reports; SigV4 scopes signed for any region are accepted.
const REGION: &str = "us-east-1";
/// S3's page size limit, and the default page size.
const MAX_KEYS: usize = 1000;
/// What S3 calls an object stored without a Content-Type.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

pub struct BenchS3 {
    store: Arc<Store>,
}

impl BenchS3 {
    pub fn new(store: Arc<Store>) -> BenchS3 {
        BenchS3 { store }
    }

    fn bucket(&self, name: &str) -> S3Result<Arc<Bucket>> {
        self.store.bucket(name).ok_or_else(|| s3_error!(NoSuchBucket, "The specified bucket does not exist"))
    }
}

/// The current time in whole seconds: listings and HTTP dates then agree to the second, as
/// S3's do.
pub fn now() -> SystemTime {
    let secs = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

fn owner() -> Owner {
    Owner {
        display_name: Some("bench".to_owned()),
        id: Some("75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a".to_owned()),
    }
}

/// What HEAD, GET and listings say about an object.
struct Meta {
    size: u64,
    etag: String,
    last_modified: SystemTime,
    content_type: String,
}

fn meta(bucket: &Bucket, key: &str, object: &Object) -> Meta {
    let size = object.size();
    match object {
        Object::Synthetic { .. } => Meta {
            size,
            etag: synthetic_etag(key, size),
            last_modified: bucket.created,
            content_type: DEFAULT_CONTENT_TYPE.to_owned(),
        },
        Object::Stored(stored) => Meta {
            size,
            etag: stored.md5_hex.clone(),
            last_modified: stored.last_modified,
            content_type: stored.content_type.clone().unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned()),
        },
    }
}

fn size_i64(size: u64) -> S3Result<i64> {
    i64::try_from(size).map_err(|_| s3_error!(InternalError, "object too large"))
}

/// Checks If-Match and If-None-Match the way S3 does for GET and HEAD.
fn check_preconditions(
    etag: &str,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
) -> S3Result<()> {
    let matches = |condition: &ETagCondition| match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(tag) => tag.value() == etag,
    };
    if if_match.is_some_and(|c| !matches(c)) {
        return Err(s3_error!(PreconditionFailed, "At least one of the pre-conditions you specified did not hold"));
    }
    if if_none_match.is_some_and(matches) {
        return Err(S3Error::new(S3ErrorCode::NotModified));
    }
    Ok(())
}

/// The parameters ListObjects and ListObjectsV2 share, checked as S3 checks them.
struct Listing {
    prefix: String,
    delimiter: Option<String>,
    max_items: usize,
    url_encoded: bool,
}

impl Listing {
    fn new(
        prefix: Option<String>,
        delimiter: Option<String>,
        max_keys: Option<i32>,
        encoding: Option<&EncodingType>,
    ) -> S3Result<Listing> {
        let max_items = match max_keys {
            None => MAX_KEYS,
            Some(n) => usize::try_from(n)
                .map_err(|_| s3_error!(InvalidArgument, "Provided max-keys not an integer or within integer range"))?
                .min(MAX_KEYS),
        };
        let url_encoded = match encoding.map(EncodingType::as_str) {
            None => false,
            Some(EncodingType::URL) => true,
            Some(_) => return Err(s3_error!(InvalidArgument, "Invalid Encoding Method specified in Request")),
        };
        Ok(Listing {
            prefix: prefix.unwrap_or_default(),
            // S3 treats an empty delimiter as none, and leaves it out of the response.
            delimiter: delimiter.filter(|d| !d.is_empty()),
            max_items,
            url_encoded,
        })
    }

    fn query<'a>(&'a self, after: Option<&'a str>) -> ListQuery<'a> {
        ListQuery { prefix: &self.prefix, delimiter: self.delimiter.as_deref(), after, max_items: self.max_items }
    }

    /// A name as the response carries it.
    fn out(&self, name: &str) -> String {
        if self.url_encoded { url_encode(name) } else { name.to_owned() }
    }

    fn encoding_type(&self) -> Option<EncodingType> {
        self.url_encoded.then(|| EncodingType::from_static(EncodingType::URL))
    }

    fn max_keys(&self) -> i32 {
        i32::try_from(self.max_items).unwrap_or(i32::MAX)
    }

    fn contents_and_prefixes(
        &self,
        bucket: &Bucket,
        page: &ListPage<Object>,
    ) -> S3Result<(Vec<ObjectInfo>, Vec<CommonPrefix>)> {
        let mut contents = Vec::new();
        let mut prefixes = Vec::new();
        for entry in &page.entries {
            match entry {
                Entry::Object(key, object) => {
                    let meta = meta(bucket, key, object);
                    contents.push(ObjectInfo {
                        key: Some(self.out(key)),
                        size: Some(size_i64(meta.size)?),
                        e_tag: Some(ETag::Strong(meta.etag)),
                        last_modified: Some(Timestamp::from(meta.last_modified)),
                        storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
                        ..ObjectInfo::default()
                    });
                }
                Entry::CommonPrefix(prefix) => {
                    prefixes.push(CommonPrefix { prefix: Some(self.out(prefix)) });
                }
            }
        }
        Ok((contents, prefixes))
    }
}

#[async_trait::async_trait]
impl S3 for BenchS3 {
    async fn list_buckets(&self, _req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
        let buckets = self
            .store
            .buckets()
            .into_iter()
            .map(|(name, created)| BucketInfo {
                name: Some(name),
                creation_date: Some(Timestamp::from(created)),
                bucket_region: Some(REGION.to_owned()),
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput { buckets: Some(buckets), owner: Some(owner()), ..Default::default() }))
    }

    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
        let name = req.input.bucket;
        match self.store.create_bucket(&name, now()) {
            Ok(_) => Ok(S3Response::new(CreateBucketOutput { location: Some(format!("/{name}")) })),
            Err(CreateError::AlreadyExists) => Err(s3_error!(
                BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it."
            )),
        }
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.bucket(&req.input.bucket)?;
        Ok(S3Response::new(HeadBucketOutput { bucket_region: Some(REGION.to_owned()), ..Default::default() }))
    }

    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let bucket = self.bucket(&input.bucket)?;
        let listing = Listing::new(input.prefix, input.delimiter, input.max_keys, input.encoding_type.as_ref())?;
        // A token wins over start-after: it already lies at or beyond it.
        let after = match &input.continuation_token {
            Some(token) => Some(
                parse_continuation_token(token)
                    .ok_or_else(|| s3_error!(InvalidArgument, "The continuation token provided is incorrect"))?,
            ),
            None => input.start_after.clone().filter(|s| !s.is_empty()),
        };
        let page = bucket.list(&listing.query(after.as_deref()));
        let (contents, prefixes) = listing.contents_and_prefixes(&bucket, &page)?;
        let key_count = i32::try_from(page.entries.len()).unwrap_or(i32::MAX);
        let next = page.entries.last().filter(|_| page.is_truncated).map(|last| continuation_token(last.name()));
        let output = ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(listing.out(&listing.prefix)),
            delimiter: listing.delimiter.as_deref().map(|d| listing.out(d)),
            max_keys: Some(listing.max_keys()),
            key_count: Some(key_count),
            is_truncated: Some(page.is_truncated),
            continuation_token: input.continuation_token,
            next_continuation_token: next,
            start_after: input.start_after.as_deref().map(|s| listing.out(s)),
            encoding_type: listing.encoding_type(),
            contents: Some(contents),
            common_prefixes: Some(prefixes),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let bucket = self.bucket(&input.bucket)?;
        let listing = Listing::new(input.prefix, input.delimiter, input.max_keys, input.encoding_type.as_ref())?;
        let marker = input.marker.filter(|m| !m.is_empty());
        let page = bucket.list(&listing.query(marker.as_deref()));
        let (contents, prefixes) = listing.contents_and_prefixes(&bucket, &page)?;
        // S3 sends NextMarker only with a delimiter; without one the last key is the marker.
        let next_marker = page
            .entries
            .last()
            .filter(|_| page.is_truncated && listing.delimiter.is_some())
            .map(|last| listing.out(last.name()));
        let output = ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(listing.out(&listing.prefix)),
            delimiter: listing.delimiter.as_deref().map(|d| listing.out(d)),
            marker: Some(marker.as_deref().map(|m| listing.out(m)).unwrap_or_default()),
            max_keys: Some(listing.max_keys()),
            is_truncated: Some(page.is_truncated),
            next_marker,
            encoding_type: listing.encoding_type(),
            contents: Some(contents),
            common_prefixes: Some(prefixes),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let bucket = self.bucket(&input.bucket)?;
        let object = bucket.get(&input.key).ok_or_else(|| s3_error!(NoSuchKey))?;
        let meta = meta(&bucket, &input.key, &object);
        check_preconditions(&meta.etag, input.if_match.as_ref(), input.if_none_match.as_ref())?;
        let output = HeadObjectOutput {
            accept_ranges: Some("bytes".to_owned()),
            content_length: Some(size_i64(meta.size)?),
            content_type: Some(meta.content_type),
            e_tag: Some(ETag::Strong(meta.etag)),
            last_modified: Some(Timestamp::from(meta.last_modified)),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let bucket = self.bucket(&input.bucket)?;
        let object = bucket.get(&input.key).ok_or_else(|| s3_error!(NoSuchKey, "The specified key does not exist."))?;
        let meta = meta(&bucket, &input.key, &object);
        check_preconditions(&meta.etag, input.if_match.as_ref(), input.if_none_match.as_ref())?;
        let (range, content_range) = match input.range {
            None => (0..meta.size, None),
            Some(requested) => {
                let range = requested.check(meta.size).map_err(|_| invalid_range(meta.size))?;
                let content_range = format!("bytes {}-{}/{}", range.start, range.end - 1, meta.size);
                (range, Some(content_range))
            }
        };
        let length = size_i64(range.end - range.start)?;
        let body = match &object {
            Object::Synthetic { .. } => StreamingBlob::new(SyntheticBody::new(&input.key, range)),
            Object::Stored(stored) => {
                let (start, end) = (usize::try_from(range.start), usize::try_from(range.end));
                let (Ok(start), Ok(end)) = (start, end) else {
                    return Err(s3_error!(InternalError, "range beyond memory"));
                };
                StreamingBlob::from(s3s::Body::from(stored.data.slice(start..end)))
            }
        };
        let output = GetObjectOutput {
            body: Some(body),
            accept_ranges: Some("bytes".to_owned()),
            content_length: Some(length),
            content_range,
            content_type: Some(meta.content_type),
            e_tag: Some(ETag::Strong(meta.etag)),
            last_modified: Some(Timestamp::from(meta.last_modified)),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let input = req.input;
        let bucket = self.bucket(&input.bucket)?;
        let mut data = Vec::with_capacity(input.content_length.and_then(|n| usize::try_from(n).ok()).unwrap_or(0));
        if let Some(mut body) = input.body {
            while let Some(chunk) = body
                .try_next()
                .await
                .map_err(|e| s3_error!(IncompleteBody, "The request body could not be read: {e}"))?
            {
                data.extend_from_slice(&chunk);
            }
        }
        let md5_hex = md5_hex(&data);
        bucket.put(
            &input.key,
            Object::Stored(Arc::new(StoredObject {
                data: data.into(),
                md5_hex: md5_hex.clone(),
                content_type: input.content_type,
                last_modified: now(),
            })),
        );
        Ok(S3Response::new(PutObjectOutput { e_tag: Some(ETag::Strong(md5_hex)), ..Default::default() }))
    }
}

/// S3's 416, with the `Content-Range: bytes */SIZE` that tells a client the real size.
fn invalid_range(size: u64) -> S3Error {
    let mut error = s3_error!(InvalidRange, "The requested range is not satisfiable");
    let mut headers = hyper::HeaderMap::new();
    if let Ok(value) = hyper::header::HeaderValue::from_str(&format!("bytes */{size}")) {
        headers.insert(hyper::header::CONTENT_RANGE, value);
    }
    // These headers replace the response's own, so the XML body needs its type restated.
    headers.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/xml"));
    error.set_headers(headers);
    error
}
