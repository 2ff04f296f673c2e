"""AMQP 0-9-1 wire types, as markers for ``typing.Annotated``.

A schema field is declared as ``Annotated[<python type>, <wire type>]``:
mypy sees the Python type, and the codec in :mod:`amqproto.wire` reads the
wire type once, when it compiles the class.  The markers here carry only what
the codec needs to know to lay a value out on the wire (a ``struct`` format
for fixed-width types), never how to do it: the schema imports nothing else
of amqproto's.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, TypeAlias, Union

__all__ = [
    "WireType",
    "Octet",
    "Short",
    "Long",
    "LongLong",
    "Bit",
    "ShortStr",
    "LongStr",
    "Table",
    "Timestamp",
    "FieldValue",
    "FieldTable",
    "FieldArray",
]


class WireType:
    """Base of the wire-type markers.  Never instantiated."""

    #: The spec's name of the type (``"octet"``, ``"shortstr"``, ...).
    name: ClassVar[str]
    #: ``struct`` format for fixed-width types, ``None`` for variable ones.
    struct_format: ClassVar[str | None] = None
    #: Inclusive range of a fixed-width integer.
    min_value: ClassVar[int] = 0
    max_value: ClassVar[int] = 0


class Octet(WireType):
    """An unsigned 8-bit integer."""

    name = "octet"
    struct_format = "B"
    max_value = 0xFF


class Short(WireType):
    """An unsigned 16-bit integer, network byte order."""

    name = "short"
    struct_format = "H"
    max_value = 0xFFFF


class Long(WireType):
    """An unsigned 32-bit integer, network byte order."""

    name = "long"
    struct_format = "I"
    max_value = 0xFFFF_FFFF


class LongLong(WireType):
    """An unsigned 64-bit integer, network byte order."""

    name = "longlong"
    struct_format = "Q"
    max_value = 0xFFFF_FFFF_FFFF_FFFF


class Bit(WireType):
    """A single bit.  Consecutive bits pack into octets, low bit first."""

    name = "bit"


class ShortStr(WireType):
    """A UTF-8 string of at most 255 octets, preceded by an octet length."""

    name = "shortstr"


class LongStr(WireType):
    """Opaque octets preceded by an unsigned 32-bit length.

    The spec leaves the content binary; the schema decides per field whether
    it is text (``str``, UTF-8) or ``bytes``.
    """

    name = "longstr"


class Table(WireType):
    """A field table: an unsigned 32-bit size, then name/tag/value triples."""

    name = "table"


class Timestamp(WireType):
    """Seconds since the Unix epoch as an unsigned 64-bit integer."""

    name = "timestamp"
    struct_format = "Q"
    max_value = 0xFFFF_FFFF_FFFF_FFFF


#: How deeply the run-time form of :data:`FieldValue` nests tables and
#: arrays in a table (see there); mypy's form has no limit.
RUNTIME_NESTING = 4

#: What a field-table value may be.  ``bool`` before ``int``: booleans
#: encode as ``t``; ``bytes`` encode as ``x``; floats as ``d`` (finite ones:
#: RabbitMQ refuses NaN and infinities).
#:
#: For mypy the alias is recursive: a value may be a table or an array of
#: values, to any depth.  At run time it is the same alias *unrolled* to
#: :data:`RUNTIME_NESTING` levels of tables and arrays, whose innermost
#: values are scalars.  A recursive alias needs a forward reference, and on
#: Python 3.11 no forward reference works for every consumer:
#: ``typing.get_type_hints`` resolves it in the globals of the class being
#: inspected (a schema class or an event, which do not import
#: ``FieldArray``), and hypothesis' ``st.from_type`` cannot resolve the one
#: that is left where the recursion closes.  Unrolled, every public class
#: resolves its hints plainly and builds with ``st.from_type``.  The codec
#: does not read these types (only the wire-type markers), and encodes
#: tables of any depth.
if TYPE_CHECKING:
    FieldValue: TypeAlias = (
        bool | int | float | decimal.Decimal | str | bytes | datetime.datetime
        | "FieldArray" | "FieldTable" | None
    )
else:
    _SCALARS = (bool, int, float, decimal.Decimal, str, bytes, datetime.datetime, None)

    def _unrolled(depth: int) -> object:
        value: object = Union[_SCALARS]  # noqa: UP007 - a union of a tuple's members: `|` has no such form
        for _ in range(depth):
            value = Union[(*_SCALARS, Sequence[value], Mapping[str, value])]
        return value

    FieldValue = _unrolled(RUNTIME_NESTING)
#: A field table.  The decoder returns a plain ``dict``; the encoder takes
#: any mapping (``Mapping`` rather than ``dict`` so that a ``dict[str, int]``
#: type-checks as a table).
FieldTable: TypeAlias = Mapping[str, FieldValue]
#: A field array (tag ``A``).  The decoder returns a ``list``; the encoder
#: takes a ``list`` or ``tuple``.
FieldArray: TypeAlias = Sequence[FieldValue]
