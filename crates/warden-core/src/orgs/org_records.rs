//! How an organization is stored: its own fields as one `organization`
//! record, and every member, CreateAccount request, customer policy,
//! attachment, OU, account parent and tag set as a record of its own, keyed
//! `(management account, "{org id}/{id}")`. A change writes only the parts
//! that changed, so an organization with thousands of OUs or attachments
//! is not rewritten whole on every call.
//!
//! The in-memory [`Organization`] keeps its lists in the order the API shows
//! them. Records have no order of their own, so each list element carries a
//! position, handed out from a per-organization counter when the element is
//! first stored and kept for its life; loading sorts by it. The positions
//! live beside the model ([`OrgPositions`] in [`State`]), not in it.
//!
//! Records of format 0 and 1 stored the whole organization in its
//! `organization` record. Such an organization loads as before and has no
//! positions; its first write stores every part and puts the new core
//! record in place of the old one, in the same transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use warden_store::{Mutation, Record};

use crate::error::{CoreError, Result};
use crate::model::{Epoch, Tag};
use crate::orgs::handshakes::Handshake;
use crate::orgs::org_policies::OrgPolicy;
use crate::orgs::org_units::OrgUnit;
use crate::orgs::resource_policy::OrgResourcePolicy;
use crate::orgs::responsibility_transfers::ResponsibilityTransfer;
use crate::orgs::service_access::{DelegatedAdmin, ServiceAccess};
use crate::orgs::{CreateAccountRequest, Member, Organization};
use crate::state::State;

/// The record kind of an organization's own fields (and, before format 2,
/// of the whole organization).
pub const ORGANIZATION: &str = "organization";
/// The first record format that stores an organization as parts.
pub const PARTS_FORMAT: u32 = 2;

/// The kinds of an organization's part records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// A member account (`org_member`).
    Member,
    /// A CreateAccount request (`org_create_request`).
    CreateRequest,
    /// A customer managed policy (`org_policy`).
    Policy,
    /// A policy attached to a target (`org_attachment`).
    Attachment,
    /// An organizational unit (`org_unit`).
    Unit,
    /// The OU an account sits in (`org_account_parent`).
    AccountParent,
    /// The tags of one resource (`org_tags`).
    Tags,
    /// A handshake the organization sent (`org_handshake`).
    Handshake,
    /// A service with trusted access (`org_service_access`).
    ServiceAccess,
    /// A delegated administrator for one service (`org_delegated_admin`).
    DelegatedAdmin,
    /// A closed member account (`org_closed_account`).
    ClosedAccount,
}

impl Part {
    /// Every part kind.
    pub const ALL: [Part; 11] = [
        Part::Member,
        Part::CreateRequest,
        Part::Policy,
        Part::Attachment,
        Part::Unit,
        Part::AccountParent,
        Part::Tags,
        Part::Handshake,
        Part::ServiceAccess,
        Part::DelegatedAdmin,
        Part::ClosedAccount,
    ];

    /// The record kind in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Member => "org_member",
            Part::CreateRequest => "org_create_request",
            Part::Policy => "org_policy",
            Part::Attachment => "org_attachment",
            Part::Unit => "org_unit",
            Part::AccountParent => "org_account_parent",
            Part::Tags => "org_tags",
            Part::Handshake => "org_handshake",
            Part::ServiceAccess => "org_service_access",
            Part::DelegatedAdmin => "org_delegated_admin",
            Part::ClosedAccount => "org_closed_account",
        }
    }

    /// The part kind a record kind names, if it names one.
    pub fn from_record(kind: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.as_str() == kind)
    }
}

/// The `organization` record from format 2 on: the organization's own
/// fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Core {
    id: String,
    management_account: String,
    management_email: String,
    feature_set: String,
    created: Epoch,
    enabled_policy_types: Vec<String>,
    #[serde(default)]
    resource_policy: Option<OrgResourcePolicy>,
    /// Few per organization (quotas), so kept with its own fields.
    #[serde(default)]
    transfers: Vec<ResponsibilityTransfer>,
}

impl Core {
    fn of(org: &Organization) -> Self {
        Self {
            id: org.id.clone(),
            management_account: org.management_account.clone(),
            management_email: org.management_email.clone(),
            feature_set: org.feature_set.clone(),
            created: org.created,
            enabled_policy_types: org.enabled_policy_types.clone(),
            resource_policy: org.resource_policy.clone(),
            transfers: org.transfers.clone(),
        }
    }
}

/// A list element with its position in the list.
#[derive(Debug, Serialize, Deserialize)]
struct Positioned<T> {
    position: u64,
    item: T,
}

/// An `org_account_parent` record.
#[derive(Debug, Serialize, Deserialize)]
struct AccountParent {
    account: String,
    parent: String,
}

/// An `org_closed_account` record.
#[derive(Debug, Serialize, Deserialize)]
struct ClosedAccount {
    account: String,
    closed: Epoch,
}

/// An `org_tags` record.
#[derive(Debug, Serialize, Deserialize)]
struct Tags {
    resource: String,
    tags: Vec<Tag>,
}

/// Where each list element of one stored organization sits, and the next
/// position to hand out. An organization without an entry is new or was
/// loaded from a single record of format 0 or 1: its next write stores
/// every part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgPositions {
    next: u64,
    at: HashMap<(Part, String), u64>,
}

/// Every list element of `org` with its part kind and id, in list order.
fn elements(org: &Organization) -> impl Iterator<Item = (Part, String)> + '_ {
    let members = org
        .members
        .iter()
        .map(|m| (Part::Member, m.account.clone()));
    let requests = org
        .create_requests
        .iter()
        .map(|r| (Part::CreateRequest, r.id.clone()));
    let policies = org.policies.iter().map(|p| (Part::Policy, p.id.clone()));
    let attachments = org
        .attachments
        .iter()
        .map(|(t, p)| (Part::Attachment, attachment_id(t, p)));
    let units = org.units.iter().map(|u| (Part::Unit, u.id.clone()));
    let handshakes = org
        .handshakes
        .iter()
        .map(|h| (Part::Handshake, h.id.clone()));
    let access = org
        .service_access
        .iter()
        .map(|a| (Part::ServiceAccess, a.service_principal.clone()));
    let admins = org
        .delegated_admins
        .iter()
        .map(|d| (Part::DelegatedAdmin, delegation_id(d)));
    members
        .chain(requests)
        .chain(policies)
        .chain(attachments)
        .chain(units)
        .chain(handshakes)
        .chain(access)
        .chain(admins)
}

fn delegation_id(d: &DelegatedAdmin) -> String {
    format!("{}/{}", d.account, d.service_principal)
}

fn attachment_id(target: &str, policy: &str) -> String {
    format!("{target}/{policy}")
}

/// The positions of `org`'s elements after a write: an element keeps the
/// one it was stored with, a new one takes the next. Deterministic, so the
/// write and the apply that follows agree.
pub fn assign_positions(before: Option<&OrgPositions>, org: &Organization) -> OrgPositions {
    let mut next = before.map_or(0, |b| b.next);
    let mut at = HashMap::new();
    for key in elements(org) {
        let position = match before.and_then(|b| b.at.get(&key)) {
            Some(p) => *p,
            None => {
                next += 1;
                next - 1
            }
        };
        at.insert(key, position);
    }
    OrgPositions { next, at }
}

fn record_key(org_id: &str, id: &str) -> String {
    format!("{org_id}/{id}")
}

fn put<T: Serialize>(org: &Organization, kind: &str, key: String, value: &T) -> Result<Mutation> {
    let value = serde_json::to_string(value)
        .map(crate::state::versioned)
        .map_err(|e| CoreError::Internal(e.to_string()))?;
    Ok(Mutation::Put(Record {
        kind: kind.to_string(),
        account: org.management_account.clone(),
        key,
        value,
    }))
}

fn delete(org: &Organization, part: Part, id: &str) -> Mutation {
    Mutation::Delete {
        kind: part.as_str().to_string(),
        account: org.management_account.clone(),
        key: record_key(&org.id, id),
    }
}

/// The mutations that bring the stored `before` (with its positions) to
/// `org`: puts of new and changed parts, deletes of removed ones. Without
/// positions (a new organization, or one stored whole by format 0 or 1)
/// every part is put, and the core record replaces the old one.
pub fn mutations(
    before: Option<(&Organization, &OrgPositions)>,
    org: &Organization,
) -> Result<(Vec<Mutation>, OrgPositions)> {
    let positions = assign_positions(before.map(|(_, p)| p), org);
    let out = diff(before.map(|(o, _)| o), org, &positions)?;
    Ok((out, positions))
}

/// The mutations from `before` to `org`, whose elements sit at `positions`.
fn diff(
    before: Option<&Organization>,
    org: &Organization,
    positions: &OrgPositions,
) -> Result<Vec<Mutation>> {
    let mut out = Vec::new();
    let core = Core::of(org);
    if before.is_none_or(|b| Core::of(b) != core) {
        out.push(put(org, ORGANIZATION, org.id.clone(), &core)?);
    }
    list(
        org,
        before.map(|b| b.members.as_slice()),
        &org.members,
        Part::Member,
        |m| m.account.clone(),
        positions,
        &mut out,
    )?;
    list(
        org,
        before.map(|b| b.create_requests.as_slice()),
        &org.create_requests,
        Part::CreateRequest,
        |r| r.id.clone(),
        positions,
        &mut out,
    )?;
    list(
        org,
        before.map(|b| b.policies.as_slice()),
        &org.policies,
        Part::Policy,
        |p| p.id.clone(),
        positions,
        &mut out,
    )?;
    // An attachment is its pair, so it is only ever put or deleted.
    list(
        org,
        before.map(|b| b.attachments.as_slice()),
        &org.attachments,
        Part::Attachment,
        |(t, p)| attachment_id(t, p),
        positions,
        &mut out,
    )?;
    list(
        org,
        before.map(|b| b.units.as_slice()),
        &org.units,
        Part::Unit,
        |u| u.id.clone(),
        positions,
        &mut out,
    )?;
    list(
        org,
        before.map(|b| b.handshakes.as_slice()),
        &org.handshakes,
        Part::Handshake,
        |h| h.id.clone(),
        positions,
        &mut out,
    )?;
    list(
        org,
        before.map(|b| b.service_access.as_slice()),
        &org.service_access,
        Part::ServiceAccess,
        |a| a.service_principal.clone(),
        positions,
        &mut out,
    )?;
    list(
        org,
        before.map(|b| b.delegated_admins.as_slice()),
        &org.delegated_admins,
        Part::DelegatedAdmin,
        delegation_id,
        positions,
        &mut out,
    )?;
    map(
        org,
        before.map(|b| &b.closed_accounts),
        &org.closed_accounts,
        Part::ClosedAccount,
        |account, closed| ClosedAccount {
            account: account.to_string(),
            closed: *closed,
        },
        &mut out,
    )?;
    map(
        org,
        before.map(|b| &b.account_parents),
        &org.account_parents,
        Part::AccountParent,
        |account, parent| AccountParent {
            account: account.to_string(),
            parent: parent.clone(),
        },
        &mut out,
    )?;
    map(
        org,
        before.map(|b| &b.tags),
        &org.tags,
        Part::Tags,
        |resource, tags| Tags {
            resource: resource.to_string(),
            tags: tags.clone(),
        },
        &mut out,
    )?;
    Ok(out)
}

/// One list of parts: put what is new or changed (at its position), delete
/// what is gone.
fn list<T: PartialEq + Serialize>(
    org: &Organization,
    before: Option<&[T]>,
    now: &[T],
    part: Part,
    id: impl Fn(&T) -> String,
    positions: &OrgPositions,
    out: &mut Vec<Mutation>,
) -> Result<()> {
    let old: HashMap<String, &T> = before
        .unwrap_or_default()
        .iter()
        .map(|e| (id(e), e))
        .collect();
    let mut kept = HashSet::new();
    for e in now {
        let key = id(e);
        if old.get(&key).is_none_or(|o| *o != e) {
            let position = positions
                .at
                .get(&(part, key.clone()))
                .copied()
                .ok_or_else(|| CoreError::Internal(format!("no position for {key}")))?;
            let value = Positioned { position, item: e };
            out.push(put(org, part.as_str(), record_key(&org.id, &key), &value)?);
        }
        kept.insert(key);
    }
    for key in old.keys() {
        if !kept.contains(key) {
            out.push(delete(org, part, key));
        }
    }
    Ok(())
}

/// One map of parts keyed by id: put what is new or changed, delete what is
/// gone.
fn map<V: PartialEq, R: Serialize>(
    org: &Organization,
    before: Option<&BTreeMap<String, V>>,
    now: &BTreeMap<String, V>,
    part: Part,
    record: impl Fn(&str, &V) -> R,
    out: &mut Vec<Mutation>,
) -> Result<()> {
    for (id, v) in now {
        if before.and_then(|b| b.get(id)) != Some(v) {
            let key = record_key(&org.id, id);
            out.push(put(org, part.as_str(), key, &record(id, v))?);
        }
    }
    for id in before.into_iter().flat_map(|b| b.keys()) {
        if !now.contains_key(id) {
            out.push(delete(org, part, id));
        }
    }
    Ok(())
}

/// The mutations that remove a stored organization: its core record and,
/// when it is stored as parts, every part.
pub fn deletions(org: &Organization, positions: Option<&OrgPositions>) -> Vec<Mutation> {
    let mut out = vec![Mutation::Delete {
        kind: ORGANIZATION.to_string(),
        account: org.management_account.clone(),
        key: org.id.clone(),
    }];
    if positions.is_some() {
        out.extend(elements(org).map(|(part, id)| delete(org, part, &id)));
        out.extend(
            org.account_parents
                .keys()
                .map(|a| delete(org, Part::AccountParent, a)),
        );
        out.extend(org.tags.keys().map(|r| delete(org, Part::Tags, r)));
        out.extend(
            org.closed_accounts
                .keys()
                .map(|a| delete(org, Part::ClosedAccount, a)),
        );
    }
    out
}

/// The organization a record of `kind` under `key` belongs to, when it is
/// an organization record or part.
pub fn organization_of<'k>(kind: &str, key: &'k str) -> Option<&'k str> {
    if kind == ORGANIZATION {
        return Some(key);
    }
    Part::from_record(kind)?;
    key.split_once('/').map(|(org, _)| org)
}

/// An organization after a batch another process committed (`batch`: the
/// mutations of its records), rebuilt by the loader from its records as
/// this process holds them (`before` at `positions`) with the batch laid
/// over them; `None` when the batch removed it.
pub fn reassemble(
    before: Option<&Organization>,
    positions: Option<&OrgPositions>,
    batch: &[&Mutation],
) -> Result<Option<(Organization, Option<OrgPositions>)>> {
    let mut records: BTreeMap<(String, String), Record> = BTreeMap::new();
    // An organization still stored whole has no parts to start from: the
    // batch that first writes it as parts writes every part.
    if let (Some(org), Some(positions)) = (before, positions) {
        for m in diff(None, org, positions)? {
            if let Mutation::Put(r) = m {
                records.insert((r.kind.clone(), r.key.clone()), r);
            }
        }
    }
    for m in batch {
        match m {
            Mutation::Put(r) => {
                records.insert((r.kind.clone(), r.key.clone()), r.clone());
            }
            Mutation::Delete { kind, key, .. } => {
                records.remove(&(kind.clone(), key.clone()));
            }
        }
    }
    if records.is_empty() {
        return Ok(None);
    }
    let mut loader = Loader::default();
    for r in records.values() {
        loader.take(r)?;
    }
    let mut rebuilt = State::default();
    loader.finish(&mut rebuilt)?;
    let Some((id, org)) = rebuilt.organizations.pop_first() else {
        return Ok(None);
    };
    // Positions already handed out stay spent, as on the writing process.
    let positions = rebuilt.org_positions.remove(&id).map(|mut p| {
        p.next = p.next.max(positions.map_or(0, |before| before.next));
        p
    });
    Ok(Some((org, positions)))
}

/// The records of one organization, gathered while loading.
#[derive(Debug, Default)]
struct Pieces {
    core: Option<Core>,
    /// Set when the `organization` record is of format 0 or 1.
    legacy: Option<Organization>,
    members: Vec<(u64, Member)>,
    requests: Vec<(u64, CreateAccountRequest)>,
    policies: Vec<(u64, OrgPolicy)>,
    attachments: Vec<(u64, (String, String))>,
    units: Vec<(u64, OrgUnit)>,
    parents: BTreeMap<String, String>,
    tags: BTreeMap<String, Vec<Tag>>,
    handshakes: Vec<(u64, Handshake)>,
    service_access: Vec<(u64, ServiceAccess)>,
    delegated_admins: Vec<(u64, DelegatedAdmin)>,
    closed_accounts: BTreeMap<String, Epoch>,
    parts: usize,
}

/// Gathers organization records in any order and assembles the
/// organizations once every record is read.
#[derive(Debug, Default)]
pub struct Loader {
    orgs: BTreeMap<(String, String), Pieces>,
}

fn positioned<T: DeserializeOwned>(r: &Record) -> Result<(u64, T)> {
    let p: Positioned<T> = crate::state::parse(r)?;
    Ok((p.position, p.item))
}

impl Loader {
    /// Takes `r` if it is an organization record or part; false otherwise.
    pub fn take(&mut self, r: &Record) -> Result<bool> {
        let part = Part::from_record(&r.kind);
        if part.is_none() && r.kind != ORGANIZATION {
            return Ok(false);
        }
        let org_id = match part {
            Some(_) => r
                .key
                .split_once('/')
                .map(|(o, _)| o)
                .ok_or_else(|| crate::state::corrupt(r, &"key without an organization id"))?,
            None => r.key.as_str(),
        };
        let pieces = self
            .orgs
            .entry((r.account.clone(), org_id.to_string()))
            .or_default();
        match part {
            None => {
                if crate::state::record_format(r)? < PARTS_FORMAT {
                    pieces.legacy = Some(crate::state::parse(r)?);
                } else {
                    pieces.core = Some(crate::state::parse(r)?);
                }
            }
            Some(part) => {
                pieces.parts += 1;
                match part {
                    Part::Member => pieces.members.push(positioned(r)?),
                    Part::CreateRequest => pieces.requests.push(positioned(r)?),
                    Part::Policy => pieces.policies.push(positioned(r)?),
                    Part::Unit => pieces.units.push(positioned(r)?),
                    Part::Attachment => pieces.attachments.push(positioned(r)?),
                    Part::AccountParent => {
                        let a: AccountParent = crate::state::parse(r)?;
                        pieces.parents.insert(a.account, a.parent);
                    }
                    Part::Tags => {
                        let t: Tags = crate::state::parse(r)?;
                        pieces.tags.insert(t.resource, t.tags);
                    }
                    Part::Handshake => pieces.handshakes.push(positioned(r)?),
                    Part::ServiceAccess => pieces.service_access.push(positioned(r)?),
                    Part::DelegatedAdmin => pieces.delegated_admins.push(positioned(r)?),
                    Part::ClosedAccount => {
                        let c: ClosedAccount = crate::state::parse(r)?;
                        pieces.closed_accounts.insert(c.account, c.closed);
                    }
                }
            }
        }
        Ok(true)
    }

    /// The organizations, with the positions of those stored as parts.
    pub fn finish(self, state: &mut State) -> Result<()> {
        for ((account, id), p) in self.orgs {
            let (has_core, has_legacy, parts) = (p.core.is_some(), p.legacy.is_some(), p.parts);
            let (mut org, positions) = match (p.core, p.legacy) {
                (None, Some(legacy)) if parts == 0 => (legacy, None),
                (Some(core), None) => {
                    let mut positions = OrgPositions::default();
                    let org = Organization {
                        id: core.id,
                        management_account: core.management_account,
                        management_email: core.management_email,
                        feature_set: core.feature_set,
                        created: core.created,
                        members: sorted(&mut positions, Part::Member, p.members, |m| {
                            m.account.clone()
                        }),
                        create_requests: sorted(
                            &mut positions,
                            Part::CreateRequest,
                            p.requests,
                            |r| r.id.clone(),
                        ),
                        enabled_policy_types: core.enabled_policy_types,
                        policies: sorted(&mut positions, Part::Policy, p.policies, |p| {
                            p.id.clone()
                        }),
                        attachments: sorted(
                            &mut positions,
                            Part::Attachment,
                            p.attachments,
                            |(t, p)| attachment_id(t, p),
                        ),
                        units: sorted(&mut positions, Part::Unit, p.units, |u| u.id.clone()),
                        account_parents: p.parents,
                        tags: p.tags,
                        handshakes: sorted(&mut positions, Part::Handshake, p.handshakes, |h| {
                            h.id.clone()
                        }),
                        service_access: sorted(
                            &mut positions,
                            Part::ServiceAccess,
                            p.service_access,
                            |a| a.service_principal.clone(),
                        ),
                        delegated_admins: sorted(
                            &mut positions,
                            Part::DelegatedAdmin,
                            p.delegated_admins,
                            delegation_id,
                        ),
                        closed_accounts: p.closed_accounts,
                        resource_policy: core.resource_policy,
                        transfers: core.transfers,
                    };
                    (org, Some(positions))
                }
                // Parts without their organization record, or a record
                // of the whole organization beside parts: no write makes
                // either, so refuse to guess which is right.
                _ => {
                    return Err(CoreError::Internal(format!(
                        "organization {account}/{id}: its stored records do not make one organization \
                         (a core record: {has_core}, a whole-organization record: {has_legacy}, parts: {parts})"
                    )))
                }
            };
            org.policies
                .iter_mut()
                .for_each(crate::orgs::org_policies::compile);
            if let Some(positions) = positions {
                state.org_positions.insert(org.id.clone(), positions);
            }
            state.organizations.insert(org.id.clone(), org);
        }
        Ok(())
    }
}

/// One list in position order, its positions noted.
fn sorted<T>(
    positions: &mut OrgPositions,
    part: Part,
    mut list: Vec<(u64, T)>,
    id: impl Fn(&T) -> String,
) -> Vec<T> {
    list.sort_by_key(|(p, _)| *p);
    list.into_iter()
        .map(|(p, e)| {
            positions.next = positions.next.max(p.saturating_add(1));
            positions.at.insert((part, id(&e)), p);
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a test fails loudly on a broken fixture"
    )]

    use std::sync::Arc;

    use warden_store::{SqliteStore, Store};

    use super::*;
    use crate::crypto::{MasterKey, PasswordHashing};
    use crate::orgs::org_policies::SCP;
    use crate::state::Change;
    use crate::{Config, Warden};

    const MGMT: &str = "111111111111";
    const DENY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}"#;

    /// A warden on `store` (which may already hold records), and the
    /// management account.
    fn warden_on(store: &Arc<SqliteStore>) -> Warden {
        let config = Config {
            default_account: MGMT.to_string(),
            password_hashing: PasswordHashing::fast_insecure(),
            ..Config::default()
        };
        let w = Warden::open(store.clone(), MasterKey::generate(), config).unwrap();
        crate::iam::account::ensure_account(&w, MGMT).unwrap();
        w
    }

    /// The model as a restart would rebuild it from what `store` holds.
    fn reload(w: &Warden, store: &SqliteStore) -> State {
        State::from_records(&store.load_all().unwrap(), w.master_key()).unwrap()
    }

    fn stored(store: &SqliteStore, kind: &str) -> Vec<Record> {
        store
            .load_all()
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == kind)
            .collect()
    }

    /// The kind, key and whether it is a put, of each mutation.
    fn shape(batch: &[Mutation]) -> Vec<(String, String, bool)> {
        let mut out: Vec<_> = batch
            .iter()
            .map(|m| match m {
                Mutation::Put(r) => (r.kind.clone(), r.key.clone(), true),
                Mutation::Delete { kind, key, .. } => (kind.clone(), key.clone(), false),
            })
            .collect();
        out.sort();
        out
    }

    /// An organization with members, OUs (one deleted, so positions have a
    /// gap), policies, attachments, a moved account and tags.
    fn busy_org(w: &Warden) -> Organization {
        let org = w.orgs(MGMT).create_organization(None).unwrap();
        let root = org.root_id();
        w.orgs(MGMT).enable_policy_type(&root, SCP).unwrap();
        let mut members = Vec::new();
        for i in 0..3 {
            let email = format!("m{i}@example.com");
            let r = w
                .orgs(MGMT)
                .create_member_account(&format!("m{i}"), &email, None, Vec::new())
                .unwrap();
            members.push(r.account);
        }
        let mut units = Vec::new();
        for name in ["zeta", "alpha", "mid", "beta"] {
            units.push(
                w.orgs(MGMT)
                    .create_org_unit(&root, name, Vec::new())
                    .unwrap(),
            );
        }
        w.orgs(MGMT).delete_org_unit(&units[2].id).unwrap();
        w.orgs(MGMT)
            .create_org_unit(&units[0].id, "inner", Vec::new())
            .unwrap();
        let tag = crate::model::Tag {
            key: "team".to_string(),
            value: "core".to_string(),
        };
        let p1 = w
            .orgs(MGMT)
            .create_org_policy("zz-deny", "", SCP, DENY, vec![tag.clone()])
            .unwrap();
        let p2 = w
            .orgs(MGMT)
            .create_org_policy("aa-deny", "", SCP, DENY, Vec::new())
            .unwrap();
        w.orgs(MGMT).attach_org_policy(&p1.id, &members[1]).unwrap();
        w.orgs(MGMT).attach_org_policy(&p2.id, &root).unwrap();
        w.orgs(MGMT)
            .move_org_account(&members[2], &root, &units[1].id)
            .unwrap();
        w.orgs(MGMT)
            .tag_org_resource(&units[3].id, vec![tag])
            .unwrap();
        w.orgs(MGMT).describe_organization().unwrap()
    }

    /// A store that keeps each batch it applies, as the shared store's log
    /// does.
    #[derive(Debug)]
    struct Logging {
        inner: SqliteStore,
        batches: parking_lot::Mutex<Vec<Vec<Mutation>>>,
    }

    impl Store for Logging {
        fn load_all(&self) -> std::result::Result<Vec<Record>, warden_store::StoreError> {
            self.inner.load_all()
        }
        fn apply(&self, batch: &[Mutation]) -> std::result::Result<(), warden_store::StoreError> {
            self.batches.lock().push(batch.to_vec());
            self.inner.apply(batch)
        }
        fn clear(&self) -> std::result::Result<(), warden_store::StoreError> {
            self.inner.clear()
        }
    }

    #[test]
    fn a_process_following_the_batches_rebuilds_the_organization_the_writer_holds() {
        let store = Arc::new(Logging {
            inner: SqliteStore::open_in_memory().unwrap(),
            batches: parking_lot::Mutex::new(Vec::new()),
        });
        let config = Config {
            default_account: MGMT.to_string(),
            password_hashing: PasswordHashing::fast_insecure(),
            ..Config::default()
        };
        let master = MasterKey::generate();
        let w = Warden::open(store.clone(), master.clone(), config).unwrap();
        crate::iam::account::ensure_account(&w, MGMT).unwrap();
        // The follower starts from what was stored then, and applies every
        // later batch as another process would from the log.
        let mut follower = State::from_records(&store.load_all().unwrap(), &master).unwrap();
        store.batches.lock().clear();
        let org = busy_org(&w);
        let mut renamed = org.clone();
        renamed.units[0].name = "renamed".to_string();
        renamed.units.remove(1);
        let batch = w
            .read()
            .mutations(&[Change::Organization(renamed.clone())])
            .unwrap();
        store.apply(&batch).unwrap();
        let batches = std::mem::take(&mut *store.batches.lock());
        assert!(batches.len() > 10);
        for batch in &batches[..batches.len() - 1] {
            follower.apply_logged(batch, &master).unwrap();
        }
        assert_eq!(follower.organizations.get(&org.id), Some(&org));
        assert_eq!(
            follower.org_positions.get(&org.id),
            w.read().org_positions.get(&org.id)
        );
        assert_eq!(follower.accounts, w.read().accounts);
        // The last batch changes one OU and removes another.
        follower
            .apply_logged(&batches[batches.len() - 1], &master)
            .unwrap();
        assert_eq!(follower.organizations.get(&org.id), Some(&renamed));
        // Removing the organization removes every part.
        let gone = follower
            .mutations(&[Change::Delete(
                crate::state::Kind::Organization,
                (MGMT.to_string(), org.id.clone()),
            )])
            .unwrap();
        let generation = follower.generation;
        follower.apply_logged(&gone, &master).unwrap();
        assert!(follower.organizations.is_empty());
        assert!(follower.org_positions.is_empty());
        assert_eq!(follower.everything_changed, generation + 1);
    }

    #[test]
    fn an_organization_reloads_from_its_parts_in_the_order_the_api_shows() {
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        let w = warden_on(&store);
        let org = busy_org(&w);
        assert!(stored(&store, ORGANIZATION)[0]
            .value
            .starts_with(&format!("{{\"format\":{PARTS_FORMAT},")));
        assert_eq!(stored(&store, "org_unit").len(), 4);
        let reloaded = reload(&w, &store);
        assert_eq!(reloaded.organizations.get(&org.id), Some(&org));
        assert_eq!(
            reloaded.org_positions.get(&org.id),
            w.read().org_positions.get(&org.id)
        );
        // Compiled again: the reloaded policies are usable.
        let p = &reloaded.organizations[&org.id].policies[0];
        assert!(p.compiled.0.is_some());
    }

    #[test]
    fn list_order_survives_a_reload_whatever_the_key_order() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        let mut org = w.orgs(MGMT).create_organization(None).unwrap();
        // Ids in descending key order, created in this order.
        for id in ["ou-zzzz", "ou-mmmm", "ou-aaaa"] {
            org.units.push(OrgUnit {
                id: id.to_string(),
                name: id.to_string(),
                parent: org.root_id(),
            });
        }
        org.attachments.push(("ou-zzzz".into(), "p-b".into()));
        org.attachments.push(("ou-aaaa".into(), "p-a".into()));
        let batch = State::default()
            .mutations(&[Change::Organization(org.clone())])
            .unwrap();
        let mut records: Vec<Record> = batch
            .into_iter()
            .map(|m| match m {
                Mutation::Put(r) => r,
                Mutation::Delete { .. } => panic!("a new organization only puts"),
            })
            .collect();
        // Parts in key order (not creation order), the organization record
        // last: the loader must rely on neither.
        records.sort_by_key(|r| (r.kind == ORGANIZATION, r.key.clone()));
        let state = State::from_records(&records, w.master_key()).unwrap();
        assert_eq!(state.organizations.get(&org.id), Some(&org));
    }

    #[test]
    fn a_change_writes_only_what_changed() {
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        let w = warden_on(&store);
        let org = busy_org(&w);
        let state = w.read().clone();

        // Renaming one OU is one record.
        let mut renamed = org.clone();
        renamed.units[1].name = "renamed".to_string();
        let batch = state
            .mutations(&[Change::Organization(renamed.clone())])
            .unwrap();
        assert_eq!(
            shape(&batch),
            vec![(
                "org_unit".to_string(),
                format!("{}/{}", org.id, org.units[1].id),
                true
            )]
        );

        // Deleting a policy deletes its record, its attachments' and its
        // tags', and nothing else.
        let policy = org.policies[0].id.clone();
        let target = org
            .attachments
            .iter()
            .find(|(_, p)| *p == policy)
            .map(|(t, _)| t.clone())
            .unwrap();
        let mut without = org.clone();
        without.policies.retain(|p| p.id != policy);
        without.attachments.retain(|(_, p)| *p != policy);
        without.tags.remove(&policy);
        let batch = state.mutations(&[Change::Organization(without)]).unwrap();
        assert_eq!(
            shape(&batch),
            vec![
                (
                    "org_attachment".to_string(),
                    format!("{}/{target}/{policy}", org.id),
                    false
                ),
                (
                    "org_policy".to_string(),
                    format!("{}/{policy}", org.id),
                    false
                ),
                (
                    "org_tags".to_string(),
                    format!("{}/{policy}", org.id),
                    false
                ),
            ]
        );

        // The same through the API, and the store agrees.
        w.orgs(MGMT)
            .rename_org_unit(&org.units[1].id, Some("renamed"))
            .unwrap();
        w.orgs(MGMT).detach_org_policy(&policy, &target).unwrap();
        w.orgs(MGMT).delete_org_policy(&policy).unwrap();
        let now = w.orgs(MGMT).describe_organization().unwrap();
        assert_eq!(now.units[1].name, "renamed");
        assert!(stored(&store, "org_policy")
            .iter()
            .all(|r| !r.key.ends_with(&policy)));
        assert!(stored(&store, "org_tags")
            .iter()
            .all(|r| !r.key.ends_with(&policy)));
        // A later OU goes after the existing ones, past the deleted ones' positions.
        let last = w
            .orgs(MGMT)
            .create_org_unit(&now.root_id(), "last", Vec::new())
            .unwrap();
        let now = w.orgs(MGMT).describe_organization().unwrap();
        assert_eq!(now.units.last(), Some(&last));
        assert_eq!(reload(&w, &store).organizations.get(&now.id), Some(&now));
    }

    #[test]
    fn a_whole_organization_record_loads_and_its_first_write_splits_it() {
        // An organization as the previous warden stored it: one record of
        // format 1 (and, older still, 0) holding everything.
        let source = Warden::in_memory_for_tests(MGMT).unwrap();
        let org = busy_org(&source);
        let blob = serde_json::to_string(&org).unwrap();
        for legacy in [blob.clone(), format!("{{\"format\":1,{}", &blob[1..])] {
            let store = Arc::new(SqliteStore::open_in_memory().unwrap());
            store
                .apply(&[Mutation::Put(Record {
                    kind: ORGANIZATION.to_string(),
                    account: MGMT.to_string(),
                    key: org.id.clone(),
                    value: legacy,
                })])
                .unwrap();
            let w = warden_on(&store);
            assert_eq!(w.orgs(MGMT).describe_organization().unwrap(), org);
            assert!(w.read().org_positions.is_empty(), "not yet split");
            // Never written again, it keeps loading as it is.
            assert_eq!(reload(&w, &store).organizations.get(&org.id), Some(&org));

            // One small write stores every part and the new core record.
            let tag = crate::model::Tag {
                key: "k".to_string(),
                value: "v".to_string(),
            };
            w.orgs(MGMT)
                .tag_org_resource(&org.root_id(), vec![tag])
                .unwrap();
            let now = w.orgs(MGMT).describe_organization().unwrap();
            assert_eq!(now.units, org.units);
            assert_eq!(now.members, org.members);
            assert_eq!(now.attachments, org.attachments);
            let core = &stored(&store, ORGANIZATION)[0];
            assert!(core
                .value
                .starts_with(&format!("{{\"format\":{PARTS_FORMAT},")));
            assert!(!core.value.contains("\"members\""), "{}", core.value);
            assert_eq!(stored(&store, "org_member").len(), org.members.len());
            assert_eq!(stored(&store, "org_unit").len(), org.units.len());
            assert_eq!(
                stored(&store, "org_attachment").len(),
                org.attachments.len()
            );
            assert_eq!(
                stored(&store, "org_create_request").len(),
                org.create_requests.len()
            );
            assert_eq!(stored(&store, "org_policy").len(), org.policies.len());
            assert_eq!(
                stored(&store, "org_account_parent").len(),
                org.account_parents.len()
            );
            assert_eq!(stored(&store, "org_tags").len(), now.tags.len());
            let reloaded = reload(&w, &store);
            assert_eq!(reloaded.organizations.get(&org.id), Some(&now));
            assert_eq!(
                reloaded.org_positions.get(&org.id),
                w.read().org_positions.get(&org.id)
            );
        }
    }

    /// Every organization record the store holds, of any kind.
    fn org_records(store: &SqliteStore) -> Vec<Record> {
        store
            .load_all()
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == ORGANIZATION || Part::from_record(&r.kind).is_some())
            .collect()
    }

    #[test]
    fn removing_members_and_deleting_the_organization_leaves_no_record_of_it() {
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        let w = warden_on(&store);
        let org = busy_org(&w);
        let members: Vec<String> = org
            .members
            .iter()
            .map(|m| m.account.clone())
            .filter(|a| a != MGMT)
            .collect();
        // The member in an OU, with a customer SCP attached and tags.
        let moved = org.account_parents.keys().next().unwrap().clone();
        let tag = crate::model::Tag {
            key: "k".to_string(),
            value: "v".to_string(),
        };
        w.orgs(MGMT).tag_org_resource(&moved, vec![tag]).unwrap();
        assert!(matches!(
            w.orgs(MGMT).delete_organization(),
            Err(CoreError::OrganizationNotEmpty)
        ));
        w.orgs(MGMT).remove_member_account(&moved).unwrap();
        let keyed = |kind: &str| -> Vec<String> {
            stored(&store, kind).into_iter().map(|r| r.key).collect()
        };
        let gone = |key: &String| !key.contains(&moved);
        assert!(keyed("org_member").iter().all(gone));
        assert!(keyed("org_account_parent").iter().all(gone));
        assert!(keyed("org_attachment").iter().all(gone));
        assert!(keyed("org_tags").iter().all(gone));
        assert_eq!(
            reload(&w, &store).organizations.get(&org.id),
            w.read().organizations.get(&org.id)
        );

        // A member leaving is the same, then the organization can go.
        for m in members.iter().filter(|m| **m != moved) {
            w.orgs(m).leave_organization().unwrap();
        }
        assert!(matches!(
            w.orgs(&members[0]).leave_organization(),
            Err(CoreError::OrganizationsNotInUse(_))
        ));
        w.orgs(MGMT).delete_organization().unwrap();
        assert_eq!(org_records(&store), Vec::new());
        assert!(w.read().org_positions.is_empty());
        assert!(reload(&w, &store).organizations.is_empty());
        assert!(matches!(
            w.orgs(MGMT).describe_organization(),
            Err(CoreError::OrganizationsNotInUse(_))
        ));
        // Standalone again: a new organization can be made.
        let again = w.orgs(MGMT).create_organization(None).unwrap();
        assert_ne!(again.id, org.id);
        assert_eq!(
            reload(&w, &store).organizations.keys().collect::<Vec<_>>(),
            vec![&again.id]
        );
    }

    #[test]
    fn deleting_an_organization_stored_whole_deletes_its_one_record() {
        let source = Warden::in_memory_for_tests(MGMT).unwrap();
        let org = source.orgs(MGMT).create_organization(None).unwrap();
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        store
            .apply(&[Mutation::Put(Record {
                kind: ORGANIZATION.to_string(),
                account: MGMT.to_string(),
                key: org.id.clone(),
                value: serde_json::to_string(&org).unwrap(),
            })])
            .unwrap();
        let w = warden_on(&store);
        w.orgs(MGMT).delete_organization().unwrap();
        assert_eq!(org_records(&store), Vec::new());
        assert!(reload(&w, &store).organizations.is_empty());
    }

    #[test]
    fn the_management_account_can_neither_leave_nor_be_removed() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        w.orgs(MGMT).create_organization(None).unwrap();
        for refused in [
            w.orgs(MGMT).leave_organization(),
            w.orgs(MGMT).remove_member_account(MGMT),
        ] {
            assert!(matches!(
                refused,
                Err(CoreError::OrgConstraintViolation {
                    reason: "ACCOUNT_CANNOT_LEAVE_ORGANIZATION",
                    ..
                })
            ));
        }
        assert!(matches!(
            w.orgs(MGMT).remove_member_account("222222222222"),
            Err(CoreError::AccountNotFound(_))
        ));
    }

    #[test]
    fn stray_parts_are_refused_rather_than_guessed_at() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        let org = w.orgs(MGMT).create_organization(None).unwrap();
        let records: Vec<Record> = State::default()
            .mutations(&[Change::Organization(org)])
            .unwrap()
            .into_iter()
            .filter_map(|m| match m {
                Mutation::Put(r) if r.kind != ORGANIZATION => Some(r),
                _ => None,
            })
            .collect();
        assert!(State::from_records(&records, w.master_key()).is_err());
    }

    #[test]
    fn handshakes_service_access_delegations_closures_and_the_resource_policy_reload_and_go_with_the_organization(
    ) {
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        let w = warden_on(&store);
        let org = busy_org(&w);
        let guest = "222222222222";
        crate::iam::account::ensure_account(&w, guest).unwrap();
        let members: Vec<String> = org
            .members
            .iter()
            .map(|m| m.account.clone())
            .filter(|a| a != MGMT)
            .collect();
        let h = w
            .orgs(MGMT)
            .invite_account("ACCOUNT", guest, Some("hi"), Vec::new())
            .unwrap();
        w.orgs(guest).decline_handshake(&h.handshake.id).unwrap();
        w.orgs(MGMT)
            .invite_account("ACCOUNT", guest, None, Vec::new())
            .unwrap();
        w.orgs(MGMT)
            .enable_service_access("ssm.amazonaws.com")
            .unwrap();
        w.orgs(MGMT)
            .register_delegated_admin(&members[0], "ssm.amazonaws.com")
            .unwrap();
        w.orgs(MGMT).close_member_account(&members[1]).unwrap();
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"organizations:ListAccounts","Resource":"*"}]}"#;
        w.orgs(MGMT)
            .put_resource_policy(policy, Vec::new())
            .unwrap();
        let now = w.orgs(MGMT).describe_organization().unwrap();
        assert_eq!(now.handshakes.len(), 2);
        for kind in [
            "org_handshake",
            "org_service_access",
            "org_delegated_admin",
            "org_closed_account",
        ] {
            assert!(!stored(&store, kind).is_empty(), "{kind}");
        }
        let reloaded = reload(&w, &store);
        assert_eq!(reloaded.organizations.get(&now.id), Some(&now));
        assert_eq!(
            reloaded.org_positions.get(&now.id),
            w.read().org_positions.get(&now.id)
        );

        // Deleting the organization deletes them all.
        w.orgs(MGMT)
            .deregister_delegated_admin(&members[0], "ssm.amazonaws.com")
            .unwrap();
        for m in &members {
            w.orgs(MGMT).remove_member_account(m).unwrap();
        }
        w.orgs(MGMT).delete_organization().unwrap();
        assert_eq!(org_records(&store), Vec::new());
    }
}
