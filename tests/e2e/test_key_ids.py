"""Access key ids in AWS's layout (issue 15, part 1).

AWS documents only the prefix (AKIA long-term, ASIA temporary). The account in the rest is
public research, decoded here independently of warden's Rust code, as the sources give it:
Tal Be'ery, "A short note on AWS KEY ID" (base32-decode the 16 characters after the prefix,
take the first 6 bytes, mask 0x7fffffffff80, shift right by 7); Aidan Steele, "AWS Access Key
ID formats" (GetAccessKeyInfo answered 609629065308 for ASIAY34FZKBOKMUTVV7A); WithSecure Labs,
"A bitwise analysis of AWS access key identifiers" (the first bit after the prefix is 1 in
new-generation ids, which alone carry the account). Citations in crates/warden-core/src/iam/keys.rs.
"""

from __future__ import annotations

import base64
import re

import pytest

from e2e_util import (
    ACCOUNT_ID,
    ROOT,
    Creds,
    create_user_with_key,
    make_client,
    raises_aws,
    unique,
)

AWS_KEY_ID = re.compile(r"^(AKIA|ASIA)[A-Z2-7]{16}$")
TRUST_ACCOUNT = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    f'"Principal":{{"AWS":"arn:aws:iam::{ACCOUNT_ID}:root"}},"Action":"sts:AssumeRole"}}]}}'
)


def account_of(key_id: str) -> str:
    """Tal Be'ery's published decoding."""
    x = base64.b32decode(key_id[4:])
    z = int.from_bytes(x[0:6], byteorder="big")
    return "{:012d}".format((z & 0x7FFFFFFFFF80) >> 7)


def new_generation(key_id: str) -> bool:
    return base64.b32decode(key_id[4:])[0] & 0x80 != 0


def assert_aws_layout(key_id: str, prefix: str, account: str) -> None:
    assert AWS_KEY_ID.match(key_id) and key_id.startswith(prefix), key_id
    assert new_generation(key_id), key_id
    assert account_of(key_id) == account, key_id


def test_the_published_decoding_reads_the_published_example():
    # The test's own decoder against the sources' example, so the assertions below mean what
    # they say.
    assert account_of("ASIAY34FZKBOKMUTVV7A") == "609629065308"


def test_every_key_warden_issues_carries_its_account(server, iam, sts):
    user, creds = create_user_with_key(iam)
    assert_aws_layout(creds.access_key_id, "AKIA", ACCOUNT_ID)
    # The root user's own keys (CreateAccessKey without a user name).
    root_key = iam.create_access_key()["AccessKey"]
    try:
        assert_aws_layout(root_key["AccessKeyId"], "AKIA", ACCOUNT_ID)
    finally:
        iam.delete_access_key(AccessKeyId=root_key["AccessKeyId"])
    # Temporary keys: GetSessionToken and AssumeRole.
    temp = make_client("sts", server.url, creds).get_session_token()["Credentials"]
    assert_aws_layout(temp["AccessKeyId"], "ASIA", ACCOUNT_ID)
    role = iam.create_role(RoleName=unique("kid-role"), AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]
    iam.put_user_policy(
        UserName=user["UserName"],
        PolicyName="assume",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}',
    )
    assumed = make_client("sts", server.url, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="kid")
    assert_aws_layout(assumed["Credentials"]["AccessKeyId"], "ASIA", ACCOUNT_ID)
    # GetAccessKeyInfo answers for each, the temporary ones included (warden keeps no record
    # of them: the id itself names the account).
    for key_id in (creds.access_key_id, temp["AccessKeyId"], assumed["Credentials"]["AccessKeyId"]):
        assert sts.get_access_key_info(AccessKeyId=key_id)["Account"] == ACCOUNT_ID
    # Two keys differ.
    other = iam.create_access_key(UserName=user["UserName"])["AccessKey"]["AccessKeyId"]
    assert other != creds.access_key_id and account_of(other) == ACCOUNT_ID


def test_keys_of_another_account_carry_that_account(warden_factory):
    w = warden_factory(account_id="111122223333")
    iam = w.client("iam")
    iam.create_user(UserName="kid-user")
    k = iam.create_access_key(UserName="kid-user")["AccessKey"]
    assert_aws_layout(k["AccessKeyId"], "AKIA", "111122223333")
    creds = Creds(k["AccessKeyId"], k["SecretAccessKey"])
    temp = make_client("sts", w.url, creds).get_session_token()["Credentials"]
    assert_aws_layout(temp["AccessKeyId"], "ASIA", "111122223333")
    assert w.client("sts").get_access_key_info(AccessKeyId=temp["AccessKeyId"])["Account"] == "111122223333"


@pytest.mark.parametrize(
    "key_id, account",
    [
        # Aidan Steele's example and its account, as GetAccessKeyInfo answered on AWS.
        ("ASIAY34FZKBOKMUTVV7A", "609629065308"),
        # The last characters carry no account (Aidan Steele: "I could completely change
        # keyid[13:20]"), and the prefix only says long-term or temporary.
        ("AKIAY34FZKBOKAAAAAAA", "609629065308"),
        ("AKIAY34FZKBOK7777777", "609629065308"),
    ],
)
def test_get_access_key_info_reads_keys_warden_never_issued(sts, key_id, account):
    assert sts.get_access_key_info(AccessKeyId=key_id)["Account"] == account


@pytest.mark.parametrize(
    "key_id",
    [
        # Old generation (the first bit after the prefix is 0), AWS's documentation example:
        # no account can be read from it, and warden holds no such key.
        "AKIAIOSFODNN7EXAMPLE",
        # Not base32 (0, 1, 8, 9 never occur), lower case, another prefix, another length.
        "AKIAY34FZKBOKMUTVV70",
        "asiay34fzkbokmutvv7a",
        "ABIAY34FZKBOKMUTVV7A",
        "ASIAY34FZKBOKMUTVV7AA",
        "ASIAY34FZKBOKMUTVV7",
    ],
)
def test_get_access_key_info_refuses_ids_that_name_no_account(sts, key_id):
    with raises_aws(
        "InvalidParameterValue",
        f"The access key ID {key_id} is not valid or does not belong to a known account.",
        400,
    ):
        sts.get_access_key_info(AccessKeyId=key_id)


def test_stored_keys_of_another_layout_keep_working(server, sts):
    # The configured root key predates the layout and is not in it: it is looked up, not
    # decoded, and still signs.
    assert not AWS_KEY_ID.match(ROOT.access_key_id) or not new_generation(ROOT.access_key_id)
    assert sts.get_access_key_info(AccessKeyId=ROOT.access_key_id)["Account"] == ACCOUNT_ID
    assert sts.get_caller_identity()["Account"] == ACCOUNT_ID
