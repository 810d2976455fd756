"""SK payload protection (ikewire.crypto.cipher): known answers, round trips, tampering.

Known answers:
* RFC 7634 Appendix B: the ChaCha20-Poly1305 IKEv2 INFORMATIONAL message
  (vectors/rfc/rfc7634_appB_ikev2_chacha20poly1305.json).
* strongSwan's test vectors (vectors/strongswan-test-vectors/, values from RFC 3602,
  RFC 3686, RFC 2202, RFC 3566, RFC 4493/4494, RFC 4868, RFC 7539/7634, McGrew & Viega
  GCM, NIST 3DES/CCM): AEAD vectors are exactly an SK body (key = key | salt, 8-octet
  IV, ciphertext | ICV); cipher vectors are checked through a CBC/CTR SK body; integrity
  vectors through the ICV function.
The Wireshark captures are in test_decrypt_captures.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ikewire.crypto.cipher import (
    SKCipher,
    _integrity,
    sk_cipher,
    supported_encr_ids,
    supported_integ_ids,
)
from ikewire.crypto.keys import ENCR_INFO, INTEG_INFO, IKESAKeys
from ikewire.errors import (
    ConfigError,
    CryptoError,
    DecodeError,
    EncodeError,
    IKEError,
    IntegrityError,
)

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
RFC7634 = json.loads((VECTORS / "rfc" / "rfc7634_appB_ikev2_chacha20poly1305.json").read_text())
STRONGSWAN = json.loads(
    (VECTORS / "strongswan-test-vectors" / "strongswan_test_vectors.json").read_text()
)["files"]

ENCR_IDS = {
    "ENCR_3DES": 3,
    "ENCR_AES_CBC": 12,
    "ENCR_AES_CTR": 13,
    "ENCR_AES_CCM_ICV8": 14,
    "ENCR_AES_CCM_ICV12": 15,
    "ENCR_AES_CCM_ICV16": 16,
    "ENCR_AES_GCM_ICV8": 18,
    "ENCR_AES_GCM_ICV12": 19,
    "ENCR_AES_GCM_ICV16": 20,
    "ENCR_CHACHA20_POLY1305": 28,
}
INTEG_IDS = {
    "AUTH_HMAC_MD5_96": 1,
    "AUTH_HMAC_SHA1_96": 2,
    "AUTH_AES_XCBC_96": 5,
    "AUTH_HMAC_MD5_128": 6,
    "AUTH_HMAC_SHA1_160": 7,
    "AUTH_AES_CMAC_96": 8,
    "AUTH_HMAC_SHA2_256_128": 12,
    "AUTH_HMAC_SHA2_384_192": 13,
    "AUTH_HMAC_SHA2_512_256": 14,
}


def _vectors(vtype: str) -> list[dict[str, Any]]:
    return [v for vs in STRONGSWAN.values() for v in vs if v["type"] == vtype]


def _h(v: dict[str, Any], field: str, length: int | None = None) -> bytes:
    data = bytes.fromhex(v.get(field, ""))
    return data if length is None else data[:length]


# ------------------------------------------------------------------------- RFC 7634 App. B


def test_rfc7634_appendix_b_opens_and_seals_byte_exact() -> None:
    """RFC 7634 Appendix B: the encrypted INFORMATIONAL message opens to N(SET_WINDOW_SIZE)
    with Pad Length 0, and sealing the plaintext with the same IV gives the same octets."""
    cipher = sk_cipher(28, 256, 0, bytes.fromhex(RFC7634["sk_e_key_with_salt"]))
    message = bytes.fromhex(RFC7634["ike_message"])
    aad = bytes.fromhex(RFC7634["aad"])
    assert message.startswith(aad) and len(aad) == 32  # IKE header + SK generic header
    body = message[len(aad) :]
    padded = bytes.fromhex(RFC7634["plaintext_inner_payloads_plus_padlen"])
    assert cipher.open_padded(aad, body) == padded
    assert cipher.open(aad, body) == padded[:-1]
    assert cipher.seal(aad, padded[:-1], bytes.fromhex(RFC7634["iv"])) == body
    assert aad + cipher.seal_padded(aad, padded, bytes.fromhex(RFC7634["iv"])) == message


def test_rfc7634_through_from_keys() -> None:
    """The responder→initiator direction uses SK_er (RFC 7296 §2.14); RFC 7634 App. B's
    message has the I flag clear, so it is the responder's."""
    key = bytes.fromhex(RFC7634["sk_e_key_with_salt"])
    keys = IKESAKeys(5, 28, 256, 0, b"", b"", b"", bytes(36), key, b"", b"")
    message = bytes.fromhex(RFC7634["ike_message"])
    assert message[19] & 0x08 == 0
    responder = SKCipher.from_keys(keys, sender_is_initiator=False)
    assert responder.open(message[:32], message[32:]) == bytes.fromhex("0000000c000040010000000a")
    initiator = SKCipher.from_keys(keys, sender_is_initiator=True)
    with pytest.raises(IntegrityError):
        initiator.open(message[:32], message[32:])


# ------------------------------------------------------------------------- strongSwan KATs


AEAD_VECTORS = _vectors("aead_test_vector_t")


@pytest.mark.parametrize("v", AEAD_VECTORS, ids=[v["name"] for v in AEAD_VECTORS])
def test_aead_known_answers(v: dict[str, Any]) -> None:
    """An AEAD vector is an SK body: IV | ciphertext | ICV, nonce = salt | IV."""
    encr_id = ENCR_IDS[v["alg"]]
    key_size, salt_size = int(v["key_size"]), int(v["salt_size"])
    n, alen = int(v["len"]), int(v["alen"])
    key = _h(v, "key", key_size + salt_size)
    iv, aad, plain = _h(v, "iv"), _h(v, "adata", alen), _h(v, "plain", n)
    expected = _h(v, "cipher", n + ENCR_INFO[encr_id].icv_size)
    cipher = sk_cipher(encr_id, key_size * 8, None, key)
    body = iv + expected
    assert cipher.open_padded(aad, body) == plain
    if plain:
        assert cipher.seal_padded(aad, plain, iv) == body
    # One flipped bit anywhere in the AAD, IV, ciphertext or ICV: IntegrityError.
    for i in range(0, len(body) * 8, 7):
        flipped = bytearray(body)
        flipped[i // 8] ^= 1 << (i % 8)
        with pytest.raises(IntegrityError):
            cipher.open_padded(aad, bytes(flipped))
    if aad:
        with pytest.raises(IntegrityError):
            cipher.open_padded(bytes([aad[0] ^ 0x80]) + aad[1:], body)


CRYPTER_VECTORS = _vectors("crypter_test_vector_t")


@pytest.mark.parametrize("v", CRYPTER_VECTORS, ids=[v["name"] for v in CRYPTER_VECTORS])
def test_cipher_known_answers(v: dict[str, Any]) -> None:
    """RFC 3602 / NIST SP 800-38A AES-CBC, RFC 3686 AES-CTR (key | nonce), NIST 3DES:
    the ciphertext between IV and ICV of an SK body is the published one."""
    encr_id = ENCR_IDS[v["alg"]]
    key_size, n = int(v["key_size"]), int(v["len"])
    key = _h(v, "key", key_size + ENCR_INFO[encr_id].salt_size)
    iv, plain, expected = _h(v, "iv"), _h(v, "plain", n), _h(v, "cipher", n)
    sk_a = bytes(range(32))
    cipher = sk_cipher(encr_id, key_size * 8, 12, key, sk_a)  # + AUTH_HMAC_SHA2_256_128
    aad = bytes(32)
    body = cipher.seal_padded(aad, plain, iv)
    assert body[: len(iv)] == iv
    assert body[len(iv) : -16] == expected
    assert cipher.open_padded(aad, body) == plain


SIGNER_VECTORS = [v for v in _vectors("signer_test_vector_t") if v["alg"] in INTEG_IDS]


@pytest.mark.parametrize("v", SIGNER_VECTORS, ids=[v["name"] for v in SIGNER_VECTORS])
def test_integrity_known_answers(v: dict[str, Any]) -> None:
    """RFC 2202 HMAC-MD5/SHA1 (-96, -128, -160), RFC 3566 AES-XCBC-MAC-96, RFC 4494
    AES-CMAC-96, RFC 4868 HMAC-SHA2 truncated ICVs."""
    integ_id = INTEG_IDS[v["alg"]]
    size = INTEG_INFO[integ_id].icv_size
    # strongSwan compares the signer's output size; its array may run longer.
    key, data, mac = _h(v, "key"), _h(v, "data", int(v["len"])), _h(v, "mac", size)
    assert len(mac) == size
    icv = _integrity(integ_id, key, INTEG_INFO[integ_id].icv_size)
    assert icv(b"", data) == mac
    for split in {0, len(data) // 2, len(data)}:
        assert icv(data[:split], data[split:]) == mac
    if data and len(key) == INTEG_INFO[integ_id].key_size:
        # Through a whole SK body with ENCR_NULL: the ICV covers aad | "ciphertext".
        null = sk_cipher(11, None, integ_id, b"", key)
        body = null.seal_padded(data[:-1], data[-1:], b"")
        assert body == data[-1:] + mac
        assert null.open_padded(data[:-1], body) == data[-1:]


def test_every_supported_integrity_transform_has_a_known_answer() -> None:
    covered = {INTEG_IDS[v["alg"]] for v in SIGNER_VECTORS}
    assert covered == supported_integ_ids() - {0}


def test_every_supported_cipher_has_a_known_answer() -> None:
    covered = {ENCR_IDS[v["alg"]] for v in AEAD_VECTORS + CRYPTER_VECTORS}
    # ENCR_NULL has nothing to know; Camellia-CBC only round-trips here.
    assert covered == supported_encr_ids() - {11, 23}


# ------------------------------------------------------------------------- round trips

# (encr_id, key_bits) for every supported cipher and key size.
CIPHERS = [(e, bits) for e in sorted(supported_encr_ids()) for bits in ENCR_INFO[e].key_sizes]
INTEGS = sorted(supported_integ_ids() - {0})


def _make(encr_id: int, bits: int, integ_id: int) -> SKCipher:
    info = ENCR_INFO[encr_id]
    sk_e = bytes((i * 7 + encr_id) & 0xFF for i in range(bits // 8 + info.salt_size))
    if info.aead:
        return sk_cipher(encr_id, bits, 0, sk_e)
    sk_a = bytes((i * 13 + integ_id) & 0xFF for i in range(INTEG_INFO[integ_id].key_size))
    return sk_cipher(encr_id, bits, integ_id, sk_e, sk_a)


COMBOS = sorted(
    {(e, b, 0 if ENCR_INFO[e].aead else i) for e, b in CIPHERS for i in INTEGS},
)
CIPHER_OBJECTS = {combo: _make(*combo) for combo in COMBOS}


@pytest.mark.parametrize("combo", COMBOS, ids=[f"{e}-{b}-{i}" for e, b, i in COMBOS])
@settings(max_examples=12, deadline=None)
@given(
    plaintext=st.binary(max_size=300),
    extra_pad_blocks=st.integers(0, 3),
    pad_octet=st.integers(0, 255),
    aad=st.binary(min_size=28, max_size=40),
    data=st.data(),
)
def test_seal_open_round_trip(
    combo: tuple[int, int, int],
    plaintext: bytes,
    extra_pad_blocks: int,
    pad_octet: int,
    aad: bytes,
    data: st.DataObject,
) -> None:
    """seal → open gives the plaintext back for every encryption × integrity pair, any
    padding that keeps the alignment, and any Padding octets (RFC 7296 §3.14)."""
    cipher = CIPHER_OBJECTS[combo]
    iv = data.draw(st.binary(min_size=cipher.iv_size, max_size=cipher.iv_size))
    pad_length = cipher.pad_length(len(plaintext)) + extra_pad_blocks * cipher.block_size
    padding = bytes([pad_octet]) * pad_length
    body = cipher.seal(aad, plaintext, iv, padding)
    assert len(body) == cipher.body_length(len(plaintext), pad_length)
    assert body[: cipher.iv_size] == iv
    assert cipher.open(aad, body) == plaintext
    assert cipher.open_padded(aad, body) == plaintext + padding + bytes([pad_length])
    # Tampering with a random bit of the AAD or the body is detected.
    where = data.draw(st.integers(0, (len(aad) + len(body)) * 8 - 1))
    message = bytearray(aad + body)
    message[where // 8] ^= 1 << (where % 8)
    with pytest.raises(IntegrityError):
        cipher.open(bytes(message[: len(aad)]), bytes(message[len(aad) :]))


def test_minimum_padding() -> None:
    """The sender pads to the block size with the minimum Padding (RFC 7296 §3.14)."""
    cbc = _make(12, 128, 12)
    assert [cbc.pad_length(n) for n in (0, 14, 15, 16, 31)] == [15, 1, 0, 15, 0]
    assert _make(3, 192, 2).pad_length(6) == 1
    assert _make(20, 256, 0).pad_length(5) == 0
    assert _make(13, 128, 12).pad_length(5) == 0


def test_cbc_open_is_independent_of_previous_messages() -> None:
    """Interleaved bodies open correctly (the CBC decryption context is shared)."""
    cipher = _make(12, 256, 12)
    aad = bytes(32)
    bodies = [cipher.seal(aad, bytes([i]) * (i * 5), bytes([i]) * 16) for i in range(1, 5)]
    for _ in range(2):
        for i, body in reversed(list(enumerate(bodies, 1))):
            assert cipher.open(aad, body) == bytes([i]) * (i * 5)


# ------------------------------------------------------------------------- errors


@pytest.mark.parametrize("combo", COMBOS, ids=[f"{e}-{b}-{i}" for e, b, i in COMBOS])
def test_short_bodies_fail_integrity(combo: tuple[int, int, int]) -> None:
    """A body too short for IV and ICV never authenticates and raises IntegrityError."""
    cipher = CIPHER_OBJECTS[combo]
    for n in range(cipher.iv_size + cipher.icv_size + 1):
        with pytest.raises(IntegrityError):
            cipher.open(bytes(32), bytes(n))


def test_authentic_bad_pad_length_is_decode_error() -> None:
    """Pad Length larger than what precedes it, in an authentic body: DecodeError."""
    for combo in [(20, 256, 0), (28, 256, 0), (12, 128, 2), (13, 128, 12), (18, 128, 0)]:
        cipher = CIPHER_OBJECTS[combo]
        padded = bytes(cipher.block_size - 1) + bytes([cipher.block_size])
        body = cipher.seal_padded(bytes(32), padded, bytes(cipher.iv_size))
        with pytest.raises(DecodeError) as e:
            cipher.open(bytes(32), body)
        assert not isinstance(e.value, IntegrityError)


def test_authentic_empty_plaintext_is_decode_error() -> None:
    """An AEAD body with no encrypted octets at all (no Pad Length): DecodeError."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    cipher = CIPHER_OBJECTS[(20, 128, 0)]
    sk_e = bytes((i * 7 + 20) & 0xFF for i in range(20))  # as _make builds it
    tag = AESGCM(sk_e[:16]).encrypt(sk_e[16:] + bytes(8), b"", bytes(32))
    assert cipher.open_padded(bytes(32), bytes(8) + tag) == b""
    with pytest.raises(DecodeError):
        cipher.open(bytes(32), bytes(8) + tag)


def test_authentic_misaligned_cbc_body_is_decode_error() -> None:
    """A CBC body whose ciphertext is not block-aligned but whose ICV verifies."""
    cipher = CIPHER_OBJECTS[(12, 128, 12)]
    from cryptography.hazmat.primitives import hashes, hmac

    sk_a = bytes((i * 13 + 12) & 0xFF for i in range(32))
    signed = bytes(16) + bytes(20)  # IV + 20 octets of "ciphertext"
    h = hmac.HMAC(sk_a, hashes.SHA256())
    h.update(bytes(32) + signed)
    with pytest.raises(DecodeError):
        cipher.open(bytes(32), signed + h.finalize()[:16])


def test_seal_argument_errors() -> None:
    cbc = CIPHER_OBJECTS[(12, 128, 12)]
    with pytest.raises(EncodeError):
        cbc.seal(b"", b"x", bytes(8))  # IV size
    with pytest.raises(EncodeError):
        cbc.seal(b"", b"x", bytes(16), b"")  # not aligned
    assert len(cbc.seal(b"", b"x", bytes(16))) == 16 + 16 + 16  # default: minimum padding
    with pytest.raises(EncodeError):
        cbc.seal(b"", b"", bytes(16), bytes(256))  # Pad Length is one octet
    gcm = CIPHER_OBJECTS[(20, 128, 0)]
    with pytest.raises(EncodeError):
        gcm.seal(b"", b"x", bytes(12))
    with pytest.raises(EncodeError):
        gcm.seal_padded(b"", b"", bytes(8))


def test_construction_errors() -> None:
    with pytest.raises(CryptoError):
        sk_cipher(1, None, 2, bytes(8), bytes(20))  # ENCR_DES_IV64
    with pytest.raises(CryptoError):
        sk_cipher(12, 128, 9, bytes(16), bytes(20))  # AUTH_AES_128_GMAC is ESP-only
    with pytest.raises(CryptoError):
        sk_cipher(12, 100, 2, bytes(16), bytes(20))  # no 100-bit AES
    with pytest.raises(ConfigError):
        sk_cipher(12, 128, 2, bytes(15), bytes(20))  # SK_e too short
    with pytest.raises(ConfigError):
        sk_cipher(20, 128, 2, bytes(20), bytes(20))  # AEAD + integrity (RFC 5282 §8)
    with pytest.raises(ConfigError):
        sk_cipher(20, 128, 0, bytes(16))  # salt missing
    with pytest.raises(ConfigError):
        sk_cipher(12, 128, 0, bytes(16))  # CBC without integrity
    with pytest.raises(ConfigError):
        sk_cipher(12, 128, 12, bytes(16), bytes(31))  # SK_a length


def test_unchecked_icv_opens_without_verifying_and_cannot_seal() -> None:
    """Wireshark's "ANY 96-bits of Authentication [No Checking]"."""
    key = bytes(range(20))
    checked = sk_cipher(13, 128, 2, key, bytes(20))
    unchecked = sk_cipher(13, 128, 0, key, unchecked_icv_size=12)
    assert not unchecked.integrity_checked and checked.integrity_checked
    body = checked.seal(bytes(32), b"inner", bytes(8))
    assert unchecked.open(bytes(32), body) == b"inner"
    assert unchecked.open(bytes(32), body[:-12] + bytes(12)) == b"inner"
    with pytest.raises(ConfigError):
        unchecked.seal(bytes(32), b"inner", bytes(8))
    with pytest.raises(ConfigError):
        sk_cipher(20, 128, 0, bytes(20), unchecked_icv_size=16)


def test_every_error_is_an_ikeerror() -> None:
    """Arbitrary garbage bodies raise only ikewire errors."""
    for combo, cipher in CIPHER_OBJECTS.items():
        for n in (0, 1, 7, 8, 9, 16, 17, 24, 33, 48, 64, 100):
            try:
                cipher.open(b"", bytes(range(n)))
            except IKEError:
                pass
            else:  # pragma: no cover - would be a forgery
                pytest.fail(f"{combo}: {n} zero-ish octets authenticated")


def test_repr_hides_keys() -> None:
    cipher = sk_cipher(12, 256, 12, b"\xaa" * 32, b"\xbb" * 32)
    assert repr(cipher) == "<SKCipher ENCR_AES_CBC-256 AUTH_HMAC_SHA2_256_128>"
