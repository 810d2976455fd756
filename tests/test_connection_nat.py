"""NAT traversal in IKEConnection (RFC 7296 §2.23, RFC 3948)."""

from __future__ import annotations

import dataclasses

from ikewire.connection.events import ChildSAEstablished, IKESAEstablished
from ikewire.connection.ike_sa import IKEConnection
from ikewire.constants import ExchangeType, NotifyType
from ikewire.testing.pair import NAT_PUBLIC_ADDRESS, RESPONDER_ADDRESS, Pair, drain
from ikewire.wire.codec import decode_v2
from test_connection_ike_sa import configs

MARKER = b"\x00\x00\x00\x00"


def _children(conn: IKEConnection) -> list[ChildSAEstablished]:
    return [e for e in drain(conn) if isinstance(e, ChildSAEstablished)]


def test_initiator_behind_nat_moves_to_4500_with_the_marker() -> None:
    pair = Pair(*configs(), nat=True)
    pair.handshake()
    i, r = pair.initiator, pair.responder
    assert i.nat_local and not i.nat_remote  # our own address was rewritten
    assert r.nat_remote and not r.nat_local
    assert i.udp_encapsulation and r.udp_encapsulation
    assert i.local_port == 4500
    # IKE_SA_INIT on 500 without marker; IKE_AUTH on 4500 with it, both directions.
    init_req, init_resp, auth_req, auth_resp = pair.captured[:4]
    assert init_req.destination == RESPONDER_ADDRESS and init_req.data[:4] != MARKER
    assert decode_v2(init_resp.data).exchange_type == ExchangeType.IKE_SA_INIT
    assert auth_req.destination == (RESPONDER_ADDRESS[0], 4500)
    assert auth_req.source == (NAT_PUBLIC_ADDRESS, 44500)
    assert auth_req.data[:4] == MARKER
    assert decode_v2(auth_req.data[4:]).exchange_type == ExchangeType.IKE_AUTH
    # the responder answers where the authenticated request came from (§2.23)
    assert auth_resp.destination == (NAT_PUBLIC_ADDRESS, 44500)
    assert auth_resp.data[:4] == MARKER
    ci, cr = _children(i), _children(r)
    assert ci[0].udp_encapsulation and cr[0].udp_encapsulation
    assert cr[0].remote_address == (NAT_PUBLIC_ADDRESS, 44500)
    assert ci[0].remote_address == (RESPONDER_ADDRESS[0], 4500)


def test_without_nat_everything_stays_on_500() -> None:
    pair = Pair(*configs())
    pair.handshake()
    assert not pair.initiator.udp_encapsulation and not pair.responder.udp_encapsulation
    assert all(c.data[:4] != MARKER for c in pair.captured)
    assert {c.destination[1] for c in pair.captured} == {500}
    assert not _children(pair.initiator)[0].udp_encapsulation
    assert pair.initiator.get_timer() > pair.now + 2000  # type: ignore[operator]  # no keepalives: only the rekey is due


def test_nat_keepalive_only_from_the_side_behind_the_nat_and_only_when_idle() -> None:
    pair = Pair(*configs(), nat=True)
    pair.handshake()
    i, r = pair.initiator, pair.responder
    drain(r)
    assert r.get_timer() > pair.now + 2000  # type: ignore[operator]
    deadline = i.get_timer()
    assert deadline is not None and deadline == pair.now + 20.0
    pair.advance(19.9)
    assert i.datagrams_to_send(pair.now) == []
    pair.advance(0.2)
    sent = i.datagrams_to_send(pair.now)
    assert sent == [(b"\xff", (RESPONDER_ADDRESS[0], 4500))]  # RFC 3948 §2.3
    # a keepalive reaching an IKE connection is ignored
    r.receive_datagram(b"\xff", (NAT_PUBLIC_ADDRESS, 44500), pair.now)
    assert r.datagrams_to_send(pair.now) == [] and drain(r) == []
    assert i.get_timer() == pair.now + 20.0


def test_keepalives_can_be_disabled() -> None:
    i_cfg, r_cfg = configs(i_nat_keepalive=0.0)
    pair = Pair(i_cfg, r_cfg, nat=True)
    pair.handshake()
    assert pair.initiator.get_timer() > pair.now + 2000  # type: ignore[operator]


def test_retransmitted_auth_request_on_4500_is_answered_from_the_cache() -> None:
    pair = Pair(*configs(), nat=True)
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    (auth_request,) = pair.take(i)
    pair.deliver(auth_request, r)
    first = r.datagrams_to_send(pair.now)
    pair.deliver(auth_request, r)
    again = r.datagrams_to_send(pair.now)
    assert again == first and first[0][0][:4] == MARKER


def test_force_encapsulation_moves_without_a_nat() -> None:
    pair = Pair(*configs(i_force_encapsulation=True))
    pair.handshake()
    assert pair.responder.nat_remote  # the peer believes we are behind a NAT
    assert pair.initiator.udp_encapsulation and pair.responder.udp_encapsulation
    assert pair.captured[2].data[:4] == MARKER
    assert any(isinstance(e, IKESAEstablished) for e in drain(pair.responder))


def test_nat_traversal_off_sends_no_nat_detection_and_stays_on_500() -> None:
    pair = Pair(*configs(i_nat_traversal=False), nat=True)
    pair.handshake()
    init = decode_v2(pair.captured[0].data)
    nat_types = {NotifyType.NAT_DETECTION_SOURCE_IP, NotifyType.NAT_DETECTION_DESTINATION_IP}
    assert not any(n.notify_type in nat_types for n in init.notifies())
    # RFC 7296 §2.23: the responder only answers them when they were sent
    response = decode_v2(pair.captured[1].data)
    assert not any(n.notify_type in nat_types for n in response.notifies())
    assert not pair.initiator.udp_encapsulation
    assert any(isinstance(e, IKESAEstablished) for e in drain(pair.initiator))


def test_initiator_may_start_on_4500() -> None:
    i_cfg, r_cfg = configs()
    pair = Pair(i_cfg, r_cfg)
    # point the initiator at the responder's NAT-T port from the first message
    pair.initiator = IKEConnection(
        dataclasses.replace(pair.initiator.config, remote_address=(RESPONDER_ADDRESS[0], 4500)),
        initiator=True,
    )
    pair.handshake()
    assert pair.captured[0].data[:4] == MARKER and pair.captured[0].destination[1] == 4500
    assert pair.captured[1].data[:4] == MARKER  # answered on 4500 too
    assert any(isinstance(e, IKESAEstablished) for e in drain(pair.initiator))
