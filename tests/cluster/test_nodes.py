"""The failover controls work, and what a client sees when its node goes down (no recovery).

Blocking adapter only: this checks the test cluster, not an adapter.  A node
stopped with :meth:`~tests.cluster.nodes.Cluster.stop_node` closes its
connections (RabbitMQ sends 320 CONNECTION_FORCED at shutdown, or the socket
just closes) and refuses new ones; a quorum queue with a replica on each
node keeps its majority and stays usable through the other nodes;
:meth:`~tests.cluster.nodes.Cluster.start_node` brings the node back into
the cluster, serving the same queue.
"""

from __future__ import annotations

import pytest

from amqproto.exceptions import ConnectionClosedError, ConnectionLost
from amqproto.io.blocking import BlockingConnection

from ..integration.broker import unique
from .nodes import Cluster


def test_a_quorum_queue_outlives_a_node(cluster: Cluster) -> None:
    queue = unique("quorum-failover")
    with BlockingConnection(cluster.url(1)) as connection, connection.get_channel() as channel:
        channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
        try:
            channel.confirm_select()
            channel.basic_publish(b"before", routing_key=queue)
            doomed = BlockingConnection(cluster.url(2))
            doomed.connect()
            try:
                cluster.stop_node(2)
                with pytest.raises(ConnectionClosedError), doomed.get_channel() as doomed_channel:
                    doomed_channel.queue_declare(queue, passive=True)
            finally:
                doomed.close()
            with pytest.raises(ConnectionLost):
                BlockingConnection(cluster.url(2), connection_timeout=5).connect()

            # Two of three replicas: the queue still takes and confirms messages.
            channel.basic_publish(b"during", routing_key=queue)

            cluster.start_node(2)
            with BlockingConnection(cluster.url(2)) as back, back.get_channel() as back_channel:
                assert back_channel.queue_declare(queue, passive=True).message_count == 2
                bodies = []
                for _ in range(2):
                    message = back_channel.basic_get(queue)
                    assert message is not None
                    bodies.append(message.body)
                    message.ack()
                assert bodies == [b"before", b"during"]
        finally:
            channel.queue_delete(queue)
