"""Scale: many connections in one process, and many consumers on one connection.

Run as ``python bench/scale.py`` (``--help`` for the sizes), or through
``python -m bench --scenario scale``.  Against the local RabbitMQ, on
asyncio (uvloop when installed, ``--loop asyncio`` for the default loop).

connections
    Opens ``--connections`` (1,000) :class:`~amqproto.io.asyncio.AsyncioConnection`\\ s
    with two open channels each, in one process, with heartbeats on
    (``--heartbeat``, 5 s, so that heartbeat frames flow both ways during
    the idle window), to the local broker or to ``--url``.  If the broker
    refuses a connection (RabbitMQ accepts about 90 % of its
    file-descriptor limit in sockets: about 800 with the usual soft limit
    of 1024), the figures are for those it accepted, and
    ``refused`` says why.  **Memory per connection** is the growth of the
    process's resident set (``/proc/self/statm``, after ``gc.collect()``)
    from before the first to after the last, divided by their number; one
    connection is opened first and kept, so that imports, compiled coders
    and the loop's own start-up are not counted.  **Idle CPU** is the
    process's user + sys time (``getrusage``) over ``--idle`` seconds (20)
    with every connection open and nothing to do but heartbeats, as a
    percentage of one core.

consumers
    On one connection and one channel, starts ``n`` consumers (``no_ack``)
    on one queue, for ``n`` in ``--consumers`` (10 and 10,000, alternating,
    three times each: the growth is the ratio of the medians), then has a
    separate process publish ``--messages`` (20,000) 32-byte messages to
    that queue; the broker spreads them over the consumers.  **Dispatch
    cost** is this process's CPU time from the start of the publishing to
    the last delivery, per delivery: reading, decoding and handing each
    message to its consumer's queue (found by its consumer tag).  The
    consumers are not iterated (no task per consumer): what is measured is
    the dispatch, which must not grow with the number of consumers.
    Deliveries are counted by an observer (:mod:`amqproto.observer`).  The
    objects alive before the publishing are frozen (``gc.freeze()``), so
    that the garbage collector's full passes, which walk every live object
    (10,000 consumers are many), do not count as dispatch.

Nothing here is a test and nothing asserts on time; the figures are printed
against the targets (<= 32 KiB per connection, <= 1 % of a core idle, and a
dispatch cost at 10,000 consumers within 1.25x of the one at 10).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amqproto.io.asyncio import AsyncioConnection
from amqproto.observer import BaseObserver
from bench.common import URL

__all__ = ["TARGETS", "main"]

ROOT = Path(__file__).resolve().parents[1]
#: The issue's bounds: KiB per connection, % of one core idle, dispatch-cost ratio.
TARGETS = {"kib_per_connection": 32.0, "idle_cpu_pct": 1.0, "dispatch_growth": 1.25}
_PAGE = os.sysconf("SC_PAGE_SIZE")
_OPEN_AT_ONCE = 10  # connections opened concurrently (the broker's accept rate is the limit)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _open(url: str, heartbeat: int) -> tuple[AsyncioConnection, list[Any]]:
    connection = AsyncioConnection(url, heartbeat=heartbeat)
    await connection.__aenter__()
    channels = [await connection.channel(), await connection.channel()]
    return connection, channels


async def measure_connections(
    count: int, heartbeat: int, idle: float, url: str = URL
) -> dict[str, Any]:
    """Memory per connection (2 channels each) and idle CPU with heartbeats: see the module doc."""
    opened: list[tuple[AsyncioConnection, list[Any]]] = [await _open(url, heartbeat)]  # warm-up, not counted
    try:
        gc.collect()
        before = _rss_bytes()
        started = time.monotonic()
        refused: BaseException | None = None
        for start in range(0, count, _OPEN_AT_ONCE):
            batch = min(_OPEN_AT_ONCE, count - start)
            outcomes = await asyncio.gather(
                *(_open(url, heartbeat) for _ in range(batch)), return_exceptions=True
            )
            opened += [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
            refused = next((outcome for outcome in outcomes if isinstance(outcome, BaseException)), None)
            if refused is not None:
                break  # the broker's limit (its file descriptors): measure what is open
        count = len(opened) - 1
        open_seconds = time.monotonic() - started
        gc.collect()
        after = _rss_bytes()
        await asyncio.sleep(1.0)  # let the opening settle
        cpu_start, wall_start = _cpu_seconds(), time.monotonic()
        await asyncio.sleep(idle)
        cpu, wall = _cpu_seconds() - cpu_start, time.monotonic() - wall_start
        still_open = sum(1 for connection, _ in opened if connection.is_open)
    finally:
        for start in range(0, len(opened), _OPEN_AT_ONCE):
            await asyncio.gather(
                *(connection.close() for connection, _ in opened[start : start + _OPEN_AT_ONCE]),
                return_exceptions=True,
            )
    return {
        "connections": count,
        "refused": None if refused is None else f"{type(refused).__name__}: {refused}",
        "channels_per_connection": 2,
        "heartbeat_s": heartbeat,
        "open_s": open_seconds,
        "rss_growth_mib": (after - before) / 2**20,
        "kib_per_connection": (after - before) / count / 1024,
        "idle_s": wall,
        "idle_cpu_pct": cpu / wall * 100,
        "still_open": still_open,
    }


class _Counter(BaseObserver):
    """Counts deliveries; resolves ``done`` at ``target``."""

    def __init__(self) -> None:
        self.delivered = 0
        self.target = -1
        self.done: asyncio.Future[None] | None = None

    def message_delivered(self, channel_id: int, size: int) -> None:
        self.delivered += 1
        if self.delivered == self.target and self.done is not None and not self.done.done():
            self.done.set_result(None)


def _publish_elsewhere(queue: str, count: int) -> subprocess.Popen[bytes]:
    code = (
        "from bench.broker import BrokerClient\n"
        f"client = BrokerClient(); client.fill({queue!r}, b'x' * 32, {count}); client.close()"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)


async def measure_consumers(consumers: int, messages: int) -> dict[str, Any]:
    """Dispatch cost per delivery with ``consumers`` consumers on one connection: see the module doc."""
    counter = _Counter()
    queue = f"bench.scale.{uuid.uuid4().hex[:12]}"
    async with AsyncioConnection(URL, observer=counter) as connection:
        channel = await connection.channel()
        await channel.queue_declare(queue, auto_delete=True)
        try:
            started = time.monotonic()
            for number in range(consumers):
                await channel.basic_consume(queue, f"c{number}", no_ack=True).start()
            start_seconds = time.monotonic() - started
            counter.target = messages
            counter.done = asyncio.get_running_loop().create_future()
            # The consumers' objects go to the permanent generation: else each
            # full collection during the run walks all of them, a cost that
            # grows with their number but is the collector's, not dispatch's.
            gc.collect()
            gc.freeze()
            cpu_start, wall_start = _cpu_seconds(), time.monotonic()
            publisher = _publish_elsewhere(queue, messages)
            try:
                await asyncio.wait_for(counter.done, timeout=300)
            finally:
                cpu, wall = _cpu_seconds() - cpu_start, time.monotonic() - wall_start
                gc.unfreeze()
                await asyncio.get_running_loop().run_in_executor(None, publisher.wait)
        finally:
            await channel.queue_delete(queue)
    return {
        "consumers": consumers,
        "messages": messages,
        "start_consumers_s": start_seconds,
        "wall_s": wall,
        "cpu_us_per_delivery": cpu / messages * 1e6,
    }


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"loop": args.loop}
    if args.connections:
        figures["connections"] = await measure_connections(
            args.connections, args.heartbeat, args.idle, args.url
        )
    figures["consumers"] = [await measure_consumers(n, args.messages) for n in args.consumers]
    fewest, most = min(args.consumers, default=0), max(args.consumers, default=0)
    if fewest != most:
        # Medians over the repetitions: one run moves by +-20 % on a busy machine.
        def median_cost(consumers: int) -> float:
            entries = [entry for entry in figures["consumers"] if entry["consumers"] == consumers]
            return statistics.median(float(entry["cpu_us_per_delivery"]) for entry in entries)

        figures["dispatch_growth"] = median_cost(most) / median_cost(fewest)
    return figures


def main(argv: list[str] | None = None, *, verbose: bool = True) -> dict[str, Any]:
    """Measure; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000, help="connections to open (0: skip)")
    parser.add_argument("--heartbeat", type=int, default=5, help="heartbeat interval, seconds")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle measurement")
    parser.add_argument(
        "--consumers",
        type=int,
        nargs="*",
        default=[10, 10_000, 10, 10_000, 10, 10_000],
        help="consumer counts, in order",
    )
    parser.add_argument("--messages", type=int, default=20_000, help="deliveries per consumer count")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument(
        "--url",
        default=URL,
        help="the broker for the connections part (default: the local one); e.g. a node of "
        "scripts/cluster.sh, whose file-descriptor limit is the shell's, to open more connections "
        "than the default node accepts",
    )
    args = parser.parse_args(argv)
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            args.loop = "asyncio"
        else:
            figures = uvloop.run(_measure(args))
    if args.loop == "asyncio":
        figures = asyncio.run(_measure(args))
    if verbose:
        print_figures(figures)
    return figures


def print_figures(figures: dict[str, Any]) -> None:
    print(f"loop: {figures['loop']}")
    connections = figures.get("connections")
    if connections:
        if connections["refused"]:
            print(f"the broker refused more: {connections['refused']}")
        print(
            f"{connections['connections']} connections x 2 channels "
            f"(heartbeat {connections['heartbeat_s']} s): "
            f"opened in {connections['open_s']:.1f} s, RSS +{connections['rss_growth_mib']:.1f} MiB = "
            f"{connections['kib_per_connection']:.1f} KiB per connection "
            f"(target <= {TARGETS['kib_per_connection']:g}); "
            f"idle {connections['idle_cpu_pct']:.2f} % of a core over {connections['idle_s']:.0f} s "
            f"(target <= {TARGETS['idle_cpu_pct']:g}); {connections['still_open']} still open"
        )
    for entry in figures["consumers"]:
        print(
            f"{entry['consumers']:>6} consumers on one connection: "
            f"{entry['cpu_us_per_delivery']:.2f} µs CPU per delivery ({entry['messages']} deliveries; "
            f"consumers started in {entry['start_consumers_s']:.1f} s)"
        )
    if "dispatch_growth" in figures:
        growth = figures["dispatch_growth"]
        print(f"dispatch cost at the most consumers / at the fewest (medians): {growth:.2f}x")


if __name__ == "__main__":
    main()
