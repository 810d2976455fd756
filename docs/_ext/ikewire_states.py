"""A Sphinx directive that draws the IKE SA state machine from its table.

``ikewire-states`` reads :data:`ikewire.connection.state.TRANSITIONS` when the docs are
built and emits (1) a Mermaid ``stateDiagram-v2`` text (paste it into any Mermaid
renderer; nothing is fetched at build time) and (2) a table with one row per
transition. Nothing is written by hand, so the diagram cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes  # type: ignore[import-untyped,unused-ignore]
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _rows() -> list[tuple[str, str, str, str]]:
    from ikewire.connection.state import TRANSITIONS

    return [
        (role.value, state.value, stimulus.value, target.value)
        for (role, state, stimulus), target in TRANSITIONS.items()
    ]


def mermaid(role: str | None = None) -> str:
    """The transitions (of one role, or all) as a Mermaid state diagram."""
    lines = ["stateDiagram-v2", "    [*] --> IDLE"]
    for r, state, stimulus, target in _rows():
        if role is None or r == role:
            label = stimulus if role is not None else f"{r}: {stimulus}"
            lines.append(f"    {state} --> {target} : {label}")
    lines += ["    CLOSED --> [*]", "    FAILED --> [*]"]
    return "\n".join(lines)


class StatesDirective(SphinxDirective):
    """``ikewire-states``: the diagrams (one per role) and the table of transitions."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from ikewire.connection.state import Role

        out: list[nodes.Node] = []
        for role in Role:
            section = nodes.rubric(text=f"{role.value.capitalize()}")
            text = mermaid(role.value)
            block = nodes.literal_block(text, text, classes=["mermaid-source"])
            block["language"] = "text"
            out += [section, block]
        out.append(self._table())
        return out

    def _table(self) -> nodes.table:
        header = ("role", "state", "stimulus", "next state")
        table = nodes.table(classes=["ikewire-transitions"])
        group = nodes.tgroup(cols=len(header))
        table += group
        for _ in header:
            group += nodes.colspec(colwidth=1)
        thead = nodes.thead()
        group += thead
        thead += self._row(header)
        tbody = nodes.tbody()
        group += tbody
        for row in _rows():
            tbody += self._row(row)
        return table

    @staticmethod
    def _row(cells: tuple[str, ...]) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=cell)
            row += entry
        return row


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("ikewire-states", StatesDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
