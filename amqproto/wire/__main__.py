"""Print the source the wire layer generated: ``python -m amqproto.wire --dump basic.publish``.

The codecs are compiled from the schema's annotations at import (see
:mod:`amqproto.wire.codec`); this shows what was compiled, through
:func:`inspect.getsource`, exactly as a traceback or a debugger sees it.

``--dump NAME`` takes a method's spec name (``basic.publish``), its class
name (``BasicPublish``), ``BasicProperties`` (or ``basic.properties``) for
the content-property coders, or ``table`` for the field-table decoder and
the timestamp conversion.  ``--list`` prints every name ``--dump`` takes.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..schema.methods import METHODS, METHODS_BY_NAME, Method
from ..schema.properties import BasicProperties
from . import codec, table
from .frames import ContentHeaderFrame

__all__ = ["generated_functions", "main"]

_PROPERTY_NAMES = ("BasicProperties", "basic.properties")
_TABLE_NAMES = ("table",)


def _method_class(name: str) -> type[Method] | None:
    by_class_name = {cls.__name__: cls for cls in METHODS.values()}
    return METHODS_BY_NAME.get(name) or by_class_name.get(name)


def generated_functions(name: str) -> list[Callable[..., Any]]:
    """The generated functions ``--dump name`` prints, in order.

    Raises:
        KeyError: ``name`` names nothing that is generated.
    """
    cls = _method_class(name)
    if cls is not None:
        found: list[Callable[..., Any]] = [
            codec._METHOD_ENCODERS[cls],
            codec.METHOD_DECODERS[cls.CLASS_ID << 16 | cls.METHOD_ID],
        ]
        if cls in codec.CONTENT_ENCODERS:
            found.append(codec.CONTENT_ENCODERS[cls])
        return found
    if name in _PROPERTY_NAMES:
        # Content-header decoders are compiled per set of property flags, on
        # demand; this one reads every property.
        every_property = codec.compile_header_decoder(codec.PROPERTY_FLAGS_IN_USE, ContentHeaderFrame)
        return [codec._encode_properties, codec._decode_properties, every_property]
    if name in _TABLE_NAMES:
        return [table._decode_table, table.timestamp_to_datetime]
    raise KeyError(name)


def _names() -> list[str]:
    lines = [f"{cls.NAME:<28} {cls.__name__}" for cls in METHODS.values()]
    return [*lines, f"{_PROPERTY_NAMES[1]:<28} {BasicProperties.__name__}", _TABLE_NAMES[0]]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m amqproto.wire", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--dump", metavar="NAME", help="print the generated source for NAME (see --list)")
    group.add_argument("--list", action="store_true", help="list the names --dump takes")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(_names()))
        return 0
    try:
        functions = generated_functions(args.dump)
    except KeyError:
        print(f"no generated code for {args.dump!r}; --list shows the names", file=sys.stderr)
        return 2
    for number, function in enumerate(functions):
        if number:
            print()
        print(f"# {function.__module__}.{function.__qualname__}, file {function.__code__.co_filename}")
        print(inspect.getsource(function), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
