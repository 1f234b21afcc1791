//! Last-accessed information: what each principal used, recorded on the
//! request path, and the reports built from it: GenerateServiceLastAccessedDetails,
//! GetServiceLastAccessedDetails(WithEntities), and
//! ListPoliciesGrantingServiceAccess.
//!
//! # Recording
//!
//! Every authenticated request of an IAM user or a role session, allowed or
//! denied (AWS reports "all attempts ..., not just the successful ones"),
//! notes `(principal, action) -> (time, region)` in memory ([`Warden::record_access`]):
//! a map lookup under a short lock, with no allocation once the pair is
//! known. [`Warden::flush_access`] persists the pending uses as
//! [`AccessRecord`]s in the background with key and role use, so the
//! request path never waits on the store and the data survives a restart
//! (at most the last flush interval is lost on a crash). Principals are
//! keyed by unique id (`AIDA...`, `AROA...`), as AWS's tracking is: a user
//! deleted and re-created under the same name starts afresh. The root user
//! and federated users are not reported on by access advisor, so not
//! recorded.
//!
//! # Jobs
//!
//! AWS computes a report asynchronously behind a JobId. Here the job is
//! stored ([`AccessJob`]: what it reports on and when it was created) and
//! its report computed when read, from the uses recorded up to the job's
//! creation: the answer AWS gives (`COMPLETED`, completion = creation)
//! without storing a report per job. Policies changed after the job was
//! created do show, unlike AWS's snapshot.

use std::collections::{BTreeMap, HashMap};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use warden_catalogue::{catalogue, glob_matches, Service};

use crate::authz::auth::{Caller, PrincipalKind};
use crate::error::{CoreError, Result};
use crate::iam::Iam;
use crate::model::{now_epoch, Epoch, Group, InlinePolicy, Role, User};
use crate::orgs::org_policies::FULL_AWS_ACCESS_ID;
use crate::orgs::{organization_of, Organization};
use crate::page::{paginate, Page, PageQuery};
use crate::state::{name_key, Change, State};
use crate::Warden;

/// The services whose actions AWS tracks one by one at ACTION_LEVEL ("IAM
/// action last accessed information is available for Amazon EC2, IAM,
/// Lambda and Amazon S3 management actions", IAM User Guide, "Refining
/// permissions using last accessed information").
pub const TRACKED_SERVICES: &[&str] = &["ec2", "iam", "lambda", "s3"];

/// The last use of one action by one principal, stored under
/// `(account, "principal id\taction")`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    /// The principal's account.
    pub account: String,
    /// The unique id of the user (`AIDA...`) or role (`AROA...`).
    pub principal_id: String,
    /// The action, `service:Name` as the action table spells it.
    pub action: String,
    /// When it was last attempted.
    pub date: Epoch,
    /// The region the request was signed for.
    pub region: String,
}

impl AccessRecord {
    /// The record key within the account.
    pub fn key(&self) -> String {
        format!("{}\t{}", self.principal_id, self.action)
    }
}

/// Uses noted since the last flush, by principal id then action.
#[derive(Debug, Default)]
pub struct AccessRecorder {
    pending: Mutex<HashMap<String, PendingUses>>,
}

impl AccessRecorder {
    /// Forgets the uses not yet flushed (dev-mode reset).
    pub(crate) fn clear(&self) {
        self.pending.lock().clear();
    }
}

#[derive(Debug)]
struct PendingUses {
    account: String,
    actions: HashMap<&'static str, (Epoch, String)>,
}

/// The unique id access is recorded under: the user's, or the role's for
/// a role session (`AROA...:session` → `AROA...`).
fn principal_id(caller: &Caller) -> Option<&str> {
    match caller.kind {
        PrincipalKind::User { .. } => Some(&caller.user_id),
        PrincipalKind::AssumedRole { .. } => caller.user_id.split(':').next(),
        PrincipalKind::Root | PrincipalKind::FederatedUser { .. } => None,
    }
}

impl Warden {
    /// Notes that `caller` attempted `actions` at `now` in `region`, allowed
    /// or not. Memory only; cheap enough for every request.
    pub fn record_access(
        &self,
        caller: &Caller,
        actions: impl IntoIterator<Item = &'static str>,
        region: &str,
        now: Epoch,
    ) {
        let Some(id) = principal_id(caller) else {
            return;
        };
        let mut pending = self.access_used.pending.lock();
        let uses = match pending.get_mut(id) {
            Some(u) => u,
            None => pending
                .entry(id.to_string())
                .or_insert_with(|| PendingUses {
                    account: caller.account.clone(),
                    actions: HashMap::new(),
                }),
        };
        for action in actions {
            // Needs no permission, so it is no use of a permission either.
            if action == "sts:GetCallerIdentity" {
                continue;
            }
            match uses.actions.get_mut(action) {
                Some((when, at)) => {
                    *when = now;
                    if at != region {
                        region.clone_into(at);
                    }
                }
                None => {
                    uses.actions.insert(action, (now, region.to_string()));
                }
            }
        }
    }

    /// Persists the uses noted since the last flush. Runs periodically and
    /// at shutdown, with key and role use.
    pub fn flush_access(&self) -> Result<()> {
        let pending: Vec<(String, PendingUses)> = self.access_used.pending.lock().drain().collect();
        if pending.is_empty() {
            return Ok(());
        }
        let records: Vec<Change> = pending
            .into_iter()
            .flat_map(|(id, uses)| {
                let account = uses.account;
                uses.actions
                    .into_iter()
                    .map(move |(action, (date, region))| {
                        Change::AccessRecord(AccessRecord {
                            account: account.clone(),
                            principal_id: id.clone(),
                            action: action.to_string(),
                            date,
                            region,
                        })
                    })
            })
            .collect();
        self.write(|s| {
            // A later use another node recorded is kept.
            let newer = |change: &Change| match change {
                Change::AccessRecord(r) => s
                    .access_records
                    .get(&(r.account.clone(), r.key()))
                    .is_none_or(|stored| stored.date <= r.date),
                _ => true,
            };
            Ok((records.into_iter().filter(newer).collect(), ()))
        })
    }

    /// Every recorded use of `principal_id`: `action -> (time, region)`,
    /// the stored ones updated by those not yet flushed.
    fn uses_of(
        &self,
        s: &State,
        account: &str,
        principal_id: &str,
    ) -> BTreeMap<String, (Epoch, String)> {
        let prefix = format!("{principal_id}\t");
        let mut out: BTreeMap<String, (Epoch, String)> = s
            .access_records
            .range((account.to_string(), prefix.clone())..)
            .take_while(|((a, k), _)| a == account && k.starts_with(&prefix))
            .map(|(_, r)| (r.action.clone(), (r.date, r.region.clone())))
            .collect();
        if let Some(p) = self.access_used.pending.lock().get(principal_id) {
            for (action, used) in &p.actions {
                out.insert((*action).to_string(), used.clone());
            }
        }
        out
    }
}

/// What an access-report job reports on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobTarget {
    /// GenerateServiceLastAccessedDetails: a user, group, role or policy.
    ServiceLastAccessed {
        /// The entity's ARN as given.
        arn: String,
        /// ACTION_LEVEL rather than SERVICE_LEVEL.
        action_level: bool,
    },
    /// GenerateOrganizationsAccessReport: a root, OU or account path.
    Organizations {
        /// `o-.../r-...[/ou-...]*[/ACCOUNT]`.
        entity_path: String,
        /// Only the services this SCP allows, when given.
        policy_id: Option<String>,
    },
}

/// A report job, stored under `(account, job id)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessJob {
    /// A UUID, as AWS's JobIds are.
    pub id: String,
    /// The account that asked for it; only it can read it.
    pub account: String,
    /// What it reports on.
    pub target: JobTarget,
    /// The ARN of the principal that generated it (a role session's own
    /// ARN): "The JobId returned by GenerateServiceLastAccessedDetail must
    /// be used by the same role within a session, or by the same user"
    /// (the GenerateServiceLastAccessedDetails reference).
    pub owner: String,
    /// When it was created (and completed).
    pub created: Epoch,
}

/// A random (version 4) UUID.
fn new_job_id() -> String {
    let mut b = crate::crypto::random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A principal a report names: `(arn, name, type, id, path)` in AWS's
/// EntityInfo terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityInfo {
    /// Its ARN.
    pub arn: String,
    /// Its name as created.
    pub name: String,
    /// `USER` or `ROLE` (or `GROUP` for ListPoliciesGrantingServiceAccess).
    pub kind: &'static str,
    /// Its unique id.
    pub id: String,
    /// Its path.
    pub path: String,
}

fn user_info(u: &User) -> EntityInfo {
    EntityInfo {
        arn: u.arn(),
        name: u.name.clone(),
        kind: "USER",
        id: u.id.clone(),
        path: u.path.clone(),
    }
}

fn role_info(r: &Role) -> EntityInfo {
    EntityInfo {
        arn: r.arn(),
        name: r.name.clone(),
        kind: "ROLE",
        id: r.id.clone(),
        path: r.path.clone(),
    }
}

/// One policy of an entity, as ListPoliciesGrantingServiceAccess names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    /// The policy's name (an inline policy's own, a managed policy's).
    pub name: String,
    /// `Some(arn)` for a managed policy; `None` for an inline one.
    pub arn: Option<String>,
    /// For an inline policy: `USER`, `GROUP` or `ROLE`, and its holder's name.
    pub holder: Option<(&'static str, String)>,
    /// The document in force.
    pub document: String,
}

/// A reporting target resolved against the model.
struct Resolved {
    /// The identity policies whose services the report covers.
    policies: Vec<PolicyRef>,
    /// The principals whose use it reports.
    principals: Vec<EntityInfo>,
}

fn inline_refs(list: &[InlinePolicy], kind: &'static str, holder: &str) -> Vec<PolicyRef> {
    list.iter()
        .map(|p| PolicyRef {
            name: p.name.clone(),
            arn: None,
            holder: Some((kind, holder.to_string())),
            document: p.document.clone(),
        })
        .collect()
}

/// A managed policy's name and default document, customer or AWS.
fn managed_ref(s: &State, account: &str, arn: &str) -> Option<PolicyRef> {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    if let Some(p) = s
        .policies
        .get(&name_key(account, name))
        .filter(|p| p.arn() == arn)
    {
        return Some(PolicyRef {
            name: p.name.clone(),
            arn: Some(arn.to_string()),
            holder: None,
            document: p.default().map(|v| v.document.clone())?,
        });
    }
    crate::iam::policies::aws_policy(arn).map(|p| PolicyRef {
        name: p.name.to_string(),
        arn: Some(arn.to_string()),
        holder: None,
        document: p.default_document(),
    })
}

fn managed_refs(s: &State, account: &str, arns: &[String], out: &mut Vec<PolicyRef>) {
    for arn in arns {
        if out.iter().any(|p| p.arn.as_deref() == Some(arn)) {
            continue;
        }
        if let Some(p) = managed_ref(s, account, arn) {
            out.push(p);
        }
    }
}

fn user_policies(s: &State, account: &str, u: &User) -> Vec<PolicyRef> {
    let mut out = inline_refs(&u.inline_policies, "USER", &u.name);
    managed_refs(s, account, &u.attached_policies, &mut out);
    for g in u.groups.iter().filter_map(|g| s.group(account, g)) {
        out.extend(inline_refs(&g.inline_policies, "GROUP", &g.name));
        managed_refs(s, account, &g.attached_policies, &mut out);
    }
    out
}

fn group_policies(s: &State, account: &str, g: &Group) -> Vec<PolicyRef> {
    let mut out = inline_refs(&g.inline_policies, "GROUP", &g.name);
    managed_refs(s, account, &g.attached_policies, &mut out);
    out
}

fn role_policies(s: &State, account: &str, r: &Role) -> Vec<PolicyRef> {
    let mut out = inline_refs(&r.inline_policies, "ROLE", &r.name);
    managed_refs(s, account, &r.attached_policies, &mut out);
    out
}

/// The kind and name of an IAM ARN of `account`: `("user", "bob")` for
/// `arn:aws:iam::ACCOUNT:user/path/bob`. A policy's "name" is its ARN.
fn parse_entity_arn<'a>(arn: &'a str, account: &str) -> Option<(&'a str, &'a str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (owner, resource) = rest.split_once(':')?;
    let (kind, path_name) = resource.split_once('/')?;
    let name = path_name.rsplit('/').next()?;
    if name.is_empty() {
        return None;
    }
    match kind {
        "policy" if owner == account || owner == "aws" => Some(("policy", arn)),
        "user" | "group" | "role" if owner == account => Some((kind, name)),
        _ => None,
    }
}

/// The AWS text for an ARN that names no entity here; ours, as no
/// recording of this refusal exists.
fn not_found(arn: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("The entity {arn} does not exist."))
}

fn resolve(s: &State, account: &str, arn: &str) -> Result<Resolved> {
    let (kind, name) = parse_entity_arn(arn, account).ok_or_else(|| {
        CoreError::InvalidInput(format!(
            "ARN {arn} is not valid: it must name an IAM user, group, role or policy of this account."
        ))
    })?;
    let r = match kind {
        "user" => {
            let u = s
                .user(account, name)
                .filter(|u| u.arn() == arn)
                .ok_or_else(|| not_found(arn))?;
            Resolved {
                policies: user_policies(s, account, u),
                principals: vec![user_info(u)],
            }
        }
        "group" => {
            let g = s
                .group(account, name)
                .filter(|g| g.arn() == arn)
                .ok_or_else(|| not_found(arn))?;
            let lower = g.name.to_lowercase();
            Resolved {
                policies: group_policies(s, account, g),
                principals: s
                    .users_of(account)
                    .filter(|u| u.groups.contains(&lower))
                    .map(user_info)
                    .collect(),
            }
        }
        "role" => {
            let r = s
                .role(account, name)
                .filter(|r| r.arn() == arn)
                .ok_or_else(|| not_found(arn))?;
            Resolved {
                policies: role_policies(s, account, r),
                principals: vec![role_info(r)],
            }
        }
        _ => {
            let p = managed_ref(s, account, arn).ok_or_else(|| not_found(arn))?;
            let a = arn.to_string();
            // Users holding it directly or through a group, and roles.
            let mut principals: Vec<EntityInfo> = s
                .users_of(account)
                .filter(|u| {
                    u.attached_policies.contains(&a)
                        || u.groups.iter().any(|g| {
                            s.group(account, g)
                                .is_some_and(|g| g.attached_policies.contains(&a))
                        })
                })
                .map(user_info)
                .collect();
            principals.extend(
                s.roles_of(account)
                    .filter(|r| r.attached_policies.contains(&a))
                    .map(role_info),
            );
            Resolved {
                policies: vec![p],
                principals,
            }
        }
    };
    Ok(r)
}

/// The Allow statements' action patterns of a document: `(patterns, not)`
/// pairs, `not` for NotAction. Documents were checked when stored; one
/// that does not parse grants nothing.
fn allow_patterns(document: &str) -> Vec<(Vec<String>, bool)> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(document) else {
        return vec![];
    };
    let statements = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(one) => vec![one.clone()],
        None => vec![],
    };
    let strings = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => vec![],
        }
    };
    statements
        .iter()
        .filter(|st| st.get("Effect").and_then(|e| e.as_str()) == Some("Allow"))
        .filter_map(|st| match (st.get("Action"), st.get("NotAction")) {
            (Some(a), _) => Some((strings(a), false)),
            (None, Some(n)) => Some((strings(n), true)),
            (None, None) => None,
        })
        .collect()
}

/// Whether the action `prefix:name` matches the policy pattern `pattern`.
fn pattern_covers(pattern: &str, prefix: &str, name: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.split_once(':') {
        Some((p, n)) => p.eq_ignore_ascii_case(prefix) && glob_matches(n, name),
        None => false,
    }
}

/// The actions of `service` the patterns allow.
fn allowed_actions<'s>(service: &'s Service, patterns: &[(Vec<String>, bool)]) -> Vec<&'s str> {
    service
        .actions()
        .iter()
        .map(|a| a.name())
        .filter(|name| {
            patterns.iter().any(|(list, not)| {
                let hit = list
                    .iter()
                    .any(|p| pattern_covers(p, service.prefix(), name));
                hit != *not
            })
        })
        .collect()
}

/// Whether the patterns allow any action of `service`.
fn allows_service(service: &Service, patterns: &[(Vec<String>, bool)]) -> bool {
    patterns.iter().any(|(list, not)| {
        if *not {
            service.actions().iter().any(|a| {
                !list
                    .iter()
                    .any(|p| pattern_covers(p, service.prefix(), a.name()))
            })
        } else {
            list.iter().any(|p| {
                p == "*"
                    || p.split_once(':').is_some_and(|(prefix, n)| {
                        prefix.eq_ignore_ascii_case(service.prefix())
                            && service.actions().iter().any(|a| glob_matches(n, a.name()))
                    })
            })
        }
    })
}

/// The catalogue's services any of `documents` allows, in prefix order.
fn services_allowed<'a>(documents: impl IntoIterator<Item = &'a str>) -> Vec<&'static Service> {
    let patterns: Vec<(Vec<String>, bool)> =
        documents.into_iter().flat_map(allow_patterns).collect();
    let mut out: Vec<&'static Service> = catalogue()
        .services()
        .iter()
        .filter(|svc| allows_service(svc, &patterns))
        .collect();
    out.sort_by(|a, b| a.prefix().cmp(b.prefix()));
    out.dedup_by(|a, b| a.prefix() == b.prefix());
    out
}

/// A last use: when, by whom (the user's or role's ARN), in which region.
pub type LastUse = (Epoch, String, String);

/// One service of a GetServiceLastAccessedDetails answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccess {
    /// The catalogue's name of the service.
    pub service_name: String,
    /// Its namespace (`iam`).
    pub namespace: String,
    /// The last authenticated use, by whom and where.
    pub last: Option<LastUse>,
    /// How many of the report's principals used it.
    pub total_entities: i32,
    /// At ACTION_LEVEL, for a tracked service: each allowed action (name
    /// without prefix) and its last use, by whom and where.
    pub tracked: Option<Vec<(String, Option<LastUse>)>>,
}

/// A job's report header: status fields AWS answers with every page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    /// When the job was created; also its completion.
    pub created: Epoch,
    /// ACTION_LEVEL rather than SERVICE_LEVEL.
    pub action_level: bool,
}

/// One principal of a GetServiceLastAccessedDetailsWithEntities answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityAccess {
    /// Who.
    pub entity: EntityInfo,
    /// When it last used the service.
    pub last: Option<Epoch>,
}

/// One namespace of a ListPoliciesGrantingServiceAccess answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantingPolicies {
    /// The namespace asked about.
    pub namespace: String,
    /// The entity's policies that allow an action of it.
    pub policies: Vec<PolicyRef>,
}

type Uses = BTreeMap<String, (Epoch, String)>;

impl Iam<'_> {
    /// GenerateServiceLastAccessedDetails: checks the entity exists and
    /// stores the job; the JobId.
    pub fn generate_service_last_accessed_details(
        &self,
        arn: &str,
        action_level: bool,
        caller_arn: &str,
    ) -> Result<String> {
        let account = self.account;
        self.warden.write(|s| {
            resolve(s, account, arn)?;
            let job = AccessJob {
                id: new_job_id(),
                account: account.to_string(),
                target: JobTarget::ServiceLastAccessed {
                    arn: arn.to_string(),
                    action_level,
                },
                owner: caller_arn.to_string(),
                created: now_epoch(),
            };
            let id = job.id.clone();
            Ok((vec![Change::AccessJob(job)], id))
        })
    }

    /// The service-last-accessed job `job_id` of `caller_arn`; another
    /// principal's job is as unknown as a missing one.
    fn service_job(
        &self,
        s: &State,
        job_id: &str,
        caller_arn: &str,
    ) -> Result<(AccessJob, String, bool)> {
        let job = s
            .access_jobs
            .get(&(self.account.to_string(), job_id.to_string()))
            .filter(|j| j.owner == caller_arn)
            .cloned()
            .ok_or_else(|| no_such_job(job_id))?;
        match &job.target {
            JobTarget::ServiceLastAccessed { arn, action_level } => {
                let (arn, level) = (arn.clone(), *action_level);
                Ok((job, arn, level))
            }
            JobTarget::Organizations { .. } => Err(no_such_job(job_id)),
        }
    }

    /// Each principal's recorded uses up to `until`.
    fn uses(&self, s: &State, principals: &[EntityInfo], until: Epoch) -> Vec<Uses> {
        principals
            .iter()
            .map(|p| {
                let mut u = self.warden.uses_of(s, self.account, &p.id);
                u.retain(|_, (when, _)| *when <= until);
                u
            })
            .collect()
    }

    /// GetServiceLastAccessedDetails: one page of the services the job's
    /// entity is allowed, in namespace order.
    pub fn service_last_accessed_details(
        &self,
        job_id: &str,
        caller_arn: &str,
        query: PageQuery,
    ) -> Result<(JobInfo, Page<ServiceAccess>)> {
        let s = self.warden.read();
        let (job, arn, action_level) = self.service_job(&s, job_id, caller_arn)?;
        let info = JobInfo {
            created: job.created,
            action_level,
        };
        // An entity deleted since answers an empty report.
        let Ok(r) = resolve(&s, self.account, &arn) else {
            return Ok((
                info,
                paginate(Vec::new(), |x: &ServiceAccess| x.namespace.clone(), query)?,
            ));
        };
        let uses = self.uses(&s, &r.principals, job.created);
        let services = services_allowed(r.policies.iter().map(|p| p.document.as_str()));
        let patterns: Vec<(Vec<String>, bool)> = r
            .policies
            .iter()
            .flat_map(|p| allow_patterns(&p.document))
            .collect();
        let items: Vec<ServiceAccess> = services
            .into_iter()
            .map(|svc| {
                let ns = svc.prefix();
                let prefix = format!("{ns}:");
                let mut last: Option<(Epoch, String, String)> = None;
                let mut total = 0;
                for (p, u) in r.principals.iter().zip(&uses) {
                    let best = u
                        .iter()
                        .filter(|(a, _)| a.starts_with(&prefix))
                        .max_by_key(|(_, (when, _))| *when);
                    if let Some((_, (when, region))) = best {
                        total += 1;
                        if last.as_ref().is_none_or(|(t, _, _)| when > t) {
                            last = Some((*when, p.arn.clone(), region.clone()));
                        }
                    }
                }
                let tracked = (action_level && TRACKED_SERVICES.contains(&ns)).then(|| {
                    allowed_actions(svc, &patterns)
                        .into_iter()
                        .map(|name| {
                            let action = format!("{ns}:{name}");
                            let mut best: Option<(Epoch, String, String)> = None;
                            for (p, u) in r.principals.iter().zip(&uses) {
                                if let Some((when, region)) = u.get(&action) {
                                    if best.as_ref().is_none_or(|(t, _, _)| when > t) {
                                        best = Some((*when, p.arn.clone(), region.clone()));
                                    }
                                }
                            }
                            (name.to_string(), best)
                        })
                        .collect()
                });
                ServiceAccess {
                    service_name: svc.name().to_string(),
                    namespace: ns.to_string(),
                    last,
                    total_entities: total,
                    tracked,
                }
            })
            .collect();
        Ok((info, paginate(items, |x| x.namespace.clone(), query)?))
    }

    /// GetServiceLastAccessedDetailsWithEntities: the principals of the
    /// job's report and when each last used `namespace`, "sorted by date,
    /// with the most recent access listed first" (the operation's
    /// reference); never-used ones last, by ARN.
    pub fn service_last_accessed_entities(
        &self,
        job_id: &str,
        caller_arn: &str,
        namespace: &str,
        query: PageQuery,
    ) -> Result<(JobInfo, Page<EntityAccess>)> {
        let s = self.warden.read();
        let (job, arn, action_level) = self.service_job(&s, job_id, caller_arn)?;
        let info = JobInfo {
            created: job.created,
            action_level,
        };
        let principals = resolve(&s, self.account, &arn)
            .map(|r| r.principals)
            .unwrap_or_default();
        let uses = self.uses(&s, &principals, job.created);
        let prefix = format!("{}:", namespace.to_lowercase());
        let mut items: Vec<EntityAccess> = principals
            .into_iter()
            .zip(uses)
            .map(|(entity, u)| EntityAccess {
                last: u
                    .iter()
                    .filter(|(a, _)| a.to_lowercase().starts_with(&prefix))
                    .map(|(_, (when, _))| *when)
                    .max(),
                entity,
            })
            .collect();
        items.sort_by(|a, b| {
            b.last
                .cmp(&a.last)
                .then_with(|| a.entity.arn.cmp(&b.entity.arn))
        });
        // Fixed at the job's creation, so a position marks the place.
        let page = paginate(
            items.into_iter().enumerate(),
            |(n, _)| format!("{n:06}"),
            query,
        )?;
        let page = Page {
            items: page.items.into_iter().map(|(_, i)| i).collect(),
            marker: page.marker,
        };
        Ok((info, page))
    }

    /// ListPoliciesGrantingServiceAccess: for each namespace, the policies
    /// of the user (its groups' too), group or role that allow one of its
    /// actions.
    pub fn policies_granting_service_access(
        &self,
        arn: &str,
        namespaces: &[String],
    ) -> Result<Vec<GrantingPolicies>> {
        let s = self.warden.read();
        let account = self.account;
        let policies = match parse_entity_arn(arn, account) {
            Some(("user", name)) => s
                .user(account, name)
                .filter(|u| u.arn() == arn)
                .map(|u| user_policies(&s, account, u)),
            Some(("group", name)) => s
                .group(account, name)
                .filter(|g| g.arn() == arn)
                .map(|g| group_policies(&s, account, g)),
            Some(("role", name)) => s
                .role(account, name)
                .filter(|r| r.arn() == arn)
                .map(|r| role_policies(&s, account, r)),
            // Our text: AWS documents the operation for users, groups and
            // roles only.
            Some(_) | None => {
                return Err(CoreError::InvalidInput(format!(
                "ARN {arn} is not valid: it must name an IAM user, group or role of this account."
            )))
            }
        }
        .ok_or_else(|| not_found(arn))?;
        Ok(namespaces
            .iter()
            .map(|ns| {
                let service = catalogue().service(&ns.to_lowercase());
                GrantingPolicies {
                    namespace: ns.clone(),
                    policies: policies
                        .iter()
                        .filter(|p| {
                            service.is_some_and(|svc| {
                                allows_service(svc, &allow_patterns(&p.document))
                            })
                        })
                        .cloned()
                        .collect(),
                }
            })
            .collect())
    }
}

/// The document of the SCP `id` of `org`: `FullAWSAccess` or a customer one.
fn scp_document(org: &Organization, id: &str) -> Option<String> {
    if id == FULL_AWS_ACCESS_ID {
        return Some(FULL_ACCESS_DOCUMENT.to_string());
    }
    org.policies
        .iter()
        .find(|p| p.id == id && p.policy_type == "SERVICE_CONTROL_POLICY")
        .map(|p| p.content.clone())
}

/// FullAWSAccess's content, the SCP every target starts with.
const FULL_ACCESS_DOCUMENT: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// An entity path resolved against the organization: the containers it
/// names from the root down, and the accounts whose use it reports, each
/// with its own entity path.
struct OrgEntity {
    /// The root, the OUs and (for an account) the account, in path order.
    levels: Vec<String>,
    /// Whether the path names the management account, which SCPs do not
    /// limit: its report lists every service, with its own use only.
    management: bool,
    /// `(account, its entity path)` of every account reported on: the
    /// member accounts under the entity, the management account aside
    /// ("because the management account is not limited by SCPs", the
    /// GenerateOrganizationsAccessReport reference), or the management
    /// account alone when the path names it.
    accounts: Vec<(String, String)>,
}

/// Our text for a path that names nothing in the organization: AWS's is
/// not recorded.
fn bad_path(path: &str) -> CoreError {
    CoreError::InvalidInput(format!(
        "Invalid entity path {path}: it must be o-ID/r-ID, followed by the OUs down to an OU or account of this organization."
    ))
}

/// Checks `path` against the organization and lists what it covers.
fn resolve_path(org: &Organization, path: &str) -> Result<OrgEntity> {
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 2 || parts[0] != org.id || parts[1] != org.root_id() {
        return Err(bad_path(path));
    }
    // Each part after the root is an OU whose parent is the part before;
    // only the last may be an account, sitting in the part before.
    for (i, part) in parts.iter().enumerate().skip(2) {
        let parent = parts[i - 1];
        let ok = match org.unit(part) {
            Some(u) => u.parent == parent,
            None => {
                i == parts.len() - 1
                    && org.members.iter().any(|m| m.account == *part)
                    && org.parent_of_account(part) == parent
            }
        };
        if !ok {
            return Err(bad_path(path));
        }
    }
    let last = parts[parts.len() - 1];
    let path_of = |account: &str| {
        let mut p = vec![org.id.clone()];
        p.extend(org.containers_down_to(&org.parent_of_account(account)));
        p.push(account.to_string());
        p.join("/")
    };
    let management = last == org.management_account;
    let accounts = org
        .members
        .iter()
        .map(|m| m.account.as_str())
        .filter(|a| {
            if management {
                *a == last
            } else {
                *a != org.management_account
                    && (*a == last
                        || org
                            .containers_down_to(&org.parent_of_account(a))
                            .iter()
                            .any(|c| c == last))
            }
        })
        .map(|a| (a.to_string(), path_of(a)))
        .collect();
    Ok(OrgEntity {
        levels: parts[1..].iter().map(|p| (*p).to_string()).collect(),
        management,
        accounts,
    })
}

/// The services the report covers, and narrows `entity.accounts` to
/// those the report has data for (GenerateOrganizationsAccessReport
/// reference): for the management account every service (a policy is
/// ignored); with a policy, the services that SCP allows, with data only
/// for the accounts it applies to (attached to the account or a container
/// above it); otherwise the services allowed at every SCP level of the
/// path (as SCPs combine: each level must allow).
fn org_services(
    org: &Organization,
    entity: &mut OrgEntity,
    policy_id: Option<&str>,
) -> Result<Vec<&'static Service>> {
    if entity.management {
        return Ok(services_allowed([FULL_ACCESS_DOCUMENT]));
    }
    if let Some(id) = policy_id {
        let document = scp_document(org, id).ok_or_else(|| {
            CoreError::InvalidInput(format!(
                "Invalid OrganizationsPolicyId {id}: no service control policy of this organization has it."
            ))
        })?;
        let attached_to =
            |target: &str| org.attachments.iter().any(|(t, p)| t == target && p == id);
        entity.accounts.retain(|(account, _)| {
            attached_to(account)
                || org
                    .containers_down_to(&org.parent_of_account(account))
                    .iter()
                    .any(|c| attached_to(c))
        });
        return Ok(services_allowed([document.as_str()]));
    }
    let mut allowed: Option<Vec<&'static Service>> = None;
    for level in &entity.levels {
        let documents: Vec<String> = org
            .attachments
            .iter()
            .filter(|(target, _)| target == level)
            .filter_map(|(_, p)| scp_document(org, p))
            .collect();
        let here = services_allowed(documents.iter().map(String::as_str));
        allowed = Some(match allowed {
            None => here,
            Some(before) => before
                .into_iter()
                .filter(|s| here.iter().any(|h| h.prefix() == s.prefix()))
                .collect(),
        });
    }
    Ok(allowed.unwrap_or_default())
}

/// "SCPs must be enabled for your organization root" (the
/// GenerateOrganizationsAccessReport reference); the refusal's code and
/// text are ours.
fn check_scps_enabled(org: &Organization) -> Result<()> {
    if org
        .enabled_policy_types
        .iter()
        .any(|t| t == "SERVICE_CONTROL_POLICY")
    {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(
            "Service control policies must be enabled for the organization root to generate an Organizations access report.".to_string(),
        ))
    }
}

/// One service of a GetOrganizationsAccessReport answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgServiceAccess {
    /// The catalogue's name of the service.
    pub service_name: String,
    /// Its namespace.
    pub namespace: String,
    /// The last use: when, in which region, by which account (its entity path).
    pub last: Option<(Epoch, String, String)>,
    /// How many of the covered accounts used it.
    pub total_entities: i32,
}

/// A GetOrganizationsAccessReport answer before paging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccessReport {
    /// When the job was created (and completed).
    pub created: Epoch,
    /// NumberOfServicesAccessible.
    pub accessible: i32,
    /// NumberOfServicesNotAccessed.
    pub not_accessed: i32,
    /// One page of the services.
    pub page: Page<OrgServiceAccess>,
}

/// How GetOrganizationsAccessReport orders its services (SortKey).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrgReportSort {
    /// SERVICE_NAMESPACE_ASCENDING, also when no SortKey is given (ours).
    #[default]
    NamespaceAscending,
    /// SERVICE_NAMESPACE_DESCENDING.
    NamespaceDescending,
    /// LAST_AUTHENTICATED_TIME_ASCENDING (never-used services first).
    LastAuthenticatedAscending,
    /// LAST_AUTHENTICATED_TIME_DESCENDING (never-used services last).
    LastAuthenticatedDescending,
}

impl Iam<'_> {
    /// The organization this account manages; AccessDenied otherwise. Our
    /// text: the IAM reference says only that the management account
    /// generates these reports.
    fn managed_organization<'s>(&self, s: &'s State) -> Result<&'s Organization> {
        organization_of(s, self.account)
            .filter(|o| o.management_account == self.account)
            .ok_or_else(|| {
                CoreError::AccessDenied(
                    "Organizations access reports can only be generated and read by the organization's management account.".to_string(),
                )
            })
    }

    /// GenerateOrganizationsAccessReport: checks the path (and policy) and
    /// stores the job; the JobId.
    pub fn generate_organizations_access_report(
        &self,
        entity_path: &str,
        policy_id: Option<&str>,
        caller_arn: &str,
    ) -> Result<String> {
        let account = self.account;
        self.warden.write(|s| {
            let org = self.managed_organization(s)?;
            check_scps_enabled(org)?;
            let mut entity = resolve_path(org, entity_path)?;
            org_services(org, &mut entity, policy_id)?;
            let job = AccessJob {
                id: new_job_id(),
                account: account.to_string(),
                target: JobTarget::Organizations {
                    entity_path: entity_path.to_string(),
                    policy_id: policy_id.map(str::to_string),
                },
                owner: caller_arn.to_string(),
                created: now_epoch(),
            };
            let id = job.id.clone();
            Ok((vec![Change::AccessJob(job)], id))
        })
    }

    /// GetOrganizationsAccessReport: the services the job's entity may use
    /// and the last use of each by its member accounts' principals.
    pub fn organizations_access_report(
        &self,
        job_id: &str,
        sort: OrgReportSort,
        query: PageQuery,
    ) -> Result<OrgAccessReport> {
        let s = self.warden.read();
        let job = s
            .access_jobs
            .get(&(self.account.to_string(), job_id.to_string()))
            .cloned()
            .ok_or_else(|| no_such_job(job_id))?;
        let JobTarget::Organizations {
            entity_path,
            policy_id,
        } = &job.target
        else {
            return Err(no_such_job(job_id));
        };
        let org = self.managed_organization(&s)?;
        let mut entity = resolve_path(org, entity_path)?;
        let services = org_services(org, &mut entity, policy_id.as_deref())?;
        // Every covered account's uses, by namespace: (time, region, path).
        let mut last: HashMap<String, Vec<(Epoch, String, String)>> = HashMap::new();
        for (account, path) in &entity.accounts {
            let mut best: HashMap<String, (Epoch, String)> = HashMap::new();
            let mut note = |action: &str, when: Epoch, region: &str| {
                let ns = action.split(':').next().unwrap_or(action).to_string();
                let slot = best.entry(ns).or_insert((when, region.to_string()));
                if when > slot.0 {
                    *slot = (when, region.to_string());
                }
            };
            s.access_records
                .range((account.clone(), String::new())..)
                .take_while(|((a, _), _)| a == account)
                .filter(|(_, r)| r.date <= job.created)
                .for_each(|(_, r)| note(&r.action, r.date, &r.region));
            for p in self.warden.access_used.pending.lock().values() {
                if &p.account == account {
                    for (action, (when, region)) in &p.actions {
                        if *when <= job.created {
                            note(action, *when, region);
                        }
                    }
                }
            }
            for (ns, (when, region)) in best {
                last.entry(ns)
                    .or_default()
                    .push((when, region, path.clone()));
            }
        }
        let mut items: Vec<OrgServiceAccess> = services
            .iter()
            .map(|svc| {
                let uses = last.get(svc.prefix());
                OrgServiceAccess {
                    service_name: svc.name().to_string(),
                    namespace: svc.prefix().to_string(),
                    last: uses.and_then(|u| u.iter().max_by_key(|(t, _, _)| *t).cloned()),
                    total_entities: uses.map_or(0, |u| i32::try_from(u.len()).unwrap_or(i32::MAX)),
                }
            })
            .collect();
        let accessible = i32::try_from(items.len()).unwrap_or(i32::MAX);
        let not_accessed =
            i32::try_from(items.iter().filter(|i| i.last.is_none()).count()).unwrap_or(i32::MAX);
        let time_of = |i: &OrgServiceAccess| i.last.as_ref().map_or(0, |(t, _, _)| *t);
        match sort {
            OrgReportSort::NamespaceAscending => {}
            OrgReportSort::NamespaceDescending => items.reverse(),
            OrgReportSort::LastAuthenticatedAscending => items.sort_by_key(time_of),
            OrgReportSort::LastAuthenticatedDescending => {
                items.sort_by_key(|i| std::cmp::Reverse(time_of(i)));
            }
        }
        // The report is fixed at the job's creation, so a position marks
        // the place in it whatever the order.
        let page = paginate(
            items.into_iter().enumerate(),
            |(n, _)| format!("{n:06}"),
            query,
        )?;
        let page = Page {
            items: page.items.into_iter().map(|(_, i)| i).collect(),
            marker: page.marker,
        };
        Ok(OrgAccessReport {
            created: job.created,
            accessible,
            not_accessed,
            page,
        })
    }
}

/// Our text: AWS's for an unknown JobId is not recorded.
fn no_such_job(job_id: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("No job found with JobId {job_id}."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::policies::Holder;
    use crate::users::NewUser;

    const ACCOUNT: &str = "123456789012";

    #[test]
    fn job_ids_are_version_4_uuids() {
        let id = new_job_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, new_job_id());
    }

    #[test]
    fn allowed_services_follow_action_and_not_action_patterns() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","s3:ListAllMyBuckets"],"Resource":"*"},{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}"#;
        let got: Vec<&str> = services_allowed([doc]).iter().map(|s| s.prefix()).collect();
        assert_eq!(got, ["iam", "s3"]);
        let none = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:NoSuchActionAtAll","Resource":"*"}}"#;
        assert!(services_allowed([none]).is_empty());
        let not = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#;
        let got = services_allowed([not]);
        assert!(got.iter().all(|s| s.prefix() != "iam"));
        assert!(got.iter().any(|s| s.prefix() == "s3"));
    }

    #[test]
    fn a_users_report_shows_its_recorded_use_and_a_groups_its_members() {
        let w = Warden::in_memory_for_tests(ACCOUNT).unwrap();
        let iam = w.iam(ACCOUNT);
        let u = iam
            .create_user(NewUser {
                name: "alice".into(),
                ..NewUser::default()
            })
            .unwrap();
        iam.put_inline_policy(
            Holder::User("alice"),
            "p",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:GetUser","sts:GetCallerIdentity"],"Resource":"*"}}"#,
        )
        .unwrap();
        let (_, caller) = {
            let key = iam
                .create_access_key(crate::iam::keys::KeyOwner::User("alice"))
                .unwrap();
            w.credentials_for(&key.key.id, None, now_epoch()).unwrap()
        };
        let t = now_epoch() - 10;
        w.record_access(&caller, ["iam:GetUser"], "eu-west-1", t);
        let job = iam
            .generate_service_last_accessed_details(&u.arn(), true, &u.arn())
            .unwrap();
        let (info, page) = iam
            .service_last_accessed_details(&job, &u.arn(), PageQuery::default())
            .unwrap();
        assert!(info.action_level);
        let ns: Vec<&str> = page.items.iter().map(|x| x.namespace.as_str()).collect();
        assert_eq!(ns, ["iam", "sts"]);
        let iam_row = &page.items[0];
        assert_eq!(iam_row.last, Some((t, u.arn(), "eu-west-1".to_string())));
        assert_eq!(iam_row.total_entities, 1);
        let tracked = iam_row.tracked.as_ref().unwrap();
        assert_eq!(tracked.len(), 1);
        assert_eq!(tracked[0].0, "GetUser");
        assert!(page.items[1].last.is_none());
        assert!(page.items[1].tracked.is_none());
        // Flushed, the same answer comes from the store.
        w.flush_access().unwrap();
        let (_, again) = iam
            .service_last_accessed_details(&job, &u.arn(), PageQuery::default())
            .unwrap();
        assert_eq!(again.items, page.items);
        // Another principal's job is unknown to it.
        assert!(matches!(
            iam.service_last_accessed_details(
                &job,
                "arn:aws:iam::123456789012:root",
                PageQuery::default()
            ),
            Err(CoreError::NoSuchEntity(_))
        ));
        // Unknown job.
        assert!(matches!(
            iam.service_last_accessed_details(
                "00000000-0000-4000-8000-000000000000",
                &u.arn(),
                PageQuery::default()
            ),
            Err(CoreError::NoSuchEntity(_))
        ));
    }
}
