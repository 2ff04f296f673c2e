"""Byte-exact vectors: known frames, fed whole, one byte at a time, and with trailing bytes.

``CONNECTION_START`` was captured once from RabbitMQ 3.10.8 (the local test
broker) with a raw socket: send ``b"AMQP\\x00\\x00\\x09\\x01"``, read the
reply.  The other vectors are laid out by hand from the spec's frame format,
so that they check the codec against the spec rather than against itself.
"""

from __future__ import annotations

import pytest

from amqproto.schema import BasicProperties, BasicPublish, ConnectionStart
from amqproto.wire import (
    ContentBodyFrame,
    ContentHeaderFrame,
    Frame,
    FrameDecoder,
    HeartbeatFrame,
    MethodFrame,
    encode_content_frames,
    encode_frame,
)

CONNECTION_START = b"".join(
    [
        b"\x01\x00\x00\x00\x00\x01\xf0",  # method frame, channel 0, 496 bytes
        b"\x00\n\x00\n",  # connection.start (10, 10)
        b"\x00\t",  # version 0-9
        b"\x00\x00\x01\xcb",  # server-properties: a 459-byte table
        b"\x0ccapabilitiesF\x00\x00\x00\xc7",
        b"\x12publisher_confirmst\x01",
        b"\x1aexchange_exchange_bindingst\x01",
        b"\nbasic.nackt\x01",
        b"\x16consumer_cancel_notifyt\x01",
        b"\x12connection.blockedt\x01",
        b"\x13consumer_prioritiest\x01",
        b"\x1cauthentication_failure_closet\x01",
        b"\x10per_consumer_qost\x01",
        b"\x0fdirect_reply_tot\x01",
        b"\x0ccluster_nameS\x00\x00\x00\trabbit@vm",
        b"\tcopyrightS\x00\x00\x007Copyright (c) 2007-2022 VMware, Inc. or its affiliates.",
        b"\x0binformationS\x00\x00\x009Licensed under the MPL 2.0. Website: https://rabbitmq.com",
        b"\x08platformS\x00\x00\x00\x11Erlang/OTP 25.2.3",
        b"\x07productS\x00\x00\x00\x08RabbitMQ",
        b"\x07versionS\x00\x00\x00\x063.10.8",
        b"\x00\x00\x00\x0ePLAIN AMQPLAIN",  # mechanisms
        b"\x00\x00\x00\x05en_US",  # locales
        b"\xce",
    ]
)

CONNECTION_START_FRAMES: list[Frame] = [
    MethodFrame(
        0,
        ConnectionStart(
            version_major=0,
            version_minor=9,
            server_properties={
                "capabilities": {
                    "publisher_confirms": True,
                    "exchange_exchange_bindings": True,
                    "basic.nack": True,
                    "consumer_cancel_notify": True,
                    "connection.blocked": True,
                    "consumer_priorities": True,
                    "authentication_failure_close": True,
                    "per_consumer_qos": True,
                    "direct_reply_to": True,
                },
                "cluster_name": "rabbit@vm",
                "copyright": "Copyright (c) 2007-2022 VMware, Inc. or its affiliates.",
                "information": "Licensed under the MPL 2.0. Website: https://rabbitmq.com",
                "platform": "Erlang/OTP 25.2.3",
                "product": "RabbitMQ",
                "version": "3.10.8",
            },
            mechanisms="PLAIN AMQPLAIN",
            locales="en_US",
        ),
    )
]

PUBLISH = b"".join(
    [
        # basic.publish on channel 1
        b"\x01\x00\x01\x00\x00\x00\x15",  # method frame, channel 1, 21 bytes
        b"\x00\x3c\x00\x28",  # basic.publish (60, 40)
        b"\x00\x00",  # ticket
        b"\x0aamq.direct",  # exchange
        b"\x02rk",  # routing-key
        b"\x01",  # mandatory=1, immediate=0
        b"\xce",
        # content header
        b"\x02\x00\x01\x00\x00\x00\x25",  # header frame, channel 1, 37 bytes
        b"\x00\x3c\x00\x00",  # class basic, weight 0
        b"\x00\x00\x00\x00\x00\x00\x00\x05",  # body size 5
        b"\xb0\x00",  # flags: content-type, headers, delivery-mode
        b"\x0atext/plain",
        b"\x00\x00\x00\x07\x01aI\x00\x00\x00\x01",  # {"a": 1}
        b"\x02",  # persistent
        b"\xce",
        # body
        b"\x03\x00\x01\x00\x00\x00\x05hello\xce",
    ]
)

PUBLISH_METHOD = BasicPublish(exchange="amq.direct", routing_key="rk", mandatory=True)
PUBLISH_PROPERTIES = BasicProperties(content_type="text/plain", headers={"a": 1}, delivery_mode=2)
PUBLISH_FRAMES: list[Frame] = [
    MethodFrame(1, PUBLISH_METHOD),
    ContentHeaderFrame(1, 5, PUBLISH_PROPERTIES),
    ContentBodyFrame(1, b"hello"),
]

HEARTBEAT = b"\x08\x00\x00\x00\x00\x00\x00\xce"
HEARTBEAT_FRAMES: list[Frame] = [HeartbeatFrame()]

VECTORS = [
    pytest.param(CONNECTION_START, CONNECTION_START_FRAMES, id="connection.start"),
    pytest.param(PUBLISH, PUBLISH_FRAMES, id="basic.publish"),
    pytest.param(HEARTBEAT, HEARTBEAT_FRAMES, id="heartbeat"),
]


@pytest.mark.parametrize(("vector", "frames"), VECTORS)
def test_encodes_to_the_vector(vector: bytes, frames: list[Frame]) -> None:
    assert b"".join(encode_frame(frame) for frame in frames) == vector


def test_content_frames_encode_to_the_vector() -> None:
    parts = encode_content_frames(1, PUBLISH_METHOD, PUBLISH_PROPERTIES, b"hello", 4096)
    assert b"".join(parts) == PUBLISH


@pytest.mark.parametrize(("vector", "frames"), VECTORS)
def test_decodes_whole(vector: bytes, frames: list[Frame]) -> None:
    decoder = FrameDecoder()
    assert decoder.feed(vector) == frames
    assert decoder.buffered == 0


@pytest.mark.parametrize(("vector", "frames"), VECTORS)
def test_decodes_one_byte_at_a_time(vector: bytes, frames: list[Frame]) -> None:
    decoder = FrameDecoder()
    decoded: list[Frame] = []
    ends: list[int] = []
    for index in range(len(vector)):
        new = decoder.feed(vector[index : index + 1])
        decoded += new
        ends += [index + 1] * len(new)
    assert decoded == frames
    assert decoder.buffered == 0
    # Each frame comes out exactly when its frame-end octet arrives.
    assert all(vector[end - 1] == 0xCE for end in ends)
    assert ends[-1] == len(vector)


@pytest.mark.parametrize(("vector", "frames"), VECTORS)
@pytest.mark.parametrize("cut", [1, 6, 7, 8, 20])
def test_trailing_partial_frame_stays_buffered(vector: bytes, frames: list[Frame], cut: int) -> None:
    follower = PUBLISH  # any vector works as the frame(s) that follow
    cut = min(cut, len(follower) - 1)
    decoder = FrameDecoder()
    assert decoder.feed(vector + follower[:cut]) == frames
    assert decoder.buffered == cut
    assert decoder.feed(follower[cut:]) == PUBLISH_FRAMES
    assert decoder.buffered == 0


@pytest.mark.parametrize(("vector", "frames"), VECTORS)
def test_input_types(vector: bytes, frames: list[Frame]) -> None:
    for data in (bytearray(vector), memoryview(vector)):
        assert FrameDecoder().feed(data) == frames


def test_decoded_table_keeps_wire_order() -> None:
    (frame,) = FrameDecoder().feed(CONNECTION_START)
    assert isinstance(frame, MethodFrame)
    assert isinstance(frame.method, ConnectionStart)
    assert list(frame.method.server_properties) == [
        "capabilities",
        "cluster_name",
        "copyright",
        "information",
        "platform",
        "product",
        "version",
    ]
