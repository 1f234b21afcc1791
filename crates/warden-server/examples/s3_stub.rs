//! An S3 backend stub that answers instantly, for `bench/s3/run.sh`: it measures the gateway's own
//! cost. `GET /<bucket>/big` streams `S3_STUB_BIG_BYTES` (default 1 GiB) from one reused buffer;
//! any other GET answers a 1 KiB body; PUT, HEAD and DELETE read the body and answer 200 empty.
//!
//!     cargo run --release -p warden-server --example s3_stub -- 127.0.0.1:9100

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// `remaining` bytes in pieces of one shared 1 MiB buffer (no copy per piece).
struct Repeat {
    piece: Bytes,
    remaining: u64,
}

impl Body for Repeat {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = self.remaining.min(self.piece.len() as u64);
        self.remaining -= n;
        let piece = self.piece.slice(..usize::try_from(n).unwrap_or(0));
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

async fn answer(req: Request<Incoming>, big: u64) -> Result<Response<Repeat>, Infallible> {
    let (parts, body) = req.into_parts();
    // Drain the request body.
    let _ = http_body_util::BodyExt::collect(body).await;
    let piece = Bytes::from(vec![b'x'; 1 << 20]);
    let remaining = if parts.method == hyper::Method::GET {
        if parts.uri.path().ends_with("/big") {
            big
        } else {
            1024
        }
    } else {
        0
    };
    Ok(Response::builder()
        .header("content-type", "application/octet-stream")
        .body(Repeat { piece, remaining })
        .unwrap_or_else(|_| {
            Response::new(Repeat {
                piece: Bytes::new(),
                remaining: 0,
            })
        }))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9100".to_string());
    let big: u64 = std::env::var("S3_STUB_BIG_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 30);
    let listener = TcpListener::bind(&addr).await?;
    println!("s3 stub listening on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| answer(req, big));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}
