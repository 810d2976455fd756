"""ESP packets (RFC 4303): Wireshark's ESP capture as known answers, round trips.

Known answers: Wireshark's ``esp-bug-12671.pcapng.gz`` (six ICMP echoes in ESP, AES-CBC +
HMAC-SHA1-96) with the keys of its ``esp_sa.tmpl``; Wireshark's own test asserts the
decrypted data contains 08090a0b0c0d0e0f1011121314151617. AES-GCM and ChaCha20-Poly1305
are proven against strongSwan in tests/interop (charon's libipsec opens what we seal).
"""

from __future__ import annotations

import csv
import gzip
import struct
from pathlib import Path

import pytest

from ikewire.constants import EncrId, IntegId
from ikewire.errors import ConfigError, DecodeError, IntegrityError
from ikewire.esp import ESPSA, open_packet, sas_from_child, seal_packet
from ikewire.pcap import iter_frames

WIRESHARK = Path(__file__).resolve().parent.parent / "vectors" / "wireshark"
ICMP_DATA = bytes.fromhex("08090a0b0c0d0e0f1011121314151617")


def _wireshark_sas() -> dict[bytes, ESPSA]:
    """esp_sa.tmpl rows: protocol, src, dst, SPI, encryption, key, integrity, key."""
    out = {}
    with (WIRESHARK / "config" / "esp_sa.tmpl").open() as f:
        for row in csv.reader(f):
            _, _, _, spi, encr, ekey, integ, ikey = row
            assert encr == "AES-CBC [RFC3602]" and integ == "HMAC-SHA-1-96 [RFC2404]"
            sa = ESPSA(
                bytes.fromhex(spi[2:]),
                EncrId.ENCR_AES_CBC,
                bytes.fromhex(ekey[2:]),
                IntegId.AUTH_HMAC_SHA1_96,
                bytes.fromhex(ikey[2:]),
            )
            out[sa.spi] = sa
    return out


def _esp_frames() -> list[bytes]:
    """The ESP packets (IP protocol 50) of the capture, from Ethernet/IPv4 frames."""
    data = (WIRESHARK / "captures" / "esp-bug-12671.pcapng.gz").read_bytes()
    out = []
    for _, _, linktype, frame in iter_frames(gzip.decompress(data)):
        assert linktype == 1 and frame[12:14] == b"\x08\x00"
        ip = frame[14:]
        assert ip[9] == 50  # ESP
        total = struct.unpack("!H", ip[2:4])[0]
        out.append(ip[(ip[0] & 0x0F) * 4 : total])
    return out


def test_wireshark_capture_opens_and_reseals_exactly() -> None:
    sas = _wireshark_sas()
    frames = _esp_frames()
    assert len(frames) == 6
    for number, packet in enumerate(frames, start=1):
        sa = sas[packet[:4]]
        opened = open_packet(sa, packet)  # the HMAC-SHA1-96 ICV verifies
        assert opened.seq == (number + 1) // 2  # each side counts 1, 2, 3
        assert opened.next_header == 4  # IPv4 in tunnel mode
        inner = opened.payload
        assert len(inner) == struct.unpack("!H", inner[2:4])[0] == 84
        assert inner[9] == 1 and ICMP_DATA in inner  # ICMP echo; Wireshark's assertion
        iv = packet[8:24]
        # the sender used RFC 4303 §2.4's default padding (1, 2, ...): we rebuild its octets
        assert seal_packet(sa, opened.seq, inner, 4, iv) == packet


def test_wireshark_capture_known_plaintext() -> None:
    """Frame 1's inner packet starts as tshark's "ESP Decrypted Data" shows."""
    sas = _wireshark_sas()
    packet = _esp_frames()[0]
    inner = open_packet(sas[packet[:4]], packet).payload
    assert inner.hex().startswith("450000549acc400040018ad00a0101010a01000a0800aacb00020002")


def test_tampering_is_an_integrity_error() -> None:
    sas = _wireshark_sas()
    packet = bytearray(_esp_frames()[0])
    for offset in (4, 10, 40, len(packet) - 1):  # sequence, IV, ciphertext, ICV
        bad = bytearray(packet)
        bad[offset] ^= 1
        with pytest.raises(IntegrityError):
            open_packet(sas[bytes(packet[:4])], bytes(bad))


SUITES = [
    (EncrId.ENCR_AES_GCM_16, 36, 0, 0),
    (EncrId.ENCR_AES_GCM_16, 20, 0, 0),
    (EncrId.ENCR_CHACHA20_POLY1305, 36, 0, 0),
    (EncrId.ENCR_AES_CBC, 32, IntegId.AUTH_HMAC_SHA2_256_128, 32),
    (EncrId.ENCR_AES_CBC, 16, IntegId.AUTH_HMAC_SHA2_512_256, 64),
]


@pytest.mark.parametrize(("encr", "ekeylen", "integ", "ikeylen"), SUITES)
@pytest.mark.parametrize("size", [0, 1, 2, 3, 15, 16, 84, 1400])
def test_round_trip_and_padding(
    encr: int, ekeylen: int, integ: int, ikeylen: int, size: int
) -> None:
    sa = ESPSA(b"\x01\x02\x03\x04", encr, bytes(range(ekeylen)), integ, bytes(range(ikeylen)))
    payload = bytes((i * 7) & 0xFF for i in range(size))
    iv = bytes(range(100, 100 + sa.iv_size))
    packet = seal_packet(sa, 7, payload, 41, iv)
    assert packet[:8] == b"\x01\x02\x03\x04\x00\x00\x00\x07" and packet[8 : 8 + sa.iv_size] == iv
    icv = 16 if sa.aead else {12: 16, 14: 32}[integ]
    body = len(packet) - 8 - sa.iv_size - icv
    # RFC 4303 §2.4: Pad Length and Next Header end 4-octet aligned (a block for CBC)
    assert body % (4 if sa.aead else 16) == 0 and body - size - 2 < (4 if sa.aead else 16)
    opened = open_packet(sa, packet)
    assert (opened.seq, opened.next_header, opened.payload) == (7, 41, payload)
    with pytest.raises(IntegrityError):
        open_packet(sa, packet[:-1] + bytes([packet[-1] ^ 0x80]))


def test_aead_salt_is_part_of_the_nonce() -> None:
    """RFC 4106 §4: nonce = salt ‖ IV; another salt, same key: the ICV fails."""
    a = ESPSA(b"\0\0\0\1", EncrId.ENCR_AES_GCM_16, bytes(32) + b"salt")
    b = ESPSA(b"\0\0\0\1", EncrId.ENCR_AES_GCM_16, bytes(32) + b"SALT")
    packet = seal_packet(a, 1, b"x", 4, bytes(8))
    with pytest.raises(IntegrityError):
        open_packet(b, packet)


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError):
        ESPSA(b"\0\0\1", EncrId.ENCR_AES_GCM_16, bytes(36))
    with pytest.raises(ConfigError):
        ESPSA(b"\0\0\0\1", EncrId.ENCR_AES_GCM_16, bytes(32))  # no salt
    with pytest.raises(ConfigError):
        ESPSA(b"\0\0\0\1", EncrId.ENCR_AES_CBC, bytes(32), IntegId.AUTH_HMAC_SHA2_256_128, b"")
    with pytest.raises(ConfigError):
        ESPSA(b"\0\0\0\1", EncrId.ENCR_3DES, bytes(24))
    sa = ESPSA(b"\0\0\0\1", EncrId.ENCR_AES_GCM_16, bytes(36))
    with pytest.raises(ConfigError):
        seal_packet(sa, 0, b"", 4, bytes(8))  # sequence numbers start at 1
    with pytest.raises(ConfigError):
        seal_packet(sa, 1, b"", 4, bytes(16))
    packet = seal_packet(sa, 1, b"hello", 4, bytes(8))
    with pytest.raises(DecodeError):
        open_packet(sa, packet[:20])
    with pytest.raises(DecodeError):
        open_packet(ESPSA(b"\0\0\0\2", EncrId.ENCR_AES_GCM_16, bytes(36)), packet)


def test_sas_from_child_event() -> None:
    from ikewire.connection.events import ChildSAEstablished

    child = ChildSAEstablished(
        spi_in=b"\xc0\0\0\1",
        spi_out=b"\xc0\0\0\2",
        protocol="ESP",
        mode="tunnel",
        tsi=(),
        tsr=(),
        suite="aes128-sha256",
        encr_id=EncrId.ENCR_AES_CBC,
        encr_key_bits=128,
        integ_id=IntegId.AUTH_HMAC_SHA2_256_128,
        encr_key_in=bytes(16),
        integ_key_in=bytes(32),
        encr_key_out=b"\1" * 16,
        integ_key_out=b"\2" * 32,
    )
    inbound, outbound = sas_from_child(child)
    assert (inbound.spi, inbound.encr_key, inbound.integ_key) == (
        b"\xc0\0\0\1",
        bytes(16),
        bytes(32),
    )
    assert (outbound.spi, outbound.encr_key, outbound.integ_key) == (
        b"\xc0\0\0\2",
        b"\1" * 16,
        b"\2" * 32,
    )
