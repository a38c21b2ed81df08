//! Against a moto server with IAM enforcement on: what AWS refuses, and how s3lease reports it.
//! The shared server stays in moto's default mode, so this binary starts its own (one for all
//! tests here) and turns auth on before any test uses it.

mod common;

use std::sync::OnceLock;

use common::*;
use s3lease::testbed::{Seed, Testbed};

fn auth_testbed() -> &'static Testbed {
    static OWN: OnceLock<Testbed> = OnceLock::new();
    OWN.get_or_init(|| {
        // No bulk log keys: nothing here pages, and a smaller seed starts faster.
        let tb = own_testbed(Seed { prefix_keys: 0, big_keys: 0, spread_keys: 0 });
        tb.set_auth(true).unwrap_or_else(|e| panic!("turning on auth mode: {e}"));
        tb
    })
}

/// A non-zero exit must be a reported error, never a crash.
fn assert_no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked"), "the binary panicked:\n{}", run.stderr);
}

fn assert_stderr_has(run: &Run, needles: &[&str]) {
    assert_no_panic(run);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "stderr should contain {needle:?}\n--- stdout\n{}\n--- stderr\n{}",
            run.stdout,
            run.stderr
        );
    }
    assert!(run.stderr.starts_with("error: "), "errors start with `error: `:\n{}", run.stderr);
}

#[test]
fn auditor_may_list_demo_data_but_not_demo_restricted() {
    let tb = auth_testbed();
    let sb = Sandbox::new(tb);

    let denied = sb.run(&["ls", "--identity", "auditor", "s3://demo-restricted"]).expect_code(1);
    // `ls` asks STS who it is only once S3 has refused, and then names the principal.
    assert_stderr_has(&denied, &["AccessDenied", "ListObjectsV2", "demo-restricted", "`auditor`", " as assumed-role/"]);
    assert!(!denied.stdout.contains("plans.txt"), "nothing of the bucket is shown:\n{}", denied.stdout);

    let allowed = sb.run(&["ls", "--identity", "auditor", "s3://demo-data"]).ok();
    assert_no_panic(&allowed);
    assert!(allowed.stdout.contains("README.txt"), "demo-data's top level is listed:\n{}", allowed.stdout);
    assert!(allowed.stdout.contains("PRE reports/"), "prefixes are listed:\n{}", allowed.stdout);
}

#[test]
fn bob_may_ask_who_he_is_but_not_list_buckets() {
    let tb = auth_testbed();
    let sb = Sandbox::new(tb);

    let who = sb.run(&["whoami", "--identity", "bob", "--json"]).ok();
    let body: serde_json::Value = serde_json::from_str(who.stdout.trim())
        .unwrap_or_else(|e| panic!("whoami --json prints JSON ({e}):\n{}", who.stdout));
    assert_eq!(body["identity"], "bob");
    assert_eq!(body["arn"], tb.manifest.user("bob").arn.as_str(), "GetCallerIdentity answered for bob");

    let denied = sb.run(&["ls", "--identity", "bob"]).expect_code(1);
    assert_stderr_has(&denied, &["AccessDenied", "ListBuckets", "`bob`"]);
    assert!(denied.stdout.is_empty(), "no buckets are printed:\n{}", denied.stdout);
}

/// An identity for the PartnerAccess role, from bob, with the given `external_id` line.
fn partner_config(tb: &Testbed, external_id_line: &str) -> String {
    let m = &tb.manifest;
    format!(
        r#"[settings]
region = "{region}"
endpoint_url = "{endpoint}"

[[identity]]
name = "partner-attempt"
kind = "assume-role"
source = "bob"
role_arn = "{role}"
session_name = "partner-attempt"
{external_id_line}
"#,
        region = m.region,
        endpoint = m.endpoint,
        role = m.role("PartnerAccess"),
    )
}

#[test]
fn partner_role_works_with_its_external_id() {
    let tb = auth_testbed();
    let sb = Sandbox::new(tb);
    let who = sb.run(&["whoami", "--identity", "partner", "--json"]).ok();
    let body: serde_json::Value = serde_json::from_str(who.stdout.trim())
        .unwrap_or_else(|e| panic!("whoami --json prints JSON ({e}):\n{}", who.stdout));
    let arn = body["arn"].as_str().unwrap_or_default();
    assert!(arn.contains("assumed-role/PartnerAccess/partner"), "the session is the partner role: {arn}");
    let shared = sb.run(&["ls", "--identity", "partner", "s3://demo-data/shared/"]).ok();
    assert!(shared.stdout.contains("handbook.md"), "the partner policy allows demo-data/shared/:\n{}", shared.stdout);
    let denied = sb.run(&["ls", "--identity", "partner", "s3://demo-restricted"]).expect_code(1);
    assert_stderr_has(&denied, &["AccessDenied", "ListObjectsV2", "demo-restricted", "`partner`"]);
}

#[test]
fn partner_role_with_a_wrong_external_id_is_refused() {
    // Real STS also refuses a request with no ExternalId here, but moto 5.2.5 does not: its
    // TrustCondition.verify_condition passes when the request lacks the condition key. So a
    // wrong external ID is what this can check.
    let tb = auth_testbed();
    let sb = Sandbox::with_config(tb, &partner_config(tb, r#"external_id = "not-the-partner-id""#));
    let denied = sb.run(&["whoami", "--identity", "partner-attempt"]).expect_code(1);
    assert_stderr_has(&denied, &["AccessDenied", "AssumeRole", "`partner-attempt`"]);
    assert!(denied.stdout.is_empty(), "no identity is printed:\n{}", denied.stdout);
    assert!(!denied.stderr.contains("not-the-partner-id"), "the external ID is not echoed:\n{}", denied.stderr);
}

#[test]
fn assume_role_from_a_role_without_sts_permission_is_refused() {
    // The Auditor role's policy allows S3 reads only, so chaining from it to another role
    // is refused by the caller's own policy.
    let tb = auth_testbed();
    let m = &tb.manifest;
    let config = format!(
        r#"{base}
[[identity]]
name = "from-auditor"
kind = "assume-role"
source = "auditor"
role_arn = "{partner}"
session_name = "from-auditor"
external_id = "{external_id}"
"#,
        base = tb.config_toml(),
        partner = m.role("PartnerAccess"),
        external_id = m.external_id,
    );
    let sb = Sandbox::with_config(tb, &config);
    let denied = sb.run(&["whoami", "--identity", "from-auditor"]).expect_code(1);
    assert_stderr_has(&denied, &["AccessDenied", "AssumeRole", "`from-auditor`"]);
}

/// Replaces user admin's `key = value` line in the sandbox's AWS credentials file.
fn rewrite_admin_key(sb: &Sandbox, key: &str, old: &str, new: &str) {
    let text = std::fs::read_to_string(&sb.aws_credentials).expect("read the AWS credentials file");
    let line = format!("{key} = {old}\n");
    assert_eq!(text.matches(&line).count(), 1, "admin's {key} appears once in:\n{text}");
    std::fs::write(&sb.aws_credentials, text.replace(&line, &format!("{key} = {new}\n")))
        .expect("rewrite the AWS credentials file");
}

/// A sandbox whose AWS profile `admin` has its secret key changed; returns the wrong secret.
fn sandbox_with_wrong_admin_secret(tb: &Testbed) -> (Sandbox, String) {
    let sb = Sandbox::new(tb);
    let secret = &tb.manifest.user("admin").secret_access_key;
    let wrong: String = secret.chars().rev().collect();
    assert_ne!(&wrong, secret, "the reversed secret differs");
    rewrite_admin_key(&sb, "aws_secret_access_key", secret, &wrong);
    (sb, wrong)
}

/// A sandbox whose AWS profile `admin` has an access key moto never issued.
fn sandbox_with_unknown_admin_key(tb: &Testbed) -> Sandbox {
    let sb = Sandbox::new(tb);
    let unknown = "AKIAZZZZZZZZZZZZZZZZ";
    assert_ne!(unknown, tb.manifest.user("admin").access_key_id);
    rewrite_admin_key(&sb, "aws_access_key_id", &tb.manifest.user("admin").access_key_id, unknown);
    sb
}

#[test]
fn a_wrong_secret_key_is_a_signature_mismatch() {
    // Every command starts its identity first, and for a profile that is one STS call,
    // GetCallerIdentity, so a bad key never reaches S3. moto answers it with
    // <ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code>..., which the SDK's
    // awsQuery parser does not read; the code is in the body all the same.
    let (sb, wrong) = sandbox_with_wrong_admin_secret(auth_testbed());
    let run = sb.run(&["whoami", "--identity", "admin"]).expect_code(1);
    assert!(!run.stderr.contains(&wrong), "the secret is never printed:\n{}", run.stderr);
    assert_stderr_has(&run, &["SignatureDoesNotMatch", "GetCallerIdentity", "`admin`", "check the profile's keys"]);
}

#[test]
fn an_unknown_access_key_is_reported_as_such() {
    // moto answers InvalidClientTokenId in the same nested shape as above, with status 403;
    // the code is read from the body rather than guessed from the status.
    let sb = sandbox_with_unknown_admin_key(auth_testbed());
    let run = sb.run(&["whoami", "--identity", "admin"]).expect_code(1);
    assert_stderr_has(&run, &["InvalidClientTokenId", "GetCallerIdentity", "`admin`", "the access key is unknown"]);
    assert!(!run.stderr.contains("AccessDenied"), "{}", run.stderr);
}

/// DeleteObjects as the Admin role, in a bucket whose policy protects one key: the other keys
/// go, the protected one is named with AccessDenied, and it is still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_delete_with_one_key_denied_deletes_the_rest_and_names_it() {
    use aws_sdk_s3::primitives::ByteStream;
    use s3lease::credentials::mfa::GivenCode;
    use s3lease::worker::{self, DeleteWhat, Request, RequestId, Response};

    let tb = auth_testbed();
    let (_dir, mut manager) = session_manager(tb, tb.endpoint(), "").await;
    let admin = manager.start("admin-role", &mut GivenCode::new(None, "none needed")).await.unwrap();
    let bucket = format!("deny-one-{}", std::process::id());
    admin.s3.create_bucket().bucket(&bucket).send().await.expect("the Admin role may create a bucket");
    let keys = ["logs/a.txt", "logs/keep me.txt", "logs/c.txt"];
    for key in keys {
        let body = ByteStream::from(key.as_bytes().to_vec());
        admin.s3.put_object().bucket(&bucket).key(key).body(body).send().await.unwrap();
    }
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:DeleteObject",
            "Resource": format!("arn:aws:s3:::{bucket}/logs/keep me.txt"),
        }],
    });
    admin.s3.put_bucket_policy().bucket(&bucket).policy(policy.to_string()).send().await.unwrap();

    let mut worker = worker::spawn(manager);
    let delete = Request::Delete {
        id: RequestId(1),
        identity: "admin-role".into(),
        bucket: bucket.clone(),
        what: DeleteWhat::Keys(keys.iter().map(|k| k.to_string()).collect()),
    };
    worker.requests.send(delete).unwrap();
    let Response::Deleted { result: Ok(summary), .. } = answer(&mut worker, 1).await else { panic!("an answer") };
    assert_eq!(summary.deleted, 2, "{summary:?}");
    assert_eq!(summary.failed.len(), 1, "{summary:?}");
    assert!(summary.failed[0].starts_with("logs/keep me.txt: AccessDenied"), "{summary:?}");

    let left = admin.s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    let left: Vec<&str> = left.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(left, ["logs/keep me.txt"], "only the protected key is left");
}
