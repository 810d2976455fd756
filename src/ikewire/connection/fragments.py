"""IKEv2 message fragmentation (RFC 7383).

Sending (RFC 7383 §2.5): :func:`fragment_message` encodes the inner payload chain once,
cuts the plaintext into chunks and protects each chunk in its own Encrypted Fragment
(SKF) payload, with its own IV, so that every datagram fits ``max_datagram``. When the
whole message fits in one datagram it returns one ordinary SK message instead
(fragmentation is only for messages that would not fit; :func:`needs_fragmentation`
answers the same question without sealing anything).

Receiving (RFC 7383 §2.6): a :class:`Reassembler` collects the fragments of one
message, verifies each on arrival, and hands back the inner payloads once every fragment
is there. It never raises for what the peer sends: every fragment gets a
:class:`FragmentResult` whose :class:`FragmentStatus` says what happened, so the caller
can turn a drop into "ignore the datagram" (RFC 7296 §2.21.1, RFC 7383 §2.6).

Negotiation (RFC 7383 §2.3): both peers send N(IKEV2_FRAGMENTATION_SUPPORTED) in the
IKE_SA_INIT exchange; :func:`fragmentation_supported` builds it and
:func:`peer_supports_fragmentation` looks for it.

Sizes: ``max_datagram`` is the UDP payload: the IKE message plus, when ``marker`` is
set (UDP port 4500, RFC 3948 §2.2), the 4-octet non-ESP marker. IP and UDP headers are
not counted. RFC 7383 §2.5.1 states its defaults as IP datagram sizes — 1280 octets for
IPv6 and 576 for IPv4 — so subtract the headers: 1280 - 40 (IPv6) - 8 (UDP) = 1232
(:data:`IPV6_MAX_DATAGRAM`) and 576 - 20 (IPv4) - 8 (UDP) = 548 (:data:`IPV4_MAX_DATAGRAM`);
:func:`max_datagram_for` does this arithmetic. The fragments returned are IKE messages
without the marker: frame them with :func:`ikewire.wire.framing.frame_4500` on port 4500.

Each fragment datagram is::

    [marker 4] | IKE header 28 | cleartext payloads (fragment 1 only) | SKF header 8 |
    IV | ciphertext (chunk | Padding | Pad Length 1) | ICV

so with a block size ``b`` the largest chunk is
``(max_datagram - marker - 28 - cleartext - 8 - IV - ICV) // b * b - 1``; for example
AES-GCM-16 (IV 8, ICV 16, b 1) on port 4500 in 1252 octets carries 1252 - 4 - 28 - 8 -
8 - 16 - 1 = 1187 octets, as strongSwan does in a 1280-octet IPv4 packet.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from ..constants import ExchangeType, NotifyType
from ..crypto.cipher import SKCipher, open_fragment, seal_fragment, seal_message, split_encrypted
from ..errors import ConfigError, DecodeError, IKEError
from ..wire.codec import (
    GENERIC_HEADER_LENGTH,
    HEADER_LENGTH,
    decode_payloads,
    encode_payloads,
    sk_associated_data,
)
from ..wire.models import SK, SKF, Message, Notify, Payload
from ..wire.notify import fragmentation_supported

__all__ = [
    "IPV4_MAX_DATAGRAM",
    "IPV6_MAX_DATAGRAM",
    "NON_ESP_MARKER_SIZE",
    "FragmentResult",
    "FragmentStatus",
    "Reassembler",
    "fragment_message",
    "fragmentation_supported",
    "max_chunk",
    "max_datagram_for",
    "needs_fragmentation",
    "peer_supports_fragmentation",
]

NON_ESP_MARKER_SIZE: Final = 4
"""Octets of the non-ESP marker before an IKE message on UDP port 4500 (RFC 3948 §2.2)."""

_IPV4_HEADER: Final = 20
_IPV6_HEADER: Final = 40
_UDP_HEADER: Final = 8
_MAX_TOTAL_FRAGMENTS: Final = 0xFFFF  # a 2-octet field (RFC 7383 §2.5)

IPV6_MAX_DATAGRAM: Final = 1280 - _IPV6_HEADER - _UDP_HEADER
"""1232: the UDP payload of RFC 7383 §2.5.1's 1280-octet IPv6 default."""

IPV4_MAX_DATAGRAM: Final = 576 - _IPV4_HEADER - _UDP_HEADER
"""548: the UDP payload of RFC 7383 §2.5.1's 576-octet IPv4 default."""


def max_datagram_for(ip_datagram_size: int, *, ipv6: bool) -> int:
    """The ``max_datagram`` (UDP payload) for an IP datagram size (RFC 7383 §2.5.1):
    minus 40 (IPv6) or 20 (IPv4, no options) and 8 (UDP) octets."""
    ip_header = _IPV6_HEADER if ipv6 else _IPV4_HEADER
    size = ip_datagram_size - ip_header - _UDP_HEADER
    if size <= 0:
        raise ConfigError(f"an IP datagram of {ip_datagram_size} octets carries no UDP payload")
    return size


# ---------------------------------------------------------------------------------------
# Sending (RFC 7383 §2.5)
# ---------------------------------------------------------------------------------------


def _split_header(header: Message) -> tuple[tuple[Payload, ...], Payload | None]:
    """(cleartext payloads, trailing SK/SKF placeholder or None) of ``header``."""
    payloads = header.payloads
    if payloads and type(payloads[-1]) in (SK, SKF):
        return payloads[:-1], payloads[-1]
    return payloads, None


def _check_header(header: Message) -> None:
    if int(header.exchange_type) == ExchangeType.IKE_SA_INIT:
        raise ConfigError("IKE_SA_INIT messages are never fragmented (RFC 7383 §2.5)")


def _overhead(header: Message, encrypted: SK | SKF, cipher: SKCipher, marker: bool) -> int:
    """Octets of a datagram other than the plaintext chunk, Padding and Pad Length."""
    aad = sk_associated_data(header._replace(payloads=(*header.payloads, encrypted)))
    return (NON_ESP_MARKER_SIZE if marker else 0) + len(aad) + cipher.iv_size + cipher.icv_size


def max_chunk(overhead: int, max_datagram: int, block_size: int) -> int:
    """The largest plaintext chunk whose datagram fits: the ciphertext (chunk | Padding |
    Pad Length) is a multiple of ``block_size`` in ``max_datagram - overhead`` octets
    (RFC 7296 §3.14); at most 0 when not even one octet fits."""
    room = max_datagram - overhead
    return room // block_size * block_size - 1


def needs_fragmentation(
    header: Message,
    inner: Sequence[Payload],
    cipher: SKCipher,
    *,
    max_datagram: int,
    marker: bool = False,
) -> bool:
    """True when the SK message ``seal_message(header, inner, ...)`` (minimum Padding),
    plus the non-ESP marker if ``marker``, is longer than ``max_datagram`` octets
    (RFC 7383 §2.5)."""
    clear, _ = _split_header(header)
    plaintext = encode_payloads(tuple(inner))
    aad = sk_associated_data(header._replace(payloads=(*clear, SK(0, b""))))
    size = (NON_ESP_MARKER_SIZE if marker else 0) + len(aad)
    return size + cipher.body_length(len(plaintext)) > max_datagram


def fragment_message(
    header: Message,
    inner: Sequence[Payload],
    cipher: SKCipher,
    *,
    max_datagram: int,
    iv: Callable[[], bytes],
    marker: bool = False,
) -> list[bytes]:
    """The datagrams (IKE messages, without the non-ESP marker) that carry ``inner``
    protected by ``cipher`` (RFC 7383 §2.5).

    ``header`` gives the IKE header (SPIs, exchange, flags, Message ID); its cleartext
    payloads, if any, go in fragment 1 only, and a trailing SK/SKF payload is a
    placeholder (its critical and reserved bits are kept). ``iv()`` is called once per
    datagram for its IV (random for CBC, RFC 7296 §3.14; never repeated under one key
    for the counter-based modes, RFC 5282 §3.1 / RFC 7634 §2).

    When the whole message fits in ``max_datagram`` octets (see the module docstring for
    what is counted), the result is one ordinary SK message (:func:`seal_message`).
    Otherwise the plaintext is cut into the largest chunks that fit, in order, each in
    an SKF payload with Fragment Number 1..n and Total Fragments n; fragment 1's Next
    Payload is the first inner payload's type, the others' 0 (§2.5). Padding is the
    minimum, all zeros.

    ConfigError when ``max_datagram`` cannot carry even one octet of plaintext per
    fragment, when more than 65535 fragments would be needed, or for IKE_SA_INIT.
    """
    _check_header(header)
    inner = tuple(inner)
    clear, placeholder = _split_header(header)
    plaintext = encode_payloads(inner)  # once, for the size and for the seal
    if clear:
        aad_length = len(sk_associated_data(header._replace(payloads=(*clear, SK(0, b"")))))
    else:  # the usual case: the IKE header and the SK payload's generic header
        aad_length = HEADER_LENGTH + GENERIC_HEADER_LENGTH
    size = (NON_ESP_MARKER_SIZE if marker else 0) + aad_length
    if size + cipher.body_length(len(plaintext)) <= max_datagram:
        return [seal_message(header, inner, cipher, iv(), plaintext=plaintext)]
    rest_header = header._replace(payloads=() if placeholder is None else (placeholder,))
    probe = SKF(0, 1, 1, b"")
    first_cap = max_chunk(
        _overhead(header._replace(payloads=clear), probe, cipher, marker),
        max_datagram,
        cipher.block_size,
    )
    rest_cap = max_chunk(
        _overhead(header._replace(payloads=()), probe, cipher, marker),
        max_datagram,
        cipher.block_size,
    )
    if first_cap < 1 or rest_cap < 1:
        raise ConfigError(
            f"a datagram of {max_datagram} octets cannot carry one octet of an SKF "
            f"fragment with {cipher!r} (RFC 7383 §2.5)"
        )
    chunks = [plaintext[:first_cap]]
    chunks += [
        plaintext[start : start + rest_cap] for start in range(first_cap, len(plaintext), rest_cap)
    ]
    total = len(chunks)
    if total > _MAX_TOTAL_FRAGMENTS:
        raise ConfigError(
            f"{total} fragments needed; Total Fragments is at most 65535 (RFC 7383 §2.5)"
        )
    first_type = inner[0].type if inner else 0
    out = [seal_fragment(header, chunks[0], 1, total, cipher, iv(), next_payload=first_type)]
    for number, chunk in enumerate(chunks[1:], 2):
        out.append(seal_fragment(rest_header, chunk, number, total, cipher, iv()))
    return out


# ---------------------------------------------------------------------------------------
# Receiving (RFC 7383 §2.6)
# ---------------------------------------------------------------------------------------


class FragmentStatus(enum.Enum):
    """What :meth:`Reassembler.add` did with one received fragment."""

    ACCEPTED = "accepted"
    """Verified and kept; more fragments are needed."""
    COMPLETE = "complete"
    """The last missing fragment: ``payloads`` and ``message`` are set."""
    DUPLICATE = "duplicate"
    """Verified, but this fragment is already held (or the message is complete): a
    retransmission (RFC 7383 §2.6.1). Nothing changed."""
    DROPPED = "dropped"
    """This datagram was ignored (bad ICV, another message, lower Total Fragments,
    malformed); what was collected is untouched."""
    DISCARDED = "discarded"
    """Everything collected was thrown away (a bound exceeded, the timeout, inner
    payloads that do not decode); ``reason`` says why."""


@dataclass(frozen=True, slots=True)
class FragmentResult:
    """The outcome of one received fragment.

    ``fragment_number``/``total_fragments`` are the fragment's own fields when its SKF
    header could be read (0 otherwise). ``discarded`` is set (with a reason) when an
    earlier collection was thrown away before this fragment was taken — a higher Total
    Fragments (§2.6) or the timeout — even though ``status`` describes this fragment.
    """

    status: FragmentStatus
    reason: str = ""
    fragment_number: int = 0
    total_fragments: int = 0
    payloads: tuple[Payload, ...] | None = None
    message: Message | None = None
    discarded: str | None = None


class Reassembler:
    """Collects the SKF fragments of one message (RFC 7383 §2.6).

    ``cipher`` opens the peer's direction. ``message_id`` is the Message ID to accept
    (None: the first authentic fragment's). Every fragment is authenticated on arrival
    (:func:`~ikewire.crypto.cipher.open_fragment`); only authentic fragments change
    anything, so a forged or damaged datagram is dropped without disturbing the rest.

    Rules (§2.6): the first authentic fragment fixes the SPIs, exchange, flags and Message
    ID; a fragment whose number is already held is a DUPLICATE; a higher Total Fragments
    means the peer retransmitted with smaller fragments: what was collected is discarded
    and collection starts again with this fragment; a lower Total Fragments is DROPPED.

    Bounds: Total Fragments above ``max_fragments``, more than ``max_bytes`` octets of
    plaintext collected, or ``now`` more than ``timeout`` seconds after the first kept
    fragment all DISCARD what was collected. On a timeout noticed in :meth:`add` the new
    fragment then starts a fresh collection; :meth:`expire` (from the caller's timer,
    at :attr:`deadline`) discards without a fragment.

    When the last fragment arrives the status is COMPLETE with the inner payloads
    (decode_payloads of the joined plaintext, first type from fragment 1's Next Payload)
    and the message as :func:`ikewire.reassemble` gives it. Later fragments of the same
    message are DUPLICATE. Inner payloads that do not decode DISCARD everything.
    """

    __slots__ = (
        "_chunks",
        "_done",
        "_first",
        "_first_type",
        "_header",
        "_size",
        "_started",
        "_total",
        "cipher",
        "max_bytes",
        "max_fragments",
        "message_id",
        "timeout",
    )

    _chunks: dict[int, bytes]
    _first: Message | None
    _first_type: int
    _total: int
    _size: int
    _started: float | None

    def __init__(
        self,
        cipher: SKCipher,
        *,
        message_id: int | None = None,
        max_fragments: int = 64,
        max_bytes: int = 65536,
        timeout: float = 30.0,
    ) -> None:
        if not 1 <= max_fragments <= _MAX_TOTAL_FRAGMENTS:
            raise ConfigError(f"max_fragments must be 1..65535, got {max_fragments}")
        if max_bytes < 1:
            raise ConfigError(f"max_bytes must be positive, got {max_bytes}")
        if not timeout > 0:
            raise ConfigError(f"timeout must be positive, got {timeout}")
        self.cipher = cipher
        self.message_id = message_id
        self.max_fragments = max_fragments
        self.max_bytes = max_bytes
        self.timeout = timeout
        self._header: tuple[bytes, bytes, int, int, int] | None = None
        self._done = False
        self._reset()

    def _reset(self) -> None:
        self._chunks = {}
        self._first = None
        self._first_type = 0
        self._total = 0
        self._size = 0
        self._started: float | None = None

    @property
    def deadline(self) -> float | None:
        """When what was collected expires (for the caller's timer), or None."""
        if self._started is None or self._done:
            return None
        return self._started + self.timeout

    @property
    def complete(self) -> bool:
        """True once the message has been reassembled."""
        return self._done

    @property
    def received(self) -> tuple[int, ...]:
        """The Fragment Numbers held, in order."""
        return tuple(sorted(self._chunks))

    def expire(self, now: float) -> FragmentResult | None:
        """Discard what was collected if the timeout has passed (DISCARDED), else None."""
        deadline = self.deadline
        if deadline is None or now < deadline or not self._chunks:
            return None
        self._reset()
        return FragmentResult(
            FragmentStatus.DISCARDED, f"reassembly timed out after {self.timeout} s"
        )

    def add(self, data: Message | bytes, now: float) -> FragmentResult:
        """Take one received fragment message (without the non-ESP marker)."""
        try:
            msg, skf, _ = split_encrypted(data)
        except IKEError as exc:
            return FragmentResult(FragmentStatus.DROPPED, f"not a well-formed message: {exc}")
        if type(skf) is not SKF:
            return FragmentResult(FragmentStatus.DROPPED, "no SKF payload (RFC 7383 §2.5)")
        number, total = skf.fragment_number, skf.total_fragments

        def drop(reason: str) -> FragmentResult:
            return FragmentResult(FragmentStatus.DROPPED, reason, number, total)

        if not 1 <= number <= total:
            return drop(f"fragment {number} of {total} (RFC 7383 §2.5)")
        if number != 1 and skf.next_payload:
            return drop(f"fragment {number} has a non-zero Next Payload (RFC 7383 §2.5)")
        if self.message_id is not None and msg.message_id != self.message_id:
            return drop(f"Message ID {msg.message_id}, expected {self.message_id}")
        header = (msg.spi_i, msg.spi_r, int(msg.exchange_type), msg.flags, msg.message_id)
        if self._header is not None and header != self._header:
            return drop("a fragment of another message (RFC 7383 §2.6)")
        try:
            chunk = open_fragment(data, self.cipher)
        except IKEError as exc:
            # IntegrityError (forged or damaged) or DecodeError (bad padding).
            return drop(f"fragment {number} of {total}: {exc}")

        # Authentic from here on.
        self._header = header
        if self._done:
            return FragmentResult(
                FragmentStatus.DUPLICATE, "message already reassembled", number, total
            )
        discarded: str | None = None
        if self._started is not None and now - self._started >= self.timeout:
            discarded = f"reassembly timed out after {self.timeout} s"
            self._reset()
        if total > self.max_fragments:
            self._reset()
            return FragmentResult(
                FragmentStatus.DISCARDED,
                f"Total Fragments {total} exceeds the limit of {self.max_fragments}",
                number,
                total,
                discarded=discarded,
            )
        if self._total and total < self._total:
            return drop(f"Total Fragments {total} is lower than {self._total} (RFC 7383 §2.6)")
        if self._total and total > self._total:
            discarded = (
                f"Total Fragments rose from {self._total} to {total}: fragments sent "
                f"again smaller (RFC 7383 §2.6)"
            )
            self._reset()
        if number in self._chunks:
            return FragmentResult(FragmentStatus.DUPLICATE, "", number, total, discarded=discarded)
        if self._size + len(chunk) > self.max_bytes:
            self._reset()
            return FragmentResult(
                FragmentStatus.DISCARDED,
                f"more than {self.max_bytes} octets of fragments",
                number,
                total,
                discarded=discarded,
            )
        if self._started is None:
            self._started = now
        self._total = total
        self._chunks[number] = chunk
        self._size += len(chunk)
        if number == 1:
            self._first = msg._replace(payloads=msg.payloads[:-1])
            self._first_type = skf.next_payload
        if len(self._chunks) < total:
            return FragmentResult(FragmentStatus.ACCEPTED, "", number, total, discarded=discarded)
        return self._finish(number, total, discarded)

    def _finish(self, number: int, total: int, discarded: str | None) -> FragmentResult:
        first = self._first
        assert first is not None  # fragment 1 is among the ``total`` held
        joined = b"".join(self._chunks[i] for i in range(1, total + 1))
        try:
            inner = tuple(decode_payloads(self._first_type, joined))
        except DecodeError as exc:
            self._reset()
            return FragmentResult(
                FragmentStatus.DISCARDED,
                f"the reassembled payloads do not decode: {exc}",
                number,
                total,
                discarded=discarded,
            )
        self._reset()
        self._done = True
        return FragmentResult(
            FragmentStatus.COMPLETE,
            "",
            number,
            total,
            payloads=inner,
            message=first._replace(payloads=(*first.payloads, *inner)),
            discarded=discarded,
        )


# ---------------------------------------------------------------------------------------
# Negotiation (RFC 7383 §2.3)
# ---------------------------------------------------------------------------------------


def peer_supports_fragmentation(payloads: Message | Iterable[Payload]) -> bool:
    """True when the IKE_SA_INIT message (or payloads) holds
    N(IKEV2_FRAGMENTATION_SUPPORTED) (RFC 7383 §2.3)."""
    items = payloads.payloads if isinstance(payloads, Message) else payloads
    return any(
        type(p) is Notify and p.notify_type == NotifyType.IKEV2_FRAGMENTATION_SUPPORTED
        for p in items
    )
