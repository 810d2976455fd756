"""The SA lifecycle (RFC 7296 §1.3, §2.8, §2.18, §2.25): CREATE_CHILD_SA, Child SA and
IKE SA rekeys, lifetimes by time and volume, liveness, childless IKE SAs."""

from __future__ import annotations

import pytest

from ikewire.connection.config import IKEConfig
from ikewire.connection.events import (
    ChildSADeleted,
    ChildSAEstablished,
    ConnectionFailed,
    IKESADeleted,
    IKESAEstablished,
    IKESARekeyed,
    PeerAlive,
)
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import Role, State
from ikewire.constants import ExchangeType, NotifyType, PayloadType
from ikewire.crypto.cipher import SKCipher, open_message
from ikewire.testing.pair import Pair, drain
from ikewire.wire.codec import decode_v2
from test_connection_ike_sa import configs


def up(i_cfg: IKEConfig | None = None, r_cfg: IKEConfig | None = None, **kw: object) -> Pair:
    ci, cr = configs(**kw)
    pair = Pair(i_cfg or ci, r_cfg or cr)
    pair.handshake()
    assert pair.initiator.state is State.ESTABLISHED is pair.responder.state
    drain(pair.initiator)
    drain(pair.responder)
    return pair


def children(conn: IKEConnection) -> list[tuple[bytes, bytes]]:
    return sorted((c.spi_in, c.spi_out) for c in conn.child_sas)


def consistent(pair: Pair) -> None:
    """Both sides hold the same Child SAs (each one's inbound is the other's outbound)
    and the same IKE SA; nothing is waiting for an answer."""
    i, r = pair.initiator, pair.responder
    assert children(i) == sorted((o, n) for n, o in children(r))
    assert (i.spi_i, i.spi_r) == (r.spi_i, r.spi_r) and i.keys == r.keys
    assert not i._outstanding and not r._outstanding and not i._pending and not r._pending
    for a in i.child_sas:
        b = next(c for c in r.child_sas if c.spi_in == a.spi_out)
        assert a.keys.sk_ei == b.keys.sk_ei and a.keys.sk_er == b.keys.sk_er


def inner_types(conn: IKEConnection, data: bytes, *, from_initiator: bool) -> list[int]:
    assert conn.keys is not None
    cipher = SKCipher.from_keys(conn.keys, sender_is_initiator=from_initiator)
    return [int(p.type) for p in open_message(data, cipher)]


@pytest.mark.parametrize("pfs", [False, True])
def test_create_child_sa(pfs: bool) -> None:
    esp = ("aes256gcm16-x25519",) if pfs else ("aes256gcm16",)
    pair = up(i_esp_proposals=esp, r_esp_proposals=esp)
    i, r = pair.initiator, pair.responder
    first = i.child_sas[0]
    i.create_child(pair.now, local_ts=("10.1.7.0/24",), remote_ts=("10.2.7.0/24",))
    [request] = pair.take(i)
    types = inner_types(i, request, from_initiator=True)
    assert decode_v2(request).exchange_type == ExchangeType.CREATE_CHILD_SA
    # RFC 7296 §1.3.1: SA, Ni, [KEi], TSi, TSr
    expected = [PayloadType.SA, PayloadType.NONCE, PayloadType.TSi, PayloadType.TSr]
    if pfs:
        expected.insert(2, PayloadType.KE)
    assert types == expected
    pair.deliver(request, r)
    pair.transfer(r, i)
    [ci], [cr] = drain(i), drain(r)
    assert isinstance(ci, ChildSAEstablished) and isinstance(cr, ChildSAEstablished)
    assert ci.spi_in == cr.spi_out and ci.encr_key_out == cr.encr_key_in
    assert ci.encr_key_out != first.keys.sk_ei  # fresh nonces, fresh KEYMAT
    assert [str(t.start) for t in ci.tsi] == ["10.1.7.0"]
    assert len(i.child_sas) == 2
    consistent(pair)


@pytest.mark.parametrize("who", ["initiator", "responder"])
def test_rekey_child_make_before_break(who: str) -> None:
    pair = up()
    a, b = (
        (pair.initiator, pair.responder) if who == "initiator" else (pair.responder, pair.initiator)
    )
    old = a.child_sas[0]
    a.rekey_child(old.spi_in, pair.now)
    [request] = pair.take(a)
    assert inner_types(a, request, from_initiator=a.role is Role.INITIATOR)[0] == PayloadType.NOTIFY
    pair.deliver(request, b)
    [response] = pair.take(b)
    [new_b] = drain(b)
    assert isinstance(new_b, ChildSAEstablished) and new_b.generation == 2
    assert new_b.rekeyed_spi == old.spi_out  # b's inbound SPI of the old SA
    assert len(b.child_sas) == 2  # the old one stays until a deletes it
    pair.deliver(response, a)
    (new_a,) = [e for e in drain(a) if isinstance(e, ChildSAEstablished)]
    assert new_a.rekeyed_spi == old.spi_in and new_a.spi_out == new_b.spi_in
    pair.run()
    assert drain(a) == [ChildSADeleted(old.spi_in, old.spi_out, local=True)]
    assert drain(b) == [ChildSADeleted(old.spi_out, old.spi_in, local=False)]
    assert children(a) == [(new_a.spi_in, new_a.spi_out)]
    assert a.child_sas[0].keys != old.keys
    consistent(pair)


@pytest.mark.parametrize("who", ["initiator", "responder"])
def test_rekey_ike_sa(who: str) -> None:
    pair = up()
    a, b = (
        (pair.initiator, pair.responder) if who == "initiator" else (pair.responder, pair.initiator)
    )
    old_spis, old_keys = (a.spi_i, a.spi_r), a.keys
    child = children(a)
    a.rekey_ike(pair.now)
    [request] = pair.take(a)
    # RFC 7296 §1.3.2: SA (protocol IKE, a new 8-octet SPI), Ni, KEi
    assert inner_types(a, request, from_initiator=a.role is Role.INITIATOR) == [
        PayloadType.SA,
        PayloadType.NONCE,
        PayloadType.KE,
    ]
    pair.deliver(request, b)
    pair.run()
    [ra], [rb] = drain(a), drain(b)
    assert isinstance(ra, IKESARekeyed) and isinstance(rb, IKESARekeyed)
    assert (ra.old_spi_i, ra.old_spi_r) == old_spis and ra.generation == 2 == rb.generation
    assert (a.spi_i, a.spi_r) != old_spis and a.keys != old_keys
    # RFC 7296 §2.18: the rekey's initiator is the new IKE SA's original initiator
    assert a.role is Role.INITIATOR and b.role is Role.RESPONDER
    assert children(a) == child  # the Child SAs moved over
    consistent(pair)
    # the old IKE SA was deleted on the old SA, by the rekey's initiator
    assert not a._side or all(s.state is State.CLOSED for s, _ in a._side)
    # and the new one works: a liveness check and a Child SA rekey over it
    b.send_liveness(pair.now)
    pair.run()
    assert drain(b) == [PeerAlive(0)]
    a.rekey_child(a.child_sas[0].spi_in, pair.now)
    pair.run()
    assert len(a.child_sas) == 1 and a.child_sas[0].generation == 2
    consistent(pair)
    # the side SAs are gone after their deadline
    pair.advance(200)
    assert a._side == [] and b._side == []


def test_invalid_ke_payload_retry_for_pfs() -> None:
    pair = up(
        i_esp_proposals=("aes256gcm16-x25519", "aes256gcm16-ecp256"),
        r_esp_proposals=("aes256gcm16-ecp256",),
    )
    i, r = pair.initiator, pair.responder
    i.create_child(pair.now)
    [first] = pair.take(i)
    pair.deliver(first, r)
    [refusal] = pair.take(r)
    assert inner_types(r, refusal, from_initiator=False) == [PayloadType.NOTIFY]
    pair.deliver(refusal, i)
    [retry] = pair.take(i)
    pair.deliver(retry, r)
    pair.transfer(r, i)
    [ev] = [e for e in drain(i) if isinstance(e, ChildSAEstablished)]
    assert "ECP_256" in ev.suite.upper() or "ecp256" in ev.suite
    consistent(pair)


def test_no_additional_sas() -> None:
    pair = up(r_max_child_sas=1)
    pair.initiator.create_child(pair.now)
    pair.run()
    [ev] = drain(pair.initiator)
    assert isinstance(ev, ConnectionFailed) and ev.notify == NotifyType.NO_ADDITIONAL_SAS
    assert pair.initiator.state is State.ESTABLISHED
    consistent(pair)


def test_soft_lifetime_rekeys_and_hard_lifetime_deletes() -> None:
    pair = up(
        i_child_lifetime=100.0, i_child_rekey_time=60.0, i_rekey_jitter=0.0, r_child_lifetime=1000.0
    )
    i = pair.initiator
    spi = i.child_sas[0].spi_in
    pair.advance(59.0)
    assert pair.take(i) == []
    pair.advance(1.0)  # the soft lifetime: a rekey starts by itself
    pair.run()
    assert [c.spi_in for c in i.child_sas] != [spi] and len(i.child_sas) == 1
    consistent(pair)
    # a Child SA whose rekey keeps failing is deleted at its hard lifetime
    pair2 = up(
        i_child_lifetime=100.0,
        i_child_rekey_time=60.0,
        i_rekey_jitter=0.0,
        r_esp_proposals=("aes128gcm16",),
        i_esp_proposals=("aes128gcm16",),
    )
    pair2.responder._esp_proposals = ()  # the responder stops accepting any proposal
    pair2.advance(60.0)
    pair2.run()
    [refused] = drain(pair2.initiator)
    assert isinstance(refused, ConnectionFailed)
    pair2.advance(40.0)
    pair2.run()
    assert pair2.initiator.child_sas == [] and pair2.responder.child_sas == []


def test_volume_limits() -> None:
    pair = up(i_child_rekey_bytes=1000, i_child_life_bytes=2000)
    i = pair.initiator
    spi = i.child_sas[0].spi_in
    i.child_sa_used(spi, pair.now, octets=999, packets=1)
    assert pair.take(i) == []
    i.child_sa_used(spi, pair.now, octets=1, packets=1)  # the soft limit: rekey
    pair.run()
    assert len(i.child_sas) == 1 and i.child_sas[0].spi_in != spi
    new = i.child_sas[0].spi_in
    i.child_sa_used(new, pair.now, octets=2000)  # the hard limit: delete
    pair.run()
    assert i.child_sas == []


def test_dead_peer_detection_only_when_idle() -> None:
    pair = up(i_dpd_delay=30.0)
    i, r = pair.initiator, pair.responder
    pair.advance(20.0)
    i.child_sa_used(i.child_sas[0].spi_in, pair.now, packets=3)  # traffic seen
    pair.advance(20.0)
    assert pair.take(i) == []  # 40 s, but only 20 s without traffic
    pair.advance(10.0)
    [check] = pair.take(i)
    assert inner_types(i, check, from_initiator=True) == []
    pair.deliver(check, r)
    pair.transfer(r, i)
    assert [type(e) for e in drain(i)] == [PeerAlive]


def test_childless_ike_sa_both_roles() -> None:
    ci, cr = configs(i_childless=True)
    pair = Pair(ci, cr)
    pair.handshake()
    assert [type(e) for e in drain(pair.initiator)] == [IKESAEstablished]
    assert [type(e) for e in drain(pair.responder)] == [IKESAEstablished]
    assert pair.initiator.child_sas == []
    pair.initiator.create_child(pair.now)  # RFC 6023: children come later
    pair.run()
    assert len(pair.initiator.child_sas) == 1
    consistent(pair)


def test_ike_hard_lifetime_deletes_everything() -> None:
    pair = up(i_ike_lifetime=500.0, i_ike_rekey_time=500.0)
    pair.advance(500.0)
    pair.run()
    assert pair.initiator.state is State.CLOSED is pair.responder.state
    assert IKESADeleted(local=False) in drain(pair.responder)


def test_delete_during_rekey_child_deletes_the_new_sa() -> None:
    """RFC 7296 §2.25.1: a Delete for the SA we are rekeying is answered as usual;
    when our rekey's answer comes, the new SA is deleted too."""
    pair = up()
    i, r = pair.initiator, pair.responder
    spi_i = i.child_sas[0].spi_in
    i.rekey_child(spi_i, pair.now)
    r.delete_child(r.child_sas[0].spi_in, pair.now)
    [rekey] = pair.take(i)
    [delete] = pair.take(r)
    pair.deliver(delete, i)  # i answers the Delete
    pair.deliver(rekey, r)  # r: CHILD_SA_NOT_FOUND or TEMPORARY_FAILURE
    pair.run()
    assert i.child_sas == [] and r.child_sas == []
    consistent(pair)


def test_reauthentication_is_make_before_break() -> None:
    """RFC 7296 §2.8.3: at the reauthentication time a new IKE SA is built from
    scratch (full IKE_AUTH, its own Child SA); then the old one is deleted."""
    from ikewire.connection.events import ReauthenticationDue

    pair = up(i_reauth_time=7200.0, i_rekey_jitter=0.0)
    i, r = pair.initiator, pair.responder
    pair.advance(7200.0)
    [due] = drain(i)
    assert isinstance(due, ReauthenticationDue)
    successor = i.reauthenticate(pair.now)
    # the responder side of the new SA (an endpoint would create it from the datagram)
    fresh_r = IKEConnection(r.config, initiator=False)
    second = Pair(successor.config, r.config)
    second.initiator, second.responder, second.now = successor, fresh_r, pair.now
    second.run()
    assert [type(e) for e in drain(successor)] == [IKESAEstablished, ChildSAEstablished]
    assert successor.keys != i.keys and successor.remote_identity == "bob.example"
    i.close(pair.now)  # only now is the old one deleted
    pair.run()
    assert i.state is State.CLOSED is r.state
    assert successor.state is State.ESTABLISHED is fresh_r.state


def test_lifetime_trimmed_before_a_certificate_expires() -> None:
    """The IKE SA never outlives either side's certificate: its lifetime is trimmed
    and a reauthentication is due before the expiry."""
    import datetime

    from ikewire.connection.events import LifetimeTrimmed, ReauthenticationDue
    from test_connection_certs import pki_configs

    # the certificates end 2035-01-01; say it is one hour before that
    now = datetime.datetime(2034, 12, 31, 23, 0, tzinfo=datetime.UTC)
    pair = Pair(*pki_configs(now=now))
    pair.handshake()
    for conn in (pair.initiator, pair.responder):
        events = drain(conn)
        [trim] = [e for e in events if isinstance(e, LifetimeTrimmed)]
        assert trim.seconds == pytest.approx(3600.0)
        assert conn._ike_expire_at == pytest.approx(pair.now + 3600.0)
    pair.advance(3600.0 - 360.0)  # 10 % before the expiry
    assert any(isinstance(e, ReauthenticationDue) for e in drain(pair.initiator))
    pair.advance(360.0)
    pair.run()
    assert pair.initiator.state is State.CLOSED  # not a second past the certificate


def test_delete_of_several_child_sas_in_one_payload() -> None:
    from ikewire.constants import ProtocolId
    from ikewire.wire.models import Delete

    pair = up()
    i, r = pair.initiator, pair.responder
    i.create_child(pair.now)
    i.create_child(pair.now)
    pair.run()
    drain(i), drain(r)
    spis = tuple(c.spi_in for c in i.child_sas[:2])
    i._send_request(ExchangeType.INFORMATIONAL, [Delete(ProtocolId.ESP, 4, spis)], pair.now, "info")
    [request] = pair.take(i)
    paired_before = {c.spi_in for c in r.child_sas if c.spi_out in spis}
    pair.deliver(request, r)
    [response] = pair.take(r)
    assert r.keys is not None
    [answer] = open_message(response, SKCipher.from_keys(r.keys, sender_is_initiator=False))
    # RFC 7296 §1.4.1: one Delete with the paired inbound SPIs
    paired = paired_before
    assert isinstance(answer, Delete) and len(answer.spis) == 2
    assert set(answer.spis) == paired
    assert len(r.child_sas) == 1 and [type(e) for e in drain(r)] == [ChildSADeleted] * 2


def test_harmless_unknown_notifies_are_ignored() -> None:
    """RFC 7296 §3.10.1: unrecognised status notifies are ignored; MULTIPLE_AUTH
    (RFC 4739) is not supported and so is ignored too."""
    from ikewire.wire.codec import encode_v2
    from ikewire.wire.models import Notify

    ci, cr = configs()
    pair = Pair(ci, cr)
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    [init] = pair.take(i)
    msg = decode_v2(init)
    extra = (Notify(NotifyType.MULTIPLE_AUTH_SUPPORTED), Notify(40000, b"hello"))
    pair.deliver(encode_v2(msg._replace(payloads=msg.payloads + extra)), r)
    # the initiator's AUTH covers the octets it sent: feed the changed request to
    # both sides' view by restarting the initiator's record of it
    i._init_request = encode_v2(msg._replace(payloads=msg.payloads + extra))
    pair.run()
    assert [type(e) for e in drain(i)] == [IKESAEstablished, ChildSAEstablished]


def test_requests_before_ike_auth_are_dropped() -> None:
    """RFC 7296 §1.2: nothing but IKE_AUTH before the IKE SA is authenticated."""
    ci, cr = configs()
    pair = Pair(ci, cr)
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    pair.drop(i)  # the IKE_AUTH request is lost
    assert r.state is State.INIT_DONE
    sealed = i._seal(ExchangeType.INFORMATIONAL, 1, [], response=False)
    pair.deliver(sealed[0], r)
    assert pair.take(r) == [] and r.state is State.INIT_DONE and drain(r) == []


def test_keymat_direction_follows_the_exchange_initiator() -> None:
    """RFC 7296 §2.17: the first keys of KEYMAT protect traffic from the initiator of
    the exchange that made the Child SA. When the IKE responder rekeys, it is that
    initiator (charon checks this; both ikewire sides alike would not)."""
    pair = up()
    i, r = pair.initiator, pair.responder
    r.rekey_child(r.child_sas[0].spi_in, pair.now)
    pair.run()
    [new_r] = [e for e in drain(r) if isinstance(e, ChildSAEstablished)]
    [new_i] = [e for e in drain(i) if isinstance(e, ChildSAEstablished)]
    keys = r.child_sas[0].keys
    assert new_r.encr_key_out == keys.sk_ei and new_r.encr_key_in == keys.sk_er
    assert new_i.encr_key_in == keys.sk_ei and new_i.encr_key_out == keys.sk_er
