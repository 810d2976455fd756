"""One full IKE_SA_INIT + IKE_AUTH in memory vs. the raw crypto it needs (issue 5).

Group ``handshake PSK X25519 AES-GCM-256``:

* ``ikewire_handshake``: an initiator and a responder :class:`IKEConnection` run the
  initial exchanges (PSK both ways, X25519, AES-GCM-16-256, PRF HMAC-SHA2-256, an
  AES-GCM-256 ESP Child SA), encoding, decoding and checking every message.
* ``baseline_raw_crypto``: the same cryptographic operations, called on
  ``cryptography`` directly: two X25519 key generations and exchanges, SKEYSEED and the
  seven SK_* (RFC 7296 §2.14) on both sides, KEYMAT (§2.17) on both sides, the two
  IKE_AUTH messages sealed and opened with AES-GCM, each side's PSK AUTH computed and
  verified (§2.15), and the eight NAT detection SHA-1 hashes (§2.23).

The target is ikewire / baseline ≤ 1.5. Run ``.venv/bin/pytest benchmarks/bench_handshake.py``
(conftest prints the ratio) or ``.venv/bin/python benchmarks/bench_handshake.py``.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pytest_benchmark.fixture import BenchmarkFixture

from ikewire.connection.config import Identity, IKEConfig
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import State

GROUP = "handshake PSK X25519 AES-GCM-256"
PSK = b"benchmark pre-shared key"
I_ADDR = ("192.0.2.1", 500)
R_ADDR = ("198.51.100.2", 500)
I_CONFIG = IKEConfig(
    Identity.fqdn("alice.example"),
    Identity.fqdn("bob.example"),
    ike_proposals=("aes256gcm16-prfsha256-x25519",),
    esp_proposals=("aes256gcm16",),
    psk=PSK,
    local_ts=("10.1.0.0/16",),
    remote_ts=("10.2.0.0/16",),
    local_address=I_ADDR,
    remote_address=R_ADDR,
)
R_CONFIG = IKEConfig(
    Identity.fqdn("bob.example"),
    Identity.fqdn("alice.example"),
    ike_proposals=("aes256gcm16-prfsha256-x25519",),
    esp_proposals=("aes256gcm16",),
    psk=PSK,
    local_ts=("10.2.0.0/16",),
    remote_ts=("10.1.0.0/16",),
    local_address=R_ADDR,
)


def ikewire_handshake() -> None:
    """Both sides, datagrams moved by hand until quiet."""
    i = IKEConnection(I_CONFIG, initiator=True)
    r = IKEConnection(R_CONFIG, initiator=False)
    i.initiate(0.0)
    for _ in range(4):
        for data, _addr in i.datagrams_to_send(0.0):
            r.receive_datagram(data, I_ADDR, 0.0)
        for data, _addr in r.datagrams_to_send(0.0):
            i.receive_datagram(data, R_ADDR, 0.0)
    assert i.state is State.ESTABLISHED and r.state is State.ESTABLISHED


def _hmac(key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def _prf_plus(key: bytes, seed: bytes, length: int) -> bytes:
    out, t, n = b"", b"", 1
    while len(out) < length:
        t = _hmac(key, t + seed + bytes((n,)))
        out += t
        n += 1
    return out[:length]


def _sha1(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SHA1())  # RFC 7296 §2.23 mandates SHA-1 here
    h.update(data)
    return h.finalize()


_INIT = os.urandom(300)  # an IKE_SA_INIT message's size
_AUTH_PLAIN = os.urandom(220)  # IDi, AUTH, SA, TSi, TSr
_ID = os.urandom(17)


def baseline_raw_crypto() -> None:
    """The handshake's cryptography calls, nothing else."""
    ni, nr, spi = os.urandom(32), os.urandom(32), os.urandom(16)
    a, b = x25519.X25519PrivateKey.generate(), x25519.X25519PrivateKey.generate()
    a_pub = a.public_key().public_bytes_raw()
    b_pub = b.public_key().public_bytes_raw()
    for _ in range(8):
        _sha1(spi + bytes(6))
    secrets = (
        a.exchange(x25519.X25519PublicKey.from_public_bytes(b_pub)),
        b.exchange(x25519.X25519PublicKey.from_public_bytes(a_pub)),
    )
    sk_p = []
    for secret in secrets:
        skeyseed = _hmac(ni + nr, secret)
        keys = _prf_plus(skeyseed, ni + nr + spi, 32 + 2 * 36 + 2 * 32)
        sk_p.append(keys[-64:-32])
    for _ in range(2):  # each side: own AUTH, the peer's AUTH
        for _ in range(2):
            macced = _hmac(sk_p[0], _ID)
            _hmac(_hmac(PSK, b"Key Pad for IKEv2"), _INIT + nr + macced)
    key = os.urandom(32)
    for _ in range(2):  # IKE_AUTH request and response: seal once, open once
        aead = AESGCM(key)
        sealed = aead.encrypt(bytes(12), _AUTH_PLAIN, _INIT[:32])
        AESGCM(key).decrypt(bytes(12), sealed, _INIT[:32])
    for _ in range(2):
        _prf_plus(key, ni + nr, 2 * 36)


@pytest.mark.benchmark(group=GROUP)
def test_ikewire_handshake(benchmark: BenchmarkFixture) -> None:
    benchmark(ikewire_handshake)


@pytest.mark.benchmark(group=GROUP)
def test_baseline_raw_crypto(benchmark: BenchmarkFixture) -> None:
    benchmark(baseline_raw_crypto)


def _median(fn: Callable[[], None], rounds: int = 300) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    """Interleaved medians of both, then the ratio."""
    ours, base = [], []
    for _ in range(5):
        ours.append(_median(ikewire_handshake, 100))
        base.append(_median(baseline_raw_crypto, 100))
    o, b = statistics.median(ours), statistics.median(base)
    print(f"ikewire handshake  {o * 1e6:9.1f} us")
    print(f"raw crypto         {b * 1e6:9.1f} us")
    print(f"ratio              {o / b:9.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
