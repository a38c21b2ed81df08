//! The requests the worker is running: each one's task, how to abort it, and for transfers
//! how to ask them to stop so that they remove their partial files first.

use std::collections::HashMap;
use std::future::Future;

use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use super::{RequestId, Response};
use crate::transfer::Cancel;

#[derive(Default)]
pub(super) struct InFlight {
    tasks: JoinSet<RequestId>,
    aborts: HashMap<RequestId, AbortHandle>,
    transfers: HashMap<RequestId, Cancel>,
}

impl InFlight {
    /// Runs request `id`'s `work`, which sends its own responses and ends with its id.
    pub fn spawn(&mut self, id: RequestId, work: impl Future<Output = RequestId> + Send + 'static) {
        let handle = self.tasks.spawn(work);
        self.aborts.insert(id, handle);
    }

    /// Runs transfer `id`: progress goes out while it runs, its result when it ends. A cancel
    /// reaches it through `cancel` rather than an abort.
    pub fn spawn_transfer(
        &mut self,
        id: RequestId,
        cancel: Cancel,
        work: impl Future<Output = Response> + Send + 'static,
        responses: mpsc::UnboundedSender<Response>,
    ) {
        self.transfers.insert(id, cancel);
        self.spawn(id, async move {
            let _ = responses.send(work.await);
            id
        });
    }

    /// A transfer is asked to stop, so it removes its partial files; anything else is aborted.
    pub fn cancel(&mut self, id: RequestId) {
        match self.transfers.remove(&id) {
            Some(cancel) => cancel.cancel(),
            None => {
                if let Some(handle) = self.aborts.remove(&id) {
                    handle.abort();
                }
            }
        }
    }

    /// Waits for a request to end and forgets it; `None` when none is running.
    pub async fn join_next(&mut self) -> Option<()> {
        let done = self.tasks.join_next().await?;
        if let Ok(id) = done {
            self.aborts.remove(&id);
            self.transfers.remove(&id);
        }
        Some(())
    }

    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
    }
}
