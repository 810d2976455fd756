"""The IKEv1 / ISAKMP codec (ikewire.wire.v1) on published captures and hand-built cases.

Known answers come from the captures' publishers, never from ikewire:

* tshark's dissection of every IKEv1 frame (vectors/*/oracle/*.oracle.json, Wireshark
  4.0.17): cookies, exchange type, flags, Message ID, Length, the Next Payload and
  payload-type sequences (SA contents included), nonces, hashes, notify types;
* suricata-verify's expected EVE fields (vectors/suricata-verify/ikev1/test.yaml) and
  rule contents (ikev1-rules/test.rules, ikev1-duplicate-proposals/test.yaml);
* tcpdump's printed dissection (vectors/tcpdump/tests/isakmp5-v.out, isakmp3.out);
* libreswan's description of its AuthIP packet (vectors/libreswan/SOURCES.md);
* the Vendor IDs printed in RFC 3947 §3.1 and RFC 3706 §5.1, and the MD5 definitions of
  the others.

Every decode is checked against the Construct reference and re-encoded to the same
octets by both encoders.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ikewire.constants import (
    V1_VENDOR_IDS,
    V1DOI,
    V1AuthMethod,
    V1EncryptionAlgorithm,
    V1ExchangeType,
    V1GroupDescription,
    V1HashAlgorithm,
    V1IDType,
    V1IKEAttributeType,
    V1LifeType,
    V1NotifyType,
    V1PayloadType,
    V1ProtocolId,
    v1_vendor_id_name,
)
from ikewire.errors import DecodeError, EncodeError
from ikewire.pcap import iter_udp
from ikewire.wire.v1 import (
    FLAG_COMMIT,
    FLAG_ENCRYPTION,
    V1ID,
    V1KE,
    V1SA,
    V1Attribute,
    V1Cert,
    V1CertRequest,
    V1ConfigPayload,
    V1Delete,
    V1Encrypted,
    V1Fragment,
    V1Hash,
    V1Message,
    V1NatD,
    V1NatDDraft,
    V1NatOA,
    V1NatOADraft,
    V1Nonce,
    V1Notification,
    V1Proposal,
    V1Signature,
    V1Transform,
    V1UnknownPayload,
    V1VendorID,
    construct_decode_v1,
    construct_decode_v1_payloads,
    construct_encode_v1,
    construct_encode_v1_payloads,
    decode_v1,
    decode_v1_payloads,
    encode_v1,
    encode_v1_payloads,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
NAT_T_PORT = 4500


# --------------------------------------------------------------------------- helpers


def _decode_both(data: bytes) -> V1Message:
    """Decode with both codecs, require equal models and exact re-encoding by both."""
    msg = decode_v1(data)
    assert construct_decode_v1(data) == msg
    assert encode_v1(msg) == data
    assert construct_encode_v1(msg) == data
    return msg


def _ike_payload(sport: int, dport: int, payload: bytes) -> bytes | None:
    """The IKE message in a UDP payload on 500 or 4500 (marker removed), else None."""
    if NAT_T_PORT in (sport, dport):
        return payload[4:] if payload[:4] == bytes(4) else None
    return payload if 500 in (sport, dport) else None


@cache
def _v1_frames(path: str) -> dict[int, bytes]:
    frames = {}
    for d in iter_udp(VECTORS / path):
        data = _ike_payload(d.sport, d.dport, d.payload)
        if data is not None and len(data) > 17 and data[17] >> 4 == 1:
            frames[d.frame] = data
    return frames


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _flatten(payloads: Any, first: int) -> tuple[list[int], list[int]]:
    """tshark's isakmp.typepayload and isakmp.nextpayload sequences for a chain.

    tshark lists the header's Next Payload first, then each payload's Next Payload in
    depth-first order (proposals and transforms inside their SA).
    """
    types: list[int] = []
    nexts: list[int] = [first]
    for index, p in enumerate(payloads):
        types.append(int(p.type))
        nexts.append(int(payloads[index + 1].type) if index + 1 < len(payloads) else 0)
        if type(p) is V1SA:
            for pi, proposal in enumerate(p.proposals):
                types.append(2)
                nexts.append(2 if pi + 1 < len(p.proposals) else 0)
                for ti, _ in enumerate(proposal.transforms):
                    types.append(3)
                    nexts.append(3 if ti + 1 < len(proposal.transforms) else 0)
    return types, nexts


def _oracle(path: str) -> dict[int, dict[str, Any]]:
    frames = json.loads((VECTORS / path).read_text())["frames"]
    return {int(f["frame.number"]): f for f in frames}


# Captures whose IKEv1 frames tshark dissected; (capture, oracle).
ORACLE_CAPTURES = [
    (
        "suricata-verify/ikev1-rules/ikev1-isakmp-main-mode.pcap",
        "suricata-verify/oracle/ikev1-isakmp-main-mode.oracle.json",
    ),
    (
        "suricata-verify/ikev1-duplicate-proposals/generated.pcap",
        "suricata-verify/oracle/generated.oracle.json",
    ),
    ("tcpdump/tests/ISAKMP_sa_setup.pcap", "tcpdump/oracle/ISAKMP_sa_setup.oracle.json"),
    ("tcpdump/tests/isakmp4500.pcap", "tcpdump/oracle/isakmp4500.oracle.json"),
    (
        "tcpdump/tests/isakmp-identification-segfault.pcap",
        "tcpdump/oracle/isakmp-identification-segfault.oracle.json",
    ),
    (
        "wireshark/captures/ikev1-bug-12610.pcapng.gz",
        "wireshark/oracle/ikev1-bug-12610.oracle.json",
    ),
    (
        "wireshark/captures/ikev1-bug-12620.pcapng.gz",
        "wireshark/oracle/ikev1-bug-12620.oracle.json",
    ),
    ("wireshark/captures/ikev1-certs.pcap", "wireshark/oracle/ikev1-certs.oracle.json"),
]


# --------------------------------------------------------------------------- tshark oracle


@pytest.mark.parametrize(("capture", "oracle"), ORACLE_CAPTURES, ids=lambda v: Path(v).name)
def test_captures_match_tshark(capture: str, oracle: str) -> None:
    frames = _v1_frames(capture)
    expected = _oracle(oracle)
    assert frames, "no IKEv1 frames found"
    for number, data in frames.items():
        want = expected[number]
        msg = _decode_both(data)
        assert msg.spi_i.hex() == want["isakmp.ispi"]
        assert msg.spi_r.hex() == want["isakmp.rspi"]
        assert int(msg.exchange_type) == int(want["isakmp.exchangetype"])
        assert msg.flags == int(want["isakmp.flags"], 16)
        assert msg.message_id == int(want["isakmp.messageid"], 16)
        assert len(data) == int(want["isakmp.length"])
        assert (msg.major_version << 4 | msg.minor_version) == int(want["isakmp.version"], 16)
        if msg.is_encrypted:
            body = msg.encrypted
            assert body is not None
            assert int(body.next_payload) == int(_as_list(want["isakmp.nextpayload"])[0])
            continue
        types, nexts = _flatten(msg.payloads, msg.next_payload)
        want_types = [int(t) for t in _as_list(want.get("isakmp.typepayload"))]
        want_nexts = [int(n) for n in _as_list(want["isakmp.nextpayload"])]
        if "_ws.malformed" in want:
            # tshark stops where it cannot go on (it reads the draft NAT-D number 15 as
            # GDOI's SA KEK): what it did dissect must agree.
            types, nexts = types[: len(want_types)], nexts[: len(want_nexts)]
        assert types == want_types
        assert nexts == want_nexts
        nonces = [p.data.hex() for p in msg.payloads if type(p) is V1Nonce]
        assert nonces == _as_list(want.get("isakmp.nonce"))
        hashes = [p.data.hex() for p in msg.payloads if type(p) is V1Hash]
        assert hashes == _as_list(want.get("isakmp.hash"))
        notifies = [int(p.notify_type) for p in msg.notifications()]
        assert notifies == [int(n) for n in _as_list(want.get("isakmp.notify.msgtype"))]


# --------------------------------------------------------------------------- suricata-verify


def _yaml_value(text: str, key: str) -> str:
    match = re.search(rf"^\s*{re.escape(key)}: \"?([^\"\n]*)\"?$", text, re.MULTILINE)
    assert match, key
    return match.group(1)


def test_suricata_main_mode_fields() -> None:
    """suricata-verify tests/ikev1/test.yaml: SPIs, exchange type, nonces, attributes."""
    text = (VECTORS / "suricata-verify/ikev1/test.yaml").read_text()
    frames = _v1_frames("suricata-verify/ikev1-rules/ikev1-isakmp-main-mode.pcap")
    msgs = {n: decode_v1(d) for n, d in frames.items()}
    response = msgs[4]  # pcap_cnt: 4
    assert response.spi_i.hex() == _yaml_value(text, "ike.init_spi")
    assert response.spi_r.hex() == _yaml_value(text, "ike.resp_spi")
    assert int(response.exchange_type) == int(_yaml_value(text, "ike.exchange_type"))
    assert response.exchange_type is V1ExchangeType.IDENTITY_PROTECTION
    client_nonce = msgs[3].get(V1Nonce).data.hex()
    server_nonce = msgs[4].get(V1Nonce).data.hex()
    assert client_nonce == _yaml_value(text, "ike.ikev1.client.nonce_payload")
    assert server_nonce == _yaml_value(text, "ike.ikev1.server.nonce_payload")
    # The responder's chosen transform (Main Mode message 2).
    sa = msgs[2].get(V1SA)
    assert sa.doi is V1DOI.IPSEC and sa.situation == 1
    (proposal,) = sa.proposals
    assert proposal.protocol_id is V1ProtocolId.PROTO_ISAKMP
    (transform,) = proposal.transforms
    get = transform.get
    # EncAesCbc, HashSha, GroupAlternate1024BitModpGroup, AuthPreSharedKey
    assert get(V1IKEAttributeType.ENCRYPTION_ALGORITHM) == V1EncryptionAlgorithm.AES_CBC
    assert get(V1IKEAttributeType.HASH_ALGORITHM) == V1HashAlgorithm.SHA
    assert get(V1IKEAttributeType.GROUP_DESCRIPTION) == V1GroupDescription.MODP_1024
    assert get(V1IKEAttributeType.AUTHENTICATION_METHOD) == V1AuthMethod.PRE_SHARED_KEY
    # {"key": "sa_life_type", "value": "LifeTypeSeconds", "raw": 1}, duration raw 86400
    assert get(V1IKEAttributeType.LIFE_TYPE) == int(V1LifeType.SECONDS) == 1
    durations = [a for a in transform.attributes if a.type == V1IKEAttributeType.LIFE_DURATION]
    assert [a.int_value for a in durations] == [86400]
    assert get(V1IKEAttributeType.KEY_LENGTH) == 128  # test.rules sid:17


def test_suricata_rule_contents() -> None:
    """suricata-verify tests/ikev1-rules/test.rules: the vendor ID and both KE values."""
    rules = (VECTORS / "suricata-verify/ikev1-rules/test.rules").read_text()
    vendor = re.search(r'ike\.vendor; content:"([0-9a-f]+)"', rules)
    server = re.search(
        r'ike\.key_exchange_payload; content:"\|([0-9a-f]+)\|"; flow:to_client', rules
    )
    client = re.search(
        r'ike\.key_exchange_payload; content:"\|([0-9a-f]+)\|"; flow:to_server', rules
    )
    assert vendor and server and client
    msgs = {
        n: decode_v1(d)
        for n, d in _v1_frames("suricata-verify/ikev1-rules/ikev1-isakmp-main-mode.pcap").items()
    }
    vids = {v.data.hex() for m in msgs.values() for v in m.vendor_ids()}
    assert vendor.group(1) in vids
    assert msgs[3].get(V1KE).data.hex() == client.group(1)
    assert msgs[4].get(V1KE).data.hex() == server.group(1)


def test_suricata_duplicate_proposals() -> None:
    """ikev1-duplicate-proposals/test.yaml: life durations 86400 and 65535 in one transform."""
    (data,) = _v1_frames("suricata-verify/ikev1-duplicate-proposals/generated.pcap").values()
    msg = _decode_both(data)
    (transform,) = msg.get(V1SA).proposals[0].transforms
    durations = [
        a.int_value for a in transform.attributes if a.type == V1IKEAttributeType.LIFE_DURATION
    ]
    assert durations == [86400, 65535]


# --------------------------------------------------------------------------- tcpdump


def test_tcpdump_sa_setup_matches_isakmp5_v() -> None:
    """tcpdump tests/isakmp5-v.out (``-v`` on ISAKMP_sa_setup.pcap)."""
    msgs = {n: _decode_both(d) for n, d in _v1_frames("tcpdump/tests/ISAKMP_sa_setup.pcap").items()}
    # "(t: #1 id=ike (type=enc value=aes)(type=keylen value=0080)(type=hash value=sha1)
    #  (type=group desc value=modp768)(type=auth value=preshared)(type=lifetype value=sec)
    #  (type=lifeduration len=4 value=00015180))"
    for n in (1, 2):
        sa = msgs[n].get(V1SA)
        assert sa.doi == V1DOI.IPSEC and sa.situation == 1  # doi=ipsec situation=identity
        (proposal,) = sa.proposals
        assert proposal.number == 1 and proposal.protocol_id == V1ProtocolId.PROTO_ISAKMP
        (t,) = proposal.transforms
        assert t.number == 1 and t.transform_id == 1  # id=ike
        assert [(int(a.type), a.value) for a in t.attributes] == [
            (1, 7),
            (14, 0x0080),
            (2, 2),
            (4, 1),
            (3, 1),
            (11, 1),
            (12, bytes.fromhex("00015180")),
        ]
    assert len(msgs[1].vendor_ids()) == 3 and len(msgs[2].vendor_ids()) == 1
    for n in (3, 4):
        m = msgs[n]
        assert len(m.get(V1KE).data) == 96  # (ke: key len=96)
        assert len(m.get(V1Nonce).data) == 20  # (nonce: n len=20)
        assert [len(v.data) for v in m.vendor_ids()] == [16, 16, 16, 8]
        unknown = [p for p in m.payloads if type(p) is V1UnknownPayload]
        assert [int(p.type) for p in unknown] == [15, 15]  # (pay15)
    for n in (5, 6):
        assert msgs[n].is_encrypted and msgs[n].message_id == 0  # ident[E]
    for n in (7, 8, 9):
        assert msgs[n].exchange_type is V1ExchangeType.QUICK_MODE  # oakley-quick[E]
        assert msgs[n].message_id == 0x0F2B7862 and msgs[n].is_encrypted
    body = msgs[7].encrypted
    assert body is not None and body.next_payload is V1PayloadType.HASH  # [encrypted hash]


def test_tcpdump_identification_segfault_is_well_formed() -> None:
    """isakmp3.out: ``(id: idtype=FQDN protoid=0 port=0 len=248 ...)`` -- a valid ID."""
    (data,) = _v1_frames("tcpdump/tests/isakmp-identification-segfault.pcap").values()
    msg = _decode_both(data)
    ident = msg.get(V1ID)
    assert ident.id_type is V1IDType.ID_FQDN
    assert (ident.protocol_id, ident.port, len(ident.data)) == (0, 0, 248)


MALFORMED = [
    "tcpdump/tests/ikev1_id_ipv6_addr_subnet-oobr.pcap",
    "tcpdump/tests/isakmp-delete-segfault.pcap",
    "tcpdump/tests/isakmp-ikev1_n_print-oobr.pcap",
    "tcpdump/tests/isakmp-no-none-np.pcapng",
    "tcpdump/tests/isakmp-pointer-loop.pcap",
    "tcpdump/tests/isakmp-various-oobr.pcap",
    "tcpdump/tests/isakmpv1-attr-oobr.pcap",
]


@pytest.mark.parametrize("capture", MALFORMED, ids=lambda v: Path(v).name)
def test_tcpdump_malformed_captures_raise_decode_error(capture: str) -> None:
    """tcpdump's out-of-bounds and loop regression inputs: DecodeError, nothing else."""
    count = 0
    for d in iter_udp(VECTORS / capture):
        if 500 not in (d.sport, d.dport):
            continue
        count += 1
        with pytest.raises(DecodeError):
            decode_v1(d.payload)
        with pytest.raises(DecodeError):
            construct_decode_v1(d.payload)
    assert count


def test_non_v1_major_version_answers_invalid_major_version() -> None:
    """isakmp-delete-segfault.pcap has version 0xbe (tshark); RFC 2408 §5.1 answers 5."""
    (d,) = iter_udp(VECTORS / "tcpdump/tests/isakmp-delete-segfault.pcap")
    with pytest.raises(DecodeError) as info:
        decode_v1(d.payload)
    assert info.value.notify == int(V1NotifyType.INVALID_MAJOR_VERSION) == 5
    assert (info.value.offset, info.value.field) == (17, "header.version")


# --------------------------------------------------------------------------- libreswan


def test_libreswan_authip_packet() -> None:
    """libreswan SOURCES.md: "ISAKMP v1.0 header, next payload 0x85 (vendor private),
    exchange type 243 (private), length 0x150"; authip-rogue.raw is the UDP payload."""
    (data,) = _v1_frames("libreswan/weirdike-eastwest.pcap-ike.pcap").values()
    assert data == (VECTORS / "libreswan/authip-rogue.raw").read_bytes()
    msg = _decode_both(data)
    assert (msg.major_version, msg.minor_version) == (1, 0)
    assert msg.next_payload == 0x85
    assert msg.exchange_type == 243 and type(msg.exchange_type) is int
    assert len(data) == 0x150
    first = msg.payloads[0]
    assert type(first) is V1UnknownPayload and first.type == 0x85


@pytest.mark.parametrize(
    "capture",
    [
        "libreswan/01-isakmp-broadcast.pcap",
        "libreswan/01-isakmp-vid-first.pcap",
        "libreswan/01-isakmp-vid-first-resp.pcap",
        "libreswan/01-isakmp-vid-second-resp.pcap",
        "libreswan/02-isakmp-vid-first.pcap",
    ],
    ids=lambda v: Path(v).name,
)
def test_libreswan_vendor_id_captures(capture: str) -> None:
    """libreswan SOURCES.md: single Main Mode message 1 or 2, with vendor IDs."""
    frames = _v1_frames(capture)
    assert frames
    for data in frames.values():
        msg = _decode_both(data)
        assert msg.exchange_type is V1ExchangeType.IDENTITY_PROTECTION
        assert msg.message_id == 0 and not msg.is_encrypted
        assert msg.get(V1SA) is not None and msg.vendor_ids()
        assert (msg.spi_r == bytes(8)) == ("resp" not in capture)


# --------------------------------------------------------------------------- vendor IDs


def test_vendor_ids_published_in_rfcs() -> None:
    rfc3947 = bytes.fromhex("4a131c81070358455c5728f20e95452f")  # RFC 3947 §3.1
    dpd = bytes.fromhex("AFCAD71368A1F1C96B8696FC77570100")  # RFC 3706 §5.1
    assert v1_vendor_id_name(rfc3947) == "RFC 3947"
    assert v1_vendor_id_name(dpd) == "RFC 3706 DPD"
    assert V1VendorID(rfc3947).name == "RFC 3947"
    assert v1_vendor_id_name(b"not a vendor id") is None


@pytest.mark.parametrize(
    "text",
    [
        "RFC 3947",
        "FRAGMENTATION",
        "draft-ietf-ipsec-nat-t-ike-00",
        "draft-ietf-ipsec-nat-t-ike-02",
        "draft-ietf-ipsec-nat-t-ike-03",
        "MS NT5 ISAKMPOAKLEY",
        "strongSwan",
    ],
)
def test_vendor_ids_are_md5_of_their_text(text: str) -> None:
    """These Vendor IDs are defined as MD5 of the text (RFC 3947 §3.1 and the drafts)."""
    digest = hashlib.md5(text.encode()).digest()
    assert V1_VENDOR_IDS[digest] == text


def test_vendor_id_prefixes() -> None:
    """XAUTH is the first 8 octets of MD5 of the draft's name; CISCO-UNITY and FRAGMENTATION
    carry version or capability octets after the registered prefix."""
    xauth = hashlib.md5(b"draft-ietf-ipsra-isakmp-xauth-06.txt").digest()
    assert v1_vendor_id_name(xauth) == "XAUTH"
    unity = hashlib.md5(b"CISCO-UNITY").digest()[:14] + b"\x01\x00"
    assert v1_vendor_id_name(unity) == "CISCO-UNITY"
    frag = hashlib.md5(b"FRAGMENTATION").digest() + bytes.fromhex("80000000")
    assert v1_vendor_id_name(frag) == "FRAGMENTATION"
    assert v1_vendor_id_name(hashlib.md5(b"CISCO-UNITY").digest()[:13]) is None


# --------------------------------------------------------------------------- hand-built cases

COOKIE_I = bytes.fromhex("0011223344556677")
COOKIE_R = bytes.fromhex("8899aabbccddeeff")

PHASE1_SA = V1SA(
    V1DOI.IPSEC,
    1,
    (
        V1Proposal(
            1,
            V1ProtocolId.PROTO_ISAKMP,
            b"",
            (
                V1Transform(
                    1,
                    1,
                    (
                        V1Attribute(V1IKEAttributeType.ENCRYPTION_ALGORITHM, 7),
                        V1Attribute(V1IKEAttributeType.KEY_LENGTH, 256),
                        V1Attribute(V1IKEAttributeType.LIFE_DURATION, bytes.fromhex("00015180")),
                    ),
                ),
                V1Transform(2, 1, (V1Attribute(V1IKEAttributeType.ENCRYPTION_ALGORITHM, 5),)),
            ),
        ),
    ),
)

ALL_PAYLOADS = (
    PHASE1_SA,
    V1KE(b"\x01" * 16),
    V1ID(V1IDType.ID_IPV4_ADDR, bytes([192, 0, 2, 1]), 17, 500),
    V1Cert(4, b"cert"),
    V1CertRequest(4, b""),
    V1Hash(b"h" * 20),
    V1Signature(b"sig"),
    V1Nonce(b"n" * 16),
    V1Notification(
        V1NotifyType.INITIAL_CONTACT, b"", V1ProtocolId.PROTO_ISAKMP, COOKIE_I + COOKIE_R
    ),
    V1Delete(V1ProtocolId.PROTO_IPSEC_ESP, 4, (b"\x00\x00\x01\x00", b"\x00\x00\x02\x00")),
    V1VendorID(bytes.fromhex("4a131c81070358455c5728f20e95452f")),
    V1ConfigPayload(1, (V1Attribute(1, b""), V1Attribute(16520, 0)), identifier=7),
    V1NatD(b"d" * 20),
    V1NatDDraft(b"e" * 20),
    V1NatOA(V1IDType.ID_IPV4_ADDR, bytes([10, 0, 0, 1])),
    V1NatOADraft(V1IDType.ID_IPV6_ADDR, bytes(16)),
    V1Fragment(1, 1, 1, b"frag"),
    V1UnknownPayload(200, b"private"),
)


def test_every_payload_round_trips() -> None:
    msg = V1Message.create(
        V1ExchangeType.IDENTITY_PROTECTION, ALL_PAYLOADS, spi_i=COOKIE_I, spi_r=COOKIE_R
    )
    data = encode_v1(msg)
    assert data == construct_encode_v1(msg)
    assert data[16] == V1PayloadType.SA and data[17] == 0x10
    assert int.from_bytes(data[24:28], "big") == len(data)
    decoded = _decode_both(data)
    assert decoded == msg
    assert [type(p) for p in decoded.payloads] == [type(p) for p in ALL_PAYLOADS]


def test_main_mode_message_one_octets() -> None:
    """Frame 1 of the suricata capture rebuilt from its model gives the captured octets."""
    (data,) = [
        d
        for n, d in _v1_frames("suricata-verify/ikev1-rules/ikev1-isakmp-main-mode.pcap").items()
        if n == 1
    ]
    msg = decode_v1(data)
    rebuilt = V1Message.create(
        msg.exchange_type, msg.payloads, spi_i=msg.spi_i, spi_r=msg.spi_r, message_id=0
    )
    assert encode_v1(rebuilt) == data


def test_models_compare_by_class() -> None:
    assert V1Nonce(b"x") != V1Hash(b"x")
    assert V1NatD(b"x") != V1NatDDraft(b"x")
    assert V1NatD(b"x") == V1NatD(b"x") and hash(V1NatD(b"x")) == hash(V1NatD(b"x"))
    assert V1Attribute(14, 128).int_value == 128
    assert V1Attribute(12, b"\x00\x01\x51\x80").int_value == 86400


def test_id_values() -> None:
    assert V1ID(1, bytes([192, 0, 2, 1])).value == "192.0.2.1"
    assert V1ID(4, bytes([10, 0, 0, 0, 255, 255, 255, 0])).value == "10.0.0.0/255.255.255.0"
    assert V1ID(7, bytes([10, 0, 0, 1, 10, 0, 0, 9])).value == "10.0.0.1-10.0.0.9"
    assert V1ID(2, b"west.example").value == "west.example"
    assert V1ID(11, b"\x01\x02").value == "0102"
    assert str(V1NatOA(1, bytes([10, 0, 0, 1])).ip) == "10.0.0.1"
    assert V1NatOA(99, b"x").ip is None


def test_encrypted_message_stays_closed() -> None:
    body = V1Encrypted(V1PayloadType.HASH, bytes(range(32)))
    msg = V1Message(COOKIE_I, COOKIE_R, 32, FLAG_ENCRYPTION, 0x01020304, (body,))
    data = encode_v1(msg)
    assert data[28:] == bytes(range(32)) and data[16] == 8
    decoded = _decode_both(data)
    assert decoded.encrypted == body and decoded.is_encrypted


def test_flags() -> None:
    msg = V1Message(COOKIE_I, COOKIE_R, 5, FLAG_COMMIT | 0x04, 0)
    assert msg.is_commit and msg.is_authentication_only and not msg.is_encrypted
    assert _decode_both(encode_v1(msg)) == msg


def test_sa_of_another_doi_keeps_its_octets() -> None:
    """RFC 2407 §4.6.1: secrecy / integrity labels follow the situation; GDOI differs."""
    for sa in (V1SA(V1DOI.IPSEC, 0x03, (), b"\x00\x00\x00\x01label"), V1SA(2, 1, (), b"gdoi")):
        msg = V1Message.create(5, (sa,), spi_i=COOKIE_I)
        assert _decode_both(encode_v1(msg)).payloads == (sa,)
        assert not sa.has_proposals


def test_plaintext_chain_and_padding() -> None:
    chain = (V1Hash(b"h" * 20), V1Notification(V1NotifyType.R_U_THERE, b"\x00\x00\x00\x01"))
    data = encode_v1_payloads(chain, b"\x00\x00\x07")
    assert data == construct_encode_v1_payloads(chain, b"\x00\x00\x07")
    assert decode_v1_payloads(8, data) == (chain, b"\x00\x00\x07")
    assert construct_decode_v1_payloads(8, data) == (chain, b"\x00\x00\x07")
    assert decode_v1_payloads(0, b"pad") == ((), b"pad")


# --------------------------------------------------------------------------- malformed input


def _header(next_payload: int, body: bytes, *, flags: int = 0, version: int = 0x10) -> bytes:
    length = 28 + len(body)
    return (
        COOKIE_I
        + COOKIE_R
        + bytes([next_payload, version, 2, flags])
        + bytes(4)
        + length.to_bytes(4, "big")
        + body
    )


def _generic(next_payload: int, body: bytes, reserved: int = 0) -> bytes:
    return bytes([next_payload, reserved]) + (4 + len(body)).to_bytes(2, "big") + body


def _transform(marker: int, body: bytes) -> bytes:
    return _generic(marker, body)


def _proposal(marker: int, transforms: bytes, count: int, spi: bytes = b"") -> bytes:
    return _generic(marker, bytes([1, 1, len(spi), count]) + spi + transforms)


def _sa(proposals: bytes) -> bytes:
    return (1).to_bytes(4, "big") + (1).to_bytes(4, "big") + proposals


GOOD_TRANSFORM = _transform(0, bytes([1, 1, 0, 0]) + bytes.fromhex("80010007"))

MALFORMED_CASES = {
    "short header": (b"\x00" * 27, 0, "header"),
    "length too large": (_header(0, b"")[:-4] + (29).to_bytes(4, "big"), 24, "header.length"),
    "octets after length": (_header(0, b"") + b"\x00", 24, "header.length"),
    "length below header": (_header(0, b"")[:24] + (20).to_bytes(4, "big"), 24, "header.length"),
    "payload past message": (_header(13, b"\x00\x00\x00\x10abc"), None, None),
    "payload length below 4": (_header(13, b"\x00\x00\x00\x03"), None, None),
    "next payload but message ends": (_header(13, _generic(10, b"x")), None, None),
    "proposal outside SA": (_header(2, _generic(0, b"x" * 8)), 28, "payloads[0] (P)"),
    "transform outside SA": (_header(3, _generic(0, b"x" * 8)), 28, "payloads[0] (T)"),
    "proposal next payload 5": (
        _header(1, _generic(0, _sa(_proposal(5, GOOD_TRANSFORM, 1)))),
        None,
        None,
    ),
    "last proposal marked as more": (
        _header(1, _generic(0, _sa(_proposal(2, GOOD_TRANSFORM, 1)))),
        None,
        None,
    ),
    "transform count mismatch": (
        _header(1, _generic(0, _sa(_proposal(0, GOOD_TRANSFORM, 2)))),
        None,
        None,
    ),
    "truncated attribute": (
        _header(
            1,
            _generic(0, _sa(_proposal(0, _transform(0, bytes([1, 1, 0, 0]) + b"\x80\x01\x00"), 1))),
        ),
        None,
        None,
    ),
    "TLV attribute past transform": (
        _header(
            1,
            _generic(
                0,
                _sa(_proposal(0, _transform(0, bytes([1, 1, 0, 0]) + b"\x00\x0c\x00\x08\x00"), 1)),
            ),
        ),
        None,
        None,
    ),
    "SPI past proposal": (
        _header(1, _generic(0, _sa(_generic(0, bytes([1, 1, 9, 0]))))),
        None,
        None,
    ),
    "short SA": (_header(1, _generic(0, b"\x00\x00\x00\x01")), None, None),
    "short notification": (_header(11, _generic(0, b"\x00" * 7)), None, None),
    "notification SPI past payload": (
        _header(11, _generic(0, bytes([0, 0, 0, 1, 1, 16, 0, 14]) + b"x" * 4)),
        None,
        None,
    ),
    "delete SPIs do not fill": (
        _header(12, _generic(0, bytes([0, 0, 0, 1, 3, 4, 0, 2]) + b"x" * 7)),
        None,
        None,
    ),
    "NAT-OA IPv4 of 5 octets": (
        _header(21, _generic(0, bytes([1, 0, 0, 0]) + b"x" * 5)),
        None,
        None,
    ),
    "short ID": (_header(5, _generic(0, b"\x01\x00")), None, None),
    "short config": (_header(14, _generic(0, b"\x01")), None, None),
    "short fragment": (_header(132, _generic(0, b"\x00\x01")), None, None),
    "major version 2": (_header(0, b"", version=0x20), 17, "header.version"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_CASES))
def test_malformed_messages(case: str) -> None:
    data, offset, field = MALFORMED_CASES[case]
    for decode in (decode_v1, construct_decode_v1):
        with pytest.raises(DecodeError) as info:
            decode(data)
        if offset is not None:
            assert info.value.offset == offset
        if field is not None:
            assert info.value.field == field
        assert info.value.notify == (5 if case == "major version 2" else 7)


def test_decode_rejects_non_bytes() -> None:
    with pytest.raises(DecodeError):
        decode_v1("text")  # type: ignore[arg-type]
    with pytest.raises(DecodeError):
        construct_decode_v1(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- encode errors

BAD_MODELS = {
    "encryption flag without a body": V1Message(COOKIE_I, COOKIE_R, 2, FLAG_ENCRYPTION, 0, ()),
    "body without the encryption flag": V1Message(
        COOKIE_I, COOKIE_R, 2, 0, 0, (V1Encrypted(8, b"x" * 8),)
    ),
    "unknown payload with a modelled type": V1Message(
        COOKIE_I, COOKIE_R, 2, 0, 0, (V1UnknownPayload(10, b"x"),)
    ),
    "unknown payload of type 2": V1Message(
        COOKIE_I, COOKIE_R, 2, 0, 0, (V1UnknownPayload(2, b"x"),)
    ),
    "SA with proposals and situation data": V1Message(
        COOKIE_I, COOKIE_R, 2, 0, 0, (PHASE1_SA._replace(situation_data=b"x"),)
    ),
    "SA of another DOI with proposals": V1Message(
        COOKIE_I, COOKIE_R, 2, 0, 0, (PHASE1_SA._replace(doi=2),)
    ),
    "short cookie": V1Message(b"short", COOKIE_R, 2, 0, 0, ()),
    "exchange type out of range": V1Message(COOKIE_I, COOKIE_R, 256, 0, 0, ()),
    "major version out of range": V1Message(COOKIE_I, COOKIE_R, 2, 0, 0, (), 16),
    "delete SPI of the wrong size": V1Message(
        COOKIE_I, COOKIE_R, 5, 0, 0, (V1Delete(3, 4, (b"abc",)),)
    ),
    "NAT-OA address of the wrong size": V1Message(
        COOKIE_I, COOKIE_R, 2, 0, 0, (V1NatOA(1, b"abc"),)
    ),
    "attribute type of 16 bits": V1Message(
        COOKIE_I, COOKIE_R, 6, 0, 0, (V1ConfigPayload(1, (V1Attribute(0x8000, 1),)),)
    ),
    "attribute value of 17 bits": V1Message(
        COOKIE_I, COOKIE_R, 6, 0, 0, (V1ConfigPayload(1, (V1Attribute(1, 0x10000),)),)
    ),
    "a proposal that is not a V1Proposal": V1Message(
        COOKIE_I,
        COOKIE_R,
        2,
        0,
        0,
        (V1SA(1, 1, ("x",)),),  # type: ignore[arg-type]
    ),
    "not a payload": V1Message(COOKIE_I, COOKIE_R, 2, 0, 0, ("x",)),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_encode_errors(case: str) -> None:
    for encode in (encode_v1, construct_encode_v1):
        with pytest.raises(EncodeError):
            encode(BAD_MODELS[case])


def test_encode_rejects_other_objects() -> None:
    for encode in (encode_v1, construct_encode_v1):
        with pytest.raises(EncodeError):
            encode("not a message")  # type: ignore[arg-type]
