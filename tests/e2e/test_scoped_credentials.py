"""STS GetScopedCredentials (added to STS in 2026), end to end with boto3 and the aws CLI.

Sources (AWS, not warden):
* STS API reference, GetScopedCredentials (botocore 1.44.8's model documentation): callable only with
  temporary credentials; at least one of Policy or DurationSeconds; DurationSeconds 1 to 129,600 and
  never past the calling session's expiry (InsufficientSessionLifetime, 400); the identity is kept
  (SessionInfo's ScopedSessionId and Arn are the calling session's); "A maximum of 3 scope down policy
  layers are allowed per session", a fourth call that supplies a Policy is denied; SourceIdentity is
  carried forward unchanged.
* IAM User Guide, id_credentials_temp_control-access_getscopedcredentials: the permissions are the
  intersection of the calling session's effective permissions, this call's scope-down policy and the
  scope-down policies of earlier calls in the chain; the credentials never have more permissions than
  the calling session.
AWS publishes no recorded error texts for this operation yet; the InvalidSubjectCredentials,
InsufficientSessionLifetime, ValidationError and layer-limit texts asserted here are warden's own
(crates/warden-core/src/sts.rs), so the tests pin the codes and statuses exactly and the texts as ours.
"""

from __future__ import annotations

import datetime as dt

import pytest

from e2e_util import (
    ACCOUNT_ID,
    allow,
    create_user_with_key,
    creds_of,
    deny,
    make_client,
    policy_doc,
    raises_aws,
    unique,
)


def trust_user(user_arn: str) -> str:
    return policy_doc({"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"})


@pytest.fixture(scope="module")
def world(server, iam):
    """A user who may assume a role; the role may list users and roles, read roles, and scope down."""
    user, user_creds = create_user_with_key(iam)
    iam.put_user_policy(
        UserName=user["UserName"],
        PolicyName="assume",
        PolicyDocument=policy_doc(allow("sts:AssumeRole")),
    )
    role_name = unique("scoped")
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust_user(user["Arn"]))["Role"]
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="perms",
        PolicyDocument=policy_doc(
            allow(["iam:ListUsers", "iam:ListRoles", "iam:GetRole", "sts:GetScopedCredentials"])
        ),
    )
    return {"user": user, "user_creds": user_creds, "role": role}


def role_session(server, world, name: str = "s1", **kw):
    sts = make_client("sts", server.url, world["user_creds"])
    return sts.assume_role(RoleArn=world["role"]["Arn"], RoleSessionName=name, **kw)


def scoped(server, creds, **kw):
    return make_client("sts", server.url, creds).get_scoped_credentials(**kw)


def session_arn(world, name: str) -> str:
    return f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{world['role']['RoleName']}/{name}"


def test_scoped_credentials_keep_the_identity_and_narrow_the_permissions(server, world):
    assumed = role_session(server, world, "keep")
    parent = creds_of(assumed)
    out = scoped(server, parent, Policy=policy_doc(allow(["iam:ListUsers", "sts:GetCallerIdentity"])))
    child = creds_of(out)
    assert child.access_key_id.startswith("ASIA") and child.access_key_id != parent.access_key_id
    assert out["SessionInfo"] == {
        "ScopedSessionId": assumed["AssumedRoleUser"]["AssumedRoleId"],
        "Arn": session_arn(world, "keep"),
    }
    assert out["ScopedPoliciesCount"] == 1
    assert 0 < out["SessionTokenSize"] == len(child.session_token)
    assert 0 <= out["SessionTokenUtilization"] <= 100
    # Without a DurationSeconds the scoped credentials expire with the calling session.
    assert out["Credentials"]["Expiration"] == assumed["Credentials"]["Expiration"]

    me = make_client("sts", server.url, child).get_caller_identity()
    assert (me["Arn"], me["UserId"]) == (session_arn(world, "keep"), assumed["AssumedRoleUser"]["AssumedRoleId"])
    iam_child = make_client("iam", server.url, child)
    iam_child.list_users()
    action = "iam:ListRoles"
    with raises_aws(
        "AccessDenied",
        f"User: {session_arn(world, 'keep')} is not authorized to perform: {action} on resource: "
        f"arn:aws:iam::{ACCOUNT_ID}:role/ because no session policy allows the {action} action",
        403,
    ):
        iam_child.list_roles()
    # Control: the calling session itself still may.
    make_client("iam", server.url, parent).list_roles()


def test_a_scope_down_policy_grants_nothing_the_session_lacks(server, world):
    parent = creds_of(role_session(server, world, "wide"))
    child = creds_of(scoped(server, parent, Policy=policy_doc(allow("*"))))
    with raises_aws("AccessDenied", status=403, message_prefix=f"User: {session_arn(world, 'wide')} is not"):
        make_client("iam", server.url, child).create_user(UserName=unique("nope"))
    make_client("iam", server.url, child).list_users()


def test_an_explicit_deny_in_a_scope_down_policy_wins(server, world):
    parent = creds_of(role_session(server, world, "deny"))
    child = creds_of(scoped(server, parent, Policy=policy_doc(allow("*"), deny("iam:ListUsers"))))
    iam_child = make_client("iam", server.url, child)
    with raises_aws("AccessDenied", status=403) as e:
        iam_child.list_users()
    assert e["message"].endswith("with an explicit deny in a session policy"), e["message"]
    iam_child.list_roles()


def test_layers_chain_to_their_intersection_and_stop_at_three(server, world):
    parent = creds_of(role_session(server, world, "chain"))
    one = creds_of(
        scoped(server, parent, Policy=policy_doc(allow(["iam:ListUsers", "iam:GetRole", "sts:GetScopedCredentials"])))
    )
    out = scoped(server, one, Policy=policy_doc(allow(["iam:GetRole", "iam:ListRoles", "sts:GetScopedCredentials"])))
    assert out["ScopedPoliciesCount"] == 2
    two = creds_of(out)
    iam_two = make_client("iam", server.url, two)
    iam_two.get_role(RoleName=world["role"]["RoleName"])
    # ListUsers: the first layer allows it, the second does not. ListRoles: the other way round.
    for call in (iam_two.list_users, iam_two.list_roles):
        with raises_aws("AccessDenied", status=403):
            call()
    three = creds_of(scoped(server, two, Policy=policy_doc(allow(["sts:GetScopedCredentials", "iam:GetRole"]))))
    with raises_aws(
        "AccessDenied",
        "The session already has 3 scope-down policies, the most GetScopedCredentials allows.",
        403,
    ):
        scoped(server, three, Policy=policy_doc(allow("iam:GetRole")))
    # Shortening the life without a fourth policy is still allowed.
    out = scoped(server, three, DurationSeconds=600)
    assert out["ScopedPoliciesCount"] == 3
    make_client("iam", server.url, creds_of(out)).get_role(RoleName=world["role"]["RoleName"])


def test_the_scope_down_policy_limits_the_next_get_scoped_credentials_call_too(server, world):
    parent = creds_of(role_session(server, world, "self"))
    child = creds_of(scoped(server, parent, Policy=policy_doc(allow("iam:ListUsers"))))
    with raises_aws("AccessDenied", status=403) as e:
        scoped(server, child, DurationSeconds=60)
    assert "sts:GetScopedCredentials" in e["message"] and "session policy" in e["message"], e["message"]


def test_duration_shortens_and_never_extends_the_session(server, world):
    assumed = role_session(server, world, "short", DurationSeconds=900)
    parent = creds_of(assumed)
    out = scoped(server, parent, DurationSeconds=120)
    left = out["Credentials"]["Expiration"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(seconds=100) < left <= dt.timedelta(seconds=121)
    assert out["ScopedPoliciesCount"] == 0
    # A duration-only child has the parent's permissions.
    make_client("iam", server.url, creds_of(out)).list_roles()
    with raises_aws("InsufficientSessionLifetime", status=400) as e:
        scoped(server, parent, DurationSeconds=3600)
    assert e["message"].startswith("The requested DurationSeconds (3600) exceeds the remaining lifetime"), e["message"]
    unchecked = make_client("sts", server.url, parent, parameter_validation=False)
    with raises_aws(
        "ValidationError",
        "1 validation error detected: Value '0' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
        400,
    ):
        unchecked.get_scoped_credentials(DurationSeconds=0)


def test_policy_or_duration_is_required_and_the_policy_must_be_valid(server, world):
    parent = creds_of(role_session(server, world, "input"))
    with raises_aws("ValidationError", "A request must provide at least one of Policy or DurationSeconds.", 400):
        scoped(server, parent)
    with raises_aws("MalformedPolicyDocument", status=400):
        scoped(server, parent, Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}')


def test_long_term_credentials_are_refused(server, iam, world):
    user, creds = create_user_with_key(iam)
    iam.put_user_policy(
        UserName=user["UserName"], PolicyName="p", PolicyDocument=policy_doc(allow("sts:GetScopedCredentials"))
    )
    with raises_aws("InvalidSubjectCredentials", status=400, message_prefix="GetScopedCredentials must be called"):
        scoped(server, creds, DurationSeconds=60)
    # Control: the same user's GetSessionToken credentials may.
    sess = creds_of(make_client("sts", server.url, creds).get_session_token())
    out = scoped(server, sess, Policy=policy_doc(allow("sts:GetCallerIdentity")))
    assert out["SessionInfo"]["Arn"] == user["Arn"]


def test_the_caller_needs_sts_get_scoped_credentials(server, iam, world):
    name = unique("noscope")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_user(world["user"]["Arn"]))["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=policy_doc(allow("iam:ListUsers")))
    sts = make_client("sts", server.url, world["user_creds"])
    parent = creds_of(sts.assume_role(RoleArn=role["Arn"], RoleSessionName="nn"))
    arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{name}/nn"
    with raises_aws(
        "AccessDenied",
        # The operation names no resource type in the Service Authorization Reference: "*".
        f"User: {arn} is not authorized to perform: sts:GetScopedCredentials on resource: * "
        "because no identity-based policy allows the sts:GetScopedCredentials action",
        403,
    ):
        scoped(server, parent, DurationSeconds=60)
    # Control: granted, the same session may.
    iam.put_role_policy(
        RoleName=name, PolicyName="scope", PolicyDocument=policy_doc(allow("sts:GetScopedCredentials"))
    )
    assert scoped(server, parent, DurationSeconds=60)["ScopedPoliciesCount"] == 0


def test_deleting_the_role_ends_its_scoped_sessions(server, iam, world):
    name = unique("gone")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_user(world["user"]["Arn"]))["Role"]
    iam.put_role_policy(
        RoleName=name, PolicyName="p", PolicyDocument=policy_doc(allow(["sts:GetScopedCredentials", "iam:ListUsers"]))
    )
    parent = creds_of(make_client("sts", server.url, world["user_creds"]).assume_role(RoleArn=role["Arn"], RoleSessionName="gg"))
    child = creds_of(scoped(server, parent, Policy=policy_doc(allow("iam:ListUsers"))))
    make_client("iam", server.url, child).list_users()
    iam.delete_role_policy(RoleName=name, PolicyName="p")
    iam.delete_role(RoleName=name)
    with raises_aws("InvalidClientTokenId", status=403):
        make_client("iam", server.url, child).list_users()


def test_a_federated_user_session_may_scope_down(server, iam):
    # The aws CLI pinned here (1.46.3, botocore 1.43.62) predates GetScopedCredentials, so boto3 is the
    # real client of this operation.
    user, creds = create_user_with_key(iam)
    iam.put_user_policy(
        UserName=user["UserName"], PolicyName="p", PolicyDocument=policy_doc(allow("*"))
    )
    fed = make_client("sts", server.url, creds).get_federation_token(
        Name="fedscope", Policy=policy_doc(allow(["sts:GetScopedCredentials", "sts:GetCallerIdentity"]))
    )
    out = scoped(server, creds_of(fed), Policy=policy_doc(allow("sts:GetCallerIdentity")))
    arn = f"arn:aws:sts::{ACCOUNT_ID}:federated-user/fedscope"
    assert out["SessionInfo"] == {"ScopedSessionId": f"{ACCOUNT_ID}:fedscope", "Arn": arn}
    assert make_client("sts", server.url, creds_of(out)).get_caller_identity()["Arn"] == arn
