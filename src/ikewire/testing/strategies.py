"""Hypothesis strategies for IKEv2 payloads and messages (RFC 7296 §3, RFC 7383 §2.5).

Build fuzz harnesses and property tests from these. Every strategy generates
models that are valid on the wire — each field in its range, each length
representable — with reserved fields sometimes non-zero and enumerated fields
sometimes an unknown number, because a decoder must keep both::

    from hypothesis import given
    from ikewire import DecodeError
    from ikewire.testing import strategies as ist
    from ikewire.wire import decode, encode

    @given(ist.messages())
    def test_round_trip(msg):
        assert decode(encode(msg)) == msg

    @given(ist.mutated_messages())
    def test_decode_is_total(data):
        try:
            decode(data)
        except DecodeError:
            pass

One strategy per payload class (``sa_payloads()``, ``ke_payloads()``,
``notify_payloads()``, ...), per substructure (``proposals()``, ``transforms()``,
``transform_attributes()``, ``traffic_selectors()``, ``cp_attributes()``), and
for whole messages: ``payloads()``, ``messages()``, ``encoded_messages()`` (the
bytes of valid messages) and ``mutated_messages()`` (valid bytes with bit
flips, truncations, insertions and deletions: mostly malformed).

Sizes are kept small so that examples are quick to generate and shrink.
Hypothesis is a development dependency of ikewire: this module needs it
installed (``pip install 'ikewire[dev]'``); importing :mod:`ikewire` does not.
"""

from __future__ import annotations

from enum import IntEnum
from functools import cache
from typing import Any, TypeVar

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "ikewire.testing.strategies needs Hypothesis: pip install 'ikewire[dev]' "
        "(or pip install hypothesis)"
    ) from exc

from ..constants import (
    ESN,
    AuthMethod,
    CertEncoding,
    CfgType,
    CPAttributeType,
    EncrId,
    ExchangeType,
    IDType,
    IntegId,
    KeyExchangeMethod,
    NotifyType,
    PayloadType,
    PrfId,
    ProtocolId,
    TransformAttributeType,
    TransformType,
    TSType,
    to_enum,
)
from ..wire import models as m
from ..wire.v2 import construct_encode

__all__ = [
    "auth_payloads",
    "cert_payloads",
    "certreq_payloads",
    "cp_attributes",
    "cp_payloads",
    "delete_payloads",
    "eap_payloads",
    "encoded_messages",
    "enum_values",
    "idi_payloads",
    "idr_payloads",
    "ke_payloads",
    "messages",
    "mutated_messages",
    "mutations_of",
    "nonce_payloads",
    "notify_payloads",
    "payloads",
    "proposals",
    "raw_traffic_selectors",
    "sa_payloads",
    "sk_payloads",
    "skf_payloads",
    "traffic_selectors",
    "transform_attributes",
    "transforms",
    "tsi_payloads",
    "tsr_payloads",
    "unknown_payloads",
    "vendor_id_payloads",
]

E = TypeVar("E", bound=IntEnum)

#: Payload types with a model of their own (RFC 7296 §3.2, RFC 7383 §2.5).
_MODELLED_TYPES = frozenset(
    {
        PayloadType.SA,
        PayloadType.KE,
        PayloadType.IDi,
        PayloadType.IDr,
        PayloadType.CERT,
        PayloadType.CERTREQ,
        PayloadType.AUTH,
        PayloadType.NONCE,
        PayloadType.NOTIFY,
        PayloadType.DELETE,
        PayloadType.VENDOR_ID,
        PayloadType.TSi,
        PayloadType.TSr,
        PayloadType.SK,
        PayloadType.CP,
        PayloadType.EAP,
        PayloadType.SKF,
    }
)

_TS_IPV4_ADDR_RANGE = 7
_TS_IPV6_ADDR_RANGE = 8


# --------------------------------------------------------------------------- building blocks


@cache
def enum_values(enum: type[E], bits: int) -> st.SearchStrategy[E | int]:
    """Values of an IANA registry field ``bits`` wide: mostly a registered member,
    sometimes any number (an unregistered one stays a plain ``int``).

    Unknown numbers must round-trip (RFC 7296 §3.3.2, §3.10.1 and the other
    registries), so decoders are exercised with both.
    """
    known: st.SearchStrategy[E] = st.sampled_from(list(enum))
    anything = st.integers(0, (1 << bits) - 1).map(lambda v: to_enum(enum, v))
    return st.one_of(known, known, known, anything)


@cache
def _reserved(bits: int) -> st.SearchStrategy[int]:
    """A RESERVED field: zero as senders must set it, sometimes not (RFC 7296 §3.2:
    "MUST be ignored on receipt"; ikewire keeps it so the octets round-trip)."""
    return st.one_of(st.just(0), st.just(0), st.just(0), st.integers(0, (1 << bits) - 1))


@cache
def _data(max_size: int = 48) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=max_size)


@cache
@st.composite
def _generic(draw: st.DrawFn) -> dict[str, Any]:
    """The critical bit and the 7 RESERVED bits of the generic payload header (RFC 7296 §3.2)."""
    return {
        "critical": draw(st.booleans()),
        "header_reserved": draw(_reserved(7)),
    }


@cache
def _spi(max_size: int = 16) -> st.SearchStrategy[bytes]:
    """An SPI: empty (IKE SA, RFC 7296 §3.3.1), 4 octets (AH/ESP), 8 octets (IKE
    rekey), or any other length the SPI Size field can carry."""
    return st.one_of(
        st.just(b""),
        st.binary(min_size=4, max_size=4),
        st.binary(min_size=8, max_size=8),
        st.binary(max_size=max_size),
    )


# --------------------------------------------------------------------------- SA


@cache
def transform_attributes() -> st.SearchStrategy[m.TransformAttribute]:
    """Transform attributes (RFC 7296 §3.3.5): TV (an ``int`` of 16 bits) or TLV (``bytes``)."""
    key_length = st.builds(
        m.TransformAttribute,
        st.just(TransformAttributeType.KEY_LENGTH),
        st.sampled_from([128, 192, 256]),
    )
    other = st.builds(
        m.TransformAttribute,
        enum_values(TransformAttributeType, 15),
        st.one_of(st.integers(0, 0xFFFF), st.binary(max_size=16)),
    )
    return st.one_of(key_length, other)


_TRANSFORM_IDS: dict[int, type[IntEnum]] = {
    TransformType.ENCR: EncrId,
    TransformType.PRF: PrfId,
    TransformType.INTEG: IntegId,
    TransformType.KE: KeyExchangeMethod,
    TransformType.ESN: ESN,
}


@cache
@st.composite
def transforms(draw: st.DrawFn, max_attributes: int = 2) -> m.Transform:
    """Transform substructures (RFC 7296 §3.3.2) of every transform type (1–12 and
    unknown), with the Transform ID from the registry its type selects."""
    ttype = draw(enum_values(TransformType, 8))
    id_enum = _TRANSFORM_IDS.get(int(ttype))
    if id_enum is None and 6 <= int(ttype) <= 12:  # ADDKE1–7, RFC 9370 §2.2.1
        id_enum = KeyExchangeMethod
    tid = draw(enum_values(id_enum, 16)) if id_enum is not None else draw(st.integers(0, 0xFFFF))
    attributes = draw(st.lists(transform_attributes(), max_size=max_attributes))
    return m.Transform(ttype, tid, tuple(attributes), draw(_reserved(16)))


@cache
@st.composite
def proposals(draw: st.DrawFn, max_transforms: int = 5) -> m.Proposal:
    """Proposal substructures (RFC 7296 §3.3.1), with 0 to ``max_transforms`` transforms."""
    return m.Proposal(
        draw(st.integers(0, 255)),
        draw(enum_values(ProtocolId, 8)),
        draw(_spi()),
        tuple(draw(st.lists(transforms(), max_size=max_transforms))),
        draw(_reserved(8)),
    )


@cache
@st.composite
def sa_payloads(draw: st.DrawFn, max_proposals: int = 2) -> m.SA:
    """Security Association payloads (RFC 7296 §3.3) with 0 to ``max_proposals`` proposals."""
    return m.SA(
        tuple(draw(st.lists(proposals(), max_size=max_proposals))),
        **draw(_generic()),
    )


# --------------------------------------------------------------------------- simple payloads


@cache
@st.composite
def ke_payloads(draw: st.DrawFn) -> m.KE:
    """Key Exchange payloads (RFC 7296 §3.4); the data is not a valid public value."""
    return m.KE(
        draw(enum_values(KeyExchangeMethod, 16)),
        draw(_data(64)),
        draw(_reserved(16)),
        **draw(_generic()),
    )


@cache
def _names() -> st.SearchStrategy[str]:
    """FQDN- and e-mail-like ASCII names (RFC 7296 §3.5: ID_FQDN, ID_RFC822_ADDR)."""
    return st.from_regex(r"[a-z0-9.@-]{1,32}", fullmatch=True)


@cache
@st.composite
def _identification(draw: st.DrawFn) -> tuple[IDType | int, bytes, int]:
    id_type = draw(enum_values(IDType, 8))
    if id_type == IDType.ID_IPV4_ADDR:
        data = draw(st.binary(min_size=4, max_size=4))
    elif id_type == IDType.ID_IPV6_ADDR:
        data = draw(st.binary(min_size=16, max_size=16))
    elif id_type in (IDType.ID_FQDN, IDType.ID_RFC822_ADDR):
        text = draw(_names())
        data = text.encode("ascii")
    else:
        data = draw(_data(32))
    return id_type, data, draw(_reserved(24))


@cache
@st.composite
def idi_payloads(draw: st.DrawFn) -> m.IDi:
    """Identification - Initiator payloads (RFC 7296 §3.5); addresses have their size."""
    return m.IDi(*draw(_identification()), **draw(_generic()))


@cache
@st.composite
def idr_payloads(draw: st.DrawFn) -> m.IDr:
    """Identification - Responder payloads (RFC 7296 §3.5); addresses have their size."""
    return m.IDr(*draw(_identification()), **draw(_generic()))


@cache
@st.composite
def cert_payloads(draw: st.DrawFn) -> m.CERT:
    """Certificate payloads (RFC 7296 §3.6); the data is opaque octets."""
    return m.CERT(draw(enum_values(CertEncoding, 8)), draw(_data(64)), **draw(_generic()))


@cache
@st.composite
def certreq_payloads(draw: st.DrawFn) -> m.CERTREQ:
    """Certificate Request payloads (RFC 7296 §3.7): zero or more 20-octet CA key hashes."""
    hashes = draw(st.lists(st.binary(min_size=20, max_size=20), max_size=3))
    data = b"".join(hashes) if draw(st.booleans()) else draw(_data(32))
    return m.CERTREQ(draw(enum_values(CertEncoding, 8)), data, **draw(_generic()))


@cache
@st.composite
def auth_payloads(draw: st.DrawFn) -> m.AUTH:
    """Authentication payloads (RFC 7296 §3.8)."""
    return m.AUTH(
        draw(enum_values(AuthMethod, 8)),
        draw(_data(64)),
        draw(_reserved(24)),
        **draw(_generic()),
    )


@cache
@st.composite
def nonce_payloads(draw: st.DrawFn) -> m.Nonce:
    """Nonce payloads (RFC 7296 §3.9): 16 to 256 octets, as the RFC requires."""
    return m.Nonce(draw(st.binary(min_size=16, max_size=64)), **draw(_generic()))


@cache
@st.composite
def notify_payloads(draw: st.DrawFn) -> m.Notify:
    """Notify payloads (RFC 7296 §3.10) of every notify type, with or without an SPI."""
    return m.Notify(
        draw(enum_values(NotifyType, 16)),
        draw(_data(32)),
        draw(enum_values(ProtocolId, 8)),
        draw(_spi()),
        **draw(_generic()),
    )


@cache
@st.composite
def delete_payloads(draw: st.DrawFn) -> m.Delete:
    """Delete payloads (RFC 7296 §3.11): no SPI for IKE, 4-octet SPIs for AH/ESP."""
    spi_size = draw(st.sampled_from([0, 4, 4, 8, 16]))
    spis = (
        ()
        if spi_size == 0
        else tuple(draw(st.lists(st.binary(min_size=spi_size, max_size=spi_size), max_size=4)))
    )
    return m.Delete(draw(enum_values(ProtocolId, 8)), spi_size, spis, **draw(_generic()))


@cache
@st.composite
def vendor_id_payloads(draw: st.DrawFn) -> m.VendorID:
    """Vendor ID payloads (RFC 7296 §3.12)."""
    return m.VendorID(draw(_data(32)), **draw(_generic()))


@cache
@st.composite
def eap_payloads(draw: st.DrawFn) -> m.EAP:
    """EAP payloads (RFC 7296 §3.16) holding a well-formed EAP message (RFC 3748 §4):
    Request/Response with a Type and data, or Success/Failure."""
    code = draw(st.integers(1, 4))
    identifier = draw(st.integers(0, 255))
    rest = bytes([draw(st.integers(0, 255))]) + draw(_data(24)) if code in (1, 2) else b""
    message = bytes([code, identifier]) + (4 + len(rest)).to_bytes(2, "big") + rest
    return m.EAP(message, **draw(_generic()))


# --------------------------------------------------------------------------- TS


@cache
@st.composite
def _address_ranges(draw: st.DrawFn) -> m.TrafficSelector:
    ts_type = draw(st.sampled_from([_TS_IPV4_ADDR_RANGE, _TS_IPV6_ADDR_RANGE]))
    size = 4 if ts_type == _TS_IPV4_ADDR_RANGE else 16
    return m.TrafficSelector(
        to_enum(TSType, ts_type),
        draw(st.integers(0, 255)),
        draw(st.integers(0, 0xFFFF)),
        draw(st.integers(0, 0xFFFF)),
        draw(st.binary(min_size=size, max_size=size)),
        draw(st.binary(min_size=size, max_size=size)),
    )


@cache
def raw_traffic_selectors() -> st.SearchStrategy[m.RawTrafficSelector]:
    """Traffic selectors of types without an address-range body (e.g. TS_SECLABEL,
    RFC 9478, or an unknown type), kept as raw octets (RFC 7296 §3.13.1)."""
    ts_types = st.integers(0, 255).filter(
        lambda t: t not in (_TS_IPV4_ADDR_RANGE, _TS_IPV6_ADDR_RANGE)
    )
    return st.builds(
        m.RawTrafficSelector,
        ts_types.map(lambda t: to_enum(TSType, t)),
        st.integers(0, 255),
        _data(24),
    )


@cache
def traffic_selectors() -> st.SearchStrategy[m.Selector]:
    """Traffic selectors (RFC 7296 §3.13.1): mostly TS_IPV4_ADDR_RANGE and
    TS_IPV6_ADDR_RANGE, sometimes another type kept raw."""
    ranges = _address_ranges()
    return st.one_of(ranges, ranges, raw_traffic_selectors())


@cache
@st.composite
def tsi_payloads(draw: st.DrawFn, max_selectors: int = 3) -> m.TSi:
    """Traffic Selector - Initiator payloads (RFC 7296 §3.13)."""
    selectors = tuple(draw(st.lists(traffic_selectors(), max_size=max_selectors)))
    return m.TSi(selectors, draw(_reserved(24)), **draw(_generic()))


@cache
@st.composite
def tsr_payloads(draw: st.DrawFn, max_selectors: int = 3) -> m.TSr:
    """Traffic Selector - Responder payloads (RFC 7296 §3.13)."""
    selectors = tuple(draw(st.lists(traffic_selectors(), max_size=max_selectors)))
    return m.TSr(selectors, draw(_reserved(24)), **draw(_generic()))


# --------------------------------------------------------------------------- SK, SKF


@cache
def _inner_types() -> st.SearchStrategy[PayloadType | int]:
    """The Next Payload of SK/SKF: the first inner payload, or 0 for none."""
    return st.one_of(st.just(PayloadType.NONE), enum_values(PayloadType, 8))


@cache
@st.composite
def sk_payloads(draw: st.DrawFn) -> m.SK:
    """Encrypted and Authenticated payloads (RFC 7296 §3.14) with an opaque body."""
    return m.SK(draw(_inner_types()), draw(_data(64)), **draw(_generic()))


@cache
@st.composite
def skf_payloads(draw: st.DrawFn) -> m.SKF:
    """Encrypted and Authenticated Fragment payloads (RFC 7383 §2.5): Fragment Number
    1..Total Fragments, Next Payload non-zero only in the first fragment."""
    total = draw(st.integers(1, 16))
    number = draw(st.integers(1, total))
    next_payload = draw(_inner_types()) if number == 1 else PayloadType.NONE
    return m.SKF(next_payload, number, total, draw(_data(64)), **draw(_generic()))


# --------------------------------------------------------------------------- CP


@cache
def cp_attributes() -> st.SearchStrategy[m.CPAttribute]:
    """Configuration attributes (RFC 7296 §3.15.1), the R bit sometimes set."""
    return st.builds(
        m.CPAttribute,
        enum_values(CPAttributeType, 15),
        _data(20),
        _reserved(1),
    )


@cache
@st.composite
def cp_payloads(draw: st.DrawFn, max_attributes: int = 4) -> m.CP:
    """Configuration payloads (RFC 7296 §3.15)."""
    return m.CP(
        draw(enum_values(CfgType, 8)),
        tuple(draw(st.lists(cp_attributes(), max_size=max_attributes))),
        draw(_reserved(24)),
        **draw(_generic()),
    )


# --------------------------------------------------------------------------- unknown


@cache
@st.composite
def unknown_payloads(draw: st.DrawFn) -> m.UnknownPayload:
    """Payloads of a type without a model (RFC 7296 §2.5): registered ones such as
    GSPM or PS, IKEv1 numbers, unassigned numbers; the critical bit sometimes set."""
    ptype = draw(st.integers(1, 255).filter(lambda t: t not in _MODELLED_TYPES))
    return m.UnknownPayload(to_enum(PayloadType, ptype), draw(_data(32)), **draw(_generic()))


# --------------------------------------------------------------------------- messages


@cache
def payloads() -> st.SearchStrategy[m.Payload]:
    """Any payload that may sit anywhere in a chain: every class except SK and
    SKF, which end the chain (see :func:`messages`)."""
    return st.one_of(
        sa_payloads(),
        ke_payloads(),
        idi_payloads(),
        idr_payloads(),
        cert_payloads(),
        certreq_payloads(),
        auth_payloads(),
        nonce_payloads(),
        notify_payloads(),
        delete_payloads(),
        vendor_id_payloads(),
        tsi_payloads(),
        tsr_payloads(),
        cp_payloads(),
        eap_payloads(),
        unknown_payloads(),
    )


_FLAGS = st.one_of(
    st.sampled_from(
        [
            m.FLAG_INITIATOR,
            m.FLAG_RESPONSE,
            m.FLAG_INITIATOR | m.FLAG_RESPONSE,
            0,
        ]
    ),
    st.integers(0, 255),  # the Version flag and the reserved bits (RFC 7296 §3.1)
)


@cache
@st.composite
def messages(
    draw: st.DrawFn,
    payload_strategy: st.SearchStrategy[m.Payload] | None = None,
    max_payloads: int = 4,
) -> m.Message:
    """IKEv2 messages (RFC 7296 §3.1): a header and a chain of up to
    ``max_payloads`` payloads from ``payload_strategy`` (default :func:`payloads`),
    sometimes ending with an SK or SKF payload.

    Major version 2, minor version usually 0; the flags sometimes carry reserved
    bits; exchange types are sometimes unregistered.
    """
    chain = list(draw(st.lists(payload_strategy or payloads(), max_size=max_payloads)))
    ending = draw(st.sampled_from(["none", "none", "sk", "skf"]))
    if ending == "sk":
        chain.append(draw(sk_payloads()))
    elif ending == "skf":
        chain.append(draw(skf_payloads()))
    return m.Message(
        draw(st.binary(min_size=8, max_size=8)),
        draw(st.one_of(st.just(bytes(8)), st.binary(min_size=8, max_size=8))),
        draw(enum_values(ExchangeType, 8)),
        draw(_FLAGS),
        draw(st.integers(0, 0xFFFFFFFF)),
        tuple(chain),
        2,
        draw(_reserved(4)),
    )


@cache
def encoded_messages(
    message_strategy: st.SearchStrategy[m.Message] | None = None,
) -> st.SearchStrategy[bytes]:
    """The octets of valid IKEv2 messages, encoded by the reference codec
    (:func:`ikewire.wire.v2.construct_encode`) from ``message_strategy``
    (default :func:`messages`)."""
    return (message_strategy or messages()).map(construct_encode)


@st.composite
def _mutate(draw: st.DrawFn, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "flip", "byte", "truncate", "insert", "delete"]))
        position = draw(st.integers(0, len(buf)))
        if kind == "flip" and buf:
            index = min(position, len(buf) - 1)
            buf[index] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and buf:
            index = min(position, len(buf) - 1)
            buf[index] = draw(st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x7F, 0x80, 0xFF]))
        elif kind == "truncate":
            del buf[position:]
        elif kind == "insert":
            buf[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del buf[position : position + draw(st.integers(1, 8))]
    return bytes(buf)


def mutations_of(data: bytes) -> st.SearchStrategy[bytes]:
    """``data`` with one to three mutations: bit flips, bytes set to boundary values
    (0x00, 0x01, 0x7F, 0xFF, ...), truncation, inserted or deleted octets.

    Feed it captured datagrams: ``st.sampled_from(frames).flatmap(mutations_of)``.
    """
    return _mutate(data)


@cache
def mutated_messages(
    message_strategy: st.SearchStrategy[m.Message] | None = None,
) -> st.SearchStrategy[bytes]:
    """Valid message octets (:func:`encoded_messages`) with one to three mutations:
    bit flips, bytes set to boundary values, truncation, inserted or deleted
    octets. Most results are malformed; a decoder must answer each with a message
    or :class:`ikewire.DecodeError`, never another exception."""
    return encoded_messages(message_strategy).flatmap(mutations_of)
