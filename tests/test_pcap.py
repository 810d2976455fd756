"""The capture reader and writer (ikewire.pcap)."""

from __future__ import annotations

import contextlib
import gzip
import json
import struct
from pathlib import Path

import pytest

from ikewire import DecodeError
from ikewire.pcap import UdpDatagram, iter_udp, write_pcap

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def _oracle_udp(name: str) -> list[tuple[int, str]]:
    oracle = json.loads((VECTORS / "wireshark" / "oracle" / f"{name}.oracle.json").read_text())
    return [
        (int(f["frame.number"]), f["udp.payload"]) for f in oracle["frames"] if "udp.payload" in f
    ]


@pytest.mark.parametrize(
    "capture",
    [
        "ikev2-decrypt-aes256gcm16.pcap",  # classic pcap
        "ikev2-decrypt-aes256cbc.pcapng",  # pcapng
        "ikev1-bug-12610.pcapng.gz",  # gzip-compressed pcapng
    ],
)
def test_udp_payloads_equal_tsharks(capture: str) -> None:
    """Every UDP payload and frame number equals what tshark extracted (oracle JSON)."""
    name = capture.removesuffix(".gz")
    name = name.rsplit(".", 1)[0]
    ours = [
        (d.frame, d.payload.hex()) for d in iter_udp(VECTORS / "wireshark" / "captures" / capture)
    ]
    assert ours == _oracle_udp(name)


def test_write_then_read_roundtrip(tmp_path: Path) -> None:
    grams = [
        UdpDatagram(1, 1.5, "10.0.0.1", "10.0.0.2", 500, 500, b"\x01" * 28),
        UdpDatagram(2, 2.25, "fd00::1", "fd00::2", 4500, 4500, b"\0\0\0\0" + b"\x02" * 40),
    ]
    path = tmp_path / "out.pcap"
    write_pcap(path, grams)
    assert list(iter_udp(path)) == grams


def test_gzip_and_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture at all")
    with pytest.raises(DecodeError, match="magic"):
        list(iter_udp(bad))
    trunc = tmp_path / "trunc.pcap.gz"
    raw = (VECTORS / "wireshark" / "captures" / "ikev2-decrypt-aes256gcm16.pcap").read_bytes()
    trunc.write_bytes(gzip.compress(raw[:-10]))
    with pytest.raises(DecodeError, match="frame 6"):
        list(iter_udp(trunc))


def test_every_truncation_raises_only_decode_error(tmp_path: Path) -> None:
    raw = (VECTORS / "wireshark" / "captures" / "ikev2-decrypt-aes256cbc.pcapng").read_bytes()
    path = tmp_path / "t.pcapng"
    for cut in range(0, len(raw), 7):
        path.write_bytes(raw[:cut])
        with contextlib.suppress(DecodeError):
            list(iter_udp(path))


def test_huge_length_is_rejected(tmp_path: Path) -> None:
    hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    rec = struct.pack("<IIII", 0, 0, 0xFFFFFFF0, 0xFFFFFFF0)
    path = tmp_path / "h.pcap"
    path.write_bytes(hdr + rec)
    with pytest.raises(DecodeError, match="frame 1"):
        list(iter_udp(path))
