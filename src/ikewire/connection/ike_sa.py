"""One IKE SA, sans-IO (RFC 7296): datagrams and time in, datagrams and events out.

The API is aioquic's: :meth:`IKEConnection.receive_datagram`,
:meth:`~IKEConnection.datagrams_to_send`, :meth:`~IKEConnection.get_timer` /
:meth:`~IKEConnection.handle_timer` and :meth:`~IKEConnection.next_event`; every
state change goes through the table in :mod:`ikewire.connection.state`.

Covered here: IKE_SA_INIT (§1.2) with INVALID_KE_PAYLOAD retry (§1.3) and COOKIE
(§2.6, initiator side), NAT detection notifies (§2.23), IKE_AUTH with shared keys
(§2.15) and the first Child SA (§1.2, §2.9, §2.17), retransmission and the response
cache (§2.1), message IDs (§2.2), and the IKE SA Delete (§1.4.1).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import functools
import ipaddress
import itertools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..certbundle import hash_and_url, sha1
from ..constants import (
    AuthMethod,
    CertEncoding,
    CfgType,
    CPAttributeType,
    EncrId,
    ExchangeType,
    HashAlgorithm,
    IntegId,
    KeyExchangeMethod,
    NotifyType,
    PrfId,
    ProtocolId,
    TransformType,
    to_enum,
)
from ..crypto.auth import (
    PublicKey,
    choose_hash,
    decode_hash_algorithms,
    int_auth_step,
    intermediate_auth,
    key_type_of,
    null_auth,
    psk_auth,
    sign,
    signed_octets,
    verify,
    verify_null,
    verify_psk,
)
from ..crypto.cipher import SKCipher, seal_message
from ..crypto.groups import KeyExchange, new_key_exchange
from ..crypto.keys import (
    ChildSAKeys,
    IKESAKeys,
    apply_ppk,
    derive_child_sa_keys,
    derive_ike_sa_keys,
    update_ike_sa_keys,
)
from ..crypto.prf import Prf, prf_for
from ..errors import ConfigError, CryptoError, DecodeError, IntegrityError, ProtocolError
from ..wire.codec import (
    decode_payloads,
    decode_v2,
    encode_payload_body,
    encode_payloads,
    encode_v2,
)
from ..wire.models import (
    AUTH,
    CERT,
    CERTREQ,
    CP,
    KE,
    SA,
    SK,
    SKF,
    CPAttribute,
    Delete,
    IDi,
    IDr,
    Message,
    Nonce,
    Notify,
    Payload,
    Proposal,
    Selector,
    Transform,
    TSi,
    TSr,
)
from ..wire.notify import (
    cookie,
    cookie_data,
    empty,
    invalid_ke_group,
    invalid_ke_payload,
    nat_detection_destination_ip,
    nat_detection_hash,
    nat_detection_source_ip,
    rekey_sa,
    rekey_sa_spi,
    set_window_size,
    signature_hash_algorithms,
    use_transport_mode,
    window_size,
)
from ..wire.syntax import format_transforms
from .config import Identity, IKEConfig, as_proposals, as_selectors, child_proposals
from .cookies import CookieJar
from .events import (
    AuthenticationFailed,
    CertificateFetchRequested,
    ChildSADeleted,
    ChildSAEstablished,
    ConnectionFailed,
    Event,
    IKESADeleted,
    IKESAEstablished,
    IKESARekeyed,
    LifetimeTrimmed,
    NotifyReceived,
    PeerAlive,
    PeerDead,
    ReauthenticationDue,
    RetransmitTimeout,
)
from .fragments import (
    FragmentStatus,
    Reassembler,
    fragment_message,
    fragmentation_supported,
    max_datagram_for,
    peer_supports_fragmentation,
)
from .hashurl import (
    PendingFetch,
    check_raw_key,
    named_objects,
    refuse_unusable_certs,
    substitute,
)
from .proposals import check_invalid_ke, check_selected, immutable_proposal, select_proposal
from .selectors import check_narrowed, narrow, ts_from_string, ts_to_string
from .state import Role, State, Stimulus, next_state
from .trust import certreq_hashes, select_chain, validate_peer

__all__ = ["ChildSA", "IKEConnection"]

Address = tuple[str, int]

NAT_T_PORT = 4500  # RFC 3948 §2.2
_TUNNEL_IDS = itertools.count(1)
_MARKER = b"\x00\x00\x00\x00"  # the non-ESP marker (RFC 3948 §2.2)
_KEEPALIVE = b"\xff"  # NAT-keepalive (RFC 3948 §2.3)


def _unframe(data: bytes) -> tuple[bytes, bool]:
    """The IKE message in a UDP payload, and whether it carried the non-ESP marker.

    The header's Length field decides (RFC 7296 §3.1 counts the whole message): four
    zero octets followed by a header whose Length is the rest is the port-4500 form;
    a header whose Length is the whole payload is the port-500 form.
    """
    if (
        data[:4] == _MARKER
        and len(data) >= 32
        and int.from_bytes(data[28:32], "big") == len(data) - 4
    ):
        return data[4:], True
    return data, False


_PSK = AuthMethod.SHARED_KEY_MESSAGE_INTEGRITY_CODE
_SIGNATURE_METHODS = frozenset(
    {
        AuthMethod.RSA_DIGITAL_SIGNATURE,
        AuthMethod.ECDSA_SHA256_P256,
        AuthMethod.ECDSA_SHA384_P384,
        AuthMethod.ECDSA_SHA512_P521,
        AuthMethod.DIGITAL_SIGNATURE,
    }
)
# RFC 7427 §4: the hashes we can verify, announced in SIGNATURE_HASH_ALGORITHMS
_OUR_HASHES = (
    HashAlgorithm.SHA2_256,
    HashAlgorithm.SHA2_384,
    HashAlgorithm.SHA2_512,
    HashAlgorithm.IDENTITY,
)
# RFC 4754 methods for ECDSA keys when the peer did not announce RFC 7427 hashes
_RFC4754_BY_CURVE = {
    "secp256r1": AuthMethod.ECDSA_SHA256_P256,
    "secp384r1": AuthMethod.ECDSA_SHA384_P384,
    "secp521r1": AuthMethod.ECDSA_SHA512_P521,
}
_TEMPORARY_FAILURE = NotifyType.TEMPORARY_FAILURE
_CHILD_ERRORS = frozenset(
    {
        NotifyType.NO_PROPOSAL_CHOSEN,
        NotifyType.TS_UNACCEPTABLE,
        NotifyType.SINGLE_PAIR_REQUIRED,
        NotifyType.INTERNAL_ADDRESS_FAILURE,
        NotifyType.FAILED_CP_REQUIRED,
    }
)


@dataclass(slots=True, eq=False)
class ChildSA:
    """One Child SA as the connection keeps it (RFC 7296 §2.17, §2.8).

    ``status``: INSTALLED; REKEYING (our rekey is out); REKEYED (replaced, the rekey's
    initiator deletes it); DELETING (our Delete is out). ``nonces`` are the Ni and Nr
    of the exchange that made it (the §2.8.1 collision rule compares them);
    ``ours`` says whether we initiated that exchange. ``peer_rekey`` is the inbound
    SPI of the SA the peer's rekey of this one created, while ours was out too.
    """

    spi_in: bytes
    spi_out: bytes
    proposal: Proposal
    tsi: tuple[Selector, ...]
    tsr: tuple[Selector, ...]
    keys: ChildSAKeys
    mode: str = "tunnel"
    generation: int = 1
    established_at: float = 0.0
    nonces: tuple[bytes, bytes] = (b"", b"")
    ours: bool = True
    status: str = "INSTALLED"
    rekey_at: float | None = None
    expire_at: float | None = None
    bytes_used: int = 0
    packets_used: int = 0
    peer_rekey: bytes = b""
    peer_rekey_nonces: tuple[bytes, bytes] | None = None
    tunnel: int = 0


@dataclass(slots=True)
class _ChildRequest:
    """Our CREATE_CHILD_SA request in flight (RFC 7296 §1.3): what its response needs.
    ``kind`` is "new", "rekey_child" or "rekey_ike"; ``spi`` our new SPI; ``old_spi``
    the inbound SPI of the Child SA being rekeyed."""

    kind: str
    spi: bytes
    ni: bytes
    group: int
    ke: KeyExchange | None
    old_spi: bytes = b""
    tsi: tuple[Selector, ...] = ()
    tsr: tuple[Selector, ...] = ()
    retries: int = 0


@dataclass(slots=True)
class _Outstanding:
    """Our request awaiting its response (RFC 7296 §2.1); ``purpose`` says what the
    response completes ("init", "auth", "delete_ike", "delete_child", "liveness")."""

    message_id: int
    exchange: ExchangeType
    data: tuple[bytes, ...]  # one message, or its RFC 7383 fragments
    tries: int
    timeout: float
    deadline: float
    purpose: str
    context: tuple[bytes, ...] = ()
    request: _ChildRequest | None = None


@dataclass(slots=True)
class _Followup:
    """Our IKE_FOLLOWUP_KE exchanges after a CREATE_CHILD_SA (RFC 9370 §2.2.4)."""

    request: _ChildRequest
    methods: list[int]
    secrets: list[bytes]
    link: bytes
    finish: Callable[[list[bytes], float], None]
    ke: KeyExchange | None = None


@dataclass(slots=True)
class _PeerFollowup:
    """The peer's IKE_FOLLOWUP_KE exchanges we answer, by the link we gave it."""

    methods: list[int]
    secrets: list[bytes]
    finish: Callable[[list[bytes], float, list[Event]], None]


@dataclass(slots=True)
class _Pending:
    """A request waiting for the peer's window to open (RFC 7296 §2.3)."""

    exchange: ExchangeType
    inner: list[Payload]
    purpose: str
    context: tuple[bytes, ...] = ()
    request: _ChildRequest | None = None


@functools.lru_cache(maxsize=1024)
def _packed(address: str) -> bytes:
    """An address's network-order octets (for the RFC 7296 §2.23 hashes)."""
    try:
        return ipaddress.ip_address(address).packed
    except ValueError:
        raise ConfigError(f"{address!r} is not an IP address") from None


def _suite_name(proposal: Proposal) -> str:
    """strongSwan's name of a suite, SPI and number aside."""
    return _transforms_name(proposal.transforms)


@functools.lru_cache(maxsize=256)
def _transforms_name(transforms: tuple[Transform, ...]) -> str:
    """Cached: the suites a config negotiates are few."""
    return format_transforms(transforms)


def _hash_list(msg: Message) -> tuple[HashAlgorithm | int, ...]:
    """The peer's SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4), empty if not sent or bad."""
    for n in msg.notifies():
        if n.notify_type == NotifyType.SIGNATURE_HASH_ALGORITHMS:
            try:
                return decode_hash_algorithms(n.data)
            except DecodeError:
                return ()
    return ()


def _redundant(mine: tuple[bytes, bytes], theirs: tuple[bytes, bytes]) -> bool:
    """RFC 7296 §2.8.1/§2.8.2: after a rekey collision, the new SA whose exchange used
    the lowest of the four nonces is the redundant one (octet-wise comparison; on
    an equal lowest nonce the other nonces decide)."""
    return (min(mine), max(mine)) < (min(theirs), max(theirs))


def _additional_methods(proposal: Proposal, *, offered: bool = False) -> list[int]:
    """The additional key exchange methods of a chosen proposal, ADDKE1 first (RFC 9370
    §2.2.1; NONE is no exchange). With ``offered``: whether any ADDKE type offers a
    real method."""
    found = proposal.additional_ke_methods
    if offered:
        return [m for methods in found.values() for m in methods if m]
    return [methods[0] for _, methods in sorted(found.items()) if methods and methods[0]]


def _is_ike_rekey(request: _ChildRequest | None) -> bool:
    return request is not None and request.kind == "rekey_ike"


def _has_notify(msg: Message, notify_type: NotifyType) -> bool:
    return any(n.notify_type == notify_type for n in msg.notifies())


def _name(value: int) -> str:
    return getattr(value, "name", str(int(value)))


_KE_TYPES = frozenset(range(TransformType.KE, TransformType.ADDKE7 + 1)) - {TransformType.ESN}


def without_ke(proposals: Sequence[Proposal]) -> tuple[Proposal, ...]:
    """Child SA proposals as IKE_AUTH carries them: IKE_AUTH has no KE payload, so its SA
    payload holds no key exchange transforms (RFC 7296 §1.2: "SHOULD omit the whole
    transform substructure"; the same for RFC 9370's ADDKE types). The PFS groups stay
    in the configuration for CREATE_CHILD_SA."""
    return tuple(
        p._replace(transforms=tuple(t for t in p.transforms if t.type not in _KE_TYPES))
        for p in proposals
    )


_Prepared: TypeAlias = tuple[
    tuple[Proposal, ...],
    tuple[Proposal, ...],
    tuple[Proposal, ...],
    tuple[Selector, ...],
    tuple[Selector, ...],
    bytes,
]

#: What each connection derives from its config (parsed proposals and selectors, the
#: packed local address), keyed by ``id()`` of configs whose fields cannot change; each
#: entry holds its config, so the id cannot be reused while the entry lives.
_PREPARED: dict[int, tuple[IKEConfig, _Prepared]] = {}
_PREPARED_SIZE: Final = 256


def _prepared(config: IKEConfig) -> _Prepared:
    """The config's proposals (IKE; ESP and AH; those for IKE_AUTH without KE), its
    selectors and its packed local address, parsed once per config."""
    entry = _PREPARED.get(id(config))
    if entry is not None and entry[0] is config:
        return entry[1]
    child = child_proposals(tuple(config.esp_proposals), tuple(config.ah_proposals))
    prepared = (
        as_proposals(tuple(config.ike_proposals), ProtocolId.IKE),
        child,
        without_ke(child),
        as_selectors(tuple(config.local_ts)),
        as_selectors(tuple(config.remote_ts)),
        _packed(config.local_address[0]),
    )
    fields = (
        config.ike_proposals,
        config.esp_proposals,
        config.ah_proposals,
        config.local_ts,
        config.remote_ts,
        config.local_address,
    )
    # cached only where nothing in them can change later
    if all(type(f) is tuple for f in fields) and all(
        isinstance(item, str) or immutable_proposal(item)
        for f in (config.ike_proposals, config.esp_proposals, config.ah_proposals)
        for item in f
    ):
        if len(_PREPARED) >= _PREPARED_SIZE:
            _PREPARED.clear()
        _PREPARED[id(config)] = (config, prepared)
    return prepared


class IKEConnection:
    """One IKE SA, either role (RFC 7296). Not thread-safe; one caller at a time.

    ``initiator=True``: call :meth:`initiate` (the config's ``remote_address`` is the
    peer). ``initiator=False``: feed the first IKE_SA_INIT request to
    :meth:`receive_datagram`; the peer's address is learnt from it.
    """

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
        self.tunnel_id = f"K{next(_TUNNEL_IDS)}"  # the display's IKE tunnel id
        self._child_tunnels = 0

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
        if msg.spi_i == self.spi_i:
            self._last_traffic = max(self._last_traffic, now)
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
            self._reassemblers[key] = reassembler
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

    # ------------------------------------------------------------------ IKE_SA_INIT

    def _send_init_request(self, now: float) -> None:
        """RFC 7296 §1.2: HDR, SA, KE, Ni, N(NAT_DETECTION_*) (§2.23); with N(COOKIE)
        first when the responder asked for one (§2.6)."""
        # RFC 7296 §2.6: a COOKIE retry keeps "all other payloads unchanged"; a new
        # group (§1.3) needs a new KE value, the nonce stays.
        if self._ke is None or int(self._ke.method) != self._ke_group:
            self._ke = new_key_exchange(self._ke_group, rng=self._rng, initiator=True)
        if not self._ni:
            self._ni = self._rng(self.config.nonce_size)
        payloads: list[Payload] = []
        if self._cookie is not None:
            payloads.append(Notify(NotifyType.COOKIE, self._cookie))
        payloads += [
            SA(self._ike_proposals),
            KE(self._ke_group, self._ke.public_value()),
            Nonce(self._ni),
            *self._nat_notifies(bytes(8)),
            *([fragmentation_supported()] if self.config.fragmentation else []),
            signature_hash_algorithms(_OUR_HASHES),
            *([empty(NotifyType.CHILDLESS_IKEV2_SUPPORTED)] if self.config.childless else []),
            *([empty(NotifyType.USE_PPK)] if self.config.ppk is not None else []),
            *(
                [empty(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED)]
                if any(_additional_methods(p, offered=True) for p in self._ike_proposals)
                else []
            ),
        ]
        msg = Message.create(ExchangeType.IKE_SA_INIT, payloads, spi_i=self.spi_i)
        self._init_request = encode_v2(msg)
        self._next_request_id = 1
        self._transmit((self._init_request,), 0, ExchangeType.IKE_SA_INIT, now, "init")

    def _on_init_request(self, msg: Message, data: bytes, addr: Address, now: float) -> None:
        sa, ke, nonce = msg.get(SA), msg.get(KE), msg.get(Nonce)
        if not (type(sa) is SA and type(ke) is KE and type(nonce) is Nonce):
            return  # RFC 7296 §2.21.1: malformed IKE_SA_INIT, no state kept
        self.peer_address = addr
        self.spi_i = msg.spi_i
        if self.config.require_cookie and not self._cookie_ok(msg, nonce.data, addr, now):
            return
        try:
            # RFC 7296 §3.3.6: choose without regard to the KE payload, preferring its
            # group within the chosen proposal (as ke_mismatch does) ...
            answer = select_proposal(sa.proposals, self._ike_proposals, ke_group=int(ke.group))
            if _additional_methods(answer) and not _has_notify(
                msg, NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED
            ):
                # RFC 9370 §2.2.1: additional key exchanges only with IKE_INTERMEDIATE
                raise ProtocolError(
                    "additional key exchanges offered without INTERMEDIATE_EXCHANGE_SUPPORTED",
                    notify=NotifyType.NO_PROPOSAL_CHOSEN,
                )
            chosen = answer.ke_method
            if chosen is not None and int(chosen) != int(ke.group):
                # ... and if that is another group, a stateless answer naming it (§1.3).
                self._queue(self._error_init(invalid_ke_payload(chosen)))
                return
            self._ke_group = int(ke.group)
            self._ke = new_key_exchange(self._ke_group, rng=self._rng, initiator=False)
            secret = self._ke.compute_secret(ke.data)
        except ProtocolError as e:
            self._queue(self._error_init(Notify(e.notify, e.data)))
            self._fail(e.notify, e.reason)
            return
        except ConfigError as e:
            self._queue(self._error_init(Notify(NotifyType.INVALID_SYNTAX)))
            self._fail(NotifyType.INVALID_SYNTAX, str(e))
            return
        self._ni = nonce.data
        self._peer_hashes = _hash_list(msg)
        # RFC 7383 §2.3: announced back only when the initiator announced it
        self._fragmentation = self.config.fragmentation and peer_supports_fragmentation(msg)
        # RFC 9242 §3.1: announced back when the initiator announced it
        self._intermediate = _has_notify(msg, NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED)
        self._addke = _additional_methods(answer)
        self._use_ppk = self.config.ppk is not None and _has_notify(msg, NotifyType.USE_PPK)
        # RFC 6023 §3: we support childless IKE SAs; announced back when asked
        self._childless = _has_notify(msg, NotifyType.CHILDLESS_IKEV2_SUPPORTED)
        self._nr = self._rng(self.config.nonce_size)
        self.spi_r = self._rng(8)
        self._check_nat(msg, addr)
        payloads: list[Payload] = [
            SA((answer,)),
            KE(self._ke_group, self._ke.public_value()),
            Nonce(self._nr),
            # RFC 7296 §2.23: answered only when the initiator sent them
            *(self._nat_notifies(self.spi_r) if self._peer_nat_notifies(msg) else ()),
            *([fragmentation_supported()] if self._fragmentation else []),
            signature_hash_algorithms(_OUR_HASHES),
            *([empty(NotifyType.CHILDLESS_IKEV2_SUPPORTED)] if self._childless else []),
            *([empty(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED)] if self._intermediate else []),
            *([empty(NotifyType.USE_PPK)] if self._use_ppk else []),
            *self._certreq(),
        ]
        response = Message.create(
            ExchangeType.IKE_SA_INIT,
            payloads,
            spi_i=self.spi_i,
            spi_r=self.spi_r,
            initiator=False,
            response=True,
        )
        self._init_request = data
        self._init_response = encode_v2(response)
        self._set_keys(answer, secret)
        self._advance(Stimulus.RECV_INIT_REQUEST)
        self._respond(0, data, (self._init_response,))

    def _cookie_ok(self, msg: Message, ni: bytes, addr: Address, now: float) -> bool:
        """RFC 7296 §2.6: without a valid COOKIE (the first payload), answer N(COOKIE)
        statelessly and keep nothing. The cookies are :class:`CookieJar`'s (an
        :class:`~ikewire.connection.endpoint.IKEEndpoint` checks them before a
        connection exists; this is for a connection used on its own)."""
        if self._cookie_jar is None:
            self._cookie_jar = CookieJar(self._rng, now)
        ip = _packed(addr[0])
        first = msg.payloads[0]
        if (
            type(first) is Notify
            and first.notify_type == NotifyType.COOKIE
            and self._cookie_jar.check(first.data, ni, ip, msg.spi_i, now)
        ):
            return True
        self._queue(self._error_init(cookie(self._cookie_jar.make(ni, ip, msg.spi_i, now))))
        return False

    def _error_init(self, notify: Notify) -> bytes:
        """An unprotected IKE_SA_INIT error response, responder SPI zero (RFC 7296 §2.6)."""
        msg = Message.create(
            ExchangeType.IKE_SA_INIT,
            [notify],
            spi_i=self.spi_i,
            spi_r=bytes(8),
            initiator=False,
            response=True,
        )
        return encode_v2(msg)

    def _on_init_response(self, msg: Message, data: bytes, now: float) -> None:
        notifies = {int(n.notify_type): n for n in msg.notifies()}
        try:
            if NotifyType.INVALID_KE_PAYLOAD in notifies or NotifyType.COOKIE in notifies:
                self._retry_init(notifies, now)
                return
            errors = [n for n in msg.notifies() if n.is_error]
            if errors:
                n = errors[0]
                self._fail(int(n.notify_type), f"responder refused: {_name(n.notify_type)}")
                return
            sa, ke, nonce = msg.get(SA), msg.get(KE), msg.get(Nonce)
            if not (type(sa) is SA and type(ke) is KE and type(nonce) is Nonce):
                raise ProtocolError("IKE_SA_INIT response without SA, KE or Nonce")
            check_selected(self._ike_proposals, sa.proposals)
            if int(ke.group) != self._ke_group or sa.proposals[0].ke_method != self._ke_group:
                raise ProtocolError("responder's KE group is not the one we sent")
            assert self._ke is not None
            secret = self._ke.compute_secret(ke.data)
        except ProtocolError as e:
            self._fail(e.notify, e.reason)
            return
        except (ConfigError, DecodeError) as e:
            self._fail(NotifyType.INVALID_SYNTAX, str(e))
            return
        addke = _additional_methods(sa.proposals[0])
        if addke and not _has_notify(msg, NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED):
            # RFC 9370 §2.2.1: additional key exchanges need IKE_INTERMEDIATE
            self._fail(NotifyType.INVALID_SYNTAX, "additional key exchanges without RFC 9242")
            return
        self._outstanding.pop(0, None)
        self._addke = addke
        self._advance(Stimulus.RECV_INIT_RESPONSE_ADDKE if addke else Stimulus.RECV_INIT_RESPONSE)
        assert self.peer_address is not None
        self._check_nat(msg, self.peer_address)
        nat = self.nat_local or self.nat_remote or self.config.force_encapsulation
        if self.config.nat_traversal and nat and self._peer_nat_notifies(msg):
            # RFC 7296 §2.23: "MUST tunnel all future IKE and ESP packets associated
            # with this IKE SA over UDP port 4500" (with the non-ESP marker, RFC 3948).
            self._marker = True
            self.peer_address = (self.peer_address[0], NAT_T_PORT)
        self._nr = nonce.data
        self._peer_hashes = _hash_list(msg)
        self._fragmentation = self.config.fragmentation and peer_supports_fragmentation(msg)
        self._childless = self.config.childless and _has_notify(
            msg, NotifyType.CHILDLESS_IKEV2_SUPPORTED
        )
        self._use_ppk = self.config.ppk is not None and _has_notify(msg, NotifyType.USE_PPK)
        self._note_certreq(msg.payloads)
        self.spi_r = msg.spi_r
        self._init_response = data
        self._set_keys(sa.proposals[0], secret)
        if self._addke:
            self._send_intermediate(now)
            return
        try:
            self._send_auth_request(now)
        except (ConfigError, CryptoError) as e:
            # our own AUTH cannot be made (e.g. no hash both sides can use, RFC 7427
            # §4): the SA fails here; the responder's half-open SA times out.
            self._fail(NotifyType.AUTHENTICATION_FAILED, f"cannot authenticate: {e}")

    def _retry_init(self, notifies: dict[int, Notify], now: float) -> None:
        """RFC 7296 §1.3 (INVALID_KE_PAYLOAD) and §2.6 (COOKIE): send IKE_SA_INIT again."""
        self._init_retries += 1
        if self._init_retries > self.config.max_init_retries:
            raise ProtocolError("too many IKE_SA_INIT retries", notify=NotifyType.INVALID_SYNTAX)
        if NotifyType.COOKIE in notifies:
            self._cookie = cookie_data(notifies[NotifyType.COOKIE])
        else:
            group = invalid_ke_group(notifies[NotifyType.INVALID_KE_PAYLOAD])
            self._ke_group = int(
                check_invalid_ke(self._ike_proposals, int(group), sent=self._ke_group)
            )
        self._advance(Stimulus.RECV_INIT_RETRY)
        self._send_init_request(now)

    # ------------------------------------------------------------------ IKE_INTERMEDIATE

    def _int_auth_of(
        self, sk_p: bytes, previous: bytes, header: bytes, inner: Sequence[Payload]
    ) -> bytes:
        assert self._prf is not None
        plaintext = encode_payloads(list(inner))
        first = int(inner[0].type) if inner else 0
        return int_auth_step(self._prf, sk_p, previous, header, first, plaintext)

    def _header_octets(self, exchange: ExchangeType, message_id: int, *, response: bool) -> bytes:
        return encode_v2(self._header(exchange, message_id, response=response))[:28]

    def _send_intermediate(self, now: float) -> None:
        """RFC 9370 §2.2.2: HDR, SK {KEi(n)} in IKE_INTERMEDIATE, one per additional
        key exchange, ADDKE1 first."""
        assert self.keys is not None
        method = self._addke[self._addke_done]
        self._inter_ke = new_key_exchange(method, rng=self._rng, initiator=True)
        inner: list[Payload] = [KE(method, self._inter_ke.public_value())]
        message_id = self._next_request_id
        header = self._header_octets(ExchangeType.IKE_INTERMEDIATE, message_id, response=False)
        # RFC 9242 §3.3.2: our message's link of the chain, with the keys protecting it
        self._pending_int_auth_i = self._int_auth_of(
            self.keys.sk_pi, self._int_auth_i, header, inner
        )
        self._send_request(ExchangeType.IKE_INTERMEDIATE, inner, now, "intermediate")

    def _on_intermediate_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        framed: bool,
        inner: tuple[Payload, ...],
        now: float,
    ) -> None:
        """The responder's IKE_INTERMEDIATE (RFC 9242 §3.2, RFC 9370 §2.2.2): the next
        additional key exchange; the keys are updated once the answer is out."""
        assert self.keys is not None
        if self._addke_done >= len(self._addke):
            return  # nothing more was negotiated: not ours to answer
        self._update_path(addr, framed)  # RFC 7296 §2.23: it came through the NAT
        method = self._addke[self._addke_done]
        ke = next((x for x in inner if type(x) is KE), None)
        keys = self.keys
        try:
            if ke is None or int(ke.group) != method:
                raise ProtocolError(
                    f"IKE_INTERMEDIATE without KE of method {_name(to_enum(KeyExchangeMethod, method))}",
                    notify=NotifyType.INVALID_SYNTAX,
                )
            mine = new_key_exchange(method, rng=self._rng, initiator=False)
            secret = mine.compute_secret(ke.data)
            reply: list[Payload] = [KE(method, mine.public_value())]
        except (ProtocolError, ConfigError) as e:
            notify = e.notify if isinstance(e, ProtocolError) else NotifyType.INVALID_SYNTAX
            response = self._seal(
                ExchangeType.IKE_INTERMEDIATE, msg.message_id, [Notify(notify)], response=True
            )
            self._respond(msg.message_id, data, response)
            self._fail(int(notify), f"IKE_INTERMEDIATE: {e}")
            return
        self._int_auth_i = self._int_auth_of(keys.sk_pi, self._int_auth_i, data[:28], inner)
        response = self._seal(ExchangeType.IKE_INTERMEDIATE, msg.message_id, reply, response=True)
        header = self._header_octets(ExchangeType.IKE_INTERMEDIATE, msg.message_id, response=True)
        self._int_auth_r = self._int_auth_of(keys.sk_pr, self._int_auth_r, header, reply)
        self._respond(msg.message_id, data, response)
        self._update_keys(secret)
        self._addke_done += 1
        self._auth_message_id = msg.message_id + 1

    def _on_intermediate_response(
        self, msg: Message, data: bytes, o: _Outstanding, now: float, inner: tuple[Payload, ...]
    ) -> None:
        assert self.keys is not None and self._inter_ke is not None
        method = self._addke[self._addke_done]
        ke = next((x for x in inner if type(x) is KE), None)
        errors = [x for x in inner if type(x) is Notify and x.is_error]
        try:
            if errors:
                n = errors[0]
                raise ProtocolError(
                    f"IKE_INTERMEDIATE refused: {_name(n.notify_type)}", notify=int(n.notify_type)
                )
            if ke is None or int(ke.group) != method:
                raise ProtocolError("IKE_INTERMEDIATE response without our KE method")
            secret = self._inter_ke.compute_secret(ke.data)
        except ProtocolError as e:
            self._fail(e.notify, e.reason)
            return
        except ConfigError as e:
            self._fail(NotifyType.INVALID_SYNTAX, str(e))
            return
        self._outstanding.pop(msg.message_id, None)
        self._int_auth_i = self._pending_int_auth_i
        self._int_auth_r = self._int_auth_of(self.keys.sk_pr, self._int_auth_r, data[:28], inner)
        self._update_keys(secret)
        self._addke_done += 1
        self._inter_ke = None
        if self._addke_done < len(self._addke):
            self._send_intermediate(now)
            return
        self._advance(Stimulus.INTERMEDIATE_DONE)
        self._auth_message_id = self._next_request_id
        try:
            self._send_auth_request(now)
        except (ConfigError, CryptoError) as e:
            self._fail(NotifyType.AUTHENTICATION_FAILED, f"cannot authenticate: {e}")

    def _update_keys(self, secret: bytes) -> None:
        """RFC 9370 §2.2.2: SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr), new SK_*."""
        assert self.keys is not None
        self.keys = update_ike_sa_keys(self.keys, secret, self._ni, self._nr)
        initiator = self.role is Role.INITIATOR
        self._out = SKCipher.from_keys(self.keys, sender_is_initiator=initiator)
        self._in = SKCipher.from_keys(self.keys, sender_is_initiator=not initiator)
        self._iv_counter = 0  # a new key: the AEAD counter may start over

    # ------------------------------------------------------------------ PPK (RFC 8784)

    def _own_auth_with_ppk(self, identity: Identity) -> list[Payload]:
        """The initiator's AUTH (RFC 8784 §3): with the PPK mixed into SK_pi when both
        announced USE_PPK, plus N(PPK_IDENTITY), and — when the PPK is optional for us —
        N(NO_PPK_AUTH) with the AUTH data computed without it."""
        if not self._use_ppk or self.config.ppk is None or self.keys is None:
            return [self._own_auth(identity)]
        plain = self.keys
        self._no_ppk_keys = plain
        no_ppk: list[Payload] = []
        if not self.config.ppk_required:
            no_ppk = [Notify(NotifyType.NO_PPK_AUTH, self._own_auth(identity).data)]
        self.keys = apply_ppk(plain, self.config.ppk)
        ppk_id = bytes([self.config.ppk_id_type]) + self.config.ppk_id
        return [self._own_auth(identity), Notify(NotifyType.PPK_IDENTITY, ppk_id), *no_ppk]

    def _ppk_as_responder(self, p: Message, auth: AUTH) -> AUTH:
        """RFC 8784 §3, the responder: use the PPK the initiator names if we have it;
        else, where the PPK is optional for us, its NO_PPK_AUTH; else refuse."""
        notifies = {int(n.notify_type): n for n in p.notifies()}
        named = notifies.get(NotifyType.PPK_IDENTITY)
        ppk = self.config.ppk
        ours = (
            self._use_ppk
            and named is not None
            and ppk is not None
            and self.keys is not None
            and named.data[:1] != b""
            and named.data[1:] == self.config.ppk_id
        )
        if ours and ppk is not None and self.keys is not None:
            self._no_ppk_keys = self.keys
            self.keys = apply_ppk(self.keys, ppk)
            self.ppk_used = True
            return auth
        if self.config.ppk_required:
            raise ProtocolError(
                "the peer used no PPK we have, and ours is mandatory (RFC 8784 §3)",
                notify=NotifyType.AUTHENTICATION_FAILED,
            )
        fallback = notifies.get(NotifyType.NO_PPK_AUTH)
        if named is not None:
            if fallback is None:
                raise ProtocolError(
                    "unknown PPK_ID and no NO_PPK_AUTH (RFC 8784 §3)",
                    notify=NotifyType.AUTHENTICATION_FAILED,
                )
            return auth._replace(data=fallback.data)
        return auth

    def _ppk_as_initiator(self, p: Message) -> None:
        """RFC 8784 §3, the initiator: N(PPK_IDENTITY) in the answer means the PPK is
        in use; without it, fall back to the keys without PPK unless it is mandatory."""
        if not self._use_ppk or self._no_ppk_keys is None:
            if self.config.ppk_required:
                raise ProtocolError(
                    "the responder does not support PPK, which is mandatory (RFC 8784 §3)",
                    notify=NotifyType.AUTHENTICATION_FAILED,
                )
            return
        if any(n.notify_type == NotifyType.PPK_IDENTITY for n in p.notifies()):
            self.ppk_used = True
            return
        if self.config.ppk_required:
            raise ProtocolError(
                "the responder did not use the mandatory PPK (RFC 8784 §3)",
                notify=NotifyType.AUTHENTICATION_FAILED,
            )
        self.keys = self._no_ppk_keys

    # ------------------------------------------------------------------ IKE_AUTH

    def _auth_octets(self, *, initiator: bool, id_body: bytes) -> bytes:
        """InitiatorSignedOctets / ResponderSignedOctets (RFC 7296 §2.15)."""
        assert self._prf is not None and self.keys is not None
        # RFC 9242 §3.3.2: after IKE_INTERMEDIATE exchanges the AUTH covers them too
        int_auth = (
            intermediate_auth(self._int_auth_i, self._int_auth_r, self._auth_message_id)
            if self._addke
            else b""
        )
        if initiator:
            return signed_octets(
                self._init_request,
                self._nr,
                self._prf,
                self.keys.sk_pi,
                id_body,
                int_auth=int_auth,
            )
        return signed_octets(
            self._init_response, self._ni, self._prf, self.keys.sk_pr, id_body, int_auth=int_auth
        )

    def _own_auth(self, identity: Identity) -> AUTH:
        """Our AUTH payload (RFC 7296 §2.15, RFC 7427 §3, RFC 4754 §7)."""
        assert self._prf is not None
        octets = self._auth_octets(initiator=self.role is Role.INITIATOR, id_body=identity.body)
        if self.config.null_auth:
            assert self.keys is not None
            self.local_auth = AuthMethod.NULL_AUTHENTICATION
            sk_p = self.keys.sk_pi if self.role is Role.INITIATOR else self.keys.sk_pr
            return AUTH(self.local_auth, null_auth(self._prf, sk_p, octets))
        if self.config.psk is not None:
            self.local_auth = _PSK
            return AUTH(_PSK, psk_auth(self._prf, self.config.psk, octets))
        key = self.config.private_key
        assert key is not None
        hash_alg = choose_hash(_OUR_HASHES, self._peer_hashes, key_type_of(key))
        method: AuthMethod
        if hash_alg is not None:
            method = AuthMethod.DIGITAL_SIGNATURE
        elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _RFC4754_BY_CURVE:
            method = _RFC4754_BY_CURVE[key.curve.name]
        elif isinstance(key, rsa.RSAPrivateKey):
            method = AuthMethod.RSA_DIGITAL_SIGNATURE
        else:
            raise ConfigError("the peer announced no hash our key can sign with (RFC 7427 §4)")
        self.local_auth = method
        pss = self.config.rsa_pss and isinstance(key, rsa.RSAPrivateKey)
        data = sign(method, key, octets, hash_alg=hash_alg, rsa_pss=pss)
        return AUTH(method, data)

    def _own_cert(self) -> list[Payload]:
        """Our CERT payloads (RFC 7296 §3.6): the end entity first, then the chain —
        cut below the CA the peer's CERTREQ named, when it named one of ours (§3.7).
        To a peer that announced HTTP_CERT_LOOKUP_SUPPORTED, what has a URL in
        ``certificate_urls`` goes as hash and URL: our bundle (encoding 13) in place of
        them all, else each certificate with a URL (12). With ``raw_public_key`` our
        key alone goes, as a Raw Public Key (15, RFC 7670 §3)."""
        if self.config.psk is not None or self.config.null_auth:
            return []
        if self.config.raw_public_key and self.config.private_key is not None:
            spki = self.config.private_key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return [CERT(CertEncoding.RAW_PUBLIC_KEY, spki)]
        cert = self.config.certificate
        if cert is None:
            return []
        chain = [cert, *self.config.certificate_chain]
        if self._peer_certreq and self.config.certificate_chain:
            try:
                parsed = [x509.load_der_x509_certificate(c) for c in chain]
                picked = select_chain(parsed, self._peer_certreq)
            except (ValueError, DecodeError):
                picked = None  # a CERTREQ is only a hint (RFC 7296 §3.7)
            if picked is not None:
                chain = [c.public_bytes(serialization.Encoding.DER) for c in picked]
        urls = self.config.certificate_urls
        if self._peer_http_lookup and urls:
            bundle = self.config.certificate_bundle
            if bundle is not None and bundle in urls:
                return [
                    CERT(CertEncoding.HASH_AND_URL_X509_BUNDLE, hash_and_url(bundle, urls[bundle]))
                ]
            return [
                CERT(CertEncoding.HASH_AND_URL_X509_CERTIFICATE, hash_and_url(c, urls[c]))
                if c in urls
                else CERT(CertEncoding.X509_CERTIFICATE_SIGNATURE, c)
                for c in chain
            ]
        return [CERT(CertEncoding.X509_CERTIFICATE_SIGNATURE, c) for c in chain]

    def _certreq(self) -> list[Payload]:
        """CERTREQ naming our trust anchors (RFC 7296 §3.7), when we validate chains; an
        empty Raw Public Key CERTREQ when we trust a configured key (RFC 7670 §3); and
        HTTP_CERT_LOOKUP_SUPPORTED when our policy fetches hash-and-URL (§3.10.1)."""
        out: list[Payload] = []
        store = self.config.trust_store
        if store is not None and store.anchors:
            out.append(
                CERTREQ(CertEncoding.X509_CERTIFICATE_SIGNATURE, certreq_hashes(store.anchors))
            )
        elif self.config.remote_public_key is not None:
            out.append(CERTREQ(CertEncoding.RAW_PUBLIC_KEY, b""))
        if self.config.hash_and_url == "allow":
            out.append(empty(NotifyType.HTTP_CERT_LOOKUP_SUPPORTED))
        return out

    def _note_certreq(self, payloads: Sequence[Payload]) -> None:
        for x in payloads:
            if type(x) is CERTREQ and x.encoding == CertEncoding.X509_CERTIFICATE_SIGNATURE:
                self._peer_certreq += x.data
            elif type(x) is Notify and x.notify_type == NotifyType.HTTP_CERT_LOOKUP_SUPPORTED:
                self._peer_http_lookup = True

    # ------------------------------------------------------------------ hash and URL

    def _resolve_hash_and_url(
        self,
        message_id: int,
        inner: tuple[Payload, ...],
        now: float,
        resume: Callable[[tuple[Payload, ...], float], None],
    ) -> tuple[Payload, ...] | None:
        """The peer's IKE_AUTH payloads with hash-and-URL certificates (RFC 7296 §3.6)
        replaced by their bytes, when every one is at hand (cached); None when the
        caller was asked to fetch some (:class:`CertificateFetchRequested`) — then
        ``resume`` runs once they are supplied, refused or timed out. Under the
        "tolerate" policy nothing is fetched (the peer's key then cannot be had)."""
        if any(
            type(x) is Notify and x.notify_type == NotifyType.HTTP_CERT_LOOKUP_SUPPORTED
            for x in inner
        ):
            self._peer_http_lookup = True  # in an IKE_AUTH request (RFC 7296 §3.10.1)
        if self.config.hash_and_url != "allow":
            return inner
        try:
            named = named_objects(inner)
        except ProtocolError as exc:
            self._cert_failure = exc.reason
            return inner
        if not named:
            return inner
        cache = self.config.certificate_cache
        got: dict[str, bytes] = {}
        wanted: dict[str, tuple[bytes, int]] = {}
        for encoding, digest, url in named:
            cached = cache.lookup(url, digest, now) if cache is not None else None
            if cached is not None:
                got[url] = cached
            else:
                wanted[url] = (digest, encoding)
        if not wanted:
            return self._with_fetched(inner, got)
        self._fetch = PendingFetch(
            message_id, wanted, got, inner, resume, now + self.config.fetch_timeout
        )
        for url, (digest, encoding) in wanted.items():
            self._events.append(CertificateFetchRequested(url, digest, encoding))
        return None

    def _with_fetched(
        self, inner: tuple[Payload, ...], got: dict[str, bytes]
    ) -> tuple[Payload, ...]:
        try:
            resolved, crls = substitute(inner, got)
        except ProtocolError as exc:
            self._cert_failure = exc.reason
            return inner
        self._fetched_crls = crls
        return resolved

    def _finish_fetch(self, failure: str | None, now: float) -> None:
        pending = self._fetch
        assert pending is not None
        self._fetch = None
        if failure is not None:
            self._cert_failure = failure
            inner = pending.inner
        else:
            inner = self._with_fetched(pending.inner, pending.got)
        pending.resume(inner, now)

    def supply_certificate(self, url: str, data: bytes, now: float) -> bool:
        """The bytes the caller fetched from ``url`` for a :class:`CertificateFetchRequested`
        (RFC 7296 §3.6). Their SHA-1 must be the one the peer's CERT payload named,
        else the peer's authentication fails with that reason; a good object is cached
        (``IKEConfig.certificate_cache``) and, once every requested object is in, the
        IKE_AUTH message is processed. False when no fetch of ``url`` is waiting."""
        pending = self._fetch
        if pending is None or url not in pending.wanted:
            return False
        digest, _ = pending.wanted.pop(url)
        actual = sha1(data)
        if actual != digest:
            self._finish_fetch(
                f"the object fetched from {url} has SHA-1 {actual.hex()}, but the peer's "
                f"CERT payload names {digest.hex()}: refused (RFC 7296 §3.6)",
                now,
            )
            return True
        cache = self.config.certificate_cache
        if cache is not None:
            cache.store(url, data, now)
        pending.got[url] = data
        if not pending.wanted:
            self._finish_fetch(None, now)
        return True

    def certificate_fetch_failed(self, url: str, reason: str, now: float) -> bool:
        """The caller could not fetch ``url``: the peer's authentication fails with
        ``reason`` (AUTHENTICATION_FAILED, RFC 7296 §2.21.2). False when no fetch of
        ``url`` is waiting."""
        pending = self._fetch
        if pending is None or url not in pending.wanted:
            return False
        self._finish_fetch(f"fetching {url} failed: {reason}", now)
        return True

    def _peer_key(self, p: Message, id_payload: IDi | IDr) -> PublicKey:
        """The key the peer's signature must verify with (RFC 7296 §3.6): configured;
        or from the certificate it sent, validated to our trust anchors with the
        peer's ID matched (RFC 4945); or a pinned certificate."""
        if self._cert_failure is not None:
            raise ProtocolError(self._cert_failure, notify=NotifyType.AUTHENTICATION_FAILED)
        cert_payloads = [x for x in p.payloads if type(x) is CERT]
        if self.config.remote_public_key is not None:
            check_raw_key(cert_payloads, self.config.remote_public_key)
            return self.config.remote_public_key
        store = self.config.trust_store
        certs = [
            x.data for x in cert_payloads if x.encoding == CertEncoding.X509_CERTIFICATE_SIGNATURE
        ]
        if not certs:
            refuse_unusable_certs(cert_payloads, self.config.hash_and_url)
        if store is not None:
            if not certs:
                raise ProtocolError(
                    "the peer sent no X.509 certificate (CERT encoding 4) to validate",
                    notify=NotifyType.AUTHENTICATION_FAILED,
                )
            if self._fetched_crls:
                store = dataclasses.replace(store, crls=(*store.crls, *self._fetched_crls))
            validated = validate_peer(
                certs[0], certs[1:], store, now=self.config.wall_clock(), peer_id=id_payload
            )
            self._peer_cert_expiry = x509.load_der_x509_certificate(certs[0]).not_valid_after_utc
            return validated
        pinned = self.config.remote_certificate
        cert = p.get(CERT)
        if pinned is None or type(cert) is not CERT or cert.data != pinned:
            raise ProtocolError(
                "no trusted public key for the peer's signature",
                notify=NotifyType.AUTHENTICATION_FAILED,
            )
        key = x509.load_der_x509_certificate(pinned).public_key()
        try:
            key_type_of(key)  # type: ignore[arg-type]  # any x509 key; refuses the rest
        except ConfigError:
            raise ProtocolError(
                f"the peer's certificate key type {type(key).__name__} is not supported",
                notify=NotifyType.AUTHENTICATION_FAILED,
            ) from None
        return cast(PublicKey, key)

    def _verify_peer(self, p: Message, id_payload: IDi | IDr, auth: AUTH) -> None:
        """RFC 7296 §2.15: the peer's identity and AUTH, by the method the peer chose;
        ProtocolError(AUTHENTICATION_FAILED) if wrong."""
        assert self._prf is not None
        expected = self.config.remote_id
        if expected is not None and (
            int(id_payload.id_type) != int(expected.id_type) or id_payload.data != expected.data
        ):
            raise ProtocolError(
                f"peer identity {id_payload.value!r} is not {expected.value!r}",
                notify=NotifyType.AUTHENTICATION_FAILED,
            )
        octets = self._auth_octets(
            initiator=self.role is Role.RESPONDER, id_body=encode_payload_body(id_payload)
        )
        method = int(auth.method)
        peer_psk = self.config.peer_psk
        if method == _PSK and peer_psk is not None:
            verify_psk(self._prf, peer_psk, octets, auth.data)
        elif method == AuthMethod.NULL_AUTHENTICATION and self.config.accept_null_auth:
            assert self.keys is not None
            sk_p = self.keys.sk_pr if self.role is Role.INITIATOR else self.keys.sk_pi
            verify_null(self._prf, sk_p, octets, auth.data)
        elif method in _SIGNATURE_METHODS:
            key = self._peer_key(p, id_payload)
            verify(method, key, octets, auth.data, allowed_hashes=_OUR_HASHES)
        else:
            raise ProtocolError(
                f"peer auth method {_name(auth.method)} is not accepted",
                notify=NotifyType.AUTHENTICATION_FAILED,
            )
        self.remote_auth = auth.method

    def _send_auth_request(self, now: float) -> None:
        """RFC 7296 §1.2: HDR, SK {IDi, [IDr,] AUTH, SAi2, TSi, TSr}."""
        local = self.config.local_id
        self._child_spi = self._rng(4)
        inner: list[Payload] = [IDi(local.id_type, local.data), *self._own_cert(), *self._certreq()]
        if self.config.remote_id is not None:
            inner.append(IDr(self.config.remote_id.id_type, self.config.remote_id.data))
        esp = tuple(p._replace(spi=self._child_spi) for p in self._auth_esp_proposals)
        inner += self._own_auth_with_ppk(local)
        if self.config.request_virtual_ip:
            # RFC 7296 §3.15.1: an empty INTERNAL_IP4_ADDRESS asks for any address
            inner.append(
                CP(
                    CfgType.CFG_REQUEST,
                    (
                        CPAttribute(CPAttributeType.INTERNAL_IP4_ADDRESS),
                        CPAttribute(CPAttributeType.INTERNAL_IP4_DNS),
                    ),
                )
            )
        if not self._childless:
            inner += self._child_notifies(transport=self.config.mode == "transport")
            inner += [SA(esp), TSi(self._local_ts), TSr(self._remote_ts)]
        if self._window > 1:
            inner.append(set_window_size(self._window))  # RFC 7296 §2.3
        self._send_request(ExchangeType.IKE_AUTH, inner, now, "auth")

    def _on_auth_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        framed: bool,
        inner: tuple[Payload, ...],
        now: float,
    ) -> None:
        self._update_path(addr, framed)
        p = Message.create(msg.exchange_type, inner, spi_i=msg.spi_i)
        idi, auth = p.get(IDi), p.get(AUTH)
        reply: list[Payload] = []
        try:
            if not (type(idi) is IDi and type(auth) is AUTH):
                raise ProtocolError(
                    "IKE_AUTH request without IDi or AUTH",
                    notify=NotifyType.AUTHENTICATION_FAILED,
                )
            auth = self._ppk_as_responder(p, auth)
            self._verify_peer(p, idi, auth)
        except ProtocolError as e:
            # RFC 7296 §2.21.2: answer with AUTHENTICATION_FAILED, keep no SA.
            response = self._seal(
                ExchangeType.IKE_AUTH,
                msg.message_id,
                [Notify(NotifyType.AUTHENTICATION_FAILED)],
                response=True,
            )
            self._respond(msg.message_id, data, response)
            self._fail(NotifyType.AUTHENTICATION_FAILED, e.reason)
            return
        self.remote_identity = idi.value
        self._learn_window(p.notifies())
        self._note_certreq(p.payloads)
        local = self.config.local_id
        try:
            own_auth = self._own_auth(local)
        except (ConfigError, CryptoError) as e:
            response = self._seal(
                ExchangeType.IKE_AUTH,
                msg.message_id,
                [Notify(NotifyType.AUTHENTICATION_FAILED)],
                response=True,
            )
            self._respond(msg.message_id, data, response)
            self._fail(NotifyType.AUTHENTICATION_FAILED, f"cannot authenticate: {e}")
            return
        reply += [IDr(local.id_type, local.data), *self._own_cert(), own_auth]
        if self.ppk_used:
            reply.append(Notify(NotifyType.PPK_IDENTITY))  # RFC 8784 §3: PPK in use
        child_events: list[Event] = []
        try:
            reply += self._accept_child(p, child_events, now)
        except ProtocolError as e:
            # RFC 7296 §2.21.3: the IKE SA stands, the Child SA is refused.
            reply.append(Notify(e.notify, e.data))
            child_events.append(ConnectionFailed(e.notify, e.reason))
        if self._window > 1:
            reply.append(set_window_size(self._window))
        response = self._seal(ExchangeType.IKE_AUTH, msg.message_id, reply, response=True)
        self._advance(Stimulus.RECV_AUTH_REQUEST)
        self._respond(msg.message_id, data, response)
        self._ike_established(now)
        self._events.append(self._established_event())
        self._events.extend(child_events)

    def _child_notifies(self, *, transport: bool) -> list[Payload]:
        """The Child SA status notifies we send (RFC 7296 §1.3.1, §3.10.1); IPComp is
        not offered (RFC 7296 §2.22), so IPCOMP_SUPPORTED from a peer is ignored."""
        out: list[Payload] = []
        if transport:
            out.append(use_transport_mode())
        if not self.config.tfc_padding:
            out.append(empty(NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED))
        if self.config.non_first_fragments:
            out.append(empty(NotifyType.NON_FIRST_FRAGMENTS_ALSO))
        return out

    def _assign_virtual_ip(self, p: Message) -> tuple[list[Payload], tuple[Selector, ...]]:
        """RFC 7296 §2.19: answer CP(CFG_REQUEST) from the pool; the CP reply and the
        initiator's narrowed TSi policy (the leased address only)."""
        cp = p.get(CP)
        pool = self.config.address_pool
        if not (type(cp) is CP and cp.cfg_type == CfgType.CFG_REQUEST) or pool is None:
            return [], self._remote_ts  # RFC 7296 §3.15: no pool, no CP reply
        wanted = {int(a.type) for a in cp.attributes}
        family = pool.attribute_family
        address_type = (
            CPAttributeType.INTERNAL_IP4_ADDRESS
            if family == 4
            else CPAttributeType.INTERNAL_IP6_ADDRESS
        )
        if int(address_type) not in wanted:
            return [], self._remote_ts
        leased = pool.acquire(self.remote_identity or "")
        if leased is None:
            raise ProtocolError(
                f"address pool {pool.spec} is exhausted",
                notify=NotifyType.INTERNAL_ADDRESS_FAILURE,
            )
        self._leased = True
        # RFC 7296 §3.15.1: INTERNAL_IP6_ADDRESS carries the prefix length too
        value = leased.packed if family == 4 else leased.packed + b"\x80"
        attributes = [CPAttribute(address_type, value)]
        dns_type = (
            CPAttributeType.INTERNAL_IP4_DNS if family == 4 else CPAttributeType.INTERNAL_IP6_DNS
        )
        for server in self.config.dns_servers:
            packed = _packed(server)
            if (len(packed) == 4) == (family == 4):
                attributes.append(CPAttribute(dns_type, packed))
        self.virtual_ips = (str(leased),)
        self.dns_servers = tuple(self.config.dns_servers)
        host = f"{leased}/{32 if family == 4 else 128}"
        return [CP(CfgType.CFG_REPLY, tuple(attributes))], (ts_from_string(host),)

    def _read_cp_reply(self, p: Message) -> None:
        """The initiator's virtual IP and DNS servers from CP(CFG_REPLY) (RFC 7296 §3.15.1)."""
        cp = p.get(CP)
        if not (type(cp) is CP and cp.cfg_type == CfgType.CFG_REPLY):
            return
        ips: list[str] = []
        dns: list[str] = []
        for a in cp.attributes:
            kind, value = int(a.type), a.value
            if kind == CPAttributeType.INTERNAL_IP4_ADDRESS and len(value) == 4:
                ips.append(str(ipaddress.IPv4Address(value)))
            elif kind == CPAttributeType.INTERNAL_IP6_ADDRESS and len(value) == 17:
                ips.append(str(ipaddress.IPv6Address(value[:16])))
            elif kind == CPAttributeType.INTERNAL_IP4_DNS and len(value) == 4:
                dns.append(str(ipaddress.IPv4Address(value)))
            elif kind == CPAttributeType.INTERNAL_IP6_DNS and len(value) == 16:
                dns.append(str(ipaddress.IPv6Address(value)))
        self.virtual_ips, self.dns_servers = tuple(ips), tuple(dns)

    def _accept_child(self, p: Message, events: list[Event], now: float) -> list[Payload]:
        """The responder's first Child SA (RFC 7296 §2.7, §2.9, §2.17), with the
        CP reply (§2.19) and the mode and status notifies (§1.3.1)."""
        sa, tsi, tsr = p.get(SA), p.get(TSi), p.get(TSr)
        if sa is None and tsi is None and tsr is None and self._childless:
            return []  # RFC 6023 §3: a childless IKE SA, as we both announced
        if not (type(sa) is SA and type(tsi) is TSi and type(tsr) is TSr):
            raise ProtocolError("no Child SA proposed", notify=NotifyType.NO_PROPOSAL_CHOSEN)
        # a peer that left its PFS groups in IKE_AUTH's proposals: compare without them
        received = without_ke(sa.proposals)
        answer = select_proposal(received, self._auth_esp_proposals)
        offered = next(o for o in received if o.number == answer.number)
        cp_reply, remote_policy = self._assign_virtual_ip(p)
        narrowed_i = narrow(tsi.selectors, remote_policy)
        narrowed_r = narrow(tsr.selectors, self._local_ts)
        asked = {int(n.notify_type) for n in p.notifies()}
        # RFC 7296 §1.3.1: transport only when asked and configured, else tunnel
        transport = NotifyType.USE_TRANSPORT_MODE in asked and self.config.mode == "transport"
        spi_in = self._rng(4)
        answer = answer._replace(spi=spi_in)
        self._add_child(
            answer,
            spi_in,
            offered.spi,
            narrowed_i,
            narrowed_r,
            events,
            transport=transport,
            peer_notifies=asked,
            now=now,
            ours=False,  # the peer's IKE_AUTH made it: its TSi is the peer's side
        )
        return [
            *cp_reply,
            *self._child_notifies(transport=transport),
            SA((answer,)),
            TSi(narrowed_i),
            TSr(narrowed_r),
        ]

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
        """Derive the KEYMAT (RFC 7296 §2.17: the IKE_AUTH nonces, or a CREATE_CHILD_SA
        exchange's with its optional new key exchange), keep the SA, and announce it."""
        assert self.keys is not None
        ni, nr = nonces if nonces is not None else (self._ni, self._nr)
        keys = derive_child_sa_keys(
            proposal, self.keys, ni, nr, shared_secret=secret, additional_secrets=additional
        )
        generation = replaces.generation + 1 if replaces is not None else 1
        if replaces is not None:
            tunnel = replaces.tunnel
        else:
            self._child_tunnels += 1
            tunnel = self._child_tunnels
        child = ChildSA(
            spi_in,
            spi_out,
            proposal,
            tsi,
            tsr,
            keys,
            mode="transport" if transport else "tunnel",
            generation=generation,
            established_at=now,
            nonces=(ni, nr),
            ours=ours,
            tunnel=tunnel,
        )
        self._schedule_child(child, now)
        self.child_sas.append(child)
        # RFC 7296 §2.17: the keys for "initiator to responder" come first, the
        # initiator being the one who started the exchange that made this Child SA
        # (IKE_AUTH's initiator, or whoever sent the CREATE_CHILD_SA request)
        if ours:
            ein, ain, eout, aout = keys.sk_er, keys.sk_ar, keys.sk_ei, keys.sk_ai
        else:
            ein, ain, eout, aout = keys.sk_ei, keys.sk_ai, keys.sk_er, keys.sk_ar
        events.append(
            ChildSAEstablished(
                spi_in=spi_in,
                spi_out=spi_out,
                protocol=_name(to_enum(ProtocolId, proposal.protocol_id)),
                mode="transport" if transport else "tunnel",
                tsi=tsi,
                tsr=tsr,
                suite=_suite_name(proposal),
                encr_id=keys.encr_id,
                encr_key_bits=keys.encr_key_bits,
                integ_id=keys.integ_id,
                encr_key_in=ein,
                integ_key_in=ain,
                encr_key_out=eout,
                integ_key_out=aout,
                udp_encapsulation=self._marker,
                remote_address=self.peer_address,
                tfc_padding=NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED not in peer_notifies,
                non_first_fragments=(
                    self.config.non_first_fragments
                    and NotifyType.NON_FIRST_FRAGMENTS_ALSO in peer_notifies
                ),
                rekeyed_spi=replaces.spi_in if replaces is not None else None,
                generation=generation,
            )
        )
        return child

    def _established_event(self) -> IKESAEstablished:
        return IKESAEstablished(
            suite=_suite_name(self.suite) if self.suite else "",
            spi_i=self.spi_i,
            spi_r=self.spi_r,
            local_id=self.config.local_id.value,
            remote_id=self.remote_identity or "",
            local_auth=_name(self.local_auth or 0),
            remote_auth=_name(self.remote_auth or 0),
            virtual_ips=self.virtual_ips,
            dns_servers=self.dns_servers,
            ppk=self.ppk_used,
        )

    def _on_auth_response(
        self, msg: Message, data: bytes, now: float, inner: tuple[Payload, ...]
    ) -> None:
        p = Message.create(msg.exchange_type, inner, spi_i=msg.spi_i)
        notifies = {int(n.notify_type): n for n in p.notifies()}
        idr, auth = p.get(IDr), p.get(AUTH)
        try:
            if NotifyType.AUTHENTICATION_FAILED in notifies:
                raise ProtocolError(
                    "responder sent AUTHENTICATION_FAILED",
                    notify=NotifyType.AUTHENTICATION_FAILED,
                )
            if not (type(idr) is IDr and type(auth) is AUTH):
                errors = [n for n in p.notifies() if n.is_error]
                code = int(errors[0].notify_type) if errors else NotifyType.INVALID_SYNTAX
                # Without IDr and AUTH the responder is not authenticated and no IKE SA
                # exists for us; the peer may think otherwise (a response carrying only a
                # Child SA error), so tell it the IKE SA is gone: a Delete (RFC 7296
                # §1.4.1), sent once, no answer awaited.
                delete = self._seal(
                    ExchangeType.INFORMATIONAL,
                    self._next_request_id,
                    [Delete(ProtocolId.IKE, 0)],
                    response=False,
                )
                self._next_request_id += 1
                self._queue_all(delete)
                named = _name(to_enum(NotifyType, code))
                raise ProtocolError(
                    f"IKE_AUTH response without IDr and AUTH, refused: {named}", notify=code
                )
            try:
                self._ppk_as_initiator(p)
                self._verify_peer(p, idr, auth)
            except ProtocolError:
                # RFC 7296 §2.21.2: an error on the initiator "MAY be returned in a
                # separate INFORMATIONAL exchange"; sent once, no answer awaited.
                informational = self._seal(
                    ExchangeType.INFORMATIONAL,
                    self._next_request_id,
                    [Notify(NotifyType.AUTHENTICATION_FAILED)],
                    response=False,
                )
                self._next_request_id += 1
                self._queue_all(informational)
                raise
        except ProtocolError as e:
            self._fail(e.notify, e.reason)
            return
        self._outstanding.pop(msg.message_id, None)
        self._learn_window(p.notifies())
        self._read_cp_reply(p)
        self.remote_identity = idr.value
        self._advance(Stimulus.RECV_AUTH_RESPONSE)
        self._ike_established(now)
        events: list[Event] = [self._established_event()]
        try:
            self._check_child(p, notifies, events, now)
        except ProtocolError as e:
            events.append(ConnectionFailed(e.notify, e.reason))
        self._events.extend(events)

    def _check_child(
        self, p: Message, notifies: dict[int, Notify], events: list[Event], now: float
    ) -> None:
        """The initiator's checks of the first Child SA (RFC 7296 §3.3.6, §2.9)."""
        for code in _CHILD_ERRORS:
            if code in notifies:
                raise ProtocolError(f"Child SA refused: {_name(code)}", notify=code)
        if self._childless:
            return  # RFC 6023: no Child SA was asked for
        sa, tsi, tsr = p.get(SA), p.get(TSi), p.get(TSr)
        if not (type(sa) is SA and type(tsi) is TSi and type(tsr) is TSr):
            # any other error in place of the Child SA explains its failure (e.g.
            # TEMPORARY_FAILURE from a peer whose kernel refused the SA); the IKE SA
            # stands (RFC 7296 §2.21.2, §3.10.1)
            errors = sorted(code for code in notifies if code < 16384)
            if errors:
                named = _name(to_enum(NotifyType, errors[0]))
                raise ProtocolError(f"Child SA refused: {named}", notify=errors[0])
            raise ProtocolError("IKE_AUTH response without SA, TSi or TSr")
        offered = tuple(x._replace(spi=self._child_spi) for x in self._auth_esp_proposals)
        check_selected(offered, sa.proposals)
        check_narrowed(tsi.selectors, self._local_ts)
        check_narrowed(tsr.selectors, self._remote_ts)
        chosen = sa.proposals[0]
        answered = set(notifies)
        self._add_child(
            chosen,
            self._child_spi,
            chosen.spi,
            tsi.selectors,
            tsr.selectors,
            events,
            transport=NotifyType.USE_TRANSPORT_MODE in answered,
            peer_notifies=answered,
            now=now,
        )

    # ------------------------------------------------------------------ CREATE_CHILD_SA

    def create_child(
        self,
        now: float,
        *,
        local_ts: Sequence[str | Selector] | None = None,
        remote_ts: Sequence[str | Selector] | None = None,
    ) -> None:
        """Another Child SA (RFC 7296 §1.3.1): CREATE_CHILD_SA with the configured
        proposals (a KE group in them means PFS) and these or the configured traffic
        selectors; :class:`ChildSAEstablished` or :class:`ConnectionFailed` follows."""
        self._require_established("create a Child SA")
        tsi = as_selectors(tuple(local_ts)) if local_ts is not None else self._local_ts
        tsr = as_selectors(tuple(remote_ts)) if remote_ts is not None else self._remote_ts
        self._request_child("new", now, tsi=tsi, tsr=tsr)

    def rekey_child(self, spi_in: bytes, now: float) -> None:
        """Rekey a Child SA (RFC 7296 §2.8): CREATE_CHILD_SA with N(REKEY_SA); the new
        SA is announced first, then the old one is deleted (make-before-break)."""
        self._require_established("rekey a Child SA")
        child = self._child_by_spi_in(spi_in)
        if child is None or child.status != "INSTALLED":
            raise ConfigError(f"no installed Child SA with inbound SPI {spi_in.hex()}")
        self._start_child_rekey(child, now)

    def rekey_ike(self, now: float) -> None:
        """Rekey the IKE SA (RFC 7296 §2.18): new SPIs and keys from the old SK_d; the
        Child SAs move over and the old IKE SA is deleted (:class:`IKESARekeyed`)."""
        self._require_established("rekey the IKE SA")
        if self._rekeying_ike():
            raise ConfigError("an IKE SA rekey is already in progress")
        self._request_child("rekey_ike", now)

    def child_sa_used(
        self, spi_in: bytes, now: float, *, octets: int = 0, packets: int = 0
    ) -> None:
        """Report traffic on a Child SA (the data path is the caller's): counts toward
        its volume limits (RFC 4301 §4.4.2.1 lifetimes in bytes and packets) and, as
        traffic from the peer, postpones the liveness check."""
        child = self._child_by_spi_in(spi_in)
        if child is None:
            raise ConfigError(f"no Child SA with inbound SPI {spi_in.hex()}")
        if octets < 0 or packets < 0:
            raise ConfigError("octets and packets must be >= 0")
        child.bytes_used += octets
        child.packets_used += packets
        if octets or packets:
            self._last_traffic = max(self._last_traffic, now)
        cfg = self.config
        if (cfg.child_life_bytes and child.bytes_used >= cfg.child_life_bytes) or (
            cfg.child_life_packets and child.packets_used >= cfg.child_life_packets
        ):
            if child.status != "DELETING" and self.state is State.ESTABLISHED:
                self.delete_child(child.spi_in, now)  # the hard limit (RFC 4301 §4.4.2.1)
        elif (
            (cfg.child_rekey_bytes and child.bytes_used >= cfg.child_rekey_bytes)
            or (cfg.child_rekey_packets and child.packets_used >= cfg.child_rekey_packets)
        ) and (child.status == "INSTALLED" and self.state is State.ESTABLISHED):
            self._start_child_rekey(child, now)

    def _start_child_rekey(self, child: ChildSA, now: float) -> None:
        child.status = "REKEYING"
        child.rekey_at = None
        # the rekey's TSi is our side (RFC 7296 §1.3.3): the child's as we made it, or
        # swapped when the peer's exchange made it
        tsi, tsr = (child.tsi, child.tsr) if child.ours else (child.tsr, child.tsi)
        self._request_child("rekey_child", now, old=child, tsi=tsi, tsr=tsr)

    def _rekeying_ike(self) -> bool:
        requests = [o.request for o in self._outstanding.values()]
        requests += [p.request for p in self._pending]
        return any(r is not None and r.kind == "rekey_ike" for r in requests)

    def _draw_spi(self, size: int) -> bytes:
        """A fresh non-zero SPI (RFC 7296 §3.3.1: zero is reserved)."""
        for _ in range(16):
            spi = self._rng(size)
            if any(spi) and spi[:4] != _MARKER[: min(4, size)]:
                return spi
        raise ConfigError("the random source gives only zero SPIs")

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
        """Build and queue a CREATE_CHILD_SA request (RFC 7296 §1.3.1-§1.3.3)."""
        if kind == "rekey_ike":
            spi = self._draw_spi(8)
            chosen_group = self._ke_group if group is None else group
        else:
            spi = self._draw_spi(4)
            first = self._esp_proposals[0].ke_method
            chosen_group = (int(first) if first else 0) if group is None else group
        ke = new_key_exchange(chosen_group, rng=self._rng, initiator=True) if chosen_group else None
        request = _ChildRequest(
            kind,
            spi,
            self._rng(self.config.nonce_size),
            chosen_group,
            ke,
            old.spi_in if old is not None else b"",
            tsi,
            tsr,
            retries,
        )
        self._send_request(
            ExchangeType.CREATE_CHILD_SA,
            self._child_request_payloads(request, old),
            now,
            "create_child",
            request=request,
        )

    def _rekey_proposals(self) -> tuple[Proposal, ...]:
        """The IKE proposals for an IKE SA rekey: the configured ones, additional key
        exchanges included (done in IKE_FOLLOWUP_KE, RFC 9370 §2.2.4)."""
        return self._ike_proposals

    def _child_request_payloads(self, req: _ChildRequest, old: ChildSA | None) -> list[Payload]:
        ke = [KE(req.group, req.ke.public_value())] if req.ke is not None else []
        if req.kind == "rekey_ike":
            # RFC 7296 §1.3.2: SA (protocol IKE, our new 8-octet SPI), Ni, KEi
            offered = tuple(p._replace(spi=req.spi) for p in self._rekey_proposals())
            return [SA(offered), Nonce(req.ni), *ke]
        payloads: list[Payload] = []
        if old is not None:
            # RFC 7296 §1.3.3: N(REKEY_SA) names the SA by our inbound SPI
            payloads.append(rekey_sa(old.proposal.protocol_id, old.spi_in))
        payloads += self._child_notifies(transport=self.config.mode == "transport")
        offered = tuple(p._replace(spi=req.spi) for p in self._esp_proposals)
        return [*payloads, SA(offered), Nonce(req.ni), *ke, TSi(req.tsi), TSr(req.tsr)]

    # ---- the responder

    def _on_create_child_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        framed: bool,
        now: float,
        inner: tuple[Payload, ...],
    ) -> None:
        """RFC 7296 §1.3: a new Child SA, a Child SA rekey, or an IKE SA rekey; errors
        answered with the RFC's notify, the IKE SA kept (§2.21.3)."""
        self._update_path(addr, framed)
        p = Message.create(msg.exchange_type, inner, spi_i=msg.spi_i)
        notifies = {int(n.notify_type): n for n in p.notifies()}
        sa, nonce, ke = p.get(SA), p.get(Nonce), p.get(KE)
        events: list[Event] = []
        switch: Callable[[], None] | None = None
        try:
            if type(sa) is not SA or type(nonce) is not Nonce or not sa.proposals:
                raise ProtocolError(
                    "CREATE_CHILD_SA request without SA or Nonce",
                    notify=NotifyType.INVALID_SYNTAX,
                )
            peer_ke = ke if type(ke) is KE else None
            if self.state is State.DELETING:
                # RFC 7296 §2.25.2: we are closing this IKE SA
                raise ProtocolError("the IKE SA is being deleted", notify=_TEMPORARY_FAILURE)
            if sa.proposals[0].protocol_id == ProtocolId.IKE:
                reply, switch = self._answer_ike_rekey(sa, nonce, peer_ke, now)
            else:
                rekey = notifies.get(NotifyType.REKEY_SA)
                reply = self._answer_child(p, sa, nonce, peer_ke, rekey, events, now)
        except ProtocolError as e:
            reply = [Notify(e.notify, e.data)]
            events = []
            switch = None
        response = self._seal(ExchangeType.CREATE_CHILD_SA, msg.message_id, reply, response=True)
        self._respond(msg.message_id, data, response)
        self._events.extend(events)
        if switch is not None:
            switch()

    # ---- IKE_FOLLOWUP_KE (RFC 9370 §2.2.4)

    def _expect_followup(
        self, methods: list[int], finish: Callable[[list[bytes], float, list[Event]], None]
    ) -> Notify:
        """Remember a CREATE_CHILD_SA answered that needs IKE_FOLLOWUP_KE exchanges; the
        N(ADDITIONAL_KEY_EXCHANGE) with the link the initiator must send back."""
        if len(self._peer_followups) >= 2 * max(self._window, 1):
            raise ProtocolError("too many exchanges in progress", notify=_TEMPORARY_FAILURE)
        link = self._rng(8)
        self._peer_followups[link] = _PeerFollowup(list(methods), [], finish)
        return Notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, link)

    def _on_followup_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        framed: bool,
        now: float,
        inner: tuple[Payload, ...],
    ) -> None:
        """RFC 9370 §2.2.4: the next additional key exchange of a CREATE_CHILD_SA we
        answered; STATE_NOT_FOUND for a link we do not know."""
        self._update_path(addr, framed)
        link = next(
            (
                x.data
                for x in inner
                if type(x) is Notify and x.notify_type == NotifyType.ADDITIONAL_KEY_EXCHANGE
            ),
            None,
        )
        ctx = self._peer_followups.pop(link, None) if link is not None else None
        ke = next((x for x in inner if type(x) is KE), None)
        events: list[Event] = []
        self._after_response = None
        reply: list[Payload]
        if ctx is None:
            reply = [Notify(NotifyType.STATE_NOT_FOUND)]
        else:
            method = ctx.methods[len(ctx.secrets)]
            try:
                if ke is None or int(ke.group) != method:
                    raise ProtocolError(
                        "IKE_FOLLOWUP_KE without the agreed KE method",
                        notify=NotifyType.INVALID_SYNTAX,
                    )
                mine = new_key_exchange(method, rng=self._rng, initiator=False)
                ctx.secrets.append(mine.compute_secret(ke.data))
                reply = [KE(method, mine.public_value())]
                if len(ctx.secrets) < len(ctx.methods):
                    new_link = self._rng(8)
                    self._peer_followups[new_link] = ctx
                    reply.insert(0, Notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, new_link))
                else:
                    ctx.finish(ctx.secrets, now, events)
            except (ProtocolError, ConfigError) as e:
                notify = e.notify if isinstance(e, ProtocolError) else NotifyType.INVALID_SYNTAX
                reply = [Notify(notify)]
        response = self._seal(ExchangeType.IKE_FOLLOWUP_KE, msg.message_id, reply, response=True)
        self._respond(msg.message_id, data, response)
        self._events.extend(events)
        after, self._after_response = self._after_response, None
        if after is not None:
            after()

    def _start_followup(
        self,
        req: _ChildRequest,
        p: Message,
        methods: list[int],
        finish: Callable[[list[bytes], float], None],
        now: float,
    ) -> None:
        link = next(
            (n.data for n in p.notifies() if n.notify_type == NotifyType.ADDITIONAL_KEY_EXCHANGE),
            None,
        )
        if link is None:
            raise ProtocolError(
                "additional key exchanges chosen without N(ADDITIONAL_KEY_EXCHANGE)",
                notify=NotifyType.INVALID_SYNTAX,
            )
        self._followup = _Followup(req, list(methods), [], link, finish)
        self._send_followup(now)

    def _send_followup(self, now: float) -> None:
        f = self._followup
        assert f is not None
        method = f.methods[len(f.secrets)]
        f.ke = new_key_exchange(method, rng=self._rng, initiator=True)
        inner: list[Payload] = [
            Notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, f.link),
            KE(method, f.ke.public_value()),
        ]
        self._send_request(ExchangeType.IKE_FOLLOWUP_KE, inner, now, "followup", request=f.request)

    def _on_followup_response(
        self, msg: Message, o: _Outstanding, inner: tuple[Payload, ...], now: float
    ) -> None:
        f = self._followup
        self._outstanding.pop(msg.message_id, None)
        try:
            if f is None or f.ke is None:
                return
            errors = [x for x in inner if type(x) is Notify and x.is_error]
            method = f.methods[len(f.secrets)]
            ke = next((x for x in inner if type(x) is KE), None)
            if errors:
                code = int(errors[0].notify_type)
                raise ProtocolError(f"IKE_FOLLOWUP_KE refused: {_name(code)}", notify=code)
            if ke is None or int(ke.group) != method:
                raise ProtocolError("IKE_FOLLOWUP_KE response without our KE method")
            f.secrets.append(f.ke.compute_secret(ke.data))
            if len(f.secrets) < len(f.methods):
                link = next(
                    (
                        x.data
                        for x in inner
                        if type(x) is Notify and x.notify_type == NotifyType.ADDITIONAL_KEY_EXCHANGE
                    ),
                    None,
                )
                if link is None:
                    raise ProtocolError("IKE_FOLLOWUP_KE response without the next link")
                f.link = link
                self._send_followup(now)
                return
            self._followup = None
            f.finish(f.secrets, now)
        except (ProtocolError, ConfigError) as e:
            self._followup = None
            notify = e.notify if isinstance(e, ProtocolError) else NotifyType.INVALID_SYNTAX
            req = f.request if f is not None else None
            old = self._child_by_spi_in(req.old_spi) if req is not None and req.old_spi else None
            if old is not None and old.status == "REKEYING":
                old.status = "INSTALLED"
            if req is not None and req.kind == "rekey_ike":
                self._settle_lost_ike_rekey(now)
            self._events.append(ConnectionFailed(int(notify), f"IKE_FOLLOWUP_KE: {e}"))
        finally:
            self._flush(now)

    def _answer_child(
        self,
        p: Message,
        sa: SA,
        nonce: Nonce,
        ke: KE | None,
        rekey: Notify | None,
        events: list[Event],
        now: float,
    ) -> list[Payload]:
        old: ChildSA | None = None
        if rekey is not None:
            protocol, spi = rekey_sa_spi(rekey)
            old = next((c for c in self.child_sas if c.spi_out == spi), None)
            if old is None:
                # RFC 7296 §2.25.1: it does not exist (a Delete crossed the request)
                return [Notify(NotifyType.CHILD_SA_NOT_FOUND, b"", protocol, spi)]
            if old.status == "DELETING":
                raise ProtocolError("that Child SA is being deleted", notify=_TEMPORARY_FAILURE)
        elif len(self.child_sas) >= self.config.max_child_sas:
            raise ProtocolError(
                f"already {len(self.child_sas)} Child SAs", notify=NotifyType.NO_ADDITIONAL_SAS
            )
        if self._rekeying_ike():
            # strongSwan and RFC 7296 §2.25.2 practice: not while the IKE SA moves
            raise ProtocolError("the IKE SA is being rekeyed", notify=_TEMPORARY_FAILURE)
        tsi, tsr = p.get(TSi), p.get(TSr)
        if not (type(tsi) is TSi and type(tsr) is TSr):
            raise ProtocolError(
                "CREATE_CHILD_SA without TSi or TSr", notify=NotifyType.INVALID_SYNTAX
            )
        answer = select_proposal(
            sa.proposals, self._esp_proposals, ke_group=int(ke.group) if ke else None
        )
        offered = next(o for o in sa.proposals if o.number == answer.number)
        group = int(answer.ke_method or 0)
        secret: bytes | None = None
        payload_ke: list[Payload] = []
        if group:
            if ke is None or int(ke.group) != group:
                # RFC 7296 §1.3: INVALID_KE_PAYLOAD names the group we want
                raise ProtocolError(
                    "KE group mismatch",
                    notify=NotifyType.INVALID_KE_PAYLOAD,
                    data=int(group).to_bytes(2, "big"),
                )
            mine = new_key_exchange(group, rng=self._rng, initiator=False)
            secret = mine.compute_secret(ke.data)
            payload_ke = [KE(group, mine.public_value())]
        narrowed_i = narrow(tsi.selectors, self._remote_policy())
        narrowed_r = narrow(tsr.selectors, self._local_ts)
        asked = {int(n.notify_type) for n in p.notifies()}
        transport = NotifyType.USE_TRANSPORT_MODE in asked and self.config.mode == "transport"
        nr = self._rng(self.config.nonce_size)
        spi_in = self._draw_spi(4)
        answer = answer._replace(spi=spi_in)
        old_spi = old.spi_in if old is not None else b""
        if old is not None and old.status == "REKEYING":
            old.peer_rekey_nonces = (nonce.data, nr)  # §2.8.1: both rekey it

        def finish(additional: list[bytes], now: float, into: list[Event]) -> None:
            replaced = self._child_by_spi_in(old_spi) if old_spi else None
            child = self._add_child(
                answer,
                spi_in,
                offered.spi,
                narrowed_i,
                narrowed_r,
                into,
                transport=transport,
                peer_notifies=asked,
                now=now,
                nonces=(nonce.data, nr),
                secret=secret,
                additional=additional,
                ours=False,
                replaces=replaced,
            )
            if replaced is not None:
                if replaced.status == "REKEYING":
                    replaced.peer_rekey = child.spi_in  # §2.8.1: both rekeyed it
                else:
                    replaced.status = "REKEYED"  # the peer, who started it, deletes it
                    replaced.rekey_at = None

        reply: list[Payload] = [
            *self._child_notifies(transport=transport),
            SA((answer,)),
            Nonce(nr),
            *payload_ke,
            TSi(narrowed_i),
            TSr(narrowed_r),
        ]
        methods = _additional_methods(answer)
        if methods:
            # RFC 9370 §2.2.4: the SA comes after the IKE_FOLLOWUP_KE exchanges
            reply.append(self._expect_followup(methods, finish))
            return reply
        finish([], now, events)
        return reply

    def _remote_policy(self) -> tuple[Selector, ...]:
        """The peer's side of our policy; a leased virtual IP narrows it (§2.19)."""
        if self._leased and self.virtual_ips:
            host = self.virtual_ips[0]
            return (ts_from_string(f"{host}/{128 if ':' in host else 32}"),)
        return self._remote_ts

    def _answer_ike_rekey(
        self, sa: SA, nonce: Nonce, ke: KE | None, now: float
    ) -> tuple[list[Payload], Callable[[], None] | None]:
        """RFC 7296 §1.3.2, §2.18: answer an IKE SA rekey; the switch to the new SA
        happens after the answer leaves under the old keys — unless our own rekey is
        out too (§2.8.2), then the nonces decide once both exchanges are done."""
        if any(not _is_ike_rekey(o.request) for o in self._outstanding.values()):
            # our other exchanges on this IKE SA must finish first (RFC 7296 §2.25)
            raise ProtocolError("exchanges of ours are in progress", notify=_TEMPORARY_FAILURE)
        answer = select_proposal(
            sa.proposals, self._rekey_proposals(), ke_group=int(ke.group) if ke else None
        )
        offered = next(o for o in sa.proposals if o.number == answer.number)
        if self._rekeying_ike() and _additional_methods(answer):
            # both rekey the IKE SA and IKE_FOLLOWUP_KE exchanges would follow: rather
            # than settle a collision spread over several exchanges, both refuse and
            # retry after a random delay (RFC 7296 §2.25), so one goes first
            raise ProtocolError("our own IKE SA rekey is in progress", notify=_TEMPORARY_FAILURE)
        group = int(answer.ke_method or 0)
        if ke is None or int(ke.group) != group:
            raise ProtocolError(
                "KE group mismatch",
                notify=NotifyType.INVALID_KE_PAYLOAD,
                data=group.to_bytes(2, "big"),
            )
        if len(offered.spi) != 8:
            raise ProtocolError(
                "IKE SA rekey without an 8-octet SPI", notify=NotifyType.INVALID_SYNTAX
            )
        mine = new_key_exchange(group, rng=self._rng, initiator=False)
        secret = mine.compute_secret(ke.data)
        nr = self._rng(self.config.nonce_size)
        spi_r = self._draw_spi(8)
        assert self.keys is not None
        old_keys = self.keys
        reply: list[Payload] = [
            SA((answer._replace(spi=spi_r),)),
            Nonce(nr),
            KE(group, mine.public_value()),
        ]
        suite = answer._replace(spi=b"")

        def settle(additional: list[bytes], now: float) -> Callable[[], None] | None:
            keys = derive_ike_sa_keys(
                answer,
                secret,
                nonce.data,
                nr,
                offered.spi,
                spi_r,
                old_sk_d=old_keys.sk_d,
                old_prf_id=old_keys.prf_id,
                additional_secrets=additional,
            )
            if self._rekeying_ike():
                self._peer_ike_rekey = (suite, keys, group, (nonce.data, nr))
                return None

            def switch() -> None:
                self._switch_ike_sa(suite, keys, group, Role.RESPONDER, now).close_later(now)

            return switch

        methods = _additional_methods(answer)
        if methods:

            def finish(additional: list[bytes], now: float, into: list[Event]) -> None:
                self._after_response = settle(additional, now)

            reply.append(self._expect_followup(methods, finish))
            return reply, None
        return reply, settle([], now)

    # ---- the initiator

    def _on_create_child_response(
        self, msg: Message, o: _Outstanding, inner: tuple[Payload, ...], now: float
    ) -> None:
        req = o.request
        assert req is not None
        # the slot frees, but queued requests wait until the IKE SA is settled (an
        # IKE rekey moves them to the new SA)
        self._outstanding.pop(msg.message_id, None)
        try:
            self._create_child_answered(msg, req, inner, now)
        finally:
            self._flush(now)

    def _create_child_answered(
        self, msg: Message, req: _ChildRequest, inner: tuple[Payload, ...], now: float
    ) -> None:
        p = Message.create(msg.exchange_type, inner, spi_i=msg.spi_i)
        old = self._child_by_spi_in(req.old_spi) if req.old_spi else None
        errors = [n for n in p.notifies() if n.is_error]
        try:
            if errors:
                self._child_refused(req, errors[0], old, now)
                return
            if req.kind == "rekey_ike":
                self._finish_ike_rekey(p, req, now)
            else:
                self._finish_child(p, req, old, now)
        except (ProtocolError, ConfigError, DecodeError) as e:
            notify = e.notify if isinstance(e, ProtocolError) else NotifyType.INVALID_SYNTAX
            reason = e.reason if isinstance(e, ProtocolError) else str(e)
            if old is not None and old.status == "REKEYING":
                old.status = "INSTALLED"
            if req.kind == "rekey_ike":
                self._settle_lost_ike_rekey(now)
            self._events.append(ConnectionFailed(int(notify), f"CREATE_CHILD_SA: {reason}"))

    def _child_refused(
        self, req: _ChildRequest, n: Notify, old: ChildSA | None, now: float
    ) -> None:
        """RFC 7296 §1.3, §2.25: the responder refused our request."""
        code = int(n.notify_type)
        if old is not None and old.status == "REKEYING":
            old.status = "INSTALLED"
        retry_kind = req.kind
        if code == NotifyType.INVALID_KE_PAYLOAD and req.retries < self.config.max_init_retries:
            props = self._ike_proposals if req.kind == "rekey_ike" else self._esp_proposals
            try:
                group = int(check_invalid_ke(props, int(invalid_ke_group(n)), sent=req.group))
            except (ProtocolError, DecodeError) as e:
                self._events.append(ConnectionFailed(code, f"CREATE_CHILD_SA: {e}"))
                return
            if old is not None:
                old.status = "REKEYING"
            self._request_child(
                retry_kind,
                now,
                old=old,
                tsi=req.tsi,
                tsr=req.tsr,
                group=group,
                retries=req.retries + 1,
            )
            return
        if req.kind == "rekey_ike" and self._peer_ike_rekey is not None:
            # RFC 7296 §2.8.2: the peer's rekey, which we answered, already stands
            self._settle_lost_ike_rekey(now)
            return
        if code == NotifyType.TEMPORARY_FAILURE:
            # RFC 7296 §2.25: "retry later", after a random delay so that the two
            # peers do not collide again
            delay = 1.0 + 4.0 * int.from_bytes(self._rng(2), "big") / 65536
            self._retries.append((now + delay, retry_kind, req.old_spi))
        elif req.kind == "rekey_ike":
            self._settle_lost_ike_rekey(now)
        self._events.append(
            ConnectionFailed(
                code, f"CREATE_CHILD_SA ({req.kind}) refused: {_name(to_enum(NotifyType, code))}"
            )
        )

    def _finish_child(
        self, p: Message, req: _ChildRequest, old: ChildSA | None, now: float
    ) -> None:
        sa, nonce, ke, tsi, tsr = p.get(SA), p.get(Nonce), p.get(KE), p.get(TSi), p.get(TSr)
        if not (type(sa) is SA and type(nonce) is Nonce and type(tsi) is TSi and type(tsr) is TSr):
            raise ProtocolError("CREATE_CHILD_SA response without SA, Nonce, TSi or TSr")
        offered = tuple(x._replace(spi=req.spi) for x in self._esp_proposals)
        check_selected(offered, sa.proposals)
        chosen = sa.proposals[0]
        group = int(chosen.ke_method or 0)
        secret: bytes | None = None
        if group:
            if group != req.group or req.ke is None or type(ke) is not KE or int(ke.group) != group:
                raise ProtocolError("the responder's KE group is not the one we sent")
            secret = req.ke.compute_secret(ke.data)
        check_narrowed(tsi.selectors, req.tsi)
        check_narrowed(tsr.selectors, req.tsr)
        answered = {int(n.notify_type) for n in p.notifies()}

        def finish(additional: list[bytes], now: float) -> None:
            self._complete_child(
                req,
                chosen,
                tsi.selectors,
                tsr.selectors,
                answered,
                nonce.data,
                secret,
                additional,
                now,
            )

        methods = _additional_methods(chosen)
        if methods:
            self._start_followup(req, p, methods, finish, now)
            return
        finish([], now)

    def _complete_child(
        self,
        req: _ChildRequest,
        chosen: Proposal,
        tsi: tuple[Selector, ...],
        tsr: tuple[Selector, ...],
        answered: set[int],
        nr: bytes,
        secret: bytes | None,
        additional: list[bytes],
        now: float,
    ) -> None:
        """Our CREATE_CHILD_SA (and its IKE_FOLLOWUP_KE exchanges) done: the Child SA,
        and the §2.8.1 / §2.25.1 rules for the one it replaces."""
        old = self._child_by_spi_in(req.old_spi) if req.old_spi else None
        events: list[Event] = []
        new = self._add_child(
            chosen,
            req.spi,
            chosen.spi,
            tsi,
            tsr,
            events,
            transport=NotifyType.USE_TRANSPORT_MODE in answered,
            peer_notifies=answered,
            now=now,
            nonces=(req.ni, nr),
            secret=secret,
            additional=additional,
            ours=True,
            replaces=old,
        )
        self._events.extend(events)
        if req.kind != "rekey_child":
            return
        if old is None:
            # RFC 7296 §2.25.1: the peer deleted the SA we were rekeying; the new one
            # replaces nothing, so we delete it
            self.delete_child(new.spi_in, now)
            return
        # RFC 7296 §2.8.1: if both rekeyed it, the SA with the lowest of the four
        # nonces is redundant and closed by its creator; the survivor's creator
        # deletes the old SA (RFC 9370 §2.2.4: the CREATE_CHILD_SA nonces decide, even
        # while the peer's IKE_FOLLOWUP_KE exchanges are still going on)
        twin = old.peer_rekey_nonces
        if twin is not None and _redundant(new.nonces, twin):
            old.status = "REKEYED"  # the peer deletes it
            self.delete_child(new.spi_in, now)
            return
        old.status = "INSTALLED"
        self.delete_child(old.spi_in, now)

    def _finish_ike_rekey(self, p: Message, req: _ChildRequest, now: float) -> None:
        sa, nonce, ke = p.get(SA), p.get(Nonce), p.get(KE)
        if not (type(sa) is SA and type(nonce) is Nonce and type(ke) is KE):
            raise ProtocolError("IKE SA rekey response without SA, Nonce or KE")
        offered = tuple(x._replace(spi=req.spi) for x in self._rekey_proposals())
        check_selected(offered, sa.proposals)
        chosen = sa.proposals[0]
        if int(ke.group) != req.group or req.ke is None or int(chosen.ke_method or 0) != req.group:
            raise ProtocolError("the responder's KE group is not the one we sent")
        if len(chosen.spi) != 8:
            raise ProtocolError("IKE SA rekey response without an 8-octet SPI")
        secret = req.ke.compute_secret(ke.data)
        assert self.keys is not None
        suite = chosen._replace(spi=b"")
        old_keys = self.keys

        def finish(additional: list[bytes], now: float) -> None:
            keys = derive_ike_sa_keys(
                suite,
                secret,
                req.ni,
                nonce.data,
                req.spi,
                chosen.spi,
                old_sk_d=old_keys.sk_d,
                old_prf_id=old_keys.prf_id,
                additional_secrets=additional,
            )
            self._complete_ike_rekey(req, suite, keys, nonce.data, now)

        methods = _additional_methods(chosen)
        if methods:
            self._start_followup(req, p, methods, finish, now)
            return
        finish([], now)

    def _complete_ike_rekey(
        self, req: _ChildRequest, suite: Proposal, keys: IKESAKeys, nr: bytes, now: float
    ) -> None:
        """Our IKE SA rekey (and its IKE_FOLLOWUP_KE exchanges) done: move, or settle a
        collision by the nonces (RFC 7296 §2.8.2, RFC 9370 §2.2.4)."""
        ours = (req.ni, nr)
        theirs = self._peer_ike_rekey
        self._peer_ike_rekey = None
        if theirs is None:
            self._switch_ike_sa(suite, keys, req.group, Role.INITIATOR, now).close(now)
            return
        # RFC 7296 §2.8.2: both rekeyed the IKE SA; the new SA with the lowest of the
        # four nonces is redundant and deleted by its creator; the Child SAs go to
        # the survivor, whose creator deletes the old IKE SA
        t_suite, t_keys, t_group, t_nonces = theirs
        if _redundant(ours, t_nonces):
            old = self._switch_ike_sa(t_suite, t_keys, t_group, Role.RESPONDER, now)
            old.close_later(now)  # the peer, creator of the survivor, deletes it
            self._side_sa(suite, keys, req.group, Role.INITIATOR, now).close(now)
        else:
            old = self._switch_ike_sa(suite, keys, req.group, Role.INITIATOR, now)
            old.close(now)
            self._side_sa(t_suite, t_keys, t_group, Role.RESPONDER, now).close_later(now)

    def _settle_lost_ike_rekey(self, now: float) -> None:
        """Our IKE rekey failed; the peer's, answered meanwhile, now stands (§2.8.2)."""
        theirs, self._peer_ike_rekey = self._peer_ike_rekey, None
        if theirs is not None:
            t_suite, t_keys, t_group, _ = theirs
            old = self._switch_ike_sa(t_suite, t_keys, t_group, Role.RESPONDER, now)
            # our own rekey is forgotten (§2.25.2); the peer's Delete of the old SA
            # is answered by the old SA kept beside us
            old._outstanding = {
                k: o
                for k, o in old._outstanding.items()
                if o.request is None or o.request.kind != "rekey_ike"
            }

    # ---- moving to a new IKE SA

    def _side_sa(
        self, suite: Proposal, keys: IKESAKeys, group: int, role: Role, now: float
    ) -> IKEConnection:
        """A bare IKE SA kept beside this one only to finish its Delete exchange."""
        side = copy.copy(self)
        side._is_side = True
        side._datagrams = []
        side._events = deque()
        side.child_sas = []
        side._side = []
        side._pending = deque()
        side._retries = []
        side._leased = False
        side._peer_ike_rekey = None
        side._install_ike_sa(suite, keys, group, role)
        self._side.append((side, now + self._side_linger()))
        return side

    def _switch_ike_sa(
        self, suite: Proposal, keys: IKESAKeys, group: int, role: Role, now: float
    ) -> IKEConnection:
        """Make the new IKE SA ours (RFC 7296 §2.18); the Child SAs stay with us. The
        old IKE SA is returned, kept beside us to finish its Delete exchange."""
        old = copy.copy(self)
        old._is_side = True
        old._datagrams = []
        old._events = deque()
        old.child_sas = []
        old._side = []
        old._pending = deque()
        old._retries = []
        old._leased = False
        old._peer_ike_rekey = None
        old._outstanding = dict(self._outstanding)
        old._answers = dict(self._answers)
        old._peer_done = set(self._peer_done)
        old._reassemblers = {}
        old._first_fragments = {}
        self._side.append((old, now + self._side_linger()))
        old_spis = (self.spi_i, self.spi_r)
        # a fresh IKE SA: a pending retry of an IKE rekey is moot
        self._retries = [r for r in self._retries if r[1] != "rekey_ike"]
        self._install_ike_sa(suite, keys, group, role)
        self.generation += 1
        self._ike_established(now)
        self._events.append(
            IKESARekeyed(
                old_spis[0],
                old_spis[1],
                self.spi_i,
                self.spi_r,
                _suite_name(suite),
                self.generation,
            )
        )
        # what waited behind the rekey goes out on the new IKE SA; a queued rekey of
        # our own is moot now
        self._pending = deque(p for p in self._pending if not _is_ike_rekey(p.request))
        self._flush(now)
        return old

    def _install_ike_sa(self, suite: Proposal, keys: IKESAKeys, group: int, role: Role) -> None:
        """New SPIs, keys and message IDs (RFC 7296 §2.18: the new IKE SA's initiator
        is whoever initiated the rekey; its message IDs start at 0)."""
        self.role = role
        self.spi_i, self.spi_r = keys.spi_i, keys.spi_r
        self.suite, self.keys, self._ke_group = suite, keys, group
        self._prf = prf_for(keys.prf_id)
        initiator = role is Role.INITIATOR
        self._out = SKCipher.from_keys(keys, sender_is_initiator=initiator)
        self._in = SKCipher.from_keys(keys, sender_is_initiator=not initiator)
        self._iv_counter = 0
        self._next_request_id = 0
        self._outstanding = {}
        self._answers = {}
        self._peer_next = 0
        self._peer_done = set()
        self._reassemblers = {}
        self._first_fragments = {}

    def close_later(self, now: float) -> None:
        """A side IKE SA the peer deletes: it just waits (bounded by its deadline)."""

    def _side_linger(self) -> float:
        """How long a side IKE SA may wait for its Delete: all retransmissions."""
        t, total = self.config.retransmit_timeout, 0.0
        for _ in range(self.config.retransmit_tries):
            total += t
            t *= 2
        return total + self.config.retransmit_timeout

    # ---- lifetimes (RFC 7296 §2.8: each peer its own)

    def _jitter(self, span: float) -> float:
        return span * self.config.rekey_jitter * int.from_bytes(self._rng(2), "big") / 65536

    def _ike_established(self, now: float) -> None:
        """Schedule the IKE SA's rekey, reauthentication and hard lifetime; the
        lifetime is trimmed so that the SA ends before either side's certificate
        expires (a rekey keeps the authentication, so the deadline carries over)."""
        self.established_at = now
        self._last_traffic = now
        if self._is_side:
            return
        life = self.config.ike_lifetime
        rekey = self.config.ike_rekey_time or 0.9 * life
        self._ike_rekey_at = now + rekey - self._jitter(rekey) if rekey < life else None
        self._ike_expire_at = now + life
        if self.generation == 1:
            reauth = self.config.reauth_time
            self._reauth_at = now + reauth - self._jitter(reauth) if reauth else None
            expiries = [t for t in (self._own_cert_expiry(), self._peer_cert_expiry) if t]
            if expiries:
                first = min(expiries)
                left = (first - self.config.wall_clock()).total_seconds()
                self._cert_deadline = now + max(left, 0.0)
        if self._cert_deadline is not None and self._cert_deadline < self._ike_expire_at:
            self._ike_expire_at = self._cert_deadline
            if self._ike_rekey_at is not None and self._ike_rekey_at >= self._cert_deadline:
                self._ike_rekey_at = None  # a rekey would not outlive the certificate
            self._events.append(
                LifetimeTrimmed(
                    self._cert_deadline - now,
                    "IKE SA lifetime trimmed to end before a certificate expires",
                )
            )
            if self._reauth_at is None or self._reauth_at > self._cert_deadline:
                # reauthenticate in time: new credentials may be in place by then
                margin = min(
                    self.config.ike_lifetime * 0.1, max(self._cert_deadline - now, 0.0) / 2
                )
                self._reauth_at = self._cert_deadline - margin

    def _own_cert_expiry(self) -> datetime.datetime | None:
        if self.config.certificate is None or self.local_auth in (None, _PSK):
            return None
        return x509.load_der_x509_certificate(self.config.certificate).not_valid_after_utc

    def reauthentication_config(self) -> IKEConfig:
        """The config of the IKE SA that replaces this one by reauthentication
        (RFC 7296 §2.8.3): ours, as an initiator towards where the peer is now."""
        cfg = self.config
        remote_id = cfg.remote_id
        return dataclasses.replace(
            cfg,
            remote_address=self.peer_address,
            remote_id=remote_id,
            childless=False,
        )

    def reauthenticate(self, now: float) -> IKEConnection:
        """Start reauthentication (RFC 7296 §2.8.3): a new IKE SA from scratch, with
        full IKE_SA_INIT and IKE_AUTH and its own Child SA, returned for the caller
        to drive beside this one (an :class:`IKEEndpoint` does it by itself); once it
        is established, close this one — make-before-break."""
        self._require_established("reauthenticate")
        successor = IKEConnection(self.reauthentication_config(), initiator=True)
        successor.initiate(now)
        return successor

    def _schedule_child(self, child: ChildSA, now: float) -> None:
        life = self.config.child_lifetime
        rekey = self.config.child_rekey_time or 0.9 * life
        child.rekey_at = now + rekey - self._jitter(rekey) if rekey < life else None
        child.expire_at = now + life

    def _lifecycle_deadlines(self) -> list[float]:
        if self.state is not State.ESTABLISHED or self._is_side:
            return []
        out = [t for t, _, _ in self._retries]
        for c in self.child_sas:
            if c.rekey_at is not None and c.status == "INSTALLED":
                out.append(c.rekey_at)
            if c.expire_at is not None and c.status != "DELETING":
                out.append(c.expire_at)
        for t in (self._ike_rekey_at, self._ike_expire_at, self._reauth_at, self._dpd_deadline()):
            if t is not None:
                out.append(t)
        return out

    def _dpd_deadline(self) -> float | None:
        """RFC 7296 §1.4: check liveness only after ``dpd_delay`` without traffic and
        with nothing outstanding (an outstanding request is a check already)."""
        delay = self.config.dpd_delay
        if not delay or self._outstanding or self._pending:
            return None
        return self._last_traffic + delay

    def _run_lifecycle(self, now: float) -> None:
        if self.state is not State.ESTABLISHED or self._is_side:
            return
        if self._ike_expire_at is not None and now >= self._ike_expire_at:
            self._ike_expire_at = None
            self.close(now)  # hard lifetime: delete the IKE SA and its children
            return
        due, self._retries = (
            [r for r in self._retries if r[0] <= now],
            [r for r in self._retries if r[0] > now],
        )
        for _, kind, old_spi in due:
            if kind == "rekey_ike":
                if not self._rekeying_ike():
                    self._request_child("rekey_ike", now)
            elif kind == "rekey_child":
                old = self._child_by_spi_in(old_spi)
                if old is not None and old.status == "INSTALLED":
                    self._start_child_rekey(old, now)
            else:
                self._request_child("new", now, tsi=self._local_ts, tsr=self._remote_ts)
        for c in list(self.child_sas):
            if c.expire_at is not None and now >= c.expire_at and c.status != "DELETING":
                c.expire_at = None
                self.delete_child(c.spi_in, now)
            elif c.rekey_at is not None and now >= c.rekey_at and c.status == "INSTALLED":
                self._start_child_rekey(c, now)
        if self._reauth_at is not None and now >= self._reauth_at:
            self._reauth_at = None
            # RFC 7296 §2.8.3: the caller (or the endpoint) builds the new IKE SA
            self._events.append(ReauthenticationDue(self.generation))
        if self._ike_rekey_at is not None and now >= self._ike_rekey_at:
            self._ike_rekey_at = None
            if not self._rekeying_ike():
                self._request_child("rekey_ike", now)
        dpd = self._dpd_deadline()
        if dpd is not None and now >= dpd:
            self.send_liveness(now)

    # ------------------------------------------------------------------ INFORMATIONAL

    def _on_informational_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        framed: bool,
        now: float,
        inner: tuple[Payload, ...],
    ) -> None:
        """RFC 7296 §1.4: Delete, notifies, or nothing (a liveness check)."""
        self._update_path(addr, framed)
        notifies = [x for x in inner if type(x) is Notify]
        self._learn_window(notifies)
        deletes = [x for x in inner if type(x) is Delete]
        deletes_ike = any(d.protocol_id == ProtocolId.IKE for d in deletes)
        auth_failed = any(n.notify_type == NotifyType.AUTHENTICATION_FAILED for n in notifies)
        reply: list[Payload] = []
        removed: list[ChildSA] = []
        if not deletes_ike and not auth_failed:
            reply, removed = self._peer_deletes_children(deletes)
        response = self._seal(ExchangeType.INFORMATIONAL, msg.message_id, reply, response=True)
        self._respond(msg.message_id, data, response)
        if auth_failed:
            # RFC 7296 §2.21.2: the initiator rejected our AUTH; the IKE SA is void.
            self._fail(NotifyType.AUTHENTICATION_FAILED, "the peer rejected our AUTH")
        elif deletes_ike and self._peer_ike_rekey is not None and not self._is_side:
            # RFC 7296 §2.8.2: both rekeyed the IKE SA and the peer's rekey, which we
            # answered, won — the peer moved to it and deletes the old one. We follow:
            # the old SA (answered, closed) stays beside us for retransmissions, and
            # our own rekey is forgotten (§2.25.2).
            t_suite, t_keys, t_group, _ = self._peer_ike_rekey
            self._peer_ike_rekey = None
            old = self._switch_ike_sa(t_suite, t_keys, t_group, Role.RESPONDER, now)
            old._outstanding.clear()
            old._advance(Stimulus.RECV_DELETE)
        elif deletes_ike:
            # RFC 7296 §1.4.1: answer with an empty INFORMATIONAL; the SA is gone.
            self._abandon_requests()
            self._advance(Stimulus.RECV_DELETE)
            self.child_sas.clear()
            self._events.append(IKESADeleted(local=False))
        else:
            for child in removed:
                self._events.append(ChildSADeleted(child.spi_in, child.spi_out, local=False))
            for n in notifies:
                if n.is_error:
                    # RFC 7296 §3.10.1: e.g. INVALID_SPI; reported, the SA stands.
                    self._events.append(NotifyReceived(int(n.notify_type), n.spi, n.data))

    def _peer_deletes_children(self, deletes: list[Delete]) -> tuple[list[Payload], list[ChildSA]]:
        """RFC 7296 §1.4.1: the peer deletes its inbound SAs (our outbound SPIs); we
        answer with Deletes of the paired inbound SPIs, and unknown SPIs are ignored."""
        removed: list[ChildSA] = []
        by_protocol: dict[int, list[bytes]] = {}
        for d in deletes:
            for spi in d.spis:
                child = next((c for c in self.child_sas if c.spi_out == spi), None)
                if child is None or child in removed:
                    continue
                removed.append(child)
                by_protocol.setdefault(int(d.protocol_id), []).append(child.spi_in)
        for child in removed:
            self.child_sas.remove(child)
        reply: list[Payload] = [
            Delete(protocol, 4, tuple(spis)) for protocol, spis in by_protocol.items()
        ]
        return reply, removed

    def _on_informational_response(
        self, msg: Message, data: bytes, o: _Outstanding, now: float, inner: tuple[Payload, ...]
    ) -> None:
        self._complete(msg.message_id, now)
        if o.purpose == "delete_ike":
            if self.state is State.DELETING:
                self._advance(Stimulus.RECV_DELETE_RESPONSE)
                self.child_sas.clear()
                self._events.append(IKESADeleted(local=True))
        elif o.purpose == "delete_child":
            child = self._child_by_spi_in(o.context[0])
            if child is not None:
                self.child_sas.remove(child)
                self._events.append(ChildSADeleted(child.spi_in, child.spi_out, local=True))
        elif o.purpose == "liveness":
            self._events.append(PeerAlive(msg.message_id))
