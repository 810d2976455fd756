"""Configuration of one IKE SA and its first Child SA (RFC 7296 §2.7, §2.9, §2.15)."""

from __future__ import annotations

import datetime
import functools
import ipaddress
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cryptography import x509

from ..constants import IDType, ProtocolId
from ..crypto.auth import PrivateKey, PublicKey, key_type_of
from ..errors import ConfigError
from ..wire.models import IDi, Proposal, Selector
from .certcache import CertificateCache
from .pool import AddressPool
from .selectors import ts_from_string
from .trust import TrustStore

__all__ = ["IKEConfig", "Identity", "as_proposals", "as_selectors"]

Rng = Callable[[int], bytes]


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True, slots=True)
class Identity:
    """An identity (RFC 7296 §3.5): its ID Type and Identification Data."""

    id_type: IDType | int
    data: bytes

    @classmethod
    def fqdn(cls, name: str) -> Identity:
        """An ID_FQDN identity."""
        return cls(IDType.ID_FQDN, name.encode("ascii"))

    @classmethod
    def null(cls) -> Identity:
        """ID_NULL (RFC 7619 §3): no identity, for NULL authentication."""
        return cls(IDType.ID_NULL, b"")

    @classmethod
    def ip(cls, address: str) -> Identity:
        """ID_IPV4_ADDR or ID_IPV6_ADDR (RFC 7296 §3.5)."""
        try:
            packed = ipaddress.ip_address(address).packed
        except ValueError:
            raise ConfigError(f"{address!r} is not an IP address") from None
        kind = IDType.ID_IPV4_ADDR if len(packed) == 4 else IDType.ID_IPV6_ADDR
        return cls(kind, packed)

    @classmethod
    def email(cls, address: str) -> Identity:
        """ID_RFC822_ADDR (RFC 7296 §3.5)."""
        return cls(IDType.ID_RFC822_ADDR, address.encode("ascii"))

    @property
    def body(self) -> bytes:
        """The ID payload body without its generic header (RFC 7296 §2.15)."""
        return bytes([int(self.id_type), 0, 0, 0]) + self.data

    @property
    def value(self) -> str:
        """The identity as text."""
        return IDi(self.id_type, self.data).value


@functools.lru_cache(maxsize=256)
def as_proposals(
    items: Sequence[str | Proposal], protocol: ProtocolId, spi: bytes = b""
) -> tuple[Proposal, ...]:
    """Proposals numbered from 1 (RFC 7296 §3.3.1), from strongSwan strings or models.

    Cached: a config's tuples are parsed once, not per connection.
    """
    out: list[Proposal] = []
    for number, item in enumerate(items, start=1):
        p = Proposal.parse(item, protocol) if isinstance(item, str) else item
        out.append(p._replace(number=number, protocol_id=protocol, spi=spi))
    if not out:
        raise ConfigError("at least one proposal is needed")
    return tuple(out)


@functools.lru_cache(maxsize=256)
def child_proposals(
    esp: Sequence[str | Proposal], ah: Sequence[str | Proposal]
) -> tuple[Proposal, ...]:
    """ESP then AH proposals in one SA payload, numbered from 1 (RFC 7296 §3.3.1)."""
    out = (as_proposals(tuple(esp), ProtocolId.ESP) if esp else ()) + (
        as_proposals(tuple(ah), ProtocolId.AH) if ah else ()
    )
    return tuple(p._replace(number=n) for n, p in enumerate(out, start=1))


@functools.lru_cache(maxsize=256)
def as_selectors(items: Sequence[str | Selector]) -> tuple[Selector, ...]:
    """Traffic selectors from strongSwan ``local_ts`` strings or models."""
    return tuple(ts_from_string(s) if isinstance(s, str) else s for s in items)


@dataclass(frozen=True, slots=True)
class IKEConfig:
    """What one side of an IKE SA needs (RFC 7296).

    Each side chooses its own method (RFC 7296 §2.15). We authenticate with ``psk`` (a
    shared key) or, without one, with ``private_key`` (signature AUTH: RFC 7427 Digital
    Signature when the peer announced SIGNATURE_HASH_ALGORITHMS, else RFC 4754 ECDSA or
    RSA method 1), sending ``certificate`` (DER) in a CERT payload if given;
    ``rsa_pss`` picks RSASSA-PSS for RSA keys under RFC 7427. The peer may prove
    ``remote_psk`` (defaults to ``psk``) or sign: its key is ``remote_public_key``, or the
    key of the CERT it sends when that certificate is exactly ``remote_certificate``
    (a pinned certificate) — or, with a ``trust_store``, any certificate chain the peer
    sends that validates to its anchors with the peer's ID in the certificate
    (RFC 4945 §3.1); we then send CERTREQ for those anchors (RFC 7296 §3.7).
    ``certificate_chain`` holds our intermediates (DER), sent after ``certificate``.
    ``wall_clock`` gives the UTC time certificates are checked against (inject it in
    tests; the connection's own ``now`` is only a monotonic clock).
    ``null_auth``: we authenticate with NULL Authentication (RFC 7619; use
    :meth:`Identity.null` or any ID), and ``accept_null_auth`` lets the peer do so —
    an opportunistic, unauthenticated SA; never the default.
    ``require_cookie`` makes a responder ask for a COOKIE first (RFC 7296 §2.6). ``rng`` draws every random octet
    (SPIs, nonces, IVs, private values): inject a deterministic one in tests.
    Retransmission (RFC 7296 §2.1): the first after ``retransmit_timeout`` seconds,
    doubling, at most ``retransmit_tries`` sends in all. ``remote_address`` is where an
    initiator sends; ``local_address`` goes into NAT detection (RFC 7296 §2.23).
    ``max_init_retries`` bounds IKE_SA_INIT restarts on INVALID_KE_PAYLOAD (§1.3).
    Child SAs: ``esp_proposals`` and ``ah_proposals`` (RFC 4302; either may be empty,
    not both) are offered in one SA payload; ``mode`` is ``"tunnel"`` or
    ``"transport"`` (USE_TRANSPORT_MODE, RFC 7296 §1.3.1: a responder configured for
    tunnel mode answers tunnel); ``tfc_padding=False`` sends
    ESP_TFC_PADDING_NOT_SUPPORTED and ``non_first_fragments`` NON_FIRST_FRAGMENTS_ALSO
    (RFC 7296 §1.3.1, §3.10.1). Virtual IPs (RFC 7296 §2.19): an initiator with
    ``request_virtual_ip`` sends CP(CFG_REQUEST); a responder with ``address_pool``
    answers CP(CFG_REPLY) with a leased address and ``dns_servers``, and narrows the
    initiator's traffic selector to it.
    ``fragmentation`` announces RFC 7383 in IKE_SA_INIT; when both sides did, protected
    messages larger than ``fragment_size`` (an IP datagram size, as strongSwan's
    setting; RFC 7383 §2.5.1) are sent as Encrypted Fragments.
    Lifetimes are each peer's own (RFC 7296 §2.8: not negotiated): an SA is rekeyed
    at its rekey time (``ike_rekey_time``/``child_rekey_time``, default 90 % of the
    lifetime) less a random share of up to ``rekey_jitter`` of it, so that two peers
    rarely collide, and deleted at its lifetime (``ike_lifetime``/``child_lifetime``,
    seconds). ``child_rekey_bytes``/``child_life_bytes`` and the ``_packets`` twins do
    the same by volume, as the caller reports it with ``child_sa_used`` (0 = none).
    ``ppk``/``ppk_id`` (RFC 8784): a post-quantum preshared key and its PPK_ID (type
    ``ppk_id_type``: 1 PPK_ID_OPAQUE, 2 PPK_ID_FIXED), mixed into SK_d, SK_pi and SK_pr
    when both sides announce USE_PPK; ``ppk_required`` refuses an IKE SA without it
    (else NO_PPK_AUTH lets a peer without that PPK in).
    ``reauth_time``: after that many seconds (less jitter) a
    :class:`~ikewire.connection.events.ReauthenticationDue` event asks for a new IKE SA
    with full authentication (RFC 7296 §2.8.3; 0 = never); a certificate's expiry
    brings it forward and trims the lifetime. ``dpd_delay``: a liveness check after that many seconds without traffic from the
    peer (RFC 7296 §1.4; 0 = none). ``childless``: the initiator creates no Child SA
    in IKE_AUTH when the responder supports RFC 6023. ``max_child_sas`` bounds the
    Child SAs per IKE SA (beyond it a request gets NO_ADDITIONAL_SAS).
    ``initial_contact``: our IKE_AUTH (request or response) carries INITIAL_CONTACT
    (RFC 7296 §2.4, §3.10.1): this is our only IKE SA with the peer (say, after a
    restart), and the peer may drop any other it still has with our identity. Never
    for a side that may run twice with one identity; a reauthentication never sends it.
    Hash and URL (RFC 7296 §3.6, §3.10.1): ``certificate_urls`` maps our certificates
    (DER) and ``certificate_bundle`` (a DER CertificateBundle, :mod:`ikewire.certbundle`)
    to the URLs they are served at; to a peer that announced HTTP_CERT_LOOKUP_SUPPORTED
    we send those as hash and URL (encodings 12, 13). ``hash_and_url`` is our policy for
    the other direction: "tolerate" (default) never fetches and refuses a peer that sends
    only hash and URL; "allow" announces HTTP_CERT_LOOKUP_SUPPORTED and, for what the
    peer names, emits ``CertificateFetchRequested`` and waits up to ``fetch_timeout``
    seconds for :meth:`IKEConnection.supply_certificate`, checking the SHA-1;
    ``certificate_cache`` (shareable) keeps what was fetched. ``raw_public_key`` sends our
    key as a Raw Public Key (CERT encoding 15, RFC 7670) instead of certificates; a peer's
    raw key (15, or 11 for RSA) is accepted only as ``remote_public_key``.
    ``window_size`` (RFC 7296 §2.3): how many of the peer's requests we take at once,
    announced with SET_WINDOW_SIZE when above 1; ``max_peer_window`` caps how many of
    ours we keep outstanding whatever the peer announces.
    NAT traversal (RFC 7296 §2.23, RFC 3948): with ``nat_traversal`` the initiator moves
    to UDP 4500 (non-ESP marker) when either side is behind a NAT, and the Child SAs are
    UDP-encapsulated; ``force_encapsulation`` pretends we are behind one (a random
    NAT_DETECTION_SOURCE_IP), as strongSwan's ``encap = yes`` does; a side behind a NAT
    sends a NAT-keepalive after ``nat_keepalive`` seconds without other traffic
    (RFC 3948 §4; 0 disables).
    """

    local_id: Identity
    remote_id: Identity | None = None
    ike_proposals: tuple[str | Proposal, ...] = ("aes256gcm16-prfsha256-x25519",)
    esp_proposals: tuple[str | Proposal, ...] = ("aes256gcm16",)
    psk: bytes | None = field(default=None, repr=False)
    remote_psk: bytes | None = field(default=None, repr=False)
    private_key: PrivateKey | None = field(default=None, repr=False)
    certificate: bytes | None = None
    rsa_pss: bool = True
    null_auth: bool = False
    accept_null_auth: bool = False
    remote_public_key: PublicKey | None = field(default=None, repr=False)
    remote_certificate: bytes | None = None
    certificate_chain: tuple[bytes, ...] = ()
    trust_store: TrustStore | None = field(default=None, compare=False)
    wall_clock: Callable[[], datetime.datetime] = field(default=_utc_now, repr=False, compare=False)
    require_cookie: bool = False
    local_ts: tuple[str | Selector, ...] = ("0.0.0.0/0",)
    remote_ts: tuple[str | Selector, ...] = ("0.0.0.0/0",)
    local_address: tuple[str, int] = ("0.0.0.0", 500)
    remote_address: tuple[str, int] | None = None
    max_init_retries: int = 3
    ah_proposals: tuple[str | Proposal, ...] = ()
    mode: str = "tunnel"
    request_virtual_ip: bool = False
    address_pool: AddressPool | None = field(default=None, compare=False)
    dns_servers: tuple[str, ...] = ()
    tfc_padding: bool = True
    non_first_fragments: bool = False
    fragmentation: bool = True
    fragment_size: int = 1280
    window_size: int = 1
    max_peer_window: int = 16
    nat_traversal: bool = True
    force_encapsulation: bool = False
    nat_keepalive: float = 20.0
    retransmit_timeout: float = 2.0
    retransmit_tries: int = 5
    nonce_size: int = 32
    ike_lifetime: float = 10800
    child_lifetime: float = 3600
    ike_rekey_time: float | None = None
    child_rekey_time: float | None = None
    rekey_jitter: float = 0.1
    child_rekey_bytes: int = 0
    child_life_bytes: int = 0
    child_rekey_packets: int = 0
    child_life_packets: int = 0
    dpd_delay: float = 0.0
    reauth_time: float = 0.0
    ppk: bytes | None = field(default=None, repr=False)
    ppk_id: bytes = b""
    ppk_id_type: int = 2
    ppk_required: bool = False
    childless: bool = False
    max_child_sas: int = 64
    initial_contact: bool = False
    hash_and_url: str = "tolerate"
    certificate_urls: Mapping[bytes, str] = field(default_factory=dict, compare=False)
    certificate_bundle: bytes | None = None
    certificate_cache: CertificateCache | None = field(default=None, compare=False)
    fetch_timeout: float = 30.0
    raw_public_key: bool = False
    rng: Rng = field(default=os.urandom, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.psk is None and self.private_key is None and not self.null_auth:
            raise ConfigError("no local authentication configured (psk or private_key)")
        if self.hash_and_url not in ("tolerate", "allow"):
            raise ConfigError('hash_and_url is "tolerate" (the default) or "allow"')
        if self.certificate_bundle is not None and (
            self.certificate_bundle not in self.certificate_urls
        ):
            raise ConfigError("certificate_bundle needs its URL in certificate_urls")
        if self.fetch_timeout <= 0:
            raise ConfigError("fetch_timeout is a positive number of seconds")
        if self.raw_public_key and self.private_key is None:
            raise ConfigError("raw_public_key sends the key of private_key: configure one")
        if self.private_key is not None:
            key_type_of(self.private_key)  # ConfigError for a key type IKE cannot use
        for der in (
            *((self.certificate,) if self.certificate is not None else ()),
            *self.certificate_chain,
        ):
            try:
                x509.load_der_x509_certificate(der)
            except ValueError as exc:
                raise ConfigError(f"certificate is not DER X.509: {exc}") from None
        if not 1 <= self.retransmit_tries <= 20:
            raise ConfigError("retransmit_tries must be within 1..20")
        if self.retransmit_timeout <= 0:
            raise ConfigError("retransmit_timeout must be positive")
        if self.mode not in ("tunnel", "transport"):
            raise ConfigError(f"mode must be 'tunnel' or 'transport', not {self.mode!r}")
        if not self.esp_proposals and not self.ah_proposals:
            raise ConfigError("no Child SA proposals (esp_proposals or ah_proposals)")
        for server in self.dns_servers:
            try:
                ipaddress.ip_address(server)
            except ValueError:
                raise ConfigError(f"DNS server {server!r} is not an IP address") from None
        if self.ike_lifetime <= 0 or self.child_lifetime <= 0:
            raise ConfigError("lifetimes must be positive")
        for rekey, life, what in (
            (self.ike_rekey_time, self.ike_lifetime, "ike"),
            (self.child_rekey_time, self.child_lifetime, "child"),
        ):
            if rekey is not None and not 0 < rekey <= life:
                raise ConfigError(f"{what}_rekey_time must be within (0, {what}_lifetime]")
        if not 0 <= self.rekey_jitter < 1:
            raise ConfigError("rekey_jitter must be within [0, 1)")
        if (
            min(self.child_rekey_bytes, self.child_life_bytes) < 0
            or min(self.child_rekey_packets, self.child_life_packets) < 0
        ):
            raise ConfigError("volume limits must be >= 0 (0 = none)")
        if self.ppk is not None and (not self.ppk or not self.ppk_id):
            raise ConfigError("a PPK needs key octets and a PPK_ID (RFC 8784 §3)")
        if self.ppk_required and self.ppk is None:
            raise ConfigError("ppk_required without a ppk")
        if self.ppk_id_type not in (1, 2):
            raise ConfigError("ppk_id_type is 1 (PPK_ID_OPAQUE) or 2 (PPK_ID_FIXED)")
        if self.reauth_time < 0:
            raise ConfigError("reauth_time must be >= 0 (0 = never)")
        if self.dpd_delay < 0:
            raise ConfigError("dpd_delay must be >= 0 (0 = none)")
        if not 1 <= self.max_child_sas <= 4096:
            raise ConfigError("max_child_sas must be within 1..4096")
        if not 576 <= self.fragment_size <= 65535:
            raise ConfigError("fragment_size must be within 576..65535 (RFC 7383 §2.5.1)")
        if not 1 <= self.window_size <= 64:
            raise ConfigError("window_size must be within 1..64")
        if not 1 <= self.max_peer_window <= 64:
            raise ConfigError("max_peer_window must be within 1..64")
        if self.nat_keepalive < 0:
            raise ConfigError("nat_keepalive must be >= 0 (0 disables keepalives)")
        if not 16 <= self.nonce_size <= 256:
            raise ConfigError("nonce_size must be within 16..256 (RFC 7296 §2.10)")

    @property
    def peer_psk(self) -> bytes | None:
        """The shared key the peer may prove, or None (then it must sign)."""
        return self.remote_psk if self.remote_psk is not None else self.psk
