"""The async flavour's primitives for the broker suite: asyncio or curio.

The suites in ``test_broker.py`` and ``test_faults.py`` run under whichever
library the conftest runner picked for their ``connection_class``; these
helpers find out which at run time.  :class:`UvloopConnection` is the
asyncio adapter itself, under a name that tells the runner to use uvloop's
event loop.  ``../_sync/helpers.py`` is their hand-written blocking twin
(threads), with the same names and signatures minus ``async``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from amqproto.io._async.connection import AsyncConnection
from amqproto.io.asyncio import AsyncioConnection

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
]


def _in_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


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

    if _in_asyncio():
        await asyncio.gather(*(run(index, thunk) for index, thunk in enumerate(thunks)))
    else:
        async with curio.TaskGroup() as group:
            for index, thunk in enumerate(thunks):
                await group.spawn(run, index, thunk)
    if errors:
        raise errors[0]
    return results


async def sleep(seconds: float) -> None:
    """Sleep without blocking the connection's reader and timer."""
    if _in_asyncio():
        await asyncio.sleep(seconds)
    else:
        await curio.sleep(seconds)


async def run_blocking(function: Callable[..., T], *arguments: Any) -> T:
    """Call a blocking function (rabbitmqctl, pika) in a worker thread."""
    if _in_asyncio():
        return await asyncio.to_thread(function, *arguments)
    return await curio.run_in_thread(function, *arguments)


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
    if _in_asyncio():
        try:
            async with asyncio.timeout(seconds) as scope:
                return await thunk()
        except TimeoutError:
            if not scope.expired():
                raise
    else:
        try:
            return await curio.timeout_after(seconds, thunk())
        except curio.TaskTimeout:
            pass
    pytest.fail(f"still running after {seconds} s")
