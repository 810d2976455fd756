"""The peer's CERT payloads beyond X.509 signature certificates (RFC 7296 §3.6, RFC 7670):
hash-and-URL certificates (12) and bundles (13), raw public keys (15) and raw RSA keys
(11).

A connection whose ``hash_and_url`` policy is ``"allow"`` announces
HTTP_CERT_LOOKUP_SUPPORTED and, when the peer names its certificate or bundle by hash
and URL, asks its caller for the bytes (sans-IO: ikewire never fetches), checks their
SHA-1 and then treats them as if sent inline; ``"tolerate"`` (the default) sends
hash-and-URL to peers that fetch but refuses to fetch for itself. This module holds the
pending fetch and the pure steps around it; the connection drives them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..certbundle import read_bundle, split_hash_and_url
from ..constants import CertEncoding, NotifyType
from ..crypto.auth import PublicKey
from ..errors import DecodeError, ProtocolError
from ..wire.models import CERT, Payload

__all__ = [
    "HASH_AND_URL",
    "MAX_FETCHES",
    "PendingFetch",
    "check_raw_key",
    "named_objects",
    "refuse_unusable_certs",
    "substitute",
]

HASH_AND_URL = (
    CertEncoding.HASH_AND_URL_X509_CERTIFICATE,
    CertEncoding.HASH_AND_URL_X509_BUNDLE,
)
MAX_FETCHES = 8
"""Most objects one message may name by URL: a leaf, intermediates, a bundle."""


@dataclass(slots=True)
class PendingFetch:
    """Objects asked of the caller for one IKE_AUTH message, and how to go on."""

    message_id: int
    wanted: dict[str, tuple[bytes, int]]  # url -> (SHA-1, encoding)
    got: dict[str, bytes]
    inner: tuple[Payload, ...]
    resume: Callable[[tuple[Payload, ...], float], None]
    deadline: float


def _auth_failed(reason: str) -> ProtocolError:
    return ProtocolError(reason, notify=NotifyType.AUTHENTICATION_FAILED)


def named_objects(inner: Sequence[Payload]) -> list[tuple[int, bytes, str]]:
    """(encoding, SHA-1, URL) of each hash-and-URL CERT payload, in order; a malformed
    one raises ProtocolError(AUTHENTICATION_FAILED) naming what is wrong."""
    out = []
    for x in inner:
        if type(x) is CERT and x.encoding in HASH_AND_URL:
            try:
                digest, url = split_hash_and_url(x.data)
            except DecodeError as exc:
                raise _auth_failed(f"malformed hash-and-URL CERT payload: {exc}") from None
            out.append((int(x.encoding), digest, url))
    if len(out) > MAX_FETCHES:
        raise _auth_failed(f"{len(out)} hash-and-URL CERT payloads: at most {MAX_FETCHES}")
    return out


def _end_entity_first(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    """A bundle's certificates with the end entity (not a CA) first (RFC 7296 §3.6: the
    first certificate carries the key that signs AUTH)."""

    def is_ca(c: x509.Certificate) -> bool:
        try:
            return bool(c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
        except x509.ExtensionNotFound:
            return False

    leaves = [c for c in certs if not is_ca(c)]
    return leaves[:1] + [c for c in certs if c is not (leaves[0] if leaves else None)]


def substitute(
    inner: Sequence[Payload], got: dict[str, bytes]
) -> tuple[tuple[Payload, ...], tuple[x509.CertificateRevocationList, ...]]:
    """``inner`` with each hash-and-URL CERT replaced by what was fetched, as X.509
    signature CERT payloads (a bundle: its certificates, end entity first), and the
    bundles' CRLs; ProtocolError(AUTHENTICATION_FAILED) for bytes that are not what the
    encoding says."""
    out: list[Payload] = []
    crls: list[x509.CertificateRevocationList] = []
    for x in inner:
        if not (type(x) is CERT and x.encoding in HASH_AND_URL):
            out.append(x)
            continue
        _, url = split_hash_and_url(x.data)
        data = got[url]
        if x.encoding == CertEncoding.HASH_AND_URL_X509_CERTIFICATE:
            try:
                x509.load_der_x509_certificate(data)
            except ValueError as exc:
                raise _auth_failed(f"{url} did not give a DER X.509 certificate: {exc}") from None
            out.append(CERT(CertEncoding.X509_CERTIFICATE_SIGNATURE, data))
            continue
        try:
            bundle = read_bundle(data)
        except DecodeError as exc:
            raise _auth_failed(f"{url} did not give a certificate bundle: {exc}") from None
        if not bundle.certificates:
            raise _auth_failed(f"the bundle at {url} holds no certificate")
        for c in _end_entity_first(list(bundle.certificates)):
            der = c.public_bytes(serialization.Encoding.DER)
            out.append(CERT(CertEncoding.X509_CERTIFICATE_SIGNATURE, der))
        crls.extend(bundle.crls)
    return tuple(out), tuple(crls)


def refuse_unusable_certs(certs: Sequence[CERT], policy: str) -> None:
    """No X.509 certificate came inline: say why the others cannot stand in for it."""
    for c in certs:
        if c.encoding in HASH_AND_URL:
            try:
                _, url = split_hash_and_url(c.data)
            except DecodeError:
                url = "(malformed)"
            if policy != "allow":
                raise _auth_failed(
                    f"the peer sent its certificate as hash and URL ({url}); the "
                    f"hash_and_url policy {policy!r} does not fetch (set 'allow' to fetch it)"
                )
        elif c.encoding in (CertEncoding.RAW_PUBLIC_KEY, CertEncoding.RAW_RSA_KEY):
            raise _auth_failed(
                "the peer sent a raw public key (RFC 7670); trusting one needs "
                "remote_public_key configured"
            )


def check_raw_key(certs: Sequence[CERT], configured: PublicKey) -> None:
    """A Raw Public Key (15, the DER SubjectPublicKeyInfo; RFC 7670 §3) or raw RSA key
    (11, PKCS #1 RSAPublicKey) the peer sent must be the configured one."""
    for c in certs:
        if c.encoding == CertEncoding.RAW_PUBLIC_KEY:
            mine = configured.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        elif c.encoding == CertEncoding.RAW_RSA_KEY:
            if not isinstance(configured, rsa.RSAPublicKey):
                raise _auth_failed("the peer sent a raw RSA key; the configured key is not RSA")
            mine = configured.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.PKCS1
            )
        else:
            continue
        if c.data != mine:
            raise _auth_failed(
                f"the peer's raw public key (CERT encoding {int(c.encoding)}) is not the "
                "configured remote_public_key"
            )
