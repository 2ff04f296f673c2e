"""The publish fast path encodes exactly what the general encoder does."""

from __future__ import annotations

import pytest

from amqproto.exceptions import EncodeError
from amqproto.schema.methods import BasicPublish
from amqproto.schema.properties import BasicProperties
from amqproto.wire.frames import FrameDecoder, encode_content_frames
from amqproto.wire.publish import COPY_LIMIT, encode_publish_content, encode_publish_method

PROPERTIES = [
    None,
    BasicProperties(),
    BasicProperties(content_type="text/plain", headers={"a": 1}, priority=3),
]
SIZES = [0, 1, 32, 4088, 4089, 9000, COPY_LIMIT - 1, COPY_LIMIT, 3 * 4088 + 5]


@pytest.mark.parametrize("properties", PROPERTIES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("frame_max", [4096, 131072, 0])
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_same_bytes_as_the_general_encoder(
    properties: BasicProperties | None, size: int, frame_max: int, kind: type[bytes | bytearray | memoryview]
) -> None:
    body = kind(bytes(range(256)) * (size // 256) + bytes(range(size % 256)))
    output: list[bytes | bytearray | memoryview] = []
    method_frame = encode_publish_method(7, "exchange", "key", True, False)
    encode_publish_content(output, 7, method_frame, properties, body, frame_max)
    expected = encode_content_frames(
        7, BasicPublish(0, "exchange", "key", True, False), properties or BasicProperties(), body, frame_max
    )
    assert b"".join(output) == b"".join(expected)


def test_large_bytes_bodies_are_not_copied() -> None:
    body = b"x" * (3 * COPY_LIMIT)
    output: list[bytes | bytearray | memoryview] = []
    encode_publish_content(output, 1, encode_publish_method(1, "", "q", False, False), None, body, 0)
    assert any(part is body for part in output)


def test_mutable_bodies_are_copied_once_so_later_changes_do_not_leak() -> None:
    body = bytearray(b"x" * (3 * COPY_LIMIT))
    output: list[bytes | bytearray | memoryview] = []
    encode_publish_content(output, 1, encode_publish_method(1, "", "q", False, False), None, body, 131072)
    body[:] = b"y" * len(body)
    frames = FrameDecoder(0).feed(b"".join(output))
    assert frames[-1].payload == b"x" * (3 * COPY_LIMIT)  # type: ignore[union-attr]


def test_a_channel_out_of_range_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="out of range"):
        encode_publish_content([], 70000, encode_publish_method(1, "", "q", False, False), None, b"x", 0)


def test_properties_larger_than_a_frame_are_refused() -> None:
    properties = BasicProperties(headers={"big": "x" * 4096})
    with pytest.raises(EncodeError, match="do not fit in a frame"):
        encode_publish_content([], 1, encode_publish_method(1, "", "q", False, False), properties, b"x", 4096)
