"""Run the async broker tests under the I/O library of their connection class.

``_async/test_broker.py`` and ``_async/test_faults.py`` hold coroutine tests
taking a ``connection_class`` fixture
(:class:`~amqproto.io.asyncio.AsyncioConnection`,
:class:`~amqproto.io.curio.CurioConnection`, or
:class:`~tests.integration._async.helpers.UvloopConnection`, the asyncio
adapter on uvloop).  pytest cannot await them, so
:func:`pytest_pyfunc_call` runs each one with ``asyncio.run``,
``uvloop.run`` or ``curio.run``, whichever its connection class needs, within
:data:`TEST_TIMEOUT` seconds.  (pytest-timeout's SIGALRM cannot be trusted
with them: it raises in whatever task happens to run, often the
connection's reader, and the test then waits forever.)  The generated
``_sync/test_broker.py`` holds plain functions that pytest calls itself.

A curio kernel that crashes (rather than the test failing in it) leaves
tasks, coroutines and sockets behind, whose ``__del__`` complains whenever
the garbage collector gets to them: in a later test, or at the end of the
session, failing either.  :func:`run_on_curio` reports the crash as this
test's failure and collects that debris at once.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import sys
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from ..optional import HAVE_CURIO

if HAVE_CURIO:  # curio imports on CPython < 3.12 only: see tests/optional.py
    import curio

    from amqproto.io.curio import CurioConnection

from ._async.helpers import UvloopConnection

#: Seconds an async test may take before it fails.
TEST_TIMEOUT = 60.0


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    function = pyfuncitem.obj
    if not inspect.iscoroutinefunction(function):
        return None
    names = inspect.signature(function).parameters
    arguments = {name: pyfuncitem.funcargs[name] for name in names}
    connection_class = arguments.get("connection_class")
    if connection_class is None:
        raise TypeError(f"{pyfuncitem.name} is a coroutine without a connection_class: no way to run it")
    if HAVE_CURIO and isinstance(connection_class, type) and issubclass(connection_class, CurioConnection):
        run_on_curio(lambda: function(**arguments))
    elif isinstance(connection_class, type) and issubclass(connection_class, UvloopConnection):
        import uvloop  # only installed where UvloopConnection is in use

        uvloop.run(asyncio.wait_for(function(**arguments), TEST_TIMEOUT))
    else:
        asyncio.run(asyncio.wait_for(function(**arguments), TEST_TIMEOUT))
    return True


def run_on_curio(test: Callable[[], Coroutine[Any, Any, object]]) -> None:
    """Run the coroutine ``test()`` with ``curio.run`` within :data:`TEST_TIMEOUT` seconds.

    Raises what the test raised; or, when curio's kernel crashed under it,
    fails the test saying so, after collecting what the dead kernel left.
    """
    outcome: list[BaseException | None] = []

    async def main() -> None:
        try:
            await curio.timeout_after(TEST_TIMEOUT, test())
        except BaseException as exc:
            outcome.append(exc)
            raise
        outcome.append(None)

    try:
        curio.run(main)
        return
    except BaseException as exc:
        if outcome and exc is outcome[0]:
            raise
        crash = "the curio kernel crashed:\n" + "".join(traceback.format_exception(exc))
        # The traceback's frames hold the kernel: let it go, with its tasks.
        traceback.clear_frames(exc.__traceback__)
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook
    pytest.fail(crash, pytrace=False)
