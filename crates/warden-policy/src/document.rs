//! The policy document as written: a typed tree with source positions, parsed from JSON.
//!
//! This layer checks the grammar (`reference_policies_grammar`) but nothing that depends on the policy type;
//! that is [`crate::validate`]'s job.

use crate::error::{Location, PolicyError, MSG_LEGACY, MSG_SYNTAX};
use crate::json::{self, Json, Member, Node};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it starts in the source.
    pub loc: Location,
}

impl<T> Spanned<T> {
    fn new(value: T, loc: Location) -> Self {
        Spanned { value, loc }
    }
}

/// `Effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Allow"`.
    Allow,
    /// `"Deny"`.
    Deny,
}

impl Effect {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// The two language versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `2008-10-17`, also what a document without `Version` is evaluated as: no policy variables.
    V2008_10_17,
    /// `2012-10-17`.
    V2012_10_17,
}

impl Version {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2008_10_17 => "2008-10-17",
            Version::V2012_10_17 => "2012-10-17",
        }
    }
}

/// The keys of a `Principal` map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKey {
    /// `AWS`: accounts, users, roles, sessions.
    Aws,
    /// `Service`: service principals such as `ec2.amazonaws.com`.
    Service,
    /// `Federated`: SAML / OIDC providers.
    Federated,
    /// `CanonicalUser` (S3).
    CanonicalUser,
}

impl PrincipalKey {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKey::Aws => "AWS",
            PrincipalKey::Service => "Service",
            PrincipalKey::Federated => "Federated",
            PrincipalKey::CanonicalUser => "CanonicalUser",
        }
    }
}

/// The value of `Principal` / `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalValue {
    /// `"*"`.
    Star,
    /// `{"AWS": ..., "Service": ...}`; each key has one or more strings.
    Map(Vec<(Spanned<PrincipalKey>, Vec<Spanned<String>>)>),
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalElement {
    /// `NotPrincipal`.
    pub negated: bool,
    /// The principals.
    pub value: PrincipalValue,
    /// Where the element's name starts.
    pub loc: Location,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: a string or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListElement {
    /// The `Not...` form.
    pub negated: bool,
    /// The values, in order.
    pub values: Vec<Spanned<String>>,
    /// Where the element's name starts.
    pub loc: Location,
}

/// One `Operator: { Key: values }` entry of a `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator as written, e.g. `ForAnyValue:StringLikeIfExists`.
    pub operator: Spanned<String>,
    /// The context key as written.
    pub key: Spanned<String>,
    /// The values, numbers and booleans in their JSON text form.
    pub values: Vec<Spanned<String>>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`.
    pub sid: Option<Spanned<String>>,
    /// `Effect`.
    pub effect: Spanned<Effect>,
    /// `Principal` / `NotPrincipal`.
    pub principal: Option<PrincipalElement>,
    /// `Action` / `NotAction`.
    pub action: ListElement,
    /// `Resource` / `NotResource`; absent in trust policies.
    pub resource: Option<ListElement>,
    /// `Condition` entries in source order.
    pub conditions: Vec<Condition>,
    /// Where the statement object starts.
    pub loc: Location,
}

/// A whole policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    /// `Version` as written (validated: only the two known values are accepted).
    pub version: Option<Spanned<Version>>,
    /// `Id`.
    pub id: Option<Spanned<String>>,
    /// The statements.
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// The version the document is evaluated with: absent means 2008-10-17.
    pub fn effective_version(&self) -> Version {
        self.version
            .as_ref()
            .map_or(Version::V2008_10_17, |v| v.value)
    }

    /// Parses a policy from JSON text. A JSON *string* holding the policy is accepted too.
    pub fn parse(text: &str) -> Result<PolicyDocument, PolicyError> {
        let mut errs = Vec::new();
        let doc = parse_collect(text, &mut errs);
        match (doc, crate::validate::first_in_iam_order(errs)) {
            (Some(d), None) => Ok(d),
            (_, Some(e)) => Err(e),
            (None, None) => Err(invalid(
                "JSON_SYNTAX_ERROR",
                MSG_SYNTAX,
                "unparseable policy",
                "$",
                Location::default(),
            )),
        }
    }

    /// Serialises the document as compact JSON, in AWS's element order. Single values are written as arrays.
    pub fn to_json(&self) -> String {
        let mut o = String::from("{");
        if let Some(v) = &self.version {
            o.push_str("\"Version\":");
            json::write_str(&mut o, v.value.as_str());
            o.push(',');
        }
        if let Some(id) = &self.id {
            o.push_str("\"Id\":");
            json::write_str(&mut o, &id.value);
            o.push(',');
        }
        o.push_str("\"Statement\":[");
        for (i, s) in self.statements.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            s.write_json(&mut o);
        }
        o.push_str("]}");
        o
    }
}

impl Statement {
    fn write_json(&self, o: &mut String) {
        o.push('{');
        if let Some(sid) = &self.sid {
            o.push_str("\"Sid\":");
            json::write_str(o, &sid.value);
            o.push(',');
        }
        o.push_str("\"Effect\":");
        json::write_str(o, self.effect.value.as_str());
        if let Some(p) = &self.principal {
            o.push_str(if p.negated {
                ",\"NotPrincipal\":"
            } else {
                ",\"Principal\":"
            });
            match &p.value {
                PrincipalValue::Star => o.push_str("\"*\""),
                PrincipalValue::Map(m) => {
                    o.push('{');
                    for (i, (k, vs)) in m.iter().enumerate() {
                        if i > 0 {
                            o.push(',');
                        }
                        json::write_str(o, k.value.as_str());
                        o.push(':');
                        write_list(o, vs);
                    }
                    o.push('}');
                }
            }
        }
        o.push_str(if self.action.negated {
            ",\"NotAction\":"
        } else {
            ",\"Action\":"
        });
        write_list(o, &self.action.values);
        if let Some(r) = &self.resource {
            o.push_str(if r.negated {
                ",\"NotResource\":"
            } else {
                ",\"Resource\":"
            });
            write_list(o, &r.values);
        }
        if !self.conditions.is_empty() {
            o.push_str(",\"Condition\":{");
            // Group keys under their operator again, in first-seen order.
            let mut first = true;
            for (i, c) in self.conditions.iter().enumerate() {
                if self.conditions[..i]
                    .iter()
                    .any(|p| p.operator.value == c.operator.value)
                {
                    continue;
                }
                if !first {
                    o.push(',');
                }
                first = false;
                json::write_str(o, &c.operator.value);
                o.push_str(":{");
                let same = self
                    .conditions
                    .iter()
                    .filter(|k| k.operator.value == c.operator.value);
                for (j, k) in same.enumerate() {
                    if j > 0 {
                        o.push(',');
                    }
                    json::write_str(o, &k.key.value);
                    o.push(':');
                    write_list(o, &k.values);
                }
                o.push('}');
            }
            o.push('}');
        }
        o.push('}');
    }
}

fn write_list(o: &mut String, vs: &[Spanned<String>]) {
    o.push('[');
    for (i, v) in vs.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        json::write_str(o, &v.value);
    }
    o.push(']');
}

pub(crate) fn invalid(
    code: &'static str,
    aws_message: impl Into<String>,
    detail: impl Into<String>,
    path: impl Into<String>,
    location: Location,
) -> PolicyError {
    PolicyError::Invalid {
        code,
        aws_message: aws_message.into(),
        detail: detail.into(),
        path: path.into(),
        location,
    }
}

/// Parses JSON text, unwrapping one level of "string holding JSON".
pub(crate) fn parse_json(text: &str) -> Result<Node, PolicyError> {
    let node = json::parse(text)?;
    match node.value {
        Json::String(inner) => json::parse(&inner),
        _ => Ok(node),
    }
}

/// Parses, pushing every grammar error found into `errs` (first one is what IAM would report).
/// Returns `None` only when the text is not JSON or not an object.
pub(crate) fn parse_collect(text: &str, errs: &mut Vec<PolicyError>) -> Option<PolicyDocument> {
    let node = match parse_json(text) {
        Ok(n) => n,
        Err(e) => {
            errs.push(e);
            return None;
        }
    };
    let Json::Object(members) = &node.value else {
        errs.push(invalid(
            "JSON_SYNTAX_ERROR",
            MSG_SYNTAX,
            format!(
                "a policy must be a JSON object, not {}",
                node.value.type_name()
            ),
            "$",
            node.loc,
        ));
        return None;
    };
    let mut doc = PolicyDocument {
        version: None,
        id: None,
        statements: Vec::new(),
    };
    let mut saw_statement = false;
    case_duplicates(members, errs);
    for m in members {
        match canonical(&m.key, &["Version", "Id", "Statement"]) {
            Some("Version") => match &m.value.value {
                Json::String(s) if s == "2012-10-17" => {
                    doc.version = Some(Spanned::new(Version::V2012_10_17, m.value.loc));
                }
                Json::String(s) if s == "2008-10-17" => {
                    doc.version = Some(Spanned::new(Version::V2008_10_17, m.value.loc));
                }
                _ => errs.push(invalid(
                    "INVALID_VERSION",
                    MSG_SYNTAX,
                    "Version must be \"2012-10-17\" or \"2008-10-17\"",
                    "Version",
                    m.value.loc,
                )),
            },
            Some("Id") => {
                if let Some(s) = string(&m.value, "Id", errs) {
                    doc.id = Some(s);
                }
            }
            Some(_) => {
                saw_statement = true;
                match &m.value.value {
                    Json::Array(items) => {
                        if items.is_empty() {
                            errs.push(missing_statement(m.value.loc));
                        }
                        for (i, item) in items.iter().enumerate() {
                            if let Some(s) = statement(item, &format!("Statement[{i}]"), errs) {
                                doc.statements.push(s);
                            }
                        }
                    }
                    Json::Object(_) => {
                        if let Some(s) = statement(&m.value, "Statement", errs) {
                            doc.statements.push(s);
                        }
                    }
                    other => errs.push(invalid(
                        "JSON_SYNTAX_ERROR",
                        MSG_SYNTAX,
                        format!(
                            "Statement must be an object or an array, not {}",
                            other.type_name()
                        ),
                        "Statement",
                        m.value.loc,
                    )),
                }
            }
            None => errs.push(unknown_element(m, "")),
        }
    }
    if !saw_statement {
        errs.push(missing_statement(node.loc));
    }
    Some(doc)
}

/// Refuses keys of one object that differ only in case: element names, principal types and operators are
/// case-insensitive, so such keys name the same thing twice. (Condition keys are the exception: both entries
/// apply; see `condition_block`.)
fn case_duplicates(members: &[Member], errs: &mut Vec<PolicyError>) {
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for m in members {
        if !seen.insert(m.key.to_ascii_lowercase()) {
            errs.push(PolicyError::DuplicateKey {
                key: m.key.clone(),
                location: m.key_loc,
            });
        }
    }
}

fn missing_statement(loc: Location) -> PolicyError {
    invalid(
        "MISSING_STATEMENT",
        MSG_SYNTAX,
        "the policy has no statement",
        "Statement",
        loc,
    )
}

fn unknown_element(m: &Member, prefix: &str) -> PolicyError {
    invalid(
        "INVALID_POLICY_ELEMENT",
        MSG_SYNTAX,
        format!("unknown policy element {:?}", m.key),
        format!("{prefix}{}", m.key),
        m.key_loc,
    )
}

/// Element names are matched case-insensitively; returns the canonical spelling.
fn canonical(key: &str, names: &[&'static str]) -> Option<&'static str> {
    names.iter().copied().find(|n| n.eq_ignore_ascii_case(key))
}

fn string(node: &Node, path: &str, errs: &mut Vec<PolicyError>) -> Option<Spanned<String>> {
    match &node.value {
        Json::String(s) => Some(Spanned::new(s.clone(), node.loc)),
        other => {
            errs.push(invalid(
                "JSON_SYNTAX_ERROR",
                MSG_SYNTAX,
                format!("{path} must be a string, not {}", other.type_name()),
                path,
                node.loc,
            ));
            None
        }
    }
}

/// A string or an array of strings.
fn string_list(node: &Node, path: &str, errs: &mut Vec<PolicyError>) -> Vec<Spanned<String>> {
    match &node.value {
        Json::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| string(n, &format!("{path}[{i}]"), errs))
            .collect(),
        _ => string(node, path, errs).into_iter().collect(),
    }
}

/// A condition value: string, number or boolean, or an array of them.
fn scalar_list(node: &Node, path: &str, errs: &mut Vec<PolicyError>) -> Vec<Spanned<String>> {
    let one = |n: &Node, path: &str, errs: &mut Vec<PolicyError>| match &n.value {
        Json::String(s) | Json::Number(s) => Some(Spanned::new(s.clone(), n.loc)),
        Json::Bool(b) => Some(Spanned::new(b.to_string(), n.loc)),
        other => {
            errs.push(invalid(
                "INVALID_CONDITION_DATA_TYPE",
                MSG_SYNTAX,
                format!(
                    "condition values must be strings, numbers or booleans, not {}",
                    other.type_name()
                ),
                path,
                n.loc,
            ));
            None
        }
    };
    match &node.value {
        Json::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| one(n, &format!("{path}[{i}]"), errs))
            .collect(),
        _ => one(node, path, errs).into_iter().collect(),
    }
}

const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn statement(node: &Node, path: &str, errs: &mut Vec<PolicyError>) -> Option<Statement> {
    let Json::Object(members) = &node.value else {
        errs.push(invalid(
            "JSON_SYNTAX_ERROR",
            MSG_SYNTAX,
            format!(
                "a statement must be an object, not {}",
                node.value.type_name()
            ),
            path,
            node.loc,
        ));
        return None;
    };
    let mut sid = None;
    let mut effect = None;
    let mut principal: Option<PrincipalElement> = None;
    let mut action: Option<ListElement> = None;
    let mut resource: Option<ListElement> = None;
    let mut conditions = Vec::new();
    case_duplicates(members, errs);
    for m in members {
        let Some(name) = canonical(&m.key, STATEMENT_ELEMENTS) else {
            errs.push(unknown_element(m, &format!("{path}.")));
            continue;
        };
        let p = format!("{path}.{name}");
        match name {
            "Sid" => sid = string(&m.value, &p, errs),
            "Effect" => {
                if let Some(s) = string(&m.value, &p, errs) {
                    let value = if s.value.eq_ignore_ascii_case("Allow") {
                        Some(Effect::Allow)
                    } else if s.value.eq_ignore_ascii_case("Deny") {
                        Some(Effect::Deny)
                    } else {
                        None
                    };
                    match value {
                        // IAM's grammar reads Effect without case, its legacy parser with
                        // (recorded answers: "invalid" is a syntax error, "denY" fails legacy parsing).
                        Some(e) if s.value != e.as_str() => {
                            errs.push(invalid(
                                "INVALID_EFFECT_CASE",
                                MSG_LEGACY,
                                format!("Effect {:?} must be spelt {:?}", s.value, e.as_str()),
                                &p,
                                s.loc,
                            ));
                            effect = Some(Spanned::new(e, s.loc));
                        }
                        Some(e) => effect = Some(Spanned::new(e, s.loc)),
                        None => errs.push(invalid(
                            "INVALID_EFFECT",
                            MSG_SYNTAX,
                            format!("Effect {:?} is neither \"Allow\" nor \"Deny\"", s.value),
                            &p,
                            s.loc,
                        )),
                    }
                }
            }
            "Principal" | "NotPrincipal" => {
                if principal.is_some() {
                    errs.push(conflict(&p, m.key_loc, "Principal", "NotPrincipal"));
                    continue;
                }
                if let Some(value) = principal_value(&m.value, &p, errs) {
                    principal = Some(PrincipalElement {
                        negated: name == "NotPrincipal",
                        value,
                        loc: m.key_loc,
                    });
                }
            }
            "Action" | "NotAction" | "Resource" | "NotResource" => {
                let is_action = name.ends_with("Action");
                let slot = if is_action {
                    &mut action
                } else {
                    &mut resource
                };
                if slot.is_some() {
                    let (a, b) = if is_action {
                        ("Action", "NotAction")
                    } else {
                        ("Resource", "NotResource")
                    };
                    errs.push(conflict(&p, m.key_loc, a, b));
                    continue;
                }
                let values = string_list(&m.value, &p, errs);
                if values.is_empty() {
                    // Open question 5: IAM refuses empty Action/Resource lists at save time; so do we.
                    errs.push(if is_action {
                        missing_action(&p, m.value.loc)
                    } else {
                        missing_resource(&p, m.value.loc)
                    });
                }
                *slot = Some(ListElement {
                    negated: name.starts_with("Not"),
                    values,
                    loc: m.key_loc,
                });
            }
            _ => condition_block(&m.value, &p, &mut conditions, errs),
        }
    }
    let Some(effect) = effect else {
        if !errs.iter().any(|e| e.code() == "INVALID_EFFECT") {
            errs.push(invalid(
                "MISSING_EFFECT",
                MSG_SYNTAX,
                "the statement has no Effect",
                format!("{path}.Effect"),
                node.loc,
            ));
        }
        return None;
    };
    // A statement without actions is kept (matching nothing) so that the checks IAM makes before
    // "must contain actions" still see it.
    let action = action.unwrap_or_else(|| {
        errs.push(missing_action(&format!("{path}.Action"), node.loc));
        ListElement {
            negated: false,
            values: Vec::new(),
            loc: node.loc,
        }
    });
    Some(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
        loc: node.loc,
    })
}

pub(crate) fn missing_action(path: &str, loc: Location) -> PolicyError {
    invalid(
        "MISSING_ACTION",
        "Policy statement must contain actions.",
        "the statement has no Action or NotAction",
        path,
        loc,
    )
}

pub(crate) fn missing_resource(path: &str, loc: Location) -> PolicyError {
    invalid(
        "MISSING_RESOURCE",
        "Policy statement must contain resources.",
        "the statement has no Resource or NotResource",
        path,
        loc,
    )
}

fn conflict(path: &str, loc: Location, a: &str, b: &str) -> PolicyError {
    invalid(
        "UNSUPPORTED_ELEMENT_COMBINATION",
        MSG_SYNTAX,
        format!("a statement may have {a} or {b}, not both"),
        path,
        loc,
    )
}

fn principal_value(node: &Node, path: &str, errs: &mut Vec<PolicyError>) -> Option<PrincipalValue> {
    match &node.value {
        Json::String(s) if s == "*" => Some(PrincipalValue::Star),
        Json::Object(members) => {
            let mut map = Vec::new();
            case_duplicates(members, errs);
            for m in members {
                let key = match canonical(&m.key, &["AWS", "Service", "Federated", "CanonicalUser"])
                {
                    Some("AWS") => PrincipalKey::Aws,
                    Some("Service") => PrincipalKey::Service,
                    Some("Federated") => PrincipalKey::Federated,
                    Some(_) => PrincipalKey::CanonicalUser,
                    None => {
                        errs.push(invalid(
                            "INVALID_PRINCIPAL_KEY",
                            "Invalid principal in policy",
                            format!("unknown principal type {:?}", m.key),
                            format!("{path}.{}", m.key),
                            m.key_loc,
                        ));
                        continue;
                    }
                };
                let p = format!("{path}.{}", key.as_str());
                map.push((
                    Spanned::new(key, m.key_loc),
                    string_list(&m.value, &p, errs),
                ));
            }
            Some(PrincipalValue::Map(map))
        }
        _ => {
            errs.push(invalid(
                "INVALID_PRINCIPAL_FORMAT",
                "Invalid principal in policy",
                "Principal must be \"*\" or an object such as {\"AWS\": ...}",
                path,
                node.loc,
            ));
            None
        }
    }
}

fn condition_block(node: &Node, path: &str, out: &mut Vec<Condition>, errs: &mut Vec<PolicyError>) {
    let Json::Object(ops) = &node.value else {
        errs.push(invalid(
            "JSON_SYNTAX_ERROR",
            MSG_SYNTAX,
            "Condition must be an object",
            path,
            node.loc,
        ));
        return;
    };
    case_duplicates(ops, errs);
    for op in ops {
        let p = format!("{path}.{}", op.key);
        let Json::Object(keys) = &op.value.value else {
            errs.push(invalid(
                "JSON_SYNTAX_ERROR",
                MSG_SYNTAX,
                format!("the {} operator needs an object of keys", op.key),
                &p,
                op.value.loc,
            ));
            continue;
        };
        for k in keys {
            let kp = format!("{p}.{}", k.key);
            out.push(Condition {
                operator: Spanned::new(op.key.clone(), op.key_loc),
                key: Spanned::new(k.key.clone(), k.key_loc),
                values: scalar_list(&k.value, &kp, errs),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_doc_example() {
        // reference_policies_elements_statement.html style example, with a single Statement object.
        let d = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"A1","Effect":"Allow",
            "Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket",
            "Condition":{"StringLike":{"s3:prefix":["home/*", 5, true]}}}}"#,
        )
        .unwrap();
        assert_eq!(d.statements.len(), 1);
        let s = &d.statements[0];
        assert_eq!(s.sid.as_ref().unwrap().value, "A1");
        assert_eq!(s.conditions[0].values[1].value, "5");
        assert_eq!(s.conditions[0].values[2].value, "true");
        let again = PolicyDocument::parse(&d.to_json()).unwrap();
        assert_eq!(again.to_json(), d.to_json());
    }

    #[test]
    fn string_holding_json() {
        let d = PolicyDocument::parse(
            r#""{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}""#,
        )
        .unwrap();
        assert_eq!(d.statements[0].effect.value, Effect::Deny);
        assert_eq!(d.effective_version(), Version::V2008_10_17);
    }

    #[test]
    fn grammar_errors() {
        for (src, code) in [
            (
                r#"{"Statement":[{"Effect":"allow","Action":"*"}]}"#,
                "INVALID_EFFECT_CASE",
            ),
            (
                r#"{"Statement":[{"Effect":"Permit","Action":"*"}]}"#,
                "INVALID_EFFECT",
            ),
            (r#"{"Statement":[{"Effect":"Allow"}]}"#, "MISSING_ACTION"),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":[]}]}"#,
                "MISSING_ACTION",
            ),
            (r#"{"Statement":[{"Action":"*"}]}"#, "MISSING_EFFECT"),
            (r#"{"Statement":[]}"#, "MISSING_STATEMENT"),
            (
                r#"{"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"*"}]}"#,
                "INVALID_VERSION",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Foo":1}]}"#,
                "INVALID_POLICY_ELEMENT",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"*"}]}"#,
                "UNSUPPORTED_ELEMENT_COMBINATION",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":{"a":null}}}]}"#,
                "INVALID_CONDITION_DATA_TYPE",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"Bool":{"a":1},"bool":{}}}]}"#,
                "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
            ),
            ("[1]", "JSON_SYNTAX_ERROR"),
        ] {
            let e = PolicyDocument::parse(src).unwrap_err();
            assert_eq!(e.code(), code, "{src}: {e}");
        }
    }
}
