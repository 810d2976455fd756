"""IKE_AUTH (RFC 7296 §1.2, §2.15): identities, AUTH by PSK, signatures or NULL,
certificates and hash and URL, PPK (RFC 8784), and the first Child SA (§2.9, §2.17).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable, Sequence
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..certbundle import hash_and_url, sha1
from ..constants import (
    AuthMethod,
    CertEncoding,
    CfgType,
    CPAttributeType,
    ExchangeType,
    NotifyType,
    ProtocolId,
    to_enum,
)
from ..crypto.auth import (
    PublicKey,
    choose_hash,
    intermediate_auth,
    key_type_of,
    null_auth,
    psk_auth,
    sign,
    signed_octets,
    verify,
    verify_null,
    verify_psk,
)
from ..crypto.keys import (
    apply_ppk,
    derive_child_sa_keys,
)
from ..errors import ConfigError, CryptoError, DecodeError, ProtocolError
from ..wire.codec import (
    encode_payload_body,
)
from ..wire.models import (
    AUTH,
    CERT,
    CERTREQ,
    CP,
    SA,
    CPAttribute,
    Delete,
    IDi,
    IDr,
    Message,
    Notify,
    Payload,
    Proposal,
    Selector,
    TSi,
    TSr,
)
from ..wire.notify import (
    empty,
    set_window_size,
    use_transport_mode,
)
from .config import Identity
from .events import (
    CertificateFetchRequested,
    ChildSAEstablished,
    ConnectionFailed,
    Event,
    IKESAEstablished,
)
from .hashurl import (
    PendingFetch,
    check_raw_key,
    named_objects,
    refuse_unusable_certs,
    substitute,
)
from .proposals import check_selected, select_proposal
from .sa_core import SACore
from .sa_records import (
    _CHILD_ERRORS,
    _OUR_HASHES,
    _PSK,
    _RFC4754_BY_CURVE,
    _SIGNATURE_METHODS,
    Address,
    ChildSA,
    _has_notify,
    _name,
    _packed,
    _suite_name,
    without_ke,
)
from .selectors import check_narrowed, narrow, ts_from_string
from .state import Role, Stimulus
from .trust import certreq_hashes, select_chain, validate_peer


class AuthExchange(SACore):
    """IKE_AUTH (RFC 7296 §1.2, §2.15): identities, AUTH by PSK, signatures or NULL,"""

    # ------------------------------------------------------------------ PPK (RFC 8784)

    def _own_auth_with_ppk(self, identity: Identity) -> list[Payload]:
        """The initiator's AUTH (RFC 8784 §3): with the PPK mixed into SK_pi when both
        announced USE_PPK, plus N(PPK_IDENTITY), and — when the PPK is optional for us —
        N(NO_PPK_AUTH) with the AUTH data computed without it."""
        if not self._use_ppk or self.config.ppk is None or self.keys is None:
            return [self._own_auth(identity)]
        plain = self.keys
        self._no_ppk_keys = plain
        no_ppk: list[Payload] = []
        if not self.config.ppk_required:
            no_ppk = [Notify(NotifyType.NO_PPK_AUTH, self._own_auth(identity).data)]
        self.keys = apply_ppk(plain, self.config.ppk)
        ppk_id = bytes([self.config.ppk_id_type]) + self.config.ppk_id
        return [self._own_auth(identity), Notify(NotifyType.PPK_IDENTITY, ppk_id), *no_ppk]

    def _ppk_as_responder(self, p: Message, auth: AUTH) -> AUTH:
        """RFC 8784 §3, the responder: use the PPK the initiator names if we have it;
        else, where the PPK is optional for us, its NO_PPK_AUTH; else refuse."""
        notifies = {int(n.notify_type): n for n in p.notifies()}
        named = notifies.get(NotifyType.PPK_IDENTITY)
        ppk = self.config.ppk
        ours = (
            self._use_ppk
            and named is not None
            and ppk is not None
            and self.keys is not None
            and named.data[:1] != b""
            and named.data[1:] == self.config.ppk_id
        )
        if ours and ppk is not None and self.keys is not None:
            self._no_ppk_keys = self.keys
            self.keys = apply_ppk(self.keys, ppk)
            self.ppk_used = True
            return auth
        if self.config.ppk_required:
            raise ProtocolError(
                "the peer used no PPK we have, and ours is mandatory (RFC 8784 §3)",
                notify=NotifyType.AUTHENTICATION_FAILED,
            )
        fallback = notifies.get(NotifyType.NO_PPK_AUTH)
        if named is not None:
            if fallback is None:
                raise ProtocolError(
                    "unknown PPK_ID and no NO_PPK_AUTH (RFC 8784 §3)",
                    notify=NotifyType.AUTHENTICATION_FAILED,
                )
            return auth._replace(data=fallback.data)
        return auth

    def _ppk_as_initiator(self, p: Message) -> None:
        """RFC 8784 §3, the initiator: N(PPK_IDENTITY) in the answer means the PPK is
        in use; without it, fall back to the keys without PPK unless it is mandatory."""
        if not self._use_ppk or self._no_ppk_keys is None:
            if self.config.ppk_required:
                raise ProtocolError(
                    "the responder does not support PPK, which is mandatory (RFC 8784 §3)",
                    notify=NotifyType.AUTHENTICATION_FAILED,
                )
            return
        if any(n.notify_type == NotifyType.PPK_IDENTITY for n in p.notifies()):
            self.ppk_used = True
            return
        if self.config.ppk_required:
            raise ProtocolError(
                "the responder did not use the mandatory PPK (RFC 8784 §3)",
                notify=NotifyType.AUTHENTICATION_FAILED,
            )
        self.keys = self._no_ppk_keys

    # ------------------------------------------------------------------ IKE_AUTH

    def _auth_octets(self, *, initiator: bool, id_body: bytes) -> bytes:
        """InitiatorSignedOctets / ResponderSignedOctets (RFC 7296 §2.15)."""
        assert self._prf is not None and self.keys is not None
        # RFC 9242 §3.3.2: after IKE_INTERMEDIATE exchanges the AUTH covers them too
        int_auth = (
            intermediate_auth(self._int_auth_i, self._int_auth_r, self._auth_message_id)
            if self._addke
            else b""
        )
        if initiator:
            return signed_octets(
                self._init_request,
                self._nr,
                self._prf,
                self.keys.sk_pi,
                id_body,
                int_auth=int_auth,
            )
        return signed_octets(
            self._init_response, self._ni, self._prf, self.keys.sk_pr, id_body, int_auth=int_auth
        )

    def _own_auth(self, identity: Identity) -> AUTH:
        """Our AUTH payload (RFC 7296 §2.15, RFC 7427 §3, RFC 4754 §7)."""
        assert self._prf is not None
        octets = self._auth_octets(initiator=self.role is Role.INITIATOR, id_body=identity.body)
        if self.config.null_auth:
            assert self.keys is not None
            self.local_auth = AuthMethod.NULL_AUTHENTICATION
            sk_p = self.keys.sk_pi if self.role is Role.INITIATOR else self.keys.sk_pr
            return AUTH(self.local_auth, null_auth(self._prf, sk_p, octets))
        if self.config.psk is not None:
            self.local_auth = _PSK
            return AUTH(_PSK, psk_auth(self._prf, self.config.psk, octets))
        key = self.config.private_key
        assert key is not None
        hash_alg = choose_hash(_OUR_HASHES, self._peer_hashes, key_type_of(key))
        method: AuthMethod
        if hash_alg is not None:
            method = AuthMethod.DIGITAL_SIGNATURE
        elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _RFC4754_BY_CURVE:
            method = _RFC4754_BY_CURVE[key.curve.name]
        elif isinstance(key, rsa.RSAPrivateKey):
            method = AuthMethod.RSA_DIGITAL_SIGNATURE
        else:
            raise ConfigError("the peer announced no hash our key can sign with (RFC 7427 §4)")
        self.local_auth = method
        pss = self.config.rsa_pss and isinstance(key, rsa.RSAPrivateKey)
        data = sign(method, key, octets, hash_alg=hash_alg, rsa_pss=pss)
        return AUTH(method, data)

    def _own_cert(self) -> list[Payload]:
        """Our CERT payloads (RFC 7296 §3.6): the end entity first, then the chain —
        cut below the CA the peer's CERTREQ named, when it named one of ours (§3.7).
        To a peer that announced HTTP_CERT_LOOKUP_SUPPORTED, what has a URL in
        ``certificate_urls`` goes as hash and URL: our bundle (encoding 13) in place of
        them all, else each certificate with a URL (12). With ``raw_public_key`` our
        key alone goes, as a Raw Public Key (15, RFC 7670 §3)."""
        if self.config.psk is not None or self.config.null_auth:
            return []
        if self.config.raw_public_key and self.config.private_key is not None:
            spki = self.config.private_key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return [CERT(CertEncoding.RAW_PUBLIC_KEY, spki)]
        cert = self.config.certificate
        if cert is None:
            return []
        chain = [cert, *self.config.certificate_chain]
        if self._peer_certreq and self.config.certificate_chain:
            try:
                parsed = [x509.load_der_x509_certificate(c) for c in chain]
                picked = select_chain(parsed, self._peer_certreq)
            except (ValueError, DecodeError):
                picked = None  # a CERTREQ is only a hint (RFC 7296 §3.7)
            if picked is not None:
                chain = [c.public_bytes(serialization.Encoding.DER) for c in picked]
        urls = self.config.certificate_urls
        if self._peer_http_lookup and urls:
            bundle = self.config.certificate_bundle
            if bundle is not None and bundle in urls:
                return [
                    CERT(CertEncoding.HASH_AND_URL_X509_BUNDLE, hash_and_url(bundle, urls[bundle]))
                ]
            return [
                CERT(CertEncoding.HASH_AND_URL_X509_CERTIFICATE, hash_and_url(c, urls[c]))
                if c in urls
                else CERT(CertEncoding.X509_CERTIFICATE_SIGNATURE, c)
                for c in chain
            ]
        return [CERT(CertEncoding.X509_CERTIFICATE_SIGNATURE, c) for c in chain]

    def _certreq(self) -> list[Payload]:
        """CERTREQ naming our trust anchors (RFC 7296 §3.7), when we validate chains; an
        empty Raw Public Key CERTREQ when we trust a configured key (RFC 7670 §3); and
        HTTP_CERT_LOOKUP_SUPPORTED when our policy fetches hash-and-URL (§3.10.1)."""
        out: list[Payload] = []
        store = self.config.trust_store
        if store is not None and store.anchors:
            out.append(
                CERTREQ(CertEncoding.X509_CERTIFICATE_SIGNATURE, certreq_hashes(store.anchors))
            )
        elif self.config.remote_public_key is not None:
            out.append(CERTREQ(CertEncoding.RAW_PUBLIC_KEY, b""))
        if self.config.hash_and_url == "allow":
            out.append(empty(NotifyType.HTTP_CERT_LOOKUP_SUPPORTED))
        return out

    def _note_certreq(self, payloads: Sequence[Payload]) -> None:
        for x in payloads:
            if type(x) is CERTREQ and x.encoding == CertEncoding.X509_CERTIFICATE_SIGNATURE:
                self._peer_certreq += x.data
            elif type(x) is Notify and x.notify_type == NotifyType.HTTP_CERT_LOOKUP_SUPPORTED:
                self._peer_http_lookup = True

    # ------------------------------------------------------------------ hash and URL

    def _resolve_hash_and_url(
        self,
        message_id: int,
        inner: tuple[Payload, ...],
        now: float,
        resume: Callable[[tuple[Payload, ...], float], None],
    ) -> tuple[Payload, ...] | None:
        """The peer's IKE_AUTH payloads with hash-and-URL certificates (RFC 7296 §3.6)
        replaced by their bytes, when every one is at hand (cached); None when the
        caller was asked to fetch some (:class:`CertificateFetchRequested`) — then
        ``resume`` runs once they are supplied, refused or timed out. Under the
        "tolerate" policy nothing is fetched (the peer's key then cannot be had)."""
        if any(
            type(x) is Notify and x.notify_type == NotifyType.HTTP_CERT_LOOKUP_SUPPORTED
            for x in inner
        ):
            self._peer_http_lookup = True  # in an IKE_AUTH request (RFC 7296 §3.10.1)
        if self.config.hash_and_url != "allow":
            return inner
        try:
            named = named_objects(inner)
        except ProtocolError as exc:
            self._cert_failure = exc.reason
            return inner
        if not named:
            return inner
        cache = self.config.certificate_cache
        got: dict[str, bytes] = {}
        wanted: dict[str, tuple[bytes, int]] = {}
        for encoding, digest, url in named:
            cached = cache.lookup(url, digest, now) if cache is not None else None
            if cached is not None:
                got[url] = cached
            else:
                wanted[url] = (digest, encoding)
        if not wanted:
            return self._with_fetched(inner, got)
        self._fetch = PendingFetch(
            message_id, wanted, got, inner, resume, now + self.config.fetch_timeout
        )
        for url, (digest, encoding) in wanted.items():
            self._events.append(CertificateFetchRequested(url, digest, encoding))
        return None

    def _with_fetched(
        self, inner: tuple[Payload, ...], got: dict[str, bytes]
    ) -> tuple[Payload, ...]:
        try:
            resolved, crls = substitute(inner, got)
        except ProtocolError as exc:
            self._cert_failure = exc.reason
            return inner
        self._fetched_crls = crls
        return resolved

    def _finish_fetch(self, failure: str | None, now: float) -> None:
        pending = self._fetch
        assert pending is not None
        self._fetch = None
        if failure is not None:
            self._cert_failure = failure
            inner = pending.inner
        else:
            inner = self._with_fetched(pending.inner, pending.got)
        pending.resume(inner, now)

    def supply_certificate(self, url: str, data: bytes, now: float) -> bool:
        """The bytes the caller fetched from ``url`` for a :class:`CertificateFetchRequested`
        (RFC 7296 §3.6). Their SHA-1 must be the one the peer's CERT payload named,
        else the peer's authentication fails with that reason; a good object is cached
        (``IKEConfig.certificate_cache``) and, once every requested object is in, the
        IKE_AUTH message is processed. False when no fetch of ``url`` is waiting."""
        pending = self._fetch
        if pending is None or url not in pending.wanted:
            return False
        digest, _ = pending.wanted.pop(url)
        actual = sha1(data)
        if actual != digest:
            self._finish_fetch(
                f"the object fetched from {url} has SHA-1 {actual.hex()}, but the peer's "
                f"CERT payload names {digest.hex()}: refused (RFC 7296 §3.6)",
                now,
            )
            return True
        cache = self.config.certificate_cache
        if cache is not None:
            cache.store(url, data, now)
        pending.got[url] = data
        if not pending.wanted:
            self._finish_fetch(None, now)
        return True

    def certificate_fetch_failed(self, url: str, reason: str, now: float) -> bool:
        """The caller could not fetch ``url``: the peer's authentication fails with
        ``reason`` (AUTHENTICATION_FAILED, RFC 7296 §2.21.2). False when no fetch of
        ``url`` is waiting."""
        pending = self._fetch
        if pending is None or url not in pending.wanted:
            return False
        self._finish_fetch(f"fetching {url} failed: {reason}", now)
        return True

    def _peer_key(self, p: Message, id_payload: IDi | IDr) -> PublicKey:
        """The key the peer's signature must verify with (RFC 7296 §3.6): configured;
        or from the certificate it sent, validated to our trust anchors with the
        peer's ID matched (RFC 4945); or a pinned certificate."""
        if self._cert_failure is not None:
            raise ProtocolError(self._cert_failure, notify=NotifyType.AUTHENTICATION_FAILED)
        cert_payloads = [x for x in p.payloads if type(x) is CERT]
        if self.config.remote_public_key is not None:
            check_raw_key(cert_payloads, self.config.remote_public_key)
            return self.config.remote_public_key
        store = self.config.trust_store
        certs = [
            x.data for x in cert_payloads if x.encoding == CertEncoding.X509_CERTIFICATE_SIGNATURE
        ]
        if not certs:
            refuse_unusable_certs(cert_payloads, self.config.hash_and_url)
        if store is not None:
            if not certs:
                raise ProtocolError(
                    "the peer sent no X.509 certificate (CERT encoding 4) to validate",
                    notify=NotifyType.AUTHENTICATION_FAILED,
                )
            if self._fetched_crls:
                store = dataclasses.replace(store, crls=(*store.crls, *self._fetched_crls))
            validated = validate_peer(
                certs[0], certs[1:], store, now=self.config.wall_clock(), peer_id=id_payload
            )
            self._peer_cert_expiry = x509.load_der_x509_certificate(certs[0]).not_valid_after_utc
            return validated
        pinned = self.config.remote_certificate
        cert = p.get(CERT)
        if pinned is None or type(cert) is not CERT or cert.data != pinned:
            raise ProtocolError(
                "no trusted public key for the peer's signature",
                notify=NotifyType.AUTHENTICATION_FAILED,
            )
        key = x509.load_der_x509_certificate(pinned).public_key()
        try:
            key_type_of(key)  # type: ignore[arg-type]  # any x509 key; refuses the rest
        except ConfigError:
            raise ProtocolError(
                f"the peer's certificate key type {type(key).__name__} is not supported",
                notify=NotifyType.AUTHENTICATION_FAILED,
            ) from None
        return cast(PublicKey, key)

    def _verify_peer(self, p: Message, id_payload: IDi | IDr, auth: AUTH) -> None:
        """RFC 7296 §2.15: the peer's identity and AUTH, by the method the peer chose;
        ProtocolError(AUTHENTICATION_FAILED) if wrong."""
        assert self._prf is not None
        expected = self.config.remote_id
        if expected is not None and (
            int(id_payload.id_type) != int(expected.id_type) or id_payload.data != expected.data
        ):
            raise ProtocolError(
                f"peer identity {id_payload.value!r} is not {expected.value!r}",
                notify=NotifyType.AUTHENTICATION_FAILED,
            )
        octets = self._auth_octets(
            initiator=self.role is Role.RESPONDER, id_body=encode_payload_body(id_payload)
        )
        method = int(auth.method)
        peer_psk = self.config.peer_psk
        if method == _PSK and peer_psk is not None:
            verify_psk(self._prf, peer_psk, octets, auth.data)
        elif method == AuthMethod.NULL_AUTHENTICATION and self.config.accept_null_auth:
            assert self.keys is not None
            sk_p = self.keys.sk_pr if self.role is Role.INITIATOR else self.keys.sk_pi
            verify_null(self._prf, sk_p, octets, auth.data)
        elif method in _SIGNATURE_METHODS:
            key = self._peer_key(p, id_payload)
            verify(method, key, octets, auth.data, allowed_hashes=_OUR_HASHES)
        else:
            raise ProtocolError(
                f"peer auth method {_name(auth.method)} is not accepted",
                notify=NotifyType.AUTHENTICATION_FAILED,
            )
        self.remote_auth = auth.method

    def _send_auth_request(self, now: float) -> None:
        """RFC 7296 §1.2: HDR, SK {IDi, [IDr,] AUTH, SAi2, TSi, TSr}."""
        local = self.config.local_id
        self._child_spi = self._rng(4)
        inner: list[Payload] = [IDi(local.id_type, local.data), *self._own_cert(), *self._certreq()]
        if self.config.remote_id is not None:
            inner.append(IDr(self.config.remote_id.id_type, self.config.remote_id.data))
        esp = tuple(p._replace(spi=self._child_spi) for p in self._auth_esp_proposals)
        inner += self._own_auth_with_ppk(local)
        if self.config.request_virtual_ip:
            # RFC 7296 §3.15.1: an empty INTERNAL_IP4_ADDRESS asks for any address
            inner.append(
                CP(
                    CfgType.CFG_REQUEST,
                    (
                        CPAttribute(CPAttributeType.INTERNAL_IP4_ADDRESS),
                        CPAttribute(CPAttributeType.INTERNAL_IP4_DNS),
                    ),
                )
            )
        if not self._childless:
            inner += self._child_notifies(transport=self.config.mode == "transport")
            inner += [SA(esp), TSi(self._local_ts), TSr(self._remote_ts)]
        if self._window > 1:
            inner.append(set_window_size(self._window))  # RFC 7296 §2.3
        if self.config.initial_contact:
            inner.append(Notify(NotifyType.INITIAL_CONTACT))  # RFC 7296 §2.4
        self._send_request(ExchangeType.IKE_AUTH, inner, now, "auth")

    def _on_auth_request(
        self,
        msg: Message,
        data: bytes,
        addr: Address,
        framed: bool,
        inner: tuple[Payload, ...],
        now: float,
    ) -> None:
        self._update_path(addr, framed)
        p = Message.create(msg.exchange_type, inner, spi_i=msg.spi_i)
        idi, auth = p.get(IDi), p.get(AUTH)
        reply: list[Payload] = []
        try:
            if not (type(idi) is IDi and type(auth) is AUTH):
                raise ProtocolError(
                    "IKE_AUTH request without IDi or AUTH",
                    notify=NotifyType.AUTHENTICATION_FAILED,
                )
            auth = self._ppk_as_responder(p, auth)
            self._verify_peer(p, idi, auth)
        except ProtocolError as e:
            # RFC 7296 §2.21.2: answer with AUTHENTICATION_FAILED, keep no SA.
            response = self._seal(
                ExchangeType.IKE_AUTH,
                msg.message_id,
                [Notify(NotifyType.AUTHENTICATION_FAILED)],
                response=True,
            )
            self._respond(msg.message_id, data, response)
            self._fail(NotifyType.AUTHENTICATION_FAILED, e.reason)
            return
        self.remote_identity = idi.value
        self.peer_initial_contact = _has_notify(p, NotifyType.INITIAL_CONTACT)
        self._learn_window(p.notifies())
        self._note_certreq(p.payloads)
        local = self.config.local_id
        try:
            own_auth = self._own_auth(local)
        except (ConfigError, CryptoError) as e:
            response = self._seal(
                ExchangeType.IKE_AUTH,
                msg.message_id,
                [Notify(NotifyType.AUTHENTICATION_FAILED)],
                response=True,
            )
            self._respond(msg.message_id, data, response)
            self._fail(NotifyType.AUTHENTICATION_FAILED, f"cannot authenticate: {e}")
            return
        reply += [IDr(local.id_type, local.data), *self._own_cert(), own_auth]
        if self.ppk_used:
            reply.append(Notify(NotifyType.PPK_IDENTITY))  # RFC 8784 §3: PPK in use
        child_events: list[Event] = []
        try:
            reply += self._accept_child(p, child_events, now)
        except ProtocolError as e:
            # RFC 7296 §2.21.3: the IKE SA stands, the Child SA is refused.
            reply.append(Notify(e.notify, e.data))
            child_events.append(ConnectionFailed(e.notify, e.reason))
        if self._window > 1:
            reply.append(set_window_size(self._window))
        if self.config.initial_contact:
            reply.append(Notify(NotifyType.INITIAL_CONTACT))  # RFC 7296 §2.4
        response = self._seal(ExchangeType.IKE_AUTH, msg.message_id, reply, response=True)
        self._advance(Stimulus.RECV_AUTH_REQUEST)
        self._respond(msg.message_id, data, response)
        self._ike_established(now)
        self._events.append(self._established_event())
        self._events.extend(child_events)

    def _child_notifies(self, *, transport: bool) -> list[Payload]:
        """The Child SA status notifies we send (RFC 7296 §1.3.1, §3.10.1); IPComp is
        not offered (RFC 7296 §2.22), so IPCOMP_SUPPORTED from a peer is ignored."""
        out: list[Payload] = []
        if transport:
            out.append(use_transport_mode())
        if not self.config.tfc_padding:
            out.append(empty(NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED))
        if self.config.non_first_fragments:
            out.append(empty(NotifyType.NON_FIRST_FRAGMENTS_ALSO))
        return out

    def _assign_virtual_ip(self, p: Message) -> tuple[list[Payload], tuple[Selector, ...]]:
        """RFC 7296 §2.19: answer CP(CFG_REQUEST) from the pool; the CP reply and the
        initiator's narrowed TSi policy (the leased address only)."""
        cp = p.get(CP)
        pool = self.config.address_pool
        if not (type(cp) is CP and cp.cfg_type == CfgType.CFG_REQUEST) or pool is None:
            return [], self._remote_ts  # RFC 7296 §3.15: no pool, no CP reply
        wanted = {int(a.type) for a in cp.attributes}
        family = pool.attribute_family
        address_type = (
            CPAttributeType.INTERNAL_IP4_ADDRESS
            if family == 4
            else CPAttributeType.INTERNAL_IP6_ADDRESS
        )
        if int(address_type) not in wanted:
            return [], self._remote_ts
        leased = pool.acquire(self.remote_identity or "")
        if leased is None:
            raise ProtocolError(
                f"address pool {pool.spec} is exhausted",
                notify=NotifyType.INTERNAL_ADDRESS_FAILURE,
            )
        self._leased = True
        # RFC 7296 §3.15.1: INTERNAL_IP6_ADDRESS carries the prefix length too
        value = leased.packed if family == 4 else leased.packed + b"\x80"
        attributes = [CPAttribute(address_type, value)]
        dns_type = (
            CPAttributeType.INTERNAL_IP4_DNS if family == 4 else CPAttributeType.INTERNAL_IP6_DNS
        )
        for server in self.config.dns_servers:
            packed = _packed(server)
            if (len(packed) == 4) == (family == 4):
                attributes.append(CPAttribute(dns_type, packed))
        self.virtual_ips = (str(leased),)
        self.dns_servers = tuple(self.config.dns_servers)
        host = f"{leased}/{32 if family == 4 else 128}"
        return [CP(CfgType.CFG_REPLY, tuple(attributes))], (ts_from_string(host),)

    def _read_cp_reply(self, p: Message) -> None:
        """The initiator's virtual IP and DNS servers from CP(CFG_REPLY) (RFC 7296 §3.15.1)."""
        cp = p.get(CP)
        if not (type(cp) is CP and cp.cfg_type == CfgType.CFG_REPLY):
            return
        ips: list[str] = []
        dns: list[str] = []
        for a in cp.attributes:
            kind, value = int(a.type), a.value
            if kind == CPAttributeType.INTERNAL_IP4_ADDRESS and len(value) == 4:
                ips.append(str(ipaddress.IPv4Address(value)))
            elif kind == CPAttributeType.INTERNAL_IP6_ADDRESS and len(value) == 17:
                ips.append(str(ipaddress.IPv6Address(value[:16])))
            elif kind == CPAttributeType.INTERNAL_IP4_DNS and len(value) == 4:
                dns.append(str(ipaddress.IPv4Address(value)))
            elif kind == CPAttributeType.INTERNAL_IP6_DNS and len(value) == 16:
                dns.append(str(ipaddress.IPv6Address(value)))
        self.virtual_ips, self.dns_servers = tuple(ips), tuple(dns)

    def _accept_child(self, p: Message, events: list[Event], now: float) -> list[Payload]:
        """The responder's first Child SA (RFC 7296 §2.7, §2.9, §2.17), with the
        CP reply (§2.19) and the mode and status notifies (§1.3.1)."""
        sa, tsi, tsr = p.get(SA), p.get(TSi), p.get(TSr)
        if sa is None and tsi is None and tsr is None and self._childless:
            return []  # RFC 6023 §3: a childless IKE SA, as we both announced
        if not (type(sa) is SA and type(tsi) is TSi and type(tsr) is TSr):
            raise ProtocolError("no Child SA proposed", notify=NotifyType.NO_PROPOSAL_CHOSEN)
        # a peer that left its PFS groups in IKE_AUTH's proposals: compare without them
        received = without_ke(sa.proposals)
        answer = select_proposal(received, self._auth_esp_proposals)
        offered = next(o for o in received if o.number == answer.number)
        cp_reply, remote_policy = self._assign_virtual_ip(p)
        narrowed_i = narrow(tsi.selectors, remote_policy)
        narrowed_r = narrow(tsr.selectors, self._local_ts)
        asked = {int(n.notify_type) for n in p.notifies()}
        # RFC 7296 §1.3.1: transport only when asked and configured, else tunnel
        transport = NotifyType.USE_TRANSPORT_MODE in asked and self.config.mode == "transport"
        spi_in = self._rng(4)
        answer = answer._replace(spi=spi_in)
        self._add_child(
            answer,
            spi_in,
            offered.spi,
            narrowed_i,
            narrowed_r,
            events,
            transport=transport,
            peer_notifies=asked,
            now=now,
            ours=False,  # the peer's IKE_AUTH made it: its TSi is the peer's side
        )
        return [
            *cp_reply,
            *self._child_notifies(transport=transport),
            SA((answer,)),
            TSi(narrowed_i),
            TSr(narrowed_r),
        ]

    def _add_child(
        self,
        proposal: Proposal,
        spi_in: bytes,
        spi_out: bytes,
        tsi: tuple[Selector, ...],
        tsr: tuple[Selector, ...],
        events: list[Event],
        *,
        transport: bool,
        peer_notifies: set[int],
        now: float,
        nonces: tuple[bytes, bytes] | None = None,
        secret: bytes | None = None,
        additional: Sequence[bytes] = (),
        ours: bool = True,
        replaces: ChildSA | None = None,
    ) -> ChildSA:
        """Derive the KEYMAT (RFC 7296 §2.17: the IKE_AUTH nonces, or a CREATE_CHILD_SA
        exchange's with its optional new key exchange), keep the SA, and announce it."""
        assert self.keys is not None
        ni, nr = nonces if nonces is not None else (self._ni, self._nr)
        keys = derive_child_sa_keys(
            proposal, self.keys, ni, nr, shared_secret=secret, additional_secrets=additional
        )
        generation = replaces.generation + 1 if replaces is not None else 1
        if replaces is not None:
            tunnel = replaces.tunnel
        else:
            self._child_tunnels += 1
            tunnel = self._child_tunnels
        child = ChildSA(
            spi_in,
            spi_out,
            proposal,
            tsi,
            tsr,
            keys,
            mode="transport" if transport else "tunnel",
            generation=generation,
            established_at=now,
            nonces=(ni, nr),
            ours=ours,
            tunnel=tunnel,
        )
        self._schedule_child(child, now)
        self.child_sas.append(child)
        # RFC 7296 §2.17: the keys for "initiator to responder" come first, the
        # initiator being the one who started the exchange that made this Child SA
        # (IKE_AUTH's initiator, or whoever sent the CREATE_CHILD_SA request)
        if ours:
            ein, ain, eout, aout = keys.sk_er, keys.sk_ar, keys.sk_ei, keys.sk_ai
        else:
            ein, ain, eout, aout = keys.sk_ei, keys.sk_ai, keys.sk_er, keys.sk_ar
        events.append(
            ChildSAEstablished(
                spi_in=spi_in,
                spi_out=spi_out,
                protocol=_name(to_enum(ProtocolId, proposal.protocol_id)),
                mode="transport" if transport else "tunnel",
                tsi=tsi,
                tsr=tsr,
                suite=_suite_name(proposal),
                encr_id=keys.encr_id,
                encr_key_bits=keys.encr_key_bits,
                integ_id=keys.integ_id,
                encr_key_in=ein,
                integ_key_in=ain,
                encr_key_out=eout,
                integ_key_out=aout,
                udp_encapsulation=self._marker,
                remote_address=self.peer_address,
                tfc_padding=NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED not in peer_notifies,
                non_first_fragments=(
                    self.config.non_first_fragments
                    and NotifyType.NON_FIRST_FRAGMENTS_ALSO in peer_notifies
                ),
                rekeyed_spi=replaces.spi_in if replaces is not None else None,
                generation=generation,
            )
        )
        return child

    def _established_event(self) -> IKESAEstablished:
        return IKESAEstablished(
            suite=_suite_name(self.suite) if self.suite else "",
            spi_i=self.spi_i,
            spi_r=self.spi_r,
            local_id=self.config.local_id.value,
            remote_id=self.remote_identity or "",
            local_auth=_name(self.local_auth or 0),
            remote_auth=_name(self.remote_auth or 0),
            virtual_ips=self.virtual_ips,
            dns_servers=self.dns_servers,
            ppk=self.ppk_used,
            initial_contact=self.peer_initial_contact,
        )

    def _on_auth_response(
        self, msg: Message, data: bytes, now: float, inner: tuple[Payload, ...]
    ) -> None:
        p = Message.create(msg.exchange_type, inner, spi_i=msg.spi_i)
        notifies = {int(n.notify_type): n for n in p.notifies()}
        idr, auth = p.get(IDr), p.get(AUTH)
        try:
            if NotifyType.AUTHENTICATION_FAILED in notifies:
                raise ProtocolError(
                    "responder sent AUTHENTICATION_FAILED",
                    notify=NotifyType.AUTHENTICATION_FAILED,
                )
            if not (type(idr) is IDr and type(auth) is AUTH):
                errors = [n for n in p.notifies() if n.is_error]
                code = int(errors[0].notify_type) if errors else NotifyType.INVALID_SYNTAX
                # Without IDr and AUTH the responder is not authenticated and no IKE SA
                # exists for us; the peer may think otherwise (a response carrying only a
                # Child SA error), so tell it the IKE SA is gone: a Delete (RFC 7296
                # §1.4.1), sent once, no answer awaited.
                delete = self._seal(
                    ExchangeType.INFORMATIONAL,
                    self._next_request_id,
                    [Delete(ProtocolId.IKE, 0)],
                    response=False,
                )
                self._next_request_id += 1
                self._queue_all(delete)
                named = _name(to_enum(NotifyType, code))
                raise ProtocolError(
                    f"IKE_AUTH response without IDr and AUTH, refused: {named}", notify=code
                )
            try:
                self._ppk_as_initiator(p)
                self._verify_peer(p, idr, auth)
            except ProtocolError:
                # RFC 7296 §2.21.2: an error on the initiator "MAY be returned in a
                # separate INFORMATIONAL exchange"; sent once, no answer awaited.
                informational = self._seal(
                    ExchangeType.INFORMATIONAL,
                    self._next_request_id,
                    [Notify(NotifyType.AUTHENTICATION_FAILED)],
                    response=False,
                )
                self._next_request_id += 1
                self._queue_all(informational)
                raise
        except ProtocolError as e:
            self._fail(e.notify, e.reason)
            return
        self._outstanding.pop(msg.message_id, None)
        self._learn_window(p.notifies())
        self._read_cp_reply(p)
        self.remote_identity = idr.value
        self.peer_initial_contact = NotifyType.INITIAL_CONTACT in notifies
        self._advance(Stimulus.RECV_AUTH_RESPONSE)
        self._ike_established(now)
        events: list[Event] = [self._established_event()]
        try:
            self._check_child(p, notifies, events, now)
        except ProtocolError as e:
            events.append(ConnectionFailed(e.notify, e.reason))
        self._events.extend(events)

    def _check_child(
        self, p: Message, notifies: dict[int, Notify], events: list[Event], now: float
    ) -> None:
        """The initiator's checks of the first Child SA (RFC 7296 §3.3.6, §2.9)."""
        for code in _CHILD_ERRORS:
            if code in notifies:
                raise ProtocolError(f"Child SA refused: {_name(code)}", notify=code)
        if self._childless:
            return  # RFC 6023: no Child SA was asked for
        sa, tsi, tsr = p.get(SA), p.get(TSi), p.get(TSr)
        if not (type(sa) is SA and type(tsi) is TSi and type(tsr) is TSr):
            # any other error in place of the Child SA explains its failure (e.g.
            # TEMPORARY_FAILURE from a peer whose kernel refused the SA); the IKE SA
            # stands (RFC 7296 §2.21.2, §3.10.1)
            errors = sorted(code for code in notifies if code < 16384)
            if errors:
                named = _name(to_enum(NotifyType, errors[0]))
                raise ProtocolError(f"Child SA refused: {named}", notify=errors[0])
            raise ProtocolError("IKE_AUTH response without SA, TSi or TSr")
        offered = tuple(x._replace(spi=self._child_spi) for x in self._auth_esp_proposals)
        check_selected(offered, sa.proposals)
        check_narrowed(tsi.selectors, self._local_ts)
        check_narrowed(tsr.selectors, self._remote_ts)
        chosen = sa.proposals[0]
        answered = set(notifies)
        self._add_child(
            chosen,
            self._child_spi,
            chosen.spi,
            tsi.selectors,
            tsr.selectors,
            events,
            transport=NotifyType.USE_TRANSPORT_MODE in answered,
            peer_notifies=answered,
            now=now,
        )
