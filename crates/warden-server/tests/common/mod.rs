//! Shared by the in-process router tests: a warden on an in-memory store
//! behind the real axum router, and a SigV4 signer written from AWS's
//! specification (independent of the server's own verifier, so a bug in one
//! is not mirrored by the other).

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests; each test binary uses a different part of this module"
)]

use std::sync::Arc;

use axum::body::Body;
use axum::Router;
use hmac::{Hmac, Mac};
use http::Request;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower::ServiceExt;
use warden_core::Warden;
use warden_server::{router, AppState};
use warden_wire::sigv4::SigningKeyCache;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const ROOT_KEY_ID: &str = "AKIAWARDENROOTTEST01";
pub const ROOT_SECRET: &str = "wardenRootSecretKeyForRustTests000000001";
pub const IAM_VERSION: &str = "2010-05-08";
pub const STS_VERSION: &str = "2011-06-15";
pub const ORGS_TARGET_PREFIX: &str = "AWSOrganizationsV20161128";

/// Credentials a request is signed with.
#[derive(Debug, Clone)]
pub struct Creds {
    pub key_id: String,
    pub secret: String,
    pub token: Option<String>,
}

impl Creds {
    pub fn root() -> Self {
        Self {
            key_id: ROOT_KEY_ID.to_string(),
            secret: ROOT_SECRET.to_string(),
            token: None,
        }
    }
}

/// An HTTP reply, its body read.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    /// The text of the first `<tag>` element (XML), entities decoded.
    pub fn xml(&self, tag: &str) -> Option<String> {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let start = self.body.find(&open)? + open.len();
        let end = start + self.body[start..].find(&close)?;
        Some(xml_unescape(&self.body[start..end]))
    }

    /// Every `<tag>` element's text, in document order.
    pub fn xml_all(&self, tag: &str) -> Vec<String> {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find(&open) {
            rest = &rest[i + open.len()..];
            let Some(j) = rest.find(&close) else { break };
            out.push(xml_unescape(&rest[..j]));
            rest = &rest[j + close.len()..];
        }
        out
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The error's (code, message): from the Query protocol's XML envelope
    /// or the JSON 1.1 body (`__type`, `message`).
    pub fn error(&self) -> Option<(String, String)> {
        if self.content_type.contains("json") {
            let v: serde_json::Value = serde_json::from_str(&self.body).ok()?;
            let code = v.get("__type")?.as_str()?.to_string();
            let message = v
                .get("message")
                .or_else(|| v.get("Message"))
                .and_then(|m| m.as_str())
                .unwrap_or_default()
                .to_string();
            return Some((code, message));
        }
        if !self.body.contains("<ErrorResponse") {
            return None;
        }
        Some((self.xml("Code")?, self.xml("Message").unwrap_or_default()))
    }

    /// Panics unless the reply is a 200.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.status, 200, "expected success, got: {}", self.body);
        self
    }

    /// Panics unless the reply is exactly this error.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, message: Option<&str>) {
        let (got_code, got_message) = self
            .error()
            .unwrap_or_else(|| panic!("no error envelope ({}): {}", self.status, self.body));
        assert_eq!(
            (self.status, got_code.as_str()),
            (status, code),
            "body: {}",
            self.body
        );
        if let Some(m) = message {
            assert_eq!(got_message, m, "body: {}", self.body);
        }
    }
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// RFC 3986 encoding as SigV4 wants it: everything but the unreserved
/// characters, as upper-case `%XX`.
pub fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `k=v&...` with both sides encoded, in the given order.
pub fn form_encode(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The canonical query string: pairs decoded, re-encoded, sorted.
fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (uri_encode(&dec(k)), uri_encode(&dec(v)))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A request to sign: everything SigV4 covers.
#[derive(Debug, Clone)]
pub struct Unsigned {
    pub method: &'static str,
    /// The query string without `?` (already encoded), possibly empty.
    pub query: String,
    /// Headers besides `host` and `x-amz-date`, which signing adds.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Signs `req` for `service` (AWS Signature Version 4, header form), at
/// `time`, and builds the `http::Request`.
pub fn sign(req: &Unsigned, creds: &Creds, service: &str, time: OffsetDateTime) -> Request<Body> {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let amz_date = time.format(&fmt).expect("formattable date");
    let date = &amz_date[..8];
    let host = format!("{service}.amazonaws.com");

    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    headers.push(("host".into(), host));
    headers.push(("x-amz-date".into(), amz_date.clone()));
    if let Some(token) = &creds.token {
        headers.push(("x-amz-security-token".into(), token.clone()));
    }
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n/\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        req.method,
        canonical_query(&req.query),
        sha256_hex(&req.body)
    );
    let scope = format!("{date}/{REGION}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let k_date = hmac(format!("AWS4{}", creds.secret).as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, REGION.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex::encode(hmac(&k_signing, string_to_sign.as_bytes()));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.key_id
    );

    let uri = if req.query.is_empty() {
        "/".to_string()
    } else {
        format!("/?{}", req.query)
    };
    let mut builder = Request::builder().method(req.method).uri(uri);
    for (k, v) in &headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder
        .header("authorization", authorization)
        .body(Body::from(req.body.clone()))
        .expect("a valid request")
}

/// A Query-protocol POST: `params` in the form body (with `Version` added
/// for the service unless present).
pub fn query_request(service: &str, params: &[(&str, &str)]) -> Unsigned {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    if !pairs.iter().any(|(k, _)| k == "Version") {
        let version = if service == "sts" {
            STS_VERSION
        } else {
            IAM_VERSION
        };
        pairs.push(("Version".into(), version.into()));
    }
    Unsigned {
        method: "POST",
        query: String::new(),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        )],
        body: form_encode(&pairs).into_bytes(),
    }
}

/// An Organizations JSON 1.1 request for `operation`.
pub fn json_request(operation: &str, body: &serde_json::Value) -> Unsigned {
    Unsigned {
        method: "POST",
        query: String::new(),
        headers: vec![
            ("content-type".into(), "application/x-amz-json-1.1".into()),
            (
                "x-amz-target".into(),
                format!("{ORGS_TARGET_PREFIX}.{operation}"),
            ),
        ],
        body: body.to_string().into_bytes(),
    }
}

/// A warden on an in-memory store, its root user holding [`Creds::root`],
/// behind the real router.
pub struct Harness {
    pub state: Arc<AppState>,
    pub app: Router,
}

impl Harness {
    pub fn new() -> Self {
        let warden = Warden::in_memory_for_tests(ACCOUNT).expect("in-memory warden");
        warden
            .iam(ACCOUNT)
            .install_root_key(ROOT_KEY_ID, ROOT_SECRET)
            .expect("root key");
        let state = Arc::new(AppState {
            warden: Arc::new(warden),
            signing_keys: SigningKeyCache::default(),
            dev: None,
            s3: None,
            public_url: "http://127.0.0.1:4600".to_string(),
            // In memory: the router tests run every request through the trail too.
            audit: Some(
                warden_server::audit::AuditTrail::open(
                    warden_server::audit::AuditOptions::default(),
                )
                .expect("in-memory audit trail"),
            ),
        });
        let app = router(state.clone());
        Self { state, app }
    }

    /// Sends a ready request through the router (no `ConnectInfo`).
    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self
            .app
            .clone()
            .oneshot(req)
            .await
            .expect("the router is infallible");
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("the body");
        Reply {
            status,
            content_type,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Signs `req` with `creds` for `service`, now, and sends it.
    pub async fn send_signed(&self, req: &Unsigned, creds: &Creds, service: &str) -> Reply {
        self.send(sign(req, creds, service, OffsetDateTime::now_utc()))
            .await
    }

    /// A Query-protocol call (IAM or STS).
    pub async fn query(&self, creds: &Creds, service: &str, params: &[(&str, &str)]) -> Reply {
        self.send_signed(&query_request(service, params), creds, service)
            .await
    }

    pub async fn iam(&self, creds: &Creds, params: &[(&str, &str)]) -> Reply {
        self.query(creds, "iam", params).await
    }

    pub async fn root_iam(&self, params: &[(&str, &str)]) -> Reply {
        self.iam(&Creds::root(), params).await
    }

    /// An Organizations JSON 1.1 call.
    pub async fn orgs(&self, creds: &Creds, operation: &str, body: &serde_json::Value) -> Reply {
        self.send_signed(&json_request(operation, body), creds, "organizations")
            .await
    }

    /// Creates the user `name` (as root) with an access key; its credentials.
    pub async fn user_with_key(&self, name: &str) -> Creds {
        self.root_iam(&[("Action", "CreateUser"), ("UserName", name)])
            .await
            .ok();
        let key = self
            .root_iam(&[("Action", "CreateAccessKey"), ("UserName", name)])
            .await
            .ok();
        Creds {
            key_id: key.xml("AccessKeyId").expect("AccessKeyId"),
            secret: key.xml("SecretAccessKey").expect("SecretAccessKey"),
            token: None,
        }
    }

    /// Gives `user` the inline policy `name` (as root).
    pub async fn put_user_policy(&self, user: &str, name: &str, document: &serde_json::Value) {
        let doc = document.to_string();
        self.root_iam(&[
            ("Action", "PutUserPolicy"),
            ("UserName", user),
            ("PolicyName", name),
            ("PolicyDocument", &doc),
        ])
        .await
        .ok();
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}
