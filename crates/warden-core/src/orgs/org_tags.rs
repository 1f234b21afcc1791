//! Tags on an organization's resources: its root, OUs, accounts and customer
//! managed policies (TagResource, UntagResource, ListTagsForResource, and
//! the `Tags` of the create calls).

use crate::error::{CoreError, Result};
use crate::model::Tag;
use crate::orgs::{Organization, Orgs};

/// Tags per resource (Organizations quotas).
const MAX_TAGS: usize = 50;

/// Whether `id` names a resource of `org` that takes tags. AWS managed
/// policies belong to no organization, so they do not.
fn taggable(org: &Organization, id: &str) -> bool {
    id == org.root_id()
        || org.unit(id).is_some()
        || org.members.iter().any(|m| m.account == id)
        || org.policies.iter().any(|p| p.id == id)
        || org.resource_policy.as_ref().is_some_and(|p| p.id == id)
}

/// Checks a request's tags on their own: unique keys, no `aws:` keys.
pub(crate) fn check_tags(tags: &[Tag]) -> Result<()> {
    for (i, t) in tags.iter().enumerate() {
        if tags[..i].iter().any(|u| u.key == t.key) {
            return Err(CoreError::OrgInvalidInput {
                reason: "DUPLICATE_TAG_KEY",
                message: "Tag keys must be unique among the tags attached to the same entity."
                    .to_string(),
            });
        }
        if t.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(CoreError::OrgInvalidInput {
                reason: "INVALID_SYSTEM_TAGS_PARAMETER",
                message: "You specified a tag key that is a system tag.".to_string(),
            });
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(())
}

fn too_many_tags() -> CoreError {
    CoreError::OrgConstraintViolation {
        reason: "MAX_TAG_LIMIT_EXCEEDED",
        message: "You have exceeded the number of tags allowed on this resource.".to_string(),
    }
}

/// Adds `tags` to the resource `id` (a tag with a key it already has
/// replaces the value), enforcing AWS's limits. Create calls use it too.
pub(crate) fn apply_tags(org: &mut Organization, id: &str, tags: Vec<Tag>) -> Result<()> {
    check_tags(&tags)?;
    if tags.is_empty() {
        return Ok(());
    }
    let current = org.tags.entry(id.to_string()).or_default();
    for t in tags {
        match current.iter_mut().find(|c| c.key == t.key) {
            Some(c) => c.value = t.value,
            None => current.push(t),
        }
    }
    if current.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(())
}

impl Orgs<'_> {
    /// TagResource.
    pub fn tag_org_resource(&self, id: &str, tags: Vec<Tag>) -> Result<()> {
        self.edit_org(|org| {
            if !taggable(org, id) {
                return Err(CoreError::TargetNotFound);
            }
            apply_tags(org, id, tags)
        })
    }

    /// UntagResource: keys the resource does not have are ignored.
    pub fn untag_org_resource(&self, id: &str, keys: &[String]) -> Result<()> {
        self.edit_org(|org| {
            if !taggable(org, id) {
                return Err(CoreError::TargetNotFound);
            }
            if let Some(current) = org.tags.get_mut(id) {
                current.retain(|t| !keys.contains(&t.key));
                if current.is_empty() {
                    org.tags.remove(id);
                }
            }
            Ok(())
        })
    }

    /// ListTagsForResource, in the order the keys were first set.
    pub fn org_resource_tags(&self, id: &str) -> Result<Vec<Tag>> {
        let org = self.managed_org()?;
        if !taggable(&org, id) {
            return Err(CoreError::TargetNotFound);
        }
        Ok(org.tags.get(id).cloned().unwrap_or_default())
    }
}
