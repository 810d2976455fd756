"""Key exchange methods (ikewire.crypto.groups) against published known answers.

Sources (each vectors/ folder has its SOURCES.md):

* RFC 5903 §8.1-8.3 (groups 19-21): vectors/rfc/rfc5903_ecp_groups.json;
* RFC 7748 §5.2 and §6.1 and RFC 8031's example (group 31):
  vectors/rfc/rfc7748_rfc8031_x25519.json;
* strongSwan's test_vectors plugin (vectors/strongswan-test-vectors): MODP groups 1-18,
  RFC 5114 groups 22-24 (its Appendix A data), ECP groups 19-21/25/26 (RFC 5114 data),
  brainpool groups 28-30 (RFC 6923/RFC 7027 data), Curve25519 and Curve448 (RFC 7748);
* ML-KEM-768: C2SP/wycheproof testvectors_v1/mlkem_768_test.json tcId 1 (pinned below);
* RFC 2409 §6.1/6.2 and RFC 3526 §2-§7: each prime's defining formula.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.utils import CryptographyDeprecationWarning
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ikewire.constants import KeyExchangeMethod, NotifyType
from ikewire.crypto import groups
from ikewire.crypto.groups import (
    GroupKind,
    KeyExchange,
    check_peer_value,
    group_info,
    new_key_exchange,
    supported_methods,
)
from ikewire.errors import ConfigError, CryptoError, ProtocolError

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
M = KeyExchangeMethod

EXPECTED_SUPPORTED = {
    M.MODP_768, M.MODP_1024, M.MODP_1536, M.MODP_2048, M.MODP_3072, M.MODP_4096,
    M.MODP_6144, M.MODP_8192, M.ECP_256, M.ECP_384, M.ECP_521, M.MODP_1024_160,
    M.MODP_2048_224, M.MODP_2048_256, M.ECP_192, M.ECP_224, M.BRAINPOOLP256R1,
    M.BRAINPOOLP384R1, M.BRAINPOOLP512R1, M.CURVE25519, M.CURVE448, M.ML_KEM_768,
    M.ML_KEM_1024,
}  # fmt: skip
SUPPORTED = sorted(supported_methods())


def _load(path: str) -> Any:
    return json.loads((VECTORS / path).read_text())


def _strongswan_ke_vectors() -> Iterator[Any]:
    files = _load("strongswan-test-vectors/strongswan_test_vectors.json")["files"]
    for name in ("modp.c", "modpsub.c", "ecp.c", "ecpbp.c", "curve25519.c", "curve448.c"):
        for vector in files[name]:
            yield pytest.param(vector, id=vector["name"])


STRONGSWAN_METHODS = {
    "MODP_768_BIT": M.MODP_768,
    "MODP_1024_BIT": M.MODP_1024,
    "MODP_1536_BIT": M.MODP_1536,
    "MODP_2048_BIT": M.MODP_2048,
    "MODP_3072_BIT": M.MODP_3072,
    "MODP_4096_BIT": M.MODP_4096,
    "MODP_6144_BIT": M.MODP_6144,
    "MODP_8192_BIT": M.MODP_8192,
    "MODP_1024_160": M.MODP_1024_160,
    "MODP_2048_224": M.MODP_2048_224,
    "MODP_2048_256": M.MODP_2048_256,
    "ECP_192_BIT": M.ECP_192,
    "ECP_224_BIT": M.ECP_224,
    "ECP_256_BIT": M.ECP_256,
    "ECP_384_BIT": M.ECP_384,
    "ECP_521_BIT": M.ECP_521,
    "ECP_224_BP": M.BRAINPOOLP224R1,
    "ECP_256_BP": M.BRAINPOOLP256R1,
    "ECP_384_BP": M.BRAINPOOLP384R1,
    "ECP_512_BP": M.BRAINPOOLP512R1,
    "CURVE_25519": M.CURVE25519,
    "CURVE_448": M.CURVE448,
}


def _exchange(method: int, **initiator_kw: Any) -> tuple[KeyExchange, KeyExchange, bytes, bytes]:
    """Run both sides in the order IKE_SA_INIT does (KEi, then KEr)."""
    init = new_key_exchange(method, initiator=True, **initiator_kw)
    resp = new_key_exchange(method, initiator=False)
    ke_i = init.public_value()
    secret_r = resp.compute_secret(ke_i)
    ke_r = resp.public_value()
    secret_i = init.compute_secret(ke_r)
    return init, resp, secret_i, secret_r


def _counter_rng(seed: int) -> Callable[[int], bytes]:
    """A deterministic stand-in for os.urandom (not random; fixes keys for a test)."""
    state = [seed]

    def rng(n: int) -> bytes:
        out = bytes((state[0] + i) % 251 + 1 for i in range(n))
        state[0] += 7
        return out

    return rng


# --------------------------------------------------------------------------- the table


def test_supported_methods_of_this_build() -> None:
    assert set(SUPPORTED) == EXPECTED_SUPPORTED
    assert tuple(SUPPORTED) == supported_methods()


@pytest.mark.parametrize(
    ("method", "what"),
    [(M.BRAINPOOLP224R1, "the curve"), (M.ML_KEM_512, "mlkem512")],
)
def test_methods_cryptography_lacks_say_so(method: KeyExchangeMethod, what: str) -> None:
    assert group_info(method).supported is False
    for initiator in (True, False):
        with pytest.raises(ConfigError, match="not supported by this cryptography build") as exc:
            new_key_exchange(method, initiator=initiator)
        assert what in str(exc.value)
    with pytest.raises(ConfigError, match="not supported by this cryptography build"):
        check_peer_value(method, bytes(group_info(method).public_value_length))


@pytest.mark.parametrize("method", [0, 3, 33, 34, 38, 1024])
def test_unknown_methods_are_config_errors(method: int) -> None:
    with pytest.raises(ConfigError, match="unknown"):
        group_info(method)
    with pytest.raises(ConfigError):
        new_key_exchange(method)


@pytest.mark.parametrize(
    ("method", "name", "kind", "ke_i", "ke_r", "secret"),
    [
        (M.MODP_768, "modp768", GroupKind.MODP, 96, 96, 96),
        (M.MODP_1024, "modp1024", GroupKind.MODP, 128, 128, 128),
        (M.MODP_1536, "modp1536", GroupKind.MODP, 192, 192, 192),
        (M.MODP_2048, "modp2048", GroupKind.MODP, 256, 256, 256),
        (M.MODP_3072, "modp3072", GroupKind.MODP, 384, 384, 384),
        (M.MODP_4096, "modp4096", GroupKind.MODP, 512, 512, 512),
        (M.MODP_6144, "modp6144", GroupKind.MODP, 768, 768, 768),
        (M.MODP_8192, "modp8192", GroupKind.MODP, 1024, 1024, 1024),
        (M.ECP_256, "ecp256", GroupKind.ECP, 64, 64, 32),
        (M.ECP_384, "ecp384", GroupKind.ECP, 96, 96, 48),
        (M.ECP_521, "ecp521", GroupKind.ECP, 132, 132, 66),
        (M.MODP_1024_160, "modp1024s160", GroupKind.MODP, 128, 128, 128),
        (M.MODP_2048_224, "modp2048s224", GroupKind.MODP, 256, 256, 256),
        (M.MODP_2048_256, "modp2048s256", GroupKind.MODP, 256, 256, 256),
        (M.ECP_192, "ecp192", GroupKind.ECP, 48, 48, 24),
        (M.ECP_224, "ecp224", GroupKind.ECP, 56, 56, 28),
        (M.BRAINPOOLP224R1, "ecp224bp", GroupKind.ECP, 56, 56, 28),
        (M.BRAINPOOLP256R1, "ecp256bp", GroupKind.ECP, 64, 64, 32),
        (M.BRAINPOOLP384R1, "ecp384bp", GroupKind.ECP, 96, 96, 48),
        (M.BRAINPOOLP512R1, "ecp512bp", GroupKind.ECP, 128, 128, 64),
        (M.CURVE25519, "curve25519", GroupKind.MONTGOMERY, 32, 32, 32),
        (M.CURVE448, "curve448", GroupKind.MONTGOMERY, 56, 56, 56),
        # FIPS 203 Table 3: encapsulation key / ciphertext sizes; 32-octet shared key.
        (M.ML_KEM_512, "mlkem512", GroupKind.KEM, 800, 768, 32),
        (M.ML_KEM_768, "mlkem768", GroupKind.KEM, 1184, 1088, 32),
        (M.ML_KEM_1024, "mlkem1024", GroupKind.KEM, 1568, 1568, 32),
    ],
)
def test_group_info(
    method: KeyExchangeMethod, name: str, kind: GroupKind, ke_i: int, ke_r: int, secret: int
) -> None:
    info = group_info(int(method))
    assert (info.method, info.name, info.kind) == (method, name, kind)
    assert info.public_value_length == ke_i == info.value_length(initiator=True)
    assert info.responder_value_length == ke_r == info.value_length(initiator=False)
    assert info.shared_secret_length == secret


# --------------------------------------------------------------------------- parameters

# RFC 2409 §6.1/§6.2 and RFC 3526 §2-§7: p = 2^n - 2^(n-64) - 1 + 2^64 * ([2^(n-130) pi] + c)
RFC3526_OFFSETS = {
    M.MODP_768: (768, 149686),
    M.MODP_1024: (1024, 129093),
    M.MODP_1536: (1536, 741804),
    M.MODP_2048: (2048, 124476),
    M.MODP_3072: (3072, 1690314),
    M.MODP_4096: (4096, 240904),
    M.MODP_6144: (6144, 929484),
    M.MODP_8192: (8192, 4743158),
}


def _floor_pi_times_2_to(bits: int) -> int:
    """floor(pi * 2^bits) by Machin's formula in integer arithmetic (64 guard bits)."""
    one = 1 << (bits + 64)

    def arctan_inverse(x: int) -> int:
        total = term = one // x
        n, sign = 1, -1
        while term:
            term //= x * x
            total += sign * (term // (2 * n + 1))
            n, sign = n + 1, -sign
        return total

    return (4 * (4 * arctan_inverse(5) - arctan_inverse(239))) >> 64


@pytest.mark.parametrize("method", list(RFC3526_OFFSETS))
def test_modp_primes_match_their_rfc_formula(method: KeyExchangeMethod) -> None:
    n, c = RFC3526_OFFSETS[method]
    expected = 2**n - 2 ** (n - 64) - 1 + 2**64 * (_floor_pi_times_2_to(n - 130) + c)
    params = groups._MODP[method]
    assert params.p == expected
    assert params.g == 2 and params.q is None


@pytest.mark.parametrize(
    ("method", "p_bits", "q_bits"),
    [(M.MODP_1024_160, 1024, 160), (M.MODP_2048_224, 2048, 224), (M.MODP_2048_256, 2048, 256)],
)
def test_rfc5114_subgroups(method: KeyExchangeMethod, p_bits: int, q_bits: int) -> None:
    """RFC 5114 §2.1-§2.3: g generates a subgroup of prime order q dividing p-1."""
    params = groups._MODP[method]
    assert params.q is not None
    assert (params.p.bit_length(), params.q.bit_length()) == (p_bits, q_bits)
    assert (params.p - 1) % params.q == 0
    assert params.g != 1 and pow(params.g, params.q, params.p) == 1


# --------------------------------------------------------------------------- known answers


@pytest.mark.parametrize(
    "case", _load("rfc/rfc5903_ecp_groups.json")["groups"], ids=lambda c: f"group{c['dh_group']}"
)
def test_rfc5903_section8(case: dict[str, Any]) -> None:
    method = case["dh_group"]
    gi = bytes.fromhex(case["gi_x"] + case["gi_y"])
    gr = bytes.fromhex(case["gr_x"] + case["gr_y"])
    shared = bytes.fromhex(case["gir_x_shared_secret"])
    init = new_key_exchange(method, private_key=bytes.fromhex(case["i"]))
    resp = new_key_exchange(method, private_key=bytes.fromhex(case["r"]), initiator=False)
    assert init.public_value() == gi
    assert resp.public_value() == gr
    # The RFC's KE payloads: generic header, DH Group Num, RESERVED, then x || y.
    assert bytes.fromhex(case["KEi_payload"])[8:] == gi
    assert bytes.fromhex(case["KEr_payload"])[8:] == gr
    assert init.compute_secret(gr) == shared
    assert resp.compute_secret(gi) == shared


@pytest.mark.parametrize("vector", list(_strongswan_ke_vectors()))
def test_strongswan_ke_vectors(vector: dict[str, Any]) -> None:
    method = STRONGSWAN_METHODS[vector["method"]]
    priv_i, priv_r = (bytes.fromhex(part) for part in vector["seed"]["parts"])
    pub_i, pub_r = bytes.fromhex(vector["pub_i"]), bytes.fromhex(vector["pub_r"])
    shared = bytes.fromhex(vector["shared"])
    if method == M.BRAINPOOLP224R1:
        with pytest.raises(ConfigError, match="not supported by this cryptography build"):
            new_key_exchange(method, private_key=priv_i)
        return
    init = new_key_exchange(method, private_key=priv_i)
    resp = new_key_exchange(method, private_key=priv_r, initiator=False)
    assert init.public_value() == pub_i
    assert resp.public_value() == pub_r
    assert init.compute_secret(pub_r) == shared
    assert resp.compute_secret(pub_i) == shared


X25519_CASES = _load("rfc/rfc7748_rfc8031_x25519.json")["cases"]


@pytest.mark.parametrize(
    "case", [c for c in X25519_CASES if "scalar" in c], ids=lambda c: c["scalar"][:8]
)
def test_rfc7748_x25519_scalar_multiplication(case: dict[str, str]) -> None:
    ke = new_key_exchange(M.CURVE25519, private_key=bytes.fromhex(case["scalar"]))
    assert ke.compute_secret(bytes.fromhex(case["u"])) == bytes.fromhex(case["output_u"])


@pytest.mark.parametrize(
    "case", [c for c in X25519_CASES if "i_private" in c], ids=lambda c: c["kind"]
)
def test_rfc7748_rfc8031_x25519_exchange(case: dict[str, str]) -> None:
    init = new_key_exchange(M.CURVE25519, private_key=bytes.fromhex(case["i_private"]))
    resp = new_key_exchange(
        M.CURVE25519, private_key=bytes.fromhex(case["r_private"]), initiator=False
    )
    assert init.public_value() == bytes.fromhex(case["gi"])
    assert resp.public_value() == bytes.fromhex(case["gr"])
    shared = bytes.fromhex(case["shared_secret"])
    assert init.compute_secret(resp.public_value()) == shared
    assert resp.compute_secret(init.public_value()) == shared


def _mlkem_kat() -> dict[str, bytes]:
    return {key: bytes.fromhex(value) for key, value in MLKEM768_WYCHEPROOF_TC1.items()}


def test_mlkem768_wycheproof_keygen_and_decapsulation() -> None:
    """Seed (d || z) -> encapsulation key, and decapsulation of c (implicit rejection)."""
    kat = _mlkem_kat()
    init = new_key_exchange(M.ML_KEM_768, private_key=kat["seed"])
    assert init.public_value() == kat["ek"]
    assert init.compute_secret(kat["c"]) == kat["K"]


def test_mlkem768_responder_encapsulates_to_a_published_key() -> None:
    kat = _mlkem_kat()
    resp = new_key_exchange(M.ML_KEM_768, initiator=False)
    secret = resp.compute_secret(kat["ek"])
    ciphertext = resp.public_value()
    assert len(secret) == 32 and len(ciphertext) == 1088
    init = new_key_exchange(M.ML_KEM_768, private_key=kat["seed"])
    assert init.compute_secret(ciphertext) == secret


# --------------------------------------------------------------------------- agreement


@pytest.mark.parametrize("method", SUPPORTED, ids=lambda m: m.name)
def test_pairwise_agreement(method: KeyExchangeMethod) -> None:
    info = group_info(method)
    init, resp, secret_i, secret_r = _exchange(method)
    assert secret_i == secret_r
    assert len(secret_i) == info.shared_secret_length
    assert len(init.public_value()) == info.public_value_length
    assert len(resp.public_value()) == info.responder_value_length
    assert init.peer_value_length == info.responder_value_length
    assert resp.peer_value_length == info.public_value_length
    # Fresh keys every time.
    assert _exchange(method)[2] != secret_i


@pytest.mark.parametrize("method", SUPPORTED, ids=lambda m: m.name)
def test_rng_makes_keys_reproducible(method: KeyExchangeMethod) -> None:
    first = new_key_exchange(method, rng=_counter_rng(5)).public_value()
    again = new_key_exchange(method, rng=_counter_rng(5)).public_value()
    other = new_key_exchange(method, rng=_counter_rng(6)).public_value()
    assert first == again != other
    _, _, secret_i, secret_r = _exchange(method, rng=_counter_rng(9))
    assert secret_i == secret_r


def test_modp_values_are_left_padded_to_the_prime_length() -> None:
    """RFC 7296 §3.4 (KE data) and §2.14 (g^ir): fixed length, zero-padded on the left."""
    init = new_key_exchange(M.MODP_2048, private_key=b"\x02")
    resp = new_key_exchange(M.MODP_2048, private_key=b"\x03", initiator=False)
    assert init.public_value() == (4).to_bytes(256, "big")  # g^2
    assert resp.public_value() == (8).to_bytes(256, "big")  # g^3
    assert init.compute_secret(resp.public_value()) == (64).to_bytes(256, "big")  # g^6


def test_finite_field_dh_deprecation_warning_is_not_shown_to_callers() -> None:
    """cryptography 50 deprecates FFDH; a caller running with -W error still gets MODP."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _exchange(M.MODP_2048, private_key=b"\x05")
        _exchange(M.MODP_2048_256)
        check_peer_value(M.MODP_2048, (4).to_bytes(256, "big"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _exchange(M.MODP_1024_160)
    assert not [w for w in caught if issubclass(w.category, CryptographyDeprecationWarning)]


def test_repr_names_the_method_not_the_key() -> None:
    ke = new_key_exchange(M.CURVE25519, private_key=bytes(range(32)))
    text = repr(ke)
    assert "curve25519" in text and "initiator" in text
    assert ke.public_value().hex() not in text and bytes(range(32)).hex() not in text


# --------------------------------------------------------------------------- RFC 6989 checks


@contextlib.contextmanager
def _rejected(reason: str) -> Iterator[None]:
    """The block raises ProtocolError(INVALID_SYNTAX) whose reason matches ``reason``."""
    with pytest.raises(ProtocolError, match=reason) as exc:
        yield
    assert exc.value.notify == NotifyType.INVALID_SYNTAX
    assert int(exc.value.notify) == 7


@pytest.mark.parametrize("method", [M.MODP_2048, M.MODP_1024_160, M.MODP_2048_256])
def test_modp_range_check(method: KeyExchangeMethod) -> None:
    ke = new_key_exchange(method)
    p = groups._MODP[method].p
    size = group_info(method).public_value_length
    for y in (0, 1, p - 1, p, p + 1, 2 ** (8 * size) - 1):
        value = y.to_bytes(size, "big")
        with _rejected(r"1 < y < p-1"):
            ke.compute_secret(value)
        with _rejected(r"1 < y < p-1"):
            check_peer_value(method, value)


@pytest.mark.parametrize("method", [M.MODP_1024_160, M.MODP_2048_224, M.MODP_2048_256])
def test_modp_subgroup_check(method: KeyExchangeMethod) -> None:
    params = groups._MODP[method]
    ke = new_key_exchange(method)
    size = group_info(method).public_value_length
    for y in (2, params.p - 2, params.g + 1):  # none of these has order q
        assert pow(y, params.q or 0, params.p) != 1
        value = y.to_bytes(size, "big")
        with _rejected("y\\^q = 1"):
            ke.compute_secret(value)
    # A member of the subgroup passes: g itself.
    assert len(ke.compute_secret(params.g.to_bytes(size, "big"))) == size


@pytest.mark.parametrize("method", SUPPORTED, ids=lambda m: m.name)
def test_wrong_length_is_rejected(method: KeyExchangeMethod) -> None:
    info = group_info(method)
    for initiator in (True, False):
        expected = info.value_length(initiator=not initiator)
        for length in (0, expected - 1, expected + 1):
            ke = new_key_exchange(method, initiator=initiator)
            value = bytes(range(256)) * (length // 256) + bytes(range(length % 256))
            with _rejected("wrong length"):
                ke.compute_secret(value)
            with _rejected("wrong length"):
                check_peer_value(method, value, from_initiator=not initiator)


ECP_SUPPORTED = [m for m in SUPPORTED if group_info(m).kind is GroupKind.ECP]


@pytest.mark.parametrize("method", ECP_SUPPORTED, ids=lambda m: m.name)
def test_ecp_point_off_the_curve(method: KeyExchangeMethod) -> None:
    ke = new_key_exchange(method)
    good = new_key_exchange(method).public_value()
    half = len(good) // 2
    y_plus_1 = (int.from_bytes(good[half:], "big") + 1).to_bytes(half, "big")
    for bad in (good[:half] + y_plus_1, good[half:] + good[:half]):
        with _rejected("not a point on the curve"):
            ke.compute_secret(bad)
        with _rejected("not a point on the curve"):
            check_peer_value(method, bad)


@pytest.mark.parametrize("method", ECP_SUPPORTED, ids=lambda m: m.name)
def test_ecp_point_at_infinity(method: KeyExchangeMethod) -> None:
    ke = new_key_exchange(method)
    zero = bytes(group_info(method).public_value_length)
    with _rejected("point at infinity"):
        ke.compute_secret(zero)


# RFC 5639 §3.4 brainpoolP256r1: field prime p and curve coefficients A, B.
BP256_P = 0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377
BP256_A = 0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9
BP256_B = 0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6


def test_ecp_coordinate_not_reduced_mod_p_is_rejected() -> None:
    """y + p encodes the same residue as y, but a canonical encoding has y < p."""
    ke = new_key_exchange(M.BRAINPOOLP256R1)
    for seed in range(1, 200):
        value = new_key_exchange(M.BRAINPOOLP256R1, private_key=bytes([seed])).public_value()
        x, y = int.from_bytes(value[:32], "big"), int.from_bytes(value[32:], "big")
        assert (y * y - (x**3 + BP256_A * x + BP256_B)) % BP256_P == 0  # a real point
        if y + BP256_P < 2**256:
            break
    bad = value[:32] + (y + BP256_P).to_bytes(32, "big")
    with _rejected("not a point on the curve"):
        ke.compute_secret(bad)


# Points of small order on Curve25519 (RFC 7748 §5 / the list in libsodium and
# "May the Fourth Be With You"): 0, 1, and a point of order 8.
X25519_LOW_ORDER = [
    bytes(32),
    (1).to_bytes(32, "little"),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
]


@pytest.mark.parametrize("point", X25519_LOW_ORDER, ids=lambda p: p[:4].hex())
def test_x25519_low_order_point_gives_all_zero_secret(point: bytes) -> None:
    for initiator in (True, False):
        ke = new_key_exchange(M.CURVE25519, initiator=initiator)
        with _rejected("all-zero shared secret"):
            ke.compute_secret(point)


def test_x448_low_order_point_gives_all_zero_secret() -> None:
    ke = new_key_exchange(M.CURVE448)
    for point in (bytes(56), (1).to_bytes(56, "little")):
        with _rejected("all-zero shared secret"):
            ke.compute_secret(point)


MLKEM = [m for m in SUPPORTED if group_info(m).kind is GroupKind.KEM]


@pytest.mark.parametrize("method", MLKEM, ids=lambda m: m.name)
def test_mlkem_truncated_values(method: KeyExchangeMethod) -> None:
    init = new_key_exchange(method)
    ek = init.public_value()
    resp = new_key_exchange(method, initiator=False)
    with _rejected("wrong length"):
        resp.compute_secret(ek[:-1])
    resp.compute_secret(ek)
    ciphertext = resp.public_value()
    with _rejected("wrong length"):
        init.compute_secret(ciphertext[:-1])
    with _rejected("wrong length"):
        init.compute_secret(ciphertext + b"\x00")


def _with_coefficient(ek: bytes, value: int) -> bytes:
    """``ek`` with its first 12-bit coefficient (FIPS 203 ByteEncode12) set to ``value``."""
    return bytes([value & 0xFF, (ek[1] & 0xF0) | (value >> 8)]) + ek[2:]


@pytest.mark.parametrize("method", MLKEM, ids=lambda m: m.name)
def test_mlkem_encapsulation_key_modulus_check(method: KeyExchangeMethod) -> None:
    """FIPS 203 §7.2: coefficients must be < q = 3329; cryptography's load enforces it."""
    ek = new_key_exchange(method).public_value()
    # q - 1 is still a valid coefficient: the key loads.
    new_key_exchange(method, initiator=False).compute_secret(_with_coefficient(ek, 3328))
    for coefficient in (3329, 4095):
        bad = _with_coefficient(ek, coefficient)
        resp = new_key_exchange(method, initiator=False)
        with _rejected("modulus check"):
            resp.compute_secret(bad)
        with _rejected("modulus check"):
            check_peer_value(method, bad)


# --------------------------------------------------------------------------- API misuse


@pytest.mark.parametrize("method", MLKEM, ids=lambda m: m.name)
def test_mlkem_responder_order_of_calls(method: KeyExchangeMethod) -> None:
    resp = new_key_exchange(method, initiator=False)
    with pytest.raises(ConfigError, match="compute_secret"):
        resp.public_value()
    ek = new_key_exchange(method).public_value()
    resp.compute_secret(ek)
    with pytest.raises(ConfigError, match="only once"):
        resp.compute_secret(ek)
    with pytest.raises(ConfigError, match="no private key"):
        new_key_exchange(method, initiator=False, private_key=bytes(64))
    with pytest.raises(ConfigError, match="64-octet seed"):
        new_key_exchange(method, private_key=bytes(32))


@pytest.mark.parametrize(
    ("method", "private_key"),
    [
        (M.MODP_2048, b"\x01"),  # x must be > 1
        (M.MODP_2048, b"\xff" * 256),  # x must be < p-1
        (M.MODP_2048_256, b"\xff" * 32),  # x must be < q
        (M.MODP_2048_256, b"\x00"),
        (M.ECP_256, bytes(32)),
        (M.ECP_256, b"\xff" * 32),  # >= n
        (M.CURVE25519, bytes(31)),
        (M.CURVE448, bytes(57)),
    ],
)
def test_private_key_out_of_range(method: KeyExchangeMethod, private_key: bytes) -> None:
    with pytest.raises(ConfigError):
        new_key_exchange(method, private_key=private_key)


def test_private_key_and_rng_are_exclusive() -> None:
    with pytest.raises(ConfigError, match="not both"):
        new_key_exchange(M.CURVE25519, private_key=bytes(32), rng=_counter_rng(1))


@pytest.mark.parametrize("method", [M.MODP_2048, M.ECP_256, M.CURVE25519, M.ML_KEM_768])
def test_rng_returning_the_wrong_length(method: KeyExchangeMethod) -> None:
    with pytest.raises(ConfigError, match="must return"):
        new_key_exchange(method, rng=lambda n: bytes(n - 1))


@pytest.mark.parametrize("method", [M.MODP_2048, M.MODP_2048_256, M.ECP_256, M.ECP_521])
def test_rng_that_never_gives_a_usable_value_is_bounded(method: KeyExchangeMethod) -> None:
    with pytest.raises(CryptoError, match="rng gave no usable"):
        new_key_exchange(method, rng=lambda n: bytes(n))


# --------------------------------------------------------------------------- property


@pytest.mark.parametrize("method", SUPPORTED, ids=lambda m: m.name)
@pytest.mark.parametrize("initiator", [True, False], ids=["initiator", "responder"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_peer_values_raise_only_protocol_error(
    method: KeyExchangeMethod, initiator: bool, data: st.DataObject
) -> None:
    info = group_info(method)
    length = info.value_length(initiator=not initiator)
    value = data.draw(st.binary(min_size=length, max_size=length))
    ke = new_key_exchange(method, initiator=initiator)
    try:
        secret = ke.compute_secret(value)
    except ProtocolError as exc:
        assert exc.notify == NotifyType.INVALID_SYNTAX
    else:
        assert len(secret) == info.shared_secret_length


# --------------------------------------------------------------------------- pinned data

# C2SP/wycheproof testvectors_v1/mlkem_768_test.json, tcId 1 (flag "Strcmp", result
# valid), commit dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166: seed = d || z, the
# encapsulation key ML-KEM.KeyGen derives from it, a ciphertext c and the key K that
# decapsulation must return (via implicit rejection).
MLKEM768_WYCHEPROOF_TC1 = {
    "seed": (
        "cbfc4405d1b2a3a386c94c25e0f2d5f5ee92cb0388ff4d6aa04223086d51c3fd24752da14c9fc3b8ae0d9e4a"
        "8b1016b8d8fc69e229c03ea2ef08a4ae0cffc37f"
    ),
    "ek": (
        "8b9a7354e8c1c17a9898f96caf99bba1c625ae0983c4d26e60c12f59bc25d756182b17979e713fff129e6c33"
        "6a2317770380858129cb91a902ea5455ca076c20e4158f393aa2783053d8acf92c3286a10436d72af3e8903c"
        "e22f8cbab18b1309aca205aa8a3da45807e5b60e6967a640a713a5b81b0d82bc406934e3c88910cc06f09a68"
        "bce991009bb56ae233296218ff5baf1f475390b8b7494a4e083645985437f2495a073222fea058e167203415"
        "1a2e14c2cbcb4ad9068c8e7bcb02886c4087c14bd8823ec66393fb2e12326b38e655dcab1c13cb2931358715"
        "c8be5153293229cc994a5702b7295a6a4a73249ac5a30a32a6b91dca768c177d8fa59054e548bee40257db69"
        "62a83b64ec6de0d3be7b1812c5d99e7a38cf54eaa8413aa0bd02bf374461f29c2b6aea56f7d33e10dbbc75bb"
        "1bf6b555213aac33e652443a186a618b6e9a293919693f1673ea159d0ee52c92d53e9a5cbd5f4c44419b5493"
        "f0286efcb9b5a2ad56a713c4f61ed431aa987805a90475391ccd4c7a28d884bf1a926b7675b9208897a89a63"
        "84c154acca3521c32a994949b2e80b2ff2518c0bbd34184cda443de498a05dfba9ce701bb914179a0188be0b"
        "cda6fbc2cd93afb042481b4a84d821160a1b0ade8bcb97dbaf681547cce0bca674151a261a21aa04fda318c9"
        "21c38425b775b995cd7b4eb6369f0b211da186594de815fa3b53a68043e1946468a5899b90578ad49397306f"
        "71acab67c258fa17a31893b72d22151ce1afee150fe550bffde8a24fe4740dd43f387c7ad20b5cca59978795"
        "36c3071574901147727341c1a6fc8043e6454903e88217f0c92b9a4ac54a86e7909390878a35ba18c1e26b13"
        "049f41c522bc049d74db6f76caba39f23d8f07abc26a07a1caba71cb5c12fbc20a715450b2228d17b2ba985c"
        "fe2496b033b55f300baf992964388a5422298f627ba567730ddb03a195806a5c23a1d315481c52814b0681ea"
        "3c804b02c90688c2fbbce9b17d230a42f8b865417c9e93347f5ff624879962747c7eed886acd48a994b22064"
        "ca499c69aa4825be60260d12f63102799828b3ccebaa4340b749605017eb4598ff13a634500a48470de9078a"
        "34106267d25a0b144d8cdb1a4d527692153da013c0ab27ae2ca955e7c66238746022d50630892933a05c283a"
        "9f4c00c9f984646f75471081722ed3404ce60fed4a06702b8728b62d920b3224206ab0a4694f9c18e3162b52"
        "9c16af04b87b4a61cd53a757906d67a139629585d423a3b0986f29c95984e2095ea4608784b0b31c20cbc36c"
        "fd60b773389fe5a8c0958211a35b2c45f21f51a08693c19bfc388c2d677a214ccc5a7cb0b67030fd6987503c"
        "91b0f2646985a9048489dd882bd4141f5419554eb738fa7333c5c57a4ce5541fd6b8ad454c2dea67ad1c6f84"
        "8c0a44a1872e40a17d987075d762ba5aaa21d435dd079b989a8ee21a2ce898934a98a02d5b381c302a2d7694"
        "8fa65de15666f57750d580ae1a541c700692dd0b0a6799b5cdb893413bb89bb65182f219a4bc3c80b43bb591"
        "bcd05ac6e9a366552558ed5c5fbe7b4acfc7b23372094f6a87f26c0c46646c55a888871324fea7536e586a51"
        "49b9b707c86ea076486a6822b9bbf59fbfcaedc13284b9813cabdd526e326a6832d3b36efc3102ef"
    ),
    "c": (
        "00e96c44eb5f5380d80b4cb05d608971a28fbe838b912b558bf9676c6c67c9692ed6ea063fc47b70d5d60048"
        "25c269b9cb8e68b5728d67f44844d97686a11154e3cbd4a6f9e47524d93d851bdce480d7762ded09be53d17c"
        "ce3ee28dc5a06911c062b99b218355dd5822108c55e2c67f7ea0b74b6189b33b4589d8ff9d0c867d13edaaf1"
        "c5f724675320beda3e6acc673c048fa04a1b30f899227d5a555e08a412a47b7db75eb118a8844a71b1868804"
        "26f6bb6e77186d18e753cbcce93c9fb76c729875b4d473eeca8dab9941969faef04df9ce3178e7341eab416d"
        "28bb7aee12bfb8f4c3df814eff45a0187329079acfc41a8e8dba7b08d111f02e37a1d2b69e57eef808fcc6ae"
        "23385534a420a93dfb6a95c73e2f1016177c4fe9d3ced769e277293aaceded6d07efc7890eaa885bd1e73f9e"
        "5da2b9cfda0d44cbc9090705ac2ce3e7bcd7775b593c706e45ddc97d3a65d9b7e73673f9473df5bfec689671"
        "f73e7f6ee77c730a8ebda1f0b2c112a71904d6f28a51d8d479f8323fb485e722f5c4d5857e95989a9cbaf273"
        "efd04fc3cbde98baa9969e095e88accecfbd12ef2155497a5b15fe91a70d1106b91a568363bfc2d6736cc813"
        "8cbc41ddf1e54fd40511e27d89e2c26c027b63c156e2bbb998faaed3d72186f0cc626dad39a782dcda2087fd"
        "13a9498e10b41b685646a227ea1166a5632c195983f4aba2b718b4074030d57126d34c38349892007acbea9e"
        "393b967dc3146b270f080a1f0bee90d65a095a6352a7718ed1717a8025a2bd38c66d120baf4247676a1fe044"
        "a57ce268c078f8ff46cc26fe4f9c7a03d6467adacb8418d26273662bce1f7bc00b906e0088e95dc0fb419e22"
        "32e85aac77b9e7cd563e604de5e1d3e9693dcd3b19865cf4250773691e7e0af9c2755cd31f49d1f96708f3ba"
        "2f0b98184525abb869e12d5cea0ac1740181a875035300b05a54b8d42ee3b4ae92b06e43cd807e2b096c977f"
        "23c61ef8c989c52ed83754076dea1323f639250bef61bdf903bf7961cec89ba6942d9d0647ac9c8195d93ed8"
        "abcedf25754644035719a5a0a1c8c0798912726a9a8258e4c10ae7485322ed9ba331f6f090c4b492a4fcf53d"
        "753cd34f28ec0443fce0724f43c89a3942169d5099a8f7430f38691ebce2e3fe4f600d82c7ccedf60673f8e5"
        "d4c1a9f84b8b5b23f5ed63defb6a7205e0a8b105bdc6ff4568fc78cb4456b02fedb7f4c48f6fd6b69216a331"
        "9821039db40e19a31a0b0c9d471d5a7a73865d26f8be3595525b1ec4a8579efd07ea98e2602e2bffdfd8febc"
        "5c7b4c736d326b5030ccc6faf9420a9c156a8f4516b9fff675459dfdcd4ef85d7adbdffd60f4a39628e399cc"
        "752c2e99ab2f431dc765e7c9d206bfe32649fbef4ef48b1d7936fc74766d724350ee2245a8d5f23fbc6c7ed8"
        "b57168ce1e864e49d7f8c475dcda140bd42473825b3c72eb8c54780188813011e1962a503f9b516e13226de6"
        "375b204733b0192183c8f55e870e61cf8947c3191790bc0b657bc43aebc9d86c"
    ),
    "K": ("76c10bb1d86d96d7eb18e298363e51f7728e113f455df7d15017940ed3541451"),
}
