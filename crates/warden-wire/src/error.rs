//! The AWS error a handler or the protocol layer returns, and its two wire
//! renderings: the Query `ErrorResponse` XML envelope and the JSON 1.1 body.
//!
//! The code is an [`ErrorCode`], generated from the service models' error
//! shapes and the common codes no model declares, so a misspelt code does not
//! compile. The HTTP status of a code is never chosen at the call site: it
//! comes with the code, which keeps one code from being answered with two
//! different statuses in two handlers.

pub use crate::generated::errors::ErrorCode;
use crate::xml::escape_into;

/// Who AWS blames for an error: the `<Type>` element of the error envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The caller's request is at fault (4xx).
    Sender,
    /// The service is at fault (5xx).
    Receiver,
}

impl Fault {
    /// The text of the `<Type>` element.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Sender => "Sender",
            Fault::Receiver => "Receiver",
        }
    }
}

/// The AWS services whose wire format this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// IAM, Query protocol, API version 2010-05-08.
    Iam,
    /// STS, Query protocol, API version 2011-06-15.
    Sts,
    /// Organizations, JSON 1.1 protocol, API version 2016-11-28.
    Organizations,
}

impl Service {
    /// The XML namespace of the service's Query responses (and error
    /// envelopes). Organizations speaks JSON; its namespace is never rendered
    /// but is given for completeness.
    pub fn xml_namespace(self) -> &'static str {
        match self {
            Service::Iam => crate::generated::iam::XML_NAMESPACE,
            Service::Sts => crate::generated::sts::XML_NAMESPACE,
            Service::Organizations => "https://organizations.amazonaws.com/doc/2016-11-28/",
        }
    }

    /// The API version string clients send (`Version=` for Query services).
    pub fn api_version(self) -> &'static str {
        match self {
            Service::Iam => crate::generated::iam::API_VERSION,
            Service::Sts => crate::generated::sts::API_VERSION,
            Service::Organizations => crate::generated::organizations::API_VERSION,
        }
    }

    /// The prefix of IAM action names for this service (`iam`, `sts`,
    /// `organizations`), as in `iam:CreateUser`.
    pub fn action_prefix(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::Organizations => "organizations",
        }
    }
}

/// An AWS error: what a handler returns instead of a response, and what the
/// protocol layer returns for requests it cannot decode. The HTTP status and
/// the fault come from the code ([`ErrorCode::status`], [`ErrorCode::fault`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({}): {message}", .code.status())]
pub struct ApiError {
    /// The AWS error code, e.g. [`ErrorCode::NoSuchEntity`].
    pub code: ErrorCode,
    /// The human-readable message, rendered as is (escaped) on the wire.
    pub message: String,
    /// A machine-readable reason some JSON services add to an error
    /// (Organizations' `InvalidInputException` has `Reason`); rendered
    /// only in the JSON body.
    pub reason: Option<String>,
}

impl ApiError {
    /// An error with the status and fault AWS uses for `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            reason: None,
        }
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// Sender (client) or Receiver (server) fault.
    pub fn fault(&self) -> Fault {
        self.code.fault()
    }

    /// The same error with a JSON `Reason`.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// `ValidationError` (400) with a complete message.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationError, message)
    }

    /// The error a generated trait method answers when the server has no
    /// handler for the operation.
    pub fn not_implemented(operation: &str) -> Self {
        Self::new(
            ErrorCode::NotImplemented,
            format!("The operation {operation} is not implemented by this server."),
        )
    }

    /// `InvalidAction` (400) for an action the service does not have, with
    /// the text AWS answers.
    pub fn invalid_action(action: &str, version: &str) -> Self {
        Self::new(
            ErrorCode::InvalidAction,
            format!("Could not find operation {action} for version {version}"),
        )
    }

    /// `MissingAction` (400): the request names no action at all.
    pub fn missing_action() -> Self {
        Self::new(ErrorCode::MissingAction, "Missing Action")
    }

    /// `MissingParameter` (400).
    pub fn missing_parameter(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MissingParameter, message)
    }

    /// `InvalidParameterValue` (400).
    pub fn invalid_parameter_value(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, message)
    }

    /// `InvalidParameterCombination` (400).
    pub fn invalid_parameter_combination(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterCombination, message)
    }

    /// `MalformedQueryString` (404, as AWS documents it): the body or query
    /// string is not valid form encoding.
    pub fn malformed_query_string(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedQueryString, message)
    }

    /// `AccessDenied` (403) with a complete message.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AccessDenied, message)
    }

    /// `InvalidClientTokenId` (403): unknown or inactive access key, or a
    /// session token that does not open.
    pub fn invalid_client_token_id() -> Self {
        Self::new(
            ErrorCode::InvalidClientTokenId,
            "The security token included in the request is invalid.",
        )
    }

    /// `SignatureDoesNotMatch` (403) with AWS's text.
    pub fn signature_does_not_match() -> Self {
        Self::new(
            ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        )
    }

    /// `MissingAuthenticationToken` (403): the request is not signed.
    pub fn missing_authentication_token() -> Self {
        Self::new(
            ErrorCode::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        )
    }

    /// `IncompleteSignature` (400).
    pub fn incomplete_signature(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::IncompleteSignature, message)
    }

    /// `ExpiredToken` (403) with AWS's text.
    pub fn expired_token() -> Self {
        Self::new(
            ErrorCode::ExpiredToken,
            "The security token included in the request is expired",
        )
    }

    /// `RequestExpired` (400): the signature date is outside the allowed skew.
    pub fn request_expired(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::RequestExpired, message)
    }

    /// `InternalFailure` (500). The message is generic on purpose: internal
    /// details belong in the logs, not in the response.
    pub fn internal_failure() -> Self {
        Self::new(
            ErrorCode::InternalFailure,
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }

    /// `ServiceUnavailable` (503).
    pub fn service_unavailable() -> Self {
        Self::new(
            ErrorCode::ServiceUnavailable,
            "The request has failed due to a temporary failure of the server.",
        )
    }

    /// `NoSuchEntity` (404).
    pub fn no_such_entity(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NoSuchEntity, message)
    }

    /// `EntityAlreadyExists` (409).
    pub fn entity_already_exists(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::EntityAlreadyExists, message)
    }

    /// `DeleteConflict` (409).
    pub fn delete_conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::DeleteConflict, message)
    }

    /// `LimitExceeded` (409).
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::LimitExceeded, message)
    }

    /// `InvalidInput` (400).
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// `MalformedPolicyDocument` (400).
    pub fn malformed_policy_document(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedPolicyDocument, message)
    }

    /// `PasswordPolicyViolation` (400).
    pub fn password_policy_violation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PasswordPolicyViolation, message)
    }

    /// `InvalidAuthenticationCode` (403).
    pub fn invalid_authentication_code(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidAuthenticationCode, message)
    }

    /// `EntityTemporarilyUnmodifiable` (409).
    pub fn entity_temporarily_unmodifiable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::EntityTemporarilyUnmodifiable, message)
    }

    /// `UnmodifiableEntity` (400).
    pub fn unmodifiable_entity(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnmodifiableEntity, message)
    }

    /// `ConcurrentModification` (409).
    pub fn concurrent_modification(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ConcurrentModification, message)
    }

    /// `ServiceFailure` (500), IAM's own internal error code.
    pub fn service_failure() -> Self {
        Self::new(
            ErrorCode::ServiceFailure,
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }

    /// The Query protocol `ErrorResponse` envelope of this error.
    pub fn to_xml(&self, service: Service, request_id: &str) -> String {
        let mut out = String::with_capacity(256 + self.message.len());
        out.push_str("<ErrorResponse xmlns=\"");
        out.push_str(service.xml_namespace());
        out.push_str("\"><Error><Type>");
        out.push_str(self.fault().as_str());
        out.push_str("</Type><Code>");
        escape_into(&mut out, self.code.as_str());
        out.push_str("</Code>");
        // Some AWS errors carry no message at all (GetCredentialReport's
        // ReportNotPresent, which the aws CLI shows as "Unknown"): an empty
        // one is left out rather than sent empty, which botocore reads as None.
        if !self.message.is_empty() {
            out.push_str("<Message>");
            escape_into(&mut out, &self.message);
            out.push_str("</Message>");
        }
        out.push_str("</Error><RequestId>");
        escape_into(&mut out, request_id);
        out.push_str("</RequestId></ErrorResponse>");
        out
    }

    /// The JSON 1.1 error body (`{"__type":"Code","message":"..."}`) that
    /// botocore's JSON parser reads the code and message from.
    pub fn to_json(&self) -> Vec<u8> {
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), self.code.as_str().into());
        body.insert("message".into(), self.message.clone().into());
        if let Some(reason) = &self.reason {
            body.insert("Reason".into(), reason.clone().into());
        }
        serde_json::Value::Object(body).to_string().into_bytes()
    }
}
