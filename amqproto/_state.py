"""The state tables of the connection and of each channel.

Theory of operation
-------------------
Both machines follow h2's shape: an ``Enum`` of states, an ``Enum`` of inputs
named ``SEND_*`` (something we do) and ``RECV_*`` (something the broker did),
and one flat dict from ``(state, input)`` to the next state.  The machines
know nothing of frames or bytes; :mod:`amqproto.connection` and
:mod:`amqproto.channel` feed them inputs and perform the side effects.

Rule 1: a pair missing from a table is a protocol error.  For a ``SEND_*``
input it is *our* caller's mistake: :class:`~amqproto.exceptions.LocalProtocolError`
(nothing is sent, the state does not change).  For a ``RECV_*`` input it is
the broker's: the caller gets the error to close the connection with.

Rule 2: after ``connection.close`` or ``channel.close`` has been sent, the
spec says the sender "MUST discard" every method except ``close`` and
``close-ok``: in ``CLOSING`` those inputs loop back to ``CLOSING``.

The connection handshake, as the spec lays it out::

    client                         broker
    protocol header ------------->
                    <------------- connection.start
    connection.start-ok --------->
                    <------------- connection.secure   (zero or more rounds)
    connection.secure-ok -------->
                    <------------- connection.tune
    connection.tune-ok ---------->
    connection.open ------------->
                    <------------- connection.open-ok
"""

from __future__ import annotations

import enum

from .exceptions import ChannelClosedError, ConnectionClosedError, LocalProtocolError

__all__ = [
    "ConnectionState",
    "ConnectionInput",
    "ChannelState",
    "ChannelInput",
    "CONNECTION_TRANSITIONS",
    "CHANNEL_TRANSITIONS",
    "ConnectionStateMachine",
    "ChannelStateMachine",
]


class ConnectionState(enum.Enum):
    #: Protocol header sent; waiting for ``connection.start``.
    AWAITING_START = "awaiting start"
    #: ``start-ok`` sent; ``secure`` rounds, then ``tune``.
    AWAITING_TUNE = "awaiting tune"
    #: ``tune-ok`` and ``open`` sent; waiting for ``open-ok``.
    AWAITING_OPEN_OK = "awaiting open-ok"
    #: Open for business.
    OPEN = "open"
    #: We sent ``connection.close``; waiting for ``close-ok``.
    CLOSING = "closing"
    #: Closed, by either side or by the transport.  Final.
    CLOSED = "closed"


class ConnectionInput(enum.Enum):
    RECV_START = "recv connection.start"
    RECV_SECURE = "recv connection.secure"
    RECV_TUNE = "recv connection.tune"
    RECV_OPEN_OK = "recv connection.open-ok"
    RECV_CLOSE = "recv connection.close"
    RECV_CLOSE_OK = "recv connection.close-ok"
    RECV_BLOCKED = "recv connection.blocked"
    RECV_UNBLOCKED = "recv connection.unblocked"
    RECV_UPDATE_SECRET_OK = "recv connection.update-secret-ok"
    RECV_HEARTBEAT = "recv heartbeat"
    #: Any frame on a channel other than 0.
    RECV_CHANNEL_FRAME = "recv channel frame"
    #: The transport closed.
    RECV_EOF = "recv end of stream"
    SEND_CLOSE = "send connection.close"
    SEND_UPDATE_SECRET = "send connection.update-secret"
    #: Opening a channel or sending anything on one.
    SEND_CHANNEL_FRAME = "send channel frame"
    SEND_HEARTBEAT = "send heartbeat"


_C = ConnectionState
_CI = ConnectionInput

CONNECTION_TRANSITIONS: dict[tuple[ConnectionState, ConnectionInput], ConnectionState] = {
    (_C.AWAITING_START, _CI.RECV_START): _C.AWAITING_TUNE,
    (_C.AWAITING_START, _CI.RECV_CLOSE): _C.CLOSED,
    (_C.AWAITING_START, _CI.RECV_EOF): _C.CLOSED,
    (_C.AWAITING_START, _CI.SEND_CLOSE): _C.CLOSED,
    (_C.AWAITING_TUNE, _CI.RECV_SECURE): _C.AWAITING_TUNE,
    (_C.AWAITING_TUNE, _CI.RECV_TUNE): _C.AWAITING_OPEN_OK,
    (_C.AWAITING_TUNE, _CI.RECV_CLOSE): _C.CLOSED,
    (_C.AWAITING_TUNE, _CI.RECV_EOF): _C.CLOSED,
    (_C.AWAITING_TUNE, _CI.SEND_CLOSE): _C.CLOSED,
    (_C.AWAITING_OPEN_OK, _CI.RECV_OPEN_OK): _C.OPEN,
    (_C.AWAITING_OPEN_OK, _CI.RECV_CLOSE): _C.CLOSED,
    (_C.AWAITING_OPEN_OK, _CI.RECV_EOF): _C.CLOSED,
    (_C.AWAITING_OPEN_OK, _CI.RECV_HEARTBEAT): _C.AWAITING_OPEN_OK,
    (_C.AWAITING_OPEN_OK, _CI.RECV_BLOCKED): _C.AWAITING_OPEN_OK,
    (_C.AWAITING_OPEN_OK, _CI.RECV_UNBLOCKED): _C.AWAITING_OPEN_OK,
    (_C.AWAITING_OPEN_OK, _CI.SEND_CLOSE): _C.CLOSING,
    (_C.AWAITING_OPEN_OK, _CI.SEND_HEARTBEAT): _C.AWAITING_OPEN_OK,
    (_C.OPEN, _CI.RECV_CLOSE): _C.CLOSED,
    (_C.OPEN, _CI.RECV_BLOCKED): _C.OPEN,
    (_C.OPEN, _CI.RECV_UNBLOCKED): _C.OPEN,
    (_C.OPEN, _CI.RECV_UPDATE_SECRET_OK): _C.OPEN,
    (_C.OPEN, _CI.RECV_HEARTBEAT): _C.OPEN,
    (_C.OPEN, _CI.RECV_CHANNEL_FRAME): _C.OPEN,
    (_C.OPEN, _CI.RECV_EOF): _C.CLOSED,
    (_C.OPEN, _CI.SEND_CLOSE): _C.CLOSING,
    (_C.OPEN, _CI.SEND_UPDATE_SECRET): _C.OPEN,
    (_C.OPEN, _CI.SEND_CHANNEL_FRAME): _C.OPEN,
    (_C.OPEN, _CI.SEND_HEARTBEAT): _C.OPEN,
    # Rule 2: after close, only close and close-ok count.  Everything else
    # is discarded, the handshake methods included: close may have been sent
    # while ``open-ok`` (or, after a violation found during the handshake,
    # ``secure`` or ``tune``) was already on its way.
    (_C.CLOSING, _CI.RECV_CLOSE_OK): _C.CLOSED,
    (_C.CLOSING, _CI.RECV_CLOSE): _C.CLOSED,
    (_C.CLOSING, _CI.RECV_EOF): _C.CLOSED,
    (_C.CLOSING, _CI.RECV_START): _C.CLOSING,
    (_C.CLOSING, _CI.RECV_SECURE): _C.CLOSING,
    (_C.CLOSING, _CI.RECV_TUNE): _C.CLOSING,
    (_C.CLOSING, _CI.RECV_OPEN_OK): _C.CLOSING,
    (_C.CLOSING, _CI.RECV_BLOCKED): _C.CLOSING,
    (_C.CLOSING, _CI.RECV_UNBLOCKED): _C.CLOSING,
    (_C.CLOSING, _CI.RECV_UPDATE_SECRET_OK): _C.CLOSING,
    (_C.CLOSING, _CI.RECV_HEARTBEAT): _C.CLOSING,
    (_C.CLOSING, _CI.RECV_CHANNEL_FRAME): _C.CLOSING,
    (_C.CLOSING, _CI.SEND_CLOSE): _C.CLOSING,
    (_C.CLOSING, _CI.SEND_HEARTBEAT): _C.CLOSING,
    (_C.CLOSED, _CI.RECV_EOF): _C.CLOSED,
    (_C.CLOSED, _CI.SEND_CLOSE): _C.CLOSED,
}


class ChannelState(enum.Enum):
    #: Not open (never opened, or closed).  A closed channel's id is free.
    CLOSED = "closed"
    #: ``channel.open`` sent; waiting for ``open-ok``.
    OPENING = "opening"
    OPEN = "open"
    #: We sent ``channel.close``; waiting for ``close-ok``.
    CLOSING = "closing"


class ChannelInput(enum.Enum):
    SEND_OPEN = "send channel.open"
    RECV_OPEN_OK = "recv channel.open-ok"
    #: Any method other than open/close, and publishing content.
    SEND_METHOD = "send method"
    #: Any method other than open-ok/close/close-ok.
    RECV_METHOD = "recv method"
    #: A content header or body frame.
    RECV_CONTENT = "recv content"
    SEND_CLOSE = "send channel.close"
    RECV_CLOSE = "recv channel.close"
    RECV_CLOSE_OK = "recv channel.close-ok"


_S = ChannelState
_SI = ChannelInput

CHANNEL_TRANSITIONS: dict[tuple[ChannelState, ChannelInput], ChannelState] = {
    (_S.CLOSED, _SI.SEND_OPEN): _S.OPENING,
    (_S.OPENING, _SI.RECV_OPEN_OK): _S.OPEN,
    (_S.OPENING, _SI.RECV_CLOSE): _S.CLOSED,
    (_S.OPENING, _SI.SEND_CLOSE): _S.CLOSING,
    # Methods may be queued while the channel opens; they go out after open-ok.
    (_S.OPENING, _SI.SEND_METHOD): _S.OPENING,
    (_S.OPEN, _SI.SEND_METHOD): _S.OPEN,
    (_S.OPEN, _SI.RECV_METHOD): _S.OPEN,
    (_S.OPEN, _SI.RECV_CONTENT): _S.OPEN,
    (_S.OPEN, _SI.SEND_CLOSE): _S.CLOSING,
    (_S.OPEN, _SI.RECV_CLOSE): _S.CLOSED,
    # Rule 2: after close, only close and close-ok count.  A close crossing
    # ours is answered with close-ok, but the channel stays CLOSING: "the
    # response to receiving a Close after sending Close must be to send
    # Close-Ok", so the broker answers our close too, and that close-ok must
    # still find the channel.
    (_S.CLOSING, _SI.RECV_CLOSE_OK): _S.CLOSED,
    (_S.CLOSING, _SI.RECV_CLOSE): _S.CLOSING,
    (_S.CLOSING, _SI.RECV_METHOD): _S.CLOSING,
    (_S.CLOSING, _SI.RECV_CONTENT): _S.CLOSING,
    (_S.CLOSING, _SI.RECV_OPEN_OK): _S.CLOSING,
    (_S.CLOSING, _SI.SEND_CLOSE): _S.CLOSING,
}


class ConnectionStateMachine:
    """The connection's state and its table; raises on illegal inputs."""

    __slots__ = ("state",)

    def __init__(self) -> None:
        self.state = ConnectionState.AWAITING_START

    def process(self, event: ConnectionInput) -> ConnectionState | None:
        """Move to the next state; return it, or ``None`` for an illegal input.

        Raises:
            ConnectionClosedError: an illegal ``SEND_*`` input (Rule 1) once
                the connection is closing or closed.
            LocalProtocolError: an illegal ``SEND_*`` input before that.
        """
        next_state = CONNECTION_TRANSITIONS.get((self.state, event))
        if next_state is None:
            if event.name.startswith("SEND_"):
                msg = f"cannot {event.value} when the connection is {self.state.value}"
                if self.state in (ConnectionState.CLOSING, ConnectionState.CLOSED):
                    raise ConnectionClosedError(msg)
                raise LocalProtocolError(msg)
            return None
        self.state = next_state
        return next_state


class ChannelStateMachine:
    """One channel's state and its table; raises on illegal inputs."""

    __slots__ = ("state", "channel_id")

    def __init__(self, channel_id: int) -> None:
        self.state = ChannelState.CLOSED
        self.channel_id = channel_id

    def process(self, event: ChannelInput) -> ChannelState | None:
        """Move to the next state; return it, or ``None`` for an illegal input.

        Raises:
            ChannelClosedError: an illegal ``SEND_*`` input (Rule 1) once
                the channel is closing or closed.
            LocalProtocolError: an illegal ``SEND_*`` input before that.
        """
        next_state = CHANNEL_TRANSITIONS.get((self.state, event))
        if next_state is None:
            if event.name.startswith("SEND_"):
                msg = f"cannot {event.value} when channel {self.channel_id} is {self.state.value}"
                if self.state in (ChannelState.CLOSING, ChannelState.CLOSED):
                    raise ChannelClosedError(msg)
                raise LocalProtocolError(msg)
            return None
        self.state = next_state
        return next_state
