"""Tutorial three, "Publish/Subscribe", on blocking sockets: a fanout exchange gives everyone every log.

Each subscriber (a thread here) binds its own exclusive, server-named queue
to the ``logs`` exchange; the broker deletes the queue when the subscriber
disconnects, and the exchange (``auto_delete``) once its last queue is gone.

https://www.rabbitmq.com/tutorials/tutorial-three-python

Run: ``python -m examples.blocking.publish_subscribe``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from amqproto.io.blocking import BlockingConnection

URL = "amqp://guest:guest@localhost:5672/%2F"
LOGS = ("info: Hello World!", "warning: disk 91% full", "error: disk full")


def emit_log(exchange: str, logs: Sequence[str], url: str = URL) -> None:
    with BlockingConnection(url) as connection, connection.get_channel() as channel:
        channel.exchange_declare(exchange, "fanout", auto_delete=True)
        for log in logs:
            channel.basic_publish(log.encode(), exchange)
            print(f" [x] Sent {log!r}")


def receive_logs(exchange: str, count: int, ready: threading.Event, url: str = URL) -> list[str]:
    """Receive ``count`` logs; ``ready`` is set once the queue is bound."""
    logs: list[str] = []
    with BlockingConnection(url) as connection, connection.get_channel() as channel:
        channel.exchange_declare(exchange, "fanout", auto_delete=True)
        queue = channel.queue_declare(exclusive=True).queue
        channel.queue_bind(queue, exchange)
        with channel.basic_consume(queue, no_ack=True) as consumer:
            print(f" [*] {queue} waiting for logs")
            ready.set()
            for message in consumer:
                print(f" [x] {queue} received {message.body!r}")
                logs.append(message.body.decode())
                if len(logs) == count:
                    break
    return logs


def main(
    logs: Sequence[str] = LOGS, exchange: str = "logs", subscribers: int = 2, url: str = URL
) -> list[list[str]]:
    """Emit ``logs`` to ``subscribers`` subscriber threads; returns what each one received."""
    ready = [threading.Event() for _ in range(subscribers)]
    with ThreadPoolExecutor(subscribers) as pool:
        threads = [pool.submit(receive_logs, exchange, len(logs), event, url) for event in ready]
        for event, thread in zip(ready, threads, strict=True):
            if not event.wait(timeout=10):
                thread.result(timeout=0)  # re-raises what stopped the subscriber
        emit_log(exchange, logs, url)
        return [thread.result() for thread in threads]


if __name__ == "__main__":
    for number, received in enumerate(main(), 1):
        print(f"subscriber {number} received {received}")
