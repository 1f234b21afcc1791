//! The AWS error a handler or the protocol layer returns, and its two wire
//! renderings: the Query `ErrorResponse` XML envelope and the JSON 1.1 body.
//!
//! The HTTP status of a code is never chosen at the call site: it comes from
//! the table generated from the service models' error shapes
//! ([`crate::generated::errors::MODELED_ERRORS`]) and, for protocol-level codes
//! the models do not list, from [`PROTOCOL_ERRORS`] below. That keeps one code
//! from being answered with two different statuses in two handlers.

use std::borrow::Cow;

use crate::generated::errors::MODELED_ERRORS;
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

/// Protocol-level error codes that AWS answers with but that no service model
/// declares as an error shape, with their HTTP status and fault. Statuses are
/// those of AWS's "Common Errors" reference; `ExpiredToken` is 403 for IAM as
/// well as STS, which is what both services answer for an expired session
/// token on the signature path.
pub const PROTOCOL_ERRORS: &[(&str, u16, Fault)] = &[
    ("AccessDenied", 403, Fault::Sender),
    ("AccessDeniedException", 400, Fault::Sender),
    ("ExpiredToken", 403, Fault::Sender),
    ("IncompleteSignature", 400, Fault::Sender),
    ("InternalFailure", 500, Fault::Receiver),
    ("InvalidAction", 400, Fault::Sender),
    ("InvalidClientTokenId", 403, Fault::Sender),
    ("InvalidParameterCombination", 400, Fault::Sender),
    ("InvalidParameterValue", 400, Fault::Sender),
    ("InvalidQueryParameter", 400, Fault::Sender),
    ("MalformedQueryString", 404, Fault::Sender),
    ("MissingAction", 400, Fault::Sender),
    ("MissingAuthenticationToken", 403, Fault::Sender),
    ("MissingParameter", 400, Fault::Sender),
    ("NotAuthorized", 400, Fault::Sender),
    ("NotImplemented", 501, Fault::Receiver),
    ("OptInRequired", 403, Fault::Sender),
    ("RequestEntityTooLarge", 413, Fault::Sender),
    ("RequestExpired", 400, Fault::Sender),
    ("SerializationException", 400, Fault::Sender),
    ("ServiceUnavailable", 503, Fault::Receiver),
    ("SignatureDoesNotMatch", 403, Fault::Sender),
    ("Throttling", 400, Fault::Sender),
    ("ThrottlingException", 400, Fault::Sender),
    ("UnknownOperationException", 400, Fault::Sender),
    ("UnrecognizedClientException", 403, Fault::Sender),
    ("ValidationError", 400, Fault::Sender),
    ("ValidationException", 400, Fault::Sender),
];

/// The HTTP status and fault AWS uses for `code`, if the code is known:
/// first the protocol table, then the table generated from the models.
pub fn status_for_code(code: &str) -> Option<(u16, Fault)> {
    if let Some(&(_, status, fault)) = PROTOCOL_ERRORS.iter().find(|(c, _, _)| *c == code) {
        return Some((status, fault));
    }
    MODELED_ERRORS
        .binary_search_by(|(c, _, _)| (*c).cmp(code))
        .ok()
        .and_then(|i| MODELED_ERRORS.get(i))
        .map(|&(_, status, sender)| {
            (
                status,
                if sender {
                    Fault::Sender
                } else {
                    Fault::Receiver
                },
            )
        })
}

/// An AWS error: what a handler returns instead of a response, and what the
/// protocol layer returns for requests it cannot decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({status}): {message}")]
pub struct ApiError {
    /// The AWS error code, e.g. `NoSuchEntity`.
    pub code: Cow<'static, str>,
    /// The human-readable message, rendered as is (escaped) on the wire.
    pub message: String,
    /// The HTTP status of the response.
    pub status: u16,
    /// Sender (client) or Receiver (server) fault.
    pub fault: Fault,
    /// A machine-readable reason some JSON services add to an error
    /// (Organizations' `InvalidInputException` has `Reason`); rendered
    /// only in the JSON body.
    pub reason: Option<String>,
}

impl ApiError {
    /// An error with the status and fault AWS uses for `code`. Codes in
    /// neither table are client errors (400, Sender): an unknown code must
    /// never turn a client mistake into a 500.
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        let code = code.into();
        let (status, fault) = status_for_code(&code).unwrap_or((400, Fault::Sender));
        ApiError {
            code,
            message: message.into(),
            status,
            fault,
            reason: None,
        }
    }

    /// An error with an explicit status; the fault follows the status class.
    pub fn with_status(
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        status: u16,
    ) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
            status,
            fault: if status >= 500 {
                Fault::Receiver
            } else {
                Fault::Sender
            },
            reason: None,
        }
    }

    /// The same error with a JSON `Reason`.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// `ValidationError` (400) with a complete message.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationError", message)
    }

    /// The error a generated trait method answers when the server has no
    /// handler for the operation.
    pub fn not_implemented(operation: &str) -> Self {
        Self::new(
            "NotImplemented",
            format!("The operation {operation} is not implemented by this server."),
        )
    }

    /// `InvalidAction` (400) for an action the service does not have, with
    /// the text AWS answers.
    pub fn invalid_action(action: &str, version: &str) -> Self {
        Self::new(
            "InvalidAction",
            format!("Could not find operation {action} for version {version}"),
        )
    }

    /// `MissingAction` (400): the request names no action at all.
    pub fn missing_action() -> Self {
        Self::new("MissingAction", "Missing Action")
    }

    /// `MissingParameter` (400).
    pub fn missing_parameter(message: impl Into<String>) -> Self {
        Self::new("MissingParameter", message)
    }

    /// `InvalidParameterValue` (400).
    pub fn invalid_parameter_value(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterValue", message)
    }

    /// `InvalidParameterCombination` (400).
    pub fn invalid_parameter_combination(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterCombination", message)
    }

    /// `MalformedQueryString` (404, as AWS documents it): the body or query
    /// string is not valid form encoding.
    pub fn malformed_query_string(message: impl Into<String>) -> Self {
        Self::new("MalformedQueryString", message)
    }

    /// `AccessDenied` (403) with a complete message.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new("AccessDenied", message)
    }

    /// `InvalidClientTokenId` (403): unknown or inactive access key, or a
    /// session token that does not open.
    pub fn invalid_client_token_id() -> Self {
        Self::new(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    }

    /// `SignatureDoesNotMatch` (403) with AWS's text.
    pub fn signature_does_not_match() -> Self {
        Self::new(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        )
    }

    /// `MissingAuthenticationToken` (403): the request is not signed.
    pub fn missing_authentication_token() -> Self {
        Self::new(
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )
    }

    /// `IncompleteSignature` (400).
    pub fn incomplete_signature(message: impl Into<String>) -> Self {
        Self::new("IncompleteSignature", message)
    }

    /// `ExpiredToken` (403) with AWS's text.
    pub fn expired_token() -> Self {
        Self::new(
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    }

    /// `RequestExpired` (400): the signature date is outside the allowed skew.
    pub fn request_expired(message: impl Into<String>) -> Self {
        Self::new("RequestExpired", message)
    }

    /// `InternalFailure` (500). The message is generic on purpose: internal
    /// details belong in the logs, not in the response.
    pub fn internal_failure() -> Self {
        Self::new(
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }

    /// `ServiceUnavailable` (503).
    pub fn service_unavailable() -> Self {
        Self::new(
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        )
    }

    /// `NoSuchEntity` (404).
    pub fn no_such_entity(message: impl Into<String>) -> Self {
        Self::new("NoSuchEntity", message)
    }

    /// `EntityAlreadyExists` (409).
    pub fn entity_already_exists(message: impl Into<String>) -> Self {
        Self::new("EntityAlreadyExists", message)
    }

    /// `DeleteConflict` (409).
    pub fn delete_conflict(message: impl Into<String>) -> Self {
        Self::new("DeleteConflict", message)
    }

    /// `LimitExceeded` (409).
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new("LimitExceeded", message)
    }

    /// `InvalidInput` (400).
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new("InvalidInput", message)
    }

    /// `MalformedPolicyDocument` (400).
    pub fn malformed_policy_document(message: impl Into<String>) -> Self {
        Self::new("MalformedPolicyDocument", message)
    }

    /// `PasswordPolicyViolation` (400).
    pub fn password_policy_violation(message: impl Into<String>) -> Self {
        Self::new("PasswordPolicyViolation", message)
    }

    /// `InvalidAuthenticationCode` (403).
    pub fn invalid_authentication_code(message: impl Into<String>) -> Self {
        Self::new("InvalidAuthenticationCode", message)
    }

    /// `EntityTemporarilyUnmodifiable` (409).
    pub fn entity_temporarily_unmodifiable(message: impl Into<String>) -> Self {
        Self::new("EntityTemporarilyUnmodifiable", message)
    }

    /// `UnmodifiableEntity` (400).
    pub fn unmodifiable_entity(message: impl Into<String>) -> Self {
        Self::new("UnmodifiableEntity", message)
    }

    /// `ConcurrentModification` (409).
    pub fn concurrent_modification(message: impl Into<String>) -> Self {
        Self::new("ConcurrentModification", message)
    }

    /// `ServiceFailure` (500), IAM's own internal error code.
    pub fn service_failure() -> Self {
        Self::new(
            "ServiceFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }

    /// The Query protocol `ErrorResponse` envelope of this error.
    pub fn to_xml(&self, service: Service, request_id: &str) -> String {
        let mut out = String::with_capacity(256 + self.message.len());
        out.push_str("<ErrorResponse xmlns=\"");
        out.push_str(service.xml_namespace());
        out.push_str("\"><Error><Type>");
        out.push_str(self.fault.as_str());
        out.push_str("</Type><Code>");
        escape_into(&mut out, &self.code);
        out.push_str("</Code><Message>");
        escape_into(&mut out, &self.message);
        out.push_str("</Message></Error><RequestId>");
        escape_into(&mut out, request_id);
        out.push_str("</RequestId></ErrorResponse>");
        out
    }

    /// The JSON 1.1 error body (`{"__type":"Code","message":"..."}`) that
    /// botocore's JSON parser reads the code and message from.
    pub fn to_json(&self) -> Vec<u8> {
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), self.code.as_ref().into());
        body.insert("message".into(), self.message.clone().into());
        if let Some(reason) = &self.reason {
            body.insert("Reason".into(), reason.clone().into());
        }
        serde_json::Value::Object(body).to_string().into_bytes()
    }
}
