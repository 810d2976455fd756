"""A small asyncio driver for one :class:`~ikewire.connection.ike_sa.IKEConnection`.

The only module of ikewire that does I/O; nothing in the core imports it. The caller
binds one UDP socket per port (500 and, for NAT traversal, 4500: RFC 7296 §2.23,
RFC 3948 §2) and hands them in; the driver feeds every received datagram to
``conn.receive_datagram`` (the UDP payload exactly as received, with its non-ESP
marker on port 4500), sends what ``conn.datagrams_to_send`` returns from the socket of
the destination's port, runs ``get_timer``/``handle_timer`` on the loop's clock and
collects the events. ESP packets arriving on port 4500 (RFC 3948 §2.1) are collected
apart for the caller. Every wait is bounded by the caller's deadline.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .connection.events import Event
from .connection.ike_sa import IKEConnection
from .errors import ConfigError
from .wire.framing import Kind, classify_4500

__all__ = ["Driver", "run_connection"]

Address = tuple[str, int]
_MAX_DATAGRAM = 65535
NAT_T_PORT = 4500  # RFC 3948 §2


@dataclass(slots=True)
class Driver:
    """Moves datagrams and time between sockets and one connection (sans-IO glue).

    ``sock500`` and the optional ``sock4500`` are bound, non-blocking UDP sockets.
    ``events`` collects every event taken from the connection, ``esp`` every ESP packet
    (SPI first, RFC 4303 §2) received on port 4500 with its source address, and
    ``sent``/``received`` log the datagrams with their addresses, for diagnostics.
    ``drop_in``/``drop_out``, when set, lose the datagrams they return True for (after
    logging them): loss tests for retransmission (RFC 7296 §2.1).
    """

    conn: IKEConnection
    sock500: socket.socket
    sock4500: socket.socket | None = None
    events: list[Event] = field(default_factory=list)
    esp: list[tuple[bytes, Address]] = field(default_factory=list)
    sent: list[tuple[bytes, Address]] = field(default_factory=list)
    received: list[tuple[bytes, Address]] = field(default_factory=list)
    drop_in: Callable[[bytes, Address], bool] | None = None
    drop_out: Callable[[bytes, Address], bool] | None = None

    def __post_init__(self) -> None:
        for s in (self.sock500, self.sock4500):
            if s is not None:
                if s.type != socket.SOCK_DGRAM:
                    raise ConfigError("the driver needs UDP sockets")
                s.setblocking(False)

    @staticmethod
    def now() -> float:
        """The running loop's clock, the connection's ``now``."""
        return asyncio.get_running_loop().time()

    def _socket_for(self, addr: Address) -> socket.socket:
        if addr[1] == NAT_T_PORT and self.sock4500 is not None:
            return self.sock4500
        return self.sock500

    async def flush(self) -> None:
        """Send every pending datagram and take every pending event."""
        loop = asyncio.get_running_loop()
        for data, addr in self.conn.datagrams_to_send(self.now()):
            self.sent.append((data, addr))
            if self.drop_out is not None and self.drop_out(data, addr):
                continue
            await loop.sock_sendto(self._socket_for(addr), data, addr)
        while (event := self.conn.next_event()) is not None:
            self.events.append(event)

    async def send_raw(self, data: bytes, addr: Address) -> None:
        """Send a datagram the connection did not make (ESP-in-UDP, RFC 3948 §2.1)."""
        loop = asyncio.get_running_loop()
        await loop.sock_sendto(self._socket_for(addr), data, addr)

    def _deliver(self, data: bytes, addr: Address, port: int) -> None:
        self.received.append((data, addr))
        if self.drop_in is not None and self.drop_in(data, addr):
            return
        if port == NAT_T_PORT:
            kind = classify_4500(data).kind
            if kind is Kind.ESP:
                self.esp.append((data, addr))
                return
            if kind is not Kind.IKE:
                return  # NAT-keepalive (RFC 3948 §2.3) or malformed: nothing to do
        self.conn.receive_datagram(data, addr, self.now())

    async def run(self, until: Callable[[Driver], bool], timeout: float) -> bool:
        """Drive the connection until ``until(self)`` holds or ``timeout`` seconds pass.

        Returns whether the condition held. Socket errors (ICMP port unreachable
        reported as ConnectionRefusedError) are ignored: UDP is lossy by contract.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        sockets: list[tuple[socket.socket, int]] = [(self.sock500, 500)]
        if self.sock4500 is not None:
            sockets.append((self.sock4500, NAT_T_PORT))
        pending: dict[asyncio.Task[tuple[bytes, Any]], int] = {}
        try:
            while True:
                await self.flush()
                if until(self):
                    return True
                # ``until`` may have called into the connection (supply_certificate,
                # create_child, ...): send and collect what that made before waiting
                before = (len(self.events), len(self.sent))
                await self.flush()
                now = loop.time()
                if now >= deadline:
                    return False
                if (len(self.events), len(self.sent)) != before:
                    continue
                for sock, port in sockets:
                    if port not in pending.values():
                        task = loop.create_task(loop.sock_recvfrom(sock, _MAX_DATAGRAM))
                        pending[task] = port
                wake = deadline
                timer = self.conn.get_timer()
                if timer is not None:
                    wake = min(wake, timer)
                done, _ = await asyncio.wait(
                    pending, timeout=max(0.0, wake - now), return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    port = pending.pop(task)
                    try:
                        data, addr = task.result()
                    except OSError:
                        continue
                    self._deliver(bytes(data), (str(addr[0]), int(addr[1])), port)
                timer = self.conn.get_timer()
                if timer is not None and loop.time() >= timer:
                    self.conn.handle_timer(loop.time())
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)


async def run_connection(
    conn: IKEConnection,
    *,
    sock500: socket.socket,
    sock4500: socket.socket | None = None,
    until: Callable[[Sequence[Event]], bool],
    timeout: float,
) -> list[Event]:
    """Drive ``conn`` until ``until(events so far)`` holds or ``timeout`` passes.

    Returns every event taken; the caller checks whether it got what it waited for.
    """
    driver = Driver(conn, sock500, sock4500)
    await driver.run(lambda d: until(d.events), timeout)
    return driver.events
