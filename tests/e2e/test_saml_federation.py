"""AssumeRoleWithSAML (issue 17, part 2) through the real binary: responses written by the tests'
IdP (tests/e2e/saml_idp.py) and signed by xmlsec1, exchanged with boto3's unsigned
assume_role_with_saml and the aws CLI; each attack with its control.

AWS's documented answers asserted here: the unsigned call (the model's `authtype: none`), the
response shape (Subject, SubjectType with `urn:oasis:names:tc:SAML:2.0:nameid-format:` stripped,
Issuer, Audience = the Recipient, NameQualifier = base64 SHA-1 of issuer + account + "/" + provider
name, AssumedRoleUser, Credentials), the error codes (InvalidIdentityToken 400,
ExpiredTokenException 400, AccessDenied 403 "Not authorized to perform sts:AssumeRoleWithSAML",
RoleSessionName's "RoleSessionName is required in AuthnResponse"; the federation reference
/work/shared/reference/federation.md §4 collects their sources). The texts of signature, wrapping,
replay and expiry refusals are our own (no recording of AWS's exists): the tests assert their codes
and statuses, and the texts only where they are AWS's.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json

import pytest
from botocore import UNSIGNED
from botocore.config import Config

from e2e_util import ACCOUNT_ID, Creds, make_client, raises_aws, unique
from saml_idp import XMLSEC1, Idp, b64, encrypt_assertion, pysaml2_response, response

pytestmark = pytest.mark.skipif(XMLSEC1 is None, reason="needs xmlsec1 (Debian package xmlsec1)")

DENIED = "Not authorized to perform sts:AssumeRoleWithSAML"


def unsigned_sts(server):
    import boto3

    return boto3.session.Session().client(
        "sts", endpoint_url=server.url, region_name="us-east-1", config=Config(signature_version=UNSIGNED)
    )


def trust(provider_arn: str, *statements_extra: dict, condition: dict | None = None, actions=None) -> str:
    stmt = {
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": actions or "sts:AssumeRoleWithSAML",
        "Condition": condition or {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt, *statements_extra]})


@pytest.fixture(scope="module")
def idp():
    return Idp()


@pytest.fixture
def world(iam, idp):
    """A provider of the IdP and a role that trusts it."""
    provider_name = unique("idp")
    provider = iam.create_saml_provider(Name=provider_name, SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    role_name = unique("saml-role")
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust(provider))["Role"]
    return {"provider": provider, "provider_name": provider_name, "role": role["Arn"], "role_name": role_name}


def assume(sts, world, xml: str, **kw):
    return sts.assume_role_with_saml(
        RoleArn=world["role"], PrincipalArn=world["provider"], SAMLAssertion=b64(xml), **kw
    )


def test_a_signed_response_gives_a_role_session(server, idp, world):
    sts = unsigned_sts(server)
    xml = response(idp, [(world["role"], world["provider"])], session_name="alice@example.com")
    out = assume(sts, world, xml)
    assert out["Subject"] == "7ca82df9-1bad-4c6b-9c1b-alice"
    assert out["SubjectType"] == "persistent"
    assert out["Issuer"] == idp.entity_id
    assert out["Audience"] == "https://signin.aws.amazon.com/saml"
    expected_qualifier = base64.b64encode(
        hashlib.sha1(f"{idp.entity_id}{ACCOUNT_ID}/{world['provider_name']}".encode()).digest()
    ).decode()
    assert out["NameQualifier"] == expected_qualifier
    session_arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{world['role_name']}/alice@example.com"
    assert out["AssumedRoleUser"]["Arn"] == session_arn
    assert out["AssumedRoleUser"]["AssumedRoleId"].endswith(":alice@example.com")
    assert "PackedPolicySize" not in out
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    lifetime = (creds["Expiration"] - _dt.datetime.now(_dt.timezone.utc)).total_seconds()
    assert 3500 < lifetime <= 3600
    me = make_client("sts", server.url, Creds(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]))
    assert me.get_caller_identity()["Arn"] == session_arn


def test_the_response_may_be_signed_on_the_response_or_on_both(server, idp, world):
    sts = unsigned_sts(server)
    for sign in ("response", "both"):
        assume(sts, world, response(idp, [(world["role"], world["provider"])], sign=sign))


def test_an_unsigned_response_is_refused(server, idp, world):
    sts = unsigned_sts(server)
    with raises_aws("InvalidIdentityToken", status=400):
        assume(sts, world, response(idp, [(world["role"], world["provider"])], sign="none"))
    # Signed by a key the provider's metadata does not hold.
    with raises_aws("InvalidIdentityToken", "Response signature invalid", 400):
        assume(sts, world, response(Idp(), [(world["role"], world["provider"])]))
    # The control: the same response signed by the provider's IdP.
    assume(sts, world, response(idp, [(world["role"], world["provider"])]))


def test_wrapped_signatures_are_refused(server, idp, world):
    sts = unsigned_sts(server)
    signed = response(idp, [(world["role"], world["provider"])])
    start, end = signed.index("<saml:Assertion"), signed.index("</saml:Assertion>") + len("</saml:Assertion>")
    original = signed[start:end]
    sig_start, sig_end = original.index("<ds:Signature"), original.index("</ds:Signature>") + len("</ds:Signature>")
    evil = (original[:sig_start] + original[sig_end:]).replace("alice@example.com", "mallory")
    evil = evil.replace('ID="_a', 'ID="_evil', 1)
    # XSW: an unsigned evil assertion before the signed one; after it; the signed one hidden
    # in Extensions; the evil one carrying the signed one's ID.
    variants = [
        signed.replace(original, evil + original),
        signed.replace(original, original + evil),
        signed.replace(original, f"<samlp:Extensions>{original}</samlp:Extensions>{evil}"),
        signed.replace(original, original + evil.replace('ID="_evil', 'ID="_a', 1)),
    ]
    for xml in variants:
        with raises_aws("InvalidIdentityToken", status=400):
            assume(sts, world, xml)
    # The control: the untouched response.
    assert assume(sts, world, signed)["AssumedRoleUser"]["Arn"].endswith("/alice@example.com")


def test_a_signature_out_of_its_place_is_refused_even_where_the_xml_dsig_library_accepts_it(server, idp, world):
    # The Response's signature moved into the Assertion: its enveloped transform drops it
    # wherever it sits inside the Response, so its digest still holds, and the XML-DSig
    # library (bergshamra) lets a reference name the document element from anywhere. warden
    # counts a signature only as a direct child of the element its one reference names.
    sts = unsigned_sts(server)
    signed = response(idp, [(world["role"], world["provider"])], sign="response")
    sig_start, sig_end = signed.index("<ds:Signature"), signed.index("</ds:Signature>") + len("</ds:Signature>")
    signature, rest = signed[sig_start:sig_end], signed[:sig_start] + signed[sig_end:]
    for before, why in (
        ("<saml:Subject>", "the reference is not the signed element"),
        ("<saml:NameID", "a signature is not on the Response or the Assertion"),
    ):
        moved = rest.replace(before, signature + before, 1)
        with raises_aws("InvalidIdentityToken", f"Response signature invalid: {why}", 400):
            assume(sts, world, moved)
    # The control: the signature where the IdP put it.
    assume(sts, world, signed)


def test_a_response_with_a_dtd_is_refused(server, idp, world):
    # XXE: an external entity in an element the assertion's signature does not cover, and an
    # internal one; any DTD is refused before anything is read.
    sts = unsigned_sts(server)
    signed = response(idp, [(world["role"], world["provider"])])
    declaration = signed[: signed.index("?>") + 2]
    for dtd, text in (
        ('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;"),
        ('<!DOCTYPE r [<!ENTITY x "mallory">]>', "&x;"),
    ):
        xml = signed.replace(declaration, declaration + dtd, 1).replace(
            "<samlp:Status>", f"<samlp:Extensions>{text}</samlp:Extensions><samlp:Status>", 1
        )
        with raises_aws("InvalidIdentityToken", "Invalid SAML response: not well-formed XML", 400):
            assume(sts, world, xml)
    # The control: the same extension text without a DTD.
    assume(sts, world, signed.replace("<samlp:Status>", "<samlp:Extensions>x</samlp:Extensions><samlp:Status>", 1))


def test_an_assertion_is_used_once(server, idp, world):
    sts = unsigned_sts(server)
    xml = response(idp, [(world["role"], world["provider"])])
    assume(sts, world, xml)
    with raises_aws("InvalidIdentityToken", status=400):
        assume(sts, world, xml)
    # The control: a new assertion from the same IdP.
    assume(sts, world, response(idp, [(world["role"], world["provider"])]))


def test_an_expired_assertion_is_refused(server, idp, world):
    sts = unsigned_sts(server)
    old = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(hours=1)
    with raises_aws("ExpiredTokenException", status=400):
        assume(sts, world, response(idp, [(world["role"], world["provider"])], issued=old))
    # A clock three minutes ahead or behind is tolerated (the leeway).
    skewed = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(seconds=400)
    assume(sts, world, response(idp, [(world["role"], world["provider"])], issued=skewed))


def test_a_wrong_audience_or_recipient_is_refused(server, idp, world):
    sts = unsigned_sts(server)
    with raises_aws("InvalidIdentityToken", "Response does not contain the required audience", 400):
        assume(sts, world, response(idp, [(world["role"], world["provider"])], audience="https://other.example.com"))
    with raises_aws("InvalidIdentityToken", status=400):
        assume(sts, world, response(idp, [(world["role"], world["provider"])], recipient="https://evil.example.com/acs"))
    # The control: AWS's ACS URL as the audience is accepted too.
    assume(sts, world, response(idp, [(world["role"], world["provider"])], audience="https://signin.aws.amazon.com/saml"))


def test_the_role_attribute_must_name_this_role_and_provider(server, iam, idp, world):
    sts = unsigned_sts(server)
    other_role = f"arn:aws:iam::{ACCOUNT_ID}:role/{unique('other')}"
    with raises_aws("AccessDenied", DENIED, 403):
        assume(sts, world, response(idp, [(other_role, world["provider"])]))
    with raises_aws("InvalidIdentityToken", "RoleSessionName is required in AuthnResponse", 400):
        assume(sts, world, response(idp, [(world["role"], world["provider"])], session_name=""))
    # The control: the pair may come in either order, among other pairs.
    assume(sts, world, response(idp, [(other_role, world["provider"]), (world["provider"], world["role"])]))


def test_the_trust_policy_sees_the_saml_keys(server, iam, idp, world):
    sts = unsigned_sts(server)
    iam.update_assume_role_policy(
        RoleName=world["role_name"],
        PolicyDocument=trust(
            world["provider"],
            condition={"StringEquals": {"saml:sub": "someone-else", "saml:sub_type": "persistent", "saml:iss": idp.entity_id}},
        ),
    )
    with raises_aws("AccessDenied", DENIED, 403):
        assume(sts, world, response(idp, [(world["role"], world["provider"])]))
    # The control: the subject the IdP asserts.
    iam.update_assume_role_policy(
        RoleName=world["role_name"],
        PolicyDocument=trust(
            world["provider"],
            condition={
                "StringEquals": {
                    "saml:sub": "7ca82df9-1bad-4c6b-9c1b-alice",
                    "saml:sub_type": "persistent",
                    "saml:iss": idp.entity_id,
                    "saml:doc": f"{ACCOUNT_ID}/{world['provider_name']}",
                    "sts:RoleSessionName": "alice@example.com",
                }
            },
        ),
    )
    assume(sts, world, response(idp, [(world["role"], world["provider"])]))


def test_principal_tags_and_source_identity_need_their_trust_actions(server, iam, idp, world):
    sts = unsigned_sts(server)
    attrs = {
        "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Project": ["blue"],
        "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys": ["Project"],
        "https://aws.amazon.com/SAML/Attributes/SourceIdentity": ["alice"],
    }
    with raises_aws("AccessDenied", DENIED, 403):
        assume(sts, world, response(idp, [(world["role"], world["provider"])], extra_attrs=attrs))
    iam.update_assume_role_policy(
        RoleName=world["role_name"],
        PolicyDocument=trust(world["provider"], actions=["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"]),
    )
    out = assume(sts, world, response(idp, [(world["role"], world["provider"])], extra_attrs=attrs))
    assert out["SourceIdentity"] == "alice"
    assert isinstance(out["PackedPolicySize"], int)


def test_the_duration_is_the_roles_and_capped_by_the_assertion(server, iam, idp, world):
    sts = unsigned_sts(server)
    with raises_aws("ValidationError", status=400):
        assume(sts, world, response(idp, [(world["role"], world["provider"])]), DurationSeconds=7200)
    out = assume(sts, world, response(idp, [(world["role"], world["provider"])]), DurationSeconds=900)
    lifetime = (out["Credentials"]["Expiration"] - _dt.datetime.now(_dt.timezone.utc)).total_seconds()
    assert 850 < lifetime <= 900
    cap = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=1800)
    out = assume(sts, world, response(idp, [(world["role"], world["provider"])], session_not_on_or_after=cap))
    lifetime = (out["Credentials"]["Expiration"] - _dt.datetime.now(_dt.timezone.utc)).total_seconds()
    assert 1700 < lifetime <= 1800


def test_deleting_the_provider_ends_its_sessions(server, iam, idp, world):
    sts = unsigned_sts(server)
    creds = assume(sts, world, response(idp, [(world["role"], world["provider"])]))["Credentials"]
    me = make_client("sts", server.url, Creds(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]))
    me.get_caller_identity()
    iam.delete_saml_provider(SAMLProviderArn=world["provider"])
    with pytest.raises(Exception) as e:
        me.get_caller_identity()
    assert "ExpiredToken" in str(e.value) or "InvalidClientTokenId" in str(e.value)
    # And no new session through it.
    with raises_aws("InvalidIdentityToken", status=400):
        assume(sts, world, response(idp, [(world["role"], world["provider"])]))


def test_the_aws_cli_exchanges_an_assertion_unsigned(aws, idp, world):
    xml = response(idp, [(world["role"], world["provider"])], session_name="cli-user")
    rc, out, err = aws(
        "sts",
        "assume-role-with-saml",
        "--role-arn",
        world["role"],
        "--principal-arn",
        world["provider"],
        "--saml-assertion",
        b64(xml),
        creds=None,
    )
    assert rc == 0, err
    assert out["AssumedRoleUser"]["Arn"].endswith("/cli-user")
    assert out["SubjectType"] == "persistent"


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_a_pysaml2_identity_provider_signs_in(server, idp, world, sign):
    """PyPI's pysaml2 as the IdP: its responses (its namespace prefixes, xsi:type'd attribute
    values, its signature placement) are accepted, and a tampered one is not."""
    pytest.importorskip("saml2")
    sts = unsigned_sts(server)
    xml = pysaml2_response(idp, [(world["role"], world["provider"])], "bob@example.com", "bob-id", sign=sign)
    out = assume(sts, world, xml)
    assert out["Subject"] == "bob-id" and out["SubjectType"] == "persistent"
    assert out["AssumedRoleUser"]["Arn"].endswith("/bob@example.com")
    tampered = pysaml2_response(idp, [(world["role"], world["provider"])], "bob@example.com", "bob-id", sign=sign)
    with raises_aws("InvalidIdentityToken", status=400):
        assume(sts, world, tampered.replace("bob-id", "admin-id"))


def test_a_failed_status_is_idp_rejected_claim(server, idp, world):
    sts = unsigned_sts(server)
    ok = "urn:oasis:names:tc:SAML:2.0:status:Success"
    xml = response(idp, [(world["role"], world["provider"])], sign="assertion")
    failed = xml.replace(ok, "urn:oasis:names:tc:SAML:2.0:status:Responder")
    with raises_aws("IDPRejectedClaim", "The identity provider reported that authentication failed", 403):
        assume(sts, world, failed)
    # The control: the same response with its Success status.
    assume(sts, world, xml)


def test_session_policies_are_checked_as_for_assume_role(server, idp, world):
    sts = unsigned_sts(server)
    with raises_aws("MalformedPolicyDocument", status=400):
        assume(sts, world, response(idp, [(world["role"], world["provider"])]), Policy="{not json")
    # The control: a well-formed session policy, reported in PackedPolicySize.
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    out = assume(sts, world, response(idp, [(world["role"], world["provider"])]), Policy=policy)
    assert 0 < out["PackedPolicySize"] <= 100


def test_saml_sub_type_and_namequalifier_reach_the_sessions_own_requests(server, iam, idp, world):
    """`saml:namequalifier`, `saml:sub` and `saml:sub_type` stay in the requests a SAML session makes (IAM User
    Guide, SAML condition keys; shared/reference/federation.md §4.4): `${saml:sub}` names the one user a session
    may read. The attack: the session reading another user, and another subject reading this one."""
    sts = unsigned_sts(server)
    alice, bob = unique("alice"), unique("bob")
    for name in (alice, bob):
        iam.create_user(UserName=name)
    qualifier = base64.b64encode(
        hashlib.sha1(f"{idp.entity_id}{ACCOUNT_ID}/{world['provider_name']}".encode()).digest()
    ).decode()
    iam.put_role_policy(
        RoleName=world["role_name"], PolicyName="own-user",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:GetUser", "Resource": f"arn:aws:iam::{ACCOUNT_ID}:user/${{saml:sub}}",
            "Condition": {"StringEquals": {"saml:sub_type": "persistent", "saml:namequalifier": qualifier}},
        }]}),
    )

    def session(name_id: str, **kw):
        out = assume(sts, world, response(idp, [(world["role"], world["provider"])], name_id=name_id, **kw))
        c = out["Credentials"]
        return make_client("iam", server.url, Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]))

    as_alice, as_bob = session(alice), session(bob)
    assert as_alice.get_user(UserName=alice)["User"]["UserName"] == alice
    assert as_bob.get_user(UserName=bob)["User"]["UserName"] == bob
    with raises_aws("AccessDenied", status=403):
        as_alice.get_user(UserName=bob)
    with raises_aws("AccessDenied", status=403):
        as_bob.get_user(UserName=alice)
    # saml:sub_type is in the session too: a transient NameID of the same value does not meet the condition.
    transient = session(alice, name_format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient")
    with raises_aws("AccessDenied", status=403):
        transient.get_user(UserName=alice)


def test_a_replayed_assertion_is_refused_after_a_restart(warden_factory, store, idp):
    """The spent assertion IDs are stored through the one write path before the session is answered: a warden
    restarted on the same database (SQLite file or PostgreSQL) still refuses the replay, and a fresh assertion
    from the same IdP is the control."""
    w = warden_factory(extra_env=store.env)
    iam = make_client("iam", w.url)
    world_ = {"provider_name": unique("idp")}
    world_["provider"] = iam.create_saml_provider(Name=world_["provider_name"], SAMLMetadataDocument=idp.metadata())[
        "SAMLProviderArn"
    ]
    world_["role"] = iam.create_role(RoleName=unique("saml-role"), AssumeRolePolicyDocument=trust(world_["provider"]))[
        "Role"
    ]["Arn"]
    xml = response(idp, [(world_["role"], world_["provider"])])
    assume(unsigned_sts(w), world_, xml)
    w.restart()
    with raises_aws("InvalidIdentityToken", "The SAML assertion has already been used", 400):
        assume(unsigned_sts(w), world_, xml)
    assume(unsigned_sts(w), world_, response(idp, [(world_["role"], world_["provider"])]))


# Encrypted assertions (AssertionEncryptionMode, the provider's private keys).

UNDECRYPTABLE = "Invalid SAML response: the encrypted assertion could not be decrypted"


@pytest.fixture(scope="module")
def sp():
    """The service provider's encryption key pair (AWS's side: its private key goes to the provider)."""
    return Idp(entity_id="urn:amazon:webservices")


def encrypted_world(iam, idp, world, key_pem: str | None, mode: str = "Allowed") -> dict:
    """`world` with a provider of its own holding `key_pem` (none: no key) in `mode`."""
    name = unique("idp-enc")
    extra = {"AddPrivateKey": key_pem, "AssertionEncryptionMode": mode} if key_pem else {}
    provider = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata(), **extra)["SAMLProviderArn"]
    iam.update_assume_role_policy(RoleName=world["role_name"], PolicyDocument=trust(provider))
    return {**world, "provider": provider, "provider_name": name}


def test_an_encrypted_assertion_gives_a_session_with_the_providers_key(server, iam, idp, sp, world):
    sts = unsigned_sts(server)
    w = encrypted_world(iam, idp, world, sp.key_pem)
    roles = [(w["role"], w["provider"])]
    # Signed on the assertion (inside the ciphertext), AES-GCM and AES-CBC; and signed on the
    # Response only, over the ciphertext.
    for how in (dict(sign="assertion"), dict(sign="assertion", content="aes128-cbc"), dict(sign="response")):
        xml = response(idp, roles, encrypt_to=sp, **how)
        assert "alice" not in xml and "<saml:EncryptedAssertion>" in xml
        out = assume(sts, w, xml)
        assert out["Subject"] == "7ca82df9-1bad-4c6b-9c1b-alice"
        assert out["AssumedRoleUser"]["Arn"].endswith("/alice@example.com")


def test_a_wrong_key_or_no_key_does_not_decrypt(server, iam, idp, sp, world):
    sts = unsigned_sts(server)
    other = Idp()
    for key in (other.key_pem, None):
        w = encrypted_world(iam, idp, world, key)
        with raises_aws("InvalidIdentityToken", UNDECRYPTABLE, 400):
            assume(sts, w, response(idp, [(w["role"], w["provider"])], encrypt_to=sp))
    # Rotation, and the control: the right key added beside the wrong one decrypts.
    w = encrypted_world(iam, idp, world, other.key_pem)
    iam.update_saml_provider(SAMLProviderArn=w["provider"], AddPrivateKey=sp.key_pem)
    assume(sts, w, response(idp, [(w["role"], w["provider"])], encrypt_to=sp))


def test_mode_required_refuses_a_plain_assertion(server, iam, idp, sp, world):
    sts = unsigned_sts(server)
    w = encrypted_world(iam, idp, world, sp.key_pem, mode="Required")
    roles = [(w["role"], w["provider"])]
    with raises_aws("InvalidIdentityToken", "The SAML provider requires encrypted assertions", 400):
        assume(sts, w, response(idp, roles))
    assume(sts, w, response(idp, roles, encrypt_to=sp))
    # Control: Allowed takes both.
    iam.update_saml_provider(SAMLProviderArn=w["provider"], AssertionEncryptionMode="Allowed")
    assume(sts, w, response(idp, roles))
    assume(sts, w, response(idp, roles, encrypt_to=sp))


def test_failed_decryptions_lock_the_providers_keys_for_a_while(server, iam, idp, sp, world):
    """Each failed decryption is an RSA operation an attacker chose and can time (the Marvin
    attack on non-constant-time RSA needs very many): 100 failures within a minute lock the
    provider's keys for a minute (DECRYPTION_POLICY)."""
    sts = unsigned_sts(server)
    w = encrypted_world(iam, idp, world, sp.key_pem)
    roles = [(w["role"], w["provider"])]
    # Ciphertexts for a key the provider does not hold: every one is tried and fails.
    stranger = Idp()
    wrong = response(idp, roles, encrypt_to=stranger)
    for _ in range(100):
        with raises_aws("InvalidIdentityToken", UNDECRYPTABLE, 400):
            assume(sts, w, wrong)
    # Locked: the right ciphertext is not decrypted either, and gets the same answer.
    with raises_aws("InvalidIdentityToken", UNDECRYPTABLE, 400):
        assume(sts, w, response(idp, roles, encrypt_to=sp))
    # Plain assertions still work under Allowed.
    assume(sts, w, response(idp, roles))
    # Control: another provider with the same key is not locked.
    other = encrypted_world(iam, idp, world, sp.key_pem)
    assume(sts, other, response(idp, [(other["role"], other["provider"])], encrypt_to=sp))


def test_a_plain_signed_assertion_beside_an_encrypted_one_is_refused(server, iam, idp, sp, world):
    sts = unsigned_sts(server)
    w = encrypted_world(iam, idp, world, sp.key_pem)
    roles = [(w["role"], w["provider"])]
    plain = response(idp, [(w["role"], w["provider"])], session_name="mallory")
    start, end = plain.index("<saml:Assertion"), plain.index("</saml:Assertion>") + len("</saml:Assertion>")
    evil = plain[start:end]
    for sign in ("assertion", "response"):
        encrypted = response(idp, roles, sign=sign, encrypt_to=sp)
        for wrapped in (
            encrypted.replace("<saml:EncryptedAssertion>", evil + "<saml:EncryptedAssertion>", 1),
            encrypted.replace("</saml:EncryptedAssertion>", "</saml:EncryptedAssertion>" + evil, 1),
        ):
            with raises_aws("InvalidIdentityToken", status=400):
                assume(sts, w, wrapped)
        # Control: each alone is accepted.
        assume(sts, w, encrypted)
    assume(sts, w, plain)


def test_key_transport_pkcs1_v1_5_is_refused(server, iam, idp, sp, world):
    sts = unsigned_sts(server)
    w = encrypted_world(iam, idp, world, sp.key_pem)
    roles = [(w["role"], w["provider"])]
    with raises_aws("InvalidIdentityToken", "Invalid SAML response: unsupported key transport", 400):
        assume(sts, w, response(idp, roles, encrypt_to=sp, transport="rsa-1_5"))
    # Control: RSA-OAEP.
    assume(sts, w, response(idp, roles, encrypt_to=sp))


@pytest.mark.parametrize("sign", ["assertion", "response"])
def test_a_pysaml2_identity_provider_encrypts_in_its_own_way(server, iam, idp, sp, world, sign):
    sts = unsigned_sts(server)
    w = encrypted_world(iam, idp, world, sp.key_pem)
    roles = [(w["role"], w["provider"])]
    xml = pysaml2_response(idp, roles, "alice@example.com", "nid-alice", sign=sign, encrypt_to=sp)
    assert "EncryptedAssertion" in xml and "alice" not in xml and "aes256-cbc" in xml
    out = assume(sts, w, xml)
    assert out["Subject"] == "nid-alice"
    # pysaml2's own content cipher, 3DES, is refused (AWS names AES-GCM or AES-CBC only).
    triple_des = pysaml2_response(idp, roles, "alice@example.com", "nid-alice", sign=sign, encrypt_to=sp, aes=False)
    assert "tripledes-cbc" in triple_des
    with raises_aws("InvalidIdentityToken", "Invalid SAML response: unsupported encryption method", 400):
        assume(sts, w, triple_des)
