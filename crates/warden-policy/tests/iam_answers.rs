//! IAM's validation answers as AWS recorded them: every document of the corpus in `tests/data/` gets exactly
//! the `MalformedPolicyDocument` message AWS returned (or is accepted where AWS accepted it), through the
//! same function the server saves policies with (`Policy::parse_as`) and through `validate`, which
//! `warden policy validate` prints.

#![expect(clippy::unwrap_used, reason = "a test that panics has failed")]

use warden_policy::{validate, Policy, PolicyType};

struct Case {
    source: String,
    document: String,
    /// What AWS answered, or, for a disputed row, what warden answers instead (see the row's "why").
    message: Option<String>,
}

fn corpus(name: &str) -> (PolicyType, Vec<Case>) {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ty = match json["operation"].as_str().unwrap() {
        "CreatePolicy" => PolicyType::Managed,
        "PutUserPolicy" => PolicyType::Identity,
        "CreateRole" => PolicyType::Trust,
        other => panic!("unknown operation {other}"),
    };
    let cases = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            source: c["source"].as_str().unwrap().to_string(),
            document: c["document"].as_str().unwrap().to_string(),
            message: if c.get("warden").is_some() {
                assert!(
                    c["why"].as_str().is_some_and(|w| !w.is_empty()),
                    "a disputed row needs its reason"
                );
                c["warden"].as_str().map(str::to_string)
            } else {
                c["message"].as_str().map(str::to_string)
            },
        })
        .collect();
    (ty, cases)
}

fn check(name: &str) {
    let (ty, cases) = corpus(name);
    assert!(cases.len() > 10, "{name} is nearly empty");
    let mut wrong = Vec::new();
    for c in &cases {
        let saved = Policy::parse_as(&c.document, ty)
            .err()
            .map(|e| e.aws_message(ty));
        let predicted = validate(&c.document, ty).malformed_message(ty);
        if saved != c.message || predicted != c.message {
            wrong.push(format!(
                "{}: AWS {:?}, saved {:?}, validate {:?}\n    {}",
                c.source, c.message, saved, predicted, c.document
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ from AWS:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

/// Disputed rows are few and each says why; a growing list would mean the rules drifted from AWS.
#[test]
fn disputed_rows_are_few() {
    let path = format!(
        "{}/tests/data/iam_create_policy_answers.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let disputed = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("warden").is_some())
        .count();
    assert!(disputed <= 3, "{disputed} disputed rows");
}

#[test]
fn create_policy_answers_match_aws() {
    check("iam_create_policy_answers.json");
}
