"""ikewire against charon off the happy path: loss and retransmission (RFC 7296 §2.1),
INVALID_KE_PAYLOAD (§1.3), COOKIE (§2.6) and traffic selector narrowing (§2.9)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from ikewire.aio import Driver
from ikewire.connection.events import ChildSADeleted, ChildSAEstablished, ConnectionFailed
from ikewire.connection.ike_sa import IKEConnection
from ikewire.constants import ExchangeType

from .conftest import Charon
from .test_strongswan import (
    CONN,
    GCM,
    HANDSHAKE_TIMEOUT,
    SUITES,
    _await_swanctl,
    _check_views,
    _done,
    _dump,
    _ping_through,
    config,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def charon(any_charon: Charon) -> Charon:
    """Every cell of this module runs against strongSwan 5.9.8 and 6.0.1."""
    return any_charon


def _header(data: bytes) -> tuple[int, bool]:
    """(Exchange Type, Response flag) of an IKE datagram, marker or not (RFC 7296 §3.1)."""
    if data[:4] == bytes(4):
        data = data[4:]
    return data[18], bool(data[19] & 0x20)


class _DropFirst:
    """Loses the first datagram that is an ``exchange`` message of the given direction."""

    def __init__(self, exchange: int, response: bool) -> None:
        self.exchange, self.response, self.dropped = exchange, response, 0

    def __call__(self, data: bytes, addr: tuple[str, int]) -> bool:
        if len(data) < 28 or self.dropped:
            return False
        if _header(data) == (self.exchange, self.response):
            self.dropped += 1
            return True
        return False


async def _initiate(driver: Driver) -> None:
    driver.conn.initiate(driver.now())
    ok = await driver.run(_done((ChildSAEstablished, ConnectionFailed)), HANDSHAKE_TIMEOUT)
    assert ok, driver.events


async def _respond(driver: Driver, charon: Charon) -> None:
    initiate = charon.swanctl_async(
        "--initiate", "--ike", CONN, "--child", "net", "--timeout", "15"
    )
    ok = await driver.run(_done((ChildSAEstablished, ConnectionFailed)), HANDSHAKE_TIMEOUT)
    assert ok, driver.events
    await _await_swanctl(driver, initiate, 10.0)


def _finish(driver: Driver, charon: Charon, tmp_path: Path, *, charon_initiator: bool) -> None:
    _dump(driver, tmp_path / "ikewire.hex")
    _, ike_algs, esp_algs = SUITES[GCM]
    child = _check_views(
        driver.events, charon, GCM, ike_algs, esp_algs, charon_initiator=charon_initiator
    )
    asyncio.run(_ping_through(driver, child))


def test_initiator_retransmits_after_lost_auth_response(
    charon: Charon, sockets: Any, tmp_path: Path
) -> None:
    """The IKE_AUTH response is lost: ikewire resends the request on 4500, charon
    answers from its cache (RFC 7296 §2.1)."""
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    conn = IKEConnection(config(GCM, esp, initiator=True), initiator=True)
    drop = _DropFirst(ExchangeType.IKE_AUTH, response=True)
    driver = Driver(conn, sockets[0], sockets[1], drop_in=drop)
    asyncio.run(_initiate(driver))
    assert drop.dropped == 1
    auth_requests = [d for d, a in driver.sent if _header(d) == (ExchangeType.IKE_AUTH, False)]
    assert len(auth_requests) == 2 and auth_requests[0] == auth_requests[1]
    assert "received retransmit of request with ID 1, retransmitting response" in (
        charon.log_text()
    )
    _finish(driver, charon, tmp_path, charon_initiator=False)


def test_responder_answers_retransmitted_auth_request(
    charon: Charon, sockets: Any, tmp_path: Path
) -> None:
    """ikewire's IKE_AUTH response is lost: charon retransmits its request (after 2 s),
    ikewire answers again with the same octets, unprocessed (RFC 7296 §2.1)."""
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    conn = IKEConnection(config(GCM, esp, initiator=False), initiator=False)
    drop = _DropFirst(ExchangeType.IKE_AUTH, response=True)
    driver = Driver(conn, sockets[0], sockets[1], drop_out=drop)
    asyncio.run(_respond(driver, charon))
    responses = [d for d, a in driver.sent if _header(d) == (ExchangeType.IKE_AUTH, True)]
    assert len(responses) == 2 and responses[0] == responses[1]
    assert "retransmit 1 of request with message ID 1" in charon.log_text()
    _finish(driver, charon, tmp_path, charon_initiator=True)


def test_initiator_retries_after_invalid_ke_payload(
    charon: Charon, sockets: Any, tmp_path: Path
) -> None:
    """ikewire offers x25519 first, charon accepts only ECP-384: INVALID_KE_PAYLOAD,
    then a new IKE_SA_INIT with the requested group (RFC 7296 §1.3)."""
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    cfg = dataclasses.replace(
        config(GCM, esp, initiator=True),
        ike_proposals=("aes256gcm16-prfsha384-x25519-ecp384",),
    )
    conn = IKEConnection(cfg, initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])
    asyncio.run(_initiate(driver))
    log = charon.log_text()
    # 5.9.8 says "DH group", 6.0.1 "key exchange method"
    assert re.search(
        r"(DH group|key exchange method) CURVE_25519 unacceptable, requesting ECP_384", log
    ), log[-3000:]
    inits = [d for d, a in driver.sent if _header(d) == (ExchangeType.IKE_SA_INIT, False)]
    assert len(inits) == 2
    _finish(driver, charon, tmp_path, charon_initiator=False)


def test_responder_asks_for_other_group(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    """charon sends a CURVE_25519 KE, ikewire accepts only ECP-384 and answers
    INVALID_KE_PAYLOAD; charon retries with ECP-384 (RFC 7296 §1.3)."""
    esp = SUITES[GCM][0]
    charon.start(CONN, "aes256gcm16-prfsha384-x25519-ecp384", esp)
    conn = IKEConnection(config(GCM, esp, initiator=False), initiator=False)
    driver = Driver(conn, sockets[0], sockets[1])
    asyncio.run(_respond(driver, charon))
    log = charon.log_text()
    assert re.search(
        r"peer didn't accept (DH group|key exchange method) CURVE_25519, it requested ECP_384", log
    ), log[-3000:]
    _finish(driver, charon, tmp_path, charon_initiator=True)


def test_responder_requires_cookie(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    """ikewire answers the first IKE_SA_INIT with N(COOKIE); charon repeats it with the
    cookie (RFC 7296 §2.6)."""
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    cfg = dataclasses.replace(config(GCM, esp, initiator=False), require_cookie=True)
    conn = IKEConnection(cfg, initiator=False)
    driver = Driver(conn, sockets[0], sockets[1])
    asyncio.run(_respond(driver, charon))
    assert "received COOKIE notify" in charon.log_text() or ("N(COOKIE)" in charon.log_text()), (
        charon.log_text()[-3000:]
    )
    _finish(driver, charon, tmp_path, charon_initiator=True)


def test_initiator_accepts_narrowed_selectors(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    """ikewire proposes /24 selectors, charon narrows them to its /32 (RFC 7296 §2.9)."""
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    cfg = dataclasses.replace(
        config(GCM, esp, initiator=True),
        local_ts=("10.231.1.0/24",),
        remote_ts=("10.231.2.0/24",),
    )
    conn = IKEConnection(cfg, initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])
    asyncio.run(_initiate(driver))
    _finish(driver, charon, tmp_path, charon_initiator=False)


def test_charon_rekeys_child_sa(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    """charon rekeys the Child SA (RFC 7296 §1.3.3, CREATE_CHILD_SA with N(REKEY_SA)):
    ikewire answers, announces the new Child SA, and the old one is deleted by charon
    (make-before-break). Waits 3 s for the exchanges."""
    esp = SUITES[GCM][0]
    charon.start(CONN, GCM, esp)
    conn = IKEConnection(config(GCM, esp, initiator=True), initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])

    async def go() -> None:
        await _initiate(driver)
        rekey = charon.swanctl_async("--rekey", "--child", "net")
        await _await_swanctl(driver, rekey, 5.0)
        await driver.run(lambda d: False, 3.0)

    asyncio.run(go())
    _dump(driver, tmp_path / "ikewire.hex")
    log = charon.log_text()
    assert "generating CREATE_CHILD_SA request 0" in log
    assert "parsed CREATE_CHILD_SA response 0" in log, "no answer to CREATE_CHILD_SA"
    assert charon.list_sas()[CONN]["state"] == "ESTABLISHED"
    new = [e for e in driver.events if isinstance(e, ChildSAEstablished) and e.rekeyed_spi]
    assert len(new) == 1 and new[0].generation == 2
    deleted = [e for e in driver.events if isinstance(e, ChildSADeleted)]
    assert [d.spi_in for d in deleted] == [new[0].rekeyed_spi]  # charon deleted the old
    assert [c.spi_in for c in conn.child_sas] == [new[0].spi_in]
