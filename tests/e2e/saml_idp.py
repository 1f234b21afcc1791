"""A SAML 2.0 identity provider for the tests: it writes IdP-initiated Responses for AWS and signs
them with xmlsec1 (the reference XML-DSig implementation, the one pysaml2 drives too), with
exclusive c14n, RSA-SHA256 and SHA-256 digests, as IdPs do.

Run as a script it writes the Rust unit tests' fixtures (crates/warden-core/tests/data/saml/).
"""

from __future__ import annotations

import base64
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
) -> str:
    """A Response XML; `sign` is "assertion", "response", "both" or "none"."""
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
    assertion = f"""<saml:Assertion ID="{aid}" Version="2.0" IssueInstant="{iso(issued)}">
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
<saml:Issuer>{idp.entity_id}</saml:Issuer>{sig(rid) if sign == "response" else ""}
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
{assertion}
</samlp:Response>
"""
    if sign == "none":
        return xml
    signed = idp.sign(xml, alg)
    if sign == "both":
        # xmlsec1 fills the first template only: the assertion is signed first, then the
        # response around it (its template comes first in document order).
        issuer = f"<saml:Issuer>{idp.entity_id}</saml:Issuer>"
        signed = idp.sign(signed.replace(issuer, issuer + sig(rid), 1), alg)
    return signed


def b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


AWS_SP_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:amazon:webservices">
<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:AssertionConsumerService index="1" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://signin.aws.amazon.com/saml"/>
</md:SPSSODescriptor>
</md:EntityDescriptor>"""


def pysaml2_response(idp: Idp, roles: list[tuple[str, str]], session_name: str, name_id: str, *, sign: str = "assertion") -> str:
    """The same IdP as a pysaml2 `Server` (PyPI's pysaml2, which drives xmlsec1), answering AWS
    (its SP metadata: entity id `urn:amazon:webservices`, ACS https://signin.aws.amazon.com/saml)
    with an IdP-initiated response."""
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
