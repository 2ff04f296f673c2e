"""Tutorial four, "Routing", on Twisted: a direct exchange routes logs by severity.

Each subscriber binds its queue to ``direct_logs`` once per severity it
wants.  The emitter publishes in confirm mode with ``mandatory=True``, so a
log that no queue is bound for comes back: ``basic_publish`` raises
:class:`~amqproto.exceptions.UnroutableError`.

https://www.rabbitmq.com/tutorials/tutorial-four-python

Run: ``python -m examples.twisted.routing``.
"""

from __future__ import annotations

from collections.abc import Sequence

from twisted.internet import defer
from twisted.internet.task import react

from amqproto.exceptions import UnroutableError
from amqproto.io.twisted import TwistedConnection

URL = "amqp://guest:guest@localhost:5672/%2F"
#: A log: (severity, message).
Log = tuple[str, str]
LOGS = (
    ("info", "Hello World!"),
    ("warning", "disk 91% full"),
    ("error", "disk full"),
    ("debug", "cache hit"),
    ("info", "Goodbye"),
)
#: The severities of each subscriber: one saves errors to disk, one prints everything else.
BINDINGS = (("error",), ("info", "warning", "error"))


async def emit_log_direct(exchange: str, logs: Sequence[Log], url: str = URL) -> list[Log]:
    """Publish each ``(severity, message)``; returns those that nobody subscribed to."""
    unroutable: list[Log] = []
    async with TwistedConnection(url) as connection, connection.get_channel() as channel:
        await channel.exchange_declare(exchange, "direct", auto_delete=True)
        await channel.confirm_select()
        for severity, message in logs:
            try:
                await channel.basic_publish(message.encode(), exchange, severity, mandatory=True)
                print(f" [x] Sent {severity}: {message!r}")
            except UnroutableError:
                print(f" [!] Nobody wants {severity} logs: {message!r} came back")
                unroutable.append((severity, message))
    return unroutable


async def receive_logs_direct(
    exchange: str, severities: Sequence[str], count: int, ready: defer.Deferred[None], url: str = URL
) -> list[Log]:
    """Receive ``count`` logs of the given severities; ``ready`` is set once the queue is bound."""
    logs: list[Log] = []
    async with TwistedConnection(url) as connection, connection.get_channel() as channel:
        await channel.exchange_declare(exchange, "direct", auto_delete=True)
        queue = (await channel.queue_declare(exclusive=True)).queue
        for severity in severities:
            await channel.queue_bind(queue, exchange, routing_key=severity)
        async with channel.basic_consume(queue, no_ack=True) as consumer:
            print(f" [*] {queue} waiting for {', '.join(severities)} logs")
            ready.callback(None)
            async for message in consumer:
                print(f" [x] {queue} received {message.routing_key}: {message.body!r}")
                logs.append((message.routing_key, message.body.decode()))
                if len(logs) == count:
                    break
    return logs


async def main(
    logs: Sequence[Log] = LOGS,
    bindings: Sequence[Sequence[str]] = BINDINGS,
    exchange: str = "direct_logs",
    url: str = URL,
) -> tuple[list[list[Log]], list[Log]]:
    """Emit ``logs`` to one subscriber per entry of ``bindings``.

    Returns what each subscriber received, and the logs nobody subscribed to.
    """
    ready: list[defer.Deferred[None]] = [defer.Deferred() for _ in bindings]
    subscribed = []
    for severities, event in zip(bindings, ready, strict=True):
        count = sum(severity in severities for severity, _ in logs)
        subscribed.append(
            defer.Deferred.fromCoroutine(receive_logs_direct(exchange, severities, count, event, url))
        )
    for event in ready:
        await event
    unroutable = await emit_log_direct(exchange, logs, url)
    return await defer.gatherResults(subscribed), unroutable


if __name__ == "__main__":

    async def show() -> None:
        received, unroutable = await main()
        for severities, logs in zip(BINDINGS, received, strict=True):
            print(f"the {'/'.join(severities)} subscriber received {logs}")
        print(f"nobody received {unroutable}")

    react(lambda reactor: defer.Deferred.fromCoroutine(show()))
