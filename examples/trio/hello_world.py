"""Tutorial one, "Hello World!", on trio: send a message to a queue, receive it.

https://www.rabbitmq.com/tutorials/tutorial-one-python

Run: ``python -m examples.trio.hello_world``.
"""

from __future__ import annotations

from collections.abc import Sequence

import trio

from amqproto.io.trio import TrioConnection

URL = "amqp://guest:guest@localhost:5672/%2F"


async def send(queue: str, bodies: Sequence[bytes], url: str = URL) -> None:
    async with TrioConnection(url) as connection, connection.get_channel() as channel:
        # auto_delete: the queue goes away when its consumer leaves.
        await channel.queue_declare(queue, auto_delete=True)
        for body in bodies:
            await channel.basic_publish(body, routing_key=queue)
            print(f" [x] Sent {body!r}")


async def receive(queue: str, count: int, url: str = URL) -> list[bytes]:
    received: list[bytes] = []
    async with TrioConnection(url) as connection, connection.get_channel() as channel:
        await channel.queue_declare(queue, auto_delete=True)
        async with channel.basic_consume(queue, no_ack=True) as consumer:
            print(" [*] Waiting for messages")
            async for message in consumer:
                print(f" [x] Received {message.body!r}")
                received.append(message.body)
                if len(received) == count:
                    break
    return received


async def main(
    queue: str = "hello", bodies: Sequence[bytes] = (b"Hello World!",), url: str = URL
) -> list[bytes]:
    """Send ``bodies`` to ``queue``, then receive them; returns what arrived."""
    await send(queue, bodies, url)
    return await receive(queue, len(bodies), url)


if __name__ == "__main__":
    trio.run(main)
