//! Decisions for other services: the authorization API and the S3 gateway ask
//! warden whether a principal (or nobody, for an anonymous request) may do an
//! action on a resource of theirs. The decision is the same engine run, with
//! the same policies and keys, as for warden's own API
//! ([`Warden::decide_ask`]); this module adds what a service needs to act on
//! it: the deciding statements by name, AWS's AccessDenied text, and who the
//! principal is.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;
use warden_policy::{
    ContextValue, Decision, DecisionKind, NamedPolicy, Policy, PolicySet, PolicyType,
};

use crate::authz::auth::{Caller, PrincipalKind, SessionKind};
use crate::authz::{Ask, RequestFacts};
use crate::error::{CoreError, Result};
use crate::iam::policies::compile_document;
use crate::model::Epoch;
use crate::Warden;

/// One action on one resource, as a service asks it.
#[derive(Debug, Clone, Default)]
pub struct ServiceCheck {
    /// `service:Action`, e.g. `s3:GetObject`.
    pub action: String,
    /// The resource's ARN, or `*`.
    pub resource: String,
    /// The account that owns the resource when the ARN does not name one (S3 buckets and objects).
    pub resource_account: Option<String>,
    /// Condition keys of this request (`s3:prefix`, `aws:SourceIp`, ...), besides the principal's,
    /// which warden supplies and a service may not ([`check_service_keys`]).
    pub keys: Vec<(String, ContextValue)>,
    /// The resource's policy (JSON), validated as a resource-based policy.
    pub resource_policy: Option<String>,
}

/// A statement that took part in a decision, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecidingStatement {
    /// `identity`, `resource`, `boundary`, `session`, `scp`, `rcp`, ...
    pub policy_type: &'static str,
    /// The policy's name (an inline policy's name, a managed policy's ARN, an SCP's id).
    pub policy_name: String,
    /// The statement's `Sid`, if it has one.
    pub sid: Option<String>,
    /// Its index in the policy's statements.
    pub statement_index: u32,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
}

/// The answer to one [`ServiceCheck`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDecision {
    /// Allow, explicit or implicit deny.
    pub kind: DecisionKind,
    /// The policy type that decided (the one that denied, or the layer that did not allow).
    pub decided_by: Option<&'static str>,
    /// The statements that decided.
    pub statements: Vec<DecidingStatement>,
    /// AWS's AccessDenied text for a denial, for the service to return.
    pub access_denied_message: Option<String>,
}

/// Keys only warden knows, from the principal and its session: a service may not supply them, or it could
/// claim another principal's organization, tags or MFA.
const PRINCIPAL_KEYS: &[&str] = &[
    "aws:username",
    "aws:userid",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principaltype",
    "aws:principalisawsservice",
    "aws:principalservicename",
    "aws:principalservicenameslist",
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:tokenissuetime",
    "aws:sourceidentity",
    "aws:federatedprovider",
    "aws:currenttime",
    "aws:epochtime",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
    "aws:resourceaccount",
];

/// Whether `key` (lower-cased) is one an identity provider's session carries: `saml:*`, or an OIDC
/// provider's `HOST[/PATH]:claim`, whose host is no service prefix (those are `[a-z0-9-]+`). A service
/// supplying one could pose as a federated user of another subject. The prefix ends at the first `:`,
/// as a service key's tag part (`s3:ExistingObjectTag/a:b`) may hold more.
fn is_identity_provider_key(key: &str) -> bool {
    let prefix = key.split_once(':').map_or("", |(p, _)| p);
    prefix == "saml"
        || prefix
            .bytes()
            .any(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
}

/// Refuses keys a service may not supply: the principal's (`aws:PrincipalTag/*` included) and the
/// resource's organization, which warden derives.
pub fn check_service_keys(keys: &[(String, ContextValue)]) -> Result<()> {
    for (k, _) in keys {
        let lower = k.to_ascii_lowercase();
        if PRINCIPAL_KEYS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&lower))
            || lower.starts_with("aws:principaltag/")
            || is_identity_provider_key(&lower)
        {
            return Err(CoreError::InvalidInput(format!(
                "The condition key {k} is derived by warden from the principal and the resource; \
                 a service may not supply it."
            )));
        }
    }
    Ok(())
}

/// Resource policies compiled from their text, so a service that sends the same bucket policy with
/// every request pays for its parsing once. A compiled policy depends on its text alone, so one cache
/// serves every `Warden`; it is bounded (emptied when full), and invalid texts are never cached.
static COMPILED_RESOURCE_POLICIES: LazyLock<Mutex<HashMap<String, Arc<Policy>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Most resource policies kept compiled (up to 20 KB each: 5 MB at most).
const COMPILED_RESOURCE_POLICIES_MAX: usize = 256;

/// `doc` compiled as a resource-based policy, with IAM's errors.
fn compiled_resource_policy(doc: &str) -> Result<Arc<Policy>> {
    if let Some(p) = COMPILED_RESOURCE_POLICIES.lock().get(doc) {
        return Ok(Arc::clone(p));
    }
    let policy = compile_document(doc, PolicyType::Resource)?
        .0
        .ok_or_else(|| CoreError::Internal("resource policy".to_string()))?;
    let mut cache = COMPILED_RESOURCE_POLICIES.lock();
    if cache.len() >= COMPILED_RESOURCE_POLICIES_MAX {
        cache.clear();
    }
    cache.insert(doc.to_string(), Arc::clone(&policy));
    Ok(policy)
}

/// Who a request's principal is, for the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalFacts {
    /// `Root`, `IAMUser`, `AssumedRole`, `FederatedUser` (CloudTrail's `userIdentity.type` words).
    pub kind: &'static str,
    /// The principal's account.
    pub account: String,
    /// Its ARN (a session's ARN for temporary credentials).
    pub arn: String,
    /// `aws:userid`.
    pub user_id: String,
    /// The access key that signed.
    pub access_key_id: String,
    /// Principal tags: the user's or role's, overridden by session tags (any case).
    pub tags: Vec<(String, String)>,
    /// Facts of temporary credentials.
    pub session: Option<SessionFacts>,
}

/// What a service may want to know of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    /// Whether MFA was presented when it was issued.
    pub mfa_authenticated: bool,
    /// When MFA was presented.
    pub mfa_auth_time: Option<Epoch>,
    /// `sts:SourceIdentity`.
    pub source_identity: Option<String>,
    /// When it was issued (`aws:TokenIssueTime`).
    pub issued: Epoch,
    /// When it expires.
    pub expires: Epoch,
}

impl Warden {
    /// Decides `check` for `caller` (`None`: an anonymous request, which only a resource policy
    /// allowing `"*"` can allow), as AWS decides a request to the service, with `facts` (the request's
    /// time and global keys).
    pub fn decide_for_service(
        &self,
        caller: Option<&Caller>,
        check: &ServiceCheck,
        facts: &RequestFacts,
    ) -> Result<ServiceDecision> {
        self.decide_for_service_watching(caller, check, facts, None)
            .map(|(decision, _)| decision)
    }

    /// [`Warden::decide_for_service`], also telling whether a policy that took part in the decision
    /// mentions a condition key starting with `key_prefix` (case-insensitive: in a condition's key,
    /// in a condition's values or in a `Resource`, where a policy variable can read it). A key that
    /// costs a lookup (S3's `s3:ExistingObjectTag/<key>`, stored in the backend) is needed only when
    /// this says so: no policy reading it, no decision can change with it.
    pub fn decide_for_service_watching(
        &self,
        caller: Option<&Caller>,
        check: &ServiceCheck,
        facts: &RequestFacts,
        key_prefix: Option<&str>,
    ) -> Result<(ServiceDecision, bool)> {
        check_service_keys(&check.keys)?;
        if let Some(account) = &check.resource_account {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(CoreError::InvalidInput(format!(
                    "ResourceAccount {account} is not a 12-digit account ID."
                )));
            }
        }
        let resource_policy = check
            .resource_policy
            .as_deref()
            .map(|doc| {
                compiled_resource_policy(doc).map(|p| NamedPolicy::new("resource policy", p))
            })
            .transpose()?;
        if let Some(c) = caller {
            crate::authz::check_session_limits(c, &check.action)?;
        }
        let ask = Ask {
            caller,
            outside_principal: None,
            action: &check.action,
            resource: &check.resource,
            resource_account: check.resource_account.as_deref(),
            facts,
            check_keys: &check.keys,
            resource_policy: resource_policy.as_ref(),
            require_resource_allow: false,
        };
        self.decide_ask(&ask, |decision, set, ctx| {
            let statements = statements_of(decision, set);
            let access_denied_message = (decision.kind != DecisionKind::Allow).then(|| {
                decision.access_denied_message(ctx).unwrap_or_else(|| {
                    let who = caller.map_or("anonymous", |c| c.arn.as_str());
                    format!(
                        "User: {who} is not authorized to perform: {} on resource: {}",
                        check.action, check.resource
                    )
                })
            });
            let mentioned = key_prefix.is_some_and(|prefix| set_mentions(set, prefix));
            (
                ServiceDecision {
                    kind: decision.kind,
                    decided_by: decision.decided_by.map(PolicyType::as_str),
                    statements,
                    access_denied_message,
                },
                mentioned,
            )
        })
    }

    /// Who `caller` is, for a service: its kind, ARN, ids, principal tags and session facts.
    pub fn principal_facts(&self, caller: &Caller) -> PrincipalFacts {
        let s = self.read();
        let (kind, model_tags) = match &caller.kind {
            PrincipalKind::Root => ("Root", Vec::new()),
            PrincipalKind::User { name_lower } => (
                "IAMUser",
                s.user(&caller.account, name_lower)
                    .map(|u| u.tags.clone())
                    .unwrap_or_default(),
            ),
            PrincipalKind::AssumedRole {
                role_name_lower, ..
            } => (
                "AssumedRole",
                s.role(&caller.account, role_name_lower)
                    .map(|r| r.tags.clone())
                    .unwrap_or_default(),
            ),
            PrincipalKind::FederatedUser { .. } => ("FederatedUser", Vec::new()),
        };
        drop(s);
        let mut tags: Vec<(String, String)> =
            model_tags.into_iter().map(|t| (t.key, t.value)).collect();
        let session = caller.session.as_ref().map(|session| {
            for (k, v) in &session.session_tags {
                tags.retain(|(have, _)| !have.eq_ignore_ascii_case(k));
                tags.push((k.clone(), v.clone()));
            }
            SessionFacts {
                mfa_authenticated: session.mfa_authenticated,
                mfa_auth_time: session.mfa_auth_time,
                source_identity: session.source_identity.clone(),
                issued: session.issued,
                expires: session.expires,
            }
        });
        let kind = match caller.session.as_ref().map(|s| s.kind) {
            Some(SessionKind::RootTask) => "Root",
            _ => kind,
        };
        PrincipalFacts {
            kind,
            account: caller.account.clone(),
            arn: caller.arn.clone(),
            user_id: caller.user_id.clone(),
            access_key_id: caller.access_key_id.clone(),
            tags,
            session,
        }
    }
}

/// Whether a policy of `set` mentions `prefix` ([`Warden::decide_for_service_watching`]).
fn set_mentions(set: &PolicySet<'_>, prefix: &str) -> bool {
    let levels = set.scp_levels.iter().chain(set.rcp_levels).flatten();
    set.identity
        .iter()
        .chain(set.boundary)
        .chain(set.session)
        .chain(set.scope_down)
        .chain(set.resource)
        .chain(levels)
        .any(|p| policy_mentions(&p.policy, prefix))
}

/// Whether a condition key, a condition value or a resource of `policy` contains `prefix`, in any case.
fn policy_mentions(policy: &Policy, prefix: &str) -> bool {
    let has = |text: &str| {
        text.as_bytes()
            .windows(prefix.len())
            .any(|w| w.eq_ignore_ascii_case(prefix.as_bytes()))
    };
    policy.document().statements.iter().any(|st| {
        st.conditions
            .iter()
            .any(|c| has(&c.key.value) || c.values.iter().any(|v| has(&v.value)))
            || st
                .resource
                .as_ref()
                .is_some_and(|r| r.values.iter().any(|v| has(&v.value)))
    })
}

/// The decision's matched statements, named.
fn statements_of(decision: &Decision, set: &PolicySet<'_>) -> Vec<DecidingStatement> {
    decision
        .matched()
        .iter()
        .map(|r| DecidingStatement {
            policy_type: r.policy_type.as_str(),
            policy_name: set
                .policy(r)
                .map(|p| p.name.to_string())
                .unwrap_or_default(),
            sid: set.sid(r).map(str::to_string),
            statement_index: r.statement,
            effect: match r.effect {
                warden_policy::Effect::Allow => "Allow",
                warden_policy::Effect::Deny => "Deny",
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a test fails loudly on a broken fixture"
    )]

    use super::*;
    use crate::authz::tests::user_in;
    use crate::iam::policies::Holder;
    use crate::model::now_epoch;

    const A: &str = "111111111111";
    const B: &str = "222222222222";

    #[test]
    fn a_service_may_not_supply_an_identity_providers_session_keys() {
        let key = |k: &str| vec![(k.to_string(), ContextValue::from("x"))];
        for refused in [
            "saml:sub",
            "SAML:namequalifier",
            "idp.example.com/tenant:sub",
            "10.0.0.5:8443/realms/ci:sub",
            "cognito-identity.amazonaws.com:amr",
        ] {
            assert!(check_service_keys(&key(refused)).is_err(), "{refused}");
        }
        for allowed in [
            "s3:prefix",
            "s3:ExistingObjectTag/a:b",
            "ec2:ResourceTag/x",
            "custom",
        ] {
            assert!(check_service_keys(&key(allowed)).is_ok(), "{allowed}");
        }
    }
    const OBJECT: &str = "arn:aws:s3:::bucket/home/alice/notes.txt";

    fn facts() -> RequestFacts {
        RequestFacts {
            keys: Vec::new(),
            now: now_epoch(),
        }
    }

    fn doc(statements: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
    }

    fn get(resource_account: &str, policy: Option<String>) -> ServiceCheck {
        ServiceCheck {
            action: "s3:GetObject".into(),
            resource: OBJECT.into(),
            resource_account: Some(resource_account.into()),
            keys: Vec::new(),
            resource_policy: policy,
        }
    }

    fn world() -> (Warden, Caller) {
        let w = Warden::in_memory_for_tests(A).unwrap();
        let alice = user_in(&w, A, "alice");
        (w, alice)
    }

    #[test]
    fn identity_policies_decide_in_the_same_account() {
        let (w, alice) = world();
        let d = w
            .decide_for_service(Some(&alice), &get(A, None), &facts())
            .unwrap();
        assert_eq!(d.kind, DecisionKind::ImplicitDeny);
        assert_eq!(
            d.access_denied_message.as_deref(),
            Some(
                "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: \
                 s3:GetObject on resource: arn:aws:s3:::bucket/home/alice/notes.txt because no \
                 identity-based policy allows the s3:GetObject action"
            )
        );
        w.iam(A)
            .put_inline_policy(
                Holder::User("alice"),
                "read",
                &doc(r#"{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}"#),
            )
            .unwrap();
        let d = w
            .decide_for_service(Some(&alice), &get(A, None), &facts())
            .unwrap();
        assert_eq!(d.kind, DecisionKind::Allow);
        assert_eq!(d.access_denied_message, None);
        assert_eq!(d.statements.len(), 1);
        assert_eq!(
            (
                d.statements[0].policy_type,
                d.statements[0].sid.as_deref(),
                d.statements[0].effect
            ),
            ("identity", Some("Read"), "Allow")
        );
        // A bucket policy's explicit deny beats the identity allow.
        let deny =
            doc(r#"{"Sid":"No","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}"#);
        let d = w
            .decide_for_service(Some(&alice), &get(A, Some(deny)), &facts())
            .unwrap();
        assert_eq!(d.kind, DecisionKind::ExplicitDeny);
        assert_eq!(d.decided_by, Some("resource"));
        assert!(d
            .access_denied_message
            .unwrap()
            .ends_with("with an explicit deny in a resource-based policy"));
    }

    #[test]
    fn only_a_policy_that_applies_and_reads_the_key_asks_for_it() {
        let (w, alice) = world();
        let watching = |policy: Option<String>| {
            w.decide_for_service_watching(
                Some(&alice),
                &get(A, policy),
                &facts(),
                Some("s3:existingobjecttag/"),
            )
            .unwrap()
            .1
        };
        w.iam(A)
            .put_inline_policy(
                Holder::User("alice"),
                "read",
                &doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#),
            )
            .unwrap();
        assert!(!watching(None));
        let tagged = doc(
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/Class":"secret"}}}"#,
        );
        assert!(watching(Some(tagged)));
        // In an identity policy, or read through a policy variable in a resource.
        w.iam(A)
            .put_inline_policy(
                Holder::User("alice"),
                "own",
                &doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${s3:existingObjectTag/owner}/*"}"#),
            )
            .unwrap();
        assert!(watching(None));
        // Not asked: no scan.
        let (_, mentioned) = w
            .decide_for_service_watching(Some(&alice), &get(A, None), &facts(), None)
            .unwrap();
        assert!(!mentioned);
    }

    #[test]
    fn another_accounts_bucket_needs_both_policies() {
        let (w, alice) = world();
        w.iam(A)
            .put_inline_policy(
                Holder::User("alice"),
                "read",
                &doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#),
            )
            .unwrap();
        let d = w
            .decide_for_service(Some(&alice), &get(B, None), &facts())
            .unwrap();
        assert_eq!(
            d.kind,
            DecisionKind::ImplicitDeny,
            "B's bucket has no policy for A"
        );
        let grant = doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":"s3:GetObject","Resource":"*"}}"#
        ));
        let d = w
            .decide_for_service(Some(&alice), &get(B, Some(grant.clone())), &facts())
            .unwrap();
        assert_eq!(d.kind, DecisionKind::Allow);
        // The same bucket in A's own account: the identity policy alone would do.
        let d = w
            .decide_for_service(Some(&alice), &get(A, None), &facts())
            .unwrap();
        assert_eq!(d.kind, DecisionKind::Allow);
    }

    #[test]
    fn anonymous_requests_need_a_public_resource_policy() {
        let (w, _) = world();
        let d = w.decide_for_service(None, &get(A, None), &facts()).unwrap();
        assert_eq!(d.kind, DecisionKind::ImplicitDeny);
        let public = doc(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}"#,
        );
        let d = w
            .decide_for_service(None, &get(A, Some(public)), &facts())
            .unwrap();
        assert_eq!(d.kind, DecisionKind::Allow);
        let only_a = doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":"s3:GetObject","Resource":"*"}}"#
        ));
        let d = w
            .decide_for_service(None, &get(A, Some(only_a)), &facts())
            .unwrap();
        assert_eq!(d.kind, DecisionKind::ImplicitDeny);
    }

    #[test]
    fn a_service_cannot_supply_the_principals_keys() {
        let (w, alice) = world();
        for key in [
            "aws:PrincipalOrgID",
            "AWS:PrincipalTag/team",
            "aws:MultiFactorAuthPresent",
            "aws:userid",
        ] {
            let mut check = get(A, None);
            check.keys = vec![(key.to_string(), ContextValue::from("x".to_string()))];
            let err = w
                .decide_for_service(Some(&alice), &check, &facts())
                .unwrap_err();
            assert!(matches!(err, CoreError::InvalidInput(_)), "{key}: {err:?}");
        }
        // Request keys are the service's to give.
        let mut check = get(A, None);
        check.keys = vec![(
            "s3:prefix".to_string(),
            ContextValue::from("home/".to_string()),
        )];
        assert!(w.decide_for_service(Some(&alice), &check, &facts()).is_ok());
    }

    #[test]
    fn resource_policies_are_compiled_once_per_text() {
        let doc =
            doc(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#);
        let a = compiled_resource_policy(&doc).unwrap();
        let b = compiled_resource_policy(&doc).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        // Invalid texts are refused every time, never cached.
        for _ in 0..2 {
            assert!(matches!(
                compiled_resource_policy("{"),
                Err(CoreError::MalformedPolicyDocument(_))
            ));
        }
        assert!(!COMPILED_RESOURCE_POLICIES.lock().contains_key("{"));
    }

    #[test]
    fn a_malformed_resource_policy_gets_iams_answer() {
        let (w, alice) = world();
        let err = w
            .decide_for_service(Some(&alice), &get(A, Some("{".into())), &facts())
            .unwrap_err();
        assert!(
            matches!(err, CoreError::MalformedPolicyDocument(_)),
            "{err:?}"
        );
    }

    #[test]
    fn principal_facts_carry_tags_with_session_tags_winning() {
        let (w, alice) = world();
        w.iam(A)
            .tag_user(
                "alice",
                &[crate::model::Tag {
                    key: "Team".into(),
                    value: "blue".into(),
                }],
            )
            .unwrap();
        let f = w.principal_facts(&alice);
        assert_eq!(f.kind, "IAMUser");
        assert_eq!(f.arn, "arn:aws:iam::111111111111:user/alice");
        assert_eq!(f.tags, vec![("Team".to_string(), "blue".to_string())]);
        assert_eq!(f.session, None);
    }
}
