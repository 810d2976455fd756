"""Typed, immutable models of IKEv2 messages and payloads (RFC 7296 §3).

Every model is an immutable named tuple: cheap to build on the decode hot path,
hashable, comparable (two models are equal only if they are of the same class and
every field is equal), and ``_replace`` gives a modified copy.

Lengths, the next-payload chain, "last substructure" markers and counts are never
stored: the encoder computes them. Reserved fields *are* stored (default 0) so that
``encode(decode(b)) == b`` holds for every byte string that decodes, including the
ones whose reserved bits a sender set (RFC 7296 §3.2: "MUST be ignored on receipt").

Enumerated fields hold the :mod:`ikewire.constants` member when the number is known
and the plain ``int`` otherwise (unknown numbers round-trip).
"""

from __future__ import annotations

import ipaddress
from typing import ClassVar, NamedTuple, TypeAlias

from ..constants import (
    AuthMethod,
    CertEncoding,
    CfgType,
    CPAttributeType,
    ExchangeType,
    IDType,
    KeyExchangeMethod,
    NotifyType,
    PayloadType,
    ProtocolId,
    TransformAttributeType,
    TransformType,
    TSType,
)

__all__ = [
    "AUTH",
    "CERT",
    "CERTREQ",
    "CP",
    "EAP",
    "FLAG_INITIATOR",
    "FLAG_RESPONSE",
    "FLAG_VERSION",
    "KE",
    "SA",
    "SK",
    "SKF",
    "CPAttribute",
    "Delete",
    "IDi",
    "IDr",
    "Message",
    "Nonce",
    "Notify",
    "Payload",
    "Proposal",
    "RawTrafficSelector",
    "Selector",
    "TSi",
    "TSr",
    "TrafficSelector",
    "Transform",
    "TransformAttribute",
    "UnknownPayload",
    "VendorID",
]

#: IKE header flags (RFC 7296 §3.1).
FLAG_INITIATOR = 0x08
FLAG_VERSION = 0x10
FLAG_RESPONSE = 0x20


class _Model:
    """Equality and hashing that include the class, for the named-tuple models.

    A bare named tuple compares equal to any tuple with the same items; an IKE
    ``Nonce`` must not equal a ``VendorID`` holding the same bytes.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and tuple.__eq__(self, other)  # type: ignore[operator]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple.__hash__(self)))  # type: ignore[arg-type]


class _Payload(_Model):
    """A payload with a fixed payload type (RFC 7296 §3.2)."""

    __slots__ = ()
    type: ClassVar[PayloadType]


# --------------------------------------------------------------------------- SA


class _TransformAttribute(NamedTuple):
    type: TransformAttributeType | int
    value: int | bytes


class TransformAttribute(_Model, _TransformAttribute):
    """A transform attribute (RFC 7296 §3.3.5).

    An ``int`` value is sent in TV format (AF bit set, 16-bit value); a ``bytes``
    value in TLV format.
    """

    __slots__ = ()


class _Transform(NamedTuple):
    type: TransformType | int
    id: int
    attributes: tuple[TransformAttribute, ...] = ()
    reserved: int = 0  # the two RESERVED octets, first << 8 | second


class Transform(_Model, _Transform):
    """A transform substructure (RFC 7296 §3.3.2).

    ``id`` is an :class:`~ikewire.constants.EncrId`, ``PrfId``, ``IntegId``,
    ``KeyExchangeMethod`` or ``ESN`` member according to ``type``.
    """

    __slots__ = ()

    @property
    def key_length(self) -> int | None:
        """The Key Length attribute in bits (RFC 7296 §3.3.5), or None."""
        for attr in self.attributes:
            if attr.type == TransformAttributeType.KEY_LENGTH and isinstance(attr.value, int):
                return attr.value
        return None


class _Proposal(NamedTuple):
    number: int
    protocol_id: ProtocolId | int
    spi: bytes
    transforms: tuple[Transform, ...]
    reserved: int = 0


class Proposal(_Model, _Proposal):
    """A proposal substructure (RFC 7296 §3.3.1).

    ``Proposal.parse("aes256gcm16-prfsha384-ecp384")`` builds one from strongSwan's
    proposal syntax; ``str(proposal)`` gives that syntax back.
    """

    __slots__ = ()

    def transforms_of(self, transform_type: int) -> tuple[Transform, ...]:
        """The transforms of one type, in proposal order."""
        return tuple(t for t in self.transforms if t.type == transform_type)

    @classmethod
    def parse(
        cls,
        text: str,
        protocol: ProtocolId | int = ProtocolId.IKE,
        number: int = 1,
        spi: bytes = b"",
        *,
        strict: bool = False,
    ) -> Proposal:
        """A proposal from strongSwan's syntax (``"aes128-sha256-x25519"``), with
        strongSwan's rules (see :mod:`ikewire.wire.syntax`); ConfigError names what is wrong.
        """
        from .syntax import parse_proposal  # syntax.py imports this module

        return parse_proposal(text, protocol, number, spi, strict=strict)

    def __str__(self) -> str:
        """The transforms in strongSwan's syntax, one canonical keyword each.

        ``Proposal.parse(str(p), p.protocol_id, p.number, p.spi) == p`` for every ``p``
        that ``parse`` made.
        """
        from .syntax import format_transforms

        return format_transforms(self.transforms)

    def _first_id(self, transform_type: int) -> int | None:
        for t in self.transforms:
            if t.type == transform_type:
                return t.id
        return None

    @property
    def encr_id(self) -> int | None:
        """The first encryption algorithm (Transform Type 1), or None (RFC 7296 §3.3.2)."""
        return self._first_id(TransformType.ENCR)

    @property
    def encr_key_bits(self) -> int | None:
        """The first encryption transform's Key Length in bits (RFC 7296 §3.3.5), or None."""
        for t in self.transforms:
            if t.type == TransformType.ENCR:
                return t.key_length
        return None

    @property
    def integ_id(self) -> int | None:
        """The first integrity algorithm (Transform Type 3), or None (e.g. AEAD)."""
        return self._first_id(TransformType.INTEG)

    @property
    def prf_id(self) -> int | None:
        """The first pseudorandom function (Transform Type 2), or None."""
        return self._first_id(TransformType.PRF)

    @property
    def ke_method(self) -> int | None:
        """The first key exchange method (Transform Type 4), or None."""
        return self._first_id(TransformType.KE)

    @property
    def additional_ke_methods(self) -> dict[TransformType, tuple[int, ...]]:
        """ADDKE1..ADDKE7 → the methods offered for each (RFC 9370 §2.2.1), types present only."""
        lists: dict[int, list[int]] = {}
        for t in self.transforms:  # one pass: most proposals have no ADDKE at all
            if _ADDKE_FIRST <= t.type <= _ADDKE_LAST:
                lists.setdefault(int(t.type), []).append(t.id)
        if not lists:
            return {}
        return {TransformType(k): tuple(lists[k]) for k in sorted(lists)}

    @property
    def esn(self) -> int | None:
        """The first Extended Sequence Numbers transform (Transform Type 5), or None."""
        return self._first_id(TransformType.ESN)


_ADDKE_FIRST, _ADDKE_LAST = int(TransformType.ADDKE1), int(TransformType.ADDKE7)


class _SA(NamedTuple):
    proposals: tuple[Proposal, ...]
    critical: bool = False
    header_reserved: int = 0


class SA(_Payload, _SA):
    """Security Association payload (RFC 7296 §3.3)."""

    __slots__ = ()
    type = PayloadType.SA


# --------------------------------------------------------------------------- KE


class _KE(NamedTuple):
    group: KeyExchangeMethod | int
    data: bytes
    reserved: int = 0
    critical: bool = False
    header_reserved: int = 0


class KE(_Payload, _KE):
    """Key Exchange payload (RFC 7296 §3.4): the method number and the public value."""

    __slots__ = ()
    type = PayloadType.KE


# --------------------------------------------------------------------------- ID


class _ID(NamedTuple):
    id_type: IDType | int
    data: bytes
    reserved: int = 0  # the three RESERVED octets as one 24-bit number
    critical: bool = False
    header_reserved: int = 0


class _IdentificationMixin(_Payload):
    __slots__ = ()
    id_type: IDType | int
    data: bytes

    @property
    def value(self) -> str:
        """The identity as text: an address, FQDN, e-mail address, or hex."""
        t, d = self.id_type, self.data
        if t == IDType.ID_IPV4_ADDR and len(d) == 4:
            return str(ipaddress.IPv4Address(d))
        if t == IDType.ID_IPV6_ADDR and len(d) == 16:
            return str(ipaddress.IPv6Address(d))
        if t in (IDType.ID_FQDN, IDType.ID_RFC822_ADDR):
            return d.decode("ascii", "backslashreplace")
        return d.hex()


class IDi(_IdentificationMixin, _ID):
    """Identification - Initiator payload (RFC 7296 §3.5)."""

    __slots__ = ()
    type = PayloadType.IDi


class IDr(_IdentificationMixin, _ID):
    """Identification - Responder payload (RFC 7296 §3.5)."""

    __slots__ = ()
    type = PayloadType.IDr


# --------------------------------------------------------------------------- CERT, CERTREQ, AUTH


class _Cert(NamedTuple):
    encoding: CertEncoding | int
    data: bytes
    critical: bool = False
    header_reserved: int = 0


class CERT(_Payload, _Cert):
    """Certificate payload (RFC 7296 §3.6)."""

    __slots__ = ()
    type = PayloadType.CERT


class CERTREQ(_Payload, _Cert):
    """Certificate Request payload (RFC 7296 §3.7): ``data`` is the CA key hashes."""

    __slots__ = ()
    type = PayloadType.CERTREQ


class _AUTH(NamedTuple):
    method: AuthMethod | int
    data: bytes
    reserved: int = 0
    critical: bool = False
    header_reserved: int = 0


class AUTH(_Payload, _AUTH):
    """Authentication payload (RFC 7296 §3.8)."""

    __slots__ = ()
    type = PayloadType.AUTH


# --------------------------------------------------------------------------- Nonce, Notify, Delete, V


class _Data(NamedTuple):
    data: bytes
    critical: bool = False
    header_reserved: int = 0


class Nonce(_Payload, _Data):
    """Nonce payload (RFC 7296 §3.9)."""

    __slots__ = ()
    type = PayloadType.NONCE


class VendorID(_Payload, _Data):
    """Vendor ID payload (RFC 7296 §3.12)."""

    __slots__ = ()
    type = PayloadType.VENDOR_ID


class EAP(_Payload, _Data):
    """EAP payload (RFC 7296 §3.16): ``data`` is the whole EAP message."""

    __slots__ = ()
    type = PayloadType.EAP


class _Notify(NamedTuple):
    notify_type: NotifyType | int
    data: bytes = b""
    protocol_id: ProtocolId | int = 0
    spi: bytes = b""
    critical: bool = False
    header_reserved: int = 0


class Notify(_Payload, _Notify):
    """Notify payload (RFC 7296 §3.10).

    ``data`` is the notification data as sent; the typed views of the common
    bodies are in :mod:`ikewire.wire.notify`.
    """

    __slots__ = ()
    type = PayloadType.NOTIFY

    @property
    def is_error(self) -> bool:
        """Error types are below 16384 (RFC 7296 §3.10.1)."""
        return int(self.notify_type) < 16384


class _Delete(NamedTuple):
    protocol_id: ProtocolId | int
    spi_size: int
    spis: tuple[bytes, ...] = ()
    critical: bool = False
    header_reserved: int = 0


class Delete(_Payload, _Delete):
    """Delete payload (RFC 7296 §3.11)."""

    __slots__ = ()
    type = PayloadType.DELETE


# --------------------------------------------------------------------------- TS


class _TrafficSelector(NamedTuple):
    ts_type: TSType | int
    ip_protocol: int
    start_port: int
    end_port: int
    start_address: bytes
    end_address: bytes


class TrafficSelector(_Model, _TrafficSelector):
    """An address-range traffic selector (RFC 7296 §3.13.1), IPv4 or IPv6."""

    __slots__ = ()

    @property
    def start(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return ipaddress.ip_address(self.start_address)

    @property
    def end(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return ipaddress.ip_address(self.end_address)


class _RawTrafficSelector(NamedTuple):
    ts_type: int
    second_octet: int
    data: bytes


class RawTrafficSelector(_Model, _RawTrafficSelector):
    """A traffic selector of a type without an address-range body (e.g. TS_SECLABEL,
    RFC 9478), kept as its octets after the 4-octet selector header."""

    __slots__ = ()


Selector: TypeAlias = TrafficSelector | RawTrafficSelector


class _TS(NamedTuple):
    selectors: tuple[Selector, ...]
    reserved: int = 0
    critical: bool = False
    header_reserved: int = 0


class TSi(_Payload, _TS):
    """Traffic Selector - Initiator payload (RFC 7296 §3.13)."""

    __slots__ = ()
    type = PayloadType.TSi


class TSr(_Payload, _TS):
    """Traffic Selector - Responder payload (RFC 7296 §3.13)."""

    __slots__ = ()
    type = PayloadType.TSr


# --------------------------------------------------------------------------- SK, SKF


class _SK(NamedTuple):
    next_payload: PayloadType | int
    body: bytes
    critical: bool = False
    header_reserved: int = 0


class SK(_Payload, _SK):
    """Encrypted and Authenticated payload (RFC 7296 §3.14).

    ``next_payload`` is the type of the first payload inside; ``body`` is the IV,
    ciphertext and ICV, opaque here (:mod:`ikewire.crypto` opens it). The
    associated data is everything before ``body`` in the encoded message.
    """

    __slots__ = ()
    type = PayloadType.SK


class _SKF(NamedTuple):
    next_payload: PayloadType | int
    fragment_number: int
    total_fragments: int
    body: bytes
    critical: bool = False
    header_reserved: int = 0


class SKF(_Payload, _SKF):
    """Encrypted and Authenticated Fragment payload (RFC 7383 §2.5).

    ``next_payload`` is non-zero only in fragment 1.
    """

    __slots__ = ()
    type = PayloadType.SKF


# --------------------------------------------------------------------------- CP


class _CPAttribute(NamedTuple):
    type: CPAttributeType | int
    value: bytes = b""
    reserved: int = 0  # the R bit


class CPAttribute(_Model, _CPAttribute):
    """A configuration attribute (RFC 7296 §3.15.1)."""

    __slots__ = ()


class _CP(NamedTuple):
    cfg_type: CfgType | int
    attributes: tuple[CPAttribute, ...] = ()
    reserved: int = 0
    critical: bool = False
    header_reserved: int = 0


class CP(_Payload, _CP):
    """Configuration payload (RFC 7296 §3.15)."""

    __slots__ = ()
    type = PayloadType.CP


# --------------------------------------------------------------------------- unknown


class _Unknown(NamedTuple):
    type: PayloadType | int
    data: bytes
    critical: bool = False
    header_reserved: int = 0


class UnknownPayload(_Model, _Unknown):
    """A payload ikewire does not model (RFC 7296 §2.5), kept as its body octets.

    A receiver must reject a message holding an unknown payload whose
    ``critical`` bit is set (UNSUPPORTED_CRITICAL_PAYLOAD); the codec keeps it.
    """

    __slots__ = ()


Payload: TypeAlias = (
    SA
    | KE
    | IDi
    | IDr
    | CERT
    | CERTREQ
    | AUTH
    | Nonce
    | Notify
    | Delete
    | VendorID
    | TSi
    | TSr
    | SK
    | CP
    | EAP
    | SKF
    | UnknownPayload
)


# --------------------------------------------------------------------------- message


class _Message(NamedTuple):
    spi_i: bytes
    spi_r: bytes
    exchange_type: ExchangeType | int
    flags: int
    message_id: int
    payloads: tuple[Payload, ...] = ()
    major_version: int = 2
    minor_version: int = 0


class Message(_Model, _Message):
    """An IKEv2 message: the header (RFC 7296 §3.1) and its payload chain."""

    __slots__ = ()

    @property
    def is_response(self) -> bool:
        """The R flag (RFC 7296 §3.1)."""
        return bool(self.flags & FLAG_RESPONSE)

    @property
    def is_initiator(self) -> bool:
        """The I flag: sent by the original initiator of the IKE SA (RFC 7296 §3.1)."""
        return bool(self.flags & FLAG_INITIATOR)

    @property
    def next_payload(self) -> int:
        """The header's Next Payload: the first payload's type, or 0."""
        return self.payloads[0].type if self.payloads else 0

    def get(self, payload_class: type[Payload]) -> Payload | None:
        """The first payload of a class, or None."""
        for p in self.payloads:
            if type(p) is payload_class:
                return p
        return None

    def notifies(self) -> tuple[Notify, ...]:
        """All Notify payloads, in order."""
        return tuple(p for p in self.payloads if type(p) is Notify)

    @classmethod
    def create(
        cls,
        exchange_type: ExchangeType | int,
        payloads: tuple[Payload, ...] | list[Payload] = (),
        *,
        spi_i: bytes,
        spi_r: bytes = bytes(8),
        message_id: int = 0,
        initiator: bool = True,
        response: bool = False,
    ) -> Message:
        """Build a message; the encoder computes lengths and the payload chain."""
        flags = (FLAG_INITIATOR if initiator else 0) | (FLAG_RESPONSE if response else 0)
        return cls(spi_i, spi_r, exchange_type, flags, message_id, tuple(payloads))
