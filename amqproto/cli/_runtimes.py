"""The adapters ``amqproto perf`` can drive, behind one small interface.

``perf`` is written once, as coroutines, against the protocols below: the
few connection, channel and consumer methods it calls, which the async
adapters' own classes satisfy as they are.  A :class:`Runtime` supplies the
rest: how to build a connection, run the main coroutine, sleep, and run
workers concurrently.

The blocking adapter has no coroutines, so its runtime wraps its objects in
shims whose ``async def`` methods call the blocking ones and return: such a
coroutine never suspends, and :func:`_drive` runs it to its end with one
``send(None)``.  Each worker gets a thread, so the blocking adapter is
measured as it is used, one thread per connection, and ``perf`` still has a
single implementation.

Adding an adapter is writing its :class:`Runtime` (a few lines: see
:class:`TrioRuntime`, :class:`TwistedRuntime`) and adding a line to
:data:`ADAPTERS`; the factory imports the I/O library only
when that adapter is chosen, so an optional dependency that is not installed
costs nothing until then.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any, Protocol, TypeVar

from .. import Connection
from ..io.blocking import BlockingChannel, BlockingConnection, BlockingConsumer, BlockingMessage
from ..observer import Observer
from ..schema import QueueDeclareOk, QueueDeleteOk
from ..schema.types import FieldTable

__all__ = [
    "PerfMessage",
    "PerfConsumer",
    "PerfChannel",
    "PerfConnection",
    "Runtime",
    "Worker",
    "ADAPTERS",
    "AdapterUnavailable",
    "runtime_for",
]

T = TypeVar("T")
#: What :meth:`Runtime.run_all` runs: a coroutine function that returns nothing.
Worker = Callable[[], Coroutine[Any, Any, None]]


class PerfMessage(Protocol):
    """A consumed message, as far as ``perf`` looks at it."""

    @property
    def body(self) -> bytes: ...

    @property
    def delivery_tag(self) -> int: ...


class PerfConsumer(Protocol):
    async def start(self) -> None: ...

    async def cancel(self) -> None: ...

    def __aiter__(self) -> AsyncIterator[PerfMessage]: ...


class PerfChannel(Protocol):
    @property
    def id(self) -> int: ...

    async def basic_qos(self, prefetch_size: int = 0, prefetch_count: int = 0) -> object: ...

    async def confirm_select(self) -> object: ...

    async def basic_publish(
        self, body: bytes, exchange: str = "", routing_key: str = "", *, wait: bool = True
    ) -> int | None: ...

    async def wait_for_confirms(self, max_unconfirmed: int = 0) -> None: ...

    async def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None: ...

    def basic_consume(
        self, queue: str = "", consumer_tag: str = "", *, no_ack: bool = False
    ) -> PerfConsumer: ...

    async def queue_declare(
        self, queue: str = "", *, durable: bool = False, arguments: FieldTable | None = None
    ) -> QueueDeclareOk: ...

    async def queue_delete(self, queue: str = "") -> QueueDeleteOk: ...


class PerfConnection(Protocol):
    @property
    def core(self) -> Connection: ...

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def channel(self) -> PerfChannel: ...


class Runtime(Protocol):
    """How ``perf`` uses one adapter and its I/O library."""

    def connection(self, url: str, name: str, observer: Observer) -> PerfConnection:
        """A connection (not yet connected) named ``name`` in the management UI, reporting to ``observer``."""
        ...

    def run(self, main: Worker) -> None:
        """Run ``main()`` to its end, as the program's top level."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep; ``sleep(0)`` lets the other workers run."""
        ...

    async def run_all(self, workers: Sequence[Worker]) -> None:
        """Run the workers concurrently and wait for them all; re-raise the first error."""
        ...


class AdapterUnavailable(Exception):
    """The adapter's I/O library is not installed; the message says what to install."""


def _client_properties(name: str) -> dict[str, Any]:
    return {"connection_name": name}


class AsyncioRuntime:
    """The asyncio adapter on asyncio's default event loop."""

    def connection(self, url: str, name: str, observer: Observer) -> PerfConnection:
        from ..io.asyncio import AsyncioConnection

        return AsyncioConnection(url, client_properties=_client_properties(name), observer=observer)

    def run(self, main: Worker) -> None:
        asyncio.run(main())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def run_all(self, workers: Sequence[Worker]) -> None:
        await asyncio.gather(*(worker() for worker in workers))


class UvloopRuntime(AsyncioRuntime):
    """The asyncio adapter on uvloop's event loop."""

    def __init__(self) -> None:
        try:
            import uvloop
        except ImportError:
            raise AdapterUnavailable(
                "the uvloop adapter needs uvloop: pip install 'amqproto[uvloop]'"
            ) from None
        self._uvloop = uvloop

    def run(self, main: Worker) -> None:
        self._uvloop.run(main())


class CurioRuntime:
    """The curio adapter."""

    def __init__(self) -> None:
        try:
            import curio

            from ..io.curio import CurioConnection
        except (ImportError, AttributeError):  # AttributeError: curio 1.6 on CPython 3.12+
            raise AdapterUnavailable("the curio adapter needs curio: pip install 'amqproto[curio]'") from None
        self._curio = curio
        self._connection_class = CurioConnection

    def connection(self, url: str, name: str, observer: Observer) -> PerfConnection:
        return self._connection_class(url, client_properties=_client_properties(name), observer=observer)

    def run(self, main: Worker) -> None:
        self._curio.run(main)

    async def sleep(self, seconds: float) -> None:
        await self._curio.sleep(seconds)

    async def run_all(self, workers: Sequence[Worker]) -> None:
        curio = self._curio
        tasks = [await curio.spawn(worker) for worker in workers]
        first_error: BaseException | None = None
        for task in tasks:
            try:
                await task.join()
            except curio.TaskError as exc:
                first_error = first_error or exc.__cause__ or exc
        if first_error is not None:
            raise first_error


class TrioRuntime:
    """The trio adapter."""

    def __init__(self) -> None:
        try:
            import trio

            from ..io.trio import TrioConnection
        except ImportError:
            raise AdapterUnavailable("the trio adapter needs trio: pip install 'amqproto[trio]'") from None
        self._trio = trio
        self._connection_class = TrioConnection

    def connection(self, url: str, name: str, observer: Observer) -> PerfConnection:
        return self._connection_class(url, client_properties=_client_properties(name), observer=observer)

    def run(self, main: Worker) -> None:
        self._trio.run(main)

    async def sleep(self, seconds: float) -> None:
        await self._trio.sleep(seconds)

    async def run_all(self, workers: Sequence[Worker]) -> None:
        # A nursery cancels the others when one fails, and raises an
        # ExceptionGroup: collect the errors instead, as the other runtimes do.
        errors: list[BaseException] = []

        async def run_one(worker: Worker) -> None:
            try:
                await worker()
            except Exception as exc:  # noqa: BLE001 - re-raised once every worker ended
                errors.append(exc)

        async with self._trio.open_nursery() as nursery:
            for worker in workers:
                nursery.start_soon(run_one, worker)
        if errors:
            raise errors[0]


class TwistedRuntime:
    """The Twisted adapter, on the installed reactor (Twisted's default unless one was installed).

    ``run`` runs the reactor until ``main()`` ends; a reactor cannot run
    twice in a process, so where one already runs in another thread (a
    program embedding ``perf``, the test suite), ``main()`` runs there and
    ``run`` waits for it.
    """

    def __init__(self) -> None:
        try:
            from twisted.internet import defer

            from ..io.twisted import TwistedConnection
        except ImportError:
            raise AdapterUnavailable(
                "the twisted adapter needs Twisted: pip install 'amqproto[twisted]'"
            ) from None
        self._defer = defer
        self._connection_class = TwistedConnection

    def connection(self, url: str, name: str, observer: Observer) -> PerfConnection:
        return self._connection_class(url, client_properties=_client_properties(name), observer=observer)

    def run(self, main: Worker) -> None:
        from twisted.internet import reactor as installed
        from twisted.internet import threads

        reactor: Any = installed  # the module stands for the installed reactor: untyped
        defer = self._defer
        if reactor.running:
            threads.blockingCallFromThread(reactor, lambda: defer.Deferred.fromCoroutine(main()))
            return
        outcome: list[BaseException] = []

        async def top() -> None:
            try:
                await main()
            except BaseException as exc:  # noqa: BLE001 - re-raised once the reactor stopped
                outcome.append(exc)
            finally:
                reactor.stop()

        reactor.callWhenRunning(lambda: defer.Deferred.fromCoroutine(top()))
        reactor.run()
        if outcome:
            raise outcome[0]

    async def sleep(self, seconds: float) -> None:
        from twisted.internet import reactor, task

        await task.deferLater(reactor, seconds)

    async def run_all(self, workers: Sequence[Worker]) -> None:
        defer = self._defer
        results = await defer.DeferredList(
            [defer.Deferred.fromCoroutine(worker()) for worker in workers], consumeErrors=True
        )
        for succeeded, result in results:
            if not succeeded:
                result.raiseException()


# -- the blocking adapter, behind coroutines that never suspend ---------------


def _drive(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (it only calls blocking code)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a blocking-adapter coroutine suspended")


class _BlockingConsumer:
    __slots__ = ("_consumer",)

    def __init__(self, consumer: BlockingConsumer) -> None:
        self._consumer = consumer

    async def start(self) -> None:
        self._consumer.start()

    async def cancel(self) -> None:
        self._consumer.cancel()

    def __aiter__(self) -> AsyncIterator[PerfMessage]:
        return self

    async def __anext__(self) -> BlockingMessage:
        try:
            return next(self._consumer)
        except StopIteration:
            raise StopAsyncIteration from None


class _BlockingChannel:
    __slots__ = ("_channel",)

    def __init__(self, channel: BlockingChannel) -> None:
        self._channel = channel

    @property
    def id(self) -> int:
        return self._channel.id

    async def basic_qos(self, prefetch_size: int = 0, prefetch_count: int = 0) -> object:
        return self._channel.basic_qos(prefetch_size, prefetch_count)

    async def confirm_select(self) -> object:
        return self._channel.confirm_select()

    async def basic_publish(
        self, body: bytes, exchange: str = "", routing_key: str = "", *, wait: bool = True
    ) -> int | None:
        return self._channel.basic_publish(body, exchange, routing_key, wait=wait)

    async def wait_for_confirms(self, max_unconfirmed: int = 0) -> None:
        self._channel.wait_for_confirms(max_unconfirmed)

    async def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        self._channel.basic_ack(delivery_tag, multiple)

    def basic_consume(self, queue: str = "", consumer_tag: str = "", *, no_ack: bool = False) -> PerfConsumer:
        return _BlockingConsumer(self._channel.basic_consume(queue, consumer_tag, no_ack=no_ack))

    async def queue_declare(
        self, queue: str = "", *, durable: bool = False, arguments: FieldTable | None = None
    ) -> QueueDeclareOk:
        return self._channel.queue_declare(queue, durable=durable, arguments=arguments)

    async def queue_delete(self, queue: str = "") -> QueueDeleteOk:
        return self._channel.queue_delete(queue)


class _BlockingConnection:
    __slots__ = ("_connection",)

    def __init__(self, connection: BlockingConnection) -> None:
        self._connection = connection

    @property
    def core(self) -> Connection:
        return self._connection.core

    async def connect(self) -> None:
        self._connection.connect()

    async def close(self) -> None:
        self._connection.close()

    async def channel(self) -> PerfChannel:
        return _BlockingChannel(self._connection.channel())


class BlockingRuntime:
    """The blocking adapter: a thread per worker (see the module header)."""

    def connection(self, url: str, name: str, observer: Observer) -> PerfConnection:
        return _BlockingConnection(
            BlockingConnection(url, client_properties=_client_properties(name), observer=observer)
        )

    def run(self, main: Worker) -> None:
        _drive(main())

    async def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def run_all(self, workers: Sequence[Worker]) -> None:
        errors: list[BaseException] = []

        def run_one(worker: Worker) -> None:
            try:
                _drive(worker())
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
                errors.append(exc)

        threads = [
            threading.Thread(target=run_one, args=(worker,), name=f"amqproto-perf-{index}", daemon=True)
            for index, worker in enumerate(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]


#: ``--adapter`` choices: each name and the factory of its runtime.
ADAPTERS: dict[str, Callable[[], Runtime]] = {
    "asyncio": AsyncioRuntime,
    "uvloop": UvloopRuntime,
    "curio": CurioRuntime,
    "trio": TrioRuntime,
    "twisted": TwistedRuntime,
    "blocking": BlockingRuntime,
}


def runtime_for(adapter: str) -> Runtime:
    """The runtime of ``adapter`` (a key of :data:`ADAPTERS`).

    Raises:
        AdapterUnavailable: its I/O library is not installed.
    """
    return ADAPTERS[adapter]()
