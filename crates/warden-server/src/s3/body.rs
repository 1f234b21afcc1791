//! The request body on its way to the backend, checked as it streams: a signed SHA-256 is hashed,
//! an aws-chunked body is decoded and its chunk signatures and trailing checksum verified. The last
//! piece is held back until the check passes; on failure the body ends in an error, so the backend
//! sees a short body and stores nothing, and the gateway answers the client with the reason.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use warden_wire::sigv4::chunked::AwsChunkedDecoder;

use super::errors::S3Error;

/// Where a failed body leaves its reason for the handler.
pub(crate) type Failure = Arc<Mutex<Option<S3Error>>>;

pub(crate) enum Check {
    /// Nothing to verify (`UNSIGNED-PAYLOAD`).
    None,
    /// The signed `x-amz-content-sha256`.
    Sha256 { hasher: Sha256, expected: [u8; 32] },
    /// aws-chunked framing.
    Chunked(Box<AwsChunkedDecoder>),
}

pub(crate) struct CheckedBody {
    inner: Body,
    check: Check,
    held: Option<Bytes>,
    failure: Failure,
    ended: bool,
    size: Option<u64>,
}

impl CheckedBody {
    pub fn new(inner: Body, check: Check, failure: Failure, size: Option<u64>) -> CheckedBody {
        CheckedBody {
            inner,
            check,
            held: None,
            failure,
            ended: false,
            size,
        }
    }

    fn fail(&mut self, e: S3Error) -> Poll<Option<Result<Frame<Bytes>, BodyFailed>>> {
        *self.failure.lock() = Some(e);
        self.ended = true;
        self.held = None;
        Poll::Ready(Some(Err(BodyFailed)))
    }

    /// At the end of the client's body: the verdict, then the held piece.
    fn finish(&mut self) -> Result<(), S3Error> {
        match &mut self.check {
            Check::None => Ok(()),
            Check::Sha256 { hasher, expected } => {
                let got: [u8; 32] = std::mem::take(hasher).finalize().into();
                if got == *expected {
                    Ok(())
                } else {
                    // S3's text and extra elements (reference §1.3).
                    Err(S3Error::new(
                        400,
                        "XAmzContentSHA256Mismatch",
                        "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    )
                    .with("ClientComputedContentSHA256", hex::encode(expected))
                    .with("S3ComputedContentSHA256", hex::encode(got)))
                }
            }
            Check::Chunked(d) => d.finish().map_err(chunk_error),
        }
    }
}

pub(crate) fn chunk_error(e: warden_wire::sigv4::chunked::ChunkError) -> S3Error {
    let mut err = S3Error::new(e.http_status(), e.code(), e.message());
    if let warden_wire::sigv4::chunked::ChunkError::InvalidChunkSize { chunk, bad_size } = e {
        err = err
            .with("Chunk", chunk.to_string())
            .with("BadChunkSize", bad_size.to_string());
    }
    err
}

/// The body ended early because a check failed (the reason is in the [`Failure`] slot).
#[derive(Debug, thiserror::Error)]
#[error("the request body failed its check")]
pub(crate) struct BodyFailed;

impl http_body::Body for CheckedBody {
    type Data = Bytes;
    type Error = BodyFailed;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        loop {
            if this.ended {
                return Poll::Ready(this.held.take().map(|b| Ok(Frame::data(b))));
            }
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(_))) => {
                    return this.fail(S3Error::new(
                        400,
                        "IncompleteBody",
                        "You did not provide the number of bytes specified by the Content-Length HTTP header",
                    ))
                }
                Poll::Ready(None) => {
                    if let Err(e) = this.finish() {
                        return this.fail(e);
                    }
                    this.ended = true;
                }
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // HTTP trailers of the client's request are not forwarded
                    };
                    let out = match &mut this.check {
                        Check::None => data,
                        Check::Sha256 { hasher, .. } => {
                            hasher.update(&data);
                            data
                        }
                        Check::Chunked(d) => {
                            let mut out = Vec::with_capacity(data.len());
                            if let Err(e) = d.push(&data, &mut out) {
                                return this.fail(chunk_error(e));
                            }
                            Bytes::from(out)
                        }
                    };
                    if out.is_empty() {
                        continue;
                    }
                    // Release the previous piece, hold this one.
                    if let Some(prev) = this.held.replace(out) {
                        return Poll::Ready(Some(Ok(Frame::data(prev))));
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended && self.held.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.size {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}
