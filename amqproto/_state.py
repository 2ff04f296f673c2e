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
Inputs of neither kind (a timer that expired, a handshake we refuse, the
connection closing under a channel) are fed only where the table has them.

Rule 2: after ``connection.close`` or ``channel.close`` has been sent, the
spec says the sender "MUST discard" every method except ``close`` and
``close-ok``.  The tables say so themselves: in ``CLOSING`` those inputs map
to :data:`DISCARD`, which leaves the state as it is and tells the caller to
drop the input without acting on it.

The tables are the whole truth: no other module assigns a machine's
``state`` (``tests/core/test_state_machines.py`` checks it), and
``scripts/draw_states.py`` draws them.

Enum members hash by identity here (``__hash__ = object.__hash__``; an
``Enum`` compares by identity anyway): ``Enum.__hash__`` is Python code, and
the tables are looked up for every method sent and received.

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
    "DISCARD",
    "Discard",
]


class Discard(enum.Enum):
    """The outcome of an input that Rule 2 drops (see the module docstring)."""

    __hash__ = object.__hash__

    #: Drop the input; the state does not change.
    DISCARD = "discard"


#: Rule 2: drop the input, the state does not change.
DISCARD = Discard.DISCARD


class ConnectionState(enum.Enum):
    __hash__ = object.__hash__

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
    __hash__ = object.__hash__

    #: The broker answered our protocol header with its own: it refuses
    #: AMQP 0-9-1.
    RECV_PROTOCOL_HEADER = "recv protocol header"
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
    #: A method on channel 0 that is not of the connection class.
    RECV_OTHER_METHOD = "recv a method of another class"
    #: A content header or body frame on channel 0.
    RECV_CONTENT = "recv content"
    #: Any frame on a channel other than 0.
    RECV_CHANNEL_FRAME = "recv channel frame"
    #: The broker broke the protocol; we send ``connection.close`` with the
    #: violation's reply code.
    RECV_VIOLATION = "recv a protocol violation"
    #: The transport closed.
    RECV_EOF = "recv end of stream"
    SEND_CLOSE = "send connection.close"
    SEND_UPDATE_SECRET = "send connection.update-secret"
    #: Opening a channel or sending anything on one.
    SEND_CHANNEL_FRAME = "send channel frame"
    SEND_HEARTBEAT = "send heartbeat"
    #: We refuse the broker's ``connection.start`` (a protocol version or
    #: mechanisms we cannot use): nothing to close politely yet, the caller
    #: drops the transport.
    REFUSE_START = "refuse connection.start"
    #: Nothing arrived for two heartbeat intervals: the peer is dead.
    HEARTBEAT_TIMEOUT = "heartbeat timeout"


_C = ConnectionState
_CI = ConnectionInput

CONNECTION_TRANSITIONS: dict[tuple[ConnectionState, ConnectionInput], ConnectionState | Discard] = {
    (_C.AWAITING_START, _CI.RECV_PROTOCOL_HEADER): _C.CLOSED,
    (_C.AWAITING_START, _CI.RECV_START): _C.AWAITING_TUNE,
    (_C.AWAITING_START, _CI.RECV_CLOSE): _C.CLOSED,
    (_C.AWAITING_START, _CI.RECV_VIOLATION): _C.CLOSING,
    (_C.AWAITING_START, _CI.RECV_EOF): _C.CLOSED,
    (_C.AWAITING_START, _CI.SEND_CLOSE): _C.CLOSED,
    (_C.AWAITING_TUNE, _CI.RECV_SECURE): _C.AWAITING_TUNE,
    (_C.AWAITING_TUNE, _CI.RECV_TUNE): _C.AWAITING_OPEN_OK,
    (_C.AWAITING_TUNE, _CI.RECV_CLOSE): _C.CLOSED,
    (_C.AWAITING_TUNE, _CI.RECV_VIOLATION): _C.CLOSING,
    (_C.AWAITING_TUNE, _CI.RECV_EOF): _C.CLOSED,
    (_C.AWAITING_TUNE, _CI.SEND_CLOSE): _C.CLOSED,
    (_C.AWAITING_TUNE, _CI.REFUSE_START): _C.CLOSED,
    (_C.AWAITING_OPEN_OK, _CI.RECV_OPEN_OK): _C.OPEN,
    (_C.AWAITING_OPEN_OK, _CI.RECV_CLOSE): _C.CLOSED,
    (_C.AWAITING_OPEN_OK, _CI.RECV_VIOLATION): _C.CLOSING,
    (_C.AWAITING_OPEN_OK, _CI.RECV_EOF): _C.CLOSED,
    (_C.AWAITING_OPEN_OK, _CI.RECV_HEARTBEAT): _C.AWAITING_OPEN_OK,
    (_C.AWAITING_OPEN_OK, _CI.RECV_BLOCKED): _C.AWAITING_OPEN_OK,
    (_C.AWAITING_OPEN_OK, _CI.RECV_UNBLOCKED): _C.AWAITING_OPEN_OK,
    (_C.AWAITING_OPEN_OK, _CI.SEND_CLOSE): _C.CLOSING,
    (_C.AWAITING_OPEN_OK, _CI.SEND_HEARTBEAT): _C.AWAITING_OPEN_OK,
    (_C.AWAITING_OPEN_OK, _CI.HEARTBEAT_TIMEOUT): _C.CLOSED,
    (_C.OPEN, _CI.RECV_CLOSE): _C.CLOSED,
    (_C.OPEN, _CI.RECV_BLOCKED): _C.OPEN,
    (_C.OPEN, _CI.RECV_UNBLOCKED): _C.OPEN,
    (_C.OPEN, _CI.RECV_UPDATE_SECRET_OK): _C.OPEN,
    (_C.OPEN, _CI.RECV_HEARTBEAT): _C.OPEN,
    (_C.OPEN, _CI.RECV_CHANNEL_FRAME): _C.OPEN,
    (_C.OPEN, _CI.RECV_VIOLATION): _C.CLOSING,
    (_C.OPEN, _CI.RECV_EOF): _C.CLOSED,
    (_C.OPEN, _CI.SEND_CLOSE): _C.CLOSING,
    (_C.OPEN, _CI.SEND_UPDATE_SECRET): _C.OPEN,
    (_C.OPEN, _CI.SEND_CHANNEL_FRAME): _C.OPEN,
    (_C.OPEN, _CI.SEND_HEARTBEAT): _C.OPEN,
    (_C.OPEN, _CI.HEARTBEAT_TIMEOUT): _C.CLOSED,
    # Rule 2: after close, only close and close-ok count.  Everything else
    # is discarded, the handshake methods included: close may have been sent
    # while ``open-ok`` (or, after a violation found during the handshake,
    # ``secure`` or ``tune``) was already on its way.  A violation found now
    # (malformed bytes) is raised, but no second close goes out.
    (_C.CLOSING, _CI.RECV_CLOSE_OK): _C.CLOSED,
    (_C.CLOSING, _CI.RECV_CLOSE): _C.CLOSED,
    (_C.CLOSING, _CI.RECV_EOF): _C.CLOSED,
    (_C.CLOSING, _CI.RECV_PROTOCOL_HEADER): DISCARD,
    (_C.CLOSING, _CI.RECV_START): DISCARD,
    (_C.CLOSING, _CI.RECV_SECURE): DISCARD,
    (_C.CLOSING, _CI.RECV_TUNE): DISCARD,
    (_C.CLOSING, _CI.RECV_OPEN_OK): DISCARD,
    (_C.CLOSING, _CI.RECV_BLOCKED): DISCARD,
    (_C.CLOSING, _CI.RECV_UNBLOCKED): DISCARD,
    (_C.CLOSING, _CI.RECV_UPDATE_SECRET_OK): DISCARD,
    (_C.CLOSING, _CI.RECV_HEARTBEAT): DISCARD,
    (_C.CLOSING, _CI.RECV_OTHER_METHOD): DISCARD,
    (_C.CLOSING, _CI.RECV_CONTENT): DISCARD,
    (_C.CLOSING, _CI.RECV_CHANNEL_FRAME): DISCARD,
    (_C.CLOSING, _CI.RECV_VIOLATION): DISCARD,
    (_C.CLOSING, _CI.SEND_CLOSE): _C.CLOSING,
    (_C.CLOSING, _CI.SEND_HEARTBEAT): _C.CLOSING,
    (_C.CLOSING, _CI.HEARTBEAT_TIMEOUT): _C.CLOSED,
    (_C.CLOSED, _CI.RECV_EOF): _C.CLOSED,
    (_C.CLOSED, _CI.SEND_CLOSE): _C.CLOSED,
}


class ChannelState(enum.Enum):
    __hash__ = object.__hash__

    #: Not open (never opened, or closed).  A closed channel's id is free.
    CLOSED = "closed"
    #: ``channel.open`` sent; waiting for ``open-ok``.
    OPENING = "opening"
    OPEN = "open"
    #: We sent ``channel.close``; waiting for ``close-ok``.
    CLOSING = "closing"


class ChannelInput(enum.Enum):
    __hash__ = object.__hash__

    SEND_OPEN = "send channel.open"
    RECV_OPEN_OK = "recv channel.open-ok"
    #: Any method other than open/close, and publishing content.
    SEND_METHOD = "send method"
    #: Any method other than open-ok/close/close-ok.
    RECV_METHOD = "recv method"
    #: The content of a message is complete (its header and body arrived).
    RECV_CONTENT = "recv content"
    SEND_CLOSE = "send channel.close"
    RECV_CLOSE = "recv channel.close"
    RECV_CLOSE_OK = "recv channel.close-ok"
    #: The connection closed (or its transport was lost) under the channel.
    CONNECTION_CLOSED = "connection closed"


_S = ChannelState
_SI = ChannelInput

CHANNEL_TRANSITIONS: dict[tuple[ChannelState, ChannelInput], ChannelState | Discard] = {
    (_S.CLOSED, _SI.SEND_OPEN): _S.OPENING,
    (_S.OPENING, _SI.RECV_OPEN_OK): _S.OPEN,
    (_S.OPENING, _SI.RECV_CLOSE): _S.CLOSED,
    (_S.OPENING, _SI.SEND_CLOSE): _S.CLOSING,
    # Methods may be queued while the channel opens; they go out after open-ok.
    (_S.OPENING, _SI.SEND_METHOD): _S.OPENING,
    (_S.OPENING, _SI.CONNECTION_CLOSED): _S.CLOSED,
    (_S.OPEN, _SI.SEND_METHOD): _S.OPEN,
    (_S.OPEN, _SI.RECV_METHOD): _S.OPEN,
    (_S.OPEN, _SI.RECV_CONTENT): _S.OPEN,
    (_S.OPEN, _SI.SEND_CLOSE): _S.CLOSING,
    (_S.OPEN, _SI.RECV_CLOSE): _S.CLOSED,
    (_S.OPEN, _SI.CONNECTION_CLOSED): _S.CLOSED,
    # Rule 2: after close, only close and close-ok count.  A close crossing
    # ours is answered with close-ok, but the channel stays CLOSING: "the
    # response to receiving a Close after sending Close must be to send
    # Close-Ok", so the broker answers our close too, and that close-ok must
    # still find the channel.
    (_S.CLOSING, _SI.RECV_CLOSE_OK): _S.CLOSED,
    (_S.CLOSING, _SI.RECV_CLOSE): _S.CLOSING,
    (_S.CLOSING, _SI.RECV_METHOD): DISCARD,
    (_S.CLOSING, _SI.RECV_CONTENT): DISCARD,
    (_S.CLOSING, _SI.RECV_OPEN_OK): DISCARD,
    (_S.CLOSING, _SI.SEND_CLOSE): _S.CLOSING,
    (_S.CLOSING, _SI.CONNECTION_CLOSED): _S.CLOSED,
}


class ConnectionStateMachine:
    """The connection's state and its table; raises on illegal inputs."""

    __slots__ = ("state",)

    def __init__(self, state: ConnectionState = ConnectionState.AWAITING_START) -> None:
        self.state = state

    def process(self, event: ConnectionInput) -> ConnectionState | Discard | None:
        """Move to the next state and return it; :data:`DISCARD` (Rule 2) or ``None`` (illegal) leave it.

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
        if next_state is not DISCARD:
            self.state = next_state
        return next_state


class ChannelStateMachine:
    """One channel's state and its table; raises on illegal inputs."""

    __slots__ = ("state", "channel_id")

    def __init__(self, channel_id: int, state: ChannelState = ChannelState.CLOSED) -> None:
        self.state = state
        self.channel_id = channel_id

    def process(self, event: ChannelInput) -> ChannelState | Discard | None:
        """Move to the next state and return it; :data:`DISCARD` (Rule 2) or ``None`` (illegal) leave it.

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
        if next_state is not DISCARD:
            self.state = next_state
        return next_state
