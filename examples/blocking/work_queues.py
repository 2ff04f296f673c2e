"""Tutorial two, "Work queues", on blocking sockets: distribute tasks among worker threads.

``new_task`` sends persistent messages to a durable queue.  Each ``worker``
takes one task at a time (``prefetch_count=1``: fair dispatch), "works" for a
while per dot in the task, and acks only when done, so a task whose worker
dies goes to another.  Workers run until their queue is deleted.

https://www.rabbitmq.com/tutorials/tutorial-two-python

Run: ``python -m examples.blocking.work_queues``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from queue import Queue

from amqproto import BasicProperties, DeliveryMode
from amqproto.exceptions import ConsumerCancelledError
from amqproto.io.blocking import BlockingConnection

URL = "amqp://guest:guest@localhost:5672/%2F"
TASKS = ("First message.", "Second message..", "Third message...", "Fourth message....", "Fifth message.....")
#: How long a worker "works" per dot in a task.
SECONDS_PER_DOT = 0.05


def new_task(queue: str, tasks: Sequence[str], url: str = URL) -> None:
    with BlockingConnection(url) as connection, connection.get_channel() as channel:
        channel.queue_declare(queue, durable=True)
        for task in tasks:
            channel.basic_publish(
                task.encode(),
                routing_key=queue,
                properties=BasicProperties(delivery_mode=DeliveryMode.PERSISTENT),
            )
            print(f" [x] Sent {task!r}")


def worker(name: str, queue: str, done: Queue[tuple[str, str]], url: str = URL) -> None:
    """Work on tasks from ``queue``, reporting each one to ``done``, until the queue is deleted."""
    with BlockingConnection(url) as connection, connection.get_channel() as channel:
        channel.queue_declare(queue, durable=True)
        channel.basic_qos(prefetch_count=1)
        try:
            with channel.basic_consume(queue) as consumer:
                for message in consumer:
                    task = message.body.decode()
                    print(f" [{name}] Received {task!r}")
                    time.sleep(task.count(".") * SECONDS_PER_DOT)
                    message.ack()
                    done.put((name, task))
        except ConsumerCancelledError:
            print(f" [{name}] The queue was deleted: stopping")


def main(
    tasks: Sequence[str] = TASKS, queue: str = "task_queue", workers: int = 2, url: str = URL
) -> list[tuple[str, str]]:
    """Run ``workers`` worker threads on ``tasks``; returns ``(worker, task)`` in the order they finished."""
    done: Queue[tuple[str, str]] = Queue()
    with ThreadPoolExecutor(workers) as pool:
        threads = [
            pool.submit(worker, f"worker {number}", queue, done, url) for number in range(1, workers + 1)
        ]
        try:
            new_task(queue, tasks, url)
            finished = [done.get(timeout=30) for _ in tasks]
        finally:
            # Deleting the queue cancels the workers' consumers, which stops them.
            with BlockingConnection(url) as connection, connection.get_channel() as channel:
                channel.queue_delete(queue)
        for thread in threads:
            thread.result()  # re-raises what a worker raised
    return finished


if __name__ == "__main__":
    for name, task in main():
        print(f"{name} did {task!r}")
