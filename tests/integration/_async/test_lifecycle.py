"""Lifecycle, callbacks, errors and logging against the real broker ("never lie, never hang").

Like ``test_broker.py`` this file is the source of its blocking twin
(``scripts/unasync.py``); every test runs on each adapter.  Callbacks run on
the connection's callback runner, so tests wait for what they do with
:func:`~.helpers.eventually`, never with a fixed sleep.
"""

from __future__ import annotations

import logging
import math

import pytest

from amqproto.exceptions import (
    AMQPError,
    ChannelClosedError,
    ConfigurationError,
    ConnectionClosedError,
    ConnectionForced,
    LocalProtocolError,
)
from amqproto.io._async.channel import ReturnedMessage
from amqproto.io._async.connection import AsyncConnection

from ..broker import URL, close_connection_named, unique
from .helpers import eventually, gather, run_blocking, sleep

pytestmark = pytest.mark.broker


async def test_a_callback_that_raises_is_logged_and_the_connection_carries_on(
    connection_class: type[AsyncConnection], caplog: pytest.LogCaptureFixture
) -> None:
    returned: list[ReturnedMessage] = []

    def broken(message: ReturnedMessage) -> None:
        raise ZeroDivisionError("a bug in user code")

    caplog.set_level(logging.ERROR, logger="amqproto")
    async with connection_class(URL, heartbeat=0) as connection:
        channel = await connection.channel()
        channel.add_return_callback(broken)
        channel.add_return_callback(returned.append)
        await channel.basic_publish(b"nowhere", routing_key=unique("unroutable"), mandatory=True)
        await eventually(lambda: returned)
        assert connection.is_open and channel.is_open
        await channel.queue_declare(exclusive=True)  # the next call works
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "return callback" in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is ZeroDivisionError


async def test_connect_on_an_open_or_closed_connection_raises_at_once(
    connection_class: type[AsyncConnection],
) -> None:
    connection = connection_class(URL)
    await connection.connect()
    try:
        with pytest.raises(LocalProtocolError, match="open already"):
            await connection.connect()
        # The open connection was left as it was.
        assert connection.is_open
        await (await connection.channel()).queue_declare(exclusive=True)
    finally:
        await connection.close()
    with pytest.raises(ConnectionClosedError, match="make a new one"):
        await connection.connect()


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf])
async def test_a_timeout_that_is_not_positive_is_refused(
    connection_class: type[AsyncConnection], bad: float
) -> None:
    with pytest.raises(ConfigurationError, match="connection_timeout must be a positive number"):
        connection_class(URL, connection_timeout=bad)
    with pytest.raises(ConfigurationError, match="call_timeout must be a positive number"):
        connection_class(URL, call_timeout=bad)


async def test_a_consumer_iterated_without_with_starts_itself(
    connection_class: type[AsyncConnection],
) -> None:
    async with connection_class(URL) as connection:
        channel = await connection.channel()
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.basic_publish(b"waiting", routing_key=queue)
        consumer = channel.basic_consume(queue)
        async for message in consumer:
            assert message.body == b"waiting"
            await message.ack()
            break
        await consumer.cancel()


async def test_leaving_a_consumer_early_requeues_what_it_had_not_yielded(
    connection_class: type[AsyncConnection],
) -> None:
    async with connection_class(URL) as connection:
        channel = await connection.channel()
        queue = (await channel.queue_declare(exclusive=True)).queue
        for number in range(5):
            await channel.basic_publish(str(number).encode(), routing_key=queue)
        async with channel.basic_consume(queue) as consumer:
            async for message in consumer:
                await message.ack()
                # The other four are prefetched, waiting in the consumer.
                await eventually(lambda: len(consumer._ready) == 4)
                break
        # Back in the queue at once, not when the channel closes.
        requeued = []
        for _ in range(4):
            got = await channel.basic_get(queue, no_ack=True)
            assert got is not None and got.redelivered
            requeued.append(got.body)
        assert requeued == [b"1", b"2", b"3", b"4"]


async def test_close_callbacks_get_the_cause(connection_class: type[AsyncConnection]) -> None:
    causes: list[AMQPError | None] = []
    async with connection_class(URL) as connection:
        connection.add_close_callback(causes.append)
    await eventually(lambda: causes)
    assert causes == [None]  # closed by us

    name = unique("connection")
    connection = connection_class(URL, client_properties={"connection_name": name})
    forced: list[AMQPError | None] = []
    connection.add_close_callback(forced.append)
    await connection.connect()
    channel = await connection.channel()
    await run_blocking(close_connection_named, name, "closed by the operator")
    await eventually(lambda: forced)
    (cause,) = forced
    assert isinstance(cause, ConnectionForced) and cause.reply_code == 320
    # Every later call fails with that same error, the reply code on it.
    with pytest.raises(ConnectionForced, match="closed by the operator") as later:
        await channel.queue_declare(exclusive=True)
    assert later.value.reply_code == 320
    assert isinstance(later.value, ConnectionClosedError) and isinstance(later.value, ChannelClosedError)
    with pytest.raises(ConnectionForced):
        await connection.channel()
    await connection.close()


async def test_confirms_never_lie_when_the_broker_closes_mid_stream(
    connection_class: type[AsyncConnection],
) -> None:
    """Whatever wait_for_confirms let through, and every publish not in ``unconfirmed``, is in the queue."""
    name = unique("connection")
    queue = unique("confirms")
    published = 0
    async with connection_class(URL) as setup:
        setup_channel = await setup.channel()
        await setup_channel.queue_declare(queue)
        try:
            async with connection_class(URL, client_properties={"connection_name": name}) as connection:
                channel = await connection.channel()
                await channel.confirm_select()

                async def publish_until_closed() -> None:
                    nonlocal published
                    while True:
                        sequence = await channel.basic_publish(
                            str(published + 1).encode(), routing_key=queue, wait=False
                        )
                        published += 1
                        assert sequence == published
                        await channel.wait_for_confirms(50)

                async def close_it() -> None:
                    await eventually(lambda: published >= 2000, within=30)
                    await run_blocking(close_connection_named, name, "closed mid-stream")

                with pytest.raises(ConnectionForced) as excinfo:
                    await gather(publish_until_closed, close_it)
            unconfirmed = set(excinfo.value.unconfirmed)
            assert unconfirmed <= set(range(1, published + 1))
            confirmed = set(range(1, published + 1)) - unconfirmed
            # rabbitmqctl takes a while to start: tens of thousands of messages
            # may be stored by then; a consumer reads them faster than basic.get.
            stored: set[int] = set()
            count = (await setup_channel.queue_declare(queue, passive=True)).message_count
            async with setup_channel.basic_consume(queue, no_ack=True) as consumer:
                async for message in consumer:
                    stored.add(int(message.body))
                    if len(stored) == count:
                        break
            assert confirmed <= stored, sorted(confirmed - stored)[:10]
        finally:
            await setup_channel.queue_delete(queue)


async def test_the_connection_logs_its_life_and_never_a_password(
    connection_class: type[AsyncConnection], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="amqproto")
    async with connection_class(URL) as connection:
        channel = await connection.channel()
        await channel.basic_publish(b"top secret body", routing_key=unique("nowhere"))
        await channel.queue_declare(exclusive=True)
    await sleep(0)
    messages = [record.getMessage() for record in caplog.records if record.name.startswith("amqproto")]
    assert any("connected to 127.0.0.1:5672" in message for message in messages)
    assert any("closed the connection to 127.0.0.1:5672" in message for message in messages)
    # At DEBUG, each frame in short form, both ways.
    assert any(message == "sent protocol header AMQP 0-9-1" for message in messages)
    assert any(message.startswith("received channel 0: connection.start(") for message in messages)
    assert any("connection.start-ok(" in message and "response=<hidden>" in message for message in messages)
    assert any(message.startswith("sent channel 1: basic.publish(") for message in messages)
    assert any(message == "sent channel 1: content body, 15 bytes" for message in messages)
    assert any(message.startswith("received channel 1: queue.declare-ok(") for message in messages)
    text = "\n".join(messages)
    assert "guest" not in text.replace("'guest'", "") and "top secret body" not in text
