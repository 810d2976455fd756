"""The authentication and proposal cells of the matrix against both strongSwan peers —
5.9.8 (Debian 12) and 6.0.1 (Debian 13 root) — in both roles (issue 9):

- certificates (RFC 7296 §3.6, RFC 7427 signatures) with ECDSA P-256, RSA-PSS and
  Ed25519 (RFC 8420) keys, each side validating the other's chain to the CA;
- asymmetric authentication (RFC 7296 §2.15): one side signs, the other proves a PSK;
- each peer's default proposal lists (ikewire picks from charon's long default list and
  charon from ikewire's default);
- IKE_AUTH fragmentation (RFC 7383) with RSA-3072 certificates and 576-octet fragments.

Every cell checks both views — ikewire's events and charon's ``swanctl --list-sas`` and
log — and proves the Child SA with an ICMP echo inside ESP.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from ikewire.aio import Driver
from ikewire.connection.config import IKEConfig
from ikewire.connection.events import ChildSAEstablished, ConnectionFailed, IKESAEstablished
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.trust import TrustStore

from .conftest import CHARON_ID, IKEWIRE_ID, PKI, PSK, Charon, make_pki
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
ROLES = ["initiator", "responder"]
# RFC 7427 schemes as charon logs them, per key kind
SCHEME = {
    "ecdsa": "ECDSA_WITH_SHA256_DER",
    "rsa": "RSA_EMSA_PSS_SHA2_256_SALT_32",
    "rsa3072": "RSA_EMSA_PSS_SHA2_256_SALT_32",
    "ed25519": "ED25519",
}
SIG, PSK_AUTH = "DIGITAL_SIGNATURE", "SHARED_KEY_MESSAGE_INTEGRITY_CODE"


def _signing(cfg: IKEConfig, pki: PKI) -> IKEConfig:
    """ikewire signs with its certificate (no PSK of its own)."""
    return dataclasses.replace(
        cfg, psk=None, private_key=pki.ikewire_key, certificate=pki.ikewire_cert_der
    )


def _verifying(cfg: IKEConfig, pki: PKI) -> IKEConfig:
    """ikewire validates charon's certificate chain to the CA (RFC 4945 §3.1) and sends
    CERTREQ for it; no pinned certificate."""
    ca = x509.load_pem_x509_certificate(pki.ca_pem)
    return dataclasses.replace(cfg, remote_certificate=None, trust_store=TrustStore(anchors=(ca,)))


def _handshake(charon: Charon, driver: Driver, conn: IKEConnection, tmp_path: Path,
               initiator: bool) -> None:  # fmt: skip
    async def go() -> None:
        if initiator:
            conn.initiate(driver.now())
        else:
            initiate = charon.swanctl_async(
                "--initiate", "--ike", CONN, "--child", "net", "--timeout", "10"
            )
        ok = await driver.run(_done((ChildSAEstablished, ConnectionFailed)), HANDSHAKE_TIMEOUT)
        _dump(driver, tmp_path / "ikewire.hex")
        assert ok, driver.events
        if not initiator:
            await _await_swanctl(driver, initiate, 10.0)

    asyncio.run(go())


def _charon_checked(log: str, who: str, scheme: str) -> None:
    """charon verified ``who``'s AUTH with ``scheme`` ("pre-shared key" for a PSK)."""
    if scheme == "psk":
        assert f"authentication of '{who}' with pre-shared key successful" in log, log[-3000:]
    else:
        assert f"authentication of '{who}' with {scheme} successful" in log, log[-3000:]


def _charon_signed(log: str, scheme: str) -> None:
    if scheme == "psk":
        assert f"authentication of '{CHARON_ID}' (myself) with pre-shared key" in log
    else:
        assert f"authentication of '{CHARON_ID}' (myself) with {scheme} successful" in log


@pytest.mark.parametrize("kind", ["ecdsa", "rsa", "ed25519"])
@pytest.mark.parametrize("role", ROLES)
def test_certificates(
    any_charon: Charon, sockets: Any, tmp_path: Path, kind: str, role: str
) -> None:
    """Both sides sign (RFC 7427) and validate the other's certificate to the CA."""
    charon = any_charon
    esp, ike_algs, esp_algs = SUITES[GCM]
    pki = make_pki(kind)
    charon.start(CONN, GCM, esp, pki=pki, extra="  rsa_pss = yes" if "rsa" in kind else "")
    initiator = role == "initiator"
    cfg = _verifying(config(GCM, esp, initiator=initiator, pki=pki), pki)
    conn = IKEConnection(cfg, initiator=initiator)
    driver = Driver(conn, sockets[0], sockets[1])
    _handshake(charon, driver, conn, tmp_path, initiator)
    child = _check_views(
        driver.events, charon, GCM, ike_algs, esp_algs, charon_initiator=not initiator
    )
    (est,) = [e for e in driver.events if isinstance(e, IKESAEstablished)]
    assert (est.local_auth, est.remote_auth) == (SIG, SIG)
    log = charon.log_text()
    _charon_checked(log, IKEWIRE_ID, SCHEME[kind])
    _charon_signed(log, SCHEME[kind])
    assert f'received end entity cert "CN={IKEWIRE_ID}"' in log
    assert 'using trusted ca certificate "CN=ikewire interop CA"' in log
    # ikewire asked for the CA by its key hash (RFC 7296 §3.7) and charon saw it
    assert "received cert request for" in log or "received 1 cert requests" in log, log[-3000:]
    asyncio.run(_ping_through(driver, child))


@pytest.mark.parametrize("signer", ["ikewire", "charon"])
@pytest.mark.parametrize("role", ROLES)
def test_asymmetric_authentication(
    any_charon: Charon, sockets: Any, tmp_path: Path, signer: str, role: str
) -> None:
    """One side signs with its ECDSA certificate, the other proves the PSK (RFC 7296
    §2.15: each side picks its own method); both accept."""
    charon = any_charon
    esp, ike_algs, esp_algs = SUITES[GCM]
    pki = make_pki("ecdsa")
    if signer == "ikewire":
        charon.start(CONN, GCM, esp, pki=pki, local_auth="psk", remote_auth="pubkey")
    else:
        charon.start(CONN, GCM, esp, pki=pki, local_auth="pubkey", remote_auth="psk")
    initiator = role == "initiator"
    cfg = config(GCM, esp, initiator=initiator)  # PSK both ways to start from
    if signer == "ikewire":
        cfg = dataclasses.replace(_signing(cfg, pki), remote_psk=PSK)
    else:
        cfg = _verifying(cfg, pki)
    conn = IKEConnection(cfg, initiator=initiator)
    driver = Driver(conn, sockets[0], sockets[1])
    _handshake(charon, driver, conn, tmp_path, initiator)
    child = _check_views(
        driver.events, charon, GCM, ike_algs, esp_algs, charon_initiator=not initiator
    )
    (est,) = [e for e in driver.events if isinstance(e, IKESAEstablished)]
    log = charon.log_text()
    if signer == "ikewire":
        assert (est.local_auth, est.remote_auth) == (SIG, PSK_AUTH)
        _charon_checked(log, IKEWIRE_ID, SCHEME["ecdsa"])
        _charon_signed(log, "psk")
    else:
        assert (est.local_auth, est.remote_auth) == (PSK_AUTH, SIG)
        _charon_checked(log, IKEWIRE_ID, "psk")
        _charon_signed(log, SCHEME["ecdsa"])
    asyncio.run(_ping_through(driver, child))


@pytest.mark.parametrize("role", ROLES)
def test_default_proposals(any_charon: Charon, sockets: Any, tmp_path: Path, role: str) -> None:
    """charon with its default IKE and ESP proposal lists, ikewire with its defaults
    (IKEConfig: aes256gcm16-prfsha256-x25519, ESP aes256gcm16). As responder ikewire
    picks its suite out of charon's multi-transform proposals (RFC 7296 §3.3.6) and,
    when charon guessed another group (6.0.1 does), asks for its own with
    INVALID_KE_PAYLOAD (§1.3)."""
    charon = any_charon
    charon.start(CONN, "default", "default")
    initiator = role == "initiator"
    defaults = {f.name: f.default for f in dataclasses.fields(IKEConfig)}
    ike, esp = defaults["ike_proposals"][0], defaults["esp_proposals"][0]
    assert (ike, esp) == ("aes256gcm16-prfsha256-x25519", "aes256gcm16")
    cfg = config(ike, esp, initiator=initiator)
    conn = IKEConnection(cfg, initiator=initiator)
    driver = Driver(conn, sockets[0], sockets[1])
    _handshake(charon, driver, conn, tmp_path, initiator)
    ike_algs = {"encr-alg": "AES_GCM_16", "encr-keysize": "256",
                "prf-alg": "PRF_HMAC_SHA2_256", "dh-group": "CURVE_25519"}  # fmt: skip
    esp_algs = {"encr-alg": "AES_GCM_16", "encr-keysize": "256"}
    child = _check_views(
        driver.events, charon, ike, ike_algs, esp_algs, charon_initiator=not initiator
    )
    log = charon.log_text()
    configured = re.search(r"  proposals = (IKE:.*)", log)
    assert configured is not None and configured[1].count("IKE:") >= 2, "charon's defaults"
    if not initiator:
        first = re.search(r"sending packet: from \S+\[500\] to \S+\[500\] \((\d+) bytes\)", log)
        assert first is not None and int(first[1]) > 800, "charon's whole default list"
        if "N(INVAL_KE)" in log:  # charon's first guess was not X25519
            assert "parsed IKE_SA_INIT response 0 [ N(INVAL_KE) ]" in log
    asyncio.run(_ping_through(driver, child))


@pytest.mark.parametrize("role", ROLES)
def test_fragmented_ike_auth_rsa3072(
    any_charon: Charon, sockets: Any, tmp_path: Path, role: str
) -> None:
    """RSA-3072 certificates make IKE_AUTH about 2 kB; with 576-octet fragments both
    sides split and reassemble it (RFC 7383 §2.5) and validate each other's chain."""
    charon = any_charon
    esp, ike_algs, esp_algs = SUITES[GCM]
    pki = make_pki("rsa3072")
    charon.start(CONN, GCM, esp, pki=pki, extra="  fragment_size = 576\n  rsa_pss = yes")
    initiator = role == "initiator"
    cfg = _verifying(config(GCM, esp, initiator=initiator, pki=pki), pki)
    cfg = dataclasses.replace(cfg, fragment_size=576)
    conn = IKEConnection(cfg, initiator=initiator)
    driver = Driver(conn, sockets[0], sockets[1])
    _handshake(charon, driver, conn, tmp_path, initiator)
    child = _check_views(
        driver.events, charon, GCM, ike_algs, esp_algs, charon_initiator=not initiator
    )
    log = charon.log_text()
    splits = [
        int(n) for n in re.findall(r"splitting IKE message \(\d+ bytes\) into (\d+) fragments", log)
    ]
    assert splits and max(splits) >= 3, log[-3000:]
    assert "reassembled fragmented IKE message" in log
    assert max(len(d) for d, _ in driver.sent) <= 576 - 28  # IP + UDP headers
    # ikewire split its own IKE_AUTH (with its 3072-bit certificate) too
    assert sum(1 for d, _ in driver.sent if len(d) > 500) >= 3
    _charon_checked(log, IKEWIRE_ID, SCHEME["rsa3072"])
    asyncio.run(_ping_through(driver, child))
