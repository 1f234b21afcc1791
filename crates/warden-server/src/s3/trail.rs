//! The S3 gateway's calls in the audit trail. CloudTrail records S3's bucket-level calls and
//! ListBuckets as management events, which every account's trail holds by default; object-level
//! calls (and listings of a bucket's objects) are data events, recorded only when a trail asks for
//! them. warden records the management events, through the edge's one
//! [`finish`](crate::edge::finish), and not the data events. `ops::Plan::event` says which is
//! which, under CloudTrail's names (S3 User Guide, "Amazon S3 CloudTrail events").
//!
//! `serve` notes what the record needs as it goes, and only for a management event: the data path
//! copies nothing.

use std::net::IpAddr;

use axum::body::{to_bytes, Body, Bytes};
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::{Map, Value};
use warden_core::auth::Caller;
use warden_wire::sigv4::AuthKind;

use super::auth::S3Client;
use super::errors::S3Error;
use super::ops::{Address, Plan, Query};
use super::S3Gateway;
use crate::audit::record::{Params, Source};
use crate::edge::{AuthSeen, Finish, Trace};
use crate::AppState;

/// What an S3 request's record needs, noted by `serve`.
#[derive(Default)]
pub(super) struct Noted {
    /// The operation (the metrics' row), once planned.
    pub operation: Option<&'static str>,
    /// CloudTrail's `eventName`, when the request is a management event; everything below is
    /// noted only then.
    pub event: Option<&'static str>,
    pub bucket: Option<String>,
    /// The bucket's owner when the request arrived (DeleteBucket forgets it before the record).
    pub owner: Option<String>,
    /// The query (sub-resource and plain parameters; the presigned ones are not kept).
    pub query: Query,
    /// The authenticated caller.
    pub caller: Option<Caller>,
    /// How the request was signed (`None`: anonymous, or not authenticated).
    pub signed: Option<AuthKind>,
    /// What a failed authentication presented.
    pub refused: Option<AuthSeen>,
    /// CreateBucket's `LocationConstraint`.
    pub location: Option<String>,
    /// PutBucketPolicy's policy, as sent.
    pub policy: Option<Bytes>,
}

impl Noted {
    /// The request's plan is known.
    pub fn planned(&mut self, app: &AppState, plan: &Plan, addr: &Address, query: &Query) {
        self.operation = Some(plan.operation);
        if let Some(event) = plan.event {
            self.event = Some(event);
            self.bucket.clone_from(&addr.bucket);
            self.owner = owner_of(app, self.bucket.as_deref());
            self.query.clone_from(query);
        }
    }

    /// The request is authenticated (or anonymous).
    pub fn authenticated(&mut self, who: &S3Client) {
        if self.event.is_some() {
            self.caller.clone_from(&who.caller);
            self.signed = who.kind;
        }
    }
}

/// A finished management event, as `handle` ends it.
pub(super) struct Finished<'a> {
    pub parts: &'a Parts,
    pub request_id: &'a str,
    pub source_ip: Option<IpAddr>,
    pub started: std::time::Instant,
    /// The gateway's answer: the backend's (maybe its error), or the gateway's own error.
    pub result: &'a Result<Response, S3Error>,
    /// The backend's error code and message, read from its answer ([`backend_error`]).
    pub backend_error: Option<(String, String)>,
}

/// Logs and records a management event: the one [`crate::edge::finish`] of every request.
pub(super) fn finish(app: &AppState, gw: &S3Gateway, f: Finished<'_>, noted: Noted) {
    let Some(event) = noted.event else {
        return;
    };
    // Built for the record only when there is a trail to keep it.
    let params = app
        .audit
        .as_ref()
        .map(|_| Value::Object(request_parameters(f.parts, &noted)).to_string());
    // The bucket's owner: now (CreateBucket's new owner), else when the request arrived
    // (DeleteBucket's). A record without a caller (anonymous, or a failed signature whose key
    // names no account warden serves) goes to the owner's trail.
    let owner = owner_of(app, noted.bucket.as_deref()).or(noted.owner);
    let details: &'static [(&'static str, &'static str)] = match noted.signed {
        Some(AuthKind::Header) => &[
            ("SignatureVersion", "SigV4"),
            ("AuthenticationMethod", "AuthHeader"),
        ],
        Some(AuthKind::Presigned) => &[
            ("SignatureVersion", "SigV4"),
            ("AuthenticationMethod", "QueryString"),
        ],
        None => &[],
    };
    let status = match f.result {
        Ok(resp) => resp.status().as_u16(),
        Err(e) => e.status,
    };
    let mut trace = Trace::for_s3(
        noted.caller,
        noted.refused,
        gw.backend.client_region.clone(),
        owner,
        details,
        status,
    );
    let result = match (f.result, &f.backend_error) {
        (Err(e), _) => Err((e.code, e.message.as_str(), e.status)),
        (Ok(resp), Some((code, message))) => {
            Err((code.as_str(), message.as_str(), resp.status().as_u16()))
        }
        (Ok(_), None) => Ok(""),
    };
    crate::edge::finish(
        app,
        Finish {
            parts: f.parts,
            request_id: f.request_id,
            source_ip: f.source_ip,
            started: f.started,
            trace: &mut trace,
            source: Source::S3,
            event_name: event,
            params: params.as_deref().map(|p| Params::Verbatim(p.as_bytes())),
            result,
        },
    );
}

/// The owner warden holds for `bucket`; `None` for a bucket never created through the gateway
/// (the default account's, which a record without a caller falls back to anyway).
fn owner_of(app: &AppState, bucket: Option<&str>) -> Option<String> {
    bucket
        .and_then(|b| app.warden.buckets().get(b))
        .map(|b| b.account)
}

/// `requestParameters` in S3's names: `bucketName`, `Host`, the query's parameters (the
/// sub-resource, with its empty value), CreateBucket's `CreateBucketConfiguration` and
/// PutBucketPolicy's `bucketPolicy`, as CloudTrail's S3 records hold them. The record's
/// redaction runs over them as over any other parameters.
fn request_parameters(parts: &Parts, noted: &Noted) -> Map<String, Value> {
    let mut params = Map::new();
    if let Some(bucket) = &noted.bucket {
        params.insert("bucketName".into(), bucket.as_str().into());
    }
    let host = super::header_str(&parts.headers, "host").unwrap_or_default();
    params.insert("Host".into(), host.into());
    for (name, value) in &noted.query {
        params.insert(name.clone(), value.as_str().into());
    }
    if let Some(location) = &noted.location {
        let mut configuration = Map::new();
        configuration.insert("LocationConstraint".into(), location.as_str().into());
        params.insert(
            "CreateBucketConfiguration".into(),
            Value::Object(configuration),
        );
    }
    if let Some(policy) = noted
        .policy
        .as_ref()
        .and_then(|body| serde_json::from_slice::<Value>(body).ok())
    {
        params.insert("bucketPolicy".into(), policy);
    }
    params
}

/// A backend's error answer to a management event, read for its `Code` and `Message` (the
/// record's `errorCode` and `errorMessage`) and answered as read. Success answers stream on
/// untouched. S3's error bodies are small; one over 1 MiB, or one that breaks off, is answered
/// as the gateway's 503.
pub(super) async fn backend_error(
    resp: Response,
    request_id: &str,
    head: bool,
) -> (Response, Option<(String, String)>) {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return (resp, None);
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, 1 << 20).await else {
        let e = super::backend_unavailable();
        let error = (e.code.to_string(), e.message.clone());
        return (e.render(request_id, head), Some(error));
    };
    // A HEAD answer has no body: the status names the error.
    let code = super::xml_values(&bytes, "Code").pop().unwrap_or_else(|| {
        status
            .canonical_reason()
            .unwrap_or("Error")
            .replace(' ', "")
    });
    let message = super::xml_values(&bytes, "Message")
        .pop()
        .unwrap_or_default();
    (
        Response::from_parts(parts, Body::from(bytes)),
        Some((code, message)),
    )
}
