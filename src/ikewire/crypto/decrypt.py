"""``ikewire.decrypt``: open the SK / SKF payloads of received or captured messages.

:func:`decrypt` replaces a message's Encrypted payload (RFC 7296 §3.14) by the payloads
inside it; :func:`reassemble` opens and joins the fragments of one message
(RFC 7383 §2.6). The direction comes from the message's I flag (RFC 7296 §3.1): messages
sent by the original initiator are protected with SK_ei/SK_ai, the others with
SK_er/SK_ar (§2.14).

Keys are an :class:`~ikewire.crypto.keys.IKESAKeys` or a Wireshark table entry
(:class:`~ikewire.crypto.keytable.WiresharkIKEv2Keys`, which may say "decrypt without
checking the ICV"). The :class:`~ikewire.crypto.cipher.SKCipher` objects built for a set
of keys are kept in a small LRU cache (:func:`cipher_for`), so decrypting many messages
of one SA keys the ciphers once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ..errors import ConfigError, DecodeError, IntegrityError
from ..wire.codec import decode_payloads
from ..wire.models import SK, SKF, Message, Payload
from .cipher import SKCipher, split_encrypted
from .keys import IKESAKeys
from .keytable import WiresharkIKEv2Keys

__all__ = [
    "MAX_FRAGMENTS",
    "cipher_for",
    "clear_cipher_cache",
    "decrypt",
    "describe_message",
    "reassemble",
]

MAX_FRAGMENTS = 1024
"""Most fragments :func:`reassemble` accepts for one message (a bound, not an RFC limit)."""

_CACHE_SIZE = 64

Keys = IKESAKeys | WiresharkIKEv2Keys


@lru_cache(maxsize=_CACHE_SIZE)
def _cached_cipher(keys: Keys, sender_is_initiator: bool) -> SKCipher:
    if isinstance(keys, WiresharkIKEv2Keys):
        return keys.cipher(sender_is_initiator=sender_is_initiator)
    return SKCipher.from_keys(keys, sender_is_initiator=sender_is_initiator)


def cipher_for(keys: Keys, *, sender_is_initiator: bool) -> SKCipher:
    """The (cached) SK cipher for messages sent by the original initiator
    (SK_ei/SK_ai) or responder (SK_er/SK_ar) of the IKE SA with ``keys``."""
    return _cached_cipher(keys, sender_is_initiator)


def clear_cipher_cache() -> None:
    """Forget every cached cipher (and the key material it holds)."""
    _cached_cipher.cache_clear()


def describe_message(msg: Message) -> str:
    """``IKE_AUTH request (message ID 1, SPIi 0158b8fb90b7623d, SPIr 13514610cea16160)``."""
    exchange = getattr(msg.exchange_type, "name", None) or f"exchange {msg.exchange_type}"
    kind = "response" if msg.is_response else "request"
    return (
        f"{exchange} {kind} (message ID {msg.message_id}, SPIi {msg.spi_i.hex()}, "
        f"SPIr {msg.spi_r.hex()})"
    )


def _open(msg: Message, payload: SK | SKF, aad: bytes, keys: Keys, what: str = "") -> bytes:
    cipher = _cached_cipher(keys, msg.is_initiator)
    try:
        return cipher.open(aad, payload.body)
    except IntegrityError as exc:
        raise IntegrityError(f"{describe_message(msg)}{what}: {exc}") from None


def _inner(first_type: int, plaintext: bytes) -> tuple[Payload, ...]:
    return tuple(decode_payloads(first_type, plaintext))


def decrypt(msg: Message | bytes, keys: Keys) -> Message:
    """A copy of ``msg`` with its SK payload replaced by the payloads inside it.

    ``msg`` may be the encoded message (its received octets are then what is
    authenticated). A message without an Encrypted payload is returned unchanged. An SKF
    fragment of a message split in more than one fragment needs :func:`reassemble`
    (ConfigError here). IntegrityError (naming the message) when the ICV does not verify;
    DecodeError for malformed messages and inner payloads.
    """
    message, payload, aad = split_encrypted(msg)
    if payload is None:
        return message
    if type(payload) is SKF and (payload.fragment_number, payload.total_fragments) != (1, 1):
        raise ConfigError(
            f"{describe_message(message)} is fragment {payload.fragment_number} of "
            f"{payload.total_fragments} (RFC 7383); pass all fragments to reassemble()"
        )
    plaintext = _open(message, payload, aad, keys)
    inner = _inner(payload.next_payload, plaintext)
    return message._replace(payloads=(*message.payloads[:-1], *inner))


def reassemble(fragments: Sequence[Message | bytes], keys: Keys) -> Message:
    """The message carried by SKF ``fragments`` (RFC 7383 §2.6), in any order.

    Every fragment is authenticated on its own (IntegrityError names the fragment);
    they must share SPIs, exchange, flags and Message ID, agree on Total Fragments and
    hold each Fragment Number 1..Total once (an identical duplicate is ignored, RFC 7383
    §2.6.1). The result has fragment 1's header and cleartext payloads followed by the
    inner payloads. DecodeError when the set is inconsistent or incomplete.
    """
    if not fragments:
        raise DecodeError("no fragments to reassemble")
    if len(fragments) > MAX_FRAGMENTS:
        raise DecodeError(f"more than {MAX_FRAGMENTS} fragments")
    chunks: dict[int, tuple[bytes, Message, SKF]] = {}
    total: int | None = None
    header: tuple[bytes, bytes, int, int, int] | None = None
    for item in fragments:
        msg, payload, aad = split_encrypted(item)
        if type(payload) is not SKF:
            raise DecodeError(f"{describe_message(msg)} carries no SKF payload", field="SKF")
        this_header = (msg.spi_i, msg.spi_r, int(msg.exchange_type), msg.flags, msg.message_id)
        if header is None:
            header = this_header
        elif this_header != header:
            raise DecodeError(
                f"{describe_message(msg)}: fragments of different messages (RFC 7383 §2.6)"
            )
        if total is None:
            total = payload.total_fragments
        number = payload.fragment_number
        if payload.total_fragments != total or not 1 <= number <= total:
            raise DecodeError(
                f"{describe_message(msg)}: fragment {number} of {payload.total_fragments} "
                f"does not fit a message of {total} fragments (RFC 7383 §2.6)",
                field="SKF.fragment_number",
            )
        if number != 1 and payload.next_payload:
            raise DecodeError(
                f"{describe_message(msg)}: fragment {number} has a non-zero Next Payload "
                f"(RFC 7383 §2.5)",
                field="SKF.next_payload",
            )
        if number in chunks:
            if chunks[number][2].body == payload.body:
                continue
            raise DecodeError(f"{describe_message(msg)}: two different fragments {number}")
        plaintext = _open(msg, payload, aad, keys, f" fragment {number} of {total}")
        chunks[number] = (plaintext, msg, payload)
    assert total is not None
    if len(chunks) != total:
        missing = sorted(set(range(1, total + 1)) - set(chunks))
        raise DecodeError(f"fragments {missing} of {total} are missing (RFC 7383 §2.6)")
    _, first_msg, first = chunks[1]
    joined = b"".join(chunks[i][0] for i in range(1, total + 1))
    inner = _inner(first.next_payload, joined)
    return first_msg._replace(payloads=(*first_msg.payloads[:-1], *inner))
