//! Whether a downloaded file is the object S3 described, byte for byte.
//!
//! A body can arrive short yet framed as complete (a proxy or server that rewrites
//! Content-Length), or with bytes changed on the way; counting against the answer's own length
//! sees neither. Three checks, strongest first:
//!
//! - a full-object flexible checksum (CRC64NVME, CRC32C, CRC32, SHA-1, SHA-256), which the SDK
//!   validates as the body streams when GetObject asks for checksums. A composite checksum of
//!   a multipart upload (`...-N`) covers parts, not the object: the SDK skips it;
//! - the MD5 of the whole file against the ETag, when the ETag is an MD5: a single-part upload
//!   without SSE-KMS or SSE-C (those ETags are not digests of the data);
//! - the size S3 gave elsewhere: the total of a Content-Range, the listing, or HeadObject.

use std::path::Path;

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::types::ServerSideEncryption;
use md5::{Digest, Md5};
use tokio::io::AsyncReadExt;

/// What differed between the object S3 described and the bytes received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    Size {
        expected: u64,
        got: u64,
        /// Where the expected size came from, e.g. "HeadObject", "the listing".
        source: &'static str,
    },
    /// The MD5 of the file against the ETag (both in lowercase hex).
    Md5 { expected: String, got: String },
    /// A flexible checksum the SDK validated; its own words.
    Checksum(String),
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Size { expected, got, source } => {
                write!(f, "received {got} bytes where {source} says the object has {expected}")
            }
            Mismatch::Md5 { expected, got } => {
                write!(f, "the file's MD5 is {got} where the object's ETag says {expected}")
            }
            Mismatch::Checksum(detail) => write!(f, "the object's checksum does not match: {detail}"),
        }
    }
}

/// How the bytes of one GET answer can be checked beyond their count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The SDK validates a full-object checksum while the body streams.
    Checksum,
    /// The whole file's MD5 must be this (lowercase hex).
    Md5(String),
    /// Only the size, against what S3 says elsewhere.
    Size,
}

/// The check that applies to `out`, the answer to a GET sent with checksums asked for
/// (`checksum_mode`) when `whole` (no Range): S3 sends no checksum for part of an object.
/// Without `md5` (the `verify_md5` setting off) an ETag is not taken for a digest.
pub fn check_for(out: &GetObjectOutput, whole: bool, md5: bool) -> Check {
    if whole && sdk_validates(out) {
        return Check::Checksum;
    }
    if !md5 {
        return Check::Size;
    }
    let etag = out.e_tag().unwrap_or_default();
    match etag_md5(etag, out.server_side_encryption(), out.sse_customer_algorithm()) {
        Some(md5) => Check::Md5(md5),
        None => Check::Size,
    }
}

/// Whether the SDK checks this answer's body: it takes the first checksum header in its order
/// of preference and skips it if it is a multipart upload's composite (`...-N`).
fn sdk_validates(out: &GetObjectOutput) -> bool {
    let first = [
        out.checksum_crc64_nvme(),
        out.checksum_crc32_c(),
        out.checksum_crc32(),
        out.checksum_sha1(),
        out.checksum_sha256(),
    ]
    .into_iter()
    .flatten()
    .next();
    first.is_some_and(|value| !is_composite(value))
}

/// `abc==-12`: a checksum of part checksums, not of the object.
fn is_composite(value: &str) -> bool {
    value.rsplit_once('-').is_some_and(|(_, parts)| !parts.is_empty() && parts.bytes().all(|b| b.is_ascii_digit()))
}

/// The MD5 an ETag stands for (lowercase hex), if it is one: 32 hex digits (quotes aside), no
/// `-N` multipart suffix, and an object not encrypted with SSE-KMS (or DSSE-KMS) or SSE-C,
/// whose ETags are not digests of the data. SSE-S3 (`AES256`) ETags are MD5s.
pub fn etag_md5(
    etag: &str,
    sse: Option<&ServerSideEncryption>,
    sse_customer_algorithm: Option<&str>,
) -> Option<String> {
    if sse_customer_algorithm.is_some_and(|a| !a.is_empty()) {
        return None;
    }
    if let Some(sse) = sse
        && !matches!(sse, ServerSideEncryption::Aes256)
    {
        return None;
    }
    let digest = etag.trim().strip_prefix('"').and_then(|e| e.strip_suffix('"')).unwrap_or(etag.trim());
    (digest.len() == 32 && digest.bytes().all(|b| b.is_ascii_hexdigit())).then(|| digest.to_ascii_lowercase())
}

/// An MD5 fed as the bytes arrive.
#[derive(Clone, Default)]
pub struct Md5Sum(Md5);

impl Md5Sum {
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn hex(self) -> String {
        self.0.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Feeds the first `len` bytes of `path` (a partial file being resumed); an error if it
    /// holds fewer.
    pub async fn update_from_file(&mut self, path: &Path, len: u64) -> std::io::Result<()> {
        let file = tokio::fs::File::open(path).await?;
        let mut reader = file.take(len);
        let mut buf = vec![0u8; 256 * 1024];
        let mut read = 0u64;
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            self.update(&buf[..n]);
            read += n as u64;
        }
        if read != len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("it holds {read} bytes, {len} were expected"),
            ));
        }
        Ok(())
    }
}

/// The SDK's words when a flexible checksum did not match, if that is what ended the body.
pub fn checksum_failure(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(mismatch) = e.downcast_ref::<aws_smithy_checksums::body::validate::Error>() {
            return Some(mismatch.to_string());
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

    #[test]
    fn an_etag_is_an_md5_only_for_single_part_objects_without_kms_or_customer_keys() {
        let quoted = format!("\"{MD5}\"");
        assert_eq!(etag_md5(&quoted, None, None).as_deref(), Some(MD5));
        assert_eq!(etag_md5(MD5, None, None).as_deref(), Some(MD5), "unquoted, as some servers send it");
        assert_eq!(etag_md5(&quoted.to_uppercase(), None, None).as_deref(), Some(MD5), "compared in lowercase");
        assert_eq!(etag_md5(&quoted, Some(&ServerSideEncryption::Aes256), None).as_deref(), Some(MD5), "SSE-S3");
        // Multipart: the MD5 of the parts' MD5s, then the part count.
        assert_eq!(etag_md5("\"9b2cf535f27731c974343645a3985328-3\"", None, None), None);
        assert_eq!(etag_md5(&quoted, Some(&ServerSideEncryption::AwsKms), None), None, "SSE-KMS");
        assert_eq!(etag_md5(&quoted, Some(&ServerSideEncryption::AwsKmsDsse), None), None, "DSSE-KMS");
        assert_eq!(etag_md5(&quoted, None, Some("AES256")), None, "SSE-C");
        assert_eq!(etag_md5(&quoted, Some(&ServerSideEncryption::Aes256), Some("AES256")), None, "SSE-C");
        assert_eq!(etag_md5(&quoted, Some(&"aws:future".into()), None), None, "an encryption not known");
        for not_md5 in
            ["", "\"\"", "\"d41d8cd98f00b204e9800998ecf8427\"", "\"z41d8cd98f00b204e9800998ecf8427e\"", "W/\"x\""]
        {
            assert_eq!(etag_md5(not_md5, None, None), None, "{not_md5:?}");
        }
    }

    #[test]
    fn composite_checksums_are_told_from_full_object_ones() {
        assert!(is_composite("bG9uZw==-3"));
        assert!(is_composite("abcd-12"));
        assert!(!is_composite("bG9uZw=="));
        assert!(!is_composite("abcd-"));
        assert!(!is_composite("ab-cd"));
    }

    #[test]
    fn md5_of_nothing_and_of_bytes() {
        assert_eq!(Md5Sum::default().hex(), MD5);
        let mut sum = Md5Sum::default();
        sum.update(b"hello ");
        sum.update(b"world");
        assert_eq!(sum.hex(), "5eb63bbbe01eeed093cb22bb8f5acdc3");
    }

    #[tokio::test]
    async fn md5_of_a_partial_file_covers_the_bytes_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part");
        std::fs::write(&path, b"hello world").unwrap();
        let mut sum = Md5Sum::default();
        sum.update_from_file(&path, 6).await.unwrap();
        sum.update(b"world");
        assert_eq!(sum.hex(), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        let short = Md5Sum::default().update_from_file(&path, 12).await.unwrap_err();
        assert_eq!(short.kind(), std::io::ErrorKind::UnexpectedEof);
    }
}
