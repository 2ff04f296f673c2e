"""The connection handshake, negotiation, client properties and authentication."""

from __future__ import annotations

import pytest

from amqproto import AMQPLAIN, EXTERNAL, PLAIN, Authentication, Connection, ConnectionState
from amqproto.events import ConnectionClosed, ConnectionOpened
from amqproto.exceptions import (
    AMQPNotImplemented,
    AMQPSyntaxError,
    AuthenticationError,
    ConnectionClosedError,
    ConnectionLost,
    InvalidPath,
    LocalProtocolError,
    NotAllowed,
)
from amqproto.schema import (
    PROTOCOL_HEADER,
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
)
from amqproto.wire import ProtocolHeaderFrame, decode_table, encode_frame

from .helpers import SERVER_PROPERTIES, FakeBroker, event_types, open_connection, start, state


def test_protocol_header_is_queued_at_once() -> None:
    connection = Connection()
    assert state(connection) is ConnectionState.AWAITING_START
    assert connection.data_to_send() == PROTOCOL_HEADER == b"AMQP\x00\x00\x09\x01"
    assert connection.data_to_send() == b""


def test_full_handshake_with_plain() -> None:
    connection = Connection(auth=PLAIN("alice", "s3cret"), virtual_host="/prod")
    broker = FakeBroker(connection)
    assert broker.sent() == []  # just the protocol header

    assert broker.send_method(0, start()) == []
    assert state(connection) is ConnectionState.AWAITING_TUNE
    start_ok = broker.expect_one(0, ConnectionStartOk)
    assert start_ok.mechanism == "PLAIN"
    assert start_ok.response == b"\0alice\0s3cret"
    assert start_ok.locale == "en_US"

    assert broker.send_method(0, ConnectionTune(2047, 131072, 60)) == []
    assert state(connection) is ConnectionState.AWAITING_OPEN_OK
    broker.expect((0, ConnectionTuneOk(2047, 131072, 60)), (0, ConnectionOpen("/prod")))

    events = broker.send_method(0, ConnectionOpenOk())
    assert events == [
        ConnectionOpened(
            server_properties=SERVER_PROPERTIES, channel_max=2047, frame_max=131072, heartbeat=60
        )
    ]
    assert state(connection) is ConnectionState.OPEN
    assert connection.server_properties == SERVER_PROPERTIES
    assert broker.sent() == []


def test_client_properties_advertise_product_and_capabilities() -> None:
    connection = Connection(client_properties={"connection_name": "worker-1"})
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    properties = broker.expect_one(0, ConnectionStartOk).client_properties
    assert properties["product"] == "amqproto"
    assert isinstance(properties["version"], str) and properties["version"]
    assert isinstance(properties["platform"], str) and properties["platform"].startswith("Python ")
    assert properties["connection_name"] == "worker-1"
    assert properties["capabilities"] == {
        "publisher_confirms": True,
        "exchange_exchange_bindings": True,
        "basic.nack": True,
        "consumer_cancel_notify": True,
        "connection.blocked": True,
        "authentication_failure_close": True,
        "per_consumer_qos": True,
        "direct_reply_to": True,
    }


@pytest.mark.parametrize(
    ("ours", "theirs", "negotiated"),
    [
        # (channel_max, frame_max, heartbeat) asked by us / offered by the broker.
        ((2047, 131072, 60), (2047, 131072, 60), (2047, 131072, 60)),
        ((100, 8192, 10), (2047, 131072, 60), (100, 8192, 10)),  # ours lower
        ((2047, 131072, 60), (10, 4096, 5), (10, 4096, 5)),  # theirs lower
        ((0, 0, 30), (2047, 131072, 60), (2047, 131072, 30)),  # our 0 = no limit
        ((2047, 131072, 30), (0, 0, 0), (2047, 131072, 30)),  # their 0 = no limit
        ((0, 0, 0), (0, 0, 60), (0xFFFF, 0, 0)),  # both unlimited; our heartbeat 0 = off
        ((2047, 131072, None), (2047, 131072, 580), (2047, 131072, 580)),  # None takes the broker's
        ((2047, 131072, None), (2047, 131072, 0), (2047, 131072, 0)),
    ],
)
def test_tune_negotiation(
    ours: tuple[int, int, int | None], theirs: tuple[int, int, int], negotiated: tuple[int, int, int]
) -> None:
    channel_max, frame_max, heartbeat = ours
    connection = Connection(channel_max=channel_max, frame_max=frame_max, heartbeat=heartbeat)
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    broker.sent()
    broker.send_method(0, ConnectionTune(*theirs))
    methods = broker.sent_methods()
    assert methods[0] == (0, ConnectionTuneOk(*negotiated))
    assert isinstance(methods[1][1], ConnectionOpen)
    events = broker.send_method(0, ConnectionOpenOk())
    assert events == [
        ConnectionOpened(
            server_properties=SERVER_PROPERTIES,
            channel_max=negotiated[0],
            frame_max=negotiated[1],
            heartbeat=negotiated[2],
        )
    ]
    assert (connection.channel_max, connection.frame_max, connection.heartbeat) == negotiated


def test_negotiated_frame_max_limits_incoming_frames() -> None:
    connection, _ = open_connection(frame_max=8192)
    assert connection.frame_max == 8192
    assert connection._decoder.frame_max == 8192


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"heartbeat": -1}, "heartbeat must be 0..65535"),
        ({"heartbeat": 70000}, "heartbeat must be 0..65535"),
        ({"frame_max": 100}, "frame_max must be 0 or 4096"),
        ({"channel_max": 70000}, "channel_max must be 0..65535"),
    ],
)
def test_constructor_rejects_out_of_range_tuning(kwargs: dict[str, int], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Connection(**kwargs)  # type: ignore[arg-type]


# -- authentication --------------------------------------------------------------


def test_amqplain_sends_a_table_without_its_size() -> None:
    connection = Connection(auth=AMQPLAIN("bob", "pw"))
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    start_ok = broker.expect_one(0, ConnectionStartOk)
    assert start_ok.mechanism == "AMQPLAIN"
    response = start_ok.response
    table, end = decode_table(len(response).to_bytes(4, "big") + response)
    assert table == {"LOGIN": "bob", "PASSWORD": "pw"}
    assert end == 4 + len(response)


def test_external_sends_an_empty_response() -> None:
    connection = Connection(auth=EXTERNAL())
    broker = FakeBroker(connection)
    broker.send_method(0, start("EXTERNAL"))
    start_ok = broker.expect_one(0, ConnectionStartOk)
    assert (start_ok.mechanism, start_ok.response) == ("EXTERNAL", b"")


class ChallengeResponse:
    """A user-defined mechanism: a plain class, no subclassing."""

    mechanism = "X-CHALLENGE"

    def __init__(self) -> None:
        self.challenges: list[bytes] = []

    def initial_response(self) -> bytes:
        return b"hello"

    def handle_challenge(self, challenge: bytes) -> bytes:
        self.challenges.append(challenge)
        return b"answer-" + challenge


def test_custom_mechanism_with_secure_rounds() -> None:
    auth = ChallengeResponse()
    assert isinstance(auth, Authentication)
    connection = Connection(auth=auth)
    broker = FakeBroker(connection)
    broker.send_method(0, start("PLAIN X-CHALLENGE"))
    assert broker.expect_one(0, ConnectionStartOk) == ConnectionStartOk(
        connection.client_properties, "X-CHALLENGE", b"hello", "en_US"
    )
    for challenge in (b"nonce-1", b"nonce-2"):
        assert broker.send_method(0, ConnectionSecure(challenge)) == []
        assert state(connection) is ConnectionState.AWAITING_TUNE
        broker.expect((0, ConnectionSecureOk(b"answer-" + challenge)))
    assert auth.challenges == [b"nonce-1", b"nonce-2"]
    broker.send_method(0, ConnectionTune(0, 0, 0))
    broker.sent()
    assert event_types(broker.send_method(0, ConnectionOpenOk())) == ["ConnectionOpened"]


def test_plain_answers_a_challenge_with_its_credentials() -> None:
    connection = Connection(auth=PLAIN("u", "p"))
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    broker.sent()
    broker.send_method(0, ConnectionSecure(b"?"))
    broker.expect((0, ConnectionSecureOk(b"\0u\0p")))


def test_mechanism_not_offered_closes_with_authentication_error() -> None:
    connection = Connection(auth=EXTERNAL())
    broker = FakeBroker(connection)
    events = broker.send_method(0, start("PLAIN AMQPLAIN"))
    assert state(connection) is ConnectionState.CLOSED
    assert len(events) == 1
    closed = events[0]
    assert isinstance(closed, ConnectionClosed)
    assert isinstance(closed.error, AuthenticationError)
    assert "EXTERNAL" in str(closed.error) and "PLAIN, AMQPLAIN" in str(closed.error)
    assert broker.sent() == []  # no start-ok


def test_refused_login_by_connection_close_403() -> None:
    connection = Connection(auth=PLAIN("bad", "creds"))
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    broker.sent()
    events = broker.send_method(0, ConnectionClose(403, "ACCESS_REFUSED - Login was refused", 0, 0))
    assert state(connection) is ConnectionState.CLOSED
    broker.expect((0, ConnectionCloseOk()))
    assert len(events) == 1
    closed = events[0]
    assert isinstance(closed, ConnectionClosed)
    assert (closed.reply_code, closed.by_peer) == (403, True)
    assert isinstance(closed.error, AuthenticationError)
    assert closed.error.reply_text == "ACCESS_REFUSED - Login was refused"


def test_refused_login_by_dropped_socket_after_start_ok() -> None:
    connection = Connection()
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    broker.sent()
    events = connection.receive_data(b"")
    assert state(connection) is ConnectionState.CLOSED
    assert len(events) == 1
    closed = events[0]
    assert isinstance(closed, ConnectionClosed)
    assert closed.by_peer
    assert isinstance(closed.error, AuthenticationError)


def test_socket_dropped_before_start_is_connection_lost_not_authentication() -> None:
    connection = Connection()
    events = connection.receive_data(b"")
    assert len(events) == 1
    closed = events[0]
    assert isinstance(closed, ConnectionClosed)
    assert isinstance(closed.error, ConnectionLost)
    assert not isinstance(closed.error, AuthenticationError)


def test_vhost_refused_is_not_allowed() -> None:
    connection = Connection(virtual_host="/nope")
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    broker.send_method(0, ConnectionTune(0, 0, 0))
    broker.sent()
    events = broker.send_method(0, ConnectionClose(530, "NOT_ALLOWED - vhost /nope not found", 10, 40))
    broker.expect((0, ConnectionCloseOk()))
    closed = events[0]
    assert isinstance(closed, ConnectionClosed)
    assert isinstance(closed.error, NotAllowed)
    assert (closed.class_id, closed.method_id) == (10, 40)


def test_invalid_path_during_open() -> None:
    connection = Connection()
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    broker.send_method(0, ConnectionTune(0, 0, 0))
    broker.sent()
    closed = broker.send_method(0, ConnectionClose(402, "bad vhost", 10, 40))[0]
    assert isinstance(closed, ConnectionClosed)
    assert isinstance(closed.error, InvalidPath)


def test_wrong_protocol_version_in_start() -> None:
    connection = Connection()
    broker = FakeBroker(connection)
    events = broker.send_method(0, ConnectionStart(0, 8, {}, "PLAIN", "en_US"))
    assert state(connection) is ConnectionState.CLOSED
    closed = events[0]
    assert isinstance(closed, ConnectionClosed)
    assert isinstance(closed.error, AMQPNotImplemented)
    assert broker.sent() == []


def test_broker_answers_with_its_own_protocol_header() -> None:
    connection = Connection()
    connection.data_to_send()
    events = connection.receive_data(encode_frame(ProtocolHeaderFrame(0, 8, 0)))
    assert state(connection) is ConnectionState.CLOSED
    closed = events[0]
    assert isinstance(closed, ConnectionClosed)
    assert isinstance(closed.error, AMQPNotImplemented)
    assert "0-8-0" in str(closed.error)


def test_closing_during_handshake_is_immediate() -> None:
    connection = Connection()
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    broker.sent()
    connection.close()
    assert state(connection) is ConnectionState.CLOSED
    assert broker.sent() == []
    with pytest.raises(ConnectionClosedError, match="closed"):
        connection.open_channel()


def test_close_while_awaiting_open_ok_sends_close_and_discards_open_ok() -> None:
    connection = Connection()
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    broker.send_method(0, ConnectionTune(0, 0, 0))
    broker.sent()
    connection.close()
    assert state(connection) is ConnectionState.CLOSING
    broker.expect((0, ConnectionClose(200, "", 0, 0)))
    # The open-ok was already on its way: Rule 2 says discard it.
    assert broker.send_method(0, ConnectionOpenOk()) == []
    assert state(connection) is ConnectionState.CLOSING
    events = broker.send_method(0, ConnectionCloseOk())
    assert events == [ConnectionClosed(reply_code=200, reply_text="", by_peer=False, error=None)]


def test_methods_before_open_raise_local_protocol_error() -> None:
    connection = Connection()
    with pytest.raises(LocalProtocolError, match="awaiting start"):
        connection.open_channel()
    with pytest.raises(LocalProtocolError, match="awaiting start"):
        connection.update_secret(b"token")


def test_open_connection_helper_reaches_open() -> None:
    connection, _ = open_connection()
    assert state(connection) is ConnectionState.OPEN


def test_a_frame_max_below_the_minimum_is_a_syntax_error() -> None:
    connection = Connection()
    broker = FakeBroker(connection)
    broker.send_method(0, start())
    broker.sent()
    with pytest.raises(AMQPSyntaxError, match="frame_max 1024, below the minimum 4096") as raised:
        broker.send_method(0, ConnectionTune(2047, 1024, 60))
    assert raised.value.reply_code == 502
    close = broker.expect_one(0, ConnectionClose)
    assert (close.reply_code, close.class_id, close.method_id) == (502, 10, 30)
