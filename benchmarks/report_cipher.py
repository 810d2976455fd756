"""Print SK open/seal times and the ratio to the bare ``cryptography`` baseline.

The ikewire call and its baseline (``bench_cipher.py``'s cases) are timed in alternation,
many short rounds, so both see the same machine load.

Run: ``.venv/bin/python benchmarks/report_cipher.py [rounds]``.
"""

from __future__ import annotations

import sys

from bench_cipher import format_ratios, interleaved_ratios

if __name__ == "__main__":
    print(format_ratios(interleaved_ratios(int(sys.argv[1]) if len(sys.argv) > 1 else 40)))
