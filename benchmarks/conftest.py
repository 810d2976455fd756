"""Print ratios between benchmarks of the same group after a pytest-benchmark run.

In every group that holds a benchmark whose name contains ``baseline``, each other
benchmark's median is divided by the baseline's median (the issue-2 target for the
codec is ikewire/struct_baseline ≤ 2); where the group also holds ``ikewire`` and
``scapy`` benchmarks, scapy/ikewire is printed too. Medians come from this run only,
so the ratios compare code measured under the same load.
"""

from __future__ import annotations

from typing import Any

import pytest


def _short(name: str) -> str:
    return name.removeprefix("test_").split("[", 1)[0]


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    session = getattr(config, "_benchmarksession", None)
    if session is None or not getattr(session, "benchmarks", None):
        return
    groups: dict[str, dict[str, float]] = {}
    for bench in session.benchmarks:
        if not bench or bench.has_error:
            continue
        groups.setdefault(bench.group or "", {})[_short(bench.name)] = bench.stats.median
    lines = []
    for group in sorted(groups):
        medians = groups[group]
        baseline = next((name for name in medians if "baseline" in name), None)
        if baseline is None:
            continue
        for name, median in sorted(medians.items()):
            if name == baseline:
                continue
            lines.append(
                f"{group:28} {name:28} {median * 1e6:10.2f} µs  / {baseline} "
                f"{medians[baseline] * 1e6:8.2f} µs = {median / medians[baseline]:7.2f}"
            )
        ours = next((m for name, m in medians.items() if name.startswith("ikewire")), None)
        theirs = next((m for name, m in medians.items() if name.startswith("scapy")), None)
        if ours and theirs:
            lines.append(f"{group:28} {'scapy / ikewire':28} {theirs / ours:10.1f} ×")
    if lines:
        terminalreporter.write_sep("-", "ratios (median / baseline median, same run)")
        for line in lines:
            terminalreporter.write_line(line)
