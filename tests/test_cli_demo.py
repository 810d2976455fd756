"""``ikewire demo`` and ``ikewire keys``, run as a user runs them (the console script)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WIRESHARK_TABLE = ROOT / "vectors" / "wireshark" / "config" / "ikev2_decryption_table.tmpl"
_SCRIPT = Path(sys.executable).parent / "ikewire"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "ikewire"]


def _run(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


def test_demo_prints_exchanges_and_both_displays() -> None:
    out = _run("demo")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    exchanges = [line.split("  ", 4)[-1].split(" [")[0] for line in lines if " -> " in line]
    assert exchanges == [
        "IKE_SA_INIT request #0",
        "IKE_SA_INIT response #0",
        "IKE_AUTH request #1",
        "IKE_AUTH response #1",
        "INFORMATIONAL request #2",
        "INFORMATIONAL response #2",
    ]
    assert "IKE_AUTH request #1 [SK{IDi, IDr, AUTH, SA, TSi, TSr}]" in out.stdout
    assert "INFORMATIONAL request #2 [SK{D(IKE)}]" in out.stdout
    assert "IKE SA  version IKEv2  role initiator  state ESTABLISHED" in lines
    assert "IKE SA  version IKEv2  role responder  state ESTABLISHED" in lines
    assert sum(line.startswith("  Child SA ESP tunnel") for line in lines) == 2
    assert lines[-1] == "== end: initiator CLOSED, responder CLOSED"
    # Both displays describe the same SA.
    spis = [line for line in lines if line.startswith("  SPIs ")]
    assert len(spis) == 2 and spis[0] == spis[1]


def test_demo_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    runs = []
    for n in range(2):
        pcap, keys = tmp_path / f"{n}.pcap", tmp_path / f"{n}.table"
        out = _run("demo", "--seed", "7", "--pcap", pcap, "--keys", keys)
        assert out.returncode == 0, out.stderr
        runs.append((out.stdout, pcap.read_bytes(), keys.read_text()))
    assert runs[0] == runs[1]
    other = _run("demo", "--seed", "8")
    assert other.returncode == 0
    assert other.stdout != runs[0][0]


@pytest.mark.parametrize(
    ("suite", "esp"),
    [
        ("aes256gcm16-prfsha256-x25519", "aes256gcm16"),
        ("aes128-sha256-ecp256", "aes128-sha1"),
    ],
)
def test_demo_capture_opens_with_demo_keys(suite: str, esp: str, tmp_path: Path) -> None:
    """``demo --pcap --keys`` then ``decode --keys``: every SK payload opens."""
    pcap, table = tmp_path / "demo.pcap", tmp_path / "demo.table"
    demo = _run("demo", "--suite", suite, "--esp", esp, "--pcap", pcap, "--keys", table)
    assert demo.returncode == 0, demo.stderr
    out = _run("decode", pcap, "--keys", table, "--json")
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    assert [(r["exchange"], r["message_id"]) for r in records] == [
        ("IKE_SA_INIT", 0),
        ("IKE_SA_INIT", 0),
        ("IKE_AUTH", 1),
        ("IKE_AUTH", 1),
        ("INFORMATIONAL", 2),
        ("INFORMATIONAL", 2),
    ]
    sk = [p for r in records for p in r["payloads"] if p["type"] == "SK"]
    assert len(sk) == 4
    assert all("inner" in p for p in sk)
    assert [q["type"] for q in sk[0]["inner"]] == ["IDi", "IDr", "AUTH", "SA", "TSi", "TSr"]
    assert [q["type"] for q in sk[2]["inner"]] == ["D"]
    sources = [r["source"] for r in records]
    assert sources[0] == "frame 1  192.0.2.1:500 -> 198.51.100.2:500"
    assert sources[1] == "frame 2  198.51.100.2:500 -> 192.0.2.1:500"


def test_keys_converts_both_ways(tmp_path: Path) -> None:
    """Wireshark's own table (wireshark/SOURCES.md) -> ikewire JSON -> the same table."""
    as_json = _run("keys", WIRESHARK_TABLE)
    assert as_json.returncode == 0, as_json.stderr
    doc = json.loads(as_json.stdout)
    assert doc["format"] == "ikewire-ike-sa-keys"
    gcm = next(sa for sa in doc["ike_sas"] if sa["encr"] == "ENCR_AES_GCM_16")
    assert gcm["integ"] == "NONE" and gcm["prf"] is None and gcm["sk_d"] == ""
    unchecked = [sa for sa in doc["ike_sas"] if "unchecked_icv_size" in sa]
    assert unchecked and all(sa["unchecked_icv_size"] == 12 for sa in unchecked)
    json_file = tmp_path / "keys.json"
    json_file.write_text(as_json.stdout)
    back = _run("keys", json_file, "-o", tmp_path / "back.table")
    assert back.returncode == 0, back.stderr
    original = [
        line
        for line in WIRESHARK_TABLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert (tmp_path / "back.table").read_text().splitlines() == original
    # --to forces a format; stdin works.
    same = _run("keys", "-", "--to", "json", stdin=json_file.read_text())
    assert same.returncode == 0 and json.loads(same.stdout) == doc


def test_decode_accepts_ikewire_json_keys(tmp_path: Path) -> None:
    pcap, table = tmp_path / "demo.pcap", tmp_path / "demo.table"
    assert _run("demo", "--pcap", pcap, "--keys", table).returncode == 0
    keys_json = tmp_path / "demo.json"
    assert _run("keys", table, "-o", keys_json).returncode == 0
    sa = json.loads(keys_json.read_text())["ike_sas"][0]
    assert sa["spi_i"] == table.read_text().split(",")[0]
    out = _run("decode", pcap, "--keys", keys_json, "--json")
    assert out.returncode == 0, out.stderr
    opened = [p for r in json.loads(out.stdout) for p in r["payloads"] if "inner" in p]
    assert len(opened) == 4


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("demo", "--seed", "x"), "invalid int value"),
        (("demo", "--suite", "aes999-nothing"), "demo:"),
        (
            ("demo", "--suite", "chacha20poly1305-prfsha256-x25519", "--keys", "{tmp}/k"),
            "Wireshark has no IKEv2 decryption label",
        ),
        (("keys", "{tmp}/missing.json"), "No such file"),
        (("keys", "{tmp}/bad.json"), "ike_sas[0].sk_ei: not hex"),
        (("keys", "{tmp}/bad.table"), "line 1: expected 8 comma-separated fields"),
        (("keys", WIRESHARK_TABLE, "--to", "xml"), "invalid choice"),
        (("frobnicate",), "invalid choice"),
        ((), "required"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    args: tuple[str | Path, ...], reason: str, tmp_path: Path
) -> None:
    (tmp_path / "bad.json").write_text(
        json.dumps([{"spi_i": "00" * 8, "spi_r": "11" * 8, "encr": 20, "sk_ei": "zz"}])
    )
    (tmp_path / "bad.table").write_text("0011,2233\n")
    out = _run(*(str(a).replace("{tmp}", str(tmp_path)) for a in args))
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.splitlines()) == 1, out.stderr
    assert reason in out.stderr
    assert "Traceback" not in out.stderr
