//! The STS calls behind each identity kind. Each takes a client that signs with the source
//! credentials and returns the new credentials with their expiry and, where STS says, the ARN.

// AwsError is returned only on the cold path after a network call; boxing it here buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sdk_sts::types::{PolicyDescriptorType, Tag};

use crate::aws_error::{AwsError, AwsErrorKind};

/// Credentials fresh from STS.
pub struct Issued {
    pub credentials: Credentials,
    /// The ARN STS reported for the new session, when the operation reports one.
    pub arn: Option<String>,
    pub packed_policy_size: Option<i32>,
}

fn convert(
    operation: &str,
    endpoint: &str,
    c: Option<aws_sdk_sts::types::Credentials>,
) -> Result<Credentials, AwsError> {
    let mut c =
        c.ok_or_else(|| AwsError::new(AwsErrorKind::Other, operation, endpoint, "the response had no credentials"))?;
    let expiry = SystemTime::try_from(c.expiration).map_err(|_| {
        AwsError::new(AwsErrorKind::Other, operation, endpoint, "the response had an unreadable expiration time")
    })?;
    // Moved, not copied: the SDK's strings are not wiped when dropped, `Credentials`' are.
    let (key, secret, token) = (
        std::mem::take(&mut c.access_key_id),
        std::mem::take(&mut c.secret_access_key),
        std::mem::take(&mut c.session_token),
    );
    Ok(Credentials::new(key, secret, Some(token), Some(expiry), "s3lease"))
}

/// STS reports how full the packed session policy is: PackedPolicySize, renamed
/// SessionTokenUtilization in 2026; read whichever the endpoint sends.
macro_rules! packed_size {
    ($out:expr) => {{
        #[allow(deprecated)]
        let old = $out.packed_policy_size();
        old.or($out.session_token_utilization())
    }};
}

fn secs(d: Option<std::time::Duration>) -> Option<i32> {
    d.map(|d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX))
}

fn policy_arns(arns: &[String]) -> Option<Vec<PolicyDescriptorType>> {
    (!arns.is_empty()).then(|| arns.iter().map(|a| PolicyDescriptorType::builder().arn(a).build()).collect())
}

pub async fn get_session_token(
    client: &aws_sdk_sts::Client,
    endpoint: &str,
    duration: Option<std::time::Duration>,
    mfa: Option<(&str, &str)>,
) -> Result<Issued, AwsError> {
    const OP: &str = "GetSessionToken";
    let mut call = client.get_session_token().set_duration_seconds(secs(duration));
    if let Some((serial, code)) = mfa {
        call = call.serial_number(serial).token_code(code);
    }
    let mut out = call.send().await.map_err(|e| AwsError::from_sdk(OP, endpoint, &e))?;
    Ok(Issued { credentials: convert(OP, endpoint, out.credentials.take())?, arn: None, packed_policy_size: None })
}

pub async fn get_federation_token(
    client: &aws_sdk_sts::Client,
    endpoint: &str,
    name: &str,
    policy: Option<String>,
    arns: &[String],
    duration: Option<std::time::Duration>,
) -> Result<Issued, AwsError> {
    const OP: &str = "GetFederationToken";
    let mut out = client
        .get_federation_token()
        .name(name)
        .set_policy(policy)
        .set_policy_arns(policy_arns(arns))
        .set_duration_seconds(secs(duration))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(OP, endpoint, &e))?;
    Ok(Issued {
        credentials: convert(OP, endpoint, out.credentials.take())?,
        arn: out.federated_user().map(|u| u.arn().to_string()),
        packed_policy_size: packed_size!(out),
    })
}

pub struct AssumeRoleInput<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub external_id: Option<&'a str>,
    pub duration: Option<std::time::Duration>,
    pub mfa: Option<(&'a str, &'a str)>,
    pub policy: Option<String>,
    pub policy_arns: &'a [String],
    pub source_identity: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

pub async fn assume_role(
    client: &aws_sdk_sts::Client,
    endpoint: &str,
    input: AssumeRoleInput<'_>,
) -> Result<Issued, AwsError> {
    const OP: &str = "AssumeRole";
    let tags: Option<Vec<Tag>> = (!input.tags.is_empty())
        .then(|| input.tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect());
    let mut call = client
        .assume_role()
        .role_arn(input.role_arn)
        .role_session_name(input.session_name)
        .set_external_id(input.external_id.map(str::to_string))
        .set_duration_seconds(secs(input.duration))
        .set_policy(input.policy)
        .set_policy_arns(policy_arns(input.policy_arns))
        .set_source_identity(input.source_identity.map(str::to_string))
        .set_tags(tags);
    if let Some((serial, code)) = input.mfa {
        call = call.serial_number(serial).token_code(code);
    }
    let mut out =
        call.send().await.map_err(|e| AwsError::from_sdk(OP, endpoint, &e).on(format!("role {}", input.role_arn)))?;
    Ok(Issued {
        credentials: convert(OP, endpoint, out.credentials.take())?,
        arn: out.assumed_role_user().map(|u| u.arn().to_string()),
        packed_policy_size: packed_size!(out),
    })
}

pub async fn caller_arn(client: &aws_sdk_sts::Client, endpoint: &str) -> Result<String, AwsError> {
    const OP: &str = "GetCallerIdentity";
    let out = client.get_caller_identity().send().await.map_err(|e| AwsError::from_sdk(OP, endpoint, &e))?;
    out.arn()
        .map(str::to_string)
        .ok_or_else(|| AwsError::new(AwsErrorKind::Other, OP, endpoint, "the response had no ARN"))
}
