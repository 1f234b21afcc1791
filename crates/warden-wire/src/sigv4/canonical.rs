//! The canonical request of SigV4, byte for byte as AWS specifies it: the
//! generic rules (IAM, STS, Organizations, warden's authorization API) and
//! S3's exception for the canonical URI ([`UriRule`]).

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use super::HttpRequestParts;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// RFC 3986 unreserved characters: the only bytes SigV4 leaves unencoded.
#[inline]
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Appends `input` percent-encoded the AWS way (upper-case hex, everything but
/// unreserved bytes encoded, so `/`, `+`, `=` and `%` are encoded too).
pub(crate) fn uri_encode_into(out: &mut Vec<u8>, input: &[u8]) {
    for &b in input {
        if is_unreserved(b) {
            out.push(b);
        } else {
            out.push(b'%');
            out.push(HEX_UPPER[usize::from(b >> 4)]);
            out.push(HEX_UPPER[usize::from(b & 0x0f)]);
        }
    }
}

/// How the canonical URI is formed from the path as sent. AWS's generic
/// rule normalizes and encodes the path again; S3 signs the path exactly as
/// sent, so that keys such as `a//b` or `x/../y` stay distinct objects
/// (botocore's `S3SigV4Auth._normalize_url_path` returns the path unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriRule {
    /// Every service but S3: dot segments and empty segments removed, each
    /// segment URI-encoded once more.
    Normalized,
    /// S3: the raw path as received, byte for byte (`/` when empty).
    AsSent,
}

impl UriRule {
    /// The rule of the service named in the credential scope. The scope
    /// decides because it is what the signer signed for: a request signed for
    /// `s3` was canonicalized by S3's rule whatever endpoint received it.
    #[must_use]
    pub fn for_service(service: &str) -> UriRule {
        if service == "s3" {
            UriRule::AsSent
        } else {
            UriRule::Normalized
        }
    }
}

/// The canonical URI of `raw_path` under `rule`.
pub(crate) fn canonical_uri_with(out: &mut Vec<u8>, raw_path: &str, rule: UriRule) {
    match rule {
        UriRule::Normalized => canonical_uri_into(out, raw_path),
        UriRule::AsSent if raw_path.is_empty() => out.push(b'/'),
        UriRule::AsSent => out.extend_from_slice(raw_path.as_bytes()),
    }
}

/// The canonical URI for non-S3 services.
///
/// The path is normalized (empty, `.` and `..` segments removed, a trailing
/// slash kept), then each segment is URI-encoded once. The raw path as sent on
/// the wire is already percent-encoded by the client, so encoding it once more
/// is AWS's "double encoding" for non-S3 services: the SDKs (botocore,
/// aws-sdk-rust with `PercentEncodingMode::Double`) sign exactly this form.
pub(crate) fn canonical_uri_into(out: &mut Vec<u8>, raw_path: &str) {
    // Fast path: IAM and STS always use `/`.
    if raw_path == "/" || raw_path.is_empty() {
        out.push(b'/');
        return;
    }
    let mut segments: Vec<&str> = Vec::new();
    for seg in raw_path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    out.push(b'/');
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        uri_encode_into(out, seg.as_bytes());
    }
    if raw_path.ends_with('/') && !segments.is_empty() {
        out.push(b'/');
    }
}

/// The query's `name=value` pairs, both percent-decoded (`+` stays a
/// literal plus; a piece without `=` has an empty value; empty pieces are
/// skipped). The one decoding of the query: the canonical query (what the
/// signature covers) and the presigned auth parameters (what the expiry and
/// credential checks read) both come from it, so a parameter cannot mean
/// one thing to the signature and another to the checks (`X-Amz-%45xpires`
/// is `X-Amz-Expires` to both). A piece without escapes is borrowed, not copied.
pub(crate) fn query_pairs(
    raw_query: &str,
) -> impl Iterator<Item = (Cow<'_, [u8]>, Cow<'_, [u8]>)> + '_ {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = match piece.find('=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, ""),
            };
            (
                Cow::from(percent_encoding::percent_decode_str(name)),
                Cow::from(percent_encoding::percent_decode_str(value)),
            )
        })
}

/// The canonical query string.
///
/// Each `name=value` pair is percent-decoded (`+` stays a literal plus, as the
/// AWS suite's `get-query-plus` case requires), re-encoded the AWS way, and the
/// pairs are sorted by encoded name, then by encoded value. A pair without `=`
/// gets an empty value. `skip` names a parameter left out (the presigned
/// `X-Amz-Signature`).
pub(crate) fn canonical_query_into(out: &mut Vec<u8>, raw_query: &str, skip: Option<&str>) {
    if raw_query.is_empty() {
        return;
    }
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for (name_dec, value_dec) in query_pairs(raw_query) {
        if let Some(skip) = skip {
            if *name_dec == *skip.as_bytes() {
                continue;
            }
        }
        let mut n = Vec::with_capacity(name_dec.len() + 8);
        uri_encode_into(&mut n, &name_dec);
        let mut v = Vec::with_capacity(value_dec.len() + 8);
        uri_encode_into(&mut v, &value_dec);
        pairs.push((n, v));
    }
    pairs.sort_unstable();
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(n);
        out.push(b'=');
        out.extend_from_slice(v);
    }
}

/// Appends one header value trimmed, with runs of spaces and tabs folded to
/// one space (AWS's "Trimall").
fn trimmed_value_into(out: &mut Vec<u8>, value: &[u8]) {
    let is_ws = |b: &u8| matches!(*b, b' ' | b'\t' | b'\r' | b'\n');
    let start = value.iter().position(|b| !is_ws(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |e| e + 1);
    let mut in_ws = false;
    for b in &value[start..end] {
        if is_ws(b) {
            if !in_ws {
                out.push(b' ');
            }
            in_ws = true;
        } else {
            out.push(*b);
            in_ws = false;
        }
    }
}

/// Builds the full canonical request into `out`.
///
/// `signed_headers` are lower-case names in the order the client listed them;
/// the header block and the signed-headers line use that order, as the client
/// computed its signature from it. Values of repeated headers are joined with
/// commas in the order received.
pub(crate) fn canonical_request_into(
    out: &mut Vec<u8>,
    req: &HttpRequestParts<'_>,
    signed_headers: &[String],
    query_skip: Option<&str>,
    payload_hash_hex: &[u8],
    uri_rule: UriRule,
) {
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    canonical_uri_with(out, req.raw_path, uri_rule);
    out.push(b'\n');
    canonical_query_into(out, req.raw_query, query_skip);
    out.push(b'\n');
    for name in signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut first = true;
        for (hname, hvalue) in req.headers {
            if hname.eq_ignore_ascii_case(name) {
                if !first {
                    out.push(b',');
                }
                trimmed_value_into(out, hvalue);
                first = false;
            }
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(payload_hash_hex);
}

/// Lower-case hex SHA-256, as the canonical request and string to sign use.
pub(crate) fn sha256_hex(data: &[u8]) -> [u8; 64] {
    let digest = Sha256::digest(data);
    let mut out = [0u8; 64];
    // hex::encode_to_slice only fails on a wrong output length, which is fixed here.
    let _ = hex::encode_to_slice(digest, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(p: &str) -> String {
        let mut v = Vec::new();
        canonical_uri_into(&mut v, p);
        String::from_utf8(v).unwrap_or_default()
    }

    fn query(q: &str) -> String {
        let mut v = Vec::new();
        canonical_query_into(&mut v, q, None);
        String::from_utf8(v).unwrap_or_default()
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(uri(""), "/");
        assert_eq!(uri("/"), "/");
        assert_eq!(uri("//"), "/");
        assert_eq!(uri("/./"), "/");
        assert_eq!(uri("/example/.."), "/");
        assert_eq!(uri("/a/b/../.."), "/");
        assert_eq!(uri("//example//"), "/example/");
        assert_eq!(uri("/./example"), "/example");
        assert_eq!(uri("/../x"), "/x");
        assert_eq!(uri("/example space/"), "/example%20space/");
        // Already-encoded wire path is encoded again for non-S3 services.
        assert_eq!(uri("/%E1%88%B4"), "/%25E1%2588%25B4");
    }

    fn s3_uri(p: &str) -> String {
        let mut v = Vec::new();
        canonical_uri_with(&mut v, p, UriRule::for_service("s3"));
        String::from_utf8(v).unwrap_or_default()
    }

    #[test]
    fn s3_signs_the_path_as_sent() {
        // S3 keys with empty and dot segments are distinct objects: nothing is removed.
        assert_eq!(s3_uri("/b/a//x"), "/b/a//x");
        assert_eq!(s3_uri("/b/x/."), "/b/x/.");
        assert_eq!(s3_uri("/b/bar/../foo.txt"), "/b/bar/../foo.txt");
        // Encoded once by the client, not again: `%2F` inside a key stays `%2F`.
        assert_eq!(s3_uri("/b/a%2Fb%20c"), "/b/a%2Fb%20c");
        assert_eq!(s3_uri(""), "/");
        // The same paths under the generic rule, for contrast.
        assert_eq!(uri("/b/a//x"), "/b/a/x");
        assert_eq!(uri("/b/a%2Fb%20c"), "/b/a%252Fb%2520c");
    }

    #[test]
    fn the_scope_service_chooses_the_rule() {
        assert_eq!(UriRule::for_service("s3"), UriRule::AsSent);
        for service in [
            "iam",
            "sts",
            "organizations",
            "warden",
            "s3-object-lambda",
            "S3",
        ] {
            assert_eq!(
                UriRule::for_service(service),
                UriRule::Normalized,
                "{service}"
            );
        }
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(query("b=2&a=1&A=0"), "A=0&a=1&b=2");
        assert_eq!(query("c+d"), "c%2Bd=");
        assert_eq!(query("a=x%20y&a=b"), "a=b&a=x%20y");
        assert_eq!(query("k=%2F%3d"), "k=%2F%3D");
        assert_eq!(query("&&x=1&"), "x=1");
        assert_eq!(
            query("Action=ListUsers&Version=2010-05-08"),
            "Action=ListUsers&Version=2010-05-08"
        );
    }

    #[test]
    fn trims_and_folds() {
        let mut v = Vec::new();
        trimmed_value_into(&mut v, b"  \"a   b \t c\"  ");
        assert_eq!(v, b"\"a b c\"");
    }
}
