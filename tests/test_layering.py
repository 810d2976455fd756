"""Imports flow one way (DESIGN.md, STYLE.md):
constants -> errors -> wire -> crypto -> connection -> cli.

A module may import only from its own layer or the layers before it, so the
codec and the crypto stay usable (and benchmarkable) without the state machine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "ikewire"

# layer of each top-level part of the package; lower may not import higher
LAYERS = {
    "constants": 0,
    "errors": 0,
    "wire": 1,
    "pcap": 1,
    "crypto": 2,
    "certbundle": 2,
    "esp": 2,
    "testing": 3,
    "connection": 3,
    "diagnose": 3,
    "cli": 4,
    "aio": 4,
    "__main__": 4,
    "__init__": 5,
}


def _part(module: str) -> str:
    return module.split(".")[0]


def _imports(path: Path) -> list[str]:
    """Absolute names of the ikewire modules a file imports."""
    rel = path.relative_to(SRC.parent).with_suffix("")
    package = list(rel.parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.startswith("ikewire"):
                targets = [name] if node.module else [f"{name}.{a.name}" for a in node.names]
                out.extend(targets)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names if a.name.startswith("ikewire"))
    return out


FILES = sorted(p for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_flow_one_way(path: Path) -> None:
    own = _part(str(path.relative_to(SRC).with_suffix("")).replace("/", "."))
    own_layer = LAYERS[own]
    for target in _imports(path):
        parts = target.split(".")
        if len(parts) < 2:
            continue  # "import ikewire" itself
        other = parts[1]
        assert LAYERS.get(other, 99) <= own_layer, f"{path.name} imports {target} (upward)"


def test_constants_and_errors_import_nothing_from_ikewire() -> None:
    for name in ("constants.py", "errors.py"):
        assert _imports(SRC / name) == []


def test_importing_ikewire_does_not_import_hypothesis() -> None:
    import subprocess
    import sys

    code = "import sys, ikewire; print('hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
