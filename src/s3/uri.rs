//! `s3://bucket/prefix` as typed on the command line.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    /// Everything after `bucket/`, possibly empty; kept exactly as typed.
    pub prefix: String,
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Parses `s3://BUCKET[/PREFIX]`; the error says what is wrong and what was expected.
pub fn parse(input: &str) -> Result<S3Uri, String> {
    let expected = "write it like s3://my-bucket/some/prefix/";
    let Some(rest) = input.strip_prefix("s3://") else {
        return Err(format!("`{input}` is not an S3 URI: it must start with s3://; {expected}"));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("`{input}` has no bucket name; {expected}"));
    }
    // Legacy us-east-1 buckets allow uppercase and `_`, so only what no bucket can hold is refused.
    if bucket.len() > 255 || !bucket.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)) {
        return Err(format!(
            "`{bucket}` is not a bucket name: bucket names are at most 255 letters, digits, `.`, `-` and `_`; {expected}"
        ));
    }
    if prefix.len() > 1024 {
        return Err(format!("the prefix is {} bytes long; S3 keys are at most 1024 bytes", prefix.len()));
    }
    Ok(S3Uri { bucket: bucket.to_string(), prefix: prefix.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bucket_and_prefix() {
        assert_eq!(parse("s3://b"), Ok(S3Uri { bucket: "b".into(), prefix: "".into() }));
        assert_eq!(parse("s3://b/"), Ok(S3Uri { bucket: "b".into(), prefix: "".into() }));
        assert_eq!(parse("s3://demo-data/logs/"), Ok(S3Uri { bucket: "demo-data".into(), prefix: "logs/".into() }));
        assert_eq!(parse("s3://b/with space/é+%"), Ok(S3Uri { bucket: "b".into(), prefix: "with space/é+%".into() }));
    }

    #[test]
    fn refuses_what_cannot_be_a_location() {
        assert!(parse("demo-data").unwrap_err().contains("must start with s3://"));
        assert!(parse("s3:///x").unwrap_err().contains("no bucket name"));
        assert!(parse("s3://bad bucket/x").unwrap_err().contains("is not a bucket name"));
        assert!(parse(&format!("s3://b/{}", "k".repeat(1025))).unwrap_err().contains("at most 1024 bytes"));
    }
}
