"""Conformance of the schema to RabbitMQ's machine-readable AMQP 0-9-1 spec.

The spec is RabbitMQ's ``amqp-rabbitmq-0.9.1.json`` (MPL-licensed data, so it
is read here, never copied into the repository).  It is looked up next to the
repository, at ``../shared/spec/``; without it the tests skip.

Checked: every class and method id, name, synchronous and content flag; each
method's arguments in order, by name (snake_case, ``global`` -> ``global_``),
wire type (domains resolved) and default; the ``basic`` content properties;
and the constants and reply codes.
"""

from __future__ import annotations

import dataclasses
import json
import keyword
from pathlib import Path
from typing import Any

import pytest

from amqproto import exceptions
from amqproto.schema import (
    DEFAULT_PORT,
    FRAME_END,
    FRAME_MIN_SIZE,
    METHODS,
    METHODS_BY_NAME,
    PROTOCOL_HEADER,
    BasicProperties,
    Bit,
    FrameType,
    Long,
    LongLong,
    LongStr,
    Method,
    Octet,
    ReplyCode,
    Short,
    ShortStr,
    Table,
    Timestamp,
    WireType,
)
from amqproto.wire._introspect import FieldSpec, fields_of

SPEC_NAME = "amqp-rabbitmq-0.9.1.json"

WIRE_TYPES: dict[str, type[WireType]] = {
    "bit": Bit,
    "octet": Octet,
    "short": Short,
    "long": Long,
    "longlong": LongLong,
    "shortstr": ShortStr,
    "longstr": LongStr,
    "table": Table,
    "timestamp": Timestamp,
}


def repository_root() -> Path:
    """The directory holding ``pyproject.toml`` and the ``amqproto`` package."""
    for directory in Path(__file__).resolve().parents:
        if (directory / "pyproject.toml").is_file() and (directory / "amqproto" / "__init__.py").is_file():
            return directory
    raise AssertionError(f"no repository root above {__file__}")  # pragma: no cover


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    path = repository_root() / ".." / "shared" / "spec" / SPEC_NAME
    if not path.is_file():
        pytest.skip(f"RabbitMQ's {SPEC_NAME} is not at {path.resolve()}; conformance not checked")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def python_name(spec_name: str) -> str:
    name = spec_name.replace("-", "_")
    return name + "_" if keyword.iskeyword(name) else name


def resolve(spec: dict[str, Any], argument: dict[str, Any]) -> type[WireType]:
    domains = dict(spec["domains"])
    type_name: str = argument.get("type") or argument["domain"]
    seen: set[str] = set()
    while type_name not in WIRE_TYPES:  # a domain, possibly of another domain
        assert type_name not in seen, f"domain loop at {type_name}"
        seen.add(type_name)
        type_name = domains[type_name]
    return WIRE_TYPES[type_name]


def spec_methods(spec: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(cls, method) for cls in spec["classes"] for method in cls["methods"]]


def default_of(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def check_fields(
    owner: str, specs: tuple[FieldSpec, ...], arguments: list[dict[str, Any]], spec: dict[str, Any]
) -> None:
    assert [s.name for s in specs] == [python_name(a["name"]) for a in arguments], owner
    for field_spec, argument in zip(specs, arguments, strict=True):
        assert field_spec.wire is resolve(spec, argument), f"{owner}.{field_spec.name}"


def test_protocol_version_and_port(spec: dict[str, Any]) -> None:
    assert (
        b"AMQP\x00" + bytes((spec["major-version"], spec["minor-version"], spec["revision"]))
        == PROTOCOL_HEADER
    )
    assert spec["port"] == DEFAULT_PORT


def test_every_spec_method_is_in_the_schema_and_nothing_else(spec: dict[str, Any]) -> None:
    expected = {(cls["id"], method["id"]) for cls, method in spec_methods(spec)}
    assert set(METHODS) == expected
    assert len(METHODS_BY_NAME) == len(expected)


def test_method_metadata(spec: dict[str, Any]) -> None:
    for cls, method in spec_methods(spec):
        ours: type[Method] = METHODS[(cls["id"], method["id"])]
        assert f"{cls['name']}.{method['name']}" == ours.NAME
        assert (cls["id"], method["id"]) == (ours.CLASS_ID, ours.METHOD_ID)
        assert ours.SYNCHRONOUS is method.get("synchronous", False), ours.NAME
        assert ours.HAS_CONTENT is method.get("content", False), ours.NAME


def test_method_arguments(spec: dict[str, Any]) -> None:
    for cls, method in spec_methods(spec):
        ours = METHODS[(cls["id"], method["id"])]
        check_fields(ours.NAME, fields_of(ours), method["arguments"], spec)


def test_method_defaults(spec: dict[str, Any]) -> None:
    for cls, method in spec_methods(spec):
        ours = METHODS[(cls["id"], method["id"])]
        assert dataclasses.is_dataclass(ours)
        fields = {field.name: field for field in dataclasses.fields(ours)}
        for argument in method["arguments"]:
            if "default-value" not in argument:
                continue
            name = python_name(argument["name"])
            expected = argument["default-value"]
            field_spec = next(s for s in fields_of(ours) if s.name == name)
            if field_spec.python_type is bytes and isinstance(expected, str):
                expected = expected.encode()  # the JSON has no bytes: binary long strings
            assert default_of(fields[name]) == expected, f"{ours.NAME}.{name}"


def test_content_properties(spec: dict[str, Any]) -> None:
    with_properties = [cls for cls in spec["classes"] if cls.get("properties")]
    assert [cls["id"] for cls in with_properties] == [BasicProperties.CLASS_ID]
    check_fields("BasicProperties", fields_of(BasicProperties), with_properties[0]["properties"], spec)
    assert all(s.optional for s in fields_of(BasicProperties))


#: The spec's constants that are not reply codes, and their counterparts.
FRAME_CONSTANTS = {
    "FRAME-METHOD": FrameType.METHOD,
    "FRAME-HEADER": FrameType.HEADER,
    "FRAME-BODY": FrameType.BODY,
    "FRAME-HEARTBEAT": FrameType.HEARTBEAT,
    "FRAME-MIN-SIZE": FRAME_MIN_SIZE,
    "FRAME-END": FRAME_END,
}


def test_frame_constants(spec: dict[str, Any]) -> None:
    constants = {c["name"]: c["value"] for c in spec["constants"] if c["name"] in FRAME_CONSTANTS}
    assert constants == FRAME_CONSTANTS
    assert len(FrameType) == 4


def test_reply_codes(spec: dict[str, Any]) -> None:
    # Everything else is a reply code (FRAME-ERROR, 501, among them).
    codes = [c for c in spec["constants"] if c["name"] not in FRAME_CONSTANTS]
    assert {c["name"].replace("-", "_"): c["value"] for c in codes} == {
        code.name: code.value for code in ReplyCode
    }
    for constant in codes:
        code = ReplyCode(constant["value"])
        if "class" not in constant:  # REPLY-SUCCESS
            assert code is ReplyCode.REPLY_SUCCESS
            continue
        hard = constant["class"] == "hard-error"
        assert code.is_hard_error is hard, code.name
        error = exceptions.ERRORS_BY_REPLY_CODE[code]
        assert issubclass(error, exceptions.HardError if hard else exceptions.SoftError), code.name
    assert set(exceptions.ERRORS_BY_REPLY_CODE) == {c["value"] for c in codes if "class" in c}
