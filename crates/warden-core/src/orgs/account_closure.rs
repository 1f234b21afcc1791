//! CloseAccount: the management account closes a member. AWS closes
//! accounts in the background: DescribeAccount shows `PENDING_CLOSURE`
//! first and `SUSPENDED` once done (the API reference of CloseAccount).
//! Warden shows `PENDING_CLOSURE` for [`PENDING_SECONDS`] after the call.
//!
//! From the call on, the account's principals can no longer authenticate
//! (see [`is_closed`], checked where credentials are looked up), and the
//! account stays in the organization, as a suspended account does in AWS.

use crate::error::{CoreError, Result};
use crate::model::{now_epoch, Epoch};
use crate::orgs::{Organization, Orgs};
use crate::state::State;

/// How long a closed account shows `PENDING_CLOSURE` before `SUSPENDED`.
pub const PENDING_SECONDS: Epoch = 5;
/// The rolling window of the closure quota (the API reference of CloseAccount).
const QUOTA_WINDOW: Epoch = 30 * 24 * 3600;

/// `(Status, State)` of a member as ListAccounts and DescribeAccount show
/// them at `now`.
pub fn account_status(
    org: &Organization,
    account: &str,
    now: Epoch,
) -> (&'static str, &'static str) {
    match org.closed_accounts.get(account) {
        None => ("ACTIVE", "ACTIVE"),
        Some(at) if now < at + PENDING_SECONDS => ("PENDING_CLOSURE", "PENDING_CLOSURE"),
        Some(_) => ("SUSPENDED", "SUSPENDED"),
    }
}

/// Whether `account` was closed by its organization: its credentials are
/// refused.
pub fn is_closed(s: &State, account: &str) -> bool {
    s.organizations
        .values()
        .any(|o| o.closed_accounts.contains_key(account))
}

/// The accounts AWS lets an organization close in 30 days: the higher of
/// 250 and 20% of its members, at most 1,000.
fn closure_quota(members: usize) -> usize {
    (members / 5).clamp(250, 1000)
}

impl Orgs<'_> {
    /// CloseAccount (management account only).
    pub fn close_member_account(&self, account: &str) -> Result<()> {
        let now = now_epoch();
        self.edit_org(|org| {
            // "You can close an account when all features are enabled" (the API reference).
            crate::orgs::service_access::require_all_features(org)?;
            if account == org.management_account {
                // botocore's text for the reason CANNOT_CLOSE_MANAGEMENT_ACCOUNT.
                return Err(CoreError::OrgConstraintViolation {
                    reason: "CANNOT_CLOSE_MANAGEMENT_ACCOUNT",
                    message: "You attempted to close the management account. To close the management account for the organization, you must first either remove or close all member accounts in the organization. Follow standard account closure process using root credentials."
                        .to_string(),
                });
            }
            if !org.members.iter().any(|m| m.account == account) {
                return Err(CoreError::AccountNotFound(
                    "You specified an account that doesn't exist.".to_string(),
                ));
            }
            if org.closed_accounts.contains_key(account) {
                return Err(CoreError::AccountAlreadyClosed);
            }
            let recent = org
                .closed_accounts
                .values()
                .filter(|at| now - **at < QUOTA_WINDOW)
                .count();
            if recent >= closure_quota(org.members.len()) {
                return Err(CoreError::OrgConstraintViolation {
                    reason: "CLOSE_ACCOUNT_QUOTA_EXCEEDED",
                    message: "You have exceeded close account quota for the past 30 days."
                        .to_string(),
                });
            }
            org.closed_accounts.insert(account.to_string(), now);
            Ok(())
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

    #[test]
    fn the_quota_is_the_higher_of_250_and_a_fifth_of_the_members_at_most_1000() {
        assert_eq!(closure_quota(2), 250);
        assert_eq!(closure_quota(2000), 400);
        assert_eq!(closure_quota(100_000), 1000);
    }

    #[test]
    fn closing_past_the_quota_is_refused_and_the_window_rolls() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        w.orgs(MGMT).create_organization(None).unwrap();
        let member = w
            .orgs(MGMT)
            .create_member_account("m", "m@example.com", None, Vec::new())
            .unwrap()
            .account;
        let now = now_epoch();
        w.orgs(MGMT)
            .edit_org(|org| {
                for i in 0..250 {
                    org.closed_accounts.insert(format!("9{i:011}"), now - 60);
                }
                Ok(())
            })
            .unwrap();
        assert!(matches!(
            w.orgs(MGMT).close_member_account(&member),
            Err(CoreError::OrgConstraintViolation {
                reason: "CLOSE_ACCOUNT_QUOTA_EXCEEDED",
                ..
            })
        ));
        // Thirty days on, those closures no longer count.
        w.orgs(MGMT)
            .edit_org(|org| {
                org.closed_accounts
                    .values_mut()
                    .for_each(|at| *at -= QUOTA_WINDOW);
                Ok(())
            })
            .unwrap();
        w.orgs(MGMT).close_member_account(&member).unwrap();
        let org = w.orgs(MGMT).describe_organization().unwrap();
        assert_eq!(
            account_status(&org, &member, now),
            ("PENDING_CLOSURE", "PENDING_CLOSURE")
        );
        assert_eq!(
            account_status(&org, &member, now + PENDING_SECONDS + 1),
            ("SUSPENDED", "SUSPENDED")
        );
        assert!(is_closed(&w.read(), &member));
        assert!(!is_closed(&w.read(), MGMT));
    }
}
