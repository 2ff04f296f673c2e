"""The blocking backend's waiter: a lock held until set, with an ``Event``'s semantics."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from amqproto.io.blocking import ThreadingBackend


def test_the_first_set_wins_and_every_wait_then_returns_it() -> None:
    waiter = ThreadingBackend().create_waiter()
    assert not waiter.done()
    waiter.set_result(1)
    waiter.set_result(2)
    waiter.set_exception(ValueError("late"))
    assert waiter.done()
    assert waiter.wait() == 1
    assert waiter.wait(0) == 1  # stays set, as an Event does
    assert ThreadingBackend().wait_timeout(waiter, 0.0)


def test_an_exception_set_first_is_raised_by_every_wait() -> None:
    waiter = ThreadingBackend().create_waiter()
    waiter.set_exception(ValueError("first"))
    waiter.set_result(1)
    for _ in range(2):
        with pytest.raises(ValueError, match="first"):
            waiter.wait()


@pytest.mark.parametrize("timeout", [0.0, -1.0, 0.01])
def test_an_unset_waiter_times_out(timeout: float) -> None:
    waiter = ThreadingBackend().create_waiter()
    with pytest.raises(TimeoutError):
        waiter.wait(timeout)
    assert not ThreadingBackend().wait_timeout(waiter, timeout)
    assert not waiter.done()
    waiter.set_result("after")
    assert waiter.wait(timeout) == "after"


def test_a_set_from_another_thread_wakes_the_waiter() -> None:
    waiter = ThreadingBackend().create_waiter()
    thread = threading.Timer(0.01, waiter.set_result, ("woken",))
    thread.start()
    try:
        assert waiter.wait(10.0) == "woken"
    finally:
        thread.join()


def _race_sets(waiter: Any, threads: int) -> list[RuntimeError]:
    """Set ``waiter`` from ``threads`` threads at once; the errors they met (a lock released twice)."""
    start = threading.Barrier(threads)
    errors: list[RuntimeError] = []

    def set_it(value: int) -> None:
        start.wait()
        try:
            waiter.set_result(value)
        except RuntimeError as exc:  # pragma: no cover - what the test looks for
            errors.append(exc)

    running = [threading.Thread(target=set_it, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return errors


def test_racing_sets_from_many_threads_set_it_once() -> None:
    for _ in range(50):
        waiter = ThreadingBackend().create_waiter()
        assert _race_sets(waiter, 8) == []
        assert waiter.wait(0) in range(8)
