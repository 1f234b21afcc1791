//! IAM users and the tag rules shared by every taggable entity.

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::Iam;
use crate::model::{now_epoch, Tag, User};
use crate::page::{paginate, Page, PageQuery};
use crate::state::{name_key, Change, Kind, State};
use crate::Warden;

/// Most tags one user, role, policy or other IAM entity may carry (AWS's quota); more gives
/// LimitExceeded.
pub const MAX_TAGS: usize = 50;

pub(crate) fn no_such_user(name: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("The user with name {name} cannot be found."))
}

pub(crate) fn find_user<'a>(s: &'a State, account: &str, name: &str) -> Result<&'a User> {
    s.user(account, name).ok_or_else(|| no_such_user(name))
}

/// Rejects duplicate keys (case-insensitively, as IAM compares tag keys).
pub fn check_new_tags(tags: &[Tag]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for t in tags {
        if !seen.insert(t.key.to_lowercase()) {
            return Err(CoreError::InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                    .to_string(),
            ));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(CoreError::LimitExceeded(
            "The number of tags has reached the maximum limit.".to_string(),
        ));
    }
    Ok(())
}

/// Merges `new` into `tags`: a key that exists (in any case) gets the new
/// value; the result may hold at most 50 tags.
pub fn merge_tags(tags: &mut Vec<Tag>, new: &[Tag]) -> Result<()> {
    check_new_tags(new)?;
    for t in new {
        match tags.iter_mut().find(|x| x.key.eq_ignore_ascii_case(&t.key)) {
            Some(existing) => existing.value = t.value.clone(),
            None => tags.push(t.clone()),
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(CoreError::LimitExceeded(
            "The number of tags has reached the maximum limit.".to_string(),
        ));
    }
    Ok(())
}

/// Removes the tags with the given keys, compared case-insensitively as IAM does; absent keys are
/// ignored.
pub fn remove_tags(tags: &mut Vec<Tag>, keys: &[String]) {
    tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
}

/// A change to one user, planned against the current model.
pub(crate) fn update_user_with(
    w: &Warden,
    account: &str,
    name: &str,
    f: impl FnOnce(&State, &mut User) -> Result<()>,
) -> Result<User> {
    w.write(|s| {
        let mut user = find_user(s, account, name)?.clone();
        f(s, &mut user)?;
        Ok((vec![Change::User(user.clone())], user))
    })
}

/// CreateUser's input.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Unique per account regardless of case; a user spelt differently in case is a duplicate.
    pub name: String,
    /// Defaults to `/`.
    pub path: Option<String>,
    /// At most [`MAX_TAGS`], no key twice in any case.
    pub tags: Vec<Tag>,
    /// ARN of the managed policy set as the permissions boundary, if any.
    pub permissions_boundary: Option<String>,
}

impl Iam<'_> {
    /// CreateUser: a new user with a fresh `AIDA` id; EntityAlreadyExists if the name is taken in
    /// any case.
    pub fn create_user(&self, req: NewUser) -> Result<User> {
        let account = self.account;
        check_new_tags(&req.tags)?;
        self.warden.write(|s| {
            if s.user(account, &req.name).is_some() {
                return Err(CoreError::EntityAlreadyExists(format!(
                    "User with name {} already exists.",
                    req.name
                )));
            }
            let user = User {
                account: account.to_string(),
                name: req.name.clone(),
                path: req.path.clone().unwrap_or_else(|| "/".to_string()),
                id: crypto::random_id("AIDA"),
                created: now_epoch(),
                tags: req.tags.clone(),
                permissions_boundary: req.permissions_boundary.clone(),
                groups: Vec::new(),
                login_profile: None,
                password_last_used: None,
                inline_policies: Vec::new(),
                attached_policies: Vec::new(),
            };
            Ok((vec![Change::User(user.clone())], user))
        })
    }

    /// GetUser: the user by name, matched case-insensitively; NoSuchEntity if absent.
    pub fn get_user(&self, name: &str) -> Result<User> {
        find_user(&self.warden.read(), self.account, name).cloned()
    }

    /// ListUsers: the account's users under `path_prefix` (default `/`), paged in case-insensitive
    /// name order.
    pub fn list_users(&self, path_prefix: Option<&str>, query: PageQuery) -> Result<Page<User>> {
        let s = self.warden.read();
        let prefix = path_prefix.unwrap_or("/");
        paginate(
            s.users_of(self.account)
                .filter(|u| u.path.starts_with(prefix))
                .cloned(),
            |u| u.name.to_lowercase(),
            query,
        )
    }

    /// Renames and/or moves a user. Keys, groups and MFA devices follow.
    pub fn update_user(
        &self,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let old = find_user(s, account, name)?;
            let mut user = old.clone();
            let mut changes = Vec::new();
            if let Some(path) = new_path {
                user.path = path.to_string();
            }
            if let Some(new_name) = new_name {
                let renamed = !new_name.eq_ignore_ascii_case(&old.name);
                if renamed && s.user(account, new_name).is_some() {
                    return Err(CoreError::EntityAlreadyExists(format!(
                        "User with name {new_name} already exists."
                    )));
                }
                user.name = new_name.to_string();
                if renamed {
                    let old_lower = old.name.to_lowercase();
                    let new_lower = new_name.to_lowercase();
                    changes.push(Change::Delete(Kind::User, name_key(account, &old.name)));
                    for key in s.keys_of(account, Some(&old_lower)) {
                        let mut key = key.clone();
                        key.user = Some(new_lower.clone());
                        changes.push(Change::AccessKey(key));
                    }
                    for dev in s
                        .mfa_of(account)
                        .filter(|m| m.user.as_deref() == Some(&old_lower))
                    {
                        let mut dev = dev.clone();
                        dev.user = Some(new_lower.clone());
                        changes.push(Change::Mfa(dev));
                    }
                }
            }
            changes.push(Change::User(user));
            Ok((changes, ()))
        })
    }

    /// Deletes a user that owns nothing any more (AWS's DeleteConflict rule).
    pub fn delete_user(&self, name: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let user = find_user(s, account, name)?;
            let lower = user.name.to_lowercase();
            let owns_something = !user.groups.is_empty()
                || user.login_profile.is_some()
                || !user.inline_policies.is_empty()
                || !user.attached_policies.is_empty()
                || !s.keys_of(account, Some(&lower)).is_empty()
                || s.mfa_of(account).any(|m| m.user.as_deref() == Some(&lower))
                || crate::iam::ssh_keys::user_has_ssh_keys(s, account, &user.id)
                || crate::iam::service_credentials::user_has_service_credentials(
                    s, account, &user.id,
                )
                || crate::iam::certificates::user_has_signing_certificates(s, account, &user.id);
            if owns_something {
                return Err(CoreError::DeleteConflict(
                    "Cannot delete entity, must remove referenced objects first.".to_string(),
                ));
            }
            Ok((
                vec![Change::Delete(Kind::User, name_key(account, name))],
                (),
            ))
        })
    }

    /// TagUser: merges `tags` into the user's, new values replacing those of existing keys.
    pub fn tag_user(&self, name: &str, tags: &[Tag]) -> Result<()> {
        update_user_with(self.warden, self.account, name, |_, u| {
            merge_tags(&mut u.tags, tags)
        })
        .map(|_| ())
    }

    /// UntagUser: removes the tags with these keys (any case); missing keys are not an error.
    pub fn untag_user(&self, name: &str, keys: &[String]) -> Result<()> {
        update_user_with(self.warden, self.account, name, |_, u| {
            remove_tags(&mut u.tags, keys);
            Ok(())
        })
        .map(|_| ())
    }

    /// PutUserPermissionsBoundary (`Some`) or DeleteUserPermissionsBoundary (`None`).
    pub fn set_user_permissions_boundary(
        &self,
        name: &str,
        boundary: Option<String>,
    ) -> Result<()> {
        update_user_with(self.warden, self.account, name, |_, u| {
            u.permissions_boundary = boundary;
            Ok(())
        })
        .map(|_| ())
    }
}
