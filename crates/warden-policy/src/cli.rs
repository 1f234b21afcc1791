//! The logic of `warden policy validate` and `warden policy evaluate`. The `warden` binary only parses flags
//! and opens files; everything else is here, so it is testable without a process.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, Write};
use std::sync::Arc;

use crate::json::write_str;
use crate::request::{parse_request, BadRequest, Slot, PRINCIPAL_FORMS};
use crate::{
    evaluate, validate, EvalOptions, NamedPolicy, Policy, PolicySet, PolicyType, Principal,
    RequestContext, Severity, StatementRef,
};

/// Options of `warden policy validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidateArgs {
    /// `--type` (default `identity`).
    pub policy_type: PolicyType,
    /// `--json`: print a JSON array instead of text.
    pub json: bool,
}

impl Default for ValidateArgs {
    fn default() -> Self {
        ValidateArgs {
            policy_type: PolicyType::Identity,
            json: false,
        }
    }
}

/// What can go wrong running a subcommand (bad input is reported in the output instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// Reading the input or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// `warden policy validate`: prints the findings for `input` and returns the exit code: 1 when there is an
/// ERROR finding, else 0.
pub fn run_validate(
    args: ValidateArgs,
    input: &str,
    out: &mut impl Write,
) -> Result<i32, CliError> {
    let report = validate(input, args.policy_type);
    if args.json {
        let mut s = String::from("[");
        for (i, f) in report.findings.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str("{\"findingType\":");
            write_str(&mut s, f.severity.as_str());
            s.push_str(",\"issueCode\":");
            write_str(&mut s, f.code);
            s.push_str(",\"findingDetails\":");
            write_str(&mut s, &f.message);
            s.push_str(",\"path\":");
            write_str(&mut s, &f.path);
            s.push_str(&format!(
                ",\"location\":{{\"line\":{},\"column\":{},\"offset\":{}}}}}",
                f.location.line, f.location.column, f.location.offset
            ));
        }
        s.push_str("]\n");
        out.write_all(s.as_bytes())?;
    } else {
        // First the answer IAM gives when the document is saved (the server gives the same), then findings.
        match &report.error {
            Some(e) => writeln!(
                out,
                "IAM answer: {}: {}",
                e.aws_error_code(),
                e.aws_message(args.policy_type)
            )?,
            None => writeln!(out, "IAM answer: accepted")?,
        }
        if report.findings.is_empty() {
            writeln!(out, "No findings.")?;
        }
        for f in &report.findings {
            let at = if f.location.line == 0 {
                String::new()
            } else {
                format!(" at {}", f.location)
            };
            let path = if f.path.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.path)
            };
            writeln!(
                out,
                "{} {}{at}{path}: {}",
                f.severity.as_str(),
                f.code,
                f.message
            )?;
        }
    }
    Ok(i32::from(
        report
            .findings
            .iter()
            .any(|f| f.severity == Severity::Error),
    ))
}

/// Compiled policies by their exact text, so a batch that repeats policies compiles each once.
#[derive(Debug, Default)]
pub struct PolicyCache {
    map: HashMap<String, Compiled, BuildHasherDefault<WordHasher>>,
    /// The text last seen at each slot of a request, and its compilation: lines of a batch usually repeat
    /// the same policies in the same places.
    slots: HashMap<Slot, (Box<str>, Compiled)>,
    name: Arc<str>,
}

/// A compiled policy, or why it did not compile.
type Compiled = Result<Arc<Policy>, String>;

/// A multiply-rotate hasher that takes 8 bytes per step. Keys are whole policy texts (kilobytes per request
/// line), where SipHash was a large share of the batch evaluator's time; HashDoS is not a concern for a local
/// CLI cache bounded by `CACHE_LIMIT`, and lookups still compare the full text.
#[derive(Debug, Default, Clone, Copy)]
pub struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(tail) ^ ((bytes.len() as u64) << 56));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl WordHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// Past this many distinct texts the cache starts over, bounding memory on adversarial input.
const CACHE_LIMIT: usize = 10_000;

impl PolicyCache {
    /// An empty cache.
    pub fn new() -> PolicyCache {
        PolicyCache::default()
    }

    /// The text last seen at `slot`.
    fn hint(&self, slot: Slot) -> Option<&str> {
        self.slots.get(&slot).map(|(t, _)| &**t)
    }

    /// The compiled policy for a policy's source text (object or string), or the parse error's text. The name
    /// is a shared empty string: the CLI reports request paths (`identityPolicies[0]`) instead, built only for
    /// matched statements, so a cached policy costs no allocation per line.
    fn get(&mut self, slot: Slot, text: &str) -> Result<NamedPolicy, String> {
        let compiled = match self.slots.get(&slot) {
            Some((last, c)) if **last == *text => c.clone(),
            _ => {
                let c = match self.map.get(text) {
                    Some(c) => c.clone(),
                    None => {
                        let c = Policy::parse(text).map(Arc::new).map_err(|e| e.to_string());
                        if self.map.len() >= CACHE_LIMIT {
                            self.map.clear();
                        }
                        self.map.insert(text.to_string(), c.clone());
                        c
                    }
                };
                if self.slots.len() >= CACHE_LIMIT {
                    self.slots.clear();
                }
                self.slots.insert(slot, (text.into(), c.clone()));
                c
            }
        };
        compiled.map(|policy| NamedPolicy {
            name: self.name.clone(),
            policy,
        })
    }
}

/// Where a matched statement's policy sits in the request, e.g. `serviceControlPolicies[1][0]`.
fn request_path(m: &StatementRef) -> String {
    match m.policy_type {
        PolicyType::Identity | PolicyType::Managed => format!("identityPolicies[{}]", m.policy),
        PolicyType::Resource | PolicyType::Trust => "resourcePolicy".to_string(),
        PolicyType::Boundary => "permissionsBoundary".to_string(),
        PolicyType::Session => "sessionPolicy".to_string(),
        PolicyType::Scp => format!("serviceControlPolicies[{}][{}]", m.level, m.policy),
        PolicyType::Rcp => format!("resourceControlPolicies[{}][{}]", m.level, m.policy),
    }
}

/// A policy of the request that does not compile.
fn invalid_policy(field: impl Into<String>, error: &str) -> BadRequest {
    BadRequest::field(field, format!("invalid policy: {error}"))
}

/// `warden policy evaluate`: reads one JSON request (or, with `batch`, JSON Lines) and writes one JSON result
/// per request, in order. A malformed request gets `{"error": "..."}` and a batch goes on. Exit code: 0, or 1
/// when the single request was malformed.
pub fn run_evaluate(
    mut input: impl BufRead,
    batch: bool,
    out: &mut impl Write,
) -> Result<i32, CliError> {
    let mut cache = PolicyCache::new();
    let mut line = String::new();
    let mut result = String::new();
    if !batch {
        input.read_to_string(&mut line)?;
        let ok = evaluate_line(&line, &mut cache, &mut result);
        result.push('\n');
        out.write_all(result.as_bytes())?;
        return Ok(i32::from(!ok));
    }
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        result.clear();
        evaluate_line(&line, &mut cache, &mut result);
        buf.extend_from_slice(result.as_bytes());
        buf.push(b'\n');
        if buf.len() >= 60 * 1024 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(0)
}

/// Evaluates one request text into `out` (a JSON object). Returns false when the request was malformed.
pub fn evaluate_line(text: &str, cache: &mut PolicyCache, out: &mut String) -> bool {
    match evaluate_request(text, cache, out) {
        Ok(()) => true,
        Err(e) => {
            out.clear();
            out.push_str("{\"error\":");
            write_str(out, &e.to_string());
            out.push('}');
            false
        }
    }
}

fn evaluate_request(
    text: &str,
    cache: &mut PolicyCache,
    out: &mut String,
) -> Result<(), BadRequest> {
    let req = parse_request(text, &|slot| cache.hint(slot))?;
    let principal = Principal::parse(&req.principal)
        .map_err(|e| BadRequest::field("principal", format!("{e} (expected {PRINCIPAL_FORMS})")))?;
    let mut ctx = RequestContext::new(principal, &req.action, &req.resource)
        .map_err(|e| BadRequest::field("action", e.to_string()))?;
    if let Some(a) = &req.resource_account {
        ctx.set_resource_account(a);
    }
    for (k, v) in req.context {
        ctx.insert(&k, v);
    }
    let identity = req
        .identity
        .iter()
        .enumerate()
        .map(|(i, t)| {
            cache
                .get(Slot::Identity(i), t)
                .map_err(|e| invalid_policy(format!("identityPolicies[{i}]"), &e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut one = |text: Option<&str>, slot: Slot, what: &str| {
        text.map(|t| cache.get(slot, t).map_err(|e| invalid_policy(what, &e)))
            .transpose()
    };
    let resource = one(req.resource_policy, Slot::Resource, "resourcePolicy")?;
    let boundary = one(req.boundary, Slot::Boundary, "permissionsBoundary")?;
    let session: Vec<NamedPolicy> = one(req.session, Slot::Session, "sessionPolicy")?
        .into_iter()
        .collect();
    let mut levels = |ls: &[Vec<&str>], slot: fn(usize, usize) -> Slot, what: &str| {
        ls.iter()
            .enumerate()
            .map(|(l, ps)| {
                ps.iter()
                    .enumerate()
                    .map(|(i, t)| {
                        cache
                            .get(slot(l, i), t)
                            .map_err(|e| invalid_policy(format!("{what}[{l}][{i}]"), &e))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let scps = levels(&req.scps, Slot::Scp, "serviceControlPolicies")?;
    let rcps = levels(&req.rcps, Slot::Rcp, "resourceControlPolicies")?;
    let set = PolicySet {
        identity: &identity,
        resource: resource.as_ref(),
        boundary: boundary.as_ref(),
        session: session.as_slice(),
        scope_down: &[],
        scp_levels: &scps,
        rcp_levels: &rcps,
    };
    let opts = EvalOptions {
        principal_account_is_management: req.principal_account_is_management,
        resource_account_is_management: req.resource_account_is_management,
        require_resource_policy_allow: req.require_resource_policy_allow,
        trust_and_key_policies_optional: false,
    };
    let d = evaluate(&ctx, &set, &opts);
    out.push_str("{\"decision\":\"");
    out.push_str(d.kind.as_str());
    out.push_str("\",\"decidedBy\":");
    match d.decided_by {
        Some(t) => write_str(out, t.as_str()),
        None => out.push_str("null"),
    }
    out.push_str(",\"matched\":[");
    for (i, m) in d.matched().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"policyType\":");
        write_str(out, m.policy_type.as_str());
        if matches!(m.policy_type, PolicyType::Scp | PolicyType::Rcp) {
            out.push_str(&format!(",\"level\":{}", m.level));
        }
        out.push_str(&format!(",\"policyIndex\":{},\"policyName\":", m.policy));
        write_str(out, &request_path(m));
        out.push_str(&format!(",\"statementIndex\":{},\"sid\":", m.statement));
        match set.sid(m) {
            Some(sid) => write_str(out, sid),
            None => out.push_str("null"),
        }
        out.push_str(",\"effect\":");
        write_str(out, m.effect.as_str());
        out.push('}');
    }
    out.push(']');
    if let Some(reason) = d.denial_reason(ctx.action()) {
        out.push_str(",\"reason\":");
        write_str(out, &reason);
    }
    if let Some(note) = d.exemption() {
        out.push_str(",\"note\":");
        write_str(out, note);
    }
    out.push('}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(batch: bool, input: &str) -> (i32, String) {
        let mut out = Vec::new();
        let code = run_evaluate(input.as_bytes(), batch, &mut out).unwrap();
        (code, String::from_utf8(out).unwrap())
    }

    #[test]
    fn evaluate_single_and_batch() {
        let req = r#"{"principal":"arn:aws:iam::111122223333:user/alice","action":"iam:CreateUser","resource":"arn:aws:iam::111122223333:user/bob","identityPolicies":[{"Version":"2012-10-17","Statement":{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}}]}"#;
        let (code, out) = eval(false, req);
        assert_eq!(code, 0);
        assert_eq!(
            out,
            "{\"decision\":\"ImplicitDeny\",\"decidedBy\":\"identity\",\"matched\":[],\"reason\":\"because no identity-based policy allows the iam:CreateUser action\"}\n"
        );
        let allow = req.replace("iam:CreateUser", "s3:GetObject");
        let (_, out) = eval(true, &format!("{allow}\nnot json\n\n{req}\n"));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("{\"decision\":\"Allow\",\"decidedBy\":\"identity\",\"matched\":[{\"policyType\":\"identity\",\"policyIndex\":0,\"policyName\":\"identityPolicies[0]\",\"statementIndex\":0,\"sid\":\"S3\""), "{}", lines[0]);
        assert!(lines[1].starts_with("{\"error\":"));
        assert!(lines[2].contains("ImplicitDeny"));
        let (code, out) = eval(false, "{}");
        assert_eq!(code, 1);
        assert!(out.starts_with("{\"error\":"));
    }

    /// The error of a single malformed request, with the exit code checked.
    fn error_of(request: &str) -> String {
        let (code, out) = eval(false, request);
        assert_eq!(code, 1, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{out}");
        v["error"].as_str().unwrap().to_string()
    }

    #[test]
    fn errors_after_parsing_name_the_field() {
        let req = |principal: &str, action: &str, rest: &str| {
            format!(r#"{{"principal":"{principal}","action":"{action}","resource":"*"{rest}}}"#)
        };
        let alice = "arn:aws:iam::111122223333:user/alice";
        assert_eq!(
            error_of(&req("alice", "s3:GetObject", "")),
            "field \"principal\": unrecognised principal \"alice\" (expected an IAM user, role or root ARN, an \
             assumed-role or federated-user session ARN, a 12-digit account ID, a service principal such as \
             ec2.amazonaws.com, a SAML or OIDC provider ARN, a web-identity provider such as accounts.google.com, \
             or anonymous)"
        );
        assert_eq!(
            error_of(&req(alice, "GetObject", "")),
            "field \"action\": action \"GetObject\" must look like service:Action"
        );
        let e = error_of(&req(
            alice,
            "s3:GetObject",
            r#","identityPolicies":[{"Statement":[]}]"#,
        ));
        assert!(
            e.starts_with("field \"identityPolicies[0]\": invalid policy: "),
            "{e}"
        );
        let e = error_of(&req(
            alice,
            "s3:GetObject",
            r#","permissionsBoundary":"not json""#,
        ));
        assert!(
            e.starts_with("field \"permissionsBoundary\": invalid policy: invalid JSON"),
            "{e}"
        );
        let e = error_of(&req(
            alice,
            "s3:GetObject",
            r#","serviceControlPolicies":[[{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}],[{"Statement":7}]]"#,
        ));
        assert!(
            e.starts_with("field \"serviceControlPolicies[1][0]\": invalid policy: "),
            "{e}"
        );
        assert_eq!(
            error_of(r#"{"principal":"anonymous","resource":"*"}"#),
            "missing field \"action\""
        );
        // The same errors in a batch: one line each, and the batch goes on.
        let (code, out) = eval(
            true,
            &format!(
                "{}\n{}\n",
                req("alice", "s3:GetObject", ""),
                req(alice, "s3:GetObject", "")
            ),
        );
        assert_eq!(code, 0);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with(r#"{"error":"field \"principal\": unrecognised principal"#),
            "{out}"
        );
        assert!(
            lines[1].starts_with(r#"{"decision":"ImplicitDeny""#),
            "{out}"
        );
    }

    #[test]
    fn batch_slots_follow_changing_policies() {
        let line = |policy: &str| {
            format!(
                r#"{{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"*","identityPolicies":[{policy}]}}"#
            )
        };
        let allow = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        let deny = r#"{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#;
        let bad = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}}"#;
        let input = [line(allow), line(deny), line(allow), line(bad), line(allow)].join("\n");
        let (_, out) = eval(true, &input);
        let got: Vec<&str> = out
            .lines()
            .map(|l| {
                l.split('"')
                    .nth(if l.starts_with("{\"error") { 1 } else { 3 })
                    .unwrap_or("?")
            })
            .collect();
        assert_eq!(
            got,
            ["Allow", "ExplicitDeny", "Allow", "error", "Allow"],
            "{out}"
        );
    }

    #[test]
    fn validate_output() {
        let mut out = Vec::new();
        let code = run_validate(
            ValidateArgs::default(),
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            &mut out,
        )
        .unwrap();
        assert_eq!(code, 0);
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("IAM answer: accepted\nWARNING MISSING_VERSION"));
        // The first line is IAM's answer, the server's exactly: managed policies need the current Version.
        let mut out = Vec::new();
        let args = ValidateArgs {
            policy_type: PolicyType::Managed,
            json: false,
        };
        let code = run_validate(
            args,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            &mut out,
        )
        .unwrap();
        assert_eq!(code, 1);
        assert!(String::from_utf8(out).unwrap().starts_with(
            "IAM answer: MalformedPolicyDocument: Policy document must be version 2012-10-17 or greater.\n"
        ));
        let mut out = Vec::new();
        let args = ValidateArgs {
            policy_type: PolicyType::Identity,
            json: true,
        };
        let code = run_validate(args, r#"{"Statement":{"Effect":"Allow"}}"#, &mut out).unwrap();
        assert_eq!(code, 1);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["issueCode"], "MISSING_ACTION");
        assert_eq!(v[0]["findingType"], "ERROR");
    }
}
