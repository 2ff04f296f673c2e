"""The asyncio adapter: :class:`AsyncioConnection`.

::

    from amqproto.io.asyncio import AsyncioConnection

    async with AsyncioConnection("amqp://guest:guest@localhost/%2F") as connection:
        async with connection.get_channel() as channel:
            await channel.basic_publish(b"hello", routing_key="queue")

Works on any asyncio event loop, uvloop included (``uvloop.run(main())``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from ._async.channel import AsyncChannel, AsyncConsumer, AsyncMessage, ReturnedMessage
from ._async.connection import AsyncConnection
from ._backend import AsyncBackend

__all__ = [
    "AsyncioConnection",
    "AsyncioChannel",
    "AsyncioConsumer",
    "AsyncioMessage",
    "ReturnedMessage",
    "AsyncioBackend",
]

#: The channel, consumer and message types of this adapter.
AsyncioChannel = AsyncChannel
AsyncioConsumer = AsyncConsumer
AsyncioMessage = AsyncMessage


class _Stream:
    __slots__ = ("_reader", "_writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int) -> bytes:
        return await self._reader.read(max_bytes)

    async def write(self, data: bytes) -> None:
        writer = self._writer
        writer.write(data)
        if writer.transport.get_write_buffer_size() > 65536:
            await writer.drain()

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError, asyncio.CancelledError):
            await self._writer.wait_closed()


class _Waiter:
    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def done(self) -> bool:
        return self._future.done()

    async def set_result(self, value: Any) -> None:
        if not self._future.done():
            self._future.set_result(value)

    async def set_exception(self, error: BaseException) -> None:
        if not self._future.done():
            self._future.set_exception(error)
            # Nobody may be waiting (a nowait publish, a connection closed
            # before anyone asked): don't let asyncio log "never retrieved".
            self._future.add_done_callback(_consume_exception)

    async def wait(self) -> Any:
        return await self._future


def _consume_exception(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class _Queue:
    __slots__ = ("_queue",)

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    async def put(self, item: Any) -> None:
        self._queue.put_nowait(item)

    async def get(self) -> Any:
        return await self._queue.get()


class _Task:
    __slots__ = ("_task",)

    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    async def cancel(self) -> None:
        task = self._task
        if task is asyncio.current_task() or task.done():
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class AsyncioBackend:
    """asyncio's primitives for :class:`~amqproto.io._async.AsyncConnection`."""

    async def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
        timeout: float,
    ) -> _Stream:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                host,
                port,
                ssl=ssl_context,
                server_hostname=server_hostname if ssl_context is not None else None,
                limit=1 << 20,
            )
        return _Stream(reader, writer)

    def create_waiter(self) -> _Waiter:
        return _Waiter()

    def create_queue(self) -> _Queue:
        return _Queue()

    def core_lock(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def write_lock(self) -> asyncio.Lock:
        return asyncio.Lock()

    async def spawn(self, function: Callable[[], Awaitable[None]]) -> _Task:
        return _Task(asyncio.ensure_future(function()))

    async def wait_timeout(self, waiter: Any, seconds: float) -> bool:
        assert isinstance(waiter, _Waiter)
        done, _ = await asyncio.wait({waiter._future}, timeout=seconds)
        return bool(done)

    def monotonic(self) -> float:
        return time.monotonic()

    async def wait_for(self, waiter: Any, timeout: float) -> Any:
        async with asyncio.timeout(timeout):
            return await waiter.wait()


class AsyncioConnection(AsyncConnection):
    """An AMQP connection on asyncio.  See :class:`~amqproto.io._async.AsyncConnection`."""

    backend: ClassVar[AsyncBackend] = AsyncioBackend()
