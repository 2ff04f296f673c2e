"""Read a schema class's ``Annotated`` wire types, once.

This is the one place that inspects annotations and dataclass internals, so
that Python-version drift in ``typing`` and ``dataclasses`` stays here.  A
field without exactly one wire-type marker is a ``TypeError`` at import,
naming the class and the field.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Annotated, Any, NamedTuple, Union, get_args, get_origin, get_type_hints

from ..schema.types import WireType

# Re-exported for amqproto/channel.py, which imports it from here; the speed
# tricks live in _fast.py.  Drop this once channel.py imports from there.
from ._fast import slots_twin as slots_twin

__all__ = ["FieldSpec", "fields_of"]


class FieldSpec(NamedTuple):
    """One field of a schema class, as the codec compiler sees it."""

    #: The attribute name.
    name: str
    #: The wire-type marker (``Octet``, ``ShortStr``, ...).
    wire: type[WireType]
    #: The Python type without ``None`` (``str``, ``bytes``, ``int``, ...).
    python_type: Any
    #: Whether ``None`` is allowed (content properties).
    optional: bool


_cache: dict[type, tuple[FieldSpec, ...]] = {}


def fields_of(cls: type) -> tuple[FieldSpec, ...]:
    """The wire fields of a dataclass, in declaration (= wire) order."""
    cached = _cache.get(cls)
    if cached is not None:
        return cached
    hints = get_type_hints(cls, include_extras=True)
    specs = []
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        if get_origin(hint) is not Annotated:
            msg = f"{cls.__name__}.{field.name} has no wire type: annotate it Annotated[T, <WireType>]"
            raise TypeError(msg)
        python_type, *metadata = get_args(hint)
        markers = [m for m in metadata if isinstance(m, type) and issubclass(m, WireType)]
        if len(markers) != 1:
            msg = f"{cls.__name__}.{field.name} needs exactly one wire type, found {markers}"
            raise TypeError(msg)
        optional = False
        if get_origin(python_type) in (Union, types.UnionType):
            members = [t for t in get_args(python_type) if t is not type(None)]
            optional = len(members) != len(get_args(python_type))
            # A union of a list's members, rebuilt: `|` has no form for that.
            python_type = members[0] if len(members) == 1 else Union[tuple(members)]  # noqa: UP007
        specs.append(FieldSpec(field.name, markers[0], python_type, optional))
    result = tuple(specs)
    _cache[cls] = result
    return result
