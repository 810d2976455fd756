"""Certificate authentication in IKEConnection: CERT chains validated to trust anchors
with the peer's ID matched (RFC 7296 §2.15, §3.6, §3.7; RFC 4945), CERTREQ both ways."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from ikewire.connection.config import IKEConfig
from ikewire.connection.events import (
    AuthenticationFailed,
    ChildSAEstablished,
    IKESAEstablished,
)
from ikewire.connection.state import State
from ikewire.connection.trust import TrustStore
from ikewire.constants import CertEncoding
from ikewire.crypto.cipher import SKCipher, open_message
from ikewire.testing.certs import DEFAULT_NOW, Chain, KeyType, make_chain
from ikewire.testing.pair import Pair, drain
from ikewire.wire.codec import decode_v2
from ikewire.wire.models import CERT, CERTREQ
from test_connection_ike_sa import configs


@functools.cache
def chain(who: str, key_type: KeyType, depth: int = 2) -> Chain:
    return make_chain(depth, key_type, subject_name=who, san_dns=[who], root_name=f"{who} CA")


def spki_sha1(c: Chain) -> bytes:
    spki = c.root.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha1(spki).digest()


def pki_configs(
    key_type: KeyType = "ecdsa-p256",
    *,
    now: datetime.datetime = DEFAULT_NOW,
    send_root: bool = False,
    **extra: object,
) -> tuple[IKEConfig, IKEConfig]:
    a, b = chain("alice.example", key_type), chain("bob.example", key_type)
    i, r = configs(**extra)

    def side(cfg: IKEConfig, own: Chain, peer: Chain) -> IKEConfig:
        return dataclasses.replace(
            cfg,
            psk=None,
            private_key=own.leaf.key,
            certificate=own.leaf.der,
            certificate_chain=own.extra_der + ((own.root.der,) if send_root else ()),
            trust_store=TrustStore(anchors=(peer.root.cert,)),
            wall_clock=lambda: now,
        )

    return side(i, a, b), side(r, b, a)


def opened_auth(pair: Pair) -> tuple[list[object], list[object]]:
    keys = pair.responder.keys
    assert keys is not None
    req = open_message(pair.captured[2].data, SKCipher.from_keys(keys, sender_is_initiator=True))
    resp = open_message(pair.captured[3].data, SKCipher.from_keys(keys, sender_is_initiator=False))
    return list(req), list(resp)


@pytest.mark.parametrize("key_type", ["ecdsa-p256", "rsa2048", "ed25519"])
def test_chains_validate_both_ways_with_certreq(key_type: KeyType) -> None:
    big = {"i_fragment_size": 9000, "r_fragment_size": 9000}  # one SK message each
    pair = Pair(*pki_configs(key_type, **big))
    pair.handshake()
    ei, er = drain(pair.initiator), drain(pair.responder)
    assert [type(e) for e in ei] == [IKESAEstablished, ChildSAEstablished], ei
    assert [type(e) for e in er] == [IKESAEstablished, ChildSAEstablished], er
    # RFC 7296 §3.7: the responder asks in IKE_SA_INIT, the initiator in IKE_AUTH,
    # each naming the SHA-1 of its anchor's SubjectPublicKeyInfo
    [certreq_r] = [p for p in decode_v2(pair.captured[1].data).payloads if type(p) is CERTREQ]
    assert certreq_r.encoding == CertEncoding.X509_CERTIFICATE_SIGNATURE
    assert certreq_r.data == spki_sha1(chain("alice.example", key_type))
    req, resp = opened_auth(pair)
    [certreq_i] = [p for p in req if type(p) is CERTREQ]
    assert certreq_i.data == spki_sha1(chain("bob.example", key_type))
    # leaf first, then the intermediate (RFC 7296 §3.6)
    a, b = chain("alice.example", key_type), chain("bob.example", key_type)
    assert [p.data for p in req if type(p) is CERT] == [a.leaf.der, *a.extra_der]
    assert [p.data for p in resp if type(p) is CERT] == [b.leaf.der, *b.extra_der]


def test_certreq_cuts_the_chain_below_the_requested_ca() -> None:
    pair = Pair(*pki_configs(send_root=True))
    pair.handshake()
    req, _ = opened_auth(pair)
    a = chain("alice.example", "ecdsa-p256")
    # the root the peer already trusts is not sent (RFC 7296 §3.7)
    assert [p.data for p in req if type(p) is CERT] == [a.leaf.der, *a.extra_der]
    assert pair.initiator.state is State.ESTABLISHED


def test_expired_certificate_names_the_cause() -> None:
    late = datetime.datetime(2040, 1, 1, tzinfo=datetime.UTC)
    i, r = pki_configs()
    pair = Pair(i, dataclasses.replace(r, wall_clock=lambda: late))
    pair.handshake()
    [failed] = drain(pair.responder)
    assert isinstance(failed, AuthenticationFailed)
    assert "expired" in failed.reason and "alice.example" in failed.reason
    assert pair.responder.state is State.FAILED
    assert isinstance(drain(pair.initiator)[0], AuthenticationFailed)


def test_identity_not_in_the_certificate_is_refused() -> None:
    i, r = pki_configs()
    # Alice claims to be carol: her certificate says alice.example
    i = dataclasses.replace(i, local_id=dataclasses.replace(i.local_id, data=b"carol.example"))
    r = dataclasses.replace(r, remote_id=None)
    pair = Pair(i, r)
    pair.handshake()
    [failed] = drain(pair.responder)
    assert isinstance(failed, AuthenticationFailed) and "carol.example" in failed.reason


def test_unknown_issuer_is_refused() -> None:
    i, r = pki_configs()
    stranger = chain("mallory.example", "ecdsa-p256")
    pair = Pair(i, dataclasses.replace(r, trust_store=TrustStore(anchors=(stranger.root.cert,))))
    pair.handshake()
    [failed] = drain(pair.responder)
    assert isinstance(failed, AuthenticationFailed)
    assert pair.responder.state is State.FAILED


def test_large_rsa_chains_travel_in_fragments() -> None:
    i, r = pki_configs("rsa3072")
    pair = Pair(
        dataclasses.replace(i, fragment_size=576), dataclasses.replace(r, fragment_size=576)
    )
    pair.handshake()
    assert [type(e) for e in drain(pair.initiator)] == [IKESAEstablished, ChildSAEstablished]
    assert sum(1 for c in pair.captured if len(c.data) > 500) >= 4  # SKF fragments
