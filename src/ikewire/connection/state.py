"""The IKE SA state machine, as a literal table (h11 style).

Rows are (role, state, stimulus) -> next state. A stimulus is an exchange sent or
received, or an error. Anything not in the table is a local error (API misuse) or is
ignored on receipt (RFC 7296 §2.21: unexpected messages are dropped).
"""

from __future__ import annotations

import enum
from typing import Final

from ..errors import ConfigError

__all__ = ["TRANSITIONS", "Role", "State", "Stimulus", "next_state"]


class Role(enum.Enum):
    INITIATOR = "initiator"
    RESPONDER = "responder"


class State(enum.Enum):
    IDLE = "IDLE"
    INIT_SENT = "INIT_SENT"  # initiator: IKE_SA_INIT request out
    INTERMEDIATE = "INTERMEDIATE"  # initiator: IKE_INTERMEDIATE exchanges (RFC 9242)
    INIT_DONE = "INIT_DONE"  # responder: IKE_SA_INIT answered, waiting for IKE_AUTH
    AUTH_SENT = "AUTH_SENT"  # initiator: IKE_AUTH request out
    ESTABLISHED = "ESTABLISHED"
    DELETING = "DELETING"  # our INFORMATIONAL Delete is out
    CLOSED = "CLOSED"
    FAILED = "FAILED"


class Stimulus(enum.Enum):
    SEND_INIT = "send IKE_SA_INIT request"
    RECV_INIT_REQUEST = "receive IKE_SA_INIT request"
    RECV_INIT_RETRY = "receive INVALID_KE_PAYLOAD or COOKIE"  # RFC 7296 §1.3, §2.6
    RECV_INIT_RESPONSE = "receive IKE_SA_INIT response"
    RECV_INIT_RESPONSE_ADDKE = "receive IKE_SA_INIT response with additional key exchanges"
    INTERMEDIATE_DONE = "complete the last IKE_INTERMEDIATE exchange"
    RECV_AUTH_REQUEST = "receive IKE_AUTH request"
    RECV_AUTH_RESPONSE = "receive IKE_AUTH response"
    SEND_DELETE = "send Delete"
    RECV_DELETE = "receive Delete"
    RECV_DELETE_RESPONSE = "receive Delete response"
    FAIL = "error or retransmit timeout"
    ABANDON = "close before the IKE SA is established"
    DISCARD = "forget the IKE SA without a Delete (INITIAL_CONTACT on another)"


_I, _R = Role.INITIATOR, Role.RESPONDER
S = State

TRANSITIONS: Final[dict[tuple[Role, State, Stimulus], State]] = {
    # RFC 7296 §1.2: the initiator's initial exchanges
    (_I, S.IDLE, Stimulus.SEND_INIT): S.INIT_SENT,
    (_I, S.INIT_SENT, Stimulus.RECV_INIT_RETRY): S.INIT_SENT,
    (_I, S.INIT_SENT, Stimulus.RECV_INIT_RESPONSE): S.AUTH_SENT,
    # RFC 9242, RFC 9370: IKE_INTERMEDIATE exchanges before IKE_AUTH (the responder
    # stays INIT_DONE, half-open, until IKE_AUTH)
    (_I, S.INIT_SENT, Stimulus.RECV_INIT_RESPONSE_ADDKE): S.INTERMEDIATE,
    (_I, S.INTERMEDIATE, Stimulus.INTERMEDIATE_DONE): S.AUTH_SENT,
    (_I, S.AUTH_SENT, Stimulus.RECV_AUTH_RESPONSE): S.ESTABLISHED,
    # the responder's
    (_R, S.IDLE, Stimulus.RECV_INIT_REQUEST): S.INIT_DONE,
    (_R, S.INIT_DONE, Stimulus.RECV_AUTH_REQUEST): S.ESTABLISHED,
    # RFC 7296 §1.4.1: deleting the IKE SA, either side
    (_I, S.ESTABLISHED, Stimulus.SEND_DELETE): S.DELETING,
    (_R, S.ESTABLISHED, Stimulus.SEND_DELETE): S.DELETING,
    (_I, S.ESTABLISHED, Stimulus.RECV_DELETE): S.CLOSED,
    (_R, S.ESTABLISHED, Stimulus.RECV_DELETE): S.CLOSED,
    (_I, S.DELETING, Stimulus.RECV_DELETE): S.CLOSED,
    (_R, S.DELETING, Stimulus.RECV_DELETE): S.CLOSED,
    (_I, S.DELETING, Stimulus.RECV_DELETE_RESPONSE): S.CLOSED,
    (_R, S.DELETING, Stimulus.RECV_DELETE_RESPONSE): S.CLOSED,
}
# Any live state fails on FAIL.
for _role in Role:
    for _state in (
        S.IDLE,
        S.INIT_SENT,
        S.INTERMEDIATE,
        S.INIT_DONE,
        S.AUTH_SENT,
        S.ESTABLISHED,
        S.DELETING,
    ):
        TRANSITIONS[(_role, _state, Stimulus.FAIL)] = S.FAILED
    # Closing before IKE_AUTH completes: nothing to delete at the peer.
    for _state in (S.IDLE, S.INIT_SENT, S.INTERMEDIATE, S.INIT_DONE, S.AUTH_SENT):
        TRANSITIONS[(_role, _state, Stimulus.ABANDON)] = S.CLOSED
    # RFC 7296 §2.4: the peer asserted, on another IKE SA, that it has no other: this
    # one is gone at its end, and goes here without an exchange.
    for _state in (S.ESTABLISHED, S.DELETING):
        TRANSITIONS[(_role, _state, Stimulus.DISCARD)] = S.CLOSED


def next_state(role: Role, state: State, stimulus: Stimulus) -> State:
    """The state after ``stimulus``; ConfigError if the table has no such row."""
    try:
        return TRANSITIONS[(role, state, stimulus)]
    except KeyError:
        raise ConfigError(f"{role.value} in {state.value}: cannot {stimulus.value}") from None
