"""Handshakes: inviting standalone accounts into an organization (InviteAccountToOrganization,
AcceptHandshake, DeclineHandshake, CancelHandshake, DescribeHandshake, ListHandshakesForAccount,
ListHandshakesForOrganization), EnableAllFeatures, and CloseAccount.

A standalone account in warden is one that left (or was removed from) an organization, as in
test_organizations_leave.py: it is created with CreateAccount, its administrator session
(OrganizationAccountAccessRole, which trusts the management account) is taken, and it is removed.

Sources of the expected answers (AWS, not warden):
* botocore's Organizations model (crates/warden-wire/models/organizations-2016-11-28.json): the
  shapes (Handshake, HandshakeParty, HandshakeResource, HandshakeFilter), the states
  (REQUESTED, OPEN, CANCELED, ACCEPTED, DECLINED, EXPIRED), the id pattern ^h-[0-9a-z]{8,32}$, which
  errors each call raises, and the documented texts warden answers with: HandshakeNotFoundException
  "We can't find a handshake with the HandshakeId that you specified.",
  InvalidHandshakeTransitionException "You can't perform the operation on the handshake in its
  current state.", HandshakeAlreadyInStateException "The specified handshake is already in the
  requested state.", DuplicateHandshakeException "A handshake with the same action and target
  already exists.", the HandshakeConstraintViolationException reasons ALREADY_IN_AN_ORGANIZATION and
  ORGANIZATION_ALREADY_HAS_ALL_FEATURES with their documented sentences, the InvalidInputException
  reasons INVALID_PARTY_TYPE_TARGET, INVALID_EMAIL_ADDRESS_TARGET and MAX_FILTER_LIMIT_EXCEEDED
  (HandshakeFilter: "If you specify ActionType, you cannot also specify ParentHandshakeId"), and
  the ConstraintViolationException reason CANNOT_CLOSE_MANAGEMENT_ACCOUNT. No recording of these
  handshake answers exists in moto's or LocalStack's suites (moto does not implement handshakes),
  so the messages are the model's documentation sentences, not recorded wire texts.
* The handshake ARN form arn:aws:organizations::MGMT:handshake/o-ORG/invite/h-ID (Service
  Authorization Reference, AWS Organizations resource types), the 15-day expiry of invitations
  (Organizations User Guide, orgs_manage_accounts_invite-account), and the parties/resources of an
  invitation (the AWS CLI reference's invite-account-to-organization example: the ORGANIZATION
  party and the target; an ORGANIZATION resource holding MASTER_EMAIL, MASTER_NAME and
  ORGANIZATION_FEATURE_SET, the target, and NOTES).
* CloseAccount: moto's tests written against AWS, tests/test_organizations/test_organizations.py
  test_close_account (empty answer), test_close_account_puts_account_in_suspended_status
  (Status SUSPENDED, then AccountAlreadyClosedException "The provided account is already
  closed."), test_close_account_id_not_in_org_raises_exception (AccountNotFoundException "You
  specified an account that doesn't exist."); the API reference: PENDING_CLOSURE while closing,
  then SUSPENDED.
"""

from __future__ import annotations

import re
import time

import pytest
from e2e_util import (
    ACCOUNT_ID,
    FAKETIME_LIB,
    _frozen_time,
    assert_cli_error,
    create_user_with_key,
    creds_of,
    grant,
    make_client,
    new_organization,
    policy_doc,
    raises_aws,
    restart_clock_ahead,
    run_aws,
    unique,
)

MGMT = ACCOUNT_ID
SCP = "SERVICE_CONTROL_POLICY"
OAAR = "OrganizationAccountAccessRole"
NO_PERMS = "You don't have permissions to access this resource."
NOT_FOUND = "We can't find a handshake with the HandshakeId that you specified."
BAD_TRANSITION = "You can't perform the operation on the handshake in its current state."
ALREADY_IN_STATE = "The specified handshake is already in the requested state."
DUPLICATE = "A handshake with the same action and target already exists."
ALREADY_MEMBER = "The handshake request is invalid because the invited account is already a member of an organization."
UNKNOWN_EMAIL = "You specified an invalid email address for the invited account owner."
WRONG_PARTY = "You specified the wrong type of entity (account, organization, or email) as a party."
ONE_FILTER = "You can specify only one filter parameter for the operation."
NO_ACCOUNT = "You specified an account that doesn't exist."
FIFTEEN_DAYS = 15 * 24 * 3600


def standalone(w, wd: dict, name: str = "Standalone") -> tuple[str, object]:
    """A standalone account and its administrator's session: created in the organization, its
    OrganizationAccountAccessRole session taken, then removed from the organization."""
    orgs = wd["orgs"]
    st = orgs.create_account(Email=f"{unique(name)}@example.com", AccountName=name)["CreateAccountStatus"]
    account = st["AccountId"]
    sts = make_client("sts", w.url, wd["admin_creds"])
    creds = creds_of(sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{OAAR}", RoleSessionName="admin"))
    orgs.remove_account_from_organization(AccountId=account)
    return account, creds


def reason_of(e: dict) -> str | None:
    return e["error"].response.get("Reason")


def test_an_invited_standalone_account_joins_under_the_root_and_scps_and_org_id_then_apply(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, org, root = wd["orgs"], wd["org"], wd["root"]["Id"]
    guest, guest_creds = standalone(w, wd)
    g_orgs = make_client("organizations", w.url, guest_creds)
    g_iam = make_client("iam", w.url, guest_creds)
    g_sts = make_client("sts", w.url, guest_creds)

    # An SCP on the root denying iam:CreateUser, and a role trusting only the organization.
    orgs.enable_policy_type(RootId=root, PolicyType=SCP)
    pid = orgs.create_policy(
        Content=policy_doc({"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}),
        Description="",
        Name="NoUsers",
        Type=SCP,
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=pid, TargetId=root)
    role_arn = w.client("iam").create_role(
        RoleName=unique("org-only"),
        AssumeRolePolicyDocument=policy_doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{guest}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org["Id"]}},
            }
        ),
    )["Role"]["Arn"]
    # Standalone: the SCP does not reach it, and it carries no aws:PrincipalOrgID.
    g_iam.create_user(UserName=unique("before"))
    with raises_aws("AccessDenied", status=403):
        g_sts.assume_role(RoleArn=role_arn, RoleSessionName="outside")

    before = time.time()
    h = orgs.invite_account_to_organization(
        Target={"Type": "ACCOUNT", "Id": guest}, Notes="Join us", Tags=[{"Key": "team", "Value": "blue"}]
    )["Handshake"]
    assert re.fullmatch(r"h-[0-9a-z]{8,32}", h["Id"]), h
    assert h["Arn"] == f"arn:aws:organizations::{MGMT}:handshake/{org['Id']}/invite/{h['Id']}"
    assert h["State"] == "REQUESTED"
    assert h["Action"] == "INVITE"
    assert h["Parties"] == [{"Id": org["Id"], "Type": "ORGANIZATION"}, {"Id": guest, "Type": "ACCOUNT"}]
    assert h["Resources"][0]["Type"] == "ORGANIZATION" and h["Resources"][0]["Value"] == org["Id"]
    nested = {r["Type"]: r["Value"] for r in h["Resources"][0]["Resources"]}
    assert nested["MASTER_EMAIL"] == org["MasterAccountEmail"] and nested["ORGANIZATION_FEATURE_SET"] == "ALL"
    assert h["Resources"][1:] == [{"Type": "ACCOUNT", "Value": guest}, {"Type": "NOTES", "Value": "Join us"}]
    requested = h["RequestedTimestamp"].timestamp()
    assert before - 2 <= requested <= time.time() + 2
    assert h["ExpirationTimestamp"].timestamp() - requested == FIFTEEN_DAYS

    # Both sides see it; the recipient through ListHandshakesForAccount, the sender through
    # ListHandshakesForOrganization (with its filters).
    assert orgs.describe_handshake(HandshakeId=h["Id"])["Handshake"] == h
    assert g_orgs.describe_handshake(HandshakeId=h["Id"])["Handshake"] == h
    assert [x["Id"] for x in g_orgs.list_handshakes_for_account()["Handshakes"]] == [h["Id"]]
    assert [x["Id"] for x in orgs.list_handshakes_for_organization(Filter={"ActionType": "INVITE"})["Handshakes"]] == [
        h["Id"]
    ]
    assert orgs.list_handshakes_for_organization(Filter={"ActionType": "ENABLE_ALL_FEATURES"})["Handshakes"] == []
    assert orgs.list_handshakes_for_organization(Filter={"ParentHandshakeId": h["Id"]})["Handshakes"] == []
    assert orgs.list_handshakes_for_account()["Handshakes"] == []
    with raises_aws("InvalidInputException", ONE_FILTER, 400) as e:
        orgs.list_handshakes_for_organization(Filter={"ActionType": "INVITE", "ParentHandshakeId": h["Id"]})
    assert reason_of(e) == "MAX_FILTER_LIMIT_EXCEEDED"
    # A second open invitation to the same account is a duplicate.
    with raises_aws("DuplicateHandshakeException", DUPLICATE, 400):
        orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": guest})
    # Only the recipient answers; the sender cannot accept its own invitation.
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        orgs.accept_handshake(HandshakeId=h["Id"])

    # Accepted with the aws CLI.
    res = run_aws(w.url, "organizations", "accept-handshake", "--handshake-id", h["Id"], creds=guest_creds)
    assert res.returncode == 0, res.stderr
    accepted = res.json["Handshake"]
    assert accepted["State"] == "ACCEPTED" and accepted["Id"] == h["Id"]
    with raises_aws("HandshakeAlreadyInStateException", ALREADY_IN_STATE, 400):
        g_orgs.accept_handshake(HandshakeId=h["Id"])
    with raises_aws("InvalidHandshakeTransitionException", BAD_TRANSITION, 400):
        orgs.cancel_handshake(HandshakeId=h["Id"])

    # A member now: INVITED, under the root, tagged as the invitation said.
    acct = orgs.describe_account(AccountId=guest)["Account"]
    assert acct["JoinedMethod"] == "INVITED" and acct["Status"] == "ACTIVE", acct
    assert orgs.list_parents(ChildId=guest)["Parents"] == [{"Id": root, "Type": "ROOT"}]
    assert orgs.list_tags_for_resource(ResourceId=guest)["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert g_orgs.describe_organization()["Organization"]["Id"] == org["Id"]
    # The SCP applies and aws:PrincipalOrgID is the organization's: the trust policy admits it.
    with raises_aws("AccessDenied", status=403) as e:
        g_iam.create_user(UserName=unique("after"))
    assert e["message"].endswith("with an explicit deny in a service control policy"), e["message"]
    g_sts.assume_role(RoleArn=role_arn, RoleSessionName="inside")
    # Inviting a member is inviting an account already in an organization.
    with raises_aws("HandshakeConstraintViolationException", ALREADY_MEMBER, 400) as e:
        orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": guest})
    assert reason_of(e) == "ALREADY_IN_AN_ORGANIZATION"


def test_declined_and_canceled_invitations_and_the_refusals_of_each_state(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs = wd["orgs"]
    guest, guest_creds = standalone(w, wd)
    g_orgs = make_client("organizations", w.url, guest_creds)

    # By EMAIL: warden reports a standalone account's email as ACCOUNT@warden.invalid.
    email = f"{guest}@warden.invalid"
    h1 = orgs.invite_account_to_organization(Target={"Type": "EMAIL", "Id": email})["Handshake"]
    assert h1["Parties"][1] == {"Id": email, "Type": "EMAIL"}
    # Authorized on the handshake's ARN: a user allowed to decline another handshake is refused,
    # and allowed once its policy names this one.
    g_iam = make_client("iam", w.url, guest_creds)
    g_user, g_key = create_user_with_key(g_iam, unique("decliner"))
    other_arn = h1["Arn"].rsplit("/", 1)[0] + "/h-zzzzzzzzzz"
    g_iam.put_user_policy(
        UserName=g_user["UserName"],
        PolicyName="one",
        PolicyDocument=policy_doc({"Effect": "Allow", "Action": "organizations:DeclineHandshake", "Resource": other_arn}),
    )
    u_orgs = make_client("organizations", w.url, g_key)
    with raises_aws("AccessDeniedException", status=400) as e:
        u_orgs.decline_handshake(HandshakeId=h1["Id"])
    assert f"organizations:DeclineHandshake on resource: {h1['Arn']}" in e["message"], e["message"]
    g_iam.put_user_policy(
        UserName=g_user["UserName"],
        PolicyName="one",
        PolicyDocument=policy_doc({"Effect": "Allow", "Action": "organizations:DeclineHandshake", "Resource": h1["Arn"]}),
    )
    declined = u_orgs.decline_handshake(HandshakeId=h1["Id"])["Handshake"]
    assert declined["State"] == "DECLINED"
    with raises_aws("HandshakeAlreadyInStateException", ALREADY_IN_STATE, 400):
        g_orgs.decline_handshake(HandshakeId=h1["Id"])
    with raises_aws("InvalidHandshakeTransitionException", BAD_TRANSITION, 400):
        g_orgs.accept_handshake(HandshakeId=h1["Id"])
    res = run_aws(w.url, "organizations", "cancel-handshake", "--handshake-id", h1["Id"])
    assert_cli_error(res, "InvalidHandshakeTransitionException", "CancelHandshake", BAD_TRANSITION)

    # A declined invitation is no longer open: a new one may be sent, and canceled.
    h2 = orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": guest})["Handshake"]
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        g_orgs.cancel_handshake(HandshakeId=h2["Id"])
    assert orgs.cancel_handshake(HandshakeId=h2["Id"])["Handshake"]["State"] == "CANCELED"
    with raises_aws("HandshakeAlreadyInStateException", ALREADY_IN_STATE, 400):
        orgs.cancel_handshake(HandshakeId=h2["Id"])
    with raises_aws("InvalidHandshakeTransitionException", BAD_TRANSITION, 400):
        g_orgs.accept_handshake(HandshakeId=h2["Id"])
    with raises_aws("InvalidHandshakeTransitionException", BAD_TRANSITION, 400):
        g_orgs.decline_handshake(HandshakeId=h2["Id"])
    states = [(x["Id"], x["State"]) for x in g_orgs.list_handshakes_for_account()["Handshakes"]]
    assert states == [(h1["Id"], "DECLINED"), (h2["Id"], "CANCELED")]
    # Pagination over the organization's handshakes.
    page = orgs.list_handshakes_for_organization(MaxResults=1)
    assert [x["Id"] for x in page["Handshakes"]] == [h1["Id"]] and "NextToken" in page
    rest = orgs.list_handshakes_for_organization(NextToken=page["NextToken"])
    assert [x["Id"] for x in rest["Handshakes"]] == [h2["Id"]] and "NextToken" not in rest
    # Still standalone.
    with raises_aws("AWSOrganizationsNotInUseException", status=400):
        g_orgs.describe_organization()

    # Unknown ids and strangers.
    with raises_aws("HandshakeNotFoundException", NOT_FOUND, 400):
        orgs.describe_handshake(HandshakeId="h-0000000000")
    with raises_aws("HandshakeNotFoundException", NOT_FOUND, 400):
        g_orgs.accept_handshake(HandshakeId="h-0000000000")
    res = run_aws(w.url, "organizations", "describe-handshake", "--handshake-id", "h-0000000000")
    assert_cli_error(res, "HandshakeNotFoundException", "DescribeHandshake", NOT_FOUND)


def test_invitations_refused_as_aws_refuses_them(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, member = wd["orgs"], wd["member"]
    # Itself and its members are already in an organization.
    for target in (MGMT, member):
        with raises_aws("HandshakeConstraintViolationException", ALREADY_MEMBER, 400) as e:
            orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": target})
        assert reason_of(e) == "ALREADY_IN_AN_ORGANIZATION"
    with raises_aws("InvalidInputException", UNKNOWN_EMAIL, 400) as e:
        orgs.invite_account_to_organization(Target={"Type": "EMAIL", "Id": "nobody@example.com"})
    assert reason_of(e) == "INVALID_EMAIL_ADDRESS_TARGET"
    for target in ({"Type": "ORGANIZATION", "Id": "o-abcdefghij"}, {"Type": "ACCOUNT", "Id": "me@example.com"}):
        with raises_aws("InvalidInputException", WRONG_PARTY, 400) as e:
            orgs.invite_account_to_organization(Target=target)
        assert reason_of(e) == "INVALID_PARTY_TYPE_TARGET"
    with raises_aws("InvalidInputException", NO_ACCOUNT, 400):
        orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": "999999999999"})
    res = run_aws(
        w.url, "organizations", "invite-account-to-organization", "--target", "Type=EMAIL,Id=nobody@example.com"
    )
    assert_cli_error(res, "InvalidInputException", "InviteAccountToOrganization", UNKNOWN_EMAIL)
    # A member account may not invite.
    sts = make_client("sts", w.url, wd["admin_creds"])
    m_creds = creds_of(sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/{OAAR}", RoleSessionName="member"))
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        make_client("organizations", w.url, m_creds).invite_account_to_organization(
            Target={"Type": "ACCOUNT", "Id": MGMT}
        )
    # All features are already enabled: EnableAllFeatures is refused as AWS refuses it.
    with raises_aws(
        "HandshakeConstraintViolationException",
        "The handshake request is invalid because the organization has already enabled all features.",
        400,
    ) as e:
        orgs.enable_all_features()
    assert reason_of(e) == "ORGANIZATION_ALREADY_HAS_ALL_FEATURES"


def test_inviting_needs_organizations_invite_account_to_organization(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    guest, _ = standalone(w, wd)
    iam = w.client("iam")
    user, creds = create_user_with_key(iam, unique("inviter"))
    u_orgs = make_client("organizations", w.url, creds)
    with raises_aws("AccessDeniedException", status=400) as e:
        u_orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": guest})
    assert e["message"].startswith(
        f"User: {user['Arn']} is not authorized to perform: organizations:InviteAccountToOrganization"
    ), e["message"]
    assert wd["orgs"].list_handshakes_for_organization()["Handshakes"] == []
    # Control: the same request once the action is granted.
    grant(iam, user["UserName"], ["organizations:InviteAccountToOrganization"])
    h = u_orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": guest})["Handshake"]
    assert h["State"] == "REQUESTED"


@pytest.mark.skipif(FAKETIME_LIB is None, reason="needs libfaketime")
def test_handshakes_survive_a_restart_and_an_unanswered_invitation_expires_after_15_days(warden_factory, store):
    w = warden_factory(extra_env=store.env)
    wd = new_organization(w)
    orgs = wd["orgs"]
    guest, guest_creds = standalone(w, wd)
    other, other_creds = standalone(w, wd, "Other")
    open_one = orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": guest})["Handshake"]
    accepted = orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": other})["Handshake"]
    make_client("organizations", w.url, other_creds).accept_handshake(HandshakeId=accepted["Id"])
    # Long-term keys in the invited account: its session would not outlive the clock's jump.
    g_iam = make_client("iam", w.url, guest_creds)
    g_user, g_key = create_user_with_key(g_iam, unique("guest-admin"))
    g_iam.put_user_policy(
        UserName=g_user["UserName"],
        PolicyName="admin",
        PolicyDocument=policy_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )

    w.restart()
    listed = orgs.list_handshakes_for_organization()["Handshakes"]
    assert [(x["Id"], x["State"]) for x in listed] == [(open_one["Id"], "REQUESTED"), (accepted["Id"], "ACCEPTED")]
    assert orgs.describe_account(AccountId=other)["Account"]["JoinedMethod"] == "INVITED"

    later = restart_clock_ahead(w, FIFTEEN_DAYS + 120)
    with _frozen_time(later):
        assert orgs.describe_handshake(HandshakeId=open_one["Id"])["Handshake"]["State"] == "EXPIRED"
        g_orgs = make_client("organizations", w.url, g_key)
        with raises_aws("InvalidHandshakeTransitionException", BAD_TRANSITION, 400):
            g_orgs.accept_handshake(HandshakeId=open_one["Id"])
        # Control: an expired invitation does not block a new one, which can be accepted.
        again = orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": guest})["Handshake"]
        assert again["State"] == "REQUESTED"
        assert g_orgs.accept_handshake(HandshakeId=again["Id"])["Handshake"]["State"] == "ACCEPTED"


# --------------------------------------------------------------------------------------
# CloseAccount
# --------------------------------------------------------------------------------------

CANNOT_CLOSE_MGMT = (
    "You attempted to close the management account. To close the management account for the organization, "
    "you must first either remove or close all member accounts in the organization. Follow standard account "
    "closure process using root credentials."
)


def test_a_closed_account_is_pending_closure_then_suspended_and_its_principals_are_refused(warden_factory, store):
    w = warden_factory(extra_env=store.env)
    wd = new_organization(w)
    orgs, member = wd["orgs"], wd["member"]
    sts = make_client("sts", w.url, wd["admin_creds"])
    m_creds = creds_of(sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/{OAAR}", RoleSessionName="member"))
    m_iam = make_client("iam", w.url, m_creds)
    _, key = create_user_with_key(m_iam, unique("in-member"))
    make_client("sts", w.url, key).get_caller_identity()

    resp = orgs.close_account(AccountId=member)
    del resp["ResponseMetadata"]
    assert resp == {}
    acct = orgs.describe_account(AccountId=member)["Account"]
    assert (acct["Status"], acct["State"]) == ("PENDING_CLOSURE", "PENDING_CLOSURE"), acct
    # Its principals, long-term keys and sessions alike, no longer authenticate.
    for creds in (key, m_creds):
        with raises_aws("InvalidClientTokenId", status=403):
            make_client("sts", w.url, creds).get_caller_identity()
    # Control: the management account's own principals still do, but its roles are out of reach.
    mgmt_sts = make_client("sts", w.url, wd["admin_creds"])
    mgmt_sts.get_caller_identity()
    role_arn = f"arn:aws:iam::{member}:role/{OAAR}"
    with raises_aws("AccessDenied", status=403) as e:
        mgmt_sts.assume_role(RoleArn=role_arn, RoleSessionName="after-close")
    assert e["message"].endswith(f"is not authorized to perform: sts:AssumeRole on resource: {role_arn}"), e["message"]

    time.sleep(6)
    acct = orgs.describe_account(AccountId=member)["Account"]
    assert (acct["Status"], acct["State"]) == ("SUSPENDED", "SUSPENDED"), acct
    listed = {a["Id"]: a["Status"] for a in orgs.list_accounts()["Accounts"]}
    assert listed == {MGMT: "ACTIVE", member: "SUSPENDED"}
    with raises_aws("AccountAlreadyClosedException", "The provided account is already closed.", 400):
        orgs.close_account(AccountId=member)
    res = run_aws(w.url, "organizations", "close-account", "--account-id", member)
    assert_cli_error(res, "AccountAlreadyClosedException", "CloseAccount", "The provided account is already closed.")
    with raises_aws("ConstraintViolationException", CANNOT_CLOSE_MGMT, 400) as e:
        orgs.close_account(AccountId=MGMT)
    assert reason_of(e) == "CANNOT_CLOSE_MANAGEMENT_ACCOUNT"
    with raises_aws("AccountNotFoundException", NO_ACCOUNT, 400):
        orgs.close_account(AccountId="123456789101")

    w.restart()
    assert orgs.describe_account(AccountId=member)["Account"]["Status"] == "SUSPENDED"
    with raises_aws("InvalidClientTokenId", status=403):
        make_client("sts", w.url, key).get_caller_identity()


def test_closing_needs_organizations_close_account_and_an_organization(warden_factory):
    w = warden_factory()
    with raises_aws("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.", 400):
        w.client("organizations").close_account(AccountId="111111111112")
    wd = new_organization(w)
    iam = w.client("iam")
    user, creds = create_user_with_key(iam, unique("closer"))
    u_orgs = make_client("organizations", w.url, creds)
    with raises_aws("AccessDeniedException", status=400) as e:
        u_orgs.close_account(AccountId=wd["member"])
    assert "organizations:CloseAccount" in e["message"], e["message"]
    grant(iam, user["UserName"], ["organizations:CloseAccount"])
    u_orgs.close_account(AccountId=wd["member"])
    assert wd["orgs"].describe_account(AccountId=wd["member"])["Account"]["Status"] in ("PENDING_CLOSURE", "SUSPENDED")


# --------------------------------------------------------------------------------------
# EnableAllFeatures, in an organization made with consolidated billing only
# --------------------------------------------------------------------------------------

NOT_ALL_FEATURES = (
    "You attempted to perform an operation that requires the organization to be configured to support all "
    "features. An organization that supports only consolidated billing features can't perform this operation."
)


def test_enabling_all_features_asks_invited_members_then_the_management_account_finalizes(warden_factory):
    """A CONSOLIDATED_BILLING organization: EnableAllFeatures answers a REQUESTED ENABLE_ALL_FEATURES
    handshake and asks each invited member (not created ones) to approve it with a child handshake
    (PARENT_HANDSHAKE resource, ParentHandshakeId filter); once all approve, the request is OPEN
    and the management account accepting it enables all features."""
    w = warden_factory()
    orgs = w.client("organizations")
    org = orgs.create_organization(FeatureSet="CONSOLIDATED_BILLING")["Organization"]
    assert org["FeatureSet"] == "CONSOLIDATED_BILLING"
    iam = w.client("iam")
    admin, admin_creds = create_user_with_key(iam, unique("mgmt-admin"))
    iam.put_user_policy(
        UserName=admin["UserName"],
        PolicyName="admin",
        PolicyDocument=policy_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )
    wd = {"orgs": orgs, "org": org, "admin_creds": admin_creds}
    guest, guest_creds = standalone(w, wd)
    created = orgs.create_account(Email=f"{unique('c')}@example.com", AccountName="Created")["CreateAccountStatus"][
        "AccountId"
    ]
    h = orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": guest})["Handshake"]
    g_orgs = make_client("organizations", w.url, guest_creds)
    g_orgs.accept_handshake(HandshakeId=h["Id"])
    # What needs all features is refused meanwhile.
    with raises_aws("ConstraintViolationException", NOT_ALL_FEATURES, 400) as e:
        orgs.close_account(AccountId=created)
    assert reason_of(e) == "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE"

    request = orgs.enable_all_features()["Handshake"]
    assert request["Action"] == "ENABLE_ALL_FEATURES" and request["State"] == "REQUESTED", request
    assert request["Arn"] == f"arn:aws:organizations::{MGMT}:handshake/{org['Id']}/enable_all_features/{request['Id']}"
    with raises_aws("HandshakeConstraintViolationException", status=400) as e:
        orgs.enable_all_features()
    assert reason_of(e) == "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION"
    with raises_aws("InvalidHandshakeTransitionException", BAD_TRANSITION, 400):
        orgs.accept_handshake(HandshakeId=request["Id"])
    children = orgs.list_handshakes_for_organization(Filter={"ParentHandshakeId": request["Id"]})["Handshakes"]
    assert [c["Parties"][1]["Id"] for c in children] == [guest]
    asked = g_orgs.list_handshakes_for_account(Filter={"ActionType": "ENABLE_ALL_FEATURES"})["Handshakes"]
    assert [c["Id"] for c in asked] == [children[0]["Id"]]
    assert {"Type": "PARENT_HANDSHAKE", "Value": request["Id"]} in asked[0]["Resources"]
    g_orgs.accept_handshake(HandshakeId=asked[0]["Id"])

    assert orgs.describe_handshake(HandshakeId=request["Id"])["Handshake"]["State"] == "OPEN"
    res = run_aws(w.url, "organizations", "accept-handshake", "--handshake-id", request["Id"])
    assert res.returncode == 0, res.stderr
    assert res.json["Handshake"]["State"] == "ACCEPTED"
    assert orgs.describe_organization()["Organization"]["FeatureSet"] == "ALL"
    # Control: what needed all features now works.
    orgs.close_account(AccountId=created)
    with raises_aws("HandshakeConstraintViolationException", status=400) as e:
        orgs.enable_all_features()
    assert reason_of(e) == "ORGANIZATION_ALREADY_HAS_ALL_FEATURES"
