"""Real captures decode as their publishers recorded them (issue 2).

Every IKEv2 datagram of the Wireshark ``ikev2-decrypt-*`` captures, the scapy and
suricata-verify IKEv2 pcaps and the tcpdump IKEv2 pcaps decodes, re-encodes to the
identical octets, and agrees with tshark's dissection stored beside it
(``vectors/*/oracle/*.oracle.json``): header fields, the payload type sequence,
notify types, nonces, the SK payload's IV/ciphertext/ICV split and — where tshark
decrypted the SK payload with the published keys — the inner payload chain, decoded
here from tshark's plaintext with :func:`ikewire.wire.decode_payloads`.

rusticata's ``.bin`` messages agree with the values its tests assert
(``vectors/rusticata-ipsec-parser/expectations.json``).

Frames ikewire rejects are listed in :data:`REJECTED` with the reason and what
tshark says of them; every frame tshark marks ``[Malformed Packet]`` must be there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ikewire import DecodeError
from ikewire.constants import (
    AuthMethod,
    EncrId,
    ExchangeType,
    IntegId,
    KeyExchangeMethod,
    NotifyType,
    PayloadType,
    PrfId,
    ProtocolId,
    TransformType,
)
from ikewire.pcap import iter_udp
from ikewire.wire import (
    AUTH,
    CERTREQ,
    KE,
    SA,
    SK,
    SKF,
    Delete,
    Message,
    Nonce,
    Notify,
    Payload,
    VendorID,
    decode,
    decode_payloads,
    encode,
    encode_payloads,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
NAT_T_PORT = 4500
IKE_PORT = 500

# (capture, its tshark oracle), relative to vectors/
CAPTURES: list[tuple[str, str]] = [
    *(
        (
            f"wireshark/captures/ikev2-decrypt-{name}",
            f"wireshark/oracle/ikev2-decrypt-{stem}.oracle.json",
        )
        for name, stem in [
            ("3des-sha1_160.pcap", "3des-sha1_160"),
            ("aes128ccm12-2.pcap", "aes128ccm12-2"),
            ("aes128ccm12.pcap", "aes128ccm12"),
            ("aes192ctr.pcap", "aes192ctr"),
            ("aes256cbc.pcapng", "aes256cbc"),
            ("aes256ccm16.pcapng", "aes256ccm16"),
            ("aes256gcm16.pcap", "aes256gcm16"),
            ("aes256gcm8.pcap", "aes256gcm8"),
        ]
    ),
    ("scapy/ikev2_nat_t.pcapng", "scapy/oracle/ikev2_nat_t.oracle.json"),
    ("scapy/ikev2_notify_redirect.pcap", "scapy/oracle/ikev2_notify_redirect.oracle.json"),
    (
        "suricata-verify/ikev2-weak-dh/IKEv2_SA_INIT_2-8-weak.pcap",
        "suricata-verify/oracle/IKEv2_SA_INIT_2-8-weak.oracle.json",
    ),
    ("tcpdump/tests/ikev2pI2.pcap", "tcpdump/oracle/ikev2pI2.oracle.json"),
    ("tcpdump/tests/ikev2four.pcap", "tcpdump/oracle/ikev2four.oracle.json"),
    ("tcpdump/tests/ikev2-id-normal.pcap", "tcpdump/oracle/ikev2-id-normal.oracle.json"),
    ("tcpdump/tests/ikev2-id-short.pcap", "tcpdump/oracle/ikev2-id-short.oracle.json"),
    ("tcpdump/tests/ikev2pI2-segfault.pcapng", "tcpdump/oracle/ikev2pI2-segfault.oracle.json"),
]

# (capture, frame) -> (DecodeError field, why ikewire rejects it / what tshark says)
REJECTED: dict[tuple[str, int], tuple[str, str]] = {
    ("tcpdump/tests/ikev2pI2-segfault.pcapng", 1): (
        "Transform.last_substruc",
        "tcpdump's fuzz case (a crash once): the first proposal's transforms are cut "
        "and a transform's Last Substruc octet is 46. tshark: [Malformed Packet: ISAKMP].",
    ),
    ("tcpdump/tests/ikev2-id-short.pcap", 1): (
        "IDi.length",
        "IDi Payload Length 5 is below the 8 octets of the generic header and the ID "
        "Type/RESERVED words (RFC 7296 §3.5). tshark shows the payload without a "
        "warning; tcpdump prints '[payload too short]'.",
    ),
    ("tcpdump/tests/ikev2-id-normal.pcap", 1): (
        "payloads",
        "IDi (9 octets, Next Payload 0) is followed by 39 octets inside the header's "
        "Length 76 that no payload claims. tshark stops at Next Payload 0 without a "
        "warning; ikewire (and the Construct declarations) require the chain to fill "
        "the message (RFC 7296 §3.1: Length is the total length of the message).",
    ),
}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _ike_payload(datagram: Any) -> bytes | None:
    """The IKE message in a UDP datagram: on port 4500 only behind the non-ESP
    marker (RFC 3948 §2.2; other datagrams there are ESP or NAT-keepalives)."""
    payload: bytes = datagram.payload
    if NAT_T_PORT in (datagram.sport, datagram.dport):
        return payload[4:] if payload[:4] == bytes(4) else None
    return payload


def _frames() -> list[Any]:
    cases = []
    for capture, oracle_path in CAPTURES:
        oracle = json.loads((VECTORS / oracle_path).read_text())
        by_number = {int(f["frame.number"]): f for f in oracle["frames"]}
        for datagram in iter_udp(VECTORS / capture):
            ike = _ike_payload(datagram)
            if ike is None or len(ike) < 28 or ike[17] >> 4 != 2:
                continue  # not an IKEv2 message
            cases.append(
                pytest.param(
                    capture, datagram, by_number[datagram.frame], id=f"{capture}#{datagram.frame}"
                )
            )
    return cases


FRAMES = _frames()


def _inner(sk: SK | SKF, frame: dict[str, Any]) -> tuple[Payload, ...] | None:
    """The SK payload's inner chain from tshark's decrypted plaintext, if it has one."""
    contained = _as_list(frame.get("sk", {}).get("enc_contained_hex"))
    if not contained:
        return None
    return decode_payloads(sk.next_payload, bytes.fromhex(contained[0]))


def test_every_capture_has_ikev2_frames() -> None:
    captures = {case.values[0] for case in FRAMES}
    assert captures == {capture for capture, _ in CAPTURES}
    assert len(FRAMES) > 90


@pytest.mark.parametrize("capture,datagram,frame", FRAMES)
def test_frame_matches_tshark(capture: str, datagram: Any, frame: dict[str, Any]) -> None:
    assert bytes.fromhex(frame["udp.payload"]) == datagram.payload
    data = _ike_payload(datagram)
    assert data is not None
    key = (capture, datagram.frame)
    if key in REJECTED:
        with pytest.raises(DecodeError) as info:
            decode(data)
        assert info.value.field == REJECTED[key][0]
        return
    assert "_ws.malformed" not in frame, "tshark marks this frame malformed"

    msg = decode(data)
    assert encode(msg) == data

    # Header (RFC 7296 §3.1)
    assert msg.spi_i.hex() == frame["isakmp.ispi"]
    assert msg.spi_r.hex() == frame["isakmp.rspi"]
    assert int(msg.exchange_type) == int(frame["isakmp.exchangetype"])
    assert msg.flags == int(frame["isakmp.flags"], 16)
    assert msg.message_id == int(frame["isakmp.messageid"], 16)
    assert len(data) == int(frame["isakmp.length"])
    assert msg.major_version << 4 | msg.minor_version == int(frame["isakmp.version"], 16)

    # Payload types: tshark lists proposals (2) and transforms (3) too, and the
    # payloads inside a decrypted SK payload after it.
    types = [int(t) for t in _as_list(frame.get("isakmp.typepayload")) if t not in ("2", "3")]
    outer = [int(p.type) for p in msg.payloads]
    assert types[: len(outer)] == outer
    payloads: list[Payload] = list(msg.payloads)
    last = msg.payloads[-1] if msg.payloads else None
    if isinstance(last, SK | SKF):
        sk = frame["sk"]
        iv, data_hex = _as_list(sk["enc_iv_hex"])[0], _as_list(sk["enc_data_hex"])[0]
        icd = _as_list(sk.get("enc_icd_hex", [""]))[0]
        assert last.body == bytes.fromhex(iv + data_hex + icd)
        inner = _inner(last, frame)
        if inner is not None:
            assert [int(p.type) for p in inner] == types[len(outer) :]
            assert encode_payloads(inner) == bytes.fromhex(sk["enc_contained_hex"][0])
            payloads += inner
        else:
            assert types[len(outer) :] == []
    else:
        assert types == outer

    # Notify types, nonces and AUTH data in order, cleartext then inner.
    notifies = [int(p.notify_type) for p in payloads if isinstance(p, Notify)]
    assert notifies == [int(t) for t in _as_list(frame.get("isakmp.notify.msgtype"))]
    nonces = [p.data.hex() for p in payloads if isinstance(p, Nonce)]
    assert nonces == _as_list(frame.get("isakmp.nonce"))
    auths = [p.data.hex() for p in payloads if isinstance(p, AUTH)]
    assert auths == _as_list(frame.get("isakmp.auth.data"))


def test_frames_tshark_marks_malformed_are_rejected() -> None:
    for case in FRAMES:
        capture, datagram, frame = case.values
        if "_ws.malformed" in frame:
            assert (capture, datagram.frame) in REJECTED


def test_wireshark_decrypted_auth_matches_the_published_assertion() -> None:
    """Wireshark's test_decryption asserts the AUTH data inside frame 3's SK payload
    (vectors/wireshark/SOURCES.md); it is in the inner chain decoded here."""
    frame = next(
        c.values[2]
        for c in FRAMES
        if c.values[0].endswith("aes256gcm16.pcap") and c.values[1].frame == 4
    )
    msg = decode(bytes.fromhex(frame["udp.payload"]))
    sk = msg.payloads[-1]
    assert isinstance(sk, SK)
    inner = _inner(sk, frame)
    assert inner is not None
    auth = next(p for p in inner if isinstance(p, AUTH))
    assert auth.data.hex() == "9ab71f14ab553cad873a1aa70b99df155dee77cdcf3694b3b7527acbb9712ded"


def test_tcpdump_pI2_has_an_sk_payload_with_the_critical_bit() -> None:
    """tcpdump's ikev2pI2 IKE_AUTH: Message ID 0 and SK with C set (vectors SOURCES)."""
    datagrams = list(iter_udp(VECTORS / "tcpdump" / "tests" / "ikev2pI2.pcap"))
    msg = decode(datagrams[1].payload)
    assert msg.exchange_type is ExchangeType.IKE_AUTH and msg.message_id == 0
    (sk,) = msg.payloads
    assert isinstance(sk, SK) and sk.critical and sk.next_payload is PayloadType.IDi


def test_tcpdump_fuzz_capture_raises_decode_error_only() -> None:
    """ikev2pI2-segfault crashed tcpdump once; here it is a DecodeError, and so is
    every truncation of it."""
    (datagram,) = list(iter_udp(VECTORS / "tcpdump" / "tests" / "ikev2pI2-segfault.pcapng"))
    for cut in range(len(datagram.payload) + 1):
        with pytest.raises(DecodeError):
            decode(datagram.payload[:cut])


def test_suricata_weak_dh_payload_order() -> None:
    """suricata-verify ikev2-weak-dh test.yaml: payloads [Nonce, KeyExchange,
    SecurityAssociation], SPI 61d3693ce12af528, exchange 34, Message ID 0."""
    (datagram,) = list(
        iter_udp(VECTORS / "suricata-verify" / "ikev2-weak-dh" / "IKEv2_SA_INIT_2-8-weak.pcap")
    )
    msg = decode(datagram.payload)
    assert [type(p).__name__ for p in msg.payloads] == ["Nonce", "KE", "SA"]
    assert msg.spi_i.hex() == "61d3693ce12af528"
    assert msg.exchange_type == 34 and msg.message_id == 0


# =========================================================================== rusticata

RUSTICATA = VECTORS / "rusticata-ipsec-parser"
EXPECTATIONS = json.loads((RUSTICATA / "expectations.json").read_text())["cases"]


def _case(name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in EXPECTATIONS if c.get("file") == name)
    return found


def _check_header(msg: Message, data: bytes, expect: dict[str, Any]) -> None:
    assert msg.spi_i.hex() == expect["init_spi"]
    assert msg.spi_r.hex() == expect["resp_spi"]
    assert msg.next_payload == expect["next_payload"]
    assert int(msg.exchange_type) == expect["exchange"]
    assert msg.flags == expect["flags"]
    assert msg.message_id == expect["msg_id"]
    assert len(data) == expect["length"]


def test_rusticata_ike_sa_init_request() -> None:
    data = (RUSTICATA / "ike-sa-init-req.bin").read_bytes()
    expect = _case("ike-sa-init-req.bin")["expect"]
    msg = decode(data)
    assert encode(msg) == data
    _check_header(msg, data, expect)
    assert f"{msg.major_version}.{msg.minor_version}" == expect["version"]
    # rusticata's chain: the header's Next Payload, then each payload's.
    chain = [msg.next_payload] + [int(p.type) for p in msg.payloads[1:]] + [0]
    assert chain == expect["payload_next_payload_chain"]
    assert len(msg.payloads) == expect["payload_count"]
    assert expect["trailing_bytes"] == 0  # ikewire rejects trailing octets; none here
    sa, ke, nonce = msg.payloads
    assert isinstance(sa, SA) and isinstance(ke, KE) and isinstance(nonce, Nonce)
    (proposal,) = sa.proposals
    assert proposal.protocol_id is ProtocolId.IKE
    assert [(t.type, t.id, t.key_length) for t in proposal.transforms] == [
        (TransformType.ENCR, EncrId.ENCR_AES_CBC, 128),
        (TransformType.ENCR, EncrId.ENCR_3DES, None),
        (TransformType.PRF, PrfId.PRF_HMAC_SHA1, None),
        (TransformType.INTEG, IntegId.AUTH_HMAC_SHA1_96, None),
        (TransformType.KE, KeyExchangeMethod.MODP_1024, None),
    ]
    assert ke.group is KeyExchangeMethod.MODP_1024 and len(ke.data) == 128
    assert len(nonce.data) == 32


def test_rusticata_ike_sa_init_response() -> None:
    data = (RUSTICATA / "ike-sa-init-resp.bin").read_bytes()
    expect = _case("ike-sa-init-resp.bin")["expect"]
    msg = decode(data)
    assert encode(msg) == data
    assert len(data) == expect["length"]
    assert len(msg.payloads) == expect["payload_count"]
    sa, ke, nonce, certreq, notify = msg.payloads
    assert isinstance(sa, SA) and isinstance(ke, KE) and isinstance(nonce, Nonce)
    assert isinstance(certreq, CERTREQ) and isinstance(notify, Notify)
    assert [(int(t.type), int(t.id), t.key_length) for t in sa.proposals[0].transforms] == [
        (1, 12, 128),
        (2, 2, None),
        (3, 2, None),
        (4, 2, None),
    ]
    assert ke.group == 2 and len(ke.data) == 128 and len(nonce.data) == 32
    assert len(certreq.data) + 5 == 25  # "CERTREQ(len 25)": Payload Length
    assert notify.notify_type is NotifyType.HTTP_CERT_LOOKUP_SUPPORTED


def test_rusticata_nat_t_message() -> None:
    raw = (RUSTICATA / "ikev2_msg_natt_nonesp.bin").read_bytes()
    expect = _case("ikev2_msg_natt_nonesp.bin")["expect"]
    assert raw[:4].hex() == expect["non_esp_marker"]
    data = raw[4:]
    msg = decode(data)
    assert encode(msg) == data
    _check_header(msg, data, expect)
    sa = msg.payloads[0]
    assert isinstance(sa, SA)
    assert len(sa.proposals) == expect["sa_proposals"]
    assert [len(p.transforms) for p in sa.proposals] == expect["transforms_per_proposal"]


def test_rusticata_init_request_328() -> None:
    data = (RUSTICATA / "ikev2_init_req_328.bin").read_bytes()
    expect = _case("ikev2_init_req_328.bin")["expect"]
    msg = decode(data)
    assert encode(msg) == data
    _check_header(msg, data, expect)
    sa, ke, nonce, *notifies = msg.payloads
    assert isinstance(sa, SA) and isinstance(ke, KE) and isinstance(nonce, Nonce)
    assert [(int(t.type), int(t.id), t.key_length) for t in sa.proposals[0].transforms] == [
        (1, 20, 128),
        (3, 12, None),
        (2, 5, None),
        (4, 30, None),
    ]
    assert ke.group is KeyExchangeMethod.BRAINPOOLP512R1 and len(ke.data) == 128
    assert len(nonce.data) == 32
    assert [(int(n.notify_type), n.data.hex()) for n in notifies if isinstance(n, Notify)] == [
        (16388, notifies[0].data.hex()),  # type: ignore[union-attr]
        (16389, notifies[1].data.hex()),  # type: ignore[union-attr]
        (16431, "0001000200030004"),
        (16406, ""),
    ]


def test_rusticata_bare_sa_payload() -> None:
    """IKEV2_PAYLOAD_SA: a lone SA payload whose Next Payload is 34 (KE). As a chain
    it would need the KE payload after it, so its Next Payload is read here and
    then set to 0 to decode the rest."""
    data = (RUSTICATA / "ikev2_payload_sa.bin").read_bytes()
    expect = _case("ikev2_payload_sa.bin")["expect"]
    header = expect["generic_header"]
    assert data[0] == header["next_payload"]
    with pytest.raises(DecodeError):
        decode_payloads(PayloadType.SA, data)  # the promised KE payload is missing
    (sa,) = decode_payloads(PayloadType.SA, b"\x00" + data[1:])
    assert isinstance(sa, SA)
    assert sa.critical is header["critical"]
    assert len(data) == header["length"]
    (proposal,) = sa.proposals
    p = expect["proposal"]
    assert (proposal.number, int(proposal.protocol_id), len(proposal.spi)) == (
        p["num"],
        p["protocol"],
        p["spi_size"],
    )
    assert len(proposal.transforms) == p["num_transforms"]
    for transform, t in zip(proposal.transforms, expect["transforms"], strict=True):
        assert (int(transform.type), int(transform.id)) == (t["type"], t["id"])
        if "attributes_raw" in t:
            kind, value = bytes.fromhex(t["attributes_raw"])[:2], t["attributes_raw"][4:]
            assert transform.attributes[0].type == int.from_bytes(kind, "big") & 0x7FFF
            assert transform.attributes[0].value == int(value, 16)
    assert encode_payloads([sa])[1:] == data[1:]


@pytest.mark.parametrize(
    "case", [c for c in EXPECTATIONS if "hex" in c], ids=lambda c: c["from"].split()[1]
)
def test_rusticata_hand_crafted_payloads(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["hex"])
    (payload,) = decode_payloads(case["first_payload_type"], data)
    assert encode_payloads([payload]) == data
    expect = case["expect"]
    if "notify" in expect:
        n = expect["notify"]
        assert isinstance(payload, Notify)
        assert (int(payload.protocol_id), len(payload.spi), int(payload.notify_type)) == (
            n["protocol_id"],
            n["spi_size"],
            n["type"],
        )
        assert payload.data.hex() == n["data"]
    elif "delete" in expect:
        d = expect["delete"]
        assert isinstance(payload, Delete)
        assert (int(payload.protocol_id), payload.spi_size, len(payload.spis)) == (
            d["protocol_id"],
            d["spi_size"],
            d["num_spi"],
        )
    else:
        assert isinstance(payload, VendorID)
        assert payload.data.hex() == expect["vendor_id"]


def test_wireshark_decrypted_auth_payloads_are_psk() -> None:
    """The Wireshark captures authenticate with PSKs: every decrypted AUTH payload
    has Auth Method 2 (RFC 7296 §3.8), decoded to the registry member."""
    methods = set()
    for case in FRAMES:
        capture, _, frame = case.values
        if not capture.startswith("wireshark"):
            continue
        msg = decode(bytes.fromhex(frame["udp.payload"]))
        last = msg.payloads[-1] if msg.payloads else None
        if isinstance(last, SK):
            for p in _inner(last, frame) or ():
                if isinstance(p, AUTH):
                    methods.add(p.method)
    assert methods == {AuthMethod.SHARED_KEY_MESSAGE_INTEGRITY_CODE}
