"""The sans-IO IKE SA and its state-free negotiation helpers (RFC 7296 §2.7, §2.9)."""

from __future__ import annotations

from .config import Identity, IKEConfig
from .events import (
    AuthenticationFailed,
    ChildSAEstablished,
    ConnectionFailed,
    Event,
    IKESADeleted,
    IKESAEstablished,
    RetransmitTimeout,
)
from .ike_sa import ChildSA, IKEConnection
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

__all__ = [
    "COMBINED_MODE_ENCR",
    "TRANSITIONS",
    "AuthenticationFailed",
    "ChildSA",
    "ChildSAEstablished",
    "ConnectionFailed",
    "Event",
    "IKEConfig",
    "IKEConnection",
    "IKESADeleted",
    "IKESAEstablished",
    "Identity",
    "NarrowedPair",
    "Prefer",
    "RetransmitTimeout",
    "Role",
    "State",
    "Stimulus",
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
