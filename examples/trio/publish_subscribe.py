"""Tutorial three, "Publish/Subscribe", on trio: a fanout exchange gives every subscriber every log.

Each subscriber binds its own exclusive, server-named queue to the ``logs``
exchange; the broker deletes the queue when the subscriber disconnects, and
the exchange (``auto_delete``) once its last queue is gone.

https://www.rabbitmq.com/tutorials/tutorial-three-python

Run: ``python -m examples.trio.publish_subscribe``.
"""

from __future__ import annotations

from collections.abc import Sequence

import trio

from amqproto.io.trio import TrioConnection

URL = "amqp://guest:guest@localhost:5672/%2F"
LOGS = ("info: Hello World!", "warning: disk 91% full", "error: disk full")


async def emit_log(exchange: str, logs: Sequence[str], url: str = URL) -> None:
    async with TrioConnection(url) as connection, connection.get_channel() as channel:
        await channel.exchange_declare(exchange, "fanout", auto_delete=True)
        for log in logs:
            await channel.basic_publish(log.encode(), exchange)
            print(f" [x] Sent {log!r}")


async def receive_logs(exchange: str, count: int, ready: trio.Event, url: str = URL) -> list[str]:
    """Receive ``count`` logs; ``ready`` is set once the queue is bound."""
    logs: list[str] = []
    async with TrioConnection(url) as connection, connection.get_channel() as channel:
        await channel.exchange_declare(exchange, "fanout", auto_delete=True)
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.queue_bind(queue, exchange)
        async with channel.basic_consume(queue, no_ack=True) as consumer:
            print(f" [*] {queue} waiting for logs")
            ready.set()
            async for message in consumer:
                print(f" [x] {queue} received {message.body!r}")
                logs.append(message.body.decode())
                if len(logs) == count:
                    break
    return logs


async def main(
    logs: Sequence[str] = LOGS, exchange: str = "logs", subscribers: int = 2, url: str = URL
) -> list[list[str]]:
    """Emit ``logs`` to ``subscribers`` subscribers; returns what each one received."""
    ready = [trio.Event() for _ in range(subscribers)]
    received: list[list[str]] = [[] for _ in ready]

    async def subscribe(index: int) -> None:
        received[index] = await receive_logs(exchange, len(logs), ready[index], url)

    async with trio.open_nursery() as nursery:
        for index in range(subscribers):
            nursery.start_soon(subscribe, index)
        for event in ready:
            await event.wait()
        await emit_log(exchange, logs, url)
    return received


if __name__ == "__main__":
    for number, received in enumerate(trio.run(main), 1):
        print(f"subscriber {number} received {received}")
