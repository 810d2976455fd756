"""One exception tree for ikewire.

Every error ikewire raises is an :class:`IKEError`. Errors split the h11 way:

* the peer broke the protocol (:class:`DecodeError`, :class:`IntegrityError`,
  :class:`ProtocolError`) — :class:`ProtocolError` carries the notify type that
  RFC 7296 §2.21 says to answer with;
* the caller misused the API (:class:`EncodeError`, :class:`ConfigError`).
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CryptoError",
    "DecodeError",
    "EncodeError",
    "IKEError",
    "IntegrityError",
    "ProtocolError",
]


class IKEError(Exception):
    """Base of every exception ikewire raises."""


class DecodeError(IKEError):
    """Bytes that are not a well-formed IKE message or payload.

    ``offset`` is the byte offset (from the start of the decoded buffer) where the
    problem was found, ``field`` names the field (``"Notify.length"``), and
    ``reason`` says what was wrong. ``notify`` is the notify type a responder
    answers with (RFC 7296 §2.21: INVALID_SYNTAX; §1.5: INVALID_MAJOR_VERSION),
    as an ``int`` so this module imports nothing.
    """

    def __init__(
        self,
        reason: str,
        *,
        offset: int | None = None,
        field: str | None = None,
        notify: int = 7,  # INVALID_SYNTAX
    ) -> None:
        self.reason = reason
        self.offset = offset
        self.field = field
        self.notify = notify
        where = []
        if field is not None:
            where.append(field)
        if offset is not None:
            where.append(f"at offset {offset}")
        prefix = " ".join(where)
        super().__init__(f"{prefix}: {reason}" if prefix else reason)


class EncodeError(IKEError):
    """A model that cannot be encoded (a value out of its field's range)."""


class CryptoError(IKEError):
    """A cryptographic operation failed (unsupported algorithm, bad key size)."""


class IntegrityError(CryptoError):
    """An ICV or AEAD tag did not verify; nothing was decrypted (RFC 7296 §3.14)."""


class ProtocolError(IKEError):
    """The peer broke the protocol; ``notify`` is what RFC 7296 says to answer.

    ``notify`` is a :class:`ikewire.constants.NotifyType` value (kept an ``int``
    here so this module imports nothing); ``data`` is the notification data to send.
    """

    def __init__(self, reason: str, *, notify: int = 7, data: bytes = b"") -> None:
        self.reason = reason
        self.notify = notify
        self.data = data
        super().__init__(reason)


class ConfigError(IKEError):
    """The caller's configuration or arguments are invalid."""
