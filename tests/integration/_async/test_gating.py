"""connection.blocked gating, blocked_timeout and credential refresh (issue 11), on every adapter.

The blocking tests script the broker (:class:`~tests.fake_broker.FakeBroker`):
while it says ``connection.blocked`` a publish waits instead of going out,
and a block longer than ``blocked_timeout`` drops the connection.  The
refresh test changes a real user's password with ``rabbitmqctl`` and lets
the connection hand the broker the new one (``connection.update-secret``).
"""

from __future__ import annotations

import subprocess

import pytest

from amqproto.auth import TokenPLAIN
from amqproto.exceptions import AMQPError, ConnectionBlockedTimeout, OperationTimeout
from amqproto.io._async.connection import AsyncConnection
from amqproto.schema import BasicPublish, ConnectionBlocked, ConnectionUnblocked, QueueDeclare, QueueDeclareOk
from amqproto.wire import MethodFrame

from ...fake_broker import FakeBroker
from ..broker import unique
from .helpers import eventually, gather, run_blocking

CALL_TIMEOUT = 10.0


async def test_publishes_wait_while_the_broker_blocks_them(connection_class: type[AsyncConnection]) -> None:
    def script(broker: FakeBroker) -> None:
        channel = broker.expect(QueueDeclare)[0][0].channel
        broker.send(
            MethodFrame(0, ConnectionBlocked("low on memory")), MethodFrame(channel, QueueDeclareOk("q"))
        )
        broker.serve_until(broker.proceed.is_set, what="the test's go-ahead")
        # Nothing was published while blocked.
        assert broker.received_of(BasicPublish) == []
        broker.send(MethodFrame(0, ConnectionUnblocked()))
        broker.expect(BasicPublish)

    with FakeBroker(script) as broker:
        async with connection_class(broker.url, call_timeout=CALL_TIMEOUT) as connection:
            channel = await connection.channel()
            await channel.queue_declare("q")
            assert connection.blocked
            with pytest.raises(OperationTimeout):
                await channel.basic_publish(b"held", routing_key="q", timeout=0.3)

            async def publish() -> None:
                await channel.basic_publish(b"sent once unblocked", routing_key="q")

            async def unblock() -> None:
                broker.proceed.set()

            await gather(publish, unblock)
            await eventually(lambda: broker.received_of(BasicPublish))
            assert not connection.blocked


async def test_a_block_longer_than_blocked_timeout_drops_the_connection(
    connection_class: type[AsyncConnection],
) -> None:
    def script(broker: FakeBroker) -> None:
        channel = broker.expect(QueueDeclare)[0][0].channel
        broker.send(
            MethodFrame(0, ConnectionBlocked("disk alarm")), MethodFrame(channel, QueueDeclareOk("q"))
        )
        broker.serve_until(lambda: broker.over, what="the client to leave")

    ended: list[AMQPError | None] = []
    with FakeBroker(script) as broker:
        connection = connection_class(broker.url, call_timeout=CALL_TIMEOUT, blocked_timeout=0.3)
        connection.add_close_callback(ended.append)
        await connection.connect()
        channel = await connection.channel()
        await channel.queue_declare("q")
        await eventually(lambda: ended)
        assert isinstance(ended[0], ConnectionBlockedTimeout)
        with pytest.raises(ConnectionBlockedTimeout):
            await channel.basic_publish(b"too late", routing_key="q")
        await connection.close()


def _rabbitmqctl(*arguments: str) -> None:
    subprocess.run(["rabbitmqctl", *arguments], capture_output=True, timeout=60, check=True)


@pytest.mark.broker
async def test_a_secret_is_refreshed_with_update_secret_before_it_expires(
    connection_class: type[AsyncConnection],
) -> None:
    user = unique("user")
    passwords = ["first-secret", "second-secret"]
    fetched: list[str] = []

    def fetch() -> tuple[str, float | None]:
        password = passwords[min(len(fetched), 1)]
        fetched.append(password)
        return password, 3.0  # refreshed after 2.4 s

    await run_blocking(_rabbitmqctl, "add_user", user, passwords[0])
    try:
        await run_blocking(_rabbitmqctl, "set_permissions", "-p", "/", user, ".*", ".*", ".*")
        auth = TokenPLAIN(fetch, username=user)
        async with connection_class(
            "amqp://127.0.0.1:5672/%2F", auth=auth, call_timeout=CALL_TIMEOUT
        ) as connection:
            # The password changes on the broker's side; the next refresh fetches it.
            await run_blocking(_rabbitmqctl, "change_password", user, passwords[1])
            await eventually(lambda: len(fetched) >= 2, within=20)
            channel = await connection.channel()
            await channel.queue_declare(exclusive=True)
            assert connection.is_open
            assert auth.password == passwords[1]
    finally:
        await run_blocking(_rabbitmqctl, "delete_user", user)
