//! S3's error shape: `<Error><Code/><Message/>...<RequestId/><HostId/></Error>`, with the status S3
//! gives each code (S3 model's Error table), and no body for HEAD.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

/// One S3 error answer.
#[derive(Debug, Clone)]
pub(crate) struct S3Error {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Extra elements (`BucketName`, `Key`, `HeadersNotSigned`, ...), escaped when rendered.
    pub extra: Vec<(&'static str, String)>,
}

impl S3Error {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> S3Error {
        S3Error {
            status,
            code,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> S3Error {
        self.extra.push((name, value.into()));
        self
    }

    /// "Access Denied", S3's text for every authorization refusal (it names no policy).
    pub fn access_denied() -> S3Error {
        S3Error::new(403, "AccessDenied", "Access Denied")
    }

    pub fn not_implemented() -> S3Error {
        S3Error::new(
            501,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented",
        )
    }

    pub fn internal() -> S3Error {
        S3Error::new(
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
        )
    }

    pub fn no_such_bucket(bucket: &str) -> S3Error {
        S3Error::new(404, "NoSuchBucket", "The specified bucket does not exist")
            .with("BucketName", bucket)
    }

    pub fn render(&self, request_id: &str, head: bool) -> Response {
        let mut xml = String::with_capacity(256);
        xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
        xml.push_str(self.code);
        xml.push_str("</Code><Message>");
        xml.push_str(&escape(&self.message));
        xml.push_str("</Message>");
        for (name, value) in &self.extra {
            xml.push('<');
            xml.push_str(name);
            xml.push('>');
            xml.push_str(&escape(value));
            xml.push_str("</");
            xml.push_str(name);
            xml.push('>');
        }
        xml.push_str("<RequestId>");
        xml.push_str(request_id);
        xml.push_str("</RequestId><HostId>");
        xml.push_str(request_id);
        xml.push_str("</HostId></Error>");
        let body = if head { Body::empty() } else { Body::from(xml) };
        let mut resp = Response::new(body);
        *resp.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let h = resp.headers_mut();
        h.insert("content-type", HeaderValue::from_static("application/xml"));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert("x-amz-request-id", v);
        }
        resp
    }
}

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
