"""The backend interface: how to put amqproto on another I/O library.

Every async adapter is the same connection, channel and consumer code
(:class:`amqproto.io._async.connection.AsyncConnection`) run on a different
*backend*: an object with a handful of primitives, described here as
``typing.Protocol`` classes.  asyncio (:mod:`amqproto.io.asyncio`), curio
(:mod:`amqproto.io.curio`), trio (:mod:`amqproto.io.trio`) and Twisted
(:mod:`amqproto.io.twisted`) are its users, each in a couple of hundred
lines; read them as worked examples.  The blocking adapter's code is
generated from the async one and runs on a :class:`SyncBackend`.

Adding an I/O library
---------------------
Write a class that has the methods of :class:`AsyncBackend`, and a
connection class that names an instance of it::

    from typing import ClassVar
    from amqproto.io.backend import AsyncBackend, AsyncConnection

    class MyLibConnection(AsyncConnection):
        backend: ClassVar[AsyncBackend] = MyLibBackend()

That is all: ``MyLibConnection`` then has the whole API (channels, typed
replies, consumers, confirms, heartbeats, TLS, timeouts).  One backend
object serves every connection of the class, so keep per-connection state
in the objects it returns, not in the backend.

What each piece must do:

- ``connect(host, port, ssl_context, server_hostname, timeout)`` opens a TCP
  stream (and TLS with the given ``ssl.SSLContext``, checking
  ``server_hostname``), raising ``OSError`` (``ssl.SSLError`` for TLS) when
  it cannot and ``TimeoutError`` after ``timeout`` seconds.  The stream
  (:class:`AsyncStream`) reads up to ``max_bytes`` (``b""`` at the end of the
  stream), writes a list of buffers in order (``writelines``; large ones are
  message bodies: avoid copying them), ``close()``\\ s politely, and
  ``abort()``\\ s at once: without flushing, failing any read or write
  blocked on it, or made later, with ``OSError``.  Its errors are
  ``OSError``\\ s.  A read and a write may be in progress at the same time,
  from two tasks.
- ``create_waiter()`` returns a one-shot result (:class:`AsyncWaiter`): set
  once (later sets are ignored), awaited by one task.  Setting it must not
  run the waiting task then and there: the connection sets waiters while it
  dispatches what it read, and expects the woken tasks to run afterwards,
  as asyncio's futures do (Twisted's Deferreds do not: see how
  :mod:`amqproto.io.twisted` defers the wake-up to the reactor's next turn).
- ``create_queue()``: an unbounded FIFO (:class:`AsyncQueue`).  A getter that
  is cancelled must never take an item with it.
- ``spawn(function)`` runs ``function()`` as a background task and returns
  a handle (:class:`AsyncTask`) whose ``cancel()`` stops it and, unless the
  task cancels itself, waits until it stopped.  Where the library has
  structured concurrency, give the tasks a scope that ends with the
  connection (:mod:`amqproto.io.trio` runs them in a nursery that
  ``async with`` opens; ``close`` cancels each).  Tasks are spawned while
  connecting and later too (recovery's task, a new generation's reader and
  timer), from the connection's tasks or a caller's: every spawn goes
  through the connection's ``_spawn``, which a connection class may
  override to say where its tasks go, as ``TrioConnection`` does.
- ``wait_timeout(waiter, seconds)`` waits until the waiter is set or the
  time is up (True if it was set); ``wait_for(waiter, timeout)`` is
  ``waiter.wait()`` raising ``TimeoutError``; ``monotonic()`` is the clock
  those two measure with.
- ``wake_all(waiters)`` (optional) sets the result of each waiter of the
  list that is not set yet to ``None``, as ``set_result(None)`` on each
  would: the connection wakes every publish an ack settles (and the readers
  of a run of deliveries) through it, once per ack.  Without it the
  connection calls ``set_result`` on each.
- ``core_lock()`` guards the sans-io core: a no-op context manager in any
  single-threaded library.  ``write_lock()`` is an async lock that keeps
  frames from interleaving, or ``None`` when the stream queues every write
  synchronously, in call order (asyncio's and Twisted's transports do).

Cancellation is the library's own: whatever it raises into a waiting task
(``asyncio.CancelledError``, trio's ``Cancelled``, Twisted's
``CancelledError``) goes through the shared code untouched, which leaves
the channel usable.

Helpers for streams: :func:`coalesce` joins runs of small buffers (keeping
bodies as they are), :func:`unsent` is what a partial gather write left,
:func:`take_chunks` is one read from chunks a transport's callbacks queued.

Test a new backend by adding its connection class to the real-broker
suite's ``CONNECTION_CLASSES`` (``tests/integration/_async/helpers.py``)
and teaching ``tests/async_runner.py`` how to run a coroutine on it.

An anyio program uses the adapter of the backend anyio runs on:
:class:`~amqproto.io.asyncio.AsyncioConnection` or
:class:`~amqproto.io.trio.TrioConnection`.
"""

from __future__ import annotations

from ._async.connection import AsyncConnection
from ._backend import (
    IOV_MAX,
    JOIN_BELOW,
    AsyncBackend,
    AsyncQueue,
    AsyncStream,
    AsyncTask,
    AsyncWaiter,
    Buffer,
    SyncBackend,
    SyncQueue,
    SyncStream,
    SyncTask,
    SyncWaiter,
    coalesce,
    take_chunks,
    unsent,
)

__all__ = [
    "AsyncConnection",
    "AsyncBackend",
    "AsyncStream",
    "AsyncWaiter",
    "AsyncQueue",
    "AsyncTask",
    "SyncBackend",
    "SyncStream",
    "SyncWaiter",
    "SyncQueue",
    "SyncTask",
    "Buffer",
    "coalesce",
    "take_chunks",
    "unsent",
    "IOV_MAX",
    "JOIN_BELOW",
]
