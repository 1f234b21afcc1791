//! Management policies: the Organizations policy types other than SCPs and
//! RCPs (tag, backup, AI services opt-out, chat applications, declarative
//! and the rest of the model's `PolicyType` enum). They are stored,
//! attached and inherited like SCPs but never take part in authorization;
//! what they mean is computed here as an account's effective policy.
//!
//! Their documents use the management policy language (Organizations User
//! Guide, "Policy syntax and inheritance for management policy types" and
//! "Inheritance operators"): JSON objects whose settings are set only
//! through the value-setting operators `@@assign`, `@@append` and
//! `@@remove`, and whose child policies may be limited with
//! `@@operators_allowed_for_child_policies`.

use serde_json::{Map, Value};

/// One management policy type: its name and the limits AWS documents for it.
#[derive(Debug, PartialEq, Eq)]
pub struct ManagementType {
    /// The API's `PolicyType`.
    pub name: &'static str,
    /// The fixed top-level key the type's user guide page gives, where it gives one.
    pub top_key: Option<&'static str>,
    /// Largest document, in characters (Organizations quotas, "Maximum size of a policy
    /// document"; 10,000 for the types the page does not list yet).
    pub max_chars: usize,
    /// Policies of the type an organization may hold (quotas, "Number of policies of each type
    /// in an organization": 1,000 for every management type listed).
    pub max_policies: usize,
    /// Policies of the type one root, OU or account may have attached (User Guide,
    /// orgs_manage_policies' table: AI services opt-out 5, backup 10, tag 10; declarative 10 and
    /// the rest 5 are our reading of the quotas page).
    pub max_per_target: usize,
}

const fn kind(
    name: &'static str,
    top_key: Option<&'static str>,
    max_chars: usize,
    max_per_target: usize,
) -> ManagementType {
    ManagementType {
        name,
        top_key,
        max_chars,
        max_policies: 1000,
        max_per_target,
    }
}

/// Every management type of the pinned model's `PolicyType` enum, in its order.
pub static MANAGEMENT_TYPES: [ManagementType; 13] = [
    kind("TAG_POLICY", Some("tags"), 10_000, 10),
    kind("BACKUP_POLICY", Some("plans"), 10_000, 10),
    kind("AISERVICES_OPT_OUT_POLICY", Some("services"), 2_500, 5),
    kind("CHATBOT_POLICY", Some("chatbot"), 10_000, 5),
    kind("DECLARATIVE_POLICY_EC2", Some("ec2_attributes"), 10_000, 10),
    kind("SECURITYHUB_POLICY", None, 10_000, 5),
    kind("SECURITYHUB_CSPM_POLICY", None, 10_000, 5),
    kind("INSPECTOR_POLICY", None, 10_000, 5),
    kind("UPGRADE_ROLLOUT_POLICY", None, 10_000, 5),
    kind("BEDROCK_POLICY", None, 10_000, 5),
    kind("S3_POLICY", None, 10_000, 5),
    kind("NETWORK_SECURITY_DIRECTOR_POLICY", None, 10_000, 5),
    kind("GUARDDUTY_POLICY", None, 10_000, 5),
];

/// The management type named `name`.
pub fn management_type(name: &str) -> Option<&'static ManagementType> {
    MANAGEMENT_TYPES.iter().find(|t| t.name == name)
}

const ASSIGN: &str = "@@assign";
const APPEND: &str = "@@append";
const REMOVE: &str = "@@remove";
const CHILD_CONTROL: &str = "@@operators_allowed_for_child_policies";

/// Why a document is refused: too large, or not the type's syntax.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Larger than the type's quota.
    TooLarge,
    /// Not valid JSON, or not the management policy syntax of the type.
    Malformed(String),
}

/// Checks `content` as a document of type `ty`, as CreatePolicy and UpdatePolicy do.
pub fn validate(ty: &ManagementType, content: &str) -> Result<(), Refusal> {
    if content.chars().count() > ty.max_chars {
        return Err(Refusal::TooLarge);
    }
    let doc: Value =
        serde_json::from_str(content).map_err(|e| Refusal::Malformed(format!("not JSON: {e}")))?;
    let top = doc
        .as_object()
        .filter(|o| !o.is_empty())
        .ok_or_else(|| Refusal::Malformed("the document must be a non-empty object".into()))?;
    if let Some(key) = ty.top_key {
        if let Some(other) = top.keys().find(|k| k.as_str() != key) {
            return Err(Refusal::Malformed(format!(
                "{other} is not allowed at the top level of a {}; use {key}",
                ty.name
            )));
        }
    }
    check_node(top, "")?;
    match ty.name {
        "TAG_POLICY" => check_tag_policy(top),
        "AISERVICES_OPT_OUT_POLICY" => check_ai_opt_out(top),
        _ => Ok(()),
    }
}

fn malformed<T>(path: &str, what: &str) -> Result<T, Refusal> {
    Err(Refusal::Malformed(format!("{path}: {what}")))
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// The generic language: operators with well-formed operands, settings
/// that are objects, no value operator beside child settings.
fn check_node(node: &Map<String, Value>, path: &str) -> Result<(), Refusal> {
    if node.is_empty() {
        return malformed(path, "an empty object sets nothing");
    }
    let mut has_value = false;
    let mut has_children = false;
    for (k, v) in node {
        let here = format!("{path}/{k}");
        match k.as_str() {
            ASSIGN => {
                has_value = true;
                let ok = is_scalar(v) || v.as_array().is_some_and(|a| a.iter().all(is_scalar));
                if !ok {
                    return malformed(&here, "@@assign takes a value or a list of values");
                }
            }
            APPEND | REMOVE => {
                has_value = true;
                if !v.as_array().is_some_and(|a| a.iter().all(is_scalar)) {
                    return malformed(&here, "this operator takes a list of values");
                }
            }
            CHILD_CONTROL => {
                child_control(v).ok_or_else(|| {
                    Refusal::Malformed(format!(
                        "{here}: expected a list of @@all, @@none or value-setting operators"
                    ))
                })?;
            }
            other if other.starts_with("@@") => {
                return malformed(&here, "unknown operator");
            }
            _ => {
                has_children = true;
                match v.as_object() {
                    Some(child) => check_node(child, &here)?,
                    None => {
                        return malformed(&here, "a setting's value is set with an operator");
                    }
                }
            }
        }
    }
    if has_value && has_children {
        return malformed(
            path,
            "a value-setting operator can't sit beside child settings",
        );
    }
    Ok(())
}

/// `@@operators_allowed_for_child_policies`'s operand as a set of allowed operators.
fn child_control(v: &Value) -> Option<Ops> {
    let list = v.as_array().filter(|a| !a.is_empty())?;
    let names: Vec<&str> = list.iter().map(Value::as_str).collect::<Option<_>>()?;
    let alone = |n: &str| names.contains(&n) && names.len() > 1;
    if alone("@@all") || alone("@@none") {
        return None;
    }
    names.iter().try_fold(Ops::NONE, |acc, n| {
        let op = match *n {
            "@@all" => Ops::ALL,
            "@@none" => Ops::NONE,
            ASSIGN => Ops::ASSIGN,
            APPEND => Ops::APPEND,
            REMOVE => Ops::REMOVE,
            _ => return None,
        };
        Some(Ops(acc.0 | op.0))
    })
}

/// Tag policy syntax (User Guide, "Tag policy syntax"): each tag under
/// `tags` has `tag_key` (assigned one string), `tag_value` (a list of
/// strings) and `enforced_for` (`service:resource` strings).
fn check_tag_policy(top: &Map<String, Value>) -> Result<(), Refusal> {
    let Some(tags) = top.get("tags").and_then(Value::as_object) else {
        return Ok(());
    };
    for (name, tag) in tags {
        if name == CHILD_CONTROL {
            continue;
        }
        let path = format!("/tags/{name}");
        let Some(tag) = tag.as_object() else {
            return malformed(&path, "a tag is an object");
        };
        for (field, body) in tag {
            let here = format!("{path}/{field}");
            let ops = body.as_object();
            match field.as_str() {
                CHILD_CONTROL => {}
                "tag_key" => {
                    let ok = ops.is_some_and(|o| {
                        o.iter().all(|(k, v)| {
                            k == CHILD_CONTROL
                                || (k == ASSIGN
                                    && v.as_str()
                                        .is_some_and(|s| !s.is_empty() && s.chars().count() <= 128))
                        })
                    });
                    if !ok {
                        return malformed(
                            &here,
                            "tag_key is assigned one tag key of 1 to 128 characters",
                        );
                    }
                }
                "tag_value" | "enforced_for" => {
                    let strings = ops.is_some_and(|o| {
                        o.iter().all(|(k, v)| {
                            k == CHILD_CONTROL
                                || v.as_array().is_some_and(|a| {
                                    a.iter().all(|s| {
                                        s.as_str().is_some_and(|s| {
                                            field != "enforced_for" || s.contains(':')
                                        })
                                    })
                                })
                        })
                    });
                    if !strings {
                        return malformed(&here, "expected a list of strings");
                    }
                }
                _ => return malformed(&here, "not a tag policy field"),
            }
        }
    }
    Ok(())
}

/// AI services opt-out syntax (User Guide, "AI services opt-out policy
/// syntax"): each service under `services` has `opt_out_policy`, assigned
/// `optOut` or `optIn`.
fn check_ai_opt_out(top: &Map<String, Value>) -> Result<(), Refusal> {
    let Some(services) = top.get("services").and_then(Value::as_object) else {
        return Ok(());
    };
    for (service, body) in services {
        if service == CHILD_CONTROL {
            continue;
        }
        let path = format!("/services/{service}");
        let Some(body) = body.as_object() else {
            return malformed(&path, "a service is an object");
        };
        for (field, v) in body {
            let here = format!("{path}/{field}");
            match field.as_str() {
                CHILD_CONTROL => {}
                "opt_out_policy" => {
                    let ok = v.as_object().is_some_and(|o| {
                        o.iter().all(|(k, v)| {
                            k == CHILD_CONTROL
                                || (k == ASSIGN && matches!(v.as_str(), Some("optOut" | "optIn")))
                        })
                    });
                    if !ok {
                        return malformed(&here, "opt_out_policy is assigned optOut or optIn");
                    }
                }
                _ => return malformed(&here, "not an AI services opt-out policy field"),
            }
        }
    }
    Ok(())
}

/// A set of value-setting operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ops(u8);

impl Ops {
    const NONE: Ops = Ops(0);
    const ASSIGN: Ops = Ops(1);
    const APPEND: Ops = Ops(2);
    const REMOVE: Ops = Ops(4);
    const ALL: Ops = Ops(7);

    fn allows(self, op: Ops) -> bool {
        self.0 & op.0 != 0
    }
}

/// One setting of the effective policy being computed.
#[derive(Debug, Clone)]
struct Node {
    value: Option<Value>,
    children: Vec<(String, Node)>,
    /// What policies below the levels merged so far may still do here and beneath.
    allowed: Ops,
    /// What the level being merged allows its children; folded in when the level ends, so
    /// policies at one level do not limit each other (User Guide, "Inheritance examples",
    /// example 5: the limits of policies at one level combine for the levels below).
    pending: Ops,
}

impl Default for Node {
    fn default() -> Self {
        Node {
            value: None,
            children: Vec::new(),
            allowed: Ops::ALL,
            pending: Ops::ALL,
        }
    }
}

impl Node {
    fn child(&mut self, key: &str, fold_case: bool) -> &mut Node {
        let same = |k: &str| {
            if fold_case {
                k.eq_ignore_ascii_case(key)
            } else {
                k == key
            }
        };
        let at = match self.children.iter().position(|(k, _)| same(k)) {
            Some(i) => i,
            None => {
                self.children.push((key.to_string(), Node::default()));
                self.children.len() - 1
            }
        };
        &mut self.children[at].1
    }

    fn apply(&mut self, doc: &Map<String, Value>, inherited: Ops, fold_case: bool) {
        let allowed = Ops(inherited.0 & self.allowed.0);
        for (k, v) in doc {
            match k.as_str() {
                CHILD_CONTROL => {
                    if let Some(ops) = child_control(v) {
                        self.pending = Ops(self.pending.0 & ops.0);
                    }
                }
                // An operator the levels above forbid is ignored, as the User Guide's
                // example 4 shows: the inherited value stands.
                ASSIGN if allowed.allows(Ops::ASSIGN) => self.value = Some(v.clone()),
                APPEND if allowed.allows(Ops::APPEND) => {
                    let mut list = match self.value.take() {
                        Some(Value::Array(a)) => a,
                        Some(other) => vec![other],
                        None => Vec::new(),
                    };
                    for item in v.as_array().into_iter().flatten() {
                        if !list.contains(item) {
                            list.push(item.clone());
                        }
                    }
                    self.value = Some(Value::Array(list));
                }
                REMOVE if allowed.allows(Ops::REMOVE) => {
                    if let (Some(Value::Array(list)), Some(gone)) =
                        (self.value.as_mut(), v.as_array())
                    {
                        list.retain(|item| !gone.contains(item));
                    }
                }
                ASSIGN | APPEND | REMOVE => {}
                _ => {
                    if let Some(obj) = v.as_object() {
                        self.child(k, fold_case).apply(obj, allowed, fold_case);
                    }
                }
            }
        }
    }

    /// Ends a level: its child controls now bind the levels below.
    fn close_level(&mut self) {
        self.allowed = Ops(self.allowed.0 & self.pending.0);
        self.pending = Ops::ALL;
        for (_, c) in &mut self.children {
            c.close_level();
        }
    }

    /// The setting without its operators, as DescribeEffectivePolicy shows it.
    fn render(&self) -> Option<Value> {
        if let Some(v) = &self.value {
            return Some(v.clone());
        }
        let out: Map<String, Value> = self
            .children
            .iter()
            .filter_map(|(k, c)| Some((k.clone(), c.render()?)))
            .collect();
        (!out.is_empty()).then_some(Value::Object(out))
    }
}

/// The effective policy of policies attached at `levels` (the root first,
/// then each OU down to the account, the account's own last; a level's
/// documents in attachment order): `None` when they set nothing.
pub fn effective(ty: &ManagementType, levels: &[Vec<&str>]) -> Option<Value> {
    // Tag policy keys are case-insensitive, so `costcenter` and `CostCenter` are one tag.
    let fold_case = ty.name == "TAG_POLICY";
    let mut tree = Node::default();
    for level in levels {
        for content in level {
            if let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(content) {
                tree.apply(&doc, Ops::ALL, fold_case);
            }
        }
        tree.close_level();
    }
    tree.render()
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a test fails loudly on a broken fixture"
    )]

    use super::*;
    use serde_json::json;

    fn tag() -> &'static ManagementType {
        management_type("TAG_POLICY").unwrap()
    }

    fn eff(levels: &[Vec<Value>]) -> Value {
        let texts: Vec<Vec<String>> = levels
            .iter()
            .map(|l| l.iter().map(Value::to_string).collect())
            .collect();
        let refs: Vec<Vec<&str>> = texts
            .iter()
            .map(|l| l.iter().map(String::as_str).collect())
            .collect();
        effective(tag(), &refs).unwrap()
    }

    /// Policy A of the User Guide's "Inheritance examples", attached to the root.
    fn policy_a() -> Value {
        json!({"tags": {"costcenter": {
            "tag_key": {"@@assign": "CostCenter"},
            "tag_value": {"@@assign": ["Development", "Support"]}
        }}})
    }

    #[test]
    fn example_1_a_child_assign_overwrites_the_inherited_values() {
        let b = json!({"tags": {"costcenter": {
            "tag_key": {"@@assign": "CostCenter"},
            "tag_value": {"@@assign": ["Sandbox"]},
            "enforced_for": {"@@assign": ["redshift:*", "dynamodb:table"]}
        }}});
        assert_eq!(
            eff(&[vec![policy_a()], vec![b], vec![]]),
            json!({"tags": {"costcenter": {
                "tag_key": "CostCenter",
                "tag_value": ["Sandbox"],
                "enforced_for": ["redshift:*", "dynamodb:table"]
            }}})
        );
    }

    #[test]
    fn example_2_append_adds_to_the_inherited_values() {
        let c = json!({"tags": {"costcenter": {"tag_value": {"@@append": ["Marketing"]}}}});
        assert_eq!(
            eff(&[vec![policy_a()], vec![c]]),
            json!({"tags": {"costcenter": {
                "tag_key": "CostCenter",
                "tag_value": ["Development", "Support", "Marketing"]
            }}})
        );
    }

    #[test]
    fn example_3_remove_takes_inherited_values_out() {
        let d = json!({"tags": {"costcenter": {"tag_value": {"@@remove": ["Development"]}}}});
        assert_eq!(
            eff(&[vec![policy_a()], vec![d]]),
            json!({"tags": {"costcenter": {"tag_key": "CostCenter", "tag_value": ["Support"]}}})
        );
    }

    #[test]
    fn example_4_a_locked_setting_ignores_the_childrens_operators() {
        let e = json!({"tags": {"costcenter": {
            "tag_key": {"@@assign": "CostCenter"},
            "tag_value": {
                "@@operators_allowed_for_child_policies": ["@@none"],
                "@@assign": ["Development", "Support"]
            }
        }}});
        let child = json!({"tags": {"costcenter": {"tag_value": {"@@append": ["Sandbox"]}}}});
        let grandchild = json!({"tags": {"CostCenter": {"tag_value": {"@@assign": ["Other"]}}}});
        assert_eq!(
            eff(&[vec![e], vec![child], vec![grandchild]]),
            json!({"tags": {"costcenter": {
                "tag_key": "CostCenter",
                "tag_value": ["Development", "Support"]
            }}})
        );
    }

    #[test]
    fn example_5_child_controls_at_one_level_combine_for_the_levels_below() {
        let only_append = json!({"tags": {"costcenter": {
            "@@operators_allowed_for_child_policies": ["@@append"],
            "tag_value": {"@@assign": ["Development"]}
        }}});
        let only_assign = json!({"tags": {"costcenter": {
            "@@operators_allowed_for_child_policies": ["@@assign", "@@remove"],
            "tag_value": {"@@append": ["Support"]}
        }}});
        let child = json!({"tags": {"costcenter": {
            "tag_value": {"@@append": ["Marketing"], "@@remove": ["Support"]}
        }}});
        // The two root policies do not limit each other; together they leave the children no
        // operator.
        assert_eq!(
            eff(&[vec![only_append, only_assign], vec![child]]),
            json!({"tags": {"costcenter": {"tag_value": ["Development", "Support"]}}})
        );
    }

    #[test]
    fn example_6_appends_at_one_level_all_apply() {
        let one = json!({"tags": {"costcenter": {"tag_value": {"@@append": ["Marketing"]}}}});
        let two = json!({"tags": {"costcenter": {"tag_value": {"@@append": ["Sales"]}}}});
        assert_eq!(
            eff(&[vec![policy_a()], vec![one, two]]),
            json!({"tags": {"costcenter": {
                "tag_key": "CostCenter",
                "tag_value": ["Development", "Support", "Marketing", "Sales"]
            }}})
        );
    }

    #[test]
    fn nothing_attached_is_no_effective_policy() {
        assert_eq!(effective(tag(), &[vec![], vec![]]), None);
    }

    #[test]
    fn the_documented_examples_of_each_type_are_accepted() {
        let ok = [
            ("TAG_POLICY", policy_a().to_string()),
            (
                "AISERVICES_OPT_OUT_POLICY",
                json!({"services": {
                    "@@operators_allowed_for_child_policies": ["@@none"],
                    "default": {"@@operators_allowed_for_child_policies": ["@@none"],
                                "opt_out_policy": {"@@operators_allowed_for_child_policies": ["@@none"], "@@assign": "optOut"}}
                }})
                .to_string(),
            ),
            (
                "DECLARATIVE_POLICY_EC2",
                json!({"ec2_attributes": {"image_block_public_access": {"state": {"@@assign": "block_new_sharing"}}}}).to_string(),
            ),
            (
                "BACKUP_POLICY",
                json!({"plans": {"PII_Backup_Plan": {
                    "regions": {"@@assign": ["us-east-1"]},
                    "rules": {"Hourly": {"schedule_expression": {"@@assign": "cron(0 5/1 ? * * *)"},
                                          "target_backup_vault_name": {"@@assign": "FortKnox"}}},
                    "selections": {"tags": {"datatype": {"iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MyIamRole"},
                                                          "tag_key": {"@@assign": "dataType"},
                                                          "tag_value": {"@@assign": ["PII"]}}}}
                }}})
                .to_string(),
            ),
            (
                "CHATBOT_POLICY",
                json!({"chatbot": {"platforms": {"slack": {"client": {"@@assign": "enabled"}}}}}).to_string(),
            ),
            ("INSPECTOR_POLICY", json!({"inspector": {"enablement": {"ec2_scanning": {"enable_in_regions": {"@@append": ["us-east-1"]}}}}}).to_string()),
        ];
        for (ty, doc) in ok {
            assert_eq!(validate(management_type(ty).unwrap(), &doc), Ok(()), "{ty}");
        }
    }

    #[test]
    fn documents_outside_the_syntax_are_malformed() {
        let bad = [
            ("TAG_POLICY", "{not json".to_string()),
            ("TAG_POLICY", "[]".to_string()),
            ("TAG_POLICY", "{}".to_string()),
            ("TAG_POLICY", json!({"Version": "2012-10-17", "Statement": []}).to_string()),
            ("TAG_POLICY", json!({"tags": {"cc": {"tag_key": "CostCenter"}}}).to_string()),
            ("TAG_POLICY", json!({"tags": {"cc": {"tag_key": {"@@assign": ["a", "b"]}}}}).to_string()),
            ("TAG_POLICY", json!({"tags": {"cc": {"tag_value": {"@@append": "x"}}}}).to_string()),
            ("TAG_POLICY", json!({"tags": {"cc": {"tag_colour": {"@@assign": "x"}}}}).to_string()),
            ("TAG_POLICY", json!({"tags": {"cc": {"enforced_for": {"@@assign": ["ec2"]}}}}).to_string()),
            ("TAG_POLICY", json!({"tags": {"cc": {"tag_value": {"@@replace": ["x"]}}}}).to_string()),
            (
                "TAG_POLICY",
                json!({"tags": {"cc": {"tag_value": {"@@operators_allowed_for_child_policies": ["@@none", "@@assign"]}}}}).to_string(),
            ),
            (
                "AISERVICES_OPT_OUT_POLICY",
                json!({"services": {"default": {"opt_out_policy": {"@@assign": "maybe"}}}}).to_string(),
            ),
            ("DECLARATIVE_POLICY_EC2", json!({"ec2": {"x": {"@@assign": "y"}}}).to_string()),
            ("GUARDDUTY_POLICY", json!({"a": {"@@assign": "x", "b": {"@@assign": "y"}}}).to_string()),
        ];
        for (ty, doc) in bad {
            assert!(
                matches!(
                    validate(management_type(ty).unwrap(), &doc),
                    Err(Refusal::Malformed(_))
                ),
                "{ty}: {doc}"
            );
        }
    }

    #[test]
    fn each_type_has_its_size_quota() {
        let ai = management_type("AISERVICES_OPT_OUT_POLICY").unwrap();
        let pad = "x".repeat(2_500);
        let doc = json!({"services": {"default": {"opt_out_policy": {"@@assign": "optOut"}}, pad.as_str(): {"opt_out_policy": {"@@assign": "optIn"}}}}).to_string();
        assert_eq!(validate(ai, &doc), Err(Refusal::TooLarge));
        // The same document is within a tag policy's 10,000 characters (and malformed only for
        // its fields).
        assert!(matches!(validate(tag(), &doc), Err(Refusal::Malformed(_))));
    }
}
