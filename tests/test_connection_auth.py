"""IKEConnection: signature AUTH, each side its own method (RFC 7296 §2.15, RFC 7427),
and the COOKIE exchange (RFC 7296 §2.6)."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from ikewire.connection.config import Identity, IKEConfig
from ikewire.connection.events import (
    AuthenticationFailed,
    ChildSAEstablished,
    IKESAEstablished,
)
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import State
from ikewire.constants import (
    AuthMethod,
    CertEncoding,
    ExchangeType,
    HashAlgorithm,
    IDType,
    NotifyType,
)
from ikewire.crypto.auth import PrivateKey, decode_digital_signature
from ikewire.crypto.cipher import SKCipher, open_message
from ikewire.errors import ConfigError
from ikewire.testing.pair import Pair, drain, seeded_rng
from ikewire.wire.codec import decode_v2, encode_v2
from ikewire.wire.models import AUTH, CERT, IDi, Message, Notify
from ikewire.wire.notify import signature_hash_algorithms

PSK = b"a shared key for one direction"


@functools.cache
def ecdsa_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(key: PrivateKey, name: str) -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def base(local: str, remote: str, local_ts: str, remote_ts: str, seed: int) -> IKEConfig:
    return IKEConfig(
        Identity.fqdn(local),
        Identity.fqdn(remote),
        psk=PSK,
        local_ts=(local_ts,),
        remote_ts=(remote_ts,),
        rng=seeded_rng(seed),
    )


I_BASE = base("alice.example", "bob.example", "10.1.0.0/16", "10.2.0.0/16", 11)
R_BASE = base("bob.example", "alice.example", "10.2.0.0/16", "10.1.0.0/16", 12)


def state(conn: IKEConnection) -> State:
    return conn.state


def auth_payloads(pair: Pair) -> tuple[Message, Message]:
    """Run the handshake by hand; the opened IKE_AUTH request and response."""
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    [req] = pair.take(i)
    pair.deliver(req, r)
    [resp] = pair.take(r)
    pair.deliver(resp, i)
    assert r.keys is not None
    inner_req = open_message(req, SKCipher.from_keys(r.keys, sender_is_initiator=True))
    inner_resp = open_message(resp, SKCipher.from_keys(r.keys, sender_is_initiator=False))
    spi = bytes(8)
    return (
        Message.create(ExchangeType.IKE_AUTH, inner_req, spi_i=spi),
        Message.create(ExchangeType.IKE_AUTH, inner_resp, spi_i=spi),
    )


def test_ecdsa_initiator_rsa_pss_responder() -> None:
    i_cert = self_signed(ecdsa_key(), "alice.example")
    r_cert = self_signed(rsa_key(), "bob.example")
    i_cfg = dataclasses.replace(
        I_BASE, psk=None, private_key=ecdsa_key(), certificate=i_cert, remote_certificate=r_cert
    )
    r_cfg = dataclasses.replace(
        R_BASE, psk=None, private_key=rsa_key(), certificate=r_cert, remote_certificate=i_cert
    )
    pair = Pair(i_cfg, r_cfg)
    req, resp = auth_payloads(pair)
    # RFC 7296 §3.6: CERT with the X.509 certificate; RFC 7427 §3: method 14
    cert = req.get(CERT)
    assert isinstance(cert, CERT) and cert.encoding == CertEncoding.X509_CERTIFICATE_SIGNATURE
    assert cert.data == i_cert
    a_req, a_resp = req.get(AUTH), resp.get(AUTH)
    assert isinstance(a_req, AUTH) and isinstance(a_resp, AUTH)
    assert a_req.method == AuthMethod.DIGITAL_SIGNATURE == a_resp.method
    assert "ecdsa" in decode_digital_signature(a_req.data)[0].lower()
    assert "pss" in decode_digital_signature(a_resp.data)[0].lower()
    ei, er = drain(pair.initiator), drain(pair.responder)
    assert [type(e) for e in ei] == [IKESAEstablished, ChildSAEstablished]
    assert [type(e) for e in er] == [IKESAEstablished, ChildSAEstablished]
    ike = ei[0]
    assert isinstance(ike, IKESAEstablished)
    assert ike.local_auth == ike.remote_auth == AuthMethod.DIGITAL_SIGNATURE.name
    assert "DIGITAL_SIGNATURE" in pair.responder.describe()


def test_psk_one_way_signature_the_other() -> None:
    """RFC 7296 §2.15: each side chooses its own method."""
    i_cfg = dataclasses.replace(I_BASE, remote_public_key=ecdsa_key().public_key())
    r_cfg = dataclasses.replace(R_BASE, psk=None, remote_psk=PSK, private_key=ecdsa_key())
    pair = Pair(i_cfg, r_cfg)
    req, resp = auth_payloads(pair)
    a_req, a_resp = req.get(AUTH), resp.get(AUTH)
    assert isinstance(a_req, AUTH) and isinstance(a_resp, AUTH)
    assert a_req.method == AuthMethod.SHARED_KEY_MESSAGE_INTEGRITY_CODE
    assert a_resp.method == AuthMethod.DIGITAL_SIGNATURE
    [ike_i, _] = drain(pair.initiator)
    [ike_r, _] = drain(pair.responder)
    assert isinstance(ike_i, IKESAEstablished) and isinstance(ike_r, IKESAEstablished)
    assert (ike_i.local_auth, ike_i.remote_auth) == (
        "SHARED_KEY_MESSAGE_INTEGRITY_CODE",
        "DIGITAL_SIGNATURE",
    )
    assert (ike_r.local_auth, ike_r.remote_auth) == (ike_i.remote_auth, ike_i.local_auth)


def test_signature_by_untrusted_key_fails() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    i_cfg = dataclasses.replace(I_BASE, remote_public_key=other.public_key())
    r_cfg = dataclasses.replace(R_BASE, psk=None, remote_psk=PSK, private_key=ecdsa_key())
    pair = Pair(i_cfg, r_cfg)
    pair.handshake()
    [ev] = drain(pair.initiator)
    assert isinstance(ev, AuthenticationFailed) and ev.notify == NotifyType.AUTHENTICATION_FAILED
    assert state(pair.initiator) is State.FAILED
    # RFC 7296 §2.21.2: the initiator told the responder in an INFORMATIONAL
    established, _child, failed = drain(pair.responder)
    assert isinstance(established, IKESAEstablished)
    assert isinstance(failed, AuthenticationFailed)
    assert state(pair.responder) is State.FAILED


def test_unpinned_certificate_fails() -> None:
    i_cfg = dataclasses.replace(
        I_BASE, remote_certificate=self_signed(rsa_key(), "someone.example")
    )
    r_cfg = dataclasses.replace(
        R_BASE,
        psk=None,
        remote_psk=PSK,
        private_key=ecdsa_key(),
        certificate=self_signed(ecdsa_key(), "bob.example"),
    )
    pair = Pair(i_cfg, r_cfg)
    pair.handshake()
    [ev] = drain(pair.initiator)
    assert isinstance(ev, AuthenticationFailed)


def test_cookie_round_trip() -> None:
    pair = Pair(I_BASE, dataclasses.replace(R_BASE, require_cookie=True))
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    [first] = pair.take(i)
    pair.deliver(first, r)
    [ask] = pair.take(r)
    asked = decode_v2(ask)
    [n] = asked.notifies()
    assert n.notify_type == NotifyType.COOKIE and 1 <= len(n.data) <= 64
    assert asked.spi_r == bytes(8) and state(r) is State.IDLE and drain(r) == []
    pair.deliver(ask, i)
    [retry] = pair.take(i)
    again = decode_v2(retry)
    # RFC 7296 §2.6: COOKIE first, "all other payloads unchanged"
    assert again.payloads[0] == n
    assert again.payloads[1:] == decode_v2(first).payloads
    pair.deliver(retry, r)
    pair.run()
    assert state(i) is State.ESTABLISHED and state(r) is State.ESTABLISHED


def test_forged_cookie_refused() -> None:
    pair = Pair(I_BASE, dataclasses.replace(R_BASE, require_cookie=True))
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.transfer(i, r)
    [ask] = pair.take(r)
    [n] = decode_v2(ask).notifies()
    forged = n._replace(data=bytes(len(n.data)))
    pair.deliver(ask[: len(ask) - len(n.data)] + forged.data, i)
    [retry] = pair.take(i)
    pair.deliver(retry, r)
    [again] = pair.take(r)
    assert decode_v2(again).notifies()[0].notify_type == NotifyType.COOKIE
    assert state(r) is State.IDLE


@pytest.mark.parametrize(
    "make_key",
    [ed25519.Ed25519PrivateKey.generate, ed448.Ed448PrivateKey.generate],
    ids=["ed25519", "ed448"],
)
def test_eddsa_both_ways(make_key: Callable[[], PrivateKey]) -> None:
    """RFC 8420: EdDSA under RFC 7427 Digital Signature, hash IDENTITY (5)."""
    ki, kr = make_key(), make_key()
    i_cfg = dataclasses.replace(I_BASE, psk=None, private_key=ki, remote_public_key=kr.public_key())
    r_cfg = dataclasses.replace(R_BASE, psk=None, private_key=kr, remote_public_key=ki.public_key())
    pair = Pair(i_cfg, r_cfg)
    req, resp = auth_payloads(pair)
    for msg in (req, resp):
        a = msg.get(AUTH)
        assert isinstance(a, AUTH) and a.method == AuthMethod.DIGITAL_SIGNATURE
        name, _sig = decode_digital_signature(a.data)
        assert name.lower().startswith("ed")
    assert [type(e) for e in drain(pair.initiator)] == [IKESAEstablished, ChildSAEstablished]


def test_null_authentication_when_accepted() -> None:
    """RFC 7619: NULL auth with ID_NULL, accepted only where configured."""
    i_cfg = dataclasses.replace(
        I_BASE,
        psk=None,
        null_auth=True,
        local_id=Identity.null(),
        remote_id=None,
        accept_null_auth=True,
    )
    r_cfg = dataclasses.replace(
        R_BASE,
        psk=None,
        null_auth=True,
        local_id=Identity.null(),
        remote_id=None,
        accept_null_auth=True,
    )
    pair = Pair(i_cfg, r_cfg)
    req, _resp = auth_payloads(pair)
    a = req.get(AUTH)
    idi = req.get(IDi)
    assert isinstance(a, AUTH) and a.method == AuthMethod.NULL_AUTHENTICATION
    assert isinstance(idi, IDi) and idi.id_type == IDType.ID_NULL and idi.data == b""
    [ike, _child] = drain(pair.initiator)
    assert isinstance(ike, IKESAEstablished)
    assert ike.local_auth == ike.remote_auth == "NULL_AUTHENTICATION"


def test_null_authentication_refused_unless_accepted() -> None:
    i_cfg = dataclasses.replace(I_BASE, psk=None, null_auth=True, local_id=Identity.null())
    r_cfg = dataclasses.replace(R_BASE, remote_id=None)  # PSK, no accept_null_auth
    pair = Pair(i_cfg, r_cfg)
    pair.handshake()
    [ev] = drain(pair.responder)
    assert isinstance(ev, AuthenticationFailed) and "NULL_AUTHENTICATION" in ev.reason
    assert state(pair.responder) is State.FAILED
    assert isinstance(drain(pair.initiator)[0], AuthenticationFailed)


def test_unusable_local_key_fails_the_sa_instead_of_raising() -> None:
    """An Ed25519 key when the peer announced only SHA2-256 (RFC 7427 §4: no hash we
    can both use): a failure event, not an exception out of receive_datagram."""
    k = ed25519.Ed25519PrivateKey.generate()
    i_cfg = dataclasses.replace(I_BASE, psk=None, private_key=k, remote_psk=PSK)
    pair = Pair(i_cfg, R_BASE)
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.transfer(i, r)
    [response] = pair.take(r)
    msg = decode_v2(response)
    payloads = [
        signature_hash_algorithms([HashAlgorithm.SHA2_256])
        if isinstance(p, Notify) and p.notify_type == NotifyType.SIGNATURE_HASH_ALGORITHMS
        else p
        for p in msg.payloads
    ]
    pair.deliver(encode_v2(msg._replace(payloads=tuple(payloads))), i)
    [ev] = drain(i)
    assert isinstance(ev, AuthenticationFailed) and "cannot authenticate" in ev.reason
    assert state(i) is State.FAILED


def test_config_refuses_a_key_type_ike_cannot_use() -> None:
    from cryptography.hazmat.primitives.asymmetric import dsa

    with pytest.raises(ConfigError):
        dataclasses.replace(I_BASE, psk=None, private_key=dsa.generate_private_key(1024))  # type: ignore[arg-type]
