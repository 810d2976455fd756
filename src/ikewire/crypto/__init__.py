"""The IKE crypto layer: PRFs, key derivation, SK/SKF protection, key exchange
groups and AUTH. Every primitive comes from ``cryptography``; nothing here imports
the connection layer.

The submodules are ``prf``, ``keys``, ``cipher``, ``groups``, ``auth``, ``decrypt``
and ``keytable``; the most used names are re-exported here.
"""

from __future__ import annotations

from .cipher import SKCipher, open_message, seal_message, sk_cipher
from .decrypt import decrypt, reassemble
from .groups import KeyExchange, group_info, new_key_exchange, supported_methods
from .keys import (
    ChildSAKeys,
    IKESAKeys,
    apply_ppk,
    derive_child_sa_keys,
    derive_ike_sa_keys,
    skeyseed,
    update_ike_sa_keys,
)
from .prf import Prf, prf_for

__all__ = [
    "ChildSAKeys",
    "IKESAKeys",
    "KeyExchange",
    "Prf",
    "SKCipher",
    "apply_ppk",
    "decrypt",
    "derive_child_sa_keys",
    "derive_ike_sa_keys",
    "group_info",
    "new_key_exchange",
    "open_message",
    "prf_for",
    "reassemble",
    "seal_message",
    "sk_cipher",
    "skeyseed",
    "supported_methods",
    "update_ike_sa_keys",
]
