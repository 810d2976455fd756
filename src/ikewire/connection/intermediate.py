"""IKE_INTERMEDIATE (RFC 9242) with RFC 9370's additional key exchanges."""

from __future__ import annotations

from collections.abc import Sequence

from ..constants import (
    ExchangeType,
    KeyExchangeMethod,
    NotifyType,
    to_enum,
)
from ..crypto.auth import (
    int_auth_step,
)
from ..crypto.cipher import SKCipher
from ..crypto.groups import new_key_exchange
from ..crypto.keys import (
    update_ike_sa_keys,
)
from ..errors import ConfigError, CryptoError, ProtocolError
from ..wire.codec import (
    encode_payloads,
    encode_v2,
)
from ..wire.models import (
    KE,
    Message,
    Notify,
    Payload,
)
from .sa_core import SACore
from .sa_records import (
    Address,
    _name,
    _Outstanding,
)
from .state import Role, Stimulus


class IntermediateExchange(SACore):
    """IKE_INTERMEDIATE (RFC 9242) with RFC 9370's additional key exchanges."""

    # ------------------------------------------------------------------ IKE_INTERMEDIATE

    def _int_auth_of(
        self, sk_p: bytes, previous: bytes, header: bytes, inner: Sequence[Payload]
    ) -> bytes:
        assert self._prf is not None
        plaintext = encode_payloads(list(inner))
        first = int(inner[0].type) if inner else 0
        return int_auth_step(self._prf, sk_p, previous, header, first, plaintext)

    def _header_octets(self, exchange: ExchangeType, message_id: int, *, response: bool) -> bytes:
        return encode_v2(self._header(exchange, message_id, response=response))[:28]

    def _send_intermediate(self, now: float) -> None:
        """RFC 9370 §2.2.2: HDR, SK {KEi(n)} in IKE_INTERMEDIATE, one per additional
        key exchange, ADDKE1 first."""
        assert self.keys is not None
        method = self._addke[self._addke_done]
        self._inter_ke = new_key_exchange(method, rng=self._rng, initiator=True)
        inner: list[Payload] = [KE(method, self._inter_ke.public_value())]
        message_id = self._next_request_id
        header = self._header_octets(ExchangeType.IKE_INTERMEDIATE, message_id, response=False)
        # RFC 9242 §3.3.2: our message's link of the chain, with the keys protecting it
        self._pending_int_auth_i = self._int_auth_of(
            self.keys.sk_pi, self._int_auth_i, header, inner
        )
        self._send_request(ExchangeType.IKE_INTERMEDIATE, inner, now, "intermediate")

    def _on_intermediate_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        framed: bool,
        inner: tuple[Payload, ...],
        now: float,
    ) -> None:
        """The responder's IKE_INTERMEDIATE (RFC 9242 §3.2, RFC 9370 §2.2.2): the next
        additional key exchange; the keys are updated once the answer is out."""
        assert self.keys is not None
        if self._addke_done >= len(self._addke):
            return  # nothing more was negotiated: not ours to answer
        self._update_path(addr, framed)  # RFC 7296 §2.23: it came through the NAT
        method = self._addke[self._addke_done]
        ke = next((x for x in inner if type(x) is KE), None)
        keys = self.keys
        try:
            if ke is None or int(ke.group) != method:
                raise ProtocolError(
                    f"IKE_INTERMEDIATE without KE of method {_name(to_enum(KeyExchangeMethod, method))}",
                    notify=NotifyType.INVALID_SYNTAX,
                )
            mine = new_key_exchange(method, rng=self._rng, initiator=False)
            secret = mine.compute_secret(ke.data)
            reply: list[Payload] = [KE(method, mine.public_value())]
        except (ProtocolError, ConfigError) as e:
            notify = e.notify if isinstance(e, ProtocolError) else NotifyType.INVALID_SYNTAX
            response = self._seal(
                ExchangeType.IKE_INTERMEDIATE, msg.message_id, [Notify(notify)], response=True
            )
            self._respond(msg.message_id, data, response)
            self._fail(int(notify), f"IKE_INTERMEDIATE: {e}")
            return
        self._int_auth_i = self._int_auth_of(keys.sk_pi, self._int_auth_i, data[:28], inner)
        response = self._seal(ExchangeType.IKE_INTERMEDIATE, msg.message_id, reply, response=True)
        header = self._header_octets(ExchangeType.IKE_INTERMEDIATE, msg.message_id, response=True)
        self._int_auth_r = self._int_auth_of(keys.sk_pr, self._int_auth_r, header, reply)
        self._respond(msg.message_id, data, response)
        self._update_keys(secret)
        self._addke_done += 1
        self._auth_message_id = msg.message_id + 1

    def _on_intermediate_response(
        self, msg: Message, data: bytes, o: _Outstanding, now: float, inner: tuple[Payload, ...]
    ) -> None:
        assert self.keys is not None and self._inter_ke is not None
        method = self._addke[self._addke_done]
        ke = next((x for x in inner if type(x) is KE), None)
        errors = [x for x in inner if type(x) is Notify and x.is_error]
        try:
            if errors:
                n = errors[0]
                raise ProtocolError(
                    f"IKE_INTERMEDIATE refused: {_name(n.notify_type)}", notify=int(n.notify_type)
                )
            if ke is None or int(ke.group) != method:
                raise ProtocolError("IKE_INTERMEDIATE response without our KE method")
            secret = self._inter_ke.compute_secret(ke.data)
        except ProtocolError as e:
            self._fail(e.notify, e.reason)
            return
        except ConfigError as e:
            self._fail(NotifyType.INVALID_SYNTAX, str(e))
            return
        self._outstanding.pop(msg.message_id, None)
        self._int_auth_i = self._pending_int_auth_i
        self._int_auth_r = self._int_auth_of(self.keys.sk_pr, self._int_auth_r, data[:28], inner)
        self._update_keys(secret)
        self._addke_done += 1
        self._inter_ke = None
        if self._addke_done < len(self._addke):
            self._send_intermediate(now)
            return
        self._advance(Stimulus.INTERMEDIATE_DONE)
        self._auth_message_id = self._next_request_id
        try:
            self._send_auth_request(now)
        except (ConfigError, CryptoError) as e:
            self._fail(NotifyType.AUTHENTICATION_FAILED, f"cannot authenticate: {e}")

    def _update_keys(self, secret: bytes) -> None:
        """RFC 9370 §2.2.2: SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr), new SK_*."""
        assert self.keys is not None
        self.keys = update_ike_sa_keys(self.keys, secret, self._ni, self._nr)
        initiator = self.role is Role.INITIATOR
        self._out = SKCipher.from_keys(self.keys, sender_is_initiator=initiator)
        self._in = SKCipher.from_keys(self.keys, sender_is_initiator=not initiator)
        self._iv_counter = 0  # a new key: the AEAD counter may start over
