"""A SAML 2.0 identity provider for the tests: it writes IdP-initiated Responses for AWS and signs
them with xmlsec1 (the reference XML-DSig implementation, the one pysaml2 drives too), with
exclusive c14n, RSA-SHA256 and SHA-256 digests, as IdPs do.

Run as a script it writes the Rust unit tests' fixtures (crates/warden-core/tests/data/saml/).
"""

from __future__ import annotations

import base64
import re
import datetime as _dt
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

XMLSEC1 = shutil.which("xmlsec1")
ROLE_ATTR = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_ATTR = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
ISSUER = "https://idp.example.com/saml"
ACS = "https://signin.aws.amazon.com/saml"

SIGNATURE_TEMPLATE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-{alg}"/>
<ds:Reference URI="#{ref}">
<ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
</ds:Transforms>
<ds:DigestMethod Algorithm="{digest}"/>
<ds:DigestValue></ds:DigestValue>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue></ds:SignatureValue>
<ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>
</ds:Signature>"""

ENCRYPTION_TEMPLATE = """<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">
<xenc:EncryptionMethod Algorithm="{content}"/>
<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<xenc:EncryptedKey>
<xenc:EncryptionMethod Algorithm="{transport}">{transport_params}</xenc:EncryptionMethod>
<xenc:CipherData><xenc:CipherValue/></xenc:CipherData>
</xenc:EncryptedKey>
</ds:KeyInfo>
<xenc:CipherData><xenc:CipherValue/></xenc:CipherData>
</xenc:EncryptedData>"""

# Content ciphers (XML-Enc 1.0 CBC, 1.1 GCM) and key transports by short name.
CONTENT = {
    "aes128-cbc": "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "aes256-cbc": "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    "aes128-gcm": "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "aes256-gcm": "http://www.w3.org/2009/xmlenc11#aes256-gcm",
}
TRANSPORT = {
    "rsa-oaep-mgf1p": ("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", ""),
    "rsa-oaep-sha256": (
        "http://www.w3.org/2009/xmlenc11#rsa-oaep",
        '<ds:DigestMethod xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        '<xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/>',
    ),
    "rsa-1_5": ("http://www.w3.org/2001/04/xmlenc#rsa-1_5", ""),
}

DIGESTS = {"sha256": "http://www.w3.org/2001/04/xmlenc#sha256", "sha1": "http://www.w3.org/2000/09/xmldsig#sha1"}


@dataclass
class Idp:
    """An IdP's key pair, certificate and metadata."""

    entity_id: str = ISSUER
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def __post_init__(self):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
        now = _dt.datetime.now(_dt.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(days=1))
            .not_valid_after(now + _dt.timedelta(days=3650))
            .sign(self.key, hashes.SHA256())
        )
        self.dir = Path(tempfile.mkdtemp(prefix="idp-"))
        self.key_path = self.dir / "key.pem"
        self.cert_path = self.dir / "cert.pem"
        self.key_path.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    @property
    def cert_b64(self) -> str:
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def metadata(self) -> str:
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{self.entity_id}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{self.cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""

    @property
    def key_pem(self) -> str:
        return self.key_path.read_text()

    def sign(self, xml: str, alg: str = "sha256") -> str:
        """Fills the first Signature template of `xml` (xmlsec1 signs one per run)."""
        src = self.dir / f"{uuid.uuid4().hex}.xml"
        src.write_text(xml)
        out = subprocess.run(
            [
                XMLSEC1 or "xmlsec1",
                "--sign",
                "--privkey-pem",
                f"{self.key_path},{self.cert_path}",
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:protocol:Response",
                str(src),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out


def encrypt_assertion(xml: str, to: Idp, content: str = "aes256-gcm", transport: str = "rsa-oaep-mgf1p") -> str:
    """Replaces the Assertion of `xml` with an EncryptedAssertion for the key pair `to` (the SP's),
    encrypted by xmlsec1 from the template: a fresh AES key under RSA `transport`."""
    start = xml.index("<saml:Assertion")
    end = xml.index("</saml:Assertion>") + len("</saml:Assertion>")
    plain = to.dir / f"{uuid.uuid4().hex}.xml"
    plain.write_text(xml[start:end])
    template = to.dir / f"{uuid.uuid4().hex}-tmpl.xml"
    # xmlsec1 1.2 wraps with OAEP SHA-1 only: the XML-Enc 1.1 SHA-256 form is rewrapped below.
    uri, params = TRANSPORT["rsa-oaep-mgf1p" if transport == "rsa-oaep-sha256" else transport]
    template.write_text(ENCRYPTION_TEMPLATE.format(content=CONTENT[content], transport=uri, transport_params=params))
    encrypted = subprocess.run(
        [
            XMLSEC1 or "xmlsec1",
            "--encrypt",
            "--pubkey-cert-pem",
            str(to.cert_path),
            "--session-key",
            "aes-" + content[3:6],
            "--xml-data",
            str(plain),
            str(template),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    encrypted = encrypted[encrypted.index("<xenc:EncryptedData") :].strip()
    if transport == "rsa-oaep-sha256":
        encrypted = rewrap_oaep_sha256(encrypted, to)
    return f"{xml[:start]}<saml:EncryptedAssertion>{encrypted}</saml:EncryptedAssertion>{xml[end:]}"


def rewrap_oaep_sha256(encrypted: str, to: Idp) -> str:
    """The session key of `encrypted` (OAEP SHA-1, as xmlsec1 1.2 wraps it) wrapped again with
    XML-Enc 1.1 RSA-OAEP, SHA-256 digest and MGF1-SHA-256, as newer IdPs do."""
    from cryptography.hazmat.primitives.asymmetric import padding

    key_start = encrypted.index("<xenc:EncryptedKey")
    value_start = encrypted.index("<xenc:CipherValue>", key_start) + len("<xenc:CipherValue>")
    value_end = encrypted.index("</xenc:CipherValue>", value_start)
    sha1 = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    sha256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    session_key = to.key.decrypt(base64.b64decode(encrypted[value_start:value_end]), sha1)
    rewrapped = base64.b64encode(to.key.public_key().encrypt(session_key, sha256)).decode()
    encrypted = encrypted[:value_start] + rewrapped + encrypted[value_end:]
    uri, params = TRANSPORT["rsa-oaep-sha256"]
    method = f'<xenc:EncryptionMethod Algorithm="{uri}">{params}</xenc:EncryptionMethod>'
    old = re.compile(r"<xenc:EncryptionMethod[^>]*(/>|>.*?</xenc:EncryptionMethod>)", re.S)
    return encrypted[:key_start] + old.sub(lambda _: method, encrypted[key_start:], count=1)


def iso(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def response(
    idp: Idp,
    roles: list[tuple[str, str]],
    *,
    session_name: str = "alice@example.com",
    name_id: str = "7ca82df9-1bad-4c6b-9c1b-alice",
    name_format: str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    audience: str = "urn:amazon:webservices",
    recipient: str = ACS,
    issued: _dt.datetime | None = None,
    lifetime: int = 300,
    sign: str = "assertion",
    alg: str = "sha256",
    extra_attrs: dict[str, list[str]] | None = None,
    assertion_id: str | None = None,
    session_not_on_or_after: _dt.datetime | None = None,
    encrypt_to: Idp | None = None,
    content: str = "aes256-gcm",
    transport: str = "rsa-oaep-mgf1p",
) -> str:
    """A Response XML; `sign` is "assertion", "response", "both" or "none". With `encrypt_to`, the
    assertion is encrypted for that key pair after its own signature and before the response's."""
    issued = issued or _dt.datetime.now(_dt.timezone.utc)
    until = issued + _dt.timedelta(seconds=lifetime)
    rid, aid = "_r" + uuid.uuid4().hex, assertion_id or ("_a" + uuid.uuid4().hex)
    digest = DIGESTS["sha1" if alg == "sha1" else "sha256"]
    sig = lambda ref: SIGNATURE_TEMPLATE.format(alg=alg, ref=ref, digest=digest)
    attrs = {ROLE_ATTR: [f"{r},{p}" for r, p in roles], SESSION_ATTR: [session_name] if session_name else []}
    attrs.update(extra_attrs or {})
    attr_xml = "".join(
        f'<saml:Attribute Name="{n}">' + "".join(f"<saml:AttributeValue>{v}</saml:AttributeValue>" for v in vs) + "</saml:Attribute>"
        for n, vs in attrs.items()
        if vs
    )
    session_attr = f' SessionNotOnOrAfter="{iso(session_not_on_or_after)}"' if session_not_on_or_after else ""
    assertion = f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{aid}" Version="2.0" IssueInstant="{iso(issued)}">
<saml:Issuer>{idp.entity_id}</saml:Issuer>{sig(aid) if sign in ("assertion", "both") else ""}
<saml:Subject>
<saml:NameID Format="{name_format}">{name_id}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
<saml:SubjectConfirmationData NotOnOrAfter="{iso(until)}" Recipient="{recipient}"/>
</saml:SubjectConfirmation>
</saml:Subject>
<saml:Conditions NotBefore="{iso(issued - _dt.timedelta(seconds=60))}" NotOnOrAfter="{iso(until)}">
<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
</saml:Conditions>
<saml:AuthnStatement AuthnInstant="{iso(issued)}"{session_attr}><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>
<saml:AttributeStatement>{attr_xml}</saml:AttributeStatement>
</saml:Assertion>"""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{rid}" Version="2.0" IssueInstant="{iso(issued)}" Destination="{recipient}">
<saml:Issuer>{idp.entity_id}</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
{assertion}
</samlp:Response>
"""
    if sign in ("assertion", "both"):
        xml = idp.sign(xml, alg)
    if encrypt_to is not None:
        xml = encrypt_assertion(xml, encrypt_to, content, transport)
    if sign in ("response", "both"):
        # xmlsec1 fills the first template only: the response's is added once the assertion is
        # signed (and encrypted), right after the response's Issuer.
        issuer = f"<saml:Issuer>{idp.entity_id}</saml:Issuer>"
        xml = idp.sign(xml.replace(issuer, issuer + sig(rid), 1), alg)
    return xml


def b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


AWS_SP_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:amazon:webservices">
<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:AssertionConsumerService index="1" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://signin.aws.amazon.com/saml"/>
</md:SPSSODescriptor>
</md:EntityDescriptor>"""


def pysaml2_response(
    idp: Idp,
    roles: list[tuple[str, str]],
    session_name: str,
    name_id: str,
    *,
    sign: str = "assertion",
    encrypt_to: Idp | None = None,
    aes: bool = True,
) -> str:
    """The same IdP as a pysaml2 `Server` (PyPI's pysaml2, which drives xmlsec1), answering AWS
    (its SP metadata: entity id `urn:amazon:webservices`, ACS https://signin.aws.amazon.com/saml)
    with an IdP-initiated response. With `encrypt_to`, pysaml2 encrypts the assertion for that key
    pair's certificate: its own way (RSA-OAEP, its namespace prefixes, its EncryptedKey), with
    3DES-CBC, the only content cipher it offers, or, with `aes`, AES-256-CBC put in its place."""
    import functools
    from unittest import mock

    import saml2.entity
    from saml2 import BINDING_HTTP_POST, xmldsig
    from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT
    from saml2.config import IdPConfig
    from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
    from saml2.server import Server

    sp = idp.dir / "aws-sp.xml"
    sp.write_text(AWS_SP_METADATA)
    cfg = IdPConfig()
    cfg.load(
        {
            "entityid": idp.entity_id,
            "service": {
                "idp": {
                    "endpoints": {"single_sign_on_service": [("https://idp.example.com/sso", BINDING_HTTP_POST)]},
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                            "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                        }
                    },
                }
            },
            "key_file": str(idp.key_path),
            "cert_file": str(idp.cert_path),
            "metadata": {"local": [str(sp)]},
            "xmlsec_binary": XMLSEC1,
        }
    )
    server = Server(config=cfg)
    ava = {ROLE_ATTR: [f"{r},{p}" for r, p in roles], SESSION_ATTR: [session_name]}
    encryption = {}
    if encrypt_to is not None:
        encryption = {"encrypt_assertion": True, "encrypt_cert_assertion": encrypt_to.cert_path.read_text()}
    template = saml2.entity.pre_encryption_part
    if aes:
        template = functools.partial(template, msg_enc=CONTENT["aes256-cbc"])
        server.sec.encrypt_assertion = functools.partial(server.sec.encrypt_assertion, key_type="aes-256")
    with mock.patch.object(saml2.entity, "pre_encryption_part", template):
        resp = server.create_authn_response(
            ava,
            None,
            ACS,
            "urn:amazon:webservices",
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id),
            sign_assertion=sign in ("assertion", "both"),
            sign_response=sign in ("response", "both"),
            authn={"class_ref": PASSWORDPROTECTEDTRANSPORT, "authn_auth": idp.entity_id},
            sign_alg=xmldsig.SIG_RSA_SHA256,
            digest_alg=xmldsig.DIGEST_SHA256,
            **encryption,
        )
    return str(resp)


if __name__ == "__main__":
    # The Rust unit tests' fixtures: fixed times far in the past, checked with a fixed "now".
    out = Path(__file__).resolve().parents[2] / "crates/warden-core/tests/data/saml"
    out.mkdir(parents=True, exist_ok=True)
    idp = Idp()
    (out / "idp_cert.b64").write_text(idp.cert_b64)
    at = _dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=_dt.timezone.utc)
    roles = [("arn:aws:iam::123456789012:role/Dev", "arn:aws:iam::123456789012:saml-provider/Corp")]
    for sign in ("assertion", "response", "both"):
        (out / f"signed_{sign}.xml").write_text(response(idp, roles, issued=at, sign=sign, assertion_id=f"_a_{sign}"))
    # A comment inside the NameID, signed as is (the comment-injection case).
    commented = response(idp, roles, issued=at, name_id="user@evil.com<!---->.example.com", assertion_id="_a_comment")
    (out / "signed_comment.xml").write_text(commented)
    # Encrypted assertions, for the SP key pair whose private key is kept beside them.
    sp = Idp(entity_id="urn:amazon:webservices")
    (out / "sp_key.pem").write_text(sp.key_pem)
    # Another key pair's private key: the wrong key.
    (out / "other_key.pem").write_text(Idp().key_pem)
    encrypted = {
        "encrypted_signed_assertion": dict(sign="assertion"),
        "encrypted_signed_response": dict(sign="response"),
        "encrypted_signed_both": dict(sign="both", content="aes128-gcm", transport="rsa-oaep-sha256"),
        "encrypted_cbc": dict(sign="assertion", content="aes256-cbc"),
        "encrypted_cbc128_oaep11": dict(sign="assertion", content="aes128-cbc", transport="rsa-oaep-sha256"),
        "encrypted_rsa15": dict(sign="assertion", transport="rsa-1_5"),
        "encrypted_unsigned": dict(sign="none"),
    }
    for name, how in encrypted.items():
        xml = response(idp, roles, issued=at, assertion_id=f"_a_{name}", encrypt_to=sp, **how)
        (out / f"{name}.xml").write_text(xml)
