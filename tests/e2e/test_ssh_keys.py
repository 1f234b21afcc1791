"""IAM SSH public keys (issue 15): UploadSSHPublicKey, GetSSHPublicKey, ListSSHPublicKeys,
UpdateSSHPublicKey, DeleteSSHPublicKey through the real binary, boto3 and the aws CLI.

Recorded AWS answers these tests assert:
  * LocalStack's AWS-validated snapshot suite, tests/aws/services/iam/
    test_iam_ssh_public_keys.snapshot.json (recorded 13-02-2026): the shapes of Upload/Get
    (UserName, SSHPublicKeyId, Fingerprint, SSHPublicKeyBody, Status Active, UploadDate), List
    (metadata only, no body or fingerprint), Update to Inactive, and the NoSuchEntity answer for
    an unknown key id on Get/Update/Delete: 404, "The Public Key with id ID cannot be found.";
  * moto's tests/test_iam/test_iam.py (test_upload_ssh_public_key): the id is 20 characters and
    starts with APKA;
  * the UnrecognizedPublicKeyEncoding text "Invalid public key uploaded." as AWS answered it to a
    CodeCommit user (MoriTanosuke, 2015, "Creating a Git repository on Amazon CodeCommit");
  * statuses from botocore's IAM model (DuplicateSSHPublicKey, InvalidPublicKey and
    UnrecognizedPublicKeyEncoding 400, LimitExceeded and DeleteConflict 409).
Not recorded anywhere we could find, so warden's choices (docs in crates/warden-core/src/iam/
ssh_keys.rs): the texts of InvalidPublicKey, DuplicateSSHPublicKey and the LimitExceeded quota
("Cannot exceed quota for SSHPublicKeysPerUser: 5", AccessKeysPerUser's recorded pattern), and
the fingerprint's input: MD5 of the DER SubjectPublicKeyInfo, checked here against OpenSSH's
own PKCS8 export.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import shutil
import struct
import subprocess

import pytest

from e2e_util import (
    ACCOUNT_ID,
    access_denied_messages,
    assert_cli_error,
    create_user_with_key,
    deny,
    grant,
    make_client,
    policy_doc,
    raises_aws,
    unique,
    user_resource_forms,
)

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen (openssh-client)")

UNRECOGNIZED = "Invalid public key uploaded."


def missing_text(key_id: str) -> str:
    return f"The Public Key with id {key_id} cannot be found."


def keygen(tmp_path, bits: int = 2048) -> tuple[str, str]:
    """A real RSA key made by OpenSSH: (the ssh-rsa line, its PKCS8 PEM export)."""
    path = tmp_path / unique("k")
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", str(bits), "-N", "", "-C", "e2e@warden", "-f", str(path)], check=True)
    pub = (path.parent / (path.name + ".pub")).read_text().strip()
    pem = subprocess.run(
        ["ssh-keygen", "-e", "-m", "PKCS8", "-f", str(path) + ".pub"], check=True, capture_output=True, text=True
    ).stdout
    return pub, pem


def der_md5(pem: str) -> str:
    """MD5 of the DER inside a PEM, colon-separated (`openssl md5 -c` style)."""
    der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
    return ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())


def fabricated_ssh_rsa(bits: int = 2048) -> str:
    """A well-formed ssh-rsa line with a random modulus of `bits` bits (for counting, not crypto)."""
    n = secrets.randbits(bits) | (1 << (bits - 1)) | 1
    nb = n.to_bytes(bits // 8, "big")
    mp = lambda b: struct.pack(">I", len(b) + (b[0] >> 7)) + (b"\0" if b[0] >> 7 else b"") + b
    blob = struct.pack(">I", 7) + b"ssh-rsa" + mp(b"\x01\x00\x01") + mp(nb)
    return "ssh-rsa " + base64.b64encode(blob).decode()


def test_upload_get_list_update_delete_boto3(iam, tmp_path):
    name = unique("ssh")
    iam.create_user(UserName=name)
    pub, pem = keygen(tmp_path)

    # Empty list first (recorded "list-empty").
    empty = iam.list_ssh_public_keys(UserName=name)
    assert empty["SSHPublicKeys"] == [] and empty["IsTruncated"] is False

    up = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=pub)["SSHPublicKey"]
    assert set(up) == {"UserName", "SSHPublicKeyId", "Fingerprint", "SSHPublicKeyBody", "Status", "UploadDate"}
    key_id = up["SSHPublicKeyId"]
    assert len(key_id) == 20 and key_id.startswith("APKA") and key_id.isalnum()
    assert (up["UserName"], up["Status"], up["SSHPublicKeyBody"]) == (name, "Active", pub)
    assert up["Fingerprint"] == der_md5(pem)

    got = iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"]
    assert got == up

    # PEM: the same key as OpenSSH exports it.
    as_pem = iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="PEM")["SSHPublicKey"]
    assert as_pem["SSHPublicKeyBody"] == pem
    assert as_pem["Fingerprint"] == up["Fingerprint"]

    listed = iam.list_ssh_public_keys(UserName=name)
    assert listed["IsTruncated"] is False
    assert listed["SSHPublicKeys"] == [
        {"UserName": name, "SSHPublicKeyId": key_id, "Status": "Active", "UploadDate": up["UploadDate"]}
    ]

    iam.update_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Status="Inactive")
    assert iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"]["Status"] == "Inactive"

    iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=key_id)
    assert iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"] == []
    iam.delete_user(UserName=name)


def test_a_pem_upload_reads_back_as_ssh_rsa(iam, tmp_path):
    name = unique("ssh")
    iam.create_user(UserName=name)
    pub, pem = keygen(tmp_path)
    up = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=pem)["SSHPublicKey"]
    assert up["SSHPublicKeyBody"] == pem and up["Fingerprint"] == der_md5(pem)
    as_ssh = iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=up["SSHPublicKeyId"], Encoding="SSH")
    # OpenSSH's line without its comment.
    assert as_ssh["SSHPublicKey"]["SSHPublicKeyBody"] == " ".join(pub.split()[:2])


def test_unknown_key_ids_are_no_such_entity(iam):
    """Recorded: get-not-found, update-not-found, delete-not-found (404, same text)."""
    name = unique("ssh")
    iam.create_user(UserName=name)
    missing = "APKAXXXXXXXXXXXXXXXXX"
    with raises_aws("NoSuchEntity", missing_text(missing), 404):
        iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=missing, Encoding="SSH")
    with raises_aws("NoSuchEntity", missing_text(missing), 404):
        iam.update_ssh_public_key(UserName=name, SSHPublicKeyId=missing, Status="Inactive")
    with raises_aws("NoSuchEntity", missing_text(missing), 404):
        iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=missing)


def test_a_key_of_another_user_is_not_found_and_users_must_exist(iam, tmp_path):
    owner, other = unique("ssh"), unique("ssh")
    iam.create_user(UserName=owner)
    iam.create_user(UserName=other)
    pub, _ = keygen(tmp_path)
    key_id = iam.upload_ssh_public_key(UserName=owner, SSHPublicKeyBody=pub)["SSHPublicKey"]["SSHPublicKeyId"]
    with raises_aws("NoSuchEntity", missing_text(key_id), 404):
        iam.get_ssh_public_key(UserName=other, SSHPublicKeyId=key_id, Encoding="SSH")
    with raises_aws("NoSuchEntity", missing_text(key_id), 404):
        iam.delete_ssh_public_key(UserName=other, SSHPublicKeyId=key_id)
    # The same key may belong to another user too: the duplicate rule is per user.
    iam.upload_ssh_public_key(UserName=other, SSHPublicKeyBody=pub)

    ghost = unique("ghost")
    with raises_aws("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404):
        iam.upload_ssh_public_key(UserName=ghost, SSHPublicKeyBody=pub)
    with raises_aws("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404):
        iam.list_ssh_public_keys(UserName=ghost)


@pytest.mark.parametrize(
    "body",
    [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzvfE+qS09w+okgrO0gY7jryF0lSCxdEO/O0UaUhuZe e2e@warden",
        "ssh-dss AAAAB3NzaC1kc3MAAACBAP e2e@warden",
        "this is not a key at all",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ],
    ids=["ed25519", "dsa", "text", "certificate"],
)
def test_encodings_other_than_ssh_rsa_and_pem_are_unrecognized(iam, body):
    name = unique("ssh")
    iam.create_user(UserName=name)
    with raises_aws("UnrecognizedPublicKeyEncoding", UNRECOGNIZED, 400):
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=body)
    assert iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"] == []


def test_broken_or_short_rsa_keys_are_invalid(iam, tmp_path):
    name = unique("ssh")
    iam.create_user(UserName=name)
    for body in ("ssh-rsa not-base64!", "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n"):
        with raises_aws("InvalidPublicKey", "The public key is malformed or otherwise invalid.", 400):
            iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=body)
    short, _ = keygen(tmp_path, bits=1024)
    with raises_aws("InvalidPublicKey", "The minimum bit-length of the public key is 2048 bits.", 400):
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=short)
    # The control: 2048 bits is enough.
    iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=fabricated_ssh_rsa(2048))


def test_the_same_key_twice_is_a_duplicate_in_either_encoding(iam, tmp_path):
    name = unique("ssh")
    iam.create_user(UserName=name)
    pub, pem = keygen(tmp_path)
    iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=pub)
    for body in (pub, pem):
        with raises_aws(
            "DuplicateSSHPublicKey", "The SSH public key is already associated with the specified IAM user.", 400
        ):
            iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=body)


def test_five_keys_per_user(iam):
    name = unique("ssh")
    iam.create_user(UserName=name)
    ids = [
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=fabricated_ssh_rsa())["SSHPublicKey"]["SSHPublicKeyId"]
        for _ in range(5)
    ]
    with raises_aws("LimitExceeded", "Cannot exceed quota for SSHPublicKeysPerUser: 5", 409):
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=fabricated_ssh_rsa())
    # Listed in key id order, and paged.
    listed = [k["SSHPublicKeyId"] for k in iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"]]
    assert listed == sorted(ids)
    first = iam.list_ssh_public_keys(UserName=name, MaxItems=3)
    assert first["IsTruncated"] is True
    rest = iam.list_ssh_public_keys(UserName=name, Marker=first["Marker"])
    assert [k["SSHPublicKeyId"] for k in first["SSHPublicKeys"] + rest["SSHPublicKeys"]] == sorted(ids)
    # The control: after a delete there is room again.
    iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=ids[0])
    iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=fabricated_ssh_rsa())


def test_delete_user_is_refused_while_it_holds_ssh_keys(iam):
    name = unique("ssh")
    iam.create_user(UserName=name)
    key_id = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=fabricated_ssh_rsa())["SSHPublicKey"]["SSHPublicKeyId"]
    with raises_aws("DeleteConflict", "Cannot delete entity, must remove referenced objects first.", 409):
        iam.delete_user(UserName=name)
    # The control: without the key the user goes.
    iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=key_id)
    iam.delete_user(UserName=name)


def test_a_renamed_user_keeps_its_keys(iam):
    name, new = unique("ssh"), unique("ssh")
    iam.create_user(UserName=name)
    key_id = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=fabricated_ssh_rsa())["SSHPublicKey"]["SSHPublicKeyId"]
    iam.update_user(UserName=name, NewUserName=new)
    listed = iam.list_ssh_public_keys(UserName=new)["SSHPublicKeys"]
    assert [(k["SSHPublicKeyId"], k["UserName"]) for k in listed] == [(key_id, new)]


def test_a_user_lists_its_own_keys_without_naming_itself(server, iam):
    user, creds = create_user_with_key(iam)
    key_id = iam.upload_ssh_public_key(UserName=user["UserName"], SSHPublicKeyBody=fabricated_ssh_rsa())["SSHPublicKey"]["SSHPublicKeyId"]
    grant(iam, user["UserName"], ["iam:ListSSHPublicKeys"], user["Arn"])
    own = make_client("iam", server.url, creds).list_ssh_public_keys()["SSHPublicKeys"]
    assert [k["SSHPublicKeyId"] for k in own] == [key_id]


ACTIONS = {
    "iam:UploadSSHPublicKey": lambda c, u, k: c.upload_ssh_public_key(UserName=u, SSHPublicKeyBody=fabricated_ssh_rsa()),
    "iam:GetSSHPublicKey": lambda c, u, k: c.get_ssh_public_key(UserName=u, SSHPublicKeyId=k, Encoding="SSH"),
    "iam:ListSSHPublicKeys": lambda c, u, k: c.list_ssh_public_keys(UserName=u),
    "iam:UpdateSSHPublicKey": lambda c, u, k: c.update_ssh_public_key(UserName=u, SSHPublicKeyId=k, Status="Inactive"),
    "iam:DeleteSSHPublicKey": lambda c, u, k: c.delete_ssh_public_key(UserName=u, SSHPublicKeyId=k),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_operation_is_denied_without_its_action_and_allowed_with_it(server, iam, action):
    caller, creds = create_user_with_key(iam)
    target = unique("ssh")
    target_arn = iam.create_user(UserName=target)["User"]["Arn"]
    key_id = iam.upload_ssh_public_key(UserName=target, SSHPublicKeyBody=fabricated_ssh_rsa())["SSHPublicKey"]["SSHPublicKeyId"]
    client = make_client("iam", server.url, creds)
    call = ACTIONS[action]
    with raises_aws(
        "AccessDenied", status=403, message_in=access_denied_messages(caller["Arn"], action, *user_resource_forms(target_arn))
    ):
        call(client, target, key_id)
    # Granted on another user's ARN only: still denied.
    grant(iam, caller["UserName"], [action], f"arn:aws:iam::{ACCOUNT_ID}:user/someone-else")
    with raises_aws("AccessDenied", status=403):
        call(client, target, key_id)
    # The control: granted on the target user.
    grant(iam, caller["UserName"], [action], target_arn)
    call(client, target, key_id)


def test_an_explicit_deny_wins_over_an_allow(server, iam):
    caller, creds = create_user_with_key(iam)
    target = unique("ssh")
    target_arn = iam.create_user(UserName=target)["User"]["Arn"]
    iam.put_user_policy(
        UserName=caller["UserName"],
        PolicyName="ssh",
        PolicyDocument=policy_doc({"Effect": "Allow", "Action": "iam:*SSHPublicKey*", "Resource": "*"}, deny("iam:UploadSSHPublicKey", target_arn)),
    )
    client = make_client("iam", server.url, creds)
    with raises_aws("AccessDenied", status=403) as e:
        client.upload_ssh_public_key(UserName=target, SSHPublicKeyBody=fabricated_ssh_rsa())
    assert "with an explicit deny in an identity-based policy" in e["message"]
    # The control: the allow still serves the operations not denied.
    assert client.list_ssh_public_keys(UserName=target)["SSHPublicKeys"] == []


def test_upload_and_get_with_the_aws_cli(iam, aws, tmp_path):
    name = unique("ssh")
    iam.create_user(UserName=name)
    pub, pem = keygen(tmp_path)
    rc, out, err = aws("iam", "upload-ssh-public-key", "--user-name", name, "--ssh-public-key-body", pub)
    assert rc == 0, err
    key = out["SSHPublicKey"]
    assert key["SSHPublicKeyBody"] == pub and key["Fingerprint"] == der_md5(pem) and key["Status"] == "Active"

    rc, out, err = aws("iam", "get-ssh-public-key", "--user-name", name, "--ssh-public-key-id", key["SSHPublicKeyId"], "--encoding", "PEM")
    assert rc == 0, err
    assert out["SSHPublicKey"]["SSHPublicKeyBody"] == pem

    missing = "APKAXXXXXXXXXXXXXXXXX"
    res = aws("iam", "get-ssh-public-key", "--user-name", name, "--ssh-public-key-id", missing, "--encoding", "SSH")
    assert_cli_error(res, "NoSuchEntity", "GetSSHPublicKey", missing_text(missing))
