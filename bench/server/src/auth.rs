//! Request signing: s3s checks SigV4 against the one key pair given on the command line.

use s3s::auth::{S3Auth, SecretKey, SimpleAuth};
use s3s::{S3Result, s3_error};

/// `SimpleAuth`, answering an unknown access key with S3's `InvalidAccessKeyId` rather than
/// s3s's `NotSignedUp`, so clients see the error they would see from S3.
pub struct KeyPair(SimpleAuth);

impl KeyPair {
    pub fn new(access_key: &str, secret_key: &str) -> KeyPair {
        KeyPair(SimpleAuth::from_single(access_key, secret_key))
    }
}

#[async_trait::async_trait]
impl S3Auth for KeyPair {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        self.0.lookup(access_key).cloned().ok_or_else(|| {
            s3_error!(InvalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
        })
    }
}
