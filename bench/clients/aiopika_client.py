"""aio-pika (on aiormq) on asyncio and on uvloop.

``Exchange.publish`` on a confirming channel awaits the confirm, so the
confirm scenario streams with one task per publish, at most ``window`` in
flight.  Each publish builds an ``aio_pika.Message``, as its API requires.
"""

from __future__ import annotations

import time
from typing import Any

import aio_pika

from ..common import Job, Probe
from ._aio import Window, run_loop, wait_done

__all__ = ["run_asyncio", "run_uvloop"]


async def _publish(channel: Any, job: Job, probe: Probe) -> None:
    body = b"x" * job.size
    queue = job.queue
    publish = channel.default_exchange.publish
    Message = aio_pika.Message
    if job.kind == "confirm":
        window = Window(job.window)
        probe.start()
        for _ in range(job.count):
            await window.submit(publish(Message(body), routing_key=queue))
        await window.drain()
        probe.stop()
        return
    probe.start()
    for _ in range(job.count):
        await publish(Message(body), routing_key=queue)
    probe.published()
    await wait_done(probe)


async def _consume(channel: Any, job: Job, probe: Probe) -> None:
    await channel.set_qos(prefetch_count=job.prefetch)
    queue = await channel.declare_queue(job.queue, passive=True)
    count, ack_every = job.count, job.ack_every
    received = 0
    probe.start()
    async with queue.iterator() as messages:
        async for message in messages:
            received += 1
            if received % ack_every == 0 or received == count:
                await message.ack(multiple=True)
                if received == count:
                    probe.stop()
                    break


async def _rpc(channel: Any, job: Job, probe: Probe) -> None:
    reply_queue = await channel.declare_queue(exclusive=True)
    body = b"x" * job.size
    clock = time.perf_counter
    publish = channel.default_exchange.publish
    latencies = probe.latencies
    async with reply_queue.iterator(no_ack=True) as replies:
        iterator = replies.__aiter__()
        for number in range(job.warmup + job.count):
            if number == job.warmup:
                probe.start()
            correlation_id = str(number)
            started = clock()
            await publish(
                aio_pika.Message(body, reply_to=reply_queue.name, correlation_id=correlation_id),
                routing_key=job.queue,
            )
            reply = await iterator.__anext__()
            if number >= job.warmup:
                latencies.append(clock() - started)
            assert reply.correlation_id == correlation_id
        probe.stop()


async def _main(job: Job, probe: Probe) -> None:
    connection = await aio_pika.connect(job.url)
    try:
        channel = await connection.channel(publisher_confirms=job.kind == "confirm")
        if job.kind in ("publish", "confirm"):
            await _publish(channel, job, probe)
        elif job.kind == "consume":
            await _consume(channel, job, probe)
        elif job.kind == "rpc":
            await _rpc(channel, job, probe)
        else:
            raise ValueError(job.kind)
    finally:
        await connection.close()


def run_asyncio(job: Job, probe: Probe) -> None:
    run_loop(lambda: _main(job, probe), uvloop=False)


def run_uvloop(job: Job, probe: Probe) -> None:
    run_loop(lambda: _main(job, probe), uvloop=True)
