"""ikewire against strongSwan 5.9.8's charon: PSK, three suites, both roles.

Each cell: IKE_SA_INIT + IKE_AUTH (NAT-T to UDP 4500, charon's kernel-libipsec fakes a
NAT), both views checked (ikewire's events and charon's ``swanctl --list-sas``), then
the Child SA proven with an ICMP echo inside ESP-in-UDP (RFC 4303, RFC 3948) that charon
answers from its own stack, then an IKE SA DELETE (RFC 7296 §1.4.1) from one side.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import struct
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ikewire.aio import Driver
from ikewire.connection.config import Identity, IKEConfig
from ikewire.connection.events import (
    ChildSADeleted,
    ChildSAEstablished,
    ConnectionFailed,
    Event,
    IKESADeleted,
    IKESAEstablished,
    PeerAlive,
)
from ikewire.connection.ike_sa import IKEConnection
from ikewire.constants import ProtocolId
from ikewire.esp import open_packet, sas_from_child, seal_packet
from ikewire.wire.models import Proposal

from .conftest import (
    CHARON_ADDR,
    CHARON_ID,
    CHARON_INNER,
    IKEWIRE_ADDR,
    IKEWIRE_ID,
    IKEWIRE_INNER,
    PKI,
    PSK,
    Charon,
    _unavailable,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def charon(any_charon: Charon) -> Charon:
    """Every cell of this module runs against strongSwan 5.9.8 and 6.0.1."""
    return any_charon


# (IKE suite, ESP suite, charon's names: encr-alg, encr-keysize, integ-alg, prf-alg, dh-group)
SUITES = {
    "aes256gcm16-prfsha384-ecp384": (
        "aes256gcm16",
        {"encr-alg": "AES_GCM_16", "encr-keysize": "256", "prf-alg": "PRF_HMAC_SHA2_384",
         "dh-group": "ECP_384"},
        {"encr-alg": "AES_GCM_16", "encr-keysize": "256"},
    ),
    "aes256-sha256-modp2048": (
        "aes256-sha256",
        {"encr-alg": "AES_CBC", "encr-keysize": "256", "integ-alg": "HMAC_SHA2_256_128",
         "prf-alg": "PRF_HMAC_SHA2_256", "dh-group": "MODP_2048"},
        {"encr-alg": "AES_CBC", "encr-keysize": "256", "integ-alg": "HMAC_SHA2_256_128"},
    ),
    "chacha20poly1305-prfsha256-x25519": (
        "chacha20poly1305",
        {"encr-alg": "CHACHA20_POLY1305", "prf-alg": "PRF_HMAC_SHA2_256",
         "dh-group": "CURVE_25519"},
        {"encr-alg": "CHACHA20_POLY1305"},
    ),
    # more of what people deploy: ECP-256/521, MODP-3072, X448, SHA-384/512 HMACs
    "aes128gcm16-prfsha256-ecp256": (
        "aes128gcm16",
        {"encr-alg": "AES_GCM_16", "encr-keysize": "128", "prf-alg": "PRF_HMAC_SHA2_256",
         "dh-group": "ECP_256"},
        {"encr-alg": "AES_GCM_16", "encr-keysize": "128"},
    ),
    "aes256-sha384-ecp521": (
        "aes256-sha384",
        {"encr-alg": "AES_CBC", "encr-keysize": "256", "integ-alg": "HMAC_SHA2_384_192",
         "prf-alg": "PRF_HMAC_SHA2_384", "dh-group": "ECP_521"},
        {"encr-alg": "AES_CBC", "encr-keysize": "256", "integ-alg": "HMAC_SHA2_384_192"},
    ),
    "aes128-sha512-modp3072": (
        "aes128-sha512",
        {"encr-alg": "AES_CBC", "encr-keysize": "128", "integ-alg": "HMAC_SHA2_512_256",
         "prf-alg": "PRF_HMAC_SHA2_512", "dh-group": "MODP_3072"},
        {"encr-alg": "AES_CBC", "encr-keysize": "128", "integ-alg": "HMAC_SHA2_512_256"},
    ),
    "aes256gcm16-prfsha512-x448": (
        "aes256gcm16",
        {"encr-alg": "AES_GCM_16", "prf-alg": "PRF_HMAC_SHA2_512", "dh-group": "CURVE_448"},
        {"encr-alg": "AES_GCM_16"},
    ),
}  # fmt: skip
CONN = "interop"
HANDSHAKE_TIMEOUT = 15.0


def config(ike: str, esp: str, *, initiator: bool, pki: PKI | None = None) -> IKEConfig:
    auth: dict[str, Any] = {"psk": PSK}
    if pki is not None:
        auth = {
            "private_key": pki.ikewire_key,
            "certificate": pki.ikewire_cert_der,
            "remote_certificate": pki.charon_cert_der,
        }
    return IKEConfig(
        local_id=Identity.fqdn(IKEWIRE_ID),
        remote_id=Identity.fqdn(CHARON_ID),
        ike_proposals=(ike,),
        esp_proposals=(esp,),
        **auth,
        local_ts=(f"{IKEWIRE_INNER}/32",),
        remote_ts=(f"{CHARON_INNER}/32",),
        local_address=(IKEWIRE_ADDR, 500),
        remote_address=(CHARON_ADDR, 500) if initiator else None,
        retransmit_timeout=1.0,
        retransmit_tries=4,
    )


def _done(kinds: tuple[type, ...]) -> Callable[[Driver], bool]:
    return lambda d: any(isinstance(e, kinds) for e in d.events)


def _dump(driver: Driver, path: Path) -> None:
    """What ikewire sent and received, as hex (decode with ``ikewire decode HEX``)."""
    with path.open("w") as f:
        for tag, items in (("sent", driver.sent), ("received", driver.received)):
            for data, addr in items:
                f.write(f"{tag} {addr[0]}:{addr[1]} {data.hex()}\n")


# ---------------------------------------------------------------- ICMP in ESP


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _icmp_echo(src: str, dst: str, ident: int, seq: int, payload: bytes) -> bytes:
    """An IPv4 packet (RFC 791) holding an ICMP echo request (RFC 792)."""
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", _checksum(icmp)) + icmp[4:]
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), ident, 0, 64, 1, 0,
        bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))),
    )  # fmt: skip
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + icmp


def _parse_icmp(packet: bytes) -> tuple[str, str, int, int, int, bytes]:
    ihl = (packet[0] & 0x0F) * 4
    assert packet[9] == 1, "not ICMP"
    src = ".".join(map(str, packet[12:16]))
    dst = ".".join(map(str, packet[16:20]))
    icmp = packet[ihl:]
    assert _checksum(icmp) == 0, "bad ICMP checksum"
    kind, _, _, ident, seq = struct.unpack("!BBHHH", icmp[:8])
    return src, dst, kind, ident, seq, icmp[8:]


async def _ping_through(driver: Driver, child: ChildSAEstablished) -> float:
    """Send one echo inside ESP-in-UDP to charon's 4500 and open its reply; the RTT."""
    inbound, outbound = sas_from_child(child)
    payload = bytes(range(8, 8 + 48))
    inner = _icmp_echo(IKEWIRE_INNER, CHARON_INNER, 0x1CE, 1, payload)
    packet = seal_packet(outbound, 1, inner, 4, os.urandom(outbound.iv_size))
    t0 = time.monotonic()
    await driver.send_raw(packet, (CHARON_ADDR, 4500))
    assert await driver.run(lambda d: bool(d.esp), 5.0), "no ESP reply from charon"
    rtt = time.monotonic() - t0
    data, addr = driver.esp[0]
    assert addr == (CHARON_ADDR, 4500)
    opened = open_packet(inbound, data)
    assert opened.spi == child.spi_in and opened.seq == 1 and opened.next_header == 4
    src, dst, kind, ident, seq, body = _parse_icmp(opened.payload)
    assert (src, dst, kind, ident, seq, body) == (
        CHARON_INNER, IKEWIRE_INNER, 0, 0x1CE, 1, payload,
    )  # fmt: skip
    return rtt


# ---------------------------------------------------------------- checks


def _check_views(
    events: list[Event], charon: Charon, ike: str, ike_algs: dict[str, str],
    esp_algs: dict[str, str], *, charon_initiator: bool,
) -> ChildSAEstablished:  # fmt: skip
    failures = [e for e in events if isinstance(e, ConnectionFailed)]
    assert not failures, failures
    established = [e for e in events if isinstance(e, IKESAEstablished)]
    children = [e for e in events if isinstance(e, ChildSAEstablished)]
    assert len(established) == 1 and len(children) == 1, events
    est, child = established[0], children[0]
    # ikewire names the suite canonically (prf spelled out, curve25519 for x25519)
    assert Proposal.parse(est.suite, ProtocolId.IKE) == Proposal.parse(ike, ProtocolId.IKE)
    assert est.remote_id == CHARON_ID and est.local_id == IKEWIRE_ID
    assert child.udp_encapsulation, "libipsec fakes a NAT: ESP must be UDP-encapsulated"

    sas = charon.list_sas()
    assert list(sas) == [CONN], sas
    sa: dict[str, Any] = sas[CONN]
    assert sa["state"] == "ESTABLISHED"
    assert sa["initiator-spi"] == est.spi_i.hex()
    assert sa["responder-spi"] == est.spi_r.hex()
    assert (sa.get("initiator") == "yes") == charon_initiator, sa
    assert sa["remote-id"] == IKEWIRE_ID
    for key, value in ike_algs.items():
        assert sa.get(key) == value, (key, sa)
    (charon_child,) = sa["child-sas"].values()
    assert charon_child["state"] == "INSTALLED"
    assert charon_child["protocol"] == "ESP" and charon_child["encap"] == "yes"
    assert charon_child["spi-in"] == child.spi_out.hex()
    assert charon_child["spi-out"] == child.spi_in.hex()
    assert charon_child["local-ts"] == [f"{CHARON_INNER}/32"]
    assert charon_child["remote-ts"] == [f"{IKEWIRE_INNER}/32"]
    for key, value in esp_algs.items():
        assert charon_child.get(key) == value, (key, charon_child)
    return child


# ---------------------------------------------------------------- the matrix


@pytest.mark.parametrize("ike", list(SUITES))
def test_ikewire_initiator_psk(charon: Charon, sockets: Any, tmp_path: Path, ike: str) -> None:
    initiator_cell(charon, sockets, tmp_path, ike, *SUITES[ike])


def initiator_cell(
    charon: Charon, sockets: Any, tmp_path: Path, ike: str, esp: str,
    ike_algs: dict[str, str], esp_algs: dict[str, str],
) -> None:  # fmt: skip
    """ikewire initiates with PSK: both views, ESP echo, then ikewire's DELETE."""
    charon.start(CONN, ike, esp)
    conn = IKEConnection(config(ike, esp, initiator=True), initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])

    async def handshake() -> float:
        t0 = time.monotonic()
        conn.initiate(driver.now())
        ok = await driver.run(_done((ChildSAEstablished, ConnectionFailed)), HANDSHAKE_TIMEOUT)
        _dump(driver, tmp_path / "ikewire.hex")
        assert ok, f"no Child SA; events {driver.events}"
        return time.monotonic() - t0

    elapsed = asyncio.run(handshake())
    child = _check_views(driver.events, charon, ike, ike_algs, esp_algs, charon_initiator=False)

    async def ping_and_delete() -> float:
        rtt = await _ping_through(driver, child)
        conn.close(driver.now())
        assert await driver.run(_done((IKESADeleted,)), 10.0), driver.events
        return rtt

    rtt = asyncio.run(ping_and_delete())
    _dump(driver, tmp_path / "ikewire.hex")
    assert IKESADeleted(local=True) in driver.events
    deadline = time.monotonic() + 5
    while charon.list_sas() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert charon.list_sas() == {}
    print(f"initiator {ike}: handshake {elapsed * 1000:.1f} ms, ESP echo {rtt * 1000:.1f} ms")


@pytest.mark.parametrize("ike", list(SUITES))
def test_ikewire_responder_psk(charon: Charon, sockets: Any, tmp_path: Path, ike: str) -> None:
    responder_cell(charon, sockets, tmp_path, ike, *SUITES[ike])


def responder_cell(
    charon: Charon, sockets: Any, tmp_path: Path, ike: str, esp: str,
    ike_algs: dict[str, str], esp_algs: dict[str, str],
) -> None:  # fmt: skip
    """charon initiates with PSK: both views, ESP echo, then charon's DELETE."""
    charon.start(CONN, ike, esp)
    conn = IKEConnection(config(ike, esp, initiator=False), initiator=False)
    driver = Driver(conn, sockets[0], sockets[1])
    initiate: subprocess.Popen[str] | None = None

    async def handshake() -> float:
        nonlocal initiate
        t0 = time.monotonic()
        initiate = charon.swanctl_async(
            "--initiate", "--ike", CONN, "--child", "net", "--timeout", "10"
        )
        ok = await driver.run(_done((ChildSAEstablished, ConnectionFailed)), HANDSHAKE_TIMEOUT)
        _dump(driver, tmp_path / "ikewire.hex")
        assert ok, f"no Child SA; events {driver.events}"
        return time.monotonic() - t0

    try:
        elapsed = asyncio.run(handshake())
        assert initiate is not None
        out, _ = initiate.communicate(timeout=10)
        assert initiate.returncode == 0, out
    finally:
        if initiate is not None and initiate.poll() is None:
            initiate.kill()
            initiate.wait(5)
    child = _check_views(driver.events, charon, ike, ike_algs, esp_algs, charon_initiator=True)

    async def ping_and_be_deleted() -> float:
        rtt = await _ping_through(driver, child)
        terminate = charon.swanctl_async("--terminate", "--ike", CONN, "--timeout", "5")
        try:
            ok = await driver.run(_done((IKESADeleted,)), 10.0)
            assert ok, driver.events
            # let charon's own wait end: its DELETE got our answer
            deadline = driver.now() + 5
            while terminate.poll() is None and driver.now() < deadline:
                await driver.run(lambda d: False, 0.05)
            assert terminate.poll() == 0, terminate.communicate(timeout=5)[0]
        finally:
            if terminate.poll() is None:
                terminate.kill()
                terminate.wait(5)
        return rtt

    rtt = asyncio.run(ping_and_be_deleted())
    _dump(driver, tmp_path / "ikewire.hex")
    assert IKESADeleted(local=False) in driver.events
    assert charon.list_sas() == {}
    print(f"responder {ike}: handshake {elapsed * 1000:.1f} ms, ESP echo {rtt * 1000:.1f} ms")


# ---------------------------------------------------------------- deletes, other way round

GCM = "aes256gcm16-prfsha384-ecp384"


async def _establish_initiator(charon: Charon, sockets: Any) -> tuple[Driver, ChildSAEstablished]:
    esp, ike_algs, esp_algs = SUITES[GCM]
    charon.start(CONN, GCM, esp)
    conn = IKEConnection(config(GCM, esp, initiator=True), initiator=True)
    driver = Driver(conn, sockets[0], sockets[1])
    conn.initiate(driver.now())
    ok = await driver.run(_done((ChildSAEstablished, ConnectionFailed)), HANDSHAKE_TIMEOUT)
    assert ok, driver.events
    child = _check_views(driver.events, charon, GCM, ike_algs, esp_algs, charon_initiator=False)
    return driver, child


async def _await_swanctl(driver: Driver, proc: subprocess.Popen[str], timeout: float) -> str:
    """Keep driving the connection while a swanctl command runs; its output."""
    deadline = driver.now() + timeout
    try:
        while proc.poll() is None and driver.now() < deadline:
            await driver.run(lambda d: False, 0.05)
        out = proc.communicate(timeout=1)[0] if proc.poll() is not None else ""
        assert proc.returncode == 0, out
        return out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_charon_deletes_ike_sa_of_ikewire_initiator(
    charon: Charon, sockets: Any, tmp_path: Path
) -> None:
    async def go() -> Driver:
        driver, _ = await _establish_initiator(charon, sockets)
        terminate = charon.swanctl_async("--terminate", "--ike", CONN, "--timeout", "5")
        await _await_swanctl(driver, terminate, 8.0)
        return driver

    driver = asyncio.run(go())
    _dump(driver, tmp_path / "ikewire.hex")
    assert IKESADeleted(local=False) in driver.events
    assert charon.list_sas() == {}


def test_ikewire_responder_closes(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    esp, ike_algs, esp_algs = SUITES[GCM]
    charon.start(CONN, GCM, esp)
    conn = IKEConnection(config(GCM, esp, initiator=False), initiator=False)
    driver = Driver(conn, sockets[0], sockets[1])

    async def go() -> None:
        initiate = charon.swanctl_async(
            "--initiate", "--ike", CONN, "--child", "net", "--timeout", "10"
        )
        await _await_swanctl(driver, initiate, 10.0)
        assert await driver.run(_done((ChildSAEstablished, ConnectionFailed)), 1.0)
        _check_views(driver.events, charon, GCM, ike_algs, esp_algs, charon_initiator=True)
        # RFC 7296 §2.2: the responder's own requests use its own message IDs from 0
        conn.close(driver.now())
        assert await driver.run(_done((IKESADeleted,)), 10.0), driver.events

    asyncio.run(go())
    _dump(driver, tmp_path / "ikewire.hex")
    assert IKESADeleted(local=True) in driver.events
    deadline = time.monotonic() + 5
    while charon.list_sas() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert charon.list_sas() == {}


def test_charon_deletes_child_sa(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    """RFC 7296 §1.4.1: a Child SA Delete is answered with the paired SA's Delete; the
    IKE SA stays up."""

    async def go() -> Driver:
        driver, child = await _establish_initiator(charon, sockets)
        spi.append(child.spi_in)
        terminate = charon.swanctl_async("--terminate", "--child", "net", "--timeout", "5")
        await _await_swanctl(driver, terminate, 8.0)
        return driver

    spi: list[bytes] = []
    driver = asyncio.run(go())
    _dump(driver, tmp_path / "ikewire.hex")
    sas = charon.list_sas()
    assert sas[CONN]["state"] == "ESTABLISHED"
    assert not sas[CONN].get("child-sas"), sas
    log = charon.log_text()
    # charon's first request as responder has message ID 0 (RFC 7296 §2.2)
    assert "parsed INFORMATIONAL response 0 [ D ]" in log, "ikewire's answer lacks a Delete"
    assert f"received DELETE for ESP CHILD_SA with SPI {spi[0].hex()}" in log
    deleted = [e for e in driver.events if isinstance(e, ChildSADeleted)]
    assert len(deleted) == 1 and not deleted[0].local, driver.events
    assert not any(isinstance(e, IKESADeleted) for e in driver.events)


def test_ikewire_deletes_child_sa_and_checks_liveness(
    charon: Charon, sockets: Any, tmp_path: Path
) -> None:
    """delete_child (RFC 7296 §1.4.1): charon answers with its Delete and removes the
    Child SA; an empty INFORMATIONAL (§1.4) then shows the IKE SA alive."""

    async def go() -> tuple[Driver, ChildSAEstablished]:
        driver, child = await _establish_initiator(charon, sockets)
        driver.conn.delete_child(child.spi_in, driver.now())
        assert await driver.run(_done((ChildSADeleted,)), 10.0), driver.events
        driver.conn.send_liveness(driver.now())
        assert await driver.run(_done((PeerAlive,)), 10.0), driver.events
        return driver, child

    driver, child = asyncio.run(go())
    _dump(driver, tmp_path / "ikewire.hex")
    assert ChildSADeleted(child.spi_in, child.spi_out, local=True) in driver.events
    sas = charon.list_sas()
    assert sas[CONN]["state"] == "ESTABLISHED" and not sas[CONN].get("child-sas"), sas
    log = charon.log_text()
    assert f"received DELETE for ESP CHILD_SA with SPI {child.spi_in.hex()}" in log
    assert "parsed INFORMATIONAL request 3 [ ]" in log  # IDs 0, 1: INIT, AUTH; 2: delete


# ---------------------------------------------------------------- signatures


# Certificate cells (ECDSA, RSA-PSS, Ed25519, both roles, both strongSwan versions)
# are in test_strongswan_matrix.py.


# ---------------------------------------------------------------- tshark as oracle


def test_tshark_decrypts_with_ikewire_keys(charon: Charon, sockets: Any, tmp_path: Path) -> None:
    """Wireshark, a third implementation, opens the captured IKE_AUTH with ikewire's
    SK_e*/SK_a* and the ESP packets with the Child SA keys (RFC 5282, RFC 4106)."""
    if shutil.which("tshark") is None:
        _unavailable("tshark missing (apt-get install tshark)")
    pcap = tmp_path / "veth.pcap"
    dev = charon.topo.ns_charon[:-1] + "vb"
    dump = subprocess.Popen(
        ["ip", "netns", "exec", charon.topo.ns_charon, "tshark", "-q", "-i", dev,
         "-w", str(pcap), "-f", "udp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        # dumpcap announces itself on stderr once capturing
        deadline = time.monotonic() + 10
        assert dump.stderr is not None
        os.set_blocking(dump.stderr.fileno(), False)
        seen = b""
        while b"Capturing on" not in seen and time.monotonic() < deadline:
            seen += dump.stderr.read() or b""
            time.sleep(0.05)
        assert b"Capturing on" in seen, seen

        async def go() -> tuple[Driver, ChildSAEstablished]:
            driver, child = await _establish_initiator(charon, sockets)
            await _ping_through(driver, child)
            return driver, child

        driver, child = asyncio.run(go())
        time.sleep(0.3)
    finally:
        dump.send_signal(signal.SIGINT)
        try:
            dump.wait(5)
        except subprocess.TimeoutExpired:
            dump.kill()
            dump.wait(5)
    keys = driver.conn.keys
    assert keys is not None
    est = next(e for e in driver.events if isinstance(e, IKESAEstablished))
    ike_row = (
        f"{est.spi_i.hex()},{est.spi_r.hex()},{keys.sk_ei.hex()},{keys.sk_er.hex()},"
        f'"AES-GCM-256 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"'
    )
    gcm = '"AES-GCM with 16 octet ICV [RFC4106]"'
    esp_rows = [
        f'"IPv4","{IKEWIRE_ADDR}","{CHARON_ADDR}","0x{child.spi_out.hex()}",{gcm},'
        f'"0x{child.encr_key_out.hex()}","NULL",""',
        f'"IPv4","{CHARON_ADDR}","{IKEWIRE_ADDR}","0x{child.spi_in.hex()}",{gcm},'
        f'"0x{child.encr_key_in.hex()}","NULL",""',
    ]
    conf = tmp_path / "wireshark"
    conf.mkdir()
    (conf / "ikev2_decryption_table").write_text(ike_row + "\n")
    (conf / "esp_sa").write_text("\n".join(esp_rows) + "\n")
    out = subprocess.run(
        ["tshark", "-r", str(pcap), "-o", "esp.enable_encryption_decode:TRUE",
         "-T", "fields", "-e", "isakmp.id.type", "-e", "isakmp.id.data.fqdn",
         "-e", "esp.spi", "-e", "icmp.type", "-e", "icmp.seq"],
        capture_output=True, text=True, timeout=30, check=True,
        env=dict(os.environ, WIRESHARK_CONFIG_DIR=str(conf)),
    ).stdout  # fmt: skip
    lines = [line.split("\t") for line in out.splitlines()]
    id_data = {x for row in lines for x in row[1].split(",") if x}
    assert IKEWIRE_ID in id_data and CHARON_ID in id_data, out  # IDi and IDr, decrypted
    icmp = [(row[3], row[4]) for row in lines if row[3]]
    assert ("8", "1") in icmp and ("0", "1") in icmp, out  # echo request and reply, decrypted
