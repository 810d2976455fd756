"""What became of each IKE SA in a capture, and why: the operator's view (RFC 7296).

:func:`diagnose` reads the IKEv2 datagrams of a capture (and, given keys, what is inside
their SK payloads), follows each IKE SA by its initiator's SPI through IKE_SA_INIT,
IKE_AUTH and the later exchanges, and reports a timeline per IKE SA with *findings*:
each names what happened, its likely cause and a fix — a refused proposal and the
proposals offered, the KE group the responder wanted, an authentication the peer
refused (with the identity and method it refused), traffic selectors or ESP proposals
refused for the Child SA, requests never answered (an IKE_AUTH too big to cross the path
unfragmented among them), keys that do not open the traffic.

``ikewire diagnose CAPTURE [--keys FILE]`` prints the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .constants import AuthMethod, ExchangeType, KeyExchangeMethod, NotifyType, to_enum
from .crypto.decrypt import Keys, decrypt, reassemble
from .errors import DecodeError, IKEError, IntegrityError
from .wire.codec import decode_v2
from .wire.models import (
    AUTH,
    KE,
    SA,
    SK,
    SKF,
    Delete,
    IDi,
    IDr,
    Message,
    Notify,
    Payload,
    TSi,
    TSr,
)
from .wire.notify import invalid_ke_group

__all__ = ["Datagram", "Finding", "Report", "SAStory", "diagnose"]

#: ``keys_for(msg)``: the keys of ``msg``'s IKE SA (by its SPIs), or None.
KeysFor = Callable[[Message], Keys | None]

#: An IKE_AUTH request above this many octets, unfragmented and unanswered, is likely
#: lost to IP fragmentation on the path (RFC 7383 §1: 1280 is IPv6's minimum MTU).
_LARGE = 1280 - 48


@dataclass(frozen=True, slots=True)
class Datagram:
    """One UDP payload from the capture: where it went and what it carried."""

    data: bytes
    source: str = ""  # "address:port", if known
    destination: str = ""
    port: int | None = None  # 4500: the payload starts with the non-ESP marker


@dataclass(frozen=True, slots=True)
class Finding:
    """Something that went wrong (``error``), may go wrong (``warning``), or is worth
    knowing (``note``): what, its likely cause, and what to change."""

    severity: str
    what: str
    cause: str
    fix: str


@dataclass(slots=True)
class _Seen:
    msg: Message
    data: bytes
    source: str
    count: int = 1
    opened: Message | None = None
    open_error: str = ""
    folded: bool = False  # an SKF fragment shown as part of its reassembled message


@dataclass(slots=True)
class SAStory:
    """One IKE SA (by its initiator's SPI): the peers, a line per message, findings."""

    spi_i: bytes
    spi_r: bytes = bytes(8)
    initiator: str = ""
    responder: str = ""
    timeline: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    established: bool | None = False  # None: IKE_AUTH answered, unread without keys
    _seen: list[_Seen] = field(default_factory=list, repr=False)
    _fragments: dict[tuple[int, bool], list[_Seen]] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class Report:
    """The IKE SAs found and what was not diagnosed (IKEv1, ESP, keepalives,
    datagrams that do not decode)."""

    sas: list[SAStory]
    skipped: int = 0
    undecodable: int = 0

    def text(self) -> str:
        out: list[str] = []
        for sa in self.sas:
            peers = f"  {sa.initiator} -> {sa.responder}" if sa.initiator else ""
            if sa.established is None:
                state = "IKE_AUTH answered; its outcome needs the keys"
            else:
                state = "established" if sa.established else "not established"
            out.append(f"IKE SA {sa.spi_i.hex()}/{sa.spi_r.hex()}{peers}  ({state})")
            out += [f"  {line}" for line in sa.timeline]
            for f in sa.findings:
                out.append(f"  {f.severity}: {f.what}")
                out.append(f"    cause: {f.cause}")
                out.append(f"    fix:   {f.fix}")
        if not self.sas:
            out.append("no IKEv2 message found")
        if self.skipped or self.undecodable:
            out.append(
                f"({self.skipped} other datagrams: IKEv1, ESP, keepalives; "
                f"{self.undecodable} that do not decode)"
            )
        return "\n".join(out)


def diagnose(datagrams: Iterable[Datagram], keys_for: KeysFor | None = None) -> Report:
    """Follow every IKEv2 SA in ``datagrams`` (in capture order) and explain it; with
    ``keys_for``, also what its SK payloads carry (SKF fragments reassembled)."""
    report = Report([])
    by_spi: dict[bytes, SAStory] = {}
    for d in datagrams:
        data = d.data
        if d.port == 4500:
            if data[:4] != b"\0\0\0\0":
                report.skipped += 1  # ESP (RFC 3948) or a NAT-keepalive
                continue
            data = data[4:]
        if len(data) < 28 or data[17] >> 4 != 2:
            report.skipped += 1  # IKEv1 or not IKE at all
            continue
        try:
            msg = decode_v2(data)
        except DecodeError:
            report.undecodable += 1
            continue
        sa = by_spi.get(msg.spi_i)
        if sa is None:
            sa = by_spi[msg.spi_i] = SAStory(msg.spi_i)
            report.sas.append(sa)
        if msg.spi_r != bytes(8):
            sa.spi_r = msg.spi_r
        if not sa.initiator and msg.is_initiator and not msg.is_response:
            sa.initiator, sa.responder = d.source, d.destination
        earlier = next((s for s in reversed(sa._seen) if s.data == data), None)
        if earlier is not None:
            earlier.count += 1  # a retransmission (RFC 7296 §2.1)
            continue
        seen = _Seen(msg, data, d.source)
        last = msg.payloads[-1] if msg.payloads else None
        keys = keys_for(msg) if keys_for is not None and last is not None else None
        if keys is not None and type(last) is SK:
            try:
                seen.opened = decrypt(msg, keys)
            except IntegrityError:
                seen.open_error = "integrity"
            except IKEError as exc:
                seen.open_error = str(exc)
        elif type(last) is SKF:
            sa._fragments.setdefault((msg.message_id, msg.is_response), []).append(seen)
        sa._seen.append(seen)
    for sa in report.sas:
        if keys_for is not None:
            _reassemble(sa, keys_for)
        _explain(sa, keys=keys_for is not None)
    return report


def _reassemble(sa: SAStory, keys_for: KeysFor) -> None:
    """Each complete set of SKF fragments (RFC 7383 §2.6) opened as one message, shown
    in place of its first fragment."""
    for group in sa._fragments.values():
        keys = keys_for(group[0].msg)
        if keys is None:
            continue
        try:
            whole = reassemble([s.data for s in group], keys)
        except IntegrityError:
            group[0].open_error = "integrity"
            continue
        except IKEError:
            continue  # incomplete: shown fragment by fragment
        first = min(group, key=lambda s: sa._seen.index(s))
        first.opened = whole
        for s in group:
            s.folded = s is not first


def _name(value: int, enum_cls: type) -> str:
    member = to_enum(enum_cls, value)
    return getattr(member, "name", str(value))


def _errors(msg: Message) -> list[Notify]:
    return [p for p in msg.payloads if type(p) is Notify and p.is_error]


def _proposals(sa: SA | None) -> str:
    if sa is None:
        return "none"
    return ", ".join(str(p) or "(empty)" for p in sa.proposals)


def _times(s: _Seen) -> str:
    out = f" (sent {s.count} times)" if s.count > 1 else ""
    last = s.msg.payloads[-1] if s.msg.payloads else None
    if type(last) is SKF and s.opened is not None:
        out += f" (in {last.total_fragments} fragments, RFC 7383)"
    return out


def _inner(s: _Seen) -> tuple[Payload, ...] | None:
    return s.opened.payloads if s.opened is not None else None


def _explain(sa: SAStory, *, keys: bool) -> None:
    """The timeline and findings of one IKE SA."""
    requests: dict[tuple[int, int], _Seen] = {}
    answered: set[tuple[int, int]] = set()
    last_init_request: _Seen | None = None
    auth_request: _Seen | None = None
    auth_answered = False
    for s in sa._seen:
        m = s.msg
        exchange = int(m.exchange_type)
        name = _name(exchange, ExchangeType)
        kind = "response" if m.is_response else "request"
        side = "initiator" if m.is_initiator else "responder"
        key = (exchange, m.message_id)
        if m.is_response:
            answered.add(key)
        else:
            requests[key] = s
        if exchange == ExchangeType.IKE_SA_INIT:
            if not m.is_response:
                last_init_request = s
                ke = m.get(KE)
                group = _name(int(ke.group), KeyExchangeMethod) if type(ke) is KE else "none"
                cookie = any(
                    type(p) is Notify and p.notify_type == NotifyType.COOKIE for p in m.payloads
                )
                sa.timeline.append(
                    f"IKE_SA_INIT request{_times(s)}: offers {_proposals(_sa(m))}; KE {group}"
                    + ("; with the responder's COOKIE" if cookie else "")
                )
            else:
                _init_response(sa, s, last_init_request)
        elif exchange == ExchangeType.IKE_AUTH:
            if not m.is_response:
                auth_request = s
            else:
                auth_answered = True
            _auth(sa, s, auth_request, keys=keys)
        else:
            sa.timeline.append(f"{name} {kind} from the {side}{_times(s)}{_summary(s, keys)}")
            _later(sa, s)
        if s.open_error == "integrity":
            sa.findings.append(
                Finding(
                    "error",
                    f"{name} {kind} from the {side} does not verify with the keys given",
                    "the keys are not this IKE SA's (or the message was damaged on the way)",
                    "export the keys of this SA again (its SPIs are on the first line)",
                )
            )
    if last_init_request is not None and (ExchangeType.IKE_SA_INIT, 0) not in answered:
        sa.findings.append(
            Finding(
                "error",
                f"IKE_SA_INIT request never answered{_times(last_init_request)}",
                "the responder is unreachable (UDP 500 filtered on the path), or it has no "
                "configuration for this initiator's address and ignores it",
                "check that UDP 500 (and 4500) pass both ways between the peers, and the "
                "responder's connection for this address",
            )
        )
    if auth_request is not None and not auth_answered:
        size = len(auth_request.data)
        fragmented = type(auth_request.msg.payloads[-1]) is SKF
        if size > _LARGE and not fragmented:
            sa.findings.append(
                Finding(
                    "error",
                    f"IKE_AUTH request of {size} octets never answered{_times(auth_request)}",
                    "a message this large leaves in IP fragments, which paths often drop "
                    "(RFC 7383 §1); the peers did not use IKE fragmentation",
                    "enable RFC 7383 fragmentation on both sides (ikewire: fragmentation "
                    "and fragment_size; strongSwan: fragmentation = yes), or shorten the "
                    "certificate chain",
                )
            )
        else:
            sa.findings.append(
                Finding(
                    "error",
                    f"IKE_AUTH request never answered{_times(auth_request)}",
                    "the responder dropped it: its keys differ from the initiator's (it "
                    "could not verify the message), or the path loses the datagrams",
                    "compare both sides' logs for this SPI; check the path for UDP 4500 "
                    "when a NAT was detected",
                )
            )
    for (exchange, mid), s in requests.items():
        if exchange in (ExchangeType.IKE_SA_INIT, ExchangeType.IKE_AUTH):
            continue
        if (exchange, mid) not in answered and s.count > 1:
            sa.findings.append(
                Finding(
                    "warning",
                    f"{_name(exchange, ExchangeType)} request {mid} never answered{_times(s)}",
                    "the peer is gone (restarted, or the path broke): it no longer answers "
                    "on this IKE SA",
                    "let liveness checks (RFC 7296 §1.4) close the SA and start a new one "
                    "(ikewire: dpd_delay; strongSwan: dpd_delay)",
                )
            )
    refused = any(f.what.startswith("the initiator refused") for f in sa.findings)
    later = [  # answered exchanges after IKE_AUTH run only on an established IKE SA
        s
        for s in sa._seen
        if s.msg.exchange_type in (ExchangeType.CREATE_CHILD_SA, ExchangeType.INFORMATIONAL)
        and s.msg.is_response
    ]
    if sa.established is None and not refused and later:
        sa.established = True


def _sa(m: Message | tuple[Payload, ...] | None) -> SA | None:
    payloads = m.payloads if isinstance(m, Message) else (m or ())
    for p in payloads:
        if type(p) is SA:
            return p
    return None


def _init_response(sa: SAStory, s: _Seen, request: _Seen | None) -> None:
    m = s.msg
    offered = _proposals(_sa(request.msg)) if request is not None else "unknown"
    for n in _errors(m):
        code = int(n.notify_type)
        if code == NotifyType.NO_PROPOSAL_CHOSEN:
            sa.timeline.append("IKE_SA_INIT response: N(NO_PROPOSAL_CHOSEN)")
            sa.findings.append(
                Finding(
                    "error",
                    "the responder accepts none of the IKE proposals offered",
                    f"no proposal both sides accept; offered: {offered}",
                    "offer a proposal the responder is configured for (ikewire: "
                    "ike_proposals; strongSwan: the connection's proposals)",
                )
            )
        elif code == NotifyType.INVALID_KE_PAYLOAD:
            try:
                wanted = _name(int(invalid_ke_group(n)), KeyExchangeMethod)
            except DecodeError:
                wanted = "(malformed)"
            sa.timeline.append(f"IKE_SA_INIT response: N(INVALID_KE_PAYLOAD) wants {wanted}")
            sa.findings.append(
                Finding(
                    "note",
                    f"the responder wants key exchange {wanted} (RFC 7296 §1.3)",
                    "the initiator's KE payload was for another group its proposals allow",
                    f"put {wanted} first in the initiator's proposals to save a round trip",
                )
            )
        else:
            name = _name(code, NotifyType)
            sa.timeline.append(f"IKE_SA_INIT response: N({name})")
            sa.findings.append(_generic(name, "IKE_SA_INIT"))
    if _errors(m):
        return
    if any(type(p) is Notify and p.notify_type == NotifyType.COOKIE for p in m.payloads):
        sa.timeline.append("IKE_SA_INIT response: N(COOKIE) (RFC 7296 §2.6)")
        return
    chosen = _sa(m)
    sa.timeline.append(f"IKE_SA_INIT response{_times(s)}: chose {_proposals(chosen)}")


def _auth(sa: SAStory, s: _Seen, request: _Seen | None, *, keys: bool) -> None:
    m = s.msg
    kind = "response" if m.is_response else "request"
    frag = m.payloads[-1] if m.payloads else None
    if s.folded:
        return
    if type(frag) is SKF and s.opened is None:
        sa.timeline.append(
            f"IKE_AUTH {kind}: fragment {frag.fragment_number}/{frag.total_fragments}"
            f"{_times(s)} (RFC 7383)"
        )
        if m.is_response and not sa.established:
            sa.established = None  # fragments are not reassembled here
        return
    inner = _inner(s)
    if inner is None:
        hint = "" if keys else "; give the keys to see inside"
        sa.timeline.append(f"IKE_AUTH {kind}{_times(s)}: {len(s.data)} octets, encrypted{hint}")
        if m.is_response and not sa.established:
            sa.established = None
        return
    if not m.is_response:
        idi, auth = _first(inner, IDi), _first(inner, AUTH)
        who = idi.value if isinstance(idi, IDi) else "no IDi"
        method = _name(int(auth.method), AuthMethod) if isinstance(auth, AUTH) else "no AUTH"
        esp = _proposals(_sa(inner))
        tsi, tsr = _first(inner, TSi), _first(inner, TSr)
        sa.timeline.append(
            f"IKE_AUTH request{_times(s)}: {who} by {method}; Child SA {esp}; "
            f"TSi {_ts(tsi)} TSr {_ts(tsr)}"
        )
        return
    idr, auth = _first(inner, IDr), _first(inner, AUTH)
    errors = [p for p in inner if type(p) is Notify and p.is_error]
    codes = {int(n.notify_type) for n in errors}
    asked = _inner(request) if request is not None else None
    if NotifyType.AUTHENTICATION_FAILED in codes:
        who, method = "the initiator", "its method"
        if asked is not None:
            idi, a = _first(asked, IDi), _first(asked, AUTH)
            who = idi.value if isinstance(idi, IDi) else who
            method = _name(int(a.method), AuthMethod) if isinstance(a, AUTH) else method
        sa.timeline.append("IKE_AUTH response: N(AUTHENTICATION_FAILED)")
        sa.findings.append(
            Finding(
                "error",
                f"the responder refused the initiator's authentication ({who} by {method})",
                "a different pre-shared key or an untrusted or unexpected certificate, or the "
                "responder has no connection for this identity",
                "give both sides the same pre-shared key, or the CA and identity the "
                "responder expects (ikewire: psk, trust_store, remote_id; strongSwan: the "
                "connection's remote auth and id)",
            )
        )
        return
    if isinstance(idr, IDr) and isinstance(auth, AUTH):
        sa.established = True
        sa.timeline.append(
            f"IKE_AUTH response{_times(s)}: {idr.value} by "
            f"{_name(int(auth.method), AuthMethod)}; IKE SA established"
        )
    for n in errors:
        _child_error(sa, n, asked)
    chosen = _sa(inner)
    if chosen is not None:
        sa.timeline.append(
            f"  Child SA: {_proposals(chosen)}; TSi {_ts(_first(inner, TSi))} "
            f"TSr {_ts(_first(inner, TSr))}"
        )


def _child_error(sa: SAStory, n: Notify, asked: tuple[Payload, ...] | None) -> None:
    code = int(n.notify_type)
    name = _name(code, NotifyType)
    sa.timeline.append(f"  Child SA refused: N({name})")
    if code == NotifyType.NO_PROPOSAL_CHOSEN:
        offered = _proposals(_sa(asked)) if asked is not None else "unknown"
        sa.findings.append(
            Finding(
                "error",
                "the responder accepts none of the Child SA (ESP/AH) proposals offered",
                f"no Child SA proposal both sides accept; offered: {offered}",
                "offer an ESP proposal the responder is configured for (ikewire: "
                "esp_proposals; strongSwan: the child's esp_proposals); the IKE SA stands",
            )
        )
    elif code == NotifyType.TS_UNACCEPTABLE:
        tsi = _ts(_first(asked, TSi)) if asked is not None else "unknown"
        tsr = _ts(_first(asked, TSr)) if asked is not None else "unknown"
        sa.findings.append(
            Finding(
                "error",
                "the responder's policy allows none of the traffic selectors proposed",
                f"proposed TSi {tsi}, TSr {tsr}: outside the responder's local and remote "
                "traffic selectors (RFC 7296 §2.9)",
                "make the initiator's local_ts/remote_ts fall inside the responder's "
                "remote_ts/local_ts (strongSwan: the child's local_ts and remote_ts)",
            )
        )
    else:
        sa.findings.append(_generic(name, "the first Child SA (the IKE SA stands)"))


def _later(sa: SAStory, s: _Seen) -> None:
    inner = _inner(s)
    if inner is None:
        return
    for n in inner:
        if type(n) is Notify and n.notify_type == NotifyType.AUTHENTICATION_FAILED:
            sa.established = False
            sa.findings.append(
                Finding(
                    "error",
                    "the initiator refused the responder's authentication",
                    "the responder's pre-shared key, certificate or identity is not what the "
                    "initiator expects",
                    "give both sides the same pre-shared key, or the CA and identity the "
                    "initiator expects (ikewire: remote_psk, trust_store, remote_id)",
                )
            )
        elif type(n) is Notify and n.is_error:
            sa.findings.append(
                _generic(
                    _name(int(n.notify_type), NotifyType),
                    _name(int(s.msg.exchange_type), ExchangeType),
                )
            )


def _summary(s: _Seen, keys: bool) -> str:
    inner = _inner(s)
    if inner is None:
        return "" if keys else " (encrypted)"
    parts = []
    for p in inner:
        if type(p) is Delete:
            parts.append(
                "Delete of the IKE SA"
                if p.protocol_id == 1
                else f"Delete of {len(p.spis)} Child SA(s)"
            )
        elif type(p) is Notify:
            parts.append(f"N({_name(int(p.notify_type), NotifyType)})")
        elif type(p) is SA:
            parts.append(f"SA {_proposals(p)}")
    if parts:
        return ": " + ", ".join(parts)
    return "" if inner else ": empty (liveness)"


def _first(payloads: tuple[Payload, ...] | None, cls: type) -> Payload | None:
    for p in payloads or ():
        if type(p) is cls:
            return p
    return None


def _ts(payload: Payload | None) -> str:
    from .connection.selectors import ts_to_string  # connection sits above wire

    if not isinstance(payload, TSi | TSr):
        return "none"
    return ",".join(ts_to_string(t) for t in payload.selectors) or "none"


_GENERIC: dict[str, tuple[str, str]] = {
    "INVALID_SYNTAX": (
        "the peer could not parse a message or found it against the protocol",
        "compare both implementations' logs for this message",
    ),
    "INVALID_IKE_SPI": (
        "the peer has no IKE SA with these SPIs: it restarted or deleted it",
        "start a new IKE SA",
    ),
    "TEMPORARY_FAILURE": (
        "the peer could not do it now (e.g. a rekey collision, or its kernel refused the SA)",
        "retry later; see the peer's log",
    ),
    "INTERNAL_ADDRESS_FAILURE": (
        "the responder has no virtual IP to assign",
        "give the responder an address pool for this peer",
    ),
    "FAILED_CP_REQUIRED": (
        "the responder requires a configuration request (a virtual IP) and got none",
        "request a virtual IP (ikewire: request_virtual_ip)",
    ),
    "SINGLE_PAIR_REQUIRED": (
        "the responder accepts only one pair of selectors",
        "propose a single TSi/TSr pair",
    ),
    "NO_ADDITIONAL_SAS": (
        "the responder takes no more Child SAs on this IKE SA",
        "raise its limit, or use another IKE SA",
    ),
    "UNSUPPORTED_CRITICAL_PAYLOAD": (
        "a payload marked critical is not known to the peer",
        "do not send that payload to this peer",
    ),
}


def _generic(name: str, where: str) -> Finding:
    cause, fix = _GENERIC.get(
        name, (f"the peer answered {name} (RFC 7296 §3.10.1)", "see the peer's log")
    )
    return Finding("error", f"N({name}) in {where}", cause, fix)
