//! Deleting many keys with DeleteObjects, 1,000 at a time (S3's limit per request). A batch
//! can succeed as a request and still refuse some of its keys: those come back one by one in
//! the answer's `<Error>` entries, and are reported per key, never as a whole-batch success.

use std::collections::HashSet;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::aws_error::{AwsError, AwsErrorKind};

/// S3's limit of keys per DeleteObjects request.
pub const BATCH: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteFailure {
    pub key: String,
    /// S3's code, e.g. `AccessDenied`; `None` when S3 said nothing about the key.
    pub code: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteReport {
    /// Keys S3 confirmed deleted (S3 confirms keys that did not exist, too).
    pub deleted: Vec<String>,
    pub failed: Vec<DeleteFailure>,
    /// Batches refused as a whole; each of their keys is in `failed` as well.
    pub batch_errors: Vec<AwsError>,
}

impl DeleteReport {
    pub fn all_deleted(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Deletes `keys` in batches of [`BATCH`]. Never fails as a whole: every key ends up in
/// `deleted` or `failed`.
pub async fn delete_objects(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    keys: &[String],
) -> DeleteReport {
    let mut report = DeleteReport::default();
    for batch in keys.chunks(BATCH) {
        match delete_batch(client, endpoint, bucket, batch).await {
            Ok((deleted, failed)) => {
                report.deleted.extend(deleted);
                report.failed.extend(failed);
            }
            Err(e) => {
                report.failed.extend(batch.iter().map(|key| DeleteFailure {
                    key: key.clone(),
                    code: e.code.clone(),
                    message: e.to_string(),
                }));
                report.batch_errors.push(e);
            }
        }
    }
    report
}

async fn delete_batch(
    client: &aws_sdk_s3::Client,
    endpoint: &str,
    bucket: &str,
    batch: &[String],
) -> Result<(Vec<String>, Vec<DeleteFailure>), AwsError> {
    const OP: &str = "DeleteObjects";
    let invalid = |e: aws_smithy_types::error::operation::BuildError| {
        AwsError::new(AwsErrorKind::Validation, OP, endpoint, e.to_string()).in_bucket(bucket)
    };
    let objects = batch
        .iter()
        .map(|key| ObjectIdentifier::builder().key(key).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    // Not quiet: S3 then lists what it deleted, so nothing is assumed deleted unconfirmed.
    let delete = Delete::builder().set_objects(Some(objects)).quiet(false).build().map_err(invalid)?;
    let out = client
        .delete_objects()
        .bucket(bucket)
        .delete(delete)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(OP, endpoint, &e).on(format!("bucket {bucket}")).in_bucket(bucket))?;
    let mut mentioned = HashSet::new();
    let mut failed = Vec::new();
    for error in out.errors() {
        let key = error.key().unwrap_or_default().to_string();
        mentioned.insert(key.clone());
        failed.push(DeleteFailure {
            key,
            code: error.code().map(str::to_string),
            message: error.message().unwrap_or("refused").to_string(),
        });
    }
    let mut deleted = Vec::new();
    for object in out.deleted() {
        let Some(key) = object.key() else { continue };
        // A key both refused and confirmed stays refused: the worse answer wins.
        if mentioned.insert(key.to_string()) {
            deleted.push(key.to_string());
        }
    }
    for key in batch {
        if !mentioned.contains(key) {
            mentioned.insert(key.clone());
            failed.push(DeleteFailure {
                key: key.clone(),
                code: None,
                message: "S3's answer neither confirmed nor refused this key".into(),
            });
        }
    }
    Ok((deleted, failed))
}
