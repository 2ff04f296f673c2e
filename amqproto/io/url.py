"""Connection parameters, parsed from an AMQP URI.

Follows RabbitMQ's URI specification (``amqp://user:pass@host:port/vhost``,
each part percent-decoded; ``amqps://`` for TLS, port 5671 by default) and its
companion list of query parameters:

=========================  ==============================================
``heartbeat``              seconds (0 = off)
``frame_max``              bytes
``channel_max``            highest channel number
``connection_timeout``     **milliseconds**, as RabbitMQ's clients read it
``auth_mechanism``         ``plain``, ``amqplain`` or ``external``
``cacertfile``             CA bundle to verify the broker with (TLS)
``certfile``, ``keyfile``  client certificate and key (TLS)
``verify``                 ``verify_peer`` (default) or ``verify_none``
``server_name_indication`` the host name to send and check, or ``disable``
=========================  ==============================================

A malformed URI raises :class:`InvalidURL` before any connection is tried.

Passwords never appear in an error.  Messages show the URI only through
:func:`_redacted`, which masks everything from the user name's ``:`` to the
*last* ``@``; no ``InvalidURL`` is raised inside an ``except`` block (its
``__context__`` would keep the exception that held the raw text); and a URI
whose user information may have spilled past the host (a password with an
unencoded ``/``, ``?`` or ``#``: ``amqp://u:pa/ss@host/``, where the standard
split reads ``pa`` as the port and ``ss@host/`` as the path) gets one
generic message that echoes no part of it.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from ..auth import AMQPLAIN, EXTERNAL, PLAIN, Authentication
from ..exceptions import AMQPError
from ..schema.constants import DEFAULT_PORT, DEFAULT_TLS_PORT

__all__ = ["ConnectionParameters", "InvalidURL", "parse_url", "DEFAULT_URL"]

DEFAULT_URL = "amqp://guest:guest@localhost:5672/%2F"

_KNOWN_OPTIONS = frozenset(
    {
        "heartbeat",
        "frame_max",
        "channel_max",
        "connection_timeout",
        "auth_mechanism",
        "cacertfile",
        "certfile",
        "keyfile",
        "verify",
        "server_name_indication",
        "fail_if_no_peer_cert",
    }
)


class InvalidURL(AMQPError, ValueError):
    """The AMQP URI is malformed; the message says which part."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionParameters:
    """Everything needed to open a connection, from a URI and keyword arguments."""

    host: str = "localhost"
    port: int = DEFAULT_PORT
    virtual_host: str = "/"
    username: str = "guest"
    password: str = field(default="guest", repr=False)
    auth: Authentication | None = None
    heartbeat: int | None = None
    frame_max: int | None = None
    channel_max: int | None = None
    #: Seconds allowed for the TCP connect and the AMQP handshake.
    connection_timeout: float = 30.0
    #: ``None`` for plain TCP.
    ssl_context: ssl.SSLContext | None = None
    #: The name sent in TLS SNI and checked against the certificate.
    server_hostname: str | None = None

    def authentication(self) -> Authentication:
        """The injected mechanism, or PLAIN with the URI's credentials."""
        return self.auth if self.auth is not None else PLAIN(self.username, self.password)


#: A '%' not followed by two hex digits.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _authority_start(url: str) -> int:
    """Where the user information would start: after ``scheme://`` (or ``scheme:``)."""
    scheme_end = url.find(":")
    if url.startswith("//", scheme_end + 1):
        return scheme_end + 3
    return scheme_end + 1


def _redacted(url: str) -> str:
    """The URI with anything that may be a password masked: error messages end up in logs.

    Masks from the first ``:`` after ``scheme://`` to the *last* ``@``: a
    password may itself hold ``@``, ``/``, ``?`` or ``#`` (unencoded), so no
    standard split can be trusted to find its end.  Over-masks a URI with an
    ``@`` past its host, which is better than showing a secret.
    """
    start = _authority_start(url)
    at = url.rfind("@")
    if at < start:
        return url
    colon = url.find(":", start, at)
    if colon < 0:
        return url  # a user name, no password
    return f"{url[: colon + 1]}***{url[at:]}"


def _may_hide_a_password(url: str) -> bool:
    """Whether an ``@`` past the host may end user information that the standard split missed.

    ``amqp://u:pa/ss@host/`` splits as host ``u``, port ``pa`` and path
    ``/ss@host/``: an ``@`` after the authority while the authority has none.
    """
    start = _authority_start(url)
    end = min((i for i in (url.find(c, start) for c in "/?#") if i >= 0), default=len(url))
    return "@" not in url[start:end] and "@" in url[end:]


_HIDDEN_PASSWORD = (
    "malformed AMQP URL {}: it has an '@' after its host; "
    "percent-encode '/', '?', '#' and '@' in the user name and password (%2F, %3F, %23, %40)"
)


def _decode(raw: str, what: str) -> str:
    """Percent-decode one part of the URI, strictly: bad escapes and non-UTF-8 are errors.

    (``urllib.parse.unquote`` keeps a bad escape as it is and replaces
    undecodable bytes with U+FFFD, which would log in as the wrong user.)
    """
    shown = "" if what == "password" else f": {raw!r}"  # never echo a password
    if _BAD_ESCAPE.search(raw):
        raise InvalidURL(f"the {what} has a malformed percent-encoding{shown}")
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        pass  # raised below, not here: the UnicodeDecodeError holds the raw bytes
    raise InvalidURL(f"the {what} has a percent-encoding that is not UTF-8{shown}")


def _int_option(options: dict[str, str], name: str, low: int, high: int) -> int | None:
    raw = options.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidURL(f"query option {name}={raw!r} is not an integer") from None
    if not low <= value <= high:
        raise InvalidURL(f"query option {name}={value} is outside {low}..{high}")
    return value


def _tls_context(options: dict[str, str]) -> ssl.SSLContext:
    verify = options.get("verify", "verify_peer")
    if verify not in ("verify_peer", "verify_none"):
        raise InvalidURL(f"query option verify={verify!r} must be verify_peer or verify_none")
    try:
        context = ssl.create_default_context(cafile=options.get("cacertfile"))
        if verify == "verify_none":
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if "certfile" in options:
            context.load_cert_chain(options["certfile"], options.get("keyfile"))
    except (OSError, ssl.SSLError) as exc:
        raise InvalidURL(f"cannot load TLS files: {exc}") from None
    return context


def parse_url(url: str) -> ConnectionParameters:
    """Parse an ``amqp://`` or ``amqps://`` URI.

    Raises:
        InvalidURL: a wrong scheme, port, percent-encoding, query option or
            value, TLS files that cannot be loaded, or an ``@`` past the host
            that may end a password with unencoded reserved characters.
            The message never contains the password (see the module doc).
    """
    if not isinstance(url, str):
        raise InvalidURL(f"the URL must be a str, not {type(url).__name__}")
    if not _may_hide_a_password(url):
        return _parse_url(url)
    try:
        params = _parse_url(url)
    except InvalidURL:
        pass  # whatever failed may have quoted a piece of the password: say nothing of it
    else:
        if "@" not in urlsplit(url).path:
            return params  # the '@' is in a query value (a file name, say)
    raise InvalidURL(_HIDDEN_PASSWORD.format(repr(_redacted(url))))


def _parse_url(url: str) -> ConnectionParameters:
    """:func:`parse_url`, without the check for passwords that spill past the host."""
    try:
        parts = urlsplit(url)
        port = parts.port
        reason = ""
    except ValueError as exc:
        # Not the exception's text: it may quote the "port", which can be a password.
        reason = "the port is not a number from 0 to 65535" if "Port" in str(exc) else "the host is malformed"
    if reason:
        raise InvalidURL(f"malformed AMQP URL {_redacted(url)!r}: {reason}")
    scheme = parts.scheme.lower()
    if scheme not in ("amqp", "amqps"):
        raise InvalidURL(f"the URL scheme must be amqp or amqps, not {parts.scheme!r}")
    if parts.path and not parts.netloc and not url[len(parts.scheme) + 1 :].startswith("//"):
        raise InvalidURL(f"an AMQP URL starts with {scheme}://")
    if parts.fragment:
        raise InvalidURL("an AMQP URL has no #fragment")
    if port == 0:
        raise InvalidURL(f"port 0 in {_redacted(url)!r} cannot be connected to")
    tls = scheme == "amqps"
    host = _decode(parts.hostname or "", "host") or "localhost"
    path = parts.path
    if path.count("/") > 1:
        raise InvalidURL(
            f"the virtual host in {_redacted(url)!r} must be one path segment (encode '/' as %2F)"
        )
    # An absent or empty path means the default virtual host, "/".
    virtual_host = _decode(path[1:], "virtual host") if len(path) > 1 else "/"
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise InvalidURL(f"malformed query string {parts.query!r}: {exc}") from None
    options = {name: values[-1] for name, values in query.items()}
    unknown = set(options) - _KNOWN_OPTIONS
    if unknown:
        raise InvalidURL(f"unknown query option(s): {', '.join(sorted(unknown))}")

    auth: Authentication | None = None
    username = _decode(parts.username, "user name") if parts.username is not None else "guest"
    password = _decode(parts.password, "password") if parts.password is not None else "guest"
    mechanism = options.get("auth_mechanism")
    if mechanism is not None:
        mechanism = mechanism.lower()
        if mechanism == "plain":
            auth = PLAIN(username, password)
        elif mechanism == "amqplain":
            auth = AMQPLAIN(username, password)
        elif mechanism == "external":
            auth = EXTERNAL()
        else:
            raise InvalidURL(f"auth_mechanism={mechanism!r} must be plain, amqplain or external")

    timeout_ms = _int_option(options, "connection_timeout", 1, 24 * 3600 * 1000)
    tls_options = {"cacertfile", "certfile", "keyfile", "verify", "server_name_indication"} & set(options)
    if tls_options and not tls:
        raise InvalidURL(f"TLS option(s) {', '.join(sorted(tls_options))} need an amqps:// URL")
    server_hostname: str | None = None
    context: ssl.SSLContext | None = None
    if tls:
        context = _tls_context(options)
        sni = options.get("server_name_indication", host)
        if sni == "disable":
            context.check_hostname = False
        else:
            server_hostname = sni
    return ConnectionParameters(
        host=host,
        port=port if port is not None else (DEFAULT_TLS_PORT if tls else DEFAULT_PORT),
        virtual_host=virtual_host,
        username=username,
        password=password,
        auth=auth,
        heartbeat=_int_option(options, "heartbeat", 0, 0xFFFF),
        frame_max=_int_option(options, "frame_max", 0, 0xFFFF_FFFF),
        channel_max=_int_option(options, "channel_max", 0, 0xFFFF),
        connection_timeout=timeout_ms / 1000 if timeout_ms is not None else 30.0,
        ssl_context=context,
        server_hostname=server_hostname,
    )
