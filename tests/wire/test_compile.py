"""The codec's compile step: annotations in, codecs out, bad annotations refused.

This module uses postponed annotations (``from __future__ import
annotations``) on purpose: every annotation below is a string until
:func:`~amqproto.wire._introspect.fields_of` resolves it, as the schema's
own modules are.  The classes are module-level because ``typing`` resolves
string annotations in the defining module's globals.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from typing import Annotated, ClassVar

import pytest

from amqproto.exceptions import AMQPSyntaxError
from amqproto.schema import (
    Bit,
    FieldTable,
    LongStr,
    Method,
    Octet,
    QueueDeclare,
    Short,
    ShortStr,
    Table,
    Timestamp,
)
from amqproto.schema.properties import BasicProperties
from amqproto.wire import codec
from amqproto.wire._introspect import fields_of


@dataclass(frozen=True, slots=True)
class Postponed(Method):
    """A throwaway method whose annotations are strings until resolved."""

    CLASS_ID: ClassVar[int] = 200
    METHOD_ID: ClassVar[int] = 1
    NAME: ClassVar[str] = "test.postponed"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True

    number: Annotated[int, Short] = 0
    name: Annotated[str, ShortStr] = ""
    first: Annotated[bool, Bit] = False
    second: Annotated[bool, Bit] = False
    blob: Annotated[bytes, LongStr] = b""
    table: Annotated[FieldTable, Table] = dataclasses.field(default_factory=dict)
    when: Annotated[datetime.datetime, Timestamp] = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True, slots=True)
class Unannotated(Method):
    CLASS_ID: ClassVar[int] = 200
    METHOD_ID: ClassVar[int] = 2
    NAME: ClassVar[str] = "test.unannotated"

    plain: int = 0


@dataclass(frozen=True, slots=True)
class TwoWireTypes(Method):
    CLASS_ID: ClassVar[int] = 200
    METHOD_ID: ClassVar[int] = 3
    NAME: ClassVar[str] = "test.two-wire-types"

    ambiguous: Annotated[int, Octet, Short] = 0


def test_postponed_annotations_resolve() -> None:
    assert [(spec.name, spec.wire, spec.python_type, spec.optional) for spec in fields_of(Postponed)] == [
        ("number", Short, int, False),
        ("name", ShortStr, str, False),
        ("first", Bit, bool, False),
        ("second", Bit, bool, False),
        ("blob", LongStr, bytes, False),
        # The same resolution of the recursive FieldTable alias as the schema's.
        ("table", Table, fields_of(QueueDeclare)[-1].python_type, False),
        ("when", Timestamp, datetime.datetime, False),
    ]


def test_postponed_annotations_compile_to_a_working_codec() -> None:
    encode, decode = codec._compile_method(Postponed)
    method = Postponed(
        number=7,
        name="n",
        second=True,
        blob=b"\x00\xff",
        table={"k": [1, "v"]},
        when=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
    )
    frame = encode(3, method)
    assert frame[:1] == b"\x01"
    assert frame[-1:] == b"\xce"
    assert frame[7:11] == b"\x00\xc8\x00\x01"
    assert decode(frame, 11, len(frame) - 1) == method


def test_a_field_without_a_wire_type_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match=r"Unannotated\.plain has no wire type"):
        codec._compile_method(Unannotated)


def test_a_field_with_two_wire_types_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match=r"TwoWireTypes\.ambiguous needs exactly one wire type"):
        fields_of(TwoWireTypes)


def test_compiled_decoder_checks_the_end() -> None:
    encode, decode = codec._compile_method(Postponed)
    frame = encode(0, Postponed())
    with pytest.raises(AMQPSyntaxError, match=r"test\.postponed: arguments end at"):
        decode(frame, 11, len(frame))


# -- the decoders' fast construction (the twins: see test_fast_paths) ----------------


def test_decoded_objects_are_plain_instances() -> None:
    from amqproto.wire import ContentHeaderFrame, FrameDecoder, encode_frame

    frame = ContentHeaderFrame(1, 3, BasicProperties(content_type="a", headers={"k": 1}))
    (decoded,) = FrameDecoder().feed(encode_frame(frame))
    assert type(decoded) is ContentHeaderFrame
    assert type(decoded.properties) is BasicProperties
    assert decoded == frame
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'body_size'"):
        decoded.body_size = 4  # type: ignore[misc]
