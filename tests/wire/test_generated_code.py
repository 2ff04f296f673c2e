"""The generated coders are first-class code: named, located, readable, and honest in their errors.

See :mod:`amqproto.wire._compile`.  Every compiled function has a name of
its own (``decode_queue_declare``), the module that generated it, a file
name registered in :mod:`linecache`, so that :func:`inspect.getsource` and
tracebacks show its source; ``python -m amqproto.wire --dump`` prints it.
"""

from __future__ import annotations

import inspect
import linecache
import struct
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from amqproto.exceptions import (
    AMQPError,
    AMQPSyntaxError,
    CodecBugError,
    EncodeError,
    InternalError,
    ReplyError,
)
from amqproto.schema import BasicProperties, BasicPublish, QueueDeclare
from amqproto.schema.methods import METHODS
from amqproto.wire import (
    ContentHeaderFrame,
    codec,
    decode_method,
    encode_method,
    encode_method_frame,
    encode_properties,
    table,
)
from amqproto.wire import __main__ as dump_command
from amqproto.wire._compile import compile_function
from amqproto.wire.frames import encode_content_frames

QUEUE_DECLARE_ID = QueueDeclare.CLASS_ID << 16 | QueueDeclare.METHOD_ID


def _every_compiled_function() -> list[tuple[str, str, Callable[..., Any]]]:
    """(expected name, expected module, function) for everything the wire layer compiles at import."""
    found: list[tuple[str, str, Callable[..., Any]]] = []
    for cls in METHODS.values():
        snake = cls.NAME.replace(".", "_").replace("-", "_")
        found.append((f"encode_{snake}", "amqproto.wire.codec", codec._METHOD_ENCODERS[cls]))
        found.append(
            (
                f"decode_{snake}",
                "amqproto.wire.codec",
                codec.METHOD_DECODERS[cls.CLASS_ID << 16 | cls.METHOD_ID],
            )
        )
        if cls in codec.CONTENT_ENCODERS:
            found.append((f"encode_{snake}_content", "amqproto.wire.codec", codec.CONTENT_ENCODERS[cls]))
    found.append(("encode_basic_properties", "amqproto.wire.codec", codec._encode_properties))
    found.append(("decode_basic_properties", "amqproto.wire.codec", codec._decode_properties))
    found.append(
        (
            "decode_content_header_0x9000",
            "amqproto.wire.codec",
            codec.compile_header_decoder(0x9000, ContentHeaderFrame),
        )
    )
    found.append(("_decode_table", "amqproto.wire.table", table._decode_table))
    found.append(("timestamp_to_datetime", "amqproto.wire.table", table.timestamp_to_datetime))
    return found


COMPILED = _every_compiled_function()


@pytest.mark.parametrize(("name", "module", "function"), COMPILED, ids=[name for name, _, _ in COMPILED])
def test_every_compiled_function_is_named_located_and_readable(
    name: str, module: str, function: Callable[..., Any]
) -> None:
    assert function.__name__ == function.__qualname__ == name
    assert function.__module__ == module
    assert sys.modules[module] is not None
    filename = function.__code__.co_filename
    assert filename.startswith(f"<{module}.{name}")
    assert filename in linecache.cache
    source = inspect.getsource(function)
    assert source.startswith(f"def {name}(")
    assert function.__doc__ and function.__doc__ in source


def test_every_compiled_function_has_a_file_of_its_own() -> None:
    filenames = [function.__code__.co_filename for _, _, function in COMPILED]
    assert len(set(filenames)) == len(filenames)


def test_the_source_survives_linecache_checkcache() -> None:
    # traceback and pdb call checkcache; an entry without a modification
    # time is not a file to re-check, so it stays.
    decoder = codec.METHOD_DECODERS[QUEUE_DECLARE_ID]
    linecache.checkcache()
    linecache.checkcache(decoder.__code__.co_filename)
    assert inspect.getsource(decoder).startswith("def decode_queue_declare(")


def test_compiling_one_name_twice_gives_two_files() -> None:
    first = compile_function("def twice():\n    return 1\n", "twice", {}, __name__)
    second = compile_function("def twice():\n    return 2\n", "twice", {}, __name__)
    assert first.__code__.co_filename != second.__code__.co_filename
    assert "return 1" in inspect.getsource(first) and "return 2" in inspect.getsource(second)


def test_threads_compiling_one_name_never_share_a_file() -> None:
    results: list[Callable[..., Any]] = []
    barrier = threading.Barrier(8)

    def compile_one(number: int) -> None:
        barrier.wait()
        results.append(compile_function(f"def racer():\n    return {number}\n", "racer", {}, __name__))

    threads = [threading.Thread(target=compile_one, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 8
    assert len({function.__code__.co_filename for function in results}) == 8
    for function in results:  # each file holds its own function's source
        assert f"return {function()}" in inspect.getsource(function)


# -- tracebacks through generated code -------------------------------------------------


def test_a_traceback_shows_the_generated_line_that_failed() -> None:
    frame = encode_method_frame(1, QueueDeclare(queue="q"))
    decoder = codec.METHOD_DECODERS[QUEUE_DECLARE_ID]
    with pytest.raises(struct.error) as excinfo:
        decoder(frame[:12], 11, 20)  # cut inside the arguments
    formatted = "".join(traceback.format_exception(excinfo.value))
    assert 'File "<amqproto.wire.codec.decode_queue_declare>", line 3, in decode_queue_declare' in formatted
    assert "= _D0(buf, off)" in formatted  # the generated line itself


def test_a_syntax_error_chains_from_the_raw_error_with_its_traceback() -> None:
    payload = encode_method(QueueDeclare(queue="q"))
    with pytest.raises(AMQPSyntaxError, match=r"malformed queue\.declare") as excinfo:
        decode_method(payload[:6])
    assert isinstance(excinfo.value.__cause__, struct.error)
    formatted = "".join(traceback.format_exception(excinfo.value))
    assert "in decode_queue_declare" in formatted
    assert "The above exception was the direct cause" in formatted


def test_an_encode_error_chains_from_the_fast_path_failure() -> None:
    with pytest.raises(EncodeError, match=r"queue\.declare\.ticket = 70000 is out of range") as excinfo:
        encode_method_frame(1, QueueDeclare(ticket=70000))
    assert isinstance(excinfo.value.__cause__, struct.error)
    assert "in encode_queue_declare" in "".join(traceback.format_exception(excinfo.value))


# -- a bug in generated code blames amqproto, not the caller or the peer ----------------------


def _broken(*args: object) -> Any:
    raise TypeError("a bug in a compiled coder")


def test_a_method_encoder_failing_on_valid_fields_raises_a_codec_bug_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(codec._METHOD_ENCODERS, QueueDeclare, _broken)
    message = "amqproto failed encoding queue.declare although the input is valid"
    with pytest.raises(CodecBugError, match=message) as excinfo:
        encode_method_frame(1, QueueDeclare(queue="q"))
    error = excinfo.value
    # Neither the caller's fault (an EncodeError) nor the peer's, nor a closed connection.
    assert isinstance(error, AMQPError) and not isinstance(error, (EncodeError, ReplyError))
    assert isinstance(error.__cause__, TypeError)
    assert "in _broken" in "".join(traceback.format_exception(error))


def test_a_property_encoder_failing_on_valid_properties_raises_a_codec_bug_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(codec, "_encode_properties", _broken)
    with pytest.raises(CodecBugError, match="encoding BasicProperties") as excinfo:
        encode_properties(BasicProperties(content_type="x"))
    assert isinstance(excinfo.value.__cause__, TypeError)


def test_invalid_input_is_still_the_callers_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # The slow path finds the bad field first, whatever the fast path raised.
    monkeypatch.setitem(codec._METHOD_ENCODERS, QueueDeclare, _broken)
    with pytest.raises(EncodeError, match=r"queue\.declare\.queue is 256 bytes long"):
        encode_method_frame(1, QueueDeclare(queue="q" * 256))


def test_content_frames_fall_back_and_report_a_codec_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(codec.CONTENT_ENCODERS, BasicPublish, _broken)
    monkeypatch.setitem(codec._METHOD_ENCODERS, BasicPublish, _broken)
    with pytest.raises(CodecBugError, match=r"basic\.publish"):
        encode_content_frames(1, BasicPublish(), BasicProperties(), b"x", 4096)


# -- python -m amqproto.wire ----------------------------------------------------------


@pytest.mark.parametrize("name", ["basic.publish", "BasicPublish"])
def test_dump_prints_a_methods_generated_source(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert dump_command.main(["--dump", name]) == 0
    out = capsys.readouterr().out
    assert (
        "# amqproto.wire.codec.encode_basic_publish, file <amqproto.wire.codec.encode_basic_publish>" in out
    )
    assert "def encode_basic_publish(channel, m):" in out
    assert "def decode_basic_publish(buf, off, end):" in out
    assert "def encode_basic_publish_content(channel, m, p, body):" in out
    assert inspect.getsource(codec.METHOD_DECODERS[60 << 16 | 40]) in out


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BasicProperties", ["def encode_basic_properties(p):", "def decode_content_header_0xfffc("]),
        ("basic.properties", ["def decode_basic_properties(buf, off, flags):"]),
        ("table", ["def _decode_table(buf, off):", "def timestamp_to_datetime(seconds):"]),
        ("queue.declare-ok", ["def decode_queue_declare_ok(buf, off, end):"]),
    ],
)
def test_dump_prints_the_other_generated_code(
    name: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert dump_command.main(["--dump", name]) == 0
    out = capsys.readouterr().out
    for line in expected:
        assert line in out


def test_dump_lists_its_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert dump_command.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split() == ["basic.publish", "BasicPublish"] for line in lines)
    assert len(lines) == len(METHODS) + 2


def test_dump_refuses_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert dump_command.main(["--dump", "basic.nothing"]) == 2
    assert "no generated code for 'basic.nothing'" in capsys.readouterr().err


def test_dump_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "amqproto.wire", "--dump", "queue.declare"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "def encode_queue_declare(channel, m):" in result.stdout


# -- decoding: malformed input blames the peer, a compiled-decoder bug does not ----------


def _broken_decoder(*args: object) -> Any:
    raise IndexError("a bug in a compiled decoder")


def test_a_method_decoder_failing_on_valid_input_raises_an_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from amqproto.wire import FrameDecoder, MethodFrame, encode_frame

    monkeypatch.setitem(codec.METHOD_DECODERS, QUEUE_DECLARE_ID, _broken_decoder)
    payload = encode_method(QueueDeclare(queue="q"))
    with pytest.raises(
        InternalError, match=r"amqproto failed decoding queue\.declare although the input is valid"
    ) as excinfo:
        decode_method(payload)
    assert excinfo.value.by_peer is False and excinfo.value.reply_code == 541
    assert isinstance(excinfo.value.__cause__, IndexError)
    with pytest.raises(InternalError, match=r"decoding queue\.declare"):
        FrameDecoder().feed(encode_frame(MethodFrame(1, QueueDeclare(queue="q"))))


def test_a_broken_method_decoder_on_malformed_input_still_blames_the_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(codec.METHOD_DECODERS, QUEUE_DECLARE_ID, _broken_decoder)
    payload = encode_method(QueueDeclare(queue="q"))
    with pytest.raises(AMQPSyntaxError, match=r"malformed queue\.declare") as excinfo:
        decode_method(payload[:-1])
    assert excinfo.value.class_id == 50 and excinfo.value.method_id == 10


def test_a_property_decoder_failing_on_valid_input_raises_an_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from amqproto.wire import FrameDecoder, decode_properties, encode_header_frame
    from amqproto.wire import frames as frames_module

    props = BasicProperties(content_type="text/plain", headers={"a": 1})
    flags, encoded = encode_properties(props)
    monkeypatch.setattr(codec, "_decode_properties", _broken_decoder)
    with pytest.raises(InternalError, match="decoding content properties"):
        decode_properties(encoded, 0, len(encoded), flags)
    monkeypatch.setitem(frames_module._HEADER_DECODERS, flags, _broken_decoder)
    with pytest.raises(InternalError, match="decoding content header") as excinfo:
        FrameDecoder().feed(encode_header_frame(1, 5, props))
    assert excinfo.value.class_id == 60
