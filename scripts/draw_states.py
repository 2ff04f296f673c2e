"""Draw the core's state machines from their tables.

h11 draws the diagrams of its documentation from its transition tables
(``docs/source/make-state-diagrams.py``); this does the same for
:data:`amqproto._state.CONNECTION_TRANSITIONS` and
:data:`amqproto._state.CHANNEL_TRANSITIONS`, so a diagram cannot drift from
the code: it *is* the code, printed.

Each edge is one ``(state, input) -> next state`` entry of a table; the
inputs that lead from one state to the same next state share an edge.
Inputs that Rule 2 discards (:data:`~amqproto._state.DISCARD`) are drawn as
one dashed loop on their state.

    python scripts/draw_states.py                        # both, Mermaid
    python scripts/draw_states.py --format dot channel   # Graphviz
    python scripts/draw_states.py --format dot connection | dot -Tsvg > connection.svg
"""

from __future__ import annotations

import argparse
import enum
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from amqproto._state import (  # noqa: E402 - after the path is set: the worktree's amqproto, whatever is installed
    CHANNEL_TRANSITIONS,
    CONNECTION_TRANSITIONS,
    DISCARD,
    ChannelState,
    ConnectionState,
)

#: name -> (table, the state a machine starts in)
MACHINES: dict[str, tuple[Mapping[tuple[enum.Enum, enum.Enum], object], enum.Enum]] = {
    "connection": (CONNECTION_TRANSITIONS, ConnectionState.AWAITING_START),  # type: ignore[dict-item]
    "channel": (CHANNEL_TRANSITIONS, ChannelState.CLOSED),  # type: ignore[dict-item]
}


def edges(table: Mapping[tuple[enum.Enum, enum.Enum], object]) -> list[tuple[str, str, list[str], bool]]:
    """``(from, to, input labels, discarded)`` per edge, in the table's order."""
    grouped: dict[tuple[str, str, bool], list[str]] = {}
    for (state, event), target in table.items():
        discarded = target is DISCARD
        to = state.name if discarded else target.name  # type: ignore[attr-defined]
        grouped.setdefault((state.name, to, discarded), []).append(str(event.value))
    return [(source, target, labels, discarded) for (source, target, discarded), labels in grouped.items()]


def mermaid(name: str) -> str:
    table, initial = MACHINES[name]
    lines = ["stateDiagram-v2", f"    %% {name}: drawn by scripts/draw_states.py from amqproto/_state.py"]
    lines.append(f"    [*] --> {initial.name}")
    for source, target, labels, discarded in edges(table):
        text = "<br/>".join(labels)
        if discarded:
            text = f"discard (Rule 2):<br/>{text}"
        lines.append(f"    {source} --> {target}: {text}")
    return "\n".join(lines) + "\n"


def dot(name: str) -> str:
    table, initial = MACHINES[name]
    lines = [
        f"digraph {name} {{",
        "    // drawn by scripts/draw_states.py from amqproto/_state.py",
        "    rankdir=LR;",
        '    node [shape=box, style=rounded, fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize=10];',
        '    start [shape=point, label=""];',
        f"    start -> {initial.name};",
    ]
    for source, target, labels, discarded in edges(table):
        text = "\\n".join(labels).replace('"', '\\"')
        if discarded:
            lines.append(f'    {source} -> {target} [label="discard (Rule 2):\\n{text}", style=dashed];')
        else:
            lines.append(f'    {source} -> {target} [label="{text}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("machines", nargs="*", metavar="machine", help="connection, channel (default: both)")
    parser.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    args = parser.parse_args(argv)
    unknown = [name for name in args.machines if name not in MACHINES]
    if unknown:
        parser.error(f"no machine named {', '.join(unknown)}; there are {', '.join(MACHINES)}")
    draw = mermaid if args.format == "mermaid" else dot
    sys.stdout.write("\n".join(draw(name) for name in (args.machines or list(MACHINES))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
