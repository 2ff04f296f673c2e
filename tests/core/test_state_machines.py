"""Every input in every state, in the style of h2's tests/test_state_machines.py.

Three parts:

1. The pure tables of :mod:`amqproto._state`: every ``(state, input)`` pair
   gives the table's next state (or :data:`~amqproto._state.DISCARD`, which
   leaves the state alone), or, when missing, raises
   :class:`~amqproto.exceptions.LocalProtocolError` for ``SEND_*`` and returns
   ``None`` for the others, leaving the state alone.
2. The real :class:`~amqproto.Connection`, driven into each connection state
   (and its channel 1 into each channel state), fed every method a server
   may send (found by reflection over :data:`amqproto.schema.METHODS`) on
   channel 0 and on channel 1, content header/body frames, a heartbeat and
   the end of the stream: the result is a list of events or a
   :class:`~amqproto.exceptions.HardError`, never anything else.
3. The tables are the whole truth: no module of the package but
   :mod:`amqproto._state` assigns a ``state``.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import amqproto
from amqproto import BasicProperties, Channel, ChannelState, Connection, ConnectionState
from amqproto._state import (
    CHANNEL_TRANSITIONS,
    CONNECTION_TRANSITIONS,
    DISCARD,
    ChannelInput,
    ChannelStateMachine,
    ConnectionInput,
    ConnectionStateMachine,
)
from amqproto.events import ChannelClosed, ConnectionClosed, Event
from amqproto.exceptions import (
    ChannelClosedError,
    ConnectionClosedError,
    HardError,
    LocalProtocolError,
)
from amqproto.schema import (
    METHODS,
    ChannelClose,
    ChannelCloseOk,
    ChannelOpenOk,
    ConnectionClose,
    ConnectionCloseOk,
    ConnectionOpenOk,
    ConnectionTune,
    Method,
)
from amqproto.wire import (
    ContentBodyFrame,
    ContentHeaderFrame,
    Frame,
    FrameDecoder,
    HeartbeatFrame,
    MethodFrame,
    encode_frame,
)

from .helpers import FakeBroker, content_frames, encode, start

#: What a client call refused by Rule 1 raises: a LocalProtocolError, or once
#: the connection or channel is closing, the closed error.
REFUSED_LOCALLY = (LocalProtocolError, ChannelClosedError)

# =============================================================================
# 1. The pure tables
# =============================================================================

CONNECTION_PAIRS = list(itertools.product(ConnectionState, ConnectionInput))
CHANNEL_PAIRS = list(itertools.product(ChannelState, ChannelInput))


def _connection_machine(state: ConnectionState) -> ConnectionStateMachine:
    return ConnectionStateMachine(state)


def _channel_machine(state: ChannelState) -> ChannelStateMachine:
    return ChannelStateMachine(3, state)


@pytest.mark.parametrize(("state", "event"), CONNECTION_PAIRS, ids=lambda v: getattr(v, "name", str(v)))
def test_every_connection_state_and_input(state: ConnectionState, event: ConnectionInput) -> None:
    machine = _connection_machine(state)
    expected = CONNECTION_TRANSITIONS.get((state, event))
    if expected is not None:
        assert machine.process(event) is expected
        assert machine.state is (state if expected is DISCARD else expected)
    elif event.name.startswith("SEND_"):
        closed = state in (ConnectionState.CLOSING, ConnectionState.CLOSED)
        refused = ConnectionClosedError if closed else LocalProtocolError
        with pytest.raises(refused, match=f"cannot {event.value} when the connection is {state.value}"):
            machine.process(event)
        assert machine.state is state
    else:
        assert machine.process(event) is None
        assert machine.state is state


@pytest.mark.parametrize(("state", "event"), CHANNEL_PAIRS, ids=lambda v: getattr(v, "name", str(v)))
def test_every_channel_state_and_input(state: ChannelState, event: ChannelInput) -> None:
    machine = _channel_machine(state)
    expected = CHANNEL_TRANSITIONS.get((state, event))
    if expected is not None:
        assert machine.process(event) is expected
        assert machine.state is (state if expected is DISCARD else expected)
    elif event.name.startswith("SEND_"):
        closed = state in (ChannelState.CLOSING, ChannelState.CLOSED)
        refused = ChannelClosedError if closed else LocalProtocolError
        with pytest.raises(refused, match=f"cannot {event.value} when channel 3 is {state.value}"):
            machine.process(event)
        assert machine.state is state
    else:
        assert machine.process(event) is None
        assert machine.state is state


@settings(max_examples=300, deadline=None)
@given(
    start_state=st.sampled_from(ConnectionState),
    events=st.lists(st.sampled_from(ConnectionInput), max_size=12),
)
def test_connection_table_walks(start_state: ConnectionState, events: list[ConnectionInput]) -> None:
    machine = _connection_machine(start_state)
    for event in events:
        before = machine.state
        try:
            after = machine.process(event)
        except REFUSED_LOCALLY:
            assert event.name.startswith("SEND_")
            assert machine.state is before
            continue
        if after is None:
            assert not event.name.startswith("SEND_")
            assert machine.state is before
        elif after is DISCARD:
            assert machine.state is before
            assert CONNECTION_TRANSITIONS[before, event] is DISCARD
        else:
            assert machine.state is after is CONNECTION_TRANSITIONS[before, event]
        # CLOSED is final.
        if before is ConnectionState.CLOSED:
            assert machine.state is ConnectionState.CLOSED


@settings(max_examples=300, deadline=None)
@given(
    start_state=st.sampled_from(ChannelState),
    events=st.lists(st.sampled_from(ChannelInput), max_size=12),
)
def test_channel_table_walks(start_state: ChannelState, events: list[ChannelInput]) -> None:
    machine = _channel_machine(start_state)
    for event in events:
        before = machine.state
        try:
            after = machine.process(event)
        except REFUSED_LOCALLY:
            assert event.name.startswith("SEND_")
            assert machine.state is before
            continue
        if after is None:
            assert not event.name.startswith("SEND_")
            assert machine.state is before
        elif after is DISCARD:
            assert machine.state is before
            assert CHANNEL_TRANSITIONS[before, event] is DISCARD
        else:
            assert machine.state is after is CHANNEL_TRANSITIONS[before, event]


def test_tables_hold_only_valid_states() -> None:
    for (state, event), target in CONNECTION_TRANSITIONS.items():
        assert isinstance(state, ConnectionState) and isinstance(event, ConnectionInput)
        assert isinstance(target, ConnectionState) or target is DISCARD
    for (channel_state, channel_event), channel_target in CHANNEL_TRANSITIONS.items():
        assert isinstance(channel_state, ChannelState) and isinstance(channel_event, ChannelInput)
        assert isinstance(channel_target, ChannelState) or channel_target is DISCARD


S = TypeVar("S")


def _reachable(start_state: S, table: Mapping[tuple[S, Any], object]) -> set[S]:
    seen = {start_state}
    todo = [start_state]
    while todo:
        current = todo.pop()
        for (state, _), target in table.items():
            if state == current and target is not DISCARD and target not in seen:
                assert isinstance(target, type(start_state))
                seen.add(target)
                todo.append(target)
    return seen


def test_every_connection_state_is_reachable_and_can_close() -> None:
    table = CONNECTION_TRANSITIONS
    assert _reachable(ConnectionState.AWAITING_START, table) == set(ConnectionState)
    for state in ConnectionState:
        assert ConnectionState.CLOSED in _reachable(state, table)
        # The transport may go away in any state.
        assert CONNECTION_TRANSITIONS[state, ConnectionInput.RECV_EOF] is ConnectionState.CLOSED


def test_every_channel_state_is_reachable_and_can_close() -> None:
    table = CHANNEL_TRANSITIONS
    assert _reachable(ChannelState.CLOSED, table) == set(ChannelState)
    for state in ChannelState:
        assert ChannelState.CLOSED in _reachable(state, table)


def test_rule_2_closing_discards_every_input_from_the_peer() -> None:
    """After sending close, every RECV input is legal, and all but close, close-ok and EOF are discarded."""
    counted = {ConnectionInput.RECV_CLOSE, ConnectionInput.RECV_CLOSE_OK, ConnectionInput.RECV_EOF}
    for event in ConnectionInput:
        if event.name.startswith("RECV_"):
            target = CONNECTION_TRANSITIONS[ConnectionState.CLOSING, event]
            assert (target is ConnectionState.CLOSED) if event in counted else (target is DISCARD), event
    counted_on_channel = {ChannelInput.RECV_CLOSE, ChannelInput.RECV_CLOSE_OK}
    for channel_event in ChannelInput:
        if channel_event.name.startswith("RECV_"):
            channel_target = CHANNEL_TRANSITIONS[ChannelState.CLOSING, channel_event]
            assert (channel_target is not DISCARD) is (channel_event in counted_on_channel), channel_event
    # DISCARD appears nowhere but in CLOSING.
    assert all(
        state is ConnectionState.CLOSING for (state, _), t in CONNECTION_TRANSITIONS.items() if t is DISCARD
    )
    assert all(state is ChannelState.CLOSING for (state, _), t in CHANNEL_TRANSITIONS.items() if t is DISCARD)


# =============================================================================
# 2. The real Connection
# =============================================================================

#: Every method a server may send, by reflection, in (class, method) order.
SERVER_METHODS: list[type[Method]] = [cls for _, cls in sorted(METHODS.items()) if cls.SENT_BY_SERVER]


@dataclass(frozen=True)
class Input:
    """One thing the broker can do: send some frames, or close the transport."""

    name: str
    frames: tuple[Frame, ...]

    @property
    def data(self) -> bytes:
        return encode(self.frames)

    def __repr__(self) -> str:
        return self.name


EOF_INPUT = Input("EOF", ())


def _inputs() -> list[Input]:
    inputs: list[Input] = []
    for channel in (0, 1):
        for cls in SERVER_METHODS:
            inputs.append(Input(f"{cls.NAME}@{channel}", (MethodFrame(channel, cls()),)))
            if cls.HAS_CONTENT:
                frames = tuple(content_frames(channel, cls(), b"body", chunk=2))
                inputs.append(Input(f"{cls.NAME}+content@{channel}", frames))
        inputs.append(Input(f"header@{channel}", (ContentHeaderFrame(channel, 3, BasicProperties()),)))
        inputs.append(Input(f"empty-header@{channel}", (ContentHeaderFrame(channel, 0, BasicProperties()),)))
        inputs.append(Input(f"body@{channel}", (ContentBodyFrame(channel, b"xyz"),)))
    inputs.append(Input("heartbeat", (HeartbeatFrame(),)))
    inputs.append(Input("method@unopened-channel", (MethodFrame(9, ChannelOpenOk()),)))
    inputs.append(EOF_INPUT)
    return inputs


INPUTS = _inputs()


def _handshake_to(target: ConnectionState) -> tuple[Connection, FakeBroker]:
    connection = Connection(heartbeat=0)
    broker = FakeBroker(connection)
    broker.sent()
    if target is ConnectionState.AWAITING_START:
        return connection, broker
    broker.send(MethodFrame(0, start()))
    if target is ConnectionState.AWAITING_TUNE:
        return connection, broker
    broker.send(MethodFrame(0, ConnectionTune(2047, 131072, 0)))
    if target is ConnectionState.AWAITING_OPEN_OK:
        return connection, broker
    broker.send(MethodFrame(0, ConnectionOpenOk()))
    # Channel 1 open, with a request in flight, so channel frames have a target.
    channel = connection.open_channel()
    broker.send(MethodFrame(1, ChannelOpenOk()))
    channel.queue_declare("q")
    if target is ConnectionState.OPEN:
        return connection, broker
    if target is ConnectionState.CLOSING:
        connection.close()
        return connection, broker
    assert target is ConnectionState.CLOSED
    broker.send(MethodFrame(0, ConnectionClose(320, "bye", 0, 0)))
    return connection, broker


def _open_with_channel_in(target: ChannelState) -> tuple[Connection, FakeBroker, Channel]:
    connection, broker = _handshake_to(ConnectionState.OPEN)
    channel = connection.channels[1]
    broker.sent()
    if target is ChannelState.OPEN:
        return connection, broker, channel
    if target is ChannelState.CLOSING:
        channel.close()
        return connection, broker, channel
    assert target is ChannelState.OPENING
    second = connection.open_channel()
    # Route the channel inputs of the tests (on channel 1) to the opening one.
    channel.close()
    broker.send(MethodFrame(1, ChannelCloseOk()))
    assert second.id == 2
    reopened = connection.open_channel()
    assert reopened.id == 1 and reopened.state is ChannelState.OPENING
    return connection, broker, reopened


def _check_violation(
    connection: Connection, broker: FakeBroker, before: ConnectionState, error: HardError
) -> None:
    """The invariants after ``receive_data`` raised ``error`` in state ``before``."""
    # h2's _terminate_connection: the close goes out before the raise.
    if before in (ConnectionState.CLOSING, ConnectionState.CLOSED):
        assert connection.state is before
    else:
        assert connection.state is ConnectionState.CLOSING
        sent = broker.sent()
        assert sent, "a violation must queue connection.close"
        last = sent[-1]
        assert isinstance(last, MethodFrame) and last.channel == 0
        assert isinstance(last.method, ConnectionClose)
        assert last.method.reply_code == error.reply_code
    assert all(isinstance(event, Event) for event in error.events)


def _check_feed(connection: Connection, broker: FakeBroker, data: bytes) -> list[Event] | HardError:
    """Feed ``data``; check the invariants; return the events or the error."""
    before = connection.state
    try:
        events = connection.receive_data(data)
    except HardError as error:
        _check_violation(connection, broker, before, error)
        return error
    # Anything else escaping (AssertionError, KeyError, ...) fails the test here.
    assert isinstance(events, list)
    assert all(isinstance(event, Event) for event in events)
    assert isinstance(connection.state, ConnectionState)
    for channel in connection.channels.values():
        assert channel.state in (ChannelState.OPENING, ChannelState.OPEN, ChannelState.CLOSING)
    # Whatever the client queued decodes cleanly.
    broker.sent()
    return events


@pytest.mark.parametrize("state", list(ConnectionState), ids=lambda s: s.name)
@pytest.mark.parametrize("given_input", INPUTS, ids=repr)
def test_every_server_input_in_every_connection_state(state: ConnectionState, given_input: Input) -> None:
    connection, broker = _handshake_to(state)
    broker.sent()
    assert connection.state is state
    result = _check_feed(connection, broker, given_input.data)
    if state is ConnectionState.CLOSED:
        assert result == []
    if given_input is EOF_INPUT and state is not ConnectionState.CLOSED:
        assert connection.state is ConnectionState.CLOSED
        # A ChannelClosed for each channel left open, then ConnectionClosed.
        assert isinstance(result, list) and type(result[-1]) is ConnectionClosed
        open_channels = 1 if state in (ConnectionState.OPEN, ConnectionState.CLOSING) else 0
        assert [type(event) for event in result] == [ChannelClosed] * open_channels + [ConnectionClosed]
    if state is ConnectionState.CLOSING:
        # Rule 2: after connection.close every frame but close and close-ok
        # is discarded.
        assert isinstance(result, list), result
        if given_input.name not in ("connection.close-ok@0", "connection.close@0", "EOF"):
            assert result == []
            assert connection.state is ConnectionState.CLOSING


@pytest.mark.parametrize(
    "state", [ChannelState.OPENING, ChannelState.OPEN, ChannelState.CLOSING], ids=lambda s: s.name
)
@pytest.mark.parametrize("given_input", [i for i in INPUTS if i.name.endswith("@1")], ids=repr)
def test_every_server_input_in_every_channel_state(state: ChannelState, given_input: Input) -> None:
    connection, broker, channel = _open_with_channel_in(state)
    broker.sent()
    assert channel.state is state
    result = _check_feed(connection, broker, given_input.data)
    if state is ChannelState.CLOSING and isinstance(given_input.frames[0], MethodFrame):
        # Rule 2: a closing channel discards every method (and the content
        # that follows one); only close-ok ends it.
        assert isinstance(result, list), result
        assert connection.state is ConnectionState.OPEN
        if given_input.name != "channel.close-ok@1":
            assert channel.state is ChannelState.CLOSING
            assert result == []


@pytest.mark.parametrize("method", [ChannelClose(404, "x", 0, 0), ChannelCloseOk()], ids=lambda m: m.NAME)
@pytest.mark.parametrize(
    "state", [ChannelState.OPENING, ChannelState.OPEN, ChannelState.CLOSING], ids=lambda s: s.name
)
def test_channel_close_and_close_ok_in_every_channel_state(state: ChannelState, method: Method) -> None:
    connection, broker, _ = _open_with_channel_in(state)
    result = _check_feed(connection, broker, encode_frame(MethodFrame(1, method)))
    if isinstance(method, ChannelCloseOk) and state is not ChannelState.CLOSING:
        assert isinstance(result, HardError) and result.reply_code == 503
    else:
        assert isinstance(result, list)


STATES = st.sampled_from(list(ConnectionState))
INPUT_SEQUENCES = st.lists(st.sampled_from(INPUTS), min_size=1, max_size=8)


@settings(max_examples=400, deadline=None)
@given(state=STATES, inputs=INPUT_SEQUENCES)
def test_input_sequences_yield_events_or_hard_errors(state: ConnectionState, inputs: Sequence[Input]) -> None:
    connection, broker = _handshake_to(state)
    broker.sent()
    for given_input in inputs:
        _check_feed(connection, broker, given_input.data)


ClientAction = Callable[[Connection], object]


def _client_actions() -> list[tuple[str, ClientAction]]:
    def on_channel(call: Callable[[Channel], object]) -> ClientAction:
        def act(connection: Connection) -> object:
            channel = connection.channels.get(1)
            return None if channel is None else call(channel)

        return act

    return [
        ("open_channel", lambda c: c.open_channel()),
        ("close", lambda c: c.close()),
        ("update_secret", lambda c: c.update_secret(b"t")),
        ("queue_declare", on_channel(lambda ch: ch.queue_declare("q"))),
        ("basic_publish", on_channel(lambda ch: ch.basic_publish(b"m"))),
        ("basic_ack", on_channel(lambda ch: ch.basic_ack(1))),
        ("basic_get", on_channel(lambda ch: ch.basic_get("q"))),
        ("confirm_select", on_channel(lambda ch: ch.confirm_select())),
        ("channel.close", on_channel(lambda ch: ch.close())),
    ]


CLIENT_ACTIONS = _client_actions()


@settings(max_examples=400, deadline=None)
@given(
    state=STATES,
    steps=st.lists(
        st.one_of(st.sampled_from(INPUTS), st.sampled_from(CLIENT_ACTIONS)),
        min_size=1,
        max_size=10,
    ),
)
def test_interleaved_client_calls_and_server_inputs(
    state: ConnectionState, steps: Sequence[Input | tuple[str, ClientAction]]
) -> None:
    """Client calls either work or raise LocalProtocolError; server input as above."""
    connection, broker = _handshake_to(state)
    broker.sent()
    for step in steps:
        if isinstance(step, Input):
            _check_feed(connection, broker, step.data)
            continue
        _, action = step
        before = broker.connection.state
        with contextlib.suppress(*REFUSED_LOCALLY):
            action(connection)
        # Whatever the client queued decodes cleanly, and nothing follows a close.
        frames = broker.sent()
        if before in (ConnectionState.CLOSING, ConnectionState.CLOSED):
            assert frames == []


def test_inputs_cover_every_server_method() -> None:
    names = {given_input.name for given_input in INPUTS}
    for cls in SERVER_METHODS:
        assert f"{cls.NAME}@0" in names and f"{cls.NAME}@1" in names
    assert len(SERVER_METHODS) == sum(1 for cls in METHODS.values() if cls.SENT_BY_SERVER)


def test_decoder_accepts_what_broker_sends() -> None:
    # Guard for the harness itself: every input is well-formed on the wire.
    for given_input in INPUTS:
        assert len(FrameDecoder(0).feed(given_input.data)) == len(given_input.frames)


def test_closed_connection_ignores_everything() -> None:
    connection, broker = _handshake_to(ConnectionState.CLOSED)
    assert broker.sent_methods()[-1] == (0, ConnectionCloseOk())
    for given_input in INPUTS:
        assert connection.receive_data(given_input.data) == []
    assert connection.data_to_send() == b""


def _mutated(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    buffer = bytearray(data)
    for position, value in edits:
        if buffer:
            buffer[position % len(buffer)] = value
    return bytes(buffer)


@settings(max_examples=300, deadline=None)
@given(
    state=STATES,
    given_input=st.sampled_from(INPUTS),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=4),
    tail=st.binary(max_size=16),
)
def test_garbled_bytes_yield_events_or_hard_errors(
    state: ConnectionState, given_input: Input, edits: list[tuple[int, int]], tail: bytes
) -> None:
    """Valid frames with a few octets overwritten, plus random trailing bytes."""
    connection, broker = _handshake_to(state)
    broker.sent()
    data = _mutated(given_input.data, edits) + tail
    if data:
        _check_feed(connection, broker, data)


# =============================================================================
# 3. The tables are the whole truth
# =============================================================================


def _state_assignments(path: Path) -> list[int]:
    """The lines of ``path`` that assign an attribute named ``state``."""

    def targets(node: ast.AST) -> list[ast.expr]:
        if isinstance(node, ast.Assign):
            return list(node.targets)
        if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            return [node.target]
        return []

    def flatten(target: ast.expr) -> list[ast.expr]:
        if isinstance(target, (ast.Tuple, ast.List)):
            return [leaf for element in target.elts for leaf in flatten(element)]
        if isinstance(target, ast.Starred):
            return flatten(target.value)
        return [target]

    lines: list[int] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        for target in targets(node):
            lines += [t.lineno for t in flatten(target) if isinstance(t, ast.Attribute) and t.attr == "state"]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "state"
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_state_module_assigns_a_state() -> None:
    """Every change of state goes through a machine's ``process``, that is, through its table."""
    package = Path(amqproto.__file__).parent
    found = {
        str(path.relative_to(package)): lines
        for path in sorted(package.rglob("*.py"))
        if path.name != "_state.py" and (lines := _state_assignments(path))
    }
    assert found == {}
    # A guard on the harness: it does see the assignments in _state.py.
    assert _state_assignments(package / "_state.py")


def test_state_assignment_finder_sees_every_form(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "a.state = 1\n"
        "a.b.state: int = 2\n"
        "x, a.state = 3, 4\n"
        "a.state += 5\n"
        "setattr(a, 'state', 6)\n"
        "state = 7\n"
        "a.stated = 8\n"
    )
    assert _state_assignments(source) == [1, 2, 3, 4, 5]
