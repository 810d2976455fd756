"""Hypothesis strategies for IKEv1 / ISAKMP payloads and messages (RFC 2408 §3).

The IKEv1 counterpart of :mod:`ikewire.testing.strategies`: every strategy generates
models that are valid on the wire — each field in its range, each length representable
— with RESERVED fields sometimes non-zero and enumerated fields sometimes an unknown
number, because a decoder must keep both::

    from hypothesis import given
    from ikewire.testing import v1_strategies as v1st
    from ikewire.wire.v1 import decode_v1, encode_v1

    @given(v1st.messages())
    def test_round_trip(msg):
        assert decode_v1(encode_v1(msg)) == msg

    @given(v1st.mutated_messages())
    def test_decode_is_total(data):
        try:
            decode_v1(data)
        except ikewire.DecodeError:
            pass

One strategy per payload class, per substructure (``attributes()``, ``transforms()``,
``proposals()``), and for whole messages: ``payloads()``, ``messages()`` (cleartext or
with a closed :class:`~ikewire.wire.v1.V1Encrypted` body), ``encoded_messages()`` and
``mutated_messages()``; ``plaintexts()`` gives the octets of an encrypted body's
plaintext (a payload chain and padding).

Hypothesis is a development dependency: this module needs it installed.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "ikewire.testing.v1_strategies needs Hypothesis: pip install 'ikewire[dev]'"
    ) from exc

from ..constants import (
    V1DOI,
    V1AHTransformId,
    V1CertEncoding,
    V1ConfigAttributeType,
    V1ConfigType,
    V1ESPTransformId,
    V1ExchangeType,
    V1IDType,
    V1IKEAttributeType,
    V1IPCompTransformId,
    V1IPsecAttributeType,
    V1IsakmpTransformId,
    V1NotifyType,
    V1PayloadType,
    V1ProtocolId,
    to_enum,
)
from ..wire import v1
from .strategies import enum_values, mutations_of

__all__ = [
    "attributes",
    "cert_payloads",
    "certreq_payloads",
    "config_payloads",
    "delete_payloads",
    "encoded_messages",
    "encrypted_bodies",
    "fragment_payloads",
    "hash_payloads",
    "id_payloads",
    "ke_payloads",
    "messages",
    "mutated_messages",
    "nat_d_payloads",
    "nat_oa_payloads",
    "nonce_payloads",
    "notification_payloads",
    "payloads",
    "plaintexts",
    "proposals",
    "sa_payloads",
    "signature_payloads",
    "transforms",
    "unknown_payloads",
    "vendor_id_payloads",
]

_FLAGS_CLEAR = st.one_of(
    st.sampled_from([0, v1.FLAG_COMMIT, v1.FLAG_AUTHENTICATION_ONLY]),
    st.integers(0, 0xFF).map(lambda f: f & ~v1.FLAG_ENCRYPTION),
)


def _reserved(bits: int) -> st.SearchStrategy[int]:
    """A RESERVED field: zero as senders must set it, sometimes not (RFC 2408 §3.2)."""
    return st.one_of(st.just(0), st.just(0), st.just(0), st.integers(0, (1 << bits) - 1))


def _data(max_size: int = 40) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=max_size)


def _spi() -> st.SearchStrategy[bytes]:
    """An SPI: empty, 4 octets (AH/ESP), 16 octets (the cookies, RFC 2408 §3.14) or other."""
    return st.one_of(
        st.just(b""),
        st.binary(min_size=4, max_size=4),
        st.binary(min_size=16, max_size=16),
        st.binary(max_size=20),
    )


def _data_payload(cls: type[Any]) -> st.SearchStrategy[Any]:
    return st.builds(cls, _data(), _reserved(8))


# --------------------------------------------------------------------------- SA


def attributes(enum: type[IntEnum] = V1IKEAttributeType) -> st.SearchStrategy[v1.V1Attribute]:
    """Data attributes (RFC 2408 §3.3) whose types come from ``enum``: TV (an ``int``)
    or TLV (``bytes``, e.g. a 4-octet Life Duration)."""
    return st.builds(
        v1.V1Attribute,
        enum_values(enum, 15),
        st.one_of(
            st.integers(0, 0xFFFF),
            st.binary(min_size=4, max_size=4),
            st.binary(max_size=12),
        ),
    )


_TRANSFORM_IDS: dict[int, type[IntEnum]] = {
    V1ProtocolId.PROTO_ISAKMP: V1IsakmpTransformId,
    V1ProtocolId.PROTO_IPSEC_AH: V1AHTransformId,
    V1ProtocolId.PROTO_IPSEC_ESP: V1ESPTransformId,
    V1ProtocolId.PROTO_IPCOMP: V1IPCompTransformId,
}


@st.composite
def transforms(draw: st.DrawFn, protocol_id: int = 1, max_attributes: int = 3) -> v1.V1Transform:
    """Transform payloads (RFC 2408 §3.6) of a proposal for ``protocol_id``: IKE
    attributes for PROTO_ISAKMP (RFC 2409 Appendix A), IPsec ones otherwise (RFC 2407 §4.5)."""
    id_enum = _TRANSFORM_IDS.get(int(protocol_id))
    tid = draw(enum_values(id_enum, 8) if id_enum is not None else st.integers(0, 255))
    attr_enum = (
        V1IKEAttributeType if protocol_id == V1ProtocolId.PROTO_ISAKMP else V1IPsecAttributeType
    )
    return v1.V1Transform(
        draw(st.integers(0, 255)),
        tid,
        tuple(draw(st.lists(attributes(attr_enum), max_size=max_attributes))),
        draw(_reserved(16)),
        draw(_reserved(8)),
    )


@st.composite
def proposals(draw: st.DrawFn, max_transforms: int = 3) -> v1.V1Proposal:
    """Proposal payloads (RFC 2408 §3.5) with their transforms."""
    protocol = draw(enum_values(V1ProtocolId, 8))
    return v1.V1Proposal(
        draw(st.integers(0, 255)),
        protocol,
        draw(_spi()),
        tuple(draw(st.lists(transforms(int(protocol)), min_size=0, max_size=max_transforms))),
        draw(_reserved(8)),
    )


@st.composite
def sa_payloads(draw: st.DrawFn, max_proposals: int = 2) -> v1.V1SA:
    """SA payloads (RFC 2408 §3.4): mostly the IPsec DOI with SIT_IDENTITY_ONLY and
    proposals; sometimes another DOI or situation, whose octets stay raw."""
    if draw(st.integers(0, 3)):
        return v1.V1SA(
            V1DOI.IPSEC,
            draw(st.sampled_from([1, 0, 1, 0x09, 0xF1])),
            tuple(draw(st.lists(proposals(), max_size=max_proposals))),
            b"",
            draw(_reserved(8)),
        )
    doi = draw(enum_values(V1DOI, 32))
    situation = draw(st.integers(0, 0xFFFFFFFF))
    if doi == V1DOI.IPSEC and not situation & 0x06:
        situation |= 0x02
    return v1.V1SA(doi, situation, (), draw(_data()), draw(_reserved(8)))


# --------------------------------------------------------------------------- other payloads


def ke_payloads() -> st.SearchStrategy[v1.V1KE]:
    """KE payloads (RFC 2408 §3.7)."""
    return st.builds(v1.V1KE, _data(64), _reserved(8))


def hash_payloads() -> st.SearchStrategy[v1.V1Hash]:
    """HASH payloads (RFC 2408 §3.11)."""
    return _data_payload(v1.V1Hash)


def signature_payloads() -> st.SearchStrategy[v1.V1Signature]:
    """SIG payloads (RFC 2408 §3.12)."""
    return _data_payload(v1.V1Signature)


def nonce_payloads() -> st.SearchStrategy[v1.V1Nonce]:
    """NONCE payloads (RFC 2408 §3.13)."""
    return _data_payload(v1.V1Nonce)


def vendor_id_payloads() -> st.SearchStrategy[v1.V1VendorID]:
    """Vendor ID payloads (RFC 2408 §3.16)."""
    return _data_payload(v1.V1VendorID)


def nat_d_payloads() -> st.SearchStrategy[v1.V1NatD]:
    """NAT-D payloads (RFC 3947 §3.2), under 20 or the draft number 130."""
    return st.one_of(_data_payload(v1.V1NatD), _data_payload(v1.V1NatDDraft))


@st.composite
def id_payloads(draw: st.DrawFn) -> v1.V1ID:
    """Identification payloads (RFC 2407 §4.6.2)."""
    id_type = draw(enum_values(V1IDType, 8))
    sizes = {1: 4, 5: 16, 4: 8, 6: 32, 7: 8, 8: 32}
    size = sizes.get(int(id_type))
    data = draw(st.binary(min_size=size, max_size=size) if size is not None else _data())
    return v1.V1ID(
        id_type,
        data,
        draw(st.sampled_from([0, 17, 6, 255])),
        draw(st.sampled_from([0, 500, 4500, 65535])),
        draw(_reserved(8)),
    )


def cert_payloads() -> st.SearchStrategy[v1.V1Cert]:
    """CERT payloads (RFC 2408 §3.9)."""
    return st.builds(v1.V1Cert, enum_values(V1CertEncoding, 8), _data(), _reserved(8))


def certreq_payloads() -> st.SearchStrategy[v1.V1CertRequest]:
    """CR payloads (RFC 2408 §3.10)."""
    return st.builds(v1.V1CertRequest, enum_values(V1CertEncoding, 8), _data(), _reserved(8))


def notification_payloads() -> st.SearchStrategy[v1.V1Notification]:
    """Notification payloads (RFC 2408 §3.14)."""
    return st.builds(
        v1.V1Notification,
        enum_values(V1NotifyType, 16),
        _data(),
        enum_values(V1ProtocolId, 8),
        _spi(),
        enum_values(V1DOI, 32),
        _reserved(8),
    )


@st.composite
def delete_payloads(draw: st.DrawFn) -> v1.V1Delete:
    """Delete payloads (RFC 2408 §3.15): SPIs all of the SPI Size."""
    size = draw(st.sampled_from([4, 16, 0, 8]))
    spis = draw(st.lists(st.binary(min_size=size, max_size=size), max_size=3))
    return v1.V1Delete(
        draw(enum_values(V1ProtocolId, 8)),
        size,
        tuple(spis),
        draw(enum_values(V1DOI, 32)),
        draw(_reserved(8)),
    )


def config_payloads() -> st.SearchStrategy[v1.V1ConfigPayload]:
    """Mode-Config Attribute payloads (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2)."""
    return st.builds(
        v1.V1ConfigPayload,
        enum_values(V1ConfigType, 8),
        st.lists(attributes(V1ConfigAttributeType), max_size=4).map(tuple),
        st.integers(0, 0xFFFF),
        _reserved(8),
        _reserved(8),
    )


@st.composite
def nat_oa_payloads(draw: st.DrawFn) -> v1.V1NatOA:
    """NAT-OA payloads (RFC 3947 §5.2), under 21 or the draft number 131."""
    id_type = draw(st.one_of(st.sampled_from([1, 5]), enum_values(V1IDType, 8)))
    size = {1: 4, 5: 16}.get(int(id_type))
    address = draw(st.binary(min_size=size, max_size=size) if size is not None else _data(20))
    cls = draw(st.sampled_from([v1.V1NatOA, v1.V1NatOADraft]))
    return cls(to_enum(V1IDType, int(id_type)), address, draw(_reserved(24)), draw(_reserved(8)))


def fragment_payloads() -> st.SearchStrategy[v1.V1Fragment]:
    """IKE fragmentation payloads (type 132)."""
    return st.builds(
        v1.V1Fragment,
        st.integers(0, 0xFFFF),
        st.integers(0, 255),
        st.sampled_from([0, 1, 0x81]),
        _data(),
        _reserved(8),
    )


_NOT_UNKNOWN = {int(t) for t in v1.PAYLOAD_CLASSES} | {0, 2, 3}


@st.composite
def unknown_payloads(draw: st.DrawFn) -> v1.V1UnknownPayload:
    """Payloads of a type without a model (GDOI, private use), kept as octets."""
    t = draw(st.integers(1, 255).filter(lambda v: v not in _NOT_UNKNOWN))
    return v1.V1UnknownPayload(to_enum(V1PayloadType, t), draw(_data()), draw(_reserved(8)))


def payloads() -> st.SearchStrategy[v1.V1Payload]:
    """Any payload of a message's chain (RFC 2408 §3.2)."""
    return st.one_of(
        sa_payloads(),
        ke_payloads(),
        id_payloads(),
        cert_payloads(),
        certreq_payloads(),
        hash_payloads(),
        signature_payloads(),
        nonce_payloads(),
        notification_payloads(),
        delete_payloads(),
        vendor_id_payloads(),
        config_payloads(),
        nat_d_payloads(),
        nat_oa_payloads(),
        fragment_payloads(),
        unknown_payloads(),
    )


def encrypted_bodies() -> st.SearchStrategy[v1.V1Encrypted]:
    """Closed bodies of encrypted messages: the first inner payload's type and ciphertext."""
    return st.builds(
        v1.V1Encrypted,
        enum_values(V1PayloadType, 8),
        st.binary(max_size=64),
    )


# --------------------------------------------------------------------------- messages


@st.composite
def messages(
    draw: st.DrawFn,
    payload_strategy: st.SearchStrategy[v1.V1Payload] | None = None,
    max_payloads: int = 4,
) -> v1.V1Message:
    """ISAKMP messages (RFC 2408 §3.1): a cleartext chain of up to ``max_payloads``
    payloads, or (one time in four) the Encryption flag and a closed body."""
    encrypted = draw(st.integers(0, 3)) == 0
    if encrypted:
        flags = draw(_FLAGS_CLEAR) | v1.FLAG_ENCRYPTION
        body: tuple[Any, ...] = (draw(encrypted_bodies()),)
    else:
        flags = draw(_FLAGS_CLEAR)
        body = tuple(draw(st.lists(payload_strategy or payloads(), max_size=max_payloads)))
    return v1.V1Message(
        draw(st.binary(min_size=8, max_size=8)),
        draw(st.one_of(st.just(bytes(8)), st.binary(min_size=8, max_size=8))),
        draw(enum_values(V1ExchangeType, 8)),
        flags,
        draw(st.one_of(st.just(0), st.integers(0, 0xFFFFFFFF))),
        body,
        1,
        draw(_reserved(4)),
    )


def encoded_messages(
    message_strategy: st.SearchStrategy[v1.V1Message] | None = None,
) -> st.SearchStrategy[bytes]:
    """The octets of valid ISAKMP messages, encoded by the reference codec
    (:func:`ikewire.wire.v1.construct_encode_v1`)."""
    return (message_strategy or messages()).map(v1.construct_encode_v1)


def mutated_messages(
    message_strategy: st.SearchStrategy[v1.V1Message] | None = None,
) -> st.SearchStrategy[bytes]:
    """Valid ISAKMP octets with one to three mutations (see
    :func:`ikewire.testing.strategies.mutations_of`); mostly malformed."""
    return encoded_messages(message_strategy).flatmap(mutations_of)


@st.composite
def plaintexts(draw: st.DrawFn, max_payloads: int = 3) -> tuple[int, bytes]:
    """``(first_type, octets)`` of an encrypted body's plaintext: a payload chain and
    padding after it (RFC 2409 Appendix B)."""
    chain = draw(st.lists(payloads(), min_size=1, max_size=max_payloads))
    padding = draw(st.binary(max_size=16))
    return int(chain[0].type), v1.construct_encode_v1_payloads(chain, padding)
