"""A scripted AMQP 0-9-1 peer on a real socket, to put the adapters through faults.

RabbitMQ cannot be made to misbehave on cue: ack some publishes and close the
connection *in the same TCP write*, stop reading while keeping the socket
open, flood heartbeats, deliver to a consumer nobody started.  A
:class:`FakeBroker` can.

Theory of operation
-------------------
A broker listens on 127.0.0.1 (an ephemeral port; :attr:`FakeBroker.url`
points a client at it) and, in a thread of its own, accepts one client,
runs the handshake (protocol header, ``start``/``start-ok``, ``tune`` with
the heartbeat asked for, ``tune-ok``/``open``, ``open-ok``) and then runs its
*script*: a function given the broker, run in the broker's thread.  A
script waits for what the client sends (:meth:`FakeBroker.expect`, or
:meth:`FakeBroker.serve_until` any condition, such as the test setting
:attr:`FakeBroker.proceed`) and answers with :meth:`FakeBroker.send`, which
writes all its frames with one ``sendall`` so that they reach the client in
one read; or it freezes (:meth:`FakeBroker.freeze`: the socket stays open,
nothing is read or written again), floods (:meth:`FakeBroker.flood`), or
ends the transport (:meth:`FakeBroker.end_stream`, :meth:`FakeBroker.reset`).
When the script returns, the broker goes on serving until the client closes
the connection.

While it waits, the broker reads: what the client sends is decoded with the
project's codec (:class:`amqproto.wire.FrameDecoder`; frames are made with
:func:`amqproto.wire.encode_frame`, as :mod:`tests.core.helpers` does for the
sans-io core), content is joined to its method, and each command goes to
:attr:`FakeBroker.received`, which tests read from any thread
(:meth:`FakeBroker.wait_received`, :meth:`FakeBroker.received_of`).  A few
methods are answered at once (:data:`DEFAULT_ANSWERS`: ``channel.open``,
``confirm.select``, ``basic.consume``, ...; ``connection.close`` always);
anything else (``queue.declare``, a publish's confirm) only when the script
says so.  With ``send_heartbeats`` it sends a heartbeat every half interval
while it waits (never while frozen).

Everything is bounded: every wait has a timeout, the whole conversation
:data:`TIME_LIMIT` seconds, after which the thread closes the socket and
ends.  Nothing sleeps a fixed time: waits poll the socket with a short
timeout and check their condition.  A script that fails (an expectation not
met in time) is reported by :meth:`FakeBroker.close`, which a ``with`` block
calls on leaving.
"""

from __future__ import annotations

import contextlib
import math
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from amqproto.schema import (
    PROTOCOL_HEADER,
    BasicCancel,
    BasicCancelOk,
    BasicConsume,
    BasicConsumeOk,
    BasicProperties,
    BasicQos,
    BasicQosOk,
    ChannelClose,
    ChannelCloseOk,
    ChannelOpen,
    ChannelOpenOk,
    ConfirmSelect,
    ConfirmSelectOk,
    ConnectionClose,
    ConnectionCloseOk,
    ConnectionOpen,
    ConnectionOpenOk,
    ConnectionStartOk,
    ConnectionTune,
    ConnectionTuneOk,
    Method,
)
from amqproto.wire import (
    HEARTBEAT_FRAME_BYTES,
    ContentBodyFrame,
    ContentHeaderFrame,
    Frame,
    FrameDecoder,
    HeartbeatFrame,
    MethodFrame,
)

from .core.helpers import encode, start

__all__ = ["Command", "FakeBroker", "ScriptError", "DEFAULT_ANSWERS", "TIME_LIMIT"]

M = TypeVar("M", bound=Method)

#: Seconds a whole conversation may last; the broker then closes the socket.
TIME_LIMIT = 30.0
#: Seconds :meth:`FakeBroker.expect` waits unless told otherwise.
EXPECT_TIMEOUT = 10.0
#: Seconds a wait blocks in ``recv`` before it looks at its condition, the
#: heartbeat clock and :meth:`FakeBroker.close` again.
POLL_INTERVAL = 0.05
#: The bytes asked of ``recv`` at once.
READ_SIZE = 65536
#: The bytes of heartbeats :meth:`FakeBroker.flood` writes with one ``sendall``.
FLOOD_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Command:
    """A method the client sent, with its content when it carries one."""

    channel: int
    method: Method
    properties: BasicProperties | None = None
    body: bytes | None = None


#: What the broker sends back when it receives a command, or ``None`` for nothing.
Answer = Callable[[Command], list[Frame]]


def _reply(reply: Callable[[Method], Method]) -> Answer:
    """An answer: the method ``reply`` makes of the request, on the request's channel."""
    return lambda command: [MethodFrame(command.channel, reply(command.method))]


def _consume_ok(method: Method) -> Method:
    assert isinstance(method, BasicConsume)
    return BasicConsumeOk(method.consumer_tag)


def _cancel_ok(method: Method) -> Method:
    assert isinstance(method, BasicCancel)
    return BasicCancelOk(method.consumer_tag)


#: The commands answered at once unless the broker is told otherwise
#: (``answers=``).  ``connection.close`` is always answered, with ``close-ok``,
#: and ends the conversation.
DEFAULT_ANSWERS: Mapping[type[Method], Answer] = {
    ChannelOpen: _reply(lambda method: ChannelOpenOk()),
    ChannelClose: _reply(lambda method: ChannelCloseOk()),
    ConfirmSelect: _reply(lambda method: ConfirmSelectOk()),
    BasicQos: _reply(lambda method: BasicQosOk()),
    BasicConsume: _reply(_consume_ok),
    BasicCancel: _reply(_cancel_ok),
}


class ScriptError(AssertionError):
    """The script's expectation was not met (in time, or before the client left)."""


class _Stopped(Exception):
    """:meth:`FakeBroker.close` was called, or the time limit passed: the script ends here."""


class FakeBroker:
    """One scripted conversation with one client, in a thread; see the module header.

    Args:
        script: Run in the broker's thread once the connection is open;
            ``None`` just serves (answers :data:`DEFAULT_ANSWERS`).
        heartbeat: The heartbeat (seconds) offered in ``connection.tune``;
            :attr:`url` asks the client for the same.
        send_heartbeats: Send a heartbeat every ``heartbeat / 2`` seconds while
            waiting (as a live broker does).
        answers: Overrides :data:`DEFAULT_ANSWERS`; ``None`` for a method
            means never answer it.
        frame_max: Offered in ``connection.tune``.
        time_limit: Seconds the whole conversation may last.
    """

    def __init__(
        self,
        script: Callable[[FakeBroker], None] | None = None,
        *,
        heartbeat: int = 0,
        send_heartbeats: bool = False,
        answers: Mapping[type[Method], Answer | None] | None = None,
        frame_max: int = 131072,
        time_limit: float = TIME_LIMIT,
    ) -> None:
        self.heartbeat = heartbeat
        self.frame_max = frame_max
        self._script = script
        self._heartbeat_interval = heartbeat / 2 if send_heartbeats and heartbeat else None
        # No heartbeat before the handshake is over (the spec forbids them then).
        self._next_heartbeat = math.inf
        merged: dict[type[Method], Answer | None] = {**DEFAULT_ANSWERS, **(answers or {})}
        self._answers = {kind: answer for kind, answer in merged.items() if answer is not None}
        self._deadline = time.monotonic() + time_limit
        self._listener = socket.create_server(("127.0.0.1", 0))
        #: The port the broker listens on (127.0.0.1).
        self.port: int = self._listener.getsockname()[1]
        self._sock: socket.socket | None = None
        self._decoder = FrameDecoder(0)
        self._partial: tuple[int, Method, BasicProperties | None, int, list[bytes]] | None = None
        self._condition = threading.Condition()
        self._stopping = threading.Event()
        #: What the client sent, in order (read it through :meth:`received_of`
        #: or :meth:`wait_received` from other threads).
        self.received: list[Command] = []
        #: Heartbeat frames received from the client.
        self.heartbeats_received = 0
        #: Bytes of heartbeats :meth:`flood` has written.
        self.flooded = 0
        #: The client's ``start-ok`` (its properties, mechanism).
        self.start_ok: ConnectionStartOk | None = None
        #: For scripts to wait on (:meth:`serve_until`) and tests to set: "go on".
        self.proceed = threading.Event()
        #: The client closed the transport (EOF or an error on the socket).
        self.client_gone = False
        #: The conversation is over: the client closed the connection, or the
        #: transport is gone.
        self.over = False
        #: Why the script failed, raised again by :meth:`close`.
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"fake-broker-{self.port}", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"<FakeBroker 127.0.0.1:{self.port} {len(self.received)} commands received>"

    @property
    def url(self) -> str:
        """An AMQP URI for this broker (asking for its heartbeat)."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F?heartbeat={self.heartbeat}"

    # -- for tests (any thread) ----------------------------------------------------

    def __enter__(self) -> FakeBroker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close(check=exc_info[0] is None)

    def close(self, *, check: bool = True) -> None:
        """End the conversation (unfreeze, stop the script), wait for the thread.

        Raises:
            ScriptError: with ``check``, when the script failed (the error is
                its ``__cause__``) or the thread did not end.
        """
        self._stopping.set()
        self._thread.join(4 * POLL_INTERVAL)
        sock = self._sock
        if self._thread.is_alive() and sock is not None:
            # Stuck in sendall (a client that stopped reading): shutting the
            # socket down wakes it up.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(EXPECT_TIMEOUT)
        if not check:
            return
        if self._thread.is_alive():
            raise ScriptError(f"{self!r}: its thread did not end")
        if self.error is not None:
            raise ScriptError(f"{self!r}: the script failed: {self.error!r}") from self.error

    def received_of(self, kind: type[M]) -> list[tuple[Command, M]]:
        """The commands of this kind received so far, each with its method (typed)."""
        with self._condition:
            return [
                (command, command.method) for command in self.received if isinstance(command.method, kind)
            ]

    def wait_received(
        self, kind: type[M], count: int = 1, timeout: float = EXPECT_TIMEOUT
    ) -> list[tuple[Command, M]]:
        """Wait until the client has sent ``count`` commands of this kind in all; return them.

        Blocks: call it from the test's thread in the blocking flavour, through
        ``run_blocking`` in the async ones.

        Raises:
            ScriptError: not within ``timeout`` seconds.
        """
        with self._condition:
            if not self._condition.wait_for(lambda: len(self.received_of(kind)) >= count, timeout):
                raise ScriptError(f"{self!r}: {count} {kind.NAME} not received in {timeout} s")
            return self.received_of(kind)

    # -- for scripts (the broker's thread) ---------------------------------------

    def expect(
        self, kind: type[M], count: int = 1, timeout: float = EXPECT_TIMEOUT
    ) -> list[tuple[Command, M]]:
        """Read until the client has sent ``count`` commands of this kind in all; return them.

        Raises:
            ScriptError: not within ``timeout`` seconds, or the client left first.
        """
        self.serve_until(lambda: len(self.received_of(kind)) >= count, timeout, f"{count} {kind.NAME}")
        return self.received_of(kind)

    def serve_until(
        self, condition: Callable[[], bool], timeout: float = EXPECT_TIMEOUT, what: str = ""
    ) -> None:
        """Read, answer and send heartbeats until ``condition()`` is true.

        Raises:
            ScriptError: not within ``timeout`` seconds, or the client left first.
        """
        deadline = min(time.monotonic() + timeout, self._deadline)
        while not condition():
            if self.over:
                raise ScriptError(f"the client left before {what or condition!r}")
            self._serve_once(deadline, f"{what or condition!r} not within {timeout} s")

    def send(self, *frames: Frame) -> None:
        """Write these frames with one ``sendall``: the client finds them in one read."""
        self._sendall(encode(frames))

    def send_bytes(self, data: bytes) -> None:
        """Write raw bytes (one ``sendall``)."""
        self._sendall(data)

    def freeze(self) -> None:
        """Never read nor write again, the socket open, until :meth:`close` or the time limit.

        Ends the script: nothing after it runs.
        """
        self._stopping.wait(max(self._deadline - time.monotonic(), 0.0))
        raise _Stopped

    def flood(self, size: int) -> None:
        """Write ``size`` bytes (rounded up to a whole chunk) of heartbeat frames."""
        chunk = HEARTBEAT_FRAME_BYTES * (FLOOD_CHUNK // len(HEARTBEAT_FRAME_BYTES))
        for _ in range(-(-size // len(chunk))):
            self._sendall(chunk)
            self.flooded += len(chunk)

    def end_stream(self) -> None:
        """Close our half of the TCP connection (FIN): the client reads what was sent, then EOF."""
        assert self._sock is not None
        self._sock.shutdown(socket.SHUT_WR)

    def reset(self) -> None:
        """Drop the TCP connection with a reset (RST); the conversation is over."""
        sock, self._sock = self._sock, None
        assert sock is not None
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        self.over = True

    # -- the thread ------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._accept()
            self._handshake()
            if self._script is not None:
                self._script(self)
            self._serve_until_over()
        except _Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - re-raised by close() in the test's thread
            self.error = exc
        finally:
            self._close_sockets()

    def _accept(self) -> None:
        listener = self._listener
        listener.settimeout(POLL_INTERVAL)
        try:
            while True:
                if self._stopping.is_set():
                    raise _Stopped
                if time.monotonic() >= self._deadline:
                    raise ScriptError("no client connected")
                try:
                    sock, _ = listener.accept()
                    break
                except TimeoutError:
                    continue
        finally:
            listener.close()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock

    def _handshake(self) -> None:
        header = b""
        deadline = min(time.monotonic() + EXPECT_TIMEOUT, self._deadline)
        while len(header) < len(PROTOCOL_HEADER):
            header += self._recv(deadline, "the protocol header", len(PROTOCOL_HEADER) - len(header))
            if self.client_gone:
                raise ScriptError("the client left before its protocol header")
        if header != PROTOCOL_HEADER:
            raise ScriptError(f"not an AMQP 0-9-1 protocol header: {header!r}")
        self.send(MethodFrame(0, start()))
        self.start_ok = self.expect(ConnectionStartOk)[0][1]
        self.send(MethodFrame(0, ConnectionTune(2047, self.frame_max, self.heartbeat)))
        self.expect(ConnectionTuneOk)
        self.expect(ConnectionOpen)
        self.send(MethodFrame(0, ConnectionOpenOk()))
        self._next_heartbeat = time.monotonic() + (self._heartbeat_interval or 0.0)

    def _serve_until_over(self) -> None:
        while not self.over:
            self._serve_once(self._deadline, "")

    def _serve_once(self, deadline: float, timeout_message: str) -> None:
        """One step of serving: a heartbeat if due, then one read of at most :data:`POLL_INTERVAL`.

        Raises:
            ScriptError: ``deadline`` passed (with ``timeout_message``).
            _Stopped: :meth:`close` was called, or the time limit passed
                while just serving (empty ``timeout_message``).
        """
        if self._stopping.is_set():
            raise _Stopped
        now = time.monotonic()
        if now >= deadline:
            if timeout_message:
                raise ScriptError(timeout_message)
            raise _Stopped
        interval = self._heartbeat_interval
        if interval is not None and now >= self._next_heartbeat:
            self.send(HeartbeatFrame())
            self._next_heartbeat = now + interval
        data = self._recv(min(deadline, now + POLL_INTERVAL), timeout_message, READ_SIZE)
        if data:
            self._take(data)

    def _recv(self, until: float, what: str, size: int) -> bytes:
        """At most ``size`` bytes, or ``b""`` when none came by ``until`` (or the client left)."""
        sock = self._sock
        if sock is None:
            self.over = True
            return b""
        sock.settimeout(max(until - time.monotonic(), 0.001))
        try:
            data = sock.recv(size)
        except TimeoutError:
            return b""
        except OSError:
            data = b""
        if not data:
            self.client_gone = self.over = True
        return data

    def _sendall(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise ScriptError("cannot send: the connection is gone")
        sock.settimeout(max(self._deadline - time.monotonic(), 0.001))
        try:
            sock.sendall(data)
        except TimeoutError:
            raise ScriptError(f"the client did not read {len(data)} bytes before the time limit") from None

    def _take(self, data: bytes) -> None:
        """Decode what arrived; record each complete command and answer it."""
        for frame in self._decoder.feed(data):
            if isinstance(frame, HeartbeatFrame):
                self.heartbeats_received += 1
            elif isinstance(frame, MethodFrame):
                if frame.method.HAS_CONTENT:
                    self._partial = (frame.channel, frame.method, None, 0, [])
                else:
                    self._record(Command(frame.channel, frame.method))
            elif isinstance(frame, ContentHeaderFrame):
                assert self._partial is not None, "a content header without its method"
                channel, method, _, _, parts = self._partial
                self._partial = (channel, method, frame.properties, frame.body_size, parts)
                self._complete_content()
            elif isinstance(frame, ContentBodyFrame):
                assert self._partial is not None, "a content body without its method"
                self._partial[4].append(frame.payload)
                self._complete_content()
            else:
                raise ScriptError(f"unexpected frame from the client: {frame!r}")

    def _complete_content(self) -> None:
        assert self._partial is not None
        channel, method, properties, size, parts = self._partial
        if properties is None or sum(map(len, parts)) < size:
            return
        self._partial = None
        self._record(Command(channel, method, properties, b"".join(parts)))

    def _record(self, command: Command) -> None:
        with self._condition:
            self.received.append(command)
            self._condition.notify_all()
        method = command.method
        if isinstance(method, ConnectionClose):
            self.send(MethodFrame(0, ConnectionCloseOk()))
            self.over = True
        elif isinstance(method, ConnectionCloseOk):
            self.over = True  # the client answered our close
        else:
            answer = self._answers.get(type(method))
            if answer is not None:
                self.send(*answer(command))

    def _close_sockets(self) -> None:
        for sock in (self._listener, self._sock):
            if sock is None:
                continue
            with contextlib.suppress(OSError):
                sock.close()
