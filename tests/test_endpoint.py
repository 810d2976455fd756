"""IKEEndpoint and CookieJar: one UDP port, many IKE SAs (RFC 7296 §2.1, §2.5, §2.6, §3.1)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikewire.connection.config import Identity, IKEConfig
from ikewire.connection.cookies import COOKIE_LENGTH, CookieJar
from ikewire.connection.endpoint import EndpointEvent, IKEEndpoint
from ikewire.connection.events import ChildSAEstablished, IKESADeleted, IKESAEstablished
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import Role, State
from ikewire.constants import ExchangeType, NotifyType
from ikewire.errors import ConfigError
from ikewire.testing.pair import RESPONDER_ADDRESS, drain, seeded_rng
from ikewire.wire.codec import decode_v2, encode_v2
from ikewire.wire.framing import NAT_KEEPALIVE, frame_4500
from ikewire.wire.models import Message, Notify
from ikewire.wire.notify import cookie

PSK = b"correct horse battery staple"
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Address = tuple[str, int]


def responder_config(**over: object) -> IKEConfig:
    c = IKEConfig(
        Identity.fqdn("gw.example"),
        psk=PSK,
        local_ts=("10.2.0.0/16",),
        remote_ts=("10.0.0.0/8",),
        local_address=RESPONDER_ADDRESS,
        rng=seeded_rng(1000),
    )
    return dataclasses.replace(c, **over)  # type: ignore[arg-type]


def initiator_address(n: int) -> Address:
    return (f"192.0.2.{n + 1}", 500)  # RFC 5737 TEST-NET-1


def initiator_config(n: int, *, seed: int | None = None, **over: object) -> IKEConfig:
    c = IKEConfig(
        Identity.fqdn(f"client{n}.example"),
        Identity.fqdn("gw.example"),
        psk=PSK,
        local_ts=(f"10.1.{n}.0/24",),
        remote_ts=("10.2.0.0/16",),
        local_address=initiator_address(n),
        remote_address=RESPONDER_ADDRESS,
        rng=seeded_rng(n if seed is None else seed),
    )
    return dataclasses.replace(c, **over)  # type: ignore[arg-type]


def initiators(count: int) -> dict[Address, IKEConnection]:
    out = {}
    for n in range(count):
        conn = IKEConnection(initiator_config(n), initiator=True)
        out[initiator_address(n)] = conn
    return out


def pump(
    ep: IKEEndpoint,
    peers: dict[Address, IKEConnection],
    now: float = 0.0,
    *,
    shuffle: random.Random | None = None,
    max_rounds: int = 20,
) -> int:
    """Move datagrams between the peers and the endpoint until quiet; how many moved.

    With ``shuffle``, each round's datagrams (from all peers) arrive interleaved in a
    random order."""
    moved = 0
    for _ in range(max_rounds):
        to_ep = [(d, addr) for addr, c in peers.items() for d, _ in c.datagrams_to_send(now)]
        if shuffle is not None:
            shuffle.shuffle(to_ep)
        for data, addr in to_ep:
            ep.receive_datagram(data, addr, now)
        from_ep = ep.datagrams_to_send(now)
        if shuffle is not None:
            shuffle.shuffle(from_ep)
        for data, addr in from_ep:
            if addr in peers:
                peers[addr].receive_datagram(data, RESPONDER_ADDRESS, now)
        step = len(to_ep) + len(from_ep)
        moved += step
        if step == 0:
            break
    return moved


def endpoint_events(ep: IKEEndpoint) -> list[EndpointEvent]:
    out = []
    for _ in range(10_000):
        e = ep.next_event()
        if e is None:
            break
        out.append(e)
    return out


def state(conn: IKEConnection) -> State:
    """The state, read through a call so mypy does not pin it after a comparison."""
    return conn.state


def established(ep: IKEEndpoint) -> list[IKEConnection]:
    return [c for c in ep.connections if c.state is State.ESTABLISHED]


def send_init_only(ep: IKEEndpoint, peers: dict[Address, IKEConnection], now: float) -> None:
    """Each peer's IKE_SA_INIT request reaches the endpoint; answers are dropped."""
    for addr, conn in peers.items():
        if conn.state is State.IDLE:
            conn.initiate(now)
        for data, _ in conn.datagrams_to_send(now):
            ep.receive_datagram(data, addr, now)
    ep.datagrams_to_send(now)


# --------------------------------------------------------------------------- many SAs


def test_many_interleaved_initiators_all_establish() -> None:
    ep = IKEEndpoint(responder_config())
    peers = initiators(24)
    for conn in peers.values():
        conn.initiate(0.0)
    pump(ep, peers, shuffle=random.Random(7))
    assert all(c.state is State.ESTABLISHED for c in peers.values())
    assert len(ep.connections) == 24
    assert len(established(ep)) == 24
    assert ep.half_open == 0
    # RFC 7296 §3.1 demux: each endpoint SA pairs with exactly one initiator by SPIs
    ours = {(c.spi_i, c.spi_r): c for c in ep.connections}
    assert len(ours) == 24
    for addr, peer in peers.items():
        mine = ours[(peer.spi_i, peer.spi_r)]
        assert mine.role is Role.RESPONDER
        assert mine.peer_address == addr
        assert mine.remote_identity == peer.config.local_id.value
        assert ep.get(peer.spi_r) is mine
        kinds = [type(e) for e in drain(peer)]
        assert kinds == [IKESAEstablished, ChildSAEstablished]
    events = endpoint_events(ep)
    est = [e for e in events if isinstance(e.event, IKESAEstablished)]
    assert {id(e.connection) for e in est} == {id(c) for c in ep.connections}
    # the Child SA keys the endpoint reports are the mirror of each initiator's
    for e in events:
        if isinstance(e.event, ChildSAEstablished):
            assert e.connection.child_sas[0].spi_in == e.event.spi_in
    assert ep.stats.created == 24
    assert ep.stats.dropped_unknown_spi == 0


def test_same_initiator_spi_from_two_addresses_are_two_sas() -> None:
    """RFC 7296 §2.6: before SPIr exists an SA is (SPIi, peer address)."""
    ep = IKEEndpoint(responder_config())
    a, b = initiator_address(1), initiator_address(2)
    peers = {
        a: IKEConnection(initiator_config(1, seed=42), initiator=True),
        b: IKEConnection(initiator_config(2, seed=42), initiator=True),
    }
    for conn in peers.values():
        conn.initiate(0.0)
    assert peers[a].spi_i == peers[b].spi_i  # the same seeded rng draws the same SPIi
    pump(ep, peers, shuffle=random.Random(3))
    assert peers[a].state is State.ESTABLISHED and peers[b].state is State.ESTABLISHED
    assert peers[a].spi_r != peers[b].spi_r
    assert len(ep.connections) == 2
    assert {c.peer_address for c in ep.connections} == {a, b}


def test_message_for_unknown_spi_is_dropped_without_state() -> None:
    ep = IKEEndpoint(responder_config())
    peers = initiators(1)
    [peer] = peers.values()
    peer.initiate(0.0)
    pump(ep, peers)
    [conn] = ep.connections
    # an established peer's INFORMATIONAL with the responder SPI altered
    peer.close(1.0)
    [(data, _)] = peer.datagrams_to_send(1.0)
    forged = data[:8] + bytes(8 - 1) + b"\x01" + data[16:]
    ep.receive_datagram(forged, initiator_address(0), 1.0)
    # a response (R flag) claiming to answer our SPIi: we initiated nothing
    response = data[:19] + bytes([0x20]) + data[20:]
    ep.receive_datagram(response, initiator_address(0), 1.0)
    # IKE_AUTH with SPIr zero: no SA is found by (SPIi, peer) for another exchange
    other = Message.create(ExchangeType.IKE_AUTH, [], spi_i=b"\x09" * 8, message_id=1)
    ep.receive_datagram(encode_v2(other), initiator_address(0), 1.0)
    assert ep.stats.dropped_unknown_spi == 3
    assert ep.datagrams_to_send(1.0) == []
    assert list(ep.connections) == [conn] and state(conn) is State.ESTABLISHED
    # the real one is delivered
    ep.receive_datagram(data, initiator_address(0), 1.0)
    assert state(conn) is State.CLOSED


def test_retransmitted_init_is_answered_identically_without_a_second_sa() -> None:
    """RFC 7296 §2.1: a retransmitted request gets the cached answer, no new state."""
    ep = IKEEndpoint(responder_config())
    peer = IKEConnection(initiator_config(0), initiator=True)
    peer.initiate(0.0)
    [(request, _)] = peer.datagrams_to_send(0.0)
    addr = initiator_address(0)
    ep.receive_datagram(request, addr, 0.0)
    [(first, dest)] = ep.datagrams_to_send(0.0)
    assert dest == addr
    ep.receive_datagram(request, addr, 2.0)
    [(second, _)] = ep.datagrams_to_send(2.0)
    assert second == first
    assert len(ep.connections) == 1 and ep.stats.created == 1
    assert ep.half_open == 1
    peer.receive_datagram(second, RESPONDER_ADDRESS, 2.0)
    pump(ep, {addr: peer}, 2.0)
    assert peer.state is State.ESTABLISHED and ep.half_open == 0


def test_stateless_invalid_ke_answer_keeps_no_state() -> None:
    """RFC 7296 §1.3: INVALID_KE_PAYLOAD is stateless; the retry gets the SA."""
    ep = IKEEndpoint(responder_config(ike_proposals=("aes256gcm16-prfsha256-ecp256",)))
    peer = IKEConnection(
        initiator_config(0, ike_proposals=("aes256gcm16-prfsha256-x25519-ecp256",)),
        initiator=True,
    )
    peer.initiate(0.0)
    [(request, _)] = peer.datagrams_to_send(0.0)
    ep.receive_datagram(request, initiator_address(0), 0.0)
    assert len(ep.connections) == 0 and ep.stats.init_refused == 1
    [(answer, _)] = ep.datagrams_to_send(0.0)
    [n] = decode_v2(answer).notifies()
    assert n.notify_type == NotifyType.INVALID_KE_PAYLOAD
    peer.receive_datagram(answer, RESPONDER_ADDRESS, 0.0)
    pump(ep, {initiator_address(0): peer})
    assert peer.state is State.ESTABLISHED
    assert len(ep.connections) == 1


# --------------------------------------------------------------------------- cookies


def test_cookie_threshold_initiator_retries_with_cookie_and_succeeds() -> None:
    ep = IKEEndpoint(responder_config(), cookie_threshold=2)
    peers = initiators(2)
    send_init_only(ep, peers, 0.0)
    assert ep.half_open == 2 and ep.stats.cookies_sent == 0
    late = IKEConnection(initiator_config(9), initiator=True)
    late.initiate(0.0)
    [(request, _)] = late.datagrams_to_send(0.0)
    ep.receive_datagram(request, initiator_address(9), 0.0)
    # RFC 7296 §2.6: HDR(A,0), N(COOKIE), and no state
    [(answer, dest)] = ep.datagrams_to_send(0.0)
    assert dest == initiator_address(9)
    msg = decode_v2(answer)
    assert msg.spi_i == late.spi_i and msg.spi_r == bytes(8)
    assert msg.is_response and not msg.is_initiator
    assert msg.exchange_type == ExchangeType.IKE_SA_INIT and msg.message_id == 0
    [n] = msg.payloads
    assert type(n) is Notify and n.notify_type == NotifyType.COOKIE
    assert len(n.data) == COOKIE_LENGTH
    assert len(ep.connections) == 2 and ep.stats.cookies_sent == 1
    # the same request again gets the same cookie and still no state
    ep.receive_datagram(request, initiator_address(9), 0.5)
    assert ep.datagrams_to_send(0.5) == [(answer, initiator_address(9))]
    assert len(ep.connections) == 2
    late.receive_datagram(answer, RESPONDER_ADDRESS, 1.0)
    [(retry, _)] = late.datagrams_to_send(1.0)
    first = decode_v2(retry).payloads[0]
    assert type(first) is Notify and first.data == n.data
    ep.receive_datagram(retry, initiator_address(9), 1.0)
    assert ep.stats.cookies_accepted == 1 and ep.half_open == 3
    pump(ep, {initiator_address(9): late}, 1.0)
    assert late.state is State.ESTABLISHED


def test_bad_cookie_gets_a_fresh_cookie_not_state() -> None:
    ep = IKEEndpoint(responder_config(), cookie_threshold=0)
    peer = IKEConnection(initiator_config(0), initiator=True)
    peer.initiate(0.0)
    [(request, _)] = peer.datagrams_to_send(0.0)
    ep.receive_datagram(request, initiator_address(0), 0.0)
    [(answer, _)] = ep.datagrams_to_send(0.0)
    # the cookie was made for 192.0.2.1: from another address it is refused
    peer.receive_datagram(answer, RESPONDER_ADDRESS, 0.0)
    [(retry, _)] = peer.datagrams_to_send(0.0)
    ep.receive_datagram(retry, ("203.0.113.9", 500), 0.0)
    assert len(ep.connections) == 0 and ep.stats.cookies_sent == 2
    ep.datagrams_to_send(0.0)
    ep.receive_datagram(retry, initiator_address(0), 0.0)
    assert len(ep.connections) == 1


def test_require_cookie_config_is_enforced_by_the_endpoint() -> None:
    ep = IKEEndpoint(responder_config(require_cookie=True))
    peers = initiators(1)
    [peer] = peers.values()
    peer.initiate(0.0)
    pump(ep, peers)
    assert peer.state is State.ESTABLISHED
    assert ep.stats.cookies_sent == 1 and ep.stats.cookies_accepted == 1


def test_cookie_from_previous_secret_accepted_across_rotation() -> None:
    ep = IKEEndpoint(responder_config(), cookie_threshold=0, cookie_rotate_every=10.0)
    peer = IKEConnection(initiator_config(0), initiator=True)
    peer.initiate(0.0)
    [(request, _)] = peer.datagrams_to_send(0.0)
    ep.receive_datagram(request, initiator_address(0), 0.0)
    [(answer, _)] = ep.datagrams_to_send(0.0)
    peer.receive_datagram(answer, RESPONDER_ADDRESS, 0.0)
    [(retry, _)] = peer.datagrams_to_send(0.0)
    ep.receive_datagram(retry, initiator_address(0), 15.0)  # one rotation later
    assert ep.stats.cookies_accepted == 1 and len(ep.connections) == 1


def test_cookie_from_secret_two_rotations_old_refused_by_endpoint() -> None:
    ep = IKEEndpoint(responder_config(), cookie_threshold=0, cookie_rotate_every=10.0)
    peer = IKEConnection(initiator_config(0), initiator=True)
    peer.initiate(0.0)
    [(request, _)] = peer.datagrams_to_send(0.0)
    ep.receive_datagram(request, initiator_address(0), 0.0)
    [(answer, _)] = ep.datagrams_to_send(0.0)
    peer.receive_datagram(answer, RESPONDER_ADDRESS, 0.0)
    [(retry, _)] = peer.datagrams_to_send(0.0)
    ep.receive_datagram(retry, initiator_address(0), 25.0)
    assert ep.stats.cookies_accepted == 0 and len(ep.connections) == 0
    assert ep.stats.cookies_sent == 2


NI = bytes(range(32))
IP = bytes([192, 0, 2, 1])
SPI = bytes.fromhex("0102030405060708")


def test_cookie_format_is_version_then_hmac_sha256_of_ni_ipi_spii() -> None:
    """RFC 7296 §2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>),
    here with the secret as the HMAC key; checked with the standard library's HMAC."""
    secret = bytes(range(100, 132))
    jar = CookieJar(lambda n: secret[:n], 0.0, rotate_every=60.0)
    made = jar.make(NI, IP, SPI, 1.0)
    assert made[0] == 0
    assert made[1:] == hmac.new(secret, NI + IP + SPI, hashlib.sha256).digest()
    assert len(made) == COOKIE_LENGTH
    cookie(made)  # fits N(COOKIE): 1..64 octets (RFC 7296 §3.10.1)


def test_cookie_check_binds_ni_ip_and_spi() -> None:
    jar = CookieJar(seeded_rng(5), 0.0, rotate_every=60.0)
    c = jar.make(NI, IP, SPI, 0.0)
    assert jar.check(c, NI, IP, SPI, 1.0)
    assert not jar.check(c, NI[:-1] + b"\x00", IP, SPI, 1.0)
    assert not jar.check(c, NI, bytes([192, 0, 2, 2]), SPI, 1.0)
    assert not jar.check(c, NI, IP, SPI[::-1], 1.0)
    assert not jar.check(c[:-1], NI, IP, SPI, 1.0)
    assert not jar.check(bytes([c[0] ^ 1]) + c[1:], NI, IP, SPI, 1.0)
    other = CookieJar(seeded_rng(6), 0.0, rotate_every=60.0)
    assert not other.check(c, NI, IP, SPI, 1.0)


def test_cookie_rotation_previous_accepted_older_refused() -> None:
    jar = CookieJar(seeded_rng(5), 100.0, rotate_every=60.0)
    c0 = jar.make(NI, IP, SPI, 100.0)
    assert jar.check(c0, NI, IP, SPI, 159.9)
    assert jar.version == 0
    # one rotation: c0 is the previous secret's, still good for one period
    c1 = jar.make(NI, IP, SPI, 160.0)
    assert jar.version == 1 and c1 != c0
    assert jar.check(c0, NI, IP, SPI, 219.9)
    assert jar.check(c1, NI, IP, SPI, 219.9)
    # two rotations: c0 is refused, c1 (now previous) still accepted
    assert not jar.check(c0, NI, IP, SPI, 220.0)
    assert jar.check(c1, NI, IP, SPI, 220.0)
    assert not jar.check(c1, NI, IP, SPI, 280.0)


def test_cookie_jump_of_several_periods_forgets_both_secrets() -> None:
    jar = CookieJar(seeded_rng(5), 0.0, rotate_every=10.0)
    c = jar.make(NI, IP, SPI, 0.0)
    assert not jar.check(c, NI, IP, SPI, 25.0)
    fresh = jar.make(NI, IP, SPI, 25.0)
    assert jar.check(fresh, NI, IP, SPI, 29.9)  # the grid stays: rotated at 20, next at 30
    assert jar.check(fresh, NI, IP, SPI, 39.9)
    assert not jar.check(fresh, NI, IP, SPI, 40.0)


def test_cookie_version_wraps_and_old_secret_with_same_version_is_refused() -> None:
    jar = CookieJar(seeded_rng(5), 0.0, rotate_every=1.0)
    c = jar.make(NI, IP, SPI, 0.0)
    for t in range(1, 257):
        jar.make(NI, IP, SPI, float(t))
    assert jar.version == 0  # 256 rotations: the octet wrapped
    assert jar.make(NI, IP, SPI, 256.0)[0] == c[0]
    assert not jar.check(c, NI, IP, SPI, 256.0)


def test_cookie_clock_backwards_does_not_rotate() -> None:
    jar = CookieJar(seeded_rng(5), 50.0, rotate_every=10.0)
    c = jar.make(NI, IP, SPI, 50.0)
    assert jar.check(c, NI, IP, SPI, 0.0) and jar.version == 0


@pytest.mark.parametrize("every", [0.0, -1.0, float("nan"), float("inf")])
def test_cookie_rotation_period_must_be_positive(every: float) -> None:
    with pytest.raises(ConfigError):
        CookieJar(seeded_rng(5), 0.0, rotate_every=every)


@FEW
@given(st.binary(max_size=80))
def test_cookie_check_never_raises(data: bytes) -> None:
    jar = CookieJar(seeded_rng(5), 0.0)
    assert not jar.check(data, NI, IP, SPI, 0.0)


# --------------------------------------------------------------------------- limits


def test_max_half_open_drops_new_requests() -> None:
    ep = IKEEndpoint(responder_config(), max_half_open=3, cookie_threshold=100)
    send_init_only(ep, initiators(5), 0.0)
    assert len(ep.connections) == 3 and ep.half_open == 3
    assert ep.stats.half_open_refused == 2 and ep.stats.cookies_sent == 0


def test_max_sas_bounds_total_and_connect() -> None:
    ep = IKEEndpoint(responder_config(), max_sas=2)
    send_init_only(ep, initiators(4), 0.0)
    assert len(ep.connections) == 2 and ep.stats.sa_limit_refused == 2
    with pytest.raises(ConfigError):
        ep.connect(initiator_config(7), 0.0)
    assert len(ep.connections) == 2


def test_half_open_sas_time_out() -> None:
    ep = IKEEndpoint(responder_config(), half_open_timeout=30.0)
    peers = initiators(2)
    send_init_only(ep, peers, 5.0)
    assert ep.half_open == 2
    assert ep.get_timer() == 35.0
    ep.handle_timer(34.0)
    assert len(ep.connections) == 2
    ep.handle_timer(35.0)
    assert len(ep.connections) == 0 and ep.half_open == 0
    assert ep.stats.half_open_expired == 2 and ep.get_timer() is None


def test_completed_sa_is_not_expired_as_half_open() -> None:
    ep = IKEEndpoint(responder_config(), half_open_timeout=30.0)
    peers = initiators(1)
    [peer] = peers.values()
    peer.initiate(0.0)
    pump(ep, peers)
    ep.handle_timer(1000.0)
    assert len(ep.connections) == 1 and ep.stats.half_open_expired == 0


def test_closed_sa_lingers_answers_retransmission_then_goes() -> None:
    """RFC 7296 §2.1: a closed SA answers a retransmitted Delete from its cache while it
    lingers; after ``linger`` seconds it is removed."""
    ep = IKEEndpoint(responder_config(), linger=20.0)
    peers = initiators(1)
    addr, peer = next(iter(peers.items()))
    peer.initiate(0.0)
    pump(ep, peers)
    [conn] = ep.connections
    endpoint_events(ep)
    peer.close(10.0)
    [(delete, _)] = peer.datagrams_to_send(10.0)
    ep.receive_datagram(delete, addr, 10.0)
    assert conn.state is State.CLOSED
    [(ack, _)] = ep.datagrams_to_send(10.0)
    [ev] = endpoint_events(ep)
    assert ev.connection is conn and ev.event == IKESADeleted(local=False)
    assert ep.get_timer() == 30.0
    ep.handle_timer(29.0)
    ep.receive_datagram(delete, addr, 29.0)  # the ack was lost: asked again
    assert ep.datagrams_to_send(29.0) == [(ack, addr)]
    ep.handle_timer(30.0)
    assert len(ep.connections) == 0 and ep.stats.closed_removed == 1
    assert ep.get(conn.spi_r) is None
    ep.receive_datagram(delete, addr, 31.0)
    assert ep.datagrams_to_send(31.0) == [] and ep.stats.dropped_unknown_spi == 1


def test_policy_none_drops() -> None:
    seen: list[Address] = []

    def config_for(addr: Address) -> IKEConfig | None:
        seen.append(addr)
        return responder_config() if addr[0] == "192.0.2.1" else None

    ep = IKEEndpoint(config_for)
    peers = initiators(2)
    for conn in peers.values():
        conn.initiate(0.0)
    pump(ep, peers)
    assert peers[initiator_address(0)].state is State.ESTABLISHED
    assert peers[initiator_address(1)].state is State.INIT_SENT
    assert ep.stats.policy_refused == 1 and len(ep.connections) == 1
    assert initiator_address(1) in seen


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_half_open": 0},
        {"max_sas": 0},
        {"cookie_threshold": -1},
        {"half_open_timeout": 0.0},
        {"linger": -1.0},
    ],
)
def test_bad_limits_are_config_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        IKEEndpoint(responder_config(), **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- garbage


@FEW
@given(data=st.binary(max_size=300), port=st.sampled_from([500, 4500]))
def test_garbage_never_raises_and_never_creates_state(data: bytes, port: int) -> None:
    ep = IKEEndpoint(responder_config())
    ep.receive_datagram(data, ("192.0.2.1", 500), 0.0, local_port=port)
    assert len(ep.connections) == 0
    ep.handle_timer(100.0)
    for out, _ in ep.datagrams_to_send(100.0):
        # only an unprotected INVALID_MAJOR_VERSION answer is ever sent back
        assert decode_v2(out[4:] if port == 4500 else out).notifies()[0].notify_type == (
            NotifyType.INVALID_MAJOR_VERSION
        )


@FEW
@given(st.binary(max_size=200), st.integers(0, 255), st.integers(0, 255))
def test_garbage_after_an_init_header_creates_no_state(body: bytes, flags: int, xchg: int) -> None:
    """Headers that look like IKEv2 requests, followed by anything."""
    header = (
        b"\x11" * 8
        + bytes(8)
        + bytes([33, 0x20, xchg, flags])
        + bytes(4)
        + (28 + len(body)).to_bytes(4, "big")
    )
    ep = IKEEndpoint(responder_config(), cookie_threshold=0)
    ep.receive_datagram(header + body, ("192.0.2.1", 500), 0.0)
    assert len(ep.connections) == 0


def test_bit_flipped_init_requests_create_no_extra_state() -> None:
    peer = IKEConnection(initiator_config(0), initiator=True)
    peer.initiate(0.0)
    [(request, _)] = peer.datagrams_to_send(0.0)
    ep = IKEEndpoint(responder_config(), max_sas=64)
    rng = random.Random(11)
    for _ in range(200):
        flipped = bytearray(request)
        pos = rng.randrange(len(flipped))
        flipped[pos] ^= 1 << rng.randrange(8)
        ep.receive_datagram(bytes(flipped), initiator_address(0), 0.0)
        ep.datagrams_to_send(0.0)
    assert len(ep.connections) <= 64
    assert all(c.state is State.INIT_DONE for c in ep.connections)


# --------------------------------------------------------------------------- versions


def ikev1_header(flags: int = 0) -> bytes:
    """An ISAKMP header (RFC 2408 §3.1): Version 1.0, Identity Protection, no payloads."""
    return b"\xaa" * 8 + bytes(8) + bytes([0, 0x10, 2, flags]) + bytes(4) + (28).to_bytes(4, "big")


def test_ikev1_goes_to_the_hook() -> None:
    got: list[tuple[bytes, Address, float]] = []
    ep = IKEEndpoint(responder_config(), ikev1=lambda d, a, t: got.append((d, a, t)))
    v1 = ikev1_header()
    ep.receive_datagram(v1, ("192.0.2.1", 500), 3.0)
    ep.receive_datagram(frame_4500(v1), ("192.0.2.1", 4500), 4.0, local_port=4500)
    assert got == [(v1, ("192.0.2.1", 500), 3.0), (v1, ("192.0.2.1", 4500), 4.0)]
    assert ep.stats.ikev1_received == 2 and len(ep.connections) == 0


def test_ikev1_without_hook_is_dropped_silently() -> None:
    """RFC 7296 §2.5: INVALID_MAJOR_VERSION is for higher versions only."""
    ep = IKEEndpoint(responder_config())
    ep.receive_datagram(ikev1_header(), ("192.0.2.1", 500), 0.0)
    assert ep.datagrams_to_send(0.0) == [] and ep.stats.ikev1_dropped == 1


def higher_version_request(major: int = 3, *, flags: int = 0x08, msgid: int = 7) -> bytes:
    return (
        b"\x42" * 8
        + b"\x24" * 8
        + bytes([0, major << 4, 37, flags])
        + msgid.to_bytes(4, "big")
        + (28).to_bytes(4, "big")
    )


def test_higher_major_version_gets_invalid_major_version() -> None:
    """RFC 7296 §1.5, §2.5: unprotected response, SPIs, Message ID and Exchange Type
    copied, version 2.0 in the header, no notification data."""
    ep = IKEEndpoint(responder_config())
    ep.receive_datagram(higher_version_request(), ("192.0.2.1", 500), 0.0)
    [(answer, dest)] = ep.datagrams_to_send(0.0)
    assert dest == ("192.0.2.1", 500)
    assert answer[17] == 0x20
    msg = decode_v2(answer)
    assert msg.spi_i == b"\x42" * 8 and msg.spi_r == b"\x24" * 8
    assert msg.message_id == 7 and int(msg.exchange_type) == 37
    assert msg.is_response and not msg.is_initiator
    assert msg.payloads == (Notify(NotifyType.INVALID_MAJOR_VERSION),)
    assert len(ep.connections) == 0
    # on port 4500 the answer carries the non-ESP marker
    ep.receive_datagram(
        frame_4500(higher_version_request()), ("192.0.2.1", 4500), 0.0, local_port=4500
    )
    [(framed, _)] = ep.datagrams_to_send(0.0)
    assert framed == frame_4500(answer)


def test_higher_major_version_responses_are_not_answered() -> None:
    ep = IKEEndpoint(responder_config())
    ep.receive_datagram(higher_version_request(flags=0x20), ("192.0.2.1", 500), 0.0)
    assert ep.datagrams_to_send(0.0) == []


def test_invalid_major_version_answers_are_rate_limited() -> None:
    ep = IKEEndpoint(responder_config(), max_unprotected_per_second=4)
    for k in range(10):
        ep.receive_datagram(higher_version_request(msgid=k), ("192.0.2.1", 500), 5.5)
    assert len(ep.datagrams_to_send(5.5)) == 4
    assert ep.stats.unprotected_rate_limited == 6
    ep.receive_datagram(higher_version_request(), ("192.0.2.1", 500), 6.0)
    assert len(ep.datagrams_to_send(6.0)) == 1


# --------------------------------------------------------------------------- port 4500


def test_port_4500_keepalive_esp_and_marked_ike() -> None:
    esp_seen: list[bytes] = []
    ep = IKEEndpoint(responder_config(), esp=lambda d, a, t: esp_seen.append(d))
    peers = initiators(1)
    addr, peer = next(iter(peers.items()))
    peer.initiate(0.0)
    pump(ep, peers)
    ep.receive_datagram(NAT_KEEPALIVE, addr, 1.0, local_port=4500)
    assert ep.stats.nat_keepalives == 1
    esp = bytes.fromhex("00001000") + bytes(4) + b"payload"
    ep.receive_datagram(esp, addr, 1.0, local_port=4500)
    assert esp_seen == [esp] and ep.stats.esp_received == 1
    ep.receive_datagram(b"\x00\x00\x00", addr, 1.0, local_port=4500)
    assert ep.stats.dropped_malformed == 1
    # an IKE message behind the marker is routed by its SPIs (RFC 3948 §2.2)
    peer.close(2.0)
    [(delete, _)] = peer.datagrams_to_send(2.0)
    before = ep.stats.delivered
    ep.receive_datagram(frame_4500(delete), addr, 2.0, local_port=4500)
    assert ep.stats.delivered == before + 1 and ep.stats.dropped_unknown_spi == 0
    [conn] = ep.connections
    assert state(conn) is State.CLOSED  # the connection got it, marker and all
    # without the esp handler, ESP is counted and dropped
    bare = IKEEndpoint(responder_config())
    bare.receive_datagram(esp, addr, 1.0, local_port=4500)
    assert bare.stats.esp_dropped == 1 and bare.datagrams_to_send(1.0) == []


# --------------------------------------------------------------------------- initiator


def test_endpoint_as_initiator_via_connect() -> None:
    """Two endpoints: one connect()s, the other answers; events name the connection."""
    gw = IKEEndpoint(responder_config())
    client_addr = initiator_address(3)
    client = IKEEndpoint(responder_config(local_address=client_addr, rng=seeded_rng(77)))
    conn = client.connect(initiator_config(3), 0.0)
    assert conn.role is Role.INITIATOR and list(client.connections) == [conn]
    assert client.get(conn.spi_i) is conn
    for _ in range(10):
        moved = 0
        for data, dest in client.datagrams_to_send(0.0):
            assert dest == RESPONDER_ADDRESS
            gw.receive_datagram(data, client_addr, 0.0)
            moved += 1
        for data, dest in gw.datagrams_to_send(0.0):
            assert dest == client_addr
            client.receive_datagram(data, RESPONDER_ADDRESS, 0.0)
            moved += 1
        if not moved:
            break
    assert conn.state is State.ESTABLISHED
    events = endpoint_events(client)
    assert [type(e.event) for e in events] == [IKESAEstablished, ChildSAEstablished]
    assert all(e.connection is conn for e in events)
    [theirs] = gw.connections
    assert (theirs.spi_i, theirs.spi_r) == (conn.spi_i, conn.spi_r)
    assert client.stats.dropped_unknown_spi == 0 and gw.stats.dropped_unknown_spi == 0


def test_initiator_retransmits_through_endpoint_timer_then_fails_and_is_removed() -> None:
    ep = IKEEndpoint(responder_config(), linger=5.0)
    conn = ep.connect(initiator_config(0, retransmit_tries=2, retransmit_timeout=1.0), 0.0)
    [(first, _)] = ep.datagrams_to_send(0.0)
    assert ep.get_timer() == 1.0
    ep.handle_timer(1.0)
    [(again, _)] = ep.datagrams_to_send(1.0)
    assert again == first  # RFC 7296 §2.1: the same request
    ep.handle_timer(ep.get_timer() or 0.0)
    assert conn.state is State.FAILED
    [ev] = endpoint_events(ep)
    assert ev.connection is conn
    deadline = ep.get_timer()
    assert deadline is not None
    ep.handle_timer(deadline)
    assert len(ep.connections) == 0


def test_connections_view_is_read_only_and_live() -> None:
    ep = IKEEndpoint(responder_config())
    view = ep.connections
    conn = ep.connect(initiator_config(0), 0.0)
    assert conn in view and len(view) == 1
    assert not hasattr(view, "add") and not hasattr(view, "pop")


def test_flood_of_init_requests_keeps_state_bounded() -> None:
    """RFC 7296 §2.6: past the threshold a flood from spoofed SPIs costs no memory."""
    peer = IKEConnection(initiator_config(0), initiator=True)
    peer.initiate(0.0)
    [(request, _)] = peer.datagrams_to_send(0.0)
    ep = IKEEndpoint(responder_config(), cookie_threshold=4, max_half_open=8)
    for k in range(300):
        spoofed = k.to_bytes(8, "big") + request[8:]
        ep.receive_datagram(spoofed, (f"198.18.{k // 250}.{k % 250 + 1}", 500), 0.0)
    assert len(ep.connections) == 4 and ep.half_open == 4
    assert ep.stats.cookies_sent == 296
    assert len(ep.datagrams_to_send(0.0)) == 300


def established_endpoint() -> tuple[IKEEndpoint, Address, IKEConnection, IKEConnection]:
    ep = IKEEndpoint(responder_config())
    peers = initiators(1)
    addr, peer = next(iter(peers.items()))
    peer.initiate(0.0)
    pump(ep, peers)
    [conn] = ep.connections
    endpoint_events(ep)
    drain(peer)
    return ep, addr, peer, conn


def test_touch_after_acting_on_a_connection_directly() -> None:
    ep, addr, peer, conn = established_endpoint()
    conn.close(5.0)  # the responder deletes the IKE SA (RFC 7296 §1.4.1)
    ep.touch(conn, 5.0)
    [(delete, dest)] = ep.datagrams_to_send(5.0)
    assert dest == addr
    assert ep.get_timer() == 5.0 + conn.config.retransmit_timeout
    peer.receive_datagram(delete, RESPONDER_ADDRESS, 5.0)
    assert drain(peer) == [IKESADeleted(local=False)]
    [(ack, _)] = peer.datagrams_to_send(5.0)
    ep.receive_datagram(ack, addr, 5.1)
    assert state(conn) is State.CLOSED
    [ev] = endpoint_events(ep)
    assert ev == EndpointEvent(conn, IKESADeleted(local=True))
    with pytest.raises(ConfigError):
        ep.touch(peer, 5.0)


def test_untouched_change_is_picked_up_by_the_timer_sweep() -> None:
    ep, addr, _peer, conn = established_endpoint()
    conn.close(5.0)
    assert ep.datagrams_to_send(5.0) == []
    ep.handle_timer(5.0)
    [(delete, dest)] = ep.datagrams_to_send(5.0)
    assert dest == addr and decode_v2(delete).exchange_type == ExchangeType.INFORMATIONAL
    assert ep.get_timer() == 5.0 + conn.config.retransmit_timeout


def test_timer_tracks_retransmissions_until_given_up() -> None:
    """The responder's Delete is never answered: RFC 7296 §2.4 retransmissions, then
    FAILED, linger, removal; every deadline comes from get_timer."""
    ep, _addr, _peer, conn = established_endpoint()
    conn.close(0.0)
    ep.touch(conn, 0.0)
    sent = len(ep.datagrams_to_send(0.0))
    for _ in range(50):
        deadline = ep.get_timer()
        if deadline is None:
            break
        ep.handle_timer(deadline)
        sent += len(ep.datagrams_to_send(deadline))
    assert sent == conn.config.retransmit_tries
    assert len(ep.connections) == 0 and ep.get_timer() is None


def test_same_spi_i_after_the_sa_closed_starts_a_new_sa() -> None:
    ep, addr, peer, conn = established_endpoint()
    peer.close(1.0)
    pump(ep, {addr: peer}, 1.0)
    assert state(conn) is State.CLOSED and len(ep.connections) == 1  # lingering
    again = IKEConnection(initiator_config(0), initiator=True)  # same rng: same SPIi
    again.initiate(2.0)
    assert again.spi_i == peer.spi_i
    pump(ep, {addr: again}, 2.0)
    assert again.state is State.ESTABLISHED
    assert len(ep.connections) == 2 and again.spi_r != peer.spi_r


@pytest.mark.parametrize("threshold", [0, 100])
def test_ike_sa_init_on_port_4500_is_answered_on_4500(threshold: int) -> None:
    """RFC 7296 §2.23 lets an initiator start on 4500; answers carry the marker."""
    ep = IKEEndpoint(responder_config(), cookie_threshold=threshold)
    peer = IKEConnection(initiator_config(0), initiator=True)
    peer.initiate(0.0)
    [(request, _)] = peer.datagrams_to_send(0.0)
    ep.receive_datagram(frame_4500(request), ("192.0.2.1", 4500), 0.0, local_port=4500)
    [(answer, dest)] = ep.datagrams_to_send(0.0)
    assert dest == ("192.0.2.1", 4500) and answer[:4] == bytes(4)
    msg = decode_v2(answer[4:])
    assert msg.spi_i == peer.spi_i and msg.is_response
    kinds = [int(n.notify_type) for n in msg.notifies()]
    assert (NotifyType.COOKIE in kinds) == (threshold == 0)
    assert len(ep.connections) == (0 if threshold == 0 else 1)


def test_new_local_spi_of_a_connection_is_routed_and_old_ones_bounded() -> None:
    """An IKE SA rekey (RFC 7296 §2.18) gives the connection a new SPI of ours; the
    endpoint routes both, keeping at most three per connection."""
    ep, _addr, _peer, conn = established_endpoint()
    first = conn.spi_r
    spis = [bytes([k]) * 8 for k in (1, 2, 3)]
    conn.spi_r = spis[0]
    ep.touch(conn, 1.0)
    assert ep.get(spis[0]) is conn and ep.get(first) is conn
    for spi in spis[1:]:
        conn.spi_r = spi
        ep.touch(conn, 1.0)
    assert ep.get(first) is None
    assert all(ep.get(spi) is conn for spi in spis)


def _shuttle(client: IKEEndpoint, client_addr: Address, gw: IKEEndpoint, now: float) -> None:
    for _ in range(20):
        moved = 0
        for data, _dest in client.datagrams_to_send(now):
            gw.receive_datagram(data, client_addr, now)
            moved += 1
        for data, _dest in gw.datagrams_to_send(now):
            client.receive_datagram(data, RESPONDER_ADDRESS, now)
            moved += 1
        if not moved:
            return


def _run_timers(eps: list[IKEEndpoint], now: float) -> None:
    for ep in eps:
        timer = ep.get_timer()
        if timer is not None and timer <= now:
            ep.handle_timer(now)


def test_endpoint_reauthenticates_make_before_break_and_follows_ike_rekeys() -> None:
    """RFC 7296 §2.8.3 through the endpoint: at the reauthentication time a new IKE SA
    is built from scratch beside the old one, and the old one is deleted only once
    the new one is established. Before that, an IKE SA rekey (§2.18) changes the
    SPIs the endpoint routes by, both ways."""
    gw = IKEEndpoint(responder_config())
    client_addr = initiator_address(4)
    client = IKEEndpoint(responder_config(local_address=client_addr, rng=seeded_rng(78)))
    conn = client.connect(initiator_config(4, reauth_time=5000.0, rekey_jitter=0.0), 0.0)
    _shuttle(client, client_addr, gw, 0.0)
    [theirs] = gw.connections
    assert conn.state is State.ESTABLISHED is theirs.state
    theirs.rekey_ike(10.0)  # the gateway rekeys: new SPIs on both sides
    gw.touch(theirs, 10.0)
    _shuttle(client, client_addr, gw, 10.0)
    assert conn.generation == 2 and (conn.spi_i, conn.spi_r) == (theirs.spi_i, theirs.spi_r)
    conn.send_liveness(11.0)  # routed by the new SPIs
    client.touch(conn, 11.0)
    _shuttle(client, client_addr, gw, 11.0)
    assert conn.state is State.ESTABLISHED and not conn._outstanding
    endpoint_events(client), endpoint_events(gw)
    _run_timers([client, gw], 5000.0)
    _shuttle(client, client_addr, gw, 5000.0)
    assert len(client.connections) == 2  # the new one beside the old, now closed
    new = next(c for c in client.connections if c is not conn)
    assert new.state is State.ESTABLISHED and conn.state is State.CLOSED
    assert new.child_sas and new.keys != conn.keys
    assert sorted(c.state.value for c in gw.connections) == ["CLOSED", "ESTABLISHED"]
    events = [type(e.event).__name__ for e in endpoint_events(client)]
    assert events.index("IKESAEstablished") < events.index("IKESADeleted")
