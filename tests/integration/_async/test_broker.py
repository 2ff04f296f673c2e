"""The real-broker suite, written once.

Every test runs against RabbitMQ on 127.0.0.1:5672 with each adapter of this
flavour (``connection_class``; see ``helpers.CONNECTION_CLASSES``).  This
file is the source: ``scripts/unasync.py`` rewrites it into
``tests/integration/_sync/test_broker.py`` for the blocking adapter, so keep
to constructs that script rewrites, and put anything that differs between
flavours (concurrency, sleeping, blocking calls) in ``helpers.py``.

Each test uses names of its own (:func:`~tests.integration.broker.unique`)
and leaves nothing behind: queues are exclusive (the broker deletes them
with the connection) and exchanges are deleted in ``finally``.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import decimal
import functools
import random
import re
import time
from collections.abc import Callable
from typing import Any

import pika
import pytest

import amqproto
from amqproto import BasicProperties, DeliveryMode
from amqproto.auth import Authentication
from amqproto.exceptions import (
    AccessRefused,
    AMQPError,
    AuthenticationError,
    ChannelClosedError,
    ConnectionClosedError,
    ConnectionForced,
    ConsumerCancelledError,
    EncodeError,
    NotAllowed,
    NotFound,
    PreconditionFailed,
    ResourceError,
    ResourceLocked,
    UnroutableError,
)
from amqproto.io._async.channel import AsyncChannel, AsyncConsumer, AsyncMessage, ReturnedMessage
from amqproto.io._async.connection import AsyncConnection

from ..broker import URL, close_connection_named, unique
from .helpers import eventually, gather, run_blocking, sleep

pytestmark = pytest.mark.broker

UTC = datetime.UTC

PROPERTY_NAMES = [field.name for field in dataclasses.fields(BasicProperties)]

#: A header of every field-table type amqproto encodes, at the edges of each range.
HEADERS: dict[str, Any] = {
    "true": True,
    "false": False,
    "zero": 0,
    "minus-one": -1,
    "int8-min": -128,
    "uint8-max": 255,
    "int16-min": -32768,
    "uint16-max": 65535,
    "int32-min": -(2**31),
    "int32-max": 2**31 - 1,
    "uint32-max": 2**32 - 1,
    "int64-min": -(2**63),
    "int64-max": 2**63 - 1,
    "float": 1.5,
    "float-pi": 3.141592653589793,
    "float-negative-huge": -2.5e300,
    "decimal": decimal.Decimal("3.14"),
    "decimal-negative": decimal.Decimal("-12345.678"),
    "decimal-integer": decimal.Decimal("42"),
    "str": "héllo wörld ✓",
    "str-empty": "",
    "bytes": bytes(range(256)),
    "datetime": datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC),
    "none": None,
    "list": [1, "two", 3.0, None, True, [b"nested", {"deep": decimal.Decimal("0.5")}], []],
    "dict": {
        "a": 1,
        "b": {"c": [datetime.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)], "d": None},
        "e": {},
    },
}


def every_property(reply_to: str, headers: dict[str, Any]) -> BasicProperties:
    """Properties with every field set (``user_id`` must be the connection's user)."""
    return BasicProperties(
        content_type="application/x-amqproto-test",
        content_encoding="identity",
        headers=headers,
        delivery_mode=DeliveryMode.PERSISTENT,
        priority=7,
        correlation_id="correlation-ü-1",
        reply_to=reply_to,
        expiration="60000",
        message_id=unique("message"),
        timestamp=datetime.datetime(2024, 2, 29, 12, 34, 56, tzinfo=UTC),
        type="amqproto.test",
        user_id="guest",
        app_id="amqproto-integration-tests",
        cluster_id="cluster-7",
    )


def typed(value: Any) -> Any:
    """``value`` with each leaf paired with its type, so ``True != 1`` and ``1 != 1.0``.

    Datetimes compare as whole UTC seconds (naive ones taken as UTC), which
    is all the wire carries; int subclasses (pika's ``long``) as ints.
    """
    if isinstance(value, dict):
        return {name: typed(item) for name, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    if isinstance(value, datetime.datetime):
        return (datetime.datetime, calendar.timegm(value.utctimetuple()))
    if isinstance(value, int) and not isinstance(value, bool):
        return (int, int(value))
    return (type(value), value)


def assert_same_properties(received: BasicProperties, sent: BasicProperties) -> None:
    for name in PROPERTY_NAMES:
        if name != "headers":
            assert getattr(received, name) == getattr(sent, name), name
    assert typed(received.headers) == typed(sent.headers)


async def take(consumer: AsyncConsumer, count: int) -> list[AsyncMessage]:
    """The consumer's next ``count`` messages."""
    messages: list[AsyncMessage] = []
    async for message in consumer:
        messages.append(message)
        if len(messages) == count:
            break
    return messages


async def message_count(channel: AsyncChannel, queue: str) -> int:
    """Messages ready in ``queue`` (unacked deliveries excluded), from a passive declare."""
    return (await channel.queue_declare(queue, passive=True)).message_count


async def delete_exchanges(connection_class: type[AsyncConnection], *exchanges: str) -> None:
    """Clean up on a connection of its own: the test's one may be broken."""
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        for exchange in exchanges:
            await channel.exchange_delete(exchange)


@pytest.fixture
def unopened_connection(connection_class: type[AsyncConnection]) -> AsyncConnection:
    """A connection object built outside any event loop, as at import time."""
    return connection_class(URL)


# -- logging in ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["PLAIN", "AMQPLAIN", "url-amqplain"])
async def test_login(connection_class: type[AsyncConnection], how: str) -> None:
    if how == "PLAIN":
        connection = connection_class(URL, auth=amqproto.PLAIN("guest", "guest"))
    elif how == "AMQPLAIN":
        connection = connection_class(URL, auth=amqproto.AMQPLAIN("guest", "guest"))
    else:
        connection = connection_class(URL + "?auth_mechanism=amqplain")
    assert connection.core.auth.mechanism == how.removeprefix("url-").upper()
    async with connection:
        assert connection.is_open
        assert connection.server_properties["product"] == "RabbitMQ"
        async with connection.get_channel() as channel:
            declared = await channel.queue_declare(exclusive=True)
            assert declared.queue.startswith("amq.gen-")
    assert not connection.is_open


async def test_a_connection_built_before_the_event_loop_runs_works(
    connection_class: type[AsyncConnection], unopened_connection: AsyncConnection
) -> None:
    assert type(unopened_connection) is connection_class
    async with unopened_connection as connection, connection.get_channel() as channel:
        assert connection.is_open
        declared = await channel.queue_declare(exclusive=True)
        assert declared.queue.startswith("amq.gen-")
    assert not unopened_connection.is_open


@pytest.mark.parametrize("mechanism", [amqproto.PLAIN, amqproto.AMQPLAIN])
async def test_wrong_password_is_refused_promptly(
    connection_class: type[AsyncConnection], mechanism: Callable[[str, str], Authentication]
) -> None:
    connection = connection_class(URL, auth=mechanism("guest", "not the password"), connection_timeout=10)
    started = time.monotonic()
    with pytest.raises(AuthenticationError, match="ACCESS_REFUSED") as excinfo:
        await connection.connect()
    assert time.monotonic() - started < 3
    assert isinstance(excinfo.value, AccessRefused)
    assert excinfo.value.reply_code == 403
    assert not connection.is_open
    # A later call fails the same way, reply code included.
    with pytest.raises(AuthenticationError, match="ACCESS_REFUSED") as later:
        await connection.channel()
    assert isinstance(later.value, ConnectionClosedError) and later.value.reply_code == 403


async def test_unknown_virtual_host_is_not_allowed(connection_class: type[AsyncConnection]) -> None:
    virtual_host = unique("vhost")
    connection = connection_class(URL, virtual_host=virtual_host)
    with pytest.raises(NotAllowed, match=re.escape(virtual_host)):
        await connection.connect()
    assert not connection.is_open


# -- exchanges and queues --------------------------------------------------------


async def test_queue_declare_purge_delete(connection_class: type[AsyncConnection]) -> None:
    queue = unique("queue")
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        declared = await channel.queue_declare(queue, exclusive=True, arguments={"x-max-length": 100})
        assert (declared.queue, declared.message_count, declared.consumer_count) == (queue, 0, 0)
        await channel.confirm_select()
        for body in (b"1", b"2", b"3"):
            await channel.basic_publish(body, routing_key=queue)
        assert await message_count(channel, queue) == 3
        purged = await channel.queue_purge(queue)
        assert purged.message_count == 3
        assert await message_count(channel, queue) == 0
        await channel.basic_publish(b"4", routing_key=queue)
        await channel.basic_publish(b"5", routing_key=queue)
        deleted = await channel.queue_delete(queue)
        assert deleted.message_count == 2
        with pytest.raises(NotFound, match=re.escape(queue)):
            await channel.queue_declare(queue, passive=True)


async def test_redeclaring_a_queue_differently_fails(connection_class: type[AsyncConnection]) -> None:
    queue = unique("queue")
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        await channel.queue_declare(queue, exclusive=True, arguments={"x-max-length": 100})
        # The arguments really went to the broker: other ones are a mismatch.
        with pytest.raises(PreconditionFailed, match="x-max-length"):
            await channel.queue_declare(queue, exclusive=True, arguments={"x-max-length": 5})
        assert not channel.is_open
        assert connection.is_open


async def test_queue_bind_routes_and_unbind_stops_routing(connection_class: type[AsyncConnection]) -> None:
    exchange = unique("direct")
    try:
        async with connection_class(URL) as connection, connection.get_channel() as channel:
            declared = await channel.exchange_declare(exchange, "direct")
            assert declared is not None
            queue = (await channel.queue_declare(exclusive=True)).queue
            await channel.queue_bind(queue, exchange, "key-a")
            await channel.confirm_select()  # publishes return once routed
            await channel.basic_publish(b"routed", exchange, "key-a")
            await channel.basic_publish(b"other key", exchange, "key-b")
            assert await message_count(channel, queue) == 1
            await channel.queue_unbind(queue, exchange, "key-a")
            await channel.basic_publish(b"after unbind", exchange, "key-a")
            assert await message_count(channel, queue) == 1
            message = await channel.basic_get(queue, no_ack=True)
            assert message is not None
            assert (message.body, message.exchange, message.routing_key) == (b"routed", exchange, "key-a")
            assert await channel.basic_get(queue) is None
    finally:
        await delete_exchanges(connection_class, exchange)


async def test_exchange_to_exchange_binding_routes(connection_class: type[AsyncConnection]) -> None:
    source = unique("topic")
    destination = unique("fanout")
    try:
        async with connection_class(URL) as connection, connection.get_channel() as channel:
            await channel.exchange_declare(source, "topic")
            await channel.exchange_declare(destination, "fanout")
            await channel.exchange_bind(destination, source, "orders.*")
            queue = (await channel.queue_declare(exclusive=True)).queue
            await channel.queue_bind(queue, destination)
            await channel.confirm_select()
            await channel.basic_publish(b"order", source, "orders.created")
            await channel.basic_publish(b"invoice", source, "invoices.created")
            await channel.basic_publish(b"too deep", source, "orders.created.late")
            assert await message_count(channel, queue) == 1
            await channel.exchange_unbind(destination, source, "orders.*")
            await channel.basic_publish(b"after unbind", source, "orders.deleted")
            assert await message_count(channel, queue) == 1
            message = await channel.basic_get(queue, no_ack=True)
            assert message is not None
            received = (message.body, message.exchange, message.routing_key)
            assert received == (b"order", source, "orders.created")
    finally:
        await delete_exchanges(connection_class, source, destination)


async def test_exchange_delete(connection_class: type[AsyncConnection]) -> None:
    exchange = unique("fanout")
    try:
        async with connection_class(URL) as connection:
            async with connection.get_channel() as channel:
                await channel.exchange_declare(exchange, "fanout")
                await channel.exchange_declare(exchange, "fanout", passive=True)
                await channel.exchange_delete(exchange)
                with pytest.raises(NotFound, match=re.escape(exchange)):
                    await channel.exchange_declare(exchange, "fanout", passive=True)
            assert connection.is_open
    finally:
        await delete_exchanges(connection_class, exchange)  # deleting a missing exchange is fine


async def test_passive_declare_of_a_missing_queue_closes_only_the_channel(
    connection_class: type[AsyncConnection],
) -> None:
    missing = unique("missing")
    async with connection_class(URL) as connection:
        channel = await connection.channel()
        with pytest.raises(NotFound, match=re.escape(missing)) as excinfo:
            await channel.queue_declare(missing, passive=True)
        assert excinfo.value.reply_code == 404
        assert (excinfo.value.class_id, excinfo.value.method_id) == (50, 10)  # queue.declare
        assert not channel.is_open
        # A later call fails the same way, reply code included; NotFound is a ChannelClosedError.
        with pytest.raises(NotFound, match=re.escape(missing)) as later:
            await channel.queue_declare(exclusive=True)
        assert isinstance(later.value, ChannelClosedError) and later.value.reply_code == 404
        assert connection.is_open
        async with connection.get_channel() as again:
            declared = await again.queue_declare(exclusive=True)
            assert declared.message_count == 0
            assert again.id != 0


# -- publishing and consuming ----------------------------------------------------


async def test_every_property_and_header_type_round_trips(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queue = (await channel.queue_declare(exclusive=True)).queue
        properties = every_property(queue, HEADERS)
        body = bytes(range(256)) * 3
        await channel.basic_publish(body, routing_key=queue, properties=properties)
        await channel.basic_publish(b"", routing_key=queue)  # empty body, no properties
        async with channel.basic_consume(queue) as consumer:
            first, second = await take(consumer, 2)
            assert first.body == body
            assert_same_properties(first.properties, properties)
            assert (first.exchange, first.routing_key, first.redelivered) == ("", queue, False)
            assert first.consumer_tag == consumer.consumer_tag
            assert second.body == b""
            assert second.properties == BasicProperties()
            await second.ack(multiple=True)
        assert await message_count(channel, queue) == 0


async def test_basic_get(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queue = (await channel.queue_declare(exclusive=True)).queue
        assert await channel.basic_get(queue) is None
        properties = BasicProperties(content_type="text/plain", headers={"n": 1})
        await channel.confirm_select()
        await channel.basic_publish(b"first", routing_key=queue, properties=properties)
        await channel.basic_publish(b"second", routing_key=queue)
        message = await channel.basic_get(queue)
        assert message is not None
        assert (message.body, message.properties, message.message_count) == (b"first", properties, 1)
        assert (message.exchange, message.routing_key, message.redelivered) == ("", queue, False)
        assert message.consumer_tag is None
        await message.ack()
        message = await channel.basic_get(queue, no_ack=True)
        assert message is not None
        assert (message.body, message.message_count) == (b"second", 0)
        assert await channel.basic_get(queue) is None


async def test_ack_nack_and_reject(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection:
        async with connection.get_channel() as channel:
            queue = (await channel.queue_declare(exclusive=True)).queue
            await channel.confirm_select()
            for body in (b"one", b"two", b"three", b"four"):
                await channel.basic_publish(body, routing_key=queue)
            first = await channel.basic_get(queue)
            assert first is not None
            assert (first.body, first.redelivered) == (b"one", False)
            await first.nack(requeue=True)
            again = await channel.basic_get(queue)
            assert again is not None
            assert (again.body, again.redelivered) == (b"one", True)  # requeued in place
            await again.ack()
            second = await channel.basic_get(queue)
            assert second is not None
            await second.reject(requeue=True)
            second = await channel.basic_get(queue)
            assert second is not None
            assert (second.body, second.redelivered) == (b"two", True)
            await second.reject(requeue=False)
            third = await channel.basic_get(queue)
            assert third is not None and third.body == b"three"
            await third.nack(requeue=False)
            fourth = await channel.basic_get(queue)
            assert fourth is not None and fourth.body == b"four"
            await channel.basic_ack(fourth.delivery_tag)
            assert await channel.basic_get(queue) is None
        # Closing the channel requeues whatever it left unacked: nothing.
        async with connection.get_channel() as channel:
            assert await message_count(channel, queue) == 0


async def test_unacked_deliveries_come_back_redelivered(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection:
        async with connection.get_channel() as channel:
            queue = (await channel.queue_declare(exclusive=True)).queue
            await channel.basic_publish(b"unacked", routing_key=queue)
            async with channel.basic_consume(queue) as consumer:
                (message,) = await take(consumer, 1)
                assert not message.redelivered
        async with connection.get_channel() as channel:
            got = await channel.basic_get(queue, no_ack=True)
            assert got is not None
            assert (got.body, got.redelivered) == (b"unacked", True)


async def test_qos_prefetch_limits_unacked_deliveries(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.confirm_select()
        for number in range(10):
            await channel.basic_publish(b"%d" % number, routing_key=queue)
        await channel.basic_qos(prefetch_count=3)
        async with channel.basic_consume(queue) as consumer:
            first = await take(consumer, 3)
            assert [message.body for message in first] == [b"0", b"1", b"2"]
            await sleep(0.3)  # room for a delivery the prefetch should stop
            assert await message_count(channel, queue) == 7
            await first[0].ack()
            (fourth,) = await take(consumer, 1)
            assert fourth.body == b"3"
            await sleep(0.3)
            assert await message_count(channel, queue) == 6
            await fourth.ack(multiple=True)  # acks 1 and 2 as well
            for start in (4, 7):
                batch = await take(consumer, 3)
                assert [message.body for message in batch] == [b"%d" % n for n in range(start, start + 3)]
                await batch[-1].ack(multiple=True)
        assert await message_count(channel, queue) == 0


async def test_a_thousand_concurrent_publishes_are_all_confirmed(
    connection_class: type[AsyncConnection],
) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.confirm_select()
        bodies = [b"message %d" % number for number in range(1000)]
        results = await gather(
            *(functools.partial(channel.basic_publish, body, routing_key=queue) for body in bodies)
        )
        # Each its own publish sequence number.
        assert sorted(result or 0 for result in results) == list(range(1, 1001))
        # Confirmed means enqueued: every one is there, each once.
        assert await message_count(channel, queue) == 1000
        async with channel.basic_consume(queue, no_ack=True) as consumer:
            received = await take(consumer, 1000)
        assert sorted(message.body for message in received) == sorted(bodies)


async def test_unroutable_mandatory_publish_raises_in_confirm_mode(
    connection_class: type[AsyncConnection],
) -> None:
    nowhere = unique("nowhere")
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.confirm_select()
        with pytest.raises(UnroutableError, match="NO_ROUTE") as excinfo:
            await channel.basic_publish(b"lost", routing_key=nowhere, mandatory=True)
        assert (excinfo.value.returned_code, excinfo.value.routing_key) == (312, nowhere)
        # The channel carries on; routable mandatory publishes are confirmed.
        await channel.basic_publish(b"kept", routing_key=queue, mandatory=True)
        await channel.basic_publish(b"dropped", routing_key=nowhere)  # not mandatory: no error
        assert await message_count(channel, queue) == 1


async def test_unroutable_mandatory_publish_reaches_the_return_callback(
    connection_class: type[AsyncConnection],
) -> None:
    nowhere = unique("nowhere")
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        returned: list[ReturnedMessage] = []
        channel.add_return_callback(returned.append)
        properties = BasicProperties(message_id="m-1", headers={"attempt": 1})
        await channel.basic_publish(b"lost", routing_key=nowhere, mandatory=True, properties=properties)
        await channel.basic_publish(b"dropped", routing_key=nowhere)
        await channel.basic_publish(b"last", routing_key=nowhere, mandatory=True)
        # Return callbacks run on the connection's callback runner, in order,
        # after the reader has moved on: once the last one arrived, any
        # return of "dropped" would have too.
        await eventually(lambda: len(returned) >= 2)
        assert [message.body for message in returned] == [b"lost", b"last"]
        message = returned[0]
        assert (message.reply_code, message.reply_text) == (312, "NO_ROUTE")
        assert (message.exchange, message.routing_key) == ("", nowhere)
        assert (message.body, message.properties) == (b"lost", properties)


async def test_transactions_commit_and_rollback(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.tx_select()
        await channel.basic_publish(b"rolled back 1", routing_key=queue)
        await channel.basic_publish(b"rolled back 2", routing_key=queue)
        await channel.tx_rollback()
        await channel.basic_publish(b"committed", routing_key=queue)
        assert await message_count(channel, queue) == 0  # not before the commit
        await channel.tx_commit()
        assert await message_count(channel, queue) == 1
        message = await channel.basic_get(queue)
        assert message is not None and message.body == b"committed"
        # Acks are transactional too: a rolled-back ack leaves the message unacked.
        await message.ack()
        await channel.tx_rollback()
        await channel.basic_recover(requeue=True)
        message = await channel.basic_get(queue)
        assert message is not None
        assert (message.body, message.redelivered) == (b"committed", True)
        await message.ack()
        await channel.tx_commit()
        assert await channel.basic_get(queue) is None


async def test_a_five_mebibyte_message_round_trips(connection_class: type[AsyncConnection]) -> None:
    body = random.Random(5).randbytes(5 * 1024 * 1024)
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        assert connection.core.frame_max < len(body) // 10  # many frames each way
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.confirm_select()
        await channel.basic_publish(body, routing_key=queue)
        await channel.basic_publish(memoryview(body)[::-1], routing_key=queue)
        message = await channel.basic_get(queue, no_ack=True)
        assert message is not None
        assert len(message.body) == len(body)
        assert message.body == body
        async with channel.basic_consume(queue, no_ack=True) as consumer:
            (delivered,) = await take(consumer, 1)
        assert delivered.body == body[::-1]


async def test_the_broker_cancelling_a_consumer_ends_its_iteration(
    connection_class: type[AsyncConnection],
) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queue = (await channel.queue_declare(exclusive=True)).queue
        async with channel.basic_consume(queue) as consumer:
            async with connection.get_channel() as other:
                await other.queue_delete(queue)
            with pytest.raises(ConsumerCancelledError, match=re.escape(consumer.consumer_tag)):
                await take(consumer, 1)
        assert channel.is_open


async def test_a_cancelled_consumer_yields_what_arrived_then_stays_ended(
    connection_class: type[AsyncConnection],
) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queue = (await channel.queue_declare(exclusive=True)).queue
        for number in range(3):
            await channel.basic_publish(b"%d" % number, routing_key=queue)
        consumer = channel.basic_consume(queue, no_ack=True)
        await consumer.start()
        await sleep(0.2)  # the three deliveries are queued in the consumer by now
        await consumer.cancel()
        assert [message.body async for message in consumer] == [b"0", b"1", b"2"]
        assert [message.body async for message in consumer] == []  # ended, and stays ended
        assert channel.is_open


# -- the connection --------------------------------------------------------------


async def test_a_connection_closed_by_the_broker_fails_a_waiting_consumer(
    connection_class: type[AsyncConnection],
) -> None:
    name = unique("connection")
    async with connection_class(URL, client_properties={"connection_name": name}) as connection:
        channel = await connection.channel()
        queue = (await channel.queue_declare(exclusive=True)).queue
        consumer = channel.basic_consume(queue)
        await consumer.start()

        async def wait_for_a_message() -> list[AsyncMessage]:
            return await take(consumer, 1)

        async def close_it() -> list[AsyncMessage]:
            await sleep(0.2)  # the consumer is waiting by now
            await run_blocking(close_connection_named, name, "closed by the integration suite")
            return []

        with pytest.raises(ConnectionForced, match="closed by the integration suite") as excinfo:
            await gather(wait_for_a_message, close_it)
        assert isinstance(excinfo.value, AMQPError)
        assert excinfo.value.reply_code == 320 and excinfo.value.by_peer
        assert not connection.is_open
        assert not channel.is_open
        with pytest.raises(ConnectionClosedError, match="CONNECTION_FORCED"):
            await connection.channel()
        with pytest.raises(ConnectionClosedError, match="CONNECTION_FORCED"):
            await channel.basic_publish(b"too late", routing_key=queue)


async def test_heartbeats_keep_an_idle_connection_open(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL, heartbeat=1) as connection, connection.get_channel() as channel:
        assert connection.core.heartbeat == 1
        await sleep(5)  # idle: only heartbeats flow, from the timer
        assert connection.is_open
        declared = await channel.queue_declare(exclusive=True)
        assert declared.queue.startswith("amq.gen-")


# -- interoperability with pika --------------------------------------------------

#: Headers as pika can carry them: no floats (pika 1.4 cannot encode them, and
#: decodes them as truncated ints), and a naive datetime, which pika (like
#: amqproto) takes as UTC.
PIKA_HEADERS: dict[str, Any] = {
    name: value for name, value in HEADERS.items() if not name.startswith("float") and name != "datetime"
} | {
    "datetime": datetime.datetime(2001, 2, 3, 4, 5, 6),
    "list": [1, "two", None, True, [b"nested", {"deep": decimal.Decimal("0.5")}], []],
}


def pika_parameters() -> pika.URLParameters:
    return pika.URLParameters(URL)


def publish_with_pika(queue: str, body: bytes, properties: pika.BasicProperties) -> None:
    with pika.BlockingConnection(pika_parameters()) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish("", queue, body, properties, mandatory=True)


def get_with_pika(queue: str) -> tuple[bytes, pika.BasicProperties]:
    with pika.BlockingConnection(pika_parameters()) as connection:
        channel = connection.channel()
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        assert method is not None, "pika found the queue empty"
        return body, properties


async def test_a_message_from_pika_arrives_intact(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        # Exclusive to this connection, yet pika's may publish to it.
        queue = (await channel.queue_declare(unique("from-pika"), exclusive=True)).queue
        body = random.Random(1).randbytes(300_000)
        sent = pika.BasicProperties(
            content_type="application/octet-stream",
            content_encoding="identity",
            headers=PIKA_HEADERS,
            delivery_mode=2,
            priority=3,
            correlation_id="c-1",
            reply_to="somewhere",
            expiration="60000",
            message_id="m-1",
            timestamp=1_700_000_000,
            type="from.pika",
            user_id="guest",
            app_id="pika",
            cluster_id="cluster-1",
        )
        async with channel.basic_consume(queue, no_ack=True) as consumer:
            await run_blocking(publish_with_pika, queue, body, sent)
            (message,) = await take(consumer, 1)
        assert message.body == body
        expected = BasicProperties(
            content_type="application/octet-stream",
            content_encoding="identity",
            headers=PIKA_HEADERS,
            delivery_mode=2,
            priority=3,
            correlation_id="c-1",
            reply_to="somewhere",
            expiration="60000",
            message_id="m-1",
            timestamp=datetime.datetime.fromtimestamp(1_700_000_000, UTC),
            type="from.pika",
            user_id="guest",
            app_id="pika",
            cluster_id="cluster-1",
        )
        assert_same_properties(message.properties, expected)
        assert message.properties.headers is not None
        assert message.properties.headers["datetime"] == datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)


async def test_a_message_from_amqproto_reaches_pika_intact(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queue = (await channel.queue_declare(unique("to-pika"), auto_delete=False)).queue
        try:
            body = random.Random(2).randbytes(300_000)
            sent = every_property("somewhere", PIKA_HEADERS)
            await channel.confirm_select()
            await channel.basic_publish(body, routing_key=queue, properties=sent)
            received_body, received = await run_blocking(get_with_pika, queue)
        finally:
            await channel.queue_delete(queue)
    assert received_body == body
    for name in PROPERTY_NAMES:
        if name not in ("headers", "timestamp"):
            assert getattr(received, name) == getattr(sent, name), name
    assert sent.timestamp is not None
    assert received.timestamp == int(sent.timestamp.timestamp())
    assert typed(received.headers) == typed(PIKA_HEADERS)


# -- concurrency and edges -------------------------------------------------------


async def test_concurrent_calls_on_one_channel_get_their_own_replies(
    connection_class: type[AsyncConnection],
) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        names = [unique("queue") for _ in range(30)]
        declared = await gather(
            *(functools.partial(channel.queue_declare, name, exclusive=True) for name in names)
        )
        assert [reply.queue for reply in declared] == names
        await channel.confirm_select()
        for index, name in enumerate(names):
            for _ in range(index % 3):
                await channel.basic_publish(b"x", routing_key=name)
        counts = await gather(*(functools.partial(message_count, channel, name) for name in names))
        assert counts == [index % 3 for index in range(len(names))]


async def test_many_channels_at_once(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection:
        channels = await gather(*[connection.channel for _ in range(50)])
        assert len({channel.id for channel in channels}) == 50
        queue = (await channels[0].queue_declare(exclusive=True)).queue
        await gather(
            *(functools.partial(channel.basic_publish, b"hi", routing_key=queue) for channel in channels)
        )
        await gather(*(channel.close for channel in channels[1:]))
        assert not any(channel.is_open for channel in channels[1:])
        async with connection.get_channel() as channel:
            assert await message_count(channel, queue) == 50


async def test_bodies_at_frame_boundaries(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL, frame_max=4096) as connection, connection.get_channel() as channel:
        per_frame = connection.core.frame_max - 8  # a body frame's header and end octet
        assert per_frame == 4088
        sizes = [
            0,
            1,
            per_frame - 1,
            per_frame,
            per_frame + 1,
            2 * per_frame,
            2 * per_frame + 1,
            10 * per_frame,
        ]
        bodies = [bytes([index]) * size for index, size in enumerate(sizes)]
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.confirm_select()
        for body in bodies:
            await channel.basic_publish(body, routing_key=queue)
        for body in bodies:
            message = await channel.basic_get(queue, no_ack=True)
            assert message is not None
            assert message.body == body
        async with channel.basic_consume(queue, no_ack=True) as consumer:
            for body in bodies:
                await channel.basic_publish(body, routing_key=queue)
            received = await take(consumer, len(bodies))
        assert [message.body for message in received] == bodies


async def test_a_confirmed_publish_to_a_missing_exchange_raises_not_found(
    connection_class: type[AsyncConnection],
) -> None:
    missing = unique("missing")
    async with connection_class(URL) as connection:
        channel = await connection.channel()
        await channel.confirm_select()
        with pytest.raises(NotFound, match=re.escape(missing)):
            await channel.basic_publish(b"lost", missing, "key")
        assert not channel.is_open
        assert connection.is_open


async def test_closing_a_channel_ends_a_waiting_consumer(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection:
        channel = await connection.channel()
        queue = (await channel.queue_declare(exclusive=True)).queue
        consumer = channel.basic_consume(queue)
        await consumer.start()

        async def wait_for_a_message() -> list[AsyncMessage]:
            return await take(consumer, 1)

        async def close_the_channel() -> list[AsyncMessage]:
            await sleep(0.1)
            await channel.close()
            return []

        with pytest.raises(ChannelClosedError, match="closed"):
            await gather(wait_for_a_message, close_the_channel)
        assert not channel.is_open
        assert connection.is_open


async def test_closing_the_connection_fails_pending_confirms(connection_class: type[AsyncConnection]) -> None:
    name = unique("connection")
    async with connection_class(URL, client_properties={"connection_name": name}) as connection:
        channel = await connection.channel()
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.confirm_select()
        await channel.basic_qos()  # a round trip, so the broker lists the connection

        async def publish_many() -> None:
            while True:  # until the connection fails
                await channel.basic_publish(b"x" * 10_000, routing_key=queue)

        async def close_it() -> None:
            await sleep(0.2)
            await run_blocking(close_connection_named, name, "closed while publishing")

        # The publish waiting for its confirm fails with the broker's error;
        # or, when its confirm came just before the close (in one read, say),
        # it succeeds, truthfully, and the next publish fails because of it.
        # Either way the error is ConnectionForced: a later call raises it again.
        with pytest.raises(ConnectionForced, match="closed while publishing"):
            await gather(publish_many, close_it)
        assert not connection.is_open


async def test_exclusive_queues_and_consumers_are_exclusive(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection, connection_class(URL) as other:
        channel = await connection.channel()
        queue = (await channel.queue_declare(exclusive=True)).queue
        other_channel = await other.channel()
        with pytest.raises(ResourceLocked, match=re.escape(queue)):
            await other_channel.queue_declare(queue, passive=True)
        async with channel.basic_consume(queue, exclusive=True):
            second = channel.basic_consume(queue)
            with pytest.raises(AccessRefused, match="in exclusive use"):
                await second.start()
        assert not channel.is_open
        assert connection.is_open and other.is_open


async def test_each_consumer_gets_the_messages_of_its_queue(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queues = [(await channel.queue_declare(exclusive=True)).queue for _ in range(3)]
        async with (
            channel.basic_consume(queues[0], no_ack=True) as first,
            channel.basic_consume(queues[1], no_ack=True) as second,
            channel.basic_consume(queues[2], no_ack=True) as third,
        ):
            for round_ in range(5):
                for queue in queues:
                    await channel.basic_publish(f"{queue} {round_}".encode(), routing_key=queue)
            for consumer, queue in ((first, queues[0]), (second, queues[1]), (third, queues[2])):
                messages = await take(consumer, 5)
                assert [message.body for message in messages] == [f"{queue} {n}".encode() for n in range(5)]
                assert {message.consumer_tag for message in messages} == {consumer.consumer_tag}


async def test_a_message_over_max_message_size_is_refused(connection_class: type[AsyncConnection]) -> None:
    async with connection_class(URL, max_message_size=1000) as connection:
        channel = await connection.channel()
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.confirm_select()
        await channel.basic_publish(b"x" * 1000, routing_key=queue)  # at the limit: fine
        await channel.basic_publish(b"x" * 1001, routing_key=queue)
        message = await channel.basic_get(queue, no_ack=True)
        assert message is not None and len(message.body) == 1000
        with pytest.raises(ResourceError, match="1001 bytes exceeds max_message_size 1000"):
            await channel.basic_get(queue)
        assert not connection.is_open


async def test_properties_too_large_for_a_frame_are_refused_locally(
    connection_class: type[AsyncConnection],
) -> None:
    async with connection_class(URL) as connection, connection.get_channel() as channel:
        queue = (await channel.queue_declare(exclusive=True)).queue
        too_large = BasicProperties(headers={"big": "x" * connection.core.frame_max})
        raised: Exception | None = None
        try:
            await channel.basic_publish(b"body", routing_key=queue, properties=too_large)
        except EncodeError as exc:
            raised = exc
        await sleep(0.2)  # time for the broker to object
        assert connection.is_open, "the broker closed the connection"
        assert raised is not None, "basic_publish sent the oversized header"
        assert channel.is_open
