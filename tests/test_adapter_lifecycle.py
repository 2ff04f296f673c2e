"""Lifecycle details of the adapters against the real broker.

- A consumer cancelled from another task (or thread) ends its iteration.
- On trio, a cancel scope around a call or an iteration leaves the channel
  and the consumer usable, and the connection's tasks live in a nursery
  that ends with it, recovery's included; a bare connect() and close() run
  anywhere; on Twisted, cancelling the Deferred of an iteration
  leaves them usable too.
- Closing a blocking connection with heartbeats on does not wait for the
  heartbeat timer to wake up: the timer thread ends with the connection.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
import trio

from amqproto.io.asyncio import AsyncioConnection, AsyncioMessage
from amqproto.io.blocking import BlockingConnection, BlockingMessage
from amqproto.io.recovery import Recovery
from amqproto.io.trio import TrioConnection
from amqproto.io.twisted import TwistedConnection

from .async_runner import run
from .integration.broker import close_connection_named, unique
from .optional import HAVE_CURIO, needs_curio

if HAVE_CURIO:  # curio imports on CPython < 3.12 only: see tests/optional.py
    import curio

    from amqproto.io.curio import CurioConnection, CurioMessage

pytestmark = pytest.mark.broker


def test_asyncio_cancel_from_another_task_ends_iteration() -> None:
    async def main() -> list[bytes]:
        async with AsyncioConnection() as connection, connection.get_channel() as channel:
            queue = (await channel.queue_declare("", exclusive=True)).queue
            await channel.basic_publish(b"one", routing_key=queue)
            received: list[bytes] = []
            async with channel.basic_consume(queue, no_ack=True) as consumer:

                async def iterate() -> None:
                    message: AsyncioMessage
                    async for message in consumer:
                        received.append(message.body)
                        await consumer.cancel()

                await asyncio.wait_for(iterate(), timeout=10)
            return received

    assert asyncio.run(main()) == [b"one"]


@needs_curio
def test_curio_cancel_from_another_task_ends_iteration() -> None:
    async def main() -> list[bytes]:
        async with CurioConnection() as connection, connection.get_channel() as channel:
            queue = (await channel.queue_declare("", exclusive=True)).queue
            received: list[bytes] = []
            async with channel.basic_consume(queue, no_ack=True) as consumer:

                async def iterate() -> None:
                    message: CurioMessage  # checks the adapter's alias
                    async for message in consumer:
                        received.append(message.body)  # noqa: PERF401 - as in the asyncio twin

                task = await curio.spawn(iterate)
                await channel.basic_publish(b"two", routing_key=queue)
                await curio.sleep(0.2)
                await channel.basic_cancel(consumer.consumer_tag)
                await curio.timeout_after(10, task.join())
            return received

    assert curio.run(main) == [b"two"]


def test_blocking_cancel_from_another_thread_ends_iteration() -> None:
    with BlockingConnection() as connection, connection.get_channel() as channel:
        queue = channel.queue_declare("", exclusive=True).queue
        received: list[bytes] = []
        with channel.basic_consume(queue, no_ack=True) as consumer:

            def iterate() -> None:
                message: BlockingMessage  # checks the adapter's alias
                for message in consumer:
                    received.append(message.body)  # noqa: PERF401 - as in the asyncio twin

            thread = threading.Thread(target=iterate)
            thread.start()
            channel.basic_publish(b"three", routing_key=queue)
            threading.Event().wait(0.2)
            consumer.cancel()
            thread.join(timeout=10)
            assert not thread.is_alive()
    assert received == [b"three"]


def test_blocking_close_ends_the_heartbeat_timer_thread() -> None:
    connection = BlockingConnection(heartbeat=60)
    connection.connect()
    assert connection.core.heartbeat == 60
    timers = [t for t in threading.enumerate() if t.name.startswith("amqproto-_run_timer")]
    assert timers, "the heartbeat timer thread should run while the connection is open"
    connection.close()
    for timer in timers:
        timer.join(timeout=5)
        assert not timer.is_alive()


def test_trio_cancel_scopes_leave_the_channel_and_the_consumer_usable() -> None:
    async def main() -> list[bytes]:
        async with TrioConnection() as connection, connection.get_channel() as channel:
            queue = (await channel.queue_declare("", exclusive=True)).queue
            received: list[bytes] = []
            async with channel.basic_consume(queue, no_ack=True) as consumer:
                first = trio.Event()

                async def iterate(scope: trio.CancelScope) -> None:
                    with scope:
                        async for message in consumer:
                            received.append(message.body)
                            first.set()

                async with trio.open_nursery() as nursery:
                    scope = trio.CancelScope()
                    nursery.start_soon(iterate, scope)
                    await channel.basic_publish(b"one", routing_key=queue)
                    await first.wait()
                    scope.cancel()  # while the iteration waits for the next message
                await channel.basic_publish(b"two", routing_key=queue)
                async for message in consumer:
                    received.append(message.body)
                    break
            # A call cancelled before its reply: the channel goes on.
            with trio.CancelScope() as scope:
                scope.cancel()
                await channel.queue_declare(queue, passive=True)
            assert (await channel.queue_declare(queue, passive=True)).queue == queue
            # A cancel scope around a consumer's whole block: the consumer ends
            # (here and at the broker), the channel goes on.
            with trio.CancelScope() as scope:
                async with channel.basic_consume(queue, no_ack=True) as cancelled:
                    scope.cancel()
                    async for _message in cancelled:
                        pass
            received.extend([message.body async for message in cancelled])  # nothing: it ended
            assert (await channel.queue_declare(queue, passive=True)).consumer_count == 0
            return received

    assert trio.run(main) == [b"one", b"two"]


def test_trio_connection_tasks_live_in_its_nursery_and_end_with_it() -> None:
    async def main() -> None:
        here = trio.lowlevel.current_task()
        async with TrioConnection(heartbeat=5):
            (nursery,) = here.child_nurseries
            assert nursery.child_tasks  # the reader, the heartbeat timer, ...
        assert here.child_nurseries == []

        # In a nursery of the caller's: the connection's tasks end with close().
        async with trio.open_nursery() as outer:
            async with TrioConnection(heartbeat=5, nursery=outer):
                assert outer.child_tasks
            assert not outer.child_tasks

    trio.run(main)


def test_trio_recovery_starts_its_tasks_in_the_connections_nursery() -> None:
    """The recovery task and the new generation's reader and timer run in the nursery, and end with it."""
    name = unique("connection")

    def names(nursery: trio.Nursery) -> list[str]:
        return sorted(task.name for task in nursery.child_tasks)

    async def main() -> None:
        here = trio.lowlevel.current_task()
        root = trio.lowlevel.current_root_task()
        assert root is not None
        system_tasks = len(root.child_nurseries[0].child_tasks)
        recovered = trio.Event()
        connection = TrioConnection(
            heartbeat=5, client_properties={"connection_name": name}, recovery=Recovery(initial_delay=0.05)
        )
        connection.add_recovered_callback(recovered.set)
        async with connection:
            (nursery,) = here.child_nurseries
            # The tasks themselves, not their id()s: an ended task's id may
            # be reused by a new one.  (Tasks compare by identity.)
            before = set(nursery.child_tasks)
            assert any("_read_forever" in task for task in names(nursery))
            await trio.to_thread.run_sync(close_connection_named, name, "recover in the nursery")
            with trio.fail_after(30):
                await recovered.wait()
            assert connection.is_open
            after = names(nursery)
            assert any("_read_forever" in task for task in after), after
            assert any("_run_timer" in task for task in after), after
            assert set(nursery.child_tasks) - before  # new tasks, there
            async with connection.get_channel() as channel:
                await channel.queue_declare("", exclusive=True)
        assert here.child_nurseries == []
        # Nothing ran outside the nursery (as a system task).
        assert len(root.child_nurseries[0].child_tasks) == system_tasks

    trio.run(main)


def test_trio_connect_and_close_outside_async_with_run_anywhere() -> None:
    """A bare connect(): the tasks are system tasks, and close() may run under any cancel scope."""

    async def main() -> None:
        connection = TrioConnection(heartbeat=5)
        await connection.connect()
        async with connection.get_channel() as channel:
            await channel.queue_declare("", exclusive=True)
        with trio.move_on_after(30):
            await connection.close()
        assert not connection.is_open

    trio.run(main)


def test_twisted_cancelling_an_iteration_leaves_the_channel_and_the_consumer_usable() -> None:
    async def main() -> list[bytes]:
        from twisted.internet import defer
        from twisted.internet import reactor as installed

        reactor: Any = installed
        async with TwistedConnection() as connection, connection.get_channel() as channel:
            queue = (await channel.queue_declare("", exclusive=True)).queue
            received: list[bytes] = []
            async with channel.basic_consume(queue, no_ack=True) as consumer:
                first: defer.Deferred[None] = defer.Deferred()

                async def iterate() -> None:
                    async for message in consumer:
                        received.append(message.body)
                        if not first.called:
                            # On the reactor's next turn, once this iteration waits
                            # again (a Deferred fired here would run the test's
                            # coroutine inside this one's frame).
                            reactor.callLater(0, first.callback, None)

                iteration = defer.Deferred.fromCoroutine(iterate())
                await channel.basic_publish(b"one", routing_key=queue)
                await first
                iteration.cancel()  # while the iteration waits for the next message
                with pytest.raises(defer.CancelledError):
                    await iteration
                await channel.basic_publish(b"two", routing_key=queue)
                async for message in consumer:
                    received.append(message.body)
                    break
            # A call whose Deferred is cancelled before its reply: the channel goes on.
            call = defer.Deferred.fromCoroutine(channel.queue_declare(queue, passive=True))
            call.cancel()
            with pytest.raises(defer.CancelledError):
                await call
            assert (await channel.queue_declare(queue, passive=True)).queue == queue
            return received

    assert run("twisted", main, 30) == [b"one", b"two"]
