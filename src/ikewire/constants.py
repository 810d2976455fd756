"""IANA registries used on the IKE wire, as :class:`enum.IntEnum` classes.

The numbers come from the IANA "Internet Key Exchange Version 2 (IKEv2) Parameters"
registry (https://www.iana.org/assignments/ikev2-parameters) and the RFCs that filled it:
RFC 7296 §3 (the base protocol) and its extensions. Member names are the tokens the RFCs
spell (``NAT_DETECTION_SOURCE_IP``, ``ENCR_AES_GCM_16``); where IANA only gives a phrase
with spaces or hyphens, the name is that phrase in upper case with underscores.

A number a registry does not (yet) know stays a plain ``int`` everywhere in ikewire, so
that any message round-trips: use :func:`to_enum` to get the member when there is one.
"""

from __future__ import annotations

import enum
from typing import Final, TypeVar

__all__ = [
    "ESN",
    "PAYLOAD_SHORT_NAMES",
    "AuthMethod",
    "CPAttributeType",
    "CertEncoding",
    "CfgType",
    "EncrId",
    "ExchangeType",
    "GatewayIdentityType",
    "HashAlgorithm",
    "IDType",
    "IPCompTransformId",
    "IntegId",
    "KeyExchangeMethod",
    "NotifyType",
    "PPKIDType",
    "PayloadType",
    "PrfId",
    "ProtocolId",
    "TSType",
    "TransformAttributeType",
    "TransformType",
    "to_enum",
]

E = TypeVar("E", bound=enum.IntEnum)


def to_enum(cls: type[E], value: int) -> E | int:
    """Return the member of ``cls`` numbered ``value``, or ``value`` itself if unknown.

    One dict lookup (the enum's own value-to-member map), so it is cheap enough for the
    decoder's hot path. IANA registries grow; an unassigned or private-use number is not
    an error on the wire (RFC 7296 §3.10.1, §3.3.2), so it is kept as the plain ``int``.
    """
    member: E | None = cls._value2member_map_.get(value)  # type: ignore[assignment]
    return value if member is None else member


# --------------------------------------------------------------------------- IKEv2 header


class ExchangeType(enum.IntEnum):
    """IKEv2 Exchange Types (RFC 7296 §3.1; IANA "IKEv2 Exchange Types")."""

    IKE_SA_INIT = 34
    IKE_AUTH = 35
    CREATE_CHILD_SA = 36
    INFORMATIONAL = 37
    IKE_SESSION_RESUME = 38  # RFC 5723 §4.1
    GSA_AUTH = 39  # G-IKEv2 (draft-ietf-ipsecme-g-ikev2)
    GSA_REGISTRATION = 40
    GSA_REKEY = 41
    GSA_INBAND_REKEY = 42
    IKE_INTERMEDIATE = 43  # RFC 9242 §3
    IKE_FOLLOWUP_KE = 44  # RFC 9370 §2.2.2


class PayloadType(enum.IntEnum):
    """IKEv2 Payload Types, the Next Payload values (RFC 7296 §3.2; IANA "IKEv2 Payload Types")."""

    NONE = 0  # No Next Payload
    SA = 33  # Security Association, §3.3
    KE = 34  # Key Exchange, §3.4
    IDi = 35  # Identification - Initiator, §3.5
    IDr = 36  # Identification - Responder, §3.5
    CERT = 37  # Certificate, §3.6
    CERTREQ = 38  # Certificate Request, §3.7
    AUTH = 39  # Authentication, §3.8
    NONCE = 40  # Nonce (Ni, Nr), §3.9
    NOTIFY = 41  # Notify (N), §3.10
    DELETE = 42  # Delete (D), §3.11
    VENDOR_ID = 43  # Vendor ID (V), §3.12
    TSi = 44  # Traffic Selector - Initiator, §3.13
    TSr = 45  # Traffic Selector - Responder, §3.13
    SK = 46  # Encrypted and Authenticated, §3.14
    CP = 47  # Configuration, §3.15
    EAP = 48  # Extensible Authentication, §3.16
    GSPM = 49  # Generic Secure Password Method, RFC 6467 §3.1
    IDg = 50  # Group Identification, G-IKEv2
    GSA = 51  # Group Security Association, G-IKEv2
    KD = 52  # Key Download, G-IKEv2
    SKF = 53  # Encrypted and Authenticated Fragment, RFC 7383 §2.5
    PS = 54  # Puzzle Solution, RFC 8019 §8.1.2


#: The RFC 7296 §3.2 "Notation" column, used as the payload name in JSON output.
PAYLOAD_SHORT_NAMES: Final[dict[int, str]] = {
    PayloadType.SA: "SA",
    PayloadType.KE: "KE",
    PayloadType.IDi: "IDi",
    PayloadType.IDr: "IDr",
    PayloadType.CERT: "CERT",
    PayloadType.CERTREQ: "CERTREQ",
    PayloadType.AUTH: "AUTH",
    PayloadType.NONCE: "Nonce",
    PayloadType.NOTIFY: "N",
    PayloadType.DELETE: "D",
    PayloadType.VENDOR_ID: "V",
    PayloadType.TSi: "TSi",
    PayloadType.TSr: "TSr",
    PayloadType.SK: "SK",
    PayloadType.CP: "CP",
    PayloadType.EAP: "EAP",
    PayloadType.GSPM: "GSPM",
    PayloadType.IDg: "IDg",
    PayloadType.GSA: "GSA",
    PayloadType.KD: "KD",
    PayloadType.SKF: "SKF",
    PayloadType.PS: "PS",
}


# --------------------------------------------------------------------------- SA payload


class ProtocolId(enum.IntEnum):
    """IKEv2 Security Protocol Identifiers (RFC 7296 §3.3.1; IANA registry of that name)."""

    NONE = 0  # Reserved; used in Notify payloads that concern no SA (RFC 7296 §3.10)
    IKE = 1
    AH = 2
    ESP = 3
    FC_ESP_HEADER = 4  # RFC 4595
    FC_CT_AUTHENTICATION = 5  # RFC 4595
    GIKE_UPDATE = 6  # G-IKEv2


class TransformType(enum.IntEnum):
    """Transform Type Values (RFC 7296 §3.3.2, RFC 9370 §2.2.1; IANA "Transform Type Values")."""

    ENCR = 1  # Encryption Algorithm
    PRF = 2  # Pseudorandom Function
    INTEG = 3  # Integrity Algorithm
    KE = 4  # Key Exchange Method (was "Diffie-Hellman Group", RFC 9370 §2.2.1)
    ESN = 5  # Extended Sequence Numbers (IANA now "Sequence Numbers")
    ADDKE1 = 6  # Additional Key Exchange 1, RFC 9370 §2.2.1
    ADDKE2 = 7
    ADDKE3 = 8
    ADDKE4 = 9
    ADDKE5 = 10
    ADDKE6 = 11
    ADDKE7 = 12
    KWA = 13  # Key Wrap Algorithm, G-IKEv2
    GCAUTH = 14  # Group Controller Authentication Method, G-IKEv2


class TransformAttributeType(enum.IntEnum):
    """IKEv2 Transform Attribute Types (RFC 7296 §3.3.5; IANA registry of that name)."""

    KEY_LENGTH = 14  # Key Length (in bits), TV format


class EncrId(enum.IntEnum):
    """Transform Type 1 - Encryption Algorithm Transform IDs (RFC 7296 §3.3.2; IANA)."""

    ENCR_DES_IV64 = 1  # RFC 1827
    ENCR_DES = 2  # RFC 2405
    ENCR_3DES = 3  # RFC 2451
    ENCR_RC5 = 4  # RFC 2451
    ENCR_IDEA = 5  # RFC 2451
    ENCR_CAST = 6  # RFC 2451
    ENCR_BLOWFISH = 7  # RFC 2451
    ENCR_3IDEA = 8  # RFC 2451
    ENCR_DES_IV32 = 9
    ENCR_NULL = 11  # RFC 2410
    ENCR_AES_CBC = 12  # RFC 3602
    ENCR_AES_CTR = 13  # RFC 3686
    ENCR_AES_CCM_8 = 14  # RFC 4309, RFC 5282
    ENCR_AES_CCM_12 = 15
    ENCR_AES_CCM_16 = 16
    ENCR_AES_GCM_8 = 18  # RFC 4106, RFC 5282
    ENCR_AES_GCM_12 = 19
    ENCR_AES_GCM_16 = 20
    ENCR_NULL_AUTH_AES_GMAC = 21  # RFC 4543
    ENCR_CAMELLIA_CBC = 23  # RFC 5529
    ENCR_CAMELLIA_CTR = 24
    ENCR_CAMELLIA_CCM_8 = 25
    ENCR_CAMELLIA_CCM_12 = 26
    ENCR_CAMELLIA_CCM_16 = 27
    ENCR_CHACHA20_POLY1305 = 28  # RFC 7634
    ENCR_AES_CCM_8_IIV = 29  # RFC 8750
    ENCR_AES_GCM_16_IIV = 30  # RFC 8750
    ENCR_CHACHA20_POLY1305_IIV = 31  # RFC 8750
    ENCR_KUZNYECHIK_MGM_KTREE = 32  # RFC 9227
    ENCR_MAGMA_MGM_KTREE = 33
    ENCR_KUZNYECHIK_MGM_MAC_KTREE = 34
    ENCR_MAGMA_MGM_MAC_KTREE = 35


class PrfId(enum.IntEnum):
    """Transform Type 2 - Pseudorandom Function Transform IDs (RFC 7296 §3.3.2; IANA)."""

    PRF_HMAC_MD5 = 1  # RFC 2104
    PRF_HMAC_SHA1 = 2  # RFC 2104
    PRF_HMAC_TIGER = 3
    PRF_AES128_XCBC = 4  # RFC 4434
    PRF_HMAC_SHA2_256 = 5  # RFC 4868
    PRF_HMAC_SHA2_384 = 6
    PRF_HMAC_SHA2_512 = 7
    PRF_AES128_CMAC = 8  # RFC 4615
    PRF_HMAC_STREEBOG_512 = 9  # RFC 9385


class IntegId(enum.IntEnum):
    """Transform Type 3 - Integrity Algorithm Transform IDs (RFC 7296 §3.3.2; IANA)."""

    NONE = 0
    AUTH_HMAC_MD5_96 = 1  # RFC 2403
    AUTH_HMAC_SHA1_96 = 2  # RFC 2404
    AUTH_DES_MAC = 3
    AUTH_KPDK_MD5 = 4  # RFC 1826
    AUTH_AES_XCBC_96 = 5  # RFC 3566
    AUTH_HMAC_MD5_128 = 6  # RFC 4595
    AUTH_HMAC_SHA1_160 = 7  # RFC 4595
    AUTH_AES_CMAC_96 = 8  # RFC 4494
    AUTH_AES_128_GMAC = 9  # RFC 4543
    AUTH_AES_192_GMAC = 10
    AUTH_AES_256_GMAC = 11
    AUTH_HMAC_SHA2_256_128 = 12  # RFC 4868
    AUTH_HMAC_SHA2_384_192 = 13
    AUTH_HMAC_SHA2_512_256 = 14


class KeyExchangeMethod(enum.IntEnum):
    """Transform Type 4 - Key Exchange Method Transform IDs (RFC 7296 §3.3.2, RFC 9370; IANA)."""

    NONE = 0  # RFC 9370 §2.2.1: no (additional) key exchange
    MODP_768 = 1  # RFC 2409 Appendix B (Group 1)
    MODP_1024 = 2  # RFC 2409 Appendix B (Group 2)
    MODP_1536 = 5  # RFC 3526 §2
    MODP_2048 = 14  # RFC 3526 §3
    MODP_3072 = 15  # RFC 3526 §4
    MODP_4096 = 16  # RFC 3526 §5
    MODP_6144 = 17  # RFC 3526 §6
    MODP_8192 = 18  # RFC 3526 §7
    ECP_256 = 19  # RFC 5903
    ECP_384 = 20  # RFC 5903
    ECP_521 = 21  # RFC 5903
    MODP_1024_160 = 22  # RFC 5114 §2.1 (1024-bit MODP with 160-bit prime order subgroup)
    MODP_2048_224 = 23  # RFC 5114 §2.2
    MODP_2048_256 = 24  # RFC 5114 §2.3
    ECP_192 = 25  # RFC 5114 §2.6
    ECP_224 = 26  # RFC 5114 §2.7
    BRAINPOOLP224R1 = 27  # RFC 6954
    BRAINPOOLP256R1 = 28
    BRAINPOOLP384R1 = 29
    BRAINPOOLP512R1 = 30
    CURVE25519 = 31  # RFC 8031
    CURVE448 = 32  # RFC 8031
    GOST3410_2012_256 = 33  # RFC 9385
    GOST3410_2012_512 = 34  # RFC 9385
    ML_KEM_512 = 35  # draft-ietf-ipsecme-ikev2-mlkem
    ML_KEM_768 = 36
    ML_KEM_1024 = 37


class ESN(enum.IntEnum):
    """Transform Type 5 - Extended Sequence Numbers Transform IDs (RFC 7296 §3.3.2; IANA)."""

    NO_ESN = 0  # No Extended Sequence Numbers (IANA now "32-bit Sequential Numbers")
    ESN = 1  # Extended Sequence Numbers (IANA now "Partially Transmitted 64-bit ...")
    SN_32_BIT_UNSPECIFIED = 2  # "32-bit Unspecified Numbers", draft-ietf-ipsecme-ikev2-rename-esn


# --------------------------------------------------------------------------- ID, CERT, AUTH


class IDType(enum.IntEnum):
    """IKEv2 Identification Payload ID Types (RFC 7296 §3.5; IANA registry of that name)."""

    ID_IPV4_ADDR = 1
    ID_FQDN = 2
    ID_RFC822_ADDR = 3
    ID_IPV6_ADDR = 5
    ID_DER_ASN1_DN = 9
    ID_DER_ASN1_GN = 10
    ID_KEY_ID = 11
    ID_FC_NAME = 12  # RFC 4595
    ID_NULL = 13  # RFC 7619 §3


class CertEncoding(enum.IntEnum):
    """IKEv2 Certificate Encodings (RFC 7296 §3.6; IANA registry of that name)."""

    PKCS7_WRAPPED_X509_CERTIFICATE = 1
    PGP_CERTIFICATE = 2
    DNS_SIGNED_KEY = 3
    X509_CERTIFICATE_SIGNATURE = 4
    KERBEROS_TOKEN = 6
    CERTIFICATE_REVOCATION_LIST = 7
    AUTHORITY_REVOCATION_LIST = 8
    SPKI_CERTIFICATE = 9
    X509_CERTIFICATE_ATTRIBUTE = 10
    RAW_RSA_KEY = 11  # deprecated by RFC 7296
    HASH_AND_URL_X509_CERTIFICATE = 12
    HASH_AND_URL_X509_BUNDLE = 13
    OCSP_CONTENT = 14  # RFC 4806
    RAW_PUBLIC_KEY = 15  # RFC 7670 §3


class AuthMethod(enum.IntEnum):
    """IKEv2 Authentication Method (RFC 7296 §3.8; IANA "IKEv2 Authentication Method")."""

    RSA_DIGITAL_SIGNATURE = 1
    SHARED_KEY_MESSAGE_INTEGRITY_CODE = 2
    DSS_DIGITAL_SIGNATURE = 3
    ECDSA_SHA256_P256 = 9  # RFC 4754
    ECDSA_SHA384_P384 = 10  # RFC 4754
    ECDSA_SHA512_P521 = 11  # RFC 4754
    GENERIC_SECURE_PASSWORD = 12  # RFC 6467
    NULL_AUTHENTICATION = 13  # RFC 7619 §2
    DIGITAL_SIGNATURE = 14  # RFC 7427 §3


class HashAlgorithm(enum.IntEnum):
    """IKEv2 Hash Algorithms, in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §7; IANA)."""

    RESERVED = 0
    SHA1 = 1
    SHA2_256 = 2
    SHA2_384 = 3
    SHA2_512 = 4
    IDENTITY = 5  # RFC 8420 §2 (EdDSA signs the whole message)
    STREEBOG_256 = 6  # RFC 9385
    STREEBOG_512 = 7  # RFC 9385


# --------------------------------------------------------------------------- Notify


class NotifyType(enum.IntEnum):
    """IKEv2 Notify Message Types: errors below 16384, status from 16384 (RFC 7296 §3.10.1; IANA)."""

    # Error types (IANA "IKEv2 Notify Message Error Types").
    UNSUPPORTED_CRITICAL_PAYLOAD = 1
    INVALID_IKE_SPI = 4
    INVALID_MAJOR_VERSION = 5
    INVALID_SYNTAX = 7
    INVALID_MESSAGE_ID = 9
    INVALID_SPI = 11
    NO_PROPOSAL_CHOSEN = 14
    INVALID_KE_PAYLOAD = 17
    AUTHENTICATION_FAILED = 24
    SINGLE_PAIR_REQUIRED = 34
    NO_ADDITIONAL_SAS = 35
    INTERNAL_ADDRESS_FAILURE = 36
    FAILED_CP_REQUIRED = 37
    TS_UNACCEPTABLE = 38
    INVALID_SELECTORS = 39
    UNACCEPTABLE_ADDRESSES = 40  # RFC 4555 §4.2.4 (MOBIKE)
    UNEXPECTED_NAT_DETECTED = 41  # RFC 4555 §4.2.4 (MOBIKE)
    USE_ASSIGNED_HoA = 42  # RFC 5026
    TEMPORARY_FAILURE = 43
    CHILD_SA_NOT_FOUND = 44
    INVALID_GROUP_ID = 45  # G-IKEv2
    AUTHORIZATION_FAILED = 46  # G-IKEv2
    STATE_NOT_FOUND = 47  # RFC 9370 §2.2.4
    TS_MAX_QUEUE = 48  # RFC 9611
    REGISTRATION_FAILED = 49  # G-IKEv2

    # Status types (IANA "IKEv2 Notify Message Status Types").
    INITIAL_CONTACT = 16384
    SET_WINDOW_SIZE = 16385
    ADDITIONAL_TS_POSSIBLE = 16386
    IPCOMP_SUPPORTED = 16387
    NAT_DETECTION_SOURCE_IP = 16388
    NAT_DETECTION_DESTINATION_IP = 16389
    COOKIE = 16390
    USE_TRANSPORT_MODE = 16391
    HTTP_CERT_LOOKUP_SUPPORTED = 16392
    REKEY_SA = 16393
    ESP_TFC_PADDING_NOT_SUPPORTED = 16394
    NON_FIRST_FRAGMENTS_ALSO = 16395
    MOBIKE_SUPPORTED = 16396  # RFC 4555 §4.2.3
    ADDITIONAL_IP4_ADDRESS = 16397  # RFC 4555
    ADDITIONAL_IP6_ADDRESS = 16398  # RFC 4555
    NO_ADDITIONAL_ADDRESSES = 16399  # RFC 4555
    UPDATE_SA_ADDRESSES = 16400  # RFC 4555
    COOKIE2 = 16401  # RFC 4555
    NO_NATS_ALLOWED = 16402  # RFC 4555
    AUTH_LIFETIME = 16403  # RFC 4478 §3
    MULTIPLE_AUTH_SUPPORTED = 16404  # RFC 4739
    ANOTHER_AUTH_FOLLOWS = 16405  # RFC 4739
    REDIRECT_SUPPORTED = 16406  # RFC 5685 §10
    REDIRECT = 16407  # RFC 5685 §10
    REDIRECTED_FROM = 16408  # RFC 5685 §10
    TICKET_LT_OPAQUE = 16409  # RFC 5723 §7
    TICKET_REQUEST = 16410  # RFC 5723
    TICKET_ACK = 16411  # RFC 5723
    TICKET_NACK = 16412  # RFC 5723
    TICKET_OPAQUE = 16413  # RFC 5723
    LINK_ID = 16414  # RFC 5739
    USE_WESP_MODE = 16415  # RFC 5840
    ROHC_SUPPORTED = 16416  # RFC 5857
    EAP_ONLY_AUTHENTICATION = 16417  # RFC 5998 §4
    CHILDLESS_IKEV2_SUPPORTED = 16418  # RFC 6023 §4
    QUICK_CRASH_DETECTION = 16419  # RFC 6290
    IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420  # RFC 6311
    IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED = 16421  # RFC 6311
    IKEV2_MESSAGE_ID_SYNC = 16422  # RFC 6311
    IPSEC_REPLAY_COUNTER_SYNC = 16423  # RFC 6311
    SECURE_PASSWORD_METHODS = 16424  # RFC 6467
    PSK_PERSIST = 16425  # RFC 6631
    PSK_CONFIRM = 16426  # RFC 6631
    ERX_SUPPORTED = 16427  # RFC 6867
    IFOM_CAPABILITY = 16428  # 3GPP TS 24.303
    GROUP_SENDER = 16429  # G-IKEv2 (registered earlier as SENDER_REQUEST_ID)
    IKEV2_FRAGMENTATION_SUPPORTED = 16430  # RFC 7383 §2.3
    SIGNATURE_HASH_ALGORITHMS = 16431  # RFC 7427 §4
    CLONE_IKE_SA_SUPPORTED = 16432  # RFC 7791
    CLONE_IKE_SA = 16433  # RFC 7791
    PUZZLE = 16434  # RFC 8019 §8.1.1
    USE_PPK = 16435  # RFC 8784 §3
    PPK_IDENTITY = 16436  # RFC 8784 §3
    NO_PPK_AUTH = 16437  # RFC 8784 §3
    INTERMEDIATE_EXCHANGE_SUPPORTED = 16438  # RFC 9242 §3.1
    IP4_ALLOWED = 16439  # RFC 8983
    IP6_ALLOWED = 16440  # RFC 8983
    ADDITIONAL_KEY_EXCHANGE = 16441  # RFC 9370 §2.2.3
    USE_AGGFRAG = 16442  # RFC 9347 §6.1.4
    SUPPORTED_AUTH_METHODS = 16443  # RFC 9593
    SA_RESOURCE_INFO = 16444  # RFC 9611
    USE_PPK_INT = 16445  # RFC 9867 (draft-ietf-ipsecme-ikev2-qr-alt)
    PPK_IDENTITY_KEY = 16446  # RFC 9867


class IPCompTransformId(enum.IntEnum):
    """IKEv2 Notification IPCOMP Transform IDs, in IPCOMP_SUPPORTED data (RFC 7296 §3.10.1; IANA)."""

    IPCOMP_OUI = 1
    IPCOMP_DEFLATE = 2  # RFC 2394
    IPCOMP_LZS = 3  # RFC 2395
    IPCOMP_LZJH = 4  # RFC 3051


class PPKIDType(enum.IntEnum):
    """IKEv2 Post-quantum Preshared Key ID Types, in PPK_IDENTITY data (RFC 8784 §3, §7; IANA)."""

    PPK_ID_OPAQUE = 1
    PPK_ID_FIXED = 2


class GatewayIdentityType(enum.IntEnum):
    """IKEv2 Gateway Identity Types, in REDIRECT and REDIRECTED_FROM (RFC 5685 §10; IANA)."""

    IPV4_ADDRESS = 1
    IPV6_ADDRESS = 2
    FQDN = 3


# --------------------------------------------------------------------------- TS, CP


class TSType(enum.IntEnum):
    """IKEv2 Traffic Selector Types (RFC 7296 §3.13.1; IANA registry of that name)."""

    TS_IPV4_ADDR_RANGE = 7
    TS_IPV6_ADDR_RANGE = 8
    TS_FC_ADDR_RANGE = 9  # RFC 4595
    TS_SECLABEL = 10  # RFC 9478


class CfgType(enum.IntEnum):
    """IKEv2 Configuration Payload CFG Types (RFC 7296 §3.15; IANA registry of that name)."""

    CFG_REQUEST = 1
    CFG_REPLY = 2
    CFG_SET = 3
    CFG_ACK = 4


class CPAttributeType(enum.IntEnum):
    """IKEv2 Configuration Payload Attribute Types (RFC 7296 §3.15.1; IANA)."""

    INTERNAL_IP4_ADDRESS = 1
    INTERNAL_IP4_NETMASK = 2
    INTERNAL_IP4_DNS = 3
    INTERNAL_IP4_NBNS = 4
    INTERNAL_IP4_DHCP = 6
    APPLICATION_VERSION = 7
    INTERNAL_IP6_ADDRESS = 8
    INTERNAL_IP6_DNS = 10
    INTERNAL_IP6_DHCP = 12
    INTERNAL_IP4_SUBNET = 13
    SUPPORTED_ATTRIBUTES = 14
    INTERNAL_IP6_SUBNET = 15
    MIP6_HOME_PREFIX = 16  # RFC 5026
    INTERNAL_IP6_LINK = 17  # RFC 5739
    INTERNAL_IP6_PREFIX = 18  # RFC 5739
    HOME_AGENT_ADDRESS = 19  # RFC 5844
    P_CSCF_IP4_ADDRESS = 20  # RFC 7651 §3
    P_CSCF_IP6_ADDRESS = 21  # RFC 7651 §3
    FTT_KAT = 22  # 3GPP TS 24.302
    EXTERNAL_SOURCE_IP4_NAT_INFO = 23  # 3GPP TS 24.502
    TIMEOUT_PERIOD_FOR_LIVENESS_CHECK = 24  # 3GPP TS 24.302
    INTERNAL_DNS_DOMAIN = 25  # RFC 8598 §4
    INTERNAL_DNSSEC_TA = 26  # RFC 8598 §4
    ENCDNS_IP4 = 27  # RFC 9464
    ENCDNS_IP6 = 28  # RFC 9464
    ENCDNS_DIGEST_INFO = 29  # RFC 9464


# --------------------------------------------------------------------------- IKEv1 (ISAKMP) registries
#
# Reserved for the IKEv1 / ISAKMP registries (RFC 2407, RFC 2408, RFC 2409 Appendix A and
# the IANA "Internet Key Exchange (IKE) Attributes" and "ISAKMP" registries): filled in
# by the IKEv1 codec work.
#
# The IANA "Internet Security Association and Key Management Protocol (ISAKMP)
# Identifiers" and "Internet Key Exchange (IKE) Attributes" registries, as RFC 2407,
# RFC 2408, RFC 2409 Appendix A and their extensions filled them. Class names carry a
# ``V1`` prefix so that they never shadow the IKEv2 registries above.

__all__ += [
    "V1DOI",
    "V1_VENDOR_IDS",
    "V1AHTransformId",
    "V1AuthMethod",
    "V1AuthenticationAlgorithm",
    "V1CertEncoding",
    "V1ConfigAttributeType",
    "V1ConfigType",
    "V1ESPTransformId",
    "V1EncapsulationMode",
    "V1EncryptionAlgorithm",
    "V1ExchangeType",
    "V1GroupDescription",
    "V1GroupType",
    "V1HashAlgorithm",
    "V1IDType",
    "V1IKEAttributeType",
    "V1IPCompTransformId",
    "V1IPsecAttributeType",
    "V1IsakmpTransformId",
    "V1LifeType",
    "V1NotifyType",
    "V1PayloadType",
    "V1ProtocolId",
    "V1Situation",
    "v1_vendor_id_name",
]


class V1ExchangeType(enum.IntEnum):
    """ISAKMP Exchange Types (RFC 2408 §3.1, §4; RFC 2409 §5.5, §5.6; IANA)."""

    NONE = 0
    BASE = 1  # RFC 2408 §4.4
    IDENTITY_PROTECTION = 2  # Main Mode, RFC 2408 §4.5, RFC 2409 §5
    AUTHENTICATION_ONLY = 3  # RFC 2408 §4.6
    AGGRESSIVE = 4  # RFC 2408 §4.7, RFC 2409 §5
    INFORMATIONAL = 5  # RFC 2408 §4.8
    TRANSACTION = 6  # Mode-Config / XAUTH, draft-ietf-ipsec-isakmp-mode-cfg-05 §3.1
    QUICK_MODE = 32  # RFC 2409 §5.5
    NEW_GROUP_MODE = 33  # RFC 2409 §5.6


class V1PayloadType(enum.IntEnum):
    """ISAKMP Next Payload Types (RFC 2408 §3.1; IANA "ISAKMP Next Payload Types")."""

    NONE = 0
    SA = 1  # Security Association, RFC 2408 §3.4
    P = 2  # Proposal, §3.5
    T = 3  # Transform, §3.6
    KE = 4  # Key Exchange, §3.7
    ID = 5  # Identification, §3.8
    CERT = 6  # Certificate, §3.9
    CR = 7  # Certificate Request, §3.10
    HASH = 8  # Hash, §3.11
    SIG = 9  # Signature, §3.12
    NONCE = 10  # Nonce, §3.13
    N = 11  # Notification, §3.14
    D = 12  # Delete, §3.15
    VID = 13  # Vendor ID, §3.16
    ATTR = 14  # Attribute (Mode-Config), draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2
    SAK = 15  # SA KEK, RFC 3547 (GDOI)
    SAT = 16  # SA TEK, RFC 3547
    KD = 17  # Key Download, RFC 3547
    SEQ = 18  # Sequence Number, RFC 3547
    POP = 19  # Proof of Possession, RFC 3547
    NAT_D = 20  # NAT Discovery, RFC 3947 §3.2
    NAT_OA = 21  # NAT Original Address, RFC 3947 §5.2
    GAP = 22  # Group Associated Policy, RFC 6407
    NAT_D_DRAFT = 130  # NAT-D of draft-ietf-ipsec-nat-t-ike-01 to -03 (private-use number)
    NAT_OA_DRAFT = 131  # NAT-OA of draft-ietf-ipsec-nat-t-ike-01 to -03
    FRAGMENTATION = 132  # IKE fragmentation (Cisco; libreswan ISAKMP_NEXT_IKE_FRAGMENTATION)


class V1DOI(enum.IntEnum):
    """Domain of Interpretation (RFC 2408 §3.4, RFC 2407 §6, RFC 6407; IANA)."""

    ISAKMP = 0
    IPSEC = 1  # RFC 2407
    GDOI = 2  # RFC 6407


class V1Situation(enum.IntFlag):
    """IPsec DOI Situation bits (RFC 2407 §4.2)."""

    SIT_IDENTITY_ONLY = 0x01
    SIT_SECRECY = 0x02
    SIT_INTEGRITY = 0x04


class V1ProtocolId(enum.IntEnum):
    """IPsec Security Protocol Identifiers (RFC 2407 §4.4.1; IANA)."""

    RESERVED = 0
    PROTO_ISAKMP = 1
    PROTO_IPSEC_AH = 2
    PROTO_IPSEC_ESP = 3
    PROTO_IPCOMP = 4
    PROTO_GIGABEAM_RADIO = 5  # RFC 4705


class V1IsakmpTransformId(enum.IntEnum):
    """IPsec ISAKMP Transform Identifiers (RFC 2407 §4.4.2)."""

    RESERVED = 0
    KEY_IKE = 1


class V1AHTransformId(enum.IntEnum):
    """IPsec AH Transform Identifiers (RFC 2407 §4.4.3; IANA)."""

    AH_MD5 = 2
    AH_SHA = 3
    AH_DES = 4
    AH_SHA2_256 = 5  # RFC 4868
    AH_SHA2_384 = 6
    AH_SHA2_512 = 7
    AH_RIPEMD = 8  # RFC 2857
    AH_AES_XCBC_MAC = 9  # RFC 3566
    AH_RSA = 10  # RFC 4359
    AH_AES_128_GMAC = 11  # RFC 4543
    AH_AES_192_GMAC = 12
    AH_AES_256_GMAC = 13


class V1ESPTransformId(enum.IntEnum):
    """IPsec ESP Transform Identifiers (RFC 2407 §4.4.4; IANA)."""

    ESP_DES_IV64 = 1
    ESP_DES = 2
    ESP_3DES = 3
    ESP_RC5 = 4
    ESP_IDEA = 5
    ESP_CAST = 6
    ESP_BLOWFISH = 7
    ESP_3IDEA = 8
    ESP_DES_IV32 = 9
    ESP_RC4 = 10
    ESP_NULL = 11
    ESP_AES = 12  # AES-CBC, RFC 3602
    ESP_AES_CTR = 13  # RFC 3686
    ESP_AES_CCM_8 = 14  # RFC 4309
    ESP_AES_CCM_12 = 15
    ESP_AES_CCM_16 = 16
    ESP_AES_GCM_8 = 18  # RFC 4106
    ESP_AES_GCM_12 = 19
    ESP_AES_GCM_16 = 20
    ESP_SEED_CBC = 21  # RFC 4196
    ESP_CAMELLIA = 22  # RFC 4312
    ESP_NULL_AUTH_AES_GMAC = 23  # RFC 4543


class V1IPCompTransformId(enum.IntEnum):
    """IPCOMP Transform Identifiers (RFC 2407 §4.4.5; IANA)."""

    IPCOMP_OUI = 1
    IPCOMP_DEFLATE = 2  # RFC 2394
    IPCOMP_LZS = 3  # RFC 2395
    IPCOMP_LZJH = 4  # RFC 3051


class V1IKEAttributeType(enum.IntEnum):
    """IKE Attribute Classes, phase-1 transform attributes (RFC 2409 Appendix A; IANA).

    Classes 1-5, 11, 13-16 are basic (TV); 6-10 and 12 are variable (TLV), though a
    basic value may be sent as a variable one (Life Duration often is).
    """

    ENCRYPTION_ALGORITHM = 1
    HASH_ALGORITHM = 2
    AUTHENTICATION_METHOD = 3
    GROUP_DESCRIPTION = 4
    GROUP_TYPE = 5
    GROUP_PRIME_IRREDUCIBLE_POLYNOMIAL = 6
    GROUP_GENERATOR_ONE = 7
    GROUP_GENERATOR_TWO = 8
    GROUP_CURVE_A = 9
    GROUP_CURVE_B = 10
    LIFE_TYPE = 11
    LIFE_DURATION = 12
    PRF = 13
    KEY_LENGTH = 14
    FIELD_SIZE = 15
    GROUP_ORDER = 16


class V1EncryptionAlgorithm(enum.IntEnum):
    """IKE Encryption Algorithm, attribute class 1 (RFC 2409 Appendix A; IANA)."""

    DES_CBC = 1
    IDEA_CBC = 2
    BLOWFISH_CBC = 3
    RC5_R16_B64_CBC = 4
    TRIPLEDES_CBC = 5  # 3DES-CBC
    CAST_CBC = 6
    AES_CBC = 7  # RFC 3602
    CAMELLIA_CBC = 8  # RFC 4312


class V1HashAlgorithm(enum.IntEnum):
    """IKE Hash Algorithm, attribute class 2 (RFC 2409 Appendix A, RFC 4868; IANA)."""

    MD5 = 1
    SHA = 2
    TIGER = 3
    SHA2_256 = 4
    SHA2_384 = 5
    SHA2_512 = 6


class V1AuthMethod(enum.IntEnum):
    """IKE Authentication Method, attribute class 3 (RFC 2409 Appendix A, RFC 4754; IANA).

    The XAUTH (draft-beaulieu-ike-xauth-02 §8) and hybrid
    (draft-ietf-ipsec-isakmp-hybrid-auth-05) values are private-use numbers in
    wide use.
    """

    PRE_SHARED_KEY = 1
    DSS_SIGNATURES = 2
    RSA_SIGNATURES = 3
    ENCRYPTION_WITH_RSA = 4
    REVISED_ENCRYPTION_WITH_RSA = 5
    ECDSA_SHA256_P256 = 9  # RFC 4754
    ECDSA_SHA384_P384 = 10
    ECDSA_SHA512_P521 = 11
    HYBRID_INIT_RSA = 64221
    HYBRID_RESP_RSA = 64222
    HYBRID_INIT_DSS = 64223
    HYBRID_RESP_DSS = 64224
    XAUTH_INIT_PRE_SHARED = 65001
    XAUTH_RESP_PRE_SHARED = 65002
    XAUTH_INIT_DSS = 65003
    XAUTH_RESP_DSS = 65004
    XAUTH_INIT_RSA = 65005
    XAUTH_RESP_RSA = 65006
    XAUTH_INIT_RSA_ENCRYPTION = 65007
    XAUTH_RESP_RSA_ENCRYPTION = 65008
    XAUTH_INIT_RSA_REVISED_ENCRYPTION = 65009
    XAUTH_RESP_RSA_REVISED_ENCRYPTION = 65010


class V1GroupDescription(enum.IntEnum):
    """IKE Group Description, attribute class 4 (RFC 2409 §6, RFC 3526, RFC 5903, RFC 5114; IANA)."""

    MODP_768 = 1
    MODP_1024 = 2
    EC2N_155 = 3
    EC2N_185 = 4
    MODP_1536 = 5
    MODP_2048 = 14
    MODP_3072 = 15
    MODP_4096 = 16
    MODP_6144 = 17
    MODP_8192 = 18
    ECP_256 = 19
    ECP_384 = 20
    ECP_521 = 21
    MODP_1024_160 = 22
    MODP_2048_224 = 23
    MODP_2048_256 = 24
    ECP_192 = 25
    ECP_224 = 26
    BRAINPOOLP224R1 = 27
    BRAINPOOLP256R1 = 28
    BRAINPOOLP384R1 = 29
    BRAINPOOLP512R1 = 30


class V1GroupType(enum.IntEnum):
    """IKE Group Type, attribute class 5 (RFC 2409 Appendix A)."""

    MODP = 1
    ECP = 2
    EC2N = 3


class V1LifeType(enum.IntEnum):
    """IKE Life Type, attribute class 11 (RFC 2409 Appendix A) and IPsec SA Life Type (RFC 2407 §4.5)."""

    SECONDS = 1
    KILOBYTES = 2


class V1IPsecAttributeType(enum.IntEnum):
    """IPsec Security Association Attributes, phase-2 transforms (RFC 2407 §4.5; IANA)."""

    SA_LIFE_TYPE = 1
    SA_LIFE_DURATION = 2
    GROUP_DESCRIPTION = 3
    ENCAPSULATION_MODE = 4
    AUTHENTICATION_ALGORITHM = 5
    KEY_LENGTH = 6
    KEY_ROUNDS = 7
    COMPRESS_DICTIONARY_SIZE = 8
    COMPRESS_PRIVATE_ALGORITHM = 9
    ECN_TUNNEL = 10  # RFC 3168
    EXTENDED_SEQUENCE_NUMBER = 11  # RFC 4304
    AUTHENTICATION_KEY_LENGTH = 12  # RFC 4359
    SIGNATURE_ENCODING_ALGORITHM = 13  # RFC 4359
    ADDRESS_PRESERVATION = 14  # RFC 6407
    SA_DIRECTION = 15  # RFC 6407


class V1EncapsulationMode(enum.IntEnum):
    """IPsec Encapsulation Mode (RFC 2407 §4.5, RFC 3947 §5.1; drafts' private numbers)."""

    TUNNEL = 1
    TRANSPORT = 2
    UDP_ENCAPSULATED_TUNNEL = 3  # RFC 3947
    UDP_ENCAPSULATED_TRANSPORT = 4  # RFC 3947
    UDP_ENCAPSULATED_TUNNEL_DRAFT = 61443  # draft-ietf-ipsec-nat-t-ike-00 to -08
    UDP_ENCAPSULATED_TRANSPORT_DRAFT = 61444


class V1AuthenticationAlgorithm(enum.IntEnum):
    """IPsec Authentication Algorithm attribute (RFC 2407 §4.5; IANA)."""

    HMAC_MD5 = 1
    HMAC_SHA = 2
    DES_MAC = 3
    KPDK = 4
    HMAC_SHA2_256 = 5  # RFC 4868
    HMAC_SHA2_384 = 6
    HMAC_SHA2_512 = 7
    HMAC_RIPEMD = 8  # RFC 2857
    AES_XCBC_MAC = 9  # RFC 3566
    SIG_RSA = 10  # RFC 4359
    AES_128_GMAC = 11  # RFC 4543
    AES_192_GMAC = 12
    AES_256_GMAC = 13


class V1IDType(enum.IntEnum):
    """IPsec Identification Type Values (RFC 2407 §4.6.2.1, RFC 3554; IANA)."""

    ID_IPV4_ADDR = 1
    ID_FQDN = 2
    ID_USER_FQDN = 3
    ID_IPV4_ADDR_SUBNET = 4
    ID_IPV6_ADDR = 5
    ID_IPV6_ADDR_SUBNET = 6
    ID_IPV4_ADDR_RANGE = 7
    ID_IPV6_ADDR_RANGE = 8
    ID_DER_ASN1_DN = 9
    ID_DER_ASN1_GN = 10
    ID_KEY_ID = 11
    ID_LIST = 12  # RFC 3554


class V1CertEncoding(enum.IntEnum):
    """Certificate Type in CERT and CR payloads (RFC 2408 §3.9; IANA)."""

    NONE = 0
    PKCS7_WRAPPED_X509_CERTIFICATE = 1
    PGP_CERTIFICATE = 2
    DNS_SIGNED_KEY = 3
    X509_CERTIFICATE_SIGNATURE = 4
    X509_CERTIFICATE_KEY_EXCHANGE = 5
    KERBEROS_TOKENS = 6
    CERTIFICATE_REVOCATION_LIST = 7
    AUTHORITY_REVOCATION_LIST = 8
    SPKI_CERTIFICATE = 9
    X509_CERTIFICATE_ATTRIBUTE = 10


class V1NotifyType(enum.IntEnum):
    """Notify Message Types (RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706 §5.3; IANA)."""

    INVALID_PAYLOAD_TYPE = 1
    DOI_NOT_SUPPORTED = 2
    SITUATION_NOT_SUPPORTED = 3
    INVALID_COOKIE = 4
    INVALID_MAJOR_VERSION = 5
    INVALID_MINOR_VERSION = 6
    INVALID_EXCHANGE_TYPE = 7
    INVALID_FLAGS = 8
    INVALID_MESSAGE_ID = 9
    INVALID_PROTOCOL_ID = 10
    INVALID_SPI = 11
    INVALID_TRANSFORM_ID = 12
    ATTRIBUTES_NOT_SUPPORTED = 13
    NO_PROPOSAL_CHOSEN = 14
    BAD_PROPOSAL_SYNTAX = 15
    PAYLOAD_MALFORMED = 16
    INVALID_KEY_INFORMATION = 17
    INVALID_ID_INFORMATION = 18
    INVALID_CERT_ENCODING = 19
    INVALID_CERTIFICATE = 20
    CERT_TYPE_UNSUPPORTED = 21
    INVALID_CERT_AUTHORITY = 22
    INVALID_HASH_INFORMATION = 23
    AUTHENTICATION_FAILED = 24
    INVALID_SIGNATURE = 25
    ADDRESS_NOTIFICATION = 26
    NOTIFY_SA_LIFETIME = 27
    CERTIFICATE_UNAVAILABLE = 28
    UNSUPPORTED_EXCHANGE_TYPE = 29
    UNEQUAL_PAYLOAD_LENGTHS = 30
    CONNECTED = 16384
    RESPONDER_LIFETIME = 24576  # RFC 2407 §4.6.3.1
    REPLAY_STATUS = 24577  # RFC 2407 §4.6.3.2
    INITIAL_CONTACT = 24578  # RFC 2407 §4.6.3.3
    R_U_THERE = 36136  # RFC 3706 §5.3 (a private-use number)
    R_U_THERE_ACK = 36137


class V1ConfigType(enum.IntEnum):
    """Attribute payload message types (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2)."""

    ISAKMP_CFG_REQUEST = 1
    ISAKMP_CFG_REPLY = 2
    ISAKMP_CFG_SET = 3
    ISAKMP_CFG_ACK = 4


class V1ConfigAttributeType(enum.IntEnum):
    """Mode-Config attributes (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.3), XAUTH attributes
    (draft-beaulieu-ike-xauth-02 §6) and Cisco Unity attributes (private use)."""

    INTERNAL_IP4_ADDRESS = 1
    INTERNAL_IP4_NETMASK = 2
    INTERNAL_IP4_DNS = 3
    INTERNAL_IP4_NBNS = 4
    INTERNAL_ADDRESS_EXPIRY = 5
    INTERNAL_IP4_DHCP = 6
    APPLICATION_VERSION = 7
    INTERNAL_IP6_ADDRESS = 8
    INTERNAL_IP6_NETMASK = 9
    INTERNAL_IP6_DNS = 10
    INTERNAL_IP6_NBNS = 11
    INTERNAL_IP6_DHCP = 12
    INTERNAL_IP4_SUBNET = 13
    SUPPORTED_ATTRIBUTES = 14
    INTERNAL_IP6_SUBNET = 15
    XAUTH_TYPE = 16520
    XAUTH_USER_NAME = 16521
    XAUTH_USER_PASSWORD = 16522
    XAUTH_PASSCODE = 16523
    XAUTH_MESSAGE = 16524
    XAUTH_CHALLENGE = 16525
    XAUTH_DOMAIN = 16526
    XAUTH_STATUS = 16527
    XAUTH_NEXT_PIN = 16528
    XAUTH_ANSWER = 16529
    UNITY_BANNER = 28672
    UNITY_SAVE_PASSWD = 28673
    UNITY_DEF_DOMAIN = 28674
    UNITY_SPLIT_DOMAIN = 28675
    UNITY_SPLIT_INCLUDE = 28676
    UNITY_NATT_PORT = 28677
    UNITY_LOCAL_LAN = 28678
    UNITY_PFS = 28679
    UNITY_FW_TYPE = 28680
    UNITY_BACKUP_SERVERS = 28681
    UNITY_DDNS_HOSTNAME = 28682


#: Well-known Vendor ID payload contents (RFC 2408 §3.16) → name. Most are the MD5 hash
#: of the name's text (noted beside each); a few are matched as a prefix: XAUTH's 8 octets,
#: CISCO-UNITY's 14 (a major and minor version octet follow), FRAGMENTATION's 16 (a
#: 4-octet capability word follows). Use :func:`v1_vendor_id_name` to look one up.
V1_VENDOR_IDS: Final[dict[bytes, str]] = {
    bytes.fromhex("4a131c81070358455c5728f20e95452f"): "RFC 3947",  # MD5("RFC 3947"), RFC 3947 §3.1
    bytes.fromhex("afcad71368a1f1c96b8696fc77570100"): "RFC 3706 DPD",  # RFC 3706 §5.1
    bytes.fromhex("09002689dfd6b712"): "XAUTH",  # MD5("draft-ietf-ipsra-isakmp-xauth-06.txt")[:8]
    bytes.fromhex("12f5f28c457168a9702d9fe274cc"): "CISCO-UNITY",  # MD5("CISCO-UNITY")[:14]
    bytes.fromhex("4048b7d56ebce88525e7de7f00d6c2d3"): "FRAGMENTATION",  # MD5("FRAGMENTATION")
    bytes.fromhex("4485152d18b6bbcd0be8a8469579ddcc"): "draft-ietf-ipsec-nat-t-ike-00",
    bytes.fromhex("16f6ca16e4a4066d83821a0f0aeaa862"): "draft-ietf-ipsec-nat-t-ike-01",
    bytes.fromhex("cd60464335df21f87cfdb2fc68b6a448"): "draft-ietf-ipsec-nat-t-ike-02",
    # MD5("draft-ietf-ipsec-nat-t-ike-02\n"): the trailing newline is in the draft's text.
    bytes.fromhex("90cb80913ebb696e086381b5ec427b1f"): "draft-ietf-ipsec-nat-t-ike-02\\n",
    bytes.fromhex("7d9419a65310ca6f2c179d9215529d56"): "draft-ietf-ipsec-nat-t-ike-03",
    bytes.fromhex("9909b64eed937c6573de52ace952fa6b"): "draft-ietf-ipsec-nat-t-ike-04",
    bytes.fromhex("80d0bb3def54565ee84645d4c85ce3ee"): "draft-ietf-ipsec-nat-t-ike-05",
    bytes.fromhex("4d1e0e136deafa34c4f3ea9f02ec7285"): "draft-ietf-ipsec-nat-t-ike-06",
    bytes.fromhex("439b59f8ba676c4c7737ae22eab8f582"): "draft-ietf-ipsec-nat-t-ike-07",
    bytes.fromhex("8f8d83826d246b6fc7a8a6a428c11de8"): "draft-ietf-ipsec-nat-t-ike-08",
    bytes.fromhex("42ea5b6f898d9773a575df26e7dd19e1"): "draft-ietf-ipsec-nat-t-ike-09",
    bytes.fromhex("4df37928e9fc4fd1b3262170d515c662"): "draft-ietf-ipsec-nat-t-ike",
    bytes.fromhex("c40fee00d5d39ddb1fc762e09b7cfea7"): "Testing NAT-T RFC",
    bytes.fromhex("27bab5dc01ea0760ea4e3190ac27c0d0"): "draft-stenberg-ipsec-nat-traversal-01",
    bytes.fromhex("6105c422e76847e43f9684801292aecd"): "draft-stenberg-ipsec-nat-traversal-02",
    bytes.fromhex("6a7434c19d7e36348090a02334c9c805"): "draft-huttunen-ipsec-esp-in-udp-00.txt",
    bytes.fromhex("1e2b516905991c7d7c96fcbfb587e461"): "MS NT5 ISAKMPOAKLEY",
    bytes.fromhex("26244d38eddb61b3172a36e3d0cfb819"): "Vid-Initial-Contact",  # Microsoft
    bytes.fromhex("fb1de3cdf341b7ea16b7e5be0855f120"): "MS-Negotiation Discovery Capable",
    bytes.fromhex("e3a5966a76379fe707228231e5ce8652"): "IKE CGA version 1",  # Microsoft
    bytes.fromhex("214ca4faffa7f32d6748e5303395ae83"): "MS-MamieExists",
    bytes.fromhex("882fe56d6fd20dbc2251613b2ebe5beb"): "strongSwan",
    bytes.fromhex("7003cbc1097dbe9c2600ba6983bc8b35"): "KAME/racoon",
    bytes.fromhex("20a3622c1cea7ce37bee3ca484425276"): "IPSec-Tools",
}

_V1_VID_LENGTHS: Final = tuple(sorted({len(k) for k in V1_VENDOR_IDS}, reverse=True))


def v1_vendor_id_name(data: bytes) -> str | None:
    """The name of a well-known Vendor ID (RFC 2408 §3.16), or None.

    An exact match wins; otherwise the longest known Vendor ID that ``data`` starts
    with (XAUTH, CISCO-UNITY and FRAGMENTATION are sent with version or capability
    octets after the registered prefix).
    """
    data = bytes(data)
    name = V1_VENDOR_IDS.get(data)
    if name is not None:
        return name
    for length in _V1_VID_LENGTHS:
        if length < len(data):
            name = V1_VENDOR_IDS.get(data[:length])
            if name is not None:
                return name
    return None
