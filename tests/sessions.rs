//! The session manager against the shared moto server, with the test proxy in front of it to
//! count the STS and S3 calls s3lease actually makes.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::proxy::Proxy;
use common::session_manager;
use s3lease::aws_error::AwsErrorKind;
use s3lease::credentials::SessionManager;
use s3lease::credentials::mfa::{GivenCode, MfaSource};
use s3lease::error::{Error, Result};
use s3lease::s3::list;
use s3lease::testbed::Testbed;
use zeroize::Zeroizing;

const DEADLINE: Duration = Duration::from_secs(60);
const CODE: &str = "123456";

async fn manager(tb: &Testbed, proxy: &Proxy, extra: &str) -> (tempfile::TempDir, SessionManager) {
    session_manager(tb, &proxy.url(), extra).await
}

/// Hands out the same code every time and counts how often it was asked.
struct CountingMfa {
    asked: Vec<(String, String)>,
}

impl MfaSource for CountingMfa {
    fn code(&mut self, identity: &str, serial: &str) -> Result<Zeroizing<String>> {
        self.asked.push((identity.to_string(), serial.to_string()));
        Ok(Zeroizing::new(CODE.to_string()))
    }
}

fn alice_serial(tb: &Testbed) -> String {
    tb.manifest.user("alice").mfa_serial.clone().expect("alice has an MFA device")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_mfa_code_serves_two_roles() {
    let tb = common::testbed();
    let proxy = Proxy::forwarding(tb.endpoint());
    let (_dir, mut manager) = manager(tb, &proxy, "").await;
    let mut mfa = CountingMfa { asked: Vec::new() };

    let admin = manager.start("mfa-admin", &mut mfa).await.unwrap_or_else(|e| panic!("{e}"));
    let session_tokens_after_first = proxy.count_action("GetSessionToken");
    let assume_roles_after_first = proxy.count_action("AssumeRole");
    let auditor = manager.start("mfa-auditor", &mut mfa).await.unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(mfa.asked, vec![("alice-mfa".to_string(), alice_serial(tb))], "the code is asked for once");
    for session in [&admin, &auditor] {
        assert!(session.info.chain.contains("alice-mfa (MFA)"), "chain: {}", session.info.chain);
        // Refreshing the role reuses the MFA session while it lasts; after that it needs a code.
        let now = SystemTime::now();
        assert!(!session.info.refresh_needs_mfa(now), "{:?}", session.info);
        assert!(session.info.refresh_needs_mfa(now + Duration::from_secs(13 * 3600)), "{:?}", session.info);
    }
    assert!(admin.info.chain.starts_with("assume-role mfa-admin"), "{}", admin.info.chain);
    assert!(auditor.info.chain.starts_with("assume-role mfa-auditor"), "{}", auditor.info.chain);
    assert_eq!(session_tokens_after_first, 1, "one GetSessionToken for the first role: {:#?}", proxy.requests());
    assert_eq!(proxy.count_action("GetSessionToken"), 1, "the second role made no new GetSessionToken");
    assert_eq!(proxy.count_action("AssumeRole"), assume_roles_after_first + 1, "one AssumeRole per role");
    let mut started: Vec<&str> = manager.started().map(|s| s.info.identity.as_str()).collect();
    started.sort();
    assert_eq!(started, ["alice", "alice-mfa", "mfa-admin", "mfa-auditor"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_session_is_reused() {
    let tb = common::testbed();
    let proxy = Proxy::forwarding(tb.endpoint());
    let (_dir, mut manager) = manager(tb, &proxy, "").await;
    let mut mfa = GivenCode::new(None, "no code in this test");

    let first = manager.start("auditor", &mut mfa).await.unwrap_or_else(|e| panic!("{e}"));
    let requests_after_first = proxy.requests().len();
    let second = manager.start("auditor", &mut mfa).await.unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(proxy.count_action("AssumeRole"), 1, "{:#?}", proxy.requests());
    assert_eq!(proxy.requests().len(), requests_after_first, "the second start made no call at all");
    assert_eq!(first.lease.credentials().access_key_id(), second.lease.credentials().access_key_id());
    assert_eq!(first.info, second.info);
    assert!(first.info.arn.as_deref().is_some_and(|a| a.contains(":assumed-role/")), "{:?}", first.info.arn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_swaps_credentials_under_the_same_lease_and_client() {
    let tb = common::testbed();
    let proxy = Proxy::forwarding(tb.endpoint());
    let (_dir, mut manager) = manager(tb, &proxy, "").await;
    let mut mfa = GivenCode::new(None, "no code in this test");

    let session = manager.start("auditor", &mut mfa).await.unwrap_or_else(|e| panic!("{e}"));
    let before = session.lease.credentials();
    let refreshed = manager.refresh("auditor", &mut mfa).await.unwrap_or_else(|e| panic!("{e}"));
    let after = refreshed.lease.credentials();

    assert_eq!(proxy.count_action("AssumeRole"), 2, "refresh calls STS again: {:#?}", proxy.requests());
    assert!(
        after.access_key_id() != before.access_key_id() || after.expiry() != before.expiry(),
        "new credentials: before {before:?}, after {after:?}"
    );
    // The lease the first session holds now hands out the refreshed credentials.
    let through_old = session.lease.credentials();
    assert_eq!(through_old.access_key_id(), after.access_key_id(), "one lease, shared");
    assert_eq!(through_old.expiry(), after.expiry());
    assert_eq!(refreshed.info.identity, "auditor");

    // The client built before the refresh signs with the new keys.
    let seen_before = proxy.requests().len();
    let buckets =
        list::list_buckets(&session.s3, &session.info.endpoint).await.unwrap_or_else(|e| panic!("old client: {e}"));
    assert!(buckets.iter().any(|b| b.name == "demo-data"), "{buckets:?}");
    let listed: Vec<_> = proxy.requests().into_iter().skip(seen_before).filter(|s| s.is_s3()).collect();
    assert!(!listed.is_empty(), "the listing went through the proxy");
    for seen in &listed {
        let auth = seen.request.header("authorization").unwrap_or_default();
        assert!(
            auth.contains(&format!("Credential={}/", after.access_key_id())),
            "signed with the refreshed key {}: {auth}",
            after.access_key_id()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_credentials_are_never_sent() {
    let tb = common::testbed();
    let proxy = Proxy::forwarding(tb.endpoint());
    let extra = format!(
        r#"
[[identity]]
name = "short-lived"
kind = "assume-role"
source = "bob"
role_arn = "{}"
session_name = "short-lived"
duration = "2s"
"#,
        tb.manifest.role("Auditor")
    );
    let (_dir, mut manager) = manager(tb, &proxy, &extra).await;
    let mut mfa = GivenCode::new(None, "no code in this test");

    let session = manager.start("short-lived", &mut mfa).await.unwrap_or_else(|e| panic!("{e}"));
    let expires_at = session.info.expires_at.expect("STS credentials expire");
    assert_eq!(session.lease.expires_at(), Some(expires_at));
    let deadline = Instant::now() + DEADLINE;
    while SystemTime::now() <= expires_at {
        assert!(Instant::now() < deadline, "the 2 s session did not expire within {DEADLINE:?}: {expires_at:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let requests_at_expiry = proxy.requests().len();

    let endpoint = session.info.endpoint.clone();
    let err = list::list_buckets(&session.s3, &endpoint).await.expect_err("listing with expired credentials");
    assert_eq!(err.kind, AwsErrorKind::ExpiredToken, "{err:?}");
    assert_eq!(err.identity.as_deref(), Some("short-lived"), "{err:?}");
    assert!(err.to_string().contains("s3lease did not send"), "{err}");

    let err = list::list_page(&session.s3, &endpoint, "demo-data", "logs/", Some("/"), None)
        .await
        .expect_err("listing objects with expired credentials");
    assert_eq!(err.kind, AwsErrorKind::ExpiredToken, "{err:?}");
    assert!(err.to_string().contains("s3lease did not send"), "{err}");

    let log = proxy.requests();
    assert_eq!(log.len(), requests_at_expiry, "no request after expiry: {:#?}", &log[requests_at_expiry..]);
    let late: Vec<_> = log.iter().filter(|s| s.is_s3() && s.at > expires_at).collect();
    assert!(late.is_empty(), "S3 requests after expiry: {late:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mfa_without_a_code_names_identity_and_serial() {
    let tb = common::testbed();
    let proxy = Proxy::forwarding(tb.endpoint());
    let (_dir, mut manager) = manager(tb, &proxy, "").await;
    let mut mfa = GivenCode::new(None, "pass --mfa-code CODE");

    let err = manager.start("mfa-admin", &mut mfa).await.expect_err("no MFA code");
    match &err {
        Error::MfaRequired { identity, serial, hint } => {
            assert_eq!(identity, "alice-mfa");
            assert_eq!(serial, &alice_serial(tb));
            assert_eq!(hint, "pass --mfa-code CODE");
        }
        other => panic!("expected MfaRequired, got {other:?}"),
    }
    assert_eq!(err.exit_code(), 2);
    let message = err.to_string();
    assert!(message.contains("alice-mfa") && message.contains(&alice_serial(tb)), "{message}");
    assert_eq!(proxy.count_action("GetSessionToken"), 0, "nothing sent without a code");
    assert_eq!(proxy.count_action("AssumeRole"), 0);
}
