"""IKEConnection: the initial exchanges, both roles (RFC 7296 §1.2, §2.1, §2.15, §2.21)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

import pytest

from ikewire.connection.config import Identity, IKEConfig
from ikewire.connection.events import (
    AuthenticationFailed,
    ChildSAEstablished,
    ConnectionFailed,
    IKESADeleted,
    IKESAEstablished,
    RetransmitTimeout,
)
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import Role, State, Stimulus, next_state
from ikewire.constants import (
    AuthMethod,
    ExchangeType,
    KeyExchangeMethod,
    NotifyType,
    PayloadType,
)
from ikewire.crypto.cipher import SKCipher, open_message
from ikewire.errors import ConfigError
from ikewire.testing.pair import Pair, drain, seeded_rng
from ikewire.wire.codec import decode_v2
from ikewire.wire.models import AUTH, IDi, Message, Nonce, Notify

PSK = b"correct horse battery staple"


def configs(**overrides: object) -> tuple[IKEConfig, IKEConfig]:
    """Alice (initiator, 10.1/16) and Bob (responder, 10.2/16) with one PSK."""
    i_over = {k[2:]: v for k, v in overrides.items() if k.startswith("i_")}
    r_over = {k[2:]: v for k, v in overrides.items() if k.startswith("r_")}
    i = IKEConfig(
        Identity.fqdn("alice.example"),
        Identity.fqdn("bob.example"),
        psk=PSK,
        local_ts=("10.1.0.0/16",),
        remote_ts=("10.2.0.0/16",),
        rng=seeded_rng(1),
    )
    r = IKEConfig(
        Identity.fqdn("bob.example"),
        Identity.fqdn("alice.example"),
        psk=PSK,
        local_ts=("10.2.0.0/16",),
        remote_ts=("10.1.0.0/16",),
        rng=seeded_rng(2),
    )
    return dataclasses.replace(i, **i_over), dataclasses.replace(r, **r_over)  # type: ignore[arg-type]


def make_pair(**overrides: object) -> Pair:
    return Pair(*configs(**overrides))


def state(conn: IKEConnection) -> State:
    """The state, read through a call so mypy does not pin it after a comparison."""
    return conn.state


def types(data: bytes) -> list[int]:
    return [int(p.type) for p in decode_v2(data).payloads]


def test_full_handshake_psk() -> None:
    pair = make_pair()
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    [init_req] = pair.take(i)
    # RFC 7296 §1.2: HDR, SAi1, KEi, Ni, plus both NAT detection notifies (§2.23) and
    # RFC 7383 §2.3 IKEV2_FRAGMENTATION_SUPPORTED, RFC 7427 §4 SIGNATURE_HASH_ALGORITHMS
    assert types(init_req) == [
        PayloadType.SA,
        PayloadType.KE,
        PayloadType.NONCE,
        PayloadType.NOTIFY,
        PayloadType.NOTIFY,
        PayloadType.NOTIFY,
        PayloadType.NOTIFY,
    ]
    req = decode_v2(init_req)
    assert [n.notify_type for n in req.notifies()] == [
        NotifyType.NAT_DETECTION_SOURCE_IP,
        NotifyType.NAT_DETECTION_DESTINATION_IP,
        NotifyType.IKEV2_FRAGMENTATION_SUPPORTED,
        NotifyType.SIGNATURE_HASH_ALGORITHMS,
    ]
    assert req.exchange_type == ExchangeType.IKE_SA_INIT and req.message_id == 0
    assert req.is_initiator and not req.is_response and req.spi_r == bytes(8)
    pair.deliver(init_req, r)
    [init_resp] = pair.take(r)
    resp = decode_v2(init_resp)
    assert resp.is_response and not resp.is_initiator and resp.spi_r != bytes(8)
    assert state(r) is State.INIT_DONE
    pair.deliver(init_resp, i)
    [auth_req] = pair.take(i)
    a = decode_v2(auth_req)
    assert a.exchange_type == ExchangeType.IKE_AUTH and a.message_id == 1
    assert [int(p.type) for p in a.payloads] == [PayloadType.SK]
    pair.deliver(auth_req, r)
    [auth_resp] = pair.take(r)
    pair.deliver(auth_resp, i)
    assert state(i) is State.ESTABLISHED and state(r) is State.ESTABLISHED

    ei, er = drain(i), drain(r)
    assert [type(e) for e in ei] == [IKESAEstablished, ChildSAEstablished]
    assert [type(e) for e in er] == [IKESAEstablished, ChildSAEstablished]
    ike_i, child_i = ei
    ike_r, child_r = er
    assert isinstance(ike_i, IKESAEstablished) and isinstance(ike_r, IKESAEstablished)
    assert ike_i.suite == "aes256gcm16-prfsha256-curve25519" == ike_r.suite
    assert (ike_i.spi_i, ike_i.spi_r) == (ike_r.spi_i, ike_r.spi_r) == (req.spi_i, resp.spi_r)
    assert (ike_i.local_id, ike_i.remote_id) == ("alice.example", "bob.example")
    assert (ike_r.local_id, ike_r.remote_id) == ("bob.example", "alice.example")
    assert ike_i.remote_auth == AuthMethod.SHARED_KEY_MESSAGE_INTEGRITY_CODE.name
    assert isinstance(child_i, ChildSAEstablished) and isinstance(child_r, ChildSAEstablished)
    # The initiator's outbound SA is the responder's inbound one, and vice versa.
    assert child_i.spi_out == child_r.spi_in and child_i.spi_in == child_r.spi_out
    assert child_i.encr_key_out == child_r.encr_key_in
    assert child_i.encr_key_in == child_r.encr_key_out
    assert child_i.encr_key_out != child_i.encr_key_in
    assert len(child_i.encr_key_out) == 32 + 4  # AES-256 key and GCM salt (RFC 4106 §8.1)
    assert child_i.protocol == "ESP" and child_i.mode == "tunnel"
    assert child_i.tsi == child_r.tsi and child_i.tsr == child_r.tsr
    assert i.keys == r.keys
    assert "ESTABLISHED" in i.describe() and "CURVE25519" in r.describe()
    # nothing to retransmit: the next deadline is the Child SA's rekey (RFC 7296 §2.8),
    # at 90 % of its lifetime less up to 10 % jitter
    for conn in (i, r):
        timer = conn.get_timer()
        assert timer is not None
        assert pair.now + 0.9 * 0.9 * 3600 <= timer <= pair.now + 0.9 * 3600


def test_psk_auth_matches_rfc7296_formula() -> None:
    """AUTH = prf(prf(PSK, "Key Pad for IKEv2"), RealMessage1 | NonceRData | prf(SK_pi,
    IDi')) (RFC 7296 §2.15), recomputed here with HMAC-SHA-256 from the wire bytes."""
    pair = make_pair()
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    [init_req] = pair.take(i)
    pair.deliver(init_req, r)
    [init_resp] = pair.take(r)
    pair.deliver(init_resp, i)
    [auth_req] = pair.take(i)
    assert r.keys is not None
    inner = open_message(auth_req, SKCipher.from_keys(r.keys, sender_is_initiator=True))
    msg = Message.create(ExchangeType.IKE_AUTH, inner, spi_i=bytes(8))
    idi, auth, nr = msg.get(IDi), msg.get(AUTH), decode_v2(init_resp).get(Nonce)
    assert isinstance(idi, IDi) and isinstance(auth, AUTH) and isinstance(nr, Nonce)

    def prf(key: bytes, data: bytes) -> bytes:
        return hmac.new(key, data, hashlib.sha256).digest()

    id_body = bytes([int(idi.id_type), 0, 0, 0]) + idi.data
    octets = init_req + nr.data + prf(r.keys.sk_pi, id_body)
    assert auth.method == AuthMethod.SHARED_KEY_MESSAGE_INTEGRITY_CODE
    assert auth.data == prf(prf(PSK, b"Key Pad for IKEv2"), octets)


def test_cbc_suite_handshake() -> None:
    pair = make_pair(
        i_ike_proposals=("aes128-sha256-prfsha256-ecp256",),
        r_ike_proposals=("aes128-sha256-prfsha256-ecp256",),
        i_esp_proposals=("aes128-sha256",),
        r_esp_proposals=("aes128-sha256",),
    )
    pair.handshake()
    [_, ci], [_, cr] = drain(pair.initiator), drain(pair.responder)
    assert isinstance(ci, ChildSAEstablished) and isinstance(cr, ChildSAEstablished)
    assert ci.integ_key_out == cr.integ_key_in and len(ci.integ_key_out) == 32
    assert ci.encr_key_in == cr.encr_key_out and len(ci.encr_key_in) == 16


def test_wrong_psk_authentication_failed() -> None:
    pair = make_pair(i_psk=b"wrong key")
    pair.initiator.initiate(pair.now)
    pair.transfer(pair.initiator, pair.responder)
    pair.transfer(pair.responder, pair.initiator)
    [auth_req] = pair.take(pair.initiator)
    pair.deliver(auth_req, pair.responder)
    [auth_resp] = pair.take(pair.responder)
    assert pair.responder.keys is not None
    cipher = SKCipher.from_keys(pair.responder.keys, sender_is_initiator=False)
    inner = open_message(auth_resp, cipher)
    assert [(type(p), getattr(p, "notify_type", None)) for p in inner] == [
        (Notify, NotifyType.AUTHENTICATION_FAILED)
    ]
    # RFC 7296 §2.1: a retransmitted request gets the same answer after the failure
    pair.deliver(auth_req, pair.responder)
    assert pair.take(pair.responder) == [auth_resp]
    pair.deliver(auth_resp, pair.initiator)
    for conn in (pair.initiator, pair.responder):
        [event] = drain(conn)
        assert isinstance(event, AuthenticationFailed)
        assert event.notify == NotifyType.AUTHENTICATION_FAILED and event.reason
        assert state(conn) is State.FAILED


def test_unexpected_peer_identity_fails() -> None:
    pair = make_pair(r_remote_id=Identity.fqdn("mallory.example"))
    pair.handshake()
    [ev] = drain(pair.responder)
    assert isinstance(ev, AuthenticationFailed) and "mallory" in ev.reason
    [ev] = drain(pair.initiator)
    assert isinstance(ev, AuthenticationFailed)


def test_invalid_ke_retry_with_responders_group() -> None:
    pair = make_pair(
        i_ike_proposals=("aes256gcm16-prfsha256-x25519-ecp256",),
        r_ike_proposals=("aes256gcm16-prfsha256-ecp256",),
    )
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    [first] = pair.take(i)
    pair.deliver(first, r)
    [refusal] = pair.take(r)
    msg = decode_v2(refusal)
    [n] = msg.notifies()
    # RFC 7296 §1.3: N(INVALID_KE_PAYLOAD) with the accepted group, two octets
    assert n.notify_type == NotifyType.INVALID_KE_PAYLOAD and n.data == (19).to_bytes(2, "big")
    assert state(r) is State.IDLE and not drain(r)
    pair.deliver(refusal, i)
    [retry] = pair.take(i)
    again = decode_v2(retry)
    assert again.spi_i == decode_v2(first).spi_i and again.message_id == 0
    ke = next(p for p in again.payloads if p.type == PayloadType.KE)
    assert getattr(ke, "group", None) == KeyExchangeMethod.ECP_256
    pair.deliver(retry, r)
    pair.run()
    assert state(i) is State.ESTABLISHED and state(r) is State.ESTABLISHED
    assert "ECP_256" in i.describe()


def test_no_proposal_chosen() -> None:
    pair = make_pair(r_ike_proposals=("aes128-sha256-prfsha256-ecp256",))
    pair.initiator.initiate(pair.now)
    pair.transfer(pair.initiator, pair.responder)
    [refusal] = pair.take(pair.responder)
    [n] = decode_v2(refusal).notifies()
    assert n.notify_type == NotifyType.NO_PROPOSAL_CHOSEN
    pair.deliver(refusal, pair.initiator)
    for conn in (pair.initiator, pair.responder):
        [ev] = drain(conn)
        assert isinstance(ev, ConnectionFailed) and ev.notify == NotifyType.NO_PROPOSAL_CHOSEN
        assert state(conn) is State.FAILED
    assert pair.initiator.get_timer() is None


def test_child_sa_refused_keeps_ike_sa() -> None:
    pair = make_pair(r_remote_ts=("172.16.0.0/12",))
    pair.handshake()
    for conn in (pair.initiator, pair.responder):
        established, failed = drain(conn)
        assert isinstance(established, IKESAEstablished)
        assert isinstance(failed, ConnectionFailed)
        assert failed.notify == NotifyType.TS_UNACCEPTABLE
        assert state(conn) is State.ESTABLISHED and not conn.child_sas


def test_dropped_init_request_recovers() -> None:
    pair = make_pair()
    pair.initiator.initiate(pair.now)
    assert pair.initiator.get_timer() == 2.0
    assert pair.drop(pair.initiator) == 1
    pair.advance(2.0)
    assert pair.run() == 4
    assert state(pair.initiator) is State.ESTABLISHED


def test_dropped_auth_response_answered_from_cache() -> None:
    pair = make_pair()
    pair.initiator.initiate(pair.now)
    pair.roundtrip(pair.initiator, pair.responder)
    pair.transfer(pair.initiator, pair.responder)
    [first_response] = pair.take(pair.responder)
    assert state(pair.responder) is State.ESTABLISHED
    pair.advance(2.0)
    [retransmitted] = pair.take(pair.initiator)
    pair.deliver(retransmitted, pair.responder)
    # RFC 7296 §2.1: the same response again, not a reprocessed one
    assert pair.take(pair.responder) == [first_response]
    pair.deliver(first_response, pair.initiator)
    assert state(pair.initiator) is State.ESTABLISHED
    assert len(drain(pair.responder)) == 2 and len(drain(pair.initiator)) == 2


def test_duplicated_datagrams_are_harmless() -> None:
    pair = make_pair()
    pair.initiator.initiate(pair.now)
    for _ in range(4):
        pair.duplicate(pair.initiator, pair.responder)
        pair.duplicate(pair.responder, pair.initiator)
    pair.run()
    assert state(pair.initiator) is State.ESTABLISHED
    assert state(pair.responder) is State.ESTABLISHED
    assert [type(e) for e in drain(pair.initiator)] == [IKESAEstablished, ChildSAEstablished]
    assert [type(e) for e in drain(pair.responder)] == [IKESAEstablished, ChildSAEstablished]


def test_retransmit_exhaustion() -> None:
    pair = make_pair(i_retransmit_tries=4)
    i = pair.initiator
    i.initiate(pair.now)
    deadlines = []
    for _ in range(10):
        pair.drop(i)
        timer = i.get_timer()
        if timer is None:
            break
        deadlines.append(timer)
        pair.advance(timer - pair.now)
    # 2 s, then doubling (RFC 7296 §2.4), four sends in all
    assert deadlines == [2.0, 6.0, 14.0, 30.0]
    [ev] = drain(i)
    assert ev == RetransmitTimeout(message_id=0, tries=4)
    assert state(i) is State.FAILED and i.get_timer() is None


def test_bit_flipped_auth_request_dropped() -> None:
    pair = make_pair()
    pair.initiator.initiate(pair.now)
    pair.roundtrip(pair.initiator, pair.responder)
    [auth_req] = pair.take(pair.initiator)
    flipped = bytearray(auth_req)
    flipped[-5] ^= 0x01
    before = (pair.responder.state, pair.responder.describe())
    pair.deliver(bytes(flipped), pair.responder)
    assert pair.take(pair.responder) == []
    assert drain(pair.responder) == []
    assert (pair.responder.state, pair.responder.describe()) == before
    pair.deliver(auth_req, pair.responder)
    pair.run()
    assert state(pair.initiator) is State.ESTABLISHED


def test_bit_flipped_auth_response_dropped_then_retransmit() -> None:
    pair = make_pair()
    pair.initiator.initiate(pair.now)
    pair.roundtrip(pair.initiator, pair.responder)
    pair.transfer(pair.initiator, pair.responder)
    [resp] = pair.take(pair.responder)
    pair.deliver(resp[:-1] + bytes([resp[-1] ^ 0x80]), pair.initiator)
    assert state(pair.initiator) is State.AUTH_SENT and drain(pair.initiator) == []
    pair.advance(2.0)
    pair.run()
    assert state(pair.initiator) is State.ESTABLISHED


def test_close_deletes_both_sides() -> None:
    pair = make_pair()
    pair.handshake()
    drain(pair.initiator), drain(pair.responder)
    pair.responder.close(pair.now)
    [delete] = pair.take(pair.responder)
    d = decode_v2(delete)
    assert d.exchange_type == ExchangeType.INFORMATIONAL and d.message_id == 0
    assert not d.is_initiator and not d.is_response
    pair.deliver(delete, pair.initiator)
    pair.run()
    assert drain(pair.initiator) == [IKESADeleted(local=False)]
    assert drain(pair.responder) == [IKESADeleted(local=True)]
    assert state(pair.initiator) is State.CLOSED and state(pair.responder) is State.CLOSED


def test_state_table_rejects_misuse() -> None:
    with pytest.raises(ConfigError):
        next_state(Role.RESPONDER, State.IDLE, Stimulus.SEND_INIT)
    pair = make_pair()
    pair.initiator.initiate(0.0)
    with pytest.raises(ConfigError):
        pair.initiator.initiate(0.0)
    with pytest.raises(ConfigError):
        pair.responder.initiate(0.0)


def test_initiator_needs_remote_address() -> None:
    i, _ = configs()
    with pytest.raises(ConfigError):
        IKEConnection(i, initiator=True)
