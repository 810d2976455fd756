"""Traffic selector arithmetic and narrowing (RFC 7296 §2.9, §3.13.1).

Table cases from the RFC's rules and its §2.9 example; Hypothesis properties check
narrowing against a point-membership oracle written independently below.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ikewire.connection import (
    check_narrowed,
    contains,
    intersect,
    is_subset,
    narrow,
    narrow_pair,
    ts_from_string,
    ts_to_string,
)
from ikewire.constants import NotifyType, TSType
from ikewire.errors import ConfigError, ProtocolError
from ikewire.testing import strategies as ist
from ikewire.wire.models import RawTrafficSelector, Selector, TrafficSelector

V4, V6 = TSType.TS_IPV4_ADDR_RANGE, TSType.TS_IPV6_ADDR_RANGE
TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58


def ts(text: str) -> TrafficSelector:
    return ts_from_string(text)


def v4(
    first: str, last: str, proto: int = 0, ports: tuple[int, int] = (0, 0xFFFF)
) -> TrafficSelector:
    return TrafficSelector(
        V4,
        proto,
        ports[0],
        ports[1],
        ipaddress.IPv4Address(first).packed,
        ipaddress.IPv4Address(last).packed,
    )


@contextmanager
def expect_notify(notify: int) -> Iterator[None]:
    """Expect a ProtocolError carrying notify ``notify``."""
    with pytest.raises(ProtocolError) as info:
        yield
    assert info.value.notify == notify, info.value.reason


# --------------------------------------------------------------------------- text form


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.0/24", v4("10.0.0.0", "10.0.0.255")),
        ("10.0.0.0/24[tcp/443]", v4("10.0.0.0", "10.0.0.255", TCP, (443, 443))),
        ("10.0.0.1-10.0.0.9", v4("10.0.0.1", "10.0.0.9")),
        ("10.0.0.1..10.0.0.9[udp]", v4("10.0.0.1", "10.0.0.9", UDP)),
        ("192.0.2.7", v4("192.0.2.7", "192.0.2.7")),
        ("192.0.2.7/24", v4("192.0.2.0", "192.0.2.255")),  # host bits cleared, as strongSwan
        ("0.0.0.0/0", v4("0.0.0.0", "255.255.255.255")),
        ("0.0.0.0/0[udp/500-4500]", v4("0.0.0.0", "255.255.255.255", UDP, (500, 4500))),
        ("10.0.0.0/8[tcp/opaque]", v4("10.0.0.0", "10.255.255.255", TCP, (0xFFFF, 0))),
        ("10.0.0.0/8[any/80]", v4("10.0.0.0", "10.255.255.255", 0, (80, 80))),
        ("10.0.0.0/8[/80]", v4("10.0.0.0", "10.255.255.255", 0, (80, 80))),
        ("10.0.0.0/8[47]", v4("10.0.0.0", "10.255.255.255", 47)),
        ("10.0.0.0/8[gre]", v4("10.0.0.0", "10.255.255.255", 47)),
        ("10.0.0.0/8[tcp/any]", v4("10.0.0.0", "10.255.255.255", TCP)),
        # ICMP Type in the high octet, Code in the low one (RFC 7296 §3.13.1)
        ("10.0.0.0/8[icmp/8]", v4("10.0.0.0", "10.255.255.255", ICMP, (0x0800, 0x0800))),
        ("10.0.0.0/8[icmp/3(1)]", v4("10.0.0.0", "10.255.255.255", ICMP, (0x0301, 0x0301))),
        ("10.0.0.0/8[icmp/8-8(255)]", v4("10.0.0.0", "10.255.255.255", ICMP, (0x0800, 0x08FF))),
        (
            "2001:db8::/32",
            TrafficSelector(
                V6,
                0,
                0,
                0xFFFF,
                bytes.fromhex("20010db8" + "00" * 12),
                bytes.fromhex("20010db8" + "ff" * 12),
            ),
        ),
        (
            "::/0[ipv6-icmp/135]",
            TrafficSelector(V6, ICMPV6, 135 << 8, 135 << 8, b"\x00" * 16, b"\xff" * 16),
        ),
        (
            "2001:db8::1-2001:db8::9[tcp/22]",
            TrafficSelector(
                V6,
                TCP,
                22,
                22,
                bytes.fromhex("20010db8" + "00" * 11 + "01"),
                bytes.fromhex("20010db8" + "00" * 11 + "09"),
            ),
        ),
    ],
)
def test_ts_from_string(text: str, expected: TrafficSelector) -> None:
    assert ts_from_string(text) == expected


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        (v4("10.0.0.0", "10.0.0.255"), "10.0.0.0/24"),
        (v4("10.0.0.1", "10.0.0.1", TCP, (443, 443)), "10.0.0.1/32[tcp/443]"),
        (v4("10.0.0.1", "10.0.0.9"), "10.0.0.1-10.0.0.9"),
        (v4("10.0.0.0", "10.0.0.255", UDP, (500, 4500)), "10.0.0.0/24[udp/500-4500]"),
        (v4("10.0.0.0", "10.0.0.255", UDP), "10.0.0.0/24[udp]"),
        (v4("10.0.0.0", "10.0.0.255", 0, (0xFFFF, 0)), "10.0.0.0/24[any/opaque]"),
        (v4("0.0.0.0", "255.255.255.255", 200), "0.0.0.0/0[200]"),
        (v4("10.0.0.0", "10.0.0.255", ICMP, (0x0301, 0x0301)), "10.0.0.0/24[icmp/3(1)]"),
        (v4("10.0.0.0", "10.0.0.255", ICMP, (0x0800, 0x08FF)), "10.0.0.0/24[icmp/8-8(255)]"),
        (TrafficSelector(V6, 0, 0, 0xFFFF, b"\x00" * 16, b"\xff" * 16), "::/0"),
        (RawTrafficSelector(TSType.TS_SECLABEL, 0, b"\x01\x02"), "TS_SECLABEL:0102"),
    ],
)
def test_ts_to_string(selector: Selector, text: str) -> None:
    assert ts_to_string(selector) == text
    if isinstance(selector, TrafficSelector):
        assert ts_from_string(text) == selector


@pytest.mark.parametrize(
    "text",
    [
        "",
        "10.0.0.0/33",
        "10.0.0.300",
        "10.0.0.9-10.0.0.1",
        "10.0.0.1-2001:db8::1",
        "10.0.0.0/24[tcp/443",
        "10.0.0.0/24[tcp/70000]",
        "10.0.0.0/24[tcp/443-80]",
        "10.0.0.0/24[nosuchproto]",
        "10.0.0.0/24[256]",
        "10.0.0.0/24[icmp/256]",
        "dynamic",
    ],
)
def test_ts_from_string_rejects(text: str) -> None:
    with pytest.raises(ConfigError):
        ts_from_string(text)


def test_dynamic() -> None:
    assert ts_from_string("dynamic[udp/500]", dynamic="192.0.2.1") == v4(
        "192.0.2.1", "192.0.2.1", UDP, (500, 500)
    )


# --------------------------------------------------------------------------- intersection


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("10.0.0.0/16", "10.0.1.0/24", "10.0.1.0/24"),
        ("10.0.0.0-10.0.0.100", "10.0.0.50-10.0.0.200", "10.0.0.50-10.0.0.100"),
        ("10.0.0.0/24", "10.0.1.0/24", None),
        ("10.0.0.0/24", "::/0", None),  # IPv4 and IPv6 never meet
        ("2001:db8::/32", "2001:db8:1::/48[tcp]", "2001:db8:1::/48[tcp]"),
        ("2001:db8::/48", "2001:db8:1::/48", None),
        # protocol 0 is any (RFC 7296 §3.13.1)
        ("10.0.0.0/24", "10.0.0.0/24[tcp]", "10.0.0.0/24[tcp]"),
        ("10.0.0.0/24[tcp]", "10.0.0.0/24[udp]", None),
        # port ranges; 0..65535 is all ports
        ("10.0.0.0/24[tcp]", "10.0.0.0/24[tcp/443]", "10.0.0.0/24[tcp/443]"),
        ("10.0.0.0/24[tcp/1000-2000]", "10.0.0.0/24[tcp/1500-3000]", "10.0.0.0/24[tcp/1500-2000]"),
        ("10.0.0.0/24[tcp/1000-2000]", "10.0.0.0/24[tcp/2001-3000]", None),
        ("10.0.0.0/24[any/80]", "10.0.0.0/24[tcp]", "10.0.0.0/24[tcp/80]"),
        # OPAQUE ports: Start Port 65535, End Port 0 (RFC 7296 §3.13.1); "any" includes it
        ("10.0.0.0/24[udp/opaque]", "10.0.0.0/24[udp]", "10.0.0.0/24[udp/opaque]"),
        ("10.0.0.0/24[udp/opaque]", "10.0.0.0/24", "10.0.0.0/24[udp/opaque]"),
        ("10.0.0.0/24[udp/opaque]", "10.0.0.0/24[udp/opaque]", "10.0.0.0/24[udp/opaque]"),
        ("10.0.0.0/24[udp/opaque]", "10.0.0.0/24[udp/53]", None),
        ("10.0.0.0/24[udp/opaque]", "10.0.0.0/24[udp/0-65534]", None),
        ("10.0.0.0/24[udp/opaque]", "10.0.0.0/24[udp/65535]", None),
    ],
)
def test_intersect(a: str, b: str, expected: str | None) -> None:
    want = None if expected is None else ts(expected)
    assert intersect(ts(a), ts(b)) == want
    assert intersect(ts(b), ts(a)) == want
    if want is not None:
        assert contains(ts(a), want) and contains(ts(b), want)


def test_intersect_raw_and_malformed() -> None:
    label = RawTrafficSelector(TSType.TS_SECLABEL, 0, b"system_u:object_r:x\x00")
    assert intersect(label, label) == label
    assert intersect(label, label._replace(data=b"other\x00")) is None
    assert intersect(label, ts("0.0.0.0/0")) is None
    inverted = v4("10.0.0.9", "10.0.0.1")
    assert intersect(inverted, ts("0.0.0.0/0")) is None
    bad_ports = v4("10.0.0.1", "10.0.0.1", TCP, (90, 80))
    assert intersect(bad_ports, ts("0.0.0.0/0")) is None
    short = TrafficSelector(V4, 0, 0, 0xFFFF, b"\x0a", b"\x0a")
    assert intersect(short, ts("0.0.0.0/0")) is None


# --------------------------------------------------------------------------- §2.9 narrowing

# RFC 7296 §2.9: node 198.51.100.43 sends to 203.0.113.11; "the initiator would include
# in TSi two Traffic Selectors: the first containing the address range (198.51.100.43 -
# 198.51.100.43) and the source port and IP protocol from the packet and the second
# containing (198.51.100.0 - 198.51.100.255) with all ports and IP protocols. The
# initiator would similarly include two Traffic Selectors in TSr." (The ports here
# stand for the triggering packet's.)
TSI = (ts("198.51.100.43[tcp/49152]"), ts("198.51.100.0/24"))
TSR = (ts("203.0.113.11[tcp/443]"), ts("203.0.113.0/24"))


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # the policy allows everything proposed: nothing narrowed
        (("198.51.100.0/24",), TSI),
        (("0.0.0.0/0",), TSI),
        # it allows part, including the first (triggering) selector: that one is kept
        (("198.51.100.0/26",), (TSI[0], ts("198.51.100.0/26"))),
        (("198.51.100.43[tcp]",), (TSI[0], ts("198.51.100.43[tcp]"))),
        # it allows a part without the first
        (("198.51.100.64/26",), (ts("198.51.100.64/26"),)),
        (("198.51.100.0/24[udp]",), (ts("198.51.100.0/24[udp]"),)),
        # several policy selectors, in the proposed order then the policy order
        (
            ("198.51.100.128/25", "198.51.100.0/25"),
            (TSI[0], ts("198.51.100.128/25"), ts("198.51.100.0/25")),
        ),
    ],
)
def test_narrow_rfc7296_2_9(policy: tuple[str, ...], expected: tuple[Selector, ...]) -> None:
    narrowed = narrow(TSI, [ts(p) for p in policy])
    assert narrowed == expected
    assert is_subset(narrowed, TSI)
    check_narrowed(narrowed, TSI)


@pytest.mark.parametrize(
    "policy",
    [("198.51.101.0/24",), ("2001:db8::/32",), ("198.51.100.0/24[tcp/opaque]", "10.0.0.0/8"), ()],
)
def test_narrow_disjoint_is_ts_unacceptable(policy: tuple[str, ...]) -> None:
    # §2.9: "If the responder's policy does not allow it to accept any part of the
    # proposed Traffic Selectors, it responds with a TS_UNACCEPTABLE Notify message."
    with expect_notify(NotifyType.TS_UNACCEPTABLE):
        narrow(TSI[:1], [ts(p) for p in policy])


def test_narrow_pair_prefers_the_policy_holding_the_triggering_packet() -> None:
    # §2.9: "If the responder's policy does not allow it to accept the entire set of
    # traffic selectors in the initiator's request, but does allow him to accept the
    # first selector of TSi and TSr, then the responder MUST narrow the traffic
    # selectors to a subset that includes the initiator's first choices."
    without_first = ([ts("198.51.100.64/26")], [ts("203.0.113.0/24")])
    with_first = ([ts("198.51.100.0/26")], [ts("203.0.113.0/28")])
    everything = ([ts("198.51.100.0/24")], [ts("203.0.113.0/24")])
    disjoint = ([ts("192.0.2.0/24")], [ts("203.0.113.0/24")])

    chosen = narrow_pair(TSI, TSR, [disjoint, without_first, with_first])
    assert chosen.policy == 2
    assert chosen.tsi == (TSI[0], ts("198.51.100.0/26"))
    assert chosen.tsr == (TSR[0], ts("203.0.113.0/28"))
    assert narrow_pair(TSI, TSR, [without_first, with_first, everything]).policy == 2
    assert narrow_pair(TSI, TSR, [everything, with_first]) == (0, TSI, TSR)
    assert narrow_pair(TSI, TSR, [disjoint, without_first]).policy == 1
    unknown = RawTrafficSelector(200, 0, b"\x00")
    assert narrow_pair((unknown, *TSI), TSR, [with_first, everything]) == (1, TSI, TSR)
    with expect_notify(NotifyType.TS_UNACCEPTABLE):
        narrow_pair(TSI, TSR, [disjoint])
    with expect_notify(NotifyType.TS_UNACCEPTABLE):
        narrow_pair(TSI, TSR, [])


def test_unknown_selector_type_ignored() -> None:
    # §2.9: "If the type of Traffic Selector proposed is unknown, the responder ignores
    # that Traffic Selector, so that the unknown type is not returned in the narrowed set."
    unknown = RawTrafficSelector(200, 0, b"\x01\x02\x03\x04")
    assert narrow([unknown, *TSI], [ts("0.0.0.0/0")]) == TSI
    with expect_notify(NotifyType.TS_UNACCEPTABLE):
        narrow([unknown], [ts("0.0.0.0/0")])


def test_security_label_selectors() -> None:
    # Selectors of a type the policy uses (TS_SECLABEL, RFC 9478) are matched exactly.
    label = RawTrafficSelector(TSType.TS_SECLABEL, 0, b"system_u:object_r:ipsec_spd_t:s0\x00")
    other = label._replace(data=b"system_u:object_r:other_t:s0\x00")
    policy: list[Selector] = [ts("0.0.0.0/0"), label]
    assert narrow([TSI[1], label], policy) == (TSI[1], label)
    assert narrow([TSI[1], other, label], policy) == (TSI[1], label)
    with expect_notify(NotifyType.TS_UNACCEPTABLE):
        narrow([TSI[1], other], policy)
    assert is_subset([TSI[1], label], [TSI[1], label])
    assert not is_subset([TSI[1], other], [TSI[1], label])


# --------------------------------------------------------------------------- initiator check


@pytest.mark.parametrize(
    ("narrowed", "proposed", "expected"),
    [
        (["10.0.0.0/24"], ["10.0.0.0/24"], True),
        (["10.0.0.0/25"], ["10.0.0.0/24"], True),
        (["10.0.0.0/24[tcp/80]"], ["10.0.0.0/24"], True),
        (["10.0.0.0/16"], ["10.0.0.0/24"], False),
        (["10.0.0.0/24"], ["10.0.0.0/24[tcp]"], False),
        (["10.0.0.0/24[any/80]"], ["10.0.0.0/24[tcp]"], False),
        # covered by two proposed selectors together, by neither alone
        (["10.0.0.0/24"], ["10.0.0.0/25", "10.0.0.128/25"], True),
        (["10.0.0.0/24"], ["10.0.0.0/25", "10.0.0.129-10.0.0.255"], False),
        (["10.0.0.0/24[tcp]"], ["10.0.0.0/24[tcp/0-1023]", "10.0.0.0/24[tcp/1024-65535]"], False),
        (
            ["10.0.0.0/24[tcp]"],
            ["10.0.0.0/24[tcp/0-1023]", "10.0.0.0/24[tcp/1024-65535]", "10.0.0.0/24[tcp/opaque]"],
            True,
        ),
        (
            ["10.0.0.0/24[tcp/1-65535]"],
            ["10.0.0.0/24[tcp/0-1023]", "10.0.0.0/24[tcp/1024-65535]"],
            True,
        ),
        # OPAQUE is within "any" but not within a port range
        (["10.0.0.0/24[udp/opaque]"], ["10.0.0.0/24"], True),
        (["10.0.0.0/24[udp/opaque]"], ["10.0.0.0/24[udp/0-65534]"], False),
        (["10.0.0.0/24"], ["10.0.0.0/24[udp/opaque]"], False),
        (["2001:db8::/64"], ["2001:db8::/48"], True),
        (["2001:db8::/64"], ["10.0.0.0/8", "0.0.0.0/0"], False),
        ([], ["10.0.0.0/8"], True),
    ],
)
def test_is_subset(narrowed: list[str], proposed: list[str], expected: bool) -> None:
    assert is_subset([ts(n) for n in narrowed], [ts(p) for p in proposed]) is expected


def test_check_narrowed_catches_widened_answer() -> None:
    # §2.9: the responder "narrows the Traffic Selectors to some subset of the
    # initiator's proposal (provided the set does not become the null set)".
    proposed = [ts("10.0.0.0/24")]
    check_narrowed([ts("10.0.0.0/25")], proposed)
    for answer in (
        [ts("10.0.0.0/16")],
        [ts("10.0.0.0/25"), ts("10.1.0.0/25")],
        [],
        [v4("10.0.0.9", "10.0.0.1")],
    ):
        with expect_notify(NotifyType.INVALID_SYNTAX):
            check_narrowed(answer, proposed)


# --------------------------------------------------------------------------- properties

_BASE4 = int(ipaddress.IPv4Address("10.0.0.0"))
_BASE6 = int(ipaddress.IPv6Address("2001:db8::"))
_PROTOCOLS = [0, TCP, UDP, ICMP]
_POINT_PROTOCOLS = [TCP, UDP, ICMP, 50]


@st.composite
def selectors(draw: st.DrawFn) -> TrafficSelector:
    """Well-formed selectors over a small space, so that they often overlap."""
    six = draw(st.booleans())
    lo = draw(st.integers(0, 40))
    hi = draw(st.integers(lo, 48))
    base, size = (_BASE6, 16) if six else (_BASE4, 4)
    ports = draw(
        st.one_of(
            st.just((0, 0xFFFF)),
            st.just((0xFFFF, 0)),
            st.tuples(st.integers(0, 12), st.integers(0, 12)).map(sorted).map(tuple),
            st.tuples(st.integers(65530, 65535), st.integers(65530, 65535)).map(sorted).map(tuple),
        )
    )
    return TrafficSelector(
        V6 if six else V4,
        draw(st.sampled_from(_PROTOCOLS)),
        ports[0],
        ports[1],
        (base + lo).to_bytes(size, "big"),
        (base + hi).to_bytes(size, "big"),
    )


# A packet: (ts_type, protocol, port or None for OPAQUE, address as an integer)
Point = tuple[int, int, int | None, int]


@st.composite
def points(draw: st.DrawFn) -> Point:
    six = draw(st.booleans())
    port = draw(st.one_of(st.none(), st.integers(0, 14), st.integers(65529, 65535)))
    offset = draw(st.integers(0, 50))
    return (
        V6 if six else V4,
        draw(st.sampled_from(_POINT_PROTOCOLS)),
        port,
        (_BASE6 if six else _BASE4) + offset,
    )


def member(point: Point, s: Selector) -> bool:
    """Whether the packet is selected — written from RFC 7296 §3.13.1 directly."""
    ts_type, proto, port, address = point
    if not isinstance(s, TrafficSelector) or s.ts_type != ts_type:
        return False
    if s.ip_protocol not in (0, proto):
        return False
    if (s.start_port, s.end_port) == (0, 0xFFFF):
        pass  # all ports, OPAQUE included
    elif (s.start_port, s.end_port) == (0xFFFF, 0):
        if port is not None:
            return False
    elif port is None or not s.start_port <= port <= s.end_port:
        return False
    first = int.from_bytes(s.start_address, "big")
    last = int.from_bytes(s.end_address, "big")
    return first <= address <= last


def grid(inside: TrafficSelector, others: Sequence[TrafficSelector]) -> Iterator[Point]:
    """One packet from every cell the selectors' boundaries cut ``inside`` into: if
    every one of these is covered, all of ``inside`` is."""
    everything = [inside, *others]
    protocols = {s.ip_protocol for s in everything if s.ip_protocol} | {50}
    ports: set[int | None] = {None, 0}
    addresses = {int.from_bytes(inside.start_address, "big")}
    for s in everything:
        if s.start_port <= s.end_port:
            ports |= {s.start_port, s.end_port + 1} - {0x10000}
        addresses |= {
            int.from_bytes(s.start_address, "big"),
            int.from_bytes(s.end_address, "big") + 1,
        }
    for proto in protocols:
        for port in ports:
            for address in addresses:
                point = (int(inside.ts_type), proto, port, address)
                if member(point, inside):
                    yield point


@settings(max_examples=200, deadline=None)
@given(
    st.lists(selectors(), min_size=1, max_size=4),
    st.lists(selectors(), max_size=4),
    st.lists(points(), min_size=1, max_size=20),
)
def test_narrowing_is_the_intersection(
    proposed: list[TrafficSelector], policy: list[TrafficSelector], packets: list[Point]
) -> None:
    overlaps = any(intersect(p, q) is not None for p in proposed for q in policy)
    try:
        narrowed = narrow(proposed, policy)
    except ProtocolError as exc:
        assert exc.notify == NotifyType.TS_UNACCEPTABLE
        assert not overlaps
        return
    assert overlaps
    # a subset of both inputs ...
    assert is_subset(narrowed, proposed)
    assert is_subset(narrowed, policy)
    check_narrowed(narrowed, proposed)
    # ... and exactly the traffic both select
    for packet in packets:
        both = any(member(packet, p) for p in proposed) and any(member(packet, q) for q in policy)
        assert any(member(packet, n) for n in narrowed) == both
    # the first proposed selector is kept whole when the policy allows it (§2.9)
    if is_subset(proposed[:1], policy):
        assert is_subset(proposed[:1], narrowed)
    assert narrow(narrowed, policy) == narrowed or is_subset(narrow(narrowed, policy), narrowed)


@settings(max_examples=200, deadline=None)
@given(selectors(), selectors(), st.lists(points(), min_size=1, max_size=20))
def test_intersect_and_contains_agree_with_membership(
    a: TrafficSelector, b: TrafficSelector, packets: list[Point]
) -> None:
    met = intersect(a, b)
    assert met == intersect(b, a)
    for packet in packets:
        in_both = member(packet, a) and member(packet, b)
        assert (met is not None and member(packet, met)) == in_both
        if contains(a, b) and member(packet, b):
            assert member(packet, a)
    assert contains(a, a)
    if met is not None:
        assert contains(a, met) and contains(b, met)
        assert intersect(met, met) == met


@settings(max_examples=200, deadline=None)
@given(
    st.lists(selectors(), max_size=3),
    st.lists(selectors(), max_size=4),
    st.lists(points(), min_size=1, max_size=30),
)
def test_is_subset_agrees_with_membership(
    narrowed: list[TrafficSelector], proposed: list[TrafficSelector], packets: list[Point]
) -> None:
    covered = all(
        any(member(point, p) for p in proposed) for n in narrowed for point in grid(n, proposed)
    )
    assert is_subset(narrowed, proposed) == covered
    if covered:
        for packet in packets:
            if any(member(packet, n) for n in narrowed):
                assert any(member(packet, p) for p in proposed)


@st.composite
def split_covers(draw: st.DrawFn) -> tuple[list[TrafficSelector], list[TrafficSelector]]:
    """A selector and pieces that together cover it — split by address and by port,
    OPAQUE as a piece of its own — sometimes with one piece shrunk or left out."""
    whole = draw(selectors())
    pieces = [whole]
    first = int.from_bytes(whole.start_address, "big")
    last = int.from_bytes(whole.end_address, "big")
    size = len(whole.start_address)
    if first < last:
        cut = draw(st.integers(first + 1, last))
        pieces = [
            whole._replace(end_address=(cut - 1).to_bytes(size, "big")),
            whole._replace(start_address=cut.to_bytes(size, "big")),
        ]
    ports = (whole.start_port, whole.end_port)
    if ports == (0, 0xFFFF):
        cut = draw(st.integers(1, 0xFFFF))
        halves = [(0, cut - 1), (cut, 0xFFFF), (0xFFFF, 0)]
    elif ports[0] < ports[1]:
        cut = draw(st.integers(ports[0] + 1, ports[1]))
        halves = [(ports[0], cut - 1), (cut, ports[1])]
    else:
        halves = [ports]
    pieces = [p._replace(start_port=a, end_port=b) for p in pieces for a, b in halves]
    if draw(st.booleans()):
        victim = draw(st.integers(0, len(pieces) - 1))
        if draw(st.booleans()):
            del pieces[victim]
        else:
            pieces[victim] = pieces[victim]._replace(ip_protocol=draw(st.sampled_from(_PROTOCOLS)))
    return [whole], draw(st.permutations(pieces))


@settings(max_examples=200, deadline=None)
@given(split_covers())
def test_is_subset_of_pieces(case: tuple[list[TrafficSelector], list[TrafficSelector]]) -> None:
    narrowed, proposed = case
    covered = all(
        any(member(point, p) for p in proposed) for n in narrowed for point in grid(n, proposed)
    )
    assert is_subset(narrowed, proposed) == covered


@settings(max_examples=200, deadline=None)
@given(selectors())
def test_text_round_trip(selector: TrafficSelector) -> None:
    assert ts_from_string(ts_to_string(selector)) == selector


@settings(max_examples=200, deadline=None)
@given(st.lists(ist.traffic_selectors(), max_size=4), st.lists(ist.traffic_selectors(), max_size=4))
def test_narrow_total_on_wire_selectors(
    proposed: Sequence[Selector], policy: Sequence[Selector]
) -> None:
    # Anything the codec yields (inverted ranges, odd types) narrows or is refused
    # with TS_UNACCEPTABLE; never another error.
    try:
        narrowed = narrow(proposed, policy)
    except ProtocolError as exc:
        assert exc.notify == NotifyType.TS_UNACCEPTABLE
        return
    assert is_subset(narrowed, proposed)
    for s in proposed:
        ts_to_string(s)


def test_selector_boxes_never_stale() -> None:
    """Selector ranges are remembered by identity for speed; fresh selectors (even
    ones reusing a freed one's memory) and ones whose octets can change are judged
    as they are now."""
    policy = (ts("10.0.0.0/8"),)
    for i in range(600):  # more than the cache holds: it is cleared on the way
        inside = i % 2 == 0
        proposed = ts("10.1.0.0/16" if inside else "192.0.2.0/24")
        assert is_subset([proposed], policy) is inside
    start, end = bytearray(b"\x0a\x01\x00\x00"), bytearray(b"\x0a\x01\xff\xff")
    changing = TrafficSelector(TSType.TS_IPV4_ADDR_RANGE, 0, 0, 0xFFFF, start, end)  # type: ignore[arg-type]
    assert is_subset([changing], policy)
    start[0] = end[0] = 192
    assert not is_subset([changing], policy)
