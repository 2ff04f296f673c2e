"""Failover on the three-node cluster: recovery moves clients to a live node (issue 11).

A confirming publisher and a consumer share a quorum queue, both with
recovery on and the cluster's three URLs, each starting on a node of its
own (the publisher on node 1, the consumer on node 2; the queue's leader
on node 3, which stays up).  The test stops the publisher's node, starts it
again, then stops the consumer's node, while the two clients keep working
on their own: no user code reconnects, declares or consumes again.

What must hold:

- every message whose publish returned without error (its confirm came) is
  consumed at least once: a publish that raised (its confirm was pending
  at the loss, or nacked while the queue elected a new leader) has an
  unknown outcome, and may be consumed or not;
- publishing resumes after the publisher's node goes, and consuming after
  the consumer's node goes, through the recovered callbacks and without
  user code;
- nothing hangs: every wait is bounded, and the three loops (publisher,
  consumer, the test's own steps) end when the steps end, whatever they
  found.

Why the leader stays up: with the leader on the publisher's node (1), the
broker (3.10) sometimes nacked every publish on the recovered connection to
node 3 for over 30 s after node 1 stopped (one run in about three; tens of
thousands of ``NackError``, no confirm): the quorum queue's leader election
on the broker's side, not a recovery the client can hurry.  The failover
tested here is the client's.

Each test runs once per adapter of its flavour (asyncio, curio and uvloop
here; ``scripts/unasync.py`` generates the blocking twin in ``../_sync``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from amqproto.exceptions import ConnectionInterrupted, NackError, OperationTimeout
from amqproto.io._async.connection import AsyncConnection
from amqproto.io.recovery import Recovery

from ...integration._async.helpers import eventually, gather, run_blocking
from ...integration.broker import unique
from ..nodes import Cluster

#: Retries come quickly: a stopped node refuses at once, a live one is there.
FAST = Recovery(initial_delay=0.1, max_delay=1.0)
#: Seconds a step may take: a recovery, a leader election, messages flowing again.
STEP_WITHIN = 30.0
#: Seconds a publish may wait for its confirm (or for a recovery under way).
PUBLISH_TIMEOUT = 10.0


@dataclass
class Progress:
    """What the publisher and the consumer did so far, and when they should stop."""

    #: Bodies (as numbers) whose publish returned: confirmed by the broker.
    confirmed: set[int] = field(default_factory=set)
    #: Bodies consumed (and acked), redeliveries included once.
    consumed: set[int] = field(default_factory=set)
    #: Publishes that raised (their outcome is unknown), by the error's class name.
    unsettled: Counter[str] = field(default_factory=Counter)
    #: One entry per recovery of each client (its recovered callback).
    publisher_recoveries: list[bool] = field(default_factory=list)
    consumer_recoveries: list[bool] = field(default_factory=list)
    stop_publishing: bool = False
    stop_consuming: bool = False

    def summary(self) -> str:
        """Counts for a failure's message."""
        return (
            f"{len(self.confirmed)} confirmed, {len(self.consumed)} consumed,"
            f" unsettled {dict(self.unsettled)},"
            f" {len(self.confirmed - self.consumed)} confirmed and not consumed,"
            f" recoveries: publisher {len(self.publisher_recoveries)},"
            f" consumer {len(self.consumer_recoveries)}"
        )


def _node_of(connection: AsyncConnection, cluster: Cluster) -> int:
    """The node (1 to 3) ``connection`` is connected to now."""
    ports = [int(url.rsplit(":", 1)[1].split("/", 1)[0]) for url in cluster.urls]
    return ports.index(connection.port) + 1


async def test_a_publisher_and_a_consumer_fail_over_on_their_own(
    connection_class: type[AsyncConnection], cluster: Cluster
) -> None:
    queue = unique("failover")
    progress = Progress()
    async with connection_class(cluster.url(3)) as admin, admin.get_channel() as channel:
        # Declared on node 3, where its leader starts and stays (see the module's docstring).
        await channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
    publisher = connection_class([cluster.url(1), cluster.url(3), cluster.url(2)], recovery=FAST)
    consumer = connection_class([cluster.url(2), cluster.url(1), cluster.url(3)], recovery=FAST)
    publisher.add_recovered_callback(lambda: progress.publisher_recoveries.append(True))
    consumer.add_recovered_callback(lambda: progress.consumer_recoveries.append(True))
    try:
        await publisher.connect()
        await consumer.connect()
        assert (_node_of(publisher, cluster), _node_of(consumer, cluster)) == (1, 2)

        async def publish() -> None:
            channel = await publisher.channel()
            await channel.confirm_select()
            number = 0
            while not progress.stop_publishing:
                number += 1
                try:
                    await channel.basic_publish(b"%d" % number, routing_key=queue, timeout=PUBLISH_TIMEOUT)
                except (ConnectionInterrupted, NackError, OperationTimeout) as exc:
                    progress.unsettled[type(exc).__name__] += 1
                else:
                    progress.confirmed.add(number)

        async def consume() -> None:
            channel = await consumer.channel()
            await channel.basic_qos(prefetch_count=50)
            async with channel.basic_consume(queue, inactivity_timeout=0.5) as messages:
                while not progress.stop_consuming:
                    try:
                        message = await messages.__anext__()
                    except OperationTimeout:
                        continue
                    progress.consumed.add(int(message.body))
                    await message.ack()

        async def fail_nodes() -> None:
            try:
                await eventually(
                    lambda: min(len(progress.confirmed), len(progress.consumed)) >= 20, STEP_WITHIN
                )

                # The publisher's node goes: it moves on, and publishing resumes.
                await run_blocking(cluster.stop_node, 1)
                confirmed_then = len(progress.confirmed)
                await eventually(
                    lambda: progress.publisher_recoveries and len(progress.confirmed) > confirmed_then + 20,
                    STEP_WITHIN,
                )
                assert _node_of(publisher, cluster) == 3
                await run_blocking(cluster.start_node, 1)

                # The consumer's node goes: it moves on, and consuming resumes.
                await run_blocking(cluster.stop_node, 2)
                consumed_then = len(progress.consumed)
                await eventually(
                    lambda: progress.consumer_recoveries and len(progress.consumed) > consumed_then + 20,
                    STEP_WITHIN,
                )
                assert _node_of(consumer, cluster) in (1, 3)

                progress.stop_publishing = True
                await eventually(lambda: progress.confirmed <= progress.consumed, STEP_WITHIN)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; {progress.summary()}") from None
            finally:
                progress.stop_publishing = progress.stop_consuming = True

        await gather(publish, consume, fail_nodes)
        assert not progress.confirmed - progress.consumed
        assert len(progress.publisher_recoveries) == 1
        assert publisher.is_open and consumer.is_open
    finally:
        await publisher.close()
        await consumer.close()
        async with connection_class(list(cluster.urls)) as cleanup, cleanup.get_channel() as channel:
            await channel.queue_delete(queue)
