"""Typed views and builders of common Notify payload bodies (RFC 7296 §3.10.1).

A :class:`~ikewire.wire.models.Notify` keeps its Notification Data as octets;
these functions read the common bodies as values, raising
:class:`~ikewire.DecodeError` when the body is malformed (wrong type, wrong
length), and build the Notify payloads from values, raising
:class:`~ikewire.EncodeError` for a value the body cannot carry::

    n = notify.cookie(b"\\x01" * 16)
    notify.cookie_data(n)          # -> the 16 octets
    notify.view(n)                 # -> the same, by the Notify's type

Only the body's format is checked here; whether a notification is acceptable
where it appears is the state machine's business.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Callable, Iterable
from typing import Any

from cryptography.hazmat.primitives import hashes

from ..constants import HashAlgorithm, KeyExchangeMethod, NotifyType, ProtocolId, to_enum
from ..errors import DecodeError, EncodeError
from .models import Notify

__all__ = [
    "EMPTY_STATUS_TYPES",
    "VIEWS",
    "IPAddress",
    "cookie",
    "cookie_data",
    "empty",
    "fragmentation_supported",
    "invalid_ke_group",
    "invalid_ke_payload",
    "nat_detection_destination_ip",
    "nat_detection_hash",
    "nat_detection_source_ip",
    "nat_detection_value",
    "rekey_sa",
    "rekey_sa_spi",
    "set_window_size",
    "signature_hash_algorithms",
    "signature_hash_algorithms_list",
    "use_transport_mode",
    "view",
    "window_size",
]

IPAddress = str | bytes | ipaddress.IPv4Address | ipaddress.IPv6Address

#: The NAT_DETECTION_* data is a SHA-1 digest (RFC 7296 §2.23).
NAT_DETECTION_LENGTH = 20
#: A COOKIE is 1 to 64 octets (RFC 7296 §2.6).
COOKIE_MIN_LENGTH = 1
COOKIE_MAX_LENGTH = 64
#: A Child SA's SPI for AH and ESP is 4 octets, an IKE SA's 8 (RFC 7296 §3.3.1).
_SPI_SIZES: dict[int, int] = {ProtocolId.AH: 4, ProtocolId.ESP: 4, ProtocolId.IKE: 8}

#: Status notifications whose Notification Data is empty.
EMPTY_STATUS_TYPES = frozenset(
    {
        NotifyType.INITIAL_CONTACT,  # RFC 7296 §2.4
        NotifyType.USE_TRANSPORT_MODE,  # RFC 7296 §1.3.1
        NotifyType.HTTP_CERT_LOOKUP_SUPPORTED,  # RFC 7296 §3.6
        NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED,  # RFC 7296 §1.3.1
        NotifyType.NON_FIRST_FRAGMENTS_ALSO,  # RFC 7296 §1.3.1
        NotifyType.MOBIKE_SUPPORTED,  # RFC 4555
        NotifyType.NO_ADDITIONAL_ADDRESSES,  # RFC 4555
        NotifyType.UPDATE_SA_ADDRESSES,  # RFC 4555
        NotifyType.MULTIPLE_AUTH_SUPPORTED,  # RFC 4739
        NotifyType.ANOTHER_AUTH_FOLLOWS,  # RFC 4739
        NotifyType.REDIRECT_SUPPORTED,  # RFC 5685
        NotifyType.EAP_ONLY_AUTHENTICATION,  # RFC 5998
        NotifyType.CHILDLESS_IKEV2_SUPPORTED,  # RFC 6023
        NotifyType.IKEV2_FRAGMENTATION_SUPPORTED,  # RFC 7383 §2.3
        NotifyType.USE_PPK,  # RFC 8784 §3
        NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED,  # RFC 9242 §3.1
    }
)

_UINT16 = struct.Struct(">H")
_UINT32 = struct.Struct(">I")


# --------------------------------------------------------------------------- helpers


def _require(n: Notify, notify_type: NotifyType) -> None:
    if type(n) is not Notify:
        raise DecodeError(f"expected a Notify payload, got {type(n).__name__}")
    if n.notify_type != notify_type:
        raise DecodeError(
            f"expected {notify_type.name}, got Notify Message Type {int(n.notify_type)}",
            field="Notify.notify_type",
        )


def _malformed(notify_type: NotifyType, reason: str) -> DecodeError:
    return DecodeError(f"{notify_type.name}: {reason}", field="Notify.data")


def _address_octets(address: IPAddress) -> bytes:
    if isinstance(address, bytes):
        if len(address) not in (4, 16):
            raise EncodeError(f"an IP address is 4 or 16 octets, not {len(address)}")
        return address
    try:
        return ipaddress.ip_address(address).packed
    except ValueError as exc:
        raise EncodeError(f"not an IP address: {address!r}") from exc


# --------------------------------------------------------------------------- NAT detection


_SHA1 = hashes.SHA1()  # RFC 7296 §2.23 names SHA-1 for these hashes


def nat_detection_hash(spi_i: bytes, spi_r: bytes, address: IPAddress, port: int) -> bytes:
    """SHA-1(SPIi | SPIr | IP | Port) (RFC 7296 §2.23): the data of
    NAT_DETECTION_SOURCE_IP (sender's address and port) and
    NAT_DETECTION_DESTINATION_IP (the address and port it is sent to).

    ``spi_r`` is eight zero octets in the IKE_SA_INIT request; ``address`` is 4
    (IPv4) or 16 (IPv6) octets, or text, in network order.
    """
    if len(spi_i) != 8 or len(spi_r) != 8:
        raise EncodeError("IKE SPIs are 8 octets (RFC 7296 §3.1)")
    if not 0 <= port <= 0xFFFF:
        raise EncodeError(f"port {port} is not a 16-bit number")
    digest = hashes.Hash(_SHA1)
    digest.update(b"".join((spi_i, spi_r, _address_octets(address), _UINT16.pack(port))))
    return digest.finalize()


def nat_detection_source_ip(spi_i: bytes, spi_r: bytes, address: IPAddress, port: int) -> Notify:
    """N(NAT_DETECTION_SOURCE_IP) for the sender's own address and port (RFC 7296 §2.23)."""
    return Notify(
        NotifyType.NAT_DETECTION_SOURCE_IP, nat_detection_hash(spi_i, spi_r, address, port)
    )


def nat_detection_destination_ip(
    spi_i: bytes, spi_r: bytes, address: IPAddress, port: int
) -> Notify:
    """N(NAT_DETECTION_DESTINATION_IP) for the address and port the message is sent to
    (RFC 7296 §2.23)."""
    return Notify(
        NotifyType.NAT_DETECTION_DESTINATION_IP, nat_detection_hash(spi_i, spi_r, address, port)
    )


def nat_detection_value(n: Notify) -> bytes:
    """The 20-octet SHA-1 digest of a NAT_DETECTION_SOURCE_IP or
    NAT_DETECTION_DESTINATION_IP notification (RFC 7296 §2.23)."""
    if n.notify_type != NotifyType.NAT_DETECTION_DESTINATION_IP:
        _require(n, NotifyType.NAT_DETECTION_SOURCE_IP)
    if len(n.data) != NAT_DETECTION_LENGTH:
        raise _malformed(
            NotifyType(n.notify_type), f"{len(n.data)} octets, expected a 20-octet SHA-1 digest"
        )
    return n.data


# --------------------------------------------------------------------------- COOKIE


def cookie(data: bytes) -> Notify:
    """N(COOKIE) carrying ``data``, 1 to 64 octets (RFC 7296 §2.6, §3.10.1)."""
    if not COOKIE_MIN_LENGTH <= len(data) <= COOKIE_MAX_LENGTH:
        raise EncodeError(f"a COOKIE is 1 to 64 octets, not {len(data)} (RFC 7296 §2.6)")
    return Notify(NotifyType.COOKIE, bytes(data))


def cookie_data(n: Notify) -> bytes:
    """The octets of a COOKIE notification, 1 to 64 of them (RFC 7296 §2.6)."""
    _require(n, NotifyType.COOKIE)
    if not COOKIE_MIN_LENGTH <= len(n.data) <= COOKIE_MAX_LENGTH:
        raise _malformed(NotifyType.COOKIE, f"{len(n.data)} octets, expected 1 to 64")
    return n.data


# --------------------------------------------------------------------------- INVALID_KE_PAYLOAD


def invalid_ke_payload(group: KeyExchangeMethod | int) -> Notify:
    """N(INVALID_KE_PAYLOAD) naming the accepted key exchange method (RFC 7296 §1.3)."""
    if not 0 <= group <= 0xFFFF:
        raise EncodeError(f"key exchange method {group} is not a 16-bit number")
    return Notify(NotifyType.INVALID_KE_PAYLOAD, _UINT16.pack(group))


def invalid_ke_group(n: Notify) -> KeyExchangeMethod | int:
    """The accepted method of an INVALID_KE_PAYLOAD notification: its two octets
    (RFC 7296 §3.10.1)."""
    _require(n, NotifyType.INVALID_KE_PAYLOAD)
    if len(n.data) != 2:
        raise _malformed(NotifyType.INVALID_KE_PAYLOAD, f"{len(n.data)} octets, expected 2")
    return to_enum(KeyExchangeMethod, _UINT16.unpack(n.data)[0])


# --------------------------------------------------------------------------- REKEY_SA


def rekey_sa(protocol_id: ProtocolId | int, spi: bytes) -> Notify:
    """N(REKEY_SA) in a CREATE_CHILD_SA request: the protocol and SPI of the SA being
    rekeyed (RFC 7296 §1.3.3); no data."""
    expected = _SPI_SIZES.get(int(protocol_id))
    if expected is None or len(spi) != expected:
        raise EncodeError(
            f"REKEY_SA: a {len(spi)}-octet SPI for protocol {int(protocol_id)} "
            "(AH and ESP SPIs are 4 octets, IKE SPIs 8)"
        )
    return Notify(NotifyType.REKEY_SA, b"", protocol_id, bytes(spi))


def rekey_sa_spi(n: Notify) -> tuple[ProtocolId | int, bytes]:
    """The protocol and SPI of the SA a REKEY_SA notification rekeys (RFC 7296 §1.3.3)."""
    _require(n, NotifyType.REKEY_SA)
    expected = _SPI_SIZES.get(int(n.protocol_id))
    if expected is None or len(n.spi) != expected:
        raise DecodeError(
            f"REKEY_SA: a {len(n.spi)}-octet SPI for protocol {int(n.protocol_id)}",
            field="Notify.spi",
        )
    if n.data:
        raise _malformed(NotifyType.REKEY_SA, f"{len(n.data)} octets of data, expected none")
    return n.protocol_id, n.spi


# --------------------------------------------------------------------------- SIGNATURE_HASH_ALGORITHMS


def signature_hash_algorithms(algorithms: Iterable[HashAlgorithm | int]) -> Notify:
    """N(SIGNATURE_HASH_ALGORITHMS): the hash algorithms the sender accepts for
    digital signatures, 2 octets each (RFC 7427 §4)."""
    try:
        data = b"".join(_UINT16.pack(a) for a in algorithms)
    except struct.error as exc:
        raise EncodeError(f"SIGNATURE_HASH_ALGORITHMS: {exc}") from exc
    return Notify(NotifyType.SIGNATURE_HASH_ALGORITHMS, data)


def signature_hash_algorithms_list(n: Notify) -> tuple[HashAlgorithm | int, ...]:
    """The hash algorithms of a SIGNATURE_HASH_ALGORITHMS notification (RFC 7427 §4)."""
    _require(n, NotifyType.SIGNATURE_HASH_ALGORITHMS)
    data = n.data
    if len(data) % 2:
        raise _malformed(
            NotifyType.SIGNATURE_HASH_ALGORITHMS,
            f"{len(data)} octets, not a list of 2-octet identifiers",
        )
    return tuple(to_enum(HashAlgorithm, v) for (v,) in _UINT16.iter_unpack(data))


# --------------------------------------------------------------------------- SET_WINDOW_SIZE


def set_window_size(size: int) -> Notify:
    """N(SET_WINDOW_SIZE): how many requests the sender can take at once, 4 octets
    (RFC 7296 §2.3, §3.10.1)."""
    if not 1 <= size <= 0xFFFFFFFF:
        raise EncodeError(f"window size {size} is not within 1..2**32-1")
    return Notify(NotifyType.SET_WINDOW_SIZE, _UINT32.pack(size))


def window_size(n: Notify) -> int:
    """The window size of a SET_WINDOW_SIZE notification (RFC 7296 §2.3): 4 octets,
    at least 1."""
    _require(n, NotifyType.SET_WINDOW_SIZE)
    if len(n.data) != 4:
        raise _malformed(NotifyType.SET_WINDOW_SIZE, f"{len(n.data)} octets, expected 4")
    (size,) = _UINT32.unpack(n.data)
    if size < 1:
        raise _malformed(NotifyType.SET_WINDOW_SIZE, "a window size of 0")
    return int(size)


# --------------------------------------------------------------------------- empty bodies


def empty(notify_type: NotifyType) -> Notify:
    """A status notification without data (e.g. USE_TRANSPORT_MODE, RFC 7296 §1.3.1;
    IKEV2_FRAGMENTATION_SUPPORTED, RFC 7383 §2.3): protocol 0, no SPI."""
    if notify_type not in EMPTY_STATUS_TYPES:
        raise EncodeError(f"{notify_type!r} is not a notification without data")
    return Notify(notify_type)


def fragmentation_supported() -> Notify:
    """N(IKEV2_FRAGMENTATION_SUPPORTED) (RFC 7383 §2.3)."""
    return empty(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED)


def use_transport_mode() -> Notify:
    """N(USE_TRANSPORT_MODE) (RFC 7296 §1.3.1)."""
    return empty(NotifyType.USE_TRANSPORT_MODE)


def _check_empty(n: Notify) -> None:
    if n.data:
        raise _malformed(NotifyType(n.notify_type), f"{len(n.data)} octets of data, expected none")


# --------------------------------------------------------------------------- by type

#: Notify Message Type → the typed view of its body.
VIEWS: dict[int, Callable[[Notify], Any]] = {
    NotifyType.NAT_DETECTION_SOURCE_IP: nat_detection_value,
    NotifyType.NAT_DETECTION_DESTINATION_IP: nat_detection_value,
    NotifyType.COOKIE: cookie_data,
    NotifyType.INVALID_KE_PAYLOAD: invalid_ke_group,
    NotifyType.REKEY_SA: rekey_sa_spi,
    NotifyType.SIGNATURE_HASH_ALGORITHMS: signature_hash_algorithms_list,
    NotifyType.SET_WINDOW_SIZE: window_size,
}


def view(n: Notify) -> Any:
    """The typed value of a notification's body, by its type: the value of the
    function in :data:`VIEWS`, ``None`` for a notification without data (after
    checking it has none), or the raw data for other types. DecodeError when the
    body is malformed."""
    function = VIEWS.get(int(n.notify_type))
    if function is not None:
        return function(n)
    if n.notify_type in EMPTY_STATUS_TYPES:
        _check_empty(n)
        return None
    return n.data
