//! Property tests: parse round trips, and no input panics the engine.
#![expect(clippy::unwrap_used, reason = "a test that panics has failed")]

use proptest::prelude::*;
use warden_policy::{
    cli, evaluate, validate, DecisionKind, EvalOptions, NamedPolicy, Policy, PolicyDocument,
    PolicySet, PolicyType, Principal, RequestContext,
};

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn one_or_many(items: Vec<String>, single: bool) -> String {
    if single && items.len() == 1 {
        json_str(&items[0])
    } else {
        format!(
            "[{}]",
            items
                .iter()
                .map(|s| json_str(s))
                .collect::<Vec<_>>()
                .join(",")
        )
    }
}

/// Random but grammatical statements, written with the variety of forms the grammar allows.
fn statement() -> impl Strategy<Value = String> {
    let action = "[a-z0-9*?]{1,5}:[A-Za-z*?]{0,8}|\\*";
    let resource = "arn:aws:[a-z0-9]{1,4}:[a-z0-9-]{0,9}:[0-9]{0,12}:[a-z/*?${}:]{0,12}|\\*";
    let cond = (
        prop::sample::select(vec![
            "StringEquals",
            "StringNotLike",
            "ForAnyValue:StringLike",
            "ForAllValues:StringEqualsIgnoreCase",
            "NumericLessThan",
            "DateGreaterThanIfExists",
            "Bool",
            "IpAddress",
            "ArnLike",
            "Null",
            "BinaryEquals",
        ]),
        "[a-z]{1,5}:[A-Za-z/]{1,8}",
        prop::collection::vec("[ -~]{0,10}", 0..3),
    );
    (
        proptest::option::of("[A-Za-z0-9]{0,6}"),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(action, 1..4),
        any::<bool>(),
        proptest::option::of(prop::collection::vec(resource, 1..3)),
        prop::collection::vec(cond, 0..3),
        any::<bool>(),
        proptest::option::of(prop::collection::vec(
            "[0-9]{12}|arn:aws:iam::[0-9]{12}:(root|user/[a-z]{1,4}|role/[a-z]{1,4})|\\*",
            1..3,
        )),
    )
        .prop_map(
            |(sid, allow, not_action, actions, single, resources, conds, not_res, principals)| {
                let mut parts = Vec::new();
                if let Some(sid) = sid {
                    parts.push(format!("\"Sid\":{}", json_str(&sid)));
                }
                parts.push(format!(
                    "\"Effect\":\"{}\"",
                    if allow { "Allow" } else { "Deny" }
                ));
                if let Some(ps) = principals {
                    parts.push(format!(
                        "\"Principal\":{{\"AWS\":{}}}",
                        one_or_many(ps, single)
                    ));
                }
                let a = if not_action { "NotAction" } else { "Action" };
                parts.push(format!("\"{a}\":{}", one_or_many(actions, single)));
                if let Some(rs) = resources {
                    let r = if not_res { "NotResource" } else { "Resource" };
                    parts.push(format!("\"{r}\":{}", one_or_many(rs, single)));
                }
                if !conds.is_empty() {
                    // Distinct operators and keys, because duplicates are (rightly) rejected.
                    let mut ops: Vec<String> = Vec::new();
                    let mut seen = Vec::new();
                    for (i, (op, key, vals)) in conds.into_iter().enumerate() {
                        if seen.contains(&op) {
                            continue;
                        }
                        seen.push(op);
                        ops.push(format!(
                            "\"{op}\":{{\"{key}{i}\":{}}}",
                            one_or_many(vals, single)
                        ));
                    }
                    parts.push(format!("\"Condition\":{{{}}}", ops.join(",")));
                }
                format!("{{{}}}", parts.join(","))
            },
        )
}

fn policy_text() -> impl Strategy<Value = String> {
    (
        proptest::option::of(prop::sample::select(vec!["2012-10-17", "2008-10-17"])),
        prop::collection::vec(statement(), 1..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(version, statements, single, wrap)| {
            let v = version.map_or(String::new(), |v| format!("\"Version\":\"{v}\","));
            let st = if single && statements.len() == 1 {
                statements[0].clone()
            } else {
                format!("[{}]", statements.join(","))
            };
            let text = format!("{{{v}\"Statement\":{st}}}");
            if wrap {
                json_str(&text)
            } else {
                text
            }
        })
}

fn contexts() -> Vec<RequestContext> {
    let mut out = Vec::new();
    for p in [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:sts::111122223333:assumed-role/r/s",
        "arn:aws:iam::111122223333:root",
        "anonymous",
    ] {
        for (a, r) in [
            ("s3:GetObject", "arn:aws:s3:::b/k"),
            ("iam:CreateUser", "*"),
            ("ab:Cd", "arn:aws:ab:x:111122223333:y"),
        ] {
            let mut c = RequestContext::new(Principal::parse(p).unwrap(), a, r).unwrap();
            c.insert("aws:TagKeys", vec!["a".to_string()]);
            c.insert("aws:SourceIp", "10.1.2.3");
            out.push(c);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Generated grammatical policies parse; serialising and parsing again is a fixed point, and the compiled
    /// forms decide identically.
    #[test]
    fn parse_round_trip(text in policy_text()) {
        let doc = PolicyDocument::parse(&text).unwrap();
        let json = doc.to_json();
        let again = PolicyDocument::parse(&json).unwrap();
        prop_assert_eq!(again.to_json(), json.clone());
        prop_assert_eq!(again.statements.len(), doc.statements.len());
        for (a, b) in again.statements.iter().zip(&doc.statements) {
            prop_assert_eq!(a.effect.value, b.effect.value);
            prop_assert_eq!(a.action.values.len(), b.action.values.len());
            prop_assert_eq!(a.conditions.len(), b.conditions.len());
        }
        let (p1, p2) = (NamedPolicy::new("a", Policy::compile(doc)), NamedPolicy::new("b", Policy::compile(again)));
        for ctx in contexts() {
            for as_resource in [false, true] {
                let set = |p: &NamedPolicy| {
                    let mut s = PolicySet::default();
                    if as_resource { s.resource = Some(p); } else { s.identity = std::slice::from_ref(p); }
                    evaluate(&ctx, &s, &EvalOptions::default()).kind
                };
                let (set1, set2) = (set(&p1), set(&p2));
                prop_assert_eq!(set1, set2);
            }
        }
    }

    /// Adding `Deny * *` to any identity policy set makes an identity caller's request an explicit deny.
    #[test]
    fn deny_everything_wins(text in policy_text()) {
        let p = NamedPolicy::new("p", Policy::parse(&text).unwrap());
        let d = NamedPolicy::new("d", Policy::parse(r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#).unwrap());
        let ids = [p, d];
        for ctx in contexts().iter().filter(|c| c.principal().has_identity()) {
            let set = PolicySet { identity: &ids, ..PolicySet::default() };
            prop_assert_eq!(evaluate(ctx, &set, &EvalOptions::default()).kind, DecisionKind::ExplicitDeny);
        }
    }

    /// Arbitrary text never panics the parser, the validators or the CLI.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        for ty in PolicyType::ALL {
            let r = validate(&text, ty);
            prop_assert_eq!(r.error.is_some(), Policy::parse_as(&text, ty).is_err());
        }
        let mut out = Vec::new();
        cli::run_evaluate(text.as_bytes(), true, &mut out).unwrap();
    }

    /// JSON-shaped noise (the interesting case: it gets past the tokenizer) never panics either.
    #[test]
    fn json_noise_never_panics(text in "[{}\\[\\]\",: a-zA-Z0-9*?$/.\\-]{0,120}") {
        let _ = validate(&text, PolicyType::Resource);
        if let Ok(p) = Policy::parse(&text) {
            let np = NamedPolicy::new("p", p);
            for ctx in contexts() {
                let set = PolicySet { identity: std::slice::from_ref(&np), resource: Some(&np), ..PolicySet::default() };
                let _ = evaluate(&ctx, &set, &EvalOptions::default());
            }
        }
    }
}

/// Hostile sizes are answered: thousands of statements, Sids, actions and object keys. Their speed (no
/// quadratic passes) is a benchmark's business, not a timed test's: a wall-clock bound here failed on a
/// loaded 2-core machine (`benches/`, `bench/` hold the speed targets).
#[test]
fn large_documents_are_answered() {
    let statements: Vec<String> = (0..5_000)
        .map(|i| format!(r#"{{"Sid":"S{i}","Effect":"Allow","Action":["s3:Get{i}","s3:Put{i}"],"Resource":"arn:aws:s3:::b/{i}"}}"#))
        .collect();
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    let report = validate(&text, PolicyType::Resource);
    assert!(report.error.is_some(), "over the quota and no Principal");
    let actions: Vec<String> = (0..20_000).map(|i| format!("\"s3:A{i}\"")).collect();
    let wide = format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":[{}],"Resource":"*"}}}}"#,
        actions.join(",")
    );
    let code = |text: &str| validate(text, PolicyType::Identity).error.map(|e| e.code());
    assert_eq!(code(&wide), Some("POLICY_SIZE_EXCEEDS_QUOTA"));
    let keys: Vec<String> = (0..20_000).map(|i| format!("\"k:{i}\":\"v\"")).collect();
    let cond = format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"StringEquals":{{{}}}}}}}}}"#,
        keys.join(",")
    );
    assert_eq!(code(&cond), Some("POLICY_SIZE_EXCEEDS_QUOTA"));
}
