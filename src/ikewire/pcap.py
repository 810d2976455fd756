"""Reading and writing packet captures, without extra dependencies.

Reads classic pcap (both byte orders, micro- and nanosecond timestamps) and
pcapng (Section Header, Interface Description, Enhanced and Simple Packet blocks),
optionally gzip-compressed, and extracts UDP datagrams from Ethernet, Linux
cooked (SLL, SLL2), BSD loopback and raw IPv4/IPv6 frames. Writes classic pcap
with raw-IP link type so captures of ikewire's own traffic open in Wireshark.

Frames that are not UDP over IPv4/IPv6 are skipped, and so are IPv4 fragments
other than the first; a first fragment (or a truncated frame) yields the part of
the UDP payload it holds, so the decoder sees exactly what the wire carried.
A capture file whose structure is broken raises :class:`~ikewire.DecodeError`
naming the frame and offset.
"""

from __future__ import annotations

import gzip
import ipaddress
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import DecodeError

__all__ = ["UdpDatagram", "iter_frames", "iter_udp", "write_pcap"]

_PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_PCAPNG_SHB = 0x0A0D0D0A
_MAX_BLOCK = 1 << 26  # 64 MiB: larger blocks are certainly corrupt

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276


@dataclass(frozen=True, slots=True)
class UdpDatagram:
    """One UDP datagram found in a capture.

    ``frame`` is the 1-based frame number (as Wireshark counts), ``payload`` the
    UDP payload as sent: on port 4500 an IKE message still carries its 4-octet
    non-ESP marker (RFC 3948 §2.2).
    """

    frame: int
    timestamp: float
    src: str
    dst: str
    sport: int
    dport: int
    payload: bytes


def _read_bytes(path: str | Path) -> bytes:
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DecodeError(f"broken gzip stream: {exc}", field="capture") from exc
    return data


def iter_frames(data: bytes) -> Iterator[tuple[int, float, int, bytes]]:
    """Yield ``(frame_number, timestamp, linktype, frame_bytes)`` from pcap/pcapng bytes."""
    magic = data[:4]
    if magic in _PCAP_MAGICS:
        yield from _iter_pcap(data)
    elif len(data) >= 4 and struct.unpack_from("<I", data)[0] == _PCAPNG_SHB:
        yield from _iter_pcapng(data)
    else:
        raise DecodeError(
            "not a pcap or pcapng capture (unknown magic number)", offset=0, field="capture"
        )


def _iter_pcap(data: bytes) -> Iterator[tuple[int, float, int, bytes]]:
    order, scale = _PCAP_MAGICS[data[:4]]
    if len(data) < 24:
        raise DecodeError("pcap global header truncated", offset=0, field="pcap.header")
    linktype = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFFFFFF
    rec = struct.Struct(order + "IIII")
    off, frame = 24, 0
    while off < len(data):
        frame += 1
        if off + 16 > len(data):
            raise DecodeError(
                f"frame {frame}: record header truncated", offset=off, field="pcap.record"
            )
        sec, frac, incl, _orig = rec.unpack_from(data, off)
        off += 16
        if incl > _MAX_BLOCK or off + incl > len(data):
            raise DecodeError(
                f"frame {frame}: captured length {incl} runs past the end of the file",
                offset=off - 16,
                field="pcap.record.incl_len",
            )
        yield frame, sec + frac * scale, linktype, data[off : off + incl]
        off += incl


def _iter_pcapng(data: bytes) -> Iterator[tuple[int, float, int, bytes]]:
    off, frame = 0, 0
    order = "<"
    interfaces: list[tuple[int, float]] = []
    while off < len(data):
        if off + 12 > len(data):
            raise DecodeError("pcapng block truncated", offset=off, field="pcapng.block")
        btype = struct.unpack_from(order + "I", data, off)[0]
        if btype == _PCAPNG_SHB:
            bom = data[off + 8 : off + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                order = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                order = ">"
            else:
                raise DecodeError(
                    "pcapng byte-order magic invalid", offset=off + 8, field="pcapng.SHB"
                )
            interfaces = []
        blen = struct.unpack_from(order + "I", data, off + 4)[0]
        if blen < 12 or blen % 4 or blen > _MAX_BLOCK or off + blen > len(data):
            raise DecodeError(
                f"pcapng block length {blen} invalid", offset=off + 4, field="pcapng.block.length"
            )
        body = data[off + 8 : off + blen - 4]
        if btype == 0x00000001 and len(body) >= 8:  # Interface Description Block
            linktype = struct.unpack_from(order + "H", body, 0)[0]
            interfaces.append((linktype, _if_tsresol(body[8:], order)))
        elif btype == 0x00000006 and len(body) >= 20:  # Enhanced Packet Block
            iface, ts_hi, ts_lo, caplen = struct.unpack_from(order + "IIII", body, 0)
            if iface >= len(interfaces) or 20 + caplen > len(body):
                raise DecodeError(
                    f"frame {frame + 1}: enhanced packet block inconsistent",
                    offset=off,
                    field="pcapng.EPB",
                )
            frame += 1
            linktype, scale = interfaces[iface]
            yield frame, ((ts_hi << 32) | ts_lo) * scale, linktype, body[20 : 20 + caplen]
        elif btype == 0x00000003 and len(body) >= 4:  # Simple Packet Block
            if not interfaces:
                raise DecodeError(
                    "simple packet block before any interface", offset=off, field="pcapng.SPB"
                )
            frame += 1
            yield frame, 0.0, interfaces[0][0], body[4:]
        off += blen


def _if_tsresol(options: bytes, order: str) -> float:
    """The if_tsresol option of an Interface Description Block (default 10^-6)."""
    off = 0
    while off + 4 <= len(options):
        code, length = struct.unpack_from(order + "HH", options, off)
        if code == 0:
            break
        if code == 9 and length >= 1 and off + 5 <= len(options):
            v = options[off + 4]
            return 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0 ** -(v & 0x7F)
        off += 4 + ((length + 3) & ~3)
    return 1e-6


def _ip_payload(linktype: int, frame: bytes) -> bytes | None:
    """The IP packet inside a link-layer frame, or None for other protocols."""
    if linktype == LINKTYPE_ETHERNET:
        off = 12
        while off + 2 <= len(frame):
            ethertype = struct.unpack_from(">H", frame, off)[0]
            if ethertype in (0x8100, 0x88A8):  # VLAN tags
                off += 4
                continue
            return frame[off + 2 :] if ethertype in (0x0800, 0x86DD) else None
        return None
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return frame
    if linktype == LINKTYPE_LINUX_SLL:
        return (
            frame[16:] if len(frame) >= 16 and frame[14:16] in (b"\x08\x00", b"\x86\xdd") else None
        )
    if linktype == LINKTYPE_LINUX_SLL2:
        return frame[20:] if len(frame) >= 20 and frame[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype == LINKTYPE_NULL:
        return frame[4:] if len(frame) >= 4 else None
    return None


def _udp_in_ip(packet: bytes) -> tuple[str, str, int, int, bytes] | None:
    if not packet:
        return None
    version = packet[0] >> 4
    if version == 4:
        ihl = (packet[0] & 0x0F) * 4
        if ihl < 20 or len(packet) < ihl + 8 or packet[9] != 17:
            return None
        frag = struct.unpack_from(">H", packet, 6)[0]
        if frag & 0x1FFF:  # a later fragment; a first fragment yields what it holds
            return None
        total = struct.unpack_from(">H", packet, 2)[0]
        src, dst = packet[12:16], packet[16:20]
        udp = packet[ihl : max(total, ihl + 8)] if total else packet[ihl:]
    elif version == 6:
        if len(packet) < 48:
            return None
        nxt, off = packet[6], 40
        # skip the common extension headers (hop-by-hop, routing, destination options)
        for _ in range(8):
            if nxt in (0, 43, 60) and off + 8 <= len(packet):
                nxt, off = packet[off], off + (packet[off + 1] + 1) * 8
            else:
                break
        if nxt != 17 or len(packet) < off + 8:
            return None
        src, dst = packet[8:24], packet[24:40]
        udp = packet[off:]
    else:
        return None
    sport, dport, ulen = struct.unpack_from(">HHH", udp, 0)
    payload = udp[8:ulen] if 8 <= ulen <= len(udp) else udp[8:]
    return (
        str(ipaddress.ip_address(src)),
        str(ipaddress.ip_address(dst)),
        sport,
        dport,
        payload,
    )


def iter_udp(path: str | Path) -> Iterator[UdpDatagram]:
    """Yield every UDP datagram of a pcap/pcapng capture (gzip allowed)."""
    for frame, ts, linktype, raw in iter_frames(_read_bytes(path)):
        ip = _ip_payload(linktype, raw)
        if ip is None:
            continue
        found = _udp_in_ip(ip)
        if found is None:
            continue
        src, dst, sport, dport, payload = found
        yield UdpDatagram(frame, ts, src, dst, sport, dport, payload)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ip_udp_packet(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    ulen = 8 + len(payload)
    if s.version == 4 and d.version == 4:
        pseudo = s.packed + d.packed + struct.pack(">BBH", 0, 17, ulen)
        udp = struct.pack(">HHHH", sport, dport, ulen, 0) + payload
        csum = _checksum(pseudo + udp) or 0xFFFF
        udp = udp[:6] + struct.pack(">H", csum) + udp[8:]
        hdr = struct.pack(
            ">BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0, s.packed, d.packed
        )
        hdr = hdr[:10] + struct.pack(">H", _checksum(hdr)) + hdr[12:]
        return hdr + udp
    if s.version == 6 and d.version == 6:
        pseudo = s.packed + d.packed + struct.pack(">I3xB", ulen, 17)
        udp = struct.pack(">HHHH", sport, dport, ulen, 0) + payload
        csum = _checksum(pseudo + udp) or 0xFFFF
        udp = udp[:6] + struct.pack(">H", csum) + udp[8:]
        return struct.pack(">IHBB16s16s", 0x60000000, ulen, 17, 64, s.packed, d.packed) + udp
    raise ValueError("source and destination must be of the same IP version")


def write_pcap(path: str | Path, datagrams: Iterable[UdpDatagram]) -> None:
    """Write UDP datagrams as a classic pcap with raw-IP link type (valid checksums)."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_RAW)]
    for d in datagrams:
        pkt = _ip_udp_packet(d.src, d.dst, d.sport, d.dport, d.payload)
        sec = int(d.timestamp)
        usec = min(round((d.timestamp - sec) * 1e6), 999_999)
        out.append(struct.pack("<IIII", sec, usec, len(pkt), len(pkt)))
        out.append(pkt)
    Path(path).write_bytes(b"".join(out))
