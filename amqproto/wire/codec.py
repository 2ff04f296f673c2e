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
and compiles it, the way :mod:`dataclasses` writes ``__init__``: the hot path
then does no per-call lookups of types or names.  Everything goes through
:func:`~amqproto.wire._compile.compile_function`, so each function is
first-class code: ``decode_queue_declare`` of module ``amqproto.wire.codec``,
whose source :func:`inspect.getsource` and tracebacks show, and which
``python -m amqproto.wire --dump queue.declare`` prints.  A method's encoder
produces the whole *frame* (frame header, class and method ids, arguments,
frame-end octet) in one concatenation, its size computed from the pieces.
Decoders read from a ``bytes`` or ``bytearray`` at an offset with
``unpack_from`` and never slice the input to move on; they build the decoded
dataclass through its slots rather than its ``__init__`` (see
:func:`~amqproto.wire._fast.constructor_source`; every speed trick of the
wire layer is listed in :mod:`amqproto.wire._fast`).

Fast and slow paths.  The compiled coders do not validate.  When an encoder
fails (``struct.error`` for an out-of-range int, ``AttributeError`` for a
wrong type, ...), a slow path re-checks each field to raise
:class:`~amqproto.exceptions.EncodeError` or
:class:`~amqproto.exceptions.EncodeTypeError` naming it.  A compiled decoder
lets malformed input surface as whatever Python raises (``struct.error``,
``IndexError``, ``UnicodeDecodeError``, ...; see
:data:`~amqproto.wire.table.RAW_DECODE_ERRORS`); its caller turns that into
:class:`~amqproto.exceptions.AMQPSyntaxError` once, around the whole frame
(:class:`~amqproto.wire.frames.FrameDecoder`) or call (the public functions
here).  Unknown methods raise :class:`~amqproto.exceptions.CommandInvalid`.

Who is to blame.  A raw error might also be a bug in the generated code, and
blaming the broker for it (502, with the traceback gone) would send whoever
debugs it the wrong way.  So after a failure the slow path decides: the
encoders' field checks (:func:`_explain_failure`) and the plain decoders
(:func:`decode_failure`).  If they find the input valid, the error blames
amqproto: a :class:`~amqproto.exceptions.CodecBugError` from an encoder
(nothing was sent, the connection lives), an
:class:`~amqproto.exceptions.InternalError` (541, ``by_peer=False``) from a
decoder (a :class:`~amqproto.wire.frames.FrameDecoder` failure closes the
connection with 541, which is what happened).  Every error raised after a
raw one chains ``from`` it, so the traceback reaches the generated line.
Nothing else escapes.
"""

from __future__ import annotations

import datetime
import functools
import struct
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ..exceptions import (
    AMQPError,
    AMQPSyntaxError,
    CodecBugError,
    CommandInvalid,
    EncodeError,
    EncodeTypeError,
    InternalError,
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
from ._compile import compile_function, indent
from ._fast import constructor_source, install_fast_init
from ._introspect import FieldSpec, fields_of
from .table import (
    _ENCODED_NAMES,
    _READERS,
    LONGS,
    OCTETS,
    RAW_DECODE_ERRORS,
    RAW_ENCODE_ERRORS,
    SMALL,
    TABLE_DECODE_SOURCE,
    TAGGED_SMALL_INTS,
    TAGGED_STRING_SIZES,
    TIMESTAMP_DECODE_SOURCE,
    TIMESTAMP_NAMESPACE,
    _decode_table,
    _encode_name,
    _encode_table,
    _encode_tagged,
    _tagged_i32,
    _tagged_len,
    _unknown_tag,
    datetime_to_timestamp,
    slow_decode_table,
    table_error,
    timestamp_to_datetime,
)

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
#: ``bytes((n, 0xCE))``: a method's last octet of bits and the frame end.
_OCTET_THEN_FRAME_END = tuple(bytes((n, _FRAME_END)) for n in range(256))

#: Names every compiled coder may use.
_COMMON_NAMESPACE: dict[str, Any] = {
    "AMQPSyntaxError": AMQPSyntaxError,
    "OCTETS": OCTETS,
    "_decode_table": _decode_table,
    "_encode_table": _encode_table,
    "_OCTET_THEN_FRAME_END": _OCTET_THEN_FRAME_END,
    "_EPOCH": datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC),
    "datetime_to_timestamp": datetime_to_timestamp,
    "timestamp_to_datetime": timestamp_to_datetime,
}


# -- layout -------------------------------------------------------------------


class _Fixed(NamedTuple):
    """A run of fixed-width items, packed by one struct: ``(format, encode expression, decode target)``."""

    items: list[tuple[str, str, str]]


class _Raw(NamedTuple):
    """Variable-length bytes: the expression that encodes them, the code that decodes them."""

    encode_expr: str
    decode_code: str


class _Layout:
    """Pieces of one wire layout, for the encoder and the decoder at once.

    ``fixed`` appends a struct item: its format, the expression that encodes
    it and the variable that receives it when decoding (empty: skipped).
    ``raw`` appends a variable-length run of bytes after the current struct.
    """

    def __init__(self) -> None:
        self.pieces: list[_Fixed | _Raw] = []

    def fixed(self, fmt: str, encode_expr: str, decode_target: str) -> None:
        if self.pieces and isinstance(self.pieces[-1], _Fixed):
            self.pieces[-1].items.append((fmt, encode_expr, decode_target))
        else:
            self.pieces.append(_Fixed([(fmt, encode_expr, decode_target)]))

    def raw(self, encode_expr: str, decode_code: str) -> None:
        self.pieces.append(_Raw(encode_expr, decode_code))

    def fixed_size(self) -> int:
        return sum(_struct(piece.items).size for piece in self.pieces if isinstance(piece, _Fixed))


def _struct(items: list[tuple[str, str, str]]) -> struct.Struct:
    return struct.Struct(">" + "".join(fmt for fmt, _, _ in items))


def _lay_out_arguments(
    specs: tuple[FieldSpec, ...], layout: _Layout
) -> tuple[list[str], list[str], list[str]]:
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
                # Distinct bits, so + is |; 3.11 specialises int + (not |): see _property_encoder_lines.
                " + ".join(f"({1 << k} if m.{s.name} else 0)" for k, s in enumerate(run)),
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
            # _n{index}: the length; then n, where the string ends.
            if spec.python_type is bytes:
                prepare.append(f"{var} = m.{spec.name}")
                decode = f"n = off + _n{index}; {var} = bytes(buf[off:n]); off = n"
            else:
                prepare.append(f"{var} = m.{spec.name}.encode()")
                # An empty string (the default exchange's name, most often)
                # without slicing and decoding nothing: "" is what they give.
                decode = f"n = off + _n{index}; {var} = buf[off:n].decode() if _n{index} else ''; off = n"
            layout.fixed(length_fmt, f"len({var})", f"_n{index}")
            layout.raw(var, decode)
            variable_sizes.append(f"len({var})")
            constructor_args.append(var)
        elif spec.wire is Table:
            prepare.append(f"{var} = _encode_table(m.{spec.name})")
            layout.raw(var, f"{var}, off = _decode_table(buf, off)")
            variable_sizes.append(f"len({var})")
            constructor_args.append(var)
        else:  # pragma: no cover - the schema uses only the types above
            msg = f"no codec for wire type {spec.wire.__name__} of field {spec.name}"
            raise TypeError(msg)
        index += 1
    return prepare, variable_sizes, constructor_args


def _method_layout(cls: type[Method]) -> tuple[_Layout, list[str], list[str], list[str]]:
    """The layout of a method frame, and what :func:`_lay_out_arguments` returns."""
    layout = _Layout()
    # Frame header and method ids: the payload size is filled in at run time.
    layout.fixed("B", "1", "")
    layout.fixed("H", "channel", "")
    layout.fixed("I", "_size", "")
    layout.fixed("H", str(cls.CLASS_ID), "")
    layout.fixed("H", str(cls.METHOD_ID), "")
    prepare, variable_sizes, constructor_args = _lay_out_arguments(fields_of(cls), layout)
    layout.fixed("B", str(_FRAME_END), "")
    return layout, prepare, variable_sizes, constructor_args


def _encoder_parts(layout: _Layout, namespace: dict[str, Any]) -> list[str]:
    """The expressions whose concatenation is the encoding; structs go into ``namespace``."""
    parts: list[str] = []
    for number, piece in enumerate(layout.pieces):
        if isinstance(piece, _Fixed):
            if len(piece.items) == 1 and piece.items[0][0] == "B" and piece.items[0][1].startswith("len("):
                # A short string's length alone (never negative): a tuple index
                # is cheaper than a struct; past 255 it is an IndexError.
                parts.append(f"OCTETS[{piece.items[0][1]}]")
                continue
            # An octet of bits (0..255 by construction) or the frame end, or
            # both: a tuple index instead of a struct.
            octets = [(expr, target) for fmt, expr, target in piece.items if fmt == "B"]
            if len(octets) == len(piece.items) and all(
                target.startswith("_bits") or expr == str(_FRAME_END) for expr, target in octets
            ):
                if len(octets) == 1:
                    parts.append(f"OCTETS[{octets[0][0]}]")
                    continue
                if len(octets) == 2 and octets[1][0] == str(_FRAME_END):
                    parts.append(f"_OCTET_THEN_FRAME_END[{octets[0][0]}]")
                    continue
            namespace[f"_S{number}"] = _struct(piece.items)
            parts.append(f"_S{number}.pack({', '.join(expr for _, expr, _ in piece.items)})")
        else:
            parts.append(piece.encode_expr)
    return parts


def _concatenation(parts: list[str]) -> str:
    """The expression that concatenates the ``bytes`` expressions ``parts``.

    Each ``+`` copies everything so far: from four parts on, one join of a
    tuple costs less (measured with callgrind).
    """
    if len(parts) < 4:
        return " + ".join(parts)
    return f"b''.join(({', '.join(parts)}))"


def _compile_method(cls: type[Method]) -> tuple[Callable[..., bytes], Callable[..., Method]]:
    """Compile one method class into ``encode(channel, method) -> frame bytes``
    and ``decode(buf, offset, end) -> method`` (``offset`` just past the ids).

    Raises:
        TypeError: a field has no (or more than one) wire type; names it.
    """
    layout, prepare, variable_sizes, constructor_args = _method_layout(cls)
    namespace: dict[str, Any] = dict(_COMMON_NAMESPACE)
    decode_lines: list[str] = []
    for number, piece in enumerate(layout.pieces):
        if isinstance(piece, _Fixed):
            # The decoder starts after the method ids and stops before the frame end.
            payload_items = [item for item in piece.items if item[2]]
            if payload_items:
                unpacker = _struct(payload_items)
                namespace[f"_D{number}"] = unpacker.unpack_from
                targets = ", ".join(target for _, _, target in payload_items)
                if len(payload_items) == 1 and payload_items[0][0] == "B":
                    decode_lines.append(f"{targets} = buf[off]; off += 1")
                else:
                    decode_lines.append(f"{targets}, = _D{number}(buf, off); off += {unpacker.size}")
        else:
            decode_lines.append(piece.decode_code)
    payload_size = layout.fixed_size() - FRAME_HEADER.size - 1
    size_expr = " + ".join([str(payload_size), *variable_sizes])
    encoder_name, decoder_name = function_name("encode", cls), function_name("decode", cls)
    encoder_source = [
        f"def {encoder_name}(channel, m):",
        f'    """The whole {cls.NAME} frame on ``channel``: generated from {cls.__name__}\'s annotations."""',
        *indent(prepare),
        f"    _size = {size_expr}",
        f"    return {_concatenation(_encoder_parts(layout, namespace))}",
    ]
    decoder_source = [
        f"def {decoder_name}(buf, off, end):",
        f'    """A {cls.__name__} from ``buf[off:end]``, past the ids: generated from its annotations."""',
        *indent(decode_lines),
        "    if off != end:",
        (
            f"        raise AMQPSyntaxError('{cls.NAME}: arguments end at ' + str(off) + ', the frame "
            "at ' + str(end))"
        ),
        *indent(constructor_source(cls, constructor_args, namespace)),
        "    return obj",
    ]
    encoder = compile_function("\n".join(encoder_source), encoder_name, namespace, __name__)
    decoder = compile_function("\n".join(decoder_source), decoder_name, namespace, __name__)
    return encoder, decoder


def function_name(verb: str, cls: type[Method]) -> str:
    """The name of a compiled coder of ``cls``: ``decode_queue_declare`` for ``("decode", QueueDeclare)``."""
    return f"{verb}_{cls.NAME.replace('.', '_').replace('-', '_')}"


# -- validation (slow path, only after a compiled encoder failed) ------------

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
            article = "an" if wire.name[0] in "aeiou" else "a"
            bounds = f"{wire.min_value}..{wire.max_value}"
            msg = f"{where} = {value} is out of range for {article} {wire.name} ({bounds})"
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
                msg = f"{where} is not encodable as UTF-8: {exc.reason}"
                raise EncodeError(msg) from exc
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
            _encode_table(value)
        except RAW_ENCODE_ERRORS as exc:
            raise table_error(value, where) from exc


def _explain_failure(owner: str, obj: object, exc: Exception) -> AMQPError:
    """The error to raise after a compiled encoder of ``obj`` raised ``exc``: the slow path.

    Checks every field and returns the :class:`EncodeError` that names the
    first bad one.  When every field is fine, the compiled encoder has a
    bug: the result is then a :class:`~amqproto.exceptions.CodecBugError`
    (not the caller's fault, nor the peer's; nothing was sent), which the
    caller raises ``from exc`` so that the traceback still shows the
    generated line that failed.
    """
    try:
        for spec in fields_of(type(obj)):
            _check_value(owner, spec, getattr(obj, spec.name, None))
    except EncodeError as error:
        return error  # the caller raises it from exc, the fast path's failure
    if isinstance(exc, EncodeError):
        return exc
    return CodecBugError(_bug_message(f"encoding {owner}", exc))


def _bug_message(doing: str, exc: BaseException) -> str:
    """The message of an error for a compiled coder that failed on input the slow path finds valid."""
    return (
        f"amqproto failed {doing} although the input is valid ({type(exc).__name__}: {exc}); "
        "please report this bug"
    )


# -- the general path of decoding (slow; after a compiled decoder failed) ------

_SLOW_FIXED = {wire: struct.Struct(">" + fmt) for wire, fmt in _FIXED.items()}


def _slow_read(spec: FieldSpec, buf: Buffer, offset: int) -> tuple[object, int]:
    """One field that is not a bit, read plainly; raw errors escape."""
    wire = spec.wire
    if wire is Timestamp:
        (seconds,) = _SLOW_FIXED[Timestamp].unpack_from(buf, offset)
        return datetime.datetime.fromtimestamp(seconds, datetime.UTC), offset + 8
    if wire in _SLOW_FIXED:
        unpacker = _SLOW_FIXED[wire]
        return unpacker.unpack_from(buf, offset)[0], offset + unpacker.size
    if wire is ShortStr or wire is LongStr:
        prefix = _SLOW_FIXED[Octet] if wire is ShortStr else _SLOW_FIXED[Long]
        (size,) = prefix.unpack_from(buf, offset)
        start = offset + prefix.size
        raw = bytes(buf[start : start + size])
        if len(raw) != size:
            raise AMQPSyntaxError(f"{spec.name} is cut short")
        return (raw if spec.python_type is bytes else raw.decode()), start + size
    if wire is Table:
        return slow_decode_table(buf, offset)
    msg = f"no slow decoder for wire type {wire.__name__} of {spec.name}"  # pragma: no cover
    raise TypeError(msg)  # pragma: no cover - the schema uses only the types above


def slow_decode_method(cls: type[Method], buf: Buffer, offset: int, end: int) -> Method:
    """Decode ``cls``'s arguments from ``buf[offset:end]`` field by field.

    The compiled decoders' general path.

    Raises what the compiled decoders raise on malformed input (raw errors
    or :class:`AMQPSyntaxError`).
    """
    values: list[object] = []
    specs = fields_of(cls)
    index = 0
    while index < len(specs):
        if specs[index].wire is Bit:
            bits = buf[offset]
            offset += 1
            for k in range(8):  # up to eight consecutive bits share an octet, low bit first
                if index >= len(specs) or specs[index].wire is not Bit:
                    break
                values.append(bool(bits & (1 << k)))
                index += 1
            continue
        value, offset = _slow_read(specs[index], buf, offset)
        values.append(value)
        index += 1
    if offset != end:
        raise AMQPSyntaxError(f"{cls.NAME}: arguments end at {offset}, the frame at {end}")
    return cls(*values)


def slow_decode_properties(buf: Buffer, offset: int, end: int, flags: int) -> BasicProperties:
    """Decode content properties field by field: the compiled property decoders' general path."""
    if flags & ~PROPERTY_FLAGS_IN_USE:
        raise AMQPSyntaxError(f"content header has property flags 0x{flags:04x} beyond basic's 14 properties")
    values: list[object] = []
    for number, spec in enumerate(fields_of(BasicProperties)):
        value = None
        if flags & (1 << (15 - number)):
            value, offset = _slow_read(spec, buf, offset)
        values.append(value)
    if offset != end:
        raise AMQPSyntaxError(f"content properties end at {offset}, the frame at {end}")
    return BasicProperties(*values)  # type: ignore[arg-type]


def decode_failure(exc: Exception, what: str, slow_path: Callable[[], object], *ids: int) -> AMQPError:
    """The error to raise after a compiled decoder of ``what`` raised ``exc`` (a raw error).

    Runs ``slow_path``, the same decoding done plainly: if it fails too, the
    input is malformed and the result is an :class:`AMQPSyntaxError`
    carrying ``ids`` (class and method ids); the peer is to blame.  If it
    succeeds, the compiled code has a bug: the result is an
    :class:`InternalError` that blames no one but amqproto.  The caller
    raises the result ``from exc``.
    """
    try:
        slow_path()
    except (AMQPError, *RAW_DECODE_ERRORS):
        return AMQPSyntaxError(f"malformed {what}: {exc}", *ids)
    return InternalError(_bug_message(f"decoding {what}", exc), *ids, by_peer=False)


# -- methods -----------------------------------------------------------------

_METHOD_ENCODERS: dict[type[Method], Callable[[int, Method], bytes]] = {}
#: Compiled decoders by ``class_id << 16 | method_id``; raw (see the module doc).
METHOD_DECODERS: dict[int, Callable[[bytes | bytearray, int, int], Method]] = {}
for _cls in METHODS.values():
    _encoder, _decoder = _compile_method(_cls)
    _METHOD_ENCODERS[_cls] = _encoder
    METHOD_DECODERS[_cls.CLASS_ID << 16 | _cls.METHOD_ID] = _decoder
del _cls, _encoder, _decoder
#: Compiled method-frame encoders by method class; raw (see the module doc).
METHOD_ENCODERS = _METHOD_ENCODERS

# Building a method or properties object costs a call per field in a frozen
# dataclass's __init__; the generated one stores through the slots
# (amqproto.wire._fast, trick 9).  Publishers build one per message.
for _schema_class in (*METHODS.values(), BasicProperties):
    install_fast_init(_schema_class)
del _schema_class

_unpack_method_id = struct.Struct(">I").unpack_from


def encode_method_frame(channel: int, method: Method) -> bytes:
    """Encode a whole method frame: header, class and method ids, arguments, frame end.

    Raises:
        EncodeError: an argument is out of range or too long (names it).
        EncodeTypeError: an argument has the wrong type (names it).
    """
    try:
        encoder = _METHOD_ENCODERS[type(method)]
    except KeyError as exc:
        msg = f"{type(method).__name__} is not an AMQP method"
        raise EncodeTypeError(msg) from exc
    try:
        return encoder(channel, method)
    except RAW_ENCODE_ERRORS as exc:
        if not isinstance(channel, int) or not 0 <= channel <= 0xFFFF:
            raise EncodeError(f"channel {channel!r} is out of range") from exc
        raise _explain_failure(method.NAME, method, exc) from exc


def encode_method(method: Method) -> bytes:
    """Encode a method's frame payload: class id, method id, then arguments."""
    return encode_method_frame(0, method)[FRAME_HEADER.size : -1]


def unknown_method(index: int) -> CommandInvalid:
    """The error for a method frame whose ids (``class << 16 | method``) name no method."""
    msg = f"unknown method: class {index >> 16}, method {index & 0xFFFF}"
    return CommandInvalid(msg, index >> 16, index & 0xFFFF)


def decode_method(buf: Buffer, offset: int = 0, end: int | None = None) -> Method:
    """Decode the method whose class id starts at ``offset`` and which ends at ``end``.

    Raises:
        CommandInvalid: the class and method ids name no method.
        AMQPSyntaxError: the arguments are malformed, truncated, or do not
            end exactly at ``end``.
    """
    if end is None:
        end = len(buf)
    if isinstance(buf, memoryview):  # the decoders read bytes: copy the method only
        buf, offset, end = buf[offset:end].tobytes(), 0, end - offset
    if end > len(buf) or end - offset < 4 or offset < 0:
        raise AMQPSyntaxError("method frame is shorter than its class and method ids")
    (index,) = _unpack_method_id(buf, offset)
    decoder = METHOD_DECODERS.get(index)
    if decoder is None:
        raise unknown_method(index)
    try:
        return decoder(buf, offset + 4, end)
    except AMQPError:
        raise
    except RAW_DECODE_ERRORS as exc:
        cls = METHODS[(index >> 16, index & 0xFFFF)]
        slow_path = functools.partial(slow_decode_method, cls, buf, offset + 4, end)
        raise decode_failure(exc, cls.NAME, slow_path, cls.CLASS_ID, cls.METHOD_ID) from exc


# -- content properties -------------------------------------------------------


_PROPERTY_NAMESPACE: dict[str, Any] = dict(
    _COMMON_NAMESPACE,
    **TIMESTAMP_NAMESPACE,
    pack_B=struct.Struct(">B").pack,
    pack_Q=struct.Struct(">Q").pack,
    pack_I=struct.Struct(">I").pack,
    unpack_Q=struct.Struct(">Q").unpack_from,
    unpack_I=struct.Struct(">I").unpack_from,
    unpack_i=struct.Struct(">i").unpack_from,
    _TABLE_READERS=_READERS,
    _unknown_tag=_unknown_tag,
    _ENCODED_NAMES=_ENCODED_NAMES,
    _encode_name=_encode_name,
    _encode_tagged=_encode_tagged,
    _tagged_len=_tagged_len,
    _tagged_i32=_tagged_i32,
    LONGS=LONGS,
    TAGGED_STRING_SIZES=TAGGED_STRING_SIZES,
    TAGGED_SMALL_INTS=TAGGED_SMALL_INTS,
)


def _property_lines(spec: FieldSpec) -> tuple[list[str], list[str]]:
    """Encoder lines (``v`` is the present value) and decoder lines (into the field's name)."""
    name = spec.name
    if spec.wire is ShortStr:
        # OCTETS[n] is an IndexError past 255: the slow path explains it.
        # Decoding, n is where the string ends.
        return (
            ["v = v.encode()", "parts.append(OCTETS[len(v)])", "parts.append(v)"],
            ["n = off + 1 + buf[off]", f"{name} = buf[off + 1:n].decode(); off = n"],
        )
    if spec.wire is LongStr:
        return (
            ["v = v.encode()", "parts.append(pack_I(len(v)))", "parts.append(v)"],
            ["n, = unpack_I(buf, off); off += 4", f"{name} = buf[off:off + n].decode(); off += n"],
        )
    if spec.wire is Octet:
        # OCTETS[v] is cheaper than a struct; a negative v would index from
        # the end, so it goes to pack_B, whose struct.error the slow path explains.
        return ["parts.append(OCTETS[v] if v >= 0 else pack_B(v))"], [f"{name} = buf[off]; off += 1"]
    if spec.wire is Timestamp:
        # Aware datetimes inline; naive ones (a TypeError) through the function.
        # days * 86400 + seconds is the floor of the seconds (a timedelta's
        # seconds and microseconds are never negative), cheaper than floor division by one second.
        return (
            [
                "try:",
                "    v = v - _EPOCH",
                "except TypeError:",
                "    parts.append(pack_Q(datetime_to_timestamp(v)))",
                "else:",
                "    parts.append(pack_Q(v.days * 86400 + v.seconds))",
            ],
            [
                "_seconds = unpack_Q(buf, off)[0]; off += 8",
                *TIMESTAMP_DECODE_SOURCE.format(seconds="_seconds", name=name).splitlines(),
            ],
        )
    if spec.wire is Table:
        return ["parts.append(_encode_table(v))"], [f"{name}, off = _decode_table(buf, off)"]
    msg = f"no property codec for wire type {spec.wire.__name__} of {name}"  # pragma: no cover
    raise TypeError(msg)  # pragma: no cover - basic uses only the types above


#: :func:`~amqproto.wire.table._encode_table` inlined into the property
#: encoders, for the ``headers`` property ``v``: the same loop, but its size
#: and entries go to the property list as two parts, without a call and a
#: concatenation per message.
_INLINE_TABLE_ENCODE = f"""\
_tparts = []
for _tname, _tvalue in v.items():
    try:  # free in 3.11 when nothing is raised; a subscript is cheaper than .get
        _tparts.append(_ENCODED_NAMES[_tname])
    except KeyError:
        _tparts.append(_encode_name(_tname))
    _tkind = type(_tvalue)
    if _tkind is str:
        _traw = _tvalue.encode()
        _tsize = len(_traw)
        _tparts.append(TAGGED_STRING_SIZES[_tsize] if _tsize < {SMALL} else _tagged_len(b"S", _tsize))
        _tparts.append(_traw)
    elif _tkind is bool:
        _tparts.append(b"t\\x01" if _tvalue else b"t\\x00")
    elif _tkind is int and 0 <= _tvalue < {SMALL}:
        _tparts.append(TAGGED_SMALL_INTS[_tvalue])
    elif _tkind is int and -0x8000_0000 <= _tvalue <= 0x7FFF_FFFF:
        _tparts.append(_tagged_i32(b"I", _tvalue))
    else:  # the other types, and ints beyond 32 bits
        _tparts.append(_encode_tagged(_tvalue))
_tdata = b"".join(_tparts)
_tsize = len(_tdata)
parts.append(LONGS[_tsize] if _tsize < {SMALL} else pack_I(_tsize))
parts.append(_tdata)"""


def _property_encoder_lines(specs: tuple[FieldSpec, ...], then: str | None = None) -> list[str]:
    """Lines that encode the properties ``p`` into ``flags`` and ``encoded``.

    ``then``, an expression, is joined after the properties into ``encoded``
    (the header frame's frame end: one ``+`` less for its caller).
    """
    # parts.append(...) rather than a bound append: 3.11 turns the method
    # call into an inline list append, about half the instructions (callgrind).
    # flags += bit rather than |=: each bit is added once, so the two agree,
    # and 3.11 specialises int + (BINARY_OP_ADD_INT) but not |, which costs
    # a generic number call (callgrind: with one + less below, a content header
    # frame of five properties 18.6k -> 18.2k instructions).
    lines = ["flags = 0", "parts = []"]
    for number, spec in enumerate(specs):
        lines += [f"v = p.{spec.name}", "if v is not None:", f"    flags += {1 << (15 - number)}"]
        encode = _INLINE_TABLE_ENCODE.splitlines() if spec.wire is Table else _property_lines(spec)[0]
        lines += indent(encode)
    if then is not None:
        lines.append(f"parts.append({then})")
    return [*lines, "encoded = b''.join(parts)"]


def _compile_properties(
    cls: type[BasicProperties],
) -> tuple[Callable[..., tuple[int, bytes]], Callable[..., Any]]:
    """Compile the optional-field codec of a content-header property class.

    The n-th property owns flag bit ``15 - n``; absent (``None``) ones are
    skipped on the wire.  The encoder returns ``(flags, property list)``; the
    decoder takes the flags and returns ``(properties, offset after them)``.
    """
    specs = fields_of(cls)
    if len(specs) > 15:  # pragma: no cover - basic has 14
        raise TypeError("property flag continuation is not supported")
    namespace: dict[str, Any] = dict(_PROPERTY_NAMESPACE)
    encoder_name, decoder_name = f"encode_{_snake(cls.__name__)}", f"decode_{_snake(cls.__name__)}"
    encode = [
        f"def {encoder_name}(p):",
        f'    """``(flags, property list)`` of a {cls.__name__}: generated from its annotations."""',
        *indent(_property_encoder_lines(specs)),
        "    return flags, encoded",
    ]
    decode = [
        f"def {decoder_name}(buf, off, flags):",
        f'    """``({cls.__name__}, offset after them)`` for ``flags``: generated from its annotations."""',
    ]
    for number, spec in enumerate(specs):
        decode += [f"    if flags & {1 << (15 - number)}:", *indent(_property_lines(spec)[1], 2)]
        decode += ["    else:", f"        {spec.name} = None"]
    decode += indent(constructor_source(cls, [spec.name for spec in specs], namespace))
    decode += ["    return obj, off"]
    encoder = compile_function("\n".join(encode), encoder_name, namespace, __name__)
    decoder = compile_function("\n".join(decode), decoder_name, namespace, __name__)
    return encoder, decoder


def _snake(name: str) -> str:
    """``basic_properties`` for ``BasicProperties``."""
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name).lstrip("_")


#: :func:`~amqproto.wire.table._decode_table` inlined into a content-header
#: decoder, for the ``headers`` property: the same loop, the common tags
#: inline and the rest through the same readers, without a call and a tuple
#: per message.  ``{name}`` receives the table, ``n`` is where it ends (the
#: table must end within the frame).


def compile_header_decoder(flags: int, frame_cls: type) -> Callable[..., Any]:
    """Compile ``decode(buf, offset, end, channel, body_size) -> frame_cls(channel, body_size, properties)``.

    Specialised for one value of the property flags: the decoder reads
    exactly the properties present, in straight-line code, checks that they
    end at ``end``, and builds the properties and the frame.  Connections
    use few distinct flag values, so the frame decoder keeps these in a
    small cache (see :class:`~amqproto.wire.frames.FrameDecoder`).

    Raises:
        AMQPSyntaxError: ``flags`` has bits beyond basic's 14 properties.
    """
    if flags & ~PROPERTY_FLAGS_IN_USE:
        msg = f"content header has property flags 0x{flags:04x} beyond basic's 14 properties"
        raise AMQPSyntaxError(msg, BasicProperties.CLASS_ID)
    specs = fields_of(BasicProperties)
    namespace: dict[str, Any] = dict(_PROPERTY_NAMESPACE, _NO_PROPERTIES=_EMPTY_PROPERTIES)
    name = f"decode_content_header_0x{flags:04x}"
    lines = [
        f"def {name}(buf, off, end, channel, body_size):",
        f'    """A {frame_cls.__name__} with property flags 0x{flags:04x}, from BasicProperties."""',
    ]
    values: list[str] = []
    for number, spec in enumerate(specs):
        if flags & (1 << (15 - number)):
            if spec.wire is Table:
                decode = TABLE_DECODE_SOURCE.format(
                    name=spec.name, class_id=BasicProperties.CLASS_ID
                ).splitlines()
            else:
                decode = _property_lines(spec)[1]
            lines += indent(decode)
            values.append(spec.name)
        else:
            values.append("None")
    if flags:
        build = constructor_source(BasicProperties, values, namespace, "properties")
    else:
        build = ["properties = _NO_PROPERTIES  # immutable, holds no table: safe to share"]
    lines += [
        "    if off != end:",
        (
            "        raise AMQPSyntaxError('content properties end at ' + str(off) + ', the frame at ' "
            "+ str(end), 60)"
        ),
        *indent(build),
        *indent(constructor_source(frame_cls, ["channel", "body_size", "properties"], namespace)),
        "    return obj",
    ]
    return compile_function("\n".join(lines), name, namespace, __name__)


_encode_properties, _decode_properties = _compile_properties(BasicProperties)
_EMPTY_PROPERTIES = BasicProperties()


def _compile_content_encoder(cls: type[Method]) -> Callable[..., bytes]:
    """Compile ``encode(channel, method, properties, body) -> bytes`` for a content method.

    The result is the method frame, the content header and ``body`` as one
    body frame, in one ``bytes``: the properties are encoded inline (as by
    :func:`encode_properties`), the fixed parts between the variable ones
    each pack as one ``struct`` (the method's last arguments, its frame end
    and the whole content-header prefix; the header's frame end and the
    body frame's header), and everything joins once.  The caller makes sure
    the body fits one frame, and falls back to the general encoders (which
    name what is wrong) when this raises.
    """
    layout, prepare, variable_sizes, _ = _method_layout(cls)
    payload_size = layout.fixed_size() - FRAME_HEADER.size - 1
    header = [("B", "2"), ("H", "channel"), ("I", "14 + len(encoded)"), ("H", str(BasicProperties.CLASS_ID))]
    header += [("H", "0"), ("Q", "size"), ("H", "flags")]
    for fmt, expr in header:
        layout.fixed(fmt, expr, "")
    layout.raw("encoded", "")
    for fmt, expr in [("B", str(_FRAME_END)), ("B", "3"), ("H", "channel"), ("I", "size")]:
        layout.fixed(fmt, expr, "")
    layout.raw("body", "")
    layout.raw("_FRAME_END_BYTES", "")
    namespace: dict[str, Any] = dict(_PROPERTY_NAMESPACE, _FRAME_END_BYTES=bytes((_FRAME_END,)))
    name = function_name("encode", cls) + "_content"
    source = [
        f"def {name}(channel, m, p, body):",
        f'    """A {cls.NAME} frame, its content header and ``body`` in one body frame, as one ``bytes``."""',
        *indent(prepare),
        f"    _size = {' + '.join([str(payload_size), *variable_sizes])}",
        *indent(_property_encoder_lines(fields_of(BasicProperties))),
        "    size = len(body)",
        f"    return b''.join(({', '.join(_encoder_parts(layout, namespace))}))",
    ]
    return compile_function("\n".join(source), name, namespace, __name__)


#: Compiled content encoders of the content methods; raw (see :func:`_compile_content_encoder`).
CONTENT_ENCODERS: dict[type[Method], Callable[[int, Method, BasicProperties, Any], bytes]] = {
    cls: _compile_content_encoder(cls) for cls in METHODS.values() if cls.HAS_CONTENT
}
#: The flag bits of basic's 14 properties; any other bit is malformed.
PROPERTY_FLAGS_IN_USE = sum(1 << (15 - n) for n in range(len(fields_of(BasicProperties))))


def _compile_header_frame_encoder() -> Callable[[int, int, BasicProperties], bytes]:
    """Compile ``encode(channel, body_size, properties) -> the whole content header frame``.

    The properties are encoded inline (as by :func:`encode_properties`) and
    the frame packs around them at once: one call where
    :func:`encode_header_frame` makes three.  Raw errors escape (see the
    module doc); :func:`encode_header_frame` is the path that names them.
    """
    namespace: dict[str, Any] = dict(_PROPERTY_NAMESPACE, _HEADER_FRAME=HEADER_FRAME)
    name = "encode_content_header_frame"
    source = [
        f"def {name}(channel, body_size, p):",
        '    """A whole content header frame of class basic: generated from BasicProperties."""',
        # encoded ends with the frame end: the payload is 14 octets and the properties.
        *indent(_property_encoder_lines(fields_of(BasicProperties), then="b'\\xce'")),
        (
            f"    return _HEADER_FRAME.pack(2, channel, 13 + len(encoded), "
            f"{BasicProperties.CLASS_ID}, 0, body_size, flags) + encoded"
        ),
    ]
    return compile_function("\n".join(source), name, namespace, __name__)


#: Struct of a content header frame up to the property flags: frame type,
#: channel, payload size, class id, weight, body size, property flags.
HEADER_FRAME = struct.Struct(">BHIHHQH")
#: Struct of a content header's frame-end octet and the header of the body
#: frame after it: frame end, frame type, channel, payload size.
END_THEN_BODY_HEADER = struct.Struct(">BBHI")
#: The whole content header frame in one call; raw (see :func:`_compile_header_frame_encoder`).
HEADER_FRAME_ENCODER = _compile_header_frame_encoder()


def encode_properties(properties: BasicProperties) -> tuple[int, bytes]:
    """Encode content properties; return the property flags and the property list.

    Raises:
        EncodeError, EncodeTypeError: a property cannot be encoded (names it).
    """
    try:
        return _encode_properties(properties)
    except RAW_ENCODE_ERRORS as exc:
        if not isinstance(properties, BasicProperties):
            raise EncodeTypeError(f"not content properties: {properties!r:.60}") from exc
        raise _explain_failure("BasicProperties", properties, exc) from exc


def encode_header_frame(channel: int, body_size: int, properties: BasicProperties) -> bytes:
    """Encode a whole content header frame of class ``basic``.

    Raises:
        EncodeError, EncodeTypeError: a property, the channel or the body
            size cannot be encoded (names it).
    """
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
    except struct.error as exc:
        msg = f"channel {channel!r} or body size {body_size!r} is out of range"
        raise EncodeError(msg) from exc


def decode_properties(buf: Buffer, offset: int, end: int, flags: int) -> BasicProperties:
    """Decode the property list at ``offset`` described by ``flags``.

    Raises:
        AMQPSyntaxError: unknown flag bits, or malformed/truncated properties.
    """
    if flags & ~PROPERTY_FLAGS_IN_USE:
        msg = f"content header has property flags 0x{flags:04x} beyond basic's 14 properties"
        raise AMQPSyntaxError(msg)
    if isinstance(buf, memoryview):  # the decoders read bytes: copy the properties only
        buf, offset, end = buf[offset:end].tobytes(), 0, end - offset
    try:
        properties, decoded_end = _decode_properties(buf, offset, flags)
    except AMQPError:
        raise
    except RAW_DECODE_ERRORS as exc:
        slow_path = functools.partial(slow_decode_properties, buf, offset, end, flags)
        raise decode_failure(exc, "content properties", slow_path, BasicProperties.CLASS_ID) from exc
    offset = decoded_end
    if offset != end:
        raise AMQPSyntaxError(
            f"content properties end at {offset}, the frame at {end}", BasicProperties.CLASS_ID
        )
    assert isinstance(properties, BasicProperties)
    return properties
