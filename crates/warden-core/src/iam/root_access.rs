//! Centralized root access for member accounts: ListOrganizationsFeatures and
//! Enable/Disable OrganizationsRootCredentialsManagement and
//! OrganizationsRootSessions, IAM operations of an organization's management
//! account. `RootSessions` is what lets the management account call
//! STS AssumeRoot on a member ([`crate::sts`]).
//!
//! The features are kept on the management account's [`Account`] record,
//! tagged with the organization's id, so a deleted organization takes them
//! with it. AWS documents the exceptions but records no texts for them; the
//! texts are the model's descriptions of each exception.

use crate::error::{CoreError, Result};
use crate::iam::Iam;
use crate::model::RootAccess;
use crate::orgs::{organization_of, Organization};
use crate::state::{Change, State};

/// The two features, in the order AWS lists them.
pub const ROOT_CREDENTIALS_MANAGEMENT: &str = "RootCredentialsManagement";
/// See [`ROOT_CREDENTIALS_MANAGEMENT`].
pub const ROOT_SESSIONS: &str = "RootSessions";
const FEATURES: [&str; 2] = [ROOT_CREDENTIALS_MANAGEMENT, ROOT_SESSIONS];

/// The organization and the enabled features, as every operation answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationsFeatures {
    /// `o-...`.
    pub organization_id: String,
    /// Enabled features, in AWS's order.
    pub enabled: Vec<String>,
}

/// Who may call an operation: Enable* only the management account; List and
/// Disable* the management account or IAM's delegated administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Callers {
    ManagementOnly,
    ManagementOrDelegated,
}

/// The features `org` has, as its management account keeps them.
pub fn enabled_features(s: &State, org: &Organization) -> Vec<String> {
    s.accounts
        .get(&org.management_account)
        .and_then(|a| a.root_access.as_ref())
        .filter(|r| r.organization_id == org.id)
        .map(|r| r.features.clone())
        .unwrap_or_default()
}

/// The caller's organization, checked in this order: no organization, not
/// all features, not the right account, no trusted access for IAM (the model
/// lists the exceptions but not their order; asking whether trusted access is
/// enabled is the management account's or IAM's delegated administrator's).
fn check<'s>(s: &'s State, account: &str, callers: Callers) -> Result<&'s Organization> {
    let org = organization_of(s, account).ok_or_else(|| {
        CoreError::RootAccessNoOrganization(
            "The request was rejected because no organization is associated with your account."
                .to_string(),
        )
    })?;
    if org.feature_set != "ALL" {
        return Err(CoreError::RootAccessNotAllFeatures(
            "The request was rejected because your organization does not have All features enabled."
                .to_string(),
        ));
    }
    if org.management_account != account
        && !(callers == Callers::ManagementOrDelegated && is_iam_delegated_admin(org, account))
    {
        return Err(match callers {
            Callers::ManagementOnly => CoreError::RootAccessCallerNotManagement(
                "The request was rejected because the account making the request is not the \
                 management account for the organization."
                    .to_string(),
            ),
            Callers::ManagementOrDelegated => CoreError::RootAccessNotManagementOrDelegated(
                "The request was rejected because the account making the request is not the \
                 management account or delegated administrator account for centralized root access."
                    .to_string(),
            ),
        });
    }
    if !org
        .service_access
        .iter()
        .any(|a| a.service_principal == IAM_SERVICE_PRINCIPAL)
    {
        return Err(CoreError::RootAccessServiceAccessNotEnabled(
            "The request was rejected because trusted access is not enabled for IAM in Organizations."
                .to_string(),
        ));
    }
    Ok(org)
}

/// IAM's service principal: trusted access for it, and a delegated administrator for it, are what
/// centralized root access needs (IAM User Guide, id_root-enable-root-access).
pub const IAM_SERVICE_PRINCIPAL: &str = "iam.amazonaws.com";

/// Whether `account` is the organization's delegated administrator for IAM.
pub fn is_iam_delegated_admin(org: &Organization, account: &str) -> bool {
    org.delegated_admins
        .iter()
        .any(|d| d.account == account && d.service_principal == IAM_SERVICE_PRINCIPAL)
}

impl Iam<'_> {
    /// ListOrganizationsFeatures.
    pub fn organizations_features(&self) -> Result<OrganizationsFeatures> {
        let s = self.warden.read();
        let org = check(&s, self.account, Callers::ManagementOrDelegated)?;
        Ok(OrganizationsFeatures {
            organization_id: org.id.clone(),
            enabled: enabled_features(&s, org),
        })
    }

    /// EnableOrganizationsRootCredentialsManagement / EnableOrganizationsRootSessions
    /// (`enable`), and their Disable counterparts. Idempotent, as AWS answers
    /// an enabled feature's Enable with the same shape.
    pub fn set_organizations_feature(
        &self,
        feature: &str,
        enable: bool,
    ) -> Result<OrganizationsFeatures> {
        let callers = if enable {
            Callers::ManagementOnly
        } else {
            Callers::ManagementOrDelegated
        };
        self.warden.write(|s| {
            let org = check(s, self.account, callers)?;
            let mut enabled = enabled_features(s, org);
            enabled.retain(|f| f != feature);
            if enable {
                enabled.push(feature.to_string());
            }
            enabled.sort_by_key(|f| FEATURES.iter().position(|k| k == f));
            let out = OrganizationsFeatures {
                organization_id: org.id.clone(),
                enabled: enabled.clone(),
            };
            let mut management = s
                .accounts
                .get(&org.management_account)
                .cloned()
                .ok_or_else(|| CoreError::Internal("management account missing".to_string()))?;
            management.root_access = Some(RootAccess {
                organization_id: org.id.clone(),
                features: enabled,
            });
            Ok((vec![Change::Account(management)], out))
        })
    }
}
