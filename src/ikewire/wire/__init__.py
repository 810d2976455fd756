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
from .framing import (
    IKETCP_PREFIX,
    NAT_KEEPALIVE,
    NON_ESP_MARKER,
    Classified,
    IKETCPStream,
    Kind,
    classify_4500,
    frame_4500,
    frame_tcp,
    unframe_4500,
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
from .v1 import V1Message, decode_v1, encode_v1

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
    "IKETCP_PREFIX",
    "KE",
    "NAT_KEEPALIVE",
    "NON_ESP_MARKER",
    "SA",
    "SK",
    "SKF",
    "CPAttribute",
    "Classified",
    "Delete",
    "IDi",
    "IDr",
    "IKETCPStream",
    "Kind",
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
    "V1Message",
    "VendorID",
    "classify_4500",
    "decode",
    "decode_payloads",
    "decode_v1",
    "decode_v2",
    "encode",
    "encode_payload_body",
    "encode_payloads",
    "encode_v1",
    "encode_v2",
    "frame_4500",
    "frame_tcp",
    "sk_associated_data",
    "unframe_4500",
]

#: The IKE major versions (RFC 7296 §3.1; RFC 2408 §3.1).
IKEV2_MAJOR_VERSION = 2
IKEV1_MAJOR_VERSION = 1


def decode(data: Octets) -> Message | V1Message:
    """Decode one IKE message, choosing the codec by the header's major version.

    The MjVer nibble is at the same place in IKEv1 (ISAKMP, RFC 2408 §3.1) and
    IKEv2 (RFC 7296 §3.1) headers: version 2 goes to :func:`decode_v2`, version 1
    to :func:`decode_v1`; any other raises :class:`~ikewire.DecodeError` with
    ``notify`` INVALID_MAJOR_VERSION (RFC 7296 §1.5, §2.21).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError(f"expected bytes, got {type(data).__name__}")
    if len(data) >= HEADER_LENGTH:
        major = data[17] >> 4
        if major == IKEV1_MAJOR_VERSION:
            return decode_v1(bytes(data))
        if major != IKEV2_MAJOR_VERSION:
            raise DecodeError(
                f"IKE major version {major} is not supported (only versions 1 and 2)",
                offset=17,
                field="header.version",
                notify=NotifyType.INVALID_MAJOR_VERSION,
            )
    return decode_v2(bytes(data))


def encode(msg: Message | V1Message) -> bytes:
    """Encode one IKE message; the inverse of :func:`decode` (RFC 7296 §3, RFC 2408 §3)."""
    if type(msg) is Message:
        return encode_v2(msg)
    if type(msg) is V1Message:
        return encode_v1(msg)
    raise EncodeError(f"not an IKE message: {type(msg).__name__}")
