"""Anything that fails integrity is dropped and changes nothing (RFC 7296 §2.21,
RFC 7383 §2.6).

Every protected message a connection receives — the IKE_AUTH request and response,
an IKE_AUTH fragment (the first, and one after another), a liveness check, a CREATE_CHILD_SA request, a Delete — is
delivered with one bit flipped, cut short, or one octet replaced, anywhere in it.
The receiver must raise nothing, send nothing, report nothing, and keep the same
state, the same next deadline (retransmission, reassembly, liveness, rekey) and the
same display; the genuine message then still works.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from ikewire.connection.events import ChildSAEstablished, IKESAEstablished
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import State
from ikewire.testing.pair import Pair, drain
from test_connection_fragments import MANY_TS
from test_connection_ike_sa import configs

DPD = 30.0  # a liveness check after 30 s without protected traffic (RFC 7296 §1.4)


def _pair(*, fragments: bool = False) -> Pair:
    i, r = configs(i_dpd_delay=DPD, r_dpd_delay=DPD)
    if fragments:
        i = dataclasses.replace(i, local_ts=MANY_TS, fragment_size=576)
        r = dataclasses.replace(r, fragment_size=576)
    return Pair(i, r)


def _established() -> Pair:
    pair = _pair()
    pair.handshake()
    assert pair.initiator.state is State.ESTABLISHED
    drain(pair.initiator)
    drain(pair.responder)
    pair.now += 10.0  # later traffic moves the liveness deadline
    return pair


def auth_request() -> tuple[Pair, IKEConnection, bytes]:
    pair = _pair()
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    (data,) = pair.take(i)
    return pair, r, data


def auth_response() -> tuple[Pair, IKEConnection, bytes]:
    pair = _pair()
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    pair.transfer(i, r)
    (data,) = pair.take(r)
    return pair, i, data


def auth_fragment() -> tuple[Pair, IKEConnection, bytes]:
    pair = _pair(fragments=True)
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    fragments = pair.take(i)
    assert len(fragments) >= 3
    pair.deliver(fragments[0], r)  # one collected already: the next must not disturb it
    return pair, r, fragments[1]


def first_auth_fragment() -> tuple[Pair, IKEConnection, bytes]:
    pair = _pair(fragments=True)
    i, r = pair.initiator, pair.responder
    i.initiate(pair.now)
    pair.roundtrip(i, r)
    fragments = pair.take(i)
    return pair, r, fragments[0]


def liveness_request() -> tuple[Pair, IKEConnection, bytes]:
    pair = _established()
    pair.initiator.send_liveness(pair.now)
    (data,) = pair.take(pair.initiator)
    return pair, pair.responder, data


def create_child_request() -> tuple[Pair, IKEConnection, bytes]:
    pair = _established()
    pair.responder.create_child(pair.now)
    (data,) = pair.take(pair.responder)
    return pair, pair.initiator, data


def delete_request() -> tuple[Pair, IKEConnection, bytes]:
    pair = _established()
    pair.initiator.delete_child(pair.initiator.child_sas[0].spi_in, pair.now)
    (data,) = pair.take(pair.initiator)
    return pair, pair.responder, data


SCENARIOS: dict[str, Callable[[], tuple[Pair, IKEConnection, bytes]]] = {
    "IKE_AUTH request": auth_request,
    "IKE_AUTH response": auth_response,
    "IKE_AUTH fragment": auth_fragment,
    "IKE_AUTH first fragment": first_auth_fragment,
    "liveness request": liveness_request,
    "CREATE_CHILD_SA request": create_child_request,
    "Delete request": delete_request,
}


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with one bit flipped, cut short, or one octet replaced."""
    how = draw(st.sampled_from(["flip", "cut", "octet"]))
    out = bytearray(data)
    if how == "cut":
        return bytes(out[: draw(st.integers(0, len(data) - 1))])
    at = draw(st.integers(0, len(data) - 1))
    if how == "flip":
        out[at] ^= 1 << draw(st.integers(0, 7))
    else:
        out[at] = draw(st.integers(0, 255).filter(lambda v: v != data[at]))
    return bytes(out)


def _view(pair: Pair, conn: IKEConnection) -> tuple[object, ...]:
    display = re.sub(r"\bK\d+", "K", conn.describe(pair.now))  # tunnel ids are global
    return (conn.state, conn.get_timer(), display, len(conn.child_sas))


def _outcome(pair: Pair, conn: IKEConnection) -> tuple[object, ...]:
    return (pair.take(conn), [type(e) for e in drain(conn)], _view(pair, conn))


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(SCENARIOS)), data=st.data())
def test_a_damaged_protected_message_changes_nothing(name: str, data: st.DataObject) -> None:
    pair, receiver, genuine = SCENARIOS[name]()
    before = _view(pair, receiver)
    bad = data.draw(damaged(genuine), label="damaged")
    pair.deliver(bad, receiver)
    assert pair.take(receiver) == [], name
    assert drain(receiver) == [], name
    assert _view(pair, receiver) == before, name
    # the genuine message then does exactly what it does on its own (same datagrams,
    # octet for octet: the damaged one drew nothing from the seeded rng either)
    pair.deliver(genuine, receiver)
    control, control_receiver, _ = SCENARIOS[name]()
    control.deliver(genuine, control_receiver)
    assert _outcome(pair, receiver) == _outcome(control, control_receiver), name


def test_only_protected_traffic_postpones_the_liveness_check() -> None:
    """RFC 7296 §1.4: the check is due after ``dpd_delay`` without protected traffic;
    a datagram with the SA's SPIs that fails integrity is not traffic."""
    pair = _established()
    i, r = pair.initiator, pair.responder
    due = r.get_timer()
    assert due is not None and due <= pair.now - 10.0 + DPD + 1e-9
    i.send_liveness(pair.now)
    (genuine,) = pair.take(i)
    forged = bytearray(genuine)
    forged[-1] ^= 0x80
    pair.deliver(bytes(forged), r)
    assert r.get_timer() == due
    pair.deliver(genuine, r)
    assert r.get_timer() == pair.now + DPD


def test_the_damaged_fragment_leaves_room_for_the_whole_message() -> None:
    pair, r, _ = auth_fragment()
    i = pair.initiator
    pair.advance(i.config.retransmit_timeout)  # every fragment again (RFC 7383 §2.5.3)
    fragments = pair.take(i)
    for data in fragments:
        damaged_copy = bytearray(data)
        damaged_copy[40] ^= 1
        pair.deliver(bytes(damaged_copy), r)
        pair.deliver(data, r)
    pair.transfer(r, i)
    assert [type(e) for e in drain(i)] == [IKESAEstablished, ChildSAEstablished]
