"""``amqproto perf``: a load generator in the spirit of RabbitMQ's PerfTest.

Theory of operation
-------------------
Every producer and every consumer has its own connection and channel, opened
one after the other before the clock starts; consumers are subscribed before
the first message is sent.  Then three kinds of workers run concurrently
(tasks, or threads with the blocking adapter, see :mod:`._runtimes`):

- a **producer** publishes to the default exchange, routed to the queue,
  paced to ``--rate`` messages a second or as fast as it can.  Each body
  starts with a 4-byte tag of this run and the 8-byte ``time.monotonic_ns()``
  of its publication.  With ``--confirm N`` it publishes in confirm mode with
  ``wait=False`` and holds back while more than ``N`` publishes await their
  confirm (``wait_for_confirms(N)``);
- a **consumer** acks each message; for a body with this run's tag it
  records the latency, from the producer's timestamp to now, in a histogram;
- the **controller** prints the progress line each second, stops the
  producers at ``--duration`` (letting them collect their last confirms),
  waits briefly for the consumers to drain what was sent, and cancels them.

Counting is the library's: every connection of a run reports to one
:class:`~amqproto.observer.CountingObserver` (thread-safe), and the
controller reads its snapshot, as :class:`Counters`, when it reports.

A worker that fails records its error and stops the run; the controller ends
early and the error is what ``perf`` reports.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..exceptions import AMQPError, NackError, UnroutableError
from ..observer import CountingObserver
from ._runtimes import PerfChannel, PerfConnection, PerfConsumer, Runtime, Worker

__all__ = ["PerfOptions", "Counters", "LatencyHistogram", "PerfSummary", "run_perf", "PerfFailed"]

#: The body's prefix: this run's tag, then the publication time in nanoseconds.
_STAMP = struct.Struct(">4sQ")
#: The smallest body that carries the stamp.
MIN_SIZE = _STAMP.size
#: Publishes between two yields to the other workers when nothing else yields.
_YIELD_EVERY = 64
#: How long the producers may take to collect their last confirms.
_CONFIRM_GRACE = 10.0
#: How long the consumers may take to drain what was published.
_DRAIN_GRACE = 3.0
#: How often the controller looks at the workers.
_POLL = 0.05


class PerfFailed(AMQPError):
    """The run could not finish as asked (unconfirmed publishes at the end)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PerfOptions:
    url: str
    adapter: str = "asyncio"
    producers: int = 1
    consumers: int = 1
    size: int = MIN_SIZE
    #: Messages a second per producer; 0 = as fast as possible.
    rate: float = 0.0
    #: The most unconfirmed publishes per producer; ``None`` = no confirms.
    confirm: int | None = None
    duration: float = 10.0
    #: An existing (or to be declared, durable) queue; ``None`` = a new one.
    queue: str | None = None
    quorum: bool = False
    prefetch: int = 200


class Counters:
    """What the run's connections did, as the library's counting observer saw it."""

    __slots__ = ("publishes", "confirms", "nacks", "returns", "deliveries", "acks")

    def __init__(self, counts: dict[str, int] | None = None) -> None:
        counts = counts or {}
        self.publishes = counts.get("published", 0)
        self.confirms = counts.get("confirmed", 0)
        self.nacks = counts.get("nacked", 0)
        self.returns = counts.get("returned", 0)
        self.deliveries = counts.get("delivered", 0)
        self.acks = counts.get("acked", 0)



class LatencyHistogram:
    """Latencies in microseconds, in buckets about 3% wide, in constant memory.

    Below 64 µs each value has its bucket; above, a bucket holds the values
    that share their top 6 bits (32 buckets per power of two), so a
    percentile is off by under 1/32 of its value.
    """

    __slots__ = ("counts", "max")

    def __init__(self) -> None:
        self.counts: list[int] = []
        self.max = 0

    @staticmethod
    def _bucket(micros: int) -> int:
        if micros < 64:
            return micros
        shift = micros.bit_length() - 6
        return shift * 32 + (micros >> shift)

    @staticmethod
    def _value(bucket: int) -> int:
        """The lowest value of ``bucket``."""
        if bucket < 64:
            return bucket
        shift = bucket // 32 - 1
        return (bucket % 32 + 32) << shift

    def record(self, micros: int) -> None:
        micros = max(micros, 0)
        bucket = self._bucket(micros)
        counts = self.counts
        if bucket >= len(counts):
            counts.extend([0] * (bucket + 1 - len(counts)))
        counts[bucket] += 1
        self.max = max(self.max, micros)

    @property
    def count(self) -> int:
        return sum(self.counts)

    @classmethod
    def merged(cls, parts: Sequence[LatencyHistogram]) -> LatencyHistogram:
        merged = cls()
        for part in parts:
            counts = list(part.counts)  # one C-level copy: safe against a writer thread
            if len(counts) > len(merged.counts):
                merged.counts.extend([0] * (len(counts) - len(merged.counts)))
            for bucket, count in enumerate(counts):
                merged.counts[bucket] += count
            merged.max = max(merged.max, part.max)
        return merged

    def minus(self, earlier: LatencyHistogram) -> LatencyHistogram:
        """What was recorded since ``earlier``, a previous :meth:`merged` of the same parts."""
        difference = LatencyHistogram()
        difference.counts = [
            count - (earlier.counts[bucket] if bucket < len(earlier.counts) else 0)
            for bucket, count in enumerate(self.counts)
        ]
        difference.max = self.max
        return difference

    def percentile(self, fraction: float) -> int | None:
        """The value below which ``fraction`` of the samples fall; ``None`` without samples."""
        total = self.count
        if not total:
            return None
        rank = max(1, round(fraction * total))
        seen = 0
        for bucket, count in enumerate(self.counts):
            seen += count
            if seen >= rank:
                return min(self._value(bucket), self.max)
        return self.max


@dataclass(slots=True)
class _Run:
    """What the workers of one run share."""

    options: PerfOptions
    runtime: Runtime
    queue: str
    tag: bytes
    started: float = 0.0
    stop_publishing: bool = False
    #: Set by Ctrl-C: end the run now, as if its duration were over.
    interrupted: bool = False
    errors: list[BaseException] = field(default_factory=list)
    #: Shared by every connection of the run: it counts what they do.
    observer: CountingObserver = field(default_factory=CountingObserver)

    def fail(self, error: BaseException) -> None:
        self.errors.append(error)
        self.stop_publishing = True


class _Pacer:
    """Spaces a producer's messages ``1/rate`` seconds apart (``rate`` 0: no spacing)."""

    __slots__ = ("interval", "due")

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.due = time.monotonic()

    def delay(self) -> float:
        """Seconds until the next message is due; 0 means now, and books that message's slot."""
        if not self.interval:
            return 0.0
        now = time.monotonic()
        if now < self.due:
            return self.due - now
        # Behind schedule (a pause, a slow broker): catch up, in a burst of one second at most.
        self.due = max(self.due, now - 1.0) + self.interval
        return 0.0


class _Producer:
    def __init__(self, run: _Run, connection: PerfConnection, channel: PerfChannel) -> None:
        self.run = run
        self.connection = connection
        self.channel = channel
        self.finished = False
        self.stopped_at: float | None = None

    async def _collect_confirms(self, window: int) -> None:
        """Wait until at most ``window`` publishes are unconfirmed (the observer counts them)."""
        with contextlib.suppress(NackError, UnroutableError):  # counted by the observer as nacks and returns
            await self.channel.wait_for_confirms(window)

    async def publish(self) -> None:
        run = self.run
        options = run.options
        channel = self.channel
        sleep = run.runtime.sleep
        padding = bytes(options.size - MIN_SIZE)
        pack = _STAMP.pack
        tag = run.tag
        queue = run.queue
        window = options.confirm
        pacer = _Pacer(options.rate)
        sent = 0
        try:
            while not run.stop_publishing:
                delay = pacer.delay()
                if delay:
                    if window is not None:
                        await self._collect_confirms(window)
                    await sleep(min(delay, _POLL))
                    continue
                await channel.basic_publish(pack(tag, time.monotonic_ns()) + padding, "", queue, wait=False)
                sent += 1
                if window is not None:
                    await self._collect_confirms(window)
                if sent % _YIELD_EVERY == 0:
                    await sleep(0)
            self.stopped_at = time.monotonic()
            if window is not None:
                await self._collect_confirms(0)
        except (AMQPError, OSError) as exc:
            if not self.finished:
                run.fail(exc)
        finally:
            self.stopped_at = self.stopped_at or time.monotonic()
            self.finished = True


class _Consumer:
    def __init__(self, run: _Run, channel: PerfChannel, consumer: PerfConsumer) -> None:
        self.run = run
        self.channel = channel
        self.consumer = consumer
        self.latencies = LatencyHistogram()
        self.last_delivery = 0.0
        self.cancelled = False

    async def consume(self) -> None:
        run = self.run
        record = self.latencies.record
        ack = self.channel.basic_ack
        unpack = _STAMP.unpack_from
        tag = run.tag
        try:
            async for message in self.consumer:
                body = message.body
                if len(body) >= MIN_SIZE:
                    stamp_tag, published_ns = unpack(body)
                    if stamp_tag == tag:
                        record((time.monotonic_ns() - published_ns) // 1000)
                self.last_delivery = time.monotonic()
                await ack(message.delivery_tag)
        except (AMQPError, OSError) as exc:
            if not self.cancelled:
                run.fail(exc)


@dataclass(frozen=True, slots=True)
class PerfSummary:
    """What a run did, as ``--json`` prints it."""

    adapter: str
    queue: str
    producers: int
    consumers: int
    size: int
    duration: float
    published: int
    confirmed: int
    nacked: int
    consumed: int
    publish_rate: float
    consume_rate: float
    #: ``p50``, ``p95``, ``p99``, ``max`` in microseconds (``None`` without samples).
    latency_us: dict[str, int | None]

    def as_json(self) -> str:
        return json.dumps(
            {
                "adapter": self.adapter,
                "queue": self.queue,
                "producers": self.producers,
                "consumers": self.consumers,
                "size": self.size,
                "duration": round(self.duration, 3),
                "published": self.published,
                "confirmed": self.confirmed,
                "nacked": self.nacked,
                "consumed": self.consumed,
                "publish_rate": round(self.publish_rate, 1),
                "consume_rate": round(self.consume_rate, 1),
                "latency_us": self.latency_us,
            }
        )

    def as_text(self, confirm: bool) -> str:
        latency = self.latency_us
        confirmed = f", {self.confirmed:,} confirmed, {self.nacked:,} nacked" if confirm else ""
        return (
            f"{self.adapter}: {self.producers} producer(s), {self.consumers} consumer(s), "
            f"{self.size}-byte messages, {self.duration:.1f} s on queue {self.queue}\n"
            f"published {self.published:,} ({self.publish_rate:,.0f} msgs/s){confirmed}\n"
            f"consumed {self.consumed:,} ({self.consume_rate:,.0f} msgs/s)\n"
            f"latency: p50 {_micros(latency['p50'])}, p95 {_micros(latency['p95'])}, "
            f"p99 {_micros(latency['p99'])}, max {_micros(latency['max'])}"
        )


def _micros(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,} µs"


class _Progress:
    """The live line: rewritten in place on a terminal, one line a second otherwise."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.terminal = stream is not None and stream.isatty()
        self.shown = False

    def show(self, line: str) -> None:
        stream = self.stream
        if stream is None:
            return
        if self.terminal:
            stream.write(f"\r{line}\x1b[K")
        else:
            stream.write(line + "\n")
        stream.flush()
        self.shown = True

    def end(self) -> None:
        if self.stream is not None and self.terminal and self.shown:
            self.stream.write("\n")
            self.stream.flush()
        self.shown = False


class _Controller:
    def __init__(
        self, run: _Run, producers: list[_Producer], consumers: list[_Consumer], progress: _Progress
    ) -> None:
        self.run = run
        self.producers = producers
        self.consumers = consumers
        self.progress = progress
        self.previous_counts = Counters()
        self.previous_latencies = LatencyHistogram()
        self.previous_time = 0.0
        self.ended = 0.0

    def counts(self) -> Counters:
        return Counters(self.run.observer.snapshot())

    def latencies(self) -> LatencyHistogram:
        return LatencyHistogram.merged([consumer.latencies for consumer in self.consumers])

    def report(self, now: float) -> None:
        counts = self.counts()
        latencies = self.latencies()
        seconds = now - self.previous_time
        if seconds <= 0:
            return
        previous = self.previous_counts
        recent = latencies.minus(self.previous_latencies)
        p50, p99 = recent.percentile(0.50), recent.percentile(0.99)
        self.progress.show(
            f"{now - self.run.started:5.0f} s  "
            f"sent {(counts.publishes - previous.publishes) / seconds:,.0f}/s  "
            f"confirmed {(counts.confirms - previous.confirms) / seconds:,.0f}/s  "
            f"received {(counts.deliveries - previous.deliveries) / seconds:,.0f}/s  "
            f"latency p50 {_micros(p50)} p99 {_micros(p99)}"
        )
        self.previous_counts, self.previous_latencies, self.previous_time = counts, latencies, now

    async def _wait(self, deadline: float, done: Callable[[], bool]) -> bool:
        """Report each second until ``done()`` or ``deadline``; True when done."""
        sleep = self.run.runtime.sleep
        while not done():
            now = time.monotonic()
            if now >= deadline:
                return False
            if now - self.previous_time >= 1.0:
                self.report(now)
            await sleep(min(_POLL, deadline - now))
        return True

    def _drained(self) -> bool:
        counts = self.counts()
        return counts.deliveries >= counts.publishes or bool(self.run.errors)

    async def control(self) -> None:
        run = self.run
        self.previous_time = run.started
        await self._wait(run.started + run.options.duration, lambda: bool(run.errors) or run.interrupted)
        run.stop_publishing = True
        all_finished = await self._wait(
            time.monotonic() + _CONFIRM_GRACE, lambda: all(producer.finished for producer in self.producers)
        )
        if not all_finished:
            counts = self.counts()
            unconfirmed = counts.publishes - counts.confirms - counts.nacks
            run.fail(
                PerfFailed(f"{unconfirmed} publishes still unconfirmed {_CONFIRM_GRACE:.0f} s after the end")
            )
            for producer in self.producers:
                if not producer.finished:
                    producer.finished = True  # its error, once its connection closes, is not news
                    await producer.connection.close()
        if self.consumers:
            await self._wait(time.monotonic() + _DRAIN_GRACE, self._drained)
        self.ended = time.monotonic()
        for consumer in self.consumers:
            consumer.cancelled = True
            # Its channel or connection may have failed already; the run says why.
            with contextlib.suppress(AMQPError, OSError):
                await consumer.consumer.cancel()

    def summary(self) -> PerfSummary:
        run = self.run
        options = run.options
        counts = self.counts()
        latencies = self.latencies()
        publish_end = max(
            (producer.stopped_at or self.ended for producer in self.producers), default=self.ended
        )
        consume_end = max((consumer.last_delivery for consumer in self.consumers), default=0.0)
        publish_seconds = publish_end - run.started
        consume_seconds = consume_end - run.started
        return PerfSummary(
            adapter=options.adapter,
            queue=run.queue,
            producers=options.producers,
            consumers=options.consumers,
            size=options.size,
            duration=self.ended - run.started,
            published=counts.publishes,
            confirmed=counts.confirms,
            nacked=counts.nacks,
            consumed=counts.deliveries,
            publish_rate=counts.publishes / publish_seconds if publish_seconds > 0 else 0.0,
            consume_rate=counts.deliveries / consume_seconds if consume_seconds > 0 else 0.0,
            latency_us={
                "p50": latencies.percentile(0.50),
                "p95": latencies.percentile(0.95),
                "p99": latencies.percentile(0.99),
                "max": latencies.max if latencies.count else None,
            },
        )


def _queue_arguments(options: PerfOptions) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if options.quorum:
        arguments["x-queue-type"] = "quorum"
    if options.queue is None:
        # A safety net for a run killed before it deletes its queue: the
        # broker drops it once nobody has used it for a minute past the run.
        arguments["x-expires"] = int((options.duration + _CONFIRM_GRACE + _DRAIN_GRACE + 60) * 1000)
    return arguments


async def _open(run: _Run, url: str, name: str, opened: list[PerfConnection]) -> PerfChannel:
    return await _open_observed(run.runtime, url, name, opened, run.observer)


async def _open_observed(
    runtime: Runtime, url: str, name: str, opened: list[PerfConnection], observer: CountingObserver
) -> PerfChannel:
    connection = runtime.connection(url, name, observer)
    await connection.connect()
    opened.append(connection)
    return await connection.channel()


@contextlib.contextmanager
def _interruptible(run: _Run) -> Iterator[None]:
    """The first Ctrl-C ends the run early, with its summary; a second one interrupts as usual.

    (A ``KeyboardInterrupt`` raised inside the workers would tear them down
    in whatever state: curio, for one, does not survive it.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        run.interrupted = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


async def _perf(options: PerfOptions, runtime: Runtime, progress: _Progress) -> PerfSummary:
    queue = options.queue or f"amqproto-perf-{uuid.uuid4().hex[:12]}"
    run = _Run(options=options, runtime=runtime, queue=queue, tag=os.urandom(4))
    with _interruptible(run):
        return await _run(run, runtime, progress)


async def _run(run: _Run, runtime: Runtime, progress: _Progress) -> PerfSummary:
    options = run.options
    queue = run.queue
    opened: list[PerfConnection] = []
    declared = False
    try:
        admin = await _open(run, options.url, "amqproto perf", opened)
        await admin.queue_declare(
            queue, durable=options.quorum or options.queue is not None, arguments=_queue_arguments(options)
        )
        declared = options.queue is None
        producers: list[_Producer] = []
        for index in range(options.producers):
            channel = await _open(run, options.url, f"amqproto perf producer {index + 1}", opened)
            if options.confirm is not None:
                await channel.confirm_select()
            producers.append(_Producer(run, opened[-1], channel))
        consumers: list[_Consumer] = []
        for index in range(options.consumers):
            channel = await _open(run, options.url, f"amqproto perf consumer {index + 1}", opened)
            await channel.basic_qos(prefetch_count=options.prefetch)
            consumer = channel.basic_consume(queue)
            await consumer.start()
            consumers.append(_Consumer(run, channel, consumer))
        controller = _Controller(run, producers, consumers, progress)
        run.started = time.monotonic()
        workers: list[Worker] = [controller.control]
        workers += [producer.publish for producer in producers]
        workers += [consumer.consume for consumer in consumers]
        await runtime.run_all(workers)
        progress.end()
        if run.errors:
            raise run.errors[0]
        summary = controller.summary()
        if declared:
            declared = False
            await admin.queue_delete(queue)
        return summary
    finally:
        progress.end()
        await _close_all(opened, runtime, options.url, queue if declared else None)


async def _close_all(opened: list[PerfConnection], runtime: Runtime, url: str, queue: str | None) -> None:
    """Close every connection; delete the run's queue if that is still to do (on a new connection)."""
    for connection in opened:
        with contextlib.suppress(AMQPError, OSError):
            await connection.close()
    if queue is not None:
        cleanup: list[PerfConnection] = []
        try:
            channel = await _open_observed(runtime, url, "amqproto perf cleanup", cleanup, CountingObserver())
            await channel.queue_delete(queue)
        except (AMQPError, OSError):
            pass  # x-expires removes it later
        for connection in cleanup:
            await connection.close()


def run_perf(options: PerfOptions, runtime: Runtime, progress: TextIO | None = sys.stderr) -> PerfSummary:
    """Run the load; the progress line goes to ``progress`` (``None``: nowhere).

    Raises:
        AMQPError, OSError: a connection or the broker failed, or publishes
            were left unconfirmed.
    """
    result: list[PerfSummary] = []

    async def main() -> None:
        result.append(await _perf(options, runtime, _Progress(progress)))

    runtime.run(main)
    return result[0]
