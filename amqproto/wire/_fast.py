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

9. **Constructors through the twin** (:func:`install_fast_init`).  The
   schema's frozen dataclasses (methods, :class:`BasicProperties`) and the
   frames get a generated ``__init__`` that turns the new instance into its
   twin (trick 1), stores every argument with plain attribute stores, and
   turns it back, instead of one ``object.__setattr__`` call per field (for
   three fields or fewer, it calls each slot's own setter instead).  Same
   signature, same defaults (factories included), same instance.  General
   path: the dataclass's own ``__init__``, kept in :data:`GENERAL_INITS`,
   which the generated one calls for an instance of a subclass.  Fallback:
   a class whose twin cannot exist keeps its dataclass ``__init__``.

10. **Large body frames as views** (``FrameDecoder(body_views_from=...)``,
    :class:`~amqproto.wire.frames.ContentBodyParts`): the payload of a large
    body frame comes out as views of the ``bytes`` it arrived in, one per
    chunk it straddles, which the channel joins once per message; an
    incomplete frame waits as the pieces it arrived in, not copied into a
    buffer.  General path: a :class:`~amqproto.wire.frames.ContentBodyFrame`
    whose payload is a copy (``body_views_from=None``, the default).

11. **Deliveries in one step** (``frames._FUSE_DELIVERIES``): when
    :class:`~amqproto.wire.frames.FrameDecoder` decodes a ``basic.deliver``
    whose content header and single, whole body frame follow it in the
    buffer, on its channel and well formed, it decodes the three in one
    pass of its loop instead of three; a content header without properties
    is one shared frame per body size and channel
    (``frames._EMPTY_HEADERS``: frozen, and its properties are the shared
    empty ones).  Anything else about the two frames, and the loop decodes
    them, or refuses them, one by one.  A decoder given a class as
    ``FrameDecoder(deliveries=...)`` (the core's, with
    :class:`~amqproto.events.MessageDelivered`) builds one instance of it
    per such delivery, through its twin (trick 1), in place of the three
    frames: fewer objects per message, each kept alive until the read is
    dispatched (the garbage collector counts them), and the core passes it
    on as the event; ``frames.delivery_frames`` gives the three frames it
    stands for, which is how the core hands one it cannot take to the
    general path.  General path: the loop frame by frame, taken with
    ``_FUSE_DELIVERIES`` false.

12. **Small encodings from tables** (``table.LONGS``,
    ``table.TAGGED_STRING_SIZES``, ``table.TAGGED_SMALL_INTS``,
    ``codec._OCTET_THEN_FRAME_END``): a field table's size, a string value's
    tag and size and a small int value (all under 256), and a method's last
    octet of bits with the frame end, are indexed from precomputed tuples; a
    tuple index costs about a sixth of a ``struct`` pack.  General path: the
    ``struct`` packers (``table._encode_tagged`` for a value).  Larger values
    take the general path.

``python -m amqproto.wire --dump NAME`` shows the generated code of 1, 3
to 6 and 12.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

from ._compile import compile_function, indent

__all__ = ["GENERAL_INITS", "constructor_source", "install_fast_init", "slots_twin"]

#: The dataclass ``__init__`` of each class given a generated one by
#: :func:`install_fast_init`: the general path, for tests and subclasses.
GENERAL_INITS: dict[type, Callable[..., None]] = {}


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


def fast_init_source(cls: type, twin: type, namespace: dict[str, Any]) -> str:
    """The source of ``__init__`` for ``cls``, which builds through ``twin`` (see :func:`install_fast_init`).

    The parameters are the dataclass's own, in order and with the same
    defaults (held in ``namespace``; every global name the function uses
    starts with ``_fast_``, which no field name does).  A field with a
    default factory gets a sentinel default, and the factory is called when
    the argument is left out, as the dataclass's ``__init__`` does.
    """
    fields = dataclasses.fields(cls)
    namespace.update(_fast_cls=cls, _fast_twin=twin, _fast_general=GENERAL_INITS[cls])
    namespace.update(_fast_set_class=_SET_CLASS, _fast_type=type, _fast_factory=_FACTORY)
    parameters: list[str] = []
    body: list[str] = []
    for number, field in enumerate(fields):
        if field.default_factory is not dataclasses.MISSING:
            namespace[f"_fast_factory{number}"] = field.default_factory
            parameters.append(f"{field.name}=_fast_factory")
            body += [f"if {field.name} is _fast_factory:", f"    {field.name} = _fast_factory{number}()"]
        elif field.default is not dataclasses.MISSING:
            namespace[f"_fast_default{number}"] = field.default
            parameters.append(f"{field.name}=_fast_default{number}")
        else:
            parameters.append(field.name)
    names = ", ".join(field.name for field in fields)
    lines = [
        f"def __init__(self, {', '.join(parameters)}):",
        f'    """Build a {cls.__name__}: its fields stored directly (amqproto.wire._fast, trick 9)."""',
        *indent(body),
    ]
    if len(fields) <= _FEW_FIELDS:
        # Two class assignments cost about what four calls of a slot's own
        # setter do: for few fields, the setters are cheaper (and they work
        # on an instance of a subclass too).
        for number, field in enumerate(fields):
            namespace[f"_fast_set{number}"] = vars(cls)[field.name].__set__
        lines += [f"    _fast_set{number}(self, {field.name})" for number, field in enumerate(fields)]
    else:
        lines += [
            "    if _fast_type(self) is not _fast_cls:  # a subclass: its layout may differ from the twin's",
            f"        return _fast_general(self, {names})",
            "    _fast_set_class(self, _fast_twin)",
            *indent(f"self.{field.name} = {field.name}" for field in fields),
            "    self.__class__ = _fast_cls",
        ]
    return "\n".join(lines)


#: ``obj.__class__ = cls`` for a frozen instance, whose own ``__setattr__``
#: refuses it: the ``__class__`` descriptor's setter, called directly, where
#: ``object.__setattr__(obj, "__class__", cls)`` looks the name up and goes
#: through the generic setattr (callgrind: ``BasicProperties`` with five
#: keywords 7.6k -> 7.2k instructions).
_SET_CLASS = vars(object)["__class__"].__set__

#: Up to this many fields, the generated ``__init__`` calls each slot's
#: setter instead of going through the twin (measured with callgrind).
_FEW_FIELDS = 3


class _Factory:
    """The default of a parameter whose field has a default factory: "not given"."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def install_fast_init(cls: type) -> bool:
    """Give the frozen slotted dataclass ``cls`` a generated ``__init__`` that builds through its twin.

    A frozen dataclass's own ``__init__`` sets each field with
    ``object.__setattr__(self, name, value)``, a call by name per field.
    The generated one makes the new instance its :func:`slots_twin` (one
    ``__class__`` assignment, allowed because the twin adds nothing to the
    layout), stores each field with a plain attribute store, and makes it a
    ``cls`` again: the same instance, several times faster for many fields.
    For three fields or fewer it calls each slot's own setter (the member
    descriptor's ``__set__``) instead, which costs less than two class
    assignments.  It has the dataclass's signature, defaults and annotations; the
    instance stays frozen, hashable and comparable (those methods are
    untouched).  An instance of a subclass of ``cls`` goes through the
    dataclass's ``__init__`` (:data:`GENERAL_INITS`).

    Returns ``False``, changing nothing, when ``cls`` has no twin (see
    :func:`slots_twin`) or no ``__init__`` of its own, or a field is
    keyword-only; ``True`` when installed
    (or already installed).  A field named ``self`` or ``_fast_*`` (names
    the generated code uses) also leaves the class as it is.
    """
    if cls in GENERAL_INITS:
        return True
    twin = slots_twin(cls)
    fields = dataclasses.fields(cls)
    if twin is None or "__init__" not in vars(cls):
        return False
    if any(field.kw_only or field.name.startswith("_fast_") or field.name == "self" for field in fields):
        return False
    general = vars(cls)["__init__"]
    GENERAL_INITS[cls] = general
    # The module's globals, so that typing.get_type_hints resolves the
    # copied (possibly postponed) annotations as it does the dataclass's.
    module = sys.modules.get(cls.__module__)
    namespace: dict[str, Any] = dict(vars(module)) if module is not None else {}
    # Named after the class, so that its file name says whose it is:
    # <amqproto.schema.properties.BasicProperties.__init__>.
    source = fast_init_source(cls, twin, namespace)
    init = compile_function(source, "__init__", namespace, f"{cls.__module__}.{cls.__qualname__}")
    init.__module__ = cls.__module__
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = dict(general.__annotations__)
    type.__setattr__(cls, "__init__", init)
    return True
