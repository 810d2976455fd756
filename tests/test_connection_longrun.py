"""Days of SA life in milliseconds (RFC 7296 §2.8): two peers with their own lifetimes
rekey their Child SAs and IKE SA over and over, through a network that loses,
duplicates and reorders datagrams. At every instant each side holds a bounded number
of Child SAs, keys never repeat, and at the end both agree on one IKE SA and its
Child SAs."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ikewire.connection.events import (
    ChildSAEstablished,
    IKESARekeyed,
    RetransmitTimeout,
)
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import State
from ikewire.testing.pair import Pair, drain
from test_connection_ike_sa import configs
from test_connection_lifecycle import consistent

DAY = 86400.0


class LossyNet:
    """Moves datagrams between the pair: each is lost, duplicated, or delayed behind
    later ones, as the seeded generator decides."""

    def __init__(self, pair: Pair, seed: int, loss: float, dup: float) -> None:
        self.pair, self.rnd, self.loss, self.dup = pair, random.Random(seed), loss, dup

    def step(self) -> int:
        pair = self.pair
        flight: list[tuple[IKEConnection, bytes]] = []
        for sender, receiver in (
            (pair.initiator, pair.responder),
            (pair.responder, pair.initiator),
        ):
            for data in pair.take(sender):
                if self.rnd.random() < self.loss:
                    continue
                flight.append((receiver, data))
                if self.rnd.random() < self.dup:
                    flight.append((receiver, data))
        self.rnd.shuffle(flight)
        for receiver, data in flight:
            pair.deliver(data, receiver)
        return len(flight)


def quiesce(pair: Pair) -> None:
    """Deliver everything losslessly and let retransmissions and retries finish."""
    for _ in range(200):
        pair.run()
        busy = any(c._outstanding or c._pending for c in (pair.initiator, pair.responder))
        timers = [t for t in (pair.initiator.get_timer(), pair.responder.get_timer()) if t]
        soon = [t for t in timers if t - pair.now < 200]
        if not busy and not soon:
            return
        pair.advance(max((min(soon) if soon else pair.now + 1) - pair.now, 0.0))
    raise AssertionError("no quiet state")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_three_days_of_rekeys_through_a_lossy_network(seed: int) -> None:
    ci, cr = configs(
        i_child_lifetime=3600.0,
        r_child_lifetime=2700.0,
        i_ike_lifetime=4 * 3600.0,
        r_ike_lifetime=3 * 3600.0,
        i_dpd_delay=600.0,
        r_dpd_delay=900.0,
    )
    pair = Pair(ci, cr)
    pair.handshake()
    net = LossyNet(pair, seed, loss=0.05, dup=0.05)
    keys_seen: set[bytes] = set()
    ike_rekeys = child_sas = 0
    for _ in range(200_000):  # bounded; ends by time
        for conn in (pair.initiator, pair.responder):
            for e in drain(conn):
                assert not isinstance(e, RetransmitTimeout), e
                if isinstance(e, ChildSAEstablished):
                    assert e.encr_key_in not in keys_seen  # fresh keys every time
                    keys_seen.add(e.encr_key_in)
                    child_sas += 1
                ike_rekeys += isinstance(e, IKESARekeyed)
            assert conn.state is State.ESTABLISHED
            assert len(conn.child_sas) <= 3  # old, new and a collision's twin at most
            assert len(conn._side) <= 4
        if pair.now >= 3 * DAY:
            break
        if net.step():
            continue
        timers = [t for t in (pair.initiator.get_timer(), pair.responder.get_timer()) if t]
        assert timers, "nothing left to happen: an SA would wait forever"
        pair.now = max(pair.now, min(timers))
        for conn in (pair.initiator, pair.responder):
            timer = conn.get_timer()
            if timer is not None and timer <= pair.now:
                conn.handle_timer(pair.now)
    assert pair.now >= 3 * DAY
    quiesce(pair)
    consistent(pair)
    assert len(pair.initiator.child_sas) == 1
    # 3 days: a Child SA every ~40 min from the responder's policy, an IKE SA rekey
    # every ~2.5 h (counted on both sides)
    assert child_sas >= 2 * 80 and ike_rekeys >= 2 * 20


class Operator(RuleBasedStateMachine):
    """Random operator actions from both sides, with random delivery; after each
    step the pair can always be brought back to one consistent state."""

    def __init__(self) -> None:
        super().__init__()
        self.pair = Pair(*configs())
        self.pair.handshake()
        self.rnd = random.Random(0)

    def side(self, which: bool) -> IKEConnection:
        return self.pair.initiator if which else self.pair.responder

    def up(self) -> bool:
        return self.pair.initiator.state is State.ESTABLISHED is self.pair.responder.state

    @precondition(lambda self: self.up())
    @rule(which=st.booleans())
    def rekey_ike(self, which: bool) -> None:
        conn = self.side(which)
        if not conn._rekeying_ike():
            conn.rekey_ike(self.pair.now)

    @precondition(lambda self: self.up())
    @rule(which=st.booleans(), index=st.integers(0, 3))
    def rekey_child(self, which: bool, index: int) -> None:
        conn = self.side(which)
        installed = [c for c in conn.child_sas if c.status == "INSTALLED"]
        if installed:
            conn.rekey_child(installed[index % len(installed)].spi_in, self.pair.now)

    @precondition(lambda self: self.up())
    @rule(which=st.booleans(), index=st.integers(0, 3))
    def delete_child(self, which: bool, index: int) -> None:
        conn = self.side(which)
        if conn.child_sas:
            conn.delete_child(conn.child_sas[index % len(conn.child_sas)].spi_in, self.pair.now)

    @precondition(lambda self: self.up())
    @rule(which=st.booleans())
    def create_child(self, which: bool) -> None:
        if len(self.side(which).child_sas) < 6:
            self.side(which).create_child(self.pair.now)

    @precondition(lambda self: self.up())
    @rule(which=st.booleans())
    def liveness(self, which: bool) -> None:
        self.side(which).send_liveness(self.pair.now)

    @rule(keep=st.integers(0, 3))
    def deliver_some(self, keep: int) -> None:
        """Deliver in a random order, holding back the last ``keep`` of each side."""
        pair = self.pair
        for sender, receiver in (
            (pair.initiator, pair.responder),
            (pair.responder, pair.initiator),
        ):
            out = pair.take(sender)
            self.rnd.shuffle(out)
            for data in out:
                pair.deliver(data, receiver)

    @rule()
    def settle(self) -> None:
        quiesce(self.pair)

    @invariant()
    def bounded(self) -> None:
        for conn in (self.pair.initiator, self.pair.responder):
            assert len(conn.child_sas) <= 16 and len(conn._side) <= 6
            assert len(conn._outstanding) + len(conn._pending) <= 32

    def teardown(self) -> None:
        """Whatever happened, finishing the exchanges leaves both sides agreeing."""
        quiesce(self.pair)
        assert self.up()
        consistent(self.pair)


TestOperator = Operator.TestCase
TestOperator.settings = settings(
    max_examples=int(__import__("os").environ.get("IKEWIRE_STATEFUL_EXAMPLES", "60")),
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
