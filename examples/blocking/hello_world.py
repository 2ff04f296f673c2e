"""Tutorial one, "Hello World!", on blocking sockets: send a message to a queue, receive it.

https://www.rabbitmq.com/tutorials/tutorial-one-python

Run: ``python -m examples.blocking.hello_world``.
"""

from __future__ import annotations

from collections.abc import Sequence

from amqproto.io.blocking import BlockingConnection

URL = "amqp://guest:guest@localhost:5672/%2F"


def send(queue: str, bodies: Sequence[bytes], url: str = URL) -> None:
    with BlockingConnection(url) as connection, connection.get_channel() as channel:
        # auto_delete: the queue goes away when its consumer leaves.
        channel.queue_declare(queue, auto_delete=True)
        for body in bodies:
            channel.basic_publish(body, routing_key=queue)
            print(f" [x] Sent {body!r}")


def receive(queue: str, count: int, url: str = URL) -> list[bytes]:
    received: list[bytes] = []
    with BlockingConnection(url) as connection, connection.get_channel() as channel:
        channel.queue_declare(queue, auto_delete=True)
        with channel.basic_consume(queue, no_ack=True) as consumer:
            print(" [*] Waiting for messages")
            for message in consumer:
                print(f" [x] Received {message.body!r}")
                received.append(message.body)
                if len(received) == count:
                    break
    return received


def main(queue: str = "hello", bodies: Sequence[bytes] = (b"Hello World!",), url: str = URL) -> list[bytes]:
    """Send ``bodies`` to ``queue``, then receive them; returns what arrived."""
    send(queue, bodies, url)
    return receive(queue, len(bodies), url)


if __name__ == "__main__":
    main()
