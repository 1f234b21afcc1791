//! Access-Analyzer-style findings that need AWS's Service Authorization Reference (the `warden-catalogue`
//! crate): services, actions and condition keys that do not exist, operators of the wrong type for their
//! key, keys none of a statement's actions takes, and resource ARNs none of its actions' resource types
//! fits.
//!
//! Codes and severities are Access Analyzer's where it has a check for the case ("IAM policy validation
//! check reference", <https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html>):
//! `INVALID_SERVICE_IN_ACTION`, `INVALID_ACTION`, `INVALID_SERVICE`, `INVALID_SERVICE_CONDITION_KEY`,
//! `INVALID_GLOBAL_CONDITION_KEY` and `UNSUPPORTED_ACTION_FOR_CONDITION_KEY` (ERROR there and here),
//! `TYPE_MISMATCH` (a general warning there, WARNING here) and `INVALID_ARN_RESOURCE` (ERROR there, WARNING
//! here: the reference's ARN formats are not complete, e.g. it has no format for CloudFormation's
//! `arn:aws:cloudformation:REGION:aws:transform/...`, which AWS's own policies name).
//! `RESOURCE_MISMATCH` (WARNING) is warden's own: Access Analyzer's `UNSUPPORTED_RESOURCE_ARN_IN_POLICY` is
//! about resource-based policies attached to a resource type, not about a statement's actions.
//!
//! Conservative by design (a false finding on a valid policy is worse than a missed one): nothing is said
//! about what the catalogue cannot know (condition keys of OIDC and SAML providers, wildcard service
//! prefixes, `*` and `NotAction` statements, `NotResource`), and a statement with an action that did not
//! resolve is not judged on its keys and resources. Policy evaluation never reads the catalogue; only
//! [`crate::validate`] does, through this module.

use warden_catalogue::{catalogue, Action, Catalogue, ConditionKey, ConditionKeyType, Service};

use crate::{Family, Finding, Location, Operator, PolicyDocument, PolicyType, Severity, Statement};

/// Adds the catalogue-backed findings of `doc` to `out`. The checks are the same for every policy type (a
/// trust policy has no Resource, so it gets none of the resource findings).
pub(crate) fn catalogue_findings(doc: &PolicyDocument, _ty: PolicyType, out: &mut Vec<Finding>) {
    let cat = catalogue();
    for (i, s) in doc.statements.iter().enumerate() {
        statement(cat, s, &format!("Statement[{i}]"), out);
    }
}

fn push(
    out: &mut Vec<Finding>,
    severity: Severity,
    code: &'static str,
    message: String,
    path: String,
    location: Location,
) {
    out.push(Finding {
        severity,
        code,
        message,
        path,
        location,
    });
}

/// What a statement's `Action` element resolves to in the catalogue.
struct Actions<'c> {
    /// Every action its values match, each once.
    matched: Vec<(&'c Service, &'c Action)>,
    /// Some value is `*`, or has a wildcard in its service prefix: the statement may name any action.
    open: bool,
    /// Some value names a service or action the catalogue does not have (or is not `service:action`).
    unresolved: bool,
}

fn statement<'c>(cat: &'c Catalogue, s: &Statement, path: &str, out: &mut Vec<Finding>) {
    let element = if s.action.negated {
        "NotAction"
    } else {
        "Action"
    };
    let mut acts: Actions<'c> = Actions {
        matched: Vec::new(),
        open: false,
        unresolved: false,
    };
    for (j, a) in s.action.values.iter().enumerate() {
        action_value(
            cat,
            &a.value,
            &format!("{path}.{element}[{j}]"),
            a.loc,
            &mut acts,
            out,
        );
    }
    // With NotAction the statement's actions are "every other one": nothing to check keys or resources
    // against. Likewise for `*`, a service wildcard, an action that did not resolve, or an action of a
    // prefix the reference documents on several pages (its per-action resource types and keys come from
    // one page only; see `Service::shared_prefix`).
    let judged = !s.action.negated
        && !acts.open
        && !acts.unresolved
        && !acts.matched.is_empty()
        && acts.matched.iter().all(|(svc, _)| !svc.shared_prefix());
    for c in &s.conditions {
        let cpath = format!("{path}.Condition.{}.{}", c.operator.value, c.key.value);
        condition(cat, c, &cpath, judged.then_some(&acts.matched[..]), out);
    }
    if let Some(r) = &s.resource {
        let every_action_has_types = acts
            .matched
            .iter()
            .all(|(_, a)| !a.resource_types().is_empty());
        if judged && !r.negated && every_action_has_types {
            for (j, v) in r.values.iter().enumerate() {
                resource(
                    cat,
                    &v.value,
                    &acts.matched,
                    &format!("{path}.Resource[{j}]"),
                    v.loc,
                    out,
                );
            }
        }
    }
}

/// Checks one value of `Action`/`NotAction` and adds what it matches to `acts`.
fn action_value<'c>(
    cat: &'c Catalogue,
    value: &str,
    path: &str,
    loc: Location,
    acts: &mut Actions<'c>,
    out: &mut Vec<Finding>,
) {
    if value == "*" {
        acts.open = true;
        return;
    }
    // Malformed values (no colon, two colons, variables) are the grammar checks' business.
    let Some((prefix, name)) = value.split_once(':') else {
        acts.unresolved = true;
        return;
    };
    let vendor_chars = prefix
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'*' | b'?'));
    if name.contains(':')
        || value.contains("${")
        || name.is_empty()
        || prefix.is_empty()
        || !vendor_chars
    {
        acts.unresolved = true;
        return;
    }
    if prefix.contains(['*', '?']) {
        acts.open = true;
        return;
    }
    let Some(service) = cat.service(prefix) else {
        acts.unresolved = true;
        let hint = cat
            .nearest_service(prefix)
            .map(|s| format!(" Did you mean {}?", s.prefix()))
            .unwrap_or_default();
        push(
            out,
            Severity::Error,
            "INVALID_SERVICE_IN_ACTION",
            format!("The service {prefix} specified in the action does not exist.{hint}"),
            path.to_string(),
            loc,
        );
        return;
    };
    if name.contains(['*', '?']) {
        let mut any = false;
        for a in service.actions_matching(name) {
            any = true;
            add(acts, service, a);
        }
        if !any {
            acts.unresolved = true;
            push(
                out,
                Severity::Error,
                "INVALID_ACTION",
                format!(
                    "The action {value} matches no action of {}.",
                    service.prefix()
                ),
                path.to_string(),
                loc,
            );
        }
        return;
    }
    match service.action(name) {
        Some(a) => add(acts, service, a),
        None => {
            acts.unresolved = true;
            let hint = service
                .nearest_action(name)
                .map(|a| format!(" Did you mean {}:{}?", service.prefix(), a.name()))
                .unwrap_or_default();
            push(
                out,
                Severity::Error,
                "INVALID_ACTION",
                format!("The action {value} does not exist.{hint}"),
                path.to_string(),
                loc,
            );
        }
    }
}

/// Adds an action to the statement's, once.
fn add<'c>(acts: &mut Actions<'c>, service: &'c Service, action: &'c Action) {
    if !acts.matched.iter().any(|(_, m)| std::ptr::eq(*m, action)) {
        acts.matched.push((service, action));
    }
}

/// Whether a key prefix belongs to an identity provider rather than a service: SAML (`saml:`) and OIDC
/// providers (`accounts.google.com:`, `token.actions.githubusercontent.com:`, an EKS cluster's issuer, ...).
/// AWS accepts any claim of any provider as a key, and the reference lists only a few, so such keys are
/// never judged.
fn provider_prefix(cat: &Catalogue, prefix: &str) -> bool {
    prefix.contains(['.', '/']) || cat.key_prefix_services(prefix).is_some()
}

/// Checks one condition entry: the key exists, the operator fits its type, and (when `actions` is given)
/// some action of the statement takes it.
fn condition(
    cat: &Catalogue,
    c: &crate::Condition,
    path: &str,
    actions: Option<&[(&Service, &Action)]>,
    out: &mut Vec<Finding>,
) {
    let key = c.key.value.as_str();
    let Some((prefix, _)) = key.split_once(':') else {
        // INVALID_CONDITION_KEY_FORMAT is validate's.
        return;
    };
    if prefix.is_empty() || key.contains("${") {
        return;
    }
    let Some(entry) = cat.condition_key_entry(key) else {
        unknown_key(cat, key, prefix, path, c.key.loc, out);
        return;
    };
    if let Some(op) = Operator::parse(&c.operator.value) {
        if !operator_fits(op.base.family(), entry) {
            push(
                out,
                Severity::Warning,
                "TYPE_MISMATCH",
                format!(
                    "Use the operator type {} instead of operator {} for the condition key {key}.",
                    operator_type_for(entry.key_type()),
                    c.operator.value
                ),
                path.to_string(),
                c.operator.loc,
            );
        }
    }
    let Some(actions) = actions else {
        return;
    };
    // Global keys apply to every action (the reference lists only the tag keys per action, and not
    // completely); provider keys are not known completely.
    if entry.is_global() || provider_prefix(cat, prefix) {
        return;
    }
    if actions
        .iter()
        .any(|(s, a)| s.action_takes_condition_key(a, key))
    {
        return;
    }
    let mut names: Vec<String> = actions
        .iter()
        .take(5)
        .map(|(s, a)| format!("{}:{}", s.prefix(), a.name()))
        .collect();
    if actions.len() > 5 {
        names.push(format!("and {} more", actions.len() - 5));
    }
    push(
        out,
        Severity::Error,
        "UNSUPPORTED_ACTION_FOR_CONDITION_KEY",
        format!(
            "The following actions: {} are not supported by the condition key {key}. The condition will not be evaluated for these actions. We recommend that you move these actions to a different statement without this condition key.",
            names.join(", ")
        ),
        path.to_string(),
        c.key.loc,
    );
}

fn unknown_key(
    cat: &Catalogue,
    key: &str,
    prefix: &str,
    path: &str,
    loc: Location,
    out: &mut Vec<Finding>,
) {
    let (code, message) = if prefix.eq_ignore_ascii_case("aws") {
        (
            "INVALID_GLOBAL_CONDITION_KEY",
            format!("The condition key {key} does not exist. Use a valid condition key."),
        )
    } else if let Some(service) = cat.service(prefix) {
        (
            "INVALID_SERVICE_CONDITION_KEY",
            format!(
                "The condition key {key} does not exist in the service {}. Use a valid condition key.",
                service.prefix()
            ),
        )
    } else if provider_prefix(cat, prefix) {
        return;
    } else {
        (
            "INVALID_SERVICE",
            format!("The service {prefix} does not exist. Use a valid service name."),
        )
    };
    push(out, Severity::Error, code, message, path.to_string(), loc);
}

/// Whether an operator family fits a key's type. `Null` fits every key. String operators fit String and
/// ARN keys (AWS allows both on ARN keys); ARN operators fit ARN keys, and String keys too (the reference
/// types some keys that hold ARNs as String, `aws:SourceVpcArn` among them, so that is not judged).
/// `aws:EpochTime` is Date in the reference but takes numeric operators as well ("AWS global condition
/// context keys": "Works with date operators or numeric operators"). `BinaryEquals` is not judged (the
/// reference has no Binary keys).
fn operator_fits(family: Family, entry: &ConditionKey) -> bool {
    use ConditionKeyType as T;
    let t = entry.key_type().element();
    match family {
        Family::Null | Family::Binary => true,
        Family::String => matches!(t, T::String | T::Arn),
        Family::Arn => matches!(t, T::Arn | T::String),
        Family::Numeric => t == T::Numeric || entry.name().eq_ignore_ascii_case("aws:EpochTime"),
        Family::Date => t == T::Date,
        Family::Bool => t == T::Bool,
        Family::Ip => t == T::IpAddress,
    }
}

/// The operator type to use for a key type, in Access Analyzer's words.
fn operator_type_for(t: ConditionKeyType) -> &'static str {
    use ConditionKeyType as T;
    match t.element() {
        T::String => "String",
        T::Arn => "Arn",
        T::Numeric => "Numeric",
        T::Date => "Date",
        T::Bool => "Bool",
        T::IpAddress => "IpAddress",
        _ => "Binary",
    }
}

/// Whether a Resource value is an ARN with its six fields (policy variables may hold colons); other
/// values are the grammar checks' business.
fn six_fields(value: &str) -> bool {
    let mut colons = 0;
    let mut rest = value;
    while let Some(i) = rest.find([':', '$']) {
        if rest[i..].starts_with("${") {
            match rest[i..].find('}') {
                Some(end) => rest = &rest[i + end + 1..],
                None => return false,
            }
            continue;
        }
        if rest.as_bytes()[i] == b':' {
            colons += 1;
        }
        rest = &rest[i + 1..];
    }
    value.starts_with("arn:") && colons >= 5
}

/// Checks one Resource value against the resource types of the statement's actions (every one of which
/// takes some).
fn resource(
    cat: &Catalogue,
    value: &str,
    actions: &[(&Service, &Action)],
    path: &str,
    loc: Location,
    out: &mut Vec<Finding>,
) {
    if value == "*" || !six_fields(value) {
        return;
    }
    let mut tried: Vec<*const warden_catalogue::ResourceType> = Vec::new();
    for (s, a) in actions {
        for r in a.resource_types() {
            let Some(t) = s.resource_type(r.name()) else {
                continue;
            };
            let ptr: *const warden_catalogue::ResourceType = t;
            if tried.contains(&ptr) {
                continue;
            }
            if t.matches_arn(value) {
                return;
            }
            tried.push(ptr);
        }
    }
    // Not one fits. If the ARN's service has resource types and the ARN fits none of them either, it is
    // malformed for its service (Access Analyzer's INVALID_ARN_RESOURCE); otherwise it is a resource of
    // another kind than the actions take.
    let arn_service = value.split(':').nth(2).unwrap_or("");
    let formats_of_service: Vec<&warden_catalogue::ResourceType> =
        if arn_service.contains(['*', '?']) || arn_service.is_empty() {
            Vec::new()
        } else {
            cat.services()
                .iter()
                .flat_map(|s| s.resource_types())
                .filter(|t| {
                    t.arn_format()
                        .split(':')
                        .nth(2)
                        .is_some_and(|svc| svc.eq_ignore_ascii_case(arn_service))
                })
                .collect()
        };
    let mut kinds: Vec<String> = Vec::new();
    for (s, a) in actions {
        for r in a.resource_types() {
            let k = format!("{}:{}", s.prefix(), r.name());
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
    }
    if kinds.len() > 6 {
        let more = kinds.len() - 6;
        kinds.truncate(6);
        kinds.push(format!("and {more} more"));
    }
    if !formats_of_service.is_empty() && !formats_of_service.iter().any(|t| t.matches_arn(value)) {
        push(
            out,
            Severity::Warning,
            "INVALID_ARN_RESOURCE",
            format!(
                "Resource ARN does not match the expected ARN format. Update the resource portion of the ARN. {value} fits no resource type of {arn_service}."
            ),
            path.to_string(),
            loc,
        );
    } else {
        push(
            out,
            Severity::Warning,
            "RESOURCE_MISMATCH",
            format!(
                "{value} fits none of the resource types the statement's actions take ({}); the statement never applies to it.",
                kinds.join(", ")
            ),
            path.to_string(),
            loc,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(policy: &str) -> Vec<&'static str> {
        let doc = PolicyDocument::parse(policy).unwrap();
        let mut out = Vec::new();
        catalogue_findings(&doc, PolicyType::Identity, &mut out);
        out.iter().map(|f| f.code).collect()
    }

    fn stmt(body: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",{body}}}]}}"#)
    }

    #[test]
    fn valid_statements_get_nothing() {
        for body in [
            r#""Action":["s3:GetObject","s3:get*","S3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/${aws:username}/*"]"#,
            r#""Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app/*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}"#,
            r#""Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":["home/"]},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:SecureTransport":"true"},"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#,
            r#""Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:app":"x","aws:RequestTag/team":"a","aws:PrincipalTag/team":"a"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"},"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"},"Null":{"aws:SourceIp":"false"},"NumericGreaterThan":{"aws:EpochTime":"1"},"DateGreaterThan":{"aws:EpochTime":"2020-01-01"}}"#,
            r#""Action":"*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"x"}}"#,
            r#""NotAction":"s3:*","Resource":"arn:aws:kms:*:*:key/*","Condition":{"StringEquals":{"s3:prefix":"x"}}"#,
            r#""Action":"ec2:*","Resource":"arn:aws:s3:::b""#,
            r#""Action":"sts:AssumeRoleWithWebIdentity","Resource":"*","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:o/r:ref:refs/heads/main","oidc.eks.us-east-1.amazonaws.com/id/ABC:aud":"sts.amazonaws.com","accounts.google.com:aud":"x","saml:aud":"y"}}"#,
            r#""Action":"s3:GetObject","NotResource":"arn:aws:s3:::b""#,
            // Elastic Load Balancing V2's AddTags takes target groups; the data has V1's row only.
            r#""Action":"elasticloadbalancing:AddTags","Resource":"arn:aws:elasticloadbalancing:*:*:targetgroup/*/*""#,
        ] {
            assert_eq!(codes(&stmt(body)), Vec::<&str>::new(), "{body}");
        }
    }

    #[test]
    fn unknown_services_and_actions() {
        assert_eq!(
            codes(&stmt(r#""Action":"s33:GetObject","Resource":"*""#)),
            ["INVALID_SERVICE_IN_ACTION"]
        );
        let doc = PolicyDocument::parse(&stmt(r#""Action":"s3:GetObjct","Resource":"*""#)).unwrap();
        let mut out = Vec::new();
        catalogue_findings(&doc, PolicyType::Identity, &mut out);
        assert_eq!(out[0].code, "INVALID_ACTION");
        assert!(
            out[0].message.contains("Did you mean s3:GetObject?"),
            "{}",
            out[0].message
        );
        assert_eq!(out[0].path, "Statement[0].Action[0]");
        assert_eq!(
            codes(&stmt(r#""Action":"s3:Gett*","Resource":"*""#)),
            ["INVALID_ACTION"]
        );
        assert_eq!(
            codes(&stmt(r#""NotAction":"s3:GetObjct","Resource":"*""#)),
            ["INVALID_ACTION"]
        );
    }

    #[test]
    fn unknown_condition_keys() {
        assert_eq!(
            codes(&stmt(
                r#""Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceIpp":"x"}}"#
            )),
            ["INVALID_GLOBAL_CONDITION_KEY"]
        );
        assert_eq!(
            codes(&stmt(
                r#""Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefixx":"x"}}"#
            )),
            ["INVALID_SERVICE_CONDITION_KEY"]
        );
        assert_eq!(
            codes(&stmt(
                r#""Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s33:prefix":"x"}}"#
            )),
            ["INVALID_SERVICE"]
        );
    }

    #[test]
    fn keys_no_action_takes() {
        assert_eq!(
            codes(&stmt(
                r#""Action":["s3:GetObject","s3:PutObject"],"Resource":"*","Condition":{"StringLike":{"s3:prefix":"x"}}"#
            )),
            ["UNSUPPORTED_ACTION_FOR_CONDITION_KEY"]
        );
        // One action that takes it is enough.
        assert!(codes(&stmt(r#""Action":["s3:GetObject","s3:ListBucket"],"Resource":"*","Condition":{"StringLike":{"s3:prefix":"x"}}"#)).is_empty());
    }

    #[test]
    fn operators_of_the_wrong_type() {
        assert_eq!(
            codes(&stmt(
                r#""Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceIp":"1.2.3.4"}}"#
            )),
            ["TYPE_MISMATCH"]
        );
        assert_eq!(
            codes(&stmt(
                r#""Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:NumericLessThanIfExists":{"aws:username":"1"}}"#
            )),
            ["TYPE_MISMATCH"]
        );
        assert_eq!(
            codes(&stmt(
                r#""Action":"s3:GetObject","Resource":"*","Condition":{"DateLessThan":{"aws:MultiFactorAuthAge":"1"}}"#
            )),
            ["TYPE_MISMATCH"]
        );
    }

    #[test]
    fn resources_no_action_takes() {
        assert_eq!(
            codes(&stmt(
                r#""Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket""#
            )),
            ["RESOURCE_MISMATCH"]
        );
        assert_eq!(
            codes(&stmt(
                r#""Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket/*""#
            )),
            ["RESOURCE_MISMATCH"]
        );
        assert_eq!(
            codes(&stmt(
                r#""Action":"ec2:StartInstances","Resource":"arn:aws:ec2:*:*:instanse/*""#
            )),
            ["INVALID_ARN_RESOURCE"]
        );
        // Some action of the statement takes the bucket.
        assert!(codes(&stmt(r#""Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]"#)).is_empty());
    }
}
