"""The ``amqproto`` command: publish, get, consume, declare, bind, delete, perf.

Installed as the ``amqproto`` console script, and runnable as
``python -m amqproto``.  :func:`main` parses the arguments, runs one command
and turns its outcome into an exit status:

- 0: success;
- 1: failure: the broker cannot be reached, refuses the login, reports an
  error (a missing queue, 404), nacks or returns a message, ...;
- 2: a usage error (an unknown option, a malformed value or URL);
- 130: interrupted (Ctrl-C).

A failure is one line on stderr (``amqproto: error: ...``), never a
traceback: every :class:`~amqproto.exceptions.AMQPError` and ``OSError`` is
caught here (anything else too, named by its type, since it is a bug), and
the URL's password is masked in whatever is printed.

The parser is argparse, from the standard library: the commands need
subcommands, repeatable options and typed values, which argparse has, and a
dependency (click, typer) would buy nicer help at the cost of the zero
runtime dependencies amqproto keeps.  Values are converted by ``type=``
functions, so a malformed one is a usage error before anything connects.

``perf`` lives in :mod:`._perf`; the other commands in :mod:`._commands`.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from .. import __version__
from ..exceptions import AMQPError
from ..io.url import DEFAULT_URL, parse_url
from . import _commands
from ._perf import MIN_SIZE, PerfOptions, run_perf
from ._runtimes import ADAPTERS, AdapterUnavailable, runtime_for
from ._values import PROPERTY_NAMES, UsageError, property_pair, typed_pair

__all__ = ["main", "build_parser"]

PROG = "amqproto"
#: The exit statuses.
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

Handler = Callable[[argparse.Namespace], int]


def _argument_type(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse ``type=`` that reports our message, not argparse's generic one."""

    def checked(text: str) -> Any:
        try:
            return convert(text)
        except (UsageError, AMQPError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    checked.__name__ = convert.__name__
    return checked


def _url(text: str) -> str:
    parse_url(text)  # InvalidURL's message never shows the password
    return text


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or more, not {text}")
    return value


def _perf_size(text: str) -> int:
    value = int(text)
    if value < MIN_SIZE:
        raise argparse.ArgumentTypeError(
            f"must be at least {MIN_SIZE} (the timestamp a message carries), not {value}"
        )
    return value


_URL_TYPE = _argument_type(_url)
_TYPED_PAIR = _argument_type(typed_pair)
_PROPERTY_PAIR = _argument_type(property_pair)

_VALUES_HELP = "k=v; v is read as JSON when it is valid JSON (10, true, [1], \"10\"), else as a string"


class _HelpFormatter(argparse.HelpFormatter):
    """Wraps each paragraph of a description, and keeps indented lines (examples) as they are."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.split("\n\n"):
            if paragraph.startswith(" "):
                paragraphs.append(paragraph)
            else:
                paragraphs.append(
                    textwrap.fill(paragraph, width, initial_indent=indent, subsequent_indent=indent)
                )
        return "\n\n".join(paragraphs)


def _common(parser: argparse.ArgumentParser, handler: Handler) -> None:
    parser.add_argument(
        "--url",
        type=_URL_TYPE,
        default=DEFAULT_URL,
        help=f"the broker's AMQP URI (default: {_shown_url(DEFAULT_URL)})".replace("%", "%%"),
    )
    parser.set_defaults(handler=handler)


def _subparser(
    parent: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, description: str
) -> argparse.ArgumentParser:
    return parent.add_parser(
        name,
        help=summary,
        description=description,
        formatter_class=_HelpFormatter,
    )


def _add_publish(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = _subparser(
        commands,
        "publish",
        "publish messages",
        "Publish one message per BODY argument ('-' reads standard input: all of it as one message, or one "
        "message per line with --lines), or --count generated messages of --size bytes.\n\n"
        "  amqproto publish --routing-key jobs 'hello' 'world'\n"
        "  tail -f app.log | amqproto publish --exchange logs --lines -\n"
        "  amqproto publish --routing-key jobs --count 1000 --size 512 --confirm",
    )
    _common(parser, _commands.publish)
    parser.add_argument("bodies", nargs="*", metavar="BODY", help="a message body; '-' for standard input")
    parser.add_argument("--exchange", default="", help="the exchange (default: the default exchange)")
    parser.add_argument(
        "--routing-key", default="", help="the routing key (to a queue's name via the default exchange)"
    )
    parser.add_argument("--lines", action="store_true", help="one message per line of standard input")
    parser.add_argument(
        "--count", type=_positive, default=1, help="publish each body this many times (default: 1)"
    )
    parser.add_argument("--size", type=_not_negative, help="generate --count bodies of this many bytes")
    parser.add_argument(
        "--header",
        type=_TYPED_PAIR,
        action="append",
        default=[],
        metavar="K=V",
        help=f"a header, {_VALUES_HELP}",
    )
    parser.add_argument(
        "--property",
        type=_PROPERTY_PAIR,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"a message property: {', '.join(PROPERTY_NAMES)} (timestamp: epoch seconds or ISO 8601)",
    )
    parser.add_argument(
        "--persistent", action="store_true", help="delivery_mode 2: the broker writes it to disk"
    )
    parser.add_argument(
        "--confirm", action="store_true", help="wait for the broker's confirms; fail if any is nacked or lost"
    )
    parser.add_argument(
        "--mandatory", action="store_true", help="fail if a message cannot be routed to a queue"
    )


def _add_receive(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    output = (
        "\n\nEach message is printed as its body and a newline, or with --json as one line of JSON: "
        '{"body", "exchange", "routing_key", "redelivered", "properties": {..., "headers": {...}}}; '
        'a body that is not UTF-8 is {"base64": "..."}.'
    )
    get = _subparser(
        commands,
        "get",
        "fetch messages (basic.get)",
        "Fetch up to --count messages from QUEUE and print them; stop early when it is empty." + output,
    )
    consume = _subparser(
        commands,
        "consume",
        "consume messages",
        "Consume messages from QUEUE and print them, until --count or Ctrl-C." + output,
    )
    _common(get, _commands.get)
    _common(consume, _commands.consume)
    for parser in (get, consume):
        parser.add_argument("queue", metavar="QUEUE")
        parser.add_argument("--json", action="store_true", help="one JSON object per message")
        _add_ack_modes(parser, peek=parser is get)
    get.add_argument("--count", type=_positive, default=1, help="at most this many messages (default: 1)")
    consume.add_argument("--count", type=_positive, help="stop after this many messages (default: never)")
    consume.add_argument(
        "--prefetch",
        type=_not_negative,
        default=100,
        help="the most unacked messages in flight (default: 100)",
    )


def _add_ack_modes(parser: argparse.ArgumentParser, *, peek: bool) -> None:
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--ack",
        dest="mode",
        action="store_const",
        const="ack",
        help="ack each message once printed (the default)",
    )
    mode.add_argument(
        "--no-ack",
        dest="mode",
        action="store_const",
        const="no-ack",
        help=(
            "the broker's automatic acks: removed as sent "
            "(with consume --count, those sent beyond the count are lost)"
        ),
    )
    if peek:
        mode.add_argument(
            "--requeue", dest="mode", action="store_const", const="requeue", help="put them back (peek)"
        )
    parser.set_defaults(mode="ack")


def _add_topology(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    declare = _subparser(
        commands, "declare", "declare a queue or an exchange", "Declare a queue or an exchange."
    )
    kinds = declare.add_subparsers(dest="kind", metavar="queue|exchange", required=True)
    queue = _subparser(
        kinds,
        "queue",
        "declare a queue",
        "Declare queue NAME and print its name ('' lets the broker choose one).\n\n"
        "  amqproto declare queue jobs --quorum --argument x-max-length=10000",
    )
    _common(queue, _commands.declare_queue)
    queue.add_argument("name", metavar="NAME")
    queue.add_argument("--durable", action="store_true", help="survives a broker restart")
    queue.add_argument("--quorum", action="store_true", help="a quorum queue (durable, replicated)")
    queue.add_argument("--auto-delete", action="store_true", help="deleted when its last consumer goes")
    exchange = _subparser(
        kinds,
        "exchange",
        "declare an exchange",
        "Declare exchange NAME of TYPE (direct, fanout, topic, headers, or a plugin's).\n\n"
        "  amqproto declare exchange logs fanout --durable",
    )
    _common(exchange, _commands.declare_exchange)
    exchange.add_argument("name", metavar="NAME")
    exchange.add_argument("type", metavar="TYPE")
    exchange.add_argument("--durable", action="store_true", help="survives a broker restart")
    exchange.add_argument("--auto-delete", action="store_true", help="deleted when its last binding goes")
    exchange.add_argument("--internal", action="store_true", help="only other exchanges may publish to it")
    bind = _subparser(
        commands,
        "bind",
        "bind a queue to an exchange",
        "Bind QUEUE to EXCHANGE with ROUTING_KEY (default: '').\n\n  amqproto bind jobs logs 'app.*'",
    )
    _common(bind, _commands.bind)
    bind.add_argument("queue", metavar="QUEUE")
    bind.add_argument("exchange", metavar="EXCHANGE")
    bind.add_argument("routing_key", metavar="ROUTING_KEY", nargs="?", default="")
    for parser in (queue, exchange, bind):
        parser.add_argument(
            "--argument",
            type=_TYPED_PAIR,
            action="append",
            default=[],
            metavar="K=V",
            help=f"an argument, {_VALUES_HELP}",
        )
    delete = _subparser(commands, "delete", "delete a queue or an exchange", "Delete a queue or an exchange.")
    kinds = delete.add_subparsers(dest="kind", metavar="queue|exchange", required=True)
    queue = _subparser(kinds, "queue", "delete a queue", "Delete queue NAME and the messages in it.")
    exchange = _subparser(kinds, "exchange", "delete an exchange", "Delete exchange NAME and its bindings.")
    for parser in (queue, exchange):
        _common(parser, _commands.delete)
        parser.add_argument("name", metavar="NAME")
        parser.add_argument(
            "--if-unused", action="store_true", help="only if it has no consumers (bindings, for an exchange)"
        )
    queue.add_argument("--if-empty", action="store_true", help="only if it holds no messages")


def _add_perf(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = _subparser(
        commands,
        "perf",
        "measure throughput and latency",
        "Publish and consume as fast as asked for --duration seconds, in the spirit of RabbitMQ's PerfTest, "
        "on a queue of its own (deleted at the end) unless --queue names one. Each second a progress line "
        "(on stderr) shows sent/s, confirmed/s, received/s and the latency p50/p99, measured from the "
        "timestamp the producer puts in each message to its consumption; a summary follows.\n\n"
        "  amqproto perf --producers 2 --consumers 2 --confirm 100 --duration 30\n"
        "  amqproto perf --adapter blocking --rate 1000 --size 1024 --json",
    )
    _common(parser, _perf)
    parser.add_argument(
        "--producers",
        type=_not_negative,
        default=1,
        help="producers, each on its own connection (default: 1)",
    )
    parser.add_argument(
        "--consumers",
        type=_not_negative,
        default=1,
        help="consumers, each on its own connection (default: 1)",
    )
    parser.add_argument(
        "--size",
        type=_perf_size,
        default=MIN_SIZE,
        help=f"message size in bytes (default and least: {MIN_SIZE})",
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        default=0.0,
        help="messages a second per producer; 0 = as fast as possible (default)",
    )
    parser.add_argument(
        "--confirm",
        type=_positive,
        metavar="N",
        help="publisher confirms, at most N messages unconfirmed per producer",
    )
    parser.add_argument("--duration", type=_seconds, default=10.0, help="seconds of publishing (default: 10)")
    parser.add_argument("--queue", help="use (and declare, durable) this queue, and leave it in place")
    parser.add_argument("--quorum", action="store_true", help="a quorum queue")
    parser.add_argument(
        "--prefetch", type=_not_negative, default=200, help="each consumer's prefetch count (default: 200)"
    )
    parser.add_argument(
        "--adapter", choices=sorted(ADAPTERS), default="asyncio", help="the I/O adapter (default: asyncio)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress line")


def _perf(args: argparse.Namespace) -> int:
    if args.producers + args.consumers == 0:
        raise UsageError("give at least one producer or consumer")
    options = PerfOptions(
        url=args.url,
        adapter=args.adapter,
        producers=args.producers,
        consumers=args.consumers,
        size=args.size,
        rate=args.rate,
        confirm=args.confirm,
        duration=args.duration,
        queue=args.queue,
        quorum=args.quorum,
        prefetch=args.prefetch,
    )
    summary = run_perf(options, runtime_for(args.adapter), progress=None if args.quiet else sys.stderr)
    print(summary.as_json() if args.json else summary.as_text(confirm=args.confirm is not None))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=_HelpFormatter,
        description="Talk to an AMQP 0-9-1 broker (RabbitMQ) with amqproto: publish, fetch and consume "
        "messages, declare, bind and delete queues and exchanges, and measure throughput. "
        "'amqproto COMMAND --help' explains each command. Exit status: 0 success, 1 failure, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_publish(commands)
    _add_receive(commands)
    _add_topology(commands)
    _add_perf(commands)
    return parser


def _shown_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, for help texts."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}").geturl()


def _masked(text: str, url: str) -> str:
    """``text`` on one line, with the URL's password (decoded or not) replaced by ``***``."""
    try:
        raw = urlsplit(url).password
    except ValueError:
        raw = None
    for secret in {raw, unquote(raw) if raw else None}:
        if secret:
            text = text.replace(secret, "***")
    return " ".join(text.split())


def _error(args: argparse.Namespace, message: str) -> None:
    print(f"{PROG}: error: {_masked(message, args.url)}", file=sys.stderr)


def _quiet_stdout() -> None:
    """The reader of our output went away: send what is left nowhere, not to a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # stdout is not a file (tests capture it)
    finally:
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (see the module header)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error (argparse printed it)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    handler: Handler = args.handler
    try:
        return handler(args)
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_FAILURE
    except (AMQPError, OSError, AdapterUnavailable) as exc:
        _error(args, str(exc) or type(exc).__name__)
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - a tool reports any bug in one line, with an exit status
        _error(args, f"unexpected {type(exc).__name__}: {exc}")
        return EXIT_FAILURE
