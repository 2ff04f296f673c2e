"""A small blocking AMQP client on amqproto's sans-io core, for the harness.

The benchmark needs a client that is *not* under test for its chores:
declaring and purging queues, pre-filling the consume queue, polling a
queue's message count, and answering RPC requests.  This one drives
:class:`amqproto.Connection` directly over a blocking socket, with no
threads and no adapter, so its cost is the same for every client measured
and a poller thread's CPU is exactly its ``time.thread_time``.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from typing import Any

from amqproto import Connection
from amqproto.channel import Request
from amqproto.events import (
    ChannelClosed,
    ConnectionClosed,
    ConnectionOpened,
    Event,
    MessageDelivered,
    PublishNacked,
    ReplyReceived,
)
from amqproto.schema.methods import QueueDeclareOk
from amqproto.schema.properties import BasicProperties

from .common import HOST, PORT

__all__ = ["BrokerClient"]

class BrokerClient:
    """One connection and one channel, blocking, for the harness's chores."""

    def __init__(self, host: str = HOST, port: int = PORT, timeout: float = 60.0) -> None:
        self._socket = socket.create_connection((host, port), timeout=timeout)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.core = Connection(heartbeat=0)
        self._pending: list[Event] = []
        self._until(lambda event: isinstance(event, ConnectionOpened))
        self.channel = self.core.open_channel()
        self.call(self.channel.open_request)

    # -- plumbing ----------------------------------------------------------

    def flush(self) -> None:
        """Write everything the core queued."""
        data = self.core.data_to_send()
        if data:
            self._socket.sendall(data)

    def _receive(self) -> list[Event]:
        self.flush()
        data = self._socket.recv(1 << 20)
        if not data:
            raise ConnectionError("the broker closed the connection")
        events = self.core.receive_data(data)
        for event in events:
            if isinstance(event, (ChannelClosed, ConnectionClosed)) and event.error is not None:
                raise event.error
        self.flush()
        return events

    def _until(self, predicate: Callable[[Event], bool]) -> Event:
        while True:
            for index, event in enumerate(self._pending):
                if predicate(event):
                    del self._pending[index]
                    return event
            self._pending.extend(self._receive())

    def call(self, request: Request[Any]) -> ReplyReceived:
        """Send a request and wait for its reply."""
        event = self._until(lambda event: isinstance(event, ReplyReceived) and event.request is request)
        assert isinstance(event, ReplyReceived)
        self._pending.clear()  # what else arrived meanwhile is of no interest
        return event

    # -- chores -----------------------------------------------------------

    def declare(self, queue: str, *, passive: bool = False, exclusive: bool = False) -> QueueDeclareOk:
        reply = self.call(self.channel.queue_declare(queue, passive=passive, exclusive=exclusive)).reply
        assert isinstance(reply, QueueDeclareOk)
        return reply

    def message_count(self, queue: str) -> int:
        return self.declare(queue, passive=True).message_count

    def purge(self, queue: str) -> None:
        self.call(self.channel.queue_purge(queue))

    def delete(self, queue: str) -> None:
        self.call(self.channel.queue_delete(queue))

    def fill(self, queue: str, body: bytes, count: int) -> None:
        """Publish ``count`` copies of ``body`` to ``queue`` and wait for their confirms."""
        channel = self.channel
        if not channel.confirm_mode:
            self.call(channel.confirm_select())
        last = 0
        for _ in range(count):
            last = channel.basic_publish(body, "", queue) or 0
            if channel.unconfirmed_count > 2000:
                self._wait_confirms(1000)
        self._wait_confirms(0)
        assert last

    def _wait_confirms(self, at_most: int) -> None:
        self.flush()
        while self.channel.unconfirmed_count > at_most:
            for event in self._receive():
                if type(event) is PublishNacked:
                    raise RuntimeError(f"the broker nacked {event.delivery_tags}")

    def serve_rpc(self, queue: str, ready: Callable[[], object]) -> None:
        """Answer every request on ``queue`` with its own body, forever."""
        channel = self.channel
        self.call(channel.basic_consume(queue, no_ack=True))
        ready()
        while True:
            for event in self._receive():
                if type(event) is MessageDelivered:
                    request = event.properties
                    channel.basic_publish(
                        event.body,
                        "",
                        request.reply_to or "",
                        properties=BasicProperties(correlation_id=request.correlation_id),
                    )

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing is best effort
            self.core.close()
            self.flush()
            self._until(lambda event: isinstance(event, ConnectionClosed))
        self._socket.close()
