"""IKE_SA_INIT (RFC 7296 §1.2): proposals and key exchange, INVALID_KE_PAYLOAD
retry (§1.3), COOKIE (§2.6), NAT detection (§2.23).
"""

from __future__ import annotations

from ..constants import (
    ExchangeType,
    NotifyType,
)
from ..crypto.groups import new_key_exchange
from ..errors import ConfigError, CryptoError, DecodeError, ProtocolError
from ..wire.codec import (
    encode_v2,
)
from ..wire.models import (
    KE,
    SA,
    Message,
    Nonce,
    Notify,
    Payload,
)
from ..wire.notify import (
    cookie,
    cookie_data,
    empty,
    invalid_ke_group,
    invalid_ke_payload,
    signature_hash_algorithms,
)
from .cookies import CookieJar
from .fragments import (
    fragmentation_supported,
    peer_supports_fragmentation,
)
from .proposals import check_invalid_ke, check_selected, select_proposal
from .sa_core import SACore
from .sa_records import (
    _OUR_HASHES,
    NAT_T_PORT,
    Address,
    _additional_methods,
    _has_notify,
    _hash_list,
    _name,
    _packed,
)
from .state import Stimulus


class InitExchange(SACore):
    """IKE_SA_INIT (RFC 7296 §1.2): proposals and key exchange, INVALID_KE_PAYLOAD"""

    # ------------------------------------------------------------------ IKE_SA_INIT

    def _send_init_request(self, now: float) -> None:
        """RFC 7296 §1.2: HDR, SA, KE, Ni, N(NAT_DETECTION_*) (§2.23); with N(COOKIE)
        first when the responder asked for one (§2.6)."""
        # RFC 7296 §2.6: a COOKIE retry keeps "all other payloads unchanged"; a new
        # group (§1.3) needs a new KE value, the nonce stays.
        if self._ke is None or int(self._ke.method) != self._ke_group:
            self._ke = new_key_exchange(self._ke_group, rng=self._rng, initiator=True)
        if not self._ni:
            self._ni = self._rng(self.config.nonce_size)
        payloads: list[Payload] = []
        if self._cookie is not None:
            payloads.append(Notify(NotifyType.COOKIE, self._cookie))
        payloads += [
            SA(self._ike_proposals),
            KE(self._ke_group, self._ke.public_value()),
            Nonce(self._ni),
            *self._nat_notifies(bytes(8)),
            *([fragmentation_supported()] if self.config.fragmentation else []),
            signature_hash_algorithms(_OUR_HASHES),
            *([empty(NotifyType.CHILDLESS_IKEV2_SUPPORTED)] if self.config.childless else []),
            *([empty(NotifyType.USE_PPK)] if self.config.ppk is not None else []),
            *(
                [empty(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED)]
                if any(_additional_methods(p, offered=True) for p in self._ike_proposals)
                else []
            ),
        ]
        msg = Message.create(ExchangeType.IKE_SA_INIT, payloads, spi_i=self.spi_i)
        self._init_request = encode_v2(msg)
        self._next_request_id = 1
        self._transmit((self._init_request,), 0, ExchangeType.IKE_SA_INIT, now, "init")

    def _on_init_request(self, msg: Message, data: bytes, addr: Address, now: float) -> None:
        sa, ke, nonce = msg.get(SA), msg.get(KE), msg.get(Nonce)
        if not (type(sa) is SA and type(ke) is KE and type(nonce) is Nonce):
            return  # RFC 7296 §2.21.1: malformed IKE_SA_INIT, no state kept
        self.peer_address = addr
        self.spi_i = msg.spi_i
        if self.config.require_cookie and not self._cookie_ok(msg, nonce.data, addr, now):
            return
        try:
            # RFC 7296 §3.3.6: choose without regard to the KE payload, preferring its
            # group within the chosen proposal (as ke_mismatch does) ...
            answer = select_proposal(sa.proposals, self._ike_proposals, ke_group=int(ke.group))
            if _additional_methods(answer) and not _has_notify(
                msg, NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED
            ):
                # RFC 9370 §2.2.1: additional key exchanges only with IKE_INTERMEDIATE
                raise ProtocolError(
                    "additional key exchanges offered without INTERMEDIATE_EXCHANGE_SUPPORTED",
                    notify=NotifyType.NO_PROPOSAL_CHOSEN,
                )
            chosen = answer.ke_method
            if chosen is not None and int(chosen) != int(ke.group):
                # ... and if that is another group, a stateless answer naming it (§1.3).
                self._queue(self._error_init(invalid_ke_payload(chosen)))
                return
            self._ke_group = int(ke.group)
            self._ke = new_key_exchange(self._ke_group, rng=self._rng, initiator=False)
            secret = self._ke.compute_secret(ke.data)
        except ProtocolError as e:
            self._queue(self._error_init(Notify(e.notify, e.data)))
            self._fail(e.notify, e.reason)
            return
        except ConfigError as e:
            self._queue(self._error_init(Notify(NotifyType.INVALID_SYNTAX)))
            self._fail(NotifyType.INVALID_SYNTAX, str(e))
            return
        self._ni = nonce.data
        self._peer_hashes = _hash_list(msg)
        # RFC 7383 §2.3: announced back only when the initiator announced it
        self._fragmentation = self.config.fragmentation and peer_supports_fragmentation(msg)
        # RFC 9242 §3.1: announced back when the initiator announced it
        self._intermediate = _has_notify(msg, NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED)
        self._addke = _additional_methods(answer)
        self._use_ppk = self.config.ppk is not None and _has_notify(msg, NotifyType.USE_PPK)
        # RFC 6023 §3: we support childless IKE SAs; announced back when asked
        self._childless = _has_notify(msg, NotifyType.CHILDLESS_IKEV2_SUPPORTED)
        self._nr = self._rng(self.config.nonce_size)
        self.spi_r = self._rng(8)
        self._check_nat(msg, addr)
        payloads: list[Payload] = [
            SA((answer,)),
            KE(self._ke_group, self._ke.public_value()),
            Nonce(self._nr),
            # RFC 7296 §2.23: answered only when the initiator sent them
            *(self._nat_notifies(self.spi_r) if self._peer_nat_notifies(msg) else ()),
            *([fragmentation_supported()] if self._fragmentation else []),
            signature_hash_algorithms(_OUR_HASHES),
            *([empty(NotifyType.CHILDLESS_IKEV2_SUPPORTED)] if self._childless else []),
            *([empty(NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED)] if self._intermediate else []),
            *([empty(NotifyType.USE_PPK)] if self._use_ppk else []),
            *self._certreq(),
        ]
        response = Message.create(
            ExchangeType.IKE_SA_INIT,
            payloads,
            spi_i=self.spi_i,
            spi_r=self.spi_r,
            initiator=False,
            response=True,
        )
        self._init_request = data
        self._init_response = encode_v2(response)
        self._set_keys(answer, secret)
        self._advance(Stimulus.RECV_INIT_REQUEST)
        self._respond(0, data, (self._init_response,))

    def _cookie_ok(self, msg: Message, ni: bytes, addr: Address, now: float) -> bool:
        """RFC 7296 §2.6: without a valid COOKIE (the first payload), answer N(COOKIE)
        statelessly and keep nothing. The cookies are :class:`CookieJar`'s (an
        :class:`~ikewire.connection.endpoint.IKEEndpoint` checks them before a
        connection exists; this is for a connection used on its own)."""
        if self._cookie_jar is None:
            self._cookie_jar = CookieJar(self._rng, now)
        ip = _packed(addr[0])
        first = msg.payloads[0]
        if (
            type(first) is Notify
            and first.notify_type == NotifyType.COOKIE
            and self._cookie_jar.check(first.data, ni, ip, msg.spi_i, now)
        ):
            return True
        self._queue(self._error_init(cookie(self._cookie_jar.make(ni, ip, msg.spi_i, now))))
        return False

    def _error_init(self, notify: Notify) -> bytes:
        """An unprotected IKE_SA_INIT error response, responder SPI zero (RFC 7296 §2.6)."""
        msg = Message.create(
            ExchangeType.IKE_SA_INIT,
            [notify],
            spi_i=self.spi_i,
            spi_r=bytes(8),
            initiator=False,
            response=True,
        )
        return encode_v2(msg)

    def _on_init_response(self, msg: Message, data: bytes, now: float) -> None:
        notifies = {int(n.notify_type): n for n in msg.notifies()}
        try:
            if NotifyType.INVALID_KE_PAYLOAD in notifies or NotifyType.COOKIE in notifies:
                self._retry_init(notifies, now)
                return
            errors = [n for n in msg.notifies() if n.is_error]
            if errors:
                n = errors[0]
                self._fail(int(n.notify_type), f"responder refused: {_name(n.notify_type)}")
                return
            sa, ke, nonce = msg.get(SA), msg.get(KE), msg.get(Nonce)
            if not (type(sa) is SA and type(ke) is KE and type(nonce) is Nonce):
                raise ProtocolError("IKE_SA_INIT response without SA, KE or Nonce")
            check_selected(self._ike_proposals, sa.proposals)
            if int(ke.group) != self._ke_group or sa.proposals[0].ke_method != self._ke_group:
                raise ProtocolError("responder's KE group is not the one we sent")
            assert self._ke is not None
            secret = self._ke.compute_secret(ke.data)
        except ProtocolError as e:
            self._fail(e.notify, e.reason)
            return
        except (ConfigError, DecodeError) as e:
            self._fail(NotifyType.INVALID_SYNTAX, str(e))
            return
        addke = _additional_methods(sa.proposals[0])
        if addke and not _has_notify(msg, NotifyType.INTERMEDIATE_EXCHANGE_SUPPORTED):
            # RFC 9370 §2.2.1: additional key exchanges need IKE_INTERMEDIATE
            self._fail(NotifyType.INVALID_SYNTAX, "additional key exchanges without RFC 9242")
            return
        self._outstanding.pop(0, None)
        self._addke = addke
        self._advance(Stimulus.RECV_INIT_RESPONSE_ADDKE if addke else Stimulus.RECV_INIT_RESPONSE)
        assert self.peer_address is not None
        self._check_nat(msg, self.peer_address)
        nat = self.nat_local or self.nat_remote or self.config.force_encapsulation
        if self.config.nat_traversal and nat and self._peer_nat_notifies(msg):
            # RFC 7296 §2.23: "MUST tunnel all future IKE and ESP packets associated
            # with this IKE SA over UDP port 4500" (with the non-ESP marker, RFC 3948).
            self._marker = True
            self.peer_address = (self.peer_address[0], NAT_T_PORT)
        self._nr = nonce.data
        self._peer_hashes = _hash_list(msg)
        self._fragmentation = self.config.fragmentation and peer_supports_fragmentation(msg)
        self._childless = self.config.childless and _has_notify(
            msg, NotifyType.CHILDLESS_IKEV2_SUPPORTED
        )
        self._use_ppk = self.config.ppk is not None and _has_notify(msg, NotifyType.USE_PPK)
        self._note_certreq(msg.payloads)
        self.spi_r = msg.spi_r
        self._init_response = data
        self._set_keys(sa.proposals[0], secret)
        if self._addke:
            self._send_intermediate(now)
            return
        try:
            self._send_auth_request(now)
        except (ConfigError, CryptoError) as e:
            # our own AUTH cannot be made (e.g. no hash both sides can use, RFC 7427
            # §4): the SA fails here; the responder's half-open SA times out.
            self._fail(NotifyType.AUTHENTICATION_FAILED, f"cannot authenticate: {e}")

    def _retry_init(self, notifies: dict[int, Notify], now: float) -> None:
        """RFC 7296 §1.3 (INVALID_KE_PAYLOAD) and §2.6 (COOKIE): send IKE_SA_INIT again."""
        self._init_retries += 1
        if self._init_retries > self.config.max_init_retries:
            raise ProtocolError("too many IKE_SA_INIT retries", notify=NotifyType.INVALID_SYNTAX)
        if NotifyType.COOKIE in notifies:
            self._cookie = cookie_data(notifies[NotifyType.COOKIE])
        else:
            group = invalid_ke_group(notifies[NotifyType.INVALID_KE_PAYLOAD])
            self._ke_group = int(
                check_invalid_ke(self._ike_proposals, int(group), sent=self._ke_group)
            )
        self._advance(Stimulus.RECV_INIT_RETRY)
        self._send_init_request(now)
