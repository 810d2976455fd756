"""Proposal negotiation (RFC 7296 §2.7, §3.3.3, §3.3.6; RFC 9370 §2.2.1).

The cases follow the RFC's rules and its §2.7 example; the Hypothesis properties
check the responder's choice against the initiator's check and against a
brute-force search of every possible answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ikewire.connection import (
    acceptable_ke_methods,
    check_invalid_ke,
    check_selected,
    is_combined_mode,
    ke_mismatch,
    select_proposal,
)
from ikewire.constants import (
    ESN,
    EncrId,
    IntegId,
    KeyExchangeMethod,
    NotifyType,
    PrfId,
    ProtocolId,
    TransformAttributeType,
    TransformType,
)
from ikewire.errors import ConfigError, ProtocolError
from ikewire.wire.models import Proposal, Transform, TransformAttribute

IKE, ESP, AH = ProtocolId.IKE, ProtocolId.ESP, ProtocolId.AH
ENCR, PRF, INTEG, KE = TransformType.ENCR, TransformType.PRF, TransformType.INTEG, TransformType.KE
ADDKE1, ADDKE2 = TransformType.ADDKE1, TransformType.ADDKE2


def tf(ttype: int, tid: int, key_length: int | None = None) -> Transform:
    attrs = (
        ()
        if key_length is None
        else (TransformAttribute(TransformAttributeType.KEY_LENGTH, key_length),)
    )
    return Transform(ttype, tid, attrs)


def prop(number: int, protocol: int, *transforms: Transform, spi: bytes = b"") -> Proposal:
    return Proposal(number, protocol, spi, transforms)


def types_of(p: Proposal) -> list[int]:
    return [int(t.type) for t in p.transforms]


@contextmanager
def expect_notify(notify: int) -> Iterator[None]:
    """Expect a ProtocolError carrying notify ``notify``."""
    with pytest.raises(ProtocolError) as info:
        yield
    assert info.value.notify == notify, info.value.reason


# Transforms (RFC 7296 §3.3.2 IDs; key lengths in bits, §3.3.5)
DES3 = tf(ENCR, EncrId.ENCR_3DES)
CBC128 = tf(ENCR, EncrId.ENCR_AES_CBC, 128)
CBC256 = tf(ENCR, EncrId.ENCR_AES_CBC, 256)
GCM128 = tf(ENCR, EncrId.ENCR_AES_GCM_16, 128)
GCM256 = tf(ENCR, EncrId.ENCR_AES_GCM_16, 256)
CHACHA = tf(ENCR, EncrId.ENCR_CHACHA20_POLY1305)
NULL_ENCR = tf(ENCR, EncrId.ENCR_NULL)
MD5 = tf(INTEG, IntegId.AUTH_HMAC_MD5_96)
SHA1 = tf(INTEG, IntegId.AUTH_HMAC_SHA1_96)
SHA256 = tf(INTEG, IntegId.AUTH_HMAC_SHA2_256_128)
INTEG_NONE = tf(INTEG, IntegId.NONE)
PRF256 = tf(PRF, PrfId.PRF_HMAC_SHA2_256)
PRF384 = tf(PRF, PrfId.PRF_HMAC_SHA2_384)
ECP256 = tf(KE, KeyExchangeMethod.ECP_256)
X25519 = tf(KE, KeyExchangeMethod.CURVE25519)
MODP2048 = tf(KE, KeyExchangeMethod.MODP_2048)
KE_NONE = tf(KE, KeyExchangeMethod.NONE)
NO_ESN = tf(TransformType.ESN, ESN.NO_ESN)
YES_ESN = tf(TransformType.ESN, ESN.ESN)
MLKEM768_1 = tf(ADDKE1, KeyExchangeMethod.ML_KEM_768)
MLKEM1024_1 = tf(ADDKE1, KeyExchangeMethod.ML_KEM_1024)
ADDKE1_NONE = tf(ADDKE1, KeyExchangeMethod.NONE)
MLKEM768_2 = tf(ADDKE2, KeyExchangeMethod.ML_KEM_768)
ADDKE2_NONE = tf(ADDKE2, KeyExchangeMethod.NONE)

ESP_SPI = b"\x01\x02\x03\x04"


# --------------------------------------------------------------------------- §2.7 example

# RFC 7296 §2.7: "if an ESP proposal includes transforms ENCR_3DES, ENCR_AES w/keysize
# 128, ENCR_AES w/keysize 256, AUTH_HMAC_MD5, and AUTH_HMAC_SHA, the accepted suite MUST
# contain one of the ENCR_ transforms and one of the AUTH_ transforms. Thus, six
# combinations are acceptable." (ESN added: mandatory for ESP, §3.3.3.)
EXAMPLE_OFFER = prop(1, ESP, DES3, CBC128, CBC256, MD5, SHA1, NO_ESN, spi=ESP_SPI)


@pytest.mark.parametrize(
    ("encr", "integ"), list(itertools.product([DES3, CBC128, CBC256], [MD5, SHA1]))
)
def test_rfc7296_2_7_example_six_combinations(encr: Transform, integ: Transform) -> None:
    ours = prop(1, ESP, encr, integ, NO_ESN)
    answer = select_proposal([EXAMPLE_OFFER], [ours])
    assert answer == prop(1, ESP, encr, integ, NO_ESN, spi=ESP_SPI)
    check_selected([EXAMPLE_OFFER], answer)


def test_rfc7296_2_7_example_answer_must_hold_one_of_each_type() -> None:
    # "exactly one transform of each type included in the proposal"
    for bad in (
        prop(1, ESP, CBC128, CBC256, SHA1, NO_ESN),
        prop(1, ESP, CBC128, MD5, SHA1, NO_ESN),
        prop(1, ESP, CBC128, NO_ESN),  # INTEG offered, not answered
        prop(1, ESP, SHA1, NO_ESN),
    ):
        with expect_notify(NotifyType.INVALID_SYNTAX):
            check_selected([EXAMPLE_OFFER], bad)


def test_all_six_accepted_first_offered_wins() -> None:
    ours = prop(1, ESP, DES3, CBC128, CBC256, MD5, SHA1, NO_ESN)
    assert select_proposal([EXAMPLE_OFFER], [ours]).transforms == (DES3, MD5, NO_ESN)


# --------------------------------------------------------------------------- transform order


@pytest.mark.parametrize(("prefer", "expected"), [("initiator", CBC256), ("responder", CBC128)])
def test_transform_order_preference(prefer: str, expected: Transform) -> None:
    offer = prop(1, IKE, DES3, CBC256, CBC128, SHA256, PRF256, X25519)
    ours = prop(1, IKE, CBC128, CBC256, SHA256, PRF256, X25519)
    answer = select_proposal([offer], [ours], prefer=prefer)  # type: ignore[arg-type]
    assert answer.transforms == (expected, SHA256, PRF256, X25519)


def test_transforms_in_any_order_result_keeps_offered_order() -> None:
    # RFC 7296 §3.3.2: transforms of different types may come in any order.
    offer = prop(1, IKE, X25519, PRF384, PRF256, SHA1, SHA256, GCM256, CBC256)
    ours = prop(1, IKE, CBC256, SHA256, PRF256, X25519)
    answer = select_proposal([offer], [ours])
    assert answer.transforms == (X25519, PRF256, SHA256, CBC256)
    check_selected([offer], answer)


def test_bad_prefer_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        select_proposal([EXAMPLE_OFFER], [EXAMPLE_OFFER], prefer="both")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- several proposals


def test_second_proposal_chosen_keeps_its_number_and_spi() -> None:
    offer = [
        prop(1, ESP, DES3, MD5, NO_ESN, spi=b"\xaa" * 4),
        prop(2, ESP, GCM256, NO_ESN, spi=b"\xbb" * 4),
    ]
    answer = select_proposal(offer, [prop(1, ESP, GCM256, NO_ESN)])
    assert answer == prop(2, ESP, GCM256, NO_ESN, spi=b"\xbb" * 4)


@pytest.mark.parametrize(("prefer", "number"), [("initiator", 1), ("responder", 2)])
def test_proposal_order_preference(prefer: str, number: int) -> None:
    offer = [prop(1, ESP, CBC256, SHA256, NO_ESN), prop(2, ESP, GCM256, NO_ESN)]
    ours = [prop(1, ESP, GCM256, NO_ESN), prop(2, ESP, CBC256, SHA256, NO_ESN)]
    assert select_proposal(offer, ours, prefer=prefer).number == number  # type: ignore[arg-type]


def test_protocol_must_match() -> None:
    # RFC 7296 §2.7: "If a proposal is accepted, the SA response MUST contain the same protocol."
    with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
        select_proposal([prop(1, AH, SHA256, NO_ESN)], [prop(1, ESP, SHA256, NO_ESN)])
    answer = select_proposal([prop(1, AH, SHA256, NO_ESN)], [prop(1, AH, SHA1, SHA256, NO_ESN)])
    assert answer == prop(1, AH, SHA256, NO_ESN)


def test_nothing_offered_or_acceptable() -> None:
    with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
        select_proposal([], [EXAMPLE_OFFER])
    with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
        select_proposal([EXAMPLE_OFFER], [])


# --------------------------------------------------------------------------- AEAD


IKE_GCM = prop(1, IKE, GCM256, PRF256, X25519)
IKE_CBC = prop(1, IKE, CBC256, SHA256, PRF256, X25519)


@pytest.mark.parametrize(
    ("offer", "ours", "expected"),
    [
        # RFC 5282 §8 / RFC 7296 §3.3.3: no INTEG with a combined-mode cipher
        (IKE_GCM, IKE_GCM, IKE_GCM.transforms),
        # INTEG NONE offered with it is answered (one transform of each offered type)
        (
            prop(1, IKE, GCM256, INTEG_NONE, PRF256, X25519),
            IKE_GCM,
            (GCM256, INTEG_NONE, PRF256, X25519),
        ),
        (IKE_GCM, prop(1, IKE, GCM256, INTEG_NONE, PRF256, X25519), IKE_GCM.transforms),
        # a single proposal mixing both kinds (not what §2.7 asks for, but seen):
        # the combined-mode cipher cannot be answered with the INTEG it needs to return
        (prop(1, IKE, GCM256, CBC256, SHA256, PRF256, X25519), IKE_CBC, IKE_CBC.transforms),
        # ... unless NONE is offered for INTEG too
        (
            prop(1, IKE, GCM256, CBC256, SHA256, INTEG_NONE, PRF256, X25519),
            IKE_GCM,
            (GCM256, INTEG_NONE, PRF256, X25519),
        ),
        # ESP: encryption without integrity is allowed (INTEG optional, §3.3.3) ...
        (prop(1, ESP, CBC256, NO_ESN), prop(1, ESP, CBC256, NO_ESN), (CBC256, NO_ESN)),
        # ... but not with ENCR_NULL (RFC 4303: not both NONE)
        (
            prop(1, ESP, NULL_ENCR, SHA256, NO_ESN),
            prop(1, ESP, NULL_ENCR, SHA256, NO_ESN),
            (NULL_ENCR, SHA256, NO_ESN),
        ),
    ],
)
def test_aead_and_integrity(
    offer: Proposal, ours: Proposal, expected: tuple[Transform, ...]
) -> None:
    answer = select_proposal([offer], [ours])
    assert answer.transforms == expected
    check_selected([offer], answer)


@pytest.mark.parametrize(
    ("offer", "ours"),
    [
        # "combined-mode ciphers are not allowed to have any integrity algorithm other
        # than NONE" (RFC 7296 §2.7)
        (prop(1, IKE, GCM256, SHA256, PRF256, X25519), IKE_GCM),
        (
            prop(1, IKE, GCM256, SHA256, PRF256, X25519),
            prop(1, IKE, GCM256, SHA256, PRF256, X25519),
        ),
        (prop(1, IKE, GCM256, CBC256, SHA256, PRF256, X25519), IKE_GCM),
        # IKE needs an integrity algorithm with a non-AEAD cipher (RFC 7296 §3.3.3)
        (prop(1, IKE, CBC256, PRF256, X25519), prop(1, IKE, CBC256, PRF256, X25519)),
        (
            prop(1, IKE, CBC256, INTEG_NONE, PRF256, X25519),
            prop(1, IKE, CBC256, INTEG_NONE, PRF256, X25519),
        ),
        # AH needs one too
        (prop(1, AH, INTEG_NONE, NO_ESN), prop(1, AH, INTEG_NONE, NO_ESN)),
        # ESP with neither confidentiality nor integrity
        (prop(1, ESP, NULL_ENCR, NO_ESN), prop(1, ESP, NULL_ENCR, NO_ESN)),
        (prop(1, ESP, NULL_ENCR, INTEG_NONE, NO_ESN), prop(1, ESP, NULL_ENCR, NO_ESN)),
        # a type on one side only (INTEG offered for CBC, we take CBC without it)
        (prop(1, ESP, CBC256, SHA256, NO_ESN), prop(1, ESP, CBC256, NO_ESN)),
        (prop(1, ESP, CBC256, NO_ESN), prop(1, ESP, CBC256, SHA256, NO_ESN)),
    ],
)
def test_aead_and_integrity_no_match(offer: Proposal, ours: Proposal) -> None:
    with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
        select_proposal([offer], [ours])


def test_combined_mode_ids() -> None:
    assert is_combined_mode(EncrId.ENCR_AES_GCM_16)
    assert is_combined_mode(EncrId.ENCR_AES_CCM_8)
    assert is_combined_mode(EncrId.ENCR_CHACHA20_POLY1305)
    assert is_combined_mode(EncrId.ENCR_NULL_AUTH_AES_GMAC)
    assert not is_combined_mode(EncrId.ENCR_AES_CBC)
    assert not is_combined_mode(EncrId.ENCR_AES_CTR)
    assert not is_combined_mode(EncrId.ENCR_NULL)


# --------------------------------------------------------------------------- key length


@pytest.mark.parametrize(
    ("offered", "ours", "expected"),
    [
        ((CBC256,), (CBC256,), CBC256),
        ((CBC128, CBC256), (CBC256,), CBC256),
        ((CBC256, CBC128), (CBC128,), CBC128),
        ((CBC256,), (CBC128,), None),
        ((CBC128,), (CBC256,), None),
        ((tf(ENCR, EncrId.ENCR_AES_CBC),), (CBC128,), None),  # no Key Length attribute
        ((CBC128,), (tf(ENCR, EncrId.ENCR_AES_CBC),), None),
        ((tf(ENCR, EncrId.ENCR_AES_CBC, 192),), (CBC128, CBC256), None),
        ((GCM128, GCM256), (GCM256, GCM128), GCM128),
    ],
)
def test_key_length_must_match_exactly(
    offered: tuple[Transform, ...], ours: tuple[Transform, ...], expected: Transform | None
) -> None:
    # RFC 7296 §3.3.5, §3.3.6: the Key Length attribute is part of the transform and is
    # returned unmodified.
    integ = () if offered[0].id == EncrId.ENCR_AES_GCM_16 else (SHA256,)
    offer = prop(1, ESP, *offered, *integ, NO_ESN)
    mine = prop(1, ESP, *ours, *integ, NO_ESN)
    if expected is None:
        with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
            select_proposal([offer], [mine])
    else:
        answer = select_proposal([offer], [mine])
        assert answer.transforms_of(ENCR) == (expected,)
        assert answer.transforms_of(ENCR)[0].key_length == expected.key_length


# --------------------------------------------------------------------------- ESN


@pytest.mark.parametrize(
    ("offered", "ours", "expected"),
    [
        ((NO_ESN, YES_ESN), (NO_ESN,), NO_ESN),
        ((NO_ESN, YES_ESN), (YES_ESN,), YES_ESN),
        ((YES_ESN, NO_ESN), (NO_ESN, YES_ESN), YES_ESN),
        ((YES_ESN,), (NO_ESN,), None),
        ((), (NO_ESN,), None),  # ESN is mandatory for ESP (RFC 7296 §3.3.3)
        ((), (), None),
    ],
)
def test_esn(
    offered: tuple[Transform, ...], ours: tuple[Transform, ...], expected: Transform | None
) -> None:
    offer = prop(1, ESP, GCM256, *offered, spi=ESP_SPI)
    mine = prop(1, ESP, GCM256, *ours)
    if expected is None:
        with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
            select_proposal([offer], [mine])
    else:
        answer = select_proposal([offer], [mine])
        assert answer.transforms == (GCM256, expected)


# --------------------------------------------------------------------------- KE and NONE


@pytest.mark.parametrize(
    ("offered", "ours", "expected"),
    [
        # Child SA: KE is optional PFS (RFC 7296 §3.3.3); NONE and "left out" agree
        ((KE_NONE,), (), (KE_NONE,)),
        ((), (KE_NONE,), ()),
        ((), (), ()),
        ((ECP256, KE_NONE), (), (KE_NONE,)),
        ((ECP256, KE_NONE), (ECP256,), (ECP256,)),
        ((KE_NONE, ECP256), (ECP256, KE_NONE), (KE_NONE,)),
        ((ECP256,), (ECP256, KE_NONE), (ECP256,)),
        ((), (ECP256,), None),  # we require PFS, the peer does not offer it
        ((ECP256,), (), None),  # the peer requires PFS, we do not do it
        ((ECP256,), (X25519,), None),
    ],
)
def test_child_sa_ke(
    offered: tuple[Transform, ...],
    ours: tuple[Transform, ...],
    expected: tuple[Transform, ...] | None,
) -> None:
    offer = prop(1, ESP, GCM256, *offered, NO_ESN)
    mine = prop(1, ESP, GCM256, *ours, NO_ESN)
    if expected is None:
        with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
            select_proposal([offer], [mine])
    else:
        answer = select_proposal([offer], [mine])
        assert answer.transforms_of(KE) == expected
        check_selected([offer], answer)


def test_ike_sa_needs_a_real_ke() -> None:
    # The IKE SA's Transform Type 4 exchange always happens (RFC 7296 §1.2, RFC 9370 §2.2.1)
    for offer, ours in [
        (prop(1, IKE, GCM256, PRF256, KE_NONE), prop(1, IKE, GCM256, PRF256, KE_NONE)),
        (prop(1, IKE, GCM256, PRF256), prop(1, IKE, GCM256, PRF256)),
        (prop(1, IKE, GCM256, PRF256, X25519), prop(1, IKE, GCM256, PRF256)),
    ]:
        with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
            select_proposal([offer], [ours])
    answer = select_proposal(
        [prop(1, IKE, GCM256, PRF256, KE_NONE, X25519)],
        [prop(1, IKE, GCM256, PRF256, KE_NONE, X25519)],
    )
    assert answer.transforms_of(KE) == (X25519,)


def test_missing_mandatory_type_makes_proposal_unacceptable() -> None:
    # RFC 7296 §3.3.6: "a proposal that is missing a mandatory Transform Type" is
    # unacceptable; "other proposals in the same SA payload are processed as usual".
    offer = [prop(1, IKE, GCM256, X25519), IKE_GCM._replace(number=2)]
    assert select_proposal(offer, [IKE_GCM, prop(1, IKE, GCM256, X25519)]).number == 2


# --------------------------------------------------------------------------- ADDKE (RFC 9370)

IKE_PQ_BASE = (GCM256, PRF256, X25519)


@pytest.mark.parametrize(
    ("offered", "ours", "expected"),
    [
        ((MLKEM768_1,), (MLKEM768_1,), (MLKEM768_1,)),
        ((MLKEM768_1, ADDKE1_NONE), (MLKEM768_1,), (MLKEM768_1,)),
        # "A transform ID NONE MAY be added to those transform types that contain key
        # exchange methods that the initiator believes are optional"
        ((MLKEM768_1, ADDKE1_NONE), (), (ADDKE1_NONE,)),
        ((ADDKE1_NONE,), (MLKEM768_1, ADDKE1_NONE), (ADDKE1_NONE,)),
        ((), (MLKEM768_1, ADDKE1_NONE), ()),
        # an offered ADDKE type must be answered with one of its IDs
        ((MLKEM768_1,), (), None),
        ((), (MLKEM768_1,), None),
        ((MLKEM1024_1,), (MLKEM768_1,), None),
        # "the responder's choice MUST NOT contain duplicated algorithms ... except for
        # the transform ID of NONE": the search avoids the first-choice duplicate
        (
            (MLKEM768_1, MLKEM1024_1, MLKEM768_2),
            (MLKEM768_1, MLKEM1024_1, MLKEM768_2),
            (MLKEM1024_1, MLKEM768_2),
        ),
        ((MLKEM768_1, MLKEM768_2), (MLKEM768_1, MLKEM768_2), None),
        (
            (MLKEM768_1, MLKEM768_2, ADDKE2_NONE),
            (MLKEM768_1, MLKEM768_2, ADDKE2_NONE),
            (MLKEM768_1, ADDKE2_NONE),
        ),
        ((ADDKE1_NONE, ADDKE2_NONE), (), (ADDKE1_NONE, ADDKE2_NONE)),
    ],
)
def test_additional_key_exchanges(
    offered: tuple[Transform, ...],
    ours: tuple[Transform, ...],
    expected: tuple[Transform, ...] | None,
) -> None:
    offer = prop(1, IKE, *IKE_PQ_BASE, *offered)
    mine = prop(1, IKE, *IKE_PQ_BASE, *ours)
    if expected is None:
        with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
            select_proposal([offer], [mine])
        return
    answer = select_proposal([offer], [mine])
    assert answer.transforms == IKE_PQ_BASE + expected
    check_selected([offer], answer)


# --------------------------------------------------------------------------- unknown things


UNKNOWN_ENCR = tf(ENCR, 1024)
UNKNOWN_ATTR = Transform(
    ENCR,
    EncrId.ENCR_AES_GCM_16,
    (TransformAttribute(TransformAttributeType.KEY_LENGTH, 256), TransformAttribute(15, 1)),
)
TLV_KEY_LENGTH = Transform(
    ENCR,
    EncrId.ENCR_AES_GCM_16,
    (TransformAttribute(TransformAttributeType.KEY_LENGTH, b"\x01\x00"),),
)


@pytest.mark.parametrize(
    "extra",
    [
        UNKNOWN_ENCR,  # an ID we do not know
        UNKNOWN_ATTR,  # a Transform Attribute we do not understand
        TLV_KEY_LENGTH,  # Key Length is TV only (RFC 7296 §3.3.5)
        tf(PRF, 200),
    ],
)
def test_unknown_transform_skipped(extra: Transform) -> None:
    # RFC 7296 §3.3.6: "if the responder receives a transform that it does not
    # understand, or one that contains a Transform Attribute it does not understand,
    # it MUST consider this transform unacceptable; other transforms with the same
    # Transform Type are processed as usual."
    offer = prop(1, IKE, extra, GCM256, PRF256, X25519)
    assert select_proposal([offer], [IKE_GCM]).transforms == IKE_GCM.transforms


def test_transform_with_unknown_attribute_not_matched_even_if_configured() -> None:
    offer = prop(1, IKE, UNKNOWN_ATTR, PRF256, X25519)
    with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
        select_proposal([offer], [prop(1, IKE, UNKNOWN_ATTR, PRF256, X25519)])


@pytest.mark.parametrize("ttype", [200, TransformType.KWA, TransformType.GCAUTH])
def test_unknown_transform_type_rejects_only_that_proposal(ttype: int) -> None:
    # RFC 7296 §3.3.6: "If the responder receives a proposal that contains a Transform
    # Type it does not understand ... it MUST consider this proposal unacceptable;
    # however, other proposals in the same SA payload are processed as usual."
    offer = [prop(1, IKE, GCM256, PRF256, X25519, tf(ttype, 1)), IKE_GCM._replace(number=2)]
    assert select_proposal(offer, [IKE_GCM]) == IKE_GCM._replace(number=2)


def test_only_unknown_transforms_of_a_type() -> None:
    offer = prop(1, IKE, UNKNOWN_ENCR, PRF256, X25519)
    with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
        select_proposal([offer], [IKE_GCM])


def test_attribute_order_does_not_matter() -> None:
    # RFC 9370 §2.2.1: "the order of the attributes does not affect the equality"
    a = TransformAttribute(TransformAttributeType.KEY_LENGTH, 256)
    b = TransformAttribute(15, 1)
    ours = prop(1, IKE, Transform(ENCR, 12, (a, b)), SHA256, PRF256, X25519)
    check_selected([ours], prop(1, IKE, Transform(ENCR, 12, (b, a)), SHA256, PRF256, X25519))


# --------------------------------------------------------------------------- initiator check

OUR_IKE_OFFER = [
    prop(1, IKE, CBC128, CBC256, SHA256, SHA1, PRF256, PRF384, ECP256, X25519),
    prop(2, IKE, GCM256, CHACHA, PRF256, X25519, MLKEM768_1, ADDKE1_NONE, MLKEM768_2, ADDKE2_NONE),
]
OUR_ESP_OFFER = [
    prop(1, ESP, GCM256, NO_ESN, spi=ESP_SPI),
    prop(2, ESP, CBC256, SHA256, KE_NONE, ECP256, NO_ESN, spi=ESP_SPI),
]


@pytest.mark.parametrize(
    ("offer", "answer"),
    [
        (OUR_IKE_OFFER, prop(1, IKE, CBC256, SHA256, PRF384, X25519)),
        (OUR_IKE_OFFER, prop(1, IKE, X25519, PRF384, SHA256, CBC256)),  # any order
        (OUR_IKE_OFFER, prop(2, IKE, CHACHA, PRF256, X25519, MLKEM768_1, ADDKE2_NONE)),
        (OUR_IKE_OFFER, prop(2, IKE, CHACHA, PRF256, X25519, ADDKE1_NONE, MLKEM768_2)),
        (OUR_IKE_OFFER, prop(2, IKE, CHACHA, INTEG_NONE, PRF256, X25519, MLKEM768_1, ADDKE2_NONE)),
        # lenient: an ADDKE type we offered NONE for may be left out
        (OUR_IKE_OFFER, prop(2, IKE, CHACHA, PRF256, X25519)),
        (OUR_IKE_OFFER, [prop(2, IKE, CHACHA, PRF256, X25519, MLKEM768_1)]),
        (OUR_ESP_OFFER, prop(1, ESP, GCM256, NO_ESN, spi=b"\x99" * 4)),
        (OUR_ESP_OFFER, prop(2, ESP, CBC256, SHA256, ECP256, NO_ESN)),
        (OUR_ESP_OFFER, prop(2, ESP, CBC256, SHA256, KE_NONE, NO_ESN)),
        (OUR_ESP_OFFER, prop(2, ESP, CBC256, SHA256, NO_ESN)),
        # lenient: KE NONE answered for a proposal without KE (same meaning)
        (OUR_ESP_OFFER, prop(1, ESP, GCM256, KE_NONE, NO_ESN)),
    ],
)
def test_check_selected_accepts_consistent_answer(
    offer: Sequence[Proposal], answer: Proposal | Sequence[Proposal]
) -> None:
    check_selected(offer, answer)


@pytest.mark.parametrize(
    ("offer", "answer"),
    [
        # tampered algorithm, key length, number, protocol
        (OUR_IKE_OFFER, prop(1, IKE, DES3, SHA256, PRF384, X25519)),
        (OUR_IKE_OFFER, prop(1, IKE, tf(ENCR, EncrId.ENCR_AES_CBC, 192), SHA256, PRF384, X25519)),
        (OUR_IKE_OFFER, prop(1, IKE, GCM256, PRF256, X25519)),  # proposal 2's cipher under #1
        (OUR_IKE_OFFER, prop(3, IKE, CBC256, SHA256, PRF384, X25519)),
        (OUR_IKE_OFFER, prop(1, ESP, CBC256, SHA256, PRF384, X25519)),
        (OUR_IKE_OFFER, prop(1, IKE, CBC256, SHA256, PRF384, MODP2048)),  # group not offered
        # not exactly one of each type
        (OUR_IKE_OFFER, prop(1, IKE, CBC256, SHA256, PRF384)),
        (OUR_IKE_OFFER, prop(1, IKE, CBC256, SHA256, X25519)),
        (OUR_IKE_OFFER, prop(1, IKE, CBC256, PRF384, X25519)),
        (OUR_IKE_OFFER, prop(1, IKE, CBC256, CBC128, SHA256, PRF384, X25519)),
        (OUR_IKE_OFFER, prop(1, IKE, CBC256, SHA256, PRF384, X25519, X25519)),
        # type rules
        (OUR_IKE_OFFER, prop(2, IKE, CHACHA, SHA256, PRF256, X25519)),  # INTEG with AEAD
        (OUR_IKE_OFFER, prop(2, IKE, CHACHA, PRF256, X25519, MLKEM768_1, MLKEM768_2)),  # duplicate
        (OUR_IKE_OFFER, prop(2, IKE, CHACHA, PRF256, X25519, MLKEM1024_1)),
        (OUR_ESP_OFFER, prop(1, ESP, GCM256, ECP256, NO_ESN)),  # PFS we did not offer
        (OUR_ESP_OFFER, prop(1, ESP, GCM256, YES_ESN)),
        (OUR_ESP_OFFER, prop(1, ESP, GCM256)),
        (OUR_ESP_OFFER, prop(2, ESP, CBC256, NO_ESN)),  # INTEG offered, not answered
        # the SA must hold a single proposal
        (OUR_IKE_OFFER, []),
        (
            OUR_IKE_OFFER,
            [prop(1, IKE, CBC256, SHA256, PRF384, X25519), prop(2, IKE, CHACHA, PRF256, X25519)],
        ),
    ],
)
def test_check_selected_catches_tampered_answer(
    offer: Sequence[Proposal], answer: Proposal | Sequence[Proposal]
) -> None:
    # RFC 7296 §3.3.6: "The initiator of an exchange MUST check that the accepted offer
    # is consistent with one of its proposals, and if not MUST terminate the exchange."
    with expect_notify(NotifyType.INVALID_SYNTAX):
        check_selected(offer, answer)


# --------------------------------------------------------------------------- KE group guessing


IKE_OFFER_TWO_GROUPS = [prop(1, IKE, GCM256, PRF256, ECP256, X25519)]


@pytest.mark.parametrize(
    ("offer", "sent", "ours", "prefer", "expected"),
    [
        # the guess is in the chosen proposal and acceptable: no round trip
        (
            IKE_OFFER_TWO_GROUPS,
            KeyExchangeMethod.CURVE25519,
            [prop(1, IKE, GCM256, PRF256, ECP256, X25519)],
            "initiator",
            None,
        ),
        (
            IKE_OFFER_TWO_GROUPS,
            KeyExchangeMethod.ECP_256,
            [prop(1, IKE, GCM256, PRF256, ECP256, X25519)],
            "initiator",
            None,
        ),
        # the guess is not acceptable: ask for the chosen group (RFC 7296 §3.3.6)
        (
            IKE_OFFER_TWO_GROUPS,
            KeyExchangeMethod.ECP_256,
            [prop(1, IKE, GCM256, PRF256, X25519)],
            "initiator",
            KeyExchangeMethod.CURVE25519,
        ),
        (
            IKE_OFFER_TWO_GROUPS,
            KeyExchangeMethod.MODP_2048,
            [prop(1, IKE, GCM256, PRF256, X25519, ECP256)],
            "initiator",
            KeyExchangeMethod.ECP_256,
        ),
        (
            IKE_OFFER_TWO_GROUPS,
            KeyExchangeMethod.MODP_2048,
            [prop(1, IKE, GCM256, PRF256, X25519, ECP256)],
            "responder",
            KeyExchangeMethod.CURVE25519,
        ),
        # the proposal is chosen without regard to the KE payload
        (
            [prop(1, IKE, CBC256, SHA256, PRF256, ECP256), prop(2, IKE, GCM256, PRF256, X25519)],
            KeyExchangeMethod.CURVE25519,
            [prop(1, IKE, CBC256, SHA256, PRF256, ECP256), prop(2, IKE, GCM256, PRF256, X25519)],
            "initiator",
            KeyExchangeMethod.ECP_256,
        ),
        (
            [prop(1, IKE, CBC256, SHA256, PRF256, ECP256), prop(2, IKE, GCM256, PRF256, X25519)],
            KeyExchangeMethod.ECP_256,
            [prop(1, IKE, GCM256, PRF256, X25519), prop(2, IKE, CBC256, SHA256, PRF256, ECP256)],
            "responder",
            KeyExchangeMethod.CURVE25519,
        ),
        # Child SA: NONE chosen, the KE payload (if any) is ignored (RFC 7296 §3.3.6)
        (
            [prop(1, ESP, GCM256, KE_NONE, ECP256, NO_ESN)],
            KeyExchangeMethod.ECP_256,
            [prop(1, ESP, GCM256, NO_ESN)],
            "initiator",
            None,
        ),
        ([prop(1, ESP, GCM256, NO_ESN)], None, [prop(1, ESP, GCM256, NO_ESN)], "initiator", None),
        # Child SA with PFS and no KE payload sent
        (
            [prop(1, ESP, GCM256, ECP256, NO_ESN)],
            None,
            [prop(1, ESP, GCM256, ECP256, NO_ESN)],
            "initiator",
            KeyExchangeMethod.ECP_256,
        ),
    ],
)
def test_ke_mismatch(
    offer: list[Proposal], sent: int | None, ours: list[Proposal], prefer: str, expected: int | None
) -> None:
    assert ke_mismatch(offer, sent, ours, prefer=prefer) == expected  # type: ignore[arg-type]
    if expected is not None:
        assert isinstance(ke_mismatch(offer, sent, ours, prefer=prefer), KeyExchangeMethod)  # type: ignore[arg-type]


def test_ke_group_hint_in_select_proposal() -> None:
    ours = [prop(1, IKE, GCM256, PRF256, ECP256, X25519)]
    assert select_proposal(IKE_OFFER_TWO_GROUPS, ours).transforms_of(KE) == (ECP256,)
    assert select_proposal(IKE_OFFER_TWO_GROUPS, ours, ke_group=31).transforms_of(KE) == (X25519,)
    assert select_proposal(IKE_OFFER_TWO_GROUPS, ours, ke_group=14).transforms_of(KE) == (ECP256,)


def test_ke_mismatch_no_proposal() -> None:
    with expect_notify(NotifyType.NO_PROPOSAL_CHOSEN):
        ke_mismatch(IKE_OFFER_TWO_GROUPS, 19, [prop(1, IKE, GCM256, PRF256, MODP2048)])


def test_acceptable_ke_methods() -> None:
    offer = [
        prop(1, IKE, GCM256, PRF256, ECP256, X25519),
        prop(2, IKE, CBC256, SHA256, PRF256, X25519, MODP2048, MLKEM768_1),
        prop(3, ESP, GCM256, KE_NONE, NO_ESN),
    ]
    assert acceptable_ke_methods(offer) == (
        KeyExchangeMethod.ECP_256,
        KeyExchangeMethod.CURVE25519,
        KeyExchangeMethod.MODP_2048,
        KeyExchangeMethod.NONE,
    )
    assert acceptable_ke_methods(offer[0]) == (
        KeyExchangeMethod.ECP_256,
        KeyExchangeMethod.CURVE25519,
    )
    assert acceptable_ke_methods(prop(1, IKE, tf(KE, 1000))) == (1000,)


def test_check_invalid_ke() -> None:
    assert check_invalid_ke(IKE_OFFER_TWO_GROUPS, 31, sent=19) is KeyExchangeMethod.CURVE25519
    for requested, sent in [(14, 19), (0, 19), (19, 19), (31, 31)]:
        with expect_notify(NotifyType.INVALID_SYNTAX):
            check_invalid_ke(IKE_OFFER_TWO_GROUPS, requested, sent=sent)


# --------------------------------------------------------------------------- properties

_POOLS: dict[int, list[Transform]] = {
    ENCR: [CBC128, CBC256, GCM256, CHACHA, DES3, NULL_ENCR, UNKNOWN_ENCR, UNKNOWN_ATTR],
    PRF: [PRF256, PRF384],
    INTEG: [SHA256, SHA1, INTEG_NONE],
    KE: [ECP256, X25519, KE_NONE],
    TransformType.ESN: [NO_ESN, YES_ESN],
    ADDKE1: [MLKEM768_1, MLKEM1024_1, ADDKE1_NONE],
    ADDKE2: [MLKEM768_2, ADDKE2_NONE],
}


_MANDATORY = {IKE: {ENCR, PRF, INTEG, KE}, ESP: {ENCR, TransformType.ESN}}


@st.composite
def proposal_lists(draw: st.DrawFn, max_proposals: int, max_per_type: int = 3) -> list[Proposal]:
    """Offers over a small pool, valid more often than not: each mandatory type
    (RFC 7296 §3.3.3) present nine times in ten, each other type half the time."""
    out = []
    for number in range(1, draw(st.integers(1, max_proposals)) + 1):
        protocol = draw(st.sampled_from([IKE, ESP]))
        transforms: list[Transform] = []
        for ttype, pool in _POOLS.items():
            if (protocol, ttype) in ((ESP, PRF), (IKE, TransformType.ESN)):
                continue
            present = draw(st.integers(0, 9)) < (9 if ttype in _MANDATORY[protocol] else 5)
            if present:
                transforms += draw(
                    st.lists(st.sampled_from(pool), min_size=1, max_size=max_per_type, unique=True)
                )
        transforms = draw(st.permutations(transforms))
        out.append(prop(number, protocol, *transforms))
    return out


@st.composite
def offers_and_policies(draw: st.DrawFn) -> tuple[list[Proposal], list[Proposal]]:
    """An offer, and our proposals: random ones or ones cut from the offer (so that a
    match is likely), sometimes with a type dropped or a transform added."""
    offered = draw(proposal_lists(3))
    acceptable = []
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.integers(0, 3)) == 0:
            acceptable += draw(proposal_lists(1))
            continue
        source = draw(st.sampled_from(offered))
        groups: dict[int, list[Transform]] = {}
        for t in source.transforms:
            groups.setdefault(int(t.type), []).append(t)
        transforms: list[Transform] = []
        for ttype, ts in groups.items():
            if draw(st.integers(0, 9)) == 0:
                continue  # drop the type
            transforms += draw(st.lists(st.sampled_from(ts), min_size=1, unique=True))
            if draw(st.integers(0, 4)) == 0:
                extra = draw(st.sampled_from(_POOLS[ttype]))
                if extra not in transforms:
                    transforms.append(extra)
        acceptable.append(prop(1, source.protocol_id, *draw(st.permutations(transforms))))
    return offered, acceptable


def _consistent(ours: Proposal, answer: Proposal) -> bool:
    try:
        check_selected([ours._replace(number=answer.number)], answer)
    except ProtocolError:
        return False
    return True


def _all_answers(offered: Proposal) -> list[Proposal]:
    """Every proposal with exactly one of each offered transform type."""
    groups: dict[int, list[Transform]] = {}
    for t in offered.transforms:
        groups.setdefault(int(t.type), []).append(t)
    return [offered._replace(transforms=combo) for combo in itertools.product(*groups.values())]


@settings(max_examples=200, deadline=None)
@given(offers_and_policies(), st.sampled_from(["initiator", "responder"]))
def test_selection_consistent_with_both_sides(
    case: tuple[list[Proposal], list[Proposal]], prefer: str
) -> None:
    offered, acceptable = case
    try:
        answer = select_proposal(offered, acceptable, prefer=prefer)  # type: ignore[arg-type]
    except ProtocolError as exc:
        assert exc.notify == NotifyType.NO_PROPOSAL_CHOSEN
        answer = None
    # Brute force: every shape-valid answer to every offered proposal, checked by the
    # initiator's check against that proposal and against one of ours.
    possible = [
        a
        for o in offered
        for a in _all_answers(o)
        # RFC 7296 §3.3.6: a transform with an attribute not understood is unacceptable
        if UNKNOWN_ATTR not in a.transforms
        and _consistent(o, a)
        and any(_consistent(mine, a) for mine in acceptable)
    ]
    if answer is None:
        assert possible == []
        return
    check_selected(offered, answer)  # the initiator accepts it
    assert any(_consistent(mine, answer) for mine in acceptable)  # and it is one of ours
    assert len(set(types_of(answer))) == len(answer.transforms)
    source = next(o for o in offered if o.number == answer.number)
    assert set(types_of(answer)) == set(types_of(source))
    assert answer.spi == source.spi
    assert all(t in source.transforms for t in answer.transforms)
    if prefer == "initiator":
        # the initiator's first proposal that can be answered at all
        assert answer.number == possible[0].number


# --------------------------------------------------------------------------- strongSwan syntax


@pytest.mark.parametrize(
    ("offer", "ours", "protocol"),
    [
        ("aes128-aes256-sha256-sha1-ecp256-x25519", "aes256-sha256-x25519", IKE),
        ("aes256gcm16-chacha20poly1305-prfsha384-x25519", "chacha20poly1305-prfsha384-x25519", IKE),
        ("aes128-sha256-modp2048-ecp256", "aes128-sha256-ecp256", ESP),
    ],
)
def test_with_strongswan_syntax(offer: str, ours: str, protocol: int) -> None:
    pytest.importorskip("ikewire.wire.syntax")  # Proposal.parse lands with it
    offered = Proposal.parse(offer, protocol)
    mine = Proposal.parse(ours, protocol)
    answer = select_proposal([offered], [mine])
    assert set(answer.transforms) == set(mine.transforms)
    check_selected([offered], answer)


def test_null_esp_skips_integ_none_when_a_real_one_is_offered() -> None:
    """RFC 4303 §3.2: ESP with ENCR_NULL needs integrity; an offer listing INTEG NONE
    before a real algorithm is answered with the real one, not rejected (found by
    Hypothesis in test_selection_consistent_with_both_sides)."""
    from ikewire.constants import EncrId, IntegId, KeyExchangeMethod, ProtocolId, TransformType
    from ikewire.wire.models import Proposal, Transform

    offer = Proposal(
        1,
        ProtocolId.ESP,
        b"\x01\x02\x03\x04",
        (
            Transform(TransformType.ENCR, EncrId.ENCR_NULL),
            Transform(TransformType.INTEG, IntegId.NONE),
            Transform(TransformType.INTEG, IntegId.AUTH_HMAC_SHA2_256_128),
            Transform(TransformType.ESN, 0),
            Transform(TransformType.ADDKE1, KeyExchangeMethod.NONE),
        ),
    )
    ours = Proposal(1, ProtocolId.ESP, b"", offer.transforms[:4])
    answer = select_proposal([offer], [ours])
    assert [t.id for t in answer.transforms if t.type == TransformType.INTEG] == [
        IntegId.AUTH_HMAC_SHA2_256_128
    ]
    check_selected([offer], answer)


# --------------------------------------------------------------------------- preparation cache


def test_our_proposals_prepared_once_never_stale() -> None:
    """Our proposals are prepared once and remembered by identity; a fresh proposal
    (even one that reuses a freed one's memory) or one that can still change (a list
    of transforms) is judged as it is now."""
    offer = prop(1, IKE, GCM256, PRF256, ECP256, X25519)
    for i in range(600):  # more than the cache holds: it is cleared on the way
        group = (X25519, ECP256)[i % 2]
        ours = prop(1, IKE, GCM256, PRF256, group)
        answer = select_proposal([offer], [ours])
        assert [t for t in answer.transforms if t.type == KE] == [group]
        check_selected([ours], answer)
    transforms = [GCM256, PRF256, X25519]
    mutable = Proposal(1, IKE, b"", transforms)  # type: ignore[arg-type]
    assert X25519 in select_proposal([offer], [mutable]).transforms
    transforms[2] = ECP256
    assert ECP256 in select_proposal([offer], [mutable]).transforms
    check_selected([mutable], prop(1, IKE, GCM256, PRF256, ECP256))
    with expect_notify(NotifyType.INVALID_SYNTAX):
        check_selected([mutable], prop(1, IKE, GCM256, PRF256, X25519))
