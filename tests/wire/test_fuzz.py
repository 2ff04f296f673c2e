"""Fuzzing the decoders: bad input yields frames, waits, or raises an AMQPError.

The invariant is h11's (``fuzz/afl-server.py``): whatever bytes arrive, the
only exceptions to escape are the ones the protocol defines, here subclasses
of :class:`~amqproto.exceptions.AMQPError` carrying a reply code.  Never
``struct.error``, ``IndexError``, ``KeyError``, ``UnicodeDecodeError``,
``RecursionError``, ``OverflowError``...  Anything else fails the test.

Inputs are valid frames, mutated (bit flips, inserted and deleted bytes) and
truncated, fed whole and in random chunks; and frames whose header is valid
but whose payload is random, so that the method, property and table decoders
are reached with garbage rather than stopped at the frame end.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amqproto.exceptions import AMQPError, InternalError, ReplyError
from amqproto.schema import METHODS
from amqproto.wire import (
    Frame,
    FrameDecoder,
    decode_array,
    decode_method,
    decode_properties,
    decode_table,
    encode_frame,
)

from .strategies import frames


@st.composite
def mutated_streams(draw: st.DrawFn) -> bytes:
    """A few encoded frames, then up to 8 random bit flips, insertions and deletions."""
    blob = bytearray(
        b"".join(encode_frame(frame) for frame in draw(st.lists(frames(), min_size=1, max_size=4)))
    )
    for _ in range(draw(st.integers(0, 8))):
        if not blob:
            break
        kind = draw(st.sampled_from(["flip", "insert", "delete", "set"]))
        index = draw(st.integers(0, len(blob) - 1))
        if kind == "flip":
            blob[index] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            blob[index:index] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "delete":
            del blob[index : index + draw(st.integers(1, 4))]
        else:  # an interesting octet: lengths, tags, frame ends
            blob[index] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xCE, 0xFF, *b"tbBsuIilfdDSxATFV"]))
    if draw(st.booleans()):
        del blob[draw(st.integers(0, len(blob))) :]
    return bytes(blob)


@st.composite
def garbage_payload_frames(draw: st.DrawFn) -> bytes:
    """A well-framed method or content header whose payload is random after its ids."""
    channel = draw(st.integers(0, 0xFFFF))
    if draw(st.booleans()):
        class_id, method_id = draw(st.sampled_from(sorted(METHODS)))
        head = struct.pack(">HH", class_id, method_id)
        frame_type = 1
    else:
        head = struct.pack(">HHQH", 60, 0, draw(st.integers(0, 2**64 - 1)), draw(st.integers(0, 0xFFFF)))
        frame_type = 2
    payload = head + draw(st.binary(max_size=300))
    return struct.pack(">BHI", frame_type, channel, len(payload)) + payload + b"\xce"


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    return [data[start:end] for start, end in zip([0, *points], [*points, len(data)], strict=True)]


def feed_all(chunks: list[bytes], frame_max: int) -> list[Frame]:
    """Feed the chunks; return the frames, or stop at the first (AMQP) error."""
    decoder = FrameDecoder(frame_max=frame_max)
    frames_out: list[Frame] = []
    try:
        for chunk in chunks:
            frames_out += decoder.feed(chunk)
    except AMQPError as exc:
        check_broken(decoder, exc)
    return frames_out


def check_broken(decoder: FrameDecoder, exc: AMQPError) -> None:
    """``exc``, from ``decoder``, carries a reply code, and the decoder stays broken."""
    assert isinstance(exc, ReplyError), exc  # decode errors carry a reply code
    assert exc.reply_code in (501, 502, 503, 540), exc
    # Once broken, the decoder stays broken: the same error again.
    assert decoder.error is exc
    with pytest.raises(AMQPError) as again:
        decoder.feed(b"")
    assert again.value is exc


@settings(max_examples=200)
@given(mutated_streams(), st.lists(st.integers(0, 2000), max_size=6), st.sampled_from([0, 4096]))
def test_mutated_streams_raise_only_amqp_errors(data: bytes, cuts: list[int], frame_max: int) -> None:
    whole = feed_all([data], frame_max)
    pieces = feed_all(chunked(data, cuts), frame_max)
    # Chunking never changes what is decoded before the first error.
    assert pieces[: len(whole)] == whole[: len(pieces)]


@settings(max_examples=200)
@given(st.lists(garbage_payload_frames(), min_size=1, max_size=3), st.lists(st.integers(0, 1000), max_size=4))
def test_garbage_payloads_raise_only_amqp_errors(stream: list[bytes], cuts: list[int]) -> None:
    data = b"".join(stream)
    feed_all([data], 0)
    feed_all(chunked(data, cuts), 0)


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_amqp_errors(data: bytes) -> None:
    feed_all([data], 0)
    feed_all([data[i : i + 1] for i in range(len(data))], 4096)


@settings(max_examples=200)
@given(st.binary(max_size=200), st.integers(0, 0xFFFF))
def test_table_and_property_decoders_raise_only_amqp_errors(data: bytes, flags: int) -> None:
    # Never an InternalError either: on malformed input the general path
    # (see amqproto.wire.codec.decode_failure) fails as the compiled one did.
    decoders: list[Callable[[], object]] = [
        lambda: decode_table(data),
        lambda: decode_array(data),
        lambda: decode_properties(data, 0, len(data), flags),
        lambda: decode_method(data),
    ]
    for decode in decoders:
        try:
            decode()
        except InternalError:
            raise  # the failure this test is for
        except AMQPError:
            pass  # malformed input refused as such: what is expected


def test_deeply_nested_tables_raise_a_syntax_error() -> None:
    # 100 000 nested arrays: far past the recursion limit.
    depth = 100_000
    data = bytearray()
    for level in range(depth):
        data += b"A" + struct.pack(">I", 5 * (depth - level - 1))
    table = b"\x01k" + bytes(data)
    encoded = struct.pack(">I", len(table)) + table
    with pytest.raises(ReplyError) as info:
        decode_table(encoded)
    assert info.value.reply_code == 502
