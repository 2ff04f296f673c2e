"""Tutorial four, "Routing", on blocking sockets: a direct exchange routes logs by severity.

Each subscriber binds its queue to ``direct_logs`` once per severity it
wants.  The emitter publishes in confirm mode with ``mandatory=True``, so a
log that no queue is bound for comes back: ``basic_publish`` raises
:class:`~amqproto.exceptions.UnroutableError`.

https://www.rabbitmq.com/tutorials/tutorial-four-python

Run: ``python -m examples.blocking.routing``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from amqproto.exceptions import UnroutableError
from amqproto.io.blocking import BlockingConnection

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


def emit_log_direct(exchange: str, logs: Sequence[Log], url: str = URL) -> list[Log]:
    """Publish each ``(severity, message)``; returns those that nobody subscribed to."""
    unroutable: list[Log] = []
    with BlockingConnection(url) as connection, connection.get_channel() as channel:
        channel.exchange_declare(exchange, "direct", auto_delete=True)
        channel.confirm_select()
        for severity, message in logs:
            try:
                channel.basic_publish(message.encode(), exchange, severity, mandatory=True)
                print(f" [x] Sent {severity}: {message!r}")
            except UnroutableError:
                print(f" [!] Nobody wants {severity} logs: {message!r} came back")
                unroutable.append((severity, message))
    return unroutable


def receive_logs_direct(
    exchange: str, severities: Sequence[str], count: int, ready: threading.Event, url: str = URL
) -> list[Log]:
    """Receive ``count`` logs of the given severities; ``ready`` is set once the queue is bound."""
    logs: list[Log] = []
    with BlockingConnection(url) as connection, connection.get_channel() as channel:
        channel.exchange_declare(exchange, "direct", auto_delete=True)
        queue = channel.queue_declare(exclusive=True).queue
        for severity in severities:
            channel.queue_bind(queue, exchange, routing_key=severity)
        with channel.basic_consume(queue, no_ack=True) as consumer:
            print(f" [*] {queue} waiting for {', '.join(severities)} logs")
            ready.set()
            for message in consumer:
                print(f" [x] {queue} received {message.routing_key}: {message.body!r}")
                logs.append((message.routing_key, message.body.decode()))
                if len(logs) == count:
                    break
    return logs


def main(
    logs: Sequence[Log] = LOGS,
    bindings: Sequence[Sequence[str]] = BINDINGS,
    exchange: str = "direct_logs",
    url: str = URL,
) -> tuple[list[list[Log]], list[Log]]:
    """Emit ``logs`` to one subscriber thread per entry of ``bindings``.

    Returns what each subscriber received, and the logs nobody subscribed to.
    """
    ready = [threading.Event() for _ in bindings]
    with ThreadPoolExecutor(len(bindings)) as pool:
        threads = []
        for severities, event in zip(bindings, ready, strict=True):
            count = sum(severity in severities for severity, _ in logs)
            threads.append(pool.submit(receive_logs_direct, exchange, severities, count, event, url))
        for event, thread in zip(ready, threads, strict=True):
            if not event.wait(timeout=10):
                thread.result(timeout=0)  # re-raises what stopped the subscriber
        unroutable = emit_log_direct(exchange, logs, url)
        return [thread.result() for thread in threads], unroutable


if __name__ == "__main__":
    received, unroutable = main()
    for severities, logs in zip(BINDINGS, received, strict=True):
        print(f"the {'/'.join(severities)} subscriber received {logs}")
    print(f"nobody received {unroutable}")
