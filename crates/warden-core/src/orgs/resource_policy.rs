//! The organization's resource policy (PutResourcePolicy,
//! DescribeResourcePolicy, DeleteResourcePolicy): one per organization,
//! validated as a resource-based policy.

use serde::{Deserialize, Serialize};
use warden_policy::{Policy, PolicyType};

use crate::error::{CoreError, Result};
use crate::model::Tag;
use crate::orgs::{random_lower, Orgs};

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
