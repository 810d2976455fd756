"""The fast, checked IKEv2 codec: bytes ⇄ :mod:`ikewire.wire.models` (RFC 7296 §3).

This is the codec ikewire uses on the hot path. It is written beside the
Construct declarations of :mod:`ikewire.wire.v2` (the single source of truth for
the format) and is proven equal to them by the differential tests in
``tests/test_wire_differential.py``: for every byte string both decoders return
equal models or both raise :class:`~ikewire.DecodeError`, and both encoders give
the same octets or both raise :class:`~ikewire.EncodeError`.

Decoding is a single ``struct.unpack_from`` walk over the datagram, one function
per payload type (:data:`_DECODERS`), models built with ``tuple.__new__``. Every
length is checked before it is used, in the manner of OpenBSD iked's
``ikev2_pld.c``:

* the header's Length equals the datagram's length (RFC 7296 §3.1). Octets after
  the Length are an error, not ignored: a well-formed IKE datagram carries exactly
  one message (strict, like iked; rusticata's parser reports them as trailing);
* each Payload Length is at least 4 plus the fixed part of its body, and the
  payloads tile the message exactly (§3.2);
* proposal and transform lengths, "Last Substruc" markers (0 on the last, 2 before
  on proposals, 3 before on transforms) and Num Transforms agree with what is
  present (§3.3.1, §3.3.2); attribute lengths fit (§3.3.5); SPI Sizes fit (§3.3.1,
  §3.10, §3.11);
* Delete: Num of SPIs × SPI Size equals the octets after the fixed part (§3.11);
* TS: every Selector Length fits, TS_IPV4_ADDR_RANGE is 16 octets and
  TS_IPV6_ADDR_RANGE 40, Number of TSs equals the selectors present (§3.13);
* SK and SKF end the chain and must reach the end of the message (§3.14,
  RFC 7383 §2.5).

Nothing semantic is checked here (nonce sizes, which payload may appear where):
that is the connection's business. Reserved fields and unknown numbers are kept,
so ``encode_v2(decode_v2(b)) == b`` for every ``b`` that decodes.

Encoding computes every length, Next Payload, "Last Substruc" marker, count and
SPI Size, and raises :class:`~ikewire.EncodeError` for a value outside its field.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

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
)
from ..errors import DecodeError, EncodeError
from .models import (
    AUTH,
    CERT,
    CERTREQ,
    CP,
    EAP,
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
    RawTrafficSelector,
    Selector,
    TrafficSelector,
    Transform,
    TransformAttribute,
    TSi,
    TSr,
    UnknownPayload,
    VendorID,
)

__all__ = [
    "GENERIC_HEADER_LENGTH",
    "HEADER_LENGTH",
    "Octets",
    "decode_payloads",
    "decode_v2",
    "encode_payload_body",
    "encode_payloads",
    "encode_v2",
    "sk_associated_data",
]

#: Octets in the IKE header (RFC 7296 §3.1).
HEADER_LENGTH = 28
#: Octets in the generic payload header (RFC 7296 §3.2).
GENERIC_HEADER_LENGTH = 4

_T = TypeVar("_T")

#: What the decoders accept: any contiguous octets (copied to ``bytes`` first).
Octets: TypeAlias = bytes | bytearray | memoryview

if TYPE_CHECKING:

    def _new(cls: type[_T], fields: tuple[Any, ...]) -> _T:
        """Build a named-tuple model from its fields, without its Python ``__new__``."""
        ...

else:
    _new = tuple.__new__

# --------------------------------------------------------------------------- layouts

# RFC 7296 §3.1: SPIi, SPIr, Next Payload, MjVer|MnVer, Exchange Type, Flags,
# Message ID, Length.
_HEADER = struct.Struct(">8s8sBBBBII")
# RFC 7296 §3.2: Next Payload, C|RESERVED, Payload Length.
_GENERIC = struct.Struct(">BBH")
# RFC 7296 §3.3.1: Last Substruc, RESERVED, Proposal Length, Proposal Num,
# Protocol ID, SPI Size, Num Transforms.
_PROPOSAL = struct.Struct(">BBHBBBB")
# RFC 7296 §3.3.2: Last Substruc, RESERVED, Transform Length, Transform Type,
# RESERVED, Transform ID.
_TRANSFORM = struct.Struct(">BBHBBH")
# Two 16-bit fields: attribute type/value or length (§3.3.5, §3.15.1), KE Method
# and RESERVED (§3.4), ports (§3.13.1), Fragment Number and Total Fragments
# (RFC 7383 §2.5).
_HH = struct.Struct(">HH")
# 8-bit, 8-bit, 16-bit: Notify and Delete fixed parts (§3.10, §3.11); a one-octet
# field followed by a 24-bit RESERVED, split 8 + 16 (§3.5, §3.8, §3.13, §3.15);
# the traffic selector header (§3.13.1).
_BBH = struct.Struct(">BBH")
# RFC 7296 §3.13.1: TS Type, IP Protocol ID, Selector Length, Start Port, End Port.
_SELECTOR = struct.Struct(">BBHHH")

_unpack_header = _HEADER.unpack_from
_unpack_generic = _GENERIC.unpack_from
_unpack_proposal = _PROPOSAL.unpack_from
_unpack_transform = _TRANSFORM.unpack_from
_unpack_hh = _HH.unpack_from
_unpack_bbh = _BBH.unpack_from
_unpack_selector = _SELECTOR.unpack_from
_pack_header = _HEADER.pack
_pack_generic = _GENERIC.pack
_pack_proposal = _PROPOSAL.pack
_pack_transform = _TRANSFORM.pack
_pack_hh = _HH.pack
_pack_bbh = _BBH.pack
_pack_selector = _SELECTOR.pack

# "Last Substruc" values (RFC 7296 §3.3.1, §3.3.2).
_MORE_PROPOSALS = 2
_MORE_TRANSFORMS = 3

# TS Types with an address-range body (RFC 7296 §3.13.1) and their lengths.
_TS_IPV4_ADDR_RANGE = 7
_TS_IPV6_ADDR_RANGE = 8
_ADDRESS_SIZE = {_TS_IPV4_ADDR_RANGE: 4, _TS_IPV6_ADDR_RANGE: 16}

# SK and SKF end the chain (RFC 7296 §3.14, RFC 7383 §2.5).
_ENCRYPTED = frozenset({int(PayloadType.SK), int(PayloadType.SKF)})


# --------------------------------------------------------------------------- enum lookups
#
# Enumerated fields hold the registry member when the number is known and the
# plain int otherwise (as ikewire.constants.to_enum). 8-bit fields index a
# 256-entry table; wider fields use the registry's value-to-member map.


def _table(enum_class: Any) -> list[Any]:
    """``table[v]``: the member numbered ``v`` of an 8-bit registry, or ``v``."""
    members = enum_class._value2member_map_
    return [members.get(value, value) for value in range(256)]


def _lookup(enum_class: Any) -> Callable[[int, int], Any]:
    """``get(v, v)``: the member numbered ``v`` of a wider registry, or ``v``."""
    get: Callable[[int, int], Any] = enum_class._value2member_map_.get
    return get


_EXCHANGE_TYPES = _table(ExchangeType)
_PAYLOAD_TYPES = _table(PayloadType)
_PROTOCOL_IDS = _table(ProtocolId)
_TRANSFORM_TYPES = _table(TransformType)
_ID_TYPES = _table(IDType)
_CERT_ENCODINGS = _table(CertEncoding)
_AUTH_METHODS = _table(AuthMethod)
_TS_TYPES = _table(TSType)
_CFG_TYPES = _table(CfgType)
_attribute_type = _lookup(TransformAttributeType)
_ke_method = _lookup(KeyExchangeMethod)
_notify_type = _lookup(NotifyType)
_cp_attribute_type = _lookup(CPAttributeType)

# Transform Type → the registry of its Transform IDs (RFC 7296 §3.3.2, RFC 9370 §2.2.1).
_TRANSFORM_ID_REGISTRIES: dict[int, Any] = {
    TransformType.ENCR: EncrId,
    TransformType.PRF: PrfId,
    TransformType.INTEG: IntegId,
    TransformType.KE: KeyExchangeMethod,
    TransformType.ESN: ESN,
    **{addke: KeyExchangeMethod for addke in range(TransformType.ADDKE1, TransformType.ADDKE7 + 1)},
}
_TRANSFORM_IDS: dict[int, Callable[[int, int], Any]] = {
    t_type: _lookup(registry) for t_type, registry in _TRANSFORM_ID_REGISTRIES.items()
}


def _payload_name(payload_type: int) -> str:
    """The model's name for a payload type, for error messages."""
    cls = _MODEL_OF.get(payload_type)
    return cls.__name__ if cls is not None else f"payload type {payload_type}"


# =========================================================================== decode
#
# Each payload decoder gets the whole buffer, the offsets of its body (after the
# generic header) and the octet holding the critical bit and RESERVED, and
# returns the model. Offsets in errors are absolute in the buffer.


def _too_short(name: str, start: int, stop: int, minimum: int) -> DecodeError:
    return DecodeError(
        f"Payload Length {stop - start + 4} is shorter than the minimum {minimum + 4}",
        offset=start - 2,
        field=f"{name}.length",
    )


def _decode_sa(data: bytes, start: int, stop: int, flags: int, np: int) -> SA:
    """Security Association payload (RFC 7296 §3.3) with its proposals, transforms
    and transform attributes (§3.3.1, §3.3.2, §3.3.5)."""
    proposals = []
    offset = start
    last = 0
    # Bounded: each proposal is at least 8 octets.
    while offset < stop:
        if offset + 8 > stop:
            raise DecodeError(
                f"{stop - offset} octets left, too few for a proposal",
                offset=offset,
                field="Proposal.length",
            )
        last, reserved, length, number, protocol_id, spi_size, count = _unpack_proposal(
            data, offset
        )
        if last != _MORE_PROPOSALS and last:
            raise DecodeError(
                f"Last Substruc is {last}, expected 0 or 2",
                offset=offset,
                field="Proposal.last_substruc",
            )
        end = offset + length
        if length < 8 or end > stop:
            raise DecodeError(
                f"Proposal Length {length} is not within 8..{stop - offset}",
                offset=offset + 2,
                field="Proposal.length",
            )
        t_offset = offset + 8 + spi_size
        if t_offset > end:
            raise DecodeError(
                f"SPI Size {spi_size} exceeds the Proposal Length {length}",
                offset=offset + 6,
                field="Proposal.spi_size",
            )
        spi = data[offset + 8 : t_offset]
        transforms = []
        t_last = 0
        # Bounded: each transform is at least 8 octets.
        while t_offset < end:
            if t_offset + 8 > end:
                raise DecodeError(
                    f"{end - t_offset} octets left, too few for a transform",
                    offset=t_offset,
                    field="Transform.length",
                )
            t_last, reserved1, t_length, t_type, reserved2, t_id = _unpack_transform(data, t_offset)
            if t_last != _MORE_TRANSFORMS and t_last:
                raise DecodeError(
                    f"Last Substruc is {t_last}, expected 0 or 3",
                    offset=t_offset,
                    field="Transform.last_substruc",
                )
            t_end = t_offset + t_length
            if t_length < 8 or t_end > end:
                raise DecodeError(
                    f"Transform Length {t_length} is not within 8..{end - t_offset}",
                    offset=t_offset + 2,
                    field="Transform.length",
                )
            transform = _KNOWN_TRANSFORMS.get(data[t_offset + 1 : t_end])
            if transform is None:
                ids = _TRANSFORM_IDS.get(t_type)
                transform = _new(
                    Transform,
                    (
                        _TRANSFORM_TYPES[t_type],
                        t_id if ids is None else ids(t_id, t_id),
                        _decode_attributes(data, t_offset + 8, t_end) if t_length > 8 else (),
                        reserved1 << 8 | reserved2,
                    ),
                )
            transforms.append(transform)
            t_offset = t_end
            if not t_last:
                break
        if t_offset != end:
            raise DecodeError(
                f"{end - t_offset} octets after the last transform",
                offset=t_offset,
                field="Proposal.length",
            )
        if t_last:
            raise DecodeError(
                "the last transform is marked as followed by another (Last Substruc 3)",
                offset=end,
                field="Transform.last_substruc",
            )
        if len(transforms) != count:
            raise DecodeError(
                f"Num Transforms is {count}, but {len(transforms)} transforms are present",
                offset=offset + 7,
                field="Proposal.num_transforms",
            )
        proposals.append(
            _new(
                Proposal,
                (number, _PROTOCOL_IDS[protocol_id], spi, tuple(transforms), reserved),
            )
        )
        offset = end
        if not last:
            break
    if offset != stop:
        raise DecodeError(
            f"{stop - offset} octets after the last proposal", offset=offset, field="SA.length"
        )
    if last:
        raise DecodeError(
            "the last proposal is marked as followed by another (Last Substruc 2)",
            offset=stop,
            field="Proposal.last_substruc",
        )
    return _new(SA, (tuple(proposals), flags > 127, flags & 127))


def _decode_attributes(data: bytes, offset: int, stop: int) -> tuple[TransformAttribute, ...]:
    """Transform attributes (RFC 7296 §3.3.5): TV when the AF bit is set, else TLV."""
    attributes = []
    # Bounded: each attribute is at least 4 octets.
    while offset < stop:
        if offset + 4 > stop:
            raise DecodeError(
                f"{stop - offset} octets left, too few for an attribute",
                offset=offset,
                field="TransformAttribute.length",
            )
        kind, value = _unpack_hh(data, offset)
        if kind > 0x7FFF:  # AF = 1: TV, the value is the 16-bit field itself
            kind &= 0x7FFF
            attributes.append(_new(TransformAttribute, (_attribute_type(kind, kind), value)))
            offset += 4
        else:
            end = offset + 4 + value
            if end > stop:
                raise DecodeError(
                    f"Attribute Length {value} exceeds the transform",
                    offset=offset + 2,
                    field="TransformAttribute.length",
                )
            attributes.append(
                _new(TransformAttribute, (_attribute_type(kind, kind), data[offset + 4 : end]))
            )
            offset = end
    return tuple(attributes)


def _decode_ke(data: bytes, start: int, stop: int, flags: int, np: int) -> KE:
    """Key Exchange payload (RFC 7296 §3.4)."""
    if stop - start < 4:
        raise _too_short("KE", start, stop, 4)
    group, reserved = _unpack_hh(data, start)
    return _new(
        KE, (_ke_method(group, group), data[start + 4 : stop], reserved, flags > 127, flags & 127)
    )


def _decode_id(cls: type[IDi] | type[IDr]) -> Callable[[bytes, int, int, int, int], IDi | IDr]:
    name = cls.__name__

    def decode_id(data: bytes, start: int, stop: int, flags: int, np: int) -> IDi | IDr:
        """Identification payload (RFC 7296 §3.5)."""
        if stop - start < 4:
            raise _too_short(name, start, stop, 4)
        id_type, high, low = _unpack_bbh(data, start)
        return _new(
            cls,
            (
                _ID_TYPES[id_type],
                data[start + 4 : stop],
                high << 16 | low,
                flags > 127,
                flags & 127,
            ),
        )

    return decode_id


def _decode_cert(
    cls: type[CERT] | type[CERTREQ],
) -> Callable[[bytes, int, int, int, int], CERT | CERTREQ]:
    name = cls.__name__

    def decode_cert(data: bytes, start: int, stop: int, flags: int, np: int) -> CERT | CERTREQ:
        """Certificate or Certificate Request payload (RFC 7296 §3.6, §3.7)."""
        if stop - start < 1:
            raise _too_short(name, start, stop, 1)
        encoding = data[start]
        return _new(
            cls,
            (
                _CERT_ENCODINGS[encoding],
                data[start + 1 : stop],
                flags > 127,
                flags & 127,
            ),
        )

    return decode_cert


def _decode_auth(data: bytes, start: int, stop: int, flags: int, np: int) -> AUTH:
    """Authentication payload (RFC 7296 §3.8)."""
    if stop - start < 4:
        raise _too_short("AUTH", start, stop, 4)
    method, high, low = _unpack_bbh(data, start)
    return _new(
        AUTH,
        (
            _AUTH_METHODS[method],
            data[start + 4 : stop],
            high << 16 | low,
            flags > 127,
            flags & 127,
        ),
    )


def _decode_nonce(data: bytes, start: int, stop: int, flags: int, np: int) -> Nonce:
    """Nonce payload (RFC 7296 §3.9)."""
    return _new(Nonce, (data[start:stop], flags > 127, flags & 127))


def _decode_notify(data: bytes, start: int, stop: int, flags: int, np: int) -> Notify:
    """Notify payload (RFC 7296 §3.10)."""
    if stop - start < 4:
        raise _too_short("Notify", start, stop, 4)
    protocol_id, spi_size, notify_type = _unpack_bbh(data, start)
    spi_end = start + 4 + spi_size
    if spi_end > stop:
        raise DecodeError(
            f"SPI Size {spi_size} exceeds the payload",
            offset=start + 1,
            field="Notify.spi_size",
        )
    return _new(
        Notify,
        (
            _notify_type(notify_type, notify_type),
            data[spi_end:stop],
            _PROTOCOL_IDS[protocol_id],
            data[start + 4 : spi_end],
            flags > 127,
            flags & 127,
        ),
    )


def _decode_delete(data: bytes, start: int, stop: int, flags: int, np: int) -> Delete:
    """Delete payload (RFC 7296 §3.11)."""
    if stop - start < 4:
        raise _too_short("Delete", start, stop, 4)
    protocol_id, spi_size, count = _unpack_bbh(data, start)
    if count * spi_size != stop - start - 4:
        raise DecodeError(
            f"Num of SPIs {count} × SPI Size {spi_size} is not the {stop - start - 4} "
            "octets present",
            offset=start + 2,
            field="Delete.num_spis",
        )
    first = start + 4
    if spi_size:
        spis = tuple([data[i : i + spi_size] for i in range(first, stop, spi_size)])
    else:
        spis = (b"",) * count
    return _new(
        Delete,
        (_PROTOCOL_IDS[protocol_id], spi_size, spis, flags > 127, flags & 127),
    )


def _decode_vendor_id(data: bytes, start: int, stop: int, flags: int, np: int) -> VendorID:
    """Vendor ID payload (RFC 7296 §3.12)."""
    return _new(VendorID, (data[start:stop], flags > 127, flags & 127))


def _decode_ts(cls: type[TSi] | type[TSr]) -> Callable[[bytes, int, int, int, int], TSi | TSr]:
    name = cls.__name__

    def decode_ts(data: bytes, start: int, stop: int, flags: int, np: int) -> TSi | TSr:
        """Traffic Selector payload (RFC 7296 §3.13) and its selectors (§3.13.1)."""
        if stop - start < 4:
            raise _too_short(name, start, stop, 4)
        count, high, low = _unpack_bbh(data, start)
        selectors: list[Selector] = []
        offset = start + 4
        # Bounded: each selector is at least 4 octets.
        while offset < stop:
            if offset + 4 > stop:
                raise DecodeError(
                    f"{stop - offset} octets left, too few for a traffic selector",
                    offset=offset,
                    field="TrafficSelector.length",
                )
            ts_type, ip_protocol, length = _unpack_bbh(data, offset)
            end = offset + length
            if length < 4 or end > stop:
                raise DecodeError(
                    f"Selector Length {length} is not within 4..{stop - offset}",
                    offset=offset + 2,
                    field="TrafficSelector.length",
                )
            size = _ADDRESS_SIZE.get(ts_type)
            if size is None:
                selectors.append(
                    _new(
                        RawTrafficSelector,
                        (_TS_TYPES[ts_type], ip_protocol, data[offset + 4 : end]),
                    )
                )
            else:
                if length != 8 + 2 * size:
                    raise DecodeError(
                        f"Selector Length {length}: TS Type {ts_type} needs {8 + 2 * size}",
                        offset=offset + 2,
                        field="TrafficSelector.length",
                    )
                _, _, _, start_port, end_port = _unpack_selector(data, offset)
                middle = offset + 8 + size
                selectors.append(
                    _new(
                        TrafficSelector,
                        (
                            _TS_TYPES[ts_type],
                            ip_protocol,
                            start_port,
                            end_port,
                            data[offset + 8 : middle],
                            data[middle:end],
                        ),
                    )
                )
            offset = end
        if len(selectors) != count:
            raise DecodeError(
                f"Number of TSs is {count}, but {len(selectors)} selectors are present",
                offset=start,
                field=f"{name}.num_ts",
            )
        return _new(cls, (tuple(selectors), high << 16 | low, flags > 127, flags & 127))

    return decode_ts


def _decode_sk(data: bytes, start: int, stop: int, flags: int, np: int) -> SK:
    """Encrypted and Authenticated payload (RFC 7296 §3.14): the body stays opaque."""
    return _new(SK, (_PAYLOAD_TYPES[np], data[start:stop], flags > 127, flags & 127))


def _decode_cp(data: bytes, start: int, stop: int, flags: int, np: int) -> CP:
    """Configuration payload (RFC 7296 §3.15) and its attributes (§3.15.1)."""
    if stop - start < 4:
        raise _too_short("CP", start, stop, 4)
    cfg_type, high, low = _unpack_bbh(data, start)
    attributes = []
    offset = start + 4
    # Bounded: each attribute is at least 4 octets.
    while offset < stop:
        if offset + 4 > stop:
            raise DecodeError(
                f"{stop - offset} octets left, too few for a configuration attribute",
                offset=offset,
                field="CPAttribute.length",
            )
        kind, length = _unpack_hh(data, offset)
        end = offset + 4 + length
        if end > stop:
            raise DecodeError(
                f"Attribute Length {length} exceeds the payload",
                offset=offset + 2,
                field="CPAttribute.length",
            )
        attribute_type = kind & 0x7FFF
        attributes.append(
            _new(
                CPAttribute,
                (
                    _cp_attribute_type(attribute_type, attribute_type),
                    data[offset + 4 : end],
                    kind >> 15,
                ),
            )
        )
        offset = end
    return _new(
        CP,
        (
            _CFG_TYPES[cfg_type],
            tuple(attributes),
            high << 16 | low,
            flags > 127,
            flags & 127,
        ),
    )


def _decode_eap(data: bytes, start: int, stop: int, flags: int, np: int) -> EAP:
    """Extensible Authentication payload (RFC 7296 §3.16): the EAP message, opaque."""
    return _new(EAP, (data[start:stop], flags > 127, flags & 127))


def _decode_skf(data: bytes, start: int, stop: int, flags: int, np: int) -> SKF:
    """Encrypted and Authenticated Fragment payload (RFC 7383 §2.5)."""
    if stop - start < 4:
        raise _too_short("SKF", start, stop, 4)
    number, total = _unpack_hh(data, start)
    return _new(
        SKF,
        (_PAYLOAD_TYPES[np], number, total, data[start + 4 : stop], flags > 127, flags & 127),
    )


_Decoder = Callable[[bytes, int, int, int, int], Payload]

#: Payload type → decoder of its body; any other type is an UnknownPayload (§2.5).
_DECODERS: dict[int, _Decoder] = {
    PayloadType.SA: _decode_sa,
    PayloadType.KE: _decode_ke,
    PayloadType.IDi: _decode_id(IDi),
    PayloadType.IDr: _decode_id(IDr),
    PayloadType.CERT: _decode_cert(CERT),
    PayloadType.CERTREQ: _decode_cert(CERTREQ),
    PayloadType.AUTH: _decode_auth,
    PayloadType.NONCE: _decode_nonce,
    PayloadType.NOTIFY: _decode_notify,
    PayloadType.DELETE: _decode_delete,
    PayloadType.VENDOR_ID: _decode_vendor_id,
    PayloadType.TSi: _decode_ts(TSi),
    PayloadType.TSr: _decode_ts(TSr),
    PayloadType.SK: _decode_sk,
    PayloadType.CP: _decode_cp,
    PayloadType.EAP: _decode_eap,
    PayloadType.SKF: _decode_skf,
}

#: Payload type → its model class.
_MODEL_OF: dict[int, type[Any]] = {
    PayloadType.SA: SA,
    PayloadType.KE: KE,
    PayloadType.IDi: IDi,
    PayloadType.IDr: IDr,
    PayloadType.CERT: CERT,
    PayloadType.CERTREQ: CERTREQ,
    PayloadType.AUTH: AUTH,
    PayloadType.NONCE: Nonce,
    PayloadType.NOTIFY: Notify,
    PayloadType.DELETE: Delete,
    PayloadType.VENDOR_ID: VendorID,
    PayloadType.TSi: TSi,
    PayloadType.TSr: TSr,
    PayloadType.SK: SK,
    PayloadType.CP: CP,
    PayloadType.EAP: EAP,
    PayloadType.SKF: SKF,
}


def _decode_chain(
    data: bytes, payload_type: int, offset: int, stop: int, first: str
) -> tuple[Payload, ...]:
    """The payload chain from ``offset`` to ``stop`` (RFC 7296 §3.2), following Next
    Payload from ``payload_type`` until 0, or until SK/SKF (whose Next Payload is
    the first inner payload, §3.14); the chain must fill the span exactly. ``first``
    names the field that gave ``payload_type``, for errors."""
    payloads: list[Payload] = []
    append = payloads.append
    decoders = _DECODERS
    # Bounded: each payload advances the offset by at least 4 octets, up to stop.
    while payload_type:
        if offset + 4 > stop:
            previous = f"{type(payloads[-1]).__name__}.next_payload" if payloads else first
            raise DecodeError(
                f"Next Payload is {payload_type} ({_payload_name(payload_type)}) but only "
                f"{stop - offset} octets are left",
                offset=offset,
                field=previous,
            )
        next_type, flags, length = _unpack_generic(data, offset)
        end = offset + length
        if length < 4 or end > stop:
            raise DecodeError(
                f"Payload Length {length} is not within 4..{stop - offset}",
                offset=offset + 2,
                field=f"{_payload_name(payload_type)}.length",
            )
        decoder = decoders.get(payload_type)
        if decoder is None:
            append(
                _new(
                    UnknownPayload,
                    (
                        _PAYLOAD_TYPES[payload_type],
                        data[offset + 4 : end],
                        flags > 127,
                        flags & 127,
                    ),
                )
            )
        else:
            append(decoder(data, offset + 4, end, flags, next_type))
        offset = end
        if payload_type in _ENCRYPTED:
            if offset != stop:
                raise DecodeError(
                    f"{stop - offset} octets after the {_payload_name(payload_type)} payload, "
                    "which must be the last (RFC 7296 §3.14)",
                    offset=offset,
                    field=f"{_payload_name(payload_type)}.length",
                )
            break
        payload_type = next_type
    if offset != stop:
        raise DecodeError(
            f"{stop - offset} octets after the last payload (Next Payload 0)",
            offset=offset,
            field="payloads",
        )
    return tuple(payloads)


def _as_bytes(data: Octets) -> bytes:
    if type(data) is bytes:
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise DecodeError(f"expected bytes, got {type(data).__name__}", offset=0, field="data")


def decode_v2(data: Octets) -> Message:
    """Decode one IKEv2 message: the header (RFC 7296 §3.1) and its payload chain.

    Total: any byte string gives a :class:`~ikewire.wire.models.Message` or a
    :class:`~ikewire.DecodeError` whose ``offset`` and ``field`` say where and what.
    The header's Length must equal ``len(data)``; octets after it are an error.
    The version is not checked here (:func:`ikewire.wire.decode` dispatches on it).
    """
    if type(data) is not bytes:
        data = _as_bytes(data)
    size = len(data)
    if size < HEADER_LENGTH:
        raise DecodeError(
            f"{size} octets, shorter than the {HEADER_LENGTH}-octet IKE header",
            offset=0,
            field="header",
        )
    spi_i, spi_r, first, version, exchange, flags, message_id, length = _unpack_header(data, 0)
    if length != size:
        if length < HEADER_LENGTH:
            reason = f"Length {length} is shorter than the IKE header"
        elif length > size:
            reason = f"Length {length} exceeds the {size} octets received"
        else:
            reason = f"{size - length} octets after the message Length {length}"
        raise DecodeError(reason, offset=24, field="header.length")
    return _new(
        Message,
        (
            spi_i,
            spi_r,
            _EXCHANGE_TYPES[exchange],
            flags,
            message_id,
            _decode_chain(data, first, HEADER_LENGTH, size, "header.next_payload"),
            version >> 4,
            version & 15,
        ),
    )


def decode_payloads(first_type: int, data: Octets, *, base_offset: int = 0) -> tuple[Payload, ...]:
    """Decode a bare payload chain whose first payload is of type ``first_type``.

    This is the plaintext of an SK payload (RFC 7296 §3.14) or of reassembled SKF
    fragments (RFC 7383 §2.6), whose Next Payload gives ``first_type``. Offsets in
    errors count from the start of ``data`` plus ``base_offset``.
    """
    data = _as_bytes(data)
    try:
        return _decode_chain(data, int(first_type), 0, len(data), "SK.next_payload")
    except DecodeError as exc:
        if not base_offset or exc.offset is None:
            raise
        raise DecodeError(
            exc.reason, offset=exc.offset + base_offset, field=exc.field, notify=exc.notify
        ) from None


# =========================================================================== encode
#
# Each body encoder returns the octets after the generic header. Field ranges are
# checked by struct (which raises for a value outside an 8-, 16- or 32-bit field)
# or explicitly where a field is narrower or a length is implied.

_ENCODE_FAILURES = (struct.error, TypeError, ValueError, AttributeError, OverflowError)


def _octets(value: Any) -> bytes:
    """A bytes-like field value as ``bytes``; EncodeError for anything else (an int
    or a sequence of ints is not taken for octets)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise EncodeError(f"expected octets (bytes), got {type(value).__name__}")


def _check(value: int, bits: int, what: str) -> None:
    if not 0 <= value < 1 << bits:
        raise EncodeError(f"{what} {value} does not fit in {bits} bits")


def _encode_sa(p: SA) -> bytes:
    """RFC 7296 §3.3: proposals, each with its transforms and their attributes."""
    parts = []
    proposals = p.proposals
    last_proposal = len(proposals) - 1
    for index, proposal in enumerate(proposals):
        number, protocol_id, spi, transforms, reserved = proposal
        pieces = []
        last_transform = len(transforms) - 1
        for t_index, (t_type, t_id, attributes, t_reserved) in enumerate(transforms):
            more = _MORE_TRANSFORMS if t_index < last_transform else 0
            if attributes:
                encoded = _encode_attributes(attributes)
                pieces.append(
                    _pack_transform(
                        more, t_reserved >> 8, 8 + len(encoded), t_type, t_reserved & 0xFF, t_id
                    )
                )
                pieces.append(encoded)
            elif attributes is None:
                raise EncodeError("Transform.attributes must be a tuple, not None")
            else:
                pieces.append(
                    _pack_transform(more, t_reserved >> 8, 8, t_type, t_reserved & 0xFF, t_id)
                )
        body = b"".join(pieces)
        parts.append(
            _pack_proposal(
                _MORE_PROPOSALS if index < last_proposal else 0,
                reserved,
                8 + len(spi) + len(body),
                number,
                protocol_id,
                len(spi),
                len(transforms),
            )
        )
        parts.append(spi)
        parts.append(body)
    return b"".join(parts)


def _encode_attributes(attributes: Sequence[TransformAttribute]) -> bytes:
    """RFC 7296 §3.3.5: an ``int`` value in TV format (AF = 1), ``bytes`` in TLV."""
    parts = []
    for kind, value in attributes:
        if not 0 <= kind <= 0x7FFF:
            raise EncodeError(f"Attribute Type {kind} does not fit in 15 bits")
        if isinstance(value, int):
            parts.append(_pack_hh(0x8000 | kind, value))
        else:
            parts.append(_pack_hh(kind, len(value)))
            parts.append(value)
    return b"".join(parts)


def _known_transforms() -> dict[bytes, Transform]:
    """Every registered transform without attributes, and every encryption transform
    with a Key Length of 128, 192 or 256 bits, by its encoding after the Last
    Substruc octet (RFC 7296 §3.3.2, §3.3.5).

    Models are immutable, so the decoder hands out these instances instead of
    building equal ones: a static table keyed by IANA number, like the enum maps.
    """
    key_lengths = [
        (TransformAttribute(TransformAttributeType.KEY_LENGTH, bits),) for bits in (128, 192, 256)
    ]
    table: dict[bytes, Transform] = {}
    for t_type, registry in _TRANSFORM_ID_REGISTRIES.items():
        variants: list[tuple[TransformAttribute, ...]] = [()]
        if t_type == TransformType.ENCR:
            variants += key_lengths
        for member in registry:
            for attributes in variants:
                encoded = _encode_attributes(attributes)
                key = _pack_transform(0, 0, 8 + len(encoded), t_type, 0, member)[1:] + encoded
                table[key] = Transform(TransformType(t_type), member, attributes, 0)
    return table


_KNOWN_TRANSFORMS = _known_transforms()


def _encode_ke(p: KE) -> bytes:
    """RFC 7296 §3.4."""
    return _pack_hh(p.group, p.reserved) + p.data


def _pack_24(first: int, reserved: int) -> bytes:
    """A one-octet field followed by a 24-bit RESERVED field."""
    return _pack_bbh(first, reserved >> 16, reserved & 0xFFFF)


def _encode_id(p: IDi | IDr) -> bytes:
    """RFC 7296 §3.5."""
    return _pack_24(p.id_type, p.reserved) + p.data


def _encode_cert(p: CERT | CERTREQ) -> bytes:
    """RFC 7296 §3.6, §3.7."""
    return bytes((p.encoding,)) + p.data


def _encode_auth(p: AUTH) -> bytes:
    """RFC 7296 §3.8."""
    return _pack_24(p.method, p.reserved) + p.data


def _encode_data(p: Nonce | VendorID | EAP) -> bytes:
    """RFC 7296 §3.9, §3.12, §3.16: the body is the data."""
    return p.data


def _encode_notify(p: Notify) -> bytes:
    """RFC 7296 §3.10."""
    spi = p.spi
    return b"".join((_pack_bbh(p.protocol_id, len(spi), p.notify_type), spi, p.data))


def _encode_delete(p: Delete) -> bytes:
    """RFC 7296 §3.11: every SPI is exactly SPI Size octets."""
    spi_size = p.spi_size
    spis = p.spis
    for spi in spis:
        if len(spi) != spi_size:
            raise EncodeError(f"Delete: a {len(spi)}-octet SPI with SPI Size {spi_size}")
    return b"".join((_pack_bbh(p.protocol_id, spi_size, len(spis)), *spis))


def _encode_selector(s: Selector) -> bytes:
    """RFC 7296 §3.13.1."""
    if isinstance(s, TrafficSelector):
        ts_type, ip_protocol, start_port, end_port, start, end = s
        size = _ADDRESS_SIZE.get(ts_type)
        if size is None:
            raise EncodeError(
                f"TrafficSelector of TS Type {ts_type}: only types 7 and 8 are address "
                "ranges (use RawTrafficSelector)"
            )
        if len(start) != size or len(end) != size:
            raise EncodeError(f"TS Type {ts_type} needs {size}-octet addresses")
        return b"".join(
            (_pack_selector(ts_type, ip_protocol, 8 + 2 * size, start_port, end_port), start, end)
        )
    if isinstance(s, RawTrafficSelector):
        if s.ts_type in _ADDRESS_SIZE:
            raise EncodeError(
                f"RawTrafficSelector of TS Type {s.ts_type}: use TrafficSelector for it"
            )
        return _pack_bbh(s.ts_type, s.second_octet, 4 + len(s.data)) + s.data
    raise EncodeError(f"not a traffic selector: {type(s).__name__}")


def _encode_ts(p: TSi | TSr) -> bytes:
    """RFC 7296 §3.13."""
    selectors = p.selectors
    return b"".join(
        (_pack_24(len(selectors), p.reserved), *[_encode_selector(s) for s in selectors])
    )


def _encode_sk(p: SK) -> bytes:
    """RFC 7296 §3.14."""
    return p.body


def _encode_cp(p: CP) -> bytes:
    """RFC 7296 §3.15, §3.15.1."""
    parts = [_pack_24(p.cfg_type, p.reserved)]
    for kind, value, reserved in p.attributes:
        _check(kind, 15, "Attribute Type")
        _check(reserved, 1, "CP attribute R bit")
        parts.append(_pack_hh(reserved << 15 | kind, len(value)))
        parts.append(value)
    return b"".join(parts)


def _encode_skf(p: SKF) -> bytes:
    """RFC 7383 §2.5."""
    return _pack_hh(p.fragment_number, p.total_fragments) + p.body


#: Payload types with a model of their own, or 0: an UnknownPayload may not use them.
_MODELLED = frozenset(_DECODERS) | {0}


def _encode_unknown(p: UnknownPayload) -> bytes:
    """RFC 7296 §2.5: a payload type without a model, kept as its body."""
    payload_type = p.type
    if payload_type in _MODELLED or not 0 < payload_type < 256:
        raise EncodeError(
            f"UnknownPayload may not use payload type {payload_type}: it is 0, out of "
            "range or has a model of its own"
        )
    return p.data


#: Model class → body encoder.
_ENCODERS: dict[type[Any], Callable[[Any], bytes]] = {
    SA: _encode_sa,
    KE: _encode_ke,
    IDi: _encode_id,
    IDr: _encode_id,
    CERT: _encode_cert,
    CERTREQ: _encode_cert,
    AUTH: _encode_auth,
    Nonce: _encode_data,
    Notify: _encode_notify,
    Delete: _encode_delete,
    VendorID: _encode_data,
    TSi: _encode_ts,
    TSr: _encode_ts,
    SK: _encode_sk,
    CP: _encode_cp,
    EAP: _encode_data,
    SKF: _encode_skf,
    UnknownPayload: _encode_unknown,
}


def _encoder(p: Payload) -> Callable[[Any], bytes]:
    encoder = _ENCODERS.get(type(p))
    if encoder is None:
        for cls, candidate in _ENCODERS.items():
            if isinstance(p, cls):
                return candidate
        raise EncodeError(f"not a payload model: {type(p).__name__}")
    return encoder


def _encode_chain(payloads: Sequence[Payload], parts: list[bytes]) -> int:
    """Append the encoded chain to ``parts``; return its length.

    Each payload's Next Payload is the type of the one after it, 0 for the last;
    an SK or SKF payload must be last and writes its own Next Payload (RFC 7296
    §3.14). The body of a final SK/SKF payload is the last item appended (after
    SKF's Fragment Number and Total Fragments), so that everything before it is
    the associated data (RFC 7296 §5.1, RFC 7383 §2.5).
    """
    count = len(payloads)
    total = 0
    encoders = _ENCODERS
    for index in range(count):
        p: Any = payloads[index]  # any model; SK and SKF are handled by class below
        cls = type(p)
        try:
            if cls is SK or cls is SKF:
                if index + 1 != count:
                    raise EncodeError(
                        f"the {cls.__name__} payload must be the last payload (RFC 7296 §3.14)"
                    )
                body = p.body
                if type(body) is not bytes:
                    body = _octets(body)
                head = b"" if cls is SK else _pack_hh(p.fragment_number, p.total_fragments)
                length = 4 + len(head) + len(body)
                next_type = p.next_payload
            else:
                encoder = encoders.get(cls) or _encoder(p)
                body = encoder(p)
                if type(body) is not bytes:
                    body = _octets(body)
                head = b""
                length = 4 + len(body)
                next_type = payloads[index + 1].type if index + 1 < count else 0
            if length > 0xFFFF:
                raise EncodeError(
                    f"{cls.__name__} payload of {length} octets: Payload Length is 16 bits"
                )
            reserved = p.header_reserved
            if reserved:
                _check(reserved, 7, "payload header RESERVED")
            header = _pack_generic(next_type, 0x80 | reserved if p.critical else reserved, length)
            parts.append(header + head if head else header)
            parts.append(body)
        except _ENCODE_FAILURES as exc:
            raise EncodeError(f"{cls.__name__} payload {index}: {exc}") from exc
        total += length
    return total


def _message_parts(msg: Message) -> list[bytes]:
    """The encoded message as a list of octet strings; the last is the final
    payload's body (RFC 7296 §3.1)."""
    if type(msg) is not Message:
        raise EncodeError(f"not a Message: {type(msg).__name__}")
    spi_i, spi_r, exchange, flags, message_id, payloads, major, minor = msg
    try:
        if len(spi_i) != 8 or len(spi_r) != 8:
            raise EncodeError("IKE SPIs are 8 octets (RFC 7296 §3.1)")
        _check(major, 4, "major version")
        _check(minor, 4, "minor version")
        parts = [b""]
        length = HEADER_LENGTH + _encode_chain(payloads, parts)
        parts[0] = _pack_header(
            spi_i,
            spi_r,
            payloads[0].type if payloads else 0,
            major << 4 | minor,
            exchange,
            flags,
            message_id,
            length,
        )
    except _ENCODE_FAILURES as exc:
        raise EncodeError(f"IKE header: {exc}") from exc
    return parts


def encode_v2(msg: Message) -> bytes:
    """Encode an IKEv2 message (RFC 7296 §3.1), computing every length, count,
    SPI Size, "Last Substruc" marker and Next Payload. :class:`~ikewire.EncodeError`
    for a value outside its field's range."""
    return b"".join(_message_parts(msg))


def encode_payloads(payloads: Sequence[Payload]) -> bytes:
    """Encode a bare payload chain, e.g. the plaintext of an SK payload (RFC 7296
    §3.14); its first payload's type goes in the SK payload's Next Payload."""
    parts: list[bytes] = []
    _encode_chain(payloads, parts)
    return b"".join(parts)


def encode_payload_body(payload: Payload) -> bytes:
    """The octets of a payload after its 4-octet generic header (RFC 7296 §3.2).

    For AUTH computations: RestOfInitIDPayload / RestOfRespIDPayload are the body
    of the IDi / IDr payload (RFC 7296 §2.15).
    """
    try:
        return _octets(_encoder(payload)(payload))
    except _ENCODE_FAILURES as exc:
        raise EncodeError(f"{type(payload).__name__}: {exc}") from exc


def sk_associated_data(msg: Message) -> bytes:
    """The associated data of a message's final SK or SKF payload: every octet of
    the encoded message before its body — the IKE header, the generic payload
    headers and, for SKF, the Fragment Number and Total Fragments (RFC 7296 §5.1,
    RFC 7383 §2.5). The header's Length counts the body as it is in ``msg``.
    """
    payloads = msg.payloads
    if not payloads or type(payloads[-1]) not in (SK, SKF):
        raise EncodeError("the message does not end with an SK or SKF payload")
    return b"".join(_message_parts(msg)[:-1])
