"""A connected initiator/responder pair for tests (aioquic's ``transfer``/``roundtrip``).

Datagrams move only when a test says so, time only when it advances the clock, and
every random octet comes from a seeded generator, so each run replays exactly.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import NamedTuple

from ..connection.config import IKEConfig
from ..connection.events import Event
from ..connection.ike_sa import IKEConnection

__all__ = [
    "INITIATOR_ADDRESS",
    "NAT_PUBLIC_ADDRESS",
    "RESPONDER_ADDRESS",
    "Captured",
    "Pair",
    "drain",
    "seeded_rng",
]

INITIATOR_ADDRESS = ("192.0.2.1", 500)  # RFC 5737 documentation addresses
RESPONDER_ADDRESS = ("198.51.100.2", 500)
NAT_PUBLIC_ADDRESS = "203.0.113.7"  # the initiator's address as a NAT rewrites it


class Captured(NamedTuple):
    """One datagram as it crossed the wire: time, source, destination, UDP payload."""

    time: float
    source: tuple[str, int]
    destination: tuple[str, int]
    data: bytes


def seeded_rng(seed: int) -> Callable[[int], bytes]:
    """A deterministic ``rng(n)`` for tests only: NOT cryptographically secure."""
    gen = random.Random(seed)
    return gen.randbytes


class Pair:
    """An initiator and a responder wired to each other with an injected clock."""

    def __init__(
        self,
        initiator_config: IKEConfig,
        responder_config: IKEConfig,
        *,
        now: float = 0.0,
        nat: bool = False,
    ) -> None:
        """``nat=True`` puts the initiator behind a NAT: the responder sees its
        datagrams from :data:`NAT_PUBLIC_ADDRESS` and translated ports (RFC 3948).
        Every datagram that crosses is appended to :attr:`captured`."""
        self.now = now
        self.nat = nat
        self.captured: list[Captured] = []
        self.initiator = IKEConnection(
            dataclasses.replace(
                initiator_config,
                local_address=INITIATOR_ADDRESS,
                remote_address=RESPONDER_ADDRESS,
            ),
            initiator=True,
        )
        self.responder = IKEConnection(
            dataclasses.replace(responder_config, local_address=RESPONDER_ADDRESS),
            initiator=False,
        )

    def _address(self, conn: IKEConnection) -> tuple[str, int]:
        """Where ``conn``'s datagrams appear to come from, as its peer sees them."""
        host = INITIATOR_ADDRESS[0] if conn is self.initiator else RESPONDER_ADDRESS[0]
        port = conn.local_port
        if self.nat and conn is self.initiator:
            return (NAT_PUBLIC_ADDRESS, 40000 + port)  # a port-translating NAT
        return (host, port)

    def take(self, sender: IKEConnection) -> list[bytes]:
        """The datagrams ``sender`` wants to send, removed from it (and captured)."""
        out = []
        for data, destination in sender.datagrams_to_send(self.now):
            self.captured.append(Captured(self.now, self._address(sender), destination, data))
            out.append(data)
        return out

    def deliver(self, data: bytes, receiver: IKEConnection) -> None:
        """Hand one datagram to ``receiver`` as if from its peer."""
        other = self.responder if receiver is self.initiator else self.initiator
        receiver.receive_datagram(data, self._address(other), self.now)

    def transfer(self, sender: IKEConnection, receiver: IKEConnection) -> int:
        """Move every pending datagram from ``sender`` to ``receiver``; how many."""
        datagrams = self.take(sender)
        for data in datagrams:
            receiver.receive_datagram(data, self._address(sender), self.now)
        return len(datagrams)

    def roundtrip(self, sender: IKEConnection, receiver: IKEConnection) -> tuple[int, int]:
        """``transfer`` there and back."""
        return self.transfer(sender, receiver), self.transfer(receiver, sender)

    def drop(self, sender: IKEConnection) -> int:
        """Lose every pending datagram of ``sender``; how many."""
        return len(self.take(sender))

    def duplicate(self, sender: IKEConnection, receiver: IKEConnection) -> int:
        """Deliver every pending datagram of ``sender`` twice."""
        datagrams = self.take(sender)
        for data in datagrams:
            receiver.receive_datagram(data, self._address(sender), self.now)
            receiver.receive_datagram(data, self._address(sender), self.now)
        return len(datagrams)

    def run(self, max_steps: int = 20) -> int:
        """Move datagrams both ways until both sides are quiet; the datagrams moved."""
        moved = 0
        for _ in range(max_steps):
            step = self.transfer(self.initiator, self.responder)
            step += self.transfer(self.responder, self.initiator)
            if step == 0:
                break
            moved += step
        return moved

    def advance(self, seconds: float) -> None:
        """Move the clock and fire both timers that are due."""
        self.now += seconds
        for conn in (self.initiator, self.responder):
            timer = conn.get_timer()
            if timer is not None and timer <= self.now:
                conn.handle_timer(self.now)

    def handshake(self) -> None:
        """Initiate and run to quiet."""
        self.initiator.initiate(self.now)
        self.run()


def drain(conn: IKEConnection) -> list[Event]:
    """All pending events of ``conn``."""
    events: list[Event] = []
    for _ in range(1000):
        e = conn.next_event()
        if e is None:
            break
        events.append(e)
    return events
