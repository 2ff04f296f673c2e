"""Each speed trick of the wire layer gives what its general path gives.

The tricks are listed, numbered, in :mod:`amqproto.wire._fast`; each test
here names the number it checks.  Trick 7 (the publish encoder) is checked
in ``test_publish.py``.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import itertools
import struct
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amqproto.events import MessageDelivered
from amqproto.exceptions import AMQPError, FrameError
from amqproto.schema import BasicDeliver, BasicProperties, Method
from amqproto.schema.methods import METHODS
from amqproto.wire import (
    ContentBodyFrame,
    ContentHeaderFrame,
    Frame,
    FrameDecoder,
    HeartbeatFrame,
    MethodFrame,
    ProtocolHeaderFrame,
    _fast,
    codec,
    decode_table,
    encode_frame,
    encode_header_frame,
    encode_method_frame,
    encode_properties,
    encode_table,
)
from amqproto.wire import frames as frames_module
from amqproto.wire import table as table_module
from amqproto.wire._compile import compile_function, indent
from amqproto.wire._introspect import fields_of
from amqproto.wire.frames import delivery_frames
from amqproto.wire.table import timestamp_to_datetime

from .strategies import ALL_METHODS, field_tables, frames, instances_of, properties

UTC = datetime.UTC

# -- 1. slot twins: the decoders' construction --------------------------------------


@functools.cache
def _compiled_constructor(cls: type) -> Any:
    """``make(*values)`` built from :func:`_fast.constructor_source`, as the decoders build objects."""
    names = [f"_a{n}" for n in range(len(dataclasses.fields(cls)))]
    namespace: dict[str, Any] = {}
    body = _fast.constructor_source(cls, names, namespace)
    source = "\n".join([f"def make({', '.join(names)}):", *indent(body), "    return obj"])
    return compile_function(source, "make", namespace, __name__)


@pytest.mark.parametrize("cls", [*ALL_METHODS, BasicProperties], ids=lambda cls: cls.__name__)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_1_a_twin_builds_what_the_constructor_builds(cls: type, data: st.DataObject) -> None:
    assert _fast.slots_twin(cls) is not None, "every schema class qualifies"
    instance = data.draw(instances_of(cls))
    values = [getattr(instance, field.name) for field in dataclasses.fields(cls)]
    built = _compiled_constructor(cls)(*values)
    assert type(built) is cls
    assert built == cls(*values)
    if not any(isinstance(value, dict) for value in values):  # a table makes it unhashable
        assert hash(built) == hash(cls(*values))
    assert repr(built) == repr(cls(*values))
    for field in dataclasses.fields(cls)[:1]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(built, field.name, None)


def test_1_a_twin_adds_no_slots() -> None:
    twin = _fast.slots_twin(BasicProperties)
    assert twin is not None
    # A subclass that adds no slots: the same layout, so __class__ may change.
    assert twin.__bases__ == (BasicProperties,) and vars(twin)["__slots__"] == ()


@dataclasses.dataclass(frozen=True, slots=True)
class WithPostInit:
    value: int = 0

    def __post_init__(self) -> None:
        pass


def test_1_a_class_whose_init_does_more_gets_the_constructor_call() -> None:
    assert _fast.slots_twin(WithPostInit) is None
    namespace: dict[str, Any] = {}
    assert _fast.constructor_source(WithPostInit, ["3"], namespace) == ["obj = _cls_WithPostInit(3)"]


@pytest.mark.parametrize("cls", ALL_METHODS, ids=lambda cls: cls.NAME)
def test_1_decoders_compiled_without_twins_decode_the_same(
    cls: type[Method], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fallback when the interpreter refuses the __class__ swap: the
    # codec compiles constructor calls instead, with the same result.
    method = cls()
    frame = encode_method_frame(1, method)
    _, with_twins = codec._compile_method(cls)
    monkeypatch.setattr(_fast, "slots_twin", lambda _cls: None)
    _, without_twins = codec._compile_method(cls)
    assert "__class__" not in _source(without_twins)
    assert with_twins(frame, 11, len(frame) - 1) == without_twins(frame, 11, len(frame) - 1) == method


def _source(function: Any) -> str:
    import inspect

    return inspect.getsource(function)


# -- 2. frame twins: the frame decoder's construction -----------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(frames(), max_size=8))
def test_2_the_frame_decoder_without_twins_decodes_the_same(stream: list[Any]) -> None:
    data = b"".join(encode_frame(frame) for frame in stream)
    fast = FrameDecoder(frame_max=0).feed(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frames_module, "_METHOD_FRAME_TWIN", None)
        patch.setattr(frames_module, "_BODY_FRAME_TWIN", None)
        general = FrameDecoder(frame_max=0).feed(data)
    assert fast == general == stream
    assert [type(frame) for frame in fast] == [type(frame) for frame in general]


# -- 3. one-buffer content encoders ------------------------------------------------

CONTENT_METHODS = [cls for cls in METHODS.values() if cls.HAS_CONTENT]


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(CONTENT_METHODS).flatmap(instances_of),
    properties(),
    st.binary(max_size=300),
    st.integers(0, 0xFFFF),
)
def test_3_a_content_encoder_packs_what_the_general_encoders_pack(
    method: Method, props: BasicProperties, body: bytes, channel: int
) -> None:
    general = encode_method_frame(channel, method) + encode_header_frame(channel, len(body), props)
    general += encode_frame(ContentBodyFrame(channel, body))
    assert codec.CONTENT_ENCODERS[type(method)](channel, method, props, body) == general


# -- 4. content-header decoders per property flags -------------------------------------


@settings(max_examples=100, deadline=None)
@given(properties(), st.integers(0, 0xFFFF), st.integers(0, 2**64 - 1))
def test_4_compiled_and_generic_header_decoders_agree(
    props: BasicProperties, channel: int, body_size: int
) -> None:
    # Past its cache's capacity the frame decoder uses the generic decoder;
    # both must read every header the same.
    encoded = encode_frame(ContentHeaderFrame(channel, body_size, props))
    flags = struct.unpack_from(">H", encoded, 19)[0]
    end = len(encoded) - 1
    expected = ContentHeaderFrame(channel, body_size, props)
    compiled = codec.compile_header_decoder(flags, ContentHeaderFrame)
    assert compiled(encoded, 21, end, channel, body_size) == expected
    assert frames_module._decode_header_generic(encoded, 21, end, channel, body_size) == expected


# -- 5. field-table loops inlined into the property coders -----------------------------


@settings(max_examples=100, deadline=None)
@given(field_tables())
def test_5_inlined_table_loops_equal_the_table_coders(table: dict[str, Any]) -> None:
    _, encoded = encode_properties(BasicProperties(headers=table))
    assert encoded == encode_table(table)  # headers is the only property present
    header = encode_header_frame(1, 0, BasicProperties(headers=table))
    (frame,) = FrameDecoder(frame_max=0).feed(header)  # through a per-flags decoder
    assert isinstance(frame, ContentHeaderFrame)
    assert frame.properties.headers == decode_table(encoded)[0]


# -- 12. small encodings from tables ----------------------------------------------------


def _plain_table(table: dict[str, Any]) -> bytes:
    """A table encoded the general way: every value through ``_encode_tagged``'s struct packers."""
    data = b"".join(
        bytes((len(name.encode()),)) + name.encode() + table_module._encode_tagged(value)
        for name, value in table.items()
    )
    return struct.pack(">I", len(data)) + data


#: Values at and around the ends of the tables: strings of 0, 255 and 256
#: bytes (multi-byte characters among them), ints either side of 0 and 256.
_EDGE_VALUES = (
    st.sampled_from([0, 1, 255, 256, -1, -256, 2**31 - 1, -(2**31), 2**31, True, False])
    | st.text(max_size=300)
    | st.integers(0, 255).map(lambda n: "é" * (n // 2) + "x" * (n % 2))
    | st.integers(250, 260).map(lambda n: "x" * n)
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _EDGE_VALUES, max_size=5) | field_tables())
def test_12_small_encodings_from_tables_equal_the_packers(table: dict[str, Any]) -> None:
    expected = _plain_table(table)
    assert encode_table(table) == expected
    _, encoded = encode_properties(BasicProperties(headers=table))  # the inlined loop
    assert encoded == expected
    assert decode_table(expected)[0] == table


def test_12_a_table_of_256_bytes_or_more_packs_its_size() -> None:
    for size in (250, 251, 252, 253):  # an S value of n bytes takes 1 + 1 + 1 + 4 + n
        table = {"k": "x" * size}
        assert encode_table(table) == _plain_table(table)
        assert encode_properties(BasicProperties(headers=table))[1] == _plain_table(table)


@pytest.mark.parametrize("cls", ALL_METHODS, ids=lambda cls: cls.__name__)
def test_12_method_encoders_equal_a_struct_packing(cls: type[Method]) -> None:
    # Every bit set, then every bit clear: the octet of bits and the frame
    # end from the table must decode to the method (and end the frame).
    for bits in (False, True):
        method = _with_bits(cls, bits)
        frame = encode_method_frame(3, method)
        (decoded,) = FrameDecoder(frame_max=0).feed(frame)
        assert isinstance(decoded, MethodFrame) and decoded.method == method
        assert frame[-1] == 0xCE


def _with_bits(cls: type[Method], bits: bool) -> Method:
    """An instance of ``cls``: every bit set to ``bits``, other fields small values."""
    samples: dict[str, Any] = {"Bit": bits, "ShortStr": "q", "LongStr": "x", "Table": {}}
    arguments: dict[str, Any] = {}
    for spec in fields_of(cls):
        value = samples.get(spec.wire.__name__, 1)
        arguments[spec.name] = b"x" if spec.python_type is bytes else value
    return cls(**arguments)


# -- 6. the timestamp minute cache -----------------------------------------------------

#: The last second ``datetime`` can hold, as a Unix timestamp.
LAST_SECOND = int(datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, LAST_SECOND) | st.integers(1714979200, 1714979400), min_size=1, max_size=20))
def test_6_timestamps_decode_as_fromtimestamp_does(seconds: list[int]) -> None:
    # The decoder keeps the last minute it saw: any order of timestamps,
    # inside one minute, across minutes and back, gives fromtimestamp's value.
    for value in seconds:
        expected = datetime.datetime.fromtimestamp(value, UTC)
        assert timestamp_to_datetime(value) == expected
        flags, encoded = encode_properties(BasicProperties(timestamp=expected))
        decoded = codec.decode_properties(encoded, 0, len(encoded), flags).timestamp
        assert decoded == expected and decoded is not None and decoded.tzinfo is UTC


def test_the_seam_lists_every_trick() -> None:
    assert _fast.__doc__ is not None
    for number in range(1, 11):
        assert f"\n{number}. **" in _fast.__doc__
    assert fields_of(BasicProperties)  # the twins are built from the same field list


# -- 8. the compiled decoders against the plain ones -------------------------------------


@pytest.mark.parametrize("cls", ALL_METHODS, ids=lambda cls: cls.NAME)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_8_compiled_and_plain_method_decoders_agree(cls: type[Method], data: st.DataObject) -> None:
    method = data.draw(instances_of(cls))
    payload = encode_method_frame(0, method)[7:-1]
    compiled = codec.METHOD_DECODERS[cls.CLASS_ID << 16 | cls.METHOD_ID]
    assert (
        compiled(payload, 4, len(payload))
        == codec.slow_decode_method(cls, payload, 4, len(payload))
        == method
    )
    # On garbage after the ids, both fail or both read the same.
    garbage = payload[:4] + data.draw(st.binary(max_size=60))
    assert _outcome(compiled, garbage, 4, len(garbage)) == _outcome(
        codec.slow_decode_method, cls, garbage, 4, len(garbage)
    )


@settings(max_examples=200, deadline=None)
@given(properties(), st.binary(max_size=80), st.integers(0, 0xFFFC))
def test_8_compiled_and_plain_property_decoders_agree(
    props: BasicProperties, garbage: bytes, flags: int
) -> None:
    flags_of_props, encoded = encode_properties(props)
    assert codec._decode_properties(encoded, 0, flags_of_props) == (props, len(encoded))
    assert codec.slow_decode_properties(encoded, 0, len(encoded), flags_of_props) == props
    flags &= codec.PROPERTY_FLAGS_IN_USE

    def compiled(buf: bytes, off: int, end: int, flags: int) -> BasicProperties:
        properties, offset = codec._decode_properties(buf, off, flags)
        if offset != end:
            raise AssertionError("ends elsewhere")  # counted as a failure, as the plain decoder's check
        return properties  # type: ignore[no-any-return]

    assert _outcome(compiled, garbage, 0, len(garbage), flags) == _outcome(
        codec.slow_decode_properties, garbage, 0, len(garbage), flags
    )


@settings(max_examples=200, deadline=None)
@given(field_tables(), st.binary(max_size=80))
def test_8_compiled_and_plain_table_decoders_agree(table: dict[str, Any], garbage: bytes) -> None:
    from amqproto.wire.table import _decode_table, slow_decode_table

    encoded = encode_table(table)
    assert _decode_table(encoded, 0) == slow_decode_table(encoded, 0) == (table, len(encoded))
    blob = struct.pack(">I", len(garbage)) + garbage
    assert _outcome(_decode_table, blob, 0) == _outcome(slow_decode_table, blob, 0)


def _outcome(decode: Any, *args: Any) -> object:
    """The repr of what ``decode(*args)`` returns, or ``"fails"`` for any error the decoders may raise."""
    from amqproto.exceptions import AMQPError
    from amqproto.wire.table import RAW_DECODE_ERRORS

    try:
        # repr: a NaN read from garbage is not equal to itself.
        return repr(decode(*args))
    except (AMQPError, AssertionError, *RAW_DECODE_ERRORS):
        return "fails"


# -- 9. constructors through the twin ------------------------------------------------

FRAME_CLASSES = [MethodFrame, ContentHeaderFrame, ContentBodyFrame, ProtocolHeaderFrame]


def _general_build(cls: type, *args: Any, **kwargs: Any) -> Any:
    """``cls(*args, **kwargs)`` through the dataclass's own ``__init__``: the general path."""
    instance: Any = object.__new__(cls)
    _fast.GENERAL_INITS[cls](instance, *args, **kwargs)
    return instance


@pytest.mark.parametrize("cls", [*ALL_METHODS, BasicProperties], ids=lambda cls: cls.__name__)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_9_the_generated_init_builds_what_the_dataclass_init_builds(cls: type, data: st.DataObject) -> None:
    assert cls in _fast.GENERAL_INITS, "every schema class gets a generated __init__"
    instance = data.draw(instances_of(cls))
    values = {field.name: getattr(instance, field.name) for field in dataclasses.fields(cls)}
    for built, general in [
        (cls(*values.values()), _general_build(cls, *values.values())),
        (cls(**values), _general_build(cls, **values)),
        (cls(), _general_build(cls)),
    ]:
        assert type(built) is cls
        assert built == general and repr(built) == repr(general)
        if not any(isinstance(value, dict) for value in values.values()):
            assert hash(built) == hash(general)
        for field in dataclasses.fields(cls)[:1]:
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(built, field.name, None)


@pytest.mark.parametrize("cls", [*ALL_METHODS, BasicProperties, *FRAME_CLASSES], ids=lambda cls: cls.__name__)
def test_9_the_generated_init_has_the_dataclass_signature(cls: type) -> None:
    import inspect
    import typing

    general = _fast.GENERAL_INITS[cls]
    init = vars(cls)["__init__"]
    assert str(inspect.signature(init)) == str(inspect.signature(general))
    assert typing.get_type_hints(init) == typing.get_type_hints(general)
    assert "trick 9" in _source(init)  # the source is shown, from its own file name
    assert init.__qualname__ == f"{cls.__qualname__}.__init__"


def test_9_a_default_factory_makes_a_new_value_each_time() -> None:
    from amqproto.schema import ConnectionStart

    first, second = ConnectionStart(), ConnectionStart()
    assert first.server_properties == {} and first.server_properties is not second.server_properties


@settings(max_examples=30, deadline=None)
@given(frames())
def test_9_frames_built_by_the_generated_init_equal_the_general_ones(frame: Any) -> None:
    if type(frame) is HeartbeatFrame:
        return
    values = [getattr(frame, field.name) for field in dataclasses.fields(frame)]
    built = type(frame)(*values)
    assert built == _general_build(type(frame), *values) == frame
    assert encode_frame(built) == encode_frame(frame)


class _PropertiesWithExtras(BasicProperties):
    """A plain subclass: it has a ``__dict__``, so its layout is not the twin's."""


def test_9_an_instance_of_a_subclass_goes_through_the_general_init() -> None:
    built = _PropertiesWithExtras(content_type="text/plain", headers={"a": 1})
    assert type(built) is _PropertiesWithExtras
    assert built.content_type == "text/plain" and built.headers == {"a": 1} and built.priority is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.content_type = "x"  # type: ignore[misc]


def test_9_a_class_without_a_twin_keeps_its_init() -> None:
    general = vars(WithPostInit)["__init__"]
    assert not _fast.install_fast_init(WithPostInit)
    assert vars(WithPostInit)["__init__"] is general


@dataclasses.dataclass(frozen=True, slots=True)
class _KeywordOnly:
    value: int = dataclasses.field(default=0, kw_only=True)


def test_9_a_keyword_only_field_keeps_the_dataclass_init() -> None:
    general = vars(_KeywordOnly)["__init__"]
    assert not _fast.install_fast_init(_KeywordOnly)
    assert vars(_KeywordOnly)["__init__"] is general


@dataclasses.dataclass(frozen=True, slots=True)
class _Required:
    first: int
    second: str = "x"
    third: tuple[int, ...] = ()
    fourth: Any = None


def test_9_required_fields_and_many_fields() -> None:
    assert _fast.install_fast_init(_Required)
    with pytest.raises(TypeError):
        _Required()  # type: ignore[call-arg]
    assert _Required(1) == _general_build(_Required, 1)
    assert _Required(1, "y", (2,), fourth=[]) == _general_build(_Required, 1, "y", (2,), [])


# -- encode_frame dispatches by frame class ----------------------------------------------


@settings(max_examples=100, deadline=None)
@given(frames())
def test_encode_frame_encodes_as_the_general_encoders_do(frame: Any) -> None:
    if isinstance(frame, MethodFrame):
        expected = encode_method_frame(frame.channel, frame.method)
    elif isinstance(frame, ContentHeaderFrame):
        expected = encode_header_frame(frame.channel, frame.body_size, frame.properties)
    elif isinstance(frame, ContentBodyFrame):
        expected = struct.pack(">BHI", 3, frame.channel, len(frame.payload)) + frame.payload + b"\xce"
    else:
        expected = b"\x08\x00\x00\x00\x00\x00\x00\xce"
    assert encode_frame(frame) == expected


# -- 10. large body frames as views ---------------------------------------------------


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given offsets (each taken modulo its length), as separate bytes."""
    points = sorted({cut % (len(data) + 1) for cut in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def _joined(frame: Any) -> Any:
    if type(frame) is frames_module.ContentBodyParts:
        assert frame.size == sum(len(part) for part in frame.parts)
        return ContentBodyFrame(frame.channel, b"".join(frame.parts))
    return frame


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(frames(), st.builds(ContentBodyFrame, st.integers(0, 0xFFFF), st.binary(max_size=3000))),
        max_size=8,
    ),
    st.lists(st.integers(0, 1 << 16), max_size=12),
    st.integers(0, 2000),
)
def test_10_body_views_decode_what_copies_decode(stream: list[Any], cuts: list[int], views_from: int) -> None:
    data = b"".join(encode_frame(frame) for frame in stream)
    chunks = _split(data, cuts)
    general = FrameDecoder(frame_max=0)
    views = FrameDecoder(frame_max=0, body_views_from=views_from)
    expected: list[Any] = []
    got: list[Any] = []
    for chunk in chunks:
        expected += general.feed(chunk)
        decoded: list[Any] = views.feed(chunk)
        for frame in decoded:
            if type(frame) is frames_module.ContentBodyParts:
                assert frame.size >= views_from
                # Views of what was fed, never of a copy.
                for part in frame.parts:
                    read = part.obj if type(part) is memoryview else part
                    assert any(read is c for c in chunks)
            elif type(frame) is ContentBodyFrame:
                assert len(frame.payload) < views_from
        got += [_joined(frame) for frame in decoded]
    assert got == expected == stream
    assert views.buffered == general.buffered == 0


def test_10_an_incomplete_large_body_frame_is_kept_uncopied() -> None:
    payload = bytes(range(256)) * 1024  # 256 KiB
    data = encode_frame(ContentBodyFrame(3, payload))
    decoder = FrameDecoder(frame_max=0, body_views_from=4096)
    chunks = [data[:5], data[5:70_000], data[70_000:200_000], data[200_000:]]
    assert decoder.feed(chunks[0]) == []
    assert decoder.feed(chunks[1]) == []
    assert decoder.feed(chunks[2]) == []
    assert decoder.buffered == 200_000
    (frame,) = cast(list[Any], decoder.feed(chunks[3]))
    assert type(frame) is frames_module.ContentBodyParts
    assert frame.channel == 3 and frame.size == len(payload)
    # The first 5 octets were framing, the last one the frame end; the chunk
    # in the middle is a part itself.
    parts: list[Any] = list(frame.parts)
    assert [type(part) for part in parts] == [memoryview, bytes, memoryview]
    assert parts[0].obj is chunks[1] and parts[1] is chunks[2] and parts[2].obj is chunks[3]
    assert b"".join(frame.parts) == payload


@pytest.mark.parametrize("views_from", [None, 4096])
def test_10_a_large_frame_with_a_bad_end_is_refused(views_from: int | None) -> None:
    data = bytearray(encode_frame(ContentBodyFrame(1, b"x" * 10_000)))
    data[-1] = 0
    decoder = FrameDecoder(frame_max=0, body_views_from=views_from)
    assert decoder.feed(bytes(data[:6000])) == []
    with pytest.raises(FrameError, match="frame-end"):
        decoder.feed(bytes(data[6000:]))
    with pytest.raises(FrameError):
        decoder.feed(b"")


@pytest.mark.parametrize("split", [3, 7, 100])
def test_10_a_frame_above_frame_max_is_refused_from_its_header(split: int) -> None:
    header = struct.pack(">BHI", 3, 1, 1 << 20)
    decoder = FrameDecoder(frame_max=131072, body_views_from=4096)
    if split < 7:
        assert decoder.feed(header[:split]) == []
        with pytest.raises(FrameError, match="exceeds frame_max"):
            decoder.feed(header[split:] + b"x" * 100)
    else:
        with pytest.raises(FrameError, match="exceeds frame_max"):
            decoder.feed(header + b"x" * (split - 7))
    assert decoder.buffered == 0


# -- 11. deliveries in one step ------------------------------------------------------


def _deliveries() -> st.SearchStrategy[list[Any]]:
    """Runs of deliveries as a broker sends them, with some of the ways they can go wrong."""
    deliver = st.builds(
        BasicDeliver,
        st.text(max_size=20),
        st.integers(0, 2**64 - 1),
        st.booleans(),
        st.text(max_size=5),
        st.text(max_size=20),
    )
    channel = st.sampled_from([1, 2])
    plain = st.builds(
        lambda ch, method, props, body: [
            MethodFrame(ch, method),
            ContentHeaderFrame(ch, len(body), props),
            *([ContentBodyFrame(ch, body)] if body else []),
        ],
        channel,
        deliver,
        st.one_of(st.just(BasicProperties()), properties()),
        st.sampled_from([b"", b"x", b"y" * 32, b"z" * 300]),
    )
    odd = st.builds(
        lambda ch, other, method, size, body: [
            MethodFrame(ch, method),
            ContentHeaderFrame(other, size, BasicProperties()),
            ContentBodyFrame(ch, body),
        ],
        channel,
        channel,
        deliver,
        st.integers(0, 400),
        st.binary(max_size=300),
    )
    return st.lists(st.one_of(plain, odd, frames().map(lambda frame: [frame])), max_size=8).map(
        lambda runs: [frame for run in runs for frame in run]
    )


def _decode_all(
    data: bytes, cuts: list[int], frame_max: int = 0, deliveries: type | None = None
) -> tuple[list[Any], str | None]:
    decoder = FrameDecoder(frame_max=frame_max, deliveries=deliveries)
    decoded: list[Any] = []
    previous = 0
    try:
        for cut in [*sorted(cut % (len(data) + 1) for cut in cuts), len(data)]:
            decoded += decoder.feed(data[previous:cut])
            previous = cut
        decoded += decoder.feed(b"")  # raises the error that stopped the last feed, if any
    except AMQPError as exc:
        return decoded, f"{type(exc).__name__}: {exc}"
    return decoded, None


@settings(max_examples=200, deadline=None)
@given(_deliveries(), st.lists(st.integers(0, 10_000), max_size=4), st.sampled_from([0, 4096, 131072]))
def test_11_deliveries_decode_as_frame_by_frame(stream: list[Any], cuts: list[int], frame_max: int) -> None:
    data = b"".join(encode_frame(frame) for frame in stream)
    fast = _decode_all(data, cuts, frame_max)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frames_module, "_FUSE_DELIVERIES", False)
        general = _decode_all(data, cuts, frame_max)
    assert fast == general
    assert [type(frame) for frame in fast[0]] == [type(frame) for frame in general[0]]
    if fast[1] is None:
        assert fast[0] == stream


@settings(max_examples=200, deadline=None)
@given(_deliveries(), st.lists(st.integers(0, 10_000), max_size=4), st.sampled_from([0, 4096, 131072]))
def test_11_a_delivery_as_one_object_stands_for_its_frames(
    stream: list[Any], cuts: list[int], frame_max: int
) -> None:
    """``FrameDecoder(deliveries=...)``: a whole delivery is one object, for the general path's frames."""
    data = b"".join(encode_frame(frame) for frame in stream)
    fast = _decode_all(data, cuts, frame_max, deliveries=MessageDelivered)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frames_module, "_FUSE_DELIVERIES", False)
        general = _decode_all(data, cuts, frame_max, deliveries=MessageDelivered)
    assert all(type(frame) is not MessageDelivered for frame in general[0])
    expanded: list[Any] = []
    for frame in fast[0]:
        if type(frame) is MessageDelivered:
            assert frame.body  # never empty
            expanded += delivery_frames(frame)
        else:
            expanded.append(frame)
    assert (expanded, fast[1]) == general
    assert [type(frame) for frame in expanded] == [type(frame) for frame in general[0]]


def test_11_a_delivery_is_one_object_equal_to_the_constructed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frames_module, "_HEADER_DECODERS", {})  # room for the flags below, whatever ran
    method = BasicDeliver("tag", 7, True, "ex", "q")
    frames: list[Frame] = [
        MethodFrame(3, method),
        ContentHeaderFrame(3, 3, BasicProperties()),
        ContentBodyFrame(3, b"abc"),
        MethodFrame(3, method),
        ContentHeaderFrame(3, 2, BasicProperties(type="t")),
        ContentBodyFrame(3, b"de"),
    ]
    data = b"".join(encode_frame(frame) for frame in frames)
    FrameDecoder(0).feed(data)  # compiles the decoder of the second header's flags, which the fusion needs
    decoded: list[Any] = FrameDecoder(0, deliveries=MessageDelivered).feed(data)
    assert decoded == [
        MessageDelivered(channel_id=3, method=method, properties=BasicProperties(), body=b"abc"),
        MessageDelivered(channel_id=3, method=method, properties=BasicProperties(type="t"), body=b"de"),
    ]
    assert [type(event) for event in decoded] == [MessageDelivered] * 2
    assert [part for event in decoded for part in delivery_frames(event)] == frames
    with pytest.MonkeyPatch.context() as patch:  # no twin: the frames
        patch.setattr(frames_module, "slots_twin", lambda cls: None)
        assert FrameDecoder(0, deliveries=MessageDelivered).feed(data) == frames
    with pytest.raises(TypeError, match="fields"):
        FrameDecoder(0, deliveries=ContentBodyFrame)


@pytest.mark.parametrize(
    "damage",
    [
        lambda header: header[:-1] + b"\x00",  # the header's frame-end octet
        lambda header: header[:7] + b"\x00\x3d" + header[9:],  # class 61
        lambda header: header[:19] + b"\x80\x00" + header[21:],  # content type flagged, absent
        lambda header: header[:3] + b"\xff\xff\xff\xff" + header[7:],  # beyond frame_max
    ],
)
def test_11_a_damaged_header_after_a_delivery_fails_as_frame_by_frame(damage: Any) -> None:
    method = encode_frame(MethodFrame(1, BasicDeliver("tag", 1, False, "", "q")))
    header = damage(encode_frame(ContentHeaderFrame(1, 3, BasicProperties())))
    data = method + header + encode_frame(ContentBodyFrame(1, b"abc")) + b"\x00" * 64
    fast = _decode_all(data, [], 131072)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(frames_module, "_FUSE_DELIVERIES", False)
        general = _decode_all(data, [], 131072)
    assert fast == general
    assert fast[1] is not None and fast[0] == [MethodFrame(1, BasicDeliver("tag", 1, False, "", "q"))]


def test_11_a_header_without_properties_is_shared_and_equal() -> None:
    data = b"".join(
        encode_frame(frame)
        for tag in (1, 2)
        for frame in (
            MethodFrame(1, BasicDeliver("tag", tag, False, "", "q")),
            ContentHeaderFrame(1, 3, BasicProperties()),
            ContentBodyFrame(1, b"abc"),
        )
    )
    decoded = FrameDecoder(0).feed(data)
    assert decoded[1] == decoded[4] == ContentHeaderFrame(1, 3, BasicProperties())
    assert decoded[1] is decoded[4]
