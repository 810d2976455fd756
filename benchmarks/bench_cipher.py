"""SK payload open/seal benchmarks, each paired with a bare-``cryptography`` baseline.

Target (issue 3, DESIGN.md "Performance targets"): SK open/seal of 300 octets of inner
payloads ≤ 1.3× the bare ``cryptography`` call(s) on the same bytes, in the same run.

Groups (read the ratio ikewire / baseline off each group's medians). This machine's
timings drift between runs, so :func:`test_interleaved_ratios` (and
``.venv/bin/python benchmarks/report_cipher.py``) also times each pair in alternation and
prints the ratios:

* ``open|seal AES-GCM-16-256``: :class:`SKCipher` vs one ``AESGCM.decrypt`` /
  ``AESGCM.encrypt`` given the nonce and ciphertext already split and padded.
* ``open|seal ChaCha20-Poly1305``: the same with ``ChaCha20Poly1305``.
* ``open|seal AES-CBC-256 + HMAC-SHA2-256-128``: vs ``Cipher(AES, CBC(iv))`` and a
  keyed ``hmac.HMAC(SHA256)`` computed over the same octets, the ICV compared with
  ``hmac.compare_digest`` (the ``algorithms.AES`` key object built once, like ours).

Run: ``.venv/bin/pytest benchmarks/bench_cipher.py``.
"""

from __future__ import annotations

import hmac as _hmac
import statistics
import timeit
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from pytest_benchmark.fixture import BenchmarkFixture

from ikewire.crypto.cipher import SKCipher, sk_cipher

INNER = bytes(range(256)) + bytes(range(44))  # 300 octets of inner payloads
AAD = bytes.fromhex("0158b8fb90b7623d13514610cea161602e20230800000001000001542300013c")


@dataclass(frozen=True)
class CipherCase:
    """One SK transform: the ikewire calls and the bare-cryptography baselines."""

    name: str
    cipher: SKCipher
    body: bytes
    padded: bytes
    ikewire_open: Callable[[], bytes]
    ikewire_seal: Callable[[], bytes]
    baseline_open: Callable[[], bytes]
    baseline_seal: Callable[[], bytes]


def _aead_case(name: str, encr_id: int, aead: AESGCM | ChaCha20Poly1305) -> CipherCase:
    key, salt, iv = bytes(range(1, 33)), bytes.fromhex("a0a1a2a3"), bytes(range(8))
    cipher = sk_cipher(encr_id, 256, 0, key + salt)
    body = cipher.seal(AAD, INNER, iv)
    nonce, sealed, padded = salt + iv, body[8:], INNER + b"\x00"
    decrypt, encrypt = aead.decrypt, aead.encrypt
    return CipherCase(
        name,
        cipher,
        body,
        padded,
        lambda: cipher.open(AAD, body),
        lambda: cipher.seal(AAD, INNER, iv),
        lambda: decrypt(nonce, sealed, AAD),
        lambda: encrypt(nonce, padded, AAD),
    )


def _cbc_case() -> CipherCase:
    key, sk_a, iv = bytes(range(1, 33)), bytes(range(64, 96)), bytes(range(16))
    cipher = sk_cipher(12, 256, 12, key, sk_a)
    padding = bytes(cipher.pad_length(len(INNER)))
    body = cipher.seal(AAD, INNER, iv, padding)
    padded = INNER + padding + bytes((len(padding),))
    signed, icv, ciphertext = body[:-16], body[-16:], body[16:-16]
    aes = algorithms.AES(key)

    def baseline_open() -> bytes:
        h = hmac.HMAC(sk_a, hashes.SHA256())
        h.update(AAD)
        h.update(signed)
        if not _hmac.compare_digest(h.finalize()[:16], icv):
            raise AssertionError("ICV")
        decryptor = Cipher(aes, modes.CBC(iv)).decryptor()
        return decryptor.update(ciphertext) + decryptor.finalize()

    def baseline_seal() -> bytes:
        encryptor = Cipher(aes, modes.CBC(iv)).encryptor()
        out = encryptor.update(padded) + encryptor.finalize()
        h = hmac.HMAC(sk_a, hashes.SHA256())
        h.update(AAD)
        h.update(iv + out)
        return out + h.finalize()[:16]

    return CipherCase(
        "AES-CBC-256 + HMAC-SHA2-256-128",
        cipher,
        body,
        padded,
        lambda: cipher.open(AAD, body),
        lambda: cipher.seal(AAD, INNER, iv, padding),
        baseline_open,
        baseline_seal,
    )


CASES = (
    _aead_case("AES-GCM-16-256", 20, AESGCM(bytes(range(1, 33)))),
    _aead_case("ChaCha20-Poly1305", 28, ChaCha20Poly1305(bytes(range(1, 33)))),
    _cbc_case(),
)
_IDS = [c.name for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_open_ikewire(benchmark: BenchmarkFixture, case: CipherCase) -> None:
    benchmark.group = f"open {case.name}"
    assert benchmark(case.ikewire_open) == INNER


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_open_baseline(benchmark: BenchmarkFixture, case: CipherCase) -> None:
    benchmark.group = f"open {case.name}"
    assert benchmark(case.baseline_open) == case.padded


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_seal_ikewire(benchmark: BenchmarkFixture, case: CipherCase) -> None:
    benchmark.group = f"seal {case.name}"
    assert benchmark(case.ikewire_seal) == case.body


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_seal_baseline(benchmark: BenchmarkFixture, case: CipherCase) -> None:
    benchmark.group = f"seal {case.name}"
    assert benchmark(case.baseline_seal) == case.body[case.cipher.iv_size :]


def interleaved_ratios(
    rounds: int = 40, number: int = 2000
) -> list[tuple[str, float, float, float, float]]:
    """(operation, ikewire µs, bare µs, ratio of minima, median of per-round ratios) for
    each case, timing the ikewire call and its baseline in alternating short rounds."""
    rows = []
    for case in CASES:
        for op, ours, bare in (
            ("open", case.ikewire_open, case.baseline_open),
            ("seal", case.ikewire_seal, case.baseline_seal),
        ):
            a: list[float] = []
            b: list[float] = []
            for _ in range(rounds):
                a.append(timeit.timeit(ours, number=number) / number * 1e6)
                b.append(timeit.timeit(bare, number=number) / number * 1e6)
            ratio_median = statistics.median(x / y for x, y in zip(a, b, strict=True))
            rows.append((f"{op} {case.name}", min(a), min(b), min(a) / min(b), ratio_median))
    return rows


def format_ratios(rows: list[tuple[str, float, float, float, float]]) -> str:
    lines = [f"{'operation':<42} {'ikewire µs':>10} {'bare µs':>8} {'min ratio':>9} {'median':>7}"]
    for name, ours, bare, ratio_min, ratio_median in rows:
        lines.append(
            f"{name:<42} {ours:>10.2f} {bare:>8.2f} {ratio_min:>9.2f} {ratio_median:>7.2f}"
        )
    return "\n".join(lines)


def test_interleaved_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    """Print ikewire / bare-cryptography ratios (target ≤ 1.3, DESIGN.md)."""
    rows = interleaved_ratios(rounds=10)
    with capsys.disabled():
        print("\n" + format_ratios(rows))
