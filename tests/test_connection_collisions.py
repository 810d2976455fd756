"""Every interleaving of two peers' crossing requests (RFC 7296 §2.8.1, §2.8.2, §2.25):
simultaneous Child SA and IKE SA rekeys, a rekey crossing a Delete, and the operator's
scenario this project starts from — both peers reaching the same deadline at the same
instant. Each case is replayed from scratch for every order in which the in-flight
datagrams can arrive; every run must end with the same single IKE SA and the
expected Child SAs on both sides, and nothing waiting forever."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import State
from ikewire.testing.pair import Pair, drain
from test_connection_ike_sa import configs
from test_connection_lifecycle import consistent

Setup = Callable[[Pair], None]

MAX_RUNS = 20000  # bound on the enumeration (each case stays far below it)


def fresh(**kw: object) -> Pair:
    pair = Pair(*configs(**kw))
    pair.handshake()
    drain(pair.initiator)
    drain(pair.responder)
    return pair


def replay(make: Callable[[], Pair], act: Setup, choices: list[int]) -> tuple[Pair, int]:
    """Run ``act`` then deliver in-flight datagrams in the order ``choices`` picks;
    returns the pair and how many datagrams are then in flight."""
    pair = make()
    act(pair)
    flight: list[tuple[IKEConnection, bytes]] = []

    def collect() -> None:
        for sender, receiver in (
            (pair.initiator, pair.responder),
            (pair.responder, pair.initiator),
        ):
            flight.extend((receiver, d) for d in pair.take(sender))

    collect()
    for c in choices:
        receiver, data = flight.pop(c)
        pair.deliver(data, receiver)
        collect()
    return pair, len(flight)


def settle(pair: Pair) -> None:
    """Deliver everything, let retries after TEMPORARY_FAILURE fire (seconds, far
    before any lifetime), until both sides are quiet."""
    for _ in range(50):
        pair.run()
        timers = [t for t in (pair.initiator.get_timer(), pair.responder.get_timer()) if t]
        soon = [t for t in timers if t - pair.now < 100]
        if not soon:
            return
        pair.advance(max(min(soon) - pair.now, 0.0))
    raise AssertionError("did not settle")


def every_order(make: Callable[[], Pair], act: Setup, check: Callable[[Pair], None]) -> int:
    """Depth-first over every delivery order; ``check`` each settled end. The count."""
    runs = 0
    stack: list[list[int]] = [[]]
    while stack:
        choices = stack.pop()
        pair, in_flight = replay(make, act, choices)
        if in_flight == 0:
            settle(pair)
            check(pair)
            runs += 1
            assert runs <= MAX_RUNS
            continue
        stack.extend([*choices, i] for i in range(in_flight))
    return runs


def one_child_rekeyed(pair: Pair) -> None:
    i, r = pair.initiator, pair.responder
    assert i.state is State.ESTABLISHED is r.state
    assert len(i.child_sas) == 1 == len(r.child_sas)
    assert i.child_sas[0].generation == 2 and i.child_sas[0].status == "INSTALLED"
    consistent(pair)


def test_simultaneous_child_rekey_every_order() -> None:
    def act(pair: Pair) -> None:
        pair.initiator.rekey_child(pair.initiator.child_sas[0].spi_in, pair.now)
        pair.responder.rekey_child(pair.responder.child_sas[0].spi_in, pair.now)

    runs = every_order(fresh, act, one_child_rekeyed)
    assert runs >= 20  # the enumeration did explore


def test_simultaneous_ike_rekey_every_order() -> None:
    def act(pair: Pair) -> None:
        pair.initiator.rekey_ike(pair.now)
        pair.responder.rekey_ike(pair.now)

    def check(pair: Pair) -> None:
        i, r = pair.initiator, pair.responder
        assert i.state is State.ESTABLISHED is r.state
        assert i.generation == r.generation >= 2
        assert len(i.child_sas) == 1 == len(r.child_sas)  # the children moved over
        consistent(pair)
        # the old and the redundant IKE SA finish and are forgotten
        pair.advance(500)
        assert i._side == [] and r._side == []
        # and the survivor carries traffic: a liveness check each way
        i.send_liveness(pair.now)
        r.send_liveness(pair.now)
        pair.run()
        consistent(pair)

    runs = every_order(fresh, act, check)
    assert runs >= 20


@pytest.mark.parametrize("rekeyer", ["initiator", "responder"])
def test_rekey_crossing_delete_every_order(rekeyer: str) -> None:
    def act(pair: Pair) -> None:
        a = pair.initiator if rekeyer == "initiator" else pair.responder
        b = pair.responder if rekeyer == "initiator" else pair.initiator
        a.rekey_child(a.child_sas[0].spi_in, pair.now)
        b.delete_child(b.child_sas[0].spi_in, pair.now)

    def check(pair: Pair) -> None:
        i, r = pair.initiator, pair.responder
        assert i.state is State.ESTABLISHED is r.state
        # RFC 7296 §2.25.1: the Delete wins; a new SA made meanwhile is deleted too
        assert i.child_sas == [] and r.child_sas == []
        consistent(pair)

    every_order(fresh, act, check)


def test_child_rekey_crossing_ike_rekey_every_order() -> None:
    def act(pair: Pair) -> None:
        pair.initiator.rekey_ike(pair.now)
        pair.responder.rekey_child(pair.responder.child_sas[0].spi_in, pair.now)

    def check(pair: Pair) -> None:
        i, r = pair.initiator, pair.responder
        assert i.state is State.ESTABLISHED is r.state
        assert len(i.child_sas) == 1 == len(r.child_sas)
        consistent(pair)

    every_order(fresh, act, check)


def test_both_peers_reach_the_rekey_deadline_at_the_same_instant() -> None:
    """The operator's scenario: two peers whose lifetimes end at the same moment
    (same policy, no jitter) both start the IKE SA rekey at once. Every order of
    arrival ends with one IKE SA and the Child SA kept — none waits forever."""
    same = {
        "i_ike_rekey_time": 600.0,
        "r_ike_rekey_time": 600.0,
        "i_rekey_jitter": 0.0,
        "r_rekey_jitter": 0.0,
    }

    def make() -> Pair:
        return fresh(**same)

    def act(pair: Pair) -> None:
        pair.now += 600.0
        for conn in (pair.initiator, pair.responder):
            conn.handle_timer(pair.now)  # the deadline fires on both at once

    def check(pair: Pair) -> None:
        i, r = pair.initiator, pair.responder
        assert i.state is State.ESTABLISHED is r.state and i.generation == r.generation == 2
        assert len(i.child_sas) == 1
        consistent(pair)
        deadline = i.get_timer()
        assert deadline is not None and deadline > pair.now + 100  # only lifetimes remain

    every_order(make, act, check)


def test_both_peers_reach_the_hard_lifetime_at_the_same_instant() -> None:
    same = {
        "i_ike_lifetime": 600.0,
        "r_ike_lifetime": 600.0,
        "i_ike_rekey_time": 600.0,
        "r_ike_rekey_time": 600.0,
    }

    def act(pair: Pair) -> None:
        pair.now += 600.0
        for conn in (pair.initiator, pair.responder):
            conn.handle_timer(pair.now)

    def check(pair: Pair) -> None:
        # both deleted the IKE SA; each answered the other's Delete; nothing is left
        assert pair.initiator.state is State.CLOSED is pair.responder.state
        assert pair.initiator.get_timer() is None or not pair.initiator._outstanding

    every_order(lambda: fresh(**same), act, check)


# classical additional key exchanges keep every message in one datagram, so the
# enumeration stays small (ML-KEM's fragments are covered in test_connection_intermediate)
HYBRID_KW = {
    "i_ike_proposals": ("aes256gcm16-prfsha384-x25519-ke1_ecp256",),
    "r_ike_proposals": ("aes256gcm16-prfsha384-x25519-ke1_ecp256",),
    "i_esp_proposals": ("aes256gcm16-x25519-ke1_ecp256",),
    "r_esp_proposals": ("aes256gcm16-x25519-ke1_ecp256",),
}


@pytest.mark.parametrize("what", ["child", "ike"])
def test_simultaneous_rekeys_with_followup_exchanges_every_order(what: str) -> None:
    """RFC 9370 §2.2.4: with IKE_FOLLOWUP_KE exchanges after each CREATE_CHILD_SA,
    a Child SA rekey collision is settled by the CREATE_CHILD_SA nonces (even while
    the peer's follow-ups still run); an IKE SA rekey collision is refused by both
    with TEMPORARY_FAILURE and retried after random delays. Every order ends with one
    IKE SA and one Child SA."""

    def act(pair: Pair) -> None:
        for conn in (pair.initiator, pair.responder):
            if what == "child":
                conn.rekey_child(conn.child_sas[0].spi_in, pair.now)
            else:
                conn.rekey_ike(pair.now)

    def check(pair: Pair) -> None:
        i, r = pair.initiator, pair.responder
        assert i.state is State.ESTABLISHED is r.state
        assert len(i.child_sas) == 1 == len(r.child_sas)
        consistent(pair)

    runs = every_order(lambda: fresh(**HYBRID_KW), act, check)
    assert runs >= 4
