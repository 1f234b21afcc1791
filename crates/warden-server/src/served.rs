//! What this endpoint serves, told to whoever asks: the page at an unsigned
//! `GET /` (a browser, `curl`), and the refusal of a request signed for a
//! service warden does not serve, in a form that service's clients read.

use axum::http::{request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use warden_wire::{ApiError, ErrorCode};

use crate::AppState;

/// The signing names of the services the AWS endpoint answers (with the S3
/// gateway on, `s3` as well). `edge::pick_service` routes each of them; a
/// service added there is added here.
pub(crate) const SERVED_SERVICES: &[&str] = &["iam", "sts", "organizations"];

/// The services this server answers, for people: `iam, sts, organizations`, then
/// the S3 gateway and the audit trail's LookupEvents when they are on.
fn served_list(app: &AppState) -> String {
    let mut names = SERVED_SERVICES.to_vec();
    if app.s3.is_some() {
        names.push("s3");
    }
    // CloudTrail answers LookupEvents on the audit trail (audit/lookup.rs).
    if app.audit.is_some() {
        names.push("cloudtrail (LookupEvents)");
    }
    names.join(", ")
}

/// Whether `parts` is a plain look at the root: an unsigned `GET /` with no
/// query, which no AWS client sends (S3's ListBuckets is signed, IAM and STS
/// name an `Action`).
pub(crate) fn is_a_visit(parts: &Parts) -> bool {
    parts.uri.path() == "/"
        && parts.uri.query().is_none_or(str::is_empty)
        && !parts.headers.contains_key("authorization")
        && !parts.headers.contains_key("x-amz-target")
}

/// The page an unsigned `GET /` gets: what this is, its version, what it
/// serves and where to read more.
pub(crate) fn landing(app: &AppState) -> Response {
    let text = format!(
        "warden {version}: AWS IAM, STS and Organizations, self-hosted.\n\
         \n\
         This is an AWS API endpoint: point the aws CLI, boto3 or an AWS SDK at it\n\
         (endpoint_url, or per service in a profile's [services] section) and sign\n\
         requests as you would for AWS.\n\
         \n\
         Services served here: {services}.\n\
         Health check: GET /health\n\
         Documentation: the README and docs/ of warden's source; docs/coverage.md lists\n\
         every operation and whether it is served, docs/operations.md the metrics and logs.\n",
        version = env!("CARGO_PKG_VERSION"),
        services = served_list(app),
    );
    (
        StatusCode::OK,
        [("content-type", "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// The service a SigV4 request is signed for, when it is one this server
/// does not answer.
pub(crate) fn unserved_service(app: &AppState, parts: &Parts) -> Option<String> {
    let service = crate::s3::signing_service(parts)?;
    let served = SERVED_SERVICES.contains(&service.as_ref())
        || (service == "s3" && app.s3.is_some())
        // The authorization API's own scope (authzapi.rs answers it).
        || service == "warden";
    (!served).then(|| service.into_owned())
}

/// The refusal of a request signed for `service`: `InvalidAction` (400: the
/// client's mistake, which the AWS SDKs do not retry and which no server-error
/// alert should count), naming what is served. JSON services
/// get a JSON body; Query, EC2 and REST-XML ones an `<ErrorResponse>`,
/// which botocore's parsers of all three read. The code also travels in
/// `x-amzn-errortype` for REST-JSON clients that read it from there.
pub(crate) fn refusal(app: &AppState, parts: &Parts, service: &str, request_id: &str) -> Response {
    // The name comes from the request: shown only when it looks like one.
    let shown = if !service.is_empty()
        && service.len() <= 64
        && service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        format!("'{service}'")
    } else {
        "another service".to_string()
    };
    let mut gateway_hint = "";
    if service == "s3" {
        gateway_hint = " (S3 is served only with `warden serve --s3-backend`)";
    }
    let error = ApiError::new(
        ErrorCode::InvalidAction,
        format!(
            "This warden endpoint serves {served}; the request is signed for {shown}, which it \
             does not serve{gateway_hint}. Send that service to its own endpoint: a profile's \
             [services] section can point just {served} at warden.",
            served = served_list(app),
        ),
    );
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    // Query and EC2 requests are forms (or GETs naming an Action); S3,
    // CloudFront and Route 53 speak REST-XML; the rest (JSON 1.0/1.1 with
    // X-Amz-Target, REST-JSON) read JSON.
    let query_protocol = header("content-type").starts_with("application/x-www-form-urlencoded")
        || parts
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")));
    let json = !query_protocol && !matches!(service, "s3" | "cloudfront" | "route53");
    let (content_type, body) = if json {
        let content_type = if header("content-type").contains("json") {
            header("content-type").to_string()
        } else {
            "application/x-amz-json-1.0".to_string()
        };
        (
            content_type,
            String::from_utf8_lossy(&error.to_json()).into_owned(),
        )
    } else {
        let mut body = String::from("<ErrorResponse><Error><Type>Sender</Type><Code>");
        body.push_str(error.code.as_str());
        body.push_str("</Code><Message>");
        warden_wire::xml::escape_into(&mut body, &error.message);
        body.push_str("</Message></Error><RequestId>");
        warden_wire::xml::escape_into(&mut body, request_id);
        body.push_str("</RequestId></ErrorResponse>");
        ("text/xml".to_string(), body)
    };
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = (status, body).into_response();
    let headers = resp.headers_mut();
    for (name, value) in [
        ("content-type", content_type.as_str()),
        ("x-amzn-errortype", error.code.as_str()),
        ("x-amzn-requestid", request_id),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(req: axum::http::Request<()>) -> Parts {
        req.into_parts().0
    }

    #[test]
    fn only_an_unsigned_get_of_the_bare_root_is_a_visit() {
        let get = |uri: &str| axum::http::Request::get(uri).body(()).unwrap();
        assert!(is_a_visit(&parts(get("/"))));
        assert!(!is_a_visit(&parts(get("/?Action=ListUsers"))));
        assert!(!is_a_visit(&parts(get("/bucket"))));
        let signed = axum::http::Request::get("/")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/s3/aws4_request",
            )
            .body(())
            .unwrap();
        assert!(!is_a_visit(&parts(signed)));
    }
}
