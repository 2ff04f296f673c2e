"""aiormq on asyncio and on uvloop.

Publishing passes ``wait=False``, aiormq's fastest form: ``basic_publish``
then returns without waiting for its writer task to write the frames (by
default it waits, which halves its publish rate).  On a confirming channel
``basic_publish`` awaits the message's confirm, so the confirm scenario
streams with one task per publish, at most ``window`` in flight.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiormq

from ..common import Job, Probe
from ._aio import Window, run_loop, wait_done

__all__ = ["run_asyncio", "run_uvloop"]


async def _publish(channel: Any, job: Job, probe: Probe) -> None:
    body = b"x" * job.size
    queue = job.queue
    publish = channel.basic_publish
    if job.kind == "confirm":
        window = Window(job.window)
        probe.start()
        for _ in range(job.count):
            await window.submit(publish(body, routing_key=queue, wait=False))
        await window.drain()
        probe.stop()
        return
    probe.start()
    for _ in range(job.count):
        await publish(body, routing_key=queue, wait=False)
    probe.published()
    await wait_done(probe)


async def _consume(channel: Any, job: Job, probe: Probe) -> None:
    await channel.basic_qos(prefetch_count=job.prefetch)
    count, ack_every = job.count, job.ack_every
    received = 0
    finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def on_message(message: Any) -> None:
        nonlocal received
        received += 1
        if received % ack_every == 0 or received == count:
            await channel.basic_ack(message.delivery.delivery_tag, multiple=True)
            if received == count:
                probe.stop()
                finished.set_result(None)

    probe.start()
    await channel.basic_consume(job.queue, on_message)
    await finished


async def _rpc(channel: Any, job: Job, probe: Probe) -> None:
    reply_queue = (await channel.queue_declare(exclusive=True)).queue
    body = b"x" * job.size
    clock = time.perf_counter
    loop = asyncio.get_running_loop()
    pending: asyncio.Future[str] = loop.create_future()

    async def on_reply(message: Any) -> None:
        pending.set_result(message.header.properties.correlation_id)

    await channel.basic_consume(reply_queue, on_reply, no_ack=True)
    latencies = probe.latencies
    for number in range(job.warmup + job.count):
        if number == job.warmup:
            probe.start()
        correlation_id = str(number)
        pending = loop.create_future()
        started = clock()
        await channel.basic_publish(
            body,
            routing_key=job.queue,
            properties=aiormq.spec.Basic.Properties(reply_to=reply_queue, correlation_id=correlation_id),
        )
        reply = await pending
        if number >= job.warmup:
            latencies.append(clock() - started)
        assert reply == correlation_id
    probe.stop()


async def _main(job: Job, probe: Probe) -> None:
    connection = await aiormq.connect(job.url)
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
