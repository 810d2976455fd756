"""The ``ikewire`` command, run as a user runs it (``python -m ikewire``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "wireshark"
TABLE = VECTORS / "config" / "ikev2_decryption_table.tmpl"


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ikewire", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


def test_decode_capture_with_keys_shows_what_wireshark_asserts() -> None:
    """The AUTH data Wireshark's own decryption test asserts (wireshark/SOURCES.md)
    appears inside the opened SK payloads."""
    cap = VECTORS / "captures" / "ikev2-decrypt-aes256gcm16.pcap"
    out = _run("decode", str(cap), "--keys", str(TABLE), "--json")
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    assert [r["exchange"] for r in records][:4] == [
        "IKE_SA_INIT",
        "IKE_SA_INIT",
        "IKE_AUTH",
        "IKE_AUTH",
    ]
    auth = [
        q["data"]
        for r in records
        for p in r["payloads"]
        for q in p.get("inner", [])
        if q["type"] == "AUTH"
    ]
    assert "9ab71f14ab553cad873a1aa70b99df155dee77cdcf3694b3b7527acbb9712ded" in auth


def test_tree_output_names_payloads() -> None:
    cap = VECTORS / "captures" / "ikev2-decrypt-aes256cbc.pcapng"
    out = _run("decode", str(cap), "--keys", str(TABLE))
    assert out.returncode == 0, out.stderr
    assert "IKE_SA_INIT request from initiator" in out.stdout
    assert "(opened)" in out.stdout
    assert "AUTH method=SHARED_KEY_MESSAGE_INTEGRITY_CODE" in out.stdout


def test_hex_from_stdin_and_bad_input() -> None:
    cap = VECTORS / "captures" / "ikev2-decrypt-aes256gcm16.pcap"
    first = json.loads(_run("decode", str(cap), "--json").stdout)[0]
    assert first["payloads"][0]["type"] == "SA"
    bad = _run("decode", "not-hex-and-not-a-file")
    assert bad.returncode == 2
    assert "not a file and not hex" in bad.stderr
    short = _run("decode", "-", stdin="0102")
    assert short.returncode == 1
    assert "28-octet IKE header" in short.stderr


def test_wrong_key_names_the_message(tmp_path: Path) -> None:
    """A wrong key reports which message failed integrity, not a traceback."""
    line = TABLE.read_text().splitlines()[-1]
    fields = line.split(",")
    fields[2] = "00" * (len(fields[2]) // 2)  # wrong SK_ei
    table = tmp_path / "keys.csv"
    table.write_text(",".join(fields) + "\n")
    cap = VECTORS / "captures" / "ikev2-decrypt-aes256gcm16.pcap"
    out = _run("decode", str(cap), "--keys", str(table))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "frame 3" in out.stderr


def test_ikev1_capture_and_4500_framing() -> None:
    """IKEv1 decodes on the same command; on port 4500 ESP and keepalives are named."""
    base = VECTORS.parent / "tcpdump" / "tests"
    out = _run("decode", str(base / "ISAKMP_sa_setup.pcap"))
    assert out.returncode == 0, out.stderr
    assert "IKEv1 IDENTITY_PROTECTION" in out.stdout
    esp = _run("decode", str(base / "espudp1.pcap"))
    assert "ESP (SPI 0x" in esp.stdout


def test_long_hex_argument_is_hex_not_a_file_name() -> None:
    """A whole IKE_SA_INIT as one hex argument is longer than a file name may be: it
    is decoded, not reported as an OS error."""
    from ikewire.pcap import iter_udp

    capture = VECTORS / "captures" / "ikev2-decrypt-aes256gcm16.pcap"
    first = next(iter(iter_udp(capture))).payload
    assert len(first.hex()) > 255
    out = _run("decode", first.hex())
    assert out.returncode == 0, out.stderr
    assert "IKE_SA_INIT request" in out.stdout


def test_decode_opens_ikev1_with_wiresharks_ikev1_table() -> None:
    """``--keys`` also takes Wireshark's ``ikev1_decryption_table``: the encrypted IKEv1
    messages open (RFC 2409 Appendix B) and the hash Wireshark's own test asserts for
    this capture appears; without the keys it does not."""
    capture = VECTORS / "captures" / "ikev1-bug-12610.pcapng.gz"
    table = VECTORS / "config" / "ikev1_decryption_table.tmpl"
    needle = "b52521f774967402c9f6cee95fd17e5b"  # Wireshark's test_decryption
    opened = _run("decode", str(capture), "--keys", str(table), "--json")
    assert opened.returncode == 0, opened.stderr
    assert needle in opened.stdout
    closed = _run("decode", str(capture), "--json")
    assert closed.returncode == 0 and needle not in closed.stdout
