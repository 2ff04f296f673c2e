"""Tutorial five, "Topics", on trio: a topic exchange routes logs by patterns.

Routing keys are words separated by dots (``<facility>.<severity>``); a
binding key may use ``*`` for exactly one word and ``#`` for zero or more.
The emitter publishes in confirm mode with ``mandatory=True``, so a log that
matches no binding raises :class:`~amqproto.exceptions.UnroutableError`.

https://www.rabbitmq.com/tutorials/tutorial-five-python

Run: ``python -m examples.trio.topics``.
"""

from __future__ import annotations

from collections.abc import Sequence

import trio

from amqproto.exceptions import UnroutableError
from amqproto.io.trio import TrioConnection

URL = "amqp://guest:guest@localhost:5672/%2F"
#: A log: (routing key, message).
Log = tuple[str, str]
LOGS = (
    ("kern.critical", "A critical kernel error"),
    ("kern.info", "Kernel booted"),
    ("cron.critical", "crontab is corrupt"),
    ("cron.info", "Job started"),
    ("auth.warning", "3 failed logins"),
)
#: The binding keys of each subscriber.
BINDINGS = (("kern.*",), ("*.critical",), ("kern.*", "*.critical"))


def matches(binding_key: str, routing_key: str) -> bool:
    """Whether a topic binding key matches a routing key (to know how many logs to wait for)."""

    def match(pattern: list[str], words: list[str]) -> bool:
        if not pattern:
            return not words
        if pattern[0] == "#":
            return match(pattern[1:], words) or (bool(words) and match(pattern, words[1:]))
        return bool(words) and pattern[0] in ("*", words[0]) and match(pattern[1:], words[1:])

    return match(binding_key.split("."), routing_key.split("."))


async def emit_log_topic(exchange: str, logs: Sequence[Log], url: str = URL) -> list[Log]:
    """Publish each ``(routing key, message)``; returns those that matched no binding."""
    unroutable: list[Log] = []
    async with TrioConnection(url) as connection, connection.get_channel() as channel:
        await channel.exchange_declare(exchange, "topic", auto_delete=True)
        await channel.confirm_select()
        for routing_key, message in logs:
            try:
                await channel.basic_publish(message.encode(), exchange, routing_key, mandatory=True)
                print(f" [x] Sent {routing_key}: {message!r}")
            except UnroutableError:
                print(f" [!] Nobody wants {routing_key} logs: {message!r} came back")
                unroutable.append((routing_key, message))
    return unroutable


async def receive_logs_topic(
    exchange: str, binding_keys: Sequence[str], count: int, ready: trio.Event, url: str = URL
) -> list[Log]:
    """Receive ``count`` logs matching ``binding_keys``; ``ready`` is set once the queue is bound."""
    logs: list[Log] = []
    async with TrioConnection(url) as connection, connection.get_channel() as channel:
        await channel.exchange_declare(exchange, "topic", auto_delete=True)
        queue = (await channel.queue_declare(exclusive=True)).queue
        for binding_key in binding_keys:
            await channel.queue_bind(queue, exchange, routing_key=binding_key)
        async with channel.basic_consume(queue, no_ack=True) as consumer:
            print(f" [*] {queue} waiting for {', '.join(binding_keys)} logs")
            ready.set()
            async for message in consumer:
                print(f" [x] {queue} received {message.routing_key}: {message.body!r}")
                logs.append((message.routing_key, message.body.decode()))
                if len(logs) == count:
                    break
    return logs


async def main(
    logs: Sequence[Log] = LOGS,
    bindings: Sequence[Sequence[str]] = BINDINGS,
    exchange: str = "topic_logs",
    url: str = URL,
) -> tuple[list[list[Log]], list[Log]]:
    """Emit ``logs`` to one subscriber per entry of ``bindings``.

    Returns what each subscriber received, and the logs that matched no binding.
    """
    ready = [trio.Event() for _ in bindings]
    received: list[list[Log]] = [[] for _ in bindings]

    async def subscribe(index: int) -> None:
        binding_keys = bindings[index]
        count = sum(any(matches(key, routing_key) for key in binding_keys) for routing_key, _ in logs)
        received[index] = await receive_logs_topic(exchange, binding_keys, count, ready[index], url)

    async with trio.open_nursery() as nursery:
        for index in range(len(bindings)):
            nursery.start_soon(subscribe, index)
        for event in ready:
            await event.wait()
        unroutable = await emit_log_topic(exchange, logs, url)
    return received, unroutable


if __name__ == "__main__":
    received, unroutable = trio.run(main)
    for binding_keys, logs in zip(BINDINGS, received, strict=True):
        print(f"the {' '.join(binding_keys)} subscriber received {logs}")
    print(f"nobody received {unroutable}")
