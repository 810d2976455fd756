"""Construct reference codec benchmarks (ikewire.wire.v2), beside the fast codec's.

The messages are the codec benchmark's own (``bench_codec.MESSAGES``): ``ike-sa-init``,
the 232-octet IKE_SA_INIT request of Wireshark's ``ikev2-decrypt-aes256gcm8.pcap``,
and ``sa-25``, an SA of 3 proposals and 25 transforms. The groups are named like the
codec benchmark's (``decode-ike-sa-init``, ``encode-ike-sa-init``, ``decode-sa-25``,
``encode-sa-25``), so in one run ``benchmarks/conftest.py`` prints these rows against
the same ``struct_baseline``.

* decode: Construct's interpreted parse to a Container (``construct_interpreted_parse``);
  the same plus conversion to models (``construct_decode``); the ``.compile()``d parser
  (``construct_compiled_parse_unchecked``), for reference only — construct's docs say
  compiled parsers skip checks and must not parse untrusted input.
* encode: Construct's interpreted build from a Container (``construct_interpreted_build``);
  the same from models (``construct_encode``).

Run: ``.venv/bin/pytest benchmarks/bench_construct.py benchmarks/bench_codec.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from ikewire.wire.v2 import MESSAGE, construct_decode, construct_encode

try:  # the codec benchmark's messages, so that both benchmarks measure the same octets
    from bench_codec import MESSAGES
except ImportError:  # pragma: no cover - run from another directory
    MESSAGES: dict[str, Callable[[], bytes]] = {}  # type: ignore[no-redef]


@cache
def _compiled() -> Any:
    return MESSAGE.compile()


@pytest.fixture(params=sorted(MESSAGES) or [pytest.param("", marks=pytest.mark.skip)])
def message(request: pytest.FixtureRequest) -> tuple[str, bytes]:
    name: str = request.param
    return name, MESSAGES[name]()


def test_construct_interpreted_parse(
    benchmark: BenchmarkFixture, message: tuple[str, bytes]
) -> None:
    name, data = message
    benchmark.group = f"decode-{name}"
    parsed = benchmark(MESSAGE.parse, data)
    assert MESSAGE.build(parsed) == data


def test_construct_decode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    benchmark.group = f"decode-{name}"
    msg = benchmark(construct_decode, data)
    assert construct_encode(msg) == data


def test_construct_compiled_parse_unchecked(
    benchmark: BenchmarkFixture, message: tuple[str, bytes]
) -> None:
    name, data = message
    benchmark.group = f"decode-{name}"
    compiled = _compiled()
    parsed = benchmark(compiled.parse, data)
    assert [p.type for p in parsed.payloads] == [p.type for p in MESSAGE.parse(data).payloads]


def test_construct_interpreted_build(
    benchmark: BenchmarkFixture, message: tuple[str, bytes]
) -> None:
    name, data = message
    benchmark.group = f"encode-{name}"
    assert benchmark(MESSAGE.build, MESSAGE.parse(data)) == data


def test_construct_encode(benchmark: BenchmarkFixture, message: tuple[str, bytes]) -> None:
    name, data = message
    benchmark.group = f"encode-{name}"
    assert benchmark(construct_encode, construct_decode(data)) == data
