"""The public API contract of DESIGN.md, exercised the way outside code uses it.

Known answers: NIST CAVP SP 800-135 IKEv2 KDF (vectors/nist-cavp-kdf135-ike) and
Wireshark's decryption captures with their published key table (vectors/wireshark).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ikewire
from ikewire.crypto.keytable import parse_wireshark_table
from ikewire.pcap import iter_udp

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def _nist_sha256_case() -> dict[str, str]:
    data = json.loads((VECTORS / "nist-cavp-kdf135-ike" / "ikev2.json").read_text())
    for group in data["groups"]:
        p = group["params"]
        if p["hash"] == "SHA-256" and p["DKM length"] >= 8 * (32 * 3 + 32 * 4):
            return dict(group["cases"][0])
    pytest.fail("no SHA-256 group with a long enough DKM")


def test_derive_ike_and_child_sa_keys_match_nist_cavp() -> None:
    """SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr is the DKM's prefix
    (RFC 7296 §2.14), and Child SA KEYMAT is DKM(Child SA) (§2.17)."""
    case = _nist_sha256_case()
    h = bytes.fromhex
    suite = ikewire.Proposal.parse("aes256-sha256-prfsha256-modp2048")
    keys = ikewire.crypto.derive_ike_sa_keys(
        suite, h(case["g^ir"]), h(case["Ni"]), h(case["Nr"]), h(case["SPIi"]), h(case["SPIr"])
    )
    assert isinstance(keys, ikewire.IKESAKeys)
    sk = keys.sk_d + keys.sk_ai + keys.sk_ar + keys.sk_ei + keys.sk_er + keys.sk_pi + keys.sk_pr
    assert h(case["DKM"]).startswith(sk)
    assert keys.sk_d.hex() not in repr(keys)  # keys are never printed

    esp = ikewire.Proposal.parse("aes256-sha256", protocol=3)
    child = ikewire.crypto.derive_child_sa_keys(esp, keys, h(case["Ni"]), h(case["Nr"]))
    keymat = child.sk_ei + child.sk_ai + child.sk_er + child.sk_ar
    assert h(case["DKM(Child SA)"]).startswith(keymat)
    pfs = ikewire.crypto.derive_child_sa_keys(
        esp,
        keys.sk_d,
        h(case["Ni"]),
        h(case["Nr"]),
        prf_id=keys.prf_id,
        shared_secret=h(case["g^ir (new)"]),
    )
    assert h(case["DKM(Child SA D-H)"]).startswith(pfs.sk_ei + pfs.sk_ai + pfs.sk_er + pfs.sk_ar)

    rekeyed = ikewire.crypto.derive_ike_sa_keys(
        suite,
        h(case["g^ir (new)"]),
        h(case["Ni"]),
        h(case["Nr"]),
        h(case["SPIi"]),
        h(case["SPIr"]),
        old_sk_d=keys.sk_d,
        additional_secrets=(),
    )
    assert rekeyed.sk_d != keys.sk_d


def test_decode_encode_decrypt_on_a_wireshark_capture() -> None:
    cap = VECTORS / "wireshark" / "captures" / "ikev2-decrypt-aes256cbc.pcapng"
    table = (VECTORS / "wireshark" / "config" / "ikev2_decryption_table.tmpl").read_text()
    by_spi = {(e.keys.spi_i, e.keys.spi_r): e for e in parse_wireshark_table(table)}
    grams = [d.payload for d in iter_udp(cap)]
    init = ikewire.decode(grams[0])
    assert ikewire.encode(init) == grams[0]
    assert (init.exchange_type, init.message_id) == (ikewire.constants.ExchangeType.IKE_SA_INIT, 0)
    assert init.is_initiator and not init.is_response
    assert init.payloads[0].type == ikewire.constants.PayloadType.SA
    auth = ikewire.decode(grams[2])
    opened = ikewire.decrypt(auth, by_spi[(auth.spi_i, auth.spi_r)])
    types = [p.type for p in opened.payloads]
    assert ikewire.constants.PayloadType.AUTH in types
    # Wireshark's test asserts this AUTH data for this capture (wireshark/SOURCES.md)
    assert any(
        getattr(p, "data", b"").hex()
        == "e1a8d550064201a7ec024a85758d0673c61c5c510ac13bcd225d6327f50da3d3"
        for p in opened.payloads
    )


def test_errors_are_exported_and_typed() -> None:
    with pytest.raises(ikewire.DecodeError) as info:
        ikewire.decode(b"\x00" * 17 + b"\x30" + b"\x00" * 10)
    assert info.value.notify == ikewire.constants.NotifyType.INVALID_MAJOR_VERSION
    assert issubclass(ikewire.IntegrityError, ikewire.IKEError)
    assert issubclass(ikewire.ProtocolError, ikewire.IKEError)


def test_one_decode_for_both_versions() -> None:
    """ikewire.decode dispatches on the header's major version (RFC 7296 §1.5)."""
    v1 = [d.payload for d in iter_udp(VECTORS / "tcpdump" / "tests" / "ISAKMP_sa_setup.pcap")]
    msg = ikewire.decode(v1[0])
    assert isinstance(msg, ikewire.wire.V1Message)
    assert msg.major_version == 1
    assert ikewire.encode(msg) == v1[0]
    v2 = ikewire.decode(
        next(
            iter_udp(VECTORS / "wireshark" / "captures" / "ikev2-decrypt-aes256gcm16.pcap")
        ).payload
    )
    assert isinstance(v2, ikewire.Message)
