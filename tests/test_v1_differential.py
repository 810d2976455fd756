"""Properties of the IKEv1 codec: the fast codec equals the Construct declarations.

* generated messages round-trip through both codecs, and both encoders give the same
  octets (ikewire.testing.v1_strategies);
* for generated, mutated and arbitrary octets, and for bit-flipped and truncated
  captures, both decoders return equal models (equal down to each field's type) or
  both raise DecodeError, never another exception; what decodes re-encodes exactly;
* the plaintext chain decoders (an encrypted body's chain and padding) agree too;
* out-of-range models raise EncodeError in both encoders.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikewire.errors import DecodeError, EncodeError
from ikewire.pcap import iter_udp
from ikewire.testing import v1_strategies as v1st
from ikewire.testing.strategies import mutations_of
from ikewire.wire import v1
from ikewire.wire.v1 import (
    construct_decode_v1,
    construct_decode_v1_payloads,
    construct_encode_v1,
    construct_encode_v1_payloads,
    decode_v1,
    decode_v1_payloads,
    encode_v1,
    encode_v1_payloads,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _shape(value: Any) -> Any:
    """A value with the type of every leaf: models and tuples recursively."""
    if isinstance(value, tuple):
        return (type(value).__name__, tuple(_shape(v) for v in value))
    return (type(value).__name__, value)


def _outcome(decode: Callable[[], Any]) -> Any:
    try:
        return _shape(decode())
    except DecodeError:
        return DecodeError


def _agree(data: bytes) -> None:
    fast = _outcome(lambda: decode_v1(data))
    reference = _outcome(lambda: construct_decode_v1(data))
    assert fast == reference
    if fast is not DecodeError:
        msg = decode_v1(data)
        assert encode_v1(msg) == data
        assert construct_encode_v1(msg) == data


def _capture_messages() -> list[bytes]:
    out = []
    for path in sorted(VECTORS.glob("*/**/*.pcap*")):
        for d in iter_udp(path):
            payload = d.payload
            if 4500 in (d.sport, d.dport) and payload[:4] == bytes(4):
                payload = payload[4:]
            elif 500 not in (d.sport, d.dport):
                continue
            if len(payload) > 17 and payload[17] >> 4 == 1:
                out.append(payload)
    return out


CAPTURED = _capture_messages()


@SETTINGS
@given(v1st.messages())
def test_round_trip_and_encoders_agree(msg: v1.V1Message) -> None:
    data = construct_encode_v1(msg)
    assert encode_v1(msg) == data
    assert decode_v1(data) == msg
    assert _shape(decode_v1(data)) == _shape(construct_decode_v1(data))


@SETTINGS
@given(v1st.mutated_messages())
def test_mutated_messages(data: bytes) -> None:
    _agree(data)


@SETTINGS
@given(st.binary(max_size=120))
def test_arbitrary_octets(data: bytes) -> None:
    _agree(data)


@SETTINGS
@given(st.binary(max_size=80).map(lambda b: bytes(16) + b"\x01\x10\x02\x00" + bytes(4) + b))
def test_arbitrary_bodies_behind_a_header(data: bytes) -> None:
    """A header with Length fixed up, then arbitrary octets: exercises the chain."""
    fixed = data[:24] + len(data).to_bytes(4, "big") + data[28:]
    _agree(fixed)


def test_captures() -> None:
    assert len(CAPTURED) > 50
    for data in CAPTURED:
        _agree(data)


@SETTINGS
@given(st.sampled_from(CAPTURED).flatmap(mutations_of))
def test_mutated_captures(data: bytes) -> None:
    _agree(data)


def test_every_bit_flip_and_truncation_of_a_capture() -> None:
    """Main Mode message 1 of the suricata capture: each prefix, and in every octet the
    lowest, a middle and the highest bit flipped."""
    (data,) = [d for d in CAPTURED if len(d) == 168 and d[18] == 2][:1]
    for i in range(len(data)):
        _agree(data[:i])
        for bit in (0, 3, 7):
            flipped = bytearray(data)
            flipped[i] ^= 1 << bit
            _agree(bytes(flipped))


@settings(SETTINGS, max_examples=50)
@given(v1st.plaintexts())
def test_plaintext_chains(case: tuple[int, bytes]) -> None:
    first, data = case
    payloads, padding = decode_v1_payloads(first, data)
    assert (payloads, padding) == construct_decode_v1_payloads(first, data)
    assert encode_v1_payloads(payloads, padding) == data
    assert construct_encode_v1_payloads(payloads, padding) == data


@SETTINGS
@given(st.integers(0, 255), st.binary(max_size=60))
def test_plaintext_arbitrary_octets(first: int, data: bytes) -> None:
    fast = _outcome(lambda: decode_v1_payloads(first, data))
    reference = _outcome(lambda: construct_decode_v1_payloads(first, data))
    assert fast == reference


def _encode_outcome(encode: Callable[[], bytes]) -> Any:
    try:
        return encode()
    except EncodeError:
        return EncodeError


@SETTINGS
@given(
    v1st.messages(),
    st.sampled_from(["flags", "message_id", "exchange_type", "minor_version", "spi_r"]),
    st.sampled_from([-1, 256, 1 << 32, b"\x00" * 9]),
)
def test_out_of_range_fields(msg: v1.V1Message, field: str, value: Any) -> None:
    bad = msg._replace(**{field: value})
    fast = _encode_outcome(lambda: encode_v1(bad))
    reference = _encode_outcome(lambda: construct_encode_v1(bad))
    assert fast == reference


@SETTINGS
@given(
    v1st.payloads(),
    st.sampled_from(["header_reserved", "data", "id_type", "doi", "cfg_type", "flags"]),
    st.sampled_from([-1, 256, 1 << 32, 1 << 16]),
)
def test_out_of_range_payload_fields(payload: Any, field: str, value: Any) -> None:
    if field not in payload._fields:
        return
    msg = v1.V1Message.create(5, (payload._replace(**{field: value}),), spi_i=bytes(8))
    fast = _encode_outcome(lambda: encode_v1(msg))
    reference = _encode_outcome(lambda: construct_encode_v1(msg))
    assert fast == reference
