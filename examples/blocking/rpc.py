"""Tutorial six, "RPC", on blocking sockets: a client calls a Fibonacci server through queues.

The client sends each request with ``reply_to`` (its exclusive callback
queue) and a unique ``correlation_id``; the server replies to that queue with
the same id.  The server takes one request at a time and acks it after
replying; it runs until its queue is deleted.

https://www.rabbitmq.com/tutorials/tutorial-six-python

Run: ``python -m examples.blocking.rpc``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from amqproto import BasicProperties
from amqproto.exceptions import ConsumerCancelledError
from amqproto.io.blocking import BlockingChannel, BlockingConnection, BlockingConsumer

URL = "amqp://guest:guest@localhost:5672/%2F"


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def rpc_server(queue: str, ready: threading.Event, url: str = URL) -> None:
    with BlockingConnection(url) as connection, connection.get_channel() as channel:
        channel.queue_declare(queue)
        channel.basic_qos(prefetch_count=1)
        try:
            with channel.basic_consume(queue) as requests:
                print(" [x] Awaiting RPC requests")
                ready.set()
                for request in requests:
                    reply_to = request.properties.reply_to
                    if reply_to is None:
                        request.reject(requeue=False)  # nowhere to answer
                        continue
                    n = int(request.body)
                    print(f" [.] fib({n})")
                    channel.basic_publish(
                        str(fib(n)).encode(),
                        routing_key=reply_to,
                        properties=BasicProperties(correlation_id=request.properties.correlation_id),
                    )
                    request.ack()
        except ConsumerCancelledError:
            print(" [x] The queue was deleted: stopping")


class FibonacciRpcClient:
    """Calls the server over ``channel``, reading replies from ``responses``."""

    def __init__(self, channel: BlockingChannel, responses: BlockingConsumer, queue: str) -> None:
        self.channel = channel
        self.responses = responses
        self.queue = queue

    def call(self, n: int) -> int:
        correlation_id = str(uuid.uuid4())
        self.channel.basic_publish(
            str(n).encode(),
            routing_key=self.queue,
            properties=BasicProperties(reply_to=self.responses.queue, correlation_id=correlation_id),
        )
        for response in self.responses:
            if response.properties.correlation_id == correlation_id:
                return int(response.body)
        raise AssertionError("unreachable: a consumer ends only by raising")


def rpc_client(queue: str, numbers: Sequence[int], url: str = URL) -> list[int]:
    results: list[int] = []
    with BlockingConnection(url) as connection, connection.get_channel() as channel:
        callback_queue = channel.queue_declare(exclusive=True).queue
        with channel.basic_consume(callback_queue, no_ack=True) as responses:
            client = FibonacciRpcClient(channel, responses, queue)
            for n in numbers:
                print(f" [x] Requesting fib({n})")
                results.append(client.call(n))
                print(f" [.] Got {results[-1]}")
    return results


def main(numbers: Sequence[int] = (30,), queue: str = "rpc_queue", url: str = URL) -> list[int]:
    """Start a server thread, call it for each of ``numbers``, stop it; returns the results."""
    ready = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        server = pool.submit(rpc_server, queue, ready, url)
        if not ready.wait(timeout=10):
            server.result(timeout=0)  # re-raises what stopped the server
        try:
            results = rpc_client(queue, numbers, url)
        finally:
            # Deleting the queue cancels the server's consumer, which stops it.
            with BlockingConnection(url) as connection, connection.get_channel() as channel:
                channel.queue_delete(queue)
        server.result()
    return results


if __name__ == "__main__":
    main()
