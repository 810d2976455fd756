"""X.509 certificate bundles and hash-and-URL CERT data (RFC 7296 §3.6).

A *certificate bundle* is what the "Hash and URL of X.509 bundle" encoding (13) points
at. RFC 7296 §3.6 keeps the ASN.1 module of RFC 4306::

    CertBundle DEFINITIONS EXPLICIT TAGS ::= BEGIN
    CertificateOrCRL ::= CHOICE {
        cert [0] Certificate,
        crl  [1] CertificateList }
    CertificateBundle ::= SEQUENCE OF CertificateOrCRL
    END

With EXPLICIT tags each element is the context tag ``[0]`` (``A0``) or ``[1]`` (``A1``)
wrapped around the whole DER Certificate or CertificateList. :func:`build_bundle` writes
one (DER), :func:`read_bundle` reads one, checking every length and parsing every
certificate and CRL with ``cryptography``; hostile input gives only
:class:`~ikewire.errors.DecodeError`, bounded in size and entries.

The CERT payload data of the hash-and-URL encodings (12, 13) is the 20-octet SHA-1 hash
of the DER object followed by its URL (RFC 7296 §3.6): :func:`hash_and_url` and
:func:`split_hash_and_url`. The ``ikewire certbundle`` command builds and shows bundles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from .errors import DecodeError, EncodeError

__all__ = [
    "MAX_BUNDLE_ENTRIES",
    "MAX_BUNDLE_OCTETS",
    "CertBundle",
    "build_bundle",
    "hash_and_url",
    "load_objects",
    "read_bundle",
    "sha1",
    "split_hash_and_url",
]

MAX_BUNDLE_OCTETS: Final = 1 << 20
"""Largest bundle read (1 MiB): a few dozen certificates and CRLs fit easily."""
MAX_BUNDLE_ENTRIES: Final = 64
"""Most certificates plus CRLs in one bundle."""

_TAG_SEQUENCE: Final = 0x30
_TAG_CERT: Final = 0xA0  # [0] EXPLICIT, constructed
_TAG_CRL: Final = 0xA1  # [1] EXPLICIT, constructed
SHA1_SIZE: Final = 20


def sha1(data: bytes) -> bytes:
    """SHA-1 of ``data``, the hash the hash-and-URL encodings carry (RFC 7296 §3.6)."""
    h = hashes.Hash(hashes.SHA1())
    h.update(data)
    return h.finalize()


# ------------------------------------------------------------------- hash and URL


def hash_and_url(der: bytes, url: str) -> bytes:
    """CERT data for encodings 12 and 13: SHA-1 of ``der`` then ``url`` (RFC 7296 §3.6)."""
    encoded = _check_url(url, EncodeError)
    return sha1(der) + encoded


def split_hash_and_url(data: bytes) -> tuple[bytes, str]:
    """(SHA-1 hash, URL) of hash-and-URL CERT data; DecodeError when it is not one."""
    if len(data) <= SHA1_SIZE:
        raise DecodeError(
            f"hash-and-URL CERT data is {len(data)} octets: a 20-octet SHA-1 hash and a "
            "URL are needed (RFC 7296 §3.6)",
            field="CERT.data",
        )
    raw = data[SHA1_SIZE:]
    try:
        url = raw.decode("ascii")
    except UnicodeDecodeError:
        raise DecodeError(
            "hash-and-URL CERT data: the URL is not ASCII", offset=SHA1_SIZE, field="CERT.url"
        ) from None
    _check_url(url, DecodeError)
    return data[:SHA1_SIZE], url


def _check_url(url: str, error: type[DecodeError] | type[EncodeError]) -> bytes:
    if not url or len(url) > 2048 or not url.isascii() or not url.isprintable() or " " in url:
        raise error(f"not a usable URL for hash-and-URL: {url[:80]!r}")
    if "://" not in url:
        raise error(f"hash-and-URL needs an absolute URL (http://...), not {url[:80]!r}")
    return url.encode("ascii")


# ------------------------------------------------------------------- bundles


@dataclass(frozen=True, slots=True)
class CertBundle:
    """A read bundle: its certificates and CRLs, in bundle order within each kind."""

    certificates: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...]

    @property
    def certificates_der(self) -> tuple[bytes, ...]:
        return tuple(c.public_bytes(serialization.Encoding.DER) for c in self.certificates)

    def describe(self) -> str:
        """One line per entry: kind, subject or issuer, validity or next update."""
        lines = []
        for c in self.certificates:
            lines.append(
                f"certificate  {c.subject.rfc4514_string()}  issuer {c.issuer.rfc4514_string()}"
                f"  valid {c.not_valid_before_utc:%Y-%m-%d} to {c.not_valid_after_utc:%Y-%m-%d}"
            )
        for crl in self.crls:
            nxt = crl.next_update_utc
            lines.append(
                f"CRL          issuer {crl.issuer.rfc4514_string()}  "
                f"{len(crl)} revoked  next update {nxt:%Y-%m-%d}"
                if nxt
                else f"CRL          issuer {crl.issuer.rfc4514_string()}  {len(crl)} revoked"
            )
        return "\n".join(lines)


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag,)) + _der_length(len(value)) + value


def build_bundle(
    certificates: Iterable[x509.Certificate | bytes] = (),
    crls: Iterable[x509.CertificateRevocationList | bytes] = (),
) -> bytes:
    """DER CertificateBundle of ``certificates`` then ``crls`` (DER bytes or
    ``cryptography`` objects); EncodeError for input that is not DER X.509."""
    elements = []
    for c in certificates:
        der = c if isinstance(c, bytes) else c.public_bytes(serialization.Encoding.DER)
        try:
            x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise EncodeError(f"not a DER X.509 certificate: {exc}") from None
        elements.append(_tlv(_TAG_CERT, der))
    for crl in crls:
        der = crl if isinstance(crl, bytes) else crl.public_bytes(serialization.Encoding.DER)
        try:
            x509.load_der_x509_crl(der)
        except ValueError as exc:
            raise EncodeError(f"not a DER X.509 CRL: {exc}") from None
        elements.append(_tlv(_TAG_CRL, der))
    if len(elements) > MAX_BUNDLE_ENTRIES:
        raise EncodeError(f"{len(elements)} entries: at most {MAX_BUNDLE_ENTRIES} in a bundle")
    return _tlv(_TAG_SEQUENCE, b"".join(elements))


def _read_tlv(data: bytes, offset: int, what: str) -> tuple[int, int, int]:
    """(tag, value start, value end) of the DER TLV at ``offset``."""
    if offset + 2 > len(data):
        raise DecodeError(f"{what}: truncated header", offset=offset, field=what)
    tag, first = data[offset], data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise DecodeError(
                f"{what}: unsupported length form 0x{first:02x} (DER, at most 4 octets)",
                offset=offset + 1,
                field=what,
            )
        if pos + count > len(data):
            raise DecodeError(f"{what}: truncated length", offset=pos, field=what)
        length = int.from_bytes(data[pos : pos + count], "big")
        if length < 0x80 or data[pos] == 0:
            raise DecodeError(f"{what}: length not in DER minimal form", offset=pos, field=what)
        pos += count
    if pos + length > len(data):
        raise DecodeError(
            f"{what}: {length} octets declared, {len(data) - pos} present", offset=pos, field=what
        )
    return tag, pos, pos + length


def read_bundle(data: bytes) -> CertBundle:
    """Read a DER CertificateBundle (RFC 7296 §3.6). DecodeError names the offset and
    what is wrong: framing, an unknown CHOICE tag, a certificate or CRL that does not
    parse, trailing octets, or more than :data:`MAX_BUNDLE_OCTETS` /
    :data:`MAX_BUNDLE_ENTRIES`."""
    if len(data) > MAX_BUNDLE_OCTETS:
        raise DecodeError(f"bundle of {len(data)} octets: at most {MAX_BUNDLE_OCTETS} are read")
    tag, start, end = _read_tlv(data, 0, "CertificateBundle")
    if tag != _TAG_SEQUENCE:
        raise DecodeError(
            f"CertificateBundle: SEQUENCE (0x30) expected, 0x{tag:02x} found",
            offset=0,
            field="CertificateBundle",
        )
    if end != len(data):
        raise DecodeError(
            f"{len(data) - end} octets after the CertificateBundle", offset=end, field="bundle"
        )
    certs: list[x509.Certificate] = []
    crls: list[x509.CertificateRevocationList] = []
    pos = start
    while pos < end:
        if len(certs) + len(crls) >= MAX_BUNDLE_ENTRIES:
            raise DecodeError(f"more than {MAX_BUNDLE_ENTRIES} entries in the bundle", offset=pos)
        tag, vstart, vend = _read_tlv(data[:end], pos, "CertificateOrCRL")
        value = data[vstart:vend]
        try:
            if tag == _TAG_CERT:
                certs.append(x509.load_der_x509_certificate(value))
            elif tag == _TAG_CRL:
                crls.append(x509.load_der_x509_crl(value))
            else:
                raise DecodeError(
                    f"CertificateOrCRL: tag 0x{tag:02x} is neither cert [0] (0xa0) nor "
                    "crl [1] (0xa1)",
                    offset=pos,
                    field="CertificateOrCRL",
                )
        except ValueError as exc:
            kind = "certificate" if tag == _TAG_CERT else "CRL"
            raise DecodeError(
                f"bundle entry at offset {pos}: not a DER X.509 {kind} ({exc})",
                offset=pos,
                field="CertificateOrCRL",
            ) from None
        pos = vend
    return CertBundle(tuple(certs), tuple(crls))


def load_objects(
    blobs: Sequence[bytes],
) -> tuple[list[x509.Certificate], list[x509.CertificateRevocationList]]:
    """Certificates and CRLs from PEM (any number of blocks) or DER files' contents,
    for the bundle builder. DecodeError names the file index that is neither."""
    certs: list[x509.Certificate] = []
    crls: list[x509.CertificateRevocationList] = []
    for index, blob in enumerate(blobs):
        if b"-----BEGIN" in blob:
            found = False
            if b"CERTIFICATE-----" in blob:
                try:
                    certs.extend(x509.load_pem_x509_certificates(blob))
                    found = True
                except ValueError as exc:
                    raise DecodeError(f"input {index}: bad PEM certificate ({exc})") from None
            if b"X509 CRL-----" in blob:
                try:
                    crls.append(x509.load_pem_x509_crl(blob))
                    found = True
                except ValueError as exc:
                    raise DecodeError(f"input {index}: bad PEM CRL ({exc})") from None
            if not found:
                raise DecodeError(f"input {index}: PEM without a CERTIFICATE or X509 CRL block")
            continue
        try:
            certs.append(x509.load_der_x509_certificate(blob))
            continue
        except ValueError:
            pass
        try:
            crls.append(x509.load_der_x509_crl(blob))
        except ValueError:
            raise DecodeError(
                f"input {index}: neither a DER X.509 certificate nor a DER CRL"
            ) from None
    return certs, crls
