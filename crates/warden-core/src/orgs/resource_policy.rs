//! The organization's resource policy (PutResourcePolicy,
//! DescribeResourcePolicy, DeleteResourcePolicy): one per organization,
//! validated as a resource-based policy.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use warden_policy::{DecisionKind, NamedPolicy, Policy, PolicyType};

use crate::access::Check;
use crate::authz::auth::Caller;
use crate::authz::{Ask, RequestFacts};
use crate::error::{CoreError, Result};
use crate::model::Tag;
use crate::orgs::{random_lower, Organization, Orgs};

/// The request an [`Orgs`] handle serves: who calls, the checks the action
/// table made of it (the edge has already decided them as the caller's own
/// account's), and the request's keys.
#[derive(Debug, Clone, Copy)]
pub struct RequestGrant<'a> {
    /// The caller.
    pub caller: &'a Caller,
    /// The request's actions and resources.
    pub checks: &'a [Check],
    /// The request's time and global keys.
    pub facts: &'a RequestFacts,
}

/// Whether an action is one the organization's resource policy may grant:
/// the read-only Describe and List calls (Organizations User Guide,
/// orgs_delegate_policies). Writes stay the management account's.
fn delegable(action: &str) -> bool {
    action
        .strip_prefix("organizations:")
        .is_some_and(|a| a.starts_with("Describe") || a.starts_with("List"))
}

impl<'a> Orgs<'a> {
    /// This handle, serving the request of `caller` with `checks` and `facts`.
    pub fn serving(self, caller: &'a Caller, checks: &'a [Check], facts: &'a RequestFacts) -> Self {
        Orgs {
            request: Some(RequestGrant {
                caller,
                checks,
                facts,
            }),
            ..self
        }
    }
}

impl Orgs<'_> {
    /// Whether the request served is a read the organization's resource
    /// policy grants the calling member: every check, decided by the one
    /// engine entry as a request to the management account's resource
    /// (the caller's identity policies, boundary, session policies and SCPs,
    /// and the resource policy, which must allow: a cross-account request),
    /// with the request's own keys. Call it without holding the model's lock.
    pub(crate) fn granted_by_resource_policy(&self, org: &Organization) -> bool {
        let (Some(r), Some(rp)) = (self.request, &org.resource_policy) else {
            return false;
        };
        if r.caller.account != self.account || r.checks.is_empty() {
            return false;
        }
        let Ok(policy) = Policy::parse_as(&rp.content, PolicyType::Resource) else {
            return false;
        };
        let named = NamedPolicy::new(rp.id.as_str(), Arc::new(policy));
        r.checks.iter().all(|c| {
            delegable(c.action)
                && self
                    .warden
                    .decide_ask(
                        &Ask {
                            caller: Some(r.caller),
                            outside_principal: None,
                            action: c.action,
                            resource: &c.resource,
                            resource_account: Some(&org.management_account),
                            facts: r.facts,
                            check_keys: &c.keys,
                            resource_policy: Some(&named),
                            require_resource_allow: true,
                        },
                        |d, _, _| d.kind == DecisionKind::Allow,
                    )
                    .unwrap_or(false)
        })
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
