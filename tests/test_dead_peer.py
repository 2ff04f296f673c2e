"""A broker that goes silent is detected by heartbeats, for every adapter.

The connection runs through a TCP proxy to the real broker
(:class:`tests.faultproxy.FaultProxy`).  Once the proxy freezes (it keeps
the sockets open but forwards nothing either way), the next call must
fail with :class:`~amqproto.exceptions.HeartbeatTimeout` after about two
heartbeat intervals instead of hanging.  The suite-wide
pytest timeout turns a hang into a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from amqproto.exceptions import AMQPError, ConnectionClosedError, FrameError, HeartbeatTimeout
from amqproto.io._async.connection import AsyncConnection
from amqproto.io.asyncio import AsyncioConnection
from amqproto.io.blocking import BlockingConnection
from amqproto.io.trio import TrioConnection
from amqproto.io.twisted import TwistedConnection

from .async_runner import run
from .faultproxy import FaultProxy
from .optional import HAVE_CURIO, needs_curio

if HAVE_CURIO:  # curio imports on CPython < 3.12 only: see tests/optional.py
    import curio

    from amqproto.io.curio import CurioConnection

pytestmark = pytest.mark.broker


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    with FaultProxy() as proxy:
        yield proxy


def _url(proxy: FaultProxy) -> str:
    return proxy.url("heartbeat=1")


#: The async adapters whose tests here are one function, parametrised.
ASYNC_CONNECTION_CLASSES: dict[str, type[AsyncConnection]] = {
    "asyncio": AsyncioConnection,
    "trio": TrioConnection,
    "twisted": TwistedConnection,
}


@pytest.mark.parametrize("library", ASYNC_CONNECTION_CLASSES)
def test_an_async_adapter_detects_a_silent_broker(proxy: FaultProxy, library: str) -> None:
    async def main() -> None:
        async with ASYNC_CONNECTION_CLASSES[library](_url(proxy)) as connection:
            assert connection.core.heartbeat == 1
            async with connection.get_channel() as channel:
                proxy.freeze()
                with pytest.raises(HeartbeatTimeout, match="no data from the broker"):
                    await channel.queue_declare("", exclusive=True)
                with pytest.raises(ConnectionClosedError):
                    await channel.queue_declare("", exclusive=True)

    run(library, main, 60)


@needs_curio
def test_curio_detects_a_silent_broker(proxy: FaultProxy) -> None:
    async def main() -> None:
        async with CurioConnection(_url(proxy)) as connection, connection.get_channel() as channel:
            proxy.freeze()
            with pytest.raises(HeartbeatTimeout, match="no data from the broker"):
                await channel.queue_declare("", exclusive=True)

    curio.run(main)


def test_blocking_detects_a_silent_broker(proxy: FaultProxy) -> None:
    with BlockingConnection(_url(proxy)) as connection, connection.get_channel() as channel:
        proxy.freeze()
        with pytest.raises(HeartbeatTimeout, match="no data from the broker"):
            channel.queue_declare("", exclusive=True)
        assert not connection.is_open


def test_blocking_consumer_iteration_fails_when_the_broker_goes_silent(proxy: FaultProxy) -> None:
    with BlockingConnection(_url(proxy)) as connection, connection.get_channel() as channel:
        queue = channel.queue_declare("", exclusive=True).queue
        # The failure ends the consumer, so leaving its block sends no cancel.
        with channel.basic_consume(queue) as consumer:
            proxy.freeze()
            with pytest.raises(AMQPError):
                next(consumer)  # the queue is empty: iteration waits for the broker


GARBAGE = b"\x09\x00\x00\x00\x00\x00\x00\xce"  # frame type 9 does not exist


@pytest.mark.parametrize("library", ASYNC_CONNECTION_CLASSES)
def test_an_async_adapter_fails_pending_calls_on_garbage_from_the_broker(
    proxy: FaultProxy, library: str
) -> None:
    async def main() -> None:
        async with (
            ASYNC_CONNECTION_CLASSES[library](_url(proxy)) as connection,
            connection.get_channel() as channel,
        ):
            queue = (await channel.queue_declare("", exclusive=True)).queue
            async with channel.basic_consume(queue) as consumer:
                proxy.inject(GARBAGE)
                with pytest.raises(FrameError, match="unknown frame type 9"):
                    async for _message in consumer:
                        pass
            assert not connection.is_open
            with pytest.raises(ConnectionClosedError, match="unknown frame type 9"):
                await channel.queue_declare("", exclusive=True)

    run(library, main, 60)


def test_blocking_fails_pending_calls_on_garbage_from_the_broker(proxy: FaultProxy) -> None:
    with BlockingConnection(_url(proxy)) as connection, connection.get_channel() as channel:
        queue = channel.queue_declare("", exclusive=True).queue
        with channel.basic_consume(queue) as consumer:
            proxy.inject(GARBAGE)
            with pytest.raises(FrameError, match="unknown frame type 9"):
                for _message in consumer:
                    pass
        with pytest.raises(ConnectionClosedError, match="unknown frame type 9"):
            channel.queue_declare("", exclusive=True)
