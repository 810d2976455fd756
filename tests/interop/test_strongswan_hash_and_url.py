"""Hash and URL (RFC 7296 §3.6, §3.10.1) against strongSwan 5.9.8 and 6.0.1 — the
"rw-hash-and-url" behaviour: with ``charon.hash_and_url = yes`` charon announces
HTTP_CERT_LOOKUP_SUPPORTED, sends its own certificate as hash and URL (its CA's
``cert_uri_base`` followed by the certificate's SHA-1 in hex) to a peer that announced
it, and fetches what the peer names with its curl plugin.

ikewire's side fetches nothing itself: the test is its caller, answering each
CertificateFetchRequested from the web server it runs for the peers — a small HTTP
server on ikewire's address inside ikewire's namespace, which charon's curl reaches
over the veth pair.
"""

from __future__ import annotations

import asyncio
import ctypes
import dataclasses
import hashlib
import http.server
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from ikewire.aio import Driver
from ikewire.connection.events import (
    CertificateFetchRequested,
    ChildSAEstablished,
    ConnectionFailed,
    IKESAEstablished,
)
from ikewire.connection.ike_sa import IKEConnection
from ikewire.connection.trust import TrustStore
from ikewire.constants import CertEncoding

from .conftest import (
    CLONE_NEWNET,
    IKEWIRE_ADDR,
    IKEWIRE_ID,
    STEP_TIMEOUT,
    Charon,
    Topology,
    make_pki,
)
from .test_strongswan import (
    CONN,
    GCM,
    HANDSHAKE_TIMEOUT,
    SUITES,
    _check_views,
    _dump,
    config,
)

pytestmark = pytest.mark.slow
PORT = 8080
BASE = f"http://{IKEWIRE_ADDR}:{PORT}/"


class Web:
    """An HTTP server on ikewire's address, inside ikewire's namespace."""

    def __init__(self, topo: Topology) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        web = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                web.requests.append(self.path)
                body = web.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/pkix-cert")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        listener = self._listen(topo)
        self.server = http.server.HTTPServer((IKEWIRE_ADDR, PORT), Handler, bind_and_activate=False)
        self.server.socket.close()
        self.server.socket = listener
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @staticmethod
    def _listen(topo: Topology) -> socket.socket:
        out: list[socket.socket] = []
        errors: list[BaseException] = []

        def work() -> None:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/var/run/netns/{topo.ns_ikewire}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((IKEWIRE_ADDR, PORT))
                s.listen(8)
                out.append(s)
            except BaseException as exc:  # handed to the caller's thread
                errors.append(exc)
            finally:
                os.close(fd)

        t = threading.Thread(target=work)
        t.start()
        t.join(STEP_TIMEOUT)
        if errors:
            raise errors[0]
        return out[0]

    def url(self, path: str) -> str:
        return BASE + path.lstrip("/")

    def get(self, url: str) -> bytes:
        """What a GET of ``url`` returns (the caller's fetch, from the same files)."""
        assert url.startswith(BASE), url
        return self.files["/" + url[len(BASE) :]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def web(topology: Topology) -> Iterator[Web]:
    w = Web(topology)
    try:
        yield w
    finally:
        w.close()


def _start(charon: Charon, pki: Any) -> None:
    charon.start(
        CONN, GCM, SUITES[GCM][0], pki=pki,
        extra="  hash_and_url = yes",
        pools=f"authorities {{\n  interop-ca {{\n    cacert = ca.pem\n    cert_uri_base = {BASE}\n  }}\n}}\n",
    )  # fmt: skip


@pytest.mark.parametrize("role", ["initiator", "responder"])
def test_hash_and_url_both_ways(
    any_charon: Charon, sockets: Any, tmp_path: Path, web: Web, role: str
) -> None:
    """ikewire (policy "allow") and charon each send their certificate as hash and URL;
    charon's curl fetches ikewire's from the web server, ikewire's caller fetches
    charon's; both check the SHA-1 and validate the chain to the CA."""
    charon = any_charon
    pki = make_pki("ecdsa")
    charon_der = pki.charon_cert_der
    web.files["/" + hashlib.sha1(charon_der).hexdigest()] = charon_der  # cert_uri_base + hash
    web.files["/ikewire.der"] = pki.ikewire_cert_der
    _start(charon, pki)
    initiator = role == "initiator"
    ca = x509.load_pem_x509_certificate(pki.ca_pem)
    cfg = dataclasses.replace(
        config(GCM, SUITES[GCM][0], initiator=initiator, pki=pki),
        remote_certificate=None,
        trust_store=TrustStore(anchors=(ca,)),
        hash_and_url="allow",
        certificate_urls={pki.ikewire_cert_der: web.url("/ikewire.der")},
    )
    conn = IKEConnection(cfg, initiator=initiator)
    driver = Driver(conn, sockets[0], sockets[1])
    fetched: list[CertificateFetchRequested] = []

    def answering(d: Driver) -> bool:
        for event in d.events:
            if isinstance(event, CertificateFetchRequested) and event not in fetched:
                fetched.append(event)
                conn.supply_certificate(event.url, web.get(event.url), d.now())
        return any(isinstance(e, ChildSAEstablished | ConnectionFailed) for e in d.events)

    async def go() -> None:
        if initiator:
            conn.initiate(driver.now())
        else:
            initiate = charon.swanctl_async(
                "--initiate", "--ike", CONN, "--child", "net", "--timeout", "10"
            )
        ok = await driver.run(answering, HANDSHAKE_TIMEOUT)
        await driver.flush()
        _dump(driver, tmp_path / "ikewire.hex")
        assert ok, driver.events
        if not initiator:
            out, _ = initiate.communicate(timeout=10)
            assert initiate.returncode == 0, out

    asyncio.run(go())
    _esp, ike_algs, esp_algs = SUITES[GCM]
    _check_views(driver.events, charon, GCM, ike_algs, esp_algs, charon_initiator=not initiator)
    (request,) = fetched
    assert request.url == BASE + hashlib.sha1(charon_der).hexdigest()
    assert request.encoding == CertEncoding.HASH_AND_URL_X509_CERTIFICATE
    assert request.sha1 == hashlib.sha1(charon_der).digest()
    assert "/ikewire.der" in web.requests, "charon did not fetch ikewire's certificate"
    log = charon.log_text()
    assert f"fetching certificate from '{web.url('/ikewire.der')}'" in log or (
        web.url("/ikewire.der") in log
    ), log[-3000:]
    assert f"authentication of '{IKEWIRE_ID}' with ECDSA_WITH_SHA256_DER successful" in log
    assert any(isinstance(e, IKESAEstablished) for e in driver.events)
