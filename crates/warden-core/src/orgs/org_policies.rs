//! Organization policies: the Organizations policy calls (create, update,
//! attach and detach service and resource control policies, enable a
//! policy type in the root), the SCP levels the authorizer puts in front of
//! every request of a member account's principals, and the RCP levels it
//! puts in front of requests to a member account's resources.
//!
//! An account's SCP path runs from the organization's root through each OU
//! above the account to the account itself; every level must allow. As on
//! AWS, enabling SCPs attaches `FullAWSAccess` to the root, every OU and
//! every account, every target keeps at least one SCP, and SCPs never apply
//! to the management account or to service-linked roles.

use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};
use warden_policy::{NamedPolicy, Policy, PolicyType};

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::model::{now_epoch, Compiled, Epoch, Tag};
use crate::orgs::management_policies::{self, ManagementType, Refusal, MANAGEMENT_TYPES};
use crate::orgs::{organization_of, Organization, Orgs};
use crate::state::State;

/// The organization policy types warden serves.
pub const SCP: &str = "SERVICE_CONTROL_POLICY";
/// The API's `PolicyType` for resource control policies (RCPs).
pub const RCP: &str = "RESOURCE_CONTROL_POLICY";
/// The AWS managed policies attached everywhere when a type is enabled.
pub const FULL_AWS_ACCESS_ID: &str = "p-FullAWSAccess";
/// The AWS managed RCP (`RCPFullAWSAccess`) attached everywhere when RCPs are enabled.
pub const RCP_FULL_AWS_ACCESS_ID: &str = "p-RCPFullAWSAccess";
/// Policies of one type per target (Organizations quotas).
const MAX_POLICIES_PER_TARGET: usize = 5;
/// Customer managed SCPs per organization.
const MAX_POLICIES: usize = 10_000;
/// Customer managed RCPs per organization (quotas, "Number of policies of each type").
const MAX_RCPS: usize = 1_000;

/// An organization policy type warden serves: every type of the pinned model's `PolicyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgPolicyKind {
    /// Service control policies: limit what a member account's principals may do.
    Scp,
    /// Resource control policies: limit what may be done to a member account's resources.
    Rcp,
    /// A management policy type (tag, backup, AI opt-out, ...): stored, attached and inherited,
    /// never part of authorization.
    Management(&'static ManagementType),
}

impl OrgPolicyKind {
    /// The authorization policy types, which come with an AWS managed policy, SCP first.
    pub const AUTHORIZATION: [OrgPolicyKind; 2] = [OrgPolicyKind::Scp, OrgPolicyKind::Rcp];

    /// Every kind warden serves, in the model's order.
    pub fn all() -> impl Iterator<Item = OrgPolicyKind> {
        Self::AUTHORIZATION
            .into_iter()
            .chain(MANAGEMENT_TYPES.iter().map(OrgPolicyKind::Management))
    }

    /// The API's `PolicyType`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgPolicyKind::Scp => SCP,
            OrgPolicyKind::Rcp => RCP,
            OrgPolicyKind::Management(m) => m.name,
        }
    }

    /// The kind named `policy_type`.
    pub fn parse(policy_type: &str) -> Option<Self> {
        Self::all().find(|k| k.as_str() == policy_type)
    }

    /// The engine's policy type, for the kinds that authorize.
    fn policy_type(self) -> Option<PolicyType> {
        match self {
            OrgPolicyKind::Scp => Some(PolicyType::Scp),
            OrgPolicyKind::Rcp => Some(PolicyType::Rcp),
            OrgPolicyKind::Management(_) => None,
        }
    }

    /// The ARN segment of the type's policies: the type in lower case
    /// (`service_control_policy`, `tag_policy`, as moto's ARN formats record).
    fn arn_segment(self) -> String {
        self.as_str().to_ascii_lowercase()
    }

    /// The AWS managed policy every target gets when the type is enabled; management types
    /// have none.
    fn full_access(self) -> Option<ManagedPolicy> {
        match self {
            OrgPolicyKind::Scp => Some(ManagedPolicy {
                id: FULL_AWS_ACCESS_ID,
                name: "FullAWSAccess",
                description: "Allows access to every operation",
                content: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            }),
            OrgPolicyKind::Rcp => Some(ManagedPolicy {
                id: RCP_FULL_AWS_ACCESS_ID,
                name: "RCPFullAWSAccess",
                description: "Allows access to every operation",
                content: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
            }),
            OrgPolicyKind::Management(_) => None,
        }
    }

    fn of_managed(id: &str) -> Option<Self> {
        Self::AUTHORIZATION
            .into_iter()
            .find(|k| k.full_access().is_some_and(|m| m.id == id))
    }

    /// Customer policies of the type an organization may hold.
    fn max_policies(self) -> usize {
        match self {
            OrgPolicyKind::Scp => MAX_POLICIES,
            OrgPolicyKind::Rcp => MAX_RCPS,
            OrgPolicyKind::Management(m) => m.max_policies,
        }
    }

    /// Policies of the type one target may have attached.
    fn max_per_target(self) -> usize {
        match self {
            OrgPolicyKind::Scp | OrgPolicyKind::Rcp => MAX_POLICIES_PER_TARGET,
            OrgPolicyKind::Management(m) => m.max_per_target,
        }
    }
}

/// An AWS managed organization policy.
struct ManagedPolicy {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    content: &'static str,
}

static FULL_AWS_ACCESS: LazyLock<Option<Arc<Policy>>> = LazyLock::new(|| {
    let content = OrgPolicyKind::Scp.full_access()?.content;
    Policy::parse_as(content, PolicyType::Scp)
        .ok()
        .map(Arc::new)
});

/// A customer managed organization policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgPolicy {
    /// `p-` + 8 lower-case letters and digits.
    pub id: String,
    /// Unique in the organization (case-sensitive), and never an AWS managed policy's name.
    pub name: String,
    /// The Description given at creation or update; may be empty.
    pub description: String,
    /// `SERVICE_CONTROL_POLICY`, `RESOURCE_CONTROL_POLICY` or a management type.
    pub policy_type: String,
    /// The policy document as given, checked when written.
    pub content: String,
    /// When the policy was created or last updated (0 in records written before it was kept).
    #[serde(default)]
    pub updated: Epoch,
    /// The content compiled for the authorizer; rebuilt at load, not stored.
    #[serde(skip)]
    pub compiled: Compiled,
}

/// A policy as the API shows it: customer managed or `FullAWSAccess`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyView {
    /// `p-...`, or `p-FullAWSAccess` / `p-RCPFullAWSAccess` for AWS's.
    pub id: String,
    /// `arn:aws:organizations::MANAGEMENT:policy/o-.../TYPE/p-...` (`::aws:` for AWS managed
    /// policies).
    pub arn: String,
    /// Unique within the organization.
    pub name: String,
    /// The policy's description; may be empty.
    pub description: String,
    /// `SERVICE_CONTROL_POLICY` or `RESOURCE_CONTROL_POLICY`.
    pub policy_type: String,
    /// True for `FullAWSAccess` and `RCPFullAWSAccess`, which cannot be changed or deleted.
    pub aws_managed: bool,
    /// The policy document as stored.
    pub content: String,
}

/// A root, OU or account a policy is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetView {
    /// The root id (`r-...`), OU id (`ou-...`) or 12-digit account id.
    pub id: String,
    /// The target's Organizations ARN.
    pub arn: String,
    /// `Root`, the OU's name or the account's name.
    pub name: String,
    /// `ROOT`, `ORGANIZATIONAL_UNIT` or `ACCOUNT`.
    pub kind: &'static str,
}

/// Compiles a stored policy's content (at load; content was valid when
/// written).
pub fn compile(p: &mut OrgPolicy) {
    // Management policies never authorize: nothing to compile.
    let Some(ty) =
        OrgPolicyKind::parse(&p.policy_type).map_or(Some(PolicyType::Scp), |k| k.policy_type())
    else {
        return;
    };
    p.compiled = Compiled(Policy::parse_as(&p.content, ty).ok().map(Arc::new));
}

impl OrgPolicy {
    fn kind(&self) -> OrgPolicyKind {
        OrgPolicyKind::parse(&self.policy_type).unwrap_or(OrgPolicyKind::Scp)
    }
}

/// A compiled policy that allows every action on every resource.
pub(crate) fn allow_everything() -> Option<Arc<Policy>> {
    FULL_AWS_ACCESS.clone()
}

fn managed_view(kind: OrgPolicyKind) -> Option<PolicyView> {
    let m = kind.full_access()?;
    Some(PolicyView {
        id: m.id.to_string(),
        arn: format!(
            "arn:aws:organizations::aws:policy/{}/{}",
            kind.arn_segment(),
            m.id
        ),
        name: m.name.to_string(),
        description: m.description.to_string(),
        policy_type: kind.as_str().to_string(),
        aws_managed: true,
        content: m.content.to_string(),
    })
}

fn view(org: &Organization, p: &OrgPolicy) -> PolicyView {
    PolicyView {
        id: p.id.clone(),
        arn: format!(
            "arn:aws:organizations::{}:policy/{}/{}/{}",
            org.management_account,
            org.id,
            p.kind().arn_segment(),
            p.id
        ),
        name: p.name.clone(),
        description: p.description.clone(),
        policy_type: p.policy_type.clone(),
        aws_managed: false,
        content: p.content.clone(),
    }
}

fn find_policy(org: &Organization, id: &str) -> Result<PolicyView> {
    if let Some(view) = OrgPolicyKind::of_managed(id).and_then(managed_view) {
        return Ok(view);
    }
    org.policies
        .iter()
        .find(|p| p.id == id)
        .map(|p| view(org, p))
        .ok_or(CoreError::OrgPolicyNotFound)
}

fn target(org: &Organization, id: &str) -> Result<TargetView> {
    if id == org.root_id() {
        return Ok(TargetView {
            id: id.to_string(),
            arn: org.root_arn(),
            name: "Root".to_string(),
            kind: "ROOT",
        });
    }
    if let Some(u) = org.unit(id) {
        return Ok(TargetView {
            id: id.to_string(),
            arn: org.unit_arn(id),
            name: u.name.clone(),
            kind: "ORGANIZATIONAL_UNIT",
        });
    }
    org.members
        .iter()
        .find(|m| m.account == id)
        .map(|m| TargetView {
            id: id.to_string(),
            arn: org.account_arn(id),
            name: m.name.clone(),
            kind: "ACCOUNT",
        })
        .ok_or(CoreError::TargetNotFound)
}

/// A type the model does not list: InvalidInputException (moto's
/// test_enable_policy_type_errors records the message).
pub(crate) fn invalid_enum() -> CoreError {
    CoreError::OrgInvalidInput {
        reason: "INVALID_ENUM",
        message: "You specified an invalid value.".to_string(),
    }
}

fn check_type(policy_type: &str) -> Result<OrgPolicyKind> {
    OrgPolicyKind::parse(policy_type).ok_or_else(invalid_enum)
}

fn too_large() -> CoreError {
    CoreError::OrgConstraintViolation {
        reason: "POLICY_CONTENT_LIMIT_EXCEEDED",
        message: "You attempted to create a policy that is larger than the maximum size."
            .to_string(),
    }
}

/// Checks a document for its type; an SCP or RCP comes back compiled.
fn check_content(kind: OrgPolicyKind, content: &str) -> Result<Option<Arc<Policy>>> {
    let ty = match kind {
        OrgPolicyKind::Management(m) => {
            return match management_policies::validate(m, content) {
                Ok(()) => Ok(None),
                Err(Refusal::TooLarge) => Err(too_large()),
                Err(Refusal::Malformed(_)) => Err(CoreError::OrgMalformedPolicyDocument),
            };
        }
        OrgPolicyKind::Scp => PolicyType::Scp,
        OrgPolicyKind::Rcp => PolicyType::Rcp,
    };
    match Policy::parse_as(content, ty) {
        Ok(p) => Ok(Some(Arc::new(p))),
        Err(e) if e.aws_error_code() == "LimitExceeded" => Err(too_large()),
        Err(_) => Err(CoreError::OrgMalformedPolicyDocument),
    }
}

pub(crate) fn enabled(org: &Organization, kind: OrgPolicyKind) -> bool {
    org.enabled_policy_types.iter().any(|t| t == kind.as_str())
}

/// The type of a stored or managed policy id.
fn is_attached(org: &Organization, policy_id: &str, target_id: &str) -> bool {
    org.attachments
        .iter()
        .any(|(t, p)| t == target_id && p == policy_id)
}

pub(crate) fn kind_of(org: &Organization, policy_id: &str) -> Option<OrgPolicyKind> {
    OrgPolicyKind::of_managed(policy_id).or_else(|| {
        org.policies
            .iter()
            .find(|p| p.id == policy_id)
            .map(OrgPolicy::kind)
    })
}

/// A new account or OU gets each enabled type's managed policy.
pub(crate) fn on_new_target(org: &mut Organization, target: &str) {
    for kind in OrgPolicyKind::AUTHORIZATION {
        if let Some(m) = kind.full_access().filter(|_| enabled(org, kind)) {
            org.attachments.push((target.to_string(), m.id.to_string()));
        }
    }
}

fn compiled_of(org: &Organization, policy_id: &str) -> Option<Arc<Policy>> {
    match OrgPolicyKind::of_managed(policy_id) {
        Some(OrgPolicyKind::Scp) => return FULL_AWS_ACCESS.clone(),
        // The engine implies RCPFullAWSAccess at every RCP level (custom
        // RCPs can only deny), so it needs no compiled form.
        Some(OrgPolicyKind::Rcp) => return None,
        Some(OrgPolicyKind::Management(_)) | None => {}
    }
    org.policies
        .iter()
        .find(|p| p.id == policy_id)
        .and_then(|p| p.compiled.0.clone())
}

/// The levels of `kind` policies above `account` in `org`: one per
/// container from the root down through its OUs, then the account's own.
fn levels(org: &Organization, account: &str, kind: OrgPolicyKind) -> Vec<Vec<NamedPolicy>> {
    let level = |target: &str| -> Vec<NamedPolicy> {
        org.attachments
            .iter()
            .filter(|(t, p)| t == target && kind_of(org, p) == Some(kind))
            .filter_map(|(_, p)| {
                let arn = find_policy(org, p).ok()?.arn;
                Some(NamedPolicy::new(arn, compiled_of(org, p)?))
            })
            .collect()
    };
    let mut levels: Vec<Vec<NamedPolicy>> = org
        .containers_down_to(&org.parent_of_account(account))
        .iter()
        .map(|c| level(c))
        .collect();
    levels.push(level(account));
    levels
}

/// The SCP levels (root, OUs, then the account) that apply to principals of
/// `account`, or `None` when SCPs do not apply: a standalone or management
/// account, or an organization without SCPs enabled.
pub fn scp_levels(s: &State, account: &str) -> Option<Vec<Vec<NamedPolicy>>> {
    let org = organization_of(s, account)?;
    if org.management_account == account || !enabled(org, OrgPolicyKind::Scp) {
        return None;
    }
    Some(levels(org, account, OrgPolicyKind::Scp))
}

/// The RCP levels that apply to resources of `account`, or `None` when RCPs
/// do not apply: a standalone or management account, or an organization
/// without RCPs enabled.
pub fn rcp_levels(s: &State, account: &str) -> Option<Vec<Vec<NamedPolicy>>> {
    let org = organization_of(s, account)?;
    if org.management_account == account || !enabled(org, OrgPolicyKind::Rcp) {
        return None;
    }
    Some(levels(org, account, OrgPolicyKind::Rcp))
}

fn is_managed_name(name: &str) -> bool {
    OrgPolicyKind::AUTHORIZATION
        .into_iter()
        .any(|k| k.full_access().is_some_and(|m| m.name == name))
}

/// AWS managed policies can't be changed or deleted.
fn check_mutable(id: &str) -> Result<()> {
    if OrgPolicyKind::of_managed(id).is_some() {
        return Err(CoreError::OrgInvalidInput {
            reason: "IMMUTABLE_POLICY",
            message: "You specified a policy that is managed by AWS and can't be modified."
                .to_string(),
        });
    }
    Ok(())
}

fn random_policy_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let tail: String = crypto::random_bytes(8)
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("p-{tail}")
}

impl Orgs<'_> {
    /// ListRoots: the organization and the policy types enabled in its root.
    pub fn list_roots(&self) -> Result<Organization> {
        self.managed_org()
    }

    /// Changes the policy types of the root `root_id`, after checking the
    /// root and the type.
    fn edit_root_policy_types(
        &self,
        root_id: &str,
        policy_type: &str,
        edit: impl FnOnce(&mut Organization, OrgPolicyKind) -> Result<()>,
    ) -> Result<Organization> {
        self.edit_org(|org| {
            if root_id != org.root_id() {
                return Err(CoreError::RootNotFound);
            }
            let kind = check_type(policy_type)?;
            edit(org, kind)?;
            Ok(org.clone())
        })
    }

    /// EnablePolicyType: attaches the type's managed policy (`FullAWSAccess`,
    /// `RCPFullAWSAccess`) to the root, every OU and every account, so
    /// enabling a type changes nobody's permissions.
    pub fn enable_policy_type(&self, root_id: &str, policy_type: &str) -> Result<Organization> {
        self.edit_root_policy_types(root_id, policy_type, |org, kind| {
            if org.feature_set != "ALL" {
                return Err(CoreError::PolicyTypeNotAvailable(
                    "You can't use the specified policy type with the feature set currently enabled for this organization."
                        .to_string(),
                ));
            }
            if enabled(org, kind) {
                return Err(CoreError::PolicyTypeAlreadyEnabled);
            }
            org.enabled_policy_types.push(kind.as_str().to_string());
            let mut targets = vec![org.root_id()];
            targets.extend(org.units.iter().map(|u| u.id.clone()));
            targets.extend(org.members.iter().map(|m| m.account.clone()));
            // Management types come without an AWS managed policy: nothing is attached.
            if let Some(managed) = kind.full_access() {
                for t in targets {
                    org.attachments.push((t, managed.id.to_string()));
                }
            }
            Ok(())
        })
    }

    /// DisablePolicyType: detaches every policy of the type from every
    /// target.
    pub fn disable_policy_type(&self, root_id: &str, policy_type: &str) -> Result<Organization> {
        self.edit_root_policy_types(root_id, policy_type, |org, kind| {
            if !enabled(org, kind) {
                return Err(CoreError::PolicyTypeNotEnabled);
            }
            org.enabled_policy_types.retain(|t| t != kind.as_str());
            let others: Vec<(String, String)> = org
                .attachments
                .iter()
                .filter(|(_, p)| kind_of(org, p) != Some(kind))
                .cloned()
                .collect();
            org.attachments = others;
            Ok(())
        })
    }

    /// CreatePolicy (Organizations): a customer SCP or RCP; DuplicatePolicyException if the name is
    /// taken.
    pub fn create_org_policy(
        &self,
        name: &str,
        description: &str,
        policy_type: &str,
        content: &str,
        tags: Vec<Tag>,
    ) -> Result<PolicyView> {
        let kind = check_type(policy_type)?;
        let compiled = check_content(kind, content)?;
        self.edit_org(|org| {
            if is_managed_name(name) || org.policies.iter().any(|p| p.name == name) {
                return Err(CoreError::DuplicateOrgPolicy);
            }
            if org.policies.iter().filter(|p| p.kind() == kind).count() >= kind.max_policies() {
                return Err(CoreError::OrgConstraintViolation {
                    reason: "POLICY_NUMBER_LIMIT_EXCEEDED",
                    message: "You attempted to exceed the number of policies that you can have in an organization."
                        .to_string(),
                });
            }
            let policy = OrgPolicy {
                id: random_policy_id(),
                name: name.to_string(),
                description: description.to_string(),
                policy_type: policy_type.to_string(),
                content: content.to_string(),
                updated: now_epoch(),
                compiled: Compiled(compiled),
            };
            crate::orgs::org_tags::apply_tags(org, &policy.id, tags)?;
            let out = view(org, &policy);
            org.policies.push(policy);
            Ok(out)
        })
    }

    /// DescribePolicy (Organizations): a customer policy or an AWS managed one, by id.
    pub fn describe_org_policy(&self, id: &str) -> Result<PolicyView> {
        find_policy(&self.managed_org()?, id)
    }

    /// UpdatePolicy (Organizations): new name, description and/or content; AWS managed policies
    /// cannot change.
    pub fn update_org_policy(
        &self,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
        content: Option<&str>,
    ) -> Result<PolicyView> {
        self.edit_org(|org| {
            check_mutable(id)?;
            if let Some(n) = name {
                if is_managed_name(n) || org.policies.iter().any(|p| p.name == n && p.id != id) {
                    return Err(CoreError::DuplicateOrgPolicy);
                }
            }
            let p = org
                .policies
                .iter_mut()
                .find(|p| p.id == id)
                .ok_or(CoreError::OrgPolicyNotFound)?;
            let compiled = content.map(|c| check_content(p.kind(), c)).transpose()?;
            if let Some(n) = name {
                p.name = n.to_string();
            }
            if let Some(d) = description {
                p.description = d.to_string();
            }
            if let (Some(text), Some(c)) = (content, compiled) {
                p.content = text.to_string();
                p.compiled = Compiled(c);
            }
            p.updated = now_epoch();
            let p = p.clone();
            Ok(view(org, &p))
        })
    }

    /// DeletePolicy (Organizations); PolicyInUseException while attached anywhere.
    pub fn delete_org_policy(&self, id: &str) -> Result<()> {
        self.edit_org(|org| {
            check_mutable(id)?;
            if !org.policies.iter().any(|p| p.id == id) {
                return Err(CoreError::OrgPolicyNotFound);
            }
            if org.attachments.iter().any(|(_, p)| p == id) {
                return Err(CoreError::OrgPolicyInUse);
            }
            org.policies.retain(|p| p.id != id);
            org.tags.remove(id);
            Ok(())
        })
    }

    /// ListPolicies: the type's AWS managed policy, then customer policies
    /// by name.
    pub fn list_org_policies(&self, filter: &str) -> Result<Vec<PolicyView>> {
        let org = self.managed_org()?;
        let kind = check_type(filter)?;
        let mut out: Vec<PolicyView> = managed_view(kind).into_iter().collect();
        let mut custom: Vec<PolicyView> = org
            .policies
            .iter()
            .filter(|p| p.policy_type == filter)
            .map(|p| view(&org, p))
            .collect();
        custom.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(custom);
        Ok(out)
    }

    /// AttachPolicy: the policy's type must be enabled, and a target holds at most 5 policies of
    /// one type.
    pub fn attach_org_policy(&self, policy_id: &str, target_id: &str) -> Result<()> {
        self.edit_org(|org| {
            find_policy(org, policy_id)?;
            target(org, target_id)?;
            let kind = kind_of(org, policy_id).ok_or(CoreError::OrgPolicyNotFound)?;
            if !enabled(org, kind) {
                return Err(CoreError::PolicyTypeNotEnabled);
            }
            if is_attached(org, policy_id, target_id) {
                return Err(CoreError::DuplicateOrgPolicyAttachment);
            }
            let of_kind = org
                .attachments
                .iter()
                .filter(|(t, p)| t == target_id && kind_of(org, p) == Some(kind))
                .count();
            if of_kind >= kind.max_per_target() {
                return Err(CoreError::OrgConstraintViolation {
                    reason: "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                    message: "You attempted to exceed the number of policies of a certain type that can be attached to an entity at one time."
                        .to_string(),
                });
            }
            org.attachments
                .push((target_id.to_string(), policy_id.to_string()));
            Ok(())
        })
    }

    /// DetachPolicy; a target must keep at least one policy of the type (ConstraintViolation
    /// otherwise).
    pub fn detach_org_policy(&self, policy_id: &str, target_id: &str) -> Result<()> {
        self.edit_org(|org| {
            find_policy(org, policy_id)?;
            target(org, target_id)?;
            let kind = kind_of(org, policy_id);
            let on_target = |t: &str, p: &str| t == target_id && kind_of(org, p) == kind;
            if !is_attached(org, policy_id, target_id) {
                return Err(CoreError::OrgPolicyNotAttached);
            }
            let remaining = org
                .attachments
                .iter()
                .filter(|(t, p)| on_target(t, p) && p != policy_id)
                .count();
            // Only the authorization types keep a policy on every target.
            let authorizing = kind.is_some_and(|k| k.full_access().is_some());
            if remaining == 0 && authorizing {
                return Err(CoreError::OrgConstraintViolation {
                    reason: "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                    message: "You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required."
                        .to_string(),
                });
            }
            org.attachments
                .retain(|(t, p)| !(t == target_id && p == policy_id));
            Ok(())
        })
    }

    /// ListPoliciesForTarget: the policies attached to a root, OU or account.
    pub fn org_policies_for_target(
        &self,
        target_id: &str,
        filter: &str,
    ) -> Result<Vec<PolicyView>> {
        let org = self.managed_org()?;
        target(&org, target_id)?;
        let kind = check_type(filter)?;
        Ok(org
            .attachments
            .iter()
            .filter(|(t, p)| t == target_id && kind_of(&org, p) == Some(kind))
            .filter_map(|(_, p)| find_policy(&org, p).ok())
            .collect())
    }

    /// ListTargetsForPolicy: the roots, OUs and accounts a policy is attached
    /// to.
    pub fn org_targets_for_policy(&self, policy_id: &str) -> Result<Vec<TargetView>> {
        let org = self.managed_org()?;
        find_policy(&org, policy_id)?;
        Ok(org
            .attachments
            .iter()
            .filter(|(_, p)| p == policy_id)
            .filter_map(|(t, _)| target(&org, t).ok())
            .collect())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a test fails loudly on a broken fixture"
    )]

    use super::*;
    use crate::authz::auth::Caller;
    use crate::authz::RequestFacts;
    use crate::iam::policies::Holder;
    use crate::model::now_epoch;
    use crate::Warden;

    const MGMT: &str = "111111111111";
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
    pub(crate) const DENY_CREATE_USER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}"#;
    const ONLY_STS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}"#;

    /// An administrator user in `account`, as an authenticated caller.
    pub(crate) fn admin_in(w: &Warden, account: &str) -> Caller {
        let caller = crate::authz::tests::user_in(w, account, "admin");
        w.iam(account)
            .attach_policy(Holder::User("admin"), ADMIN)
            .unwrap();
        caller
    }

    pub(crate) fn decision(w: &Warden, c: &Caller) -> std::result::Result<(), String> {
        let facts = RequestFacts {
            keys: Vec::new(),
            now: now_epoch(),
        };
        let resource = format!("arn:aws:iam::{}:user/new", c.account);
        match w.authorize(c, "iam:CreateUser", &resource, &facts) {
            Ok(()) => Ok(()),
            Err(CoreError::AccessDenied(m)) => Err(m),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }

    #[test]
    fn scps_limit_member_accounts_and_never_the_management_account() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        let org = w.orgs(MGMT).create_organization(None).unwrap();
        let member = w
            .orgs(MGMT)
            .create_member_account("dev", "dev@example.com", None, Vec::new())
            .unwrap()
            .account;
        let boss = admin_in(&w, MGMT);
        let dev = admin_in(&w, &member);
        assert_eq!(decision(&w, &dev), Ok(()));

        let deny = w
            .orgs(MGMT)
            .create_org_policy("no-users", "", SCP, DENY_CREATE_USER, Vec::new())
            .unwrap();
        // Attaching needs the policy type enabled first.
        assert!(matches!(
            w.orgs(MGMT).attach_org_policy(&deny.id, &member),
            Err(CoreError::PolicyTypeNotEnabled)
        ));
        w.orgs(MGMT)
            .enable_policy_type(&org.root_id(), SCP)
            .unwrap();
        // FullAWSAccess everywhere: nothing changed.
        assert_eq!(decision(&w, &dev), Ok(()));

        w.orgs(MGMT).attach_org_policy(&deny.id, &member).unwrap();
        let denied = decision(&w, &dev).unwrap_err();
        assert!(
            denied.ends_with("with an explicit deny in a service control policy"),
            "{denied}"
        );
        assert_eq!(
            decision(&w, &boss),
            Ok(()),
            "the management account is exempt"
        );
        // A member-account deny at the root level applies too.
        w.orgs(MGMT).detach_org_policy(&deny.id, &member).unwrap();
        assert_eq!(decision(&w, &dev), Ok(()));
        w.orgs(MGMT)
            .attach_org_policy(&deny.id, &org.root_id())
            .unwrap();
        assert!(decision(&w, &dev).is_err());
        assert_eq!(decision(&w, &boss), Ok(()));
        assert!(matches!(
            w.orgs(MGMT).delete_org_policy(&deny.id),
            Err(CoreError::OrgPolicyInUse)
        ));
        w.orgs(MGMT)
            .detach_org_policy(&deny.id, &org.root_id())
            .unwrap();
        w.orgs(MGMT).delete_org_policy(&deny.id).unwrap();

        // An allow-list SCP in place of FullAWSAccess: every level must allow.
        let sts_only = w
            .orgs(MGMT)
            .create_org_policy("sts-only", "", SCP, ONLY_STS, Vec::new())
            .unwrap();
        w.orgs(MGMT)
            .attach_org_policy(&sts_only.id, &member)
            .unwrap();
        w.orgs(MGMT)
            .detach_org_policy(FULL_AWS_ACCESS_ID, &member)
            .unwrap();
        let denied = decision(&w, &dev).unwrap_err();
        assert!(
            denied.ends_with("because no service control policy allows the iam:CreateUser action"),
            "{denied}"
        );
        // The last SCP of a target stays.
        assert!(matches!(
            w.orgs(MGMT).detach_org_policy(&sts_only.id, &member),
            Err(CoreError::OrgConstraintViolation {
                reason: "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                ..
            })
        ));
        // Disabling SCPs detaches everything: the member is unrestricted again.
        w.orgs(MGMT)
            .disable_policy_type(&org.root_id(), SCP)
            .unwrap();
        assert_eq!(decision(&w, &dev), Ok(()));
    }

    #[test]
    fn a_removed_or_departed_account_is_no_longer_limited_by_scps() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        let org = w.orgs(MGMT).create_organization(None).unwrap();
        w.orgs(MGMT)
            .enable_policy_type(&org.root_id(), SCP)
            .unwrap();
        let deny = w
            .orgs(MGMT)
            .create_org_policy("no-users", "", SCP, DENY_CREATE_USER, Vec::new())
            .unwrap();
        w.orgs(MGMT)
            .attach_org_policy(&deny.id, &org.root_id())
            .unwrap();
        let mut members = Vec::new();
        for name in ["removed", "departed"] {
            let account = w
                .orgs(MGMT)
                .create_member_account(name, &format!("{name}@example.com"), None, Vec::new())
                .unwrap()
                .account;
            let caller = admin_in(&w, &account);
            assert!(decision(&w, &caller).is_err(), "the root's SCP applies");
            members.push((account, caller));
        }
        w.orgs(MGMT).remove_member_account(&members[0].0).unwrap();
        w.orgs(&members[1].0).leave_organization().unwrap();
        for (account, caller) in &members {
            assert_eq!(decision(&w, caller), Ok(()), "{account} is standalone");
            assert!(scp_levels(&w.read(), account).is_none());
        }
        // Their attachments went with them; the root's stays.
        let targets: Vec<String> = w
            .orgs(MGMT)
            .org_targets_for_policy(FULL_AWS_ACCESS_ID)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(targets, vec![org.root_id(), MGMT.to_string()]);
    }

    #[test]
    fn accounts_created_after_enabling_get_full_aws_access() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        let org = w.orgs(MGMT).create_organization(None).unwrap();
        w.orgs(MGMT)
            .enable_policy_type(&org.root_id(), SCP)
            .unwrap();
        let member = w
            .orgs(MGMT)
            .create_member_account("late", "late@example.com", None, Vec::new())
            .unwrap()
            .account;
        let attached: Vec<String> = w
            .orgs(MGMT)
            .org_policies_for_target(&member, SCP)
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(attached, vec![FULL_AWS_ACCESS_ID.to_string()]);
        let dev = admin_in(&w, &member);
        assert_eq!(decision(&w, &dev), Ok(()));
    }

    #[test]
    fn malformed_and_oversized_content_is_refused_and_nothing_is_stored() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        w.orgs(MGMT).create_organization(None).unwrap();
        assert!(matches!(
            w.orgs(MGMT)
                .create_org_policy("bad", "", SCP, "{not json", Vec::new()),
            Err(CoreError::OrgMalformedPolicyDocument)
        ));
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Deny","Action":"*","Resource":"*"}}]}}"#,
            "A".repeat(6000)
        );
        assert!(matches!(
            w.orgs(MGMT)
                .create_org_policy("big", "", SCP, &big, Vec::new()),
            Err(CoreError::OrgConstraintViolation {
                reason: "POLICY_CONTENT_LIMIT_EXCEEDED",
                ..
            })
        ));
        let names: Vec<String> = w
            .orgs(MGMT)
            .list_org_policies(SCP)
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, vec!["FullAWSAccess".to_string()]);
    }
}
