"""``AnyioConnection`` picks the adapter of the backend anyio runs on, and it works there."""

from __future__ import annotations

import pytest

from amqproto.io.anyio import AnyioConnection
from amqproto.io.asyncio import AsyncioConnection
from amqproto.io.trio import TrioConnection

anyio = pytest.importorskip("anyio")

pytestmark = pytest.mark.broker


@pytest.mark.parametrize(("backend", "expected"), [("asyncio", AsyncioConnection), ("trio", TrioConnection)])
def test_anyio_programs_get_the_adapter_of_their_backend(backend: str, expected: type) -> None:
    async def main() -> bytes:
        connection = AnyioConnection("amqp://guest:guest@127.0.0.1:5672/%2F")
        assert type(connection) is expected
        async with connection, connection.get_channel() as channel:
            queue = (await channel.queue_declare("", exclusive=True)).queue
            await channel.basic_publish(b"via anyio", routing_key=queue)
            with anyio.fail_after(10):
                async with channel.basic_consume(queue, no_ack=True) as consumer:
                    async for message in consumer:
                        return message.body
        raise AssertionError("unreachable: the consumer ends only by raising")

    assert anyio.run(main, backend=backend) == b"via anyio"


def test_outside_an_event_loop_it_says_so() -> None:
    with pytest.raises(RuntimeError, match="running asyncio or trio event loop"):
        AnyioConnection()
