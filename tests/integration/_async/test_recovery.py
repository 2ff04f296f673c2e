"""Automatic recovery against the real broker, on every adapter (issue 11).

An operator's ``rabbitmqctl close_connection`` (320 CONNECTION_FORCED) is
the loss; the connection must come back by itself with its channels, qos,
confirm mode, topology and consumers.  The failover tests on a three-node
cluster live in ``tests/cluster``.
"""

from __future__ import annotations

import pytest

from amqproto.exceptions import AMQPError, ConnectionForced, ConnectionInterrupted, ConnectionLost, NotFound
from amqproto.io._async.channel import AsyncMessage
from amqproto.io._async.connection import AsyncConnection
from amqproto.io.recovery import Recovery

from ..broker import URL, close_connection_named, unique
from .helpers import eventually, run_blocking

pytestmark = pytest.mark.broker

FAST = Recovery(initial_delay=0.05, max_delay=0.5)


async def test_a_forced_close_is_recovered_with_topology_and_consumers(
    connection_class: type[AsyncConnection],
) -> None:
    name = unique("connection")
    exchange = unique("exchange")
    upstream = unique("upstream")
    lost: list[AMQPError] = []
    recovered: list[bool] = []
    connection = connection_class(URL, client_properties={"connection_name": name}, recovery=FAST)
    connection.add_lost_callback(lost.append)
    connection.add_recovered_callback(lambda: recovered.append(True))
    await connection.connect()
    try:
        channel = await connection.channel()
        await channel.basic_qos(prefetch_count=5)
        await channel.confirm_select()
        await channel.exchange_declare(exchange, "fanout", auto_delete=False)
        await channel.exchange_declare(upstream, "fanout", auto_delete=False)
        await channel.exchange_bind(exchange, upstream)
        old_queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.queue_bind(old_queue, exchange)
        async with channel.basic_consume(old_queue) as consumer:
            await channel.basic_publish(b"before", exchange=upstream)
            first = await consumer.__anext__()
            assert first.body == b"before"
            await first.ack()

            await run_blocking(close_connection_named, name, "operator says recover")
            await eventually(lambda: recovered, within=30)
            assert isinstance(lost[0], ConnectionForced)
            assert connection.is_open and channel.is_open
            # The server-named queue has a new name; the consumer and binding followed it.
            assert consumer.queue != old_queue
            # Through the exchange-to-exchange binding, the binding, the same consumer object:
            await channel.basic_publish(b"after", exchange=upstream)  # confirm mode came back too
            second = await consumer.__anext__()
            assert second.body == b"after"
            await second.ack()
    finally:
        async with connection_class(URL) as cleanup:
            cleanup_channel = await cleanup.channel()
            await cleanup_channel.exchange_delete(exchange)
            await cleanup_channel.exchange_delete(upstream)
        await connection.close()


async def test_acking_a_message_from_before_the_loss_does_nothing(
    connection_class: type[AsyncConnection],
) -> None:
    name = unique("connection")
    queue = unique("queue")
    recovered: list[bool] = []
    connection = connection_class(URL, client_properties={"connection_name": name}, recovery=FAST)
    connection.add_recovered_callback(lambda: recovered.append(True))
    await connection.connect()
    try:
        channel = await connection.channel()
        await channel.queue_declare(queue)
        await channel.basic_publish(b"once", routing_key=queue)
        async with channel.basic_consume(queue) as consumer:
            held: AsyncMessage = await consumer.__anext__()
            await run_blocking(close_connection_named, name, "recover")
            await eventually(lambda: recovered, within=30)
            await held.ack()  # a tag of the old channel: must not reach the new one
            again = await consumer.__anext__()
            assert again.body == b"once" and again.redelivered
            assert again.delivery_tag > held.delivery_tag
            await again.ack()
            assert channel.is_open
            await channel.queue_declare(queue, passive=True)  # the channel is alive: no 406
    finally:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await connection.close()


async def test_unconfirmed_publishes_raise_interrupted_and_calls_then_resume(
    connection_class: type[AsyncConnection],
) -> None:
    name = unique("connection")
    queue = unique("queue")
    connection = connection_class(URL, client_properties={"connection_name": name}, recovery=FAST)
    await connection.connect()
    try:
        channel = await connection.channel()
        await channel.queue_declare(queue)
        await channel.confirm_select()
        for _ in range(10):
            await channel.basic_publish(b"x" * 1000, routing_key=queue, wait=False)
        await run_blocking(close_connection_named, name, "recover")
        interrupted: ConnectionInterrupted | None = None
        try:
            # Either the acks came before the close, or the wait is interrupted.
            await channel.wait_for_confirms()
        except ConnectionInterrupted as exc:
            interrupted = exc
        if interrupted is not None:
            assert isinstance(interrupted, ConnectionLost)
            assert set(interrupted.unconfirmed) <= set(range(1, 11))
        # A call made during or after the recovery waits for it and runs on the new connection.
        declared = await channel.queue_declare(queue, passive=True, timeout=30)
        assert declared.message_count >= 0
        assert await channel.basic_publish(b"after", routing_key=queue) == 1  # sequence numbers restart
    finally:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await connection.close()


async def test_what_the_application_deleted_is_not_declared_again(
    connection_class: type[AsyncConnection],
) -> None:
    name = unique("connection")
    kept, deleted = unique("kept"), unique("deleted")
    recovered: list[bool] = []
    connection = connection_class(URL, client_properties={"connection_name": name}, recovery=FAST)
    connection.add_recovered_callback(lambda: recovered.append(True))
    await connection.connect()
    try:
        channel = await connection.channel()
        await channel.queue_declare(kept, auto_delete=False)
        await channel.queue_declare(deleted)
        await channel.queue_delete(deleted)
        await run_blocking(close_connection_named, name, "recover")
        await eventually(lambda: recovered, within=30)
        await channel.queue_declare(kept, passive=True)
        with pytest.raises(NotFound):
            await channel.queue_declare(deleted, passive=True)
    finally:
        async with connection_class(URL) as cleanup:
            await (await cleanup.channel()).queue_delete(kept)
        await connection.close()


async def test_connect_tries_the_urls_in_order(connection_class: type[AsyncConnection]) -> None:
    unreachable = "amqp://guest:guest@127.0.0.1:1/%2F"
    async with connection_class([unreachable, URL], connection_timeout=5) as connection:
        assert connection.is_open and connection.port == 5672


async def test_recovery_gives_up_after_max_attempts(connection_class: type[AsyncConnection]) -> None:
    name = unique("connection")
    failed: list[AMQPError] = []
    closed: list[AMQPError | None] = []
    # Recovery goes round the URLs, starting after the one it had: the dead
    # port comes next, then the broker again — with one attempt, only the dead one.
    connection = connection_class(
        [URL, "amqp://guest:guest@127.0.0.1:1/%2F"],
        client_properties={"connection_name": name},
        recovery=Recovery(initial_delay=0.05, max_delay=0.1, max_attempts=1),
    )
    connection.add_recovery_failed_callback(failed.append)
    connection.add_close_callback(closed.append)
    await connection.connect()
    channel = await connection.channel()
    await run_blocking(close_connection_named, name, "gone for good")
    await eventually(lambda: failed and closed, within=30)
    assert isinstance(failed[0], ConnectionLost)
    assert closed[0] is failed[0]
    with pytest.raises(ConnectionLost):
        await channel.queue_declare(exclusive=True)
    assert not connection.is_open
    await connection.close()
