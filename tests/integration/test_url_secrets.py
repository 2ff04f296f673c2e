"""No error from parsing an AMQP URI shows its password.

Not the message, the repr, the chain or the traceback.

A password with unencoded reserved characters is the hard case: in
``amqp://u:S3cr3t/x@host/`` the standard split reads ``S3cr3t`` as the port
and ``x@host/`` as the path, and the errors Python raises about those
pieces quote them.  Each URI below is malformed; the test walks the whole
exception chain (``__cause__`` and ``__context__``, suppressed or not) and
the formatted traceback looking for any piece of the password.
"""

from __future__ import annotations

import traceback

import pytest

from amqproto.io.url import InvalidURL, parse_url

SECRET = "S3cr3t"

#: (URI, the password it holds): every shape a password can break a URI in.
MALFORMED_WITH_PASSWORD = [
    (f"amqp://u:{SECRET}/x@host/", f"{SECRET}/x"),
    (f"amqp://u:{SECRET}?x@host/", f"{SECRET}?x"),
    (f"amqp://u:{SECRET}#x@host/", f"{SECRET}#x"),
    (f"amqp://u:x/{SECRET}@host/", f"x/{SECRET}"),
    (f"amqp://u:1234/{SECRET}@host/", f"1234/{SECRET}"),
    (f"amqp://u:1234/{SECRET}@host/v/w", f"1234/{SECRET}"),
    (f"amqp://u:12?{SECRET}@host/", f"12?{SECRET}"),
    (f"amqp://u:12?heartbeat={SECRET}@host/", f"12?heartbeat={SECRET}"),
    (f"amqp://u:12#{SECRET}@host", f"12#{SECRET}"),
    (f"amqp://u:{SECRET}%zz/x@host/", f"{SECRET}%zz/x"),
    (f"amqp://u:{SECRET}%FF@host/", f"{SECRET}%FF"),
    (f"amqp://u:{SECRET}%C3@host/", f"{SECRET}%C3"),
    (f"amqp://u:{SECRET}@host:port/", SECRET),
    (f"amqp://u:{SECRET}@host:70000/", SECRET),
    (f"amqp://u:{SECRET}@[::1/", SECRET),
    (f"amqp://u:{SECRET}@host/a/b", SECRET),
    (f"amqp://u:{SECRET}@host:0/", SECRET),
    (f"amqp://u:{SECRET}@host?heartbeat=x", SECRET),
    (f"amqp://u:a@{SECRET}/x@host/", f"a@{SECRET}/x"),
    (f"amqp:u:{SECRET}@host", SECRET),
]


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    stack = [exc]
    while stack:
        item = stack.pop()
        if any(item is old for old in seen):
            continue
        seen.append(item)
        stack += [linked for linked in (item.__cause__, item.__context__) if linked is not None]
    return seen


@pytest.mark.parametrize(("url", "password"), MALFORMED_WITH_PASSWORD)
def test_no_error_shows_the_password(url: str, password: str) -> None:
    with pytest.raises(InvalidURL) as excinfo:
        parse_url(url)
    error = excinfo.value
    formatted = "".join(traceback.format_exception(error))
    for piece in {password, SECRET}:
        for linked in _chain(error):
            assert piece not in str(linked), (url, linked)
            assert piece not in repr(linked), (url, linked)
            assert all(piece not in repr(arg) for arg in linked.args), (url, linked)
        assert piece not in formatted, (url, formatted)


def test_a_password_spilling_past_the_host_is_explained() -> None:
    with pytest.raises(InvalidURL, match=r"'amqp://u:\*\*\*@host/'.*percent-encode '/', '\?', '#' and '@'"):
        parse_url(f"amqp://u:{SECRET}/x@host/")


def test_an_unencoded_password_that_would_parse_as_a_port_and_vhost_is_refused() -> None:
    # The standard split gives host "u", port 1234 and virtual host "x@host":
    # a wrong connection, the password's tail sent as the virtual host.
    with pytest.raises(InvalidURL, match="it has an '@' after its host"):
        parse_url("amqp://u:1234/x@host")


def test_an_encoded_password_with_reserved_characters_parses() -> None:
    params = parse_url("amqp://u:S3%2Fcr%3Fe%23t%40@host/v")
    expected = ("host", "u", "S3/cr?e#t@", "v")
    assert (params.host, params.username, params.password, params.virtual_host) == expected


def test_an_at_sign_in_a_query_value_is_not_taken_for_a_password() -> None:
    params = parse_url("amqps://host/?server_name_indication=me@example")
    assert params.server_hostname == "me@example"


def test_a_uri_without_slashes_is_refused() -> None:
    with pytest.raises(InvalidURL, match="an AMQP URL starts with amqp://"):
        parse_url("amqp:host")
