"""amqproto's blocking adapter (a reader thread, plain sockets)."""

from __future__ import annotations

import datetime
import time

from amqproto.io.blocking import BlockingChannel, BlockingConnection
from amqproto.schema.properties import BasicProperties

from ..common import CONTENT_TYPE, HEADERS, Job, Probe

__all__ = ["run"]


def _publish(channel: BlockingChannel, job: Job, probe: Probe) -> None:
    body = b"x" * job.size
    queue = job.queue
    publish = channel.basic_publish
    if job.kind == "confirm":
        channel.confirm_select()
        probe.start()
        window = job.window
        for _ in range(job.count):
            publish(body, "", queue, wait=False)
            channel.wait_for_confirms(window)
        channel.wait_for_confirms(0)
        probe.stop()
        return
    probe.start()
    if job.properties:
        now, utc, headers = datetime.datetime.now, datetime.UTC, HEADERS
        for number in range(job.count):
            properties = BasicProperties(
                content_type=CONTENT_TYPE,
                delivery_mode=2,
                headers=headers,
                message_id=str(number),
                timestamp=now(utc),
            )
            publish(body, "", queue, properties=properties)
    else:
        for _ in range(job.count):
            publish(body, "", queue)
    probe.published()
    probe.wait()


def _consume(channel: BlockingChannel, job: Job, probe: Probe) -> None:
    channel.basic_qos(prefetch_count=job.prefetch)
    count, ack_every = job.count, job.ack_every
    received = 0
    probe.start()
    with channel.basic_consume(job.queue) as consumer:
        for message in consumer:
            received += 1
            if received % ack_every == 0 or received == count:
                message.ack(multiple=True)
                if received == count:
                    probe.stop()
                    break


def _rpc(channel: BlockingChannel, job: Job, probe: Probe) -> None:
    reply_queue = channel.queue_declare("", exclusive=True).queue
    body = b"x" * job.size
    clock = time.perf_counter
    latencies = probe.latencies
    with channel.basic_consume(reply_queue, no_ack=True) as consumer:
        replies = iter(consumer)
        for number in range(job.warmup + job.count):
            if number == job.warmup:
                probe.start()
            correlation_id = str(number)
            started = clock()
            channel.basic_publish(
                body,
                "",
                job.queue,
                properties=BasicProperties(reply_to=reply_queue, correlation_id=correlation_id),
            )
            reply = next(replies)
            if number >= job.warmup:
                latencies.append(clock() - started)
            assert reply.properties.correlation_id == correlation_id
        probe.stop()


def run(job: Job, probe: Probe) -> None:
    with BlockingConnection(job.url) as connection, connection.get_channel() as channel:
        if job.kind in ("publish", "confirm"):
            _publish(channel, job, probe)
        elif job.kind == "consume":
            _consume(channel, job, probe)
        elif job.kind == "rpc":
            _rpc(channel, job, probe)
        else:
            raise ValueError(job.kind)
