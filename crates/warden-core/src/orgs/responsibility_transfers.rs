//! Responsibility transfers (billing transfers): one organization's
//! management account invites another organization's management account
//! to let it manage a responsibility (only `BILLING` exists) for the
//! invited organization, from a start date on.
//!
//! From the model's documentation: the inviter becomes the transfer's
//! *target* (it manages the responsibility: an inbound transfer for it), the
//! invited organization its *source* (an outbound transfer). The invitation
//! is a `TRANSFER_RESPONSIBILITY` handshake, answered with AcceptHandshake,
//! DeclineHandshake or CancelHandshake; the transfer's status follows its
//! handshake (`REQUESTED`, `ACCEPTED`, `DECLINED`, `CANCELED`, `EXPIRED`) until
//! TerminateResponsibilityTransfer ends an accepted one (`WITHDRAWN`).
//!
//! A transfer is stored with the inviting organization, as its handshake
//! is; the invited side finds it by scanning the organizations.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{CoreError, Result};
use crate::model::{now_epoch, Epoch, Tag};
use crate::orgs::handshakes::{resolve_target, Handshake, EXPIRY_SECONDS, REQUESTED};
use crate::orgs::{not_in_use, not_management, organization_of, random_lower, Organization, Orgs};
use crate::state::{Change, State};

/// The handshake action of a transfer invitation.
pub const TRANSFER_RESPONSIBILITY: &str = "TRANSFER_RESPONSIBILITY";
/// The one responsibility type of the model.
pub const BILLING: &str = "BILLING";
const WITHDRAWN: &str = "WITHDRAWN";
const ACCEPTED: &str = "ACCEPTED";
/// How far ahead a transfer may start: our choice (the model names START_DATE_TOO_LATE without
/// a bound).
const MAX_START_MONTHS_AHEAD: i32 = 12;

/// One transfer, as stored with the inviting organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponsibilityTransfer {
    /// `rt-` + 10 lower-case letters and digits (the API allows 8 to 32).
    pub id: String,
    /// The name given (SourceName at the invitation, or UpdateResponsibilityTransfer's).
    pub name: String,
    /// `BILLING`.
    pub transfer_type: String,
    /// The invited management account: its organization's responsibility moves out.
    pub source: String,
    /// The inviting management account, which takes the responsibility on.
    pub target: String,
    /// The invitation's handshake, in the inviting organization.
    pub handshake: String,
    /// When the transfer starts.
    pub start: Epoch,
    /// When it ends, once terminated.
    #[serde(default)]
    pub end: Option<Epoch>,
}

/// Which side of a transfer the caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The caller manages the responsibility (it invited).
    Inbound,
    /// The caller's organization gave the responsibility away (it was invited).
    Outbound,
}

/// A transfer as the API shows it to one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferView {
    /// The transfer.
    pub transfer: ResponsibilityTransfer,
    /// Its status when read.
    pub status: String,
    /// `arn:aws:organizations::MGMT:transfer/o-ORG/billing/inbound|outbound/rt-ID`, of the side
    /// reading it.
    pub arn: String,
    /// The source's management account email.
    pub source_email: String,
    /// The target's management account email.
    pub target_email: String,
}

fn not_found() -> CoreError {
    CoreError::ResponsibilityTransferNotFound
}

fn check_type(t: &str) -> Result<()> {
    if t == BILLING {
        Ok(())
    } else {
        Err(crate::orgs::org_policies::invalid_enum())
    }
}

fn invalid(reason: &'static str, message: &str) -> CoreError {
    CoreError::OrgInvalidInput {
        reason,
        message: message.to_string(),
    }
}

fn date_of(epoch: Epoch) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(epoch).map_err(|_| {
        invalid(
            "INVALID_START_DATE",
            "The start date doesn't meet the minimum requirements.",
        )
    })
}

/// The first instant of the month `months` after the one of `at`.
fn month_start(at: OffsetDateTime, months: i32) -> Epoch {
    let index = at.year() * 12 + i32::from(u8::from(at.month())) - 1 + months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .unwrap_or(time::Month::January);
    time::Date::from_calendar_date(year, month, 1)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .unwrap_or_default()
}

/// A start must be the first day of a month at midnight UTC, from the current month on (texts:
/// the model's InvalidInputException reasons).
fn check_start(start: Epoch, now: Epoch) -> Result<()> {
    let at = date_of(start)?;
    if at.time() != time::Time::MIDNIGHT {
        return Err(invalid(
            "START_DATE_NOT_BEGINNING_OF_DAY",
            "You provided an invalid start date. The start date must be the beginning of the day (00:00:00.000).",
        ));
    }
    if at.day() != 1 {
        return Err(invalid(
            "START_DATE_NOT_BEGINNING_OF_MONTH",
            "You provided an invalid start date. The start date must be the first day of the month.",
        ));
    }
    let today = date_of(now)?;
    if start < month_start(today, 0) {
        return Err(invalid(
            "START_DATE_TOO_EARLY",
            "You provided an invalid start date. The start date is too early.",
        ));
    }
    if start > month_start(today, MAX_START_MONTHS_AHEAD) {
        return Err(invalid(
            "START_DATE_TOO_LATE",
            "You provided an invalid start date. The start date is too late.",
        ));
    }
    Ok(())
}

/// An end must be the last second of a month, not in the past nor before the start.
fn check_end(end: Epoch, start: Epoch, now: Epoch) -> Result<()> {
    let next = date_of(end.saturating_add(1))?;
    if next.time() != time::Time::MIDNIGHT || next.day() != 1 {
        return Err(invalid(
            "END_DATE_NOT_END_OF_MONTH",
            "You provided an invalid end date. The end date must be the end of the last day of the month (23.59.59.999).",
        ));
    }
    if end < now || end < start {
        return Err(invalid(
            "END_DATE_TOO_EARLY",
            "You provided an invalid end date. The end date is too early.",
        ));
    }
    Ok(())
}

/// The organization holding transfer `id`, and its index there.
fn locate<'s>(s: &'s State, id: &str) -> Option<(&'s Organization, usize)> {
    s.organizations
        .values()
        .find_map(|o| o.transfers.iter().position(|t| t.id == id).map(|i| (o, i)))
}

fn email_of(s: &State, management: &str) -> String {
    organization_of(s, management)
        .map(|o| o.management_email.clone())
        .unwrap_or_else(|| format!("{management}@warden.invalid"))
}

/// The status of `t` (held by `org`) at `now`: its handshake's state, or
/// `WITHDRAWN` once an accepted transfer was terminated.
fn status(org: &Organization, t: &ResponsibilityTransfer, now: Epoch) -> String {
    if t.end.is_some() {
        return WITHDRAWN.to_string();
    }
    org.handshakes
        .iter()
        .find(|h| h.id == t.handshake)
        .map_or(WITHDRAWN.to_string(), |h| h.state_at(now).to_string())
}

fn view(
    s: &State,
    org: &Organization,
    t: &ResponsibilityTransfer,
    side: Direction,
    now: Epoch,
) -> TransferView {
    let (viewer, direction) = match side {
        Direction::Inbound => (&t.target, "inbound"),
        Direction::Outbound => (&t.source, "outbound"),
    };
    let viewer_org = organization_of(s, viewer).map_or(org.id.clone(), |o| o.id.clone());
    TransferView {
        transfer: t.clone(),
        status: status(org, t, now),
        arn: format!(
            "arn:aws:organizations::{viewer}:transfer/{viewer_org}/{}/{direction}/{}",
            t.transfer_type.to_ascii_lowercase(),
            t.id
        ),
        source_email: email_of(s, &t.source),
        target_email: email_of(s, &t.target),
    }
}

/// The ARN of transfer `id` as `caller` sees it: for either party's management account; `None`
/// for anyone else, so a request cannot be authorized on a transfer it cannot see.
pub fn transfer_arn(s: &State, caller: &str, id: &str) -> Option<String> {
    let (org, index) = locate(s, id)?;
    let t = &org.transfers[index];
    let side = side_of(t, caller)?;
    Some(view(s, org, t, side, now_epoch()).arn)
}

/// The side `caller` has in `t`, if any.
fn side_of(t: &ResponsibilityTransfer, caller: &str) -> Option<Direction> {
    if t.target == caller {
        Some(Direction::Inbound)
    } else if t.source == caller {
        Some(Direction::Outbound)
    } else {
        None
    }
}

/// The transfer `id` for `caller`, a party's management account: members of either organization
/// are refused, anyone else finds nothing.
fn party_transfer<'s>(
    s: &'s State,
    caller: &str,
    id: &str,
) -> Result<(&'s Organization, usize, Direction)> {
    let caller_org = organization_of(s, caller).ok_or_else(not_in_use)?;
    let (org, index) = locate(s, id).ok_or_else(not_found)?;
    let t = &org.transfers[index];
    match side_of(t, caller) {
        Some(side) => Ok((org, index, side)),
        None if [&t.source, &t.target]
            .iter()
            .any(|p| caller_org.management_account == **p) =>
        {
            Err(not_management())
        }
        None => Err(not_found()),
    }
}

/// DeleteOrganization is refused while `management` is a party to a pending or active transfer
/// (the model's ConstraintViolationException reason ACTIVE_RESPONSIBILITY_TRANSFER_PROCESS).
pub(crate) fn check_no_live_transfer(s: &State, management: &str) -> Result<()> {
    let now = now_epoch();
    let live = s.organizations.values().any(|o| {
        o.transfers.iter().any(|t| {
            side_of(t, management).is_some()
                && matches!(status(o, t, now).as_str(), REQUESTED | ACCEPTED)
        })
    });
    if live {
        return Err(CoreError::OrgConstraintViolation {
            reason: "ACTIVE_RESPONSIBILITY_TRANSFER_PROCESS",
            message: "You cannot delete organization due to an ongoing responsibility transfer process. For example, a pending invitation or an in-progress transfer. To delete the organization, you must resolve the current transfer process."
                .to_string(),
        });
    }
    Ok(())
}

impl Orgs<'_> {
    /// InviteOrganizationToTransferResponsibility (management account only): a
    /// `TRANSFER_RESPONSIBILITY` handshake to another organization's management account, and the
    /// transfer it proposes.
    #[expect(clippy::too_many_arguments, reason = "one argument per request member")]
    pub fn invite_to_transfer_responsibility(
        &self,
        transfer_type: &str,
        target_type: &str,
        target_id: &str,
        notes: Option<&str>,
        start: Epoch,
        name: &str,
        tags: Vec<Tag>,
    ) -> Result<(Handshake, TransferView)> {
        check_type(transfer_type)?;
        crate::orgs::org_tags::check_tags(&tags)?;
        let inviter = self.account;
        let now = now_epoch();
        self.warden.write(|s| {
            let mut org = organization_of(s, inviter)
                .cloned()
                .ok_or_else(not_in_use)?;
            if org.management_account != inviter {
                return Err(not_management());
            }
            let invited = resolve_target(s, target_type, target_id)?;
            if invited == inviter {
                return Err(CoreError::HandshakeConstraintViolation {
                    reason: "SOURCE_AND_TARGET_CANNOT_MATCH",
                    message: "An account can't accept a transfer invitation if it is both the sender and recipient of the invitation."
                        .to_string(),
                });
            }
            // Only another organization's management account can hand its billing over (our
            // wording: the model's TARGET_ACCOUNT_VALIDATION_FAILURE text).
            let manages = organization_of(s, &invited)
                .is_some_and(|o| o.management_account == invited && o.id != org.id);
            if !manages {
                return Err(CoreError::HandshakeConstraintViolation {
                    reason: "TARGET_ACCOUNT_VALIDATION_FAILURE",
                    message: "Billing transfer is not available for your account. Contact your billing administrator or Amazon Web Services Support for assistance."
                        .to_string(),
                });
            }
            check_start(start, now)?;
            let live = |t: &ResponsibilityTransfer| {
                t.source == invited
                    && matches!(status(&org, t, now).as_str(), REQUESTED | ACCEPTED)
            };
            if org.transfers.iter().any(live) {
                return Err(CoreError::DuplicateHandshake);
            }
            let handshake = Handshake {
                id: format!("h-{}", random_lower(10)),
                action: TRANSFER_RESPONSIBILITY.to_string(),
                state: REQUESTED.to_string(),
                target_type: target_type.to_string(),
                target_id: target_id.to_string(),
                account: invited.clone(),
                notes: notes.map(str::to_string),
                tags: Vec::new(),
                requested: now,
                expires: now + EXPIRY_SECONDS,
                updated: now,
                parent: None,
            };
            let transfer = ResponsibilityTransfer {
                id: format!("rt-{}", random_lower(10)),
                name: name.to_string(),
                transfer_type: transfer_type.to_string(),
                source: invited,
                target: inviter.to_string(),
                handshake: handshake.id.clone(),
                start,
                end: None,
            };
            crate::orgs::org_tags::apply_tags(&mut org, &transfer.id, tags)?;
            org.handshakes.push(handshake.clone());
            org.transfers.push(transfer.clone());
            let out = view(s, &org, &transfer, Direction::Inbound, now);
            Ok((vec![Change::Organization(org)], (handshake, out)))
        })
    }

    /// DescribeResponsibilityTransfer, by either party's management account.
    pub fn describe_responsibility_transfer(&self, id: &str) -> Result<TransferView> {
        let s = self.warden.read();
        let (org, index, side) = party_transfer(&s, self.account, id)?;
        Ok(view(&s, org, &org.transfers[index], side, now_epoch()))
    }

    /// ListInboundResponsibilityTransfers / ListOutboundResponsibilityTransfers: the caller's
    /// transfers on one side, oldest first; `id` narrows to one (ResponsibilityTransferNotFound
    /// if the caller has no such transfer on that side).
    pub fn list_responsibility_transfers(
        &self,
        side: Direction,
        transfer_type: &str,
        id: Option<&str>,
    ) -> Result<Vec<TransferView>> {
        check_type(transfer_type)?;
        let s = self.warden.read();
        let caller_org = organization_of(&s, self.account).ok_or_else(not_in_use)?;
        if caller_org.management_account != self.account {
            return Err(not_management());
        }
        let now = now_epoch();
        let out: Vec<TransferView> = s
            .organizations
            .values()
            .flat_map(|o| o.transfers.iter().map(move |t| (o, t)))
            .filter(|(_, t)| side_of(t, self.account) == Some(side))
            .filter(|(_, t)| t.transfer_type == transfer_type)
            .filter(|(_, t)| id.is_none_or(|id| t.id == id))
            .map(|(o, t)| view(&s, o, t, side, now))
            .collect();
        if id.is_some() && out.is_empty() {
            return Err(not_found());
        }
        Ok(out)
    }

    /// UpdateResponsibilityTransfer: a new name, while the transfer is pending or active.
    pub fn rename_responsibility_transfer(&self, id: &str, name: &str) -> Result<TransferView> {
        let now = now_epoch();
        let caller = self.account;
        self.warden.write(|s| {
            let (org, index, side) = party_transfer(s, caller, id)?;
            let mut org = org.clone();
            if !matches!(status(&org, &org.transfers[index], now).as_str(), REQUESTED | ACCEPTED) {
                return Err(CoreError::OrgConstraintViolation {
                    reason: "TRANSFER_RESPONSIBILITY_UPDATE_NOT_ALLOWED",
                    message: "You cannot update this transfer because it is no longer active. Transfers that have been withdrawn, declined, expired, or cancelled cannot be modified."
                        .to_string(),
                });
            }
            org.transfers[index].name = name.to_string();
            let out = view(s, &org, &org.transfers[index], side, now);
            Ok((vec![Change::Organization(org)], out))
        })
    }

    /// TerminateResponsibilityTransfer: ends an accepted transfer, now or at the end of a month.
    pub fn terminate_responsibility_transfer(
        &self,
        id: &str,
        end: Option<Epoch>,
    ) -> Result<TransferView> {
        let now = now_epoch();
        let caller = self.account;
        self.warden.write(|s| {
            let (org, index, side) = party_transfer(s, caller, id)?;
            let mut org = org.clone();
            let t = &org.transfers[index];
            match status(&org, t, now).as_str() {
                ACCEPTED => {}
                WITHDRAWN => return Err(CoreError::ResponsibilityTransferAlreadyInStatus),
                _ => return Err(CoreError::InvalidResponsibilityTransferTransition),
            }
            if let Some(end) = end {
                check_end(end, t.start, now)?;
            }
            org.transfers[index].end = Some(end.unwrap_or(now));
            let out = view(s, &org, &org.transfers[index], side, now);
            Ok((vec![Change::Organization(org)], out))
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

    const A: &str = "111111111111";
    const B: &str = "222222222222";

    fn next_month() -> Epoch {
        month_start(date_of(now_epoch()).unwrap(), 1)
    }

    fn two_orgs() -> Warden {
        let w = Warden::in_memory_for_tests(A).unwrap();
        w.orgs(A).create_organization(None).unwrap();
        crate::iam::account::ensure_account(&w, B).unwrap();
        w.orgs(B).create_organization(None).unwrap();
        w
    }

    #[test]
    fn start_and_end_dates_follow_the_month() {
        let now = now_epoch();
        let next = next_month();
        assert!(check_start(next, now).is_ok());
        assert!(check_start(month_start(date_of(now).unwrap(), 0), now).is_ok());
        let reason = |r: Result<()>| match r {
            Err(CoreError::OrgInvalidInput { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason(check_start(next + 3600, now)),
            "START_DATE_NOT_BEGINNING_OF_DAY"
        );
        assert_eq!(
            reason(check_start(next + 86_400, now)),
            "START_DATE_NOT_BEGINNING_OF_MONTH"
        );
        assert_eq!(
            reason(check_start(month_start(date_of(now).unwrap(), -1), now)),
            "START_DATE_TOO_EARLY"
        );
        assert_eq!(
            reason(check_start(month_start(date_of(now).unwrap(), 13), now)),
            "START_DATE_TOO_LATE"
        );
        let end_of_next = month_start(date_of(now).unwrap(), 2) - 1;
        assert!(check_end(end_of_next, next, now).is_ok());
        assert_eq!(
            reason(check_end(end_of_next - 1, next, now)),
            "END_DATE_NOT_END_OF_MONTH"
        );
        assert_eq!(
            reason(check_end(
                month_start(date_of(now).unwrap(), 0) - 1,
                next,
                now
            )),
            "END_DATE_TOO_EARLY"
        );
    }

    #[test]
    fn a_transfer_follows_its_handshake_and_ends_withdrawn() {
        let w = two_orgs();
        let (h, sent) = w
            .orgs(A)
            .invite_to_transfer_responsibility(
                BILLING,
                "ACCOUNT",
                B,
                None,
                next_month(),
                "bills",
                Vec::new(),
            )
            .unwrap();
        assert_eq!(sent.status, "REQUESTED");
        assert!(sent.arn.contains(":transfer/o-") && sent.arn.contains("/billing/inbound/rt-"));
        let id = sent.transfer.id.clone();
        let out = w
            .orgs(B)
            .list_responsibility_transfers(Direction::Outbound, BILLING, None)
            .unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0]
            .arn
            .starts_with(&format!("arn:aws:organizations::{B}:transfer/")));
        assert!(matches!(
            w.orgs(A).terminate_responsibility_transfer(&id, None),
            Err(CoreError::InvalidResponsibilityTransferTransition)
        ));
        w.orgs(B).accept_handshake(&h.id).unwrap();
        // Neither side can delete its organization while the transfer lives.
        for side in [A, B] {
            assert!(matches!(
                w.orgs(side).delete_organization(),
                Err(CoreError::OrgConstraintViolation {
                    reason: "ACTIVE_RESPONSIBILITY_TRANSFER_PROCESS",
                    ..
                })
            ));
        }
        // Accepting joins nobody to anything: B still manages its own organization.
        assert_eq!(
            w.orgs(B)
                .describe_organization()
                .unwrap()
                .management_account,
            B
        );
        assert_eq!(
            w.orgs(A)
                .describe_responsibility_transfer(&id)
                .unwrap()
                .status,
            "ACCEPTED"
        );
        w.orgs(B)
            .rename_responsibility_transfer(&id, "renamed")
            .unwrap();
        let ended = w
            .orgs(A)
            .terminate_responsibility_transfer(&id, None)
            .unwrap();
        assert_eq!(
            (ended.status.as_str(), ended.transfer.name.as_str()),
            ("WITHDRAWN", "renamed")
        );
        assert!(matches!(
            w.orgs(B).terminate_responsibility_transfer(&id, None),
            Err(CoreError::ResponsibilityTransferAlreadyInStatus)
        ));
        assert!(matches!(
            w.orgs(B).rename_responsibility_transfer(&id, "again"),
            Err(CoreError::OrgConstraintViolation {
                reason: "TRANSFER_RESPONSIBILITY_UPDATE_NOT_ALLOWED",
                ..
            })
        ));
        // A new invitation is possible once the last one ended.
        w.orgs(A)
            .invite_to_transfer_responsibility(
                BILLING,
                "ACCOUNT",
                B,
                None,
                next_month(),
                "again",
                Vec::new(),
            )
            .unwrap();
    }
}
