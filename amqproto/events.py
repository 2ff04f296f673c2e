"""Events: what :meth:`amqproto.Connection.receive_data` tells its caller.

Events are frozen, slotted, keyword-only dataclasses with past-tense names.
They are separate from the wire methods in :mod:`amqproto.schema` (as h2's
events are separate from its frames): an event is what happened to the
connection, with the content of a message already assembled, the publish
sequence numbers a confirm settles already worked out, and errors already
turned into exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from .exceptions import AMQPError
from .request import Request
from .schema.methods import BasicDeliver, BasicReturn, Method
from .schema.properties import BasicProperties
from .schema.types import FieldTable

if TYPE_CHECKING:
    _AnyRequest: TypeAlias = Request[Any]
else:
    # At run time the plain class: get_type_hints and hypothesis' from_type
    # resolve it, where they cannot build the generic Request[Any].
    _AnyRequest = Request

__all__ = [
    "Event",
    "ConnectionOpened",
    "ConnectionClosed",
    "ConnectionBlocked",
    "ConnectionUnblocked",
    "HeartbeatTimedOut",
    "ChannelOpened",
    "ChannelClosed",
    "ChannelFlowChanged",
    "ReplyReceived",
    "MessageDelivered",
    "MessageReturned",
    "PublishConfirmed",
    "PublishNacked",
    "ConsumerCancelled",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionOpened(Event):
    """The handshake finished: ``connection.open-ok`` arrived."""

    #: What the broker said of itself in ``connection.start``.
    server_properties: FieldTable
    #: The negotiated highest channel number.
    channel_max: int
    #: The negotiated largest frame, framing included (0 = no limit).
    frame_max: int
    #: The negotiated heartbeat interval in seconds (0 = off).
    heartbeat: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionClosed(Event):
    """The connection is closed: by us, by the broker, or by the transport."""

    #: The reply code of the ``connection.close`` (200 for a clean close by
    #: us, 0 when the transport went away without one).
    reply_code: int
    reply_text: str
    class_id: int = 0
    method_id: int = 0
    #: True when the broker (or the transport) closed the connection.
    by_peer: bool
    #: What pending operations should fail with; ``None`` after a clean
    #: close that we asked for.
    error: AMQPError | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionBlocked(Event):
    """The broker stopped reading our publishes (``connection.blocked``)."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionUnblocked(Event):
    """The broker reads our publishes again (``connection.unblocked``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HeartbeatTimedOut(Event):
    """Nothing arrived for two heartbeat intervals: the peer is dead.

    A :class:`ConnectionClosed` carrying a
    :class:`~amqproto.exceptions.HeartbeatTimeout` follows.
    """

    #: Seconds since data last arrived, as far as the timer could tell.
    silence: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelOpened(Event):
    """``channel.open-ok`` arrived."""

    channel_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelClosed(Event):
    """A channel is closed, by us or by the broker, or with its connection.

    Every request still pending on the channel fails with :attr:`error`.
    When the connection closes (or its transport is lost), each channel
    still open gets one of these, before the
    :class:`ConnectionClosed`.
    """

    channel_id: int
    reply_code: int
    reply_text: str
    class_id: int = 0
    method_id: int = 0
    #: True when the broker closed the channel.
    by_peer: bool
    #: The error for whatever was waiting on the channel (``NotFound`` for
    #: 404, ...; ``ChannelClosedError`` after a close we asked for; the
    #: connection's error when the channel closed with its connection).
    error: AMQPError
    #: Publish sequence numbers that no ``basic.ack`` or ``basic.nack`` had
    #: settled when the channel closed (confirm mode): their outcome is
    #: unknown.  Confirms that arrived before the close, even in the same
    #: read, were reported by the events before this one.
    unconfirmed: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelFlowChanged(Event):
    """The broker asked us to stop (``active=False``) or resume publishing."""

    channel_id: int
    active: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyReceived(Event):
    """The reply to a synchronous request arrived.

    For ``basic.get`` answered with ``basic.get-ok``, the message's content
    is assembled first and given in :attr:`properties` and :attr:`body`.
    """

    channel_id: int
    #: The request this answers, as returned by the channel method.
    request: _AnyRequest
    #: The reply method (``QueueDeclareOk``, ``BasicGetEmpty``, ...).
    reply: Method
    properties: BasicProperties | None = None
    body: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDelivered(Event):
    """A consumer received a message (``basic.deliver`` with its content)."""

    channel_id: int
    #: The ``basic.deliver`` (consumer tag, delivery tag, exchange, ...).
    method: BasicDeliver
    properties: BasicProperties
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReturned(Event):
    """The broker returned a message it could not route (``basic.return``).

    In confirm mode RabbitMQ sends the return just before the ack of the same
    publish; the core holds the return back until that ack arrives and sets
    :attr:`delivery_tag` to the publish sequence number it belongs to.
    Outside confirm mode :attr:`delivery_tag` is ``None``.
    """

    channel_id: int
    method: BasicReturn
    properties: BasicProperties
    body: bytes
    delivery_tag: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishConfirmed(Event):
    """The broker acked publishes (confirm mode).

    :attr:`delivery_tags` lists every publish sequence number settled by the
    ack, ``multiple`` already expanded.
    """

    channel_id: int
    delivery_tags: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishNacked(Event):
    """The broker nacked publishes (confirm mode): they may be lost."""

    channel_id: int
    delivery_tags: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerCancelled(Event):
    """The broker cancelled a consumer (``basic.cancel`` from the server).

    Happens when the queue is deleted or its node fails; needs the
    ``consumer_cancel_notify`` capability, which amqproto announces.
    """

    channel_id: int
    consumer_tag: str
