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

__all__ = ["FieldSpec", "fields_of", "slots_twin", "constructor_source", "fast_constructor"]


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
            python_type = members[0] if len(members) == 1 else Union[tuple(members)]  # noqa: UP007
        specs.append(FieldSpec(field.name, markers[0], python_type, optional))
    result = tuple(specs)
    _cache[cls] = result
    return result


def slots_twin(cls: type) -> type | None:
    """A subclass of ``cls`` whose instances are filled by attribute stores, then become ``cls`` instances.

    A decoder builds many small frozen dataclasses, and a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``, by name.
    For a slotted dataclass whose ``__init__`` only stores its arguments (no
    ``__post_init__``, every field in ``__init__``), there is a faster way to
    the same instance: call this *twin*, a subclass that adds no slots and
    takes back ``object``'s ``__init__``, ``__setattr__`` and ``__delattr__``; fill its
    instance with ordinary attribute stores (which CPython specialises for
    slots); then set its ``__class__`` to ``cls``.  Python allows that
    assignment because the twin adds nothing to ``cls``'s memory layout, and
    checks it cheaply for the same reason (no comparison of slot lists).  The
    result is indistinguishable from ``cls(*values)``.

    Returns ``None`` when ``cls`` does not qualify, or when the interpreter
    refuses the ``__class__`` assignment (checked here, once, on a probe).
    """
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return None
    fields = dataclasses.fields(cls)
    slots = vars(cls).get("__slots__")
    if slots is None or tuple(slots) != tuple(field.name for field in fields) or not all(f.init for f in fields):
        return None
    if vars(cls).get("__new__") is not None:
        return None  # the twin must be created by object's __new__
    namespace = {
        "__slots__": (),
        "__module__": __name__,
        "__init__": object.__init__,
        # Both, or CPython keeps routing stores through a Python-level slot.
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
    }
    twin = type(f"_{cls.__name__}Twin", (cls,), namespace)
    probe: Any = twin()
    try:
        for field in fields:
            setattr(probe, field.name, None)
        probe.__class__ = cls
    except (TypeError, AttributeError):  # pragma: no cover - a layout CPython will not convert
        return None
    return twin


def constructor_source(cls: type, arguments: list[str], namespace: dict[str, Any], target: str = "obj") -> list[str]:
    """Source lines that build ``cls`` from ``arguments`` (expressions, in field order) into ``target``.

    Through :func:`slots_twin` when ``cls`` has one, else by calling ``cls``.
    The names the lines use are added to ``namespace``, for the caller's
    ``exec``.
    """
    fields = dataclasses.fields(cls)
    namespace[f"_cls_{cls.__name__}"] = cls
    twin = slots_twin(cls) if len(arguments) == len(fields) else None
    if twin is None:
        return [f"{target} = _cls_{cls.__name__}({', '.join(arguments)})"]
    namespace[f"_twin_{cls.__name__}"] = twin
    lines = [f"{target} = _twin_{cls.__name__}()"]
    lines += [f"{target}.{field.name} = {argument}" for field, argument in zip(fields, arguments, strict=True)]
    lines.append(f"{target}.__class__ = _cls_{cls.__name__}")
    return lines


def fast_constructor(cls: type) -> Any:
    """A function taking ``cls``'s fields positionally and building an instance.

    See :func:`constructor_source`; the result equals ``cls(*args)``.
    """
    names = [f"_a{n}" for n in range(len(dataclasses.fields(cls)))]
    namespace: dict[str, Any] = {}
    body = constructor_source(cls, names, namespace)
    source = "\n".join([f"def make({', '.join(names)}):", *(f"    {line}" for line in body), "    return obj"])
    exec(source, namespace)  # noqa: S102 - source built above from the dataclass fields
    return namespace["make"]
