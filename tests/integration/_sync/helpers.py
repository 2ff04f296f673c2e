"""The blocking flavour's primitives for the broker suite: threads.

Hand-written twin of ``../_async/helpers.py`` (``scripts/unasync.py`` keeps
it out of generation): same names, same behaviour, no ``async``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from amqproto.io._sync.connection import SyncConnection
from amqproto.io.blocking import BlockingConnection

__all__ = ["CONNECTION_CLASSES", "gather", "sleep", "run_blocking", "eventually", "bounded"]

T = TypeVar("T")

#: The adapters this flavour of the suite runs against.
CONNECTION_CLASSES: list[type[SyncConnection]] = [BlockingConnection]

#: Threads calling into one connection at once in :func:`gather`.
WORKERS = 16


def gather(*thunks: Callable[[], T]) -> list[T]:
    """Run every thunk on a thread pool; their results in order, or the first error.

    Every thunk runs to its end (nothing is cancelled when one fails).
    """
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(thunk) for thunk in thunks]
    errors = [error for error in (future.exception() for future in futures) if error is not None]
    if errors:
        raise errors[0]
    return [future.result() for future in futures]


def sleep(seconds: float) -> None:
    """Sleep in the calling thread; the reader and timer threads carry on."""
    time.sleep(seconds)


def run_blocking(function: Callable[..., T], *arguments: Any) -> T:
    """Call a blocking function (here: directly, in the calling thread)."""
    return function(*arguments)


def eventually(condition: Callable[[], object], within: float = 10.0) -> None:
    """Wait until ``condition()`` is true, checking often; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {within} s: {condition}")
        sleep(0.01)


def bounded(seconds: float, thunk: Callable[[], T]) -> T:
    """``thunk()``, failing the test if it is still running after ``seconds``.

    A bound against hangs, not a timing assertion: give it ample room.  The
    thunk runs in a daemon thread, left behind if it hangs (the test fails
    either way); what it raises goes through.
    """
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, thunk()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            outcome.append((False, exc))

    worker = threading.Thread(target=run, name="bounded", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        pytest.fail(f"still running after {seconds} s")
    succeeded, value = outcome[0]
    if not succeeded:
        raise value
    return value  # type: ignore[no-any-return]
