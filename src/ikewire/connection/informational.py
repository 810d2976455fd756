"""INFORMATIONAL (RFC 7296 §1.4): Delete, liveness and error notifies."""

from __future__ import annotations

from ..constants import (
    ExchangeType,
    NotifyType,
    ProtocolId,
)
from ..wire.models import (
    Delete,
    Message,
    Notify,
    Payload,
)
from .events import (
    ChildSADeleted,
    IKESADeleted,
    NotifyReceived,
    PeerAlive,
)
from .sa_core import SACore
from .sa_records import (
    Address,
    ChildSA,
    _Outstanding,
)
from .state import Role, State, Stimulus


class InformationalExchange(SACore):
    """INFORMATIONAL (RFC 7296 §1.4): Delete, liveness and error notifies."""

    # ------------------------------------------------------------------ INFORMATIONAL

    def _on_informational_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        framed: bool,
        now: float,
        inner: tuple[Payload, ...],
    ) -> None:
        """RFC 7296 §1.4: Delete, notifies, or nothing (a liveness check)."""
        self._update_path(addr, framed)
        notifies = [x for x in inner if type(x) is Notify]
        self._learn_window(notifies)
        deletes = [x for x in inner if type(x) is Delete]
        deletes_ike = any(d.protocol_id == ProtocolId.IKE for d in deletes)
        auth_failed = any(n.notify_type == NotifyType.AUTHENTICATION_FAILED for n in notifies)
        reply: list[Payload] = []
        removed: list[ChildSA] = []
        if not deletes_ike and not auth_failed:
            reply, removed = self._peer_deletes_children(deletes)
        response = self._seal(ExchangeType.INFORMATIONAL, msg.message_id, reply, response=True)
        self._respond(msg.message_id, data, response)
        if auth_failed:
            # RFC 7296 §2.21.2: the initiator rejected our AUTH; the IKE SA is void.
            self._fail(NotifyType.AUTHENTICATION_FAILED, "the peer rejected our AUTH")
        elif deletes_ike and self._peer_ike_rekey is not None and not self._is_side:
            # RFC 7296 §2.8.2: both rekeyed the IKE SA and the peer's rekey, which we
            # answered, won — the peer moved to it and deletes the old one. We follow:
            # the old SA (answered, closed) stays beside us for retransmissions, and
            # our own rekey is forgotten (§2.25.2).
            t_suite, t_keys, t_group, _ = self._peer_ike_rekey
            self._peer_ike_rekey = None
            old = self._switch_ike_sa(t_suite, t_keys, t_group, Role.RESPONDER, now)
            old._outstanding.clear()
            old._advance(Stimulus.RECV_DELETE)
        elif deletes_ike:
            # RFC 7296 §1.4.1: answer with an empty INFORMATIONAL; the SA is gone.
            self._abandon_requests()
            self._advance(Stimulus.RECV_DELETE)
            self.child_sas.clear()
            self._events.append(IKESADeleted(local=False))
        else:
            for child in removed:
                self._events.append(ChildSADeleted(child.spi_in, child.spi_out, local=False))
            for n in notifies:
                if n.is_error:
                    # RFC 7296 §3.10.1: e.g. INVALID_SPI; reported, the SA stands.
                    self._events.append(NotifyReceived(int(n.notify_type), n.spi, n.data))

    def _peer_deletes_children(self, deletes: list[Delete]) -> tuple[list[Payload], list[ChildSA]]:
        """RFC 7296 §1.4.1: the peer deletes its inbound SAs (our outbound SPIs); we
        answer with Deletes of the paired inbound SPIs, and unknown SPIs are ignored."""
        removed: list[ChildSA] = []
        by_protocol: dict[int, list[bytes]] = {}
        for d in deletes:
            for spi in d.spis:
                child = next((c for c in self.child_sas if c.spi_out == spi), None)
                if child is None or child in removed:
                    continue
                removed.append(child)
                by_protocol.setdefault(int(d.protocol_id), []).append(child.spi_in)
        for child in removed:
            self.child_sas.remove(child)
        reply: list[Payload] = [
            Delete(protocol, 4, tuple(spis)) for protocol, spis in by_protocol.items()
        ]
        return reply, removed

    def _on_informational_response(
        self, msg: Message, data: bytes, o: _Outstanding, now: float, inner: tuple[Payload, ...]
    ) -> None:
        self._complete(msg.message_id, now)
        if o.purpose == "delete_ike":
            if self.state is State.DELETING:
                self._advance(Stimulus.RECV_DELETE_RESPONSE)
                self.child_sas.clear()
                self._events.append(IKESADeleted(local=True))
        elif o.purpose == "delete_child":
            child = self._child_by_spi_in(o.context[0])
            if child is not None:
                self.child_sas.remove(child)
                self._events.append(ChildSADeleted(child.spi_in, child.spi_out, local=True))
        elif o.purpose == "liveness":
            self._events.append(PeerAlive(msg.message_id))
