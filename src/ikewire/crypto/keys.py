"""IKEv2 key derivation: SKEYSEED, SK_*, KEYMAT (RFC 7296 §2.14, §2.17, §2.18).

Also the extensions that change it: additional key exchanges (RFC 9370 §2.2.2–§2.2.4),
post-quantum preshared keys (RFC 8784 §3). And the algorithm facts the derivation needs:
key, salt, IV, ICV and block sizes by IANA number (``ENCR_INFO``, ``INTEG_INFO``).

Key bytes never appear in a ``repr`` of the key objects defined here.

Functions take plain IANA numbers (``int`` or the ``IntEnum`` members of
:mod:`ikewire.constants`) and any object with the attributes of :class:`SuiteLike`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, NamedTuple, Protocol

from ..errors import ConfigError, CryptoError
from .prf import Prf, prf_for

__all__ = [
    "ENCR_INFO",
    "INTEG_INFO",
    "ChildSAKeys",
    "ChildSuiteLike",
    "EncrInfo",
    "IKESAKeys",
    "IntegInfo",
    "SuiteLike",
    "apply_ppk",
    "derive_child_sa_keys",
    "derive_ike_sa_keys",
    "encr_key_bits",
    "encr_key_length",
    "integ_key_length",
    "skeyseed",
    "update_ike_sa_keys",
]


# ---------------------------------------------------------------------------------------
# Algorithm facts
# ---------------------------------------------------------------------------------------


class EncrInfo(NamedTuple):
    """Facts about one encryption transform (Transform Type 1).

    ``key_sizes`` are the allowed key lengths in bits, without the salt (the values of the
    Key Length attribute, RFC 7296 §3.3.5). Every other size is in octets: ``salt_size``
    is the part of the keying material that follows the key (RFC 5282 §7.1, RFC 4106 §8.1,
    RFC 4309 §7.1, RFC 7634 §2, RFC 3686 §5.1 / RFC 5930 §2); ``block_size`` is what the
    plaintext plus padding must be a multiple of (1 for stream and counter modes);
    ``iv_size`` is the explicit IV on the wire; ``icv_size`` the AEAD tag (0 if not AEAD).
    """

    key_sizes: tuple[int, ...]
    aead: bool
    salt_size: int
    block_size: int
    iv_size: int
    icv_size: int
    name: str


class IntegInfo(NamedTuple):
    """Facts about one integrity transform (Transform Type 3), in octets.

    ``key_size`` is the keying material taken from KEYMAT/SK_a (for the GMAC transforms
    it includes the 4-octet salt, RFC 4543 §3.2); ``icv_size`` the truncated output.
    """

    key_size: int
    icv_size: int
    name: str


_AES_BITS: Final = (128, 192, 256)

ENCR_INFO: Final[dict[int, EncrInfo]] = {
    # RFC 2451 (ESP), RFC 7296 (IKE): 3DES-CBC, 192-bit key including parity bits.
    3: EncrInfo((192,), False, 0, 8, 8, 0, "ENCR_3DES"),
    # RFC 2410: no encryption (ESP only).
    11: EncrInfo((0,), False, 0, 1, 0, 0, "ENCR_NULL"),
    # RFC 3602, RFC 7296.
    12: EncrInfo(_AES_BITS, False, 0, 16, 16, 0, "ENCR_AES_CBC"),
    # RFC 3686 (ESP), RFC 5930 (IKE): 4-octet nonce after the key.
    13: EncrInfo(_AES_BITS, False, 4, 1, 8, 0, "ENCR_AES_CTR"),
    # RFC 4309 (ESP), RFC 5282 (IKE): 3-octet salt.
    14: EncrInfo(_AES_BITS, True, 3, 1, 8, 8, "ENCR_AES_CCM_8"),
    15: EncrInfo(_AES_BITS, True, 3, 1, 8, 12, "ENCR_AES_CCM_12"),
    16: EncrInfo(_AES_BITS, True, 3, 1, 8, 16, "ENCR_AES_CCM_16"),
    # RFC 4106 (ESP), RFC 5282 (IKE): 4-octet salt.
    18: EncrInfo(_AES_BITS, True, 4, 1, 8, 8, "ENCR_AES_GCM_8"),
    19: EncrInfo(_AES_BITS, True, 4, 1, 8, 12, "ENCR_AES_GCM_12"),
    20: EncrInfo(_AES_BITS, True, 4, 1, 8, 16, "ENCR_AES_GCM_16"),
    # RFC 4543: AES-GMAC as an ESP combined mode (integrity only).
    21: EncrInfo(_AES_BITS, True, 4, 1, 8, 16, "ENCR_NULL_AUTH_AES_GMAC"),
    # RFC 5529.
    23: EncrInfo(_AES_BITS, False, 0, 16, 16, 0, "ENCR_CAMELLIA_CBC"),
    # RFC 7634: 256-bit key, 4-octet salt.
    28: EncrInfo((256,), True, 4, 1, 8, 16, "ENCR_CHACHA20_POLY1305"),
}
"""Encryption transforms by IANA number (Transform Type 1)."""

INTEG_INFO: Final[dict[int, IntegInfo]] = {
    0: IntegInfo(0, 0, "NONE"),
    1: IntegInfo(16, 12, "AUTH_HMAC_MD5_96"),  # RFC 2403
    2: IntegInfo(20, 12, "AUTH_HMAC_SHA1_96"),  # RFC 2404
    5: IntegInfo(16, 12, "AUTH_AES_XCBC_96"),  # RFC 3566
    6: IntegInfo(16, 16, "AUTH_HMAC_MD5_128"),  # RFC 4595
    7: IntegInfo(20, 20, "AUTH_HMAC_SHA1_160"),  # RFC 4595
    8: IntegInfo(16, 12, "AUTH_AES_CMAC_96"),  # RFC 4494
    9: IntegInfo(20, 16, "AUTH_AES_128_GMAC"),  # RFC 4543: 16-octet key + 4-octet salt
    10: IntegInfo(28, 16, "AUTH_AES_192_GMAC"),
    11: IntegInfo(36, 16, "AUTH_AES_256_GMAC"),
    12: IntegInfo(32, 16, "AUTH_HMAC_SHA2_256_128"),  # RFC 4868 §2.1
    13: IntegInfo(48, 24, "AUTH_HMAC_SHA2_384_192"),
    14: IntegInfo(64, 32, "AUTH_HMAC_SHA2_512_256"),
}
"""Integrity transforms by IANA number (Transform Type 3); 0 is NONE (for AEAD)."""


def _encr_info(encr_id: int) -> EncrInfo:
    try:
        return ENCR_INFO[encr_id]
    except (KeyError, TypeError):
        raise CryptoError(f"unsupported encryption transform ID {encr_id!r}") from None


def encr_key_bits(encr_id: int, key_bits: int | None) -> int:
    """The key length in bits that ``encr_id`` uses with Key Length ``key_bits``.

    ``None`` (no Key Length attribute) is accepted only for fixed-length ciphers
    (RFC 7296 §3.3.5: AES needs the attribute). CryptoError for unknown IDs or lengths.
    """
    info = _encr_info(encr_id)
    if key_bits is None:
        if len(info.key_sizes) != 1:
            raise CryptoError(f"{info.name} needs a key length (RFC 7296 §3.3.5)")
        return info.key_sizes[0]
    if key_bits not in info.key_sizes:
        raise CryptoError(f"{info.name} has no {key_bits}-bit key length")
    return key_bits


def encr_key_length(encr_id: int, key_bits: int | None) -> int:
    """Octets of SK_e / encryption KEYMAT: the key, then the salt or nonce (RFC 5282 §7.1)."""
    info = _encr_info(encr_id)
    return encr_key_bits(encr_id, key_bits) // 8 + info.salt_size


def integ_key_length(integ_id: int | None) -> int:
    """Octets of SK_a / integrity KEYMAT for ``integ_id`` (0 or None: no integrity)."""
    if integ_id is None:
        return 0
    try:
        return INTEG_INFO[integ_id].key_size
    except (KeyError, TypeError):
        raise CryptoError(f"unsupported integrity transform ID {integ_id!r}") from None


# ---------------------------------------------------------------------------------------
# Suites and key sets
# ---------------------------------------------------------------------------------------


class ChildSuiteLike(Protocol):
    """What Child SA key derivation needs from a negotiated proposal.

    ``encr_id`` is None for AH; ``integ_id`` is None or 0 for AEAD ciphers.
    """

    @property
    def encr_id(self) -> int | None: ...

    @property
    def encr_key_bits(self) -> int | None: ...

    @property
    def integ_id(self) -> int | None: ...


class SuiteLike(ChildSuiteLike, Protocol):
    """What IKE SA key derivation needs from a negotiated proposal."""

    @property
    def prf_id(self) -> int | None: ...


def _id_repr(value: int | None) -> str:
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else repr(value)


@dataclass(frozen=True, slots=True, repr=False)
class IKESAKeys:
    """The keys of one IKE SA (RFC 7296 §2.14), with the suite that sized them.

    For AEAD ciphers ``sk_ai``/``sk_ar`` are empty and ``sk_ei``/``sk_er`` end with the
    salt (RFC 5282 §7.1). ``spi_i``/``spi_r`` are the 8-octet SPIs the keys were derived
    with (RFC 9370 updates reuse them). ``repr`` never shows key bytes.
    """

    prf_id: int
    encr_id: int
    encr_key_bits: int | None
    integ_id: int
    sk_d: bytes
    sk_ai: bytes
    sk_ar: bytes
    sk_ei: bytes
    sk_er: bytes
    sk_pi: bytes
    sk_pr: bytes
    spi_i: bytes = b""
    spi_r: bytes = b""

    def __repr__(self) -> str:
        return (
            f"IKESAKeys(prf_id={_id_repr(self.prf_id)}, encr_id={_id_repr(self.encr_id)}, "
            f"encr_key_bits={self.encr_key_bits!r}, integ_id={_id_repr(self.integ_id)}, "
            f"spi_i={self.spi_i.hex()!r}, spi_r={self.spi_r.hex()!r}, keys=<hidden>)"
        )


@dataclass(frozen=True, slots=True, repr=False)
class ChildSAKeys:
    """The keys of one Child SA (RFC 7296 §2.17).

    ``sk_ei``/``sk_ai`` protect traffic from the initiator of the exchange that created
    the Child SA to its responder; ``sk_er``/``sk_ar`` the other direction. AEAD and
    counter-mode keys end with their salt/nonce (RFC 4106 §8.1, RFC 3686 §5.1).
    ``repr`` never shows key bytes.
    """

    encr_id: int | None
    encr_key_bits: int | None
    integ_id: int
    sk_ei: bytes
    sk_ai: bytes
    sk_er: bytes
    sk_ar: bytes

    def __repr__(self) -> str:
        return (
            f"ChildSAKeys(encr_id={_id_repr(self.encr_id)}, "
            f"encr_key_bits={self.encr_key_bits!r}, integ_id={_id_repr(self.integ_id)}, "
            f"keys=<hidden>)"
        )


# ---------------------------------------------------------------------------------------
# Derivation
# ---------------------------------------------------------------------------------------


def _suite_lengths(
    encr_id: int | None, key_bits: int | None, integ_id: int | None, *, ike: bool
) -> tuple[int | None, int, int, int]:
    """(effective key bits, SK_e octets, integ id, SK_a octets), checking the combination."""
    integ = 0 if integ_id is None else integ_id
    integ_len = integ_key_length(integ)
    if encr_id is None:
        if ike:
            raise ConfigError("an IKE SA needs an encryption algorithm (RFC 7296 §3.3.3)")
        return None, 0, integ, integ_len
    info = _encr_info(encr_id)
    bits = encr_key_bits(encr_id, key_bits)
    if info.aead and integ:
        raise ConfigError(
            f"{info.name} is an AEAD cipher: no integrity algorithm may be combined "
            f"with it (RFC 5282 §8)"
        )
    if ike and not info.aead and not integ:
        raise ConfigError(f"{info.name} needs an integrity algorithm (RFC 7296 §3.3.3)")
    return bits, bits // 8 + info.salt_size, integ, integ_len


def skeyseed(
    prf_id: int,
    ni: bytes,
    nr: bytes,
    shared_secret: bytes,
    *,
    old_sk_d: bytes | None = None,
    additional_secrets: Iterable[bytes] = (),
) -> bytes:
    """SKEYSEED of a new IKE SA (RFC 7296 §2.14) or of a rekeyed one (§2.18).

    New: ``prf(Ni | Nr, g^ir)``; for PRF_AES128_XCBC and PRF_AES128_CMAC the key is the
    first 64 bits of Ni and the first 64 bits of Nr (§2.14).
    Rekey: ``prf(SK_d (old), g^ir (new) | Ni | Nr)``, with the old IKE SA's PRF (§2.18);
    with RFC 9370 additional key exchanges their secrets follow:
    ``prf(SK_d (old), SK(0) | Ni | Nr | SK(1) | ... | SK(n))`` (RFC 9370 §2.2.4).
    """
    prf = prf_for(prf_id)
    extra = b"".join(additional_secrets)
    if old_sk_d is None:
        if extra:
            raise ConfigError(
                "additional key exchange secrets of a new IKE SA enter through "
                "IKE_INTERMEDIATE updates (RFC 9370 §2.2.2), not SKEYSEED"
            )
        if prf.fixed_key:
            half = prf.key_size // 2
            key = ni[:half] + nr[:half]
        else:
            key = ni + nr
        return prf(key, shared_secret)
    return prf(old_sk_d, shared_secret + ni + nr + extra)


def _expand_ike(
    prf: Prf,
    prf_id: int,
    seed_key: bytes,
    ni: bytes,
    nr: bytes,
    spi_i: bytes,
    spi_r: bytes,
    encr_id: int,
    key_bits: int | None,
    integ_id: int | None,
) -> IKESAKeys:
    """{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, ...)."""
    if len(spi_i) != 8 or len(spi_r) != 8:
        raise ConfigError("IKE SA SPIs are 8 octets each (RFC 7296 §3.1)")
    bits, e, integ, a = _suite_lengths(encr_id, key_bits, integ_id, ike=True)
    p = prf.key_size
    km = prf.plus(seed_key, b"".join((ni, nr, spi_i, spi_r)), 3 * p + 2 * a + 2 * e)
    o = 0
    sk_d = km[o : o + p]
    o += p
    sk_ai = km[o : o + a]
    o += a
    sk_ar = km[o : o + a]
    o += a
    sk_ei = km[o : o + e]
    o += e
    sk_er = km[o : o + e]
    o += e
    sk_pi = km[o : o + p]
    o += p
    sk_pr = km[o : o + p]
    return IKESAKeys(
        prf_id=prf_id,
        encr_id=encr_id,
        encr_key_bits=bits,
        integ_id=integ,
        sk_d=sk_d,
        sk_ai=sk_ai,
        sk_ar=sk_ar,
        sk_ei=sk_ei,
        sk_er=sk_er,
        sk_pi=sk_pi,
        sk_pr=sk_pr,
        spi_i=bytes(spi_i),
        spi_r=bytes(spi_r),
    )


def derive_ike_sa_keys(
    suite: SuiteLike,
    shared_secret: bytes,
    ni: bytes,
    nr: bytes,
    spi_i: bytes,
    spi_r: bytes,
    *,
    old_sk_d: bytes | None = None,
    old_prf_id: int | None = None,
    additional_secrets: Iterable[bytes] = (),
    ppk: bytes | None = None,
) -> IKESAKeys:
    """All keys of an IKE SA (RFC 7296 §2.14), new or rekeyed (§2.18).

    New IKE SA (``old_sk_d`` is None): SKEYSEED = prf(Ni | Nr, g^ir), then, for each
    secret of ``additional_secrets`` in order, the RFC 9370 §2.2.2 update done after each
    IKE_INTERMEDIATE exchange (see :func:`update_ike_sa_keys`), then, with ``ppk``, the
    RFC 8784 §3 mix-in (see :func:`apply_ppk`).

    Rekeyed IKE SA (CREATE_CHILD_SA): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr
    [| SK(1) | ... | SK(n)]) with the old SA's PRF (``old_prf_id``, default the new
    suite's), the secrets of the IKE_FOLLOWUP_KE exchanges appended (RFC 9370 §2.2.4).
    A PPK is not used again at rekey (RFC 8784 §3), so ``ppk`` is refused there.

    ``ni``/``nr`` are the nonces and ``spi_i``/``spi_r`` the SPIs of the new SA.
    """
    prf_id = suite.prf_id
    if prf_id is None:
        raise ConfigError("an IKE SA suite needs a PRF (RFC 7296 §3.3.3)")
    prf = prf_for(prf_id)
    encr_id = _encr(suite)
    secrets = tuple(additional_secrets)
    if old_sk_d is None:
        key = skeyseed(prf_id, ni, nr, shared_secret)
        keys = _expand_ike(
            prf, prf_id, key, ni, nr, spi_i, spi_r, encr_id, suite.encr_key_bits, suite.integ_id
        )
        for secret in secrets:
            keys = update_ike_sa_keys(keys, secret, ni, nr)
        if ppk is not None:
            keys = apply_ppk(keys, ppk)
        return keys
    if ppk is not None:
        raise ConfigError("a PPK is only mixed into a new IKE SA's keys (RFC 8784 §3)")
    key = skeyseed(
        prf_id if old_prf_id is None else old_prf_id,
        ni,
        nr,
        shared_secret,
        old_sk_d=old_sk_d,
        additional_secrets=secrets,
    )
    return _expand_ike(
        prf, prf_id, key, ni, nr, spi_i, spi_r, encr_id, suite.encr_key_bits, suite.integ_id
    )


def _encr(suite: ChildSuiteLike) -> int:
    if suite.encr_id is None:
        raise ConfigError("an IKE SA needs an encryption algorithm (RFC 7296 §3.3.3)")
    return suite.encr_id


def update_ike_sa_keys(
    keys: IKESAKeys, additional_secret: bytes, ni: bytes, nr: bytes
) -> IKESAKeys:
    """The IKE SA keys after one more key exchange in IKE_INTERMEDIATE (RFC 9370 §2.2.2).

    SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr), and all SK_*(n) = prf+(SKEYSEED(n),
    Ni | Nr | SPIi | SPIr) with the nonces of IKE_SA_INIT and the same SPIs and suite.
    """
    prf = prf_for(keys.prf_id)
    key = prf(keys.sk_d, additional_secret + ni + nr)
    return _expand_ike(
        prf,
        keys.prf_id,
        key,
        ni,
        nr,
        keys.spi_i,
        keys.spi_r,
        keys.encr_id,
        keys.encr_key_bits,
        keys.integ_id,
    )


def apply_ppk(keys: IKESAKeys, ppk: bytes) -> IKESAKeys:
    """Mix a post-quantum preshared key into SK_d, SK_pi, SK_pr (RFC 8784 §3).

    SK_d = prf+(PPK, SK_d'), SK_pi = prf+(PPK, SK_pi'), SK_pr = prf+(PPK, SK_pr'), each
    as long as before; the encryption and integrity keys are unchanged.
    """
    if not ppk:
        raise ConfigError("an empty PPK adds nothing (RFC 8784 §3)")
    prf = prf_for(keys.prf_id)
    return dataclasses.replace(
        keys,
        sk_d=prf.plus(ppk, keys.sk_d, len(keys.sk_d)),
        sk_pi=prf.plus(ppk, keys.sk_pi, len(keys.sk_pi)),
        sk_pr=prf.plus(ppk, keys.sk_pr, len(keys.sk_pr)),
    )


def derive_child_sa_keys(
    suite: ChildSuiteLike,
    sk_d: bytes | IKESAKeys,
    ni: bytes,
    nr: bytes,
    *,
    prf_id: int | None = None,
    shared_secret: bytes | None = None,
    additional_secrets: Iterable[bytes] = (),
) -> ChildSAKeys:
    """KEYMAT of a Child SA (RFC 7296 §2.17).

    KEYMAT = prf+(SK_d, Ni | Nr), or prf+(SK_d, g^ir (new) | Ni | Nr) with a key exchange
    in CREATE_CHILD_SA; with RFC 9370 additional key exchanges
    prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n)) (RFC 9370 §2.2.4). Taken in the
    order encryption key initiator→responder, its integrity key, then the same for
    responder→initiator.

    ``prf_id`` is the IKE SA's PRF (Child SA proposals have none); when omitted,
    ``suite.prf_id`` is used if the suite has one. Passing the IKE SA's
    :class:`IKESAKeys` as ``sk_d`` supplies both SK_d and the PRF.
    """
    if isinstance(sk_d, IKESAKeys):
        if prf_id is None:
            prf_id = sk_d.prf_id
        sk_d = sk_d.sk_d
    if prf_id is None:
        prf_id = getattr(suite, "prf_id", None)
        if prf_id is None:
            raise ConfigError("derive_child_sa_keys needs prf_id=<the IKE SA's PRF>")
    prf = prf_for(prf_id)
    secrets = b"".join(additional_secrets)
    if secrets and shared_secret is None:
        raise ConfigError("additional key exchanges need the first one's secret (RFC 9370 §2.2.4)")
    bits, e, integ, a = _suite_lengths(
        suite.encr_id, suite.encr_key_bits, suite.integ_id, ike=False
    )
    seed = b"".join((shared_secret or b"", ni, nr, secrets))
    km = prf.plus(sk_d, seed, 2 * (e + a))
    return ChildSAKeys(
        encr_id=suite.encr_id,
        encr_key_bits=bits,
        integ_id=integ,
        sk_ei=km[:e],
        sk_ai=km[e : e + a],
        sk_er=km[e + a : 2 * e + a],
        sk_ar=km[2 * e + a :],
    )
