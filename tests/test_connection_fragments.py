"""RFC 7383 fragmentation inside IKEConnection: negotiation, sending, reassembly,
retransmission, and the bounds."""

from __future__ import annotations

import dataclasses

from ikewire.connection.config import IKEConfig
from ikewire.connection.events import ChildSAEstablished, IKESAEstablished
from ikewire.connection.state import State
from ikewire.constants import NotifyType
from ikewire.testing.pair import Pair, drain
from ikewire.wire.codec import decode_v2
from ikewire.wire.models import SK, SKF
from test_connection_ike_sa import configs

MARKER = b"\x00\x00\x00\x00"
# 64 selectors make IKE_AUTH about 2.3 KB: several fragments at 576 octets
MANY_TS = tuple(f"10.1.{n}.0/24" for n in range(64))


def big(**extra: object) -> tuple[IKEConfig, IKEConfig]:
    i, r = configs(**extra)
    i = dataclasses.replace(i, local_ts=MANY_TS, fragment_size=576)
    r = dataclasses.replace(r, fragment_size=576)
    return i, r


def kinds(datagrams: list[bytes]) -> list[type]:
    out = []
    for d in datagrams:
        msg = decode_v2(d[4:] if d[:4] == MARKER else d)
        out.append(type(msg.payloads[-1]))
    return out


def established(pair: Pair) -> bool:
    ei, er = drain(pair.initiator), drain(pair.responder)
    return [type(e) for e in ei] == [IKESAEstablished, ChildSAEstablished] and [
        type(e) for e in er
    ] == [IKESAEstablished, ChildSAEstablished]


def test_both_announce_and_a_large_ike_auth_goes_in_fragments() -> None:
    pair = Pair(*big())
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    for data in (pair.captured[0].data, pair.captured[1].data):
        assert NotifyType.IKEV2_FRAGMENTATION_SUPPORTED in [
            n.notify_type for n in decode_v2(data).notifies()
        ]
    fragments = pair.take(i)
    assert len(fragments) >= 3 and kinds(fragments) == [SKF] * len(fragments)
    assert all(len(d) <= 576 - 28 for d in fragments)  # IPv4 + UDP headers aside
    numbers = [decode_v2(d).payloads[-1] for d in fragments]
    assert [(f.fragment_number, f.total_fragments) for f in numbers] == [
        (n, len(fragments)) for n in range(1, len(fragments) + 1)
    ]
    for data in fragments:
        pair.deliver(data, r)
    responses = pair.take(r)  # the narrowed TSi echoes all 64: fragments too
    assert len(responses) >= 3 and kinds(responses) == [SKF] * len(responses)
    for data in responses:
        pair.deliver(data, i)
    assert established(pair)
    assert len(pair.initiator.child_sas[0].tsi) == 64


def test_fragments_in_any_order_with_duplicates_and_behind_a_nat() -> None:
    pair = Pair(*big(), nat=True)
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    fragments = pair.take(i)
    assert all(d[:4] == MARKER and len(d) <= 548 for d in fragments)
    for data in [*reversed(fragments), *fragments[1:]]:
        pair.deliver(data, r)
    responses = pair.take(r)
    # answered once: later duplicates are dropped (only a retransmitted first
    # fragment is answered again, RFC 7383 §2.6.1)
    numbers = [decode_v2(d[4:]).payloads[-1].fragment_number for d in responses]
    assert numbers == list(range(1, len(responses) + 1))
    for data in reversed(responses):
        pair.deliver(data, i)
    assert established(pair)


def test_lost_fragment_is_recovered_by_retransmitting_every_fragment() -> None:
    pair = Pair(*big())
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    fragments = pair.take(i)
    for data in fragments[1:]:  # the first is lost
        pair.deliver(data, r)
    assert pair.take(r) == [] and r.state is State.INIT_DONE
    pair.advance(i.config.retransmit_timeout)
    again = pair.take(i)
    assert again == fragments  # RFC 7383 §2.5.3: all fragments, same octets
    pair.deliver(again[0], r)
    pair.transfer(r, i)
    assert established(pair)


def test_retransmitted_first_fragment_of_an_answered_request_gets_the_answer() -> None:
    pair = Pair(*big())
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    fragments = pair.take(i)
    for data in fragments:
        pair.deliver(data, r)
    answer = pair.take(r)
    pair.deliver(fragments[1], r)  # a later fragment: silently dropped
    assert pair.take(r) == []
    pair.deliver(fragments[0], r)  # RFC 7383 §2.6.1: the first one: answered again
    assert pair.take(r) == answer


def test_corrupted_fragment_is_dropped_and_the_good_copy_completes() -> None:
    pair = Pair(*big())
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    fragments = pair.take(i)
    bad = bytearray(fragments[0])
    bad[-1] ^= 1
    pair.deliver(bytes(bad), r)
    for data in fragments[1:]:
        pair.deliver(data, r)
    assert pair.take(r) == [] and r.state is State.INIT_DONE
    pair.deliver(fragments[0], r)
    pair.transfer(r, i)
    assert established(pair)


def test_without_the_peers_support_no_fragments() -> None:
    i, r = big()
    pair = Pair(i, dataclasses.replace(r, fragmentation=False))
    pair.handshake()
    response = decode_v2(pair.captured[1].data)
    assert NotifyType.IKEV2_FRAGMENTATION_SUPPORTED not in [
        n.notify_type for n in response.notifies()
    ]
    assert kinds([pair.captured[2].data]) == [SK]  # one large SK message
    assert len(pair.captured[2].data) > 576
    assert established(pair)


def test_incomplete_reassembly_times_out_and_frees_its_state() -> None:
    pair = Pair(*big())
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    fragments = pair.take(i)
    pair.deliver(fragments[0], r)
    assert len(r._reassemblers) == 1
    deadline = r.get_timer()
    assert deadline is not None
    pair.now = deadline
    r.handle_timer(pair.now)
    assert r._reassemblers == {} and r.get_timer() is None
