//! Fresh credentials for a transfer that outlives its session. A 1 GiB download or a batch of
//! thousands of files can take longer than the credentials it started with: when S3 answers
//! `ExpiredToken`, the transfer asks its [`Renewal`] for a client with new credentials and
//! carries on from where it stopped (a ranged GET from the partial file's length, the parts
//! not yet sent), instead of starting over or failing.
//!
//! Files of one batch share one `Renewal`, so when they all hit the expiry together the
//! session is renewed once and every file picks up the same new client.

use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;

use super::error::TransferErrorKind;
use crate::aws_error::AwsErrorKind;

/// A transfer renews at most this often: a token that is refused again straight after a
/// renewal means something other than age is wrong (revoked credentials, a clock far off),
/// and asking STS in a loop would not fix it.
const MAX_RENEWALS: u32 = 3;

type Hook = dyn Fn() -> BoxFuture<'static, Result<aws_sdk_s3::Client, String>> + Send + Sync;

#[derive(Clone)]
pub struct Renewal(Arc<Inner>);

struct Inner {
    hook: Box<Hook>,
    state: tokio::sync::Mutex<State>,
}

struct State {
    /// Bumped by every renewal; a caller passes the one it used so that a stale failure does
    /// not renew twice.
    generation: u64,
    client: Option<aws_sdk_s3::Client>,
    renewals: u32,
}

impl Renewal {
    /// `hook` gets new credentials (for the worker: refreshes the identity's session) and
    /// returns a client using them, or why it could not (an MFA code is needed, STS refused).
    pub fn new(
        hook: impl Fn() -> BoxFuture<'static, Result<aws_sdk_s3::Client, String>> + Send + Sync + 'static,
    ) -> Self {
        Renewal(Arc::new(Inner {
            hook: Box::new(hook),
            state: tokio::sync::Mutex::new(State { generation: 0, client: None, renewals: 0 }),
        }))
    }

    /// The client to use now, and its generation for [`Renewal::renew`]: `initial` until the
    /// first renewal.
    pub async fn current(&self, initial: &aws_sdk_s3::Client) -> (u64, aws_sdk_s3::Client) {
        let state = self.0.state.lock().await;
        (state.generation, state.client.clone().unwrap_or_else(|| initial.clone()))
    }

    /// Renews after S3 refused the client of generation `seen` as expired. If another file
    /// renewed meanwhile, that renewal serves this one too.
    pub async fn renew(&self, seen: u64) -> Result<(), String> {
        let mut state = self.0.state.lock().await;
        if state.generation != seen {
            return Ok(());
        }
        if state.renewals >= MAX_RENEWALS {
            return Err(format!("S3 still refused the credentials as expired after {MAX_RENEWALS} renewals"));
        }
        state.renewals += 1;
        tracing::info!(renewal = state.renewals, "S3 answered ExpiredToken mid-transfer; renewing the credentials");
        let client = (self.0.hook)().await?;
        state.client = Some(client);
        state.generation += 1;
        Ok(())
    }
}

impl fmt::Debug for Renewal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Renewal(hook)")
    }
}

/// The client to use now and its generation: `renewal`'s if there is one, else `initial`.
pub(crate) async fn current(renewal: Option<&Renewal>, initial: &aws_sdk_s3::Client) -> (u64, aws_sdk_s3::Client) {
    match renewal {
        Some(renewal) => renewal.current(initial).await,
        None => (0, initial.clone()),
    }
}

/// Runs `call` with the current client; if S3 says the credentials expired and there is a
/// `renewal`, renews them and runs it again (as often as [`Renewal::renew`] allows).
pub(crate) async fn renewing<T, F, Fut>(
    renewal: Option<&Renewal>,
    initial: &aws_sdk_s3::Client,
    call: F,
) -> Result<T, TransferErrorKind>
where
    F: Fn(aws_sdk_s3::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, TransferErrorKind>>,
{
    loop {
        let (generation, client) = current(renewal, initial).await;
        match (call(client).await, renewal) {
            (Err(kind), Some(renewal)) if is_expired(&kind) => {
                renewal.renew(generation).await.map_err(|why| renewal_failed(&kind, &why))?;
            }
            (outcome, _) => return outcome,
        }
    }
}

/// The expiry that stopped a transfer, and why new credentials could not be had.
pub(crate) fn renewal_failed(expired: &TransferErrorKind, why: &str) -> TransferErrorKind {
    match expired {
        TransferErrorKind::Aws(e) => {
            let mut e = e.clone();
            e.message = format!("{}; renewing the credentials failed: {why}", e.message);
            TransferErrorKind::Aws(e)
        }
        other => other.clone(),
    }
}

/// S3 said the credentials expired: worth renewing them and trying again.
pub(crate) fn is_expired(kind: &TransferErrorKind) -> bool {
    matches!(kind, TransferErrorKind::Aws(e) if e.kind == AwsErrorKind::ExpiredToken)
}

/// The connection failed or timed out, or the answer came broken: the same request may well
/// succeed if sent again.
pub(crate) fn is_transient(kind: &TransferErrorKind) -> bool {
    matches!(
        kind,
        TransferErrorKind::Aws(e) if matches!(e.kind, AwsErrorKind::Network | AwsErrorKind::Timeout | AwsErrorKind::BadResponse)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn client() -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    fn counting() -> (Renewal, Arc<AtomicU32>) {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = calls.clone();
        let renewal = Renewal::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Ok(client()) })
        });
        (renewal, calls)
    }

    #[tokio::test]
    async fn files_failing_on_the_same_generation_renew_once() {
        let (renewal, calls) = counting();
        let (seen, _) = renewal.current(&client()).await;
        renewal.renew(seen).await.expect("renewed");
        renewal.renew(seen).await.expect("the second file rides on the first renewal");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let (now, _) = renewal.current(&client()).await;
        assert_eq!(now, seen + 1);
    }

    #[tokio::test]
    async fn renewals_stop_after_the_limit() {
        let (renewal, calls) = counting();
        for _ in 0..MAX_RENEWALS {
            let (seen, _) = renewal.current(&client()).await;
            renewal.renew(seen).await.expect("renewed");
        }
        let (seen, _) = renewal.current(&client()).await;
        let refused = renewal.renew(seen).await.expect_err("a token refused again and again is not renewed forever");
        assert!(refused.contains("after 3 renewals"), "{refused}");
        assert_eq!(calls.load(Ordering::SeqCst), MAX_RENEWALS);
    }

    #[tokio::test]
    async fn a_failed_hook_says_why() {
        let renewal = Renewal::new(|| Box::pin(async { Err("an MFA code is needed".to_string()) }));
        assert_eq!(renewal.renew(0).await, Err("an MFA code is needed".to_string()));
    }
}
