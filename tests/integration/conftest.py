"""Run the async broker tests under the I/O library of their connection class.

``_async/test_broker.py`` holds coroutine tests taking a ``connection_class``
fixture (one of :data:`~tests.integration._async.helpers.CONNECTION_CLASSES`:
asyncio, curio, trio, Twisted).  pytest cannot await them, so
:func:`pytest_pyfunc_call` runs each one with
:func:`tests.async_runner.run`, under whichever library its connection class
needs (Twisted's reactor lives in a thread for the whole session; see that
module), within :data:`TEST_TIMEOUT` seconds.  (pytest-timeout's SIGALRM
cannot be trusted with them: it raises in whatever task happens to run,
often the connection's reader, and the test then waits forever.)  The
generated ``_sync/test_broker.py`` holds plain functions that pytest calls
itself.
"""

from __future__ import annotations

import functools
import inspect

import pytest

from ..async_runner import library_of, run

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
    run(library_of(connection_class), functools.partial(function, **arguments), TEST_TIMEOUT)
    return True
