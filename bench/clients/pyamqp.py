"""py-amqp (``amqp``), Celery's client: blocking, single-threaded.

Confirms stream: ``confirm_select`` plus the channel's ``basic_ack`` event
callbacks, with ``drain_events`` whenever the window is full.
"""

from __future__ import annotations

import time
from typing import Any

import amqp

from ..common import HOST, PORT, Job, Probe

__all__ = ["run"]


def _publish(connection: Any, channel: Any, job: Job, probe: Probe) -> None:
    body = b"x" * job.size
    queue = job.queue
    publish = channel.basic_publish
    Message = amqp.Message
    if job.kind == "confirm":
        confirmed = 0

        def on_ack(delivery_tag: int, multiple: bool) -> None:
            nonlocal confirmed
            confirmed = delivery_tag if multiple else confirmed + 1

        def on_nack(delivery_tag: int, multiple: bool) -> None:
            raise RuntimeError(f"nacked {delivery_tag}")

        channel.confirm_select()
        channel.events["basic_ack"].add(on_ack)
        channel.events["basic_nack"].add(on_nack)
        window = job.window
        probe.start()
        for sent in range(1, job.count + 1):
            publish(Message(body), exchange="", routing_key=queue)
            while sent - confirmed >= window:
                connection.drain_events()
        while confirmed < job.count:
            connection.drain_events()
        probe.stop()
        return
    probe.start()
    for _ in range(job.count):
        publish(Message(body), exchange="", routing_key=queue)
    probe.published()
    probe.wait()


def _consume(connection: Any, channel: Any, job: Job, probe: Probe) -> None:
    channel.basic_qos(0, job.prefetch, False)
    count, ack_every = job.count, job.ack_every
    received = 0

    def on_message(message: Any) -> None:
        nonlocal received
        received += 1
        if received % ack_every == 0 or received == count:
            channel.basic_ack(message.delivery_tag, multiple=True)

    probe.start()
    channel.basic_consume(job.queue, callback=on_message)
    while received < count:
        connection.drain_events()
    probe.stop()


def _rpc(connection: Any, channel: Any, job: Job, probe: Probe) -> None:
    reply_queue = channel.queue_declare("", exclusive=True).queue
    body = b"x" * job.size
    clock = time.perf_counter
    replies: list[str] = []

    def on_reply(message: Any) -> None:
        replies.append(message.properties["correlation_id"])

    channel.basic_consume(reply_queue, callback=on_reply, no_ack=True)
    latencies = probe.latencies
    for number in range(job.warmup + job.count):
        if number == job.warmup:
            probe.start()
        correlation_id = str(number)
        started = clock()
        channel.basic_publish(
            amqp.Message(body, reply_to=reply_queue, correlation_id=correlation_id),
            exchange="",
            routing_key=job.queue,
        )
        while not replies:
            connection.drain_events()
        if number >= job.warmup:
            latencies.append(clock() - started)
        assert replies.pop() == correlation_id
    probe.stop()


def run(job: Job, probe: Probe) -> None:
    connection = amqp.Connection(host=f"{HOST}:{PORT}", userid="guest", password="guest")
    connection.connect()
    try:
        channel = connection.channel()
        if job.kind in ("publish", "confirm"):
            _publish(connection, channel, job, probe)
        elif job.kind == "consume":
            _consume(connection, channel, job, probe)
        elif job.kind == "rpc":
            _rpc(connection, channel, job, probe)
        else:
            raise ValueError(job.kind)
    finally:
        connection.close()
