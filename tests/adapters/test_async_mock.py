"""The async adapter against a scripted in-memory broker: no sockets, no RabbitMQ.

Each test scripts the broker's side with :class:`~tests.adapters.mock_backend.MockBroker`
and drives :class:`~amqproto.io._async.AsyncConnection` on asyncio.  Where
the adapter has a fast path (one consumer on a channel, a reader that finds
a message ready, confirms with no waiter registered) the test runs it and
the general path on the same script and compares what the user sees.
Where chunk boundaries matter, the broker's bytes arrive whole and byte by
byte (``chunk_size=1``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from amqproto.events import ConnectionOpened
from amqproto.exceptions import (
    ConnectionClosedError,
    ConnectionLost,
    NackError,
    PreconditionFailed,
)
from amqproto.io._async.channel import AsyncChannel, AsyncConsumer, AsyncMessage, ReturnedMessage
from amqproto.io._async.connection import AsyncConnection
from amqproto.schema import (
    BasicAck,
    BasicNack,
    BasicPublish,
    BasicReject,
    BasicReturn,
    ChannelClose,
    ChannelCloseOk,
    ConnectionClose,
    ConnectionOpen,
    ConnectionStartOk,
    ConnectionTuneOk,
    QueueDeclare,
    QueueDeclareOk,
)
from amqproto.wire import MethodFrame

from ..core.helpers import content_frames
from .mock_backend import AsyncMockStream, MockBroker, async_connection, bodies, run

#: The broker's chunks arrive whole, or one byte per read.
CHUNKINGS = [pytest.param(None, id="whole"), pytest.param(1, id="bytewise")]


async def open_connection(broker: MockBroker, **options: Any) -> tuple[AsyncConnection, AsyncMockStream]:
    stream = AsyncMockStream(broker)
    connection = async_connection(stream, **options)
    await connection.connect()
    return connection, stream


async def settle(*tasks: asyncio.Future[Any]) -> None:
    """Let ``tasks`` run until each is parked or done (a bounded number of loop turns)."""
    for _ in range(20):
        await asyncio.sleep(0)


# -- the handshake -------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_the_handshake_over_the_mock_stream(chunk_size: int | None) -> None:
    async def test() -> None:
        broker = MockBroker(chunk_size=chunk_size)
        connection, stream = await open_connection(broker, frame_max=65536)
        assert connection.is_open
        assert connection.server_properties["product"] == "FakeBroker"
        assert broker.header == b"AMQP\x00\x00\x09\x01"
        (start_ok,) = broker.methods(ConnectionStartOk)
        assert start_ok.mechanism == "PLAIN"
        assert start_ok.response == b"\x00guest\x00guest"
        (tune_ok,) = broker.methods(ConnectionTuneOk)
        assert (tune_ok.channel_max, tune_ok.frame_max, tune_ok.heartbeat) == (2047, 65536, 0)
        (open_,) = broker.methods(ConnectionOpen)
        assert open_.virtual_host == "/"
        await connection.close()
        assert broker.methods(ConnectionClose)[0].reply_code == 200
        assert stream.aborted and not connection.is_open

    run(test)


def test_a_handshake_scripted_in_advance_like_httpcore_mock_stream() -> None:
    """The broker's whole half of the handshake queued before the client says a word.

    The core is sans-io: it answers ``start`` and ``tune`` whether or not its
    answers were written yet, so a fixed list of chunks is enough.
    """

    async def test() -> None:
        broker = MockBroker(handshake=False)
        for frame in broker.handshake_frames():
            broker.send(frame)
        connection, _ = await open_connection(broker)
        assert connection.is_open
        assert [type(method).__name__ for method in (frame.method for frame in broker.frames if isinstance(frame, MethodFrame))] == [
            "ConnectionStartOk",
            "ConnectionTuneOk",
            "ConnectionOpen",
        ]
        await connection.close()

    run(test)


# -- RPC replies -----------------------------------------------------------------


def test_an_rpc_reply_goes_to_its_waiter() -> None:
    async def test() -> None:
        broker = MockBroker()
        connection, _ = await open_connection(broker)
        channel = await connection.channel()
        reply = await channel.queue_declare("orders", durable=True)
        assert isinstance(reply, QueueDeclareOk) and reply.queue == "orders"
        (declare,) = broker.methods(QueueDeclare, channel.id)
        assert declare.durable and not declare.nowait
        await connection.close()

    run(test)


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_two_channels_replies_interleaved_in_one_chunk(chunk_size: int | None) -> None:
    """Replies for two channels in the reverse order of the requests, in one chunk: each reaches its own caller."""

    async def test() -> None:
        broker = MockBroker(chunk_size=chunk_size)
        broker.ignore(QueueDeclare)
        connection, stream = await open_connection(broker)
        first, second = await connection.channel(), await connection.channel()
        calls = [asyncio.ensure_future(channel.queue_declare(f"q{channel.id}")) for channel in (first, second)]
        await stream.wait_until(broker.sent(QueueDeclare, 2))
        broker.send(
            MethodFrame(second.id, QueueDeclareOk("from-second", 2, 0)),
            MethodFrame(first.id, QueueDeclareOk("from-first", 1, 0)),
        )
        replies = await asyncio.gather(*calls)
        assert [(reply.queue, reply.message_count) for reply in replies] == [("from-first", 1), ("from-second", 2)]
        await connection.close()

    run(test)
