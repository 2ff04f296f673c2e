"""Tutorial two, "Work queues", on trio: distribute tasks among workers.

``new_task`` sends persistent messages to a durable queue.  Each ``worker``
takes one task at a time (``prefetch_count=1``: fair dispatch), "works" for a
while per dot in the task, and acks only when done, so a task whose worker
dies goes to another.  Workers run until their queue is deleted.

https://www.rabbitmq.com/tutorials/tutorial-two-python

Run: ``python -m examples.trio.work_queues``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import trio

from amqproto import BasicProperties, DeliveryMode
from amqproto.exceptions import ConsumerCancelledError
from amqproto.io.trio import TrioConnection

URL = "amqp://guest:guest@localhost:5672/%2F"
TASKS = ("First message.", "Second message..", "Third message...", "Fourth message....", "Fifth message.....")
#: How long a worker "works" per dot in a task.
SECONDS_PER_DOT = 0.05


async def new_task(queue: str, tasks: Sequence[str], url: str = URL) -> None:
    async with TrioConnection(url) as connection, connection.get_channel() as channel:
        await channel.queue_declare(queue, durable=True)
        for task in tasks:
            await channel.basic_publish(
                task.encode(),
                routing_key=queue,
                properties=BasicProperties(delivery_mode=DeliveryMode.PERSISTENT),
            )
            print(f" [x] Sent {task!r}")


async def worker(
    name: str, queue: str, done: trio.MemorySendChannel[tuple[str, str]], url: str = URL
) -> None:
    """Work on tasks from ``queue``, reporting each one to ``done``, until the queue is deleted."""
    async with TrioConnection(url) as connection, connection.get_channel() as channel:
        await channel.queue_declare(queue, durable=True)
        await channel.basic_qos(prefetch_count=1)
        try:
            async with channel.basic_consume(queue) as consumer:
                async for message in consumer:
                    task = message.body.decode()
                    print(f" [{name}] Received {task!r}")
                    await trio.sleep(task.count(".") * SECONDS_PER_DOT)
                    await message.ack()
                    await done.send((name, task))
        except ConsumerCancelledError:
            print(f" [{name}] The queue was deleted: stopping")


async def main(
    tasks: Sequence[str] = TASKS, queue: str = "task_queue", workers: int = 2, url: str = URL
) -> list[tuple[str, str]]:
    """Run ``workers`` workers on ``tasks``; returns ``(worker, task)`` in the order they finished."""
    send, receive = trio.open_memory_channel[tuple[str, str]](math.inf)
    async with trio.open_nursery() as nursery:
        for number in range(1, workers + 1):
            nursery.start_soon(worker, f"worker {number}", queue, send, url)
        try:
            await new_task(queue, tasks, url)
            finished = [await receive.receive() for _ in tasks]
        finally:
            # Deleting the queue cancels the workers' consumers, which stops them.
            async with TrioConnection(url) as connection, connection.get_channel() as channel:
                await channel.queue_delete(queue)
    return finished


if __name__ == "__main__":
    for name, task in trio.run(main):
        print(f"{name} did {task!r}")
