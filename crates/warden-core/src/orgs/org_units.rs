//! Organizational units: the tree under an organization's root that
//! accounts are moved into, and that SCPs attach to. An account's SCP
//! levels are its root, each OU from the top down to its parent, and the
//! account itself.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::model::Tag;
use crate::orgs::{random_lower, Member, Organization, Orgs};

/// How deep OUs may nest under the root (Organizations quotas).
const MAX_OU_DEPTH: usize = 5;
/// OUs per organization (Organizations quotas).
const MAX_OUS: usize = 2_000;

/// An organizational unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    /// `ou-` + the root's four characters + `-` + 8 lower-case letters and
    /// digits.
    pub id: String,
    /// Unique among the OUs of the same parent (case-sensitive).
    pub name: String,
    /// The root or OU it sits in.
    pub parent: String,
}

/// A root or OU: what can hold accounts and OUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentKind {
    /// The organization's one root (`r-...`).
    Root,
    /// An organizational unit (`ou-...`).
    OrganizationalUnit,
}

impl ParentKind {
    /// The API's `ParentType`.
    pub fn as_str(self) -> &'static str {
        match self {
            ParentKind::Root => "ROOT",
            ParentKind::OrganizationalUnit => "ORGANIZATIONAL_UNIT",
        }
    }
}

/// An account or OU: what a parent holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Child {
    /// A member account, by its 12-digit id.
    Account(String),
    /// An organizational unit, by its `ou-...` id.
    OrganizationalUnit(String),
}

impl Organization {
    /// The OU with id `id`, if this organization has one.
    pub fn unit(&self, id: &str) -> Option<&OrgUnit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// `arn:aws:organizations::MANAGEMENT:ou/o-.../ou-...`.
    pub fn unit_arn(&self, id: &str) -> String {
        format!(
            "arn:aws:organizations::{}:ou/{}/{id}",
            self.management_account, self.id
        )
    }

    /// What `id` names when it is a root or an OU of this organization.
    pub fn parent_kind(&self, id: &str) -> Option<ParentKind> {
        if id == self.root_id() {
            Some(ParentKind::Root)
        } else {
            self.unit(id).map(|_| ParentKind::OrganizationalUnit)
        }
    }

    /// The root or OU an account sits in.
    pub fn parent_of_account(&self, account: &str) -> String {
        self.account_parents
            .get(account)
            .cloned()
            .unwrap_or_else(|| self.root_id())
    }

    /// The containers above `parent`, `parent` included, from the root down.
    pub fn containers_down_to(&self, parent: &str) -> Vec<String> {
        let mut chain = Vec::new();
        let mut at = Some(parent.to_string());
        // Bounded by the depth limit, so a damaged record cannot loop.
        while let Some(id) = at.take() {
            if chain.len() > MAX_OU_DEPTH + 1 {
                break;
            }
            at = self.unit(&id).map(|u| u.parent.clone());
            chain.push(id);
        }
        chain.reverse();
        chain
    }

    /// The API's `Path` of a root or OU: `o-ID/r-ID/ou-.../`.
    pub fn path_of(&self, container: &str) -> String {
        let mut path = format!("{}/", self.id);
        for c in self.containers_down_to(container) {
            path.push_str(&c);
            path.push('/');
        }
        path
    }

    /// The API's `Paths` entry of an account.
    pub fn account_path(&self, account: &str) -> String {
        format!(
            "{}{account}/",
            self.path_of(&self.parent_of_account(account))
        )
    }

    fn is_member(&self, account: &str) -> bool {
        self.members.iter().any(|m| m.account == account)
    }
}

fn unit_mut<'o>(org: &'o mut Organization, id: &str) -> Result<&'o mut OrgUnit> {
    org.units
        .iter_mut()
        .find(|u| u.id == id)
        .ok_or(CoreError::OrganizationalUnitNotFound)
}

/// OU names are unique among a parent's OUs.
fn check_sibling_name(org: &Organization, parent: &str, name: &str, except: &str) -> Result<()> {
    if org
        .units
        .iter()
        .any(|u| u.parent == parent && u.name == name && u.id != except)
    {
        return Err(CoreError::DuplicateOrganizationalUnit);
    }
    Ok(())
}

impl Orgs<'_> {
    /// CreateOrganizationalUnit. With SCPs enabled the new OU gets
    /// `FullAWSAccess`, as every root, OU and account has.
    pub fn create_org_unit(&self, parent: &str, name: &str, tags: Vec<Tag>) -> Result<OrgUnit> {
        self.edit_org(|org| {
            if org.parent_kind(parent).is_none() {
                return Err(CoreError::ParentNotFound);
            }
            check_sibling_name(org, parent, name, "")?;
            // The chain holds the root, so its length is the new OU's depth.
            if org.containers_down_to(parent).len() > MAX_OU_DEPTH {
                return Err(CoreError::OrgConstraintViolation {
                    reason: "OU_DEPTH_LIMIT_EXCEEDED",
                    message: "You attempted to create an OU tree that is too many levels deep."
                        .to_string(),
                });
            }
            if org.units.len() >= MAX_OUS {
                return Err(CoreError::OrgConstraintViolation {
                    reason: "OU_NUMBER_LIMIT_EXCEEDED",
                    message: "You attempted to exceed the number of OUs that you can have in an organization."
                        .to_string(),
                });
            }
            let root_part = org.root_id().trim_start_matches("r-").to_string();
            let unit = OrgUnit {
                id: format!("ou-{root_part}-{}", random_lower(8)),
                name: name.to_string(),
                parent: parent.to_string(),
            };
            crate::orgs::org_tags::apply_tags(org, &unit.id, tags)?;
            crate::orgs::org_policies::on_new_target(org, &unit.id);
            org.units.push(unit.clone());
            Ok(unit)
        })
    }

    /// DescribeOrganizationalUnit (management account only); OrganizationalUnitNotFound for an
    /// unknown id.
    pub fn describe_org_unit(&self, id: &str) -> Result<OrgUnit> {
        self.managed_org()?
            .unit(id)
            .cloned()
            .ok_or(CoreError::OrganizationalUnitNotFound)
    }

    /// UpdateOrganizationalUnit: renames the OU.
    pub fn rename_org_unit(&self, id: &str, name: Option<&str>) -> Result<OrgUnit> {
        self.edit_org(|org| {
            let parent = unit_mut(org, id)?.parent.clone();
            if let Some(n) = name {
                check_sibling_name(org, &parent, n, id)?;
            }
            let unit = unit_mut(org, id)?;
            if let Some(n) = name {
                unit.name = n.to_string();
            }
            Ok(unit.clone())
        })
    }

    /// DeleteOrganizationalUnit: only an empty OU; its SCP attachments go
    /// with it.
    pub fn delete_org_unit(&self, id: &str) -> Result<()> {
        self.edit_org(|org| {
            unit_mut(org, id)?;
            let holds_units = org.units.iter().any(|u| u.parent == id);
            let holds_accounts = org.account_parents.values().any(|p| p == id);
            if holds_units || holds_accounts {
                return Err(CoreError::OrganizationalUnitNotEmpty);
            }
            org.units.retain(|u| u.id != id);
            org.attachments.retain(|(t, _)| t != id);
            org.tags.remove(id);
            Ok(())
        })
    }

    /// ListChildren (and ListOrganizationalUnitsForParent,
    /// ListAccountsForParent): OUs in creation order, accounts in joining
    /// order.
    pub fn org_children(&self, parent: &str) -> Result<Vec<Child>> {
        let org = self.managed_org()?;
        if org.parent_kind(parent).is_none() {
            return Err(CoreError::ParentNotFound);
        }
        let units = org
            .units
            .iter()
            .filter(|u| u.parent == parent)
            .map(|u| Child::OrganizationalUnit(u.id.clone()));
        let accounts = org
            .members
            .iter()
            .filter(|m| org.parent_of_account(&m.account) == parent)
            .map(|m| Child::Account(m.account.clone()));
        Ok(units.chain(accounts).collect())
    }

    /// The accounts directly in `parent`.
    pub fn org_accounts_for_parent(&self, parent: &str) -> Result<Vec<Member>> {
        let org = self.managed_org()?;
        if org.parent_kind(parent).is_none() {
            return Err(CoreError::ParentNotFound);
        }
        Ok(org
            .members
            .iter()
            .filter(|m| org.parent_of_account(&m.account) == parent)
            .cloned()
            .collect())
    }

    /// The OUs directly in `parent`.
    pub fn org_units_for_parent(&self, parent: &str) -> Result<Vec<OrgUnit>> {
        let org = self.managed_org()?;
        if org.parent_kind(parent).is_none() {
            return Err(CoreError::ParentNotFound);
        }
        Ok(org
            .units
            .iter()
            .filter(|u| u.parent == parent)
            .cloned()
            .collect())
    }

    /// ListParents: the one root or OU that holds an account or OU.
    pub fn org_parent_of(&self, child: &str) -> Result<(String, ParentKind)> {
        let org = self.managed_org()?;
        let parent = if let Some(u) = org.unit(child) {
            u.parent.clone()
        } else if org.is_member(child) {
            org.parent_of_account(child)
        } else {
            return Err(CoreError::ChildNotFound);
        };
        let kind = org.parent_kind(&parent).ok_or(CoreError::ChildNotFound)?;
        Ok((parent, kind))
    }

    /// MoveAccount: from the root or an OU to another.
    pub fn move_org_account(&self, account: &str, source: &str, destination: &str) -> Result<()> {
        self.edit_org(|org| {
            if !org.is_member(account) {
                return Err(CoreError::AccountNotFound(
                    "We can't find an Amazon Web Services account with the AccountId that you specified, or the account whose credentials you used to make this request isn't a member of an organization."
                        .to_string(),
                ));
            }
            if org.parent_kind(source).is_none() {
                return Err(CoreError::SourceParentNotFound);
            }
            let Some(kind) = org.parent_kind(destination) else {
                return Err(CoreError::DestinationParentNotFound);
            };
            let current = org.parent_of_account(account);
            if current == destination {
                return Err(CoreError::DuplicateAccount);
            }
            if current != source {
                return Err(CoreError::SourceParentNotFound);
            }
            match kind {
                ParentKind::Root => org.account_parents.remove(account),
                ParentKind::OrganizationalUnit => org
                    .account_parents
                    .insert(account.to_string(), destination.to_string()),
            };
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a test fails loudly on a broken fixture"
    )]

    use crate::orgs::org_policies::tests::{admin_in, decision, DENY_CREATE_USER};
    use crate::orgs::org_policies::{FULL_AWS_ACCESS_ID, SCP};
    use crate::Warden;

    const MGMT: &str = "111111111111";

    #[test]
    fn an_ou_scp_reaches_every_account_below_it_and_no_other() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        let org = w.orgs(MGMT).create_organization(None).unwrap();
        let root = org.root_id();
        let member = w
            .orgs(MGMT)
            .create_member_account("dev", "dev@example.com", None, Vec::new())
            .unwrap()
            .account;
        let top = w
            .orgs(MGMT)
            .create_org_unit(&root, "top", Vec::new())
            .unwrap();
        let inner = w
            .orgs(MGMT)
            .create_org_unit(&top.id, "inner", Vec::new())
            .unwrap();
        w.orgs(MGMT).enable_policy_type(&root, SCP).unwrap();
        let deny = w
            .orgs(MGMT)
            .create_org_policy("no-users", "", SCP, DENY_CREATE_USER, Vec::new())
            .unwrap();
        w.orgs(MGMT).attach_org_policy(&deny.id, &top.id).unwrap();
        let dev = admin_in(&w, &member);
        assert_eq!(decision(&w, &dev), Ok(()), "still in the root");

        w.orgs(MGMT)
            .move_org_account(&member, &root, &inner.id)
            .unwrap();
        assert!(decision(&w, &dev).is_err(), "below the OU");
        // Detached from the OU, the deny stops applying.
        w.orgs(MGMT).detach_org_policy(&deny.id, &top.id).unwrap();
        assert_eq!(decision(&w, &dev), Ok(()));
        w.orgs(MGMT)
            .detach_org_policy(FULL_AWS_ACCESS_ID, &inner.id)
            .expect_err("every target keeps one SCP");

        w.orgs(MGMT)
            .move_org_account(&member, &inner.id, &root)
            .unwrap();
        w.orgs(MGMT).delete_org_unit(&inner.id).unwrap();
        let org = w.orgs(MGMT).list_roots().unwrap();
        assert!(org.attachments.iter().all(|(t, _)| t != &inner.id));
        assert_eq!(
            org.containers_down_to(&top.id),
            vec![root.clone(), top.id.clone()]
        );
        assert_eq!(org.parent_of_account(&member), root);
    }
}
