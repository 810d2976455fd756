"""CREATE_CHILD_SA (RFC 7296 §1.3): new Child SAs, Child and IKE SA rekeys (§2.8,
§2.18) with their collisions, IKE_FOLLOWUP_KE (RFC 9370 §2.2.4).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from ..constants import (
    ExchangeType,
    NotifyType,
    ProtocolId,
    to_enum,
)
from ..crypto.cipher import SKCipher
from ..crypto.groups import new_key_exchange
from ..crypto.keys import (
    IKESAKeys,
    derive_ike_sa_keys,
)
from ..crypto.prf import prf_for
from ..errors import ConfigError, DecodeError, ProtocolError
from ..wire.models import (
    KE,
    SA,
    Message,
    Nonce,
    Notify,
    Payload,
    Proposal,
    Selector,
    TSi,
    TSr,
)
from ..wire.notify import (
    invalid_ke_group,
    rekey_sa,
    rekey_sa_spi,
)
from .config import as_selectors
from .events import (
    ConnectionFailed,
    Event,
    IKESARekeyed,
)
from .proposals import check_invalid_ke, check_selected, select_proposal
from .sa_core import SACore
from .sa_records import (
    _MARKER,
    _TEMPORARY_FAILURE,
    Address,
    ChildSA,
    _additional_methods,
    _ChildRequest,
    _Followup,
    _is_ike_rekey,
    _name,
    _Outstanding,
    _PeerFollowup,
    _redundant,
    _suite_name,
)
from .selectors import check_narrowed, narrow, ts_from_string
from .state import Role, State

if TYPE_CHECKING:
    from .ike_sa import IKEConnection


class CreateChildExchange(SACore):
    """CREATE_CHILD_SA (RFC 7296 §1.3): new Child SAs, Child and IKE SA rekeys (§2.8,"""

    # ------------------------------------------------------------------ CREATE_CHILD_SA

    def create_child(
        self,
        now: float,
        *,
        local_ts: Sequence[str | Selector] | None = None,
        remote_ts: Sequence[str | Selector] | None = None,
    ) -> None:
        """Another Child SA (RFC 7296 §1.3.1): CREATE_CHILD_SA with the configured
        proposals (a KE group in them means PFS) and these or the configured traffic
        selectors; :class:`ChildSAEstablished` or :class:`ConnectionFailed` follows."""
        self._require_established("create a Child SA")
        tsi = as_selectors(tuple(local_ts)) if local_ts is not None else self._local_ts
        tsr = as_selectors(tuple(remote_ts)) if remote_ts is not None else self._remote_ts
        self._request_child("new", now, tsi=tsi, tsr=tsr)

    def rekey_child(self, spi_in: bytes, now: float) -> None:
        """Rekey a Child SA (RFC 7296 §2.8): CREATE_CHILD_SA with N(REKEY_SA); the new
        SA is announced first, then the old one is deleted (make-before-break)."""
        self._require_established("rekey a Child SA")
        child = self._child_by_spi_in(spi_in)
        if child is None or child.status != "INSTALLED":
            raise ConfigError(f"no installed Child SA with inbound SPI {spi_in.hex()}")
        self._start_child_rekey(child, now)

    def rekey_ike(self, now: float) -> None:
        """Rekey the IKE SA (RFC 7296 §2.18): new SPIs and keys from the old SK_d; the
        Child SAs move over and the old IKE SA is deleted (:class:`IKESARekeyed`)."""
        self._require_established("rekey the IKE SA")
        if self._rekeying_ike():
            raise ConfigError("an IKE SA rekey is already in progress")
        self._request_child("rekey_ike", now)

    def child_sa_used(
        self, spi_in: bytes, now: float, *, octets: int = 0, packets: int = 0
    ) -> None:
        """Report traffic on a Child SA (the data path is the caller's): counts toward
        its volume limits (RFC 4301 §4.4.2.1 lifetimes in bytes and packets) and, as
        traffic from the peer, postpones the liveness check."""
        child = self._child_by_spi_in(spi_in)
        if child is None:
            raise ConfigError(f"no Child SA with inbound SPI {spi_in.hex()}")
        if octets < 0 or packets < 0:
            raise ConfigError("octets and packets must be >= 0")
        child.bytes_used += octets
        child.packets_used += packets
        if octets or packets:
            self._last_traffic = max(self._last_traffic, now)
        cfg = self.config
        if (cfg.child_life_bytes and child.bytes_used >= cfg.child_life_bytes) or (
            cfg.child_life_packets and child.packets_used >= cfg.child_life_packets
        ):
            if child.status != "DELETING" and self.state is State.ESTABLISHED:
                self.delete_child(child.spi_in, now)  # the hard limit (RFC 4301 §4.4.2.1)
        elif (
            (cfg.child_rekey_bytes and child.bytes_used >= cfg.child_rekey_bytes)
            or (cfg.child_rekey_packets and child.packets_used >= cfg.child_rekey_packets)
        ) and (child.status == "INSTALLED" and self.state is State.ESTABLISHED):
            self._start_child_rekey(child, now)

    def _start_child_rekey(self, child: ChildSA, now: float) -> None:
        child.status = "REKEYING"
        child.rekey_at = None
        # the rekey's TSi is our side (RFC 7296 §1.3.3): the child's as we made it, or
        # swapped when the peer's exchange made it
        tsi, tsr = (child.tsi, child.tsr) if child.ours else (child.tsr, child.tsi)
        self._request_child("rekey_child", now, old=child, tsi=tsi, tsr=tsr)

    def _rekeying_ike(self) -> bool:
        requests = [o.request for o in self._outstanding.values()]
        requests += [p.request for p in self._pending]
        return any(r is not None and r.kind == "rekey_ike" for r in requests)

    def _draw_spi(self, size: int) -> bytes:
        """A fresh non-zero SPI (RFC 7296 §3.3.1: zero is reserved)."""
        for _ in range(16):
            spi = self._rng(size)
            if any(spi) and spi[:4] != _MARKER[: min(4, size)]:
                return spi
        raise ConfigError("the random source gives only zero SPIs")

    def _request_child(
        self,
        kind: str,
        now: float,
        *,
        old: ChildSA | None = None,
        tsi: tuple[Selector, ...] = (),
        tsr: tuple[Selector, ...] = (),
        group: int | None = None,
        retries: int = 0,
    ) -> None:
        """Build and queue a CREATE_CHILD_SA request (RFC 7296 §1.3.1-§1.3.3)."""
        if kind == "rekey_ike":
            spi = self._draw_spi(8)
            chosen_group = self._ke_group if group is None else group
        else:
            spi = self._draw_spi(4)
            first = self._esp_proposals[0].ke_method
            chosen_group = (int(first) if first else 0) if group is None else group
        ke = new_key_exchange(chosen_group, rng=self._rng, initiator=True) if chosen_group else None
        request = _ChildRequest(
            kind,
            spi,
            self._rng(self.config.nonce_size),
            chosen_group,
            ke,
            old.spi_in if old is not None else b"",
            tsi,
            tsr,
            retries,
        )
        self._send_request(
            ExchangeType.CREATE_CHILD_SA,
            self._child_request_payloads(request, old),
            now,
            "create_child",
            request=request,
        )

    def _rekey_proposals(self) -> tuple[Proposal, ...]:
        """The IKE proposals for an IKE SA rekey: the configured ones, additional key
        exchanges included (done in IKE_FOLLOWUP_KE, RFC 9370 §2.2.4)."""
        return self._ike_proposals

    def _child_request_payloads(self, req: _ChildRequest, old: ChildSA | None) -> list[Payload]:
        ke = [KE(req.group, req.ke.public_value())] if req.ke is not None else []
        if req.kind == "rekey_ike":
            # RFC 7296 §1.3.2: SA (protocol IKE, our new 8-octet SPI), Ni, KEi
            offered = tuple(p._replace(spi=req.spi) for p in self._rekey_proposals())
            return [SA(offered), Nonce(req.ni), *ke]
        payloads: list[Payload] = []
        if old is not None:
            # RFC 7296 §1.3.3: N(REKEY_SA) names the SA by our inbound SPI
            payloads.append(rekey_sa(old.proposal.protocol_id, old.spi_in))
        payloads += self._child_notifies(transport=self.config.mode == "transport")
        offered = tuple(p._replace(spi=req.spi) for p in self._esp_proposals)
        return [*payloads, SA(offered), Nonce(req.ni), *ke, TSi(req.tsi), TSr(req.tsr)]

    # ---- the responder

    def _on_create_child_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        framed: bool,
        now: float,
        inner: tuple[Payload, ...],
    ) -> None:
        """RFC 7296 §1.3: a new Child SA, a Child SA rekey, or an IKE SA rekey; errors
        answered with the RFC's notify, the IKE SA kept (§2.21.3)."""
        self._update_path(addr, framed)
        p = Message.create(msg.exchange_type, inner, spi_i=msg.spi_i)
        notifies = {int(n.notify_type): n for n in p.notifies()}
        sa, nonce, ke = p.get(SA), p.get(Nonce), p.get(KE)
        events: list[Event] = []
        switch: Callable[[], None] | None = None
        try:
            if type(sa) is not SA or type(nonce) is not Nonce or not sa.proposals:
                raise ProtocolError(
                    "CREATE_CHILD_SA request without SA or Nonce",
                    notify=NotifyType.INVALID_SYNTAX,
                )
            peer_ke = ke if type(ke) is KE else None
            if self.state is State.DELETING:
                # RFC 7296 §2.25.2: we are closing this IKE SA
                raise ProtocolError("the IKE SA is being deleted", notify=_TEMPORARY_FAILURE)
            if sa.proposals[0].protocol_id == ProtocolId.IKE:
                reply, switch = self._answer_ike_rekey(sa, nonce, peer_ke, now)
            else:
                rekey = notifies.get(NotifyType.REKEY_SA)
                reply = self._answer_child(p, sa, nonce, peer_ke, rekey, events, now)
        except ProtocolError as e:
            reply = [Notify(e.notify, e.data)]
            events = []
            switch = None
        response = self._seal(ExchangeType.CREATE_CHILD_SA, msg.message_id, reply, response=True)
        self._respond(msg.message_id, data, response)
        self._events.extend(events)
        if switch is not None:
            switch()

    # ---- IKE_FOLLOWUP_KE (RFC 9370 §2.2.4)

    def _expect_followup(
        self, methods: list[int], finish: Callable[[list[bytes], float, list[Event]], None]
    ) -> Notify:
        """Remember a CREATE_CHILD_SA answered that needs IKE_FOLLOWUP_KE exchanges; the
        N(ADDITIONAL_KEY_EXCHANGE) with the link the initiator must send back."""
        if len(self._peer_followups) >= 2 * max(self._window, 1):
            raise ProtocolError("too many exchanges in progress", notify=_TEMPORARY_FAILURE)
        link = self._rng(8)
        self._peer_followups[link] = _PeerFollowup(list(methods), [], finish)
        return Notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, link)

    def _on_followup_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        framed: bool,
        now: float,
        inner: tuple[Payload, ...],
    ) -> None:
        """RFC 9370 §2.2.4: the next additional key exchange of a CREATE_CHILD_SA we
        answered; STATE_NOT_FOUND for a link we do not know."""
        self._update_path(addr, framed)
        link = next(
            (
                x.data
                for x in inner
                if type(x) is Notify and x.notify_type == NotifyType.ADDITIONAL_KEY_EXCHANGE
            ),
            None,
        )
        ctx = self._peer_followups.pop(link, None) if link is not None else None
        ke = next((x for x in inner if type(x) is KE), None)
        events: list[Event] = []
        self._after_response = None
        reply: list[Payload]
        if ctx is None:
            reply = [Notify(NotifyType.STATE_NOT_FOUND)]
        else:
            method = ctx.methods[len(ctx.secrets)]
            try:
                if ke is None or int(ke.group) != method:
                    raise ProtocolError(
                        "IKE_FOLLOWUP_KE without the agreed KE method",
                        notify=NotifyType.INVALID_SYNTAX,
                    )
                mine = new_key_exchange(method, rng=self._rng, initiator=False)
                ctx.secrets.append(mine.compute_secret(ke.data))
                reply = [KE(method, mine.public_value())]
                if len(ctx.secrets) < len(ctx.methods):
                    new_link = self._rng(8)
                    self._peer_followups[new_link] = ctx
                    reply.insert(0, Notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, new_link))
                else:
                    ctx.finish(ctx.secrets, now, events)
            except (ProtocolError, ConfigError) as e:
                notify = e.notify if isinstance(e, ProtocolError) else NotifyType.INVALID_SYNTAX
                reply = [Notify(notify)]
        response = self._seal(ExchangeType.IKE_FOLLOWUP_KE, msg.message_id, reply, response=True)
        self._respond(msg.message_id, data, response)
        self._events.extend(events)
        after, self._after_response = self._after_response, None
        if after is not None:
            after()

    def _start_followup(
        self,
        req: _ChildRequest,
        p: Message,
        methods: list[int],
        finish: Callable[[list[bytes], float], None],
        now: float,
    ) -> None:
        link = next(
            (n.data for n in p.notifies() if n.notify_type == NotifyType.ADDITIONAL_KEY_EXCHANGE),
            None,
        )
        if link is None:
            raise ProtocolError(
                "additional key exchanges chosen without N(ADDITIONAL_KEY_EXCHANGE)",
                notify=NotifyType.INVALID_SYNTAX,
            )
        self._followup = _Followup(req, list(methods), [], link, finish)
        self._send_followup(now)

    def _send_followup(self, now: float) -> None:
        f = self._followup
        assert f is not None
        method = f.methods[len(f.secrets)]
        f.ke = new_key_exchange(method, rng=self._rng, initiator=True)
        inner: list[Payload] = [
            Notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, f.link),
            KE(method, f.ke.public_value()),
        ]
        self._send_request(ExchangeType.IKE_FOLLOWUP_KE, inner, now, "followup", request=f.request)

    def _on_followup_response(
        self, msg: Message, o: _Outstanding, inner: tuple[Payload, ...], now: float
    ) -> None:
        f = self._followup
        self._outstanding.pop(msg.message_id, None)
        try:
            if f is None or f.ke is None:
                return
            errors = [x for x in inner if type(x) is Notify and x.is_error]
            method = f.methods[len(f.secrets)]
            ke = next((x for x in inner if type(x) is KE), None)
            if errors:
                code = int(errors[0].notify_type)
                raise ProtocolError(f"IKE_FOLLOWUP_KE refused: {_name(code)}", notify=code)
            if ke is None or int(ke.group) != method:
                raise ProtocolError("IKE_FOLLOWUP_KE response without our KE method")
            f.secrets.append(f.ke.compute_secret(ke.data))
            if len(f.secrets) < len(f.methods):
                link = next(
                    (
                        x.data
                        for x in inner
                        if type(x) is Notify and x.notify_type == NotifyType.ADDITIONAL_KEY_EXCHANGE
                    ),
                    None,
                )
                if link is None:
                    raise ProtocolError("IKE_FOLLOWUP_KE response without the next link")
                f.link = link
                self._send_followup(now)
                return
            self._followup = None
            f.finish(f.secrets, now)
        except (ProtocolError, ConfigError) as e:
            self._followup = None
            notify = e.notify if isinstance(e, ProtocolError) else NotifyType.INVALID_SYNTAX
            req = f.request if f is not None else None
            old = self._child_by_spi_in(req.old_spi) if req is not None and req.old_spi else None
            if old is not None and old.status == "REKEYING":
                old.status = "INSTALLED"
            if req is not None and req.kind == "rekey_ike":
                self._settle_lost_ike_rekey(now)
            self._events.append(ConnectionFailed(int(notify), f"IKE_FOLLOWUP_KE: {e}"))
        finally:
            self._flush(now)

    def _answer_child(
        self,
        p: Message,
        sa: SA,
        nonce: Nonce,
        ke: KE | None,
        rekey: Notify | None,
        events: list[Event],
        now: float,
    ) -> list[Payload]:
        old: ChildSA | None = None
        if rekey is not None:
            protocol, spi = rekey_sa_spi(rekey)
            old = next((c for c in self.child_sas if c.spi_out == spi), None)
            if old is None:
                # RFC 7296 §2.25.1: it does not exist (a Delete crossed the request)
                return [Notify(NotifyType.CHILD_SA_NOT_FOUND, b"", protocol, spi)]
            if old.status == "DELETING":
                raise ProtocolError("that Child SA is being deleted", notify=_TEMPORARY_FAILURE)
        elif len(self.child_sas) >= self.config.max_child_sas:
            raise ProtocolError(
                f"already {len(self.child_sas)} Child SAs", notify=NotifyType.NO_ADDITIONAL_SAS
            )
        if self._rekeying_ike():
            # strongSwan and RFC 7296 §2.25.2 practice: not while the IKE SA moves
            raise ProtocolError("the IKE SA is being rekeyed", notify=_TEMPORARY_FAILURE)
        tsi, tsr = p.get(TSi), p.get(TSr)
        if not (type(tsi) is TSi and type(tsr) is TSr):
            raise ProtocolError(
                "CREATE_CHILD_SA without TSi or TSr", notify=NotifyType.INVALID_SYNTAX
            )
        answer = select_proposal(
            sa.proposals, self._esp_proposals, ke_group=int(ke.group) if ke else None
        )
        offered = next(o for o in sa.proposals if o.number == answer.number)
        group = int(answer.ke_method or 0)
        secret: bytes | None = None
        payload_ke: list[Payload] = []
        if group:
            if ke is None or int(ke.group) != group:
                # RFC 7296 §1.3: INVALID_KE_PAYLOAD names the group we want
                raise ProtocolError(
                    "KE group mismatch",
                    notify=NotifyType.INVALID_KE_PAYLOAD,
                    data=int(group).to_bytes(2, "big"),
                )
            mine = new_key_exchange(group, rng=self._rng, initiator=False)
            secret = mine.compute_secret(ke.data)
            payload_ke = [KE(group, mine.public_value())]
        narrowed_i = narrow(tsi.selectors, self._remote_policy())
        narrowed_r = narrow(tsr.selectors, self._local_ts)
        asked = {int(n.notify_type) for n in p.notifies()}
        transport = NotifyType.USE_TRANSPORT_MODE in asked and self.config.mode == "transport"
        nr = self._rng(self.config.nonce_size)
        spi_in = self._draw_spi(4)
        answer = answer._replace(spi=spi_in)
        old_spi = old.spi_in if old is not None else b""
        if old is not None and old.status == "REKEYING":
            old.peer_rekey_nonces = (nonce.data, nr)  # §2.8.1: both rekey it

        def finish(additional: list[bytes], now: float, into: list[Event]) -> None:
            replaced = self._child_by_spi_in(old_spi) if old_spi else None
            child = self._add_child(
                answer,
                spi_in,
                offered.spi,
                narrowed_i,
                narrowed_r,
                into,
                transport=transport,
                peer_notifies=asked,
                now=now,
                nonces=(nonce.data, nr),
                secret=secret,
                additional=additional,
                ours=False,
                replaces=replaced,
            )
            if replaced is not None:
                if replaced.status == "REKEYING":
                    replaced.peer_rekey = child.spi_in  # §2.8.1: both rekeyed it
                else:
                    replaced.status = "REKEYED"  # the peer, who started it, deletes it
                    replaced.rekey_at = None

        reply: list[Payload] = [
            *self._child_notifies(transport=transport),
            SA((answer,)),
            Nonce(nr),
            *payload_ke,
            TSi(narrowed_i),
            TSr(narrowed_r),
        ]
        methods = _additional_methods(answer)
        if methods:
            # RFC 9370 §2.2.4: the SA comes after the IKE_FOLLOWUP_KE exchanges
            reply.append(self._expect_followup(methods, finish))
            return reply
        finish([], now, events)
        return reply

    def _remote_policy(self) -> tuple[Selector, ...]:
        """The peer's side of our policy; a leased virtual IP narrows it (§2.19)."""
        if self._leased and self.virtual_ips:
            host = self.virtual_ips[0]
            return (ts_from_string(f"{host}/{128 if ':' in host else 32}"),)
        return self._remote_ts

    def _answer_ike_rekey(
        self, sa: SA, nonce: Nonce, ke: KE | None, now: float
    ) -> tuple[list[Payload], Callable[[], None] | None]:
        """RFC 7296 §1.3.2, §2.18: answer an IKE SA rekey; the switch to the new SA
        happens after the answer leaves under the old keys — unless our own rekey is
        out too (§2.8.2), then the nonces decide once both exchanges are done."""
        if any(not _is_ike_rekey(o.request) for o in self._outstanding.values()):
            # our other exchanges on this IKE SA must finish first (RFC 7296 §2.25)
            raise ProtocolError("exchanges of ours are in progress", notify=_TEMPORARY_FAILURE)
        answer = select_proposal(
            sa.proposals, self._rekey_proposals(), ke_group=int(ke.group) if ke else None
        )
        offered = next(o for o in sa.proposals if o.number == answer.number)
        if self._rekeying_ike() and _additional_methods(answer):
            # both rekey the IKE SA and IKE_FOLLOWUP_KE exchanges would follow: rather
            # than settle a collision spread over several exchanges, both refuse and
            # retry after a random delay (RFC 7296 §2.25), so one goes first
            raise ProtocolError("our own IKE SA rekey is in progress", notify=_TEMPORARY_FAILURE)
        group = int(answer.ke_method or 0)
        if ke is None or int(ke.group) != group:
            raise ProtocolError(
                "KE group mismatch",
                notify=NotifyType.INVALID_KE_PAYLOAD,
                data=group.to_bytes(2, "big"),
            )
        if len(offered.spi) != 8:
            raise ProtocolError(
                "IKE SA rekey without an 8-octet SPI", notify=NotifyType.INVALID_SYNTAX
            )
        mine = new_key_exchange(group, rng=self._rng, initiator=False)
        secret = mine.compute_secret(ke.data)
        nr = self._rng(self.config.nonce_size)
        spi_r = self._draw_spi(8)
        assert self.keys is not None
        old_keys = self.keys
        reply: list[Payload] = [
            SA((answer._replace(spi=spi_r),)),
            Nonce(nr),
            KE(group, mine.public_value()),
        ]
        suite = answer._replace(spi=b"")

        def settle(additional: list[bytes], now: float) -> Callable[[], None] | None:
            keys = derive_ike_sa_keys(
                answer,
                secret,
                nonce.data,
                nr,
                offered.spi,
                spi_r,
                old_sk_d=old_keys.sk_d,
                old_prf_id=old_keys.prf_id,
                additional_secrets=additional,
            )
            if self._rekeying_ike():
                self._peer_ike_rekey = (suite, keys, group, (nonce.data, nr))
                return None

            def switch() -> None:
                self._switch_ike_sa(suite, keys, group, Role.RESPONDER, now).close_later(now)

            return switch

        methods = _additional_methods(answer)
        if methods:

            def finish(additional: list[bytes], now: float, into: list[Event]) -> None:
                self._after_response = settle(additional, now)

            reply.append(self._expect_followup(methods, finish))
            return reply, None
        return reply, settle([], now)

    # ---- the initiator

    def _on_create_child_response(
        self, msg: Message, o: _Outstanding, inner: tuple[Payload, ...], now: float
    ) -> None:
        req = o.request
        assert req is not None
        # the slot frees, but queued requests wait until the IKE SA is settled (an
        # IKE rekey moves them to the new SA)
        self._outstanding.pop(msg.message_id, None)
        try:
            self._create_child_answered(msg, req, inner, now)
        finally:
            self._flush(now)

    def _create_child_answered(
        self, msg: Message, req: _ChildRequest, inner: tuple[Payload, ...], now: float
    ) -> None:
        p = Message.create(msg.exchange_type, inner, spi_i=msg.spi_i)
        old = self._child_by_spi_in(req.old_spi) if req.old_spi else None
        errors = [n for n in p.notifies() if n.is_error]
        try:
            if errors:
                self._child_refused(req, errors[0], old, now)
                return
            if req.kind == "rekey_ike":
                self._finish_ike_rekey(p, req, now)
            else:
                self._finish_child(p, req, old, now)
        except (ProtocolError, ConfigError, DecodeError) as e:
            notify = e.notify if isinstance(e, ProtocolError) else NotifyType.INVALID_SYNTAX
            reason = e.reason if isinstance(e, ProtocolError) else str(e)
            if old is not None and old.status == "REKEYING":
                old.status = "INSTALLED"
            if req.kind == "rekey_ike":
                self._settle_lost_ike_rekey(now)
            self._events.append(ConnectionFailed(int(notify), f"CREATE_CHILD_SA: {reason}"))

    def _child_refused(
        self, req: _ChildRequest, n: Notify, old: ChildSA | None, now: float
    ) -> None:
        """RFC 7296 §1.3, §2.25: the responder refused our request."""
        code = int(n.notify_type)
        if old is not None and old.status == "REKEYING":
            old.status = "INSTALLED"
        retry_kind = req.kind
        if code == NotifyType.INVALID_KE_PAYLOAD and req.retries < self.config.max_init_retries:
            props = self._ike_proposals if req.kind == "rekey_ike" else self._esp_proposals
            try:
                group = int(check_invalid_ke(props, int(invalid_ke_group(n)), sent=req.group))
            except (ProtocolError, DecodeError) as e:
                self._events.append(ConnectionFailed(code, f"CREATE_CHILD_SA: {e}"))
                return
            if old is not None:
                old.status = "REKEYING"
            self._request_child(
                retry_kind,
                now,
                old=old,
                tsi=req.tsi,
                tsr=req.tsr,
                group=group,
                retries=req.retries + 1,
            )
            return
        if req.kind == "rekey_ike" and self._peer_ike_rekey is not None:
            # RFC 7296 §2.8.2: the peer's rekey, which we answered, already stands
            self._settle_lost_ike_rekey(now)
            return
        if code == NotifyType.TEMPORARY_FAILURE:
            # RFC 7296 §2.25: "retry later", after a random delay so that the two
            # peers do not collide again
            delay = 1.0 + 4.0 * int.from_bytes(self._rng(2), "big") / 65536
            self._retries.append((now + delay, retry_kind, req.old_spi))
        elif req.kind == "rekey_ike":
            self._settle_lost_ike_rekey(now)
        self._events.append(
            ConnectionFailed(
                code, f"CREATE_CHILD_SA ({req.kind}) refused: {_name(to_enum(NotifyType, code))}"
            )
        )

    def _finish_child(
        self, p: Message, req: _ChildRequest, old: ChildSA | None, now: float
    ) -> None:
        sa, nonce, ke, tsi, tsr = p.get(SA), p.get(Nonce), p.get(KE), p.get(TSi), p.get(TSr)
        if not (type(sa) is SA and type(nonce) is Nonce and type(tsi) is TSi and type(tsr) is TSr):
            raise ProtocolError("CREATE_CHILD_SA response without SA, Nonce, TSi or TSr")
        offered = tuple(x._replace(spi=req.spi) for x in self._esp_proposals)
        check_selected(offered, sa.proposals)
        chosen = sa.proposals[0]
        group = int(chosen.ke_method or 0)
        secret: bytes | None = None
        if group:
            if group != req.group or req.ke is None or type(ke) is not KE or int(ke.group) != group:
                raise ProtocolError("the responder's KE group is not the one we sent")
            secret = req.ke.compute_secret(ke.data)
        check_narrowed(tsi.selectors, req.tsi)
        check_narrowed(tsr.selectors, req.tsr)
        answered = {int(n.notify_type) for n in p.notifies()}

        def finish(additional: list[bytes], now: float) -> None:
            self._complete_child(
                req,
                chosen,
                tsi.selectors,
                tsr.selectors,
                answered,
                nonce.data,
                secret,
                additional,
                now,
            )

        methods = _additional_methods(chosen)
        if methods:
            self._start_followup(req, p, methods, finish, now)
            return
        finish([], now)

    def _complete_child(
        self,
        req: _ChildRequest,
        chosen: Proposal,
        tsi: tuple[Selector, ...],
        tsr: tuple[Selector, ...],
        answered: set[int],
        nr: bytes,
        secret: bytes | None,
        additional: list[bytes],
        now: float,
    ) -> None:
        """Our CREATE_CHILD_SA (and its IKE_FOLLOWUP_KE exchanges) done: the Child SA,
        and the §2.8.1 / §2.25.1 rules for the one it replaces."""
        old = self._child_by_spi_in(req.old_spi) if req.old_spi else None
        events: list[Event] = []
        new = self._add_child(
            chosen,
            req.spi,
            chosen.spi,
            tsi,
            tsr,
            events,
            transport=NotifyType.USE_TRANSPORT_MODE in answered,
            peer_notifies=answered,
            now=now,
            nonces=(req.ni, nr),
            secret=secret,
            additional=additional,
            ours=True,
            replaces=old,
        )
        self._events.extend(events)
        if req.kind != "rekey_child":
            return
        if old is None:
            # RFC 7296 §2.25.1: the peer deleted the SA we were rekeying; the new one
            # replaces nothing, so we delete it
            self.delete_child(new.spi_in, now)
            return
        # RFC 7296 §2.8.1: if both rekeyed it, the SA with the lowest of the four
        # nonces is redundant and closed by its creator; the survivor's creator
        # deletes the old SA (RFC 9370 §2.2.4: the CREATE_CHILD_SA nonces decide, even
        # while the peer's IKE_FOLLOWUP_KE exchanges are still going on)
        twin = old.peer_rekey_nonces
        if twin is not None and _redundant(new.nonces, twin):
            old.status = "REKEYED"  # the peer deletes it
            self.delete_child(new.spi_in, now)
            return
        old.status = "INSTALLED"
        self.delete_child(old.spi_in, now)

    def _finish_ike_rekey(self, p: Message, req: _ChildRequest, now: float) -> None:
        sa, nonce, ke = p.get(SA), p.get(Nonce), p.get(KE)
        if not (type(sa) is SA and type(nonce) is Nonce and type(ke) is KE):
            raise ProtocolError("IKE SA rekey response without SA, Nonce or KE")
        offered = tuple(x._replace(spi=req.spi) for x in self._rekey_proposals())
        check_selected(offered, sa.proposals)
        chosen = sa.proposals[0]
        if int(ke.group) != req.group or req.ke is None or int(chosen.ke_method or 0) != req.group:
            raise ProtocolError("the responder's KE group is not the one we sent")
        if len(chosen.spi) != 8:
            raise ProtocolError("IKE SA rekey response without an 8-octet SPI")
        secret = req.ke.compute_secret(ke.data)
        assert self.keys is not None
        suite = chosen._replace(spi=b"")
        old_keys = self.keys

        def finish(additional: list[bytes], now: float) -> None:
            keys = derive_ike_sa_keys(
                suite,
                secret,
                req.ni,
                nonce.data,
                req.spi,
                chosen.spi,
                old_sk_d=old_keys.sk_d,
                old_prf_id=old_keys.prf_id,
                additional_secrets=additional,
            )
            self._complete_ike_rekey(req, suite, keys, nonce.data, now)

        methods = _additional_methods(chosen)
        if methods:
            self._start_followup(req, p, methods, finish, now)
            return
        finish([], now)

    def _complete_ike_rekey(
        self, req: _ChildRequest, suite: Proposal, keys: IKESAKeys, nr: bytes, now: float
    ) -> None:
        """Our IKE SA rekey (and its IKE_FOLLOWUP_KE exchanges) done: move, or settle a
        collision by the nonces (RFC 7296 §2.8.2, RFC 9370 §2.2.4)."""
        ours = (req.ni, nr)
        theirs = self._peer_ike_rekey
        self._peer_ike_rekey = None
        if theirs is None:
            self._switch_ike_sa(suite, keys, req.group, Role.INITIATOR, now).close(now)
            return
        # RFC 7296 §2.8.2: both rekeyed the IKE SA; the new SA with the lowest of the
        # four nonces is redundant and deleted by its creator; the Child SAs go to
        # the survivor, whose creator deletes the old IKE SA
        t_suite, t_keys, t_group, t_nonces = theirs
        if _redundant(ours, t_nonces):
            old = self._switch_ike_sa(t_suite, t_keys, t_group, Role.RESPONDER, now)
            old.close_later(now)  # the peer, creator of the survivor, deletes it
            self._side_sa(suite, keys, req.group, Role.INITIATOR, now).close(now)
        else:
            old = self._switch_ike_sa(suite, keys, req.group, Role.INITIATOR, now)
            old.close(now)
            self._side_sa(t_suite, t_keys, t_group, Role.RESPONDER, now).close_later(now)

    def _settle_lost_ike_rekey(self, now: float) -> None:
        """Our IKE rekey failed; the peer's, answered meanwhile, now stands (§2.8.2)."""
        theirs, self._peer_ike_rekey = self._peer_ike_rekey, None
        if theirs is not None:
            t_suite, t_keys, t_group, _ = theirs
            old = self._switch_ike_sa(t_suite, t_keys, t_group, Role.RESPONDER, now)
            # our own rekey is forgotten (§2.25.2); the peer's Delete of the old SA
            # is answered by the old SA kept beside us
            old._outstanding = {
                k: o
                for k, o in old._outstanding.items()
                if o.request is None or o.request.kind != "rekey_ike"
            }

    # ---- moving to a new IKE SA

    def _bare_copy(self) -> IKEConnection:
        """This IKE SA without its Child SAs, queues, events or lease: an SA kept beside
        us only to finish an exchange."""
        bare = cast("IKEConnection", copy.copy(self))  # self is an IKEConnection
        bare._is_side = True
        bare._datagrams = []
        bare._events = deque()
        bare.child_sas = []
        bare._side = []
        bare._pending = deque()
        bare._retries = []
        bare._leased = False
        bare._peer_ike_rekey = None
        return bare

    def _side_sa(
        self, suite: Proposal, keys: IKESAKeys, group: int, role: Role, now: float
    ) -> IKEConnection:
        """A bare IKE SA kept beside this one only to finish its Delete exchange."""
        side = self._bare_copy()
        side._install_ike_sa(suite, keys, group, role)
        self._side.append((side, now + self._side_linger()))
        return side

    def _switch_ike_sa(
        self, suite: Proposal, keys: IKESAKeys, group: int, role: Role, now: float
    ) -> IKEConnection:
        """Make the new IKE SA ours (RFC 7296 §2.18); the Child SAs stay with us. The
        old IKE SA is returned, kept beside us to finish its Delete exchange."""
        old = self._bare_copy()
        old._outstanding = dict(self._outstanding)
        old._answers = dict(self._answers)
        old._peer_done = set(self._peer_done)
        old._reassemblers = {}
        old._first_fragments = {}
        self._side.append((old, now + self._side_linger()))
        old_spis = (self.spi_i, self.spi_r)
        # a fresh IKE SA: a pending retry of an IKE rekey is moot
        self._retries = [r for r in self._retries if r[1] != "rekey_ike"]
        self._install_ike_sa(suite, keys, group, role)
        self.generation += 1
        self._ike_established(now)
        self._events.append(
            IKESARekeyed(
                old_spis[0],
                old_spis[1],
                self.spi_i,
                self.spi_r,
                _suite_name(suite),
                self.generation,
            )
        )
        # what waited behind the rekey goes out on the new IKE SA; a queued rekey of
        # our own is moot now
        self._pending = deque(p for p in self._pending if not _is_ike_rekey(p.request))
        self._flush(now)
        return old

    def _install_ike_sa(self, suite: Proposal, keys: IKESAKeys, group: int, role: Role) -> None:
        """New SPIs, keys and message IDs (RFC 7296 §2.18: the new IKE SA's initiator
        is whoever initiated the rekey; its message IDs start at 0)."""
        self.role = role
        self.spi_i, self.spi_r = keys.spi_i, keys.spi_r
        self.suite, self.keys, self._ke_group = suite, keys, group
        self._prf = prf_for(keys.prf_id)
        initiator = role is Role.INITIATOR
        self._out = SKCipher.from_keys(keys, sender_is_initiator=initiator)
        self._in = SKCipher.from_keys(keys, sender_is_initiator=not initiator)
        self._iv_counter = 0
        self._next_request_id = 0
        self._outstanding = {}
        self._answers = {}
        self._peer_next = 0
        self._peer_done = set()
        self._reassemblers = {}
        self._first_fragments = {}

    def close_later(self, now: float) -> None:
        """A side IKE SA the peer deletes: it just waits (bounded by its deadline)."""

    def _side_linger(self) -> float:
        """How long a side IKE SA may wait for its Delete: all retransmissions."""
        t, total = self.config.retransmit_timeout, 0.0
        for _ in range(self.config.retransmit_tries):
            total += t
            t *= 2
        return total + self.config.retransmit_timeout
