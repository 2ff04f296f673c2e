"""Field tables and field arrays, with RabbitMQ's full set of value tags.

A table is an unsigned 32-bit byte count followed by ``name value`` pairs,
where a name is a short string and a value is one tag octet and its payload.
An array (``A``) is a byte count followed by tagged values.

=====  ===========================  ==================================
 tag   payload                      Python type
=====  ===========================  ==================================
 t     octet, 0 or 1                ``bool``
 b/B   signed/unsigned 8-bit        ``int``
 s/u   signed/unsigned 16-bit       ``int``
 I/i   signed/unsigned 32-bit       ``int``
 l     signed 64-bit                ``int``
 f/d   32/64-bit IEEE float         ``float``
 D     scale octet, signed 32-bit   ``decimal.Decimal``
 S     long string                  ``str`` (``bytes`` if not UTF-8)
 x     long string                  ``bytes``
 A     field array                  ``list``
 T     unsigned 64-bit seconds      aware ``datetime.datetime`` (UTC)
 F     field table                  ``dict``
 V     nothing                      ``None``
=====  ===========================  ==================================

These are RabbitMQ's tags (its "errata" to the 0-9-1 spec), which differ from
the spec's own list: ``s`` is a signed 16-bit integer and ``l`` a signed
64-bit one.  Encoding picks one tag per Python type: ``bool`` as ``t``, an
``int`` as ``I`` when it fits in 32 signed bits and ``l`` otherwise, a
``float`` as ``d``, ``bytes`` as ``x``.  NaN and infinite floats are refused
with :class:`~amqproto.exceptions.EncodeError` (RabbitMQ would close the
connection with 541 on them).

Decoding reads from any buffer (``bytes``, ``bytearray``, ``memoryview``) at
an offset and returns the new offset, never slicing the input to move on.
Malformed input raises :class:`~amqproto.exceptions.AMQPSyntaxError`.

Fast and slow paths.  The codec calls the *raw* coders, :func:`_encode_table`
and :func:`_decode_table`, which handle the common tags inline and let
malformed input surface as whatever Python raises (``struct.error``,
``IndexError``, ``UnicodeDecodeError``...); their callers turn that into an
AMQP error once, around a whole frame.  The public functions wrap the raw
ones.  When encoding fails, :func:`table_error` walks the table again, without
recursion, to name the offending entry (``arguments['x-args'][2]: ...``).
When decoding fails, :func:`slow_decode_table` (a plain loop, every tag
through its reader) reads the input again to tell malformed input from a
bug (see ``codec.decode_failure``).  :func:`_decode_table` and
:func:`timestamp_to_datetime` are generated from the source templates below
(the content-header decoders inline the same templates) through
:func:`~amqproto.wire._compile.compile_function`:
``python -m amqproto.wire --dump table`` prints them.
"""

from __future__ import annotations

import datetime
import decimal
import math
import struct
from collections.abc import Callable, Mapping
from typing import Any

from ..exceptions import AMQPSyntaxError, EncodeError, EncodeTypeError
from ..schema.types import FieldArray, FieldTable, FieldValue
from ._compile import compile_function, indent

__all__ = [
    "encode_table",
    "decode_table",
    "encode_array",
    "decode_array",
    "datetime_to_timestamp",
    "timestamp_to_datetime",
    "table_error",
]

_UTC = datetime.UTC
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
_NAIVE_EPOCH = datetime.datetime(1970, 1, 1)
_fromtimestamp = datetime.datetime.fromtimestamp
_isfinite = math.isfinite

#: Why a NaN or infinite float is refused.  IEEE 754 carries them, but
#: RabbitMQ cannot represent them and closes the whole connection with 541
#: INTERNAL_ERROR; refusing them here costs the caller only this one call.
_NOT_FINITE = "float {} cannot be sent: RabbitMQ closes the connection on NaN and infinite values"

#: ``bytes((n,))`` for every octet, without building it each time.
OCTETS = tuple(bytes((n,)) for n in range(256))

_pack_long = struct.Struct(">I").pack
_unpack_long = struct.Struct(">I").unpack_from
_unpack_i32 = struct.Struct(">i").unpack_from
_tagged_i32 = struct.Struct(">ci").pack
_tagged_i64 = struct.Struct(">cq").pack
_tagged_f64 = struct.Struct(">cd").pack
_tagged_u64 = struct.Struct(">cQ").pack
_tagged_decimal = struct.Struct(">cBi").pack
_tagged_len = struct.Struct(">cI").pack

#: Encodings of small sizes and values, precomputed: indexing a tuple costs
#: about a sixth of a ``struct`` pack (measured with callgrind), and tables'
#: sizes, their strings' lengths and their ints are mostly under 256.  Past
#: the end of these, the encoders pack.
SMALL = 256
#: A long (unsigned 32-bit) for ``n < SMALL``: a table's or a long string's size.
LONGS = tuple(_pack_long(n) for n in range(SMALL))
#: ``S`` and the long holding a string's size in bytes, for ``n < SMALL``.
TAGGED_STRING_SIZES = tuple(_tagged_len(b"S", n) for n in range(SMALL))
#: ``I`` and the signed 32-bit int ``n``, for ``0 <= n < SMALL``.
TAGGED_SMALL_INTS = tuple(_tagged_i32(b"I", n) for n in range(SMALL))

Buffer = bytes | bytearray | memoryview

#: What the raw coders let through on malformed input or unencodable values.
RAW_DECODE_ERRORS = (
    struct.error,
    IndexError,
    UnicodeDecodeError,
    RecursionError,
    OverflowError,
    OSError,
    ValueError,
)
RAW_ENCODE_ERRORS = (
    struct.error,
    IndexError,
    AttributeError,
    TypeError,
    ValueError,  # UnicodeEncodeError among them
    OverflowError,
    RecursionError,
)


def datetime_to_timestamp(value: datetime.datetime) -> int:
    """Whole seconds since the epoch (floored); a naive ``datetime`` is taken as UTC."""
    try:
        delta = value - _EPOCH
    except TypeError:
        # Naive (or with a tzinfo that gives no offset): read it as UTC.
        delta = value.replace(tzinfo=None) - _NAIVE_EPOCH
    # The floor of the seconds: a timedelta's seconds and microseconds are
    # never negative.  Cheaper than delta // timedelta(seconds=1).
    return delta.days * 86400 + delta.seconds


#: Source that turns the int ``{seconds}`` (a variable) into ``{name}``, an
#: aware UTC ``datetime`` equal to ``datetime.fromtimestamp({seconds}, UTC)``.
#: Timestamps of a message stream move slowly, so the start of the last
#: minute seen is kept and the seconds are added to it: a ``datetime`` plus a
#: precomputed ``timedelta`` costs a third of ``fromtimestamp`` (which breaks
#: the time down and converts it to the zone each time).  The cache is one
#: tuple, replaced whole, so threads sharing it never see a torn pair.  Out
#: of range, ``fromtimestamp`` raises OverflowError, OSError or ValueError.
TIMESTAMP_DECODE_SOURCE = """\
_minute = {seconds} // 60
_cached = _LAST_MINUTE[0]
if _cached[0] != _minute:
    _cached = _LAST_MINUTE[0] = (_minute, _fromtimestamp(_minute * 60, _UTC))
{name} = _cached[1] + _SECONDS[{seconds} % 60]"""

#: What :data:`TIMESTAMP_DECODE_SOURCE` needs besides the names it is given.
TIMESTAMP_NAMESPACE: dict[str, Any] = {
    "_LAST_MINUTE": [(0, _EPOCH)],
    "_fromtimestamp": _fromtimestamp,
    "_UTC": _UTC,
    "_SECONDS": tuple(datetime.timedelta(seconds=n) for n in range(60)),
}


def _compile_timestamp_to_datetime() -> Callable[[int], datetime.datetime]:
    body = TIMESTAMP_DECODE_SOURCE.format(seconds="seconds", name="value")
    source = [
        "def timestamp_to_datetime(seconds):",
        '    """An aware UTC ``datetime``; raises ``AMQPSyntaxError`` when out of range."""',
        "    try:",
        *indent(body.splitlines(), 2),
        "    except (OverflowError, OSError, ValueError) as exc:",
        "        raise AMQPSyntaxError(f'timestamp {seconds} is out of range') from exc",
        "    return value",
    ]
    namespace = dict(TIMESTAMP_NAMESPACE, AMQPSyntaxError=AMQPSyntaxError)
    convert: Callable[[int], datetime.datetime] = compile_function(
        "\n".join(source), "timestamp_to_datetime", namespace, __name__
    )
    return convert


timestamp_to_datetime = _compile_timestamp_to_datetime()


# -- encoding ---------------------------------------------------------------


#: Encoded names (length octet and UTF-8) of recently seen table keys.  Keys
#: repeat from message to message; the cache stops growing at 1024 names.
_ENCODED_NAMES: dict[str, bytes] = {}
_ENCODED_NAMES_MAX = 1024


def _encode_name(name: str) -> bytes:
    """A table key as a short string (IndexError past 255 bytes), remembered while there is room."""
    raw = name.encode()
    encoded_name = OCTETS[len(raw)] + raw
    if len(_ENCODED_NAMES) < _ENCODED_NAMES_MAX:
        _ENCODED_NAMES[name] = encoded_name
    return encoded_name


def _encode_table(table: FieldTable) -> bytes:
    """Encode a table, size included; raw errors escape (see the module doc).

    The content-property encoders inline this loop (see ``codec._INLINE_TABLE_ENCODE``).
    """
    parts: list[bytes] = []
    names = _ENCODED_NAMES
    for name, value in table.items():
        try:  # free in 3.11 when nothing is raised; a subscript is cheaper than .get
            parts.append(names[name])
        except KeyError:
            parts.append(_encode_name(name))
        kind = type(value)
        if kind is str:
            raw = value.encode()  # type: ignore[union-attr]
            size = len(raw)
            parts.append(TAGGED_STRING_SIZES[size] if size < SMALL else _tagged_len(b"S", size))
            parts.append(raw)
        elif kind is bool:
            parts.append(b"t\x01" if value else b"t\x00")
        elif kind is int:
            if 0 <= value < SMALL:  # type: ignore[operator]
                parts.append(TAGGED_SMALL_INTS[value])  # type: ignore[index]
            elif -0x8000_0000 <= value <= 0x7FFF_FFFF:  # type: ignore[operator]
                parts.append(_tagged_i32(b"I", value))
            else:
                parts.append(_tagged_i64(b"l", value))  # struct.error past 64 bits
        else:
            parts.append(_encode_tagged(value))
    data = b"".join(parts)
    size = len(data)
    return (LONGS[size] if size < SMALL else _pack_long(size)) + data


def _encode_array(array: FieldArray) -> bytes:
    data = b"".join([_encode_tagged(value) for value in array])
    return _pack_long(len(data)) + data


def _encode_tagged(value: FieldValue) -> bytes:
    """One tagged value.  Order matters: ``bool`` is an ``int``, ``str`` a sequence."""
    kind = type(value)
    if kind is str:
        raw = value.encode()  # type: ignore[union-attr]
        return _tagged_len(b"S", len(raw)) + raw
    if kind is bool:
        return b"t\x01" if value else b"t\x00"
    if kind is int or isinstance(value, int):
        number = int(value)  # type: ignore[arg-type]
        if -0x8000_0000 <= number <= 0x7FFF_FFFF:
            return _tagged_i32(b"I", number)
        return _tagged_i64(b"l", number)
    if isinstance(value, Mapping):
        return b"F" + _encode_table(value)
    if isinstance(value, float):
        if not _isfinite(value):
            raise EncodeError(_NOT_FINITE.format(value))
        return _tagged_f64(b"d", value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _tagged_len(b"x", len(value)) + bytes(value)
    if isinstance(value, (list, tuple)):
        return b"A" + _encode_array(value)
    if value is None:
        return b"V"
    if isinstance(value, datetime.datetime):
        return _tagged_u64(b"T", datetime_to_timestamp(value))  # struct.error before 1970
    if isinstance(value, decimal.Decimal):
        return _encode_decimal(value)
    if isinstance(value, str):
        return _encode_tagged(str(value))
    raise EncodeTypeError(f"cannot put a {kind.__name__} in a field table")


def _decimal_parts(value: decimal.Decimal) -> tuple[int, int] | None:
    """``(scale, unscaled)`` of a decimal, or ``None`` when AMQP cannot carry it.

    Exact: computed from the digits, not through a context that would round.
    """
    if not value.is_finite():
        return None
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite decimals have an int exponent
    unscaled = int("".join(map(str, digits)))
    if exponent > 0:
        if unscaled and exponent > 10:  # at least 10**11: no 32-bit value holds it
            return None
        unscaled *= 10**exponent
        exponent = 0
    if sign:
        unscaled = -unscaled
    if -exponent > 255 or not -0x8000_0000 <= unscaled <= 0x7FFF_FFFF:
        return None
    return -exponent, unscaled


def _encode_decimal(value: decimal.Decimal) -> bytes:
    parts = _decimal_parts(value)
    if parts is None:
        raise EncodeError(f"decimal {value} does not fit AMQP's scale octet and signed 32-bit value")
    return _tagged_decimal(b"D", *parts)


def table_error(value: object, where: str = "field table", *, array: bool = False) -> EncodeError:
    """The error that explains why a table (or, with ``array``, an array) cannot be encoded.

    Walks the value without recursion, so that self-containing or absurdly
    deep tables are explained too.  The message names the entry by its path
    below ``where``: ``"queue.declare.arguments['x'][0]: ..."``.
    """
    if array and not isinstance(value, (list, tuple)):
        return EncodeTypeError(f"{where}: a field array must be a list or tuple, got {type(value).__name__}")
    seen: set[int] = set()
    # (path, value, whether the value must be a table)
    stack: list[tuple[str, object, bool]] = [(where, value, not array)]
    while stack:
        path, item, must_be_table = stack.pop()
        if must_be_table and not isinstance(item, Mapping):
            return EncodeTypeError(f"{path}: a field table must be a mapping, got {type(item).__name__}")
        if isinstance(item, (Mapping, list, tuple)):
            if id(item) in seen:
                return EncodeError(f"{path}: a field table or array contains itself")
            seen.add(id(item))
        if isinstance(item, Mapping):
            for name, entry in item.items():
                if not isinstance(name, str):
                    return EncodeTypeError(f"{path}: field-table names must be str, got {name!r:.60}")
                entry_path = f"{path}[{name!r}]"
                try:
                    size = len(name.encode())
                except UnicodeEncodeError as exc:
                    return EncodeError(f"{entry_path}: the name is not UTF-8 encodable: {exc.reason}")
                if size > 255:
                    return EncodeError(f"{entry_path}: the name is {size} bytes long; at most 255 fit")
                stack.append((entry_path, entry, False))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{path}[{index}]", entry, False) for index, entry in enumerate(item))
        else:
            problem = _value_problem(item)
            if problem is not None:
                return type(problem)(f"{path}: {problem}")
    return EncodeError(f"{where} cannot be encoded")


def _value_problem(value: object) -> EncodeError | None:
    """What is wrong with one value that is not a table or an array, if anything."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return None if _isfinite(value) else EncodeError(_NOT_FINITE.format(value))
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            return EncodeError(f"integer {value} does not fit a signed 64-bit field-table value")
        return None
    if isinstance(value, str):
        try:
            size = len(value.encode())
        except UnicodeEncodeError as exc:
            return EncodeError(f"the string is not UTF-8 encodable: {exc.reason}")
        return EncodeError("the string is longer than 4 GiB") if size > 0xFFFF_FFFF else None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return EncodeError("the bytes are longer than 4 GiB") if len(value) > 0xFFFF_FFFF else None
    if isinstance(value, datetime.datetime):
        if not 0 <= datetime_to_timestamp(value) < 2**64:
            return EncodeError(f"timestamp {value} is before the Unix epoch")
        return None
    if isinstance(value, decimal.Decimal):
        if _decimal_parts(value) is None:
            return EncodeError(f"decimal {value} does not fit AMQP's scale octet and signed 32-bit value")
        return None
    return EncodeTypeError(f"cannot put a {type(value).__name__} in a field table: {value!r:.60}")


def encode_table(table: FieldTable) -> bytes:
    """Encode a field table, its 32-bit byte count included.

    Raises:
        EncodeError: a name over 255 bytes or a value out of range (names it).
        EncodeTypeError: a value of a type no tag carries (names it).
    """
    if not table:
        return b"\x00\x00\x00\x00"
    try:
        encoded = _encode_table(table)
    except RAW_ENCODE_ERRORS as exc:
        raise table_error(table) from exc
    if len(encoded) > 0xFFFF_FFFF + 4:
        raise EncodeError("field table is larger than 4 GiB")
    return encoded


def encode_array(array: FieldArray) -> bytes:
    """Encode a field array, its 32-bit byte count included.

    Raises:
        EncodeError, EncodeTypeError: as :func:`encode_table`.
    """
    try:
        return _encode_array(array)
    except RAW_ENCODE_ERRORS as exc:
        raise table_error(array, "field array", array=True) from exc


# -- decoding ---------------------------------------------------------------
#
# Each reader takes (buffer, offset) just past the tag and returns
# (value, new offset).  Buffers are bytes or bytearray (the public functions
# copy a memoryview first).  A read past the end of the buffer surfaces as
# struct.error or IndexError; a read past the *table's* end, or a string cut
# short by the buffer's end, is caught by the size check at the end.

_Reader = Callable[[Any, int], tuple[FieldValue, int]]


def _fixed_reader(fmt: str) -> _Reader:
    unpack = struct.Struct(">" + fmt).unpack_from
    size = struct.calcsize(">" + fmt)

    def read(buf: Any, offset: int) -> tuple[FieldValue, int]:
        return unpack(buf, offset)[0], offset + size

    return read


def _read_bool(buf: Any, offset: int) -> tuple[FieldValue, int]:
    return buf[offset] != 0, offset + 1


def _read_long_string(buf: Any, offset: int) -> tuple[FieldValue, int]:
    (size,) = _unpack_long(buf, offset)
    offset += 4
    end = offset + size
    raw = bytes(buf[offset:end])
    try:
        return raw.decode(), end
    except UnicodeDecodeError:
        # RabbitMQ also uses S for binary values; hand them over as bytes.
        return raw, end


def _read_bytes(buf: Any, offset: int) -> tuple[FieldValue, int]:
    (size,) = _unpack_long(buf, offset)
    offset += 4
    return bytes(buf[offset : offset + size]), offset + size


_read_u64 = struct.Struct(">Q").unpack_from
_read_scaled = struct.Struct(">Bi").unpack_from


def _read_timestamp(buf: Any, offset: int) -> tuple[FieldValue, int]:
    return timestamp_to_datetime(_read_u64(buf, offset)[0]), offset + 8


def _read_decimal(buf: Any, offset: int) -> tuple[FieldValue, int]:
    scale, unscaled = _read_scaled(buf, offset)
    return decimal.Decimal(unscaled).scaleb(-scale), offset + 5


def _read_void(buf: Any, offset: int) -> tuple[FieldValue, int]:
    return None, offset


#: Compiled below from TABLE_DECODE_SOURCE; the readers refer to it for nested tables.
_decode_table: Callable[[Any, int], tuple[dict[str, FieldValue], int]]

_READERS: dict[int, _Reader] = {
    ord("t"): _read_bool,
    ord("b"): _fixed_reader("b"),
    ord("B"): _fixed_reader("B"),
    ord("s"): _fixed_reader("h"),
    ord("u"): _fixed_reader("H"),
    ord("I"): _fixed_reader("i"),
    ord("i"): _fixed_reader("I"),
    ord("l"): _fixed_reader("q"),
    ord("f"): _fixed_reader("f"),
    ord("d"): _fixed_reader("d"),
    ord("D"): _read_decimal,
    ord("S"): _read_long_string,
    ord("x"): _read_bytes,
    ord("A"): lambda buf, offset: _decode_array(buf, offset),
    ord("T"): _read_timestamp,
    ord("F"): lambda buf, offset: _decode_table(buf, offset),
    ord("V"): _read_void,
}


def _unknown_tag(tag: int) -> AMQPSyntaxError:
    return AMQPSyntaxError(f"unknown field-table value tag {chr(tag)!r} (0x{tag:02x})")


#: The one field-table decoding loop, as source: :func:`_decode_table` is
#: compiled from it, and the content-header decoders of
#: :mod:`amqproto.wire.codec` inline it (saving a call and a tuple per
#: message).  It reads the table at ``off`` in ``buf`` into the variable
#: ``{name}``, leaves ``off`` after it, and refuses a table that overruns
#: ``end``; errors carry ``{class_id}``.  The tags RabbitMQ and most clients
#: send are handled inline, the rest through ``_TABLE_READERS``.
TABLE_DECODE_SOURCE = """\
{name} = {{}}
n = off + 4 + unpack_I(buf, off)[0]
off += 4
if n > end:
    raise AMQPSyntaxError('field table of ' + str(n - off) + ' bytes overruns its frame', {class_id})
while off < n:
    start = off + 1
    off = start + buf[off]
    name = buf[start:off].decode()
    tag = buf[off]
    if tag == 83:  # S
        start = off + 5
        off = start + unpack_I(buf, off + 1)[0]
        raw = buf[start:off]
        try:
            {name}[name] = raw.decode()
        except UnicodeDecodeError:  # RabbitMQ also sends binary values as S
            {name}[name] = bytes(raw)
    elif tag == 116:  # t
        {name}[name] = buf[off + 1] != 0
        off += 2
    elif tag == 73:  # I
        {name}[name] = unpack_i(buf, off + 1)[0]
        off += 5
    else:
        reader = _TABLE_READERS.get(tag)
        if reader is None:
            raise _unknown_tag(tag)
        {name}[name], off = reader(buf, off + 1)
if off != n:
    raise AMQPSyntaxError("field-table value overruns the table's size", {class_id})"""


def _compile_decode_table() -> Callable[[Any, int], tuple[dict[str, FieldValue], int]]:
    body = TABLE_DECODE_SOURCE.format(name="table", class_id=0)
    source = [
        "def _decode_table(buf, off):",
        '    """Decode a table from bytes or bytearray; raw errors escape (see the module doc)."""',
        "    end = len(buf)",
        *indent(body.splitlines()),
        "    return table, off",
    ]
    namespace: dict[str, Any] = {
        "unpack_I": _unpack_long,
        "unpack_i": _unpack_i32,
        "_TABLE_READERS": _READERS,
        "_unknown_tag": _unknown_tag,
        "AMQPSyntaxError": AMQPSyntaxError,
    }
    decode: Callable[[Any, int], tuple[dict[str, FieldValue], int]] = compile_function(
        "\n".join(source), "_decode_table", namespace, __name__
    )
    return decode


_decode_table = _compile_decode_table()


def _decode_array(
    buf: Any, offset: int, readers: dict[int, _Reader] = _READERS
) -> tuple[list[FieldValue], int]:
    """Decode an array through ``readers`` (the general path passes its own); raw errors escape."""
    (size,) = _unpack_long(buf, offset)
    offset += 4
    end = offset + size
    if end > len(buf):
        raise AMQPSyntaxError(f"field array of {size} bytes overruns its frame")
    array: list[FieldValue] = []
    append = array.append
    while offset < end:
        tag = buf[offset]
        reader = readers.get(tag)
        if reader is None:
            raise _unknown_tag(tag)
        value, offset = reader(buf, offset + 1)
        append(value)
    if offset != end:
        raise AMQPSyntaxError("field-array value overruns the array's size")
    return array, offset


# -- the general path of decoding: no inlined tags, no timestamp cache -----------
#
# The compiled _decode_table inlines the common tags, and the readers share
# the timestamp cache.  These plain loops read every value through its
# reader, tables and arrays through themselves: they are what the compiled
# code must equal (tests/wire/test_fast_paths.py) and, after a compiled
# decoder failed, they tell malformed input (they fail too) from a bug in
# the compiled code (they do not; see codec.decode_failure).


def _slow_read_timestamp(buf: Any, offset: int) -> tuple[FieldValue, int]:
    return _fromtimestamp(_read_u64(buf, offset)[0], _UTC), offset + 8


def slow_decode_table(buf: Any, offset: int) -> tuple[dict[str, FieldValue], int]:
    """:func:`_decode_table`'s general path; raw errors escape."""
    (size,) = _unpack_long(buf, offset)
    offset += 4
    end = offset + size
    if end > len(buf):
        raise AMQPSyntaxError(f"field table of {size} bytes overruns its frame")
    table: dict[str, FieldValue] = {}
    while offset < end:
        name_end = offset + 1 + buf[offset]
        name = bytes(buf[offset + 1 : name_end]).decode()
        if name_end > end:
            raise AMQPSyntaxError("field-table name overruns the table's size")
        reader = _SLOW_READERS.get(buf[name_end])
        if reader is None:
            raise _unknown_tag(buf[name_end])
        table[name], offset = reader(buf, name_end + 1)
    if offset != end:
        raise AMQPSyntaxError("field-table value overruns the table's size")
    return table, offset


def slow_decode_array(buf: Any, offset: int) -> tuple[list[FieldValue], int]:
    """:func:`_decode_array`'s general path (the same loop through the plain readers); raw errors escape."""
    return _decode_array(buf, offset, _SLOW_READERS)


_SLOW_READERS: dict[int, _Reader] = {
    **_READERS,
    ord("T"): _slow_read_timestamp,
    ord("A"): slow_decode_array,
    ord("F"): slow_decode_table,
}


def _from(buf: Buffer, offset: int) -> tuple[bytes | bytearray, int]:
    """A buffer the raw decoders read (bytes or bytearray) and the offset in it.

    A ``memoryview`` is copied from ``offset`` on, not from its start.
    """
    if isinstance(buf, memoryview):
        return buf[offset:].tobytes(), 0
    return buf, offset


def decode_table(buf: Buffer, offset: int = 0) -> tuple[dict[str, FieldValue], int]:
    """Decode the field table at ``offset``; return it and the offset after it.

    Raises:
        AMQPSyntaxError: the table is truncated, overruns its size, has an
            unknown tag or a name that is not UTF-8, or nests too deeply.
    """
    data, start = _from(buf, offset)
    try:
        table, end = _decode_table(data, start)
    except RAW_DECODE_ERRORS as exc:
        raise AMQPSyntaxError(f"malformed field table: {exc}") from exc
    return table, end - start + offset


def decode_array(buf: Buffer, offset: int = 0) -> tuple[list[FieldValue], int]:
    """Decode the field array at ``offset``; return it and the offset after it.

    Raises:
        AMQPSyntaxError: as :func:`decode_table`.
    """
    data, start = _from(buf, offset)
    try:
        array, end = _decode_array(data, start)
    except RAW_DECODE_ERRORS as exc:
        raise AMQPSyntaxError(f"malformed field array: {exc}") from exc
    return array, end - start + offset
