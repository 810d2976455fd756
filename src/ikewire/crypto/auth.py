"""IKEv2 authentication: the data of the AUTH payload (RFC 7296 §2.15, §3.8).

What each side signs or MACs is its *signed octets* (RFC 7296 §2.15)::

    InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
    ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
    MACedIDForI = prf(SK_pi, RestOfInitIDPayload)      (MACedIDForR with SK_pr)

to which RFC 9242 §3.3.2 appends ``IntAuth`` after IKE_INTERMEDIATE exchanges
(:func:`signed_octets`, :func:`intermediate_auth`). The AUTH data is then:

=====  ==============================  ===========================================
 id    method                          AUTH data
=====  ==============================  ===========================================
 1     RSA Digital Signature           RSASSA-PKCS1-v1_5 with SHA-1 (RFC 7296 §3.8)
 2     Shared Key MIC                  prf(prf(secret, "Key Pad for IKEv2"), octets)
 9     ECDSA with SHA-256 on P-256     r | s, fixed length (RFC 4754 §3, §7)
 10    ECDSA with SHA-384 on P-384     r | s (RFC 4754)
 11    ECDSA with SHA-512 on P-521     r | s (RFC 4754)
 13    NULL Authentication             as method 2 keyed with SK_pi / SK_pr (RFC 7619 §2.1)
 14    Digital Signature               ASN.1 length | AlgorithmIdentifier | signature
                                       (RFC 7427 §3)
=====  ==============================  ===========================================

Method 14 carries the signature algorithm in the AUTH data. Supported here, each with the
exact DER AlgorithmIdentifier of RFC 7427 Appendix A (RFC 8420 §2 for EdDSA):
RSASSA-PKCS1-v1_5 and RSASSA-PSS (MGF1 with the same hash, salt as long as the hash,
RFC 7427 A.4.3) with SHA-256/384/512, ECDSA with SHA-256/384/512 (DER Ecdsa-Sig-Value
signature, as in PKIX), Ed25519 and Ed448 (pure EdDSA over the octets, hash IDENTITY), and
ML-DSA-44/65/87 (FIPS 204, pure mode, empty context, hash IDENTITY; the IETF draft for
ML-DSA in IKEv2).
The hash comes from the peer's SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 §4,
:func:`choose_hash`).

Failures to verify raise :class:`~ikewire.errors.ProtocolError` with ``notify =
AUTHENTICATION_FAILED`` (RFC 7296 §2.21.2) and a reason; MACs are compared in constant
time. Keys are ``cryptography`` key objects; every signature is ``cryptography``'s.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ..constants import AuthMethod, HashAlgorithm, NotifyType, to_enum
from ..errors import ConfigError, DecodeError, ProtocolError

__all__ = [
    "KEY_PAD_FOR_IKEV2",
    "PURE_KEY_TYPES",
    "SIGNATURE_SCHEMES",
    "KeyType",
    "PrfFunction",
    "PrivateKey",
    "PublicKey",
    "SignatureScheme",
    "choose_hash",
    "decode_digital_signature",
    "decode_hash_algorithms",
    "encode_hash_algorithms",
    "intermediate_auth",
    "key_type_of",
    "null_auth",
    "psk_auth",
    "sign",
    "signed_octets",
    "verify",
    "verify_null",
    "verify_psk",
]

PrfFunction: TypeAlias = Callable[[bytes, bytes], bytes]
"""``prf(key, data)`` of the negotiated PRF (RFC 7296 §2.13); ``crypto.prf.Prf`` fits."""

MLDSAPrivateKey: TypeAlias = (
    mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey
)
MLDSAPublicKey: TypeAlias = mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey
PrivateKey: TypeAlias = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
    | MLDSAPrivateKey
)
PublicKey: TypeAlias = (
    rsa.RSAPublicKey
    | ec.EllipticCurvePublicKey
    | ed25519.Ed25519PublicKey
    | ed448.Ed448PublicKey
    | MLDSAPublicKey
)

KEY_PAD_FOR_IKEV2: Final = b"Key Pad for IKEv2"
"""RFC 7296 §2.15: the 17 ASCII octets, no NUL terminator."""


# ---------------------------------------------------------------------------------------
# Signed octets (RFC 7296 §2.15, RFC 9242 §3.3.2)
# ---------------------------------------------------------------------------------------


def signed_octets(
    message: bytes,
    peer_nonce: bytes,
    prf: PrfFunction,
    sk_p: bytes,
    id_payload_body: bytes,
    *,
    int_auth: bytes = b"",
) -> bytes:
    """InitiatorSignedOctets / ResponderSignedOctets (RFC 7296 §2.15).

    ``message`` is our whole first message as sent (IKE_SA_INIT request for the
    initiator, response for the responder), ``peer_nonce`` the Nonce Data of the other
    side, ``sk_p`` our SK_pi (initiator) or SK_pr (responder), and ``id_payload_body`` our
    ID payload without its 4-octet generic header: ID Type, three RESERVED octets, and
    the identification data. ``int_auth`` is RFC 9242's IntAuth when IKE_INTERMEDIATE
    exchanges took place (see :func:`intermediate_auth`).
    """
    return message + peer_nonce + prf(sk_p, id_payload_body) + int_auth


def int_auth_step(
    prf: PrfFunction,
    sk_p: bytes,
    previous: bytes,
    header: bytes,
    first_inner_type: int,
    plaintext: bytes,
) -> bytes:
    """One link of an IntAuth chain (RFC 9242 §3.3.2):
    ``IntAuth_n = prf(SK_p, IntAuth_(n-1) | IntAuth_n_A | IntAuth_n_P)``.

    ``sk_p`` is the sender's SK_pi or SK_pr of the keys that protect that
    IKE_INTERMEDIATE message (before the RFC 9370 update it brings); ``previous`` the
    chain so far (empty for the first message). ``header`` is the message's IKE header
    as sent (28 octets; fragments have the same one); ``plaintext`` the inner payloads
    in clear (``P``). ``A`` is that header and the Encrypted payload's generic header,
    with Next Payload and the Length fields set as if the message were unfragmented
    and carried only the plaintext: no IV, padding or ICV (§3.3.2) — as strongSwan
    computes it (checked against its logs).
    """
    if len(header) < 28:
        raise ConfigError("an IKE header is 28 octets (RFC 7296 §3.1)")
    length = 28 + 4 + len(plaintext)
    a = (
        header[:16]
        + bytes([46])  # Next Payload: Encrypted and Authenticated (SK)
        + header[17:24]
        + length.to_bytes(4, "big")
        + bytes([first_inner_type & 0xFF, 0])
        + (4 + len(plaintext)).to_bytes(2, "big")
    )
    return prf(sk_p, previous + a + plaintext)


def intermediate_auth(int_auth_i: bytes, int_auth_r: bytes, ike_auth_message_id: int) -> bytes:
    """IntAuth = IntAuth_iN | IntAuth_rN | IKE_AUTH_MID (RFC 9242 §3.3.2).

    ``int_auth_i`` / ``int_auth_r`` are the last values of the IntAuth chains of the
    initiator's and the responder's IKE_INTERMEDIATE messages; ``ike_auth_message_id`` is
    the Message ID of the first IKE_AUTH request, sent as four octets.
    """
    if not 0 <= ike_auth_message_id <= 0xFFFFFFFF:
        raise ConfigError(f"Message ID {ike_auth_message_id} does not fit in 32 bits")
    return int_auth_i + int_auth_r + ike_auth_message_id.to_bytes(4, "big")


# ---------------------------------------------------------------------------------------
# Shared key and NULL authentication (RFC 7296 §2.15, RFC 7619 §2.1)
# ---------------------------------------------------------------------------------------


def _auth_failed(reason: str) -> ProtocolError:
    return ProtocolError(reason, notify=NotifyType.AUTHENTICATION_FAILED)


def psk_auth(prf: PrfFunction, psk: bytes, octets: bytes) -> bytes:
    """AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) (RFC 7296 §2.15).

    Also the AUTH of EAP methods that produce an MSK (RFC 7296 §2.16: the MSK is the
    shared secret).
    """
    if not psk:
        raise ConfigError("the pre-shared key is empty")
    return prf(prf(psk, KEY_PAD_FOR_IKEV2), octets)


def verify_psk(prf: PrfFunction, psk: bytes, octets: bytes, auth_data: bytes) -> None:
    """Check a peer's shared-key AUTH data in constant time; ProtocolError(24) if wrong."""
    if not hmac.compare_digest(psk_auth(prf, psk, octets), auth_data):
        raise _auth_failed("shared key MIC does not match (RFC 7296 §2.15)")


def null_auth(prf: PrfFunction, sk_p: bytes, octets: bytes) -> bytes:
    """AUTH data of the NULL Authentication Method (RFC 7619 §2.1).

    "The content of the AUTH payload is computed using the syntax of pre-shared secret
    authentication ... The values SK_pi and SK_pr are used as shared secrets for the
    content of the AUTH payloads generated by the initiator and the responder
    respectively." So ``sk_p`` is SK_pi for the initiator's AUTH, SK_pr for the
    responder's.
    """
    return psk_auth(prf, sk_p, octets)


def verify_null(prf: PrfFunction, sk_p: bytes, octets: bytes, auth_data: bytes) -> None:
    """Check a peer's NULL-authentication AUTH data (RFC 7619 §2.1) in constant time."""
    if not hmac.compare_digest(null_auth(prf, sk_p, octets), auth_data):
        raise _auth_failed("NULL authentication AUTH data does not match (RFC 7619 §2.1)")


# ---------------------------------------------------------------------------------------
# Signature schemes (RFC 7427 Appendix A, RFC 8420 §2)
# ---------------------------------------------------------------------------------------


class KeyType(enum.Enum):
    """The kind of key a signature needs."""

    RSA = "rsa"
    ECDSA = "ecdsa"
    ED25519 = "ed25519"
    ED448 = "ed448"
    ML_DSA_44 = "ml-dsa-44"
    ML_DSA_65 = "ml-dsa-65"
    ML_DSA_87 = "ml-dsa-87"


#: Key types signed in "pure" mode: the whole signed octets go to the signature
#: algorithm, announced with the IDENTITY hash (RFC 8420 §2; the IETF draft for ML-DSA in
#: IKEv2, draft-ietf-ipsecme-ikev2-pqc-auth).
PURE_KEY_TYPES: Final = frozenset(
    {KeyType.ED25519, KeyType.ED448, KeyType.ML_DSA_44, KeyType.ML_DSA_65, KeyType.ML_DSA_87}
)


@dataclass(frozen=True, slots=True)
class SignatureScheme:
    """One method-14 signature algorithm and its DER AlgorithmIdentifier (RFC 7427 §3)."""

    name: str
    key_type: KeyType
    hash_alg: HashAlgorithm
    algorithm_identifier: bytes
    rsa_pss: bool = False


def _der(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


# RSASSA-PSS-params with hashAlgorithm H, maskGenAlgorithm MGF1(H), saltLength = |H|
# (RFC 7427 A.4.3 for SHA-256; the same structure for SHA-384 and SHA-512).
def _pss(hash_oid_last: str, salt_length: str) -> bytes:
    hash_alg = f"30 0d 06 09 60 86 48 01 65 03 04 02 {hash_oid_last} 05 00"
    return _der(
        "30 41 06 09 2a 86 48 86 f7 0d 01 01 0a"  # id-RSASSA-PSS
        f" 30 34 a0 0f {hash_alg}"  # [0] hashAlgorithm
        f" a1 1c 30 1a 06 09 2a 86 48 86 f7 0d 01 01 08 {hash_alg}"  # [1] id-mgf1(H)
        f" a2 03 02 01 {salt_length}"  # [2] saltLength
    )


_H = HashAlgorithm
SIGNATURE_SCHEMES: Final[tuple[SignatureScheme, ...]] = (
    # RFC 7427 A.1.2-A.1.4: sha{256,384,512}WithRSAEncryption, NULL parameters.
    SignatureScheme(
        "sha256WithRSAEncryption",
        KeyType.RSA,
        _H.SHA2_256,
        _der("30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00"),
    ),
    SignatureScheme(
        "sha384WithRSAEncryption",
        KeyType.RSA,
        _H.SHA2_384,
        _der("30 0d 06 09 2a 86 48 86 f7 0d 01 01 0c 05 00"),
    ),
    SignatureScheme(
        "sha512WithRSAEncryption",
        KeyType.RSA,
        _H.SHA2_512,
        _der("30 0d 06 09 2a 86 48 86 f7 0d 01 01 0d 05 00"),
    ),
    # RFC 7427 A.4.3 (SHA-256); SHA-384/512 with the same RFC 4055 §3.1 parameter layout.
    SignatureScheme("RSASSA-PSS with SHA-256", KeyType.RSA, _H.SHA2_256, _pss("01", "20"), True),
    SignatureScheme("RSASSA-PSS with SHA-384", KeyType.RSA, _H.SHA2_384, _pss("02", "30"), True),
    SignatureScheme("RSASSA-PSS with SHA-512", KeyType.RSA, _H.SHA2_512, _pss("03", "40"), True),
    # RFC 7427 A.3.2-A.3.4: ecdsa-with-SHA{256,384,512}, parameters absent.
    SignatureScheme(
        "ecdsa-with-sha256", KeyType.ECDSA, _H.SHA2_256, _der("30 0a 06 08 2a 86 48 ce 3d 04 03 02")
    ),
    SignatureScheme(
        "ecdsa-with-sha384", KeyType.ECDSA, _H.SHA2_384, _der("30 0a 06 08 2a 86 48 ce 3d 04 03 03")
    ),
    SignatureScheme(
        "ecdsa-with-sha512", KeyType.ECDSA, _H.SHA2_512, _der("30 0a 06 08 2a 86 48 ce 3d 04 03 04")
    ),
    # RFC 8420 §2 / RFC 8410 §3: id-Ed25519 (1.3.101.112), id-Ed448 (1.3.101.113).
    SignatureScheme("Ed25519", KeyType.ED25519, _H.IDENTITY, _der("30 05 06 03 2b 65 70")),
    SignatureScheme("Ed448", KeyType.ED448, _H.IDENTITY, _der("30 05 06 03 2b 65 71")),
    # FIPS 204 ML-DSA, pure mode with an empty context; id-ml-dsa-44/65/87 are
    # 2.16.840.1.101.3.4.3.17/18/19 (NIST CSOR; RFC 9881 §2), parameters absent, as the
    # IETF draft for ML-DSA in IKEv2 (draft-ietf-ipsecme-ikev2-pqc-auth) puts them in the
    # RFC 7427 AlgorithmIdentifier.
    SignatureScheme(
        "ML-DSA-44", KeyType.ML_DSA_44, _H.IDENTITY, _der("30 0b 06 09 60 86 48 01 65 03 04 03 11")
    ),
    SignatureScheme(
        "ML-DSA-65", KeyType.ML_DSA_65, _H.IDENTITY, _der("30 0b 06 09 60 86 48 01 65 03 04 03 12")
    ),
    SignatureScheme(
        "ML-DSA-87", KeyType.ML_DSA_87, _H.IDENTITY, _der("30 0b 06 09 60 86 48 01 65 03 04 03 13")
    ),
)
del _H

_BY_IDENTIFIER: Final = {scheme.algorithm_identifier: scheme for scheme in SIGNATURE_SCHEMES}
_BY_CHOICE: Final[dict[tuple[KeyType, int, bool], SignatureScheme]] = {
    (scheme.key_type, scheme.hash_alg, scheme.rsa_pss): scheme for scheme in SIGNATURE_SCHEMES
}
_SHA2: Final = (HashAlgorithm.SHA2_256, HashAlgorithm.SHA2_384, HashAlgorithm.SHA2_512)
_HASHES: Final[dict[int, Callable[[], hashes.HashAlgorithm]]] = {
    HashAlgorithm.SHA1: hashes.SHA1,
    HashAlgorithm.SHA2_256: hashes.SHA256,
    HashAlgorithm.SHA2_384: hashes.SHA384,
    HashAlgorithm.SHA2_512: hashes.SHA512,
}


def key_type_of(key: PrivateKey | PublicKey) -> KeyType:
    """The :class:`KeyType` of a ``cryptography`` private or public key."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return KeyType.RSA
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return KeyType.ECDSA
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return KeyType.ED25519
    if isinstance(key, ed448.Ed448PrivateKey | ed448.Ed448PublicKey):
        return KeyType.ED448
    if isinstance(key, mldsa.MLDSA44PrivateKey | mldsa.MLDSA44PublicKey):
        return KeyType.ML_DSA_44
    if isinstance(key, mldsa.MLDSA65PrivateKey | mldsa.MLDSA65PublicKey):
        return KeyType.ML_DSA_65
    if isinstance(key, mldsa.MLDSA87PrivateKey | mldsa.MLDSA87PublicKey):
        return KeyType.ML_DSA_87
    raise ConfigError(f"unsupported key type {type(key).__name__}")


_DEFAULT_ECDSA_HASH: Final = {
    256: HashAlgorithm.SHA2_256,
    384: HashAlgorithm.SHA2_384,
    521: HashAlgorithm.SHA2_512,
}


def _default_hash(key: PrivateKey) -> HashAlgorithm:
    kind = key_type_of(key)
    if kind in PURE_KEY_TYPES:
        return HashAlgorithm.IDENTITY
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return _DEFAULT_ECDSA_HASH.get(key.curve.key_size, HashAlgorithm.SHA2_256)
    return HashAlgorithm.SHA2_256


def choose_hash(
    ours: Sequence[int], theirs: Collection[int], key_type: KeyType
) -> HashAlgorithm | None:
    """The hash to sign with under method 14 (RFC 7427 §4, RFC 8420 §2).

    ``ours`` is our preference order, ``theirs`` the hashes in the peer's
    SIGNATURE_HASH_ALGORITHMS notify (what it can verify). The result is the first of
    ours that the peer listed and that suits ``key_type`` and ikewire: SHA-2 for RSA and
    ECDSA, IDENTITY for EdDSA (RFC 8420 §2) and ML-DSA (pure mode, the IETF draft for
    ML-DSA in IKEv2). ``None`` when there is no such hash: then
    method 14 cannot be used with this key and peer.
    """
    usable = _SHA2 if key_type in (KeyType.RSA, KeyType.ECDSA) else (HashAlgorithm.IDENTITY,)
    peer = set(theirs)
    for candidate in ours:
        if candidate in peer and candidate in usable:
            return HashAlgorithm(candidate)
    return None


def encode_hash_algorithms(algorithms: Iterable[int]) -> bytes:
    """Notification Data of SIGNATURE_HASH_ALGORITHMS: 2-octet IDs (RFC 7427 §4)."""
    return b"".join(int(alg).to_bytes(2, "big") for alg in algorithms)


def decode_hash_algorithms(data: bytes) -> tuple[HashAlgorithm | int, ...]:
    """Parse SIGNATURE_HASH_ALGORITHMS Notification Data (RFC 7427 §4).

    Unknown identifiers stay integers; an odd length is a DecodeError.
    """
    if len(data) % 2:
        raise DecodeError(
            f"SIGNATURE_HASH_ALGORITHMS data is {len(data)} octets, not a multiple of 2",
            field="Notify.data",
        )
    return tuple(
        to_enum(HashAlgorithm, int.from_bytes(data[i : i + 2], "big"))
        for i in range(0, len(data), 2)
    )


# ---------------------------------------------------------------------------------------
# Method-14 AUTH data (RFC 7427 §3)
# ---------------------------------------------------------------------------------------


def _split_digital_signature(auth_data: bytes) -> tuple[bytes, bytes]:
    """(AlgorithmIdentifier DER, signature value) of method-14 AUTH data."""
    if not auth_data:
        raise DecodeError("Digital Signature AUTH data is empty", field="AUTH.data")
    length = auth_data[0]
    if length == 0 or len(auth_data) < 1 + length:
        raise DecodeError(
            f"ASN.1 length {length} does not fit in {len(auth_data)} octets of AUTH data",
            offset=0,
            field="AUTH.asn1_length",
        )
    return auth_data[1 : 1 + length], auth_data[1 + length :]


def decode_digital_signature(auth_data: bytes) -> tuple[str, bytes]:
    """(algorithm name, signature value) of method-14 AUTH data, for display.

    The name is the RFC 7427 Appendix A / RFC 8420 name of a known AlgorithmIdentifier,
    otherwise ``"unknown AlgorithmIdentifier <hex>"``. DecodeError if the ASN.1 length
    octet does not fit.
    """
    identifier, signature = _split_digital_signature(auth_data)
    scheme = _BY_IDENTIFIER.get(identifier)
    name = scheme.name if scheme else f"unknown AlgorithmIdentifier {identifier.hex()}"
    return name, signature


# ---------------------------------------------------------------------------------------
# Signing
# ---------------------------------------------------------------------------------------

# RFC 4754 §3, §7: method -> (curve key size, hash).
_RFC4754: Final[dict[int, tuple[int, HashAlgorithm]]] = {
    AuthMethod.ECDSA_SHA256_P256: (256, HashAlgorithm.SHA2_256),
    AuthMethod.ECDSA_SHA384_P384: (384, HashAlgorithm.SHA2_384),
    AuthMethod.ECDSA_SHA512_P521: (521, HashAlgorithm.SHA2_512),
}
_RFC4754_CURVES: Final = {256: "secp256r1", 384: "secp384r1", 521: "secp521r1"}


def _pss_padding(hash_alg: hashes.HashAlgorithm) -> padding.PSS:
    # RFC 7427 A.4.3: MGF1 with the message hash, salt as long as the hash.
    return padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size)


def _sign_with(scheme: SignatureScheme, key: PrivateKey, octets: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return key.sign(octets)  # RFC 8420 §2: pure EdDSA over the whole octets
    if isinstance(key, mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey):
        return key.sign(octets)  # FIPS 204 ML-DSA.Sign, pure, empty context
    hash_alg = _HASHES[scheme.hash_alg]()
    if isinstance(key, rsa.RSAPrivateKey):
        pad = _pss_padding(hash_alg) if scheme.rsa_pss else padding.PKCS1v15()
        return key.sign(octets, pad, hash_alg)
    return key.sign(octets, ec.ECDSA(hash_alg))  # DER Ecdsa-Sig-Value (RFC 7427 §3)


def sign(
    method: int,
    private_key: PrivateKey,
    octets: bytes,
    *,
    hash_alg: int | None = None,
    rsa_pss: bool = False,
) -> bytes:
    """The AUTH payload's Authentication Data for a signature ``method`` (RFC 7296 §3.8).

    ``octets`` are the signed octets (:func:`signed_octets`). Method 1 needs an RSA key
    (PKCS#1 v1.5 with SHA-1); methods 9-11 an ECDSA key on their curve (RFC 4754); method
    14 any supported key, with ``hash_alg`` (a :class:`HashAlgorithm`, normally from
    :func:`choose_hash`; default SHA2_256 for RSA, the curve's hash for ECDSA, IDENTITY
    for EdDSA) and, for RSA, ``rsa_pss`` choosing RSASSA-PSS over PKCS#1 v1.5.

    ConfigError if the key, method and hash do not go together. Shared-key and NULL
    authentication are :func:`psk_auth` and :func:`null_auth`.
    """
    if method == AuthMethod.RSA_DIGITAL_SIGNATURE:
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise ConfigError("RSA Digital Signature (1) needs an RSA key")
        if hash_alg not in (None, HashAlgorithm.SHA1):
            raise ConfigError("RSA Digital Signature (1) signs with SHA-1 only")
        return private_key.sign(octets, padding.PKCS1v15(), hashes.SHA1())
    if method in _RFC4754:
        bits, fixed_hash = _RFC4754[method]
        if not isinstance(private_key, ec.EllipticCurvePrivateKey) or (
            private_key.curve.name != _RFC4754_CURVES[bits]
        ):
            raise ConfigError(f"auth method {method} needs an ECDSA key on {_RFC4754_CURVES[bits]}")
        if hash_alg not in (None, fixed_hash):
            raise ConfigError(f"auth method {method} signs with {fixed_hash.name} only")
        der = private_key.sign(octets, ec.ECDSA(_HASHES[fixed_hash]()))
        r, s = decode_dss_signature(der)
        size = (bits + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")  # RFC 4754 §7
    if method == AuthMethod.DIGITAL_SIGNATURE:
        kind = key_type_of(private_key)
        chosen = _default_hash(private_key) if hash_alg is None else hash_alg
        scheme = _BY_CHOICE.get((kind, int(chosen), rsa_pss))
        if scheme is None:
            pss = " with RSASSA-PSS" if rsa_pss else ""
            raise ConfigError(
                f"no Digital Signature scheme for a {kind.value} key{pss} and hash {chosen}"
            )
        identifier = scheme.algorithm_identifier
        return bytes((len(identifier),)) + identifier + _sign_with(scheme, private_key, octets)
    if method in (AuthMethod.SHARED_KEY_MESSAGE_INTEGRITY_CODE, AuthMethod.NULL_AUTHENTICATION):
        raise ConfigError(f"auth method {method} is not a signature: use psk_auth / null_auth")
    raise ConfigError(f"unsupported authentication method {method}")


# ---------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------


def _verify_with(scheme: SignatureScheme, key: PublicKey, octets: bytes, signature: bytes) -> None:
    if isinstance(
        key,
        ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey
        | mldsa.MLDSA44PublicKey
        | mldsa.MLDSA65PublicKey
        | mldsa.MLDSA87PublicKey,
    ):
        key.verify(signature, octets)  # pure EdDSA / ML-DSA with an empty context
        return
    hash_alg = _HASHES[scheme.hash_alg]()
    if isinstance(key, rsa.RSAPublicKey):
        pad = _pss_padding(hash_alg) if scheme.rsa_pss else padding.PKCS1v15()
        key.verify(signature, octets, pad, hash_alg)
        return
    key.verify(signature, octets, ec.ECDSA(hash_alg))


def verify(
    method: int,
    public_key: PublicKey,
    octets: bytes,
    auth_data: bytes,
    *,
    allowed_hashes: Collection[int] | None = None,
) -> None:
    """Check a peer's signature AUTH data; ProtocolError(AUTHENTICATION_FAILED) if bad.

    ``public_key`` is the peer's (from its certificate or configuration), ``octets``
    the peer's signed octets. For method 14 the AlgorithmIdentifier in the AUTH data
    picks the scheme; it must be one of :data:`SIGNATURE_SCHEMES`, match the key's type
    and, if ``allowed_hashes`` is given (the hashes we announced in
    SIGNATURE_HASH_ALGORITHMS), use one of those hashes.
    """
    try:
        if method == AuthMethod.RSA_DIGITAL_SIGNATURE:
            if not isinstance(public_key, rsa.RSAPublicKey):
                raise _auth_failed("RSA Digital Signature (1) but the peer's key is not RSA")
            public_key.verify(auth_data, octets, padding.PKCS1v15(), hashes.SHA1())
        elif method in _RFC4754:
            _verify_rfc4754(method, public_key, octets, auth_data)
        elif method == AuthMethod.DIGITAL_SIGNATURE:
            _verify_digital_signature(public_key, octets, auth_data, allowed_hashes)
        else:
            raise _auth_failed(f"authentication method {method} is not a supported signature")
    except InvalidSignature as exc:
        raise _auth_failed(f"signature of auth method {method} does not verify") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise _auth_failed(f"signature of auth method {method} cannot be checked: {exc}") from exc


def _verify_rfc4754(method: int, key: PublicKey, octets: bytes, auth_data: bytes) -> None:
    bits, fixed_hash = _RFC4754[method]
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != _RFC4754_CURVES[bits]:
        raise _auth_failed(
            f"auth method {method} but the peer's key is not on {_RFC4754_CURVES[bits]}"
        )
    size = (bits + 7) // 8
    if len(auth_data) != 2 * size:
        raise _auth_failed(
            f"auth method {method}: signature is {len(auth_data)} octets, expected r | s of "
            f"{2 * size} (RFC 4754 §7)"
        )
    r, s = int.from_bytes(auth_data[:size], "big"), int.from_bytes(auth_data[size:], "big")
    key.verify(encode_dss_signature(r, s), octets, ec.ECDSA(_HASHES[fixed_hash]()))


def _verify_digital_signature(
    key: PublicKey, octets: bytes, auth_data: bytes, allowed_hashes: Collection[int] | None
) -> None:
    try:
        identifier, signature = _split_digital_signature(auth_data)
    except DecodeError as exc:
        raise _auth_failed(f"Digital Signature AUTH data malformed: {exc}") from exc
    scheme = _BY_IDENTIFIER.get(identifier)
    if scheme is None:
        raise _auth_failed(f"unsupported signature AlgorithmIdentifier {identifier.hex()}")
    try:
        kind = key_type_of(key)
    except ConfigError as exc:
        raise _auth_failed(f"{scheme.name} signature but the peer's key is {exc}") from exc
    if scheme.key_type is not kind:
        raise _auth_failed(f"{scheme.name} signature but the peer's key is {kind.value}")
    if allowed_hashes is not None and scheme.hash_alg not in allowed_hashes:
        raise _auth_failed(
            f"{scheme.name} uses hash {scheme.hash_alg.name}, which we did not announce "
            "in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4)"
        )
    _verify_with(scheme, key, octets, signature)
