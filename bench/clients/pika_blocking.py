"""pika's BlockingConnection.

Its ``basic_publish`` in confirm mode waits for each message's confirm: no
streaming is possible through this API, so the confirm scenario is one by
one here.
"""

from __future__ import annotations

import time
from typing import Any

import pika

from ..common import HOST, PORT, Job, Probe

__all__ = ["run"]


def _publish(channel: Any, job: Job, probe: Probe) -> None:
    body = b"x" * job.size
    queue = job.queue
    publish = channel.basic_publish
    if job.kind == "confirm":
        channel.confirm_delivery()
    probe.start()
    for _ in range(job.count):
        publish("", queue, body)
    if job.kind == "confirm":
        probe.stop()
        return
    probe.published()
    probe.wait()


def _consume(connection: Any, channel: Any, job: Job, probe: Probe) -> None:
    channel.basic_qos(prefetch_count=job.prefetch)
    count, ack_every = job.count, job.ack_every
    received = 0

    def on_message(channel: Any, method: Any, properties: Any, body: bytes) -> None:
        nonlocal received
        received += 1
        if received % ack_every == 0 or received == count:
            channel.basic_ack(method.delivery_tag, multiple=True)
            if received == count:
                probe.stop()
                channel.stop_consuming()

    probe.start()
    channel.basic_consume(job.queue, on_message)
    channel.start_consuming()


def _rpc(connection: Any, channel: Any, job: Job, probe: Probe) -> None:
    reply_queue = channel.queue_declare("", exclusive=True).method.queue
    body = b"x" * job.size
    clock = time.perf_counter
    replies: list[str] = []

    def on_reply(channel: Any, method: Any, properties: Any, body: bytes) -> None:
        replies.append(properties.correlation_id)

    channel.basic_consume(reply_queue, on_reply, auto_ack=True)
    latencies = probe.latencies
    for number in range(job.warmup + job.count):
        if number == job.warmup:
            probe.start()
        correlation_id = str(number)
        started = clock()
        channel.basic_publish(
            "", job.queue, body, pika.BasicProperties(reply_to=reply_queue, correlation_id=correlation_id)
        )
        while not replies:
            connection.process_data_events(time_limit=None)
        if number >= job.warmup:
            latencies.append(clock() - started)
        assert replies.pop() == correlation_id
    probe.stop()


def run(job: Job, probe: Probe) -> None:
    parameters = pika.ConnectionParameters(
        host=HOST, port=PORT, credentials=pika.PlainCredentials("guest", "guest")
    )
    connection = pika.BlockingConnection(parameters)
    try:
        channel = connection.channel()
        if job.kind in ("publish", "confirm"):
            _publish(channel, job, probe)
        elif job.kind == "consume":
            _consume(connection, channel, job, probe)
        elif job.kind == "rpc":
            _rpc(connection, channel, job, probe)
        else:
            raise ValueError(job.kind)
    finally:
        connection.close()
