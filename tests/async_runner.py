"""Run a coroutine function from a plain pytest test, under any async library of the adapters.

:func:`run` is how every test outside an event loop calls async code:
``asyncio.run``, ``curio.run`` and ``trio.run`` start a fresh loop per call,
within a timeout.

Twisted is the exception: a reactor cannot be restarted in one process.  So
one reactor runs, for the whole session, in a thread of its own
(:func:`_reactor`), and :func:`run` hands it each coroutine with
``blockingCallFromThread``, the pytest thread waiting for the result.  A
thread rather than the asyncio reactor inside ``asyncio.run`` per test,
because a reactor is installed once per process too, so that would still be
one reactor to share across loops; a thread is what Twisted's own
``blockingCallFromThread`` is made for, and it lets the suite run under the
default reactor (what most Twisted programs use) or, with
``AMQPROTO_TEST_REACTOR=asyncio``, under ``twisted.internet.asyncioreactor``.
Nothing here or in the tests imports ``twisted.internet.reactor`` before
that thread installs it.

:func:`library` tells helpers called inside a test which library runs it:
set by :func:`run`, as tests run one at a time.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import trio

from amqproto.io.trio import TrioConnection
from amqproto.io.twisted import TwistedConnection

__all__ = ["LIBRARIES", "library", "library_of", "run", "running", "session_reactor"]

T = TypeVar("T")

#: The async libraries the adapters run on.
LIBRARIES = ("asyncio", "curio", "trio", "twisted")

_running = "asyncio"


def library() -> str:
    """The library running the current test's coroutine."""
    return _running


def library_of(connection_class: object) -> str:
    """Which library a connection class runs on."""
    if not isinstance(connection_class, type):
        raise TypeError(f"not a connection class: {connection_class!r}")
    # By module, not by class: importing amqproto.io.curio imports curio,
    # which not every Python can.
    if any(klass.__module__ == "amqproto.io.curio" for klass in connection_class.__mro__):
        return "curio"
    if issubclass(connection_class, TrioConnection):
        return "trio"
    if issubclass(connection_class, TwistedConnection):
        return "twisted"
    return "asyncio"


@contextlib.contextmanager
def running(name: str) -> Iterator[None]:
    """Within the block, :func:`library` says ``name`` (for a runner other than :func:`run`)."""
    global _running
    _running = name
    try:
        yield
    finally:
        _running = "asyncio"


def run(name: str, function: Callable[[], Awaitable[T]], timeout: float) -> T:
    """``await function()`` under library ``name``; it fails after ``timeout`` seconds.

    ``name`` may also be ``"uvloop"``: asyncio on uvloop's event loop (for
    :func:`library`, that is asyncio).
    """
    with running("asyncio" if name == "uvloop" else name):
        if name == "curio":
            import curio

            return curio.run(curio.timeout_after(timeout, function()))
        if name == "trio":

            async def under_trio() -> T:
                with trio.fail_after(timeout):
                    return await function()

            return trio.run(under_trio)
        if name == "twisted":
            return _run_in_reactor(function, timeout)

        async def under_asyncio() -> T:
            return await function()

        if name == "uvloop":
            import uvloop  # only installed where the uvloop flavour runs

            result: T = uvloop.run(asyncio.wait_for(under_asyncio(), timeout))
            return result
        return asyncio.run(asyncio.wait_for(under_asyncio(), timeout))


# -- the session's reactor ----------------------------------------------------------

_reactor_object: Any = None
_reactor_lock = threading.Lock()


def reactor_kind() -> str:
    """``"default"`` or ``"asyncio"``: the reactor the session's Twisted tests run on."""
    return os.environ.get("AMQPROTO_TEST_REACTOR", "default")


def session_reactor() -> Any:
    """The session's reactor, running in its thread: a test about to use Twisted outside :func:`run`."""
    return _reactor()


def _reactor() -> Any:
    """The session's reactor, started in a daemon thread on first use."""
    global _reactor_object
    with _reactor_lock:
        if _reactor_object is not None:
            return _reactor_object
        started = threading.Event()
        holder: list[Any] = []

        def run_reactor() -> None:
            if reactor_kind() == "asyncio":
                from twisted.internet import asyncioreactor

                loop = asyncio.new_event_loop()
                asyncio.set_event_loop(loop)
                install: Any = asyncioreactor.install  # untyped
                install(loop)
            from twisted.internet import reactor as installed

            reactor: Any = installed
            holder.append(reactor)
            reactor.callWhenRunning(started.set)
            reactor.run(installSignalHandlers=False)

        thread = threading.Thread(target=run_reactor, name="twisted-reactor", daemon=True)
        thread.start()
        if not started.wait(30):
            raise RuntimeError("the Twisted reactor did not start")
        _reactor_object = holder[0]

        def stop() -> None:
            _reactor_object.callFromThread(_reactor_object.stop)
            thread.join(5)

        atexit.register(stop)
        return _reactor_object


def _run_in_reactor(function: Callable[[], Awaitable[T]], timeout: float) -> T:
    from twisted.internet import defer, threads

    reactor = _reactor()

    async def call() -> T:
        return await function()

    def start() -> defer.Deferred[T]:
        deferred = defer.Deferred.fromCoroutine(call())
        deferred.addTimeout(timeout, reactor)
        return deferred

    result: T = threads.blockingCallFromThread(reactor, start)  # type: ignore[arg-type]
    return result
