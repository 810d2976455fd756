"""A minimal IKEv2 initiator over a real UDP socket, driven by :mod:`ikewire.aio`.

One :class:`ikewire.IKEConnection` and :class:`ikewire.aio.Driver`, which moves
datagrams between the socket and the connection and runs its timers on the event
loop's clock. The script:

1. establishes the IKE SA and the first Child SA (IKE_SA_INIT, IKE_AUTH; RFC 7296 §1.2);
2. rekeys that Child SA (CREATE_CHILD_SA with N(REKEY_SA), RFC 7296 §2.8), the old one
   is deleted after the new one is up;
3. deletes the IKE SA (INFORMATIONAL with Delete, RFC 7296 §1.4.1)

and exits 0, or 1 if a step did not finish within ``--timeout`` seconds. Start
``asyncio_responder.py`` first.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Callable

# the responder example (beside this file) holds the shared key and the event format
from asyncio_responder import PSK, describe

import ikewire
from ikewire.aio import Driver


def initiator_config(host: str, port: int, peer: tuple[str, int]) -> ikewire.IKEConfig:
    """A road warrior at 10.1.0.0/24 that wants to reach 10.2.0.0/16 behind gw.example."""
    return ikewire.IKEConfig(
        ikewire.Identity.fqdn("client.example"),
        ikewire.Identity.fqdn("gw.example"),
        psk=PSK,
        ike_proposals=("aes256gcm16-prfsha256-x25519",),
        esp_proposals=("aes256gcm16",),
        local_ts=("10.1.0.0/24",),
        remote_ts=("10.2.0.0/16",),
        local_address=(host, port),  # what the socket is bound to (NAT detection)
        remote_address=peer,
    )


def printer(driver: Driver) -> Callable[[Driver], None]:
    """Print the events the driver collected since the last call."""
    seen = 0

    def show(_: Driver) -> None:
        nonlocal seen
        for event in driver.events[seen:]:
            print(f"initiator: {describe(event)}", flush=True)
        seen = len(driver.events)

    return show


async def run(host: str, port: int, peer: tuple[str, int], timeout: float) -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, port))
    conn = ikewire.IKEConnection(initiator_config(host, port, peer), initiator=True)
    driver = Driver(conn, sock)  # sets the socket non-blocking
    show = printer(driver)

    def has(kind: type, **fields: object) -> Callable[[Driver], bool]:
        def until(d: Driver) -> bool:
            show(d)
            return any(
                isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())
                for e in d.events
            )

        return until

    try:
        conn.initiate(driver.now())
        if not await driver.run(has(ikewire.ChildSAEstablished), timeout):
            print("initiator: no Child SA in time", flush=True)
            return 1
        first = next(e for e in driver.events if isinstance(e, ikewire.ChildSAEstablished))

        conn.rekey_child(first.spi_in, driver.now())
        if not await driver.run(has(ikewire.ChildSADeleted, spi_in=first.spi_in), timeout):
            print("initiator: Child SA rekey did not finish in time", flush=True)
            return 1

        conn.close(driver.now())
        if not await driver.run(has(ikewire.IKESADeleted), timeout):
            print("initiator: IKE SA delete not answered in time", flush=True)
            return 1
        print(conn.describe(driver.now()), flush=True)
        print("initiator done", flush=True)
        return 0
    finally:
        sock.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=15001)
    parser.add_argument("--peer-host", default="127.0.0.1")
    parser.add_argument("--peer-port", type=int, default=15000)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per step")
    args = parser.parse_args(argv)
    peer = (args.peer_host, args.peer_port)
    return asyncio.run(run(args.host, args.port, peer, args.timeout))


if __name__ == "__main__":
    sys.exit(main())
