"""ESP packets (RFC 4303) for tests and proofs: seal and open one packet.

Not a data plane: one packet at a time, with the keys a
:class:`~ikewire.connection.events.ChildSAEstablished` carries. Supported transforms:

* ENCR_AES_GCM_16 (RFC 4106): 8-octet explicit IV, the 4-octet salt at the end of the
  key, 16-octet ICV; AAD = SPI ‖ Sequence Number (§5).
* ENCR_CHACHA20_POLY1305 (RFC 7634): the same layout, 32-octet key ‖ 4-octet salt.
* ENCR_AES_CBC (RFC 3602) with AUTH_HMAC_SHA1_96 (RFC 2404) or AUTH_HMAC_SHA2_256_128 /
  384_192 / 512_256 (RFC 4868): ICV over SPI ‖ Sequence Number ‖ IV ‖ ciphertext.

32-bit sequence numbers only (no ESN, RFC 4303 §2.2.1). Padding is the default
monotonic 1, 2, 3, … (§2.4). UDP encapsulation (RFC 3948 §2.1) is the packet as the
payload of a UDP datagram to port 4500: nothing to add here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from hmac import compare_digest
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from .constants import EncrId, IntegId
from .errors import ConfigError, DecodeError, IntegrityError

__all__ = ["ESPSA", "ESPPacket", "open_packet", "sas_from_child", "seal_packet"]

_AEAD_SALT = 4  # RFC 4106 §8.1, RFC 7634 §2
_AEAD_IV = 8  # RFC 4106 §3.1, RFC 7634 §2
_AEAD_ICV = 16
_CBC_BLOCK = 16  # RFC 3602 §3
_HEADER = 8  # SPI, Sequence Number (RFC 4303 §2)

# IntegId -> (hash, ICV octets, key octets)
_HMACS: dict[int, tuple[type[hashes.HashAlgorithm], int, int]] = {
    IntegId.AUTH_HMAC_SHA1_96: (hashes.SHA1, 12, 20),  # RFC 2404
    IntegId.AUTH_HMAC_SHA2_256_128: (hashes.SHA256, 16, 32),  # RFC 4868 §2.3
    IntegId.AUTH_HMAC_SHA2_384_192: (hashes.SHA384, 24, 48),
    IntegId.AUTH_HMAC_SHA2_512_256: (hashes.SHA512, 32, 64),
}


@dataclass(frozen=True, slots=True)
class ESPSA:
    """One direction of an ESP SA: SPI, transforms and keys (RFC 4301 §4.4.2).

    ``encr_key`` of an AEAD transform ends with its 4-octet salt (RFC 4106 §8.1,
    RFC 7634 §2), as IKEv2's KEYMAT gives it (RFC 7296 §2.17).
    """

    spi: bytes
    encr_id: int
    encr_key: bytes = field(repr=False)
    integ_id: int = 0
    integ_key: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if len(self.spi) != 4:
            raise ConfigError("an ESP SPI has 4 octets (RFC 4303 §2.1)")
        if self.aead:
            if len(self.encr_key) - _AEAD_SALT not in (
                (32,) if self.encr_id == EncrId.ENCR_CHACHA20_POLY1305 else (16, 24, 32)
            ):
                raise ConfigError("bad AEAD key length (key ‖ 4-octet salt)")
        elif self.encr_id == EncrId.ENCR_AES_CBC:
            if len(self.encr_key) not in (16, 24, 32):
                raise ConfigError("bad AES-CBC key length (RFC 3602 §2.5)")
            spec = _HMACS.get(self.integ_id)
            if spec is None:
                raise ConfigError(f"unsupported ESP integrity transform {self.integ_id}")
            if len(self.integ_key) != spec[2]:
                raise ConfigError("bad HMAC key length (RFC 2404, RFC 4868)")
        else:
            raise ConfigError(f"unsupported ESP encryption transform {self.encr_id}")

    @property
    def aead(self) -> bool:
        """Whether the transform is combined mode (RFC 4303 §2.8, §3.2.3)."""
        return self.encr_id in (EncrId.ENCR_AES_GCM_16, EncrId.ENCR_CHACHA20_POLY1305)

    @property
    def iv_size(self) -> int:
        """Octets of the IV carried in each packet."""
        return _AEAD_IV if self.aead else _CBC_BLOCK

    def _aead(self) -> AESGCM | ChaCha20Poly1305:
        key = self.encr_key[:-_AEAD_SALT]
        if self.encr_id == EncrId.ENCR_CHACHA20_POLY1305:
            return ChaCha20Poly1305(key)
        return AESGCM(key)

    def _icv(self, data: bytes) -> bytes:
        algorithm, size, _ = _HMACS[self.integ_id]
        mac = hmac.HMAC(self.integ_key, algorithm())
        mac.update(data)
        return mac.finalize()[:size]


class ESPPacket:
    """An opened ESP packet (RFC 4303 §2): its SPI, Sequence Number, Next Header and
    payload (the inner IP packet in tunnel mode)."""

    __slots__ = ("next_header", "payload", "seq", "spi")

    def __init__(self, spi: bytes, seq: int, next_header: int, payload: bytes) -> None:
        self.spi = spi
        self.seq = seq
        self.next_header = next_header
        self.payload = payload

    def __repr__(self) -> str:
        return (
            f"ESPPacket(spi={self.spi.hex()}, seq={self.seq}, "
            f"next_header={self.next_header}, {len(self.payload)} octets)"
        )


def _pad(payload: bytes, next_header: int, align: int) -> bytes:
    """Payload ‖ Padding ‖ Pad Length ‖ Next Header, aligned (RFC 4303 §2.4)."""
    pad_len = (-(len(payload) + 2)) % align
    return payload + bytes(range(1, pad_len + 1)) + bytes([pad_len, next_header])


def seal_packet(sa: ESPSA, seq: int, payload: bytes, next_header: int, iv: bytes) -> bytes:
    """One ESP packet (RFC 4303 §2, §3.3): SPI ‖ Seq ‖ IV ‖ ciphertext ‖ ICV.

    ``next_header`` is 4 for an inner IPv4 packet (tunnel mode), 41 for IPv6. ``iv``
    must never repeat under one key: a counter for AEAD (RFC 4106 §3.1), random for
    CBC (RFC 3602 §3).
    """
    if not 1 <= seq <= 0xFFFFFFFF:
        raise ConfigError("sequence numbers run from 1 to 2^32 - 1 (RFC 4303 §3.3.3)")
    if len(iv) != sa.iv_size:
        raise ConfigError(f"the IV has {sa.iv_size} octets for this transform")
    header = sa.spi + seq.to_bytes(4, "big")
    if sa.aead:
        plaintext = _pad(payload, next_header, 4)
        nonce = sa.encr_key[-_AEAD_SALT:] + iv
        return header + iv + sa._aead().encrypt(nonce, plaintext, header)
    plaintext = _pad(payload, next_header, _CBC_BLOCK)
    enc = Cipher(algorithms.AES(sa.encr_key), modes.CBC(iv)).encryptor()
    body = header + iv + enc.update(plaintext) + enc.finalize()
    return body + sa._icv(body)


def open_packet(sa: ESPSA, packet: bytes) -> ESPPacket:
    """Verify and decrypt one ESP packet (RFC 4303 §3.4).

    :class:`~ikewire.IntegrityError` when the ICV fails (nothing is decrypted),
    :class:`~ikewire.DecodeError` for a packet too short, for another SPI, or with
    a broken padding.
    """
    packet = bytes(packet)
    icv_len = _AEAD_ICV if sa.aead else _HMACS[sa.integ_id][1]
    if len(packet) < _HEADER + sa.iv_size + icv_len + 2:
        raise DecodeError("too short for an ESP packet", offset=0, field="ESP")
    if packet[:4] != sa.spi:
        raise DecodeError("another SPI", offset=0, field="ESP.spi")
    header, iv = packet[:_HEADER], packet[_HEADER : _HEADER + sa.iv_size]
    seq = int.from_bytes(header[4:], "big")
    if sa.aead:
        nonce = sa.encr_key[-_AEAD_SALT:] + iv
        try:
            plaintext = sa._aead().decrypt(nonce, packet[_HEADER + sa.iv_size :], header)
        except InvalidTag:
            raise IntegrityError("ESP ICV did not verify (RFC 4303 §3.4.4)") from None
    else:
        body, icv = packet[:-icv_len], packet[-icv_len:]
        if not compare_digest(sa._icv(body), icv):
            raise IntegrityError("ESP ICV did not verify (RFC 4303 §3.4.4)")
        ciphertext = body[_HEADER + _CBC_BLOCK :]
        if len(ciphertext) % _CBC_BLOCK:
            raise DecodeError("ciphertext is not whole blocks", offset=24, field="ESP")
        dec = Cipher(algorithms.AES(sa.encr_key), modes.CBC(iv)).decryptor()
        plaintext = dec.update(ciphertext) + dec.finalize()
    pad_len, next_header = plaintext[-2], plaintext[-1]
    if pad_len + 2 > len(plaintext):
        raise DecodeError("Pad Length exceeds the payload", field="ESP.pad_length")
    return ESPPacket(header[:4], seq, next_header, plaintext[: -2 - pad_len])


class _ChildKeys(Protocol):
    """What :func:`sas_from_child` reads (a ``ChildSAEstablished`` event has it)."""

    @property
    def spi_in(self) -> bytes: ...
    @property
    def spi_out(self) -> bytes: ...
    @property
    def encr_id(self) -> int | None: ...
    @property
    def integ_id(self) -> int: ...
    @property
    def encr_key_in(self) -> bytes: ...
    @property
    def integ_key_in(self) -> bytes: ...
    @property
    def encr_key_out(self) -> bytes: ...
    @property
    def integ_key_out(self) -> bytes: ...


def sas_from_child(child: _ChildKeys) -> tuple[ESPSA, ESPSA]:
    """The (inbound, outbound) ESP SAs of a ``ChildSAEstablished`` event (RFC 7296 §2.17)."""
    if child.encr_id is None:
        raise ConfigError("the Child SA has no encryption transform")
    integ = 0 if child.integ_id in (None, 0) else int(child.integ_id)
    inbound = ESPSA(child.spi_in, int(child.encr_id), child.encr_key_in, integ, child.integ_key_in)
    outbound = ESPSA(
        child.spi_out, int(child.encr_id), child.encr_key_out, integ, child.integ_key_out
    )
    return inbound, outbound
