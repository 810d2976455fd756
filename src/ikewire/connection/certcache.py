"""The cache of certificates and bundles fetched for hash-and-URL (RFC 7296 §3.6).

ikewire never fetches: when a peer names a certificate or bundle by hash and URL, the
connection asks its caller for the bytes (:class:`~ikewire.connection.events.
CertificateFetchRequested`) and checks the SHA-1 before using them. What was fetched is
kept here, keyed by URL, for ``interval`` seconds of the injected clock (default one
week; 0 disables caching), so later IKE SAs with the same peer need no fetch. Entries are
checked against the hash a CERT payload names before use: a stale or replaced object is
fetched again. :meth:`CertificateCache.refresh` empties the cache;
:meth:`CertificateCache.display` lists the entries with their expiry times. The cache
is bounded in entries and octets (least recently stored first out). One cache may be
shared by many connections (``IKEConfig.certificate_cache``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from ..certbundle import sha1

__all__ = ["DEFAULT_INTERVAL", "CacheEntry", "CertificateCache"]

DEFAULT_INTERVAL: Final = 7 * 24 * 3600.0
"""One week, in seconds."""


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One fetched object: its URL, SHA-1, bytes and when it stops being used."""

    url: str
    sha1: bytes
    data: bytes
    expires: float


class CertificateCache:
    """Fetched hash-and-URL objects by URL, with expiry on the caller's clock."""

    def __init__(
        self,
        interval: float = DEFAULT_INTERVAL,
        *,
        max_entries: int = 256,
        max_octets: int = 8 << 20,
    ) -> None:
        if interval < 0 or max_entries < 1 or max_octets < 1:
            raise ValueError("interval >= 0 and positive bounds")
        self.interval = float(interval)
        self.max_entries = max_entries
        self.max_octets = max_octets
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._octets = 0

    def __len__(self) -> int:
        return len(self._entries)

    def store(self, url: str, data: bytes, now: float) -> CacheEntry | None:
        """Keep ``data`` fetched from ``url`` until ``now + interval``; None when caching
        is off (interval 0) or the object alone exceeds the byte bound."""
        if self.interval == 0 or len(data) > self.max_octets:
            return None
        self._drop(url)
        entry = CacheEntry(url, sha1(data), data, now + self.interval)
        self._entries[url] = entry
        self._octets += len(data)
        while len(self._entries) > self.max_entries or self._octets > self.max_octets:
            _, oldest = self._entries.popitem(last=False)
            self._octets -= len(oldest.data)
        return entry

    def lookup(self, url: str, digest: bytes, now: float) -> bytes | None:
        """The cached bytes for ``url`` if unexpired at ``now`` and their SHA-1 is
        ``digest``; an expired entry is dropped."""
        entry = self._entries.get(url)
        if entry is None:
            return None
        if now >= entry.expires:
            self._drop(url)
            return None
        return entry.data if entry.sha1 == digest else None

    def refresh(self) -> int:
        """Empty the cache (the next use of every URL fetches again); how many went."""
        count = len(self._entries)
        self._entries.clear()
        self._octets = 0
        return count

    def entries(self, now: float) -> list[CacheEntry]:
        """The unexpired entries at ``now``, oldest first (expired ones are dropped)."""
        for url in [u for u, e in self._entries.items() if now >= e.expires]:
            self._drop(url)
        return list(self._entries.values())

    def display(self, now: float) -> str:
        """A readable listing: one line per entry with its URL, SHA-1, size and the
        seconds until it expires, then the interval."""
        lines = []
        for e in self.entries(now):
            left = e.expires - now
            lines.append(
                f"{e.url}  sha1 {e.sha1.hex()}  {len(e.data)} octets  "
                f"expires in {left:.0f} s (at {e.expires:.0f})"
            )
        state = "off" if self.interval == 0 else f"{self.interval:.0f} s"
        lines.append(f"{len(lines)} cached; interval {state}")
        return "\n".join(lines)

    def _drop(self, url: str) -> None:
        old = self._entries.pop(url, None)
        if old is not None:
            self._octets -= len(old.data)
