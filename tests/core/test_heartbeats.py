"""Heartbeats through get_timer()/handle_timer(now): the caller owns the clock."""

from __future__ import annotations

from amqproto import Connection, ConnectionState
from amqproto.events import ConnectionClosed, HeartbeatTimedOut
from amqproto.exceptions import HeartbeatTimeout
from amqproto.schema import ConnectionTune, QueueDeclare
from amqproto.wire import HEARTBEAT_FRAME_BYTES, HeartbeatFrame, encode_frame

from .helpers import FakeBroker, open_channel, open_connection, state

HEARTBEAT = 10


def _connected(heartbeat: int = HEARTBEAT) -> tuple[Connection, FakeBroker]:
    connection, broker = open_connection(heartbeat=heartbeat, tune=ConnectionTune(0, 0, heartbeat))
    assert connection.heartbeat == heartbeat
    # The first call starts the clock.
    assert connection.get_timer() == 0.0
    assert connection.handle_timer(0.0) == []
    assert connection.data_to_send() == b""
    return connection, broker


def test_no_timer_without_heartbeats() -> None:
    connection, _ = open_connection(heartbeat=0)
    assert connection.heartbeat == 0
    assert connection.get_timer() is None
    assert connection.handle_timer(1000.0) == []
    assert connection.data_to_send() == b""


def test_no_timer_before_tune() -> None:
    connection = Connection(heartbeat=5)
    assert connection.get_timer() is None
    assert connection.handle_timer(100.0) == []


def test_heartbeat_sent_after_half_an_interval_of_idle_sending() -> None:
    connection, _ = _connected()
    assert connection.get_timer() == HEARTBEAT / 2
    assert connection.handle_timer(4.9) == []
    assert connection.data_to_send() == b""
    assert connection.handle_timer(5.0) == []
    assert connection.data_to_send() == HEARTBEAT_FRAME_BYTES == encode_frame(HeartbeatFrame())


def test_idle_connection_heartbeats_every_half_interval() -> None:
    """Our own heartbeat is not traffic to be stamped again at the next tick."""
    connection, broker = _connected()
    sent_at: list[float] = []
    now = 0.0
    while now < 30.0:
        timer = connection.get_timer()
        assert timer is not None
        now = timer
        connection.handle_timer(now)
        if connection.data_to_send() == HEARTBEAT_FRAME_BYTES:
            sent_at.append(now)
        # The broker keeps talking, so the connection stays alive.
        broker.send(HeartbeatFrame())
    assert sent_at == [5.0, 10.0, 15.0, 20.0, 25.0, 30.0]


def test_sending_defers_the_heartbeat() -> None:
    connection, broker = _connected()
    channel = open_channel(connection, broker)
    connection.handle_timer(3.0)  # stamps the channel.open sent since the last tick
    assert connection.data_to_send() == b""
    assert connection.get_timer() == 8.0
    channel.queue_declare("q")
    connection.handle_timer(8.0)  # the declare counts as traffic: no heartbeat
    assert broker.sent_methods() == [(1, QueueDeclare(queue="q"))]
    assert connection.get_timer() == 13.0
    connection.handle_timer(13.0)
    assert connection.data_to_send() == HEARTBEAT_FRAME_BYTES


def test_silent_peer_declared_dead_after_two_intervals() -> None:
    connection, _ = _connected()
    events = []
    for now in (5.0, 10.0, 15.0, 19.9):
        events += connection.handle_timer(now)
        connection.data_to_send()
    assert events == []
    assert state(connection) is ConnectionState.OPEN
    events = connection.handle_timer(20.0)
    assert len(events) == 2
    timed_out, closed = events
    assert timed_out == HeartbeatTimedOut(silence=20.0)
    assert isinstance(closed, ConnectionClosed)
    assert closed.by_peer
    assert isinstance(closed.error, HeartbeatTimeout)
    assert state(connection) is ConnectionState.CLOSED
    assert connection.data_to_send() == b""
    assert connection.get_timer() is None
    assert connection.handle_timer(100.0) == []


def test_incoming_traffic_defers_the_timeout() -> None:
    connection, broker = _connected()
    for now in (5.0, 10.0, 15.0):
        assert connection.handle_timer(now) == []
        connection.data_to_send()
    broker.send(HeartbeatFrame())  # received between 15 and 20
    assert connection.handle_timer(20.0) == []
    assert state(connection) is ConnectionState.OPEN
    connection.data_to_send()
    # Now silent again: dead two intervals after the tick that saw the traffic.
    timer = connection.get_timer()
    events: list[object] = []
    while timer is not None and not events:
        assert timer <= 40.0
        events = list(connection.handle_timer(timer))
        connection.data_to_send()
        timer = connection.get_timer()
    assert len(events) == 2
    timed_out = events[0]
    assert isinstance(timed_out, HeartbeatTimedOut) and timed_out.silence == 20.0


def test_timer_deadline_is_the_earlier_of_send_and_receive() -> None:
    connection, broker = _connected()
    broker.send(HeartbeatFrame())
    connection.handle_timer(4.0)
    # Sent at 0, received at 4: heartbeat due at 5, death at 24.
    assert connection.get_timer() == 5.0
    connection.handle_timer(5.0)
    connection.data_to_send()
    assert connection.get_timer() == 10.0


def test_heartbeat_timeout_closes_the_channels() -> None:
    from amqproto import ChannelState

    connection, broker = _connected()
    channel = open_channel(connection, broker)
    assert connection.handle_timer(1.0) == []  # stamps the open-ok received
    assert connection.handle_timer(20.9) == []
    events = connection.handle_timer(21.0)
    assert [type(event).__name__ for event in events] == [
        "HeartbeatTimedOut",
        "ChannelClosed",
        "ConnectionClosed",
    ]
    assert state(channel) is ChannelState.CLOSED
    assert connection.channels == {}
