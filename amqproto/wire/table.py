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
``float`` as ``d``, ``bytes`` as ``x``.

Decoding reads from any buffer (``bytes``, ``bytearray``, ``memoryview``) at
an offset and returns the new offset, never slicing the input to move on.
Malformed input raises :class:`~amqproto.exceptions.AMQPSyntaxError`.
"""

from __future__ import annotations

import calendar
import datetime
import decimal
import struct
from collections.abc import Callable, Mapping
from typing import Any

from ..exceptions import AMQPSyntaxError, EncodeError, EncodeTypeError
from ..schema.types import FieldArray, FieldTable, FieldValue

__all__ = [
    "encode_table",
    "decode_table",
    "encode_array",
    "decode_array",
    "datetime_to_timestamp",
    "timestamp_to_datetime",
]

_UTC = datetime.timezone.utc

_pack_long = struct.Struct(">I").pack
_unpack_long = struct.Struct(">I").unpack_from
_tagged_i32 = struct.Struct(">ci").pack
_tagged_i64 = struct.Struct(">cq").pack
_tagged_f64 = struct.Struct(">cd").pack
_tagged_u64 = struct.Struct(">cQ").pack
_tagged_decimal = struct.Struct(">cBi").pack
_tagged_len = struct.Struct(">cI").pack

Buffer = bytes | bytearray | memoryview


def datetime_to_timestamp(value: datetime.datetime) -> int:
    """Whole seconds since the epoch; a naive ``datetime`` is taken as UTC."""
    return calendar.timegm(value.utctimetuple())


def timestamp_to_datetime(seconds: int) -> datetime.datetime:
    """An aware UTC ``datetime``; raises ``AMQPSyntaxError`` when out of range."""
    try:
        return datetime.datetime.fromtimestamp(seconds, _UTC)
    except (OverflowError, OSError, ValueError):
        raise AMQPSyntaxError(f"timestamp {seconds} is out of range") from None


# -- encoding ---------------------------------------------------------------


def _encode_short_name(name: str, parts: list[bytes]) -> None:
    raw = name.encode()
    if len(raw) > 255:
        msg = f"field-table name {name[:40]!r}... is longer than 255 bytes"
        raise EncodeError(msg)
    parts.append(bytes((len(raw),)))
    parts.append(raw)


def _encode_value(value: FieldValue, parts: list[bytes]) -> None:
    # Order matters: bool is an int, and str/bytes are sequences.
    kind = type(value)
    if kind is str:
        raw = value.encode()  # type: ignore[union-attr]
        parts.append(_tagged_len(b"S", len(raw)))
        parts.append(raw)
    elif kind is bool:
        parts.append(b"t\x01" if value else b"t\x00")
    elif kind is int or isinstance(value, int) and not isinstance(value, bool):
        number: int = value  # type: ignore[assignment]
        if -0x8000_0000 <= number <= 0x7FFF_FFFF:
            parts.append(_tagged_i32(b"I", number))
        elif -0x8000_0000_0000_0000 <= number <= 0x7FFF_FFFF_FFFF_FFFF:
            parts.append(_tagged_i64(b"l", number))
        else:
            msg = f"integer {number} does not fit a signed 64-bit field-table value"
            raise EncodeError(msg)
    elif isinstance(value, Mapping):
        parts.append(b"F")
        parts.append(encode_table(value))
    elif kind is float:
        parts.append(_tagged_f64(b"d", value))
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw_bytes = bytes(value)
        parts.append(_tagged_len(b"x", len(raw_bytes)))
        parts.append(raw_bytes)
    elif isinstance(value, (list, tuple)):
        parts.append(b"A")
        parts.append(encode_array(value))
    elif value is None:
        parts.append(b"V")
    elif isinstance(value, datetime.datetime):
        parts.append(_tagged_u64(b"T", datetime_to_timestamp(value)))
    elif isinstance(value, decimal.Decimal):
        parts.append(_encode_decimal(value))
    elif isinstance(value, float):
        parts.append(_tagged_f64(b"d", value))
    elif isinstance(value, str):
        _encode_value(str(value), parts)
    else:
        msg = f"cannot put a {kind.__name__} in a field table: {value!r}"
        raise EncodeTypeError(msg)


def _encode_decimal(value: decimal.Decimal) -> bytes:
    if not value.is_finite():
        msg = f"decimal {value} cannot be encoded"
        raise EncodeError(msg)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite decimals have an int exponent
    scale = -exponent if exponent < 0 else 0
    unscaled = int(value.scaleb(scale))
    if scale > 255 or not -0x8000_0000 <= unscaled <= 0x7FFF_FFFF:
        msg = f"decimal {value} does not fit AMQP's scale octet and 32-bit value"
        raise EncodeError(msg)
    return _tagged_decimal(b"D", scale, unscaled)


def encode_table(table: FieldTable) -> bytes:
    """Encode a field table, its 32-bit byte count included.

    Raises:
        EncodeError: a name over 255 bytes or a value out of range.
        EncodeTypeError: a value of a type no tag carries.
    """
    if not table:
        return b"\x00\x00\x00\x00"
    parts: list[bytes] = [b""]
    try:
        for name, value in table.items():
            _encode_short_name(name, parts)
            _encode_value(value, parts)
    except AttributeError:
        msg = f"field-table names must be str, got {table!r}"
        raise EncodeTypeError(msg) from None
    body_size = sum(map(len, parts))
    if body_size > 0xFFFF_FFFF:
        raise EncodeError("field table is larger than 4 GiB")
    parts[0] = _pack_long(body_size)
    return b"".join(parts)


def encode_array(array: FieldArray) -> bytes:
    """Encode a field array, its 32-bit byte count included."""
    parts: list[bytes] = [b""]
    for value in array:
        _encode_value(value, parts)
    parts[0] = _pack_long(sum(map(len, parts)))
    return b"".join(parts)


# -- decoding ---------------------------------------------------------------
#
# Each reader takes (buffer, offset) just past the tag and returns
# (value, new offset).  A read past the end of the buffer surfaces as
# struct.error or IndexError, which decode_table turns into AMQPSyntaxError;
# a read past the *table's* end is caught by the size check.

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


def _read_table(buf: Any, offset: int) -> tuple[FieldValue, int]:
    return decode_table(buf, offset)


def _read_array(buf: Any, offset: int) -> tuple[FieldValue, int]:
    return decode_array(buf, offset)


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
    ord("A"): _read_array,
    ord("T"): _read_timestamp,
    ord("F"): _read_table,
    ord("V"): _read_void,
}


def _read_tagged(buf: Any, offset: int) -> tuple[FieldValue, int]:
    tag = buf[offset]
    reader = _READERS.get(tag)
    if reader is None:
        msg = f"unknown field-table value tag {chr(tag)!r} (0x{tag:02x})"
        raise AMQPSyntaxError(msg)
    return reader(buf, offset + 1)


def decode_table(buf: Buffer, offset: int = 0) -> tuple[dict[str, FieldValue], int]:
    """Decode the field table at ``offset``; return it and the offset after it.

    Raises:
        AMQPSyntaxError: the table is truncated, overruns its size, has an
            unknown tag or a name that is not UTF-8.
    """
    try:
        (size,) = _unpack_long(buf, offset)
        offset += 4
        end = offset + size
        if end > len(buf):
            msg = f"field table of {size} bytes overruns its frame"
            raise AMQPSyntaxError(msg)
        table: dict[str, FieldValue] = {}
        while offset < end:
            name_size = buf[offset]
            offset += 1
            name = str(buf[offset : offset + name_size], "utf-8")
            offset += name_size
            table[name], offset = _read_tagged(buf, offset)
    except (struct.error, IndexError, UnicodeDecodeError, RecursionError) as exc:
        raise AMQPSyntaxError(f"malformed field table: {exc}") from None
    if offset != end:
        raise AMQPSyntaxError("field-table value overruns the table's size")
    return table, offset


def decode_array(buf: Buffer, offset: int = 0) -> tuple[list[FieldValue], int]:
    """Decode the field array at ``offset``; return it and the offset after it."""
    try:
        (size,) = _unpack_long(buf, offset)
        offset += 4
        end = offset + size
        if end > len(buf):
            msg = f"field array of {size} bytes overruns its frame"
            raise AMQPSyntaxError(msg)
        array: list[FieldValue] = []
        while offset < end:
            value, offset = _read_tagged(buf, offset)
            array.append(value)
    except (struct.error, IndexError, RecursionError) as exc:
        raise AMQPSyntaxError(f"malformed field array: {exc}") from None
    if offset != end:
        raise AMQPSyntaxError("field-array value overruns the array's size")
    return array, offset
