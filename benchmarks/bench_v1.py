"""IKEv1 codec benchmarks: ikewire's checked fast path against a plain ``struct``
baseline and the Construct reference, measured in the same run.

Two Main Mode messages from published captures:

* ``mm1``: Main Mode message 1 of suricata-verify's ikev1-isakmp-main-mode.pcap
  (168 octets: SA with 1 proposal, 1 transform of 7 attributes, 4 Vendor IDs);
* ``mm1-12``: Main Mode message 1 of Wireshark's ikev1-bug-12610.pcapng.gz
  (612 octets: SA with 1 proposal of 12 transforms, 8 Vendor IDs).

Each has a decode and an encode group with:

* ``ikewire`` — :func:`ikewire.wire.v1.decode_v1` / :func:`~ikewire.wire.v1.encode_v1`,
  every check kept;
* ``struct_baseline`` — an unchecked ``struct.unpack_from`` walk to plain tuples of the
  same depth (header, payloads, proposals, transforms, attributes, the fields the models
  hold), and the ``struct.pack`` encoder of those tuples computing lengths and chains;
* ``construct`` — the interpreted Construct reference (``construct_decode_v1`` /
  ``construct_encode_v1``).

The target (DESIGN.md) is ikewire ≤ 2× struct_baseline. Run:
``.venv/bin/pytest benchmarks/bench_v1.py``; ``python benchmarks/bench_v1.py`` prints
the ratios with timeit.
"""

from __future__ import annotations

import struct
import timeit
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from ikewire.wire.v1 import construct_decode_v1, construct_encode_v1, decode_v1, encode_v1

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


@cache
def _first(capture: Path, size: int) -> bytes:
    from ikewire.pcap import iter_udp

    data = next(iter(iter_udp(capture))).payload
    assert len(data) == size
    return data


def mm1() -> bytes:
    return _first(VECTORS / "suricata-verify/ikev1-rules/ikev1-isakmp-main-mode.pcap", 168)


def mm1_12() -> bytes:
    return _first(VECTORS / "wireshark/captures/ikev1-bug-12610.pcapng.gz", 612)


MESSAGES = {"mm1": mm1, "mm1-12": mm1_12}


# =========================================================================== struct baseline

_HEADER = struct.Struct(">8s8sBBBBII")
_GENERIC = struct.Struct(">BBH")
_II = struct.Struct(">II")
_BBBB = struct.Struct(">BBBB")
_BBH = struct.Struct(">BBH")
_HH = struct.Struct(">HH")


def struct_decode(data: bytes) -> tuple[Any, ...]:
    """An unchecked walk to tuples: header; per payload (type, reserved, body), where the
    SA body is DOI, situation, proposals → transforms → attributes and other bodies are
    raw octets (Main Mode message 1 holds only SA and Vendor ID payloads)."""
    spi_i, spi_r, payload_type, version, exchange, flags, message_id, _ = _HEADER.unpack_from(
        data, 0
    )
    unpack_generic = _GENERIC.unpack_from
    offset = 28
    payloads = []
    while payload_type:
        next_type, reserved, length = unpack_generic(data, offset)
        start = offset + 4
        end = offset + length
        body: Any
        if payload_type == 1:
            doi, situation = _II.unpack_from(data, start)
            proposals = []
            p_offset = start + 8
            while p_offset < end:
                _, p_reserved, p_length = unpack_generic(data, p_offset)
                number, protocol, spi_size, _ = _BBBB.unpack_from(data, p_offset + 4)
                p_end = p_offset + p_length
                t_offset = p_offset + 8 + spi_size
                spi = data[p_offset + 8 : t_offset]
                transforms = []
                while t_offset < p_end:
                    _, t_reserved, t_length = unpack_generic(data, t_offset)
                    t_number, t_id, reserved2 = _BBH.unpack_from(data, t_offset + 4)
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
                    transforms.append((t_number, t_id, tuple(attributes), reserved2, t_reserved))
                    t_offset = t_end
                proposals.append((number, protocol, spi, tuple(transforms), p_reserved))
                p_offset = p_end
            body = (doi, situation, tuple(proposals))
        else:
            body = data[start:end]
        payloads.append((payload_type, body, reserved))
        offset = end
        payload_type = next_type
    return (spi_i, spi_r, exchange, flags, message_id, tuple(payloads), version)


def struct_encode(message: tuple[Any, ...]) -> bytes:
    """The ``struct.pack`` encoder of :func:`struct_decode`'s tuples, no checks."""
    spi_i, spi_r, exchange, flags, message_id, payloads, version = message
    pack_generic = _GENERIC.pack
    parts = [b""]
    total = 28
    count = len(payloads)
    for index, (payload_type, body, reserved) in enumerate(payloads):
        if payload_type == 1:
            doi, situation, proposals = body
            pieces = [_II.pack(doi, situation)]
            last_p = len(proposals) - 1
            for p_index, (number, protocol, spi, transforms, p_reserved) in enumerate(proposals):
                t_pieces = []
                last_t = len(transforms) - 1
                for t_index, (t_number, t_id, attributes, reserved2, t_reserved) in enumerate(
                    transforms
                ):
                    encoded = b"".join(
                        [
                            _HH.pack(0x8000 | kind, value)
                            if isinstance(value, int)
                            else _HH.pack(kind, len(value)) + value
                            for kind, value in attributes
                        ]
                    )
                    t_pieces.append(
                        pack_generic(3 if t_index < last_t else 0, t_reserved, 8 + len(encoded))
                        + _BBH.pack(t_number, t_id, reserved2)
                        + encoded
                    )
                t_body = b"".join(t_pieces)
                pieces.append(
                    pack_generic(
                        2 if p_index < last_p else 0, p_reserved, 8 + len(spi) + len(t_body)
                    )
                    + _BBBB.pack(number, protocol, len(spi), len(transforms))
                    + spi
                    + t_body
                )
            encoded_body = b"".join(pieces)
        else:
            encoded_body = body
        next_type = payloads[index + 1][0] if index + 1 < count else 0
        length = 4 + len(encoded_body)
        parts.append(pack_generic(next_type, reserved, length))
        parts.append(encoded_body)
        total += length
    first = payloads[0][0] if payloads else 0
    parts[0] = _HEADER.pack(spi_i, spi_r, first, version, exchange, flags, message_id, total)
    return b"".join(parts)


# =========================================================================== benchmarks


@pytest.fixture(params=sorted(MESSAGES))
def message(request: pytest.FixtureRequest) -> tuple[str, bytes]:
    name: str = request.param
    return name, MESSAGES[name]()


def test_ikewire_decode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    benchmark.group = f"v1-decode-{name}"
    msg = benchmark(decode_v1, data)
    assert encode_v1(msg) == data


def test_struct_baseline_decode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    benchmark.group = f"v1-decode-{name}"
    parsed = benchmark(struct_decode, data)
    assert struct_encode(parsed) == data
    assert len(parsed[5]) == len(decode_v1(data).payloads)


def test_construct_decode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    benchmark.group = f"v1-decode-{name}"
    assert benchmark(construct_decode_v1, data) == decode_v1(data)


def test_ikewire_encode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    benchmark.group = f"v1-encode-{name}"
    assert benchmark(encode_v1, decode_v1(data)) == data


def test_struct_baseline_encode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    benchmark.group = f"v1-encode-{name}"
    assert benchmark(struct_encode, struct_decode(data)) == data


def test_construct_encode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    benchmark.group = f"v1-encode-{name}"
    assert benchmark(construct_encode_v1, decode_v1(data)) == data


def _best(func: Any, arg: Any, number: int) -> float:
    """Best of 7 timeit runs, in microseconds per call."""
    return min(timeit.repeat(lambda: func(arg), number=number, repeat=7)) / number * 1e6


def main() -> None:  # pragma: no cover - a report, run by hand
    print(
        f"{'message':8} {'op':7} {'ikewire µs':>11} {'struct µs':>10} {'ratio':>6} {'construct µs':>13}"
    )
    for name, make in MESSAGES.items():
        data = make()
        msg, tup = decode_v1(data), struct_decode(data)
        rows = [
            ("decode", (decode_v1, data), (struct_decode, data), (construct_decode_v1, data)),
            ("encode", (encode_v1, msg), (struct_encode, tup), (construct_encode_v1, msg)),
        ]
        for op, fast, base, ref in rows:
            f = _best(*fast, number=2000)
            b = _best(*base, number=2000)
            r = _best(*ref, number=20)
            print(f"{name:8} {op:7} {f:11.1f} {b:10.1f} {f / b:6.2f} {r:13.1f}")


if __name__ == "__main__":  # pragma: no cover
    main()
