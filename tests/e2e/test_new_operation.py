"""ListMFADeviceTags: the worked example of adding an operation (one warden-core method, one
family function in warden-server/src/iam/mfa.rs, one routing line in iam/mod.rs).

Before, warden answered it NotImplemented. AWS texts: the NoSuchEntity message is the one
recorded for the other MFA operations on a missing serial number (LocalStack's AWS-recorded
test_iam_mfa.snapshot.json, DeleteVirtualMFADevice); status 404 from botocore's IAM model.
"""

from __future__ import annotations

from e2e_util import ACCOUNT_ID, assert_cli_error, raises_aws, unique


def serial(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:mfa/{name}"


def missing_text(sn: str) -> str:
    return f"MFA Device with serial number {sn} does not exist."


def test_list_mfa_device_tags_boto3(iam):
    name = unique("mfa")
    tags = [{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "prod"}, {"Key": "cost", "Value": "7"}]
    sn = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Tags=tags)["VirtualMFADevice"]["SerialNumber"]
    assert sn == serial(name)

    out = iam.list_mfa_device_tags(SerialNumber=sn)
    assert out["Tags"] == tags
    assert out["IsTruncated"] is False

    # Paged like the other List*Tags calls.
    first = iam.list_mfa_device_tags(SerialNumber=sn, MaxItems=2)
    assert first["Tags"] == tags[:2] and first["IsTruncated"] is True
    rest = iam.list_mfa_device_tags(SerialNumber=sn, Marker=first["Marker"])
    assert rest["Tags"] == tags[2:] and rest["IsTruncated"] is False

    # A device without tags lists none.
    bare = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]["SerialNumber"]
    assert iam.list_mfa_device_tags(SerialNumber=bare)["Tags"] == []


def test_list_mfa_device_tags_missing_device_boto3(iam):
    sn = serial(unique("nonexistent"))
    with raises_aws("NoSuchEntity", missing_text(sn), 404):
        iam.list_mfa_device_tags(SerialNumber=sn)


def test_list_mfa_device_tags_cli(iam, aws):
    name = unique("mfa")
    iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Tags=[{"Key": "team", "Value": "blue"}])
    rc, out, err = aws("iam", "list-mfa-device-tags", "--serial-number", serial(name))
    assert rc == 0, err
    assert out["Tags"] == [{"Key": "team", "Value": "blue"}]

    missing = serial(unique("nonexistent"))
    res = aws("iam", "list-mfa-device-tags", "--serial-number", missing)
    assert_cli_error(res, "NoSuchEntity", "ListMFADeviceTags", missing_text(missing))
