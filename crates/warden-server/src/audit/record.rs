//! One CloudTrail record per request, built in one place from what the edge
//! knows when the request ends: who called (or which key was presented),
//! what was asked, and what was answered. Secrets are removed here, by
//! [`redact`], before a record exists anywhere else.

use std::net::IpAddr;

use serde_json::{json, Map, Value};
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
}

impl Source {
    /// The `eventSource` host.
    pub fn host(self) -> &'static str {
        match self {
            Source::Iam => "iam.amazonaws.com",
            Source::Sts => "sts.amazonaws.com",
            Source::Organizations => "organizations.amazonaws.com",
            Source::Cloudtrail => "cloudtrail.amazonaws.com",
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
    )
}

/// Builds the record of `call` as a JSON object, secrets removed.
#[cfg(test)]
pub fn build(call: &Call<'_>) -> Value {
    serde_json::from_str(&render(call).json).unwrap_or(Value::Null)
}

/// Appends `"key":` and the JSON text of `value`.
fn put<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, first: &mut bool, key: &str, value: &T) {
    if !std::mem::take(first) {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    // Serializing a string, bool or Value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Appends `"key":` and `json`, already JSON text.
fn put_raw(out: &mut Vec<u8>, first: &mut bool, key: &str, json: &str) {
    if !std::mem::take(first) {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(json.as_bytes());
}

/// Renders the record of `call`: its JSON text, written straight out (it
/// runs on every request, so no intermediate tree of the whole record), and
/// the fields LookupEvents filters on.
pub(crate) fn render(call: &Call<'_>) -> crate::audit::Stored {
    let (identity, recipient) = user_identity(call);
    let refused = matches!(call.result, Err((code, _)) if refused_before_running(code));
    let params = match &call.params {
        Some(p) if !refused => request_parameters(*p),
        _ => Value::Null,
    };
    let response = match call.result {
        Ok(body) if keeps_response(call) => response_elements(call.source, call.event_name, body),
        _ => Value::Null,
    };
    let resources = resources_of(&params, &response);
    let event_id = event_id();
    let mut out = Vec::with_capacity(1024);
    let first = &mut true;
    out.push(b'{');
    put(&mut out, first, "eventVersion", call.source.event_version());
    put(&mut out, first, "userIdentity", &identity);
    put(&mut out, first, "eventTime", &iso_seconds(call.time));
    put(&mut out, first, "eventSource", call.source.host());
    put(&mut out, first, "eventName", call.event_name);
    put(&mut out, first, "awsRegion", call.region);
    match call.source_ip {
        Some(ip) => put(&mut out, first, "sourceIPAddress", &ip.to_string()),
        None => put(&mut out, first, "sourceIPAddress", "AWS Internal"),
    }
    if let Some(agent) = call.user_agent {
        put(&mut out, first, "userAgent", truncate(agent, 1024));
    }
    if let Err((code, message)) = call.result {
        put(&mut out, first, "errorCode", truncate(code, 1024));
        put(&mut out, first, "errorMessage", truncate(message, 1024));
    }
    let mut truncated = Vec::new();
    for (name, value) in [
        ("requestParameters", &params),
        ("responseElements", &response),
    ] {
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
        if text.len() > MAX_ELEMENTS_BYTES {
            truncated.push(name);
            put(&mut out, first, name, &Value::Null);
        } else {
            put_raw(&mut out, first, name, &text);
        }
    }
    let unauthenticated = matches!(call.who, Who::Unauthenticated { .. });
    if !truncated.is_empty() || unauthenticated {
        let mut extra = Map::new();
        if !truncated.is_empty() {
            extra.insert("wardenTruncatedFields".into(), json!(truncated));
        }
        if unauthenticated {
            extra.insert("authenticationFailure".into(), true.into());
        }
        put(&mut out, first, "additionalEventData", &extra);
    }
    put(
        &mut out,
        first,
        "requestID",
        truncate(call.request_id, 1024),
    );
    put(&mut out, first, "eventID", &event_id);
    put(&mut out, first, "readOnly", &call.read_only);
    if let Some(r) = record_resources(call, &params) {
        put(&mut out, first, "resources", &r);
    }
    put(&mut out, first, "eventType", "AwsApiCall");
    put(&mut out, first, "managementEvent", &true);
    put(&mut out, first, "recipientAccountId", &recipient);
    put(&mut out, first, "eventCategory", "Management");
    out.push(b'}');
    crate::audit::Stored {
        seq: 0,
        time: call.time.unix_timestamp(),
        event_id,
        event_name: call.event_name.to_string(),
        event_source: call.source.host().to_string(),
        read_only: call.read_only,
        username: username_of(&identity),
        access_key_id: identity
            .get("accessKeyId")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .map(str::to_string),
        recipient,
        region: call.region.to_string(),
        resources,
        // Built from `str`s and serde_json's output: always UTF-8.
        json: String::from_utf8(out).unwrap_or_default(),
    }
}

/// A fresh version-4 GUID for `eventID`, without a `getrandom` call per
/// record: each thread seeds 128 bits once and then counts, mixed by
/// splitmix64 (a bijection, so a thread never repeats an id; two threads'
/// random seeds make a collision as unlikely as between random UUIDs). The
/// id identifies a record; it protects nothing.
fn event_id() -> String {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<(u64, u64, u64)> = {
            let seed = uuid::Uuid::new_v4().as_u64_pair();
            Cell::new((seed.0, seed.1, 0))
        };
    }
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let (hi, lo) = STATE.with(|s| {
        let (a, b, n) = s.get();
        s.set((a, b, n.wrapping_add(1)));
        (a ^ mix(n), b ^ mix(n ^ 0x5555_5555_5555_5555))
    });
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_be_bytes());
    bytes[8..].copy_from_slice(&lo.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// LookupEvents' `Username`: `root` for the root user, the session name of a
/// role or federated session, else the identity's `userName`.
pub(crate) fn username_of(identity: &Value) -> Option<String> {
    let text = |k: &str| identity.get(k).and_then(Value::as_str);
    match text("type") {
        Some("Root") => Some("root".to_string()),
        Some("AssumedRole") | Some("FederatedUser") => text("principalId")
            .and_then(|p| p.split_once(':'))
            .map(|(_, s)| s.to_string()),
        _ => text("userName").map(str::to_string),
    }
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
];

/// LookupEvents' `Resources`: `(ResourceType, ResourceName)` pairs named by
/// the parameters and the answer.
pub(crate) fn resources_of(params: &Value, response: &Value) -> Vec<(String, String)> {
    let mut resources = Vec::new();
    for block in [params, response] {
        if let Value::Object(m) = block {
            for (member, kind) in RESOURCE_MEMBERS {
                if let Some(name) = m.get(*member).and_then(Value::as_str) {
                    resources.push((kind.to_string(), name.to_string()));
                }
            }
            // CreateAccessKey answers the new key's id inside `accessKey`.
            if let Some(id) = m
                .get("accessKey")
                .and_then(|k| k.get("accessKeyId"))
                .and_then(Value::as_str)
            {
                resources.push(("AWS::IAM::AccessKey".into(), id.to_string()));
            }
        }
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
    };
    actions::spec(service, event_name)
        .is_some_and(|row| matches!(row.access_level, AccessLevel::List | AccessLevel::Read))
}

/// Read-only calls answer `null`, except the STS calls that issue
/// credentials (CloudTrail logs their answer, minus the secret).
fn keeps_response(call: &Call<'_>) -> bool {
    !call.read_only
        || (call.source == Source::Sts
            && matches!(
                call.event_name,
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
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn iso_epoch(epoch: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch).map_or_else(|_| String::new(), iso_seconds)
}

/// The last `/`-separated segment of an ARN: a user's or role's name.
fn arn_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The `userIdentity` block and the account that receives the record.
fn user_identity(call: &Call<'_>) -> (Value, String) {
    match call.who {
        Who::Caller(caller) => (caller_identity(caller), caller.account.clone()),
        Who::Unauthenticated {
            owner: Some(owner), ..
        } => (caller_identity(owner), owner.account.clone()),
        Who::Unauthenticated {
            key_id,
            owner: None,
        } => {
            let mut m = Map::new();
            m.insert("type".into(), "Unknown".into());
            m.insert("accountId".into(), call.fallback_account.into());
            if let Some(key) = key_id {
                m.insert("accessKeyId".into(), truncate(key, 128).into());
            }
            (Value::Object(m), call.fallback_account.to_string())
        }
        Who::Federated => federated_identity(call),
    }
}

fn session_attributes(caller: &Caller) -> Option<Value> {
    let s = caller.session.as_ref()?;
    Some(json!({
        "creationDate": iso_epoch(s.issued),
        "mfaAuthenticated": if s.mfa_authenticated { "true" } else { "false" },
    }))
}

/// CloudTrail's identity block of an authenticated caller.
pub fn caller_identity(caller: &Caller) -> Value {
    let mut m = Map::new();
    let attributes = session_attributes(caller);
    let mut context = Map::new();
    match &caller.kind {
        PrincipalKind::Root => {
            m.insert("type".into(), "Root".into());
            m.insert("principalId".into(), caller.account.clone().into());
            m.insert("arn".into(), caller.arn.clone().into());
        }
        PrincipalKind::User { .. } => {
            m.insert("type".into(), "IAMUser".into());
            m.insert("principalId".into(), caller.user_id.clone().into());
            m.insert("arn".into(), caller.arn.clone().into());
        }
        PrincipalKind::AssumedRole { role_arn, .. } => {
            m.insert("type".into(), "AssumedRole".into());
            m.insert("principalId".into(), caller.user_id.clone().into());
            m.insert("arn".into(), caller.arn.clone().into());
            let role_id = caller.user_id.split(':').next().unwrap_or_default();
            context.insert(
                "sessionIssuer".into(),
                json!({
                    "type": "Role",
                    "principalId": role_id,
                    "arn": role_arn,
                    "accountId": caller.account,
                    "userName": arn_name(role_arn),
                }),
            );
        }
        PrincipalKind::FederatedUser { user_name_lower } => {
            m.insert("type".into(), "FederatedUser".into());
            m.insert("principalId".into(), caller.user_id.clone().into());
            m.insert("arn".into(), caller.arn.clone().into());
            context.insert(
                "sessionIssuer".into(),
                json!({
                    "type": "IAMUser",
                    "accountId": caller.account,
                    "userName": user_name_lower,
                }),
            );
        }
    }
    m.insert("accountId".into(), caller.account.clone().into());
    m.insert("accessKeyId".into(), caller.access_key_id.clone().into());
    if matches!(caller.kind, PrincipalKind::User { .. }) {
        m.insert("userName".into(), arn_name(&caller.arn).into());
    }
    if let Some(a) = attributes {
        context.insert("attributes".into(), a);
    }
    if !context.is_empty() {
        m.insert("sessionContext".into(), Value::Object(context));
    }
    Value::Object(m)
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
fn record_resources(call: &Call<'_>, params: &Value) -> Option<Value> {
    if !call.event_name.starts_with("AssumeRole") || call.result.is_err() {
        return None;
    }
    let arn = params.get("roleArn")?.as_str()?;
    Some(json!([{
        "accountId": arn_account(arn).unwrap_or_default(),
        "type": "AWS::IAM::Role",
        "ARN": arn,
    }]))
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
                    if NUMERIC_MEMBERS.contains(&k.as_str()) {
                        if let Ok(n) = s.parse::<i64>() {
                            *child = n.into();
                        }
                    } else if BOOLEAN_MEMBERS.contains(&k.as_str()) {
                        if let Ok(b) = s.parse::<bool>() {
                            *child = b.into();
                        }
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
        Source::Organizations | Source::Cloudtrail => match serde_json::from_str::<Value>(body) {
            Ok(v) => camel_keys(v),
            Err(_) => Value::Null,
        },
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let id = caller_identity(&caller);
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
        let n = 200_000u32;
        let trail = crate::audit::AuditTrail::open(crate::audit::AuditOptions::default()).unwrap();
        let t = std::time::Instant::now();
        for _ in 0..n {
            let rec = render(&Call {
                time: OffsetDateTime::now_utc(),
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
            });
            if std::env::var_os("AUDIT_TIMING_RECORD").is_some() {
                trail.record(rec);
            } else {
                std::hint::black_box(&rec);
            }
        }
        eprintln!(
            "render (+ record with AUDIT_TIMING_RECORD=1): {:?} per record",
            t.elapsed() / n
        );
    }
}
