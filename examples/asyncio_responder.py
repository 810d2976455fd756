"""A minimal IKEv2 responder: one UDP socket, an :class:`ikewire.IKEEndpoint`, asyncio.

ikewire does no I/O (RFC 7296 is only bytes and state to it); this file is the I/O:

* every datagram that arrives goes to ``endpoint.receive_datagram(data, addr, now)``;
* after every call into the endpoint, ``endpoint.datagrams_to_send(now)`` goes out of
  the socket and ``endpoint.next_event()`` is printed;
* ``endpoint.get_timer()`` is the next deadline (retransmissions, RFC 7296 §2.4;
  half-open expiry; rekeys); one ``loop.call_at`` runs ``handle_timer`` then.

``now`` is always the event loop's monotonic clock. Run it, then the initiator::

    python examples/asyncio_responder.py --port 15000
    python examples/asyncio_initiator.py --port 15001 --peer-port 15000

Unprivileged ports on loopback: a real gateway binds UDP 500 and 4500 (RFC 3948) and
hands datagrams from the second with ``local_port=4500``. ``--once`` stops after the
first IKE SA was deleted; ``--timeout`` bounds the run in any case.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import cast

import ikewire
from ikewire.connection.selectors import ts_to_string

PSK = b"example pre-shared key, use a real secret"

Address = tuple[str, int]


def responder_config(host: str, port: int) -> ikewire.IKEConfig:
    """The gateway's policy: PSK authentication, the 10.2.0.0/16 network behind it."""
    return ikewire.IKEConfig(
        ikewire.Identity.fqdn("gw.example"),
        psk=PSK,
        ike_proposals=("aes256gcm16-prfsha256-x25519",),
        esp_proposals=("aes256gcm16",),
        local_ts=("10.2.0.0/16",),
        remote_ts=("10.0.0.0/8",),
        # must be the address the socket is bound to: NAT detection hashes it
        # (RFC 7296 §2.23), and a mismatch looks like a NAT to the peer
        local_address=(host, port),
    )


def describe(event: ikewire.Event) -> str:
    """One line per event, without key material."""
    if isinstance(event, ikewire.IKESAEstablished):
        return f"IKESAEstablished {event.suite} {event.local_id} <-> {event.remote_id}"
    if isinstance(event, ikewire.ChildSAEstablished):
        tsi = ",".join(ts_to_string(s) for s in event.tsi)
        tsr = ",".join(ts_to_string(s) for s in event.tsr)
        return (
            f"ChildSAEstablished {event.protocol} {event.mode} in={event.spi_in.hex()} "
            f"out={event.spi_out.hex()} {event.suite} {tsi} === {tsr}"
            + (f" (rekeys in={event.rekeyed_spi.hex()})" if event.rekeyed_spi else "")
        )
    if isinstance(event, ikewire.IKESADeleted):
        return f"IKESADeleted local={event.local}"
    if isinstance(event, ikewire.ChildSADeleted):
        return f"ChildSADeleted in={event.spi_in.hex()} local={event.local}"
    return type(event).__name__ + " " + repr(event)


class ResponderProtocol(asyncio.DatagramProtocol):
    """Glue between one asyncio datagram endpoint and one :class:`ikewire.IKEEndpoint`."""

    def __init__(self, endpoint: ikewire.IKEEndpoint, local_port: int, once: bool) -> None:
        self.endpoint = endpoint
        self.local_port = local_port
        self.once = once
        self.done = asyncio.get_running_loop().create_future()
        self.transport: asyncio.DatagramTransport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        loop = asyncio.get_running_loop()
        peer = (str(addr[0]), int(str(addr[1])))
        self.endpoint.receive_datagram(data, peer, loop.time(), local_port=self.local_port)
        self.flush()

    def error_received(self, exc: Exception) -> None:
        print(f"socket error: {exc}", flush=True)  # UDP is lossy: ICMP errors are news only

    def on_timer(self) -> None:
        self.timer = None
        self.endpoint.handle_timer(asyncio.get_running_loop().time())
        self.flush()

    def flush(self) -> None:
        """Send what the endpoint has, print its events, arm the next timer."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        assert self.transport is not None
        for data, addr in self.endpoint.datagrams_to_send(now):
            self.transport.sendto(data, addr)
        while (item := self.endpoint.next_event()) is not None:
            print(f"responder {item.connection.tunnel_id}: {describe(item.event)}", flush=True)
            ended = isinstance(item.event, ikewire.IKESADeleted)
            if ended and self.once and not self.done.done():
                self.done.set_result(None)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        deadline = self.endpoint.get_timer()
        if deadline is not None:
            self.timer = loop.call_at(deadline, self.on_timer)


async def serve(host: str, port: int, *, once: bool, timeout: float) -> int:
    loop = asyncio.get_running_loop()
    endpoint = ikewire.IKEEndpoint(responder_config(host, port))
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: ResponderProtocol(endpoint, port, once), local_addr=(host, port)
    )
    print(f"responder listening on {host}:{port}", flush=True)
    try:
        await asyncio.wait_for(protocol.done, timeout)
    except TimeoutError:
        if once:
            print("responder: timed out", flush=True)
            return 1
    finally:
        if protocol.timer is not None:
            protocol.timer.cancel()
        transport.close()
    print(f"responder done: {endpoint.stats}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=15000)
    parser.add_argument("--once", action="store_true", help="exit after one IKE SA ended")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to run at most")
    args = parser.parse_args(argv)
    return asyncio.run(serve(args.host, args.port, once=args.once, timeout=args.timeout))


if __name__ == "__main__":
    sys.exit(main())
