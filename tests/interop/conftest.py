"""Fixtures for interop tests against strongSwan's charon (see /scripts/interop.sh).

Topology (one per test session, names carry the pid): two network namespaces joined by
a veth pair, ``iw<pid>a`` (ikewire, 10.231.0.1/24) and ``iw<pid>b`` (charon,
10.231.0.2/24), no default route. Tunnel addresses sit on ``lo``: 10.231.1.1/32
(ikewire's side) and 10.231.2.1/32 (charon's). Each test gets its own charon, in its own
mount namespace with a tmpfs on /run (the compiled-in pid file), with the
kernel-libipsec plugin (this kernel has no ESP; libipsec fakes NAT detection, so IKE
moves to UDP 4500 and ESP is UDP-encapsulated). ikewire's sockets are created inside
``iw<pid>a`` from a short-lived thread that entered it with setns(2), so the test
process itself stays in the root namespace.

Every external step is bounded in time; charon is stopped by its pid (SIGTERM, then
SIGKILL) and the namespaces are deleted even when a test fails. Without root or
charon, tests skip — unless ``CI=true``, where a skip is a failure.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHARON = "/usr/lib/ipsec/charon"
SWANCTL = "/usr/sbin/swanctl"
# Debian 13 roots for the newer peers, made by scripts/interop-roots.sh (CI runs it)
ROOTS = Path(os.environ.get("IKEWIRE_INTEROP_CACHE", "/var/cache/ikewire-interop"))
IKEWIRE_ADDR = "10.231.0.1"
CHARON_ADDR = "10.231.0.2"
IKEWIRE_INNER = "10.231.1.1"
CHARON_INNER = "10.231.2.1"
IKEWIRE_ID = "ikewire.interop.test"
CHARON_ID = "charon.interop.test"
PSK = b"interop shared key, not secret"
STEP_TIMEOUT = 10.0
CLONE_NEWNET = 0x40000000


def _unavailable(reason: str) -> None:
    """Skip locally; under CI the environment is part of the contract: fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"interop environment missing under CI: {reason}")
    pytest.skip(reason)


def _run(*args: str, check: bool = True, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, check=check, capture_output=True, text=True, timeout=STEP_TIMEOUT, **kw
    )


@dataclass
class Topology:
    """The two namespaces of this session."""

    ns_ikewire: str
    ns_charon: str

    def in_ikewire(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run("ip", "netns", "exec", self.ns_ikewire, *cmd, check=check)

    def in_charon(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run("ip", "netns", "exec", self.ns_charon, *cmd, check=check)

    def udp_sockets(self, ports: tuple[int, ...] = (500, 4500)) -> list[socket.socket]:
        """UDP sockets bound to ikewire's address, created inside its namespace."""
        result: list[socket.socket] = []
        errors: list[BaseException] = []

        def work() -> None:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/var/run/netns/{self.ns_ikewire}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
                for port in ports:
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((IKEWIRE_ADDR, port))
                    s.setblocking(False)
                    result.append(s)
            except BaseException as exc:  # handed to the caller's thread
                errors.append(exc)
            finally:
                os.close(fd)

        t = threading.Thread(target=work)
        t.start()
        t.join(STEP_TIMEOUT)
        if errors:
            raise errors[0]
        return result


@pytest.fixture(scope="session")
def topology() -> Iterator[Topology]:
    if os.geteuid() != 0:
        _unavailable("interop tests need root (network namespaces)")
    for tool in (CHARON, SWANCTL):
        if not os.access(tool, os.X_OK):
            _unavailable(f"{tool} missing (apt-get install strongswan-charon strongswan-swanctl)")
    if shutil.which("ip") is None:
        _unavailable("iproute2 missing")
    tag = f"iw{os.getpid()}"
    topo = Topology(f"{tag}a", f"{tag}b")
    try:
        for ns in (topo.ns_ikewire, topo.ns_charon):
            _run("ip", "netns", "add", ns)
        _run(
            "ip", "link", "add", f"{tag}va", "netns", topo.ns_ikewire,
            "type", "veth", "peer", "name", f"{tag}vb", "netns", topo.ns_charon,
        )  # fmt: skip
        for ns, dev, addr, inner in (
            (topo.ns_ikewire, f"{tag}va", IKEWIRE_ADDR, IKEWIRE_INNER),
            (topo.ns_charon, f"{tag}vb", CHARON_ADDR, CHARON_INNER),
        ):
            ex = ("ip", "netns", "exec", ns)
            _run(*ex, "ip", "link", "set", "lo", "up")
            _run(*ex, "ip", "addr", "add", f"{inner}/32", "dev", "lo")
            _run(*ex, "ip", "addr", "add", f"{addr}/24", "dev", dev)
            _run(*ex, "ip", "link", "set", dev, "up")
            for key in ("all", "default"):
                _run(*ex, "sysctl", "-qw", f"net.ipv4.conf.{key}.rp_filter=0", check=False)
        yield topo
    finally:
        for ns in (topo.ns_ikewire, topo.ns_charon):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=STEP_TIMEOUT)


STRONGSWAN_CONF = """\
charon {{
  load = random nonce openssl aes sha1 sha2 hmac gcm chapoly curve25519 gmp x509 pem pkcs1 pkcs8 pubkey constraints kdf curl kernel-libipsec kernel-netlink socket-default vici
  port = 500
  port_nat_t = 4500
  retransmit_tries = 3
  retransmit_timeout = 2.0
{extra}
  plugins {{
    vici {{
      socket = unix://{dir}/charon.vici
    }}
  }}
  filelog {{
    charon {{
      path = {dir}/charon.log
      time_format = %H:%M:%S
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
      mgr = 2
      cfg = 2
      net = 2
      enc = 1
    }}
  }}
}}
"""

SWANCTL_CONF = """\
connections {{
  {name} {{
    version = 2
    local_addrs = {charon_addr}
    remote_addrs = {ikewire_addr}
    proposals = {ike}
    mobike = no
    dpd_delay = 0
    send_cert = always{conn_extra}
    local {{
      auth = {local_auth}
      id = {charon_id}{local_extra}
    }}
    remote {{
      auth = {remote_auth}
      id = {ikewire_id}
    }}
    children {{
      net {{
        local_ts = {charon_inner}/32
        remote_ts = {remote_ts}
        esp_proposals = {esp}
        start_action = none{child_extra}
      }}
    }}
  }}
}}
secrets {{
  ike-interop {{
    id-1 = {charon_id}
    id-2 = {ikewire_id}
    secret = "{psk}"
  }}
}}
{pools}"""


@dataclass(frozen=True)
class PKI:
    """A CA and the two end entities it certifies (PEM for charon, DER for ikewire)."""

    kind: str
    ca_pem: bytes
    charon_key_pem: bytes
    charon_cert_pem: bytes
    charon_cert_der: bytes
    ikewire_key: Any
    ikewire_cert_der: bytes


def make_pki(kind: str) -> PKI:
    """A fresh CA, charon and ikewire certificates, all with ``kind`` keys: "ecdsa"
    (P-256), "rsa" (2048 bits), "rsa3072" or "ed25519"."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.x509.oid import NameOID

    def key() -> Any:
        if kind in ("rsa", "rsa3072"):
            size = 3072 if kind == "rsa3072" else 2048
            return rsa.generate_private_key(public_exponent=65537, key_size=size)
        if kind == "ed25519":
            return ed25519.Ed25519PrivateKey.generate()
        assert kind == "ecdsa", kind
        return ec.generate_private_key(ec.SECP256R1())

    now = datetime.datetime.now(datetime.UTC)

    def cert(subject: str, pub: Any, issuer: str, signer: Any, ca: bool) -> x509.Certificate:
        b = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), False)
        return b.sign(signer, None if kind == "ed25519" else hashes.SHA256())

    ca_key, charon_key, ikewire_key = key(), key(), key()
    ca = cert("ikewire interop CA", ca_key.public_key(), "ikewire interop CA", ca_key, True)
    charon_cert = cert(CHARON_ID, charon_key.public_key(), "ikewire interop CA", ca_key, False)
    ikewire_cert = cert(IKEWIRE_ID, ikewire_key.public_key(), "ikewire interop CA", ca_key, False)
    pem, der = serialization.Encoding.PEM, serialization.Encoding.DER
    return PKI(
        kind=kind,
        ca_pem=ca.public_bytes(pem),
        charon_key_pem=charon_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        charon_cert_pem=charon_cert.public_bytes(pem),
        charon_cert_der=charon_cert.public_bytes(der),
        ikewire_key=ikewire_key,
        ikewire_cert_der=ikewire_cert.public_bytes(der),
    )


class Charon:
    """One running charon in the charon namespace, with its vici socket and log."""

    def __init__(self, topo: Topology, directory: Path, root: Path | None = None) -> None:
        self.topo = topo
        self.dir = directory
        self.root = root  # a debootstrap root to chroot into (strongSwan 6.0.1), or None
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = directory / "charon.log"
        self.uri = f"unix://{directory}/charon.vici"

    def start(
        self,
        name: str,
        ike: str,
        esp: str,
        *,
        pki: PKI | None = None,
        extra: str = "",
        conn_extra: str = "",
        child_extra: str = "",
        remote_ts: str | None = None,
        pools: str = "",
        local_auth: str | None = None,
        remote_auth: str | None = None,
    ) -> None:
        """Start charon with one connection ``name``: PSK, or with ``pki`` certificates
        (charon's key and certificate, the CA that issued ikewire's); ``extra`` are
        more ``charon {}`` options (strongswan.conf syntax). ``local_auth`` and
        ``remote_auth`` ("psk", "pubkey") set each direction on its own (RFC 7296 §2.15)."""
        d = self.dir
        for sub in ("x509", "x509ca", "private"):
            (d / "swanctl" / sub).mkdir(parents=True, exist_ok=True)
        local_extra = ""
        auth = "psk" if pki is None else "pubkey"
        local_auth = local_auth or auth
        remote_auth = remote_auth or auth
        if pki is not None:
            (d / "swanctl" / "x509ca" / "ca.pem").write_bytes(pki.ca_pem)
            (d / "swanctl" / "x509" / "charon.pem").write_bytes(pki.charon_cert_pem)
            (d / "swanctl" / "private" / "charon.pem").write_bytes(pki.charon_key_pem)
            if local_auth == "pubkey":
                local_extra = "\n      certs = charon.pem"
        (d / "strongswan.conf").write_text(STRONGSWAN_CONF.format(dir=d, extra=extra))
        (d / "swanctl" / "swanctl.conf").write_text(
            SWANCTL_CONF.format(
                name=name,
                local_auth=local_auth,
                remote_auth=remote_auth,
                local_extra=local_extra,
                ike=ike,
                esp=esp,
                charon_addr=CHARON_ADDR,
                ikewire_addr=IKEWIRE_ADDR,
                charon_inner=CHARON_INNER,
                ikewire_inner=IKEWIRE_INNER,
                charon_id=CHARON_ID,
                ikewire_id=IKEWIRE_ID,
                psk=PSK.decode(),
                conn_extra=conn_extra,
                child_extra=child_extra,
                remote_ts=remote_ts or f"{IKEWIRE_INNER}/32",
                pools=pools,
            )
        )
        script = f"mount -t tmpfs r /run && exec env STRONGSWAN_CONF={d}/strongswan.conf {CHARON}"
        if self.root is not None:
            # charon of the root sees this test's directory at the same path (a bind
            # mount on a tmpfs, private to its mount namespace), /dev for the TUN
            # device kernel-libipsec opens, and its own /proc and /run
            r = self.root
            script = (
                f"mount -t tmpfs r {r}/run && mount -t tmpfs t {r}/tmp && "
                f"mkdir -p {r}{d} && mount --bind {d} {r}{d} && "
                f"mount --bind /dev {r}/dev && mount -t proc p {r}/proc && "
                f"exec chroot {r} env STRONGSWAN_CONF={d}/strongswan.conf {CHARON}"
            )
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.topo.ns_charon, "unshare", "-m",
             "--propagation", "private", "sh", "-c", script],
            stdout=open(d / "charon.stdout", "wb"),  # noqa: SIM115 - closed with the process
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + STEP_TIMEOUT
        while not (d / "charon.vici").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"charon did not start:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)
        # without its openssl plugin (Debian 12: libstrongswan-standard-plugins) charon
        # has no ECP groups, RSA or ECDSA and refuses suites later, obscurely
        if "plugin 'openssl': failed to load" in self.log_text():
            raise RuntimeError(
                "charon could not load its openssl plugin: install libstrongswan-standard-plugins"
            )
        self.swanctl("--load-all", "--file", str(d / "swanctl" / "swanctl.conf"))

    def swanctl(self, *args: str, timeout: float = STEP_TIMEOUT) -> str:
        env = dict(os.environ, SWANCTL_DIR=str(self.dir / "swanctl"))
        out = subprocess.run(
            [SWANCTL, *args, "--uri", self.uri],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"swanctl {' '.join(args)} failed: {out.stdout}{out.stderr}")
        return out.stdout

    def swanctl_async(self, *args: str) -> subprocess.Popen[str]:
        env = dict(os.environ, SWANCTL_DIR=str(self.dir / "swanctl"))
        return subprocess.Popen(
            [SWANCTL, *args, "--uri", self.uri],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )

    def list_sas(self) -> dict[str, Any]:
        """``swanctl --list-sas --raw`` parsed: {ike_sa_name: {key: value or dict}}."""
        out: dict[str, Any] = {}
        for line in self.swanctl("--list-sas", "--raw").splitlines():
            line = line.strip()
            if line.startswith("list-sa event"):
                out.update(parse_vici_raw(line[len("list-sa event") :]))
        return out

    def version(self) -> str:
        """The strongSwan version charon announced in its log ("5.9.8", "6.0.1")."""
        m = re.search(r"Starting IKE charon daemon \(strongSwan ([0-9.]+)", self.log_text())
        return m.group(1) if m else "unknown"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


_TOKEN = re.compile(r"\s*(?:([A-Za-z0-9_.\-]+)\s*(=|\{|\[)|(\})|(\]))")


def parse_vici_raw(text: str) -> dict[str, Any]:
    """Parse swanctl's ``--raw`` output (vici message as text): ``k=v``, ``k {…}``,
    ``k [a b]``. Values are strings; sections dicts; lists lists of strings."""
    pos = 0
    stack: list[dict[str, Any]] = [{}]
    text = text.strip()
    # the outer braces enclose the message
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"cannot parse vici raw at {pos}: {text[pos : pos + 40]!r}")
        pos = m.end()
        if m.group(3):
            stack.pop()
            continue
        key, kind = m.group(1), m.group(2)
        if kind == "{":
            child: dict[str, Any] = {}
            stack[-1][key] = child
            stack.append(child)
        elif kind == "[":
            end = text.index("]", pos)
            stack[-1][key] = text[pos:end].split()
            pos = end + 1
        elif text.startswith("[", pos):
            end = text.index("]", pos)
            stack[-1][key] = text[pos + 1 : end].split()
            pos = end + 1
        else:
            end = pos
            while end < len(text) and not text[end].isspace() and text[end] != "}":
                end += 1
            stack[-1][key] = text[pos:end]
            pos = end
    return stack[0]


@pytest.fixture
def charon(topology: Topology, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Charon]:
    c = Charon(topology, tmp_path)
    try:
        yield c
    finally:
        c.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(f"---- charon log ({c.log}) tail ----")
            print(c.log_text()[-6000:])


def peer_root(name: str) -> Path:
    """The Debian 13 root ``name`` made by scripts/interop-roots.sh, or skip (fail in CI)."""
    root = ROOTS / name
    if not (root / ".ready").exists():
        _unavailable(f"no {name} root at {root}: run scripts/interop-roots.sh (as root)")
    return root


@pytest.fixture(params=["5.9.8", "6.0.1"])
def any_charon(
    topology: Topology, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Charon]:
    """charon of strongSwan 5.9.8 (Debian 12, this system) or 6.0.1 (the Debian 13 root)."""
    root = None if request.param == "5.9.8" else peer_root("strongswan6")
    c = Charon(topology, tmp_path, root)
    try:
        yield c
        if c.log.exists():
            assert c.version() == request.param
    finally:
        c.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(f"---- charon {request.param} log ({c.log}) tail ----")
            print(c.log_text()[-6000:])


@pytest.fixture
def charon6(topology: Topology, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Charon]:
    """strongSwan 6.0.1's charon from the Debian 13 root, in charon's namespace."""
    c = Charon(topology, tmp_path, peer_root("strongswan6"))
    try:
        yield c
    finally:
        c.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(f"---- charon 6 log ({c.log}) tail ----")
            print(c.log_text()[-6000:])


@pytest.fixture
def sockets(topology: Topology) -> Iterator[tuple[socket.socket, socket.socket]]:
    socks = topology.udp_sockets()
    try:
        yield socks[0], socks[1]
    finally:
        for s in socks:
            s.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{rep.when}", rep)


IPSEC_CONF = """\
config setup
  logtime=yes
  plutodebug=base
conn {name}
  keyexchange=ikev2
  left={peer_addr}
  leftid=@{peer_id}
  right={ikewire_addr}
  rightid=@{ikewire_id}
{auth}
{algs}
  leftsubnet={peer_inner}/32
  rightsubnet={ikewire_inner}/32
  retransmit-interval=2000ms
  retransmit-timeout=30s
{extra}
  auto=add
"""


class Pluto:
    """libreswan 5.2's pluto from its Debian 13 root, in the peer namespace.

    pluto runs chrooted in its own mount namespace (a tmpfs /run, this test's directory
    bound at the same path); its control socket sits in that directory, and ``whack``
    runs in pluto's namespaces (nsenter) to reach it.
    """

    def __init__(self, topo: Topology, directory: Path, root: Path) -> None:
        self.topo = topo
        self.dir = directory
        self.root = root
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = directory / "pluto.log"
        self.ctl = directory / "run" / "pluto.ctl"

    def start(
        self,
        name: str,
        ike: str,
        esp: str,
        *,
        extra: str = "",
        pki: PKI | None = None,
        signer: str | None = None,
    ) -> None:
        """Start pluto with one connection ``name`` (libreswan's ``ike=``/``esp=``
        syntax, or "default" for its own lists; ``extra`` more conn lines) and load it:
        PSK, or with ``pki`` the peer's certificate and key (PKCS#12) and the CA
        imported into its NSS database; ``signer`` ("pluto" or "ikewire") makes only
        that side sign and the other prove the PSK (RFC 7296 §2.15)."""
        d, r = self.dir, self.root
        (d / "run").mkdir(parents=True, exist_ok=True)
        (d / "nss").mkdir(exist_ok=True)
        nss_import = auth = ""
        if pki is not None:
            from cryptography import x509
            from cryptography.hazmat.primitives.serialization import (
                BestAvailableEncryption,
                load_pem_private_key,
                pkcs12,
            )

            (d / "ca.pem").write_bytes(pki.ca_pem)
            p12 = pkcs12.serialize_key_and_certificates(
                b"peer",
                load_pem_private_key(pki.charon_key_pem, None),  # type: ignore[arg-type]
                x509.load_pem_x509_certificate(pki.charon_cert_pem),
                None,
                BestAvailableEncryption(b"interop"),
            )
            (d / "peer.p12").write_bytes(p12)
            nss_import = (
                f"certutil -A -d sql:{d}/nss -n ca -t CT,, -i {d}/ca.pem && "
                f"pk12util -i {d}/peer.p12 -d sql:{d}/nss -W interop >/dev/null && "
            )
            method = {"ecdsa": "ecdsa", "ed25519": "eddsa"}.get(pki.kind, "rsasig")
            auth = {
                None: f"  authby={method}",
                "pluto": f"  leftauth={method}\n  rightauth=secret",
                "ikewire": f"  leftauth=secret\n  rightauth={method}",
            }[signer]
            extra = "  leftcert=peer\n  leftsendcert=always\n  rightca=%same\n" + extra
        conf = IPSEC_CONF.format(
            dir=d, name=name, peer_addr=CHARON_ADDR, peer_id=CHARON_ID,
            ikewire_addr=IKEWIRE_ADDR, ikewire_id=IKEWIRE_ID,
            algs=f"  ike={ike}\n  esp={esp}" if ike != "default" else "",
            peer_inner=CHARON_INNER, ikewire_inner=IKEWIRE_INNER, extra=extra,
            auth="  authby=secret" if pki is None else auth,
        )  # fmt: skip
        (d / "ipsec.conf").write_text(conf)
        (d / "ipsec.secrets").write_text(f'@{CHARON_ID} @{IKEWIRE_ID} : PSK "{PSK.decode()}"\n')
        script = (
            f"mount -t tmpfs r {r}/run && mount -t tmpfs t {r}/tmp && "
            f"mkdir -p {r}{d} {r}/run/pluto && mount --bind {d} {r}{d} && "
            f"mount --bind /dev {r}/dev && mount -t proc p {r}/proc && "
            f"exec chroot {r} sh -c 'ipsec initnss --nssdir {d}/nss >/dev/null 2>&1; "
            f"{nss_import}"
            f"exec /usr/libexec/ipsec/pluto --nofork --config {d}/ipsec.conf "
            f"--nssdir {d}/nss --secretsfile {d}/ipsec.secrets --stderrlog "
            f"--rundir {d}/run'"
        )
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.topo.ns_charon, "unshare", "-m",
             "--propagation", "private", "sh", "-c", script],
            # pluto's --logfile is block-buffered; stderr is written as it goes
            stdout=open(self.log, "wb"),  # noqa: SIM115 - closed with the process
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + STEP_TIMEOUT
        while not self.ctl.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pluto did not start:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)
        self.run("/usr/libexec/ipsec/addconn", "--ctlsocket", str(self.ctl),
                 "--config", str(d / "ipsec.conf"), name)  # fmt: skip
        self.whack("--listen")
        self.whack("--rereadsecrets")

    def run(self, *cmd: str, timeout: float = STEP_TIMEOUT, check: bool = True) -> str:
        """``cmd`` inside pluto's network and mount namespaces and its root."""
        assert self.proc is not None
        out = subprocess.run(
            ["nsenter", "-t", str(self.proc.pid), "-m", "-n", "chroot", str(self.root), *cmd],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if check and out.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({out.returncode}): {out.stdout}{out.stderr}"
            )
        return out.stdout + out.stderr

    def whack(self, *args: str, timeout: float = STEP_TIMEOUT, check: bool = True) -> str:
        return self.run("/usr/libexec/ipsec/whack", "--ctlsocket", str(self.ctl), *args,
                        timeout=timeout, check=check)  # fmt: skip

    def whack_async(self, *args: str) -> subprocess.Popen[str]:
        assert self.proc is not None
        return subprocess.Popen(
            ["nsenter", "-t", str(self.proc.pid), "-m", "-n", "chroot", str(self.root),
             "/usr/libexec/ipsec/whack", "--ctlsocket", str(self.ctl), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def version(self) -> str:
        m = re.search(r"Starting Pluto \(Libreswan Version ([0-9.]+)", self.log_text())
        return m.group(1) if m else "unknown"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


@pytest.fixture
def pluto(topology: Topology, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Pluto]:
    """libreswan 5.2's pluto from the Debian 13 root, in the peer namespace."""
    p = Pluto(topology, tmp_path, peer_root("libreswan"))
    try:
        yield p
    finally:
        p.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(f"---- pluto log ({p.log}) tail ----")
            print(p.log_text()[-6000:])
