"""Many IKE SAs on one UDP port, sans-IO (RFC 7296 §2.1, §2.5, §2.6, §3.1).

:class:`IKEEndpoint` has the shape of :class:`~ikewire.connection.ike_sa.IKEConnection`
(aioquic's): :meth:`~IKEEndpoint.receive_datagram`, :meth:`~IKEEndpoint.datagrams_to_send`,
:meth:`~IKEEndpoint.get_timer` / :meth:`~IKEEndpoint.handle_timer` and
:meth:`~IKEEndpoint.next_event`. It owns the connections it creates (responders, one
per new IKE_SA_INIT request) or is given to start (:meth:`~IKEEndpoint.connect`).

Demultiplexing (RFC 7296 §2.6, §3.1): the I flag says whether the sender is the
original initiator. If it is, we are the responder and our SPI is the header's IKE SA
Responder's SPI; while that is zero (IKE_SA_INIT and its retransmissions) the SA is
found by (IKE SA Initiator's SPI, peer address). If it is not, we are the initiator and
our SPI is the IKE SA Initiator's SPI. Nothing else of the header is trusted: the
connection checks the rest.

Resource limits (RFC 7296 §2.6, §2.21.1): at ``cookie_threshold`` half-open SAs
(responders that answered IKE_SA_INIT and wait for IKE_AUTH) a new IKE_SA_INIT request
without a valid COOKIE gets a stateless N(COOKIE) and leaves no state; at
``max_half_open`` or ``max_sas`` new requests are dropped. Half-open SAs are removed
after ``half_open_timeout`` seconds; CLOSED and FAILED connections linger ``linger``
seconds (they answer retransmitted requests from their response cache, §2.1) and are
then removed.
"""

from __future__ import annotations

import dataclasses
import functools
import heapq
import ipaddress
import itertools
import math
import os
from collections import deque
from collections.abc import Callable, KeysView
from dataclasses import dataclass

from ..constants import ExchangeType, NotifyType
from ..errors import ConfigError, DecodeError, IKEError
from ..wire.codec import HEADER_LENGTH, decode_v2, encode_v2
from ..wire.framing import Kind, classify_4500, frame_4500
from ..wire.models import FLAG_INITIATOR, FLAG_RESPONSE, Message, Nonce, Notify
from ..wire.notify import cookie
from .config import IKEConfig, Rng
from .cookies import CookieJar
from .events import Event, IKESAEstablished, ReauthenticationDue
from .ike_sa import IKEConnection
from .state import Role, State

__all__ = [
    "ConfigFor",
    "DatagramHandler",
    "EndpointEvent",
    "EndpointStats",
    "IKEEndpoint",
]

Address = tuple[str, int]
#: ``config_for(addr)``: the responder configuration for a peer, or None to ignore it.
ConfigFor = Callable[[Address], IKEConfig | None]
#: ``handler(data, addr, now)`` for IKEv1 messages or UDP-encapsulated ESP packets.
DatagramHandler = Callable[[bytes, Address, float], None]

_ZERO_SPI = bytes(8)
_NAT_T_PORT = 4500
_IKE_MAJOR_VERSION = 2
_CLOSED_STATES = (State.CLOSED, State.FAILED)
_SPIS_PER_SA = 3  # our SPIs routed to one connection: the current and two rekeyed away


@dataclass(frozen=True, slots=True)
class EndpointEvent:
    """An event of one of the endpoint's connections: ``event`` happened on
    ``connection`` (the same object :attr:`IKEEndpoint.connections` lists)."""

    connection: IKEConnection
    event: Event


@dataclass(slots=True)
class EndpointStats:
    """Counters of what the endpoint did with the datagrams it was given."""

    received: int = 0  # datagrams passed to receive_datagram
    delivered: int = 0  # handed to an existing connection
    created: int = 0  # new responder SAs (IKE_SA_INIT answered with state)
    dropped_malformed: int = 0  # not an IKE message, or not decodable
    dropped_unknown_spi: int = 0  # no SA for its SPIs, or a response to nothing
    cookies_sent: int = 0  # stateless N(COOKIE) answers (RFC 7296 §2.6)
    cookies_accepted: int = 0  # IKE_SA_INIT requests let in by a valid COOKIE
    half_open_refused: int = 0  # dropped at max_half_open
    sa_limit_refused: int = 0  # dropped at max_sas
    policy_refused: int = 0  # config_for(addr) returned None
    init_refused: int = 0  # answered statelessly by a connection (e.g. INVALID_KE_PAYLOAD)
    spi_collisions: int = 0  # a fresh local SPI was already in use; request dropped
    ikev1_received: int = 0  # major version 1, handed to the ikev1 handler
    ikev1_dropped: int = 0  # major version 1 without a handler
    invalid_major_version_sent: int = 0  # RFC 7296 §1.5, §2.5
    unprotected_rate_limited: int = 0  # INVALID_MAJOR_VERSION answers not sent
    nat_keepalives: int = 0  # RFC 3948 §2.3, dropped
    esp_received: int = 0  # RFC 3948 §2.1, handed to the esp handler
    esp_dropped: int = 0  # ESP without a handler
    pending_overflow: int = 0  # stateless answers dropped: the send queue was full
    connection_errors: int = 0  # an IKEError raised by a connection (datagram dropped)
    half_open_expired: int = 0  # removed after half_open_timeout
    closed_removed: int = 0  # CLOSED/FAILED connections removed after linger


@dataclass(slots=True, eq=False)
class _Entry:
    conn: IKEConnection
    created: float
    local_spis: list[bytes]  # ours, newest last (a rekeyed IKE SA has new SPIs)
    init_key: tuple[bytes, Address] | None  # (SPIi, peer) for responders
    half_open: bool = False
    closed_at: float | None = None
    deadline: float | None = None  # earliest of the three timers, as last pushed
    removed: bool = False


@functools.lru_cache(maxsize=1024)
def _packed(address: str) -> bytes:
    """IPi for the cookie (RFC 7296 §2.6): the address in network order."""
    try:
        return ipaddress.ip_address(address).packed
    except ValueError:
        raise ConfigError(f"{address!r} is not an IP address") from None


def _positive(name: str, value: float) -> float:
    if not value > 0 or math.isinf(value):
        raise ConfigError(f"{name} must be a positive number")
    return float(value)


class IKEEndpoint:
    """One UDP port (500, and 4500 after NAT detection), many IKE SAs (RFC 7296).

    ``config`` is the responder configuration for every peer, or a callable
    ``config_for(addr) -> IKEConfig | None`` choosing one per peer address (None: the
    request is ignored). A config with ``require_cookie`` makes the endpoint demand a
    COOKIE from that peer whatever the load; the connection itself then does not.

    ``ikev1(data, addr, now)`` receives IKEv1 (ISAKMP) messages, without the port-4500
    non-ESP marker; ``esp(data, addr, now)`` receives UDP-encapsulated ESP packets that
    arrived on port 4500 (RFC 3948 §2.1). Without a handler they are dropped and
    counted. ``cookies`` may be a shared :class:`~ikewire.connection.cookies.CookieJar`;
    by default one is made on first use from ``rng`` (default: the config's rng, or
    ``os.urandom`` with ``config_for``), rotating every ``cookie_rotate_every`` seconds.

    Events come out of :meth:`next_event` as :class:`EndpointEvent` pairs, oldest
    first; they wait until taken (never dropped: they carry keys), so take them.
    A responder that answers IKE_SA_INIT without keeping state (INVALID_KE_PAYLOAD,
    NO_PROPOSAL_CHOSEN, RFC 7296 §1.3, §2.21.1) is discarded with its events. Counters
    are in :attr:`stats`.

    Cost: receiving, sending and timers touch only the connections concerned (a
    deadline heap and a set of connections with output), not all of them. So when you
    call a method of a connection yourself (``close``, ``create_child`` ...), tell the
    endpoint with :meth:`touch`; otherwise the change is picked up by
    :meth:`handle_timer`'s sweep of every connection, at most every ``sweep_interval``
    seconds. Every table is bounded: at most ``max_sas`` connections, at most
    ``max_pending`` stateless answers waiting to be sent, at most
    ``max_unprotected_per_second`` INVALID_MAJOR_VERSION answers per second.
    Not thread-safe; one caller at a time.
    """

    def __init__(
        self,
        config: IKEConfig | ConfigFor,
        *,
        max_half_open: int = 1024,
        cookie_threshold: int = 128,
        max_sas: int = 16384,
        half_open_timeout: float = 30.0,
        linger: float = 30.0,
        ikev1: DatagramHandler | None = None,
        esp: DatagramHandler | None = None,
        cookies: CookieJar | None = None,
        cookie_rotate_every: float = 300.0,
        rng: Rng | None = None,
        max_pending: int = 1024,
        max_unprotected_per_second: int = 16,
        sweep_interval: float = 1.0,
    ) -> None:
        if isinstance(config, IKEConfig):
            fixed = config
            self._config_for: ConfigFor = lambda addr: fixed
            default_rng: Rng = config.rng
        elif callable(config):
            self._config_for = config
            default_rng = os.urandom
        else:
            raise ConfigError("config must be an IKEConfig or a callable config_for(addr)")
        for name, count in (
            ("max_half_open", max_half_open),
            ("max_sas", max_sas),
            ("max_pending", max_pending),
        ):
            if count < 1:
                raise ConfigError(f"{name} must be at least 1")
        if cookie_threshold < 0 or max_unprotected_per_second < 0:
            raise ConfigError("cookie_threshold and max_unprotected_per_second must be >= 0")
        self.max_half_open = max_half_open
        self.cookie_threshold = cookie_threshold
        self.max_sas = max_sas
        self.half_open_timeout = _positive("half_open_timeout", half_open_timeout)
        self.linger = _positive("linger", linger)
        self._cookie_rotate_every = _positive("cookie_rotate_every", cookie_rotate_every)
        self.sweep_interval = _positive("sweep_interval", sweep_interval)
        self._last_sweep = -math.inf
        self._rng = rng if rng is not None else default_rng
        self._jar = cookies
        self._ikev1 = ikev1
        self._esp = esp
        self._max_pending = max_pending
        self._max_unprotected = max_unprotected_per_second
        self._unprotected_window = -math.inf
        self._unprotected_count = 0
        self.stats = EndpointStats()
        self._entries: dict[IKEConnection, _Entry] = {}
        self._by_spi: dict[bytes, _Entry] = {}  # our SPI -> SA
        self._by_init: dict[tuple[bytes, Address], _Entry] = {}  # (SPIi, peer) -> responder
        self._half_open = 0
        self._dirty: dict[_Entry, None] = {}  # connections that may have output
        self._heap: list[tuple[float, int, _Entry]] = []  # (deadline, tie, entry), lazy
        self._tie = itertools.count()
        self._pending: list[tuple[bytes, Address]] = []
        self._events: deque[EndpointEvent] = deque()
        # reauthentication (RFC 7296 §2.8.3): successor -> the IKE SA it replaces
        self._reauth_of: dict[IKEConnection, IKEConnection] = {}
        self._to_register: list[_Entry] = []
        self._to_observe: list[IKEConnection] = []

    # ------------------------------------------------------------------ views

    @property
    def connections(self) -> KeysView[IKEConnection]:
        """The live connections (a read-only view; removed ones disappear from it)."""
        return self._entries.keys()

    @property
    def half_open(self) -> int:
        """Responder SAs that answered IKE_SA_INIT and wait for IKE_AUTH (RFC 7296 §2.6)."""
        return self._half_open

    @property
    def cookie_jar(self) -> CookieJar | None:
        """The cookie jar, once made (on the first cookie) or as given."""
        return self._jar

    def get(self, local_spi: bytes) -> IKEConnection | None:
        """The connection whose own IKE SPI (SPIr as responder, SPIi as initiator) is
        ``local_spi``, or None."""
        entry = self._by_spi.get(local_spi)
        return entry.conn if entry is not None else None

    # ------------------------------------------------------------------ sans-IO API

    def touch(self, conn: IKEConnection, now: float) -> None:
        """After calling a method of ``conn`` yourself: take its output, events, timer
        and state into account now. ConfigError if it is not one of ours."""
        entry = self._entries.get(conn)
        if entry is None:
            raise ConfigError("not a connection of this endpoint")
        self._observe(entry, now)

    def connect(self, config: IKEConfig, now: float) -> IKEConnection:
        """Start an IKE SA as initiator towards ``config.remote_address`` (RFC 7296 §1.2);
        its IKE_SA_INIT request comes out of :meth:`datagrams_to_send`.

        ConfigError at ``max_sas`` connections, or when the config is unusable.
        """
        if len(self._entries) >= self.max_sas:
            raise ConfigError(f"the endpoint holds max_sas={self.max_sas} connections")
        for _ in range(4):  # a used 64-bit SPI is drawn again: bounded, almost never twice
            conn = IKEConnection(config, initiator=True)
            conn.initiate(now)
            if conn.spi_i not in self._by_spi:
                break
            self.stats.spi_collisions += 1
        else:
            raise ConfigError("the rng keeps drawing initiator SPIs already in use")
        self._register(_Entry(conn, now, [conn.spi_i], None), now)
        return conn

    def receive_datagram(
        self, data: bytes, addr: Address, now: float, *, local_port: int = 500
    ) -> None:
        """Handle one UDP payload from ``addr`` that arrived on our ``local_port``.

        On port 4500 (RFC 3948 §2) NAT-keepalives are dropped, ESP goes to the ``esp``
        handler, and IKE messages are routed by the header after the non-ESP marker but
        handed to their connection unchanged, marker included. Nothing here raises for
        any ``data``: what cannot be routed is dropped and counted in :attr:`stats`.
        """
        data = bytes(data)
        self.stats.received += 1
        ike = data
        framed = local_port == _NAT_T_PORT
        if framed:
            kind, body, _ = classify_4500(data)
            if kind is Kind.NAT_KEEPALIVE:
                self.stats.nat_keepalives += 1
                return
            if kind is Kind.ESP:
                if self._esp is None:
                    self.stats.esp_dropped += 1
                else:
                    self.stats.esp_received += 1
                    self._esp(body, addr, now)
                return
            if kind is not Kind.IKE:
                self.stats.dropped_malformed += 1
                return
            ike = body
        if len(ike) < HEADER_LENGTH:
            self.stats.dropped_malformed += 1
            return
        major = ike[17] >> 4
        if major == 1:
            self._on_ikev1(ike, addr, now)
            return
        if major > _IKE_MAJOR_VERSION:
            self._on_higher_version(ike, addr, now, framed)
            return
        if major != _IKE_MAJOR_VERSION:
            self.stats.dropped_malformed += 1
            return
        try:
            msg = decode_v2(ike)
        except DecodeError:
            self.stats.dropped_malformed += 1
            return
        self._route(msg, data, addr, now, framed)

    def datagrams_to_send(self, now: float) -> list[tuple[bytes, Address]]:
        """Every datagram to send now, with its destination: the endpoint's stateless
        answers, then each connection's."""
        out, self._pending = self._pending, []
        dirty, self._dirty = self._dirty, {}
        for entry in dirty:
            if not entry.removed:
                out.extend(entry.conn.datagrams_to_send(now))
        return out

    def get_timer(self) -> float | None:
        """The earliest deadline: a connection's retransmission, a half-open SA's
        expiry or a closed connection's end of linger; None if there is none."""
        heap = self._heap
        while heap:
            deadline, _, entry = heap[0]
            if not entry.removed and entry.deadline == deadline:
                return deadline
            heapq.heappop(heap)  # stale: the entry moved on or is gone
        return None

    def handle_timer(self, now: float) -> None:
        """Fire the connections' due timers (RFC 7296 §2.4 retransmissions), remove
        half-open SAs older than ``half_open_timeout`` and closed connections older
        than ``linger``; every ``sweep_interval`` also look at every connection."""
        if now >= self._last_sweep + self.sweep_interval:
            self._last_sweep = now
            for entry in list(self._entries.values()):
                self._observe(entry, now)
        due: dict[_Entry, None] = {}
        heap = self._heap
        while heap and heap[0][0] <= now:
            deadline, _, entry = heapq.heappop(heap)
            if not entry.removed and entry.deadline == deadline:
                due[entry] = None
        for entry in due:
            t = entry.conn.get_timer()
            if t is not None and t <= now:
                try:
                    entry.conn.handle_timer(now)
                except IKEError:
                    self.stats.connection_errors += 1
            entry.deadline = None  # its heap item is gone: push the next one
            self._observe(entry, now)
            if entry.half_open and now >= entry.created + self.half_open_timeout:
                self.stats.half_open_expired += 1
                self._remove(entry, now)
            elif entry.closed_at is not None and now >= entry.closed_at + self.linger:
                self.stats.closed_removed += 1
                self._remove(entry, now)

    def next_event(self) -> EndpointEvent | None:
        """The oldest event of any connection, with its connection, or None."""
        return self._events.popleft() if self._events else None

    # ------------------------------------------------------------------ routing

    def _route(self, msg: Message, data: bytes, addr: Address, now: float, framed: bool) -> None:
        """RFC 7296 §3.1: the I flag says which SPI is ours."""
        entry: _Entry | None
        if msg.is_initiator:
            if msg.spi_r == _ZERO_SPI:
                entry = self._by_init.get((msg.spi_i, addr))
                new_sa = (
                    not msg.is_response
                    and msg.exchange_type == ExchangeType.IKE_SA_INIT
                    and msg.message_id == 0
                )
                # A closed SA (lingering) does not own its (SPIi, peer) any more: a new
                # IKE_SA_INIT with the same SPIi starts a new SA.
                if entry is None or (new_sa and entry.closed_at is not None):
                    if new_sa:
                        self._admit(msg, data, addr, now, framed)
                    else:
                        self.stats.dropped_unknown_spi += 1
                    return
            else:
                entry = self._by_spi.get(msg.spi_r)
        else:
            # Our SPIs, responder and initiator alike, share one table without
            # collisions, so the SPI alone names the SA; its connection checks the rest.
            entry = self._by_spi.get(msg.spi_i)
        if entry is None:
            self.stats.dropped_unknown_spi += 1
            return
        self.stats.delivered += 1
        self._deliver(entry, data, addr, now)

    def _deliver(self, entry: _Entry, data: bytes, addr: Address, now: float) -> None:
        try:
            entry.conn.receive_datagram(data, addr, now)
        except IKEError:
            self.stats.connection_errors += 1
        self._observe(entry, now)

    def _admit(self, msg: Message, data: bytes, addr: Address, now: float, framed: bool) -> None:
        """A new IKE_SA_INIT request (RFC 7296 §1.2): limits, policy, COOKIE (§2.6), then
        a responder connection, kept only if it answered with state (INIT_DONE)."""
        if len(self._entries) >= self.max_sas:
            self.stats.sa_limit_refused += 1
            return
        if self._half_open >= self.max_half_open:
            self.stats.half_open_refused += 1
            return
        config = self._config_for(addr)
        if config is None:
            self.stats.policy_refused += 1
            return
        if config.require_cookie or self._half_open >= self.cookie_threshold:
            if not self._cookie_ok(msg, addr, now, framed):
                return
            if config.require_cookie:
                # the endpoint checked it; the connection would use its own secret
                config = dataclasses.replace(config, require_cookie=False)
        conn = IKEConnection(config, initiator=False)
        try:
            conn.receive_datagram(data, addr, now)
        except IKEError:
            self.stats.connection_errors += 1
            return
        if conn.state is not State.INIT_DONE:
            # RFC 7296 §1.3, §2.21.1: INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN or nothing
            # at all; the answer (if any) goes out, no state stays.
            self.stats.init_refused += 1
            self._queue_many(conn.datagrams_to_send(now))
            return
        if conn.spi_r in self._by_spi:
            self.stats.spi_collisions += 1  # the initiator retransmits; a new SPI then
            return
        self.stats.created += 1
        self._register(_Entry(conn, now, [conn.spi_r], (msg.spi_i, addr)), now)

    def _cookie_ok(self, msg: Message, addr: Address, now: float, framed: bool) -> bool:
        """RFC 7296 §2.6: a valid N(COOKIE) first, or a stateless N(COOKIE) answer."""
        nonce = msg.get(Nonce)
        if type(nonce) is not Nonce:
            self.stats.dropped_malformed += 1  # §2.21.1: no Ni, nothing to answer
            return False
        jar = self._jar
        if jar is None:
            jar = self._jar = CookieJar(self._rng, now, rotate_every=self._cookie_rotate_every)
        ip = _packed(addr[0])
        first = msg.payloads[0]
        if (
            type(first) is Notify
            and first.notify_type == NotifyType.COOKIE
            and jar.check(first.data, nonce.data, ip, msg.spi_i, now)
        ):
            self.stats.cookies_accepted += 1
            return True
        answer = Message.create(
            ExchangeType.IKE_SA_INIT,
            [cookie(jar.make(nonce.data, ip, msg.spi_i, now))],
            spi_i=msg.spi_i,
            spi_r=_ZERO_SPI,
            message_id=0,
            initiator=False,
            response=True,
        )
        if self._queue(encode_v2(answer), addr, framed):
            self.stats.cookies_sent += 1
        return False

    # ------------------------------------------------------------------ other versions

    def _on_ikev1(self, ike: bytes, addr: Address, now: float) -> None:
        """Major version 1 (ISAKMP, RFC 2408 §3.1). RFC 7296 §2.5 asks for
        INVALID_MAJOR_VERSION only for a *higher* major version, and §1.5 lists only
        that case; IKEv1 is lower and its peer would not read an IKEv2 answer, so
        without an ``ikev1`` handler the message is dropped (the usual policy)."""
        if self._ikev1 is None:
            self.stats.ikev1_dropped += 1
            return
        self.stats.ikev1_received += 1
        self._ikev1(ike, addr, now)

    def _on_higher_version(self, ike: bytes, addr: Address, now: float, framed: bool) -> None:
        """RFC 7296 §2.5: a higher major version is dropped and SHOULD be answered with
        an unauthenticated INVALID_MAJOR_VERSION naming version 2.0 in the header. §1.5:
        the answer is a response with the request's IKE SPIs, Message ID and Exchange
        Type, sent where the request came from, no notification data. Responses are
        never answered (§1.5), and answers are limited per second of the clock."""
        flags = ike[19]
        if flags & FLAG_RESPONSE:
            self.stats.dropped_malformed += 1
            return
        window = math.floor(now)
        if window != self._unprotected_window:
            self._unprotected_window = window
            self._unprotected_count = 0
        if self._unprotected_count >= self._max_unprotected:
            self.stats.unprotected_rate_limited += 1
            return
        self._unprotected_count += 1
        answer = Message.create(
            ike[18],
            [Notify(NotifyType.INVALID_MAJOR_VERSION)],
            spi_i=ike[0:8],
            spi_r=ike[8:16],
            message_id=int.from_bytes(ike[20:24], "big"),
            initiator=not flags & FLAG_INITIATOR,
            response=True,
        )
        if self._queue(encode_v2(answer), addr, framed):
            self.stats.invalid_major_version_sent += 1

    # ------------------------------------------------------------------ bookkeeping

    def _queue(self, data: bytes, addr: Address, framed: bool) -> bool:
        if len(self._pending) >= self._max_pending:
            self.stats.pending_overflow += 1
            return False
        self._pending.append((frame_4500(data) if framed else data, addr))
        return True

    def _queue_many(self, datagrams: list[tuple[bytes, Address]]) -> None:
        for item in datagrams:
            if len(self._pending) >= self._max_pending:
                self.stats.pending_overflow += 1
                return
            self._pending.append(item)

    def _register(self, entry: _Entry, now: float) -> None:
        self._entries[entry.conn] = entry
        self._by_spi[entry.local_spis[0]] = entry
        if entry.init_key is not None:
            self._by_init[entry.init_key] = entry
        self._observe(entry, now)

    def _take_events(self, entry: _Entry, now: float) -> None:
        conn = entry.conn
        for _ in range(1000):  # bounded: a connection queues a handful per exchange
            event = conn.next_event()
            if event is None:
                break
            self._events.append(EndpointEvent(conn, event))
            if isinstance(event, ReauthenticationDue) and len(self._entries) < self.max_sas:
                # RFC 7296 §2.8.3, make-before-break: a new IKE SA from scratch now,
                # the old one closed once the new one is established
                successor = conn.reauthenticate(now)
                self._reauth_of[successor] = conn
                self._to_register.append(_Entry(successor, now, [successor.spi_i], None))
            elif isinstance(event, IKESAEstablished) and conn in self._reauth_of:
                old = self._reauth_of.pop(conn)
                if old.state is State.ESTABLISHED:
                    old.close(now)
                    self._to_observe.append(old)
            if isinstance(event, IKESAEstablished) and event.initial_contact:
                self._initial_contact(conn, now)

    def _initial_contact(self, conn: IKEConnection, now: float) -> None:
        """RFC 7296 §2.4: the peer of ``conn`` asserted it has no other IKE SA with us;
        every other IKE SA between the same identities is gone at its end, and is
        discarded here without an exchange (its Child SAs with it)."""
        local, remote = conn.config.local_id, conn.remote_identity
        for other in list(self._entries):
            if (
                other is not conn
                and other.state in (State.ESTABLISHED, State.DELETING)
                and other.remote_identity == remote
                and other.config.local_id == local
            ):
                other.discard(now)
                self._to_observe.append(other)

    def _observe(self, entry: _Entry, now: float) -> None:
        """After the connection may have changed: note its output, take its events,
        update the half-open count, closure and deadline."""
        self._dirty[entry] = None
        self._take_events(entry, now)
        conn = entry.conn
        half_open = conn.role is Role.RESPONDER and conn.state is State.INIT_DONE
        if half_open != entry.half_open:
            self._half_open += 1 if half_open else -1
            entry.half_open = half_open
        if entry.closed_at is None and conn.state in _CLOSED_STATES:
            entry.closed_at = now
        spi = conn.spi_r if conn.role is Role.RESPONDER else conn.spi_i
        if spi != entry.local_spis[-1]:
            self._add_spi(entry, spi)
        deadline = conn.get_timer()
        if entry.half_open:
            expiry = entry.created + self.half_open_timeout
            deadline = expiry if deadline is None else min(deadline, expiry)
        if entry.closed_at is not None:
            expiry = entry.closed_at + self.linger
            deadline = expiry if deadline is None else min(deadline, expiry)
        if deadline != entry.deadline:
            entry.deadline = deadline
            if deadline is not None:
                heapq.heappush(self._heap, (deadline, next(self._tie), entry))
                if len(self._heap) > 2 * len(self._entries) + 64:
                    self._compact()
        # successors made for reauthentication, and the IKE SAs they replace
        for _ in range(64):  # bounded: one or two per observed connection
            if self._to_register:
                self._register(self._to_register.pop(), now)
            elif self._to_observe:
                old = self._entries.get(self._to_observe.pop())
                if old is not None:
                    self._observe(old, now)
            else:
                break

    def _add_spi(self, entry: _Entry, spi: bytes) -> None:
        """The connection now uses another SPI of ours (an IKE SA rekey, RFC 7296
        §2.18): route it here too, keeping the last ``_SPIS_PER_SA`` (the old SA's
        Delete still uses the old SPIs)."""
        if spi == _ZERO_SPI or len(spi) != len(_ZERO_SPI) or spi in entry.local_spis:
            return
        if spi in self._by_spi:
            self.stats.spi_collisions += 1
            return
        self._by_spi[spi] = entry
        entry.local_spis.append(spi)
        if len(entry.local_spis) > _SPIS_PER_SA:
            old = entry.local_spis.pop(0)
            if self._by_spi.get(old) is entry:
                del self._by_spi[old]

    def _compact(self) -> None:
        """Drop stale heap items (bounded memory: at most one live item per entry)."""
        self._heap = [
            item for item in self._heap if not item[2].removed and item[2].deadline == item[0]
        ]
        heapq.heapify(self._heap)

    def _remove(self, entry: _Entry, now: float) -> None:
        # what it still had to say is kept: answers and events
        self._queue_many(entry.conn.datagrams_to_send(now))
        self._take_events(entry, now)
        self._reauth_of.pop(entry.conn, None)
        if entry.half_open:
            self._half_open -= 1
            entry.half_open = False
        entry.removed = True
        self._dirty.pop(entry, None)
        del self._entries[entry.conn]
        for spi in entry.local_spis:
            if self._by_spi.get(spi) is entry:
                del self._by_spi[spi]
        if entry.init_key is not None and self._by_init.get(entry.init_key) is entry:
            del self._by_init[entry.init_key]
