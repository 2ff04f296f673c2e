"""Every command but ``perf``, end to end against the broker.

Most tests call ``main(argv)`` in this process; the ones about standard
input, raw output, signals and the console entry run ``python -m amqproto``.
Each test uses names of its own and deletes what it created.
"""

from __future__ import annotations

import base64
import json
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from amqproto.exceptions import PreconditionFailed

from .helpers import ROOT, TIMEOUT, URL, admin_channel, queue_exists, run, run_process, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.timeout(60)]


def unique(kind: str) -> str:
    return f"amqproto.test-cli.{kind}.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def queue() -> Iterator[str]:
    """A fresh classic queue, deleted afterwards."""
    name = unique("queue")
    with admin_channel() as channel:
        channel.queue_declare(name)
    yield name
    with admin_channel() as channel:
        channel.queue_delete(name)


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def one_error_line(err: str | bytes) -> str:
    """The error output is exactly one line, ``amqproto: error: ...``; return it."""
    text = err.decode() if isinstance(err, bytes) else err
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("amqproto: error: ")
    assert "Traceback" not in text
    return lines[0]


# -- publish, get, consume -------------------------------------------------------


def test_published_bodies_come_back_as_json_with_headers_and_properties(
    queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    published = run(
        capsys,
        "publish",
        "hello",
        "wörld",
        "--routing-key",
        queue,
        "--header",
        "attempt=3",
        "--header",
        "user=alice",
        "--header",
        'id="10"',
        "--property",
        "message_id=m-1",
        "--property",
        "content_type=text/plain",
        "--property",
        "priority=4",
        "--property",
        "timestamp=2026-01-02T03:04:05",
        "--persistent",
        "--confirm",
    )
    assert published.code == 0, published.err
    got = run(capsys, "get", queue, "--json", "--count", "5")
    assert got.code == 0, got.err
    messages = json_lines(got.out)
    assert [message["body"] for message in messages] == ["hello", "wörld"]
    assert messages[0] == {
        "body": "hello",
        "exchange": "",
        "routing_key": queue,
        "redelivered": False,
        "properties": {
            "content_type": "text/plain",
            "headers": {"attempt": 3, "user": "alice", "id": "10"},
            "delivery_mode": 2,
            "priority": 4,
            "message_id": "m-1",
            "timestamp": "2026-01-02T03:04:05+00:00",
        },
    }
    # --ack (the default) took them off the queue.
    assert run(capsys, "get", queue).out == ""


def test_a_binary_body_is_base64_in_json_and_raw_otherwise(queue: str) -> None:
    body = bytes(range(256))
    assert run_process("publish", "-", "--routing-key", queue, stdin=body).returncode == 0
    peeked = run_process("get", queue, "--json", "--requeue")
    assert peeked.returncode == 0, peeked.stderr
    assert base64.b64decode(json.loads(peeked.stdout)["body"]["base64"]) == body
    raw = run_process("get", queue)
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout == body + b"\n"


def test_lines_from_stdin_are_messages_consumed_in_order(
    queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = b"first\nsecond\n\nfourth\n"
    assert run_process("publish", "--lines", "-", "--routing-key", queue, stdin=lines).returncode == 0
    consumed = run(capsys, "consume", queue, "--count", "4", "--prefetch", "2")
    assert consumed.code == 0, consumed.err
    assert consumed.out == "first\nsecond\n\nfourth\n"
    with admin_channel() as channel:
        assert channel.queue_declare(queue, passive=True).message_count == 0


def test_generated_bodies_have_the_count_and_size_asked_for(
    queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(capsys, "publish", "--routing-key", queue, "--count", "5", "--size", "10", "--confirm").code == 0
    )
    got = run(capsys, "get", queue, "--count", "10", "--no-ack")
    assert got.out.splitlines() == [f"{n}".ljust(10, ".") for n in range(1, 6)]
    assert run(capsys, "publish", "--routing-key", queue, "--count", "3", "same").code == 0
    assert run(capsys, "get", queue, "--count", "10").out == "same\n" * 3


def test_get_requeue_peeks_without_taking(queue: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "publish", "--routing-key", queue, "a", "b", "c", "--confirm").code == 0
    assert run(capsys, "get", queue, "--count", "2", "--requeue").out == "a\nb\n"
    peeked_again = json_lines(run(capsys, "get", queue, "--count", "3", "--requeue", "--json").out)
    assert [message["body"] for message in peeked_again] == ["a", "b", "c"]
    assert peeked_again[0]["redelivered"] is True
    assert run(capsys, "get", queue, "--count", "3").out == "a\nb\nc\n"


def test_consume_json_and_no_ack(queue: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "publish", "--routing-key", queue, "x", "y", "--confirm").code == 0
    consumed = run(capsys, "consume", queue, "--count", "2", "--json", "--no-ack")
    assert consumed.code == 0, consumed.err
    assert [message["body"] for message in json_lines(consumed.out)] == ["x", "y"]
    assert run(capsys, "get", queue).out == ""


def test_consume_until_interrupted_exits_130_with_one_line(queue: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "amqproto", "consume", queue, "--url", URL],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:

        def consuming() -> bool:
            with admin_channel() as channel:
                return channel.queue_declare(queue, passive=True).consumer_count == 1

        wait_until(consuming, "the command consumes")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130
    assert err.decode().splitlines() == ["amqproto: interrupted"]
    assert out == b""


# -- declare, bind, delete -------------------------------------------------------


def test_declare_bind_publish_delete(capsys: pytest.CaptureFixture[str]) -> None:
    queue, exchange = unique("queue"), unique("exchange")
    try:
        declared = run(capsys, "declare", "queue", queue, "--durable")
        assert (declared.code, declared.out) == (0, f"{queue}\n")
        assert run(capsys, "declare", "exchange", exchange, "topic", "--durable").code == 0
        assert run(capsys, "bind", queue, exchange, "logs.*").code == 0
        publish = ("publish", "--exchange", exchange, "--mandatory", "--routing-key")
        assert run(capsys, *publish, "logs.app", "routed").code == 0
        unroutable = run(capsys, *publish, "other", "lost")
        assert unroutable.code == 1
        assert "312 NO_ROUTE" in one_error_line(unroutable.err)
        assert run(capsys, "get", queue).out == "routed\n"
        assert run(capsys, "delete", "exchange", exchange).code == 0
        assert run(capsys, "delete", "queue", queue, "--if-empty").code == 0
        assert not queue_exists(queue)
        missing = run(capsys, "get", queue)
        assert missing.code == 1
        assert "404" in one_error_line(missing.err)
    finally:
        with admin_channel() as channel:
            channel.queue_delete(queue)
            channel.exchange_delete(exchange)


def test_a_server_named_queue_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    declared = run(capsys, "declare", "queue", "", "--auto-delete")
    name = declared.out.strip()
    try:
        assert declared.code == 0
        assert name.startswith("amq.gen-")
    finally:
        with admin_channel() as channel:
            channel.queue_delete(name)


def test_arguments_are_typed_and_quorum_queues_are_declared(capsys: pytest.CaptureFixture[str]) -> None:
    queue = unique("quorum")
    try:
        declared = run(capsys, "declare", "queue", queue, "--quorum", "--argument", "x-max-length=10")
        assert declared.code == 0, declared.err
        with admin_channel() as channel:
            # The same queue, re-declared as the broker holds it: no mismatch.
            channel.queue_declare(
                queue, durable=True, arguments={"x-queue-type": "quorum", "x-max-length": 10}
            )
        with admin_channel() as channel, pytest.raises(PreconditionFailed):
            channel.queue_declare(queue, durable=True)  # a classic queue of that name: refused
        # A JSON-quoted value is a string, which the broker refuses for x-max-length.
        refused = run(capsys, "declare", "queue", unique("typed"), "--argument", 'x-max-length="10"')
        assert refused.code == 1
        assert "406" in one_error_line(refused.err)
    finally:
        with admin_channel() as channel:
            channel.queue_delete(queue)


def test_bind_with_arguments_to_a_headers_exchange(queue: str, capsys: pytest.CaptureFixture[str]) -> None:
    exchange = unique("headers")
    try:
        assert run(capsys, "declare", "exchange", exchange, "headers").code == 0
        assert (
            run(capsys, "bind", queue, exchange, "--argument", "x-match=all", "--argument", "kind=7").code
            == 0
        )
        assert (
            run(capsys, "publish", "--exchange", exchange, "--header", "kind=7", "match", "--mandatory").code
            == 0
        )
        assert (
            run(capsys, "publish", "--exchange", exchange, "--header", 'kind="7"', "miss", "--mandatory").code
            == 1
        )
        assert run(capsys, "get", queue, "--count", "2").out == "match\n"
    finally:
        with admin_channel() as channel:
            channel.exchange_delete(exchange)


# -- failures are one line, exit 1, no password ----------------------------------


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_refused_connection_is_one_line_and_exit_1() -> None:
    url = f"amqp://guest:s3cr3t-pw@127.0.0.1:{unused_port()}/%2F"
    for argv in (["publish", "x"], ["get", "q"], ["declare", "queue", "q"], ["perf", "--duration", "1"]):
        result = run_process(*argv, url=url)
        assert result.returncode == 1, argv
        line = one_error_line(result.stderr)
        assert "cannot connect to 127.0.0.1" in line
        assert b"s3cr3t-pw" not in result.stderr + result.stdout


def test_a_wrong_password_is_one_line_without_the_password() -> None:
    result = run_process("get", "q", url="amqp://guest:n0t-the-pw@127.0.0.1:5672/%2F")
    assert result.returncode == 1
    assert "ACCESS_REFUSED" in one_error_line(result.stderr)
    assert b"n0t-the-pw" not in result.stderr + result.stdout


def test_a_missing_queue_is_404_for_get_and_consume(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("get", "consume"):
        result = run(capsys, command, unique("missing"))
        assert result.code == 1
        assert "404: NOT_FOUND" in one_error_line(result.err)


def test_a_nacked_publish_fails(capsys: pytest.CaptureFixture[str]) -> None:
    queue = unique("full")
    try:
        declared = run(
            capsys,
            "declare",
            "queue",
            queue,
            "--argument",
            "x-max-length=0",
            "--argument",
            "x-overflow=reject-publish",
        )
        assert declared.code == 0, declared.err
        nacked = run(capsys, "publish", "--routing-key", queue, "--confirm", "dropped")
        assert nacked.code == 1
        assert "nacked" in one_error_line(nacked.err)
        assert run(capsys, "publish", "--routing-key", queue, "unconfirmed").code == 0  # nobody asked
    finally:
        with admin_channel() as channel:
            channel.queue_delete(queue)


def test_perf_reports_a_queue_it_cannot_use_in_one_line(
    queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fixture's queue is not durable; perf --queue declares it durable: 406.
    result = run(capsys, "perf", "--queue", queue, "--duration", "1")
    assert result.code == 1
    assert "406: PRECONDITION_FAILED" in one_error_line(result.err)


def test_the_default_url_is_the_librarys() -> None:
    # No --url: amqp://guest:guest@localhost:5672/%2F, the broker of these tests.
    queue = unique("default-url")
    try:
        assert run_process("declare", "queue", queue, url=None).returncode == 0
        assert queue_exists(queue)
    finally:
        with admin_channel() as channel:
            channel.queue_delete(queue)


def test_usage_errors_exit_2_from_the_console() -> None:
    result = run_process("publish", "--bogus", url=None)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines()[-1] == "amqproto: error: unrecognized arguments: --bogus"
