//! One CloudTrail record per request, built in one place from what the edge
//! knows when the request ends: who called (or which key was presented),
//! what was asked, and what was answered. Secrets are removed here, by
//! [`redact`], before a record exists anywhere else.

use std::net::IpAddr;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use warden_core::auth::{Caller, PrincipalKind};

/// What CloudTrail writes for a value that looks secret but is not on a list.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// CloudTrail's cap on `requestParameters` and `responseElements`: over it
/// the field is left out (never cut mid-value).
const MAX_ELEMENTS_BYTES: usize = 100 * 1024;

/// The service a record belongs to (`eventSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `iam.amazonaws.com`
    Iam,
    /// `sts.amazonaws.com`
    Sts,
    /// `organizations.amazonaws.com`
    Organizations,
    /// `cloudtrail.amazonaws.com` (LookupEvents itself)
    Cloudtrail,
    /// `warden.amazonaws.com`: warden's own authorization API (a name of
    /// ours: AWS has no such service; the action namespace is `warden:`).
    Warden,
    /// `s3.amazonaws.com`: the S3 gateway's management events (bucket-level
    /// calls and ListBuckets).
    S3,
}

impl Source {
    /// The `eventSource` host.
    pub fn host(self) -> &'static str {
        match self {
            Source::Iam => "iam.amazonaws.com",
            Source::Sts => "sts.amazonaws.com",
            Source::Organizations => "organizations.amazonaws.com",
            Source::Cloudtrail => "cloudtrail.amazonaws.com",
            Source::Warden => "warden.amazonaws.com",
            Source::S3 => "s3.amazonaws.com",
        }
    }

    /// The `eventVersion` AWS writes for this producer (the reference's
    /// observed records: IAM 1.09, STS 1.08); the fields written here all
    /// exist since 1.08.
    fn event_version(self) -> &'static str {
        match self {
            Source::Sts => "1.08",
            _ => "1.09",
        }
    }
}

/// What the request carried.
#[derive(Debug, Clone, Copy)]
pub enum Params<'a> {
    /// Query protocol parameters (`Action` and `Version` are not parameters).
    Query(&'a [(&'a str, &'a str)]),
    /// A JSON 1.1 body.
    Json(&'a [u8]),
    /// A JSON object already in the names the service's records use (S3's
    /// `bucketName` and `Host`): redacted, never lower-camelled.
    Verbatim(&'a [u8]),
}

/// Who made the request, as far as the edge got.
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    /// Authenticated.
    Caller(&'a Caller),
    /// Authentication failed: the access key the request presented (if any),
    /// and its owner when the key is one warden holds.
    Unauthenticated {
        /// The presented access key id.
        key_id: Option<&'a str>,
        /// The key's owner, when known (a bad signature with a real key).
        owner: Option<&'a Caller>,
    },
    /// AssumeRoleWithWebIdentity / AssumeRoleWithSAML: the token is the
    /// credential; the identity is read from the answer.
    Federated,
    /// An S3 request without any credentials.
    Anonymous,
    /// Another account's principal, as the account whose resource it used
    /// sees it (the role owner's copy of a cross-account AssumeRole).
    Account {
        /// The caller's `principalId`.
        principal_id: &'a str,
        /// The caller's account.
        account: &'a str,
    },
}

/// The facts of one finished request.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// When the request completed.
    pub time: OffsetDateTime,
    /// The `x-amzn-requestid` answered.
    pub request_id: &'a str,
    /// The peer address.
    pub source_ip: Option<IpAddr>,
    /// The `User-Agent` header.
    pub user_agent: Option<&'a str>,
    /// The region the request was addressed to.
    pub region: &'a str,
    /// `eventSource`.
    pub source: Source,
    /// `eventName`: the operation.
    pub event_name: &'a str,
    /// `readOnly`, from the action table's access level.
    pub read_only: bool,
    /// Who.
    pub who: Who<'a>,
    /// The request's parameters; `None` when they could not be read.
    pub params: Option<Params<'a>>,
    /// The answer's body, or the error's code and message.
    pub result: Result<&'a str, (&'a str, &'a str)>,
    /// The account that receives the record when no caller is known.
    pub fallback_account: &'a str,
    /// `additionalEventData` members of the service (S3's signature facts).
    pub details: &'a [(&'static str, &'static str)],
    /// `sharedEventID`: one call's records delivered to more than one account.
    pub shared_event_id: Option<&'a str>,
    /// The account owning the resource the record names (an S3 bucket's owner).
    pub resource_owner: Option<&'a str>,
}

/// A finished request's facts, owned, on their way to the journal thread,
/// which renders them: the request does not wait for that.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub time: OffsetDateTime,
    pub request_id: String,
    pub source_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// Mostly `us-east-1` (IAM and Organizations): not copied then.
    pub region: std::borrow::Cow<'static, str>,
    pub source: Source,
    pub event_name: String,
    pub read_only: bool,
    pub who: PendingWho,
    pub params: Option<PendingParams>,
    /// The answer (when the record needs it: [`keeps_response`], or a
    /// federated call's identity), or the error's code and message.
    pub result: Result<Option<String>, (String, String)>,
    /// Empty when a caller is known (the record does not use it then).
    pub fallback_account: String,
    pub details: &'static [(&'static str, &'static str)],
    pub shared_event_id: Option<String>,
    pub resource_owner: Option<String>,
}

/// [`Who`], owned.
#[derive(Debug, Clone)]
pub(crate) enum PendingWho {
    Caller(Caller),
    Unauthenticated {
        key_id: Option<String>,
        owner: Option<Caller>,
    },
    Federated,
    Anonymous,
    Account {
        principal_id: String,
        account: String,
    },
}

/// [`Params`], owned.
#[derive(Debug, Clone)]
pub(crate) enum PendingParams {
    Query(Vec<(String, String)>),
    Json(Vec<u8>),
    Verbatim(Vec<u8>),
}

impl Pending {
    /// [`render`]s the record.
    pub(crate) fn render(&self) -> (String, crate::audit::Fields) {
        let pairs: Vec<(&str, &str)>;
        let params = match &self.params {
            None => None,
            Some(PendingParams::Query(owned)) => {
                pairs = owned
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                Some(Params::Query(&pairs))
            }
            Some(PendingParams::Json(body)) => Some(Params::Json(body)),
            Some(PendingParams::Verbatim(body)) => Some(Params::Verbatim(body)),
        };
        let who = match &self.who {
            PendingWho::Caller(caller) => Who::Caller(caller),
            PendingWho::Unauthenticated { key_id, owner } => Who::Unauthenticated {
                key_id: key_id.as_deref(),
                owner: owner.as_ref(),
            },
            PendingWho::Federated => Who::Federated,
            PendingWho::Anonymous => Who::Anonymous,
            PendingWho::Account {
                principal_id,
                account,
            } => Who::Account {
                principal_id,
                account,
            },
        };
        render(&Call {
            time: self.time,
            request_id: &self.request_id,
            source_ip: self.source_ip,
            user_agent: self.user_agent.as_deref(),
            region: &self.region,
            source: self.source,
            event_name: &self.event_name,
            read_only: self.read_only,
            who,
            params,
            result: match &self.result {
                Ok(body) => Ok(body.as_deref().unwrap_or_default()),
                Err((code, message)) => Err((code, message)),
            },
            fallback_account: &self.fallback_account,
            details: self.details,
            shared_event_id: self.shared_event_id.as_deref(),
            resource_owner: self.resource_owner.as_deref(),
        })
    }

    /// The role owner's copy of a successful cross-account AssumeRole: CloudTrail delivers the
    /// call to the caller's account and to the role's, the latter seeing the caller as
    /// `{"type": "AWSAccount", "principalId", "accountId"}`; both copies share `requestID` and a
    /// `sharedEventID` (set on `self` too). `None` for every other call.
    pub(crate) fn role_owners_copy(&mut self) -> Option<Pending> {
        let PendingWho::Caller(caller) = &self.who else {
            return None;
        };
        if self.source != Source::Sts || self.event_name != "AssumeRole" || self.result.is_err() {
            return None;
        }
        let role_account = match &self.params {
            Some(PendingParams::Query(pairs)) => pairs
                .iter()
                .find(|(k, _)| k == "RoleArn")
                .and_then(|(_, arn)| arn_account(arn)),
            _ => None,
        }?;
        if role_account == caller.account {
            return None;
        }
        let who = PendingWho::Account {
            principal_id: principal_id(caller).to_string(),
            account: caller.account.clone(),
        };
        let role_account = role_account.to_string();
        self.shared_event_id = Some(event_id());
        Some(Pending {
            who,
            fallback_account: role_account,
            ..self.clone()
        })
    }
}

/// Error codes of requests that never got past authentication or
/// authorization: their parameters are not recorded (CloudTrail writes
/// `null` for denied requests).
fn refused_before_running(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied"
            | "AccessDeniedException"
            | "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "MissingAuthenticationToken"
            | "ExpiredToken"
            | "RequestExpired"
            | "InvalidSignatureException"
            | "UnrecognizedClientException"
            // S3's own codes for the same failures.
            | "InvalidAccessKeyId"
            | "InvalidToken"
            | "AuthorizationHeaderMalformed"
            | "AuthorizationQueryParametersError"
    )
}

/// Builds the record of `call` as a JSON object, secrets removed.
#[cfg(test)]
pub fn build(call: &Call<'_>) -> Value {
    serde_json::from_str(&render(call).0).unwrap_or(Value::Null)
}

/// A JSON object written straight into a buffer, member by member, in order.
struct Object<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Object<'o> {
    fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, first: true }
    }

    /// Writes `"key":` (escaped: Query parameter names are the client's
    /// text); the value follows.
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        json_string(self.out, key);
        self.out.push(b':');
        self.out
    }

    fn put(&mut self, key: &str, text: &str) {
        json_string(self.key(key), text);
    }

    /// A number, a bool, a list or a tree.
    fn put_json<T: serde::Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        // Serializing into a Vec cannot fail.
        let _ = serde_json::to_writer(self.key(key), value);
    }

    /// `json` is already JSON text.
    fn raw(&mut self, key: &str, json: &str) {
        self.key(key).extend_from_slice(json.as_bytes());
    }

    fn object(&mut self, key: &str) -> Object<'_> {
        Object::open(self.key(key))
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

/// Appends `text` as a JSON string, escaped as serde_json escapes it (only
/// `"`, `\\` and control characters). Most strings need no escape and are
/// copied whole: serde_json's byte-by-byte writer cost a third of a record.
fn json_string(out: &mut Vec<u8>, text: &str) {
    if needs_escape(text.as_bytes()) {
        let _ = serde_json::to_writer(out, text);
    } else {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
}

/// Whether `bytes` hold a `"`, a `\\` or a control character, eight bytes
/// at a time (the classic "has a zero byte" / "has a byte less than n" word
/// tests; they never miss one, and a false alarm only takes serde_json's
/// path).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word);
        let below_space = v.wrapping_sub(ONES * 0x20) & !v & HIGHS != 0;
        if below_space
            || has_zero_byte(v ^ (ONES * u64::from(b'"')))
            || has_zero_byte(v ^ (ONES * u64::from(b'\\')))
        {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Renders the record of `call`: its JSON text, written straight out (it
/// runs for every request, so no tree of the record, of its identity or of
/// plain Query parameters), and the fields LookupEvents filters on.
pub(crate) fn render(call: &Call<'_>) -> (String, crate::audit::Fields) {
    // S3's records of refused calls still name the bucket (the parameters the gateway hands
    // over are its own short list, never the request's body: `s3/trail.rs`).
    let refused = call.source != Source::S3
        && matches!(call.result, Err((code, _)) if refused_before_running(code));
    let params = match call.params {
        Some(p) if !refused => Parameters::of(p),
        _ => Parameters::Null,
    };
    let response = match call.result {
        Ok(body) if keeps_response(call.source, call.event_name, call.read_only) => {
            response_elements(call.source, call.event_name, body)
        }
        _ => Value::Null,
    };
    let resources = resources_of(|member| params.member(member), &response);
    let event_id = event_id();
    let mut out = Vec::with_capacity(1024);
    let mut record = Object::open(&mut out);
    record.put("eventVersion", call.source.event_version());
    let identity = write_identity(&mut record, call);
    record.put("eventTime", &iso_seconds(call.time));
    record.put("eventSource", call.source.host());
    record.put("eventName", call.event_name);
    record.put("awsRegion", call.region);
    match call.source_ip {
        Some(ip) => record.put_json("sourceIPAddress", &ip),
        None => record.put("sourceIPAddress", "AWS Internal"),
    }
    if let Some(agent) = call.user_agent {
        record.put("userAgent", truncate(agent, 1024));
    }
    if let Err((code, message)) = call.result {
        record.put("errorCode", truncate(code, 1024));
        record.put("errorMessage", truncate(message, 1024));
    }
    let mut truncated = Vec::new();
    let response_text = serde_json::to_string(&response).unwrap_or_else(|_| "null".into());
    for (name, text) in [
        ("requestParameters", params.to_json()),
        ("responseElements", response_text),
    ] {
        if text.len() > MAX_ELEMENTS_BYTES {
            truncated.push(name);
            record.raw(name, "null");
        } else {
            record.raw(name, &text);
        }
    }
    let unauthenticated = matches!(call.who, Who::Unauthenticated { .. });
    if !truncated.is_empty() || unauthenticated || !call.details.is_empty() {
        let mut extra = record.object("additionalEventData");
        for (name, value) in call.details {
            extra.put(name, value);
        }
        if !truncated.is_empty() {
            extra.put_json("wardenTruncatedFields", &truncated);
        }
        if unauthenticated {
            extra.put_json("authenticationFailure", &true);
        }
        extra.close();
    }
    record.put("requestID", truncate(call.request_id, 1024));
    record.put("eventID", &event_id);
    record.put_json("readOnly", &call.read_only);
    if let Some(arn) = assumed_role(call, &params) {
        let out = record.key("resources");
        out.push(b'[');
        let mut role = Object::open(&mut *out);
        role.put("accountId", arn_account(arn).unwrap_or_default());
        role.put("type", "AWS::IAM::Role");
        role.put("ARN", arn);
        role.close();
        out.push(b']');
    } else if let Some(bucket) = params
        .member("bucketName")
        .filter(|_| call.source == Source::S3)
    {
        // S3's records name the bucket, and its owner when warden holds one.
        let out = record.key("resources");
        out.push(b'[');
        let mut resource = Object::open(&mut *out);
        if let Some(owner) = call.resource_owner {
            resource.put("accountId", owner);
        }
        resource.put("type", "AWS::S3::Bucket");
        resource.put("ARN", &format!("arn:aws:s3:::{bucket}"));
        resource.close();
        out.push(b']');
    }
    record.put("eventType", "AwsApiCall");
    record.put_json("managementEvent", &true);
    record.put("recipientAccountId", &identity.account);
    if let Some(shared) = call.shared_event_id {
        record.put("sharedEventID", shared);
    }
    record.put("eventCategory", "Management");
    record.close();
    let fields = crate::audit::Fields {
        time: call.time.unix_timestamp(),
        event_id,
        event_name: call.event_name.to_string(),
        event_source: call.source.host().to_string(),
        read_only: call.read_only,
        username: identity.username,
        access_key_id: identity.access_key_id,
        recipient: identity.account,
        region: call.region.to_string(),
        resources,
    };
    // Built from `str`s and serde_json's output: always UTF-8.
    (String::from_utf8(out).unwrap_or_default(), fields)
}

/// A fresh version-4 GUID for `eventID` ([`crate::ids::fresh_uuid`]: no
/// `getrandom` call per record).
fn event_id() -> String {
    crate::ids::fresh_uuid().hyphenated().to_string()
}

/// LookupEvents' `Username` of an identity of type `kind`: `root` for the
/// root user, the session name of a role or federated session, else the
/// identity's `userName`.
fn username(
    kind: Option<&str>,
    principal_id: Option<&str>,
    user_name: Option<&str>,
) -> Option<String> {
    match kind {
        Some("Root") => Some("root".to_string()),
        Some("AssumedRole") | Some("FederatedUser") => principal_id
            .and_then(|p| p.split_once(':'))
            .map(|(_, s)| s.to_string()),
        _ => user_name.map(str::to_string),
    }
}

/// [`username`] of a written `userIdentity` block.
pub(crate) fn username_of(identity: &Value) -> Option<String> {
    let text = |k: &str| identity.get(k).and_then(Value::as_str);
    username(text("type"), text("principalId"), text("userName"))
}

/// The resource a request parameter names, as LookupEvents reports it.
const RESOURCE_MEMBERS: &[(&str, &str)] = &[
    ("userName", "AWS::IAM::User"),
    ("roleName", "AWS::IAM::Role"),
    ("roleArn", "AWS::IAM::Role"),
    ("groupName", "AWS::IAM::Group"),
    ("policyArn", "AWS::IAM::Policy"),
    ("instanceProfileName", "AWS::IAM::InstanceProfile"),
    ("accessKeyId", "AWS::IAM::AccessKey"),
    ("serialNumber", "AWS::IAM::MFADevice"),
    ("accountId", "AWS::Organizations::Account"),
    ("policyId", "AWS::Organizations::Policy"),
    ("bucketName", "AWS::S3::Bucket"),
];

/// LookupEvents' `Resources`: `(ResourceType, ResourceName)` pairs named by
/// the parameters' top-level text members (`param`) and the answer.
pub(crate) fn resources_of<'p>(
    param: impl Fn(&str) -> Option<&'p str>,
    response: &Value,
) -> Vec<(String, String)> {
    let mut resources = Vec::new();
    let answer = |member: &str| response.get(member).and_then(Value::as_str);
    for (member, kind) in RESOURCE_MEMBERS {
        if let Some(name) = param(member) {
            resources.push((kind.to_string(), name.to_string()));
        }
    }
    for (member, kind) in RESOURCE_MEMBERS {
        if let Some(name) = answer(member) {
            resources.push((kind.to_string(), name.to_string()));
        }
    }
    // CreateAccessKey answers the new key's id inside `accessKey`.
    if let Some(id) = response
        .get("accessKey")
        .and_then(|k| k.get("accessKeyId"))
        .and_then(Value::as_str)
    {
        resources.push(("AWS::IAM::AccessKey".into(), id.to_string()));
    }
    resources.dedup();
    resources
}
/// CloudTrail's `readOnly`: the action table's access level (List and Read
/// are read-only), except STS, whose role calls CloudTrail marks read-only
/// and whose token calls it does not (the reference's observed records).
pub fn read_only(source: Source, event_name: &str) -> bool {
    use warden_core::actions::{self, AccessLevel};
    let service = match source {
        Source::Iam => "iam",
        Source::Sts => {
            return matches!(
                event_name,
                "AssumeRole"
                    | "AssumeRoleWithSAML"
                    | "AssumeRoleWithWebIdentity"
                    | "GetCallerIdentity"
                    | "GetAccessKeyInfo"
                    | "DecodeAuthorizationMessage"
            )
        }
        Source::Organizations => "organizations",
        Source::Cloudtrail => "cloudtrail",
        Source::Warden => "warden",
        // CloudTrail's S3 event names are not all the action table's: the
        // name's verb tells (GetBucketAcl, ListBuckets vs PutBucketAcl, ...).
        Source::S3 => return event_name.starts_with("Get") || event_name.starts_with("List"),
    };
    actions::spec(service, event_name)
        .is_some_and(|row| matches!(row.access_level, AccessLevel::List | AccessLevel::Read))
}

/// Whether the record holds the answer: read-only calls record `null`,
/// except the STS calls that issue credentials (CloudTrail logs their
/// answer, minus the secret).
/// The authorization API's answers are never kept: they describe the end
/// clients of the calling service, not the call.
pub(crate) fn keeps_response(source: Source, event_name: &str, read_only: bool) -> bool {
    // S3's management events record no answer (`responseElements: null`).
    if matches!(source, Source::Warden | Source::S3) {
        return false;
    }
    !read_only
        || (source == Source::Sts
            && matches!(
                event_name,
                "AssumeRole" | "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity"
            ))
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `2026-03-02T09:15:42Z`.
pub fn iso_seconds(t: OffsetDateTime) -> String {
    // Written digit by digit: it runs for every record, and `format!` cost
    // about as much as writing the whole identity block.
    let t = t.to_offset(time::UtcOffset::UTC);
    let year = u32::try_from(t.year()).unwrap_or(0).min(9999);
    let (hour, minute, second) = t.to_hms();
    let mut out = String::with_capacity(20);
    push_two_digits(&mut out, year / 100);
    push_two_digits(&mut out, year % 100);
    for (separator, n) in [
        ('-', u32::from(u8::from(t.month()))),
        ('-', u32::from(t.day())),
        ('T', u32::from(hour)),
        (':', u32::from(minute)),
        (':', u32::from(second)),
    ] {
        out.push(separator);
        push_two_digits(&mut out, n);
    }
    out.push('Z');
    out
}

/// `n` (below 100) as two digits.
fn push_two_digits(out: &mut String, n: u32) {
    for digit in [n / 10 % 10, n % 10] {
        out.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

fn iso_epoch(epoch: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch).map_or_else(|_| String::new(), iso_seconds)
}

/// The last `/`-separated segment of an ARN: a user's or role's name.
fn arn_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// What the identity block gives the rest of the record: the account that
/// receives it, and LookupEvents' `Username` and `AccessKeyId`.
struct Identity {
    account: String,
    username: Option<String>,
    access_key_id: Option<String>,
}

/// Writes the `userIdentity` block.
fn write_identity(record: &mut Object<'_>, call: &Call<'_>) -> Identity {
    match call.who {
        Who::Caller(caller)
        | Who::Unauthenticated {
            owner: Some(caller),
            ..
        } => write_caller(record, caller),
        Who::Unauthenticated {
            key_id,
            owner: None,
        } => {
            let key_id = key_id.map(|k| truncate(k, 128));
            let mut id = record.object("userIdentity");
            id.put("type", "Unknown");
            id.put("accountId", call.fallback_account);
            if let Some(key) = key_id {
                id.put("accessKeyId", key);
            }
            id.close();
            Identity {
                account: call.fallback_account.to_string(),
                username: username(Some("Unknown"), None, None),
                access_key_id: key_id.filter(|k| !k.is_empty()).map(str::to_string),
            }
        }
        Who::Account {
            principal_id,
            account,
        } => {
            let mut id = record.object("userIdentity");
            id.put("type", "AWSAccount");
            id.put("principalId", principal_id);
            id.put("accountId", account);
            id.close();
            Identity {
                account: call.fallback_account.to_string(),
                username: None,
                access_key_id: None,
            }
        }
        Who::Anonymous => {
            // S3's records of requests without credentials (the S3 User Guide's
            // "Identifying access to S3 objects using CloudTrail" queries
            // `userIdentity.accountId='ANONYMOUS_PRINCIPAL'`); the record goes to
            // the bucket owner's account.
            let mut id = record.object("userIdentity");
            id.put("type", "AWSAccount");
            id.put("principalId", "");
            id.put("accountId", "ANONYMOUS_PRINCIPAL");
            id.close();
            Identity {
                account: call.fallback_account.to_string(),
                username: None,
                access_key_id: None,
            }
        }
        Who::Federated => {
            // Rare (the federated role calls): read from the answer's tree.
            let (identity, account) = federated_identity(call);
            record.put_json("userIdentity", &identity);
            Identity {
                account,
                username: username_of(&identity),
                access_key_id: None,
            }
        }
    }
}

/// CloudTrail's identity block of an authenticated caller.
fn write_caller(record: &mut Object<'_>, caller: &Caller) -> Identity {
    let kind = match &caller.kind {
        PrincipalKind::Root => "Root",
        PrincipalKind::User { .. } => "IAMUser",
        PrincipalKind::AssumedRole { .. } => "AssumedRole",
        PrincipalKind::FederatedUser { .. } => "FederatedUser",
    };
    let principal_id = principal_id(caller);
    let user_name =
        matches!(caller.kind, PrincipalKind::User { .. }).then(|| arn_name(&caller.arn));
    let mut id = record.object("userIdentity");
    id.put("type", kind);
    id.put("principalId", principal_id);
    id.put("arn", &caller.arn);
    id.put("accountId", &caller.account);
    id.put("accessKeyId", &caller.access_key_id);
    if let Some(name) = user_name {
        id.put("userName", name);
    }
    let has_issuer = matches!(
        caller.kind,
        PrincipalKind::AssumedRole { .. } | PrincipalKind::FederatedUser { .. }
    );
    if has_issuer || caller.session.is_some() {
        let mut context = id.object("sessionContext");
        match &caller.kind {
            PrincipalKind::AssumedRole { role_arn, .. } => {
                let mut issuer = context.object("sessionIssuer");
                issuer.put("type", "Role");
                issuer.put(
                    "principalId",
                    caller.user_id.split(':').next().unwrap_or_default(),
                );
                issuer.put("arn", role_arn);
                issuer.put("accountId", &caller.account);
                issuer.put("userName", arn_name(role_arn));
                issuer.close();
            }
            PrincipalKind::FederatedUser { user_name_lower } => {
                let mut issuer = context.object("sessionIssuer");
                issuer.put("type", "IAMUser");
                issuer.put("accountId", &caller.account);
                issuer.put("userName", user_name_lower);
                issuer.close();
            }
            PrincipalKind::Root | PrincipalKind::User { .. } => {}
        }
        if let Some(session) = &caller.session {
            let mut attributes = context.object("attributes");
            attributes.put("creationDate", &iso_epoch(session.issued));
            attributes.put(
                "mfaAuthenticated",
                if session.mfa_authenticated {
                    "true"
                } else {
                    "false"
                },
            );
            attributes.close();
        }
        context.close();
    }
    id.close();
    Identity {
        account: caller.account.clone(),
        username: username(Some(kind), Some(principal_id), user_name),
        access_key_id: Some(caller.access_key_id.clone()).filter(|k| !k.is_empty()),
    }
}

/// CloudTrail's `principalId` of a caller: the account id for the root user,
/// else its unique id (`AIDA…`, `AROA…:session`).
fn principal_id(caller: &Caller) -> &str {
    match caller.kind {
        PrincipalKind::Root => &caller.account,
        _ => &caller.user_id,
    }
}

/// The account named by an IAM ARN (`arn:aws:iam::ACCT:...`).
fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

/// The identity of AssumeRoleWithWebIdentity / AssumeRoleWithSAML, from the
/// answer (the token itself is never read here); the record goes to the
/// role's account.
fn federated_identity(call: &Call<'_>) -> (Value, String) {
    let role_arn = match call.params {
        Some(Params::Query(pairs)) => pairs.iter().find(|(k, _)| *k == "RoleArn").map(|(_, v)| *v),
        _ => None,
    };
    let account = role_arn
        .and_then(arn_account)
        .unwrap_or(call.fallback_account)
        .to_string();
    let answer = call
        .result
        .ok()
        .map(|body| response_elements(call.source, call.event_name, body))
        .unwrap_or(Value::Null);
    let text = |k: &str| answer.get(k).and_then(Value::as_str).map(str::to_string);
    let identity = if call.event_name == "AssumeRoleWithSAML" {
        let mut m = Map::new();
        m.insert("type".into(), "SAMLUser".into());
        if let (Some(q), Some(subject)) = (text("nameQualifier"), text("subject")) {
            m.insert("principalId".into(), format!("{q}:{subject}").into());
            m.insert("userName".into(), subject.into());
            m.insert("identityProvider".into(), q.into());
        }
        m.insert("accountId".into(), account.clone().into());
        Value::Object(m)
    } else {
        let mut m = Map::new();
        m.insert("type".into(), "WebIdentityUser".into());
        if let (Some(provider), Some(aud), Some(sub)) = (
            text("provider"),
            text("audience"),
            text("subjectFromWebIdentityToken"),
        ) {
            m.insert(
                "principalId".into(),
                format!("{provider}:{aud}:{sub}").into(),
            );
            m.insert("userName".into(), sub.into());
            m.insert("identityProvider".into(), provider.into());
        }
        m.insert("accountId".into(), account.clone().into());
        Value::Object(m)
    };
    (identity, account)
}

/// The record's `resources`: the role of a successful STS role call.
fn assumed_role<'p>(call: &Call<'_>, params: &'p Parameters<'_>) -> Option<&'p str> {
    if !call.event_name.starts_with("AssumeRole") || call.result.is_err() {
        return None;
    }
    params.member("roleArn")
}

/// A request's parameters on their way into a record.
enum Parameters<'a> {
    /// None, or only secrets (CloudTrail writes `null`).
    Null,
    /// Query parameters with plain names (no `.`: no list, map or
    /// structure), the common case: their lower-camel names and values as
    /// [`redact`] leaves them, in order, without a tree.
    Flat(Vec<(String, Leaf<'a>)>),
    /// Anything else, nested, lower-camelled and redacted.
    Tree(Value),
}

/// Whether `a` and `b` have the same [`lower_camel`] form.
fn same_camel(a: &str, b: &str) -> bool {
    let (mut a, mut b) = (a.chars(), b.chars());
    match (a.next(), b.next()) {
        (Some(x), Some(y)) => x.to_lowercase().eq(y.to_lowercase()) && a.as_str() == b.as_str(),
        (None, None) => true,
        _ => false,
    }
}

impl<'a> Parameters<'a> {
    fn of(params: Params<'a>) -> Self {
        if let Params::Query(pairs) = params {
            // `member`/`entry` alone and names equal but for their first
            // letter's case nest or merge in the tree: those take the tree.
            let plain = |name: &str| !name.contains('.') && name != "member" && name != "entry";
            let distinct = || {
                pairs.len() <= 64
                    && pairs
                        .iter()
                        .enumerate()
                        .all(|(i, (a, _))| pairs[i + 1..].iter().all(|(b, _)| !same_camel(a, b)))
            };
            if pairs.iter().all(|(name, _)| plain(name)) && distinct() {
                let kept: Vec<(String, Leaf<'a>)> = pairs
                    .iter()
                    .filter_map(|(name, value)| {
                        let key = lower_camel(name);
                        let leaf = flat_leaf(&key, value)?;
                        Some((key, leaf))
                    })
                    .collect();
                return if kept.is_empty() {
                    Parameters::Null
                } else {
                    Parameters::Flat(kept)
                };
            }
        }
        match request_parameters(params) {
            Value::Null => Parameters::Null,
            tree => Parameters::Tree(tree),
        }
    }

    /// A top-level text member, by its lower-camel name.
    fn member(&self, key: &str) -> Option<&str> {
        match self {
            Parameters::Null => None,
            Parameters::Flat(members) => match members.iter().find(|(k, _)| k == key)? {
                (_, Leaf::Text(text)) => Some(text),
                (_, Leaf::Number(_) | Leaf::Bool(_)) => None,
            },
            Parameters::Tree(tree) => tree.get(key).and_then(Value::as_str),
        }
    }

    fn to_json(&self) -> String {
        match self {
            Parameters::Null => "null".to_string(),
            Parameters::Flat(members) => {
                let mut out = Vec::with_capacity(128);
                let mut object = Object::open(&mut out);
                for (key, leaf) in members {
                    match leaf {
                        Leaf::Text(text) => object.put(key, text),
                        Leaf::Number(n) => object.put_json(key, n),
                        Leaf::Bool(b) => object.put_json(key, b),
                    }
                }
                object.close();
                // serde_json's output and `str`s: always UTF-8.
                String::from_utf8(out).unwrap_or_default()
            }
            Parameters::Tree(tree) => serde_json::to_string(tree).unwrap_or_else(|_| "null".into()),
        }
    }
}

/// A Query value as a record holds it.
enum Leaf<'s> {
    Number(i64),
    Bool(bool),
    Text(&'s str),
}

/// The value of member `key` (lower-camel), typed as CloudTrail types it.
fn leaf<'s>(key: &str, text: &'s str) -> Leaf<'s> {
    if NUMERIC_MEMBERS.contains(&key) {
        if let Ok(n) = text.parse::<i64>() {
            return Leaf::Number(n);
        }
    } else if BOOLEAN_MEMBERS.contains(&key) {
        if let Ok(b) = text.parse::<bool>() {
            return Leaf::Bool(b);
        }
    }
    Leaf::Text(text)
}

/// A plain Query member as [`redact`] leaves it (`None`: left out).
fn flat_leaf<'s>(key: &str, text: &'s str) -> Option<Leaf<'s>> {
    match rule(key) {
        Rule::Omit => None,
        Rule::Blank => Some(Leaf::Text("")),
        Rule::Hide => Some(Leaf::Text(HIDDEN)),
        Rule::Keep => Some(leaf(key, text)),
    }
}
// ---------------------------------------------------------------------------------------------
// Parameters and answers: CloudTrail's lower-camel names, secrets removed.

/// Members CloudTrail writes as numbers; every other Query value stays text
/// (a Query request carries no types, and guessing would turn a user named
/// `123` into a number).
const NUMERIC_MEMBERS: &[&str] = &[
    "durationSeconds",
    "maxItems",
    "maxResults",
    "maxSessionDuration",
    "minimumPasswordLength",
    "maxPasswordAge",
    "passwordReusePrevention",
];

/// Members CloudTrail writes as booleans.
const BOOLEAN_MEMBERS: &[&str] = &[
    "passwordResetRequired",
    "setAsDefault",
    "requireSymbols",
    "requireNumbers",
    "requireUppercaseCharacters",
    "requireLowercaseCharacters",
    "allowUsersToChangePassword",
    "hardExpiry",
];

/// `UserName` → `userName`: only the first character is lowered, as
/// CloudTrail does (`SAMLAssertionID` → `sAMLAssertionID`).
pub fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The Query parameters as CloudTrail nests them: `Tags.member.1.Key=a` →
/// `{"tags":[{"key":"a"}]}`; secrets removed.
fn request_parameters(params: Params<'_>) -> Value {
    let mut tree = match params {
        Params::Query(pairs) => {
            if pairs.is_empty() {
                return Value::Null;
            }
            let mut root = Value::Object(Map::new());
            for (name, value) in pairs {
                insert_path(&mut root, name, value);
            }
            lists_from_members(&mut root);
            type_leaves(&mut root);
            root
        }
        Params::Json(body) => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) if m.is_empty() => return Value::Null,
            Ok(v) => camel_keys(v),
            Err(_) => return Value::Null,
        },
        Params::Verbatim(body) => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) if m.is_empty() => return Value::Null,
            Ok(v) => v,
            Err(_) => return Value::Null,
        },
    };
    redact(&mut tree);
    // ChangePassword's parameters are all secret: CloudTrail writes `null`.
    if tree.as_object().is_some_and(Map::is_empty) {
        return Value::Null;
    }
    tree
}

/// Puts `value` at the dotted `path` (names lower-camelled; `member` and
/// index segments kept for [`lists_from_members`]).
fn insert_path(root: &mut Value, path: &str, value: &str) {
    let mut node = root;
    let mut segments = path.split('.').peekable();
    while let Some(seg) = segments.next() {
        let key = if seg.bytes().all(|b| b.is_ascii_digit()) || seg == "member" || seg == "entry" {
            seg.to_string()
        } else {
            lower_camel(seg)
        };
        let Value::Object(map) = node else {
            return;
        };
        if segments.peek().is_none() {
            map.insert(key, Value::String(value.to_string()));
            return;
        }
        node = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    }
}

/// `{"member":{"1":a,"2":b}}` → `[a,b]`, depth first; maps sent as
/// `entry.N.key/value` become objects.
fn lists_from_members(v: &mut Value) {
    let Value::Object(map) = v else {
        return;
    };
    for child in map.values_mut() {
        lists_from_members(child);
    }
    let only = |name: &str| map.len() == 1 && map.contains_key(name);
    if only("member") {
        if let Some(Value::Object(items)) = map.remove("member") {
            let mut numbered: Vec<(u64, Value)> = items
                .into_iter()
                .map(|(k, v)| (k.parse().unwrap_or(u64::MAX), v))
                .collect();
            numbered.sort_by_key(|(n, _)| *n);
            *v = Value::Array(numbered.into_iter().map(|(_, v)| v).collect());
        }
    } else if only("entry") {
        if let Some(Value::Object(items)) = map.remove("entry") {
            let mut out = Map::new();
            for item in items.into_values() {
                if let (Some(Value::String(k)), Some(value)) = (item.get("key"), item.get("value"))
                {
                    out.insert(k.clone(), value.clone());
                }
            }
            *v = Value::Object(out);
        }
    }
}

/// Numbers and booleans of the members CloudTrail types so.
fn type_leaves(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if let Value::String(s) = child {
                    let typed = match leaf(k, s) {
                        Leaf::Number(n) => Some(Value::from(n)),
                        Leaf::Bool(b) => Some(Value::from(b)),
                        Leaf::Text(_) => None,
                    };
                    if let Some(typed) = typed {
                        *child = typed;
                    }
                } else {
                    type_leaves(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(type_leaves),
        _ => {}
    }
}

fn camel_keys(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (lower_camel(&k), camel_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_keys).collect()),
        other => other,
    }
}

/// The answer as CloudTrail writes it: the operation's result element (Query
/// XML) or the JSON body, names lower-camelled, IAM/STS dates in AWS's
/// Java-style text, secrets removed; `null` when empty.
fn response_elements(source: Source, event_name: &str, body: &str) -> Value {
    let mut tree = match source {
        Source::Iam | Source::Sts => xml_result(event_name, body, source),
        // Never kept ([`keeps_response`]).
        Source::S3 => Value::Null,
        Source::Organizations | Source::Cloudtrail | Source::Warden => {
            match serde_json::from_str::<Value>(body) {
                Ok(v) => camel_keys(v),
                Err(_) => Value::Null,
            }
        }
    };
    redact(&mut tree);
    if tree.as_object().is_some_and(Map::is_empty) {
        return Value::Null;
    }
    tree
}

fn xml_result(event_name: &str, body: &str, source: Source) -> Value {
    let Ok(doc) = roxmltree::Document::parse(body) else {
        return Value::Null;
    };
    let result_name = format!("{event_name}Result");
    let Some(result) = doc
        .root_element()
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == result_name)
    else {
        return Value::Null;
    };
    xml_value(result, source)
}

fn xml_value(node: roxmltree::Node<'_, '_>, source: Source) -> Value {
    let children: Vec<_> = node.children().filter(|n| n.is_element()).collect();
    if children.is_empty() {
        let text = node.text().unwrap_or_default();
        return Value::String(java_date(text, source).unwrap_or_else(|| text.to_string()));
    }
    if children.iter().all(|c| c.tag_name().name() == "member") {
        return Value::Array(children.iter().map(|c| xml_value(*c, source)).collect());
    }
    let mut map = Map::new();
    for c in children {
        map.insert(lower_camel(c.tag_name().name()), xml_value(c, source));
    }
    Value::Object(map)
}

/// IAM's `Mar 2, 2026 9:15:42 AM` and STS's `Mar 2, 2026, 9:15:42 AM` for an
/// ISO 8601 timestamp; `None` for any other text.
fn java_date(text: &str, source: Source) -> Option<String> {
    if text.len() < 20 || text.as_bytes().get(10) != Some(&b'T') || !text.ends_with('Z') {
        return None;
    }
    let t = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.get(usize::from(u8::from(t.month())) - 1)?;
    let (hour, half) = match t.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    let comma = if source == Source::Sts { "," } else { "" };
    Some(format!(
        "{month} {}, {}{comma} {hour}:{:02}:{:02} {half}",
        t.day(),
        t.year(),
        t.minute(),
        t.second()
    ))
}

// ---------------------------------------------------------------------------------------------
// Redaction. It fails closed: a member whose name looks secret and is not
// known safe is hidden, whatever operation it comes from.

/// Secrets with a known place, left out as CloudTrail leaves them out
/// (lower-cased names).
const OMITTED: &[&str] = &[
    "password",
    "oldpassword",
    "newpassword",
    "secretaccesskey",
    "privatekey",
    "addprivatekey",
    "base32stringseed",
    "qrcodepng",
    "servicepassword",
    "servicecredentialsecret",
    "samlassertion",
    "webidentitytoken",
    "tokencode",
    "authenticationcode1",
    "authenticationcode2",
    "tradeintoken",
];

/// Parts of a name that make a member secret unless listed safe.
const SECRET_WORDS: &[&str] = &[
    "password",
    "secret",
    "token",
    "privatekey",
    "seed",
    "qrcode",
    "assertion",
    "authenticationcode",
    "passphrase",
    "totp",
];

/// Names that contain a secret word but hold no secret (lower-cased).
const SAFE: &[&str] = &[
    "passwordresetrequired",
    "passwordlastused",
    "allowuserstochangepassword",
    "maxpasswordage",
    "minimumpasswordlength",
    "passwordreuseprevention",
    "expirepasswords",
    "subjectfromwebidentitytoken",
    "nexttoken",
    "assertionencryptionmode",
];

/// What happens to a member named `name`.
#[derive(Debug, PartialEq, Eq)]
enum Rule {
    Keep,
    Omit,
    /// STS session tokens: CloudTrail's recent records write `""`.
    Blank,
    Hide,
}

fn rule(name: &str) -> Rule {
    let lower = name.to_ascii_lowercase();
    if lower == "sessiontoken" {
        Rule::Blank
    } else if OMITTED.contains(&lower.as_str()) {
        Rule::Omit
    } else if SAFE.contains(&lower.as_str()) {
        Rule::Keep
    } else if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
        Rule::Hide
    } else {
        Rule::Keep
    }
}

/// Removes, blanks or hides every secret member of `v`, at any depth.
pub fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| rule(k) != Rule::Omit);
            for (k, child) in map.iter_mut() {
                match rule(k) {
                    Rule::Blank => *child = Value::String(String::new()),
                    Rule::Hide => *child = Value::String(HIDDEN.to_string()),
                    Rule::Keep | Rule::Omit => redact(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// A GetUser record by the root user, as the request path hands it over
/// (tests of the journal and the index).
#[cfg(test)]
pub(crate) fn test_pending(user: &str) -> Pending {
    Pending {
        time: time::OffsetDateTime::now_utc(),
        request_id: "req".into(),
        source_ip: None,
        user_agent: None,
        region: "us-east-1".into(),
        source: Source::Iam,
        event_name: "GetUser".into(),
        read_only: true,
        who: PendingWho::Caller(warden_core::auth::Caller::root("111122223333", "AKIAROOT")),
        params: Some(PendingParams::Query(vec![("UserName".into(), user.into())])),
        result: Ok(None),
        fallback_account: String::new(),
        details: &[],
        shared_event_id: None,
        resource_owner: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call<'a>(
        who: Who<'a>,
        name: &'a str,
        source: Source,
        params: Option<Params<'a>>,
        result: Result<&'a str, (&'a str, &'a str)>,
        read_only: bool,
    ) -> Call<'a> {
        Call {
            time: OffsetDateTime::from_unix_timestamp(1_772_442_942).unwrap(),
            request_id: "req-1",
            source_ip: Some("198.51.100.23".parse().unwrap()),
            user_agent: Some("aws-cli/2"),
            region: "us-east-1",
            source,
            event_name: name,
            read_only,
            who,
            params,
            result,
            fallback_account: "123456789012",
            details: &[],
            shared_event_id: None,
            resource_owner: None,
        }
    }

    fn user() -> Caller {
        Caller {
            account: "111122223333".into(),
            kind: PrincipalKind::User {
                name_lower: "dana".into(),
            },
            arn: "arn:aws:iam::111122223333:user/ops/Dana".into(),
            user_id: "AIDAEXAMPLE".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            session: None,
            dev_stand_in: false,
        }
    }

    #[test]
    fn s3_records_keep_s3s_names_and_name_the_bucket() {
        let caller = user();
        let params = br#"{"bucketName":"logs","Host":"127.0.0.1:4600","policy":"","bucketPolicy":{"Statement":[{"Condition":{"DateGreaterThan":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}}}]}}"#;
        let mut c = call(
            Who::Caller(&caller),
            "PutBucketPolicy",
            Source::S3,
            Some(Params::Verbatim(params)),
            Ok(""),
            read_only(Source::S3, "PutBucketPolicy"),
        );
        c.details = &[
            ("SignatureVersion", "SigV4"),
            ("AuthenticationMethod", "AuthHeader"),
        ];
        c.resource_owner = Some("444455556666");
        let (text, fields) = render(&c);
        let r: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(r["eventSource"], "s3.amazonaws.com");
        assert_eq!(r["readOnly"], false);
        assert_eq!(r["responseElements"], Value::Null);
        // Not lower-camelled; redacted by name as any other parameters.
        assert_eq!(r["requestParameters"]["Host"], "127.0.0.1:4600");
        assert_eq!(r["requestParameters"]["bucketName"], "logs");
        assert_eq!(
            r["requestParameters"]["bucketPolicy"]["Statement"][0]["Condition"]["DateGreaterThan"]
                ["aws:TokenIssueTime"],
            HIDDEN
        );
        assert_eq!(
            r["additionalEventData"]["AuthenticationMethod"],
            "AuthHeader"
        );
        assert_eq!(r["additionalEventData"]["SignatureVersion"], "SigV4");
        assert_eq!(
            r["resources"],
            json!([{"accountId": "444455556666", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::logs"}])
        );
        assert_eq!(
            fields.resources,
            [("AWS::S3::Bucket".to_string(), "logs".to_string())]
        );
        // What the index reads back from the text agrees with what rendering gathered.
        assert_eq!(crate::audit::Fields::parse(&text).unwrap(), fields);
        assert!(read_only(Source::S3, "GetBucketAcl") && read_only(Source::S3, "ListBuckets"));
        assert!(!read_only(Source::S3, "DeleteBucket") && !read_only(Source::S3, "CreateBucket"));
    }

    #[test]
    fn an_anonymous_s3_call_is_the_anonymous_principal_in_the_owners_trail() {
        let params = br#"{"bucketName":"public","Host":"h","policy":""}"#;
        let mut c = call(
            Who::Anonymous,
            "GetBucketPolicy",
            Source::S3,
            Some(Params::Verbatim(params)),
            Err(("AccessDenied", "Access Denied")),
            true,
        );
        c.fallback_account = "444455556666";
        let (text, fields) = render(&c);
        let r: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            r["userIdentity"],
            json!({"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"})
        );
        assert_eq!(r["recipientAccountId"], "444455556666");
        // Not an authentication failure; the refusal still names the bucket.
        assert!(r.get("additionalEventData").is_none());
        assert_eq!(r["requestParameters"]["bucketName"], "public");
        assert_eq!(
            fields.resources,
            [("AWS::S3::Bucket".to_string(), "public".to_string())]
        );
        assert_eq!(fields.username, None);
        assert_eq!(fields.recipient, "444455556666");
    }

    #[test]
    fn a_cross_account_assume_role_has_a_copy_for_the_roles_account() {
        let role = "arn:aws:iam::444455556666:role/auditor";
        let assume = |role_arn: &str, result: Result<Option<String>, (String, String)>| Pending {
            source: Source::Sts,
            event_name: "AssumeRole".into(),
            read_only: true,
            who: PendingWho::Caller(user()),
            params: Some(PendingParams::Query(vec![
                ("RoleArn".into(), role_arn.into()),
                ("RoleSessionName".into(), "audit".into()),
            ])),
            result,
            ..test_pending("x")
        };
        let mut caller_s = assume(role, Ok(None));
        let copy = caller_s.role_owners_copy().expect("a copy");
        let (mine, _) = caller_s.render();
        let (theirs, fields) = copy.render();
        let (mine, theirs): (Value, Value) = (
            serde_json::from_str(&mine).unwrap(),
            serde_json::from_str(&theirs).unwrap(),
        );
        assert_eq!(mine["recipientAccountId"], "111122223333");
        assert_eq!(mine["userIdentity"]["type"], "IAMUser");
        assert_eq!(theirs["recipientAccountId"], "444455556666");
        assert_eq!(
            theirs["userIdentity"],
            json!({"type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "111122223333"})
        );
        assert_eq!(mine["requestID"], theirs["requestID"]);
        assert!(mine["sharedEventID"].is_string());
        assert_eq!(mine["sharedEventID"], theirs["sharedEventID"]);
        assert_ne!(mine["eventID"], theirs["eventID"]);
        assert_eq!(mine["requestParameters"], theirs["requestParameters"]);
        assert_eq!(fields.recipient, "444455556666");
        // Same account, a refusal, or another call: one record only, without a shared id.
        let mut same = assume("arn:aws:iam::111122223333:role/auditor", Ok(None));
        assert!(same.role_owners_copy().is_none());
        let mut refused = assume(role, Err(("AccessDenied".into(), "no".into())));
        assert!(refused.role_owners_copy().is_none());
        assert!(same.shared_event_id.is_none() && refused.shared_event_id.is_none());
        let mut other = test_pending("x");
        assert!(other.role_owners_copy().is_none());
    }

    #[test]
    fn a_create_user_record_has_cloudtrails_fields() {
        let caller = user();
        let params = [
            ("UserName", "build-bot"),
            ("Path", "/service/"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "platform"),
        ];
        let body = "<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateUserResult><User><Path>/service/</Path><UserName>build-bot</UserName><UserId>AIDANEW</UserId><Arn>arn:aws:iam::111122223333:user/service/build-bot</Arn><CreateDate>2026-03-02T13:05:42Z</CreateDate></User></CreateUserResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></CreateUserResponse>";
        let rec = build(&call(
            Who::Caller(&caller),
            "CreateUser",
            Source::Iam,
            Some(Params::Query(&params)),
            Ok(body),
            false,
        ));
        assert_eq!(rec["eventVersion"], "1.09");
        assert_eq!(rec["eventTime"], "2026-03-02T09:15:42Z");
        assert_eq!(rec["eventSource"], "iam.amazonaws.com");
        assert_eq!(rec["userIdentity"]["type"], "IAMUser");
        assert_eq!(rec["userIdentity"]["userName"], "Dana");
        assert_eq!(rec["userIdentity"]["accessKeyId"], "AKIAEXAMPLE");
        assert_eq!(
            rec["requestParameters"],
            json!({"userName": "build-bot", "path": "/service/", "tags": [{"key": "team", "value": "platform"}]})
        );
        assert_eq!(rec["responseElements"]["user"]["userId"], "AIDANEW");
        assert_eq!(
            rec["responseElements"]["user"]["createDate"],
            "Mar 2, 2026 1:05:42 PM"
        );
        assert_eq!(rec["readOnly"], false);
        assert_eq!(rec["eventType"], "AwsApiCall");
        assert_eq!(rec["managementEvent"], true);
        assert_eq!(rec["recipientAccountId"], "111122223333");
        assert_eq!(rec["sourceIPAddress"], "198.51.100.23");
        assert!(rec.get("errorCode").is_none());
    }

    #[test]
    fn a_denied_request_records_neither_parameters_nor_answer() {
        let caller = user();
        let params = [("UserName", "x")];
        let rec = build(&call(
            Who::Caller(&caller),
            "CreateUser",
            Source::Iam,
            Some(Params::Query(&params)),
            Err(("AccessDenied", "User: arn is not authorized")),
            false,
        ));
        assert_eq!(rec["errorCode"], "AccessDenied");
        assert_eq!(rec["requestParameters"], Value::Null);
        assert_eq!(rec["responseElements"], Value::Null);
    }

    #[test]
    fn an_unknown_key_is_recorded_as_an_unknown_identity_of_the_fallback_account() {
        let rec = build(&call(
            Who::Unauthenticated {
                key_id: Some("AKIANOPE"),
                owner: None,
            },
            "GetUser",
            Source::Iam,
            None,
            Err((
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )),
            true,
        ));
        assert_eq!(
            rec["userIdentity"],
            json!({"type": "Unknown", "accountId": "123456789012", "accessKeyId": "AKIANOPE"})
        );
        assert_eq!(rec["additionalEventData"]["authenticationFailure"], true);
        assert_eq!(rec["recipientAccountId"], "123456789012");
    }

    #[test]
    fn sts_credentials_keep_the_key_id_and_lose_the_secret_and_token() {
        let caller = user();
        let params = [
            ("DurationSeconds", "900"),
            ("SerialNumber", "arn:aws:iam::111122223333:mfa/dana"),
            ("TokenCode", "123456"),
        ];
        let body = "<GetSessionTokenResponse><GetSessionTokenResult><Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s3cr3t</SecretAccessKey><SessionToken>tok3n</SessionToken><Expiration>2026-03-02T21:46:15Z</Expiration></Credentials></GetSessionTokenResult></GetSessionTokenResponse>";
        let rec = build(&call(
            Who::Caller(&caller),
            "GetSessionToken",
            Source::Sts,
            Some(Params::Query(&params)),
            Ok(body),
            false,
        ));
        assert_eq!(
            rec["requestParameters"],
            json!({"durationSeconds": 900, "serialNumber": "arn:aws:iam::111122223333:mfa/dana"})
        );
        assert_eq!(
            rec["responseElements"],
            json!({"credentials": {"accessKeyId": "ASIAX", "sessionToken": "", "expiration": "Mar 2, 2026, 9:46:15 PM"}})
        );
        let text = rec.to_string();
        assert!(!text.contains("s3cr3t") && !text.contains("tok3n") && !text.contains("123456"));
    }

    #[test]
    fn redaction_fails_closed_on_an_unknown_secret_looking_member() {
        let mut v = json!({
            "userName": "a",
            "password": "p",
            "passwordResetRequired": true,
            "newFancySecret": {"nested": "x"},
            "items": [{"clientToken": "t", "keep": "k"}],
            "subjectFromWebIdentityToken": "sub",
        });
        redact(&mut v);
        assert_eq!(
            v,
            json!({
                "userName": "a",
                "passwordResetRequired": true,
                "newFancySecret": HIDDEN,
                "items": [{"clientToken": HIDDEN, "keep": "k"}],
                "subjectFromWebIdentityToken": "sub",
            })
        );
    }

    #[test]
    fn every_secret_the_models_mark_sensitive_is_left_out() {
        for name in [
            "Password",
            "OldPassword",
            "NewPassword",
            "SecretAccessKey",
            "PrivateKey",
            "AddPrivateKey",
            "Base32StringSeed",
            "QRCodePNG",
            "ServicePassword",
            "SAMLAssertion",
            "WebIdentityToken",
            "TokenCode",
            "AuthenticationCode1",
            "AuthenticationCode2",
        ] {
            let mut v = json!({ lower_camel(name): "secret-value" });
            redact(&mut v);
            assert_eq!(v, json!({}), "{name}");
        }
    }

    #[test]
    fn read_only_calls_answer_null_except_sts_role_calls() {
        let caller = user();
        let body = "<GetUserResponse><GetUserResult><User><UserName>a</UserName></User></GetUserResult></GetUserResponse>";
        let rec = build(&call(
            Who::Caller(&caller),
            "GetUser",
            Source::Iam,
            Some(Params::Query(&[])),
            Ok(body),
            true,
        ));
        assert_eq!(rec["responseElements"], Value::Null);
        assert_eq!(rec["requestParameters"], Value::Null);
        let params = [
            ("RoleArn", "arn:aws:iam::111122223333:role/r"),
            ("RoleSessionName", "s"),
        ];
        let body = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAY</AccessKeyId><SecretAccessKey>zz</SecretAccessKey><SessionToken>tt</SessionToken><Expiration>2026-03-02T21:46:15Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/r/s</Arn><AssumedRoleId>AROAX:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>";
        let rec = build(&call(
            Who::Caller(&caller),
            "AssumeRole",
            Source::Sts,
            Some(Params::Query(&params)),
            Ok(body),
            true,
        ));
        assert_eq!(
            rec["responseElements"]["assumedRoleUser"]["assumedRoleId"],
            "AROAX:s"
        );
        assert_eq!(rec["resources"][0]["type"], "AWS::IAM::Role");
        assert_eq!(rec["resources"][0]["accountId"], "111122223333");
    }

    #[test]
    fn an_assumed_role_names_its_session_issuer() {
        let mut caller = user();
        caller.kind = PrincipalKind::AssumedRole {
            role_name_lower: "deployer".into(),
            role_arn: "arn:aws:iam::111122223333:role/ci/Deployer".into(),
            session_name: "run-1".into(),
        };
        caller.arn = "arn:aws:sts::111122223333:assumed-role/Deployer/run-1".into();
        caller.user_id = "AROAEXAMPLE:run-1".into();
        let rec = build(&call(
            Who::Caller(&caller),
            "GetUser",
            Source::Iam,
            None,
            Ok("<GetUserResponse/>"),
            true,
        ));
        let id = &rec["userIdentity"];
        assert_eq!(id["type"], "AssumedRole");
        assert_eq!(id["principalId"], "AROAEXAMPLE:run-1");
        assert_eq!(
            id["sessionContext"]["sessionIssuer"],
            json!({"type": "Role", "principalId": "AROAEXAMPLE", "arn": "arn:aws:iam::111122223333:role/ci/Deployer", "accountId": "111122223333", "userName": "Deployer"})
        );
    }

    #[test]
    fn json_requests_are_recorded_with_lower_camel_names() {
        let caller = user();
        let body = br#"{"AccountId":"222233334444","Tags":[{"Key":"a","Value":"b"}]}"#;
        let rec = build(&call(
            Who::Caller(&caller),
            "TagResource",
            Source::Organizations,
            Some(Params::Json(body)),
            Ok("{}"),
            false,
        ));
        assert_eq!(
            rec["requestParameters"],
            json!({"accountId": "222233334444", "tags": [{"key": "a", "value": "b"}]})
        );
        assert_eq!(rec["responseElements"], Value::Null);
    }

    #[test]
    fn plain_query_parameters_are_written_as_the_tree_writes_them() {
        let cases: &[&[(&str, &str)]] = &[
            &[("UserName", "a\"b\\c")],
            &[
                ("DurationSeconds", "900"),
                ("SerialNumber", "arn:aws:iam::111122223333:mfa/d"),
                ("TokenCode", "123456"),
            ],
            &[("NewPassword", "p"), ("OldPassword", "q")],
            &[
                ("ClientToken", "t"),
                ("PasswordResetRequired", "true"),
                ("SessionToken", "s"),
                ("UserName", "u"),
            ],
            &[
                ("MaxItems", "many"),
                ("RoleArn", "arn:aws:iam::111122223333:role/r"),
            ],
            &[],
        ];
        for pairs in cases {
            let plain = Parameters::of(Params::Query(pairs));
            assert!(
                matches!(plain, Parameters::Flat(_) | Parameters::Null),
                "{pairs:?}"
            );
            let tree = request_parameters(Params::Query(pairs));
            assert_eq!(
                plain.to_json(),
                serde_json::to_string(&tree).unwrap(),
                "{pairs:?}"
            );
            for (member, _) in RESOURCE_MEMBERS {
                assert_eq!(
                    plain.member(member),
                    tree.get(*member).and_then(Value::as_str),
                    "{pairs:?} {member}"
                );
            }
        }
        // Names the tree nests or merges take the tree.
        for pairs in [
            &[("Tags.member.1.Key", "k")][..],
            &[("UserName", "a"), ("userName", "b")][..],
            &[("member", "m")][..],
        ] {
            assert!(
                !matches!(Parameters::of(Params::Query(pairs)), Parameters::Flat(_)),
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for text in [
            "plain",
            "",
            "quote \" and backslash \\",
            "line\nbreak\ttab\u{1}\u{1f}",
            "del \u{7f}, slash /, é, 漢字, </script>",
            "eight ok then a \" past the first word",
            "a long string with no escape at all, then one at the very end\\",
            "\u{0}",
            "0123456789abcdef\u{1f}",
        ] {
            let mut out = Vec::new();
            json_string(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn the_word_test_finds_every_byte_that_needs_an_escape_at_every_position() {
        for b in 0u8..=127 {
            let expected = b < 0x20 || b == b'"' || b == b'\\';
            for at in 0..17 {
                let mut bytes = vec![b'a'; 17];
                bytes[at] = b;
                assert_eq!(needs_escape(&bytes), expected, "byte {b} at {at}");
            }
        }
        // Bytes of multi-byte characters need none.
        assert!(!needs_escape("é漢字€😀 long enough for a word".as_bytes()));
    }

    #[test]
    fn event_ids_are_distinct_version_4_guids() {
        let ids: std::collections::BTreeSet<String> = (0..10_000).map(|_| event_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(5) {
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(parsed.get_version_num(), 4, "{id}");
        }
    }

    #[test]
    fn dates_render_as_aws_java_style_text() {
        assert_eq!(
            java_date("2024-08-01T00:03:28Z", Source::Iam).as_deref(),
            Some("Aug 1, 2024 12:03:28 AM")
        );
        assert_eq!(
            java_date("2024-07-30T21:46:15.123Z", Source::Sts).as_deref(),
            Some("Jul 30, 2024, 9:46:15 PM")
        );
        assert_eq!(java_date("build-bot", Source::Iam), None);
        let epoch = OffsetDateTime::from_unix_timestamp(0).unwrap();
        assert_eq!(iso_seconds(epoch), "1970-01-01T00:00:00Z");
        let late = OffsetDateTime::from_unix_timestamp(1_798_761_599).unwrap();
        assert_eq!(iso_seconds(late), "2026-12-31T23:59:59Z");
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    /// `cargo test --release -p warden-server --lib audit::record::timing -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    fn time_to_build_a_get_user_record() {
        let caller = Caller {
            account: "111122223333".into(),
            kind: PrincipalKind::Root,
            arn: "arn:aws:iam::111122223333:root".into(),
            user_id: "111122223333".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            session: None,
            dev_stand_in: false,
        };
        let params = [("UserName", "bench")];
        // AUDIT_TIMING_N: fewer records, e.g. under callgrind.
        let n: u32 = std::env::var("AUDIT_TIMING_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(200_000);
        let call = |time| Call {
            time,
            request_id: "9b2f3c1e-0000-4000-8000-000000000000",
            source_ip: Some("127.0.0.1".parse().unwrap()),
            user_agent: Some("wrk"),
            region: "us-east-1",
            source: Source::Iam,
            event_name: "GetUser",
            read_only: true,
            who: Who::Caller(&caller),
            params: Some(Params::Query(&params)),
            result: Ok("<GetUserResponse/>"),
            fallback_account: "111122223333",
            details: &[],
            shared_event_id: None,
            resource_owner: None,
        };
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(render(&call(OffsetDateTime::now_utc())));
        }
        eprintln!("render alone: {:?} per record", t.elapsed() / n);
        // What a request pays (the owned copy the edge makes, and the
        // hand-over; fewer records than the queue holds, so none waits),
        // then until the journal thread has journaled and indexed them all.
        let n = n.min(50_000);
        let dir = tempfile::tempdir().unwrap();
        let trail = crate::audit::AuditTrail::open(crate::audit::AuditOptions {
            dir: Some(dir.path().to_path_buf()),
            ..crate::audit::AuditOptions::default()
        })
        .unwrap();
        let t = std::time::Instant::now();
        for _ in 0..n {
            trail.record(Pending {
                time: OffsetDateTime::now_utc(),
                request_id: "9b2f3c1e-0000-4000-8000-000000000000".to_string(),
                source_ip: Some("127.0.0.1".parse().unwrap()),
                user_agent: Some("wrk".to_string()),
                region: "us-east-1".into(),
                source: Source::Iam,
                event_name: "GetUser".to_string(),
                read_only: true,
                who: PendingWho::Caller(caller.clone()),
                params: Some(PendingParams::Query(vec![(
                    "UserName".to_string(),
                    "bench".to_string(),
                )])),
                result: Ok(None),
                fallback_account: String::new(),
                details: &[],
                shared_event_id: None,
                resource_owner: None,
            });
        }
        let handed = t.elapsed();
        let (seen, _) = trail.newest_first(None, 1, |_| true, |_| true);
        assert_eq!(seen.len(), 1);
        eprintln!(
            "request path: {:?} per record; until indexed: {:?} per record",
            handed / n,
            t.elapsed() / n
        );
        trail.close();
    }
}
