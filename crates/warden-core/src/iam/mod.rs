//! The IAM room: one account's identities and what they hold.
//!
//! Accounts and their root user ([`account`]), users, groups and roles
//! (with instance profiles), inline and managed policies (customer ones in
//! [`policies`], AWS's in [`managed_policies`]), credentials (access
//! [`keys`], console [`passwords`], [`mfa`] devices, [`ssh_keys`],
//! [`service_credentials`]), server and signing [`certificates`] and the
//! account-wide walk of GetAccountAuthorizationDetails
//! ([`authorization_details`]). Everything here belongs to one account
//! (AWS managed policies aside, which every account sees); what reaches
//! across accounts is in [`crate::orgs`], and what decides a request is in
//! [`crate::authz`].

pub mod access_reports;
pub mod account;
pub mod authorization_details;
pub mod certificates;
pub mod groups;
pub mod keys;
pub mod managed_policies;
pub mod mfa;
pub mod oidc_providers;
pub mod passwords;
pub mod policies;
pub mod reports;
pub mod roles;
pub mod root_access;
pub mod saml_providers;
pub mod service_credentials;
pub mod service_linked_roles;
pub mod ssh_keys;
pub mod users;
pub(crate) mod x509;

use crate::Warden;

/// One account's IAM: the handle every IAM operation is a method of, given
/// by [`Warden::iam`] for the account a request acts in (the caller's).
///
/// Its methods are `impl Iam<'_>` blocks in the module of their resource
/// family (users in [`users`], roles in [`roles`], ...; the policy
/// simulator's in [`crate::authz::simulate`]), and act in `self.account`
/// only. They reach the model through `self.warden` (`self.warden.read()`,
/// `self.warden.write(..)`): the handle has no `Deref<Target = Warden>`, so
/// it shows nothing but its room's operations, and a call into another room
/// names that room's scope (`self.warden.orgs(..)`).
#[derive(Debug, Clone, Copy)]
pub struct Iam<'a> {
    /// The domain the operations read and write.
    pub(crate) warden: &'a Warden,
    /// The account every operation acts in.
    pub(crate) account: &'a str,
}
