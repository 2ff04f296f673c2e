"""Hypothesis strategies for the wire layer, derived from the schema's annotations.

Every strategy here is built by reflection: a method's strategy comes from
:func:`amqproto.wire._introspect.fields_of`, the same field list the codec
compiles, so a field added to the schema is drawn (and round-tripped) without
touching the tests.  The one hand-written mapping is :func:`for_wire_type`,
from a wire-type marker to the values it can carry.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from amqproto.schema import (
    METHODS,
    BasicProperties,
    Bit,
    FieldValue,
    Long,
    LongLong,
    LongStr,
    Method,
    Octet,
    Short,
    ShortStr,
    Table,
    Timestamp,
    WireType,
)
from amqproto.wire import ContentBodyFrame, ContentHeaderFrame, Frame, HeartbeatFrame, MethodFrame
from amqproto.wire._introspect import FieldSpec, fields_of

UTC = datetime.UTC

#: Every method class, sorted by (class id, method id) for stable test ids.
ALL_METHODS: list[type[Method]] = [METHODS[key] for key in sorted(METHODS)]


def short_text(max_bytes: int = 255) -> st.SearchStrategy[str]:
    """Text whose UTF-8 encoding is at most ``max_bytes`` long.

    Cutting the encoding (rather than filtering) keeps the boundary reachable
    without rejections; ``ignore`` drops a character split by the cut.
    """
    return st.text(max_size=max_bytes).map(lambda s: s.encode()[:max_bytes].decode("utf-8", "ignore"))


def short_bytes(max_bytes: int = 255) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=max_bytes)


def whole_second_datetimes(max_year: int = 9999) -> st.SearchStrategy[datetime.datetime]:
    """Aware UTC datetimes in whole seconds, from the epoch on: what a timestamp carries."""
    return st.datetimes(
        min_value=datetime.datetime(1970, 1, 1),
        max_value=datetime.datetime(max_year, 12, 31, 23, 59, 59),
        timezones=st.just(UTC),
    ).map(lambda value: value.replace(microsecond=0))


def decimals() -> st.SearchStrategy[decimal.Decimal]:
    """Decimals a ``D`` value carries exactly: a scale octet and a signed 32-bit value."""
    return st.builds(
        lambda unscaled, scale: decimal.Decimal(unscaled).scaleb(-scale),
        st.integers(-(2**31), 2**31 - 1),
        st.integers(0, 255),
    )


def field_scalars(
    *,
    floats: st.SearchStrategy[float] | None = None,
    binary: st.SearchStrategy[FieldValue] | None = None,
    max_year: int = 9999,
) -> st.SearchStrategy[FieldValue]:
    """Every non-container field-table value, integers across all ranges.

    ``floats`` defaults to every finite float (the encoder refuses NaN and
    infinities, see ``test_errors``); ``binary`` to short ``bytes``.
    """
    return st.one_of(
        st.booleans(),
        # Edges of every integer tag the decoder knows, and anything between.
        st.integers(-(2**63), 2**63 - 1),
        st.sampled_from([-(2**63), -(2**31) - 1, -(2**31), -1, 0, 255, 2**31 - 1, 2**31, 2**32, 2**63 - 1]),
        decimals(),
        st.text(max_size=40),
        st.binary(max_size=40) if binary is None else binary,
        whole_second_datetimes(max_year),
        st.none(),
        st.floats(allow_nan=False, allow_infinity=False) if floats is None else floats,
    )


def field_tables(
    scalars: st.SearchStrategy[FieldValue] | None = None,
    *,
    max_key_bytes: int = 255,
) -> st.SearchStrategy[dict[str, FieldValue]]:
    """Field tables with nested arrays (lists) and tables (dicts) of any value."""
    leaves = field_scalars() if scalars is None else scalars
    keys = short_text(max_key_bytes)

    def extend(children: st.SearchStrategy[FieldValue]) -> st.SearchStrategy[FieldValue]:
        return st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4)

    values = st.recursive(leaves, extend, max_leaves=12)
    return st.dictionaries(keys, values, max_size=5)


def for_wire_type(
    spec: FieldSpec,
    *,
    tables: Callable[[], st.SearchStrategy[Any]] = field_tables,
    binary: st.SearchStrategy[bytes] | None = None,
    longlong: st.SearchStrategy[int] | None = None,
    max_year: int = 9999,
) -> st.SearchStrategy[Any]:
    """The values a field of this wire type (and Python type) can carry.

    The keywords narrow a strategy for an oracle with narrower semantics:
    ``tables`` makes the strategy of table fields, ``binary`` (default: any
    bytes) is that of long strings typed ``bytes``, ``longlong`` (default:
    the whole unsigned range) that of longlong fields; timestamps stop at
    the end of ``max_year``.
    """
    wire: type[WireType] = spec.wire
    strategy: st.SearchStrategy[Any]
    if wire is Bit:
        strategy = st.booleans()
    elif wire is LongLong and longlong is not None:
        strategy = longlong
    elif wire in (Octet, Short, Long, LongLong):
        strategy = st.integers(wire.min_value, wire.max_value)
    elif wire is Timestamp:
        strategy = whole_second_datetimes(max_year)
    elif wire is ShortStr:
        strategy = short_bytes() if spec.python_type is bytes else short_text()
    elif wire is LongStr:
        if spec.python_type is bytes:
            strategy = st.binary(max_size=300) if binary is None else binary
        else:
            strategy = st.text(max_size=300)
    elif wire is Table:
        strategy = tables()
    else:  # pragma: no cover - a new wire type needs a strategy here
        raise AssertionError(f"no strategy for wire type {wire.__name__} of {spec.name}")
    return st.none() | strategy if spec.optional else strategy


def instances_of(
    cls: type[Any],
    *,
    tables: Callable[[], st.SearchStrategy[Any]] = field_tables,
    binary: st.SearchStrategy[bytes] | None = None,
    longlong: st.SearchStrategy[int] | None = None,
    max_year: int = 9999,
) -> st.SearchStrategy[Any]:
    """Instances of a schema dataclass, each field drawn from its wire type (see :func:`for_wire_type`)."""
    fields = {
        spec.name: for_wire_type(spec, tables=tables, binary=binary, longlong=longlong, max_year=max_year)
        for spec in fields_of(cls)
    }
    return st.builds(cls, **fields)


def methods() -> st.SearchStrategy[Method]:
    """Any method of the schema."""
    return st.sampled_from(ALL_METHODS).flatmap(instances_of)


def properties() -> st.SearchStrategy[BasicProperties]:
    return instances_of(BasicProperties)


channels = st.integers(0, 0xFFFF)


def frames() -> st.SearchStrategy[Frame]:
    """Any frame a connection carries after the protocol header."""
    return st.one_of(
        st.builds(MethodFrame, channels, methods()),
        st.builds(ContentHeaderFrame, channels, st.integers(0, 2**64 - 1), properties()),
        st.builds(ContentBodyFrame, channels, st.binary(max_size=200)),
        st.just(HeartbeatFrame()),
    )

