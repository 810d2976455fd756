"""Key exchange methods of IKEv2: MODP, ECP, Curve25519/448 and ML-KEM (RFC 7296 §2.10).

One interface, :class:`KeyExchange`, for every Transform Type 4 method this
``cryptography`` build can back, chosen by its IANA number (Key Exchange Method
Transform IDs, RFC 7296 §3.3.2, RFC 9370 §2.2.1):

=====  ==================  ===================================  =========  =========
 id    name                definition                           KE data    g^ir
=====  ==================  ===================================  =========  =========
 1     modp768             RFC 2409 §6.1 (g = 2)                 96         96
 2     modp1024            RFC 2409 §6.2 (g = 2)                 128        128
 5     modp1536            RFC 3526 §2 (g = 2)                   192        192
 14    modp2048            RFC 3526 §3 (g = 2)                   256        256
 15    modp3072            RFC 3526 §4 (g = 2)                   384        384
 16    modp4096            RFC 3526 §5 (g = 2)                   512        512
 17    modp6144            RFC 3526 §6 (g = 2)                   768        768
 18    modp8192            RFC 3526 §7 (g = 2)                   1024       1024
 19    ecp256              RFC 5903 (NIST P-256)                 64         32
 20    ecp384              RFC 5903 (NIST P-384)                 96         48
 21    ecp521              RFC 5903 (NIST P-521)                 132        66
 22    modp1024s160        RFC 5114 §2.1 (g, q of 160 bits)      128        128
 23    modp2048s224        RFC 5114 §2.2 (g, q of 224 bits)      256        256
 24    modp2048s256        RFC 5114 §2.3 (g, q of 256 bits)      256        256
 25    ecp192              RFC 5114 §2.4 (NIST P-192)            48         24
 26    ecp224              RFC 5114 §2.5 (NIST P-224)            56         28
 27    ecp224bp            RFC 6954 (brainpoolP224r1)            56         28
 28    ecp256bp            RFC 6954 (brainpoolP256r1)            64         32
 29    ecp384bp            RFC 6954 (brainpoolP384r1)            96         48
 30    ecp512bp            RFC 6954 (brainpoolP512r1)            128        64
 31    curve25519          RFC 8031 (X25519, RFC 7748)           32         32
 32    curve448            RFC 8031 (X448, RFC 7748)             56         56
 35    mlkem512            draft-ietf-ipsecme-ikev2-mlkem        800/768    32
 36    mlkem768            draft-ietf-ipsecme-ikev2-mlkem        1184/1088  32
 37    mlkem1024           draft-ietf-ipsecme-ikev2-mlkem        1568/1568  32
=====  ==================  ===================================  =========  =========

Encodings (RFC 7296 §3.4): a MODP public value g^x mod p is left-padded with zeros to
the length of the prime, and so is the shared secret g^ir (RFC 7296 §2.14 keeps g^ir
fixed-length). An ECP public value is x || y, each coordinate padded to the field size,
with no point-format octet (RFC 5903 §7; RFC 6954 uses the same encoding), and g^ir is
the x coordinate of the shared point (RFC 5903 §7). Curve25519 and Curve448 exchange the
RFC 7748 u-coordinates and g^ir is the RFC 7748 output (RFC 8031 §2). For ML-KEM the
initiator's KE data is its encapsulation key and the responder's the ciphertext; the
shared secret is the 32-octet ML-KEM shared key.

Every peer value goes through the RFC 6989 checks before it is used; a failure raises
:class:`~ikewire.errors.ProtocolError` with ``notify = INVALID_SYNTAX`` and a reason that
names the check. A method that this ``cryptography`` build cannot back (brainpoolP224r1
and ML-KEM-512 are not offered by ``cryptography`` 50; ML-KEM-768/1024 only where its
backend has ML-KEM) raises :class:`~ikewire.errors.ConfigError` saying so; see
:func:`supported_methods`.

Cost note: OpenSSL recognises the RFC 3526 and RFC 5114 parameters, but for groups 1
and 2 it re-validates the parameters for every peer key it loads (tens of ms each).

All arithmetic is ``cryptography``'s: finite-field DH through ``dh.DHParameterNumbers``,
ECDH through ``ec``, X25519/X448 and ML-KEM through their own key classes.
"""

from __future__ import annotations

import enum
import functools
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dh, ec, x448, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.utils import CryptographyDeprecationWarning

from ..constants import KeyExchangeMethod, NotifyType
from ..errors import ConfigError, CryptoError, ProtocolError

try:  # ML-KEM arrived in cryptography 47; older builds have no module at all.
    from cryptography.hazmat.primitives.asymmetric import mlkem as _mlkem

    _HAVE_MLKEM_MODULE = True
except ImportError:  # pragma: no cover - depends on the installed cryptography
    _HAVE_MLKEM_MODULE = False

__all__ = [
    "GroupInfo",
    "GroupKind",
    "KeyExchange",
    "Rng",
    "check_peer_value",
    "group_info",
    "new_key_exchange",
    "supported_methods",
]

Rng = Callable[[int], bytes]
"""A source of random octets: ``rng(n)`` returns ``n`` octets (``os.urandom`` shape)."""


def _ffdh_classes() -> tuple[
    type[dh.DHParameterNumbers], type[dh.DHPublicNumbers], type[dh.DHPrivateNumbers]
]:
    """cryptography's finite-field DH classes, fetched once, quietly.

    cryptography 50 deprecates FFDH (it still works, and IKEv2 still negotiates MODP
    groups) by warning on each access to these names in its ``dh`` module; the objects
    and methods themselves do not warn. Fetched once here with the warning silenced,
    callers of ikewire never see, or fail under ``-W error`` on, a warning about
    ikewire's own use of FFDH, and no filter is changed later (``catch_warnings`` is
    not thread-safe).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="Diffie-Hellman over finite fields",
            category=CryptographyDeprecationWarning,
        )
        return dh.DHParameterNumbers, dh.DHPublicNumbers, dh.DHPrivateNumbers


_DHParameterNumbers, _DHPublicNumbers, _DHPrivateNumbers = _ffdh_classes()


_MAX_DRAWS: Final = 64
"""Bound on rejection sampling of a private value from a caller's ``rng``."""


def _hex(text: str) -> int:
    return int(text, 16)


# ---------------------------------------------------------------------------------------
# MODP group parameters (RFC 2409 §6, RFC 3526 §2-§7, RFC 5114 §2.1-§2.3).
# The primes were transcribed from strongSwan's key_exchange.c and libreswan's
# ietf_constants.h (which agree); tests check the RFC 2409/3526 ones against their
# defining formula p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * pi) + c).
# ---------------------------------------------------------------------------------------

_P_MODP_768: Final = _hex(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A63A3620FFFFFFFFFFFFFFFF"
)
_P_MODP_1024: Final = _hex(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
    "FFFFFFFFFFFFFFFF"
)
_P_MODP_1536: Final = _hex(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF"
)
_P_MODP_2048: Final = _hex(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E8603"
    "9B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF"
)
_P_MODP_3072: Final = _hex(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E8603"
    "9B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7D"
    "B3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB31"
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
_P_MODP_4096: Final = _hex(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E8603"
    "9B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7D"
    "B3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB31"
    "43DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D788719A10BDBA5B2699C327186AF4E23C"
    "1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D"
    "99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF"
)
_P_MODP_6144: Final = _hex(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E8603"
    "9B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7D"
    "B3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB31"
    "43DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D788719A10BDBA5B2699C327186AF4E23C"
    "1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D"
    "99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C93402849236C3FAB4D27C7026C1D4DCB2602646DE"
    "C9751E763DBA37BDF8FF9406AD9E530EE5DB382F413001AEB06A53ED9027D831179727B0865A8918"
    "DA3EDBEBCF9B14ED44CE6CBACED4BB1BDB7F1447E6CC254B332051512BD7AF426FB8F401378CD2BF"
    "5983CA01C64B92ECF032EA15D1721D03F482D7CE6E74FEF6D55E702F46980C82B5A84031900B1C9E"
    "59E7C97FBEC7E8F323A97A7E36CC88BE0F1D45B7FF585AC54BD407B22B4154AACC8F6D7EBF48E1D8"
    "14CC5ED20F8037E0A79715EEF29BE32806A1D58BB7C5DA76F550AA3D8A1FBFF0EB19CCB1A313D55C"
    "DA56C9EC2EF29632387FE8D76E3C0468043E8F663F4860EE12BF2D5B0B7474D6E694F91E6DCC4024"
    "FFFFFFFFFFFFFFFF"
)
_P_MODP_8192: Final = _hex(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E8603"
    "9B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7D"
    "B3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB31"
    "43DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D788719A10BDBA5B2699C327186AF4E23C"
    "1A946834B6150BDA2583E9CA2AD44CE8DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D"
    "99B2964FA090C3A2233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C93402849236C3FAB4D27C7026C1D4DCB2602646DE"
    "C9751E763DBA37BDF8FF9406AD9E530EE5DB382F413001AEB06A53ED9027D831179727B0865A8918"
    "DA3EDBEBCF9B14ED44CE6CBACED4BB1BDB7F1447E6CC254B332051512BD7AF426FB8F401378CD2BF"
    "5983CA01C64B92ECF032EA15D1721D03F482D7CE6E74FEF6D55E702F46980C82B5A84031900B1C9E"
    "59E7C97FBEC7E8F323A97A7E36CC88BE0F1D45B7FF585AC54BD407B22B4154AACC8F6D7EBF48E1D8"
    "14CC5ED20F8037E0A79715EEF29BE32806A1D58BB7C5DA76F550AA3D8A1FBFF0EB19CCB1A313D55C"
    "DA56C9EC2EF29632387FE8D76E3C0468043E8F663F4860EE12BF2D5B0B7474D6E694F91E6DBE1159"
    "74A3926F12FEE5E438777CB6A932DF8CD8BEC4D073B931BA3BC832B68D9DD300741FA7BF8AFC47ED"
    "2576F6936BA424663AAB639C5AE4F5683423B4742BF1C978238F16CBE39D652DE3FDB8BEFC848AD9"
    "22222E04A4037C0713EB57A81A23F0C73473FC646CEA306B4BCBC8862F8385DDFA9D4B7FA2C087E8"
    "79683303ED5BDD3A062B3CF5B3A278A66D2A13F83F44F82DDF310EE074AB6A364597E899A0255DC1"
    "64F31CC50846851DF9AB48195DED7EA1B1D510BD7EE74D73FAF36BC31ECFA268359046F4EB879F92"
    "4009438B481C6CD7889A002ED5EE382BC9190DA6FC026E479558E4475677E9AA9E3050E2765694DF"
    "C81F56E880B96E7160C980DD98EDD3DFFFFFFFFFFFFFFFFF"
)
_P_MODP_1024_160: Final = _hex(
    "B10B8F96A080E01DDE92DE5EAE5D54EC52C99FBCFB06A3C69A6A9DCA52D23B616073E28675A23D18"
    "9838EF1E2EE652C013ECB4AEA906112324975C3CD49B83BFACCBDD7D90C4BD7098488E9C219A7372"
    "4EFFD6FAE5644738FAA31A4FF55BCCC0A151AF5F0DC8B4BD45BF37DF365C1A65E68CFDA76D4DA708"
    "DF1FB2BC2E4A4371"
)
_G_MODP_1024_160: Final = _hex(
    "A4D1CBD5C3FD34126765A442EFB99905F8104DD258AC507FD6406CFF14266D31266FEA1E5C41564B"
    "777E690F5504F213160217B4B01B886A5E91547F9E2749F4D7FBD7D3B9A92EE1909D0D2263F80A76"
    "A6A24C087A091F531DBF0A0169B6A28AD662A4D18E73AFA32D779D5918D08BC8858F4DCEF97C2A24"
    "855E6EEB22B3B2E5"
)
_Q_MODP_1024_160: Final = _hex("F518AA8781A8DF278ABA4E7D64B7CB9D49462353")
_P_MODP_2048_224: Final = _hex(
    "AD107E1E9123A9D0D660FAA79559C51FA20D64E5683B9FD1B54B1597B61D0A75E6FA141DF95A56DB"
    "AF9A3C407BA1DF15EB3D688A309C180E1DE6B85A1274A0A66D3F8152AD6AC2129037C9EDEFDA4DF8"
    "D91E8FEF55B7394B7AD5B7D0B6C12207C9F98D11ED34DBF6C6BA0B2C8BBC27BE6A00E0A0B9C49708"
    "B3BF8A317091883681286130BC8985DB1602E714415D9330278273C7DE31EFDC7310F7121FD5A074"
    "15987D9ADC0A486DCDF93ACC44328387315D75E198C641A480CD86A1B9E587E8BE60E69CC928B2B9"
    "C52172E413042E9B23F10B0E16E79763C9B53DCF4BA80A29E3FB73C16B8E75B97EF363E2FFA31F71"
    "CF9DE5384E71B81C0AC4DFFE0C10E64F"
)
_G_MODP_2048_224: Final = _hex(
    "AC4032EF4F2D9AE39DF30B5C8FFDAC506CDEBE7B89998CAF74866A08CFE4FFE3A6824A4E10B9A6F0"
    "DD921F01A70C4AFAAB739D7700C29F52C57DB17C620A8652BE5E9001A8D66AD7C17669101999024A"
    "F4D027275AC1348BB8A762D0521BC98AE247150422EA1ED409939D54DA7460CDB5F6C6B250717CBE"
    "F180EB34118E98D119529A45D6F834566E3025E316A330EFBB77A86F0C1AB15B051AE3D428C8F8AC"
    "B70A8137150B8EEB10E183EDD19963DDD9E263E4770589EF6AA21E7F5F2FF381B539CCE3409D13CD"
    "566AFBB48D6C019181E1BCFE94B30269EDFE72FE9B6AA4BD7B5A0F1C71CFFF4C19C418E1F6EC0179"
    "81BC087F2A7065B384B890D3191F2BFA"
)
_Q_MODP_2048_224: Final = _hex("801C0D34C58D93FE997177101F80535A4738CEBCBF389A99B36371EB")
_P_MODP_2048_256: Final = _hex(
    "87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00E00DF8F1D61957D4"
    "FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C209E0C6497517ABD5A8A9D306BCF67ED"
    "91F9E6725B4758C022E0B1EF4275BF7B6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C"
    "4FDB70C581B23F76B63ACAE1CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8E"
    "F6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026C0B857F689962856"
    "DED4010ABD0BE621C3A3960A54E710C375F26375D7014103A4B54330C198AF126116D2276E11715F"
    "693877FAD7EF09CADB094AE91E1A1597"
)
_G_MODP_2048_256: Final = _hex(
    "3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA12510DBC15077BE463F"
    "FF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62901228F8C28CBB18A55AE31341000A65"
    "0196F931C77A57F2DDF463E5E9EC144B777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC83"
    "1D14348F6F2F9193B5045AF2767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0A"
    "DB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915B3353BBB64E0EC37"
    "7FD028370DF92B52C7891428CDC67EB6184B523D1DB246C32F63078490F00EF8D647D148D4795451"
    "5E2327CFEF98C582664B4C0F6CC41659"
)
_Q_MODP_2048_256: Final = _hex("8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3")


@dataclass(frozen=True, slots=True)
class _ModpParams:
    p: int
    g: int
    q: int | None  # order of the prime-order subgroup g generates (RFC 5114), if known


_MODP: Final[dict[int, _ModpParams]] = {
    KeyExchangeMethod.MODP_768: _ModpParams(_P_MODP_768, 2, None),
    KeyExchangeMethod.MODP_1024: _ModpParams(_P_MODP_1024, 2, None),
    KeyExchangeMethod.MODP_1536: _ModpParams(_P_MODP_1536, 2, None),
    KeyExchangeMethod.MODP_2048: _ModpParams(_P_MODP_2048, 2, None),
    KeyExchangeMethod.MODP_3072: _ModpParams(_P_MODP_3072, 2, None),
    KeyExchangeMethod.MODP_4096: _ModpParams(_P_MODP_4096, 2, None),
    KeyExchangeMethod.MODP_6144: _ModpParams(_P_MODP_6144, 2, None),
    KeyExchangeMethod.MODP_8192: _ModpParams(_P_MODP_8192, 2, None),
    KeyExchangeMethod.MODP_1024_160: _ModpParams(
        _P_MODP_1024_160, _G_MODP_1024_160, _Q_MODP_1024_160
    ),
    KeyExchangeMethod.MODP_2048_224: _ModpParams(
        _P_MODP_2048_224, _G_MODP_2048_224, _Q_MODP_2048_224
    ),
    KeyExchangeMethod.MODP_2048_256: _ModpParams(
        _P_MODP_2048_256, _G_MODP_2048_256, _Q_MODP_2048_256
    ),
}

# ECP curves by method; None where cryptography has no class for the curve at all.
_ECP: Final[dict[int, type[ec.EllipticCurve] | None]] = {
    KeyExchangeMethod.ECP_256: ec.SECP256R1,
    KeyExchangeMethod.ECP_384: ec.SECP384R1,
    KeyExchangeMethod.ECP_521: ec.SECP521R1,
    KeyExchangeMethod.ECP_192: ec.SECP192R1,
    KeyExchangeMethod.ECP_224: ec.SECP224R1,
    KeyExchangeMethod.BRAINPOOLP224R1: None,  # cryptography offers no brainpoolP224r1
    KeyExchangeMethod.BRAINPOOLP256R1: ec.BrainpoolP256R1,
    KeyExchangeMethod.BRAINPOOLP384R1: ec.BrainpoolP384R1,
    KeyExchangeMethod.BRAINPOOLP512R1: ec.BrainpoolP512R1,
}


# ---------------------------------------------------------------------------------------
# The public table
# ---------------------------------------------------------------------------------------


class GroupKind(enum.Enum):
    """The family a key exchange method belongs to."""

    MODP = "modp"  # finite-field Diffie-Hellman (RFC 7296 §2.10, RFC 3526, RFC 5114)
    ECP = "ecp"  # elliptic curve DH over a prime field (RFC 5903, RFC 5114, RFC 6954)
    MONTGOMERY = "montgomery"  # X25519 / X448 (RFC 8031)
    KEM = "kem"  # ML-KEM (draft-ietf-ipsecme-ikev2-mlkem)


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """Facts about one key exchange method (all lengths in octets).

    ``public_value_length`` is the Key Exchange Data length of the initiator's KE
    payload (RFC 7296 §3.4) - for ML-KEM the encapsulation key; ``responder_value_length``
    that of the responder's (the ML-KEM ciphertext; the same as ``public_value_length``
    for Diffie-Hellman groups). ``shared_secret_length`` is the length of g^ir.
    ``supported`` says whether this ``cryptography`` build can run the method.
    """

    method: KeyExchangeMethod
    name: str
    kind: GroupKind
    public_value_length: int
    responder_value_length: int
    shared_secret_length: int
    reference: str

    @property
    def supported(self) -> bool:
        return _supported(self.method)

    def value_length(self, *, initiator: bool) -> int:
        """Key Exchange Data length sent by the initiator (or by the responder)."""
        return self.public_value_length if initiator else self.responder_value_length


def _modp(method: KeyExchangeMethod, name: str, reference: str) -> GroupInfo:
    size = (_MODP[method].p.bit_length() + 7) // 8
    return GroupInfo(method, name, GroupKind.MODP, size, size, size, reference)


def _ecp(method: KeyExchangeMethod, name: str, coord: int, reference: str) -> GroupInfo:
    return GroupInfo(method, name, GroupKind.ECP, 2 * coord, 2 * coord, coord, reference)


def _mont(method: KeyExchangeMethod, name: str, size: int) -> GroupInfo:
    return GroupInfo(method, name, GroupKind.MONTGOMERY, size, size, size, "RFC 8031")


def _kem(method: KeyExchangeMethod, name: str, ek: int, ct: int) -> GroupInfo:
    return GroupInfo(
        method, name, GroupKind.KEM, ek, ct, 32, "draft-ietf-ipsecme-ikev2-mlkem, FIPS 203"
    )


_M = KeyExchangeMethod
_GROUPS: Final[dict[int, GroupInfo]] = {
    info.method: info
    for info in (
        _modp(_M.MODP_768, "modp768", "RFC 2409 §6.1"),
        _modp(_M.MODP_1024, "modp1024", "RFC 2409 §6.2"),
        _modp(_M.MODP_1536, "modp1536", "RFC 3526 §2"),
        _modp(_M.MODP_2048, "modp2048", "RFC 3526 §3"),
        _modp(_M.MODP_3072, "modp3072", "RFC 3526 §4"),
        _modp(_M.MODP_4096, "modp4096", "RFC 3526 §5"),
        _modp(_M.MODP_6144, "modp6144", "RFC 3526 §6"),
        _modp(_M.MODP_8192, "modp8192", "RFC 3526 §7"),
        _ecp(_M.ECP_256, "ecp256", 32, "RFC 5903 §3.1"),
        _ecp(_M.ECP_384, "ecp384", 48, "RFC 5903 §3.2"),
        _ecp(_M.ECP_521, "ecp521", 66, "RFC 5903 §3.3"),
        _modp(_M.MODP_1024_160, "modp1024s160", "RFC 5114 §2.1"),
        _modp(_M.MODP_2048_224, "modp2048s224", "RFC 5114 §2.2"),
        _modp(_M.MODP_2048_256, "modp2048s256", "RFC 5114 §2.3"),
        _ecp(_M.ECP_192, "ecp192", 24, "RFC 5114 §2.4"),
        _ecp(_M.ECP_224, "ecp224", 28, "RFC 5114 §2.5"),
        _ecp(_M.BRAINPOOLP224R1, "ecp224bp", 28, "RFC 6954"),
        _ecp(_M.BRAINPOOLP256R1, "ecp256bp", 32, "RFC 6954"),
        _ecp(_M.BRAINPOOLP384R1, "ecp384bp", 48, "RFC 6954"),
        _ecp(_M.BRAINPOOLP512R1, "ecp512bp", 64, "RFC 6954"),
        _mont(_M.CURVE25519, "curve25519", 32),
        _mont(_M.CURVE448, "curve448", 56),
        _kem(_M.ML_KEM_512, "mlkem512", 800, 768),
        _kem(_M.ML_KEM_768, "mlkem768", 1184, 1088),
        _kem(_M.ML_KEM_1024, "mlkem1024", 1568, 1568),
    )
}
del _M


def group_info(method: int) -> GroupInfo:
    """The :class:`GroupInfo` of a key exchange method; ConfigError if ikewire has none."""
    info = _GROUPS.get(method)
    if info is None:
        raise ConfigError(f"unknown or unimplemented key exchange method {method}")
    return info


@functools.cache
def _supported(method: int) -> bool:
    """Whether this cryptography/OpenSSL build can run ``method`` (probed once)."""
    try:
        _probe(method)
    except (UnsupportedAlgorithm, ConfigError):
        return False
    return True


def _probe(method: int) -> None:
    kind = group_info(method).kind
    if kind is GroupKind.MODP:
        _dh_parameters(method)
    elif kind is GroupKind.ECP:
        ec.derive_private_key(1, _curve(method))
    elif method == KeyExchangeMethod.CURVE25519:
        x25519.X25519PrivateKey.from_private_bytes(bytes(32))
    elif method == KeyExchangeMethod.CURVE448:
        x448.X448PrivateKey.from_private_bytes(bytes(56))
    else:
        _mlkem_private_key(method, bytes(64))


@functools.cache
def supported_methods() -> tuple[KeyExchangeMethod, ...]:
    """The key exchange methods this build supports, in IANA number order."""
    return tuple(info.method for info in _GROUPS.values() if info.supported)


def _unsupported(info: GroupInfo, what: str) -> ConfigError:
    return ConfigError(
        f"key exchange method {info.method} ({info.name}): {what} is not supported by "
        "this cryptography build"
    )


# ---------------------------------------------------------------------------------------
# The interface
# ---------------------------------------------------------------------------------------


class KeyExchange(ABC):
    """One side of one key exchange (RFC 7296 §1.2, §1.3; RFC 9370 §2.2).

    Diffie-Hellman methods are symmetric: each side sends :meth:`public_value` and calls
    :meth:`compute_secret` with the peer's, in either order.

    ML-KEM is not: the initiator sends its encapsulation key (:meth:`public_value`) and
    later calls :meth:`compute_secret` with the responder's ciphertext, which
    decapsulates. The responder first calls :meth:`compute_secret` with the initiator's
    encapsulation key, which encapsulates to it, and then sends the ciphertext that
    :meth:`public_value` returns from then on. Calling the responder's
    :meth:`public_value` first is an API misuse (:class:`ConfigError`).

    ``repr()`` shows the method and the role, never key material.
    """

    __slots__ = ("info", "initiator")

    info: GroupInfo
    initiator: bool

    def __init__(self, info: GroupInfo, initiator: bool) -> None:
        self.info = info
        self.initiator = initiator

    @property
    def method(self) -> KeyExchangeMethod:
        """The IANA Key Exchange Method number (RFC 7296 §3.3.2)."""
        return self.info.method

    @property
    def peer_value_length(self) -> int:
        """The Key Exchange Data length expected from the peer."""
        return self.info.value_length(initiator=not self.initiator)

    @abstractmethod
    def public_value(self) -> bytes:
        """Our Key Exchange Data (RFC 7296 §3.4), fixed length for the method."""

    @abstractmethod
    def compute_secret(self, peer_value: bytes) -> bytes:
        """The shared secret g^ir from the peer's Key Exchange Data.

        The peer value is checked first (RFC 6989); a bad one raises ProtocolError
        with ``notify = INVALID_SYNTAX``.
        """

    def __repr__(self) -> str:
        role = "initiator" if self.initiator else "responder"
        return f"<{type(self).__name__} {self.info.name} ({int(self.method)}) {role}>"


def _invalid(info: GroupInfo, reason: str) -> ProtocolError:
    return ProtocolError(
        f"key exchange method {int(info.method)} ({info.name}): {reason}",
        notify=NotifyType.INVALID_SYNTAX,
    )


def _check_length(info: GroupInfo, value: bytes, expected: int) -> None:
    if len(value) != expected:
        raise _invalid(
            info,
            f"wrong length for the group: Key Exchange Data is {len(value)} octets, "
            f"expected {expected} (RFC 7296 §3.4)",
        )


def _draw(rng: Rng, size: int) -> bytes:
    data = rng(size)
    if not isinstance(data, bytes) or len(data) != size:
        raise ConfigError(f"rng({size}) must return {size} bytes")
    return data


# ---------------------------------------------------------------------------------------
# MODP (finite-field Diffie-Hellman)
# ---------------------------------------------------------------------------------------


@functools.cache
def _dh_parameter_numbers(method: int) -> dh.DHParameterNumbers:
    params = _MODP[method]
    return _DHParameterNumbers(params.p, params.g, params.q)


@functools.cache
def _dh_parameters(method: int) -> dh.DHParameters:
    return _dh_parameter_numbers(method).parameters()


@functools.cache
def _dh_generator(method: int) -> dh.DHPublicKey:
    """The group's generator g as a public key (for computing g^x mod p)."""
    numbers = _dh_parameter_numbers(method)
    return _DHPublicNumbers(numbers.g, numbers).public_key()


def _check_modp_value(info: GroupInfo, value: bytes) -> int:
    """RFC 6989 range and subgroup checks on a MODP public value; returns y."""
    _check_length(info, value, info.public_value_length)
    params = _MODP[info.method]
    y = int.from_bytes(value, "big")
    if not 1 < y < params.p - 1:
        raise _invalid(info, "public value out of range: RFC 6989 requires 1 < y < p-1")
    if params.q is not None and pow(y, params.q, params.p) != 1:
        raise _invalid(
            info, "public value not in the prime-order subgroup: RFC 6989 requires y^q = 1"
        )
    return y


# Private exponent sizes for the safe-prime MODP groups: RFC 7919 Appendix A's short
# exponents for a safe prime of each size (225 bits for 2048, inside RFC 3526 §8's
# 220-320), the lengths OpenSSL, and so cryptography's own ``generate_private_key``, use
# for these groups; RFC 2409's small groups at 160 bits.
_EXPONENT_BITS = {
    768: 160,
    1024: 160,
    1536: 200,
    2048: 225,
    3072: 275,
    4096: 325,
    6144: 375,
    8192: 400,
}


class _ModpKeyExchange(KeyExchange):
    """Finite-field DH over a MODP group (RFC 7296 §2.10, RFC 3526, RFC 5114)."""

    __slots__ = ("_key", "_public", "_size")

    def __init__(
        self, info: GroupInfo, initiator: bool, private_key: bytes | None, rng: Rng | None
    ) -> None:
        super().__init__(info, initiator)
        self._size = info.public_value_length
        try:
            params = _dh_parameters(info.method)
        except UnsupportedAlgorithm as exc:  # pragma: no cover - depends on the build
            raise _unsupported(info, "finite-field Diffie-Hellman") from exc
        x = None if private_key is None and rng is None else self._exponent(private_key, rng)
        if x is None:
            self._key = params.generate_private_key()
            y = self._key.public_key().public_numbers().y
        else:
            self._key, y = self._from_exponent(x)
        self._public = y.to_bytes(self._size, "big")

    def _exponent(self, private_key: bytes | None, rng: Rng | None) -> int:
        params = _MODP[self.info.method]
        # RFC 5114 groups: 1 <= x < q; safe-prime groups: 1 < x < p-1.
        low, high = (1, params.q) if params.q is not None else (2, params.p - 1)
        if private_key is not None:
            x = int.from_bytes(private_key, "big")
            if not low <= x < high:
                raise ConfigError(f"{self.info.name}: private exponent out of range")
            return x
        assert rng is not None
        # Safe-prime groups: a short exponent (_EXPONENT_BITS), not the size of p.
        # RFC 5114 groups draw below their q as they must.
        bits = high.bit_length()
        if params.q is None:
            bits = min(bits, _EXPONENT_BITS.get(params.p.bit_length(), bits))
        size = (bits + 7) // 8
        excess = 8 * size - bits
        for _ in range(_MAX_DRAWS):
            x = int.from_bytes(_draw(rng, size), "big") >> excess
            if low <= x < high:
                return x
        raise CryptoError(f"{self.info.name}: rng gave no usable private exponent")

    def _from_exponent(self, x: int) -> tuple[dh.DHPrivateKey, int]:
        """A DH private key for exponent ``x`` and its public value y = g^x mod p.

        ``DHPrivateNumbers`` wants y up front, so the key is built with y = g as a
        placeholder and its exchange with the generator gives g^x mod p. The key is kept
        as it is: a DH derivation uses only x and the peer's value, and y is kept apart.
        """
        numbers = _dh_parameter_numbers(self.info.method)
        key = _DHPrivateNumbers(x, _DHPublicNumbers(numbers.g, numbers)).private_key()
        y = int.from_bytes(key.exchange(_dh_generator(self.info.method)), "big")
        return key, y

    def public_value(self) -> bytes:
        return self._public

    def compute_secret(self, peer_value: bytes) -> bytes:
        y = _check_modp_value(self.info, peer_value)
        try:
            numbers = _DHPublicNumbers(y, _dh_parameter_numbers(self.info.method))
            secret = self._key.exchange(numbers.public_key())
        except ValueError as exc:
            raise _invalid(self.info, "peer public value rejected by the DH computation") from exc
        # RFC 7296 §2.14: g^ir is as long as the prime, left-padded with zeros.
        return secret.rjust(self._size, b"\x00")


# ---------------------------------------------------------------------------------------
# ECP (RFC 5903, RFC 5114, RFC 6954)
# ---------------------------------------------------------------------------------------


def _curve(method: int) -> ec.EllipticCurve:
    curve_class = _ECP[method]
    if curve_class is None:
        raise _unsupported(group_info(method), "the curve")
    return curve_class()


def _load_ecp_point(
    info: GroupInfo, curve: ec.EllipticCurve, value: bytes
) -> ec.EllipticCurvePublicKey:
    """RFC 6989: the peer's point must be on the curve and not the point at infinity."""
    _check_length(info, value, info.public_value_length)
    if not any(value):
        raise _invalid(info, "peer public value is the point at infinity (RFC 6989)")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + value)
    except ValueError as exc:
        raise _invalid(info, "peer public value is not a point on the curve (RFC 6989)") from exc


class _EcpKeyExchange(KeyExchange):
    """ECDH over a prime curve; KE data x || y, g^ir the x coordinate (RFC 5903 §7)."""

    __slots__ = ("_curve", "_key", "_public")

    def __init__(
        self, info: GroupInfo, initiator: bool, private_key: bytes | None, rng: Rng | None
    ) -> None:
        super().__init__(info, initiator)
        self._curve = _curve(info.method)
        try:
            if private_key is None and rng is None:
                self._key = ec.generate_private_key(self._curve)
            else:
                self._key = ec.derive_private_key(self._scalar(private_key, rng), self._curve)
        except UnsupportedAlgorithm as exc:
            raise _unsupported(info, f"curve {self._curve.name}") from exc
        encoded = self._key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        self._public = encoded[1:]  # RFC 5903 §7: no point-format octet

    def _scalar(self, private_key: bytes | None, rng: Rng | None) -> int:
        order = self._curve.group_order
        if private_key is not None:
            d = int.from_bytes(private_key, "big")
            if not 0 < d < order:
                raise ConfigError(f"{self.info.name}: private key out of range")
            return d
        assert rng is not None
        size = (order.bit_length() + 7) // 8
        excess = 8 * size - order.bit_length()
        for _ in range(_MAX_DRAWS):
            d = int.from_bytes(_draw(rng, size), "big") >> excess
            if 0 < d < order:
                return d
        raise CryptoError(f"{self.info.name}: rng gave no usable private key")

    def public_value(self) -> bytes:
        return self._public

    def compute_secret(self, peer_value: bytes) -> bytes:
        peer = _load_ecp_point(self.info, self._curve, peer_value)
        try:
            secret = self._key.exchange(ec.ECDH(), peer)
        except ValueError as exc:  # pragma: no cover - prime-order curves: cannot happen
            raise _invalid(self.info, "peer public value rejected by ECDH") from exc
        return secret.rjust(self.info.shared_secret_length, b"\x00")


# ---------------------------------------------------------------------------------------
# Curve25519 and Curve448 (RFC 8031, RFC 7748)
# ---------------------------------------------------------------------------------------


class _MontgomeryKeyExchange(KeyExchange):
    """X25519 / X448 (RFC 8031 §2); an all-zero g^ir is rejected (RFC 7748 §6)."""

    __slots__ = ("_key", "_public")

    _key: x25519.X25519PrivateKey | x448.X448PrivateKey

    def __init__(
        self, info: GroupInfo, initiator: bool, private_key: bytes | None, rng: Rng | None
    ) -> None:
        super().__init__(info, initiator)
        size = info.public_value_length
        if private_key is None and rng is not None:
            private_key = _draw(rng, size)
        try:
            if info.method == KeyExchangeMethod.CURVE25519:
                self._key = (
                    x25519.X25519PrivateKey.generate()
                    if private_key is None
                    else x25519.X25519PrivateKey.from_private_bytes(private_key)
                )
            else:
                self._key = (
                    x448.X448PrivateKey.generate()
                    if private_key is None
                    else x448.X448PrivateKey.from_private_bytes(private_key)
                )
        except UnsupportedAlgorithm as exc:  # pragma: no cover - depends on the build
            raise _unsupported(info, info.name) from exc
        except ValueError as exc:
            raise ConfigError(f"{info.name}: private key must be {size} octets") from exc
        self._public = self._key.public_key().public_bytes_raw()

    def public_value(self) -> bytes:
        return self._public

    def compute_secret(self, peer_value: bytes) -> bytes:
        _check_length(self.info, peer_value, self.info.public_value_length)
        try:
            if isinstance(self._key, x25519.X25519PrivateKey):
                secret = self._key.exchange(x25519.X25519PublicKey.from_public_bytes(peer_value))
            else:
                secret = self._key.exchange(x448.X448PublicKey.from_public_bytes(peer_value))
        except ValueError as exc:
            # cryptography refuses to return the all-zero output of a low-order point.
            raise _invalid(
                self.info, "all-zero shared secret from a low-order point (RFC 7748 §6, RFC 8031)"
            ) from exc
        if not any(secret):  # pragma: no cover - cryptography already refuses it
            raise _invalid(self.info, "all-zero shared secret (RFC 7748 §6, RFC 8031)")
        return secret


# ---------------------------------------------------------------------------------------
# ML-KEM (draft-ietf-ipsecme-ikev2-mlkem, FIPS 203)
# ---------------------------------------------------------------------------------------

_MLKEM_SEED_SIZE: Final = 64  # FIPS 203 §7.1: the seed (d, z) of ML-KEM.KeyGen_internal


def _mlkem_private_key(
    method: int, seed: bytes
) -> _mlkem.MLKEM768PrivateKey | _mlkem.MLKEM1024PrivateKey:
    info = group_info(method)
    if not _HAVE_MLKEM_MODULE or method == KeyExchangeMethod.ML_KEM_512:
        raise _unsupported(info, info.name)
    if method == KeyExchangeMethod.ML_KEM_768:
        return _mlkem.MLKEM768PrivateKey.from_seed_bytes(seed)
    return _mlkem.MLKEM1024PrivateKey.from_seed_bytes(seed)


def _mlkem_public_key(
    info: GroupInfo, value: bytes
) -> _mlkem.MLKEM768PublicKey | _mlkem.MLKEM1024PublicKey:
    """The initiator's encapsulation key, after the FIPS 203 §7.2 input checks."""
    _check_length(info, value, info.public_value_length)
    try:
        if info.method == KeyExchangeMethod.ML_KEM_768:
            return _mlkem.MLKEM768PublicKey.from_public_bytes(value)
        return _mlkem.MLKEM1024PublicKey.from_public_bytes(value)
    except ValueError as exc:
        # The length is right, so what fails is the modulus check (FIPS 203 §7.2:
        # ByteEncode12(ByteDecode12(ek)) must equal ek, every coefficient below q).
        raise _invalid(info, "encapsulation key fails the FIPS 203 §7.2 modulus check") from exc


class _MlKemKeyExchange(KeyExchange):
    """ML-KEM as an IKEv2 key exchange (draft-ietf-ipsecme-ikev2-mlkem).

    Initiator: key pair from a 64-octet seed (``private_key``, or ``rng(64)``, or fresh);
    public value = encapsulation key; ``compute_secret(ciphertext)`` decapsulates.
    Responder: ``compute_secret(encapsulation_key)`` encapsulates; public value = the
    ciphertext. ``cryptography`` takes no caller randomness for encapsulation, so a
    responder is never deterministic and ignores ``rng``.
    """

    __slots__ = ("_ciphertext", "_dk", "_public", "_secret")

    def __init__(
        self, info: GroupInfo, initiator: bool, private_key: bytes | None, rng: Rng | None
    ) -> None:
        super().__init__(info, initiator)
        if not _supported(info.method):
            raise _unsupported(info, info.name)
        self._ciphertext: bytes | None = None
        self._secret: bytes | None = None
        self._dk = None
        self._public = b""
        if not initiator:
            if private_key is not None:
                raise ConfigError(f"{info.name}: a responder has no private key to supply")
            return
        if private_key is None and rng is not None:
            private_key = _draw(rng, _MLKEM_SEED_SIZE)
        if private_key is None:
            dk = (
                _mlkem.MLKEM768PrivateKey.generate()
                if info.method == KeyExchangeMethod.ML_KEM_768
                else _mlkem.MLKEM1024PrivateKey.generate()
            )
        else:
            if len(private_key) != _MLKEM_SEED_SIZE:
                raise ConfigError(f"{info.name}: private key is the 64-octet seed (d || z)")
            dk = _mlkem_private_key(info.method, private_key)
        self._dk = dk
        self._public = dk.public_key().public_bytes_raw()

    def public_value(self) -> bytes:
        if self.initiator:
            return self._public
        if self._ciphertext is None:
            raise ConfigError(
                f"{self.info.name}: the responder's KE data is the ciphertext; call "
                "compute_secret(initiator's encapsulation key) first"
            )
        return self._ciphertext

    def compute_secret(self, peer_value: bytes) -> bytes:
        if self.initiator:
            assert self._dk is not None
            # draft-ietf-ipsecme-ikev2-mlkem / FIPS 203 §7.3: ciphertext length check.
            _check_length(self.info, peer_value, self.info.responder_value_length)
            try:
                return self._dk.decapsulate(peer_value)
            except ValueError as exc:  # pragma: no cover - length already checked
                raise _invalid(self.info, "ciphertext rejected by decapsulation") from exc
        if self._secret is not None:
            raise ConfigError(f"{self.info.name}: the responder encapsulates only once")
        ek = _mlkem_public_key(self.info, peer_value)
        self._secret, self._ciphertext = ek.encapsulate()
        return self._secret


# ---------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------


def new_key_exchange(
    method: int,
    *,
    private_key: bytes | None = None,
    rng: Rng | None = None,
    initiator: bool = True,
) -> KeyExchange:
    """Start one side of a key exchange with ``method`` (an IANA Transform Type 4 ID).

    Randomness: ``private_key`` fixes our private value (MODP: the big-endian exponent,
    any length; ECP: the big-endian scalar; Curve25519/448: the RFC 7748 scalar octets;
    ML-KEM initiator: the 64-octet seed d || z of FIPS 203). Otherwise ``rng(n)`` draws
    it (rejection-sampled into range). With neither, ``cryptography`` generates the key
    from the operating system's CSPRNG. An ML-KEM responder ignores ``rng``: see
    :class:`KeyExchange`.

    Raises ConfigError for an unknown method, one this build cannot run, or a private
    value out of range.
    """
    info = group_info(method)
    if private_key is not None and rng is not None:
        raise ConfigError("give private_key or rng, not both")
    kind = info.kind
    if kind is GroupKind.MODP:
        return _ModpKeyExchange(info, initiator, private_key, rng)
    if kind is GroupKind.ECP:
        return _EcpKeyExchange(info, initiator, private_key, rng)
    if kind is GroupKind.MONTGOMERY:
        return _MontgomeryKeyExchange(info, initiator, private_key, rng)
    return _MlKemKeyExchange(info, initiator, private_key, rng)


def check_peer_value(method: int, value: bytes, *, from_initiator: bool = True) -> None:
    """Run the checks that need no private key on a peer's Key Exchange Data.

    Lets a responder answer INVALID_SYNTAX before it spends a key pair: length for every
    method (RFC 7296 §3.4), range and subgroup for MODP, on-curve and not-infinity for
    ECP (RFC 6989), the FIPS 203 §7.2 modulus check for an
    ML-KEM encapsulation key. The all-zero X25519/X448 check needs the shared secret and
    happens in :meth:`KeyExchange.compute_secret`.
    """
    info = group_info(method)
    if not info.supported:
        raise _unsupported(info, info.name)
    if info.kind is GroupKind.MODP:
        _check_modp_value(info, value)
    elif info.kind is GroupKind.ECP:
        _load_ecp_point(info, _curve(method), value)
    elif info.kind is GroupKind.KEM and from_initiator:
        _mlkem_public_key(info, value)
    else:
        _check_length(info, value, info.value_length(initiator=from_initiator))
