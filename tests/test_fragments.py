"""RFC 7383 fragmentation: ikewire.connection.fragments.

Known answers:

* strongSwan 6.0.1's IKE_INTERMEDIATE request split in 2 SKF fragments
  (vectors/strongswan-6.0.1-mlkem/b_x25519-ke1mlkem768: ike.pcap frames 3 and 4, keys.json
  as charon logged them, tshark_V_first.txt as tshark decrypted them): the Reassembler
  gives what tshark shows and what ``ikewire.reassemble`` gives, and ``fragment_message``
  with the same IVs in a 1280-octet IPv4 packet reproduces both datagrams octet for octet.
* Wireshark's ikev2-decrypt-aes256gcm16 / -aes256cbc IKE_AUTH requests (no capture there
  holds SKF fragments): their inner payload chain, equal to tshark's
  ``enc_contained_hex``, fragmented and reassembled again.

Round trips for AES-GCM-16, AES-CBC + HMAC-SHA2-256-128 and ChaCha20-Poly1305 with keys
from ``derive_ike_sa_keys`` on arbitrary inputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ikewire.connection.fragments import (
    IPV4_MAX_DATAGRAM,
    IPV6_MAX_DATAGRAM,
    FragmentStatus,
    Reassembler,
    fragment_message,
    fragmentation_supported,
    max_datagram_for,
    needs_fragmentation,
    peer_supports_fragmentation,
)
from ikewire.constants import ExchangeType, NotifyType, PayloadType
from ikewire.crypto.cipher import (
    SKCipher,
    open_fragment,
    open_message,
    seal_fragment,
    sk_cipher,
    split_encrypted,
)
from ikewire.crypto.decrypt import decrypt, reassemble
from ikewire.crypto.keys import IKESAKeys, derive_ike_sa_keys
from ikewire.crypto.keytable import WiresharkIKEv2Keys, parse_wireshark_table
from ikewire.errors import ConfigError
from ikewire.pcap import iter_udp
from ikewire.wire.codec import decode_v2, encode_payloads, encode_v2
from ikewire.wire.models import KE, SK, SKF, Delete, Message, Notify, Payload

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
SWAN = VECTORS / "strongswan-6.0.1-mlkem" / "b_x25519-ke1mlkem768"
WIRESHARK = VECTORS / "wireshark"

ENCR_AES_CBC, ENCR_AES_GCM_16, ENCR_CHACHA20_POLY1305 = 12, 20, 28
PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128 = 5, 12


@dataclass(frozen=True)
class Suite:
    """Stands in for a negotiated proposal (ikewire.crypto.keys.SuiteLike)."""

    prf_id: int | None
    encr_id: int | None
    encr_key_bits: int | None
    integ_id: int | None


SUITES = {
    "aes128gcm16": Suite(PRF_HMAC_SHA2_256, ENCR_AES_GCM_16, 128, None),
    "aes256-sha256": Suite(PRF_HMAC_SHA2_256, ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128),
    "chacha20poly1305": Suite(PRF_HMAC_SHA2_256, ENCR_CHACHA20_POLY1305, 256, None),
}

SPI_I, SPI_R = bytes.fromhex("0102030405060708"), bytes.fromhex("1112131415161718")


@cache
def _keys(name: str) -> IKESAKeys:
    # Arbitrary inputs: our own derivation is only used for round trips here.
    return derive_ike_sa_keys(SUITES[name], b"\x42" * 32, b"\x01" * 32, b"\x02" * 32, SPI_I, SPI_R)


def _cipher(name: str) -> SKCipher:
    return SKCipher.from_keys(_keys(name), sender_is_initiator=True)


def _header(message_id: int = 3) -> Message:
    return Message.create(
        ExchangeType.IKE_AUTH, spi_i=SPI_I, spi_r=SPI_R, message_id=message_id, initiator=True
    )


def _inner(size: int) -> tuple[Payload, ...]:
    """A KE and a Delete carrying ``size`` octets of payload data in all."""
    ke_len = size // 2
    spis = tuple(i.to_bytes(4, "big") for i in range((size - ke_len) // 4))
    return (KE(31, bytes(range(256)) * (ke_len // 256) + bytes(ke_len % 256)), Delete(3, 4, spis))


def _counter_iv(cipher: SKCipher) -> Callable[[], bytes]:
    counter = iter(range(1, 1 << 20))
    return lambda: next(counter).to_bytes(cipher.iv_size, "big")


def _collect(r: Reassembler, fragments: list[bytes], now: float = 0.0) -> tuple[Payload, ...]:
    result = None
    for f in fragments:
        result = r.add(f, now)
    assert result is not None and result.status is FragmentStatus.COMPLETE, result
    assert result.payloads is not None
    return result.payloads


# ------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", sorted(SUITES))
@pytest.mark.parametrize("marker", [False, True])
def test_round_trip(name: str, marker: bool) -> None:
    cipher = _cipher(name)
    inner = _inner(3000)
    fragments = fragment_message(
        _header(),
        inner,
        cipher,
        max_datagram=IPV4_MAX_DATAGRAM,
        iv=_counter_iv(cipher),
        marker=marker,
    )
    assert len(fragments) > 5
    for n, f in enumerate(fragments, 1):
        assert len(f) + 4 * marker <= IPV4_MAX_DATAGRAM
        msg = decode_v2(f)
        assert (msg.message_id, msg.exchange_type, msg.flags) == (3, ExchangeType.IKE_AUTH, 0x08)
        (skf,) = msg.payloads
        assert type(skf) is SKF
        assert (skf.fragment_number, skf.total_fragments) == (n, len(fragments))
        assert skf.next_payload == (PayloadType.KE if n == 1 else 0)
        assert skf.body[: cipher.iv_size] == n.to_bytes(cipher.iv_size, "big")  # own IV each
    assert b"".join(open_fragment(f, cipher) for f in fragments) == encode_payloads(inner)
    assert _collect(Reassembler(cipher, message_id=3), fragments) == inner
    assert reassemble(fragments, _keys(name)).payloads == inner


@pytest.mark.parametrize("name", sorted(SUITES))
def test_message_that_fits_is_one_sk_message(name: str) -> None:
    cipher = _cipher(name)
    inner = _inner(100)
    assert not needs_fragmentation(_header(), inner, cipher, max_datagram=IPV6_MAX_DATAGRAM)
    (only,) = fragment_message(
        _header(), inner, cipher, max_datagram=IPV6_MAX_DATAGRAM, iv=_counter_iv(cipher)
    )
    assert type(decode_v2(only).payloads[-1]) is SK
    assert open_message(only, cipher) == inner
    # The boundary: exactly max_datagram octets fits, one fewer does not.
    size = len(only)
    for marker, limit in ((False, size), (True, size + 4)):
        assert not needs_fragmentation(_header(), inner, cipher, max_datagram=limit, marker=marker)
        assert needs_fragmentation(_header(), inner, cipher, max_datagram=limit - 1, marker=marker)
    assert (
        len(fragment_message(_header(), inner, cipher, max_datagram=size, iv=_counter_iv(cipher)))
        == 1
    )
    assert (
        len(
            fragment_message(
                _header(), inner, cipher, max_datagram=size - 1, iv=_counter_iv(cipher)
            )
        )
        > 1
    )


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(SUITES)),
    size=st.integers(0, 4000),
    max_datagram=st.integers(90, 1500),
    marker=st.booleans(),
)
def test_every_datagram_fits(name: str, size: int, max_datagram: int, marker: bool) -> None:
    cipher = _cipher(name)
    inner = _inner(size)
    header = _header()
    fragments = fragment_message(
        header, inner, cipher, max_datagram=max_datagram, iv=_counter_iv(cipher), marker=marker
    )
    overhead = 4 if marker else 0
    assert all(len(f) + overhead <= max_datagram for f in fragments)
    if len(fragments) == 1 and type(decode_v2(fragments[0]).payloads[-1]) is SK:
        assert open_message(fragments[0], cipher) == inner
        return
    # Every fragment but the last is as full as the block size allows.
    for f in fragments[:-1]:
        assert len(f) + overhead > max_datagram - cipher.block_size
    assert _collect(Reassembler(cipher, max_fragments=0xFFFF), fragments) == inner


def test_too_small_is_a_config_error() -> None:
    cipher = _cipher("aes128gcm16")
    inner = _inner(2000)
    # 28 + 8 + 8 + 16 + Pad Length = 61: one octet of plaintext needs 62.
    assert (
        len(fragment_message(_header(), inner, cipher, max_datagram=62, iv=_counter_iv(cipher)))
        > 1000
    )
    with pytest.raises(ConfigError, match="cannot carry"):
        fragment_message(_header(), inner, cipher, max_datagram=61, iv=_counter_iv(cipher))
    with pytest.raises(ConfigError, match="cannot carry"):
        fragment_message(
            _header(), inner, cipher, max_datagram=65, iv=_counter_iv(cipher), marker=True
        )
    cbc = _cipher("aes256-sha256")  # 28 + 8 + 16 + 16 (block) + 16 (ICV) = 84
    with pytest.raises(ConfigError):
        fragment_message(_header(), inner, cbc, max_datagram=83, iv=_counter_iv(cbc))
    fragment_message(_header(), _inner(100), cbc, max_datagram=84, iv=_counter_iv(cbc))
    with pytest.raises(ConfigError, match="IKE_SA_INIT"):
        init = _header()._replace(exchange_type=ExchangeType.IKE_SA_INIT)
        fragment_message(init, inner, cipher, max_datagram=500, iv=_counter_iv(cipher))
    with pytest.raises(ConfigError, match="65535"):
        fragment_message(_header(), _inner(70000), cipher, max_datagram=62, iv=_counter_iv(cipher))


def test_sizes() -> None:
    """RFC 7383 §2.5.1: 1280 (IPv6) and 576 (IPv4) octet IP datagrams."""
    assert IPV6_MAX_DATAGRAM == max_datagram_for(1280, ipv6=True) == 1232
    assert IPV4_MAX_DATAGRAM == max_datagram_for(576, ipv6=False) == 548
    with pytest.raises(ConfigError):
        max_datagram_for(28, ipv6=False)


# ------------------------------------------------------------------------- reassembly


def _fragments(name: str = "aes128gcm16", size: int = 1500, max_datagram: int = 300) -> list[bytes]:
    cipher = _cipher(name)
    return fragment_message(
        _header(), _inner(size), cipher, max_datagram=max_datagram, iv=_counter_iv(cipher)
    )


@settings(max_examples=40, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(SUITES)))
def test_any_order_with_duplicates(data: st.DataObject, name: str) -> None:
    fragments = _fragments(name, size=800, max_datagram=200)
    extra = data.draw(st.lists(st.sampled_from(fragments), max_size=6))
    order = data.draw(st.permutations(fragments + extra))
    r = Reassembler(_cipher(name), message_id=3)
    seen: set[bytes] = set()
    completed = 0
    for f in order:
        result = r.add(f, 1.0)
        if len(seen | {f}) == len(fragments) and f not in seen:
            assert result.status is FragmentStatus.COMPLETE
            assert result.payloads == _inner(800)
            assert result.message is not None and result.message.payloads == _inner(800)
            completed += 1
        elif f in seen or completed:
            assert result.status is FragmentStatus.DUPLICATE
        else:
            assert result.status is FragmentStatus.ACCEPTED
        seen.add(f)
    assert completed == 1 and r.complete and r.deadline is None


@pytest.mark.parametrize("name", sorted(SUITES))
def test_corrupted_fragment_is_dropped(name: str) -> None:
    fragments = _fragments(name)
    r = Reassembler(_cipher(name))
    assert r.add(fragments[0], 0).status is FragmentStatus.ACCEPTED
    for position in (len(fragments[1]) - 1, 30, 40, 20):  # ICV, SKF header, IV, header
        bad = bytearray(fragments[1])
        bad[position] ^= 0x01
        result = r.add(bytes(bad), 0)
        assert result.status is FragmentStatus.DROPPED, position
    assert r.received == (1,)
    for f in fragments[2:]:
        assert r.add(f, 0).status is FragmentStatus.ACCEPTED
    assert r.add(fragments[1], 0).status is FragmentStatus.COMPLETE


def test_forged_fragment_cannot_disturb() -> None:
    """Unauthenticated fragments with a higher total, a huge total or another header
    change nothing."""
    fragments = _fragments()
    cipher = _cipher("aes128gcm16")
    other = _cipher("chacha20poly1305")  # a key the receiver does not have
    r = Reassembler(cipher, max_fragments=20)
    r.add(fragments[0], 0)
    forged = [
        seal_fragment(_header(), b"x", 1, 30, other, bytes(8)),
        seal_fragment(_header(), b"x", 2, 1000, other, bytes(8)),
        seal_fragment(_header(4), b"x", 2, 7, other, bytes(8)),
    ]
    for f in forged:
        assert r.add(f, 0).status is FragmentStatus.DROPPED
    assert _collect(r, fragments[1:]) == _inner(1500)


def test_other_messages_are_dropped() -> None:
    fragments = _fragments()
    cipher = _cipher("aes128gcm16")
    r = Reassembler(cipher, message_id=3)
    wrong_id = fragment_message(
        _header(4), _inner(1500), cipher, max_datagram=300, iv=_counter_iv(cipher)
    )
    assert r.add(wrong_id[0], 0).status is FragmentStatus.DROPPED
    r = Reassembler(cipher)  # learns Message ID 3 from the first fragment
    assert r.add(fragments[0], 0).status is FragmentStatus.ACCEPTED
    assert r.add(wrong_id[1], 0).status is FragmentStatus.DROPPED
    response = _header()._replace(flags=0x20)
    other = fragment_message(
        response, _inner(1500), cipher, max_datagram=300, iv=_counter_iv(cipher)
    )
    assert r.add(other[1], 0).status is FragmentStatus.DROPPED
    sk = fragment_message(_header(), _inner(10), cipher, max_datagram=300, iv=_counter_iv(cipher))
    assert r.add(sk[0], 0).reason.startswith("no SKF payload")
    assert r.add(b"\x00" * 10, 0).status is FragmentStatus.DROPPED
    # Fragment 2 with a Next Payload, fragment 0 of n: malformed per RFC 7383 §2.5.
    msg = decode_v2(fragments[1])
    (skf,) = msg.payloads
    assert type(skf) is SKF
    for bad in (skf._replace(next_payload=34), skf._replace(fragment_number=0)):
        result = r.add(encode_v2(msg._replace(payloads=(bad,))), 0)
        assert result.status is FragmentStatus.DROPPED
    assert r.received == (1,)
    assert _collect(r, fragments[1:]) == _inner(1500)


def test_total_fragments_changes() -> None:
    """RFC 7383 §2.6: a higher Total Fragments restarts reassembly with the new
    fragment; a lower one is dropped."""
    cipher = _cipher("aes256-sha256")
    big = fragment_message(
        _header(), _inner(1500), cipher, max_datagram=500, iv=_counter_iv(cipher)
    )
    small = fragment_message(
        _header(), _inner(1500), cipher, max_datagram=300, iv=_counter_iv(cipher)
    )
    assert len(big) < len(small)
    r = Reassembler(cipher)
    for f in big[:-1]:
        assert r.add(f, 0).status is FragmentStatus.ACCEPTED
    result = r.add(small[2], 0)
    assert result.status is FragmentStatus.ACCEPTED
    assert result.discarded is not None and "rose" in result.discarded
    assert r.received == (3,)
    # The last of the old set (lower total) no longer fits.
    result = r.add(big[-1], 0)
    assert result.status is FragmentStatus.DROPPED and "lower" in result.reason
    assert _collect(r, [f for i, f in enumerate(small) if i != 2]) == _inner(1500)


def test_bounds() -> None:
    cipher = _cipher("aes128gcm16")
    fragments = _fragments(size=1500, max_datagram=200)  # 13 fragments, 1515 octets
    total = len(fragments)
    r = Reassembler(cipher, max_fragments=total - 1)
    result = r.add(fragments[0], 0)
    assert result.status is FragmentStatus.DISCARDED and "Total Fragments" in result.reason
    assert r.received == ()
    r = Reassembler(cipher, max_fragments=total)
    assert _collect(r, fragments) == _inner(1500)

    plaintext = len(encode_payloads(_inner(1500)))
    r = Reassembler(cipher, max_bytes=plaintext - 1)
    for f in fragments[:-1]:
        assert r.add(f, 0).status is FragmentStatus.ACCEPTED
    result = r.add(fragments[-1], 0)
    assert result.status is FragmentStatus.DISCARDED and "octets" in result.reason
    assert r.received == () and not r.complete
    assert _collect(Reassembler(cipher, max_bytes=plaintext), fragments) == _inner(1500)
    with pytest.raises(ConfigError):
        Reassembler(cipher, max_fragments=0)
    with pytest.raises(ConfigError):
        Reassembler(cipher, max_bytes=0)
    with pytest.raises(ConfigError):
        Reassembler(cipher, timeout=0)


def test_timeout() -> None:
    cipher = _cipher("aes128gcm16")
    fragments = _fragments()
    r = Reassembler(cipher, timeout=5.0)
    assert r.deadline is None
    r.add(fragments[0], 100.0)
    r.add(fragments[1], 104.0)
    assert r.deadline == 105.0
    assert r.expire(104.9) is None  # the deadline is the first instant it expires
    expired = r.expire(105.5)
    assert expired is not None and expired.status is FragmentStatus.DISCARDED
    assert not r.received and r.deadline is None and r.expire(1000.0) is None
    # Noticed on arrival: the old set goes, the new fragment starts a fresh collection.
    r.add(fragments[0], 200.0)
    result = r.add(fragments[1], 206.0)
    assert result.status is FragmentStatus.ACCEPTED
    assert result.discarded is not None and "timed out" in result.discarded
    assert r.received == (2,) and r.deadline == 211.0
    assert _collect(r, [fragments[0], *fragments[2:]], now=210.0) == _inner(1500)


def test_inner_payloads_that_do_not_decode() -> None:
    cipher = _cipher("aes128gcm16")
    chain = encode_payloads(_inner(300))[:-3]  # truncated
    half = len(chain) // 2
    fragments = [
        seal_fragment(_header(), chain[:half], 1, 2, cipher, bytes(8), next_payload=PayloadType.KE),
        seal_fragment(_header(), chain[half:], 2, 2, cipher, b"\x00" * 7 + b"\x01"),
    ]
    r = Reassembler(cipher)
    assert r.add(fragments[0], 0).status is FragmentStatus.ACCEPTED
    result = r.add(fragments[1], 0)
    assert result.status is FragmentStatus.DISCARDED and "do not decode" in result.reason
    assert r.received == () and not r.complete


# ------------------------------------------------------------------------- known answers


def _swan_frames() -> dict[int, bytes]:
    """UDP payloads of the strongSwan capture, by frame number."""
    return {d.frame: d.payload for d in iter_udp(SWAN / "ike.pcap")}


def _swan_cipher() -> SKCipher:
    """SK_ei after IKE_SA_INIT as charon logged it (AES-GCM-16-256: key | salt)."""
    first = json.loads((SWAN / "keys.json").read_text())["ike_key_sets"][0]
    return sk_cipher(ENCR_AES_GCM_16, 256, 0, bytes.fromhex(first["sk_ei"]), b"")


def _tshark(frame: int) -> str:
    text = "\n" + (SWAN / "tshark_V_first.txt").read_text()
    start = text.index(f"\nFrame {frame}:")
    end = text.find("\nFrame ", start + 1)
    return text[start : end if end > 0 else len(text)]


def _field(block: str, name: str) -> str:
    match = re.search(rf"^\s*{re.escape(name)}: (.*)$", block, re.M)
    assert match is not None, name
    return match.group(1)


def test_strongswan_fragments_reassemble_like_tshark() -> None:
    frames = _swan_frames()
    fragments = [frames[3][4:], frames[4][4:]]  # UDP 4500: strip the non-ESP marker
    assert frames[3][:4] == frames[4][:4] == bytes(4)
    cipher = _swan_cipher()
    for n, f in enumerate(fragments, 1):
        block = _tshark(n + 2)
        assert int(_field(block, "Fragment Number")) == n
        assert int(_field(block, "Total Fragments")) == 2
        _, skf, _ = split_encrypted(f)
        assert skf is not None
        assert skf.body[:8].hex() == _field(block, "Initialization Vector")
        icv = _field(block, "Integrity Checksum Data").split()[0]
        assert skf.body[-16:].hex() == icv
        contained = int(re.search(r"Contained Data \((\d+) bytes\)", block).group(1))  # type: ignore[union-attr]
        assert len(open_fragment(f, cipher)) == contained  # 1187, then 5
    reassembled = _tshark(4)
    assert "[Reassembled ISAKMP length: 1192]" in reassembled
    for order in (fragments, fragments[::-1]):
        r = Reassembler(cipher, message_id=1)
        assert r.add(order[0], 0).status is FragmentStatus.ACCEPTED
        result = r.add(order[1], 0)
        assert result.status is FragmentStatus.COMPLETE and result.payloads is not None
        (ke,) = result.payloads
        assert type(ke) is KE and int(ke.group) == 36  # tshark: "DH Group #: Unknown (36)"
        assert len(encode_payloads(result.payloads)) == 1192
        prefix = _field(reassembled, "Key Exchange Data").rstrip("…")
        assert ke.data.hex().startswith(prefix) and len(prefix) > 40
        assert result.message is not None
        assert result.message.exchange_type == 43  # IKE_INTERMEDIATE (tshark: "Unknown 43")
        assert result.message == reassemble(order, _swan_keys_entry())


def _swan_keys_entry() -> WiresharkIKEv2Keys:
    """A Wireshark-table entry for the first key set, for ``ikewire.reassemble``."""
    first = json.loads((SWAN / "keys.json").read_text())["ike_key_sets"][0]
    line = (
        f"{first['spi_i']},{first['spi_r']},{first['sk_ei']},{first['sk_er']},"
        '"AES-GCM-256 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"'
    )
    (entry,) = parse_wireshark_table(line)
    return entry


def test_strongswan_fragments_reproduced() -> None:
    """strongSwan sent 1280-octet IPv4 packets (tshark: Total Length 1280): 1252 octets
    of UDP payload with the marker. With the captured IVs, fragment_message gives the
    same two datagrams."""
    assert "Total Length: 1280" in _tshark(3)
    frames = _swan_frames()
    fragments = [frames[3][4:], frames[4][4:]]
    cipher = _swan_cipher()
    r = Reassembler(cipher)
    r.add(fragments[0], 0)
    result = r.add(fragments[1], 0)
    assert result.message is not None and result.payloads is not None
    header = result.message._replace(payloads=())
    ivs: Iterator[bytes] = iter(split_encrypted(f)[1].body[:8] for f in fragments)  # type: ignore[union-attr]
    out = fragment_message(
        header,
        result.payloads,
        cipher,
        max_datagram=max_datagram_for(1280, ipv6=False),
        iv=lambda: next(ivs),
        marker=True,
    )
    assert out == fragments


def test_strongswan_negotiated_fragmentation() -> None:
    """Both IKE_SA_INIT messages carry N(IKEV2_FRAGMENTATION_SUPPORTED) (RFC 7383 §2.3),
    as tshark shows; the helper builds the same payload."""
    frames = _swan_frames()
    for frame in (1, 2):
        msg = decode_v2(frames[frame])
        assert peer_supports_fragmentation(msg)
        assert "Notify Message Type: IKEV2_FRAGMENTATION_SUPPORTED (16430)" in _tshark(frame)
        (n,) = [
            p
            for p in msg.payloads
            if type(p) is Notify and p.notify_type == NotifyType.IKEV2_FRAGMENTATION_SUPPORTED
        ]
        assert n == fragmentation_supported()
    assert not peer_supports_fragmentation(decode_v2(frames[3][4:]))


@pytest.mark.parametrize("capture", ["ikev2-decrypt-aes256gcm16", "ikev2-decrypt-aes256cbc"])
def test_wireshark_ike_auth_fragmented(capture: str) -> None:
    """A published IKE_AUTH request, equal to tshark's plaintext, split and joined."""
    ext = ".pcapng" if capture.endswith("cbc") else ".pcap"
    oracle = json.loads((WIRESHARK / "oracle" / f"{capture}.oracle.json").read_text())
    record = next(f for f in oracle["frames"] if "sk" in f)
    datagram = next(
        d.payload
        for d in iter_udp(WIRESHARK / "captures" / f"{capture}{ext}")
        if d.frame == int(record["frame.number"])
    )
    data = datagram[4:] if datagram[:4] == bytes(4) else datagram
    table = parse_wireshark_table(
        (WIRESHARK / "config" / "ikev2_decryption_table.tmpl").read_text()
    )
    (keys,) = [e for e in table if (e.keys.spi_i, e.keys.spi_r) == (data[:8], data[8:16])]
    msg = decrypt(data, keys)
    inner = msg.payloads
    assert encode_payloads(inner).hex() == record["sk"]["enc_contained_hex"][0]
    cipher = keys.cipher(sender_is_initiator=True)
    header = msg._replace(payloads=())
    fragments = fragment_message(header, inner, cipher, max_datagram=100, iv=_counter_iv(cipher))
    assert len(fragments) > 3 and all(len(f) <= 100 for f in fragments)
    r = Reassembler(cipher, message_id=msg.message_id)
    assert _collect(r, fragments[::-1]) == inner
    assert reassemble(fragments, keys) == msg
