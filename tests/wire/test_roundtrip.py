"""Property tests: everything the encoder writes, the decoder reads back unchanged.

Methods are found by reflection over ``METHODS`` and drawn field by field from
their wire types (see :mod:`tests.wire.strategies`), so every one of the 66
classes is covered by its own test case.
"""

from __future__ import annotations

import array
import datetime
import decimal
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amqproto.exceptions import AMQPSyntaxError
from amqproto.schema import BasicProperties, BasicPublish, Method
from amqproto.wire import (
    ContentBodyFrame,
    ContentHeaderFrame,
    FrameDecoder,
    MethodFrame,
    decode_array,
    decode_method,
    decode_properties,
    decode_table,
    encode_array,
    encode_content_frames,
    encode_frame,
    encode_method,
    encode_properties,
    encode_table,
)
from amqproto.wire._introspect import fields_of
from amqproto.wire.frames import Frame
from amqproto.wire.table import timestamp_to_datetime

from .strategies import ALL_METHODS, field_scalars, field_tables, frames, instances_of, properties

UTC = datetime.UTC


@pytest.mark.parametrize("cls", ALL_METHODS, ids=lambda cls: cls.NAME)
@settings(max_examples=40)
@given(data=st.data())
def test_every_method_round_trips(cls: type[Method], data: st.DataObject) -> None:
    method = data.draw(instances_of(cls))
    payload = encode_method(method)
    assert payload[:4] == struct.pack(">HH", cls.CLASS_ID, cls.METHOD_ID)
    assert decode_method(payload) == method
    # At an offset, from any buffer type.
    padded = b"ab" + payload + b"cd"
    for buffer in (padded, bytearray(padded), memoryview(padded)):
        assert decode_method(buffer, 2, 2 + len(payload)) == method
    # The same through a whole frame on some channel.
    channel = data.draw(st.integers(0, 0xFFFF))
    frame = MethodFrame(channel, method)
    assert FrameDecoder(frame_max=0).feed(encode_frame(frame)) == [frame]


@settings(max_examples=200)
@given(properties())
def test_properties_round_trip(props: BasicProperties) -> None:
    flags, encoded = encode_properties(props)
    # An absent property costs nothing: its flag is clear.
    for number, spec in enumerate(fields_of(BasicProperties)):
        assert bool(flags & (1 << (15 - number))) == (getattr(props, spec.name) is not None)
    assert decode_properties(encoded, 0, len(encoded), flags) == props
    padded = b"ab" + encoded + b"cd"
    for buffer in (padded, bytearray(padded), memoryview(padded)):
        assert decode_properties(buffer, 2, 2 + len(encoded), flags) == props


def test_empty_properties_encode_to_nothing() -> None:
    assert encode_properties(BasicProperties()) == (0, b"")


def test_timestamp_property_is_aware_utc() -> None:
    props = BasicProperties(timestamp=datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC))
    flags, encoded = encode_properties(props)
    assert encoded == struct.pack(">Q", 1714979289)
    decoded = decode_properties(encoded, 0, len(encoded), flags).timestamp
    assert decoded is not None
    assert decoded.tzinfo is UTC


#: The last second ``datetime`` can hold, as a Unix timestamp.
LAST_SECOND = int(datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())


@pytest.mark.parametrize("seconds", [LAST_SECOND + 1, LAST_SECOND + 60, 2**63, 2**64 - 1])
def test_timestamps_past_year_9999_are_syntax_errors(seconds: int) -> None:
    with pytest.raises(AMQPSyntaxError, match="out of range"):
        timestamp_to_datetime(seconds)
    flags, _ = encode_properties(BasicProperties(timestamp=datetime.datetime(2024, 1, 1, tzinfo=UTC)))
    header = struct.pack(">HHQH", 60, 0, 0, flags) + struct.pack(">Q", seconds)
    frame = struct.pack(">BHI", 2, 1, len(header)) + header + b"\xce"
    with pytest.raises(AMQPSyntaxError):
        FrameDecoder().feed(frame)


@settings(max_examples=200)
@given(field_tables())
def test_field_tables_round_trip(table: dict[str, object]) -> None:
    encoded = encode_table(table)  # type: ignore[arg-type]
    assert struct.unpack_from(">I", encoded)[0] == len(encoded) - 4
    assert decode_table(encoded) == (table, len(encoded))


@settings(max_examples=100)
@given(st.lists(field_scalars(), max_size=8))
def test_field_arrays_round_trip(array: list[object]) -> None:
    encoded = encode_array(array)  # type: ignore[arg-type]
    assert decode_array(encoded) == (array, len(encoded))


@settings(max_examples=100)
@given(st.binary(max_size=20), field_tables(), st.binary(max_size=20))
def test_tables_decode_at_an_offset_in_a_larger_buffer(
    prefix: bytes, table: dict[str, object], suffix: bytes
) -> None:
    encoded = encode_table(table)  # type: ignore[arg-type]
    buffer = prefix + encoded + suffix
    for view in (buffer, bytearray(buffer), memoryview(buffer)):
        assert decode_table(view, len(prefix)) == (table, len(prefix) + len(encoded))


def test_tuple_arrays_encode_as_arrays() -> None:
    assert decode_table(encode_table({"a": (1, "x")}))[0] == {"a": [1, "x"]}


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        (True, b"t"),
        (0, b"I"),
        (-(2**31), b"I"),
        (2**31 - 1, b"I"),
        (2**31, b"l"),
        (-(2**31) - 1, b"l"),
        (1.5, b"d"),
        (decimal.Decimal("1.5"), b"D"),
        ("s", b"S"),
        (b"x", b"x"),
        (bytearray(b"x"), b"x"),
        (datetime.datetime(2020, 1, 1, tzinfo=UTC), b"T"),
        (None, b"V"),
        ([], b"A"),
        ({}, b"F"),
    ],
)
def test_encoder_picks_one_tag_per_python_type(value: object, tag: bytes) -> None:
    encoded = encode_table({"k": value})  # type: ignore[dict-item]
    assert encoded[4:6] == b"\x01k"
    assert encoded[6:7] == tag


# -- every tag RabbitMQ knows, from hand-built bytes ---------------------------
#
# The encoder emits only some tags; these vectors are written out by hand so
# that the decoder's readers for b, B, s, u, i, f (and the rest) are checked
# against the byte layout RabbitMQ documents, not against our own encoder.

TAGGED_VALUES: list[tuple[bytes, object]] = [
    (b"t\x00", False),
    (b"t\x01", True),
    (b"t\x07", True),  # any non-zero octet is true
    (b"b\x80", -128),
    (b"b\x7f", 127),
    (b"B\xff", 255),
    (b"s\x80\x00", -32768),
    (b"u\xff\xff", 65535),
    (b"I\x80\x00\x00\x00", -(2**31)),
    (b"I\xff\xff\xff\xff", -1),
    (b"i\xff\xff\xff\xff", 2**32 - 1),
    (b"l\x80\x00\x00\x00\x00\x00\x00\x00", -(2**63)),
    (b"l\x7f\xff\xff\xff\xff\xff\xff\xff", 2**63 - 1),
    (b"f\x3f\xc0\x00\x00", 1.5),
    (b"f\xff\x80\x00\x00", -math.inf),
    (b"d\x40\x09\x21\xfb\x54\x44\x2d\x18", math.pi),
    (b"D\x02\xff\xff\xcf\xc7", decimal.Decimal("-123.45")),
    (b"D\x00\x00\x00\x00\x07", decimal.Decimal(7)),
    (b"S\x00\x00\x00\x05h\xc3\xa9!!", "hé!!"),
    (b"S\x00\x00\x00\x02\xff\xfe", b"\xff\xfe"),  # not UTF-8: handed over as bytes
    (b"x\x00\x00\x00\x03a\x00b", b"a\x00b"),
    (b"A\x00\x00\x00\x00", []),
    (b"A\x00\x00\x00\x07b\x01S\x00\x00\x00\x00", [1, ""]),
    (b"T\x00\x00\x00\x00\x65\x92\x00\x80", datetime.datetime(2024, 1, 1, tzinfo=UTC)),
    (b"F\x00\x00\x00\x00", {}),
    (b"F\x00\x00\x00\x03\x01aV", {"a": None}),
    (b"V", None),
]


@pytest.mark.parametrize(("encoded", "expected"), TAGGED_VALUES, ids=lambda v: repr(v)[:30])
def test_every_rabbitmq_tag_decodes(encoded: bytes, expected: object) -> None:
    entry = b"\x03key" + encoded
    table = struct.pack(">I", len(entry)) + entry
    decoded, end = decode_table(table)
    assert end == len(table)
    assert decoded == {"key": expected}
    assert type(decoded["key"]) is type(expected)
    # The same value as the only element of an array.
    array = struct.pack(">I", len(encoded)) + encoded
    assert decode_array(array) == ([expected], len(array))


def test_tags_cover_rabbitmq_list() -> None:
    assert {encoded[:1] for encoded, _ in TAGGED_VALUES} == {bytes([tag]) for tag in b"tbBsuIilfdDSxATFV"}


# -- whole frames ---------------------------------------------------------------


@settings(max_examples=200)
@given(frames())
def test_frames_round_trip(frame: Frame) -> None:
    assert FrameDecoder(frame_max=0).feed(encode_frame(frame)) == [frame]


@settings(max_examples=100)
@given(st.lists(frames(), max_size=6), st.data())
def test_frame_streams_round_trip_in_any_chunks(stream: list[Frame], data: st.DataObject) -> None:
    blob = b"".join(encode_frame(frame) for frame in stream)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(blob)), max_size=10)))
    decoder = FrameDecoder(frame_max=0)
    decoded: list[Frame] = []
    for start, end in zip([0, *cuts], [*cuts, len(blob)], strict=True):
        decoded += decoder.feed(blob[start:end])
    assert decoded == stream
    assert decoder.buffered == 0


# -- content: method, header, body frames ----------------------------------------


@settings(max_examples=100)
@given(
    st.sampled_from([cls for cls in ALL_METHODS if cls.HAS_CONTENT]).flatmap(instances_of),
    properties(),
    st.binary(max_size=20_000),
    st.sampled_from([0, 4096, 4097, 5000, 131072]),
)
def test_content_frames_round_trip(
    method: Method, props: BasicProperties, body: bytes, frame_max: int
) -> None:
    parts = encode_content_frames(7, method, props, body, frame_max)
    frames = FrameDecoder(frame_max=frame_max).feed(b"".join(parts))
    assert frames[:2] == [MethodFrame(7, method), ContentHeaderFrame(7, len(body), props)]
    bodies = frames[2:]
    assert all(isinstance(frame, ContentBodyFrame) and frame.channel == 7 for frame in bodies)
    assert b"".join(frame.payload for frame in bodies if isinstance(frame, ContentBodyFrame)) == body
    # As few body frames as frame_max allows, none for an empty body.
    room = frame_max - 8 if frame_max else len(body) or 1
    assert len(bodies) == -(-len(body) // room)


@pytest.mark.parametrize(
    "body",
    [
        memoryview(array.array("I", range(1000))),  # 4-byte items: len() counts 1000, the bytes are 4000
        memoryview(bytes(range(200)))[::2],  # not contiguous
        memoryview(bytes(range(256)) * 40).cast("B", (40, 256)),  # two dimensions
        bytearray(b"mutable"),
    ],
    ids=["wide-items", "strided", "2d", "bytearray"],
)
def test_content_frames_count_body_bytes(body: memoryview | bytearray) -> None:
    expected = bytes(body) if isinstance(body, bytearray) else body.tobytes()
    for frame_max in (0, 4096):
        frames = FrameDecoder(frame_max=0).feed(
            b"".join(encode_content_frames(1, BasicPublish(), BasicProperties(), body, frame_max))
        )
        assert frames[1] == ContentHeaderFrame(1, len(expected), BasicProperties())
        assert (
            b"".join(frame.payload for frame in frames[2:] if isinstance(frame, ContentBodyFrame)) == expected
        )


def test_large_bodies_are_not_copied() -> None:
    body = bytes(100_000)
    one_frame = encode_content_frames(1, BasicPublish(), BasicProperties(), body, 131072)
    assert one_frame[1] is body
    many_frames = encode_content_frames(1, BasicPublish(), BasicProperties(), body, 4096)
    slices = [part for part in many_frames if isinstance(part, memoryview)]
    assert len(slices) == 25
    assert all(part.obj is body for part in slices)


def test_small_bodies_come_as_one_buffer() -> None:
    parts = encode_content_frames(1, BasicPublish(), BasicProperties(app_id="a"), b"x" * 4096, 131072)
    assert len(parts) == 1
    assert isinstance(parts[0], bytes)
