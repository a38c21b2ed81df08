//! AWS failures mapped to what a person can act on: which operation, against which endpoint,
//! as which identity, and what to do next. Never formats credentials: the SDK's errors carry
//! none, and the identity is named, not its keys.

use std::fmt;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::complete_xml::IncompleteXml;
use crate::credentials::provider::LeaseExpired;
use crate::response_cap::TooLarge;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    AccessDenied,
    /// Credentials past their expiry: refused by AWS, or not sent at all because s3lease saw it first.
    ExpiredToken,
    InvalidClientTokenId,
    SignatureDoesNotMatch,
    Validation,
    MalformedPolicyDocument,
    PackedPolicyTooLarge,
    NoSuchBucket,
    NotFound,
    Throttling,
    /// The endpoint could not be reached or the connection broke.
    Network,
    /// The endpoint answered, but the answer was cut off or could not be read.
    BadResponse,
    Timeout,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub kind: AwsErrorKind,
    /// The API call, e.g. `AssumeRole`, `ListObjectsV2`.
    pub operation: String,
    pub endpoint: String,
    pub identity: Option<String>,
    /// AWS's error code, when the response had one.
    pub code: Option<String>,
    pub message: String,
    pub status: Option<u16>,
    /// What it was done to, e.g. `s3://demo-data/logs/`.
    pub resource: Option<String>,
    /// The bucket involved, for naming an S3 permission the way IAM policies do.
    pub bucket: Option<String>,
    /// Who asked, as IAM names it (`assumed-role/Auditor/audit-session`).
    pub principal: Option<String>,
    /// The bucket's region, when S3 refused the request as sent to the wrong one (a redirect,
    /// or a signature scoped to another region): the request can be sent again there.
    pub bucket_region: Option<String>,
}

impl std::error::Error for AwsError {}

impl AwsError {
    pub fn new(kind: AwsErrorKind, operation: &str, endpoint: &str, message: impl Into<String>) -> Self {
        AwsError {
            kind,
            operation: operation.to_string(),
            endpoint: endpoint.to_string(),
            identity: None,
            code: None,
            message: message.into(),
            status: None,
            resource: None,
            bucket: None,
            principal: None,
            bucket_region: None,
        }
    }

    pub fn in_bucket(mut self, bucket: &str) -> Self {
        self.bucket = Some(bucket.to_string());
        self
    }

    /// Records the caller from its ARN: `arn:aws:sts::123456789012:assumed-role/R/s` becomes
    /// `assumed-role/R/s`.
    pub fn by(mut self, arn: Option<&str>) -> Self {
        self.principal = arn.map(|a| a.splitn(6, ':').nth(5).unwrap_or(a).to_string());
        self
    }

    pub fn as_identity(mut self, identity: &str) -> Self {
        self.identity = Some(identity.to_string());
        self
    }

    pub fn on(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Maps any SDK error. `code()` can be missing: HEAD responses have no body, and moto's auth
    /// layer answers STS in a shape the SDK cannot parse, so the HTTP status decides then.
    pub fn from_sdk<E>(operation: &str, endpoint: &str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if let Some(expired) = find_source::<LeaseExpired>(err) {
            let mut e = AwsError::new(AwsErrorKind::ExpiredToken, operation, endpoint, expired.to_string());
            e.identity = Some(expired.identity.clone());
            return e;
        }
        if let Some(too_large) = find_source::<TooLarge>(err) {
            return AwsError::new(
                AwsErrorKind::Other,
                operation,
                endpoint,
                format!("{too_large}; is {endpoint} an S3 endpoint?"),
            );
        }
        match err {
            // A success status whose body the SDK could not read: a broken or hostile server.
            SdkError::ServiceError(service) if service.raw().status().is_success() => {
                let status = service.raw().status().as_u16();
                let detail = DisplayErrorContext(service.err()).to_string();
                let message =
                    format!("the HTTP {status} answer from {endpoint} is not a valid {operation} answer ({detail})");
                AwsError { status: Some(status), ..AwsError::new(AwsErrorKind::Other, operation, endpoint, message) }
            }
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let body = service.raw().body().bytes().and_then(|b| std::str::from_utf8(b).ok());
                // Some endpoints (moto's auth layer) nest the error where the SDK does not look.
                let code = service.err().code().map(str::to_string).or_else(|| body.and_then(|b| xml_text(b, "Code")));
                let message =
                    service.err().message().map(str::to_string).or_else(|| body.and_then(|b| xml_text(b, "Message")));
                let kind = classify(code.as_deref(), status, operation);
                let bucket_region = wrong_region(status, code.as_deref(), service.raw());
                let message = message.unwrap_or_else(|| match kind {
                    AwsErrorKind::ExpiredToken => "the security token has expired".to_string(),
                    AwsErrorKind::AccessDenied => "access denied".to_string(),
                    AwsErrorKind::NotFound => "not found".to_string(),
                    _ => format!("HTTP {status}"),
                });
                AwsError {
                    code,
                    status: Some(status),
                    bucket_region,
                    ..AwsError::new(kind, operation, endpoint, message)
                }
            }
            SdkError::TimeoutError(_) => {
                AwsError::new(AwsErrorKind::Timeout, operation, endpoint, "the request timed out")
            }
            SdkError::DispatchFailure(failure) if failure.is_timeout() => {
                AwsError::new(AwsErrorKind::Timeout, operation, endpoint, timed_out(&timeout_cause(err), endpoint))
            }
            SdkError::DispatchFailure(_) => {
                AwsError::new(AwsErrorKind::Network, operation, endpoint, DisplayErrorContext(err).to_string())
            }
            SdkError::ResponseError(response) => {
                let status = response.raw().status().as_u16();
                let innermost = cause(err);
                let (kind, message) = match find_source::<IncompleteXml>(err) {
                    Some(cut) => (AwsErrorKind::BadResponse, cut.to_string()),
                    // The SDK's stalled-stream check, whose grace period follows read_timeout.
                    None if innermost.contains("minimum throughput") => (AwsErrorKind::Timeout, stalled(endpoint)),
                    None => match classify(None, status, operation) {
                        // The body broke off, or was not what the status promised.
                        AwsErrorKind::Other => (AwsErrorKind::BadResponse, innermost),
                        kind => (kind, format!("unreadable response (HTTP {status})")),
                    },
                };
                AwsError { status: Some(status), ..AwsError::new(kind, operation, endpoint, message) }
            }
            _ => AwsError::new(AwsErrorKind::Other, operation, endpoint, DisplayErrorContext(err).to_string()),
        }
    }
}

/// The region S3 names when it refuses a request for going to the wrong one. S3 sends
/// `x-amz-bucket-region` with these refusals: a 301 `PermanentRedirect` (or 307 while a new
/// bucket's DNS settles) from regional endpoints, and a 400 `AuthorizationHeaderMalformed` when
/// the signature's scope names another region. Other answers carry the header too (HeadBucket's
/// 403), but there resending elsewhere would not help.
fn wrong_region(status: u16, code: Option<&str>, raw: &HttpResponse) -> Option<String> {
    let redirected = matches!(status, 301 | 307)
        || matches!(code, Some("PermanentRedirect" | "TemporaryRedirect" | "AuthorizationHeaderMalformed"));
    let region = raw.headers().get("x-amz-bucket-region")?.trim();
    (redirected && !region.is_empty()).then(|| region.to_string())
}

/// What a timeout of the HTTP client means, from its innermost error (`HTTP read timeout
/// occurred after 1s`, `HTTP connect timeout occurred after 10s`).
fn timed_out(cause: &str, endpoint: &str) -> String {
    let setting = if cause.contains("connect") { "connect_timeout" } else { "read_timeout" };
    let after = cause.rsplit_once(" after ").map_or(cause, |(_, after)| after.trim());
    timeout_message(setting, after, endpoint)
}

/// Which setting ran out (`read_timeout`, `connect_timeout`), at what value, and how to change it.
pub fn timeout_message(setting: &str, after: &str, endpoint: &str) -> String {
    let waited = if setting == "connect_timeout" { "no connection" } else { "no answer" };
    format!(
        "{waited} within {after} (the {setting} setting); raise {setting} under [settings] in the config if {endpoint} is just slow, else check the network and the endpoint"
    )
}

/// An answer whose body stopped coming part-way, for longer than `read_timeout` (at most 20 s).
fn stalled(endpoint: &str) -> String {
    format!(
        "the answer stopped part-way and sent nothing more within the read_timeout setting (at most 20s for a page); check the network and {endpoint}, or raise read_timeout under [settings] if it is just slow"
    )
}

/// The HTTP client's timeout error in the chain (`HTTP read timeout occurred after 1s`): its
/// own source, and the innermost error, say only "timed out".
fn timeout_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if text.contains("timeout occurred after") {
            return text;
        }
        current = e.source();
    }
    cause(err)
}

/// The innermost error of the chain: the SDK's outer layers say only "response error".
fn cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// The text of the first `<tag>` in an XML error body; enough for AWS's flat error documents.
fn xml_text(body: &str, tag: &str) -> Option<String> {
    let start = body.find(&format!("<{tag}>"))? + tag.len() + 2;
    let len = body[start..].find(&format!("</{tag}>"))?;
    let text = body[start..start + len].trim();
    (!text.is_empty())
        .then(|| text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&"))
}

fn find_source<'a, T: std::error::Error + 'static>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a T> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The IAM permission an S3 operation needs, for messages a policy author can act on.
fn iam_action(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "ListObjectsV2" | "HeadBucket" => "s3:ListBucket",
        "ListBuckets" => "s3:ListAllMyBuckets",
        "GetObject" | "HeadObject" => "s3:GetObject",
        "PutObject" | "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => "s3:PutObject",
        "DeleteObject" | "DeleteObjects" => "s3:DeleteObject",
        "ListObjectVersions" => "s3:ListBucketVersions",
        "GetObjectTagging" => "s3:GetObjectTagging",
        "AssumeRole" => "sts:AssumeRole",
        "GetSessionToken" => "sts:GetSessionToken",
        "GetFederationToken" => "sts:GetFederationToken",
        _ => return None,
    })
}

fn classify(code: Option<&str>, status: u16, operation: &str) -> AwsErrorKind {
    use AwsErrorKind::*;
    match code {
        Some("AccessDenied" | "AccessDeniedException" | "AllAccessDisabled" | "AccountProblem") => AccessDenied,
        Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired" | "TokenRefreshRequired") => ExpiredToken,
        Some("InvalidClientTokenId" | "InvalidAccessKeyId" | "InvalidToken" | "UnrecognizedClientException") => {
            InvalidClientTokenId
        }
        Some("SignatureDoesNotMatch" | "IncompleteSignature") => SignatureDoesNotMatch,
        Some("ValidationError" | "InvalidParameterValue" | "InvalidArgument" | "InvalidBucketName") => Validation,
        Some("MalformedPolicyDocument" | "MalformedPolicyDocumentException" | "MalformedPolicy") => {
            MalformedPolicyDocument
        }
        Some("PackedPolicyTooLarge" | "PackedPolicyTooLargeException") => PackedPolicyTooLarge,
        Some("NoSuchBucket") => NoSuchBucket,
        Some("NoSuchKey" | "NotFound") => NotFound,
        Some(
            "Throttling" | "ThrottlingException" | "SlowDown" | "RequestLimitExceeded" | "TooManyRequestsException",
        ) => Throttling,
        Some(_) => Other,
        // Bodiless answers: S3 answers an expired token on HEAD with a bare 400.
        None => match status {
            400 if operation.starts_with("Head") => ExpiredToken,
            401 | 403 => AccessDenied,
            404 => NotFound,
            429 | 503 => Throttling,
            _ => Other,
        },
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AwsErrorKind::*;
        let who = self.identity.as_deref().map(|i| format!(" as identity `{i}`")).unwrap_or_default();
        let on = self.resource.as_deref().map(|r| format!(" on {r}")).unwrap_or_default();
        let op = &self.operation;
        let msg = &self.message;
        match self.kind {
            AccessDenied => match (iam_action(op), &self.bucket, &self.principal) {
                (Some(action), Some(bucket), Some(principal)) => {
                    let identity = self.identity.as_deref().map(|i| format!(" (identity `{i}`)")).unwrap_or_default();
                    write!(
                        f,
                        "AccessDenied: {action} on bucket {bucket} as {principal}{identity}: {op}{on} was refused: {msg}"
                    )
                }
                _ => write!(f, "AccessDenied: {op}{on}{who} was refused: {msg}"),
            },
            ExpiredToken => {
                write!(f, "ExpiredToken: {op}{on}{who}: {msg}; refresh the session (start the identity again)")
            }
            InvalidClientTokenId => write!(
                f,
                "InvalidClientTokenId: {op}{who}: {msg}; the access key is unknown to {} (wrong account, deleted key, or a token from another endpoint)",
                self.endpoint
            ),
            SignatureDoesNotMatch => write!(
                f,
                "SignatureDoesNotMatch: {op}{who}: {msg}; the secret key does not match the access key (check the profile's keys)"
            ),
            Validation => write!(f, "ValidationError: {op}{on}{who}: {msg}"),
            MalformedPolicyDocument => write!(f, "MalformedPolicyDocument: {op}{who}: {msg}; fix the session policy"),
            PackedPolicyTooLarge => write!(
                f,
                "PackedPolicyTooLarge: {op}{who}: {msg}; shorten the session policy or use fewer session tags"
            ),
            NoSuchBucket => write!(f, "NoSuchBucket: {op}{on}{who}: {msg}"),
            NotFound => write!(f, "NotFound: {op}{on}{who}: {msg}"),
            Throttling => {
                write!(
                    f,
                    "Throttled: {op}{on}{who} at {}: {msg}; retried, still throttled: try again later",
                    self.endpoint
                )
            }
            Network => {
                write!(f, "cannot reach {} for {op}{on}: {msg}; check endpoint_url and the network", self.endpoint)
            }
            BadResponse => {
                let status = self.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
                write!(f, "{op}{on}{who}: {} sent a broken answer{status}: {msg}; retried, try again", self.endpoint)
            }
            Timeout => write!(f, "{op}{on} to {} timed out: {msg}", self.endpoint),
            Other => match &self.code {
                Some(code) => write!(f, "{code}: {op}{on}{who} at {}: {msg}", self.endpoint),
                None => write!(f, "{op}{on}{who} at {} failed: {msg}", self.endpoint),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_codes_and_bare_statuses() {
        assert_eq!(classify(Some("AccessDenied"), 403, "ListObjectsV2"), AwsErrorKind::AccessDenied);
        assert_eq!(classify(Some("ExpiredToken"), 400, "ListObjectsV2"), AwsErrorKind::ExpiredToken);
        assert_eq!(classify(None, 400, "HeadObject"), AwsErrorKind::ExpiredToken);
        assert_eq!(classify(None, 400, "ListObjectsV2"), AwsErrorKind::Other);
        assert_eq!(classify(None, 403, "AssumeRole"), AwsErrorKind::AccessDenied);
        assert_eq!(classify(Some("SlowDown"), 503, "ListObjectsV2"), AwsErrorKind::Throttling);
        assert_eq!(classify(Some("PackedPolicyTooLarge"), 400, "AssumeRole"), AwsErrorKind::PackedPolicyTooLarge);
    }

    #[test]
    fn only_a_refusal_for_the_wrong_region_names_where_to_go() {
        let answer = |status: u16, region: Option<&str>| {
            let status = aws_smithy_runtime_api::http::StatusCode::try_from(status).expect("valid status");
            let mut raw = HttpResponse::new(status, aws_smithy_types::body::SdkBody::empty());
            if let Some(region) = region {
                raw.headers_mut().insert("x-amz-bucket-region", region.to_string());
            }
            raw
        };
        let eu = Some("eu-west-1");
        assert_eq!(wrong_region(301, Some("PermanentRedirect"), &answer(301, eu)).as_deref(), eu);
        // HEAD answers have no body, so no code.
        assert_eq!(wrong_region(301, None, &answer(301, eu)).as_deref(), eu);
        assert_eq!(wrong_region(307, None, &answer(307, eu)).as_deref(), eu);
        assert_eq!(wrong_region(400, Some("AuthorizationHeaderMalformed"), &answer(400, eu)).as_deref(), eu);
        assert_eq!(wrong_region(403, Some("AccessDenied"), &answer(403, eu)), None, "a denial is no redirect");
        assert_eq!(wrong_region(301, Some("PermanentRedirect"), &answer(301, None)), None, "nowhere named");
        assert_eq!(wrong_region(301, None, &answer(301, Some(" "))), None);
    }

    #[test]
    fn reads_codes_from_nested_error_documents() {
        let body = "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code>\
                    <Message>The request signature &amp; more</Message></Error></Errors></ErrorResponse>";
        assert_eq!(xml_text(body, "Code").as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(xml_text(body, "Message").as_deref(), Some("The request signature & more"));
        assert_eq!(xml_text("<Error><Code></Code></Error>", "Code"), None);
        assert_eq!(xml_text("<Error><Code>unterminated", "Code"), None);
    }

    #[test]
    fn access_denied_on_s3_speaks_iam() {
        let e = AwsError::new(AwsErrorKind::AccessDenied, "ListObjectsV2", "http://127.0.0.1:1", "Access Denied")
            .on("s3://demo-restricted/")
            .in_bucket("demo-restricted")
            .by(Some("arn:aws:sts::123456789012:assumed-role/Auditor/audit-session"))
            .as_identity("auditor");
        assert_eq!(
            e.to_string(),
            "AccessDenied: s3:ListBucket on bucket demo-restricted as assumed-role/Auditor/audit-session \
             (identity `auditor`): ListObjectsV2 on s3://demo-restricted/ was refused: Access Denied"
        );
    }

    #[test]
    fn messages_name_operation_resource_identity_and_fix() {
        let e = AwsError::new(AwsErrorKind::AccessDenied, "ListObjectsV2", "http://127.0.0.1:1", "no")
            .on("bucket demo-restricted")
            .as_identity("auditor");
        assert_eq!(
            e.to_string(),
            "AccessDenied: ListObjectsV2 on bucket demo-restricted as identity `auditor` was refused: no"
        );
        let e = AwsError {
            code: Some("InternalError".into()),
            ..AwsError::new(
                AwsErrorKind::Other,
                "ListObjectsV2",
                "http://127.0.0.1:1",
                "We encountered an internal error.",
            )
            .on("s3://b/p/")
        };
        assert_eq!(
            e.to_string(),
            "InternalError: ListObjectsV2 on s3://b/p/ at http://127.0.0.1:1: We encountered an internal error."
        );
        let e = AwsError::new(AwsErrorKind::Network, "AssumeRole", "http://127.0.0.1:1", "connection refused");
        assert_eq!(
            e.to_string(),
            "cannot reach http://127.0.0.1:1 for AssumeRole: connection refused; check endpoint_url and the network"
        );
    }

    #[test]
    fn timeouts_name_the_setting_its_value_and_the_fix() {
        let e = AwsError::new(
            AwsErrorKind::Timeout,
            "ListObjectsV2",
            "http://127.0.0.1:1",
            timed_out("HTTP read timeout occurred after 1s", "http://127.0.0.1:1"),
        )
        .on("s3://b/p/");
        assert_eq!(
            e.to_string(),
            "ListObjectsV2 on s3://b/p/ to http://127.0.0.1:1 timed out: no answer within 1s (the read_timeout \
             setting); raise read_timeout under [settings] in the config if http://127.0.0.1:1 is just slow, else \
             check the network and the endpoint"
        );
        let connect = timed_out("HTTP connect timeout occurred after 10s", "http://e");
        assert!(connect.starts_with("no connection within 10s (the connect_timeout setting); raise connect_timeout"));
    }
}
