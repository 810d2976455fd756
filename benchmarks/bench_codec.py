"""IKEv2 codec benchmarks: ikewire's checked fast path against a plain ``struct``
baseline and scapy, measured in the same run (issue 2's speed target).

Two messages:

* ``ike-sa-init``: a 232-octet IKE_SA_INIT request, frame 1 of Wireshark's
  ``ikev2-decrypt-aes256gcm8.pcap`` (vectors/wireshark/captures): SA (1 proposal,
  3 transforms, 1 attribute), KE, Nonce, two NAT_DETECTION notifies;
* ``sa-25``: an IKE_SA_INIT request with an SA of 3 proposals and 25 transforms
  (built with the models), KE and Nonce.

Each has a decode group and an encode group, each with:

* ``ikewire`` — :func:`ikewire.wire.decode_v2` / :func:`~ikewire.wire.encode_v2`,
  every check of the codec kept;
* ``struct_baseline`` — a hand-written ``struct.unpack_from`` walk with no checks
  to plain tuples of the same depth (header, payloads, proposals, transforms,
  attributes, the same fields the models hold), and the ``struct.pack`` encoder
  of those tuples computing lengths, chains and markers;
* ``scapy`` — ``IKEv2(data)`` (scapy dissects every layer on construction; the
  benchmark reads the last layer), and ``bytes(pkt)`` of a dissected packet after
  ``clear_cache()`` so that it is rebuilt field by field.

The target is ikewire ≤ 2× struct_baseline; ``benchmarks/conftest.py`` prints the
ratios after the run, and ``benchmarks/report.py`` prints the same table with
timeit. Run: ``.venv/bin/pytest benchmarks/bench_codec.py`` (on a loaded machine add
``--benchmark-timer=time.process_time``).
"""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from ikewire.constants import (
    EncrId,
    ExchangeType,
    IntegId,
    KeyExchangeMethod,
    PrfId,
    ProtocolId,
    TransformType,
)
from ikewire.wire import (
    KE,
    SA,
    Message,
    Nonce,
    Proposal,
    Transform,
    TransformAttribute,
    decode_v2,
    encode_v2,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
CAPTURE = VECTORS / "wireshark" / "captures" / "ikev2-decrypt-aes256gcm8.pcap"


# =========================================================================== messages


@cache
def ike_sa_init() -> bytes:
    """The 232-octet IKE_SA_INIT request (frame 1 of ikev2-decrypt-aes256gcm8.pcap)."""
    from ikewire.pcap import iter_udp

    data = next(iter(iter_udp(CAPTURE))).payload
    assert len(data) == 232
    return data


def _transform(kind: TransformType, ident: int, key_bits: int | None = None) -> Transform:
    attributes = (TransformAttribute(14, key_bits),) if key_bits else ()
    return Transform(kind, ident, attributes)


@cache
def sa_25() -> bytes:
    """IKE_SA_INIT with an SA of 3 proposals / 25 transforms, KE and Nonce."""
    e, p, i, k = TransformType.ENCR, TransformType.PRF, TransformType.INTEG, TransformType.KE
    aead = (
        *(_transform(e, EncrId.ENCR_AES_GCM_16, bits) for bits in (256, 192, 128)),
        *(_transform(e, EncrId.ENCR_AES_GCM_12, bits) for bits in (256, 128)),
        _transform(e, EncrId.ENCR_CHACHA20_POLY1305),
        _transform(p, PrfId.PRF_HMAC_SHA2_512),
        _transform(p, PrfId.PRF_HMAC_SHA2_384),
        _transform(p, PrfId.PRF_HMAC_SHA2_256),
        _transform(k, KeyExchangeMethod.CURVE25519),
    )
    cbc = (
        *(_transform(e, EncrId.ENCR_AES_CBC, bits) for bits in (256, 128)),
        _transform(p, PrfId.PRF_HMAC_SHA2_256),
        _transform(p, PrfId.PRF_HMAC_SHA1),
        _transform(i, IntegId.AUTH_HMAC_SHA2_256_128),
        _transform(i, IntegId.AUTH_HMAC_SHA1_96),
        _transform(k, KeyExchangeMethod.ECP_256),
        _transform(k, KeyExchangeMethod.MODP_2048),
    )
    legacy = (
        _transform(e, EncrId.ENCR_3DES),
        _transform(e, EncrId.ENCR_AES_CTR, 128),
        _transform(p, PrfId.PRF_HMAC_SHA1),
        _transform(i, IntegId.AUTH_HMAC_SHA1_96),
        _transform(i, IntegId.AUTH_AES_XCBC_96),
        _transform(k, KeyExchangeMethod.MODP_2048),
        _transform(k, KeyExchangeMethod.MODP_1536),
    )
    proposals = tuple(
        Proposal(n, ProtocolId.IKE, b"", ts) for n, ts in enumerate((aead, cbc, legacy), 1)
    )
    assert sum(len(x.transforms) for x in proposals) == 25
    msg = Message.create(
        ExchangeType.IKE_SA_INIT,
        [SA(proposals), KE(KeyExchangeMethod.CURVE25519, bytes(range(32))), Nonce(bytes(32))],
        spi_i=bytes.fromhex("0123456789abcdef"),
    )
    return encode_v2(msg)


MESSAGES = {"ike-sa-init": ike_sa_init, "sa-25": sa_25}


# =========================================================================== struct baseline

_HEADER = struct.Struct(">8s8sBBBBII")
_GENERIC = struct.Struct(">BBH")
_PROPOSAL = struct.Struct(">BBHBBBB")
_TRANSFORM = struct.Struct(">BBHBBH")
_HH = struct.Struct(">HH")
_BBH = struct.Struct(">BBH")


def struct_decode(data: bytes) -> tuple[Any, ...]:
    """An unchecked ``struct.unpack_from`` walk to plain tuples holding the fields
    the models hold: header; per payload (type, critical, reserved, body), where
    the SA body is proposals → transforms → attributes, KE and Notify bodies are
    split into their fields, other bodies are raw octets."""
    spi_i, spi_r, payload_type, version, exchange, flags, message_id, _ = _HEADER.unpack_from(
        data, 0
    )
    unpack_generic = _GENERIC.unpack_from
    offset = 28
    payloads = []
    while payload_type:
        next_type, bits, length = unpack_generic(data, offset)
        start = offset + 4
        end = offset + length
        body: Any
        if payload_type == 33:
            proposals = []
            p_offset = start
            while p_offset < end:
                _, reserved, p_length, number, protocol, spi_size, _ = _PROPOSAL.unpack_from(
                    data, p_offset
                )
                p_end = p_offset + p_length
                t_offset = p_offset + 8 + spi_size
                spi = data[p_offset + 8 : t_offset]
                transforms = []
                while t_offset < p_end:
                    _, r1, t_length, t_type, r2, t_id = _TRANSFORM.unpack_from(data, t_offset)
                    t_end = t_offset + t_length
                    attributes = []
                    a_offset = t_offset + 8
                    while a_offset < t_end:
                        kind, value = _HH.unpack_from(data, a_offset)
                        if kind & 0x8000:
                            attributes.append((kind & 0x7FFF, value))
                            a_offset += 4
                        else:
                            attributes.append((kind, data[a_offset + 4 : a_offset + 4 + value]))
                            a_offset += 4 + value
                    transforms.append((t_type, t_id, tuple(attributes), r1 << 8 | r2))
                    t_offset = t_end
                proposals.append((number, protocol, spi, tuple(transforms), reserved))
                p_offset = p_end
            body = tuple(proposals)
        elif payload_type == 34:
            group, reserved = _HH.unpack_from(data, start)
            body = (group, data[start + 4 : end], reserved)
        elif payload_type == 41:
            protocol, spi_size, notify_type = _BBH.unpack_from(data, start)
            spi_end = start + 4 + spi_size
            body = (notify_type, data[spi_end:end], protocol, data[start + 4 : spi_end])
        else:
            body = data[start:end]
        payloads.append((payload_type, body, bits >> 7, bits & 0x7F))
        offset = end
        payload_type = 0 if payload_type == 46 else next_type
    return (spi_i, spi_r, exchange, flags, message_id, tuple(payloads), version)


def struct_encode(message: tuple[Any, ...]) -> bytes:
    """The ``struct.pack`` encoder of :func:`struct_decode`'s tuples: lengths,
    Next Payload chain and Last Substruc markers computed, no checks."""
    spi_i, spi_r, exchange, flags, message_id, payloads, version = message
    pack_generic = _GENERIC.pack
    parts = [b""]
    total = 28
    count = len(payloads)
    for index, (payload_type, body, critical, reserved) in enumerate(payloads):
        if payload_type == 33:
            pieces = []
            last_p = len(body) - 1
            for p_index, (number, protocol, spi, transforms, p_reserved) in enumerate(body):
                t_pieces = []
                last_t = len(transforms) - 1
                for t_index, (t_type, t_id, attributes, t_reserved) in enumerate(transforms):
                    encoded = b"".join(
                        [
                            _HH.pack(0x8000 | kind, value)
                            if isinstance(value, int)
                            else _HH.pack(kind, len(value)) + value
                            for kind, value in attributes
                        ]
                    )
                    t_pieces.append(
                        _TRANSFORM.pack(
                            3 if t_index < last_t else 0,
                            t_reserved >> 8,
                            8 + len(encoded),
                            t_type,
                            t_reserved & 0xFF,
                            t_id,
                        )
                        + encoded
                    )
                t_body = b"".join(t_pieces)
                pieces.append(
                    _PROPOSAL.pack(
                        2 if p_index < last_p else 0,
                        p_reserved,
                        8 + len(spi) + len(t_body),
                        number,
                        protocol,
                        len(spi),
                        len(transforms),
                    )
                    + spi
                    + t_body
                )
            encoded_body = b"".join(pieces)
        elif payload_type == 34:
            group, ke_data, ke_reserved = body
            encoded_body = _HH.pack(group, ke_reserved) + ke_data
        elif payload_type == 41:
            notify_type, notify_data, protocol, spi = body
            encoded_body = _BBH.pack(protocol, len(spi), notify_type) + spi + notify_data
        else:
            encoded_body = body
        next_type = payloads[index + 1][0] if index + 1 < count else 0
        length = 4 + len(encoded_body)
        parts.append(pack_generic(next_type, critical << 7 | reserved, length))
        parts.append(encoded_body)
        total += length
    first = payloads[0][0] if payloads else 0
    parts[0] = _HEADER.pack(spi_i, spi_r, first, version, exchange, flags, message_id, total)
    return b"".join(parts)


# =========================================================================== scapy


def scapy_decode(data: bytes) -> Any:
    """scapy's full dissection (eager: every layer is built on construction)."""
    from scapy.contrib.ikev2 import IKEv2

    packet = IKEv2(data)
    packet.lastlayer()
    return packet


def scapy_encode(packet: Any) -> bytes:
    """scapy rebuilding a dissected packet field by field (its byte cache cleared)."""
    packet.clear_cache()
    return bytes(packet)


# =========================================================================== benchmarks


@pytest.fixture(params=sorted(MESSAGES))
def message(request: pytest.FixtureRequest) -> tuple[str, bytes]:
    name: str = request.param
    return name, MESSAGES[name]()


def _group(benchmark: BenchmarkFixture, kind: str, name: str) -> None:
    benchmark.group = f"{kind}-{name}"


def test_ikewire_decode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    _group(benchmark, "decode", name)
    msg = benchmark(decode_v2, data)
    assert encode_v2(msg) == data


def test_struct_baseline_decode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    _group(benchmark, "decode", name)
    parsed = benchmark(struct_decode, data)
    assert struct_encode(parsed) == data
    assert len(parsed[5]) == len(decode_v2(data).payloads)


def test_scapy_decode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    pytest.importorskip("scapy")
    name, data = message
    _group(benchmark, "decode", name)
    packet = benchmark(scapy_decode, data)
    assert bytes(packet) == data


def test_ikewire_encode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    _group(benchmark, "encode", name)
    assert benchmark(encode_v2, decode_v2(data)) == data


def test_struct_baseline_encode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    _group(benchmark, "encode", name)
    assert benchmark(struct_encode, struct_decode(data)) == data


def test_scapy_encode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    pytest.importorskip("scapy")
    name, data = message
    _group(benchmark, "encode", name)
    assert benchmark(scapy_encode, scapy_decode(data)) == data
