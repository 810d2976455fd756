"""Events an :class:`~ikewire.connection.ike_sa.IKEConnection` hands to its caller.

Frozen, slotted dataclasses in one module, the h11 way. Each carries everything the
caller needs to act (install an SA with ``ip xfrm``, report a failure) without reaching
into the connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..wire.models import Selector

__all__ = [
    "AuthenticationFailed",
    "CertificateFetchRequested",
    "ChildSADeleted",
    "ChildSAEstablished",
    "ConnectionFailed",
    "Event",
    "IKESADeleted",
    "IKESAEstablished",
    "NotifyReceived",
    "PeerAlive",
    "RetransmitTimeout",
]


@dataclass(frozen=True, slots=True)
class IKESAEstablished:
    """IKE_AUTH completed (RFC 7296 §1.2): the negotiated suite, SPIs, identities and
    both sides' authentication methods; the virtual IPs and DNS servers the responder
    assigned to the initiator (RFC 7296 §2.19), on both sides. ``initial_contact``: the
    peer's IKE_AUTH carried INITIAL_CONTACT (§2.4): it has no other IKE SA with us, so
    any other IKE SA between the same identities is gone at its end (an
    :class:`~ikewire.connection.endpoint.IKEEndpoint` closes those by itself)."""

    suite: str
    spi_i: bytes
    spi_r: bytes
    local_id: str
    remote_id: str
    local_auth: str
    remote_auth: str
    virtual_ips: tuple[str, ...] = ()
    dns_servers: tuple[str, ...] = ()
    ppk: bool = False
    initial_contact: bool = False


@dataclass(frozen=True, slots=True)
class ChildSAEstablished:
    """A Child SA is up (RFC 7296 §1.2, §2.17): ready for a kernel.

    ``spi_in`` is the SPI we chose (inbound packets carry it), ``spi_out`` the peer's.
    Keys: ``encr_key_in``/``integ_key_in`` decrypt and verify inbound traffic, the
    ``_out`` keys protect outbound traffic (AEAD keys end with their salt).
    ``udp_encapsulation``: ESP goes inside UDP on the IKE SA's port-4500 path (RFC 3948),
    between our NAT-T port and ``remote_address``. ``tfc_padding``: the peer accepts
    TFC padding (it did not send ESP_TFC_PADDING_NOT_SUPPORTED); ``non_first_fragments``:
    both sides agreed to NON_FIRST_FRAGMENTS_ALSO (RFC 7296 §3.10.1). A Child SA made
    by a rekey (RFC 7296 §2.8) names the inbound SPI of the one it replaces in
    ``rekeyed_spi`` (that one stays installed until its :class:`ChildSADeleted`:
    make-before-break); ``generation`` counts the rekeys of this tunnel.
    """

    spi_in: bytes
    spi_out: bytes
    protocol: str
    mode: str
    tsi: tuple[Selector, ...]
    tsr: tuple[Selector, ...]
    suite: str
    encr_id: int | None
    encr_key_bits: int | None
    integ_id: int
    encr_key_in: bytes = field(repr=False)
    integ_key_in: bytes = field(repr=False)
    encr_key_out: bytes = field(repr=False)
    integ_key_out: bytes = field(repr=False)
    udp_encapsulation: bool = False
    remote_address: tuple[str, int] | None = None
    tfc_padding: bool = True
    non_first_fragments: bool = False
    rekeyed_spi: bytes | None = None
    generation: int = 1


@dataclass(frozen=True, slots=True)
class ConnectionFailed:
    """The exchange failed; ``notify`` is the RFC 7296 §3.10.1 error (sent or received)."""

    notify: int
    reason: str


@dataclass(frozen=True, slots=True)
class AuthenticationFailed:
    """AUTHENTICATION_FAILED (24) was sent or received (RFC 7296 §2.21.2)."""

    notify: int
    reason: str


@dataclass(frozen=True, slots=True)
class RetransmitTimeout:
    """No answer after every retransmission (RFC 7296 §2.4): the SA is dead."""

    message_id: int
    tries: int


@dataclass(frozen=True, slots=True)
class IKESADeleted:
    """The IKE SA was deleted (RFC 7296 §1.4.1), by us (``local``) or by the peer."""

    local: bool


@dataclass(frozen=True, slots=True)
class ChildSADeleted:
    """A Child SA was deleted (RFC 7296 §1.4.1), by us (``local``) or by the peer:
    remove both directions from the kernel."""

    spi_in: bytes
    spi_out: bytes
    local: bool


@dataclass(frozen=True, slots=True)
class IKESARekeyed:
    """The IKE SA was rekeyed (RFC 7296 §2.18): new SPIs and keys, same Child SAs;
    ``generation`` counts the rekeys."""

    old_spi_i: bytes
    old_spi_r: bytes
    spi_i: bytes
    spi_r: bytes
    suite: str
    generation: int


@dataclass(frozen=True, slots=True)
class PeerDead:
    """A liveness check (RFC 7296 §1.4) went unanswered through every retransmission:
    the IKE SA and its Child SAs are gone."""

    message_id: int
    tries: int


@dataclass(frozen=True, slots=True)
class LifetimeTrimmed:
    """The IKE SA's lifetime was cut to ``seconds`` so that it ends before a
    certificate it was authenticated with expires; a reauthentication is due first."""

    seconds: float
    reason: str


@dataclass(frozen=True, slots=True)
class ReauthenticationDue:
    """Time to reauthenticate (RFC 7296 §2.8.3): build a new IKE SA with
    :meth:`IKEConnection.reauthenticate` and close this one once it is up (an
    :class:`IKEEndpoint` does this by itself)."""

    generation: int


@dataclass(frozen=True, slots=True)
class PeerAlive:
    """The peer answered our liveness check (RFC 7296 §1.4)."""

    message_id: int


@dataclass(frozen=True, slots=True)
class NotifyReceived:
    """An error notification in an INFORMATIONAL request (RFC 7296 §3.10.1, e.g.
    INVALID_SPI); the IKE SA stands."""

    notify: int
    spi: bytes
    data: bytes


@dataclass(frozen=True, slots=True)
class CertificateFetchRequested:
    """The peer named its certificate (``encoding`` 12) or certificate bundle (13) by
    hash and URL (RFC 7296 §3.6) and our ``hash_and_url`` policy is "allow": fetch
    ``url`` (ikewire does no I/O) and hand the bytes to
    :meth:`IKEConnection.supply_certificate`, or report
    :meth:`IKEConnection.certificate_fetch_failed`. Their SHA-1 must be ``sha1``. The
    IKE_AUTH exchange waits, at most ``IKEConfig.fetch_timeout`` seconds."""

    url: str
    sha1: bytes
    encoding: int


Event = (
    IKESAEstablished
    | CertificateFetchRequested
    | ChildSAEstablished
    | ConnectionFailed
    | AuthenticationFailed
    | RetransmitTimeout
    | IKESADeleted
    | ChildSADeleted
    | IKESARekeyed
    | PeerAlive
    | PeerDead
    | LifetimeTrimmed
    | ReauthenticationDue
    | NotifyReceived
)
