"""The metrics observer against the real broker, on every adapter (issue 13 §3).

A :class:`~amqproto.observer.CountingObserver` sees each publish, confirm,
return, delivery, ack, nack and reject, and the connection's and channels'
lives; a hook that raises is logged and changes nothing else.
"""

from __future__ import annotations

import logging

import pytest

from amqproto.io._async.connection import AsyncConnection
from amqproto.observer import BaseObserver, CountingObserver

from ..broker import URL, unique
from .helpers import eventually

pytestmark = pytest.mark.broker


async def test_the_counting_observer_sees_a_whole_round_trip(connection_class: type[AsyncConnection]) -> None:
    observer = CountingObserver()
    async with connection_class(URL, observer=observer) as connection:
        channel = await connection.channel()
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.confirm_select()
        for body in (b"a", b"bb", b"ccc"):
            await channel.basic_publish(body, routing_key=queue)
        await channel.basic_publish(b"lost", routing_key=unique("nowhere"), mandatory=True, wait=False)
        async with channel.basic_consume(queue) as consumer:
            # A fresh channel numbers its deliveries from 1.
            async for message in consumer:
                if message.delivery_tag == 1:
                    await message.ack()
                elif message.delivery_tag == 2:
                    await message.nack(requeue=False)
                else:
                    await message.reject(requeue=False)
                    break
        await eventually(lambda: observer.returned == 1)
        await channel.close()
    counts = observer.snapshot()
    assert counts["connections_opened"] == 1 and counts["connections_closed"] == 1
    assert counts["connections_lost"] == 0
    assert counts["channels_opened"] == 1 and counts["channels_closed"] == 1
    assert counts["published"] == 4 and counts["published_bytes"] == 1 + 2 + 3 + 4
    assert counts["confirmed"] == 4 and counts["nacked"] == 0
    assert counts["delivered"] == 3 and counts["delivered_bytes"] == 6
    assert (counts["acked"], counts["nacked_deliveries"], counts["rejected"]) == (1, 1, 1)


async def test_an_observer_that_raises_is_logged_and_changes_nothing(
    connection_class: type[AsyncConnection], caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(BaseObserver):
        def message_published(self, channel_id: int, size: int) -> None:
            raise RuntimeError("a bug in the metrics code")

    caplog.set_level(logging.ERROR, logger="amqproto")
    async with connection_class(URL, observer=Broken()) as connection:
        channel = await connection.channel()
        queue = (await channel.queue_declare(exclusive=True)).queue
        await channel.basic_publish(b"still sent", routing_key=queue)
        message = await channel.basic_get(queue, no_ack=True)
        assert message is not None and message.body == b"still sent"
    assert any("observer hook message_published raised" in record.getMessage() for record in caplog.records)
