//! Serving the S3 service on a socket: one task per connection, an optional fixed delay per
//! request, and a graceful stop.

use std::future::Future;
use std::io;
use std::time::Duration;

use futures::future::BoxFuture;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use s3s::service::S3Service;
use s3s::{HttpError, HttpResponse};
use tokio::net::TcpListener;

/// How long requests still in flight at shutdown may take to finish.
const DRAIN: Duration = Duration::from_secs(2);

/// The S3 service behind a fixed delay, standing in for a real region's round trip.
#[derive(Clone)]
struct Delayed {
    inner: S3Service,
    latency: Duration,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Delayed {
    type Response = HttpResponse;
    type Error = HttpError;
    type Future = BoxFuture<'static, Result<HttpResponse, HttpError>>;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        let inner = self.inner.clone();
        let latency = self.latency;
        Box::pin(async move {
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            hyper::service::Service::call(&inner, req).await
        })
    }
}

/// Serves until `shutdown` completes, then lets open requests finish for a moment.
pub async fn serve(listener: TcpListener, service: S3Service, latency: Duration, shutdown: impl Future<Output = ()>) {
    let builder = ConnBuilder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    let service = Delayed { inner: service, latency };
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("s3lease-bench-server: accept failed: {e}");
                // Out of file descriptors and the like: wait rather than spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Small responses (HEADs, short pages) would otherwise wait for Nagle's delayed ACK.
        let _ = stream.set_nodelay(true);
        let connection = builder.serve_connection(TokioIo::new(stream), service.clone()).into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client hanging up mid-request is routine for a benchmark server.
            let _ = connection.await;
        });
    }
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}

/// A future that resolves on SIGINT or SIGTERM, or when stdin reaches end of file if
/// `on_stdin_eof`. The signal handlers are in place once this returns.
pub fn shutdown_signal(on_stdin_eof: bool) -> io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let stdin_closed = on_stdin_eof.then(|| {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        // A plain thread: a blocking read on tokio's pool would hold up runtime shutdown.
        std::thread::spawn(move || {
            let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
            let _ = tx.send(());
        });
        rx
    });
    Ok(async move {
        let stdin_closed = async {
            match stdin_closed {
                Some(rx) => {
                    let _ = rx.await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
            () = stdin_closed => {}
        }
    })
}
