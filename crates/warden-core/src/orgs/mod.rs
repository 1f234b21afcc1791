//! AWS Organizations: one organization per management account, member
//! accounts created inside it, and the `OrganizationAccountAccessRole`
//! every new member gets (AdministratorAccess, trusting the management
//! account), so the management account reaches a member by assuming it.
//!
//! This module is also the Organizations room: the organization itself
//! lives here, and what hangs off it lives in the children below.
//! Organizations state reaches across accounts, which is why it has a room
//! of its own rather than sharing [`crate::iam`]'s per-account one.

pub mod account_closure;
pub mod effective_policies;
pub mod handshakes;
pub mod management_policies;
pub mod org_arns;
pub mod org_policies;
pub mod org_records;
pub mod org_tags;
pub mod org_units;
pub mod resource_policy;
pub mod responsibility_transfers;
pub mod service_access;

use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::account::ensure_account;
use crate::iam::roles::NewRole;
use crate::model::{now_epoch, Epoch};
use crate::state::{Change, Kind, State};
use crate::Warden;

/// The role AWS creates in every account made by CreateAccount.
pub const DEFAULT_ACCESS_ROLE: &str = "OrganizationAccountAccessRole";
const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// An AWS organization as stored: its management account, members, OUs, policies, attachments and
/// tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// `o-` + 10 lower-case letters and digits.
    pub id: String,
    /// The account that created the organization; only it may manage the organization.
    pub management_account: String,
    /// `ACCOUNT@warden.invalid`: warden has no email of its own to report.
    pub management_email: String,
    /// `ALL` unless CreateOrganization asked for `CONSOLIDATED_BILLING`.
    pub feature_set: String,
    /// When CreateOrganization ran.
    pub created: Epoch,
    /// Every account in the organization (the management account included),
    /// in joining order.
    pub members: Vec<Member>,
    /// Every CreateAccount request, failed ones included, for DescribeCreateAccountStatus.
    pub create_requests: Vec<CreateAccountRequest>,
    /// Policy types enabled in the root (`SERVICE_CONTROL_POLICY`).
    #[serde(default)]
    pub enabled_policy_types: Vec<String>,
    /// Customer managed organization policies (SCPs).
    #[serde(default)]
    pub policies: Vec<crate::orgs::org_policies::OrgPolicy>,
    /// `(target id, policy id)` pairs: the root, an OU or an account, and
    /// the policy attached to it (`p-FullAWSAccess` included).
    #[serde(default)]
    pub attachments: Vec<(String, String)>,
    /// Organizational units, in creation order.
    #[serde(default)]
    pub units: Vec<crate::orgs::org_units::OrgUnit>,
    /// The OU of each account that is not directly under the root.
    #[serde(default)]
    pub account_parents: std::collections::BTreeMap<String, String>,
    /// Tags by resource id (root, OU, account or customer managed policy).
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, Vec<crate::model::Tag>>,
    /// Handshakes the organization sent (invitations), in the order sent.
    #[serde(default)]
    pub handshakes: Vec<crate::orgs::handshakes::Handshake>,
    /// Services given trusted access (EnableAWSServiceAccess), in the order enabled.
    #[serde(default)]
    pub service_access: Vec<crate::orgs::service_access::ServiceAccess>,
    /// Delegated administrators, one entry per account and service, in the order registered.
    #[serde(default)]
    pub delegated_admins: Vec<crate::orgs::service_access::DelegatedAdmin>,
    /// Member accounts closed by CloseAccount, with when.
    #[serde(default)]
    pub closed_accounts: std::collections::BTreeMap<String, Epoch>,
    /// The organization's resource policy (PutResourcePolicy).
    #[serde(default)]
    pub resource_policy: Option<crate::orgs::resource_policy::OrgResourcePolicy>,
    /// Responsibility transfers this organization's management account proposed, in order.
    #[serde(default)]
    pub transfers: Vec<crate::orgs::responsibility_transfers::ResponsibilityTransfer>,
}

impl Organization {
    /// `arn:aws:organizations::MANAGEMENT:organization/o-...`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:organizations::{}:organization/{}",
            self.management_account, self.id
        )
    }

    /// The organization's one root: `r-` and four characters of the
    /// organization id, so records from before roots existed need no
    /// migration.
    pub fn root_id(&self) -> String {
        format!(
            "r-{}",
            self.id.trim_start_matches("o-").get(..4).unwrap_or("0000")
        )
    }

    /// `arn:aws:organizations::MANAGEMENT:root/o-.../r-...`.
    pub fn root_arn(&self) -> String {
        format!(
            "arn:aws:organizations::{}:root/{}/{}",
            self.management_account,
            self.id,
            self.root_id()
        )
    }

    /// `arn:aws:organizations::MANAGEMENT:account/o-.../ACCOUNT`, as Organizations names a member
    /// account.
    pub fn account_arn(&self, account: &str) -> String {
        format!(
            "arn:aws:organizations::{}:account/{}/{account}",
            self.management_account, self.id
        )
    }
}

/// One account of the organization, as ListAccounts and DescribeAccount report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The 12-digit account id.
    pub account: String,
    /// The name given to CreateAccount; the management account's alias (or `management`) for it.
    pub name: String,
    /// Unique within the organization, compared case-insensitively.
    pub email: String,
    /// `CREATED` or `INVITED`.
    pub joined_method: String,
    /// When the account joined (or was created in) the organization.
    pub joined: Epoch,
}

/// A CreateAccount request and its outcome; warden completes it at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAccountRequest {
    /// `car-` + 32 hex digits.
    pub id: String,
    /// The AccountName the request gave.
    pub account_name: String,
    /// Empty when the request failed.
    pub account: String,
    /// When the request was made.
    pub requested: Epoch,
    /// When it finished: the same instant, as warden completes requests at once.
    pub completed: Epoch,
    /// AWS's FailureReason (`EMAIL_ALREADY_EXISTS`, ...) when it failed.
    #[serde(default)]
    pub failure: Option<String>,
}

pub(crate) fn random_lower(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    crypto::random_bytes(len)
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

pub(crate) fn not_in_use() -> CoreError {
    CoreError::OrganizationsNotInUse("Your account is not a member of an organization.".to_string())
}

pub(crate) fn not_management() -> CoreError {
    CoreError::OrganizationsAccessDenied(
        "You don't have permissions to access this resource.".to_string(),
    )
}

/// The organization `account` belongs to.
pub fn organization_of<'s>(s: &'s State, account: &str) -> Option<&'s Organization> {
    s.organizations
        .values()
        .find(|o| o.members.iter().any(|m| m.account == account))
}

/// AWS Organizations as one account sees it: the handle every Organizations
/// operation is a method of, given by [`Warden::orgs`] for the calling
/// account.
///
/// Organizations is scoped by its caller rather than by an organization:
/// CreateOrganization makes the caller a management account,
/// DescribeOrganization answers any member, and everything else requires
/// the caller to be the organization's management account (checked by
/// `managed_org` and `edit_org`, which every such method goes through), so
/// the one scope that serves every operation is the caller's account.
/// Methods are `impl Orgs<'_>` blocks in the module of their part (the
/// organization and its accounts here, OUs in [`org_units`], policies in
/// [`org_policies`], tags in [`org_tags`]); like [`crate::iam::Iam`] they
/// reach the model through `self.warden`, with no `Deref`.
#[derive(Debug, Clone, Copy)]
pub struct Orgs<'a> {
    /// The domain the operations read and write.
    pub(crate) warden: &'a Warden,
    /// The calling account: the management account for all but
    /// CreateOrganization and DescribeOrganization.
    pub(crate) account: &'a str,
    /// The request being served, when the handle serves one: a member's
    /// read call the organization's resource policy grants is answered
    /// (see [`resource_policy::RequestGrant`]).
    pub(crate) request: Option<resource_policy::RequestGrant<'a>>,
}

impl Orgs<'_> {
    /// The organization of the calling account, which must be its
    /// management account.
    pub(crate) fn managed_org(&self) -> Result<Organization> {
        let account = self.account;
        let org = organization_of(&self.warden.read(), account)
            .cloned()
            .ok_or_else(not_in_use)?;
        // The grant runs the engine, which reads the model itself: the lock is released first.
        if org.management_account != account && !self.granted_by_resource_policy(&org) {
            return Err(not_management());
        }
        Ok(org)
    }

    /// Changes the organization the calling account manages, durably.
    pub(crate) fn edit_org<T>(
        &self,
        edit: impl FnOnce(&mut Organization) -> Result<T>,
    ) -> Result<T> {
        let management = self.account;
        self.warden.write(|s| {
            let mut org = organization_of(s, management)
                .cloned()
                .ok_or_else(not_in_use)?;
            if org.management_account != management {
                return Err(not_management());
            }
            let out = edit(&mut org)?;
            Ok((vec![Change::Organization(org)], out))
        })
    }

    /// CreateOrganization: the calling account becomes the management
    /// account; AlreadyInOrganization if it is in one.
    pub fn create_organization(&self, feature_set: Option<&str>) -> Result<Organization> {
        let account = self.account;
        self.warden.write(|s| {
            if organization_of(s, account).is_some() {
                return Err(CoreError::AlreadyInOrganization(
                    "The AWS account is already a member of an organization.".to_string(),
                ));
            }
            let now = now_epoch();
            let name = s
                .accounts
                .get(account)
                .and_then(|a| a.alias.clone())
                .unwrap_or_else(|| "management".to_string());
            let email = format!("{account}@warden.invalid");
            let org = Organization {
                id: format!("o-{}", random_lower(10)),
                management_account: account.to_string(),
                management_email: email.clone(),
                feature_set: feature_set.unwrap_or("ALL").to_string(),
                created: now,
                members: vec![Member {
                    account: account.to_string(),
                    name,
                    email,
                    joined_method: "INVITED".to_string(),
                    joined: now,
                }],
                create_requests: Vec::new(),
                enabled_policy_types: Vec::new(),
                policies: Vec::new(),
                attachments: Vec::new(),
                units: Vec::new(),
                account_parents: Default::default(),
                tags: Default::default(),
                handshakes: Vec::new(),
                service_access: Vec::new(),
                delegated_admins: Vec::new(),
                closed_accounts: Default::default(),
                resource_policy: None,
                transfers: Vec::new(),
            };
            Ok((vec![Change::Organization(org.clone())], org))
        })
    }

    /// DescribeOrganization, for any member account; OrganizationsNotInUse if it is in none.
    pub fn describe_organization(&self) -> Result<Organization> {
        organization_of(&self.warden.read(), self.account)
            .cloned()
            .ok_or_else(not_in_use)
    }

    /// CreateAccount: a new account with a root user (no credentials) and
    /// the access role trusting the management account. Completes at once.
    pub fn create_member_account(
        &self,
        name: &str,
        email: &str,
        role_name: Option<&str>,
        tags: Vec<crate::model::Tag>,
    ) -> Result<CreateAccountRequest> {
        let management = self.account;
        crate::orgs::org_tags::check_tags(&tags)?;
        let org = self.managed_org()?;
        let now = now_epoch();
        if org
            .members
            .iter()
            .any(|m| m.email.eq_ignore_ascii_case(email))
        {
            // AWS accepts the request and reports the failure in its status.
            let failed = CreateAccountRequest {
                id: format!("car-{}", hex_id()),
                account_name: name.to_string(),
                account: String::new(),
                requested: now,
                completed: now,
                failure: Some("EMAIL_ALREADY_EXISTS".to_string()),
            };
            return self.record_create_request(&org.id, None, failed, Vec::new());
        }
        let account = loop {
            let digits: String = crypto::random_bytes(12)
                .iter()
                .map(|b| char::from(b'0' + b % 10))
                .collect();
            if digits.starts_with('0') || self.warden.read().accounts.contains_key(&digits) {
                continue;
            }
            break digits;
        };
        ensure_account(self.warden, &account)?;
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{management}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        let role = role_name.unwrap_or(DEFAULT_ACCESS_ROLE);
        self.warden.iam(&account).create_role(NewRole {
            name: role.to_string(),
            trust_document: trust,
            ..NewRole::default()
        })?;
        self.warden.iam(&account).attach_policy(
            crate::iam::policies::Holder::Role(role),
            ADMINISTRATOR_ACCESS,
        )?;
        let request = CreateAccountRequest {
            id: format!("car-{}", hex_id()),
            account_name: name.to_string(),
            account: account.clone(),
            requested: now,
            completed: now,
            failure: None,
        };
        let member = Member {
            account,
            name: name.to_string(),
            email: email.to_string(),
            joined_method: "CREATED".to_string(),
            joined: now,
        };
        self.record_create_request(&org.id, Some(member), request, tags)
    }

    /// Stores a CreateAccount request (and the new member, if it succeeded).
    fn record_create_request(
        &self,
        org_id: &str,
        member: Option<Member>,
        request: CreateAccountRequest,
        tags: Vec<crate::model::Tag>,
    ) -> Result<CreateAccountRequest> {
        self.warden.write(|s| {
            let mut org = s
                .organizations
                .get(org_id)
                .cloned()
                .ok_or_else(not_in_use)?;
            if let Some(m) = &member {
                crate::orgs::org_policies::on_new_target(&mut org, &m.account);
                crate::orgs::org_tags::apply_tags(&mut org, &m.account, tags)?;
            }
            org.members.extend(member);
            org.create_requests.push(request.clone());
            Ok((vec![Change::Organization(org)], request))
        })
    }

    /// DescribeCreateAccountStatus of a request the management account made;
    /// CreateAccountStatusNotFound otherwise.
    pub fn describe_create_account_status(&self, id: &str) -> Result<CreateAccountRequest> {
        self.managed_org()?
            .create_requests
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| {
                CoreError::CreateAccountStatusNotFound(
                    "We can't find a create account request with the CreateAccountRequestId that you specified."
                        .to_string(),
                )
            })
    }

    /// The organization and its members (management account only).
    pub fn list_member_accounts(&self) -> Result<Organization> {
        self.managed_org()
    }

    /// DescribeAccount (management account only); AccountNotFound when `account` is not a member.
    pub fn describe_member_account(&self, account: &str) -> Result<(Organization, Member)> {
        let org = self.managed_org()?;
        let member = org
            .members
            .iter()
            .find(|m| m.account == account)
            .cloned()
            .ok_or_else(|| {
                CoreError::AccountNotFound(
                    "You specified an account that doesn't exist.".to_string(),
                )
            })?;
        Ok((org, member))
    }
}

/// The error of removing the management account (RemoveAccountFromOrganization
/// naming it, or LeaveOrganization called by it): ConstraintViolationException
/// with the reason and text botocore's Organizations model gives for it.
fn management_cannot_leave() -> CoreError {
    CoreError::OrgConstraintViolation {
        reason: "ACCOUNT_CANNOT_LEAVE_ORGANIZATION",
        message: "You attempted to remove the management account from the organization. You can't remove the management account. Instead, after you remove all member accounts, delete the organization itself."
            .to_string(),
    }
}

/// Takes `account` out of `org`: its member entry, its OU parent entry, the
/// policies attached to it and its tags. Its CreateAccount request stays in
/// the history, as a request is not the membership. The account itself and
/// its IAM entities stay: it is a standalone account from now on.
fn drop_member(org: &mut Organization, account: &str) -> Result<()> {
    if account == org.management_account {
        return Err(management_cannot_leave());
    }
    crate::orgs::service_access::check_not_delegated(org, account)?;
    let before = org.members.len();
    org.members.retain(|m| m.account != account);
    if org.members.len() == before {
        return Err(CoreError::AccountNotFound(
            "You specified an account that doesn't exist.".to_string(),
        ));
    }
    org.account_parents.remove(account);
    org.attachments.retain(|(target, _)| target != account);
    org.tags.remove(account);
    Ok(())
}

impl Orgs<'_> {
    /// DeleteOrganization (management account only): refused while any account other than the
    /// management account is a member; afterwards the management account is standalone again.
    /// Every record of the organization is deleted in one transaction.
    pub fn delete_organization(&self) -> Result<()> {
        let management = self.account;
        self.warden.write(|s| {
            let org = organization_of(s, management).ok_or_else(not_in_use)?;
            if org.management_account != management {
                return Err(not_management());
            }
            if org.members.iter().any(|m| m.account != management) {
                return Err(CoreError::OrganizationNotEmpty);
            }
            responsibility_transfers::check_no_live_transfer(s, management)?;
            let key = (org.management_account.clone(), org.id.clone());
            Ok((vec![Change::Delete(Kind::Organization, key)], ()))
        })
    }

    /// RemoveAccountFromOrganization (management account only): the account becomes standalone.
    pub fn remove_member_account(&self, account: &str) -> Result<()> {
        self.edit_org(|org| drop_member(org, account))
    }

    /// LeaveOrganization, called by a member account; the management account cannot leave.
    pub fn leave_organization(&self) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let mut org = organization_of(s, account)
                .cloned()
                .ok_or_else(not_in_use)?;
            drop_member(&mut org, account)?;
            Ok((vec![Change::Organization(org)], ()))
        })
    }

    /// ListCreateAccountStatus (management account only): the CreateAccount requests in the order
    /// they were made, only those in `states` (`SUCCEEDED`, `FAILED`; `IN_PROGRESS` never, as
    /// warden completes requests at once) when `states` is not empty.
    pub fn list_create_account_status(&self, states: &[&str]) -> Result<Vec<CreateAccountRequest>> {
        Ok(self
            .managed_org()?
            .create_requests
            .into_iter()
            .filter(|r| states.is_empty() || states.contains(&r.state()))
            .collect())
    }
}

impl CreateAccountRequest {
    /// The API's `CreateAccountState`: `FAILED` or `SUCCEEDED`.
    pub fn state(&self) -> &'static str {
        if self.failure.is_some() {
            "FAILED"
        } else {
            "SUCCEEDED"
        }
    }
}

fn hex_id() -> String {
    crypto::random_bytes(16)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
