"""Console passwords: Create/Get/Update/DeleteLoginProfile, ChangePassword by the user,
and the account password policy (Get/Update/Delete, enforced on every password set).

AWS texts: LocalStack's AWS-recorded test_iam_users.snapshot.json (TestUserLoginProfile) and
test_iam_account_password_policy.snapshot.json; the aws CLI's own example for change-password
(root credentials -> InvalidUserType); botocore's IAM model (PasswordPolicyViolation is 400).
AWS's default password policy, when the account sets none: see the section at the end.
"""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from e2e_util import (
    ACCOUNT_ID,
    access_denied_messages,
    assert_cli_error,
    create_user_with_key,
    grant_change_own_password,
    make_client,
    member_session,
    new_organization,
    raises_aws,
    unique,
    user_resource_forms,
)

PW1 = "Initial-Passw0rd-One!"
PW2 = "Second-Passw0rd-Two!"
PW3 = "Third-Passw0rd-Three!"
NO_POLICY = f"The Password Policy with domain name {ACCOUNT_ID} cannot be found."


def no_profile(name: str) -> str:
    return f"Login Profile for User {name} cannot be found."


def self_service_user(iam):
    """A user with keys and what AWS's IAMUserChangePassword managed policy allows."""
    user, creds = create_user_with_key(iam)
    grant_change_own_password(iam, user["UserName"])
    return user, creds


@pytest.fixture
def no_password_policy(iam):
    """Make sure no account password policy is set before and after the test."""
    try:
        iam.delete_account_password_policy()
    except iam.exceptions.NoSuchEntityException:
        pass
    yield
    try:
        iam.delete_account_password_policy()
    except iam.exceptions.NoSuchEntityException:
        pass


def test_login_profile_lifecycle(iam):
    name = unique("lp")
    iam.create_user(UserName=name)
    lp = iam.create_login_profile(UserName=name, Password=PW1)["LoginProfile"]
    assert lp["UserName"] == name
    assert lp["PasswordResetRequired"] is False
    assert "CreateDate" in lp
    got = iam.get_login_profile(UserName=name)["LoginProfile"]
    assert got["UserName"] == name and got["PasswordResetRequired"] is False
    assert got["CreateDate"] == lp["CreateDate"]
    assert "Password" not in got

    iam.update_login_profile(UserName=name, PasswordResetRequired=True)
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is True
    iam.update_login_profile(UserName=name, Password=PW2, PasswordResetRequired=False)
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False

    iam.delete_login_profile(UserName=name)
    with raises_aws("NoSuchEntity", no_profile(name), 404):
        iam.get_login_profile(UserName=name)


def test_login_profile_errors(iam):
    name = unique("lp-err")
    iam.create_user(UserName=name)
    with raises_aws("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404):
        iam.create_login_profile(UserName="nonexistent-user", Password=PW1)
    with raises_aws("NoSuchEntity", no_profile(name), 404):
        iam.delete_login_profile(UserName=name)
    with raises_aws("NoSuchEntity", no_profile(name), 404):
        iam.update_login_profile(UserName=name, Password=PW1)
    iam.create_login_profile(UserName=name, Password=PW1, PasswordResetRequired=True)
    with raises_aws("EntityAlreadyExists", f"Login Profile for user {name} already exists.", 409):
        iam.create_login_profile(UserName=name, Password=PW2)
    # The refused call did not change the stored profile.
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is True
    with raises_aws("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404):
        iam.delete_login_profile(UserName="nonexistent-user")


def test_change_password_by_the_user(server, iam):
    user, creds = self_service_user(iam)
    name = user["UserName"]
    iam.create_login_profile(UserName=name, Password=PW1, PasswordResetRequired=True)
    me = make_client("iam", server.url, creds)
    me.change_password(OldPassword=PW1, NewPassword=PW2)
    # The old password no longer works as OldPassword; the new one does.
    with pytest.raises(ClientError) as exc:
        me.change_password(OldPassword=PW1, NewPassword=PW3)
    status = exc.value.response["ResponseMetadata"]["HTTPStatusCode"]
    assert 400 <= status < 500, exc.value.response
    me.change_password(OldPassword=PW2, NewPassword=PW3)
    # Changing the password clears the reset-required flag.
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False


def test_change_password_wrong_old_password(server, iam):
    # AWS's exact code/message for a wrong OldPassword is not in any recording we found;
    # we require a 4xx client error (never 5xx, never success) and that nothing changed.
    user, creds = self_service_user(iam)
    iam.create_login_profile(UserName=user["UserName"], Password=PW1)
    me = make_client("iam", server.url, creds)
    with pytest.raises(ClientError) as exc:
        me.change_password(OldPassword="Not-The-Passw0rd!", NewPassword=PW2)
    resp = exc.value.response
    assert 400 <= resp["ResponseMetadata"]["HTTPStatusCode"] < 500, resp
    assert resp["Error"]["Code"] != "InternalFailure"
    me.change_password(OldPassword=PW1, NewPassword=PW2)  # PW1 still the current one


def test_change_password_without_login_profile(server, iam):
    user, creds = self_service_user(iam)
    me = make_client("iam", server.url, creds)
    with raises_aws("NoSuchEntity", no_profile(user["UserName"]), 404):
        me.change_password(OldPassword=PW1, NewPassword=PW2)


def test_change_password_by_root_is_invalid_user_type(iam):
    # aws CLI docs (awscli/examples/iam/change-password.rst): root credentials -> InvalidUserType.
    with raises_aws("InvalidUserType", status=400):
        iam.change_password(OldPassword=PW1, NewPassword=PW2)


def test_user_self_service_limits(server, iam, no_password_policy):
    """Without a policy a user may not change its password; "Allow users to change their own
    password" in the account password policy, or AWS's IAMUserChangePassword policy, allows exactly
    iam:ChangePassword (own user) and iam:GetAccountPasswordPolicy, nothing more."""
    user, creds = create_user_with_key(iam)
    name = user["UserName"]
    iam.create_login_profile(UserName=name, Password=PW1)
    me = make_client("iam", server.url, creds)
    forms = user_resource_forms(user["Arn"])
    with raises_aws("AccessDenied", status=403, message_in=access_denied_messages(user["Arn"], "iam:ChangePassword", *forms)):
        me.change_password(OldPassword=PW1, NewPassword=PW2)
    with raises_aws("AccessDenied", status=403):
        me.get_account_password_policy()

    # The account setting grants it to every user.
    iam.update_account_password_policy(MinimumPasswordLength=8, AllowUsersToChangePassword=True)
    assert me.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 8
    me.change_password(OldPassword=PW1, NewPassword=PW2)
    iam.delete_account_password_policy()
    with raises_aws("AccessDenied", status=403):
        me.change_password(OldPassword=PW2, NewPassword=PW3)

    # The managed policy's document, attached to the user.
    grant_change_own_password(iam, name)
    me.change_password(OldPassword=PW2, NewPassword=PW3)
    with raises_aws("NoSuchEntity", NO_POLICY, 404):  # allowed call, nothing to show
        me.get_account_password_policy()
    with raises_aws("AccessDenied", status=403, message_in=access_denied_messages(user["Arn"], "iam:GetLoginProfile", *forms)):
        me.get_login_profile(UserName=name)
    with raises_aws(
        "AccessDenied", status=403, message_in=access_denied_messages(user["Arn"], "iam:UpdateLoginProfile", *forms)
    ):
        me.update_login_profile(UserName=name, PasswordResetRequired=True)


def test_password_policy_get_unset(iam, no_password_policy):
    with raises_aws("NoSuchEntity", NO_POLICY, 404):
        iam.get_account_password_policy()
    with raises_aws("NoSuchEntity", "The account policy with name PasswordPolicy cannot be found.", 404):
        iam.delete_account_password_policy()


def test_password_policy_defaults(iam, no_password_policy):
    iam.update_account_password_policy()
    p = iam.get_account_password_policy()["PasswordPolicy"]
    assert p == {
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": False,
        "MinimumPasswordLength": 6,
        "RequireLowercaseCharacters": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
        "RequireUppercaseCharacters": False,
    }


def test_password_policy_custom_and_delete(iam, no_password_policy):
    iam.update_account_password_policy(
        AllowUsersToChangePassword=True,
        HardExpiry=True,
        MaxPasswordAge=60,
        MinimumPasswordLength=10,
        PasswordReusePrevention=3,
        RequireLowercaseCharacters=True,
        RequireNumbers=True,
        RequireSymbols=True,
        RequireUppercaseCharacters=True,
    )
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "HardExpiry": True,
        "MaxPasswordAge": 60,
        "MinimumPasswordLength": 10,
        "PasswordReusePrevention": 3,
        "RequireLowercaseCharacters": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "RequireUppercaseCharacters": True,
    }
    iam.delete_account_password_policy()
    with raises_aws("NoSuchEntity", NO_POLICY, 404):
        iam.get_account_password_policy()


def test_password_policy_validation(iam, no_password_policy):
    # Recorded against AWS (clauses in this order: minimumPasswordLength, passwordReusePrevention,
    # maxPasswordAge). The order of the clauses is not asserted: one recording cannot show it is stable.
    with raises_aws("ValidationError", status=400, message_prefix="3 validation errors detected: ") as e:
        iam.update_account_password_policy(MaxPasswordAge=1096, MinimumPasswordLength=129, PasswordReusePrevention=25)
    clauses = set(e["message"][len("3 validation errors detected: "):].split("; "))
    assert clauses == {
        "Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128",
        "Value at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24",
        "Value at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095",
    }, e["message"]
    with raises_aws("NoSuchEntity", NO_POLICY, 404):
        iam.get_account_password_policy()


def test_password_policy_enforced_everywhere(server, iam, no_password_policy):
    iam.update_account_password_policy(
        MinimumPasswordLength=14,
        RequireNumbers=True,
        RequireSymbols=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        PasswordReusePrevention=2,
    )
    user, creds = self_service_user(iam)
    name = user["UserName"]
    for weak in ("Short1!a", "nouppercase-passw0rd!", "NOLOWERCASE-PASSW0RD!", "No-Numbers-Password!", "NoSymbols1234567aB"):
        with raises_aws("PasswordPolicyViolation", status=400):
            iam.create_login_profile(UserName=name, Password=weak)
    with raises_aws("NoSuchEntity", no_profile(name), 404):
        iam.get_login_profile(UserName=name)

    strong1, strong2, strong3 = "Strong-Passw0rd-#1", "Strong-Passw0rd-#2", "Strong-Passw0rd-#3"
    iam.create_login_profile(UserName=name, Password=strong1)
    with raises_aws("PasswordPolicyViolation", status=400):
        iam.update_login_profile(UserName=name, Password="weak")
    me = make_client("iam", server.url, creds)
    with raises_aws("PasswordPolicyViolation", status=400):
        me.change_password(OldPassword=strong1, NewPassword="weak")
    me.change_password(OldPassword=strong1, NewPassword=strong2)
    # PasswordReusePrevention=2: the previous password cannot come back.
    with raises_aws("PasswordPolicyViolation", status=400):
        me.change_password(OldPassword=strong2, NewPassword=strong1)
    me.change_password(OldPassword=strong2, NewPassword=strong3)


def test_cli_login_profile_and_password_policy(aws, server, iam, no_password_policy):
    user, creds = self_service_user(iam)
    name = user["UserName"]
    res = aws("iam", "get-account-password-policy")
    assert_cli_error(res, "NoSuchEntity", "GetAccountPasswordPolicy", NO_POLICY)
    rc, _, err = aws(
        "iam", "update-account-password-policy", "--minimum-password-length", "12", "--require-numbers",
        "--allow-users-to-change-password",
    )
    assert rc == 0, err
    rc, out, err = aws("iam", "get-account-password-policy")
    assert rc == 0, err
    assert out["PasswordPolicy"]["MinimumPasswordLength"] == 12
    assert out["PasswordPolicy"]["RequireNumbers"] is True

    res = aws("iam", "create-login-profile", "--user-name", name, "--password", "short1")
    assert_cli_error(res, "PasswordPolicyViolation", "CreateLoginProfile")

    rc, out, err = aws(
        "iam", "create-login-profile", "--user-name", name, "--password", PW1, "--password-reset-required"
    )
    assert rc == 0, err
    assert out["LoginProfile"]["UserName"] == name
    assert out["LoginProfile"]["PasswordResetRequired"] is True
    rc, out, err = aws("iam", "get-login-profile", "--user-name", name)
    assert rc == 0, err
    assert out["LoginProfile"]["PasswordResetRequired"] is True

    # The user changes their own password with their own keys.
    rc, _, err = aws("iam", "change-password", "--old-password", PW1, "--new-password", PW2, creds=creds)
    assert rc == 0, err
    rc, _, err = aws("iam", "update-login-profile", "--user-name", name, "--no-password-reset-required")
    assert rc == 0, err
    rc, _, err = aws("iam", "delete-login-profile", "--user-name", name)
    assert rc == 0, err
    res = aws("iam", "get-login-profile", "--user-name", name)
    assert_cli_error(res, "NoSuchEntity", "GetLoginProfile", no_profile(name))
    rc, _, err = aws("iam", "delete-account-password-policy")
    assert rc == 0, err
    with raises_aws("NoSuchEntity", NO_POLICY, 404):
        iam.get_account_password_policy()


# --------------------------------------------------------------------------------------
# AWS's default password policy, in force while the account sets none
#
# The rules: "Set an account password policy for IAM users" (IAM User Guide): at least 8
# characters, at least three of upper case, lower case, numbers and symbols
# (! @ # $ % ^ & * ( ) _ + - = [ ] { } | '), not the account's name or email address. AWS's texts,
# as real aws CLI outputs quoted in public material record them: "Password should have a minimum
# length of 8" (CreateLoginProfile without a policy) and "Password should meet 1 more of the
# following requirements: Password should have at least one uppercase letter, Password should have
# at least one symbol" (CreateLoginProfile, boto3). The name/email text is ours (no recording).
# --------------------------------------------------------------------------------------

TOO_SHORT = "Password should have a minimum length of 8"


def more_needed(n: int, *missing: str) -> str:
    phrases = ", ".join(f"Password should have at least one {m}" for m in missing)
    return f"Password should meet {n} more of the following requirements: {phrases}"


DEFAULT_REFUSED = [
    ("Sh0rt!x", TOO_SHORT),
    ("lowercase123", more_needed(1, "uppercase letter", "symbol")),
    ("UPPERCASE-ONLY!", more_needed(1, "lowercase letter", "number")),
    ("longenough", more_needed(2, "uppercase letter", "number", "symbol")),
    ("12345678", more_needed(2, "uppercase letter", "lowercase letter", "symbol")),
]
# Three kinds of four are enough, whichever three.
DEFAULT_ACCEPTED = ["Lowercase123", "lowercase12!", "LOWER-case-x", "UPPER123!"]


def test_the_default_policy_applies_to_every_password_set(server, iam, no_password_policy):
    user, creds = self_service_user(iam)
    name = user["UserName"]
    for weak, text in DEFAULT_REFUSED:
        with raises_aws("PasswordPolicyViolation", text, 400):
            iam.create_login_profile(UserName=name, Password=weak)
    with raises_aws("NoSuchEntity", no_profile(name), 404):
        iam.get_login_profile(UserName=name)
    # Control: each password of three kinds is accepted.
    iam.create_login_profile(UserName=name, Password=DEFAULT_ACCEPTED[0])
    for weak, text in DEFAULT_REFUSED:
        with raises_aws("PasswordPolicyViolation", text, 400):
            iam.update_login_profile(UserName=name, Password=weak)
    for ok in DEFAULT_ACCEPTED[1:]:
        iam.update_login_profile(UserName=name, Password=ok)
    me = make_client("iam", server.url, creds)
    current = DEFAULT_ACCEPTED[-1]
    for weak, text in DEFAULT_REFUSED:
        with raises_aws("PasswordPolicyViolation", text, 400):
            me.change_password(OldPassword=current, NewPassword=weak)
    me.change_password(OldPassword=current, NewPassword=PW1)


def test_a_policy_replaces_the_default_rules(iam, no_password_policy):
    name = create_user_with_key(iam)[0]["UserName"]
    iam.update_account_password_policy(MinimumPasswordLength=6, AllowUsersToChangePassword=True)
    # Two kinds only, refused by the default policy, are fine under this one.
    iam.create_login_profile(UserName=name, Password="simple")
    iam.delete_account_password_policy()
    with raises_aws("PasswordPolicyViolation", more_needed(2, "uppercase letter", "number", "symbol"), 400):
        iam.update_login_profile(UserName=name, Password="simplest")


def test_the_default_policy_refuses_the_account_name_and_email(warden_factory):
    w = warden_factory()
    world = new_organization(w)
    orgs = world["orgs"]
    account_name, email = "Prod-Account-1", f"Ops-Team-{unique('e')}@example.com"
    st = orgs.create_account(Email=email, AccountName=account_name)["CreateAccountStatus"]
    deadline = time.monotonic() + 15
    while st["State"] == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.2)
        st = orgs.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]
    assert st["State"] == "SUCCEEDED", st
    creds, _ = member_session(w, {**world, "member": st["AccountId"]})
    iam = make_client("iam", w.url, creds)
    name = unique("member-user")
    iam.create_user(UserName=name)
    for same in (account_name, account_name.lower(), email, email.upper()):
        with raises_aws("PasswordPolicyViolation", "Password should not be the account name or email address", 400):
            iam.create_login_profile(UserName=name, Password=same)
    # Control: a password of the same shape that is neither is accepted.
    iam.create_login_profile(UserName=name, Password="Prod-Account-2")
    with raises_aws("PasswordPolicyViolation", "Password should not be the account name or email address", 400):
        iam.update_login_profile(UserName=name, Password=email)
    # The management account's own users are not bound by a member's name.
    mgmt = w.client("iam")
    mgmt.create_user(UserName=name)
    mgmt.create_login_profile(UserName=name, Password=account_name)


def test_cli_default_policy_text(aws, iam, no_password_policy):
    name = create_user_with_key(iam)[0]["UserName"]
    res = aws("iam", "create-login-profile", "--user-name", name, "--password", "lowercase123")
    assert_cli_error(res, "PasswordPolicyViolation", "CreateLoginProfile", more_needed(1, "uppercase letter", "symbol"))
    res = aws("iam", "create-login-profile", "--user-name", name, "--password", "Sh0rt!x")
    assert_cli_error(res, "PasswordPolicyViolation", "CreateLoginProfile", TOO_SHORT)
