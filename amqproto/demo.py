"""A publish/consume round trip through RabbitMQ: ``python -m amqproto.demo``.

With the asyncio adapter, on one connection:

1. declare an exclusive, server-named queue (the broker deletes it when the
   connection closes);
2. publish a batch of messages to it in confirm mode, streaming: each
   ``basic_publish(..., wait=False)`` returns at once, and
   ``wait_for_confirms(window)`` holds the publisher back only while more
   than ``window`` messages await the broker's ack; a last
   ``wait_for_confirms()`` waits for them all;
3. check that the broker holds them all (``queue.declare``, passive);
4. consume them back on a second channel, acking each one, and check that
   every message arrived exactly once, intact, and in order.

It prints what it did with the elapsed times and rates, and exits 0 on
success, 1 on any failure (a broker that cannot be reached, a nack, a lost,
duplicated or corrupted message, a timeout).  ``scripts/demo.sh`` makes sure
the broker is up first.  Needs nothing but the standard library and amqproto.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from . import __version__
from .exceptions import AMQPError, ConnectionLost
from .io.asyncio import AsyncioConnection
from .io.url import DEFAULT_URL
from .schema import BasicProperties

__all__ = ["DemoFailed", "Report", "main", "round_trip"]


class DemoFailed(Exception):
    """The round trip did not give back exactly what was published."""


@dataclass(frozen=True, slots=True)
class Report:
    """What :func:`round_trip` did."""

    server: str
    queue: str
    #: Messages published, each confirmed by the broker.
    published: int
    #: What the queue held once they were all confirmed.
    held: int
    #: Messages consumed, each checked and acked.
    consumed: int
    publish_seconds: float
    consume_seconds: float


def _body(index: int, size: int) -> bytes:
    """Message ``index``: its number, padded to ``size`` bytes."""
    return f"{index:010d}".encode().ljust(size, b".")


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} msgs/s" if seconds > 0 else "n/a"


async def round_trip(
    count: int = 1000,
    size: int = 256,
    url: str = DEFAULT_URL,
    *,
    window: int = 256,
    prefetch: int = 200,
    log: bool = True,
) -> Report:
    """Publish ``count`` messages of ``size`` bytes and consume them back.

    Raises:
        DemoFailed: a message was lost, duplicated, reordered or corrupted.
        AMQPError: the broker refused something, or could not be reached.
    """

    def say(text: str) -> None:
        if log:
            print(text, flush=True)

    async with AsyncioConnection(url, client_properties={"connection_name": "amqproto demo"}) as connection:
        properties = connection.server_properties
        server = f"{properties.get('product', 'AMQP broker')} {properties.get('version', '')}".strip()
        say(
            f"connected to {server} at {connection.host}:{connection.port} "
            f"(heartbeat {connection.core.heartbeat} s, frame_max {connection.core.frame_max})"
        )
        async with connection.get_channel() as publisher, connection.get_channel() as consumer_channel:
            queue = (await publisher.queue_declare(exclusive=True)).queue
            say(f"declared exclusive queue {queue}")

            # -- publish, in confirm mode ----------------------------------------
            await publisher.confirm_select()
            started = time.perf_counter()
            for index in range(count):
                await publisher.basic_publish(
                    _body(index, size),
                    routing_key=queue,
                    properties=BasicProperties(message_id=str(index), content_type="text/plain"),
                    wait=False,
                )
                # Stream: go on publishing while at most `window` await their confirm.
                await publisher.wait_for_confirms(window)
            # Every one confirmed; raises NackError if the broker nacked any.
            await publisher.wait_for_confirms()
            publish_seconds = time.perf_counter() - started
            say(
                f"published {count:,} messages of {size} bytes in confirm mode "
                f"(at most {window} unconfirmed), all acked by the broker, "
                f"in {publish_seconds:.3f} s ({_rate(count, publish_seconds)})"
            )
            held = (await publisher.queue_declare(queue, passive=True)).message_count
            say(f"the queue holds {held:,} messages")
            if held != count:
                raise DemoFailed(f"the queue holds {held} messages, not {count}")

            # -- consume and ack -----------------------------------------------
            await consumer_channel.basic_qos(prefetch_count=prefetch)
            consumed = 0
            started = time.perf_counter()
            async with consumer_channel.basic_consume(queue) as consumer:
                async for message in consumer:
                    expected = _body(consumed, size)
                    if message.body != expected or message.properties.message_id != str(consumed):
                        raise DemoFailed(
                            f"message {consumed} is wrong: got id {message.properties.message_id!r}, "
                            f"body {message.body[:20]!r}... ({len(message.body)} bytes)"
                        )
                    if message.redelivered:
                        raise DemoFailed(f"message {consumed} was redelivered")
                    await message.ack()
                    consumed += 1
                    if consumed == count:
                        break
            consume_seconds = time.perf_counter() - started
            say(
                f"consumed and acked {consumed:,} messages in {consume_seconds:.3f} s "
                f"({_rate(consumed, consume_seconds)}): each arrived once, intact, in order"
            )
            left = (await publisher.queue_declare(queue, passive=True)).message_count
            if left:
                raise DemoFailed(f"{left} messages are left in the queue")
    return Report(
        server=server,
        queue=queue,
        published=count,
        held=held,
        consumed=consumed,
        publish_seconds=publish_seconds,
        consume_seconds=consume_seconds,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo from the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m amqproto.demo",
        description="Publish a batch of messages to RabbitMQ with amqproto (asyncio, confirm mode), "
        "consume them back, ack them, and report.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--count", type=int, default=1000, help="how many messages")
    parser.add_argument("--size", type=int, default=256, help="body size in bytes (at least 10)")
    parser.add_argument("--url", default=DEFAULT_URL, help="the broker's AMQP URI")
    parser.add_argument("--window", type=int, default=256, help="the most publishes awaiting their confirm")
    parser.add_argument("--prefetch", type=int, default=200, help="the consumer's prefetch count")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    args = parser.parse_args(argv)
    if args.count < 1 or args.size < 10 or args.window < 0 or args.prefetch < 0:
        parser.error("--count must be at least 1, --size at least 10, --window and --prefetch at least 0")

    print(f"amqproto {__version__} demo: asyncio adapter, {args.count:,} messages")

    async def run() -> Report:
        async with asyncio.timeout(args.timeout):
            return await round_trip(
                args.count, args.size, args.url, window=args.window, prefetch=args.prefetch
            )

    started = time.perf_counter()
    try:
        report = asyncio.run(run())
    except ConnectionLost as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        print("Is RabbitMQ running?  `bash scripts/ensure-broker.sh` starts it.", file=sys.stderr)
        return 1
    except TimeoutError:
        print(f"FAILED: the round trip took longer than {args.timeout} s", file=sys.stderr)
        return 1
    except (AMQPError, DemoFailed) as exc:
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(
        f"OK: {report.published:,} published and confirmed, {report.consumed:,} consumed and acked "
        f"in {elapsed:.3f} s overall ({_rate(report.published, elapsed)} round trip)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
