//! How a running transfer talks back: progress through a [`Reporter`], cancellation through a
//! [`Cancel`] flag. Both are cheap to clone and to use on every chunk, and neither needs the
//! caller to poll: a UI can hand in a watch channel and read the latest value when it draws.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

/// One transfer's bytes so far out of its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub bytes_done: u64,
    /// The object's (or file's) size as S3 (or the file system) announced it.
    pub bytes_total: u64,
}

/// Many transfers at once (a prefix download, a directory upload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchProgress {
    pub files_total: usize,
    /// Finished, successfully or not.
    pub files_done: usize,
    /// Of those done, how many failed (cancelled ones included).
    pub files_failed: usize,
    pub bytes_total: u64,
    pub bytes_done: u64,
}

/// One file of a batch, for UIs that show the files in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProgress {
    pub key: Arc<str>,
    pub progress: Progress,
    /// The file is over (done or failed): the last update for this key.
    pub finished: bool,
}

/// Where progress updates go: a callback run inline on the transfer's task, so it must be
/// quick (store a value, send on a channel); or nowhere (the default).
pub struct Reporter<T>(Option<Arc<dyn Fn(T) + Send + Sync>>);

impl<T> Reporter<T> {
    pub fn new(callback: impl Fn(T) + Send + Sync + 'static) -> Self {
        Reporter(Some(Arc::new(callback)))
    }

    /// A reporter that drops every update.
    pub fn none() -> Self {
        Reporter(None)
    }

    pub fn report(&self, update: T) {
        if let Some(callback) = &self.0 {
            callback(update);
        }
    }

    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl<T: Send + Sync + 'static> Reporter<T> {
    /// A reporter feeding a watch channel: the receiver always holds the latest update, and
    /// sending never blocks nor queues, however often the transfer reports.
    pub fn watch(initial: T) -> (Self, watch::Receiver<T>) {
        let (tx, rx) = watch::channel(initial);
        (Reporter::new(move |update| drop(tx.send_replace(update))), rx)
    }
}

impl<T> Clone for Reporter<T> {
    fn clone(&self) -> Self {
        Reporter(self.0.clone())
    }
}

impl<T> Default for Reporter<T> {
    fn default() -> Self {
        Reporter::none()
    }
}

impl<T> std::fmt::Debug for Reporter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Reporter(callback)" } else { "Reporter(none)" })
    }
}

/// A cancellation flag shared by every clone. A watch channel rather than an `AtomicBool` so
/// that a transfer stuck waiting on the network (a slow response, the next chunk of a body)
/// wakes up the moment it is cancelled instead of at its next chunk.
#[derive(Clone, Debug)]
pub struct Cancel(Arc<watch::Sender<bool>>);

impl Cancel {
    pub fn new() -> Self {
        Cancel(Arc::new(watch::Sender::new(false)))
    }

    /// Cancels every transfer holding a clone of this flag. There is no undo: start the next
    /// transfer with a fresh `Cancel`.
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once cancelled.
    pub async fn cancelled(&self) {
        let mut rx = self.0.subscribe();
        // Only fails if the sender is gone, and `self` holds it.
        let _ = rx.wait_for(|cancelled| *cancelled).await;
    }

    /// Runs `work` unless cancelled first or meanwhile (then `None`, and `work` is dropped).
    pub async fn guard<F: Future>(&self, work: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            () = self.cancelled() => None,
            out = work => Some(out),
        }
    }
}

impl Default for Cancel {
    fn default() -> Self {
        Cancel::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_wakes_a_guarded_wait_and_is_shared_by_clones() {
        let cancel = Cancel::new();
        let clone = cancel.clone();
        assert!(!clone.is_cancelled());
        let waiting = tokio::spawn(async move { clone.guard(std::future::pending::<()>()).await });
        cancel.cancel();
        assert_eq!(waiting.await.expect("task"), None, "the pending work was abandoned");
        assert!(cancel.is_cancelled());
        assert_eq!(cancel.guard(async { 1 }).await, None, "nothing starts once cancelled");
        assert_eq!(Cancel::new().guard(async { 1 }).await, Some(1));
    }

    #[test]
    fn watch_reporter_keeps_the_latest_update() {
        let (reporter, rx) = Reporter::watch(Progress::default());
        for done in 1..=3 {
            reporter.clone().report(Progress { bytes_done: done, bytes_total: 3 });
        }
        assert_eq!(*rx.borrow(), Progress { bytes_done: 3, bytes_total: 3 });
        Reporter::<Progress>::none().report(Progress::default());
    }
}
