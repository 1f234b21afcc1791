//! Parsing of the SigV4 `Authorization` header and presigned query parameters,
//! plus the checks that need no secret (scope shape, dates, skew, expiry).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::error::SigV4Error;
use super::HttpRequestParts;

/// The only algorithm we verify.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// AWS accepts requests within 15 minutes of its clock, either way.
pub const MAX_CLOCK_SKEW: time::Duration = time::Duration::minutes(15);

/// Longest `X-Amz-Expires` AWS accepts (seven days).
pub const MAX_PRESIGNED_EXPIRES_SECS: u32 = 604_800;

/// Where the signature came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`
    Header,
    /// `X-Amz-Algorithm=...&X-Amz-Credential=...&X-Amz-Signature=...` in the query string.
    Presigned,
}

/// `AKID/YYYYMMDD/region/service/aws4_request`, split up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// `YYYYMMDD`.
    pub date: String,
    /// e.g. `us-east-1`.
    pub region: String,
    /// e.g. `iam`, `sts`, `organizations`.
    pub service: String,
}

/// Everything read from the request's auth data, before the secret is known.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    /// Header or presigned query.
    pub kind: AuthKind,
    /// The access key id from the credential (`AKIA...`, `ASIA...`).
    pub access_key_id: String,
    /// Date, region and service of the credential scope.
    pub scope: CredentialScope,
    /// Signed header names, lower-case, in the order the client gave them.
    pub signed_headers: Vec<String>,
    /// `X-Amz-Security-Token` (header or query), for temporary credentials.
    pub security_token: Option<String>,
    /// The request time from `X-Amz-Date` (or `Date`).
    pub request_time: OffsetDateTime,
    /// `X-Amz-Expires` of a presigned request.
    pub expires_secs: Option<u32>,
    /// The signature the client sent, decoded from hex.
    pub(crate) signature: [u8; 32],
}

impl std::fmt::Debug for ParsedAuth {
    // The session token is a bearer credential: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("kind", &self.kind)
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("signed_headers", &self.signed_headers)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("request_time", &self.request_time)
            .field("expires_secs", &self.expires_secs)
            .finish_non_exhaustive()
    }
}

impl ParsedAuth {
    /// Checks the scope's region and service against what this endpoint
    /// serves, with AWS's messages (both are `SignatureDoesNotMatch`, 403).
    /// `region` is `None` to accept any region (IAM is global).
    pub fn check_scope(&self, region: Option<&str>, service: &str) -> Result<(), SigV4Error> {
        if let Some(region) = region {
            if self.scope.region != region {
                return Err(SigV4Error::ScopeMismatch(format!(
                    "Credential should be scoped to a valid region, not '{}'. ",
                    self.scope.region
                )));
            }
        }
        if self.scope.service != service {
            return Err(SigV4Error::ScopeMismatch(format!(
                "Credential should be scoped to correct service: '{service}'. "
            )));
        }
        Ok(())
    }
}

fn header<'a>(req: &'a HttpRequestParts<'_>, name: &str) -> Option<&'a [u8]> {
    req.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// Parses `YYYYMMDD'T'HHMMSS'Z'` (ISO 8601 basic, as `X-Amz-Date`).
pub fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut v = 0u32;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let day = u8::try_from(num(6..8)?).ok()?;
    let hour = u8::try_from(num(9..11)?).ok()?;
    let minute = u8::try_from(num(11..13)?).ok()?;
    let second = u8::try_from(num(13..15)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Parses an HTTP `Date` header (IMF-fixdate, `Sun, 30 Aug 2015 12:36:00 GMT`).
fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    if parts.len() != 6 || parts[5] != "GMT" {
        return None;
    }
    let day: u8 = parts[1].parse().ok()?;
    let month = match parts[2] {
        "Jan" => Month::January,
        "Feb" => Month::February,
        "Mar" => Month::March,
        "Apr" => Month::April,
        "May" => Month::May,
        "Jun" => Month::June,
        "Jul" => Month::July,
        "Aug" => Month::August,
        "Sep" => Month::September,
        "Oct" => Month::October,
        "Nov" => Month::November,
        "Dec" => Month::December,
        _ => return None,
    };
    let year: i32 = parts[3].parse().ok()?;
    let hms: Vec<&str> = parts[4].split(':').collect();
    if hms.len() != 3 {
        return None;
    }
    let time = Time::from_hms(
        hms[0].parse().ok()?,
        hms[1].parse().ok()?,
        hms[2].parse().ok()?,
    )
    .ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// `YYYYMMDD'T'HHMMSS'Z'` as bytes, without allocating (hot path).
pub(crate) fn amz_date_bytes(t: OffsetDateTime) -> [u8; 16] {
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut out = *b"00000000T000000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for k in (0..width).rev() {
            out[at + k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    // Years outside 0..=9999 cannot come from parse_amz_date; clamp anyway.
    put(0, 4, u32::try_from(t.year().clamp(0, 9999)).unwrap_or(0));
    put(4, 2, u32::from(u8::from(t.month())));
    put(6, 2, u32::from(t.day()));
    put(9, 2, u32::from(t.hour()));
    put(11, 2, u32::from(t.minute()));
    put(13, 2, u32::from(t.second()));
    out
}

/// Formats a time as `YYYYMMDD'T'HHMMSS'Z'`.
pub fn format_amz_date(t: OffsetDateTime) -> String {
    String::from_utf8_lossy(&amz_date_bytes(t)).into_owned()
}

/// Splits and checks `AKID/date/region/service/aws4_request`.
fn parse_credential(cred: &str) -> Result<(String, CredentialScope), SigV4Error> {
    let parts: Vec<&str> = cred.split('/').collect();
    if parts.len() != 5 {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{cred}'"
        )));
    }
    if parts[4] != "aws4_request" {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
            parts[4]
        )));
    }
    if parts[0].is_empty() || parts[2].is_empty() || parts[3].is_empty() {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{cred}'"
        )));
    }
    let d = parts[1];
    if d.len() != 8 || !d.bytes().all(|c| c.is_ascii_digit()) {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential should be scoped to a valid date, not '{d}'. "
        )));
    }
    Ok((
        parts[0].to_owned(),
        CredentialScope {
            date: d.to_owned(),
            region: parts[2].to_owned(),
            service: parts[3].to_owned(),
        },
    ))
}

fn parse_signed_headers(s: &str) -> Vec<String> {
    s.split(';')
        .filter(|h| !h.is_empty())
        .map(|h| h.trim().to_ascii_lowercase())
        .collect()
}

fn decode_signature(s: &str) -> Result<[u8; 32], SigV4Error> {
    let mut out = [0u8; 32];
    // A signature that is not 64 hex digits can never match: answer as AWS does
    // for any wrong signature.
    hex::decode_to_slice(s.trim(), &mut out).map_err(|_| SigV4Error::SignatureDoesNotMatch)?;
    Ok(out)
}

/// The presigned query parameters, percent-decoded.
#[derive(Default)]
struct PresignParams {
    algorithm: Option<String>,
    credential: Option<String>,
    date: Option<String>,
    expires: Option<String>,
    signed_headers: Option<String>,
    signature: Option<String>,
    security_token: Option<String>,
}

/// The auth parameters of a presigned request, by their decoded names.
const PRESIGN_NAMES: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// Whether a decoded query parameter name is one of presigned SigV4's own
/// (`X-Amz-Signature`, ...), in any letter case: such a parameter is the
/// signature's, never the operation's.
pub fn is_presign_param(name: &str) -> bool {
    PRESIGN_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Reads the presigned auth parameters from the decoded query pairs (the
/// same decoding the canonical query uses). An auth parameter given twice,
/// in any encoding or letter case, is refused: which one counts would be
/// ambiguous, and the signature covers both. AWS documents no Query-API
/// error for this; `IncompleteSignature` (400) is its error for malformed
/// SigV4 data (S3 answers `AuthorizationQueryParametersError`).
fn presign_params(raw_query: &str) -> Result<PresignParams, SigV4Error> {
    let mut p = PresignParams::default();
    if raw_query.is_empty() {
        return Ok(p);
    }
    let mut seen = [0u8; PRESIGN_NAMES.len()];
    for (name, value) in super::canonical::query_pairs(raw_query) {
        let Some(i) = PRESIGN_NAMES
            .iter()
            .position(|n| n.as_bytes().eq_ignore_ascii_case(&name))
        else {
            continue;
        };
        seen[i] = seen[i].saturating_add(1);
        if seen[i] > 1 {
            return Err(SigV4Error::IncompleteSignature(format!(
                "Duplicate query-string parameter '{}'. Re-examine the query-string parameters.",
                PRESIGN_NAMES[i]
            )));
        }
        // Only the exact name is the auth parameter; another letter case
        // is an ordinary (signed) parameter, as before.
        if *name != *PRESIGN_NAMES[i].as_bytes() {
            continue;
        }
        let decoded = String::from_utf8_lossy(&value).into_owned();
        let slot = match i {
            0 => &mut p.algorithm,
            1 => &mut p.credential,
            2 => &mut p.date,
            3 => &mut p.expires,
            4 => &mut p.signed_headers,
            5 => &mut p.signature,
            _ => &mut p.security_token,
        };
        *slot = Some(decoded);
    }
    Ok(p)
}

/// Checks the request time against `now`: ±15 minutes, as IAM and STS do.
fn check_skew(t: OffsetDateTime, now: OffsetDateTime) -> Result<(), SigV4Error> {
    if t < now - MAX_CLOCK_SKEW {
        return Err(SigV4Error::SignatureExpired(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            format_amz_date(t),
            format_amz_date(now - MAX_CLOCK_SKEW),
            format_amz_date(now)
        )));
    }
    if t > now + MAX_CLOCK_SKEW {
        return Err(SigV4Error::SignatureExpired(format!(
            "Signature not yet current: {} is still later than {} ({} + 15 min.)",
            format_amz_date(t),
            format_amz_date(now + MAX_CLOCK_SKEW),
            format_amz_date(now)
        )));
    }
    Ok(())
}

fn check_scope_date(
    scope: &CredentialScope,
    t: OffsetDateTime,
    raw_date: &str,
) -> Result<(), SigV4Error> {
    let full = amz_date_bytes(t);
    let d = &full[..8];
    if scope.date.as_bytes() != d {
        return Err(SigV4Error::ScopeMismatch(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
            scope.date,
            String::from_utf8_lossy(d),
            raw_date
        )));
    }
    Ok(())
}

fn require_host(signed: &[String]) -> Result<(), SigV4Error> {
    if signed.iter().any(|h| h == "host") {
        Ok(())
    } else {
        Err(SigV4Error::SignatureDoesNotMatch)
    }
}

/// Re-runs the time checks of a parsed request (used by `verify`, so a
/// `ParsedAuth` kept across an await cannot outlive its window).
pub(crate) fn check_times(auth: &ParsedAuth, now: OffsetDateTime) -> Result<(), SigV4Error> {
    if let Some(exp) = auth.expires_secs {
        if now > auth.request_time + time::Duration::seconds(i64::from(exp)) {
            return Err(SigV4Error::RequestExpired);
        }
    }
    // S3 honours a presigned URL for its whole X-Amz-Expires, up to 7 days
    // (sigv4-query-string-auth.html); only a date in the future is skew.
    if auth.kind == AuthKind::Presigned && auth.scope.service == "s3" && auth.request_time <= now {
        return Ok(());
    }
    // Other presigned requests too: STS ignores an X-Amz-Expires beyond its 15
    // minute window (aws-sdk-go#2167), so the skew bound applies to both kinds.
    check_skew(auth.request_time, now)
}

/// Reads the auth data of a request and runs every check that needs no
/// secret. See the module docs for the order of checks and the errors.
pub fn parse_auth(
    req: &HttpRequestParts<'_>,
    now: OffsetDateTime,
) -> Result<ParsedAuth, SigV4Error> {
    parse_auth_at(req, Some(now))
}

/// [`parse_auth`] without the request-time checks (skew, presigned expiry),
/// for a server that decides them only once it knows who signed (warden's
/// dev mode skips them for keys it never issued). [`crate::sigv4::verify`]
/// runs them again, so a request verified with a secret is always timed.
pub fn parse_auth_untimed(req: &HttpRequestParts<'_>) -> Result<ParsedAuth, SigV4Error> {
    parse_auth_at(req, None)
}

fn parse_auth_at(
    req: &HttpRequestParts<'_>,
    now: Option<OffsetDateTime>,
) -> Result<ParsedAuth, SigV4Error> {
    let authz = header(req, "authorization");
    let q = presign_params(req.raw_query)?;
    let presigned = q.algorithm.is_some() || q.credential.is_some() || q.signature.is_some();
    match (authz, presigned) {
        (None, false) => Err(SigV4Error::MissingAuthenticationToken),
        (Some(_), true) => Err(SigV4Error::IncompleteSignature(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified".to_owned(),
        )),
        (Some(h), false) => parse_header_auth(req, h, now),
        (None, true) => parse_presigned(req, q, now),
    }
}

fn parse_header_auth(
    req: &HttpRequestParts<'_>,
    raw: &[u8],
    now: Option<OffsetDateTime>,
) -> Result<ParsedAuth, SigV4Error> {
    let value = String::from_utf8_lossy(raw);
    let value = value.trim();
    let (algorithm, rest) = match value.find(' ') {
        Some(i) => (&value[..i], value[i + 1..].trim_start()),
        None => (value, ""),
    };
    if algorithm != ALGORITHM {
        if algorithm.starts_with("AWS4-") || algorithm == "AWS3" || algorithm.starts_with("AWS ") {
            return Err(SigV4Error::IncompleteSignature(format!(
                "Unsupported AWS 'algorithm': '{algorithm}'"
            )));
        }
        return Err(SigV4Error::IncompleteSignature(format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={value}"
        )));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some(eq) = part.find('=') else {
            return Err(SigV4Error::IncompleteSignature(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{value}'."
            )));
        };
        let (k, v) = (part[..eq].trim(), part[eq + 1..].trim());
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            // AWS ignores unknown components.
            _ => {}
        }
    }
    let date_header = header(req, "x-amz-date")
        .map(|d| (String::from_utf8_lossy(d).trim().to_owned(), true))
        .or_else(|| {
            header(req, "date").map(|d| (String::from_utf8_lossy(d).trim().to_owned(), false))
        });

    let mut missing = String::new();
    if credential.is_none() {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed_headers.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if date_header.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some((raw_date, is_amz))) =
        (credential, signed_headers, signature, date_header)
    else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "{missing}Authorization={value}"
        )));
    };

    let (access_key_id, scope) = parse_credential(credential)?;
    let request_time = if is_amz {
        parse_amz_date(&raw_date)
    } else {
        parse_http_date(&raw_date)
    }
    .ok_or_else(|| {
        SigV4Error::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{raw_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })?;
    let signed_headers = parse_signed_headers(signed_headers);
    let signature = decode_signature(signature)?;
    let security_token =
        header(req, "x-amz-security-token").map(|t| String::from_utf8_lossy(t).trim().to_owned());

    let auth = ParsedAuth {
        kind: AuthKind::Header,
        access_key_id,
        scope,
        signed_headers,
        security_token,
        request_time,
        expires_secs: None,
        signature,
    };
    check_scope_date(&auth.scope, request_time, &raw_date)?;
    if let Some(now) = now {
        check_times(&auth, now)?;
    }
    require_host(&auth.signed_headers)?;
    Ok(auth)
}

fn parse_presigned(
    _req: &HttpRequestParts<'_>,
    q: PresignParams,
    now: Option<OffsetDateTime>,
) -> Result<ParsedAuth, SigV4Error> {
    let mut missing = String::new();
    for (present, name) in [
        (q.algorithm.is_some(), "X-Amz-Algorithm"),
        (q.credential.is_some(), "X-Amz-Credential"),
        (q.signature.is_some(), "X-Amz-Signature"),
        (q.signed_headers.is_some(), "X-Amz-SignedHeaders"),
        (q.date.is_some(), "X-Amz-Date"),
    ] {
        if !present {
            missing.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(raw_date)) = (
        q.algorithm,
        q.credential,
        q.signature,
        q.signed_headers,
        q.date,
    ) else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "{missing}Re-examine the query-string parameters."
        )));
    };
    if algorithm != ALGORITHM {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    let (access_key_id, scope) = parse_credential(&credential)?;
    let request_time = parse_amz_date(&raw_date).ok_or_else(|| {
        SigV4Error::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{raw_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })?;
    // X-Amz-Expires is optional for Query services (STS applies its 15 minute
    // window anyway); when present it must be 1..=604800 seconds.
    let expires_secs = match q.expires {
        None => None,
        Some(e) => match e.parse::<u32>() {
            Ok(v) if (1..=MAX_PRESIGNED_EXPIRES_SECS).contains(&v) => Some(v),
            Ok(_) => {
                return Err(SigV4Error::IncompleteSignature(
                    "X-Amz-Expires must be between 1 and 604800 seconds (seven days).".to_owned(),
                ))
            }
            Err(_) => {
                return Err(SigV4Error::IncompleteSignature(format!(
                    "X-Amz-Expires should be a number, not '{e}'."
                )))
            }
        },
    };
    let auth = ParsedAuth {
        kind: AuthKind::Presigned,
        access_key_id,
        scope,
        signed_headers: parse_signed_headers(&signed_headers),
        security_token: q.security_token,
        request_time,
        expires_secs,
        signature: decode_signature(&signature)?,
    };
    check_scope_date(&auth.scope, request_time, &raw_date)?;
    if let Some(now) = now {
        check_times(&auth, now)?;
    }
    require_host(&auth.signed_headers)?;
    Ok(auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates() {
        let t = parse_amz_date("20150830T123600Z");
        assert!(t.is_some());
        assert_eq!(t.map(format_amz_date).as_deref(), Some("20150830T123600Z"));
        for d in [
            "20001231T235959Z",
            "20240229T000000Z",
            "19700101T000000Z",
            "99991231T235959Z",
        ] {
            assert_eq!(parse_amz_date(d).map(format_amz_date).as_deref(), Some(d));
        }
        assert!(parse_amz_date("20230229T000000Z").is_none());
        assert!(parse_amz_date("20150830T123600").is_none());
        assert!(parse_amz_date("20151330T123600Z").is_none());
        assert!(parse_amz_date("2015083OT123600Z").is_none());
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT")
                .map(format_amz_date)
                .as_deref(),
            Some("20150830T123600Z")
        );
    }

    #[test]
    fn credential_shapes() {
        assert!(parse_credential("AK/20150830/us-east-1/iam/aws4_request").is_ok());
        for bad in [
            "AK/20150830/us-east-1/iam",
            "AK/20150830/us-east-1/iam/aws4_requestx",
            "AK/2015083/us-east-1/iam/aws4_request",
            "/20150830/us-east-1/iam/aws4_request",
            "AK/20150830//iam/aws4_request",
            "AK/20150830/us-east-1/iam/aws4_request/x",
        ] {
            assert!(
                matches!(
                    parse_credential(bad),
                    Err(SigV4Error::IncompleteSignature(_))
                ),
                "{bad}"
            );
        }
    }
}
