"""ikewire.diagnose and ``ikewire diagnose``: each IKE SA of a capture, what became of
it, and for each failure its cause and a fix.

The failures are made by two ikewire peers in memory with mismatched configurations
(the datagrams as they crossed); Wireshark's published captures are read too, with and
without their published keys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from ikewire.cli import keys_to_json, main
from ikewire.crypto.keys import IKESAKeys
from ikewire.diagnose import Datagram, Report, diagnose
from ikewire.pcap import UdpDatagram, iter_udp, write_pcap
from ikewire.testing.pair import Pair
from ikewire.wire.models import Message
from test_connection_ike_sa import configs

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "wireshark"
TABLE = VECTORS / "config" / "ikev2_decryption_table.tmpl"


def _datagrams(pair: Pair) -> list[Datagram]:
    return [
        Datagram(c.data, f"{c.source[0]}:{c.source[1]}", f"{c.destination[0]}:{c.destination[1]}")
        for c in pair.captured
    ]


def _opener(keys: IKESAKeys | None) -> Callable[[Message], IKESAKeys | None]:
    def keys_for(msg: Message) -> IKESAKeys | None:
        return keys if keys is not None and msg.spi_i == keys.spi_i else None

    return keys_for


def _run(pair: Pair, *, keys: bool = True) -> Report:
    opener = _opener(pair.initiator.keys) if keys else None
    report = diagnose(_datagrams(pair), opener)
    assert len(report.sas) == 1, report.text()
    return report


def _handshake(**overrides: object) -> Pair:
    pair = Pair(*configs(**overrides))
    pair.handshake()
    return pair


def test_a_good_handshake_is_established_with_its_suite_and_identities() -> None:
    report = _run(_handshake())
    (sa,) = report.sas
    assert sa.established is True and sa.findings == []
    text = report.text()
    assert "IKE_SA_INIT response: chose aes256gcm16-prfsha256-curve25519" in text
    assert "alice.example by SHARED_KEY_MESSAGE_INTEGRITY_CODE" in text
    assert "bob.example by SHARED_KEY_MESSAGE_INTEGRITY_CODE; IKE SA established" in text
    assert "TSi 10.1.0.0/16 TSr 10.2.0.0/16" in text


def test_without_keys_the_outcome_of_ike_auth_is_left_open() -> None:
    (sa,) = _run(_handshake(), keys=False).sas
    assert sa.established is None
    assert any("encrypted; give the keys to see inside" in line for line in sa.timeline)


def test_no_common_ike_proposal() -> None:
    report = _run(
        _handshake(
            i_ike_proposals=("aes128gcm16-prfsha256-x25519",),
            r_ike_proposals=("aes256gcm16-prfsha384-ecp384",),
        )
    )
    (sa,) = report.sas
    (f,) = sa.findings
    assert f.severity == "error" and "none of the IKE proposals" in f.what
    assert "aes128gcm16-prfsha256-curve25519" in f.cause  # strongSwan's canonical name
    assert "ike_proposals" in f.fix
    assert sa.established is False


def test_the_ke_group_the_responder_wants_is_named() -> None:
    report = _run(
        _handshake(
            i_ike_proposals=("aes256gcm16-prfsha256-x25519-ecp256",),
            r_ike_proposals=("aes256gcm16-prfsha256-ecp256",),
        )
    )
    (sa,) = report.sas
    assert sa.established is True
    (f,) = sa.findings
    assert f.severity == "note" and "ECP_256" in f.what and "ECP_256 first" in f.fix


def test_a_refused_psk_names_the_identity_and_method() -> None:
    report = _run(_handshake(r_psk=b"another key entirely"))
    (sa,) = report.sas
    (f,) = sa.findings
    assert f.severity == "error"
    assert "refused the initiator's authentication" in f.what
    assert "alice.example by SHARED_KEY_MESSAGE_INTEGRITY_CODE" in f.what
    assert "pre-shared key" in f.cause and "psk" in f.fix
    assert sa.established is False


def test_refused_traffic_selectors_show_what_was_proposed() -> None:
    report = _run(_handshake(r_remote_ts=("172.16.0.0/12",)))
    (sa,) = report.sas
    assert sa.established is True  # the IKE SA stands without its Child SA
    (f,) = sa.findings
    assert "traffic selectors" in f.what
    assert "TSi 10.1.0.0/16, TSr 10.2.0.0/16" in f.cause
    assert "local_ts" in f.fix


def test_refused_esp_proposals_show_what_was_offered() -> None:
    report = _run(_handshake(i_esp_proposals=("aes128gcm16",), r_esp_proposals=("aes256-sha256",)))
    (sa,) = report.sas
    (f,) = sa.findings
    assert "Child SA (ESP/AH) proposals" in f.what and "aes128gcm16" in f.cause
    assert "esp_proposals" in f.fix


def test_an_unanswered_ike_sa_init_is_counted() -> None:
    pair = Pair(*configs())
    pair.initiator.initiate(pair.now)
    for _ in range(3):
        pair.drop(pair.initiator)  # lost on the way: the responder never sees it
        pair.now += 10.0
        pair.initiator.handle_timer(pair.now)
    pair.take(pair.initiator)
    (sa,) = diagnose(_datagrams(pair)).sas
    (f,) = sa.findings
    assert f.what == "IKE_SA_INIT request never answered (sent 4 times)"
    assert "UDP 500" in f.fix


def test_a_large_unfragmented_ike_auth_left_unanswered_points_at_fragmentation() -> None:
    i, r = configs()
    many = tuple(f"10.1.{n}.0/24" for n in range(120))  # IKE_AUTH of about 2 KB
    i = dataclasses.replace(i, local_ts=many, fragmentation=False)
    pair = Pair(i, dataclasses.replace(r, fragmentation=False))
    pair.initiator.initiate(pair.now)
    pair.roundtrip(pair.initiator, pair.responder)
    pair.drop(pair.initiator)  # the path drops the IP fragments of the big IKE_AUTH
    (sa,) = diagnose(_datagrams(pair), _opener(pair.initiator.keys)).sas
    (f,) = sa.findings
    assert "IKE_AUTH request of" in f.what and "never answered" in f.what
    assert "IP fragments" in f.cause and "fragmentation" in f.fix


def test_a_fragmented_ike_auth_is_reassembled_and_read() -> None:
    i, r = configs()
    many = tuple(f"10.1.{n}.0/24" for n in range(120))
    pair = Pair(
        dataclasses.replace(i, local_ts=many, fragment_size=576),
        dataclasses.replace(r, fragment_size=576),
    )
    pair.handshake()
    (sa,) = diagnose(_datagrams(pair), _opener(pair.initiator.keys)).sas
    assert sa.established is True and sa.findings == []
    (request,) = [line for line in sa.timeline if line.startswith("IKE_AUTH request")]
    assert "alice.example by SHARED_KEY_MESSAGE_INTEGRITY_CODE" in request
    assert "fragments, RFC 7383)" in request
    assert not any(line.startswith("IKE_AUTH request: fragment") for line in sa.timeline)
    # without keys: each fragment counted, the outcome left open
    (bare,) = diagnose(_datagrams(pair)).sas
    assert bare.established is None
    assert any(line.startswith("IKE_AUTH request: fragment 2/") for line in bare.timeline)


def test_keys_that_do_not_fit_are_reported() -> None:
    pair = _handshake()
    keys = pair.initiator.keys
    assert keys is not None
    wrong = dataclasses.replace(keys, sk_ei=bytes(len(keys.sk_ei)))
    (sa,) = diagnose(_datagrams(pair), _opener(wrong)).sas
    assert any(
        "does not verify with the keys given" in f.what and f.severity == "error"
        for f in sa.findings
    )


@pytest.mark.parametrize("capture", sorted(p.name for p in (VECTORS / "captures").glob("ikev2*")))
def test_wireshark_captures_with_their_keys_are_established(capture: str) -> None:
    """Wireshark's IKEv2 decryption captures: each one IKE SA, established, with no
    finding (its published table opens every IKE_AUTH)."""
    out = _cli(VECTORS / "captures" / capture, "--keys", str(TABLE))
    assert sum(line.startswith("IKE SA ") for line in out.splitlines()) == 1, out
    assert "(established)" in out.splitlines()[0], out
    assert "error:" not in out and "warning:" not in out, out


def _cli(*args: object) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["diagnose", *map(str, args)]) == 0
    return buf.getvalue()


def test_the_command_reads_a_capture_and_ikewire_json_keys(tmp_path: Path) -> None:
    pair = _handshake(r_psk=b"another key entirely")
    pcap = tmp_path / "failed.pcap"
    write_pcap(
        pcap,
        [
            UdpDatagram(
                n, c.time, c.source[0], c.destination[0], c.source[1], c.destination[1], c.data
            )
            for n, c in enumerate(pair.captured, 1)
        ],
    )
    assert len(list(iter_udp(pcap))) == len(pair.captured)
    keys = tmp_path / "keys.json"
    assert pair.initiator.keys is not None
    keys.write_text(keys_to_json([pair.initiator.keys]))
    out = _cli(pcap, "--keys", keys)
    assert "192.0.2.1:500 -> 198.51.100.2:500" in out.splitlines()[0]
    assert "error: the responder refused the initiator's authentication" in out
    assert "    cause: " in out and "    fix:   " in out


def test_nothing_but_ikev1_is_said_so() -> None:
    out = _cli(VECTORS / "captures" / "ikev1-certs.pcap")
    assert "no IKEv2 message found" in out and "IKEv1" in out


def test_undecodable_datagrams_are_counted_not_fatal() -> None:
    report = diagnose([Datagram(b"\x00" * 16 + b"\x21\x20" + b"\x00" * 10)])
    assert report.sas == [] and report.undecodable == 1
