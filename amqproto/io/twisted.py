"""The Twisted adapter: :class:`TwistedConnection`.

::

    from twisted.internet import defer, task
    from amqproto.io.twisted import TwistedConnection

    async def main(reactor: object) -> None:
        async with TwistedConnection("amqp://guest:guest@localhost/%2F") as connection:
            async with connection.get_channel() as channel:
                await channel.basic_publish(b"hello", routing_key="queue")

    task.react(lambda reactor: defer.Deferred.fromCoroutine(main(reactor)))

The API is the coroutine API of every async adapter, for coroutines that
Twisted runs (``Deferred.fromCoroutine``, ``ensureDeferred``); code that
prefers Deferreds wraps a call: ``Deferred.fromCoroutine(channel.queue_declare("q"))``.
It works under any reactor, the default one and
``twisted.internet.asyncioreactor`` included; the reactor is looked up when
it is first needed, so install one before connecting, as usual.

Needs the optional dependency: ``pip install amqproto[twisted]``.

Theory of operation
-------------------
Bytes go through Twisted's own transport: :class:`_StreamProtocol` is a
``Protocol`` whose ``dataReceived`` keeps the chunks that the shared
reader's ``read`` takes, and a write is one ``transport.write`` of the
frames joined (the transport buffers it and sends it when the reactor next
finds the socket writable, so a burst of frames leaves in few system calls;
it takes ``bytes`` only, so the join is also what turns a large body's
frames, views of the body, into something it takes, in one copy).  The transport
tells the protocol, as a push producer, when its buffer is too full; a
write then waits until it drains.  TLS runs on the caller's
``ssl.SSLContext`` through ``ssl.MemoryBIO``\\ s between the protocol and the
transport, so every adapter takes the same TLS settings and Twisted needs no
pyOpenSSL.

A Deferred runs the coroutine that waits on it from inside ``callback()``.
Were a waiter set by the reader to wake its coroutine there, user code would
run in the middle of the reader's dispatching, which the shared code (like
asyncio) never expects.  So waiters, queues and new tasks are woken on the
reactor's next turn, in the order they were set (:class:`_Soon`), as
asyncio's ``call_soon`` does.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import inspect
import ssl
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ClassVar, Protocol, cast

from twisted.internet import defer, error
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.interfaces import IAddress, IProtocolFactory
from twisted.internet.protocol import ClientFactory, connectionDone
from twisted.internet.protocol import Protocol as TwistedProtocol
from twisted.python.failure import Failure

from ._async.channel import AsyncChannel, AsyncConsumer, AsyncMessage, ReturnedMessage
from ._async.connection import READ_SIZE, AsyncConnection
from ._backend import AsyncBackend, take_chunks

__all__ = [
    "TwistedConnection",
    "TwistedChannel",
    "TwistedConsumer",
    "TwistedMessage",
    "ReturnedMessage",
    "TwistedBackend",
]

#: The channel, consumer and message types of this adapter.
TwistedChannel = AsyncChannel
TwistedConsumer = AsyncConsumer
TwistedMessage = AsyncMessage

#: Received bytes kept before the transport stops reading (back-pressure).
_READ_LIMIT = 4 * 1024 * 1024
#: The most one send offers the socket (Twisted's own limit is 128 KiB).
_SEND_LIMIT = 1024 * 1024
#: Seconds ``close()`` waits for the transport to flush before it aborts it.
_CLOSE_TIMEOUT = 1.0


# -- the parts of Twisted's interfaces used here -----------------------------------
# Twisted declares them as zope interfaces, whose methods mypy reads without
# their ``self``; these protocols say what the adapter calls.


class _DelayedCall(Protocol):
    def active(self) -> bool: ...

    def cancel(self) -> None: ...


class _Reactor(Protocol):
    def callLater(
        self, delay: float, callable: Callable[..., object], *args: object  # noqa: A002 (Twisted's parameter name)
    ) -> _DelayedCall: ...


class _Transport(Protocol):
    def write(self, data: bytes) -> None: ...

    def loseConnection(self) -> None: ...

    def abortConnection(self) -> None: ...

    def pauseProducing(self) -> None: ...

    def resumeProducing(self) -> None: ...

    def registerProducer(self, producer: object, streaming: bool) -> None: ...

    def setTcpNoDelay(self, enabled: bool) -> None: ...

    #: The most a TCP transport reads at once (Twisted's default: 64 KiB).
    bufferSize: int
    #: The most it offers the socket in one send (Twisted's default: 128 KiB).
    SEND_LIMIT: int


def _reactor() -> _Reactor:
    """The installed reactor (imported late: importing it installs the default one)."""
    from twisted.internet import reactor

    return cast(_Reactor, reactor)


class _Soon:
    """Calls made on the reactor's next turn, in the order they were asked for."""

    def __init__(self) -> None:
        self._calls: list[Callable[[], object]] = []

    def __call__(self, call: Callable[[], object]) -> None:
        self._calls.append(call)
        if len(self._calls) == 1:
            _reactor().callLater(0, self._run)

    def _run(self) -> None:
        calls, self._calls = self._calls, []
        for call in calls:
            call()


_soon = _Soon()


def _fire(deferred: defer.Deferred[None]) -> None:
    if not deferred.called:  # not cancelled meanwhile
        deferred.callback(None)


async def _wait_until(deferred: defer.Deferred[None], seconds: float) -> bool:
    """Await ``deferred`` for up to ``seconds``; False (and it is cancelled) if it took longer."""
    timed_out = False

    def time_out() -> None:
        nonlocal timed_out
        timed_out = True
        deferred.cancel()

    call = _reactor().callLater(max(seconds, 0.0), time_out)
    try:
        await deferred
    except defer.CancelledError:
        if timed_out:
            return False
        raise
    finally:
        if call.active():
            call.cancel()
    return True


# -- the stream --------------------------------------------------------------------


class _TLS:
    """The TLS layer between the protocol and the transport (``ssl`` on memory BIOs)."""

    __slots__ = ("incoming", "outgoing", "object", "handshaken")

    def __init__(self, context: ssl.SSLContext, server_hostname: str | None) -> None:
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.object = context.wrap_bio(
            self.incoming, self.outgoing, server_side=False, server_hostname=server_hostname
        )
        self.handshaken = False


class _StreamProtocol(TwistedProtocol):
    """The transport's callbacks, as the stream the adapter reads and writes.

    Also the transport's push producer: the transport pauses it while its
    write buffer is too full, and writes wait for it to resume.
    """

    def __init__(self, tls: _TLS | None) -> None:
        self.tls = tls
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.reader: defer.Deferred[None] | None = None
        self.paused_reading = False
        self.paused_writing = False
        self.drain_waiters: list[defer.Deferred[None]] = []
        self.lost_waiters: list[defer.Deferred[None]] = []
        self.lost = False
        #: Fired once the stream is ready for AMQP (after the TLS handshake,
        #: if any), or could not be: then handshake_error says why.
        self.handshake: defer.Deferred[None] = defer.Deferred()
        self.handshake_error: BaseException | None = None

    @property
    def out(self) -> _Transport:
        return cast(_Transport, self.transport)

    # Twisted's callbacks.

    def connectionMade(self) -> None:
        out = self.out
        with contextlib.suppress(AttributeError, OSError):
            out.setTcpNoDelay(True)
        # Read what the other adapters read at once: at Twisted's 64 KiB, a
        # 1 MiB body took 16 reads, each a wake-up of the reader.
        out.bufferSize = max(getattr(out, "bufferSize", 0), READ_SIZE)
        # And send as much at once: at Twisted's 128 KiB a send, a 1 MiB
        # body took nine turns of the reactor to leave.
        out.SEND_LIMIT = max(getattr(out, "SEND_LIMIT", 0), _SEND_LIMIT)
        out.registerProducer(self, True)
        if self.tls is None:
            self.handshake.callback(None)
        else:
            self._advance_handshake()

    def dataReceived(self, data: bytes) -> None:
        tls = self.tls
        if tls is not None:
            tls.incoming.write(data)
            if not tls.handshaken and not self._advance_handshake():
                return
            data = self._decrypt(tls)
            if not data:
                return
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _READ_LIMIT and not self.paused_reading:
            self.paused_reading = True
            self.out.pauseProducing()
        self._wake_reader()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.eof = self.lost = True
        if self.error is None and not isinstance(reason.value, error.ConnectionDone):
            self.error = OSError(f"the connection was lost: {reason.getErrorMessage()}")
        self._handshake_failed(self.error or OSError("the connection was closed during the TLS handshake"))
        self._wake_reader()
        waiters = self.drain_waiters + self.lost_waiters
        self.drain_waiters, self.lost_waiters = [], []
        for waiter in waiters:
            _soon(functools.partial(_fire, waiter))

    # The transport's push producer.

    def pauseProducing(self) -> None:
        self.paused_writing = True

    def resumeProducing(self) -> None:
        self.paused_writing = False
        waiters, self.drain_waiters = self.drain_waiters, []
        for waiter in waiters:
            _soon(functools.partial(_fire, waiter))

    def stopProducing(self) -> None:
        pass

    # Used by _Stream.

    def send(self, buffers: list[bytes | bytearray | memoryview]) -> None:
        tls = self.tls
        if tls is None:
            # Twisted's transports take ``bytes`` only, and join what they
            # hold before each send: given one ``bytes``, that join is free
            # (joining one ``bytes`` returns it), so the join here is the
            # only copy of a large body (its frames are views of it).
            self.out.write(
                buffers[0] if len(buffers) == 1 and type(buffers[0]) is bytes else b"".join(buffers)
            )
            return
        for buffer in buffers:
            tls.object.write(buffer)
        self._flush_tls(tls)

    def wake_after_error(self, error: BaseException) -> None:
        """Fail the reader's reads from now on (called by a coroutine: wakes it on the next turn)."""
        if self.error is None:
            self.error = error
        self.eof = True
        self._wake_reader(soon=True)

    def _wake_reader(self, soon: bool = False) -> None:
        # From the transport's callbacks the reader runs at once, inside
        # them, as it would in a Protocol: it is the connection's own task,
        # and what it wakes in turn waits for the next turn.
        reader = self.reader
        if reader is not None:
            self.reader = None
            if soon:
                _soon(functools.partial(_fire, reader))
            else:
                _fire(reader)

    def _advance_handshake(self) -> bool:
        """Go on with the TLS handshake; True once it is done."""
        tls = self.tls
        assert tls is not None
        try:
            tls.object.do_handshake()
        except ssl.SSLWantReadError:
            self._flush_tls(tls)
            return False
        except ssl.SSLError as exc:
            self._flush_tls(tls)
            self._handshake_failed(exc)
            self.out.abortConnection()
            return False
        tls.handshaken = True
        self._flush_tls(tls)
        if not self.handshake.called:
            self.handshake.callback(None)
        return True

    def _handshake_failed(self, error: BaseException) -> None:
        if not self.handshake.called:
            self.handshake_error = error
            self.handshake.callback(None)

    def _decrypt(self, tls: _TLS) -> bytes:
        plain: list[bytes] = []
        try:
            while True:
                plain.append(tls.object.read(256 * 1024))
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLZeroReturnError:  # the peer's close_notify: the end of the stream
            self.eof = True
            self._wake_reader()
        except ssl.SSLError as exc:
            if self.error is None:
                self.error = exc
            self.eof = True
            self._wake_reader()
            self.out.abortConnection()
        self._flush_tls(tls)  # TLS 1.3 may answer (key updates)
        return b"".join(plain)

    def _flush_tls(self, tls: _TLS) -> None:
        pending = tls.outgoing.read()
        if pending:
            self.out.write(pending)


class _Stream:
    """A Twisted connection as an :class:`~amqproto.io.backend.AsyncStream`.

    Writes are queued on the transport synchronously, in call order, so the
    adapter needs no write lock (:meth:`TwistedBackend.write_lock` is None).
    """

    __slots__ = ("_protocol", "_closed")

    def __init__(self, protocol: _StreamProtocol) -> None:
        self._protocol = protocol
        self._closed = False

    async def read(self, max_bytes: int) -> bytes:
        protocol = self._protocol
        while not protocol.chunks:
            if protocol.eof:
                if protocol.error is not None:
                    raise protocol.error
                return b""
            reader: defer.Deferred[None] = defer.Deferred(lambda _: setattr(protocol, "reader", None))
            protocol.reader = reader
            await reader
        data = take_chunks(protocol.chunks, max_bytes)
        protocol.buffered -= len(data)
        if protocol.paused_reading and protocol.buffered <= _READ_LIMIT // 2:
            protocol.paused_reading = False
            protocol.out.resumeProducing()
        return data

    async def write(self, data: bytes) -> None:
        await self.writelines([data])

    async def writelines(self, buffers: list[bytes | bytearray | memoryview]) -> None:
        protocol = self._protocol
        if self._closed or protocol.lost:
            raise protocol.error or OSError("the connection is closed")
        protocol.send(buffers)
        if protocol.paused_writing and not protocol.lost:
            waiter: defer.Deferred[None] = defer.Deferred(lambda d: _remove(protocol.drain_waiters, d))
            protocol.drain_waiters.append(waiter)
            await waiter
        if protocol.error is not None:
            raise protocol.error

    async def close(self) -> None:
        protocol = self._protocol
        self._closed = True
        if protocol.lost:
            return
        tls = protocol.tls
        if tls is not None and tls.handshaken:
            with contextlib.suppress(ssl.SSLError):
                tls.object.unwrap()  # queues close_notify
            protocol._flush_tls(tls)
        protocol.out.loseConnection()
        lost: defer.Deferred[None] = defer.Deferred(lambda d: _remove(protocol.lost_waiters, d))
        protocol.lost_waiters.append(lost)
        if not await _wait_until(lost, _CLOSE_TIMEOUT):
            protocol.out.abortConnection()

    async def abort(self) -> None:
        protocol = self._protocol
        self._closed = True
        protocol.wake_after_error(OSError("the connection was aborted"))
        if not protocol.lost:
            protocol.out.abortConnection()


def _remove(deferreds: list[defer.Deferred[None]], deferred: defer.Deferred[None]) -> None:
    """A canceller: forget ``deferred`` (Twisted then fails it with ``CancelledError``)."""
    with contextlib.suppress(ValueError):
        deferreds.remove(deferred)


class _OneProtocol(ClientFactory):
    """Builds the one protocol made for this connection attempt."""

    def __init__(self, protocol: _StreamProtocol) -> None:
        self._protocol = protocol

    def buildProtocol(self, addr: IAddress | None) -> _StreamProtocol:
        return self._protocol


# -- waiters, queues, tasks --------------------------------------------------------


class _Waiter:
    __slots__ = ("_done", "_value", "_error", "_listeners")

    def __init__(self) -> None:
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None
        self._listeners: list[defer.Deferred[None]] = []

    def done(self) -> bool:
        return self._done

    async def set_result(self, value: Any) -> None:
        if not self._done:
            self._done = True
            self._value = value
            self._wake()

    async def set_exception(self, error: BaseException) -> None:
        if not self._done:
            self._done = True
            self._error = error
            self._wake()

    def _wake(self) -> None:
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            _soon(functools.partial(_fire, listener))

    def listen(self) -> defer.Deferred[None]:
        """A Deferred fired (on a later turn) once the waiter is set."""
        listener: defer.Deferred[None] = defer.Deferred(lambda d: _remove(self._listeners, d))
        self._listeners.append(listener)
        return listener

    async def wait(self) -> Any:
        if not self._done:
            await self.listen()
        if self._error is not None:
            raise self._error
        return self._value


class _Queue:
    """An unbounded queue: a deque and the Deferreds of waiting getters.

    A getter runs as soon as its Deferred fires, so an item it was woken
    for is never left behind by a cancellation in between.
    """

    __slots__ = ("_items", "_getters")

    def __init__(self) -> None:
        self._items: collections.deque[Any] = collections.deque()
        self._getters: collections.deque[defer.Deferred[None]] = collections.deque()

    async def put(self, item: Any) -> None:
        self._items.append(item)
        if self._getters:
            _soon(self._wake_one)

    def _wake_one(self) -> None:
        getters = self._getters
        while getters:
            getter = getters.popleft()
            if not getter.called:
                getter.callback(None)
                return

    async def get(self) -> Any:
        items = self._items
        while not items:
            getter: defer.Deferred[None] = defer.Deferred(lambda d: _remove(self._getters, d))  # type: ignore[arg-type]
            self._getters.append(getter)
            await getter
        return items.popleft()


def _ignore_cancelled(failure: Failure) -> None:
    """A cancelled task ends quietly; any other error stays for Twisted to log."""
    if not isinstance(failure.value, defer.CancelledError):
        failure.raiseException()


class _Task:
    """A coroutine run by ``Deferred.fromCoroutine``, started on the reactor's next turn."""

    __slots__ = ("_function", "_coroutine", "_deferred", "_cancelled")

    def __init__(self, function: Callable[[], Awaitable[None]]) -> None:
        self._function = function
        self._coroutine: Coroutine[Any, Any, None] | None = None
        self._deferred: defer.Deferred[None] | None = None
        self._cancelled = False
        _soon(self._start)

    def _start(self) -> None:
        if self._cancelled:
            return
        self._coroutine = coroutine = self._run()
        deferred = defer.Deferred.fromCoroutine(coroutine)
        self._deferred = deferred
        deferred.addErrback(_ignore_cancelled)

    async def _run(self) -> None:
        await self._function()

    async def cancel(self) -> None:
        self._cancelled = True
        coroutine, deferred = self._coroutine, self._deferred
        if coroutine is None or deferred is None or deferred.called:
            return
        if inspect.getcoroutinestate(coroutine) == inspect.CORO_RUNNING:
            return  # the task cancelling itself: it is ending anyway
        # Throws CancelledError into the coroutine at its await, now.
        deferred.cancel()


class TwistedBackend:
    """Twisted's primitives for :class:`~amqproto.io._async.AsyncConnection`."""

    async def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
        timeout: float,
    ) -> _Stream:
        reactor = _reactor()
        started = time.monotonic()
        protocol = _StreamProtocol(_TLS(ssl_context, server_hostname) if ssl_context is not None else None)
        endpoint = HostnameEndpoint(reactor, host, port, timeout=timeout)
        connecting = cast(
            "defer.Deferred[None]", endpoint.connect(cast(IProtocolFactory, _OneProtocol(protocol)))
        )
        try:
            if not await _wait_until(connecting, timeout):
                raise TimeoutError
        except (error.ConnectError, error.TimeoutError, defer.TimeoutError) as exc:
            if isinstance(exc, (error.TimeoutError, defer.TimeoutError)):
                raise TimeoutError from None
            raise OSError(str(exc)) from exc
        remaining = timeout - (time.monotonic() - started)
        if not await _wait_until(protocol.handshake, remaining):
            protocol.out.abortConnection()
            raise TimeoutError
        if protocol.handshake_error is not None:
            raise protocol.handshake_error
        return _Stream(protocol)

    def create_waiter(self) -> _Waiter:
        return _Waiter()

    def create_queue(self) -> _Queue:
        return _Queue()

    def core_lock(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def write_lock(self) -> None:
        # _Stream.writelines queues synchronously, in call order: no lock needed.
        return None

    async def spawn(self, function: Callable[[], Awaitable[None]]) -> _Task:
        return _Task(function)

    async def wait_timeout(self, waiter: Any, seconds: float) -> bool:
        assert isinstance(waiter, _Waiter)
        if waiter.done():
            return True
        return await _wait_until(waiter.listen(), seconds)

    def monotonic(self) -> float:
        return time.monotonic()

    async def wait_for(self, waiter: Any, timeout: float) -> Any:
        assert isinstance(waiter, _Waiter)
        if not waiter.done() and not await _wait_until(waiter.listen(), timeout):
            raise TimeoutError
        return await waiter.wait()


class TwistedConnection(AsyncConnection):
    """An AMQP connection on Twisted.  See :class:`~amqproto.io._async.AsyncConnection`."""

    backend: ClassVar[AsyncBackend] = TwistedBackend()
