"""Lifecycle details of the adapters against the real broker.

- A consumer cancelled from another task (or thread) ends its iteration.
- Closing a blocking connection with heartbeats on does not wait for the
  heartbeat timer to wake up: the timer thread ends with the connection.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from amqproto.io.asyncio import AsyncioConnection, AsyncioMessage
from amqproto.io.blocking import BlockingConnection, BlockingMessage

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
