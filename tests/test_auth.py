"""AUTH payload data (ikewire.crypto.auth): signed octets, PSK, NULL, signatures.

Known answers:

* PSK AUTH from strongSwan 6.0.1 (vectors/strongswan-6.0.1-mlkem/b_x25519-ke1mlkem768):
  keys.json gives the PSK, SK_pi/SK_pr, the nonces and the IntAuth values; the signed
  octets, prf(PSK, "Key Pad for IKEv2") and both AUTH values are pinned below from the
  same run's charon-a.log (charon's ``ike = 4`` dumps, lines 452-560), an IKE SA with
  PRF_HMAC_SHA2_384 and one IKE_INTERMEDIATE exchange (RFC 9242 IntAuth).
* AlgorithmIdentifier DER of RFC 7427 Appendix A (A.1.2-A.1.4, A.3.2-A.3.4, A.4.3) and
  RFC 8420 §2 / RFC 8410 §3, as transcribed in libreswan's include/ietf_constants.h
  (commit 0c4e3eccfbb2cdfa1e21c154ee847a141a611a4f), which also gives the RSASSA-PSS
  SHA-384/SHA-512 blobs; cross-checked against the signatureAlgorithm that
  cryptography's X.509 builder writes for the same scheme.

Keys are generated at test time with cryptography.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from ikewire.constants import AuthMethod, HashAlgorithm, NotifyType, PrfId
from ikewire.crypto.auth import (
    KEY_PAD_FOR_IKEV2,
    PURE_KEY_TYPES,
    SIGNATURE_SCHEMES,
    KeyType,
    PrivateKey,
    SignatureScheme,
    choose_hash,
    decode_digital_signature,
    decode_hash_algorithms,
    encode_hash_algorithms,
    intermediate_auth,
    key_type_of,
    null_auth,
    psk_auth,
    sign,
    signed_octets,
    verify,
    verify_null,
    verify_psk,
)
from ikewire.crypto.prf import prf_for
from ikewire.errors import ConfigError, DecodeError, ProtocolError

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
A = AuthMethod
H = HashAlgorithm


# RFC 7427 Appendix A and RFC 8420 §2 (see the module docstring for the transcription).
PUBLISHED_ALGORITHM_IDENTIFIERS = {
    "sha256WithRSAEncryption": "300d06092a864886f70d01010b0500",  # A.1.2
    "sha384WithRSAEncryption": "300d06092a864886f70d01010c0500",  # A.1.3
    "sha512WithRSAEncryption": "300d06092a864886f70d01010d0500",  # A.1.4
    "ecdsa-with-sha256": "300a06082a8648ce3d040302",  # A.3.2
    "ecdsa-with-sha384": "300a06082a8648ce3d040303",  # A.3.3
    "ecdsa-with-sha512": "300a06082a8648ce3d040304",  # A.3.4
    "RSASSA-PSS with SHA-256": (  # A.4.3
        "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a"
        "864886f70d010108300d06096086480165030402010500a203020120"
    ),
    "RSASSA-PSS with SHA-384": (
        "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a"
        "864886f70d010108300d06096086480165030402020500a203020130"
    ),
    "RSASSA-PSS with SHA-512": (
        "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a"
        "864886f70d010108300d06096086480165030402030500a203020140"
    ),
    "Ed25519": "300506032b6570",  # RFC 8420 §2: id-Ed25519
    "Ed448": "300506032b6571",  # RFC 8420 §2: id-Ed448
    # id-ml-dsa-44/65/87, NIST CSOR 2.16.840.1.101.3.4.3.17-19, parameters absent
    # (RFC 9881 §2; the IETF draft for ML-DSA in IKEv2)
    "ML-DSA-44": "300b0609608648016503040311",
    "ML-DSA-65": "300b0609608648016503040312",
    "ML-DSA-87": "300b0609608648016503040313",
}


# --------------------------------------------------------------------------- keys


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "ed448": ed448.Ed448PrivateKey.generate(),
        "ml-dsa-44": mldsa.MLDSA44PrivateKey.generate(),
        "ml-dsa-65": mldsa.MLDSA65PrivateKey.generate(),
        "ml-dsa-87": mldsa.MLDSA87PrivateKey.generate(),
    }


KEY_FOR = {
    KeyType.RSA: "rsa",
    KeyType.ECDSA: "p256",
    KeyType.ED25519: "ed25519",
    KeyType.ED448: "ed448",
    KeyType.ML_DSA_44: "ml-dsa-44",
    KeyType.ML_DSA_65: "ml-dsa-65",
    KeyType.ML_DSA_87: "ml-dsa-87",
}
OCTETS = bytes(range(256)) * 2  # stands in for the signed octets


def _flip(data: bytes, index: int = 0) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _auth_failed(call: Any, *args: Any, match: str | None = None, **kwargs: Any) -> ProtocolError:
    with pytest.raises(ProtocolError, match=match) as exc:
        call(*args, **kwargs)
    assert exc.value.notify == NotifyType.AUTHENTICATION_FAILED
    assert int(exc.value.notify) == 24
    return exc.value


# --------------------------------------------------------------------------- AlgorithmIdentifier


def test_every_scheme_has_its_published_algorithm_identifier() -> None:
    assert {s.name for s in SIGNATURE_SCHEMES} == set(PUBLISHED_ALGORITHM_IDENTIFIERS)
    for scheme in SIGNATURE_SCHEMES:
        assert scheme.algorithm_identifier.hex() == PUBLISHED_ALGORITHM_IDENTIFIERS[scheme.name]


def _x509_signature_algorithm_der(key: PrivateKey, scheme: SignatureScheme) -> bytes:
    """A self-signed certificate's DER, signed the way ``scheme`` signs."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ikewire test")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    hash_alg = {
        H.SHA2_256: hashes.SHA256(),
        H.SHA2_384: hashes.SHA384(),
        H.SHA2_512: hashes.SHA512(),
    }.get(scheme.hash_alg)
    pad = (
        padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size)
        if scheme.rsa_pss and hash_alg is not None
        else None
    )
    if pad is not None:
        cert = builder.sign(key, hash_alg, rsa_padding=pad)  # type: ignore[arg-type]
    else:
        cert = builder.sign(key, hash_alg)  # type: ignore[arg-type]
    return cert.public_bytes(Encoding.DER)


@pytest.mark.parametrize("scheme", SIGNATURE_SCHEMES, ids=lambda s: s.name)
def test_algorithm_identifier_matches_cryptographys_x509_encoding(
    scheme: SignatureScheme, keys: dict[str, Any]
) -> None:
    key = keys[KEY_FOR[scheme.key_type]]
    der = _x509_signature_algorithm_der(key, scheme)
    # Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }:
    # the signatureAlgorithm is the AlgorithmIdentifier right before the BIT STRING.
    assert scheme.algorithm_identifier + b"\x03" in der


# --------------------------------------------------------------------------- signatures


SIGNATURE_CASES = [
    pytest.param(A.RSA_DIGITAL_SIGNATURE, "rsa", {}, id="1-rsa-sha1"),
    pytest.param(A.ECDSA_SHA256_P256, "p256", {}, id="9-p256"),
    pytest.param(A.ECDSA_SHA384_P384, "p384", {}, id="10-p384"),
    pytest.param(A.ECDSA_SHA512_P521, "p521", {}, id="11-p521"),
    *[
        pytest.param(
            A.DIGITAL_SIGNATURE,
            KEY_FOR[s.key_type],
            {"hash_alg": s.hash_alg, "rsa_pss": s.rsa_pss},
            id=f"14-{s.name}",
        )
        for s in SIGNATURE_SCHEMES
    ],
    pytest.param(A.DIGITAL_SIGNATURE, "p384", {}, id="14-p384-default-hash"),
    pytest.param(A.DIGITAL_SIGNATURE, "p521", {"hash_alg": H.SHA2_256}, id="14-p521-sha256"),
]


@pytest.mark.parametrize(("method", "key_name", "options"), SIGNATURE_CASES)
def test_sign_verify_round_trip_and_tampering(
    method: AuthMethod, key_name: str, options: dict[str, Any], keys: dict[str, Any]
) -> None:
    private_key = keys[key_name]
    public_key = private_key.public_key()
    auth_data = sign(method, private_key, OCTETS, **options)
    verify(method, public_key, OCTETS, auth_data)
    _auth_failed(verify, method, public_key, _flip(OCTETS, 100), auth_data, match="verify")
    _auth_failed(verify, method, public_key, OCTETS, _flip(auth_data, len(auth_data) - 1))


@pytest.mark.parametrize(
    ("method", "key_name", "size"),
    [
        (A.ECDSA_SHA256_P256, "p256", 64),
        (A.ECDSA_SHA384_P384, "p384", 96),
        (A.ECDSA_SHA512_P521, "p521", 132),
    ],
)
def test_rfc4754_signature_is_fixed_length_r_s(
    method: AuthMethod, key_name: str, size: int, keys: dict[str, Any]
) -> None:
    """RFC 4754 §7: r and s as fixed-length big-endian integers, not DER."""
    private_key = keys[key_name]
    auth_data = sign(method, private_key, OCTETS)
    assert len(auth_data) == size
    r, s = (
        int.from_bytes(auth_data[: size // 2], "big"),
        int.from_bytes(auth_data[size // 2 :], "big"),
    )
    hash_alg = {64: hashes.SHA256(), 96: hashes.SHA384(), 132: hashes.SHA512()}[size]
    private_key.public_key().verify(encode_dss_signature(r, s), OCTETS, ec.ECDSA(hash_alg))
    _auth_failed(verify, method, private_key.public_key(), OCTETS, auth_data[:-1], match="r \\| s")


def test_method_1_is_pkcs1v15_with_sha1(keys: dict[str, Any]) -> None:
    auth_data = sign(A.RSA_DIGITAL_SIGNATURE, keys["rsa"], OCTETS)
    keys["rsa"].public_key().verify(auth_data, OCTETS, padding.PKCS1v15(), hashes.SHA1())


@pytest.mark.parametrize("scheme", SIGNATURE_SCHEMES, ids=lambda s: s.name)
def test_digital_signature_auth_data_layout(scheme: SignatureScheme, keys: dict[str, Any]) -> None:
    """RFC 7427 §3: ASN.1 length octet | AlgorithmIdentifier | signature value."""
    private_key = keys[KEY_FOR[scheme.key_type]]
    auth_data = sign(
        A.DIGITAL_SIGNATURE, private_key, OCTETS, hash_alg=scheme.hash_alg, rsa_pss=scheme.rsa_pss
    )
    identifier = scheme.algorithm_identifier
    assert auth_data[0] == len(identifier)
    assert auth_data[1 : 1 + len(identifier)] == identifier
    name, signature = decode_digital_signature(auth_data)
    assert name == scheme.name and signature == auth_data[1 + len(identifier) :]
    # The signature value is what cryptography verifies directly for that scheme.
    public_key = private_key.public_key()
    if scheme.key_type in PURE_KEY_TYPES:
        public_key.verify(signature, OCTETS)  # pure EdDSA / ML-DSA, empty context
        return
    hash_alg = {
        H.SHA2_256: hashes.SHA256(),
        H.SHA2_384: hashes.SHA384(),
        H.SHA2_512: hashes.SHA512(),
    }[scheme.hash_alg]
    if scheme.key_type is KeyType.ECDSA:
        public_key.verify(signature, OCTETS, ec.ECDSA(hash_alg))  # DER Ecdsa-Sig-Value
    elif scheme.rsa_pss:
        pss = padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size)
        public_key.verify(signature, OCTETS, pss, hash_alg)
    else:
        public_key.verify(signature, OCTETS, padding.PKCS1v15(), hash_alg)


def test_default_hashes(keys: dict[str, Any]) -> None:
    def name_of(key_name: str) -> str:
        return decode_digital_signature(sign(A.DIGITAL_SIGNATURE, keys[key_name], OCTETS))[0]

    assert name_of("rsa") == "sha256WithRSAEncryption"
    assert name_of("p256") == "ecdsa-with-sha256"
    assert name_of("p384") == "ecdsa-with-sha384"
    assert name_of("p521") == "ecdsa-with-sha512"
    assert name_of("ed25519") == "Ed25519"
    assert name_of("ed448") == "Ed448"


def test_sign_rejects_mismatched_key_method_and_hash(keys: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="needs an RSA key"):
        sign(A.RSA_DIGITAL_SIGNATURE, keys["p256"], OCTETS)
    with pytest.raises(ConfigError, match="SHA-1 only"):
        sign(A.RSA_DIGITAL_SIGNATURE, keys["rsa"], OCTETS, hash_alg=H.SHA2_256)
    with pytest.raises(ConfigError, match="secp256r1"):
        sign(A.ECDSA_SHA256_P256, keys["p384"], OCTETS)
    with pytest.raises(ConfigError, match="secp521r1"):
        sign(A.ECDSA_SHA512_P521, keys["rsa"], OCTETS)
    with pytest.raises(ConfigError, match="SHA2_384 only"):
        sign(A.ECDSA_SHA384_P384, keys["p384"], OCTETS, hash_alg=H.SHA2_256)
    with pytest.raises(ConfigError, match="no Digital Signature scheme"):
        sign(A.DIGITAL_SIGNATURE, keys["ed25519"], OCTETS, hash_alg=H.SHA2_256)
    with pytest.raises(ConfigError, match="no Digital Signature scheme"):
        sign(A.DIGITAL_SIGNATURE, keys["rsa"], OCTETS, hash_alg=H.SHA1)
    with pytest.raises(ConfigError, match="RSASSA-PSS"):
        sign(A.DIGITAL_SIGNATURE, keys["p256"], OCTETS, rsa_pss=True)
    for method in (A.SHARED_KEY_MESSAGE_INTEGRITY_CODE, A.NULL_AUTHENTICATION):
        with pytest.raises(ConfigError, match="psk_auth"):
            sign(method, keys["rsa"], OCTETS)
    with pytest.raises(ConfigError, match="unsupported"):
        sign(A.DSS_DIGITAL_SIGNATURE, keys["rsa"], OCTETS)


def test_verify_rejects_wrong_key_types(keys: dict[str, Any]) -> None:
    rsa_auth = sign(A.DIGITAL_SIGNATURE, keys["rsa"], OCTETS)
    _auth_failed(
        verify,
        A.DIGITAL_SIGNATURE,
        keys["p256"].public_key(),
        OCTETS,
        rsa_auth,
        match="peer's key is ecdsa",
    )
    ecdsa_auth = sign(A.ECDSA_SHA256_P256, keys["p256"], OCTETS)
    _auth_failed(
        verify,
        A.ECDSA_SHA256_P256,
        keys["p384"].public_key(),
        OCTETS,
        ecdsa_auth,
        match="secp256r1",
    )
    _auth_failed(
        verify,
        A.RSA_DIGITAL_SIGNATURE,
        keys["p256"].public_key(),
        OCTETS,
        rsa_auth,
        match="not RSA",
    )
    _auth_failed(
        verify, A.SHARED_KEY_MESSAGE_INTEGRITY_CODE, keys["rsa"].public_key(), OCTETS, rsa_auth
    )
    # A signature made with another key of the right type.
    other = ed25519.Ed25519PrivateKey.generate()
    ed_auth = sign(A.DIGITAL_SIGNATURE, other, OCTETS)
    _auth_failed(verify, A.DIGITAL_SIGNATURE, keys["ed25519"].public_key(), OCTETS, ed_auth)


def test_verify_honours_the_announced_hashes(keys: dict[str, Any]) -> None:
    auth_data = sign(A.DIGITAL_SIGNATURE, keys["rsa"], OCTETS, hash_alg=H.SHA2_384)
    public_key = keys["rsa"].public_key()
    verify(A.DIGITAL_SIGNATURE, public_key, OCTETS, auth_data, allowed_hashes={H.SHA2_384})
    _auth_failed(
        verify,
        A.DIGITAL_SIGNATURE,
        public_key,
        OCTETS,
        auth_data,
        allowed_hashes=(H.SHA2_256, H.SHA2_512),
        match="did not announce",
    )


def test_verify_rejects_unknown_or_malformed_algorithm_identifiers(keys: dict[str, Any]) -> None:
    public_key = keys["rsa"].public_key()
    good = sign(A.DIGITAL_SIGNATURE, keys["rsa"], OCTETS)
    # A.1.1 sha1WithRSAEncryption: published, but SHA-1 is not offered by ikewire.
    sha1_identifier = bytes.fromhex("300d06092a864886f70d0101050500")
    sha1_auth = bytes([len(sha1_identifier)]) + sha1_identifier + good[16:]
    _auth_failed(verify, A.DIGITAL_SIGNATURE, public_key, OCTETS, sha1_auth, match="unsupported")
    assert (
        decode_digital_signature(sha1_auth)[0]
        == f"unknown AlgorithmIdentifier {sha1_identifier.hex()}"
    )
    for bad in (b"", b"\x00" + good[1:], bytes([255]) + good[1:100]):
        _auth_failed(verify, A.DIGITAL_SIGNATURE, public_key, OCTETS, bad, match="malformed")
        with pytest.raises(DecodeError):
            decode_digital_signature(bad)


def test_key_type_of(keys: dict[str, Any]) -> None:
    assert key_type_of(keys["rsa"]) is key_type_of(keys["rsa"].public_key()) is KeyType.RSA
    assert key_type_of(keys["p521"].public_key()) is KeyType.ECDSA
    assert key_type_of(keys["ed25519"]) is KeyType.ED25519
    assert key_type_of(keys["ed448"].public_key()) is KeyType.ED448
    with pytest.raises(ConfigError):
        key_type_of(dsa.generate_private_key(1024))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- hash negotiation


@pytest.mark.parametrize(
    ("ours", "theirs", "key_type", "expected"),
    [
        ([H.SHA2_512, H.SHA2_256], [H.SHA2_256, H.SHA2_384, H.SHA2_512], KeyType.RSA, H.SHA2_512),
        ([H.SHA2_512, H.SHA2_256], [H.SHA1, H.SHA2_256], KeyType.ECDSA, H.SHA2_256),
        ([H.SHA1, H.SHA2_256], [H.SHA1, H.SHA2_256], KeyType.RSA, H.SHA2_256),  # no SHA-1
        ([H.SHA2_256], [H.SHA1], KeyType.RSA, None),
        ([H.IDENTITY, H.SHA2_256], [H.SHA2_256, H.IDENTITY], KeyType.ED25519, H.IDENTITY),
        ([H.SHA2_256], [H.SHA2_256], KeyType.ED448, None),  # RFC 8420: EdDSA needs IDENTITY
        ([H.IDENTITY], [H.IDENTITY], KeyType.RSA, None),
        ([2, 99], [99, 2], KeyType.RSA, H.SHA2_256),
        ([], [H.SHA2_256], KeyType.RSA, None),
    ],
)
def test_choose_hash(
    ours: list[int], theirs: list[int], key_type: KeyType, expected: HashAlgorithm | None
) -> None:
    assert choose_hash(ours, theirs, key_type) == expected


def test_signature_hash_algorithms_notify_data() -> None:
    """strongSwan's N(SIGNATURE_HASH_ALGORITHMS) in the pinned IKE_SA_INIT request."""
    notify = OCTETS_I.index(bytes.fromhex("0000402f"))  # Protocol ID, SPI Size, type 16431
    length = int.from_bytes(OCTETS_I[notify - 2 : notify], "big")
    data = OCTETS_I[notify + 4 : notify - 4 + length]
    assert decode_hash_algorithms(data) == (H.SHA2_256, H.SHA2_384, H.SHA2_512, H.IDENTITY)
    assert encode_hash_algorithms([H.SHA2_256, H.SHA2_384, H.SHA2_512, H.IDENTITY]) == data
    assert decode_hash_algorithms(b"\x00\x02\x12\x34") == (H.SHA2_256, 0x1234)
    with pytest.raises(DecodeError):
        decode_hash_algorithms(b"\x00\x02\x00")


# --------------------------------------------------------------------------- PSK and NULL


def _strongswan_case() -> Any:
    return json.loads(
        (VECTORS / "strongswan-6.0.1-mlkem/b_x25519-ke1mlkem768/keys.json").read_text()
    )


def _message(octets: bytes) -> bytes:
    """The IKE_SA_INIT message at the start of signed octets: its header's Length."""
    return octets[: int.from_bytes(octets[24:28], "big")]


def test_strongswan_psk_auth_known_answer() -> None:
    case = _strongswan_case()
    psk = case["params"]["psk"].encode()
    key_set = case["ike_key_sets"][-1]  # after IKE_INTERMEDIATE: the keys IKE_AUTH uses
    prf = prf_for(PrfId.PRF_HMAC_SHA2_384)
    int_auth_i, int_auth_r = (bytes.fromhex(v) for v in case["ike_key_sets"][0]["intauth_n_log"])
    int_auth = intermediate_auth(int_auth_i, int_auth_r, 2)  # IKE_AUTH request has MID 2

    octets_i = signed_octets(
        _message(OCTETS_I),
        bytes.fromhex(key_set["nr"]),
        prf,
        bytes.fromhex(key_set["sk_pi"]),
        IDX_I,
        int_auth=int_auth,
    )
    octets_r = signed_octets(
        _message(OCTETS_R),
        bytes.fromhex(key_set["ni"]),
        prf,
        bytes.fromhex(key_set["sk_pr"]),
        IDX_R,
        int_auth=int_auth,
    )
    assert (len(_message(OCTETS_I)), len(_message(OCTETS_R))) == (248, 256)
    assert octets_i == OCTETS_I
    assert octets_r == OCTETS_R
    assert prf(psk, KEY_PAD_FOR_IKEV2) == KEYPAD_PRF
    assert psk_auth(prf, psk, octets_i) == AUTH_I
    assert psk_auth(prf, psk, octets_r) == AUTH_R
    verify_psk(prf, psk, octets_i, AUTH_I)
    verify_psk(prf, psk, octets_r, AUTH_R)
    _auth_failed(verify_psk, prf, psk, octets_i, AUTH_R, match="MIC")
    _auth_failed(verify_psk, prf, psk + b"x", octets_i, AUTH_I)
    _auth_failed(verify_psk, prf, psk, _flip(octets_i, 300), AUTH_I)
    _auth_failed(verify_psk, prf, psk, octets_i, AUTH_I[:-1])


def test_psk_auth_is_the_rfc7296_formula() -> None:
    """AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), octets) with HMAC-SHA-256."""
    psk, octets = b"secret", b"signed octets"
    inner = hmac.HMAC(psk, hashes.SHA256())
    inner.update(b"Key Pad for IKEv2")
    outer = hmac.HMAC(inner.finalize(), hashes.SHA256())
    outer.update(octets)
    assert KEY_PAD_FOR_IKEV2 == b"Key Pad for IKEv2" and len(KEY_PAD_FOR_IKEV2) == 17
    assert psk_auth(prf_for(PrfId.PRF_HMAC_SHA2_256), psk, octets) == outer.finalize()
    with pytest.raises(ConfigError, match="empty"):
        psk_auth(prf_for(PrfId.PRF_HMAC_SHA2_256), b"", octets)


def test_null_auth_is_keyed_with_sk_p() -> None:
    """RFC 7619 §2.1: the PSK formula with SK_pi (initiator) / SK_pr (responder)."""
    prf = prf_for(PrfId.PRF_HMAC_SHA2_256)
    sk_pi, sk_pr = bytes(range(32)), bytes(range(32, 64))
    octets = b"octets"
    auth_i = null_auth(prf, sk_pi, octets)
    assert auth_i == psk_auth(prf, sk_pi, octets) != null_auth(prf, sk_pr, octets)
    verify_null(prf, sk_pi, octets, auth_i)
    _auth_failed(verify_null, prf, sk_pr, octets, auth_i, match="RFC 7619")


def test_signed_octets_layout() -> None:
    def prf(key: bytes, data: bytes) -> bytes:
        return b"<" + key + b"|" + data + b">"

    octets = signed_octets(b"MSG", b"NONCE", prf, b"SKP", b"\x02\x00\x00\x00id")
    assert octets == b"MSGNONCE<SKP|\x02\x00\x00\x00id>"
    assert signed_octets(b"M", b"N", prf, b"K", b"I", int_auth=b"IA") == b"MN<K|I>IA"
    assert intermediate_auth(b"a", b"b", 0x01020304) == b"ab\x01\x02\x03\x04"
    with pytest.raises(ConfigError):
        intermediate_auth(b"", b"", 2**32)


# --------------------------------------------------------------------------- pinned data

# strongSwan 6.0.1, vectors/strongswan-6.0.1-mlkem/b_x25519-ke1mlkem768/charon-a.log:
# "octets = message + nonce + prf(Sk_px, IDx') + IntAuth" (lines 458, 521), "IDx'"
# (452, 515), "prf(secret, keypad)" (489), "AUTH = prf(prf(secret, keypad), octets)"
# (494, 558); _I is what the initiator signs, _R what the responder signs.
OCTETS_I = bytes.fromhex(
    "9aafd005da46a5c300000000000000002120220800000000000000f8220000300000002c010100040300000c"
    "01000014800e01000300000802000006030000080400001f000000080600002428000028001f0000eb517c42"
    "9f511546623dd16e6f8ae50724cad01252d09bf64cdfeef8f1e56f32290000245ff4927564cc21e5460799df"
    "f716f1fdaf13791662d8a80789473a2188a5c1532900001c00004004b2538f78565370d02dd22d56444f9cd2"
    "37cf5e3a2900001c00004005e31b9bef0b0aac49f87ad44f12cff5916c308c22290000080000402e29000010"
    "0000402f0002000300040005290000080000401600000008000040364be2a26acedd8ef5ecf0ecb95d5c09a0"
    "4431fb9904ab10b84b66ad349ab583633305b09192648f4605c1fccff84cc75461210a7a2fd93ab9f6d527a7"
    "8e8571f0113cee50009306137aca5e2be1810298e576c674c5eec9eb0b9e995a0e3eb77b1533e5977eee9875"
    "d2a36b23bdab346e813c8a8d374b1e30bc73c61db5f19e47f403c4249f1efa562a314649622f93ca38dd7b50"
    "ef064673082f58283be51485cf8f15c9ef6cabec4ce25bdabfdf209600000002"
)

OCTETS_R = bytes.fromhex(
    "9aafd005da46a5c3822bd0c7e9a8894d212022200000000000000100220000300000002c010100040300000c"
    "01000014800e01000300000802000006030000080400001f000000080600002428000028001f000066787fd3"
    "a0b260e1b5ebb929fa1a0a0a299c64dccdb5a7007702390f80af311e290000244be2a26acedd8ef5ecf0ecb9"
    "5d5c09a04431fb9904ab10b84b66ad349ab583632900001c00004004a33e0d249d50bd93dec71b8a9e6a5f48"
    "af63aac42900001c00004005440f230b19f643c2f9e7dae9fe1d803cbdc5af02290000080000402e29000010"
    "0000402f00020003000400052900000800004022290000080000403600000008000040145ff4927564cc21e5"
    "460799dff716f1fdaf13791662d8a80789473a2188a5c153de0e2bbc693339b59f0dc93e9f4a5a3fafbf9cf1"
    "c3e26cd2146134b20af8bd3a6ea29442a9f134350bfad6573876a102e576c674c5eec9eb0b9e995a0e3eb77b"
    "1533e5977eee9875d2a36b23bdab346e813c8a8d374b1e30bc73c61db5f19e47f403c4249f1efa562a314649"
    "622f93ca38dd7b50ef064673082f58283be51485cf8f15c9ef6cabec4ce25bdabfdf209600000002"
)

IDX_I = bytes.fromhex("02000000612e6977782e74657374")

IDX_R = bytes.fromhex("02000000622e6977782e74657374")

KEYPAD_PRF = bytes.fromhex(
    "66407660df216e4ca4b6c7d115acc546cb1de92e1495778c74e382f82a854b8ebecba7c18dc60761752f65b2"
    "4fb964a0"
)

AUTH_I = bytes.fromhex(
    "8e8f85c9f6887a5e43e352ff0b006b527e32dd25f0cd43fc47975f97ca88aea4f2739078629fdf219c535bf6"
    "b871c147"
)

AUTH_R = bytes.fromhex(
    "7ed410291829300598233173027a9e5ab955e856c3dfe894374f7355218fe4c2b1c3d94157b2e7ba3a7d3547"
    "db7b1c41"
)
