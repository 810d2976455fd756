"""``ikewire.decrypt`` on published captures and keys (RFC 7296 §3.14, RFC 7383 §2.6).

* Wireshark's 8 ``ikev2-decrypt-*`` captures with Wireshark's key table
  (vectors/wireshark/, Wireshark 4.0.17 test/captures and test/config): every SK payload
  opens, its ICV verifies (the "ANY 96-bits [No Checking]" entry still decrypts), the
  padded plaintext and inner chain equal tshark's (``sk.enc_decrypted_hex`` /
  ``enc_contained_hex`` in vectors/wireshark/oracle/), the AUTH data equals tshark's per
  frame, and the value Wireshark's test_decryption greps for is found; every bit flip
  of a protected region raises IntegrityError; re-sealing with the captured IV and
  padding reproduces each datagram.
* tcpdump's ikev2pI2.pcap with its key table (vectors/tcpdump/): IDi FQDN "west" and
  the RSA AUTH payload tcpdump prints (tests/ikev2pI2.out).
* RFC 7634 Appendix B as a whole message.
* SKF fragments (RFC 7383), made from a capture's decrypted IKE_AUTH and its keys.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ikewire.crypto.cipher import (
    SKCipher,
    open_fragment,
    open_message,
    seal_fragment,
    seal_message,
    sk_cipher,
    split_encrypted,
)
from ikewire.crypto.decrypt import cipher_for, clear_cipher_cache, decrypt, reassemble
from ikewire.crypto.keytable import WiresharkIKEv2Keys, parse_wireshark_table
from ikewire.errors import ConfigError, DecodeError, IKEError, IntegrityError
from ikewire.pcap import iter_udp
from ikewire.wire.codec import decode_v2, encode_payloads
from ikewire.wire.models import AUTH, SK, SKF, IDi, Message, Notify, Payload

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
WIRESHARK = VECTORS / "wireshark"
TCPDUMP = VECTORS / "tcpdump"

CAPTURES = [
    "ikev2-decrypt-3des-sha1_160.pcap",
    "ikev2-decrypt-aes128ccm12-2.pcap",
    "ikev2-decrypt-aes128ccm12.pcap",
    "ikev2-decrypt-aes192ctr.pcap",
    "ikev2-decrypt-aes256cbc.pcapng",
    "ikev2-decrypt-aes256ccm16.pcapng",
    "ikev2-decrypt-aes256gcm16.pcap",
    "ikev2-decrypt-aes256gcm8.pcap",
]

NO_CHECKING = "ikev2-decrypt-aes128ccm12-2.pcap"  # "ANY 96-bits of Authentication [No Checking]"

# What Wireshark's test/suite_decryption.py greps for in ``tshark -e isakmp.auth.data``
# over the whole capture (values also in vectors/wireshark/SOURCES.md).
WIRESHARK_ASSERTED_AUTH = {
    "ikev2-decrypt-3des-sha1_160.pcap": "02f7a0d5f1fdc8ea81039818c65bb9bd09af9b8917319b887ff9ba3046c344c7",
    "ikev2-decrypt-aes128ccm12.pcap": "c2104394299e1ffe7908ea720ad5d13717a0d454e4fa0a2128ea689411f479c4",
    "ikev2-decrypt-aes128ccm12-2.pcap": "aaa281c87b4a19046c57271d557488ca413b57228cb951f5fa9640992a0285b9",
    "ikev2-decrypt-aes192ctr.pcap": "3ec23dcf9348485638407c754547aeb3085290082c49f583fdbae59263a20b4a",
    "ikev2-decrypt-aes256cbc.pcapng": "e1a8d550064201a7ec024a85758d0673c61c5c510ac13bcd225d6327f50da3d3",
    "ikev2-decrypt-aes256ccm16.pcapng": "fa2e74bdc01e30fb0b3ddc9723c9449095969da51f69e560209d2c2b7940210a",
    "ikev2-decrypt-aes256gcm16.pcap": "9ab71f14ab553cad873a1aa70b99df155dee77cdcf3694b3b7527acbb9712ded",
    "ikev2-decrypt-aes256gcm8.pcap": "4a66d822d0afbc22ad9a92a2cf4287c920ad8ac3b069a4a7e75fe0a5d499f914",
}


@cache
def _table(path: Path) -> dict[tuple[bytes, bytes], WiresharkIKEv2Keys]:
    return {(e.keys.spi_i, e.keys.spi_r): e for e in parse_wireshark_table(path.read_text())}


WIRESHARK_KEYS = WIRESHARK / "config" / "ikev2_decryption_table.tmpl"


def _ike(payload: bytes, port: int) -> bytes:
    """The IKE message of a UDP payload (port 4500: drop the non-ESP marker)."""
    if port == 4500:
        assert payload[:4] == bytes(4)
        return payload[4:]
    return payload


@cache
def _frames(capture: str) -> list[tuple[int, bytes, dict[str, Any]]]:
    """(frame number, IKE message octets, tshark's oracle record) for each IKE frame."""
    oracle = json.loads((WIRESHARK / "oracle" / f"{capture.split('.')[0]}.oracle.json").read_text())
    by_frame = {int(f["frame.number"]): f for f in oracle["frames"]}
    out = []
    for d in iter_udp(WIRESHARK / "captures" / capture):
        assert d.payload.hex() == by_frame[d.frame]["udp.payload"]
        out.append((d.frame, _ike(d.payload, d.sport), by_frame[d.frame]))
    assert len(out) == len(by_frame)
    return out


def _sk_frames(capture: str) -> list[tuple[int, bytes, dict[str, Any]]]:
    return [f for f in _frames(capture) if "sk" in f[2]]


def _keys_for(data: bytes) -> WiresharkIKEv2Keys:
    """The table entry for a message's SPIs (by SPIi alone for an IKE_SA_INIT request)."""
    table = _table(WIRESHARK_KEYS)
    if data[8:16] == bytes(8):
        (entry,) = [e for (i, _), e in table.items() if i == data[:8]]
        return entry
    return table[data[:8], data[8:16]]


def _one(record: dict[str, Any], field: str) -> str:
    values = record["sk"].get(field, [""])
    assert len(values) == 1
    return str(values[0])


@pytest.mark.parametrize("capture", CAPTURES)
def test_capture_decrypts_like_tshark(capture: str) -> None:
    frames = _frames(capture)
    sk_frames = _sk_frames(capture)
    assert len(frames) >= 4 and len(sk_frames) >= 2
    auth_data = []
    for number, data, record in frames:
        keys = _keys_for(data)
        msg = decrypt(data, keys)
        if "sk" not in record:
            assert msg == decode_v2(data)  # IKE_SA_INIT: nothing to open
            continue
        original = decode_v2(data)
        sk = original.payloads[-1]
        assert type(sk) is SK
        # The ICV verified (decrypt did not raise) and the plaintext is tshark's.
        cipher = cipher_for(keys, sender_is_initiator=original.is_initiator)
        _, _, aad = split_encrypted(data)
        padded = cipher.open_padded(aad, sk.body)
        assert padded.hex() == _one(record, "enc_decrypted_hex"), number
        inner = msg.payloads[len(original.payloads) - 1 :]
        assert encode_payloads(inner).hex() == _one(record, "enc_contained_hex"), number
        assert msg.payloads[: len(original.payloads) - 1] == original.payloads[:-1]
        assert sk.body[: cipher.iv_size].hex() == _one(record, "enc_iv_hex")
        assert sk.body[len(sk.body) - cipher.icv_size :].hex() == _one(record, "enc_icd_hex")
        auths = [p for p in inner if type(p) is AUTH]
        if "isakmp.auth.data" in record:
            assert [a.data.hex() for a in auths] == [record["isakmp.auth.data"]], number
            auth_data.append(auths[0].data.hex())
        else:
            assert auths == []
        # Header unchanged.
        assert (msg.spi_i, msg.spi_r, msg.message_id, msg.flags, msg.exchange_type) == (
            original.spi_i,
            original.spi_r,
            original.message_id,
            original.flags,
            original.exchange_type,
        )
    assert WIRESHARK_ASSERTED_AUTH[capture] in auth_data


@pytest.mark.parametrize("capture", CAPTURES)
def test_capture_icv_checked(capture: str) -> None:
    """Only the "ANY 96-bits of Authentication [No Checking]" entry skips the ICV."""
    for _, data, _ in _sk_frames(capture):
        keys = _keys_for(data)
        cipher = cipher_for(keys, sender_is_initiator=bool(data[19] & 0x08))
        unchecked = capture == NO_CHECKING
        assert cipher.integrity_checked is not unchecked
        assert keys.integ_unchecked is unchecked


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_bit_flip_is_detected(capture: str) -> None:
    """Every single-bit change of the associated data (IKE header, SK header), the IV,
    the ciphertext or the ICV raises IntegrityError and yields nothing."""
    flips = 0
    for _, data, _ in _sk_frames(capture):
        keys = _keys_for(data)
        cipher = cipher_for(keys, sender_is_initiator=bool(data[19] & 0x08))
        _, sk, aad = split_encrypted(data)
        assert sk is not None
        protected = aad + sk.body
        icv_start = len(protected) - cipher.icv_size
        for bit in range(len(protected) * 8):
            flipped = bytearray(protected)
            flipped[bit // 8] ^= 1 << (bit % 8)
            a, b = bytes(flipped[: len(aad)]), bytes(flipped[len(aad) :])
            if not cipher.integrity_checked:
                if bit // 8 >= icv_start:  # No Checking: the ICV octets are ignored
                    assert cipher.open(a, b) == cipher.open(aad, sk.body)
                continue
            with pytest.raises(IntegrityError):
                cipher.open(a, b)
            flips += 1
    assert flips > 0 or capture == NO_CHECKING


@pytest.mark.parametrize("capture", CAPTURES)
def test_bit_flipped_messages_only_raise_ikewire_errors(capture: str) -> None:
    """Flipped bits in whole datagrams through ``decrypt``: IntegrityError when the
    message still decodes, DecodeError when the header or lengths no longer do."""
    checked = capture != NO_CHECKING
    for _, data, _ in _sk_frames(capture):
        keys = _keys_for(data)
        for bit in range(0, len(data) * 8, 13):
            flipped = bytearray(data)
            flipped[bit // 8] ^= 1 << (bit % 8)
            try:
                decrypt(bytes(flipped), keys)
            except IntegrityError as exc:
                assert "message ID" in str(exc)
            except IKEError:
                pass
            else:
                assert not checked, f"bit {bit} not detected"


def test_integrity_error_names_the_message() -> None:
    _, data, _ = _sk_frames("ikev2-decrypt-aes256gcm16.pcap")[0]
    bad = data[:-1] + bytes([data[-1] ^ 1])
    with pytest.raises(IntegrityError) as e:
        decrypt(bad, _keys_for(data))
    assert "IKE_AUTH request (message ID 1, SPIi 0158b8fb90b7623d, SPIr 13514610cea16160)" in str(
        e.value
    )


@pytest.mark.parametrize("capture", [c for c in CAPTURES if c != NO_CHECKING])
def test_resealing_reproduces_the_capture(capture: str) -> None:
    """seal_message with the captured IV and Padding gives back each datagram's octets
    (not for the No Checking entry, which has no integrity key to make an ICV)."""
    for _, data, record in _sk_frames(capture):
        keys = _keys_for(data)
        original = decode_v2(data)
        msg = decrypt(data, keys)
        n_clear = len(original.payloads) - 1
        cipher = cipher_for(keys, sender_is_initiator=original.is_initiator)
        iv = bytes.fromhex(_one(record, "enc_iv_hex"))
        padding = bytes.fromhex(record["sk"].get("enc_padding_hex", [""])[0])
        header_only = original._replace(payloads=original.payloads[:n_clear])
        sealed = seal_message(header_only, msg.payloads[n_clear:], cipher, iv, padding)
        assert sealed == data
        assert open_message(sealed, cipher) == msg.payloads[n_clear:]
        assert open_message(original, cipher) == msg.payloads[n_clear:]


def test_decrypt_accepts_message_objects_and_keys() -> None:
    _, data, _ = _sk_frames("ikev2-decrypt-aes256cbc.pcapng")[0]
    entry = _keys_for(data)
    assert decrypt(decode_v2(data), entry) == decrypt(data, entry)
    assert decrypt(data, entry.keys) == decrypt(data, entry)  # plain IKESAKeys
    clear_cipher_cache()
    assert decrypt(data, entry.keys) == decrypt(data, entry)


def test_wrong_direction_keys_fail() -> None:
    """The I flag picks SK_ei/SK_ai; with the directions swapped nothing verifies."""
    _, data, _ = _sk_frames("ikev2-decrypt-aes256cbc.pcapng")[0]
    keys = _keys_for(data).keys
    swapped = type(keys)(
        keys.prf_id,
        keys.encr_id,
        keys.encr_key_bits,
        keys.integ_id,
        keys.sk_d,
        keys.sk_ar,
        keys.sk_ai,
        keys.sk_er,
        keys.sk_ei,
        keys.sk_pi,
        keys.sk_pr,
        keys.spi_i,
        keys.spi_r,
    )
    with pytest.raises(IntegrityError):
        decrypt(data, swapped)


# ------------------------------------------------------------------------- tcpdump


def test_tcpdump_ikev2pi2() -> None:
    """tcpdump's ikev2pI2.pcap (libreswan "west"), frame 2: its ICV is wrong for the
    published keys (tshark: "Integrity Checksum Data: e5119d72d74e695b1032b957
    [incorrect, should be 579ae74ad294a105b0b6f1c4]"), so decrypt refuses it; opened
    without checking, its SK payload (critical bit set: tcpdump's ``v2e[C]``) holds IDi
    FQDN "west" and an RSA AUTH of 192 zero octets (tests/ikev2pI2.out)."""
    table = _table(TCPDUMP / "ikev2pI2_wireshark_ikev2_decryption_table.csv")
    oracle = json.loads((TCPDUMP / "oracle" / "ikev2pI2.oracle.json").read_text())
    datagrams = list(iter_udp(TCPDUMP / "tests" / "ikev2pI2.pcap"))
    assert [d.frame for d in datagrams] == [1, 2]
    data = _ike(datagrams[1].payload, datagrams[1].sport)
    keys = table[data[:8], data[8:16]]
    original = decode_v2(data)
    sk = original.payloads[-1]
    assert type(sk) is SK and sk.critical
    with pytest.raises(IntegrityError):
        decrypt(data, keys)
    unchecked = dataclasses.replace(keys.keys, integ_id=0, sk_ai=b"", sk_ar=b"")
    msg = decrypt(data, WiresharkIKEv2Keys(unchecked, unchecked_icv_size=12))
    idi, auth = msg.payloads
    assert type(idi) is IDi and (idi.id_type, idi.data) == (2, b"west")
    assert type(auth) is AUTH and (auth.method, auth.data) == (1, bytes(192))
    record = next(f for f in oracle["frames"] if f["frame.number"] == "2")
    assert encode_payloads(msg.payloads).hex() == _one(record, "enc_contained_hex")
    # The ICV we compute is the one tshark says it should be.
    cipher = cipher_for(keys, sender_is_initiator=True)
    iv, padding = sk.body[:16], bytes.fromhex(_one(record, "enc_padding_hex"))
    resealed = seal_message(original, msg.payloads, cipher, iv, padding)
    assert resealed[:-12] == data[:-12]
    assert resealed[-12:].hex() == "579ae74ad294a105b0b6f1c4"


# ------------------------------------------------------------------------- RFC 7634


def test_rfc7634_appendix_b_message() -> None:
    """RFC 7634 App. B: INFORMATIONAL with N(SET_WINDOW_SIZE) = 10, re-sealed exactly."""
    v = json.loads((VECTORS / "rfc" / "rfc7634_appB_ikev2_chacha20poly1305.json").read_text())
    data = bytes.fromhex(v["ike_message"])
    cipher = sk_cipher(28, 256, 0, bytes.fromhex(v["sk_e_key_with_salt"]))
    inner = open_message(data, cipher)
    assert len(inner) == 1
    (notify,) = inner
    assert type(notify) is Notify
    assert (notify.notify_type, notify.data) == (16385, bytes.fromhex("0000000a"))
    header = decode_v2(data)
    assert (header.exchange_type, header.message_id, header.flags) == (37, 9, 0)
    assert seal_message(header, inner, cipher, bytes.fromhex(v["iv"])) == data


# ------------------------------------------------------------------------- RFC 7383


def _fragment_fixture() -> tuple[Message, tuple[Payload, ...], SKCipher, WiresharkIKEv2Keys]:
    _, data, _ = _sk_frames("ikev2-decrypt-aes256gcm16.pcap")[0]
    keys = _keys_for(data)
    msg = decrypt(data, keys)
    header = msg._replace(payloads=())
    cipher = cipher_for(keys, sender_is_initiator=True)
    return header, msg.payloads, cipher, keys


def _fragments(total: int) -> tuple[list[bytes], tuple[Payload, ...]]:
    header, inner, cipher, _ = _fragment_fixture()
    chain = encode_payloads(inner)
    size = -(-len(chain) // total)
    chunks = [chain[i * size : (i + 1) * size] for i in range(total)]
    out = []
    for n, chunk in enumerate(chunks, 1):
        first = inner[0].type if n == 1 else 0
        iv = n.to_bytes(8, "big")
        out.append(seal_fragment(header, chunk, n, total, cipher, iv, next_payload=first))
    return out, inner


def test_fragments_reassemble_in_any_order() -> None:
    fragments, inner = _fragments(3)
    keys = _fragment_fixture()[3]
    for order in ([0, 1, 2], [2, 0, 1], [1, 2, 0, 1]):
        msg = reassemble([fragments[i] for i in order], keys)
        assert msg.payloads == inner
        assert msg.message_id == 1 and msg.exchange_type == 35
    for f in fragments:
        skf = decode_v2(f).payloads[-1]
        assert type(skf) is SKF and skf.total_fragments == 3
    cipher = _fragment_fixture()[2]
    assert b"".join(open_fragment(f, cipher) for f in fragments) == encode_payloads(inner)


def test_single_fragment_decrypts_alone() -> None:
    (only,), inner = _fragments(1)
    keys = _fragment_fixture()[3]
    assert decrypt(only, keys).payloads == inner
    fragments, _ = _fragments(2)
    with pytest.raises(ConfigError, match="reassemble"):
        decrypt(fragments[0], keys)


def test_fragment_errors() -> None:
    fragments, _ = _fragments(3)
    keys = _fragment_fixture()[3]
    with pytest.raises(DecodeError, match="missing"):
        reassemble(fragments[:2], keys)
    with pytest.raises(DecodeError):
        reassemble([], keys)
    bad = fragments[1][:-1] + bytes([fragments[1][-1] ^ 1])
    with pytest.raises(IntegrityError, match="fragment 2 of 3"):
        reassemble([fragments[0], bad, fragments[2]], keys)
    other, _ = _fragments(2)
    with pytest.raises(DecodeError):
        reassemble([fragments[0], other[1], fragments[2]], keys)
