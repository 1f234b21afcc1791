//! Errors of SigV4 parsing and verification, with the AWS code, message and
//! HTTP status each one maps to on the wire.

/// The AWS `SignatureDoesNotMatch` text, verbatim, because the aws CLI and the
/// SDKs show it to users and tests compare it.
pub const SIGNATURE_DOES_NOT_MATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

use crate::error::{ApiError, ErrorCode};

/// Why a request failed authentication.
///
/// Every variant maps to an AWS error code ([`SigV4Error::code`]), message
/// ([`SigV4Error::message`]) and HTTP status ([`SigV4Error::http_status`]).
/// The `Display` text is the AWS message, so the error can be logged as is:
/// it never contains a secret or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header and no presigned query parameters at all.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,

    /// Auth was attempted but is malformed (missing `Credential`, bad scope
    /// shape, bad date format, ...). AWS answers 400 `IncompleteSignature`.
    #[error("{0}")]
    IncompleteSignature(String),

    /// The recomputed signature differs from the one sent.
    #[error("{}", SIGNATURE_DOES_NOT_MATCH_MESSAGE)]
    SignatureDoesNotMatch,

    /// The request time is outside the ±15 minute window. IAM and STS answer
    /// `SignatureDoesNotMatch` with a `Signature expired: ...` or
    /// `Signature not yet current: ...` message.
    #[error("{0}")]
    SignatureExpired(String),

    /// The credential scope does not fit the request: the scope date differs
    /// from the request date, or the region or service is not ours. AWS
    /// answers `SignatureDoesNotMatch` with a specific message.
    #[error("{0}")]
    ScopeMismatch(String),

    /// A presigned request used after `X-Amz-Date + X-Amz-Expires`.
    #[error("Request has expired.")]
    RequestExpired,

    /// Unknown or inactive access key id (the server decides this, after
    /// [`parse_auth`](super::parse_auth) and before [`verify`](super::verify)).
    #[error("The security token included in the request is invalid.")]
    InvalidClientTokenId,
}

impl SigV4Error {
    /// The AWS error code (`<Code>` in the Query `ErrorResponse`, `__type` in JSON 1.1).
    pub fn code(&self) -> ErrorCode {
        match self {
            SigV4Error::MissingAuthenticationToken => ErrorCode::MissingAuthenticationToken,
            SigV4Error::IncompleteSignature(_) => ErrorCode::IncompleteSignature,
            SigV4Error::SignatureDoesNotMatch
            | SigV4Error::SignatureExpired(_)
            | SigV4Error::ScopeMismatch(_) => ErrorCode::SignatureDoesNotMatch,
            SigV4Error::RequestExpired => ErrorCode::RequestExpired,
            SigV4Error::InvalidClientTokenId => ErrorCode::InvalidClientTokenId,
        }
    }

    /// The AWS error message.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The HTTP status AWS uses for this error: the code's.
    pub fn http_status(&self) -> u16 {
        self.code().status()
    }

    /// The wire error, for the error envelope writer.
    pub fn api_error(&self) -> ApiError {
        ApiError::new(self.code(), self.message())
    }
}
