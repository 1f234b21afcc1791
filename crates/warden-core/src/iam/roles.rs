//! IAM roles, their trust policies and instance profiles, and what protects service-linked
//! roles (which [`crate::iam::service_linked_roles`] creates and deletes).

use std::sync::Arc;

use warden_policy::{Policy, PolicyType};
use warden_policy::{PrincipalKey, PrincipalValue};

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::policies::compile_document;
use crate::iam::users::{check_new_tags, merge_tags, remove_tags};
use crate::iam::Iam;
use crate::model::{now_epoch, Compiled, InstanceProfile, Role, Tag};
use crate::page::{paginate, Page, PageQuery};
use crate::state::{name_key, Change, Kind, State};
use crate::Warden;

/// A role's MaxSessionDuration when CreateRole gives none: one hour, as on AWS (allowed: 3600 to
/// 43200).
pub const DEFAULT_MAX_SESSION_DURATION: i32 = 3_600;
/// AWS's default role trust policy size quota (non-whitespace characters).
pub const TRUST_POLICY_QUOTA: usize = 2_048;

pub(crate) fn no_such_role(name: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

pub(crate) fn find_role<'a>(s: &'a State, account: &str, name: &str) -> Result<&'a Role> {
    s.role(account, name).ok_or_else(|| no_such_role(name))
}

/// Compiles a stored trust policy (at load).
pub fn compile_trust(r: &mut Role) {
    r.trust_compiled = match Policy::parse(&r.trust_document) {
        Ok(p) => Compiled(Some(Arc::new(p))),
        Err(e) => {
            tracing::warn!(role = %r.name, error = %e, "a stored trust policy no longer compiles");
            Compiled(None)
        }
    };
}

/// The IAM user or role an ARN names, as `(account, kind, name)`.
fn iam_principal(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let (kind, path_name) = resource.split_once('/')?;
    if kind != "user" && kind != "role" {
        return None;
    }
    Some((account, kind, path_name.rsplit('/').next()?))
}

/// The unique id of the user or role an ARN names, if it exists now.
fn current_id(s: &State, arn: &str) -> Option<String> {
    let (account, kind, name) = iam_principal(arn)?;
    match kind {
        "user" => s
            .user(account, name)
            .filter(|u| u.arn() == arn)
            .map(|u| u.id.clone()),
        _ => s
            .role(account, name)
            .filter(|r| r.arn() == arn)
            .map(|r| r.id.clone()),
    }
}

/// Validates a trust policy and pins the IAM users and roles it names to
/// their unique ids. A named user or role of an account warden serves must
/// exist, as AWS requires.
fn trust_with_pins(s: &State, document: &str) -> Result<(Compiled, Vec<(String, String)>)> {
    // The trust policy's size is a quota (LimitExceeded), not a syntax error.
    let size = document.chars().filter(|c| !c.is_whitespace()).count();
    if size > TRUST_POLICY_QUOTA {
        return Err(CoreError::LimitExceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_QUOTA}"
        )));
    }
    let compiled = compile_document(document, PolicyType::Trust)?;
    let mut pins = Vec::new();
    if let Some(policy) = &compiled.0 {
        let only_sts = policy.document().statements.iter().all(|st| {
            st.action.negated
                || st.action.values.iter().all(|a| {
                    a.value == "*"
                        || a.value
                            .get(..4)
                            .is_some_and(|p| p.eq_ignore_ascii_case("sts:"))
                })
        });
        if !only_sts {
            return Err(CoreError::MalformedPolicyDocument(
                "AssumeRole policy may only specify STS AssumeRole actions.".to_string(),
            ));
        }
        for st in &policy.document().statements {
            let Some(PrincipalValue::Map(entries)) = st.principal.as_ref().map(|p| &p.value) else {
                continue;
            };
            for (key, values) in entries {
                if key.value == PrincipalKey::Federated {
                    check_federated(s, st, values.iter().map(|v| v.value.as_str()))?;
                    for v in values {
                        crate::iam::saml_providers::check_trusted_provider(s, &v.value)?;
                    }
                    continue;
                }
                if key.value != PrincipalKey::Aws {
                    continue;
                }
                for v in values {
                    let arn = &v.value;
                    let Some((account, _, _)) = iam_principal(arn) else {
                        continue;
                    };
                    match current_id(s, arn) {
                        Some(id) => pins.push((arn.clone(), id)),
                        None if s.accounts.contains_key(account) => {
                            return Err(CoreError::MalformedPolicyDocument(format!(
                                "Invalid principal in policy: \"AWS\":\"{arn}\""
                            )))
                        }
                        // Another AWS account warden does not serve: nothing to check.
                        None => {}
                    }
                }
            }
        }
    }
    Ok((compiled, pins))
}

/// A `Federated` principal naming an OIDC provider of an account warden
/// serves must exist, as AWS requires (terraform users meet AWS's
/// `Invalid principal in policy` when the role is created before its
/// provider); built-in providers (`accounts.google.com`, ...) and other
/// accounts' providers are not checked.
fn check_federated<'v>(
    s: &State,
    st: &warden_policy::Statement,
    values: impl Iterator<Item = &'v str>,
) -> Result<()> {
    for arn in values {
        let Some((account, url)) = crate::iam::oidc_providers::arn_key(arn) else {
            continue;
        };
        if url == GITHUB_ACTIONS
            && st.effect.value == warden_policy::Effect::Allow
            && !scopes_github_sub(st)
        {
            // AWS's refusal (2024+), quoted in the federation reference §1.8.
            return Err(CoreError::MalformedPolicyDocument(format!(
                "Trust policy with trusted principal {arn} must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase, {GITHUB_ACTIONS}:sub which is not scoped to all."
            )));
        }
        if s.accounts.contains_key(&account)
            && crate::iam::oidc_providers::find_by_arn(s, arn).is_none()
        {
            return Err(CoreError::MalformedPolicyDocument(format!(
                "Invalid principal in policy: \"Federated\":\"{arn}\""
            )));
        }
    }
    Ok(())
}

/// GitHub Actions' issuer: one `iss` for every GitHub customer, so AWS
/// requires trust policies that allow it to test the token's `sub`.
const GITHUB_ACTIONS: &str = "token.actions.githubusercontent.com";

/// Whether the statement tests `token.actions.githubusercontent.com:sub`
/// with StringEquals, StringLike or StringEqualsIgnoreCase, and not with a
/// bare `*` that matches every repository.
fn scopes_github_sub(st: &warden_policy::Statement) -> bool {
    st.conditions.iter().any(|c| {
        let op = c.operator.value.as_str();
        let op = op
            .strip_prefix("ForAnyValue:")
            .or_else(|| op.strip_prefix("ForAllValues:"))
            .unwrap_or(op);
        ["StringEquals", "StringLike", "StringEqualsIgnoreCase"].contains(&op)
            && c.key
                .value
                .eq_ignore_ascii_case(&format!("{GITHUB_ACTIONS}:sub"))
            && !c.values.is_empty()
            && c.values.iter().all(|v| v.value != "*")
    })
}

/// The trust document as it stands now: a pinned principal that was deleted
/// or re-created shows its old unique id, which matches nobody.
pub fn effective_trust_document(s: &State, role: &Role) -> String {
    let mut doc = role.trust_document.clone();
    for (arn, id) in &role.trust_pins {
        if current_id(s, arn).as_deref() != Some(id.as_str()) {
            doc = doc.replace(&format!("\"{arn}\""), &format!("\"{id}\""));
        }
    }
    doc
}

/// The compiled trust policy to decide AssumeRole with. The stored
/// compilation serves unless a pinned principal changed (rare); then the
/// current document is compiled.
pub fn effective_trust(s: &State, role: &Role) -> Option<Arc<Policy>> {
    let stale = role
        .trust_pins
        .iter()
        .any(|(arn, id)| current_id(s, arn).as_deref() != Some(id.as_str()));
    if !stale {
        return role.trust_compiled.0.clone();
    }
    Policy::parse(&effective_trust_document(s, role))
        .ok()
        .map(Arc::new)
}

fn check_max_session(d: i32) -> Result<()> {
    if (3_600..=43_200).contains(&d) {
        Ok(())
    } else {
        Err(CoreError::ValidationError(format!(
            "1 validation error detected: Value '{d}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value {}",
            if d < 3_600 { "greater than or equal to 3600" } else { "less than or equal to 43200" }
        )))
    }
}

/// Inputs of CreateRole.
#[derive(Debug, Clone, Default)]
pub struct NewRole {
    /// Unique per account regardless of case.
    pub name: String,
    /// Defaults to `/`; `/aws-service-role/` is reserved for service-linked roles.
    pub path: Option<String>,
    /// The trust (assume-role) policy document.
    pub trust_document: String,
    /// Shown by GetRole; UpdateRole may change it.
    pub description: Option<String>,
    /// Seconds, 3600 to 43200; [`DEFAULT_MAX_SESSION_DURATION`] when absent.
    pub max_session_duration: Option<i32>,
    /// ARN of a managed policy to use as the permissions boundary; it must exist.
    pub permissions_boundary: Option<String>,
    /// At most 50, no key twice in any case.
    pub tags: Vec<Tag>,
}

/// Service-linked roles live under `/aws-service-role/` and only their
/// service may change them.
pub fn is_service_linked(role: &Role) -> bool {
    role.path.starts_with(SERVICE_LINKED_PATH)
}

pub(crate) fn unmodifiable(role: &Role) -> CoreError {
    CoreError::UnmodifiableEntity(format!(
        "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
        role.name
    ))
}

/// Changes a role in one write. `protected`: whether a service-linked role refuses the change.
/// AWS lets anyone edit a service-linked role's description and tags ("You can edit the
/// description of any role", IAM User Guide, "Update a service-linked role"; TagRole's API
/// reference: "The role can be a regular role or a service-linked role"); the rest is its
/// service's.
fn update_role_with<T>(
    w: &Warden,
    account: &str,
    name: &str,
    protected: bool,
    f: impl FnOnce(&State, &mut Role) -> Result<T>,
) -> Result<T> {
    w.write(|s| {
        let mut role = find_role(s, account, name)?.clone();
        if protected && is_service_linked(&role) {
            return Err(unmodifiable(&role));
        }
        let out = f(s, &mut role)?;
        Ok((vec![Change::Role(role)], out))
    })
}

fn no_such_profile(name: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("Instance Profile {name} cannot be found."))
}

fn find_profile<'a>(s: &'a State, account: &str, name: &str) -> Result<&'a InstanceProfile> {
    s.instance_profiles
        .get(&name_key(account, name))
        .ok_or_else(|| no_such_profile(name))
}

/// The path prefix of service-linked roles. Only CreateServiceLinkedRole may
/// create a role under it: AWS answers CreateRole with it `InvalidInput`,
/// "Path prefix '/aws-service-role/' can only be used for AWS Service linked
/// Roles" (recorded in tilfin/aws-iam-policy-tool#9, 400). A role's path
/// cannot change after creation (UpdateRole takes none), so refusing it here
/// keeps SCP/RCP exemptions and the protected-role rules to genuine
/// service-linked roles.
pub(crate) const SERVICE_LINKED_PATH: &str = "/aws-service-role/";

impl Iam<'_> {
    /// CreateRole: a new role with a fresh `AROA` id; InvalidInput for the reserved service-linked
    /// path, EntityAlreadyExists for a taken name.
    pub fn create_role(&self, req: NewRole) -> Result<Role> {
        if req
            .path
            .as_deref()
            .is_some_and(|p| p.starts_with(SERVICE_LINKED_PATH))
        {
            return Err(CoreError::InvalidInput(format!(
                "Path prefix '{SERVICE_LINKED_PATH}' can only be used for AWS Service linked Roles"
            )));
        }
        self.create_role_unchecked(req, Vec::new())
    }

    /// CreateRole without the reserved-path check, for CreateServiceLinkedRole, which also
    /// attaches its service's AWS managed policies in the same write.
    pub(crate) fn create_role_unchecked(
        &self,
        req: NewRole,
        attached_policies: Vec<String>,
    ) -> Result<Role> {
        let account = self.account;
        check_new_tags(&req.tags)?;
        let max = req
            .max_session_duration
            .unwrap_or(DEFAULT_MAX_SESSION_DURATION);
        check_max_session(max)?;
        if let Some(b) = &req.permissions_boundary {
            self.check_boundary(b)?;
        }
        self.warden.write(|s| {
            if s.role(account, &req.name).is_some() {
                return Err(CoreError::EntityAlreadyExists(format!(
                    "Role with name {} already exists.",
                    req.name
                )));
            }
            let (trust_compiled, trust_pins) = trust_with_pins(s, &req.trust_document)?;
            let role = Role {
                account: account.to_string(),
                name: req.name.clone(),
                path: req.path.clone().unwrap_or_else(|| "/".to_string()),
                id: crypto::random_id("AROA"),
                created: now_epoch(),
                description: req.description.clone(),
                max_session_duration: max,
                trust_document: req.trust_document.clone(),
                trust_pins,
                trust_compiled,
                permissions_boundary: req.permissions_boundary.clone(),
                tags: req.tags.clone(),
                inline_policies: Vec::new(),
                attached_policies: attached_policies.clone(),
                last_used: None,
            };
            Ok((vec![Change::Role(role.clone())], role))
        })
    }

    /// GetRole: the role with its effective trust document and its last use, including one not yet
    /// flushed.
    pub fn get_role(&self, name: &str) -> Result<Role> {
        let account = self.account;
        let s = self.warden.read();
        let mut role = find_role(&s, account, name)?.clone();
        role.trust_document = effective_trust_document(&s, &role);
        if let Some(used) = self.warden.pending_role_use(account, &role.name) {
            role.last_used = Some(used);
        }
        Ok(role)
    }

    /// ListRoles: the account's roles under `path_prefix` (default `/`), paged in case-insensitive
    /// name order.
    pub fn list_roles(&self, path_prefix: Option<&str>, query: PageQuery) -> Result<Page<Role>> {
        let s = self.warden.read();
        let prefix = path_prefix.unwrap_or("/");
        paginate(
            s.roles_of(self.account)
                .filter(|r| r.path.starts_with(prefix))
                .map(|r| {
                    let mut r = r.clone();
                    r.trust_document = effective_trust_document(&s, &r);
                    r
                }),
            |r| r.name.to_lowercase(),
            query,
        )
    }

    /// UpdateRole: the description and/or max session duration; UnmodifiableEntity for a service-
    /// linked role.
    pub fn update_role(
        &self,
        name: &str,
        description: Option<String>,
        max_session_duration: Option<i32>,
    ) -> Result<Role> {
        if let Some(d) = max_session_duration {
            check_max_session(d)?;
        }
        // Our choice where AWS is silent: the session duration is the service's to set.
        let protected = max_session_duration.is_some();
        update_role_with(self.warden, self.account, name, protected, |_, r| {
            if description.is_some() {
                r.description = description;
            }
            if let Some(d) = max_session_duration {
                r.max_session_duration = d;
            }
            Ok(r.clone())
        })
    }

    /// UpdateAssumeRolePolicy: replaces and recompiles the trust policy, pinning the unique ids of
    /// the principals it names.
    pub fn update_assume_role_policy(&self, name: &str, document: &str) -> Result<()> {
        update_role_with(self.warden, self.account, name, true, |s, r| {
            let (compiled, pins) = trust_with_pins(s, document)?;
            r.trust_document = document.to_string();
            r.trust_compiled = compiled;
            r.trust_pins = pins;
            Ok(())
        })
    }

    /// DeleteRole; DeleteConflict while it is in an instance profile or has policies,
    /// UnmodifiableEntity if service-linked.
    pub fn delete_role(&self, name: &str) -> Result<()> {
        self.warden
            .write(|s| Ok((vec![role_deletion(s, self.account, name, false)?], ())))
    }

    /// TagRole: merges `tags` into the role's, keys compared case-insensitively.
    pub fn tag_role(&self, name: &str, tags: &[Tag]) -> Result<()> {
        update_role_with(self.warden, self.account, name, false, |_, r| {
            merge_tags(&mut r.tags, tags)
        })
    }

    /// UntagRole: removes the tags with these keys (any case).
    pub fn untag_role(&self, name: &str, keys: &[String]) -> Result<()> {
        update_role_with(self.warden, self.account, name, false, |_, r| {
            remove_tags(&mut r.tags, keys);
            Ok(())
        })
    }

    /// PutRolePermissionsBoundary (`Some`, which must name an existing managed policy) or
    /// DeleteRolePermissionsBoundary (`None`).
    pub fn set_role_permissions_boundary(
        &self,
        name: &str,
        boundary: Option<String>,
    ) -> Result<()> {
        if let Some(b) = &boundary {
            self.check_boundary(b)?;
        }
        update_role_with(self.warden, self.account, name, true, |_, r| {
            r.permissions_boundary = boundary;
            Ok(())
        })
    }

    // ---- instance profiles ----

    /// CreateInstanceProfile: a new, empty profile with a fresh `AIPA` id; names are unique per
    /// account in any case.
    pub fn create_instance_profile(
        &self,
        name: &str,
        path: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<InstanceProfile> {
        let account = self.account;
        check_new_tags(&tags)?;
        self.warden.write(|s| {
            if s.instance_profiles.contains_key(&name_key(account, name)) {
                return Err(CoreError::EntityAlreadyExists(format!(
                    "Instance Profile {name} already exists."
                )));
            }
            let p = InstanceProfile {
                account: account.to_string(),
                name: name.to_string(),
                path: path.unwrap_or("/").to_string(),
                id: crypto::random_id("AIPA"),
                created: now_epoch(),
                role: None,
                tags: tags.clone(),
            };
            Ok((vec![Change::InstanceProfile(p.clone())], p))
        })
    }

    /// The profile and the role it holds.
    pub fn get_instance_profile(&self, name: &str) -> Result<(InstanceProfile, Option<Role>)> {
        let account = self.account;
        let s = self.warden.read();
        let p = find_profile(&s, account, name)?.clone();
        let role = p.role.as_deref().and_then(|r| s.role(account, r)).cloned();
        Ok((p, role))
    }

    /// ListInstanceProfiles, or ListInstanceProfilesForRole when `role` is given: each profile with
    /// its role.
    pub fn list_instance_profiles(
        &self,
        path_prefix: Option<&str>,
        role: Option<&str>,
        query: PageQuery,
    ) -> Result<Page<(InstanceProfile, Option<Role>)>> {
        let account = self.account;
        let s = self.warden.read();
        let role_lower = match role {
            Some(r) => Some(find_role(&s, account, r)?.name.to_lowercase()),
            None => None,
        };
        let prefix = path_prefix.unwrap_or("/");
        let items = s
            .instance_profiles_of(account)
            .filter(|p| p.path.starts_with(prefix))
            .filter(|p| role_lower.is_none() || p.role == role_lower)
            .map(|p| {
                (
                    p.clone(),
                    p.role.as_deref().and_then(|r| s.role(account, r)).cloned(),
                )
            });
        paginate(items, |(p, _)| p.name.to_lowercase(), query)
    }

    /// DeleteInstanceProfile; DeleteConflict while it still holds a role.
    pub fn delete_instance_profile(&self, name: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let p = find_profile(s, account, name)?;
            if p.role.is_some() {
                return Err(CoreError::DeleteConflict(
                    "Cannot delete entity, must remove roles from instance profile first."
                        .to_string(),
                ));
            }
            Ok((
                vec![Change::Delete(
                    Kind::InstanceProfile,
                    name_key(account, name),
                )],
                (),
            ))
        })
    }

    /// AddRoleToInstanceProfile; a profile holds one role at most (LimitExceeded otherwise, as on
    /// AWS).
    pub fn add_role_to_instance_profile(&self, profile: &str, role: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let mut p = find_profile(s, account, profile)?.clone();
            let r = find_role(s, account, role)?;
            if p.role.is_some() {
                return Err(CoreError::LimitExceeded(
                    "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1".to_string(),
                ));
            }
            p.role = Some(r.name.to_lowercase());
            Ok((vec![Change::InstanceProfile(p)], ()))
        })
    }

    /// RemoveRoleFromInstanceProfile; NoSuchEntity unless the profile holds that role.
    pub fn remove_role_from_instance_profile(&self, profile: &str, role: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let mut p = find_profile(s, account, profile)?.clone();
            let r = find_role(s, account, role)?;
            if p.role.as_deref() != Some(r.name.to_lowercase().as_str()) {
                return Err(CoreError::NoSuchEntity(format!(
                    "Role {role} in Instance Profile {profile} cannot be found."
                )));
            }
            p.role = None;
            Ok((vec![Change::InstanceProfile(p)], ()))
        })
    }

    /// TagInstanceProfile (`tags`) and UntagInstanceProfile (`remove`) in one write.
    pub fn tag_instance_profile(&self, name: &str, tags: &[Tag], remove: &[String]) -> Result<()> {
        self.warden.write(|s| {
            let mut p = find_profile(s, self.account, name)?.clone();
            merge_tags(&mut p.tags, tags)?;
            remove_tags(&mut p.tags, remove);
            Ok((vec![Change::InstanceProfile(p)], ()))
        })
    }
}

/// The change that deletes role `name`, or why it cannot go: DeleteConflict while it is in an
/// instance profile or holds policies (a service-linked role's attached policies are its service's
/// and go with it), UnmodifiableEntity for a service-linked role unless `service_linked_ok`.
pub(crate) fn role_deletion(
    s: &State,
    account: &str,
    name: &str,
    service_linked_ok: bool,
) -> Result<Change> {
    let role = find_role(s, account, name)?;
    if is_service_linked(role) && !service_linked_ok {
        return Err(unmodifiable(role));
    }
    let lower = role.name.to_lowercase();
    let in_profile = s
        .instance_profiles_of(account)
        .any(|p| p.role.as_deref() == Some(lower.as_str()));
    // AWS names what is still in the way, each with its own text.
    let conflict = if in_profile {
        Some("Cannot delete entity, must remove roles from instance profile first.")
    } else if !role.attached_policies.is_empty() && !service_linked_ok {
        // A service-linked role's policies are its service's and go with it.
        Some("Cannot delete entity, must detach all policies first.")
    } else if !role.inline_policies.is_empty() {
        Some("Cannot delete entity, must delete policies first.")
    } else {
        None
    };
    if let Some(text) = conflict {
        return Err(CoreError::DeleteConflict(text.to_string()));
    }
    Ok(Change::Delete(Kind::Role, name_key(account, name)))
}

/// The name CreateServiceLinkedRole gives a service's linked role: the catalogue's, then
/// `_SUFFIX` when a custom suffix is given. For a service the catalogue lacks (which
/// CreateServiceLinkedRole refuses) the name only serves to authorize the request:
/// `AWSServiceRoleFor` and the principal's first label.
pub fn service_linked_role_name(service: &str, custom_suffix: Option<&str>) -> String {
    let base = crate::iam::service_linked_roles::linked_role_spec(service).map_or_else(
        || {
            format!(
                "AWSServiceRoleFor{}",
                service.split('.').next().unwrap_or(service)
            )
        },
        |spec| spec.role_name.clone(),
    );
    match custom_suffix {
        Some(suffix) => format!("{base}_{suffix}"),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCT: &str = "123456789012";
    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    fn new_role(name: &str, path: &str) -> NewRole {
        NewRole {
            name: name.to_string(),
            path: Some(path.to_string()),
            trust_document: TRUST.to_string(),
            ..NewRole::default()
        }
    }

    #[test]
    fn reserved_service_linked_path_only_via_create_service_linked_role() {
        let w = Warden::in_memory_for_tests(ACCT).unwrap();
        for path in ["/aws-service-role/", "/aws-service-role/ec2.amazonaws.com/"] {
            let err = w.iam(ACCT).create_role(new_role("fake", path)).unwrap_err();
            assert!(
                matches!(&err, CoreError::InvalidInput(m) if m == "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles"),
                "{err:?}"
            );
        }
        // Paths that merely resemble it are ordinary, and not service-linked.
        let r = w
            .iam(ACCT)
            .create_role(new_role("near", "/x/aws-service-role/"))
            .unwrap();
        assert!(!is_service_linked(&r));
        let slr = w
            .iam(ACCT)
            .create_service_linked_role("autoscaling.amazonaws.com", None, None)
            .unwrap();
        assert!(is_service_linked(&slr));
    }
}
