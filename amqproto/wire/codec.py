"""Compile the schema into ``struct``-based codecs, once, at import.

Theory of operation
-------------------
:func:`~amqproto.wire._introspect.fields_of` turns a schema class into a list
of ``(name, wire type, python type)``.  The compiler walks that list and lays
out the wire format as a sequence of *pieces*:

- runs of fixed-width fields (octet, short, long, longlong, timestamp),
  packed bits (up to eight per octet) and the length prefixes of strings and
  tables all merge into **one precomputed** ``struct.Struct``;
- the bytes of strings and tables sit between those structs.

From the pieces it writes the source of one encoder and one decoder per class
and ``exec``\\ s it, the way :mod:`dataclasses` writes ``__init__``: the hot
path then does no per-call lookups of types or names.  A method's encoder
produces the whole *frame* (frame header, class and method ids, arguments,
frame-end octet) in one concatenation, its size computed from the pieces.
Decoders read from any buffer at an offset with ``unpack_from`` and never
slice the input to move on.

Errors.  The fast encoder does not validate; when it fails (``struct.error``
for an out-of-range int, ``AttributeError`` for a wrong type, ...), a slow path
re-checks each field to raise :class:`~amqproto.exceptions.EncodeError` or
:class:`~amqproto.exceptions.EncodeTypeError` naming it.  Decoders raise
:class:`~amqproto.exceptions.AMQPSyntaxError` for malformed arguments and
:class:`~amqproto.exceptions.CommandInvalid` for unknown methods; nothing
else escapes.
"""

from __future__ import annotations

import datetime
import struct
from collections.abc import Callable, Mapping
from typing import Any

from ..exceptions import (
    AMQPError,
    AMQPSyntaxError,
    CommandInvalid,
    EncodeError,
    EncodeTypeError,
)
from ..schema.methods import METHODS, Method
from ..schema.properties import BasicProperties
from ..schema.types import (
    Bit,
    Long,
    LongLong,
    LongStr,
    Octet,
    Short,
    ShortStr,
    Table,
    Timestamp,
    WireType,
)
from ._introspect import FieldSpec, fields_of
from .table import datetime_to_timestamp, decode_table, encode_table, timestamp_to_datetime

__all__ = [
    "encode_method",
    "encode_method_frame",
    "decode_method",
    "encode_properties",
    "encode_header_frame",
    "decode_properties",
]

Buffer = bytes | bytearray | memoryview

_FIXED: dict[type[WireType], str] = {Octet: "B", Short: "H", Long: "I", LongLong: "Q", Timestamp: "Q"}

#: Struct of a frame header: type, channel, payload size.
FRAME_HEADER = struct.Struct(">BHI")
_FRAME_END = 0xCE


# -- layout -------------------------------------------------------------------


class _Layout:
    """Pieces of one wire layout, for the encoder and the decoder at once.

    ``fixed`` appends a struct item: its format, the expression that encodes
    it and the variable that receives it when decoding.  ``raw`` appends a
    variable-length run of bytes after the current struct.
    """

    def __init__(self) -> None:
        self.pieces: list[tuple[str, list[tuple[str, str, str]]] | tuple[str, str, str]] = []

    def fixed(self, fmt: str, encode_expr: str, decode_target: str) -> None:
        if self.pieces and self.pieces[-1][0] == "struct":
            self.pieces[-1][1].append((fmt, encode_expr, decode_target))  # type: ignore[union-attr]
        else:
            self.pieces.append(("struct", [(fmt, encode_expr, decode_target)]))

    def raw(self, encode_expr: str, decode_code: str) -> None:
        self.pieces.append(("raw", encode_expr, decode_code))


def _lay_out_arguments(specs: tuple[FieldSpec, ...], layout: _Layout) -> tuple[list[str], list[str], list[str]]:
    """Lay out a method's arguments.

    Returns the encoder's preparatory statements, the expressions of the
    variable-size parts' lengths, and the decoder's constructor arguments.
    """
    prepare: list[str] = []
    variable_sizes: list[str] = []
    constructor_args: list[str] = []
    index = 0
    while index < len(specs):
        spec = specs[index]
        var = f"_v{index}"
        if spec.wire is Bit:
            run: list[FieldSpec] = []
            while index < len(specs) and specs[index].wire is Bit and len(run) < 8:
                run.append(specs[index])
                index += 1
            bits_var = f"_bits{index}"
            layout.fixed(
                "B",
                " | ".join(f"({1 << k} if m.{s.name} else 0)" for k, s in enumerate(run)),
                bits_var,
            )
            constructor_args.extend(f"({bits_var} & {1 << k}) != 0" for k in range(len(run)))
            continue
        if spec.wire in _FIXED and spec.wire is not Timestamp:
            layout.fixed(_FIXED[spec.wire], f"m.{spec.name}", var)
            constructor_args.append(var)
        elif spec.wire is Timestamp:
            layout.fixed("Q", f"datetime_to_timestamp(m.{spec.name})", var)
            constructor_args.append(f"timestamp_to_datetime({var})")
        elif spec.wire is ShortStr or spec.wire is LongStr:
            length_fmt = "B" if spec.wire is ShortStr else "I"
            if spec.python_type is bytes:
                prepare.append(f"{var} = m.{spec.name}")
                decode = f"{var} = bytes(buf[off:off + _n{index}]); off += _n{index}"
            else:
                prepare.append(f"{var} = m.{spec.name}.encode()")
                decode = f"{var} = str(buf[off:off + _n{index}], 'utf-8'); off += _n{index}"
            layout.fixed(length_fmt, f"len({var})", f"_n{index}")
            layout.raw(var, decode)
            variable_sizes.append(f"len({var})")
            constructor_args.append(var)
        elif spec.wire is Table:
            prepare.append(f"{var} = encode_table(m.{spec.name})")
            layout.raw(var, f"{var}, off = decode_table(buf, off)")
            variable_sizes.append(f"len({var})")
            constructor_args.append(var)
        else:  # pragma: no cover - the schema uses only the types above
            msg = f"no codec for wire type {spec.wire.__name__} of field {spec.name}"
            raise TypeError(msg)
        index += 1
    return prepare, variable_sizes, constructor_args


def _struct_source(items: list[tuple[str, str, str]], name: str, namespace: dict[str, Any]) -> int:
    packer = struct.Struct(">" + "".join(fmt for fmt, _, _ in items))
    namespace[name] = packer
    return packer.size


def _compile_method(cls: type[Method]) -> tuple[Callable[..., bytes], Callable[..., Method]]:
    specs = fields_of(cls)
    layout = _Layout()
    # Frame header and method ids: the payload size is filled in at run time.
    layout.fixed("B", "1", "")
    layout.fixed("H", "channel", "")
    layout.fixed("I", "_size", "")
    layout.fixed("H", str(cls.CLASS_ID), "")
    layout.fixed("H", str(cls.METHOD_ID), "")
    prepare, variable_sizes, constructor_args = _lay_out_arguments(specs, layout)
    layout.fixed("B", str(_FRAME_END), "")

    namespace: dict[str, Any] = {
        "cls": cls,
        "encode_table": encode_table,
        "decode_table": decode_table,
        "datetime_to_timestamp": datetime_to_timestamp,
        "timestamp_to_datetime": timestamp_to_datetime,
        "AMQPSyntaxError": AMQPSyntaxError,
    }
    fixed_size = 0
    encode_parts: list[str] = []
    decode_lines: list[str] = []
    for number, piece in enumerate(layout.pieces):
        if piece[0] == "struct":
            items: list[tuple[str, str, str]] = piece[1]  # type: ignore[assignment]
            struct_name = f"_S{number}"
            fixed_size += _struct_source(items, struct_name, namespace)
            encode_parts.append(f"{struct_name}.pack({', '.join(expr for _, expr, _ in items)})")
            # The decoder starts after the method ids and stops before the frame end.
            payload_items = [item for item in items if item[2]]
            if payload_items:
                decode_struct = f"_D{number}"
                size = _struct_source(payload_items, decode_struct, namespace)
                targets = ", ".join(target for _, _, target in payload_items)
                if len(payload_items) == 1 and payload_items[0][0] == "B":
                    decode_lines.append(f"{targets} = buf[off]; off += 1")
                else:
                    decode_lines.append(f"{targets}, = {decode_struct}.unpack_from(buf, off); off += {size}")
        else:
            encode_parts.append(piece[1])  # type: ignore[arg-type]
            decode_lines.append(piece[2])  # type: ignore[misc]
    payload_size = fixed_size - FRAME_HEADER.size - 1
    size_expr = " + ".join([str(payload_size), *variable_sizes])
    encoder_source = "\n".join(
        [
            "def encode(channel, m):",
            *(f"    {line}" for line in prepare),
            f"    _size = {size_expr}",
            f"    return {' + '.join(encode_parts)}",
        ]
    )
    decoder_source = "\n".join(
        [
            "def decode(buf, off, end):",
            *(f"    {line}" for line in decode_lines),
            "    if off != end:",
            f"        raise AMQPSyntaxError('{cls.NAME}: arguments end at ' + str(off) + ', the frame at ' + str(end))",
            f"    return cls({', '.join(constructor_args)})",
        ]
    )
    exec(encoder_source, namespace)  # noqa: S102 - source built above from the schema
    exec(decoder_source, namespace)  # noqa: S102
    return namespace["encode"], namespace["decode"]


# -- validation (slow path, only after the fast encoder failed) --------------

_INT_WIRES = (Octet, Short, Long, LongLong)


def _check_value(owner: str, spec: FieldSpec, value: object) -> None:
    """Raise the error that explains why ``value`` cannot be encoded."""
    where = f"{owner}.{spec.name}"
    if value is None and spec.optional:
        return
    wire = spec.wire
    if wire is Bit:
        return
    if wire in _INT_WIRES:
        if not isinstance(value, int):
            msg = f"{where} must be an int, got {type(value).__name__}"
            raise EncodeTypeError(msg)
        if not wire.min_value <= value <= wire.max_value:
            msg = f"{where} = {value} is out of range for a {wire.name} ({wire.min_value}..{wire.max_value})"
            raise EncodeError(msg)
    elif wire is Timestamp:
        if not isinstance(value, datetime.datetime):
            msg = f"{where} must be a datetime, got {type(value).__name__}"
            raise EncodeTypeError(msg)
        if not 0 <= datetime_to_timestamp(value) <= wire.max_value:
            msg = f"{where} = {value} is before the Unix epoch"
            raise EncodeError(msg)
    elif wire is ShortStr or wire is LongStr:
        if spec.python_type is bytes:
            if not isinstance(value, bytes):
                msg = f"{where} must be bytes, got {type(value).__name__}"
                raise EncodeTypeError(msg)
            raw = value
        elif isinstance(value, str):
            try:
                raw = value.encode()
            except UnicodeEncodeError as exc:
                msg = f"{where} is not encodable as UTF-8: {exc}"
                raise EncodeError(msg) from None
        else:
            msg = f"{where} must be a str, got {type(value).__name__}"
            raise EncodeTypeError(msg)
        limit = 255 if wire is ShortStr else 0xFFFF_FFFF
        if len(raw) > limit:
            msg = f"{where} is {len(raw)} bytes long; a {wire.name} holds at most {limit}"
            raise EncodeError(msg)
    elif wire is Table:
        if not isinstance(value, Mapping):
            msg = f"{where} must be a mapping, got {type(value).__name__}"
            raise EncodeTypeError(msg)
        try:
            encode_table(value)
        except EncodeTypeError as exc:
            raise EncodeTypeError(f"{where}: {exc}") from None
        except EncodeError as exc:
            raise EncodeError(f"{where}: {exc}") from None


def _explain_failure(owner: str, obj: object, exc: Exception) -> EncodeError:
    for spec in fields_of(type(obj)):
        _check_value(owner, spec, getattr(obj, spec.name, None))
    if isinstance(exc, EncodeError):
        return exc
    return EncodeError(f"cannot encode {owner}: {exc}")


_ENCODE_FAILURES = (struct.error, AttributeError, TypeError, UnicodeEncodeError, OverflowError, ValueError)


# -- methods -----------------------------------------------------------------

_METHOD_ENCODERS: dict[type[Method], Callable[[int, Method], bytes]] = {}
_METHOD_DECODERS: dict[int, Callable[[Buffer, int, int], Method]] = {}
for _cls in METHODS.values():
    _encoder, _decoder = _compile_method(_cls)
    _METHOD_ENCODERS[_cls] = _encoder
    _METHOD_DECODERS[_cls.CLASS_ID << 16 | _cls.METHOD_ID] = _decoder
del _cls, _encoder, _decoder

_unpack_method_id = struct.Struct(">I").unpack_from


def encode_method_frame(channel: int, method: Method) -> bytes:
    """Encode a whole method frame: header, class and method ids, arguments, frame end.

    Raises:
        EncodeError: an argument is out of range or too long (names it).
        EncodeTypeError: an argument has the wrong type (names it).
    """
    try:
        encoder = _METHOD_ENCODERS[type(method)]
    except KeyError:
        msg = f"{type(method).__name__} is not an AMQP method"
        raise EncodeTypeError(msg) from None
    try:
        return encoder(channel, method)
    except _ENCODE_FAILURES as exc:
        if not 0 <= channel <= 0xFFFF:
            raise EncodeError(f"channel {channel} is out of range") from None
        raise _explain_failure(method.NAME, method, exc) from None
    except EncodeError as exc:
        raise _explain_failure(method.NAME, method, exc) from None


def encode_method(method: Method) -> bytes:
    """Encode a method's frame payload: class id, method id, then arguments."""
    return encode_method_frame(0, method)[FRAME_HEADER.size : -1]


def decode_method(buf: Buffer, offset: int = 0, end: int | None = None) -> Method:
    """Decode the method whose class id starts at ``offset`` and which ends at ``end``.

    Raises:
        CommandInvalid: the class and method ids name no method.
        AMQPSyntaxError: the arguments are malformed, truncated, or do not
            end exactly at ``end``.
    """
    if end is None:
        end = len(buf)
    try:
        (index,) = _unpack_method_id(buf, offset)
    except struct.error:
        raise AMQPSyntaxError("method frame is shorter than its class and method ids") from None
    decoder = _METHOD_DECODERS.get(index)
    if decoder is None:
        msg = f"unknown method: class {index >> 16}, method {index & 0xFFFF}"
        raise CommandInvalid(msg, index >> 16, index & 0xFFFF)
    try:
        return decoder(buf, offset + 4, end)
    except AMQPError:
        raise
    except (struct.error, IndexError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        name = METHODS[(index >> 16, index & 0xFFFF)].NAME
        raise AMQPSyntaxError(f"malformed {name}: {exc}", index >> 16, index & 0xFFFF) from None


# -- content properties -------------------------------------------------------


def _compile_properties(cls: type[BasicProperties]) -> tuple[Callable[..., tuple[int, bytes]], Callable[..., Any]]:
    """Compile the optional-field codec of a content-header property class.

    The n-th property owns flag bit ``15 - n``; absent (``None``) ones are
    skipped on the wire.
    """
    specs = fields_of(cls)
    if len(specs) > 15:  # pragma: no cover - basic has 14
        raise TypeError("property flag continuation is not supported")
    namespace: dict[str, Any] = {
        "cls": cls,
        "encode_table": encode_table,
        "decode_table": decode_table,
        "datetime_to_timestamp": datetime_to_timestamp,
        "timestamp_to_datetime": timestamp_to_datetime,
        "pack_Q": struct.Struct(">Q").pack,
        "pack_I": struct.Struct(">I").pack,
        "unpack_Q": struct.Struct(">Q").unpack_from,
        "unpack_I": struct.Struct(">I").unpack_from,
    }
    encode = ["def encode(p):", "    flags = 0", "    parts = []"]
    decode = ["def decode(buf, off, flags):"]
    for number, spec in enumerate(specs):
        bit = 1 << (15 - number)
        name = spec.name
        encode += [f"    v = p.{name}", "    if v is not None:", f"        flags |= {bit}"]
        decode += [f"    {name} = None", f"    if flags & {bit}:"]
        if spec.wire is ShortStr:
            encode += ["        v = v.encode()", "        parts.append(bytes((len(v),)))", "        parts.append(v)"]
            decode += [
                "        n = buf[off]; off += 1",
                f"        {name} = str(buf[off:off + n], 'utf-8'); off += n",
            ]
        elif spec.wire is LongStr:
            encode += ["        v = v.encode()", "        parts.append(pack_I(len(v)))", "        parts.append(v)"]
            decode += [
                "        n, = unpack_I(buf, off); off += 4",
                f"        {name} = str(buf[off:off + n], 'utf-8'); off += n",
            ]
        elif spec.wire is Octet:
            encode += ["        parts.append(bytes((v,)))"]
            decode += [f"        {name} = buf[off]; off += 1"]
        elif spec.wire is Timestamp:
            encode += ["        parts.append(pack_Q(datetime_to_timestamp(v)))"]
            decode += [f"        {name} = timestamp_to_datetime(unpack_Q(buf, off)[0]); off += 8"]
        elif spec.wire is Table:
            encode += ["        parts.append(encode_table(v))"]
            decode += [f"        {name}, off = decode_table(buf, off)"]
        else:  # pragma: no cover - basic uses only the types above
            msg = f"no property codec for wire type {spec.wire.__name__} of {name}"
            raise TypeError(msg)
    encode += ["    return flags, b''.join(parts)"]
    decode += [f"    return cls({', '.join(spec.name for spec in specs)}), off"]
    exec("\n".join(encode), namespace)  # noqa: S102 - source built above from the schema
    exec("\n".join(decode), namespace)  # noqa: S102
    return namespace["encode"], namespace["decode"]


_encode_properties, _decode_properties = _compile_properties(BasicProperties)
_PROPERTY_FLAGS_IN_USE = sum(1 << (15 - n) for n in range(len(fields_of(BasicProperties))))

#: Struct of a content header frame up to the property flags: frame type,
#: channel, payload size, class id, weight, body size, property flags.
HEADER_FRAME = struct.Struct(">BHIHHQH")
_EMPTY_PROPERTIES = BasicProperties()


def encode_properties(properties: BasicProperties) -> tuple[int, bytes]:
    """Encode content properties; return the property flags and the property list.

    Raises:
        EncodeError, EncodeTypeError: a property cannot be encoded (names it).
    """
    try:
        return _encode_properties(properties)
    except _ENCODE_FAILURES as exc:
        raise _explain_failure("BasicProperties", properties, exc) from None
    except EncodeError as exc:
        raise _explain_failure("BasicProperties", properties, exc) from None


def encode_header_frame(channel: int, body_size: int, properties: BasicProperties) -> bytes:
    """Encode a whole content header frame of class ``basic``."""
    if properties is _EMPTY_PROPERTIES:
        flags, encoded = 0, b""
    else:
        flags, encoded = encode_properties(properties)
    try:
        return (
            HEADER_FRAME.pack(2, channel, 14 + len(encoded), BasicProperties.CLASS_ID, 0, body_size, flags)
            + encoded
            + b"\xce"
        )
    except struct.error:
        msg = f"channel {channel} or body size {body_size} is out of range"
        raise EncodeError(msg) from None


def decode_properties(buf: Buffer, offset: int, end: int, flags: int) -> BasicProperties:
    """Decode the property list at ``offset`` described by ``flags``.

    Raises:
        AMQPSyntaxError: unknown flag bits, or malformed/truncated properties.
    """
    if flags & ~_PROPERTY_FLAGS_IN_USE:
        msg = f"content header has property flags 0x{flags:04x} beyond basic's 14 properties"
        raise AMQPSyntaxError(msg)
    try:
        properties, offset = _decode_properties(buf, offset, flags)
    except AMQPError:
        raise
    except (struct.error, IndexError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise AMQPSyntaxError(f"malformed content properties: {exc}") from None
    if offset != end:
        raise AMQPSyntaxError("content properties do not end at the end of their frame")
    assert isinstance(properties, BasicProperties)
    return properties
