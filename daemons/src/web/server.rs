//! Serving a router over plain TCP or TLS, HTTP/1.1, with graceful shutdown.
//!
//! Each accepted connection runs on its own task: TLS handshake (bounded in time), then hyper's
//! HTTP/1.1 connection driver over the router, with the peer address available to handlers as
//! `ConnectInfo<SocketAddr>`. A failing connection is logged at debug and affects nothing else.
//! On shutdown the listener closes first, every connection is told to finish its in-flight
//! request and close, and connections still open after a grace period are dropped.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How long in-flight requests may run on after shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How long a client may take to complete the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long to wait before accepting again after the process ran out of descriptors or memory.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` (over TLS when `tls` is given) until `shutdown` completes, then
/// lets in-flight requests finish for up to ten seconds. Returns an error only when the listener
/// itself is unusable; failures of single connections are logged at debug.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with_grace(listener, app, tls, shutdown, SHUTDOWN_GRACE).await
}

/// [`serve`] with the grace period given.
pub(crate) async fn serve_with_grace(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> io::Result<()> {
    let acceptor = tls.map(TlsAcceptor::from);
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let connection = Connection {
                        peer,
                        app: app.clone(),
                        stopping: stopping.clone(),
                    };
                    connections.spawn(connection.run(stream, acceptor.clone()));
                }
                Err(e) => on_accept_error(e).await?,
            },
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                log_task_end(finished);
            }
        }
    }
    drop(listener);
    stop.send_replace(true);
    let drained = tokio::time::timeout(grace, async {
        while let Some(finished) = connections.join_next().await {
            log_task_end(finished);
        }
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            connections = connections.len(),
            "closing connections still busy after the shutdown grace period"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Transient accept errors are skipped (a client gone before `accept` returned) or waited out
/// (out of descriptors or memory); an unusable listener ends the server.
async fn on_accept_error(e: io::Error) -> io::Result<()> {
    use io::ErrorKind::*;
    match e.kind() {
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock => {
            tracing::debug!(error = %e, "accept failed");
            Ok(())
        }
        InvalidInput | NotConnected | Unsupported => Err(e),
        _ => {
            tracing::warn!(error = %e, "accept failed; retrying shortly");
            tokio::time::sleep(ACCEPT_BACKOFF).await;
            Ok(())
        }
    }
}

fn log_task_end(finished: Result<(), tokio::task::JoinError>) {
    if let Err(e) = finished
        && e.is_panic()
    {
        tracing::error!(error = %e, "HTTP connection task panicked");
    }
}

/// Completes when the server starts shutting down (or is gone).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`; it is dropped here, before any other await.
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// One accepted connection.
struct Connection {
    peer: SocketAddr,
    app: Router,
    /// Becomes true when the server shuts down.
    stopping: watch::Receiver<bool>,
}

impl Connection {
    async fn run(self, stream: TcpStream, tls: Option<TlsAcceptor>) {
        // Small responses go out at once rather than waiting for Nagle's timer.
        let _ = stream.set_nodelay(true);
        let Some(acceptor) = tls else {
            return self.serve_http(TokioIo::new(stream)).await;
        };
        let mut stopping = self.stopping.clone();
        let handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
        tokio::select! {
            outcome = handshake => match outcome {
                Ok(Ok(tls_stream)) => self.serve_http(TokioIo::new(tls_stream)).await,
                Ok(Err(e)) => tracing::debug!(peer = %self.peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
            },
            () = stopped(&mut stopping) => {}
        }
    }

    /// Drives HTTP/1.1 on `io` until the client closes, an error, or shutdown (after which the
    /// request in flight, if any, completes first).
    async fn serve_http<I>(mut self, io: I)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        let peer = self.peer;
        let service = self.app.map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(io, TowerToHyperService::new(service));
        let mut connection = std::pin::pin!(connection);
        let outcome = tokio::select! {
            outcome = connection.as_mut() => outcome,
            () = stopped(&mut self.stopping) => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(e) = outcome {
            tracing::debug!(peer = %peer, error = %e, "HTTP connection ended with an error");
        }
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
