"""Quorum queues and streams on the three-node cluster, with the adapters as they are.

No recovery here: every node stays up.  Each test runs once per adapter of
its flavour (asyncio and curio here; ``scripts/unasync.py`` generates the
blocking twin in ``../_sync``), uses names of its own and deletes the
queues it declares (replicated queues are durable, so nothing else would).

- A quorum queue declared on one node is a queue of the cluster: published
  to through another node, consumed through the third.
- ``x-delivery-limit``: a message nacked with requeue one time more than the
  limit is dead-lettered (``x-death`` reason ``delivery_limit``), or
  dropped when the queue has no dead-letter exchange.
- A stream (``x-queue-type: stream``) is read, not drained: a consumer
  starts where ``x-stream-offset`` says (an offset, or ``first``), with
  ``basic.qos`` and manual acks, which streams require over AMQP 0-9-1.
"""

from __future__ import annotations

from typing import Any

import pytest

from amqproto.exceptions import PreconditionFailed
from amqproto.io._async.channel import AsyncChannel, AsyncMessage
from amqproto.io._async.connection import AsyncConnection

from ...integration._async.helpers import run_blocking, sleep
from ...integration.broker import unique
from ..nodes import Cluster

#: Seconds a test waits for the cluster to settle something (a dead-lettering).
SETTLE_WITHIN = 10.0


def _headers(message: AsyncMessage) -> dict[str, Any]:
    return dict(message.properties.headers or {})


async def _message_count(channel: AsyncChannel, queue: str) -> int:
    return (await channel.queue_declare(queue, passive=True)).message_count


async def _wait_for_message_count(channel: AsyncChannel, queue: str, count: int) -> None:
    """Wait (bounded) until ``queue`` holds ``count`` ready messages."""
    for _ in range(int(SETTLE_WITHIN / 0.05)):
        if await _message_count(channel, queue) == count:
            return
        await sleep(0.05)
    assert await _message_count(channel, queue) == count


async def _take(
    channel: AsyncChannel, queue: str, count: int, arguments: dict[str, Any] | None = None
) -> list[AsyncMessage]:
    """Consume ``count`` messages from ``queue``, acking each; then cancel."""
    messages: list[AsyncMessage] = []
    async with channel.basic_consume(
        queue, arguments=arguments, inactivity_timeout=SETTLE_WITHIN
    ) as consumer:
        async for message in consumer:
            await message.ack()
            messages.append(message)
            if len(messages) == count:
                break
    return messages


async def test_every_node_serves_one_cluster(
    connection_class: type[AsyncConnection], cluster: Cluster
) -> None:
    names = []
    for url in cluster.urls:
        async with connection_class(url) as connection:
            names.append(connection.server_properties["cluster_name"])
            async with connection.get_channel() as channel:
                await channel.queue_declare("", exclusive=True)
    assert names == ["amqproto-cluster"] * 3


async def test_a_quorum_queue_is_a_queue_of_the_cluster(
    connection_class: type[AsyncConnection], cluster: Cluster
) -> None:
    queue = unique("quorum")
    async with (
        connection_class(cluster.url(1)) as declarer,
        connection_class(cluster.url(2)) as publisher,
        connection_class(cluster.url(3)) as consumer,
        declarer.get_channel() as admin,
    ):
        await admin.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
        try:
            listed = await run_blocking(
                cluster.rabbitmqctl, 2, "list_queues", "name", "type", "--quiet", "--no-table-headers"
            )
            assert f"{queue}\tquorum" in listed.splitlines()
            # A quorum queue is durable, never exclusive: the broker says so.
            async with declarer.get_channel() as channel:
                transient = unique("quorum")
                with pytest.raises(PreconditionFailed):
                    await channel.queue_declare(
                        transient, durable=False, arguments={"x-queue-type": "quorum"}
                    )

            async with publisher.get_channel() as channel:
                await channel.confirm_select()
                for index in range(10):
                    await channel.basic_publish(b"%d" % index, routing_key=queue)
            async with consumer.get_channel() as channel:
                await channel.basic_qos(prefetch_count=10)
                messages = await _take(channel, queue, 10)
                assert [message.body for message in messages] == [b"%d" % index for index in range(10)]
                await _wait_for_message_count(channel, queue, 0)
        finally:
            await admin.queue_delete(queue)


async def _nack_until_gone(channel: AsyncChannel, queue: str, limit: int) -> list[Any]:
    """Nack (with requeue) the queue's one message at each delivery, ``limit + 1`` times.

    Returns the ``x-delivery-count`` header of each delivery (None on the first).
    """
    counts: list[Any] = []
    await channel.basic_qos(prefetch_count=1)
    async with channel.basic_consume(queue, inactivity_timeout=SETTLE_WITHIN) as consumer:
        async for message in consumer:
            counts.append(_headers(message).get("x-delivery-count"))
            assert message.redelivered == (len(counts) > 1)
            await message.nack(requeue=True)
            if len(counts) == limit + 1:
                break
    return counts


@pytest.mark.parametrize("dead_letter", [True, False], ids=["dead-lettered", "dropped"])
async def test_a_quorum_queue_gives_up_after_its_delivery_limit(
    connection_class: type[AsyncConnection], cluster: Cluster, dead_letter: bool
) -> None:
    limit = 2
    queue = unique("quorum-limited")
    dead_letters = unique("dead-letters")
    arguments: dict[str, Any] = {"x-queue-type": "quorum", "x-delivery-limit": limit}
    if dead_letter:
        arguments |= {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead_letters}
    async with connection_class(cluster.url(1)) as connection, connection.get_channel() as channel:
        await channel.queue_declare(dead_letters, durable=True, arguments={"x-queue-type": "quorum"})
        await channel.queue_declare(queue, durable=True, arguments=arguments)
        try:
            await channel.confirm_select()
            await channel.basic_publish(b"poison", routing_key=queue)
            async with connection.get_channel() as consuming:
                assert await _nack_until_gone(consuming, queue, limit) == [None, 1, 2]
            await _wait_for_message_count(channel, queue, 0)
            if dead_letter:
                await _wait_for_message_count(channel, dead_letters, 1)
                message = await channel.basic_get(dead_letters)
                assert message is not None and message.body == b"poison"
                death = _headers(message)["x-death"][0]
                assert death["reason"] == "delivery_limit" and death["queue"] == queue
                await message.ack()
            else:
                assert await _message_count(channel, dead_letters) == 0
        finally:
            await channel.queue_delete(queue)
            await channel.queue_delete(dead_letters)


async def test_a_stream_is_read_from_an_offset(
    connection_class: type[AsyncConnection], cluster: Cluster
) -> None:
    stream = unique("stream")
    async with (
        connection_class(cluster.url(1)) as writer,
        connection_class(cluster.url(2)) as reader,
        writer.get_channel() as channel,
    ):
        await channel.queue_declare(stream, durable=True, arguments={"x-queue-type": "stream"})
        try:
            await channel.confirm_select()
            for index in range(10):
                await channel.basic_publish(b"%d" % index, routing_key=stream)

            async with reader.get_channel() as reading:
                # Streams refuse a consumer without a prefetch limit (and one with no_ack).
                await reading.basic_qos(prefetch_count=4)
                tail = await _take(reading, stream, 4, arguments={"x-stream-offset": 6})
                assert [message.body for message in tail] == [b"6", b"7", b"8", b"9"]
                assert [_headers(message)["x-stream-offset"] for message in tail] == [6, 7, 8, 9]
                # Reading does not consume: from the first offset, all ten are there.
                everything = await _take(reading, stream, 10, arguments={"x-stream-offset": "first"})
                assert [message.body for message in everything] == [b"%d" % index for index in range(10)]
        finally:
            await channel.queue_delete(stream)
