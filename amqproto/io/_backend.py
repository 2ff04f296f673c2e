"""What an I/O library must provide for the adapters to drive the core.

The adapters in :mod:`amqproto.io._async` (asyncio, curio) and their
generated blocking twin in :mod:`amqproto.io._sync` are written once,
against these small protocols (httpcore's ``NetworkBackend`` shape): a byte
stream, a one-shot waiter, an unbounded queue, locks, background tasks and a
clock.  Each I/O library implements them in a few dozen lines.

Locks.  ``core_lock()`` guards the sans-io core and the adapter's maps of
waiters; it is a real lock only in the blocking adapter (user threads and
the reader thread share the core) and a no-op in async ones, where code
between two ``await``\\ s already runs alone.  ``write_lock()`` serialises
writes so that frames never interleave; a backend whose stream queues every
write synchronously, in call order (asyncio's), returns ``None`` and spares
the lock.  The rule that keeps the two from deadlocking: never write (or
wait) while holding ``core_lock``.

Writes.  The adapters hand a stream the core's buffers as a list
(``writelines``): small frames, and message bodies as they were given, so a
large body is never copied on its way to the socket.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, Protocol

__all__ = [
    "AsyncStream",
    "AsyncWaiter",
    "AsyncQueue",
    "AsyncTask",
    "AsyncBackend",
    "SyncStream",
    "SyncWaiter",
    "SyncQueue",
    "SyncTask",
    "SyncBackend",
]


Buffer = bytes | bytearray | memoryview


class AsyncStream(Protocol):
    async def read(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes``; ``b""`` once the peer closed."""

    async def write(self, data: bytes) -> None: ...

    async def writelines(self, buffers: list[Buffer]) -> None:
        """Write the buffers in order, without joining large ones (message bodies).

        A stream may coalesce writes (queue them and send them a moment
        later) as long as it keeps the order of calls and sends everything
        without being called again.
        """

    async def close(self) -> None: ...

    async def abort(self) -> None:
        """Close at once, dropping whatever is not sent yet; never waits for the peer.

        A read or a write blocked on the stream, and any made later, fails
        with ``OSError`` (a read may return ``b""`` instead).
        """


class AsyncWaiter(Protocol):
    """A one-shot result: set once, awaited by one task."""

    def done(self) -> bool: ...

    async def set_result(self, value: Any) -> None: ...

    async def set_exception(self, error: BaseException) -> None: ...

    def wait(self) -> Awaitable[Any]:
        """What to await for the value (a coroutine, or the library's own future)."""


class AsyncQueue(Protocol):
    async def put(self, item: Any) -> None: ...

    async def get(self) -> Any: ...


class AsyncTask(Protocol):
    async def cancel(self) -> None: ...


class AsyncBackend(Protocol):
    async def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
        timeout: float,
    ) -> AsyncStream:
        """Open a TCP (and TLS) stream; ``OSError``/``TimeoutError`` on failure."""

    def create_waiter(self) -> AsyncWaiter: ...

    def create_queue(self) -> AsyncQueue: ...

    def core_lock(self) -> AbstractContextManager[Any]: ...

    def write_lock(self) -> AbstractAsyncContextManager[Any] | None:
        """A lock held while a write is in progress, or ``None`` when the
        stream queues each write synchronously, in call order (asyncio)."""

    async def spawn(self, function: Callable[[], Awaitable[None]]) -> AsyncTask: ...

    async def wait_timeout(self, waiter: AsyncWaiter, seconds: float) -> bool:
        """Wait up to ``seconds`` for ``waiter`` to be set (it stays usable); True if it was."""

    def monotonic(self) -> float: ...

    async def wait_for(self, waiter: AsyncWaiter, timeout: float) -> Any:
        """``waiter.wait()``, raising ``TimeoutError`` after ``timeout`` seconds."""


class SyncStream(Protocol):
    def read(self, max_bytes: int) -> bytes: ...

    def write(self, data: bytes) -> None: ...

    def writelines(self, buffers: list[Buffer]) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class SyncWaiter(Protocol):
    def done(self) -> bool: ...

    def set_result(self, value: Any) -> None: ...

    def set_exception(self, error: BaseException) -> None: ...

    def wait(self) -> Any: ...


class SyncQueue(Protocol):
    def put(self, item: Any) -> None: ...

    def get(self) -> Any: ...


class SyncTask(Protocol):
    def cancel(self) -> None: ...


class SyncBackend(Protocol):
    def connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        server_hostname: str | None,
        timeout: float,
    ) -> SyncStream: ...

    def create_waiter(self) -> SyncWaiter: ...

    def create_queue(self) -> SyncQueue: ...

    def core_lock(self) -> AbstractContextManager[Any]: ...

    def write_lock(self) -> AbstractContextManager[Any] | None: ...

    def spawn(self, function: Callable[[], None]) -> SyncTask: ...

    def wait_timeout(self, waiter: SyncWaiter, seconds: float) -> bool: ...

    def monotonic(self) -> float: ...

    def wait_for(self, waiter: SyncWaiter, timeout: float) -> Any:
        """``waiter.wait()``, raising ``TimeoutError`` after ``timeout`` seconds."""


# -- helpers for streams ---------------------------------------------------------

#: The most buffers one ``sendmsg`` is given (Linux's ``IOV_MAX``).
IOV_MAX = 1024
#: Buffers smaller than this are joined before they are written; larger ones
#: (message bodies) are written as they are, uncopied.  The same for received
#: chunks (see take_chunks).
JOIN_BELOW = 16 * 1024


def coalesce(buffers: list[Buffer]) -> list[Buffer]:
    """Join each run of small buffers into one ``bytes``; keep large ones as they are."""
    if len(buffers) <= 1:
        return buffers
    if max(map(len, buffers)) < JOIN_BELOW:
        # The common case (many small frames: publishes written behind, acks):
        # one join, the sizes checked in C rather than in the loop below.
        return [b"".join(buffers)]
    parts: list[Buffer] = []
    small: list[Buffer] = []
    for buffer in buffers:
        if len(buffer) < JOIN_BELOW:
            small.append(buffer)
            continue
        if small:
            parts.append(b"".join(small) if len(small) > 1 else small[0])
            small = []
        parts.append(buffer)
    if small:
        parts.append(b"".join(small) if len(small) > 1 else small[0])
    return parts


def unsent(buffers: list[Buffer], sent: int) -> list[Buffer]:
    """What is left of ``buffers`` once their first ``sent`` bytes went out."""
    index = 0
    while index < len(buffers) and sent >= len(buffers[index]):
        sent -= len(buffers[index])
        index += 1
    rest = buffers[index:]
    if sent and rest:
        rest[0] = memoryview(rest[0])[sent:]
    return rest


def take_chunks(chunks: list[bytes], max_bytes: int) -> bytes:
    """Take from the front of ``chunks`` (received, not yet read) what one read returns.

    Whole chunks only, at least one (so a chunk larger than ``max_bytes``
    comes out whole, uncopied), joined up to ``max_bytes``.  Only small
    chunks are joined, for fewer calls into the decoder; a large one
    (:data:`JOIN_BELOW` or more: a large body's, mostly) comes out alone,
    uncopied, since the decoder keeps large body frames as views of what it
    is fed (joining them here would copy a large body once more).  For
    streams fed by a transport's callbacks (asyncio's, Twisted's).
    """
    first = len(chunks[0])
    if len(chunks) == 1 or first >= max_bytes or first >= JOIN_BELOW:
        return chunks.pop(0)
    taken = size = 0
    for chunk in chunks:
        if size + len(chunk) > max_bytes or len(chunk) >= JOIN_BELOW:
            break
        size += len(chunk)
        taken += 1
    data = b"".join(chunks[:taken])
    del chunks[:taken]
    return data
