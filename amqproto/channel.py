"""One AMQP channel of the sans-io core.

Theory of operation
-------------------
A :class:`Channel` belongs to a :class:`~amqproto.connection.Connection`,
but knows it only through a :class:`ChannelPort` (as h2's streams know
nothing of their connection): the output queue it appends encoded frames to,
the negotiated limits, and the check that the connection may carry a channel
frame now.  The connection, in turn, uses only the channel's "connection
side": :meth:`Channel.receive_frame` for each frame on the channel's id,
:meth:`Channel.receive_deliveries` for the hot path of consuming, and
:meth:`Channel.close_with_connection` when the connection closes under it.
The channel tells its connection that it closed the way it tells the
application: with the :class:`~amqproto.events.ChannelClosed` it produces.

The channel's state lives in a
:class:`~amqproto._state.ChannelStateMachine`; this module performs the side
effects of each transition.

Commands.  There is one method per AMQP method a client sends
(``queue_declare``, ``basic_publish``, ...), each named after the schema
class in snake_case with the same keyword arguments.  Synchronous ones return
a :class:`Request`; when the reply arrives, :meth:`Connection.receive_data
<amqproto.connection.Connection.receive_data>` returns a
:class:`~amqproto.events.ReplyReceived` carrying that same request object, so
an adapter turns any of them into "await the reply" by keeping a map from
request to future.

"The client MUST NOT send a second synchronous method on a channel until it
has received the reply to the first" (the spec's rule for synchronous
methods, 0-9-1 §2.2.2 / 4.2.6): requests queue here in order, and the next one
goes out when the reply to the one in flight arrives.  Asynchronous methods
(publish, ack, nack, reject) go out at once.

Content.  ``basic.deliver``, ``basic.return`` and ``basic.get-ok`` are
followed by a content header and body frames; they are assembled here into
one event.  The announced size is checked against ``max_message_size``
before anything is buffered, body chunks are kept in a list and joined once.

Publisher confirms.  Once ``confirm.select`` has been *sent*, every publish
gets the next sequence number (from 1); ``basic.ack``/``basic.nack`` settle
one or, with ``multiple``, every outstanding number up to theirs.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Mapping
from typing import Any, Protocol

from . import _heap
from ._state import CHANNEL_TRANSITIONS, DISCARD, ChannelInput, ChannelState, ChannelStateMachine
from .events import (
    ChannelClosed,
    ChannelFlowChanged,
    ChannelOpened,
    ConsumerCancelled,
    Event,
    MessageDelivered,
    MessageReturned,
    PublishConfirmed,
    PublishNacked,
    ReplyReceived,
)
from .exceptions import (
    AMQPError,
    ChannelClosedError,
    CommandInvalid,
    EncodeTypeError,
    ReplyError,
    ResourceError,
    UnexpectedFrame,
    error_for_reply,
)
from .request import Request  # defined there; named here too, for code that imports it from here
from .schema.methods import (
    AccessRequest,
    AccessRequestOk,
    BasicAck,
    BasicCancel,
    BasicCancelOk,
    BasicConsume,
    BasicConsumeOk,
    BasicDeliver,
    BasicGet,
    BasicGetEmpty,
    BasicGetOk,
    BasicNack,
    BasicQos,
    BasicQosOk,
    BasicRecover,
    BasicRecoverAsync,
    BasicRecoverOk,
    BasicReject,
    BasicReturn,
    ChannelClose,
    ChannelCloseOk,
    ChannelFlow,
    ChannelFlowOk,
    ChannelOpen,
    ChannelOpenOk,
    ConfirmSelect,
    ConfirmSelectOk,
    ExchangeBind,
    ExchangeBindOk,
    ExchangeDeclare,
    ExchangeDeclareOk,
    ExchangeDelete,
    ExchangeDeleteOk,
    ExchangeUnbind,
    ExchangeUnbindOk,
    Method,
    QueueBind,
    QueueBindOk,
    QueueDeclare,
    QueueDeclareOk,
    QueueDelete,
    QueueDeleteOk,
    QueuePurge,
    QueuePurgeOk,
    QueueUnbind,
    QueueUnbindOk,
    TxCommit,
    TxCommitOk,
    TxRollback,
    TxRollbackOk,
    TxSelect,
    TxSelectOk,
)
from .schema.properties import BasicProperties
from .schema.types import FieldTable
from .wire._introspect import slots_twin
from .wire.codec import encode_method_frame
from .wire.frames import ContentBodyFrame, ContentBodyParts, ContentHeaderFrame, Frame, MethodFrame
from .wire.publish import Output, encode_publish_content, encode_publish_method

__all__ = ["Channel", "ChannelPort", "Request"]

#: How many distinct (exchange, routing key, flags) publish frames a channel keeps.
_PUBLISH_CACHE_SIZE = 256
_EMPTY_TABLE: FieldTable = {}


# Members read for every method or message, bound to module names: an enum
# member looked up on its class (``ChannelState.OPEN``) goes through the
# enum's metaclass, at several times the cost of a global.
_OPEN = ChannelState.OPEN
_SEND_METHOD = ChannelInput.SEND_METHOD
_RECV_METHOD = ChannelInput.RECV_METHOD
_RECV_CONTENT = ChannelInput.RECV_CONTENT


class ChannelPort(Protocol):
    """What a channel may use of its connection, and nothing more.

    :class:`~amqproto.connection.Connection` gives each of its channels one
    (it is shared by them all); a test can give a channel its own.
    """

    #: The connection's output queue: the channel appends each encoded
    #: frame (or the buffers of a publish) to it, in order.  Read it anew
    #: for each use: the connection replaces the list when it is drained.
    output: Output
    #: The negotiated largest frame, framing included (0: no limit).
    frame_max: int
    #: The largest incoming message body accepted.
    max_message_size: int

    def check_can_send(self) -> None:
        """Raise :class:`~amqproto.exceptions.ConnectionClosedError` unless a channel frame may go out now."""


class _IncomingContent:
    """A content-carrying method whose header and body are still arriving."""

    __slots__ = ("method", "properties", "body_size", "chunks", "received")

    def __init__(self, method: BasicDeliver | BasicReturn | BasicGetOk) -> None:
        self.method = method
        self.properties: BasicProperties | None = None
        self.body_size = 0
        self.chunks: list[bytes | memoryview] = []
        self.received = 0


class Channel:
    """A channel of the sans-io core.  Create with :meth:`Connection.open_channel`.

    Attributes:
        id: The channel number.
        open_request: The ``channel.open`` request; its reply is
            ``ChannelOpenOk``.
        confirm_mode: True once ``confirm.select`` has been sent.
        consumers: Consumer tags the broker confirmed and has not cancelled.
        flow_active: False while the broker asked us to stop publishing.
    """

    def __init__(self, port: ChannelPort, channel_id: int) -> None:
        self._port = port
        self.id = channel_id
        self._machine = ChannelStateMachine(channel_id)
        self._waiting: Request[Any] | None = None
        # Requests waiting for their turn, each with its frame, encoded when the
        # request was made so that a bad argument is the caller's error then.
        self._queued: deque[tuple[Request[Any], bytes]] = deque()
        self._incoming: _IncomingContent | None = None
        self._close_request: Request[ChannelCloseOk] | None = None
        # The broker's channel.close that crossed ours, reported at close-ok.
        self._peer_close: ChannelClose | None = None
        self.confirm_mode = False
        self._publish_seq = 0
        # Encoded basic.publish frames by (exchange, routing_key, mandatory, immediate).
        self._publish_methods: dict[tuple[str, str, bool, bool], bytes] = {}
        self._unconfirmed: deque[int] = deque()
        self._held_returns: list[MessageReturned] = []
        self.consumers: set[str] = set()
        self.flow_active = True
        self._machine.process(ChannelInput.SEND_OPEN)
        self.open_request: Request[ChannelOpenOk] = Request(channel_id, ChannelOpen(), True)
        self._waiting = self.open_request
        port.output.append(encode_method_frame(channel_id, self.open_request.method))

    def __repr__(self) -> str:
        return f"<Channel {self.id} {self.state.value}>"

    @property
    def state(self) -> ChannelState:
        """The channel's state (see :class:`~amqproto._state.ChannelState`)."""
        return self._machine.state

    @property
    def is_open(self) -> bool:
        return self._machine.state is _OPEN

    @property
    def unconfirmed(self) -> tuple[int, ...]:
        """Publish sequence numbers not yet acked or nacked (confirm mode)."""
        return tuple(self._unconfirmed)

    @property
    def unconfirmed_count(self) -> int:
        """How many publishes are not yet acked or nacked (confirm mode); O(1)."""
        return len(self._unconfirmed)

    # -- sending -------------------------------------------------------------

    def _request(self, method: Method, nowait: bool = False) -> Request[Any]:
        try:
            self._machine.process(_SEND_METHOD)
        except ChannelClosedError:
            msg = f"cannot send {method.NAME} when channel {self.id} is {self._machine.state.value}"
            raise ChannelClosedError(msg) from None
        self._port.check_can_send()
        # Encode now, even if the request must queue: an argument that cannot
        # be encoded raises EncodeError here, to the caller, rather than from
        # receive_data() when the reply to the request before it arrives.
        frame = encode_method_frame(self.id, method)
        request: Request[Any] = Request(self.id, method, not nowait)
        if self._waiting is None and self._machine.state is _OPEN:
            self._send_request(request, frame)
        else:
            self._queued.append((request, frame))
        return request

    def _send_request(self, request: Request[Any], frame: bytes) -> None:
        method = request.method
        self._port.output.append(frame)
        if type(method) is ConfirmSelect:
            # The broker numbers publishes from the moment it reads select.
            self.confirm_mode = True
        if request.expects_reply:
            self._waiting = request

    def _send_queued(self) -> None:
        while self._waiting is None and self._queued and self._machine.state is _OPEN:
            self._send_request(*self._queued.popleft())

    def _send_async(self, method: Method) -> None:
        if self._machine.state is not _OPEN:
            msg = f"cannot send {method.NAME} when channel {self.id} is {self._machine.state.value}"
            raise ChannelClosedError(msg)
        port = self._port
        port.check_can_send()
        port.output.append(encode_method_frame(self.id, method))

    # -- channel class ---------------------------------------------------------

    def close(
        self, reply_code: int = 200, reply_text: str = "", class_id: int = 0, method_id: int = 0
    ) -> Request[ChannelCloseOk]:
        """Send ``channel.close``; the reply is ``ChannelCloseOk``.

        The close goes out at once, even with a request in flight; requests
        still queued are dropped and fail with the
        :class:`~amqproto.events.ChannelClosed` that follows ``close-ok``.
        Closing a closing channel returns the same request.
        """
        if self._close_request is not None and self._machine.state is ChannelState.CLOSING:
            return self._close_request
        if self._machine.state is not ChannelState.CLOSED:
            # Nothing may follow connection.close, on any channel.
            self._port.check_can_send()
        method = ChannelClose(reply_code, reply_text, class_id, method_id)
        # Encode before changing state: a bad reply_text must leave the channel as it was.
        frame = encode_method_frame(self.id, method)
        self._machine.process(ChannelInput.SEND_CLOSE)
        request: Request[ChannelCloseOk] = Request(self.id, method, True)
        self._close_request = request
        self._queued.clear()
        self._port.output.append(frame)
        return request

    def flow(self, active: bool) -> Request[ChannelFlowOk]:
        """Ask the broker to stop (``False``) or resume sending content."""
        return self._request(ChannelFlow(active))

    def access_request(
        self,
        realm: str = "/data",
        exclusive: bool = False,
        passive: bool = True,
        active: bool = True,
        write: bool = True,
        read: bool = True,
    ) -> Request[AccessRequestOk]:
        """Deprecated by the spec; RabbitMQ answers it and ignores it."""
        return self._request(AccessRequest(realm, exclusive, passive, active, write, read))

    # -- exchange class --------------------------------------------------------

    def exchange_declare(
        self,
        exchange: str,
        type: str = "direct",  # noqa: A002 - the spec's name for the field, and a keyword callers pass
        passive: bool = False,
        durable: bool = False,
        auto_delete: bool = False,
        internal: bool = False,
        nowait: bool = False,
        arguments: FieldTable | None = None,
    ) -> Request[ExchangeDeclareOk]:
        method = ExchangeDeclare(
            0, exchange, type, passive, durable, auto_delete, internal, nowait, arguments or _EMPTY_TABLE
        )
        return self._request(method, nowait)

    def exchange_delete(
        self, exchange: str, if_unused: bool = False, nowait: bool = False
    ) -> Request[ExchangeDeleteOk]:
        return self._request(ExchangeDelete(0, exchange, if_unused, nowait), nowait)

    def exchange_bind(
        self,
        destination: str,
        source: str,
        routing_key: str = "",
        nowait: bool = False,
        arguments: FieldTable | None = None,
    ) -> Request[ExchangeBindOk]:
        method = ExchangeBind(0, destination, source, routing_key, nowait, arguments or _EMPTY_TABLE)
        return self._request(method, nowait)

    def exchange_unbind(
        self,
        destination: str,
        source: str,
        routing_key: str = "",
        nowait: bool = False,
        arguments: FieldTable | None = None,
    ) -> Request[ExchangeUnbindOk]:
        method = ExchangeUnbind(0, destination, source, routing_key, nowait, arguments or _EMPTY_TABLE)
        return self._request(method, nowait)

    # -- queue class -----------------------------------------------------------

    def queue_declare(
        self,
        queue: str = "",
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        nowait: bool = False,
        arguments: FieldTable | None = None,
    ) -> Request[QueueDeclareOk]:
        method = QueueDeclare(
            0, queue, passive, durable, exclusive, auto_delete, nowait, arguments or _EMPTY_TABLE
        )
        return self._request(method, nowait)

    def queue_bind(
        self,
        queue: str,
        exchange: str,
        routing_key: str = "",
        nowait: bool = False,
        arguments: FieldTable | None = None,
    ) -> Request[QueueBindOk]:
        method = QueueBind(0, queue, exchange, routing_key, nowait, arguments or _EMPTY_TABLE)
        return self._request(method, nowait)

    def queue_unbind(
        self,
        queue: str,
        exchange: str,
        routing_key: str = "",
        arguments: FieldTable | None = None,
    ) -> Request[QueueUnbindOk]:
        return self._request(QueueUnbind(0, queue, exchange, routing_key, arguments or _EMPTY_TABLE))

    def queue_purge(self, queue: str = "", nowait: bool = False) -> Request[QueuePurgeOk]:
        return self._request(QueuePurge(0, queue, nowait), nowait)

    def queue_delete(
        self, queue: str = "", if_unused: bool = False, if_empty: bool = False, nowait: bool = False
    ) -> Request[QueueDeleteOk]:
        return self._request(QueueDelete(0, queue, if_unused, if_empty, nowait), nowait)

    # -- basic class -----------------------------------------------------------

    def basic_qos(
        self, prefetch_size: int = 0, prefetch_count: int = 0, global_: bool = False
    ) -> Request[BasicQosOk]:
        return self._request(BasicQos(prefetch_size, prefetch_count, global_))

    def basic_consume(
        self,
        queue: str = "",
        consumer_tag: str = "",
        no_local: bool = False,
        no_ack: bool = False,
        exclusive: bool = False,
        nowait: bool = False,
        arguments: FieldTable | None = None,
    ) -> Request[BasicConsumeOk]:
        """Start a consumer; with ``nowait`` the tag must be given (and is tracked at once)."""
        method = BasicConsume(
            0, queue, consumer_tag, no_local, no_ack, exclusive, nowait, arguments or _EMPTY_TABLE
        )
        request: Request[BasicConsumeOk] = self._request(method, nowait)
        if nowait:
            self.consumers.add(consumer_tag)
        return request

    def basic_cancel(self, consumer_tag: str, nowait: bool = False) -> Request[BasicCancelOk]:
        request: Request[BasicCancelOk] = self._request(BasicCancel(consumer_tag, nowait), nowait)
        if nowait:
            self.consumers.discard(consumer_tag)
        return request

    def basic_publish(
        self,
        body: bytes | bytearray | memoryview,
        exchange: str = "",
        routing_key: str = "",
        *,
        properties: BasicProperties | None = None,
        mandatory: bool = False,
        immediate: bool = False,
    ) -> int | None:
        """Publish a message: method, content header and body frames.

        Returns:
            The publish sequence number in confirm mode (the ``delivery_tag``
            of the :class:`~amqproto.events.PublishConfirmed` that settles
            it), else ``None``.

        Raises:
            ChannelClosedError: the channel is not open.
            EncodeError: an argument or property cannot be encoded.
        """
        if self._machine.state is not _OPEN:
            msg = f"cannot publish when channel {self.id} is {self._machine.state.value}"
            raise ChannelClosedError(msg)
        if type(body) is not bytes and not isinstance(body, (bytes, bytearray, memoryview)):
            msg = f"basic.publish body must be bytes, bytearray or memoryview, not {type(body).__name__}"
            raise EncodeTypeError(msg)
        if properties is not None and not isinstance(properties, BasicProperties):
            msg = f"basic.publish properties must be BasicProperties, not {type(properties).__name__}"
            raise EncodeTypeError(msg)
        port = self._port
        port.check_can_send()
        # The hot path: the method frame of a publish depends only on these
        # arguments, so it is encoded once per combination (see wire.publish).
        try:
            method_frame = self._publish_methods[(exchange, routing_key, mandatory, immediate)]
        except (KeyError, TypeError):
            method_frame = self._encode_publish_method(exchange, routing_key, mandatory, immediate)
        encode_publish_content(port.output, self.id, method_frame, properties, body, port.frame_max)
        if self.confirm_mode:
            self._publish_seq += 1
            self._unconfirmed.append(self._publish_seq)
            return self._publish_seq
        return None

    def _encode_publish_method(
        self, exchange: str, routing_key: str, mandatory: bool, immediate: bool
    ) -> bytes:
        frame = encode_publish_method(self.id, exchange, routing_key, mandatory, immediate)
        cache = self._publish_methods
        if len(cache) >= _PUBLISH_CACHE_SIZE:
            cache.clear()
        cache[(exchange, routing_key, mandatory, immediate)] = frame
        return frame

    def basic_get(self, queue: str = "", no_ack: bool = False) -> Request[BasicGetOk | BasicGetEmpty]:
        """Fetch one message; the reply is ``BasicGetOk`` (with content) or ``BasicGetEmpty``."""
        return self._request(BasicGet(0, queue, no_ack))

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        self._send_async(BasicAck(delivery_tag, multiple))

    def basic_nack(self, delivery_tag: int = 0, multiple: bool = False, requeue: bool = True) -> None:
        self._send_async(BasicNack(delivery_tag, multiple, requeue))

    def basic_reject(self, delivery_tag: int, requeue: bool = True) -> None:
        self._send_async(BasicReject(delivery_tag, requeue))

    def basic_recover_async(self, requeue: bool = False) -> None:
        """Deprecated by the spec in favour of :meth:`basic_recover`."""
        self._send_async(BasicRecoverAsync(requeue))

    def basic_recover(self, requeue: bool = False) -> Request[BasicRecoverOk]:
        return self._request(BasicRecover(requeue))

    # -- confirm and tx classes -----------------------------------------------

    def confirm_select(self, nowait: bool = False) -> Request[ConfirmSelectOk]:
        return self._request(ConfirmSelect(nowait), nowait)

    def tx_select(self) -> Request[TxSelectOk]:
        return self._request(TxSelect())

    def tx_commit(self) -> Request[TxCommitOk]:
        return self._request(TxCommit())

    def tx_rollback(self) -> Request[TxRollbackOk]:
        return self._request(TxRollback())

    # -- the connection's side ------------------------------------------------
    #
    # What the connection calls, and nothing else of the channel's private
    # parts.  Not for applications: frames reach a channel through
    # Connection.receive_data.

    def receive_frame(self, frame: Frame | ContentBodyParts, events: list[Event]) -> None:
        """Process one frame on this channel's id, appending the events it completes.

        When the channel closes, its :class:`~amqproto.events.ChannelClosed`
        is the last event appended: that is how the connection learns that
        the channel, and its id, are gone.

        Raises:
            HardError: the broker violated the protocol.
        """
        kind = type(frame)
        if kind is ContentBodyFrame:
            self._handle_body(frame, events)  # type: ignore[arg-type]
        elif kind is MethodFrame:
            self._handle_method(frame.method, events)  # type: ignore[union-attr]
        elif kind is ContentHeaderFrame:
            self._handle_header(frame, events)  # type: ignore[arg-type]
        elif kind is ContentBodyParts:
            self._handle_body_parts(frame, events)  # type: ignore[arg-type]
        else:
            msg = f"{kind.__name__} on channel {self.id}"
            raise UnexpectedFrame(msg)

    def receive_deliveries(self, frames: list[Any], index: int, events: list[Event]) -> int:
        """Handle the whole deliveries that start at ``frames[index]``; return the index past them.

        One of the core's two fast paths (with :meth:`receive_acks`; the seam
        between it and the general path, which
        ``tests/core/test_delivery_fast_path.py`` checks it against).
        The connection's decoder gives a delivery whose content header and
        single body frame arrived with it as one
        :class:`~amqproto.events.MessageDelivered` (trick 11 of
        :mod:`amqproto.wire._fast`), which stands for the three frames; the
        connection calls this for one on this channel.  For each such
        delivery it does what :meth:`receive_frame` does for the three: the
        event, which is the decoder's object itself, goes on to ``events``.
        It handles only the plain case (the channel open and expecting no
        content, the body within ``max_message_size``; the decoder saw to the
        rest: the frames on one channel, the body whole and non-empty) and
        stops at the first item that is anything else, which the connection
        then hands to the general path as its frames (which refuses them,
        when it must); it returns ``index`` unchanged when it handled nothing.
        """
        if self._incoming is not None or self._machine.state is not _OPEN:
            return index
        # Nothing below changes the channel's state: RECV_METHOD and
        # RECV_CONTENT leave an open channel open (checked at import).
        channel_id = self.id
        limit = self._port.max_message_size
        count = len(frames)
        delivered = MessageDelivered
        first = index
        while index < count:
            event = frames[index]
            if type(event) is not delivered or event.channel_id != channel_id or len(event.body) > limit:
                break
            index += 1
        events += frames[first:index]
        return index

    def receive_acks(self, frames: list[Frame], index: int, events: list[Event]) -> int:
        """Handle the run of ``basic.ack`` frames starting at ``frames[index]``; return the index past it.

        The confirms' fast path, as :meth:`receive_deliveries` is the
        consumer's (``tests/core/test_ack_fast_path.py`` checks it against
        the general path).  The connection calls it for a ``basic.ack`` on
        this channel: for each ack of the run it does what
        :meth:`receive_frame` does (settle the publishes it covers and append
        their :class:`~amqproto.events.PublishConfirmed`, one per ack, none
        for an ack that settles nothing), without the state machines'
        lookups and the handler's calls.  It handles only the plain case
        (the channel open, in confirm mode, expecting no content and holding
        no returns for the ack to release) and stops at the first frame that
        is not an ack on this channel; it returns ``index`` unchanged when it
        handled nothing, and the general path handles (or refuses) the frame.
        Each event is built through the twin of ``PublishConfirmed``.
        """
        twin = _PublishConfirmedTwin
        if (
            self._incoming is not None
            or self._machine.state is not _OPEN
            or not self.confirm_mode
            or self._held_returns
            or twin is None
        ):
            return index
        # Nothing below changes the channel's state: RECV_METHOD leaves an
        # open channel open (checked at import).
        channel_id = self.id
        count = len(frames)
        append = events.append
        confirmed = PublishConfirmed
        settle = self._settle
        while index < count:
            frame = frames[index]
            if type(frame) is not MethodFrame or frame.channel != channel_id:
                break
            method = frame.method
            if type(method) is not BasicAck:
                break
            settled = settle(method.delivery_tag, method.multiple)
            if settled:
                # PublishConfirmed(channel_id=..., delivery_tags=...) without
                # its frozen __init__ (see _confirmed_twin).
                event = twin()
                event.channel_id = channel_id
                event.delivery_tags = settled
                event.__class__ = confirmed
                append(event)
            index += 1
        return index

    def _expect(self, event: ChannelInput, method: Method) -> bool:
        """Apply a RECV input; False when the table discards the method (Rule 2)."""
        machine = self._machine
        previous = machine.state
        outcome = machine.process(event)
        if outcome is None:
            msg = f"{method.NAME} is not allowed when channel {self.id} is {previous.value}"
            raise CommandInvalid(msg, method.CLASS_ID, method.METHOD_ID)
        return outcome is not DISCARD

    def _handle_method(self, method: Method, events: list[Event]) -> None:
        if self._incoming is not None:
            msg = (
                f"{method.NAME} on channel {self.id} while content of "
                f"{self._incoming.method.NAME} was expected"
            )
            raise UnexpectedFrame(msg, method.CLASS_ID, method.METHOD_ID)
        handler = _METHOD_HANDLERS.get(type(method))
        if handler is not None:
            handler(self, method, events)
            return
        if not self._expect(_RECV_METHOD, method):
            return
        self._handle_reply(method, events)

    def _handle_reply(
        self,
        method: Method,
        events: list[Event],
        properties: BasicProperties | None = None,
        body: bytes | None = None,
    ) -> None:
        request = self._waiting
        if request is None or type(method) not in request.method.RESPONSES:
            expected = "nothing" if request is None else f"a reply to {request.method.NAME}"
            msg = f"{method.NAME} on channel {self.id}, which expected {expected}"
            raise CommandInvalid(msg, method.CLASS_ID, method.METHOD_ID)
        self._waiting = None
        kind = type(method)
        if kind is BasicConsumeOk:
            self.consumers.add(method.consumer_tag)  # type: ignore[attr-defined]
        elif kind is BasicCancelOk:
            self.consumers.discard(method.consumer_tag)  # type: ignore[attr-defined]
        events.append(
            ReplyReceived(channel_id=self.id, request=request, reply=method, properties=properties, body=body)
        )
        self._send_queued()

    def _on_open_ok(self, method: Method, events: list[Event]) -> None:
        if not self._expect(ChannelInput.RECV_OPEN_OK, method):
            return
        self._handle_reply(method, events)
        events.append(ChannelOpened(channel_id=self.id))

    def _on_close(self, method: Method, events: list[Event]) -> None:
        assert isinstance(method, ChannelClose)
        previous = self._machine.state
        self._expect(ChannelInput.RECV_CLOSE, method)
        # "On receipt of close the peer MUST send close-ok", then the channel is gone.
        self._port.output.append(encode_method_frame(self.id, ChannelCloseOk()))
        if previous is ChannelState.CLOSING:
            # Our close crossed the broker's: its close-ok to ours is still to
            # come, and the channel (and its id) lives until it does.
            self._peer_close = method
            return
        error = error_for_reply(
            method.reply_code, method.reply_text, method.class_id, method.method_id, hard=False
        )
        self._finish(
            events, method.reply_code, method.reply_text, method.class_id, method.method_id, True, error
        )

    def _on_close_ok(self, method: Method, events: list[Event]) -> None:
        self._expect(ChannelInput.RECV_CLOSE_OK, method)
        request = self._close_request
        assert request is not None  # CLOSING implies we sent close
        assert isinstance(request.method, ChannelClose)
        events.append(ReplyReceived(channel_id=self.id, request=request, reply=method))
        peer = self._peer_close
        if peer is not None:
            # The broker's reason is the informative one.
            reason = error_for_reply(
                peer.reply_code, peer.reply_text, peer.class_id, peer.method_id, hard=False
            )
            self._finish(
                events, peer.reply_code, peer.reply_text, peer.class_id, peer.method_id, True, reason
            )
            return
        sent = request.method
        error = ChannelClosedError(
            f"channel {self.id} was closed: {sent.reply_code} {sent.reply_text}".rstrip()
        )
        self._finish(events, sent.reply_code, sent.reply_text, sent.class_id, sent.method_id, False, error)

    def _finish(
        self,
        events: list[Event],
        reply_code: int,
        reply_text: str,
        class_id: int,
        method_id: int,
        by_peer: bool,
        error: AMQPError,
    ) -> None:
        self._release_held_returns(events, None)
        # The last event of the channel: the connection forgets it on seeing this.
        events.append(self._closed_event(reply_code, reply_text, class_id, method_id, by_peer, error))

    def _closed_event(
        self, reply_code: int, reply_text: str, class_id: int, method_id: int, by_peer: bool, error: AMQPError
    ) -> ChannelClosed:
        """Drop everything pending and describe the closure, unconfirmed publishes included."""
        unconfirmed = tuple(self._unconfirmed)
        self._waiting = None
        self._queued.clear()
        self._incoming = None
        self._held_returns.clear()
        self.consumers.clear()
        self._unconfirmed.clear()
        return ChannelClosed(
            channel_id=self.id,
            reply_code=reply_code,
            reply_text=reply_text,
            class_id=class_id,
            method_id=method_id,
            by_peer=by_peer,
            error=error,
            unconfirmed=unconfirmed,
        )

    def close_with_connection(self, error: AMQPError, events: list[Event]) -> None:
        """The connection closed under the channel: close it too, with nothing pending.

        Appends its :class:`~amqproto.events.ChannelClosed`, which carries
        the connection's error and the publishes left unconfirmed.
        """
        self._machine.process(ChannelInput.CONNECTION_CLOSED)
        if isinstance(error, ReplyError):
            closed = self._closed_event(error.reply_code, error.reply_text, 0, 0, error.by_peer, error)
        else:
            closed = self._closed_event(0, str(error), 0, 0, True, error)
        events.append(closed)

    def _on_flow(self, method: Method, events: list[Event]) -> None:
        assert isinstance(method, ChannelFlow)
        if not self._expect(_RECV_METHOD, method):
            return
        self.flow_active = method.active
        self._port.output.append(encode_method_frame(self.id, ChannelFlowOk(method.active)))
        events.append(ChannelFlowChanged(channel_id=self.id, active=method.active))

    def _on_content_method(self, method: Method, events: list[Event]) -> None:
        if not self._expect(_RECV_METHOD, method):
            # Discarded, but its content frames still arrive: swallow them too.
            self._incoming = _IncomingContent(method)  # type: ignore[arg-type]
            return
        if type(method) is BasicGetOk:
            request = self._waiting
            if request is None or type(request.method) is not BasicGet:
                msg = f"basic.get-ok on channel {self.id}, which sent no basic.get"
                raise CommandInvalid(msg, method.CLASS_ID, method.METHOD_ID)
        self._incoming = _IncomingContent(method)  # type: ignore[arg-type]

    def _on_server_cancel(self, method: Method, events: list[Event]) -> None:
        assert isinstance(method, BasicCancel)
        if not self._expect(_RECV_METHOD, method):
            return
        self.consumers.discard(method.consumer_tag)
        if not method.nowait:
            self._port.output.append(encode_method_frame(self.id, BasicCancelOk(method.consumer_tag)))
        events.append(ConsumerCancelled(channel_id=self.id, consumer_tag=method.consumer_tag))

    def _on_confirm(self, method: Method, events: list[Event]) -> None:
        assert isinstance(method, (BasicAck, BasicNack))
        if not self._expect(_RECV_METHOD, method):
            return
        if not self.confirm_mode:
            msg = f"{method.NAME} on channel {self.id}, which is not in confirm mode"
            raise CommandInvalid(msg, method.CLASS_ID, method.METHOD_ID)
        settled = self._settle(method.delivery_tag, method.multiple)
        self._release_held_returns(events, settled)
        if not settled:
            return
        if type(method) is BasicAck:
            events.append(PublishConfirmed(channel_id=self.id, delivery_tags=settled))
        else:
            events.append(PublishNacked(channel_id=self.id, delivery_tags=settled))

    def _settle(self, delivery_tag: int, multiple: bool) -> tuple[int, ...]:
        unconfirmed = self._unconfirmed
        if multiple:
            if delivery_tag == 0:  # "zero ... means all outstanding messages"
                settled = tuple(unconfirmed)
                unconfirmed.clear()
                return settled
            # One pass: the deque is in publish order, so the settled publishes
            # are a prefix of it (all of it, as a rule, when acks keep up).
            if not unconfirmed or unconfirmed[-1] <= delivery_tag:
                settled = tuple(unconfirmed)
                unconfirmed.clear()
                return settled
            prefix = []
            popleft = unconfirmed.popleft
            while unconfirmed[0] <= delivery_tag:  # stops at the last, which is above it
                prefix.append(popleft())
            return tuple(prefix)
        if unconfirmed and unconfirmed[0] == delivery_tag:
            unconfirmed.popleft()
            return (delivery_tag,)
        try:
            unconfirmed.remove(delivery_tag)
        except ValueError:
            return ()
        return (delivery_tag,)

    def _release_held_returns(self, events: list[Event], settled: tuple[int, ...] | None) -> None:
        """Emit returns held for the ack that follows them.

        RabbitMQ sends ``basic.return`` right before the ``basic.ack`` of the
        same publish; with ``multiple`` the returned publishes are the most
        recent ones the ack settles, so held returns take the highest tags.
        """
        if not self._held_returns:
            return
        held, self._held_returns = self._held_returns, []
        recent: list[int | None] = list(settled[-len(held) :]) if settled else []
        tags = [None] * (len(held) - len(recent)) + recent
        for returned, tag in zip(held, tags, strict=True):
            events.append(
                MessageReturned(
                    channel_id=self.id,
                    method=returned.method,
                    properties=returned.properties,
                    body=returned.body,
                    delivery_tag=tag,
                )
            )

    def _handle_header(self, frame: ContentHeaderFrame, events: list[Event]) -> None:
        incoming = self._incoming
        if incoming is None or incoming.properties is not None:
            msg = f"content header on channel {self.id} without a content method before it"
            raise UnexpectedFrame(msg)
        limit = self._port.max_message_size
        if frame.body_size > limit:
            msg = f"message of {frame.body_size} bytes exceeds max_message_size {limit}"
            raise ResourceError(msg, incoming.method.CLASS_ID, incoming.method.METHOD_ID)
        incoming.properties = frame.properties
        incoming.body_size = frame.body_size
        if not frame.body_size:
            self._complete(incoming, b"", events)

    def _handle_body(self, frame: ContentBodyFrame, events: list[Event]) -> None:
        incoming = self._incoming
        if incoming is None or incoming.properties is None:
            msg = f"content body on channel {self.id} without a content header before it"
            raise UnexpectedFrame(msg)
        payload = frame.payload
        received = incoming.received + len(payload)
        if received > incoming.body_size:
            msg = (
                f"content body of {received}+ bytes on channel {self.id}; "
                f"the header announced {incoming.body_size}"
            )
            raise UnexpectedFrame(msg)
        if received == incoming.body_size and not incoming.chunks:
            self._complete(incoming, payload, events)
            return
        incoming.chunks.append(payload)
        incoming.received = received
        if received == incoming.body_size:
            if received > _heap.covered:
                _heap.make_room_for_body(received)  # the join then reuses freed memory (see _heap)
            self._complete(incoming, b"".join(incoming.chunks), events)

    def _handle_body_parts(self, frame: ContentBodyParts, events: list[Event]) -> None:
        """A large body frame, as views of the received bytes: kept uncopied until the body is whole.

        The body is then joined once from every part, so that the join is
        the only copy of a large body between the socket read and the event.
        """
        incoming = self._incoming
        if incoming is None or incoming.properties is None:
            msg = f"content body on channel {self.id} without a content header before it"
            raise UnexpectedFrame(msg)
        received = incoming.received + frame.size
        if received > incoming.body_size:
            msg = (
                f"content body of {received}+ bytes on channel {self.id}; "
                f"the header announced {incoming.body_size}"
            )
            raise UnexpectedFrame(msg)
        incoming.chunks += frame.parts
        incoming.received = received
        if received == incoming.body_size:
            if received > _heap.covered:
                _heap.make_room_for_body(received)  # the join then reuses freed memory (see _heap)
            self._complete(incoming, b"".join(incoming.chunks), events)

    def _complete(self, incoming: _IncomingContent, body: bytes, events: list[Event]) -> None:
        self._incoming = None
        if self._machine.process(_RECV_CONTENT) is not _OPEN:
            return  # discarded: we sent channel.close since the method came (Rule 2)
        method = incoming.method
        properties = incoming.properties
        assert properties is not None
        kind = type(method)
        if kind is BasicDeliver:
            events.append(
                MessageDelivered(channel_id=self.id, method=method, properties=properties, body=body)  # type: ignore[arg-type]
            )
        elif kind is BasicReturn:
            returned = MessageReturned(
                channel_id=self.id, method=method, properties=properties, body=body  # type: ignore[arg-type]
            )
            if self.confirm_mode:
                self._held_returns.append(returned)
            else:
                events.append(returned)
        else:
            self._handle_reply(method, events, properties, body)


def _handlers() -> Mapping[type[Method], Any]:
    return {
        ChannelOpenOk: Channel._on_open_ok,
        ChannelClose: Channel._on_close,
        ChannelCloseOk: Channel._on_close_ok,
        ChannelFlow: Channel._on_flow,
        BasicDeliver: Channel._on_content_method,
        BasicReturn: Channel._on_content_method,
        BasicGetOk: Channel._on_content_method,
        BasicCancel: Channel._on_server_cancel,
        BasicAck: Channel._on_confirm,
        BasicNack: Channel._on_confirm,
    }


def _confirmed_twin() -> Any:
    """The twin of :class:`PublishConfirmed` (see :func:`~amqproto.wire._introspect.slots_twin`), or ``None``.

    A frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, once per ack received; the twin is filled with
    plain attribute stores instead, then becomes a ``PublishConfirmed``
    equal to the one the constructor builds.

    ``None`` when there is no twin (an interpreter that refuses the
    ``__class__`` assignment) or when ``PublishConfirmed`` no longer has
    exactly the two fields :meth:`Channel.receive_acks` sets: every ack then
    takes the general path.
    """
    names = tuple(field.name for field in dataclasses.fields(PublishConfirmed))
    if names != ("channel_id", "delivery_tags"):  # pragma: no cover - a guard on events.py
        return None
    return slots_twin(PublishConfirmed)


_PublishConfirmedTwin = _confirmed_twin()

# receive_deliveries and receive_acks skip the state machine: a method, and
# its content, received on an open channel must leave it open.
if (
    CHANNEL_TRANSITIONS[(ChannelState.OPEN, ChannelInput.RECV_METHOD)] is not ChannelState.OPEN
    or CHANNEL_TRANSITIONS[(ChannelState.OPEN, ChannelInput.RECV_CONTENT)] is not ChannelState.OPEN
):  # pragma: no cover - a guard on the tables
    raise ImportError("the fast paths assume that a delivery or an ack leaves an open channel open")

# Methods not listed are replies to requests; a client-only method from the
# broker matches no request and is refused as a violation.
_METHOD_HANDLERS = _handlers()
