"""IKEv2 pseudorandom functions and prf+ (RFC 7296 §2.13).

Every PRF negotiable in IKEv2 that ``cryptography`` can back:

========================  ==  =====================================  ========  ======
PRF                       id  definition                             key_size  output
========================  ==  =====================================  ========  ======
PRF_HMAC_MD5               1  HMAC-MD5 (RFC 2104)                          16      16
PRF_HMAC_SHA1              2  HMAC-SHA1 (RFC 2104)                         20      20
PRF_AES128_XCBC            4  AES-XCBC-PRF-128 (RFC 4434)                  16      16
PRF_HMAC_SHA2_256          5  HMAC-SHA-256 (RFC 4868 §2.1)                 32      32
PRF_HMAC_SHA2_384          6  HMAC-SHA-384 (RFC 4868 §2.1)                 48      48
PRF_HMAC_SHA2_512          7  HMAC-SHA-512 (RFC 4868 §2.1)                 64      64
PRF_AES128_CMAC            8  AES-CMAC-PRF-128 (RFC 4615)                  16      16
========================  ==  =====================================  ========  ======

``key_size`` is the PRF's preferred key length (RFC 7296 §2.13): the output length for
HMAC (RFC 4868 §2.1.2), 128 bits for the two AES PRFs. It is the length of SK_d, SK_pi
and SK_pr (RFC 7296 §2.14).

AES-XCBC-MAC (RFC 3566) is composed here from ``cryptography``'s AES in ECB mode (to
derive K1, K2, K3) and CBC mode (the chaining); AES-CMAC is ``cryptography``'s own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Final

from cryptography.hazmat.primitives import cmac, hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..errors import ConfigError, CryptoError

__all__ = [
    "MAX_PRF_PLUS_ITERATIONS",
    "Prf",
    "aes_xcbc_mac",
    "prf_for",
    "supported_prf_ids",
]

MAX_PRF_PLUS_ITERATIONS: Final = 255
"""RFC 7296 §2.13: the prf+ counter is one octet, so at most 255 blocks."""

_AES_BLOCK: Final = 16
_ZERO_BLOCK: Final = bytes(_AES_BLOCK)
_ZERO_IV: Final = modes.CBC(_ZERO_BLOCK)
_XCBC_SUBKEY_SEEDS: Final = b"\x01" * 16 + b"\x02" * 16 + b"\x03" * 16
_COUNTERS: Final = tuple(bytes((i,)) for i in range(MAX_PRF_PLUS_ITERATIONS + 1))


def _check_length(length: int, output_size: int) -> int:
    """Number of prf+ blocks for ``length`` octets; ConfigError past 255 blocks."""
    if length < 0:
        raise ConfigError(f"prf+ length must not be negative, got {length}")
    blocks = -(-length // output_size)
    if blocks > MAX_PRF_PLUS_ITERATIONS:
        raise ConfigError(
            f"prf+ can produce at most {MAX_PRF_PLUS_ITERATIONS * output_size} octets "
            f"with this PRF (RFC 7296 §2.13: 255 iterations), {length} requested"
        )
    return blocks


class Prf(ABC):
    """An IKEv2 PRF (RFC 7296 §2.13): ``prf(key, data)`` and ``prf+``.

    Instances are immutable and shared; get one with :func:`prf_for`.
    """

    __slots__ = ("key_size", "name", "output_size", "prf_id")

    prf_id: int
    name: str
    key_size: int
    output_size: int

    def __init__(self, prf_id: int, name: str, key_size: int, output_size: int) -> None:
        self.prf_id = prf_id
        self.name = name
        self.key_size = key_size
        self.output_size = output_size

    @property
    def fixed_key(self) -> bool:
        """True for the AES PRFs, whose key is 128 bits (RFC 7296 §2.14 treats them apart)."""
        return False

    @abstractmethod
    def __call__(self, key: bytes, data: bytes) -> bytes:
        """prf(key, data): ``output_size`` octets."""

    @abstractmethod
    def plus(self, key: bytes, seed: bytes, length: int) -> bytes:
        """prf+(key, seed) truncated to ``length`` octets (RFC 7296 §2.13).

        T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n); prf+ = T1 | T2 | ... .
        Raises :class:`~ikewire.errors.ConfigError` when more than 255 blocks would be
        needed or ``length`` is negative.
        """

    def __repr__(self) -> str:
        return f"<Prf {self.name} ({self.prf_id})>"


class _HmacPrf(Prf):
    """HMAC PRFs (RFC 2104; RFC 4868 for SHA-2)."""

    __slots__ = ("_algorithm",)

    def __init__(self, prf_id: int, name: str, algorithm: hashes.HashAlgorithm) -> None:
        super().__init__(prf_id, name, algorithm.digest_size, algorithm.digest_size)
        self._algorithm = algorithm

    def __call__(self, key: bytes, data: bytes) -> bytes:
        h = hmac.HMAC(key, self._algorithm)
        h.update(data)
        return h.finalize()

    def plus(self, key: bytes, seed: bytes, length: int) -> bytes:
        blocks = _check_length(length, self.output_size)
        if blocks == 0:
            return b""
        # Key the HMAC once and copy the keyed state for each block.
        keyed = hmac.HMAC(key, self._algorithm)
        h = keyed.copy()
        h.update(seed + b"\x01")
        t = h.finalize()
        if blocks == 1:
            return t[:length]
        out = [t]
        for i in range(2, blocks + 1):
            h = keyed.copy()
            h.update(t + seed + _COUNTERS[i])
            t = h.finalize()
            out.append(t)
        return b"".join(out)[:length]


class _Xcbc:
    """AES-XCBC-MAC with 128-bit output for one 16-octet key (RFC 3566 §4)."""

    __slots__ = ("_k1", "_k2", "_k3")

    def __init__(self, key: bytes) -> None:
        encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        derived = encryptor.update(_XCBC_SUBKEY_SEEDS)
        self._k1 = algorithms.AES(derived[:16])
        self._k2 = int.from_bytes(derived[16:32], "big")
        self._k3 = int.from_bytes(derived[32:48], "big")

    def mac(self, data: bytes) -> bytes:
        n = len(data)
        rest = n % _AES_BLOCK
        if n and not rest:
            # Last block complete: XOR it with K2 (RFC 3566 §4, step 3a).
            head, last, k = data[: n - _AES_BLOCK], data[n - _AES_BLOCK :], self._k2
        else:
            # Incomplete (or empty) last block: pad 0x80 00.. and XOR with K3 (step 3b).
            head = data[: n - rest]
            last = data[n - rest :] + b"\x80" + bytes(_AES_BLOCK - 1 - rest)
            k = self._k3
        last = (int.from_bytes(last, "big") ^ k).to_bytes(_AES_BLOCK, "big")
        # CBC with a zero IV under K1 is exactly the E[i] = E(K1, M[i] XOR E[i-1]) chain.
        encryptor = Cipher(self._k1, _ZERO_IV).encryptor()
        if head:
            encryptor.update(head)
        return encryptor.update(last)


def aes_xcbc_mac(key: bytes, data: bytes) -> bytes:
    """AES-XCBC-MAC (RFC 3566 §4) with the full 128-bit output.

    ``key`` must be 16 octets; AUTH_AES_XCBC_96 (RFC 3566 §4) is the first 12 octets
    of the result, PRF_AES128_XCBC (RFC 4434) is :func:`prf_for` (4).
    """
    if len(key) != _AES_BLOCK:
        raise CryptoError(f"AES-XCBC-MAC needs a 16-octet key, got {len(key)}")
    return _Xcbc(key).mac(data)


_xcbc_zero_key: _Xcbc | None = None


def _xcbc_prf_key(key: bytes) -> bytes:
    """RFC 4434 §2: the key of AES-XCBC-PRF-128 reduced or padded to 128 bits."""
    global _xcbc_zero_key
    n = len(key)
    if n == _AES_BLOCK:
        return key
    if n < _AES_BLOCK:
        return key + bytes(_AES_BLOCK - n)
    if _xcbc_zero_key is None:
        _xcbc_zero_key = _Xcbc(_ZERO_BLOCK)
    return _xcbc_zero_key.mac(key)


class _XcbcPrf(Prf):
    """AES-XCBC-PRF-128 (RFC 4434)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(4, "PRF_AES128_XCBC", _AES_BLOCK, _AES_BLOCK)

    @property
    def fixed_key(self) -> bool:
        return True

    def __call__(self, key: bytes, data: bytes) -> bytes:
        return _Xcbc(_xcbc_prf_key(key)).mac(data)

    def plus(self, key: bytes, seed: bytes, length: int) -> bytes:
        blocks = _check_length(length, _AES_BLOCK)
        if blocks == 0:
            return b""
        xcbc = _Xcbc(_xcbc_prf_key(key))
        t = xcbc.mac(seed + b"\x01")
        out = [t]
        for i in range(2, blocks + 1):
            t = xcbc.mac(t + seed + _COUNTERS[i])
            out.append(t)
        return b"".join(out)[:length]


def _cmac_prf_key(key: bytes) -> bytes:
    """RFC 4615 §3 step 1: a key of any length but 128 bits is AES-CMAC(0^128, key).

    Unlike RFC 4434 for XCBC, shorter keys are not zero-padded.
    """
    if len(key) == _AES_BLOCK:
        return key
    c = cmac.CMAC(algorithms.AES(_ZERO_BLOCK))
    c.update(key)
    return c.finalize()


class _CmacPrf(Prf):
    """AES-CMAC-PRF-128 (RFC 4615)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(8, "PRF_AES128_CMAC", _AES_BLOCK, _AES_BLOCK)

    @property
    def fixed_key(self) -> bool:
        return True

    def __call__(self, key: bytes, data: bytes) -> bytes:
        c = cmac.CMAC(algorithms.AES(_cmac_prf_key(key)))
        c.update(data)
        return c.finalize()

    def plus(self, key: bytes, seed: bytes, length: int) -> bytes:
        blocks = _check_length(length, _AES_BLOCK)
        if blocks == 0:
            return b""
        keyed = cmac.CMAC(algorithms.AES(_cmac_prf_key(key)))
        c = keyed.copy()
        c.update(seed + b"\x01")
        t = c.finalize()
        out = [t]
        for i in range(2, blocks + 1):
            c = keyed.copy()
            c.update(t + seed + _COUNTERS[i])
            t = c.finalize()
            out.append(t)
        return b"".join(out)[:length]


_PRFS: Final[dict[int, Prf]] = {
    1: _HmacPrf(1, "PRF_HMAC_MD5", hashes.MD5()),
    2: _HmacPrf(2, "PRF_HMAC_SHA1", hashes.SHA1()),
    4: _XcbcPrf(),
    5: _HmacPrf(5, "PRF_HMAC_SHA2_256", hashes.SHA256()),
    6: _HmacPrf(6, "PRF_HMAC_SHA2_384", hashes.SHA384()),
    7: _HmacPrf(7, "PRF_HMAC_SHA2_512", hashes.SHA512()),
    8: _CmacPrf(),
}


def prf_for(prf_id: int) -> Prf:
    """The PRF for an IANA "Transform Type 2" number (RFC 7296 §3.3.2).

    Raises :class:`~ikewire.errors.CryptoError` for PRFs ikewire does not implement
    (PRF_HMAC_TIGER, private-use numbers).
    """
    try:
        return _PRFS[prf_id]
    except (KeyError, TypeError):
        raise CryptoError(f"unsupported PRF transform ID {prf_id!r}") from None


def supported_prf_ids() -> frozenset[int]:
    """The PRF transform IDs :func:`prf_for` accepts."""
    return frozenset(_PRFS)
