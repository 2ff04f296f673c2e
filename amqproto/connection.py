"""The sans-io AMQP 0-9-1 connection.

Theory of operation
-------------------
:class:`Connection` is a pure state machine, in the style of h2 and h11:

- :meth:`Connection.receive_data` takes bytes from the transport (``b""``
  when it closed) and returns a list of :mod:`amqproto.events`;
- :meth:`Connection.data_to_send` returns the bytes to write;
- :meth:`Connection.get_timer` and :meth:`Connection.handle_timer` drive
  heartbeats (aioquic's shape): the caller owns the clock and passes the
  time in.

It never touches a socket, a clock or a thread.  Frames for channel 0 are
handled here; every other frame is routed to its :class:`~amqproto.channel.Channel`.
The connection's state lives in a :class:`~amqproto._state.ConnectionStateMachine`,
and every change of it goes through that machine's table.

Channels.  A channel sees its connection only through the port it is given
(:class:`~amqproto.channel.ChannelPort`: the output queue, the negotiated
limits, the check that a channel frame may go out), and the connection uses
only the channel's connection side (``receive_frame``,
``receive_deliveries``, ``close_with_connection``).  A channel that closes
says so with its :class:`~amqproto.events.ChannelClosed`, and the connection
forgets it on seeing that event.

Errors.  A peer's protocol violation (a malformed frame, a method not allowed
in the state, content out of order) makes :meth:`receive_data` queue
``connection.close`` with the violation's reply code, move to ``CLOSING`` and
raise the error (a :class:`~amqproto.exceptions.HardError`); events produced
earlier in the same call are on the error's ``events`` attribute.  The
``close-ok`` that follows yields :class:`~amqproto.events.ConnectionClosed`
carrying the same error.  Calling a method that is illegal now raises
:class:`~amqproto.exceptions.LocalProtocolError` and sends nothing.

Heartbeats.  The core cannot read a clock, so :meth:`receive_data` only
notes *that* data arrived, and the output queue shows that data was queued
to go out; :meth:`handle_timer` stamps both with the time it is given (the
heartbeat it queues itself is stamped then, not counted again when drained).  A heartbeat goes out when we
sent nothing for half the negotiated interval (as RabbitMQ's own clients do),
and the peer is declared dead after two intervals of silence (the spec: "if
a peer detects no incoming traffic ... for two heartbeat intervals or longer,
it should close the connection").
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from ._state import CONNECTION_TRANSITIONS, DISCARD, ConnectionInput, ConnectionState, ConnectionStateMachine
from ._version import __version__
from .auth import PLAIN, Authentication
from .channel import Channel
from .events import (
    ChannelClosed,
    ConnectionBlocked,
    ConnectionClosed,
    ConnectionOpened,
    ConnectionUnblocked,
    Event,
    HeartbeatTimedOut,
    MessageDelivered,
    ReplyReceived,
)
from .exceptions import (
    AMQPError,
    AMQPNotImplemented,
    AMQPSyntaxError,
    AuthenticationError,
    ChannelError,
    CommandInvalid,
    ConnectionClosedError,
    ConnectionLost,
    FrameError,
    HardError,
    HeartbeatTimeout,
    LocalProtocolError,
    NotAllowed,
    ReplyError,
    UnexpectedFrame,
    error_for_reply,
)
from .request import Request
from .schema.constants import FRAME_MIN_SIZE, PROTOCOL_HEADER
from .schema.methods import (
    BasicAck,
    ConnectionClose,
    ConnectionCloseOk,
    ConnectionOpen,
    ConnectionOpenOk,
    ConnectionSecure,
    ConnectionSecureOk,
    ConnectionStart,
    ConnectionStartOk,
    ConnectionTune,
    ConnectionTuneOk,
    ConnectionUpdateSecret,
    ConnectionUpdateSecretOk,
    Method,
)
from .schema.methods import (
    ConnectionBlocked as ConnectionBlockedMethod,
)
from .schema.methods import (
    ConnectionUnblocked as ConnectionUnblockedMethod,
)
from .schema.types import FieldTable
from .wire.codec import encode_method_frame
from .wire.frames import (
    HEARTBEAT_FRAME_BYTES,
    ContentBodyParts,
    Frame,
    FrameDecoder,
    HeartbeatFrame,
    MethodFrame,
    ProtocolHeaderFrame,
    delivery_frames,
)
from .wire.publish import Output

__all__ = ["Connection", "DEFAULT_CLIENT_PROPERTIES", "DEFAULT_MAX_MESSAGE_SIZE"]

#: Body frames with payloads of this size or more reach the channels as views
#: of the received bytes (:class:`~amqproto.wire.frames.ContentBodyParts`),
#: smaller ones as bytes, through the delivery fast path when they are a whole
#: body.  A view and the general path cost about what copying 4 KiB costs.
BODY_VIEWS_FROM = 4096

#: RabbitMQ's own default ``max_message_size``: 128 MiB.
DEFAULT_MAX_MESSAGE_SIZE = 128 * 1024 * 1024

#: What amqproto tells the broker about itself in ``connection.start-ok``.
DEFAULT_CLIENT_PROPERTIES: FieldTable = {
    "product": "amqproto",
    "version": __version__,
    "platform": f"Python {sys.version.split()[0]}",
    "capabilities": {
        "publisher_confirms": True,
        "exchange_exchange_bindings": True,
        "basic.nack": True,
        "consumer_cancel_notify": True,
        "connection.blocked": True,
        "authentication_failure_close": True,
        "per_consumer_qos": True,
        "direct_reply_to": True,
    },
}

_CONNECTION_INPUTS: dict[type[Method], ConnectionInput] = {
    ConnectionStart: ConnectionInput.RECV_START,
    ConnectionSecure: ConnectionInput.RECV_SECURE,
    ConnectionTune: ConnectionInput.RECV_TUNE,
    ConnectionOpenOk: ConnectionInput.RECV_OPEN_OK,
    ConnectionClose: ConnectionInput.RECV_CLOSE,
    ConnectionCloseOk: ConnectionInput.RECV_CLOSE_OK,
    ConnectionBlockedMethod: ConnectionInput.RECV_BLOCKED,
    ConnectionUnblockedMethod: ConnectionInput.RECV_UNBLOCKED,
    ConnectionUpdateSecretOk: ConnectionInput.RECV_UPDATE_SECRET_OK,
}

_HANDSHAKE_STATES = (
    ConnectionState.AWAITING_START,
    ConnectionState.AWAITING_TUNE,
    ConnectionState.AWAITING_OPEN_OK,
)

# receive_data hands a run of deliveries, or of acks, to the channel's fast
# path when the connection is OPEN, without feeding RECV_CHANNEL_FRAME for
# each frame: the table must keep an open connection open for them.
if (
    CONNECTION_TRANSITIONS[(ConnectionState.OPEN, ConnectionInput.RECV_CHANNEL_FRAME)]
    is not ConnectionState.OPEN
):
    raise ImportError("the delivery fast path assumes that a channel frame leaves an open connection open")
if (
    CONNECTION_TRANSITIONS[(ConnectionState.OPEN, ConnectionInput.SEND_CHANNEL_FRAME)]
    is not ConnectionState.OPEN
):
    raise ImportError("check_can_send's fast path assumes that sending leaves an open connection open")


# Members read for every frame received or sent, bound to module names: an
# enum member looked up on its class (``ConnectionState.OPEN``) goes through
# the enum's metaclass, at several times the cost of a global.
_OPEN = ConnectionState.OPEN
_CLOSED = ConnectionState.CLOSED
_RECV_CHANNEL_FRAME = ConnectionInput.RECV_CHANNEL_FRAME
_SEND_CHANNEL_FRAME = ConnectionInput.SEND_CHANNEL_FRAME


class _ChannelPort:
    """The connection as its channels see it: a :class:`~amqproto.channel.ChannelPort`.

    It holds what the connection shares with its channels, the output queue
    and the negotiated limits, so that neither has to reach into the other;
    the connection reads and writes them here too.
    """

    __slots__ = ("_machine", "frame_max", "max_message_size", "output")

    def __init__(self, machine: ConnectionStateMachine, max_message_size: int) -> None:
        self.output: Output = [PROTOCOL_HEADER]
        self.frame_max = FRAME_MIN_SIZE
        self.max_message_size = max_message_size
        self._machine = machine

    def check_can_send(self) -> None:
        """Feed ``SEND_CHANNEL_FRAME``: raise :class:`ConnectionClosedError` unless the connection is open."""
        machine = self._machine
        state = machine.state
        if state is _OPEN:
            # Every publish comes here: an open connection stays open (the
            # table says so, checked at import), without the table's lookup.
            return
        try:
            machine.process(_SEND_CHANNEL_FRAME)
        except ConnectionClosedError:
            raise ConnectionClosedError(f"cannot send on a connection that is {state.value}") from None


def _negotiate(ours: int, theirs: int) -> int:
    """The lower non-zero value of two (0 means "no limit")."""
    if not ours or not theirs:
        return ours or theirs
    return min(ours, theirs)


class Connection:
    """A sans-io AMQP 0-9-1 client connection.

    The protocol header is queued at once: call :meth:`data_to_send` and
    write it as soon as the transport is up.

    Args:
        auth: The authentication mechanism (anything satisfying
            :class:`~amqproto.auth.Authentication`); ``PLAIN("guest",
            "guest")`` when ``None``.
        virtual_host: The virtual host to open.
        heartbeat: The heartbeat interval we ask for, in seconds: the lower
            non-zero of ours and the broker's wins; ``0`` turns heartbeats
            off; ``None`` takes the broker's.
        frame_max: The largest frame we accept (and send), framing
            included; the lower non-zero of ours and the broker's wins.
        channel_max: The highest channel number we ask for.
        client_properties: Merged over :data:`DEFAULT_CLIENT_PROPERTIES`
            (use ``connection_name`` to name the connection in the
            management UI).
        locale: The locale asked for in ``start-ok``.
        max_message_size: The largest incoming message body accepted; a
            larger announced size is a protocol violation, refused before
            anything is buffered.
    """

    def __init__(
        self,
        *,
        auth: Authentication | None = None,
        virtual_host: str = "/",
        heartbeat: int | None = 60,
        frame_max: int = 131072,
        channel_max: int = 2047,
        client_properties: Mapping[str, Any] | None = None,
        locale: str = "en_US",
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        if heartbeat is not None and not 0 <= heartbeat <= 0xFFFF:
            raise ValueError(f"heartbeat must be 0..65535 seconds, not {heartbeat}")
        if frame_max and not FRAME_MIN_SIZE <= frame_max <= 0xFFFF_FFFF:
            raise ValueError(f"frame_max must be 0 or {FRAME_MIN_SIZE}..4294967295, not {frame_max}")
        if not 0 <= channel_max <= 0xFFFF:
            raise ValueError(f"channel_max must be 0..65535, not {channel_max}")
        self._machine = ConnectionStateMachine()
        self._port = _ChannelPort(self._machine, max_message_size)
        self.auth: Authentication = auth if auth is not None else PLAIN()
        self.virtual_host = virtual_host
        self.locale = locale
        properties = dict(DEFAULT_CLIENT_PROPERTIES)
        if client_properties:
            properties.update(client_properties)
        self.client_properties: FieldTable = properties
        self._wanted_heartbeat = heartbeat
        self._wanted_frame_max = frame_max
        self._wanted_channel_max = channel_max

        #: What the broker said of itself in ``connection.start``.
        self.server_properties: FieldTable = {}
        #: Negotiated values, known once ``connection.tune`` arrived.
        self.channel_max = channel_max or 0xFFFF
        self.heartbeat = 0
        #: True between ``connection.blocked`` and ``connection.unblocked``.
        self.blocked = False

        # Large body frames as views of the received chunks, joined once by
        # their channel: a large body is copied once after the socket read.
        # A whole delivery in one chunk comes as its event (trick 11 of
        # amqproto.wire._fast), which the channel passes on as it is.
        self._decoder = FrameDecoder(
            FRAME_MIN_SIZE, body_views_from=BODY_VIEWS_FROM, deliveries=MessageDelivered
        )
        self._channels: dict[int, Channel] = {}
        self._secret_request: Request[ConnectionUpdateSecretOk] | None = None
        self._close_error: AMQPError | None = None
        # The connection.close we sent, reported again when its close-ok arrives.
        self._sent_close: ConnectionClose | None = None
        # Heartbeat bookkeeping (see the module docstring).  Sending is noted
        # by counting buffers: how many were ever drained, plus those still
        # queued, against that total at the last tick.  Every way of queueing
        # output counts without having to flag it, and the heartbeat queued
        # by the timer itself (already stamped) is added to the tick's total,
        # so draining it is not taken for new traffic.
        self._received_since_tick = False
        self._drained = 0
        self._queued_at_tick = 0
        self._last_received_at: float | None = None
        self._last_sent_at: float | None = None

    def __repr__(self) -> str:
        return f"<Connection {self.state.value} vhost={self.virtual_host!r} channels={len(self._channels)}>"

    # -- public API ------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """The connection's state (see :class:`~amqproto._state.ConnectionState`)."""
        return self._machine.state

    @property
    def frame_max(self) -> int:
        """The negotiated largest frame, framing included (0: no limit).

        Known once ``connection.tune`` arrived.
        """
        return self._port.frame_max

    @property
    def max_message_size(self) -> int:
        """The largest incoming message body accepted (see the constructor)."""
        return self._port.max_message_size

    @max_message_size.setter
    def max_message_size(self, value: int) -> None:
        self._port.max_message_size = value

    @property
    def channels(self) -> Mapping[int, Channel]:
        """The channels not yet closed, by id."""
        return self._channels

    def data_to_send(self) -> bytes:
        """Return (and forget) every byte queued for the transport."""
        port = self._port
        output = port.output
        if not output:
            return b""
        self._drained += len(output)
        data = output[0] if len(output) == 1 else b"".join(output)
        port.output = []
        return bytes(data) if type(data) is not bytes else data

    @property
    def has_data_to_send(self) -> bool:
        """True when bytes are queued for the transport (cheap: nothing is drained)."""
        return bool(self._port.output)

    def buffers_to_send(self) -> list[bytes | bytearray | memoryview]:
        """Like :meth:`data_to_send`, but as a list of buffers for ``writelines``.

        Large message bodies stay ``memoryview`` slices of the caller's
        object instead of being copied into one ``bytes``.
        """
        port = self._port
        output = port.output
        if output:
            self._drained += len(output)
            port.output = []
        return output

    def receive_data(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Feed bytes from the transport; ``b""`` means it closed.

        Returns:
            The events the bytes completed, in order.

        Raises:
            HardError: the broker violated the protocol.  ``connection.close``
                with the error's reply code is queued, the connection is
                ``CLOSING``, and the events produced before the violation are
                on the error's ``events`` attribute.
        """
        state = self._machine.state
        if state is _CLOSED:
            return []
        events: list[Event] = []
        if not data:
            self._handle_eof(events)
            return events
        self._received_since_tick = True
        try:
            # Frames, ContentBodyParts and whole deliveries (see __init__).
            frames: list[Any] = self._decoder.feed(data)
            count = len(frames)
            index = 0
            while index < count:
                frame = frames[index]
                if type(frame) is MessageDelivered:
                    # The hot path of consuming: a run of deliveries, each
                    # decoded whole, as its event (see Channel.receive_deliveries).
                    # What the channel does not take, the general path
                    # handles as the delivery's three frames.
                    channel = self._channels.get(frame.channel_id)
                    if channel is not None and self._machine.state is _OPEN:
                        handled = channel.receive_deliveries(frames, index, events)
                        if handled != index:
                            index = handled
                            continue
                    for part in delivery_frames(frame):
                        self._handle_frame(part, events)
                        if self._machine.state is _CLOSED:
                            break
                else:
                    if (
                        type(frame) is MethodFrame
                        and type(frame.method) is BasicAck
                        and self._machine.state is _OPEN
                    ):
                        # The hot path of publishing with confirms: a run of
                        # acks (see Channel.receive_acks), the same way.
                        channel = self._channels.get(frame.channel)
                        if channel is not None:
                            handled = channel.receive_acks(frames, index, events)
                            if handled != index:
                                index = handled
                                continue
                    self._handle_frame(frame, events)
                index += 1
                if self._machine.state is _CLOSED:
                    break
            if self._decoder.error is not None and self._machine.state is not _CLOSED:
                raise self._decoder.error
        except ReplyError as exc:
            if not isinstance(exc, HardError):
                raise  # pragma: no cover - the core raises only hard errors from frames
            self._violation(exc, events)
            raise
        return events

    def open_channel(self, channel_id: int | None = None) -> Channel:
        """Allocate a channel (the lowest free id by default) and send ``channel.open``.

        Wait for the :class:`~amqproto.events.ReplyReceived` of the
        channel's :attr:`~amqproto.channel.Channel.open_request` (or the
        :class:`~amqproto.events.ChannelOpened`) before relying on it;
        requests made meanwhile are queued.

        Raises:
            ConnectionClosedError: the connection is not open.
            LocalProtocolError: no free channel id, or ``channel_id`` is in
                use or above the negotiated ``channel_max``.
        """
        self._port.check_can_send()
        if channel_id is None:
            channel_id = next((i for i in range(1, self.channel_max + 1) if i not in self._channels), None)
            if channel_id is None:
                raise LocalProtocolError(f"all {self.channel_max} channels are in use")
        elif not 1 <= channel_id <= self.channel_max:
            raise LocalProtocolError(f"channel id {channel_id} is outside 1..{self.channel_max}")
        elif channel_id in self._channels:
            raise LocalProtocolError(f"channel {channel_id} is already open")
        channel = Channel(self._port, channel_id)
        self._channels[channel_id] = channel
        return channel

    def close(
        self, reply_code: int = 200, reply_text: str = "", class_id: int = 0, method_id: int = 0
    ) -> None:
        """Send ``connection.close``; :class:`~amqproto.events.ConnectionClosed` follows ``close-ok``.

        During the handshake (before ``tune``) there is nothing to close
        politely: the connection is simply ``CLOSED`` and the caller drops
        the transport.  Closing a closing or closed connection does nothing.
        """
        state = self._machine.state
        if state in (ConnectionState.CLOSING, ConnectionState.CLOSED):
            return
        # Encode before changing state: a bad reply_text must leave the connection as it was.
        close = ConnectionClose(reply_code, reply_text, class_id, method_id)
        frame = encode_method_frame(0, close)
        self._machine.process(ConnectionInput.SEND_CLOSE)
        if self._machine.state is ConnectionState.CLOSING:
            self._sent_close = close
            self._port.output.append(frame)

    def update_secret(self, new_secret: bytes, reason: str = "") -> Request[ConnectionUpdateSecretOk]:
        """Send ``connection.update-secret`` (e.g. a refreshed OAuth 2 token).

        Raises:
            LocalProtocolError: the connection is not open, or an update is
                already in flight.
        """
        if self._secret_request is not None:
            raise LocalProtocolError("connection.update-secret is already in flight")
        method = ConnectionUpdateSecret(new_secret, reason)
        frame = encode_method_frame(0, method)
        self._machine.process(ConnectionInput.SEND_UPDATE_SECRET)
        request: Request[ConnectionUpdateSecretOk] = Request(0, method, True)
        self._secret_request = request
        self._port.output.append(frame)
        return request

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must next be called, or ``None`` for never.

        The time is on the caller's clock, as passed to :meth:`handle_timer`;
        ``0.0`` means "now" (the first call starts the heartbeat clock).
        """
        if not self.heartbeat or self._machine.state is ConnectionState.CLOSED:
            return None
        if self._last_received_at is None or self._last_sent_at is None:
            return 0.0
        return min(self._last_sent_at + self.heartbeat / 2, self._last_received_at + 2 * self.heartbeat)

    def handle_timer(self, now: float) -> list[Event]:
        """Send a heartbeat or declare the peer dead, as the time ``now`` requires.

        Returns:
            ``[HeartbeatTimedOut, ConnectionClosed]`` when nothing arrived for
            two heartbeat intervals, else ``[]``.
        """
        if not self.heartbeat or self._machine.state is ConnectionState.CLOSED:
            return []
        output = self._port.output
        queued = self._drained + len(output)
        if self._last_received_at is None or self._last_sent_at is None:
            self._last_received_at = self._last_sent_at = now
            self._received_since_tick = False
            self._queued_at_tick = queued
            return []
        if self._received_since_tick:
            self._received_since_tick = False
            self._last_received_at = now
        if queued != self._queued_at_tick:
            self._queued_at_tick = queued
            self._last_sent_at = now
        silence = now - self._last_received_at
        if silence >= 2 * self.heartbeat:
            self._machine.process(ConnectionInput.HEARTBEAT_TIMEOUT)
            output.clear()
            error = HeartbeatTimeout(
                f"no data from the broker for {silence:.1f} s (heartbeat {self.heartbeat} s)"
            )
            events: list[Event] = [HeartbeatTimedOut(silence=silence)]
            self._closed(events, 0, str(error), by_peer=True, error=error)
            return events
        if now - self._last_sent_at >= self.heartbeat / 2:
            self._machine.process(ConnectionInput.SEND_HEARTBEAT)
            output.append(HEARTBEAT_FRAME_BYTES)
            self._queued_at_tick += 1
            self._last_sent_at = now
        return []

    def _send_method(self, method: Method) -> None:
        """Queue a method of the connection class (on channel 0)."""
        self._port.output.append(encode_method_frame(0, method))

    # -- receiving -------------------------------------------------------------

    def _handle_frame(self, frame: Frame | ContentBodyParts, events: list[Event]) -> None:
        channel_id = frame.channel if type(frame) is not ProtocolHeaderFrame else 0  # type: ignore[union-attr]
        if channel_id:
            outcome = self._machine.process(_RECV_CHANNEL_FRAME)
            if outcome is DISCARD:
                return
            if outcome is None:
                msg = f"frame on channel {channel_id} when the connection is {self._machine.state.value}"
                raise UnexpectedFrame(msg)
            channel = self._channels.get(channel_id)
            if channel is None:
                msg = f"{type(frame).__name__} on channel {channel_id}, which is not open"
                raise ChannelError(msg)
            count = len(events)
            channel.receive_frame(frame, events)
            if len(events) != count and type(events[-1]) is ChannelClosed:
                # The channel's last event: it is closed, and its id is free.
                del self._channels[channel_id]
            return
        kind = type(frame)
        if kind is MethodFrame:
            self._handle_connection_method(frame.method, events)  # type: ignore[union-attr]
        elif kind is HeartbeatFrame:
            self._process(ConnectionInput.RECV_HEARTBEAT, "heartbeat")
        elif kind is ProtocolHeaderFrame:
            assert isinstance(frame, ProtocolHeaderFrame)
            outcome = self._machine.process(ConnectionInput.RECV_PROTOCOL_HEADER)
            if outcome is None:
                # A broker sends a header only to refuse ours, and only first.
                raise FrameError(f"protocol header when the connection is {self._machine.state.value}")
            if outcome is not DISCARD:
                error = AMQPNotImplemented(
                    f"the broker refused AMQP 0-9-1 and offered {frame.major}-{frame.minor}-{frame.revision}"
                )
                self._closed(events, error.reply_code, str(error), by_peer=True, error=error)
        elif self._machine.process(ConnectionInput.RECV_CONTENT) is None:
            raise UnexpectedFrame(f"{kind.__name__} on channel 0")

    def _process(self, event: ConnectionInput, what: str, method: Method | None = None) -> bool:
        """Apply a RECV input; False when the table discards the frame (Rule 2)."""
        machine = self._machine
        previous = machine.state
        outcome = machine.process(event)
        if outcome is None:
            msg = f"{what} is not allowed when the connection is {previous.value}"
            if method is None:
                raise UnexpectedFrame(msg)
            raise CommandInvalid(msg, method.CLASS_ID, method.METHOD_ID)
        return outcome is not DISCARD

    def _handle_connection_method(self, method: Method, events: list[Event]) -> None:
        event = _CONNECTION_INPUTS.get(type(method))
        if event is None:
            if self._machine.process(ConnectionInput.RECV_OTHER_METHOD) is None:
                msg = f"{method.NAME} on channel 0"
                raise CommandInvalid(msg, method.CLASS_ID, method.METHOD_ID)
            return
        state = self._machine.state
        if not self._process(event, method.NAME, method):
            return
        if event is ConnectionInput.RECV_START:
            self._on_start(method, events)  # type: ignore[arg-type]
        elif event is ConnectionInput.RECV_SECURE:
            assert isinstance(method, ConnectionSecure)
            self._send_method(ConnectionSecureOk(self.auth.handle_challenge(method.challenge)))
        elif event is ConnectionInput.RECV_TUNE:
            self._on_tune(method)  # type: ignore[arg-type]
        elif event is ConnectionInput.RECV_OPEN_OK:
            events.append(
                ConnectionOpened(
                    server_properties=self.server_properties,
                    channel_max=self.channel_max,
                    frame_max=self.frame_max,
                    heartbeat=self.heartbeat,
                )
            )
        elif event is ConnectionInput.RECV_CLOSE:
            self._on_close(method, state, events)  # type: ignore[arg-type]
        elif event is ConnectionInput.RECV_CLOSE_OK:
            sent = self._sent_close
            assert sent is not None  # CLOSING implies we sent close
            self._closed(
                events,
                sent.reply_code,
                sent.reply_text,
                sent.class_id,
                sent.method_id,
                by_peer=False,
                error=self._close_error,
            )
        elif event is ConnectionInput.RECV_BLOCKED:
            assert isinstance(method, ConnectionBlockedMethod)
            self.blocked = True
            events.append(ConnectionBlocked(reason=method.reason))
        elif event is ConnectionInput.RECV_UNBLOCKED:
            self.blocked = False
            events.append(ConnectionUnblocked())
        elif event is ConnectionInput.RECV_UPDATE_SECRET_OK:
            request = self._secret_request
            if request is None:
                raise CommandInvalid("connection.update-secret-ok without update-secret", 10, 71)
            self._secret_request = None
            events.append(ReplyReceived(channel_id=0, request=request, reply=method))

    def _on_start(self, start: ConnectionStart, events: list[Event]) -> None:
        error: AMQPError
        if (start.version_major, start.version_minor) != (0, 9):
            error = AMQPNotImplemented(f"the broker speaks AMQP {start.version_major}-{start.version_minor}")
            self._machine.process(ConnectionInput.REFUSE_START)
            self._closed(events, error.reply_code, str(error), by_peer=False, error=error)
            return
        self.server_properties = start.server_properties
        offered = start.mechanisms.split()
        mechanism = self.auth.mechanism
        if mechanism not in offered:
            error = AuthenticationError(
                f"the broker does not offer {mechanism}; it offers {', '.join(offered)}"
            )
            self._machine.process(ConnectionInput.REFUSE_START)
            self._closed(events, error.reply_code, str(error), by_peer=False, error=error)
            return
        self._send_method(
            ConnectionStartOk(self.client_properties, mechanism, self.auth.initial_response(), self.locale),
        )

    def _on_tune(self, tune: ConnectionTune) -> None:
        if tune.frame_max and tune.frame_max < FRAME_MIN_SIZE:
            # "frame-max ... must be at least frame-min-size (4096)" (connection.tune).
            msg = f"connection.tune proposes frame_max {tune.frame_max}, below the minimum {FRAME_MIN_SIZE}"
            raise AMQPSyntaxError(msg, tune.CLASS_ID, tune.METHOD_ID)
        self.channel_max = _negotiate(self._wanted_channel_max, tune.channel_max) or 0xFFFF
        frame_max = self._port.frame_max = _negotiate(self._wanted_frame_max, tune.frame_max)
        wanted = self._wanted_heartbeat
        self.heartbeat = (
            tune.heartbeat if wanted is None else (_negotiate(wanted, tune.heartbeat) if wanted else 0)
        )
        self._decoder.frame_max = frame_max
        self._send_method(ConnectionTuneOk(self.channel_max, frame_max, self.heartbeat))
        self._send_method(ConnectionOpen(self.virtual_host))

    def _on_close(self, close: ConnectionClose, state: ConnectionState, events: list[Event]) -> None:
        # "After sending close-ok the peer may close the socket": the caller
        # writes data_to_send() and drops the transport.
        self._send_method(ConnectionCloseOk())
        error: AMQPError
        if close.reply_code == 403 and state in _HANDSHAKE_STATES:
            error = AuthenticationError(close.reply_text, close.class_id, close.method_id, by_peer=True)
        elif close.reply_code == 530 and state in _HANDSHAKE_STATES:
            error = NotAllowed(close.reply_text, close.class_id, close.method_id, by_peer=True)
        else:
            error = error_for_reply(
                close.reply_code, close.reply_text, close.class_id, close.method_id, hard=True
            )
        if state is ConnectionState.CLOSING and self._close_error is None and close.reply_code == 200:
            self._closed(events, 200, close.reply_text, by_peer=False, error=None)
            return
        self._closed(
            events,
            close.reply_code,
            close.reply_text,
            close.class_id,
            close.method_id,
            by_peer=True,
            error=error,
        )

    def _handle_eof(self, events: list[Event]) -> None:
        state = self._machine.state
        self._machine.process(ConnectionInput.RECV_EOF)
        error: AMQPError | None
        if state is ConnectionState.AWAITING_TUNE:
            # RabbitMQ drops the socket on a failed login when the client does
            # not announce authentication_failure_close (and some brokers always do).
            error = AuthenticationError(
                "the broker closed the connection during authentication", by_peer=True
            )
        elif state is ConnectionState.CLOSING:
            error = self._close_error
        else:
            error = ConnectionLost(f"the transport closed while the connection was {state.value}")
        self._closed(events, 0, "transport closed", by_peer=True, error=error)

    def _closed(
        self,
        events: list[Event],
        reply_code: int,
        reply_text: str,
        class_id: int = 0,
        method_id: int = 0,
        *,
        by_peer: bool,
        error: AMQPError | None,
    ) -> None:
        """Close every channel left (a :class:`ChannelClosed` each), then the connection."""
        channels = self._channels
        if channels:
            channel_error = error if error is not None else ConnectionClosedError("the connection was closed")
            for channel in list(channels.values()):
                channel.close_with_connection(channel_error, events)
                # Its ChannelClosed is the last event: it is gone.
                del channels[channel.id]
        self._secret_request = None
        events.append(
            ConnectionClosed(
                reply_code=reply_code,
                reply_text=reply_text,
                class_id=class_id,
                method_id=method_id,
                by_peer=by_peer,
                error=error,
            )
        )

    def _violation(self, error: HardError, events: list[Event]) -> None:
        """The broker broke the protocol: close the connection with the error's code."""
        error.events = tuple(events)
        if self._machine.process(ConnectionInput.RECV_VIOLATION) is not ConnectionState.CLOSING:
            return  # closing already (Rule 2: nothing more goes out), or closed
        self._close_error = error
        text = error.reply_text.encode()[:255].decode(errors="ignore")
        self._sent_close = ConnectionClose(error.reply_code, text, error.class_id, error.method_id)
        self._port.output.append(encode_method_frame(0, self._sent_close))
