"""What one IKE SA keeps beside its state (RFC 7296): the Child SA record, our
requests in flight, and the helpers every exchange module shares.
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

from ..constants import (
    AuthMethod,
    ExchangeType,
    HashAlgorithm,
    NotifyType,
    ProtocolId,
    TransformType,
)
from ..crypto.auth import (
    decode_hash_algorithms,
)
from ..crypto.groups import KeyExchange
from ..crypto.keys import (
    ChildSAKeys,
)
from ..errors import ConfigError, DecodeError
from ..wire.models import (
    Message,
    Payload,
    Proposal,
    Selector,
    Transform,
)
from ..wire.syntax import format_transforms
from .config import IKEConfig, as_proposals, as_selectors, child_proposals
from .events import (
    Event,
)
from .proposals import immutable_proposal

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
