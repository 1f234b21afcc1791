"""IAM SAML identity providers (issue 17, part 1): CreateSAMLProvider, GetSAMLProvider,
UpdateSAMLProvider, ListSAMLProviders, DeleteSAMLProvider, TagSAMLProvider, UntagSAMLProvider and
ListSAMLProviderTags through the real binary, boto3 and the aws CLI.

Recorded AWS answers these tests assert:
  * moto's tests/test_iam/test_iam.py (test_create_saml_provider, test_get_saml_provider*,
    test_list_saml_providers, test_delete_saml_provider, test_update_saml_provider_with_...):
    the ARN `arn:aws:iam::ACCOUNT:saml-provider/NAME`, the document read back as given, the list
    entry's Arn. (moto itself accepts "a" * 1024 as a document; AWS does not, see below.)
  * NoSuchEntity "Manifest not found for arn ARN" for an unknown provider: AWS's GetSAMLProvider
    answer as recorded in cloud scanners' fixtures (altimeter's IAMSAMLProviderResourceSpec test).
  * InvalidInput "Could not parse metadata": the text the aws CLI and the console report for a
    document IAM cannot read (IAM's "Troubleshoot SAML federation" page lists the causes).
  * The model's limits (botocore iam service-2.json): a document of 1000 to 10,000,000 characters,
    a name of 1 to 128 `[\\w._-]+`; LocalStack has no SAML recording.
Our own wording, where no AWS answer is recorded: EntityAlreadyExists ("SAMLProvider with name N
already exists."), the quota texts, and the private-key refusals (documented in
crates/warden-core/src/iam/saml_providers.rs).
"""

from __future__ import annotations

import datetime as _dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from e2e_util import (
    ACCOUNT_ID,
    assert_cli_error,
    create_user_with_key,
    grant,
    make_client,
    raises_aws,
    unique,
)

UNPARSABLE = "Could not parse metadata"


def missing_text(arn: str) -> str:
    return f"Manifest not found for arn {arn}"


def arn_of(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{name}"


def new_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def self_signed(key: rsa.RSAPrivateKey, cn: str = "idp.example.com") -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = _dt.datetime.now(_dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(days=1))
        .not_valid_after(now + _dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def cert_b64(cert: x509.Certificate) -> str:
    import base64

    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def metadata(
    certs: list[x509.Certificate],
    entity_id: str = "https://idp.example.com/saml",
    valid_until: str | None = None,
    descriptor: str = "IDPSSODescriptor",
) -> str:
    """An IdP's SAML 2.0 metadata, as IdPs publish it (well over the model's 1000 characters)."""
    keys = "".join(
        f"""
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64(c)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>"""
        for c in certs
    )
    until = f' validUntil="{valid_until}"' if valid_until else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}"{until}>
  <md:{descriptor} WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{keys}
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:{descriptor}>
</md:EntityDescriptor>
"""


def padded(doc: str) -> str:
    """`doc` with a comment that brings it over the model's 1000-character minimum."""
    return doc.replace("</md:EntityDescriptor>", "<!--" + "x" * 600 + "--></md:EntityDescriptor>")


@pytest.fixture(scope="module")
def idp_cert():
    return self_signed(new_key())


@pytest.fixture(scope="module")
def doc(idp_cert):
    return metadata([idp_cert])


def private_key_pem(key: rsa.RSAPrivateKey | None = None) -> str:
    key = key or new_key()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_create_get_list_update_delete(iam, doc):
    name = unique("saml")
    created = iam.create_saml_provider(Name=name, SAMLMetadataDocument=doc)
    arn = created["SAMLProviderArn"]
    assert arn == arn_of(name)
    assert "Tags" not in created

    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == doc
    uuid = got["SAMLProviderUUID"]
    assert 22 <= len(uuid) <= 64 and uuid.isalnum() and uuid.upper() == uuid
    now = _dt.datetime.now(_dt.timezone.utc)
    assert abs((got["CreateDate"] - now).total_seconds()) < 60
    # No validUntil in the document: a far-future default (a century).
    assert got["ValidUntil"].year >= now.year + 99
    assert "AssertionEncryptionMode" not in got and "PrivateKeyList" not in got

    entries = {p["Arn"]: p for p in iam.list_saml_providers()["SAMLProviderList"]}
    assert entries[arn]["CreateDate"] == got["CreateDate"]
    assert entries[arn]["ValidUntil"] == got["ValidUntil"]

    # A new document (here one with a validUntil and a second signing key) replaces the old.
    rolled = metadata([self_signed(new_key()), self_signed(new_key())], valid_until="2040-05-06T07:08:09Z")
    assert iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=rolled)["SAMLProviderArn"] == arn
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == rolled
    assert got["ValidUntil"] == _dt.datetime(2040, 5, 6, 7, 8, 9, tzinfo=_dt.timezone.utc)
    assert got["SAMLProviderUUID"] == uuid

    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert arn not in {p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]}
    with raises_aws("NoSuchEntity", missing_text(arn), 404):
        iam.get_saml_provider(SAMLProviderArn=arn)


def test_unknown_providers_are_no_such_entity(iam, doc):
    arn = arn_of(unique("ghost"))
    for call in (
        lambda: iam.get_saml_provider(SAMLProviderArn=arn),
        lambda: iam.delete_saml_provider(SAMLProviderArn=arn),
        lambda: iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=doc),
        lambda: iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["k"]),
        lambda: iam.list_saml_provider_tags(SAMLProviderArn=arn),
    ):
        with raises_aws("NoSuchEntity", missing_text(arn), 404):
            call()
    # An ARN of another kind is not one of ours either; another account's is refused before
    # any look-up (no resource policy grants it, as for every cross-account IAM call).
    name = unique("saml")
    iam.create_saml_provider(Name=name, SAMLMetadataDocument=doc)
    other = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{name}"
    with raises_aws("NoSuchEntity", missing_text(other), 404):
        iam.get_saml_provider(SAMLProviderArn=other)
    with raises_aws("AccessDenied", status=403):
        iam.get_saml_provider(SAMLProviderArn=f"arn:aws:iam::111122223333:saml-provider/{name}")


def test_a_taken_name_is_entity_already_exists(iam, doc):
    name = unique("saml")
    iam.create_saml_provider(Name=name, SAMLMetadataDocument=doc)
    with raises_aws("EntityAlreadyExists", f"SAMLProvider with name {name} already exists.", 409):
        iam.create_saml_provider(Name=name, SAMLMetadataDocument=doc)


def test_documents_that_are_not_idp_metadata_are_refused(iam, idp_cert):
    good = metadata([idp_cert])
    bad_docs = {
        # moto's test document: AWS refuses it (it is not XML).
        "not xml": "a" * 1024,
        "an SP's metadata": metadata([idp_cert], descriptor="SPSSODescriptor"),
        "no signing certificate": padded(metadata([])),
        "a certificate that is not DER": padded(good.replace(cert_b64(idp_cert), "bm90IGEgY2VydGlmaWNhdGU=")),
        "an empty entityID": metadata([idp_cert], entity_id=""),
        "a DTD with an external entity (XXE)": '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + good.split("?>", 1)[1],
        "a validUntil that is not a dateTime": metadata([idp_cert], valid_until="tomorrow"),
    }
    # The control: a 1024-bit RSA key is enough ("at least 1024 bits", IAM's troubleshooting page).
    control = metadata([self_signed(new_key(bits=1024))])
    for what, bad in bad_docs.items():
        with raises_aws("InvalidInput", UNPARSABLE, 400):
            iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=bad)
        assert what
    iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=control)
    # The same refusal on UpdateSAMLProvider, and the provider keeps its document.
    name = unique("saml")
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=good)["SAMLProviderArn"]
    with raises_aws("InvalidInput", UNPARSABLE, 400):
        iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument="a" * 1024)
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == good


def test_the_model_limits_are_validation_errors(server, doc):
    # The server's own checks, not boto3's: the client's validation is off.
    iam = make_client("iam", server.url, parameter_validation=False)
    with raises_aws("ValidationError", status=400) as e:
        iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument="<x/>")
    assert e["message"] == (
        "1 validation error detected: Value at 'sAMLMetadataDocument' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1000"
    )
    with raises_aws("ValidationError", status=400) as e:
        iam.create_saml_provider(Name="bad name!", SAMLMetadataDocument=doc)
    assert "name" in e["message"].lower()
    with raises_aws("ValidationError", status=400):
        iam.create_saml_provider(Name="x" * 129, SAMLMetadataDocument=doc)


def test_tags_at_creation_and_through_tag_untag_list(iam, doc):
    name = unique("saml")
    created = iam.create_saml_provider(
        Name=name, SAMLMetadataDocument=doc, Tags=[{"Key": "team", "Value": "id"}, {"Key": "env", "Value": "dev"}]
    )
    arn = created["SAMLProviderArn"]
    assert created["Tags"] == [{"Key": "team", "Value": "id"}, {"Key": "env", "Value": "dev"}]
    assert iam.get_saml_provider(SAMLProviderArn=arn)["Tags"] == created["Tags"]
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "ENV", "Value": "prod"}, {"Key": "cost", "Value": "1"}])
    # Tag keys compare case-insensitively, as for every IAM entity.
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "team", "Value": "id"},
        {"Key": "env", "Value": "prod"},
        {"Key": "cost", "Value": "1"},
    ]
    page = iam.list_saml_provider_tags(SAMLProviderArn=arn, MaxItems=2)
    assert page["IsTruncated"] and len(page["Tags"]) == 2
    rest = iam.list_saml_provider_tags(SAMLProviderArn=arn, Marker=page["Marker"])
    assert rest["Tags"] == [{"Key": "cost", "Value": "1"}] and not rest["IsTruncated"]
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team", "cost"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    with raises_aws(
        "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400
    ):
        iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    with raises_aws("LimitExceeded", "The number of tags has reached the maximum limit.", 409):
        iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])


def test_private_keys_and_assertion_encryption_mode(iam, doc):
    name = unique("saml")
    arn = iam.create_saml_provider(
        Name=name, SAMLMetadataDocument=doc, AssertionEncryptionMode="Allowed", AddPrivateKey=private_key_pem()
    )["SAMLProviderArn"]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Allowed"
    [first] = got["PrivateKeyList"]
    assert set(first) == {"KeyId", "Timestamp"}, "key material is never answered"
    assert 22 <= len(first["KeyId"]) <= 64 and first["KeyId"].isalnum() and first["KeyId"].upper() == first["KeyId"]

    # Rotation: add the second key, then remove the first in a separate call.
    iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=private_key_pem(), AssertionEncryptionMode="Required")
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Required" and len(got["PrivateKeyList"]) == 2
    with raises_aws("LimitExceeded", "Cannot exceed quota for PrivateKeysPerSAMLProvider: 2", 409):
        iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=private_key_pem())
    with raises_aws("InvalidInput", "You cannot add and remove a private key in the same request.", 400):
        iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=private_key_pem(), RemovePrivateKey=first["KeyId"])
    iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=first["KeyId"])
    [second] = iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"]
    assert second["KeyId"] != first["KeyId"]
    with raises_aws("InvalidInput", f"The private key with id {first['KeyId']} cannot be found.", 400):
        iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=first["KeyId"])
    # Required with no key left could never accept an assertion.
    with raises_aws("InvalidInput", "AssertionEncryptionMode Required needs a private key.", 400):
        iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=second["KeyId"])
    iam.update_saml_provider(SAMLProviderArn=arn, AssertionEncryptionMode="Allowed")
    iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=second["KeyId"])
    assert "PrivateKeyList" not in iam.get_saml_provider(SAMLProviderArn=arn)

    with raises_aws("InvalidInput", "The private key is not a valid PEM RSA private key.", 400):
        iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=doc, AddPrivateKey="not a key")
    with raises_aws("ValidationError", status=400):
        iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=doc, AssertionEncryptionMode="Sometimes")


def test_account_summary_counts_providers(iam, doc):
    before = iam.get_account_summary()["SummaryMap"]["Providers"]
    arn = iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=doc)["SAMLProviderArn"]
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == before + 1
    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == before


ACTIONS = {
    "iam:GetSAMLProvider": lambda c, arn, doc: c.get_saml_provider(SAMLProviderArn=arn),
    "iam:UpdateSAMLProvider": lambda c, arn, doc: c.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=doc),
    "iam:ListSAMLProviderTags": lambda c, arn, doc: c.list_saml_provider_tags(SAMLProviderArn=arn),
    "iam:TagSAMLProvider": lambda c, arn, doc: c.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "k", "Value": "v"}]),
    "iam:UntagSAMLProvider": lambda c, arn, doc: c.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["k"]),
    "iam:DeleteSAMLProvider": lambda c, arn, doc: c.delete_saml_provider(SAMLProviderArn=arn),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_operation_is_denied_without_its_action_and_allowed_with_it(server, iam, doc, action):
    caller, creds = create_user_with_key(iam)
    arn = iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=doc)["SAMLProviderArn"]
    client = make_client("iam", server.url, creds)
    call = ACTIONS[action]
    with raises_aws("AccessDenied", status=403) as e:
        call(client, arn, doc)
    assert action in e["message"] and arn in e["message"]
    # Granted on another provider only: still denied.
    grant(iam, caller["UserName"], [action], arn_of("someone-else"))
    with raises_aws("AccessDenied", status=403):
        call(client, arn, doc)
    # The control: granted on this provider.
    grant(iam, caller["UserName"], [action], arn)
    call(client, arn, doc)


def test_create_and_list_need_their_actions_and_tags_need_tag_saml_provider(server, iam, doc):
    caller, creds = create_user_with_key(iam)
    client = make_client("iam", server.url, creds)
    name = unique("saml")
    with raises_aws("AccessDenied", status=403):
        client.create_saml_provider(Name=name, SAMLMetadataDocument=doc)
    with raises_aws("AccessDenied", status=403):
        client.list_saml_providers()
    grant(iam, caller["UserName"], ["iam:CreateSAMLProvider", "iam:ListSAMLProviders"], "*", name="create")
    client.create_saml_provider(Name=name, SAMLMetadataDocument=doc)
    assert arn_of(name) in {p["Arn"] for p in client.list_saml_providers()["SAMLProviderList"]}
    # Tags at creation also need iam:TagSAMLProvider on the new provider.
    tagged = unique("saml")
    with raises_aws("AccessDenied", status=403) as e:
        client.create_saml_provider(Name=tagged, SAMLMetadataDocument=doc, Tags=[{"Key": "k", "Value": "v"}])
    assert "iam:TagSAMLProvider" in e["message"]
    grant(iam, caller["UserName"], ["iam:TagSAMLProvider"], arn_of(tagged), name="tag")
    client.create_saml_provider(Name=tagged, SAMLMetadataDocument=doc, Tags=[{"Key": "k", "Value": "v"}])


def test_the_aws_cli_creates_and_reads_a_provider(iam, aws, doc, tmp_path):
    path = tmp_path / "idp.xml"
    path.write_text(doc)
    name = unique("saml")
    rc, out, err = aws("iam", "create-saml-provider", "--name", name, "--saml-metadata-document", f"file://{path}")
    assert rc == 0, err
    assert out["SAMLProviderArn"] == arn_of(name)
    rc, out, err = aws("iam", "get-saml-provider", "--saml-provider-arn", arn_of(name))
    assert rc == 0, err
    assert out["SAMLMetadataDocument"] == doc
    missing = arn_of(unique("ghost"))
    res = aws("iam", "get-saml-provider", "--saml-provider-arn", missing)
    assert_cli_error(res, "NoSuchEntity", "GetSAMLProvider", missing_text(missing))


def test_providers_survive_a_restart(warden_factory, store, idp_cert):
    w = warden_factory(extra_env=store.env)
    iam = make_client("iam", w.url)
    doc = metadata([idp_cert])
    name = unique("saml")
    arn = iam.create_saml_provider(
        Name=name, SAMLMetadataDocument=doc, Tags=[{"Key": "k", "Value": "v"}], AddPrivateKey=private_key_pem()
    )["SAMLProviderArn"]
    before = iam.get_saml_provider(SAMLProviderArn=arn)
    gone = iam.create_saml_provider(Name=unique("saml"), SAMLMetadataDocument=doc)["SAMLProviderArn"]
    iam.delete_saml_provider(SAMLProviderArn=gone)
    w.restart()
    iam = make_client("iam", w.url)
    after = iam.get_saml_provider(SAMLProviderArn=arn)
    strip = lambda r: {k: v for k, v in r.items() if k != "ResponseMetadata"}
    assert strip(after) == strip(before)
    arns = {p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]}
    assert arn in arns and gone not in arns


def saml_trust(provider_arn: str) -> str:
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithSAML",
                    "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                }
            ],
        }
    )


def test_trust_policies_may_name_only_existing_saml_providers(iam, doc):
    # AWS resolves every principal of a trust policy; one it cannot is MalformedPolicyDocument
    # "Invalid principal in policy: ..." (the form LocalStack's AWS-recorded test_iam.snapshot.json
    # shows for "AWS" principals).
    missing = arn_of(unique("ghost"))
    with raises_aws("MalformedPolicyDocument", f'Invalid principal in policy: "Federated":"{missing}"', 400):
        iam.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=saml_trust(missing))
    # The control: once the provider exists, the same policy is accepted, on create and update.
    name = unique("saml")
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=doc)["SAMLProviderArn"]
    role = unique("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=saml_trust(arn))
    with raises_aws("MalformedPolicyDocument", f'Invalid principal in policy: "Federated":"{missing}"', 400):
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=saml_trust(missing))
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=saml_trust(arn))
    # Deleting the provider leaves the trust policy as it is (AWS does not edit it).
    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert arn in str(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"])
    # A provider of an account warden does not serve is not checked, as for "AWS" principals.
    iam.create_role(
        RoleName=unique("r"), AssumeRolePolicyDocument=saml_trust("arn:aws:iam::111122223333:saml-provider/Other")
    )
