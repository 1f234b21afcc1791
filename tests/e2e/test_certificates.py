"""IAM server certificates (UploadServerCertificate, GetServerCertificate, ListServerCertificates,
UpdateServerCertificate, DeleteServerCertificate, TagServerCertificate, UntagServerCertificate,
ListServerCertificateTags) and signing certificates (UploadSigningCertificate,
ListSigningCertificates, UpdateSigningCertificate, DeleteSigningCertificate) through the real
binary, boto3 and the aws CLI. Certificates and keys are made at test time with the openssl CLI.

Recorded AWS answers these tests assert:
  * LocalStack's AWS-validated tests/aws/services/iam/resource_providers/test_iam.snapshot.json
    (test_server_certificate, recorded 10-02-2026): GetServerCertificate's shape (metadata with
    Arn, Expiration, Path, ServerCertificateId, ServerCertificateName, UploadDate; the body; Tags
    present and empty when untagged) and NoSuchEntity 404 "The Server Certificate with name N
    cannot be found." (also moto's tests/test_iam/test_iam_server_certificates.py);
  * moto's AWS-verified tests/test_iam/test_iam_signing_certificates.py: the signing certificate
    lifecycle (body echoed, Active, then Inactive), LimitExceeded "Cannot exceed quota for
    CertificatesPerUser: 2", NoSuchEntity "The Certificate with id X cannot be found." and "The
    user with name notauser cannot be found." (the user checked before the certificate), and
    MalformedCertificate for "notacert";
  * AWS's MalformedCertificate texts as users quoted them: "Unable to parse certificate. Please
    ensure the certificate is in PEM format." (sparanoid.com's "Amazon S3 x CloudFront" notes,
    for a body or a private key that is not PEM) and "Unable to validate certificate chain. The
    certificate chain must start with the immediate signing certificate, followed by any
    intermediaries in order. The index within the chain of the invalid certificate is: N"
    (go-acme/lego#304, mprahl/ansible-role-lets-encrypt-route-53#52; index 1 for a chain that
    starts with the server certificate itself, in the same notes);
  * the ServerCertificateId shape `ASCA` + 17 (the notes' `ASCAxxxxxxxxxxxxxxZ7S`, the API
    reference's `ASCACKCEVSQ6C2EXAMPLE`); statuses from botocore's model.
Warden's own wording where nothing is recorded (see crates/warden-core/src/iam/x509.rs and
certificates.rs): KeyPairMismatch's text, the texts for a certificate outside its validity and
an unsupported key, EntityAlreadyExists "The Server Certificate with name N already exists.",
the server certificate quota text "Cannot exceed quota for ServerCertificatesPerAccount: 20",
DuplicateCertificate's text, and the account id as the UserName of root's signing certificates.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from e2e_util import (
    ACCOUNT_ID,
    access_denied_message,
    access_denied_messages,
    assert_cli_error,
    create_user_with_key,
    grant,
    make_client,
    raises_aws,
    unique,
    user_resource_forms,
)

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")

UNPARSABLE = "Unable to parse certificate. Please ensure the certificate is in PEM format."
MISMATCH = "The private key does not match the public key of the certificate."
EXPIRED = "The certificate has expired."
NOT_YET_VALID = "The certificate is not yet valid."


def bad_chain(index: int) -> str:
    return (
        "Unable to validate certificate chain. The certificate chain must start with the immediate signing "
        "certificate, followed by any intermediaries in order. The index within the chain of the invalid "
        f"certificate is: {index}"
    )


def no_server_cert(name: str) -> str:
    return f"The Server Certificate with name {name} cannot be found."


def no_signing_cert(cert_id: str) -> str:
    return f"The Certificate with id {cert_id} cannot be found."


class Pki:
    """Certificates and keys made by openssl in a scratch directory."""

    def __init__(self, base: Path):
        self.base = base
        self.n = 0

    def _path(self, suffix: str) -> Path:
        self.n += 1
        return self.base / f"{self.n}{suffix}"

    def run(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run(["openssl", *args], check=True, capture_output=True, text=True, input=stdin).stdout

    def key(self, kind: str = "rsa:2048") -> str:
        """A private key: `rsa:BITS` (PKCS#8) or `ec:CURVE` (SEC1)."""
        algo, param = kind.split(":")
        if algo == "rsa":
            return self.run("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{param}")
        return self.run("ecparam", "-name", param, "-genkey", "-noout")

    def self_signed(self, key: str, cn: str | None = None, days: int = 30) -> str:
        k = self._path(".key")
        k.write_text(key)
        return self.run("req", "-x509", "-key", str(k), "-days", str(days), "-subj", f"/CN={cn or unique('cn')}")

    def signed_by(self, key: str, ca_cert: str, ca_key: str, cn: str) -> str:
        k, ck, cc = self._path(".key"), self._path(".key"), self._path(".pem")
        k.write_text(key)
        ck.write_text(ca_key)
        cc.write_text(ca_cert)
        csr = self.run("req", "-new", "-key", str(k), "-subj", f"/CN={cn}")
        return self.run(
            "x509", "-req", "-CA", str(cc), "-CAkey", str(ck), "-set_serial", str(self.n), "-days", "30",
            stdin=csr,
        )

    def pair(self, kind: str = "rsa:2048") -> tuple[str, str]:
        key = self.key(kind)
        return self.self_signed(key), key

    def dated(self, start: str, end: str) -> tuple[str, str]:
        """A self-signed certificate valid from `start` to `end` (YYYYMMDDHHMMSSZ)."""
        d = self._path("-ca")
        d.mkdir()
        (d / "index.txt").write_text("")
        (d / "serial").write_text("01\n")
        (d / "ca.cnf").write_text(
            f"[ca]\ndefault_ca = d\n[d]\ndatabase = {d}/index.txt\nnew_certs_dir = {d}\nserial = {d}/serial\n"
            "default_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n"
        )
        key = self.key()
        (d / "k.pem").write_text(key)
        csr = self.run("req", "-new", "-key", str(d / "k.pem"), "-subj", f"/CN={unique('dated')}")
        (d / "r.csr").write_text(csr)
        self.run(
            "ca", "-batch", "-notext", "-config", str(d / "ca.cnf"), "-selfsign", "-keyfile", str(d / "k.pem"),
            "-in", str(d / "r.csr"), "-startdate", start, "-enddate", end, "-out", str(d / "c.pem"),
        )
        return (d / "c.pem").read_text(), key

    def pkcs1(self, key: str) -> str:
        return self.run("rsa", "-traditional", stdin=key)

    def pkcs8(self, key: str) -> str:
        return self.run("pkcs8", "-topk8", "-nocrypt", stdin=key)

    def encrypted(self, key: str) -> str:
        return self.run("pkcs8", "-topk8", "-passout", "pass:secret", stdin=key)

    def not_after(self, cert: str) -> _dt.datetime:
        line = self.run("x509", "-noout", "-enddate", stdin=cert).strip()
        when = _dt.datetime.strptime(line.split("=", 1)[1], "%b %d %H:%M:%S %Y GMT")
        return when.replace(tzinfo=_dt.timezone.utc)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def rsa(pki) -> tuple[str, str]:
    """One RSA 2048 certificate and its PKCS#8 key, shared where any valid pair will do."""
    return pki.pair()


def upload(iam, name: str, pair: tuple[str, str], **kw) -> dict:
    body, key = pair
    return iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key, **kw)


# ---- server certificates ----


def test_upload_get_list_and_delete_a_server_certificate(iam, pki, rsa):
    name = unique("web")
    resp = upload(iam, name, rsa, Path="/cloudfront/e2e/")
    meta = resp["ServerCertificateMetadata"]
    assert "Tags" not in resp
    assert meta["ServerCertificateName"] == name and meta["Path"] == "/cloudfront/e2e/"
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/cloudfront/e2e/{name}"
    cert_id = meta["ServerCertificateId"]
    assert len(cert_id) == 21 and cert_id.startswith("ASCA") and cert_id.isalnum() and cert_id.isupper()
    # Expiration is the certificate's notAfter.
    assert meta["Expiration"] == pki.not_after(rsa[0])
    assert abs((meta["UploadDate"] - _dt.datetime.now(_dt.timezone.utc)).total_seconds()) < 60

    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert got["ServerCertificateMetadata"] == meta
    assert got["CertificateBody"] == rsa[0]
    assert "CertificateChain" not in got
    assert got["Tags"] == []
    assert "PRIVATE KEY" not in json.dumps(got, default=str)

    listed = iam.list_server_certificates(PathPrefix="/cloudfront/e2e/")["ServerCertificateMetadataList"]
    assert meta in listed
    assert meta not in iam.list_server_certificates(PathPrefix="/elsewhere/")["ServerCertificateMetadataList"]
    assert meta in iam.list_server_certificates()["ServerCertificateMetadataList"]

    iam.delete_server_certificate(ServerCertificateName=name)
    for call in (iam.get_server_certificate, iam.delete_server_certificate, iam.list_server_certificate_tags):
        with raises_aws("NoSuchEntity", no_server_cert(name), 404):
            call(ServerCertificateName=name)
    assert meta not in iam.list_server_certificates()["ServerCertificateMetadataList"]


KEY_FORMS = [
    ("rsa:2048", "pkcs8"),
    ("rsa:2048", "pkcs1"),
    ("rsa:3072", "pkcs1"),
    ("rsa:4096", "pkcs8"),
    ("ec:prime256v1", "sec1"),
    ("ec:prime256v1", "pkcs8"),
    ("ec:secp384r1", "sec1"),
    ("ec:secp384r1", "pkcs8"),
]


@pytest.mark.parametrize("kind,form", KEY_FORMS)
def test_rsa_and_ec_keys_in_each_pem_form_are_matched_to_their_certificate(iam, pki, kind, form):
    body, key = pki.pair(kind)
    as_form = {"pkcs8": pki.pkcs8, "pkcs1": pki.pkcs1, "sec1": lambda k: k}[form]
    other_body, other_key = pki.pair(kind)
    name = unique("kf")
    # The key of another certificate of the same kind is refused...
    with raises_aws("KeyPairMismatch", MISMATCH, 400):
        iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=as_form(other_key))
    with raises_aws("NoSuchEntity", no_server_cert(name), 404):
        iam.get_server_certificate(ServerCertificateName=name)
    # ...the control: its own key, in the same form, is accepted.
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=as_form(key))
    assert iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]["CertificateBody"] == body
    iam.delete_server_certificate(ServerCertificateName=name)


def test_malformed_bodies_and_keys_are_refused_with_aws_texts(iam, pki, rsa):
    body, key = rsa
    ec_body, ec_key = pki.pair("ec:prime256v1")
    name = unique("bad")
    cases = [
        # moto's recorded form of the call (certbody/privatekey), answered as AWS does.
        ("certbody", key, "MalformedCertificate", UNPARSABLE),
        (body, "privatekey", "MalformedCertificate", UNPARSABLE),
        (body + body, key, "MalformedCertificate", UNPARSABLE),
        ("junk before\n" + body, key, "MalformedCertificate", UNPARSABLE),
        (key, key, "MalformedCertificate", UNPARSABLE),
        (body, body, "MalformedCertificate", UNPARSABLE),
        (body, pki.encrypted(key), "MalformedCertificate", UNPARSABLE),
        (body, ec_key, "KeyPairMismatch", MISMATCH),
        (ec_body, key, "KeyPairMismatch", MISMATCH),
    ]
    for b, k, code, text in cases:
        with raises_aws(code, text, 400):
            iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=b, PrivateKey=k)
    assert name not in [m["ServerCertificateName"] for m in iam.list_server_certificates()["ServerCertificateMetadataList"]]
    # The control: the same name with the matching pair.
    upload(iam, name, rsa)
    iam.delete_server_certificate(ServerCertificateName=name)


def _der_tlvs(data: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) TLVs of DER `data`, one level deep."""
    out, i = [], 0
    while i < len(data):
        tag, length = data[i], data[i + 1]
        i += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(data[i : i + n], "big")
            i += n
        out.append((tag, data[i : i + length]))
        i += length
    return out


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def test_an_rsa_key_whose_primes_are_not_its_modulus_is_no_key(iam, pki):
    """A PKCS#1 key carrying the certificate's modulus and exponent over another key's private
    numbers is refused as unparsable (our choice of answer; AWS's is not recorded)."""
    body, key = pki.pair()
    _, other = pki.pair()
    def ints(pem: str) -> list[bytes]:
        der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
        [(_, seq)] = _der_tlvs(der)
        return [c for _, c in _der_tlvs(seq)]

    mine, theirs = ints(pki.pkcs1(key)), ints(pki.pkcs1(other))
    forged = [mine[0], mine[1], mine[2]] + theirs[3:]
    der = _der(0x30, b"".join(_der(0x02, c) for c in forged))
    b64 = base64.b64encode(der).decode()
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
    pem += "\n-----END RSA PRIVATE KEY-----\n"
    name = unique("forged")
    with raises_aws("MalformedCertificate", UNPARSABLE, 400):
        iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=pem)
    # The control: the same re-encoding of the real key is accepted.
    real = _der(0x30, b"".join(_der(0x02, c) for c in mine))
    b64 = base64.b64encode(real).decode()
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
    pem += "\n-----END RSA PRIVATE KEY-----\n"
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=pem)
    iam.delete_server_certificate(ServerCertificateName=name)


def test_certificates_outside_their_validity_are_malformed(iam, pki):
    name = unique("dated")
    with raises_aws("MalformedCertificate", EXPIRED, 400):
        upload(iam, name, pki.dated("20200101000000Z", "20200201000000Z"))
    with raises_aws("MalformedCertificate", NOT_YET_VALID, 400):
        upload(iam, name, pki.dated("20990101000000Z", "20990201000000Z"))
    # The control: a window around now.
    upload(iam, name, pki.dated("20200101000000Z", "20990101000000Z"))
    iam.delete_server_certificate(ServerCertificateName=name)


def test_the_chain_must_start_with_the_issuer_and_follow_in_order(iam, pki):
    root_key = pki.key()
    root = pki.self_signed(root_key, cn="e2e-root")
    inter_key = pki.key()
    inter = pki.signed_by(inter_key, root, root_key, "e2e-inter")
    leaf_key = pki.key()
    leaf = pki.signed_by(leaf_key, inter, inter_key, "e2e-leaf")
    other_root = pki.self_signed(pki.key(), cn="e2e-other-root")
    name = unique("chain")
    refused = [
        ("not a chain", 1),
        # A chain that starts with the certificate itself (the recorded index 1).
        (leaf + inter + root, 1),
        (root + inter, 1),
        (inter + other_root, 2),
        (inter + "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", 2),
        # Nothing may follow a root.
        (inter + root + other_root, 3),
    ]
    for chain, index in refused:
        with raises_aws("MalformedCertificate", bad_chain(index), 400):
            iam.upload_server_certificate(
                ServerCertificateName=name, CertificateBody=leaf, PrivateKey=leaf_key, CertificateChain=chain
            )
    # The controls: the intermediate alone, and with its root.
    for chain in (inter, inter + root):
        iam.upload_server_certificate(
            ServerCertificateName=name, CertificateBody=leaf, PrivateKey=leaf_key, CertificateChain=chain
        )
        got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
        assert got["CertificateChain"] == chain
        iam.delete_server_certificate(ServerCertificateName=name)


def test_names_are_unique_in_any_case_and_update_renames_and_moves(iam, pki, rsa):
    name, other = unique("Web"), unique("web")
    meta = upload(iam, name, rsa)["ServerCertificateMetadata"]
    upload(iam, other, rsa)
    with raises_aws("EntityAlreadyExists", f"The Server Certificate with name {name.upper()} already exists.", 409):
        upload(iam, name.upper(), rsa)

    new = unique("renamed")
    iam.update_server_certificate(ServerCertificateName=name.lower(), NewServerCertificateName=new, NewPath="/moved/")
    got = iam.get_server_certificate(ServerCertificateName=new)["ServerCertificate"]["ServerCertificateMetadata"]
    assert got["ServerCertificateId"] == meta["ServerCertificateId"]
    assert (got["Path"], got["Arn"]) == ("/moved/", f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/moved/{new}")
    assert got["UploadDate"] == meta["UploadDate"] and got["Expiration"] == meta["Expiration"]
    with raises_aws("NoSuchEntity", no_server_cert(name), 404):
        iam.get_server_certificate(ServerCertificateName=name)

    # A path alone, and a rename to a name only differing in case, keep the rest.
    iam.update_server_certificate(ServerCertificateName=new, NewPath="/")
    iam.update_server_certificate(ServerCertificateName=new, NewServerCertificateName=new.upper())
    got = iam.get_server_certificate(ServerCertificateName=new)["ServerCertificate"]["ServerCertificateMetadata"]
    assert (got["ServerCertificateName"], got["Path"]) == (new.upper(), "/")

    with raises_aws("EntityAlreadyExists", f"The Server Certificate with name {other} already exists.", 409):
        iam.update_server_certificate(ServerCertificateName=new, NewServerCertificateName=other)
    ghost = unique("ghost")
    with raises_aws("NoSuchEntity", no_server_cert(ghost), 404):
        iam.update_server_certificate(ServerCertificateName=ghost, NewPath="/x/")
    for n in (new, other):
        iam.delete_server_certificate(ServerCertificateName=n)


def test_tags_on_upload_and_through_the_tag_operations(iam, rsa):
    name = unique("tagged")
    resp = upload(iam, name, rsa, Tags=[{"Key": "team", "Value": "blue"}])
    assert resp["Tags"] == [{"Key": "team", "Value": "blue"}]
    iam.tag_server_certificate(ServerCertificateName=name, Tags=[{"Key": "TEAM", "Value": "red"}, {"Key": "env", "Value": "prod"}])
    tags = iam.list_server_certificate_tags(ServerCertificateName=name)
    assert tags["Tags"] == [{"Key": "team", "Value": "red"}, {"Key": "env", "Value": "prod"}]
    assert tags["IsTruncated"] is False
    page = iam.list_server_certificate_tags(ServerCertificateName=name, MaxItems=1)
    assert page["IsTruncated"] is True and len(page["Tags"]) == 1
    rest = iam.list_server_certificate_tags(ServerCertificateName=name, Marker=page["Marker"])
    assert page["Tags"] + rest["Tags"] == tags["Tags"]
    iam.untag_server_certificate(ServerCertificateName=name, TagKeys=["Team", "absent"])
    assert iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]["Tags"] == [
        {"Key": "env", "Value": "prod"}
    ]
    # The tag rules shared with every taggable IAM entity.
    with raises_aws("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400):
        iam.tag_server_certificate(ServerCertificateName=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    with raises_aws("LimitExceeded", "The number of tags has reached the maximum limit.", 409):
        iam.tag_server_certificate(ServerCertificateName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with raises_aws("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400):
        upload(iam, unique("tagged"), rsa, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    ghost = unique("ghost")
    with raises_aws("NoSuchEntity", no_server_cert(ghost), 404):
        iam.tag_server_certificate(ServerCertificateName=ghost, Tags=[{"Key": "a", "Value": "1"}])
    with raises_aws("NoSuchEntity", no_server_cert(ghost), 404):
        iam.untag_server_certificate(ServerCertificateName=ghost, TagKeys=["a"])
    # The control: 49 more fit beside the one left.
    iam.tag_server_certificate(ServerCertificateName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    iam.delete_server_certificate(ServerCertificateName=name)


def test_listing_pages_by_name_under_a_path_prefix(iam, rsa):
    path = f"/{unique('p')}/"
    names = sorted(unique("pg") for _ in range(3))
    for n in names:
        upload(iam, n, rsa, Path=path)
    first = iam.list_server_certificates(PathPrefix=path, MaxItems=2)
    assert [m["ServerCertificateName"] for m in first["ServerCertificateMetadataList"]] == names[:2]
    assert first["IsTruncated"] is True
    second = iam.list_server_certificates(PathPrefix=path, Marker=first["Marker"])
    assert [m["ServerCertificateName"] for m in second["ServerCertificateMetadataList"]] == names[2:]
    assert second["IsTruncated"] is False
    pages = iam.get_paginator("list_server_certificates").paginate(PathPrefix=path, PaginationConfig={"PageSize": 1})
    assert [m["ServerCertificateName"] for p in pages for m in p["ServerCertificateMetadataList"]] == names
    for n in names:
        iam.delete_server_certificate(ServerCertificateName=n)


def test_twenty_server_certificates_per_account(warden_factory, rsa):
    w = warden_factory()
    iam = make_client("iam", w.url)
    for i in range(20):
        upload(iam, f"quota-{i}", rsa)
    with raises_aws("LimitExceeded", "Cannot exceed quota for ServerCertificatesPerAccount: 20", 409):
        upload(iam, "quota-20", rsa)
    # The control: a delete makes room.
    iam.delete_server_certificate(ServerCertificateName="quota-0")
    upload(iam, "quota-20", rsa)


def test_the_account_summary_counts_server_certificates_and_roots_signing_certificates(warden_factory, pki, rsa):
    # GetAccountSummary's keys (LocalStack's test_iam_account_summary snapshot, recorded against AWS):
    # ServerCertificates, ServerCertificatesQuota 20, SigningCertificatesPerUserQuota 2,
    # AccountSigningCertificatesPresent.
    w = warden_factory()
    iam = make_client("iam", w.url)
    summary = lambda: iam.get_account_summary()["SummaryMap"]  # noqa: E731
    before = summary()
    assert (before["ServerCertificates"], before["ServerCertificatesQuota"]) == (0, 20)
    assert (before["SigningCertificatesPerUserQuota"], before["AccountSigningCertificatesPresent"]) == (2, 0)
    upload(iam, "counted-1", rsa)
    upload(iam, "counted-2", rsa)
    assert summary()["ServerCertificates"] == 2
    body, _ = pki.pair()
    cert_id = iam.upload_signing_certificate(CertificateBody=body)["Certificate"]["CertificateId"]
    assert summary()["AccountSigningCertificatesPresent"] == 1
    iam.delete_signing_certificate(CertificateId=cert_id)
    iam.delete_server_certificate(ServerCertificateName="counted-1")
    after = summary()
    assert (after["ServerCertificates"], after["AccountSigningCertificatesPresent"]) == (1, 0)


def test_upload_is_authorized_on_the_certificate_arn(server, iam, rsa):
    """A user allowed iam:UploadServerCertificate on server-certificate/allowed-* only."""
    caller, creds = create_user_with_key(iam)
    grant(iam, caller["UserName"], ["iam:UploadServerCertificate"], f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/allowed-*")
    client = make_client("iam", server.url, creds)
    other, allowed = unique("other-x"), unique("allowed-x")
    resource = f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/{other}"
    with raises_aws("AccessDenied", access_denied_message(caller["Arn"], "iam:UploadServerCertificate", resource), 403):
        upload(client, other, rsa)
    # The control: the name the policy allows.
    upload(client, allowed, rsa)
    assert iam.get_server_certificate(ServerCertificateName=allowed)
    iam.delete_server_certificate(ServerCertificateName=allowed)


def test_operations_on_a_stored_certificate_are_authorized_on_its_real_path(server, iam, rsa):
    """The request names the certificate only; its ARN carries the stored path."""
    name = unique("pathed")
    upload(iam, name, rsa, Path="/team/")
    caller, creds = create_user_with_key(iam)
    client = make_client("iam", server.url, creds)
    grant(iam, caller["UserName"], ["iam:GetServerCertificate"], f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/{name}")
    resource = f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/team/{name}"
    with raises_aws("AccessDenied", access_denied_message(caller["Arn"], "iam:GetServerCertificate", resource), 403):
        client.get_server_certificate(ServerCertificateName=name)
    # The control: granted on the stored ARN.
    grant(iam, caller["UserName"], ["iam:GetServerCertificate"], f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/team/*")
    client.get_server_certificate(ServerCertificateName=name)
    iam.delete_server_certificate(ServerCertificateName=name)


def test_a_rename_needs_update_on_the_new_name_too(server, iam, rsa):
    """UpdateServerCertificate's reference: the caller needs the action on the old and the new name."""
    name, new = unique("old"), unique("new")
    upload(iam, name, rsa)
    caller, creds = create_user_with_key(iam)
    client = make_client("iam", server.url, creds)
    grant(iam, caller["UserName"], ["iam:UpdateServerCertificate"], f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/{name}")
    target = f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/{new}"
    with raises_aws("AccessDenied", access_denied_message(caller["Arn"], "iam:UpdateServerCertificate", target), 403):
        client.update_server_certificate(ServerCertificateName=name, NewServerCertificateName=new)
    iam.get_server_certificate(ServerCertificateName=name)
    # The control: granted on the new name as well.
    grant(iam, caller["UserName"], ["iam:UpdateServerCertificate"], target)
    client.update_server_certificate(ServerCertificateName=name, NewServerCertificateName=new)
    iam.delete_server_certificate(ServerCertificateName=new)


def test_a_resource_tag_condition_decides_delete(server, iam, rsa):
    keep, doomed = unique("keep"), unique("doomed")
    upload(iam, keep, rsa, Tags=[{"Key": "protected", "Value": "yes"}])
    upload(iam, doomed, rsa)
    caller, creds = create_user_with_key(iam)
    iam.put_user_policy(
        UserName=caller["UserName"],
        PolicyName="unprotected-only",
        PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "iam:DeleteServerCertificate", "Resource": "*"},
                {
                    "Effect": "Deny", "Action": "iam:DeleteServerCertificate", "Resource": "*",
                    "Condition": {"StringEquals": {"aws:ResourceTag/protected": "yes"}},
                },
            ],
        }),
    )
    client = make_client("iam", server.url, creds)
    with raises_aws("AccessDenied", status=403):
        client.delete_server_certificate(ServerCertificateName=keep)
    # The control: the untagged certificate goes.
    client.delete_server_certificate(ServerCertificateName=doomed)
    iam.delete_server_certificate(ServerCertificateName=keep)


def test_server_certificates_with_the_aws_cli(aws, pki, tmp_path):
    body, key = pki.pair("ec:prime256v1")
    (tmp_path / "c.pem").write_text(body)
    (tmp_path / "k.pem").write_text(key)
    name = unique("cli")
    rc, out, err = aws(
        "iam", "upload-server-certificate", "--server-certificate-name", name, "--path", "/cli/",
        "--certificate-body", f"file://{tmp_path / 'c.pem'}", "--private-key", f"file://{tmp_path / 'k.pem'}",
    )
    assert rc == 0, err
    assert out["ServerCertificateMetadata"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/cli/{name}"
    rc, out, err = aws("iam", "get-server-certificate", "--server-certificate-name", name)
    assert rc == 0, err
    assert out["ServerCertificate"]["CertificateBody"] == body
    res = aws(
        "iam", "upload-server-certificate", "--server-certificate-name", unique("cli"),
        "--certificate-body", "certbody", "--private-key", f"file://{tmp_path / 'k.pem'}",
    )
    assert_cli_error(res, "MalformedCertificate", "UploadServerCertificate", UNPARSABLE)
    rc, out, err = aws("iam", "delete-server-certificate", "--server-certificate-name", name)
    assert rc == 0, err
    res = aws("iam", "get-server-certificate", "--server-certificate-name", name)
    assert_cli_error(res, "NoSuchEntity", "GetServerCertificate", no_server_cert(name))


def test_certificates_survive_a_restart_and_the_private_key_stays_sealed(warden_factory, pki):
    w = warden_factory()
    iam = make_client("iam", w.url)
    body, key = pki.pair()
    meta = upload(iam, "persisted", (body, key), Path="/p/", Tags=[{"Key": "k", "Value": "v"}])["ServerCertificateMetadata"]
    iam.create_user(UserName="signer")
    signing_body, _ = pki.pair()
    signing = iam.upload_signing_certificate(UserName="signer", CertificateBody=signing_body)["Certificate"]
    iam.update_signing_certificate(UserName="signer", CertificateId=signing["CertificateId"], Status="Inactive")
    w.restart()
    iam = make_client("iam", w.url)
    got = iam.get_server_certificate(ServerCertificateName="persisted")["ServerCertificate"]
    assert got["ServerCertificateMetadata"] == meta
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    [held] = iam.list_signing_certificates(UserName="signer")["Certificates"]
    assert held == dict(signing, Status="Inactive")
    with raises_aws("DeleteConflict", status=409):
        iam.delete_user(UserName="signer")
    # The key is nowhere in the clear: not in the data dir, not in the logs.
    key_lines = [l for l in key.splitlines() if l and not l.startswith("-----")]
    for p in w.data_dir.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert not any(l.encode() in data for l in key_lines), f"private key material in {p}"
    logs = w.stdout_text() + w.stderr_text()
    assert not any(l in logs for l in key_lines)


# ---- signing certificates ----


def test_signing_certificate_lifecycle(iam, pki):
    """moto's AWS-verified test_signing_certs."""
    name = unique("signer")
    iam.create_user(UserName=name)
    body, _ = pki.pair()
    cert = iam.upload_signing_certificate(UserName=name, CertificateBody=body)["Certificate"]
    assert (cert["UserName"], cert["Status"], cert["CertificateBody"]) == (name, "Active", body)
    cert_id = cert["CertificateId"]
    assert len(cert_id) == 32 and cert_id.isalnum() and cert_id.isupper()
    iam.update_signing_certificate(UserName=name, CertificateId=cert_id, Status="Inactive")
    [listed] = iam.list_signing_certificates(UserName=name)["Certificates"]
    assert listed == dict(cert, Status="Inactive")
    iam.update_signing_certificate(UserName=name, CertificateId=cert_id, Status="Active")
    assert iam.list_signing_certificates(UserName=name)["Certificates"][0]["Status"] == "Active"
    iam.delete_signing_certificate(UserName=name, CertificateId=cert_id)
    assert iam.list_signing_certificates(UserName=name)["Certificates"] == []
    iam.delete_user(UserName=name)


def test_two_signing_certificates_per_user_and_no_duplicates_in_the_account(iam, pki):
    """moto's AWS-verified test_create_too_many_certificates for the quota text."""
    name, other = unique("signer"), unique("signer")
    iam.create_user(UserName=name)
    iam.create_user(UserName=other)
    bodies = [pki.pair()[0] for _ in range(3)]
    ids = [iam.upload_signing_certificate(UserName=name, CertificateBody=b)["Certificate"]["CertificateId"] for b in bodies[:2]]
    assert ids[0] != ids[1]
    with raises_aws("LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2", 409):
        iam.upload_signing_certificate(UserName=name, CertificateBody=bodies[2])
    duplicate = "The request was rejected because the same certificate is associated with an IAM user in the account."
    with raises_aws("DuplicateCertificate", duplicate, 409):
        iam.upload_signing_certificate(UserName=other, CertificateBody=bodies[0])
    listed = iam.list_signing_certificates(UserName=name, MaxItems=1)
    assert listed["IsTruncated"] is True and len(listed["Certificates"]) == 1
    # The controls: after a delete the user has room, and the freed certificate may go to another user.
    iam.delete_signing_certificate(UserName=name, CertificateId=ids[0])
    iam.upload_signing_certificate(UserName=name, CertificateBody=bodies[2])
    iam.upload_signing_certificate(UserName=other, CertificateBody=bodies[0])


def test_unknown_users_and_certificates_are_no_such_entity(iam, pki):
    """moto's AWS-verified test_upload_cert_for_unknown_user and test_update_unknown_certificate."""
    body, _ = pki.pair()
    ghost = "notauser"
    with raises_aws("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404):
        iam.upload_signing_certificate(UserName=ghost, CertificateBody=body)
    with raises_aws("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404):
        iam.upload_signing_certificate(UserName=ghost, CertificateBody="notacert")
    with raises_aws("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404):
        iam.update_signing_certificate(UserName=ghost, CertificateId="asdfasdfasdfasdfasdfasdfasdasdf", Status="Inactive")
    with raises_aws("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404):
        iam.list_signing_certificates(UserName=ghost)
    with raises_aws("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404):
        iam.delete_signing_certificate(UserName=ghost, CertificateId="x" * 32)
    name, other = unique("signer"), unique("signer")
    iam.create_user(UserName=name)
    iam.create_user(UserName=other)
    fake = "x" * 32
    with raises_aws("NoSuchEntity", no_signing_cert(fake), 404):
        iam.update_signing_certificate(UserName=name, CertificateId=fake, Status="Inactive")
    with raises_aws("NoSuchEntity", no_signing_cert(fake), 404):
        iam.delete_signing_certificate(UserName=name, CertificateId=fake)
    cert_id = iam.upload_signing_certificate(UserName=name, CertificateBody=body)["Certificate"]["CertificateId"]
    # Another user's certificate is not found under this one.
    with raises_aws("NoSuchEntity", no_signing_cert(cert_id), 404):
        iam.delete_signing_certificate(UserName=other, CertificateId=cert_id)
    # The control: its owner still holds it, Active.
    [held] = iam.list_signing_certificates(UserName=name)["Certificates"]
    assert (held["CertificateId"], held["Status"]) == (cert_id, "Active")


def test_malformed_and_expired_signing_certificates_are_refused(iam, pki):
    """moto's AWS-verified test_upload_invalid_certificate for the code."""
    name = unique("signer")
    iam.create_user(UserName=name)
    for body, text in [
        ("notacert", UNPARSABLE),
        (pki.key(), UNPARSABLE),
        (pki.dated("20200101000000Z", "20200201000000Z")[0], EXPIRED),
    ]:
        with raises_aws("MalformedCertificate", text, 400):
            iam.upload_signing_certificate(UserName=name, CertificateBody=body)
    assert iam.list_signing_certificates(UserName=name)["Certificates"] == []
    # The control: a current certificate; EC keys are taken too.
    iam.upload_signing_certificate(UserName=name, CertificateBody=pki.pair("ec:prime256v1")[0])


def test_a_bad_status_is_a_validation_error(iam, pki):
    name = unique("signer")
    iam.create_user(UserName=name)
    cert_id = iam.upload_signing_certificate(UserName=name, CertificateBody=pki.pair()[0])["Certificate"]["CertificateId"]
    text = "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set"
    with raises_aws("ValidationError", text, 400):
        iam.update_signing_certificate(UserName=name, CertificateId=cert_id, Status="Expired")
    # The control: Inactive is accepted.
    iam.update_signing_certificate(UserName=name, CertificateId=cert_id, Status="Inactive")


def test_delete_user_is_refused_while_it_holds_signing_certificates(iam, pki):
    name = unique("signer")
    iam.create_user(UserName=name)
    cert_id = iam.upload_signing_certificate(UserName=name, CertificateBody=pki.pair()[0])["Certificate"]["CertificateId"]
    with raises_aws("DeleteConflict", "Cannot delete entity, must remove referenced objects first.", 409):
        iam.delete_user(UserName=name)
    # The control: without the certificate the user goes.
    iam.delete_signing_certificate(UserName=name, CertificateId=cert_id)
    iam.delete_user(UserName=name)


def test_without_a_user_name_root_and_users_act_on_their_own(server, iam, pki):
    """Root's own signing certificates, and a user's own when it names no user (the API
    reference: the user name is determined from the access key signing the request)."""
    root_cert = iam.upload_signing_certificate(CertificateBody=pki.pair()[0])["Certificate"]
    assert root_cert["UserName"] == ACCOUNT_ID
    assert root_cert in iam.list_signing_certificates()["Certificates"]
    caller, creds = create_user_with_key(iam)
    grant(iam, caller["UserName"], ["iam:*SigningCertificate*"], caller["Arn"])
    client = make_client("iam", server.url, creds)
    own = client.upload_signing_certificate(CertificateBody=pki.pair()[0])["Certificate"]
    assert own["UserName"] == caller["UserName"]
    assert [c["CertificateId"] for c in client.list_signing_certificates()["Certificates"]] == [own["CertificateId"]]
    assert own not in iam.list_signing_certificates()["Certificates"]
    # Root's certificate is not found among the user's own.
    with raises_aws("NoSuchEntity", no_signing_cert(root_cert["CertificateId"]), 404):
        client.delete_signing_certificate(CertificateId=root_cert["CertificateId"])
    client.delete_signing_certificate(CertificateId=own["CertificateId"])
    iam.delete_signing_certificate(CertificateId=root_cert["CertificateId"])
    assert root_cert not in iam.list_signing_certificates()["Certificates"]


SIGNING_ACTIONS = {
    "iam:UploadSigningCertificate": lambda c, u, i, b: c.upload_signing_certificate(UserName=u, CertificateBody=b),
    "iam:ListSigningCertificates": lambda c, u, i, b: c.list_signing_certificates(UserName=u),
    "iam:UpdateSigningCertificate": lambda c, u, i, b: c.update_signing_certificate(UserName=u, CertificateId=i, Status="Inactive"),
    "iam:DeleteSigningCertificate": lambda c, u, i, b: c.delete_signing_certificate(UserName=u, CertificateId=i),
}


@pytest.mark.parametrize("action", list(SIGNING_ACTIONS))
def test_each_signing_operation_is_denied_without_its_action_and_allowed_with_it(server, iam, pki, action):
    caller, creds = create_user_with_key(iam)
    target = unique("signer")
    target_arn = iam.create_user(UserName=target)["User"]["Arn"]
    cert_id = iam.upload_signing_certificate(UserName=target, CertificateBody=pki.pair()[0])["Certificate"]["CertificateId"]
    body = pki.pair()[0]
    client = make_client("iam", server.url, creds)
    call = SIGNING_ACTIONS[action]
    with raises_aws(
        "AccessDenied", status=403, message_in=access_denied_messages(caller["Arn"], action, *user_resource_forms(target_arn))
    ):
        call(client, target, cert_id, body)
    # The control: granted on the target user.
    grant(iam, caller["UserName"], [action], target_arn)
    call(client, target, cert_id, body)


def test_signing_certificates_with_the_aws_cli(aws, iam, pki, tmp_path):
    name = unique("signer")
    iam.create_user(UserName=name)
    body, _ = pki.pair()
    (tmp_path / "s.pem").write_text(body)
    rc, out, err = aws("iam", "upload-signing-certificate", "--user-name", name, "--certificate-body", f"file://{tmp_path / 's.pem'}")
    assert rc == 0, err
    cert_id = out["Certificate"]["CertificateId"]
    rc, out, err = aws("iam", "list-signing-certificates", "--user-name", name)
    assert rc == 0, err
    assert [c["CertificateId"] for c in out["Certificates"]] == [cert_id]
    res = aws("iam", "update-signing-certificate", "--user-name", name, "--certificate-id", "x" * 32, "--status", "Inactive")
    assert_cli_error(res, "NoSuchEntity", "UpdateSigningCertificate", no_signing_cert("x" * 32))
    res = aws("iam", "upload-signing-certificate", "--user-name", name, "--certificate-body", "notacert")
    assert_cli_error(res, "MalformedCertificate", "UploadSigningCertificate", UNPARSABLE)

