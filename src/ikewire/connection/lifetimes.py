"""Lifetimes (RFC 7296 §2.8): rekey and expiry deadlines, reauthentication,
liveness (§1.4).
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import TYPE_CHECKING

from cryptography import x509

from .config import IKEConfig
from .events import (
    LifetimeTrimmed,
    ReauthenticationDue,
)
from .sa_core import SACore
from .sa_records import (
    _PSK,
    ChildSA,
)
from .state import State

if TYPE_CHECKING:
    from .ike_sa import IKEConnection


class Lifetimes(SACore):
    """Lifetimes (RFC 7296 §2.8): rekey and expiry deadlines, reauthentication,"""

    # ---- lifetimes (RFC 7296 §2.8: each peer its own)

    def _jitter(self, span: float) -> float:
        return span * self.config.rekey_jitter * int.from_bytes(self._rng(2), "big") / 65536

    def _ike_established(self, now: float) -> None:
        """Schedule the IKE SA's rekey, reauthentication and hard lifetime; the
        lifetime is trimmed so that the SA ends before either side's certificate
        expires (a rekey keeps the authentication, so the deadline carries over)."""
        self.established_at = now
        self._last_traffic = now
        if self._is_side:
            return
        life = self.config.ike_lifetime
        rekey = self.config.ike_rekey_time or 0.9 * life
        self._ike_rekey_at = now + rekey - self._jitter(rekey) if rekey < life else None
        self._ike_expire_at = now + life
        if self.generation == 1:
            reauth = self.config.reauth_time
            self._reauth_at = now + reauth - self._jitter(reauth) if reauth else None
            expiries = [t for t in (self._own_cert_expiry(), self._peer_cert_expiry) if t]
            if expiries:
                first = min(expiries)
                left = (first - self.config.wall_clock()).total_seconds()
                self._cert_deadline = now + max(left, 0.0)
        if self._cert_deadline is not None and self._cert_deadline < self._ike_expire_at:
            self._ike_expire_at = self._cert_deadline
            if self._ike_rekey_at is not None and self._ike_rekey_at >= self._cert_deadline:
                self._ike_rekey_at = None  # a rekey would not outlive the certificate
            self._events.append(
                LifetimeTrimmed(
                    self._cert_deadline - now,
                    "IKE SA lifetime trimmed to end before a certificate expires",
                )
            )
            if self._reauth_at is None or self._reauth_at > self._cert_deadline:
                # reauthenticate in time: new credentials may be in place by then
                margin = min(
                    self.config.ike_lifetime * 0.1, max(self._cert_deadline - now, 0.0) / 2
                )
                self._reauth_at = self._cert_deadline - margin

    def _own_cert_expiry(self) -> datetime.datetime | None:
        if self.config.certificate is None or self.local_auth in (None, _PSK):
            return None
        return x509.load_der_x509_certificate(self.config.certificate).not_valid_after_utc

    def reauthentication_config(self) -> IKEConfig:
        """The config of the IKE SA that replaces this one by reauthentication
        (RFC 7296 §2.8.3): ours, as an initiator towards where the peer is now."""
        cfg = self.config
        remote_id = cfg.remote_id
        return dataclasses.replace(
            cfg,
            remote_address=self.peer_address,
            remote_id=remote_id,
            childless=False,
            initial_contact=False,  # the IKE SA it replaces still stands (RFC 7296 §2.4)
        )

    def reauthenticate(self, now: float) -> IKEConnection:
        """Start reauthentication (RFC 7296 §2.8.3): a new IKE SA from scratch, with
        full IKE_SA_INIT and IKE_AUTH and its own Child SA, returned for the caller
        to drive beside this one (an :class:`IKEEndpoint` does it by itself); once it
        is established, close this one — make-before-break."""
        from .ike_sa import IKEConnection

        self._require_established("reauthenticate")
        successor = IKEConnection(self.reauthentication_config(), initiator=True)
        successor.initiate(now)
        return successor

    def _schedule_child(self, child: ChildSA, now: float) -> None:
        life = self.config.child_lifetime
        rekey = self.config.child_rekey_time or 0.9 * life
        child.rekey_at = now + rekey - self._jitter(rekey) if rekey < life else None
        child.expire_at = now + life

    def _lifecycle_deadlines(self) -> list[float]:
        if self.state is not State.ESTABLISHED or self._is_side:
            return []
        out = [t for t, _, _ in self._retries]
        for c in self.child_sas:
            if c.rekey_at is not None and c.status == "INSTALLED":
                out.append(c.rekey_at)
            if c.expire_at is not None and c.status != "DELETING":
                out.append(c.expire_at)
        for t in (self._ike_rekey_at, self._ike_expire_at, self._reauth_at, self._dpd_deadline()):
            if t is not None:
                out.append(t)
        return out

    def _dpd_deadline(self) -> float | None:
        """RFC 7296 §1.4: check liveness only after ``dpd_delay`` without traffic and
        with nothing outstanding (an outstanding request is a check already)."""
        delay = self.config.dpd_delay
        if not delay or self._outstanding or self._pending:
            return None
        return self._last_traffic + delay

    def _run_lifecycle(self, now: float) -> None:
        if self.state is not State.ESTABLISHED or self._is_side:
            return
        if self._ike_expire_at is not None and now >= self._ike_expire_at:
            self._ike_expire_at = None
            self.close(now)  # hard lifetime: delete the IKE SA and its children
            return
        due, self._retries = (
            [r for r in self._retries if r[0] <= now],
            [r for r in self._retries if r[0] > now],
        )
        for _, kind, old_spi in due:
            if kind == "rekey_ike":
                if not self._rekeying_ike():
                    self._request_child("rekey_ike", now)
            elif kind == "rekey_child":
                old = self._child_by_spi_in(old_spi)
                if old is not None and old.status == "INSTALLED":
                    self._start_child_rekey(old, now)
            else:
                self._request_child("new", now, tsi=self._local_ts, tsr=self._remote_ts)
        for c in list(self.child_sas):
            if c.expire_at is not None and now >= c.expire_at and c.status != "DELETING":
                c.expire_at = None
                self.delete_child(c.spi_in, now)
            elif c.rekey_at is not None and now >= c.rekey_at and c.status == "INSTALLED":
                self._start_child_rekey(c, now)
        if self._reauth_at is not None and now >= self._reauth_at:
            self._reauth_at = None
            # RFC 7296 §2.8.3: the caller (or the endpoint) builds the new IKE SA
            self._events.append(ReauthenticationDue(self.generation))
        if self._ike_rekey_at is not None and now >= self._ike_rekey_at:
            self._ike_rekey_at = None
            if not self._rekeying_ike():
                self._request_child("rekey_ike", now)
        dpd = self._dpd_deadline()
        if dpd is not None and now >= dpd:
            self.send_liveness(now)
