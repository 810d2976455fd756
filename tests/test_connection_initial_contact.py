"""INITIAL_CONTACT (RFC 7296 §2.4, §3.10.1): sent in IKE_AUTH by a side configured to,
reported on the peer's IKESAEstablished, and acted on by IKEEndpoint, which discards
every other IKE SA between the same identities without an exchange."""

from __future__ import annotations

import pytest

from ikewire.connection.config import Identity, IKEConfig
from ikewire.connection.endpoint import IKEEndpoint
from ikewire.connection.events import (
    ChildSAEstablished,
    IKESADeleted,
    IKESAEstablished,
)
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import State
from ikewire.constants import ExchangeType, NotifyType
from ikewire.crypto.cipher import SKCipher, open_message
from ikewire.errors import ConfigError
from ikewire.testing.pair import Pair, drain, seeded_rng
from ikewire.wire.codec import decode_v2
from ikewire.wire.models import Notify
from test_connection_ike_sa import configs
from test_endpoint import (
    endpoint_events,
    initiator_address,
    initiator_config,
    pump,
    responder_config,
)


def _auth_notifies(pair: Pair, *, response: bool) -> set[int]:
    """The notify types inside the IKE_AUTH request or response the pair exchanged."""
    keys = pair.initiator.keys
    assert keys is not None
    for captured in pair.captured:
        msg = decode_v2(captured.data)
        if msg.exchange_type == ExchangeType.IKE_AUTH and msg.is_response == response:
            cipher = SKCipher.from_keys(keys, sender_is_initiator=not response)
            inner = open_message(captured.data, cipher)
            return {int(p.notify_type) for p in inner if isinstance(p, Notify)}
    raise AssertionError("no IKE_AUTH captured")


def _established(conn: IKEConnection) -> IKESAEstablished:
    events = [e for e in drain(conn) if isinstance(e, IKESAEstablished)]
    assert len(events) == 1
    return events[0]


@pytest.mark.parametrize("sender", ["initiator", "responder", "neither"])
def test_initial_contact_is_sent_in_ike_auth_and_reported_by_the_peer(sender: str) -> None:
    i, r = configs(
        i_initial_contact=sender == "initiator", r_initial_contact=sender == "responder"
    )
    pair = Pair(i, r)
    pair.handshake()
    assert (NotifyType.INITIAL_CONTACT in _auth_notifies(pair, response=False)) is (
        sender == "initiator"
    )
    assert (NotifyType.INITIAL_CONTACT in _auth_notifies(pair, response=True)) is (
        sender == "responder"
    )
    assert _established(pair.responder).initial_contact is (sender == "initiator")
    assert _established(pair.initiator).initial_contact is (sender == "responder")


def test_discard_forgets_the_sa_without_an_exchange() -> None:
    pair = Pair(*configs(i_dpd_delay=30.0))
    pair.handshake()
    drain(pair.initiator)
    i = pair.initiator
    assert i.get_timer() is not None and i.child_sas
    i.discard(pair.now)
    assert i.state is State.CLOSED
    assert drain(i) == [IKESADeleted(local=True)]
    assert pair.take(i) == [] and i.get_timer() is None and not i.child_sas
    i.discard(pair.now)  # again: nothing more
    assert drain(i) == []
    with pytest.raises(ConfigError):
        i.send_liveness(pair.now)


def test_reauthentication_never_sends_initial_contact() -> None:
    pair = Pair(*configs(i_initial_contact=True))
    pair.handshake()
    assert pair.initiator.reauthentication_config().initial_contact is False


def _restart(n: int, *, initial_contact: bool, seed: int) -> IKEConnection:
    """Initiator ``n`` again, as after a restart: same identity and address, new SA."""
    config = initiator_config(n, seed=seed, initial_contact=initial_contact)
    conn = IKEConnection(config, initiator=True)
    conn.initiate(0.0)
    return conn


def test_endpoint_discards_the_old_sas_of_a_restarted_peer() -> None:
    ep = IKEEndpoint(responder_config())
    first = _restart(0, initial_contact=False, seed=10)
    other = _restart(1, initial_contact=False, seed=11)
    pump(ep, {initiator_address(0): first, initiator_address(1): other})
    old = {c.remote_identity: c for c in ep.connections if c.state is State.ESTABLISHED}
    assert set(old) == {"client0.example", "client1.example"}
    endpoint_events(ep)
    # client0 restarts (its first SA is lost with it) and says so
    again = _restart(0, initial_contact=True, seed=12)
    pump(ep, {initiator_address(0): again})
    events = endpoint_events(ep)
    assert again.state is State.ESTABLISHED
    assert old["client0.example"].state is State.CLOSED  # discarded: nothing was sent
    assert [e.event for e in events if e.connection is old["client0.example"]] == [
        IKESADeleted(local=True)
    ]
    established = [e.event for e in events if isinstance(e.event, IKESAEstablished)]
    assert [e.initial_contact for e in established] == [True]
    assert any(isinstance(e.event, ChildSAEstablished) for e in events)
    # another identity's SA is untouched
    assert old["client1.example"].state is State.ESTABLISHED
    assert first.state is State.ESTABLISHED  # the "lost" side never heard a thing


def test_endpoint_keeps_the_old_sa_without_initial_contact() -> None:
    ep = IKEEndpoint(responder_config())
    pump(ep, {initiator_address(0): _restart(0, initial_contact=False, seed=20)})
    pump(ep, {initiator_address(0): _restart(0, initial_contact=False, seed=21)})
    live = [c for c in ep.connections if c.state is State.ESTABLISHED]
    assert [c.remote_identity for c in live] == ["client0.example", "client0.example"]


def test_endpoint_initial_contact_needs_the_same_local_identity() -> None:
    """Between the authenticated identities (§3.10.1): the same peer's SA with another
    of our identities stays."""
    gw = responder_config()
    gw2 = responder_config(local_id=Identity.fqdn("gw2.example"), rng=seeded_rng(2000))

    def config_for(addr: tuple[str, int]) -> IKEConfig:
        return gw if addr == initiator_address(0) else gw2

    ep = IKEEndpoint(config_for)
    first = IKEConnection(initiator_config(0, remote_id=None), initiator=True)
    first.initiate(0.0)
    pump(ep, {initiator_address(0): first})
    (old,) = [c for c in ep.connections if c.state is State.ESTABLISHED]
    moved = initiator_config(
        0, seed=41, remote_id=None, local_address=initiator_address(5), initial_contact=True
    )
    again = IKEConnection(moved, initiator=True)
    again.initiate(0.0)
    pump(ep, {initiator_address(5): again})
    assert again.state is State.ESTABLISHED and again.remote_identity == "gw2.example"
    assert old.state is State.ESTABLISHED
