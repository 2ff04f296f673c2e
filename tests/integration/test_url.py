"""AMQP URI parsing (:mod:`amqproto.io.url`): unit tests, no broker.

What is parsed, what each query option becomes, and that every malformed URI
raises :class:`~amqproto.io.url.InvalidURL` (an ``AMQPError`` and a
``ValueError``) when the connection object is built, before any connection is
tried.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from amqproto import AMQPLAIN, EXTERNAL, PLAIN, AMQPError
from amqproto.io.asyncio import AsyncioConnection
from amqproto.io.blocking import BlockingConnection
from amqproto.io.url import DEFAULT_URL, InvalidURL, parse_url

from ..optional import HAVE_CURIO

if HAVE_CURIO:  # curio imports on CPython < 3.12 only: see tests/optional.py
    from amqproto.io.curio import CurioConnection

#: Each adapter's connection class.
ADAPTER_CLASSES: list[type[AsyncioConnection | CurioConnection | BlockingConnection]] = [
    AsyncioConnection,
    *([CurioConnection] if HAVE_CURIO else []),
    BlockingConnection,
]


def test_an_empty_uri_means_every_default() -> None:
    params = parse_url("amqp://")
    assert (params.host, params.port, params.virtual_host) == ("localhost", 5672, "/")
    assert (params.username, params.password) == ("guest", "guest")
    assert (params.heartbeat, params.frame_max, params.channel_max) == (None, None, None)
    assert params.connection_timeout == 30.0
    assert params.ssl_context is None and params.server_hostname is None
    auth = params.authentication()
    assert isinstance(auth, PLAIN)
    assert (auth.username, auth.password) == ("guest", "guest")


def test_the_default_url_is_the_local_broker() -> None:
    params = parse_url(DEFAULT_URL)
    assert (params.host, params.port, params.virtual_host) == ("localhost", 5672, "/")


def test_every_part() -> None:
    params = parse_url("amqp://alice:s3cret@rabbit.example:5673/production")
    assert (params.host, params.port, params.virtual_host) == ("rabbit.example", 5673, "production")
    assert (params.username, params.password) == ("alice", "s3cret")
    auth = params.authentication()
    assert isinstance(auth, PLAIN)
    assert (auth.username, auth.password) == ("alice", "s3cret")


@pytest.mark.parametrize(
    ("url", "user", "password", "virtual_host"),
    [
        ("amqp://us%40er:p%3Ass%2Fw%25rd@h/v%2Fhost", "us@er", "p:ss/w%rd", "v/host"),
        ("amqp://user%61:%61pass@h/%2F", "usera", "apass", "/"),
        ("amqp://%C3%A9t%C3%A9:%E2%9C%93@h/%C3%BC", "été", "✓", "ü"),
        ("amqp://:@h/%2F%2F", "", "", "//"),
        ("amqp://user@h", "user", "guest", "/"),
        ("amqp://h/%20spaced%20", "guest", "guest", " spaced "),
    ],
)
def test_user_password_and_virtual_host_are_percent_decoded(
    url: str, user: str, password: str, virtual_host: str
) -> None:
    params = parse_url(url)
    assert (params.username, params.password, params.virtual_host) == (user, password, virtual_host)


@pytest.mark.parametrize("url", ["amqp://h", "amqp://h/", "amqp://h:5672", "amqp://h?heartbeat=5", "amqp:///"])
def test_no_virtual_host_means_the_default_one(url: str) -> None:
    assert parse_url(url).virtual_host == "/"


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("amqp://h", "h", 5672),
        ("amqp://h:1234", "h", 1234),
        ("amqp://h:/", "h", 5672),
        ("amqps://h", "h", 5671),
        ("amqps://h:5672", "h", 5672),
        ("AMQP://H.Example:65535", "h.example", 65535),
        ("amqp://[::1]:5673/v", "::1", 5673),
        ("amqp://[fe80::1]", "fe80::1", 5672),
    ],
)
def test_hosts_and_ports(url: str, host: str, port: int) -> None:
    params = parse_url(url)
    assert (params.host, params.port) == (host, port)


def test_numeric_query_options() -> None:
    params = parse_url("amqp://h/v?heartbeat=10&frame_max=8192&channel_max=100&connection_timeout=2500")
    assert (params.heartbeat, params.frame_max, params.channel_max) == (10, 8192, 100)
    assert params.connection_timeout == 2.5  # milliseconds in the URI, seconds here


def test_heartbeat_zero_turns_heartbeats_off() -> None:
    assert parse_url("amqp://h?heartbeat=0").heartbeat == 0


def test_the_last_of_repeated_options_wins() -> None:
    assert parse_url("amqp://h?heartbeat=1&heartbeat=2").heartbeat == 2


@pytest.mark.parametrize(
    ("value", "kind"), [("plain", PLAIN), ("AMQPLAIN", AMQPLAIN), ("amqplain", AMQPLAIN)]
)
def test_auth_mechanism_uses_the_uri_credentials(value: str, kind: type[PLAIN] | type[AMQPLAIN]) -> None:
    auth = parse_url(f"amqp://bob:pw%21@h?auth_mechanism={value}").authentication()
    assert isinstance(auth, kind)
    assert (auth.username, auth.password) == ("bob", "pw!")
    assert auth.mechanism == kind.mechanism


def test_auth_mechanism_external() -> None:
    auth = parse_url("amqps://h?auth_mechanism=external").authentication()
    assert isinstance(auth, EXTERNAL)
    assert auth.initial_response() == b""


def test_amqps_verifies_the_broker_by_default() -> None:
    params = parse_url("amqps://rabbit.example/v")
    context = params.ssl_context
    assert context is not None
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert params.server_hostname == "rabbit.example"


def test_tls_verify_none() -> None:
    context = parse_url("amqps://h?verify=verify_none").ssl_context
    assert context is not None
    assert context.verify_mode is ssl.CERT_NONE and not context.check_hostname


def test_tls_server_name_indication() -> None:
    params = parse_url("amqps://10.0.0.7?server_name_indication=rabbit.example")
    assert params.server_hostname == "rabbit.example"
    disabled = parse_url("amqps://rabbit.example?server_name_indication=disable")
    assert disabled.server_hostname is None
    assert disabled.ssl_context is not None and not disabled.ssl_context.check_hostname


def test_tls_cacertfile_is_loaded() -> None:
    cafile = ssl.get_default_verify_paths().cafile
    if cafile is None or not Path(cafile).exists():
        pytest.skip("this system has no CA bundle file to load")
    context = parse_url(f"amqps://h?cacertfile={cafile}").ssl_context
    assert context is not None
    assert context.cert_store_stats()["x509_ca"] > 0


@pytest.mark.parametrize("option", ["cacertfile", "certfile"])
def test_tls_files_that_cannot_be_loaded(option: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(InvalidURL, match="cannot load TLS files"):
        parse_url(f"amqps://h?{option}={missing}")


MALFORMED: list[tuple[Any, str]] = [
    ("http://h", "scheme must be amqp or amqps"),
    ("h:5672", "scheme must be amqp or amqps"),
    ("", "scheme must be amqp or amqps"),
    (b"amqp://h", "must be a str"),
    ("amqp://h:port", "malformed AMQP URL"),
    ("amqp://h:70000", "malformed AMQP URL"),
    ("amqp://h:-1", "malformed AMQP URL"),
    ("amqp://h:0", "port"),
    ("amqp://[::1", "malformed AMQP URL"),
    ("amqp://h/a/b", "one path segment"),
    ("amqp://h#fragment", "fragment"),
    ("amqp://h/%FF", "percent-encoding"),
    ("amqp://%FF@h", "percent-encoding"),
    ("amqp://user:%C3@h", "percent-encoding"),
    ("amqp://h/v%2", "percent-encoding"),
    ("amqp://h/%zz", "percent-encoding"),
    ("amqp://us%er@h", "percent-encoding"),
    ("amqp://h?heartbeat=x", "heartbeat='x' is not an integer"),
    ("amqp://h?heartbeat=", "heartbeat='' is not an integer"),
    ("amqp://h?heartbeat=-1", "heartbeat=-1 is outside"),
    ("amqp://h?heartbeat=65536", "heartbeat=65536 is outside"),
    ("amqp://h?frame_max=4294967296", "frame_max=4294967296 is outside"),
    ("amqp://h?channel_max=65536", "channel_max=65536 is outside"),
    ("amqp://h?connection_timeout=0", "connection_timeout=0 is outside"),
    ("amqp://h?connection_timeout=1.5", "connection_timeout='1.5' is not an integer"),
    ("amqp://h?bogus=1", "unknown query option"),
    ("amqp://h?heartbeat", "malformed query string"),
    ("amqp://h?auth_mechanism=gssapi", "auth_mechanism='gssapi'"),
    ("amqp://h?cacertfile=/ca.pem", "need an amqps:// URL"),
    ("amqp://h?verify=verify_none", "need an amqps:// URL"),
    ("amqps://h?verify=maybe", "verify='maybe'"),
]


@pytest.mark.parametrize(("url", "message"), MALFORMED)
def test_malformed_uris_raise_invalid_url(url: Any, message: str) -> None:
    with pytest.raises(InvalidURL, match=message) as excinfo:
        parse_url(url)
    assert isinstance(excinfo.value, AMQPError)
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize(
    "url",
    [
        "amqp://user:s3cr%21t@h:port/v",
        "amqp://user:s3cr@t@h:0/v",
        "amqp://user:s3cr%21t@h/a/b",
        "amqp://user:s3cr%FFt@h/v",
        "amqp://user:s3cr%Ft@h/v",
    ],
)
def test_error_messages_never_show_the_password(url: str) -> None:
    with pytest.raises(InvalidURL, match=r"user:\*\*\*@h|the password has") as excinfo:
        parse_url(url)
    assert "s3cr" not in str(excinfo.value)


@pytest.mark.parametrize("connection_class", ADAPTER_CLASSES)
@pytest.mark.parametrize(("url", "message"), [MALFORMED[0], MALFORMED[10], MALFORMED[11]])
def test_an_adapter_refuses_a_malformed_uri_before_connecting(
    connection_class: type[AsyncioConnection | CurioConnection | BlockingConnection], url: str, message: str
) -> None:
    # Building the connection object parses the URI; no socket exists yet.
    with pytest.raises(InvalidURL, match=message):
        connection_class(url)


@pytest.mark.parametrize("connection_class", ADAPTER_CLASSES)
def test_an_adapter_takes_host_and_port_from_the_uri(
    connection_class: type[AsyncioConnection | CurioConnection | BlockingConnection],
) -> None:
    connection = connection_class("amqp://u:p@rabbit.example:5999/v?heartbeat=7&auth_mechanism=amqplain")
    assert (connection.host, connection.port) == ("rabbit.example", 5999)
    assert connection.core.virtual_host == "v"
    assert isinstance(connection.core.auth, AMQPLAIN)
    assert not connection.is_open
