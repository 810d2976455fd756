"""Certificate trust for IKE_AUTH (RFC 7296 §2.15, §3.6, §3.7; RFC 4945; RFC 5280).

* :func:`certreq_hashes` builds the Certification Authority field of a CERTREQ payload
  (RFC 7296 §3.7): the SHA-1 hash of each trusted CA's SubjectPublicKeyInfo.
* :func:`select_chain` reads a peer's CERTREQ and tells which of our certificates to send.
* :func:`validate_peer` validates the certificate(s) a peer sent in CERT payloads
  (encoding 4, "X.509 Certificate - Signature", RFC 7296 §3.6) against a
  :class:`TrustStore`, checks that the end entity carries the peer's IKE identity
  (RFC 4945 §3.1) and returns the public key the AUTH payload must verify under.

Path building and validation follow RFC 5280 §6 in the subset IKE needs, with every
signature checked by ``cryptography`` (:meth:`x509.Certificate.verify_directly_issued_by`,
:meth:`x509.CertificateRevocationList.is_signature_valid`). ``cryptography``'s own
``x509.verification`` verifier is not used: it enforces the Web PKI profile, which
forbids Ed25519 and Ed448 certificates (RFC 8410) that IKE uses (RFC 8420), and its
errors are free text, not the specific causes reported here.

Every failure raises :class:`CertificateError`, a :class:`ProtocolError` answered with
AUTHENTICATION_FAILED (RFC 7296 §2.21.2), carrying a :class:`TrustFailure` code and a
reason that names the certificate and the remedy.
"""

from __future__ import annotations

import datetime
import enum
import ipaddress
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, mldsa, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from ..constants import IDType, NotifyType
from ..crypto.auth import PublicKey
from ..errors import DecodeError, ProtocolError

__all__ = [
    "ACCEPTED_EKUS",
    "CERTREQ_HASH_SIZE",
    "CertificateError",
    "PeerIdentity",
    "TrustFailure",
    "TrustStore",
    "certreq_hashes",
    "select_chain",
    "spki_sha1",
    "split_certreq",
    "validate_peer",
]

CERTREQ_HASH_SIZE: Final = 20
"""Each Certification Authority entry is a SHA-1 hash (RFC 7296 §3.7)."""

ID_KP_IPSEC_IKE: Final = ObjectIdentifier("1.3.6.1.5.5.7.3.17")
"""id-kp-ipsecIKE (RFC 4945 §5.1.3.12)."""

ACCEPTED_EKUS: Final = frozenset(
    {
        ID_KP_IPSEC_IKE,
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    }
)
"""An end entity's ExtendedKeyUsage, when present, must list one of these
(RFC 4945 §5.1.3.12 names ipsecIKE and anyExtendedKeyUsage; serverAuth and clientAuth
are what deployed IKE CAs issue, and strongSwan accepts them)."""

DEFAULT_MAX_DEPTH: Final = 8
"""Most CA certificates above the end entity that a path may hold (anchor included)."""

_MAX_SIGNATURE_CHECKS: Final = 64
"""Bound on signature verifications while building paths."""

_MAX_PATHS: Final = 8
"""Bound on complete candidate paths tried (CA rollover, cross-certification)."""

# Extensions whose meaning is processed (or safely ignored) here; any other extension
# marked critical makes the certificate unusable (RFC 5280 §4.2).
_UNDERSTOOD: Final = frozenset(
    {
        x509.BasicConstraints.oid,
        x509.KeyUsage.oid,
        x509.ExtendedKeyUsage.oid,
        x509.SubjectAlternativeName.oid,
        x509.IssuerAlternativeName.oid,
        x509.SubjectKeyIdentifier.oid,
        x509.AuthorityKeyIdentifier.oid,
        x509.CertificatePolicies.oid,
        x509.CRLDistributionPoints.oid,
        x509.AuthorityInformationAccess.oid,
        x509.NameConstraints.oid,
    }
)

_ISSUER_KEYS: Final = (
    rsa.RSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
)

_SUPPORTED_CURVES: Final = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)


class TrustFailure(enum.Enum):
    """Why a peer's certificate was not accepted (machine-readable)."""

    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    UNKNOWN_ISSUER = "unknown-issuer"
    BAD_SIGNATURE = "bad-signature"
    NOT_A_CA = "not-a-ca"
    PATH_TOO_LONG = "path-too-long"
    KEY_USAGE = "key-usage"
    EXTENDED_KEY_USAGE = "extended-key-usage"
    REVOKED = "revoked"
    ID_MISMATCH = "id-mismatch"
    UNSUPPORTED_KEY = "unsupported-key"
    MALFORMED = "malformed"
    NAME_CONSTRAINTS = "name-constraints"


class CertificateError(ProtocolError):
    """The peer's certificate is not trusted for IKE (RFC 7296 §2.15, RFC 4945).

    ``failure`` says why; ``subject`` is the RFC 4514 subject of the certificate at
    fault (``None`` when it could not be parsed). The notify to answer is
    AUTHENTICATION_FAILED (RFC 7296 §2.21.2).
    """

    def __init__(self, failure: TrustFailure, reason: str, *, subject: str | None = None) -> None:
        super().__init__(reason, notify=NotifyType.AUTHENTICATION_FAILED)
        self.failure = failure
        self.subject = subject


class PeerIdentity(Protocol):
    """What :func:`validate_peer` needs of an identity (``connection.config.Identity``
    and the ``IDi``/``IDr`` payload models fit)."""

    @property
    def id_type(self) -> IDType | int: ...

    @property
    def data(self) -> bytes: ...


@dataclass(frozen=True)
class TrustStore:
    """What we trust: ``anchors`` (CA certificates, or pinned self-signed end entities),
    optional ``intermediates`` to complete paths the peer sends incompletely, ``crls``
    checked for every certificate in a path, and ``max_depth`` (CA certificates above
    the end entity, anchor included)."""

    anchors: Sequence[x509.Certificate]
    crls: Sequence[x509.CertificateRevocationList] = ()
    intermediates: Sequence[x509.Certificate] = ()
    max_depth: int = DEFAULT_MAX_DEPTH

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchors", tuple(self.anchors))
        object.__setattr__(self, "crls", tuple(self.crls))
        object.__setattr__(self, "intermediates", tuple(self.intermediates))


# ---------------------------------------------------------------------------------------
# CERTREQ (RFC 7296 §3.7)
# ---------------------------------------------------------------------------------------


def spki_sha1(cert: x509.Certificate) -> bytes:
    """SHA-1 of the certificate's DER SubjectPublicKeyInfo (RFC 7296 §3.7)."""
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA1())
    digest.update(spki)
    return digest.finalize()


def certreq_hashes(anchors: Sequence[x509.Certificate]) -> bytes:
    """The Certification Authority field of a CERTREQ of encoding 4 (RFC 7296 §3.7):
    each trusted CA's SPKI SHA-1, concatenated, duplicates dropped, order kept."""
    seen: list[bytes] = []
    for anchor in anchors:
        h = spki_sha1(anchor)
        if h not in seen:
            seen.append(h)
    return b"".join(seen)


def split_certreq(ca_field: bytes) -> tuple[bytes, ...]:
    """The 20-octet hashes of a CERTREQ Certification Authority field (RFC 7296 §3.7).

    Raises :class:`DecodeError` when its length is not a multiple of 20.
    """
    if len(ca_field) % CERTREQ_HASH_SIZE:
        raise DecodeError(
            f"{len(ca_field)} octets is not a whole number of 20-octet SHA-1 hashes",
            field="CERTREQ.certification_authority",
        )
    return tuple(
        ca_field[i : i + CERTREQ_HASH_SIZE] for i in range(0, len(ca_field), CERTREQ_HASH_SIZE)
    )


def select_chain(
    chain: Sequence[x509.Certificate], requested: bytes
) -> tuple[x509.Certificate, ...] | None:
    """Which of ``chain`` to send for a peer's CERTREQ (RFC 7296 §3.7, §2.15).

    ``chain`` is ours, end entity first, each next certificate the issuer of the one
    before, optionally ending with the root. ``requested`` is the CERTREQ's
    Certification Authority field. If a certificate of the chain has a requested key
    hash, the answer is the certificates below it (the end entity and intermediates
    the peer needs to reach that CA; just the end entity when the peer named its key
    directly); ``None`` when no CA of the chain is requested, in which case a
    single-chain sender may still send its whole chain (RFC 7296 §3.7: the CERTREQ is a
    hint). A malformed field raises :class:`DecodeError`.
    """
    wanted = set(split_certreq(requested))
    for index, cert in enumerate(chain):
        if spki_sha1(cert) in wanted:
            return tuple(chain[: max(index, 1)])
    return None


# ---------------------------------------------------------------------------------------
# Validation (RFC 5280 §6, RFC 4945 §5)
# ---------------------------------------------------------------------------------------


def _who(cert: x509.Certificate) -> str:
    text = cert.subject.rfc4514_string()
    return text if text else "with an empty subject"


def _when(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fail(failure: TrustFailure, cert: x509.Certificate | None, reason: str) -> CertificateError:
    return CertificateError(failure, reason, subject=_who(cert) if cert is not None else None)


def _load(der: bytes, what: str) -> x509.Certificate:
    try:
        cert = x509.load_der_x509_certificate(der)
        list(cert.extensions)  # parse the extensions now, not halfway through validation
    except ValueError as exc:
        raise CertificateError(
            TrustFailure.MALFORMED,
            f"the {what} is not a DER X.509 certificate ({exc}); "
            "the peer must send CERT payloads of encoding 4 (RFC 7296 §3.6)",
        ) from exc
    return cert


def _ext(
    cert: x509.Certificate, kind: type[x509.ExtensionType]
) -> x509.Extension[x509.ExtensionType] | None:
    try:
        return cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def _check_time(cert: x509.Certificate, now: datetime.datetime) -> None:
    """RFC 5280 §6.1.3 (a)(2)."""
    before, after = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now < before:
        raise _fail(
            TrustFailure.NOT_YET_VALID,
            cert,
            f"certificate {_who(cert)} is not valid before {_when(before)} "
            f"(now {_when(now)}); wait, or check the clock",
        )
    if now > after:
        raise _fail(
            TrustFailure.EXPIRED,
            cert,
            f"certificate {_who(cert)} expired {_when(after)}; renew it or check the clock",
        )


def _check_critical(cert: x509.Certificate) -> None:
    """RFC 5280 §4.2: a critical extension we do not process rejects the certificate."""
    for extension in cert.extensions:
        if extension.critical and extension.oid not in _UNDERSTOOD:
            raise _fail(
                TrustFailure.MALFORMED,
                cert,
                f"certificate {_who(cert)} has critical extension {extension.oid.dotted_string} "
                f"({extension.oid._name}) that ikewire does not process; "
                "reissue it without that extension or mark it non-critical",
            )


def _check_key(cert: x509.Certificate) -> PublicKey:
    """RSA, ECDSA on P-256/P-384/P-521 (RFC 4754), Ed25519 and Ed448 (RFC 8420), and
    ML-DSA-44/65/87 (FIPS 204; RFC 9881 certificates)."""
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise _fail(
            TrustFailure.UNSUPPORTED_KEY,
            cert,
            f"certificate {_who(cert)} has a public key ikewire cannot use ({exc}); "
            "use RSA, ECDSA P-256/P-384/P-521, Ed25519, Ed448 or ML-DSA",
        ) from exc
    if isinstance(key, ec.EllipticCurvePublicKey):
        if isinstance(key.curve, _SUPPORTED_CURVES):
            return key
        detail = f"ECDSA on {key.curve.name}"
    elif isinstance(
        key,
        rsa.RSAPublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey
        | mldsa.MLDSA44PublicKey
        | mldsa.MLDSA65PublicKey
        | mldsa.MLDSA87PublicKey,
    ):
        return key
    else:
        detail = type(key).__name__
    raise _fail(
        TrustFailure.UNSUPPORTED_KEY,
        cert,
        f"certificate {_who(cert)} has a {detail} key, which IKE authentication here does "
        "not support; use RSA, ECDSA P-256/P-384/P-521, Ed25519, Ed448 or ML-DSA",
    )


def _check_end_entity_usage(cert: x509.Certificate) -> None:
    """RFC 4945 §5.1.3.2 (KeyUsage) and §5.1.3.12 (ExtendedKeyUsage)."""
    ku = _ext(cert, x509.KeyUsage)
    if ku is not None:
        value = ku.value
        assert isinstance(value, x509.KeyUsage)
        if not (value.digital_signature or value.content_commitment):
            raise _fail(
                TrustFailure.KEY_USAGE,
                cert,
                f"certificate {_who(cert)} has KeyUsage without digitalSignature or "
                "nonRepudiation, so it may not sign IKE AUTH payloads (RFC 4945 §5.1.3.2); "
                "reissue it with digitalSignature",
            )
    eku = _ext(cert, x509.ExtendedKeyUsage)
    if eku is not None:
        usages = eku.value
        assert isinstance(usages, x509.ExtendedKeyUsage)
        if not ACCEPTED_EKUS.intersection(usages):
            listed = ", ".join(o._name for o in usages) or "nothing"
            raise _fail(
                TrustFailure.EXTENDED_KEY_USAGE,
                cert,
                f"certificate {_who(cert)} has ExtendedKeyUsage {listed}, which does not "
                "allow IKE (RFC 4945 §5.1.3.12); reissue it with ipsecIKE, serverAuth or "
                "clientAuth, or without ExtendedKeyUsage",
            )


def _check_ca(cert: x509.Certificate, below: int) -> None:
    """RFC 5280 §6.1.4 (k), (l), (m), (n) for an intermediate CA with ``below``
    intermediate CA certificates between it and the end entity."""
    bc = _ext(cert, x509.BasicConstraints)
    constraints = bc.value if bc is not None else None
    if not isinstance(constraints, x509.BasicConstraints) or not constraints.ca:
        raise _fail(
            TrustFailure.NOT_A_CA,
            cert,
            f"certificate {_who(cert)} signed another certificate but is not a CA "
            "(no BasicConstraints cA=TRUE, RFC 5280 §4.2.1.9); reissue it as a CA "
            "or have the peer use a certificate from a real CA",
        )
    ku = _ext(cert, x509.KeyUsage)
    if ku is not None:
        value = ku.value
        assert isinstance(value, x509.KeyUsage)
        if not value.key_cert_sign:
            raise _fail(
                TrustFailure.KEY_USAGE,
                cert,
                f"CA certificate {_who(cert)} has KeyUsage without keyCertSign "
                "(RFC 5280 §4.2.1.3); reissue it with keyCertSign",
            )
    _check_path_length(cert, constraints, below)


def _check_path_length(
    cert: x509.Certificate, constraints: x509.BasicConstraints | None, below: int
) -> None:
    limit = constraints.path_length if constraints is not None else None
    if limit is not None and below > limit:
        raise _fail(
            TrustFailure.PATH_TOO_LONG,
            cert,
            f"CA certificate {_who(cert)} allows {limit} intermediate "
            f"CA(s) below it (pathLenConstraint) but the path has {below}; "
            "shorten the chain or reissue the CA",
        )


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Signature of ``cert`` verifies under ``issuer``'s key, names chained."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


class _Builder:
    """Depth-first path building from the end entity up to an anchor (RFC 4158 in
    miniature), bounded by depth and by the number of signature checks."""

    def __init__(self, pool: Sequence[x509.Certificate], store: TrustStore) -> None:
        self.pool = pool
        self.store = store
        self.checks = 0
        self.name_matched: x509.Certificate | None = None  # a subject whose issuer matched
        self.too_deep: x509.Certificate | None = None

    def _verify(self, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
        if self.checks >= _MAX_SIGNATURE_CHECKS:
            return False
        self.checks += 1
        if _issued_by(cert, issuer):
            return True
        self.name_matched = cert
        return False

    def paths(self, path: list[x509.Certificate]) -> Iterator[list[x509.Certificate]]:
        """``path`` ends with the certificate whose issuer is sought; yields each
        completed path ending with an anchor."""
        cert = path[-1]
        for anchor in self.store.anchors:
            if anchor.subject == cert.issuer and self._verify(cert, anchor):
                yield [*path, anchor]
        if len(path) >= self.store.max_depth:
            self.too_deep = cert
            return
        for candidate in self.pool:
            if candidate.subject != cert.issuer or candidate in path:
                continue
            if self._verify(cert, candidate):
                yield from self.paths([*path, candidate])


def _candidate_paths(
    leaf: x509.Certificate, extra: Sequence[x509.Certificate], store: TrustStore
) -> Iterator[list[x509.Certificate]]:
    """Each signature-checked path leaf, intermediates..., anchor (RFC 5280 §6.1),
    at most :data:`_MAX_PATHS`; raises when there is none."""
    if leaf in store.anchors:  # equal DER: a pinned certificate, trusted as it is
        yield [leaf]
        return
    builder = _Builder([*extra, *store.intermediates], store)
    found = 0
    for path in builder.paths([leaf]):
        yield path
        found += 1
        if found >= _MAX_PATHS:
            return
    if found:
        return
    if builder.too_deep is not None:
        raise _fail(
            TrustFailure.PATH_TOO_LONG,
            leaf,
            f"no path from certificate {_who(leaf)} to a trust anchor within "
            f"{store.max_depth} CA certificates; shorten the chain or raise max_depth",
        )
    if builder.name_matched is not None:
        bad = builder.name_matched
        raise _fail(
            TrustFailure.BAD_SIGNATURE,
            bad,
            f"the signature on certificate {_who(bad)} does not verify under the key "
            f"of its issuer {bad.issuer.rfc4514_string()}; the certificate was altered "
            "or signed by a different key of that name (check the CA certificate you trust)",
        )
    # report the top of the longest chain of names we could follow
    top = leaf
    seen = [leaf]
    for _ in range(store.max_depth):
        nxt = next((c for c in builder.pool if c.subject == top.issuer and c not in seen), None)
        if nxt is None:
            break
        seen.append(nxt)
        top = nxt
    raise _fail(
        TrustFailure.UNKNOWN_ISSUER,
        top,
        f"certificate {_who(top)} is issued by {top.issuer.rfc4514_string() or 'an empty name'}, "
        "which is not a trusted CA; add that CA to the trust anchors, or have the peer "
        "send the intermediate CA certificates",
    )


def _check_revocation(
    path: Sequence[x509.Certificate], store: TrustStore, now: datetime.datetime
) -> None:
    """RFC 5280 §6.3 with the CRLs the caller supplied: for each certificate below the
    anchor, every CRL named for its issuer, signed by the issuer's key and already in
    effect (thisUpdate <= now) is consulted. A CRL past its nextUpdate still counts:
    a revocation never expires. CRLs that fail their signature are ignored."""
    for cert, issuer in itertools.pairwise(path):
        issuer_key = issuer.public_key()
        for crl in store.crls:
            if crl.issuer != cert.issuer or crl.last_update_utc > now:
                continue
            valid = False
            if isinstance(issuer_key, _ISSUER_KEYS):
                try:
                    valid = crl.is_signature_valid(issuer_key)
                except (TypeError, ValueError, UnsupportedAlgorithm):
                    valid = False
            if not valid:
                continue
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is not None:
                raise _fail(
                    TrustFailure.REVOKED,
                    cert,
                    f"certificate {_who(cert)} (serial {cert.serial_number:#x}) was revoked "
                    f"by {issuer.subject.rfc4514_string()} on "
                    f"{_when(entry.revocation_date_utc)}; the peer needs a new certificate",
                )


# ---------------------------------------------------------------------------------------
# Identity (RFC 4945 §3.1)
# ---------------------------------------------------------------------------------------


def _san(cert: x509.Certificate) -> x509.SubjectAlternativeName | None:
    ext = _ext(cert, x509.SubjectAlternativeName)
    if ext is None:
        return None
    value = ext.value
    assert isinstance(value, x509.SubjectAlternativeName)
    return value


def _id_text(id_type: int, data: bytes) -> str:
    try:
        if id_type in (IDType.ID_IPV4_ADDR, IDType.ID_IPV6_ADDR):
            return str(ipaddress.ip_address(data))
        if id_type in (IDType.ID_FQDN, IDType.ID_RFC822_ADDR):
            return data.decode("ascii")
    except ValueError:
        pass
    return data.hex()


def _mismatch(
    cert: x509.Certificate, id_type: int, data: bytes, where: str, have: Iterable[str]
) -> CertificateError:
    try:
        type_name = IDType(id_type).name
    except ValueError:
        type_name = f"ID type {id_type}"
    listed = ", ".join(have) or "none"
    return _fail(
        TrustFailure.ID_MISMATCH,
        cert,
        f"certificate {_who(cert)} does not carry the peer's identity {type_name} "
        f"{_id_text(id_type, data)} (RFC 4945 §3.1: it must be in {where}; the certificate "
        f"has {listed}); configure the peer's ID to one of those, or reissue the certificate",
    )


def _fqdn(value: str) -> str:
    return value.rstrip(".").lower()


def _check_identity(cert: x509.Certificate, peer_id: PeerIdentity) -> None:
    """RFC 4945 §3.1: the ID payload must be bound to the end-entity certificate."""
    id_type, data = int(peer_id.id_type), peer_id.data
    san = _san(cert)
    if id_type in (IDType.ID_IPV4_ADDR, IDType.ID_IPV6_ADDR):
        size = 4 if id_type == IDType.ID_IPV4_ADDR else 16
        have = san.get_values_for_type(x509.IPAddress) if san is not None else []
        addresses = [
            a for a in have if isinstance(a, ipaddress.IPv4Address | ipaddress.IPv6Address)
        ]
        if len(data) == size and any(a.packed == data for a in addresses):
            return
        raise _mismatch(cert, id_type, data, "an iPAddress subjectAltName", (str(a) for a in have))
    if id_type == IDType.ID_FQDN:
        names = san.get_values_for_type(x509.DNSName) if san is not None else []
        try:
            wanted = _fqdn(data.decode("ascii"))
        except UnicodeDecodeError:
            wanted = None
        if wanted is not None and any(_fqdn(n) == wanted for n in names):
            return
        raise _mismatch(cert, id_type, data, "a dNSName subjectAltName", names)
    if id_type == IDType.ID_RFC822_ADDR:
        mails = san.get_values_for_type(x509.RFC822Name) if san is not None else []
        try:
            local, _, domain = data.decode("ascii").rpartition("@")
        except UnicodeDecodeError:
            local, domain = "", ""
        for mail in mails:
            m_local, _, m_domain = mail.rpartition("@")
            if local and m_local == local and _fqdn(m_domain) == _fqdn(domain):
                return
        raise _mismatch(cert, id_type, data, "an rfc822Name subjectAltName", mails)
    if id_type == IDType.ID_DER_ASN1_DN:
        if cert.subject.public_bytes() == data:
            return
        dns = san.get_values_for_type(x509.DirectoryName) if san is not None else []
        if any(dn.public_bytes() == data for dn in dns):
            return
        raise _mismatch(
            cert,
            id_type,
            data,
            "the subject or a directoryName subjectAltName, DER for DER",
            [cert.subject.rfc4514_string(), *(dn.rfc4514_string() for dn in dns)],
        )
    try:
        type_name = IDType(id_type).name
    except ValueError:
        type_name = f"ID type {id_type}"
    raise _fail(
        TrustFailure.ID_MISMATCH,
        cert,
        f"the peer's identity is {type_name}, which cannot be bound to certificate "
        f"{_who(cert)} (RFC 4945 §3.1 covers IP addresses, FQDN, RFC822 and DN); "
        "have the peer use one of those ID types",
    )


# ---------------------------------------------------------------------------------------
# Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)(c))
# ---------------------------------------------------------------------------------------


def _dns_within(name: str, base: str) -> bool:
    name, base = _fqdn(name), _fqdn(base)
    if base.startswith("."):
        return name.endswith(base)
    return not base or name == base or name.endswith("." + base)


def _email_within(mail: str, base: str) -> bool:
    if "@" in base:
        return mail == base or (
            mail.rpartition("@")[0] == base.rpartition("@")[0]
            and _fqdn(mail.rpartition("@")[2]) == _fqdn(base.rpartition("@")[2])
        )
    host = _fqdn(mail.rpartition("@")[2])
    if base.startswith("."):
        return host.endswith(_fqdn(base))
    return host == _fqdn(base)


def _within(name: x509.GeneralName, base: x509.GeneralName) -> bool | None:
    """Whether ``name`` lies in subtree ``base`` (same type); ``None``: not comparable."""
    if isinstance(name, x509.DNSName) and isinstance(base, x509.DNSName):
        return _dns_within(name.value, base.value)
    if isinstance(name, x509.RFC822Name) and isinstance(base, x509.RFC822Name):
        return _email_within(name.value, base.value)
    if isinstance(name, x509.IPAddress) and isinstance(base, x509.IPAddress):
        address, network = name.value, base.value
        if isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address) and isinstance(
            network, ipaddress.IPv4Network | ipaddress.IPv6Network
        ):
            return address.version == network.version and address in network
        return False
    if isinstance(name, x509.DirectoryName) and isinstance(base, x509.DirectoryName):
        prefix = list(base.value.rdns)
        return list(name.value.rdns)[: len(prefix)] == prefix
    return None


def _names_of(cert: x509.Certificate) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    if len(cert.subject):
        names.append(x509.DirectoryName(cert.subject))
    san = _san(cert)
    if san is not None:
        names.extend(san)
    return names


def _check_name_constraints(path: Sequence[x509.Certificate]) -> None:
    """Each CA's NameConstraints (the anchor's too) bound the names of every
    certificate below it; self-issued intermediates are exempt (RFC 5280 §6.1.3 (b))."""
    for position in range(1, len(path)):
        ext = _ext(path[position], x509.NameConstraints)
        if ext is None:
            continue
        constraints = ext.value
        assert isinstance(constraints, x509.NameConstraints)
        ca = path[position]
        for below, cert in enumerate(path[:position]):
            if below and cert.subject == cert.issuer:
                continue
            for name in _names_of(cert):
                _check_one_name(ca, cert, name, constraints)


def _check_one_name(
    ca: x509.Certificate, cert: x509.Certificate, name: x509.GeneralName, nc: x509.NameConstraints
) -> None:
    text = name.value.rfc4514_string() if isinstance(name, x509.DirectoryName) else str(name.value)
    for base in nc.excluded_subtrees or ():
        verdict = _within(name, base)
        if verdict is None and type(base) is type(name):
            verdict = True  # a name type we cannot compare: fail closed
        if verdict:
            raise _fail(
                TrustFailure.NAME_CONSTRAINTS,
                cert,
                f"certificate {_who(cert)} has name {text}, which CA {_who(ca)} excludes "
                "(NameConstraints, RFC 5280 §4.2.1.10); the CA may not vouch for that name",
            )
    same_type = [b for b in nc.permitted_subtrees or () if type(b) is type(name)]
    if same_type and not any(_within(name, b) for b in same_type):
        raise _fail(
            TrustFailure.NAME_CONSTRAINTS,
            cert,
            f"certificate {_who(cert)} has name {text}, outside the names CA {_who(ca)} "
            "permits (NameConstraints, RFC 5280 §4.2.1.10); the CA may not vouch for that name",
        )


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def _check_path(
    path: Sequence[x509.Certificate], store: TrustStore, now: datetime.datetime
) -> None:
    """RFC 5280 §6.1.3-§6.1.4 and RFC 4945 §5 on one candidate path."""
    leaf = path[0]
    for cert in path:
        _check_time(cert, now)
        _check_critical(cert)
    _check_end_entity_usage(leaf)
    last = len(path) - 1
    for position, cert in enumerate(path[1:], start=1):
        below = position - 1  # intermediate CAs between this one and the leaf
        if position == last:
            bc = _ext(cert, x509.BasicConstraints)
            value = bc.value if bc is not None else None
            _check_path_length(
                cert, value if isinstance(value, x509.BasicConstraints) else None, below
            )
        else:
            _check_ca(cert, below)
    _check_name_constraints(path)
    _check_revocation(path, store, now)


def validate_peer(
    end_entity_der: bytes,
    extra_der: Sequence[bytes],
    store: TrustStore,
    *,
    now: datetime.datetime,
    peer_id: PeerIdentity | None,
) -> PublicKey:
    """Validate a peer's certificates and return the key its AUTH must verify under.

    ``end_entity_der`` is the first CERT payload's data (RFC 7296 §3.6: the first CERT
    holds the key that signs AUTH), ``extra_der`` the other CERT payloads (intermediate
    CAs, any order). The path is built to one of ``store.anchors`` (RFC 5280 §6.1); each
    certificate must be within its validity at ``now`` (naive datetimes are taken as
    UTC), each CA must be one (BasicConstraints cA, keyCertSign, pathLenConstraint);
    the end entity's KeyUsage and ExtendedKeyUsage must allow IKE (RFC 4945 §5.1.3.2,
    §5.1.3.12); the names of every certificate must satisfy the NameConstraints of
    the CAs above it (RFC 5280 §4.2.1.10: dNSName, rfc822Name, iPAddress,
    directoryName; other types fail closed); none may be revoked by ``store.crls``;
    and the end entity must carry
    ``peer_id`` (RFC 4945 §3.1; ``None`` skips that check, for a caller that matches the
    identity itself). Anchors are checked for validity, pathLenConstraint and
    NameConstraints only. When several paths exist (a renewed or cross-signed CA),
    each is tried (at most 8) and the first failure is reported if none passes.

    Raises :class:`CertificateError` (a :class:`ProtocolError`, notify
    AUTHENTICATION_FAILED) whose ``failure`` is the :class:`TrustFailure`.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.UTC)
    leaf = _load(end_entity_der, "end-entity certificate (first CERT payload)")
    extra = [_load(der, f"certificate in CERT payload {n}") for n, der in enumerate(extra_der, 2)]
    key = _check_key(leaf)
    first_error: CertificateError | None = None
    for path in _candidate_paths(leaf, extra, store):
        try:
            _check_path(path, store, now)
        except CertificateError as exc:
            first_error = first_error or exc
            continue
        break
    else:
        assert first_error is not None  # _candidate_paths raises when it finds none
        raise first_error
    if peer_id is not None:
        _check_identity(leaf, peer_id)
    return key
