"""Wireshark ``ikev2_decryption_table`` lines ↔ IKESAKeys (ikewire.crypto.keytable).

Data: Wireshark's own test table (vectors/wireshark/config/ikev2_decryption_table.tmpl,
Wireshark 4.0.17 test/config) and the table for tcpdump's ikev2pI2.pcap
(vectors/tcpdump/ikev2pI2_wireshark_ikev2_decryption_table.csv). Labels are Wireshark's
``vs_ikev2_encr_algs`` / ``vs_ikev2_auth_algs`` strings (epan/dissectors/packet-isakmp.c).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ikewire.crypto.keys import ENCR_INFO, INTEG_INFO, IKESAKeys, derive_ike_sa_keys
from ikewire.crypto.keytable import (
    ENCR_LABELS,
    INTEG_LABELS,
    UNCHECKED_INTEG_LABELS,
    WiresharkIKEv2Keys,
    parse_wireshark_line,
    parse_wireshark_table,
    to_wireshark_line,
    to_wireshark_table,
    wireshark_table_by_spi,
)
from ikewire.errors import ConfigError, CryptoError

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
WIRESHARK_TABLE = (VECTORS / "wireshark" / "config" / "ikev2_decryption_table.tmpl").read_text()
TCPDUMP_TABLE = (VECTORS / "tcpdump" / "ikev2pI2_wireshark_ikev2_decryption_table.csv").read_text()


def _data_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@pytest.mark.parametrize("text", [WIRESHARK_TABLE, TCPDUMP_TABLE], ids=["wireshark", "tcpdump"])
def test_every_line_round_trips_exactly(text: str) -> None:
    lines = _data_lines(text)
    entries = parse_wireshark_table(text)
    assert len(entries) == len(lines) > 0
    for line, entry in zip(lines, entries, strict=True):
        assert to_wireshark_line(entry) == line
        assert parse_wireshark_line(line) == entry
    assert to_wireshark_table(entries) == "".join(ln + "\n" for ln in lines)


def test_wireshark_table_values() -> None:
    """The fields land in the right IKESAKeys attributes, with IANA transform IDs."""
    by_spi = wireshark_table_by_spi(parse_wireshark_table(WIRESHARK_TABLE))
    assert len(by_spi) == 9
    gcm = by_spi[bytes.fromhex("0158b8fb90b7623d"), bytes.fromhex("13514610cea16160")]
    assert (gcm.keys.encr_id, gcm.keys.encr_key_bits, gcm.keys.integ_id) == (20, 256, 0)
    assert gcm.keys.sk_ei.hex().startswith("647075bf") and len(gcm.keys.sk_ei) == 36
    assert gcm.keys.sk_er.hex().endswith("deb02a5e") and gcm.keys.sk_ai == b""
    assert not gcm.integ_unchecked
    cbc = by_spi[bytes.fromhex("191ccd371a7a1f7b"), bytes.fromhex("bc123d15e4af593f")]
    assert (cbc.keys.encr_id, cbc.keys.encr_key_bits, cbc.keys.integ_id) == (12, 256, 12)
    assert cbc.keys.sk_ai.hex().startswith("12d532c3") and len(cbc.keys.sk_ar) == 32
    des = by_spi[bytes.fromhex("19ab98963486359f"), bytes.fromhex("78f13157ccd3b3d8")]
    assert (des.keys.encr_id, des.keys.encr_key_bits, des.keys.integ_id) == (3, 192, 7)
    ctr = by_spi[bytes.fromhex("a2926ae833c6f138"), bytes.fromhex("5464c57d0dc5e272")]
    assert (ctr.keys.encr_id, ctr.keys.encr_key_bits, ctr.keys.integ_id) == (13, 128, 0)
    assert ctr.integ_unchecked and ctr.unchecked_icv_size == 12
    assert not ctr.cipher(sender_is_initiator=True).integrity_checked
    null = by_spi[bytes.fromhex("1234567890123456"), bytes.fromhex("0987654321098765")]
    assert (null.keys.encr_id, null.keys.integ_id, null.keys.sk_ei) == (11, 0, b"")
    for entry in by_spi.values():  # the table has no PRF, SK_d or SK_p*
        assert (entry.keys.prf_id, entry.keys.sk_d, entry.keys.sk_pi, entry.keys.sk_pr) == (
            0,
            b"",
            b"",
            b"",
        )


def _keys(encr_id: int, bits: int, integ_id: int) -> IKESAKeys:
    e = bits // 8 + ENCR_INFO[encr_id].salt_size
    a = INTEG_INFO[integ_id].key_size
    return IKESAKeys(
        0,
        encr_id,
        bits,
        integ_id,
        b"",
        bytes([1]) * a,
        bytes([2]) * a,
        bytes([3]) * e,
        bytes([4]) * e,
        b"",
        b"",
        bytes(range(8)),
        bytes(range(8, 16)),
    )


@pytest.mark.parametrize("label", sorted(ENCR_LABELS))
def test_every_encryption_label(label: str) -> None:
    encr_id, bits = ENCR_LABELS[label]
    integ = 0 if ENCR_INFO[encr_id].aead or encr_id == 11 else 12
    line = to_wireshark_line(_keys(encr_id, bits, integ))
    assert f',"{label}",' in line
    entry = parse_wireshark_line(line)
    assert entry is not None and entry.keys == _keys(encr_id, bits, integ)


@pytest.mark.parametrize("label", sorted(INTEG_LABELS))
def test_every_integrity_label(label: str) -> None:
    integ = INTEG_LABELS[label]
    keys = _keys(12, 128, integ) if integ else _keys(20, 128, 0)
    line = to_wireshark_line(keys)
    assert line.endswith(f',"{label}"')
    assert parse_wireshark_line(line) == WiresharkIKEv2Keys(keys)


@pytest.mark.parametrize("label", sorted(UNCHECKED_INTEG_LABELS))
def test_every_unchecked_integrity_label(label: str) -> None:
    keys = _keys(12, 256, 0)
    hex_fields = [keys.spi_i.hex(), keys.spi_r.hex(), keys.sk_ei.hex(), keys.sk_er.hex()]
    line = ",".join([*hex_fields, '"AES-CBC-256 [RFC3602]"', "", "", f'"{label}"'])
    entry = parse_wireshark_line(line)
    assert entry is not None and entry.integ_unchecked
    assert entry.unchecked_icv_size == int(label.split()[1].split("-")[0]) // 8
    assert to_wireshark_line(entry) == line


def test_derived_keys_export() -> None:
    """An SA's keys, as derived, export to a line that reads back to the same keys."""

    @dataclass(frozen=True)
    class Suite:
        prf_id: int | None = 5
        encr_id: int | None = 12
        encr_key_bits: int | None = 256
        integ_id: int | None = 12

    keys = derive_ike_sa_keys(
        Suite(), bytes(32), bytes(16), bytes(range(16)), bytes(range(8)), bytes(8)
    )
    entry = parse_wireshark_line(to_wireshark_line(keys))
    assert entry is not None
    for name in ("encr_id", "encr_key_bits", "integ_id", "sk_ei", "sk_er", "sk_ai", "sk_ar"):
        assert getattr(entry.keys, name) == getattr(keys, name)
    assert (entry.keys.spi_i, entry.keys.spi_r) == (keys.spi_i, keys.spi_r)


def test_suites_wireshark_cannot_decrypt() -> None:
    with pytest.raises(ConfigError):
        to_wireshark_line(_keys(28, 256, 0))  # ChaCha20-Poly1305: no Wireshark label
    with pytest.raises(ConfigError):
        to_wireshark_line(_keys(12, 128, 5))  # AES-XCBC-96: no Wireshark label
    with pytest.raises(ConfigError):
        to_wireshark_line(IKESAKeys(0, 20, 128, 0, b"", b"", b"", bytes(20), bytes(20), b"", b""))


def test_comments_and_blank_lines() -> None:
    assert parse_wireshark_line("# This file is automatically generated, DO NOT MODIFY.") is None
    assert parse_wireshark_line("   ") is None
    assert parse_wireshark_table("# only a comment\n\n") == []


@pytest.mark.parametrize(
    ("line", "error", "words"),
    [
        ('0001020304050607,0102030405060708,,,"NULL [RFC2410]",,', ConfigError, "8"),
        ('00010203,0102030405060708,,,"NULL [RFC2410]",,,"NONE [RFC4306]"', ConfigError, "SPI"),
        (
            '0001020304050607,0102030405060708,zz,,"NULL [RFC2410]",,,"NONE [RFC4306]"',
            ConfigError,
            "hex",
        ),
        (
            '0001020304050607,0102030405060708,,,"AES-XTS [RFC0]",,,"NONE [RFC4306]"',
            ConfigError,
            "encryption",
        ),
        (
            '0001020304050607,0102030405060708,,,"NULL [RFC2410]",,,"HMAC_RIPEMD"',
            ConfigError,
            "integrity",
        ),
        (
            "0001020304050607,0102030405060708,"
            + "00" * 16
            + ","
            + "00" * 16
            + ',"AES-CBC-128 [RFC3602]",'
            + "00" * 32
            + ","
            + "00" * 32
            + ',"HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]"',
            CryptoError,
            "IANA",
        ),
        (
            "0001020304050607,0102030405060708,"
            + "00" * 15
            + ","
            + "00" * 16
            + ',"AES-CBC-128 [RFC3602]",'
            + "00" * 32
            + ","
            + "00" * 32
            + ',"HMAC_SHA2_256_128 [RFC4868]"',
            ConfigError,
            "SK_e",
        ),
        (
            "0001020304050607,0102030405060708,"
            + "00" * 16
            + ","
            + "00" * 16
            + ',"AES-GCM-128 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"',
            ConfigError,
            "salt",
        ),
    ],
)
def test_bad_lines(line: str, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        parse_wireshark_line(line)
    with pytest.raises(error, match="line 2"):
        parse_wireshark_table("# header\n" + line + "\n")


def test_repr_hides_keys() -> None:
    entry = parse_wireshark_table(WIRESHARK_TABLE)[5]
    assert entry.keys.sk_ai.hex() not in repr(entry)
    assert entry.keys.sk_ei.hex() not in repr(entry)
