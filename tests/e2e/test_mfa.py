"""Virtual MFA: CreateVirtualMFADevice, EnableMFADevice (two consecutive TOTP codes),
ListMFADevices, ListVirtualMFADevices, ResyncMFADevice, DeactivateMFADevice,
DeleteVirtualMFADevice, GetMFADevice, TagMFADevice, UntagMFADevice.

AWS texts: LocalStack's AWS-recorded test_iam_mfa.snapshot.json; statuses from botocore's
IAM model (InvalidAuthenticationCode 403, DeleteConflict 409, EntityAlreadyExists 409).
TOTP codes are computed here with hmac/hashlib (RFC 6238, SHA-1, 30 s, 6 digits).
"""

from __future__ import annotations

import base64
import re
import time

from e2e_util import (
    ACCOUNT_ID,
    assert_cli_error,
    create_user_with_key,
    grant,
    hotp,
    make_client,
    raises_aws,
    totp,
    two_consecutive_codes,
    unique,
    wait_next_window,
)

B32_RE = re.compile(rb"^[A-Z2-7]+=*$")
BAD_PATH = (
    "The specified value for path is invalid. It must begin and end with / and contain only "
    "alphanumeric characters and/or / characters."
)


def serial(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:mfa{path}{name}"


def wrong_codes(seed) -> tuple[str, str]:
    """Two valid-looking codes that are certainly not the device's codes for now +/- a few windows."""
    key = base64.b32decode(seed + b"=" * (-len(seed) % 8))
    near = {hotp(key, int(time.time() // 30) + d) for d in range(-10, 11)}
    bad = [c for c in (f"{i:06d}" for i in range(100000, 100100)) if c not in near]
    return bad[0], bad[1]


def test_create_virtual_mfa_device_shape(iam):
    name = unique("mfa")
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    assert d["SerialNumber"] == serial(name)
    seed = d["Base32StringSeed"]
    assert isinstance(seed, bytes) and B32_RE.match(seed), seed
    assert len(base64.b32decode(seed + b"=" * (-len(seed) % 8))) >= 10  # at least 80 bits
    png = d["QRCodePNG"]
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n")
    listed = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert {"SerialNumber": d["SerialNumber"]} in listed
    # Two devices get different seeds.
    d2 = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    assert d2["Base32StringSeed"] != seed


def test_create_virtual_mfa_device_with_path(iam):
    name = unique("mfa-p")
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Path="/test-path/")["VirtualMFADevice"]
    assert d["SerialNumber"] == serial(name, "/test-path/")
    iam.delete_virtual_mfa_device(SerialNumber=d["SerialNumber"])
    assert d["SerialNumber"] not in [x["SerialNumber"] for x in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]


def test_create_virtual_mfa_device_errors(iam):
    name = unique("mfa-e")
    iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    with raises_aws("EntityAlreadyExists", "MFA device already exists.", 409):
        iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    with raises_aws("ValidationError", BAD_PATH, 400):
        iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("m"), Path="invalid-path/")
    with raises_aws("ValidationError", BAD_PATH, 400):
        iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("m"), Path="/invalid-path")
    missing = serial("nonexistent-device")
    with raises_aws("NoSuchEntity", f"MFA Device with serial number {missing} does not exist.", 404):
        iam.delete_virtual_mfa_device(SerialNumber=missing)


def test_enable_list_deactivate_delete(iam):
    user = unique("mfa-user")
    u = iam.create_user(UserName=user)["User"]
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    sn = d["SerialNumber"]
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    c1, c2 = two_consecutive_codes(d["Base32StringSeed"])
    assert iam.enable_mfa_device(UserName=user, SerialNumber=sn, AuthenticationCode1=c1, AuthenticationCode2=c2)[
        "ResponseMetadata"
    ]["HTTPStatusCode"] == 200

    listed = iam.list_mfa_devices(UserName=user)
    assert listed["IsTruncated"] is False
    assert [(m["UserName"], m["SerialNumber"]) for m in listed["MFADevices"]] == [(user, sn)]
    assert "EnableDate" in listed["MFADevices"][0]

    assigned = [x for x in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"] if x["SerialNumber"] == sn]
    assert len(assigned) == 1
    assert assigned[0]["User"]["UserName"] == user
    assert assigned[0]["User"]["UserId"] == u["UserId"]
    assert assigned[0]["User"]["Arn"] == u["Arn"]
    assert "EnableDate" in assigned[0]
    assert sn not in [x["SerialNumber"] for x in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]]
    assert sn in [x["SerialNumber"] for x in iam.list_virtual_mfa_devices(AssignmentStatus="Any")["VirtualMFADevices"]]

    # Cannot delete a device that is still assigned.
    with raises_aws("DeleteConflict", status=409):
        iam.delete_virtual_mfa_device(SerialNumber=sn)

    iam.deactivate_mfa_device(UserName=user, SerialNumber=sn)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    assert sn not in [x["SerialNumber"] for x in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]]
    assert sn in [x["SerialNumber"] for x in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]]

    iam.delete_virtual_mfa_device(SerialNumber=sn)
    assert sn not in [x["SerialNumber"] for x in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]


def test_enable_with_wrong_codes(iam):
    user = unique("mfa-bad")
    iam.create_user(UserName=user)
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    b1, b2 = wrong_codes(d["Base32StringSeed"])
    with raises_aws("InvalidAuthenticationCode", status=403):
        iam.enable_mfa_device(UserName=user, SerialNumber=d["SerialNumber"], AuthenticationCode1=b1, AuthenticationCode2=b2)
    # Two codes that are each valid but not consecutive (same code twice) are refused too.
    cur = totp(d["Base32StringSeed"])
    with raises_aws("InvalidAuthenticationCode", status=403):
        iam.enable_mfa_device(UserName=user, SerialNumber=d["SerialNumber"], AuthenticationCode1=cur, AuthenticationCode2=cur)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    assert d["SerialNumber"] in [
        x["SerialNumber"] for x in iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    ]


def test_enable_errors(iam):
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    c1, c2 = two_consecutive_codes(d["Base32StringSeed"])
    with raises_aws("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404):
        iam.enable_mfa_device(
            UserName="nonexistent-user", SerialNumber=d["SerialNumber"], AuthenticationCode1=c1, AuthenticationCode2=c2
        )
    with raises_aws("NoSuchEntity", "The user with name nonexistent-user cannot be found.", 404):
        iam.deactivate_mfa_device(UserName="nonexistent-user", SerialNumber=d["SerialNumber"])
    user = unique("mfa-u")
    iam.create_user(UserName=user)
    missing = serial("nonexistent-mfa")
    with raises_aws("NoSuchEntity", f"MFA Device with serial number {missing} does not exist.", 404):
        iam.deactivate_mfa_device(UserName=user, SerialNumber=missing)


def test_device_in_use_by_another_user(iam):
    a, b = unique("mfa-a"), unique("mfa-b")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    c1, c2 = two_consecutive_codes(d["Base32StringSeed"])
    iam.enable_mfa_device(UserName=a, SerialNumber=d["SerialNumber"], AuthenticationCode1=c1, AuthenticationCode2=c2)
    with raises_aws("EntityAlreadyExists", "MFA Device is already in use.", 409):
        iam.enable_mfa_device(UserName=b, SerialNumber=d["SerialNumber"], AuthenticationCode1=c1, AuthenticationCode2=c2)
    assert iam.list_mfa_devices(UserName=b)["MFADevices"] == []
    assert [m["SerialNumber"] for m in iam.list_mfa_devices(UserName=a)["MFADevices"]] == [d["SerialNumber"]]


def test_resync(iam):
    user = unique("mfa-rs")
    iam.create_user(UserName=user)
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    seed, sn = d["Base32StringSeed"], d["SerialNumber"]
    c1, c2 = two_consecutive_codes(seed)
    iam.enable_mfa_device(UserName=user, SerialNumber=sn, AuthenticationCode1=c1, AuthenticationCode2=c2)
    b1, b2 = wrong_codes(seed)
    with raises_aws("InvalidAuthenticationCode", status=403):
        iam.resync_mfa_device(UserName=user, SerialNumber=sn, AuthenticationCode1=b1, AuthenticationCode2=b2)
    # A person reads the current code, waits for the next one and types both: fresh windows only,
    # since the ones used to enable the device are spent.
    wait_next_window()
    now = time.time()
    r1, r2 = totp(seed, now), totp(seed, now + 30)
    resp = iam.resync_mfa_device(UserName=user, SerialNumber=sn, AuthenticationCode1=r1, AuthenticationCode2=r2)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [m["SerialNumber"] for m in iam.list_mfa_devices(UserName=user)["MFADevices"]] == [sn]


def test_cli_mfa(aws, iam, tmp_path):
    user = unique("cli-mfa")
    iam.create_user(UserName=user)
    name = unique("cli-dev")
    seed_file = tmp_path / "seed.txt"
    rc, out, err = aws(
        "iam",
        "create-virtual-mfa-device",
        "--virtual-mfa-device-name",
        name,
        "--outfile",
        str(seed_file),
        "--bootstrap-method",
        "Base32StringSeed",
    )
    assert rc == 0, err
    sn = out["VirtualMFADevice"]["SerialNumber"]
    assert sn == serial(name)
    seed = seed_file.read_bytes().strip()
    assert B32_RE.match(seed), seed

    png_file = tmp_path / "qr.png"
    rc, out, err = aws(
        "iam",
        "create-virtual-mfa-device",
        "--virtual-mfa-device-name",
        unique("cli-dev-qr"),
        "--outfile",
        str(png_file),
        "--bootstrap-method",
        "QRCodePNG",
    )
    assert rc == 0, err
    assert png_file.read_bytes().startswith(b"\x89PNG")

    b1, b2 = wrong_codes(seed)
    res = aws("iam", "enable-mfa-device", "--user-name", user, "--serial-number", sn,
              "--authentication-code1", b1, "--authentication-code2", b2)
    assert_cli_error(res, "InvalidAuthenticationCode", "EnableMFADevice")

    c1, c2 = two_consecutive_codes(seed)
    rc, _, err = aws("iam", "enable-mfa-device", "--user-name", user, "--serial-number", sn,
                     "--authentication-code1", c1, "--authentication-code2", c2)
    assert rc == 0, err
    rc, out, err = aws("iam", "list-mfa-devices", "--user-name", user)
    assert rc == 0, err
    assert [m["SerialNumber"] for m in out["MFADevices"]] == [sn]
    rc, out, err = aws("iam", "list-virtual-mfa-devices", "--assignment-status", "Assigned")
    assert rc == 0, err
    assert sn in [x["SerialNumber"] for x in out["VirtualMFADevices"]]
    res = aws("iam", "delete-virtual-mfa-device", "--serial-number", sn)
    assert_cli_error(res, "DeleteConflict", "DeleteVirtualMFADevice")
    rc, _, err = aws("iam", "deactivate-mfa-device", "--user-name", user, "--serial-number", sn)
    assert rc == 0, err
    rc, _, err = aws("iam", "delete-virtual-mfa-device", "--serial-number", sn)
    assert rc == 0, err
    assert sn not in [x["SerialNumber"] for x in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]


# GetMFADevice (issue 15). No emulator recorded an AWS answer for a virtual device (botocore's
# model documents the operation for FIDO security keys); the shape asserted is the model's
# GetMFADeviceResponse: SerialNumber always, UserName and EnableDate once the device is enabled,
# Certifications only for certified (FIDO/FIPS) hardware, so never for a virtual device. The
# NoSuchEntity text is the one recorded for the other MFA operations (LocalStack's
# test_iam_mfa.snapshot.json, DeleteVirtualMFADevice), 404 from the model.


def test_get_mfa_device_boto3(iam):
    user = unique("mfa-user")
    iam.create_user(UserName=user)
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    sn = d["SerialNumber"]

    unassigned = iam.get_mfa_device(SerialNumber=sn)
    assert {k: v for k, v in unassigned.items() if k != "ResponseMetadata"} == {"SerialNumber": sn}

    c1, c2 = two_consecutive_codes(d["Base32StringSeed"])
    iam.enable_mfa_device(UserName=user, SerialNumber=sn, AuthenticationCode1=c1, AuthenticationCode2=c2)
    listed = iam.list_mfa_devices(UserName=user)["MFADevices"][0]
    for got in (iam.get_mfa_device(SerialNumber=sn), iam.get_mfa_device(SerialNumber=sn, UserName=user)):
        assert {k: v for k, v in got.items() if k != "ResponseMetadata"} == {
            "UserName": user,
            "SerialNumber": sn,
            "EnableDate": listed["EnableDate"],
        }


def test_get_mfa_device_errors_boto3(iam):
    missing = serial(unique("nonexistent"))
    with raises_aws("NoSuchEntity", f"MFA Device with serial number {missing} does not exist.", 404):
        iam.get_mfa_device(SerialNumber=missing)

    # A device the named user does not hold is not found for that user; the control: without
    # the user name it is found.
    other = unique("mfa-user")
    iam.create_user(UserName=other)
    sn = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]["SerialNumber"]
    with raises_aws("NoSuchEntity", f"MFA Device with serial number {sn} does not exist.", 404):
        iam.get_mfa_device(SerialNumber=sn, UserName=other)
    assert iam.get_mfa_device(SerialNumber=sn)["SerialNumber"] == sn

    ghost = unique("ghost")
    with raises_aws("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404):
        iam.get_mfa_device(SerialNumber=sn, UserName=ghost)


def test_get_mfa_device_is_denied_without_the_action_and_allowed_with_it(server, iam):
    """The action table authorizes it on the user it names, here the caller itself."""
    user, creds = create_user_with_key(iam)
    sn = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]["SerialNumber"]
    client = make_client("iam", server.url, creds)
    with raises_aws("AccessDenied", status=403, message_prefix=f"User: {user['Arn']} is not authorized to perform: iam:GetMFADevice"):
        client.get_mfa_device(SerialNumber=sn)
    # The control: granted, the same call answers.
    grant(iam, user["UserName"], ["iam:GetMFADevice"])
    assert client.get_mfa_device(SerialNumber=sn)["SerialNumber"] == sn


def test_get_mfa_device_cli(aws, iam):
    sn = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]["SerialNumber"]
    rc, out, err = aws("iam", "get-mfa-device", "--serial-number", sn)
    assert rc == 0, err
    assert out == {"SerialNumber": sn}
    missing = serial(unique("nonexistent"))
    res = aws("iam", "get-mfa-device", "--serial-number", missing)
    assert_cli_error(res, "NoSuchEntity", "GetMFADevice", f"MFA Device with serial number {missing} does not exist.")


# --------------------------------------------------------------------------------------
# TagMFADevice / UntagMFADevice
#
# No recording of these two operations was found (neither LocalStack's snapshots nor moto's
# tests have them); the tag rules and texts are IAM's, as recorded for roles and users
# (tests/e2e/test_roles.py: "Duplicate tag keys found. ...", the 50-tag and length
# ValidationErrors), and the unknown-device text is ListMFADeviceTags' (test_new_operation.py).
# --------------------------------------------------------------------------------------

DUP_TAGS = "Duplicate tag keys found. Please note that Tag keys are case insensitive."


def tag_map(iam, sn: str) -> dict:
    return {t["Key"]: t["Value"] for t in iam.list_mfa_device_tags(SerialNumber=sn)["Tags"]}


def test_tag_and_untag_mfa_device(iam):
    name = unique("mfatag")
    sn = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Tags=[{"Key": "team", "Value": "a"}])[
        "VirtualMFADevice"
    ]["SerialNumber"]
    iam.tag_mfa_device(SerialNumber=sn, Tags=[{"Key": "TEAM", "Value": "b"}, {"Key": "env", "Value": ""}])
    # A key given in another case replaces the value and keeps the first spelling, as for roles.
    assert tag_map(iam, sn) == {"team": "b", "env": ""}
    listed = [d for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"] if d["SerialNumber"] == sn]
    # "this operation does not return tags" (IAM API reference, ListVirtualMFADevices).
    assert "Tags" not in listed[0], listed
    iam.untag_mfa_device(SerialNumber=sn, TagKeys=["ENV", "never-there"])
    assert tag_map(iam, sn) == {"team": "b"}
    iam.untag_mfa_device(SerialNumber=sn, TagKeys=["team"])
    assert iam.list_mfa_device_tags(SerialNumber=sn)["Tags"] == []
    iam.delete_virtual_mfa_device(SerialNumber=sn)


def test_mfa_device_tag_errors(iam):
    sn = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfatagerr"))["VirtualMFADevice"]["SerialNumber"]
    with raises_aws("InvalidInput", DUP_TAGS, 400):
        iam.tag_mfa_device(SerialNumber=sn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    limit = "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less than or equal to {}"
    with raises_aws("ValidationError", limit.format("tags", 50), 400):
        iam.tag_mfa_device(SerialNumber=sn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    with raises_aws("ValidationError", limit.format("tags.1.member.key", 128), 400):
        iam.tag_mfa_device(SerialNumber=sn, Tags=[{"Key": "k" * 129, "Value": "v"}])
    # 50 fit; one more key, merged in, is over the quota.
    iam.tag_mfa_device(SerialNumber=sn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with raises_aws("LimitExceeded", "The number of tags has reached the maximum limit.", 409):
        iam.tag_mfa_device(SerialNumber=sn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert len(tag_map(iam, sn)) == 50 and "one-more" not in tag_map(iam, sn)
    missing = serial(unique("nomfa"))
    for call in (
        lambda: iam.tag_mfa_device(SerialNumber=missing, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: iam.untag_mfa_device(SerialNumber=missing, TagKeys=["k"]),
    ):
        with raises_aws("NoSuchEntity", f"MFA Device with serial number {missing} does not exist.", 404):
            call()
    iam.delete_virtual_mfa_device(SerialNumber=sn)


def test_mfa_device_tagging_needs_its_action(server, iam):
    user, creds = create_user_with_key(iam, unique("mfatagger"))
    me = make_client("iam", server.url, creds)
    sn = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfatagd"))["VirtualMFADevice"]["SerialNumber"]
    for action, call in (
        ("iam:TagMFADevice", lambda: me.tag_mfa_device(SerialNumber=sn, Tags=[{"Key": "k", "Value": "v"}])),
        ("iam:UntagMFADevice", lambda: me.untag_mfa_device(SerialNumber=sn, TagKeys=["k"])),
    ):
        msg = (
            f"User: {user['Arn']} is not authorized to perform: {action} on resource: {sn} "
            f"because no identity-based policy allows the {action} action"
        )
        with raises_aws("AccessDenied", msg, 403):
            call()
        # Control: granted on this device, the same call succeeds.
        grant(iam, user["UserName"], [action], resource=sn)
        call()
    assert iam.list_mfa_device_tags(SerialNumber=sn)["Tags"] == []
    iam.delete_virtual_mfa_device(SerialNumber=sn)


def test_cli_tag_mfa_device(iam, aws):
    sn = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfacli"))["VirtualMFADevice"]["SerialNumber"]
    res = aws("iam", "tag-mfa-device", "--serial-number", sn, "--tags", "Key=k,Value=v", "Key=x,Value=y")
    assert res.returncode == 0, res.stderr
    res = aws("iam", "untag-mfa-device", "--serial-number", sn, "--tag-keys", "x")
    assert res.returncode == 0, res.stderr
    assert tag_map(iam, sn) == {"k": "v"}
    bad = aws("iam", "tag-mfa-device", "--serial-number", sn, "--tags", "Key=a,Value=1", "Key=A,Value=2")
    assert_cli_error(bad, "InvalidInput", "TagMFADevice", DUP_TAGS)
    iam.delete_virtual_mfa_device(SerialNumber=sn)


def test_mfa_device_tags_survive_a_restart(warden_factory):
    w = warden_factory()
    iam = w.client("iam")
    sn = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfakeep"))["VirtualMFADevice"]["SerialNumber"]
    iam.tag_mfa_device(SerialNumber=sn, Tags=[{"Key": "kept", "Value": "yes"}])
    w.restart()
    assert tag_map(w.client("iam"), sn) == {"kept": "yes"}
