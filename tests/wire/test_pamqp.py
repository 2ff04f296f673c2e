"""Differential tests against pamqp, used only as an oracle.

For every method both pamqp and amqproto know, what amqproto encodes pamqp
decodes to the same values, and what pamqp encodes amqproto decodes to the
same values.  The same for content properties, field tables and body frames.

Deliberate differences, each confined to the strategies below rather than
papered over in the comparisons:

- pamqp has no ``access.request``/``access.request-ok`` (deprecated, but
  RabbitMQ's spec still lists them), so those two are left out.
- pamqp's ``validate()`` enforces rules on *values* (``ticket`` must be 0,
  exchange names must match a pattern, ``delivery_mode`` must be 1 or 2,
  ``cluster_id`` must be empty...), not on the wire format.  The tests turn it
  off so that every value a field's wire type carries is compared.
- pamqp encodes a field-table ``float`` as ``f`` (32-bit) where amqproto
  uses ``d``; floats pamqp encodes are drawn from 32-bit ones.
- pamqp encodes ``bytearray`` (not ``bytes``) as ``x``, and decodes ``x`` to a
  ``bytearray``; it takes a long string only as ``str``.  Values are converted
  on the way in; ``bytearray == bytes`` on the way out.
- pamqp reads a timestamp past 2106 (more than 32 bits of seconds) as
  milliseconds, a heuristic of its own: timestamps stop at 2105.
- pamqp truncates field-table names to 128 bytes: names stop there.
- pamqp leaves out a property set to ``""`` (as if absent); amqproto sends a
  present, empty property (its flag set), as RabbitMQ does.
- pamqp reads and writes a ``longlong`` (delivery tags) as *signed* 64 bits;
  the spec's longlong is unsigned.  Longlongs stop at 2**63 - 1.
- pamqp reads an absent ``cluster_id`` as ``""`` (its default) rather than
  ``None``.
- pamqp names ``exchange.declare``'s ``type`` ``exchange_type`` and the
  ``type`` property ``message_type``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pamqp import body as pamqp_body
from pamqp import commands as pamqp_commands
from pamqp import decode as pamqp_decode
from pamqp import encode as pamqp_encode
from pamqp import frame as pamqp_frame
from pamqp import header as pamqp_header
from pamqp import heartbeat as pamqp_heartbeat

from amqproto.schema import AccessRequest, AccessRequestOk, BasicAck, BasicProperties, FieldValue, Method
from amqproto.wire import (
    ContentBodyFrame,
    ContentHeaderFrame,
    FrameDecoder,
    HeartbeatFrame,
    MethodFrame,
    decode_table,
    encode_frame,
    encode_table,
)
from amqproto.wire._introspect import fields_of

from .strategies import ALL_METHODS, channels, field_scalars, field_tables, instances_of

#: Our field name -> pamqp's, where they differ.
METHOD_NAMES = {"type": "exchange_type"}
PROPERTY_NAMES = {"type": "message_type"}
#: What pamqp reads for an absent property, where it is not None.
PAMQP_ABSENT = {"cluster_id": ""}

PAMQP_METHODS = [cls for cls in ALL_METHODS if cls not in (AccessRequest, AccessRequestOk)]


def pamqp_class(cls: type[Method]) -> Any:
    return pamqp_commands.INDEX_MAPPING[cls.CLASS_ID << 16 | cls.METHOD_ID]


# -- values both sides agree on -----------------------------------------------


def agreed_tables() -> st.SearchStrategy[dict[str, FieldValue]]:
    """Tables amqproto encodes and pamqp decodes to the same values."""
    return field_tables(field_scalars(max_year=2105), max_key_bytes=128)


def pamqp_encodable_tables() -> st.SearchStrategy[dict[str, FieldValue]]:
    """Tables pamqp encodes without loss: 32-bit floats, and the rest as above."""
    return field_tables(
        field_scalars(floats=st.floats(width=32, allow_nan=False, allow_infinity=False), max_year=2105),
        max_key_bytes=128,
    )


#: The longlongs pamqp handles (it reads them as signed).
signed_longlongs = st.integers(0, 2**63 - 1)

#: Long strings typed ``bytes`` that pamqp can encode (it wants ``str``).
utf8_bytes = st.text(max_size=100).map(str.encode)


def to_pamqp(value: Any) -> Any:
    """A value as pamqp's encoder wants it: ``bytes`` as ``bytearray``, recursively."""
    if isinstance(value, bytes):
        return bytearray(value)
    if isinstance(value, dict):
        return {key: to_pamqp(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_pamqp(item) for item in value]
    return value


def _no_validation(self: object) -> None:
    return None


@contextmanager
def pamqp_validation_off(cls: Any) -> Iterator[None]:
    with mock.patch.object(cls, "validate", _no_validation):
        yield


# -- methods --------------------------------------------------------------------


# pamqp warns when it builds basic.recover-async, deprecated by the spec.
@pytest.mark.filterwarnings("ignore:This command is deprecated in AMQP 0-9-1:DeprecationWarning")
@pytest.mark.parametrize("cls", PAMQP_METHODS, ids=lambda cls: cls.NAME)
@settings(max_examples=15)
@given(data=st.data())
def test_pamqp_decodes_what_we_encode(cls: type[Method], data: st.DataObject) -> None:
    method = data.draw(instances_of(cls, tables=agreed_tables, longlong=signed_longlongs))
    channel = data.draw(channels)
    encoded = encode_frame(MethodFrame(channel, method))
    consumed, pamqp_channel, decoded = pamqp_frame.unmarshal(encoded)
    assert (consumed, pamqp_channel) == (len(encoded), channel)
    assert isinstance(decoded, pamqp_class(cls))
    for spec in fields_of(cls):
        theirs = getattr(decoded, METHOD_NAMES.get(spec.name, spec.name))
        if spec.python_type is bytes and isinstance(theirs, str):
            theirs = theirs.encode()  # pamqp hands out UTF-8 long strings as str
        assert theirs == getattr(method, spec.name), spec.name


@pytest.mark.filterwarnings("ignore:This command is deprecated in AMQP 0-9-1:DeprecationWarning")
@pytest.mark.parametrize("cls", PAMQP_METHODS, ids=lambda cls: cls.NAME)
@settings(max_examples=15)
@given(data=st.data())
def test_we_decode_what_pamqp_encodes(cls: type[Method], data: st.DataObject) -> None:
    method = data.draw(
        instances_of(cls, tables=pamqp_encodable_tables, binary=utf8_bytes, longlong=signed_longlongs)
    )
    channel = data.draw(channels)
    theirs = pamqp_class(cls).__new__(pamqp_class(cls))
    for spec in fields_of(cls):
        value = getattr(method, spec.name)
        if spec.python_type is bytes:
            value = value.decode()  # pamqp encodes long strings from str only
        setattr(theirs, METHOD_NAMES.get(spec.name, spec.name), to_pamqp(value))
    with pamqp_validation_off(pamqp_class(cls)):
        encoded = pamqp_frame.marshal(theirs, channel)
    assert FrameDecoder(frame_max=0).feed(encoded) == [MethodFrame(channel, method)]


# -- content headers ------------------------------------------------------------


def pamqp_properties(props: BasicProperties) -> Any:
    theirs = pamqp_commands.Basic.Properties.__new__(pamqp_commands.Basic.Properties)
    for spec in fields_of(BasicProperties):
        setattr(theirs, PROPERTY_NAMES.get(spec.name, spec.name), to_pamqp(getattr(props, spec.name)))
    return theirs


@settings(max_examples=150)
@given(
    instances_of(BasicProperties, tables=agreed_tables, max_year=2105), channels, st.integers(0, 2**64 - 1)
)
def test_pamqp_decodes_our_content_headers(props: BasicProperties, channel: int, body_size: int) -> None:
    encoded = encode_frame(ContentHeaderFrame(channel, body_size, props))
    consumed, pamqp_channel, decoded = pamqp_frame.unmarshal(encoded)
    assert (consumed, pamqp_channel) == (len(encoded), channel)
    assert isinstance(decoded, pamqp_header.ContentHeader)
    assert decoded.body_size == body_size
    for spec in fields_of(BasicProperties):
        ours = getattr(props, spec.name)
        expected = PAMQP_ABSENT.get(spec.name) if ours is None else ours
        assert getattr(decoded.properties, PROPERTY_NAMES.get(spec.name, spec.name)) == expected, spec.name


def _nonempty_properties() -> st.SearchStrategy[BasicProperties]:
    # pamqp drops "" properties, so "" is drawn only in the test below.
    return instances_of(BasicProperties, tables=pamqp_encodable_tables, max_year=2105).filter(
        lambda props: "" not in (getattr(props, spec.name) for spec in fields_of(BasicProperties))
    )


@settings(max_examples=150)
@given(_nonempty_properties(), channels, st.integers(0, 2**64 - 1))
def test_we_decode_pamqp_content_headers(props: BasicProperties, channel: int, body_size: int) -> None:
    theirs = pamqp_header.ContentHeader(body_size=body_size, properties=pamqp_properties(props))
    with pamqp_validation_off(pamqp_commands.Basic.Properties):
        encoded = pamqp_frame.marshal(theirs, channel)
    assert FrameDecoder(frame_max=0).feed(encoded) == [ContentHeaderFrame(channel, body_size, props)]


def test_pamqp_leaves_out_empty_string_properties() -> None:
    # The one place pamqp and the spec part: "" is a present, empty property.
    props = BasicProperties(content_type="", app_id="app")
    theirs = pamqp_header.ContentHeader(body_size=0, properties=pamqp_properties(props))
    with pamqp_validation_off(pamqp_commands.Basic.Properties):
        encoded = pamqp_frame.marshal(theirs, 1)
    assert FrameDecoder().feed(encoded) == [ContentHeaderFrame(1, 0, BasicProperties(app_id="app"))]
    # Ours keeps it, and pamqp reads it back as "".
    _, _, decoded = pamqp_frame.unmarshal(encode_frame(ContentHeaderFrame(1, 0, props)))
    assert isinstance(decoded, pamqp_header.ContentHeader)
    assert decoded.properties.content_type == ""


# -- tables, bodies, heartbeats ---------------------------------------------------


@settings(max_examples=200)
@given(agreed_tables())
def test_pamqp_decodes_our_tables(table: dict[str, FieldValue]) -> None:
    encoded = encode_table(table)
    assert pamqp_decode.field_table(encoded) == (len(encoded), table)


@settings(max_examples=200)
@given(pamqp_encodable_tables())
def test_we_decode_pamqp_tables(table: dict[str, FieldValue]) -> None:
    # pamqp picks the smallest integer tag (b, s, u, I, i, l) and f for floats,
    # so this also covers readers our own encoder never exercises.
    encoded = pamqp_encode.field_table(to_pamqp(table))
    assert decode_table(encoded) == (table, len(encoded))


def test_pamqp_reads_late_timestamps_as_milliseconds() -> None:
    # Documents why timestamps stop at 2105 above: pamqp's heuristic, not ours.
    late = datetime.datetime(2200, 1, 1, tzinfo=datetime.UTC)
    encoded = encode_table({"t": late})
    assert decode_table(encoded)[0] == {"t": late}
    assert pamqp_decode.field_table(encoded)[1] != {"t": late}


@settings(max_examples=50)
@given(channels, st.binary(max_size=300))
def test_body_frames_agree(channel: int, payload: bytes) -> None:
    ours = encode_frame(ContentBodyFrame(channel, payload))
    theirs = pamqp_frame.marshal(pamqp_body.ContentBody(payload), channel)
    assert ours == theirs
    assert FrameDecoder(frame_max=0).feed(theirs) == [ContentBodyFrame(channel, payload)]


def test_heartbeats_agree() -> None:
    theirs = pamqp_frame.marshal(pamqp_heartbeat.Heartbeat(), 0)
    assert encode_frame(HeartbeatFrame()) == theirs
    assert FrameDecoder().feed(theirs) == [HeartbeatFrame()]


def test_pamqp_reads_longlongs_as_signed() -> None:
    # Documents why longlongs stop at 2**63 - 1 above.
    encoded = encode_frame(MethodFrame(1, BasicAck(delivery_tag=2**64 - 1)))
    _, _, decoded = pamqp_frame.unmarshal(encoded)
    assert isinstance(decoded, pamqp_commands.Basic.Ack)
    assert decoded.delivery_tag == -1
    assert FrameDecoder().feed(encoded) == [MethodFrame(1, BasicAck(delivery_tag=2**64 - 1))]
