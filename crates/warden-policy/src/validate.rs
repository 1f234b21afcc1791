//! Validation per policy type: hard errors (IAM's `MalformedPolicyDocument`) and Access-Analyzer-style
//! findings (`access-analyzer-reference-policy-checks`).
//!
//! The hard rules live in [`hard_rules`] and are used both by [`crate::Policy::parse_as`] (first error) and by
//! [`validate`] (all of them, as ERROR findings).

use crate::condition::{family_allows_vars, BaseOp, Family, Operator, SetQualifier};
use crate::condition::{parse_binary, parse_bool, parse_date, parse_ip, parse_number};
use crate::context::{parse_principal_arn, PrincipalArn};
use crate::document::{
    invalid, missing_resource, parse_collect, Effect, PolicyDocument, PrincipalKey, PrincipalValue,
    Statement, Version,
};
use crate::error::{Location, PolicyError, MSG_LEGACY, MSG_SYNTAX};
use crate::pattern::{
    arn_segments, wildcard_in_resource_type, ArnPattern, ArnVars, NoVars, Pattern, Syntax,
};
use crate::PolicyType;

/// Finding severities, as Access Analyzer names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The policy is broken (a hard error, or something that can never work).
    Error,
    /// The policy grants more than it likely means to.
    SecurityWarning,
    /// Probably a mistake.
    Warning,
    /// Hygiene.
    Suggestion,
}

impl Severity {
    /// `ERROR`, `SECURITY_WARNING`, `WARNING`, `SUGGESTION`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::SecurityWarning => "SECURITY_WARNING",
            Severity::Warning => "WARNING",
            Severity::Suggestion => "SUGGESTION",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// Upper-snake-case code, Access Analyzer's where one exists (e.g. `MISSING_VERSION`).
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// JSON path, e.g. `Statement[0].Condition.StringEquals.aws:username`.
    pub path: String,
    /// Line and column.
    pub location: Location,
}

/// What [`validate`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationReport {
    /// The first hard error: what IAM would reject the document with.
    pub error: Option<PolicyError>,
    /// Every finding, hard errors included (as `ERROR`), in document order within each severity group.
    pub findings: Vec<Finding>,
}

impl ValidationReport {
    /// The `MalformedPolicyDocument` message IAM would give, if the document is rejected.
    pub fn malformed_message(&self, ty: PolicyType) -> Option<String> {
        self.error.as_ref().map(|e| e.aws_message(ty))
    }

    /// True when some finding has severity ERROR.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Validates `text` as a policy of type `ty`.
pub fn validate(text: &str, ty: PolicyType) -> ValidationReport {
    let (doc, errs) = hard_errors(text, ty);
    let mut findings: Vec<Finding> = errs
        .iter()
        .map(|e| Finding {
            severity: Severity::Error,
            code: e.code(),
            message: e.detail(),
            path: e.path().to_string(),
            location: e.location(),
        })
        .collect();
    if let Some(doc) = &doc {
        soft_rules(doc, ty, &mut findings);
        crate::catalogue_findings::catalogue_findings(doc, ty, &mut findings);
    }
    findings.sort_by_key(|f| (f.severity, f.location.offset));
    ValidationReport {
        error: first_in_iam_order(errs),
        findings,
    }
}

/// The parsed document (unless the text is not a JSON object) and every hard error in it, in document order.
pub(crate) fn hard_errors(
    text: &str,
    ty: PolicyType,
) -> (Option<PolicyDocument>, Vec<PolicyError>) {
    let mut errs = Vec::new();
    let doc = parse_collect(text, &mut errs);
    if let Some(doc) = &doc {
        hard_rules(text, doc, ty, &mut errs);
    }
    (doc, errs)
}

/// IAM's checks in the order IAM makes them when a document is saved: the first stage that finds an error
/// decides the answer (within a stage, the first error in the document). Worked out from AWS's recorded
/// CreatePolicy answers (crates/warden-policy/tests/data/iam_create_policy_answers.json, from moto's suite):
/// a missing Version is reported before a wrongly cased Effect, legacy parsing before a missing Action,
/// duplicate Sids before a missing Action, a bad resource ARN before a bad action prefix, a bad action
/// prefix before a missing Resource, a Principal in an identity policy before a missing Resource. Codes not listed (principal and policy-type rules, whose place no
/// recording shows) come after all of these.
const IAM_CHECK_ORDER: &[&[&str]] = &[
    // What the API checks before reading the document.
    &["INVALID_CHARACTER", "POLICY_SIZE_EXCEEDS_QUOTA"],
    // The grammar: "Syntax errors in policy." (trust policies: "This policy contains invalid Json").
    &[
        "JSON_SYNTAX_ERROR",
        "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
        "INVALID_POLICY_ELEMENT",
        "MISSING_STATEMENT",
        "INVALID_VERSION",
        "MISSING_EFFECT",
        "INVALID_EFFECT",
        "UNSUPPORTED_ELEMENT_COMBINATION",
        "INVALID_CONDITION_DATA_TYPE",
        "INVALID_CONDITION_OPERATOR",
    ],
    // Managed policies only: "Policy document must be version 2012-10-17 or greater."
    &["UNSUPPORTED_VERSION"],
    // "The policy failed legacy parsing".
    &[
        "INVALID_EFFECT_CASE",
        "INVALID_DATE_CONDITION_VALUE",
        "INVALID_ARN_FIELDS",
    ],
    &["UNIQUE_SIDS_REQUIRED", "UNSUPPORTED_SID"],
    &["MISSING_ACTION"],
    // Resource ARNs, each with its own message naming the resource.
    &[
        "INVALID_ARN_FORMAT",
        "INVALID_PARTITION",
        "INVALID_ARN_SERVICE",
        "INVALID_ARN_REGION",
        "INVALID_IAM_RESOURCE_PATH",
    ],
    // Action prefixes.
    &[
        "INVALID_ACTION_PREFIX",
        "INVALID_ACTION_COLONS",
        "INVALID_ACTION_VENDOR",
    ],
    // A Principal in an identity policy: a trust policy put as a role's inline policy (no Resource) is
    // answered "Policy document should not specify a principal." (the classic mistake, widely quoted).
    &["UNSUPPORTED_ELEMENT"],
    &["MISSING_RESOURCE"],
];

fn iam_stage(code: &str) -> usize {
    IAM_CHECK_ORDER
        .iter()
        .position(|stage| stage.contains(&code))
        .unwrap_or(IAM_CHECK_ORDER.len())
}

/// The error IAM answers with, of all the hard errors of a document (see [`IAM_CHECK_ORDER`]).
pub(crate) fn first_in_iam_order(errs: Vec<PolicyError>) -> Option<PolicyError> {
    // `min_by_key` keeps the first of equal keys, so document order decides within a stage.
    errs.into_iter().min_by_key(|e| iam_stage(e.code()))
}

fn st_path(i: usize) -> String {
    format!("Statement[{i}]")
}

const MSG_NO_PRINCIPAL: &str = "Policy document should not specify a principal.";
const MSG_SID_UNIQUE: &str = "Statement IDs (SID) in a single policy must be unique.";
const MSG_SID_CHARS: &str = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
const MSG_VENDOR: &str =
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";

/// Rules IAM (or Organizations) enforces when a document is saved.
fn hard_rules(text: &str, doc: &PolicyDocument, ty: PolicyType, errs: &mut Vec<PolicyError>) {
    use PolicyType as T;
    let iam = ty.is_iam();

    // Characters: U+0009, U+000A, U+000D and U+0020-U+00FF only (the IAM API's pattern).
    if let Some((off, ch)) = text
        .char_indices()
        .find(|(_, c)| !matches!(*c, '\t' | '\n' | '\r' | ' '..='\u{ff}'))
    {
        let line = text[..off].matches('\n').count() + 1;
        let col = text[..off]
            .rsplit('\n')
            .next()
            .map_or(0, |l| l.chars().count())
            + 1;
        errs.push(PolicyError::InvalidCharacter {
            ch,
            location: Location {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(col).unwrap_or(u32::MAX),
                offset: u32::try_from(off).unwrap_or(u32::MAX),
            },
        });
    }
    let length = if ty.quota_counts_whitespace() {
        text.chars().count()
    } else {
        text.chars().filter(|c| !c.is_whitespace()).count()
    };
    if length > ty.size_quota() {
        errs.push(PolicyError::TooLarge {
            length,
            limit: ty.size_quota(),
            policy_type: ty,
        });
    }

    if ty == T::Managed && doc.effective_version() != Version::V2012_10_17 {
        errs.push(invalid(
            "UNSUPPORTED_VERSION",
            "Policy document must be version 2012-10-17 or greater.",
            "a managed policy needs \"Version\": \"2012-10-17\"",
            "Version",
            doc.version.as_ref().map_or(Location::default(), |v| v.loc),
        ));
    }
    let mut sids: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (i, s) in doc.statements.iter().enumerate() {
        let path = st_path(i);
        if let Some(sid) = &s.sid {
            if iam && !sid.value.bytes().all(|b| b.is_ascii_alphanumeric()) {
                errs.push(invalid(
                    "UNSUPPORTED_SID",
                    MSG_SID_CHARS,
                    format!("Sid {:?} is not alphanumeric", sid.value),
                    format!("{path}.Sid"),
                    sid.loc,
                ));
            }
            if iam && !sid.value.is_empty() && sids.contains(sid.value.as_str()) {
                errs.push(invalid(
                    "UNIQUE_SIDS_REQUIRED",
                    MSG_SID_UNIQUE,
                    format!("Sid {:?} is used twice", sid.value),
                    format!("{path}.Sid"),
                    sid.loc,
                ));
            }
            sids.insert(&sid.value);
        }
        principal_rules(s, &path, ty, errs);
        // Resource element presence.
        match (&s.resource, ty) {
            (Some(r), T::Trust) => errs.push(invalid(
                "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE",
                "Has prohibited field Resource",
                "a role trust policy must not have Resource or NotResource",
                format!("{path}.Resource"),
                r.loc,
            )),
            (None, T::Identity | T::Managed | T::Boundary | T::Session | T::Scp | T::Rcp) => {
                errs.push(missing_resource(&format!("{path}.Resource"), s.loc));
            }
            _ => {}
        }
        if ty == T::Rcp && s.effect.value == Effect::Allow {
            errs.push(invalid(
                "RCP_SYNTAX_ERROR_ALLOW",
                MSG_SYNTAX,
                "custom resource control policies may only Deny (RCPFullAWSAccess is attached for you)",
                format!("{path}.Effect"),
                s.effect.loc,
            ));
        }
        let action_path = if s.action.negated {
            "NotAction"
        } else {
            "Action"
        };
        for (j, a) in s.action.values.iter().enumerate() {
            if let Some((code, message)) = bad_action(&a.value) {
                errs.push(invalid(
                    code,
                    message,
                    format!("action {:?} is not service:action", a.value),
                    format!("{path}.{action_path}[{j}]"),
                    a.loc,
                ));
            }
            // orgs_manage_policies_scps_syntax: in SCPs a wildcard may stand alone or end the action only.
            let inner_wildcard = a.value.trim_end_matches(['*', '?']).contains(['*', '?']);
            if ty == T::Scp && inner_wildcard {
                errs.push(invalid(
                    "SCP_SYNTAX_ERROR_ACTION_WILDCARD",
                    MSG_SYNTAX,
                    format!("in an SCP a wildcard may only end an action: {:?}", a.value),
                    format!("{path}.{action_path}[{j}]"),
                    a.loc,
                ));
            }
        }
        if let Some(r) = &s.resource {
            let element = if r.negated { "NotResource" } else { "Resource" };
            for (j, v) in r.values.iter().enumerate() {
                let problem = if iam {
                    iam_resource_problem(&v.value)
                } else {
                    other_resource_problem(&v.value)
                };
                if let Some((code, message)) = problem {
                    errs.push(invalid(
                        code,
                        message,
                        format!("resource {:?} is not an ARN IAM accepts", v.value),
                        format!("{path}.{element}[{j}]"),
                        v.loc,
                    ));
                }
            }
        }
        for c in &s.conditions {
            let cpath = format!("{path}.Condition.{}.{}", c.operator.value, c.key.value);
            let Some(op) = Operator::parse(&c.operator.value) else {
                errs.push(invalid(
                    "INVALID_CONDITION_OPERATOR",
                    MSG_SYNTAX,
                    format!("unknown condition operator {:?}", c.operator.value),
                    cpath,
                    c.operator.loc,
                ));
                continue;
            };
            if op.base == BaseOp::Null && op.if_exists {
                errs.push(invalid(
                    "NULL_WITH_IF_EXISTS",
                    MSG_SYNTAX,
                    "the Null operator cannot take IfExists",
                    cpath.clone(),
                    c.operator.loc,
                ));
            }
            if op.base == BaseOp::Null {
                if let Some(v) = c.values.iter().find(|v| parse_bool(&v.value).is_none()) {
                    errs.push(invalid(
                        "INVALID_CONDITION_DATA_TYPE",
                        MSG_SYNTAX,
                        format!("Null takes \"true\" or \"false\", not {:?}", v.value),
                        cpath.clone(),
                        v.loc,
                    ));
                }
            }
            if op.base.family() == Family::Date {
                if let Some(v) = c.values.iter().find(|v| !legacy_date(&v.value)) {
                    errs.push(invalid(
                        "INVALID_DATE_CONDITION_VALUE",
                        MSG_LEGACY,
                        format!("{:?} is not a date IAM can read", v.value),
                        cpath.clone(),
                        v.loc,
                    ));
                }
            }
        }
    }
}

/// Whether to report a wildcard in a Resource entry's type word: only where the entry plainly has a type word
/// (a `/` or `:` follows it) and its service is not one whose resource part starts with a name (S3,
/// execute-api); `arn:aws:sns:*:*:top*` is a topic-name glob, not a type wildcard.
fn type_wildcard_to_report(src: &str) -> bool {
    let segs: Vec<&str> = arn_segments(src).collect();
    let (Some(service), Some(part)) = (segs.get(2), segs.get(5)) else {
        return false;
    };
    wildcard_in_resource_type(src)
        && !matches!(*service, "s3" | "execute-api")
        && !service.contains(['*', '?'])
        && part.contains(['/', ':'])
}

/// What IAM says of an action (or NotAction) value it refuses, checked as IAM checks it (recorded answers:
/// `invalid` and an empty NotAction need a vendor, `s3:List:Bucket` has two colons, `a a:ListBucket` has a
/// vendor with a space). Wildcards may stand in the vendor (Access Analyzer only suggests against it).
fn bad_action(action: &str) -> Option<(&'static str, String)> {
    if action == "*" {
        return None;
    }
    let Some((vendor, _)) = action.split_once(':') else {
        return Some(("INVALID_ACTION_PREFIX", MSG_VENDOR.to_string()));
    };
    if action.matches(':').count() > 1 {
        return Some((
            "INVALID_ACTION_COLONS",
            "Actions/Condition can contain only one colon.".to_string(),
        ));
    }
    if vendor.is_empty() {
        return Some(("INVALID_ACTION_PREFIX", MSG_VENDOR.to_string()));
    }
    let vendor_ok = vendor
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'*' | b'?'));
    (!vendor_ok).then(|| {
        (
            "INVALID_ACTION_VENDOR",
            format!("Vendor {vendor} is not valid"),
        )
    })
}

/// The partitions IAM knows, plus `*`.
const PARTITIONS: &[&str] = &[
    "*",
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The resource types IAM names in its "IAM resource path" message, in its order.
const IAM_RESOURCE_TYPES: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

/// S3 resource types whose ARNs carry a region (the Service Authorization Reference's ARN formats for
/// access points, batch jobs, Storage Lens and Access Grants); other S3 ARNs may not.
const S3_REGIONAL_TYPES: &[&str] = &[
    "accesspoint/",
    "job/",
    "storage-lens/",
    "storage-lens-group/",
    "access-grants/",
    "async-request/",
];

/// What IAM says of a Resource (or NotResource) value it refuses, as its recorded answers show:
/// the ARN format first (each with a message naming the resource), then, for an ARN that is well formed
/// that far, the legacy parser's checks on empty fields.
fn iam_resource_problem(resource: &str) -> Option<(&'static str, String)> {
    if resource == "*" {
        return None;
    }
    // IAM reads `prefix:partition:service:region:account:resource` without checking the prefix.
    let Some((_, rest)) = resource.split_once(':') else {
        return Some((
            "INVALID_ARN_FORMAT",
            format!("Resource {resource} must be in ARN format or \"*\"."),
        ));
    };
    let (partition, after_partition) = match rest.split_once(':') {
        Some((p, a)) => (p, Some(a)),
        None => (rest, None),
    };
    if !PARTITIONS.contains(&partition) {
        return Some((
            "INVALID_PARTITION",
            format!(
                "Partition \"{partition}\" is not valid for resource \"{}\".",
                filled_arn(partition, after_partition.unwrap_or(""))
            ),
        ));
    }
    let Some(after_partition) = after_partition else {
        return Some(("INVALID_ARN_SERVICE", MSG_RESOURCE_VENDOR.to_string()));
    };
    let mut fields = after_partition.splitn(4, ':');
    let service = fields.next().unwrap_or("");
    let region = fields.next().unwrap_or("");
    let _account = fields.next();
    let resource_part = fields.next();
    if service.contains(['*', '?']) {
        return Some(("INVALID_ARN_SERVICE", MSG_RESOURCE_VENDOR.to_string()));
    }
    if !region.is_empty() {
        if service == "iam" {
            return Some((
                "INVALID_ARN_REGION",
                format!("IAM resource {resource} cannot contain region information."),
            ));
        }
        let regional =
            resource_part.is_some_and(|r| S3_REGIONAL_TYPES.iter().any(|t| r.starts_with(t)));
        if service == "s3" && !regional {
            return Some((
                "INVALID_ARN_REGION",
                format!("Resource {resource} can not contain region information."),
            ));
        }
    }
    if service == "iam" {
        if let Some(part) = resource_part {
            // `root` is the root user (`sts:AssumeRoot`'s resource type in the Service Authorization
            // Reference; AWS's own AssumeRoot example policies name `arn:aws:iam::ACCOUNT:root`). The
            // recorded message predates that resource type and does not list it.
            if part != "*"
                && part != "root"
                && !IAM_RESOURCE_TYPES.iter().any(|t| part.starts_with(t))
            {
                return Some((
                    "INVALID_IAM_RESOURCE_PATH",
                    format!(
                        "IAM resource path must either be \"*\" or start with {}.",
                        IAM_RESOURCE_TYPES.join(", ")
                    ),
                ));
            }
        }
    }
    // The legacy parser: an ARN cut short after an empty field (`arn:aws:s3::bucket`, `arn:aws::x`), or
    // one without a service (`arn:aws::::bucket`).
    let colons = resource.matches(':').count();
    if (colons < 5 && resource.contains("::")) || service.is_empty() {
        return Some(("INVALID_ARN_FIELDS", MSG_LEGACY.to_string()));
    }
    None
}

/// The resource as IAM quotes it in its partition message: `arn:` and five fields, `*` for missing ones,
/// the last holding the rest (recorded: `a:b:cadfsdf` is quoted as `arn:b:cadfsdf:*:*:*`).
fn filled_arn(partition: &str, rest: &str) -> String {
    let parts: Vec<&str> = rest.splitn(4, ':').collect();
    let field = |i: usize| -> &str {
        match parts.get(i) {
            Some(p) if !(p.is_empty() && parts.len() == 1) => p,
            _ => "*",
        }
    };
    format!(
        "arn:{partition}:{}:{}:{}:{}",
        field(0),
        field(1),
        field(2),
        field(3)
    )
}

/// Resource checks for policies IAM does not parse (resource policies of other services, SCPs, RCPs):
/// an ARN with six fields or `*`, and no wildcard in the service.
fn other_resource_problem(resource: &str) -> Option<(&'static str, String)> {
    let segs: Vec<&str> = arn_segments(resource).collect();
    if resource != "*" && !(segs.len() == 6 && segs[0] == "arn") {
        return Some((
            "INVALID_ARN_FORMAT",
            format!("Resource {resource} must be in ARN format or \"*\"."),
        ));
    }
    if segs.get(2).is_some_and(|svc| svc.contains(['*', '?'])) {
        return Some(("INVALID_ARN_SERVICE", MSG_RESOURCE_VENDOR.to_string()));
    }
    None
}

const MSG_RESOURCE_VENDOR: &str =
    "Resource vendor must be fully qualified and cannot contain regexes.";

/// Whether IAM's legacy parser reads a Date condition value: an ISO 8601 date or time (parts may be left
/// off; a zone offset has two-digit hours and minutes; at most nine fraction digits), or seconds since the
/// epoch that fit a signed 64-bit number. Recorded refusals: `sdfdsf`, `234-13`,
/// `2016-12-13t2:00:00.593194+1`, a ten-digit fraction, `9223372036854775808`.
fn legacy_date(value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    if !v.contains('t') && !v.contains('-') {
        return !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && v.parse::<i64>().is_ok();
    }
    let (date, time) = v.split_once('t').unwrap_or((v.as_str(), ""));
    let digits = |s: &str, max: u32| -> bool {
        !s.is_empty()
            && s.len() <= 9
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| n <= max)
    };
    let unsigned_date = date.strip_prefix('-').unwrap_or(date);
    let parts: Vec<&str> = unsigned_date.split('-').collect();
    let date_ok = match parts.as_slice() {
        [y] => digits(y, 292_278_993),
        [y, m] => digits(y, 292_278_993) && digits(m, 12) && *m != "0" && *m != "00",
        [y, m, d] => {
            digits(y, 292_278_993)
                && digits(m, 12)
                && m.parse::<u32>().is_ok_and(|n| n >= 1)
                && digits(d, 31)
                && d.parse::<u32>().is_ok_and(|n| n >= 1)
        }
        _ => false,
    };
    if !date_ok {
        return false;
    }
    if time.is_empty() {
        return true;
    }
    // The zone: `z`, or `+hh[:mm]` / `-hh[:mm]` after the seconds.
    let (clock, zone_ok) = if let Some(c) = time.strip_suffix('z') {
        (c, true)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let zone = &time[i + 1..];
        let (h, m) = zone.split_once(':').unwrap_or((zone, "00"));
        (
            &time[..i],
            h.len() == 2 && m.len() == 2 && digits(h, 23) && digits(m, 59),
        )
    } else {
        (time, true)
    };
    if !zone_ok {
        return false;
    }
    let fields: Vec<&str> = clock.split(':').collect();
    match fields.as_slice() {
        [h] => digits(h, 23),
        [h, m] => digits(h, 23) && digits(m, 59),
        [h, m, sec] => {
            let (whole, fraction) = sec.split_once('.').unwrap_or((sec, "0"));
            digits(h, 23) && digits(m, 59) && digits(whole, 59) && digits(fraction, 999_999_999)
        }
        _ => false,
    }
}

fn principal_rules(s: &Statement, path: &str, ty: PolicyType, errs: &mut Vec<PolicyError>) {
    use PolicyType as T;
    let Some(p) = &s.principal else {
        if matches!(ty, T::Resource | T::Trust | T::Rcp) {
            let msg = if ty == T::Trust {
                "Missing required field Principal"
            } else {
                "Policy document must specify a principal."
            };
            errs.push(invalid(
                "MISSING_PRINCIPAL",
                msg,
                "this policy type needs a Principal in every statement",
                format!("{path}.Principal"),
                s.loc,
            ));
        }
        return;
    };
    let ppath = format!(
        "{path}.{}",
        if p.negated {
            "NotPrincipal"
        } else {
            "Principal"
        }
    );
    match ty {
        T::Identity | T::Managed | T::Boundary | T::Session | T::Scp => {
            errs.push(invalid(
                "UNSUPPORTED_ELEMENT",
                MSG_NO_PRINCIPAL,
                "this policy type cannot name a principal",
                ppath,
                p.loc,
            ));
            return;
        }
        T::Trust | T::Rcp if p.negated => {
            let code = if ty == T::Trust {
                "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL"
            } else {
                "RCP_SYNTAX_ERROR_NOTPRINCIPAL"
            };
            errs.push(invalid(
                code,
                "Has prohibited field NotPrincipal",
                "NotPrincipal is not allowed in this policy type",
                ppath,
                p.loc,
            ));
            return;
        }
        T::Rcp => {
            let star = match &p.value {
                PrincipalValue::Star => true,
                PrincipalValue::Map(m) => m.iter().all(|(k, vs)| {
                    k.value == PrincipalKey::Aws && vs.iter().all(|v| v.value == "*")
                }),
            };
            if !star {
                errs.push(invalid(
                    "RCP_SYNTAX_ERROR_PRINCIPAL",
                    MSG_SYNTAX,
                    "an RCP's Principal must be \"*\"",
                    ppath,
                    p.loc,
                ));
            }
            return;
        }
        _ => {}
    }
    if let PrincipalValue::Map(m) = &p.value {
        for (k, vs) in m {
            for v in vs {
                if let Some(why) = bad_principal(k.value, &v.value) {
                    errs.push(invalid(
                        "INVALID_PRINCIPAL_FORMAT",
                        format!(
                            "Invalid principal in policy: \"{}\":\"{}\"",
                            k.value.as_str(),
                            v.value
                        ),
                        why,
                        format!("{ppath}.{}", k.value.as_str()),
                        v.loc,
                    ));
                }
            }
        }
    }
}

/// Why a principal value is not acceptable, if it is not.
fn bad_principal(key: PrincipalKey, v: &str) -> Option<&'static str> {
    match key {
        PrincipalKey::Aws => {
            if v == "*" || (v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit())) {
                return None;
            }
            // Unique IDs (AIDA..., AROA...) are what IAM stores for deleted principals; they are valid.
            if v.len() == 21
                && v.starts_with('A')
                && v.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                return None;
            }
            if v.contains(['*', '?']) {
                return Some("wildcards are allowed only as a whole \"*\" principal");
            }
            let ok = parse_principal_arn(v).is_some_and(|(_, _, n)| n != PrincipalArn::Provider);
            (!ok).then_some("not an account ID or the ARN of a root user, user, role or session")
        }
        PrincipalKey::Service => {
            let ok = v == "*" || (v.contains('.') && !v.contains([':', '/', ' ']));
            (!ok).then_some("a service principal looks like service.amazonaws.com")
        }
        PrincipalKey::Federated | PrincipalKey::CanonicalUser => {
            v.is_empty().then_some("empty principal")
        }
    }
}

/// Global condition keys that hold several values (reference §1.5).
const MULTIVALUED_GLOBAL_KEYS: &[&str] = &[
    "aws:tagkeys",
    "aws:principalorgpaths",
    "aws:resourceorgpaths",
    "aws:principalservicenameslist",
    "aws:calledvia",
    "aws:sourceorgpaths",
    "aws:vpceorgpaths",
];

fn finding(
    out: &mut Vec<Finding>,
    severity: Severity,
    code: &'static str,
    message: impl Into<String>,
    path: impl Into<String>,
    location: Location,
) {
    out.push(Finding {
        severity,
        code,
        message: message.into(),
        path: path.into(),
        location,
    });
}

/// Findings that do not stop IAM from saving the document.
fn soft_rules(doc: &PolicyDocument, ty: PolicyType, out: &mut Vec<Finding>) {
    use Severity as S;
    let v2012 = doc.effective_version() == Version::V2012_10_17;
    if doc.version.is_none() {
        finding(
            out,
            S::Warning,
            "MISSING_VERSION",
            "add \"Version\": \"2012-10-17\"; without it policy variables are not substituted",
            "Version",
            Location {
                line: 1,
                column: 1,
                offset: 0,
            },
        );
    }
    if let (
        Some(id),
        PolicyType::Identity | PolicyType::Managed | PolicyType::Boundary | PolicyType::Session,
    ) = (&doc.id, ty)
    {
        finding(
            out,
            S::Warning,
            "UNSUPPORTED_ELEMENT_ID",
            "Id belongs in resource-based policies; IAM identity policies ignore it",
            "Id",
            id.loc,
        );
    }
    let mut sids: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (i, s) in doc.statements.iter().enumerate() {
        let path = st_path(i);
        if let Some(sid) = &s.sid {
            if sid.value.is_empty() {
                finding(
                    out,
                    S::Suggestion,
                    "EMPTY_SID_VALUE",
                    "the Sid is empty; remove it or give it a name",
                    format!("{path}.Sid"),
                    sid.loc,
                );
            } else if !ty.is_iam() && sids.contains(sid.value.as_str()) {
                finding(
                    out,
                    S::Warning,
                    "UNIQUE_SIDS_RECOMMENDED",
                    format!("Sid {:?} is used twice", sid.value),
                    format!("{path}.Sid"),
                    sid.loc,
                );
            }
            sids.insert(&sid.value);
        }
        let allow = s.effect.value == Effect::Allow;
        if let Some(p) = &s.principal {
            if allow && p.negated {
                finding(out, S::SecurityWarning, "ALLOW_WITH_NOT_PRINCIPAL", "Allow with NotPrincipal grants access to everyone not listed, including anonymous users; AWS no longer supports it", format!("{path}.NotPrincipal"), p.loc);
            }
            if let PrincipalValue::Map(m) = &p.value {
                for (k, vs) in m {
                    let kpath = format!("{path}.Principal.{}", k.value.as_str());
                    if vs.is_empty() {
                        finding(
                            out,
                            S::Suggestion,
                            "EMPTY_ARRAY_PRINCIPAL",
                            "an empty principal list matches nobody",
                            &kpath,
                            k.loc,
                        );
                    }
                    for v in vs {
                        if v.value.contains("${") {
                            finding(
                                out,
                                S::Error,
                                "VARIABLE_UNSUPPORTED_IN_ELEMENT",
                                "policy variables are not allowed in Principal",
                                &kpath,
                                v.loc,
                            );
                        }
                    }
                    if ty == PolicyType::Trust && k.value == PrincipalKey::Federated {
                        let wrong = s.action.values.iter().find(|a| {
                            let l = a.value.to_ascii_lowercase();
                            l == "sts:assumerole"
                        });
                        if let Some(a) = wrong {
                            finding(out, S::Error, "MISMATCHED_ACTION_FOR_PRINCIPAL", "a Federated principal assumes a role with sts:AssumeRoleWithSAML or sts:AssumeRoleWithWebIdentity, not sts:AssumeRole", format!("{path}.Action"), a.loc);
                        }
                    }
                }
            }
            let public = match &p.value {
                PrincipalValue::Star => true,
                PrincipalValue::Map(m) => m.iter().any(|(k, vs)| {
                    k.value == PrincipalKey::Aws && vs.iter().any(|v| v.value == "*")
                }),
            };
            if public
                && allow
                && !p.negated
                && s.conditions.is_empty()
                && ty == PolicyType::Resource
            {
                finding(
                    out,
                    S::SecurityWarning,
                    "PUBLIC_PRINCIPAL_WITHOUT_CONDITION",
                    "Allow to Principal \"*\" without a Condition makes the resource public",
                    format!("{path}.Principal"),
                    p.loc,
                );
            }
        }
        if allow && s.action.negated {
            finding(
                out,
                S::SecurityWarning,
                "ALLOW_WITH_NOT_ACTION",
                "Allow with NotAction grants every other action, in every service",
                format!("{path}.NotAction"),
                s.action.loc,
            );
        }
        if let Some(r) = &s.resource {
            if allow && r.negated {
                finding(
                    out,
                    S::SecurityWarning,
                    "ALLOW_WITH_NOT_RESOURCE",
                    "Allow with NotResource grants every other resource",
                    format!("{path}.NotResource"),
                    r.loc,
                );
            }
            for v in &r.values {
                if type_wildcard_to_report(&v.value) {
                    finding(
                        out,
                        S::Error,
                        "WILDCARD_IN_RESOURCE_TYPE",
                        format!(
                            "{:?} has a wildcard in its resource type; the type is compared literally, so it matches no resource{}",
                            v.value,
                            if r.negated { " and excludes nothing" } else { "" }
                        ),
                        format!("{path}.{}", if r.negated { "NotResource" } else { "Resource" }),
                        v.loc,
                    );
                }
                if v.value.contains("${") {
                    let in_resource_part = v
                        .value
                        .splitn(6, ':')
                        .take(5)
                        .all(|seg| !seg.contains("${"));
                    if !in_resource_part {
                        finding(
                            out,
                            S::Error,
                            "VARIABLE_UNSUPPORTED_IN_ELEMENT",
                            "policy variables are allowed only in the resource part of an ARN",
                            format!("{path}.Resource"),
                            v.loc,
                        );
                    } else if !v2012 {
                        finding(out, S::Error, "VARIABLE_UNSUPPORTED_IN_VERSION", "policy variables need \"Version\": \"2012-10-17\"; here the text is literal", format!("{path}.Resource"), v.loc);
                    } else if let (_, Some(e)) =
                        ArnPattern::compile(&v.value, ArnVars::ResourcePart)
                    {
                        finding(
                            out,
                            S::Error,
                            e.code(),
                            "malformed policy variable",
                            format!("{path}.Resource"),
                            v.loc,
                        );
                    }
                }
            }
            redundant(
                &r.values,
                false,
                "REDUNDANT_RESOURCE",
                &format!("{path}.Resource"),
                out,
            );
        }
        for a in &s.action.values {
            if a.value.contains("${") {
                finding(
                    out,
                    S::Error,
                    "VARIABLE_UNSUPPORTED_IN_ELEMENT",
                    "policy variables are not allowed in Action",
                    format!("{path}.Action"),
                    a.loc,
                );
            }
            if a.value
                .split_once(':')
                .is_some_and(|(svc, _)| svc.contains(['*', '?']))
            {
                finding(
                    out,
                    S::Suggestion,
                    "WILDCARD_IN_SERVICE_NAME",
                    "a wildcard in the service name may match services you did not mean",
                    format!("{path}.Action"),
                    a.loc,
                );
            }
        }
        redundant(
            &s.action.values,
            true,
            "REDUNDANT_ACTION",
            &format!("{path}.Action"),
            out,
        );
        if allow
            && !s.action.negated
            && s.resource
                .as_ref()
                .is_some_and(|r| !r.negated && r.values.iter().any(|v| v.value == "*"))
        {
            let pass_role = s.action.values.iter().any(|a| {
                Pattern::compile(
                    &a.value,
                    Syntax {
                        vars: false,
                        wildcards: true,
                        lower: true,
                    },
                )
                .0
                .glob("iam:passrole", false, &NoVars)
            });
            if pass_role {
                finding(
                    out,
                    S::SecurityWarning,
                    "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                    "iam:PassRole on \"*\" lets the principal pass any role to a service",
                    format!("{path}.Resource"),
                    s.loc,
                );
            }
        }
        condition_findings(s, &path, v2012, out);
    }
}

/// Values in one list that another value of the list already covers.
fn redundant(
    values: &[crate::Spanned<String>],
    fold: bool,
    code: &'static str,
    path: &str,
    out: &mut Vec<Finding>,
) {
    let syn = Syntax {
        vars: false,
        wildcards: true,
        lower: fold,
    };
    // Pairwise by nature; beyond this many values the check is skipped rather than made quadratic.
    if values.len() > 200 {
        return;
    }
    let patterns: Vec<Pattern> = values
        .iter()
        .map(|v| Pattern::compile(&v.value, syn).0)
        .collect();
    for (i, a) in values.iter().enumerate() {
        let covered = values
            .iter()
            .zip(&patterns)
            .enumerate()
            .any(|(j, (b, pb))| {
                let same = if fold {
                    a.value.eq_ignore_ascii_case(&b.value)
                } else {
                    a.value == b.value
                };
                // Of two identical values, only the later one is redundant.
                i != j && !(same && j > i) && pb.glob(&a.value, fold, &NoVars)
            });
        if covered {
            finding(
                out,
                Severity::Suggestion,
                code,
                format!("{:?} is already covered by another value", a.value),
                path,
                a.loc,
            );
        }
    }
}

fn condition_findings(s: &Statement, path: &str, v2012: bool, out: &mut Vec<Finding>) {
    use Severity as S;
    let allow = s.effect.value == Effect::Allow;
    let null_false_keys: Vec<String> = s
        .conditions
        .iter()
        .filter(|c| {
            Operator::parse(&c.operator.value).is_some_and(|o| o.base == BaseOp::Null)
                && c.values
                    .iter()
                    .any(|v| v.value.eq_ignore_ascii_case("false"))
        })
        .map(|c| c.key.value.to_ascii_lowercase())
        .collect();
    for (i, c) in s.conditions.iter().enumerate() {
        let cpath = format!("{path}.Condition.{}.{}", c.operator.value, c.key.value);
        // The same key twice in one operator block, differing in case: keys are case-insensitive, so both
        // entries apply and must both hold.
        let earlier = s.conditions[..i].iter().find(|e| {
            e.operator.loc == c.operator.loc && e.key.value.eq_ignore_ascii_case(&c.key.value)
        });
        if let Some(e) = earlier {
            finding(
                out,
                S::Warning,
                "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
                format!(
                    "{:?} and {:?} are the same condition key; both conditions apply and must both hold",
                    e.key.value, c.key.value
                ),
                &cpath,
                c.key.loc,
            );
        }
        let Some(op) = Operator::parse(&c.operator.value) else {
            continue;
        };
        let key = c.key.value.to_ascii_lowercase();
        let family = op.base.family();
        if !key.contains(':') {
            // IAM saves it (recorded answers), but no request carries a key without a vendor.
            finding(
                out,
                S::Error,
                "INVALID_CONDITION_KEY_FORMAT",
                format!(
                    "condition key {:?} has no vendor prefix such as aws: or s3:; it never matches",
                    c.key.value
                ),
                &cpath,
                c.key.loc,
            );
        }
        if c.values.is_empty() {
            let code = match (op.qualifier, op.if_exists) {
                (Some(SetQualifier::ForAllValues), _) => "EMPTY_ARRAY_CONDITION_FORALLVALUES",
                (Some(SetQualifier::ForAnyValue), _) => "EMPTY_ARRAY_CONDITION_FORANYVALUE",
                (None, true) => "EMPTY_ARRAY_CONDITION_IFEXISTS",
                (None, false) => "EMPTY_ARRAY_CONDITION",
            };
            finding(
                out,
                S::Suggestion,
                code,
                "an empty value list: positive operators never match, negated ones always do",
                &cpath,
                c.key.loc,
            );
        }
        if op.base == BaseOp::Null && op.qualifier.is_some() {
            finding(
                out,
                S::Suggestion,
                "NULL_WITH_QUALIFIER",
                "Null checks presence; a set qualifier adds nothing",
                &cpath,
                c.operator.loc,
            );
        }
        if op.qualifier == Some(SetQualifier::ForAllValues) {
            if key.starts_with("aws:") && !MULTIVALUED_GLOBAL_KEYS.contains(&key.as_str()) {
                finding(
                    out,
                    S::SecurityWarning,
                    "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                    format!(
                        "{} is single-valued; ForAllValues is also true when the key is absent",
                        c.key.value
                    ),
                    &cpath,
                    c.key.loc,
                );
            } else if allow && !null_false_keys.contains(&key) {
                finding(out, S::SecurityWarning, "FORALLVALUES_WITHOUT_NULL_GUARD", "ForAllValues in an Allow is true when the key is absent; add \"Null\": {key: \"false\"}", &cpath, c.key.loc);
            }
        }
        if op.qualifier.is_none()
            && MULTIVALUED_GLOBAL_KEYS.contains(&key.as_str())
            && op.base != BaseOp::Null
        {
            finding(out, S::Warning, "MISSING_QUALIFIER", format!("{} is multivalued; without ForAllValues/ForAnyValue the condition never matches", c.key.value), &cpath, c.operator.loc);
        }
        for v in &c.values {
            let val = v.value.as_str();
            if val.contains("${") {
                if !family_allows_vars(family) {
                    finding(
                        out,
                        S::Error,
                        "VARIABLE_UNSUPPORTED_IN_ELEMENT",
                        format!(
                            "policy variables are not substituted in {} values",
                            op.base.name()
                        ),
                        &cpath,
                        v.loc,
                    );
                    continue;
                } else if !v2012 {
                    finding(out, S::Error, "VARIABLE_UNSUPPORTED_IN_VERSION", "policy variables need \"Version\": \"2012-10-17\"; here the text is literal", &cpath, v.loc);
                    continue;
                } else if let (_, Some(e)) = Pattern::compile(
                    val,
                    Syntax {
                        vars: true,
                        wildcards: false,
                        lower: false,
                    },
                ) {
                    finding(
                        out,
                        S::Error,
                        e.code(),
                        "malformed policy variable",
                        &cpath,
                        v.loc,
                    );
                    continue;
                }
            }
            let (ok, code) = match family {
                Family::Numeric => (parse_number(val).is_some(), "TYPE_MISMATCH_NUMBER"),
                Family::Date => (parse_date(val).is_some(), "INVALID_DATE_VALUE"),
                Family::Bool => (parse_bool(val).is_some(), "TYPE_MISMATCH_BOOLEAN"),
                Family::Ip => (parse_ip(val).is_some(), "TYPE_MISMATCH_IP_RANGE"),
                Family::Binary => (parse_binary(val).is_some(), "TYPE_MISMATCH"),
                Family::String | Family::Arn | Family::Null => (true, ""),
            };
            if !ok {
                finding(
                    out,
                    S::Warning,
                    code,
                    format!(
                        "{val:?} is not a valid {:?} value; it never matches",
                        family
                    ),
                    &cpath,
                    v.loc,
                );
            }
            let equals = matches!(
                op.base,
                BaseOp::StringEquals
                    | BaseOp::StringNotEquals
                    | BaseOp::StringEqualsIgnoreCase
                    | BaseOp::StringNotEqualsIgnoreCase
            );
            if equals && val.contains(['*', '?']) {
                finding(
                    out,
                    S::Warning,
                    "WILDCARD_WITHOUT_LIKE_OPERATOR",
                    format!(
                        "{} compares {val:?} literally; use StringLike for wildcards",
                        op.base.name()
                    ),
                    &cpath,
                    v.loc,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(src: &str, ty: PolicyType) -> Vec<&'static str> {
        validate(src, ty).findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn per_type_element_rules() {
        let with_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}]}"#;
        let r = validate(with_principal, PolicyType::Identity);
        assert_eq!(
            r.malformed_message(PolicyType::Identity).as_deref(),
            Some(MSG_NO_PRINCIPAL)
        );
        assert!(validate(with_principal, PolicyType::Resource)
            .error
            .is_none());
        assert!(codes(with_principal, PolicyType::Trust)
            .contains(&"ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE"));
        assert!(codes(with_principal, PolicyType::Scp).contains(&"UNSUPPORTED_ELEMENT"));
        assert!(codes(with_principal, PolicyType::Rcp).contains(&"RCP_SYNTAX_ERROR_PRINCIPAL"));
        let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert!(validate(no_principal, PolicyType::Identity)
            .findings
            .is_empty());
        assert!(codes(no_principal, PolicyType::Resource).contains(&"MISSING_PRINCIPAL"));
    }

    #[test]
    fn sids() {
        let dup = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
        assert_eq!(
            validate(dup, PolicyType::Identity)
                .malformed_message(PolicyType::Identity)
                .as_deref(),
            Some(MSG_SID_UNIQUE)
        );
        let bad = r#"{"Version":"2012-10-17","Statement":[{"Sid":"a b","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        assert_eq!(
            validate(bad, PolicyType::Identity).error.map(|e| e.code()),
            Some("UNSUPPORTED_SID")
        );
        // Other services allow more characters in Sids.
        assert!(validate(bad, PolicyType::Resource)
            .findings
            .iter()
            .all(|f| f.code != "UNSUPPORTED_SID"));
    }

    #[test]
    fn findings_examples() {
        let src = r#"{"Statement":[{"Effect":"Allow","Action":["s3:*","s3:GetObject"],"Resource":"arn:aws:s3:::b/${aws:username}",
          "Condition":{"NullIfExists":{"aws:TagKeys":"true"},"ForAllValues:StringEquals":{"aws:username":"a*"},"NumericLessThan":{"s3:max-keys":"ten"}}}]}"#;
        let c = codes(src, PolicyType::Identity);
        for want in [
            "MISSING_VERSION",
            "NULL_WITH_IF_EXISTS",
            "REDUNDANT_ACTION",
            "VARIABLE_UNSUPPORTED_IN_VERSION",
            "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
            "WILDCARD_WITHOUT_LIKE_OPERATOR",
            "TYPE_MISMATCH_NUMBER",
        ] {
            assert!(c.contains(&want), "{want} missing from {c:?}");
        }
        let np = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}]}"#;
        assert!(codes(np, PolicyType::Resource).contains(&"ALLOW_WITH_NOT_PRINCIPAL"));
    }

    #[test]
    fn legacy_dates_read_as_iam_reads_them() {
        // Refusals recorded against AWS (tests/data/iam_create_policy_answers.json) ...
        for bad in [
            "sdfdsf",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "2016-12-13t2:00:00.1999999999+10:59",
            "9223372036854775808",
            "",
        ] {
            assert!(!legacy_date(bad), "{bad}");
        }
        // ... and the forms real policies use, which must stay accepted.
        for good in [
            "2017-07-01T00:00:00Z",
            "2019-07-16T12:00:00.000Z",
            "2020-01-01",
            "2020",
            "2020-01-01T10:00:00+02:00",
            "2020-01-01T10:00:00-05:00",
            "1700000000",
        ] {
            assert!(legacy_date(good), "{good}");
        }
    }

    #[test]
    fn action_vendors_as_iam_reads_them() {
        assert_eq!(
            bad_action("invalid").map(|(c, _)| c),
            Some("INVALID_ACTION_PREFIX")
        );
        assert_eq!(
            bad_action(":GetObject").map(|(c, _)| c),
            Some("INVALID_ACTION_PREFIX")
        );
        assert_eq!(
            bad_action("s3:List:Bucket").map(|(c, _)| c),
            Some("INVALID_ACTION_COLONS")
        );
        assert_eq!(
            bad_action("a a:ListBucket").map(|(_, m)| m).as_deref(),
            Some("Vendor a a is not valid")
        );
        // Controls: wildcards in the vendor and odd action names are saved by IAM (moto's accepted list).
        for ok in [
            "*",
            "s3*:Get*",
            "iam: asdf safdsf af ",
            "service-prefix:action-name",
        ] {
            assert_eq!(bad_action(ok), None, "{ok}");
        }
    }

    #[test]
    fn quotas_and_characters() {
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{}"}}]}}"#,
            "a".repeat(7000)
        );
        assert_eq!(
            validate(&big, PolicyType::Identity).error.map(|e| e.code()),
            Some("POLICY_SIZE_EXCEEDS_QUOTA")
        );
        let uni = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/ĀĀ"}]}"#;
        assert_eq!(
            validate(uni, PolicyType::Identity).error.map(|e| e.code()),
            Some("INVALID_CHARACTER")
        );
    }

    #[test]
    fn the_root_user_is_an_iam_resource() {
        // sts:AssumeRoot's resource (IAM User Guide, id_root-user-privileged-task example policies).
        assert_eq!(iam_resource_problem("arn:aws:iam::111122223333:root"), None);
        assert_eq!(iam_resource_problem("arn:aws:iam::*:root"), None);
        // Only the bare type: a path under it is no IAM resource.
        let refused = iam_resource_problem("arn:aws:iam::111122223333:root/x");
        assert_eq!(
            refused.map(|(code, _)| code),
            Some("INVALID_IAM_RESOURCE_PATH")
        );
    }
}
