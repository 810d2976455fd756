"""Print the codec's speed ratios (issue 2) with timeit, all in one process.

For each message of ``bench_codec.py`` and each direction, the median of several
timeit repeats of ikewire, the plain ``struct`` baseline and scapy, then
ikewire/struct (target ≤ 2) and scapy/ikewire. The timer is the process's CPU time
and each pair is timed alternately, so load from other processes skews both sides
alike; the ratio column is the median of the per-round ratios. Run:
``.venv/bin/python benchmarks/report.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_codec as b
from ikewire.wire import decode_v2, encode_v2


def _per_call_us(func: Callable[[], Any], number: int) -> float:
    # CPU time of this process: other processes on a loaded machine do not count.
    return timeit.Timer(func, timer=time.process_time).timeit(number) / number * 1e6


def _interleaved(
    ours: Callable[[], Any], other: Callable[[], Any], repeat: int
) -> tuple[float, float, float]:
    """Median µs of ``ours`` and ``other`` and the median of their per-round ratio,
    timed alternately so that both see the same load on a noisy machine."""
    number = max(1, timeit.Timer(ours).autorange()[0] // 4)
    t_ours, t_other, ratios = [], [], []
    for _ in range(repeat):
        a = _per_call_us(ours, number)
        b_ = _per_call_us(other, number)
        t_ours.append(a)
        t_other.append(b_)
        ratios.append(a / b_)
    return statistics.median(t_ours), statistics.median(t_other), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    try:
        import scapy  # noqa: F401

        have_scapy = True
    except ImportError:
        have_scapy = False

    print(
        f"{'message':12} {'op':7} {'ikewire µs':>11} {'struct µs':>10} {'scapy µs':>10} "
        f"{'ikewire/struct':>15} {'scapy/ikewire':>14}"
    )
    for name, make in b.MESSAGES.items():
        data = make()
        msg = decode_v2(data)
        tuples = b.struct_decode(data)
        packet = b.scapy_decode(data) if have_scapy else None
        rows: dict[str, tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any] | None]] = {
            "decode": (
                partial(decode_v2, data),
                partial(b.struct_decode, data),
                partial(b.scapy_decode, data) if have_scapy else None,
            ),
            "encode": (
                partial(encode_v2, msg),
                partial(b.struct_encode, tuples),
                partial(b.scapy_encode, packet) if have_scapy else None,
            ),
        }
        for op, (ours, base, theirs) in rows.items():
            t_ours, t_base, ratio = _interleaved(ours, base, args.repeat)
            if theirs is not None:
                _, t_scapy, scapy_ratio = _interleaved(ours, theirs, max(3, args.repeat // 3))
            else:
                t_scapy = scapy_ratio = float("nan")
            print(
                f"{name:12} {op:7} {t_ours:11.2f} {t_base:10.2f} {t_scapy:10.1f} "
                f"{ratio:15.2f} {1 / scapy_ratio:14.1f}"
            )


if __name__ == "__main__":
    main()
