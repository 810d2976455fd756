"""X.509 certificate bundles and hash-and-URL CERT data (RFC 7296 §3.6), the fetch
cache, and the ``ikewire certbundle`` command."""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from ikewire.certbundle import (
    MAX_BUNDLE_ENTRIES,
    build_bundle,
    hash_and_url,
    load_objects,
    read_bundle,
    split_hash_and_url,
)
from ikewire.connection.certcache import CertificateCache
from ikewire.errors import DecodeError, EncodeError, IKEError
from ikewire.testing.certs import make_chain, make_crl

CHAIN = make_chain(2, "ecdsa-p256", subject_name="gw.example", san_dns=["gw.example"])
CRL = make_crl(CHAIN.intermediates[0], [12345])
LEAF, CA1 = CHAIN.leaf.der, CHAIN.extra_der[0]
CRL_DER = CRL.public_bytes(serialization.Encoding.DER)


def _len(n: int) -> bytes:
    """DER length octets (X.690 §8.1.3), written out for the expected bytes."""
    if n < 128:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def test_bundle_bytes_follow_the_asn1_module() -> None:
    """RFC 7296 §3.6: CertificateBundle ::= SEQUENCE OF CertificateOrCRL, with
    EXPLICIT tags cert [0] (A0 around the whole Certificate) and crl [1] (A1)."""
    body = (
        b"\xa0" + _len(len(LEAF)) + LEAF
        + b"\xa0" + _len(len(CA1)) + CA1
        + b"\xa1" + _len(len(CRL_DER)) + CRL_DER
    )  # fmt: skip
    assert build_bundle([LEAF, CA1], [CRL_DER]) == b"\x30" + _len(len(body)) + body
    # cryptography objects work the same as DER
    assert build_bundle([CHAIN.leaf.cert, CHAIN.intermediates[0].cert], [CRL]) == build_bundle(
        [LEAF, CA1], [CRL_DER]
    )


def test_read_what_was_built() -> None:
    bundle = read_bundle(build_bundle([LEAF, CA1], [CRL_DER]))
    assert bundle.certificates_der == (LEAF, CA1)
    assert [c.public_bytes(serialization.Encoding.DER) for c in bundle.crls] == [CRL_DER]
    listing = bundle.describe()
    assert "certificate  CN=gw.example" in listing and "CRL" in listing and "1 revoked" in listing
    assert read_bundle(b"\x30\x00").certificates == ()


def test_malformed_bundles_are_decode_errors_naming_the_problem() -> None:
    good = build_bundle([LEAF], [CRL_DER])
    cases = {
        "SEQUENCE \\(0x30\\) expected": b"\x31" + good[1:],
        "octets after the CertificateBundle": good + b"\x00",
        "is neither cert": b"\x30\x03\xa2\x01\x00",
        "not a DER X.509 certificate": b"\x30\x04\xa0\x02\x30\x00",
        "not a DER X.509 CRL": b"\x30\x04\xa1\x02\x30\x00",
        "declared": good[:-1],
        "minimal form": b"\x30\x81\x05" + bytes(5),
    }
    for what, data in cases.items():
        with pytest.raises(DecodeError, match=what):
            read_bundle(data)
    # an IMPLICIT reading ([0] replacing the certificate's own SEQUENCE tag) is refused
    implicit = b"\xa0" + LEAF[1:]
    with pytest.raises(DecodeError):
        read_bundle(b"\x30" + _len(len(implicit)) + implicit)
    with pytest.raises(DecodeError, match="entries"):
        entry = b"\xa0" + _len(len(CA1)) + CA1
        read_bundle(b"\x30" + _len(65 * len(entry)) + entry * 65)


def test_every_prefix_of_a_bundle_is_a_decode_error() -> None:
    good = build_bundle([LEAF, CA1], [CRL_DER])
    for end in range(len(good)):
        with pytest.raises(DecodeError):
            read_bundle(good[:end])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_give_a_bundle_or_a_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        read_bundle(b"\x30" + _len(len(data)) + data)
    with contextlib.suppress(DecodeError):
        read_bundle(data)


def test_builder_refuses_what_is_not_x509() -> None:
    with pytest.raises(EncodeError):
        build_bundle([b"not a certificate"])
    with pytest.raises(EncodeError):
        build_bundle([], [LEAF])  # a certificate is not a CRL
    with pytest.raises(EncodeError):
        build_bundle([LEAF] * (MAX_BUNDLE_ENTRIES + 1))


def test_hash_and_url_data() -> None:
    """RFC 7296 §3.6: the 20-octet SHA-1 of the DER object, then the URL."""
    data = hash_and_url(LEAF, "http://certs.example/gw.der")
    assert data == hashlib.sha1(LEAF).digest() + b"http://certs.example/gw.der"
    assert split_hash_and_url(data) == (hashlib.sha1(LEAF).digest(), "http://certs.example/gw.der")
    for bad in (
        b"",
        bytes(20),
        bytes(20) + b"\xff\xfe",
        bytes(20) + b"no scheme",
        bytes(20) + b"http://a b",
    ):
        with pytest.raises(DecodeError):
            split_hash_and_url(bad)
    with pytest.raises(EncodeError):
        hash_and_url(LEAF, "")


def test_load_objects_from_pem_and_der() -> None:
    pem_chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in CHAIN.certificates)
    crl_pem = CRL.public_bytes(serialization.Encoding.PEM)
    certs, crls = load_objects([pem_chain, LEAF, CRL_DER, crl_pem])
    assert len(certs) == 4 and len(crls) == 2
    for bad in (b"garbage", b"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"):
        with pytest.raises(DecodeError):
            load_objects([bad])


# ------------------------------------------------------------------ the cache


def test_cache_expiry_bounds_and_refresh() -> None:
    cache = CertificateCache(interval=100, max_entries=2, max_octets=1000)
    digest = hashlib.sha1(b"a" * 10).digest()
    assert cache.store("http://x/a", b"a" * 10, now=0) is not None
    assert cache.lookup("http://x/a", digest, 99.9) == b"a" * 10
    assert cache.lookup("http://x/a", bytes(20), 50) is None  # another object now
    assert cache.lookup("http://x/a", digest, 100) is None  # expired, and dropped
    assert len(cache) == 0
    for n in range(3):
        cache.store(f"http://x/{n}", bytes([n]) * 10, now=0)
    assert (
        len(cache) == 2 and cache.lookup("http://x/0", hashlib.sha1(bytes(10)).digest(), 1) is None
    )
    assert cache.store("http://x/big", bytes(1001), now=0) is None
    cache.store("http://x/500a", bytes(500), now=0)
    cache.store("http://x/500b", bytes(500), now=0)
    assert len(cache) == 2  # 1000 octets at most
    assert "expires in 100 s" in cache.display(0) and "2 cached" in cache.display(0)
    assert cache.refresh() == 2 and len(cache) == 0
    with pytest.raises(ValueError):
        CertificateCache(interval=-1)


# ------------------------------------------------------------------ the command


def test_certbundle_command(tmp_path: Path) -> None:
    pem = tmp_path / "chain.pem"
    pem.write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in CHAIN.certificates[:2])
    )
    crl = tmp_path / "ca.crl"
    crl.write_bytes(CRL_DER)
    out = tmp_path / "bundle.der"
    cmd = [sys.executable, "-m", "ikewire", "certbundle"]
    done = subprocess.run(
        [*cmd, "-o", str(out), str(pem), str(crl)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == build_bundle([LEAF, CA1], [CRL_DER])
    assert hashlib.sha1(out.read_bytes()).hexdigest() in done.stdout
    shown = subprocess.run([*cmd, "--show", str(out)], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "CN=gw.example" in shown.stdout and "CRL" in shown.stdout
    bad = tmp_path / "bad.der"
    bad.write_bytes(b"\x30\x05junk")
    failed = subprocess.run([*cmd, "--show", str(bad)], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1 and "ikewire:" in failed.stderr
    usage = subprocess.run([*cmd, str(pem)], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2


def test_errors_are_ikewire_errors() -> None:
    assert issubclass(DecodeError, IKEError) and issubclass(EncodeError, IKEError)
