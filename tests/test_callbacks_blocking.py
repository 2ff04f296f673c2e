"""A blocking return callback may call the channel and wait for the broker (issue 9, item 4).

Callbacks run on the connection's callback runner thread, never on the
reader thread: a callback that re-publishes a returned message in confirm
mode waits for its confirm while the reader goes on reading it.
"""

from __future__ import annotations

import threading

import pytest

from amqproto.io.blocking import BlockingConnection, ReturnedMessage

from .integration.broker import URL, unique

pytestmark = pytest.mark.broker


def test_a_return_callback_can_republish_and_wait_for_its_confirm() -> None:
    with BlockingConnection(URL, call_timeout=30) as connection:
        channel = connection.channel()
        channel.confirm_select()
        fallback = channel.queue_declare(exclusive=True).queue
        rerouted = threading.Event()
        confirmed: list[int | None] = []
        callback_threads: list[threading.Thread] = []

        def reroute(message: ReturnedMessage) -> None:
            callback_threads.append(threading.current_thread())
            confirmed.append(channel.basic_publish(message.body, routing_key=fallback))
            rerouted.set()

        channel.add_return_callback(reroute)
        channel.basic_publish(b"lost?", routing_key=unique("unroutable"), mandatory=True, wait=False)
        assert rerouted.wait(30), "the callback never finished: it waited on the reader"
        assert confirmed == [2]
        assert callback_threads[0].name.endswith("_run_callbacks")
        message = channel.basic_get(fallback, no_ack=True)
        assert message is not None and message.body == b"lost?"
