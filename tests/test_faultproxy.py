"""The fault proxy (tests/faultproxy.py) does what the recovery tests rely on.

Against the default broker with the blocking adapter: connections go
through and are counted; a reset reaches the client as ``ConnectionLost``;
a freeze, with a one-second heartbeat, as ``HeartbeatTimeout``; a freeze
lifted in time loses nothing; a frozen proxy holds new connections; an
upstream that refuses resets the client; injected bytes reach the client.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from amqproto.exceptions import ConnectionLost, ConnectionTimeout, FrameError, HeartbeatTimeout
from amqproto.io.blocking import BlockingConnection

from .faultproxy import FaultProxy
from .integration._sync.helpers import eventually

pytestmark = pytest.mark.broker


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    with FaultProxy() as proxy:
        yield proxy


def _free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_forwards_and_counts_connections(proxy: FaultProxy) -> None:
    with BlockingConnection(proxy.url()) as first, BlockingConnection(proxy.url()) as second:
        for connection in (first, second):
            with connection.get_channel() as channel:
                assert channel.queue_declare("", exclusive=True).queue.startswith("amq.gen-")
        assert proxy.accepted == 2
        assert proxy.open_connections == 2
    eventually(lambda: proxy.open_connections == 0)
    assert proxy.accepted == 2


def test_reset_is_a_lost_connection(proxy: FaultProxy) -> None:
    with BlockingConnection(proxy.url()) as connection, connection.get_channel() as channel:
        channel.queue_declare("", exclusive=True)
        proxy.reset()
        assert proxy.open_connections == 0
        with pytest.raises(ConnectionLost):
            channel.queue_declare("", exclusive=True)
        assert not connection.is_open
    # The proxy itself goes on.
    with BlockingConnection(proxy.url()) as connection, connection.get_channel() as channel:
        channel.queue_declare("", exclusive=True)
    assert proxy.accepted == 2


def test_freeze_is_a_heartbeat_timeout(proxy: FaultProxy) -> None:
    with BlockingConnection(proxy.url("heartbeat=1")) as connection, connection.get_channel() as channel:
        assert connection.core.heartbeat == 1
        proxy.freeze()
        with pytest.raises(HeartbeatTimeout):
            channel.queue_declare("", exclusive=True)
        assert proxy.open_connections == 1  # frozen, the proxy holds its sockets open


def test_resume_forwards_what_was_held(proxy: FaultProxy) -> None:
    with BlockingConnection(proxy.url()) as connection, connection.get_channel() as channel:
        queue = channel.queue_declare("", exclusive=True).queue
        proxy.freeze()
        channel.basic_publish(b"held", routing_key=queue)  # written, not forwarded
        proxy.resume()
        with channel.basic_consume(queue) as consumer:
            for message in consumer:
                assert message.body == b"held"
                message.ack()
                break


def test_freeze_holds_new_connections(proxy: FaultProxy) -> None:
    proxy.freeze()
    with pytest.raises(ConnectionTimeout):
        BlockingConnection(proxy.url(), connection_timeout=1).connect()
    assert proxy.accepted == 1


def test_refusing_upstream_resets_the_client(proxy: FaultProxy) -> None:
    proxy.upstream_port = _free_port()
    with pytest.raises(ConnectionLost):
        BlockingConnection(proxy.url(), connection_timeout=5).connect()
    assert proxy.accepted == 1
    assert proxy.open_connections == 0


GARBAGE = b"\x09\x00\x00\x00\x00\x00\x00\xce"  # frame type 9 does not exist


def test_inject_reaches_the_client(proxy: FaultProxy) -> None:
    with BlockingConnection(proxy.url()) as connection, connection.get_channel() as channel:
        proxy.inject(GARBAGE)
        with pytest.raises(FrameError, match="unknown frame type 9"):
            channel.queue_declare("", exclusive=True)
