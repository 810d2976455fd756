"""Round-trip and totality properties of the IKEv2 codecs, over every strategy in
ikewire.testing.strategies.

* ``decode(encode(m)) == m`` for every generated model, payload class by payload class;
* ``encode(decode(b)) == b`` for the octets of every generated message;
* arbitrary octets and mutated valid messages raise only ``DecodeError``
  (RFC 7296 §2.21: a malformed message is answered, never a crash).

Each property runs against the Construct declarations (``ikewire.wire.v2``) and,
once it exists, the public ``ikewire.wire.decode``/``encode``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikewire import DecodeError
from ikewire.constants import ExchangeType, PayloadType
from ikewire.testing import strategies as ist
from ikewire.wire import models as m
from ikewire.wire.v2 import (
    HEADER_LENGTH,
    construct_decode,
    construct_decode_payloads,
    construct_encode,
    construct_encode_payloads,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Decode = Callable[[bytes], m.Message]
Encode = Callable[[m.Message], bytes]


def _codecs() -> list[Any]:
    """The codecs under test: the Construct reference, and ``ikewire.wire`` when present."""
    codecs: list[Any] = [pytest.param((construct_decode, construct_encode), id="construct")]
    try:
        wire = importlib.import_module("ikewire.wire")
        codecs.append(pytest.param((wire.decode, wire.encode), id="ikewire.wire"))
    except (ImportError, AttributeError):
        codecs.append(
            pytest.param(
                None,
                id="ikewire.wire",
                marks=pytest.mark.skip(reason="ikewire.wire.decode/encode not there yet"),
            )
        )
    return codecs


CODECS = _codecs()

#: Every payload strategy, by name; SK and SKF end a chain and are tested last in it.
PAYLOAD_STRATEGIES: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    "sa_payloads": ist.sa_payloads,
    "ke_payloads": ist.ke_payloads,
    "idi_payloads": ist.idi_payloads,
    "idr_payloads": ist.idr_payloads,
    "cert_payloads": ist.cert_payloads,
    "certreq_payloads": ist.certreq_payloads,
    "auth_payloads": ist.auth_payloads,
    "nonce_payloads": ist.nonce_payloads,
    "notify_payloads": ist.notify_payloads,
    "delete_payloads": ist.delete_payloads,
    "vendor_id_payloads": ist.vendor_id_payloads,
    "tsi_payloads": ist.tsi_payloads,
    "tsr_payloads": ist.tsr_payloads,
    "sk_payloads": ist.sk_payloads,
    "skf_payloads": ist.skf_payloads,
    "cp_payloads": ist.cp_payloads,
    "eap_payloads": ist.eap_payloads,
    "unknown_payloads": ist.unknown_payloads,
    "payloads": ist.payloads,
}


def _wrap(payloads: list[m.Payload]) -> m.Message:
    return m.Message.create(ExchangeType.IKE_AUTH, payloads, spi_i=b"\x01" * 8, message_id=1)


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("name", sorted(PAYLOAD_STRATEGIES))
@FEW
@given(data=st.data())
def test_payload_round_trip(codec: tuple[Decode, Encode], name: str, data: st.DataObject) -> None:
    """Each payload class survives encode → decode, alone and followed by a Nonce."""
    decode, encode = codec
    payload = data.draw(PAYLOAD_STRATEGIES[name](), label=name)
    chains = [[payload]]
    if payload.type not in (PayloadType.SK, PayloadType.SKF):
        chains.append([payload, m.Nonce(bytes(16))])
    for chain in chains:
        msg = _wrap(chain)
        octets = encode(msg)
        assert decode(octets) == msg
        assert encode(decode(octets)) == octets


@pytest.mark.parametrize(
    "strategy",
    [ist.proposals, ist.transforms, ist.transform_attributes],
    ids=["proposals", "transforms", "transform_attributes"],
)
@FEW
@given(data=st.data())
def test_sa_substructures_round_trip(
    strategy: Callable[[], st.SearchStrategy[Any]], data: st.DataObject
) -> None:
    """Proposals, transforms and attributes (RFC 7296 §3.3.1–§3.3.5) in an SA payload."""
    item = data.draw(strategy())
    if isinstance(item, m.TransformAttribute):
        item = m.Transform(1, 12, (item,))
    if isinstance(item, m.Transform):
        item = m.Proposal(1, 1, b"", (item,))
    payload = m.SA((item,))
    octets = construct_encode_payloads([payload])
    assert construct_decode_payloads(PayloadType.SA, octets) == (payload,)


@pytest.mark.parametrize(
    "strategy",
    [ist.traffic_selectors, ist.raw_traffic_selectors, ist.cp_attributes],
    ids=["traffic_selectors", "raw_traffic_selectors", "cp_attributes"],
)
@FEW
@given(data=st.data())
def test_other_substructures_round_trip(
    strategy: Callable[[], st.SearchStrategy[Any]], data: st.DataObject
) -> None:
    """Traffic selectors (RFC 7296 §3.13.1) and configuration attributes (§3.15.1)."""
    item = data.draw(strategy())
    payload: m.Payload = m.CP(1, (item,)) if isinstance(item, m.CPAttribute) else m.TSr((item,))
    octets = construct_encode_payloads([payload])
    assert construct_decode_payloads(payload.type, octets) == (payload,)


@pytest.mark.parametrize("codec", CODECS)
@SETTINGS
@given(msg=ist.messages())
def test_message_round_trip(codec: tuple[Decode, Encode], msg: m.Message) -> None:
    """decode(encode(m)) == m and encode(decode(b)) == b for whole messages."""
    decode, encode = codec
    octets = encode(msg)
    assert int.from_bytes(octets[24:28], "big") == len(octets)
    assert decode(octets) == msg
    assert encode(decode(octets)) == octets


@st.composite
def framed_garbage(draw: st.DrawFn) -> bytes:
    """A header whose Length is right and whose first payload type is modelled,
    followed by arbitrary octets: reaches the payload parsers, not just the header."""
    body = draw(st.binary(max_size=120))
    first = draw(st.sampled_from([0, *range(33, 49), 53, 54, 200]))
    header = (
        draw(st.binary(min_size=16, max_size=16))
        + bytes([first, 0x20, 34, 0x08])
        + bytes(4)
        + (HEADER_LENGTH + len(body)).to_bytes(4, "big")
    )
    return header + body


def _decode_only_decode_error(decode: Decode, octets: bytes) -> None:
    try:
        msg = decode(octets)
    except DecodeError as exc:
        assert exc.offset is None or 0 <= exc.offset <= len(octets)
        return
    assert isinstance(msg, m.Message)


@pytest.mark.parametrize("codec", CODECS)
@SETTINGS
@given(octets=st.one_of(st.binary(max_size=64), framed_garbage()))
def test_arbitrary_octets_raise_only_decode_error(
    codec: tuple[Decode, Encode], octets: bytes
) -> None:
    _decode_only_decode_error(codec[0], octets)


@pytest.mark.parametrize("codec", CODECS)
@SETTINGS
@given(octets=ist.mutated_messages())
def test_mutated_messages_raise_only_decode_error(
    codec: tuple[Decode, Encode], octets: bytes
) -> None:
    """Bit-flipped, truncated and spliced messages: a message or DecodeError."""
    decode, encode = codec
    try:
        msg = decode(octets)
    except DecodeError:
        return
    assert encode(msg) == octets  # what decodes is well formed: exact round trip


@FEW
@given(first=st.integers(0, 255), octets=st.binary(max_size=80))
def test_bare_chain_raises_only_decode_error(first: int, octets: bytes) -> None:
    """The SK plaintext path (RFC 7296 §3.14): any inner chain decodes or raises DecodeError."""
    try:
        payloads = construct_decode_payloads(first, octets)
    except DecodeError:
        return
    assert construct_encode_payloads(payloads) == octets


def test_importing_ikewire_does_not_import_hypothesis() -> None:
    """Hypothesis is a dev extra: ikewire and ikewire.testing import without it."""
    import subprocess
    import sys

    code = (
        "import sys, ikewire, ikewire.testing, ikewire.wire.v2; "
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
