"""The IKE wire format: typed models and the codec (RFC 7296 §3).

:func:`decode` and :func:`encode` are the entry points; they dispatch on the IKE
header's major version (RFC 7296 §1.5, §3.1). The models are re-exported here.
"""

from __future__ import annotations

from ..constants import NotifyType
from ..errors import DecodeError, EncodeError
from .codec import (
    GENERIC_HEADER_LENGTH,
    HEADER_LENGTH,
    Octets,
    decode_payloads,
    decode_v2,
    encode_payload_body,
    encode_payloads,
    encode_v2,
    sk_associated_data,
)
from .models import (
    AUTH,
    CERT,
    CERTREQ,
    CP,
    EAP,
    FLAG_INITIATOR,
    FLAG_RESPONSE,
    FLAG_VERSION,
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
    "AUTH",
    "CERT",
    "CERTREQ",
    "CP",
    "EAP",
    "FLAG_INITIATOR",
    "FLAG_RESPONSE",
    "FLAG_VERSION",
    "GENERIC_HEADER_LENGTH",
    "HEADER_LENGTH",
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
    "Octets",
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
    "decode",
    "decode_payloads",
    "decode_v2",
    "encode",
    "encode_payload_body",
    "encode_payloads",
    "encode_v2",
    "sk_associated_data",
]

#: The IKE major version this codec speaks (RFC 7296 §3.1).
IKEV2_MAJOR_VERSION = 2


def decode(data: Octets) -> Message:
    """Decode one IKE message, choosing the codec by the header's major version.

    The MjVer nibble is at the same place in IKEv1 (ISAKMP, RFC 2408 §3.1) and
    IKEv2 (RFC 7296 §3.1) headers. Version 2 goes to :func:`decode_v2`; any other
    raises :class:`~ikewire.DecodeError` with ``notify`` INVALID_MAJOR_VERSION
    (RFC 7296 §1.5, §2.21).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError(f"expected bytes, got {type(data).__name__}", offset=0, field="data")
    if len(data) >= HEADER_LENGTH:
        major = data[17] >> 4
        # Dispatch point: IKEv1 (major version 1) will be decoded by wire.v1 here.
        if major != IKEV2_MAJOR_VERSION:
            raise DecodeError(
                f"IKE major version {major} is not supported (only version 2)",
                offset=17,
                field="header.version",
                notify=NotifyType.INVALID_MAJOR_VERSION,
            )
    return decode_v2(bytes(data))


def encode(msg: Message) -> bytes:
    """Encode one IKE message; the inverse of :func:`decode` (RFC 7296 §3)."""
    # Dispatch point: IKEv1 message models will be encoded by wire.v1 here.
    if type(msg) is Message:
        return encode_v2(msg)
    raise EncodeError(f"not an IKE message: {type(msg).__name__}")
