"""pika's SelectConnection: callbacks on pika's own I/O loop.

Publishing runs in batches scheduled on the I/O loop so that pika can write
between them; a batch ends after 1000 messages or once 1 MiB waits in pika's
transport buffer.  Confirms use a sliding window (pika's ``confirm_delivery``
callback sees every ack, ``multiple`` included).
"""

from __future__ import annotations

import time
from typing import Any

import pika
from pika.adapters.select_connection import SelectConnection

from ..common import CONTENT_TYPE, HEADERS, HOST, PORT, Job, Probe

__all__ = ["run"]

_BATCH = 1000
_HIGH_WATER = 1 << 20


class _Run:
    def __init__(self, job: Job, probe: Probe) -> None:
        self.job = job
        self.probe = probe
        self.body = b"x" * job.size
        self.sent = 0
        self.confirmed = 0
        self.received = 0
        self.error: BaseException | None = None
        parameters = pika.ConnectionParameters(
            host=HOST, port=PORT, credentials=pika.PlainCredentials("guest", "guest")
        )
        self.connection = SelectConnection(
            parameters,
            on_open_callback=self.on_open,
            on_open_error_callback=self.on_error,
            on_close_callback=self.on_closed,
        )
        self.channel: Any = None

    def run(self) -> None:
        self.connection.ioloop.start()
        if self.error is not None:
            raise self.error

    def on_error(self, connection: Any, error: BaseException) -> None:
        self.error = error
        self.connection.ioloop.stop()

    def on_closed(self, connection: Any, reason: BaseException) -> None:
        self.connection.ioloop.stop()

    def finish(self) -> None:
        self.channel.close()
        self.connection.close()

    def on_open(self, connection: Any) -> None:
        connection.channel(on_open_callback=self.on_channel)

    def on_channel(self, channel: Any) -> None:
        self.channel = channel
        kind = self.job.kind
        if kind == "publish":
            self.probe.start()
            self.publish_batch()
        elif kind == "confirm":
            channel.confirm_delivery(self.on_confirm, callback=self.start_confirm)
        elif kind == "consume":
            channel.basic_qos(prefetch_count=self.job.prefetch, callback=self.start_consume)
        elif kind == "rpc":
            channel.queue_declare("", exclusive=True, callback=self.start_rpc)
        else:
            raise ValueError(kind)

    # -- publish ----------------------------------------------------------

    def _buffered(self) -> int:
        transport = getattr(self.connection, "_transport", None)
        return transport.get_write_buffer_size() if transport is not None else 0

    def publish_batch(self) -> None:
        publish = self.channel.basic_publish
        body, queue, count = self.body, self.job.queue, self.job.count
        batch_end = min(self.sent + _BATCH, count)
        if self.job.properties:
            properties_class, clock = pika.BasicProperties, time.time
            while self.sent < batch_end:
                properties = properties_class(
                    content_type=CONTENT_TYPE,
                    delivery_mode=2,
                    headers=HEADERS,
                    message_id=str(self.sent),
                    timestamp=int(clock()),  # pika takes whole seconds
                )
                publish("", queue, body, properties)
                self.sent += 1
                if self._buffered() > _HIGH_WATER:
                    break
        while self.sent < batch_end and not self.job.properties:
            publish("", queue, body)
            self.sent += 1
            if self._buffered() > _HIGH_WATER:
                break
        if self.sent < count:
            self.connection.ioloop.call_later(0, self.publish_batch)
            return
        self.probe.published()
        self.probe.add_done_callback(lambda: self.connection.ioloop.add_callback_threadsafe(self.finish))

    # -- confirm ----------------------------------------------------------

    def start_confirm(self, frame: Any) -> None:
        self.probe.start()
        self.publish_window()

    def publish_window(self) -> None:
        publish = self.channel.basic_publish
        body, queue, count, window = self.body, self.job.queue, self.job.count, self.job.window
        while self.sent < count and self.sent - self.confirmed < window:
            publish("", queue, body)
            self.sent += 1

    def on_confirm(self, frame: Any) -> None:
        method = frame.method
        if not isinstance(method, pika.spec.Basic.Ack):
            self.error = RuntimeError(f"nacked: {method}")
            self.finish()
            return
        self.confirmed = method.delivery_tag if method.multiple else self.confirmed + 1
        if self.confirmed >= self.job.count:
            self.probe.stop()
            self.finish()
            return
        self.publish_window()

    # -- consume ----------------------------------------------------------

    def start_consume(self, frame: Any) -> None:
        self.probe.start()
        self.channel.basic_consume(self.job.queue, self.on_message)

    def on_message(self, channel: Any, method: Any, properties: Any, body: bytes) -> None:
        self.received += 1
        received, count = self.received, self.job.count
        if received % self.job.ack_every == 0 or received == count:
            channel.basic_ack(method.delivery_tag, multiple=True)
            if received == count:
                self.probe.stop()
                self.finish()

    # -- rpc --------------------------------------------------------------

    def start_rpc(self, frame: Any) -> None:
        self.reply_queue = frame.method.queue
        self.number = 0
        self.channel.basic_consume(self.reply_queue, self.on_reply, auto_ack=True, callback=self.send_request)

    def send_request(self, frame: Any = None) -> None:
        if self.number == self.job.warmup:
            self.probe.start()
        self.started = time.perf_counter()
        self.channel.basic_publish(
            "",
            self.job.queue,
            self.body,
            pika.BasicProperties(reply_to=self.reply_queue, correlation_id=str(self.number)),
        )

    def on_reply(self, channel: Any, method: Any, properties: Any, body: bytes) -> None:
        if self.number >= self.job.warmup:
            self.probe.latencies.append(time.perf_counter() - self.started)
        assert properties.correlation_id == str(self.number)
        self.number += 1
        if self.number == self.job.warmup + self.job.count:
            self.probe.stop()
            self.finish()
            return
        self.send_request()


def run(job: Job, probe: Probe) -> None:
    _Run(job, probe).run()
