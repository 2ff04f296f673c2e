"""A TCP proxy in front of a broker that the tests can break on purpose.

:class:`FaultProxy` listens on 127.0.0.1 (a port of its own) and forwards
every connection it accepts to the broker's port, both ways, until a test
calls for a fault:

- :meth:`~FaultProxy.freeze`: forward nothing any more, either way, while
  every socket stays open: a broker (or a network) gone silent.  Data stays
  in the kernel's buffers, and connections accepted meanwhile are held
  without a byte forwarded; the client finds out through its heartbeat
  (``HeartbeatTimeout``) or its ``connection_timeout``.
- :meth:`~FaultProxy.resume`: forward again, the held data included.
- :meth:`~FaultProxy.reset`: abort every connection open now, the client's
  side with a TCP RST (``SO_LINGER`` 0) and the broker's side too, as a
  crashed peer or a middlebox would.  The client's read fails
  (``ConnectionLost``); new connections go through as before.
- :attr:`~FaultProxy.upstream_port` may be changed at any time: later
  connections go to the new port (a load balancer moving to another node).
  A connection whose upstream refuses is reset at once.
- :meth:`~FaultProxy.inject`: write raw bytes to every client, as if the
  broker had sent them.

:attr:`~FaultProxy.accepted` counts the connections accepted so far and
:attr:`~FaultProxy.open_connections` those still open, so that a test can
wait for a client to reconnect.

One daemon thread does all the socket work around a selector, so no socket
is touched by two threads.  The test's calls are queued to that thread, which
a socket pair wakes, and return once it has carried them out (within
:data:`COMMAND_TIMEOUT` seconds).  Every wait is bounded: the loop wakes at
least every :data:`POLL_INTERVAL` seconds, and reads stop for a direction
whose peer has :data:`BUFFER_LIMIT` bytes waiting to be written.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
from collections.abc import Callable
from types import TracebackType

__all__ = ["FaultProxy", "BROKER_PORT"]

#: The default broker's AMQP port.
BROKER_PORT = 5672
#: Seconds a call from the test waits for the proxy thread to carry it out.
COMMAND_TIMEOUT = 10.0
#: Seconds the proxy thread sleeps at most between two looks at its sockets.
POLL_INTERVAL = 0.05
#: Bytes held for one side before the proxy stops reading from the other.
BUFFER_LIMIT = 1 << 20
#: Seconds to connect to the upstream port (on 127.0.0.1: refused or at once).
CONNECT_TIMEOUT = 5.0


class _Pair:
    """One proxied connection: the client's socket, the broker's, and what each is owed."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        #: Bytes waiting to be written, by the socket they go to.
        self.pending: dict[socket.socket, bytearray] = {client: bytearray(), upstream: bytearray()}

    def peer(self, sock: socket.socket) -> socket.socket:
        return self.upstream if sock is self.client else self.client


def _abort(sock: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN: the peer's next read fails."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    """Forwards connections from its own port to ``upstream_port`` until told to fail them.

    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, upstream_port: int = BROKER_PORT) -> None:
        #: Where connections accepted from now on are forwarded (on 127.0.0.1).
        self.upstream_port = upstream_port
        #: Connections accepted so far.
        self.accepted = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        #: The port clients connect to.
        self.port: int = self._listener.getsockname()[1]
        self._pairs: list[_Pair] = []
        self._frozen = False
        self._closed = False
        self._commands: list[tuple[Callable[[], None], threading.Event]] = []
        self._commands_lock = threading.Lock()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._registered: dict[socket.socket, int] = {}
        self._thread = threading.Thread(target=self._run, name=f"faultproxy-{self.port}", daemon=True)
        self._thread.start()

    def url(self, query: str = "") -> str:
        """An AMQP URL (guest, virtual host ``/``) through this proxy, with an optional query string."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F" + (f"?{query}" if query else "")

    @property
    def open_connections(self) -> int:
        """Connections accepted and not yet closed or reset."""
        return len(self._pairs)

    @property
    def frozen(self) -> bool:
        return self._frozen

    # -- the test's controls: each runs in the proxy thread ------------------

    def freeze(self) -> None:
        """Forward nothing from now on, keeping every socket open."""
        self._call(self._do_freeze)

    def resume(self) -> None:
        """Forward again, what was held during the freeze first."""
        self._call(self._do_resume)

    def reset(self) -> None:
        """Abort every open connection: RST to the client, RST to the broker."""
        self._call(self._do_reset)

    def inject(self, data: bytes) -> None:
        """Send ``data`` to every client as if the broker had sent it (even while frozen)."""
        self._call(lambda: self._do_inject(data))

    def close(self) -> None:
        """Reset every connection, stop listening and end the thread."""
        if self._closed:
            return
        self._call(self._do_reset)
        self._closed = True
        self._wake()
        self._thread.join(COMMAND_TIMEOUT)
        for sock in (self._listener, self._wake_reader, self._wake_writer):
            sock.close()
        self._selector.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, command: Callable[[], None]) -> None:
        if self._closed:
            raise RuntimeError("the proxy is closed")
        done = threading.Event()
        with self._commands_lock:
            self._commands.append((command, done))
        self._wake()
        if not done.wait(COMMAND_TIMEOUT):
            raise TimeoutError(f"the proxy thread did not answer within {COMMAND_TIMEOUT} s")

    def _wake(self) -> None:
        # OSError: its buffer is full of wake-ups already: the thread will look.
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")

    def _do_freeze(self) -> None:
        self._frozen = True

    def _do_resume(self) -> None:
        self._frozen = False
        for pair in self._pairs:
            for sock in (pair.client, pair.upstream):
                self._flush(pair, sock)

    def _do_reset(self) -> None:
        for pair in list(self._pairs):
            self._drop(pair, abort=True)

    def _do_inject(self, data: bytes) -> None:
        for pair in list(self._pairs):
            pair.pending[pair.client] += data
            self._flush(pair, pair.client, even_frozen=True)

    # -- the proxy thread ----------------------------------------------------

    def _run(self) -> None:
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        self._selector.register(self._listener, selectors.EVENT_READ)
        while not self._closed:
            self._update_interest()
            for key, events in self._selector.select(POLL_INTERVAL):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._wake_reader:
                    self._drain_wakeups()
                elif sock is self._listener:
                    self._accept()
                else:
                    self._service(sock, events)
            self._run_commands()
        self._run_commands()  # the close's reset

    def _drain_wakeups(self) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _run_commands(self) -> None:
        with self._commands_lock:
            commands, self._commands = self._commands, []
        for command, done in commands:
            try:
                command()
            finally:
                done.set()

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        self.accepted += 1
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), CONNECT_TIMEOUT)
        except OSError:
            _abort(client)
            return
        for sock in (client, upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pairs.append(_Pair(client, upstream))

    def _pair_of(self, sock: socket.socket) -> _Pair | None:
        for pair in self._pairs:
            if sock is pair.client or sock is pair.upstream:
                return pair
        return None

    def _service(self, sock: socket.socket, events: int) -> None:
        pair = self._pair_of(sock)
        if pair is None:  # dropped earlier in this round
            return
        if events & selectors.EVENT_WRITE and not self._flush(pair, sock):
            return
        if events & selectors.EVENT_READ:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._drop(pair, abort=False)
                return
            target = pair.peer(sock)
            pair.pending[target] += data
            self._flush(pair, target)

    def _flush(self, pair: _Pair, sock: socket.socket, even_frozen: bool = False) -> bool:
        """Write what ``sock`` is owed, as far as it takes it; False if that dropped the pair."""
        buffer = pair.pending[sock]
        if (self._frozen and not even_frozen) or not buffer:
            return True
        try:
            sent = sock.send(buffer)
        except BlockingIOError:
            return True
        except OSError:
            self._drop(pair, abort=True)
            return False
        del buffer[:sent]
        return True

    def _drop(self, pair: _Pair, abort: bool) -> None:
        if pair not in self._pairs:
            return
        self._pairs.remove(pair)
        for sock in (pair.client, pair.upstream):
            if not abort and pair.pending[sock]:
                # What the other side said last (a close-ok, say), best effort.
                with contextlib.suppress(OSError):
                    sock.send(pair.pending[sock])
            if sock in self._registered:
                self._selector.unregister(sock)
                del self._registered[sock]
            if abort:
                _abort(sock)
            else:
                sock.close()

    def _update_interest(self) -> None:
        """Register each socket for what it may do now: nothing at all while frozen."""
        for pair in self._pairs:
            for sock in (pair.client, pair.upstream):
                events = 0
                if not self._frozen:
                    if len(pair.pending[pair.peer(sock)]) < BUFFER_LIMIT:
                        events |= selectors.EVENT_READ
                    if pair.pending[sock]:
                        events |= selectors.EVENT_WRITE
                current = self._registered.get(sock, 0)
                if events == current:
                    continue
                if not events:
                    self._selector.unregister(sock)
                    del self._registered[sock]
                elif current:
                    self._selector.modify(sock, events)
                    self._registered[sock] = events
                else:
                    self._selector.register(sock, events)
                    self._registered[sock] = events
