"""Construct declarations of the IKEv2 wire format: the reference codec.

This module is the single source of truth for the IKEv2 message format
(RFC 7296 §3, RFC 7383 §2.5). It declares the header, the generic payload header
and every payload body with `construct <https://construct.readthedocs.io>`_, in
construct's own idiom: ``Prefixed`` for length-delimited structures, ``Rebuild``
with ``this`` expressions for counts and sizes, small Adapters for lengths that
count their own header.

The declarations are *interpreted* on purpose. Construct's documentation warns
that ``.compile()``d parsers skip checks and must not parse untrusted input, and
every IKE datagram is untrusted; the compiled form is only benchmarked.

The fast codec (:mod:`ikewire.wire.codec`) is written beside these declarations
and is proven equal to them by Hypothesis differential tests
(``tests/test_wire_differential.py``): both accept exactly the same byte strings
and give equal models.

What leaves this module is typed: :func:`construct_decode` returns a
:class:`~ikewire.wire.models.Message`, :func:`construct_encode` takes one. No
construct object or ``Container`` is part of the public API.

Well-formedness enforced on decode (what the fast codec must enforce too):

* the header's Length equals the datagram's length (RFC 7296 §3.1); every
  payload's Payload Length is at least 4 and the payloads tile the message;
* the chain follows Next Payload until 0, or ends at SK/SKF (RFC 7296 §3.14,
  RFC 7383 §2.5), whose Next Payload names the first inner payload;
* every length, count and SPI Size agrees with the octets present; proposals and
  transforms carry the "Last Substructure" marker 0 on the last one and 2 / 3
  before (RFC 7296 §3.3.1, §3.3.2); TS_IPV4_ADDR_RANGE and TS_IPV6_ADDR_RANGE
  selectors are 16 and 40 octets long (§3.13.1);
* reserved fields and unknown numbers are kept, so ``encode(decode(b)) == b``.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import construct as c
from construct import this

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
from ..errors import DecodeError, EncodeError
from . import models as m
from ._construct import Located as _Located
from ._construct import as_bytes as _as_bytes
from ._construct import reason as _reason
from ._construct import run_decode as _run_decode
from ._construct import run_encode as _run_encode

__all__ = [
    "HEADER_LENGTH",
    "construct_decode",
    "construct_decode_payloads",
    "construct_encode",
    "construct_encode_payloads",
]

#: Octets in the IKE header (RFC 7296 §3.1).
HEADER_LENGTH = 28
#: Octets in the generic payload header (RFC 7296 §3.2).
GENERIC_HEADER_LENGTH = 4

# Payload types ending the chain: their Next Payload names the first inner payload.
_ENCRYPTED = (int(PayloadType.SK), int(PayloadType.SKF))

# TS Type numbers with an address-range body (RFC 7296 §3.13.1).
_TS_IPV4_ADDR_RANGE = 7
_TS_IPV6_ADDR_RANGE = 8

# "Last Substructure" values (RFC 7296 §3.3.1, §3.3.2).
_MORE_PROPOSALS = 2
_MORE_TRANSFORMS = 3


# =========================================================================== helpers


class _TotalLength(c.Adapter):  # type: ignore[misc]
    """A length field that counts its whole structure, header included.

    IKEv2 lengths count the octets of the structure they start with (Payload
    Length, RFC 7296 §3.2; Proposal Length, §3.3.1; Transform Length, §3.3.2;
    Selector Length, §3.13.1; the message Length, §3.1). Parsed, this gives the
    number of octets *after* the field, so ``Prefixed`` reads exactly the body;
    a length shorter than the structure's fixed part is rejected.
    """

    def __init__(self, subcon: Any, header: int, minimum_body: int = 0) -> None:
        super().__init__(subcon)
        self.header = header
        self.minimum_body = minimum_body

    def _decode(self, obj: int, context: Any, path: str) -> int:
        body = obj - self.header
        if body < self.minimum_body:
            raise c.ValidationError(
                f"length {obj} is shorter than the minimum {self.header + self.minimum_body}",
                path=path,
            )
        return body

    def _encode(self, obj: int, context: Any, path: str) -> int:
        return obj + self.header

    def _emitparse(self, code: Any) -> str:
        code.append(
            """
            def total_length(value, header, minimum):
                if value - header < minimum:
                    raise ValidationError("length %d is too short" % value)
                return value - header
            """
        )
        return (
            f"total_length({self.subcon._compileparse(code)}, {self.header}, {self.minimum_body})"
        )


class _Substructures(c.Subconstruct):  # type: ignore[misc]
    """Substructures each led by a "Last Substructure" octet (RFC 7296 §3.3.1, §3.3.2).

    The octet is ``more`` while another substructure follows and 0 on the last
    one; the list fills its enclosing length exactly (an empty enclosing length
    is an empty list). The marker is computed on build, never stored.
    """

    def __init__(self, subcon: Any, more: int, name: str) -> None:
        super().__init__(subcon)
        self.more = more
        self.what = name

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        items = c.ListContainer()
        start = c.stream_tell(stream, path)
        end = c.stream_size(stream)
        last = 0
        # Bounded: every substructure consumes at least its marker octet.
        for index in range(end - start):
            offset = c.stream_tell(stream, path)
            if offset >= end:
                break
            last = c.Int8ub._parsereport(stream, context, path)
            if last not in (0, self.more):
                raise _Located(
                    f"Last Substructure is {last}, expected 0 or {self.more}",
                    offset,
                    f"{self.what}[{index}].last_substruc",
                )
            context._index = index
            try:
                items.append(self.subcon._parsereport(stream, context, path))
            except _Located as exc:
                field = f"{self.what}[{index}].{exc.field}"
                raise _Located(exc.reason, exc.offset, field) from exc
            except c.ConstructError as exc:
                raise _Located(_reason(exc), offset, f"{self.what}[{index}]") from exc
            if last == 0:
                break
        offset = c.stream_tell(stream, path)
        if last == self.more:
            raise _Located(
                "the last substructure is marked as followed by another",
                offset,
                f"{self.what}[{len(items) - 1}].last_substruc",
            )
        if offset != end:
            raise _Located(f"{end - offset} octets after the last substructure", offset, self.what)
        return items

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        count = len(obj)
        for index, item in enumerate(obj):
            c.Int8ub._build(self.more if index < count - 1 else 0, stream, context, path)
            context._index = index
            self.subcon._build(item, stream, context, path)
        return obj

    def _sizeof(self, context: Any, path: str) -> int:
        raise c.SizeofError("substructure lists have no fixed size", path=path)

    def _emitparse(self, code: Any) -> str:
        fname = f"parse_substructures_{code.allocateId()}"
        code.append(
            f"""
            def {fname}(io, this):
                items = ListContainer()
                start = io.tell()
                end = io.seek(0, 2)
                io.seek(start)
                last = 0
                for index in range(end - start):
                    if io.tell() >= end:
                        break
                    last = io.read(1)[0]
                    if last not in (0, {self.more}):
                        raise ValidationError("bad Last Substructure")
                    this['_index'] = index
                    items.append({self.subcon._compileparse(code)})
                    if last == 0:
                        break
                if last == {self.more} or io.tell() != end:
                    raise ValidationError("substructures do not fill their length")
                return items
            """
        )
        return f"{fname}(io, this)"


class _FuncRebuild(c.Rebuild):  # type: ignore[misc]
    """``Rebuild`` from a plain function: ``.compile()`` links it in interpreted,
    since only ``this`` expressions can be emitted as source."""

    def _emitbuild(self, code: Any) -> str:
        raise NotImplementedError


def _first_payload_type(ctx: Any) -> int:
    """The header's Next Payload (RFC 7296 §3.1): the first payload's type, or 0."""
    payloads = ctx.payloads
    return operator.index(payloads[0].type) if payloads else 0


def _is_tv(ctx: Any) -> bool:
    """The AF bit (RFC 7296 §3.3.5): TV format for an integer value."""
    return isinstance(ctx._.value, int)


# =========================================================================== declarations

# RFC 7296 §3.3.5: Transform attributes, TV (AF = 1) or TLV (AF = 0).
ATTRIBUTE = c.Struct(
    "format"
    / c.BitStruct(
        "tv" / _FuncRebuild(c.Flag, _is_tv),
        "type" / c.BitsInteger(15),
    ),
    "value" / c.IfThenElse(this.format.tv, c.Int16ub, c.Prefixed(c.Int16ub, c.GreedyBytes)),
)

# RFC 7296 §3.3.2: Transform substructure (after its Last Substructure octet).
TRANSFORM = c.Struct(
    "reserved1" / c.Int8ub,
    "body"
    / c.Prefixed(
        _TotalLength(c.Int16ub, header=4, minimum_body=4),
        c.Struct(
            "type" / c.Int8ub,
            "reserved2" / c.Int8ub,
            "id" / c.Int16ub,
            "attributes" / c.GreedyRange(ATTRIBUTE),
            c.Terminated,
        ),
    ),
)

# RFC 7296 §3.3.1: Proposal substructure (after its Last Substructure octet).
PROPOSAL = c.Struct(
    "reserved" / c.Int8ub,
    "body"
    / c.Prefixed(
        _TotalLength(c.Int16ub, header=4, minimum_body=4),
        c.Struct(
            "number" / c.Int8ub,
            "protocol_id" / c.Int8ub,
            "spi_size" / c.Rebuild(c.Int8ub, c.len_(this.spi)),
            "num_transforms" / c.Rebuild(c.Int8ub, c.len_(this.transforms)),
            "spi" / c.Bytes(this.spi_size),
            "transforms" / _Substructures(TRANSFORM, _MORE_TRANSFORMS, "transforms"),
            c.Check(c.len_(this.transforms) == this.num_transforms),
        ),
    ),
)

# RFC 7296 §3.3: Security Association payload body.
SA_BODY = c.Struct("proposals" / _Substructures(PROPOSAL, _MORE_PROPOSALS, "proposals"))

# RFC 7296 §3.4: Key Exchange payload body.
KE_BODY = c.Struct("group" / c.Int16ub, "reserved" / c.Int16ub, "data" / c.GreedyBytes)

# RFC 7296 §3.5: Identification payload body (IDi and IDr).
ID_BODY = c.Struct("id_type" / c.Int8ub, "reserved" / c.Int24ub, "data" / c.GreedyBytes)

# RFC 7296 §3.6, §3.7: Certificate and Certificate Request payload bodies.
CERT_BODY = c.Struct("encoding" / c.Int8ub, "data" / c.GreedyBytes)

# RFC 7296 §3.8: Authentication payload body.
AUTH_BODY = c.Struct("method" / c.Int8ub, "reserved" / c.Int24ub, "data" / c.GreedyBytes)

# RFC 7296 §3.9, §3.12, §3.16, §2.5: Nonce, Vendor ID, EAP and unknown payload bodies.
DATA_BODY = c.Struct("data" / c.GreedyBytes)

# RFC 7296 §3.10: Notify payload body.
NOTIFY_BODY = c.Struct(
    "protocol_id" / c.Int8ub,
    "spi_size" / c.Rebuild(c.Int8ub, c.len_(this.spi)),
    "notify_type" / c.Int16ub,
    "spi" / c.Bytes(this.spi_size),
    "data" / c.GreedyBytes,
)

# RFC 7296 §3.11: Delete payload body.
DELETE_BODY = c.Struct(
    "protocol_id" / c.Int8ub,
    "spi_size" / c.Int8ub,
    "num_spis" / c.Rebuild(c.Int16ub, c.len_(this.spis)),
    "spis" / c.Array(this.num_spis, c.Bytes(this.spi_size)),
    c.Terminated,
)


def _address_range(size: int) -> Any:
    """The body of TS_IPV4_ADDR_RANGE / TS_IPV6_ADDR_RANGE (RFC 7296 §3.13.1)."""
    return c.Struct(
        "start_port" / c.Int16ub,
        "end_port" / c.Int16ub,
        "start_address" / c.Bytes(size),
        "end_address" / c.Bytes(size),
        c.Terminated,
    )


# RFC 7296 §3.13.1: Traffic Selector; other TS types keep their body raw.
TRAFFIC_SELECTOR = c.Struct(
    "ts_type" / c.Int8ub,
    "ip_protocol" / c.Int8ub,
    "body"
    / c.Prefixed(
        _TotalLength(c.Int16ub, header=4),
        c.Switch(
            this.ts_type,
            {_TS_IPV4_ADDR_RANGE: _address_range(4), _TS_IPV6_ADDR_RANGE: _address_range(16)},
            default=c.GreedyBytes,
        ),
    ),
)

# RFC 7296 §3.13: Traffic Selector payload body (TSi and TSr).
TS_BODY = c.Struct(
    "num_ts" / c.Rebuild(c.Int8ub, c.len_(this.selectors)),
    "reserved" / c.Int24ub,
    "selectors" / c.GreedyRange(TRAFFIC_SELECTOR),
    c.Terminated,
    c.Check(c.len_(this.selectors) == this.num_ts),
)

# RFC 7296 §3.14: Encrypted and Authenticated payload body (IV, ciphertext, ICV).
SK_BODY = c.Struct("body" / c.GreedyBytes)

# RFC 7383 §2.5: Encrypted and Authenticated Fragment payload body.
SKF_BODY = c.Struct(
    "fragment_number" / c.Int16ub,
    "total_fragments" / c.Int16ub,
    "body" / c.GreedyBytes,
)

# RFC 7296 §3.15.1: Configuration attribute.
CP_ATTRIBUTE = c.Struct(
    "format" / c.BitStruct("reserved" / c.BitsInteger(1), "type" / c.BitsInteger(15)),
    "value" / c.Prefixed(c.Int16ub, c.GreedyBytes),
)

# RFC 7296 §3.15: Configuration payload body.
CP_BODY = c.Struct(
    "cfg_type" / c.Int8ub,
    "reserved" / c.Int24ub,
    "attributes" / c.GreedyRange(CP_ATTRIBUTE),
    c.Terminated,
)

#: Payload type → body declaration; any other type is kept raw (RFC 7296 §2.5).
BODIES: dict[int, Any] = {
    int(PayloadType.SA): SA_BODY,
    int(PayloadType.KE): KE_BODY,
    int(PayloadType.IDi): ID_BODY,
    int(PayloadType.IDr): ID_BODY,
    int(PayloadType.CERT): CERT_BODY,
    int(PayloadType.CERTREQ): CERT_BODY,
    int(PayloadType.AUTH): AUTH_BODY,
    int(PayloadType.NONCE): DATA_BODY,
    int(PayloadType.NOTIFY): NOTIFY_BODY,
    int(PayloadType.DELETE): DELETE_BODY,
    int(PayloadType.VENDOR_ID): DATA_BODY,
    int(PayloadType.TSi): TS_BODY,
    int(PayloadType.TSr): TS_BODY,
    int(PayloadType.SK): SK_BODY,
    int(PayloadType.CP): CP_BODY,
    int(PayloadType.EAP): DATA_BODY,
    int(PayloadType.SKF): SKF_BODY,
}

# RFC 7296 §3.2: a payload: the generic payload header, then the body its type selects.
# The chain passes the payload's type in as ``this._.type``.
PAYLOAD = c.Struct(
    "next_payload" / c.Int8ub,
    "header" / c.BitStruct("critical" / c.Flag, "reserved" / c.BitsInteger(7)),
    "body"
    / c.Prefixed(
        _TotalLength(c.Int16ub, header=GENERIC_HEADER_LENGTH),
        c.Switch(this._.type, BODIES, default=DATA_BODY),
    ),
)


class _PayloadChain(c.Construct):  # type: ignore[misc]
    """The payload chain (RFC 7296 §3.2), driven by Next Payload.

    Parsing starts with the type ``first_type`` evaluates to and follows each
    payload's Next Payload until 0; an SK or SKF payload ends the chain (its Next
    Payload is the first inner payload, RFC 7296 §3.14, RFC 7383 §2.5). The chain
    must fill its enclosing length exactly. Each parsed payload carries its
    ``type``. Building computes every Next Payload from the following payload's
    type; an SK/SKF payload, which must be last, writes its own ``next_payload``.
    """

    def __init__(self, first_type: Any) -> None:
        super().__init__()
        self.first_type = first_type
        self.payload = PAYLOAD

    @staticmethod
    def _context(context: Any, payload_type: int, index: int) -> Any:
        return c.Container(
            _=context,
            _params=context._params,
            _root=None,
            _parsing=context._parsing,
            _building=context._building,
            _sizing=context._sizing,
            _io=context.get("_io"),
            _index=index,
            type=payload_type,
        )

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        current = int(c.evaluate(self.first_type, context))
        payloads = c.ListContainer()
        start = c.stream_tell(stream, path)
        end = c.stream_size(stream)
        # Bounded: every payload consumes at least its 4-octet generic header.
        for index in range((end - start) // GENERIC_HEADER_LENGTH + 1):
            if current == 0:
                break
            offset = c.stream_tell(stream, path)
            field = f"payloads[{index}] ({_type_name(current)})"
            if offset >= end:
                raise _Located(f"Next Payload is {current} but the message ends", offset, field)
            try:
                payload = self.payload._parsereport(
                    stream, self._context(context, current, index), path
                )
            except _Located as exc:
                raise _Located(exc.reason, exc.offset, f"{field}.{exc.field}") from exc
            except c.ConstructError as exc:
                raise _Located(_reason(exc), offset, field) from exc
            payload.type = current
            payloads.append(payload)
            if current in _ENCRYPTED:
                break
            current = payload.next_payload
        else:  # pragma: no cover - the range bounds the chain by the octets present
            raise _Located("payload chain longer than the message", start, "payloads")
        offset = c.stream_tell(stream, path)
        if offset != end:
            raise _Located(f"{end - offset} octets after the last payload", offset, "payloads")
        return payloads

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        count = len(obj)
        for index, payload in enumerate(obj):
            payload_type = operator.index(payload.type)
            if payload_type in _ENCRYPTED:
                if index != count - 1:
                    raise c.ValidationError(
                        f"{_type_name(payload_type)} payload must be the last payload", path=path
                    )
                next_payload = payload.next_payload
            else:
                next_payload = operator.index(obj[index + 1].type) if index + 1 < count else 0
            built = c.Container(payload, next_payload=next_payload)
            self.payload._build(built, stream, self._context(context, payload_type, index), path)
        return obj

    def _sizeof(self, context: Any, path: str) -> int:
        raise c.SizeofError("a payload chain has no fixed size", path=path)

    def _emitparse(self, code: Any) -> str:
        fname = f"parse_chain_{code.allocateId()}"
        code.append(
            f"""
            def {fname}(io, this):
                current = {self.first_type!r}
                payloads = ListContainer()
                start = io.tell()
                end = io.seek(0, 2)
                io.seek(start)
                outer = this
                for index in range((end - start) // {GENERIC_HEADER_LENGTH} + 1):
                    if current == 0:
                        break
                    this = Container(_=outer, _params=outer['_params'], _root=None,
                                     _parsing=True, _building=False, _sizing=False,
                                     _io=io, _index=index, type=current)
                    payload = {self.payload._compileparse(code)}
                    payload['type'] = current
                    payloads.append(payload)
                    if current in {_ENCRYPTED!r}:
                        break
                    current = payload['next_payload']
                if io.tell() != end:
                    raise ValidationError("octets after the last payload")
                return payloads
            """
        )
        return f"{fname}(io, this)"


# RFC 7296 §3.1: the IKE header, then the payload chain its Length delimits.
MESSAGE = c.Struct(
    "spi_i" / c.Bytes(8),
    "spi_r" / c.Bytes(8),
    "next_payload" / _FuncRebuild(c.Int8ub, _first_payload_type),
    "version" / c.BitStruct("major" / c.Nibble, "minor" / c.Nibble),
    "exchange_type" / c.Int8ub,
    "flags" / c.Int8ub,
    "message_id" / c.Int32ub,
    "payloads"
    / c.Prefixed(
        _TotalLength(c.Int32ub, header=HEADER_LENGTH),
        _PayloadChain(this.next_payload),
    ),
    c.Terminated,
)

#: A bare payload chain, e.g. the plaintext of an SK payload (RFC 7296 §3.14);
#: parse it with ``first_type=`` the type of its first payload.
PAYLOAD_CHAIN = _PayloadChain(this.first_type)


# =========================================================================== Container → models


def _type_name(payload_type: int) -> str:
    value = to_enum(PayloadType, payload_type)
    return value.name if isinstance(value, PayloadType) else f"payload type {payload_type}"


def _transform_id_enum(transform_type: int) -> Any:
    """The registry a Transform ID belongs to (RFC 7296 §3.3.2, RFC 9370 §2.2.1)."""
    if transform_type == TransformType.ENCR:
        return EncrId
    if transform_type == TransformType.PRF:
        return PrfId
    if transform_type == TransformType.INTEG:
        return IntegId
    if transform_type == TransformType.KE or 6 <= transform_type <= 12:
        return KeyExchangeMethod
    if transform_type == TransformType.ESN:
        return ESN
    return None


def _transform_from(t: Any) -> m.Transform:
    body = t.body
    id_enum = _transform_id_enum(body.type)
    attributes = tuple(
        m.TransformAttribute(to_enum(TransformAttributeType, a.format.type), a.value)
        for a in body.attributes
    )
    return m.Transform(
        to_enum(TransformType, body.type),
        to_enum(id_enum, body.id) if id_enum is not None else body.id,
        attributes,
        (t.reserved1 << 8) | body.reserved2,
    )


def _proposal_from(p: Any) -> m.Proposal:
    body = p.body
    return m.Proposal(
        body.number,
        to_enum(ProtocolId, body.protocol_id),
        body.spi,
        tuple(_transform_from(t) for t in body.transforms),
        p.reserved,
    )


def _selector_from(s: Any) -> m.Selector:
    if s.ts_type in (_TS_IPV4_ADDR_RANGE, _TS_IPV6_ADDR_RANGE):
        b = s.body
        return m.TrafficSelector(
            to_enum(TSType, s.ts_type),
            s.ip_protocol,
            b.start_port,
            b.end_port,
            b.start_address,
            b.end_address,
        )
    return m.RawTrafficSelector(to_enum(TSType, s.ts_type), s.ip_protocol, s.body)


def _payload_from(p: Any) -> m.Payload:
    t = p.type
    b = p.body
    crit = p.header.critical
    res = p.header.reserved
    if t == PayloadType.SA:
        return m.SA(tuple(_proposal_from(x) for x in b.proposals), crit, res)
    if t == PayloadType.KE:
        return m.KE(to_enum(KeyExchangeMethod, b.group), b.data, b.reserved, crit, res)
    if t == PayloadType.IDi:
        return m.IDi(to_enum(IDType, b.id_type), b.data, b.reserved, crit, res)
    if t == PayloadType.IDr:
        return m.IDr(to_enum(IDType, b.id_type), b.data, b.reserved, crit, res)
    if t == PayloadType.CERT:
        return m.CERT(to_enum(CertEncoding, b.encoding), b.data, crit, res)
    if t == PayloadType.CERTREQ:
        return m.CERTREQ(to_enum(CertEncoding, b.encoding), b.data, crit, res)
    if t == PayloadType.AUTH:
        return m.AUTH(to_enum(AuthMethod, b.method), b.data, b.reserved, crit, res)
    if t == PayloadType.NONCE:
        return m.Nonce(b.data, crit, res)
    if t == PayloadType.NOTIFY:
        return m.Notify(
            to_enum(NotifyType, b.notify_type),
            b.data,
            to_enum(ProtocolId, b.protocol_id),
            b.spi,
            crit,
            res,
        )
    if t == PayloadType.DELETE:
        return m.Delete(to_enum(ProtocolId, b.protocol_id), b.spi_size, tuple(b.spis), crit, res)
    if t == PayloadType.VENDOR_ID:
        return m.VendorID(b.data, crit, res)
    if t in (PayloadType.TSi, PayloadType.TSr):
        cls = m.TSi if t == PayloadType.TSi else m.TSr
        return cls(tuple(_selector_from(s) for s in b.selectors), b.reserved, crit, res)
    if t == PayloadType.SK:
        return m.SK(to_enum(PayloadType, p.next_payload), b.body, crit, res)
    if t == PayloadType.CP:
        attributes = tuple(
            m.CPAttribute(to_enum(CPAttributeType, a.format.type), a.value, a.format.reserved)
            for a in b.attributes
        )
        return m.CP(to_enum(CfgType, b.cfg_type), attributes, b.reserved, crit, res)
    if t == PayloadType.EAP:
        return m.EAP(b.data, crit, res)
    if t == PayloadType.SKF:
        return m.SKF(
            to_enum(PayloadType, p.next_payload),
            b.fragment_number,
            b.total_fragments,
            b.body,
            crit,
            res,
        )
    return m.UnknownPayload(to_enum(PayloadType, t), b.data, crit, res)


def _message_from(parsed: Any) -> m.Message:
    return m.Message(
        parsed.spi_i,
        parsed.spi_r,
        to_enum(ExchangeType, parsed.exchange_type),
        parsed.flags,
        parsed.message_id,
        tuple(_payload_from(p) for p in parsed.payloads),
        parsed.version.major,
        parsed.version.minor,
    )


# =========================================================================== models → Container

#: Payload types with a model of their own; an UnknownPayload may not use them.
_MODELLED = frozenset(int(t) for t in BODIES) | {0}


def _octets(value: object) -> bytes:
    """A bytes field's value: bytes-like only (construct would turn an int into
    zero octets, RFC 7296 has no such field)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise EncodeError(f"expected bytes, got {type(value).__name__}")


def _attribute_value(value: object) -> int | bytes:
    """TV (an ``int``) or TLV (bytes-like) attribute value (RFC 7296 §3.3.5)."""
    return value if isinstance(value, int) else _octets(value)


def _transform_to(t: m.Transform) -> Any:
    return c.Container(
        reserved1=t.reserved >> 8,
        body=c.Container(
            type=t.type,
            reserved2=t.reserved & 0xFF,
            id=t.id,
            attributes=[
                c.Container(format=c.Container(type=a.type), value=_attribute_value(a.value))
                for a in t.attributes
            ],
        ),
    )


def _proposal_to(p: m.Proposal) -> Any:
    return c.Container(
        reserved=p.reserved,
        body=c.Container(
            number=p.number,
            protocol_id=p.protocol_id,
            spi=_octets(p.spi),
            transforms=[_transform_to(t) for t in p.transforms],
        ),
    )


def _selector_to(s: m.Selector) -> Any:
    if isinstance(s, m.TrafficSelector):
        body: Any = c.Container(
            start_port=s.start_port,
            end_port=s.end_port,
            start_address=_octets(s.start_address),
            end_address=_octets(s.end_address),
        )
        return c.Container(ts_type=s.ts_type, ip_protocol=s.ip_protocol, body=body)
    if isinstance(s, m.RawTrafficSelector):
        return c.Container(ts_type=s.ts_type, ip_protocol=s.second_octet, body=_octets(s.data))
    raise EncodeError(f"not a traffic selector: {type(s).__name__}")


def _body_to(p: m.Payload) -> tuple[int, Any]:
    """The payload's type and the Container its body declaration builds from."""
    if isinstance(p, m.SA):
        return p.type, c.Container(proposals=[_proposal_to(x) for x in p.proposals])
    if isinstance(p, m.KE):
        return p.type, c.Container(group=p.group, reserved=p.reserved, data=_octets(p.data))
    if isinstance(p, m.IDi | m.IDr):
        return p.type, c.Container(id_type=p.id_type, reserved=p.reserved, data=_octets(p.data))
    if isinstance(p, m.CERT | m.CERTREQ):
        return p.type, c.Container(encoding=p.encoding, data=_octets(p.data))
    if isinstance(p, m.AUTH):
        return p.type, c.Container(method=p.method, reserved=p.reserved, data=_octets(p.data))
    if isinstance(p, m.Nonce | m.VendorID | m.EAP):
        return p.type, c.Container(data=_octets(p.data))
    if isinstance(p, m.Notify):
        return p.type, c.Container(
            protocol_id=p.protocol_id,
            notify_type=p.notify_type,
            spi=_octets(p.spi),
            data=_octets(p.data),
        )
    if isinstance(p, m.Delete):
        return p.type, c.Container(
            protocol_id=p.protocol_id, spi_size=p.spi_size, spis=[_octets(x) for x in p.spis]
        )
    if isinstance(p, m.TSi | m.TSr):
        return p.type, c.Container(
            reserved=p.reserved, selectors=[_selector_to(s) for s in p.selectors]
        )
    if isinstance(p, m.SK):
        return p.type, c.Container(body=_octets(p.body))
    if isinstance(p, m.SKF):
        return p.type, c.Container(
            fragment_number=p.fragment_number,
            total_fragments=p.total_fragments,
            body=_octets(p.body),
        )
    if isinstance(p, m.CP):
        attributes = [
            c.Container(
                format=c.Container(reserved=a.reserved, type=a.type), value=_octets(a.value)
            )
            for a in p.attributes
        ]
        return p.type, c.Container(cfg_type=p.cfg_type, reserved=p.reserved, attributes=attributes)
    if isinstance(p, m.UnknownPayload):
        if operator.index(p.type) in _MODELLED:
            raise EncodeError(
                f"UnknownPayload may not use payload type {int(p.type)}: "
                "it is 0 or has a model of its own"
            )
        return p.type, c.Container(data=_octets(p.data))
    raise EncodeError(f"not a payload model: {type(p).__name__}")


def _payload_to(p: m.Payload) -> Any:
    payload_type, body = _body_to(p)
    container = c.Container(
        type=payload_type,
        header=c.Container(critical=p.critical, reserved=p.header_reserved),
        body=body,
    )
    if isinstance(p, m.SK | m.SKF):
        container.next_payload = p.next_payload
    return container


def _payloads_to(payloads: Sequence[m.Payload]) -> list[Any]:
    return [_payload_to(p) for p in payloads]


def _message_to(msg: m.Message) -> Any:
    if type(msg) is not m.Message:
        raise EncodeError(f"not a Message: {type(msg).__name__}")
    return c.Container(
        spi_i=_octets(msg.spi_i),
        spi_r=_octets(msg.spi_r),
        version=c.Container(major=msg.major_version, minor=msg.minor_version),
        exchange_type=msg.exchange_type,
        flags=msg.flags,
        message_id=msg.message_id,
        payloads=_payloads_to(msg.payloads),
    )


# =========================================================================== public functions


def construct_decode(data: bytes) -> m.Message:
    """Decode an IKEv2 message with the Construct declarations (RFC 7296 §3).

    The reference decoder: slow, and exactly as strict as the fast codec. Any
    byte string gives a :class:`~ikewire.wire.models.Message` or a
    :class:`~ikewire.DecodeError` naming the offset and field. Like
    :func:`ikewire.wire.codec.decode_v2`, it does not check the major version
    (:func:`ikewire.wire.decode` dispatches on it).
    """
    raw = _as_bytes(data)
    if len(raw) < HEADER_LENGTH:
        raise DecodeError(
            f"{len(raw)} octets, shorter than the IKE header", offset=0, field="header"
        )

    def run() -> m.Message:
        return _message_from(MESSAGE.parse(raw))

    result: m.Message = _run_decode(run)
    return result


def construct_encode(msg: m.Message) -> bytes:
    """Encode a message with the Construct declarations (RFC 7296 §3).

    Lengths, counts, SPI sizes, "Last Substructure" markers and the Next Payload
    chain are computed; a value out of its field's range raises
    :class:`~ikewire.EncodeError`.
    """
    return _run_encode(lambda: MESSAGE.build(_message_to(msg)))


def construct_decode_payloads(first_type: int, data: bytes) -> tuple[m.Payload, ...]:
    """Decode a bare payload chain starting with ``first_type`` (RFC 7296 §3.2).

    Used for the plaintext of an SK payload (RFC 7296 §3.14), whose Next Payload
    gives ``first_type``. Offsets in errors count from the start of ``data``.
    """
    raw = _as_bytes(data)

    def run() -> tuple[m.Payload, ...]:
        parsed = PAYLOAD_CHAIN.parse(raw, first_type=int(first_type))
        return tuple(_payload_from(p) for p in parsed)

    result: tuple[m.Payload, ...] = _run_decode(run)
    return result


def construct_encode_payloads(payloads: Sequence[m.Payload]) -> bytes:
    """Encode a bare payload chain (RFC 7296 §3.2); the first type is ``payloads[0].type``."""
    return _run_encode(lambda: PAYLOAD_CHAIN.build(_payloads_to(payloads), first_type=0))
