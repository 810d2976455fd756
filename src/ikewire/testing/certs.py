"""X.509 test certificates made at test time with :mod:`cryptography.x509`.

Certificates for IKE_AUTH (RFC 7296 §2.15, §3.6) and their profile (RFC 4945 §5):
a root CA, intermediates and end entities with BasicConstraints and KeyUsage set as
RFC 5280 §4.2.1.3/§4.2.1.9 require, subjectAltNames to match IKE identities
(RFC 4945 §3.1), optional ExtendedKeyUsage, and CRLs (RFC 5280 §5).

Typical use::

    chain = make_chain(2, "ecdsa-p256", san_dns=["gw.example"])
    store = TrustStore(anchors=(chain.root.cert,))
    validate_peer(chain.leaf.der, chain.extra_der, store, now=DEFAULT_NOW, ...)

Keys come from the OS random generator (``cryptography`` offers nothing else); the
validity dates are fixed so that tests are deterministic: every certificate is valid
from :data:`DEFAULT_NOT_BEFORE` to :data:`DEFAULT_NOT_AFTER` unless told otherwise, and
:data:`DEFAULT_NOW` lies between them.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, mldsa, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from ..crypto.auth import PrivateKey, PublicKey

__all__ = [
    "DEFAULT_NOT_AFTER",
    "DEFAULT_NOT_BEFORE",
    "DEFAULT_NOW",
    "EKU_CLIENT_AUTH",
    "EKU_CODE_SIGNING",
    "EKU_SERVER_AUTH",
    "IPSEC_IKE",
    "KEY_TYPES",
    "Chain",
    "Issued",
    "KeyType",
    "issue",
    "make_ca",
    "make_chain",
    "make_crl",
    "make_key",
    "name",
]

KeyType: TypeAlias = Literal[
    "ecdsa-p256",
    "ecdsa-p384",
    "ecdsa-p521",
    "rsa2048",
    "rsa3072",
    "ed25519",
    "ed448",
    "ml-dsa-44",
    "ml-dsa-65",
    "ml-dsa-87",
]
KEY_TYPES: Final[tuple[KeyType, ...]] = (
    "ecdsa-p256",
    "ecdsa-p384",
    "ecdsa-p521",
    "rsa2048",
    "rsa3072",
    "ed25519",
    "ed448",
    "ml-dsa-44",
    "ml-dsa-65",
    "ml-dsa-87",
)

UTC = datetime.UTC
DEFAULT_NOT_BEFORE: Final = datetime.datetime(2025, 1, 1, tzinfo=UTC)
DEFAULT_NOT_AFTER: Final = datetime.datetime(2035, 1, 1, tzinfo=UTC)
DEFAULT_NOW: Final = datetime.datetime(2026, 6, 1, tzinfo=UTC)

IPSEC_IKE: Final = ObjectIdentifier("1.3.6.1.5.5.7.3.17")
"""id-kp-ipsecIKE (RFC 4945 §5.1.3.12)."""


def make_key(key_type: KeyType = "ecdsa-p256") -> PrivateKey:
    """A fresh private key of ``key_type``."""
    if key_type == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ecdsa-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type == "ecdsa-p521":
        return ec.generate_private_key(ec.SECP521R1())
    if key_type == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "rsa3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "ed448":
        return ed448.Ed448PrivateKey.generate()
    if key_type == "ml-dsa-44":
        return mldsa.MLDSA44PrivateKey.generate()
    if key_type == "ml-dsa-65":
        return mldsa.MLDSA65PrivateKey.generate()
    if key_type == "ml-dsa-87":
        return mldsa.MLDSA87PrivateKey.generate()
    raise ValueError(f"unknown key type {key_type!r}; one of {', '.join(KEY_TYPES)}")


def _hash_for(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | None:
    if isinstance(
        key,
        ed25519.Ed25519PrivateKey
        | ed448.Ed448PrivateKey
        | mldsa.MLDSA44PrivateKey
        | mldsa.MLDSA65PrivateKey
        | mldsa.MLDSA87PrivateKey,
    ):
        return None  # the algorithm signs the certificate without a separate hash
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.key_size == 521:
            return hashes.SHA512()
        if key.curve.key_size == 384:
            return hashes.SHA384()
    return hashes.SHA256()


def name(value: str | x509.Name) -> x509.Name:
    """``"gw.example"`` -> ``CN=gw.example``; an RFC 4514 string (``"CN=a,O=b"``) or a
    :class:`x509.Name` is taken as it is."""
    if isinstance(value, x509.Name):
        return value
    if "=" in value:
        return x509.Name.from_rfc4514_string(value)
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value)])


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    key: PrivateKey
    cert: x509.Certificate

    @property
    def der(self) -> bytes:
        """The certificate, DER-encoded (what a CERT payload of encoding 4 carries)."""
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def public_key(self) -> PublicKey:
        """The certificate's public key."""
        return self.key.public_key()

    @property
    def subject(self) -> x509.Name:
        """The certificate's subject name."""
        return self.cert.subject


@dataclass(frozen=True)
class Chain:
    """A root CA, intermediates (from the root down) and a leaf (end entity)."""

    root: Issued
    intermediates: tuple[Issued, ...]
    leaf: Issued

    @property
    def extra_der(self) -> tuple[bytes, ...]:
        """The intermediates, leaf's issuer first: the further CERT payloads to send."""
        return tuple(i.der for i in reversed(self.intermediates))

    @property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        """Leaf, intermediates (issuer after subject) and root."""
        return (
            self.leaf.cert,
            *(i.cert for i in reversed(self.intermediates)),
            self.root.cert,
        )


def issue(
    issuer: Issued | None,
    *,
    subject_name: str | x509.Name = "ikewire test end entity",
    key_type: KeyType = "ecdsa-p256",
    key: PrivateKey | None = None,
    san_dns: Sequence[str] = (),
    san_ip: Sequence[str] = (),
    san_email: Sequence[str] = (),
    san_dn: Sequence[str | x509.Name] = (),
    not_before: datetime.datetime = DEFAULT_NOT_BEFORE,
    not_after: datetime.datetime = DEFAULT_NOT_AFTER,
    is_ca: bool = False,
    path_length: int | None = None,
    basic_constraints: bool = True,
    key_usage: x509.KeyUsage | Literal["default"] | None = "default",
    eku: Sequence[ObjectIdentifier] | None = None,
    serial_number: int | None = None,
    signing_key: PrivateKey | None = None,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
) -> Issued:
    """A certificate for ``subject_name`` signed by ``issuer`` (self-signed when ``None``).

    ``key`` (or a fresh key of ``key_type``) is the subject's key. SubjectAltNames come
    from ``san_dns``, ``san_ip`` (IPv4 or IPv6 text), ``san_email`` and ``san_dn``.
    BasicConstraints (critical) is added unless ``basic_constraints`` is false, with
    ``is_ca`` and ``path_length``; ``key_usage="default"`` gives keyCertSign+cRLSign for a
    CA and digitalSignature for an end entity, ``None`` leaves it out. ``eku`` adds
    ExtendedKeyUsage. ``signing_key`` signs instead of the issuer's key (to make a
    certificate whose signature does not verify). ``extensions`` adds more, as
    ``(value, critical)`` pairs.
    """
    subject_key = key if key is not None else make_key(key_type)
    subject = name(subject_name)
    if issuer is None:
        issuer_name, issuer_key = subject, subject_key
        authority_public = subject_key.public_key()
    else:
        issuer_name, issuer_key = issuer.cert.subject, issuer.key
        authority_public = issuer.key.public_key()
    sign_with = signing_key if signing_key is not None else issuer_key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(subject_key.public_key())
        .serial_number(serial_number if serial_number is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_public), False)
    )
    if basic_constraints:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=is_ca, path_length=path_length if is_ca else None), True
        )
    if key_usage == "default":
        key_usage = _ca_usage() if is_ca else _ee_usage()
    if key_usage is not None:
        builder = builder.add_extension(key_usage, True)
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), False)
    general_names: list[x509.GeneralName] = [x509.DNSName(d) for d in san_dns]
    general_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in san_ip]
    general_names += [x509.RFC822Name(e) for e in san_email]
    general_names += [x509.DirectoryName(name(n)) for n in san_dn]
    if general_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(general_names), False)
    for value, critical in extensions:
        builder = builder.add_extension(value, critical)
    cert = builder.sign(sign_with, _hash_for(sign_with))
    return Issued(subject_key, cert)


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _ee_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(
    subject_name: str | x509.Name = "ikewire Test Root CA",
    *,
    key_type: KeyType = "ecdsa-p256",
    issuer: Issued | None = None,
    path_length: int | None = None,
    not_before: datetime.datetime = DEFAULT_NOT_BEFORE,
    not_after: datetime.datetime = DEFAULT_NOT_AFTER,
) -> Issued:
    """A CA certificate: self-signed root, or an intermediate when ``issuer`` is given."""
    return issue(
        issuer,
        subject_name=subject_name,
        key_type=key_type,
        is_ca=True,
        path_length=path_length,
        not_before=not_before,
        not_after=not_after,
    )


def make_chain(
    depth: int = 1,
    key_type: KeyType = "ecdsa-p256",
    *,
    subject_name: str | x509.Name = "ikewire test end entity",
    san_dns: Sequence[str] = (),
    san_ip: Sequence[str] = (),
    san_email: Sequence[str] = (),
    eku: Sequence[ObjectIdentifier] | None = None,
    root_name: str = "ikewire Test Root CA",
    not_before: datetime.datetime = DEFAULT_NOT_BEFORE,
    not_after: datetime.datetime = DEFAULT_NOT_AFTER,
) -> Chain:
    """A root, ``depth - 1`` intermediates and a leaf, every key of ``key_type``.

    ``depth`` counts the certificates above the leaf: 1 is a leaf signed by the root.
    The leaf's validity and names are the keyword arguments; the CAs use the defaults.
    """
    if not 1 <= depth <= 8:
        raise ValueError("depth is 1 (leaf signed by the root) to 8")
    root = make_ca(root_name, key_type=key_type)
    intermediates: list[Issued] = []
    parent = root
    for level in range(1, depth):
        parent = make_ca(f"ikewire Test Intermediate CA {level}", key_type=key_type, issuer=parent)
        intermediates.append(parent)
    leaf = issue(
        parent,
        subject_name=subject_name,
        key_type=key_type,
        san_dns=san_dns,
        san_ip=san_ip,
        san_email=san_email,
        eku=eku,
        not_before=not_before,
        not_after=not_after,
    )
    return Chain(root, tuple(intermediates), leaf)


def make_crl(
    issuer: Issued,
    revoked_serials: Sequence[int] = (),
    *,
    last_update: datetime.datetime = DEFAULT_NOT_BEFORE,
    next_update: datetime.datetime = DEFAULT_NOT_AFTER,
    revoked_on: datetime.datetime | None = None,
    signing_key: PrivateKey | None = None,
) -> x509.CertificateRevocationList:
    """A CRL (RFC 5280 §5) from ``issuer`` listing ``revoked_serials``, each revoked on
    ``revoked_on`` (default ``last_update``).

    ``signing_key`` signs instead of the issuer's key (a CRL whose signature fails).
    """
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(last_update)
        .next_update(next_update)
    )
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(revoked_on if revoked_on is not None else last_update)
            .build()
        )
    key = signing_key if signing_key is not None else issuer.key
    return builder.sign(key, _hash_for(key))


EKU_SERVER_AUTH: Final = ExtendedKeyUsageOID.SERVER_AUTH
EKU_CLIENT_AUTH: Final = ExtendedKeyUsageOID.CLIENT_AUTH
EKU_CODE_SIGNING: Final = ExtendedKeyUsageOID.CODE_SIGNING
