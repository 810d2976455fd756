"""tshark as an independent oracle for ikewire's own traffic.

Two ikewire peers (the in-memory :class:`~ikewire.testing.pair.Pair`) negotiate for each
suite Wireshark can decrypt; the capture is written with :func:`ikewire.pcap.write_pcap`
and the IKE SA's keys with :func:`ikewire.crypto.keytable.to_wireshark_table`. tshark
(Wireshark's dissector, packet-isakmp.c) must then open every SK payload (RFC 7296
§3.14) with "Integrity Checksum Data: ... [correct]", raise no expert info (malformed,
bad checksum, bad padding) on any frame, and see the same header fields, payload tree
(payload types, proposals and transforms, notify types, KE groups, Deletes) as ikewire's
own decoder. A wrong key must make tshark say "[incorrect" (the oracle can fail).

tshark missing: skipped locally, a failure when ``CI=true`` (CI installs it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ikewire.connection.config import Identity, IKEConfig
from ikewire.crypto.decrypt import decrypt
from ikewire.crypto.keys import IKESAKeys
from ikewire.crypto.keytable import to_wireshark_table
from ikewire.pcap import UdpDatagram, write_pcap
from ikewire.testing.pair import Pair, seeded_rng
from ikewire.wire.codec import decode_v2
from ikewire.wire.models import KE, SA, SK, Delete, Message, Notify

PSK = b"tshark oracle pre-shared key"

# (IKE suite, ESP suite): every Wireshark encryption family ikewire implements (GCM, CCM,
# CBC, CTR, 3DES) and each integrity label with an IANA ID ikewire implements. tshark 4.0
# has no ChaCha20-Poly1305 and no AES-XCBC/CMAC integrity for IKEv2 SK payloads.
SUITES = [
    ("aes256gcm16-prfsha256-x25519", "aes256gcm16"),
    ("aes256-sha256-modp2048", "aes256-sha256"),
    ("aes128-sha1-ecp256", "aes128-sha1"),
    ("aes192ctr-sha384-ecp384", "aes128ctr-sha384"),
    ("aes128ccm12-prfsha512-x25519", "aes128gcm16"),
    ("aes128gcm8-prfsha1-ecp256", "aes256-sha512"),
    ("3des-sha512-modp2048", "3des-sha1"),
    ("aes256-md5-x25519", "aes128-md5"),
]

_TSHARK = shutil.which("tshark")


def _tshark() -> str:
    if _TSHARK is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is not installed; CI must install it (a skip here is a failure)")
        pytest.skip("tshark is not installed")
    return _TSHARK


def _configs(suite: str, esp: str) -> tuple[IKEConfig, IKEConfig]:
    i = IKEConfig(
        Identity.fqdn("alice.example"),
        Identity.fqdn("bob.example"),
        ike_proposals=(suite,),
        esp_proposals=(esp,),
        psk=PSK,
        local_ts=("10.1.0.0/16",),
        remote_ts=("10.2.0.0/16",),
        rng=seeded_rng(11),
    )
    r = IKEConfig(
        Identity.fqdn("bob.example"),
        Identity.fqdn("alice.example"),
        ike_proposals=(suite,),
        esp_proposals=(esp,),
        psk=PSK,
        local_ts=("10.2.0.0/16",),
        remote_ts=("10.1.0.0/16",),
        rng=seeded_rng(12),
    )
    return i, r


def _session(suite: str, esp: str, *, nat: bool = False) -> tuple[Pair, IKESAKeys]:
    """IKE_SA_INIT, IKE_AUTH, a liveness check, a Child SA delete and the IKE SA delete
    (RFC 7296 §1.2, §1.4), every datagram captured with a clock that moves."""
    pair = Pair(*_configs(suite, esp), now=1_767_225_600.0, nat=nat)
    i = pair.initiator
    steps: list[Callable[[], None]] = [
        lambda: i.initiate(pair.now),
        lambda: i.send_liveness(pair.now),
        lambda: i.delete_child(i.child_sas[0].spi_in, pair.now),
        lambda: i.close(pair.now),
    ]
    for step in steps:
        step()
        for _ in range(10):
            pair.now += 0.01
            if pair.run() == 0:
                break
    assert i.keys is not None
    return pair, i.keys


def _datagrams(pair: Pair) -> list[UdpDatagram]:
    """The capture, ports and addresses exactly as each datagram travelled."""
    return [
        UdpDatagram(n, c.time, c.source[0], c.destination[0], c.source[1], c.destination[1], c.data)
        for n, c in enumerate(pair.captured, 1)
    ]


def _run_tshark(tmp_path: Path, datagrams: list[UdpDatagram], table: str) -> ET.Element:
    tshark = _tshark()
    cap = tmp_path / "ikewire.pcap"
    write_pcap(cap, datagrams)
    config = tmp_path / "wireshark"
    config.mkdir(exist_ok=True)
    (config / "ikev2_decryption_table").write_text(table)
    out = subprocess.run(
        [
            tshark,
            "-r",
            str(cap),
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-T",
            "pdml",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "WIRESHARK_CONFIG_DIR": str(config), "HOME": str(tmp_path)},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return ET.fromstring(out.stdout)


# ------------------------------------------------------------------ tshark's view


def _children(node: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in node if c.get("name") == name]


def _child_show(node: ET.Element, name: str) -> str | None:
    found = _children(node, name)
    return found[0].get("show") if found else None


def _ws_payload(node: ET.Element) -> tuple[Any, ...]:
    """(type, detail, children) of one ``isakmp.typepayload`` node."""
    ptype = int(node.get("show", "-1"))
    detail: Any = None
    kids = [_ws_payload(c) for c in _children(node, "isakmp.typepayload")]
    if ptype == 41:
        detail = int(_child_show(node, "isakmp.notify.msgtype") or -1)
    elif ptype == 34:
        detail = int(_child_show(node, "isakmp.key_exchange.dh_group") or -1)
    elif ptype == 3:
        ids = [c.get("show") for c in node if (c.get("name") or "").startswith("isakmp.tf.id.")]
        detail = (int(_child_show(node, "isakmp.tf.type") or -1), int(ids[0] or -1))
    elif ptype == 2:
        detail = int(_child_show(node, "isakmp.prop.protoid") or -1)
    elif ptype == 42:
        spis = [(c.get("value") or "") for c in _children(node, "isakmp.delete.spi")]
        detail = (int(_child_show(node, "isakmp.delete.protoid") or -1), tuple(spis))
    elif ptype == 46:
        decrypted = _children(node, "isakmp.enc.decrypted")
        assert decrypted, "tshark did not decrypt an SK payload"
        contained = _children(decrypted[0], "isakmp.enc.contained")
        inner = _children(contained[0], "isakmp.typepayload") if contained else []
        kids = [_ws_payload(c) for c in inner]
        icd = _children(node, "isakmp.enc.icd")
        assert len(icd) == 1
        detail = icd[0].get("showname", "")
    return (ptype, detail, tuple(kids))


def _ws_message(packet: ET.Element) -> dict[str, Any]:
    protos = {p.get("name"): p for p in packet.findall("proto")}
    udp, ike = protos["udp"], protos["isakmp"]
    return {
        "ports": (
            int(_child_show(udp, "udp.srcport") or -1),
            int(_child_show(udp, "udp.dstport") or -1),
        ),
        "spi_i": (_children(ike, "isakmp.ispi")[0].get("value") or ""),
        "spi_r": (_children(ike, "isakmp.rspi")[0].get("value") or ""),
        "exchange": int(_child_show(ike, "isakmp.exchangetype") or -1),
        "message_id": int(_child_show(ike, "isakmp.messageid") or "-1", 0),
        "flags": int(_child_show(ike, "isakmp.flags") or "-1", 0),
        "payloads": tuple(_ws_payload(p) for p in _children(ike, "isakmp.typepayload")),
    }


# ------------------------------------------------------------------ ikewire's view


def _ike_payload(p: Any, icd: str | None = None, inner: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    ptype = int(p.type)
    if isinstance(p, SA):
        kids = tuple(
            (
                2,
                int(prop.protocol_id),
                tuple((3, (int(t.type), int(t.id)), ()) for t in prop.transforms),
            )
            for prop in p.proposals
        )
        return (ptype, None, kids)
    if isinstance(p, Notify):
        return (ptype, int(p.notify_type), ())
    if isinstance(p, KE):
        return (ptype, int(p.group), ())
    if isinstance(p, Delete):
        return (ptype, (int(p.protocol_id), tuple(s.hex() for s in p.spis)), ())
    if isinstance(p, SK):
        return (ptype, icd, inner)
    return (ptype, None, ())


def _ike_message(d: UdpDatagram, ring: list[IKESAKeys], icd: str) -> dict[str, Any]:
    data = d.payload
    if 4500 in (d.sport, d.dport):
        assert data[:4] == bytes(4), "an IKE message on port 4500 needs the non-ESP marker"
        data = data[4:]
    msg = decode_v2(data)
    payloads: list[Any] = list(msg.payloads)
    last: tuple[Any, ...] = ()
    if payloads and isinstance(payloads[-1], SK):
        keys = next(k for k in ring if (k.spi_i, k.spi_r) == (msg.spi_i, msg.spi_r))
        opened: Message = decrypt(data, keys)
        inner = tuple(_ike_payload(q) for q in opened.payloads[len(payloads) - 1 :])
        last = (_ike_payload(payloads.pop(), icd, inner),)
    return {
        "ports": (d.sport, d.dport),
        "spi_i": msg.spi_i.hex(),
        "spi_r": msg.spi_r.hex(),
        "exchange": int(msg.exchange_type),
        "message_id": msg.message_id,
        "flags": msg.flags,
        "payloads": tuple(_ike_payload(p) for p in payloads) + last,
    }


def _expert(packet: ET.Element) -> list[str]:
    """Every expert-info line and malformed marker tshark attached to a frame."""
    return [
        e.get("showname") or e.get("name") or ""
        for e in packet.iter()
        if e.get("name") in ("_ws.expert", "_ws.malformed")
    ]


def _check(pair: Pair, keys: IKESAKeys | list[IKESAKeys], tmp_path: Path) -> int:
    ring = keys if isinstance(keys, list) else [keys]
    datagrams = _datagrams(pair)
    root = _run_tshark(tmp_path, datagrams, to_wireshark_table(ring))
    packets = root.findall("packet")
    assert len(packets) == len(datagrams)
    sk_seen = 0
    for d, packet in zip(datagrams, packets, strict=True):
        assert _expert(packet) == [], f"frame {d.frame}: {_expert(packet)}"
        seen = _ws_message(packet)
        payloads = seen["payloads"]
        icd = ""
        if payloads and payloads[-1][0] == 46:
            icd = payloads[-1][1]
            assert icd.startswith("Integrity Checksum Data: "), icd
            assert icd.endswith("[correct]"), f"frame {d.frame}: {icd}"
            sk_seen += 1
        assert seen == _ike_message(d, ring, icd), f"frame {d.frame}"
    return sk_seen


@pytest.mark.parametrize(("suite", "esp"), SUITES, ids=[s for s, _ in SUITES])
def test_tshark_opens_every_sk_payload(suite: str, esp: str, tmp_path: Path) -> None:
    pair, keys = _session(suite, esp)
    # IKE_AUTH, liveness, Child SA delete, IKE SA delete: 4 exchanges, 8 SK messages.
    assert len(pair.captured) == 10
    assert _check(pair, keys, tmp_path) == 8


def test_tshark_behind_nat_on_port_4500(tmp_path: Path) -> None:
    """Behind a NAT the SA moves to UDP 4500 with the non-ESP marker (RFC 7296 §2.23,
    RFC 3948 §2.2); tshark decodes port 4500 and opens the SK payloads there too."""
    pair, keys = _session("aes256gcm16-prfsha256-x25519", "aes256gcm16", nat=True)
    ports = {(c.source[1], c.destination[1]) for c in pair.captured}
    assert any(4500 in p or 44500 in p for p in ports), ports
    assert _check(pair, keys, tmp_path) == 8


def test_wrong_key_is_caught_by_tshark(tmp_path: Path) -> None:
    """The oracle can fail: one flipped bit of SK_er and tshark flags every responder
    message's ICV (the wording checked above is tshark's, not ours)."""
    pair, keys = _session("aes256-sha256-modp2048", "aes256-sha256")
    bad = dataclasses.replace(keys, sk_ar=bytes([keys.sk_ar[0] ^ 1]) + keys.sk_ar[1:])
    root = _run_tshark(tmp_path, _datagrams(pair), to_wireshark_table([bad]))
    shown = [e.get("showname") or "" for e in root.iter() if e.get("name") == "isakmp.enc.icd"]
    assert len(shown) == 8
    assert sum("[correct]" in s for s in shown) == 4
    assert sum("[incorrect, should be " in s for s in shown) == 4
    messages = [e.get("show") for e in root.iter() if e.get("name") == "_ws.expert.message"]
    assert messages.count("IKEv2 Integrity Checksum Data is incorrect") == 4


def test_tshark_opens_rekeys_and_both_ike_sas(tmp_path: Path) -> None:
    """CREATE_CHILD_SA (a new Child SA, a Child SA rekey, an IKE SA rekey by the
    responder) and the Deletes on the old and the new IKE SA: tshark opens every SK
    payload with the two IKE SAs' keys and sees what ikewire sent."""
    pair = Pair(*_configs("aes256gcm16-prfsha256-x25519", "aes256gcm16"), now=1_767_225_600.0)
    i, r = pair.initiator, pair.responder
    ring: list[IKESAKeys] = []
    steps: list[Callable[[], None]] = [
        lambda: i.initiate(pair.now),
        lambda: i.create_child(pair.now),
        lambda: i.rekey_child(i.child_sas[0].spi_in, pair.now),
        lambda: r.rekey_ike(pair.now),
        lambda: i.close(pair.now),
    ]
    for step in steps:
        if i.keys is not None and i.keys not in ring:
            ring.append(i.keys)
        step()
        for _ in range(10):
            pair.now += 0.01
            if pair.run() == 0:
                break
    assert len(ring) == 2 and i.state.value == "CLOSED"
    exchanges = {decode_v2(c.data).exchange_type for c in pair.captured}
    assert 36 in exchanges  # CREATE_CHILD_SA
    # IKE_AUTH, 3 CREATE_CHILD_SA, Child delete, old IKE SA delete, new IKE SA delete
    assert _check(pair, ring, tmp_path) == 14


def test_cli_decode_json_agrees_with_tshark_on_published_captures(tmp_path: Path) -> None:
    """The installed ``ikewire decode --keys --json`` on Wireshark's published captures
    (vectors/wireshark): per frame, the payload sequence (inner ones of every opened SK
    payload included), the notify types and the AUTH data equal tshark's dissection with
    the same published key table."""
    from ikewire.constants import PAYLOAD_SHORT_NAMES

    numbers = {name: int(t) for t, name in PAYLOAD_SHORT_NAMES.items()}
    root = Path(__file__).resolve().parent.parent / "vectors" / "wireshark"
    table_text = (root / "config" / "ikev2_decryption_table.tmpl").read_text()
    checked = auths = 0
    for name in ("ikev2-decrypt-aes256gcm16.pcap", "ikev2-decrypt-aes128ccm12.pcap"):
        cap = root / "captures" / name
        if not cap.exists():
            continue
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "ikewire",
                "decode",
                str(cap),
                "--keys",
                str(root / "config" / "ikev2_decryption_table.tmpl"),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        ours = json.loads(out.stdout)
        theirs = _run_tshark_capture(tmp_path, cap, table_text)
        assert len(ours) == len(theirs)
        for record, packet in zip(ours, theirs, strict=True):
            seen = _ws_message(packet)

            def flat(payloads: tuple[Any, ...]) -> list[int]:
                out: list[int] = []
                for ptype, _detail, kids in payloads:
                    out.append(ptype)
                    if ptype == 46:  # the payloads inside an opened SK payload
                        out += flat(kids)
                return out

            def flat_ours(payloads: list[dict[str, Any]]) -> list[int]:
                out: list[int] = []
                for p in payloads:
                    out.append(numbers[p["type"]])
                    out += flat_ours(p.get("inner", []))
                return out

            assert flat_ours(record["payloads"]) == flat(seen["payloads"])
            notes = [p for p in _walk(record["payloads"]) if p["type"] == "N"]
            ws_notes = [d for t, d, _ in _walk_ws(seen["payloads"]) if t == 41]
            assert [_notify_number(n["notify_type"]) for n in notes] == ws_notes
            auth = [p["data"] for p in _walk(record["payloads"]) if p["type"] == "AUTH"]
            ws_auth = [
                (e.get("value") or "") for e in packet.iter() if e.get("name") == "isakmp.auth.data"
            ]
            assert auth == ws_auth
            auths += len(auth)
            checked += 1
    assert checked >= 6 and auths >= 4  # both IKE_AUTH messages of each capture


def _walk(payloads: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for p in payloads:
        yield p
        yield from _walk(p.get("inner", []))


def _walk_ws(payloads: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    for p in payloads:
        yield p
        yield from _walk_ws(p[2])


def _notify_number(name: str | int) -> int:
    from ikewire.constants import NotifyType

    return int(name) if isinstance(name, int) else int(NotifyType[name])


def _run_tshark_capture(tmp_path: Path, cap: Path, table: str) -> list[ET.Element]:
    tshark = _tshark()
    config = tmp_path / "wireshark-cli"
    config.mkdir(exist_ok=True)
    (config / "ikev2_decryption_table").write_text(table)
    out = subprocess.run(
        [tshark, "-r", str(cap), "-T", "pdml"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "WIRESHARK_CONFIG_DIR": str(config), "HOME": str(tmp_path)},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return ET.fromstring(out.stdout).findall("packet")
