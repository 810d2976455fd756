"""The SA lifecycle against strongSwan's charon (RFC 7296 §1.3, §2.8, §2.18): Child SA
and IKE SA rekeys from each side, simultaneous IKE SA rekey, and a dead peer. Both
views are checked: ikewire's events and charon's own (``swanctl --list-sas``); the
Child SA is proven by an ICMP echo through it after each rekey."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest

from ikewire.aio import Driver
from ikewire.connection.events import (
    ChildSADeleted,
    ChildSAEstablished,
    ConnectionFailed,
    IKESARekeyed,
    PeerDead,
)
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.state import State
from ikewire.constants import NotifyType

from .conftest import Charon
from .test_strongswan import CONN, GCM, SUITES, _await_swanctl, _dump, _ping_through, config
from .test_strongswan_exchanges import _initiate

pytestmark = pytest.mark.slow


@pytest.fixture
def charon(any_charon: Charon) -> Charon:
    """Every cell of this module runs against strongSwan 5.9.8 and 6.0.1."""
    return any_charon


def _charon_view(charon: Charon, conn: IKEConnection) -> dict[str, Any]:
    sas = charon.list_sas()
    assert list(sas) == [CONN], sas  # exactly one IKE SA
    sa = sas[CONN]
    assert sa["state"] == "ESTABLISHED"
    assert (sa["initiator-spi"], sa["responder-spi"]) == (conn.spi_i.hex(), conn.spi_r.hex())
    # a rekeyed Child SA lingers in charon's list as DELETED for a moment
    children = [c for c in sa.get("child-sas", {}).values() if c["state"] != "DELETED"]
    assert len(children) == 1, sa
    (child,) = children
    assert child["state"] == "INSTALLED"
    assert (child["spi-in"], child["spi-out"]) == (
        conn.child_sas[0].spi_out.hex(),
        conn.child_sas[0].spi_in.hex(),
    )
    return sa


def _last_child(driver: Driver) -> ChildSAEstablished:
    return [e for e in driver.events if isinstance(e, ChildSAEstablished)][-1]


@pytest.mark.parametrize("who", ["ikewire", "charon"])
def test_child_sa_and_ike_sa_rekeys(charon: Charon, sockets: Any, tmp_path: Path, who: str) -> None:
    """A Child SA rekey then an IKE SA rekey, started by ``who``; one IKE SA and one
    Child SA remain, with new SPIs that both sides agree on, and traffic flows."""
    rekey_cell(charon, sockets, tmp_path, who, GCM, SUITES[GCM][0])


def rekey_cell(
    charon: Charon, sockets: Any, tmp_path: Path, who: str, ike: str, esp: str
) -> IKEConnection:
    """ikewire initiates with ``ike``/``esp``; ``who`` rekeys the Child SA (ESP echo
    after it) then the IKE SA; both views agree at the end."""
    charon.start(CONN, ike, esp)
    conn = IKEConnection(config(ike, esp, initiator=True), initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])

    async def go() -> None:
        await _initiate(driver)
        first_spis = (conn.spi_i, conn.spi_r)
        first_child = conn.child_sas[0].spi_in
        if who == "ikewire":
            conn.rekey_child(first_child, driver.now())
        else:
            await _await_swanctl(driver, charon.swanctl_async("--rekey", "--child", "net"), 5.0)
        await driver.run(lambda d: any(isinstance(e, ChildSADeleted) for e in d.events), 5.0)
        assert conn.child_sas[0].spi_in != first_child
        await _ping_through(driver, _last_child(driver))
        if who == "ikewire":
            conn.rekey_ike(driver.now())
        else:
            await _await_swanctl(driver, charon.swanctl_async("--rekey", "--ike", CONN), 5.0)
        await driver.run(lambda d: any(isinstance(e, IKESARekeyed) for e in d.events), 5.0)
        await driver.run(lambda d: False, 1.5)  # the old IKE SA's Delete goes through
        assert (conn.spi_i, conn.spi_r) != first_spis and conn.generation == 2
        assert not conn._outstanding
        # the Child SA moved to the new IKE SA unchanged (its sequence numbers go on,
        # so no second echo with sequence number 1 on it)

    asyncio.run(go())
    _dump(driver, tmp_path / "ikewire.hex")
    assert conn.state is State.ESTABLISHED
    _charon_view(charon, conn)
    return conn


def test_simultaneous_ike_sa_rekey(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    """ikewire and charon are told to rekey the IKE SA at the same moment (RFC 7296
    §2.8.2): whichever way the collision goes, one IKE SA remains on both sides."""
    simultaneous_cell(charon, sockets, tmp_path, GCM, SUITES[GCM][0])


def simultaneous_cell(charon: Charon, sockets: Any, tmp_path: Path, ike: str, esp: str) -> None:
    """Both sides rekey the IKE SA at once; one IKE SA remains, both views agree."""
    charon.start(CONN, ike, esp)
    conn = IKEConnection(config(ike, esp, initiator=True), initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])

    async def go() -> None:
        await _initiate(driver)
        first = (conn.spi_i, conn.spi_r)
        swan = charon.swanctl_async("--rekey", "--ike", CONN)
        conn.rekey_ike(driver.now())
        await _await_swanctl(driver, swan, 8.0)
        # retries after TEMPORARY_FAILURE wait up to 5 s; the old SAs' Deletes follow
        await driver.run(lambda d: False, 8.0)
        assert (conn.spi_i, conn.spi_r) != first

    asyncio.run(go())
    _dump(driver, tmp_path / "ikewire.hex")
    assert conn.state is State.ESTABLISHED
    _charon_view(charon, conn)
    assert conn._side == [] or all(s.state in (State.CLOSED, State.FAILED) for s, _ in conn._side)


def test_dead_peer_is_reported(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    """charon is killed; ikewire's liveness check (RFC 7296 §1.4) goes unanswered and
    ikewire reports the dead peer, bounded in time."""
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    cfg = dataclasses.replace(
        config(GCM, esp, initiator=True),
        dpd_delay=1.0,
        retransmit_timeout=0.5,
        retransmit_tries=3,
    )
    conn = IKEConnection(cfg, initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])

    async def go() -> None:
        await _initiate(driver)
        assert charon.proc is not None
        charon.proc.kill()  # no Delete: the peer just disappears
        charon.proc.wait(5)
        await driver.run(lambda d: any(isinstance(e, PeerDead) for e in d.events), 10.0)

    asyncio.run(go())
    _dump(driver, tmp_path / "ikewire.hex")
    assert any(isinstance(e, PeerDead) for e in driver.events)
    assert conn.state is State.FAILED


def test_virtual_ip_from_charons_pool(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    """ikewire asks for a virtual IP (CP(CFG_REQUEST), RFC 7296 §2.19); charon leases
    one from its pool; both agree on it and on the narrowed selector."""
    esp = SUITES[GCM][0]
    charon.start(
        CONN,
        GCM,
        esp,
        conn_extra="\n    pools = vips",
        remote_ts="dynamic",
        pools="pools {\n  vips {\n    addrs = 10.231.3.0/28\n    dns = 10.231.3.53\n  }\n}\n",
    )
    cfg = dataclasses.replace(
        config(GCM, esp, initiator=True), request_virtual_ip=True, local_ts=("0.0.0.0/0",)
    )
    conn = IKEConnection(cfg, initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])
    asyncio.run(_initiate(driver))
    _dump(driver, tmp_path / "ikewire.hex")
    assert conn.virtual_ips == ("10.231.3.1",) and conn.dns_servers == ("10.231.3.53",)
    child = _last_child(driver)
    assert [f"{t.start}" for t in child.tsi] == ["10.231.3.1"]
    sa = charon.list_sas()[CONN]
    assert sa["remote-vips"] == ["10.231.3.1"]
    (c,) = sa["child-sas"].values()
    assert c["remote-ts"] == ["10.231.3.1/32"]


def test_transport_mode(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    """USE_TRANSPORT_MODE (RFC 7296 §1.3.1) for selectors between the two IKE
    addresses."""
    from .test_strongswan import CHARON_ADDR, IKEWIRE_ADDR

    esp = SUITES[GCM][0]
    charon.start(
        CONN,
        GCM,
        esp,
        child_extra=f"\n        mode = transport\n        local_ts = {CHARON_ADDR}/32",
        remote_ts=f"{IKEWIRE_ADDR}/32",
    )
    cfg = dataclasses.replace(
        config(GCM, esp, initiator=True),
        mode="transport",
        local_ts=(f"{IKEWIRE_ADDR}/32",),
        remote_ts=(f"{CHARON_ADDR}/32",),
    )
    conn = IKEConnection(cfg, initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])
    asyncio.run(_initiate(driver))
    _dump(driver, tmp_path / "ikewire.hex")
    log = charon.log_text()
    # ikewire asked for transport mode and charon negotiated it, but charon's userspace
    # ESP here (kernel-libipsec; the kernel has no ESP) cannot install a transport mode
    # SA: the peer reports it, refuses the Child SA, and the IKE SA stands (RFC 7296
    # §2.21.3). A cell the peer cannot do here, asserted as such.
    assert "IPsec SA: unsupported mode" in log
    assert "failed to establish CHILD_SA, keeping IKE_SA" in log
    refused = [e for e in driver.events if isinstance(e, ConnectionFailed)]
    assert [e.notify for e in refused] == [NotifyType.NO_PROPOSAL_CHOSEN], driver.events
    assert conn.child_sas == []
    if charon.version() == "5.9.8":
        # IDr, AUTH and N(NO_PROPOSAL_CHOSEN): the IKE SA stands on both sides
        assert "generating IKE_AUTH response 1 [ IDr AUTH N(NO_PROP) ]" in log
        assert conn.state is State.ESTABLISHED
        assert charon.list_sas()[CONN]["state"] == "ESTABLISHED"
    else:
        # 6.0.1 answers with N(NO_PROPOSAL_CHOSEN) alone — no IDr, no AUTH — though it
        # logs "keeping IKE_SA": ikewire cannot authenticate it, so no IKE SA exists
        # for ikewire; it fails the SA and tells charon with a Delete (RFC 7296 §1.4.1)
        assert "generating IKE_AUTH response 1 [ N(NO_PROP) ]" in log
        assert conn.state is State.FAILED
        assert "without IDr and AUTH, refused: NO_PROPOSAL_CHOSEN" in refused[0].reason
        deadline = time.monotonic() + 5
        while charon.list_sas() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert charon.list_sas() == {}, "charon kept the IKE SA ikewire deleted"
