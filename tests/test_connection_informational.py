"""INFORMATIONAL exchanges, the request window and SET_WINDOW_SIZE (RFC 7296 §1.4,
§2.3), in IKEConnection."""

from __future__ import annotations

import pytest

from ikewire.connection.events import (
    ChildSADeleted,
    ChildSAEstablished,
    NotifyReceived,
    PeerAlive,
    PeerDead,
)
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import State
from ikewire.constants import ExchangeType, NotifyType, ProtocolId
from ikewire.crypto.cipher import SKCipher, open_message
from ikewire.errors import ConfigError
from ikewire.testing.pair import Pair, drain
from ikewire.wire.codec import decode_v2
from ikewire.wire.models import Delete, Notify
from test_connection_ike_sa import configs


def established(**overrides: object) -> Pair:
    pair = Pair(*configs(**overrides))
    pair.handshake()
    assert pair.initiator.state is State.ESTABLISHED is pair.responder.state
    drain(pair.initiator)
    drain(pair.responder)
    return pair


def not_before_rekey(conn: IKEConnection, now: float) -> bool:
    """The next deadline is the SA lifecycle's (hours away), not a retransmission."""
    timer = conn.get_timer()
    return timer is not None and timer > now + 2000


def opened(conn: IKEConnection, data: bytes, *, sender_is_initiator: bool) -> list[object]:
    assert conn.keys is not None
    cipher = SKCipher.from_keys(conn.keys, sender_is_initiator=sender_is_initiator)
    return list(open_message(data, cipher))


def test_liveness_check_is_answered() -> None:
    pair = established()
    i, r = pair.initiator, pair.responder
    i.send_liveness(pair.now)
    [request] = pair.take(i)
    msg = decode_v2(request)
    assert msg.exchange_type == ExchangeType.INFORMATIONAL and msg.message_id == 2
    assert opened(i, request, sender_is_initiator=True) == []  # empty: RFC 7296 §1.4
    pair.deliver(request, r)
    pair.transfer(r, i)
    assert drain(i) == [PeerAlive(2)]
    assert drain(r) == []
    assert not_before_rekey(i, pair.now)  # nothing left to retransmit


def test_dead_peer_ends_the_sa_after_every_retransmission() -> None:
    pair = established()
    i = pair.initiator
    i.send_liveness(pair.now)
    sent = len(pair.take(i))
    for _ in range(100):  # bounded: the back-off doubles from 2 s, 5 tries
        timer = i.get_timer()
        if timer is None:
            break
        pair.now = timer
        i.handle_timer(pair.now)
        sent += len(pair.take(i))
    assert sent == i.config.retransmit_tries
    [event] = drain(i)
    # RFC 7296 §1.4: an unanswered liveness check means the peer is dead
    assert isinstance(event, PeerDead) and event.message_id == 2
    assert i.state is State.FAILED and i.get_timer() is None
    assert pair.now == 2 + 4 + 8 + 16 + 32  # RFC 7296 §2.4: exponential back-off


@pytest.mark.parametrize("deleter", ["initiator", "responder"])
def test_delete_child_both_directions(deleter: str) -> None:
    pair = Pair(*configs())
    pair.handshake()
    ci = next(e for e in drain(pair.initiator) if isinstance(e, ChildSAEstablished))
    cr = next(e for e in drain(pair.responder) if isinstance(e, ChildSAEstablished))
    a, b = (
        (pair.initiator, pair.responder)
        if deleter == "initiator"
        else (pair.responder, pair.initiator)
    )
    mine = ci if deleter == "initiator" else cr
    theirs = cr if deleter == "initiator" else ci
    a.delete_child(mine.spi_in, pair.now)
    [request] = pair.take(a)
    [delete] = opened(a, request, sender_is_initiator=a is pair.initiator)
    assert delete == Delete(ProtocolId.ESP, 4, (mine.spi_in,))
    pair.deliver(request, b)
    [response] = pair.take(b)
    # RFC 7296 §1.4.1: the answer deletes the paired SA in the other direction
    [answer] = opened(b, response, sender_is_initiator=b is pair.initiator)
    assert answer == Delete(ProtocolId.ESP, 4, (theirs.spi_in,))
    pair.deliver(response, a)
    assert drain(a) == [ChildSADeleted(mine.spi_in, mine.spi_out, local=True)]
    assert drain(b) == [ChildSADeleted(theirs.spi_in, theirs.spi_out, local=False)]
    assert a.child_sas == [] and b.child_sas == []
    assert a.state is State.ESTABLISHED is b.state  # the IKE SA stays


def test_delete_of_an_unknown_spi_is_answered_empty() -> None:
    pair = established()
    i, r = pair.initiator, pair.responder
    i._send_request(  # a peer deleting an SA we do not have
        ExchangeType.INFORMATIONAL,
        [Delete(ProtocolId.ESP, 4, (b"\xde\xad\xbe\xef",))],
        pair.now,
        "info",
    )
    pair.transfer(i, r)
    [response] = pair.take(r)
    assert opened(r, response, sender_is_initiator=False) == []
    assert drain(r) == [] and len(r.child_sas) == 1


def test_error_notify_is_reported_and_the_sa_stands() -> None:
    pair = established()
    i, r = pair.initiator, pair.responder
    bad = Notify(NotifyType.INVALID_SPI, b"\x01\x02\x03\x04", ProtocolId.ESP, b"")
    i._send_request(ExchangeType.INFORMATIONAL, [bad], pair.now, "info")
    pair.run()
    [event] = drain(r)
    assert isinstance(event, NotifyReceived) and event.notify == NotifyType.INVALID_SPI
    assert r.state is State.ESTABLISHED


def test_child_operations_need_an_established_sa() -> None:
    pair = Pair(*configs())
    with pytest.raises(ConfigError):
        pair.initiator.send_liveness(0.0)
    pair.handshake()
    with pytest.raises(ConfigError):
        pair.initiator.delete_child(b"\x00\x00\x00\x01", pair.now)


def test_window_of_one_serialises_requests() -> None:
    pair = established()
    i, r = pair.initiator, pair.responder
    i.send_liveness(pair.now)
    i.send_liveness(pair.now)
    [first] = pair.take(i)  # RFC 7296 §2.3: the second waits for the first's answer
    pair.deliver(first, r)
    pair.transfer(r, i)
    [second] = pair.take(i)
    assert decode_v2(second).message_id == decode_v2(first).message_id + 1
    pair.deliver(second, r)
    pair.transfer(r, i)
    assert drain(i) == [PeerAlive(2), PeerAlive(3)]


def test_set_window_size_lets_requests_overlap_and_arrive_out_of_order() -> None:
    pair = established(i_window_size=4, r_window_size=4)
    i, r = pair.initiator, pair.responder
    for _ in range(5):
        i.send_liveness(pair.now)
    requests = pair.take(i)
    assert [decode_v2(d).message_id for d in requests] == [2, 3, 4, 5]  # 4 at once
    # the responder takes them in any order within its window (RFC 7296 §2.3)
    for data in reversed(requests):
        pair.deliver(data, r)
    responses = pair.take(r)
    assert sorted(decode_v2(d).message_id for d in responses) == [2, 3, 4, 5]
    # a retransmission of an answered request gets the same answer, unprocessed
    pair.deliver(requests[0], r)
    [again] = pair.take(r)
    assert again in responses
    for data in responses:
        pair.deliver(data, i)
    [fifth] = pair.take(i)
    assert decode_v2(fifth).message_id == 6
    assert sorted(e.message_id for e in drain(i) if isinstance(e, PeerAlive)) == [2, 3, 4, 5]


def test_requests_beyond_the_window_are_dropped() -> None:
    pair = established(i_window_size=4, r_window_size=2, i_max_peer_window=4)
    i, r = pair.initiator, pair.responder
    # the initiator honours the responder's window of 2 ...
    for _ in range(3):
        i.send_liveness(pair.now)
    assert [decode_v2(d).message_id for d in pair.take(i)] == [2, 3]
    # ... and a request beyond the responder's window is not processed
    i._next_request_id = 9  # simulate a misbehaving peer jumping ahead
    i._pending.clear()
    i._outstanding.clear()
    i.send_liveness(pair.now)
    [far] = pair.take(i)
    pair.deliver(far, r)
    assert pair.take(r) == []


def test_close_drops_queued_requests_and_deletes_when_the_window_opens() -> None:
    pair = established()
    i, r = pair.initiator, pair.responder
    i.send_liveness(pair.now)
    i.send_liveness(pair.now)  # queued behind the first
    [first] = pair.take(i)
    i.close(pair.now)
    assert pair.take(i) == []  # window of 1: the Delete waits for the first answer
    pair.deliver(first, r)
    pair.transfer(r, i)
    [delete] = pair.take(i)  # the queued liveness check was dropped for the Delete
    assert opened(i, delete, sender_is_initiator=True) == [Delete(ProtocolId.IKE, 0)]
    pair.deliver(delete, r)
    pair.transfer(r, i)
    assert i.state is State.CLOSED is r.state
