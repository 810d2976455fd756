"""``ikewire.diagnose`` on real failures against strongSwan's charon (5.9.8 and 6.0.1):
what crossed the wire, read back with ikewire's keys, names the failure charon logged,
its cause and a fix."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from ikewire.aio import Driver
from ikewire.connection.events import AuthenticationFailed, ChildSAEstablished, ConnectionFailed
from ikewire.connection.ike_sa import IKEConnection
from ikewire.diagnose import Datagram, SAStory, diagnose

from .conftest import CHARON_ADDR, IKEWIRE_ADDR, IKEWIRE_ID, Charon
from .test_strongswan import CONN, GCM, SUITES, _done, _dump, config

pytestmark = pytest.mark.slow


@pytest.fixture
def charon(any_charon: Charon) -> Charon:
    return any_charon


def _run(charon: Charon, sockets: Any, tmp_path: Path, **change: Any) -> SAStory:
    """ikewire initiates with ``change`` applied to its config; the exchange read back."""
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    cfg = dataclasses.replace(config(GCM, esp, initiator=True), **change)
    conn = IKEConnection(cfg, initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])

    async def go() -> None:
        conn.initiate(driver.now())
        await driver.run(_done((ChildSAEstablished, ConnectionFailed, AuthenticationFailed)), 15.0)

    asyncio.run(go())
    _dump(driver, tmp_path / "ikewire.hex")
    # request and response in turn: the initial exchanges are lockstep (RFC 7296 §2.1)
    # (after NAT detection the peers are on UDP 4500, with the non-ESP marker)
    datagrams = []
    for n, (data, addr) in enumerate(driver.sent):
        port = addr[1]
        datagrams.append(Datagram(data, f"{IKEWIRE_ADDR}:{port}", f"{addr[0]}:{port}", port))
        if n < len(driver.received):
            reply, source = driver.received[n]
            datagrams.append(
                Datagram(
                    reply, f"{source[0]}:{source[1]}", f"{IKEWIRE_ADDR}:{source[1]}", source[1]
                )
            )
    keys = conn.keys
    (sa,) = diagnose(datagrams, lambda msg: keys).sas
    assert sa.responder == f"{CHARON_ADDR}:500"  # where IKE_SA_INIT went
    return sa


def test_charon_refusing_our_psk(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    sa = _run(charon, sockets, tmp_path, psk=b"not the key charon has")
    assert sa.established is False
    (f,) = [f for f in sa.findings if f.severity == "error"]
    assert f"refused the initiator's authentication ({IKEWIRE_ID} by SHARED_KEY" in f.what
    assert "pre-shared key" in f.cause
    assert "generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]" in charon.log_text()


def test_charon_refusing_our_ike_proposal(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    sa = _run(charon, sockets, tmp_path, ike_proposals=("aes128-sha1-prfsha1-modp1024",))
    (f,) = sa.findings
    assert "none of the IKE proposals" in f.what
    assert "aes128-sha1-prfsha1-modp1024" in f.cause
    assert "generating IKE_SA_INIT response 0 [ N(NO_PROP) ]" in charon.log_text()


def test_charon_refusing_our_traffic_selectors(
    charon: Charon, sockets: Any, tmp_path: Path
) -> None:
    sa = _run(charon, sockets, tmp_path, local_ts=("192.0.2.0/24",))
    assert sa.established is True  # the IKE SA stands (RFC 7296 §2.21.3)
    (f,) = sa.findings
    assert "traffic selectors" in f.what and "TSi 192.0.2.0/24" in f.cause
    assert "N(TS_UNACCEPT) ]" in charon.log_text()
