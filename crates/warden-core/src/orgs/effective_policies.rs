//! Effective management policies: DescribeEffectivePolicy (the policies of
//! one management type an account inherits from the root and its OUs, and
//! its own, merged with the inheritance operators), and the two calls that
//! report invalid effective policies.
//!
//! AWS calls an effective policy invalid when the merged result fails the
//! type's own checks, such as a backup plan left without a required field
//! by a child's `@@remove` (User Guide, "Invalid policy alerts"). warden
//! checks every document's syntax but not what a merged plan must contain,
//! so it never finds one invalid: both lists are empty, as AWS answers an
//! organization whose effective policies are all valid.

use crate::error::{CoreError, Result};
use crate::model::Epoch;
use crate::orgs::management_policies::{self, ManagementType};
use crate::orgs::org_policies::{enabled, invalid_enum, kind_of, OrgPolicyKind};
use crate::orgs::{organization_of, Member, Organization, Orgs};

/// An account's effective policy of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePolicy {
    /// The merged document, without operators.
    pub content: String,
    /// The last change to a policy that contributes to it.
    pub last_updated: Epoch,
    /// The account.
    pub target: String,
    /// The management type.
    pub policy_type: &'static str,
}

/// The validation report of one account's effective policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationReport {
    /// The account.
    pub account: String,
    /// The account's path in the organization.
    pub path: String,
    /// When it was evaluated (now: warden evaluates on request).
    pub evaluated: Epoch,
    /// Always empty (see the module's documentation).
    pub errors: Vec<String>,
}

/// The effective-policy calls accept management types only; SCPs and RCPs are refused as
/// values outside the `EffectivePolicyType` enum.
fn management_kind(policy_type: &str) -> Result<&'static ManagementType> {
    match OrgPolicyKind::parse(policy_type) {
        Some(OrgPolicyKind::Management(m)) => Ok(m),
        _ => Err(invalid_enum()),
    }
}

/// Our wording: the model documents the exception, no recording gives its text.
fn not_found() -> CoreError {
    CoreError::EffectivePolicyNotFound(
        "The account doesn't have an effective policy of the specified type.".to_string(),
    )
}

fn require_enabled(org: &Organization, ty: &'static ManagementType) -> Result<()> {
    if enabled(org, OrgPolicyKind::Management(ty)) {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// `account`'s effective policy of type `ty` in `org`.
fn compute(
    org: &Organization,
    account: &str,
    ty: &'static ManagementType,
) -> Option<EffectivePolicy> {
    let kind = OrgPolicyKind::Management(ty);
    let mut targets = org.containers_down_to(&org.parent_of_account(account));
    targets.push(account.to_string());
    let mut last_updated = 0;
    let levels: Vec<Vec<&str>> = targets
        .iter()
        .map(|t| {
            org.attachments
                .iter()
                .filter(|(at, p)| at == t && kind_of(org, p) == Some(kind))
                .filter_map(|(_, id)| org.policies.iter().find(|p| &p.id == id))
                .map(|p| {
                    last_updated = last_updated.max(p.updated);
                    p.content.as_str()
                })
                .collect()
        })
        .collect();
    let merged = management_policies::effective(ty, &levels)?;
    Some(EffectivePolicy {
        content: merged.to_string(),
        // Policies stored before warden kept their date: the organization's.
        last_updated: if last_updated == 0 {
            org.created
        } else {
            last_updated
        },
        target: account.to_string(),
        policy_type: ty.name,
    })
}

impl Orgs<'_> {
    /// DescribeEffectivePolicy: any account of the organization may ask for
    /// its own (the default target); the management account and delegated
    /// administrators for any account. Roots and OUs have none.
    pub fn describe_effective_policy(
        &self,
        policy_type: &str,
        target: Option<&str>,
    ) -> Result<EffectivePolicy> {
        let ty = management_kind(policy_type)?;
        let org = organization_of(&self.warden.read(), self.account)
            .cloned()
            .ok_or_else(crate::orgs::not_in_use)?;
        let target = target.unwrap_or(self.account);
        if target == org.root_id() || org.unit(target).is_some() {
            return Err(CoreError::OrgInvalidInput {
                reason: "TARGET_NOT_SUPPORTED",
                message: "You can't perform the specified operation on that target entity."
                    .to_string(),
            });
        }
        if target != self.account {
            // Someone else's: only for those who may read the whole organization.
            self.readable_org()?;
        }
        if !org.members.iter().any(|m| m.account == target) {
            return Err(CoreError::TargetNotFound);
        }
        require_enabled(&org, ty)?;
        compute(&org, target, ty).ok_or_else(not_found)
    }

    /// ListAccountsWithInvalidEffectivePolicy: none (see the module's documentation).
    pub fn accounts_with_invalid_effective_policy(
        &self,
        policy_type: &str,
    ) -> Result<(Organization, Vec<Member>)> {
        let ty = management_kind(policy_type)?;
        let org = self.readable_org()?;
        require_enabled(&org, ty)?;
        Ok((org, Vec::new()))
    }

    /// ListEffectivePolicyValidationErrors: the account's (empty) report.
    pub fn effective_policy_validation_errors(
        &self,
        account: &str,
        policy_type: &str,
    ) -> Result<ValidationReport> {
        let ty = management_kind(policy_type)?;
        let org = self.readable_org()?;
        if !org.members.iter().any(|m| m.account == account) {
            return Err(CoreError::AccountNotFound(
                "You specified an account that doesn't exist.".to_string(),
            ));
        }
        require_enabled(&org, ty)?;
        compute(&org, account, ty).ok_or_else(not_found)?;
        Ok(ValidationReport {
            account: account.to_string(),
            path: org.account_path(account),
            evaluated: crate::model::now_epoch(),
            errors: Vec::new(),
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

    use super::*;
    use crate::Warden;

    const MGMT: &str = "111111111111";
    const TAG: &str = "TAG_POLICY";

    #[test]
    fn an_account_inherits_the_roots_and_its_ous_tag_policies() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        let org = w.orgs(MGMT).create_organization(None).unwrap();
        let ou = w
            .orgs(MGMT)
            .create_org_unit(&org.root_id(), "ou1", Vec::new())
            .unwrap();
        let member = w
            .orgs(MGMT)
            .create_member_account("dev", "dev@example.com", None, Vec::new())
            .unwrap()
            .account;
        w.orgs(MGMT)
            .move_org_account(&member, &org.root_id(), &ou.id)
            .unwrap();
        assert!(matches!(
            w.orgs(&member).describe_effective_policy(TAG, None),
            Err(CoreError::EffectivePolicyNotFound(_))
        ));
        w.orgs(MGMT)
            .enable_policy_type(&org.root_id(), TAG)
            .unwrap();
        let a = w
            .orgs(MGMT)
            .create_org_policy(
                "a",
                "",
                TAG,
                r#"{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["Development","Support"]}}}}"#,
                Vec::new(),
            )
            .unwrap();
        let c = w
            .orgs(MGMT)
            .create_org_policy(
                "c",
                "",
                TAG,
                r#"{"tags":{"costcenter":{"tag_value":{"@@append":["Marketing"]}}}}"#,
                Vec::new(),
            )
            .unwrap();
        w.orgs(MGMT)
            .attach_org_policy(&a.id, &org.root_id())
            .unwrap();
        w.orgs(MGMT).attach_org_policy(&c.id, &ou.id).unwrap();
        let mine = w
            .orgs(&member)
            .describe_effective_policy(TAG, None)
            .unwrap();
        assert_eq!(
            mine.content,
            r#"{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Development","Support","Marketing"]}}}"#
        );
        // The management account sits under the root only.
        let boss = w
            .orgs(MGMT)
            .describe_effective_policy(TAG, Some(MGMT))
            .unwrap();
        assert_eq!(
            boss.content,
            r#"{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["Development","Support"]}}}"#
        );
        // A member sees only its own; OUs have none.
        assert!(matches!(
            w.orgs(&member).describe_effective_policy(TAG, Some(MGMT)),
            Err(CoreError::OrganizationsAccessDenied(_))
        ));
        assert!(matches!(
            w.orgs(MGMT).describe_effective_policy(TAG, Some(&ou.id)),
            Err(CoreError::OrgInvalidInput {
                reason: "TARGET_NOT_SUPPORTED",
                ..
            })
        ));
        assert!(matches!(
            w.orgs(MGMT)
                .describe_effective_policy("SERVICE_CONTROL_POLICY", None),
            Err(CoreError::OrgInvalidInput {
                reason: "INVALID_ENUM",
                ..
            })
        ));
        // Management policies never authorize: nothing about SCPs changed.
        assert!(crate::orgs::org_policies::scp_levels(&w.read(), &member).is_none());
        let (_, invalid) = w
            .orgs(MGMT)
            .accounts_with_invalid_effective_policy(TAG)
            .unwrap();
        assert!(invalid.is_empty());
    }
}
