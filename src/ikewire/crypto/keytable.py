"""Wireshark's IKEv2 decryption table (the ``ikev2_decryption_table`` UAT file), both ways.

Each line of the table is CSV with eight fields (Wireshark ``packet-isakmp.c``,
``ikev2_uat_flds``)::

    Initiator's SPI, Responder's SPI, SK_ei, SK_er, "encryption algorithm",
    SK_ai, SK_ar, "integrity algorithm"

SPIs and keys are hex; the algorithms are Wireshark's labels (``"AES-CBC-256 [RFC3602]"``,
``"HMAC_SHA2_256_128 [RFC4868]"``, ...). For AEAD ciphers SK_e* include the salt
(RFC 5282 §7.1), as in :class:`~ikewire.crypto.keys.IKESAKeys`.

A line becomes a :class:`WiresharkIKEv2Keys`: an :class:`IKESAKeys` whose PRF, SK_d and
SK_p* are unknown (``prf_id`` 0, empty bytes — the table has none), plus
``unchecked_icv_size`` for Wireshark's "ANY n-bits of Authentication [No Checking]"
labels, with which Wireshark (and :func:`ikewire.decrypt`) decrypts without verifying
the ICV. :func:`to_wireshark_line` writes a line back, so that a capture of ikewire
traffic opens in Wireshark.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from ..errors import ConfigError, CryptoError, IKEError
from .cipher import SKCipher, sk_cipher
from .keys import IKESAKeys

__all__ = [
    "ENCR_LABELS",
    "INTEG_LABELS",
    "UNCHECKED_INTEG_LABELS",
    "UNSUPPORTED_INTEG_LABELS",
    "WiresharkIKEv2Keys",
    "parse_wireshark_line",
    "parse_wireshark_table",
    "to_wireshark_line",
    "to_wireshark_table",
    "wireshark_table_by_spi",
]

ENCR_LABELS: Final[dict[str, tuple[int, int]]] = {
    "NULL [RFC2410]": (11, 0),
    "3DES [RFC2451]": (3, 192),
    **{f"AES-CBC-{bits} [RFC3602]": (12, bits) for bits in (128, 192, 256)},
    **{f"AES-CTR-{bits} [RFC5930]": (13, bits) for bits in (128, 192, 256)},
    **{
        f"AES-GCM-{bits} with {icv} octet ICV [RFC5282]": (encr, bits)
        for icv, encr in ((16, 20), (8, 18), (12, 19))
        for bits in (128, 192, 256)
    },
    **{
        f"AES-CCM-{bits} with {icv} octet ICV [RFC5282]": (encr, bits)
        for icv, encr in ((16, 16), (8, 14), (12, 15))
        for bits in (128, 192, 256)
    },
}
"""Wireshark's encryption labels (``vs_ikev2_encr_algs``) → (Transform ID, key bits)."""

INTEG_LABELS: Final[dict[str, int]] = {
    "NONE [RFC4306]": 0,
    "HMAC_MD5_96 [RFC2403]": 1,
    "HMAC_SHA1_96 [RFC2404]": 2,
    "HMAC_MD5_128 [RFC4595]": 6,
    "HMAC_SHA1_160 [RFC4595]": 7,
    "HMAC_SHA2_256_128 [RFC4868]": 12,
    "HMAC_SHA2_384_192 [RFC4868]": 13,
    "HMAC_SHA2_512_256 [RFC4868]": 14,
}
"""Wireshark's integrity labels (``vs_ikev2_auth_algs``) → Transform Type 3 ID."""

UNCHECKED_INTEG_LABELS: Final[dict[str, int]] = {
    f"ANY {bits}-bits of Authentication [No Checking]": bits // 8
    for bits in (64, 96, 128, 160, 192, 256)
}
"""Wireshark's "no checking" integrity labels → ICV octets stripped unverified."""

UNSUPPORTED_INTEG_LABELS: Final = frozenset(
    # A pre-RFC 4868 truncation with no IANA transform ID.
    {"HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]"}
)

_ENCR_LABEL_OF: Final = {v: k for k, v in ENCR_LABELS.items()}
_INTEG_LABEL_OF: Final = {v: k for k, v in INTEG_LABELS.items()}
_UNCHECKED_LABEL_OF: Final = {v: k for k, v in UNCHECKED_INTEG_LABELS.items()}
_UNKNOWN_PRF: Final = 0


@dataclass(frozen=True, slots=True, repr=False)
class WiresharkIKEv2Keys:
    """One line of Wireshark's IKEv2 decryption table.

    ``keys`` has ``prf_id`` 0 and empty ``sk_d``/``sk_pi``/``sk_pr`` (not in the table).
    ``unchecked_icv_size`` is not None for "ANY n-bits of Authentication [No Checking]":
    the ICV of that many octets is stripped and not verified (``keys.integ_id`` is 0).
    """

    keys: IKESAKeys
    unchecked_icv_size: int | None = None

    @property
    def integ_unchecked(self) -> bool:
        """True when messages are decrypted without verifying their ICV."""
        return self.unchecked_icv_size is not None

    def cipher(self, *, sender_is_initiator: bool) -> SKCipher:
        """The SK cipher for one direction (SK_ei/SK_ai for the initiator's messages)."""
        k = self.keys
        if sender_is_initiator:
            sk_e, sk_a = k.sk_ei, k.sk_ai
        else:
            sk_e, sk_a = k.sk_er, k.sk_ar
        return sk_cipher(
            k.encr_id,
            k.encr_key_bits,
            k.integ_id,
            sk_e,
            sk_a,
            unchecked_icv_size=self.unchecked_icv_size,
        )

    def __repr__(self) -> str:
        return f"WiresharkIKEv2Keys({self.keys!r}, unchecked_icv_size={self.unchecked_icv_size})"


def _hex(field: str, name: str, line_no: int | None) -> bytes:
    try:
        return bytes.fromhex(field.strip())
    except ValueError:
        raise ConfigError(f"{_where(line_no)}{name} is not hex") from None


def _where(line_no: int | None) -> str:
    return "" if line_no is None else f"line {line_no}: "


def _entry(fields: list[str], line_no: int | None) -> WiresharkIKEv2Keys:
    if len(fields) != 8:
        raise ConfigError(
            f"{_where(line_no)}expected 8 comma-separated fields "
            f"(SPIi, SPIr, SK_ei, SK_er, encryption, SK_ai, SK_ar, integrity), "
            f"got {len(fields)}"
        )
    spi_i, spi_r, sk_ei, sk_er, encr_label, sk_ai, sk_ar, integ_label = fields
    names = ("Initiator's SPI", "Responder's SPI", "SK_ei", "SK_er")
    spis_keys = [
        _hex(f, n, line_no) for f, n in zip((spi_i, spi_r, sk_ei, sk_er), names, strict=True)
    ]
    ai, ar = _hex(sk_ai, "SK_ai", line_no), _hex(sk_ar, "SK_ar", line_no)
    for spi, name in zip(spis_keys[:2], names[:2], strict=True):
        if len(spi) != 8:
            raise ConfigError(f"{_where(line_no)}{name} must be 8 octets, got {len(spi)}")
    try:
        encr_id, bits = ENCR_LABELS[encr_label]
    except KeyError:
        raise ConfigError(
            f"{_where(line_no)}unknown Wireshark encryption algorithm {encr_label!r}"
        ) from None
    unchecked: int | None = None
    if integ_label in INTEG_LABELS:
        integ_id = INTEG_LABELS[integ_label]
    elif integ_label in UNCHECKED_INTEG_LABELS:
        integ_id, unchecked = 0, UNCHECKED_INTEG_LABELS[integ_label]
    elif integ_label in UNSUPPORTED_INTEG_LABELS:
        raise CryptoError(
            f"{_where(line_no)}{integ_label!r} has no IANA transform ID; ikewire does not "
            f"implement it"
        )
    else:
        raise ConfigError(f"{_where(line_no)}unknown Wireshark integrity algorithm {integ_label!r}")
    keys = IKESAKeys(
        prf_id=_UNKNOWN_PRF,
        encr_id=encr_id,
        encr_key_bits=bits,
        integ_id=integ_id,
        sk_d=b"",
        sk_ai=ai,
        sk_ar=ar,
        sk_ei=spis_keys[2],
        sk_er=spis_keys[3],
        sk_pi=b"",
        sk_pr=b"",
        spi_i=spis_keys[0],
        spi_r=spis_keys[1],
    )
    entry = WiresharkIKEv2Keys(keys, unchecked)
    try:
        # Check the key lengths against the algorithms, both directions.
        entry.cipher(sender_is_initiator=True)
        entry.cipher(sender_is_initiator=False)
    except IKEError as exc:
        raise type(exc)(f"{_where(line_no)}{exc}") from None
    return entry


def _records(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(line number, CSV fields) of each non-blank, non-comment line."""
    for line_no, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        yield line_no, next(csv.reader([text], skipinitialspace=False))


def parse_wireshark_line(line: str) -> WiresharkIKEv2Keys | None:
    """One table line; None for a blank line or a ``#`` comment.

    ConfigError for malformed lines, unknown labels and keys whose length does not match
    the algorithm; CryptoError for a Wireshark label ikewire cannot implement.
    """
    for _, fields in _records([line]):
        return _entry(fields, None)
    return None


def parse_wireshark_table(text: str) -> list[WiresharkIKEv2Keys]:
    """Every entry of an ``ikev2_decryption_table`` file's text, in order; errors name
    the line."""
    return [_entry(fields, n) for n, fields in _records(text.splitlines())]


def wireshark_table_by_spi(
    entries: Iterable[WiresharkIKEv2Keys],
) -> dict[tuple[bytes, bytes], WiresharkIKEv2Keys]:
    """Entries keyed by (SPIi, SPIr), as Wireshark looks them up; a later line wins."""
    return {(e.keys.spi_i, e.keys.spi_r): e for e in entries}


def to_wireshark_line(keys: IKESAKeys | WiresharkIKEv2Keys) -> str:
    """The table line for an IKE SA's keys (no newline).

    ConfigError when Wireshark cannot decrypt the suite (e.g. ChaCha20-Poly1305,
    AES-XCBC-96, AES-CMAC-96 have no Wireshark label).
    """
    unchecked: int | None = None
    if isinstance(keys, WiresharkIKEv2Keys):
        unchecked = keys.unchecked_icv_size
        keys = keys.keys
    bits = keys.encr_key_bits if keys.encr_key_bits is not None else 0
    encr_label = _ENCR_LABEL_OF.get((keys.encr_id, bits))
    if encr_label is None:
        raise ConfigError(
            f"Wireshark has no IKEv2 decryption label for encryption transform "
            f"{keys.encr_id} with a {bits}-bit key"
        )
    if unchecked is not None:
        integ_label = _UNCHECKED_LABEL_OF.get(unchecked)
        if integ_label is None:
            raise ConfigError(f"Wireshark has no unchecked-ICV label for {unchecked} octets")
    else:
        integ_label = _INTEG_LABEL_OF.get(keys.integ_id)
        if integ_label is None:
            raise ConfigError(
                f"Wireshark has no IKEv2 decryption label for integrity transform {keys.integ_id}"
            )
    if len(keys.spi_i) != 8 or len(keys.spi_r) != 8:
        raise ConfigError("the table needs both 8-octet SPIs (IKESAKeys.spi_i/spi_r)")
    return ",".join(
        (
            keys.spi_i.hex(),
            keys.spi_r.hex(),
            keys.sk_ei.hex(),
            keys.sk_er.hex(),
            f'"{encr_label}"',
            keys.sk_ai.hex(),
            keys.sk_ar.hex(),
            f'"{integ_label}"',
        )
    )


def to_wireshark_table(entries: Iterable[IKESAKeys | WiresharkIKEv2Keys]) -> str:
    """A whole ``ikev2_decryption_table`` file: one line per SA, newline-terminated."""
    return "".join(to_wireshark_line(e) + "\n" for e in entries)
