"""Key exchange benchmarks, each paired with the bare ``cryptography`` calls it wraps.

One side of one exchange per round: generate a key pair, produce the KE data, and compute
g^ir from a peer value prepared beforehand (ikewire adds the RFC 6989 checks, the fixed
length encodings and, for MODP, a scoped warnings filter). Groups (read the ratio
ikewire / baseline off each group's medians):

* ``KE x25519``, ``KE ecp256``, ``KE ecp384``, ``KE modp2048``;
* ``KE mlkem768 initiator``: key pair, encapsulation key, decapsulation;
* ``KE mlkem768 responder``: load and check the encapsulation key, encapsulate.

Run: ``.venv/bin/pytest benchmarks/bench_groups.py``.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import dh, ec, mlkem, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pytest_benchmark.fixture import BenchmarkFixture

from ikewire.constants import KeyExchangeMethod
from ikewire.crypto.groups import new_key_exchange

# The baselines call cryptography's deprecated finite-field DH directly.
pytestmark = pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")

M = KeyExchangeMethod


def _ikewire_one_side(method: int, peer_value: bytes) -> bytes:
    ke = new_key_exchange(method)
    ke.public_value()
    return ke.compute_secret(peer_value)


# --------------------------------------------------------------------------- X25519


@pytest.mark.benchmark(group="KE x25519")
def test_x25519_ikewire(benchmark: BenchmarkFixture) -> None:
    peer = new_key_exchange(M.CURVE25519).public_value()
    assert len(benchmark(_ikewire_one_side, M.CURVE25519, peer)) == 32


@pytest.mark.benchmark(group="KE x25519")
def test_x25519_baseline(benchmark: BenchmarkFixture) -> None:
    peer = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()

    def one_side() -> bytes:
        key = x25519.X25519PrivateKey.generate()
        key.public_key().public_bytes_raw()
        return key.exchange(x25519.X25519PublicKey.from_public_bytes(peer))

    assert len(benchmark(one_side)) == 32


# --------------------------------------------------------------------------- ECP


def _ecp_baseline(curve: ec.EllipticCurve, peer: bytes) -> bytes:
    key = ec.generate_private_key(curve)
    key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)[1:]
    peer_key = ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + peer)
    return key.exchange(ec.ECDH(), peer_key)


@pytest.mark.benchmark(group="KE ecp256")
def test_ecp256_ikewire(benchmark: BenchmarkFixture) -> None:
    peer = new_key_exchange(M.ECP_256).public_value()
    assert len(benchmark(_ikewire_one_side, M.ECP_256, peer)) == 32


@pytest.mark.benchmark(group="KE ecp256")
def test_ecp256_baseline(benchmark: BenchmarkFixture) -> None:
    peer = new_key_exchange(M.ECP_256).public_value()
    assert len(benchmark(_ecp_baseline, ec.SECP256R1(), peer)) == 32


@pytest.mark.benchmark(group="KE ecp384")
def test_ecp384_ikewire(benchmark: BenchmarkFixture) -> None:
    peer = new_key_exchange(M.ECP_384).public_value()
    assert len(benchmark(_ikewire_one_side, M.ECP_384, peer)) == 48


@pytest.mark.benchmark(group="KE ecp384")
def test_ecp384_baseline(benchmark: BenchmarkFixture) -> None:
    peer = new_key_exchange(M.ECP_384).public_value()
    assert len(benchmark(_ecp_baseline, ec.SECP384R1(), peer)) == 48


# --------------------------------------------------------------------------- MODP


@pytest.mark.benchmark(group="KE modp2048")
def test_modp2048_ikewire(benchmark: BenchmarkFixture) -> None:
    peer = new_key_exchange(M.MODP_2048).public_value()
    assert len(benchmark(_ikewire_one_side, M.MODP_2048, peer)) == 256


@pytest.mark.benchmark(group="KE modp2048")
def test_modp2048_baseline(benchmark: BenchmarkFixture) -> None:
    from ikewire.crypto.groups import _MODP  # the RFC 3526 §3 prime, not re-typed here

    numbers = dh.DHParameterNumbers(_MODP[M.MODP_2048].p, 2)
    parameters = numbers.parameters()
    peer = new_key_exchange(M.MODP_2048).public_value()

    def one_side() -> bytes:
        key = parameters.generate_private_key()
        key.public_key().public_numbers().y.to_bytes(256, "big")
        peer_key = dh.DHPublicNumbers(int.from_bytes(peer, "big"), numbers).public_key()
        return key.exchange(peer_key)

    assert len(benchmark(one_side)) == 256


# --------------------------------------------------------------------------- ML-KEM-768


@pytest.mark.benchmark(group="KE mlkem768 initiator")
def test_mlkem768_initiator_ikewire(benchmark: BenchmarkFixture) -> None:
    responder = new_key_exchange(M.ML_KEM_768, initiator=False)
    responder.compute_secret(new_key_exchange(M.ML_KEM_768).public_value())
    ciphertext = responder.public_value()
    assert len(benchmark(_ikewire_one_side, M.ML_KEM_768, ciphertext)) == 32


@pytest.mark.benchmark(group="KE mlkem768 initiator")
def test_mlkem768_initiator_baseline(benchmark: BenchmarkFixture) -> None:
    _, ciphertext = mlkem.MLKEM768PrivateKey.generate().public_key().encapsulate()

    def one_side() -> bytes:
        key = mlkem.MLKEM768PrivateKey.generate()
        key.public_key().public_bytes_raw()
        return key.decapsulate(ciphertext)

    assert len(benchmark(one_side)) == 32


@pytest.mark.benchmark(group="KE mlkem768 responder")
def test_mlkem768_responder_ikewire(benchmark: BenchmarkFixture) -> None:
    encapsulation_key = new_key_exchange(M.ML_KEM_768).public_value()

    def one_side() -> bytes:
        ke = new_key_exchange(M.ML_KEM_768, initiator=False)
        secret = ke.compute_secret(encapsulation_key)
        ke.public_value()
        return secret

    assert len(benchmark(one_side)) == 32


@pytest.mark.benchmark(group="KE mlkem768 responder")
def test_mlkem768_responder_baseline(benchmark: BenchmarkFixture) -> None:
    encapsulation_key = mlkem.MLKEM768PrivateKey.generate().public_key().public_bytes_raw()

    def one_side() -> bytes:
        secret, _ciphertext = mlkem.MLKEM768PublicKey.from_public_bytes(
            encapsulation_key
        ).encapsulate()
        return secret

    assert len(benchmark(one_side)) == 32
