//! Identity policies: customer managed policies and their versions, AWS
//! managed policies (read-only), inline policies, attachments, and
//! permissions boundaries. Every document is validated for its policy type
//! and compiled when it is stored, so requests only ever see compiled
//! policies.

use std::collections::HashMap;
use std::sync::Arc;

use warden_policy::{Policy, PolicyType};

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::Iam;
use crate::model::{now_epoch, Compiled, Epoch, InlinePolicy, ManagedPolicy, PolicyVersion, Tag};
use crate::page::{paginate, Page, PageQuery};
use crate::state::{name_key, Change, Kind, State};

/// AWS's default quota of managed policies attached to one user, group or role.
pub const DEFAULT_ATTACHED_POLICIES_QUOTA: usize = 10;
/// Versions kept per managed policy.
pub const MAX_POLICY_VERSIONS: usize = 5;

/// Compiles stored inline policies (at load); a document that no longer
/// compiles stays uncompiled and so grants nothing.
pub fn compile_inline(list: &mut [InlinePolicy]) {
    for p in list.iter_mut().filter(|p| p.compiled.0.is_none()) {
        p.compiled = compile_stored(&p.document);
    }
}

/// Compiles every version of a stored managed policy (at load).
pub fn compile_versions(policy: &mut ManagedPolicy) {
    for v in policy
        .versions
        .iter_mut()
        .filter(|v| v.compiled.0.is_none())
    {
        v.compiled = compile_stored(&v.document);
    }
}

pub(crate) fn compile_stored(document: &str) -> Compiled {
    match Policy::parse(document) {
        Ok(p) => Compiled(Some(Arc::new(p))),
        Err(e) => {
            tracing::warn!(error = %e, "a stored policy no longer compiles; it grants nothing");
            Compiled(None)
        }
    }
}

/// Validates `document` as `ty` and compiles it, or gives IAM's answer:
/// `LimitExceeded` for a size quota, else `MalformedPolicyDocument` with
/// IAM's message. The checks, their order and their texts are warden-policy's
/// (one list, shared with `warden policy validate`); nothing is reworded here.
pub fn compile_document(document: &str, ty: PolicyType) -> Result<Compiled> {
    let policy = Policy::parse_as(document, ty).map_err(|e| {
        let message = e.aws_message(ty);
        match e.aws_error_code() {
            "LimitExceeded" => CoreError::LimitExceeded(message),
            _ => CoreError::MalformedPolicyDocument(message),
        }
    })?;
    Ok(Compiled(Some(Arc::new(policy))))
}

/// A customer managed policy's document (CreatePolicy, CreatePolicyVersion):
/// an identity policy that must also use Version 2012-10-17.
fn compile_managed_document(document: &str) -> Result<Compiled> {
    compile_document(document, PolicyType::Managed)
}

/// IAM measures policy size without whitespace.
fn size_without_whitespace(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

pub use crate::iam::managed_policies::AwsPolicy;

/// Every AWS managed policy warden ships, sorted by ARN.
pub fn aws_policies() -> &'static [AwsPolicy] {
    crate::iam::managed_policies::aws_managed_policies()
}

/// The AWS managed policy `arn` names, if any.
pub fn aws_policy(arn: &str) -> Option<&'static AwsPolicy> {
    crate::iam::managed_policies::aws_managed_policy(arn)
}

/// Where an attachment or inline policy lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder<'a> {
    /// A user, by name in any case.
    User(&'a str),
    /// A group, by name in any case.
    Group(&'a str),
    /// A role, by name in any case.
    Role(&'a str),
}

impl Holder<'_> {
    fn kind(self) -> &'static str {
        match self {
            Holder::User(_) => "user",
            Holder::Group(_) => "group",
            Holder::Role(_) => "role",
        }
    }

    /// AWS's aggregate inline-policy quota per entity.
    fn inline_quota(self) -> usize {
        match self {
            Holder::User(_) => 2_048,
            Holder::Group(_) => 5_120,
            Holder::Role(_) => 10_240,
        }
    }
}

/// The inline and attached policies of one holder, for reading and writing.
struct HolderPolicies<'s> {
    name: &'s str,
    inline: &'s [InlinePolicy],
    attached: &'s [String],
}

fn holder<'s>(s: &'s State, account: &str, h: Holder<'_>) -> Result<HolderPolicies<'s>> {
    match h {
        Holder::User(n) => {
            let u = crate::iam::users::find_user(s, account, n)?;
            Ok(HolderPolicies {
                name: &u.name,
                inline: &u.inline_policies,
                attached: &u.attached_policies,
            })
        }
        Holder::Group(n) => {
            let g = s.group(account, n).ok_or_else(|| {
                CoreError::NoSuchEntity(format!("The group with name {n} cannot be found."))
            })?;
            Ok(HolderPolicies {
                name: &g.name,
                inline: &g.inline_policies,
                attached: &g.attached_policies,
            })
        }
        Holder::Role(n) => {
            let r = crate::iam::roles::find_role(s, account, n)?;
            Ok(HolderPolicies {
                name: &r.name,
                inline: &r.inline_policies,
                attached: &r.attached_policies,
            })
        }
    }
}

/// Applies `f` to a clone of the holder's policy lists and returns the change.
fn change_holder(
    s: &State,
    account: &str,
    h: Holder<'_>,
    f: impl FnOnce(&str, &mut Vec<InlinePolicy>, &mut Vec<String>) -> Result<()>,
) -> Result<Change> {
    match h {
        Holder::User(n) => {
            let mut u = crate::iam::users::find_user(s, account, n)?.clone();
            let name = u.name.clone();
            f(&name, &mut u.inline_policies, &mut u.attached_policies)?;
            Ok(Change::User(u))
        }
        Holder::Group(n) => {
            let mut g = s
                .group(account, n)
                .ok_or_else(|| {
                    CoreError::NoSuchEntity(format!("The group with name {n} cannot be found."))
                })?
                .clone();
            let name = g.name.clone();
            f(&name, &mut g.inline_policies, &mut g.attached_policies)?;
            Ok(Change::Group(g))
        }
        Holder::Role(n) => {
            let mut r = crate::iam::roles::find_role(s, account, n)?.clone();
            if crate::iam::roles::is_service_linked(&r) {
                return Err(crate::iam::roles::unmodifiable(&r));
            }
            let name = r.name.clone();
            f(&name, &mut r.inline_policies, &mut r.attached_policies)?;
            Ok(Change::Role(r))
        }
    }
}

/// A managed policy as the API shows it: customer or AWS, with usage counts.
#[derive(Debug, Clone)]
pub struct PolicyView {
    /// As created; unique per account regardless of case.
    pub name: String,
    /// `/` unless set at creation.
    pub path: String,
    /// `arn:aws:iam::ACCOUNT:policy{path}{name}`, or `arn:aws:iam::aws:policy...` for AWS's.
    pub arn: String,
    /// The `ANPA...` policy id.
    pub id: String,
    /// The default version's id (`v1`, `v2`, ...).
    pub default_version: String,
    /// The description given at creation, if any.
    pub description: Option<String>,
    /// When the policy was created.
    pub created: Epoch,
    /// When a version was added or the default changed.
    pub updated: Epoch,
    /// Users, groups and roles attaching the policy in this account.
    pub attachment_count: i32,
    /// Users and roles using the policy as their permissions boundary.
    pub boundary_usage_count: i32,
    /// The policy's tags; always empty for AWS managed policies.
    pub tags: Vec<Tag>,
    /// True for an AWS managed policy (read-only, shared by every account).
    pub aws_managed: bool,
}

/// A version as the API shows it.
#[derive(Debug, Clone)]
pub struct VersionView {
    /// `v1`, `v2`, ...: numbered per policy, never reused.
    pub id: String,
    /// The policy document as given.
    pub document: String,
    /// When the version was created.
    pub created: Epoch,
    /// Whether this is the policy's default version.
    pub is_default: bool,
}

/// How many entities attach `arn`, and use it as a boundary.
fn usage(s: &State, account: &str, arn: &str) -> (i32, i32) {
    usage_counts(s, account).get(arn).copied().unwrap_or((0, 0))
}

/// `(attachments, boundary uses)` of every managed policy used in `account`,
/// counted in one pass over its users, groups and roles, so that a listing of
/// every AWS managed policy does not scan the entities once per policy.
fn usage_counts<'s>(s: &'s State, account: &'s str) -> HashMap<&'s str, (i32, i32)> {
    let mut counts: HashMap<&str, (i32, i32)> = HashMap::new();
    let mut count = |attached: &'s [String], boundary: Option<&'s str>| {
        for a in attached {
            counts.entry(a.as_str()).or_default().0 += 1;
        }
        if let Some(b) = boundary {
            counts.entry(b).or_default().1 += 1;
        }
    };
    for u in s.users_of(account) {
        count(&u.attached_policies, u.permissions_boundary.as_deref());
    }
    for g in s.groups_of(account) {
        count(&g.attached_policies, None);
    }
    for r in s.roles_of(account) {
        count(&r.attached_policies, r.permissions_boundary.as_deref());
    }
    counts
}

fn view_customer(s: &State, p: &ManagedPolicy) -> PolicyView {
    let arn = p.arn();
    let counts = usage(s, &p.account, &arn);
    customer_view(p, arn, counts)
}

fn customer_view(p: &ManagedPolicy, arn: String, counts: (i32, i32)) -> PolicyView {
    PolicyView {
        name: p.name.clone(),
        path: p.path.clone(),
        id: p.id.clone(),
        default_version: p.default_version.clone(),
        description: p.description.clone(),
        created: p.created,
        updated: p.updated,
        attachment_count: counts.0,
        boundary_usage_count: counts.1,
        tags: p.tags.clone(),
        aws_managed: false,
        arn,
    }
}

fn view_aws(p: &AwsPolicy, (attachment_count, boundary_usage_count): (i32, i32)) -> PolicyView {
    PolicyView {
        name: p.name.to_string(),
        path: p.path.to_string(),
        arn: p.arn.clone(),
        id: p.id.to_string(),
        default_version: p.default_version.to_string(),
        description: p.description.map(str::to_string),
        created: p.created,
        updated: p.updated,
        attachment_count,
        boundary_usage_count,
        tags: Vec::new(),
        aws_managed: true,
    }
}

/// The customer managed policy an ARN names, if it is one of `account`'s.
fn customer_policy<'s>(s: &'s State, account: &str, arn: &str) -> Option<&'s ManagedPolicy> {
    let name = arn.strip_prefix(&format!("arn:aws:iam::{account}:policy/"))?;
    let name = name.rsplit('/').next()?;
    s.policies
        .get(&name_key(account, name))
        .filter(|p| p.arn() == arn)
}

/// `7` for `v7`, for ordering versions.
fn version_number(id: &str) -> u32 {
    id.strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn not_found(arn: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("Policy {arn} was not found."))
}

fn not_attachable(arn: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

/// AWS's answer when a policy parameter is not an ARN at all.
fn check_arn(arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2].is_empty() || parts[5].is_empty() {
        return Err(CoreError::ValidationError(
            "Invalid ARN:  Could not be parsed!".to_string(),
        ));
    }
    Ok(())
}

fn aws_read_only(arn: &str) -> CoreError {
    CoreError::InvalidInput(format!(
        "Policy {arn} is an AWS managed policy and cannot be changed."
    ))
}

/// The compiled default version of the managed policy `arn`, customer or AWS.
pub fn compiled_managed(s: &State, account: &str, arn: &str) -> Option<Arc<Policy>> {
    match customer_policy(s, account, arn) {
        Some(p) => p.default().and_then(|v| v.compiled.0.clone()),
        None => aws_policy(arn).and_then(AwsPolicy::compiled),
    }
}

fn policy_exists(s: &State, account: &str, arn: &str) -> bool {
    customer_policy(s, account, arn).is_some() || aws_policy(arn).is_some()
}

/// `(name, unique id)` of the users, groups and roles using a policy.
#[derive(Debug, Clone, Default)]
pub struct EntitiesForPolicy {
    /// Users attaching (or bounded by) the policy.
    pub users: Vec<(String, String)>,
    /// Groups attaching the policy.
    pub groups: Vec<(String, String)>,
    /// Roles attaching (or bounded by) the policy.
    pub roles: Vec<(String, String)>,
}

/// Tags of a managed policy: keys compare case-sensitively there, and AWS's
/// duplicate text says nothing about case (recorded AWS answers).
fn check_new_policy_tags(tags: &[Tag]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    if !tags.iter().all(|t| seen.insert(t.key.as_str())) {
        return Err(CoreError::InvalidInput(
            "Duplicate tag keys found.".to_string(),
        ));
    }
    if tags.len() > crate::iam::users::MAX_TAGS {
        return Err(CoreError::LimitExceeded(
            "The number of tags has reached the maximum limit.".to_string(),
        ));
    }
    Ok(())
}

/// ListPolicies' filters. `scope` is `All`, `AWS` or `Local`; `usage` is
/// `PermissionsPolicy` or `PermissionsBoundary`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicyFilter<'a> {
    /// `All` (default), `AWS` or `Local`.
    pub scope: Option<&'a str>,
    /// OnlyAttached: only policies attached or used as a boundary somewhere.
    pub only_attached: bool,
    /// Only policies whose path starts with this (default `/`).
    pub path_prefix: Option<&'a str>,
    /// PolicyUsageFilter: `PermissionsPolicy` or `PermissionsBoundary` (applies with
    /// `only_attached`).
    pub usage: Option<&'a str>,
}

/// Inputs of CreatePolicy.
#[derive(Debug, Clone, Default)]
pub struct NewPolicy {
    /// Unique per account regardless of case.
    pub name: String,
    /// Defaults to `/`.
    pub path: Option<String>,
    /// The policy document, checked and compiled before it is stored.
    pub document: String,
    /// Shown by GetPolicy; cannot be changed later.
    pub description: Option<String>,
    /// Tags; keys compare case-sensitively on managed policies.
    pub tags: Vec<Tag>,
}

impl Iam<'_> {
    // ---- customer managed policies ----

    /// CreatePolicy: a customer managed policy with version `v1` as default; EntityAlreadyExists if
    /// the name is taken in any case.
    pub fn create_policy(&self, req: NewPolicy) -> Result<PolicyView> {
        let account = self.account;
        check_new_policy_tags(&req.tags)?;
        let compiled = compile_managed_document(&req.document)?;
        self.warden.write(|s| {
            if s.policies.contains_key(&name_key(account, &req.name)) {
                return Err(CoreError::EntityAlreadyExists(format!(
                    "A policy called {} already exists. Duplicate names are not allowed.",
                    req.name
                )));
            }
            let now = now_epoch();
            let policy = ManagedPolicy {
                account: account.to_string(),
                name: req.name.clone(),
                path: req.path.clone().unwrap_or_else(|| "/".to_string()),
                id: crypto::random_id("ANPA"),
                created: now,
                updated: now,
                description: req.description.clone(),
                tags: req.tags.clone(),
                versions: vec![PolicyVersion {
                    id: "v1".to_string(),
                    document: req.document.clone(),
                    created: now,
                    compiled: compiled.clone(),
                }],
                default_version: "v1".to_string(),
                next_version: 2,
            };
            let view = view_customer(s, &policy);
            Ok((vec![Change::Policy(policy)], view))
        })
    }

    /// GetPolicy: a customer policy of the account or an AWS managed one, with usage counts.
    pub fn get_policy(&self, arn: &str) -> Result<PolicyView> {
        let account = self.account;
        check_arn(arn)?;
        let s = self.warden.read();
        if let Some(p) = customer_policy(&s, account, arn) {
            return Ok(view_customer(&s, p));
        }
        aws_policy(arn)
            .map(|p| view_aws(p, usage(&s, account, arn)))
            .ok_or_else(|| not_found(arn))
    }

    /// ListPolicies.
    pub fn list_policies(
        &self,
        filter: &PolicyFilter<'_>,
        query: PageQuery,
    ) -> Result<Page<PolicyView>> {
        let account = self.account;
        let PolicyFilter {
            scope,
            only_attached,
            path_prefix,
            usage: usage_filter,
        } = *filter;
        let s = self.warden.read();
        let scope = scope.unwrap_or("All");
        let prefix = path_prefix.unwrap_or("/");
        let counts = usage_counts(&s, account);
        let count = |arn: &str| counts.get(arn).copied().unwrap_or((0, 0));
        // Filtered before views are made: AWS's side alone is some 1,600 policies.
        let keep = |path: &str, (attached, boundary): (i32, i32)| {
            path.starts_with(prefix)
                && (!only_attached || attached + boundary > 0)
                && match usage_filter {
                    Some("PermissionsPolicy") => !only_attached || attached > 0,
                    Some("PermissionsBoundary") => !only_attached || boundary > 0,
                    _ => true,
                }
        };
        let mut views: Vec<PolicyView> = Vec::new();
        if scope != "Local" {
            views.extend(
                aws_policies()
                    .iter()
                    .filter(|p| keep(p.path, count(&p.arn)))
                    .map(|p| view_aws(p, count(&p.arn))),
            );
        }
        if scope != "AWS" {
            views.extend(s.policies_of(account).filter_map(|p| {
                let arn = p.arn();
                let c = count(&arn);
                keep(&p.path, c).then(|| customer_view(p, arn, c))
            }));
        }
        views.sort_by(|a, b| a.arn.cmp(&b.arn));
        paginate(views, |v| v.arn.clone(), query)
    }

    /// DeletePolicy; DeleteConflict while attached or used as a boundary, or while it has versions
    /// besides the default.
    pub fn delete_policy(&self, arn: &str) -> Result<()> {
        let account = self.account;
        check_arn(arn)?;
        self.warden.write(|s| {
            let Some(p) = customer_policy(s, account, arn) else {
                return Err(if aws_policy(arn).is_some() { aws_read_only(arn) } else { not_found(arn) });
            };
            let (attached, boundary) = usage(s, account, arn);
            if attached + boundary > 0 {
                return Err(CoreError::DeleteConflict(
                    "Cannot delete a policy attached to entities.".to_string(),
                ));
            }
            if p.versions.len() > 1 {
                return Err(CoreError::DeleteConflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".to_string(),
                ));
            }
            Ok((vec![Change::Delete(Kind::Policy, name_key(account, &p.name))], ()))
        })
    }

    fn update_customer_policy<T>(
        &self,
        arn: &str,
        f: impl FnOnce(&mut ManagedPolicy) -> Result<T>,
    ) -> Result<T> {
        check_arn(arn)?;
        self.warden.write(|s| {
            let Some(p) = customer_policy(s, self.account, arn) else {
                return Err(if aws_policy(arn).is_some() {
                    aws_read_only(arn)
                } else {
                    not_found(arn)
                });
            };
            let mut p = p.clone();
            let out = f(&mut p)?;
            Ok((vec![Change::Policy(p)], out))
        })
    }

    /// CreatePolicyVersion: adds a version (at most 5 per policy, as AWS), optionally making it the
    /// default.
    pub fn create_policy_version(
        &self,
        arn: &str,
        document: &str,
        set_default: bool,
    ) -> Result<VersionView> {
        let compiled = compile_managed_document(document)?;
        self.update_customer_policy(arn, |p| {
            if p.versions.len() >= MAX_POLICY_VERSIONS {
                return Err(CoreError::LimitExceeded(format!(
                    "A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version."
                )));
            }
            let now = now_epoch();
            let id = format!("v{}", p.next_version);
            p.next_version += 1;
            p.versions.insert(
                0,
                PolicyVersion {
                    id: id.clone(),
                    document: document.to_string(),
                    created: now,
                    compiled,
                },
            );
            if set_default {
                p.default_version.clone_from(&id);
            }
            p.updated = now;
            Ok(VersionView {
                id,
                document: document.to_string(),
                created: now,
                is_default: set_default,
            })
        })
    }

    /// GetPolicyVersion, of any version of a customer or AWS managed policy.
    pub fn get_policy_version(&self, arn: &str, version: &str) -> Result<VersionView> {
        let account = self.account;
        check_arn(arn)?;
        let s = self.warden.read();
        let no_version = || {
            CoreError::NoSuchEntity(format!(
                "Policy {arn} version {version} does not exist or is not attachable."
            ))
        };
        if !policy_exists(&s, account, arn) {
            return Err(no_version());
        }
        if let Some(p) = customer_policy(&s, account, arn) {
            let v = p
                .versions
                .iter()
                .find(|v| v.id == version)
                .ok_or_else(no_version)?;
            return Ok(VersionView {
                id: v.id.clone(),
                document: v.document.clone(),
                created: v.created,
                is_default: v.id == p.default_version,
            });
        }
        let p = aws_policy(arn).ok_or_else(|| not_found(arn))?;
        let created = p
            .versions
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, d)| *d)
            .ok_or_else(no_version)?;
        Ok(VersionView {
            id: version.to_string(),
            document: p.document(version).ok_or_else(no_version)?,
            created,
            is_default: p.default_version == version,
        })
    }

    /// ListPolicyVersions: newest first, paged by position.
    pub fn list_policy_versions(&self, arn: &str, query: PageQuery) -> Result<Page<VersionView>> {
        check_arn(arn)?;
        let s = self.warden.read();
        let versions: Vec<VersionView> = match customer_policy(&s, self.account, arn) {
            Some(p) => p
                .versions
                .iter()
                .map(|v| VersionView {
                    id: v.id.clone(),
                    document: v.document.clone(),
                    created: v.created,
                    is_default: v.id == p.default_version,
                })
                .collect(),
            None => {
                // Newest first; the listing shows no documents, so none is
                // inflated (ReadOnlyAccess has over 150 versions).
                let p = aws_policy(arn).ok_or_else(|| not_found(arn))?;
                let mut versions: Vec<VersionView> = p
                    .versions
                    .iter()
                    .map(|(id, created)| VersionView {
                        id: id.to_string(),
                        document: String::new(),
                        created: *created,
                        is_default: *id == p.default_version,
                    })
                    .collect();
                versions.sort_by_key(|v| std::cmp::Reverse(version_number(&v.id)));
                versions
            }
        };
        // Newest first, as stored; the marker is the position.
        let indexed = versions.into_iter().enumerate();
        let page = paginate(indexed, |(i, _)| format!("{i:04}"), query)?;
        Ok(Page {
            items: page.items.into_iter().map(|(_, v)| v).collect(),
            marker: page.marker,
        })
    }

    /// DeletePolicyVersion; DeleteConflict for the default version.
    pub fn delete_policy_version(&self, arn: &str, version: &str) -> Result<()> {
        self.update_customer_policy(arn, |p| {
            if p.default_version == version {
                return Err(CoreError::DeleteConflict(
                    "Cannot delete the default version of a policy.".to_string(),
                ));
            }
            let before = p.versions.len();
            p.versions.retain(|v| v.id != version);
            if p.versions.len() == before {
                return Err(CoreError::NoSuchEntity(format!(
                    "Policy {arn} version {version} does not exist or is not attachable."
                )));
            }
            Ok(())
        })
    }

    /// SetDefaultPolicyVersion of a customer policy; the version must exist.
    pub fn set_default_policy_version(&self, arn: &str, version: &str) -> Result<()> {
        check_arn(arn)?;
        if !policy_exists(&self.warden.read(), self.account, arn) {
            return Err(CoreError::NoSuchEntity(format!(
                "Policy {arn} version {version} does not exist or is not attachable."
            )));
        }
        self.update_customer_policy(arn, |p| {
            if !p.versions.iter().any(|v| v.id == version) {
                return Err(CoreError::NoSuchEntity(format!(
                    "Policy {arn} version {version} does not exist or is not attachable."
                )));
            }
            p.default_version = version.to_string();
            p.updated = now_epoch();
            Ok(())
        })
    }

    /// TagPolicy: merges tags, matching keys case-sensitively (unlike user and role tags).
    pub fn tag_policy(&self, arn: &str, tags: &[Tag]) -> Result<()> {
        check_new_policy_tags(tags)?;
        self.update_customer_policy(arn, |p| {
            // Policy tag keys are case-sensitive, unlike user and role tags.
            for t in tags {
                match p.tags.iter_mut().find(|x| x.key == t.key) {
                    Some(existing) => existing.value.clone_from(&t.value),
                    None => p.tags.push(t.clone()),
                }
            }
            if p.tags.len() > crate::iam::users::MAX_TAGS {
                return Err(CoreError::LimitExceeded(
                    "The number of tags has reached the maximum limit.".to_string(),
                ));
            }
            Ok(())
        })
    }

    /// UntagPolicy: removes the tags with exactly these keys.
    pub fn untag_policy(&self, arn: &str, keys: &[String]) -> Result<()> {
        self.update_customer_policy(arn, |p| {
            p.tags.retain(|t| !keys.contains(&t.key));
            Ok(())
        })
    }

    /// Users and groups that attach `arn` (or use it as a boundary, with the
    /// `PermissionsBoundary` usage filter).
    pub fn list_entities_for_policy(
        &self,
        arn: &str,
        entity_filter: Option<&str>,
        path_prefix: Option<&str>,
        usage_filter: Option<&str>,
    ) -> Result<EntitiesForPolicy> {
        let account = self.account;
        check_arn(arn)?;
        let s = self.warden.read();
        if !policy_exists(&s, account, arn) {
            return Err(not_attachable(arn));
        }
        let prefix = path_prefix.unwrap_or("/");
        let boundary = usage_filter == Some("PermissionsBoundary");
        let want = |kind: &str| {
            entity_filter
                .is_none_or(|f| f == kind || f == "LocalManagedPolicy" || f == "AWSManagedPolicy")
        };
        // Does an entity with these attachments and boundary use `arn` in
        // the way the usage filter asks?
        let uses = |attached: &[String], bound: Option<&str>| {
            let attached = attached.iter().any(|a| a == arn);
            let bound = bound == Some(arn);
            match usage_filter {
                Some("PermissionsPolicy") => attached,
                _ if boundary => bound,
                _ => attached || bound,
            }
        };
        let pick =
            |kind: &str, items: Vec<(String, String)>| if want(kind) { items } else { Vec::new() };
        let users = pick(
            "User",
            s.users_of(account)
                .filter(|u| u.path.starts_with(prefix))
                .filter(|u| uses(&u.attached_policies, u.permissions_boundary.as_deref()))
                .map(|u| (u.name.clone(), u.id.clone()))
                .collect(),
        );
        let groups = pick(
            "Group",
            s.groups_of(account)
                .filter(|g| g.path.starts_with(prefix))
                .filter(|g| uses(&g.attached_policies, None))
                .map(|g| (g.name.clone(), g.id.clone()))
                .collect(),
        );
        let roles = pick(
            "Role",
            s.roles_of(account)
                .filter(|r| r.path.starts_with(prefix))
                .filter(|r| uses(&r.attached_policies, r.permissions_boundary.as_deref()))
                .map(|r| (r.name.clone(), r.id.clone()))
                .collect(),
        );
        Ok(EntitiesForPolicy {
            users,
            groups,
            roles,
        })
    }

    // ---- inline policies ----

    /// PutUserPolicy, PutGroupPolicy or PutRolePolicy: adds or replaces an inline policy, within
    /// the holder's inline size quota.
    pub fn put_inline_policy(&self, h: Holder<'_>, name: &str, document: &str) -> Result<()> {
        let compiled = compile_document(document, PolicyType::Identity)?;
        self.warden.write(|s| {
            let change = change_holder(s, self.account, h, |entity, inline, _| {
                let new = InlinePolicy {
                    name: name.to_string(),
                    document: document.to_string(),
                    compiled,
                };
                match inline.iter_mut().find(|p| p.name == name) {
                    Some(existing) => *existing = new,
                    None => inline.push(new),
                }
                let total: usize = inline
                    .iter()
                    .map(|p| size_without_whitespace(&p.document))
                    .sum();
                let quota = h.inline_quota();
                if total > quota {
                    return Err(CoreError::LimitExceeded(format!(
                        "Maximum policy size of {quota} bytes exceeded for {} {entity}",
                        h.kind()
                    )));
                }
                Ok(())
            })?;
            Ok((vec![change], ()))
        })
    }

    /// The holder's real name and the document of its inline policy `name`.
    pub fn get_inline_policy(&self, h: Holder<'_>, name: &str) -> Result<(String, String)> {
        let s = self.warden.read();
        let hp = holder(&s, self.account, h)?;
        let p = hp.inline.iter().find(|p| p.name == name).ok_or_else(|| {
            CoreError::NoSuchEntity(format!(
                "The {} policy with name {name} cannot be found.",
                h.kind()
            ))
        })?;
        Ok((hp.name.to_string(), p.document.clone()))
    }

    /// ListUserPolicies, ListGroupPolicies or ListRolePolicies: the inline policy names, sorted.
    pub fn list_inline_policies(&self, h: Holder<'_>, query: PageQuery) -> Result<Page<String>> {
        let s = self.warden.read();
        let hp = holder(&s, self.account, h)?;
        let mut names: Vec<String> = hp.inline.iter().map(|p| p.name.clone()).collect();
        names.sort();
        paginate(names, Clone::clone, query)
    }

    /// DeleteUserPolicy, DeleteGroupPolicy or DeleteRolePolicy; NoSuchEntity if the holder has no
    /// such inline policy.
    pub fn delete_inline_policy(&self, h: Holder<'_>, name: &str) -> Result<()> {
        self.warden.write(|s| {
            let change = change_holder(s, self.account, h, |_, inline, _| {
                let before = inline.len();
                inline.retain(|p| p.name != name);
                if inline.len() == before {
                    return Err(CoreError::NoSuchEntity(format!(
                        "The {} policy with name {name} cannot be found.",
                        h.kind()
                    )));
                }
                Ok(())
            })?;
            Ok((vec![change], ()))
        })
    }

    // ---- attachments ----

    /// AttachUserPolicy, AttachGroupPolicy or AttachRolePolicy; attaching again succeeds, beyond
    /// the quota is LimitExceeded.
    pub fn attach_policy(&self, h: Holder<'_>, arn: &str) -> Result<()> {
        let account = self.account;
        check_arn(arn)?;
        let quota = self.warden.config().attached_policies_quota;
        self.warden.write(|s| {
            if !policy_exists(s, account, arn) {
                return Err(not_attachable(arn));
            }
            let change = change_holder(s, account, h, |_, _, attached| {
                if attached.iter().any(|a| a == arn) {
                    return Ok(());
                }
                if attached.len() >= quota {
                    let what = match h {
                        Holder::User(_) => "PoliciesPerUser",
                        Holder::Group(_) => "PoliciesPerGroup",
                        Holder::Role(_) => "PoliciesPerRole",
                    };
                    return Err(CoreError::LimitExceeded(format!(
                        "Cannot exceed quota for {what}: {quota}"
                    )));
                }
                attached.push(arn.to_string());
                Ok(())
            })?;
            Ok((vec![change], ()))
        })
    }

    /// DetachUserPolicy, DetachGroupPolicy or DetachRolePolicy; NoSuchEntity if the policy is not
    /// attached.
    pub fn detach_policy(&self, h: Holder<'_>, arn: &str) -> Result<()> {
        check_arn(arn)?;
        self.warden.write(|s| {
            let change = change_holder(s, self.account, h, |_, _, attached| {
                let before = attached.len();
                attached.retain(|a| a != arn);
                if attached.len() == before {
                    return Err(not_found(arn));
                }
                Ok(())
            })?;
            Ok((vec![change], ()))
        })
    }

    /// `(name, arn)` of the holder's attached managed policies.
    pub fn list_attached_policies(
        &self,
        h: Holder<'_>,
        path_prefix: Option<&str>,
        query: PageQuery,
    ) -> Result<Page<(String, String)>> {
        let account = self.account;
        let s = self.warden.read();
        let hp = holder(&s, account, h)?;
        let prefix = path_prefix.unwrap_or("/");
        let mut items: Vec<(String, String)> = hp
            .attached
            .iter()
            .filter_map(|arn| {
                let (name, path) = match customer_policy(&s, account, arn) {
                    Some(p) => (p.name.clone(), p.path.clone()),
                    None => {
                        let p = aws_policy(arn)?;
                        (p.name.to_string(), p.path.to_string())
                    }
                };
                path.starts_with(prefix).then(|| (name, arn.clone()))
            })
            .collect();
        items.sort();
        paginate(items, |(n, _)| n.clone(), query)
    }

    /// Checks that a boundary ARN names an existing managed policy.
    pub fn check_boundary(&self, arn: &str) -> Result<()> {
        check_arn(arn)?;
        // Only a managed policy can be a boundary.
        if arn
            .split(':')
            .nth(5)
            .is_none_or(|r| !r.starts_with("policy/"))
        {
            return Err(CoreError::InvalidInput(format!("ARN {arn} is not valid.")));
        }
        if policy_exists(&self.warden.read(), self.account, arn) {
            Ok(())
        } else {
            Err(CoreError::NoSuchEntity(format!(
                "Scope ARN: {arn} does not exist or is not attachable."
            )))
        }
    }
}
