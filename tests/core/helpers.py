"""A scripted fake broker for the sans-io core, built from the wire codec.

In the style of h2's ``tests/helpers.py:FrameFactory``: the broker side of a
conversation is made of real frames, encoded with
:func:`amqproto.wire.encode_frame`, and whatever the client sends is decoded
with a :class:`amqproto.wire.FrameDecoder` so that tests assert on decoded
methods rather than on hand-written bytes.  No sockets anywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import pytest

from amqproto import Connection
from amqproto.channel import Channel, Request
from amqproto.events import Event
from amqproto.schema import (
    PROTOCOL_HEADER,
    BasicProperties,
    ChannelOpenOk,
    ConnectionOpenOk,
    ConnectionStart,
    ConnectionTune,
    Method,
)
from amqproto.schema.types import FieldTable
from amqproto.wire import (
    ContentBodyFrame,
    ContentHeaderFrame,
    Frame,
    FrameDecoder,
    MethodFrame,
    encode_frame,
)

M = TypeVar("M", bound=Method)

#: What a RabbitMQ-like broker says of itself in ``connection.start``.
SERVER_PROPERTIES: FieldTable = {
    "product": "FakeBroker",
    "version": "0.0",
    "capabilities": {"publisher_confirms": True, "basic.nack": True},
}


# -- frame factory -------------------------------------------------------------


def method_frame(channel: int, method: Method) -> MethodFrame:
    return MethodFrame(channel, method)


def content_frames(
    channel: int,
    method: Method,
    body: bytes,
    properties: BasicProperties | None = None,
    *,
    chunk: int | None = None,
    body_size: int | None = None,
) -> list[Frame]:
    """A content-carrying method as the broker sends it: method, header, bodies.

    Args:
        chunk: The largest body frame payload (all of it in one by default).
        body_size: The size announced in the header (``len(body)`` by default).
    """
    frames: list[Frame] = [
        MethodFrame(channel, method),
        ContentHeaderFrame(
            channel, len(body) if body_size is None else body_size, properties or BasicProperties()
        ),
    ]
    step = chunk or max(len(body), 1)
    frames.extend(ContentBodyFrame(channel, body[i : i + step]) for i in range(0, len(body), step))
    return frames


def encode(frames: Iterable[Frame]) -> bytes:
    return b"".join(encode_frame(frame) for frame in frames)


# -- the fake broker -------------------------------------------------------------


class FakeBroker:
    """The broker end of one :class:`~amqproto.Connection`.

    :meth:`sent` decodes what the client queued; :meth:`send` encodes frames
    and feeds them to the client, returning its events.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        # No frame_max: the broker checks frame sizes in the tests themselves.
        self.decoder = FrameDecoder(0)
        self.header_seen = False

    def sent_bytes(self) -> bytes:
        return self.connection.data_to_send()

    def sent(self) -> list[Frame]:
        """Decode (and drain) every frame the client queued."""
        data = self.connection.data_to_send()
        if not self.header_seen:
            assert data.startswith(PROTOCOL_HEADER), data[:8]
            data = data[len(PROTOCOL_HEADER) :]
            self.header_seen = True
        return self.decoder.feed(data)

    def sent_methods(self) -> list[tuple[int, Method]]:
        """Like :meth:`sent`, keeping only method frames, as ``(channel, method)``."""
        return [(frame.channel, frame.method) for frame in self.sent() if isinstance(frame, MethodFrame)]

    def expect(self, *expected: tuple[int, Method]) -> None:
        """Assert that exactly these methods were sent, in order."""
        assert self.sent_methods() == list(expected)

    def expect_one(self, channel: int, kind: type[M]) -> M:
        """Assert that exactly one method, of this type, was sent on ``channel``; return it."""
        methods = self.sent_methods()
        assert len(methods) == 1, methods
        sent_channel, method = methods[0]
        assert sent_channel == channel
        assert isinstance(method, kind), method
        return method

    def send(self, *frames: Frame) -> list[Event]:
        return self.connection.receive_data(encode(frames))

    def send_method(self, channel: int, method: Method) -> list[Event]:
        return self.send(MethodFrame(channel, method))

    def send_content(
        self,
        channel: int,
        method: Method,
        body: bytes,
        properties: BasicProperties | None = None,
        *,
        chunk: int | None = None,
    ) -> list[Event]:
        return self.send(*content_frames(channel, method, body, properties, chunk=chunk))


def start(mechanisms: str = "PLAIN AMQPLAIN EXTERNAL") -> ConnectionStart:
    return ConnectionStart(0, 9, SERVER_PROPERTIES, mechanisms, "en_US")


def open_connection(
    *,
    tune: ConnectionTune | None = None,
    **kwargs: Any,
) -> tuple[Connection, FakeBroker]:
    """A connection taken through the whole handshake; the broker's queue drained."""
    connection = Connection(**kwargs)
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    broker.send_method(0, tune or ConnectionTune(2047, 131072, 60))
    events = broker.send_method(0, ConnectionOpenOk())
    assert [type(event).__name__ for event in events] == ["ConnectionOpened"]
    broker.sent()
    return connection, broker


def open_channel(connection: Connection, broker: FakeBroker, channel_id: int | None = None) -> Channel:
    """A channel opened and acknowledged; the broker's queue drained."""
    channel = connection.open_channel(channel_id)
    broker.expect_one(channel.id, type(channel.open_request.method))
    broker.send_method(channel.id, ChannelOpenOk())
    return channel


# -- comparing events ------------------------------------------------------------


def comparable(events: Sequence[Event]) -> list[tuple[str, dict[str, object]]]:
    """Events as values that compare equal across two runs of the same session.

    A ``ReplyReceived`` carries its request object, and errors are exception
    instances: neither compares by value, so a request becomes its method
    and an error its type, text and (for reply errors) code.
    """
    result: list[tuple[str, dict[str, object]]] = []
    for event in events:
        values: dict[str, object] = {}
        for field in dataclasses.fields(event):
            value = getattr(event, field.name)
            if isinstance(value, Request):
                value = ("request", value.channel_id, value.method)
            elif isinstance(value, BaseException):
                value = (type(value).__name__, str(value), getattr(value, "reply_code", None))
            values[field.name] = value
        result.append((type(event).__name__, values))
    return result


def event_types(events: Sequence[Event]) -> list[str]:
    return [type(event).__name__ for event in events]


def state(machine: Connection | Channel) -> object:
    """The state of a connection or channel, read without letting mypy narrow it.

    ``assert connection.state is X`` narrows ``connection.state`` to
    ``Literal[X]`` for the rest of the test, which makes the next assertion
    about a later state look unreachable to mypy.
    """
    return machine.state


def receive(connection: Connection, frames: Sequence[Frame], *, whole: bool) -> list[Event]:
    """What ``connection`` gives for ``frames``, fed as one chunk (``whole``) or one chunk per frame."""
    if whole:
        return connection.receive_data(encode(frames))
    events: list[Event] = []
    for frame in frames:
        events += connection.receive_data(encode([frame]))
    return events


def spy_seam(monkeypatch: pytest.MonkeyPatch, name: str) -> list[tuple[int, int]]:
    """Record each call of the channel's fast path ``name`` as (index offered, index returned)."""
    calls: list[tuple[int, int]] = []
    original = getattr(Channel, name)

    def spy(self: Channel, frames: list[Any], index: int, events: list[Event]) -> int:
        handled: int = original(self, frames, index, events)
        calls.append((index, handled))
        return handled

    monkeypatch.setattr(Channel, name, spy)
    return calls
