"""Account: CreateAccountAlias, ListAccountAliases, DeleteAccountAlias, GetAccountSummary.

Alias pattern and statuses from botocore's IAM model; the summary's keys and quotas from
LocalStack's AWS-recorded test_iam_account_summary.snapshot.json.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from e2e_util import assert_cli_error, raises_aws, two_consecutive_codes, unique

ALIAS_PATTERN = "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"


def aliases(iam) -> list[str]:
    r = iam.list_account_aliases()
    assert r["IsTruncated"] is False
    return r["AccountAliases"]


def test_alias_lifecycle(iam):
    for a in aliases(iam):
        iam.delete_account_alias(AccountAlias=a)
    assert aliases(iam) == []
    alias = unique("e2e-alias")
    assert iam.create_account_alias(AccountAlias=alias)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert aliases(iam) == [alias]
    iam.delete_account_alias(AccountAlias=alias)
    assert aliases(iam) == []


def test_only_one_alias(iam):
    for a in aliases(iam):
        iam.delete_account_alias(AccountAlias=a)
    first, second = unique("first"), unique("second")
    iam.create_account_alias(AccountAlias=first)
    try:
        iam.create_account_alias(AccountAlias=second)
    except ClientError as e:
        # Refusing the second alias is acceptable; then the first one stays.
        assert e.response["Error"]["Code"] in ("LimitExceeded", "EntityAlreadyExists"), e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert aliases(iam) == [first]
    else:
        # AWS allows one alias per account: a new one replaces the old one.
        assert aliases(iam) == [second]
    for a in aliases(iam):
        iam.delete_account_alias(AccountAlias=a)


def test_alias_validation_and_missing(iam):
    # AWS repeats the offending value for some members (userName) and not for others (path,
    # integers, in recorded answers); for accountAlias we have no recording, so accept both forms.
    for bad in ("UPPER-case", "-leading", "double--dash", "trailing-"):
        tail = f"at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: {ALIAS_PATTERN}"
        with raises_aws(
            "ValidationError",
            status=400,
            message_in={f"1 validation error detected: Value '{bad}' {tail}", f"1 validation error detected: Value {tail}"},
        ):
            iam.create_account_alias(AccountAlias=bad)
    with raises_aws("NoSuchEntity", status=404):
        iam.delete_account_alias(AccountAlias=unique("never-created"))


def test_account_summary_counts_follow_the_data(iam):
    s0 = iam.get_account_summary()["SummaryMap"]
    assert s0["AccessKeysPerUserQuota"] == 2
    assert s0["UsersQuota"] == 5000
    assert s0["GroupsQuota"] == 300
    assert s0["GroupsPerUserQuota"] == 10
    assert s0["AccountMFAEnabled"] == 0
    # The root user signs with access keys here, and AWS reports root access keys as present.
    assert s0["AccountAccessKeysPresent"] == 1
    for k in ("Users", "Groups", "MFADevices", "MFADevicesInUse"):
        assert isinstance(s0[k], int), k

    user, group = unique("sum-u"), unique("sum-g")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("sum-mfa"))["VirtualMFADevice"]
    s1 = iam.get_account_summary()["SummaryMap"]
    assert s1["Users"] == s0["Users"] + 1
    assert s1["Groups"] == s0["Groups"] + 1
    assert s1["MFADevices"] == s0["MFADevices"] + 1
    assert s1["MFADevicesInUse"] == s0["MFADevicesInUse"]

    c1, c2 = two_consecutive_codes(dev["Base32StringSeed"])
    iam.enable_mfa_device(UserName=user, SerialNumber=dev["SerialNumber"], AuthenticationCode1=c1, AuthenticationCode2=c2)
    s2 = iam.get_account_summary()["SummaryMap"]
    assert s2["MFADevicesInUse"] == s0["MFADevicesInUse"] + 1

    iam.deactivate_mfa_device(UserName=user, SerialNumber=dev["SerialNumber"])
    iam.delete_virtual_mfa_device(SerialNumber=dev["SerialNumber"])
    iam.delete_user(UserName=user)
    iam.delete_group(GroupName=group)
    s3 = iam.get_account_summary()["SummaryMap"]
    for k in ("Users", "Groups", "MFADevices", "MFADevicesInUse"):
        assert s3[k] == s0[k], k


def test_cli_account(aws, iam):
    for a in aliases(iam):
        iam.delete_account_alias(AccountAlias=a)
    alias = unique("cli-alias")
    rc, _, err = aws("iam", "create-account-alias", "--account-alias", alias)
    assert rc == 0, err
    rc, out, err = aws("iam", "list-account-aliases")
    assert rc == 0, err
    assert out["AccountAliases"] == [alias]
    res = aws("iam", "create-account-alias", "--account-alias", "Bad_Alias")
    assert_cli_error(res, "ValidationError", "CreateAccountAlias")
    rc, _, err = aws("iam", "delete-account-alias", "--account-alias", alias)
    assert rc == 0, err
    assert aliases(iam) == []

    before = iam.get_account_summary()["SummaryMap"]["Users"]
    iam.create_user(UserName=unique("cli-sum"))
    rc, out, err = aws("iam", "get-account-summary")
    assert rc == 0, err
    assert out["SummaryMap"]["Users"] == before + 1
    assert out["SummaryMap"]["AccessKeysPerUserQuota"] == 2
