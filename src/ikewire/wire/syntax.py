"""strongSwan's proposal syntax, both ways: ``"aes256gcm16-prfsha384-x25519-ke1_mlkem768"``.

The syntax of swanctl.conf's ``proposals``, ``esp_proposals`` and ``ah_proposals``
(strongSwan docs, "Algorithm Proposals (Cipher Suites)"; swanctl.opt): algorithm
keywords joined by dashes; several keywords of one kind form an offer, the first
preferred (RFC 7296 §3.3); keywords of different kinds may come in any order. RFC 9370
additional key exchanges are written ``ke1_`` … ``ke7_`` before a key exchange keyword
(``ke1_none`` makes one optional, RFC 9370 §2.2.1).

:data:`KEYWORDS` is strongSwan's keyword list (``proposal_keywords_static.txt``: keyword,
transform type, algorithm, key size) with the IANA numbers of RFC 7296 §3.3.2 and its
successors. A few keywords name strongSwan's private-use numbers (RFC 7296 §3.3.2:
1024-65535): ``sha256_96``, ``camelliaxcbc``, ``prfcamelliaxcbc``, ``serpent*``,
``twofish*`` and ``modpnull``; only another strongSwan understands them.

What strongSwan does to a proposal read from a string, and so what :func:`parse_proposal`
does (``proposal.c``, ``check_proposal()``):

* IKE: with no PRF keyword, each integrity keyword adds the PRF of the same algorithm
  (``sha256`` → ``prfsha256``); a PRF is then mandatory (so an AEAD-only IKE proposal needs
  one, e.g. ``prfsha384``). ``none`` is dropped; a key exchange method is mandatory.
* ESP and AH: PRF keywords are dropped; a key exchange keyword asks for PFS (a KE
  transform, RFC 7296 §1.3.1); with neither ``esn`` nor ``noesn``, ``noesn`` is added.
* IKE and ESP: an encryption algorithm is mandatory; AEAD and classic ciphers may not share
  a proposal (RFC 7296 §3.3); with AEAD ciphers only, integrity keywords are dropped
  (RFC 5282 §8); IKE with a classic cipher needs an integrity algorithm.
* AH: ``aes128gmac``/``aes192gmac``/``aes256gmac`` become the integrity algorithms
  AUTH_AES_*_GMAC (RFC 4543 §3.4); other encryption keywords are dropped; an integrity
  algorithm is mandatory.

``strict=True`` refuses, rather than drops, what strongSwan would drop, and also an
``esn``/``noesn`` keyword in an IKE proposal (RFC 7296 §3.3.3 lists ESN for AH and ESP
only; strongSwan keeps it).

Transforms come out in the order strongSwan puts them on the wire (ENCR, INTEG, PRF, KE,
ADDKE1-7, ESN; each kind in preference order), with a Key Length attribute exactly for
encryption keywords that carry a key size (RFC 7296 §3.3.5), so a parsed proposal equals
the one a strongSwan peer sends for the same string. Duplicates are kept, as strongSwan
keeps them. :func:`format_transforms` writes one canonical keyword per transform, in the
order of strongSwan's own proposal display (ENCR, INTEG, PRF, KE, ESN, ADDKE1-7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Final, NamedTuple

from ..constants import (
    ESN,
    EncrId,
    IntegId,
    KeyExchangeMethod,
    PrfId,
    ProtocolId,
    TransformAttributeType,
    TransformType,
    to_enum,
)
from ..errors import ConfigError
from .models import Proposal, Transform, TransformAttribute

__all__ = [
    "AEAD_ENCR_IDS",
    "AUTH_CAMELLIA_XCBC_96",
    "AUTH_HMAC_SHA2_256_96",
    "CANONICAL_KEYWORDS",
    "ENCR_SERPENT_CBC",
    "ENCR_TWOFISH_CBC",
    "INTEG_PRF",
    "KEYWORDS",
    "MODP_NULL",
    "PRF_CAMELLIA128_XCBC",
    "Keyword",
    "format_transforms",
    "lookup_keyword",
    "parse_proposal",
    "parse_proposals",
    "parse_transforms",
    "transform_keyword",
]

# strongSwan's private-use transform IDs (RFC 7296 §3.3.2 reserves 1024-65535 for private
# use); the numbers are strongSwan's (crypter.h, signer.h, prf.h, key_exchange.h).
ENCR_SERPENT_CBC: Final = 1026
ENCR_TWOFISH_CBC: Final = 1027
AUTH_HMAC_SHA2_256_96: Final = 1026
AUTH_CAMELLIA_XCBC_96: Final = 1030
PRF_CAMELLIA128_XCBC: Final = 1028
MODP_NULL: Final = 1024

_ENCR = TransformType.ENCR
_PRF = TransformType.PRF
_INTEG = TransformType.INTEG
_KE = TransformType.KE
_ESN = TransformType.ESN


class Keyword(NamedTuple):
    """What one keyword stands for: a transform type, its ID and a key size in bits.

    ``key_length`` is the Key Length attribute (RFC 7296 §3.3.5), None for algorithms
    without one.
    """

    type: TransformType
    id: int
    key_length: int | None = None


def _build() -> tuple[dict[str, Keyword], dict[tuple[int, int, int | None], str]]:
    """strongSwan's keyword table; the first keyword added for a transform is canonical."""
    words: dict[str, Keyword] = {}
    canonical: dict[tuple[int, int, int | None], str] = {}

    def add(name: str, type_: TransformType, id_: int, bits: int | None = None) -> None:
        words[name] = Keyword(type_, id_, bits)
        canonical.setdefault((int(type_), int(id_), bits), name)

    # Encryption (Transform Type 1).
    add("null", _ENCR, EncrId.ENCR_NULL)
    add("des", _ENCR, EncrId.ENCR_DES)
    add("3des", _ENCR, EncrId.ENCR_3DES)
    icvs = ((8, 64), (12, 96), (16, 128))
    for bits in (128, 192, 256):
        add(f"aes{bits}", _ENCR, EncrId.ENCR_AES_CBC, bits)
        add(f"aes{bits}ctr", _ENCR, EncrId.ENCR_AES_CTR, bits)
        for mode, base in (("ccm", EncrId.ENCR_AES_CCM_8), ("gcm", EncrId.ENCR_AES_GCM_8)):
            for offset, (octets, icv_bits) in enumerate(icvs):
                add(f"aes{bits}{mode}{octets}", _ENCR, base + offset, bits)
                add(f"aes{bits}{mode}{icv_bits}", _ENCR, base + offset, bits)
            add(f"aes{bits}{mode}", _ENCR, base + 2, bits)  # the 16-octet ICV
        add(f"aes{bits}gmac", _ENCR, EncrId.ENCR_NULL_AUTH_AES_GMAC, bits)
    add("aes", _ENCR, EncrId.ENCR_AES_CBC, 128)
    add("chacha20poly1305", _ENCR, EncrId.ENCR_CHACHA20_POLY1305)
    # RFC 7634 sends no Key Length; "compat" talks to strongSwan releases that sent 256.
    add("chacha20poly1305compat", _ENCR, EncrId.ENCR_CHACHA20_POLY1305, 256)
    for bits in (128, 192, 256):
        add(f"blowfish{bits}", _ENCR, EncrId.ENCR_BLOWFISH, bits)
    add("blowfish", _ENCR, EncrId.ENCR_BLOWFISH, 128)
    for bits in (128, 192, 256):
        add(f"camellia{bits}", _ENCR, EncrId.ENCR_CAMELLIA_CBC, bits)
        add(f"camellia{bits}ctr", _ENCR, EncrId.ENCR_CAMELLIA_CTR, bits)
        for offset, (octets, icv_bits) in enumerate(icvs):
            add(f"camellia{bits}ccm{octets}", _ENCR, EncrId.ENCR_CAMELLIA_CCM_8 + offset, bits)
            add(f"camellia{bits}ccm{icv_bits}", _ENCR, EncrId.ENCR_CAMELLIA_CCM_8 + offset, bits)
    add("camellia", _ENCR, EncrId.ENCR_CAMELLIA_CBC, 128)
    add("cast128", _ENCR, EncrId.ENCR_CAST, 128)
    for family, id_ in (("serpent", ENCR_SERPENT_CBC), ("twofish", ENCR_TWOFISH_CBC)):
        for bits in (128, 192, 256):
            add(f"{family}{bits}", _ENCR, id_, bits)
        add(family, _ENCR, id_, 128)

    # Integrity (Transform Type 3).
    add("sha1", _INTEG, IntegId.AUTH_HMAC_SHA1_96)
    add("sha", _INTEG, IntegId.AUTH_HMAC_SHA1_96)
    add("sha1_160", _INTEG, IntegId.AUTH_HMAC_SHA1_160)
    add("sha256", _INTEG, IntegId.AUTH_HMAC_SHA2_256_128)
    add("sha2_256", _INTEG, IntegId.AUTH_HMAC_SHA2_256_128)
    add("sha256_96", _INTEG, AUTH_HMAC_SHA2_256_96)
    add("sha2_256_96", _INTEG, AUTH_HMAC_SHA2_256_96)
    add("sha384", _INTEG, IntegId.AUTH_HMAC_SHA2_384_192)
    add("sha2_384", _INTEG, IntegId.AUTH_HMAC_SHA2_384_192)
    add("sha512", _INTEG, IntegId.AUTH_HMAC_SHA2_512_256)
    add("sha2_512", _INTEG, IntegId.AUTH_HMAC_SHA2_512_256)
    add("md5", _INTEG, IntegId.AUTH_HMAC_MD5_96)
    add("md5_128", _INTEG, IntegId.AUTH_HMAC_MD5_128)
    add("aesxcbc", _INTEG, IntegId.AUTH_AES_XCBC_96)
    add("camelliaxcbc", _INTEG, AUTH_CAMELLIA_XCBC_96)
    add("aescmac", _INTEG, IntegId.AUTH_AES_CMAC_96)

    # Pseudorandom functions (Transform Type 2).
    add("prfsha1", _PRF, PrfId.PRF_HMAC_SHA1)
    add("prfsha256", _PRF, PrfId.PRF_HMAC_SHA2_256)
    add("prfsha384", _PRF, PrfId.PRF_HMAC_SHA2_384)
    add("prfsha512", _PRF, PrfId.PRF_HMAC_SHA2_512)
    add("prfmd5", _PRF, PrfId.PRF_HMAC_MD5)
    add("prfaesxcbc", _PRF, PrfId.PRF_AES128_XCBC)
    add("prfcamelliaxcbc", _PRF, PRF_CAMELLIA128_XCBC)
    add("prfaescmac", _PRF, PrfId.PRF_AES128_CMAC)

    # Key exchange methods (Transform Type 4); the canonical names are strongSwan's
    # short names (key_exchange_method_names_short), e.g. "curve25519", not "x25519".
    ke = KeyExchangeMethod
    for name, method in (
        ("none", ke.NONE),
        ("modpnone", ke.NONE),
        ("modpnull", MODP_NULL),
        ("modp768", ke.MODP_768),
        ("modp1024", ke.MODP_1024),
        ("modp1536", ke.MODP_1536),
        ("modp2048", ke.MODP_2048),
        ("modp3072", ke.MODP_3072),
        ("modp4096", ke.MODP_4096),
        ("modp6144", ke.MODP_6144),
        ("modp8192", ke.MODP_8192),
        ("ecp192", ke.ECP_192),
        ("ecp224", ke.ECP_224),
        ("ecp256", ke.ECP_256),
        ("ecp384", ke.ECP_384),
        ("ecp521", ke.ECP_521),
        ("modp1024s160", ke.MODP_1024_160),
        ("modp2048s224", ke.MODP_2048_224),
        ("modp2048s256", ke.MODP_2048_256),
        ("ecp224bp", ke.BRAINPOOLP224R1),
        ("ecp256bp", ke.BRAINPOOLP256R1),
        ("ecp384bp", ke.BRAINPOOLP384R1),
        ("ecp512bp", ke.BRAINPOOLP512R1),
        ("curve25519", ke.CURVE25519),
        ("x25519", ke.CURVE25519),
        ("curve448", ke.CURVE448),
        ("x448", ke.CURVE448),
        ("gost256", ke.GOST3410_2012_256),
        ("gost512", ke.GOST3410_2012_512),
        ("mlkem512", ke.ML_KEM_512),
        ("mlkem768", ke.ML_KEM_768),
        ("mlkem1024", ke.ML_KEM_1024),
    ):
        add(name, _KE, method)

    # Extended Sequence Numbers (Transform Type 5).
    add("noesn", _ESN, ESN.NO_ESN)
    add("esn", _ESN, ESN.ESN)

    # AH turns the GMAC keywords into integrity algorithms (RFC 4543 §3.4), so those
    # integrity transforms print as the same keywords.
    for bits, integ in (
        (128, IntegId.AUTH_AES_128_GMAC),
        (192, IntegId.AUTH_AES_192_GMAC),
        (256, IntegId.AUTH_AES_256_GMAC),
    ):
        canonical[(int(_INTEG), int(integ), None)] = f"aes{bits}gmac"
    return words, canonical


_WORDS, _CANONICAL = _build()

#: Every keyword strongSwan knows (proposal_keywords_static.txt), without ``keN_`` forms.
KEYWORDS: Mapping[str, Keyword] = MappingProxyType(_WORDS)

#: The keyword :func:`transform_keyword` writes for (type, id, key length).
CANONICAL_KEYWORDS: Mapping[tuple[int, int, int | None], str] = MappingProxyType(_CANONICAL)

#: Combined-mode ciphers (strongSwan's ``encryption_algorithm_is_aead``; RFC 5282,
#: RFC 4543, RFC 5529, RFC 7634).
AEAD_ENCR_IDS: frozenset[int] = frozenset(
    {
        EncrId.ENCR_AES_CCM_8,
        EncrId.ENCR_AES_CCM_12,
        EncrId.ENCR_AES_CCM_16,
        EncrId.ENCR_AES_GCM_8,
        EncrId.ENCR_AES_GCM_12,
        EncrId.ENCR_AES_GCM_16,
        EncrId.ENCR_NULL_AUTH_AES_GMAC,
        EncrId.ENCR_CAMELLIA_CCM_8,
        EncrId.ENCR_CAMELLIA_CCM_12,
        EncrId.ENCR_CAMELLIA_CCM_16,
        EncrId.ENCR_CHACHA20_POLY1305,
    }
)

#: The PRF strongSwan adds to an IKE proposal for each integrity algorithm when the
#: proposal names no PRF (``integ_prf_map`` in proposal.c).
INTEG_PRF: Mapping[int, int] = MappingProxyType(
    {
        IntegId.AUTH_HMAC_SHA1_96: PrfId.PRF_HMAC_SHA1,
        IntegId.AUTH_HMAC_SHA1_160: PrfId.PRF_HMAC_SHA1,
        IntegId.AUTH_HMAC_SHA2_256_128: PrfId.PRF_HMAC_SHA2_256,
        IntegId.AUTH_HMAC_SHA2_384_192: PrfId.PRF_HMAC_SHA2_384,
        IntegId.AUTH_HMAC_SHA2_512_256: PrfId.PRF_HMAC_SHA2_512,
        IntegId.AUTH_HMAC_MD5_96: PrfId.PRF_HMAC_MD5,
        IntegId.AUTH_HMAC_MD5_128: PrfId.PRF_HMAC_MD5,
        IntegId.AUTH_AES_XCBC_96: PrfId.PRF_AES128_XCBC,
        AUTH_CAMELLIA_XCBC_96: PRF_CAMELLIA128_XCBC,
        IntegId.AUTH_AES_CMAC_96: PrfId.PRF_AES128_CMAC,
    }
)

_GMAC_INTEG: Final[Mapping[int | None, IntegId]] = MappingProxyType(
    {
        128: IntegId.AUTH_AES_128_GMAC,
        192: IntegId.AUTH_AES_192_GMAC,
        256: IntegId.AUTH_AES_256_GMAC,
    }
)

_ADDKE_FIRST: Final = int(TransformType.ADDKE1)
_ADDKE_LAST: Final = int(TransformType.ADDKE7)

# Position of each transform type: on the wire (proposal_substructure.c) and in
# strongSwan's display (proposal.c, which lists INTEG before PRF and ESN before ADDKE*).
_WIRE_ORDER: Final[Mapping[int, int]] = MappingProxyType(
    {1: 0, 3: 1, 2: 2, 4: 3, **{t: t - 2 for t in range(6, 13)}, 5: 11}
)
_DISPLAY_ORDER: Final[Mapping[int, int]] = MappingProxyType(
    {1: 0, 3: 1, 2: 2, 4: 3, 5: 4, **{t: t - 1 for t in range(6, 13)}}
)

_ID_ENUMS: Final[Mapping[int, type[EncrId | PrfId | IntegId | KeyExchangeMethod | ESN]]] = (
    MappingProxyType(
        {
            1: EncrId,
            2: PrfId,
            3: IntegId,
            4: KeyExchangeMethod,
            5: ESN,
            **dict.fromkeys(range(6, 13), KeyExchangeMethod),
        }
    )
)


def lookup_keyword(token: str) -> Keyword:
    """The transform one keyword stands for, ``keN_`` prefixes included (RFC 9370 §2.2.1).

    Keywords are case-sensitive, as strongSwan's are; the ``ke`` of the prefix is not.
    ConfigError names an unknown keyword.
    """
    word = _WORDS.get(token)
    if word is not None:
        return word
    if len(token) > 4 and token[:2].lower() == "ke" and token[2] in "1234567" and token[3] == "_":
        base = _WORDS.get(token[4:])
        if base is not None and base.type == _KE:
            addke = TransformType(_ADDKE_FIRST + int(token[2]) - 1)
            return Keyword(addke, base.id, None)
    if token == "default":
        raise ConfigError(
            "the 'default' proposal depends on the algorithms strongSwan has loaded; "
            "list the algorithm keywords instead"
        )
    raise ConfigError(f"unknown algorithm keyword {token!r}")


class _Entry(NamedTuple):
    type: int
    id: int
    key_length: int | None
    token: str


def _protocol(protocol: ProtocolId | int) -> ProtocolId:
    if protocol in (ProtocolId.IKE, ProtocolId.AH, ProtocolId.ESP):
        return ProtocolId(protocol)
    raise ConfigError(f"proposals are for IKE, AH or ESP, not protocol {protocol!r}")


def parse_transforms(
    text: str, protocol: ProtocolId | int = ProtocolId.IKE, *, strict: bool = False
) -> tuple[Transform, ...]:
    """The transforms strongSwan proposes for ``text`` as an IKE, ESP or AH proposal.

    See the module docstring for the rules (strongSwan's ``proposal_create_from_string``);
    ConfigError names the keyword or the rule a proposal breaks.
    """
    proto = _protocol(protocol)
    kind = proto.name
    if not text.strip(" "):
        raise ConfigError(f"empty {kind} proposal")
    entries: list[_Entry] = []
    for raw in text.split("-"):
        token = raw.strip(" ")
        try:
            word = lookup_keyword(token)
        except ConfigError as exc:
            raise ConfigError(f"{exc} in {kind} proposal {text!r}") from None
        entries.append(_Entry(int(word.type), int(word.id), word.key_length, token))

    dropped: list[str] = []

    def of(type_: int) -> list[_Entry]:
        return [e for e in entries if e.type == type_]

    def drop(unwanted: Callable[[_Entry], bool], why: str) -> None:
        nonlocal entries
        dropped.extend(f"{e.token!r} ({why})" for e in entries if unwanted(e))
        entries = [e for e in entries if not unwanted(e)]

    if proto == ProtocolId.IKE:
        if not of(_PRF):
            # RFC 7296 §3.3.2: IKE needs a PRF; strongSwan takes the integrity algorithms'.
            for integ in of(_INTEG):
                prf = INTEG_PRF.get(integ.id)
                if prf is not None:
                    entries.append(_Entry(int(_PRF), int(prf), None, integ.token))
        if not of(_PRF):
            raise ConfigError(
                f"IKE proposal {text!r} needs a PRF (RFC 7296 §3.3.3): add one such as "
                "'prfsha256', or an integrity algorithm it can be taken from"
            )
        drop(
            lambda e: e.type == _KE and e.id == KeyExchangeMethod.NONE,
            "IKE always runs a key exchange",
        )
        if not of(_KE):
            raise ConfigError(
                f"IKE proposal {text!r} needs a key exchange method (RFC 7296 §3.3.3)"
            )
        if strict:
            for esn in of(_ESN):
                dropped.append(f"{esn.token!r} (ESN is for AH and ESP, RFC 7296 §3.3.3)")
    else:
        drop(lambda e: e.type == _PRF, f"{kind} negotiates no PRF")

    if proto in (ProtocolId.IKE, ProtocolId.ESP):
        ciphers = of(_ENCR)
        if not ciphers:
            raise ConfigError(f"{kind} proposal {text!r} needs an encryption algorithm")
        aead = [c.token for c in ciphers if c.id in AEAD_ENCR_IDS]
        classic = [c.token for c in ciphers if c.id not in AEAD_ENCR_IDS]
        if aead and classic:
            raise ConfigError(
                f"{kind} proposal {text!r} mixes combined-mode (AEAD) {aead[0]!r} and classic "
                f"{classic[0]!r} encryption; use two proposals (RFC 7296 §3.3)"
            )
        if aead:
            drop(
                lambda e: e.type == _INTEG, "AEAD ciphers take no integrity algorithm, RFC 5282 §8"
            )
        elif proto == ProtocolId.IKE and not of(_INTEG):
            raise ConfigError(
                f"IKE proposal {text!r} with classic encryption needs an integrity algorithm"
            )
    else:  # AH
        converted: list[_Entry] = []
        for entry in entries:
            if entry.type != _ENCR:
                converted.append(entry)
            elif entry.id == EncrId.ENCR_NULL_AUTH_AES_GMAC and entry.key_length in _GMAC_INTEG:
                gmac = _GMAC_INTEG[entry.key_length]
                converted.append(_Entry(int(_INTEG), int(gmac), None, entry.token))
            else:
                dropped.append(f"{entry.token!r} (AH does not encrypt)")
        entries = converted
        if not of(_INTEG):
            raise ConfigError(f"AH proposal {text!r} needs an integrity algorithm")

    if proto in (ProtocolId.AH, ProtocolId.ESP) and not of(_ESN):
        entries.append(_Entry(int(_ESN), int(ESN.NO_ESN), None, "noesn"))

    if strict and dropped:
        refused = ", ".join(dropped)
        raise ConfigError(f"{kind} proposal {text!r}: strict parsing refuses {refused}")

    entries.sort(key=lambda e: _WIRE_ORDER[e.type])
    return tuple(_transform(e) for e in entries)


def _transform(entry: _Entry) -> Transform:
    attributes: tuple[TransformAttribute, ...] = ()
    if entry.type == _ENCR and entry.key_length is not None:
        attributes = (TransformAttribute(TransformAttributeType.KEY_LENGTH, entry.key_length),)
    return Transform(
        TransformType(entry.type), to_enum(_ID_ENUMS[entry.type], entry.id), attributes
    )


def parse_proposal(
    text: str,
    protocol: ProtocolId | int = ProtocolId.IKE,
    number: int = 1,
    spi: bytes = b"",
    *,
    strict: bool = False,
) -> Proposal:
    """One proposal substructure (RFC 7296 §3.3.1) from strongSwan's proposal syntax.

    ``spi`` may be empty (filled in when the SA payload is built) or, as RFC 7296 §3.3.1
    sizes it, 8 octets for IKE (a rekey) and 4 for AH and ESP.
    """
    proto = _protocol(protocol)
    if not 1 <= number <= 255:
        raise ConfigError(f"proposal number {number} is not 1-255 (RFC 7296 §3.3.1)")
    sizes = (0, 8) if proto == ProtocolId.IKE else (0, 4)
    if len(spi) not in sizes:
        raise ConfigError(
            f"a {proto.name} SPI is {' or '.join(map(str, sizes))} octets, not {len(spi)}"
        )
    return Proposal(number, proto, bytes(spi), parse_transforms(text, proto, strict=strict))


def parse_proposals(
    text: str,
    protocol: ProtocolId | int = ProtocolId.IKE,
    spi: bytes = b"",
    *,
    strict: bool = False,
) -> tuple[Proposal, ...]:
    """A comma-separated list of proposals, as swanctl.conf writes them, numbered from 1.

    RFC 7296 §3.3.1: the first proposal is number 1, each next one one greater.
    """
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > 255:
        raise ConfigError(f"{len(parts)} proposals; an SA payload holds at most 255")
    return tuple(
        parse_proposal(part, protocol, number, spi, strict=strict)
        for number, part in enumerate(parts, 1)
    )


def transform_keyword(transform: Transform) -> str:
    """The canonical strongSwan keyword for one transform (``keN_`` for ADDKE N).

    A transform no keyword names is written ``UNKNOWN_<type>_<id>[_<key length>]``,
    as strongSwan displays it; that is no keyword, so it does not parse.
    """
    type_ = int(transform.type)
    id_ = int(transform.id)
    bits = transform.key_length
    if _ADDKE_FIRST <= type_ <= _ADDKE_LAST:
        name = _CANONICAL.get((int(_KE), id_, bits))
        if name is not None:
            return f"ke{type_ - _ADDKE_FIRST + 1}_{name}"
    else:
        name = _CANONICAL.get((type_, id_, bits))
        if name is not None:
            return name
    return f"UNKNOWN_{type_}_{id_}" + (f"_{bits}" if bits else "")


def format_transforms(transforms: Iterable[Transform]) -> str:
    """Canonical strongSwan syntax for a proposal's transforms.

    Kinds come in the order strongSwan displays them (ENCR, INTEG, PRF, KE, ESN,
    ADDKE1-7, then any other type), each kind in proposal order.
    """
    ordered = sorted(transforms, key=lambda t: _DISPLAY_ORDER.get(int(t.type), 99))
    return "-".join(transform_keyword(t) for t in ordered)
