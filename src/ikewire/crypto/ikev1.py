"""IKEv1 keys and encryption (RFC 2409 §5, §5.5, Appendix B).

Key derivation for phase 1 (RFC 2409 §5)::

    SKEYID   = prf(pre-shared-key, Ni_b | Nr_b)             pre-shared keys
             = prf(Ni_b | Nr_b, g^xy)                       signatures
             = prf(hash(Ni_b | Nr_b), CKY-I | CKY-R)        public key encryption
    SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
    SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
    SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)

``prf`` is HMAC with the negotiated hash (RFC 2409 §5: no other PRF is defined). The
encryption key is SKEYID_e, expanded when too short by Appendix B's
``K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1), ...``.

Encryption is CBC (DES, 3DES, AES; RFC 2409 Appendix B, RFC 3602). The first IV of
phase 1 is ``hash(g^xi | g^xr)``, the first IV of each phase-2 or informational exchange
``hash(last phase-1 CBC block | M-ID)``, both truncated to the block size; every later
message of an exchange uses the last ciphertext block of the previous one.

:class:`IKEv1Decryptor` follows those rules through a capture, given Wireshark's
``ikev1_decryption_table`` (initiator cookie → encryption key).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import BlockCipherAlgorithm, Cipher, algorithms, modes

from ..constants import (
    V1EncryptionAlgorithm,
    V1HashAlgorithm,
    V1IKEAttributeType,
    V1ProtocolId,
)
from ..errors import ConfigError, CryptoError, DecodeError
from ..wire.v1 import (
    FLAG_ENCRYPTION,
    V1KE,
    V1SA,
    V1Encrypted,
    V1Message,
    decode_v1,
    decode_v1_payloads,
    encode_v1_payloads,
)

__all__ = [
    "IKEv1Decryptor",
    "V1CipherSpec",
    "V1Keys",
    "V1Opened",
    "block_size",
    "cbc_decrypt",
    "cbc_encrypt",
    "decrypt_v1",
    "derive_phase1_keys",
    "encrypt_v1",
    "encryption_key",
    "expand_key",
    "parse_ikev1_decryption_table",
    "phase1_iv",
    "phase2_iv",
    "prf",
    "quick_mode_keymat",
    "skeyid_dsa",
    "skeyid_psk",
    "skeyid_public_key",
    "skeyid_signature",
]

_HASHES: Final[dict[int, type[hashes.HashAlgorithm]]] = {
    int(V1HashAlgorithm.MD5): hashes.MD5,
    int(V1HashAlgorithm.SHA): hashes.SHA1,
    int(V1HashAlgorithm.SHA2_256): hashes.SHA256,
    int(V1HashAlgorithm.SHA2_384): hashes.SHA384,
    int(V1HashAlgorithm.SHA2_512): hashes.SHA512,
}

# Encryption algorithm → (block size, default key length in octets) (RFC 2409 Appendix A,
# RFC 2451, RFC 3602 §5.3: AES needs the Key Length attribute; 128 bits if absent).
_CIPHERS: Final[dict[int, tuple[int, int]]] = {
    int(V1EncryptionAlgorithm.DES_CBC): (8, 8),
    int(V1EncryptionAlgorithm.TRIPLEDES_CBC): (8, 24),
    int(V1EncryptionAlgorithm.AES_CBC): (16, 16),
}
_AES_KEY_SIZES: Final = (16, 24, 32)

#: Most hash blocks ``expand_key`` produces (a bound, not a limit of the RFC).
MAX_EXPANSION_BLOCKS: Final = 255


def _hash_algorithm(hash_alg: int) -> hashes.HashAlgorithm:
    try:
        return _HASHES[int(hash_alg)]()
    except KeyError:
        raise CryptoError(f"unsupported IKEv1 hash algorithm {int(hash_alg)}") from None


def _hash(hash_alg: int, data: bytes) -> bytes:
    h = hashes.Hash(_hash_algorithm(hash_alg))
    h.update(data)
    return h.finalize()


def prf(hash_alg: int, key: bytes, data: bytes) -> bytes:
    """The IKEv1 prf: HMAC with the negotiated hash (RFC 2409 §5, RFC 2104)."""
    h = hmac.HMAC(bytes(key), _hash_algorithm(hash_alg))
    h.update(data)
    return h.finalize()


# --------------------------------------------------------------------------- SKEYID


def skeyid_psk(hash_alg: int, pre_shared_key: bytes, ni_b: bytes, nr_b: bytes) -> bytes:
    """SKEYID for pre-shared key authentication: prf(pre-shared-key, Ni_b | Nr_b) (RFC 2409 §5)."""
    return prf(hash_alg, pre_shared_key, bytes(ni_b) + bytes(nr_b))


def skeyid_signature(hash_alg: int, ni_b: bytes, nr_b: bytes, g_xy: bytes) -> bytes:
    """SKEYID for signature authentication: prf(Ni_b | Nr_b, g^xy) (RFC 2409 §5)."""
    return prf(hash_alg, bytes(ni_b) + bytes(nr_b), g_xy)


#: DSS signatures use the signature formula (RFC 2409 §5); NIST CAVP names it "dsa".
skeyid_dsa = skeyid_signature


def skeyid_public_key(hash_alg: int, ni_b: bytes, nr_b: bytes, cky_i: bytes, cky_r: bytes) -> bytes:
    """SKEYID for public key encryption: prf(hash(Ni_b | Nr_b), CKY-I | CKY-R) (RFC 2409 §5)."""
    return prf(hash_alg, _hash(hash_alg, bytes(ni_b) + bytes(nr_b)), bytes(cky_i) + bytes(cky_r))


class V1Keys(NamedTuple):
    """SKEYID and the three keys derived from it (RFC 2409 §5), and the encryption key."""

    skeyid: bytes
    skeyid_d: bytes
    skeyid_a: bytes
    skeyid_e: bytes
    encryption_key: bytes = b""

    def __repr__(self) -> str:
        return f"V1Keys(<{len(self.skeyid)}-octet SKEYID, keys hidden>)"


def derive_phase1_keys(
    hash_alg: int,
    skeyid: bytes,
    g_xy: bytes,
    cky_i: bytes,
    cky_r: bytes,
    *,
    encryption_key_length: int = 0,
) -> V1Keys:
    """SKEYID_d, SKEYID_a, SKEYID_e (RFC 2409 §5) and, if asked, the encryption key.

    ``encryption_key_length`` (octets) gives :attr:`V1Keys.encryption_key`, SKEYID_e
    expanded or truncated per RFC 2409 Appendix B.
    """
    tail = bytes(g_xy) + bytes(cky_i) + bytes(cky_r)
    d = prf(hash_alg, skeyid, tail + b"\x00")
    a = prf(hash_alg, skeyid, d + tail + b"\x01")
    e = prf(hash_alg, skeyid, a + tail + b"\x02")
    key = expand_key(hash_alg, e, encryption_key_length) if encryption_key_length else b""
    return V1Keys(skeyid, d, a, e, key)


def expand_key(hash_alg: int, skeyid_e: bytes, length: int) -> bytes:
    """The cipher key from SKEYID_e (RFC 2409 Appendix B).

    When SKEYID_e is long enough its first ``length`` octets; otherwise
    ``K1 | K2 | ...`` truncated, with ``K1 = prf(SKEYID_e, 0)`` (one zero octet) and
    ``Kn = prf(SKEYID_e, Kn-1)``.
    """
    if length < 0:
        raise ConfigError(f"key length must not be negative, got {length}")
    if len(skeyid_e) >= length:
        return bytes(skeyid_e[:length])
    blocks: list[bytes] = []
    k = b"\x00"
    total = 0
    for _ in range(MAX_EXPANSION_BLOCKS):
        k = prf(hash_alg, skeyid_e, k)
        blocks.append(k)
        total += len(k)
        if total >= length:
            return b"".join(blocks)[:length]
    raise ConfigError(f"a {length}-octet key needs more than {MAX_EXPANSION_BLOCKS} blocks")


def encryption_key(hash_alg: int, skeyid_e: bytes, encr_alg: int, key_length: int = 0) -> bytes:
    """The key of ``encr_alg`` (IKE attribute class 1) with ``key_length`` octets (from the
    Key Length attribute, in octets; 0 for the cipher's fixed or default length)."""
    _, default = _cipher_sizes(encr_alg)
    return expand_key(hash_alg, skeyid_e, key_length or default)


def quick_mode_keymat(
    hash_alg: int,
    skeyid_d: bytes,
    protocol: int,
    spi: bytes,
    ni_b: bytes,
    nr_b: bytes,
    length: int,
    *,
    g_qm_xy: bytes | None = None,
) -> bytes:
    """Quick Mode KEYMAT (RFC 2409 §5.5), ``length`` octets.

    ``KEYMAT = K1 | K2 | ...`` with ``K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI |
    Ni_b | Nr_b)`` and ``Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b |
    Nr_b)``; ``g_qm_xy`` is the shared secret of a PFS exchange.
    """
    if length < 0:
        raise ConfigError(f"KEYMAT length must not be negative, got {length}")
    seed = (
        (bytes(g_qm_xy) if g_qm_xy else b"")
        + bytes((protocol,))
        + bytes(spi)
        + bytes(ni_b)
        + bytes(nr_b)
    )
    out: list[bytes] = []
    total = 0
    k = b""
    for _ in range(MAX_EXPANSION_BLOCKS):
        if total >= length:
            break
        k = prf(hash_alg, skeyid_d, k + seed)
        out.append(k)
        total += len(k)
    else:
        raise ConfigError(f"{length} octets of KEYMAT need more than {MAX_EXPANSION_BLOCKS} blocks")
    return b"".join(out)[:length]


# --------------------------------------------------------------------------- IVs and CBC


def _cipher_sizes(encr_alg: int) -> tuple[int, int]:
    try:
        return _CIPHERS[int(encr_alg)]
    except KeyError:
        raise CryptoError(
            f"unsupported IKEv1 encryption algorithm {int(encr_alg)} (DES, 3DES and AES-CBC are)"
        ) from None


def block_size(encr_alg: int) -> int:
    """The cipher block size in octets (8 for DES and 3DES, 16 for AES)."""
    return _cipher_sizes(encr_alg)[0]


def phase1_iv(hash_alg: int, g_xi: bytes, g_xr: bytes, block: int) -> bytes:
    """The IV of the first encrypted phase-1 message: hash(g^xi | g^xr), truncated to the
    block size (RFC 2409 Appendix B)."""
    return _hash(hash_alg, bytes(g_xi) + bytes(g_xr))[:block]


def phase2_iv(hash_alg: int, last_phase1_block: bytes, message_id: int, block: int) -> bytes:
    """The IV of the first message of a phase-2 or informational exchange: hash(last
    phase-1 CBC output block | M-ID), truncated to the block size (RFC 2409 Appendix B)."""
    return _hash(hash_alg, bytes(last_phase1_block) + struct.pack(">I", message_id))[:block]


def _algorithm(encr_alg: int, key: bytes) -> BlockCipherAlgorithm:
    encr = int(encr_alg)
    _cipher_sizes(encr)
    key = bytes(key)
    if encr == V1EncryptionAlgorithm.DES_CBC:
        if len(key) != 8:
            raise CryptoError(f"DES-CBC needs an 8-octet key, got {len(key)}")
        return TripleDES(key * 3)  # DES-EDE with K1 = K2 = K3 is single DES
    if encr == V1EncryptionAlgorithm.TRIPLEDES_CBC:
        if len(key) != 24:
            raise CryptoError(f"3DES-CBC needs a 24-octet key, got {len(key)}")
        return TripleDES(key)
    if len(key) not in _AES_KEY_SIZES:
        raise CryptoError(f"AES-CBC needs a 16, 24 or 32-octet key, got {len(key)}")
    return algorithms.AES(key)


def _check_cbc(encr_alg: int, iv: bytes, data: bytes) -> int:
    block = block_size(encr_alg)
    if len(iv) != block:
        raise CryptoError(f"the IV must be {block} octets, got {len(iv)}")
    if len(data) % block:
        raise CryptoError(f"{len(data)} octets are not a whole number of {block}-octet blocks")
    return block


def cbc_decrypt(encr_alg: int, key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """CBC-decrypt ``ciphertext`` (whole blocks) with ``encr_alg`` (IKE attribute class 1)."""
    _check_cbc(encr_alg, iv, ciphertext)
    d = Cipher(_algorithm(encr_alg, key), modes.CBC(bytes(iv))).decryptor()
    return d.update(bytes(ciphertext)) + d.finalize()


def cbc_encrypt(encr_alg: int, key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    """CBC-encrypt ``plaintext`` (whole blocks) with ``encr_alg`` (IKE attribute class 1)."""
    _check_cbc(encr_alg, iv, plaintext)
    e = Cipher(_algorithm(encr_alg, key), modes.CBC(bytes(iv))).encryptor()
    return e.update(bytes(plaintext)) + e.finalize()


# --------------------------------------------------------------------------- messages


class V1Opened(NamedTuple):
    """An encrypted IKEv1 message, opened.

    ``message`` has the decrypted payloads (its flags unchanged, so the Encryption bit
    still says it travelled encrypted; :func:`encrypt_v1` closes it again), ``padding``
    is what followed the payload chain, ``iv`` the IV used and ``last_block`` the last
    ciphertext block: the IV of the exchange's next message (RFC 2409 Appendix B).
    """

    message: V1Message
    padding: bytes
    iv: bytes
    last_block: bytes


def decrypt_v1(msg: V1Message | bytes, encr_alg: int, key: bytes, iv: bytes) -> V1Opened:
    """Open an encrypted IKEv1 message (RFC 2408 §3.1, RFC 2409 Appendix B).

    Raises :class:`~ikewire.CryptoError` if the message is not encrypted, the key or IV
    does not fit the cipher, or the plaintext is not a payload chain (IKEv1 encryption
    carries no integrity check of its own, so a wrong key or IV shows only there).
    """
    message = decode_v1(msg) if isinstance(msg, bytes | bytearray | memoryview) else msg
    body = message.encrypted
    if body is None or not message.flags & FLAG_ENCRYPTION:
        raise CryptoError("the message is not encrypted (no Encryption flag)")
    plaintext = cbc_decrypt(encr_alg, key, iv, body.data)
    try:
        payloads, padding = decode_v1_payloads(int(body.next_payload), plaintext)
    except DecodeError as exc:
        raise CryptoError(
            f"the decrypted body is not a payload chain ({exc}): wrong key or IV?"
        ) from exc
    block = block_size(encr_alg)
    last = body.data[-block:] if body.data else bytes(iv)
    return V1Opened(message._replace(payloads=payloads), padding, bytes(iv), last)


def encrypt_v1(
    msg: V1Message,
    encr_alg: int,
    key: bytes,
    iv: bytes,
    *,
    padding: bytes | None = None,
) -> tuple[V1Message, bytes]:
    """Close a message whose ``payloads`` are cleartext (RFC 2409 Appendix B).

    Sets the Encryption flag and returns the encrypted message and its last ciphertext
    block (the exchange's next IV). ``padding`` defaults to zero octets up to the block
    size; an explicit ``padding`` (e.g. :attr:`V1Opened.padding`, to reproduce a
    captured message) must complete the plaintext to whole blocks.
    """
    payloads = [p for p in msg.payloads if type(p) is not V1Encrypted]
    if len(payloads) != len(msg.payloads):
        raise ConfigError("the message is already encrypted")
    block = block_size(encr_alg)
    chain = encode_v1_payloads(payloads)  # type: ignore[arg-type]
    if padding is None:
        padding = bytes(-len(chain) % block)
    ciphertext = cbc_encrypt(encr_alg, key, iv, chain + bytes(padding))
    first = msg.next_payload
    closed = msg._replace(
        flags=msg.flags | FLAG_ENCRYPTION, payloads=(V1Encrypted(first, ciphertext),)
    )
    return closed, (ciphertext[-block:] if ciphertext else bytes(iv))


# --------------------------------------------------------------------------- Wireshark


def parse_ikev1_decryption_table(text: str) -> dict[bytes, bytes]:
    """Wireshark's ``ikev1_decryption_table`` (initiator cookie, encryption key; hex CSV).

    Blank lines and ``#`` comments are skipped; fields may be quoted. Raises
    :class:`~ikewire.ConfigError` naming the line of a malformed entry.
    """
    table: dict[bytes, bytes] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = [f.strip().strip('"').strip() for f in stripped.split(",")]
        if len(fields) != 2:
            raise ConfigError(f"line {number}: expected 'initiator cookie,encryption key'")
        try:
            cookie, key = bytes.fromhex(fields[0]), bytes.fromhex(fields[1])
        except ValueError:
            raise ConfigError(f"line {number}: the fields must be hex") from None
        if len(cookie) != 8:
            raise ConfigError(f"line {number}: the initiator cookie is 8 octets, got {len(cookie)}")
        table[cookie] = key
    return table


@dataclass(slots=True)
class _SAState:
    key: bytes
    encr_alg: int | None = None
    hash_alg: int | None = None
    chosen: bool = False  # from an SA payload with one transform (the responder's choice)
    g_xi: bytes | None = None
    g_xr: bytes | None = None
    last_phase1_block: bytes | None = None
    next_iv: dict[int, bytes] = field(default_factory=dict)
    seen: dict[bytes, V1Opened] = field(default_factory=dict)


class V1CipherSpec(NamedTuple):
    """What :class:`IKEv1Decryptor` learnt from an SA's cleartext: the phase-1 cipher,
    hash and the two public values."""

    encr_alg: int | None
    hash_alg: int | None
    g_xi: bytes | None
    g_xr: bytes | None


_MAX_SEEN = 4096  # bounded retransmission cache per SA


class IKEv1Decryptor:
    """Opens the encrypted messages of IKEv1 SAs seen in order, as Wireshark does.

    Give it the phase-1 encryption key per initiator cookie (Wireshark's
    ``ikev1_decryption_table``) and feed it every message of the SA, cleartext ones
    included, in capture order: the SA payloads give the cipher and hash, the KE payloads
    of phase 1 give ``g^xi`` and ``g^xr`` (the initiator's comes first), and the IVs follow
    RFC 2409 Appendix B per exchange (Message ID), so interleaved exchanges open.
    Retransmissions (the same ciphertext again) give the same result.
    """

    def __init__(self, keys: Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]]) -> None:
        items = keys.items() if isinstance(keys, Mapping) else keys
        self._states = {bytes(cookie): _SAState(bytes(key)) for cookie, key in items}

    @classmethod
    def from_wireshark_table(cls, text: str) -> IKEv1Decryptor:
        """A decryptor from the text of an ``ikev1_decryption_table`` file."""
        return cls(parse_ikev1_decryption_table(text))

    def spec(self, cookie_i: bytes) -> V1CipherSpec | None:
        """What is known so far about the SA of an initiator cookie, or None."""
        st = self._states.get(bytes(cookie_i))
        if st is None:
            return None
        return V1CipherSpec(st.encr_alg, st.hash_alg, st.g_xi, st.g_xr)

    def _learn(self, st: _SAState, msg: V1Message) -> None:
        for p in msg.payloads:
            if type(p) is V1SA:
                self._learn_sa(st, p)
            elif type(p) is V1KE and msg.message_id == 0:
                data = p.data
                if st.g_xi is None:
                    st.g_xi = data
                elif st.g_xr is None and data != st.g_xi:
                    st.g_xr = data

    @staticmethod
    def _learn_sa(st: _SAState, sa: V1SA) -> None:
        transforms = [
            t
            for proposal in sa.proposals
            if proposal.protocol_id == V1ProtocolId.PROTO_ISAKMP
            for t in proposal.transforms
        ]
        if not transforms:
            return
        single = len(transforms) == 1
        if st.chosen and not single:
            return
        if st.encr_alg is not None and not single:
            return
        t = transforms[0]
        encr = t.get(V1IKEAttributeType.ENCRYPTION_ALGORITHM)
        hash_alg = t.get(V1IKEAttributeType.HASH_ALGORITHM)
        st.encr_alg = encr if isinstance(encr, int) else None
        st.hash_alg = hash_alg if isinstance(hash_alg, int) else None
        st.chosen = single

    def _iv(self, st: _SAState, message_id: int, block: int) -> bytes:
        iv = st.next_iv.get(message_id)
        if iv is not None:
            return iv
        if st.hash_alg is None or st.g_xi is None or st.g_xr is None:
            raise CryptoError(
                "the phase-1 hash and both KE payloads must be seen before the first "
                "encrypted message (RFC 2409 Appendix B)"
            )
        first = phase1_iv(st.hash_alg, st.g_xi, st.g_xr, block)
        if message_id == 0:
            return first
        last = st.last_phase1_block if st.last_phase1_block is not None else first
        return phase2_iv(st.hash_alg, last, message_id, block)

    def open(self, msg: V1Message | bytes) -> V1Opened | None:
        """Learn from ``msg``; if it is encrypted and its cookie has a key, open it.

        Returns None for a cleartext message or an unknown cookie; raises
        :class:`~ikewire.CryptoError` when the message cannot be opened (cipher unknown,
        an earlier message missing, or the plaintext not a payload chain).
        """
        message = decode_v1(msg) if isinstance(msg, bytes | bytearray | memoryview) else msg
        st = self._states.get(bytes(message.spi_i))
        if st is None:
            return None
        body = message.encrypted
        if body is None or not message.flags & FLAG_ENCRYPTION:
            self._learn(st, message)
            return None
        cached = st.seen.get(body.data)
        if cached is not None:
            return cached._replace(message=cached.message._replace(spi_r=message.spi_r))
        if st.encr_alg is None:
            raise CryptoError("no phase-1 SA payload seen: the cipher is unknown")
        block = block_size(st.encr_alg)
        iv = self._iv(st, message.message_id, block)
        opened = decrypt_v1(message, st.encr_alg, st.key, iv)
        st.next_iv[message.message_id] = opened.last_block
        if message.message_id == 0:
            st.last_phase1_block = opened.last_block
        if len(st.seen) < _MAX_SEEN:
            st.seen[body.data] = opened
        self._learn(st, opened.message)
        return opened

    def process(self, msg: V1Message | bytes) -> V1Message:
        """The message with its payloads opened when it is encrypted and has a key;
        otherwise the message as decoded. Raises CryptoError as :meth:`open` does."""
        message = decode_v1(msg) if isinstance(msg, bytes | bytearray | memoryview) else msg
        opened = self.open(message)
        return message if opened is None else opened.message
