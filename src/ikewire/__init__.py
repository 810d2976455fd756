"""ikewire: a pure-protocol, sans-IO IKEv2 library (with an IKEv1 codec).

See the project README and ``docs/`` for the tour; the names exported here are the
public API contract (DESIGN.md).
"""

from __future__ import annotations

from . import certbundle, constants, crypto, wire
from .connection import (
    AddressPool,
    AuthenticationFailed,
    CertificateCache,
    CertificateFetchRequested,
    ChildSADeleted,
    ChildSAEstablished,
    ConnectionFailed,
    EndpointEvent,
    Event,
    Identity,
    IKEConfig,
    IKEConnection,
    IKEEndpoint,
    IKESADeleted,
    IKESAEstablished,
    NotifyReceived,
    PeerAlive,
    RetransmitTimeout,
    TrustStore,
)
from .crypto.decrypt import decrypt, reassemble
from .crypto.keys import ChildSAKeys, IKESAKeys
from .errors import (
    ConfigError,
    CryptoError,
    DecodeError,
    EncodeError,
    IKEError,
    IntegrityError,
    ProtocolError,
)
from .wire import decode, encode
from .wire.models import Message, Payload, Proposal, Transform

__version__ = "0.1.0"

__all__ = [
    "AddressPool",
    "AuthenticationFailed",
    "CertificateCache",
    "CertificateFetchRequested",
    "ChildSADeleted",
    "ChildSAEstablished",
    "ChildSAKeys",
    "ConfigError",
    "ConnectionFailed",
    "CryptoError",
    "DecodeError",
    "EncodeError",
    "EndpointEvent",
    "Event",
    "IKEConfig",
    "IKEConnection",
    "IKEEndpoint",
    "IKEError",
    "IKESADeleted",
    "IKESAEstablished",
    "IKESAKeys",
    "Identity",
    "IntegrityError",
    "Message",
    "NotifyReceived",
    "Payload",
    "PeerAlive",
    "Proposal",
    "ProtocolError",
    "RetransmitTimeout",
    "Transform",
    "TrustStore",
    "__version__",
    "certbundle",
    "constants",
    "crypto",
    "decode",
    "decrypt",
    "encode",
    "reassemble",
    "wire",
]
