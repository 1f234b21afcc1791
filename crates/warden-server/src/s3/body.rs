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
use warden_wire::sigv4::checksum::ChecksumAlgorithm;
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
    /// Set when the decoded body goes on re-framed with its verified trailing checksum.
    reframe: Option<Reframe>,
}

/// A verified trailing checksum passed on to the backend: the decoded body goes as one aws-chunk
/// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER` framing), followed by the final chunk and the trailer, so
/// the backend stores the checksum the client sent. The trailer is released only after the gateway
/// verified it: a body that fails its check never reaches the backend whole.
pub(crate) struct Reframe {
    decoded_len: u64,
    started: bool,
}

impl Reframe {
    pub fn new(decoded_len: u64) -> Reframe {
        Reframe {
            decoded_len,
            started: false,
        }
    }

    /// The re-framed body's length, for `Content-Length`: `<hex len>\r\n<data>\r\n` (no data
    /// chunk when empty), `0\r\n`, `<trailer>:<base64>\r\n`, `\r\n`.
    pub fn framed_len(decoded_len: u64, algorithm: ChecksumAlgorithm) -> u64 {
        let data = if decoded_len == 0 {
            0
        } else {
            format!("{decoded_len:x}").len() as u64 + 2 + decoded_len + 2
        };
        let trailer = algorithm.header().len() + 1 + algorithm.base64_len() + 2;
        data + 3 + trailer as u64 + 2
    }

    /// What goes before the first decoded byte.
    fn prefix(&mut self) -> Option<String> {
        if self.started {
            return None;
        }
        self.started = true;
        Some(format!("{:x}\r\n", self.decoded_len))
    }

    /// What follows the last decoded byte, once the checksum verified.
    fn suffix(&self, algorithm: ChecksumAlgorithm, value: &str) -> String {
        let end_data = if self.decoded_len == 0 { "" } else { "\r\n" };
        format!("{end_data}0\r\n{}:{value}\r\n\r\n", algorithm.header())
    }
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
            reframe: None,
        }
    }

    /// The decoded body re-framed with its verified trailing checksum (see [`Reframe`]).
    pub fn reframed(mut self, reframe: Reframe) -> CheckedBody {
        self.reframe = Some(reframe);
        self
    }

    /// The end of a re-framed body: the final chunk and the verified trailer.
    fn trailer(&self) -> Result<Option<String>, S3Error> {
        let (Some(reframe), Check::Chunked(d)) = (&self.reframe, &self.check) else {
            return Ok(None);
        };
        let (algorithm, value) = d.verified_checksum().ok_or_else(S3Error::internal)?;
        Ok(Some(reframe.suffix(algorithm, &value)))
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
                    Err(sha256_mismatch(expected, &got))
                }
            }
            Check::Chunked(d) => d.finish().map_err(chunk_error),
        }
    }
}

/// S3's answer to a body that does not hash to its signed `x-amz-content-sha256` (text and extra
/// elements: reference §1.3).
pub(crate) fn sha256_mismatch(expected: &[u8], got: &[u8]) -> S3Error {
    S3Error::new(
        400,
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )
    .with("ClientComputedContentSHA256", hex::encode(expected))
    .with("S3ComputedContentSHA256", hex::encode(got))
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
                    match this.trailer() {
                        Err(e) => return this.fail(e),
                        Ok(Some(end)) => {
                            let mut last = this.held.take().map(Vec::from).unwrap_or_default();
                            last.extend_from_slice(end.as_bytes());
                            this.held = Some(Bytes::from(last));
                        }
                        Ok(None) => {}
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
                    let out = match this.reframe.as_mut().and_then(Reframe::prefix) {
                        Some(prefix) => {
                            let mut framed = Vec::with_capacity(prefix.len() + out.len());
                            framed.extend_from_slice(prefix.as_bytes());
                            framed.extend_from_slice(&out);
                            Bytes::from(framed)
                        }
                        None => out,
                    };
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

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a test fails loudly on a broken fixture"
    )]

    use super::*;
    use http_body_util::BodyExt;
    use warden_wire::sigv4::checksum::Checksum;
    use warden_wire::sigv4::chunked::StreamingMode;

    async fn reframe(data: &[u8], algorithm: ChecksumAlgorithm) -> (Vec<u8>, u64) {
        let mut sum = Checksum::new(algorithm);
        sum.update(data);
        let mut client = Vec::new();
        for piece in data.chunks(9000) {
            client.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            client.extend_from_slice(piece);
            client.extend_from_slice(b"\r\n");
        }
        client.extend_from_slice(
            format!("0\r\n{}:{}\r\n\r\n", algorithm.header(), sum.base64()).as_bytes(),
        );
        let len = data.len() as u64;
        let decoder = AwsChunkedDecoder::new(
            StreamingMode::UnsignedTrailer,
            None,
            Some(algorithm),
            Some(len),
        )
        .unwrap();
        let size = Reframe::framed_len(len, algorithm);
        let body = CheckedBody::new(
            Body::from(client),
            Check::Chunked(Box::new(decoder)),
            Failure::default(),
            Some(size),
        )
        .reframed(Reframe::new(len));
        let out = body.collect().await.unwrap().to_bytes().to_vec();
        (out, size)
    }

    #[tokio::test]
    async fn a_reframed_body_is_one_chunk_and_the_verified_trailer_in_its_announced_length() {
        for algorithm in [
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Crc64Nvme,
            ChecksumAlgorithm::Sha1,
            ChecksumAlgorithm::Sha256,
        ] {
            for data in [&b""[..], b"x", &[7u8; 20000][..]] {
                let (out, size) = reframe(data, algorithm).await;
                assert_eq!(out.len() as u64, size, "{algorithm:?} {}", data.len());
                let mut sum = Checksum::new(algorithm);
                sum.update(data);
                let trailer = format!("0\r\n{}:{}\r\n\r\n", algorithm.header(), sum.base64());
                assert!(out.ends_with(trailer.as_bytes()));
                if !data.is_empty() {
                    assert!(out.starts_with(format!("{:x}\r\n", data.len()).as_bytes()));
                }
            }
        }
    }
}
