"""ikewire: a pure-protocol, sans-IO IKEv2 library (with an IKEv1 codec).

See the project README and ``docs/`` for the tour; the names exported here are the
public API contract.
"""

from __future__ import annotations

from .errors import (
    ConfigError,
    CryptoError,
    DecodeError,
    EncodeError,
    IKEError,
    IntegrityError,
    ProtocolError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "CryptoError",
    "DecodeError",
    "EncodeError",
    "IKEError",
    "IntegrityError",
    "ProtocolError",
    "__version__",
]
