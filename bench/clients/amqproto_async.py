"""amqproto on asyncio (default loop and uvloop), curio, trio and Twisted (default reactor).

The natural confirm scenario (``Job.natural``) publishes the way an
aio-pika user writes it: one task per message, each awaiting its own
``basic_publish`` (which returns once the broker acked it), at most
``job.window`` in flight behind a semaphore.  Each library spawns and
limits tasks its own way: see the ``Streams`` functions below.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable

from amqproto.io._async.channel import AsyncChannel
from amqproto.io._async.connection import AsyncConnection
from amqproto.schema.properties import BasicProperties

from ..common import CONTENT_TYPE, HEADERS, Job, Probe
from ._aio import Window, run_loop, wait_done

#: Runs ``count`` tasks of ``publish_one()``, at most ``window`` at once, and
#: returns once all ended (raising the first error).
Streams = Callable[[Callable[[], Awaitable[object]], int, int], Awaitable[None]]

__all__ = ["run_asyncio", "run_curio", "run_trio", "run_twisted", "run_uvloop", "run_uvloop_recovery"]


async def _publish(
    channel: AsyncChannel,
    job: Job,
    probe: Probe,
    wait: Callable[[Probe], Awaitable[None]],
    streams: Streams | None = None,
) -> None:
    body = b"x" * job.size
    queue = job.queue
    publish = channel.basic_publish
    if job.kind == "confirm" and job.natural:
        assert streams is not None
        await channel.confirm_select()
        probe.start()
        await streams(lambda: publish(body, "", queue), job.count, job.window)
        probe.stop()
        return
    if job.kind == "confirm":
        await channel.confirm_select()
        probe.start()
        window = job.window
        for _ in range(job.count):
            await publish(body, "", queue, wait=False)
            await channel.wait_for_confirms(window)
        await channel.wait_for_confirms(0)
        probe.stop()
        return
    if job.properties:
        now, utc, headers = datetime.datetime.now, datetime.UTC, HEADERS
        probe.start()
        for number in range(job.count):
            properties = BasicProperties(
                content_type=CONTENT_TYPE,
                delivery_mode=2,
                headers=headers,
                message_id=str(number),
                timestamp=now(utc),
            )
            await publish(body, "", queue, properties=properties)
        probe.published()
        await wait(probe)
        return
    probe.start()
    for _ in range(job.count):
        await publish(body, "", queue)
    probe.published()
    await wait(probe)


async def _consume(channel: AsyncChannel, job: Job, probe: Probe) -> None:
    await channel.basic_qos(prefetch_count=job.prefetch)
    count, ack_every = job.count, job.ack_every
    received = 0
    probe.start()
    async with channel.basic_consume(job.queue) as consumer:
        async for message in consumer:
            received += 1
            if received % ack_every == 0 or received == count:
                await message.ack(multiple=True)
                if received == count:
                    probe.stop()
                    break


async def _rpc(channel: AsyncChannel, job: Job, probe: Probe, clock: Callable[[], float]) -> None:
    reply_queue = (await channel.queue_declare("", exclusive=True)).queue
    body = b"x" * job.size
    latencies = probe.latencies
    async with channel.basic_consume(reply_queue, no_ack=True) as consumer:
        replies = consumer.__aiter__()
        for number in range(job.warmup + job.count):
            if number == job.warmup:
                probe.start()
            correlation_id = str(number)
            started = clock()
            await channel.basic_publish(
                body,
                "",
                job.queue,
                properties=BasicProperties(reply_to=reply_queue, correlation_id=correlation_id),
            )
            reply = await replies.__anext__()
            if number >= job.warmup:
                latencies.append(clock() - started)
            assert reply.properties.correlation_id == correlation_id
        probe.stop()


async def _run(
    connection_class: type[AsyncConnection],
    job: Job,
    probe: Probe,
    wait: Callable[[Probe], Awaitable[None]],
    clock: Callable[[], float],
    recovery: bool = False,
    streams: Streams | None = None,
) -> None:
    async with (
        connection_class(job.url, recovery=recovery) as connection,
        connection.get_channel() as channel,
    ):
        if job.kind in ("publish", "confirm"):
            await _publish(channel, job, probe, wait, streams)
        elif job.kind == "consume":
            await _consume(channel, job, probe)
        elif job.kind == "rpc":
            await _rpc(channel, job, probe, clock)
        else:
            raise ValueError(job.kind)


async def _asyncio_streams(publish_one: Callable[[], Awaitable[object]], count: int, window: int) -> None:
    tasks = Window(window)
    for _ in range(count):
        await tasks.submit(publish_one())  # type: ignore[arg-type]
    await tasks.drain()


def _asyncio(job: Job, probe: Probe, uvloop: bool, recovery: bool = False) -> None:
    import time

    from amqproto.io.asyncio import AsyncioConnection

    run_loop(
        lambda: _run(
            AsyncioConnection, job, probe, wait_done, time.perf_counter, recovery, _asyncio_streams
        ),
        uvloop,
    )


def run_asyncio(job: Job, probe: Probe) -> None:
    _asyncio(job, probe, uvloop=False)


def run_uvloop(job: Job, probe: Probe) -> None:
    _asyncio(job, probe, uvloop=True)


def run_uvloop_recovery(job: Job, probe: Probe) -> None:
    """uvloop with ``recovery=True``: recovery must cost nothing on the hot path."""
    _asyncio(job, probe, uvloop=True, recovery=True)


def run_curio(job: Job, probe: Probe) -> None:
    import time

    import curio

    from amqproto.io.curio import CurioConnection

    async def wait(probe: Probe) -> None:
        await curio.run_in_thread(probe.wait)

    async def streams(publish_one: Callable[[], Awaitable[object]], count: int, window: int) -> None:
        semaphore = curio.Semaphore(window)
        errors: list[BaseException] = []

        async def one() -> None:
            try:
                await publish_one()
            except Exception as exc:  # noqa: BLE001 (raised below)
                errors.append(exc)
            finally:
                await semaphore.release()

        for _ in range(count):
            await semaphore.acquire()
            await curio.spawn(one, daemon=True)
        for _ in range(window):
            await semaphore.acquire()
        if errors:
            raise errors[0]

    async def main() -> None:
        await _run(CurioConnection, job, probe, wait, time.perf_counter, streams=streams)

    curio.run(main)


def run_trio(job: Job, probe: Probe) -> None:
    import time

    import trio

    from amqproto.io.trio import TrioConnection

    async def wait(probe: Probe) -> None:
        await trio.to_thread.run_sync(probe.wait)

    async def streams(publish_one: Callable[[], Awaitable[object]], count: int, window: int) -> None:
        semaphore = trio.Semaphore(window)

        async def one() -> None:
            try:
                await publish_one()
            finally:
                semaphore.release()

        async with trio.open_nursery() as nursery:
            for _ in range(count):
                await semaphore.acquire()
                nursery.start_soon(one)

    async def main() -> None:
        await _run(TrioConnection, job, probe, wait, time.perf_counter, streams=streams)

    trio.run(main)


def run_twisted(job: Job, probe: Probe) -> None:
    import time
    from typing import Any

    from twisted.internet import defer, threads
    from twisted.internet import reactor as installed

    from amqproto.io.twisted import TwistedConnection

    reactor: Any = installed
    outcome: list[BaseException] = []

    async def wait(probe: Probe) -> None:
        await threads.deferToThread(probe.wait)

    async def streams(publish_one: Callable[[], Awaitable[object]], count: int, window: int) -> None:
        semaphore = defer.DeferredSemaphore(window)
        errors: list[BaseException] = []

        async def one() -> None:
            try:
                await publish_one()
            except Exception as exc:  # noqa: BLE001 (raised below)
                errors.append(exc)
            finally:
                semaphore.release()

        for _ in range(count):
            await semaphore.acquire()
            defer.Deferred.fromCoroutine(one())
        for _ in range(window):
            await semaphore.acquire()
        if errors:
            raise errors[0]

    async def main() -> None:
        try:
            await _run(TwistedConnection, job, probe, wait, time.perf_counter, streams=streams)
        except BaseException as exc:  # noqa: BLE001 (raised again once the reactor stopped)
            outcome.append(exc)
        finally:
            reactor.stop()

    reactor.callWhenRunning(lambda: defer.Deferred.fromCoroutine(main()))
    reactor.run()
    if outcome:
        raise RuntimeError("the Twisted client failed") from outcome[0]
