//! A small blocking client of warden's authorization API (`docs/authorization-api.md`).
//!
//! A service that received a SigV4-signed request hands warden the request's material and the
//! checks it needs; warden answers who signed and whether each check is allowed. The client signs
//! its own calls with SigV4 for the service `warden` (warden-wire's signer), over plain HTTP/1.1 as
//! warden serves it, with the standard library only.
//!
//! ```no_run
//! use warden_authz_client::{Check, Client, ClientRequest, Credentials};
//!
//! # fn main() -> Result<(), warden_authz_client::Error> {
//! let warden = Client::new("127.0.0.1:8080", Credentials::new("AKIA...", "secret"));
//! // The client's request, as the service received it.
//! let request = ClientRequest {
//!     method: "GET".into(),
//!     path: "/photos/cat.jpg".into(),
//!     query: String::new(),
//!     headers: vec![
//!         ("Host".into(), "s3.example.test".into()),
//!         ("Authorization".into(), "AWS4-HMAC-SHA256 Credential=...".into()),
//!     ],
//!     payload_hash: "UNSIGNED-PAYLOAD".into(),
//! };
//! let check = Check::new("s3:GetObject", "arn:aws:s3:::photos/cat.jpg")
//!     .resource_account("123456789012")
//!     .resource_policy_arn("arn:aws:s3:::photos");
//! let verdict = warden.authorize(&request, "s3", &[check])?;
//! match (&verdict.error, verdict.allowed()) {
//!     (Some(e), _) => println!("answer {} {}: {}", e.http_status, e.code, e.message),
//!     (None, true) => println!("allowed for {:?}", verdict.principal),
//!     (None, false) => println!("denied: {:?}", verdict.results[0].access_denied_message),
//! }
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use warden_wire::sigv4::{sha256_hex, sign_authorization, HttpRequestParts};

/// The `X-Amz-Target` prefix of the API's operations.
pub const TARGET_PREFIX: &str = "WardenAuthorization";

/// Largest answer read (warden's answers are a few KB; this bounds a misbehaving peer).
const MAX_RESPONSE: u64 = 8 << 20;

/// The calling service's credentials (warden-issued).
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret and token are never printed.
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Long-term keys.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// Temporary credentials with their session token.
    #[must_use]
    pub fn with_session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(token.into());
        self
    }
}

/// Why a call failed.
#[derive(Debug)]
pub enum Error {
    /// Connecting, writing or reading failed.
    Io(std::io::Error),
    /// warden answered something that is not the API's JSON.
    Protocol(String),
    /// An error of the call (not a verdict about the client's request): AWS JSON's `__type`,
    /// `message` and the HTTP status.
    Api {
        /// `__type`, e.g. `AccessDeniedException`.
        code: String,
        /// `message`.
        message: String,
        /// The HTTP status.
        status: u16,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Protocol(m) => write!(f, "protocol error: {m}"),
            Error::Api {
                code,
                message,
                status,
            } => write!(f, "{code} ({status}): {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// The client's request as the service received it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClientRequest {
    /// Upper-case method.
    pub method: String,
    /// The path exactly as received (percent-encoded), without the query.
    pub path: String,
    /// The query exactly as received, without `?`.
    pub query: String,
    /// Every header as received, one entry per value (at least `Host`, the signed ones and
    /// `Authorization`).
    #[serde(serialize_with = "headers_as_objects")]
    pub headers: Vec<(String, String)>,
    /// The payload hash the client signed (hex SHA-256, `UNSIGNED-PAYLOAD` or an S3 `STREAMING-`
    /// marker). The service must check the body against it.
    pub payload_hash: String,
}

fn headers_as_objects<S: serde::Serializer>(
    headers: &[(String, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Header<'a> {
        name: &'a str,
        value: &'a str,
    }
    s.collect_seq(headers.iter().map(|(name, value)| Header { name, value }))
}

/// A condition key and its values (one for a single-valued key).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Key {
    /// The key, e.g. `s3:prefix`.
    pub key: String,
    /// Its values.
    pub values: Vec<String>,
}

/// One action on one resource to decide.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Check {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN.
    pub resource: String,
    /// The owning account when the ARN names none (S3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_account: Option<String>,
    /// The action's condition keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<Key>,
    /// The resource's policy (JSON text); wins over a stored one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
    /// Where the stored policy is (default: `resource`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_policy_arn: Option<String>,
}

impl Check {
    /// `action` on `resource`.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Check {
            action: action.into(),
            resource: resource.into(),
            resource_account: None,
            keys: Vec::new(),
            resource_policy: None,
            resource_policy_arn: None,
        }
    }

    /// Sets the owning account.
    #[must_use]
    pub fn resource_account(mut self, account: impl Into<String>) -> Self {
        self.resource_account = Some(account.into());
        self
    }

    /// Adds a condition key with one value.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.keys.push(Key {
            key: key.into(),
            values: vec![value.into()],
        });
        self
    }

    /// Passes the resource's policy.
    #[must_use]
    pub fn resource_policy(mut self, policy: impl Into<String>) -> Self {
        self.resource_policy = Some(policy.into());
        self
    }

    /// Names where the stored policy is.
    #[must_use]
    pub fn resource_policy_arn(mut self, arn: impl Into<String>) -> Self {
        self.resource_policy_arn = Some(arn.into());
        self
    }
}

/// What the service answers its client when the request is not authenticated.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct AuthError {
    /// The error code, e.g. `SignatureDoesNotMatch`.
    pub code: String,
    /// Its message.
    pub message: String,
    /// The HTTP status to answer with.
    pub http_status: u16,
}

/// A tag of the principal.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// Facts of temporary credentials.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Session {
    /// Whether MFA was presented when they were issued.
    pub mfa_authenticated: bool,
    /// When (epoch seconds).
    #[serde(default)]
    pub mfa_auth_time: Option<i64>,
    /// `sts:SourceIdentity`.
    #[serde(default)]
    pub source_identity: Option<String>,
    /// Issue time (epoch seconds).
    pub issued_at: i64,
    /// Expiry (epoch seconds).
    pub expiration: i64,
}

/// Who signed the client's request (`kind` `Anonymous` and nothing else for an unsigned one).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Principal {
    /// `Anonymous`, `Root`, `IAMUser`, `AssumedRole` or `FederatedUser`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The account.
    #[serde(default)]
    pub account: Option<String>,
    /// The ARN.
    #[serde(default)]
    pub arn: Option<String>,
    /// `aws:userid`.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The access key that signed.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Principal tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Session facts of temporary credentials.
    #[serde(default)]
    pub session: Option<Session>,
}

/// A statement that decided.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// `identity`, `resource`, `boundary`, `session`, `scp`, `rcp`, ...
    pub policy_type: String,
    /// The policy's name.
    pub policy_name: String,
    /// Its `Sid`.
    #[serde(default)]
    pub sid: Option<String>,
    /// Its index.
    pub statement_index: u32,
    /// `Allow` or `Deny`.
    pub effect: String,
}

/// The answer to one check.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct CheckResult {
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub decision: String,
    /// The policy type that decided.
    #[serde(default)]
    pub decided_by: Option<String>,
    /// `Request`, `Stored` or `None`.
    pub resource_policy_source: String,
    /// The deciding statements.
    pub statements: Vec<Statement>,
    /// AWS's AccessDenied text for a denial.
    #[serde(default)]
    pub access_denied_message: Option<String>,
}

/// The answer to Authorize.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Verdict {
    /// False when the client's signature, key, token or time is bad.
    pub authenticated: bool,
    /// What to answer the client then.
    #[serde(default)]
    pub error: Option<AuthError>,
    /// Who signed.
    #[serde(default)]
    pub principal: Option<Principal>,
    /// `Allow` only if every check is allowed.
    pub decision: String,
    /// One per check.
    pub results: Vec<CheckResult>,
}

impl Verdict {
    /// Whether the request is authenticated and every check allowed.
    pub fn allowed(&self) -> bool {
        self.authenticated && self.decision == "Allow"
    }
}

/// A stored resource policy.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct StoredPolicy {
    /// The resource.
    pub resource_arn: String,
    /// The document as put.
    pub policy: String,
    /// When it was put (epoch seconds).
    pub last_updated: i64,
}

/// A client of one warden endpoint.
#[derive(Debug, Clone)]
pub struct Client {
    addr: String,
    credentials: Credentials,
    region: String,
    timeout: Duration,
}

impl Client {
    /// A client of warden at `addr` (`host:port`), signing with `credentials` in `us-east-1`.
    pub fn new(addr: impl Into<String>, credentials: Credentials) -> Self {
        Client {
            addr: addr.into(),
            credentials,
            region: "us-east-1".to_string(),
            timeout: Duration::from_secs(10),
        }
    }

    /// Signs for another region (warden accepts any).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Decides `checks` for the client's `request`, signed for `signing_service`.
    pub fn authorize(
        &self,
        request: &ClientRequest,
        signing_service: &str,
        checks: &[Check],
    ) -> Result<Verdict, Error> {
        let body = serde_json::json!({
            "Request": request,
            "SigningService": signing_service,
            "Checks": checks,
        });
        self.call("Authorize", &body)
    }

    /// Stores `policy` as the resource policy of `resource_arn`.
    pub fn put_resource_policy(&self, resource_arn: &str, policy: &str) -> Result<(), Error> {
        let body = serde_json::json!({"ResourceArn": resource_arn, "Policy": policy});
        self.call::<Value>("PutResourcePolicy", &body).map(|_| ())
    }

    /// The resource policy stored for `resource_arn`.
    pub fn get_resource_policy(&self, resource_arn: &str) -> Result<StoredPolicy, Error> {
        self.call(
            "GetResourcePolicy",
            &serde_json::json!({"ResourceArn": resource_arn}),
        )
    }

    /// Removes the resource policy stored for `resource_arn`.
    pub fn delete_resource_policy(&self, resource_arn: &str) -> Result<(), Error> {
        self.call::<Value>(
            "DeleteResourcePolicy",
            &serde_json::json!({"ResourceArn": resource_arn}),
        )
        .map(|_| ())
    }

    /// The signed HTTP/1.1 request of one call, as bytes.
    fn signed_request(&self, operation: &str, body: &[u8], now: OffsetDateTime) -> Vec<u8> {
        let target = format!("{TARGET_PREFIX}.{operation}");
        let amz_date = warden_wire::sigv4::format_amz_date(now);
        let hash = sha256_hex(body);
        let mut headers: Vec<(&str, &[u8])> = vec![
            ("host", self.addr.as_bytes()),
            ("content-type", b"application/x-amz-json-1.1"),
            ("x-amz-target", target.as_bytes()),
            ("x-amz-date", amz_date.as_bytes()),
            ("x-amz-content-sha256", hash.as_bytes()),
        ];
        if let Some(token) = &self.credentials.session_token {
            headers.push(("x-amz-security-token", token.as_bytes()));
        }
        let names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
        let parts = HttpRequestParts {
            method: "POST",
            raw_path: "/",
            raw_query: "",
            headers: &headers,
            body,
        };
        let authorization = sign_authorization(
            &parts,
            &names,
            &self.credentials.access_key_id,
            self.credentials.secret_access_key.as_bytes(),
            &self.region,
            "warden",
            now,
        );
        let mut out = Vec::with_capacity(512 + body.len());
        out.extend_from_slice(b"POST / HTTP/1.1\r\n");
        for (name, value) in &headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("authorization: {authorization}\r\n").as_bytes());
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
        out.extend_from_slice(b"connection: close\r\n\r\n");
        out.extend_from_slice(body);
        out
    }

    fn call<T: for<'de> Deserialize<'de>>(
        &self,
        operation: &str,
        body: &Value,
    ) -> Result<T, Error> {
        let body = serde_json::to_vec(body).map_err(|e| Error::Protocol(e.to_string()))?;
        let request = self.signed_request(operation, &body, OffsetDateTime::now_utc());
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_write_timeout(Some(self.timeout))?;
        stream.write_all(&request)?;
        let mut raw = Vec::new();
        stream.take(MAX_RESPONSE).read_to_end(&mut raw)?;
        let (status, body) = parse_response(&raw)?;
        if status == 200 {
            return serde_json::from_slice(body).map_err(|e| Error::Protocol(e.to_string()));
        }
        let err: Value = serde_json::from_slice(body)
            .map_err(|e| Error::Protocol(format!("HTTP {status}: {e}")))?;
        let text = |k: &str| err.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        Err(Error::Api {
            code: text("__type"),
            message: text("message"),
            status,
        })
    }
}

/// The status and body of an HTTP/1.1 answer read to its end (`Connection: close`), honouring
/// `Content-Length` when given.
fn parse_response(raw: &[u8]) -> Result<(u16, &[u8]), Error> {
    let bad = |m: &str| Error::Protocol(m.to_string());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| bad("headers are not UTF-8"))?;
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| bad("no status line"))?;
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    match length {
        Some(n) if n <= body.len() => Ok((status, &body[..n])),
        Some(_) => Err(bad("answer shorter than its Content-Length")),
        None => Ok((status, body)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test that panics has failed")]

    use super::*;
    use warden_wire::sigv4::{parse_auth, verify, SigningKeyCache};

    #[test]
    fn calls_are_signed_for_warden_and_verify() {
        let client = Client::new(
            "127.0.0.1:8080",
            Credentials::new("AKIAEXAMPLE", "secret").with_session_token("tok"),
        );
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let raw = client.signed_request("Authorize", b"{}", now);
        let text = String::from_utf8(raw).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let headers: Vec<(&str, &[u8])> = head
            .split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(": "))
            .map(|(n, v)| (n, v.as_bytes()))
            .collect();
        let parts = HttpRequestParts {
            method: "POST",
            raw_path: "/",
            raw_query: "",
            headers: &headers,
            body: body.as_bytes(),
        };
        let auth = parse_auth(&parts, now).unwrap();
        assert_eq!(auth.scope.service, "warden");
        assert_eq!(auth.security_token.as_deref(), Some("tok"));
        assert!(auth.signed_headers.iter().any(|h| h == "x-amz-target"));
        verify(&parts, &auth, b"secret", &SigningKeyCache::default(), now).unwrap();
    }

    #[test]
    fn requests_serialize_to_the_documented_shape() {
        let request = ClientRequest {
            method: "GET".into(),
            path: "/b/k".into(),
            query: String::new(),
            headers: vec![("Host".into(), "h".into())],
            payload_hash: "UNSIGNED-PAYLOAD".into(),
        };
        let check = Check::new("s3:GetObject", "arn:aws:s3:::b/k")
            .resource_account("123456789012")
            .key("s3:prefix", "home/");
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"Method": "GET", "Path": "/b/k", "Query": "",
                "Headers": [{"Name": "Host", "Value": "h"}], "PayloadHash": "UNSIGNED-PAYLOAD"})
        );
        assert_eq!(
            serde_json::to_value(&check).unwrap(),
            serde_json::json!({"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k",
                "ResourceAccount": "123456789012", "Keys": [{"Key": "s3:prefix", "Values": ["home/"]}]})
        );
    }

    #[test]
    fn answers_parse_with_and_without_content_length() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_response(raw).unwrap(), (200, &b"{}"[..]));
        let raw = b"HTTP/1.1 400 Bad Request\r\n\r\n{\"__type\":\"X\"}";
        assert_eq!(parse_response(raw).unwrap().0, 400);
        assert!(parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n{}").is_err());
        assert!(parse_response(b"garbage").is_err());
    }

    #[test]
    fn the_secret_is_never_printed() {
        let c = Credentials::new("AKIAEXAMPLE", "very-secret").with_session_token("tok");
        let shown = format!("{c:?}");
        assert!(
            shown.contains("AKIAEXAMPLE")
                && !shown.contains("very-secret")
                && !shown.contains("tok")
        );
    }
}
