"""Run the async broker tests under the I/O library of their connection class.

``_async/test_broker.py`` holds coroutine tests taking a ``connection_class``
fixture (:class:`~amqproto.io.asyncio.AsyncioConnection` or
:class:`~amqproto.io.curio.CurioConnection`).  pytest cannot await them, so
:func:`pytest_pyfunc_call` runs each one with ``asyncio.run`` or
``curio.run``, whichever its connection class needs, within
:data:`TEST_TIMEOUT` seconds.  (pytest-timeout's SIGALRM cannot be trusted
with them: it raises in whatever task happens to run, often the
connection's reader, and the test then waits forever.)  The generated
``_sync/test_broker.py`` holds plain functions that pytest calls itself.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest

from ..optional import HAVE_CURIO

if HAVE_CURIO:  # curio imports on CPython < 3.12 only: see tests/optional.py
    import curio

    from amqproto.io.curio import CurioConnection

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
        curio.run(curio.timeout_after(TEST_TIMEOUT, function(**arguments)))
    else:
        asyncio.run(asyncio.wait_for(function(**arguments), TEST_TIMEOUT))
    return True
