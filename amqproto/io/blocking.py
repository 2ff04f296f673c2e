"""The blocking adapter: :class:`BlockingConnection`, on plain sockets and threads.

::

    from amqproto.io.blocking import BlockingConnection

    with BlockingConnection("amqp://guest:guest@localhost/%2F") as connection:
        with connection.get_channel() as channel:
            channel.basic_publish(b"hello", routing_key="queue")
            with channel.basic_consume("queue") as consumer:
                for message in consumer:
                    message.ack()
                    break

A background **reader thread** reads the socket and a **timer thread** sends
heartbeats, so the connection stays alive while the calling thread does
unrelated work for minutes.  The connection, its channels and its messages
may be used from several threads: calls into the sans-io core are serialised
by a lock, and each call waits on its own event.  Callbacks (returns,
blocked/unblocked) run on the reader thread and must not wait for the broker.

The implementation is generated from the async one
(:mod:`amqproto.io._sync`, by ``scripts/unasync.py``); this module supplies
the socket-and-thread primitives.  TLS works too: since an OpenSSL
connection must not be used by two threads at once, a TLS socket is driven
non-blocking with every read and write under one lock (see
:class:`_TLSStream`).
"""

from __future__ import annotations

import contextlib
import queue
import select
import socket
import ssl
import threading
import time
from _thread import allocate_lock as _allocate_lock
from collections.abc import Callable
from typing import Any, ClassVar

from ._backend import IOV_MAX, SyncBackend, coalesce, unsent
from ._sync.channel import ReturnedMessage, SyncChannel, SyncConsumer, SyncMessage
from ._sync.connection import SyncConnection

__all__ = [
    "BlockingConnection",
    "BlockingChannel",
    "BlockingConsumer",
    "BlockingMessage",
    "ReturnedMessage",
    "ThreadingBackend",
]

#: The channel, consumer and message types of this adapter.
BlockingChannel = SyncChannel
BlockingConsumer = SyncConsumer
BlockingMessage = SyncMessage


class _Stream:
    __slots__ = ("_socket",)

    def __init__(self, sock: socket.socket) -> None:
        self._socket = sock

    def read(self, max_bytes: int) -> bytes:
        return self._socket.recv(max_bytes)

    def write(self, data: bytes) -> None:
        self._socket.sendall(data)

    def writelines(self, buffers: list[bytes | bytearray | memoryview]) -> None:
        sock = self._socket
        parts = coalesce(buffers)
        if len(parts) == 1:
            sock.sendall(parts[0])
            return
        # One gather write per batch of buffers; bodies are not copied.
        while parts:
            parts = unsent(parts, sock.sendmsg(parts[:IOV_MAX]))

    def close(self) -> None:
        # shutdown() wakes the threads blocked in recv() or sendall(); close() alone may not.
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()

    abort = close


class _TLSStream:
    """A TLS socket used by a reader thread and writer threads at once.

    An OpenSSL connection must not be used by two threads at the same time,
    and Python's ``ssl`` sockets do not serialise it.  So the socket is
    non-blocking, every ``recv``/``send`` on it runs under one lock, and the
    threads wait for readiness with ``select`` *outside* the lock: the reader
    blocked waiting for data never holds up a writer.
    """

    __slots__ = ("_socket", "_lock")

    def __init__(self, sock: ssl.SSLSocket) -> None:
        sock.setblocking(False)
        self._socket = sock
        self._lock = threading.Lock()

    def read(self, max_bytes: int) -> bytes:
        sock = self._socket
        try:
            while True:
                # Try first: TLS may hold decrypted bytes that select cannot see.
                with self._lock:
                    try:
                        return sock.recv(max_bytes)
                    except ssl.SSLWantReadError:
                        waiting_for: tuple[list[ssl.SSLSocket], list[ssl.SSLSocket]] = ([sock], [])
                    except ssl.SSLWantWriteError:
                        waiting_for = ([], [sock])
                select.select(*waiting_for, [])
        except ValueError as exc:  # the socket was closed under us
            raise OSError(str(exc)) from None

    def write(self, data: bytes) -> None:
        self.writelines([data])

    def writelines(self, buffers: list[bytes | bytearray | memoryview]) -> None:
        sock = self._socket
        try:
            for part in coalesce(buffers):
                view = memoryview(part).cast("B")
                while view:
                    with self._lock:
                        try:
                            view = view[sock.send(view) :]
                            continue
                        except ssl.SSLWantWriteError:
                            waiting_for: tuple[list[ssl.SSLSocket], list[ssl.SSLSocket]] = ([], [sock])
                        except ssl.SSLWantReadError:
                            waiting_for = ([sock], [])
                    select.select(*waiting_for, [])
        except ValueError as exc:
            raise OSError(str(exc)) from None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()

    abort = close


class _Waiter:
    """A one-shot result for a waiting thread: a lock, held from birth until the result is set.

    Cheaper than a ``threading.Event``, which is a ``Condition`` (itself a
    lock and a list of waiters) and allocates yet another lock per wait:
    here the hand-off from the reader thread to the caller is one lock's
    release and acquire, on the path of every reply and every delivery a
    caller waits for.  The first ``set_result``/``set_exception`` wins:
    it pops the one token of ``_claim`` (atomic, from any thread; later
    sets find it empty and return).  A wait that got the lock releases it
    at once, so the waiter stays set: every later wait returns at once, as
    an ``Event``'s does.
    """

    __slots__ = ("_lock", "_claim", "_value", "_error")

    def __init__(self) -> None:
        lock = _allocate_lock()
        lock.acquire()
        self._lock = lock
        self._claim = [True]
        self._value: Any = None
        self._error: BaseException | None = None

    def done(self) -> bool:
        return not self._claim

    def set_result(self, value: Any) -> None:
        try:
            self._claim.pop()
        except IndexError:
            return  # set already
        self._value = value
        self._lock.release()

    def set_exception(self, error: BaseException) -> None:
        try:
            self._claim.pop()
        except IndexError:
            return
        self._error = error
        self._lock.release()

    def wait_set(self, timeout: float | None) -> bool:
        """Wait until set, at most ``timeout`` seconds (``None``: no limit); whether it was set."""
        lock = self._lock
        if timeout is None:
            acquired = lock.acquire()
        elif timeout > 0:
            acquired = lock.acquire(True, min(timeout, threading.TIMEOUT_MAX))
        else:
            acquired = lock.acquire(False)
        if acquired:
            lock.release()
        return acquired

    def wait(self, timeout: float | None = None) -> Any:
        if not self.wait_set(timeout):
            raise TimeoutError
        if self._error is not None:
            raise self._error
        return self._value


class _Queue:
    __slots__ = ("_queue",)

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def put(self, item: Any) -> None:
        self._queue.put(item)

    def get(self) -> Any:
        return self._queue.get()


class _Task:
    __slots__ = ("_thread",)

    def __init__(self, thread: threading.Thread) -> None:
        self._thread = thread

    def cancel(self) -> None:
        # The threads end by themselves once the socket is closed (reader) or
        # the core is closed (timer); wait briefly for the reader.
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)


class ThreadingBackend:
    """Sockets and threads for :class:`~amqproto.io._sync.SyncConnection`."""

    def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
        timeout: float,
    ) -> _Stream | _TLSStream:
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except TimeoutError:
            raise TimeoutError from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if ssl_context is not None:
                sock = ssl_context.wrap_socket(sock, server_hostname=server_hostname)
            sock.settimeout(None)
        except BaseException:
            sock.close()
            raise
        if isinstance(sock, ssl.SSLSocket):
            return _TLSStream(sock)
        return _Stream(sock)

    def create_waiter(self) -> _Waiter:
        return _Waiter()

    def create_queue(self) -> _Queue:
        return _Queue()

    def core_lock(self) -> threading.RLock:
        return threading.RLock()

    def write_lock(self) -> threading.Lock:
        return threading.Lock()

    def spawn(self, function: Callable[[], None]) -> _Task:
        thread = threading.Thread(target=function, name=f"amqproto-{function.__name__}", daemon=True)
        thread.start()
        return _Task(thread)

    def wait_timeout(self, waiter: Any, seconds: float) -> bool:
        assert isinstance(waiter, _Waiter)
        return waiter.wait_set(seconds)

    def monotonic(self) -> float:
        return time.monotonic()

    def wait_for(self, waiter: Any, timeout: float) -> Any:
        return waiter.wait(timeout)


class BlockingConnection(SyncConnection):
    """An AMQP connection on blocking sockets.  See :class:`~amqproto.io._async.AsyncConnection`
    for the arguments; every ``async`` method here is a plain blocking one."""

    backend: ClassVar[SyncBackend] = ThreadingBackend()
