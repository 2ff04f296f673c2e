"""Values on the command line and messages on stdout.

In: ``k=v`` options.  A value is read as JSON when it is valid JSON
(``10``, ``1.5``, ``true``, ``null``, ``[1, 2]``, ``{"a": 1}``,
``"quoted"``) and taken as a plain string otherwise, so
``--argument x-max-length=10`` gives the integer the broker insists on while
``--header user=alice`` stays a string (``--header id='"10"'`` forces one).
``--property name=value`` is converted to the type of that
:class:`~amqproto.schema.BasicProperties` field, read from the dataclass's
annotations (through :func:`amqproto.wire._introspect.fields_of`, the one
place that reads them), so a property added to the schema is accepted here
unchanged.

Out: a message as one JSON object (:func:`message_json`).  JSON has no
bytes, decimals, dates or non-finite floats, so those are written as

=======================  =================================================
``bytes``                ``{"base64": "..."}`` (the body: a string when it
                         is UTF-8, this object otherwise)
``decimal.Decimal``      its exact value as a string, ``"3.14"``
``datetime``             ISO 8601 in UTC, ``"2026-11-29T21:00:00+00:00"``
``float`` nan, ±inf      ``"nan"``, ``"inf"``, ``"-inf"``
field table / array      a JSON object / array, converted the same way
=======================  =================================================
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..schema import BasicProperties
from ..schema.types import FieldValue
from ..wire._introspect import fields_of

__all__ = [
    "UsageError",
    "field_value",
    "key_value",
    "typed_pair",
    "property_pair",
    "message_properties",
    "PROPERTY_NAMES",
    "json_value",
    "message_json",
]


class UsageError(ValueError):
    """A command-line value that cannot be used; the CLI exits with status 2."""


def field_value(text: str) -> FieldValue:
    """``text`` as JSON when it parses as JSON, else the string itself."""
    try:
        value: FieldValue = json.loads(text)
    except ValueError:
        return text
    return value


def key_value(text: str) -> tuple[str, str]:
    """Split ``key=value`` at its first ``=``.

    Raises:
        UsageError: no ``=``, or an empty key.
    """
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise UsageError(f"expected key=value, got {text!r}")
    return key, value


def typed_pair(text: str) -> tuple[str, FieldValue]:
    """``key=value`` with the value read by :func:`field_value` (``--header``, ``--argument``)."""
    key, value = key_value(text)
    return key, field_value(value)


def _property_types() -> dict[str, type]:
    """Each settable property's name and Python type (``str | None`` gives ``str``).

    ``headers`` is left out: it has its own option, ``--header``.
    """
    return {
        spec.name: spec.python_type
        for spec in fields_of(BasicProperties)
        if isinstance(spec.python_type, type) and spec.name != "headers"
    }


_PROPERTY_TYPES = _property_types()
#: The names ``--property`` accepts.
PROPERTY_NAMES: tuple[str, ...] = tuple(_PROPERTY_TYPES)


def _timestamp(text: str) -> datetime.datetime:
    """Seconds since the epoch, or ISO 8601 (UTC unless it names a zone)."""
    try:
        return datetime.datetime.fromtimestamp(int(text), datetime.UTC)
    except ValueError:
        pass
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"timestamp {text!r} is neither seconds since the epoch nor ISO 8601") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def _property_value(name: str, text: str) -> object:
    kind = _PROPERTY_TYPES.get(name)
    if kind is None:
        hint = " (use --header for headers)" if name == "headers" else ""
        raise UsageError(f"unknown property {name!r}{hint}; known: {', '.join(PROPERTY_NAMES)}")
    if kind is datetime.datetime:
        return _timestamp(text)
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"property {name} must be an integer, not {text!r}") from None
    return kind(text)


def property_pair(text: str) -> tuple[str, object]:
    """``name=value`` for ``--property``, the value converted to the property's type.

    Raises:
        UsageError: an unknown property, or a value of the wrong type.
    """
    name, value = key_value(text)
    return name, _property_value(name, value)


def message_properties(
    properties: Iterable[tuple[str, object]],
    headers: Iterable[tuple[str, FieldValue]],
    *,
    persistent: bool = False,
) -> BasicProperties:
    """The message properties from :func:`property_pair` and :func:`typed_pair` results."""
    values: dict[str, Any] = dict(properties)
    table = dict(headers)
    if table:
        values["headers"] = table
    if persistent:
        values["delivery_mode"] = 2
    return BasicProperties(**values)


def json_value(value: object) -> Any:
    """A field value (or property) as JSON data, by the rules in the module header."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    return str(value)


def _body_json(body: bytes) -> Any:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return json_value(body)


def message_json(
    body: bytes, properties: BasicProperties, exchange: str, routing_key: str, redelivered: bool
) -> str:
    """One line of JSON: body, exchange, routing key, redelivered, and the
    properties that are set (``headers`` always, ``{}`` when there are none)."""
    present = {
        prop.name: json_value(getattr(properties, prop.name))
        for prop in dataclasses.fields(properties)
        if getattr(properties, prop.name) is not None
    }
    present["headers"] = json_value(properties.headers or {})
    document = {
        "body": _body_json(body),
        "exchange": exchange,
        "routing_key": routing_key,
        "redelivered": redelivered,
        "properties": present,
    }
    return json.dumps(document, ensure_ascii=False, allow_nan=False)
