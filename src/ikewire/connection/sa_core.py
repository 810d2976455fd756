"""The core of :class:`~ikewire.connection.ike_sa.IKEConnection`: its state and the
message plumbing the exchange modules share (RFC 7296 §2.1-§2.3, §2.23, §3.14).
"""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cryptography import x509

from ..constants import (
    AuthMethod,
    ExchangeType,
    HashAlgorithm,
    NotifyType,
    ProtocolId,
)
from ..crypto.cipher import SKCipher, seal_message
from ..crypto.groups import KeyExchange
from ..crypto.keys import (
    IKESAKeys,
    derive_ike_sa_keys,
)
from ..crypto.prf import Prf, prf_for
from ..errors import ConfigError, DecodeError, IntegrityError
from ..wire.codec import (
    decode_payloads,
)
from ..wire.models import (
    SK,
    Delete,
    Message,
    Notify,
    Payload,
    Proposal,
    Selector,
)
from ..wire.notify import (
    nat_detection_destination_ip,
    nat_detection_hash,
    nat_detection_source_ip,
    window_size,
)
from .config import IKEConfig
from .cookies import CookieJar
from .events import (
    AuthenticationFailed,
    ConnectionFailed,
    Event,
    IKESADeleted,
)
from .fragments import (
    Reassembler,
    fragment_message,
    max_datagram_for,
)
from .hashurl import (
    PendingFetch,
)
from .sa_records import (
    _MARKER,
    _TUNNEL_IDS,
    NAT_T_PORT,
    Address,
    ChildSA,
    _ChildRequest,
    _Followup,
    _is_ike_rekey,
    _Outstanding,
    _packed,
    _PeerFollowup,
    _Pending,
    _prepared,
)
from .state import Role, State, Stimulus, next_state

if TYPE_CHECKING:
    from .ike_sa import IKEConnection


class SACore:
    """The state of one IKE SA and the plumbing every exchange uses: message IDs,
    the request window and retransmission, the response cache (RFC 7296 §2.1-§2.3),
    sealing and opening SK payloads (§3.14), NAT detection (§2.23)."""

    def __init__(self, config: IKEConfig, *, initiator: bool) -> None:
        self.config = config
        self.role = Role.INITIATOR if initiator else Role.RESPONDER
        self.state = State.IDLE
        self._rng = config.rng
        (
            self._ike_proposals,
            self._esp_proposals,
            self._auth_esp_proposals,
            self._local_ts,
            self._remote_ts,
            self._local_packed,
        ) = _prepared(config)
        self.peer_address: Address | None = config.remote_address
        # RFC 7296 §2.23: an initiator may start on 4500 (then with the marker).
        self._marker = (
            initiator
            and config.remote_address is not None
            and (config.remote_address[1] == NAT_T_PORT)
        )
        self._last_sent = 0.0
        if initiator and self.peer_address is None:
            raise ConfigError("an initiator needs config.remote_address")
        self.spi_i = b""
        self.spi_r = bytes(8)
        self._ke: KeyExchange | None = None
        self._ke_group: int = 0
        self._ni = b""
        self._nr = b""
        self._cookie: bytes | None = None
        self._init_retries = 0
        self._init_request = b""  # RealMessage1 (RFC 7296 §2.15)
        self._init_response = b""  # RealMessage2
        self.suite: Proposal | None = None
        self.keys: IKESAKeys | None = None
        self._prf: Prf | None = None
        self._out: SKCipher | None = None
        self._in: SKCipher | None = None
        self._iv_counter = 0
        self._child_spi = b""
        self.remote_identity: str | None = None
        self.local_auth: AuthMethod | int | None = None
        self.remote_auth: AuthMethod | int | None = None
        self._peer_hashes: tuple[HashAlgorithm | int, ...] = ()
        self._cookie_jar: CookieJar | None = None
        self.nat_local = False
        self.nat_remote = False
        self.child_sas: list[ChildSA] = []
        self.virtual_ips: tuple[str, ...] = ()  # RFC 7296 §2.19: assigned by the responder
        self.dns_servers: tuple[str, ...] = ()
        self._leased = False
        self._peer_certreq = b""  # CA hashes the peer asked for (RFC 7296 §3.7)
        self._peer_http_lookup = False  # the peer fetches hash-and-URL (RFC 7296 §3.10.1)
        self._fetch: PendingFetch | None = None  # hash-and-URL objects asked of the caller
        self._fetched_crls: tuple[x509.CertificateRevocationList, ...] = ()
        self._cert_failure: str | None = None  # why the peer's certificates cannot be had
        # RFC 7296 §2.2: our requests count from 0; so do the peer's.
        self._next_request_id = 0
        self._outstanding: dict[int, _Outstanding] = {}
        self._pending: deque[_Pending] = deque()
        # RFC 7296 §2.3: how many requests each side may have outstanding. The peer's
        # window is 1 until it sends SET_WINDOW_SIZE; ours is announced in IKE_AUTH.
        self._peer_window = 1
        self._window = config.window_size
        # The responder side (§2.1, §2.3): requests answered, by message ID, with the
        # request's octets (a retransmission is answered again, unprocessed); the
        # lowest ID not yet answered, and IDs above it answered out of order.
        self._answers: dict[int, tuple[bytes, tuple[bytes, ...]]] = {}
        self._peer_next = 0
        self._peer_done: set[int] = set()
        # RFC 7383: fragmentation once both announced it; reassembly per message
        self._fragmentation = False
        self._reassemblers: dict[tuple[bool, int], Reassembler] = {}
        self._first_fragments: dict[tuple[bool, int], bytes] = {}
        self._datagrams: list[tuple[bytes, Address]] = []
        self._events: deque[Event] = deque()
        # The SA lifecycle (RFC 7296 §2.8, §2.18): rekey and hard-expiry deadlines of
        # the IKE SA; requests to retry after TEMPORARY_FAILURE (§2.25); the peer's IKE
        # rekey answered while ours was out (§2.8.2); the previous or redundant IKE SAs
        # kept only to finish their Delete exchange, each with a deadline.
        self.generation = 1
        self.established_at: float | None = None
        self._ike_rekey_at: float | None = None
        self._ike_expire_at: float | None = None
        self._reauth_at: float | None = None
        self._cert_deadline: float | None = None
        self._peer_cert_expiry: datetime.datetime | None = None
        self._last_traffic = 0.0
        self._retries: list[tuple[float, str, bytes]] = []
        self._peer_ike_rekey: tuple[Proposal, IKESAKeys, int, tuple[bytes, bytes]] | None = None
        self._side: list[tuple[IKEConnection, float]] = []
        self._is_side = False
        self._childless = False
        # RFC 9242 / RFC 9370: IKE_INTERMEDIATE with additional key exchanges
        self._intermediate = False
        self._addke: list[int] = []  # the chosen ADDKE methods, ADDKE1 first
        self._addke_done = 0
        self._inter_ke: KeyExchange | None = None
        self._int_auth_i = b""
        self._int_auth_r = b""
        self._pending_int_auth_i = b""
        self._auth_message_id = 1
        # RFC 8784: a post-quantum preshared key mixed into SK_d, SK_pi, SK_pr
        self._use_ppk = False
        self._no_ppk_keys: IKESAKeys | None = None
        # RFC 9370 §2.2.4: IKE_FOLLOWUP_KE exchanges in progress, ours and the peer's
        self._followup: _Followup | None = None
        self._peer_followups: dict[bytes, _PeerFollowup] = {}
        self._after_response: Callable[[], None] | None = None
        self.ppk_used = False
        self.peer_initial_contact = False  # the peer's IKE_AUTH said INITIAL_CONTACT
        self.tunnel_id = f"K{next(_TUNNEL_IDS)}"  # the display's IKE tunnel id
        self._child_tunnels = 0

    def close(self, now: float) -> None:
        """Delete the IKE SA (RFC 7296 §1.4.1): an INFORMATIONAL request with Delete.

        Before the SA is established there is nothing to delete at the peer: the
        connection just becomes CLOSED.
        """
        if self.state is not State.ESTABLISHED:
            self._advance(Stimulus.ABANDON)
            self._abandon_requests()
            self._events.append(IKESADeleted(local=True))
            return
        self._advance(Stimulus.SEND_DELETE)
        # RFC 7296 §1.4.1: nothing else matters once the IKE SA is being deleted.
        self._pending.clear()
        self._send_request(
            ExchangeType.INFORMATIONAL, [Delete(ProtocolId.IKE, 0)], now, "delete_ike"
        )

    def send_liveness(self, now: float) -> None:
        """An empty INFORMATIONAL request (RFC 7296 §1.4): the peer must answer; if it
        never does, :class:`RetransmitTimeout` ends the SA."""
        self._require_established("send a liveness check")
        self._send_request(ExchangeType.INFORMATIONAL, [], now, "liveness")

    def delete_child(self, spi_in: bytes, now: float) -> None:
        """Delete one Child SA (RFC 7296 §1.4.1): INFORMATIONAL with Delete of our
        inbound SPI; :class:`ChildSADeleted` follows when the peer answers."""
        self._require_established("delete a Child SA")
        child = self._child_by_spi_in(spi_in)
        if child is None:
            raise ConfigError(f"no Child SA with inbound SPI {spi_in.hex()}")
        if child.status == "DELETING":
            return
        child.status = "DELETING"
        delete = Delete(child.proposal.protocol_id, 4, (spi_in,))
        self._send_request(ExchangeType.INFORMATIONAL, [delete], now, "delete_child", (spi_in,))

    def _require_established(self, what: str) -> None:
        if self.state is not State.ESTABLISHED:
            raise ConfigError(f"cannot {what} in state {self.state.value}")

    def _child_by_spi_in(self, spi_in: bytes) -> ChildSA | None:
        return next((c for c in self.child_sas if c.spi_in == spi_in), None)

    # ------------------------------------------------------------------ plumbing

    def _advance(self, stimulus: Stimulus) -> None:
        self.state = next_state(self.role, self.state, stimulus)
        if self._leased and self.state in (State.CLOSED, State.FAILED):
            pool = self.config.address_pool
            if pool is not None and self.remote_identity is not None:
                pool.release(self.remote_identity)  # the virtual IP is free again
            self._leased = False

    def _queue(self, data: bytes) -> None:
        assert self.peer_address is not None
        if self._marker:
            data = _MARKER + data
        self._datagrams.append((data, self.peer_address))

    def _queue_all(self, datagrams: tuple[bytes, ...]) -> None:
        for data in datagrams:
            self._queue(data)

    def _update_path(self, addr: Address, framed: bool) -> None:
        """RFC 7296 §2.23: a responder answers from where the most recent authenticated
        request came; a request on 4500 moves the SA there (RFC 3948)."""
        if self.role is Role.RESPONDER and self.config.nat_traversal:
            if framed:
                self._marker = True
            self.peer_address = addr

    def _abandon_requests(self) -> None:
        self._outstanding.clear()
        self._pending.clear()
        self._fetch = None  # a hash-and-URL object still asked of the caller: moot

    def _fail(self, notify: int, reason: str) -> None:
        self._abandon_requests()
        self._advance(Stimulus.FAIL)
        if notify == NotifyType.AUTHENTICATION_FAILED:
            self._events.append(AuthenticationFailed(notify, reason))
        else:
            self._events.append(ConnectionFailed(notify, reason))

    def _header(self, exchange: ExchangeType, message_id: int, *, response: bool) -> Message:
        return Message.create(
            exchange,
            (),
            spi_i=self.spi_i,
            spi_r=self.spi_r,
            message_id=message_id,
            initiator=self.role is Role.INITIATOR,
            response=response,
        )

    def _next_iv(self) -> bytes:
        assert self._out is not None
        cipher = self._out
        if cipher.aead:
            # RFC 5282 §3.1: the IV must not repeat under one key; a counter ensures it.
            self._iv_counter += 1
            return self._iv_counter.to_bytes(cipher.iv_size, "big")
        return self._rng(cipher.iv_size)  # RFC 7296 §3.14: unpredictable for CBC

    def _max_datagram(self) -> int:
        assert self.peer_address is not None
        ipv6 = ":" in self.peer_address[0]
        return max_datagram_for(self.config.fragment_size, ipv6=ipv6)

    def _seal(
        self, exchange: ExchangeType, message_id: int, inner: list[Payload], *, response: bool
    ) -> tuple[bytes, ...]:
        """One protected message, or its SKF fragments when both sides announced
        RFC 7383 and it does not fit ``fragment_size`` (RFC 7383 §2.5)."""
        assert self._out is not None
        header = self._header(exchange, message_id, response=response)
        if self._fragmentation:
            return tuple(
                fragment_message(
                    header,
                    inner,
                    self._out,
                    max_datagram=self._max_datagram(),
                    iv=self._next_iv,
                    marker=self._marker,
                )
            )
        return (seal_message(header, inner, self._out, self._next_iv()),)

    def _send_request(
        self,
        exchange: ExchangeType,
        inner: list[Payload],
        now: float,
        purpose: str,
        context: tuple[bytes, ...] = (),
        request: _ChildRequest | None = None,
    ) -> None:
        """Queue a protected request; it leaves as soon as the peer's window allows."""
        self._pending.append(_Pending(exchange, inner, purpose, context, request))
        self._flush(now)

    def _window_open(self) -> bool:
        """RFC 7296 §2.3: request X waits for the responses up to X - window."""
        if not self._outstanding:
            return True
        return self._next_request_id < min(self._outstanding) + self._peer_window

    def _flush(self, now: float) -> None:
        """Send queued requests as the window allows. An IKE SA rekey is exclusive
        (RFC 7296 §2.18: the old SA's exchanges must be done before it moves): it
        waits for every outstanding request, and nothing follows it until it is
        answered — what was queued behind it then goes out on the new IKE SA."""
        while self._pending and self._window_open():
            if any(_is_ike_rekey(o.request) for o in self._outstanding.values()):
                return
            if _is_ike_rekey(self._pending[0].request) and self._outstanding:
                return
            p = self._pending.popleft()
            message_id = self._next_request_id
            self._next_request_id += 1
            data = self._seal(p.exchange, message_id, p.inner, response=False)
            self._transmit(data, message_id, p.exchange, now, p.purpose, p.context, p.request)

    def _transmit(
        self,
        data: tuple[bytes, ...],
        message_id: int,
        exchange: ExchangeType,
        now: float,
        purpose: str,
        context: tuple[bytes, ...] = (),
        request: _ChildRequest | None = None,
    ) -> None:
        timeout = self.config.retransmit_timeout
        self._outstanding[message_id] = _Outstanding(
            message_id, exchange, data, 1, timeout, now + timeout, purpose, context, request
        )
        self._queue_all(data)

    def _complete(self, message_id: int, now: float) -> None:
        """The response to our request ``message_id`` arrived: its slot frees."""
        self._outstanding.pop(message_id, None)
        self._flush(now)

    def _respond(self, message_id: int, request: bytes, response: tuple[bytes, ...]) -> None:
        """Send our response and remember it for retransmissions (RFC 7296 §2.1)."""
        self._answers[message_id] = (request, response)
        self._peer_done.add(message_id)
        while self._peer_next in self._peer_done:
            self._peer_done.discard(self._peer_next)
            self._peer_next += 1
        # keep the answers a retransmission can still ask for: the last window's
        oldest = self._peer_next - max(self._window, 1)
        for old in [k for k in self._answers if k < oldest]:
            del self._answers[old]
        self._queue_all(response)

    def _answer_again(self, message_id: int, request: bytes) -> bool:
        """A retransmitted request gets the same answer, unprocessed (RFC 7296 §2.1)."""
        cached = self._answers.get(message_id)
        if cached is not None and cached[0] == request:
            self._queue_all(cached[1])
            return True
        return False

    def _in_window(self, message_id: int) -> bool:
        """RFC 7296 §2.3: a new request must lie in [lowest unanswered, + window)."""
        return (
            self._peer_next <= message_id < self._peer_next + self._window
            and message_id not in self._peer_done
        )

    def _learn_window(self, notifies: Sequence[Notify]) -> None:
        """The peer's SET_WINDOW_SIZE (RFC 7296 §2.3), capped by ``max_peer_window``."""
        for n in notifies:
            if n.notify_type == NotifyType.SET_WINDOW_SIZE:
                try:
                    size = window_size(n)
                except DecodeError:
                    continue
                self._peer_window = min(size, self.config.max_peer_window)

    def _nat_notifies(self, spi_r: bytes) -> list[Payload]:
        assert self.peer_address is not None
        local, remote = self._local_packed, _packed(self.peer_address[0])
        if not self.config.nat_traversal:
            return []  # RFC 7296 §2.23: the notifies are optional
        if self.config.force_encapsulation:
            local = self._rng(len(local))  # a source hash no peer can match
        return [
            nat_detection_source_ip(self.spi_i, spi_r, local, self.config.local_address[1]),
            nat_detection_destination_ip(self.spi_i, spi_r, remote, self.peer_address[1]),
        ]

    @staticmethod
    def _peer_nat_notifies(msg: Message) -> bool:
        return any(n.notify_type == NotifyType.NAT_DETECTION_SOURCE_IP for n in msg.notifies())

    def _check_nat(self, msg: Message, addr: Address) -> None:
        """RFC 7296 §2.23: compare the peer's hashes with the addresses seen."""
        port = self.config.local_address[1]
        mine = nat_detection_hash(msg.spi_i, msg.spi_r, self._local_packed, port)
        theirs = nat_detection_hash(msg.spi_i, msg.spi_r, _packed(addr[0]), addr[1])
        for n in msg.notifies():
            if n.notify_type == NotifyType.NAT_DETECTION_DESTINATION_IP:
                self.nat_local = n.data != mine
            elif n.notify_type == NotifyType.NAT_DETECTION_SOURCE_IP:
                self.nat_remote = n.data != theirs

    def _set_keys(self, suite: Proposal, secret: bytes) -> None:
        self.suite = suite
        self.keys = derive_ike_sa_keys(suite, secret, self._ni, self._nr, self.spi_i, self.spi_r)
        self._prf = prf_for(self.keys.prf_id)
        initiator = self.role is Role.INITIATOR
        self._out = SKCipher.from_keys(self.keys, sender_is_initiator=initiator)
        self._in = SKCipher.from_keys(self.keys, sender_is_initiator=not initiator)

    def _open(self, msg: Message, data: bytes) -> tuple[Payload, ...] | None:
        """The inner payloads of the SK payload (RFC 7296 §3.14), or None when
        integrity or syntax fails (§2.21: such messages are dropped, nothing changes).

        ``msg`` is ``data`` already decoded; the associated data are the received
        octets before the SK body (what ``crypto.cipher.open_message`` does, without
        decoding the message a second time).
        """
        if self._in is None or not msg.payloads:
            return None
        sk = msg.payloads[-1]
        if type(sk) is not SK or int.from_bytes(data[24:28], "big") != len(data):
            return None
        if not data.endswith(sk.body):
            return None
        try:
            plaintext = self._in.open(data[: len(data) - len(sk.body)], sk.body)
            return decode_payloads(sk.next_payload, plaintext)
        except (IntegrityError, DecodeError):
            return None

    # ---- implemented by the exchange modules' classes, declared here so that each
    # can call the others; IKEConnection joins them, so these are never reached

    def _send_auth_request(self, now: float) -> None:
        raise NotImplementedError

    def _send_intermediate(self, now: float) -> None:
        raise NotImplementedError

    def _certreq(self) -> list[Payload]:
        raise NotImplementedError

    def _note_certreq(self, payloads: Sequence[Payload]) -> None:
        raise NotImplementedError

    def _ike_established(self, now: float) -> None:
        raise NotImplementedError

    def _schedule_child(self, child: ChildSA, now: float) -> None:
        raise NotImplementedError

    def _child_notifies(self, *, transport: bool) -> list[Payload]:
        raise NotImplementedError

    def _add_child(
        self,
        proposal: Proposal,
        spi_in: bytes,
        spi_out: bytes,
        tsi: tuple[Selector, ...],
        tsr: tuple[Selector, ...],
        events: list[Event],
        *,
        transport: bool,
        peer_notifies: set[int],
        now: float,
        nonces: tuple[bytes, bytes] | None = None,
        secret: bytes | None = None,
        additional: Sequence[bytes] = (),
        ours: bool = True,
        replaces: ChildSA | None = None,
    ) -> ChildSA:
        raise NotImplementedError

    def _rekeying_ike(self) -> bool:
        raise NotImplementedError

    def _request_child(
        self,
        kind: str,
        now: float,
        *,
        old: ChildSA | None = None,
        tsi: tuple[Selector, ...] = (),
        tsr: tuple[Selector, ...] = (),
        group: int | None = None,
        retries: int = 0,
    ) -> None:
        raise NotImplementedError

    def _start_child_rekey(self, child: ChildSA, now: float) -> None:
        raise NotImplementedError

    def _switch_ike_sa(
        self, suite: Proposal, keys: IKESAKeys, group: int, role: Role, now: float
    ) -> IKEConnection:
        raise NotImplementedError
