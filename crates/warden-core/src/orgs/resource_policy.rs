//! The organization's resource policy (PutResourcePolicy,
//! DescribeResourcePolicy, DeleteResourcePolicy): one per organization,
//! validated as a resource-based policy.

use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};
use warden_policy::{
    evaluate, DecisionKind, EvalOptions, NamedPolicy, Policy, PolicySet, PolicyType, Principal,
    RequestContext,
};

use crate::access::Check;
use crate::authz::auth::{Caller, PrincipalKind};
use crate::error::{CoreError, Result};
use crate::model::Tag;
use crate::orgs::{random_lower, Organization, Orgs};

/// The request an [`Orgs`] handle serves: who calls, and the checks the
/// action table made of it (the edge has already allowed them by the
/// caller's own policies).
#[derive(Debug, Clone, Copy)]
pub struct RequestGrant<'a> {
    /// The caller.
    pub caller: &'a Caller,
    /// The request's actions and resources.
    pub checks: &'a [Check],
}

/// Stands for the caller's identity policies, which the edge has already
/// decided, so the evaluation below turns on the resource policy alone.
static DECIDED_AT_THE_EDGE: LazyLock<Option<NamedPolicy>> = LazyLock::new(|| {
    Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .ok()
    .map(|p| NamedPolicy::new("identity policies (decided at the edge)", Arc::new(p)))
});

/// Whether an action is one the organization's resource policy may grant:
/// the read-only Describe and List calls (Organizations User Guide,
/// orgs_delegate_policies). Writes stay the management account's.
fn delegable(action: &str) -> bool {
    action
        .strip_prefix("organizations:")
        .is_some_and(|a| a.starts_with("Describe") || a.starts_with("List"))
}

/// Whether `org`'s resource policy allows `caller` every check of its
/// request, and denies none: each evaluated as a cross-account request to
/// the management account's organization.
fn grants(org: &Organization, caller: &Caller, checks: &[Check]) -> bool {
    let (Some(rp), Some(identity)) = (&org.resource_policy, DECIDED_AT_THE_EDGE.as_ref()) else {
        return false;
    };
    let Ok(policy) = Policy::parse_as(&rp.content, PolicyType::Resource) else {
        return false;
    };
    let named = NamedPolicy::new(rp.id.as_str(), Arc::new(policy));
    let Ok(principal) = Principal::parse(&caller.arn) else {
        return false;
    };
    let principal = match &caller.kind {
        PrincipalKind::AssumedRole { role_arn, .. } => principal.with_role_arn(role_arn),
        _ => principal,
    };
    !checks.is_empty()
        && checks.iter().all(|c| {
            if !delegable(c.action) {
                return false;
            }
            let Ok(mut ctx) = RequestContext::new(principal.clone(), c.action, &c.resource) else {
                return false;
            };
            ctx.set_resource_account(&org.management_account);
            ctx.insert("aws:PrincipalAccount", caller.account.as_str());
            ctx.insert("aws:PrincipalOrgID", org.id.as_str());
            for (k, v) in &c.keys {
                ctx.insert(k, v.clone());
            }
            let set = PolicySet {
                identity: std::slice::from_ref(identity),
                resource: Some(&named),
                boundary: None,
                session: &[],
                scp_levels: &[],
                rcp_levels: &[],
            };
            evaluate(&ctx, &set, &EvalOptions::default()).kind == DecisionKind::Allow
        })
}

impl<'a> Orgs<'a> {
    /// This handle, serving the request of `caller` with `checks`.
    pub fn serving(self, caller: &'a Caller, checks: &'a [Check]) -> Self {
        Orgs {
            request: Some(RequestGrant { caller, checks }),
            ..self
        }
    }
}

impl Orgs<'_> {
    /// Whether the request served is a read the organization's resource
    /// policy grants the calling member.
    pub(crate) fn granted_by_resource_policy(&self, org: &Organization) -> bool {
        self.request
            .is_some_and(|r| r.caller.account == self.account && grants(org, r.caller, r.checks))
    }
}

/// The stored resource policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgResourcePolicy {
    /// `rp-` + 8 lower-case letters and digits (the API allows `rp-` and
    /// 4 to 128 word characters).
    pub id: String,
    /// The policy document as given.
    pub content: String,
}

/// The resource policy with its ARN, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePolicyView {
    /// `rp-...`.
    pub id: String,
    /// `arn:aws:organizations::MGMT:resourcepolicy/o-ORG/rp-ID`.
    pub arn: String,
    /// The document.
    pub content: String,
}

fn view(org: &crate::orgs::Organization, p: &OrgResourcePolicy) -> ResourcePolicyView {
    ResourcePolicyView {
        id: p.id.clone(),
        arn: format!(
            "arn:aws:organizations::{}:resourcepolicy/{}/{}",
            org.management_account, org.id, p.id
        ),
        content: p.content.clone(),
    }
}

impl Orgs<'_> {
    /// PutResourcePolicy (management account only): creates the policy or
    /// replaces its content, keeping its id. The content must be a valid
    /// resource-based policy; AWS's exact answer to a malformed one is not
    /// recorded, so warden answers Organizations' MalformedPolicyDocumentException.
    pub fn put_resource_policy(&self, content: &str, tags: Vec<Tag>) -> Result<ResourcePolicyView> {
        crate::orgs::org_tags::check_tags(&tags)?;
        if Policy::parse_as(content, PolicyType::Resource).is_err() {
            return Err(CoreError::OrgMalformedPolicyDocument);
        }
        self.edit_org(|org| {
            let policy = match org.resource_policy.take() {
                Some(mut p) => {
                    p.content = content.to_string();
                    p
                }
                None => OrgResourcePolicy {
                    id: format!("rp-{}", random_lower(8)),
                    content: content.to_string(),
                },
            };
            crate::orgs::org_tags::apply_tags(org, &policy.id, tags)?;
            let out = view(org, &policy);
            org.resource_policy = Some(policy);
            Ok(out)
        })
    }

    /// DescribeResourcePolicy (management account or a delegated administrator).
    pub fn describe_resource_policy(&self) -> Result<ResourcePolicyView> {
        let org = self.readable_org()?;
        let policy = org
            .resource_policy
            .as_ref()
            .ok_or(CoreError::ResourcePolicyNotFound)?;
        Ok(view(&org, policy))
    }

    /// DeleteResourcePolicy (management account only), with its tags.
    pub fn delete_resource_policy(&self) -> Result<()> {
        self.edit_org(|org| {
            let policy = org
                .resource_policy
                .take()
                .ok_or(CoreError::ResourcePolicyNotFound)?;
            org.tags.remove(&policy.id);
            Ok(())
        })
    }
}
