"""Turn generated source into first-class functions: named, located, readable.

Theory of operation
-------------------
The wire layer writes the source of its hot coders at import, from the
schema's annotations (see :mod:`amqproto.wire.codec`), and compiles it here.
Code compiled from a string is normally invisible: its file is
``"<string>"``, so a traceback shows no line, :func:`inspect.getsource`
fails, and a profiler or coverage tool sees a dozen functions called
``decode`` in one file that does not exist.

:func:`compile_function` makes each function look like code from a file:

- it gets its own file name, ``<amqproto.wire.codec.decode_basic_publish>``,
  and the source is put into :mod:`linecache` under that name *before* the
  function can run, so a traceback through it shows the failing line and
  :func:`inspect.getsource` returns the whole function;
- the name is reserved atomically (``dict.setdefault`` on the cache), so
  two threads compiling a function of the same name, or the same class
  compiled twice (tests do), never share a file name: the second one gets
  ``<...decode_basic_publish-2>``;
- the function's ``__name__`` and ``__qualname__`` are the name it is
  defined under in the source, and its ``__module__`` is the module that
  generated it (the source is executed with that module's name as
  ``__name__``).

The cache entries carry no modification time, which tells
:func:`linecache.checkcache` to leave them alone; only an explicit
:func:`linecache.clearcache` drops them (the functions keep working, only
their source is then no longer shown).  Entries are never removed: the
wire layer compiles a bounded set of functions (one encoder and decoder
per method, a few property coders, at most 64 content-header decoders).

``python -m amqproto.wire --dump basic.publish`` prints what was compiled
for a method (see :mod:`amqproto.wire.__main__`).
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["compile_function", "indent"]


def indent(lines: Iterable[str], depth: int = 1) -> list[str]:
    """``lines`` indented by ``depth`` levels of four spaces, for a function body."""
    prefix = "    " * depth
    return [prefix + line for line in lines]


def _reserve_filename(module: str, name: str, source: str) -> str:
    """Register ``source`` in :mod:`linecache` under a file name no one else holds; return the name."""
    lines = source.splitlines(keepends=True)
    base = f"{module}.{name}"
    number = 1
    while True:
        filename = f"<{base}>" if number == 1 else f"<{base}-{number}>"
        # The tuple is new, so identity tells whether this call inserted it;
        # setdefault is atomic, so two threads never both win one name.
        entry = (len(source), None, lines, filename)
        if linecache.cache.setdefault(filename, entry) is entry:
            return filename
        number += 1


def compile_function(source: str, name: str, namespace: dict[str, Any], module: str) -> Callable[..., Any]:
    """Compile ``source``, which defines the function ``name``, and return that function.

    Args:
        source: Python source defining ``def name(...)`` at top level.
        name: The function's name; also its ``__qualname__``.
        namespace: The function's globals: the names its source uses.  The
            function is defined into it (``namespace[name]``), and its
            ``__name__`` is set to ``module``.
        module: The dotted name of the module on whose behalf the function
            is generated; the function's ``__module__``.

    Returns:
        The function, with a file name of its own registered in
        :mod:`linecache` (see the module doc).
    """
    if not source.endswith("\n"):
        source += "\n"
    filename = _reserve_filename(module, name, source)
    namespace["__name__"] = module
    code = compile(source, filename, "exec")
    exec(code, namespace)  # noqa: S102 - the wire layer's own generated source, from the schema
    function: Callable[..., Any] = namespace[name]
    function.__qualname__ = name
    return function
