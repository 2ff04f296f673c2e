"""``scripts/draw_states.py`` draws exactly the state tables."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from amqproto._state import CHANNEL_TRANSITIONS, CONNECTION_TRANSITIONS, DISCARD

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "draw_states.py"
TABLES = {"connection": CONNECTION_TRANSITIONS, "channel": CHANNEL_TRANSITIONS}


def draw(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout


def expected_edges(name: str) -> set[tuple[str, str, str]]:
    """``(from, to, input)`` for each entry; a discarded input loops, marked ``discard``."""
    edges = set()
    for (state, event), target in TABLES[name].items():  # type: ignore[attr-defined]
        if target is DISCARD:
            edges.add((state.name, state.name + " discard", event.value))
        else:
            edges.add((state.name, target.name, event.value))
    return edges


@pytest.mark.parametrize("name", list(TABLES))
def test_mermaid_has_every_transition_and_no_other(name: str) -> None:
    drawn: set[tuple[str, str, str]] = set()
    for line in draw(name).splitlines():
        match = re.fullmatch(r"    (\w+) --> (\w+): (.*)", line)
        if match is None:
            continue
        source, target, text = match.groups()
        labels = text.split("<br/>")
        if labels[0] == "discard (Rule 2):":
            target += " discard"
            labels = labels[1:]
        drawn.update((source, target, label) for label in labels)
    assert drawn == expected_edges(name)


@pytest.mark.parametrize("name", list(TABLES))
def test_dot_has_every_transition_and_no_other(name: str) -> None:
    output = draw("--format", "dot", name)
    assert output.startswith(f"digraph {name} {{") and output.rstrip().endswith("}")
    drawn: set[tuple[str, str, str]] = set()
    for match in re.finditer(r'    (\w+) -> (\w+) \[label="(.*?)"(, style=dashed)?\];', output):
        source, target, text, dashed = match.groups()
        labels = text.split("\\n")
        if dashed:
            assert labels[0] == "discard (Rule 2):"
            target += " discard"
            labels = labels[1:]
        drawn.update((source, target, label) for label in labels)
    assert drawn == expected_edges(name)


def test_both_by_default_and_unknown_names_refused() -> None:
    assert draw() == draw("connection") + "\n" + draw("channel")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "exchange"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 2 and "no machine named exchange" in result.stderr
