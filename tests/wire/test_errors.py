"""Errors: malformed input raises the AMQP error (and reply code) the spec names;
values that cannot go on the wire raise EncodeError/EncodeTypeError naming the field.
"""

from __future__ import annotations

import datetime
import decimal
import struct

import pytest

from amqproto.exceptions import (
    AMQPError,
    AMQPNotImplemented,
    AMQPSyntaxError,
    CommandInvalid,
    EncodeError,
    EncodeTypeError,
    FrameError,
)
from amqproto.schema import (
    BasicProperties,
    BasicPublish,
    ChannelOpenOk,
    ConnectionStart,
    QueueDeclare,
)
from amqproto.wire import (
    ContentBodyFrame,
    ContentHeaderFrame,
    FrameDecoder,
    HeartbeatFrame,
    MethodFrame,
    decode_method,
    decode_table,
    encode_array,
    encode_content_frames,
    encode_frame,
    encode_properties,
    encode_table,
)

HEARTBEAT = encode_frame(HeartbeatFrame())
BODY = encode_frame(ContentBodyFrame(1, b"abc"))


def method_frame(payload: bytes, channel: int = 1) -> bytes:
    return struct.pack(">BHI", 1, channel, len(payload)) + payload + b"\xce"


# -- framing: 501 -----------------------------------------------------------------


def test_unknown_frame_type() -> None:
    with pytest.raises(FrameError, match="unknown frame type 7") as excinfo:
        FrameDecoder().feed(b"\x07\x00\x00\x00\x00\x00\x00\xce")
    assert excinfo.value.reply_code == 501


def test_unknown_frame_type_is_refused_before_its_payload_arrives() -> None:
    with pytest.raises(FrameError, match="unknown frame type 9") as excinfo:
        FrameDecoder().feed(b"\x09\x00\x00\x00\x00\x01\x00")
    assert excinfo.value.reply_code == 501


def test_wrong_frame_end_octet() -> None:
    with pytest.raises(FrameError, match="frame ends with 0x00, not the frame-end octet 0xce") as excinfo:
        FrameDecoder().feed(BODY[:-1] + b"\x00")
    assert excinfo.value.reply_code == 501


def test_size_past_the_data_meets_the_next_frame_instead_of_a_frame_end() -> None:
    # A body frame claiming 5 bytes but carrying 3: the octet where its frame
    # end should be belongs to the heartbeat that follows.
    lying = b"\x03\x00\x01\x00\x00\x00\x05abc\xce"
    decoder = FrameDecoder()
    assert decoder.feed(lying) == []  # it may still be coming
    with pytest.raises(FrameError, match="not the frame-end octet") as excinfo:
        decoder.feed(HEARTBEAT)
    assert excinfo.value.reply_code == 501


def test_frame_over_frame_max_is_refused_from_its_header() -> None:
    decoder = FrameDecoder(frame_max=4096)
    with pytest.raises(FrameError, match="frame of 4097 bytes exceeds frame_max 4096") as excinfo:
        decoder.feed(struct.pack(">BHI", 3, 1, 4089))  # no payload needed to know
    assert excinfo.value.reply_code == 501


def test_frame_of_exactly_frame_max_is_accepted() -> None:
    frame = ContentBodyFrame(1, bytes(4088))
    assert FrameDecoder(frame_max=4096).feed(encode_frame(frame)) == [frame]


def test_frame_max_can_be_raised_after_tuning() -> None:
    frame = ContentBodyFrame(1, bytes(10_000))
    decoder = FrameDecoder()
    decoder.frame_max = 131072
    assert decoder.feed(encode_frame(frame)) == [frame]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x08\x00\x00\x00\x00\x00\x01x\xce", "heartbeat frames must be empty"),
        (b"\x08\x00\x05\x00\x00\x00\x00\xce", "and on channel 0"),
    ],
)
def test_heartbeat_with_payload_or_channel(data: bytes, message: str) -> None:
    with pytest.raises(FrameError, match=message) as excinfo:
        FrameDecoder().feed(data)
    assert excinfo.value.reply_code == 501


def test_malformed_protocol_header() -> None:
    with pytest.raises(FrameError, match="malformed protocol header") as excinfo:
        FrameDecoder().feed(b"AMQX\x00\x00\x09\x01")
    assert excinfo.value.reply_code == 501


def test_our_own_protocol_header_back_is_not_implemented() -> None:
    with pytest.raises(AMQPNotImplemented, match="protocol header instead of frames") as excinfo:
        FrameDecoder().feed(b"AMQP\x00\x00\x09\x01")
    assert excinfo.value.reply_code == 540


# -- methods: 503 and 502 ---------------------------------------------------------


@pytest.mark.parametrize(("class_id", "method_id"), [(60, 999), (999, 10), (0, 0)])
def test_unknown_method(class_id: int, method_id: int) -> None:
    data = method_frame(struct.pack(">HH", class_id, method_id))
    with pytest.raises(
        CommandInvalid, match=f"unknown method: class {class_id}, method {method_id}"
    ) as excinfo:
        FrameDecoder().feed(data)
    assert excinfo.value.reply_code == 503
    assert (excinfo.value.class_id, excinfo.value.method_id) == (class_id, method_id)


def test_method_frame_shorter_than_its_ids() -> None:
    with pytest.raises(AMQPSyntaxError, match="shorter than its class and method ids") as excinfo:
        FrameDecoder().feed(method_frame(b"\x00\x3c"))
    assert excinfo.value.reply_code == 502


def test_truncated_arguments() -> None:
    payload = encode_frame(MethodFrame(1, QueueDeclare(queue="orders")))[7:-1]
    with pytest.raises(AMQPSyntaxError, match=r"queue\.declare") as excinfo:
        FrameDecoder().feed(method_frame(payload[:-3]))
    assert excinfo.value.reply_code == 502
    assert (excinfo.value.class_id, excinfo.value.method_id) == (50, 10)


def test_arguments_longer_than_the_method() -> None:
    payload = encode_frame(MethodFrame(1, QueueDeclare(queue="orders")))[7:-1]
    with pytest.raises(AMQPSyntaxError, match=r"queue\.declare: arguments end at") as excinfo:
        FrameDecoder().feed(method_frame(payload + b"\x00"))
    assert excinfo.value.reply_code == 502


def test_invalid_utf8_in_a_short_string() -> None:
    # queue.declare: ticket, then the queue name "\xff\xfe".
    payload = b"\x00\x32\x00\x0a" + b"\x00\x00" + b"\x02\xff\xfe" + b"\x00" + b"\x00\x00\x00\x00"
    with pytest.raises(
        AMQPSyntaxError, match=r"malformed queue\.declare: 'utf-8' codec can't decode"
    ) as excinfo:
        FrameDecoder().feed(method_frame(payload))
    assert excinfo.value.reply_code == 502


def test_invalid_utf8_through_decode_method() -> None:
    payload = b"\x00\x32\x00\x0a" + b"\x00\x00" + b"\x02\xff\xfe" + b"\x00" + b"\x00\x00\x00\x00"
    with pytest.raises(AMQPSyntaxError, match=r"malformed queue\.declare") as excinfo:
        decode_method(memoryview(payload))
    assert excinfo.value.reply_code == 502


def test_binary_long_strings_are_not_decoded_as_text() -> None:
    # channel.open-ok's channel-id is a binary long string: any octets are fine.
    frame = MethodFrame(1, ChannelOpenOk(channel_id=b"\xff\xfe"))
    assert FrameDecoder().feed(encode_frame(frame)) == [frame]


# -- tables: 502 --------------------------------------------------------------------


def test_bad_table_tag() -> None:
    table = b"\x00\x00\x00\x03\x01kZ"
    with pytest.raises(AMQPSyntaxError, match="unknown field-table value tag 'Z'") as excinfo:
        decode_table(table)
    assert excinfo.value.reply_code == 502


def test_bad_table_tag_in_a_frame() -> None:
    table = b"\x00\x00\x00\x03\x01kZ"
    start = ConnectionStart  # octet, octet, table, longstr, longstr
    payload = struct.pack(">HHBB", start.CLASS_ID, start.METHOD_ID, 0, 9) + table + bytes(8)
    with pytest.raises(AMQPSyntaxError, match="unknown field-table value tag 'Z'") as excinfo:
        FrameDecoder().feed(method_frame(payload, channel=0))
    assert excinfo.value.reply_code == 502


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (b"\x00\x00\x00\x20\x01kS\x00\x00\x00\x02ab", "field table of 32 bytes overruns its frame"),
        (b"\x00\x00\x00\x09\x01kS\x00\x00\x00\x09ab", "value overruns the table's size"),
        (b"\x00\x00\x00\x04\x01kI\x00", "malformed field table"),
        (b"\x00\x00\x00\x05\x01kS\x00\x00", "malformed field table"),
        (b"\x00\x00\x00\x03\x02\xff\xfe", "malformed field table"),  # name: bad UTF-8
        (b"\x00\x00\x00\x03\x01kI\x00\x00\x00\x00", "value overruns the table's size"),
        (b"\x00\x00\x00\x0b\x01kT\xff\xff\xff\xff\xff\xff\xff\xff", "timestamp .* is out of range"),
    ],
)
def test_malformed_tables(table: bytes, message: str) -> None:
    with pytest.raises(AMQPSyntaxError, match=message) as excinfo:
        decode_table(table)
    assert excinfo.value.reply_code == 502


# -- content headers: 502 -------------------------------------------------------------


def header_frame(payload: bytes) -> bytes:
    return struct.pack(">BHI", 2, 1, len(payload)) + payload + b"\xce"


def test_content_header_of_another_class() -> None:
    with pytest.raises(AMQPSyntaxError, match="content header of class 50") as excinfo:
        FrameDecoder().feed(header_frame(struct.pack(">HHQH", 50, 0, 0, 0)))
    assert excinfo.value.reply_code == 502


def test_property_flags_beyond_basic() -> None:
    with pytest.raises(AMQPSyntaxError, match="property flags 0x0001 beyond") as excinfo:
        FrameDecoder().feed(header_frame(struct.pack(">HHQH", 60, 0, 0, 1)))
    assert excinfo.value.reply_code == 502


def test_properties_that_overrun_their_frame() -> None:
    # content-type present, length 9, but only 2 octets follow: the decoder
    # reads no further than its own frame, so the string ends short of 9 octets.
    with pytest.raises(AMQPSyntaxError, match="content properties end at 24, the frame at 17") as excinfo:
        FrameDecoder().feed(header_frame(struct.pack(">HHQH", 60, 0, 0, 0x8000) + b"\x09ab") + HEARTBEAT)
    assert excinfo.value.reply_code == 502


def test_properties_that_stop_short_of_their_frame() -> None:
    with pytest.raises(AMQPSyntaxError, match="content properties end at 24, the frame at 25") as excinfo:
        FrameDecoder().feed(header_frame(struct.pack(">HHQH", 60, 0, 0, 0x8000) + b"\x09text/html" + b"!"))
    assert excinfo.value.reply_code == 502


def test_content_header_too_short() -> None:
    with pytest.raises(AMQPSyntaxError, match="content header frame is too short") as excinfo:
        FrameDecoder().feed(header_frame(b"\x00\x3c"))
    assert excinfo.value.reply_code == 502


# -- the decoder after an error --------------------------------------------------------


def test_frames_before_a_malformed_one_are_returned_and_the_error_raised_next() -> None:
    decoder = FrameDecoder()
    good = [HeartbeatFrame(), ContentBodyFrame(1, b"abc")]
    assert decoder.feed(HEARTBEAT + BODY + b"\x07\x00\x00\x00\x00\x00\x00\xce") == good
    assert isinstance(decoder.error, FrameError)
    with pytest.raises(FrameError, match="unknown frame type 7") as excinfo:
        decoder.feed(HEARTBEAT)
    assert excinfo.value is decoder.error
    assert decoder.buffered == 0


def test_a_broken_decoder_stays_broken() -> None:
    decoder = FrameDecoder()
    with pytest.raises(FrameError, match="unknown frame type 7"):
        decoder.feed(b"\x07\x00\x00\x00\x00\x00\x00\xce")
    with pytest.raises(FrameError, match="unknown frame type 7"):
        decoder.feed(b"")


# -- encoding: EncodeError / EncodeTypeError naming the field --------------------------


def test_encode_errors_are_value_and_type_errors() -> None:
    assert issubclass(EncodeError, ValueError)
    assert issubclass(EncodeError, AMQPError)
    assert issubclass(EncodeTypeError, TypeError)
    assert issubclass(EncodeTypeError, EncodeError)


def test_short_string_over_255_bytes() -> None:
    with pytest.raises(
        EncodeError, match=r"queue\.declare\.queue is 256 bytes long; a shortstr holds at most 255"
    ):
        encode_frame(MethodFrame(1, QueueDeclare(queue="é" * 128)))


def test_short_string_property_over_255_bytes() -> None:
    with pytest.raises(EncodeError, match=r"BasicProperties\.app_id is 300 bytes long"):
        encode_properties(BasicProperties(app_id="x" * 300))


@pytest.mark.parametrize(("value", "shown"), [(70000, "70000"), (-1, "-1")])
def test_int_out_of_range(value: int, shown: str) -> None:
    with pytest.raises(
        EncodeError, match=rf"queue\.declare\.ticket = {shown} is out of range for a short \(0\.\.65535\)"
    ):
        encode_frame(MethodFrame(1, QueueDeclare(ticket=value)))


def test_octet_property_out_of_range() -> None:
    with pytest.raises(EncodeError, match=r"BasicProperties\.priority = 256 is out of range for an octet"):
        encode_properties(BasicProperties(priority=256))


def test_wrong_type_for_an_int() -> None:
    with pytest.raises(EncodeTypeError, match=r"queue\.declare\.ticket must be an int, got str"):
        encode_frame(MethodFrame(1, QueueDeclare(ticket="1")))  # type: ignore[arg-type]


def test_surrogate_in_a_short_string() -> None:
    with pytest.raises(EncodeError, match=r"queue\.declare\.queue is not encodable as UTF-8"):
        encode_frame(MethodFrame(1, QueueDeclare(queue="\ud800")))


def test_timestamp_before_the_epoch() -> None:
    before = datetime.datetime(1960, 1, 1, tzinfo=datetime.UTC)
    with pytest.raises(
        EncodeError, match=r"BasicProperties\.timestamp = 1960-01-01 .* is before the Unix epoch"
    ):
        encode_properties(BasicProperties(timestamp=before))


def test_channel_out_of_range() -> None:
    with pytest.raises(EncodeError, match="channel 70000 is out of range"):
        encode_frame(MethodFrame(70000, QueueDeclare()))


def test_not_a_method() -> None:
    with pytest.raises(EncodeTypeError, match="str is not an AMQP method"):
        encode_frame(MethodFrame(1, "queue.declare"))  # type: ignore[arg-type]


def test_not_a_frame() -> None:
    with pytest.raises(EncodeTypeError, match="not a frame"):
        encode_frame("heartbeat")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            {"x": {1, 2}},
            EncodeTypeError,
            r"queue\.declare\.arguments\['x'\]: cannot put a set in a field table",
        ),
        ({"a": {"b": [1, object()]}}, EncodeTypeError, r"arguments\['a'\]\['b'\]\[1\]: cannot put a object"),
        ({"x": 2**64}, EncodeError, r"arguments\['x'\]: integer 18446744073709551616 does not fit"),
        ({"x": "\ud800"}, EncodeError, r"arguments\['x'\]: the string is not UTF-8 encodable"),
        ({"\ud800": 1}, EncodeError, r"the name is not UTF-8 encodable"),
        ({"k" * 256: 1}, EncodeError, r"the name is 256 bytes long; at most 255 fit"),
        ({1: 1}, EncodeTypeError, r"queue\.declare\.arguments: field-table names must be str, got 1"),
        ({"x": decimal.Decimal("NaN")}, EncodeError, r"arguments\['x'\]: decimal NaN does not fit"),
        ({"x": decimal.Decimal("1E+20")}, EncodeError, r"decimal 1E\+20 does not fit"),
        (
            {"x": datetime.datetime(1960, 1, 1)},
            EncodeError,
            r"arguments\['x'\]: timestamp 1960-01-01 00:00:00 is before the Unix epoch",
        ),
    ],
)
def test_unsupported_table_values_name_their_path(
    arguments: dict[object, object], error: type[EncodeError], message: str
) -> None:
    with pytest.raises(error, match=message):
        encode_frame(MethodFrame(1, QueueDeclare(arguments=arguments)))  # type: ignore[arg-type]


def test_table_that_contains_itself() -> None:
    table: dict[str, object] = {}
    table["self"] = table
    with pytest.raises(EncodeError, match=r"field table\['self'\]: a field table or array contains itself"):
        encode_table(table)  # type: ignore[arg-type]


def test_array_errors_name_the_index() -> None:
    with pytest.raises(EncodeTypeError, match=r"field array\[2\]: cannot put a set"):
        encode_array([1, "x", {3}])  # type: ignore[list-item]


def test_table_that_is_not_a_mapping() -> None:
    with pytest.raises(EncodeTypeError, match=r"queue\.declare\.arguments must be a mapping, got list"):
        encode_frame(MethodFrame(1, QueueDeclare(arguments=[("x", 1)])))  # type: ignore[arg-type]


def test_headers_property_errors_name_the_property() -> None:
    with pytest.raises(EncodeTypeError, match=r"BasicProperties\.headers\['x'\]: cannot put a set"):
        encode_properties(BasicProperties(headers={"x": {1}}))  # type: ignore[dict-item]


def test_content_frames_name_the_bad_property() -> None:
    with pytest.raises(EncodeError, match=r"BasicProperties\.delivery_mode = 300 is out of range"):
        encode_content_frames(1, BasicPublish(), BasicProperties(delivery_mode=300), b"x", 4096)


def test_content_frames_name_the_bad_argument() -> None:
    with pytest.raises(EncodeError, match=r"basic\.publish\.exchange is 256 bytes long"):
        encode_content_frames(1, BasicPublish(exchange="x" * 256), BasicProperties(), b"x", 4096)


def test_content_frames_refuse_a_body_size_out_of_range_channel() -> None:
    with pytest.raises(EncodeError, match="channel 70000 is out of range"):
        encode_content_frames(70000, BasicPublish(), BasicProperties(), b"x", 4096)


def test_header_frame_body_size_out_of_range() -> None:
    with pytest.raises(EncodeError, match="body size -1 is out of range"):
        encode_frame(ContentHeaderFrame(1, -1, BasicProperties()))


# -- floats RabbitMQ cannot take: refused here, naming the field ---------------------

NOT_FINITE = [float("nan"), float("inf"), float("-inf")]


@pytest.mark.parametrize("value", NOT_FINITE, ids=repr)
def test_non_finite_floats_in_arguments_are_refused_naming_the_entry(value: float) -> None:
    # RabbitMQ closes the whole connection with 541 on them.
    message = rf"queue\.declare\.arguments\['x-f'\]\[1\]: float {value} cannot be sent"
    with pytest.raises(EncodeError, match=message):
        encode_frame(MethodFrame(1, QueueDeclare(arguments={"x-f": [1.5, value]})))


@pytest.mark.parametrize("value", NOT_FINITE, ids=repr)
def test_non_finite_floats_in_headers_are_refused_on_every_path(value: float) -> None:
    from amqproto.wire.publish import encode_publish_content, encode_publish_method

    properties = BasicProperties(headers={"n": {"deep": value}})
    message = rf"BasicProperties\.headers\['n'\]\['deep'\]: float {value} cannot be sent"
    with pytest.raises(EncodeError, match=message):
        encode_properties(properties)
    with pytest.raises(EncodeError, match=message):
        encode_content_frames(1, BasicPublish(), properties, b"x", 4096)  # the one-buffer fast path
    with pytest.raises(EncodeError, match=message):
        encode_content_frames(1, BasicPublish(), properties, b"x" * 9000, 4096)  # the general path
    with pytest.raises(EncodeError, match=message):
        encode_publish_content([], 1, encode_publish_method(1, "", "q", False, False), properties, b"x", 4096)
    with pytest.raises(EncodeError, match=rf"field table\['v'\]: float {value} cannot be sent"):
        encode_table({"v": value})
    with pytest.raises(EncodeError, match=rf"field array\[0\]: float {value} cannot be sent"):
        encode_array([value])


def test_finite_floats_still_encode() -> None:
    table = {"max": 1.7976931348623157e308, "tiny": 5e-324, "neg": -0.0}
    assert decode_table(encode_table(table))[0] == table
