//! Encoded authorization messages: the details of a denial a service may
//! return to its client alongside AccessDenied, readable only through STS
//! DecodeAuthorizationMessage by a principal of the same account allowed
//! `sts:DecodeAuthorizationMessage` (STS API reference: "The message is
//! encoded because the details of the authorization status can contain
//! privileged information that the user who requested the operation should
//! not see").
//!
//! The decoded document has the fields AWS's reference lists and its example
//! shows (`allowed`, `explicitDeny`, `matchedStatements`, `failures`, and a
//! `context` with the principal, action, resource and condition keys). The
//! message is sealed under the master key with the account in its associated
//! data, so it opens only for that account and cannot be forged or altered.

use serde_json::{json, Value};
use warden_policy::{ContextValue, DecisionKind};

use crate::authz::external::ServiceDecision;
use crate::error::{CoreError, Result};
use crate::sts::Sts;
use crate::Warden;

/// What a denial's message tells.
#[derive(Debug, Clone, Copy)]
pub struct DeniedRequest<'a> {
    /// The account the message is for: the principal's (who will decode it).
    pub account: &'a str,
    /// The principal's unique id (`aws:userid`).
    pub principal_id: &'a str,
    /// The principal's ARN.
    pub principal_arn: &'a str,
    /// The action asked.
    pub action: &'a str,
    /// The resource asked.
    pub resource: &'a str,
    /// The request's condition keys as the service gave them.
    pub keys: &'a [(String, ContextValue)],
    /// The decision.
    pub decision: &'a ServiceDecision,
}

fn associated_data(account: &str) -> Vec<u8> {
    format!("warden/authorization-message/v1/{account}").into_bytes()
}

fn values(v: &ContextValue) -> Vec<Value> {
    match v {
        ContextValue::One(s) => vec![json!({ "value": s.as_ref() })],
        ContextValue::Many(list) => list.iter().map(|s| json!({ "value": s })).collect(),
    }
}

impl Warden {
    /// The encoded message of a denial, for the service to hand its client.
    pub fn encode_authorization_message(&self, denied: &DeniedRequest<'_>) -> String {
        let d = denied.decision;
        let name = denied
            .principal_arn
            .rsplit(['/', ':'])
            .next()
            .unwrap_or_default();
        let matched: Vec<Value> = d
            .statements
            .iter()
            .map(|s| {
                json!({
                    "statementId": s.sid.clone().unwrap_or_default(),
                    "effect": s.effect.to_ascii_uppercase(),
                    "policyType": s.policy_type,
                    "policyName": s.policy_name,
                })
            })
            .collect();
        let conditions: Vec<Value> = denied
            .keys
            .iter()
            .map(|(k, v)| json!({ "key": k, "values": { "items": values(v) } }))
            .collect();
        let doc = json!({
            "allowed": d.kind == DecisionKind::Allow,
            "explicitDeny": d.kind == DecisionKind::ExplicitDeny,
            "matchedStatements": { "items": matched },
            "failures": { "items": [] },
            "context": {
                "principal": {
                    "id": denied.principal_id,
                    "name": name,
                    "arn": denied.principal_arn,
                },
                "action": denied.action,
                "resource": denied.resource,
                "conditions": { "items": conditions },
            },
        });
        self.master_key()
            .seal(doc.to_string().as_bytes(), &associated_data(denied.account))
    }
}

impl Sts<'_> {
    /// DecodeAuthorizationMessage: the document of a message encoded for the
    /// caller's account. Anything else (another account's message, a
    /// changed or made-up one) is `InvalidAuthorizationMessageException`.
    pub fn decode_authorization_message(&self, encoded: &str) -> Result<String> {
        let invalid = || {
            // AWS's text for this exception is not recorded; the model's description, as a sentence.
            CoreError::InvalidAuthorizationMessage(
                "The error message format is invalid or it was not encoded for this account."
                    .to_string(),
            )
        };
        let opened = self
            .warden
            .master_key()
            .open(encoded.trim(), &associated_data(&self.caller.account))
            .map_err(|_| invalid())?;
        opened.expose_str().map(str::to_string).ok_or_else(invalid)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a test fails loudly on a broken fixture"
    )]

    use super::*;
    use crate::authz::auth::Caller;

    #[test]
    fn a_message_opens_for_its_account_only_and_unaltered() {
        let w = Warden::in_memory_for_tests("111111111111").unwrap();
        let decision = ServiceDecision {
            kind: DecisionKind::ExplicitDeny,
            decided_by: Some("resource"),
            statements: Vec::new(),
            access_denied_message: Some("denied".into()),
        };
        let keys = vec![("s3:prefix".to_string(), ContextValue::from("home/"))];
        let encoded = w.encode_authorization_message(&DeniedRequest {
            account: "111111111111",
            principal_id: "AIDAEXAMPLE",
            principal_arn: "arn:aws:iam::111111111111:user/alice",
            action: "s3:ListBucket",
            resource: "arn:aws:s3:::bucket",
            keys: &keys,
            decision: &decision,
        });
        let mine = Caller::root("111111111111", "AKIAEXAMPLE");
        let text = w.sts(&mine).decode_authorization_message(&encoded).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["explicitDeny"], json!(true));
        assert_eq!(doc["context"]["principal"]["name"], json!("alice"));
        assert_eq!(
            doc["context"]["conditions"]["items"][0],
            json!({"key": "s3:prefix", "values": {"items": [{"value": "home/"}]}})
        );
        let other = Caller::root("222222222222", "AKIAOTHER");
        assert!(matches!(
            w.sts(&other).decode_authorization_message(&encoded),
            Err(CoreError::InvalidAuthorizationMessage(_))
        ));
        let mut altered = encoded.clone();
        altered.pop();
        altered.push(if encoded.ends_with('A') { 'B' } else { 'A' });
        assert!(w.sts(&mine).decode_authorization_message(&altered).is_err());
        assert!(w
            .sts(&mine)
            .decode_authorization_message("not a message")
            .is_err());
    }
}
