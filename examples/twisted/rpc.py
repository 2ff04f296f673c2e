"""Tutorial six, "RPC", on Twisted: a client calls a Fibonacci server through queues.

The client sends each request with ``reply_to`` (its exclusive callback
queue) and a unique ``correlation_id``; the server replies to that queue with
the same id.  The server takes one request at a time and acks it after
replying; it runs until its queue is deleted.

https://www.rabbitmq.com/tutorials/tutorial-six-python

Run: ``python -m examples.twisted.rpc``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from twisted.internet import defer
from twisted.internet.task import react

from amqproto import BasicProperties
from amqproto.exceptions import ConsumerCancelledError
from amqproto.io.twisted import TwistedChannel, TwistedConnection, TwistedConsumer

URL = "amqp://guest:guest@localhost:5672/%2F"


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


async def rpc_server(queue: str, ready: defer.Deferred[None], url: str = URL) -> None:
    async with TwistedConnection(url) as connection, connection.get_channel() as channel:
        await channel.queue_declare(queue)
        await channel.basic_qos(prefetch_count=1)
        try:
            async with channel.basic_consume(queue) as requests:
                print(" [x] Awaiting RPC requests")
                ready.callback(None)
                async for request in requests:
                    reply_to = request.properties.reply_to
                    if reply_to is None:
                        await request.reject(requeue=False)  # nowhere to answer
                        continue
                    n = int(request.body)
                    print(f" [.] fib({n})")
                    await channel.basic_publish(
                        str(fib(n)).encode(),
                        routing_key=reply_to,
                        properties=BasicProperties(correlation_id=request.properties.correlation_id),
                    )
                    await request.ack()
        except ConsumerCancelledError:
            print(" [x] The queue was deleted: stopping")


class FibonacciRpcClient:
    """Calls the server over ``channel``, reading replies from ``responses``."""

    def __init__(self, channel: TwistedChannel, responses: TwistedConsumer, queue: str) -> None:
        self.channel = channel
        self.responses = responses
        self.queue = queue

    async def call(self, n: int) -> int:
        correlation_id = str(uuid.uuid4())
        await self.channel.basic_publish(
            str(n).encode(),
            routing_key=self.queue,
            properties=BasicProperties(reply_to=self.responses.queue, correlation_id=correlation_id),
        )
        async for response in self.responses:
            if response.properties.correlation_id == correlation_id:
                return int(response.body)
        raise AssertionError("unreachable: a consumer ends only by raising")


async def rpc_client(queue: str, numbers: Sequence[int], url: str = URL) -> list[int]:
    results: list[int] = []
    async with TwistedConnection(url) as connection, connection.get_channel() as channel:
        callback_queue = (await channel.queue_declare(exclusive=True)).queue
        async with channel.basic_consume(callback_queue, no_ack=True) as responses:
            client = FibonacciRpcClient(channel, responses, queue)
            for n in numbers:
                print(f" [x] Requesting fib({n})")
                results.append(await client.call(n))
                print(f" [.] Got {results[-1]}")
    return results


async def main(numbers: Sequence[int] = (30,), queue: str = "rpc_queue", url: str = URL) -> list[int]:
    """Start a server, call it for each of ``numbers``, stop it; returns the results."""
    ready: defer.Deferred[None] = defer.Deferred()
    server = defer.Deferred.fromCoroutine(rpc_server(queue, ready, url))
    await ready
    try:
        results = await rpc_client(queue, numbers, url)
    finally:
        # Deleting the queue cancels the server's consumer, which stops it.
        async with TwistedConnection(url) as connection, connection.get_channel() as channel:
            await channel.queue_delete(queue)
        await server
    return results


if __name__ == "__main__":
    react(lambda reactor: defer.Deferred.fromCoroutine(main()))
