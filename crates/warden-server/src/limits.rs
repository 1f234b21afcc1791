//! Connection limits: how long a client may take to send a request, and how
//! big its head may be. Without them one client that opens sockets and sends
//! a byte now and then (slowloris) holds connections and memory forever.
//!
//! hyper enforces the head limits; the body deadline is a wrapper around the
//! request body, so the edge reads it as before and sees an error when the
//! deadline passes.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};

/// The limits one server applies to every connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From the moment a connection is ready for a request (accepted, or
    /// idle after an answer) until the whole head has arrived. hyper runs
    /// the same timer while a kept-alive connection waits for its next
    /// request, so this is also the idle keep-alive timeout.
    pub header_read_timeout: Duration,
    /// From the end of the head until the end of the body.
    pub body_read_timeout: Duration,
    /// The request line and headers together; a larger head gets 431.
    pub max_header_bytes: usize,
    /// With the S3 gateway on, an S3 request's body may take as long as it needs while data keeps
    /// coming: `body_read_timeout` then bounds the silence between two pieces, not the whole body
    /// (an object may be gigabytes; the gateway decides before it reads any of it).
    pub s3_bodies_stream: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // An honest client sends its head in one write; 10 s leaves room
            // for a slow network and drops a silent socket soon.
            header_read_timeout: Duration::from_secs(10),
            // IAM bodies are at most a few tens of KiB.
            body_read_timeout: Duration::from_secs(30),
            // SigV4 heads with a session token are 2-4 KiB; a Query GET may
            // carry a URL-encoded 10 KiB policy (about 30 KiB).
            max_header_bytes: 64 * 1024,
            s3_bodies_stream: false,
        }
    }
}

/// Serves `app` on `listener` until the listener fails for good, with
/// `limits` on every connection. Replaces `axum::serve`, which exposes none
/// of these settings.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Out of descriptors and the like: let connections finish
                // rather than spin (what axum::serve does too).
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let app = app.clone();
        let http = http.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let s3 = limits.s3_bodies_stream
                    && crate::s3::is_s3(req.method(), req.uri(), req.headers());
                let mut req = req.map(|body| {
                    Body::new(TimedBody::new(
                        Body::new(body),
                        limits.body_read_timeout,
                        s3,
                    ))
                });
                // The edge reads the caller's address from here, as it did
                // under `into_make_service_with_connect_info`.
                req.extensions_mut().insert(ConnectInfo(peer));
                if limits.s3_bodies_stream {
                    // Told once: the router's dispatch reads it instead of asking again.
                    req.extensions_mut().insert(crate::s3::S3Route(s3));
                }
                tower::Service::call(&mut app.clone(), req)
            });
            if let Err(e) = http.serve_connection(TokioIo::new(stream), service).await {
                // Timeouts, oversized heads and resets end up here.
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
}

/// The client took longer than the body read timeout to send the body.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub struct BodyTimeout(Duration);

/// A body that fails once `timeout` has passed since the head was read.
/// The timer is only armed when the client is slow (a body that arrives
/// with the head never waits).
struct TimedBody {
    inner: Body,
    timeout: Duration,
    deadline: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Each piece that arrives moves the deadline (S3 uploads, [`Limits::s3_bodies_stream`]).
    idle: bool,
}

impl TimedBody {
    fn new(inner: Body, timeout: Duration, idle: bool) -> Self {
        Self {
            inner,
            timeout,
            deadline: Instant::now() + timeout,
            sleep: None,
            idle,
        }
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            if this.idle {
                this.deadline = Instant::now() + this.timeout;
                this.sleep = None;
            }
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(BodyTimeout(this.timeout).into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use std::net::SocketAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn short() -> Limits {
        Limits {
            header_read_timeout: Duration::from_millis(300),
            body_read_timeout: Duration::from_millis(300),
            max_header_bytes: 16 * 1024,
            s3_bodies_stream: false,
        }
    }

    /// A server whose one route echoes the body length, or 408 when the
    /// body could not be read.
    async fn server(limits: Limits) -> SocketAddr {
        let app = Router::new().route(
            "/",
            post(|body: Body| async move {
                match axum::body::to_bytes(body, 1 << 20).await {
                    Ok(b) => (http::StatusCode::OK, b.len().to_string()),
                    Err(_) => (http::StatusCode::REQUEST_TIMEOUT, String::new()),
                }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, app, limits));
        addr
    }

    /// Reads until the server closes; what it sent.
    async fn read_to_close(s: &mut tokio::net::TcpStream) -> String {
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn a_silent_client_is_dropped_after_the_header_timeout() {
        let addr = server(short()).await;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let t0 = std::time::Instant::now();
        let got = tokio::time::timeout(Duration::from_secs(5), read_to_close(&mut s))
            .await
            .expect("the server kept a silent connection open");
        assert!(t0.elapsed() >= Duration::from_millis(250), "{got}");
        assert!(!got.contains("200 OK"), "{got}");
    }

    #[tokio::test]
    async fn a_body_that_stops_arriving_fails_after_the_body_timeout() {
        let addr = server(short()).await;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
            .await
            .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), read_to_close(&mut s))
            .await
            .expect("the server waited for the body forever");
        assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    }

    /// A body trickling in over 1 s: refused under the total deadline (IAM), read in full when
    /// the deadline is an idle one (an S3 upload with the gateway on).
    #[tokio::test]
    async fn s3_bodies_may_take_long_while_data_keeps_coming() {
        for (stream, want) in [(false, "HTTP/1.1 408"), (true, "HTTP/1.1 200")] {
            let app = Router::new().route(
                "/bucket/key",
                axum::routing::put(|body: Body| async move {
                    match axum::body::to_bytes(body, 1 << 20).await {
                        Ok(b) => (http::StatusCode::OK, b.len().to_string()),
                        Err(_) => (http::StatusCode::REQUEST_TIMEOUT, String::new()),
                    }
                }),
            );
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let limits = Limits {
                s3_bodies_stream: stream,
                ..short()
            };
            tokio::spawn(serve(listener, app, limits));
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(b"PUT /bucket/key HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\n")
                .await
                .unwrap();
            for _ in 0..6 {
                tokio::time::sleep(Duration::from_millis(150)).await;
                if s.write_all(b"a").await.is_err() {
                    break;
                }
            }
            let got = tokio::time::timeout(Duration::from_secs(5), read_to_close(&mut s))
                .await
                .unwrap();
            assert!(got.starts_with(want), "stream={stream}: {got}");
        }
    }

    #[tokio::test]
    async fn an_oversized_head_gets_431_and_a_normal_one_is_served() {
        let addr = server(short()).await;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let big = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nContent-Length: 0\r\n\r\n",
            "a".repeat(20 * 1024)
        );
        s.write_all(big.as_bytes()).await.unwrap();
        let got = read_to_close(&mut s).await;
        assert!(got.starts_with("HTTP/1.1 431"), "{got}");

        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
        )
        .await
        .unwrap();
        let got = read_to_close(&mut s).await;
        assert!(got.starts_with("HTTP/1.1 200"), "{got}");
        assert!(got.ends_with("\r\n3"), "{got}");
    }
}
