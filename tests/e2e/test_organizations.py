"""AWS Organizations (JSON 1.1) and cross-account access through role trust policies.

The scenario of issue #5: an administrator of the management account creates a member account,
assumes OrganizationAccountAccessRole in it, creates there a role that trusts a management-account
user with an ExternalId; that user assumes it (denied without the ExternalId, allowed with it),
chains into a second role, narrows the session with session policies, and session tags drive an
ABAC condition; aws:PrincipalOrgID / aws:ResourceOrgID are filled in.

Sources of the expected answers (AWS, not warden):
* botocore's Organizations model (shapes of Organization, Account, CreateAccountStatus; the
  CreateAccountStatus states and FailureReason EMAIL_ALREADY_EXISTS; id patterns o-..., car-...).
* AWS Organizations User Guide, orgs_manage_accounts_access-cross-account-role: a created member
  account gets OrganizationAccountAccessRole, full administrator permissions, trusting the
  management account; member accounts cannot list or create accounts.
* AWS error texts quoted verbatim in public issues and tools: AWSOrganizationsNotInUseException
  "Your account is not a member of an organization." (aws organizations describe-organization on
  an account outside any organization); AccessDeniedException "You don't have permissions to
  access this resource." (ListAccounts called from a member account,
  aws-samples/aws-iam-access-key-auto-rotation#10); AccountNotFoundException "You specified an
  account that doesn't exist.".
* IAM User Guide, reference_policies_evaluation-logic-cross-account: across accounts both the
  caller's identity policy and the role's trust policy must allow; the AssumeRole denial text is
  "User: ARN is not authorized to perform: sts:AssumeRole on resource: ROLE_ARN"
  (aws-wire-facts.md).
"""

from __future__ import annotations

import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from e2e_util import (
    ACCOUNT_ID,
    Creds,
    assert_cli_error,
    create_user_with_key,
    creds_of,
    make_client,
    raises_aws,
    unique,
)

ORG_ID_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
CAR_ID_RE = re.compile(r"^car-[a-z0-9]{8,32}$")
ACCOUNT_RE = re.compile(r"^\d{12}$")
MGMT = ACCOUNT_ID
NOT_IN_USE = "Your account is not a member of an organization."
NO_PERMS = "You don't have permissions to access this resource."
OAAR = "OrganizationAccountAccessRole"
CHAINING = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", condition=None) -> dict:
    st = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        st["Condition"] = condition
    return st


def trust(principal, action="sts:AssumeRole", condition=None) -> dict:
    if isinstance(principal, str):
        principal = {"AWS": principal}
    st = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        st["Condition"] = condition
    return st


def client(server, service: str, creds: Creds):
    return make_client(service, server.url, creds)


def session_arn(account: str, role: str, session: str) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role}/{session}"


def assume_denied(caller_arn: str, role_arn: str) -> str:
    return f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


def wait_account(orgs, request_id: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        st = orgs.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]
        assert st["State"] in ("IN_PROGRESS", "SUCCEEDED", "FAILED"), st
        if st["State"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return st
        time.sleep(0.2)


_ORG: dict = {}


def org_world(server, iam) -> dict:
    """Management admin, organization and one member account, built once per module.

    Called from inside the tests (not a fixture) so that a failure to set up is reported against
    each test that needed it."""
    if _ORG.get("url") == server.url:
        return _ORG
    admin, admin_creds = create_user_with_key(iam, unique("org-admin"))
    iam.put_user_policy(UserName=admin["UserName"], PolicyName="admin", PolicyDocument=policy(allow("*")))
    orgs = client(server, "organizations", admin_creds)
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    email = f"{unique('member')}@example.com"
    started = orgs.create_account(Email=email, AccountName="Member One")["CreateAccountStatus"]
    st = wait_account(orgs, started["Id"])
    assert st["State"] == "SUCCEEDED", st
    _ORG.clear()
    _ORG.update(
        url=server.url,
        admin=admin,
        admin_creds=admin_creds,
        orgs=orgs,
        org=org,
        member=st["AccountId"],
        member_email=email,
        started=started,
        status=st,
    )
    return _ORG


def member_admin(server, world: dict, session: str = "admin") -> Creds:
    sts = client(server, "sts", world["admin_creds"])
    r = sts.assume_role(RoleArn=f"arn:aws:iam::{world['member']}:role/{OAAR}", RoleSessionName=session)
    return creds_of(r)


# --------------------------------------------------------------------------------------
# Organization lifecycle on a fresh server
# --------------------------------------------------------------------------------------


def test_organization_lifecycle_fresh_server(warden_factory):
    w = warden_factory()
    orgs = w.client("organizations")
    with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
        orgs.describe_organization()
    with raises_aws("AWSOrganizationsNotInUseException", NOT_IN_USE, 400):
        orgs.list_accounts()

    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    assert ORG_ID_RE.match(org["Id"]), org["Id"]
    assert org["Arn"] == f"arn:aws:organizations::{MGMT}:organization/{org['Id']}"
    assert org["FeatureSet"] == "ALL"
    assert org["MasterAccountId"] == MGMT
    assert org["MasterAccountArn"] == f"arn:aws:organizations::{MGMT}:account/{org['Id']}/{MGMT}"
    described = orgs.describe_organization()["Organization"]
    for k in ("Id", "Arn", "FeatureSet", "MasterAccountId", "MasterAccountArn"):
        assert described[k] == org[k], k
    with raises_aws("AlreadyInOrganizationException", status=400):
        orgs.create_organization(FeatureSet="ALL")

    accounts = orgs.list_accounts()["Accounts"]
    assert [a["Id"] for a in accounts] == [MGMT]
    assert accounts[0]["Status"] == "ACTIVE"
    assert accounts[0]["Arn"] == f"arn:aws:organizations::{MGMT}:account/{org['Id']}/{MGMT}"


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------


def test_create_account_and_describe(server, iam):
    world = org_world(server, iam)
    orgs, org = world["orgs"], world["org"]
    started = world["started"]
    assert CAR_ID_RE.match(started["Id"]), started["Id"]
    assert started["AccountName"] == "Member One"
    assert started["State"] in ("IN_PROGRESS", "SUCCEEDED")
    st = world["status"]
    assert st["Id"] == started["Id"] and st["State"] == "SUCCEEDED"
    member = world["member"]
    assert ACCOUNT_RE.match(member) and member != MGMT
    assert st["CompletedTimestamp"] >= st["RequestedTimestamp"]

    acct = orgs.describe_account(AccountId=member)["Account"]
    assert acct["Id"] == member
    assert acct["Arn"] == f"arn:aws:organizations::{MGMT}:account/{org['Id']}/{member}"
    assert (acct["Email"], acct["Name"], acct["Status"], acct["JoinedMethod"]) == (
        world["member_email"],
        "Member One",
        "ACTIVE",
        "CREATED",
    )
    ids = {a["Id"] for a in orgs.list_accounts()["Accounts"]}
    assert {MGMT, member} <= ids

    with raises_aws("AccountNotFoundException", "You specified an account that doesn't exist.", 400):
        orgs.describe_account(AccountId="999999999999")
    with raises_aws("CreateAccountStatusNotFoundException", status=400):
        orgs.describe_create_account_status(CreateAccountRequestId="car-0123456789abcdef")


def test_create_account_with_an_email_in_use_fails(server, iam):
    # CreateAccountStatus.FailureReason EMAIL_ALREADY_EXISTS (botocore model): the request is
    # accepted, then fails asynchronously; no second account appears.
    world = org_world(server, iam)
    orgs = world["orgs"]
    dup = orgs.create_account(Email=world["member_email"], AccountName="Again")["CreateAccountStatus"]
    st2 = wait_account(orgs, dup["Id"])
    assert st2["State"] == "FAILED" and st2["FailureReason"] == "EMAIL_ALREADY_EXISTS", st2
    assert len([a for a in orgs.list_accounts()["Accounts"] if a["Email"] == world["member_email"]]) == 1


def test_only_the_management_account_manages_accounts(server, iam):
    world = org_world(server, iam)
    member = world["member"]
    m_orgs = client(server, "organizations", member_admin(server, world, "orgcheck"))
    # A member may describe its organization...
    d = m_orgs.describe_organization()["Organization"]
    assert (d["Id"], d["MasterAccountId"]) == (world["org"]["Id"], MGMT)
    # ...but not list or create accounts, even as an administrator of the member account.
    with raises_aws("AccessDeniedException", NO_PERMS):
        m_orgs.list_accounts()
    with raises_aws("AccessDeniedException", NO_PERMS):
        m_orgs.create_account(Email=f"{unique('x')}@example.com", AccountName="nope")
    with raises_aws("AccessDeniedException", NO_PERMS):
        m_orgs.describe_account(AccountId=member)


def test_organizations_denials_use_the_json_error_code(server, iam):
    # Organizations is a JSON 1.1 service: its denial is AccessDeniedException (botocore model),
    # also when IAM policies deny, not the Query protocol's AccessDenied.
    org_world(server, iam)
    _, plain = create_user_with_key(iam)
    with raises_aws("AccessDeniedException"):
        client(server, "organizations", plain).list_accounts()


# --------------------------------------------------------------------------------------
# OrganizationAccountAccessRole
# --------------------------------------------------------------------------------------


def test_organization_account_access_role(server, iam):
    world = org_world(server, iam)
    member = world["member"]
    role_arn = f"arn:aws:iam::{member}:role/{OAAR}"
    r = client(server, "sts", world["admin_creds"]).assume_role(RoleArn=role_arn, RoleSessionName="admin")
    assert r["AssumedRoleUser"]["Arn"] == session_arn(member, OAAR, "admin")
    sess = creds_of(r)
    who = client(server, "sts", sess).get_caller_identity()
    assert (who["Account"], who["Arn"]) == (member, session_arn(member, OAAR, "admin"))

    m_iam = client(server, "iam", sess)
    role = m_iam.get_role(RoleName=OAAR)["Role"]
    assert role["Arn"] == role_arn
    st = role["AssumeRolePolicyDocument"]["Statement"]
    assert len(st) == 1 and st[0]["Effect"] == "Allow"
    assert st[0]["Principal"] == {"AWS": f"arn:aws:iam::{MGMT}:root"}
    assert st[0]["Action"] in ("sts:AssumeRole", ["sts:AssumeRole"])
    names = [p["PolicyName"] for p in m_iam.list_attached_role_policies(RoleName=OAAR)["AttachedPolicies"]]
    names += m_iam.list_role_policies(RoleName=OAAR)["PolicyNames"]
    assert "AdministratorAccess" in names, names
    # Administrator in the member: it can manage IAM there, and it sees the member's IAM only.
    u = m_iam.create_user(UserName=unique("member-user"))["User"]
    assert u["Arn"].startswith(f"arn:aws:iam::{member}:user/")
    assert world["admin"]["UserName"] not in [x["UserName"] for x in m_iam.list_users()["Users"]]
    assert u["UserName"] not in [x["UserName"] for x in iam.list_users()["Users"]]

    # The role trusts the management account, so the caller's identity policy must allow.
    nobody, ncreds = create_user_with_key(iam)
    with raises_aws("AccessDenied", assume_denied(nobody["Arn"], role_arn), 403):
        client(server, "sts", ncreds).assume_role(RoleArn=role_arn, RoleSessionName="x1")


def test_member_account_starts_with_no_root_credentials(server, iam):
    # Organizations: a created account's root user has a random password and no access keys or
    # MFA; the only way in is OrganizationAccountAccessRole. GetAccountSummary shows it.
    world = org_world(server, iam)
    m_iam = client(server, "iam", member_admin(server, world, "summary"))
    summary = m_iam.get_account_summary()["SummaryMap"]
    assert summary["AccountAccessKeysPresent"] == 0
    assert summary["AccountMFAEnabled"] == 0
    assert OAAR in [r["RoleName"] for r in m_iam.list_roles()["Roles"]]


# --------------------------------------------------------------------------------------
# The cross-account scenario
# --------------------------------------------------------------------------------------


_SCENARIO: dict = {}


def scenario(server, iam) -> dict:
    """The member-side roles of the issue's scenario and the management-side developers, built
    once per module (inside the tests, so a setup failure is reported against each test)."""
    world = org_world(server, iam)
    if _SCENARIO.get("url") == server.url:
        return _SCENARIO
    member = world["member"]
    m_iam = client(server, "iam", member_admin(server, world, "setup"))

    # Developers in the management account: one allowed by its identity policy, one not.
    dev, dev_creds = create_user_with_key(iam, unique("dev"))
    # Across accounts the caller's side must allow sts:TagSession too, to pass session tags.
    iam.put_user_policy(
        UserName=dev["UserName"],
        PolicyName="assume",
        PolicyDocument=policy(allow(["sts:AssumeRole", "sts:TagSession"], f"arn:aws:iam::{member}:role/*")),
    )
    lazy, lazy_creds = create_user_with_key(iam, unique("lazy"))

    app_name, chained_name = unique("CrossAccountApp"), unique("Chained")
    app_arn = f"arn:aws:iam::{member}:role/{app_name}"
    chained_arn = f"arn:aws:iam::{member}:role/{chained_name}"
    # In the member: a role trusting those users, with an ExternalId, session tags allowed.
    m_iam.create_role(
        RoleName=app_name,
        MaxSessionDuration=7200,
        AssumeRolePolicyDocument=policy(
            trust(
                {"AWS": [dev["Arn"], lazy["Arn"]]},
                action=["sts:AssumeRole", "sts:TagSession"],
                condition={"StringEquals": {"sts:ExternalId": "ext-42"}},
            )
        ),
    )
    m_iam.put_role_policy(
        RoleName=app_name,
        PolicyName="app",
        PolicyDocument=policy(
            allow(["iam:ListRoles", "iam:ListUsers", "sts:AssumeRole"]),
            allow("iam:ListGroups", condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}}),
        ),
    )
    # ...and a second role, trusting the first.
    m_iam.create_role(RoleName=chained_name, AssumeRolePolicyDocument=policy(trust(app_arn)), MaxSessionDuration=43200)
    m_iam.put_role_policy(RoleName=chained_name, PolicyName="ro", PolicyDocument=policy(allow("iam:ListRoles")))
    _SCENARIO.clear()
    _SCENARIO.update(
        url=server.url,
        member=member,
        dev=dev,
        dev_creds=dev_creds,
        lazy=lazy,
        lazy_creds=lazy_creds,
        app_name=app_name,
        app_arn=app_arn,
        chained_name=chained_name,
        chained_arn=chained_arn,
    )
    return _SCENARIO


def dev_assume(server, sc: dict, session: str, **kw) -> dict:
    return client(server, "sts", sc["dev_creds"]).assume_role(RoleArn=sc["app_arn"], RoleSessionName=session, ExternalId="ext-42", **kw)


def test_cross_account_needs_the_callers_identity_allow(server, iam):
    sc = scenario(server, iam)
    # Across accounts the trust policy naming the user is not enough: its own policy must allow.
    with raises_aws("AccessDenied", assume_denied(sc["lazy"]["Arn"], sc["app_arn"]), 403):
        client(server, "sts", sc["lazy_creds"]).assume_role(RoleArn=sc["app_arn"], RoleSessionName="lazy", ExternalId="ext-42")


def test_cross_account_explicit_denies_win(server, iam):
    sc = scenario(server, iam)
    world = org_world(server, iam)
    m_iam = client(server, "iam", member_admin(server, world, "deny"))
    name = unique("Denier")
    arn = f"arn:aws:iam::{sc['member']}:role/{name}"
    m_iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=policy(
            trust(f"arn:aws:iam::{MGMT}:root"),
            {"Effect": "Deny", "Principal": {"AWS": sc["dev"]["Arn"]}, "Action": "sts:AssumeRole"},
        ),
    )
    ok, ok_creds = create_user_with_key(iam)
    iam.put_user_policy(UserName=ok["UserName"], PolicyName="a", PolicyDocument=policy(allow("sts:AssumeRole", arn)))
    blocked, blocked_creds = create_user_with_key(iam)
    iam.put_user_policy(UserName=blocked["UserName"], PolicyName="a", PolicyDocument=policy(allow("sts:AssumeRole", arn)))
    iam.put_user_policy(
        UserName=blocked["UserName"], PolicyName="d", PolicyDocument=policy({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": arn})
    )
    # Both sides allow: in.
    client(server, "sts", ok_creds).assume_role(RoleArn=arn, RoleSessionName="ok")
    # A deny in the caller's own account wins over the trust allow.
    with raises_aws("AccessDenied", assume_denied(blocked["Arn"], arn), 403):
        client(server, "sts", blocked_creds).assume_role(RoleArn=arn, RoleSessionName="blocked")
    # A deny in the trust policy wins over the caller's identity allow.
    with raises_aws("AccessDenied", assume_denied(sc["dev"]["Arn"], arn), 403):
        client(server, "sts", sc["dev_creds"]).assume_role(RoleArn=arn, RoleSessionName="dev")


def test_cross_account_external_id(server, iam):
    sc = scenario(server, iam)
    dev_sts = client(server, "sts", sc["dev_creds"])
    denied = assume_denied(sc["dev"]["Arn"], sc["app_arn"])
    with raises_aws("AccessDenied", denied, 403):
        dev_sts.assume_role(RoleArn=sc["app_arn"], RoleSessionName="dev")
    with raises_aws("AccessDenied", denied, 403):
        dev_sts.assume_role(RoleArn=sc["app_arn"], RoleSessionName="dev", ExternalId="ext-43")
    r = dev_sts.assume_role(RoleArn=sc["app_arn"], RoleSessionName="dev", ExternalId="ext-42")
    app_session = session_arn(sc["member"], sc["app_name"], "dev")
    assert r["AssumedRoleUser"]["Arn"] == app_session
    who = client(server, "sts", creds_of(r)).get_caller_identity()
    assert (who["Account"], who["Arn"]) == (sc["member"], app_session)


def test_cross_account_session_has_the_member_roles_permissions(server, iam):
    sc = scenario(server, iam)
    app_session = session_arn(sc["member"], sc["app_name"], "perm")
    app_iam = client(server, "iam", creds_of(dev_assume(server, sc, "perm")))
    assert sc["app_name"] in [x["RoleName"] for x in app_iam.list_roles()["Roles"]]
    # It sees the member account's IAM, not the management account's.
    assert sc["dev"]["UserName"] not in [x["UserName"] for x in app_iam.list_users()["Users"]]
    with raises_aws(
        "AccessDenied",
        status=403,
        message_prefix=f"User: {app_session} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{sc['member']}:user/",
    ) as e:
        app_iam.create_user(UserName=unique("x"))
    assert e["message"].endswith("because no identity-based policy allows the iam:CreateUser action")


def test_cross_account_chaining_into_a_second_role(server, iam):
    sc = scenario(server, iam)
    app_sts = client(server, "sts", creds_of(dev_assume(server, sc, "chain")))
    with raises_aws("ValidationError", CHAINING, 400):
        app_sts.assume_role(RoleArn=sc["chained_arn"], RoleSessionName="hop", DurationSeconds=3601)
    hop = app_sts.assume_role(RoleArn=sc["chained_arn"], RoleSessionName="hop")
    assert hop["AssumedRoleUser"]["Arn"] == session_arn(sc["member"], sc["chained_name"], "hop")
    hop_iam = client(server, "iam", creds_of(hop))
    hop_iam.list_roles()
    with raises_aws("AccessDenied", status=403):
        hop_iam.list_users()
    # The developer itself is not trusted by the second role.
    with raises_aws("AccessDenied", assume_denied(sc["dev"]["Arn"], sc["chained_arn"]), 403):
        client(server, "sts", sc["dev_creds"]).assume_role(RoleArn=sc["chained_arn"], RoleSessionName="direct")


def test_cross_account_session_policy_narrows(server, iam):
    sc = scenario(server, iam)
    narrow = dev_assume(server, sc, "narrow", Policy=policy(allow(["iam:ListUsers", "iam:CreateUser"])))
    assert narrow["PackedPolicySize"] > 0
    n_iam = client(server, "iam", creds_of(narrow))
    n_iam.list_users()
    with raises_aws("AccessDenied", status=403) as e:
        n_iam.list_roles()
    assert e["message"].endswith("because no session policy allows the iam:ListRoles action"), e["message"]
    # ...and never widens: the role does not allow CreateUser.
    with raises_aws("AccessDenied", status=403) as e:
        n_iam.create_user(UserName=unique("x"))
    assert e["message"].endswith("because no identity-based policy allows the iam:CreateUser action"), e["message"]


def test_cross_account_session_tags_drive_abac(server, iam):
    sc = scenario(server, iam)
    untagged = client(server, "iam", creds_of(dev_assume(server, sc, "none")))
    with raises_aws("AccessDenied", status=403):
        untagged.list_groups()
    blue = dev_assume(server, sc, "blue", Tags=[{"Key": "team", "Value": "blue"}])
    client(server, "iam", creds_of(blue)).list_groups()
    red = dev_assume(server, sc, "red", Tags=[{"Key": "team", "Value": "red"}])
    with raises_aws("AccessDenied", status=403):
        client(server, "iam", creds_of(red)).list_groups()


def test_cross_account_session_tags_need_tag_session_on_the_callers_side(server, iam):
    # Both sides must allow: a user whose own policy allows sts:AssumeRole but not sts:TagSession.
    sc = scenario(server, iam)
    world = org_world(server, iam)
    m_iam = client(server, "iam", member_admin(server, world, "tagside"))
    name = unique("TagTarget")
    arn = f"arn:aws:iam::{sc['member']}:role/{name}"
    user, creds = create_user_with_key(iam)
    m_iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy(trust(user["Arn"], action=["sts:AssumeRole", "sts:TagSession"])))
    iam.put_user_policy(UserName=user["UserName"], PolicyName="a", PolicyDocument=policy(allow("sts:AssumeRole", arn)))
    me = client(server, "sts", creds)
    me.assume_role(RoleArn=arn, RoleSessionName="plain")
    with raises_aws(
        "AccessDenied",
        f"User: {user['Arn']} is not authorized to perform: sts:TagSession on resource: {arn}",
        403,
    ):
        me.assume_role(RoleArn=arn, RoleSessionName="tagged", Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName=user["UserName"], PolicyName="t", PolicyDocument=policy(allow("sts:TagSession", arn)))
    me.assume_role(RoleArn=arn, RoleSessionName="tagged", Tags=[{"Key": "team", "Value": "blue"}])


def test_cross_account_with_the_cli(server, iam, aws):
    sc = scenario(server, iam)
    res = aws("sts", "assume-role", "--role-arn", sc["app_arn"], "--role-session-name", "cli", "--external-id", "ext-42", creds=sc["dev_creds"])
    assert res.returncode == 0, res.stderr
    c = res.json["Credentials"]
    cli_sess = Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    res = aws("sts", "get-caller-identity", creds=cli_sess)
    assert res.returncode == 0, res.stderr
    assert res.json["Arn"] == session_arn(sc["member"], sc["app_name"], "cli") and res.json["Account"] == sc["member"]
    res = aws("iam", "list-roles", creds=cli_sess)
    assert res.returncode == 0, res.stderr
    assert sc["app_name"] in [x["RoleName"] for x in res.json["Roles"]]
    res = aws("sts", "assume-role", "--role-arn", sc["app_arn"], "--role-session-name", "cli", creds=sc["dev_creds"])
    assert_cli_error(res, "AccessDenied", "AssumeRole", assume_denied(sc["dev"]["Arn"], sc["app_arn"]))


def test_principal_org_id_and_resource_org_id(server, iam):
    world = org_world(server, iam)
    member = world["member"]
    org_id = world["org"]["Id"]
    m_iam = client(server, "iam", member_admin(server, world, "orgid"))
    user, creds = create_user_with_key(iam)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="assume", PolicyDocument=policy(allow("sts:AssumeRole")))

    def role_for(org_value: str) -> str:
        name = unique("OrgOnly")
        m_iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=policy(trust(f"arn:aws:iam::{MGMT}:root", condition={"StringEquals": {"aws:PrincipalOrgID": org_value}})),
        )
        m_iam.put_role_policy(
            RoleName=name,
            PolicyName="p",
            PolicyDocument=policy(
                allow("iam:ListRoles", condition={"StringEquals": {"aws:ResourceOrgID": org_id}}),
                allow("iam:ListUsers", condition={"StringEquals": {"aws:ResourceOrgID": "o-0000000000"}}),
            ),
        )
        return f"arn:aws:iam::{member}:role/{name}"

    me = client(server, "sts", creds)
    good = role_for(org_id)
    sess = client(server, "iam", creds_of(me.assume_role(RoleArn=good, RoleSessionName="org")))
    sess.list_roles()  # aws:ResourceOrgID is the member's organization
    with raises_aws("AccessDenied", status=403):
        sess.list_users()  # ...and not another one
    bad = role_for("o-0000000000")
    with raises_aws("AccessDenied", assume_denied(user["Arn"], bad), 403):
        me.assume_role(RoleArn=bad, RoleSessionName="org")


def test_federated_user_permissions_are_user_and_session_policy(server, iam):
    # STS GetFederationToken: no session policy, no permissions; with one, the intersection of the
    # IAM user's policies and the session policy. IAM and STS refuse federated sessions outright,
    # so this is checked on Organizations.
    world = org_world(server, iam)
    user, creds = create_user_with_key(iam)
    iam.put_user_policy(
        UserName=user["UserName"],
        PolicyName="p",
        PolicyDocument=policy(allow(["sts:GetFederationToken", "organizations:DescribeOrganization", "organizations:ListAccounts"])),
    )
    sts = client(server, "sts", creds)

    def refused(call) -> None:
        # The exact code is pinned by test_organizations_denials_use_the_json_error_code; here only
        # the decision matters.
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied"), e.value.response

    bare = client(server, "organizations", creds_of(sts.get_federation_token(Name="fed-bare")))
    refused(bare.describe_organization)

    r = sts.get_federation_token(Name="fed-org", Policy=policy(allow(["organizations:DescribeOrganization", "organizations:CreateAccount"])))
    fed = client(server, "organizations", creds_of(r))
    assert fed.describe_organization()["Organization"]["Id"] == world["org"]["Id"]
    refused(fed.list_accounts)  # the user may, the session policy does not allow it
    refused(lambda: fed.create_account(Email=f"{unique('fed')}@example.com", AccountName="nope"))  # the reverse


# --------------------------------------------------------------------------------------
# The aws CLI (JSON 1.1)
# --------------------------------------------------------------------------------------


def test_cli_organizations(server, iam, aws):
    world = org_world(server, iam)
    admin = world["admin_creds"]
    res = aws("organizations", "describe-organization", creds=admin)
    assert res.returncode == 0, res.stderr
    assert res.json["Organization"]["Id"] == world["org"]["Id"]
    assert res.json["Organization"]["MasterAccountId"] == MGMT
    res = aws("organizations", "list-accounts", creds=admin)
    assert res.returncode == 0, res.stderr
    assert world["member"] in [a["Id"] for a in res.json["Accounts"]]
    res = aws("organizations", "describe-account", "--account-id", world["member"], creds=admin)
    assert res.returncode == 0, res.stderr
    assert res.json["Account"]["Name"] == "Member One"
    res = aws("organizations", "describe-account", "--account-id", "999999999999", creds=admin)
    assert_cli_error(res, "AccountNotFoundException", "DescribeAccount", "You specified an account that doesn't exist.")

    res = aws("organizations", "create-account", "--email", f"{unique('cli')}@example.com", "--account-name", "Cli Member", creds=admin)
    assert res.returncode == 0, res.stderr
    car = res.json["CreateAccountStatus"]["Id"]
    assert CAR_ID_RE.match(car)
    st = wait_account(world["orgs"], car)
    assert st["State"] == "SUCCEEDED" and ACCOUNT_RE.match(st["AccountId"])
    res = aws("organizations", "describe-create-account-status", "--create-account-request-id", car, creds=admin)
    assert res.returncode == 0, res.stderr
    assert res.json["CreateAccountStatus"]["AccountId"] == st["AccountId"]

    m = member_admin(server, world, "cli")
    res = aws("organizations", "list-accounts", creds=m)
    assert_cli_error(res, "AccessDeniedException", "ListAccounts", NO_PERMS)
