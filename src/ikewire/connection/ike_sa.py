"""One IKE SA, sans-IO (RFC 7296): datagrams and time in, datagrams and events out.

The API is aioquic's: :meth:`IKEConnection.receive_datagram`,
:meth:`~IKEConnection.datagrams_to_send`, :meth:`~IKEConnection.get_timer` /
:meth:`~IKEConnection.handle_timer` and :meth:`~IKEConnection.next_event`; every
state change goes through the table in :mod:`ikewire.connection.state`.

:class:`IKEConnection` holds the public API and the dispatch of received messages
(§2.1-§2.3) and joins one class per exchange, each in its module, on the shared core
(:mod:`~ikewire.connection.sa_core`: state, request window, retransmission, response
cache, SK sealing, NAT detection; :mod:`~ikewire.connection.sa_records`: the Child
SA record and shared helpers):

- :mod:`~ikewire.connection.ike_sa_init`: IKE_SA_INIT (§1.2, §1.3, §2.6, §2.23);
- :mod:`~ikewire.connection.intermediate`: IKE_INTERMEDIATE (RFC 9242, RFC 9370);
- :mod:`~ikewire.connection.ike_auth`: IKE_AUTH and the first Child SA (§1.2, §2.15,
  §2.9, §2.17), certificates, hash and URL, PPK (RFC 8784);
- :mod:`~ikewire.connection.create_child`: CREATE_CHILD_SA and IKE_FOLLOWUP_KE (§1.3,
  §2.8, §2.18, RFC 9370 §2.2.4);
- :mod:`~ikewire.connection.lifetimes`: rekey, expiry and reauthentication deadlines
  (§2.8, §2.8.3);
- :mod:`~ikewire.connection.informational`: INFORMATIONAL (§1.4).
"""

from __future__ import annotations

from ..constants import (
    EncrId,
    ExchangeType,
    IntegId,
    KeyExchangeMethod,
    PrfId,
    ProtocolId,
    to_enum,
)
from ..errors import ConfigError, DecodeError
from ..wire.codec import (
    decode_v2,
)
from ..wire.models import (
    SKF,
    Message,
    Payload,
)
from .create_child import CreateChildExchange
from .events import (
    Event,
    IKESADeleted,
    PeerDead,
    RetransmitTimeout,
)
from .fragments import (
    FragmentStatus,
    Reassembler,
)
from .ike_auth import AuthExchange
from .ike_sa_init import InitExchange
from .informational import InformationalExchange
from .intermediate import IntermediateExchange
from .lifetimes import Lifetimes
from .sa_records import (
    _KEEPALIVE,
    NAT_T_PORT,
    Address,
    ChildSA,
    _name,
    _unframe,
)
from .selectors import ts_to_string
from .state import Role, State, Stimulus

__all__ = ["ChildSA", "IKEConnection"]


class IKEConnection(
    InformationalExchange,
    Lifetimes,
    CreateChildExchange,
    AuthExchange,
    IntermediateExchange,
    InitExchange,
):
    """One IKE SA, either role (RFC 7296). Not thread-safe; one caller at a time.

    ``initiator=True``: call :meth:`initiate` (the config's ``remote_address`` is the
    peer). ``initiator=False``: feed the first IKE_SA_INIT request to
    :meth:`receive_datagram`; the peer's address is learnt from it.
    """

    # ------------------------------------------------------------------ public API

    def initiate(self, now: float) -> None:
        """Send the IKE_SA_INIT request (RFC 7296 §1.2)."""
        if self.role is not Role.INITIATOR:
            raise ConfigError("only an initiator initiates")
        self._advance(Stimulus.SEND_INIT)
        self.spi_i = self._rng(8)
        first = self._ike_proposals[0].ke_method
        self._ke_group = int(first) if first is not None else 0
        self._send_init_request(now)

    @property
    def local_port(self) -> int:
        """The local UDP port our datagrams leave from: the configured IKE port, or
        4500 once the SA moved there (RFC 7296 §2.23). Datagrams that begin with the
        non-ESP marker are exactly the ones for port 4500."""
        return NAT_T_PORT if self._marker else self.config.local_address[1]

    @property
    def udp_encapsulation(self) -> bool:
        """Whether this SA's IKE and ESP packets travel on port 4500 (RFC 3948)."""
        return self._marker

    def receive_datagram(self, data: bytes, addr: Address, now: float) -> None:
        """Handle one UDP payload from ``addr``, exactly as received: an IKE message on
        port 500, or on port 4500 with its non-ESP marker (RFC 3948 §2.2). Malformed
        messages, messages for another SA, and anything that fails integrity are
        dropped, state unchanged."""
        raw = bytes(data)
        data, framed = _unframe(raw)
        try:
            msg = decode_v2(data)
        except DecodeError:
            return
        theirs = self._peer_ike_rekey
        if theirs is not None and (msg.spi_i, msg.spi_r) == (theirs[1].spi_i, theirs[1].spi_r):
            # RFC 7296 §2.8.2: a message on the IKE SA the peer's rekey made, which we
            # answered while ours was out. Until our own answer decides which of
            # the two survives, it waits (the peer retransmits); with ours gone,
            # the peer's stands and we move to it.
            if self._rekeying_ike():
                return
            self._settle_lost_ike_rekey(now)
        for side, _ in self._side:
            if msg.spi_i == side.spi_i and msg.spi_r == side.spi_r:
                side.receive_datagram(raw, addr, now)  # the previous or redundant IKE SA
                self._collect_side(side)
                return
        if msg.is_initiator == (self.role is Role.INITIATOR):
            return  # our own direction reflected back (RFC 7296 §3.1 I flag)
        if self.state in (State.CLOSED, State.FAILED):
            # RFC 7296 §2.1: a retransmitted request still gets our last answer (e.g.
            # the AUTHENTICATION_FAILED that ended the SA); nothing else is processed.
            if not msg.is_response:
                self._answer_again(msg.message_id, data)
            return
        if msg.payloads and type(msg.payloads[-1]) is SKF:
            self._receive_fragment(msg, data, addr, now, framed)
        elif msg.is_response:
            self._receive_response(msg, data, now)
        else:
            self._receive_request(msg, data, addr, now, framed)

    def _collect_side(self, side: IKEConnection) -> None:
        self._datagrams.extend(side.datagrams_to_send(0.0))
        while side.next_event() is not None:
            pass  # a side SA's own events (its Delete) are no news to the caller

    def datagrams_to_send(self, now: float) -> list[tuple[bytes, Address]]:
        """The datagrams to send now, each with its destination. IKE messages for port
        4500 already carry the non-ESP marker; a single 0xFF octet is a NAT-keepalive."""
        for side, _ in self._side:
            self._collect_side(side)
        out, self._datagrams = self._datagrams, []
        if out:
            self._last_sent = now
        return out

    def _keepalive_deadline(self) -> float | None:
        """RFC 3948 §4: the side behind a NAT keeps its mapping alive."""
        interval = self.config.nat_keepalive
        if not (interval and self.nat_local and self._marker and self.state is State.ESTABLISHED):
            return None
        return self._last_sent + interval

    def get_timer(self) -> float | None:
        """The next deadline (retransmission or NAT-keepalive), or None."""
        deadlines = [o.deadline for o in self._outstanding.values()]
        deadlines += [r.deadline for r in self._reassemblers.values() if r.deadline is not None]
        deadlines += self._lifecycle_deadlines()
        for side, until in self._side:
            deadlines.append(until)
            t = side.get_timer()
            if t is not None:
                deadlines.append(t)
        keepalive = self._keepalive_deadline()
        if keepalive is not None:
            deadlines.append(keepalive)
        if self._fetch is not None:
            deadlines.append(self._fetch.deadline)
        return min(deadlines) if deadlines else None

    def handle_timer(self, now: float) -> None:
        """Retransmit the outstanding request with doubled timeout (RFC 7296 §2.4), or
        give up after ``config.retransmit_tries`` sends; send a due NAT-keepalive;
        rekey, expire and check liveness when due (RFC 7296 §2.8, §1.4)."""
        for side, until in list(self._side):
            side.handle_timer(now)
            self._collect_side(side)
            if now >= until:
                self._side.remove((side, until))  # bounded: gone after its deadline
        for key, reassembler in list(self._reassemblers.items()):
            if reassembler.expire(now) is not None:
                self._drop_reassembly(key)  # RFC 7383 §2.6: incomplete, timed out
        if self._fetch is not None and now >= self._fetch.deadline:
            urls = ", ".join(self._fetch.wanted)
            timeout = self.config.fetch_timeout
            self._finish_fetch(f"no certificate from {urls} within {timeout:g} s", now)
        keepalive = self._keepalive_deadline()
        if keepalive is not None and now >= keepalive:
            assert self.peer_address is not None
            self._datagrams.append((_KEEPALIVE, self.peer_address))
            self._last_sent = now
        for o in sorted(self._outstanding.values(), key=lambda o: o.message_id):
            if now < o.deadline:
                continue
            if o.tries >= self.config.retransmit_tries:
                # RFC 7296 §2.4: the peer is dead; the IKE SA and its Child SAs go.
                self._abandon_requests()
                self._advance(Stimulus.FAIL)
                if o.purpose == "liveness":
                    # RFC 7296 §1.4: the liveness check went unanswered
                    self._events.append(PeerDead(o.message_id, o.tries))
                else:
                    self._events.append(RetransmitTimeout(o.message_id, o.tries))
                return
            o.tries += 1
            o.timeout *= 2
            o.deadline = now + o.timeout
            self._queue_all(o.data)  # RFC 7383 §2.5.3: every fragment again
        self._run_lifecycle(now)

    def next_event(self) -> Event | None:
        """The oldest event not yet taken, or None."""
        return self._events.popleft() if self._events else None

    def discard(self, now: float) -> None:
        """Forget the IKE SA and its Child SAs without an exchange: the peer asserted
        with INITIAL_CONTACT on another IKE SA between the same identities that it has
        no other (RFC 7296 §2.4), so a Delete would reach nothing. An
        :class:`IKESADeleted` (local) follows; remove the Child SAs from the kernel."""
        if self.state in (State.CLOSED, State.FAILED):
            return
        if self.state not in (State.ESTABLISHED, State.DELETING):
            self.close(now)
            return
        self._advance(Stimulus.DISCARD)
        self._abandon_requests()
        self.child_sas.clear()
        self._side.clear()
        self._reassemblers.clear()
        self._first_fragments.clear()
        self._events.append(IKESADeleted(local=True))

    def describe(self, now: float | None = None) -> str:
        """The SA display, in the manner of an IKE daemon's ``display`` command: the
        IKE tunnel (id, generation, IKE version, role, state, addresses, identities,
        SPIs, algorithms, key length, PRF, KE group, both sides' authentication
        methods, NAT, lifetimes) and each Child SA (id, generation, protocol, mode,
        SPIs, algorithms, selectors, volume, lifetimes). With ``now``, deadlines are
        shown as seconds from then."""

        def when(t: float | None) -> str:
            if t is None:
                return "-"
            return f"{t - now:.0f} s" if now is not None else f"t={t:.0f}"

        peer = self.peer_address or ("-", 0)
        local = self.config.local_address
        lines = [
            f"IKE tunnel {self.tunnel_id}  generation {self.generation}  IKEv2  "
            f"{self.role.value}  {self.state.value}",
            f"  local  {local[0]}[{self.local_port}]  id {self.config.local_id.value}",
            f"  remote {peer[0]}[{peer[1]}]  id {self.remote_identity or '-'}",
            f"  SPIs   {self.spi_i.hex() or '-'}_i {self.spi_r.hex()}_r",
        ]
        if self.suite is not None and self.keys is not None:
            k = self.keys
            lines += [
                f"  encryption {_name(to_enum(EncrId, k.encr_id))} {k.encr_key_bits}-bit"
                f"  integrity {_name(to_enum(IntegId, k.integ_id))}"
                f"  PRF {_name(to_enum(PrfId, k.prf_id))}"
                f"  KE group {_name(to_enum(KeyExchangeMethod, self._ke_group))}",
                f"  authentication local {_name(self.local_auth or 0)}"
                f"  remote {_name(self.remote_auth or 0)}",
                f"  NAT local {'yes' if self.nat_local else 'no'}"
                f"  remote {'yes' if self.nat_remote else 'no'}"
                f"  UDP encapsulation {'yes' if self._marker else 'no'}",
                f"  lifetime {self.config.ike_lifetime:.0f} s  rekey {when(self._ike_rekey_at)}"
                f"  expires {when(self._ike_expire_at)}",
            ]
            if self.virtual_ips:
                lines.append(f"  virtual IP {', '.join(self.virtual_ips)}")
        for c in self.child_sas:
            k2 = c.keys
            lines += [
                f"  Child tunnel {self.tunnel_id}.{c.tunnel}  generation {c.generation}  "
                f"{_name(to_enum(ProtocolId, c.proposal.protocol_id))} {c.mode}  {c.status}",
                f"    SPI in {c.spi_in.hex()}  out {c.spi_out.hex()}",
                f"    encryption {_name(to_enum(EncrId, k2.encr_id or 0))}"
                f" {k2.encr_key_bits or 0}-bit"
                f"  integrity {_name(to_enum(IntegId, k2.integ_id))}",
                f"    TSi {', '.join(ts_to_string(t) for t in c.tsi)}",
                f"    TSr {', '.join(ts_to_string(t) for t in c.tsr)}",
                f"    {c.bytes_used} octets {c.packets_used} packets"
                f"  lifetime {self.config.child_lifetime:.0f} s  rekey {when(c.rekey_at)}"
                f"  expires {when(c.expire_at)}",
            ]
        return "\n".join(lines)

    # ------------------------------------------------------------------ dispatch

    def _receive_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        now: float,
        framed: bool,
        inner: tuple[Payload, ...] | None = None,
    ) -> None:
        if self.role is Role.RESPONDER and msg.exchange_type == ExchangeType.IKE_SA_INIT:
            if self.state is State.IDLE and msg.message_id == 0:
                if framed and self.config.nat_traversal:
                    self._marker = True  # RFC 7296 §2.23: started on 4500
                self._on_init_request(msg, data, addr, now)
            elif msg.spi_i == self.spi_i:
                self._answer_again(0, data)
            return
        if msg.spi_i != self.spi_i or msg.spi_r != self.spi_r:
            return
        if self._answer_again(msg.message_id, data):
            return  # RFC 7296 §2.1: answered again, unprocessed
        if not self._in_window(msg.message_id):
            return  # RFC 7296 §2.3: outside the window
        if inner is None:
            inner = self._open(msg, data)
            if inner is None:
                return  # RFC 7296 §2.21: fails integrity: dropped, nothing changes
        # RFC 7296 §1.4: protected traffic from the peer postpones the liveness check
        self._last_traffic = max(self._last_traffic, now)
        if msg.exchange_type == ExchangeType.IKE_INTERMEDIATE and self.state is State.INIT_DONE:
            self._on_intermediate_request(msg, data, addr, framed, inner, now)
        elif msg.exchange_type == ExchangeType.IKE_AUTH and self.state is State.INIT_DONE:
            if self._addke_done < len(self._addke):
                return  # RFC 9370 §2.2.2: every additional key exchange comes first
            if self._fetch is not None:
                return  # waiting for the caller's fetch of the peer's hash-and-URL
            request = msg, data, addr, framed

            def on_request(payloads: tuple[Payload, ...], when: float) -> None:
                self._on_auth_request(*request, payloads, when)

            resolved = self._resolve_hash_and_url(msg.message_id, inner, now, on_request)
            if resolved is not None:
                on_request(resolved, now)
        elif msg.exchange_type == ExchangeType.INFORMATIONAL and self.state in (
            State.ESTABLISHED,
            State.DELETING,
        ):
            self._on_informational_request(msg, data, addr, framed, now, inner)
        elif msg.exchange_type == ExchangeType.CREATE_CHILD_SA and self.state in (
            State.ESTABLISHED,
            State.DELETING,
        ):
            self._on_create_child_request(msg, data, addr, framed, now, inner)
        elif msg.exchange_type == ExchangeType.IKE_FOLLOWUP_KE and self.state in (
            State.ESTABLISHED,
            State.DELETING,
        ):
            self._on_followup_request(msg, data, addr, framed, now, inner)
        # RFC 7296 §1.4: other requests are refused before IKE_AUTH completes; later
        # exchanges (CREATE_CHILD_SA) are not implemented here.

    def _receive_response(
        self, msg: Message, data: bytes, now: float, inner: tuple[Payload, ...] | None = None
    ) -> None:
        o = self._outstanding.get(msg.message_id)
        if o is None or msg.spi_i != self.spi_i or msg.exchange_type != o.exchange:
            return
        if o.purpose == "init":
            if self.state is State.INIT_SENT:
                self._on_init_response(msg, data, now)
            return
        if msg.spi_r != self.spi_r:
            return
        if inner is None:
            inner = self._open(msg, data)
            if inner is None:
                return  # RFC 7296 §2.21: fails integrity: dropped, nothing changes
        self._last_traffic = max(self._last_traffic, now)  # protected, as above
        if o.purpose == "intermediate":
            if self.state is State.INTERMEDIATE:
                self._on_intermediate_response(msg, data, o, now, inner)
        elif o.purpose == "auth":
            if self.state is State.AUTH_SENT and self._fetch is None:

                def on_response(payloads: tuple[Payload, ...], when: float) -> None:
                    self._on_auth_response(msg, data, when, payloads)

                resolved = self._resolve_hash_and_url(msg.message_id, inner, now, on_response)
                if resolved is not None:
                    on_response(resolved, now)
                else:
                    self._outstanding.pop(msg.message_id, None)  # answered: no retransmits
        elif o.purpose == "create_child":
            self._on_create_child_response(msg, o, inner, now)
        elif o.purpose == "followup":
            self._on_followup_response(msg, o, inner, now)
        else:
            self._on_informational_response(msg, data, o, now, inner)

    def _receive_fragment(
        self, msg: Message, data: bytes, addr: Address, now: float, framed: bool
    ) -> None:
        """An Encrypted Fragment (RFC 7383 §2.6): verified on arrival, collected per
        message ID, bounded in count, size and time; the whole message is handled once
        the last fragment is in. A retransmitted first fragment of a request already
        answered gets the answer again (§2.6.1); other stray fragments are dropped."""
        if not self._fragmentation or self._in is None:
            return
        if msg.spi_i != self.spi_i or msg.spi_r != self.spi_r:
            return
        key = (msg.is_response, msg.message_id)
        if msg.is_response:
            o = self._outstanding.get(msg.message_id)
            if o is None or msg.exchange_type != o.exchange:
                return
        else:
            cached = self._answers.get(msg.message_id)
            if cached is not None:
                if cached[0] == data:
                    self._queue_all(cached[1])
                return
            if not self._in_window(msg.message_id):
                return
        reassembler = self._reassemblers.get(key)
        if reassembler is None:
            if len(self._reassemblers) >= self._window + self._peer_window:
                return  # bounded: one per message either side may have in flight
            reassembler = Reassembler(
                self._in, message_id=msg.message_id, timeout=self.config.retransmit_timeout * 8
            )
            result = reassembler.add(data, now)
            if result.status is FragmentStatus.DROPPED:
                return  # RFC 7383 §2.6: a fragment that fails integrity leaves no trace
            self._reassemblers[key] = reassembler
        else:
            result = reassembler.add(data, now)
        if result.status is FragmentStatus.ACCEPTED and result.fragment_number == 1:
            self._first_fragments[key] = data
        if result.status is FragmentStatus.DISCARDED:
            self._drop_reassembly(key)
        if result.status is not FragmentStatus.COMPLETE or result.message is None:
            return
        if result.fragment_number == 1:
            self._first_fragments[key] = data
        first = self._first_fragments.get(key, data)
        self._drop_reassembly(key)
        inner = tuple(result.payloads or ())
        whole = result.message
        if msg.is_response:
            self._receive_response(whole, first, now, inner)
        else:
            self._receive_request(whole, first, addr, now, framed, inner)

    def _drop_reassembly(self, key: tuple[bool, int]) -> None:
        self._reassemblers.pop(key, None)
        self._first_fragments.pop(key, None)
