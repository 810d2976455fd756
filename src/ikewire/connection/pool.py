"""Virtual IP address pools for Configuration payloads (RFC 7296 §2.19, §3.15).

A responder answers an initiator's CP(CFG_REQUEST) for INTERNAL_IP4_ADDRESS or
INTERNAL_IP6_ADDRESS with an address from a pool. One pool is shared by every IKE SA
of a responder (pass the same object in each :class:`~ikewire.connection.config.IKEConfig`),
so leases are kept per peer identity: the same identity gets the same address back,
as strongSwan's pools do, and an address is free again once released.
"""

from __future__ import annotations

import ipaddress

from ..errors import ConfigError

__all__ = ["AddressPool"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_MAX_POOL = 1 << 20  # bounded memory: at most this many leases


class AddressPool:
    """Addresses to lend, from a CIDR (``"10.3.0.0/24"``, network and broadcast
    addresses excluded for IPv4) or a range (``"10.3.0.10-10.3.0.20"``)."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        first, last = self._parse(spec)
        if int(last) - int(first) + 1 > _MAX_POOL:
            raise ConfigError(f"address pool {spec!r} is larger than {_MAX_POOL} addresses")
        self.version = first.version
        self._first, self._last = int(first), int(last)
        self._next = self._first
        self._leases: dict[str, IPAddress] = {}  # identity -> address
        self._taken: set[int] = set()

    @staticmethod
    def _parse(spec: str) -> tuple[IPAddress, IPAddress]:
        try:
            if "-" in spec:
                a, b = (ipaddress.ip_address(x.strip()) for x in spec.split("-", 1))
                if a.version != b.version or int(b) < int(a):
                    raise ValueError("not an ascending range of one address family")
                return a, b
            net = ipaddress.ip_network(spec.strip(), strict=False)
        except ValueError as exc:
            raise ConfigError(f"address pool {spec!r}: {exc}") from None
        if net.version == 4 and net.num_addresses > 2:
            return net.network_address + 1, net.broadcast_address - 1
        return net.network_address, net.broadcast_address

    @property
    def attribute_family(self) -> int:
        """4 or 6: which INTERNAL_IPx_ADDRESS attribute this pool answers."""
        return self.version

    def acquire(self, identity: str) -> IPAddress | None:
        """The address leased to ``identity`` (the same one again if it has one),
        or None when the pool is exhausted (the responder then answers
        INTERNAL_ADDRESS_FAILURE, RFC 7296 §3.10.1)."""
        lease = self._leases.get(identity)
        if lease is not None:
            return lease
        size = self._last - self._first + 1
        for _ in range(size):  # bounded scan, starting after the last lease
            candidate = self._next
            self._next = self._first if self._next >= self._last else self._next + 1
            if candidate not in self._taken:
                self._taken.add(candidate)
                address = ipaddress.ip_address(candidate)
                if address.version != self.version:  # small ints parse as IPv4
                    address = ipaddress.IPv6Address(candidate)
                self._leases[identity] = address
                return address
        return None

    def release(self, identity: str) -> None:
        """Free the lease of ``identity``, if any."""
        lease = self._leases.pop(identity, None)
        if lease is not None:
            self._taken.discard(int(lease))

    @property
    def leases(self) -> dict[str, str]:
        """Current leases, identity to address (a copy)."""
        return {who: str(address) for who, address in self._leases.items()}

    def __repr__(self) -> str:
        return f"AddressPool({self.spec!r}, {len(self._leases)} leased)"
