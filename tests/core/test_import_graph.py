"""The package's modules import one another without a cycle.

The layers import one way (schema <- wire <- core <- io), and inside the core
:class:`~amqproto.channel.Channel` knows nothing of
:class:`~amqproto.connection.Connection` (h2's streams know nothing of their
connection).  A cycle is what coupling both ways looks like, so this test
reads every module with :mod:`ast`, takes every import it holds, wherever it
is (under ``if TYPE_CHECKING:`` and inside functions too: a cycle that only
the type checker sees is a cycle all the same), and looks for a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import amqproto

PACKAGE_DIR = Path(amqproto.__file__).parent


def _module_name(path: Path) -> str:
    parts = ("amqproto", *path.relative_to(PACKAGE_DIR).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name of ``from <node.module> import ...`` written in ``module``."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph() -> dict[str, set[str]]:
    """Each module of the package, and the modules of the package it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(module, path.name == "__init__.py", node)
                for alias in node.names:
                    # ``from . import events`` imports a module; ``from .x import Y`` a name of x.
                    submodule = f"{source}.{alias.name}"
                    targets.add(submodule if submodule in modules else source)
        graph[module] = {target for target in targets if target in modules and target != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path ``[a, b, ..., a]``, or ``None``."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph[node]):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle is not None:
            return cycle
    return None


def _without(graph: dict[str, set[str]], prefix: str) -> dict[str, set[str]]:
    return {
        module: {target for target in targets if not target.startswith(prefix)}
        for module, targets in graph.items()
        if not module.startswith(prefix)
    }


def test_the_graph_sees_imports_under_type_checking() -> None:
    # A guard on the harness: it must see imports under TYPE_CHECKING.
    graph = import_graph()
    assert "amqproto.io._async.session" in graph["amqproto.io._async.channel"]
    assert "amqproto.request" in graph["amqproto.events"]
    assert "amqproto.channel" in graph["amqproto.connection"]


def test_find_cycle_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_outside_the_adapters() -> None:
    assert find_cycle(_without(import_graph(), "amqproto.io")) is None


def test_core_modules_do_not_import_one_another_both_ways() -> None:
    graph = import_graph()
    assert "amqproto.connection" not in graph["amqproto.channel"]
    assert "amqproto.channel" not in graph["amqproto.events"]
    assert "amqproto.connection" not in graph["amqproto.events"]


# The adapters' channels know their connection only as an AsyncSession
# (io/_async/session.py), so the adapters have no circle either.
def test_no_import_cycle_in_the_whole_package() -> None:
    assert find_cycle(import_graph()) is None
