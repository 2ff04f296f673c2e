"""Run the async broker tests under the I/O library of their connection class.

``_async/test_broker.py``, ``_async/test_faults.py`` and their siblings hold
coroutine tests taking a ``connection_class`` fixture (one of
:data:`~tests.integration._async.helpers.CONNECTION_CLASSES`: asyncio,
curio, uvloop's :class:`~tests.integration._async.helpers.UvloopConnection`,
trio, Twisted).  pytest cannot await them, so :func:`pytest_pyfunc_call`
runs each one with :func:`tests.async_runner.run` (or :func:`run_on_curio`),
under whichever library its connection class needs (Twisted's reactor lives
in a thread for the whole session; see that module), within
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

import functools
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

from ..async_runner import library_of, run, running
from ._async.helpers import UvloopConnection

#: Seconds an async test may take before it fails.
TEST_TIMEOUT = 60.0
#: Seconds a cluster test (``tests/cluster``) may take.
CLUSTER_TEST_TIMEOUT = 180.0


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
    test = functools.partial(function, **arguments)
    # A cluster test stops and starts broker nodes (about ten seconds each).
    limit = CLUSTER_TEST_TIMEOUT if pyfuncitem.get_closest_marker("cluster") else TEST_TIMEOUT
    name = library_of(connection_class)
    if name == "curio":
        with running("curio"):
            run_on_curio(test, limit)
    elif isinstance(connection_class, type) and issubclass(connection_class, UvloopConnection):
        run("uvloop", test, limit)
    else:
        run(name, test, limit)
    return True


def run_on_curio(test: Callable[[], Coroutine[Any, Any, object]], limit: float = TEST_TIMEOUT) -> None:
    """Run the coroutine ``test()`` with ``curio.run`` within :data:`TEST_TIMEOUT` seconds.

    Raises what the test raised; or, when curio's kernel crashed under it,
    fails the test saying so, after collecting what the dead kernel left.
    """
    outcome: list[BaseException | None] = []

    async def main() -> None:
        try:
            await curio.timeout_after(limit, test())
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
