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
import collections
import contextlib
import functools
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, cast

from ._async.channel import AsyncChannel, AsyncConsumer, AsyncMessage, ReturnedMessage
from ._async.connection import AsyncConnection
from ._backend import AsyncBackend, coalesce, take_chunks

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


#: Coalesced writes go out once this many bytes are pending, without waiting
#: for the end of the loop iteration.
_COALESCE_LIMIT = 64 * 1024
#: Bytes the reader takes without waiting before it yields to other tasks once.
_YIELD_AFTER = 256 * 1024
#: Received bytes kept before the transport stops reading (back-pressure).
_READ_LIMIT = 4 * 1024 * 1024


class _StreamProtocol(asyncio.Protocol):
    """The transport's callbacks, as the stream the adapter reads and writes.

    A ``StreamReader``/``StreamWriter`` pair costs a future per read and a
    call into the transport per write; here received chunks are kept in a
    list that :meth:`_Stream.read` takes whole, and writes are coalesced by
    :class:`_Stream`.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.reader: asyncio.Future[None] | None = None
        self.paused_reading = False
        self.paused_writing = False
        self.drain_waiters: list[asyncio.Future[None]] = []
        self.lost_waiters: list[asyncio.Future[None]] = []
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _READ_LIMIT and not self.paused_reading and self.transport is not None:
            self.paused_reading = True
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self.lost = True
        self._wake_reader()
        waiters = self.drain_waiters + self.lost_waiters
        self.drain_waiters, self.lost_waiters = [], []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def pause_writing(self) -> None:
        self.paused_writing = True

    def resume_writing(self) -> None:
        self.paused_writing = False
        waiters, self.drain_waiters = self.drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _wake_reader(self) -> None:
        reader = self.reader
        if reader is not None:
            self.reader = None
            if not reader.done():
                reader.set_result(None)


class _Stream:
    """A byte stream on a transport, with coalesced writes.

    :meth:`writelines` writes the first buffers of a loop iteration at once
    and queues the rest, writing them when the iteration ends (``call_soon``)
    or as soon as :data:`_COALESCE_LIMIT` bytes are pending; it then waits only
    while the transport's buffer is above its high-water mark.  Buffers are
    queued synchronously, in call order, so the adapter needs no write lock
    (:meth:`AsyncioBackend.write_lock` is None).
    Small buffers are joined; large ones (message bodies) reach the transport
    as they are, uncopied.
    """

    __slots__ = (
        "_transport",
        "_protocol",
        "_loop",
        "_pending",
        "_pending_size",
        "_scheduled",
        "_joins",
        "_unyielded",
    )

    def __init__(self, transport: asyncio.Transport, protocol: _StreamProtocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._loop = asyncio.get_running_loop()
        self._pending: list[bytes | bytearray | memoryview] = []
        self._pending_size = 0
        self._scheduled = False
        # asyncio's own transports (before Python 3.12) join what writelines
        # gets; give them big buffers one by one instead.
        self._joins = type(transport).writelines is asyncio.WriteTransport.writelines
        # Bytes handed to the reader since it last gave the loop away.
        self._unyielded = 0

    async def read(self, max_bytes: int) -> bytes:
        protocol = self._protocol
        if protocol.chunks and self._unyielded >= _YIELD_AFTER:
            # Data was always waiting (a flood; uvloop calls data_received
            # many times per iteration): let the other tasks run now and then.
            self._unyielded = 0
            await asyncio.sleep(0)
        while not protocol.chunks:
            if protocol.eof:
                if protocol.error is not None:
                    raise protocol.error
                return b""
            self._unyielded = 0
            reader = self._loop.create_future()
            protocol.reader = reader
            await reader
        data = take_chunks(protocol.chunks, max_bytes)
        self._unyielded += len(data)
        protocol.buffered -= len(data)
        if protocol.paused_reading and protocol.buffered <= _READ_LIMIT // 2:
            protocol.paused_reading = False
            self._transport.resume_reading()
        return data

    async def write(self, data: bytes) -> None:
        await self.writelines([data])

    async def writelines(self, buffers: list[bytes | bytearray | memoryview]) -> None:
        protocol = self._protocol
        if protocol.lost:
            raise _dropped(protocol)
        self._pending += buffers
        if not self._scheduled:
            # The first write of a loop iteration goes out at once, so a lone
            # request (an RPC, an ack) waits for nothing; it opens a window in
            # which later writes of the same iteration are coalesced, written
            # when the iteration ends.
            self._scheduled = True
            self._loop.call_soon(self._write_pending)
            self._write_out()
        else:
            size = self._pending_size + sum(map(len, buffers))
            if size < _COALESCE_LIMIT:
                self._pending_size = size
                return
            self._write_out()
        if protocol.paused_writing and not self._transport.is_closing():
            waiter = self._loop.create_future()
            protocol.drain_waiters.append(waiter)
            await waiter
        if protocol.lost:
            raise _dropped(protocol)

    def _write_pending(self) -> None:
        self._scheduled = False
        self._write_out()

    def _write_out(self) -> None:
        pending = self._pending
        if not pending:
            return
        self._pending = []
        self._pending_size = 0
        transport = self._transport
        if transport.is_closing():
            return
        if len(pending) == 1:
            transport.write(pending[0])
            return
        parts = coalesce(pending)
        if len(parts) == 1:
            transport.write(parts[0])
        elif self._joins:
            for part in parts:
                transport.write(part)
        else:
            transport.writelines(parts)

    async def close(self) -> None:
        self._write_pending()
        transport = self._transport
        transport.close()
        protocol = self._protocol
        if not protocol.lost:
            closed = self._loop.create_future()
            protocol.lost_waiters.append(closed)
            with contextlib.suppress(OSError, ssl.SSLError, asyncio.CancelledError):
                await closed

    async def abort(self) -> None:
        self._pending = []
        self._pending_size = 0
        self._transport.abort()
        protocol = self._protocol
        if not protocol.lost:
            # abort() calls connection_lost soon, whatever the peer does.
            lost = self._loop.create_future()
            protocol.lost_waiters.append(lost)
            with contextlib.suppress(asyncio.CancelledError):
                await lost


def _dropped(protocol: _StreamProtocol) -> OSError:
    """The error for a write to a transport that is gone."""
    error = protocol.error
    if isinstance(error, OSError):
        return error
    return ConnectionResetError("the connection was dropped")


class _Waiter:
    __slots__ = ("_future",)

    def __init__(self) -> None:
        # Future() finds the running loop itself (the C constructor), for
        # less than get_running_loop().create_future(): every publish
        # awaiting its confirm makes a waiter.
        self._future: asyncio.Future[Any] = asyncio.Future()

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

    def wait(self) -> asyncio.Future[Any]:
        # The future itself rather than a coroutine awaiting it: one frame
        # less to create, and for the loop to resume through, per wait.
        return self._future


def _wake(woken: asyncio.Future[None], *_: object) -> None:
    """End a :meth:`AsyncioBackend.wait_timeout` (its timer fired, or its waiter was set)."""
    if not woken.done():
        woken.set_result(None)


def _consume_exception(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class _Queue:
    """An unbounded queue: a deque and the futures of waiting getters.

    ``asyncio.Queue`` also counts unfinished tasks and supports a maximum
    size, on every put and get; a consumer's queue needs neither.
    """

    __slots__ = ("_items", "_getters")

    def __init__(self) -> None:
        self._items: collections.deque[Any] = collections.deque()
        self._getters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def put(self, item: Any) -> None:
        self._items.append(item)
        if self._getters:
            self._wake_one()

    def _wake_one(self) -> None:
        getters = self._getters
        while getters:
            getter = getters.popleft()
            if not getter.done():
                getter.set_result(None)
                return

    async def get(self) -> Any:
        items = self._items
        while not items:
            getter = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                with contextlib.suppress(ValueError):
                    self._getters.remove(getter)
                if items and not getter.cancelled():
                    self._wake_one()  # woken, then cancelled: pass the item on
                raise
        return items.popleft()


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
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            transport, protocol = await loop.create_connection(
                _StreamProtocol,
                host,
                port,
                ssl=ssl_context,
                server_hostname=server_hostname if ssl_context is not None else None,
            )
        return _Stream(transport, protocol)

    #: The waiter class itself, called without a frame of ours in between.
    create_waiter = _Waiter

    def create_queue(self) -> _Queue:
        return _Queue()

    def core_lock(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def write_lock(self) -> None:
        # _Stream.writelines queues synchronously, in call order: no lock needed.
        return None

    async def spawn(self, function: Callable[[], Awaitable[None]]) -> _Task:
        return _Task(asyncio.ensure_future(function()))

    async def wait_timeout(self, waiter: Any, seconds: float) -> bool:
        # The heartbeat timer and the confirm watcher sleep here, once per
        # deadline on every connection: one timer handle and one callback,
        # where asyncio.wait builds a set, a waiting future, a timer handle
        # and callbacks on every call.  The waiter's own future is never
        # cancelled: others may wait on it too.
        assert isinstance(waiter, _Waiter)
        future = waiter._future
        if future.done():
            return True
        loop = asyncio.get_running_loop()
        woken = loop.create_future()
        wake = functools.partial(_wake, woken)
        timer = loop.call_later(seconds, wake)
        future.add_done_callback(wake)
        try:
            await woken
        finally:
            timer.cancel()
            future.remove_done_callback(wake)
        return future.done()

    async def wake_all(self, waiters: list[_Waiter]) -> None:
        # Every ack settles several publishes, each awaiting its waiter:
        # their futures are set here in one loop, without a set_result
        # coroutine per waiter.
        for waiter in waiters:
            future = waiter._future
            if not future.done():
                future.set_result(None)

    #: time.monotonic itself, called without a frame of ours in between
    #: (each publish awaiting its confirm reads the clock for its deadline).
    monotonic = staticmethod(time.monotonic)

    async def wait_for(self, waiter: Any, timeout: float) -> Any:
        # Through wait_timeout: a timeout (or a cancel) must not cancel the
        # waiter's future itself, which other tasks may be waiting on too
        # (the unblocked and recovered waiters are shared).
        assert isinstance(waiter, _Waiter)
        if not await self.wait_timeout(waiter, timeout):
            raise TimeoutError
        return waiter._future.result()


class AsyncioConnection(AsyncConnection):
    """An AMQP connection on asyncio.  See :class:`~amqproto.io._async.AsyncConnection`."""

    backend: ClassVar[AsyncBackend] = AsyncioBackend()
