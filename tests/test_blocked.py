"""connection.blocked / unblocked from the real broker reach the callbacks.

The test raises a memory alarm on the broker (a tiny
``vm_memory_high_watermark``) and always restores RabbitMQ's default (0.4)
afterwards; the broker keeps running throughout.  While the alarm is on, the
broker blocks connections that publish and says so with connection.blocked.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time

import pytest

from amqproto.io.asyncio import AsyncioConnection
from amqproto.io.blocking import BlockingConnection

pytestmark = pytest.mark.broker

DEFAULT_WATERMARK = "0.4"


def _set_watermark(value: str) -> None:
    subprocess.run(
        ["rabbitmqctl", "set_vm_memory_high_watermark", value], check=True, capture_output=True, timeout=30
    )


def test_asyncio_reports_blocked_and_unblocked() -> None:
    async def main() -> list[str]:
        seen: list[str] = []
        async with AsyncioConnection(heartbeat=0) as connection:
            connection.add_blocked_callback(lambda reason: seen.append(f"blocked: {reason}"))
            connection.add_unblocked_callback(lambda: seen.append("unblocked"))
            async with connection.get_channel() as channel:
                queue = (await channel.queue_declare("", exclusive=True)).queue
                _set_watermark("0.0000001")
                try:
                    deadline = time.monotonic() + 20
                    # The broker blocks a connection when it next publishes.
                    while not connection.blocked and time.monotonic() < deadline:
                        await channel.basic_publish(b"while the alarm is on", routing_key=queue)
                        await asyncio.sleep(0.2)
                    assert connection.blocked
                finally:
                    _set_watermark(DEFAULT_WATERMARK)
                deadline = time.monotonic() + 20
                while connection.blocked and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                assert not connection.blocked
        return seen

    assert asyncio.run(main()) == ["blocked: low on memory", "unblocked"]


def test_blocking_reports_blocked_and_unblocked() -> None:
    seen: list[str] = []
    changed = threading.Event()

    def on_blocked(reason: str) -> None:
        seen.append(f"blocked: {reason}")
        changed.set()

    def on_unblocked() -> None:
        seen.append("unblocked")
        changed.set()

    with BlockingConnection(heartbeat=0) as connection:
        connection.add_blocked_callback(on_blocked)
        connection.add_unblocked_callback(on_unblocked)
        with connection.get_channel() as channel:
            queue = channel.queue_declare("", exclusive=True).queue
            _set_watermark("0.0000001")
            try:
                for _ in range(100):
                    channel.basic_publish(b"while the alarm is on", routing_key=queue)
                    if changed.wait(0.2):
                        break
                assert connection.blocked
                changed.clear()
            finally:
                _set_watermark(DEFAULT_WATERMARK)
            assert changed.wait(20)
            assert not connection.blocked
    assert seen == ["blocked: low on memory", "unblocked"]
