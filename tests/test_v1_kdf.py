"""IKEv1 key derivation (RFC 2409 §5, §5.5, Appendix B) against NIST CAVP.

NIST CAVP SP 800-135 KDF component tests for IKEv1 (vectors/nist-cavp-kdf135-ike/,
CAVS 17.3 as redistributed by NSS): for pre-shared keys (ikev1_psk) and DSA signatures
(ikev1_dsa), given CKY_I, CKY_R, Ni, Nr, g^xy (and the pre-shared key), the published
SKEYID, SKEYID_d, SKEYID_a and SKEYID_e. The ``*_subset.json`` files (3 cases per
group, every hash and length) run always; every case runs under the ``slow`` marker.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from ikewire.constants import V1EncryptionAlgorithm, V1HashAlgorithm
from ikewire.crypto.ikev1 import (
    derive_phase1_keys,
    encryption_key,
    expand_key,
    phase1_iv,
    phase2_iv,
    prf,
    quick_mode_keymat,
    skeyid_dsa,
    skeyid_psk,
    skeyid_public_key,
    skeyid_signature,
)
from ikewire.errors import ConfigError, CryptoError

CAVP = Path(__file__).resolve().parent.parent / "vectors" / "nist-cavp-kdf135-ike"

HASHES = {
    "SHA-1": V1HashAlgorithm.SHA,
    "SHA-256": V1HashAlgorithm.SHA2_256,
    "SHA-384": V1HashAlgorithm.SHA2_384,
    "SHA-512": V1HashAlgorithm.SHA2_512,
}


def _cases(name: str) -> list[tuple[V1HashAlgorithm, dict[str, str]]]:
    data = json.loads((CAVP / name).read_text())
    return [
        (HASHES[group["params"]["hash"]], case)
        for group in data["groups"]
        for case in group["cases"]
    ]


def _check(hash_alg: V1HashAlgorithm, case: dict[str, Any], psk: bool) -> None:
    h = bytes.fromhex
    ni, nr, gxy = h(case["Ni"]), h(case["Nr"]), h(case["g^xy"])
    if psk:
        skeyid = skeyid_psk(hash_alg, h(case["pre-shared-key"]), ni, nr)
    else:
        skeyid = skeyid_dsa(hash_alg, ni, nr, gxy)
    assert skeyid.hex() == case["SKEYID"]
    keys = derive_phase1_keys(hash_alg, skeyid, gxy, h(case["CKY_I"]), h(case["CKY_R"]))
    assert keys.skeyid_d.hex() == case["SKEYID_d"]
    assert keys.skeyid_a.hex() == case["SKEYID_a"]
    assert keys.skeyid_e.hex() == case["SKEYID_e"]


PSK_SUBSET = _cases("ikev1_psk_subset.json")
DSA_SUBSET = _cases("ikev1_dsa_subset.json")


def test_subsets_cover_every_group() -> None:
    assert len(PSK_SUBSET) == len(DSA_SUBSET) == 17 * 3
    assert {h for h, _ in PSK_SUBSET} == set(HASHES.values())


@pytest.mark.parametrize(("hash_alg", "case"), PSK_SUBSET)
def test_cavp_ikev1_psk(hash_alg: V1HashAlgorithm, case: dict[str, str]) -> None:
    _check(hash_alg, case, psk=True)


@pytest.mark.parametrize(("hash_alg", "case"), DSA_SUBSET)
def test_cavp_ikev1_dsa(hash_alg: V1HashAlgorithm, case: dict[str, str]) -> None:
    _check(hash_alg, case, psk=False)


@pytest.mark.slow
def test_cavp_all_cases() -> None:
    """All 1700 + 1700 published cases."""
    psk = _cases("ikev1_psk.json")
    dsa = _cases("ikev1_dsa.json")
    assert len(psk) == len(dsa) == 1700
    for hash_alg, case in psk:
        _check(hash_alg, case, psk=True)
    for hash_alg, case in dsa:
        _check(hash_alg, case, psk=False)


def test_signature_and_dsa_are_one_formula() -> None:
    """RFC 2409 §5: "For signatures: SKEYID = prf(Ni_b | Nr_b, g^xy)" -- DSS and RSA alike."""
    assert skeyid_dsa is skeyid_signature


def test_prf_is_hmac_of_the_negotiated_hash() -> None:
    """RFC 2409 §5 (prf = HMAC, RFC 2104), checked against the standard library's HMAC."""
    for hash_alg, name in (
        (V1HashAlgorithm.MD5, "md5"),
        (V1HashAlgorithm.SHA, "sha1"),
        (V1HashAlgorithm.SHA2_512, "sha512"),
    ):
        assert prf(hash_alg, b"key", b"data") == hmac.new(b"key", b"data", name).digest()
    with pytest.raises(CryptoError):
        prf(V1HashAlgorithm.TIGER, b"k", b"d")


def test_public_key_skeyid_formula() -> None:
    """RFC 2409 §5: SKEYID = prf(hash(Ni_b | Nr_b), CKY-I | CKY-R)."""
    key = hashlib.sha1(b"ni" + b"nr").digest()
    want = hmac.new(key, b"cookie-i" + b"cookie-r", "sha1").digest()
    assert skeyid_public_key(V1HashAlgorithm.SHA, b"ni", b"nr", b"cookie-i", b"cookie-r") == want


# --------------------------------------------------------------------------- Appendix B


def test_expand_key_appendix_b() -> None:
    """RFC 2409 Appendix B: K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1), ... highest bits."""
    e = bytes(range(20))
    k1 = hmac.new(e, b"\x00", "sha1").digest()
    k2 = hmac.new(e, k1, "sha1").digest()
    assert expand_key(V1HashAlgorithm.SHA, e, 24) == (k1 + k2)[:24]
    assert expand_key(V1HashAlgorithm.SHA, e, 16) == e[:16]  # long enough: truncated
    assert expand_key(V1HashAlgorithm.SHA, e, 20) == e
    assert expand_key(V1HashAlgorithm.SHA, e, 0) == b""
    # 3DES from a SHA-1 SKEYID_e (20 < 24 octets) and AES-256 from MD5 (16 < 32).
    assert (
        encryption_key(V1HashAlgorithm.SHA, e, V1EncryptionAlgorithm.TRIPLEDES_CBC)
        == (k1 + k2)[:24]
    )
    m1 = hmac.new(e[:16], b"\x00", "md5").digest()
    m2 = hmac.new(e[:16], m1, "md5").digest()
    assert encryption_key(V1HashAlgorithm.MD5, e[:16], V1EncryptionAlgorithm.AES_CBC, 32) == m1 + m2
    with pytest.raises(ConfigError):
        expand_key(V1HashAlgorithm.SHA, e, -1)
    with pytest.raises(CryptoError):
        encryption_key(V1HashAlgorithm.SHA, e, V1EncryptionAlgorithm.IDEA_CBC)


def test_derive_phase1_keys_gives_the_expanded_key() -> None:
    hash_alg, case = PSK_SUBSET[0]
    h = bytes.fromhex
    skeyid = skeyid_psk(hash_alg, h(case["pre-shared-key"]), h(case["Ni"]), h(case["Nr"]))
    keys = derive_phase1_keys(
        hash_alg,
        skeyid,
        h(case["g^xy"]),
        h(case["CKY_I"]),
        h(case["CKY_R"]),
        encryption_key_length=24,
    )
    assert keys.encryption_key == expand_key(hash_alg, h(case["SKEYID_e"]), 24)
    assert case["SKEYID"] not in repr(keys)


def test_iv_formulas() -> None:
    """RFC 2409 Appendix B: IV = hash(g^xi | g^xr); phase 2 IV = hash(last block | M-ID)."""
    assert phase1_iv(V1HashAlgorithm.SHA, b"gxi", b"gxr", 8) == hashlib.sha1(b"gxigxr").digest()[:8]
    assert (
        phase2_iv(V1HashAlgorithm.MD5, b"B" * 16, 0x01020304, 16)
        == hashlib.md5(b"B" * 16 + b"\x01\x02\x03\x04").digest()
    )


def test_quick_mode_keymat() -> None:
    """RFC 2409 §5.5: K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
    K2 = prf(SKEYID_d, K1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)."""
    d, spi, ni, nr = b"d" * 20, b"\x00\x00\x10\x00", b"ni", b"nr"
    seed = b"\x03" + spi + ni + nr
    k1 = hmac.new(d, seed, "sha1").digest()
    k2 = hmac.new(d, k1 + seed, "sha1").digest()
    assert quick_mode_keymat(V1HashAlgorithm.SHA, d, 3, spi, ni, nr, 36) == (k1 + k2)[:36]
    pfs_seed = b"gqm" + seed
    p1 = hmac.new(d, pfs_seed, "sha1").digest()
    assert quick_mode_keymat(V1HashAlgorithm.SHA, d, 3, spi, ni, nr, 16, g_qm_xy=b"gqm") == p1[:16]
    assert quick_mode_keymat(V1HashAlgorithm.SHA, d, 3, spi, ni, nr, 0) == b""
