"""The ``ikewire`` command (also ``python -m ikewire``).

``ikewire decode`` reads hex (an argument or stdin), raw message files, and
pcap/pcapng captures, and prints each IKE message as a readable tree or as JSON;
with ``--keys`` it opens SK payloads. Exit codes: 0 success, 1 some input could
not be decoded, 2 usage errors.
"""

from __future__ import annotations

import argparse
import binascii
import enum
import ipaddress
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .constants import PAYLOAD_SHORT_NAMES, ExchangeType, V1ExchangeType, to_enum
from .errors import DecodeError, IKEError, IntegrityError
from .pcap import iter_udp
from .wire import decode
from .wire.models import SK, SKF, Message
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


class _Input:
    """One datagram to show: where it came from and its UDP payload."""

    __slots__ = ("data", "label", "port")

    def __init__(self, label: str, data: bytes, port: int | None) -> None:
        self.label = label
        self.data = data
        self.port = port


def _inputs(sources: Sequence[str]) -> Iterator[_Input]:
    for src in sources:
        if src == "-":
            text = sys.stdin.read()
            yield _Input("stdin", _hex(text, "stdin"), None)
            continue
        path = Path(src)
        if path.is_file():
            head = path.read_bytes()[:4]
            if head in _CAPTURE_MAGICS or head[:2] == b"\x1f\x8b":
                for d in iter_udp(path):
                    label = f"frame {d.frame}  {d.src}:{d.sport} -> {d.dst}:{d.dport}"
                    port = 4500 if 4500 in (d.sport, d.dport) else d.dport
                    yield _Input(label, d.payload, port)
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
    """Keys by (SPIi, SPIr), from a Wireshark ``ikev2_decryption_table`` file."""

    def __init__(self, path: str) -> None:
        from .crypto.keytable import parse_wireshark_table, wireshark_table_by_spi

        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise _UsageError(f"--keys {path}: {exc.strerror}") from exc
        try:
            self._by_spi = wireshark_table_by_spi(parse_wireshark_table(text))
        except IKEError as exc:
            raise _UsageError(f"--keys {path}: {exc}") from exc

    def decrypt(self, msg: Message) -> Message | None:
        """The message with its SK payload opened, or None when no key matches."""
        from .crypto.decrypt import decrypt

        entry = self._by_spi.get((msg.spi_i, msg.spi_r))
        if entry is None:
            return None
        return decrypt(msg, entry)


def _cmd_decode(args: argparse.Namespace) -> int:
    keys = _KeyRing(args.keys) if args.keys else None
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ikewire`` console script."""
    parser = argparse.ArgumentParser(prog="ikewire", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dec = sub.add_parser("decode", help="decode IKE messages from hex, files or captures")
    dec.add_argument("inputs", nargs="+", help="hex, a raw message file, a pcap/pcapng, or -")
    dec.add_argument("--keys", help="key file: Wireshark ikev2_decryption_table or ikewire JSON")
    dec.add_argument("--json", action="store_true", help="print JSON instead of a tree")
    args = parser.parse_args(argv)
    try:
        if args.command == "decode":
            return _cmd_decode(args)
    except _UsageError as exc:
        print(f"ikewire: {exc}", file=sys.stderr)
        return 2
    except (DecodeError, OSError) as exc:
        print(f"ikewire: {exc}", file=sys.stderr)
        return 1
    return 2
