"""Spot checks of the IKEv1 registries in ikewire.constants against the published numbers.

Each expected number is copied from the RFC section cited beside it.
"""

from __future__ import annotations

import enum

import pytest

from ikewire import constants
from ikewire.constants import (
    V1DOI,
    V1AHTransformId,
    V1AuthenticationAlgorithm,
    V1AuthMethod,
    V1CertEncoding,
    V1ConfigAttributeType,
    V1ConfigType,
    V1EncapsulationMode,
    V1EncryptionAlgorithm,
    V1ESPTransformId,
    V1ExchangeType,
    V1GroupDescription,
    V1GroupType,
    V1HashAlgorithm,
    V1IDType,
    V1IKEAttributeType,
    V1IPCompTransformId,
    V1IPsecAttributeType,
    V1IsakmpTransformId,
    V1LifeType,
    V1NotifyType,
    V1PayloadType,
    V1ProtocolId,
    V1Situation,
    to_enum,
)

V1_ENUMS: list[type[enum.IntEnum]] = [
    V1ExchangeType,
    V1PayloadType,
    V1DOI,
    V1ProtocolId,
    V1IsakmpTransformId,
    V1AHTransformId,
    V1ESPTransformId,
    V1IPCompTransformId,
    V1IKEAttributeType,
    V1EncryptionAlgorithm,
    V1HashAlgorithm,
    V1AuthMethod,
    V1GroupDescription,
    V1GroupType,
    V1LifeType,
    V1IPsecAttributeType,
    V1EncapsulationMode,
    V1AuthenticationAlgorithm,
    V1IDType,
    V1CertEncoding,
    V1NotifyType,
    V1ConfigType,
    V1ConfigAttributeType,
]


@pytest.mark.parametrize("registry", V1_ENUMS, ids=lambda e: e.__name__)
def test_exported_and_unique(registry: type[enum.IntEnum]) -> None:
    assert registry.__name__ in constants.__all__
    assert len({m.value for m in registry}) == len(registry)  # no aliases


@pytest.mark.parametrize(
    ("member", "number"),
    [
        # RFC 2408 §3.1 Exchange Type; RFC 2409 §5.5, §5.6; mode-cfg draft §3.1
        (V1ExchangeType.BASE, 1),
        (V1ExchangeType.IDENTITY_PROTECTION, 2),
        (V1ExchangeType.AUTHENTICATION_ONLY, 3),
        (V1ExchangeType.AGGRESSIVE, 4),
        (V1ExchangeType.INFORMATIONAL, 5),
        (V1ExchangeType.TRANSACTION, 6),
        (V1ExchangeType.QUICK_MODE, 32),
        (V1ExchangeType.NEW_GROUP_MODE, 33),
        # RFC 2408 §3.1 Next Payload Types; RFC 3947 §3.2, §5.2
        (V1PayloadType.SA, 1),
        (V1PayloadType.P, 2),
        (V1PayloadType.T, 3),
        (V1PayloadType.KE, 4),
        (V1PayloadType.ID, 5),
        (V1PayloadType.CERT, 6),
        (V1PayloadType.CR, 7),
        (V1PayloadType.HASH, 8),
        (V1PayloadType.SIG, 9),
        (V1PayloadType.NONCE, 10),
        (V1PayloadType.N, 11),
        (V1PayloadType.D, 12),
        (V1PayloadType.VID, 13),
        (V1PayloadType.NAT_D, 20),
        (V1PayloadType.NAT_OA, 21),
        (V1PayloadType.NAT_D_DRAFT, 130),
        (V1PayloadType.NAT_OA_DRAFT, 131),
        # RFC 2407 §4.2, §4.4.1, §4.4.2, §4.4.4
        (V1DOI.IPSEC, 1),
        (V1Situation.SIT_IDENTITY_ONLY, 1),
        (V1Situation.SIT_SECRECY, 2),
        (V1Situation.SIT_INTEGRITY, 4),
        (V1ProtocolId.PROTO_ISAKMP, 1),
        (V1ProtocolId.PROTO_IPSEC_AH, 2),
        (V1ProtocolId.PROTO_IPSEC_ESP, 3),
        (V1ProtocolId.PROTO_IPCOMP, 4),
        (V1IsakmpTransformId.KEY_IKE, 1),
        (V1AHTransformId.AH_MD5, 2),
        (V1AHTransformId.AH_SHA, 3),
        (V1ESPTransformId.ESP_3DES, 3),
        (V1ESPTransformId.ESP_NULL, 11),
        (V1ESPTransformId.ESP_AES, 12),
        (V1IPCompTransformId.IPCOMP_DEFLATE, 2),
        # RFC 2409 Appendix A
        (V1IKEAttributeType.ENCRYPTION_ALGORITHM, 1),
        (V1IKEAttributeType.HASH_ALGORITHM, 2),
        (V1IKEAttributeType.AUTHENTICATION_METHOD, 3),
        (V1IKEAttributeType.GROUP_DESCRIPTION, 4),
        (V1IKEAttributeType.LIFE_TYPE, 11),
        (V1IKEAttributeType.LIFE_DURATION, 12),
        (V1IKEAttributeType.PRF, 13),
        (V1IKEAttributeType.KEY_LENGTH, 14),
        (V1IKEAttributeType.GROUP_ORDER, 16),
        (V1EncryptionAlgorithm.DES_CBC, 1),
        (V1EncryptionAlgorithm.TRIPLEDES_CBC, 5),
        (V1EncryptionAlgorithm.AES_CBC, 7),  # RFC 3602 §5.3
        (V1HashAlgorithm.MD5, 1),
        (V1HashAlgorithm.SHA, 2),
        (V1HashAlgorithm.SHA2_256, 4),  # RFC 4868
        (V1AuthMethod.PRE_SHARED_KEY, 1),
        (V1AuthMethod.DSS_SIGNATURES, 2),
        (V1AuthMethod.RSA_SIGNATURES, 3),
        (V1AuthMethod.ENCRYPTION_WITH_RSA, 4),
        (V1AuthMethod.REVISED_ENCRYPTION_WITH_RSA, 5),
        (V1AuthMethod.ECDSA_SHA256_P256, 9),  # RFC 4754 §5
        (V1GroupDescription.MODP_768, 1),
        (V1GroupDescription.MODP_1024, 2),
        (V1GroupDescription.MODP_1536, 5),  # RFC 3526 §2
        (V1GroupDescription.MODP_2048, 14),
        (V1GroupType.MODP, 1),
        (V1LifeType.SECONDS, 1),
        (V1LifeType.KILOBYTES, 2),
        # RFC 2407 §4.5; RFC 3947 §5.1
        (V1IPsecAttributeType.SA_LIFE_TYPE, 1),
        (V1IPsecAttributeType.SA_LIFE_DURATION, 2),
        (V1IPsecAttributeType.GROUP_DESCRIPTION, 3),
        (V1IPsecAttributeType.ENCAPSULATION_MODE, 4),
        (V1IPsecAttributeType.AUTHENTICATION_ALGORITHM, 5),
        (V1IPsecAttributeType.KEY_LENGTH, 6),
        (V1IPsecAttributeType.KEY_ROUNDS, 7),
        (V1IPsecAttributeType.COMPRESS_DICTIONARY_SIZE, 8),
        (V1IPsecAttributeType.COMPRESS_PRIVATE_ALGORITHM, 9),
        (V1EncapsulationMode.TUNNEL, 1),
        (V1EncapsulationMode.TRANSPORT, 2),
        (V1EncapsulationMode.UDP_ENCAPSULATED_TUNNEL, 3),
        (V1EncapsulationMode.UDP_ENCAPSULATED_TRANSPORT, 4),
        (V1AuthenticationAlgorithm.HMAC_MD5, 1),
        (V1AuthenticationAlgorithm.HMAC_SHA, 2),
        # RFC 2407 §4.6.2.1
        (V1IDType.ID_IPV4_ADDR, 1),
        (V1IDType.ID_FQDN, 2),
        (V1IDType.ID_USER_FQDN, 3),
        (V1IDType.ID_IPV4_ADDR_SUBNET, 4),
        (V1IDType.ID_IPV6_ADDR, 5),
        (V1IDType.ID_IPV6_ADDR_SUBNET, 6),
        (V1IDType.ID_IPV4_ADDR_RANGE, 7),
        (V1IDType.ID_IPV6_ADDR_RANGE, 8),
        (V1IDType.ID_DER_ASN1_DN, 9),
        (V1IDType.ID_DER_ASN1_GN, 10),
        (V1IDType.ID_KEY_ID, 11),
        # RFC 2408 §3.9
        (V1CertEncoding.X509_CERTIFICATE_SIGNATURE, 4),
        (V1CertEncoding.CERTIFICATE_REVOCATION_LIST, 7),
        # RFC 2408 §3.14.1; RFC 2407 §4.6.3; RFC 3706 §5.3
        (V1NotifyType.INVALID_PAYLOAD_TYPE, 1),
        (V1NotifyType.INVALID_COOKIE, 4),
        (V1NotifyType.INVALID_MAJOR_VERSION, 5),
        (V1NotifyType.NO_PROPOSAL_CHOSEN, 14),
        (V1NotifyType.PAYLOAD_MALFORMED, 16),
        (V1NotifyType.AUTHENTICATION_FAILED, 24),
        (V1NotifyType.UNEQUAL_PAYLOAD_LENGTHS, 30),
        (V1NotifyType.CONNECTED, 16384),
        (V1NotifyType.RESPONDER_LIFETIME, 24576),
        (V1NotifyType.REPLAY_STATUS, 24577),
        (V1NotifyType.INITIAL_CONTACT, 24578),
        (V1NotifyType.R_U_THERE, 36136),
        (V1NotifyType.R_U_THERE_ACK, 36137),
        # draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2, §3.3; draft-beaulieu-ike-xauth-02 §6
        (V1ConfigType.ISAKMP_CFG_REQUEST, 1),
        (V1ConfigType.ISAKMP_CFG_ACK, 4),
        (V1ConfigAttributeType.INTERNAL_IP4_ADDRESS, 1),
        (V1ConfigAttributeType.SUPPORTED_ATTRIBUTES, 14),
        (V1ConfigAttributeType.XAUTH_TYPE, 16520),
        (V1ConfigAttributeType.XAUTH_STATUS, 16527),
    ],
)
def test_published_numbers(member: enum.IntEnum, number: int) -> None:
    assert int(member) == number


def test_unknown_numbers_stay_ints() -> None:
    assert to_enum(V1ExchangeType, 243) == 243 and type(to_enum(V1ExchangeType, 243)) is int
    assert to_enum(V1PayloadType, 20) is V1PayloadType.NAT_D
