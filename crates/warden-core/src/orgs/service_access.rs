//! Trusted service access (EnableAWSServiceAccess, DisableAWSServiceAccess,
//! ListAWSServiceAccessForOrganization) and delegated administrators
//! (RegisterDelegatedAdministrator, DeregisterDelegatedAdministrator,
//! ListDelegatedAdministrators, ListDelegatedServicesForAccount).
//!
//! Warden serves no other AWS service, so enabling access changes nothing
//! beyond the organization's record: what matters is that the answers are
//! AWS's, so tools that set these up (Control Tower-style scripts,
//! Terraform) run against warden.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::model::{now_epoch, Epoch};
use crate::orgs::{not_in_use, not_management, organization_of, Member, Organization, Orgs};

/// Service principals that integrate with Organizations (Organizations User
/// Guide, "AWS services that you can use with AWS Organizations"). Any other
/// principal is refused, as AWS refuses it.
const TRUSTED_SERVICES: &[&str] = &[
    "access-analyzer.amazonaws.com",
    "account.amazonaws.com",
    "auditmanager.amazonaws.com",
    "aws-artifact-account-sync.amazonaws.com",
    "backup.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "compute-optimizer.amazonaws.com",
    "config-multiaccountsetup.amazonaws.com",
    "config.amazonaws.com",
    "controltower.amazonaws.com",
    "cost-optimization-hub.bcm.amazonaws.com",
    "detective.amazonaws.com",
    "devops-guru.amazonaws.com",
    "ds.amazonaws.com",
    "fms.amazonaws.com",
    "guardduty.amazonaws.com",
    "health.amazonaws.com",
    "iam.amazonaws.com",
    "inspector2.amazonaws.com",
    "ipam.amazonaws.com",
    "license-management.marketplace.amazonaws.com",
    "license-manager.amazonaws.com",
    "macie.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
    "mgn.amazonaws.com",
    "ram.amazonaws.com",
    "reachabilityanalyzer.networkinsights.amazonaws.com",
    "reporting.trustedadvisor.amazonaws.com",
    "securityhub.amazonaws.com",
    "securitylake.amazonaws.com",
    "servicecatalog.amazonaws.com",
    "servicequotas.amazonaws.com",
    "ssm.amazonaws.com",
    "sso.amazonaws.com",
    "storage-lens.s3.amazonaws.com",
    "tagpolicies.tag.amazonaws.com",
    "wellarchitected.amazonaws.com",
];

/// The trusted services whose column "Supports delegated administrator"
/// says yes in the same table.
const DELEGATION_SERVICES: &[&str] = &[
    "access-analyzer.amazonaws.com",
    "account.amazonaws.com",
    "auditmanager.amazonaws.com",
    "backup.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "compute-optimizer.amazonaws.com",
    "config-multiaccountsetup.amazonaws.com",
    "config.amazonaws.com",
    "detective.amazonaws.com",
    "devops-guru.amazonaws.com",
    "fms.amazonaws.com",
    "guardduty.amazonaws.com",
    "health.amazonaws.com",
    // Centralized root access (IAM User Guide, id_root-enable-root-access: "register-delegated-administrator
    // --service-principal iam.amazonaws.com").
    "iam.amazonaws.com",
    "inspector2.amazonaws.com",
    "ipam.amazonaws.com",
    "license-manager.amazonaws.com",
    "macie.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
    "reachabilityanalyzer.networkinsights.amazonaws.com",
    "securityhub.amazonaws.com",
    "securitylake.amazonaws.com",
    "servicecatalog.amazonaws.com",
    "ssm.amazonaws.com",
    "sso.amazonaws.com",
    "storage-lens.s3.amazonaws.com",
];

/// A service with trusted access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccess {
    /// The service principal, e.g. `config.amazonaws.com`.
    pub service_principal: String,
    /// When access was enabled.
    pub enabled: Epoch,
}

/// One account registered as delegated administrator for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatedAdmin {
    /// The member account.
    pub account: String,
    /// The service principal.
    pub service_principal: String,
    /// When it was registered.
    pub enabled: Epoch,
}

/// A delegated administrator as ListDelegatedAdministrators shows it: the
/// member and when it first became one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminView {
    /// The member account.
    pub member: Member,
    /// The earliest of its registrations.
    pub delegation_enabled: Epoch,
}

/// moto's recorded text (tests/test_organizations/test_organizations.py,
/// test_enable_aws_service_access_error).
fn unrecognized_principal() -> CoreError {
    CoreError::OrgInvalidInput {
        reason: "UNRECOGNIZED_SERVICE_PRINCIPAL",
        message: "You specified an unrecognized service principal.".to_string(),
    }
}

fn check_trusted(principal: &str) -> Result<()> {
    if TRUSTED_SERVICES.contains(&principal) {
        Ok(())
    } else {
        Err(unrecognized_principal())
    }
}

fn account_not_found() -> CoreError {
    CoreError::AccountNotFound("You specified an account that doesn't exist.".to_string())
}

/// moto's recorded text (test_register_delegated_administrator_errors);
/// AWS answers deregistering the management account the same.
fn management_cannot_be_delegated() -> CoreError {
    CoreError::OrgConstraintViolation {
        reason: "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR",
        message:
            "You cannot register master account/yourself as delegated administrator for your organization."
                .to_string(),
    }
}

/// Refuses to take a delegated administrator out of the organization
/// (RemoveAccountFromOrganization, LeaveOrganization): it must be
/// deregistered first (ConstraintViolationException reason
/// CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG, the text botocore gives it).
pub(crate) fn check_not_delegated(org: &Organization, account: &str) -> Result<()> {
    if org.delegated_admins.iter().any(|d| d.account == account) {
        return Err(CoreError::OrgConstraintViolation {
            reason: "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG",
            message: "You attempted to remove an account that is registered as a delegated administrator for a service integrated with your organization. To complete this operation, you must first deregister this account as a delegated administrator."
                .to_string(),
        });
    }
    Ok(())
}

/// Refuses what needs all features in an organization with consolidated
/// billing only (ConstraintViolationException reason
/// ORGANIZATION_NOT_IN_ALL_FEATURES_MODE, the text botocore gives it).
pub(crate) fn require_all_features(org: &Organization) -> Result<()> {
    if org.feature_set != "ALL" {
        return Err(CoreError::OrgConstraintViolation {
            reason: "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE",
            message: "You attempted to perform an operation that requires the organization to be configured to support all features. An organization that supports only consolidated billing features can't perform this operation."
                .to_string(),
        });
    }
    Ok(())
}

impl Orgs<'_> {
    /// The caller's organization for the read calls AWS opens to the
    /// management account and to delegated administrators.
    pub(crate) fn readable_org(&self) -> Result<Organization> {
        let org = organization_of(&self.warden.read(), self.account)
            .cloned()
            .ok_or_else(not_in_use)?;
        let delegated = org
            .delegated_admins
            .iter()
            .any(|d| d.account == self.account);
        // The grant runs the engine, which reads the model itself: the lock is released first.
        if org.management_account != self.account
            && !delegated
            && !self.granted_by_resource_policy(&org)
        {
            return Err(not_management());
        }
        Ok(org)
    }

    /// EnableAWSServiceAccess (management account only); enabling an
    /// enabled service changes nothing, its date included (moto's
    /// test_enable_aws_service_access).
    pub fn enable_service_access(&self, principal: &str) -> Result<()> {
        check_trusted(principal)?;
        let now = now_epoch();
        self.edit_org(|org| {
            require_all_features(org)?;
            if !org
                .service_access
                .iter()
                .any(|a| a.service_principal == principal)
            {
                org.service_access.push(ServiceAccess {
                    service_principal: principal.to_string(),
                    enabled: now,
                });
            }
            Ok(())
        })
    }

    /// DisableAWSServiceAccess (management account only); disabling a
    /// disabled service is no error (moto's test_disable_aws_service_access).
    pub fn disable_service_access(&self, principal: &str) -> Result<()> {
        check_trusted(principal)?;
        self.edit_org(|org| {
            org.service_access
                .retain(|a| a.service_principal != principal);
            Ok(())
        })
    }

    /// ListAWSServiceAccessForOrganization, in the order enabled.
    pub fn list_service_access(&self) -> Result<Vec<ServiceAccess>> {
        Ok(self.readable_org()?.service_access)
    }

    /// RegisterDelegatedAdministrator (management account only).
    pub fn register_delegated_admin(&self, account: &str, principal: &str) -> Result<()> {
        let now = now_epoch();
        self.edit_org(|org| {
            if account == org.management_account {
                return Err(management_cannot_be_delegated());
            }
            if !org.members.iter().any(|m| m.account == account) {
                return Err(account_not_found());
            }
            if !DELEGATION_SERVICES.contains(&principal) {
                return Err(unrecognized_principal());
            }
            require_all_features(org)?;
            if org.closed_accounts.contains_key(account) {
                return Err(CoreError::OrgConstraintViolation {
                    reason: "CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR",
                    message: "You cannot register a suspended account as a delegated administrator."
                        .to_string(),
                });
            }
            if org
                .delegated_admins
                .iter()
                .any(|d| d.account == account && d.service_principal == principal)
            {
                return Err(CoreError::AccountAlreadyRegistered);
            }
            if !org
                .service_access
                .iter()
                .any(|a| a.service_principal == principal)
            {
                // botocore's text for the reason SERVICE_ACCESS_NOT_ENABLED.
                return Err(CoreError::OrgConstraintViolation {
                    reason: "SERVICE_ACCESS_NOT_ENABLED",
                    message: "You attempted to register a delegated administrator before you enabled service access. Call the EnableAWSServiceAccess API first."
                        .to_string(),
                });
            }
            org.delegated_admins.push(DelegatedAdmin {
                account: account.to_string(),
                service_principal: principal.to_string(),
                enabled: now,
            });
            Ok(())
        })
    }

    /// DeregisterDelegatedAdministrator (management account only), with
    /// the refusals moto recorded (test_deregister_delegated_administrator_erros).
    pub fn deregister_delegated_admin(&self, account: &str, principal: &str) -> Result<()> {
        self.edit_org(|org| {
            if account == org.management_account {
                return Err(management_cannot_be_delegated());
            }
            if !org.members.iter().any(|m| m.account == account) {
                return Err(account_not_found());
            }
            if !org.delegated_admins.iter().any(|d| d.account == account) {
                return Err(CoreError::AccountNotRegistered);
            }
            let before = org.delegated_admins.len();
            org.delegated_admins
                .retain(|d| !(d.account == account && d.service_principal == principal));
            if org.delegated_admins.len() == before {
                return Err(unrecognized_principal());
            }
            Ok(())
        })
    }

    /// ListDelegatedAdministrators: each delegated administrator once (of
    /// `principal` only, when given), in the order first registered.
    pub fn list_delegated_admins(
        &self,
        principal: Option<&str>,
    ) -> Result<(Organization, Vec<AdminView>)> {
        if let Some(p) = principal {
            check_trusted(p)?;
        }
        let org = self.readable_org()?;
        let mut out: Vec<AdminView> = Vec::new();
        for d in &org.delegated_admins {
            if principal.is_some_and(|p| p != d.service_principal) {
                continue;
            }
            if let Some(seen) = out.iter_mut().find(|v| v.member.account == d.account) {
                seen.delegation_enabled = seen.delegation_enabled.min(d.enabled);
                continue;
            }
            if let Some(member) = org.members.iter().find(|m| m.account == d.account) {
                out.push(AdminView {
                    member: member.clone(),
                    delegation_enabled: d.enabled,
                });
            }
        }
        Ok((org, out))
    }

    /// ListDelegatedServicesForAccount: the services `account` administers.
    /// An account outside the organization is answered as moto recorded it
    /// (AWSOrganizationsNotInUseException, test_list_delegated_services_for_account_erros).
    pub fn list_delegated_services(&self, account: &str) -> Result<Vec<DelegatedAdmin>> {
        let org = self.readable_org()?;
        if !org.members.iter().any(|m| m.account == account) {
            return Err(not_in_use());
        }
        let services: Vec<DelegatedAdmin> = org
            .delegated_admins
            .into_iter()
            .filter(|d| d.account == account)
            .collect();
        if services.is_empty() {
            return Err(CoreError::AccountNotRegistered);
        }
        Ok(services)
    }
}
