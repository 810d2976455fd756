"""Differential tests: the fast codec (ikewire.wire.codec) equals the Construct
declarations (ikewire.wire.v2), the single source of truth for the format.

* for generated messages and payload chains, both encoders give the same octets;
* for generated, mutated and arbitrary octets, and for every UDP datagram of every
  capture in vectors/, both decoders raise DecodeError or return equal models —
  equal down to the type of every field (enum member or plain int, bool);
* out-of-range models raise EncodeError in both.

Construct's docs warn that compiled parsers skip checks; the reference here is the
interpreted declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikewire import DecodeError, EncodeError
from ikewire.constants import ExchangeType, KeyExchangeMethod, PayloadType, ProtocolId
from ikewire.testing import strategies as ist
from ikewire.wire import models as m
from ikewire.wire.v2 import (
    HEADER_LENGTH,
    construct_decode,
    construct_decode_payloads,
    construct_encode,
    construct_encode_payloads,
)

codec = pytest.importorskip("ikewire.wire.codec", reason="the fast codec is not there yet")
decode_v2: Callable[[bytes], m.Message] = codec.decode_v2
encode_v2: Callable[[m.Message], bytes] = codec.encode_v2
decode_payloads: Callable[[int, bytes], Sequence[m.Payload]] = codec.decode_payloads
encode_payloads: Callable[[Sequence[m.Payload]], bytes] = codec.encode_payloads

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAT_T_PORT = 4500


# --------------------------------------------------------------------------- comparison


def _shape(value: Any) -> Any:
    """A value with the type of every leaf: models and tuples recursively."""
    if isinstance(value, tuple):
        return (type(value).__name__, tuple(_shape(v) for v in value))
    return (type(value).__name__, value)


def _outcome(decode: Callable[[], Any]) -> Any:
    """The decoded value, or the DecodeError class; any other exception propagates."""
    try:
        return decode()
    except DecodeError:
        return DecodeError


def _assert_same_decode(reference: Callable[[], Any], fast: Callable[[], Any]) -> None:
    expected = _outcome(reference)
    got = _outcome(fast)
    if isinstance(expected, list):
        expected = tuple(expected)
    if isinstance(got, list):
        got = tuple(got)
    assert got == expected
    assert _shape(got) == _shape(expected)


def assert_decoders_agree(octets: bytes) -> None:
    """construct_decode and decode_v2 both raise DecodeError or give equal models."""
    _assert_same_decode(lambda: construct_decode(octets), lambda: decode_v2(octets))


def assert_chain_decoders_agree(first: int, octets: bytes) -> None:
    """The same for a bare payload chain (an SK plaintext, RFC 7296 §3.14)."""
    _assert_same_decode(
        lambda: construct_decode_payloads(first, octets), lambda: decode_payloads(first, octets)
    )


def _encode_outcome(encode: Callable[[], bytes]) -> bytes | type[EncodeError]:
    try:
        return encode()
    except EncodeError:
        return EncodeError


# --------------------------------------------------------------------------- generated


@SETTINGS
@given(msg=ist.messages())
def test_codecs_agree_on_valid_messages(msg: m.Message) -> None:
    """Both encoders give the same octets; both decoders give the message back."""
    octets = construct_encode(msg)
    assert encode_v2(msg) == octets
    assert_decoders_agree(octets)
    assert decode_v2(octets) == msg


@SETTINGS
@given(chain=st.lists(ist.payloads(), max_size=4))
def test_encoders_agree_on_payload_chains(chain: list[m.Payload]) -> None:
    octets = construct_encode_payloads(chain)
    assert encode_payloads(chain) == octets
    first = chain[0].type if chain else 0
    assert_chain_decoders_agree(first, octets)


@SETTINGS
@given(octets=ist.mutated_messages())
def test_decoders_agree_on_mutated_messages(octets: bytes) -> None:
    assert_decoders_agree(octets)


@st.composite
def framed_garbage(draw: st.DrawFn) -> bytes:
    """A header with a correct Length and a first payload type, then arbitrary octets."""
    body = draw(st.binary(max_size=96))
    first = draw(st.sampled_from([0, *range(33, 49), 53, 54, 200]))
    version = draw(st.sampled_from([0x20, 0x20, 0x21, 0x10, 0x30]))
    header = (
        draw(st.binary(min_size=16, max_size=16))
        + bytes([first, version, 34, 0x08])
        + bytes(4)
        + (HEADER_LENGTH + len(body)).to_bytes(4, "big")
    )
    return header + body


@SETTINGS
@given(octets=st.one_of(st.binary(max_size=48), framed_garbage()))
def test_decoders_agree_on_arbitrary_octets(octets: bytes) -> None:
    assert_decoders_agree(octets)


@SETTINGS
@given(
    first=st.sampled_from([0, *range(33, 49), 53, 54, 99]),
    octets=st.one_of(
        st.binary(max_size=64),
        st.lists(ist.payloads(), min_size=1, max_size=3)
        .map(construct_encode_payloads)
        .flatmap(ist.mutations_of),
    ),
)
def test_decoders_agree_on_arbitrary_chains(first: int, octets: bytes) -> None:
    assert_chain_decoders_agree(first, octets)


# --------------------------------------------------------------------------- out of range

BAD_PAYLOADS: list[m.Payload] = [
    m.KE(KeyExchangeMethod.MODP_2048, b"", reserved=0x10000),
    m.KE(-1, b""),
    m.Delete(ProtocolId.ESP, 4, (b"\x00\x00\x00\x01", b"\x00\x00\x01")),
    m.TSi((m.TrafficSelector(7, 0, 0, 65535, bytes(16), bytes(16)),)),
    m.TSi((m.TrafficSelector(8, 0, 0, 65536, bytes(16), bytes(16)),)),
    m.TSi((m.RawTrafficSelector(7, 0, b""),)),
    m.UnknownPayload(PayloadType.NONCE, b""),
    m.UnknownPayload(0, b""),
    m.UnknownPayload(256, b""),
    m.SA((m.Proposal(1, 1, b"", (m.Transform(1, 12, (m.TransformAttribute(14, 70000),)),)),)),
    m.SA((m.Proposal(256, 1, b"", ()),)),
    m.SA((m.Proposal(1, 1, b"", (m.Transform(1, 12, reserved=0x10000),)),)),
    m.Notify(16384, spi=bytes(256)),
    m.Notify(65536),
    m.Nonce(b"x", header_reserved=128),
    m.Nonce(bytes(65532)),
    m.CP(1, (m.CPAttribute(1 << 15, b""),)),
    m.CP(1, (m.CPAttribute(1, b"", reserved=2),)),
    m.SKF(0, 1, 1 << 16, b""),
]


@pytest.mark.parametrize("payload", BAD_PAYLOADS, ids=lambda p: type(p).__name__)
def test_encoders_agree_on_out_of_range_models(payload: m.Payload) -> None:
    msg = m.Message.create(ExchangeType.INFORMATIONAL, [payload], spi_i=bytes(8))
    assert _encode_outcome(lambda: encode_v2(msg)) is EncodeError
    assert _encode_outcome(lambda: construct_encode(msg)) is EncodeError


def _int_paths(value: Any, path: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    """Paths to every integer (and bool) field in a model tree."""
    if isinstance(value, int):
        return [path]
    if isinstance(value, tuple):
        return [p for i, v in enumerate(value) for p in _int_paths(v, (*path, i))]
    return []


def _replace(value: Any, path: tuple[int, ...], new: Any) -> Any:
    if not path:
        return new
    items = list(value)
    items[path[0]] = _replace(value[path[0]], path[1:], new)
    return type(value)._make(items) if hasattr(type(value), "_make") else tuple(items)


EDGE_INTEGERS = [-1, 2, 127, 128, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 1 << 24, 1 << 32]


@SETTINGS
@given(msg=ist.messages(), data=st.data())
def test_encoders_agree_on_one_field_out_of_range(msg: m.Message, data: st.DataObject) -> None:
    """One integer field set to a field-width edge value: both encoders give the
    same octets, or both raise EncodeError."""
    path = data.draw(st.sampled_from(_int_paths(msg)), label="field")
    odd = _replace(msg, path, data.draw(st.sampled_from(EDGE_INTEGERS), label="value"))
    assert _encode_outcome(lambda: encode_v2(odd)) == _encode_outcome(lambda: construct_encode(odd))


@pytest.mark.parametrize(
    "msg",
    [
        m.Message(bytes(7), bytes(8), 34, 0, 0),
        m.Message(bytes(8), bytes(8), 256, 0, 0),
        m.Message(bytes(8), bytes(8), 34, 0, 1 << 32),
        m.Message(bytes(8), bytes(8), 34, 0, 0, (), 16, 0),
        m.Message(bytes(8), bytes(8), 34, 0, 0, (m.SK(0, b""), m.Nonce(bytes(16)))),
    ],
    ids=["spi_i", "exchange", "message_id", "major", "sk-not-last"],
)
def test_encoders_agree_on_bad_headers(msg: m.Message) -> None:
    assert _encode_outcome(lambda: encode_v2(msg)) is EncodeError
    assert _encode_outcome(lambda: construct_encode(msg)) is EncodeError


# --------------------------------------------------------------------------- captures


def _datagrams() -> list[tuple[str, bytes]]:
    """Every UDP payload in every capture under vectors/, as IKE would see it:
    port-4500 datagrams with the non-ESP marker stripped (RFC 3948 §2.2)."""
    try:
        from ikewire.pcap import iter_udp
    except ImportError:  # pragma: no cover - the capture reader is another module
        return []
    found: list[tuple[str, bytes]] = []
    patterns = ("*.pcap", "*.pcapng", "*.pcap.gz", "*.pcapng.gz")
    paths = sorted({p for pattern in patterns for p in VECTORS.rglob(pattern)})
    for path in paths:
        try:
            datagrams = list(iter_udp(path))
        except DecodeError:
            continue
        for d in datagrams:
            name = f"{path.relative_to(VECTORS)}#{d.frame}"
            payload = d.payload
            if NAT_T_PORT in (d.sport, d.dport) and payload[:4] == bytes(4):
                payload = payload[4:]
            found.append((name, payload))
    return found


DATAGRAMS = _datagrams()
IKE_FRAMES = [p for _, p in DATAGRAMS if len(p) >= HEADER_LENGTH and p[17] >> 4 == 2]


@pytest.mark.skipif(not DATAGRAMS, reason="no captures in vectors/")
def test_decoders_agree_on_every_capture_datagram() -> None:
    decoded = 0
    for name, payload in DATAGRAMS:
        try:
            assert_decoders_agree(payload)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {payload.hex()}") from exc
        decoded += _outcome(lambda p=payload: construct_decode(p)) is not DecodeError
    assert decoded > 0


@pytest.mark.skipif(not IKE_FRAMES, reason="no IKEv2 frames in vectors/")
@SETTINGS
@given(octets=st.sampled_from(IKE_FRAMES or [b""]).flatmap(ist.mutations_of))
def test_decoders_agree_on_mutated_captures(octets: bytes) -> None:
    """Captured IKEv2 messages, bit-flipped, truncated and spliced (as iked's regress does)."""
    assert_decoders_agree(octets)


# --------------------------------------------------------------------------- wrong types

# Found by differential fuzzing of models with one field replaced by a value of the
# wrong type. Both must raise EncodeError, nothing else. Disagreements found (and
# fixed): codec.py turned an int or tuple in a bytes field into octets through
# bytes() (Nonce(2) → two zero octets, VendorID((1, 2)) → 01 02) and let a TypeError
# escape for an SK/SKF body; v2.py truncated a float payload type with int()
# (UnknownPayload(1.5, b"") → type 1). Still open: codec.py encodes a Transform
# whose attributes are None as one without attributes.
WRONG_TYPES: list[Any] = [
    pytest.param(m.Nonce(2), id="Nonce.data=int"),
    pytest.param(m.VendorID((1, 2)), id="VendorID.data=tuple"),
    pytest.param(m.EAP(()), id="EAP.data=tuple"),
    pytest.param(m.UnknownPayload(200, 3), id="UnknownPayload.data=int"),
    pytest.param(m.UnknownPayload(1.5, b""), id="UnknownPayload.type=float"),
    pytest.param(m.SK(0, ()), id="SK.body=tuple"),
    pytest.param(m.SKF(0, 1, 1, [b"x"]), id="SKF.body=list"),
    pytest.param(m.KE(14, 5), id="KE.data=int"),
    pytest.param(m.Notify(16384, spi=7), id="Notify.spi=int"),
    pytest.param(m.Delete(3, 4, (4,)), id="Delete.spis=int"),
    pytest.param(m.TSi((m.TrafficSelector(7, 0, 0, 1, 4, bytes(4)),)), id="TS.start=int"),
    pytest.param(m.TSi(None), id="TS.selectors=None"),
    pytest.param(
        m.SA((m.Proposal(1, 1, b"", (m.Transform(1, 12, None),)),)),
        id="Transform.attributes=None",
    ),
]


def _leaf_paths(value: Any, path: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    """Paths to every field of a model tree that is not itself a model or tuple of them."""
    if isinstance(value, tuple) and (value or hasattr(type(value), "_fields")):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))]
    return [path]


WRONG_VALUES: list[Any] = [
    1.5,
    "ab",
    2,
    -5,
    (),
    (b"x",),
    [b"x"],
    bytearray(b"ab"),
    memoryview(b"ab"),
]


@SETTINGS
@given(msg=ist.messages(), data=st.data())
def test_encoders_agree_on_one_field_of_wrong_type(msg: m.Message, data: st.DataObject) -> None:
    """One field set to a value of another type (or a bytes-like one): both encoders
    give the same octets, or both raise EncodeError."""
    path = data.draw(st.sampled_from(_leaf_paths(msg)), label="field")
    odd = _replace(msg, path, data.draw(st.sampled_from(WRONG_VALUES), label="value"))
    assert _encode_outcome(lambda: encode_v2(odd)) == _encode_outcome(lambda: construct_encode(odd))


@pytest.mark.parametrize("payload", WRONG_TYPES)
def test_encoders_agree_on_wrong_types(payload: m.Payload) -> None:
    """Both encoders raise EncodeError (and nothing else) for a value of the wrong type."""
    msg = m.Message.create(ExchangeType.INFORMATIONAL, [payload], spi_i=bytes(8))
    assert _encode_outcome(lambda: construct_encode(msg)) is EncodeError
    assert _encode_outcome(lambda: encode_v2(msg)) is EncodeError


@pytest.mark.parametrize(
    "payload",
    [
        m.Nonce(bytearray(b"\x01" * 16)),
        m.SK(PayloadType.IDi, memoryview(b"iv-ciphertext-icv")),
        m.Notify(16393, b"", ProtocolId.ESP, bytearray(4)),
        m.KE(KeyExchangeMethod.CURVE25519, memoryview(bytes(32))),
        m.SA(
            (
                m.Proposal(
                    1,
                    3,
                    bytearray(4),
                    (m.Transform(1, 20, (m.TransformAttribute(99, bytearray(2)),)),),
                ),
            )
        ),
    ],
    ids=["Nonce", "SK", "Notify", "KE", "SA"],
)
def test_encoders_agree_on_bytes_like_fields(payload: m.Payload) -> None:
    """bytearray and memoryview values encode like the bytes they hold, in both."""
    msg = m.Message.create(ExchangeType.INFORMATIONAL, [payload], spi_i=bytearray(8))
    assert encode_v2(msg) == construct_encode(msg)
