"""The sans-IO IKE SA and its state-free negotiation helpers (RFC 7296 §2.7, §2.9)."""

from __future__ import annotations

from .certcache import CertificateCache
from .config import Identity, IKEConfig
from .cookies import CookieJar
from .endpoint import EndpointEvent, EndpointStats, IKEEndpoint
from .events import (
    AuthenticationFailed,
    CertificateFetchRequested,
    ChildSADeleted,
    ChildSAEstablished,
    ConnectionFailed,
    Event,
    IKESADeleted,
    IKESAEstablished,
    NotifyReceived,
    PeerAlive,
    RetransmitTimeout,
)
from .ike_sa import ChildSA, IKEConnection
from .pool import AddressPool
from .proposals import (
    COMBINED_MODE_ENCR,
    Prefer,
    acceptable_ke_methods,
    check_invalid_ke,
    check_selected,
    is_combined_mode,
    ke_mismatch,
    select_proposal,
)
from .selectors import (
    NarrowedPair,
    check_narrowed,
    contains,
    intersect,
    is_subset,
    narrow,
    narrow_pair,
    ts_from_string,
    ts_to_string,
)
from .state import TRANSITIONS, Role, State, Stimulus
from .trust import CertificateError, TrustFailure, TrustStore

__all__ = [
    "COMBINED_MODE_ENCR",
    "TRANSITIONS",
    "AddressPool",
    "AuthenticationFailed",
    "CertificateCache",
    "CertificateError",
    "CertificateFetchRequested",
    "ChildSA",
    "ChildSADeleted",
    "ChildSAEstablished",
    "ConnectionFailed",
    "CookieJar",
    "EndpointEvent",
    "EndpointStats",
    "Event",
    "IKEConfig",
    "IKEConnection",
    "IKEEndpoint",
    "IKESADeleted",
    "IKESAEstablished",
    "Identity",
    "NarrowedPair",
    "NotifyReceived",
    "PeerAlive",
    "Prefer",
    "RetransmitTimeout",
    "Role",
    "State",
    "Stimulus",
    "TrustFailure",
    "TrustStore",
    "acceptable_ke_methods",
    "check_invalid_ke",
    "check_narrowed",
    "check_selected",
    "contains",
    "intersect",
    "is_combined_mode",
    "is_subset",
    "ke_mismatch",
    "narrow",
    "narrow_pair",
    "select_proposal",
    "ts_from_string",
    "ts_to_string",
]
