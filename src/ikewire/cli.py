"""The ``ikewire`` command (also ``python -m ikewire``).

``ikewire decode`` reads hex (an argument or stdin), raw message files, and
pcap/pcapng captures, and prints each IKE message as a readable tree or as JSON;
with ``--keys`` it opens SK payloads (RFC 7296 §3.14).

``ikewire demo`` runs two ikewire peers in memory (IKE_SA_INIT, IKE_AUTH with the first
Child SA, INFORMATIONAL delete; RFC 7296 §1.2, §1.4.1) with a seeded generator and an
injected clock, prints every datagram and both SA displays, and can write the traffic as
a pcap (``--pcap``) and the IKE SA's keys as Wireshark's ``ikev2_decryption_table``
(``--keys``), so the capture opens in Wireshark and in ``ikewire decode --keys``.

``ikewire keys`` converts key files between ikewire's JSON and Wireshark's
``ikev2_decryption_table`` (each direction; the input format is recognised).

``ikewire certbundle`` builds the X.509 certificate bundle of RFC 7296 §3.6 (what a
hash-and-URL bundle CERT payload names) from PEM/DER certificates and CRLs, and shows one.

Exit codes: 0 success, 1 some input could not be decoded, 2 usage errors (one line on
stderr).
"""

from __future__ import annotations

import argparse
import binascii
import enum
import ipaddress
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from .certbundle import build_bundle, load_objects, read_bundle, sha1
from .connection.config import Identity, IKEConfig
from .constants import (
    PAYLOAD_SHORT_NAMES,
    EncrId,
    ExchangeType,
    IntegId,
    NotifyType,
    PrfId,
    ProtocolId,
    V1ExchangeType,
    to_enum,
)
from .crypto.keys import IKESAKeys
from .crypto.keytable import WiresharkIKEv2Keys, to_wireshark_table
from .errors import ConfigError, DecodeError, EncodeError, IKEError, IntegrityError
from .pcap import UdpDatagram, iter_udp, write_pcap
from .testing.pair import Pair, seeded_rng
from .wire import decode
from .wire.models import SK, SKF, Delete, Message, Notify
from .wire.v1 import V1Message

__all__ = ["main"]

_CAPTURE_MAGICS = (
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x0a\x0d\x0d\x0a",
    b"\x1f\x8b",
)


_PROGRESS_EVERY = 1000  # datagrams between progress lines on a terminal


class _Input:
    """One datagram to show: where it came from and its UDP payload."""

    __slots__ = ("data", "destination", "label", "port", "source")

    def __init__(
        self, label: str, data: bytes, port: int | None, source: str = "", destination: str = ""
    ) -> None:
        self.label = label
        self.data = data
        self.port = port
        self.source = source
        self.destination = destination


def _inputs(sources: Sequence[str]) -> Iterator[_Input]:
    for src in sources:
        if src == "-":
            text = sys.stdin.read()
            yield _Input("stdin", _hex(text, "stdin"), None)
            continue
        path = Path(src)
        try:
            is_file = path.is_file()
        except OSError:  # e.g. a long hex argument is no file name at all
            is_file = False
        if is_file:
            head = path.read_bytes()[:4]
            if head in _CAPTURE_MAGICS or head[:2] == b"\x1f\x8b":
                progress = sys.stderr.isatty()
                for n, d in enumerate(iter_udp(path), 1):
                    if progress and n % _PROGRESS_EVERY == 0:
                        # a big capture streams: say how far it got, on the terminal only
                        print(f"\r{src}: {n} datagrams", end="", file=sys.stderr, flush=True)
                    label = f"frame {d.frame}  {d.src}:{d.sport} -> {d.dst}:{d.dport}"
                    port = 4500 if 4500 in (d.sport, d.dport) else d.dport
                    yield _Input(
                        label, d.payload, port, f"{d.src}:{d.sport}", f"{d.dst}:{d.dport}"
                    )
                if progress:
                    print("\r\x1b[K", end="", file=sys.stderr, flush=True)
            else:
                yield _Input(str(path), path.read_bytes(), None)
            continue
        yield _Input("argument", _hex(src, "argument"), None)


def _hex(text: str, where: str) -> bytes:
    cleaned = "".join(text.split()).removeprefix("0x")
    try:
        return binascii.unhexlify(cleaned)
    except (binascii.Error, ValueError) as exc:
        raise _UsageError(
            f"{where}: not a file and not hex ({exc}); give a capture, a raw message file or hex"
        ) from exc


class _UsageError(Exception):
    pass


def _plain(value: Any) -> Any:
    """A JSON-ready view of a model field."""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return _model_dict(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _payload_name(model: Any) -> str | None:
    """The RFC's short name of a payload model (RFC 7296 §3.2 notation), or None."""
    if not hasattr(model, "header_reserved"):
        return None
    name = type(model).__name__
    if name.startswith("V1"):
        return name[2:]
    ptype = getattr(model, "type", None)
    return PAYLOAD_SHORT_NAMES.get(int(ptype), str(int(ptype))) if isinstance(ptype, int) else None


def _model_dict(model: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    name = _payload_name(model)
    if name is not None:
        out["type"] = name
    for name in model._fields:
        value = getattr(model, name)
        if name == "type" and "type" in out:
            continue
        out[name] = _plain(value)
    return out


def _exchange(msg: Message | V1Message) -> ExchangeType | V1ExchangeType | int:
    if isinstance(msg, V1Message):
        return to_enum(V1ExchangeType, msg.exchange_type)
    return msg.exchange_type


def message_to_json(
    msg: Message | V1Message, inner: dict[int, Any] | None = None
) -> dict[str, Any]:
    """The documented JSON form of a message (DESIGN.md, ``decode --json``)."""
    exch = _exchange(msg)
    payloads = []
    for i, p in enumerate(msg.payloads):
        d = _model_dict(p)
        if inner and i in inner:
            d["inner"] = inner[i]
        payloads.append(d)
    return {
        "version": msg.major_version,
        "spi_i": msg.spi_i.hex(),
        "spi_r": msg.spi_r.hex(),
        "exchange": exch.name if isinstance(exch, enum.Enum) else int(exch),
        "message_id": msg.message_id,
        "flags": msg.flags,
        "payloads": payloads,
    }


def _tree(model: Any, indent: int, out: list[str]) -> None:
    pad = "  " * indent
    title = _payload_name(model) or type(model).__name__
    scalars: list[str] = []
    children: list[Any] = []
    defaults = model._field_defaults
    for name in model._fields:
        value = getattr(model, name)
        if name in defaults and value == defaults[name]:
            continue  # a field at its default (no reserved bits, no SPI) says nothing
        if name == "type" and title != type(model).__name__:
            continue
        if name in ("start_address", "end_address") and len(value) in (4, 16):
            scalars.append(f"{name.split('_')[0]}={ipaddress.ip_address(value)}")
            continue
        if name == "data" and hasattr(model, "id_type"):
            scalars.append(f"value={model.value}")
            continue
        if isinstance(value, tuple) and value and hasattr(value[0], "_fields"):
            children.extend(value)
        elif isinstance(value, tuple) and value and isinstance(value[0], bytes):
            scalars.append(f"{name}=[{', '.join(v.hex() for v in value)}]")
        elif isinstance(value, bytes):
            shown = value.hex() if len(value) <= 48 else value[:48].hex() + "…"
            scalars.append(f"{name}=({len(value)} B) {shown}" if value else f"{name}=''")
        elif isinstance(value, enum.Enum):
            scalars.append(f"{name}={value.name}")
        elif isinstance(value, tuple):
            continue
        else:
            scalars.append(f"{name}={value}")
    out.append(f"{pad}{title} {' '.join(scalars)}".rstrip())
    for child in children:
        _tree(child, indent + 1, out)


def _describe(msg: Message | V1Message) -> str:
    exch = _exchange(msg)
    if isinstance(msg, V1Message):
        name = exch.name if isinstance(exch, enum.Enum) else f"exchange {int(exch)}"
        enc = ", encrypted" if msg.is_encrypted else ""
        return (
            f"IKEv1 {name}, message id {msg.message_id}, "
            f"cookies {msg.spi_i.hex()}/{msg.spi_r.hex()}{enc}"
        )
    name = exch.name if isinstance(exch, enum.Enum) else f"exchange {int(exch)}"
    role = "response" if msg.is_response else "request"
    side = "initiator" if msg.is_initiator else "responder"
    return (
        f"IKEv{msg.major_version} {name} {role} from {side}, message id {msg.message_id}, "
        f"SPIs {msg.spi_i.hex()}/{msg.spi_r.hex()}"
    )


class _KeyRing:
    """Keys by (SPIi, SPIr), from a Wireshark ``ikev2_decryption_table`` file or an
    ikewire JSON key file (:func:`keys_from_json`)."""

    def __init__(self, path: str) -> None:
        from .crypto.keytable import wireshark_table_by_spi

        self._by_spi = wireshark_table_by_spi(
            e if isinstance(e, WiresharkIKEv2Keys) else WiresharkIKEv2Keys(e)
            for e in _read_key_file(path, "--keys")[1]
        )

    def keys_for(self, msg: Message) -> IKESAKeys | WiresharkIKEv2Keys | None:
        """The keys of ``msg``'s IKE SA (an entry "without checking" as itself)."""
        entry = self._by_spi.get((msg.spi_i, msg.spi_r))
        if entry is None:
            return None
        return entry.keys if entry.unchecked_icv_size is None else entry

    def decrypt(self, msg: Message) -> Message | None:
        """The message with its SK payload opened, or None when no key matches."""
        from .crypto.decrypt import decrypt

        entry = self._by_spi.get((msg.spi_i, msg.spi_r))
        if entry is None:
            return None
        if entry.unchecked_icv_size is None:
            return decrypt(msg, entry.keys)
        return decrypt(msg, entry)


# ------------------------------------------------------------------ key files

KEYS_JSON_FORMAT = "ikewire-ike-sa-keys"
"""The ``format`` member of an ikewire JSON key file (:func:`keys_to_json`)."""

_KEY_FIELDS = ("sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er", "sk_pi", "sk_pr")

AnyKeys = IKESAKeys | WiresharkIKEv2Keys


def _alg_name(cls: type[enum.IntEnum], value: int) -> str | int:
    member = to_enum(cls, value)
    return member.name if isinstance(member, enum.Enum) else int(member)


def _alg_value(cls: type[enum.IntEnum], value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{what} must be a transform name or number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value in cls.__members__:
        return int(cls.__members__[value])
    raise ConfigError(f"{what}: unknown {cls.__name__} {value!r}")


def keys_to_json(entries: Sequence[AnyKeys]) -> str:
    """An ikewire JSON key file: every IKE SA's SPIs, transforms and SK_* (RFC 7296 §2.14).

    ``{"format": "ikewire-ike-sa-keys", "version": 1, "ike_sas": [{"spi_i", "spi_r",
    "encr", "encr_key_bits", "integ", "prf", "sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er",
    "sk_pi", "sk_pr"}, ...]}``: SPIs and keys in hex, transforms by their IANA name
    (a number when unassigned), ``prf`` null when unknown (a Wireshark table has no PRF,
    SK_d or SK_p*). AEAD SK_e* include the salt (RFC 5282 §7.1). An entry from a
    Wireshark "[No Checking]" label also has ``unchecked_icv_size``.
    """
    sas: list[dict[str, Any]] = []
    for entry in entries:
        unchecked = entry.unchecked_icv_size if isinstance(entry, WiresharkIKEv2Keys) else None
        k = entry.keys if isinstance(entry, WiresharkIKEv2Keys) else entry
        sa: dict[str, Any] = {
            "spi_i": k.spi_i.hex(),
            "spi_r": k.spi_r.hex(),
            "encr": _alg_name(EncrId, k.encr_id),
            "encr_key_bits": k.encr_key_bits,
            "integ": _alg_name(IntegId, k.integ_id),
            "prf": _alg_name(PrfId, k.prf_id) if k.prf_id else None,
        }
        sa.update((name, getattr(k, name).hex()) for name in _KEY_FIELDS)
        if unchecked is not None:
            sa["unchecked_icv_size"] = unchecked
        sas.append(sa)
    doc = {"format": KEYS_JSON_FORMAT, "version": 1, "ike_sas": sas}
    return json.dumps(doc, indent=1) + "\n"


def keys_from_json(text: str) -> list[AnyKeys]:
    """The IKE SAs of an ikewire JSON key file (:func:`keys_to_json`); a bare list of
    SA objects or one SA object is accepted too. ConfigError names the entry and field;
    keys whose length does not match their transforms are refused."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not JSON: {exc}") from None
    if isinstance(doc, dict) and "ike_sas" in doc:
        if doc.get("format", KEYS_JSON_FORMAT) != KEYS_JSON_FORMAT:
            raise ConfigError(f"format is {doc.get('format')!r}, not {KEYS_JSON_FORMAT!r}")
        doc = doc["ike_sas"]
    items = [doc] if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ConfigError("expected an object with 'ike_sas', a list or one SA object")
    return [_sa_from_json(item, n) for n, item in enumerate(items)]


def _sa_from_json(item: Any, n: int) -> AnyKeys:
    where = f"ike_sas[{n}]"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected an object")

    def hexfield(name: str, required: bool) -> bytes:
        value = item.get(name)
        if value is None and not required:
            return b""
        if not isinstance(value, str):
            raise ConfigError(f"{where}.{name}: expected a hex string")
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise ConfigError(f"{where}.{name}: not hex") from None

    spi_i, spi_r = hexfield("spi_i", True), hexfield("spi_r", True)
    for name, spi in (("spi_i", spi_i), ("spi_r", spi_r)):
        if len(spi) != 8:
            raise ConfigError(f"{where}.{name}: an IKE SPI is 8 octets, got {len(spi)}")
    bits = item.get("encr_key_bits")
    if bits is not None and (not isinstance(bits, int) or isinstance(bits, bool)):
        raise ConfigError(f"{where}.encr_key_bits: expected a number or null")
    prf = item.get("prf")
    keys = IKESAKeys(
        prf_id=0 if prf is None else _alg_value(PrfId, prf, f"{where}.prf"),
        encr_id=_alg_value(EncrId, item.get("encr"), f"{where}.encr"),
        encr_key_bits=bits,
        integ_id=_alg_value(IntegId, item.get("integ", 0), f"{where}.integ"),
        spi_i=spi_i,
        spi_r=spi_r,
        **{name: hexfield(name, name in ("sk_ei", "sk_er")) for name in _KEY_FIELDS},
    )
    unchecked = item.get("unchecked_icv_size")
    if unchecked is not None and (not isinstance(unchecked, int) or isinstance(unchecked, bool)):
        raise ConfigError(f"{where}.unchecked_icv_size: expected a number or null")
    entry = WiresharkIKEv2Keys(keys, unchecked)
    try:
        # The key lengths must fit the transforms, both directions (RFC 7296 §2.14).
        entry.cipher(sender_is_initiator=True)
        entry.cipher(sender_is_initiator=False)
    except IKEError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return entry if unchecked is not None else keys


def _is_json(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


def _read_key_file(path: str, what: str) -> tuple[str, list[AnyKeys]]:
    """("json" or "wireshark", the entries) of a key file (``-`` is stdin)."""
    from .crypto.keytable import parse_wireshark_table

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
        raise _UsageError(f"{what} {path}: {reason}") from exc
    try:
        if _is_json(text):
            return "json", keys_from_json(text)
        return "wireshark", list(parse_wireshark_table(text))
    except IKEError as exc:
        raise _UsageError(f"{what} {path}: {exc}") from exc


def _cmd_keys(args: argparse.Namespace) -> int:
    source, entries = _read_key_file(args.input, "keys")
    target = args.to or ("wireshark" if source == "json" else "json")
    if target == "json":
        text = keys_to_json(entries)
    else:
        try:
            text = to_wireshark_table(entries)
        except IKEError as exc:
            raise _UsageError(f"keys {args.input}: {exc}") from exc
    _write_text(args.output, text)
    return 0


def _write_text(path: str | None, text: str) -> None:
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text)
    except OSError as exc:
        raise _UsageError(f"{path}: {exc.strerror}") from exc


# ------------------------------------------------------------------ demo

DEMO_PSK = b"ikewire demo pre-shared key"
"""The demo's shared key (public: the demo shows a protocol run, it protects nothing)."""

DEMO_START = 1_767_225_600.0
"""The demo clock's start (2026-01-01T00:00:00Z), the capture's first timestamp."""

DEMO_HOP = 0.001
"""Seconds a demo datagram spends on the wire; the clock moves by this per datagram."""

_DEMO_MAX_ROUNDS = 32


def _demo_configs(seed: int, suite: str, esp: str) -> tuple[IKEConfig, IKEConfig]:
    """The demo's two peers: PSK, FQDN identities, 10.1/16 <-> 10.2/16 tunnels, each
    with its own deterministic generator derived from ``seed`` (testing only)."""
    initiator = IKEConfig(
        Identity.fqdn("initiator.example"),
        Identity.fqdn("responder.example"),
        ike_proposals=(suite,),
        esp_proposals=(esp,),
        psk=DEMO_PSK,
        local_ts=("10.1.0.0/16",),
        remote_ts=("10.2.0.0/16",),
        rng=seeded_rng(2 * seed),
    )
    responder = IKEConfig(
        Identity.fqdn("responder.example"),
        Identity.fqdn("initiator.example"),
        ike_proposals=(suite,),
        esp_proposals=(esp,),
        psk=DEMO_PSK,
        local_ts=("10.2.0.0/16",),
        remote_ts=("10.1.0.0/16",),
        rng=seeded_rng(2 * seed + 1),
    )
    return initiator, responder


class _Phase(NamedTuple):
    """One step of the demo: exchanges ``start`` begins, run until both peers are quiet;
    with ``displays`` both SA displays are printed afterwards."""

    title: str
    start: Callable[[Pair], None]
    displays: bool


def _demo_phases() -> list[_Phase]:
    """What the demo does, in order: the initial exchanges, a Child SA rekey by the
    initiator, an IKE SA rekey by the responder (which makes it the new IKE SA's
    initiator, RFC 7296 §2.18), and the Delete."""
    return [
        _Phase(
            "IKE_SA_INIT and IKE_AUTH (RFC 7296 §1.2)",
            lambda p: p.initiator.initiate(p.now),
            displays=True,
        ),
        _Phase(
            "CREATE_CHILD_SA: the initiator rekeys the Child SA (RFC 7296 §1.3.3, §2.8)",
            lambda p: p.initiator.rekey_child(p.initiator.child_sas[0].spi_in, p.now),
            displays=False,
        ),
        _Phase(
            "CREATE_CHILD_SA: the responder rekeys the IKE SA (RFC 7296 §1.3.2, §2.18)",
            lambda p: p.responder.rekey_ike(p.now),
            displays=True,
        ),
        _Phase(
            "INFORMATIONAL: delete the IKE SA (RFC 7296 §1.4.1)",
            lambda p: p.initiator.close(p.now),
            displays=False,
        ),
    ]


def _keys_for(msg: Message, ring: list[IKESAKeys]) -> IKESAKeys | None:
    """The IKE SA's keys of a message, by its SPIs."""
    for keys in ring:
        if (keys.spi_i, keys.spi_r) == (msg.spi_i, msg.spi_r):
            return keys
    return None


def _summary(data: bytes, ring: list[IKESAKeys]) -> str:
    """One line for a datagram: exchange, request/response, message ID, payload names;
    an SK payload lists the payloads inside it (opened with the SA's keys)."""
    from .crypto.decrypt import decrypt
    from .wire.framing import unframe_4500

    if data == b"\xff":
        return "NAT-keepalive (RFC 3948 §2.3)"
    if data[:4] == b"\0\0\0\0":
        data = unframe_4500(data)
    msg = decode(data)
    if not isinstance(msg, Message):
        return _describe(msg)
    exch = _exchange(msg)
    name = exch.name if isinstance(exch, enum.Enum) else f"exchange {int(exch)}"
    role = "response" if msg.is_response else "request"
    names = [_short(p) for p in msg.payloads]
    keys = _keys_for(msg, ring)
    if keys is not None and msg.payloads and isinstance(msg.payloads[-1], SK):
        opened = decrypt(msg, keys)
        inner = [_short(p) for p in opened.payloads[len(msg.payloads) - 1 :]]
        names[-1] = f"SK{{{', '.join(inner)}}}"
    return f"{name} {role} #{msg.message_id} [{', '.join(names)}]"


def _short(payload: Any) -> str:
    """A payload's short name; notifies with their type (``N(NAT_DETECTION_SOURCE_IP)``)."""
    name = _payload_name(payload) or type(payload).__name__
    if isinstance(payload, Notify):
        kind = to_enum(NotifyType, int(payload.notify_type))
        return f"{name}({kind.name if isinstance(kind, enum.Enum) else int(kind)})"
    if isinstance(payload, Delete):
        proto = to_enum(ProtocolId, int(payload.protocol_id))
        return f"{name}({proto.name if isinstance(proto, enum.Enum) else int(proto)})"
    return name


class DemoRun:
    """A finished demo: its printed lines, the pair, and every datagram as sent."""

    def __init__(self, lines: list[str], pair: Pair, ring: list[IKESAKeys]) -> None:
        self.lines = lines
        self.pair = pair
        self.ring = ring

    @property
    def keys(self) -> IKESAKeys:
        """The last IKE SA's keys (RFC 7296 §2.14)."""
        if not self.ring:
            raise ConfigError("the demo did not establish an IKE SA")
        return self.ring[-1]

    @property
    def all_keys(self) -> list[IKESAKeys]:
        """Every IKE SA's keys, first to last (rekeys make new ones, RFC 7296 §2.18)."""
        if not self.ring:
            raise ConfigError("the demo did not establish an IKE SA")
        return list(self.ring)

    def datagrams(self) -> list[UdpDatagram]:
        """Every datagram exchanged, in order, as UDP between the pair's addresses."""
        return [
            UdpDatagram(
                n, c.time, c.source[0], c.destination[0], c.source[1], c.destination[1], c.data
            )
            for n, c in enumerate(self.pair.captured, 1)
        ]


def run_demo(
    seed: int = 1, suite: str = "aes256gcm16-prfsha256-x25519", esp: str = "aes256gcm16"
) -> DemoRun:
    """Two ikewire peers negotiate in memory, deterministic for ``seed``.

    Both peers are configured alike, so every exchange should succeed; a run that does
    not is an ikewire bug. ConfigError for a proposal ikewire cannot parse.
    """
    init_cfg, resp_cfg = _demo_configs(seed, suite, esp)
    pair = Pair(init_cfg, resp_cfg, now=DEMO_START)
    peers = (("initiator", pair.initiator), ("responder", pair.responder))
    lines: list[str] = []
    ring: list[IKESAKeys] = []
    for phase in _demo_phases():
        lines.append(f"== {phase.title}")
        phase.start(pair)
        lines.extend(_run_to_quiet(pair, ring))
        if phase.displays:
            for who, conn in peers:
                lines.append(f"-- {who}")
                lines.extend(conn.describe(pair.now).splitlines())
        lines.append("")
    lines.append("== end: " + ", ".join(f"{who} {conn.state.value}" for who, conn in peers))
    return DemoRun(lines, pair, ring)


def _run_to_quiet(pair: Pair, ring: list[IKESAKeys]) -> list[str]:
    """Move datagrams both ways until neither peer sends; one line per datagram. The
    clock moves :data:`DEMO_HOP` per datagram (its time on the wire)."""
    lines: list[str] = []
    for _ in range(_DEMO_MAX_ROUNDS):
        moved = 0
        for sender, receiver, arrow in (
            (pair.initiator, pair.responder, "I -> R"),
            (pair.responder, pair.initiator, "R -> I"),
        ):
            first = len(pair.captured)
            pair.take(sender)  # appends to pair.captured, stamped with the clock
            for conn in (pair.initiator, pair.responder):
                if conn.keys is not None and conn.keys not in ring:
                    ring.append(conn.keys)  # a new IKE SA (the first, or a rekey)
            for c in pair.captured[first:]:
                pair.advance(DEMO_HOP)
                src, dst = c.source, c.destination
                lines.append(
                    f"{c.time - DEMO_START:7.3f}  {arrow}  {src[0]}:{src[1]} -> "
                    f"{dst[0]}:{dst[1]}  {_summary(c.data, ring)}"
                )
                pair.deliver(c.data, receiver)
                moved += 1
        if moved == 0:
            break
    return lines


def _cmd_demo(args: argparse.Namespace) -> int:
    try:
        run = run_demo(args.seed, args.suite, args.esp)
        table = to_wireshark_table(run.all_keys) if args.keys else None
    except ConfigError as exc:
        raise _UsageError(f"demo: {exc}") from exc
    print("\n".join(run.lines).rstrip("\n"))
    if args.pcap:
        try:
            write_pcap(args.pcap, run.datagrams())
        except OSError as exc:
            raise _UsageError(f"--pcap {args.pcap}: {exc.strerror}") from exc
    if table is not None:
        _write_text(args.keys, table)
    return 0


_V1_TABLE_LINE = re.compile(r"^\s*\"?[0-9A-Fa-f]{16}\"?\s*,\s*\"?[0-9A-Fa-f]+\"?\s*$")


def _ikev1_table(path: str) -> Any:
    """An IKEv1 decryptor when ``path`` is Wireshark's ``ikev1_decryption_table``
    (initiator cookie, encryption key), else None."""
    from .crypto.ikev1 import IKEv1Decryptor

    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError):
        return None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines or not all(_V1_TABLE_LINE.match(ln) for ln in lines):
        return None
    return IKEv1Decryptor.from_wireshark_table(text)


def _cmd_decode(args: argparse.Namespace) -> int:
    v1keys = _ikev1_table(args.keys) if args.keys else None
    keys = _KeyRing(args.keys) if args.keys and v1keys is None else None
    failures = 0
    records: list[dict[str, Any]] = []
    for item in _inputs(args.inputs):
        data = item.data
        if item.port == 4500:
            if data == b"\xff":
                if not args.json:
                    print(f"{item.label}: NAT-keepalive (RFC 3948 §2.3)")
                continue
            if data[:4] != b"\0\0\0\0":
                if not args.json:
                    spi = data[:4].hex()
                    print(f"{item.label}: ESP (SPI 0x{spi}, {len(data)} B; RFC 3948)")
                continue
            data = data[4:]
        try:
            msg = decode(data)
        except DecodeError as exc:
            failures += 1
            print(f"{item.label}: cannot decode: {exc}", file=sys.stderr)
            continue
        inner: dict[int, Any] = {}
        inner_trees: list[str] = []
        if v1keys is not None and isinstance(msg, V1Message):
            try:
                v1_opened = v1keys.open(msg)  # RFC 2409 Appendix B, in capture order
            except IKEError as exc:
                failures += 1
                print(f"{item.label}: not opened: {exc}", file=sys.stderr)
                v1_opened = None
            if v1_opened is not None:
                msg = v1_opened.message
        if keys is not None and isinstance(msg, Message):
            for i, p in enumerate(msg.payloads):
                if isinstance(p, SK | SKF):
                    if isinstance(p, SKF) and p.total_fragments > 1:
                        print(
                            f"{item.label}: fragment {p.fragment_number}/{p.total_fragments}"
                            " (open the whole set to see its contents)",
                            file=sys.stderr,
                        )
                        break
                    try:
                        opened = keys.decrypt(msg)
                    except IntegrityError as exc:
                        failures += 1
                        key = "SK_ei/SK_ai" if msg.is_initiator else "SK_er/SK_ar"
                        print(
                            f"{item.label}: {exc}; the {key} keys given for this SA "
                            "do not match the traffic (check that line of the key file)",
                            file=sys.stderr,
                        )
                        break
                    except IKEError as exc:
                        print(f"{item.label}: not opened: {exc}", file=sys.stderr)
                        break
                    if opened is None:
                        break
                    inner_payloads = opened.payloads[i:]
                    inner[i] = [_model_dict(q) for q in inner_payloads]
                    lines: list[str] = []
                    for q in inner_payloads:
                        _tree(q, 2, lines)
                    inner_trees = lines
        if args.json:
            record = message_to_json(msg, inner)
            record["source"] = item.label
            records.append(record)
        else:
            print(f"{item.label}: {_describe(msg)}")
            lines = []
            payload: Any
            for payload in msg.payloads:
                p = payload
                _tree(p, 1, lines)
                if isinstance(p, SK | SKF) and inner_trees:
                    lines.append("    (opened)")
                    lines.extend(inner_trees)
            print("\n".join(lines))
    if args.json:
        json.dump(records, sys.stdout, indent=1)
        print()
    return 1 if failures else 0


def _cmd_diagnose(args: argparse.Namespace) -> int:
    """Each IKE SA of the inputs: what happened, and for what went wrong, its likely
    cause and a fix."""
    from .diagnose import Datagram, diagnose

    keys = _KeyRing(args.keys) if args.keys else None
    datagrams = [
        Datagram(item.data, item.source, item.destination, item.port)
        for item in _inputs(args.inputs)
    ]
    report = diagnose(datagrams, keys.keys_for if keys is not None else None)
    print(report.text())
    return 0


def _cmd_certbundle(args: argparse.Namespace) -> int:
    """Build a certificate bundle (RFC 7296 §3.6) from PEM/DER certificates and CRLs,
    or show one."""
    if args.show:
        if args.inputs:
            raise _UsageError("--show takes no other inputs")
        with open(args.show, "rb") as f:
            bundle = read_bundle(f.read())
        print(bundle.describe() or "(empty bundle)")
        return 0
    if not args.inputs or not args.output:
        raise _UsageError("give -o OUT and at least one certificate or CRL file")
    blobs = []
    for name in args.inputs:
        with open(name, "rb") as f:
            blobs.append(f.read())
    certs, crls = load_objects(blobs)
    try:
        der = build_bundle(certs, crls)
    except EncodeError as exc:
        raise _UsageError(str(exc)) from None
    with open(args.output, "wb") as f:
        f.write(der)
    print(
        f"{args.output}: {len(certs)} certificates, {len(crls)} CRLs, {len(der)} octets, "
        f"SHA-1 {sha1(der).hex()} (the hash a hash-and-URL CERT payload names)"
    )
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ikewire", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dec = sub.add_parser("decode", help="decode IKE messages from hex, files or captures")
    dec.add_argument("inputs", nargs="+", help="hex, a raw message file, a pcap/pcapng, or -")
    dec.add_argument("--keys", help="key file: Wireshark ikev2_decryption_table or ikewire JSON")
    dec.add_argument("--json", action="store_true", help="print JSON instead of a tree")
    diag = sub.add_parser(
        "diagnose",
        help="what became of each IKE SA in a capture, and why",
        description="Follows every IKEv2 SA of the inputs through IKE_SA_INIT, IKE_AUTH and "
        "later exchanges; for what went wrong (a refused proposal or authentication, "
        "refused traffic selectors, unanswered requests, keys that do not fit) prints the "
        "likely cause and a fix. With --keys it also reads inside the SK payloads.",
    )
    diag.add_argument("inputs", nargs="+", help="a pcap/pcapng, hex, a raw message file, or -")
    diag.add_argument("--keys", help="key file: Wireshark ikev2_decryption_table or ikewire JSON")
    demo = sub.add_parser(
        "demo",
        help="two ikewire peers negotiate in memory (deterministic for a seed)",
        description="IKE_SA_INIT, IKE_AUTH with the first Child SA, then an INFORMATIONAL "
        "delete, between two in-memory peers; prints every datagram and both SA displays. "
        "The same seed gives the same output, capture and keys.",
    )
    demo.add_argument("--seed", type=int, default=1, help="random generator seed (default 1)")
    demo.add_argument(
        "--suite",
        default="aes256gcm16-prfsha256-x25519",
        help="IKE proposal, strongSwan syntax (default aes256gcm16-prfsha256-x25519)",
    )
    demo.add_argument(
        "--esp", default="aes256gcm16", help="ESP proposal, strongSwan syntax (default aes256gcm16)"
    )
    demo.add_argument("--pcap", metavar="OUT", help="write every datagram as a pcap")
    demo.add_argument(
        "--keys",
        metavar="OUT",
        help="write the IKE SA's keys as Wireshark's ikev2_decryption_table "
        "(convert with 'ikewire keys')",
    )
    keys = sub.add_parser(
        "keys",
        help="convert key files: ikewire JSON <-> Wireshark ikev2_decryption_table",
        description="Reads an ikewire JSON key file or a Wireshark ikev2_decryption_table "
        "(recognised by content) and writes the other format, or the one given with --to. "
        "'ikewire demo --keys' writes the Wireshark table.",
    )
    keys.add_argument("input", help="key file, or - for stdin")
    keys.add_argument("--to", choices=("json", "wireshark"), help="output format")
    keys.add_argument("-o", "--output", metavar="OUT", help="output file (default stdout)")
    bundle = sub.add_parser(
        "certbundle",
        help="build or show an X.509 certificate bundle (hash-and-URL encoding 13)",
        description="Writes the DER CertificateBundle of RFC 7296 §3.6 (certificates, end "
        "entity first, then CRLs) from PEM or DER files, and prints its SHA-1; "
        "--show lists a bundle's entries.",
    )
    bundle.add_argument("inputs", nargs="*", help="certificate and CRL files (PEM or DER)")
    bundle.add_argument("-o", "--output", metavar="OUT", help="the bundle to write")
    bundle.add_argument("--show", metavar="BUNDLE", help="list the entries of a bundle")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ikewire`` console script."""
    args = _parser().parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "decode": _cmd_decode,
        "diagnose": _cmd_diagnose,
        "demo": _cmd_demo,
        "keys": _cmd_keys,
        "certbundle": _cmd_certbundle,
    }
    try:
        return commands[args.command](args)
    except _UsageError as exc:
        print(f"ikewire: {exc}", file=sys.stderr)
        return 2
    except (DecodeError, OSError) as exc:
        print(f"ikewire: {exc}", file=sys.stderr)
        return 1
