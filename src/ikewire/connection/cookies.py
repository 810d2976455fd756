"""Stateless IKE_SA_INIT cookies (RFC 7296 §2.6).

A responder under a flood of half-open IKE SAs answers IKE_SA_INIT with N(COOKIE) and
keeps no state; an initiator that really is at its address repeats the request with the
cookie as the first payload. RFC 7296 §2.6 suggests

    Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)

which :class:`CookieJar` makes as one version octet followed by
HMAC-SHA-256(<secret>, Ni | IPi | SPIi): 33 octets, within the 1..64 of §3.10.1.

The secret changes every ``rotate_every`` seconds of the injected clock (§2.6: "the
responder should change the value of <secret> frequently"). A cookie made with the
previous secret is still accepted for one rotation period, so an initiator whose retry
straddles a rotation gets in; older cookies are refused. Only the current and the
previous secret are kept; the version octet counts rotations modulo 256.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac

from ..errors import ConfigError

__all__ = ["COOKIE_LENGTH", "CookieJar"]

Rng = Callable[[int], bytes]

#: Octets of a cookie from :class:`CookieJar`: the version octet and an HMAC-SHA-256.
COOKIE_LENGTH = 1 + 32
_SECRET_LENGTH = 32


@dataclass(frozen=True, slots=True)
class _Secret:
    version: int  # <VersionIDofSecret>, one octet
    key: bytes


class CookieJar:
    """Makes and checks RFC 7296 §2.6 cookies, rotating its secret on the given clock.

    ``rng(n)`` draws the secrets (inject a deterministic one in tests); ``now`` is the
    creation time on the same clock as every later ``now``. A secret is current for
    ``rotate_every`` seconds from the moment it was drawn, then accepted as the previous
    secret for ``rotate_every`` more seconds, then forgotten. Rotation happens lazily in
    :meth:`make` and :meth:`check`; a clock that goes backwards rotates nothing.
    """

    __slots__ = ("_current", "_previous", "_rng", "_rotate_every", "_since")

    def __init__(self, rng: Rng, now: float, *, rotate_every: float = 300.0) -> None:
        if not rotate_every > 0 or math.isinf(rotate_every):
            raise ConfigError("rotate_every must be a positive number of seconds")
        self._rng = rng
        self._rotate_every = float(rotate_every)
        self._current = _Secret(0, self._draw())
        self._previous: _Secret | None = None
        self._since = float(now)

    @property
    def rotate_every(self) -> float:
        """Seconds a secret stays current."""
        return self._rotate_every

    @property
    def version(self) -> int:
        """The current <VersionIDofSecret> (0..255); changes on every rotation."""
        return self._current.version

    def _draw(self) -> bytes:
        key = self._rng(_SECRET_LENGTH)
        if len(key) != _SECRET_LENGTH:
            raise ConfigError(f"rng returned {len(key)} octets, not {_SECRET_LENGTH}")
        return key

    def _rotate(self, now: float) -> None:
        elapsed = now - self._since
        if not elapsed >= self._rotate_every:
            return  # also a clock that went backwards, or NaN
        periods = int(elapsed // self._rotate_every)
        # After one period the current secret becomes the previous one; after two or
        # more both have expired (the previous is accepted for exactly one period).
        self._previous = self._current if periods == 1 else None
        self._current = _Secret((self._current.version + 1) & 0xFF, self._draw())
        self._since += periods * self._rotate_every

    @staticmethod
    def _mac(key: bytes, ni: bytes, ip_packed: bytes, spi_i: bytes) -> hmac.HMAC:
        mac = hmac.HMAC(key, hashes.SHA256())
        mac.update(ni)
        mac.update(ip_packed)
        mac.update(spi_i)
        return mac

    def make(self, ni: bytes, ip_packed: bytes, spi_i: bytes, now: float) -> bytes:
        """The cookie for an IKE_SA_INIT request (RFC 7296 §2.6): the version octet of the
        current secret, then HMAC-SHA-256(secret, Ni | IPi | SPIi).

        ``ip_packed`` is the initiator's IP address in network order (4 or 16 octets).
        """
        self._rotate(now)
        s = self._current
        return bytes([s.version]) + self._mac(s.key, ni, ip_packed, spi_i).finalize()

    def check(self, cookie: bytes, ni: bytes, ip_packed: bytes, spi_i: bytes, now: float) -> bool:
        """Whether ``cookie`` is one this jar made for (Ni, IPi, SPIi) with the current
        secret, or with the previous one within a rotation period (RFC 7296 §2.6).

        Compared in constant time; never raises for any ``cookie`` octets.
        """
        self._rotate(now)
        if len(cookie) != COOKIE_LENGTH:
            return False
        version = cookie[0]
        if version == self._current.version:
            secret: _Secret | None = self._current
        elif self._previous is not None and version == self._previous.version:
            secret = self._previous
        else:
            return False
        assert secret is not None
        try:
            self._mac(secret.key, ni, ip_packed, spi_i).verify(cookie[1:])
        except InvalidSignature:
            return False
        return True
