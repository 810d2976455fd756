"""The fast IKEv2 codec (ikewire.wire.codec), payload type by payload type.

* Known bytes: each payload built from models encodes to octets written out here by
  hand from the RFC 7296 §3 layouts (and RFC 7383 §2.5 for SKF), and decodes back.
* Every well-formedness check has a case feeding the bad octets and asserting the
  DecodeError's field and offset.
* Every prefix of a valid message (raw, or with the header's Length patched to fit)
  raises DecodeError; every single-bit flip of real messages gives DecodeError or a
  message that re-encodes to the flipped octets.
* Out-of-range models raise EncodeError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ikewire import DecodeError, EncodeError
from ikewire.constants import (
    ESN,
    AuthMethod,
    CertEncoding,
    CfgType,
    CPAttributeType,
    EncrId,
    ExchangeType,
    IDType,
    IntegId,
    KeyExchangeMethod,
    NotifyType,
    PayloadType,
    PrfId,
    ProtocolId,
    TransformAttributeType,
    TransformType,
    TSType,
)
from ikewire.wire import (
    AUTH,
    CERT,
    CERTREQ,
    CP,
    EAP,
    KE,
    SA,
    SK,
    SKF,
    CPAttribute,
    Delete,
    IDi,
    IDr,
    Message,
    Nonce,
    Notify,
    Payload,
    Proposal,
    RawTrafficSelector,
    TrafficSelector,
    Transform,
    TransformAttribute,
    TSi,
    TSr,
    UnknownPayload,
    VendorID,
    decode,
    decode_payloads,
    decode_v2,
    encode,
    encode_payload_body,
    encode_payloads,
    encode_v2,
    sk_associated_data,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
KEY_LENGTH = TransformAttributeType.KEY_LENGTH
SPI_I = bytes.fromhex("0102030405060708")


def message(first: int, chain: str, *, version: int = 0x20, exchange: int = 34) -> bytes:
    """An IKE header (RFC 7296 §3.1: SPIi 0102..08, SPIr 0, I flag, Message ID 0)
    with a correct Length, followed by ``chain`` (hex)."""
    body = bytes.fromhex(chain)
    return (
        SPI_I
        + bytes(8)
        + bytes([first, version, exchange, 0x08])
        + bytes(4)
        + (28 + len(body)).to_bytes(4, "big")
        + body
    )


# =========================================================================== known bytes

# (id, payload model, the payload's octets alone in a chain: Next Payload 0)
KNOWN: list[tuple[str, Payload, str]] = [
    (
        # RFC 7296 §3.3: one IKE proposal, AES-CBC-256 / HMAC-SHA2-256 / MODP-2048.
        "SA-ike",
        SA(
            (
                Proposal(
                    1,
                    ProtocolId.IKE,
                    b"",
                    (
                        Transform(
                            TransformType.ENCR,
                            EncrId.ENCR_AES_CBC,
                            (TransformAttribute(KEY_LENGTH, 256),),
                        ),
                        Transform(TransformType.PRF, PrfId.PRF_HMAC_SHA2_256),
                        Transform(TransformType.INTEG, IntegId.AUTH_HMAC_SHA2_256_128),
                        Transform(TransformType.KE, KeyExchangeMethod.MODP_2048),
                    ),
                ),
            )
        ),
        "00000030"  # generic header: Payload Length 48
        "0000002c01010004"  # last, RESERVED, Proposal Length 44, #1, IKE, SPI Size 0, 4 transforms
        "0300000c0100000c800e0100"  # more, length 12, ENCR, AES-CBC, Key Length (TV) 256
        "0300000802000005"  # more, length 8, PRF, HMAC-SHA2-256
        "030000080300000c"  # more, INTEG, AUTH_HMAC_SHA2_256_128
        "000000080400000e",  # last, KE, 14
    ),
    (
        # RFC 7296 §3.3.1: two ESP proposals with 4-octet SPIs, Last Substruc 2 then 0.
        "SA-esp",
        SA(
            (
                Proposal(
                    1,
                    ProtocolId.ESP,
                    bytes.fromhex("11223344"),
                    (
                        Transform(
                            TransformType.ENCR,
                            EncrId.ENCR_AES_GCM_16,
                            (TransformAttribute(KEY_LENGTH, 128),),
                        ),
                        Transform(TransformType.ESN, ESN.NO_ESN),
                    ),
                ),
                Proposal(
                    2,
                    ProtocolId.ESP,
                    bytes.fromhex("55667788"),
                    (
                        Transform(
                            TransformType.ENCR,
                            EncrId.ENCR_AES_CBC,
                            (TransformAttribute(KEY_LENGTH, 128),),
                        ),
                        Transform(TransformType.INTEG, IntegId.AUTH_HMAC_SHA1_96),
                        Transform(TransformType.ESN, ESN.NO_ESN),
                    ),
                ),
            )
        ),
        "0000004c"
        "020000200103040211223344"  # more, length 32, #1, ESP, SPI Size 4, 2 transforms, SPI
        "0300000c01000014800e0080"
        "0000000805000000"
        "000000280203040355667788"  # last, length 40, #2, ESP, SPI Size 4, 3 transforms, SPI
        "0300000c0100000c800e0080"
        "0300000803000002"
        "0000000805000000",
    ),
    (
        # RFC 7296 §3.3.5: a TLV attribute (AF = 0) of an unregistered type on a
        # private-use transform ID; unknown numbers stay ints.
        "SA-tlv-attribute",
        SA(
            (
                Proposal(
                    1,
                    ProtocolId.IKE,
                    b"",
                    (Transform(1, 1024, (TransformAttribute(17, b"\xab\xcd"),)),),
                ),
            )
        ),
        "0000001a00000016010100010000000e0100040000110002abcd",
    ),
    (
        # RFC 7296 §3.3.2: RESERVED octets of a transform and a proposal kept.
        "SA-reserved",
        SA((Proposal(1, ProtocolId.IKE, b"", (Transform(4, 31, (), 0x0102),), reserved=0x7F),)),
        "00000014007f001001010001000100080402001f",
    ),
    (
        "KE",  # RFC 7296 §3.4
        KE(KeyExchangeMethod.ECP_256, bytes(range(8))),
        "00000010001300000001020304050607",
    ),
    (
        "IDi-fqdn",  # RFC 7296 §3.5
        IDi(IDType.ID_FQDN, b"west"),
        "0000000c0200000077657374",
    ),
    (
        "IDr-ipv4-reserved",  # RFC 7296 §3.5, RESERVED octets kept
        IDr(IDType.ID_IPV4_ADDR, bytes([192, 0, 2, 1]), reserved=0xABCDEF),
        "0000000c01abcdefc0000201",
    ),
    (
        "CERT",  # RFC 7296 §3.6
        CERT(CertEncoding.X509_CERTIFICATE_SIGNATURE, b"\x30\x82\x01"),
        "0000000804308201",
    ),
    (
        "CERTREQ",  # RFC 7296 §3.7: a SHA-1 hash of a CA public key
        CERTREQ(CertEncoding.X509_CERTIFICATE_SIGNATURE, bytes(range(20))),
        "0000001904000102030405060708090a0b0c0d0e0f10111213",
    ),
    (
        "AUTH",  # RFC 7296 §3.8
        AUTH(AuthMethod.SHARED_KEY_MESSAGE_INTEGRITY_CODE, b"\xde\xad\xbe\xef"),
        "0000000c02000000deadbeef",
    ),
    (
        "Nonce",  # RFC 7296 §3.9
        Nonce(bytes(range(16))),
        "00000014000102030405060708090a0b0c0d0e0f",
    ),
    (
        "Notify-nat-d",  # RFC 7296 §3.10: Protocol ID 0, SPI Size 0, type 16388
        Notify(NotifyType.NAT_DETECTION_SOURCE_IP, bytes(20)),
        "0000001c00004004" + "00" * 20,
    ),
    (
        "Notify-rekey-sa",  # RFC 7296 §3.10: ESP, SPI Size 4, REKEY_SA, the SPI, no data
        Notify(NotifyType.REKEY_SA, b"", ProtocolId.ESP, b"\x01\x02\x03\x04"),
        "0000000c0304400901020304",
    ),
    (
        "Notify-unknown-type",  # an unregistered notify type stays an int
        Notify(40000, b"\xff"),
        "0000000900009c40ff",
    ),
    (
        "Delete-esp",  # RFC 7296 §3.11: two 4-octet SPIs
        Delete(ProtocolId.ESP, 4, (b"\x01\x02\x03\x04", b"\x05\x06\x07\x08")),
        "00000010030400020102030405060708",
    ),
    (
        "Delete-ike",  # RFC 7296 §3.11: the IKE SA, SPI Size 0, no SPIs
        Delete(ProtocolId.IKE, 0, ()),
        "0000000801000000",
    ),
    (
        "VendorID",  # RFC 7296 §3.12
        VendorID(b"\x01\x02\x03\x04\x05\x06\x07"),
        "0000000b01020304050607",
    ),
    (
        "TSi-ipv4",  # RFC 7296 §3.13.1: TS_IPV4_ADDR_RANGE is 16 octets
        TSi(
            (
                TrafficSelector(
                    TSType.TS_IPV4_ADDR_RANGE, 0, 0, 65535, bytes(4), b"\xff\xff\xff\xff"
                ),
            )
        ),
        "0000001801000000070000100000ffff00000000ffffffff",
    ),
    (
        "TSr-ipv6",  # RFC 7296 §3.13.1: TS_IPV6_ADDR_RANGE is 40 octets
        TSr((TrafficSelector(TSType.TS_IPV6_ADDR_RANGE, 17, 500, 500, bytes(16), b"\xff" * 16),)),
        "00000030010000000811002801f401f4" + "00" * 16 + "ff" * 16,
    ),
    (
        "TSi-seclabel",  # RFC 9478: a selector without an address range, kept raw
        TSi((RawTrafficSelector(TSType.TS_SECLABEL, 0, b"sec\x00"),)),
        "00000010010000000a00000873656300",
    ),
    (
        "CP-request",  # RFC 7296 §3.15, §3.15.1: empty attributes ask for a value
        CP(
            CfgType.CFG_REQUEST,
            (
                CPAttribute(CPAttributeType.INTERNAL_IP4_ADDRESS),
                CPAttribute(CPAttributeType.INTERNAL_IP4_DNS),
            ),
        ),
        "00000010010000000001000000030000",
    ),
    (
        "CP-reply-r-bit",  # RFC 7296 §3.15.1: the R bit is kept
        CP(
            CfgType.CFG_REPLY,
            (CPAttribute(CPAttributeType.INTERNAL_IP4_ADDRESS, b"\x0a\x00\x00\x01", 1),),
        ),
        "0000001002000000800100040a000001",
    ),
    (
        "EAP",  # RFC 7296 §3.16: an EAP Identity request
        EAP(b"\x01\x01\x00\x05\x01"),
        "000000090101000501",
    ),
    (
        "SK",  # RFC 7296 §3.14: Next Payload names the first inner payload (IDi)
        SK(PayloadType.IDi, bytes(8)),
        "2300000c0000000000000000",
    ),
    (
        "SKF",  # RFC 7383 §2.5: Fragment Number 1 of 2
        SKF(PayloadType.IDi, 1, 2, bytes(4)),
        "2300000c0001000200000000",
    ),
    (
        "unknown-critical",  # RFC 7296 §2.5: an unknown payload keeps its critical bit
        UnknownPayload(200, b"\x01", critical=True),
        "0080000501",
    ),
    (
        "header-reserved",  # RFC 7296 §3.2: C and the 7 RESERVED bits are kept
        Nonce(b"", critical=True, header_reserved=0x7F),
        "00ff0004",
    ),
]


@pytest.mark.parametrize(
    "payload,octets", [(p, h) for _, p, h in KNOWN], ids=[i for i, _, _ in KNOWN]
)
def test_payload_known_bytes(payload: Payload, octets: str) -> None:
    expected = bytes.fromhex(octets)
    assert encode_payloads([payload]) == expected
    assert decode_payloads(payload.type, expected) == (payload,)
    assert encode_payload_body(payload) == expected[4:]


@pytest.mark.parametrize(
    "payload,octets", [(p, h) for _, p, h in KNOWN], ids=[i for i, _, _ in KNOWN]
)
def test_payload_in_a_message(payload: Payload, octets: str) -> None:
    """The same octets after an IKE header whose Next Payload is the payload's type."""
    data = message(int(payload.type), octets)
    msg = Message.create(ExchangeType.IKE_SA_INIT, [payload], spi_i=SPI_I)
    assert encode(msg) == data
    assert decode(data) == msg


def test_enums_decode_to_members_and_unknown_numbers_to_ints() -> None:
    (sa,) = decode_payloads(PayloadType.SA, bytes.fromhex(KNOWN[0][2]))
    assert isinstance(sa, SA)
    transform = sa.proposals[0].transforms[0]
    assert type(transform.type) is TransformType and type(transform.id) is EncrId
    assert type(sa.proposals[0].protocol_id) is ProtocolId
    assert type(transform.attributes[0].type) is TransformAttributeType
    (raw,) = decode_payloads(
        PayloadType.SA, bytes.fromhex("0000001a00000016010100010000000e0100040000110002abcd")
    )
    assert isinstance(raw, SA)
    odd = raw.proposals[0].transforms[0]
    assert type(odd.id) is int and odd.id == 1024
    assert type(odd.attributes[0].type) is int


def test_message_header_known_bytes() -> None:
    """RFC 7296 §3.1: SPIs, Next Payload, version 2.0, exchange, flags, Message ID, Length."""
    msg = Message.create(
        ExchangeType.INFORMATIONAL,
        [Delete(ProtocolId.IKE, 0)],
        spi_i=SPI_I,
        spi_r=bytes.fromhex("1112131415161718"),
        message_id=7,
        initiator=False,
        response=True,
    )
    expected = bytes.fromhex(
        "010203040506070811121314151617182a20252000000007000000240000000801000000"
    )
    assert encode(msg) == expected
    decoded = decode(expected)
    assert decoded == msg
    assert decoded.is_response and not decoded.is_initiator
    assert decoded.exchange_type is ExchangeType.INFORMATIONAL


def test_empty_message() -> None:
    data = message(0, "")
    msg = decode(data)
    assert msg.payloads == () and encode(msg) == data


def test_decode_accepts_bytes_like_and_rejects_others() -> None:
    data = message(40, "00000008aabbccdd")
    assert decode(bytearray(data)) == decode(memoryview(data)) == decode(data)
    assert decode_payloads(40, bytearray(data[28:])) == decode(data).payloads
    with pytest.raises(DecodeError):
        decode("not bytes")  # type: ignore[arg-type]
    with pytest.raises(DecodeError):
        decode_v2(None)  # type: ignore[arg-type]


def test_known_transforms_are_shared_and_equal() -> None:
    """Registered transforms come from a static table; equal to freshly built ones."""
    one = decode_payloads(PayloadType.SA, bytes.fromhex(KNOWN[0][2]))[0]
    two = decode_payloads(PayloadType.SA, bytes.fromhex(KNOWN[0][2]))[0]
    assert isinstance(one, SA) and isinstance(two, SA)
    assert one.proposals[0].transforms[1] is two.proposals[0].transforms[1]
    assert one.proposals[0].transforms[1] == Transform(TransformType.PRF, PrfId.PRF_HMAC_SHA2_256)


# =========================================================================== malformed input

# (id, octets, field, offset): a complete datagram, header Length correct unless the
# case is about the Length. Payloads start at offset 28, bodies at 32.
SA_HEAD = "0000002c01010004"  # a 48-octet SA payload's proposal header (4 transforms)
MALFORMED: list[tuple[str, bytes, str, int]] = [
    ("short-header", message(0, "")[:27], "header", 0),
    ("length-beyond-datagram", message(0, "")[:24] + (29).to_bytes(4, "big"), "header.length", 24),
    ("length-below-header", message(0, "")[:24] + (27).to_bytes(4, "big"), "header.length", 24),
    ("trailing-octets", message(0, "") + b"\x00", "header.length", 24),
    ("next-payload-but-no-payload", message(40, ""), "header.next_payload", 28),
    ("chain-continues-past-end", message(40, "29000004"), "Nonce.next_payload", 32),
    ("payload-length-below-4", message(40, "00000003aa"), "Nonce.length", 30),
    ("payload-beyond-message", message(40, "00000009aabbccdd"), "Nonce.length", 30),
    ("octets-after-last-payload", message(40, "00000004aabbccdd"), "payloads", 32),
    ("KE-body-too-short", message(34, "00000007001300"), "KE.length", 30),
    ("IDi-body-too-short", message(35, "0000000501"), "IDi.length", 30),
    ("AUTH-body-too-short", message(39, "00000006 0200".replace(" ", "")), "AUTH.length", 30),
    ("CERT-empty-body", message(37, "00000004"), "CERT.length", 30),
    ("Notify-body-too-short", message(41, "00000006 0000".replace(" ", "")), "Notify.length", 30),
    ("Notify-spi-size", message(41, "0000000c0308400901020304"), "Notify.spi_size", 33),
    ("Delete-body-too-short", message(42, "0000000601 00".replace(" ", "")), "Delete.length", 30),
    ("Delete-num-spis", message(42, "0000000c0304000201020304"), "Delete.num_spis", 34),
    ("Delete-spi-remainder", message(42, "0000000d030400010102030405"), "Delete.num_spis", 34),
    ("SKF-body-too-short", message(53, "00000006 0001".replace(" ", "")), "SKF.length", 30),
    ("SK-not-last", message(46, "2100000c000000000000000000000004"), "SK.length", 40),
    ("SKF-not-last", message(53, "2100000c000100010000000000000004"), "SKF.length", 40),
    # SA / proposals (RFC 7296 §3.3.1)
    ("proposal-truncated", message(33, "0000000800000000"), "Proposal.length", 32),
    (
        "proposal-last-substruc",
        message(33, "0000000c0100000801010000"),
        "Proposal.last_substruc",
        32,
    ),
    (
        "proposal-marked-more-but-last",
        message(33, "0000000c0200000801010000"),
        "Proposal.last_substruc",
        40,
    ),
    ("proposal-length-below-8", message(33, "0000000c0000000701010000"), "Proposal.length", 34),
    ("proposal-length-beyond-sa", message(33, "0000000c0000000901010000"), "Proposal.length", 34),
    ("proposal-spi-size", message(33, "0000000c0000000801010100"), "Proposal.spi_size", 38),
    (
        "proposal-num-transforms",
        message(33, "0000001400000010010100020000000801000014"),
        "Proposal.num_transforms",
        39,
    ),
    (
        "octets-after-last-proposal",
        message(33, "00000010000000080101000000000000"),
        "SA.length",
        40,
    ),
    # transforms (RFC 7296 §3.3.2)
    (
        "transform-truncated",
        message(33, "000000100000000c0101000100000000"),
        "Transform.length",
        40,
    ),
    (
        "transform-last-substruc",
        message(33, "0000001400000010010100010100000801000014"),
        "Transform.last_substruc",
        40,
    ),
    (
        "transform-marked-more-but-last",
        message(33, "0000001400000010010100010300000801000014"),
        "Transform.last_substruc",
        48,
    ),
    (
        "transform-length-below-8",
        message(33, "0000001400000010010100010000000701000014"),
        "Transform.length",
        42,
    ),
    (
        "transform-length-beyond-proposal",
        message(33, "0000001400000010010100010000000901000014"),
        "Transform.length",
        42,
    ),
    (
        "octets-after-last-transform",
        message(33, "000000180000001401010001000000080100001400000000"),
        "Proposal.length",
        48,
    ),
    # transform attributes (RFC 7296 §3.3.5)
    (
        "attribute-truncated",
        message(33, "0000001600000012010100010000000a01000014800e"),
        "TransformAttribute.length",
        48,
    ),
    (
        "attribute-tlv-beyond-transform",
        message(33, "0000001800000014010100010000000c01000014000e0001"),
        "TransformAttribute.length",
        50,
    ),
    # traffic selectors (RFC 7296 §3.13, §3.13.1)
    ("TS-body-too-short", message(44, "00000007010000"), "TSi.length", 30),
    (
        "TS-ipv4-length-20",
        message(44, "0000001c01000000070000140000ffff00000000ffffffff00000000"),
        "TrafficSelector.length",
        38,
    ),
    (
        "TS-ipv6-length-16",
        message(45, "0000001801000000080000100000ffff00000000ffffffff"),
        "TrafficSelector.length",
        38,
    ),
    (
        "TS-selector-length-below-4",
        message(44, "0000000c010000000a000003"),
        "TrafficSelector.length",
        38,
    ),
    ("TS-selector-truncated", message(44, "0000000a010000000a00"), "TrafficSelector.length", 36),
    (
        "TS-selector-beyond-payload",
        message(44, "0000000c010000000a000009"),
        "TrafficSelector.length",
        38,
    ),
    ("TS-num-ts", message(44, "0000000c020000000a000004"), "TSi.num_ts", 32),
    # configuration attributes (RFC 7296 §3.15.1)
    ("CP-body-too-short", message(47, "00000006 0100".replace(" ", "")), "CP.length", 30),
    ("CP-attribute-truncated", message(47, "0000000a010000000001"), "CPAttribute.length", 36),
    (
        "CP-attribute-beyond-payload",
        message(47, "0000000c0100000000010004"),
        "CPAttribute.length",
        38,
    ),
]


@pytest.mark.parametrize(
    "octets,field,offset", [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_names_field_and_offset(octets: bytes, field: str, offset: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode(octets)
    assert (info.value.field, info.value.offset) == (field, offset), info.value
    assert info.value.notify == NotifyType.INVALID_SYNTAX


def test_malformed_cases_are_otherwise_well_formed() -> None:
    """Each bad case differs from a decodable message only where it says: fixing the
    named field (here: the sample fixes) makes it decode."""
    assert decode(message(33, "0000000c0000000801010000")).payloads == (
        SA((Proposal(1, ProtocolId.IKE, b"", ()),)),
    )
    assert decode(message(42, "0000000c0304000101020304")).payloads == (
        Delete(ProtocolId.ESP, 4, (b"\x01\x02\x03\x04",)),
    )
    assert decode(message(44, "0000000c010000000a000004")).payloads == (
        TSi((RawTrafficSelector(TSType.TS_SECLABEL, 0, b""),)),
    )


def test_delete_with_spi_size_zero_and_spis() -> None:
    """Num of SPIs × SPI Size = 0 octets: the SPIs are empty (RFC 7296 §3.11 allows
    no other reading), and the message re-encodes exactly."""
    data = message(42, "0000000801000003")
    (payload,) = decode(data).payloads
    assert payload == Delete(ProtocolId.IKE, 0, (b"", b"", b""))
    assert encode(decode(data)) == data


def test_an_empty_sa_decodes() -> None:
    """An SA payload without proposals is well formed on the wire (the state machine
    answers NO_PROPOSAL_CHOSEN); it round-trips."""
    data = message(33, "00000004")
    assert decode(data).payloads == (SA(()),)
    assert encode(decode(data)) == data


def test_major_version_other_than_1_or_2() -> None:
    """RFC 7296 §1.5: answer INVALID_MAJOR_VERSION; the error names the version.
    (Major version 1 goes to the IKEv1 codec: tests/test_api_contract.py.)"""
    for version in (0x00, 0x30, 0xF0):
        data = message(0, "", version=version)
        with pytest.raises(DecodeError) as info:
            decode(data)
        assert info.value.notify == int(NotifyType.INVALID_MAJOR_VERSION) == 5
        assert (info.value.field, info.value.offset) == ("header.version", 17)
        assert str(version >> 4) in info.value.reason
    # The minor version is not checked (RFC 7296 §3.1: ignored on receipt); decode_v2
    # itself leaves the version to the caller.
    assert decode(message(0, "", version=0x21)).minor_version == 1
    assert decode_v2(message(0, "", version=0x30)).major_version == 3


def test_decode_payloads_offsets_and_field() -> None:
    """Errors in an SK plaintext name offsets from ``base_offset`` and the SK payload's
    Next Payload when the chain's first payload is missing."""
    bad = bytes.fromhex("00000003")
    with pytest.raises(DecodeError) as info:
        decode_payloads(PayloadType.NONCE, bad)
    assert (info.value.field, info.value.offset) == ("Nonce.length", 2)
    with pytest.raises(DecodeError) as info:
        decode_payloads(PayloadType.NONCE, bad, base_offset=36)
    assert (info.value.field, info.value.offset) == ("Nonce.length", 38)
    with pytest.raises(DecodeError) as info:
        decode_payloads(PayloadType.NONCE, b"")
    assert (info.value.field, info.value.offset) == ("SK.next_payload", 0)
    assert decode_payloads(0, b"") == ()
    with pytest.raises(DecodeError):
        decode_payloads(0, b"\x00")


# =========================================================================== totality


def _capture_frames() -> list[bytes]:
    """A few real messages: Wireshark IKE_SA_INIT pair + IKE_AUTH, tcpdump's COOKIE
    exchange, rusticata's responder message."""
    from ikewire.pcap import iter_udp

    frames: list[bytes] = []
    capture = VECTORS / "wireshark" / "captures" / "ikev2-decrypt-aes256gcm16.pcap"
    frames += [d.payload for d in iter_udp(capture)][:3]
    four = [d.payload for d in iter_udp(VECTORS / "tcpdump" / "tests" / "ikev2four.pcap")]
    frames += [four[1], four[2]]
    frames.append((VECTORS / "rusticata-ipsec-parser" / "ike-sa-init-resp.bin").read_bytes())
    return frames


FRAMES = _capture_frames()
KNOWN_MESSAGES = [message(int(p.type), h) for _, p, h in KNOWN]


@pytest.mark.parametrize("data", FRAMES + KNOWN_MESSAGES)
def test_every_prefix_raises_decode_error(data: bytes) -> None:
    assert encode(decode(data)) == data
    for cut in range(len(data)):
        prefix = data[:cut]
        with pytest.raises(DecodeError):
            decode(prefix)
        if cut >= 28:  # the header's Length made to agree: the payloads are cut
            patched = prefix[:24] + cut.to_bytes(4, "big") + prefix[28:]
            with pytest.raises(DecodeError) as info:
                decode(patched)
            assert info.value.offset is not None and 0 <= info.value.offset <= cut


@pytest.mark.parametrize("data", FRAMES, ids=[f"frame{i}" for i in range(len(FRAMES))])
def test_every_bit_flip_is_an_error_or_round_trips(data: bytes) -> None:
    """iked's regress style: flip each bit of a captured message; the result is a
    DecodeError or a message that encodes back to exactly the flipped octets."""
    buf = bytearray(data)
    decoded = errors = 0
    for index in range(len(buf)):
        for bit in range(8):
            buf[index] ^= 1 << bit
            flipped = bytes(buf)
            buf[index] ^= 1 << bit
            try:
                msg = decode_v2(flipped)
            except DecodeError as exc:
                assert exc.offset is None or 0 <= exc.offset <= len(flipped)
                errors += 1
                continue
            assert encode_v2(msg) == flipped
            decoded += 1
    assert decoded and errors  # both outcomes occur: the test exercises both


# =========================================================================== encode errors


def _msg(*payloads: Any) -> Message:
    return Message.create(ExchangeType.INFORMATIONAL, list(payloads), spi_i=SPI_I)


def _proposal(*transforms: Transform, spi: bytes = b"") -> SA:
    return SA((Proposal(1, ProtocolId.IKE, spi, transforms),))


ENCODE_ERRORS: list[tuple[str, Any]] = [
    ("payload-70000-octets", _msg(Nonce(bytes(70000)))),
    ("message-id-32-bits", Message(SPI_I, bytes(8), 37, 0, 1 << 32)),
    ("exchange-type-8-bits", Message(SPI_I, bytes(8), 256, 0, 0)),
    ("flags-8-bits", Message(SPI_I, bytes(8), 37, 256, 0)),
    ("spi-i-7-octets", Message(SPI_I[:7], bytes(8), 37, 0, 0)),
    ("spi-r-9-octets", Message(SPI_I, bytes(9), 37, 0, 0)),
    ("major-version-4-bits", Message(SPI_I, bytes(8), 37, 0, 0, (), 16, 0)),
    ("minor-version-negative", Message(SPI_I, bytes(8), 37, 0, 0, (), 2, -1)),
    ("notify-spi-256-octets", _msg(Notify(16384, b"", 1, bytes(256)))),
    ("proposal-spi-256-octets", _msg(_proposal(spi=bytes(256)))),
    ("tv-attribute-value", _msg(_proposal(Transform(1, 12, (TransformAttribute(14, 0x10000),))))),
    ("tv-attribute-negative", _msg(_proposal(Transform(1, 12, (TransformAttribute(14, -1),))))),
    ("attribute-type-15-bits", _msg(_proposal(Transform(1, 12, (TransformAttribute(0x8000, 1),))))),
    (
        "tlv-attribute-70000",
        _msg(_proposal(Transform(1, 12, (TransformAttribute(17, bytes(70000)),)))),
    ),
    ("transform-id-16-bits", _msg(_proposal(Transform(1, 0x10000)))),
    ("transform-reserved", _msg(_proposal(Transform(1, 12, (), 0x10000)))),
    ("256-transforms", _msg(_proposal(*[Transform(4, 14)] * 256))),
    ("proposal-number", _msg(SA((Proposal(256, 1, b"", ()),)))),
    ("ke-group-16-bits", _msg(KE(0x10000, b""))),
    ("ke-reserved", _msg(KE(14, b"", reserved=0x10000))),
    ("id-reserved-24-bits", _msg(IDi(2, b"x", reserved=1 << 24))),
    ("auth-method", _msg(AUTH(256, b""))),
    ("cert-encoding", _msg(CERT(256, b""))),
    ("delete-spi-size-mismatch", _msg(Delete(3, 4, (b"\x00\x00\x00\x01", b"\x00\x00\x01")))),
    ("delete-spi-size-8-bits", _msg(Delete(3, 256, ()))),
    (
        "ts-ipv4-with-16-octet-addresses",
        _msg(TSi((TrafficSelector(7, 0, 0, 65535, bytes(16), bytes(16)),))),
    ),
    ("ts-port-16-bits", _msg(TSi((TrafficSelector(8, 0, 0, 65536, bytes(16), bytes(16)),)))),
    ("raw-selector-of-range-type", _msg(TSi((RawTrafficSelector(7, 0, b""),)))),
    ("ts-type-8-bits", _msg(TSi((RawTrafficSelector(256, 0, b""),)))),
    ("cp-attribute-type", _msg(CP(1, (CPAttribute(1 << 15, b""),)))),
    ("cp-attribute-r-bit", _msg(CP(1, (CPAttribute(1, b"", 2),)))),
    ("header-reserved-7-bits", _msg(Nonce(b"x", header_reserved=128))),
    ("unknown-uses-modelled-type", _msg(UnknownPayload(PayloadType.NONCE, b""))),
    ("unknown-type-0", _msg(UnknownPayload(0, b""))),
    ("unknown-type-256", _msg(UnknownPayload(256, b""))),
    ("sk-not-last", _msg(SK(0, b""), Nonce(bytes(16)))),
    ("skf-total-16-bits", _msg(SKF(0, 1, 1 << 16, b""))),
    ("not-a-payload", _msg((1, 2, 3))),
    ("bytes-field-not-bytes", _msg(Nonce("text"))),  # type: ignore[arg-type]
    ("nonce-data-int", _msg(Nonce(2))),  # type: ignore[arg-type]  # not 2 zero octets
    ("vendor-id-data-tuple", _msg(VendorID((1, 2)))),  # type: ignore[arg-type]
    ("sk-body-tuple", _msg(SK(0, ()))),  # type: ignore[arg-type]
    ("skf-body-list", _msg(SKF(0, 1, 1, [b"x"]))),  # type: ignore[arg-type]
    ("spi-int", _msg(Notify(16384, spi=7))),  # type: ignore[arg-type]
    ("not-a-message", (b"", b"", 34, 0, 0, ())),
]


@pytest.mark.parametrize("msg", [m for _, m in ENCODE_ERRORS], ids=[i for i, _ in ENCODE_ERRORS])
def test_out_of_range_raises_encode_error(msg: Any) -> None:
    with pytest.raises(EncodeError):
        encode(msg)


def test_encode_errors_in_chains_and_bodies() -> None:
    with pytest.raises(EncodeError):
        encode_payloads([Nonce(bytes(70000))])
    with pytest.raises(EncodeError):
        encode_payload_body(KE(0x10000, b""))
    with pytest.raises(EncodeError):
        encode_payload_body((1, 2))  # type: ignore[arg-type]


# =========================================================================== SK support


def test_sk_associated_data_of_a_real_message() -> None:
    """RFC 7296 §5.1: the associated data is the message up to the SK body."""
    from ikewire.pcap import iter_udp

    capture = VECTORS / "wireshark" / "captures" / "ikev2-decrypt-aes256gcm16.pcap"
    data = [d.payload for d in iter_udp(capture)][2]
    msg = decode(data)
    sk = msg.payloads[-1]
    assert isinstance(sk, SK)
    assert sk_associated_data(msg) == data[: len(data) - len(sk.body)]
    assert len(sk_associated_data(msg)) == 28 + 4


def test_skf_associated_data_covers_fragment_fields() -> None:
    """RFC 7383 §2.5: the ICV of a fragment also covers Fragment Number and Total."""
    msg = Message.create(
        ExchangeType.IKE_AUTH, [SKF(PayloadType.IDi, 1, 3, bytes(24))], spi_i=SPI_I, message_id=1
    )
    aad = sk_associated_data(msg)
    assert aad == encode(msg)[:-24]
    assert aad[-4:] == bytes.fromhex("00010003") and len(aad) == 28 + 8
    assert int.from_bytes(aad[24:28], "big") == 28 + 8 + 24


def test_sk_associated_data_needs_an_encrypted_payload() -> None:
    with pytest.raises(EncodeError):
        sk_associated_data(_msg(Nonce(bytes(16))))
    with pytest.raises(EncodeError):
        sk_associated_data(_msg())


def test_encode_payload_body_is_rest_of_id_payload() -> None:
    """RFC 7296 §2.15: RestOfInitIDPayload is the IDi payload after its generic header."""
    idi = IDi(IDType.ID_FQDN, b"west")
    assert encode_payload_body(idi) == bytes.fromhex("02000000") + b"west"
    assert encode_payload_body(SKF(0, 2, 3, b"\x01")) == bytes.fromhex("0002000301")
