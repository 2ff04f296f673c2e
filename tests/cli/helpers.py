"""Running the ``amqproto`` command in tests: in-process and as ``python -m amqproto``."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from amqproto.cli import main
from amqproto.exceptions import NotFound
from amqproto.io.blocking import BlockingChannel, BlockingConnection

__all__ = ["URL", "Result", "run", "run_process", "admin_channel", "queue_exists", "wait_until"]

#: The broker every test talks to.
URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
#: The worktree root: ``python -m amqproto`` must import this amqproto.
ROOT = Path(__file__).resolve().parents[2]
#: Seconds a command may take before the test fails.
TIMEOUT = 30.0


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    """``main(argv)`` in this process, with ``--url`` pointing at the test broker."""
    capsys.readouterr()
    code = main([*argv, "--url", URL])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def run_process(*argv: str, stdin: bytes = b"", url: str | None = URL) -> subprocess.CompletedProcess[bytes]:
    """``python -m amqproto argv`` (with ``--url``), stdin given, output captured as bytes."""
    url_option = ["--url", url] if url is not None else []
    return subprocess.run(
        [sys.executable, "-m", "amqproto", *argv, *url_option],
        input=stdin,
        capture_output=True,
        timeout=TIMEOUT,
        cwd=ROOT,
        check=False,
    )


@contextmanager
def admin_channel() -> Iterator[BlockingChannel]:
    """A channel for checking and cleaning up behind the commands."""
    with BlockingConnection(URL, heartbeat=0) as connection, connection.get_channel() as channel:
        yield channel


def queue_exists(name: str) -> bool:
    with admin_channel() as channel:
        try:
            channel.queue_declare(name, passive=True)
        except NotFound:
            return False
    return True


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.02)
