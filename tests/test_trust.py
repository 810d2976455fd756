"""Certificate trust for IKE_AUTH (RFC 7296 §3.6, §3.7, §2.15; RFC 4945; RFC 5280 §6).

Certificates are made at test time with ``cryptography.x509`` (ikewire.testing.certs).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from ikewire.connection.config import Identity
from ikewire.connection.trust import (
    CertificateError,
    TrustFailure,
    TrustStore,
    certreq_hashes,
    select_chain,
    split_certreq,
    validate_peer,
)
from ikewire.constants import IDType, NotifyType
from ikewire.errors import DecodeError, ProtocolError
from ikewire.testing.certs import (
    DEFAULT_NOT_AFTER,
    DEFAULT_NOT_BEFORE,
    DEFAULT_NOW,
    EKU_CLIENT_AUTH,
    EKU_CODE_SIGNING,
    EKU_SERVER_AUTH,
    IPSEC_IKE,
    Chain,
    Issued,
    KeyType,
    issue,
    make_ca,
    make_chain,
    make_crl,
    make_key,
)
from ikewire.wire.models import IDi

UTC = datetime.UTC
FQDN = "gw.example.org"


def fqdn_id(value: str = FQDN) -> Identity:
    return Identity(IDType.ID_FQDN, value.encode())


def store_of(chain: Chain, **kw: object) -> TrustStore:
    return TrustStore(anchors=(chain.root.cert,), **kw)  # type: ignore[arg-type]


def failure_of(
    leaf_der: bytes,
    extra: tuple[bytes, ...],
    store: TrustStore,
    *,
    now: datetime.datetime = DEFAULT_NOW,
    peer_id: Identity | None = None,
) -> CertificateError:
    with pytest.raises(CertificateError) as info:
        validate_peer(leaf_der, extra, store, now=now, peer_id=peer_id)
    err = info.value
    assert isinstance(err, ProtocolError)
    assert err.notify == NotifyType.AUTHENTICATION_FAILED
    return err


@pytest.fixture(scope="module")
def chain2() -> Chain:
    return make_chain(2, "ecdsa-p256", san_dns=[FQDN], san_ip=["192.0.2.1", "2001:db8::1"])


# ---------------------------------------------------------------------------------------
# Good paths: every key type, depth 1-3
# ---------------------------------------------------------------------------------------

CASES: list[tuple[KeyType, int]] = [
    ("ecdsa-p256", 1),
    ("ecdsa-p256", 2),
    ("ecdsa-p256", 3),
    ("ecdsa-p384", 2),
    ("ecdsa-p521", 2),
    ("rsa2048", 2),
    ("rsa3072", 1),
    ("ed25519", 1),
    ("ed25519", 3),
    ("ed448", 2),
]


@pytest.mark.parametrize(("key_type", "depth"), CASES)
def test_valid_chain_returns_leaf_key(key_type: KeyType, depth: int) -> None:
    chain = make_chain(depth, key_type, san_dns=[FQDN])
    key = validate_peer(
        chain.leaf.der, chain.extra_der, store_of(chain), now=DEFAULT_NOW, peer_id=fqdn_id()
    )
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    assert key.public_bytes(der, spki) == chain.leaf.public_key.public_bytes(der, spki)
    assert len(chain.intermediates) == depth - 1


def test_mixed_key_types_in_one_chain() -> None:
    root = make_ca(key_type="rsa2048")
    mid = make_ca("Mid", key_type="ed25519", issuer=root)
    leaf = issue(mid, key_type="ecdsa-p384", san_dns=[FQDN])
    key = validate_peer(
        leaf.der, [mid.der], TrustStore([root.cert]), now=DEFAULT_NOW, peer_id=fqdn_id()
    )
    assert isinstance(key, ec.EllipticCurvePublicKey)


def test_intermediates_in_any_order_and_from_store() -> None:
    chain = make_chain(3, san_dns=[FQDN])
    store = store_of(chain)
    validate_peer(chain.leaf.der, chain.extra_der[::-1], store, now=DEFAULT_NOW, peer_id=fqdn_id())
    # the peer sends only its end entity; the store knows the intermediates
    with_mids = store_of(chain, intermediates=[i.cert for i in chain.intermediates])
    validate_peer(chain.leaf.der, (), with_mids, now=DEFAULT_NOW, peer_id=fqdn_id())


def test_pinned_self_signed_end_entity() -> None:
    pinned = issue(None, subject_name="pinned", san_dns=[FQDN])
    validate_peer(pinned.der, (), TrustStore([pinned.cert]), now=DEFAULT_NOW, peer_id=fqdn_id())


def test_pinned_end_entity_issued_by_an_untrusted_ca() -> None:
    """An anchor may be the peer's own certificate (strongSwan's pinned ``certs``)."""
    leaf = issue(make_ca("Unknown CA"), san_dns=[FQDN])
    validate_peer(leaf.der, (), TrustStore([leaf.cert]), now=DEFAULT_NOW, peer_id=fqdn_id())


def test_path_builder_skips_a_same_name_impostor() -> None:
    """Two intermediates of one name: only the one the leaf really chains to counts."""
    root = make_ca()
    real = make_ca("Mid", issuer=root)
    impostor = make_ca("Mid", issuer=root)
    leaf = issue(real, san_dns=[FQDN])
    validate_peer(
        leaf.der,
        [impostor.der, real.der],
        TrustStore([root.cert]),
        now=DEFAULT_NOW,
        peer_id=fqdn_id(),
    )


def test_eku_accepted_values() -> None:
    root = make_ca()
    store = TrustStore([root.cert])
    for eku in ([IPSEC_IKE], [EKU_SERVER_AUTH], [EKU_CLIENT_AUTH], [EKU_CODE_SIGNING, IPSEC_IKE]):
        leaf = issue(root, san_dns=[FQDN], eku=eku)
        validate_peer(leaf.der, (), store, now=DEFAULT_NOW, peer_id=fqdn_id())


def test_naive_now_is_utc(chain2: Chain) -> None:
    naive = datetime.datetime(2026, 6, 1)
    validate_peer(chain2.leaf.der, chain2.extra_der, store_of(chain2), now=naive, peer_id=None)


# ---------------------------------------------------------------------------------------
# Validity (RFC 5280 §6.1.3)
# ---------------------------------------------------------------------------------------


def test_expired_leaf_names_subject_date_and_fix() -> None:
    chain = make_chain(
        1,
        subject_name="expired.example",
        not_after=datetime.datetime(2026, 1, 1, tzinfo=UTC),
    )
    err = failure_of(chain.leaf.der, (), store_of(chain))
    assert err.failure is TrustFailure.EXPIRED
    assert err.subject == "CN=expired.example"
    assert str(err) == (
        "certificate CN=expired.example expired 2026-01-01T00:00:00Z; renew it or check the clock"
    )


def test_not_yet_valid_leaf() -> None:
    chain = make_chain(1, not_before=datetime.datetime(2027, 1, 1, tzinfo=UTC))
    err = failure_of(chain.leaf.der, (), store_of(chain))
    assert err.failure is TrustFailure.NOT_YET_VALID
    assert "2027-01-01T00:00:00Z" in str(err)


def test_validity_bounds_are_inclusive(chain2: Chain) -> None:
    store = store_of(chain2)
    for now in (DEFAULT_NOT_BEFORE, DEFAULT_NOT_AFTER):
        validate_peer(chain2.leaf.der, chain2.extra_der, store, now=now, peer_id=None)
    later = DEFAULT_NOT_AFTER + datetime.timedelta(seconds=1)
    assert failure_of(chain2.leaf.der, chain2.extra_der, store, now=later).failure is (
        TrustFailure.EXPIRED
    )


def test_expired_intermediate_is_reported_by_name() -> None:
    root = make_ca()
    mid = make_ca("Old Mid", issuer=root, not_after=datetime.datetime(2026, 1, 1, tzinfo=UTC))
    leaf = issue(mid)
    err = failure_of(leaf.der, (mid.der,), TrustStore([root.cert]))
    assert err.failure is TrustFailure.EXPIRED
    assert err.subject == "CN=Old Mid"


# ---------------------------------------------------------------------------------------
# Path (RFC 5280 §6.1.3, §6.1.4)
# ---------------------------------------------------------------------------------------


def test_unknown_issuer(chain2: Chain) -> None:
    other = make_ca("Someone Else CA")
    err = failure_of(chain2.leaf.der, chain2.extra_der, TrustStore([other.cert]))
    assert err.failure is TrustFailure.UNKNOWN_ISSUER
    assert "ikewire Test Root CA" in str(err)
    assert "trust anchors" in str(err)


def test_missing_intermediate_is_unknown_issuer(chain2: Chain) -> None:
    err = failure_of(chain2.leaf.der, (), store_of(chain2))
    assert err.failure is TrustFailure.UNKNOWN_ISSUER
    assert "intermediate" in str(err)


def test_wrong_issuer_signature() -> None:
    root = make_ca()
    forged = issue(root, subject_name="forged", signing_key=make_key())
    err = failure_of(forged.der, (), TrustStore([root.cert]))
    assert err.failure is TrustFailure.BAD_SIGNATURE
    assert err.subject == "CN=forged"


def test_anchor_with_same_name_but_other_key() -> None:
    chain = make_chain(1)
    lookalike = make_ca("ikewire Test Root CA")
    err = failure_of(chain.leaf.der, (), TrustStore([lookalike.cert]))
    assert err.failure is TrustFailure.BAD_SIGNATURE


def test_intermediate_without_basic_constraints_is_not_a_ca() -> None:
    root = make_ca()
    mid = issue(root, subject_name="Not A CA", basic_constraints=False, key_usage=None)
    leaf = issue(mid)
    err = failure_of(leaf.der, (mid.der,), TrustStore([root.cert]))
    assert err.failure is TrustFailure.NOT_A_CA
    assert err.subject == "CN=Not A CA"


def test_end_entity_signing_another_is_not_a_ca() -> None:
    root = make_ca()
    ee = issue(root, subject_name="Just An EE")  # BasicConstraints cA=FALSE
    leaf = issue(ee)
    err = failure_of(leaf.der, (ee.der,), TrustStore([root.cert]))
    assert err.failure is TrustFailure.NOT_A_CA


def test_ca_without_key_cert_sign() -> None:
    root = make_ca()
    mid = issue(
        root,
        subject_name="Mid",
        is_ca=True,
        key_usage=x509.KeyUsage(True, False, False, False, False, False, True, False, False),
    )
    leaf = issue(mid)
    err = failure_of(leaf.der, (mid.der,), TrustStore([root.cert]))
    assert err.failure is TrustFailure.KEY_USAGE


def test_path_length_constraint() -> None:
    root = make_ca(path_length=0)
    mid = make_ca("Mid", issuer=root)
    leaf = issue(mid)
    err = failure_of(leaf.der, (mid.der,), TrustStore([root.cert]))
    assert err.failure is TrustFailure.PATH_TOO_LONG
    # path length 0 still allows a leaf directly under the root
    direct = issue(root)
    validate_peer(direct.der, (), TrustStore([root.cert]), now=DEFAULT_NOW, peer_id=None)


def test_intermediate_path_length_constraint() -> None:
    root = make_ca()
    top = make_ca("Top", issuer=root, path_length=0)
    low = make_ca("Low", issuer=top)
    leaf = issue(low)
    err = failure_of(leaf.der, (low.der, top.der), TrustStore([root.cert]))
    assert err.failure is TrustFailure.PATH_TOO_LONG
    assert err.subject == "CN=Top"


def test_max_depth() -> None:
    chain = make_chain(4)
    store = store_of(chain, max_depth=3)
    err = failure_of(chain.leaf.der, chain.extra_der, store)
    assert err.failure is TrustFailure.PATH_TOO_LONG
    validate_peer(
        chain.leaf.der, chain.extra_der, store_of(chain, max_depth=4), now=DEFAULT_NOW, peer_id=None
    )


def test_unknown_critical_extension_rejected() -> None:
    root = make_ca()
    odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")
    leaf = issue(root, extensions=[(odd, True)])
    err = failure_of(leaf.der, (), TrustStore([root.cert]))
    assert err.failure is TrustFailure.MALFORMED
    assert "1.3.6.1.4.1.55555.1" in str(err)
    # the same extension non-critical is ignored (RFC 5280 §4.2)
    fine = issue(root, extensions=[(odd, False)])
    validate_peer(fine.der, (), TrustStore([root.cert]), now=DEFAULT_NOW, peer_id=None)


# ---------------------------------------------------------------------------------------
# End-entity usage (RFC 4945 §5.1.3.2, §5.1.3.12)
# ---------------------------------------------------------------------------------------


def test_wrong_eku() -> None:
    root = make_ca()
    leaf = issue(root, subject_name="signer", eku=[EKU_CODE_SIGNING])
    err = failure_of(leaf.der, (), TrustStore([root.cert]))
    assert err.failure is TrustFailure.EXTENDED_KEY_USAGE
    assert "codeSigning" in str(err)
    assert "ipsecIKE" in str(err)


def test_key_usage_without_digital_signature() -> None:
    root = make_ca()
    leaf = issue(
        root,
        key_type="rsa2048",
        key_usage=x509.KeyUsage(False, False, True, False, False, False, False, False, False),
    )
    err = failure_of(leaf.der, (), TrustStore([root.cert]))
    assert err.failure is TrustFailure.KEY_USAGE
    assert "digitalSignature" in str(err)


# ---------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------


def _leaf_with_key(root: Issued, public: object) -> bytes:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=odd key"))
        .issuer_name(root.cert.subject)
        .public_key(public)  # type: ignore[arg-type]
        .serial_number(7)
        .not_valid_before(DEFAULT_NOT_BEFORE)
        .not_valid_after(DEFAULT_NOT_AFTER)
    )
    assert isinstance(root.key, ec.EllipticCurvePrivateKey)
    from cryptography.hazmat.primitives import hashes

    return builder.sign(root.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize(
    "public",
    [
        pytest.param(lambda: dsa.generate_private_key(2048).public_key(), id="dsa"),
        pytest.param(lambda: ec.generate_private_key(ec.SECP256K1()).public_key(), id="secp256k1"),
    ],
)
def test_unsupported_key(public: object) -> None:
    root = make_ca()
    der = _leaf_with_key(root, public())  # type: ignore[operator]
    err = failure_of(der, (), TrustStore([root.cert]))
    assert err.failure is TrustFailure.UNSUPPORTED_KEY
    assert "Ed25519" in str(err)


def test_supported_key_classes() -> None:
    root = make_ca()
    store = TrustStore([root.cert])
    for key_type, cls in (
        ("rsa2048", rsa.RSAPublicKey),
        ("ed25519", ed25519.Ed25519PublicKey),
        ("ed448", ed448.Ed448PublicKey),
        ("ecdsa-p521", ec.EllipticCurvePublicKey),
    ):
        leaf = issue(root, key_type=key_type)  # type: ignore[arg-type]
        assert isinstance(validate_peer(leaf.der, (), store, now=DEFAULT_NOW, peer_id=None), cls)


# ---------------------------------------------------------------------------------------
# Malformed input
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage", [b"", b"\x00", b"\x30\x82\xff\xff", b"not a certificate at all" * 4]
)
def test_garbage_der(chain2: Chain, garbage: bytes) -> None:
    err = failure_of(garbage, (), store_of(chain2))
    assert err.failure is TrustFailure.MALFORMED
    assert err.subject is None
    err = failure_of(chain2.leaf.der, (garbage,), store_of(chain2))
    assert err.failure is TrustFailure.MALFORMED
    assert "CERT payload 2" in str(err)


def test_truncated_and_bitflipped_leaf(chain2: Chain) -> None:
    der = chain2.leaf.der
    store = store_of(chain2)
    for cut in (1, 10, len(der) // 2, len(der) - 1):
        assert failure_of(der[:cut], chain2.extra_der, store).failure is TrustFailure.MALFORMED
    # a flipped bit in the signature value keeps the DER well formed
    flipped = der[:-3] + bytes([der[-3] ^ 0x01]) + der[-2:]
    err = failure_of(flipped, chain2.extra_der, store)
    assert err.failure is TrustFailure.BAD_SIGNATURE


# ---------------------------------------------------------------------------------------
# CRLs (RFC 5280 §5, §6.3)
# ---------------------------------------------------------------------------------------


def test_revoked_leaf() -> None:
    chain = make_chain(2, subject_name="revoked.example")
    crl = make_crl(chain.intermediates[0], [chain.leaf.cert.serial_number])
    err = failure_of(chain.leaf.der, chain.extra_der, store_of(chain, crls=[crl]))
    assert err.failure is TrustFailure.REVOKED
    assert err.subject == "CN=revoked.example"
    assert "revoked by CN=ikewire Test Intermediate CA 1" in str(err)


def test_revoked_intermediate() -> None:
    chain = make_chain(2)
    crl = make_crl(chain.root, [chain.intermediates[0].cert.serial_number])
    err = failure_of(chain.leaf.der, chain.extra_der, store_of(chain, crls=[crl]))
    assert err.failure is TrustFailure.REVOKED
    assert err.subject == "CN=ikewire Test Intermediate CA 1"


def test_crl_not_listing_the_certificate(chain2: Chain) -> None:
    crl = make_crl(chain2.intermediates[0], [123456789])
    validate_peer(
        chain2.leaf.der,
        chain2.extra_der,
        store_of(chain2, crls=[crl]),
        now=DEFAULT_NOW,
        peer_id=None,
    )


def test_crl_with_bad_signature_is_ignored(chain2: Chain) -> None:
    crl = make_crl(
        chain2.intermediates[0], [chain2.leaf.cert.serial_number], signing_key=make_key()
    )
    validate_peer(
        chain2.leaf.der,
        chain2.extra_der,
        store_of(chain2, crls=[crl]),
        now=DEFAULT_NOW,
        peer_id=None,
    )


def test_crl_from_another_issuer_is_ignored(chain2: Chain) -> None:
    crl = make_crl(chain2.root, [chain2.leaf.cert.serial_number])  # root did not issue the leaf
    validate_peer(
        chain2.leaf.der,
        chain2.extra_der,
        store_of(chain2, crls=[crl]),
        now=DEFAULT_NOW,
        peer_id=None,
    )


def test_crl_not_yet_in_effect_is_ignored(chain2: Chain) -> None:
    future = datetime.datetime(2027, 1, 1, tzinfo=UTC)
    crl = make_crl(chain2.intermediates[0], [chain2.leaf.cert.serial_number], last_update=future)
    validate_peer(
        chain2.leaf.der,
        chain2.extra_der,
        store_of(chain2, crls=[crl]),
        now=DEFAULT_NOW,
        peer_id=None,
    )
    err = failure_of(
        chain2.leaf.der,
        chain2.extra_der,
        store_of(chain2, crls=[crl]),
        now=future + datetime.timedelta(days=1),
    )
    assert err.failure is TrustFailure.REVOKED
    # a CRL issued in the future is not in effect even for a past revocation
    early = make_crl(
        chain2.intermediates[0],
        [chain2.leaf.cert.serial_number],
        last_update=future,
        revoked_on=DEFAULT_NOT_BEFORE,
    )
    validate_peer(
        chain2.leaf.der,
        chain2.extra_der,
        store_of(chain2, crls=[early]),
        now=DEFAULT_NOW,
        peer_id=None,
    )


def test_stale_crl_still_revokes(chain2: Chain) -> None:
    """nextUpdate in the past: the CRL is old, but a revocation never expires."""
    crl = make_crl(
        chain2.intermediates[0],
        [chain2.leaf.cert.serial_number],
        next_update=datetime.datetime(2025, 2, 1, tzinfo=UTC),
    )
    err = failure_of(chain2.leaf.der, chain2.extra_der, store_of(chain2, crls=[crl]))
    assert err.failure is TrustFailure.REVOKED


# ---------------------------------------------------------------------------------------
# Identity (RFC 4945 §3.1)
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def named() -> tuple[Issued, TrustStore]:
    root = make_ca()
    leaf = issue(
        root,
        subject_name="CN=gw,O=ikewire,C=DE",
        san_dns=["gw.example.org"],
        san_ip=["192.0.2.1", "2001:db8::1"],
        san_email=["vpn@example.org"],
        san_dn=["CN=alt,O=ikewire"],
    )
    return leaf, TrustStore([root.cert])


def _dn(text: str) -> bytes:
    return x509.Name.from_rfc4514_string(text).public_bytes()


MATCHING = [
    Identity(IDType.ID_FQDN, b"gw.example.org"),
    Identity(IDType.ID_FQDN, b"GW.Example.ORG."),
    Identity(IDType.ID_IPV4_ADDR, ipaddress.ip_address("192.0.2.1").packed),
    Identity(IDType.ID_IPV6_ADDR, ipaddress.ip_address("2001:db8::1").packed),
    Identity(IDType.ID_RFC822_ADDR, b"vpn@example.org"),
    Identity(IDType.ID_RFC822_ADDR, b"vpn@EXAMPLE.org"),
    Identity(IDType.ID_DER_ASN1_DN, _dn("CN=gw,O=ikewire,C=DE")),
    Identity(IDType.ID_DER_ASN1_DN, _dn("CN=alt,O=ikewire")),
]


@pytest.mark.parametrize("peer_id", MATCHING, ids=lambda i: f"{IDType(i.id_type).name}")
def test_identity_matches(named: tuple[Issued, TrustStore], peer_id: Identity) -> None:
    leaf, store = named
    validate_peer(leaf.der, (), store, now=DEFAULT_NOW, peer_id=peer_id)


MISMATCHING = [
    Identity(IDType.ID_FQDN, b"other.example.org"),
    Identity(IDType.ID_FQDN, b"gw"),  # the CN is not an FQDN binding (RFC 4945 §3.1.2)
    Identity(IDType.ID_FQDN, b"\xff\xfe"),
    Identity(IDType.ID_IPV4_ADDR, ipaddress.ip_address("192.0.2.2").packed),
    Identity(IDType.ID_IPV4_ADDR, b"\xc0\x00\x02"),
    # an IPv4 ID whose data is the certificate's IPv6 address
    Identity(IDType.ID_IPV4_ADDR, ipaddress.ip_address("2001:db8::1").packed),
    Identity(IDType.ID_IPV6_ADDR, ipaddress.ip_address("2001:db8::2").packed),
    # the IPv4 SAN does not match as an IPv4-mapped IPv6 ID
    Identity(IDType.ID_IPV6_ADDR, ipaddress.ip_address("::ffff:192.0.2.1").packed),
    Identity(IDType.ID_RFC822_ADDR, b"other@example.org"),
    Identity(IDType.ID_RFC822_ADDR, b"VPN@example.org"),  # the local part is case-sensitive
    Identity(IDType.ID_RFC822_ADDR, b"example.org"),
    Identity(IDType.ID_DER_ASN1_DN, _dn("CN=gw,O=other,C=DE")),
    Identity(IDType.ID_DER_ASN1_DN, b"\x30\x00"),
    Identity(IDType.ID_KEY_ID, b"\x01\x02\x03"),
    Identity(IDType.ID_DER_ASN1_GN, b"\x30\x00"),
    Identity(IDType.ID_NULL, b""),
    Identity(200, b"x"),
]


@pytest.mark.parametrize("peer_id", MISMATCHING, ids=lambda i: f"{i.id_type}-{i.data[:8].hex()}")
def test_identity_mismatch(named: tuple[Issued, TrustStore], peer_id: Identity) -> None:
    leaf, store = named
    err = failure_of(leaf.der, (), store, peer_id=peer_id)
    assert err.failure is TrustFailure.ID_MISMATCH
    assert err.subject == "CN=gw,O=ikewire,C=DE"


def test_identity_mismatch_message_lists_what_the_certificate_has(
    named: tuple[Issued, TrustStore],
) -> None:
    leaf, store = named
    err = failure_of(leaf.der, (), store, peer_id=fqdn_id("other.example.org"))
    assert "ID_FQDN other.example.org" in str(err)
    assert "gw.example.org" in str(err)
    err = failure_of(
        leaf.der,
        (),
        store,
        peer_id=Identity(IDType.ID_IPV4_ADDR, bytes([198, 51, 100, 7])),
    )
    assert "198.51.100.7" in str(err)
    assert "192.0.2.1" in str(err)


def test_id_payload_model_is_accepted_as_peer_id(named: tuple[Issued, TrustStore]) -> None:
    leaf, store = named
    validate_peer(
        leaf.der, (), store, now=DEFAULT_NOW, peer_id=IDi(IDType.ID_FQDN, b"gw.example.org")
    )
    with pytest.raises(CertificateError):
        validate_peer(leaf.der, (), store, now=DEFAULT_NOW, peer_id=IDi(IDType.ID_FQDN, b"gw"))


def test_certificate_without_san_matches_no_fqdn() -> None:
    root = make_ca()
    leaf = issue(root, subject_name="gw.example.org")
    err = failure_of(leaf.der, (), TrustStore([root.cert]), peer_id=fqdn_id("gw.example.org"))
    assert err.failure is TrustFailure.ID_MISMATCH


def test_identity_checked_only_after_trust(chain2: Chain) -> None:
    """An untrusted certificate reports the trust failure, not the identity."""
    other = make_ca("Someone Else CA")
    err = failure_of(
        chain2.leaf.der, chain2.extra_der, TrustStore([other.cert]), peer_id=fqdn_id("nope")
    )
    assert err.failure is TrustFailure.UNKNOWN_ISSUER


# ---------------------------------------------------------------------------------------
# CERTREQ (RFC 7296 §3.7)
# ---------------------------------------------------------------------------------------


def _der_children(der: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each TLV in der[start:end] (definite lengths; test-only walk)."""
    out = []
    pos = start
    while pos < end:
        length = der[pos + 1]
        header = 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(der[pos + 2 : pos + 2 + n], "big")
            header = 2 + n
        out.append((pos, pos + header + length))
        pos += header + length
    return out


def _spki_from_certificate_der(der: bytes) -> bytes:
    """The SubjectPublicKeyInfo octets exactly as they appear in the certificate
    (RFC 5280 §4.1: tbsCertificate's 7th field, after the [0] version)."""
    ((cert_start, cert_end),) = _der_children(der, 0, len(der))
    hdr = 2 + (der[1] & 0x7F if der[1] & 0x80 else 0)
    tbs_start, tbs_end = _der_children(der, cert_start + hdr, cert_end)[0]
    tbs_hdr = 2 + (der[tbs_start + 1] & 0x7F if der[tbs_start + 1] & 0x80 else 0)
    fields = _der_children(der, tbs_start + tbs_hdr, tbs_end)
    assert der[fields[0][0]] == 0xA0  # explicit version
    s, e = fields[6]
    return der[s:e]


@pytest.mark.parametrize("key_type", ["ecdsa-p256", "rsa2048", "ed25519", "ed448"])
def test_certreq_hash_is_sha1_of_the_certificates_spki(key_type: KeyType) -> None:
    ca = make_ca(key_type=key_type)
    expected = hashlib.sha1(_spki_from_certificate_der(ca.der)).digest()
    assert certreq_hashes([ca.cert]) == expected


def test_certreq_concatenates_in_order_without_duplicates() -> None:
    a, b = make_ca("A"), make_ca("B")
    ha, hb = certreq_hashes([a.cert]), certreq_hashes([b.cert])
    assert certreq_hashes([a.cert, b.cert, a.cert]) == ha + hb
    assert certreq_hashes([]) == b""
    assert split_certreq(ha + hb) == (ha, hb)


def test_split_certreq_rejects_partial_hash() -> None:
    with pytest.raises(DecodeError):
        split_certreq(b"\x00" * 21)


def test_select_chain() -> None:
    chain = make_chain(3)
    ours = chain.certificates  # leaf, mid2, mid1, root
    root_req = certreq_hashes([chain.root.cert])
    assert select_chain(ours, root_req) == ours[:3]
    # the peer trusts our upper intermediate: send leaf and lower intermediate
    assert select_chain(ours, certreq_hashes([chain.intermediates[0].cert])) == ours[:2]
    # a CERTREQ for an unrelated CA, or none at all
    assert select_chain(ours, certreq_hashes([make_ca("X").cert])) is None
    assert select_chain(ours, b"") is None
    # several CAs requested: the first one reached from the leaf wins
    both = root_req + certreq_hashes([chain.intermediates[1].cert])
    assert select_chain(ours, both) == ours[:1]
    # the chain without its root cannot name the root's key
    assert select_chain(ours[:3], root_req) is None
    with pytest.raises(DecodeError):
        select_chain(ours, b"\x01" * 19)


def test_certreq_roundtrip_with_validation() -> None:
    """What a responder advertises lets the initiator pick a chain it then accepts."""
    chain = make_chain(2, san_dns=[FQDN])
    store = store_of(chain)
    to_send = select_chain(chain.certificates, certreq_hashes(store.anchors))
    assert to_send is not None
    leaf, *rest = (c.public_bytes(serialization.Encoding.DER) for c in to_send)
    validate_peer(leaf, rest, store, now=DEFAULT_NOW, peer_id=fqdn_id())


def test_trust_store_is_frozen_and_tuples(chain2: Chain) -> None:
    store = TrustStore([chain2.root.cert])
    assert isinstance(store.anchors, tuple)
    with pytest.raises(AttributeError):
        store.anchors = ()  # type: ignore[misc]


# ---------------------------------------------------------------------------------------
# Name constraints (RFC 5280 §4.2.1.10)
# ---------------------------------------------------------------------------------------


def _constrained_ca(
    permitted: list[x509.GeneralName] | None, excluded: list[x509.GeneralName] | None
) -> Issued:
    return issue(
        None,
        subject_name="Constrained CA",
        is_ca=True,
        extensions=[(x509.NameConstraints(permitted, excluded), True)],
    )


def test_name_constraints_permitted_dns_and_ip() -> None:
    ca = _constrained_ca(
        [
            x509.DNSName("example.org"),
            x509.IPAddress(ipaddress.ip_network("192.0.2.0/24")),
        ],
        None,
    )
    store = TrustStore([ca.cert])
    ok = issue(ca, san_dns=["gw.example.org"], san_ip=["192.0.2.9"])
    validate_peer(ok.der, (), store, now=DEFAULT_NOW, peer_id=fqdn_id("gw.example.org"))
    for bad in (
        issue(ca, subject_name="outside", san_dns=["gw.example.com"]),
        issue(ca, subject_name="outside", san_dns=["gw.notexample.org"]),
        issue(ca, subject_name="outside", san_ip=["198.51.100.1"]),
    ):
        err = failure_of(bad.der, (), store)
        assert err.failure is TrustFailure.NAME_CONSTRAINTS
        assert err.subject == "CN=outside"
        assert "CN=Constrained CA" in str(err)


def test_name_constraints_excluded_and_directory_name() -> None:
    ca = _constrained_ca(
        [x509.DirectoryName(x509.Name.from_rfc4514_string("O=ikewire,C=DE"))],
        [x509.DNSName("secret.example.org"), x509.RFC822Name("example.net")],
    )
    store = TrustStore([ca.cert])
    validate_peer(
        issue(ca, subject_name="CN=gw,O=ikewire,C=DE", san_dns=["gw.example.org"]).der,
        (),
        store,
        now=DEFAULT_NOW,
        peer_id=None,
    )
    for bad in (
        issue(ca, subject_name="CN=gw,O=other,C=DE"),
        issue(ca, subject_name="CN=gw,O=ikewire,C=DE", san_dns=["a.secret.example.org"]),
        issue(ca, subject_name="CN=gw,O=ikewire,C=DE", san_email=["vpn@example.net"]),
    ):
        assert failure_of(bad.der, (), store).failure is TrustFailure.NAME_CONSTRAINTS


def test_name_constraints_of_an_intermediate_bind_the_leaf() -> None:
    root = make_ca()
    mid = issue(
        root,
        subject_name="Mid",
        is_ca=True,
        extensions=[(x509.NameConstraints([x509.DNSName("example.org")], None), True)],
    )
    leaf = issue(mid, san_dns=["evil.example.com"])
    err = failure_of(leaf.der, (mid.der,), TrustStore([root.cert]))
    assert err.failure is TrustFailure.NAME_CONSTRAINTS


def test_expired_anchor() -> None:
    root = make_ca("Old Root", not_after=datetime.datetime(2026, 1, 1, tzinfo=UTC))
    leaf = issue(root)
    err = failure_of(leaf.der, (), TrustStore([root.cert]))
    assert err.failure is TrustFailure.EXPIRED
    assert err.subject == "CN=Old Root"


def test_renewed_intermediate_is_tried_after_an_expired_one() -> None:
    """CA rollover: same name and key, new validity; the peer still sends the old one."""
    root = make_ca()
    old = make_ca("Mid", issuer=root, not_after=datetime.datetime(2026, 1, 1, tzinfo=UTC))
    renewed = issue(root, subject_name="Mid", key=old.key, is_ca=True)
    leaf = issue(old, san_dns=[FQDN])
    err = failure_of(leaf.der, (old.der,), TrustStore([root.cert]))
    assert err.failure is TrustFailure.EXPIRED
    assert err.subject == "CN=Mid"
    store = TrustStore([root.cert], intermediates=[renewed.cert])
    validate_peer(leaf.der, (old.der,), store, now=DEFAULT_NOW, peer_id=fqdn_id())
