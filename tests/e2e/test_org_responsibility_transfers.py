"""Responsibility (billing) transfers between two organizations: InviteOrganizationToTransferResponsibility,
AcceptHandshake/DeclineHandshake/CancelHandshake on its TRANSFER_RESPONSIBILITY handshake,
DescribeResponsibilityTransfer, ListInbound/ListOutboundResponsibilityTransfers,
UpdateResponsibilityTransfer and TerminateResponsibilityTransfer.

The second organization is made by a standalone account (created in the first organization,
its OrganizationAccountAccessRole session taken, then removed, as in test_org_handshakes.py) that
creates its own.

Sources of the expected answers: no recording exists (moto and LocalStack do not implement these
calls), so shapes and texts come from botocore's Organizations model
(crates/warden-wire/models/organizations-2016-11-28.json): the ResponsibilityTransfer and
TransferParticipant shapes, the ARN pattern
arn:aws:organizations::ACCOUNT:transfer/o-ORG/billing/(inbound|outbound)/rt-ID, the statuses, the
exception documentation sentences (ResponsibilityTransferNotFoundException "We can't find a
transfer that you specified.", ResponsibilityTransferAlreadyInStatusException,
InvalidResponsibilityTransferTransitionException), and the reasons with their sentences:
HandshakeConstraintViolationException SOURCE_AND_TARGET_CANNOT_MATCH and
TARGET_ACCOUNT_VALIDATION_FAILURE, InvalidInputException START_DATE_NOT_BEGINNING_OF_MONTH /
START_DATE_TOO_EARLY / END_DATE_NOT_END_OF_MONTH, ConstraintViolationException
TRANSFER_RESPONSIBILITY_UPDATE_NOT_ALLOWED. Which reason answers which case (for instance that an
account managing no organization gets TARGET_ACCOUNT_VALIDATION_FAILURE) is warden's reading.
"""

from __future__ import annotations

import datetime as dt
import re

from e2e_util import (
    ACCOUNT_ID,
    assert_cli_error,
    create_user_with_key,
    creds_of,
    grant,
    make_client,
    new_organization,
    raises_aws,
    run_aws,
    unique,
)

MGMT = ACCOUNT_ID
OAAR = "OrganizationAccountAccessRole"
NOT_FOUND = "We can't find a transfer that you specified."
ALREADY = "The responsibility transfer is already in the status that you specified."
BAD_TRANSITION = (
    "The responsibility transfer can't transition to the requested state because it's not in a valid state "
    "for this operation."
)
NO_PERMS = "You don't have permissions to access this resource."
RT_ID_RE = re.compile(r"^rt-[0-9a-z]{8,32}$")


def next_month_start() -> dt.datetime:
    now = dt.datetime.now(dt.timezone.utc)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return dt.datetime(year, month, 1, tzinfo=dt.timezone.utc)


def end_of_next_month() -> dt.datetime:
    start = next_month_start()
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return dt.datetime(year, month, 1, tzinfo=dt.timezone.utc) - dt.timedelta(seconds=1)


def two_organizations(w) -> dict:
    wd = new_organization(w)
    orgs = wd["orgs"]
    st = orgs.create_account(Email=f"{unique('other')}@example.com", AccountName="Other")["CreateAccountStatus"]
    other = st["AccountId"]
    sts = make_client("sts", w.url, wd["admin_creds"])
    creds = creds_of(sts.assume_role(RoleArn=f"arn:aws:iam::{other}:role/{OAAR}", RoleSessionName="admin"))
    orgs.remove_account_from_organization(AccountId=other)
    o_orgs = make_client("organizations", w.url, creds)
    other_org = o_orgs.create_organization(FeatureSet="ALL")["Organization"]
    return {**wd, "other": other, "o_orgs": o_orgs, "other_org": other_org, "other_creds": creds}


def invite(orgs, target: str, name: str = "billing", start: dt.datetime | None = None) -> dict:
    return orgs.invite_organization_to_transfer_responsibility(
        Type="BILLING",
        Target={"Type": "ACCOUNT", "Id": target},
        StartTimestamp=start or next_month_start(),
        SourceName=name,
        Notes="please",
    )["Handshake"]


def resource(h: dict, type_: str) -> str:
    return next(r["Value"] for r in h["Resources"] if r["Type"] == type_)


def test_an_accepted_transfer_shows_on_both_sides_and_ends_withdrawn(warden_factory):
    w = warden_factory()
    d = two_organizations(w)
    orgs, o_orgs, other = d["orgs"], d["o_orgs"], d["other"]
    h = invite(orgs, other)
    assert h["Action"] == "TRANSFER_RESPONSIBILITY" and h["State"] == "REQUESTED"
    assert h["Arn"].startswith(f"arn:aws:organizations::{MGMT}:handshake/{d['org']['Id']}/transfer_responsibility/h-")
    rt = resource(h, "RESPONSIBILITY_TRANSFER")
    assert RT_ID_RE.match(rt), rt
    assert resource(h, "TRANSFER_TYPE") == "BILLING"
    assert [r["Type"] for r in h["Resources"]].count("RESPONSIBILITY_TRANSFER") == 1
    # The recipient sees the same terms on the handshake it received.
    received = o_orgs.describe_handshake(HandshakeId=h["Id"])["Handshake"]
    assert resource(received, "RESPONSIBILITY_TRANSFER") == rt
    assert [x["Id"] for x in o_orgs.list_handshakes_for_account()["Handshakes"]] == [h["Id"]]

    # The inviter manages the other organization's billing: inbound for it, outbound for the other.
    inbound = orgs.list_inbound_responsibility_transfers(Type="BILLING")["ResponsibilityTransfers"]
    assert [t["Id"] for t in inbound] == [rt]
    t = inbound[0]
    assert t["Arn"] == f"arn:aws:organizations::{MGMT}:transfer/{d['org']['Id']}/billing/inbound/{rt}"
    assert (t["Status"], t["Type"], t["Name"], t["ActiveHandshakeId"]) == ("REQUESTED", "BILLING", "billing", h["Id"])
    assert t["Source"]["ManagementAccountId"] == other and t["Target"]["ManagementAccountId"] == MGMT
    assert t["StartTimestamp"] == next_month_start()
    out = o_orgs.list_outbound_responsibility_transfers(Type="BILLING")["ResponsibilityTransfers"]
    assert [x["Arn"] for x in out] == [
        f"arn:aws:organizations::{other}:transfer/{d['other_org']['Id']}/billing/outbound/{rt}"
    ]
    assert orgs.list_outbound_responsibility_transfers(Type="BILLING")["ResponsibilityTransfers"] == []
    assert o_orgs.list_inbound_responsibility_transfers(Type="BILLING")["ResponsibilityTransfers"] == []

    # Only an accepted transfer can be terminated.
    with raises_aws("InvalidResponsibilityTransferTransitionException", BAD_TRANSITION, 400):
        orgs.terminate_responsibility_transfer(Id=rt)
    o_orgs.accept_handshake(HandshakeId=h["Id"])
    assert orgs.describe_responsibility_transfer(Id=rt)["ResponsibilityTransfer"]["Status"] == "ACCEPTED"
    # Accepting joins nobody: the other account still manages its own organization.
    assert o_orgs.describe_organization()["Organization"]["MasterAccountId"] == other
    # While the transfer lives, neither organization can be deleted.
    with raises_aws("ConstraintViolationException", status=400) as e:
        o_orgs.delete_organization()
    assert e["error"].response["Reason"] == "ACTIVE_RESPONSIBILITY_TRANSFER_PROCESS"

    renamed = o_orgs.update_responsibility_transfer(Id=rt, Name="renamed")["ResponsibilityTransfer"]
    assert renamed["Name"] == "renamed"
    res = run_aws(w.url, "organizations", "describe-responsibility-transfer", "--id", rt)
    assert res.returncode == 0, res.stderr
    assert res.json["ResponsibilityTransfer"]["Name"] == "renamed"

    ended = orgs.terminate_responsibility_transfer(Id=rt, EndTimestamp=end_of_next_month())["ResponsibilityTransfer"]
    assert ended["Status"] == "WITHDRAWN" and ended["EndTimestamp"] == end_of_next_month()
    with raises_aws("ResponsibilityTransferAlreadyInStatusException", ALREADY, 400):
        o_orgs.terminate_responsibility_transfer(Id=rt)
    with raises_aws("ConstraintViolationException", status=400) as e:
        orgs.update_responsibility_transfer(Id=rt, Name="late")
    assert e["error"].response["Reason"] == "TRANSFER_RESPONSIBILITY_UPDATE_NOT_ALLOWED"

    # Control: once it ended, the other organization can be deleted.
    o_orgs.delete_organization()
    # It survives a restart.
    w.restart()
    orgs = w.client("organizations")
    again = orgs.describe_responsibility_transfer(Id=rt)["ResponsibilityTransfer"]
    assert (again["Status"], again["Name"], again["EndTimestamp"]) == ("WITHDRAWN", "renamed", end_of_next_month())


def test_declined_and_canceled_invitations_leave_their_status(warden_factory):
    w = warden_factory()
    d = two_organizations(w)
    orgs, o_orgs, other = d["orgs"], d["o_orgs"], d["other"]
    first = invite(orgs, other)
    with raises_aws("DuplicateHandshakeException", status=400):
        invite(orgs, other)
    o_orgs.decline_handshake(HandshakeId=first["Id"])
    rt = resource(first, "RESPONSIBILITY_TRANSFER")
    assert o_orgs.describe_responsibility_transfer(Id=rt)["ResponsibilityTransfer"]["Status"] == "DECLINED"
    with raises_aws("InvalidResponsibilityTransferTransitionException", BAD_TRANSITION, 400):
        o_orgs.terminate_responsibility_transfer(Id=rt)
    second = invite(orgs, other, "second")
    orgs.cancel_handshake(HandshakeId=second["Id"])
    listed = {t["Name"]: t["Status"] for t in orgs.list_inbound_responsibility_transfers(Type="BILLING")["ResponsibilityTransfers"]}
    assert listed == {"billing": "DECLINED", "second": "CANCELED"}
    only = orgs.list_inbound_responsibility_transfers(Type="BILLING", Id=rt)["ResponsibilityTransfers"]
    assert [t["Id"] for t in only] == [rt]


def test_invitations_refused_as_the_model_documents(warden_factory):
    w = warden_factory()
    d = two_organizations(w)
    orgs, other, member = d["orgs"], d["other"], d["member"]
    with raises_aws("HandshakeConstraintViolationException", status=400) as e:
        invite(orgs, MGMT)
    assert e["error"].response["Reason"] == "SOURCE_AND_TARGET_CANNOT_MATCH"
    # A member account manages no organization.
    with raises_aws("HandshakeConstraintViolationException", status=400) as e:
        invite(orgs, member)
    assert e["error"].response["Reason"] == "TARGET_ACCOUNT_VALIDATION_FAILURE"
    start = next_month_start()
    for when, reason in [
        (start + dt.timedelta(days=1), "START_DATE_NOT_BEGINNING_OF_MONTH"),
        (start + dt.timedelta(hours=1), "START_DATE_NOT_BEGINNING_OF_DAY"),
        (dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), "START_DATE_TOO_EARLY"),
    ]:
        with raises_aws("InvalidInputException", status=400) as e:
            invite(orgs, other, start=when)
        assert e["error"].response["Reason"] == reason
    with raises_aws("InvalidInputException", "You specified an invalid value.", 400):
        orgs.invite_organization_to_transfer_responsibility(
            Type="SUPPORT", Target={"Type": "ACCOUNT", "Id": other},
            StartTimestamp=start, SourceName="x",
        )
    res = run_aws(
        w.url, "organizations", "invite-organization-to-transfer-responsibility", "--type", "BILLING",
        "--target", f"Type=ACCOUNT,Id={MGMT}", "--start-timestamp", start.isoformat(), "--source-name", "x",
    )
    assert_cli_error(res, "HandshakeConstraintViolationException", "InviteOrganizationToTransferResponsibility")
    # Unknown transfers, and transfers of others, are not found; the end must close a month.
    with raises_aws("ResponsibilityTransferNotFoundException", NOT_FOUND, 400):
        orgs.describe_responsibility_transfer(Id="rt-0000000000")
    with raises_aws("ResponsibilityTransferNotFoundException", NOT_FOUND, 400):
        orgs.list_inbound_responsibility_transfers(Type="BILLING", Id="rt-0000000000")
    h = invite(orgs, other)
    d["o_orgs"].accept_handshake(HandshakeId=h["Id"])
    rt = resource(h, "RESPONSIBILITY_TRANSFER")
    with raises_aws("InvalidInputException", status=400) as e:
        orgs.terminate_responsibility_transfer(Id=rt, EndTimestamp=end_of_next_month() - dt.timedelta(days=1))
    assert e["error"].response["Reason"] == "END_DATE_NOT_END_OF_MONTH"
    # A member of either organization is refused; nobody else sees it.
    sts = make_client("sts", w.url, d["admin_creds"])
    m_creds = creds_of(sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/{OAAR}", RoleSessionName="member"))
    with raises_aws("AccessDeniedException", NO_PERMS, 400):
        make_client("organizations", w.url, m_creds).describe_responsibility_transfer(Id=rt)


def test_reading_a_transfer_needs_the_action(warden_factory):
    w = warden_factory()
    d = two_organizations(w)
    orgs = d["orgs"]
    rt = resource(invite(orgs, d["other"]), "RESPONSIBILITY_TRANSFER")
    iam = w.client("iam")
    user, creds = create_user_with_key(iam, unique("reader"))
    u_orgs = make_client("organizations", w.url, creds)
    with raises_aws("AccessDeniedException", status=400) as e:
        u_orgs.describe_responsibility_transfer(Id=rt)
    assert e["message"].startswith(
        f"User: {user['Arn']} is not authorized to perform: organizations:DescribeResponsibilityTransfer"
    ), e["message"]
    # Control: the same request once the action is granted.
    grant(iam, user["UserName"], ["organizations:DescribeResponsibilityTransfer"])
    assert u_orgs.describe_responsibility_transfer(Id=rt)["ResponsibilityTransfer"]["Id"] == rt
