"""One full IKE_SA_INIT + IKE_AUTH in memory vs. the raw crypto it needs (issue 5).

Three groups, one per kind of handshake:

* ``handshake PSK X25519 AES-GCM-256``: PSK both ways (RFC 7296 §2.15), X25519
  (RFC 8031);
* ``handshake ECDSA P-256 ecp256``: RFC 7427 Digital Signature with ECDSA P-256 and
  SHA-256 both ways, ECP-256 (RFC 5903);
* ``handshake RSA-2048 MODP-2048``: RFC 7427 Digital Signature with RSASSA-PSS
  (SHA-256, RSA-2048) both ways, the 2048-bit MODP group (RFC 3526 §3).

All use AES-GCM-16-256 for the IKE SA and an AES-GCM-256 ESP Child SA, PRF
HMAC-SHA2-256. The signature cases authenticate with configured public keys (no
certificates), so what is measured is the protocol around the signatures.

In each group:

* ``ikewire_handshake``: an initiator and a responder :class:`IKEConnection` run the
  initial exchanges, encoding, decoding and checking every message.
* ``baseline_raw_crypto``: the same cryptographic operations, called on
  ``cryptography`` directly — the least the handshake must do: both sides' key
  exchange (generation and shared secret), SKEYSEED and the seven SK_* (RFC 7296
  §2.14) on both sides, KEYMAT (§2.17) on both sides, the two IKE_AUTH messages sealed
  and opened with AES-GCM, each side's AUTH made and the peer's checked (§2.15: the
  MACed ID and the PSK MAC, or the signature), and the eight NAT detection SHA-1 hashes
  (§2.23).

The target is ikewire / baseline ≤ 1.5 in each group. Run
``.venv/bin/pytest benchmarks/bench_handshake.py`` (conftest prints the ratios) or
``.venv/bin/python benchmarks/bench_handshake.py``.
"""

from __future__ import annotations

import os
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import dh, ec, padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.utils import CryptographyDeprecationWarning
from pytest_benchmark.fixture import BenchmarkFixture

from bench_codec import struct_decode, struct_encode
from ikewire.connection.config import Identity, IKEConfig
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import State
from ikewire.crypto.cipher import SKCipher, split_encrypted
from ikewire.wire.models import SK

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

EC_I, EC_R = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
RSA_I = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_R = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _signing(
    ike: str,
    key_i: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    key_r: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
) -> tuple[IKEConfig, IKEConfig]:
    """The PSK configs turned into signature ones (RFC 7427) with ``ike`` proposals."""
    i = replace(
        I_CONFIG,
        ike_proposals=(ike,),
        psk=None,
        private_key=key_i,
        remote_public_key=key_r.public_key(),
    )
    r = replace(
        R_CONFIG,
        ike_proposals=(ike,),
        psk=None,
        private_key=key_r,
        remote_public_key=key_i.public_key(),
    )
    return i, r


ECDSA_CONFIGS = _signing("aes256gcm16-prfsha256-ecp256", EC_I, EC_R)
RSA_CONFIGS = _signing("aes256gcm16-prfsha256-modp2048", RSA_I, RSA_R)


def _handshake(i_config: IKEConfig, r_config: IKEConfig) -> None:
    """Both sides, datagrams moved by hand until quiet."""
    i = IKEConnection(i_config, initiator=True)
    r = IKEConnection(r_config, initiator=False)
    i.initiate(0.0)
    for _ in range(4):
        for data, _addr in i.datagrams_to_send(0.0):
            r.receive_datagram(data, I_ADDR, 0.0)
        for data, _addr in r.datagrams_to_send(0.0):
            i.receive_datagram(data, R_ADDR, 0.0)
    assert i.state is State.ESTABLISHED and r.state is State.ESTABLISHED


def ikewire_handshake() -> None:
    """PSK, X25519."""
    _handshake(I_CONFIG, R_CONFIG)


def ikewire_handshake_ecdsa() -> None:
    """ECDSA P-256, ECP-256."""
    _handshake(*ECDSA_CONFIGS)


def ikewire_handshake_rsa() -> None:
    """RSA-2048 (PSS), MODP-2048."""
    _handshake(*RSA_CONFIGS)


# --------------------------------------------------------------------------- raw crypto


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
_ID = os.urandom(17)
_MODP_2048_P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
    "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
    "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
    "955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
    16,
)  # RFC 3526 §3


# cryptography deprecates FFDH by warning on each access to its dh class names; like
# ikewire's groups.py, fetch them once, quietly (the objects themselves do not warn)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    _DHParameterNumbers, _DHPublicNumbers = dh.DHParameterNumbers, dh.DHPublicNumbers
_MODP_2048 = _DHParameterNumbers(_MODP_2048_P, 2).parameters()


def _ke_x25519() -> tuple[bytes, bytes]:
    a, b = x25519.X25519PrivateKey.generate(), x25519.X25519PrivateKey.generate()
    a_pub = a.public_key().public_bytes_raw()
    b_pub = b.public_key().public_bytes_raw()
    return (
        a.exchange(x25519.X25519PublicKey.from_public_bytes(b_pub)),
        b.exchange(x25519.X25519PublicKey.from_public_bytes(a_pub)),
    )


def _ke_ecp256() -> tuple[bytes, bytes]:
    curve = ec.SECP256R1()
    a, b = ec.generate_private_key(curve), ec.generate_private_key(curve)
    a_pub = a.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    b_pub = b.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return (
        a.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(curve, b_pub)),
        b.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(curve, a_pub)),
    )


def _ke_modp2048() -> tuple[bytes, bytes]:
    numbers = _MODP_2048.parameter_numbers()
    a, b = _MODP_2048.generate_private_key(), _MODP_2048.generate_private_key()
    a_y = a.public_key().public_numbers().y.to_bytes(256, "big")
    b_y = b.public_key().public_numbers().y.to_bytes(256, "big")
    return (
        a.exchange(_DHPublicNumbers(int.from_bytes(b_y, "big"), numbers).public_key()),
        b.exchange(_DHPublicNumbers(int.from_bytes(a_y, "big"), numbers).public_key()),
    )


def _auth_psk(sk_p: bytes, octets: bytes) -> None:
    """One side's AUTH made and the peer's checked (RFC 7296 §2.15), each a MACed ID
    and the PSK MAC."""
    for _ in range(2):
        macced = _hmac(sk_p, _ID)
        _hmac(_hmac(PSK, b"Key Pad for IKEv2"), octets + macced)


def _auth_ecdsa(sk_p: bytes, octets: bytes) -> None:
    """RFC 7427 ECDSA with SHA-256: sign our octets, verify the peer's signature."""
    mine = EC_I.sign(octets + _hmac(sk_p, _ID), ec.ECDSA(hashes.SHA256()))
    peer_octets = octets + _hmac(sk_p, _ID)
    EC_I.public_key().verify(mine, peer_octets, ec.ECDSA(hashes.SHA256()))


_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)  # RFC 7427 A.4.3


def _auth_rsa(sk_p: bytes, octets: bytes) -> None:
    """RFC 7427 RSASSA-PSS with SHA-256: sign our octets, verify the peer's signature."""
    mine = RSA_I.sign(octets + _hmac(sk_p, _ID), _PSS, hashes.SHA256())
    peer_octets = octets + _hmac(sk_p, _ID)
    RSA_I.public_key().verify(mine, peer_octets, _PSS, hashes.SHA256())


def _raw_crypto(
    ke: Callable[[], tuple[bytes, bytes]],
    auth: Callable[[bytes, bytes], None],
    auth_plain: bytes,
) -> None:
    """The handshake's cryptography calls, nothing else."""
    ni, nr, spi = os.urandom(32), os.urandom(32), os.urandom(16)
    for _ in range(8):
        _sha1(spi + bytes(6))
    secrets = ke()
    sk_p = []
    for secret in secrets:  # each side: SKEYSEED and the seven SK_* (§2.14)
        skeyseed = _hmac(ni + nr, secret)
        keys = _prf_plus(skeyseed, ni + nr + spi, 32 + 2 * 36 + 2 * 32)
        sk_p.append(keys[-64:-32])
    for _ in range(2):  # each side: own AUTH, the peer's AUTH
        auth(sk_p[0], _INIT + nr)
    key = os.urandom(32)
    for _ in range(2):  # IKE_AUTH request and response: seal once, open once
        aead = AESGCM(key)
        sealed = aead.encrypt(bytes(12), auth_plain, _INIT[:32])
        AESGCM(key).decrypt(bytes(12), sealed, _INIT[:32])
    for _ in range(2):  # each side: KEYMAT (§2.17)
        _prf_plus(key, ni + nr, 2 * 36)


# IKE_AUTH plaintext (IDi/IDr, AUTH, SA, TSi, TSr, notifies): about 220 octets with a
# PSK MAC; an ECDSA P-256 signature with its AlgorithmIdentifier adds about 90, an
# RSA-2048 PSS signature with its parameters about 330.
_PLAIN_PSK, _PLAIN_ECDSA, _PLAIN_RSA = os.urandom(220), os.urandom(310), os.urandom(550)


def baseline_raw_crypto() -> None:
    """PSK, X25519."""
    _raw_crypto(_ke_x25519, _auth_psk, _PLAIN_PSK)


def baseline_raw_crypto_ecdsa() -> None:
    """ECDSA P-256, ECP-256."""
    _raw_crypto(_ke_ecp256, _auth_ecdsa, _PLAIN_ECDSA)


def baseline_raw_crypto_rsa() -> None:
    """RSA-2048 (PSS), MODP-2048."""
    _raw_crypto(_ke_modp2048, _auth_rsa, _PLAIN_RSA)


# --------------------------------------------------------------------------- the floor


def _handshake_messages(i_config: IKEConfig, r_config: IKEConfig) -> list[bytes]:
    """The four datagrams of one handshake, then its two IKE_AUTH plaintexts, each of
    those as a message (an IKE header, then the inner payload chain)."""
    i = IKEConnection(i_config, initiator=True)
    r = IKEConnection(r_config, initiator=False)
    i.initiate(0.0)
    sent: list[bytes] = []
    for _ in range(4):
        for data, _addr in i.datagrams_to_send(0.0):
            sent.append(data)
            r.receive_datagram(data, I_ADDR, 0.0)
        for data, _addr in r.datagrams_to_send(0.0):
            sent.append(data)
            i.receive_datagram(data, R_ADDR, 0.0)
    assert len(sent) == 4 and i.keys is not None
    inner = []
    for data, by_initiator in ((sent[2], True), (sent[3], False)):
        cipher = SKCipher.from_keys(i.keys, sender_is_initiator=by_initiator)
        _, sk, aad = split_encrypted(data)
        assert isinstance(sk, SK)
        plaintext = cipher.open(aad, sk.body)
        header = bytearray(data[:28])
        header[16] = sk.next_payload
        header[24:28] = (28 + len(plaintext)).to_bytes(4, "big")
        inner.append(bytes(header) + plaintext)
    return sent + inner


def _floor(raw_crypto: Callable[[], None], messages: list[bytes]) -> Callable[[], None]:
    """The raw crypto, plus each message decoded and encoded once by the hand-written
    ``struct`` walk of ``bench_codec`` (unchecked, to plain tuples): the least a Python
    handshake can cost, before any of the protocol's own logic."""

    def floor() -> None:
        raw_crypto()
        for data in messages:
            struct_encode(struct_decode(data))

    return floor


FLOOR_PSK = _floor(baseline_raw_crypto, _handshake_messages(I_CONFIG, R_CONFIG))
FLOOR_ECDSA = _floor(baseline_raw_crypto_ecdsa, _handshake_messages(*ECDSA_CONFIGS))
FLOOR_RSA = _floor(baseline_raw_crypto_rsa, _handshake_messages(*RSA_CONFIGS))

#: group name: (ikewire, baseline, floor)
CASES: dict[str, tuple[Callable[[], None], Callable[[], None], Callable[[], None]]] = {
    "handshake PSK X25519 AES-GCM-256": (ikewire_handshake, baseline_raw_crypto, FLOOR_PSK),
    "handshake ECDSA P-256 ecp256": (
        ikewire_handshake_ecdsa,
        baseline_raw_crypto_ecdsa,
        FLOOR_ECDSA,
    ),
    "handshake RSA-2048 MODP-2048": (ikewire_handshake_rsa, baseline_raw_crypto_rsa, FLOOR_RSA),
}


@pytest.mark.parametrize("group", list(CASES))
def test_ikewire_handshake(benchmark: BenchmarkFixture, group: str) -> None:
    benchmark.group = group
    benchmark(CASES[group][0])


@pytest.mark.parametrize("group", list(CASES))
def test_baseline_raw_crypto(benchmark: BenchmarkFixture, group: str) -> None:
    benchmark.group = group
    benchmark(CASES[group][1])


@pytest.mark.parametrize("group", list(CASES))
def test_floor_raw_crypto_and_struct_codec(benchmark: BenchmarkFixture, group: str) -> None:
    benchmark.group = group
    benchmark(CASES[group][2])


def _cpu_us(fn: Callable[[], None], rounds: int) -> float:
    """Mean CPU time of this process per call: other processes' load does not count."""
    start = time.process_time()
    for _ in range(rounds):
        fn()
    return (time.process_time() - start) / rounds * 1e6


def main() -> None:
    """ikewire, the raw crypto and the floor timed alternately in CPU time, for each kind
    of handshake; each ratio is the median of the per-round ratios."""
    for group, (ours_fn, base_fn, floor_fn) in CASES.items():
        rounds = 10 if "RSA" in group else 50
        times: dict[str, list[float]] = {"ours": [], "base": [], "floor": []}
        for _ in range(15):
            for key, fn in (("ours", ours_fn), ("base", base_fn), ("floor", floor_fn)):
                times[key].append(_cpu_us(fn, rounds))
        o, b, f = (statistics.median(times[k]) for k in ("ours", "base", "floor"))
        ratio = statistics.median(x / y for x, y in zip(times["ours"], times["base"], strict=True))
        floor_ratio = statistics.median(
            x / y for x, y in zip(times["floor"], times["base"], strict=True)
        )
        print(group)
        print(f"  ikewire handshake           {o:9.1f} us")
        print(f"  raw crypto                  {b:9.1f} us")
        print(f"  raw crypto + struct codec   {f:9.1f} us  ({floor_ratio:.2f}x the raw crypto)")
        print(f"  ratio                       {ratio:9.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
