"""The curio adapter: :class:`CurioConnection`.

::

    import curio
    from amqproto.io.curio import CurioConnection

    async def main():
        async with CurioConnection("amqp://guest:guest@localhost/%2F") as connection:
            async with connection.get_channel() as channel:
                await channel.basic_publish(b"hello", routing_key="queue")

    curio.run(main)

Needs the optional dependency: ``pip install amqproto[curio]``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import curio
import curio.io

from ._async.channel import AsyncChannel, AsyncConsumer, AsyncMessage, ReturnedMessage
from ._async.connection import AsyncConnection
from ._backend import IOV_MAX, AsyncBackend, coalesce, unsent

__all__ = [
    "CurioConnection",
    "CurioChannel",
    "CurioConsumer",
    "CurioMessage",
    "ReturnedMessage",
    "CurioBackend",
]

#: The channel, consumer and message types of this adapter.
CurioChannel = AsyncChannel
CurioConsumer = AsyncConsumer
CurioMessage = AsyncMessage


#: Seconds between a stream's abort (its shutdown) and the close of its socket.
_CLOSE_AFTER_ABORT = 0.5


class _Stream:
    __slots__ = ("_socket", "_scatter")

    def __init__(self, sock: curio.io.Socket, tls: bool) -> None:
        self._socket = sock
        # TLS sockets have no sendmsg.
        self._scatter = not tls

    async def read(self, max_bytes: int) -> bytes:
        # curio's recv returns at once, without yielding, when data is
        # waiting: under a flood of frames that make no events (heartbeats)
        # the reader would never let another task run.  Yield once per read.
        await curio.sleep(0)
        return await self._socket.recv(max_bytes)

    async def write(self, data: bytes) -> None:
        await self._socket.sendall(data)

    async def writelines(self, buffers: list[bytes | bytearray | memoryview]) -> None:
        sock = self._socket
        parts = coalesce(buffers)
        if len(parts) == 1 or not self._scatter:
            for part in parts:
                await sock.sendall(part)
            return
        # One gather write per batch of buffers; bodies are not copied.
        while parts:
            parts = unsent(parts, await sock.sendmsg(parts[:IOV_MAX]))

    async def close(self) -> None:
        with contextlib.suppress(OSError):
            await self._socket.close()

    async def abort(self) -> None:
        # shutdown() makes the socket readable and writable at once, so the
        # tasks blocked on it wake up (a read sees EOF, a write EPIPE); let the
        # kernel see that before the descriptor goes.
        with contextlib.suppress(OSError):
            await self._socket.shutdown(socket.SHUT_RDWR)
        # Not closed yet: curio keeps a task's last descriptor registered
        # until that task blocks elsewhere, and closing it under such a task
        # (a publisher blocked in sendall, the reader) crashes curio's kernel.
        # The tasks the shutdown woke move on at once; close it after them.
        await curio.spawn(self._close_soon, daemon=True)

    async def _close_soon(self) -> None:
        try:
            await curio.sleep(_CLOSE_AFTER_ABORT)
        finally:
            await self.close()  # also when the kernel ends first, cancelling this daemon task


class _Waiter:
    __slots__ = ("_event", "_value", "_error")

    def __init__(self) -> None:
        self._event = curio.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def done(self) -> bool:
        return self._event.is_set()

    async def set_result(self, value: Any) -> None:
        if not self._event.is_set():
            self._value = value
            await self._event.set()

    async def set_exception(self, error: BaseException) -> None:
        if not self._event.is_set():
            self._error = error
            await self._event.set()

    async def wait(self) -> Any:
        await self._event.wait()
        if self._error is not None:
            raise self._error
        return self._value


class _Queue:
    __slots__ = ("_queue",)

    def __init__(self) -> None:
        self._queue: curio.Queue[Any] = curio.Queue()

    async def put(self, item: Any) -> None:
        await self._queue.put(item)

    async def get(self) -> Any:
        return await self._queue.get()


class _Task:
    __slots__ = ("_task",)

    def __init__(self, task: curio.Task[None]) -> None:
        self._task = task

    async def cancel(self) -> None:
        if self._task is await curio.current_task() or self._task.terminated:
            return
        await self._task.cancel()


class CurioBackend:
    """curio's primitives for :class:`~amqproto.io._async.AsyncConnection`."""

    async def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
        timeout: float,
    ) -> _Stream:
        try:
            sock = await curio.timeout_after(
                timeout,
                curio.open_connection(
                    host,
                    port,
                    ssl=ssl_context,
                    server_hostname=server_hostname if ssl_context is not None else None,
                ),
            )
        except curio.TaskTimeout:
            raise TimeoutError from None
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Stream(sock, ssl_context is not None)

    def create_waiter(self) -> _Waiter:
        return _Waiter()

    def create_queue(self) -> _Queue:
        return _Queue()

    def core_lock(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def write_lock(self) -> curio.Lock:
        return curio.Lock()

    async def spawn(self, function: Callable[[], Awaitable[None]]) -> _Task:
        return _Task(await curio.spawn(function, daemon=True))

    async def wait_timeout(self, waiter: Any, seconds: float) -> bool:
        assert isinstance(waiter, _Waiter)
        event = waiter._event

        async def wait_set() -> bool:
            await event.wait()
            return True

        return bool(await curio.ignore_after(seconds, wait_set(), timeout_result=False))

    def monotonic(self) -> float:
        return time.monotonic()

    async def wait_for(self, waiter: Any, timeout: float) -> Any:
        try:
            return await curio.timeout_after(timeout, waiter.wait())
        except curio.TaskTimeout:
            raise TimeoutError from None


class CurioConnection(AsyncConnection):
    """An AMQP connection on curio.  See :class:`~amqproto.io._async.AsyncConnection`."""

    backend: ClassVar[AsyncBackend] = CurioBackend()
