"""The examples in examples/ run as users run them: as scripts, on real sockets.

The asyncio initiator and responder negotiate against each other over UDP on
127.0.0.1 (IKE_SA_INIT, IKE_AUTH, a Child SA rekey, the IKE SA's Delete: RFC 7296
§1.2, §2.8, §1.4.1); the fuzz harness runs a bounded number of inputs.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import selectors
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
STEP_TIMEOUT = 10.0  # seconds per exchange step; the whole run takes about a second


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float) -> list[str]:
    """Lines of ``proc``'s stdout up to the one containing ``needle`` (bounded)."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=deadline - time.monotonic()):
                continue
            line = proc.stdout.readline()
            if not line:
                break  # EOF: it died
            lines.append(line)
            if needle in line:
                return lines
    raise AssertionError(f"no {needle!r} from {proc.args!r}: {''.join(lines)}")


def test_asyncio_initiator_and_responder_on_loopback() -> None:
    responder_port, initiator_port = free_udp_port(), free_udp_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    responder = subprocess.Popen(
        [
            sys.executable,
            str(EXAMPLES / "asyncio_responder.py"),
            "--port",
            str(responder_port),
            "--once",
            "--timeout",
            str(4 * STEP_TIMEOUT),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        head = wait_for_line(responder, "listening on", STEP_TIMEOUT)
        initiator = subprocess.run(
            [
                sys.executable,
                str(EXAMPLES / "asyncio_initiator.py"),
                "--port",
                str(initiator_port),
                "--peer-port",
                str(responder_port),
                "--timeout",
                str(STEP_TIMEOUT),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=4 * STEP_TIMEOUT,
        )
        rest, _ = responder.communicate(timeout=2 * STEP_TIMEOUT)
    finally:
        if responder.poll() is None:
            responder.kill()
            responder.wait(timeout=5)
    out_i = initiator.stdout
    out_r = "".join(head) + rest
    assert initiator.returncode == 0, out_i + initiator.stderr
    assert responder.returncode == 0, out_r
    assert "Traceback" not in out_i + initiator.stderr + out_r

    # both sides report the same IKE SA, with each other's identities
    assert re.search(r"initiator: IKESAEstablished \S+ client\.example <-> gw\.example", out_i)
    assert re.search(r"responder K\d+: IKESAEstablished \S+ gw\.example <-> client\.example", out_r)

    # two Child SAs (the first and its rekey), SPIs mirrored: our inbound is their outbound
    child = re.compile(r"ChildSAEstablished ESP tunnel in=([0-9a-f]{8}) out=([0-9a-f]{8})")
    mine = child.findall(out_i)
    theirs = child.findall(out_r)
    assert len(mine) == 2, out_i
    assert [(o, i) for i, o in mine] == theirs, (out_i, out_r)
    assert "10.1.0.0/24 === 10.2.0.0/16" in out_i

    # make-before-break: the first Child SA is deleted after the rekey, then the IKE SA
    assert f"initiator: ChildSADeleted in={mine[0][0]} local=True" in out_i
    assert re.search(rf"responder K\d+: ChildSADeleted in={theirs[0][0]} local=False", out_r)
    assert "initiator: IKESADeleted local=True" in out_i
    assert re.search(r"responder K\d+: IKESADeleted local=False", out_r)
    assert "initiator done" in out_i
    assert "responder done" in out_r


def test_initiator_without_responder_fails_in_bounded_time() -> None:
    """Nobody listens: the initiator gives up after --timeout and exits 1."""
    start = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "asyncio_initiator.py"),
            "--port",
            str(free_udp_port()),
            "--peer-port",
            str(free_udp_port()),
            "--timeout",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no Child SA in time" in result.stdout
    assert time.monotonic() - start < 20


def _fuzz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / "fuzz_decode.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


# where pyproject.toml's dev extra installs atheris (its wheels: Linux x86-64, CPython
# 3.11-3.13); there CI must run it
ATHERIS_EXPECTED = (
    sys.platform == "linux" and platform.machine() == "x86_64" and sys.version_info < (3, 14)
)


@pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None
    and not (ATHERIS_EXPECTED and os.environ.get("CI") == "true"),
    reason="atheris not installed (Linux x86-64 wheels only)",
)
def test_fuzz_decode_with_atheris() -> None:
    """2000 coverage-guided inputs seeded from vectors/: decode is total and exact."""
    result = _fuzz("--runs", "2000")
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert "Done 2000 runs" in result.stderr, result.stderr[-4000:]
    assert "seed corpus: files: 5" in result.stderr  # the rusticata .bin seeds were used


def test_fuzz_decode_with_hypothesis() -> None:
    """The fallback runner: ikewire's strategies, generated and mutated messages."""
    result = _fuzz("--runs", "200", "--hypothesis")
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert "200 Hypothesis examples passed" in result.stdout


def test_fuzz_property_catches_a_broken_codec() -> None:
    """The harness's check fails for a codec that is not exact (it can fail)."""
    spec = importlib.util.spec_from_file_location("fuzz_decode", EXAMPLES / "fuzz_decode.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys_argv = sys.argv
    sys.argv = ["fuzz_decode.py", "--hypothesis"]  # no instrumentation on import
    try:
        spec.loader.exec_module(module)
    finally:
        sys.argv = sys_argv
    data = (ROOT / "vectors" / "rusticata-ipsec-parser" / "ike-sa-init-req.bin").read_bytes()
    module.check(data)  # a real message: decodes and re-encodes exactly
    module.check(data[:-1])  # truncated: a DecodeError, allowed

    real = module.ikewire

    class Broken:
        IKEError = real.IKEError
        decode = staticmethod(real.decode)

        @staticmethod
        def encode(msg: object) -> bytes:
            return bytes(real.encode(msg))[:-1]

    module.ikewire = Broken  # type: ignore[attr-defined]
    with pytest.raises(AssertionError, match="encode"):
        module.check(data)
