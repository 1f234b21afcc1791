//! The IAM room: one account's identities and what they hold.
//!
//! Accounts and their root user ([`account`]), users, groups and roles
//! (with instance profiles), inline and managed policies (customer ones in
//! [`policies`], AWS's in [`managed_policies`]), credentials (access
//! [`keys`], console [`passwords`], [`mfa`] devices) and the
//! account-wide walk of GetAccountAuthorizationDetails
//! ([`authorization_details`]). Everything here belongs to one account
//! (AWS managed policies aside, which every account sees); what reaches
//! across accounts is in [`crate::orgs`], and what decides a request is in
//! [`crate::authz`].

pub mod account;
pub mod authorization_details;
pub mod groups;
pub mod keys;
pub mod managed_policies;
pub mod mfa;
pub mod passwords;
pub mod policies;
pub mod roles;
pub mod users;
