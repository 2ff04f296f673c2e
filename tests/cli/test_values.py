"""The CLI's conversions, without a broker: values in, JSON out, latencies, masking."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import random

import pytest

from amqproto.cli import _shown_url, build_parser, main
from amqproto.cli._perf import Counters, LatencyHistogram, _Progress
from amqproto.cli._runtimes import ADAPTERS
from amqproto.cli._values import (
    PROPERTY_NAMES,
    UsageError,
    field_value,
    json_value,
    message_json,
    message_properties,
    property_pair,
    typed_pair,
)
from amqproto.observer import CountingObserver
from amqproto.schema import BasicProperties


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10", 10),
        ("-3", -3),
        ("1.5", 1.5),
        ("true", True),
        ("null", None),
        ('"10"', "10"),
        ("[1, \"a\"]", [1, "a"]),
        ('{"a": {"b": 1}}', {"a": {"b": 1}}),
        ("007", "007"),
        ("alice", "alice"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_a_value_is_json_when_it_parses_as_json_else_a_string(text: str, value: object) -> None:
    assert field_value(text) == value


def test_a_pair_splits_at_the_first_equals_sign() -> None:
    assert typed_pair("x-match=all") == ("x-match", "all")
    assert typed_pair("expr=a=b") == ("expr", "a=b")
    with pytest.raises(UsageError, match="key=value"):
        typed_pair("novalue")
    with pytest.raises(UsageError, match="key=value"):
        typed_pair("=1")


def test_properties_take_the_type_of_their_field() -> None:
    properties = message_properties(
        [
            property_pair("priority=5"),
            property_pair("message_id=42"),
            property_pair("timestamp=1700000000"),
            property_pair("expiration=60000"),
        ],
        [typed_pair("n=1")],
        persistent=True,
    )
    assert properties == BasicProperties(
        priority=5,
        message_id="42",
        timestamp=datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.UTC),
        expiration="60000",
        headers={"n": 1},
        delivery_mode=2,
    )


def test_a_timestamp_may_be_iso_8601_and_is_utc_unless_it_says_otherwise() -> None:
    assert property_pair("timestamp=2026-01-02T03:04:05")[1] == datetime.datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC
    )
    moment = property_pair("timestamp=2026-01-02T03:04:05+02:00")[1]
    assert isinstance(moment, datetime.datetime) and moment.utcoffset() == datetime.timedelta(hours=2)
    with pytest.raises(UsageError, match="ISO 8601"):
        property_pair("timestamp=yesterday")


def test_every_property_but_headers_is_settable_and_wrong_ones_are_named() -> None:
    assert "headers" not in PROPERTY_NAMES
    assert {"message_id", "content_type", "correlation_id", "reply_to", "expiration", "priority"} <= set(
        PROPERTY_NAMES
    )
    with pytest.raises(UsageError, match="unknown property 'colour'"):
        property_pair("colour=red")
    with pytest.raises(UsageError, match="--header"):
        property_pair("headers=x")
    with pytest.raises(UsageError, match="priority must be an integer"):
        property_pair("priority=high")


def test_json_unfriendly_values_get_their_documented_form() -> None:
    table = {
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        "price": decimal.Decimal("3.14"),
        "raw": b"\x00\xff",
        "nested": {"list": [1, b"a", {"deep": None}]},
        "nan": float("nan"),
        "inf": float("-inf"),
        "ok": 1.5,
    }
    assert json_value(table) == {
        "when": "2026-01-02T03:04:05+00:00",
        "price": "3.14",
        "raw": {"base64": "AP8="},
        "nested": {"list": [1, {"base64": "YQ=="}, {"deep": None}]},
        "nan": "nan",
        "inf": "-inf",
        "ok": 1.5,
    }


def test_a_message_is_one_line_of_json_with_its_body_as_text_or_base64() -> None:
    line = message_json(b"caf\xc3\xa9", BasicProperties(priority=1), "ex", "rk", True)
    assert "\n" not in line
    assert json.loads(line) == {
        "body": "café",
        "exchange": "ex",
        "routing_key": "rk",
        "redelivered": True,
        "properties": {"priority": 1, "headers": {}},
    }
    assert json.loads(message_json(b"\xff\xfe", BasicProperties(), "", "q", False))["body"] == {
        "base64": "//4="
    }


def test_latency_percentiles_are_within_a_thirty_second_of_the_truth() -> None:
    rng = random.Random(13)
    samples = [int(rng.lognormvariate(7, 1.5)) for _ in range(20_000)]
    histogram = LatencyHistogram()
    for sample in samples:
        histogram.record(sample)
    ordered = sorted(samples)
    for fraction in (0.5, 0.95, 0.99):
        exact = ordered[round(fraction * len(ordered)) - 1]
        estimate = histogram.percentile(fraction)
        assert estimate is not None
        assert abs(estimate - exact) <= exact / 32 + 1
    assert histogram.max == max(samples)
    assert histogram.count == len(samples)
    assert LatencyHistogram().percentile(0.5) is None


def test_histograms_merge_and_subtract() -> None:
    first, second = LatencyHistogram(), LatencyHistogram()
    for value in (10, 100, 1000):
        first.record(value)
    before = LatencyHistogram.merged([first, second])
    second.record(5000)
    after = LatencyHistogram.merged([first, second])
    assert after.count == 4
    recent = after.minus(before)
    assert recent.count == 1
    assert recent.percentile(0.5) == 4992  # the bucket of 5000, 32 wide at that size


def test_counters_read_the_counting_observer() -> None:
    observer = CountingObserver()
    observer.message_published(1, 10)
    observer.message_published(1, 10)
    observer.publishes_confirmed(1, 2)
    observer.message_delivered(2, 10)
    observer.message_acked(2, False)
    total = Counters(observer.snapshot())
    assert (total.publishes, total.confirms, total.nacks, total.returns, total.deliveries, total.acks) == (
        2,
        2,
        0,
        0,
        1,
        1,
    )


def test_help_never_shows_the_default_password() -> None:
    assert _shown_url("amqp://guest:guest@localhost:5672/%2F") == "amqp://guest:***@localhost:5672/%2F"
    assert _shown_url("amqp://localhost") == "amqp://localhost"
    assert "guest:guest" not in build_parser().format_help()


COMMANDS = [
    ["publish"],
    ["get"],
    ["consume"],
    ["declare"],
    ["declare", "queue"],
    ["declare", "exchange"],
    ["bind"],
    ["delete"],
    ["delete", "queue"],
    ["delete", "exchange"],
    ["perf"],
]


@pytest.mark.parametrize("command", [[], *COMMANDS], ids=lambda command: " ".join(command) or "amqproto")
def test_help_explains_each_command_and_exits_0(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: amqproto")
    assert "guest:guest" not in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["publish", "--no-such-option", "x"],
        ["publish"],
        ["publish", "--size", "10", "body"],
        ["publish", "--lines", "body"],
        ["publish", "--property", "priority=high", "x"],
        ["publish", "--count", "0", "x"],
        ["get"],
        ["get", "q", "--ack", "--no-ack"],
        ["consume", "q", "--requeue"],
        ["declare", "exchange", "x"],
        ["perf", "--size", "3"],
        ["perf", "--duration", "0"],
        ["perf", "--adapter", "gevent"],
        ["perf", "--producers", "0", "--consumers", "0"],
        ["get", "q", "--url", "http://example.com"],
    ],
    ids=lambda argv: " ".join(argv) or "nothing",
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "error:" in captured.err.splitlines()[-1]


def test_a_malformed_url_is_a_usage_error_that_hides_its_password(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["get", "q", "--url", "amqp://user:hunter2@host:99999/"]) == 2
    err = capsys.readouterr().err
    assert "hunter2" not in err
    assert "amqp://user:***@host:99999/" in err


def test_the_adapter_list_has_the_six_adapters() -> None:
    assert {"asyncio", "uvloop", "curio", "trio", "twisted", "blocking"} <= set(ADAPTERS)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_is_rewritten_in_place_on_a_terminal_only() -> None:
    terminal = _Terminal()
    progress = _Progress(terminal)
    progress.show("one")
    progress.show("two")
    progress.end()
    progress.end()
    assert terminal.getvalue() == "\rone\x1b[K\rtwo\x1b[K\n"
    plain = io.StringIO()
    progress = _Progress(plain)
    progress.show("one")
    progress.show("two")
    progress.end()
    assert plain.getvalue() == "one\ntwo\n"
