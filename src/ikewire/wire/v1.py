"""IKEv1 / ISAKMP messages (RFC 2408, RFC 2407, RFC 2409, RFC 3947): models and codec.

Three parts, one format:

* **Models** — immutable named tuples in the style of :mod:`ikewire.wire.models`
  (class-aware equality, reserved fields stored so that ``encode(decode(b)) == b``,
  lengths, counts and the Next Payload chain never stored). Class names carry a
  ``V1`` prefix.
* **Construct declarations** — the reference codec and the single source of truth for
  the format (:func:`construct_decode_v1`, :func:`construct_encode_v1`). They are
  *interpreted*: every IKE datagram is untrusted and Construct's compiled parsers skip
  checks.
* **The fast codec** — :func:`decode_v1` / :func:`encode_v1`, a ``struct`` walk written
  beside the declarations and proven equal to them by Hypothesis differential tests
  (``tests/test_v1_differential.py``): both accept exactly the same byte strings and
  give equal models.

Well-formedness enforced on decode (by both codecs):

* the header is 28 octets, its major version is 1 (anything else is a
  :class:`~ikewire.DecodeError` with ``notify`` INVALID-MAJOR-VERSION, 5, RFC 2408
  §5.1) and its Length equals the datagram's length (RFC 2408 §3.1);
* a message with the Encryption bit (RFC 2408 §3.1) keeps everything after the header
  opaque, as one :class:`V1Encrypted`; :mod:`ikewire.crypto.ikev1` opens it;
* otherwise the payload chain follows Next Payload until 0 and fills the message; every
  Payload Length is at least 4 (RFC 2408 §3.2); Proposal and Transform payloads occur
  only inside an SA payload, their Next Payload is 2 / 3 while another follows and 0
  on the last (RFC 2408 §3.5, §3.6), and their lengths, SPI Size and # of Transforms
  agree with the octets present; data attributes fill their transform (RFC 2408 §3.3);
* an SA payload of the IPsec DOI whose Situation is SIT_IDENTITY_ONLY (RFC 2407 §4.2)
  holds proposals; any other DOI or situation keeps the octets after the Situation raw
  (:attr:`V1SA.situation_data`), since their layout is not the proposal list;
* NAT-OA addresses are 4 octets for ID_IPV4_ADDR and 16 for ID_IPV6_ADDR
  (RFC 3947 §5.2);
* reserved fields and unknown numbers are kept.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, NamedTuple, TypeAlias

import construct as c
from construct import this

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
    v1_vendor_id_name,
)
from ..errors import DecodeError, EncodeError
from ._construct import Located as _Located
from ._construct import as_bytes as _as_bytes
from ._construct import reason as _reason
from ._construct import run_decode as _run_decode
from ._construct import run_encode as _run_encode
from .models import _Model

__all__ = [
    "FLAG_AUTHENTICATION_ONLY",
    "FLAG_COMMIT",
    "FLAG_ENCRYPTION",
    "HEADER_LENGTH",
    "V1ID",
    "V1KE",
    "V1SA",
    "V1Attribute",
    "V1Cert",
    "V1CertRequest",
    "V1ConfigPayload",
    "V1Delete",
    "V1Encrypted",
    "V1Fragment",
    "V1Hash",
    "V1Message",
    "V1NatD",
    "V1NatDDraft",
    "V1NatOA",
    "V1NatOADraft",
    "V1Nonce",
    "V1Notification",
    "V1Payload",
    "V1Proposal",
    "V1Signature",
    "V1Transform",
    "V1UnknownPayload",
    "V1VendorID",
    "construct_decode_v1",
    "construct_decode_v1_payloads",
    "construct_encode_v1",
    "construct_encode_v1_payloads",
    "decode_v1",
    "decode_v1_payloads",
    "encode_v1",
    "encode_v1_payloads",
]

#: Octets in the ISAKMP header (RFC 2408 §3.1).
HEADER_LENGTH = 28
#: Octets in the generic payload header (RFC 2408 §3.2).
GENERIC_HEADER_LENGTH = 4

#: ISAKMP header flags (RFC 2408 §3.1).
FLAG_ENCRYPTION = 0x01
FLAG_COMMIT = 0x02
FLAG_AUTHENTICATION_ONLY = 0x04

_IKEV1_MAJOR = 1
_INVALID_MAJOR_VERSION = 5  # RFC 2408 §3.14.1 (and RFC 7296 §3.10.1: the same number)
_DOI_IPSEC = int(V1DOI.IPSEC)
_SIT_SECRECY_OR_INTEGRITY = 0x06  # RFC 2407 §4.2
_MORE_PROPOSALS = int(V1PayloadType.P)
_MORE_TRANSFORMS = int(V1PayloadType.T)
_ID_IPV4_ADDR = int(V1IDType.ID_IPV4_ADDR)
_ID_IPV6_ADDR = int(V1IDType.ID_IPV6_ADDR)
_NAT_OA_SIZES = {_ID_IPV4_ADDR: 4, _ID_IPV6_ADDR: 16}


# =========================================================================== models


class _V1Payload(_Model):
    """A payload with a fixed ISAKMP payload type (RFC 2408 §3.2)."""

    __slots__ = ()
    type: ClassVar[V1PayloadType]


class _V1Attribute(NamedTuple):
    type: int
    value: int | bytes


class V1Attribute(_Model, _V1Attribute):
    """A data attribute (RFC 2408 §3.3).

    An ``int`` value is sent in TV format (AF bit set, 16-bit value), a ``bytes`` value
    in TLV format. ``type`` is a :class:`~ikewire.constants.V1IKEAttributeType` in a
    phase-1 transform, a :class:`~ikewire.constants.V1IPsecAttributeType` in a phase-2
    transform and a :class:`~ikewire.constants.V1ConfigAttributeType` in a Mode-Config
    Attribute payload (or the plain ``int`` when unknown).
    """

    __slots__ = ()

    @property
    def int_value(self) -> int:
        """The value as an integer: variable-length values (RFC 2409 Appendix A, e.g.
        Life Duration) are big-endian."""
        value = self.value
        return value if isinstance(value, int) else int.from_bytes(value, "big")


class _V1Transform(NamedTuple):
    number: int
    transform_id: int
    attributes: tuple[V1Attribute, ...] = ()
    reserved: int = 0  # RESERVED2, 16 bits
    header_reserved: int = 0


class V1Transform(_Model, _V1Transform):
    """A Transform payload (RFC 2408 §3.6), inside a Proposal.

    ``transform_id`` is a :class:`~ikewire.constants.V1IsakmpTransformId`,
    ``V1AHTransformId``, ``V1ESPTransformId`` or ``V1IPCompTransformId`` member
    according to the proposal's protocol (RFC 2407 §4.4).
    """

    __slots__ = ()

    def get(self, attribute_type: int) -> int | bytes | None:
        """The value of the first attribute of a type, or None."""
        for attribute in self.attributes:
            if attribute.type == attribute_type:
                return attribute.value
        return None


class _V1Proposal(NamedTuple):
    number: int
    protocol_id: int
    spi: bytes
    transforms: tuple[V1Transform, ...]
    header_reserved: int = 0


class V1Proposal(_Model, _V1Proposal):
    """A Proposal payload (RFC 2408 §3.5), inside an SA payload.

    ``protocol_id`` is a :class:`~ikewire.constants.V1ProtocolId` (RFC 2407 §4.4.1).
    """

    __slots__ = ()


class _V1SA(NamedTuple):
    doi: int
    situation: int
    proposals: tuple[V1Proposal, ...] = ()
    situation_data: bytes = b""
    header_reserved: int = 0


class V1SA(_V1Payload, _V1SA):
    """Security Association payload (RFC 2408 §3.4, RFC 2407 §4.6.1).

    ``situation`` is the first four octets of the Situation (the whole of it for the
    IPsec DOI with SIT_IDENTITY_ONLY, RFC 2407 §4.2). For any other DOI, or a situation
    with SIT_SECRECY or SIT_INTEGRITY, the octets after those four (labeled-domain data
    and the proposals) are kept raw in ``situation_data`` and ``proposals`` is empty.
    """

    __slots__ = ()
    type = V1PayloadType.SA

    @property
    def has_proposals(self) -> bool:
        """Whether this DOI and situation put the proposal list right after the Situation."""
        return self.doi == _DOI_IPSEC and not self.situation & _SIT_SECRECY_OR_INTEGRITY


class _V1Data(NamedTuple):
    data: bytes
    header_reserved: int = 0


class V1KE(_V1Payload, _V1Data):
    """Key Exchange payload (RFC 2408 §3.7): the public value g^x."""

    __slots__ = ()
    type = V1PayloadType.KE


class V1Hash(_V1Payload, _V1Data):
    """Hash payload (RFC 2408 §3.11)."""

    __slots__ = ()
    type = V1PayloadType.HASH


class V1Signature(_V1Payload, _V1Data):
    """Signature payload (RFC 2408 §3.12)."""

    __slots__ = ()
    type = V1PayloadType.SIG


class V1Nonce(_V1Payload, _V1Data):
    """Nonce payload (RFC 2408 §3.13)."""

    __slots__ = ()
    type = V1PayloadType.NONCE


class V1VendorID(_V1Payload, _V1Data):
    """Vendor ID payload (RFC 2408 §3.16)."""

    __slots__ = ()
    type = V1PayloadType.VID

    @property
    def name(self) -> str | None:
        """The well-known name of this Vendor ID (RFC 3947, RFC 3706 DPD, XAUTH, ...), or None."""
        return v1_vendor_id_name(self.data)


class V1NatD(_V1Payload, _V1Data):
    """NAT Discovery payload (RFC 3947 §3.2): HASH(CKY-I | CKY-R | IP | Port)."""

    __slots__ = ()
    type: ClassVar[V1PayloadType] = V1PayloadType.NAT_D


class V1NatDDraft(V1NatD):
    """NAT-D payload under the draft number 130 (draft-ietf-ipsec-nat-t-ike-01 to -03)."""

    __slots__ = ()
    type = V1PayloadType.NAT_D_DRAFT


class _V1ID(NamedTuple):
    id_type: int
    data: bytes
    protocol_id: int = 0
    port: int = 0
    header_reserved: int = 0


class V1ID(_V1Payload, _V1ID):
    """Identification payload (RFC 2408 §3.8, RFC 2407 §4.6.2).

    ``protocol_id`` is the IP protocol and ``port`` the port (RFC 2407 §4.6.2); in
    phase 1 both are usually 0 (or UDP and 500).
    """

    __slots__ = ()
    type = V1PayloadType.ID

    @property
    def value(self) -> str:
        """The identity as text: an address, a subnet or range, an FQDN, or hex."""
        t, d = self.id_type, self.data
        try:
            if t == V1IDType.ID_IPV4_ADDR and len(d) == 4:
                return str(ipaddress.IPv4Address(d))
            if t == V1IDType.ID_IPV6_ADDR and len(d) == 16:
                return str(ipaddress.IPv6Address(d))
            if t == V1IDType.ID_IPV4_ADDR_SUBNET and len(d) == 8:
                return f"{ipaddress.IPv4Address(d[:4])}/{ipaddress.IPv4Address(d[4:])}"
            if t == V1IDType.ID_IPV6_ADDR_SUBNET and len(d) == 32:
                return f"{ipaddress.IPv6Address(d[:16])}/{ipaddress.IPv6Address(d[16:])}"
            if t == V1IDType.ID_IPV4_ADDR_RANGE and len(d) == 8:
                return f"{ipaddress.IPv4Address(d[:4])}-{ipaddress.IPv4Address(d[4:])}"
            if t == V1IDType.ID_IPV6_ADDR_RANGE and len(d) == 32:
                return f"{ipaddress.IPv6Address(d[:16])}-{ipaddress.IPv6Address(d[16:])}"
        except ValueError:  # pragma: no cover - the lengths above are checked
            return d.hex()
        if t in (V1IDType.ID_FQDN, V1IDType.ID_USER_FQDN):
            return d.decode("ascii", "backslashreplace")
        return d.hex()


class _V1Cert(NamedTuple):
    encoding: int
    data: bytes
    header_reserved: int = 0


class V1Cert(_V1Payload, _V1Cert):
    """Certificate payload (RFC 2408 §3.9)."""

    __slots__ = ()
    type = V1PayloadType.CERT


class V1CertRequest(_V1Payload, _V1Cert):
    """Certificate Request payload (RFC 2408 §3.10): ``data`` is the Certificate Authority."""

    __slots__ = ()
    type = V1PayloadType.CR


class _V1Notification(NamedTuple):
    notify_type: int
    data: bytes = b""
    protocol_id: int = 0
    spi: bytes = b""
    doi: int = _DOI_IPSEC
    header_reserved: int = 0


class V1Notification(_V1Payload, _V1Notification):
    """Notification payload (RFC 2408 §3.14, RFC 2407 §4.6.3)."""

    __slots__ = ()
    type = V1PayloadType.N

    @property
    def is_error(self) -> bool:
        """Error types are below 8192 (RFC 2408 §3.14.1)."""
        return int(self.notify_type) < 8192


class _V1Delete(NamedTuple):
    protocol_id: int
    spi_size: int
    spis: tuple[bytes, ...] = ()
    doi: int = _DOI_IPSEC
    header_reserved: int = 0


class V1Delete(_V1Payload, _V1Delete):
    """Delete payload (RFC 2408 §3.15)."""

    __slots__ = ()
    type = V1PayloadType.D


class _V1Config(NamedTuple):
    cfg_type: int
    attributes: tuple[V1Attribute, ...] = ()
    identifier: int = 0
    reserved: int = 0
    header_reserved: int = 0


class V1ConfigPayload(_V1Payload, _V1Config):
    """Attribute payload of Mode-Config and XAUTH (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2)."""

    __slots__ = ()
    type = V1PayloadType.ATTR


class _V1NatOA(NamedTuple):
    id_type: int
    address: bytes
    reserved: int = 0  # the three RESERVED octets as one 24-bit number
    header_reserved: int = 0


class V1NatOA(_V1Payload, _V1NatOA):
    """NAT Original Address payload (RFC 3947 §5.2)."""

    __slots__ = ()
    type: ClassVar[V1PayloadType] = V1PayloadType.NAT_OA

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """The original address, or None when the ID type is not an address type."""
        if int(self.id_type) in _NAT_OA_SIZES:
            return ipaddress.ip_address(self.address)
        return None


class V1NatOADraft(V1NatOA):
    """NAT-OA payload under the draft number 131 (draft-ietf-ipsec-nat-t-ike-01 to -03)."""

    __slots__ = ()
    type = V1PayloadType.NAT_OA_DRAFT


class _V1Fragment(NamedTuple):
    fragment_id: int
    fragment_number: int
    flags: int
    data: bytes
    header_reserved: int = 0


class V1Fragment(_V1Payload, _V1Fragment):
    """IKE fragmentation payload, type 132 (Cisco's format, also libreswan's).

    Fragment ID (2 octets), Fragment Number (1), Flags (1; bit 0 = last fragment), then
    the fragment's share of the original message.
    """

    __slots__ = ()
    type = V1PayloadType.FRAGMENTATION

    @property
    def is_last(self) -> bool:
        return bool(self.flags & 0x01)


class _V1Unknown(NamedTuple):
    type: int
    data: bytes
    header_reserved: int = 0


class V1UnknownPayload(_Model, _V1Unknown):
    """A payload ikewire does not model (GDOI, private use), kept as its body octets."""

    __slots__ = ()


class _V1Encrypted(NamedTuple):
    next_payload: int
    data: bytes


class V1Encrypted(_Model, _V1Encrypted):
    """The body of a message whose Encryption bit is set (RFC 2408 §3.1), still closed.

    Not a payload of its own: everything after the ISAKMP header is ciphertext, and
    ``next_payload`` (the header's Next Payload) names the first payload inside.
    :func:`ikewire.crypto.ikev1.decrypt_v1` opens it.
    """

    __slots__ = ()


V1Payload: TypeAlias = (
    V1SA
    | V1KE
    | V1ID
    | V1Cert
    | V1CertRequest
    | V1Hash
    | V1Signature
    | V1Nonce
    | V1Notification
    | V1Delete
    | V1VendorID
    | V1ConfigPayload
    | V1NatD
    | V1NatOA
    | V1Fragment
    | V1UnknownPayload
)


class _V1Message(NamedTuple):
    spi_i: bytes
    spi_r: bytes
    exchange_type: int
    flags: int
    message_id: int
    payloads: tuple[V1Payload | V1Encrypted, ...] = ()
    major_version: int = _IKEV1_MAJOR
    minor_version: int = 0


class V1Message(_Model, _V1Message):
    """An ISAKMP message (RFC 2408 §3.1): the header and its payload chain.

    ``spi_i`` and ``spi_r`` are the Initiator and Responder Cookies. When the
    Encryption bit is set, ``payloads`` is the single :class:`V1Encrypted` body.
    """

    __slots__ = ()

    @property
    def cookie_i(self) -> bytes:
        """The Initiator Cookie (RFC 2408 §3.1)."""
        return self.spi_i

    @property
    def cookie_r(self) -> bytes:
        """The Responder Cookie (RFC 2408 §3.1)."""
        return self.spi_r

    @property
    def is_encrypted(self) -> bool:
        """The E(ncryption) flag (RFC 2408 §3.1)."""
        return bool(self.flags & FLAG_ENCRYPTION)

    @property
    def is_commit(self) -> bool:
        """The C(ommit) flag (RFC 2408 §3.1)."""
        return bool(self.flags & FLAG_COMMIT)

    @property
    def is_authentication_only(self) -> bool:
        """The A(uthentication Only) flag (RFC 2408 §3.1)."""
        return bool(self.flags & FLAG_AUTHENTICATION_ONLY)

    @property
    def encrypted(self) -> V1Encrypted | None:
        """The closed body of an encrypted message, or None."""
        payloads = self.payloads
        if len(payloads) == 1 and type(payloads[0]) is V1Encrypted:
            return payloads[0]
        return None

    @property
    def next_payload(self) -> int:
        """The header's Next Payload: the first payload's type, or 0."""
        return _first_type(self.payloads)

    def get(self, payload_class: type[Any]) -> Any:
        """The first payload of a class, or None."""
        for p in self.payloads:
            if type(p) is payload_class:
                return p
        return None

    def notifications(self) -> tuple[V1Notification, ...]:
        """All Notification payloads, in order."""
        return tuple(p for p in self.payloads if type(p) is V1Notification)

    def vendor_ids(self) -> tuple[V1VendorID, ...]:
        """All Vendor ID payloads, in order."""
        return tuple(p for p in self.payloads if type(p) is V1VendorID)

    @classmethod
    def create(
        cls,
        exchange_type: int,
        payloads: Sequence[V1Payload | V1Encrypted] = (),
        *,
        spi_i: bytes,
        spi_r: bytes = bytes(8),
        message_id: int = 0,
        flags: int = 0,
    ) -> V1Message:
        """Build a message; the encoder computes lengths and the payload chain."""
        return cls(spi_i, spi_r, exchange_type, flags, message_id, tuple(payloads))


def _first_type(payloads: Sequence[Any]) -> int:
    if not payloads:
        return 0
    first = payloads[0]
    if type(first) is V1Encrypted:
        return int(first.next_payload)
    return int(first.type)


#: Payload type → model class, for the payloads with a model of their own.
PAYLOAD_CLASSES: dict[int, type[Any]] = {
    int(V1PayloadType.SA): V1SA,
    int(V1PayloadType.KE): V1KE,
    int(V1PayloadType.ID): V1ID,
    int(V1PayloadType.CERT): V1Cert,
    int(V1PayloadType.CR): V1CertRequest,
    int(V1PayloadType.HASH): V1Hash,
    int(V1PayloadType.SIG): V1Signature,
    int(V1PayloadType.NONCE): V1Nonce,
    int(V1PayloadType.N): V1Notification,
    int(V1PayloadType.D): V1Delete,
    int(V1PayloadType.VID): V1VendorID,
    int(V1PayloadType.ATTR): V1ConfigPayload,
    int(V1PayloadType.NAT_D): V1NatD,
    int(V1PayloadType.NAT_OA): V1NatOA,
    int(V1PayloadType.NAT_D_DRAFT): V1NatDDraft,
    int(V1PayloadType.NAT_OA_DRAFT): V1NatOADraft,
    int(V1PayloadType.FRAGMENTATION): V1Fragment,
}

# Types that may not start a payload in the message chain: 0 ends it, and Proposal and
# Transform payloads live only inside an SA payload (RFC 2408 §3.5, §3.6).
_NOT_IN_CHAIN = frozenset({0, int(V1PayloadType.P), int(V1PayloadType.T)})
# Types an UnknownPayload may not carry (they have a model, or may not be in a chain).
_NOT_UNKNOWN = frozenset(PAYLOAD_CLASSES) | _NOT_IN_CHAIN


def _transform_id_enum(protocol_id: int) -> Any:
    """The registry a Transform ID belongs to (RFC 2407 §4.4.2 - §4.4.5)."""
    if protocol_id == V1ProtocolId.PROTO_ISAKMP:
        return V1IsakmpTransformId
    if protocol_id == V1ProtocolId.PROTO_IPSEC_AH:
        return V1AHTransformId
    if protocol_id == V1ProtocolId.PROTO_IPSEC_ESP:
        return V1ESPTransformId
    if protocol_id == V1ProtocolId.PROTO_IPCOMP:
        return V1IPCompTransformId
    return None


def _attribute_enum(protocol_id: int) -> Any:
    """Phase-1 (RFC 2409 Appendix A) or phase-2 (RFC 2407 §4.5) attribute classes."""
    return V1IKEAttributeType if protocol_id == V1ProtocolId.PROTO_ISAKMP else V1IPsecAttributeType


def _type_name(payload_type: int) -> str:
    value = to_enum(V1PayloadType, payload_type)
    return value.name if isinstance(value, V1PayloadType) else f"payload type {payload_type}"


# =========================================================================== construct helpers


class _TotalLength(c.Adapter):  # type: ignore[misc]
    """A length field that counts its whole structure, header included (RFC 2408 §3.2).

    Parsed, it gives the number of octets after the field, so ``Prefixed`` reads
    exactly the body; a length shorter than the structure's fixed part is rejected.
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


class _Substructures(c.Subconstruct):  # type: ignore[misc]
    """Proposal or Transform payloads, each led by its Next Payload octet.

    RFC 2408 §3.5 and §3.6: the octet is ``more`` (2 for proposals, 3 for transforms)
    while another follows and 0 on the last one; the list fills its enclosing length
    exactly (an empty enclosing length is an empty list). Computed on build.
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
        # Bounded: every substructure consumes at least its Next Payload octet.
        for index in range(end - start):
            offset = c.stream_tell(stream, path)
            if offset >= end:
                break
            last = c.Int8ub._parsereport(stream, context, path)
            if last not in (0, self.more):
                raise _Located(
                    f"Next Payload is {last}, expected 0 or {self.more}",
                    offset,
                    f"{self.what}[{index}].next_payload",
                )
            context._index = index
            try:
                items.append(self.subcon._parsereport(stream, context, path))
            except _Located as exc:
                raise _Located(exc.reason, exc.offset, f"{self.what}[{index}].{exc.field}") from exc
            except c.ConstructError as exc:
                raise _Located(_reason(exc), offset, f"{self.what}[{index}]") from exc
            if last == 0:
                break
        offset = c.stream_tell(stream, path)
        if last == self.more:
            raise _Located(
                "the last substructure is marked as followed by another",
                offset,
                f"{self.what}[{len(items) - 1}].next_payload",
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


class _FuncRebuild(c.Rebuild):  # type: ignore[misc]
    """``Rebuild`` from a plain function (not compilable)."""

    def _emitbuild(self, code: Any) -> str:
        raise NotImplementedError


def _is_tv(ctx: Any) -> bool:
    """The AF bit (RFC 2408 §3.3): TV format for an integer value."""
    return isinstance(ctx._.value, int)


def _check_nat_oa(ctx: Any) -> bool:
    size = _NAT_OA_SIZES.get(ctx.id_type)
    return size is None or len(ctx.address) == size


# =========================================================================== declarations

# RFC 2408 §3.3: Data Attributes, TV (AF = 1) or TLV (AF = 0).
ATTRIBUTE = c.Struct(
    "format"
    / c.BitStruct(
        "tv" / _FuncRebuild(c.Flag, _is_tv),
        "type" / c.BitsInteger(15),
    ),
    "value" / c.IfThenElse(this.format.tv, c.Int16ub, c.Prefixed(c.Int16ub, c.GreedyBytes)),
)

# RFC 2408 §3.6: Transform payload (after its Next Payload octet).
TRANSFORM = c.Struct(
    "header_reserved" / c.Int8ub,
    "body"
    / c.Prefixed(
        _TotalLength(c.Int16ub, header=4, minimum_body=4),
        c.Struct(
            "number" / c.Int8ub,
            "transform_id" / c.Int8ub,
            "reserved" / c.Int16ub,
            "attributes" / c.GreedyRange(ATTRIBUTE),
            c.Terminated,
        ),
    ),
)

# RFC 2408 §3.5: Proposal payload (after its Next Payload octet).
PROPOSAL = c.Struct(
    "header_reserved" / c.Int8ub,
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

# RFC 2408 §3.4, RFC 2407 §4.6.1: Security Association payload body.
SA_BODY = c.Struct(
    "doi" / c.Int32ub,
    "situation" / c.Int32ub,
    "rest"
    / c.IfThenElse(
        (this.doi == _DOI_IPSEC) & ((this.situation & _SIT_SECRECY_OR_INTEGRITY) == 0),
        c.Struct("proposals" / _Substructures(PROPOSAL, _MORE_PROPOSALS, "proposals")),
        c.Struct("situation_data" / c.GreedyBytes),
    ),
)

# RFC 2408 §3.7, §3.11, §3.12, §3.13, §3.16; RFC 3947 §3.2: KE, HASH, SIG, NONCE, VID,
# NAT-D and unknown payload bodies.
DATA_BODY = c.Struct("data" / c.GreedyBytes)

# RFC 2408 §3.8, RFC 2407 §4.6.2: Identification payload body.
ID_BODY = c.Struct(
    "id_type" / c.Int8ub,
    "protocol_id" / c.Int8ub,
    "port" / c.Int16ub,
    "data" / c.GreedyBytes,
)

# RFC 2408 §3.9, §3.10: Certificate and Certificate Request payload bodies.
CERT_BODY = c.Struct("encoding" / c.Int8ub, "data" / c.GreedyBytes)

# RFC 2408 §3.14: Notification payload body.
NOTIFICATION_BODY = c.Struct(
    "doi" / c.Int32ub,
    "protocol_id" / c.Int8ub,
    "spi_size" / c.Rebuild(c.Int8ub, c.len_(this.spi)),
    "notify_type" / c.Int16ub,
    "spi" / c.Bytes(this.spi_size),
    "data" / c.GreedyBytes,
)

# RFC 2408 §3.15: Delete payload body.
DELETE_BODY = c.Struct(
    "doi" / c.Int32ub,
    "protocol_id" / c.Int8ub,
    "spi_size" / c.Int8ub,
    "num_spis" / c.Rebuild(c.Int16ub, c.len_(this.spis)),
    "spis" / c.Array(this.num_spis, c.Bytes(this.spi_size)),
    c.Terminated,
)

# draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2: Attribute payload body.
CONFIG_BODY = c.Struct(
    "cfg_type" / c.Int8ub,
    "reserved" / c.Int8ub,
    "identifier" / c.Int16ub,
    "attributes" / c.GreedyRange(ATTRIBUTE),
    c.Terminated,
)

# RFC 3947 §5.2: NAT-OA payload body.
NAT_OA_BODY = c.Struct(
    "id_type" / c.Int8ub,
    "reserved" / c.Int24ub,
    "address" / c.GreedyBytes,
    c.Check(_check_nat_oa),
)

# IKE fragmentation payload body (Cisco format).
FRAGMENT_BODY = c.Struct(
    "fragment_id" / c.Int16ub,
    "fragment_number" / c.Int8ub,
    "flags" / c.Int8ub,
    "data" / c.GreedyBytes,
)

#: Payload type → body declaration; any other type is kept raw.
BODIES: dict[int, Any] = {
    int(V1PayloadType.SA): SA_BODY,
    int(V1PayloadType.KE): DATA_BODY,
    int(V1PayloadType.ID): ID_BODY,
    int(V1PayloadType.CERT): CERT_BODY,
    int(V1PayloadType.CR): CERT_BODY,
    int(V1PayloadType.HASH): DATA_BODY,
    int(V1PayloadType.SIG): DATA_BODY,
    int(V1PayloadType.NONCE): DATA_BODY,
    int(V1PayloadType.N): NOTIFICATION_BODY,
    int(V1PayloadType.D): DELETE_BODY,
    int(V1PayloadType.VID): DATA_BODY,
    int(V1PayloadType.ATTR): CONFIG_BODY,
    int(V1PayloadType.NAT_D): DATA_BODY,
    int(V1PayloadType.NAT_OA): NAT_OA_BODY,
    int(V1PayloadType.NAT_D_DRAFT): DATA_BODY,
    int(V1PayloadType.NAT_OA_DRAFT): NAT_OA_BODY,
    int(V1PayloadType.FRAGMENTATION): FRAGMENT_BODY,
}

# RFC 2408 §3.2: a payload: the generic payload header, then the body its type selects.
# The chain passes the payload's type in as ``this._.type``.
PAYLOAD = c.Struct(
    "next_payload" / c.Int8ub,
    "header_reserved" / c.Int8ub,
    "body"
    / c.Prefixed(
        _TotalLength(c.Int16ub, header=GENERIC_HEADER_LENGTH),
        c.Switch(this._.type, BODIES, default=DATA_BODY),
    ),
)


class _PayloadChain(c.Construct):  # type: ignore[misc]
    """The payload chain (RFC 2408 §3.2), driven by Next Payload.

    Parsing starts with the type ``first_type`` evaluates to and follows each payload's
    Next Payload until 0. With ``exact`` (a message) the chain must fill its enclosing
    length; without it (the plaintext of an encrypted body, RFC 2409 Appendix B) the
    octets after the last payload are the padding, returned as ``padding``. Building
    computes every Next Payload from the following payload's type.
    """

    def __init__(self, first_type: Any, exact: bool) -> None:
        super().__init__()
        self.first_type = first_type
        self.exact = exact
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
            if current in _NOT_IN_CHAIN:
                raise _Located(
                    f"{_type_name(current)} payload outside an SA payload", offset, field
                )
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
            current = payload.next_payload
        else:  # pragma: no cover - the range bounds the chain by the octets present
            raise _Located("payload chain longer than the message", start, "payloads")
        offset = c.stream_tell(stream, path)
        if self.exact:
            if offset != end:
                raise _Located(f"{end - offset} octets after the last payload", offset, "payloads")
            return payloads
        padding = c.stream_read(stream, end - offset, path)
        return c.Container(payloads=payloads, padding=padding)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        count = len(obj)
        for index, payload in enumerate(obj):
            payload_type = int(payload.type)
            next_payload = int(obj[index + 1].type) if index + 1 < count else 0
            built = c.Container(payload, next_payload=next_payload)
            self.payload._build(built, stream, self._context(context, payload_type, index), path)
        return obj

    def _sizeof(self, context: Any, path: str) -> int:
        raise c.SizeofError("a payload chain has no fixed size", path=path)


def _is_encrypted(ctx: Any) -> bool:
    return bool(ctx.flags & FLAG_ENCRYPTION)


# RFC 2408 §3.1: the ISAKMP header, then the payload chain (or ciphertext) its Length
# delimits.
MESSAGE = c.Struct(
    "spi_i" / c.Bytes(8),
    "spi_r" / c.Bytes(8),
    "next_payload" / c.Int8ub,
    "version" / c.BitStruct("major" / c.Nibble, "minor" / c.Nibble),
    "exchange_type" / c.Int8ub,
    "flags" / c.Int8ub,
    "message_id" / c.Int32ub,
    "payloads"
    / c.Prefixed(
        _TotalLength(c.Int32ub, header=HEADER_LENGTH),
        c.IfThenElse(_is_encrypted, c.GreedyBytes, _PayloadChain(this.next_payload, exact=True)),
    ),
    c.Terminated,
)

#: A bare payload chain followed by padding: the plaintext of an encrypted body (RFC
#: 2409 Appendix B); parse it with ``first_type=`` the header's Next Payload.
PLAINTEXT_CHAIN = _PayloadChain(this.first_type, exact=False)


# =========================================================================== Container → models


def _attributes_from(items: Any, enum: Any) -> tuple[V1Attribute, ...]:
    return tuple(V1Attribute(to_enum(enum, a.format.type), a.value) for a in items)


def _proposal_from(p: Any) -> V1Proposal:
    b = p.body
    protocol = b.protocol_id
    id_enum = _transform_id_enum(protocol)
    attr_enum = _attribute_enum(protocol)
    transforms = tuple(
        V1Transform(
            t.body.number,
            to_enum(id_enum, t.body.transform_id) if id_enum is not None else t.body.transform_id,
            _attributes_from(t.body.attributes, attr_enum),
            t.body.reserved,
            t.header_reserved,
        )
        for t in b.transforms
    )
    return V1Proposal(
        b.number, to_enum(V1ProtocolId, protocol), b.spi, transforms, p.header_reserved
    )


def _payload_from(p: Any) -> V1Payload:
    t = p.type
    b = p.body
    res = p.header_reserved
    cls = PAYLOAD_CLASSES.get(t)
    if cls is V1SA:
        rest = b.rest
        if "proposals" in rest:
            proposals = tuple(_proposal_from(x) for x in rest.proposals)
            return V1SA(to_enum(V1DOI, b.doi), b.situation, proposals, b"", res)
        return V1SA(to_enum(V1DOI, b.doi), b.situation, (), rest.situation_data, res)
    if cls is V1ID:
        return V1ID(to_enum(V1IDType, b.id_type), b.data, b.protocol_id, b.port, res)
    if cls is V1Cert or cls is V1CertRequest:
        return cls(to_enum(V1CertEncoding, b.encoding), b.data, res)  # type: ignore[no-any-return]
    if cls is V1Notification:
        return V1Notification(
            to_enum(V1NotifyType, b.notify_type),
            b.data,
            to_enum(V1ProtocolId, b.protocol_id),
            b.spi,
            to_enum(V1DOI, b.doi),
            res,
        )
    if cls is V1Delete:
        return V1Delete(
            to_enum(V1ProtocolId, b.protocol_id),
            b.spi_size,
            tuple(b.spis),
            to_enum(V1DOI, b.doi),
            res,
        )
    if cls is V1ConfigPayload:
        return V1ConfigPayload(
            to_enum(V1ConfigType, b.cfg_type),
            _attributes_from(b.attributes, V1ConfigAttributeType),
            b.identifier,
            b.reserved,
            res,
        )
    if cls is V1NatOA or cls is V1NatOADraft:
        return cls(to_enum(V1IDType, b.id_type), b.address, b.reserved, res)  # type: ignore[no-any-return]
    if cls is V1Fragment:
        return V1Fragment(b.fragment_id, b.fragment_number, b.flags, b.data, res)
    if cls is not None:
        return cls(b.data, res)  # type: ignore[no-any-return]
    return V1UnknownPayload(to_enum(V1PayloadType, t), b.data, res)


def _message_from(parsed: Any) -> V1Message:
    body = parsed.payloads
    payloads: tuple[V1Payload | V1Encrypted, ...]
    if parsed.flags & FLAG_ENCRYPTION:
        payloads = (V1Encrypted(to_enum(V1PayloadType, parsed.next_payload), body),)
    else:
        payloads = tuple(_payload_from(p) for p in body)
    return V1Message(
        parsed.spi_i,
        parsed.spi_r,
        to_enum(V1ExchangeType, parsed.exchange_type),
        parsed.flags,
        parsed.message_id,
        payloads,
        parsed.version.major,
        parsed.version.minor,
    )


# =========================================================================== models → Container


def _octets(value: Any) -> Any:
    """An octet-string field, checked: Construct's ``Bytes`` would turn an ``int`` into
    octets, which the model does not mean."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise EncodeError(f"expected bytes, got {type(value).__name__}")
    return value


def _attributes_to(attributes: Sequence[V1Attribute]) -> list[Any]:
    return [c.Container(format=c.Container(type=a.type), value=a.value) for a in attributes]


def _proposal_to(p: V1Proposal) -> Any:
    if type(p) is not V1Proposal:
        raise EncodeError(f"not a V1Proposal: {type(p).__name__}")
    transforms = []
    for t in p.transforms:
        if type(t) is not V1Transform:
            raise EncodeError(f"not a V1Transform: {type(t).__name__}")
        transforms.append(
            c.Container(
                header_reserved=t.header_reserved,
                body=c.Container(
                    number=t.number,
                    transform_id=t.transform_id,
                    reserved=t.reserved,
                    attributes=_attributes_to(t.attributes),
                ),
            )
        )
    return c.Container(
        header_reserved=p.header_reserved,
        body=c.Container(
            number=p.number, protocol_id=p.protocol_id, spi=_octets(p.spi), transforms=transforms
        ),
    )


def _sa_rest(p: V1SA) -> Any:
    if p.has_proposals:
        if p.situation_data:
            raise EncodeError(
                "situation_data must be empty for the IPsec DOI with SIT_IDENTITY_ONLY: "
                "the proposals follow the Situation (RFC 2407 §4.6.1)"
            )
        return c.Container(proposals=[_proposal_to(x) for x in p.proposals])
    if p.proposals:
        raise EncodeError(
            "proposals are modelled only for the IPsec DOI with SIT_IDENTITY_ONLY; "
            "put this SA's octets after the Situation in situation_data"
        )
    return c.Container(situation_data=_octets(p.situation_data))


def _body_to(p: Any) -> Any:
    """The Container a payload's body declaration builds from."""
    cls = type(p)
    if cls is V1SA:
        return c.Container(doi=p.doi, situation=p.situation, rest=_sa_rest(p))
    if cls is V1ID:
        return c.Container(
            id_type=p.id_type, protocol_id=p.protocol_id, port=p.port, data=_octets(p.data)
        )
    if cls is V1Cert or cls is V1CertRequest:
        return c.Container(encoding=p.encoding, data=_octets(p.data))
    if cls is V1Notification:
        return c.Container(
            doi=p.doi,
            protocol_id=p.protocol_id,
            notify_type=p.notify_type,
            spi=_octets(p.spi),
            data=_octets(p.data),
        )
    if cls is V1Delete:
        return c.Container(
            doi=p.doi,
            protocol_id=p.protocol_id,
            spi_size=p.spi_size,
            spis=[_octets(s) for s in p.spis],
        )
    if cls is V1ConfigPayload:
        return c.Container(
            cfg_type=p.cfg_type,
            reserved=p.reserved,
            identifier=p.identifier,
            attributes=_attributes_to(p.attributes),
        )
    if cls is V1NatOA or cls is V1NatOADraft:
        return c.Container(id_type=p.id_type, reserved=p.reserved, address=_octets(p.address))
    if cls is V1Fragment:
        return c.Container(
            fragment_id=p.fragment_id,
            fragment_number=p.fragment_number,
            flags=p.flags,
            data=_octets(p.data),
        )
    if cls in (V1KE, V1Hash, V1Signature, V1Nonce, V1VendorID, V1NatD, V1NatDDraft):
        return c.Container(data=_octets(p.data))
    if cls is V1UnknownPayload:
        _check_unknown_type(p)
        return c.Container(data=_octets(p.data))
    raise EncodeError(f"not an IKEv1 payload model: {cls.__name__}")


def _check_unknown_type(p: V1UnknownPayload) -> None:
    if int(p.type) in _NOT_UNKNOWN:
        raise EncodeError(
            f"V1UnknownPayload may not use payload type {int(p.type)}: it is 0, a Proposal "
            "or Transform, or has a model of its own"
        )


def _payloads_to(payloads: Sequence[Any]) -> list[Any]:
    out = []
    for p in payloads:
        if type(p) is V1Encrypted:
            raise EncodeError("a V1Encrypted body may only stand alone in an encrypted message")
        out.append(c.Container(type=p.type, header_reserved=p.header_reserved, body=_body_to(p)))
    return out


def _message_to(msg: V1Message) -> Any:
    if type(msg) is not V1Message:
        raise EncodeError(f"not a V1Message: {type(msg).__name__}")
    if msg.flags & FLAG_ENCRYPTION:
        encrypted = msg.encrypted
        if encrypted is None:
            raise EncodeError(
                "the Encryption flag is set: payloads must be one V1Encrypted body "
                "(encrypt the payloads first)"
            )
        body: Any = _octets(encrypted.data)
        next_payload = encrypted.next_payload
    else:
        body = _payloads_to(msg.payloads)
        next_payload = _first_type(msg.payloads)
    return c.Container(
        spi_i=_octets(msg.spi_i),
        spi_r=_octets(msg.spi_r),
        next_payload=next_payload,
        version=c.Container(major=msg.major_version, minor=msg.minor_version),
        exchange_type=msg.exchange_type,
        flags=msg.flags,
        message_id=msg.message_id,
        payloads=body,
    )


# =========================================================================== construct entry points


def _check_header(raw: bytes) -> None:
    """The checks both codecs make before the body (RFC 2408 §3.1, §5.1)."""
    if len(raw) < HEADER_LENGTH:
        raise DecodeError(
            f"{len(raw)} octets, shorter than the ISAKMP header", offset=0, field="header"
        )
    major = raw[17] >> 4
    if major != _IKEV1_MAJOR:
        raise DecodeError(
            f"major version {major}, not 1 (IKEv1)",
            offset=17,
            field="header.version",
            notify=_INVALID_MAJOR_VERSION,
        )


def construct_decode_v1(data: bytes) -> V1Message:
    """Decode an ISAKMP message with the Construct declarations (RFC 2408 §3).

    The reference decoder: slow, and exactly as strict as :func:`decode_v1`. Any byte
    string gives a :class:`V1Message` or a :class:`~ikewire.DecodeError` naming the
    offset and field.
    """
    raw = _as_bytes(data)
    _check_header(raw)
    result: V1Message = _run_decode(lambda: _message_from(MESSAGE.parse(raw)))
    return result


def construct_encode_v1(msg: V1Message) -> bytes:
    """Encode a message with the Construct declarations (RFC 2408 §3)."""
    return _run_encode(lambda: MESSAGE.build(_message_to(msg)))


def construct_decode_v1_payloads(
    first_type: int, data: bytes
) -> tuple[tuple[V1Payload, ...], bytes]:
    """Decode the plaintext of an encrypted body: a payload chain, then padding.

    ``first_type`` is the header's Next Payload (RFC 2408 §3.1); the chain ends at Next
    Payload 0 and the octets after it are returned as the padding (RFC 2409 Appendix B).
    Offsets in errors count from the start of ``data``.
    """
    raw = _as_bytes(data)

    def run() -> tuple[tuple[V1Payload, ...], bytes]:
        parsed = PLAINTEXT_CHAIN.parse(raw, first_type=int(first_type))
        return tuple(_payload_from(p) for p in parsed.payloads), bytes(parsed.padding)

    result: tuple[tuple[V1Payload, ...], bytes] = _run_decode(run)
    return result


def construct_encode_v1_payloads(payloads: Sequence[V1Payload], padding: bytes = b"") -> bytes:
    """Encode a bare payload chain (RFC 2408 §3.2) followed by ``padding``."""
    return _run_encode(lambda: PLAINTEXT_CHAIN.build(_payloads_to(payloads), first_type=0)) + bytes(
        padding
    )


# =========================================================================== fast codec

_HEADER = struct.Struct(">BBBBII")  # next payload, version, exchange, flags, M-ID, length
_GENERIC = struct.Struct(">BBH")  # next payload, reserved, payload length
_U32 = struct.Struct(">I")
_SA_FIXED = struct.Struct(">II")
_ID_FIXED = struct.Struct(">BBH")
_NOTIFY_FIXED = struct.Struct(">IBBH")
_DELETE_FIXED = struct.Struct(">IBBH")
_CONFIG_FIXED = struct.Struct(">BBH")
_FRAGMENT_FIXED = struct.Struct(">HBB")


class _Err(Exception):
    """Internal: a decode failure at an absolute offset, turned into DecodeError."""

    def __init__(self, reason: str, offset: int, field: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset
        self.field = field


_new = tuple.__new__
_HH = struct.Struct(">HH")


def _lookup(enum: Any) -> Callable[[int, int], Any]:
    """``to_enum`` as a bound ``dict.get``: call it as ``lookup(value, value)``."""
    get: Callable[[int, int], Any] = enum._value2member_map_.get
    return get


#: Most TV attributes kept per attribute registry (see :func:`_attributes_fast`).
_TV_CACHE_SIZE = 2048


def _attributes_fast(
    buf: bytes,
    pos: int,
    end: int,
    lookup: Callable[[int, int], Any],
    cache: dict[int, V1Attribute],
    where: tuple[int, int, int | None, int | None],
) -> tuple[V1Attribute, ...]:
    """Data attributes filling ``buf[pos:end]`` (RFC 2408 §3.3); ``where`` locates them:
    (chain index, payload type, proposal index, transform index), the last two None in
    a Mode-Config Attribute payload.

    TV attributes are interned in ``cache`` (by their four octets, at most
    ``_TV_CACHE_SIZE`` of them per registry): the models are immutable, and peers send
    the same few attributes over and over.
    """
    out: list[V1Attribute] = []
    append = out.append
    unpack = _U32.unpack_from
    get = cache.get
    limit = end - 4
    # Bounded: every attribute consumes at least four octets.
    while pos <= limit:
        (word,) = unpack(buf, pos)
        if word & 0x80000000:
            attribute = get(word)
            if attribute is None:
                kind = (word >> 16) & 0x7FFF
                attribute = _new(V1Attribute, (lookup(kind, kind), word & 0xFFFF))
                if len(cache) < _TV_CACHE_SIZE:
                    cache[word] = attribute
            append(attribute)
            pos += 4
        else:
            stop = pos + 4 + (word & 0xFFFF)
            if stop > end:
                raise _Err(
                    f"attribute length {word & 0xFFFF} runs past its structure",
                    pos + 2,
                    f"{_attributes_field(*where)}[{len(out)}].length",
                )
            kind = word >> 16
            append(_new(V1Attribute, (lookup(kind, kind), buf[pos + 4 : stop])))
            pos = stop
    if pos != end:
        raise _Err("truncated data attribute", pos, f"{_attributes_field(*where)}[{len(out)}]")
    return tuple(out)


_TRANSFORM_HEAD = struct.Struct(">BBHBBH")  # Next Payload, RESERVED, length, #, ID, RESERVED2
_PROPOSAL_HEAD = struct.Struct(">BBHBBBB")  # Next Payload, RESERVED, length, #, proto, SPI size, #T


def _sub_field(index: int, t: int, p_index: int, t_index: int | None = None) -> str:
    """The field name of a proposal (or of a transform in it) of chain payload ``index``."""
    field = f"{_payload_field(index, t)}.proposals[{p_index}]"
    return field if t_index is None else f"{field}.transforms[{t_index}]"


def _attributes_field(index: int, t: int, p_index: int | None, t_index: int | None) -> str:
    if p_index is None:
        return f"{_payload_field(index, t)}.attributes"
    return f"{_sub_field(index, t, p_index, t_index)}.attributes"


def _check_substructure(
    marker: int, more: int, length: int, pos: int, end: int, field: str
) -> None:
    """The checks of a Proposal or Transform header (RFC 2408 §3.5, §3.6), on failure."""
    if marker != 0 and marker != more:
        raise _Err(f"Next Payload is {marker}, expected 0 or {more}", pos, f"{field}.next_payload")
    if length < 8:
        raise _Err(f"length {length} is shorter than the minimum 8", pos + 2, field)
    raise _Err(f"length {length} runs past its enclosing structure", pos + 2, field)


def _transforms_fast(
    buf: bytes, pos: int, end: int, protocol: int, index: int, t: int, p_index: int
) -> tuple[V1Transform, ...]:
    out: list[V1Transform] = []
    append = out.append
    id_lookup, attr_lookup, cache = _PROTOCOL_LOOKUPS.get(protocol, _OTHER_PROTOCOL_LOOKUPS)
    unpack = _TRANSFORM_HEAD.unpack_from
    marker = 0
    while pos < end:
        if pos + 8 > end:
            raise _Err("truncated transform", pos, _sub_field(index, t, p_index, len(out)))
        marker, reserved, length, number, tid, reserved2 = unpack(buf, pos)
        stop = pos + length
        if (marker and marker != _MORE_TRANSFORMS) or length < 8 or stop > end:
            field = _sub_field(index, t, p_index, len(out))
            _check_substructure(marker, _MORE_TRANSFORMS, length, pos, end, field)
        if stop == pos + 8:
            attributes: tuple[V1Attribute, ...] = ()
        else:
            attributes = _attributes_fast(
                buf, pos + 8, stop, attr_lookup, cache, (index, t, p_index, len(out))
            )
        append(
            _new(
                V1Transform,
                (
                    number,
                    id_lookup(tid, tid) if id_lookup is not None else tid,
                    attributes,
                    reserved2,
                    reserved,
                ),
            )
        )
        pos = stop
        if marker == 0:
            break
    if marker == _MORE_TRANSFORMS:
        raise _Err(
            "the last substructure is marked as followed by another",
            pos,
            f"{_sub_field(index, t, p_index, len(out) - 1)}.next_payload",
        )
    if pos != end:
        raise _Err(
            f"{end - pos} octets after the last substructure",
            pos,
            f"{_sub_field(index, t, p_index)}.transforms",
        )
    return tuple(out)


def _proposals_fast(buf: bytes, pos: int, end: int, index: int, t: int) -> tuple[V1Proposal, ...]:
    out: list[V1Proposal] = []
    protocol_lookup = _PROTOCOL_LOOKUP
    unpack = _PROPOSAL_HEAD.unpack_from
    marker = 0
    while pos < end:
        n = len(out)
        if pos + 8 > end:
            raise _Err("truncated proposal", pos, _sub_field(index, t, n))
        marker, reserved, length, number, protocol, spi_size, count = unpack(buf, pos)
        stop = pos + length
        if (marker and marker != _MORE_PROPOSALS) or length < 8 or stop > end:
            _check_substructure(marker, _MORE_PROPOSALS, length, pos, end, _sub_field(index, t, n))
        spi_end = pos + 8 + spi_size
        if spi_end > stop:
            raise _Err(
                f"SPI Size {spi_size} runs past the proposal", pos + 6, _sub_field(index, t, n)
            )
        transforms = _transforms_fast(buf, spi_end, stop, protocol, index, t, n)
        if len(transforms) != count:
            raise _Err(
                f"# of Transforms is {count} but {len(transforms)} are present",
                pos + 7,
                _sub_field(index, t, n),
            )
        out.append(
            _new(
                V1Proposal,
                (
                    number,
                    protocol_lookup(protocol, protocol),
                    buf[pos + 8 : spi_end],
                    transforms,
                    reserved,
                ),
            )
        )
        pos = stop
        if marker == 0:
            break
    if marker == _MORE_PROPOSALS:
        raise _Err(
            "the last substructure is marked as followed by another",
            pos,
            f"{_sub_field(index, t, len(out) - 1)}.next_payload",
        )
    if pos != end:
        raise _Err(
            f"{end - pos} octets after the last substructure",
            pos,
            f"{_payload_field(index, t)}.proposals",
        )
    return tuple(out)


def _need(pos: int, end: int, size: int, index: int, t: int) -> None:
    if end - pos < size:
        raise _Err(
            f"body of {end - pos} octets, shorter than its fixed part {size}",
            pos,
            _payload_field(index, t),
        )


_PROTOCOL_LOOKUP = _lookup(V1ProtocolId)
# Protocol ID → (Transform ID lookup, attribute type lookup) (RFC 2407 §4.4, §4.5).
_IKE_TV: dict[int, V1Attribute] = {}
_IPSEC_TV: dict[int, V1Attribute] = {}
_CONFIG_TV: dict[int, V1Attribute] = {}
_Lookups: TypeAlias = tuple[
    Callable[[int, int], Any] | None, Callable[[int, int], Any], dict[int, V1Attribute]
]
_PROTOCOL_LOOKUPS: dict[int, _Lookups] = {
    int(p): (
        _lookup(_transform_id_enum(int(p))) if _transform_id_enum(int(p)) is not None else None,
        _lookup(_attribute_enum(int(p))),
        _IKE_TV if p == V1ProtocolId.PROTO_ISAKMP else _IPSEC_TV,
    )
    for p in V1ProtocolId
}
_OTHER_PROTOCOL_LOOKUPS: _Lookups = (None, _lookup(V1IPsecAttributeType), _IPSEC_TV)
_CONFIG_LOOKUP = _lookup(V1ConfigAttributeType)

_DATA_CLASSES = frozenset({V1KE, V1Hash, V1Signature, V1Nonce, V1VendorID, V1NatD, V1NatDDraft})
_doi_lookup = _lookup(V1DOI)


def _payload_fast(t: int, buf: bytes, pos: int, end: int, res: int, index: int) -> V1Payload:
    """One payload body (``buf[pos:end]``) of type ``t`` (RFC 2408 §3.4 - §3.16); ``index``
    is its place in the chain, for error messages."""
    cls = PAYLOAD_CLASSES.get(t)
    if cls in _DATA_CLASSES:
        return _new(cls, (buf[pos:end], res))  # type: ignore[no-any-return]
    if cls is V1SA:
        _need(pos, end, 8, index, t)
        doi, situation = _SA_FIXED.unpack_from(buf, pos)
        if doi == _DOI_IPSEC and not situation & _SIT_SECRECY_OR_INTEGRITY:
            proposals = _proposals_fast(buf, pos + 8, end, index, t)
            return _new(V1SA, (_doi_lookup(doi, doi), situation, proposals, b"", res))
        return V1SA(to_enum(V1DOI, doi), situation, (), buf[pos + 8 : end], res)
    if cls is V1ID:
        _need(pos, end, 4, index, t)
        id_type, protocol, port = _ID_FIXED.unpack_from(buf, pos)
        return V1ID(to_enum(V1IDType, id_type), buf[pos + 4 : end], protocol, port, res)
    if cls is V1Cert or cls is V1CertRequest:
        _need(pos, end, 1, index, t)
        return cls(to_enum(V1CertEncoding, buf[pos]), buf[pos + 1 : end], res)  # type: ignore[no-any-return]
    if cls is V1Notification:
        _need(pos, end, 8, index, t)
        doi, protocol, spi_size, notify_type = _NOTIFY_FIXED.unpack_from(buf, pos)
        spi_end = pos + 8 + spi_size
        if spi_end > end:
            raise _Err(
                f"SPI Size {spi_size} runs past the payload", pos + 5, _payload_field(index, t)
            )
        return V1Notification(
            to_enum(V1NotifyType, notify_type),
            buf[spi_end:end],
            to_enum(V1ProtocolId, protocol),
            buf[pos + 8 : spi_end],
            to_enum(V1DOI, doi),
            res,
        )
    if cls is V1Delete:
        _need(pos, end, 8, index, t)
        doi, protocol, spi_size, count = _DELETE_FIXED.unpack_from(buf, pos)
        start = pos + 8
        if end - start != spi_size * count:
            raise _Err(
                f"{count} SPIs of {spi_size} octets do not fill the {end - start} octets left",
                start,
                _payload_field(index, t),
            )
        spis = tuple(buf[start + i * spi_size : start + (i + 1) * spi_size] for i in range(count))
        return V1Delete(to_enum(V1ProtocolId, protocol), spi_size, spis, to_enum(V1DOI, doi), res)
    if cls is V1ConfigPayload:
        _need(pos, end, 4, index, t)
        cfg_type, reserved, identifier = _CONFIG_FIXED.unpack_from(buf, pos)
        attributes = _attributes_fast(
            buf,
            pos + 4,
            end,
            _CONFIG_LOOKUP,
            _CONFIG_TV,
            (index, t, None, None),
        )
        return V1ConfigPayload(
            to_enum(V1ConfigType, cfg_type), attributes, identifier, reserved, res
        )
    if cls is V1NatOA or cls is V1NatOADraft:
        _need(pos, end, 4, index, t)
        (word,) = _U32.unpack_from(buf, pos)
        id_type = word >> 24
        size = _NAT_OA_SIZES.get(id_type)
        if size is not None and end - pos - 4 != size:
            raise _Err(
                f"address of {end - pos - 4} octets for ID type {id_type}",
                pos + 4,
                _payload_field(index, t),
            )
        return cls(to_enum(V1IDType, id_type), buf[pos + 4 : end], word & 0xFFFFFF, res)  # type: ignore[no-any-return]
    if cls is V1Fragment:
        _need(pos, end, 4, index, t)
        fragment_id, number, flags = _FRAGMENT_FIXED.unpack_from(buf, pos)
        return V1Fragment(fragment_id, number, flags, buf[pos + 4 : end], res)
    if cls is not None:
        return cls(buf[pos:end], res)  # type: ignore[no-any-return]
    return V1UnknownPayload(to_enum(V1PayloadType, t), buf[pos:end], res)


def _payload_field(index: int, payload_type: int) -> str:
    return f"payloads[{index}] ({_type_name(payload_type)})"


def _chain_fast(
    buf: bytes, pos: int, end: int, current: int, exact: bool
) -> tuple[tuple[V1Payload, ...], int]:
    """The payload chain in ``buf[pos:end]`` (RFC 2408 §3.2); returns it and where it ended."""
    out: list[V1Payload] = []
    unpack = _GENERIC.unpack_from
    append = out.append
    get = PAYLOAD_CLASSES.get
    data_classes = _DATA_CLASSES
    # Bounded: every payload consumes at least its 4-octet generic header.
    for index in range((end - pos) // GENERIC_HEADER_LENGTH + 1):
        if current == 0:
            break
        cls = get(current)
        if cls is None and current in _NOT_IN_CHAIN:
            raise _Err(
                f"{_type_name(current)} payload outside an SA payload",
                pos,
                _payload_field(index, current),
            )
        if pos + 4 > end:
            reason = (
                f"Next Payload is {current} but the message ends"
                if pos >= end
                else "truncated generic payload header"
            )
            raise _Err(reason, pos, _payload_field(index, current))
        nxt, res, length = unpack(buf, pos)
        stop = pos + length
        if length < 4 or stop > end:
            reason = (
                f"length {length} is shorter than the minimum 4"
                if length < 4
                else f"Payload Length {length} runs past the message"
            )
            raise _Err(reason, pos + 2, _payload_field(index, current))
        if cls in data_classes:
            append(_new(cls, (buf[pos + 4 : stop], res)))
        else:
            append(_payload_fast(current, buf, pos + 4, stop, res, index))
        pos = stop
        current = nxt
    if exact and pos != end:
        raise _Err(f"{end - pos} octets after the last payload", pos, "payloads")
    return tuple(out), pos


def decode_v1(data: bytes) -> V1Message:
    """Decode an ISAKMP message (RFC 2408 §3.1).

    Total: any byte string gives a :class:`V1Message` or a :class:`~ikewire.DecodeError`
    naming the offset and field (``notify`` 5, INVALID-MAJOR-VERSION, when the major
    version is not 1). A message with the Encryption bit keeps its body closed, as one
    :class:`V1Encrypted`.
    """
    raw = data if type(data) is bytes else _as_bytes(data)
    size = len(raw)
    if size < HEADER_LENGTH or raw[17] >> 4 != _IKEV1_MAJOR:
        _check_header(raw)  # raises the DecodeError
    next_payload, version, exchange, flags, message_id, length = _HEADER.unpack_from(raw, 16)
    if length != size:
        if length < HEADER_LENGTH:
            raise DecodeError(
                f"length {length} is shorter than the minimum 28", offset=24, field="header.length"
            )
        if length > size:
            raise DecodeError(
                f"Length {length} but only {size} octets", offset=24, field="header.length"
            )
        raise DecodeError("octets after the message Length", offset=24, field="header.length")
    payloads: tuple[V1Payload | V1Encrypted, ...]
    if flags & FLAG_ENCRYPTION:
        payloads = (_new(V1Encrypted, (_PAYLOAD_LOOKUP(next_payload, next_payload), raw[28:])),)
    else:
        try:
            payloads = _chain_fast(raw, HEADER_LENGTH, size, next_payload, True)[0]
        except _Err as exc:
            raise DecodeError(exc.reason, offset=exc.offset, field=exc.field) from None
    return _new(
        V1Message,
        (
            raw[:8],
            raw[8:16],
            _EXCHANGE_LOOKUP(exchange, exchange),
            flags,
            message_id,
            payloads,
            version >> 4,
            version & 0x0F,
        ),
    )


_PAYLOAD_LOOKUP = _lookup(V1PayloadType)
_EXCHANGE_LOOKUP = _lookup(V1ExchangeType)


def decode_v1_payloads(first_type: int, data: bytes) -> tuple[tuple[V1Payload, ...], bytes]:
    """Decode the plaintext of an encrypted body: the payload chain and the padding after it.

    ``first_type`` is the header's Next Payload; the chain ends at Next Payload 0 and the
    octets after it are the padding (RFC 2409 Appendix B). Offsets count from the start
    of ``data``. Equal to :func:`construct_decode_v1_payloads`.
    """
    raw = _as_bytes(data)
    try:
        payloads, end = _chain_fast(raw, 0, len(raw), int(first_type), False)
    except _Err as exc:
        raise DecodeError(exc.reason, offset=exc.offset, field=exc.field) from None
    return payloads, raw[end:]


# --------------------------------------------------------------------------- fast encode

_pack_generic = _GENERIC.pack
_BYTES_LIKE = (bytes, bytearray, memoryview)


def _b(value: Any) -> bytes:
    """An octet-string field's value; anything but bytes is an EncodeError (as in Construct)."""
    if not isinstance(value, _BYTES_LIKE):
        raise EncodeError(f"expected bytes, got {type(value).__name__}")
    return bytes(value)


_pack_hh = _HH.pack


def _attributes_out(attributes: Sequence[V1Attribute], out: list[bytes]) -> None:
    append = out.append
    for a in attributes:
        if type(a) is not V1Attribute:
            raise EncodeError(f"not a V1Attribute: {type(a).__name__}")
        atype, value = a
        if atype >> 15:  # negative or wider than 15 bits
            raise EncodeError(f"attribute type {int(atype)} does not fit in 15 bits")
        if isinstance(value, int):
            append(_pack_hh(0x8000 | atype, value))
        else:
            if type(value) is not bytes:
                value = _b(value)
            append(_pack_hh(atype, len(value)))
            append(value)


def _proposal_out(p: V1Proposal, marker: int, out: list[bytes]) -> None:
    if type(p) is not V1Proposal:
        raise EncodeError(f"not a V1Proposal: {type(p).__name__}")
    transforms = p.transforms
    parts: list[bytes] = []
    last = len(transforms) - 1
    pack = _TRANSFORM_HEAD.pack
    for index, t in enumerate(transforms):
        if type(t) is not V1Transform:
            raise EncodeError(f"not a V1Transform: {type(t).__name__}")
        number, transform_id, attributes, reserved2, header_reserved = t
        if attributes:
            body: list[bytes] = []
            _attributes_out(attributes, body)
            joined = b"".join(body)
        else:
            joined = b""
        parts.append(
            pack(
                _MORE_TRANSFORMS if index < last else 0,
                header_reserved,
                8 + len(joined),
                number,
                transform_id,
                reserved2,
            )
        )
        parts.append(joined)
    spi = p.spi
    if type(spi) is not bytes:
        spi = _b(spi)
    inner = b"".join(parts)
    out.append(
        _PROPOSAL_HEAD.pack(
            marker,
            p.header_reserved,
            8 + len(spi) + len(inner),
            p.number,
            p.protocol_id,
            len(spi),
            len(transforms),
        )
    )
    out.append(spi)
    out.append(inner)


def _body_out(p: Any) -> bytes:
    cls = type(p)
    if cls in _DATA_CLASSES:
        data = p.data
        return data if type(data) is bytes else _b(data)
    if cls is V1SA:
        fixed = _SA_FIXED.pack(p.doi, p.situation)
        if p.doi == _DOI_IPSEC and not p.situation & _SIT_SECRECY_OR_INTEGRITY:
            if p.situation_data:
                _sa_rest(p)  # raises the EncodeError
            out = [fixed]
            proposals = p.proposals
            count = len(proposals)
            for index, proposal in enumerate(proposals):
                _proposal_out(proposal, _MORE_PROPOSALS if index < count - 1 else 0, out)
            return b"".join(out)
        if p.proposals:
            _sa_rest(p)  # raises the EncodeError
        return fixed + _b(p.situation_data)
    if cls is V1ID:
        return _ID_FIXED.pack(p.id_type, p.protocol_id, p.port) + _b(p.data)
    if cls is V1Cert or cls is V1CertRequest:
        return bytes((p.encoding,)) + _b(p.data)
    if cls is V1Notification:
        spi = _b(p.spi)
        fixed = _NOTIFY_FIXED.pack(p.doi, p.protocol_id, len(spi), p.notify_type)
        return fixed + spi + _b(p.data)
    if cls is V1Delete:
        size = p.spi_size
        spis = [_b(s) for s in p.spis]
        for spi in spis:
            if len(spi) != size:
                raise EncodeError(f"SPI of {len(spi)} octets in a Delete of SPI Size {size}")
        return _DELETE_FIXED.pack(p.doi, p.protocol_id, size, len(spis)) + b"".join(spis)
    if cls is V1ConfigPayload:
        out = [_CONFIG_FIXED.pack(p.cfg_type, p.reserved, p.identifier)]
        _attributes_out(p.attributes, out)
        return b"".join(out)
    if cls is V1NatOA or cls is V1NatOADraft:
        address = _b(p.address)
        size = _NAT_OA_SIZES.get(p.id_type)
        if size is not None and len(address) != size:
            raise EncodeError(f"address of {len(address)} octets for ID type {int(p.id_type)}")
        if not 0 <= p.id_type <= 0xFF or not 0 <= p.reserved <= 0xFFFFFF:
            raise EncodeError("NAT-OA ID type or RESERVED out of range")
        return _U32.pack((p.id_type << 24) | p.reserved) + address
    if cls is V1Fragment:
        return _FRAGMENT_FIXED.pack(p.fragment_id, p.fragment_number, p.flags) + _b(p.data)
    if cls is V1UnknownPayload:
        _check_unknown_type(p)
        return _b(p.data)
    raise EncodeError(f"not an IKEv1 payload model: {cls.__name__}")


def _chain_out(payloads: Sequence[Any], out: list[bytes]) -> None:
    append = out.append
    for index, p in enumerate(payloads):
        cls = type(p)
        if cls is V1Encrypted:
            raise EncodeError("a V1Encrypted body may only stand alone in an encrypted message")
        if cls in _DATA_CLASSES:
            body = p.data
            if type(body) is not bytes:
                body = _b(body)
        else:
            body = _body_out(p)
        next_type = payloads[index + 1].type if index + 1 < len(payloads) else 0
        append(_pack_generic(next_type, p.header_reserved, 4 + len(body)))
        append(body)


_ENCODE_FAILURES = (struct.error, TypeError, ValueError, AttributeError, OverflowError)


def _check_version(msg: V1Message) -> None:
    if not (0 <= msg.major_version <= 15 and 0 <= msg.minor_version <= 15):
        raise EncodeError("version numbers are 4-bit (RFC 2408 §3.1)")


def encode_v1(msg: V1Message) -> bytes:
    """Encode an ISAKMP message (RFC 2408 §3.1); equal to :func:`construct_encode_v1`.

    Lengths, SPI Sizes, counts and the Next Payload chain are computed; a value out of
    its field's range raises :class:`~ikewire.EncodeError`. With the Encryption flag
    set, ``payloads`` must be the single :class:`V1Encrypted` body.
    """
    if type(msg) is not V1Message:
        raise EncodeError(f"not a V1Message: {type(msg).__name__}")
    try:
        _check_version(msg)
        spi_i = _b(msg.spi_i)
        spi_r = _b(msg.spi_r)
        if len(spi_i) != 8 or len(spi_r) != 8:
            raise EncodeError("the cookies are 8 octets (RFC 2408 §3.1)")
        if msg.flags & FLAG_ENCRYPTION:
            encrypted = msg.encrypted
            if encrypted is None:
                raise EncodeError(
                    "the Encryption flag is set: payloads must be one V1Encrypted body "
                    "(encrypt the payloads first)"
                )
            body = _b(encrypted.data)
            next_payload = encrypted.next_payload
        else:
            out: list[bytes] = []
            _chain_out(msg.payloads, out)
            body = b"".join(out)
            next_payload = _first_type(msg.payloads)
        header = _HEADER.pack(
            next_payload,
            (msg.major_version << 4) | msg.minor_version,
            msg.exchange_type,
            msg.flags,
            msg.message_id,
            HEADER_LENGTH + len(body),
        )
    except _ENCODE_FAILURES as exc:
        raise EncodeError(str(exc)) from exc
    return spi_i + spi_r + header + body


def encode_v1_payloads(payloads: Sequence[V1Payload], padding: bytes = b"") -> bytes:
    """Encode a bare payload chain (RFC 2408 §3.2) followed by ``padding``: the plaintext
    of an encrypted body. Equal to :func:`construct_encode_v1_payloads`."""
    out: list[bytes] = []
    try:
        _chain_out(payloads, out)
        out.append(_b(padding))
    except _ENCODE_FAILURES as exc:
        raise EncodeError(str(exc)) from exc
    return b"".join(out)
