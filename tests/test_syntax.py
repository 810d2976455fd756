"""``Proposal.parse`` / ``str(Proposal)``: strongSwan's proposal syntax (ikewire.wire.syntax).

Known answers, none taken from ikewire's output:

* transform numbers from the RFCs (RFC 7296 §3.3.2, RFC 3602, RFC 3686, RFC 4106/5282,
  RFC 4309, RFC 4543, RFC 4868, RFC 4434, RFC 4615, RFC 3526, RFC 5903, RFC 5114,
  RFC 6954, RFC 7634, RFC 8031, RFC 9370, draft-ietf-ipsecme-ikev2-mlkem), written as
  plain numbers;
* strongSwan's keyword list and its ``test_create_from_string`` cases
  (vectors/strongswan-proposal-keywords/, commit 3b902ea5);
* strongSwan 6.0.1's own configs, logs and IKE_SA_INIT packets
  (vectors/strongswan-6.0.1-mlkem/): the configured proposal strings, the proposals
  charon displays for them, and the SA payloads it sent;
* the examples of strongSwan's docs, "Algorithm Proposals (Cipher Suites)"
  (docs.strongswan.org/docs/latest/config/proposals.html) and swanctl.conf(5).
"""

from __future__ import annotations

import importlib
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ikewire.constants import (
    ESN,
    EncrId,
    IntegId,
    KeyExchangeMethod,
    PrfId,
    ProtocolId,
    TransformAttributeType,
    TransformType,
)
from ikewire.crypto.keys import ChildSuiteLike, SuiteLike, encr_key_length
from ikewire.errors import ConfigError
from ikewire.pcap import iter_udp
from ikewire.wire import syntax
from ikewire.wire.models import SA, Proposal, Transform, TransformAttribute

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
KEYWORD_DIR = VECTORS / "strongswan-proposal-keywords"
MLKEM_DIR = VECTORS / "strongswan-6.0.1-mlkem"

IKE, AH, ESP = ProtocolId.IKE, ProtocolId.AH, ProtocolId.ESP


def tf(type_: int, id_: int, key_length: int | None = None) -> Transform:
    """A transform from plain numbers (RFC 7296 §3.3.2, §3.3.5)."""
    attrs = () if key_length is None else (TransformAttribute(14, key_length),)
    return Transform(type_, id_, attrs)


def triples(p: Proposal) -> list[tuple[int, int, int | None]]:
    return [(int(t.type), int(t.id), t.key_length) for t in p.transforms]


# --------------------------------------------------------------------------- keywords


# keyword -> (Transform Type, Transform ID, Key Length), each number from the RFC cited.
RFC_KEYWORDS: list[tuple[str, tuple[int, int, int | None], str]] = [
    ("aes128", (1, 12, 128), "RFC 3602 / RFC 7296 §3.3.2 ENCR_AES_CBC=12"),
    ("aes256", (1, 12, 256), "RFC 3602"),
    ("aes192ctr", (1, 13, 192), "RFC 3686 / RFC 5930 ENCR_AES_CTR=13"),
    ("aes128ccm8", (1, 14, 128), "RFC 4309 / RFC 5282 ENCR_AES_CCM_8=14"),
    ("aes256ccm96", (1, 15, 256), "RFC 5282 ENCR_AES_CCM_12=15"),
    ("aes128ccm", (1, 16, 128), "RFC 5282 ENCR_AES_CCM_16=16"),
    ("aes128gcm64", (1, 18, 128), "RFC 4106 / RFC 5282 ENCR_AES_GCM_8=18"),
    ("aes192gcm12", (1, 19, 192), "RFC 5282 ENCR_AES_GCM_12=19"),
    ("aes256gcm16", (1, 20, 256), "RFC 5282 ENCR_AES_GCM_16=20"),
    ("aes256gcm128", (1, 20, 256), "RFC 5282"),
    ("aes128gmac", (1, 21, 128), "RFC 4543 ENCR_NULL_AUTH_AES_GMAC=21"),
    ("chacha20poly1305", (1, 28, None), "RFC 7634 §2: no Key Length attribute"),
    ("3des", (1, 3, None), "RFC 2451 ENCR_3DES=3"),
    ("null", (1, 11, None), "RFC 2410 ENCR_NULL=11"),
    ("camellia256", (1, 23, 256), "RFC 5529 ENCR_CAMELLIA_CBC=23"),
    ("cast128", (1, 6, 128), "RFC 2144/2451 ENCR_CAST=6"),
    ("sha1", (3, 2, None), "RFC 2404 AUTH_HMAC_SHA1_96=2"),
    ("sha256", (3, 12, None), "RFC 4868 AUTH_HMAC_SHA2_256_128=12"),
    ("sha2_384", (3, 13, None), "RFC 4868 AUTH_HMAC_SHA2_384_192=13"),
    ("sha512", (3, 14, None), "RFC 4868 AUTH_HMAC_SHA2_512_256=14"),
    ("md5_128", (3, 6, None), "RFC 4595 AUTH_HMAC_MD5_128=6"),
    ("aesxcbc", (3, 5, None), "RFC 3566 AUTH_AES_XCBC_96=5"),
    ("aescmac", (3, 8, None), "RFC 4494 AUTH_AES_CMAC_96=8"),
    ("prfsha1", (2, 2, None), "RFC 2104 PRF_HMAC_SHA1=2"),
    ("prfsha384", (2, 6, None), "RFC 4868 PRF_HMAC_SHA2_384=6"),
    ("prfaesxcbc", (2, 4, None), "RFC 4434 PRF_AES128_XCBC=4"),
    ("prfaescmac", (2, 8, None), "RFC 4615 PRF_AES128_CMAC=8"),
    ("modp2048", (4, 14, None), "RFC 3526 §3 group 14"),
    ("modp8192", (4, 18, None), "RFC 3526 §7 group 18"),
    ("modp2048s256", (4, 24, None), "RFC 5114 §2.3 group 24"),
    ("ecp256", (4, 19, None), "RFC 5903 group 19"),
    ("ecp521", (4, 21, None), "RFC 5903 group 21"),
    ("ecp384bp", (4, 29, None), "RFC 6954 group 29"),
    ("x25519", (4, 31, None), "RFC 8031 §2 Curve25519=31"),
    ("curve448", (4, 32, None), "RFC 8031 §2 Curve448=32"),
    ("mlkem768", (4, 36, None), "draft-ietf-ipsecme-ikev2-mlkem ML-KEM-768=36"),
    ("none", (4, 0, None), "RFC 7296 §3.3.2 NONE=0"),
    ("ke1_mlkem768", (6, 36, None), "RFC 9370 §2.2.1 ADDKE1=6"),
    ("ke7_ecp256", (12, 19, None), "RFC 9370 §2.2.1 ADDKE7=12"),
    ("ke2_none", (7, 0, None), "RFC 9370 §2.2.1: NONE makes ADDKE2 optional"),
    ("noesn", (5, 0, None), "RFC 7296 §3.3.2 No ESN=0"),
    ("esn", (5, 1, None), "RFC 7296 §3.3.2 ESN=1"),
]


@pytest.mark.parametrize(("keyword", "expected", "source"), RFC_KEYWORDS)
def test_keyword_maps_to_rfc_transform(
    keyword: str, expected: tuple[int, int, int | None], source: str
) -> None:
    word = syntax.lookup_keyword(keyword)
    assert (int(word.type), int(word.id), word.key_length) == expected, source


# strongSwan's C enum names -> our registry names, where they differ.
_STRONGSWAN_TYPES = {
    "ENCRYPTION_ALGORITHM": (1, EncrId),
    "PSEUDO_RANDOM_FUNCTION": (2, PrfId),
    "INTEGRITY_ALGORITHM": (3, IntegId),
    "KEY_EXCHANGE_METHOD": (4, KeyExchangeMethod),
    "EXTENDED_SEQUENCE_NUMBERS": (5, ESN),
}
_STRONGSWAN_RENAMES = {
    "KE_NONE": "NONE",
    "ECP_224_BP": "BRAINPOOLP224R1",
    "ECP_256_BP": "BRAINPOOLP256R1",
    "ECP_384_BP": "BRAINPOOLP384R1",
    "ECP_512_BP": "BRAINPOOLP512R1",
    "CURVE_25519": "CURVE25519",
    "CURVE_448": "CURVE448",
    "GOST3410_256": "GOST3410_2012_256",
    "GOST3410_512": "GOST3410_2012_512",
    "NO_EXT_SEQ_NUMBERS": "NO_ESN",
    "EXT_SEQ_NUMBERS": "ESN",
}
# strongSwan's private-use numbers (crypter.h, signer.h, prf.h, key_exchange.h).
_STRONGSWAN_PRIVATE = {
    "ENCR_SERPENT_CBC": 1026,
    "ENCR_TWOFISH_CBC": 1027,
    "AUTH_HMAC_SHA2_256_96": 1026,
    "AUTH_CAMELLIA_XCBC_96": 1030,
    "PRF_CAMELLIA128_XCBC": 1028,
    "MODP_NULL": 1024,
}


def _strongswan_keywords() -> list[tuple[str, str, str, int]]:
    rows = []
    for line in (KEYWORD_DIR / "keywords.txt").read_text().splitlines():
        name, type_, alg, size = line.split()
        rows.append((name, type_, alg, int(size)))
    return rows


def _registry_number(type_name: str, alg: str) -> int:
    if alg in _STRONGSWAN_PRIVATE:
        return _STRONGSWAN_PRIVATE[alg]
    registry = _STRONGSWAN_TYPES[type_name][1]
    name = _STRONGSWAN_RENAMES.get(alg, alg)
    name = re.sub(r"_ICV(\d+)$", r"_\1", name)  # ENCR_AES_GCM_ICV16 -> ENCR_AES_GCM_16
    name = re.sub(r"_BIT$", "", name)  # MODP_2048_BIT -> MODP_2048
    return int(registry[name])


def test_keywords_are_strongswans() -> None:
    """Every keyword of proposal_keywords_static.txt, and no other, with its type and size."""
    rows = _strongswan_keywords()
    assert len(rows) == 153
    assert {r[0] for r in rows} == set(syntax.KEYWORDS)
    for name, type_name, alg, size in rows:
        word = syntax.KEYWORDS[name]
        assert int(word.type) == _STRONGSWAN_TYPES[type_name][0], name
        assert int(word.id) == _registry_number(type_name, alg), name
        assert word.key_length == (size or None), name


def test_every_keyword_prints_as_one_that_means_the_same() -> None:
    for name, word in syntax.KEYWORDS.items():
        canonical = syntax.CANONICAL_KEYWORDS[(int(word.type), int(word.id), word.key_length)]
        assert syntax.KEYWORDS[canonical] == word, name


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("aes", "aes128"),
        ("aes128gcm", "aes128gcm16"),
        ("aes256gcm128", "aes256gcm16"),
        ("aes192ccm64", "aes192ccm8"),
        ("blowfish", "blowfish128"),
        ("camellia", "camellia128"),
        ("sha", "sha1"),
        ("sha2_256", "sha256"),
        ("sha2_256_96", "sha256_96"),
        ("modpnone", "none"),
        # strongSwan's short name (key_exchange_method_names_short) is curve25519.
        ("x25519", "curve25519"),
        ("x448", "curve448"),
    ],
)
def test_aliases_print_canonically(alias: str, canonical: str) -> None:
    word = syntax.KEYWORDS[alias]
    assert syntax.CANONICAL_KEYWORDS[(int(word.type), int(word.id), word.key_length)] == canonical


# --------------------------------------------------------------------------- strongSwan's cases

# strongSwan's display names (crypter.c, signer.c, prf.c, key_exchange.c, transform.c).
_SS_NAMES: dict[int, dict[int, str]] = {
    1: {
        2: "DES_CBC",
        3: "3DES_CBC",
        6: "CAST_CBC",
        7: "BLOWFISH_CBC",
        11: "NULL",
        12: "AES_CBC",
        13: "AES_CTR",
        14: "AES_CCM_8",
        15: "AES_CCM_12",
        16: "AES_CCM_16",
        18: "AES_GCM_8",
        19: "AES_GCM_12",
        20: "AES_GCM_16",
        21: "NULL_AES_GMAC",
        23: "CAMELLIA_CBC",
        28: "CHACHA20_POLY1305",
    },
    2: {1: "PRF_HMAC_MD5", 2: "PRF_HMAC_SHA1", 5: "PRF_HMAC_SHA2_256", 6: "PRF_HMAC_SHA2_384"},
    3: {
        1: "HMAC_MD5_96",
        2: "HMAC_SHA1_96",
        9: "AES_128_GMAC",
        10: "AES_192_GMAC",
        11: "AES_256_GMAC",
        12: "HMAC_SHA2_256_128",
        13: "HMAC_SHA2_384_192",
    },
    4: {0: "KE_NONE", 14: "MODP_2048", 15: "MODP_3072", 19: "ECP_256", 31: "CURVE_25519"}
    | {36: "ML_KEM_768"},
    5: {0: "NO_EXT_SEQ", 1: "EXT_SEQ"},
}
_SS_DISPLAY_ORDER = {1: 0, 3: 1, 2: 2, 4: 3, 5: 4}


def strongswan_display(p: Proposal) -> str:
    """The proposal as strongSwan's %P printf hook shows it (proposal.c, print_alg)."""
    parts = []
    for t in sorted(p.transforms, key=lambda t: _SS_DISPLAY_ORDER.get(int(t.type), int(t.type))):
        type_ = int(t.type)
        prefix = f"KE{type_ - 5}_" if 6 <= type_ <= 12 else ""
        name = _SS_NAMES[4 if prefix else type_][int(t.id)]
        parts.append(prefix + name + (f"_{t.key_length}" if t.key_length else ""))
    return f"{ProtocolId(p.protocol_id).name}:" + "/".join(parts)


def _create_cases() -> list[Any]:
    data = json.loads((KEYWORD_DIR / "create_from_string.json").read_text())
    return [
        pytest.param(
            c["protocol"], c["proposal"], c["expected"], id=f"{c['protocol']}:{c['proposal']}"
        )
        for c in data["cases"]
    ]


@pytest.mark.parametrize(("protocol", "text", "expected"), _create_cases())
def test_strongswan_create_from_string(protocol: str, text: str, expected: str | None) -> None:
    """strongSwan's test_create_from_string: same accept/reject, same resulting proposal."""
    proto = ProtocolId[protocol]
    if expected is None:
        with pytest.raises(ConfigError):
            Proposal.parse(text, proto)
        return
    p = Proposal.parse(text, proto)
    assert strongswan_display(p) == expected
    assert Proposal.parse(str(p), proto) == p


# --------------------------------------------------------------------------- strongSwan 6.0.1


def _conf_value(conf: str, key: str) -> str:
    match = re.search(rf"^\s*{key}\s*=\s*(\S+)\s*$", conf, re.MULTILINE)
    assert match is not None, key
    return match.group(1)


def _decode(datagram: bytes) -> Any:
    """Decode with the wire codec (``codec.decode_v2`` once it lands, else Construct's)."""
    try:
        decode = importlib.import_module("ikewire.wire.codec").decode_v2
    except (ImportError, AttributeError):
        decode = importlib.import_module("ikewire.wire.v2").construct_decode
    return decode(datagram)


@pytest.mark.parametrize("case", ["b_x25519-ke1mlkem768", "d_hybrid-rekey"])
@pytest.mark.parametrize("side", ["a", "b"])
def test_strongswan_601_configs_parse(case: str, side: str) -> None:
    """The swanctl.conf proposals parse; charon displays the same proposals for them."""
    conf = (MLKEM_DIR / case / f"swanctl-{side}.conf").read_text()
    ike = Proposal.parse(_conf_value(conf, "proposals"), IKE)
    esp = Proposal.parse(_conf_value(conf, "esp_proposals"), ESP)
    log = (MLKEM_DIR / case / "charon-a.log").read_text()
    # charon logs the loaded config: "  proposals = IKE:..." / "  proposals = ESP:...".
    shown = re.findall(r"\[CFG\]\s+proposals = ((?:IKE|ESP):\S+)", log)
    assert sorted(shown) == [strongswan_display(esp), strongswan_display(ike)]
    assert ike.prf_id == 6 and ike.ke_method == 31  # PRF_HMAC_SHA2_384, Curve25519
    assert ike.additional_ke_methods == {TransformType.ADDKE1: (36,)}  # ML-KEM-768


@pytest.mark.parametrize("case", ["b_x25519-ke1mlkem768", "d_hybrid-rekey"])
def test_parsed_proposal_equals_what_strongswan_sent(case: str) -> None:
    """IKE_SA_INIT request and response SA payloads equal the parsed config proposal."""
    conf = (MLKEM_DIR / case / "swanctl-a.conf").read_text()
    expected = Proposal.parse(_conf_value(conf, "proposals"), IKE)
    seen = 0
    for d in iter_udp(MLKEM_DIR / case / "ike.pcap"):
        if d.sport != 500 or d.dport != 500:
            continue
        msg = _decode(d.payload)
        if msg.exchange_type != 34:  # IKE_SA_INIT
            continue
        sa = next(p for p in msg.payloads if isinstance(p, SA))
        assert sa.proposals == (expected,)
        seen += 1
    assert seen == 2


# --------------------------------------------------------------------------- docs examples


def test_docs_example_order_of_kinds_does_not_matter() -> None:
    """proposals.html: these two strings are "the exact same proposal"."""
    one = Proposal.parse("aes256gcm16-aes192gcm16-prfsha384-prfsha256-ecp384-modp3072")
    two = Proposal.parse("aes256gcm16-prfsha384-ecp384-aes192gcm16-prfsha256-modp3072")
    assert one == two
    # Preference order within each kind: aes256gcm16 first, prfsha384, ecp384.
    assert triples(one) == [
        (1, 20, 256),
        (1, 20, 192),
        (2, 6, None),
        (2, 5, None),
        (4, 20, None),
        (4, 15, None),
    ]
    assert str(one) == "aes256gcm16-aes192gcm16-prfsha384-prfsha256-ecp384-modp3072"


def test_docs_example_esp_aead_offer() -> None:
    """proposals.html: ESP "aes256gcm16-aes128gcm16", the former preferred."""
    p = Proposal.parse("aes256gcm16-aes128gcm16", ESP)
    assert triples(p) == [(1, 20, 256), (1, 20, 128), (5, 0, None)]  # + noesn (swanctl.conf)


def test_issue_example_and_rfc_numbers() -> None:
    p = Proposal.parse("aes256gcm16-prfsha384-x25519")
    assert p == Proposal(
        1,
        1,
        b"",
        (
            Transform(1, 20, (TransformAttribute(TransformAttributeType.KEY_LENGTH, 256),)),
            tf(2, 6),
            tf(4, 31),
        ),
    )
    assert str(p) == "aes256gcm16-prfsha384-curve25519"


def test_hybrid_additional_key_exchanges() -> None:
    """RFC 9370 §2.2.1 ADDKE1..7; strongSwan's keN_ prefix, keN_none optional."""
    p = Proposal.parse("aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke2_mlkem1024-ke2_none")
    assert triples(p) == [
        (1, 20, 256),
        (2, 6, None),
        (4, 31, None),
        (6, 36, None),
        (7, 37, None),
        (7, 0, None),
    ]
    assert p.additional_ke_methods == {
        TransformType.ADDKE1: (KeyExchangeMethod.ML_KEM_768,),
        TransformType.ADDKE2: (KeyExchangeMethod.ML_KEM_1024, KeyExchangeMethod.NONE),
    }
    assert str(p) == "aes256gcm16-prfsha384-curve25519-ke1_mlkem768-ke2_mlkem1024-ke2_none"
    # The "ke" of the prefix is case-insensitive (key_exchange.c uses strcaseeq).
    assert Proposal.parse("aes256gcm16-prfsha384-x25519-KE1_mlkem768-Ke2_mlkem1024-ke2_none") == p


def test_default_ike_rules() -> None:
    # No prf: one per integrity algorithm, in order (proposal.c integ_prf_map).
    p = Proposal.parse("aes128-aes256-sha256-sha1-modp2048-x25519")
    assert triples(p) == [
        (1, 12, 128),
        (1, 12, 256),
        (3, 12, None),
        (3, 2, None),
        (2, 5, None),
        (2, 2, None),
        (4, 14, None),
        (4, 31, None),
    ]
    assert str(p) == "aes128-aes256-sha256-sha1-prfsha256-prfsha1-modp2048-curve25519"
    # An explicit prf replaces the derived ones.
    assert Proposal.parse("aes128-sha256-prfsha512-x25519").prf_id == 7


def test_esp_pfs_and_esn() -> None:
    p = Proposal.parse("aes128-sha256-ecp256-esn-noesn", ESP, spi=b"\x01\x02\x03\x04", number=2)
    assert p.number == 2 and p.spi == b"\x01\x02\x03\x04" and p.protocol_id == ESP
    # Wire order (strongSwan's proposal_substructure.c): ENCR, INTEG, KE, ESN.
    assert triples(p) == [(1, 12, 128), (3, 12, None), (4, 19, None), (5, 1, None), (5, 0, None)]
    assert p.ke_method == 19 and p.esn == ESN.ESN
    assert str(p) == "aes128-sha256-ecp256-esn-noesn"
    # ESP may leave PFS optional with "none" (swanctl.conf esp_proposals).
    assert triples(Proposal.parse("aes128gcm16-ecp256-none", ESP))[1:3] == [
        (4, 19, None),
        (4, 0, None),
    ]


def test_ah_gmac_becomes_integrity() -> None:
    """RFC 4543 §3.4: AH with AES-GMAC uses AUTH_AES_*_GMAC (9-11)."""
    p = Proposal.parse("sha256-aes256gmac", AH)
    assert triples(p) == [(3, 12, None), (3, 11, None), (5, 0, None)]
    assert p.encr_id is None and p.integ_id == 12
    assert str(p) == "sha256-aes256gmac-noesn"
    assert Proposal.parse(str(p), AH) == p


# --------------------------------------------------------------------------- suite properties


def test_suite_properties() -> None:
    suite: SuiteLike = Proposal.parse("aes256-sha384-ecp384")
    assert (suite.encr_id, suite.encr_key_bits, suite.integ_id, suite.prf_id) == (12, 256, 13, 6)
    aead: SuiteLike = Proposal.parse("chacha20poly1305-prfsha256-x25519")
    assert (aead.encr_id, aead.encr_key_bits, aead.integ_id, aead.prf_id) == (28, None, None, 5)
    child: ChildSuiteLike = Proposal.parse("aes128gcm16", ESP)
    # RFC 5282 §7.1: AES-GCM KEYMAT is the key plus a 4-octet salt.
    assert child.encr_id is not None
    assert encr_key_length(child.encr_id, child.encr_key_bits) == 16 + 4
    empty = Proposal(1, IKE, b"", ())
    assert (empty.encr_id, empty.encr_key_bits, empty.ke_method, empty.esn) == (None,) * 4
    assert empty.additional_ke_methods == {}


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "protocol", "match"),
    [
        ("aes128-sha256-x25519-bogus", IKE, "'bogus'"),
        ("AES128-sha256-x25519", IKE, "'AES128'"),  # keywords are case-sensitive
        ("aes128--sha256-x25519", IKE, "''"),
        ("", IKE, "empty"),
        ("aes128-sha256-ke8_x25519-x25519", IKE, "'ke8_x25519'"),
        ("aes128-sha256-ke0_x25519-x25519", IKE, "'ke0_x25519'"),
        ("aes128-sha256-ke1_sha256-x25519", IKE, "'ke1_sha256'"),
        ("aes128-sha256-ke1_ke2_x25519-x25519", IKE, "'ke1_ke2_x25519'"),
        ("aes128-sha256-x25519!", IKE, "'x25519!'"),
        ("default", IKE, "default"),
        ("aes256gcm16-x25519", IKE, "needs a PRF"),
        ("aes128-sha256_96-x25519", IKE, "needs a PRF"),  # no PRF of that algorithm
        ("aes128-sha256", IKE, "key exchange"),
        ("aes128-sha256-none", IKE, "key exchange"),
        ("aes128", IKE, "integrity"),
        ("sha256-x25519", IKE, "encryption"),
        ("aes128gcm16-aes128-sha256-x25519", IKE, "'aes128gcm16'.*'aes128'"),
        ("aes128gcm16-aes128-sha256", ESP, "mixes"),
        ("sha256", ESP, "encryption"),
        ("aes128", AH, "integrity"),
    ],
)
def test_rejected(text: str, protocol: ProtocolId, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Proposal.parse(text, protocol)


@pytest.mark.parametrize(
    ("text", "protocol", "kept", "dropped"),
    [
        ("aes128-sha256-prfsha256", ESP, "aes128-sha256-noesn", "'prfsha256'"),
        ("aes128gcm16-sha256", ESP, "aes128gcm16-noesn", "'sha256'"),
        ("aes128gcm16-sha256-x25519", IKE, "aes128gcm16-prfsha256-curve25519", "'sha256'"),
        ("aes128-sha256-x25519-none", IKE, "aes128-sha256-prfsha256-curve25519", "'none'"),
        ("aes128-sha256", AH, "sha256-noesn", "'aes128'"),
        ("aes128-sha256-x25519-esn", IKE, "aes128-sha256-prfsha256-curve25519-esn", "'esn'"),
    ],
)
def test_strict_refuses_what_strongswan_ignores(
    text: str, protocol: ProtocolId, kept: str, dropped: str
) -> None:
    assert str(Proposal.parse(text, protocol)) == kept
    with pytest.raises(ConfigError, match=dropped):
        Proposal.parse(text, protocol, strict=True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"protocol": 4}, "protocol"),
        ({"protocol": ProtocolId.NONE}, "protocol"),
        ({"number": 0}, "1-255"),
        ({"number": 256}, "1-255"),
        ({"spi": b"\x00" * 4}, "IKE SPI is 0 or 8"),
        ({"protocol": ESP, "spi": b"\x00" * 8}, "ESP SPI is 0 or 4"),
    ],
)
def test_rejected_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Proposal.parse("aes128gcm16-prfsha256-sha256-x25519", **kwargs)


def test_parse_proposals_numbers_from_one() -> None:
    """swanctl.conf: proposals separated by commas; RFC 7296 §3.3.1 numbers them 1, 2, …"""
    ps = syntax.parse_proposals("aes256gcm16-prfsha384-x25519, aes256-sha384-x25519", IKE)
    assert [p.number for p in ps] == [1, 2]
    assert [str(p) for p in ps] == [
        "aes256gcm16-prfsha384-curve25519",
        "aes256-sha384-prfsha384-curve25519",
    ]


def test_unknown_transforms_print_as_strongswan_shows_them() -> None:
    p = Proposal(1, IKE, b"", (tf(1, 12, 512), tf(2, 77), tf(13, 1)))
    assert str(p) == "UNKNOWN_1_12_512-UNKNOWN_2_77-UNKNOWN_13_1"
    with pytest.raises(ConfigError, match="UNKNOWN_1_12_512"):
        Proposal.parse(str(p))


# --------------------------------------------------------------------------- canonical form


@pytest.mark.parametrize(
    ("text", "protocol"),
    [
        ("aes128-sha256-prfsha256-curve25519", IKE),
        ("aes256gcm16-prfsha384-curve25519-ke1_mlkem768", IKE),
        ("chacha20poly1305-prfsha256-curve448-ke1_mlkem1024-ke2_ecp384bp-ke2_none", IKE),
        ("3des-md5-prfmd5-modp1024", IKE),
        ("aes256ctr-aesxcbc-aescmac-prfaesxcbc-prfaescmac-modp2048s256", IKE),
        ("aes256gcm16-noesn", ESP),
        ("aes128-sha256-ecp256-none-esn-noesn-ke1_mlkem768", ESP),
        ("null-sha1_160-noesn", ESP),
        ("aes128gmac-sha512-esn", AH),
    ],
)
def test_canonical_strings_come_back_unchanged(text: str, protocol: ProtocolId) -> None:
    assert str(Proposal.parse(text, protocol)) == text


_BY_TYPE: dict[int, list[str]] = defaultdict(list)
for _name, _word in syntax.KEYWORDS.items():
    _BY_TYPE[int(_word.type)].append(_name)
_AEAD = [n for n in _BY_TYPE[1] if syntax.KEYWORDS[n].id in syntax.AEAD_ENCR_IDS]
_CLASSIC = [n for n in _BY_TYPE[1] if syntax.KEYWORDS[n].id not in syntax.AEAD_ENCR_IDS]
_KE_NAMES = _BY_TYPE[4]
_ADDKE = st.builds(lambda n, name: f"ke{n}_{name}", st.integers(1, 7), st.sampled_from(_KE_NAMES))


def _kinds(protocol: ProtocolId, token: str) -> int:
    """The transform type a token ends up as (AH turns GMAC into integrity)."""
    word = syntax.lookup_keyword(token)
    if protocol == AH and word.type == 1:
        return 3
    return int(word.type)


@st.composite
def proposal_texts(draw: st.DrawFn) -> tuple[ProtocolId, list[str]]:
    protocol = draw(st.sampled_from([IKE, ESP, AH]))
    tokens: list[str] = []
    aead = draw(st.booleans())
    if protocol == AH:
        gmac = [n for n in _AEAD if "gmac" in n]
        tokens += draw(st.lists(st.sampled_from(gmac), max_size=3))
        tokens += draw(st.lists(st.sampled_from(_BY_TYPE[3]), min_size=1, max_size=3))
    else:
        encr = st.sampled_from(_AEAD if aead else _CLASSIC)
        tokens += draw(st.lists(encr, min_size=1, max_size=3))
        if not aead:
            tokens += draw(
                st.lists(st.sampled_from(_BY_TYPE[3]), min_size=protocol == IKE, max_size=3)
            )
    if protocol == IKE:
        tokens += draw(st.lists(st.sampled_from(_BY_TYPE[2]), min_size=aead, max_size=2))
        tokens += draw(
            st.lists(
                st.sampled_from([k for k in _KE_NAMES if k not in ("none", "modpnone")]),
                min_size=1,
                max_size=3,
            )
        )
    else:
        tokens += draw(st.lists(st.sampled_from(_KE_NAMES), max_size=3))
        tokens += draw(st.lists(st.sampled_from(_BY_TYPE[5]), max_size=3))
    tokens += draw(st.lists(_ADDKE, max_size=3))
    return protocol, tokens


@settings(max_examples=300, deadline=None)
@given(proposal_texts(), st.data())
def test_round_trip_and_order_of_kinds(
    drawn: tuple[ProtocolId, list[str]], data: st.DataObject
) -> None:
    protocol, tokens = drawn
    try:
        p = Proposal.parse("-".join(tokens), protocol)
    except ConfigError as exc:
        # Only an IKE proposal whose integrity algorithms have no PRF may fail here.
        assert protocol == IKE and "PRF" in str(exc)
        return
    text = str(p)
    again = Proposal.parse(text, protocol)
    assert again == p
    assert str(again) == text
    # strongSwan's docs: the order of algorithms of different kinds does not matter.
    kinds = [_kinds(protocol, t) for t in tokens]
    queues: dict[int, list[str]] = defaultdict(list)
    for kind, token in zip(kinds, tokens, strict=True):
        queues[kind].append(token)
    shuffled = [queues[k].pop(0) for k in data.draw(st.permutations(kinds))]
    assert Proposal.parse("-".join(shuffled), protocol) == p
