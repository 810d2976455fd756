"""Helpers shared by the Construct reference codecs of IKEv2 (``v2.py``) and IKEv1
(``v1.py``): how a Construct failure becomes an ikewire error naming the offset and
the field. The IKEv1 (RFC 2408 §3.1) and IKEv2 (RFC 7296 §3.1) headers share their
layout, so one table of header fields serves both.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import construct as c

from ..errors import DecodeError, EncodeError

__all__ = [
    "FAILURES",
    "HEADER_FIELDS",
    "Located",
    "as_bytes",
    "decode_error",
    "reason",
    "run_decode",
    "run_encode",
]


class Located(c.ConstructError):  # type: ignore[misc]
    """A construct error with the absolute offset and the field it happened at."""

    def __init__(self, reason: str, offset: int, field: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset
        self.field = field


def reason(exc: BaseException) -> str:
    """A construct error's message without its multi-line "Error in path" prefix."""
    text = str(exc)
    return text.split("\n", 1)[1] if text.startswith("Error in path") and "\n" in text else text


#: What parsing or building untrusted values with Construct may raise.
FAILURES = (
    c.ConstructError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    struct.error,
)

#: Header fields (RFC 7296 §3.1, RFC 2408 §3.1) by construct name: (offset, field name).
HEADER_FIELDS = {
    "spi_i": (0, "header.spi_i"),
    "spi_r": (8, "header.spi_r"),
    "next_payload": (16, "header.next_payload"),
    "version": (17, "header.version"),
    "exchange_type": (18, "header.exchange_type"),
    "flags": (19, "header.flags"),
    "message_id": (20, "header.message_id"),
    "payloads": (24, "header.length"),
}


def decode_error(exc: BaseException) -> DecodeError:
    """The ikewire error for a Construct parse failure."""
    if isinstance(exc, Located):
        return DecodeError(exc.reason, offset=exc.offset, field=exc.field)
    if isinstance(exc, c.TerminatedError):
        return DecodeError("octets after the message Length", offset=24, field="header.length")
    path = getattr(exc, "path", None)
    parts = path.split(" -> ") if isinstance(path, str) else []
    offset, field = HEADER_FIELDS.get(parts[1] if len(parts) > 1 else "", (0, "header"))
    return DecodeError(reason(exc), offset=offset, field=field)


def run_decode(func: Callable[[], Any]) -> Any:
    """Run a Construct parse; every failure becomes a :class:`DecodeError`."""
    try:
        return func()
    except DecodeError:
        raise
    except FAILURES as exc:
        raise decode_error(exc) from exc


def run_encode(func: Callable[[], Any]) -> bytes:
    """Run a Construct build; every failure becomes an :class:`EncodeError`."""
    try:
        return bytes(func())
    except EncodeError:
        raise
    except FAILURES as exc:
        raise EncodeError(reason(exc)) from exc


def as_bytes(data: bytes) -> bytes:
    """The input as ``bytes``; a non-bytes input is a :class:`DecodeError`."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DecodeError(f"expected bytes, got {type(data).__name__}")
    return bytes(data)
