//! Handshakes: the invitations a management account sends to standalone
//! accounts (InviteAccountToOrganization), and the recipient's answer
//! (AcceptHandshake, DeclineHandshake) or the sender's withdrawal
//! (CancelHandshake).
//!
//! EnableAllFeatures, in an organization made with consolidated billing
//! only, is a handshake too: a parent `ENABLE_ALL_FEATURES` handshake of the
//! management account, and one child per invited member to approve it.
//! Once every child is accepted the parent is `OPEN` ("sent to multiple
//! recipients and all recipients have responded", the API reference of
//! HandshakeState), and the management account accepting it finalizes the
//! change (the API reference of EnableAllFeatures).
//!
//! A handshake is stored with the organization that sent it, so it goes
//! with the organization's records; the recipient finds it by scanning the
//! organizations, as it belongs to none of them yet.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::model::{now_epoch, Epoch, Tag};
use crate::orgs::{
    not_in_use, not_management, organization_of, random_lower, Member, Organization, Orgs,
};
use crate::state::{Change, State};

/// An invitation to join.
pub const INVITE: &str = "INVITE";
/// The request to enable all features, and its approvals.
pub const ENABLE_ALL_FEATURES: &str = "ENABLE_ALL_FEATURES";
const OPEN: &str = "OPEN";
/// The enable-all-features request expires after 90 days (Organizations User
/// Guide, orgs_manage_org_support-all-features).
const FEATURES_EXPIRY_SECONDS: Epoch = 90 * 24 * 3600;
/// `REQUESTED`: awaiting the recipient's answer.
pub const REQUESTED: &str = "REQUESTED";
const ACCEPTED: &str = "ACCEPTED";
const DECLINED: &str = "DECLINED";
const CANCELED: &str = "CANCELED";
const EXPIRED: &str = "EXPIRED";
/// An invitation expires 15 days after it is sent (Organizations User
/// Guide, orgs_manage_accounts_invite-account).
pub const EXPIRY_SECONDS: Epoch = 15 * 24 * 3600;
/// Concluded handshakes show in API answers for 30 days (the API reference
/// of AcceptHandshake, DescribeHandshake and the List calls).
const SHOWN_SECONDS: Epoch = 30 * 24 * 3600;
/// Invitations an organization may send per day (Organizations quotas).
const INVITES_PER_DAY: usize = 20;

/// One handshake, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handshake {
    /// `h-` + 10 lower-case letters and digits (the API allows 8 to 32).
    pub id: String,
    /// `INVITE`.
    pub action: String,
    /// `REQUESTED`, `ACCEPTED`, `DECLINED` or `CANCELED`; `EXPIRED` is
    /// worked out from `expires` (see [`Handshake::state_at`]).
    pub state: String,
    /// The Target's `Type` as the request gave it: `ACCOUNT` or `EMAIL`.
    pub target_type: String,
    /// The Target's `Id` as the request gave it.
    pub target_id: String,
    /// The invited account, `target_id` resolved.
    pub account: String,
    /// The invitation's Notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Tags the account gets when it joins.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// When it was sent.
    pub requested: Epoch,
    /// When it expires unless answered.
    pub expires: Epoch,
    /// When it last changed state.
    pub updated: Epoch,
    /// The parent handshake of an approval asked of a member by EnableAllFeatures.
    #[serde(default)]
    pub parent: Option<String>,
}

impl Handshake {
    /// The API's state at `now`: a handshake still `REQUESTED` past its
    /// expiry is `EXPIRED`.
    pub fn state_at(&self, now: Epoch) -> &str {
        if self.state == REQUESTED && now >= self.expires {
            EXPIRED
        } else {
            &self.state
        }
    }

    /// Whether the API still shows it at `now`: concluded handshakes go
    /// after 30 days.
    fn shown_at(&self, now: Epoch) -> bool {
        match self.state_at(now) {
            REQUESTED => true,
            EXPIRED => now < self.expires + SHOWN_SECONDS,
            _ => now < self.updated + SHOWN_SECONDS,
        }
    }

    /// Whether it is an open invitation to `account` at `now`.
    fn open_for(&self, account: &str, now: Epoch) -> bool {
        self.action == INVITE && self.account == account && self.state_at(now) == REQUESTED
    }

    /// Whether it is the management account's EnableAllFeatures request.
    fn is_features_request(&self) -> bool {
        self.action == ENABLE_ALL_FEATURES && self.parent.is_none()
    }
}

/// The API's state of `h` in `org` at `now`: an EnableAllFeatures request
/// whose approvals are all accepted is `OPEN`.
fn state_in(org: &Organization, h: &Handshake, now: Epoch) -> String {
    let state = h.state_at(now);
    if state == REQUESTED
        && h.is_features_request()
        && org
            .handshakes
            .iter()
            .filter(|c| c.parent.as_deref() == Some(h.id.as_str()))
            .all(|c| c.state == ACCEPTED)
    {
        return OPEN.to_string();
    }
    state.to_string()
}

/// Whether the organization is enabling all features: its request is
/// neither concluded nor expired.
fn migrating(org: &Organization, now: Epoch) -> bool {
    org.handshakes
        .iter()
        .filter(|h| h.is_features_request())
        .any(|h| matches!(state_in(org, h, now).as_str(), REQUESTED | OPEN))
}

/// A handshake with the organization that sent it, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeView {
    /// The handshake.
    pub handshake: Handshake,
    /// Its state when read.
    pub state: String,
    /// The sending organization's id.
    pub org_id: String,
    /// Its management account.
    pub management_account: String,
    /// Its management account's email.
    pub management_email: String,
    /// Its management account's name.
    pub management_name: String,
    /// Its feature set.
    pub feature_set: String,
    /// The responsibility transfer a `TRANSFER_RESPONSIBILITY` handshake proposes.
    pub transfer: Option<crate::orgs::responsibility_transfers::ResponsibilityTransfer>,
}

impl HandshakeView {
    /// `arn:aws:organizations::MGMT:handshake/o-ORG/invite/h-ID`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:organizations::{}:handshake/{}/{}/{}",
            self.management_account,
            self.org_id,
            self.handshake.action.to_ascii_lowercase(),
            self.handshake.id
        )
    }
}

fn view(org: &Organization, h: &Handshake, now: Epoch) -> HandshakeView {
    let management_name = org
        .members
        .iter()
        .find(|m| m.account == org.management_account)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    HandshakeView {
        handshake: h.clone(),
        state: state_in(org, h, now),
        org_id: org.id.clone(),
        management_account: org.management_account.clone(),
        management_email: org.management_email.clone(),
        management_name,
        feature_set: org.feature_set.clone(),
        transfer: org.transfers.iter().find(|t| t.handshake == h.id).cloned(),
    }
}

/// Which handshakes a List call shows: all, or those of one action, or the
/// children of one handshake (warden's invitations have no parent).
#[derive(Debug, Clone, Default)]
pub struct HandshakeFilter {
    /// `Filter.ActionType`.
    pub action_type: Option<String>,
    /// `Filter.ParentHandshakeId`.
    pub parent_handshake_id: Option<String>,
}

impl HandshakeFilter {
    fn check(&self) -> Result<()> {
        if self.action_type.is_some() && self.parent_handshake_id.is_some() {
            // The API reference of HandshakeFilter: "If you specify
            // ActionType, you cannot also specify ParentHandshakeId."
            return Err(CoreError::OrgInvalidInput {
                reason: "MAX_FILTER_LIMIT_EXCEEDED",
                message: "You can specify only one filter parameter for the operation.".to_string(),
            });
        }
        Ok(())
    }

    fn admits(&self, h: &Handshake) -> bool {
        self.action_type.as_deref().is_none_or(|a| a == h.action)
            && self
                .parent_handshake_id
                .as_deref()
                .is_none_or(|p| h.parent.as_deref() == Some(p))
    }
}

fn already_in_organization() -> CoreError {
    CoreError::HandshakeConstraintViolation {
        reason: "ALREADY_IN_AN_ORGANIZATION",
        message:
            "The handshake request is invalid because the invited account is already a member of an organization."
                .to_string(),
    }
}

fn wrong_party_type() -> CoreError {
    CoreError::OrgInvalidInput {
        reason: "INVALID_PARTY_TYPE_TARGET",
        message:
            "You specified the wrong type of entity (account, organization, or email) as a party."
                .to_string(),
    }
}

/// The account an invitation's Target names: an account id warden knows,
/// or the email warden reports for an account (`ACCOUNT@warden.invalid` for
/// a management account, or the email a member was created or invited
/// with).
pub(crate) fn resolve_target(s: &State, target_type: &str, target_id: &str) -> Result<String> {
    match target_type {
        "ACCOUNT" => {
            if target_id.len() != 12 || !target_id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(wrong_party_type());
            }
            if !s.accounts.contains_key(target_id) {
                // Warden's own wording: AWS's answer for an id no account
                // has is not recorded.
                return Err(CoreError::OrgInvalidInput {
                    reason: "INVALID_PARTY_TYPE_TARGET",
                    message: "You specified an account that doesn't exist.".to_string(),
                });
            }
            Ok(target_id.to_string())
        }
        "EMAIL" => {
            let by_warden_email = target_id
                .strip_suffix("@warden.invalid")
                .filter(|a| s.accounts.contains_key(*a))
                .map(str::to_string);
            let by_member_email = || {
                s.organizations
                    .values()
                    .flat_map(|o| o.members.iter())
                    .find(|m| m.email.eq_ignore_ascii_case(target_id))
                    .map(|m| m.account.clone())
            };
            by_warden_email
                .or_else(by_member_email)
                .ok_or_else(|| CoreError::OrgInvalidInput {
                    reason: "INVALID_EMAIL_ADDRESS_TARGET",
                    message:
                        "You specified an invalid email address for the invited account owner."
                            .to_string(),
                })
        }
        _ => Err(wrong_party_type()),
    }
}

/// The organization holding handshake `id`, and its index there.
fn locate<'s>(s: &'s State, id: &str) -> Option<(&'s Organization, usize)> {
    s.organizations
        .values()
        .find_map(|o| o.handshakes.iter().position(|h| h.id == id).map(|i| (o, i)))
}

/// The ARN of handshake `id` for `caller`: its recipient or an account of
/// the organization that sent it; `None` for anyone else, so a request
/// cannot be authorized on a handshake it cannot see.
pub fn handshake_arn(s: &State, caller: &str, id: &str) -> Option<String> {
    let (org, index) = locate(s, id)?;
    let h = &org.handshakes[index];
    let sender_side = org.members.iter().any(|m| m.account == caller);
    (h.account == caller || sender_side).then(|| view(org, h, now_epoch()).arn())
}

/// Who may answer a handshake: its recipient (accept, decline) or its sender (cancel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    Recipient,
    Sender,
}

impl Orgs<'_> {
    /// InviteAccountToOrganization (management account only): a
    /// `REQUESTED` invitation to the account `target_id` names.
    pub fn invite_account(
        &self,
        target_type: &str,
        target_id: &str,
        notes: Option<&str>,
        tags: Vec<Tag>,
    ) -> Result<HandshakeView> {
        crate::orgs::org_tags::check_tags(&tags)?;
        let management = self.account;
        let now = now_epoch();
        self.warden.write(|s| {
            let mut org = organization_of(s, management)
                .cloned()
                .ok_or_else(not_in_use)?;
            if org.management_account != management {
                return Err(not_management());
            }
            let account = resolve_target(s, target_type, target_id)?;
            // Inviting itself or a member is inviting an account already in
            // an organization, as is inviting a member of another one.
            if organization_of(s, &account).is_some() {
                return Err(already_in_organization());
            }
            if migrating(&org, now) {
                return Err(CoreError::HandshakeConstraintViolation {
                    reason: "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES",
                    message: "You can't issue new invitations to join an organization while it's in the process of enabling all features. You can resume inviting accounts after you finalize the process when all accounts have agreed to the change."
                        .to_string(),
                });
            }
            if org.handshakes.iter().any(|h| h.open_for(&account, now)) {
                return Err(CoreError::DuplicateHandshake);
            }
            let sent_today = org
                .handshakes
                .iter()
                .filter(|h| h.action == INVITE && now - h.requested < 24 * 3600)
                .count();
            if sent_today >= INVITES_PER_DAY {
                return Err(CoreError::HandshakeConstraintViolation {
                    reason: "HANDSHAKE_RATE_LIMIT_EXCEEDED",
                    message: "You attempted to exceed the number of handshakes that you can send in one day."
                        .to_string(),
                });
            }
            let handshake = Handshake {
                id: format!("h-{}", random_lower(10)),
                action: INVITE.to_string(),
                state: REQUESTED.to_string(),
                target_type: target_type.to_string(),
                target_id: target_id.to_string(),
                account,
                notes: notes.map(str::to_string),
                tags,
                requested: now,
                expires: now + EXPIRY_SECONDS,
                updated: now,
                parent: None,
            };
            let out = view(&org, &handshake, now);
            org.handshakes.push(handshake);
            Ok((vec![Change::Organization(org)], out))
        })
    }

    /// AcceptHandshake, by the invited account: it joins the sending
    /// organization under the root, with the invitation's tags.
    pub fn accept_handshake(&self, id: &str) -> Result<HandshakeView> {
        self.respond(id, Party::Recipient, ACCEPTED)
    }

    /// DeclineHandshake, by the invited account.
    pub fn decline_handshake(&self, id: &str) -> Result<HandshakeView> {
        self.respond(id, Party::Recipient, DECLINED)
    }

    /// CancelHandshake, by the sending organization's management account.
    pub fn cancel_handshake(&self, id: &str) -> Result<HandshakeView> {
        self.respond(id, Party::Sender, CANCELED)
    }

    fn respond(&self, id: &str, party: Party, to: &'static str) -> Result<HandshakeView> {
        let caller = self.account;
        let now = now_epoch();
        self.warden.write(|s| {
            let (org, index) = locate(s, id).ok_or(CoreError::HandshakeNotFound)?;
            let mut org = org.clone();
            let h = &org.handshakes[index];
            let is_recipient = h.account == caller;
            let is_sender = org.management_account == caller;
            match party {
                Party::Recipient if !is_recipient => {
                    return Err(if is_sender {
                        not_management()
                    } else {
                        CoreError::HandshakeNotFound
                    })
                }
                Party::Sender if !is_sender => {
                    return Err(
                        if is_recipient
                            || organization_of(s, caller).is_some_and(|o| o.id == org.id)
                        {
                            not_management()
                        } else {
                            CoreError::HandshakeNotFound
                        },
                    )
                }
                _ => {}
            }
            let state = state_in(&org, h, now);
            if state == to {
                return Err(CoreError::HandshakeAlreadyInState);
            }
            // Only a pending handshake is answered, and the request to enable all
            // features only once every approval is in.
            let features = h.is_features_request();
            if !(state == REQUESTED || state == OPEN)
                || (features && to == ACCEPTED && state != OPEN)
            {
                return Err(CoreError::InvalidHandshakeTransition);
            }
            if features && to == ACCEPTED {
                org.feature_set = "ALL".to_string();
            }
            if features && to == CANCELED {
                let parent = h.id.clone();
                for c in org.handshakes.iter_mut().filter(|c| {
                    c.parent.as_deref() == Some(parent.as_str()) && c.state == REQUESTED
                }) {
                    c.state = CANCELED.to_string();
                    c.updated = now;
                }
            }
            let h = &org.handshakes[index];
            if to == ACCEPTED && h.action == INVITE {
                if organization_of(s, caller).is_some() {
                    return Err(already_in_organization());
                }
                let name = s
                    .accounts
                    .get(caller)
                    .and_then(|a| a.alias.clone())
                    .unwrap_or_else(|| caller.to_string());
                let email = if h.target_type == "EMAIL" {
                    h.target_id.clone()
                } else {
                    format!("{caller}@warden.invalid")
                };
                let tags = h.tags.clone();
                org.members.push(Member {
                    account: caller.to_string(),
                    name,
                    email,
                    joined_method: "INVITED".to_string(),
                    joined: now,
                });
                crate::orgs::org_policies::on_new_target(&mut org, caller);
                crate::orgs::org_tags::apply_tags(&mut org, caller, tags)?;
            }
            let h = &mut org.handshakes[index];
            h.state = to.to_string();
            h.updated = now;
            let out = view(&org, &org.handshakes[index], now);
            Ok((vec![Change::Organization(org)], out))
        })
    }

    /// DescribeHandshake: for the recipient and any account of the sending
    /// organization; HandshakeNotFound for anyone else.
    pub fn describe_handshake(&self, id: &str) -> Result<HandshakeView> {
        let s = self.warden.read();
        let now = now_epoch();
        let (org, index) = locate(&s, id).ok_or(CoreError::HandshakeNotFound)?;
        let h = &org.handshakes[index];
        let sender_side = org.members.iter().any(|m| m.account == self.account);
        if (h.account != self.account && !sender_side) || !h.shown_at(now) {
            return Err(CoreError::HandshakeNotFound);
        }
        Ok(view(org, h, now))
    }

    /// ListHandshakesForAccount: the handshakes the calling account
    /// received, oldest first.
    pub fn list_handshakes_for_account(
        &self,
        filter: &HandshakeFilter,
    ) -> Result<Vec<HandshakeView>> {
        filter.check()?;
        let s = self.warden.read();
        let now = now_epoch();
        let mut out: Vec<HandshakeView> = s
            .organizations
            .values()
            .flat_map(|o| o.handshakes.iter().map(move |h| (o, h)))
            .filter(|(_, h)| h.account == self.account && h.shown_at(now) && filter.admits(h))
            .map(|(o, h)| view(o, h, now))
            .collect();
        // Stable on the time alone: `requested` has one-second steps, and two
        // handshakes sent in the same second keep their organization's send
        // order (their ids are random, so ordering by id shuffled them).
        out.sort_by_key(|v| v.handshake.requested);
        Ok(out)
    }

    /// ListHandshakesForOrganization (management account or a delegated
    /// administrator): the handshakes the organization sent, in order.
    pub fn list_handshakes_for_organization(
        &self,
        filter: &HandshakeFilter,
    ) -> Result<Vec<HandshakeView>> {
        filter.check()?;
        let org = self.readable_org()?;
        let now = now_epoch();
        Ok(org
            .handshakes
            .iter()
            .filter(|h| h.shown_at(now) && filter.admits(h))
            .map(|h| view(&org, h, now))
            .collect())
    }

    /// EnableAllFeatures (management account only): the request to the
    /// management account, and an approval asked of every invited member.
    pub fn enable_all_features(&self) -> Result<HandshakeView> {
        let now = now_epoch();
        self.edit_org(|org| {
            if org.feature_set == "ALL" {
                return Err(CoreError::HandshakeConstraintViolation {
                    reason: "ORGANIZATION_ALREADY_HAS_ALL_FEATURES",
                    message: "The handshake request is invalid because the organization has already enabled all features."
                        .to_string(),
                });
            }
            if migrating(org, now) {
                return Err(CoreError::HandshakeConstraintViolation {
                    reason: "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION",
                    message: "The handshake request is invalid because the organization has already started the process to enable all features."
                        .to_string(),
                });
            }
            let asked = |account: &str, parent: Option<String>| Handshake {
                id: format!("h-{}", random_lower(10)),
                action: ENABLE_ALL_FEATURES.to_string(),
                state: REQUESTED.to_string(),
                target_type: "ACCOUNT".to_string(),
                target_id: account.to_string(),
                account: account.to_string(),
                notes: None,
                tags: Vec::new(),
                requested: now,
                expires: now + FEATURES_EXPIRY_SECONDS,
                updated: now,
                parent,
            };
            let request = asked(&org.management_account, None);
            let approvals: Vec<Handshake> = org
                .members
                .iter()
                .filter(|m| {
                    m.joined_method == "INVITED"
                        && m.account != org.management_account
                        && !org.closed_accounts.contains_key(&m.account)
                })
                .map(|m| asked(&m.account, Some(request.id.clone())))
                .collect();
            org.handshakes.push(request.clone());
            org.handshakes.extend(approvals);
            Ok(view(org, &request, now))
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
    const OTHER: &str = "222222222222";

    fn setup() -> Warden {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        crate::iam::account::ensure_account(&w, OTHER).unwrap();
        w.orgs(MGMT).create_organization(None).unwrap();
        w
    }

    #[test]
    fn an_invitation_past_fifteen_days_is_expired_and_can_no_longer_be_accepted() {
        let w = setup();
        let h = w
            .orgs(MGMT)
            .invite_account("ACCOUNT", OTHER, None, Vec::new())
            .unwrap();
        assert_eq!(h.state, REQUESTED);
        assert_eq!(h.handshake.expires - h.handshake.requested, EXPIRY_SECONDS);
        // Age the stored invitation by 15 days.
        w.orgs(MGMT)
            .edit_org(|org| {
                let h = &mut org.handshakes[0];
                h.requested -= EXPIRY_SECONDS;
                h.expires -= EXPIRY_SECONDS;
                h.updated -= EXPIRY_SECONDS;
                Ok(())
            })
            .unwrap();
        let seen = w.orgs(OTHER).describe_handshake(&h.handshake.id).unwrap();
        assert_eq!(seen.state, EXPIRED);
        assert!(matches!(
            w.orgs(OTHER).accept_handshake(&h.handshake.id),
            Err(CoreError::InvalidHandshakeTransition)
        ));
        // An expired invitation does not block a new one.
        w.orgs(MGMT)
            .invite_account("ACCOUNT", OTHER, None, Vec::new())
            .unwrap();
        // Thirty days after expiring it is no longer shown.
        w.orgs(MGMT)
            .edit_org(|org| {
                org.handshakes[0].expires -= SHOWN_SECONDS;
                Ok(())
            })
            .unwrap();
        assert!(matches!(
            w.orgs(OTHER).describe_handshake(&h.handshake.id),
            Err(CoreError::HandshakeNotFound)
        ));
        let listed = w
            .orgs(OTHER)
            .list_handshakes_for_account(&HandshakeFilter::default())
            .unwrap();
        assert_eq!(listed.len(), 1);
    }

    #[test]
    fn handshakes_sent_in_the_same_second_are_listed_in_the_order_sent() {
        let w = setup();
        let mut sent = Vec::new();
        for _ in 0..6 {
            let h = w
                .orgs(MGMT)
                .invite_account("ACCOUNT", OTHER, None, Vec::new())
                .unwrap();
            w.orgs(MGMT).cancel_handshake(&h.handshake.id).unwrap();
            sent.push(h.handshake.id);
        }
        // One second for all of them, and ids in the reverse of the sent order: listing by id
        // would reverse them.
        w.orgs(MGMT)
            .edit_org(|org| {
                let n = org.handshakes.len();
                for (i, h) in org.handshakes.iter_mut().enumerate() {
                    h.requested = 1_800_000_000;
                    h.expires = h.requested + EXPIRY_SECONDS;
                    h.id = format!("h-{:010}", n - i);
                }
                Ok(())
            })
            .unwrap();
        let listed: Vec<String> = w
            .orgs(OTHER)
            .list_handshakes_for_account(&HandshakeFilter::default())
            .unwrap()
            .into_iter()
            .map(|v| v.handshake.id)
            .collect();
        let expected: Vec<String> = (1..=6).rev().map(|i| format!("h-{i:010}")).collect();
        assert_eq!(listed, expected);
    }

    #[test]
    fn invitations_per_day_are_limited() {
        let w = setup();
        for i in 0..INVITES_PER_DAY {
            let account = format!("3333333333{i:02}");
            crate::iam::account::ensure_account(&w, &account).unwrap();
            w.orgs(MGMT)
                .invite_account("ACCOUNT", &account, None, Vec::new())
                .unwrap();
        }
        assert!(matches!(
            w.orgs(MGMT)
                .invite_account("ACCOUNT", OTHER, None, Vec::new()),
            Err(CoreError::HandshakeConstraintViolation {
                reason: "HANDSHAKE_RATE_LIMIT_EXCEEDED",
                ..
            })
        ));
    }

    #[test]
    fn an_accepted_invitation_makes_a_member_under_the_root() {
        let w = setup();
        let h = w
            .orgs(MGMT)
            .invite_account(
                "EMAIL",
                &format!("{OTHER}@warden.invalid"),
                None,
                Vec::new(),
            )
            .unwrap();
        assert_eq!(h.handshake.account, OTHER);
        let accepted = w.orgs(OTHER).accept_handshake(&h.handshake.id).unwrap();
        assert_eq!(accepted.state, ACCEPTED);
        let org = w.orgs(OTHER).describe_organization().unwrap();
        let member = org.members.iter().find(|m| m.account == OTHER).unwrap();
        assert_eq!(member.joined_method, "INVITED");
        assert_eq!(org.parent_of_account(OTHER), org.root_id());
        assert!(matches!(
            w.orgs(OTHER).accept_handshake(&h.handshake.id),
            Err(CoreError::HandshakeAlreadyInState)
        ));
        assert!(matches!(
            w.orgs(MGMT).cancel_handshake(&h.handshake.id),
            Err(CoreError::InvalidHandshakeTransition)
        ));
    }

    #[test]
    fn enabling_all_features_waits_for_every_invited_member_then_the_management_account() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        crate::iam::account::ensure_account(&w, OTHER).unwrap();
        w.orgs(MGMT)
            .create_organization(Some("CONSOLIDATED_BILLING"))
            .unwrap();
        // A created member is asked nothing; the invited one is.
        w.orgs(MGMT)
            .create_member_account("m", "m@example.com", None, Vec::new())
            .unwrap();
        let invite = w
            .orgs(MGMT)
            .invite_account("ACCOUNT", OTHER, None, Vec::new())
            .unwrap();
        w.orgs(OTHER)
            .accept_handshake(&invite.handshake.id)
            .unwrap();

        let request = w.orgs(MGMT).enable_all_features().unwrap();
        assert_eq!(request.state, REQUESTED);
        assert!(matches!(
            w.orgs(MGMT).enable_all_features(),
            Err(CoreError::HandshakeConstraintViolation {
                reason: "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION",
                ..
            })
        ));
        let third = "333333333333";
        crate::iam::account::ensure_account(&w, third).unwrap();
        assert!(matches!(
            w.orgs(MGMT)
                .invite_account("ACCOUNT", third, None, Vec::new()),
            Err(CoreError::HandshakeConstraintViolation {
                reason: "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES",
                ..
            })
        ));
        // Not yet OPEN: the management account cannot finalize.
        assert!(matches!(
            w.orgs(MGMT).accept_handshake(&request.handshake.id),
            Err(CoreError::InvalidHandshakeTransition)
        ));
        let filter = HandshakeFilter {
            parent_handshake_id: Some(request.handshake.id.clone()),
            ..HandshakeFilter::default()
        };
        let asked = w.orgs(OTHER).list_handshakes_for_account(&filter).unwrap();
        assert_eq!(asked.len(), 1);
        assert_eq!(
            w.orgs(MGMT)
                .list_handshakes_for_organization(&filter)
                .unwrap()
                .len(),
            1
        );
        w.orgs(OTHER)
            .accept_handshake(&asked[0].handshake.id)
            .unwrap();
        let open = w
            .orgs(MGMT)
            .describe_handshake(&request.handshake.id)
            .unwrap();
        assert_eq!(open.state, OPEN);
        let done = w
            .orgs(MGMT)
            .accept_handshake(&request.handshake.id)
            .unwrap();
        assert_eq!(done.state, ACCEPTED);
        assert_eq!(
            w.orgs(MGMT).describe_organization().unwrap().feature_set,
            "ALL"
        );
        // Inviting works again.
        w.orgs(MGMT)
            .invite_account("ACCOUNT", third, None, Vec::new())
            .unwrap();
    }

    #[test]
    fn canceling_the_request_to_enable_all_features_cancels_its_approvals() {
        let w = Warden::in_memory_for_tests(MGMT).unwrap();
        crate::iam::account::ensure_account(&w, OTHER).unwrap();
        w.orgs(MGMT)
            .create_organization(Some("CONSOLIDATED_BILLING"))
            .unwrap();
        let invite = w
            .orgs(MGMT)
            .invite_account("ACCOUNT", OTHER, None, Vec::new())
            .unwrap();
        w.orgs(OTHER)
            .accept_handshake(&invite.handshake.id)
            .unwrap();
        let request = w.orgs(MGMT).enable_all_features().unwrap();
        let canceled = w
            .orgs(MGMT)
            .cancel_handshake(&request.handshake.id)
            .unwrap();
        assert_eq!(canceled.state, CANCELED);
        let asked = w
            .orgs(OTHER)
            .list_handshakes_for_account(&HandshakeFilter {
                action_type: Some(ENABLE_ALL_FEATURES.to_string()),
                ..HandshakeFilter::default()
            })
            .unwrap();
        assert_eq!(asked[0].state, CANCELED);
        assert_eq!(
            w.orgs(MGMT).describe_organization().unwrap().feature_set,
            "CONSOLIDATED_BILLING"
        );
        // A new request may be made.
        w.orgs(MGMT).enable_all_features().unwrap();
    }

    #[test]
    fn a_handshake_resolves_to_its_arn_for_its_parties_only() {
        let w = setup();
        let h = w
            .orgs(MGMT)
            .invite_account("ACCOUNT", OTHER, None, Vec::new())
            .unwrap();
        let s = w.read();
        let arn = |caller: &str| {
            crate::orgs::org_arns::org_resource_arn(
                &s,
                caller,
                crate::authz::actions::OrgKind::Handshake,
                &h.handshake.id,
            )
        };
        assert_eq!(arn(OTHER), Some(h.arn()));
        assert_eq!(arn(MGMT), Some(h.arn()));
        assert_eq!(arn("444444444444"), None);
    }
}
