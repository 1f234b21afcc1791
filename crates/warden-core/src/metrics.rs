//! Prometheus metrics, kept in atomics and rendered as the text exposition
//! format 0.0.4 when scraped.
//!
//! Every label set is bounded and fixed at compile time: services and
//! actions come from the generated action table, outcomes from the fixed
//! set of error codes ([`ErrorCode::ALL`]), decisions and STS operations
//! from small enums. No label value ever carries an ARN, an account id, a
//! name or a key id. Recording is one or two relaxed atomic additions at
//! precomputed slots: no allocation, no lock on the request path.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use warden_policy::DecisionKind;
use warden_wire::ErrorCode;

use crate::authz::actions::{self, ActionSpec, Service};
use crate::state::State;

/// Upper bounds of the latency buckets, in microseconds (the exposition
/// shows them in seconds): 250 µs to 10 s, which spans an in-memory read and
/// a password hash or a slow store sync.
const BUCKET_BOUNDS_MICROS: [u64; 14] = [
    250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 10_000_000,
];

/// A latency histogram. Each observation lands in one bucket; the
/// cumulative counts Prometheus expects are summed when rendered.
#[derive(Debug)]
struct Histogram {
    buckets: [AtomicU64; BUCKET_BOUNDS_MICROS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let slot = BUCKET_BOUNDS_MICROS.partition_point(|&bound| bound < micros);
        // Past the last bound only the count (the `+Inf` bucket) moves.
        if let Some(bucket) = self.buckets.get(slot) {
            bucket.fetch_add(1, Relaxed);
        }
        self.sum_micros.fetch_add(micros, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines; `labels` is the
    /// label set without braces (empty for none).
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, bucket) in BUCKET_BOUNDS_MICROS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Relaxed);
            let le = seconds(*bound);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        // Read after the buckets: a concurrent observation may show in the
        // count but not yet in a bucket, never the other way round.
        let count = self.count.load(Relaxed).max(cumulative);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let sum = seconds(self.sum_micros.load(Relaxed));
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// Microseconds as a decimal number of seconds.
fn seconds(micros: u64) -> String {
    let whole = micros / 1_000_000;
    let frac = micros % 1_000_000;
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:06}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// The services a request can be counted under before its operation is
/// known (a refused signature, an unknown action): one slot each.
const SERVICES: [Service; 4] = [
    Service::Iam,
    Service::Sts,
    Service::Organizations,
    Service::Warden,
];

/// The S3 gateway's operations, each a row of its own under `service="s3"`
/// (warden-server's planner test proves every operation it names is here).
pub const S3_OPERATIONS: &[&str] = &[
    "AbortMultipartUpload",
    "CompleteMultipartUpload",
    "CopyObject",
    "CreateBucket",
    "CreateMultipartUpload",
    "DeleteBucket",
    "DeleteBucketConfiguration",
    "DeleteBucketPolicy",
    "DeleteBucketTagging",
    "DeleteObject",
    "DeleteObjectTagging",
    "DeleteObjects",
    "GetAccelerateConfiguration",
    "GetBucketAcl",
    "GetBucketCORS",
    "GetBucketLocation",
    "GetBucketLogging",
    "GetBucketNotification",
    "GetBucketObjectLockConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketPublicAccessBlock",
    "GetBucketRequestPayment",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetEncryptionConfiguration",
    "GetLifecycleConfiguration",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetReplicationConfiguration",
    "HeadBucket",
    "HeadObject",
    "ListBucketMultipartUploads",
    "ListBucketVersions",
    "ListBuckets",
    "ListMultipartUploads",
    "ListObjectVersions",
    "ListObjects",
    "ListObjectsV2",
    "ListParts",
    "PutAccelerateConfiguration",
    "PutBucketAcl",
    "PutBucketCORS",
    "PutBucketLogging",
    "PutBucketNotification",
    "PutBucketObjectLockConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketPublicAccessBlock",
    "PutBucketRequestPayment",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutEncryptionConfiguration",
    "PutLifecycleConfiguration",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutReplicationConfiguration",
    "RestoreObject",
    "UploadPart",
    "UploadPartCopy",
];

/// How an S3 gateway request ended: `ok` (forwarded or answered below 400),
/// the backend's refusal by status class, or the gateway's own refusal by its
/// S3 error code (`other` for a code not listed).
pub const S3_OUTCOMES: &[&str] = &[
    "ok",
    "backend_4xx",
    "backend_5xx",
    "other",
    "AccessDenied",
    "AuthorizationHeaderMalformed",
    "AuthorizationQueryParametersError",
    "BucketAlreadyExists",
    "ExpiredToken",
    "IncompleteBody",
    "InternalError",
    "InvalidAccessKeyId",
    "InvalidArgument",
    "InvalidBucketName",
    "InvalidBucketOwnerAWSAccountID",
    "InvalidRequest",
    "InvalidToken",
    "InvalidURI",
    "MalformedPolicy",
    "MalformedXML",
    "MethodNotAllowed",
    "MissingContentLength",
    "NoSuchBucket",
    "NoSuchBucketPolicy",
    "NotImplemented",
    "RequestTimeTooSkewed",
    "ServiceUnavailable",
    "SignatureDoesNotMatch",
];

/// Who answered an S3 gateway request, for [`Metrics::record_s3_request`].
#[derive(Debug, Clone, Copy)]
pub enum S3Outcome<'a> {
    /// The backend's answer, passed on with its status.
    Backend(u16),
    /// The gateway's own answer: its status and, when refused, S3's error code.
    Gateway(u16, Option<&'a str>),
}

/// An STS operation that issues temporary credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionIssuer {
    /// `GetSessionToken`.
    GetSessionToken,
    /// `GetFederationToken`.
    GetFederationToken,
    /// `AssumeRole`.
    AssumeRole,
    /// `AssumeRoleWithWebIdentity`.
    AssumeRoleWithWebIdentity,
    /// `AssumeRoleWithSAML`.
    AssumeRoleWithSaml,
    /// `AssumeRoot`.
    AssumeRoot,
    /// `GetScopedCredentials`.
    GetScopedCredentials,
}

impl SessionIssuer {
    const ALL: [SessionIssuer; 7] = [
        SessionIssuer::GetSessionToken,
        SessionIssuer::GetFederationToken,
        SessionIssuer::AssumeRole,
        SessionIssuer::AssumeRoleWithWebIdentity,
        SessionIssuer::AssumeRoleWithSaml,
        SessionIssuer::AssumeRoot,
        SessionIssuer::GetScopedCredentials,
    ];

    /// The operation's name, as in the STS API.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionIssuer::GetSessionToken => "GetSessionToken",
            SessionIssuer::GetFederationToken => "GetFederationToken",
            SessionIssuer::AssumeRole => "AssumeRole",
            SessionIssuer::AssumeRoleWithWebIdentity => "AssumeRoleWithWebIdentity",
            SessionIssuer::AssumeRoleWithSaml => "AssumeRoleWithSAML",
            SessionIssuer::AssumeRoot => "AssumeRoot",
            SessionIssuer::GetScopedCredentials => "GetScopedCredentials",
        }
    }
}

const DECISIONS: [DecisionKind; 3] = [
    DecisionKind::Allow,
    DecisionKind::ExplicitDeny,
    DecisionKind::ImplicitDeny,
];

fn decision_label(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Allow => "allow",
        DecisionKind::ExplicitDeny => "explicit_deny",
        DecisionKind::ImplicitDeny => "implicit_deny",
    }
}

/// The process's metrics: owned by [`crate::Warden`], recorded by the
/// request path and the domain, rendered by [`Metrics::render`].
#[derive(Debug)]
pub struct Metrics {
    /// `rows × outcomes` counters: a row per action of the table, then one
    /// per service for requests refused before their action was known; an
    /// outcome slot for `ok`, then one per error code.
    requests: Box<[AtomicU64]>,
    /// A latency histogram per row.
    latency: Box<[Histogram]>,
    decisions: [AtomicU64; DECISIONS.len()],
    sessions: [AtomicU64; SessionIssuer::ALL.len()],
    store_commit: Histogram,
    /// Requests signed for a service warden does not serve (its name is the
    /// caller's text, so it is no label).
    unserved: AtomicU64,
    /// The S3 gateway's `(operations + 1) × outcomes` counters (the extra
    /// row: refused before the operation was known) and a histogram per row.
    s3_requests: Box<[AtomicU64]>,
    s3_latency: Box<[Histogram]>,
}

impl Default for Metrics {
    fn default() -> Self {
        let rows = actions::all().len() + SERVICES.len();
        Self {
            requests: (0..rows * outcome_slots())
                .map(|_| AtomicU64::new(0))
                .collect(),
            latency: (0..rows).map(|_| Histogram::default()).collect(),
            decisions: std::array::from_fn(|_| AtomicU64::new(0)),
            sessions: std::array::from_fn(|_| AtomicU64::new(0)),
            store_commit: Histogram::default(),
            unserved: AtomicU64::new(0),
            s3_requests: (0..(S3_OPERATIONS.len() + 1) * S3_OUTCOMES.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            s3_latency: (0..=S3_OPERATIONS.len())
                .map(|_| Histogram::default())
                .collect(),
        }
    }
}

fn outcome_slots() -> usize {
    1 + ErrorCode::ALL.len()
}

/// The table row of `spec`, found by its address: a row handed out by the
/// table is an element of it, so this is a subtraction, not a search.
fn row_of(spec: &ActionSpec) -> Option<usize> {
    let table = actions::all();
    let offset = (std::ptr::from_ref(spec) as usize).checked_sub(table.as_ptr() as usize)?;
    let row = offset / std::mem::size_of::<ActionSpec>().max(1);
    table
        .get(row)
        .filter(|r| std::ptr::eq(*r, spec))
        .map(|_| row)
}

/// The label pair of a row.
fn row_labels(row: usize) -> (&'static str, &'static str) {
    let table = actions::all();
    match table.get(row) {
        Some(spec) => (spec.service.prefix(), spec.operation),
        None => (
            SERVICES
                .get(row - table.len())
                .map_or("unknown", |s| s.prefix()),
            "unknown",
        ),
    }
}

impl Metrics {
    /// Counts one answered request: its operation's row of the action table
    /// (`None` when the request was refused before its operation was known,
    /// counted under `service`), its error code (`None` for success) and how
    /// long it took.
    pub fn record_request(
        &self,
        spec: Option<&ActionSpec>,
        service: Service,
        error: Option<ErrorCode>,
        elapsed: Duration,
    ) {
        let table_len = actions::all().len();
        let row = spec.and_then(row_of).unwrap_or_else(|| {
            table_len + SERVICES.iter().position(|s| *s == service).unwrap_or(0)
        });
        let outcome = match error {
            None => 0,
            Some(code) => ErrorCode::ALL.binary_search(&code).map_or(0, |i| i + 1),
        };
        if let Some(counter) = self.requests.get(row * outcome_slots() + outcome) {
            counter.fetch_add(1, Relaxed);
        }
        if let Some(histogram) = self.latency.get(row) {
            histogram.observe(elapsed);
        }
    }

    /// Counts one S3 gateway request: its operation (`None` when refused
    /// before it was known), how it ended and how long it took. Labels come
    /// from the fixed lists above: a name not in them counts under the
    /// unknown row or `other`, never as a new label.
    pub fn record_s3_request(
        &self,
        operation: Option<&str>,
        outcome: S3Outcome<'_>,
        elapsed: Duration,
    ) {
        let row = operation
            .and_then(|op| S3_OPERATIONS.iter().position(|o| *o == op))
            .unwrap_or(S3_OPERATIONS.len());
        let slot = match outcome {
            S3Outcome::Backend(status) | S3Outcome::Gateway(status, None) if status < 400 => 0,
            S3Outcome::Backend(status) if status < 500 => 1,
            S3Outcome::Backend(_) => 2,
            S3Outcome::Gateway(_, code) => code
                .and_then(|c| S3_OUTCOMES.iter().skip(4).position(|o| *o == c))
                .map_or(3, |i| i + 4),
        };
        if let Some(counter) = self.s3_requests.get(row * S3_OUTCOMES.len() + slot) {
            counter.fetch_add(1, Relaxed);
        }
        if let Some(histogram) = self.s3_latency.get(row) {
            histogram.observe(elapsed);
        }
    }

    /// Counts one request signed for a service warden does not serve.
    pub fn record_unserved(&self) {
        self.unserved.fetch_add(1, Relaxed);
    }

    /// Counts one decision of the policy engine.
    pub(crate) fn record_decision(&self, kind: DecisionKind) {
        if let Some(i) = DECISIONS.iter().position(|d| *d == kind) {
            if let Some(counter) = self.decisions.get(i) {
                counter.fetch_add(1, Relaxed);
            }
        }
    }

    /// Counts one set of temporary credentials issued.
    pub(crate) fn record_session(&self, issuer: SessionIssuer) {
        if let Some(i) = SessionIssuer::ALL.iter().position(|s| *s == issuer) {
            if let Some(counter) = self.sessions.get(i) {
                counter.fetch_add(1, Relaxed);
            }
        }
    }

    /// Times one commit of [`crate::Warden::write`] to the store.
    pub(crate) fn record_store_commit(&self, elapsed: Duration) {
        self.store_commit.observe(elapsed);
    }

    /// The exposition text, with the model's sizes from [`model_sizes`]
    /// (taken first, so no lock is held while the text is written).
    pub fn render(&self, sizes: &ModelSizes) -> String {
        let mut out = String::with_capacity(8 << 10);
        let _ = writeln!(
            out,
            "# HELP warden_build_info The running warden's version.\n\
             # TYPE warden_build_info gauge\n\
             warden_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        self.render_requests(&mut out);
        let _ = writeln!(
            out,
            "# HELP warden_unserved_requests_total Requests signed for a service warden does not \
             serve.\n\
             # TYPE warden_unserved_requests_total counter\n\
             warden_unserved_requests_total {}",
            self.unserved.load(Relaxed)
        );
        out.push_str(
            "# HELP warden_authorization_decisions_total Decisions of the policy engine, one per \
             check of a request (a request may need several).\n\
             # TYPE warden_authorization_decisions_total counter\n",
        );
        for (kind, counter) in DECISIONS.iter().zip(&self.decisions) {
            let _ = writeln!(
                out,
                "warden_authorization_decisions_total{{result=\"{}\"}} {}",
                decision_label(*kind),
                counter.load(Relaxed)
            );
        }
        out.push_str(
            "# HELP warden_sessions_issued_total Temporary credentials issued, by STS operation.\n\
             # TYPE warden_sessions_issued_total counter\n",
        );
        for (issuer, counter) in SessionIssuer::ALL.iter().zip(&self.sessions) {
            let _ = writeln!(
                out,
                "warden_sessions_issued_total{{operation=\"{}\"}} {}",
                issuer.as_str(),
                counter.load(Relaxed)
            );
        }
        out.push_str(
            "# HELP warden_store_commit_duration_seconds Time to make one write durable in the \
             store.\n\
             # TYPE warden_store_commit_duration_seconds histogram\n",
        );
        self.store_commit
            .render(&mut out, "warden_store_commit_duration_seconds", "");
        out.push_str(
            "# HELP warden_model_entities Entities in the in-memory model, by kind.\n\
             # TYPE warden_model_entities gauge\n",
        );
        for (kind, count) in sizes {
            let _ = writeln!(out, "warden_model_entities{{kind=\"{kind}\"}} {count}");
        }
        out
    }

    fn render_requests(&self, out: &mut String) {
        let slots = outcome_slots();
        out.push_str(
            "# HELP warden_requests_total Requests answered, by service, action and outcome (ok, \
             or the AWS error code).\n\
             # TYPE warden_requests_total counter\n",
        );
        for (row, counters) in self.requests.chunks(slots).enumerate() {
            let (service, action) = row_labels(row);
            for (slot, counter) in counters.iter().enumerate() {
                let n = counter.load(Relaxed);
                if n == 0 {
                    continue;
                }
                let outcome = match slot.checked_sub(1) {
                    None => "ok",
                    Some(i) => ErrorCode::ALL.get(i).map_or("unknown", |c| c.as_str()),
                };
                let _ = writeln!(
                    out,
                    "warden_requests_total{{service=\"{service}\",action=\"{action}\",outcome=\"{outcome}\"}} {n}"
                );
            }
        }
        for (row, counters) in self.s3_requests.chunks(S3_OUTCOMES.len()).enumerate() {
            let action = s3_row_label(row);
            for (outcome, counter) in S3_OUTCOMES.iter().zip(counters) {
                let n = counter.load(Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "warden_requests_total{{service=\"s3\",action=\"{action}\",outcome=\"{outcome}\"}} {n}"
                    );
                }
            }
        }
        out.push_str(
            "# HELP warden_request_duration_seconds Time from a request's arrival to its answer, by \
             service and action.\n\
             # TYPE warden_request_duration_seconds histogram\n",
        );
        for (row, histogram) in self.latency.iter().enumerate() {
            if histogram.count.load(Relaxed) == 0 {
                continue;
            }
            let (service, action) = row_labels(row);
            histogram.render(
                out,
                "warden_request_duration_seconds",
                &format!("service=\"{service}\",action=\"{action}\""),
            );
        }
        for (row, histogram) in self.s3_latency.iter().enumerate() {
            if histogram.count.load(Relaxed) == 0 {
                continue;
            }
            histogram.render(
                out,
                "warden_request_duration_seconds",
                &format!("service=\"s3\",action=\"{}\"", s3_row_label(row)),
            );
        }
    }
}

/// The `action` label of an S3 gateway row.
fn s3_row_label(row: usize) -> &'static str {
    S3_OPERATIONS.get(row).copied().unwrap_or("unknown")
}

/// The model's entity counts, by kind.
pub type ModelSizes = [(&'static str, usize); 8];

/// Counts the model's entities. Sessions are not kept (their tokens are
/// self-contained), so they are counted as issued instead.
pub fn model_sizes(state: &State) -> ModelSizes {
    [
        ("accounts", state.accounts.len()),
        ("users", state.users.len()),
        ("groups", state.groups.len()),
        ("roles", state.roles.len()),
        ("policies", state.policies.len()),
        ("access_keys", state.access_keys.len()),
        ("mfa_devices", state.mfa_devices.len()),
        ("organizations", state.organizations.len()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_decimal_without_trailing_zeros() {
        assert_eq!(seconds(0), "0");
        assert_eq!(seconds(250), "0.00025");
        assert_eq!(seconds(2_500_000), "2.5");
        assert_eq!(seconds(10_000_000), "10");
    }

    #[test]
    fn s3_gateway_requests_count_under_their_operation_and_outcome() {
        let m = Metrics::default();
        let ms = Duration::from_millis(1);
        m.record_s3_request(Some("GetObject"), S3Outcome::Backend(200), ms);
        m.record_s3_request(Some("GetObject"), S3Outcome::Backend(404), ms);
        m.record_s3_request(Some("GetObject"), S3Outcome::Backend(503), ms);
        m.record_s3_request(
            Some("GetObject"),
            S3Outcome::Gateway(403, Some("AccessDenied")),
            ms,
        );
        m.record_s3_request(
            None,
            S3Outcome::Gateway(403, Some("SignatureDoesNotMatch")),
            ms,
        );
        // Names outside the fixed lists never become labels.
        m.record_s3_request(Some("Mine"), S3Outcome::Gateway(400, Some("Custom")), ms);
        let text = m.render(&[("users", 0); 8]);
        for line in [
            r#"warden_requests_total{service="s3",action="GetObject",outcome="ok"} 1"#,
            r#"warden_requests_total{service="s3",action="GetObject",outcome="backend_4xx"} 1"#,
            r#"warden_requests_total{service="s3",action="GetObject",outcome="backend_5xx"} 1"#,
            r#"warden_requests_total{service="s3",action="GetObject",outcome="AccessDenied"} 1"#,
            r#"warden_requests_total{service="s3",action="unknown",outcome="SignatureDoesNotMatch"} 1"#,
            r#"warden_requests_total{service="s3",action="unknown",outcome="other"} 1"#,
            r#"warden_request_duration_seconds_count{service="s3",action="GetObject"} 4"#,
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert!(!text.contains("Mine") && !text.contains("Custom"));
    }

    #[test]
    fn a_request_counts_under_its_action_and_outcome() {
        let m = Metrics::default();
        let get_user = actions::spec("iam", "GetUser").unwrap();
        m.record_request(
            Some(get_user),
            Service::Iam,
            None,
            Duration::from_micros(300),
        );
        m.record_request(
            Some(get_user),
            Service::Iam,
            Some(ErrorCode::NoSuchEntity),
            Duration::from_millis(20),
        );
        m.record_request(
            None,
            Service::Sts,
            Some(ErrorCode::SignatureDoesNotMatch),
            Duration::from_secs(30),
        );
        let text = m.render(&model_sizes(&State::default()));
        for line in [
            r#"warden_requests_total{service="iam",action="GetUser",outcome="ok"} 1"#,
            r#"warden_requests_total{service="iam",action="GetUser",outcome="NoSuchEntity"} 1"#,
            r#"warden_requests_total{service="sts",action="unknown",outcome="SignatureDoesNotMatch"} 1"#,
            r#"warden_request_duration_seconds_bucket{service="iam",action="GetUser",le="0.00025"} 0"#,
            r#"warden_request_duration_seconds_bucket{service="iam",action="GetUser",le="0.0005"} 1"#,
            r#"warden_request_duration_seconds_bucket{service="iam",action="GetUser",le="0.025"} 2"#,
            r#"warden_request_duration_seconds_count{service="iam",action="GetUser"} 2"#,
            r#"warden_request_duration_seconds_sum{service="iam",action="GetUser"} 0.0203"#,
            // Beyond the last bound: only +Inf.
            r#"warden_request_duration_seconds_bucket{service="sts",action="unknown",le="10"} 0"#,
            r#"warden_request_duration_seconds_bucket{service="sts",action="unknown",le="+Inf"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
        assert!(!text.contains("action=\"ListUsers\""), "{text}");
    }

    #[test]
    fn every_row_of_the_table_has_its_own_slot() {
        for (i, spec) in actions::all().iter().enumerate() {
            assert_eq!(row_of(spec), Some(i));
        }
        // A copy is not a row of the table.
        let copy = actions::all()[0];
        assert_eq!(row_of(&copy), None);
    }

    #[test]
    fn decisions_and_sessions_render_every_label() {
        let m = Metrics::default();
        m.record_decision(DecisionKind::ExplicitDeny);
        m.record_session(SessionIssuer::AssumeRoleWithSaml);
        m.record_store_commit(Duration::from_millis(3));
        let text = m.render(&model_sizes(&State::default()));
        for line in [
            r#"warden_authorization_decisions_total{result="allow"} 0"#,
            r#"warden_authorization_decisions_total{result="explicit_deny"} 1"#,
            r#"warden_sessions_issued_total{operation="AssumeRoleWithSAML"} 1"#,
            r#"warden_store_commit_duration_seconds_bucket{le="0.005"} 1"#,
            r#"warden_store_commit_duration_seconds_count 1"#,
            r#"warden_model_entities{kind="users"} 0"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
    }
}
