"""Key derivation benchmarks, each paired with a bare-``cryptography`` baseline.

Groups (read the ratio ikewire / baseline off each group's medians):

* ``prf+ 7 blocks SHA-256``: prf+ of 224 octets (7 SHA-256 blocks: SK_d, SK_ai, SK_ar,
  SK_ei, SK_er, SK_pi, SK_pr of PRF_HMAC_SHA2_256 + AUTH_HMAC_SHA2_256_128 + AES-CBC-256).
* ``IKE SA keys SHA-256``: SKEYSEED and all SK_* (RFC 7296 §2.14) for that suite.
* ``Child SA keys SHA-256``: KEYMAT for an AES-GCM-16-256 ESP SA (RFC 7296 §2.17).

Run: ``.venv/bin/pytest benchmarks/bench_kdf.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from pytest_benchmark.fixture import BenchmarkFixture

from ikewire.crypto.keys import derive_child_sa_keys, derive_ike_sa_keys
from ikewire.crypto.prf import prf_for

# NIST CAVP IKEv2 SHA-256 COUNT=0 sized inputs (32-octet nonces, X25519-sized g^ir).
NI = bytes(range(32))
NR = bytes(range(32, 64))
GIR = bytes(range(64, 96))
SPI_I = bytes.fromhex("40dac39e0a0bb6c4")
SPI_R = bytes.fromhex("52d0b1a1d2b0e5a4")
SKEYSEED = bytes(range(100, 132))


@dataclass(frozen=True)
class _Suite:
    prf_id: int | None
    encr_id: int | None
    encr_key_bits: int | None
    integ_id: int | None


IKE_SUITE = _Suite(5, 12, 256, 12)  # PRF_HMAC_SHA2_256, ENCR_AES_CBC-256, AUTH_HMAC_SHA2_256_128
ESP_SUITE = _Suite(None, 20, 256, None)  # ENCR_AES_GCM_16-256


def _baseline_prf_plus(key: bytes, seed: bytes, length: int) -> bytes:
    """prf+ written directly with cryptography's HMAC, one object per block."""
    out, t, i = b"", b"", 1
    while len(out) < length:
        h = hmac.HMAC(key, hashes.SHA256())
        h.update(t + seed + bytes((i,)))
        t = h.finalize()
        out += t
        i += 1
    return out[:length]


def _baseline_ike_keys() -> tuple[bytes, ...]:
    h = hmac.HMAC(NI + NR, hashes.SHA256())
    h.update(GIR)
    skeyseed = h.finalize()
    km = _baseline_prf_plus(skeyseed, NI + NR + SPI_I + SPI_R, 224)
    return (
        km[:32],
        km[32:64],
        km[64:96],
        km[96:128],
        km[128:160],
        km[160:192],
        km[192:224],
    )


@pytest.mark.benchmark(group="prf+ 7 blocks SHA-256")
def test_prf_plus_ikewire(benchmark: BenchmarkFixture) -> None:
    prf = prf_for(5)
    seed = NI + NR + SPI_I + SPI_R
    out = benchmark(prf.plus, SKEYSEED, seed, 224)
    assert out == _baseline_prf_plus(SKEYSEED, seed, 224)


@pytest.mark.benchmark(group="prf+ 7 blocks SHA-256")
def test_prf_plus_baseline(benchmark: BenchmarkFixture) -> None:
    benchmark(_baseline_prf_plus, SKEYSEED, NI + NR + SPI_I + SPI_R, 224)


@pytest.mark.benchmark(group="IKE SA keys SHA-256")
def test_ike_sa_keys_ikewire(benchmark: BenchmarkFixture) -> None:
    keys = benchmark(derive_ike_sa_keys, IKE_SUITE, GIR, NI, NR, SPI_I, SPI_R)
    assert (
        keys.sk_d,
        keys.sk_ai,
        keys.sk_ar,
        keys.sk_ei,
        keys.sk_er,
        keys.sk_pi,
        keys.sk_pr,
    ) == _baseline_ike_keys()


@pytest.mark.benchmark(group="IKE SA keys SHA-256")
def test_ike_sa_keys_baseline(benchmark: BenchmarkFixture) -> None:
    benchmark(_baseline_ike_keys)


def _baseline_child_keys() -> tuple[bytes, bytes]:
    km = _baseline_prf_plus(SKEYSEED, NI + NR, 72)
    return km[:36], km[36:]


@pytest.mark.benchmark(group="Child SA keys SHA-256")
def test_child_sa_keys_ikewire(benchmark: BenchmarkFixture) -> None:
    keys = benchmark(derive_child_sa_keys, ESP_SUITE, SKEYSEED, NI, NR, prf_id=5)
    assert (keys.sk_ei, keys.sk_er) == _baseline_child_keys()


@pytest.mark.benchmark(group="Child SA keys SHA-256")
def test_child_sa_keys_baseline(benchmark: BenchmarkFixture) -> None:
    benchmark(_baseline_child_keys)
