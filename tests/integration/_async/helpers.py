"""The async flavour's primitives for the broker suite: asyncio, curio, trio or Twisted.

The suites in ``test_broker.py``, ``test_faults.py`` and their siblings run
under whichever library the conftest runner picked for their
``connection_class``; these helpers ask :func:`tests.async_runner.library`
which.  :class:`UvloopConnection` is the asyncio adapter itself, under a
name that tells the runner to use uvloop's event loop.
``../_sync/helpers.py`` is their hand-written blocking twin (threads), with
the same names and signatures minus ``async``.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
import trio

from amqproto.io._async.connection import AsyncConnection
from amqproto.io.asyncio import AsyncioConnection
from amqproto.io.trio import TrioConnection
from amqproto.io.twisted import TwistedConnection

from ...async_runner import library
from ...optional import HAVE_CURIO

if HAVE_CURIO:  # curio imports on CPython < 3.12 only: see tests/optional.py
    import curio

    from amqproto.io.curio import CurioConnection

__all__ = [
    "CONNECTION_CLASSES",
    "UvloopConnection",
    "gather",
    "sleep",
    "run_blocking",
    "eventually",
    "bounded",
]

T = TypeVar("T")


class UvloopConnection(AsyncioConnection):
    """:class:`AsyncioConnection`, which the conftest runner runs on uvloop's event loop."""


#: The adapters this flavour of the suite runs against (uvloop when it is installed).
CONNECTION_CLASSES: list[type[AsyncConnection]] = [
    AsyncioConnection,
    *([CurioConnection] if HAVE_CURIO else []),
    *([UvloopConnection] if importlib.util.find_spec("uvloop") is not None else []),
    TrioConnection,
    TwistedConnection,
]


async def gather(*thunks: Callable[[], Awaitable[T]]) -> list[T]:
    """Run every thunk concurrently; their results in order, or the first error.

    Every thunk runs to its end (nothing is cancelled when one fails), as
    the blocking twin's thread pool does.
    """
    results: list[Any] = [None] * len(thunks)
    errors: list[BaseException] = []

    async def run(index: int, thunk: Callable[[], Awaitable[T]]) -> None:
        try:
            results[index] = await thunk()
        except Exception as exc:  # noqa: BLE001 - collected; the first is raised below, as the sync twin does
            errors.append(exc)

    running = library()
    if running == "asyncio":
        await asyncio.gather(*(run(index, thunk) for index, thunk in enumerate(thunks)))
    elif running == "curio":
        async with curio.TaskGroup() as group:
            for index, thunk in enumerate(thunks):
                await group.spawn(run, index, thunk)
    elif running == "trio":
        async with trio.open_nursery() as nursery:
            for index, thunk in enumerate(thunks):
                nursery.start_soon(run, index, thunk)
    else:
        from twisted.internet import defer

        await defer.gatherResults(
            [defer.Deferred.fromCoroutine(run(index, thunk)) for index, thunk in enumerate(thunks)]
        )
    if errors:
        raise errors[0]
    return results


async def sleep(seconds: float) -> None:
    """Sleep without blocking the connection's reader and timer."""
    running = library()
    if running == "asyncio":
        await asyncio.sleep(seconds)
    elif running == "curio":
        await curio.sleep(seconds)
    elif running == "trio":
        await trio.sleep(seconds)
    else:
        from twisted.internet import reactor, task

        await task.deferLater(reactor, seconds)


async def run_blocking(function: Callable[..., T], *arguments: Any) -> T:
    """Call a blocking function (rabbitmqctl, pika) in a worker thread."""
    running = library()
    if running == "asyncio":
        return await asyncio.to_thread(function, *arguments)
    if running == "curio":
        return await curio.run_in_thread(function, *arguments)
    if running == "trio":
        return await trio.to_thread.run_sync(functools.partial(function, *arguments))
    from twisted.internet import threads

    return await threads.deferToThread(function, *arguments)


async def eventually(condition: Callable[[], object], within: float = 10.0) -> None:
    """Wait until ``condition()`` is true, checking often; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {within} s: {condition}")
        await sleep(0.01)


async def bounded(seconds: float, thunk: Callable[[], Awaitable[T]]) -> T:
    """``await thunk()``, failing the test if it is still running after ``seconds``.

    A bound against hangs, not a timing assertion: give it ample room.
    What ``thunk()`` raises (a ``TimeoutError`` included) goes through.
    """
    running = library()
    if running == "asyncio":
        try:
            async with asyncio.timeout(seconds) as scope:
                return await thunk()
        except TimeoutError:
            if not scope.expired():
                raise
    elif running == "curio":
        try:
            return await curio.timeout_after(seconds, thunk())
        except curio.TaskTimeout:
            pass
    elif running == "trio":
        with trio.move_on_after(seconds):
            return await thunk()
    else:
        from twisted.internet import defer, reactor

        async def call() -> T:
            return await thunk()

        deferred: defer.Deferred[T] = defer.Deferred.fromCoroutine(call())
        deferred.addTimeout(seconds, reactor)
        try:
            result: T = await deferred
            return result
        except defer.TimeoutError:  # Twisted's own class, not the builtin a thunk may raise
            pass
    pytest.fail(f"still running after {seconds} s")
