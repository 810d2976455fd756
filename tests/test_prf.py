"""IKEv2 PRFs and prf+ (ikewire.crypto.prf) against published vectors.

Sources (each folder under vectors/ has its SOURCES.md):
RFC 4434 / RFC 3566 (AES-XCBC), RFC 4615 / RFC 4493 (AES-CMAC), RFC 4868 and RFC 4231
via pyca's cryptography_vectors (HMAC-SHA2), strongSwan's test vectors (HMAC-MD5/SHA1/SHA2,
XCBC, CMAC, KDF_PRF and KDF_PRF_PLUS from NIST CAVP), NSS's IKE PRF gtest vectors (NIST
CAVP and NSS AES-XCBC, including a 17-octet XCBC key).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ikewire.crypto.prf import (
    MAX_PRF_PLUS_ITERATIONS,
    aes_xcbc_mac,
    prf_for,
    supported_prf_ids,
)
from ikewire.errors import ConfigError, CryptoError

VECTORS = Path(__file__).resolve().parent.parent / "vectors"

# IANA "Transform Type 2 - Pseudorandom Function Transform IDs" (RFC 7296 §3.3.2 + later).
PRF_IDS = {
    "PRF_HMAC_MD5": 1,
    "PRF_HMAC_SHA1": 2,
    "PRF_AES128_XCBC": 4,
    "PRF_HMAC_SHA2_256": 5,
    "PRF_HMAC_SHA2_384": 6,
    "PRF_HMAC_SHA2_512": 7,
    "PRF_AES128_CMAC": 8,
}


def _json(*parts: str) -> Any:
    return json.loads(VECTORS.joinpath(*parts).read_text())


def _h(s: str) -> bytes:
    return bytes.fromhex(s)


# --- RFC 4434 / RFC 3566: AES-XCBC --------------------------------------------------------

_XCBC = _json("rfc", "rfc4434_aes_xcbc_prf.json")["cases"]


@pytest.mark.parametrize(
    "case", [c for c in _XCBC if "prf_output" in c], ids=lambda c: str(c["name"])
)
def test_aes_xcbc_prf_128_rfc4434(case: dict[str, str]) -> None:
    """RFC 4434 §5: AES-XCBC-PRF-128, including 10- and 18-octet keys (§2 key rule)."""
    out = prf_for(4)(_h(case["key"]), _h(case["message"]))
    assert out.hex() == case["prf_output"]


@pytest.mark.parametrize(
    "case", [c for c in _XCBC if "aes_xcbc_mac_96" in c], ids=lambda c: str(c["name"])
)
def test_aes_xcbc_mac_96_rfc3566(case: dict[str, str]) -> None:
    """RFC 3566 §4.6: AES-XCBC-MAC-96 is the first 96 bits of AES-XCBC-MAC."""
    assert aes_xcbc_mac(_h(case["key"]), _h(case["message"]))[:12].hex() == case["aes_xcbc_mac_96"]


def test_aes_xcbc_mac_needs_a_128_bit_key() -> None:
    with pytest.raises(CryptoError):
        aes_xcbc_mac(bytes(15), b"")


# --- RFC 4615 / RFC 4493: AES-CMAC ----------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [c for c in _json("rfc", "rfc4615_aes_cmac_prf.json")["cases"] if "prf_output" in c],
    ids=lambda c: str(c["name"]),
)
def test_aes_cmac_prf_128_rfc4615(case: dict[str, str]) -> None:
    """RFC 4615 §4 (18-, 16-, 10-octet keys: any key but 128 bits is CMAC'd under 0^128)."""
    out = prf_for(8)(_h(case["key"]), _h(case["message"]))
    assert out.hex() == case["prf_output"]


# --- RFC 4868 / RFC 4231: HMAC-SHA2 ---------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [c for c in _json("rfc", "rfc4868_hmac_sha2.json")["cases"] if "prf_output" in c],
    ids=lambda c: str(c["name"]),
)
def test_hmac_sha2_prf_rfc4868(case: dict[str, str]) -> None:
    """RFC 4868 §2.7.1 PRF test cases."""
    out = prf_for(PRF_IDS[case["alg"]])(_h(case["key"]), _h(case["data"]))
    assert out.hex() == case["prf_output"]


def _rfc4231(name: str) -> list[tuple[str, str, str]]:
    """(Key, Msg, MD) triples of a pyca cryptography_vectors HMAC file."""
    cases, cur = [], {}
    for line in (VECTORS / "pyca-cryptography-vectors" / name).read_text().splitlines():
        if " = " in line and not line.startswith("#"):
            k, v = line.split(" = ", 1)
            cur[k.strip()] = v.strip()
            if k.strip() == "MD":
                cases.append((cur["Key"], cur["Msg"], cur["MD"]))
                cur = {}
    return cases


@pytest.mark.parametrize(
    ("prf_id", "case"),
    [
        (prf_id, case)
        for prf_id, name in ((5, "sha256"), (6, "sha384"), (7, "sha512"))
        for case in _rfc4231(f"rfc-4231-{name}.txt")
    ],
)
def test_hmac_sha2_rfc4231(prf_id: int, case: tuple[str, str, str]) -> None:
    """RFC 4231 §4 HMAC-SHA2 cases (keys shorter and longer than the block)."""
    key, msg, md = case
    assert prf_for(prf_id)(_h(key), _h(msg)).hex() == md


def test_rfc4231_file_parsed() -> None:
    # Each pyca file carries RFC 4231 test cases 1-4, 6 and 7 (case 5 is truncation).
    assert [len(_rfc4231(f"rfc-4231-{n}.txt")) for n in ("sha256", "sha384", "sha512")] == [6] * 3


# --- strongSwan test vectors ----------------------------------------------------------------

_SWAN = _json("strongswan-test-vectors", "strongswan_test_vectors.json")["files"]
_SWAN_PRF = [e for entries in _SWAN.values() for e in entries if e["type"] == "prf_test_vector_t"]


@pytest.mark.parametrize("case", _SWAN_PRF, ids=lambda c: str(c["name"]))
def test_strongswan_prf_vectors(case: dict[str, Any]) -> None:
    """strongSwan's PRF vectors: RFC 2202 (MD5, SHA1), RFC 4868, RFC 3566/4434, RFC 4493/4615."""
    out = prf_for(PRF_IDS[case["alg"]])(_h(case["key"]), _h(case["seed"]))
    assert out.hex() == case["out"]


def test_strongswan_prf_vectors_cover_every_prf() -> None:
    assert {PRF_IDS[c["alg"]] for c in _SWAN_PRF} == supported_prf_ids()


@pytest.mark.parametrize("case", _SWAN["kdf_prf.c"], ids=lambda c: str(c["name"]))
def test_strongswan_kdf_prf_skeyseed(case: dict[str, Any]) -> None:
    """NIST CAVP IKEv2 SKEYSEED = prf(salt = Ni | Nr, key = g^ir) (strongSwan kdf_prf.c)."""
    out = prf_for(PRF_IDS[case["arg.prf"]])(_h(case["salt"]), _h(case["key"]))
    assert out.hex() == case["out"]


@pytest.mark.parametrize("case", _SWAN["kdf_prf_plus.c"], ids=lambda c: str(c["name"]))
def test_strongswan_kdf_prf_plus(case: dict[str, Any]) -> None:
    """prf+(key, salt) (strongSwan kdf_prf_plus.c: an RFC 4868-derived case and NIST CAVP)."""
    out = _h(case["out"])
    assert (
        prf_for(PRF_IDS[case["arg.prf"]]).plus(_h(case["key"]), _h(case["salt"]), len(out)) == out
    )


# --- NSS IKE PRF vectors --------------------------------------------------------------------

_NSS = _json("nss-ike-prf", "nss_ike_prf_vectors.json")["vectors"]
_NSS_CASES = [
    (alg, v)
    for alg, vs in _NSS.items()
    for v in vs
    if v["test_type"] in {"ikeGxy", "ikeV2Rekey", "ikePlus", "ikeV1", "ikeV1Psk"}
]


@pytest.mark.parametrize(
    ("alg", "v"), _NSS_CASES, ids=[f"{a}-{v['id']}-{v['test_type']}" for a, v in _NSS_CASES]
)
def test_nss_ike_prf(alg: str, v: dict[str, Any]) -> None:
    """NSS gtest IKE vectors: SKEYSEED, rekey SKEYSEED, prf+ (truncated), IKEv1 SKEYID_*."""
    prf = prf_for(PRF_IDS[alg])
    ikm = _h(v.get("ikm_as_bytes", v["ikm"]))  # id 7 of XCBC: the 17-octet key (RFC 4434 §2)
    ni, nr = _h(v["Ni"]), _h(v["Nr"])
    kind = v["test_type"]
    if kind == "ikeGxy":
        # RFC 7296 §2.14: for XCBC the key is the first 64 bits of Ni and of Nr; these
        # nonces are 64 bits each, so Ni | Nr serves every PRF.
        out = prf(ni + nr, ikm)
    elif kind == "ikeV2Rekey":
        out = prf(ikm, _h(v["gxykm"]) + ni + nr)
    elif kind == "ikePlus":
        out = prf.plus(ikm, _h(v["seed_data"]), v["size"])
        assert len(out) == v["size"]
    elif kind == "ikeV1Psk":
        out = prf(ikm, ni + nr)  # RFC 2409 §5: SKEYID = prf(pre-shared-key, Ni_b | Nr_b)
    else:  # ikeV1: SKEYID_x = prf(SKEYID, [SKEYID_prev] | g^xy | CKY-I | CKY-R | n)
        data = _h(v["prevkm"]) + _h(v["gxykm"]) + ni + nr + bytes((v["key_number"],))
        out = prf(ikm, data)
    assert out.hex() == v["okm"]


def test_nss_xcbc_odd_key_case_is_17_octets() -> None:
    """The NSS XCBC rekey vector really exercises the >128-bit key reduction."""
    (case,) = [v for v in _NSS["PRF_AES128_XCBC"] if v["test_type"] == "ikeV2Rekey"]
    assert len(_h(case["ikm_as_bytes"])) == 17


# --- prf+ bounds and object properties ------------------------------------------------------


@pytest.mark.parametrize(
    ("prf_id", "key_size", "output_size"),
    [(1, 16, 16), (2, 20, 20), (4, 16, 16), (5, 32, 32), (6, 48, 48), (7, 64, 64), (8, 16, 16)],
)
def test_key_and_output_sizes(prf_id: int, key_size: int, output_size: int) -> None:
    """RFC 7296 §2.13 preferred key sizes: HMAC output length (RFC 4868 §2.1.2), 128 bits
    for AES-XCBC-PRF-128 (RFC 4434) and AES-CMAC-PRF-128 (RFC 4615)."""
    prf = prf_for(prf_id)
    assert (prf.prf_id, prf.key_size, prf.output_size) == (prf_id, key_size, output_size)
    assert prf.fixed_key == (prf_id in (4, 8))


@pytest.mark.parametrize("prf_id", sorted(supported_prf_ids()))
def test_prf_plus_is_bounded_at_255_blocks(prf_id: int) -> None:
    """RFC 7296 §2.13: the counter is one octet, so prf+ yields at most 255 blocks."""
    prf = prf_for(prf_id)
    limit = MAX_PRF_PLUS_ITERATIONS * prf.output_size
    full = prf.plus(b"k" * prf.key_size, b"seed", limit)
    assert len(full) == limit
    # The last block is T255 = prf(K, T254 | S | 0xff).
    t254 = full[-2 * prf.output_size : -prf.output_size]
    assert full[-prf.output_size :] == prf(b"k" * prf.key_size, t254 + b"seed" + b"\xff")
    with pytest.raises(ConfigError):
        prf.plus(b"k" * prf.key_size, b"seed", limit + 1)
    with pytest.raises(ConfigError):
        prf.plus(b"k", b"seed", -1)
    assert prf.plus(b"k", b"seed", 0) == b""


@settings(max_examples=60, deadline=None)
@given(
    prf_id=st.sampled_from(sorted(supported_prf_ids())),
    key=st.binary(max_size=80),
    seed=st.binary(max_size=80),
    short=st.integers(0, 200),
    extra=st.integers(0, 200),
)
def test_prf_plus_definition(prf_id: int, key: bytes, seed: bytes, short: int, extra: int) -> None:
    """prf+ = T1 | T2 | ... with T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), and a
    shorter request is a prefix of a longer one (RFC 7296 §2.13)."""
    prf = prf_for(prf_id)
    longer = prf.plus(key, seed, short + extra)
    assert longer[:short] == prf.plus(key, seed, short)
    t, expected = b"", b""
    for n in range(1, -(-(short + extra) // prf.output_size) + 1):
        t = prf(key, t + seed + bytes((n,)))
        expected += t
    assert longer == expected[: short + extra]


@pytest.mark.parametrize("prf_id", [0, 3, 9, 1024, None])
def test_unsupported_prf(prf_id: Any) -> None:
    """PRF_HMAC_TIGER (3) and unassigned numbers are refused."""
    with pytest.raises(CryptoError):
        prf_for(prf_id)


def test_prf_repr_names_the_algorithm() -> None:
    assert "PRF_HMAC_SHA2_256" in repr(prf_for(5))
