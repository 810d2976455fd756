"""INITIAL_CONTACT (RFC 7296 §2.4) against strongSwan's charon, both directions.

- charon initiating sends INITIAL_CONTACT in its first IKE_AUTH (its default when it
  has no other IKE SA with the peer): ikewire reports it on IKESAEstablished.
- ikewire "restarting": a first IKE SA is left standing at charon, then a new
  IKEConnection with ``initial_contact=True`` and the same identities: charon drops
  the first IKE SA by itself (no exchange on it), and keeps the new one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest

from ikewire.aio import Driver
from ikewire.connection.events import ChildSAEstablished, ConnectionFailed, IKESAEstablished
from ikewire.connection.ike_sa import IKEConnection

from .conftest import IKEWIRE_ID, Charon, parse_vici_raw
from .test_strongswan import CONN, GCM, SUITES, _done, _dump, config

pytestmark = pytest.mark.slow


@pytest.fixture
def charon(any_charon: Charon) -> Charon:
    return any_charon


def _ike_sas(charon: Charon) -> list[dict[str, Any]]:
    """Every IKE SA charon holds (``--list-sas`` names them by connection, so two of
    one connection are two events)."""
    out = []
    for line in charon.swanctl("--list-sas", "--raw").splitlines():
        line = line.strip()
        if line.startswith("list-sa event"):
            out.extend(parse_vici_raw(line[len("list-sa event") :]).values())
    return out


def test_charon_sends_initial_contact_and_ikewire_reports_it(
    charon: Charon, sockets: Any, tmp_path: Path
) -> None:
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    conn = IKEConnection(config(GCM, esp, initiator=False), initiator=False)
    driver = Driver(conn, sockets[0], sockets[1])

    async def go() -> None:
        initiate = charon.swanctl_async(
            "--initiate", "--ike", CONN, "--child", "net", "--timeout", "10"
        )
        try:
            ok = await driver.run(_done((ChildSAEstablished, ConnectionFailed)), 15.0)
            assert ok, driver.events
        finally:
            out, _ = initiate.communicate(timeout=10)
            assert initiate.returncode == 0, out

    asyncio.run(go())
    _dump(driver, tmp_path / "ikewire.hex")
    (established,) = [e for e in driver.events if isinstance(e, IKESAEstablished)]
    assert established.initial_contact is True
    log = charon.log_text()
    assert "generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT)" in log, log[-3000:]


def test_a_restarted_ikewire_makes_charon_drop_its_old_ike_sa(
    charon: Charon, sockets: Any, tmp_path: Path
) -> None:
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    base = config(GCM, esp, initiator=True)

    async def establish(cfg: Any, name: str) -> IKEConnection:
        conn = IKEConnection(cfg, initiator=True)
        driver = Driver(conn, sockets[0], sockets[1])
        conn.initiate(driver.now())
        ok = await driver.run(_done((ChildSAEstablished, ConnectionFailed)), 15.0)
        _dump(driver, tmp_path / f"{name}.hex")
        assert ok and any(isinstance(e, ChildSAEstablished) for e in driver.events), (
            driver.events
        )
        return conn

    first = asyncio.run(establish(base, "first"))
    before = _ike_sas(charon)
    assert [sa["initiator-spi"] for sa in before] == [first.spi_i.hex()]
    # the same identities again, as after a restart that lost the first SA
    again = asyncio.run(
        establish(dataclasses.replace(base, initial_contact=True), "again")
    )
    deadline = time.monotonic() + 5
    while len(_ike_sas(charon)) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    after = _ike_sas(charon)
    assert [sa["initiator-spi"] for sa in after] == [again.spi_i.hex()], after
    log = charon.log_text()
    assert "N(INIT_CONTACT) ]" in log, log[-3000:]
    assert (
        f"destroying duplicate IKE_SA for peer '{IKEWIRE_ID}', received INITIAL_CONTACT" in log
    ), log[-3000:]


def test_without_initial_contact_charon_keeps_both(
    charon: Charon, sockets: Any, tmp_path: Path
) -> None:
    """The control: the same two IKE SAs, the second without INITIAL_CONTACT."""
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    base = config(GCM, esp, initiator=True)
    async def establish(name: str) -> str:
        conn = IKEConnection(base, initiator=True)
        driver = Driver(conn, sockets[0], sockets[1])
        conn.initiate(driver.now())
        ok = await driver.run(_done((ChildSAEstablished, ConnectionFailed)), 15.0)
        _dump(driver, tmp_path / f"{name}.hex")
        assert ok, driver.events
        return conn.spi_i.hex()

    spis = [asyncio.run(establish("first")), asyncio.run(establish("second"))]
    time.sleep(0.5)
    assert sorted(sa["initiator-spi"] for sa in _ike_sas(charon)) == sorted(spis)
    assert "destroying duplicate IKE_SA" not in charon.log_text()
