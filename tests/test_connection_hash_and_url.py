"""Hash-and-URL certificates and bundles (RFC 7296 §3.6, §3.10.1) and raw public keys
(RFC 7670) in IKE_AUTH, with the Allow / Tolerate policies and the fetch cache.

ikewire never fetches: the tests play the caller, serving each URL from a dict (the
"web") when the connection asks with CertificateFetchRequested."""

from __future__ import annotations

import dataclasses
import functools
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from ikewire.certbundle import build_bundle
from ikewire.connection.certcache import CertificateCache
from ikewire.connection.config import IKEConfig
from ikewire.connection.events import (
    AuthenticationFailed,
    CertificateFetchRequested,
    ChildSAEstablished,
    Event,
    IKESAEstablished,
)
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import State
from ikewire.connection.trust import TrustStore
from ikewire.constants import CertEncoding, NotifyType
from ikewire.crypto.cipher import SKCipher, open_message
from ikewire.errors import ConfigError
from ikewire.testing.certs import DEFAULT_NOW, Chain, KeyType, make_chain, make_crl, make_key
from ikewire.testing.pair import Pair, drain
from ikewire.wire.codec import decode_v2
from ikewire.wire.models import CERT, Notify
from test_connection_ike_sa import configs

A, B = "alice.example", "bob.example"
BIG = {"i_fragment_size": 60000, "r_fragment_size": 60000}  # one SK message each way


@functools.cache
def chain(who: str, key_type: KeyType = "ecdsa-p256", depth: int = 2) -> Chain:
    return make_chain(depth, key_type, subject_name=who, san_dns=[who], root_name=f"{who} CA")


def url_of(who: str, what: str) -> str:
    return f"http://certs.{who}/{what}"


def pki(
    i_policy: str = "allow",
    r_policy: str = "allow",
    *,
    key_type: KeyType = "ecdsa-p256",
    bundles: bool = False,
    cache: CertificateCache | None = None,
    revoke_alice: bool = False,
) -> tuple[IKEConfig, IKEConfig, dict[str, bytes]]:
    """Alice (initiator) and Bob, each signing with a depth-2 chain whose certificates
    (or one bundle of them) are published at URLs; the web serving them."""
    web: dict[str, bytes] = {}
    i, r = configs(**BIG)

    def side(cfg: IKEConfig, me: str, peer: str, policy: str) -> IKEConfig:
        own, theirs = chain(me, key_type), chain(peer, key_type)
        urls: dict[bytes, str] = {}
        bundle = None
        if bundles:
            crls = []
            if me == A:  # Alice's intermediate revokes Alice's leaf when asked
                serials = [own.leaf.cert.serial_number] if revoke_alice else []
                crls.append(make_crl(own.intermediates[0], serials))
            bundle = build_bundle([own.leaf.cert, *(c.cert for c in own.intermediates)], crls)
            urls[bundle] = url_of(me, "bundle.der")
            web[urls[bundle]] = bundle
        else:
            for name, der in (("leaf.der", own.leaf.der), ("ca1.der", own.extra_der[0])):
                urls[der] = url_of(me, name)
                web[urls[der]] = der
        return dataclasses.replace(
            cfg,
            psk=None,
            private_key=own.leaf.key,
            certificate=own.leaf.der,
            certificate_chain=own.extra_der,
            certificate_urls=urls,
            certificate_bundle=bundle,
            hash_and_url=policy,
            certificate_cache=cache,
            trust_store=TrustStore(anchors=(theirs.root.cert,)),
            wall_clock=lambda: DEFAULT_NOW,
        )

    return side(i, A, B, i_policy), side(r, B, A, r_policy), web


def serve(pair: Pair, web: dict[str, bytes], *, corrupt: bool = False) -> list[Event]:
    """Run the pair, answering every fetch from ``web`` until both are quiet; every
    event seen, in order."""
    seen: list[Event] = []
    for _ in range(10):
        pair.run()
        progressed = False
        for conn in (pair.initiator, pair.responder):
            for event in drain(conn):
                seen.append(event)
                if isinstance(event, CertificateFetchRequested):
                    body = web[event.url]
                    if corrupt:
                        body = body[:-1] + bytes((body[-1] ^ 1,))
                    used = conn.supply_certificate(event.url, body, pair.now)
                    assert used or corrupt  # after a refused body the rest is moot
                    progressed = True
        if not progressed:
            break
    return seen


def auth_certs(pair: Pair) -> tuple[list[CERT], list[CERT]]:
    """The CERT payloads of the IKE_AUTH request and response, opened."""
    keys = pair.responder.keys
    assert keys is not None
    req = open_message(pair.captured[2].data, SKCipher.from_keys(keys, sender_is_initiator=True))
    resp = open_message(pair.captured[3].data, SKCipher.from_keys(keys, sender_is_initiator=False))
    return [p for p in req if type(p) is CERT], [p for p in resp if type(p) is CERT]


def established(events: list[Event]) -> int:
    return sum(isinstance(e, IKESAEstablished) for e in events)


# ------------------------------------------------------------------ Allow both ways


def test_certificates_by_hash_and_url_both_ways() -> None:
    i, r, web = pki("allow", "allow")
    pair = Pair(i, r)
    pair.handshake()
    events = serve(pair, web)
    fetches = [e for e in events if isinstance(e, CertificateFetchRequested)]
    # each side asked for the other's leaf and intermediate, with their SHA-1 hashes
    assert sorted(e.url for e in fetches) == sorted(web)
    for e in fetches:
        assert e.encoding == CertEncoding.HASH_AND_URL_X509_CERTIFICATE
        assert e.sha1 == hashlib.sha1(web[e.url]).digest()
    assert established(events) == 2
    assert pair.initiator.state is State.ESTABLISHED and pair.responder.state is State.ESTABLISHED
    # on the wire: 20-octet SHA-1 then the URL (RFC 7296 §3.6); HTTP_CERT_LOOKUP_SUPPORTED
    # in the messages that may carry CERTREQ (§3.10.1)
    req, resp = auth_certs(pair)
    for certs, who in ((req, A), (resp, B)):
        assert [c.encoding for c in certs] == [CertEncoding.HASH_AND_URL_X509_CERTIFICATE] * 2
        leaf = chain(who, "ecdsa-p256").leaf.der
        assert certs[0].data == hashlib.sha1(leaf).digest() + url_of(who, "leaf.der").encode()
    init_response = decode_v2(pair.captured[1].data)
    assert any(
        type(p) is Notify and p.notify_type == NotifyType.HTTP_CERT_LOOKUP_SUPPORTED
        for p in init_response.payloads
    )


@pytest.mark.parametrize("key_type", ["rsa2048", "ed25519"])
def test_bundles_both_ways(key_type: KeyType) -> None:
    i, r, web = pki("allow", "allow", bundles=True, key_type=key_type)
    pair = Pair(i, r)
    pair.handshake()
    events = serve(pair, web)
    fetches = [e for e in events if isinstance(e, CertificateFetchRequested)]
    assert {e.url for e in fetches} == {url_of(A, "bundle.der"), url_of(B, "bundle.der")}
    assert all(e.encoding == CertEncoding.HASH_AND_URL_X509_BUNDLE for e in fetches)
    assert established(events) == 2
    req, resp = auth_certs(pair)
    assert [c.encoding for c in req] == [CertEncoding.HASH_AND_URL_X509_BUNDLE]
    assert [c.encoding for c in resp] == [CertEncoding.HASH_AND_URL_X509_BUNDLE]


def test_a_crl_in_the_bundle_is_honoured() -> None:
    """Alice's bundle carries her intermediate's CRL revoking her own leaf: Bob refuses
    her, naming the revocation."""
    i, r, web = pki("allow", "allow", bundles=True, revoke_alice=True)
    pair = Pair(i, r)
    pair.handshake()
    events = serve(pair, web)
    failed = [e for e in events if isinstance(e, AuthenticationFailed)]
    assert any("was revoked by" in e.reason for e in failed), events
    assert established(events) == 0 or pair.responder.state is not State.ESTABLISHED


# ------------------------------------------------------------------ Tolerate


@pytest.mark.parametrize("bundles", [False, True])
def test_tolerate_sends_hash_and_url_to_a_peer_that_fetches(bundles: bool) -> None:
    """Bob tolerates: he does not announce HTTP_CERT_LOOKUP_SUPPORTED, so Alice sends
    her certificates inline; Alice allows, so Bob sends his by hash and URL."""
    i, r, web = pki("allow", "tolerate", bundles=bundles)
    pair = Pair(i, r)
    pair.handshake()
    events = serve(pair, web)
    assert established(events) == 2
    req, resp = auth_certs(pair)
    assert {c.encoding for c in req} == {CertEncoding.X509_CERTIFICATE_SIGNATURE}
    sent = (
        CertEncoding.HASH_AND_URL_X509_BUNDLE
        if bundles
        else CertEncoding.HASH_AND_URL_X509_CERTIFICATE
    )
    assert {c.encoding for c in resp} == {sent}
    init_response = decode_v2(pair.captured[1].data)
    assert not any(
        type(p) is Notify and p.notify_type == NotifyType.HTTP_CERT_LOOKUP_SUPPORTED
        for p in init_response.payloads
    )


def test_tolerate_both_ways_keeps_certificates_inline() -> None:
    """Neither side fetches, so neither announces it; both send CERT encoding 4 though
    both have URLs, and nothing is fetched."""
    i, r, web = pki("tolerate", "tolerate")
    pair = Pair(i, r)
    pair.handshake()
    events = serve(pair, web)
    assert established(events) == 2
    assert not [e for e in events if isinstance(e, CertificateFetchRequested)]
    req, resp = auth_certs(pair)
    for certs in (req, resp):
        assert {c.encoding for c in certs} == {CertEncoding.X509_CERTIFICATE_SIGNATURE}


def test_tolerate_refuses_a_peer_that_sends_only_a_url() -> None:
    """A peer that sends hash and URL though Bob never announced he fetches is refused,
    with the policy named; nothing is fetched."""
    i, r, web = pki("allow", "tolerate")
    pair = Pair(i, r)
    pair.initiator._peer_http_lookup = True  # this Alice sends URLs regardless
    pair.initiator.initiate(pair.now)
    pair.roundtrip(pair.initiator, pair.responder)
    pair.initiator._peer_http_lookup = True
    events = serve(pair, web)
    assert not [e for e in events if isinstance(e, CertificateFetchRequested)]
    failed = [e for e in events if isinstance(e, AuthenticationFailed)]
    assert failed, events
    assert any("hash_and_url policy 'tolerate' does not fetch" in e.reason for e in failed)
    assert established(events) == 0


# ------------------------------------------------------------------ failures


def test_a_corrupted_body_is_refused_by_its_hash() -> None:
    i, r, web = pki("allow", "allow")
    pair = Pair(i, r)
    pair.handshake()
    events = serve(pair, web, corrupt=True)
    failed = [e for e in events if isinstance(e, AuthenticationFailed)]
    assert any("SHA-1" in e.reason and "refused" in e.reason for e in failed), failed
    assert established(events) == 0


def test_fetch_failure_and_timeout_fail_authentication() -> None:
    i, r, _web = pki("allow", "allow")
    pair = Pair(i, r)
    pair.handshake()
    asked = [e for e in drain(pair.responder) if isinstance(e, CertificateFetchRequested)]
    assert asked
    assert pair.responder.certificate_fetch_failed(asked[0].url, "HTTP 404", pair.now)
    assert not pair.responder.certificate_fetch_failed(asked[0].url, "again", pair.now)
    pair.run()
    failed = [e for e in drain(pair.responder) if isinstance(e, AuthenticationFailed)]
    assert failed and "HTTP 404" in failed[0].reason
    # the initiator hears AUTHENTICATION_FAILED (RFC 7296 §2.21.2)
    assert [e for e in drain(pair.initiator) if isinstance(e, AuthenticationFailed)]

    pair = Pair(*pki("allow", "allow")[:2])
    pair.handshake()
    assert [e for e in drain(pair.responder) if isinstance(e, CertificateFetchRequested)]
    deadline = pair.responder.get_timer()
    assert deadline is not None and deadline <= pair.now + 30
    for _ in range(40):
        pair.advance(1.0)
    pair.run()
    failed = [e for e in drain(pair.responder) if isinstance(e, AuthenticationFailed)]
    assert failed and "within 30 s" in failed[0].reason


def test_retransmitted_request_while_fetching_is_not_reprocessed() -> None:
    """The initiator retransmits IKE_AUTH while Bob waits for his fetch: no second fetch,
    no answer until the bytes come; then one answer and both sides up."""
    i, r, web = pki("allow", "allow")
    pair = Pair(i, r)
    pair.handshake()
    first = [e for e in drain(pair.responder) if isinstance(e, CertificateFetchRequested)]
    pair.advance(2.5)  # the initiator's retransmission timer
    pair.run()
    assert not [e for e in drain(pair.responder) if isinstance(e, CertificateFetchRequested)]
    assert not pair.responder.datagrams_to_send(pair.now)
    for e in first:
        assert pair.responder.supply_certificate(e.url, web[e.url], pair.now)
    assert not pair.responder.supply_certificate("http://nobody.example/x", b"", pair.now)
    events = serve(pair, web)
    assert pair.initiator.state is State.ESTABLISHED and pair.responder.state is State.ESTABLISHED
    assert sum(isinstance(e, ChildSAEstablished) for e in events) >= 1


def test_closing_while_fetching_drops_the_fetch() -> None:
    """close() during a fetch: nothing is processed later, the deadline is gone."""
    i, r, web = pki("allow", "allow")
    pair = Pair(i, r)
    pair.handshake()
    (asked, *_) = [e for e in drain(pair.responder) if isinstance(e, CertificateFetchRequested)]
    pair.responder.close(pair.now)
    assert pair.responder.state is State.CLOSED
    assert not pair.responder.supply_certificate(asked.url, web[asked.url], pair.now)
    assert pair.responder.get_timer() is None
    assert not pair.responder.datagrams_to_send(pair.now)
    assert not [e for e in drain(pair.responder) if isinstance(e, IKESAEstablished)]


# ------------------------------------------------------------------ the cache


def test_cache_serves_the_next_connection_until_the_interval_ends() -> None:
    cache = CertificateCache(interval=3600)
    i, r, web = pki("allow", "allow", cache=cache)
    pair = Pair(i, r)
    pair.handshake()
    first = serve(pair, web)
    assert sum(isinstance(e, CertificateFetchRequested) for e in first) == 4
    assert len(cache) == 4
    listing = cache.display(pair.now)
    for url, body in web.items():
        assert url in listing and hashlib.sha1(body).hexdigest() in listing
    assert "expires in 3600 s" in listing and "4 cached" in listing

    again = Pair(i, r, now=pair.now + 60)  # a second IKE SA within the hour: no fetch
    again.handshake()
    events = serve(again, web)
    assert not [e for e in events if isinstance(e, CertificateFetchRequested)]
    assert established(events) == 2

    late = Pair(i, r, now=pair.now + 3601)  # expired: fetched again
    late.handshake()
    assert sum(isinstance(e, CertificateFetchRequested) for e in serve(late, web)) == 4

    assert cache.refresh() == 4 and len(cache) == 0
    fresh = Pair(i, r, now=late.now)
    fresh.handshake()
    assert sum(isinstance(e, CertificateFetchRequested) for e in serve(fresh, web)) == 4


def test_interval_zero_disables_the_cache() -> None:
    cache = CertificateCache(interval=0)
    i, r, web = pki("allow", "allow", cache=cache)
    for start in (0.0, 10.0):
        pair = Pair(i, r, now=start)
        pair.handshake()
        assert sum(isinstance(e, CertificateFetchRequested) for e in serve(pair, web)) == 4
    assert len(cache) == 0 and "interval off" in cache.display(0.0)


# ------------------------------------------------------------------ raw public keys


def raw_configs(wrong: bool = False) -> tuple[IKEConfig, IKEConfig]:
    ka, kb = make_key("ecdsa-p256"), make_key("ed25519")
    i, r = configs()
    i = dataclasses.replace(
        i, psk=None, private_key=ka, raw_public_key=True, remote_public_key=kb.public_key()
    )
    pinned = make_key("ecdsa-p256").public_key() if wrong else ka.public_key()
    r = dataclasses.replace(
        r, psk=None, private_key=kb, raw_public_key=True, remote_public_key=pinned
    )
    return i, r


def test_raw_public_keys_both_ways() -> None:
    """RFC 7670: each side sends its SubjectPublicKeyInfo in CERT encoding 15 and asks
    for the same with an empty CERTREQ of that encoding; both verify AUTH with the key
    they were configured with."""
    i, r = raw_configs()
    pair = Pair(i, r)
    pair.handshake()
    assert established(drain(pair.initiator)) == 1 and established(drain(pair.responder)) == 1
    req, resp = auth_certs(pair)
    spki = i.private_key.public_key().public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert [(c.encoding, c.data) for c in req] == [(CertEncoding.RAW_PUBLIC_KEY, spki)]
    assert [c.encoding for c in resp] == [CertEncoding.RAW_PUBLIC_KEY]


def test_a_raw_key_that_is_not_the_pinned_one_fails() -> None:
    pair = Pair(*raw_configs(wrong=True))
    pair.handshake()
    failed = [e for e in drain(pair.responder) if isinstance(e, AuthenticationFailed)]
    assert failed and "not the configured remote_public_key" in failed[0].reason


def test_config_checks() -> None:
    i, _ = configs()
    with pytest.raises(ConfigError, match="tolerate"):
        dataclasses.replace(i, hash_and_url="fetch-everything")
    with pytest.raises(ConfigError, match="certificate_bundle needs its URL"):
        dataclasses.replace(i, certificate_bundle=b"\x30\x00")
    with pytest.raises(ConfigError, match="raw_public_key"):
        dataclasses.replace(i, raw_public_key=True)
    assert IKEConnection(i, initiator=False).config.hash_and_url == "tolerate"
