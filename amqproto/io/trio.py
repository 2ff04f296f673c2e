"""The trio adapter: :class:`TrioConnection`.

::

    import trio
    from amqproto.io.trio import TrioConnection

    async def main() -> None:
        async with TrioConnection("amqp://guest:guest@localhost/%2F") as connection:
            async with connection.get_channel() as channel:
                await channel.basic_publish(b"hello", routing_key="queue")

    trio.run(main)

Needs the optional dependency: ``pip install amqproto[trio]``.

Structured concurrency
----------------------
The connection's background tasks (the reader, the heartbeat timer, the
writer and the callback runner, the stream's writer, the recovery task and
each recovered generation's reader and timer) run, with ``async with
TrioConnection(...)``, in a nursery the connection opens around the block:
:meth:`TrioConnection.close` ends them (each in a cancel scope of its own)
and leaving the block closes the nursery, so no task of the connection
outlives it.  ``close()`` itself may then run anywhere inside the block,
under a cancel scope of the caller's too.  To put the tasks in a nursery of
your own instead, pass ``nursery=``; ``close`` then ends the connection's
tasks in it.  A bare ``await connection.connect()`` (no ``async with``, no
``nursery=``) runs them as trio system tasks, which ``close()`` ends the
same way: then connect and close may be called from anywhere.

How the shared code finds the nursery: :class:`TrioBackend` is one object
for every connection (as each adapter's backend is), so its ``connect`` and
``spawn`` take the connection's :class:`_Tasks` (its nursery, and the
cancel scopes of the tasks started there) from a context variable.
:meth:`TrioConnection._spawn`, through which the shared code starts every
task of the connection (the writer and the callback runner, each
generation's reader and timer, the recovery task), sets it around the
spawn, whichever task spawns: the connection's own, or a caller's whose
write found the connection lost.  trio gives a task a copy of its
spawner's context, so the recovery task finds the nursery too when it
connects a new generation (whose stream starts a writer task there).

Cancellation
------------
A trio cancel scope around a call (``with trio.move_on_after(1): await
channel.queue_declare(...)``) or around the iteration of a consumer leaves
the channel usable, as ``task.cancel()`` does on asyncio: a reply that
arrives after its caller left is dropped, and a message is never taken from
a consumer by a reader that was cancelled.  ``close`` runs shielded from
the cancellation around it (bounded by ``connection_timeout``), so leaving
a cancelled ``async with`` still closes the connection politely.
"""

from __future__ import annotations

import collections
import contextvars
import logging
import ssl
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, ClassVar

import trio

from ..exceptions import LocalProtocolError
from ._async.channel import AsyncChannel, AsyncConsumer, AsyncMessage, ReturnedMessage
from ._async.connection import AsyncConnection
from ._backend import IOV_MAX, AsyncBackend, AsyncTask, coalesce, unsent

__all__ = [
    "TrioConnection",
    "TrioChannel",
    "TrioConsumer",
    "TrioMessage",
    "ReturnedMessage",
    "TrioBackend",
]

logger = logging.getLogger("amqproto")

#: The channel, consumer and message types of this adapter.
TrioChannel = AsyncChannel
TrioConsumer = AsyncConsumer
TrioMessage = AsyncMessage


class _Tasks:
    """Where a connection's tasks run, with a cancel scope for each.

    In ``nursery`` (the connection's own, or the caller's), or, with none,
    as trio system tasks: those need no nursery around the connection, so a
    connection opened by a bare ``connect()`` may be closed anywhere (in
    another cancel scope, another task).  A system task that raises would
    crash the whole run, so a failure of one (a bug) is logged instead.
    """

    __slots__ = ("nursery", "running")

    def __init__(self, nursery: trio.Nursery | None) -> None:
        self.nursery = nursery
        self.running: list[tuple[trio.CancelScope, trio.Event]] = []

    def start(self, function: Callable[[], Awaitable[None]], scope: trio.CancelScope, name: object) -> None:
        """Run ``function()`` (named ``name`` for trio's task tree) in ``scope``."""
        finished = trio.Event()
        # Forget the tasks that ended (earlier generations' readers and timers).
        self.running = [task for task in self.running if not task[1].is_set()]
        self.running.append((scope, finished))

        async def run() -> None:
            try:
                await function()
            finally:
                finished.set()

        if self.nursery is not None:
            self.nursery.start_soon(run, name=name)
            return

        async def run_as_system_task() -> None:
            try:
                await run()
            except Exception:
                logger.exception("a task of a TrioConnection failed")

        # The spawner's context, not the system nursery's: _current_tasks with it.
        trio.lowlevel.spawn_system_task(run_as_system_task, name=name, context=contextvars.copy_context())

    async def end(self) -> None:
        """Cancel every task and wait until each ended."""
        for scope, _ in self.running:
            scope.cancel()
        with trio.CancelScope(shield=True):
            for _, finished in self.running:
                await finished.wait()


#: The tasks of the connection being connected (see the module header).
_current_tasks: contextvars.ContextVar[_Tasks] = contextvars.ContextVar("amqproto_trio_tasks")

_STREAM_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError)
#: Whether trio's sockets have ``sendmsg`` (not on Windows).
_HAS_SENDMSG = hasattr(trio.socket.SocketType, "sendmsg")


def _os_error(error: BaseException) -> OSError:
    """trio's stream errors as the ``OSError`` the shared code expects (its cause if it is one)."""
    cause = error.__cause__
    if isinstance(cause, OSError):  # ssl.SSLError included
        return cause
    return OSError(str(error) or type(error).__name__)


#: Queued bytes above which a write waits for the writer task to catch up.
_COALESCE_LIMIT = 64 * 1024
#: Seconds ``close()`` waits for queued writes and for TLS's close_notify.
_CLOSE_TIMEOUT = 1.0


def _tasks() -> _Tasks:
    """The tasks of the connection being connected (see the module header)."""
    try:
        return _current_tasks.get()
    except LookupError:
        raise RuntimeError("a TrioConnection starts its tasks only while it connects") from None


class _Stream:
    """A trio ``SocketStream`` (or ``SSLStream``) as an :class:`~amqproto.io.backend.AsyncStream`.

    Writes are queued, in call order, and sent by a writer task in the
    connection's nursery: a burst of frames (a loop of publishes) leaves in
    a few ``send_all`` calls, and a lone request one task switch later.  A
    write waits only while more than :data:`_COALESCE_LIMIT` bytes are
    queued; it fails once the writer failed.  Since writes queue
    synchronously, the adapter needs no write lock
    (:meth:`TrioBackend.write_lock` is None).  Small buffers are joined;
    bodies go out as they are.
    """

    __slots__ = (
        "_stream",
        "_socket",
        "_pending",
        "_pending_size",
        "_wake",
        "_room",
        "_error",
        "_closing",
        "_writer",
        "_written",
    )

    def __init__(self, stream: trio.abc.Stream, tasks: _Tasks) -> None:
        self._stream = stream
        # A plain TCP stream's socket, for gather writes (TLS has no sendmsg).
        self._socket = stream.socket if isinstance(stream, trio.SocketStream) and _HAS_SENDMSG else None
        self._pending: list[bytes | bytearray | memoryview] = []
        self._pending_size = 0
        self._wake = trio.lowlevel.ParkingLot()  # the writer, waiting for writes
        self._room = trio.lowlevel.ParkingLot()  # writers, waiting for the queue to shrink
        self._error: OSError | None = None
        self._closing = False
        self._writer = trio.CancelScope()
        self._written = trio.Event()  # the writer ended
        tasks.start(self._write_forever, self._writer, self._write_forever)

    async def read(self, max_bytes: int) -> bytes:
        try:
            return bytes(await self._stream.receive_some(max_bytes))
        except _STREAM_ERRORS as exc:
            raise _os_error(exc) from exc

    async def write(self, data: bytes) -> None:
        await self.writelines([data])

    async def writelines(self, buffers: list[bytes | bytearray | memoryview]) -> None:
        if self._error is not None:
            raise self._error
        self._pending += buffers
        size = self._pending_size
        for buffer in buffers:
            size += len(buffer)
        self._pending_size = size
        self._wake.unpark()
        while self._pending_size > _COALESCE_LIMIT and self._error is None:
            await self._room.park()
        if self._error is not None:
            raise self._error

    async def _write_forever(self) -> None:
        try:
            with self._writer:
                while True:
                    while not self._pending:
                        if self._closing:
                            return
                        await self._wake.park()
                    pending, self._pending, self._pending_size = self._pending, [], 0
                    self._room.unpark_all()  # the next batch may queue while this one is sent
                    try:
                        parts = coalesce(pending)
                        if self._socket is None or len(parts) == 1:
                            for part in parts:
                                await self._stream.send_all(part)
                        else:
                            # One gather write per batch, as the blocking and
                            # curio adapters do: a large body's frames would
                            # otherwise cost a send (and a checkpoint) each
                            # for their framing octets.
                            socket = self._socket
                            while parts:
                                parts = unsent(parts, await socket.sendmsg(parts[:IOV_MAX]))
                    except (*_STREAM_ERRORS, OSError) as exc:
                        self._fail(exc if isinstance(exc, OSError) else _os_error(exc))
                        return
        finally:
            # Whatever ended it (closing, an error, a cancelled nursery),
            # later writes fail rather than queue for nobody.
            self._fail(OSError("the connection's writer has stopped"))
            self._written.set()

    def _fail(self, error: OSError) -> None:
        if self._error is None:
            self._error = error
        self._room.unpark_all()

    async def close(self) -> None:
        # Send what is queued, then close (a TLS stream sends close_notify
        # first); never wait long for either.
        self._closing = True
        self._wake.unpark()
        with trio.move_on_after(_CLOSE_TIMEOUT) as scope:
            scope.shield = True
            await self._written.wait()
            try:
                await self._stream.aclose()
            except (*_STREAM_ERRORS, OSError):
                pass
        self._writer.cancel()
        self._fail(OSError("the connection is closed"))
        if scope.cancelled_caught:
            await trio.aclose_forcefully(self._stream)

    async def abort(self) -> None:
        self._closing = True
        self._writer.cancel()
        self._fail(OSError("the connection was aborted"))
        await trio.aclose_forcefully(self._stream)


class _Waiter:
    __slots__ = ("_event", "_value", "_error")

    def __init__(self) -> None:
        self._event = trio.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def done(self) -> bool:
        return self._event.is_set()

    async def set_result(self, value: Any) -> None:
        if not self._event.is_set():
            self._value = value
            self._event.set()

    async def set_exception(self, error: BaseException) -> None:
        if not self._event.is_set():
            self._error = error
            self._event.set()

    async def wait(self) -> Any:
        await self._event.wait()
        if self._error is not None:
            raise self._error
        return self._value


class _Queue:
    """An unbounded queue: a deque and a parking lot of getters.

    trio never cancels a task that was already unparked, so an item is
    never left behind by a getter that was woken and then cancelled.
    """

    __slots__ = ("_items", "_getters")

    def __init__(self) -> None:
        self._items: collections.deque[Any] = collections.deque()
        self._getters = trio.lowlevel.ParkingLot()

    async def put(self, item: Any) -> None:
        self._items.append(item)
        self._getters.unpark()

    async def get(self) -> Any:
        items = self._items
        if items:
            await trio.lowlevel.checkpoint()
        while not items:
            await self._getters.park()
        return items.popleft()


class _Task:
    """A task in the connection's nursery, inside a cancel scope of its own."""

    __slots__ = ("_function", "scope", "_finished", "_task")

    def __init__(self, function: Callable[[], Awaitable[None]]) -> None:
        self._function = function
        self.scope = trio.CancelScope()
        self._finished = trio.Event()
        self._task: trio.lowlevel.Task | None = None

    async def run(self) -> None:
        self._task = trio.lowlevel.current_task()
        try:
            with self.scope:
                await self._function()
        finally:
            self._finished.set()

    async def cancel(self) -> None:
        self.scope.cancel()
        if self._task is trio.lowlevel.current_task():
            return
        with trio.CancelScope(shield=True):
            await self._finished.wait()


class TrioBackend:
    """trio's primitives for :class:`~amqproto.io._async.AsyncConnection`."""

    async def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
        timeout: float,
    ) -> _Stream:
        stream: trio.abc.Stream
        try:
            with trio.fail_after(timeout):
                # trio sets TCP_NODELAY on the sockets it opens.
                tcp = await trio.open_tcp_stream(host, port)
                if ssl_context is None:
                    return _Stream(tcp, _tasks())
                stream = trio.SSLStream(tcp, ssl_context, server_hostname=server_hostname)
                try:
                    await stream.do_handshake()
                except BaseException:
                    await trio.aclose_forcefully(tcp)
                    raise
        except trio.TooSlowError:
            raise TimeoutError from None
        except _STREAM_ERRORS as exc:
            raise _os_error(exc) from exc
        return _Stream(stream, _tasks())

    def create_waiter(self) -> _Waiter:
        return _Waiter()

    def create_queue(self) -> _Queue:
        return _Queue()

    def core_lock(self) -> nullcontext[None]:
        return nullcontext()

    def write_lock(self) -> None:
        # _Stream.writelines queues synchronously, in call order: no lock needed.
        return None

    async def spawn(self, function: Callable[[], Awaitable[None]]) -> _Task:
        task = _Task(function)
        _tasks().start(task.run, task.scope, function)
        return task

    async def wait_timeout(self, waiter: Any, seconds: float) -> bool:
        assert isinstance(waiter, _Waiter)
        with trio.move_on_after(seconds):
            await waiter._event.wait()
            return True
        return False

    def monotonic(self) -> float:
        return trio.current_time()

    async def wait_for(self, waiter: Any, timeout: float) -> Any:
        try:
            with trio.fail_after(timeout):
                return await waiter.wait()
        except trio.TooSlowError:
            raise TimeoutError from None


class TrioConnection(AsyncConnection):
    """An AMQP connection on trio.  See :class:`~amqproto.io._async.AsyncConnection`.

    Takes the same arguments, plus ``nursery``: a nursery of yours to run the
    connection's background tasks in.  By default ``async with`` opens a
    nursery of the connection's own around its block; a bare
    :meth:`connect` runs them as trio system tasks (see the module header).
    """

    backend: ClassVar[AsyncBackend] = TrioBackend()

    def __init__(self, *args: Any, nursery: trio.Nursery | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._given_nursery = nursery
        self._nursery_manager: AbstractAsyncContextManager[trio.Nursery] | None = None
        self._own_nursery: trio.Nursery | None = None
        self._trio_tasks: _Tasks | None = None

    async def __aenter__(self) -> TrioConnection:
        """Open the connection's own nursery (unless given one), then connect."""
        if self._given_nursery is None and self._nursery_manager is None and self._trio_tasks is None:
            manager = trio.open_nursery()
            self._own_nursery = await manager.__aenter__()
            self._nursery_manager = manager
        try:
            await self.connect()
        except BaseException:
            await self._leave_nursery()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the connection, then its own nursery."""
        try:
            await self.close()
        finally:
            await self._leave_nursery()

    async def connect(self) -> None:
        """Open the stream and run the AMQP handshake, the connection's tasks where they belong.

        Raises what :meth:`AsyncConnection.connect` raises; the tasks it
        started have ended when it does.
        """
        if self._trio_tasks is not None:
            # Open (or opening) already: the shared connect() would say so too,
            # but only after this made a second set of tasks.
            raise LocalProtocolError(
                f"the connection to {self.host}:{self.port} is {self._core.state.value} already"
            )
        self._trio_tasks = _Tasks(self._given_nursery or self._own_nursery)
        token = _current_tasks.set(self._trio_tasks)
        try:
            await super().connect()
        except BaseException:
            await self._end_tasks()
            raise
        finally:
            _current_tasks.reset(token)

    async def _spawn(self, function: Callable[[], Any]) -> AsyncTask:
        """Start a task of the connection where its tasks run, whichever task asks."""
        tasks = self._trio_tasks
        if tasks is None:
            raise RuntimeError("a TrioConnection starts tasks only while it is connected")
        token = _current_tasks.set(tasks)
        try:
            return await super()._spawn(function)
        finally:
            _current_tasks.reset(token)

    async def close(self, reply_code: int = 200, reply_text: str = "") -> None:
        """Close the connection politely, then end every task of the connection.

        Runs shielded from an enclosing cancellation, for at most about
        ``connection_timeout`` seconds; a cancel scope of the caller's
        around it is fine (the nursery, if the connection owns one, closes
        when ``async with`` ends).
        """
        try:
            with trio.CancelScope(shield=True) as scope:
                scope.deadline = trio.current_time() + self._connection_timeout
                await super().close(reply_code, reply_text)
        finally:
            await self._end_tasks()

    async def _end_tasks(self) -> None:
        """End what is left of the connection's tasks (in a caller's nursery too)."""
        tasks, self._trio_tasks = self._trio_tasks, None
        if tasks is None:
            return
        stream = self._stream
        if isinstance(stream, _Stream):  # close() gave up before dropping the stream
            self._stream = None
            await stream.abort()
        await tasks.end()

    async def _leave_nursery(self) -> None:
        """End the connection's tasks and close its own nursery, if it opened one.

        The nursery is closed as if its body ended normally: an exception of
        the caller's goes on as it is (not wrapped in an ``ExceptionGroup``);
        one of a task of the connection (a bug) comes out as trio reports it.
        """
        await self._end_tasks()
        manager, self._nursery_manager = self._nursery_manager, None
        self._own_nursery = None
        if manager is not None:
            await manager.__aexit__(None, None, None)
