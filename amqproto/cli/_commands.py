"""The commands other than ``perf``: publish, get, consume, declare, bind, delete.

They use the blocking adapter.  A command is sequential by nature, and the
blocking adapter's reader and timer threads keep the connection alive (and
heartbeats flowing) while the command waits on something else, such as
``publish - --lines`` reading a pipe that stays quiet for minutes, or a
``consume`` whose output is piped into a slow reader.

Each function takes the parsed arguments and returns the exit status; errors
propagate to :func:`amqproto.cli.main`, which prints them as one line.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import BinaryIO

from ..io.blocking import BlockingChannel, BlockingConnection, BlockingMessage
from ._values import UsageError, message_json, message_properties

__all__ = ["publish", "get", "consume", "declare_queue", "declare_exchange", "bind", "delete"]

#: The most publishes ``publish --confirm`` lets await their confirm at once.
CONFIRM_WINDOW = 256


@contextlib.contextmanager
def _channel(args: argparse.Namespace) -> Iterator[BlockingChannel]:
    """An open channel on a new connection, both closed on leaving."""
    connection = BlockingConnection(
        args.url, client_properties={"connection_name": f"amqproto {args.command}"}
    )
    with connection, connection.get_channel() as channel:
        yield channel


# -- publish -------------------------------------------------------------------


def _stdin_bodies(stdin: BinaryIO, lines: bool) -> Iterator[bytes]:
    """Standard input as one body, or with ``lines`` one body per line (read as it comes)."""
    if not lines:
        yield stdin.read()
        return
    for line in stdin:
        yield line[:-1] if line.endswith(b"\n") else line


def _generated_body(index: int, size: int) -> bytes:
    """Message ``index`` (from 1) of ``size`` bytes: its number, padded with dots."""
    return str(index).encode().ljust(size, b".")[:size]


def publish_bodies(args: argparse.Namespace, stdin: BinaryIO) -> Iterator[bytes]:
    """The bodies to publish, in order, each ``--count`` times.

    Raises:
        UsageError: nothing to publish, or contradictory options.
    """
    bodies: list[str] = args.bodies
    count: int = args.count
    size: int | None = args.size
    if size is not None:
        if bodies:
            raise UsageError("--size generates the bodies: give no BODY with it")
        return (_generated_body(index, size) for index in range(1, count + 1))
    if not bodies:
        raise UsageError("nothing to publish: give BODY arguments, '-' for standard input, or --size")
    if args.lines and "-" not in bodies:
        raise UsageError("--lines reads standard input: give '-' as a BODY")

    def each() -> Iterator[bytes]:
        for body in bodies:
            sources = _stdin_bodies(stdin, args.lines) if body == "-" else iter([body.encode()])
            for data in sources:
                for _ in range(count):
                    yield data

    return each()


def publish(args: argparse.Namespace) -> int:
    properties = message_properties(args.property, args.header, persistent=args.persistent)
    bodies = publish_bodies(args, sys.stdin.buffer)
    # A return is reported before the ack of the same publish: confirms tell
    # when every return that will ever come has come.
    confirm = args.confirm or args.mandatory
    with _channel(args) as channel:
        if confirm:
            channel.confirm_select()
        for body in bodies:
            channel.basic_publish(
                body,
                args.exchange,
                args.routing_key,
                properties=properties,
                mandatory=args.mandatory,
                wait=False,
            )
            if confirm:
                channel.wait_for_confirms(CONFIRM_WINDOW)
        if confirm:
            channel.wait_for_confirms()
    return 0


# -- get and consume -----------------------------------------------------------


def _write_message(message: BlockingMessage, as_json: bool) -> None:
    """The body and a newline, or one line of JSON; flushed, so an ack follows output."""
    if as_json:
        line = message_json(
            message.body, message.properties, message.exchange, message.routing_key, message.redelivered
        )
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return
    sys.stdout.flush()
    out = sys.stdout.buffer
    out.write(message.body + b"\n")
    out.flush()


def get(args: argparse.Namespace) -> int:
    mode: str = args.mode
    last: BlockingMessage | None = None
    with _channel(args) as channel:
        for _ in range(args.count):
            message = channel.basic_get(args.queue, no_ack=mode == "no-ack")
            if message is None:
                break
            _write_message(message, args.json)
            if mode == "ack":
                message.ack()
            last = message
        if mode == "requeue" and last is not None:
            # Not one by one: a message put back would be the next one got.
            channel.basic_nack(last.delivery_tag, multiple=True, requeue=True)
    return 0


def consume(args: argparse.Namespace) -> int:
    count: int | None = args.count
    no_ack = args.mode == "no-ack"
    with _channel(args) as channel:
        if not no_ack:
            # No more in flight than will be printed: the rest stays in the queue.
            prefetch = args.prefetch if count is None else min(args.prefetch or count, count)
            channel.basic_qos(prefetch_count=prefetch)
        with channel.basic_consume(args.queue, no_ack=no_ack) as consumer:
            for seen, message in enumerate(consumer, start=1):
                _write_message(message, args.json)
                if not no_ack:
                    message.ack()
                if seen == count:
                    break
    return 0


# -- topology ------------------------------------------------------------------


def declare_queue(args: argparse.Namespace) -> int:
    arguments = dict(args.argument)
    if args.quorum:
        arguments["x-queue-type"] = "quorum"
    with _channel(args) as channel:
        declared = channel.queue_declare(
            args.name,
            durable=args.durable or args.quorum,
            auto_delete=args.auto_delete,
            arguments=arguments or None,
        )
    print(declared.queue)
    return 0


def declare_exchange(args: argparse.Namespace) -> int:
    with _channel(args) as channel:
        channel.exchange_declare(
            args.name,
            args.type,
            durable=args.durable,
            auto_delete=args.auto_delete,
            internal=args.internal,
            arguments=dict(args.argument) or None,
        )
    return 0


def bind(args: argparse.Namespace) -> int:
    with _channel(args) as channel:
        channel.queue_bind(args.queue, args.exchange, args.routing_key, arguments=dict(args.argument) or None)
    return 0


def delete(args: argparse.Namespace) -> int:
    with _channel(args) as channel:
        if args.kind == "queue":
            channel.queue_delete(args.name, if_unused=args.if_unused, if_empty=args.if_empty)
        else:
            channel.exchange_delete(args.name, if_unused=args.if_unused)
    return 0
