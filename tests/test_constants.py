"""Spot checks of ikewire.constants against the published registry numbers.

Each expected number is copied from the RFC section (or IANA registry) cited beside it,
never from ikewire's own output.
"""

from __future__ import annotations

import enum

import pytest

from ikewire import constants as c
from ikewire.constants import (
    ESN,
    PAYLOAD_SHORT_NAMES,
    AuthMethod,
    CertEncoding,
    CfgType,
    CPAttributeType,
    EncrId,
    ExchangeType,
    GatewayIdentityType,
    HashAlgorithm,
    IDType,
    IntegId,
    IPCompTransformId,
    KeyExchangeMethod,
    NotifyType,
    PayloadType,
    PPKIDType,
    PrfId,
    ProtocolId,
    TransformAttributeType,
    TransformType,
    TSType,
    to_enum,
)

ALL_ENUMS: list[type[enum.IntEnum]] = [
    ExchangeType,
    PayloadType,
    NotifyType,
    TransformType,
    TransformAttributeType,
    EncrId,
    PrfId,
    IntegId,
    KeyExchangeMethod,
    ESN,
    ProtocolId,
    AuthMethod,
    HashAlgorithm,
    IDType,
    CertEncoding,
    TSType,
    CfgType,
    CPAttributeType,
    GatewayIdentityType,
    IPCompTransformId,
    PPKIDType,
]


def test_all_enums_are_exported_and_documented() -> None:
    for cls in ALL_ENUMS:
        assert cls.__name__ in c.__all__
        assert cls.__doc__ and ("RFC" in cls.__doc__ or "IANA" in cls.__doc__), cls


@pytest.mark.parametrize("cls", ALL_ENUMS, ids=lambda cls: cls.__name__)
def test_values_are_unique_no_aliases(cls: type[enum.IntEnum]) -> None:
    # An alias would make one of two RFC names unreachable by value.
    assert len(cls.__members__) == len(list(cls))
    assert len({int(m) for m in cls}) == len(list(cls))


@pytest.mark.parametrize("cls", ALL_ENUMS, ids=lambda cls: cls.__name__)
def test_values_fit_their_wire_field(cls: type[enum.IntEnum]) -> None:
    # RFC 7296 §3: exchange/payload/protocol/ID/cert/auth/TS/CFG types are 1 octet;
    # transform IDs and notify types are 2 octets; attribute types are 15 bits.
    one_octet = {
        ExchangeType,
        PayloadType,
        TransformType,
        ProtocolId,
        AuthMethod,
        IDType,
        CertEncoding,
        TSType,
        CfgType,
        GatewayIdentityType,
        PPKIDType,
        IPCompTransformId,
    }
    fifteen_bits = {CPAttributeType, TransformAttributeType}  # RFC 7296 §3.3.5, §3.15.1
    limit = 0xFF if cls in one_octet else 0x7FFF if cls in fifteen_bits else 0xFFFF
    assert all(0 <= int(m) <= limit for m in cls)


# --------------------------------------------------------------------------- to_enum


@pytest.mark.parametrize("cls", ALL_ENUMS, ids=lambda cls: cls.__name__)
def test_to_enum_returns_member_for_every_known_value(cls: type[enum.IntEnum]) -> None:
    for member in cls:
        got = to_enum(cls, int(member))
        assert got is member
        assert type(got) is cls


@pytest.mark.parametrize(
    ("cls", "value"),
    [
        (ExchangeType, 33),  # RFC 7296 §3.1: 0-33 reserved
        (ExchangeType, 240),  # private use
        (PayloadType, 1),  # 1-32 reserved
        (PayloadType, 128),  # private use
        (NotifyType, 2),  # reserved error
        (NotifyType, 8192),  # private-use error range
        (NotifyType, 40960),  # private-use status range
        (TransformType, 241),
        (EncrId, 1024),  # private use
        (KeyExchangeMethod, 3),  # reserved
        (KeyExchangeMethod, 1024),
        (IDType, 4),  # unassigned
        (CPAttributeType, 5),  # reserved (was INTERNAL_ADDRESS_EXPIRY)
        (TSType, 0),
        (AuthMethod, 201),
        (HashAlgorithm, 1024),
    ],
)
def test_to_enum_keeps_unknown_values_as_plain_int(cls: type[enum.IntEnum], value: int) -> None:
    got = to_enum(cls, value)
    assert type(got) is int
    assert got == value


def test_to_enum_does_not_raise_for_any_16_bit_value() -> None:
    for value in range(0x10000):
        got = to_enum(NotifyType, value)
        assert int(got) == value


# --------------------------------------------------------------------------- published numbers

# (enum, RFC name, number, where it is published). Every row is a number a peer puts on
# the wire; a wrong one breaks interoperability silently.
PUBLISHED: list[tuple[type[enum.IntEnum], str, int, str]] = [
    # RFC 7296 §3.1 Exchange Types
    (ExchangeType, "IKE_SA_INIT", 34, "RFC 7296 §3.1"),
    (ExchangeType, "IKE_AUTH", 35, "RFC 7296 §3.1"),
    (ExchangeType, "CREATE_CHILD_SA", 36, "RFC 7296 §3.1"),
    (ExchangeType, "INFORMATIONAL", 37, "RFC 7296 §3.1"),
    (ExchangeType, "IKE_SESSION_RESUME", 38, "RFC 5723 §4.1"),
    (ExchangeType, "IKE_INTERMEDIATE", 43, "RFC 9242 §3"),
    (ExchangeType, "IKE_FOLLOWUP_KE", 44, "RFC 9370 §2.2.2"),
    # RFC 7296 §3.2 Payload Types
    (PayloadType, "NONE", 0, "RFC 7296 §3.2"),
    (PayloadType, "SA", 33, "RFC 7296 §3.2"),
    (PayloadType, "KE", 34, "RFC 7296 §3.2"),
    (PayloadType, "IDi", 35, "RFC 7296 §3.2"),
    (PayloadType, "IDr", 36, "RFC 7296 §3.2"),
    (PayloadType, "CERT", 37, "RFC 7296 §3.2"),
    (PayloadType, "CERTREQ", 38, "RFC 7296 §3.2"),
    (PayloadType, "AUTH", 39, "RFC 7296 §3.2"),
    (PayloadType, "NONCE", 40, "RFC 7296 §3.2"),
    (PayloadType, "NOTIFY", 41, "RFC 7296 §3.2"),
    (PayloadType, "DELETE", 42, "RFC 7296 §3.2"),
    (PayloadType, "VENDOR_ID", 43, "RFC 7296 §3.2"),
    (PayloadType, "TSi", 44, "RFC 7296 §3.2"),
    (PayloadType, "TSr", 45, "RFC 7296 §3.2"),
    (PayloadType, "SK", 46, "RFC 7296 §3.2"),
    (PayloadType, "CP", 47, "RFC 7296 §3.2"),
    (PayloadType, "EAP", 48, "RFC 7296 §3.2"),
    (PayloadType, "GSPM", 49, "RFC 6467 §8"),
    (PayloadType, "SKF", 53, "RFC 7383 §4"),
    (PayloadType, "PS", 54, "RFC 8019 §12"),
    # RFC 7296 §3.3.1 Protocol IDs
    (ProtocolId, "IKE", 1, "RFC 7296 §3.3.1"),
    (ProtocolId, "AH", 2, "RFC 7296 §3.3.1"),
    (ProtocolId, "ESP", 3, "RFC 7296 §3.3.1"),
    # RFC 7296 §3.3.2 Transform Types, RFC 9370 §2.2.1 ADDKE1..7
    (TransformType, "ENCR", 1, "RFC 7296 §3.3.2"),
    (TransformType, "PRF", 2, "RFC 7296 §3.3.2"),
    (TransformType, "INTEG", 3, "RFC 7296 §3.3.2"),
    (TransformType, "KE", 4, "RFC 7296 §3.3.2"),
    (TransformType, "ESN", 5, "RFC 7296 §3.3.2"),
    *[(TransformType, f"ADDKE{i}", 5 + i, "RFC 9370 §2.2.1") for i in range(1, 8)],
    (TransformAttributeType, "KEY_LENGTH", 14, "RFC 7296 §3.3.5"),
    # Transform Type 1
    (EncrId, "ENCR_DES_IV64", 1, "RFC 7296 §3.3.2"),
    (EncrId, "ENCR_DES", 2, "RFC 7296 §3.3.2"),
    (EncrId, "ENCR_3DES", 3, "RFC 7296 §3.3.2"),
    (EncrId, "ENCR_NULL", 11, "RFC 7296 §3.3.2"),
    (EncrId, "ENCR_AES_CBC", 12, "RFC 7296 §3.3.2"),
    (EncrId, "ENCR_AES_CTR", 13, "RFC 7296 §3.3.2"),
    (EncrId, "ENCR_AES_CCM_8", 14, "RFC 5282 §7"),
    (EncrId, "ENCR_AES_CCM_12", 15, "RFC 5282 §7"),
    (EncrId, "ENCR_AES_CCM_16", 16, "RFC 5282 §7"),
    (EncrId, "ENCR_AES_GCM_8", 18, "RFC 5282 §7"),
    (EncrId, "ENCR_AES_GCM_12", 19, "RFC 5282 §7"),
    (EncrId, "ENCR_AES_GCM_16", 20, "RFC 5282 §7"),
    (EncrId, "ENCR_NULL_AUTH_AES_GMAC", 21, "RFC 4543 §9"),
    (EncrId, "ENCR_CAMELLIA_CBC", 23, "RFC 5529 §5"),
    (EncrId, "ENCR_CHACHA20_POLY1305", 28, "RFC 7634 §4"),
    # Transform Type 2
    (PrfId, "PRF_HMAC_MD5", 1, "RFC 7296 §3.3.2"),
    (PrfId, "PRF_HMAC_SHA1", 2, "RFC 7296 §3.3.2"),
    (PrfId, "PRF_HMAC_TIGER", 3, "RFC 7296 §3.3.2"),
    (PrfId, "PRF_AES128_XCBC", 4, "RFC 4434 §4"),
    (PrfId, "PRF_HMAC_SHA2_256", 5, "RFC 4868 §4"),
    (PrfId, "PRF_HMAC_SHA2_384", 6, "RFC 4868 §4"),
    (PrfId, "PRF_HMAC_SHA2_512", 7, "RFC 4868 §4"),
    (PrfId, "PRF_AES128_CMAC", 8, "RFC 4615 §5"),
    # Transform Type 3
    (IntegId, "NONE", 0, "RFC 7296 §3.3.2"),
    (IntegId, "AUTH_HMAC_MD5_96", 1, "RFC 7296 §3.3.2"),
    (IntegId, "AUTH_HMAC_SHA1_96", 2, "RFC 7296 §3.3.2"),
    (IntegId, "AUTH_DES_MAC", 3, "RFC 7296 §3.3.2"),
    (IntegId, "AUTH_KPDK_MD5", 4, "RFC 7296 §3.3.2"),
    (IntegId, "AUTH_AES_XCBC_96", 5, "RFC 7296 §3.3.2"),
    (IntegId, "AUTH_AES_CMAC_96", 8, "RFC 4494 §4"),
    (IntegId, "AUTH_AES_128_GMAC", 9, "RFC 4543 §9"),
    (IntegId, "AUTH_HMAC_SHA2_256_128", 12, "RFC 4868 §4"),
    (IntegId, "AUTH_HMAC_SHA2_384_192", 13, "RFC 4868 §4"),
    (IntegId, "AUTH_HMAC_SHA2_512_256", 14, "RFC 4868 §4"),
    # Transform Type 4
    (KeyExchangeMethod, "NONE", 0, "RFC 9370 §2.2.1"),
    (KeyExchangeMethod, "MODP_768", 1, "RFC 7296 §3.3.2"),
    (KeyExchangeMethod, "MODP_1024", 2, "RFC 7296 §3.3.2"),
    (KeyExchangeMethod, "MODP_1536", 5, "RFC 3526 §2"),
    (KeyExchangeMethod, "MODP_2048", 14, "RFC 3526 §3"),
    (KeyExchangeMethod, "MODP_3072", 15, "RFC 3526 §4"),
    (KeyExchangeMethod, "MODP_4096", 16, "RFC 3526 §5"),
    (KeyExchangeMethod, "MODP_6144", 17, "RFC 3526 §6"),
    (KeyExchangeMethod, "MODP_8192", 18, "RFC 3526 §7"),
    (KeyExchangeMethod, "ECP_256", 19, "RFC 5903 §5"),
    (KeyExchangeMethod, "ECP_384", 20, "RFC 5903 §5"),
    (KeyExchangeMethod, "ECP_521", 21, "RFC 5903 §5"),
    (KeyExchangeMethod, "MODP_1024_160", 22, "RFC 5114 §4"),
    (KeyExchangeMethod, "MODP_2048_224", 23, "RFC 5114 §4"),
    (KeyExchangeMethod, "MODP_2048_256", 24, "RFC 5114 §4"),
    (KeyExchangeMethod, "ECP_192", 25, "RFC 5114 §4"),
    (KeyExchangeMethod, "ECP_224", 26, "RFC 5114 §4"),
    (KeyExchangeMethod, "BRAINPOOLP224R1", 27, "RFC 6954 §8"),
    (KeyExchangeMethod, "BRAINPOOLP256R1", 28, "RFC 6954 §8"),
    (KeyExchangeMethod, "BRAINPOOLP384R1", 29, "RFC 6954 §8"),
    (KeyExchangeMethod, "BRAINPOOLP512R1", 30, "RFC 6954 §8"),
    (KeyExchangeMethod, "CURVE25519", 31, "RFC 8031 §4"),
    (KeyExchangeMethod, "CURVE448", 32, "RFC 8031 §4"),
    (KeyExchangeMethod, "ML_KEM_512", 35, "draft-ietf-ipsecme-ikev2-mlkem, IANA"),
    (KeyExchangeMethod, "ML_KEM_768", 36, "draft-ietf-ipsecme-ikev2-mlkem, IANA"),
    (KeyExchangeMethod, "ML_KEM_1024", 37, "draft-ietf-ipsecme-ikev2-mlkem, IANA"),
    # Transform Type 5
    (ESN, "NO_ESN", 0, "RFC 7296 §3.3.2"),
    (ESN, "ESN", 1, "RFC 7296 §3.3.2"),
    # RFC 7296 §3.5 ID Types
    (IDType, "ID_IPV4_ADDR", 1, "RFC 7296 §3.5"),
    (IDType, "ID_FQDN", 2, "RFC 7296 §3.5"),
    (IDType, "ID_RFC822_ADDR", 3, "RFC 7296 §3.5"),
    (IDType, "ID_IPV6_ADDR", 5, "RFC 7296 §3.5"),
    (IDType, "ID_DER_ASN1_DN", 9, "RFC 7296 §3.5"),
    (IDType, "ID_DER_ASN1_GN", 10, "RFC 7296 §3.5"),
    (IDType, "ID_KEY_ID", 11, "RFC 7296 §3.5"),
    (IDType, "ID_FC_NAME", 12, "RFC 4595 §7"),
    (IDType, "ID_NULL", 13, "RFC 7619 §3"),
    # RFC 7296 §3.6 Certificate Encodings
    (CertEncoding, "PKCS7_WRAPPED_X509_CERTIFICATE", 1, "RFC 7296 §3.6"),
    (CertEncoding, "PGP_CERTIFICATE", 2, "RFC 7296 §3.6"),
    (CertEncoding, "DNS_SIGNED_KEY", 3, "RFC 7296 §3.6"),
    (CertEncoding, "X509_CERTIFICATE_SIGNATURE", 4, "RFC 7296 §3.6"),
    (CertEncoding, "KERBEROS_TOKEN", 6, "RFC 7296 §3.6"),
    (CertEncoding, "CERTIFICATE_REVOCATION_LIST", 7, "RFC 7296 §3.6"),
    (CertEncoding, "AUTHORITY_REVOCATION_LIST", 8, "RFC 7296 §3.6"),
    (CertEncoding, "SPKI_CERTIFICATE", 9, "RFC 7296 §3.6"),
    (CertEncoding, "X509_CERTIFICATE_ATTRIBUTE", 10, "RFC 7296 §3.6"),
    (CertEncoding, "RAW_RSA_KEY", 11, "RFC 7296 §3.6"),
    (CertEncoding, "HASH_AND_URL_X509_CERTIFICATE", 12, "RFC 7296 §3.6"),
    (CertEncoding, "HASH_AND_URL_X509_BUNDLE", 13, "RFC 7296 §3.6"),
    (CertEncoding, "OCSP_CONTENT", 14, "RFC 4806 §4"),
    (CertEncoding, "RAW_PUBLIC_KEY", 15, "RFC 7670 §3"),
    # RFC 7296 §3.8 Authentication Methods
    (AuthMethod, "RSA_DIGITAL_SIGNATURE", 1, "RFC 7296 §3.8"),
    (AuthMethod, "SHARED_KEY_MESSAGE_INTEGRITY_CODE", 2, "RFC 7296 §3.8"),
    (AuthMethod, "DSS_DIGITAL_SIGNATURE", 3, "RFC 7296 §3.8"),
    (AuthMethod, "ECDSA_SHA256_P256", 9, "RFC 4754 §7"),
    (AuthMethod, "ECDSA_SHA384_P384", 10, "RFC 4754 §7"),
    (AuthMethod, "ECDSA_SHA512_P521", 11, "RFC 4754 §7"),
    (AuthMethod, "GENERIC_SECURE_PASSWORD", 12, "RFC 6467 §8"),
    (AuthMethod, "NULL_AUTHENTICATION", 13, "RFC 7619 §2"),
    (AuthMethod, "DIGITAL_SIGNATURE", 14, "RFC 7427 §3"),
    # RFC 7427 §7 Hash Algorithms
    (HashAlgorithm, "RESERVED", 0, "RFC 7427 §7"),
    (HashAlgorithm, "SHA1", 1, "RFC 7427 §7"),
    (HashAlgorithm, "SHA2_256", 2, "RFC 7427 §7"),
    (HashAlgorithm, "SHA2_384", 3, "RFC 7427 §7"),
    (HashAlgorithm, "SHA2_512", 4, "RFC 7427 §7"),
    (HashAlgorithm, "IDENTITY", 5, "RFC 8420 §2"),
    # RFC 7296 §3.10.1 Notify error types
    (NotifyType, "UNSUPPORTED_CRITICAL_PAYLOAD", 1, "RFC 7296 §3.10.1"),
    (NotifyType, "INVALID_IKE_SPI", 4, "RFC 7296 §3.10.1"),
    (NotifyType, "INVALID_MAJOR_VERSION", 5, "RFC 7296 §3.10.1"),
    (NotifyType, "INVALID_SYNTAX", 7, "RFC 7296 §3.10.1"),
    (NotifyType, "INVALID_MESSAGE_ID", 9, "RFC 7296 §3.10.1"),
    (NotifyType, "INVALID_SPI", 11, "RFC 7296 §3.10.1"),
    (NotifyType, "NO_PROPOSAL_CHOSEN", 14, "RFC 7296 §3.10.1"),
    (NotifyType, "INVALID_KE_PAYLOAD", 17, "RFC 7296 §3.10.1"),
    (NotifyType, "AUTHENTICATION_FAILED", 24, "RFC 7296 §3.10.1"),
    (NotifyType, "SINGLE_PAIR_REQUIRED", 34, "RFC 7296 §3.10.1"),
    (NotifyType, "NO_ADDITIONAL_SAS", 35, "RFC 7296 §3.10.1"),
    (NotifyType, "INTERNAL_ADDRESS_FAILURE", 36, "RFC 7296 §3.10.1"),
    (NotifyType, "FAILED_CP_REQUIRED", 37, "RFC 7296 §3.10.1"),
    (NotifyType, "TS_UNACCEPTABLE", 38, "RFC 7296 §3.10.1"),
    (NotifyType, "INVALID_SELECTORS", 39, "RFC 7296 §3.10.1"),
    (NotifyType, "UNACCEPTABLE_ADDRESSES", 40, "RFC 4555 §6"),
    (NotifyType, "UNEXPECTED_NAT_DETECTED", 41, "RFC 4555 §6"),
    (NotifyType, "TEMPORARY_FAILURE", 43, "RFC 7296 §3.10.1"),
    (NotifyType, "CHILD_SA_NOT_FOUND", 44, "RFC 7296 §3.10.1"),
    (NotifyType, "STATE_NOT_FOUND", 47, "RFC 9370 §5"),
    # RFC 7296 §3.10.1 Notify status types
    (NotifyType, "INITIAL_CONTACT", 16384, "RFC 7296 §3.10.1"),
    (NotifyType, "SET_WINDOW_SIZE", 16385, "RFC 7296 §3.10.1"),
    (NotifyType, "ADDITIONAL_TS_POSSIBLE", 16386, "RFC 7296 §3.10.1"),
    (NotifyType, "IPCOMP_SUPPORTED", 16387, "RFC 7296 §3.10.1"),
    (NotifyType, "NAT_DETECTION_SOURCE_IP", 16388, "RFC 7296 §3.10.1"),
    (NotifyType, "NAT_DETECTION_DESTINATION_IP", 16389, "RFC 7296 §3.10.1"),
    (NotifyType, "COOKIE", 16390, "RFC 7296 §3.10.1"),
    (NotifyType, "USE_TRANSPORT_MODE", 16391, "RFC 7296 §3.10.1"),
    (NotifyType, "HTTP_CERT_LOOKUP_SUPPORTED", 16392, "RFC 7296 §3.10.1"),
    (NotifyType, "REKEY_SA", 16393, "RFC 7296 §3.10.1"),
    (NotifyType, "ESP_TFC_PADDING_NOT_SUPPORTED", 16394, "RFC 7296 §3.10.1"),
    (NotifyType, "NON_FIRST_FRAGMENTS_ALSO", 16395, "RFC 7296 §3.10.1"),
    (NotifyType, "MOBIKE_SUPPORTED", 16396, "RFC 4555 §6"),
    (NotifyType, "ADDITIONAL_IP4_ADDRESS", 16397, "RFC 4555 §6"),
    (NotifyType, "ADDITIONAL_IP6_ADDRESS", 16398, "RFC 4555 §6"),
    (NotifyType, "NO_ADDITIONAL_ADDRESSES", 16399, "RFC 4555 §6"),
    (NotifyType, "UPDATE_SA_ADDRESSES", 16400, "RFC 4555 §6"),
    (NotifyType, "COOKIE2", 16401, "RFC 4555 §6"),
    (NotifyType, "NO_NATS_ALLOWED", 16402, "RFC 4555 §6"),
    (NotifyType, "AUTH_LIFETIME", 16403, "RFC 4478 §4"),
    (NotifyType, "MULTIPLE_AUTH_SUPPORTED", 16404, "RFC 4739 §4"),
    (NotifyType, "ANOTHER_AUTH_FOLLOWS", 16405, "RFC 4739 §4"),
    (NotifyType, "REDIRECT_SUPPORTED", 16406, "RFC 5685 §10"),
    (NotifyType, "REDIRECT", 16407, "RFC 5685 §10"),
    (NotifyType, "REDIRECTED_FROM", 16408, "RFC 5685 §10"),
    (NotifyType, "TICKET_LT_OPAQUE", 16409, "RFC 5723 §10"),
    (NotifyType, "TICKET_REQUEST", 16410, "RFC 5723 §10"),
    (NotifyType, "TICKET_ACK", 16411, "RFC 5723 §10"),
    (NotifyType, "TICKET_NACK", 16412, "RFC 5723 §10"),
    (NotifyType, "TICKET_OPAQUE", 16413, "RFC 5723 §10"),
    (NotifyType, "EAP_ONLY_AUTHENTICATION", 16417, "RFC 5998 §6"),
    (NotifyType, "CHILDLESS_IKEV2_SUPPORTED", 16418, "RFC 6023 §6"),
    (NotifyType, "IKEV2_FRAGMENTATION_SUPPORTED", 16430, "RFC 7383 §4"),
    (NotifyType, "SIGNATURE_HASH_ALGORITHMS", 16431, "RFC 7427 §7"),
    (NotifyType, "PUZZLE", 16434, "RFC 8019 §12"),
    (NotifyType, "USE_PPK", 16435, "RFC 8784 §6"),
    (NotifyType, "PPK_IDENTITY", 16436, "RFC 8784 §6"),
    (NotifyType, "NO_PPK_AUTH", 16437, "RFC 8784 §6"),
    (NotifyType, "INTERMEDIATE_EXCHANGE_SUPPORTED", 16438, "RFC 9242 §8"),
    (NotifyType, "ADDITIONAL_KEY_EXCHANGE", 16441, "RFC 9370 §5"),
    # RFC 7296 §3.10.1 IPCOMP_SUPPORTED transform IDs, RFC 8784 §3 PPK ID types
    (IPCompTransformId, "IPCOMP_OUI", 1, "RFC 7296 §3.10.1"),
    (IPCompTransformId, "IPCOMP_DEFLATE", 2, "RFC 7296 §3.10.1"),
    (IPCompTransformId, "IPCOMP_LZS", 3, "RFC 7296 §3.10.1"),
    (IPCompTransformId, "IPCOMP_LZJH", 4, "RFC 7296 §3.10.1"),
    (PPKIDType, "PPK_ID_OPAQUE", 1, "RFC 8784 §3"),
    (PPKIDType, "PPK_ID_FIXED", 2, "RFC 8784 §3"),
    # RFC 5685 §10 Gateway Identity Types
    (GatewayIdentityType, "IPV4_ADDRESS", 1, "RFC 5685 §10"),
    (GatewayIdentityType, "IPV6_ADDRESS", 2, "RFC 5685 §10"),
    (GatewayIdentityType, "FQDN", 3, "RFC 5685 §10"),
    # RFC 7296 §3.13.1 TS Types
    (TSType, "TS_IPV4_ADDR_RANGE", 7, "RFC 7296 §3.13.1"),
    (TSType, "TS_IPV6_ADDR_RANGE", 8, "RFC 7296 §3.13.1"),
    (TSType, "TS_FC_ADDR_RANGE", 9, "RFC 4595 §7"),
    (TSType, "TS_SECLABEL", 10, "RFC 9478 §6"),
    # RFC 7296 §3.15 CFG Types
    (CfgType, "CFG_REQUEST", 1, "RFC 7296 §3.15"),
    (CfgType, "CFG_REPLY", 2, "RFC 7296 §3.15"),
    (CfgType, "CFG_SET", 3, "RFC 7296 §3.15"),
    (CfgType, "CFG_ACK", 4, "RFC 7296 §3.15"),
    # RFC 7296 §3.15.1 Configuration Attributes
    (CPAttributeType, "INTERNAL_IP4_ADDRESS", 1, "RFC 7296 §3.15.1"),
    (CPAttributeType, "INTERNAL_IP4_NETMASK", 2, "RFC 7296 §3.15.1"),
    (CPAttributeType, "INTERNAL_IP4_DNS", 3, "RFC 7296 §3.15.1"),
    (CPAttributeType, "INTERNAL_IP4_NBNS", 4, "RFC 7296 §3.15.1"),
    (CPAttributeType, "INTERNAL_IP4_DHCP", 6, "RFC 7296 §3.15.1"),
    (CPAttributeType, "APPLICATION_VERSION", 7, "RFC 7296 §3.15.1"),
    (CPAttributeType, "INTERNAL_IP6_ADDRESS", 8, "RFC 7296 §3.15.1"),
    (CPAttributeType, "INTERNAL_IP6_DNS", 10, "RFC 7296 §3.15.1"),
    (CPAttributeType, "INTERNAL_IP6_DHCP", 12, "RFC 7296 §3.15.1"),
    (CPAttributeType, "INTERNAL_IP4_SUBNET", 13, "RFC 7296 §3.15.1"),
    (CPAttributeType, "SUPPORTED_ATTRIBUTES", 14, "RFC 7296 §3.15.1"),
    (CPAttributeType, "INTERNAL_IP6_SUBNET", 15, "RFC 7296 §3.15.1"),
    (CPAttributeType, "P_CSCF_IP4_ADDRESS", 20, "RFC 7651 §5"),
    (CPAttributeType, "P_CSCF_IP6_ADDRESS", 21, "RFC 7651 §5"),
    (CPAttributeType, "INTERNAL_DNS_DOMAIN", 25, "RFC 8598 §6"),
    (CPAttributeType, "INTERNAL_DNSSEC_TA", 26, "RFC 8598 §6"),
]


@pytest.mark.parametrize(
    ("cls", "name", "number", "source"),
    PUBLISHED,
    ids=[f"{cls.__name__}.{name}={number} ({src})" for cls, name, number, src in PUBLISHED],
)
def test_published_number(cls: type[enum.IntEnum], name: str, number: int, source: str) -> None:
    member = cls[name]
    assert int(member) == number, source
    assert to_enum(cls, number) is member


def test_rfc5282_7_and_ieee_p1619_gaps_stay_unassigned() -> None:
    # IANA: EncrId 17 is unassigned and 22 is reserved for IEEE P1619 XTS-AES.
    assert type(to_enum(EncrId, 17)) is int
    assert type(to_enum(EncrId, 22)) is int


def test_rfc7296_3_10_1_error_status_split() -> None:
    # "Types in the range 0 - 16383 are intended for reporting errors."
    for member in NotifyType:
        assert (int(member) < 16384) == (member.name in _ERROR_NAMES), member.name


_ERROR_NAMES = {
    "UNSUPPORTED_CRITICAL_PAYLOAD",
    "INVALID_IKE_SPI",
    "INVALID_MAJOR_VERSION",
    "INVALID_SYNTAX",
    "INVALID_MESSAGE_ID",
    "INVALID_SPI",
    "NO_PROPOSAL_CHOSEN",
    "INVALID_KE_PAYLOAD",
    "AUTHENTICATION_FAILED",
    "SINGLE_PAIR_REQUIRED",
    "NO_ADDITIONAL_SAS",
    "INTERNAL_ADDRESS_FAILURE",
    "FAILED_CP_REQUIRED",
    "TS_UNACCEPTABLE",
    "INVALID_SELECTORS",
    "UNACCEPTABLE_ADDRESSES",
    "UNEXPECTED_NAT_DETECTED",
    "USE_ASSIGNED_HoA",
    "TEMPORARY_FAILURE",
    "CHILD_SA_NOT_FOUND",
    "INVALID_GROUP_ID",
    "AUTHORIZATION_FAILED",
    "STATE_NOT_FOUND",
    "TS_MAX_QUEUE",
    "REGISTRATION_FAILED",
}


# --------------------------------------------------------------------------- short names


def test_payload_short_names_cover_every_payload_type_but_none() -> None:
    assert set(PAYLOAD_SHORT_NAMES) == {int(p) for p in PayloadType if p is not PayloadType.NONE}


def test_payload_short_names_use_rfc7296_3_2_notation() -> None:
    assert PAYLOAD_SHORT_NAMES[33] == "SA"
    assert PAYLOAD_SHORT_NAMES[35] == "IDi"
    assert PAYLOAD_SHORT_NAMES[40] == "Nonce"
    assert PAYLOAD_SHORT_NAMES[41] == "N"
    assert PAYLOAD_SHORT_NAMES[42] == "D"
    assert PAYLOAD_SHORT_NAMES[43] == "V"
    assert PAYLOAD_SHORT_NAMES[46] == "SK"
    assert PAYLOAD_SHORT_NAMES[53] == "SKF"
    assert len(set(PAYLOAD_SHORT_NAMES.values())) == len(PAYLOAD_SHORT_NAMES)
