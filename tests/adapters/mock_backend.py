"""An in-memory broker for the adapters: scripted bytes in, decoded frames out.

httpcore tests its connection pool against ``AsyncMockStream([b"HTTP/1.1
200 OK\\r\\n", ...])``; these helpers do the same for the adapters of
:mod:`amqproto.io._async` and their generated blocking twin, so that their
dispatch, confirms, consumer wake-ups and locking are tested without a
broker (the real-broker suite in ``tests/integration`` stays).

Theory of operation
-------------------
A :class:`MockBroker` is the broker's side of one connection, sans-io like
the core: what the client writes is decoded with a
:class:`~amqproto.wire.FrameDecoder` into :attr:`MockBroker.frames`, and
what the broker says is made of schema classes encoded with
:func:`~amqproto.wire.encode_frame`.  A test says something with
:meth:`MockBroker.send` (one call, one chunk: a single ``read`` returns it,
so "an ack and a ``channel.close`` in one chunk" is one call), or lets a
*rule* answer: a rule maps a client method to the frames that answer it,
sent the moment the client writes the method.  The default rules are a
polite broker (the handshake, ``channel.open-ok``, ``consume-ok``, ...);
:meth:`MockBroker.answer` replaces one and :meth:`MockBroker.ignore` makes
the broker deaf to a method.  With ``chunk_size=1`` every chunk the broker
sends arrives one byte per ``read``.

A stream carries the bytes between the two: :class:`AsyncMockStream` (asyncio
futures) and :class:`SyncMockStream` (a ``threading.Condition``).  Its
``read`` returns the broker's chunks one at a time, as sent (a prefix when
one is larger than ``max_bytes``); its ``writelines`` hands the client's
bytes to the broker.  A test waits for the client to have written
something with ``wait_until``, a bounded wait woken by every write.

The backends, :class:`AsyncMockBackend` and :class:`SyncMockBackend`, take
their waiters, queues, locks and tasks from the real asyncio and threading
backends (so those primitives are exercised too); only ``connect()``
differs: it returns the mock stream.  ``write_lock=True`` with
``yield_between_writes=True`` makes the async stream give the event loop
away between buffers, as a socket that accepts part of a write does, to
test that the adapter's write lock keeps frames in order.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from typing import Any, TypeVar

from amqproto.exceptions import AMQPError
from amqproto.io._async.connection import AsyncConnection
from amqproto.io._backend import (
    AsyncBackend,
    AsyncQueue,
    AsyncTask,
    AsyncWaiter,
    SyncBackend,
    SyncQueue,
    SyncTask,
    SyncWaiter,
)
from amqproto.io._sync.connection import SyncConnection
from amqproto.io.asyncio import AsyncioBackend
from amqproto.io.blocking import ThreadingBackend
from amqproto.schema import (
    PROTOCOL_HEADER,
    BasicCancel,
    BasicCancelOk,
    BasicConsume,
    BasicConsumeOk,
    BasicDeliver,
    BasicProperties,
    ChannelClose,
    ChannelCloseOk,
    ChannelOpen,
    ChannelOpenOk,
    ConfirmSelect,
    ConfirmSelectOk,
    ConnectionClose,
    ConnectionCloseOk,
    ConnectionOpen,
    ConnectionOpenOk,
    ConnectionStart,
    ConnectionStartOk,
    ConnectionTune,
    Method,
    QueueDeclare,
    QueueDeclareOk,
)
from amqproto.wire import ContentBodyFrame, ContentHeaderFrame, Frame, FrameDecoder, MethodFrame, encode_frame

from ..core.helpers import SERVER_PROPERTIES, content_frames

__all__ = [
    "MockBroker",
    "Published",
    "AsyncMockStream",
    "AsyncMockBackend",
    "SyncMockStream",
    "SyncMockBackend",
    "async_connection",
    "sync_connection",
    "run",
    "turns_until",
    "eventually",
    "bodies",
    "URL",
    "TEST_TIMEOUT",
    "WAIT",
]

M = TypeVar("M", bound=Method)
T = TypeVar("T")

#: Where the mock connections pretend to connect; nothing resolves or dials it.
URL = "amqp://guest:guest@mock.invalid/%2F"
#: Seconds a whole async test may take (:func:`run`).
TEST_TIMEOUT = 10.0
#: Seconds a test waits for a condition before it fails.
WAIT = 5.0

#: A rule: the frames that answer a client method sent on a channel.
Rule = Callable[[int, Any], Iterable[Frame]]


class Published:
    """A message the client published, reassembled from its frames."""

    __slots__ = ("channel", "method", "properties", "body")

    def __init__(self, channel: int, method: Method, properties: BasicProperties, body: bytes) -> None:
        self.channel = channel
        self.method = method
        self.properties = properties
        self.body = body

    def __repr__(self) -> str:
        return f"<Published on {self.channel}: {self.method.NAME}, {len(self.body)} bytes>"


class MockBroker:
    """The broker's end of one mock connection: rules answer, tests script the rest.

    Args:
        tune: What ``connection.tune`` proposes (heartbeats off by default,
            so that no timer task runs unless a test asks for one).
        chunk_size: Split each chunk the broker sends into pieces of this
            many bytes (1: byte by byte); ``None`` sends each chunk whole.
        handshake: Answer the protocol header, ``start-ok`` and
            ``connection.open`` (the default); ``False`` leaves the
            handshake to the test (see :meth:`handshake_frames`).
    """

    def __init__(
        self,
        *,
        tune: ConnectionTune | None = None,
        chunk_size: int | None = None,
        handshake: bool = True,
    ) -> None:
        self.tune = tune or ConnectionTune(2047, 131072, 0)
        self.chunk_size = chunk_size
        #: Every frame the client wrote, decoded, in order.
        self.frames: list[Frame] = []
        #: The protocol header the client wrote (empty until it did).
        self.header = b""
        #: Why the client's bytes stopped decoding, if they did.
        self.error: AMQPError | None = None
        self._handshake = handshake
        self._decoder = FrameDecoder(0)
        self._sink: Callable[[bytes], None] | None = None
        self._unsent: list[bytes] = []
        self._queues = 0
        self._rules: dict[type[Method], Rule] = {}
        if handshake:
            self.answer(ConnectionStartOk, lambda channel, method: [MethodFrame(0, self.tune)])
            self.answer(ConnectionOpen, lambda channel, method: [MethodFrame(0, ConnectionOpenOk())])
        self.answer(ConnectionClose, lambda channel, method: [MethodFrame(0, ConnectionCloseOk())])
        self.answer(ChannelOpen, lambda channel, method: [MethodFrame(channel, ChannelOpenOk())])
        self.answer(ChannelClose, lambda channel, method: [MethodFrame(channel, ChannelCloseOk())])
        self.answer(ConfirmSelect, lambda channel, method: [MethodFrame(channel, ConfirmSelectOk())])
        self.answer(
            BasicConsume, lambda channel, method: [MethodFrame(channel, BasicConsumeOk(method.consumer_tag))]
        )
        self.answer(
            BasicCancel, lambda channel, method: [MethodFrame(channel, BasicCancelOk(method.consumer_tag))]
        )
        self.answer(QueueDeclare, self._declare_ok)

    # -- what the broker says --------------------------------------------------

    def answer(self, kind: type[M], rule: Callable[[int, M], Iterable[Frame]]) -> None:
        """Answer each ``kind`` the client sends with the frames ``rule(channel, method)`` returns."""
        self._rules[kind] = rule

    def ignore(self, kind: type[Method]) -> None:
        """Never answer ``kind`` (a broker that does not reply)."""
        self._rules.pop(kind, None)

    def send(self, *frames: Frame) -> None:
        """Send ``frames`` as one chunk (split by ``chunk_size``, if set)."""
        self.send_bytes(b"".join(encode_frame(frame) for frame in frames))

    def send_bytes(self, data: bytes) -> None:
        """Send ``data`` as one chunk (split by ``chunk_size``, if set); nothing if it is empty."""
        step = self.chunk_size or len(data)
        for start in range(0, len(data), step):
            self._emit(data[start : start + step])

    def send_eof(self) -> None:
        """The broker closes the TCP connection."""
        self._emit(b"")

    def handshake_frames(self) -> list[Frame]:
        """Start, tune and open-ok: the broker's half of the handshake."""
        return [
            MethodFrame(0, ConnectionStart(0, 9, SERVER_PROPERTIES, "PLAIN", "en_US")),
            MethodFrame(0, self.tune),
            MethodFrame(0, ConnectionOpenOk()),
        ]

    @staticmethod
    def delivery(
        channel: int, consumer_tag: str, delivery_tag: int, body: bytes, *, chunk: int | None = None
    ) -> list[Frame]:
        """The frames of one ``basic.deliver`` (body frames of at most ``chunk`` bytes)."""
        method = BasicDeliver(consumer_tag, delivery_tag, False, "", "queue")
        return content_frames(channel, method, body, chunk=chunk)

    def _declare_ok(self, channel: int, method: QueueDeclare) -> list[Frame]:
        name = method.queue
        if not name:
            self._queues += 1
            name = f"amq.gen-{self._queues}"
        return [MethodFrame(channel, QueueDeclareOk(name, 0, 0))]

    def _emit(self, chunk: bytes) -> None:
        if self._sink is None:
            self._unsent.append(chunk)
        else:
            self._sink(chunk)

    # -- what the client wrote -------------------------------------------------

    def attach(self, sink: Callable[[bytes], None]) -> None:
        """Deliver what the broker sends (and sent so far) to ``sink`` (a stream's inbound queue)."""
        self._sink = sink
        unsent, self._unsent = self._unsent, []
        for chunk in unsent:
            sink(chunk)

    def received(self, data: bytes) -> None:
        """The client wrote ``data``: decode it, and answer what a rule answers."""
        if len(self.header) < len(PROTOCOL_HEADER):
            needed = len(PROTOCOL_HEADER) - len(self.header)
            self.header += data[:needed]
            data = data[needed:]
            if len(self.header) < len(PROTOCOL_HEADER):
                return
            assert self.header == PROTOCOL_HEADER, self.header
            if self._handshake:
                self.send(self.handshake_frames()[0])
        if self.error is not None:
            return
        try:
            frames = self._decoder.feed(data)
        except AMQPError as exc:
            # Garbled bytes (frames interleaved mid-frame): recorded for the
            # test, not raised into the client's write.
            self.error = exc
            return
        for frame in frames:
            self.frames.append(frame)
            if isinstance(frame, MethodFrame):
                rule = self._rules.get(type(frame.method))
                if rule is not None:
                    answer = list(rule(frame.channel, frame.method))
                    if answer:
                        self.send(*answer)

    def methods(self, kind: type[M], channel: int | None = None) -> list[M]:
        """The methods of type ``kind`` the client sent (on ``channel``, if given), in order."""
        return [
            frame.method
            for frame in self.frames
            if isinstance(frame, MethodFrame)
            and type(frame.method) is kind
            and (channel is None or frame.channel == channel)
        ]

    def sent(self, kind: type[Method], count: int = 1) -> Callable[[], bool]:
        """A condition for ``wait_until``: the client sent at least ``count`` of ``kind``."""
        return lambda: len(self.methods(kind)) >= count

    def published(self) -> list[Published]:
        """The messages the client published, reassembled.

        Raises:
            AssertionError: a publish's content frames were interleaved with
                another frame on their channel (AMQP 0-9-1 §4.2.6), or a
                body does not add up to its header's size.
        """
        messages: list[Published] = []
        # Per channel: the publish whose content is being assembled.
        open_content: dict[int, tuple[Method, BasicProperties | None, int, list[bytes]]] = {}
        for frame in self.frames:
            if not isinstance(frame, (MethodFrame, ContentHeaderFrame, ContentBodyFrame)):
                continue  # heartbeats
            channel = frame.channel
            assembling = open_content.get(channel)
            if assembling is None:
                if isinstance(frame, MethodFrame) and frame.method.HAS_CONTENT:
                    open_content[channel] = (frame.method, None, 0, [])
                else:
                    assert not isinstance(frame, (ContentHeaderFrame, ContentBodyFrame)), (
                        f"stray content: {frame!r}"
                    )
                continue
            method, properties, size, parts = assembling
            if properties is None:
                assert isinstance(frame, ContentHeaderFrame), (
                    f"{method.NAME} on {channel} followed by {frame!r}"
                )
                properties, size = frame.properties, frame.body_size
            else:
                assert isinstance(frame, ContentBodyFrame), (
                    f"{method.NAME} on {channel}: body interleaved with {frame!r}"
                )
                parts.append(frame.payload)
            received = sum(len(part) for part in parts)
            assert received <= size, f"{method.NAME} on {channel}: {received} body bytes for {size}"
            if received == size:
                del open_content[channel]
                messages.append(Published(channel, method, properties, b"".join(parts)))
            else:
                open_content[channel] = (method, properties, size, parts)
        assert not open_content, f"unfinished content: {open_content!r}"
        assert self.error is None, f"the client's bytes did not decode: {self.error}"
        return messages


# -- async -------------------------------------------------------------------------


class AsyncMockStream:
    """The client's end of the mock connection, for the async adapter (asyncio)."""

    def __init__(self, broker: MockBroker, *, yield_between_writes: bool = False) -> None:
        self.broker = broker
        self.closed = False
        self.aborted = False
        self._inbound: collections.deque[bytes] = collections.deque()
        self._reader: asyncio.Future[None] | None = None
        self._write_waiters: list[asyncio.Future[None]] = []
        self._yield = yield_between_writes
        broker.attach(self._push)

    def _push(self, chunk: bytes) -> None:
        self._inbound.append(chunk)
        reader, self._reader = self._reader, None
        if reader is not None and not reader.done():
            reader.set_result(None)

    async def read(self, max_bytes: int) -> bytes:
        inbound = self._inbound
        while not inbound:
            if self.closed:
                return b""
            reader = self._reader = asyncio.get_running_loop().create_future()
            await reader
        if self.closed:
            return b""
        chunk = inbound.popleft()
        if len(chunk) > max_bytes:
            inbound.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        return chunk

    async def write(self, data: bytes) -> None:
        await self.writelines([data])

    async def writelines(self, buffers: list[bytes | bytearray | memoryview]) -> None:
        for index, buffer in enumerate(buffers):
            if self.closed:
                raise ConnectionResetError("the mock stream was closed")
            if self._yield and index:
                # Give the loop away mid-write, as a socket that took part of it.
                await asyncio.sleep(0)
                if self.closed:
                    raise ConnectionResetError("the mock stream was closed")
            self.broker.received(bytes(buffer))
        self._wake_watchers()

    def _wake_watchers(self) -> None:
        waiters, self._write_waiters = self._write_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def close(self) -> None:
        self.closed = True
        self._push(b"")
        self._wake_watchers()

    async def abort(self) -> None:
        self.aborted = True
        await self.close()

    async def wait_until(self, condition: Callable[[], object], within: float = WAIT) -> None:
        """Wait until ``condition()`` holds (checked at each write and the close); fail after ``within`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not condition():
            waiter = loop.create_future()
            self._write_waiters.append(waiter)
            remaining = deadline - loop.time()
            try:
                await asyncio.wait_for(waiter, max(remaining, 0))
            except TimeoutError:
                if condition():
                    return
                raise AssertionError(f"still false after {within} s: {condition}") from None


class AsyncMockBackend:
    """asyncio's primitives, and a :class:`AsyncMockStream` instead of a socket."""

    def __init__(self, stream: AsyncMockStream, *, write_lock: bool = False) -> None:
        self.stream = stream
        self.connects = 0
        self._primitives = AsyncioBackend()
        self._write_lock = write_lock

    async def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
        timeout: float,
    ) -> AsyncMockStream:
        self.connects += 1
        return self.stream

    def create_waiter(self) -> AsyncWaiter:
        return self._primitives.create_waiter()

    def create_queue(self) -> AsyncQueue:
        return self._primitives.create_queue()

    def core_lock(self) -> contextlib.AbstractContextManager[Any]:
        return self._primitives.core_lock()

    def write_lock(self) -> contextlib.AbstractAsyncContextManager[Any] | None:
        return asyncio.Lock() if self._write_lock else None

    async def spawn(self, function: Callable[[], Awaitable[None]]) -> AsyncTask:
        return await self._primitives.spawn(function)

    async def wait_timeout(self, waiter: AsyncWaiter, seconds: float) -> bool:
        return await self._primitives.wait_timeout(waiter, seconds)

    def monotonic(self) -> float:
        return self._primitives.monotonic()

    async def wait_for(self, waiter: AsyncWaiter, timeout: float) -> Any:
        return await self._primitives.wait_for(waiter, timeout)


def async_connection(stream: AsyncMockStream, *, write_lock: bool = False, **options: Any) -> AsyncConnection:
    """An :class:`AsyncConnection` whose backend connects to ``stream`` (heartbeats off unless asked)."""
    backend: AsyncBackend = AsyncMockBackend(stream, write_lock=write_lock)

    class MockConnection(AsyncConnection):
        pass

    MockConnection.backend = backend
    options.setdefault("heartbeat", 0)
    return MockConnection(URL, **options)


async def turns_until(condition: Callable[[], object], turns: int = 1000) -> None:
    """Let other tasks run until ``condition()`` holds; fail after ``turns`` turns of the event loop.

    For what no write signals (a task parked on a waiter): bounded by loop
    turns, not by time.
    """
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"still false after {turns} turns of the loop: {condition}")


def run(test: Callable[[], Coroutine[Any, Any, T]], within: float = TEST_TIMEOUT) -> T:
    """Run an async test on a new event loop, failing it after ``within`` seconds."""
    return asyncio.run(asyncio.wait_for(test(), within))


# -- blocking ------------------------------------------------------------------------


class SyncMockStream:
    """The client's end of the mock connection, for the blocking adapter (threads)."""

    def __init__(self, broker: MockBroker, *, yield_between_writes: bool = False) -> None:
        self.broker = broker
        self.closed = False
        self.aborted = False
        self._yield = yield_between_writes
        self._inbound: collections.deque[bytes] = collections.deque()
        # One condition for both directions: the reader thread waits for
        # chunks, a test thread for writes; the broker's rules run under it,
        # so what a write answers is queued before the write returns.
        self._condition = threading.Condition(threading.RLock())
        broker.attach(self._push)

    def _push(self, chunk: bytes) -> None:
        with self._condition:
            self._inbound.append(chunk)
            self._condition.notify_all()

    def read(self, max_bytes: int) -> bytes:
        with self._condition:
            inbound = self._inbound
            while not inbound and not self.closed:
                self._condition.wait()
            if self.closed:
                return b""
            chunk = inbound.popleft()
            if len(chunk) > max_bytes:
                inbound.appendleft(chunk[max_bytes:])
                chunk = chunk[:max_bytes]
            return chunk

    def write(self, data: bytes) -> None:
        self.writelines([data])

    def writelines(self, buffers: list[bytes | bytearray | memoryview]) -> None:
        for index, buffer in enumerate(buffers):
            if self._yield and index:
                time.sleep(0)  # let another thread run mid-write, as a partial send does
            with self._condition:
                if self.closed:
                    raise ConnectionResetError("the mock stream was closed")
                self.broker.received(bytes(buffer))
                self._condition.notify_all()

    def close(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()

    def abort(self) -> None:
        self.aborted = True
        self.close()

    def wait_until(self, condition: Callable[[], object], within: float = WAIT) -> None:
        """Wait until ``condition()`` holds (checked at each write and the close); fail after ``within`` s."""
        with self._condition:
            if not self._condition.wait_for(condition, within):
                raise AssertionError(f"still false after {within} s: {condition}")


class SyncMockBackend:
    """Threads and locks of the blocking backend, and a :class:`SyncMockStream` instead of a socket."""

    def __init__(self, stream: SyncMockStream) -> None:
        self.stream = stream
        self._primitives = ThreadingBackend()

    def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
        timeout: float,
    ) -> SyncMockStream:
        return self.stream

    def create_waiter(self) -> SyncWaiter:
        return self._primitives.create_waiter()

    def create_queue(self) -> SyncQueue:
        return self._primitives.create_queue()

    def core_lock(self) -> contextlib.AbstractContextManager[Any]:
        return self._primitives.core_lock()

    def write_lock(self) -> contextlib.AbstractContextManager[Any] | None:
        return self._primitives.write_lock()

    def spawn(self, function: Callable[[], None]) -> SyncTask:
        return self._primitives.spawn(function)

    def wait_timeout(self, waiter: SyncWaiter, seconds: float) -> bool:
        return self._primitives.wait_timeout(waiter, seconds)

    def monotonic(self) -> float:
        return self._primitives.monotonic()

    def wait_for(self, waiter: SyncWaiter, timeout: float) -> Any:
        return self._primitives.wait_for(waiter, timeout)


def sync_connection(stream: SyncMockStream, **options: Any) -> SyncConnection:
    """A :class:`SyncConnection` whose backend connects to ``stream`` (heartbeats off unless asked)."""
    backend: SyncBackend = SyncMockBackend(stream)

    class MockConnection(SyncConnection):
        pass

    MockConnection.backend = backend
    options.setdefault("heartbeat", 0)
    return MockConnection(URL, **options)


def eventually(condition: Callable[[], object], within: float = WAIT) -> None:
    """Wait until ``condition()`` holds, for what no write signals (a thread parked on a waiter).

    Checks often, for at most ``within`` seconds: a bounded wait, not a sleep.
    """
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {within} s: {condition}")
        time.sleep(0.001)


def bodies(messages: Sequence[Any]) -> list[bytes]:
    """The bodies of ``messages`` (adapter messages or :class:`Published`), in order."""
    return [message.body for message in messages]
