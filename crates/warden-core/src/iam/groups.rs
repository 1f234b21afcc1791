//! IAM groups and memberships. Membership lives on the user (its `groups`
//! list); a group's members are derived, so the two can never disagree.

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::users::{find_user, update_user_with};
use crate::iam::Iam;
use crate::model::{now_epoch, Group, User};
use crate::page::{paginate, Page, PageQuery};
use crate::state::{name_key, Change, Kind, State};

/// AWS's "groups per user" quota.
pub const GROUPS_PER_USER: usize = 10;

fn find_group<'a>(s: &'a State, account: &str, name: &str) -> Result<&'a Group> {
    s.group(account, name).ok_or_else(|| {
        CoreError::NoSuchEntity(format!("The group with name {name} cannot be found."))
    })
}

fn members<'a>(
    s: &'a State,
    account: &'a str,
    group_lower: &'a str,
) -> impl Iterator<Item = &'a User> + 'a {
    s.users_of(account)
        .filter(move |u| u.groups.iter().any(|g| g == group_lower))
}

impl Iam<'_> {
    /// CreateGroup: a new group with a fresh `AGPA` id and path `/` by default; names are unique
    /// per account in any case.
    pub fn create_group(&self, name: &str, path: Option<&str>) -> Result<Group> {
        let account = self.account;
        self.warden.write(|s| {
            if s.group(account, name).is_some() {
                return Err(CoreError::EntityAlreadyExists(format!(
                    "Group with name {name} already exists."
                )));
            }
            let group = Group {
                account: account.to_string(),
                name: name.to_string(),
                path: path.unwrap_or("/").to_string(),
                id: crypto::random_id("AGPA"),
                created: now_epoch(),
                inline_policies: Vec::new(),
                attached_policies: Vec::new(),
            };
            Ok((vec![Change::Group(group.clone())], group))
        })
    }

    /// The group and a page of its members.
    pub fn get_group(&self, name: &str, query: PageQuery) -> Result<(Group, Page<User>)> {
        let account = self.account;
        let s = self.warden.read();
        let group = find_group(&s, account, name)?.clone();
        let lower = group.name.to_lowercase();
        let page = paginate(
            members(&s, account, &lower).cloned(),
            |u| u.name.to_lowercase(),
            query,
        )?;
        Ok((group, page))
    }

    /// ListGroups: the account's groups under `path_prefix` (default `/`), paged in case-
    /// insensitive name order.
    pub fn list_groups(&self, path_prefix: Option<&str>, query: PageQuery) -> Result<Page<Group>> {
        let s = self.warden.read();
        let prefix = path_prefix.unwrap_or("/");
        paginate(
            s.groups_of(self.account)
                .filter(|g| g.path.starts_with(prefix))
                .cloned(),
            |g| g.name.to_lowercase(),
            query,
        )
    }

    /// ListGroupsForUser: the groups the user belongs to, in case-insensitive name order.
    pub fn list_groups_for_user(&self, user: &str, query: PageQuery) -> Result<Page<Group>> {
        let account = self.account;
        let s = self.warden.read();
        let user = find_user(&s, account, user)?;
        let mut groups: Vec<Group> = user
            .groups
            .iter()
            .filter_map(|g| s.group(account, g).cloned())
            .collect();
        groups.sort_by_key(|g| g.name.to_lowercase());
        paginate(groups, |g| g.name.to_lowercase(), query)
    }

    /// UpdateGroup: renames and/or moves a group; on a rename every member's membership follows the
    /// new name.
    pub fn update_group(
        &self,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let old = find_group(s, account, name)?;
            let mut group = old.clone();
            let mut changes = Vec::new();
            if let Some(path) = new_path {
                group.path = path.to_string();
            }
            if let Some(new_name) = new_name {
                let old_lower = old.name.to_lowercase();
                let new_lower = new_name.to_lowercase();
                if new_lower != old_lower {
                    if s.group(account, new_name).is_some() {
                        return Err(CoreError::EntityAlreadyExists(format!(
                            "Group with name {new_name} already exists."
                        )));
                    }
                    changes.push(Change::Delete(Kind::Group, name_key(account, &old.name)));
                    for member in members(s, account, &old_lower) {
                        let mut member = member.clone();
                        for g in member.groups.iter_mut().filter(|g| **g == old_lower) {
                            g.clone_from(&new_lower);
                        }
                        changes.push(Change::User(member));
                    }
                }
                group.name = new_name.to_string();
            }
            changes.push(Change::Group(group));
            Ok((changes, ()))
        })
    }

    /// DeleteGroup; DeleteConflict while it still has policies (inline or attached) or members, as
    /// on AWS.
    pub fn delete_group(&self, name: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let group = find_group(s, account, name)?;
            if !group.inline_policies.is_empty() || !group.attached_policies.is_empty() {
                return Err(CoreError::DeleteConflict(
                    "Cannot delete entity, must delete policies first.".to_string(),
                ));
            }
            if members(s, account, &group.name.to_lowercase())
                .next()
                .is_some()
            {
                return Err(CoreError::DeleteConflict(
                    "Cannot delete entity, must remove users from group first.".to_string(),
                ));
            }
            Ok((
                vec![Change::Delete(Kind::Group, name_key(account, name))],
                (),
            ))
        })
    }

    /// AddUserToGroup; adding a member again succeeds, and a user may be in at most
    /// [`GROUPS_PER_USER`] groups.
    pub fn add_user_to_group(&self, group: &str, user: &str) -> Result<()> {
        let account = self.account;
        update_user_with(self.warden, account, user, |s, u| {
            let g = find_group(s, account, group)?.name.to_lowercase();
            if u.groups.contains(&g) {
                return Ok(());
            }
            if u.groups.len() >= GROUPS_PER_USER {
                return Err(CoreError::LimitExceeded(format!(
                    "Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}"
                )));
            }
            u.groups.push(g);
            Ok(())
        })
        .map(|_| ())
    }

    /// RemoveUserFromGroup; removing a user who is not a member succeeds, as on AWS.
    pub fn remove_user_from_group(&self, group: &str, user: &str) -> Result<()> {
        let account = self.account;
        update_user_with(self.warden, account, user, |s, u| {
            let g = find_group(s, account, group)?.name.to_lowercase();
            // Removing a non-member succeeds, as on AWS.
            u.groups.retain(|x| *x != g);
            Ok(())
        })
        .map(|_| ())
    }
}
