"""Test helpers for ikewire users: Hypothesis strategies for fuzz harnesses.

``from ikewire.testing import strategies`` gives :mod:`ikewire.testing.strategies`.
It needs Hypothesis, a development dependency (``pip install 'ikewire[dev]'``);
this package imports it only when ``strategies`` is first used, so importing
:mod:`ikewire` or :mod:`ikewire.testing` never requires it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["strategies", "v1_strategies"]


def __getattr__(name: str) -> ModuleType:
    if name in ("strategies", "v1_strategies"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
