"""Typed views and builders of Notify bodies (ikewire.wire.notify, RFC 7296 §3.10.1).

Known answers come from captures: the NAT_DETECTION_* digests every Wireshark
``ikev2-decrypt-*`` IKE_SA_INIT carries (RFC 7296 §2.23, recomputed here from the
frames' SPIs, addresses and ports), tcpdump's COOKIE exchange, and the
SIGNATURE_HASH_ALGORITHMS lists peers sent.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from ikewire import DecodeError, EncodeError
from ikewire.constants import HashAlgorithm, KeyExchangeMethod, NotifyType, ProtocolId
from ikewire.pcap import iter_udp
from ikewire.wire import Notify, decode, decode_payloads, encode_payloads
from ikewire.wire import notify as n

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
WIRESHARK = sorted((VECTORS / "wireshark" / "captures").glob("ikev2-decrypt-*"))
SPI_I = bytes.fromhex("0158b8fb90b7623d")


# --------------------------------------------------------------------------- NAT detection


@pytest.mark.parametrize("capture", WIRESHARK, ids=lambda p: p.name)
def test_nat_detection_matches_captured_digests(capture: Path) -> None:
    """RFC 7296 §2.23: SHA-1(SPIi | SPIr | IP | Port) of the sender (SOURCE) and of
    the receiver (DESTINATION), as the peers in Wireshark's captures computed them."""
    checked = 0
    for datagram in list(iter_udp(capture))[:2]:  # the IKE_SA_INIT pair
        msg = decode(datagram.payload)
        for notify in msg.notifies():
            if notify.notify_type == NotifyType.NAT_DETECTION_SOURCE_IP:
                address, port = datagram.src, datagram.sport
                build = n.nat_detection_source_ip
            elif notify.notify_type == NotifyType.NAT_DETECTION_DESTINATION_IP:
                address, port = datagram.dst, datagram.dport
                build = n.nat_detection_destination_ip
            else:
                continue
            assert n.nat_detection_value(notify) == notify.data
            assert n.nat_detection_hash(msg.spi_i, msg.spi_r, address, port) == notify.data
            assert build(msg.spi_i, msg.spi_r, address, port) == notify
            checked += 1
    assert checked == 4


def test_nat_detection_address_forms() -> None:
    text = n.nat_detection_hash(SPI_I, bytes(8), "192.168.1.2", 500)
    assert text == n.nat_detection_hash(SPI_I, bytes(8), bytes([192, 168, 1, 2]), 500)
    assert text == n.nat_detection_hash(SPI_I, bytes(8), ipaddress.IPv4Address("192.168.1.2"), 500)
    assert text.hex() == "66bad0f6278cc3104d0daac697000d49964bd180"  # aes256gcm16 frame 1
    v6 = n.nat_detection_hash(SPI_I, bytes(8), "2001:db8::1", 4500)
    assert len(v6) == 20 and v6 != text
    for bad_address in ("not an address", b"\x01\x02\x03"):
        with pytest.raises(EncodeError):
            n.nat_detection_hash(SPI_I, bytes(8), bad_address, 500)
    with pytest.raises(EncodeError):
        n.nat_detection_hash(SPI_I, bytes(8), "192.0.2.1", 65536)
    with pytest.raises(EncodeError):
        n.nat_detection_hash(SPI_I[:7], bytes(8), "192.0.2.1", 500)


def test_nat_detection_view_rejects_malformed() -> None:
    with pytest.raises(DecodeError) as info:
        n.nat_detection_value(Notify(NotifyType.NAT_DETECTION_SOURCE_IP, bytes(19)))
    assert info.value.field == "Notify.data"
    with pytest.raises(DecodeError):
        n.nat_detection_value(Notify(NotifyType.COOKIE, bytes(20)))


# --------------------------------------------------------------------------- COOKIE


def test_cookie_from_tcpdump_capture() -> None:
    """tcpdump's ikev2four: the responder answers with N(COOKIE) and the initiator
    repeats its request with the cookie first (RFC 7296 §2.6)."""
    datagrams = list(iter_udp(VECTORS / "tcpdump" / "tests" / "ikev2four.pcap"))
    response, retry = decode(datagrams[1].payload), decode(datagrams[2].payload)
    (cookie,) = response.notifies()
    value = n.cookie_data(cookie)
    assert value.hex() == "00000001c2221e50c16e123f2b0c71aefcf0cb3b798782c6"
    assert retry.payloads[0] == n.cookie(value) == cookie
    assert n.view(cookie) == value


@pytest.mark.parametrize("size", [0, 65])
def test_cookie_size(size: int) -> None:
    with pytest.raises(EncodeError):
        n.cookie(bytes(size))
    with pytest.raises(DecodeError):
        n.cookie_data(Notify(NotifyType.COOKIE, bytes(size)))


def test_cookie_limits_are_inclusive() -> None:
    for size in (1, 64):
        assert n.cookie_data(n.cookie(bytes(size))) == bytes(size)


# --------------------------------------------------------------------------- INVALID_KE_PAYLOAD


def test_invalid_ke_payload() -> None:
    notify = n.invalid_ke_payload(KeyExchangeMethod.ECP_256)
    assert encode_payloads([notify]) == bytes.fromhex("0000000a000000110013")
    assert n.invalid_ke_group(notify) is KeyExchangeMethod.ECP_256
    assert n.invalid_ke_group(Notify(NotifyType.INVALID_KE_PAYLOAD, b"\x04\x00")) == 1024
    for data in (b"", b"\x00", b"\x00\x13\x00"):
        with pytest.raises(DecodeError):
            n.invalid_ke_group(Notify(NotifyType.INVALID_KE_PAYLOAD, data))
    with pytest.raises(EncodeError):
        n.invalid_ke_payload(0x10000)


# --------------------------------------------------------------------------- REKEY_SA


def test_rekey_sa() -> None:
    """RFC 7296 §1.3.3: Protocol ID and SPI of the Child SA being rekeyed, no data."""
    notify = n.rekey_sa(ProtocolId.ESP, bytes.fromhex("c0ffee01"))
    assert encode_payloads([notify]) == bytes.fromhex("0000000c03044009c0ffee01")
    assert n.rekey_sa_spi(notify) == (ProtocolId.ESP, bytes.fromhex("c0ffee01"))
    (decoded,) = decode_payloads(41, bytes.fromhex("0000000c0204400900000100"))
    assert isinstance(decoded, Notify)
    assert n.view(decoded) == (ProtocolId.AH, bytes.fromhex("00000100"))


def test_rekey_sa_malformed() -> None:
    with pytest.raises(EncodeError):
        n.rekey_sa(ProtocolId.ESP, bytes(8))
    with pytest.raises(EncodeError):
        n.rekey_sa(0, b"")
    for bad in (
        Notify(NotifyType.REKEY_SA, b"", ProtocolId.ESP, b""),
        Notify(NotifyType.REKEY_SA, b"", ProtocolId.ESP, bytes(3)),
        Notify(NotifyType.REKEY_SA, b"\x00", ProtocolId.ESP, bytes(4)),
        Notify(NotifyType.REKEY_SA, b"", 0, bytes(4)),
    ):
        with pytest.raises(DecodeError):
            n.rekey_sa_spi(bad)


# --------------------------------------------------------------------------- SIGNATURE_HASH_ALGORITHMS


def test_signature_hash_algorithms_from_capture() -> None:
    """RFC 7427 §4: the list strongSwan sends in Wireshark's aes256gcm16 frame 1."""
    (datagram, *_) = list(
        iter_udp(VECTORS / "wireshark" / "captures" / "ikev2-decrypt-aes256gcm16.pcap")
    )
    msg = decode(datagram.payload)
    notify = next(
        p for p in msg.notifies() if p.notify_type == NotifyType.SIGNATURE_HASH_ALGORITHMS
    )
    expected = (
        HashAlgorithm.SHA1,
        HashAlgorithm.SHA2_256,
        HashAlgorithm.SHA2_384,
        HashAlgorithm.SHA2_512,
    )
    assert n.signature_hash_algorithms_list(notify) == expected
    assert n.signature_hash_algorithms(expected) == notify
    assert n.view(notify) == expected


def test_signature_hash_algorithms_malformed() -> None:
    with pytest.raises(DecodeError):
        n.signature_hash_algorithms_list(
            Notify(NotifyType.SIGNATURE_HASH_ALGORITHMS, b"\x00\x02\x00")
        )
    assert n.signature_hash_algorithms_list(
        Notify(NotifyType.SIGNATURE_HASH_ALGORITHMS, b"\x12\x34")
    ) == (0x1234,)
    with pytest.raises(EncodeError):
        n.signature_hash_algorithms([0x10000])


# --------------------------------------------------------------------------- SET_WINDOW_SIZE


def test_set_window_size() -> None:
    """RFC 7296 §2.3: a 4-octet window size."""
    notify = n.set_window_size(5)
    assert encode_payloads([notify]) == bytes.fromhex("0000000c0000400100000005")
    assert n.window_size(notify) == 5 == n.view(notify)
    for data in (b"", bytes(3), bytes(5), bytes(4)):
        with pytest.raises(DecodeError):
            n.window_size(Notify(NotifyType.SET_WINDOW_SIZE, data))
    for size in (0, 1 << 32):
        with pytest.raises(EncodeError):
            n.set_window_size(size)


# --------------------------------------------------------------------------- empty bodies


def test_empty_status_notifications() -> None:
    """RFC 7383 §2.3 and RFC 7296 §1.3.1: Protocol ID 0, SPI Size 0, no data."""
    assert encode_payloads([n.fragmentation_supported()]) == bytes.fromhex("000000080000402e")
    assert encode_payloads([n.use_transport_mode()]) == bytes.fromhex("0000000800004007")
    assert n.view(n.fragmentation_supported()) is None
    with pytest.raises(DecodeError):
        n.view(Notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED, b"\x00"))
    with pytest.raises(EncodeError):
        n.empty(NotifyType.COOKIE)


def test_views_of_every_captured_notify() -> None:
    """Every Notify in the Wireshark captures' IKE_SA_INIT messages has a well-formed
    body by its type."""
    seen = set()
    for capture in WIRESHARK:
        for datagram in list(iter_udp(capture))[:2]:
            for notify in decode(datagram.payload).notifies():
                n.view(notify)
                seen.add(notify.notify_type)
    assert NotifyType.MULTIPLE_AUTH_SUPPORTED in seen and len(seen) >= 4


def test_views_check_the_notify_type() -> None:
    with pytest.raises(DecodeError) as info:
        n.window_size(Notify(NotifyType.COOKIE, bytes(4)))
    assert info.value.field == "Notify.notify_type"
    assert (
        n.view(Notify(NotifyType.REDIRECT, b"\x01\x04\x0a\x05\x02\x34"))
        == b"\x01\x04\x0a\x05\x02\x34"
    )
