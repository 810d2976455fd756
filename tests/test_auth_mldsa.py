"""ML-DSA authentication (FIPS 204) in IKEv2: RFC 7427 Digital Signature (method 14)
with the id-ml-dsa-44/65/87 AlgorithmIdentifiers, pure mode with an empty context, the
IDENTITY hash announced in SIGNATURE_HASH_ALGORITHMS (RFC 8420 §2), as the IETF draft
for ML-DSA in IKEv2 (draft-ietf-ipsecme-ikev2-pqc-auth) specifies."""

from __future__ import annotations

import dataclasses
import functools

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mldsa

from ikewire.connection.events import AuthenticationFailed, ChildSAEstablished, IKESAEstablished
from ikewire.connection.trust import TrustStore
from ikewire.constants import AuthMethod, HashAlgorithm, NotifyType
from ikewire.crypto.auth import (
    SIGNATURE_SCHEMES,
    KeyType,
    choose_hash,
    decode_digital_signature,
    key_type_of,
    sign,
    verify,
)
from ikewire.errors import ProtocolError
from ikewire.testing.certs import DEFAULT_NOW, Chain, make_chain, make_key
from ikewire.testing.pair import Pair, drain
from test_connection_ike_sa import configs

LEVELS = ("ml-dsa-44", "ml-dsa-65", "ml-dsa-87")
# NIST Computer Security Objects Register, sigAlgs arc (published; RFC 9881 §2)
NIST_OIDS = {
    "ml-dsa-44": "2.16.840.1.101.3.4.3.17",
    "ml-dsa-65": "2.16.840.1.101.3.4.3.18",
    "ml-dsa-87": "2.16.840.1.101.3.4.3.19",
}
# FIPS 204 Table 2: signature sizes
SIG_SIZE = {"ml-dsa-44": 2420, "ml-dsa-65": 3309, "ml-dsa-87": 4627}
OCTETS = b"IKE_SA_INIT message | Nr | prf(SK_pi, IDi')" * 3


def _scheme(level: str):  # type: ignore[no-untyped-def]
    (scheme,) = [s for s in SIGNATURE_SCHEMES if s.key_type.value == level]
    return scheme


@pytest.mark.parametrize("level", LEVELS)
def test_algorithm_identifier_is_what_x509_puts_in_an_ml_dsa_certificate(level: str) -> None:
    """The AlgorithmIdentifier ikewire sends is byte for byte the signatureAlgorithm an
    independent implementation (OpenSSL, via cryptography) writes into an ML-DSA
    certificate, and names the OID NIST registered (parameters absent)."""
    leaf = make_chain(1, level).leaf  # type: ignore[arg-type]
    assert leaf.cert.signature_algorithm_oid.dotted_string == NIST_OIDS[level]
    der = leaf.cert.public_bytes(serialization.Encoding.DER)
    identifier = _scheme(level).algorithm_identifier
    # Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }:
    # the outer signatureAlgorithm sits right before the BIT STRING of the signature
    bit_string = 4 + 1  # 03 82 LL LL, then the unused-bits octet
    tail = der[-(SIG_SIZE[level] + bit_string + len(identifier)) :]
    assert tail[: len(identifier)] == identifier
    assert identifier[0] == 0x30 and identifier[2] == 0x06 and len(identifier) == 13


@pytest.mark.parametrize("level", LEVELS)
def test_sign_and_verify_pure_with_identity(level: str) -> None:
    key = make_key(level)  # type: ignore[arg-type]
    kind = key_type_of(key)
    assert kind.value == level
    # only IDENTITY fits (pure mode); a peer that does not list it gets no method 14
    assert choose_hash([2, 3, 4, 5], [2, 5], kind) == HashAlgorithm.IDENTITY
    assert choose_hash([2, 3, 4, 5], [2, 3, 4], kind) is None
    data = sign(AuthMethod.DIGITAL_SIGNATURE, key, OCTETS, hash_alg=HashAlgorithm.IDENTITY)
    name, signature = decode_digital_signature(data)
    assert name == level.upper() and len(signature) == SIG_SIZE[level]
    assert data[0] == 13 and data[1:14] == _scheme(level).algorithm_identifier
    verify(AuthMethod.DIGITAL_SIGNATURE, key.public_key(), OCTETS, data, allowed_hashes=[5])
    # the signature is FIPS 204's over the whole octets with an empty context: the key
    # itself verifies it directly, and ikewire verifies what cryptography signed
    key.public_key().verify(signature, OCTETS)  # type: ignore[union-attr]
    direct = key.sign(OCTETS)  # type: ignore[call-arg]
    verify(
        AuthMethod.DIGITAL_SIGNATURE,
        key.public_key(),
        OCTETS,
        bytes((13,)) + _scheme(level).algorithm_identifier + direct,
    )


@pytest.mark.parametrize("level", LEVELS)
def test_bad_signatures_fail_authentication(level: str) -> None:
    key = make_key(level)  # type: ignore[arg-type]
    data = sign(AuthMethod.DIGITAL_SIGNATURE, key, OCTETS)
    cases = {
        "flipped signature bit": data[:-100] + bytes((data[-100] ^ 1,)) + data[-99:],
        "other octets": None,
        "truncated": data[:-1],
        "signed with a context": bytes((13,))
        + _scheme(level).algorithm_identifier
        + key.sign(OCTETS, b"ike"),  # type: ignore[call-arg]
    }
    for what, auth_data in cases.items():
        octets = OCTETS + b"x" if auth_data is None else OCTETS
        with pytest.raises(ProtocolError) as err:
            verify(AuthMethod.DIGITAL_SIGNATURE, key.public_key(), octets, auth_data or data)
        assert err.value.notify == NotifyType.AUTHENTICATION_FAILED, what
    # an ML-DSA-65 identifier with another parameter set's key
    other = "ml-dsa-65" if level != "ml-dsa-65" else "ml-dsa-44"
    relabelled = bytes((13,)) + _scheme(other).algorithm_identifier + data[14:]
    with pytest.raises(ProtocolError, match="signature but the peer's key is"):
        verify(AuthMethod.DIGITAL_SIGNATURE, key.public_key(), OCTETS, relabelled)
    # IDENTITY not announced by us: refused (RFC 7427 §4)
    with pytest.raises(ProtocolError, match="did not announce"):
        verify(AuthMethod.DIGITAL_SIGNATURE, key.public_key(), OCTETS, data, allowed_hashes=[2])
    # ML-DSA cannot use the pre-RFC 7427 methods
    with pytest.raises(ProtocolError):
        verify(AuthMethod.RSA_DIGITAL_SIGNATURE, key.public_key(), OCTETS, data)


# ------------------------------------------------------------------ in IKE SAs


@functools.cache
def chain(who: str, level: str, depth: int = 2) -> Chain:
    return make_chain(depth, level, subject_name=who, san_dns=[who], root_name=f"{who} CA")  # type: ignore[arg-type]


def _sides(i_level: str | None, r_level: str | None, **extra: object):  # type: ignore[no-untyped-def]
    """Alice (initiator) and Bob; a side with a level signs with an ML-DSA chain of depth
    2 (ML-DSA root and intermediate), a side without one proves the PSK; each trusts
    the other's root."""
    i, r = configs(**extra)

    def side(cfg, own: str | None, peer: str | None, me: str, them: str):  # type: ignore[no-untyped-def]
        if own is not None:
            c = chain(me, own)
            cfg = dataclasses.replace(
                cfg,
                psk=None,
                remote_psk=cfg.psk,
                private_key=c.leaf.key,
                certificate=c.leaf.der,
                certificate_chain=c.extra_der,
            )
        if peer is not None:
            cfg = dataclasses.replace(
                cfg,
                trust_store=TrustStore(anchors=(chain(them, peer).root.cert,)),
                wall_clock=lambda: DEFAULT_NOW,
            )
        return cfg

    return (
        side(i, i_level, r_level, "alice.example", "bob.example"),
        side(r, r_level, i_level, "bob.example", "alice.example"),
    )


@pytest.mark.parametrize("level", LEVELS)
def test_ml_dsa_certificates_both_ways(level: str) -> None:
    big = {"i_fragment_size": 20000, "r_fragment_size": 20000}
    pair = Pair(*_sides(level, level, **big))
    pair.handshake()
    ei, er = drain(pair.initiator), drain(pair.responder)
    assert [type(e) for e in ei] == [IKESAEstablished, ChildSAEstablished], ei
    assert [type(e) for e in er] == [IKESAEstablished, ChildSAEstablished], er
    assert (ei[0].local_auth, ei[0].remote_auth) == ("DIGITAL_SIGNATURE", "DIGITAL_SIGNATURE")


@pytest.mark.parametrize("signer", ["initiator", "responder"])
def test_ml_dsa_one_side_psk_the_other(signer: str) -> None:
    levels = ("ml-dsa-65", None) if signer == "initiator" else (None, "ml-dsa-65")
    pair = Pair(*_sides(*levels))
    pair.handshake()
    ei, er = drain(pair.initiator), drain(pair.responder)
    assert [type(e) for e in ei] == [IKESAEstablished, ChildSAEstablished], ei
    assert [type(e) for e in er] == [IKESAEstablished, ChildSAEstablished], er
    sig, psk = "DIGITAL_SIGNATURE", "SHARED_KEY_MESSAGE_INTEGRITY_CODE"
    want = (sig, psk) if signer == "initiator" else (psk, sig)
    assert (ei[0].local_auth, ei[0].remote_auth) == want


def test_fully_post_quantum_ike_sa() -> None:
    """ML-KEM-768 alone in IKE_SA_INIT plus ML-DSA-65 signatures both ways, with the
    default fragment size: IKE_AUTH, carrying two ML-DSA certificate chains, goes in
    RFC 7383 fragments."""
    suite = ("aes256gcm16-prfsha384-mlkem768",)
    extra = {"i_ike_proposals": suite, "r_ike_proposals": suite}
    pair = Pair(*_sides("ml-dsa-65", "ml-dsa-65", **extra))
    pair.handshake()
    ei, er = drain(pair.initiator), drain(pair.responder)
    assert [type(e) for e in ei] == [IKESAEstablished, ChildSAEstablished], ei
    assert [type(e) for e in er] == [IKESAEstablished, ChildSAEstablished], er
    assert ei[0].suite == "aes256gcm16-prfsha384-mlkem768"
    assert len(pair.captured) > 6  # fragmented IKE_AUTH


def test_wrong_root_is_refused() -> None:
    """An ML-DSA chain from a root the responder does not trust fails with the reason."""
    i, r = _sides("ml-dsa-44", "ml-dsa-44")
    stranger = chain("mallory.example", "ml-dsa-44").root.cert
    r = dataclasses.replace(r, trust_store=TrustStore(anchors=(stranger,)))
    pair = Pair(i, r)
    pair.handshake()
    er = drain(pair.responder)
    failed = [e for e in er if isinstance(e, AuthenticationFailed)]
    assert failed and failed[0].notify == NotifyType.AUTHENTICATION_FAILED, er
    assert not [e for e in er if isinstance(e, IKESAEstablished)]


def test_key_type_values() -> None:
    assert {KeyType.ML_DSA_44, KeyType.ML_DSA_65, KeyType.ML_DSA_87} <= set(KeyType)
    assert isinstance(make_key("ml-dsa-87"), mldsa.MLDSA87PrivateKey)
