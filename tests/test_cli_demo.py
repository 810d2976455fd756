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
        # the initiator rekeys the Child SA, then deletes the old one (RFC 7296 §2.8)
        "CREATE_CHILD_SA request #2",
        "CREATE_CHILD_SA response #2",
        "INFORMATIONAL request #3",
        "INFORMATIONAL response #3",
        # the responder rekeys the IKE SA: a new SA, message IDs from 0 (§2.18) ...
        "CREATE_CHILD_SA request #0",
        "CREATE_CHILD_SA response #0",
        # ... and deletes the old one on the old SA
        "INFORMATIONAL request #1",
        "INFORMATIONAL response #1",
        # the Delete of the new IKE SA, by the original initiator, now its responder
        "INFORMATIONAL request #0",
        "INFORMATIONAL response #0",
    ]
    assert "IKE_AUTH request #1 [SK{IDi, IDr, AUTH, SA, TSi, TSr}]" in out.stdout
    assert "CREATE_CHILD_SA request #2 [SK{N(REKEY_SA), SA, Nonce, TSi, TSr}]" in out.stdout
    assert "CREATE_CHILD_SA request #0 [SK{SA, Nonce, KE}]" in out.stdout
    assert "INFORMATIONAL request #0 [SK{D(IKE)}]" in out.stdout
    assert "IKE tunnel K1  generation 1  IKEv2  initiator  ESTABLISHED" in lines
    assert "IKE tunnel K2  generation 1  IKEv2  responder  ESTABLISHED" in lines
    # after the IKE SA rekey the roles of the new SA are swapped (RFC 7296 §2.18)
    assert "IKE tunnel K1  generation 2  IKEv2  responder  ESTABLISHED" in lines
    assert "IKE tunnel K2  generation 2  IKEv2  initiator  ESTABLISHED" in lines
    assert sum(line.startswith("  Child tunnel ") for line in lines) == 4
    assert sum("generation 2  ESP tunnel  INSTALLED" in line for line in lines) == 2
    assert lines[-1] == "== end: initiator CLOSED, responder CLOSED"
    # Both displays describe the same SA.
    spis = [line for line in lines if line.startswith("  SPIs ")]
    assert len(spis) == 4 and spis[0] == spis[1] and spis[2] == spis[3] != spis[0]


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
        ("CREATE_CHILD_SA", 2),
        ("CREATE_CHILD_SA", 2),
        ("INFORMATIONAL", 3),
        ("INFORMATIONAL", 3),
        ("CREATE_CHILD_SA", 0),
        ("CREATE_CHILD_SA", 0),
        ("INFORMATIONAL", 1),
        ("INFORMATIONAL", 1),
        ("INFORMATIONAL", 0),
        ("INFORMATIONAL", 0),
    ]
    # every SK payload opens, before and after the IKE SA rekey (both key sets given)
    sk = [p for r in records for p in r["payloads"] if p["type"] == "SK"]
    assert len(sk) == 12
    assert all("inner" in p for p in sk)
    assert [q["type"] for q in sk[0]["inner"]] == ["IDi", "IDr", "AUTH", "SA", "TSi", "TSr"]
    assert [q["type"] for q in sk[2]["inner"]] == ["N", "SA", "Nonce", "TSi", "TSr"]
    assert [q["type"] for q in sk[6]["inner"]] == ["SA", "Nonce", "KE"]  # IKE SA rekey
    assert [q["type"] for q in sk[-2]["inner"]] == ["D"]
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
    assert len(opened) == 12  # both IKE SAs (before and after the rekey)


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
