"""The async flavour's primitives for the broker suite: asyncio, curio, trio or Twisted.

The suite in ``test_broker.py`` runs under whichever library the conftest
runner picked for its ``connection_class``; these helpers ask
:func:`tests.async_runner.library` which.  ``../_sync/helpers.py`` is their
hand-written blocking twin (threads), with the same names and signatures
minus ``async``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import curio
import trio

from amqproto.io._async.connection import AsyncConnection
from amqproto.io.asyncio import AsyncioConnection
from amqproto.io.curio import CurioConnection
from amqproto.io.trio import TrioConnection
from amqproto.io.twisted import TwistedConnection

from ...async_runner import library

__all__ = ["CONNECTION_CLASSES", "gather", "sleep", "run_blocking"]

T = TypeVar("T")

#: The adapters this flavour of the suite runs against.
CONNECTION_CLASSES: list[type[AsyncConnection]] = [
    AsyncioConnection,
    CurioConnection,
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
        except Exception as exc:
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
