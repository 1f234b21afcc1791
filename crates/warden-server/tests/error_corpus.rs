//! AWS's error answers as data: every case in `tests/error_corpus/*.json`
//! runs through the real router on a fresh in-memory warden and must get
//! exactly the recorded HTTP status, error code and message.
//!
//! The expectations come from the e2e suite (`tests/e2e/test_*.py`, whose
//! `raises_aws(...)` calls hold AWS's recorded texts); each case names the
//! e2e test it was taken from in `source`.
//!
//! A file is `{"cases": [CASE, ...]}`; a case is
//!
//! ```json
//! {
//!   "name": "unique-kebab-name",
//!   "source": "tests/e2e/test_users.py::test_get_user_missing",
//!   "setup": [REQUEST, ...],
//!   "request": REQUEST,
//!   "expect": {"status": 404, "code": "NoSuchEntity", "message": "exact text"}
//! }
//! ```
//!
//! `setup` (optional) runs first and every step must succeed. `expect` may
//! give `message_prefix` instead of `message`, or neither (status and code
//! only, where the e2e test checks no text). A REQUEST is either a Query
//! call, `{"service": "iam"|"sts", "params": {"Action": ..., ...}}` (a
//! `Version` is added; a JSON object or array value is sent as its JSON
//! text, as policy documents are), or an Organizations JSON 1.1 call,
//! `{"service": "organizations", "target": "ListRoots", "body": {...}}`.
//! A REQUEST may add `"caller": "root"` (the default) or `"caller":
//! "user:NAME"` (a user without policies, created with an access key
//! before the setup runs), and `"save": {"var": "Tag"}` (the text of the first `<Tag>`
//! of a Query reply) or `"save": {"var": "/JSON/pointer"}` (into a JSON
//! reply); later strings may then use `${var}`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{Creds, Harness, Reply};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/error_corpus")
}

/// Every case of every file, with the file it came from.
fn load_cases() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/error_corpus")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for case in doc["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{file}: no \"cases\" array"))
        {
            out.push((file.clone(), case.clone()));
        }
    }
    out
}

/// Replaces `${var}` for the saved variables only (policy variables such
/// as `${aws:username}` stay as they are).
fn substitute(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("${{{name}}}"), value);
    }
    out
}

fn substitute_json(value: &Value, vars: &BTreeMap<String, String>) -> Value {
    match value {
        Value::String(s) => Value::String(substitute(s, vars)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| substitute_json(v, vars)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute_json(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Runs one REQUEST of a case.
struct Runner {
    harness: Harness,
    users: BTreeMap<String, Creds>,
    vars: BTreeMap<String, String>,
}

impl Runner {
    async fn caller(&mut self, request: &Value) -> Result<Creds, String> {
        match request.get("caller").and_then(Value::as_str) {
            None | Some("root") => Ok(Creds::root()),
            Some(other) => {
                let name = other
                    .strip_prefix("user:")
                    .ok_or_else(|| format!("unknown caller {other:?}"))?;
                if let Some(creds) = self.users.get(name) {
                    return Ok(creds.clone());
                }
                let creds = self.harness.user_with_key(name).await;
                self.users.insert(name.to_string(), creds.clone());
                Ok(creds)
            }
        }
    }

    async fn send(&mut self, request: &Value) -> Result<Reply, String> {
        let creds = self.caller(request).await?;
        let service = request
            .get("service")
            .and_then(Value::as_str)
            .ok_or("a request needs a \"service\"")?;
        let reply = if service == "organizations" {
            let target = request
                .get("target")
                .and_then(Value::as_str)
                .ok_or("an organizations request needs a \"target\"")?;
            let body = substitute_json(
                request
                    .get("body")
                    .unwrap_or(&Value::Object(Default::default())),
                &self.vars,
            );
            self.harness.orgs(&creds, target, &body).await
        } else {
            let params = request
                .get("params")
                .and_then(Value::as_object)
                .ok_or("a Query request needs \"params\"")?;
            let pairs: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => substitute(s, &self.vars),
                        other => substitute(&other.to_string(), &self.vars),
                    };
                    (k.clone(), text)
                })
                .collect();
            let borrowed: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            self.harness.query(&creds, service, &borrowed).await
        };
        if let Some(save) = request.get("save").and_then(Value::as_object) {
            for (var, from) in save {
                let from = from.as_str().ok_or("a \"save\" source is a string")?;
                let value = if from.starts_with('/') {
                    reply
                        .json()
                        .pointer(from)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                } else {
                    reply.xml(from)
                };
                let value =
                    value.ok_or_else(|| format!("nothing at {from} to save in: {}", reply.body))?;
                self.vars.insert(var.clone(), value);
            }
        }
        Ok(reply)
    }

    /// Runs the case; `Err` says what differed.
    async fn run(case: &Value) -> Result<(), String> {
        let mut runner = Runner {
            harness: Harness::new(),
            users: BTreeMap::new(),
            vars: BTreeMap::new(),
        };
        let setup = case
            .get("setup")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // Callers exist before the setup runs (a trust policy may name one).
        for step in setup.iter().chain(case.get("request")) {
            runner.caller(step).await?;
        }
        for (i, step) in setup.iter().enumerate() {
            let reply = runner.send(step).await?;
            if reply.status != 200 {
                return Err(format!(
                    "setup step {} failed ({}): {}",
                    i + 1,
                    reply.status,
                    reply.body
                ));
            }
        }
        let request = case.get("request").ok_or("no \"request\"")?;
        let reply = runner.send(request).await?;
        let expect = case.get("expect").ok_or("no \"expect\"")?;
        let status = expect
            .get("status")
            .and_then(Value::as_u64)
            .ok_or("\"expect\" needs a numeric \"status\"")?;
        let code = expect
            .get("code")
            .and_then(Value::as_str)
            .ok_or("\"expect\" needs a \"code\"")?;
        let Some((got_code, got_message)) = reply.error() else {
            return Err(format!(
                "expected {status} {code}, got {} without an error envelope: {}",
                reply.status, reply.body
            ));
        };
        let mut problems = Vec::new();
        if u64::from(reply.status) != status || got_code != code {
            problems.push(format!(
                "expected {status} {code}, got {} {got_code}",
                reply.status
            ));
        }
        if let Some(message) = expect.get("message").and_then(Value::as_str) {
            let message = substitute(message, &runner.vars);
            if got_message != message {
                problems.push(format!(
                    "message:\n      expected {message:?}\n      got      {got_message:?}"
                ));
            }
        }
        if let Some(prefix) = expect.get("message_prefix").and_then(Value::as_str) {
            let prefix = substitute(prefix, &runner.vars);
            if !got_message.starts_with(&prefix) {
                problems.push(format!(
                    "message:\n      expected a prefix {prefix:?}\n      got      {got_message:?}"
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n    "))
        }
    }
}

#[test]
fn every_case_is_well_formed_and_cites_its_e2e_source() {
    let cases = load_cases();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut names = std::collections::BTreeSet::new();
    for (file, case) in &cases {
        let name = case["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{file}: a case without a name"));
        assert!(names.insert(name.to_string()), "{file}: {name} twice");
        let source = case["source"].as_str().unwrap_or_default();
        let (path, test) = source
            .split_once("::")
            .unwrap_or_else(|| panic!("{file}: {name}: source must be PATH::TEST, not {source:?}"));
        // The cited e2e test exists (the repository root is two levels up).
        let e2e = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path);
        let text = std::fs::read_to_string(&e2e)
            .unwrap_or_else(|e| panic!("{file}: {name}: {}: {e}", e2e.display()));
        assert!(
            text.contains(&format!("def {test}(")),
            "{file}: {name}: no {test} in {path}"
        );
        let expect = &case["expect"];
        assert!(expect["status"].is_u64(), "{file}: {name}: status");
        assert!(expect["code"].is_string(), "{file}: {name}: code");
    }
}

#[tokio::test]
async fn every_case_gets_awss_answer() {
    let cases = load_cases();
    let mut failures = Vec::new();
    for (file, case) in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        if let Err(why) = Runner::run(case).await {
            failures.push(format!(
                "{file}: {name} ({})\n    {why}",
                case["source"].as_str().unwrap_or("?")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
