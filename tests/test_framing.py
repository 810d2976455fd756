"""Port 4500 (RFC 3948) and TCP (RFC 9329) framing: ikewire.wire.framing.

The UDP side is checked against tcpdump's own reading of its captures
(vectors/tcpdump/tests/isakmp4.out for isakmp4500.pcap, espudp1.out for espudp1.pcap):
each datagram on port 4500 is "NONESP-encap: isakmp ...", "UDP-encap: ESP(spi=...)" or
"isakmp-nat-keep-alive". tcpdump's isakmp-3948-oobr captures (an empty port-4500
payload) classify as malformed. The TCP stream decoder is fed streams built from those
datagrams whole, octet by octet and in arbitrary pieces.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikewire.constants import V1ExchangeType
from ikewire.errors import DecodeError, EncodeError
from ikewire.pcap import iter_udp
from ikewire.wire.framing import (
    IKETCP_PREFIX,
    MAX_TCP_FRAME,
    NAT_KEEPALIVE,
    NON_ESP_MARKER,
    Classified,
    IKETCPStream,
    Kind,
    classify_4500,
    frame_4500,
    frame_tcp,
    unframe_4500,
)
from ikewire.wire.v1 import decode_v1

TCPDUMP = Path(__file__).resolve().parent.parent / "vectors" / "tcpdump" / "tests"
EXCHANGES = {"ident": V1ExchangeType.IDENTITY_PROTECTION, "oakley-quick": 32, "inf": 5}


def _datagrams_4500(capture: str) -> dict[int, bytes]:
    return {d.frame: d.payload for d in iter_udp(TCPDUMP / capture) if 4500 in (d.sport, d.dport)}


def _tcpdump_lines(name: str) -> dict[int, str]:
    lines = {}
    for line in (TCPDUMP / name).read_text().splitlines():
        match = re.match(r"\s*(\d+)\s+\S+ \S+ (.*)", line)
        if match:
            lines[int(match.group(1))] = match.group(2)
    return lines


# --------------------------------------------------------------------------- UDP 4500


def test_isakmp4500_matches_tcpdump() -> None:
    datagrams = _datagrams_4500("isakmp4500.pcap")
    printed = _tcpdump_lines("isakmp4.out")
    kinds = {Kind.IKE: 0, Kind.ESP: 0, Kind.NAT_KEEPALIVE: 0}
    for number, payload in datagrams.items():
        line = printed[number]
        result = classify_4500(payload)
        kinds[result.kind] += 1
        if "NONESP-encap: isakmp" in line:
            assert result.kind is Kind.IKE
            assert frame_4500(result.data) == payload
            assert unframe_4500(payload) == result.data
            msg = decode_v1(result.data)
            exchange = re.search(r"(ident|oakley-quick|inf)\[E\]", line)
            assert exchange and msg.is_encrypted
            assert msg.exchange_type == EXCHANGES[exchange.group(1)]
        elif "UDP-encap: ESP" in line:
            match = re.search(r"ESP\(spi=0x([0-9a-f]+),seq=0x([0-9a-f]+)\), length (\d+)", line)
            assert match and result.kind is Kind.ESP
            assert result.spi == int(match.group(1), 16)
            assert result.data[4:8] == int(match.group(2), 16).to_bytes(4, "big")
            assert len(result.data) == int(match.group(3))
            assert result.data == payload
        else:
            assert "isakmp-nat-keep-alive" in line
            assert result == Classified(Kind.NAT_KEEPALIVE, b"")
            assert payload == NAT_KEEPALIVE
    assert kinds == {Kind.IKE: 11, Kind.ESP: 8, Kind.NAT_KEEPALIVE: 4}


def test_espudp1_matches_tcpdump() -> None:
    printed = _tcpdump_lines("espudp1.out")
    datagrams = _datagrams_4500("espudp1.pcap")
    assert len(datagrams) == 8
    for number, payload in datagrams.items():
        result = classify_4500(payload)
        match = re.search(r"ESP\(spi=0x([0-9a-f]+),seq=0x([0-9a-f]+)\)", printed[number])
        assert match and result.kind is Kind.ESP
        assert result.spi == 0x12345678 == int(match.group(1), 16)
        assert int.from_bytes(result.data[4:8], "big") == int(match.group(2), 16)


@pytest.mark.parametrize("capture", ["isakmp-3948-oobr-2.pcap", "isakmp-rfc3948-oobr.pcap"])
def test_tcpdump_rfc3948_oobr_is_malformed(capture: str) -> None:
    datagrams = _datagrams_4500(capture)
    assert datagrams
    for payload in datagrams.values():
        result = classify_4500(payload)
        assert result.kind is Kind.MALFORMED and result.reason
        with pytest.raises(DecodeError):
            unframe_4500(payload)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", Kind.MALFORMED),
        (b"\x00", Kind.MALFORMED),
        (b"\xfe", Kind.MALFORMED),
        (b"\xff\xff", Kind.MALFORMED),
        (b"\x00\x00\x00", Kind.MALFORMED),
        (b"\x00\x00\x01\x00\x00\x00\x01", Kind.MALFORMED),  # shorter than an ESP header
        (NON_ESP_MARKER, Kind.IKE),
        (NON_ESP_MARKER + b"ike", Kind.IKE),
        (b"\x00\x00\x01\x00\x00\x00\x00\x01", Kind.ESP),
        (b"\xff\x00\x00\x00\x00\x00\x00\x01payload", Kind.ESP),
        (NAT_KEEPALIVE, Kind.NAT_KEEPALIVE),
    ],
)
def test_classify(data: bytes, kind: Kind) -> None:
    result = classify_4500(data)
    assert result.kind is kind
    assert (result.spi is not None) == (kind is Kind.ESP)
    if kind is Kind.IKE:
        assert result.data == data[4:]


def test_unframe_rejects_esp_and_keepalives() -> None:
    for data in (NAT_KEEPALIVE, b"\x00\x00\x01\x00" + bytes(8)):
        with pytest.raises(DecodeError):
            unframe_4500(data)


# --------------------------------------------------------------------------- TCP


def _capture_stream() -> tuple[bytes, list[Classified]]:
    """The isakmp4500 datagrams (IKE and ESP) as one RFC 9329 stream from the originator."""
    parts = [IKETCP_PREFIX]
    expected = []
    for payload in _datagrams_4500("isakmp4500.pcap").values():
        item = classify_4500(payload)
        if item.kind is Kind.IKE:
            parts.append(frame_tcp(item.data))
            expected.append(item)
        elif item.kind is Kind.ESP:
            parts.append(frame_tcp(item.data, ike=False))
            expected.append(item)
    return b"".join(parts), expected


STREAM, FRAMES = _capture_stream()


def test_frame_tcp_layout() -> None:
    """RFC 9329 §3: the Length counts itself; IKE carries the non-ESP marker, ESP does not."""
    ike = frame_tcp(b"IKE-MESSAGE")
    assert ike == (2 + 4 + 11).to_bytes(2, "big") + NON_ESP_MARKER + b"IKE-MESSAGE"
    esp = frame_tcp(b"\x00\x00\x10\x01" + bytes(4), ike=False)
    assert esp[:2] == (10).to_bytes(2, "big") and esp[2:6] == b"\x00\x00\x10\x01"
    with pytest.raises(EncodeError):
        frame_tcp(bytes(MAX_TCP_FRAME))
    with pytest.raises(EncodeError):
        frame_tcp(NON_ESP_MARKER + b"x", ike=False)


def test_stream_whole_and_octet_by_octet() -> None:
    whole = IKETCPStream(expect_prefix=True)
    assert whole.feed(STREAM) == FRAMES and whole.buffered == 0
    trickle = IKETCPStream(expect_prefix=True)
    out: list[Classified] = []
    for i in range(len(STREAM)):
        out.extend(trickle.feed(STREAM[i : i + 1]))
    assert out == FRAMES
    assert len(FRAMES) == 19
    for item in out:
        if item.kind is Kind.IKE:
            assert decode_v1(item.data).is_encrypted


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 400), max_size=40))
def test_stream_in_arbitrary_pieces(cuts: list[int]) -> None:
    stream = IKETCPStream(expect_prefix=True)
    out: list[Classified] = []
    pos = 0
    for size in cuts:
        out.extend(stream.feed(STREAM[pos : pos + size]))
        pos += size
    out.extend(stream.feed(STREAM[pos:]))
    assert out == FRAMES


def test_responder_side_has_no_prefix() -> None:
    """RFC 9329 §4: only the TCP originator sends IKETCP."""
    body = STREAM[len(IKETCP_PREFIX) :]
    assert IKETCPStream(expect_prefix=False).feed(body) == FRAMES
    with pytest.raises(DecodeError):
        IKETCPStream(expect_prefix=True).feed(body)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"IKETCX", "prefix"),
        (b"X", "prefix"),
        (IKETCP_PREFIX + b"\x00\x02", "length"),
        (IKETCP_PREFIX + b"\x00\x00", "length"),
        (IKETCP_PREFIX + b"\x00\x04\x01\x02", "frame"),  # two octets: neither IKE nor ESP
        (IKETCP_PREFIX + b"\x00\x09\x00\x00\x00\x01\x00\x00\x00", "frame"),  # short ESP
    ],
)
def test_stream_errors_are_final(data: bytes, field: str) -> None:
    stream = IKETCPStream(expect_prefix=True)
    with pytest.raises(DecodeError) as info:
        stream.feed(data)
    assert info.value.field == field
    with pytest.raises(DecodeError):
        stream.feed(STREAM)  # RFC 9329 §6.1: the connection is closed


def test_stream_waits_for_whole_frames() -> None:
    stream = IKETCPStream(expect_prefix=True)
    assert stream.feed(b"IKE") == []
    assert stream.feed(b"TCP\x00") == []
    assert stream.buffered == 1
    assert stream.feed(b"\x07\x00\x00\x00\x00") == []
    assert stream.feed(b"x") == [Classified(Kind.IKE, b"x")]
    assert stream.feed(b"\x00\x03\xff") == [Classified(Kind.NAT_KEEPALIVE, b"")]
