"""The Construct declarations (ikewire.wire.v2) against published IKEv2 messages.

Known answers: rusticata/ipsec-parser's test assets and the values its tests
assert (vectors/rusticata-ipsec-parser, expectations.json), and Wireshark's own
dissection of its test captures (vectors/*/oracle, tshark 4.0.17).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import construct as c
import pytest

from ikewire import DecodeError, EncodeError
from ikewire.constants import (
    ExchangeType,
    KeyExchangeMethod,
    NotifyType,
    PayloadType,
    ProtocolId,
    TransformAttributeType,
    TransformType,
)
from ikewire.wire import models as m
from ikewire.wire.v2 import (
    MESSAGE,
    PAYLOAD,
    construct_decode,
    construct_decode_payloads,
    construct_encode,
    construct_encode_payloads,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
RUSTICATA = VECTORS / "rusticata-ipsec-parser"
EXPECTATIONS: list[dict[str, Any]] = json.loads((RUSTICATA / "expectations.json").read_text())[
    "cases"
]
MESSAGE_CASES = [case for case in EXPECTATIONS if "file" in case and "init_spi" in case["expect"]]


def _load(name: str) -> bytes:
    data = (RUSTICATA / name).read_bytes()
    if name == "ikev2_msg_natt_nonesp.bin":  # UDP/4500 payload: strip the non-ESP marker
        assert data[:4] == bytes(4)
        data = data[4:]
    return data


def _case(name: str) -> dict[str, Any]:
    return next(case["expect"] for case in EXPECTATIONS if case.get("file") == name)


# --------------------------------------------------------------------------- rusticata


@pytest.mark.parametrize("case", MESSAGE_CASES, ids=lambda case: case["file"])
def test_rusticata_header(case: dict[str, Any]) -> None:
    """RFC 7296 §3.1: header fields as rusticata's tests assert them."""
    data = _load(case["file"])
    expect = case["expect"]
    msg = construct_decode(data)
    assert msg.spi_i.hex() == expect["init_spi"]
    assert msg.spi_r.hex() == expect["resp_spi"]
    assert msg.next_payload == expect["next_payload"]
    assert msg.exchange_type == expect["exchange"] == ExchangeType.IKE_SA_INIT
    assert msg.flags == expect["flags"]
    assert msg.is_initiator and not msg.is_response
    assert msg.message_id == expect["msg_id"]
    assert len(data) == expect["length"]
    if "version" in expect:
        assert f"{msg.major_version}.{msg.minor_version}" == expect["version"]
    assert construct_encode(msg) == data


def test_rusticata_sa_init_request_chain() -> None:
    """ike-sa-init-req.bin: SA, KE (group 2, 128 octets), Nonce (32 octets)."""
    expect = _case("ike-sa-init-req.bin")
    msg = construct_decode(_load("ike-sa-init-req.bin"))
    assert len(msg.payloads) == expect["payload_count"] == 3
    # rusticata lists each payload's Next Payload: the header's, then each payload's.
    chain = [msg.next_payload] + [
        msg.payloads[i + 1].type if i + 1 < len(msg.payloads) else 0
        for i in range(len(msg.payloads))
    ]
    assert chain == expect["payload_next_payload_chain"]
    sa, ke, nonce = msg.payloads
    assert isinstance(sa, m.SA) and isinstance(ke, m.KE) and isinstance(nonce, m.Nonce)
    (proposal,) = sa.proposals
    assert proposal.protocol_id == ProtocolId.IKE
    assert [(t.type, t.id) for t in proposal.transforms] == [
        (1, 12),
        (1, 3),
        (2, 2),
        (3, 2),
        (4, 2),
    ]
    assert proposal.transforms[0].key_length == 128
    assert ke.group == KeyExchangeMethod.MODP_1024 and len(ke.data) == 128
    assert len(nonce.data) == 32


def test_rusticata_sa_init_response_chain() -> None:
    """ike-sa-init-resp.bin: SA, KE, Nonce, CERTREQ (length 25), N(HTTP_CERT_LOOKUP_SUPPORTED)."""
    expect = _case("ike-sa-init-resp.bin")
    data = _load("ike-sa-init-resp.bin")
    msg = construct_decode(data)
    assert len(data) == expect["length"]
    assert len(msg.payloads) == expect["payload_count"]
    assert [type(p) for p in msg.payloads] == [m.SA, m.KE, m.Nonce, m.CERTREQ, m.Notify]
    certreq = msg.payloads[3]
    assert isinstance(certreq, m.CERTREQ)
    assert 4 + 1 + len(certreq.data) == 25
    notify = msg.payloads[4]
    assert isinstance(notify, m.Notify)
    assert notify.notify_type == 16392 and notify.data == b""
    (proposal,) = msg.payloads[0].proposals  # type: ignore[union-attr]
    assert [(t.type, t.id, t.key_length) for t in proposal.transforms] == [
        (1, 12, 128),
        (2, 2, None),
        (3, 2, None),
        (4, 2, None),
    ]
    assert construct_encode(msg) == data


def test_rusticata_natt_message_proposals() -> None:
    """ikev2_msg_natt_nonesp.bin: four proposals of 3, 3, 4, 4 transforms."""
    expect = _case("ikev2_msg_natt_nonesp.bin")
    msg = construct_decode(_load("ikev2_msg_natt_nonesp.bin"))
    sa = msg.payloads[0]
    assert isinstance(sa, m.SA)
    assert len(sa.proposals) == expect["sa_proposals"]
    assert [len(p.transforms) for p in sa.proposals] == expect["transforms_per_proposal"]
    assert [p.number for p in sa.proposals] == [1, 2, 3, 4]


def test_rusticata_init_request_notifies() -> None:
    """ikev2_init_req_328.bin: AES-GCM-16/128 proposal, brainpoolP512r1 KE and four notifies."""
    msg = construct_decode(_load("ikev2_init_req_328.bin"))
    sa, ke, nonce, *_ = msg.payloads
    assert isinstance(sa, m.SA) and isinstance(ke, m.KE) and isinstance(nonce, m.Nonce)
    transforms = sa.proposals[0].transforms
    assert [(t.type, t.id) for t in transforms] == [(1, 20), (3, 12), (2, 5), (4, 30)]
    assert transforms[0].key_length == 128
    assert ke.group == KeyExchangeMethod.BRAINPOOLP512R1 and len(ke.data) == 128
    assert len(nonce.data) == 32
    assert [n.notify_type for n in msg.notifies()] == [16388, 16389, 16431, 16406]
    assert msg.notifies()[0].notify_type == NotifyType.NAT_DETECTION_SOURCE_IP
    assert msg.notifies()[2].data == bytes.fromhex("0001000200030004")
    assert all(len(n.data) == 20 for n in msg.notifies()[:2])


def test_rusticata_sa_payload_declaration() -> None:
    """ikev2_payload_sa.bin: the SA payload declaration, field by field (RFC 7296 §3.3)."""
    data = _load("ikev2_payload_sa.bin")
    expect = _case("ikev2_payload_sa.bin")
    parsed = PAYLOAD.parse(data, type=PayloadType.SA)
    generic = expect["generic_header"]
    assert parsed.next_payload == generic["next_payload"]
    assert parsed.header.critical is generic["critical"]
    assert len(data) == generic["length"]
    (proposal,) = parsed.body.proposals
    want = expect["proposal"]
    assert (proposal.body.number, proposal.body.protocol_id) == (want["num"], want["protocol"])
    assert proposal.body.spi_size == want["spi_size"]
    assert proposal.body.num_transforms == want["num_transforms"]
    assert len(data) - 4 == want["length"]
    got = [(t.body.type, t.body.id) for t in proposal.body.transforms]
    assert got == [(t["type"], t["id"]) for t in expect["transforms"]]
    (attribute,) = proposal.body.transforms[0].body.attributes
    assert attribute.format.tv and attribute.format.type == TransformAttributeType.KEY_LENGTH
    assert attribute.value == int(expect["transforms"][0]["attributes_raw"][4:], 16)
    # The declaration builds the same octets back, lengths and markers recomputed.
    assert PAYLOAD.build(parsed, type=PayloadType.SA) == data


@pytest.mark.parametrize(
    "case",
    [case for case in EXPECTATIONS if "hex" in case],
    ids=lambda case: case["from"].split()[1],
)
def test_rusticata_hand_crafted_payloads(case: dict[str, Any]) -> None:
    """Notify (§3.10), Delete (§3.11) and Vendor ID (§3.12) bodies from rusticata's tests."""
    data = bytes.fromhex(case["hex"])
    (payload,) = construct_decode_payloads(case["first_payload_type"], data)
    expect = case["expect"]
    if "notify" in expect:
        assert isinstance(payload, m.Notify)
        want = expect["notify"]
        assert payload.protocol_id == want["protocol_id"]
        assert len(payload.spi) == want["spi_size"]
        assert payload.notify_type == want["type"] == NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD
        assert payload.data.hex() == want["data"]
    elif "delete" in expect:
        assert isinstance(payload, m.Delete)
        want = expect["delete"]
        assert payload.protocol_id == want["protocol_id"] == ProtocolId.IKE
        assert payload.spi_size == want["spi_size"]
        assert len(payload.spis) == want["num_spi"]
    else:
        assert payload == m.VendorID(bytes.fromhex(expect["vendor_id"]))
    assert construct_encode_payloads([payload]) == data


# --------------------------------------------------------------------------- Wireshark's view


# Captures made to be malformed (tcpdump's robustness tests): an ID payload whose
# length leaves 39 octets of the message outside every payload, and one cut short.
MALFORMED_CAPTURES = {"tcpdump/ikev2-id-normal.oracle", "tcpdump/ikev2-id-short.oracle"}


def _oracle_frames(malformed: bool) -> list[tuple[str, dict[str, Any]]]:
    frames = []
    for path in sorted(VECTORS.glob("*/oracle/*.oracle.json")):
        name = f"{path.parent.parent.name}/{path.stem}"
        for frame in json.loads(path.read_text())["frames"]:
            if frame.get("isakmp.version") != "0x20" or "udp.payload" not in frame:
                continue
            bad = name in MALFORMED_CAPTURES or "_ws.malformed" in frame
            if bad == malformed:
                frames.append((f"{name}#{frame['frame.number']}", frame))
    return frames


ORACLE_FRAMES = _oracle_frames(malformed=False)
MALFORMED_FRAMES = _oracle_frames(malformed=True)


def _ike_octets(frame: dict[str, Any]) -> bytes:
    data = bytes.fromhex(frame["udp.payload"])
    if frame.get("udp.srcport") == "4500" or frame.get("udp.dstport") == "4500":
        assert data[:4] == bytes(4)  # non-ESP marker (RFC 3948 §2.2)
        data = data[4:]
    return data


def _listed(frame: dict[str, Any], key: str) -> list[str]:
    value = frame.get(key, [])
    return value if isinstance(value, list) else [value]


@pytest.mark.skipif(not ORACLE_FRAMES, reason="no tshark oracle in vectors/")
@pytest.mark.parametrize("frame", [f for _, f in ORACLE_FRAMES], ids=[i for i, _ in ORACLE_FRAMES])
def test_wireshark_oracle(frame: dict[str, Any]) -> None:
    """Header, top-level payload chain, notify types and nonce as tshark dissects them."""
    data = _ike_octets(frame)
    if len(data) != int(frame["isakmp.length"]):
        pytest.skip("frame truncated in the capture")
    msg = construct_decode(data)
    assert msg.spi_i.hex() == frame["isakmp.ispi"]
    assert msg.spi_r.hex() == frame["isakmp.rspi"]
    assert msg.exchange_type == int(frame["isakmp.exchangetype"])
    assert msg.flags == int(frame["isakmp.flags"], 16)
    assert msg.message_id == int(frame["isakmp.messageid"], 16)
    # tshark lists substructures (2 = proposal, 3 = transform, < 33) and the
    # payloads it decrypted inside SK among the payload types; keep the outer chain.
    chain: list[int] = []
    for value in (int(v) for v in _listed(frame, "isakmp.typepayload")):
        if value >= 33:
            chain.append(value)
        if value in (PayloadType.SK, PayloadType.SKF):
            break
    assert [int(p.type) for p in msg.payloads] == chain
    if not any(p.type in (PayloadType.SK, PayloadType.SKF) for p in msg.payloads):
        notify_types = [int(v) for v in _listed(frame, "isakmp.notify.msgtype")]
        assert [int(n.notify_type) for n in msg.notifies()] == notify_types
        nonce = msg.get(m.Nonce)
        if "isakmp.nonce" in frame:
            assert nonce is not None and nonce.data.hex() == frame["isakmp.nonce"]
    assert construct_encode(msg) == data


@pytest.mark.skipif(not MALFORMED_FRAMES, reason="no malformed captures in vectors/")
@pytest.mark.parametrize(
    "frame", [f for _, f in MALFORMED_FRAMES], ids=[i for i, _ in MALFORMED_FRAMES]
)
def test_malformed_captures_raise_decode_error(frame: dict[str, Any]) -> None:
    """Frames tshark flags as malformed, and tcpdump's crafted ones, give DecodeError."""
    with pytest.raises(DecodeError):
        construct_decode(_ike_octets(frame))


# --------------------------------------------------------------------------- behaviour


def test_built_message_computes_lengths_and_chain() -> None:
    """A message built from models gets its Length, Payload Lengths and Next Payload chain."""
    msg = m.Message.create(
        ExchangeType.INFORMATIONAL,
        [
            m.Notify(NotifyType.NAT_DETECTION_SOURCE_IP, bytes(20)),
            m.SK(PayloadType.NONE, b"iv+icv"),
        ],
        spi_i=bytes(range(8)),
        message_id=7,
    )
    data = construct_encode(msg)
    assert data[16] == PayloadType.NOTIFY  # header Next Payload
    assert data[17] == 0x20  # version 2.0
    assert int.from_bytes(data[24:28], "big") == len(data) == 28 + 28 + 10
    assert data[28] == PayloadType.SK and int.from_bytes(data[30:32], "big") == 28
    assert data[56] == 0 and int.from_bytes(data[58:60], "big") == 10  # SK: inner type 0
    assert construct_decode(data) == msg


def test_sk_must_be_last_on_encode() -> None:
    """RFC 7296 §3.14: SK is the last payload; the encoder refuses anything after it."""
    msg = m.Message.create(
        ExchangeType.IKE_AUTH, [m.SK(PayloadType.IDi, b""), m.Nonce(bytes(16))], spi_i=bytes(8)
    )
    with pytest.raises(EncodeError):
        construct_encode(msg)


@pytest.mark.parametrize(
    "payload",
    [
        m.KE(KeyExchangeMethod.MODP_2048, b"", reserved=0x10000),
        m.Delete(ProtocolId.ESP, 4, (b"\x00\x00\x00\x01", b"\x00\x00\x01")),
        m.TSi((m.TrafficSelector(7, 0, 0, 65535, bytes(16), bytes(16)),)),
        m.TSi((m.RawTrafficSelector(7, 0, b""),)),
        m.UnknownPayload(PayloadType.NONCE, b""),
        m.UnknownPayload(0, b""),
        m.SA((m.Proposal(1, 1, b"", (m.Transform(1, 12, (m.TransformAttribute(14, 70000),)),)),)),
        m.Nonce(b"x", header_reserved=128),
    ],
)
def test_out_of_range_models_raise_encode_error(payload: m.Payload) -> None:
    with pytest.raises(EncodeError):
        construct_encode(m.Message.create(ExchangeType.INFORMATIONAL, [payload], spi_i=bytes(8)))


def test_decode_errors_name_offset_and_field() -> None:
    data = bytearray(_load("ikev2_init_req_328.bin"))
    data[0x2B] = 0  # first transform's Transform Length: 12 -> 0
    with pytest.raises(DecodeError) as info:
        construct_decode(bytes(data))
    assert info.value.offset == 0x28  # where that transform starts
    assert info.value.field == "payloads[0] (SA).proposals[0].transforms[0]"
    with pytest.raises(DecodeError) as info:
        construct_decode(bytes(data[:20]))
    assert info.value.field == "header"


def test_compiled_parser_skips_checks() -> None:
    """Why the interpreted declarations are the reference: construct's compiled
    parser accepts a header Length beyond the datagram, the interpreted one does not."""
    data = bytearray(_load("ikev2_init_req_328.bin"))
    data[27] += 1  # Length 328 -> 329, one octet more than present
    compiled = MESSAGE.compile()
    assert compiled.parse(bytes(data)) is not None
    with pytest.raises(c.StreamError):
        MESSAGE.parse(bytes(data))
    with pytest.raises(DecodeError):
        construct_decode(bytes(data))


def test_transform_type_ids_use_their_registry() -> None:
    """RFC 7296 §3.3.2: the Transform ID's registry follows the Transform Type."""
    msg = construct_decode(_load("ikev2_init_req_328.bin"))
    types = {t.type: t.id for t in msg.payloads[0].proposals[0].transforms}  # type: ignore[union-attr]
    assert types[TransformType.KE] == KeyExchangeMethod.BRAINPOOLP512R1
    assert type(types[TransformType.KE]).__name__ == "KeyExchangeMethod"
