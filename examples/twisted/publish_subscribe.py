"""Tutorial three, "Publish/Subscribe", on Twisted: a fanout exchange gives every subscriber every log.

Each subscriber binds its own exclusive, server-named queue to the ``logs``
exchange; the broker deletes the queue when the subscriber disconnects, and
the exchange (``auto_delete``) once its last queue is gone.

https://www.rabbitmq.com/tutorials/tutorial-three-python

Run: ``python -m examples.twisted.publish_subscribe``.
"""

from __future__ import annotations

from collections.abc import Sequence

from twisted.internet import defer
from twisted.internet.task import react

from amqproto.io.twisted import TwistedConnection

URL = "amqp://guest:guest@localhost:5672/%2F"
LOGS = ("info: Hello World!", "warning: disk 91% full", "error: disk full")


async def emit_log(exchange: str, logs: Sequence[str], url: str = URL) -> None:
    async with TwistedConnection(url) as connection, connection.get_channel() as channel:
        await channel.exchange_declare(exchange, "fanout", auto_delete=True)
        for log in logs:
            await channel.basic_publish(log.encode(), exchange)
            print(f" [x] Sent {log!r}")


async def receive_logs(exchange: str, count: int, ready: defer.Deferred[None], url: str = URL) -> list[str]:
    """Receive ``count`` logs; ``ready`` is set once the queue is bound."""
    logs: list[str] = []
    async with TwistedConnection(url) as connection, connection.get_channel() as channel:
        await channel.exchange_declare(exchange, "fanout", auto_delete=True)
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.queue_bind(queue, exchange)
        async with channel.basic_consume(queue, no_ack=True) as consumer:
            print(f" [*] {queue} waiting for logs")
            ready.callback(None)
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
    ready: list[defer.Deferred[None]] = [defer.Deferred() for _ in range(subscribers)]
    subscribed = [
        defer.Deferred.fromCoroutine(receive_logs(exchange, len(logs), event, url)) for event in ready
    ]
    for event in ready:
        await event
    await emit_log(exchange, logs, url)
    return await defer.gatherResults(subscribed)


if __name__ == "__main__":

    async def show() -> None:
        for number, received in enumerate(await main(), 1):
            print(f"subscriber {number} received {received}")

    react(lambda reactor: defer.Deferred.fromCoroutine(show()))
