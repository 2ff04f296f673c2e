"""asyncio helpers shared by the asyncio clients."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from ..common import Probe

__all__ = ["Window", "run_loop", "wait_done"]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def wait_done(probe: Probe) -> None:
    """Keep the loop running until the probe's poller saw every message."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    probe.add_done_callback(lambda: loop.call_soon_threadsafe(_resolve, future))
    await future


def run_loop(main: Callable[[], Coroutine[Any, Any, None]], uvloop: bool) -> None:
    if uvloop:
        import uvloop as _uvloop

        _uvloop.run(main())
    else:
        asyncio.run(main())


class Window:
    """A sliding window of concurrent publishes for clients whose publish awaits its confirm.

    One task per publish (the only way those APIs stream); at most ``size``
    in flight.
    """

    def __init__(self, size: int) -> None:
        self._semaphore = asyncio.Semaphore(size)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._errors: list[BaseException] = []

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._semaphore.release()
        if not task.cancelled() and task.exception() is not None:
            self._errors.append(task.exception())  # type: ignore[arg-type]

    async def submit(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        await self._semaphore.acquire()
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._errors:
            raise self._errors[0]
