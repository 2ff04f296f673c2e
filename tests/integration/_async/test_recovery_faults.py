"""Recovery from network faults, through :class:`~tests.faultproxy.FaultProxy` (issue 11).

``test_recovery.py`` loses connections the polite way (the broker's 320);
here the network fails instead, between the client and the default broker:

- ``reset()``: both sides of every proxied connection get a TCP RST, as a
  crashed peer or a middlebox would send: the client's read fails;
- ``freeze()``: nothing is forwarded any more while the sockets stay open,
  so only the heartbeat (``heartbeat=1``) tells the client its peer is
  gone; the recovery's own attempts hang in the proxy until they time out
  (``connection_timeout``), until ``resume()``.

After each, the connection recovers on its own, its consumer resumes, and
the broker holds exactly one consumer on the queue (``rabbitmqctl
list_consumers``): the old connection's consumer went with it, and the
recovery did not start two.  The topology test checks what recovery
declares again after a reset: a server-named queue under a new name with
its binding and consumer, an exchange-to-exchange binding, and not a
queue the application deleted.

Messages are published over a direct connection to the broker, so that
only the connection under test goes through the proxy.
"""

from __future__ import annotations

import pytest

from amqproto.exceptions import AMQPError, ConnectionLost, HeartbeatTimeout, NotFound
from amqproto.io._async.channel import AsyncConsumer
from amqproto.io._async.connection import AsyncConnection
from amqproto.io.recovery import Recovery

from ...faultproxy import FaultProxy
from ..broker import URL, _rabbitmqctl, unique
from .helpers import bounded, eventually, run_blocking

pytestmark = pytest.mark.broker

FAST = Recovery(initial_delay=0.05, max_delay=0.5)
#: Seconds for a recovery through the proxy, a frozen one's dead-peer detection included.
RECOVER_WITHIN = 30.0


def consumers_on(queue: str) -> int:
    """How many consumers the broker lists on ``queue``."""
    output = _rabbitmqctl("list_consumers", "queue_name", "--quiet", "--no-table-headers")
    return sum(1 for line in output.splitlines() if line.strip() == queue)


async def _publish(
    connection_class: type[AsyncConnection], body: bytes, *, exchange: str = "", routing_key: str = ""
) -> None:
    """Publish over a connection of its own, straight to the broker (not through the proxy)."""
    async with connection_class(URL) as direct, direct.get_channel() as channel:
        await channel.confirm_select()
        await channel.basic_publish(body, exchange=exchange, routing_key=routing_key)


async def _next_body(consumer: AsyncConsumer) -> bytes:
    message = await bounded(RECOVER_WITHIN, consumer.__anext__)
    await message.ack()
    return message.body


async def test_a_reset_connection_recovers_and_its_consumer_resumes(
    connection_class: type[AsyncConnection],
) -> None:
    queue = unique("queue")
    lost: list[AMQPError] = []
    recovered: list[bool] = []
    with FaultProxy() as proxy:
        connection = connection_class(proxy.url(), recovery=FAST)
        connection.add_lost_callback(lost.append)
        connection.add_recovered_callback(lambda: recovered.append(True))
        await connection.connect()
        try:
            channel = await connection.channel()
            await channel.queue_declare(queue)
            async with channel.basic_consume(queue) as consumer:
                await _publish(connection_class, b"before", routing_key=queue)
                assert await _next_body(consumer) == b"before"

                await run_blocking(proxy.reset)
                await eventually(lambda: recovered, within=RECOVER_WITHIN)
                assert isinstance(lost[0], ConnectionLost) and proxy.accepted == 2

                await _publish(connection_class, b"after", routing_key=queue)
                # The reset may have lost the ack of "before": then the broker
                # redelivers it first (at least once), before "after".
                body = await _next_body(consumer)
                if body == b"before":
                    body = await _next_body(consumer)
                assert body == b"after"
                await eventually(lambda: consumers_on(queue) == 1, within=RECOVER_WITHIN)
        finally:
            await channel.queue_delete(queue)
            await connection.close()


async def test_a_frozen_peer_is_detected_and_recovered_once_it_resumes(
    connection_class: type[AsyncConnection],
) -> None:
    queue = unique("queue")
    lost: list[AMQPError] = []
    recovered: list[bool] = []
    with FaultProxy() as proxy:
        connection = connection_class(proxy.url(), heartbeat=1, connection_timeout=2, recovery=FAST)
        connection.add_lost_callback(lost.append)
        connection.add_recovered_callback(lambda: recovered.append(True))
        await connection.connect()
        try:
            channel = await connection.channel()
            await channel.queue_declare(queue)
            async with channel.basic_consume(queue) as consumer:
                await _publish(connection_class, b"before", routing_key=queue)
                assert await _next_body(consumer) == b"before"

                await run_blocking(proxy.freeze)
                await eventually(lambda: lost, within=RECOVER_WITHIN)
                assert isinstance(lost[0], HeartbeatTimeout)
                assert not recovered  # nothing gets through while frozen
                await run_blocking(proxy.resume)
                await eventually(lambda: recovered, within=RECOVER_WITHIN)

                await _publish(connection_class, b"after", routing_key=queue)
                assert await _next_body(consumer) == b"after"
                # The frozen connection's consumer goes when the broker notices
                # its own heartbeats missing; the recovered one stays alone.
                await eventually(lambda: consumers_on(queue) == 1, within=RECOVER_WITHIN)
        finally:
            await channel.queue_delete(queue)
            await connection.close()


async def test_topology_comes_back_after_a_reset_renamed_and_without_what_was_deleted(
    connection_class: type[AsyncConnection],
) -> None:
    exchange, upstream = unique("exchange"), unique("upstream")
    deleted = unique("deleted")
    recovered: list[bool] = []
    with FaultProxy() as proxy:
        connection = connection_class(proxy.url(), recovery=FAST)
        connection.add_recovered_callback(lambda: recovered.append(True))
        await connection.connect()
        try:
            channel = await connection.channel()
            await channel.exchange_declare(exchange, "fanout")
            await channel.exchange_declare(upstream, "fanout")
            await channel.exchange_bind(exchange, upstream)
            old_queue = (await channel.queue_declare(exclusive=True)).queue
            await channel.queue_bind(old_queue, exchange)
            await channel.queue_declare(deleted)
            await channel.queue_delete(deleted)
            async with channel.basic_consume(old_queue) as consumer:
                await _publish(connection_class, b"before", exchange=upstream)
                assert await _next_body(consumer) == b"before"

                await run_blocking(proxy.reset)
                await eventually(lambda: recovered, within=RECOVER_WITHIN)

                # A new name; the binding and the consumer followed it.
                assert consumer.queue != old_queue
                await eventually(lambda: consumers_on(consumer.queue) == 1, within=RECOVER_WITHIN)
                assert consumers_on(old_queue) == 0
                # Through the exchange-to-exchange binding and the queue's binding:
                await _publish(connection_class, b"after", exchange=upstream)
                assert await _next_body(consumer) == b"after"
            # What the application deleted stayed deleted.
            probe = await connection.channel()
            with pytest.raises(NotFound):
                await probe.queue_declare(deleted, passive=True)
        finally:
            cleanup = await connection.channel()
            await cleanup.exchange_delete(exchange)
            await cleanup.exchange_delete(upstream)
            await cleanup.queue_delete(deleted)
            await connection.close()
