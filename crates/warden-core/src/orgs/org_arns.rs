//! The ARNs of Organizations resources a request names by id, resolved in
//! the caller's organization: what the server's [`crate::authz::actions::Lookup`]
//! answers [`crate::authz::actions::Lookup::org_arn`] with, so Organizations
//! actions are authorized on the policy, OU, account or root they act on
//! rather than on `*`.
//!
//! Ids resolve only to entities that exist, under their stored id, so a
//! request cannot name one resource while being authorized as another.
//! Unknown ids give `None`; the action table then uses an ARN no real
//! resource has (see [`crate::authz::actions::UNRESOLVED_ORG`]).

use crate::authz::actions::OrgKind;
use crate::orgs::org_policies::{FULL_AWS_ACCESS_ID, RCP, RCP_FULL_AWS_ACCESS_ID, SCP};
use crate::orgs::{organization_of, Organization};
use crate::state::State;

/// The ARN of the Organizations resource of `kind` that `id` names in
/// `caller_account`'s organization (see [`OrgKind`] for the ARN forms).
/// `None` when the id names no such resource, or the caller is in no
/// organization; AWS managed policies (`p-FullAWSAccess`) resolve even
/// then, as they belong to no organization. A handshake resolves for its
/// recipient and the sending organization's accounts (the recipient is in
/// no organization yet); responsibility transfers are not modelled, so
/// never resolve.
pub fn org_resource_arn(
    s: &State,
    caller_account: &str,
    kind: OrgKind,
    id: &str,
) -> Option<String> {
    if matches!(kind, OrgKind::Policy | OrgKind::Resource) {
        if let Some(arn) = managed_policy(id).map(|(ty, _)| managed_arn(ty, id)) {
            return Some(arn);
        }
    }
    if matches!(kind, OrgKind::Handshake) {
        return crate::orgs::handshakes::handshake_arn(s, caller_account, id);
    }
    if matches!(kind, OrgKind::ResponsibilityTransfer) {
        return crate::orgs::responsibility_transfers::transfer_arn(s, caller_account, id);
    }
    let org = organization_of(s, caller_account)?;
    match kind {
        OrgKind::Organization => Some(org.arn()),
        OrgKind::Root => root(org, id),
        OrgKind::OrganizationalUnit => unit(org, id),
        OrgKind::Account => account(org, id),
        OrgKind::Policy => policy(org, id),
        OrgKind::Target => target(org, id),
        OrgKind::Resource => target(org, id).or_else(|| policy(org, id)),
        OrgKind::Handshake | OrgKind::ResponsibilityTransfer => None,
    }
}

/// The API type (`SERVICE_CONTROL_POLICY`, ...) of the policy `id` names in
/// `caller_account`'s organization, AWS managed ones included; `None` when
/// it names none. The value of `organizations:PolicyType` for requests on
/// an existing policy (see [`crate::authz::actions::KeySource::OrgPolicyType`]).
pub fn org_policy_type(s: &State, caller_account: &str, id: &str) -> Option<String> {
    if let Some((ty, _)) = managed_policy(id) {
        return Some(ty.to_owned());
    }
    organization_of(s, caller_account)?
        .policies
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.policy_type.clone())
}

/// The type and id of an AWS managed policy.
fn managed_policy(id: &str) -> Option<(&'static str, &'static str)> {
    [(SCP, FULL_AWS_ACCESS_ID), (RCP, RCP_FULL_AWS_ACCESS_ID)]
        .into_iter()
        .find(|(_, managed)| *managed == id)
}

/// The ARN segment of a policy type: the API name in lower case.
fn type_segment(policy_type: &str) -> String {
    policy_type.to_ascii_lowercase()
}

fn managed_arn(policy_type: &str, id: &str) -> String {
    format!(
        "arn:aws:organizations::aws:policy/{}/{id}",
        type_segment(policy_type)
    )
}

fn root(org: &Organization, id: &str) -> Option<String> {
    (id == org.root_id()).then(|| org.root_arn())
}

fn unit(org: &Organization, id: &str) -> Option<String> {
    org.unit(id).map(|u| org.unit_arn(&u.id))
}

fn account(org: &Organization, id: &str) -> Option<String> {
    org.members
        .iter()
        .find(|m| m.account == id)
        .map(|m| org.account_arn(&m.account))
}

fn policy(org: &Organization, id: &str) -> Option<String> {
    org.policies.iter().find(|p| p.id == id).map(|p| {
        format!(
            "arn:aws:organizations::{}:policy/{}/{}/{}",
            org.management_account,
            org.id,
            type_segment(&p.policy_type),
            p.id
        )
    })
}

/// A root, OU or account: ids of the three never collide (`r-`, `ou-`,
/// twelve digits), so trying each in turn is unambiguous.
fn target(org: &Organization, id: &str) -> Option<String> {
    root(org, id)
        .or_else(|| unit(org, id))
        .or_else(|| account(org, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Warden;

    const MGMT: &str = "111111111111";

    /// An organization with SCPs enabled, a member account in an OU, and a
    /// customer managed SCP; returns the warden, the organization, the
    /// member, the OU id and the policy id.
    fn org() -> (Warden, Organization, String, String, String) {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        let org = w.orgs(MGMT).create_organization(None).unwrap();
        let member = w
            .orgs(MGMT)
            .create_member_account("m", "m@example.com", None, Vec::new())
            .unwrap()
            .account;
        w.orgs(MGMT)
            .enable_policy_type(&org.root_id(), SCP)
            .unwrap();
        let ou = w
            .orgs(MGMT)
            .create_org_unit(&org.root_id(), "eng", Vec::new())
            .unwrap()
            .id;
        let policy = w
            .orgs(MGMT).create_org_policy(
                "deny-s3",
                "",
                SCP,
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
                Vec::new(),
            )
            .unwrap()
            .id;
        (w, org, member, ou, policy)
    }

    #[test]
    fn ids_resolve_to_the_arns_the_api_reports() {
        let (w, org, member, ou, policy) = org();
        let s = w.read();
        let arn = |kind, id: &str| org_resource_arn(&s, MGMT, kind, id);
        let prefix = format!("arn:aws:organizations::{MGMT}:");
        let o = &org.id;
        assert_eq!(
            arn(OrgKind::Policy, &policy),
            Some(format!(
                "{prefix}policy/{o}/service_control_policy/{policy}"
            ))
        );
        // The ARN CreatePolicy/DescribePolicy report is the same one.
        assert_eq!(
            arn(OrgKind::Policy, &policy),
            Some(w.orgs(MGMT).describe_org_policy(&policy).unwrap().arn)
        );
        assert_eq!(
            arn(OrgKind::Policy, FULL_AWS_ACCESS_ID),
            Some(
                "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
                    .to_owned()
            )
        );
        assert_eq!(arn(OrgKind::Organization, ""), Some(org.arn()));
        assert_eq!(arn(OrgKind::Root, &org.root_id()), Some(org.root_arn()));
        assert_eq!(
            arn(OrgKind::OrganizationalUnit, &ou),
            Some(format!("{prefix}ou/{o}/{ou}"))
        );
        assert_eq!(
            arn(OrgKind::Account, &member),
            Some(format!("{prefix}account/{o}/{member}"))
        );
        // A target is whichever of root, OU and account the id names.
        assert_eq!(arn(OrgKind::Target, &org.root_id()), Some(org.root_arn()));
        assert_eq!(
            arn(OrgKind::Target, &ou),
            arn(OrgKind::OrganizationalUnit, &ou)
        );
        assert_eq!(
            arn(OrgKind::Target, &member),
            arn(OrgKind::Account, &member)
        );
        assert_eq!(arn(OrgKind::Target, &policy), None);
        // A taggable resource may also be a policy.
        assert_eq!(
            arn(OrgKind::Resource, &policy),
            arn(OrgKind::Policy, &policy)
        );
        assert_eq!(
            arn(OrgKind::Resource, &ou),
            arn(OrgKind::OrganizationalUnit, &ou)
        );
    }

    #[test]
    fn unknown_ids_and_strangers_resolve_to_nothing() {
        let (w, _org, member, ou, policy) = org();
        let stranger = "222222222222";
        crate::iam::account::ensure_account(&w, stranger).unwrap();
        let s = w.read();
        assert_eq!(
            org_resource_arn(&s, MGMT, OrgKind::Policy, "p-nosuchid"),
            None
        );
        // An id of one kind does not resolve as another.
        assert_eq!(org_resource_arn(&s, MGMT, OrgKind::Policy, &ou), None);
        assert_eq!(
            org_resource_arn(&s, MGMT, OrgKind::OrganizationalUnit, &member),
            None
        );
        assert_eq!(
            org_resource_arn(&s, MGMT, OrgKind::Account, "333333333333"),
            None
        );
        assert_eq!(org_resource_arn(&s, MGMT, OrgKind::Root, "r-zzzz"), None);
        assert_eq!(
            org_resource_arn(&s, MGMT, OrgKind::Handshake, "h-abcdefgh"),
            None
        );
        // Ids resolve only in the caller's own organization.
        assert_eq!(
            org_resource_arn(&s, stranger, OrgKind::Policy, &policy),
            None
        );
        assert_eq!(
            org_resource_arn(&s, stranger, OrgKind::Organization, ""),
            None
        );
        // AWS managed policies belong to no organization.
        assert!(
            org_resource_arn(&s, stranger, OrgKind::Policy, RCP_FULL_AWS_ACCESS_ID).is_some_and(
                |a| a.ends_with(":aws:policy/resource_control_policy/p-RCPFullAWSAccess")
            )
        );
        // A member account resolves ids in its organization too.
        assert_eq!(
            org_resource_arn(&s, &member, OrgKind::Policy, &policy),
            org_resource_arn(&s, MGMT, OrgKind::Policy, &policy)
        );
    }

    #[test]
    fn policy_types_of_stored_and_managed_policies() {
        let (w, _org, _member, ou, policy) = org();
        let s = w.read();
        assert_eq!(org_policy_type(&s, MGMT, &policy).as_deref(), Some(SCP));
        assert_eq!(
            org_policy_type(&s, MGMT, RCP_FULL_AWS_ACCESS_ID).as_deref(),
            Some(RCP)
        );
        assert_eq!(org_policy_type(&s, MGMT, &ou), None);
        assert_eq!(org_policy_type(&s, MGMT, "p-nosuchid"), None);
    }
}
