"""What travels beside IKE on its ports: UDP 4500 (RFC 3948) and TCP (RFC 9329).

UDP port 4500 carries three things (RFC 3948 §2): an IKE message behind a four-octet
zero *non-ESP marker* (§2.2), a *NAT-keepalive* of the single octet 0xFF (§2.3), and
UDP-encapsulated ESP, whose first four octets are its non-zero SPI (§2.1).
:func:`classify_4500` tells them apart; :func:`frame_4500` adds the marker.

TCP encapsulation (RFC 9329 §3, §4) frames every message with a 16-bit Length that
counts itself; IKE messages carry the same non-ESP marker inside the frame, ESP packets
do not, and the stream from the TCP originator begins with the six octets ``IKETCP``.
:class:`IKETCPStream` is a sans-IO decoder for one direction of such a stream, and
:func:`frame_tcp` builds a frame.
"""

from __future__ import annotations

import enum
from typing import Final, NamedTuple

from ..errors import DecodeError, EncodeError

__all__ = [
    "IKETCP_PREFIX",
    "MAX_TCP_FRAME",
    "NAT_KEEPALIVE",
    "NON_ESP_MARKER",
    "Classified",
    "IKETCPStream",
    "Kind",
    "classify_4500",
    "frame_4500",
    "frame_tcp",
    "unframe_4500",
]

#: The non-ESP marker before an IKE message on port 4500 (RFC 3948 §2.2, RFC 9329 §3.1).
NON_ESP_MARKER: Final = bytes(4)
#: A NAT-keepalive packet (RFC 3948 §2.3).
NAT_KEEPALIVE: Final = b"\xff"
#: The stream prefix the TCP originator sends first (RFC 9329 §4).
IKETCP_PREFIX: Final = b"IKETCP"
#: Largest TCP frame: the Length field is 16 bits and counts itself (RFC 9329 §3).
MAX_TCP_FRAME: Final = 0xFFFF

_ESP_HEADER = 8  # SPI and Sequence Number (RFC 4303 §2)
_LENGTH_FIELD = 2


class Kind(enum.Enum):
    """What a port-4500 datagram or a TCP frame holds."""

    IKE = "ike"  # an IKE message (marker removed)
    NAT_KEEPALIVE = "nat-keepalive"  # RFC 3948 §2.3
    ESP = "esp"  # UDP- or TCP-encapsulated ESP (RFC 3948 §2.1, RFC 9329 §3.2)
    MALFORMED = "malformed"  # none of the above


class Classified(NamedTuple):
    """The result of :func:`classify_4500` or an :class:`IKETCPStream` frame.

    ``data`` is the IKE message without its non-ESP marker, the ESP packet (SPI first),
    or empty for a keepalive; for MALFORMED it is the input and ``reason`` says why.
    """

    kind: Kind
    data: bytes
    reason: str = ""

    @property
    def spi(self) -> int | None:
        """The ESP SPI (RFC 4303 §2.1), or None when this is not ESP."""
        if self.kind is not Kind.ESP:
            return None
        return int.from_bytes(self.data[:4], "big")


def _classify(data: bytes, keepalive_ok: bool) -> Classified:
    if data[:4] == NON_ESP_MARKER and len(data) >= 4:
        return Classified(Kind.IKE, data[4:])
    if keepalive_ok and data == NAT_KEEPALIVE:
        return Classified(Kind.NAT_KEEPALIVE, b"")
    if len(data) < 4:
        return Classified(
            Kind.MALFORMED, data, f"{len(data)} octets: too short for a marker or SPI"
        )
    if len(data) < _ESP_HEADER:
        return Classified(
            Kind.MALFORMED, data, f"{len(data)} octets: shorter than an ESP header (RFC 4303 §2)"
        )
    return Classified(Kind.ESP, data)


def classify_4500(data: bytes) -> Classified:
    """Classify a UDP payload received on port 4500 (RFC 3948 §2).

    Four zero octets first: an IKE message (returned without the marker; it may still
    fail to decode). The single octet 0xFF: a NAT-keepalive. Otherwise a non-zero SPI:
    ESP, at least its 8-octet header (RFC 4303 §2). Anything else is MALFORMED.
    """
    return _classify(bytes(data), keepalive_ok=True)


def frame_4500(ike_message: bytes) -> bytes:
    """An IKE message as sent on port 4500: the non-ESP marker, then the message (RFC 3948 §2.2)."""
    return NON_ESP_MARKER + bytes(ike_message)


def unframe_4500(data: bytes) -> bytes:
    """The IKE message in a port-4500 datagram; :class:`~ikewire.DecodeError` for anything else."""
    result = classify_4500(data)
    if result.kind is not Kind.IKE:
        reason = result.reason or f"a {result.kind.value} packet, not IKE"
        raise DecodeError(reason, offset=0, field="non_esp_marker")
    return result.data


def frame_tcp(message: bytes, *, ike: bool = True) -> bytes:
    """One RFC 9329 §3 frame: Length (counting itself), the non-ESP marker for IKE, then
    the IKE message or ESP packet."""
    body = (NON_ESP_MARKER + bytes(message)) if ike else bytes(message)
    length = _LENGTH_FIELD + len(body)
    if length > MAX_TCP_FRAME:
        raise EncodeError(f"a {length}-octet frame does not fit the 16-bit Length (RFC 9329 §3)")
    if not ike and (len(body) < 4 or body[:4] == NON_ESP_MARKER):
        raise EncodeError("an ESP packet starts with its non-zero SPI (RFC 9329 §3.2)")
    return length.to_bytes(2, "big") + body


class IKETCPStream:
    """Sans-IO decoder for one direction of an RFC 9329 TCP stream.

    ``feed(data)`` takes whatever TCP delivered and returns the complete frames, each a
    :class:`Classified` (IKE with the marker removed, or ESP). Set ``expect_prefix`` on
    the TCP responder's side: the originator's stream begins with ``IKETCP`` (RFC 9329
    §4). A broken stream (a wrong prefix, a Length below 3, a frame neither IKE nor ESP)
    raises :class:`~ikewire.DecodeError` and the stream stays broken: RFC 9329 §6.1 says
    to close the connection. Buffered data never exceeds one frame (64 KiB).
    """

    def __init__(self, *, expect_prefix: bool) -> None:
        self._buffer = bytearray()
        self._need_prefix = expect_prefix
        self._error: DecodeError | None = None
        self._offset = 0  # stream offset of the start of the buffer

    @property
    def buffered(self) -> int:
        """Octets received but not yet returned as a frame."""
        return len(self._buffer)

    def _fail(self, reason: str, offset: int, field: str) -> DecodeError:
        self._error = DecodeError(reason, offset=offset, field=field)
        self._buffer.clear()
        return self._error

    def feed(self, data: bytes) -> list[Classified]:
        """Add received octets; return every frame now complete, in order."""
        if self._error is not None:
            raise self._error
        self._buffer += data
        frames: list[Classified] = []
        buf = self._buffer
        if self._need_prefix:
            have = bytes(buf[: len(IKETCP_PREFIX)])
            if have != IKETCP_PREFIX[: len(have)]:
                raise self._fail(
                    "the stream does not begin with IKETCP (RFC 9329 §4)", self._offset, "prefix"
                )
            if len(have) < len(IKETCP_PREFIX):
                return frames
            del buf[: len(IKETCP_PREFIX)]
            self._offset += len(IKETCP_PREFIX)
            self._need_prefix = False
        pos = 0
        # Bounded: every frame consumes at least three octets.
        while len(buf) - pos >= _LENGTH_FIELD:
            length = int.from_bytes(buf[pos : pos + 2], "big")
            if length <= _LENGTH_FIELD:
                raise self._fail(
                    f"frame Length {length}: a frame holds at least one octet (RFC 9329 §3)",
                    self._offset + pos,
                    "length",
                )
            if len(buf) - pos < length:
                break
            body = bytes(buf[pos + _LENGTH_FIELD : pos + length])
            item = _classify(body, keepalive_ok=True)
            if item.kind is Kind.MALFORMED:
                raise self._fail(item.reason, self._offset + pos + _LENGTH_FIELD, "frame")
            frames.append(item)
            pos += length
        del buf[:pos]
        self._offset += pos
        return frames
