"""SK and SKF payload protection (RFC 7296 §3.14, RFC 7383 §2.5).

An :class:`SKCipher` protects one direction of one IKE SA: built once from SK_e and SK_a
(its ``cryptography`` objects are keyed once, not per message), it turns the inner payload
chain into the body of an Encrypted payload and back::

    body = IV | Encrypted(inner payloads | Padding | Pad Length) | ICV

``seal``/``open`` work on bytes: ``aad`` is every octet of the message before the body
(the IKE header, any cleartext payloads and the SK/SKF generic header — with an SKF its
Fragment Number and Total Fragments too). For AEAD ciphers it is the associated data
(RFC 5282 §5.1, RFC 7634 §4, RFC 7383 §2.5); otherwise the ICV is computed over it, the IV
and the ciphertext (RFC 7296 §3.14: "the IKE header through the last octet of the
Encrypted payload's ciphertext").

Encryption transforms: ENCR_AES_CBC (RFC 3602), ENCR_AES_CTR (RFC 5930, RFC 3686),
ENCR_AES_GCM_8/12/16 and ENCR_AES_CCM_8/12/16 (RFC 5282), ENCR_CHACHA20_POLY1305
(RFC 7634), ENCR_3DES (RFC 2451), ENCR_CAMELLIA_CBC (RFC 5529), ENCR_NULL (RFC 2410, for
tests and Wireshark key tables). Integrity transforms: AUTH_HMAC_MD5_96 (RFC 2403),
AUTH_HMAC_SHA1_96 (RFC 2404), AUTH_AES_XCBC_96 (RFC 3566), AUTH_HMAC_MD5_128 and
AUTH_HMAC_SHA1_160 (RFC 4595), AUTH_AES_CMAC_96 (RFC 4494), AUTH_HMAC_SHA2_256_128 /
384_192 / 512_256 (RFC 4868). Every primitive is ``cryptography``'s.

Opening verifies before it decrypts (encrypt-then-MAC; AEAD tags are checked by
``cryptography``), compares ICVs in constant time, and on failure raises
:class:`~ikewire.errors.IntegrityError` and returns nothing. A body too short to hold an
IV and an ICV also raises IntegrityError (nothing in it can be trusted); a body that
authenticates but whose length or Pad Length is inconsistent raises
:class:`~ikewire.errors.DecodeError` (RFC 7296 §2.21: INVALID_SYNTAX).
"""

from __future__ import annotations

import hmac as _hmac
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.decrepit.ciphers.algorithms import Camellia, TripleDES
from cryptography.hazmat.primitives import cmac, hashes, hmac
from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm, Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

from ..errors import ConfigError, CryptoError, DecodeError, EncodeError, IntegrityError
from ..wire.codec import decode_payloads, decode_v2, encode_payloads, sk_associated_data
from ..wire.models import SK, SKF, Message, Payload
from .keys import ENCR_INFO, INTEG_INFO, EncrInfo, IKESAKeys, encr_key_bits
from .prf import _Xcbc

__all__ = [
    "SKCipher",
    "open_fragment",
    "open_message",
    "seal_fragment",
    "seal_message",
    "sk_cipher",
    "split_encrypted",
    "supported_encr_ids",
    "supported_integ_ids",
]

_PAD_LENGTH_OCTET: Final = tuple(bytes((i,)) for i in range(256))
_AEAD_FAILURE: Final = (InvalidTag, ValueError)

# IANA "Transform Type 1" numbers used below (RFC 7296 §3.3.2 and the registry).
_ENCR_3DES: Final = 3
_ENCR_NULL: Final = 11
_ENCR_AES_CBC: Final = 12
_ENCR_AES_CTR: Final = 13
_ENCR_AES_CCM: Final = (14, 15, 16)
_ENCR_AES_GCM_8: Final = 18
_ENCR_AES_GCM_12: Final = 19
_ENCR_AES_GCM_16: Final = 20
_ENCR_CAMELLIA_CBC: Final = 23
_ENCR_CHACHA20_POLY1305: Final = 28

_HMAC_HASHES: Final[dict[int, Callable[[], hashes.HashAlgorithm]]] = {
    1: hashes.MD5,  # AUTH_HMAC_MD5_96, RFC 2403
    2: hashes.SHA1,  # AUTH_HMAC_SHA1_96, RFC 2404
    6: hashes.MD5,  # AUTH_HMAC_MD5_128, RFC 4595
    7: hashes.SHA1,  # AUTH_HMAC_SHA1_160, RFC 4595
    12: hashes.SHA256,  # AUTH_HMAC_SHA2_256_128, RFC 4868 §2.1
    13: hashes.SHA384,  # AUTH_HMAC_SHA2_384_192
    14: hashes.SHA512,  # AUTH_HMAC_SHA2_512_256
}
_AUTH_AES_XCBC_96: Final = 5
_AUTH_AES_CMAC_96: Final = 8

_SUPPORTED_ENCR: Final = frozenset(
    (
        _ENCR_3DES,
        _ENCR_NULL,
        _ENCR_AES_CBC,
        _ENCR_AES_CTR,
        *_ENCR_AES_CCM,
        _ENCR_AES_GCM_8,
        _ENCR_AES_GCM_12,
        _ENCR_AES_GCM_16,
        _ENCR_CAMELLIA_CBC,
        _ENCR_CHACHA20_POLY1305,
    )
)
_SUPPORTED_INTEG: Final = frozenset((0, *_HMAC_HASHES, _AUTH_AES_XCBC_96, _AUTH_AES_CMAC_96))

#: ``mac(aad, signed)``: the truncated ICV over ``aad | signed``.
_Mac = Callable[[bytes, bytes], bytes]


def supported_encr_ids() -> frozenset[int]:
    """Encryption transform IDs :func:`sk_cipher` accepts for SK payloads."""
    return _SUPPORTED_ENCR


def supported_integ_ids() -> frozenset[int]:
    """Integrity transform IDs :func:`sk_cipher` accepts (0: none, for AEAD)."""
    return _SUPPORTED_INTEG


# ---------------------------------------------------------------------------------------
# Integrity
# ---------------------------------------------------------------------------------------


def _integrity(integ_id: int, key: bytes, icv_size: int) -> _Mac:
    """The ICV function of one integrity transform, keyed once."""
    if integ_id in _HMAC_HASHES:
        keyed_hmac = hmac.HMAC(key, _HMAC_HASHES[integ_id]())

        def hmac_icv(aad: bytes, signed: bytes) -> bytes:
            h = keyed_hmac.copy()
            h.update(aad)
            h.update(signed)
            return h.finalize()[:icv_size]

        return hmac_icv
    if integ_id == _AUTH_AES_CMAC_96:
        # RFC 4494 §2.1: AES-CMAC (RFC 4493) truncated to its first 96 bits.
        keyed_cmac = cmac.CMAC(algorithms.AES(key))

        def cmac_icv(aad: bytes, signed: bytes) -> bytes:
            c = keyed_cmac.copy()
            c.update(aad)
            c.update(signed)
            return c.finalize()[:icv_size]

        return cmac_icv
    if integ_id == _AUTH_AES_XCBC_96:
        # RFC 3566 §4: AES-XCBC-MAC truncated to its first 96 bits; K1..K3 derived once.
        xcbc = _Xcbc(key)

        def xcbc_icv(aad: bytes, signed: bytes) -> bytes:
            return xcbc.mac(aad + signed)[:icv_size]

        return xcbc_icv
    raise CryptoError(f"unsupported integrity transform ID {integ_id!r} for the SK payload")


# ---------------------------------------------------------------------------------------
# The cipher objects
# ---------------------------------------------------------------------------------------


class SKCipher(ABC):
    """One direction of SK/SKF protection for one IKE SA (RFC 7296 §3.14).

    Build it with :func:`sk_cipher` or :meth:`from_keys`. ``iv_size``, ``block_size``
    (what plaintext + Padding + Pad Length must be a multiple of) and ``icv_size`` are
    in octets. ``integrity_checked`` is False when nothing verifies the ICV: a cipher
    built with ``unchecked_icv_size`` (Wireshark's "ANY n-bits of Authentication [No
    Checking]", which opens without verifying and cannot seal), or ENCR_NULL without an
    integrity transform.

    :meth:`seal`/:meth:`open` add and strip Padding and Pad Length;
    :meth:`seal_padded`/:meth:`open_padded` work on the padded plaintext.

    Like the connection that owns it, a cipher object is meant for one thread at a time
    (the CBC transforms share one decryption context between messages).
    """

    __slots__ = (
        "aead",
        "block_size",
        "encr_id",
        "icv_size",
        "integ_id",
        "integrity_checked",
        "iv_size",
        "key_bits",
    )

    encr_id: int
    key_bits: int
    integ_id: int
    iv_size: int
    block_size: int
    icv_size: int
    aead: bool
    integrity_checked: bool

    def __init__(
        self, encr_id: int, key_bits: int, integ_id: int, info: EncrInfo, icv_size: int
    ) -> None:
        self.encr_id = encr_id
        self.key_bits = key_bits
        self.integ_id = integ_id
        self.iv_size = info.iv_size
        self.block_size = info.block_size
        self.icv_size = icv_size
        self.aead = info.aead
        self.integrity_checked = True

    @classmethod
    def from_keys(cls, keys: IKESAKeys, *, sender_is_initiator: bool) -> SKCipher:
        """The cipher for messages sent by the original initiator (SK_ei, SK_ai) or by
        the original responder (SK_er, SK_ar) of the IKE SA (RFC 7296 §2.14)."""
        if sender_is_initiator:
            sk_e, sk_a = keys.sk_ei, keys.sk_ai
        else:
            sk_e, sk_a = keys.sk_er, keys.sk_ar
        return sk_cipher(keys.encr_id, keys.encr_key_bits, keys.integ_id, sk_e, sk_a)

    def pad_length(self, plaintext_length: int) -> int:
        """The minimum Padding length for ``plaintext_length`` octets (RFC 7296 §3.14)."""
        return -(plaintext_length + 1) % self.block_size

    def body_length(self, plaintext_length: int, pad_length: int | None = None) -> int:
        """Octets of the body that :meth:`seal` makes for ``plaintext_length`` octets with
        ``pad_length`` octets of Padding (default: the minimum)."""
        if pad_length is None:
            pad_length = self.pad_length(plaintext_length)
        return self.iv_size + plaintext_length + pad_length + 1 + self.icv_size

    def _check(self, padded: bytes, iv: bytes) -> None:
        """EncodeError unless the IV has the right size and ``padded`` is aligned."""
        if len(iv) != self.iv_size:
            raise EncodeError(f"the IV must be {self.iv_size} octets, got {len(iv)}")
        if not padded or len(padded) % self.block_size:
            raise EncodeError(
                f"plaintext + Padding + Pad Length ({len(padded)} octets) is not a "
                f"non-zero multiple of the {self.block_size}-octet block size (RFC 7296 §3.14)"
            )

    @abstractmethod
    def seal_padded(self, aad: bytes, padded: bytes, iv: bytes) -> bytes:
        """The body ``IV | ciphertext | ICV`` for ``padded`` = plaintext | Padding |
        Pad Length (RFC 7296 §3.14); EncodeError for a wrong IV size or alignment."""

    @abstractmethod
    def open_padded(self, aad: bytes, body: bytes) -> bytes:
        """The padded plaintext of ``body``, after verifying its ICV/tag.

        IntegrityError when it does not verify (nothing is decrypted or returned);
        DecodeError when an authentic body's ciphertext is not block-aligned.
        """

    def seal(self, aad: bytes, plaintext: bytes, iv: bytes, padding: bytes | None = None) -> bytes:
        """The SK body ``IV | ciphertext | ICV`` protecting ``plaintext`` (RFC 7296 §3.14).

        ``aad`` is the message up to the body, with the final lengths; ``iv`` comes from
        the caller (RFC 7296 §3.14: unpredictable for CBC; RFC 5282 §3.1 / RFC 7634 §2:
        never repeated under one key for the counter-based modes). ``padding`` is the
        Padding field (any octets, at most 255; default: the minimum number of zero
        octets); the Pad Length octet is appended here.
        EncodeError when the IV size or alignment is wrong.
        """
        if padding is None:
            padding = bytes(-(len(plaintext) + 1) % self.block_size)
        return self.seal_padded(aad, _pad(plaintext, padding), iv)

    def open(self, aad: bytes, body: bytes) -> bytes:
        """The inner payload octets of an SK body, Padding and Pad Length removed.

        IntegrityError when the ICV/tag does not verify (nothing is decrypted or
        returned); DecodeError when an authentic body has an impossible length or
        Pad Length.
        """
        return _unpad(self.open_padded(aad, body))

    def __repr__(self) -> str:
        name = ENCR_INFO[self.encr_id].name
        integ = INTEG_INFO[self.integ_id].name if self.integ_id in INTEG_INFO else "?"
        checked = "" if self.integrity_checked else ", integrity unchecked"
        return f"<SKCipher {name}-{self.key_bits} {integ}{checked}>"


def _pad(plaintext: bytes, padding: bytes) -> bytes:
    """plaintext | Padding | Pad Length (RFC 7296 §3.14)."""
    n = len(padding)
    if n > 255:
        raise EncodeError(f"Padding is at most 255 octets (one-octet Pad Length), got {n}")
    return b"".join((plaintext, padding, _PAD_LENGTH_OCTET[n]))


def _unpad(plaintext: bytes) -> bytes:
    """Strip Padding and Pad Length; DecodeError when Pad Length overruns (§3.14)."""
    if plaintext:
        end = len(plaintext) - 1 - plaintext[-1]
        if end >= 0:
            return plaintext[:end]
        raise DecodeError(
            f"Pad Length {plaintext[-1]} exceeds the {len(plaintext) - 1} octets before it",
            field="SK.pad_length",
        )
    raise DecodeError("the encrypted content is empty (no Pad Length octet)", field="SK.body")


_BAD_ICV: Final = "the Integrity Checksum Data does not verify (RFC 7296 §3.14)"
_BAD_TAG: Final = "the AEAD authentication tag does not verify (RFC 5282 §5)"


class _AeadCipher(SKCipher):
    """AES-GCM-16 (RFC 5282), AES-CCM (RFC 5282), ChaCha20-Poly1305 (RFC 7634).

    Nonce = salt (last octets of SK_e) | the 8-octet IV from the body (RFC 5282 §4,
    RFC 7634 §2); associated data as in RFC 5282 §5.1.
    """

    __slots__ = ("_decrypt", "_encrypt", "_salt")

    def __init__(
        self,
        encr_id: int,
        key_bits: int,
        info: EncrInfo,
        aead: AESGCM | AESCCM | ChaCha20Poly1305,
        salt: bytes,
    ) -> None:
        super().__init__(encr_id, key_bits, 0, info, info.icv_size)
        self._salt = salt
        self._encrypt = aead.encrypt
        self._decrypt = aead.decrypt

    def seal_padded(self, aad: bytes, padded: bytes, iv: bytes) -> bytes:
        self._check(padded, iv)
        return iv + self._encrypt(self._salt + iv, padded, aad)

    def open_padded(self, aad: bytes, body: bytes) -> bytes:
        try:
            return self._decrypt(self._salt + body[:8], body[8:], aad)
        except _AEAD_FAILURE:
            raise IntegrityError(_BAD_TAG) from None

    # seal/open below are the hot path, measured against the bare AEAD call
    # (benchmarks/bench_cipher.py): the same steps as above, inlined.

    def seal(self, aad: bytes, plaintext: bytes, iv: bytes, padding: bytes | None = None) -> bytes:
        if padding or len(iv) != 8:
            return self.seal_padded(aad, _pad(plaintext, padding or b""), iv)
        return iv + self._encrypt(self._salt + iv, plaintext + b"\x00", aad)

    def open(self, aad: bytes, body: bytes) -> bytes:
        try:
            plaintext = self._decrypt(self._salt + body[:8], body[8:], aad)
            pad_length = plaintext[-1]
        except _AEAD_FAILURE:
            raise IntegrityError(_BAD_TAG) from None
        except IndexError:
            return _unpad(plaintext)  # raises DecodeError: empty
        if pad_length:
            return _unpad(plaintext)
        return plaintext[:-1]


class _GcmShortTagCipher(SKCipher):
    """AES-GCM with an 8- or 12-octet ICV (RFC 5282 §3, RFC 4106 §3: the leftmost octets
    of the GCM tag, NIST SP 800-38D §5.2.1.2)."""

    __slots__ = ("_aead", "_algorithm", "_salt")

    def __init__(self, encr_id: int, key_bits: int, info: EncrInfo, key: bytes, salt: bytes):
        super().__init__(encr_id, key_bits, 0, info, info.icv_size)
        self._salt = salt
        self._aead = AESGCM(key)
        self._algorithm = algorithms.AES(key)

    def seal_padded(self, aad: bytes, padded: bytes, iv: bytes) -> bytes:
        self._check(padded, iv)
        out = self._aead.encrypt(self._salt + iv, padded, aad)
        return iv + out[: len(padded) + self.icv_size]

    def open_padded(self, aad: bytes, body: bytes) -> bytes:
        icv = self.icv_size
        if len(body) < 8 + icv:
            raise IntegrityError(_BAD_TAG)
        tag_at = len(body) - icv
        mode = modes.GCM(self._salt + body[:8], body[tag_at:], min_tag_length=icv)
        decryptor = Cipher(self._algorithm, mode).decryptor()
        decryptor.authenticate_additional_data(aad)
        plaintext = decryptor.update(body[8:tag_at])
        try:
            decryptor.finalize()
        except InvalidTag:
            raise IntegrityError(_BAD_TAG) from None
        return plaintext


class _IntegCipher(SKCipher):
    """Base of the encrypt-then-MAC transforms: CBC, CTR and NULL with an integrity
    transform (RFC 7296 §3.14: the ICV covers the message from the IKE header through
    the ciphertext)."""

    __slots__ = ("_mac",)

    def __init__(
        self,
        encr_id: int,
        key_bits: int,
        integ_id: int,
        info: EncrInfo,
        mac: _Mac | None,
        icv_size: int,
    ) -> None:
        super().__init__(encr_id, key_bits, integ_id, info, icv_size)
        self._mac = mac
        self.integrity_checked = mac is not None

    def _verified(self, aad: bytes, body: bytes) -> bytes:
        """IV | ciphertext, after verifying the ICV that follows it."""
        signed_end = len(body) - self.icv_size
        if signed_end < self.iv_size + 1:
            raise IntegrityError(
                f"the body ({len(body)} octets) is too short for the IV, a Pad Length "
                f"octet and the ICV"
            )
        signed = body[:signed_end]
        mac = self._mac
        if mac is not None and not _hmac.compare_digest(mac(aad, signed), body[signed_end:]):
            raise IntegrityError(_BAD_ICV)
        return signed

    def _signed(self, aad: bytes, signed: bytes) -> bytes:
        """IV | ciphertext | ICV."""
        mac = self._mac
        if mac is None:
            if self.icv_size:
                raise ConfigError("a cipher whose integrity is unchecked cannot seal")
            return signed
        return signed + mac(aad, signed)


class _CbcCipher(_IntegCipher):
    """AES-CBC (RFC 3602), 3DES-CBC (RFC 2451), Camellia-CBC (RFC 5529) + integrity.

    Decryption uses one long-lived CBC context fed ``IV | ciphertext``: CBC decryption
    of a block depends only on it and the block before, so the first output block
    (the IV's) is dropped and the rest is the plaintext, whatever the context's state.
    """

    __slots__ = ("_algorithm", "_decrypt_update")

    def __init__(
        self,
        encr_id: int,
        key_bits: int,
        integ_id: int,
        info: EncrInfo,
        algorithm: BlockCipherAlgorithm,
        mac: _Mac | None,
        icv_size: int,
    ) -> None:
        super().__init__(encr_id, key_bits, integ_id, info, mac, icv_size)
        self._algorithm = algorithm
        decryptor = Cipher(algorithm, modes.CBC(bytes(info.block_size))).decryptor()
        self._decrypt_update = decryptor.update

    def seal_padded(self, aad: bytes, padded: bytes, iv: bytes) -> bytes:
        self._check(padded, iv)
        encryptor = Cipher(self._algorithm, modes.CBC(iv)).encryptor()
        return self._signed(aad, iv + encryptor.update(padded))

    def open_padded(self, aad: bytes, body: bytes) -> bytes:
        signed = self._verified(aad, body)
        if len(signed) % self.block_size:
            raise DecodeError(
                f"the ciphertext is not a multiple of the {self.block_size}-octet block "
                f"size (RFC 7296 §3.14)",
                field="SK.body",
            )
        return self._decrypt_update(signed)[self.iv_size :]


class _CtrCipher(_IntegCipher):
    """AES-CTR (RFC 5930, RFC 3686 §4): counter block = nonce (last 4 octets of SK_e) |
    8-octet IV | 32-bit block counter starting at 1."""

    __slots__ = ("_algorithm", "_nonce")

    def __init__(
        self,
        key_bits: int,
        integ_id: int,
        info: EncrInfo,
        key: bytes,
        nonce: bytes,
        mac: _Mac | None,
        icv_size: int,
    ) -> None:
        super().__init__(_ENCR_AES_CTR, key_bits, integ_id, info, mac, icv_size)
        self._algorithm = algorithms.AES(key)
        self._nonce = nonce

    def _keystream(self, iv: bytes) -> Cipher[modes.CTR]:
        return Cipher(self._algorithm, modes.CTR(self._nonce + iv + b"\x00\x00\x00\x01"))

    def seal_padded(self, aad: bytes, padded: bytes, iv: bytes) -> bytes:
        self._check(padded, iv)
        encryptor = self._keystream(iv).encryptor()
        return self._signed(aad, iv + encryptor.update(padded))

    def open_padded(self, aad: bytes, body: bytes) -> bytes:
        signed = self._verified(aad, body)
        return self._keystream(signed[:8]).decryptor().update(signed[8:])


class _NullCipher(_IntegCipher):
    """ENCR_NULL (RFC 2410): no IV, the "ciphertext" is the plaintext; integrity only."""

    __slots__ = ()

    def seal_padded(self, aad: bytes, padded: bytes, iv: bytes) -> bytes:
        self._check(padded, iv)
        return self._signed(aad, padded)

    def open_padded(self, aad: bytes, body: bytes) -> bytes:
        return self._verified(aad, body)


def sk_cipher(
    encr_id: int,
    key_bits: int | None,
    integ_id: int | None,
    sk_e: bytes,
    sk_a: bytes = b"",
    *,
    unchecked_icv_size: int | None = None,
) -> SKCipher:
    """The SK/SKF cipher for one direction: ``sk_e`` is SK_ei or SK_er (with the salt
    or nonce at its end for AEAD and CTR, RFC 5282 §7.1, RFC 5930 §2), ``sk_a`` SK_ai or
    SK_ar (empty for AEAD).

    ``unchecked_icv_size`` (with ``integ_id`` 0) builds a cipher that strips an ICV of
    that many octets without verifying it, as Wireshark does for "ANY n-bits of
    Authentication [No Checking]"; it can open but not seal.

    CryptoError for transforms not supported here; ConfigError for a combination
    RFC 5282 §8 forbids (AEAD with integrity) or keys of the wrong length.
    """
    info = ENCR_INFO.get(encr_id) if isinstance(encr_id, int) else None
    if info is None or encr_id not in _SUPPORTED_ENCR:
        raise CryptoError(f"unsupported encryption transform ID {encr_id!r} for the SK payload")
    bits = encr_key_bits(encr_id, key_bits)
    integ = 0 if integ_id is None else integ_id
    if integ not in _SUPPORTED_INTEG:
        raise CryptoError(f"unsupported integrity transform ID {integ!r} for the SK payload")
    key_len = bits // 8
    if len(sk_e) != key_len + info.salt_size:
        raise ConfigError(
            f"{info.name}-{bits} needs SK_e of {key_len + info.salt_size} octets "
            f"({key_len} key + {info.salt_size} salt), got {len(sk_e)}"
        )
    key, salt = sk_e[:key_len], sk_e[key_len:]

    if info.aead:
        if integ or sk_a:
            raise ConfigError(
                f"{info.name} is an AEAD cipher: no integrity algorithm or SK_a may be "
                f"combined with it (RFC 5282 §8)"
            )
        if unchecked_icv_size is not None:
            raise ConfigError("an AEAD cipher always checks its tag")
        if encr_id == _ENCR_AES_GCM_16:
            return _AeadCipher(encr_id, bits, info, AESGCM(key), salt)
        if encr_id == _ENCR_CHACHA20_POLY1305:
            return _AeadCipher(encr_id, bits, info, ChaCha20Poly1305(key), salt)
        if encr_id in _ENCR_AES_CCM:
            return _AeadCipher(encr_id, bits, info, AESCCM(key, info.icv_size), salt)
        return _GcmShortTagCipher(encr_id, bits, info, key, salt)

    mac: _Mac | None
    if unchecked_icv_size is not None:
        if integ or sk_a:
            raise ConfigError("an unchecked ICV goes with integrity transform NONE and no SK_a")
        if not 0 < unchecked_icv_size <= 64:
            raise ConfigError(f"unchecked ICV size {unchecked_icv_size} out of range 1..64")
        mac, icv_size = None, unchecked_icv_size
    elif integ:
        integ_info = INTEG_INFO[integ]
        if len(sk_a) != integ_info.key_size:
            raise ConfigError(
                f"{integ_info.name} needs SK_a of {integ_info.key_size} octets, got {len(sk_a)}"
            )
        mac, icv_size = _integrity(integ, sk_a, integ_info.icv_size), integ_info.icv_size
    elif encr_id == _ENCR_NULL:
        # No encryption and no integrity: only Wireshark tables and tests use this.
        mac, icv_size = None, 0
    else:
        raise ConfigError(f"{info.name} needs an integrity algorithm (RFC 7296 §3.3.3)")

    if encr_id == _ENCR_NULL:
        return _NullCipher(encr_id, bits, integ, info, mac, icv_size)
    if encr_id == _ENCR_AES_CTR:
        return _CtrCipher(bits, integ, info, key, salt, mac, icv_size)
    algorithm: BlockCipherAlgorithm
    if encr_id == _ENCR_3DES:
        algorithm = TripleDES(key)
    elif encr_id == _ENCR_CAMELLIA_CBC:
        algorithm = Camellia(key)
    else:
        algorithm = algorithms.AES(key)
    return _CbcCipher(encr_id, bits, integ, info, algorithm, mac, icv_size)


# ---------------------------------------------------------------------------------------
# Whole messages
# ---------------------------------------------------------------------------------------


def _with_body(msg: Message, payload: SK | SKF) -> Message:
    """``msg`` with ``payload`` as its last payload. A trailing SK/SKF in ``msg`` is a
    placeholder: it is replaced, and its critical bit and reserved bits are kept."""
    payloads = msg.payloads
    if payloads and (type(payloads[-1]) is SK or type(payloads[-1]) is SKF):
        old = payloads[-1]
        payload = payload._replace(critical=old.critical, header_reserved=old.header_reserved)
        payloads = payloads[:-1]
    for p in payloads:
        if type(p) is SK or type(p) is SKF:
            raise EncodeError("the Encrypted payload must be the last payload (RFC 7296 §3.14)")
    return msg._replace(payloads=(*payloads, payload))


def _padding_for(cipher: SKCipher, plaintext_length: int, padding: bytes | None) -> bytes:
    return bytes(cipher.pad_length(plaintext_length)) if padding is None else padding


def seal_message(
    msg: Message,
    inner_payloads: Sequence[Payload],
    cipher: SKCipher,
    iv: bytes,
    padding: bytes | None = None,
    *,
    plaintext: bytes | None = None,
) -> bytes:
    """The encoded message: ``msg``'s header and cleartext payloads, then an SK payload
    protecting ``inner_payloads`` (RFC 7296 §3.14).

    A trailing SK/SKF payload in ``msg`` is a placeholder: it is replaced, keeping its
    critical and reserved bits. ``padding`` defaults to the minimum number of zero
    octets. ``plaintext``: the inner payloads already encoded (saves encoding twice).
    """
    inner = tuple(inner_payloads)
    if plaintext is None:
        plaintext = encode_payloads(inner)
    pad = _padding_for(cipher, len(plaintext), padding)
    first = inner[0].type if inner else 0
    body_length = cipher.body_length(len(plaintext), len(pad))
    framed = _with_body(msg, SK(first, bytes(body_length)))
    aad = sk_associated_data(framed)
    return aad + cipher.seal(aad, plaintext, iv, pad)


def seal_fragment(
    msg: Message,
    chunk: bytes,
    fragment_number: int,
    total_fragments: int,
    cipher: SKCipher,
    iv: bytes,
    *,
    next_payload: int = 0,
    padding: bytes | None = None,
) -> bytes:
    """One encoded fragment message (RFC 7383 §2.5): ``chunk`` is a piece of the
    encoded inner payload chain; ``next_payload`` is its first payload's type in
    fragment 1 and 0 in the others. The associated data/ICV covers the Fragment Number
    and Total Fragments fields."""
    if not 1 <= fragment_number <= total_fragments <= 0xFFFF:
        raise EncodeError(
            f"fragment {fragment_number} of {total_fragments}: need "
            f"1 <= Fragment Number <= Total Fragments <= 65535 (RFC 7383 §2.5)"
        )
    if fragment_number != 1 and next_payload:
        raise EncodeError("only fragment 1 names the first inner payload (RFC 7383 §2.5)")
    pad = _padding_for(cipher, len(chunk), padding)
    body_length = cipher.body_length(len(chunk), len(pad))
    placeholder = SKF(next_payload, fragment_number, total_fragments, bytes(body_length))
    aad = sk_associated_data(_with_body(msg, placeholder))
    return aad + cipher.seal(aad, chunk, iv, pad)


def split_encrypted(data: Message | bytes) -> tuple[Message, SK | SKF | None, bytes]:
    """A message, its Encrypted payload (SK or SKF; None if it has none) and the
    associated data: every octet before that payload's body.

    Given the encoded message, the associated data are the received octets (what the
    peer protected); given a :class:`Message`, its encoding. DecodeError when the
    Encrypted payload is not the last payload (RFC 7296 §3.14) or does not end the
    message.
    """
    raw: bytes | None = None
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        msg = decode_v2(raw)
    else:
        msg = data
    payloads = msg.payloads
    found: SK | SKF | None = None
    for i, p in enumerate(payloads):
        if type(p) is SK or type(p) is SKF:
            if i != len(payloads) - 1:
                raise DecodeError(
                    "the Encrypted payload must be the last payload (RFC 7296 §3.14)",
                    field=type(p).__name__,
                )
            found = p
    if found is None:
        return msg, None, b""
    body = found.body
    if raw is None:
        return msg, found, sk_associated_data(msg)
    length = int.from_bytes(raw[24:28], "big")
    start = length - len(body)
    if start < 28 or length > len(raw) or raw[start:length] != body:
        raise DecodeError("the Encrypted payload does not end the message", field="SK")
    return msg, found, raw[:start]


def open_message(data: Message | bytes, cipher: SKCipher) -> tuple[Payload, ...]:
    """The inner payloads of a message's SK payload (RFC 7296 §3.14).

    IntegrityError when the ICV does not verify; DecodeError for malformed messages or
    inner payloads. For SKF fragments use :func:`open_fragment` and reassemble.
    """
    _, sk, aad = split_encrypted(data)
    if type(sk) is not SK:
        raise DecodeError("the message has no SK payload", field="SK")
    plaintext = cipher.open(aad, sk.body)
    return tuple(decode_payloads(sk.next_payload, plaintext))


def open_fragment(data: Message | bytes, cipher: SKCipher) -> bytes:
    """The plaintext chunk of one SKF fragment message, its own ICV verified
    (RFC 7383 §2.6)."""
    _, skf, aad = split_encrypted(data)
    if type(skf) is not SKF:
        raise DecodeError("the message has no SKF payload", field="SKF")
    return cipher.open(aad, skf.body)
