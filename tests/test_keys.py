"""IKE and Child SA key derivation (ikewire.crypto.keys) against published data.

* NIST CAVP SP 800-135 IKEv2 KDF (vectors/nist-cavp-kdf135-ike/ikev2.json, all 900 cases):
  SKEYSEED, DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), Child SA DKM with and without a new
  Diffie-Hellman secret, rekey SKEYSEED.
* libreswan's ACVP form of the first CAVP case (vectors/libreswan/).
* strongSwan 6.0.1 charon logs of hybrid X25519 + ML-KEM-768 IKE SAs
  (vectors/strongswan-6.0.1-mlkem/*/keys.json): the RFC 9370 IKE_INTERMEDIATE update, an IKE
  SA rekey with IKE_FOLLOWUP_KE, and Child SAs created and rekeyed with additional KEs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ikewire.crypto.keys import (
    ENCR_INFO,
    INTEG_INFO,
    ChildSAKeys,
    IKESAKeys,
    apply_ppk,
    derive_child_sa_keys,
    derive_ike_sa_keys,
    encr_key_length,
    integ_key_length,
    skeyseed,
    update_ike_sa_keys,
)
from ikewire.crypto.prf import prf_for
from ikewire.errors import ConfigError, CryptoError

VECTORS = Path(__file__).resolve().parent.parent / "vectors"

# IANA numbers used below (RFC 7296 §3.3.2 and the IKEv2 registries).
PRF_HMAC_SHA1, PRF_AES128_XCBC, PRF_HMAC_SHA2_256 = 2, 4, 5
PRF_HMAC_SHA2_384, PRF_HMAC_SHA2_512, PRF_AES128_CMAC = 6, 7, 8
ENCR_3DES, ENCR_AES_CBC, ENCR_AES_CTR = 3, 12, 13
ENCR_AES_CCM_16, ENCR_AES_GCM_16, ENCR_CHACHA20_POLY1305 = 16, 20, 28
AUTH_HMAC_SHA1_96, AUTH_AES_XCBC_96 = 2, 5
AUTH_HMAC_SHA2_256_128, AUTH_HMAC_SHA2_512_256 = 12, 14


@dataclass(frozen=True)
class Suite:
    """Stands in for the negotiated proposal (ikewire.crypto.keys.SuiteLike)."""

    prf_id: int | None
    encr_id: int | None
    encr_key_bits: int | None
    integ_id: int | None


@dataclass(frozen=True)
class EspSuite:
    """A Child SA proposal: no PRF attribute at all."""

    encr_id: int | None
    encr_key_bits: int | None
    integ_id: int | None


def _h(s: str) -> bytes:
    return bytes.fromhex(s)


def _ike_concat(k: IKESAKeys) -> bytes:
    return k.sk_d + k.sk_ai + k.sk_ar + k.sk_ei + k.sk_er + k.sk_pi + k.sk_pr


def _child_concat(k: ChildSAKeys) -> bytes:
    return k.sk_ei + k.sk_ai + k.sk_er + k.sk_ar


def _same_prefix(a: bytes, b: bytes) -> bool:
    n = min(len(a), len(b))
    return n > 0 and a[:n] == b[:n]


# --- NIST CAVP SP 800-135 IKEv2 ---------------------------------------------------------------

_CAVP = json.loads((VECTORS / "nist-cavp-kdf135-ike" / "ikev2.json").read_text())["groups"]

# One IKE and one ESP suite per hash; their KEYMAT is compared to the published DKM
# wherever both exist (prf+ output is a prefix-stable stream, RFC 7296 §2.13).
_CAVP_SUITES = {
    "SHA-1": (
        Suite(PRF_HMAC_SHA1, ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96),  # exactly 1056 bits
        EspSuite(ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256),
    ),
    "SHA-256": (
        Suite(PRF_HMAC_SHA2_256, ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128),
        EspSuite(ENCR_AES_GCM_16, 256, None),
    ),
    "SHA-384": (
        Suite(PRF_HMAC_SHA2_384, ENCR_AES_GCM_16, 256, None),
        EspSuite(ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128),
    ),
    "SHA-512": (
        Suite(PRF_HMAC_SHA2_512, ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_512_256),
        EspSuite(ENCR_CHACHA20_POLY1305, None, None),
    ),
}


def test_cavp_file_is_complete() -> None:
    assert sum(len(g["cases"]) for g in _CAVP) == 900


@pytest.mark.parametrize(
    "group",
    _CAVP,
    ids=[
        f"{g['params']['hash']}-N{g['params']['Ni length']}-gir{g['params']['g^ir length']}"
        for g in _CAVP
    ],
)
def test_nist_cavp_ikev2_kdf(group: dict[str, Any]) -> None:
    """Every SKEYSEED, DKM, DKM(Child SA), DKM(Child SA D-H), SKEYSEED(Rekey) of the group."""
    suite, esp = _CAVP_SUITES[group["params"]["hash"]]
    assert suite.prf_id is not None
    prf = prf_for(suite.prf_id)
    dkm_len = group["params"]["DKM length"] // 8
    for c in group["cases"]:
        where = f"COUNT={c['COUNT']}"
        ni, nr, gir, gir_new = _h(c["Ni"]), _h(c["Nr"]), _h(c["g^ir"]), _h(c["g^ir (new)"])
        spi_i, spi_r = _h(c["SPIi"]), _h(c["SPIr"])
        dkm, child, child_dh = _h(c["DKM"]), _h(c["DKM(Child SA)"]), _h(c["DKM(Child SA D-H)"])
        assert len(dkm) == dkm_len, where

        # RFC 7296 §2.14: SKEYSEED = prf(Ni | Nr, g^ir); DKM = prf+(SKEYSEED, Ni|Nr|SPIi|SPIr)
        seed = skeyseed(suite.prf_id, ni, nr, gir)
        assert seed.hex() == c["SKEYSEED"], where
        assert prf.plus(seed, ni + nr + spi_i + spi_r, dkm_len) == dkm, where
        keys = derive_ike_sa_keys(suite, gir, ni, nr, spi_i, spi_r)
        assert _same_prefix(_ike_concat(keys), dkm), where
        assert keys.sk_d == dkm[: prf.key_size], where

        # §2.17: KEYMAT = prf+(SK_d, Ni | Nr) and prf+(SK_d, g^ir (new) | Ni | Nr)
        ck = derive_child_sa_keys(esp, keys.sk_d, ni, nr, prf_id=suite.prf_id)
        assert _same_prefix(_child_concat(ck), child), where
        ck = derive_child_sa_keys(
            esp, keys.sk_d, ni, nr, prf_id=suite.prf_id, shared_secret=gir_new
        )
        assert _same_prefix(_child_concat(ck), child_dh), where

        # §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
        rekey = skeyseed(suite.prf_id, ni, nr, gir_new, old_sk_d=keys.sk_d)
        assert rekey.hex() == c["SKEYSEED(Rekey)"], where
        rekeyed = derive_ike_sa_keys(suite, gir_new, ni, nr, spi_i, spi_r, old_sk_d=keys.sk_d)
        assert _ike_concat(rekeyed) == prf.plus(
            rekey, ni + nr + spi_i + spi_r, len(_ike_concat(rekeyed))
        ), where


def test_libreswan_acvp_case() -> None:
    """libreswan's cavp tool test: the ACVP JSON outputs for the inputs on its command line."""
    run = (VECTORS / "libreswan" / "cavp-test.acvp.ikev2.run.txt").read_text()
    args = dict(re.findall(r"-(\w+) ([0-9a-fA-F-]+)", run.split("\n\n", 1)[0]))
    expected = json.loads((VECTORS / "libreswan" / "cavp-test.acvp.ikev2.json").read_text())
    assert "-hashAlg SHA-1" in run
    ni, nr, gir, gir_new = (_h(args[k]) for k in ("nInit", "nResp", "gir", "girNew"))
    spi_i, spi_r = _h(args["spiInit"]), _h(args["spiResp"])
    length = int(args["derivedKeyingMaterialLength"]) // 8
    prf = prf_for(PRF_HMAC_SHA1)

    seed = skeyseed(PRF_HMAC_SHA1, ni, nr, gir)
    assert seed.hex() == expected["sKeySeed"]
    dkm = prf.plus(seed, ni + nr + spi_i + spi_r, length)
    assert dkm.hex() == expected["derivedKeyingMaterial"]
    sk_d = dkm[: prf.key_size]
    assert prf.plus(sk_d, ni + nr, length).hex() == expected["derivedKeyingMaterialChild"]
    assert prf.plus(sk_d, gir_new + ni + nr, length).hex() == expected["derivedKeyingMaterialDh"]
    assert (
        skeyseed(PRF_HMAC_SHA1, ni, nr, gir_new, old_sk_d=sk_d).hex() == expected["sKeySeedReKey"]
    )


def test_rekey_skeyseed_uses_the_old_sas_prf() -> None:
    """RFC 7296 §2.18: SKEYSEED with the old IKE SA's PRF, SK_* with the new SA's PRF.

    The old SA is CAVP SHA-1 COUNT=0 (its SKEYSEED(Rekey) is published); the new SA
    negotiated PRF_HMAC_SHA2_256.
    """
    c = _CAVP[0]["cases"][0]
    ni, nr, gir_new = _h(c["Ni"]), _h(c["Nr"]), _h(c["g^ir (new)"])
    spi_i, spi_r = _h(c["SPIi"]), _h(c["SPIr"])
    old_sk_d = _h(c["DKM"])[:20]
    new_suite = Suite(PRF_HMAC_SHA2_256, ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128)
    keys = derive_ike_sa_keys(
        new_suite, gir_new, ni, nr, spi_i, spi_r, old_sk_d=old_sk_d, old_prf_id=PRF_HMAC_SHA1
    )
    km = prf_for(PRF_HMAC_SHA2_256).plus(
        _h(c["SKEYSEED(Rekey)"]), ni + nr + spi_i + spi_r, 32 + 2 * 32 + 2 * 16 + 2 * 32
    )
    assert _ike_concat(keys) == km
    assert len(keys.sk_d) == len(keys.sk_pi) == 32


# --- RFC 7296 §2.14: XCBC/CMAC use only 64 bits of each nonce for SKEYSEED ----------------------


@pytest.mark.parametrize("prf_id", [PRF_AES128_XCBC, PRF_AES128_CMAC])
def test_fixed_key_prf_skeyseed_uses_first_64_bits_of_each_nonce(prf_id: int) -> None:
    """NSS's XCBC SKEYSEED vector (64-bit nonces) must not change when the nonces grow
    (RFC 7296 §2.14), while prf+ uses the whole nonces."""
    nss = json.loads((VECTORS / "nss-ike-prf" / "nss_ike_prf_vectors.json").read_text())
    v = nss["vectors"]["PRF_AES128_XCBC"][0]
    assert v["test_type"] == "ikeGxy"
    ni, nr, gir = _h(v["Ni"]), _h(v["Nr"]), _h(v["ikm"])
    long_ni, long_nr = ni + bytes(range(24)), nr + bytes(range(100, 124))
    seed = skeyseed(prf_id, long_ni, long_nr, gir)
    if prf_id == PRF_AES128_XCBC:
        assert seed.hex() == v["okm"]
    assert seed == skeyseed(prf_id, ni, nr, gir)
    suite = Suite(prf_id, ENCR_AES_CBC, 128, AUTH_AES_XCBC_96)
    spis = bytes(8), bytes(range(8))
    a = derive_ike_sa_keys(suite, gir, long_ni, long_nr, *spis)
    b = derive_ike_sa_keys(suite, gir, ni, nr, *spis)
    assert a.sk_d != b.sk_d  # same SKEYSEED, different prf+ seed
    assert len(a.sk_d) == len(a.sk_pi) == 16


# --- strongSwan 6.0.1: RFC 9370 (X25519 + ML-KEM-768), AES-GCM-16-256, PRF_HMAC_SHA2_384 -------

_IKE_SUITE = Suite(PRF_HMAC_SHA2_384, ENCR_AES_GCM_16, 256, None)
_ESP_SUITE = EspSuite(ENCR_AES_GCM_16, 256, None)


def _swan(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (VECTORS / "strongswan-6.0.1-mlkem" / case / "keys.json").read_text()
    )
    assert data["ike_proposal"]["string"] == (
        "AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE_25519/KE1_ML_KEM_768"
    )
    return data


def _assert_logged(keys: IKESAKeys, logged: dict[str, str]) -> None:
    for name in ("sk_d", "sk_ei", "sk_er", "sk_pi", "sk_pr"):
        assert getattr(keys, name).hex() == logged[name], name
    assert keys.sk_ai == keys.sk_ar == b""  # AEAD: no integrity keys
    assert (keys.spi_i.hex(), keys.spi_r.hex()) == (logged["spi_i"], logged["spi_r"])


def _initial(logged: dict[str, str], **kw: Any) -> IKESAKeys:
    return derive_ike_sa_keys(
        _IKE_SUITE,
        _h(logged["ke_secret"]),
        _h(logged["ni"]),
        _h(logged["nr"]),
        _h(logged["spi_i"]),
        _h(logged["spi_r"]),
        **kw,
    )


@pytest.mark.parametrize("case", ["b_x25519-ke1mlkem768", "d_hybrid-rekey"])
def test_strongswan_ike_intermediate_update(case: str) -> None:
    """IKE_SA_INIT keys, then RFC 9370 §2.2.2 update after the ML-KEM IKE_INTERMEDIATE."""
    init, inter = _swan(case)["ike_key_sets"][:2]
    assert inter["stage"].startswith("IKE_INTERMEDIATE")
    assert _h(init["ni_nr"]) == _h(init["ni"]) + _h(init["nr"])
    k0 = _initial(init)
    assert skeyseed(PRF_HMAC_SHA2_384, _h(init["ni"]), _h(init["nr"]), _h(init["ke_secret"])) == _h(
        init["skeyseed"]
    )
    _assert_logged(k0, init)
    # The IKE_INTERMEDIATE reuses the IKE_SA_INIT nonces and SPIs.
    k1 = update_ike_sa_keys(k0, _h(inter["ke_secret"]), _h(inter["ni"]), _h(inter["nr"]))
    _assert_logged(k1, inter)
    assert _initial(init, additional_secrets=[_h(inter["ke_secret"])]) == k1


@pytest.mark.parametrize("case", ["b_x25519-ke1mlkem768", "d_hybrid-rekey"])
def test_strongswan_first_child_sa(case: str) -> None:
    """The IKE_AUTH Child SA: KEYMAT = prf+(SK_d, Ni | Nr) with the updated SK_d."""
    data = _swan(case)
    init, inter = data["ike_key_sets"][:2]
    child = data["child_key_sets"][0]
    assert child["log_context"].startswith("parsed IKE_AUTH")
    ni, nr = _h(init["ni"]), _h(init["nr"])
    assert _h(child["seed"]) == ni + nr
    sk_d = _initial(init, additional_secrets=[_h(inter["ke_secret"])]).sk_d
    ck = derive_child_sa_keys(_ESP_SUITE, sk_d, ni, nr, prf_id=PRF_HMAC_SHA2_384)
    assert (ck.sk_ei.hex(), ck.sk_er.hex()) == (child["encr_i"], child["encr_r"])
    assert ck.sk_ai == ck.sk_ar == b""
    assert len(ck.sk_ei) == 36  # 256-bit key + 4-octet salt (RFC 4106 §8.1)


def _child_rekey_nonces(child: dict[str, str]) -> tuple[bytes, bytes, bytes, bytes]:
    """(g^ir, Ni, Nr, SK(1)) of a logged CREATE_CHILD_SA + IKE_FOLLOWUP_KE Child SA.

    The nonces travel encrypted; charon logs the whole seed g^ir | Ni | Nr | SK(1), and
    the two secrets are logged on their own, so the nonces are what lies between.
    """
    seed, ke, add = _h(child["seed"]), _h(child["ke_secret"]), _h(child["add_ke_secret"])
    assert seed.startswith(ke) and seed.endswith(add)
    nonces = seed[len(ke) : len(seed) - len(add)]
    assert len(nonces) == 64
    return ke, nonces[:32], nonces[32:], add


def test_strongswan_hybrid_rekeys() -> None:
    """RFC 9370 §2.2.4: a Child SA rekey, an IKE SA rekey, and a Child SA rekey on the new
    IKE SA, each CREATE_CHILD_SA (X25519) followed by IKE_FOLLOWUP_KE (ML-KEM-768)."""
    data = _swan("d_hybrid-rekey")
    init, inter, rekey = data["ike_key_sets"]
    _, child_rekey_1, child_rekey_2 = data["child_key_sets"]
    ike1 = _initial(init, additional_secrets=[_h(inter["ke_secret"])])

    # Child SA rekeyed under the first IKE SA:
    # KEYMAT = prf+(SK_d, SK(0) | Ni | Nr | SK(1))
    ke, ni, nr, add = _child_rekey_nonces(child_rekey_1)
    ck = derive_child_sa_keys(
        _ESP_SUITE,
        ike1.sk_d,
        ni,
        nr,
        prf_id=PRF_HMAC_SHA2_384,
        shared_secret=ke,
        additional_secrets=[add],
    )
    assert (ck.sk_ei.hex(), ck.sk_er.hex()) == (child_rekey_1["encr_i"], child_rekey_1["encr_r"])

    # IKE SA rekey: SKEYSEED = prf(SK_d (old), SK(0) | Ni | Nr | SK(1)), new SPIs and nonces.
    assert rekey["stage"].startswith("IKE rekey")
    ike2 = derive_ike_sa_keys(
        _IKE_SUITE,
        _h(rekey["ke_secret"]),
        _h(rekey["ni"]),
        _h(rekey["nr"]),
        _h(rekey["spi_i"]),
        _h(rekey["spi_r"]),
        old_sk_d=ike1.sk_d,
        additional_secrets=[_h(rekey["add_ke_secret"])],
    )
    _assert_logged(ike2, rekey)
    assert (
        skeyseed(
            PRF_HMAC_SHA2_384,
            _h(rekey["ni"]),
            _h(rekey["nr"]),
            _h(rekey["ke_secret"]),
            old_sk_d=ike1.sk_d,
            additional_secrets=[_h(rekey["add_ke_secret"])],
        ).hex()
        == rekey["skeyseed"]
    )

    # Child SA rekeyed under the rekeyed IKE SA uses the new SK_d.
    ke, ni, nr, add = _child_rekey_nonces(child_rekey_2)
    ck = derive_child_sa_keys(
        _ESP_SUITE,
        ike2.sk_d,
        ni,
        nr,
        prf_id=PRF_HMAC_SHA2_384,
        shared_secret=ke,
        additional_secrets=[add],
    )
    assert (ck.sk_ei.hex(), ck.sk_er.hex()) == (child_rekey_2["encr_i"], child_rekey_2["encr_r"])


# --- RFC 8784 §3 PPK ------------------------------------------------------------------------------


def test_apply_ppk_rfc8784() -> None:
    """SK_d, SK_pi, SK_pr become prf+(PPK, old value) of the same length; the rest stays.

    (No published PPK key set was available; the inputs are CAVP SHA-256 COUNT=0 keys.)
    """
    c = _CAVP[2]["cases"][0]
    assert _CAVP[2]["params"]["hash"] == "SHA-256"
    suite = Suite(PRF_HMAC_SHA2_256, ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128)
    args = (_h(c["g^ir"]), _h(c["Ni"]), _h(c["Nr"]), _h(c["SPIi"]), _h(c["SPIr"]))
    keys = derive_ike_sa_keys(suite, *args)
    ppk = b"this is a 32-octet PPK for tests"
    mixed = apply_ppk(keys, ppk)
    prf = prf_for(PRF_HMAC_SHA2_256)
    assert mixed.sk_d == prf.plus(ppk, keys.sk_d, 32) != keys.sk_d
    assert mixed.sk_pi == prf.plus(ppk, keys.sk_pi, 32) != keys.sk_pi
    assert mixed.sk_pr == prf.plus(ppk, keys.sk_pr, 32) != keys.sk_pr
    for name in ("sk_ai", "sk_ar", "sk_ei", "sk_er", "spi_i", "spi_r"):
        assert getattr(mixed, name) == getattr(keys, name)
    assert derive_ike_sa_keys(suite, *args, ppk=ppk) == mixed
    with pytest.raises(ConfigError):  # RFC 8784 §3: not again at rekey
        derive_ike_sa_keys(suite, *args, old_sk_d=keys.sk_d, ppk=ppk)
    with pytest.raises(ConfigError):
        apply_ppk(keys, b"")


# --- algorithm facts and key lengths ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("encr_id", "bits", "octets"),
    [
        (ENCR_3DES, None, 24),  # RFC 2451: 192-bit key
        (ENCR_AES_CBC, 128, 16),  # RFC 3602
        (ENCR_AES_CBC, 256, 32),
        (ENCR_AES_CTR, 128, 20),  # RFC 5930 / RFC 3686 §5.1: key + 4-octet nonce
        (ENCR_AES_CCM_16, 128, 19),  # RFC 5282 §7.1 / RFC 4309 §7.1: 3-octet salt
        (ENCR_AES_GCM_16, 256, 36),  # RFC 5282 §7.1 / RFC 4106 §8.1: 4-octet salt
        (ENCR_CHACHA20_POLY1305, None, 36),  # RFC 7634 §2: 256-bit key + 4-octet salt
        (ENCR_CHACHA20_POLY1305, 256, 36),
    ],
)
def test_encr_key_lengths(encr_id: int, bits: int | None, octets: int) -> None:
    assert encr_key_length(encr_id, bits) == octets


@pytest.mark.parametrize(
    ("encr_id", "bits"), [(ENCR_AES_CBC, None), (ENCR_AES_CBC, 64), (ENCR_3DES, 128), (99, 128)]
)
def test_bad_encr_key_lengths(encr_id: int, bits: int | None) -> None:
    """AES needs the Key Length attribute (RFC 7296 §3.3.5); lengths must exist."""
    with pytest.raises(CryptoError):
        encr_key_length(encr_id, bits)


def test_algorithm_tables() -> None:
    """Spot checks of the facts cipher.py relies on."""
    gcm = ENCR_INFO[ENCR_AES_GCM_16]
    assert (gcm.aead, gcm.salt_size, gcm.iv_size, gcm.icv_size) == (True, 4, 8, 16)
    ccm8 = ENCR_INFO[14]
    assert (ccm8.aead, ccm8.salt_size, ccm8.iv_size, ccm8.icv_size) == (True, 3, 8, 8)
    cbc = ENCR_INFO[ENCR_AES_CBC]
    assert (cbc.aead, cbc.block_size, cbc.iv_size, cbc.key_sizes) == (
        False,
        16,
        16,
        (128, 192, 256),
    )
    assert (ENCR_INFO[ENCR_3DES].block_size, ENCR_INFO[ENCR_3DES].iv_size) == (8, 8)
    assert ENCR_INFO[ENCR_CHACHA20_POLY1305].key_sizes == (256,)
    # RFC 4868 §2.1: key = hash output; ICV = half of it. RFC 2404/3566/4494: 96-bit ICVs.
    assert [(INTEG_INFO[i].key_size, INTEG_INFO[i].icv_size) for i in (12, 13, 14)] == [
        (32, 16),
        (48, 24),
        (64, 32),
    ]
    assert [(INTEG_INFO[i].key_size, INTEG_INFO[i].icv_size) for i in (1, 2, 5, 8)] == [
        (16, 12),
        (20, 12),
        (16, 12),
        (16, 12),
    ]
    assert integ_key_length(None) == integ_key_length(0) == 0
    with pytest.raises(CryptoError):
        integ_key_length(3)  # AUTH_DES_MAC: not supported
    assert all(info.name.startswith("ENCR_") for info in ENCR_INFO.values())


def test_ike_key_lengths_follow_the_suite() -> None:
    """RFC 7296 §2.14: SK_d/SK_pi/SK_pr = PRF key size; SK_a = integrity key; SK_e = cipher."""
    suite = Suite(PRF_HMAC_SHA2_512, ENCR_AES_CTR, 192, AUTH_HMAC_SHA2_256_128)
    k = derive_ike_sa_keys(suite, b"g" * 32, b"n" * 32, b"r" * 32, bytes(8), bytes(8))
    lengths = [len(x) for x in (k.sk_d, k.sk_ai, k.sk_ar, k.sk_ei, k.sk_er, k.sk_pi, k.sk_pr)]
    assert lengths == [64, 32, 32, 28, 28, 64, 64]
    assert (k.prf_id, k.encr_id, k.encr_key_bits, k.integ_id) == (7, 13, 192, 12)


# --- misuse -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "suite",
    [
        Suite(PRF_HMAC_SHA2_256, ENCR_AES_GCM_16, 256, AUTH_HMAC_SHA2_256_128),  # AEAD + integ
        Suite(PRF_HMAC_SHA2_256, ENCR_AES_CBC, 256, None),  # IKE SA without integrity
        Suite(PRF_HMAC_SHA2_256, None, None, AUTH_HMAC_SHA2_256_128),  # no cipher
        Suite(None, ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128),  # no PRF
    ],
)
def test_invalid_ike_suites(suite: Suite) -> None:
    with pytest.raises(ConfigError):
        derive_ike_sa_keys(suite, b"g" * 32, b"n" * 32, b"r" * 32, bytes(8), bytes(8))


def test_invalid_arguments() -> None:
    suite = Suite(PRF_HMAC_SHA2_256, ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128)
    with pytest.raises(ConfigError):  # RFC 7296 §3.1: 8-octet SPIs
        derive_ike_sa_keys(suite, b"g", b"n" * 32, b"r" * 32, bytes(4), bytes(8))
    with pytest.raises(ConfigError):  # a Child SA needs the IKE SA's PRF
        derive_child_sa_keys(EspSuite(ENCR_AES_CBC, 128, 12), bytes(32), b"n", b"r")
    with pytest.raises(ConfigError):  # RFC 9370: SK(1..n) only after SK(0)
        derive_child_sa_keys(
            EspSuite(ENCR_AES_CBC, 128, 12),
            bytes(32),
            b"n",
            b"r",
            prf_id=5,
            additional_secrets=[b"x"],
        )
    with pytest.raises(CryptoError):
        derive_ike_sa_keys(Suite(3, 12, 128, 12), b"g", b"n", b"r", bytes(8), bytes(8))  # TIGER


def test_child_sa_prf_from_suite_and_ah() -> None:
    """A suite carrying prf_id needs no keyword; AH (no cipher) derives integrity keys only."""
    ah = Suite(PRF_HMAC_SHA2_256, None, None, AUTH_HMAC_SHA2_256_128)
    k = derive_child_sa_keys(ah, bytes(32), b"n" * 16, b"r" * 16)
    assert (k.sk_ei, k.sk_er, len(k.sk_ai), len(k.sk_ar)) == (b"", b"", 32, 32)
    assert k.sk_ai + k.sk_ar == prf_for(5).plus(bytes(32), b"n" * 16 + b"r" * 16, 64)


def test_repr_hides_keys() -> None:
    """Keys are never printed (STYLE: no key material in logs unless asked for)."""
    c = _CAVP[0]["cases"][0]
    suite = _CAVP_SUITES["SHA-1"][0]
    keys = derive_ike_sa_keys(
        suite, _h(c["g^ir"]), _h(c["Ni"]), _h(c["Nr"]), _h(c["SPIi"]), _h(c["SPIr"])
    )
    child = derive_child_sa_keys(_CAVP_SUITES["SHA-1"][1], keys.sk_d, b"n", b"r", prf_id=2)
    for obj, secrets in (
        (keys, [keys.sk_d, keys.sk_ai, keys.sk_ar, keys.sk_ei, keys.sk_er, keys.sk_pi, keys.sk_pr]),
        (child, [child.sk_ei, child.sk_ai, child.sk_er, child.sk_ar]),
    ):
        for text in (repr(obj), str(obj), f"{obj!r}"):
            for secret in secrets:
                assert secret.hex() not in text
                assert repr(secret) not in text
    assert c["SPIi"] in repr(keys)
