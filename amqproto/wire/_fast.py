"""The wire layer's speed tricks, behind one seam.

Each trick below is a fast path that must produce exactly what a general,
plainer path produces; ``tests/wire/test_fast_paths.py`` checks each one
against its general path (``tests/wire/test_publish.py`` the publish
encoder's).  When a fast path cannot be used, the wire layer falls back to
the general path; it never asserts at import.

1. **Slot twins** (:func:`slots_twin`, :func:`constructor_source`).  The
   decoders build frozen slotted dataclasses without calling their
   ``__init__``: they fill an instance of a layout-identical subclass with
   plain attribute stores, then set its ``__class__``.  General path:
   ``cls(*values)``.  Fallback: when the class does not qualify or the
   interpreter refuses the ``__class__`` assignment, :func:`slots_twin`
   returns ``None`` and :func:`constructor_source` emits the constructor
   call.
2. **Frame twins** (``frames._METHOD_FRAME_TWIN``, ``frames._BODY_FRAME_TWIN``,
   from :func:`slots_twin`): the same trick, inline in
   :class:`~amqproto.wire.frames.FrameDecoder`'s loop.  General path:
   ``MethodFrame(channel, method)``, which the loop takes when the twin is
   ``None``.
3. **One-buffer content encoders** (``codec.CONTENT_ENCODERS``): method
   frame, content header and one body frame of a small message packed and
   joined at once.  General path: :func:`~amqproto.wire.codec.encode_method_frame`,
   :func:`~amqproto.wire.codec.encode_header_frame` and a body frame.
4. **Content-header decoders per property flags**
   (:func:`~amqproto.wire.codec.compile_header_decoder`): straight-line code
   for the properties present.  General path: the flag-testing decoder
   (``frames._decode_header_generic``).
5. **Inlined field-table loops** in the property coders
   (``codec._INLINE_TABLE_ENCODE``, ``table.TABLE_DECODE_SOURCE``).  General
   path: :func:`~amqproto.wire.table.encode_table` and
   :func:`~amqproto.wire.table.decode_table`.
6. **The timestamp minute cache** (``table.TIMESTAMP_DECODE_SOURCE``).
   General path: ``datetime.fromtimestamp(seconds, UTC)``.
7. **The publish encoder** (:mod:`amqproto.wire.publish`).  General path:
   :func:`~amqproto.wire.frames.encode_content_frames`.
8. **The compiled decoders themselves.**  General path: the plain,
   field-by-field decoders ``codec.slow_decode_method``,
   ``codec.slow_decode_properties`` and ``table.slow_decode_table``.  They
   also run after a compiled decoder failed, to tell malformed input (they
   fail too: :class:`~amqproto.exceptions.AMQPSyntaxError`, the peer's
   fault) from a bug in the compiled code (they do not:
   :class:`~amqproto.exceptions.InternalError`); see
   ``codec.decode_failure``.  The compiled *encoders* need no twin: when
   one fails, the slow path checks every field, and a failure on valid
   fields is a :class:`~amqproto.exceptions.CodecBugError`.

``python -m amqproto.wire --dump NAME`` shows the generated code of 1 and 3
to 6.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["slots_twin", "constructor_source"]


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
    refuses the ``__class__`` assignment (checked here, once, on a probe):
    callers then call ``cls`` itself.
    """
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return None
    fields = dataclasses.fields(cls)
    slots = vars(cls).get("__slots__")
    if (
        slots is None
        or tuple(slots) != tuple(field.name for field in fields)
        or not all(f.init for f in fields)
    ):
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
    except (TypeError, AttributeError):  # pragma: no cover - a layout this interpreter will not convert
        return None
    return twin


def constructor_source(
    cls: type, arguments: list[str], namespace: dict[str, Any], target: str = "obj"
) -> list[str]:
    """Source lines that build ``cls`` from ``arguments`` (expressions, in field order) into ``target``.

    Through :func:`slots_twin` when ``cls`` has one, else by calling ``cls``.
    The names the lines use are added to ``namespace``, the globals of the
    function being generated (see :func:`~amqproto.wire._compile.compile_function`).
    """
    fields = dataclasses.fields(cls)
    namespace[f"_cls_{cls.__name__}"] = cls
    twin = slots_twin(cls) if len(arguments) == len(fields) else None
    if twin is None:
        return [f"{target} = _cls_{cls.__name__}({', '.join(arguments)})"]
    namespace[f"_twin_{cls.__name__}"] = twin
    lines = [f"{target} = _twin_{cls.__name__}()"]
    lines += [
        f"{target}.{field.name} = {argument}" for field, argument in zip(fields, arguments, strict=True)
    ]
    lines.append(f"{target}.__class__ = _cls_{cls.__name__}")
    return lines
