"""SASL authentication, injected into the connection.

:class:`amqproto.Connection` takes any object that satisfies the
:class:`Authentication` protocol: a ``mechanism`` name that the broker must
offer in ``connection.start``, the initial response sent in
``connection.start-ok``, and an answer to each ``connection.secure``
challenge.  Nothing needs subclassing; a custom mechanism is a small class::

    class Token:
        mechanism = "X-TOKEN"

        def __init__(self, token: bytes) -> None:
            self.token = token

        def initial_response(self) -> bytes:
            return self.token

        def handle_challenge(self, challenge: bytes) -> bytes:
            return self.token

    Connection(auth=Token(b"..."))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from .wire.table import encode_table

__all__ = ["Authentication", "RefreshableSecret", "PLAIN", "AMQPLAIN", "EXTERNAL", "TokenPLAIN"]


@runtime_checkable
class Authentication(Protocol):
    """What the connection needs of an authentication mechanism."""

    @property
    def mechanism(self) -> str:
        """The SASL mechanism name, as the broker lists it (``"PLAIN"``)."""
        ...

    def initial_response(self) -> bytes:
        """The response sent in ``connection.start-ok``."""
        ...

    def handle_challenge(self, challenge: bytes) -> bytes:
        """The answer to a ``connection.secure`` challenge."""
        ...


@runtime_checkable
class RefreshableSecret(Protocol):
    """An authentication whose secret expires (an OAuth 2 token): the adapters refresh it.

    After the handshake, and again after each refresh, an adapter connection
    waits for four fifths of :meth:`secret_lifetime`, calls
    :meth:`refresh_secret` and hands the broker the new secret with
    ``connection.update-secret`` (the RabbitMQ Java client's credentials
    refresh service is the model).  ``initial_response`` must use the
    current secret, so that a reconnection logs in with it.
    """

    def secret_lifetime(self) -> float | None:
        """Seconds the current secret stays valid, from when it was obtained; ``None``: for ever."""
        ...

    def refresh_secret(self) -> bytes:
        """Obtain a new secret (it becomes current) and return it; it should be quick."""
        ...


class PLAIN:
    """RFC 4616 PLAIN: ``\\0user\\0password``.  RabbitMQ's default."""

    mechanism = "PLAIN"

    def __init__(self, username: str = "guest", password: str = "guest") -> None:
        self.username = username
        self.password = password

    def initial_response(self) -> bytes:
        return b"\0" + self.username.encode() + b"\0" + self.password.encode()

    def handle_challenge(self, challenge: bytes) -> bytes:
        # PLAIN has no challenge; a broker that sends one gets the same answer.
        return self.initial_response()

    def __repr__(self) -> str:
        return f"PLAIN({self.username!r}, '***')"


class AMQPLAIN:
    """RabbitMQ's AMQPLAIN: a field table of LOGIN and PASSWORD, without its size."""

    mechanism = "AMQPLAIN"

    def __init__(self, username: str = "guest", password: str = "guest") -> None:
        self.username = username
        self.password = password

    def initial_response(self) -> bytes:
        return encode_table({"LOGIN": self.username, "PASSWORD": self.password})[4:]

    def handle_challenge(self, challenge: bytes) -> bytes:
        return self.initial_response()

    def __repr__(self) -> str:
        return f"AMQPLAIN({self.username!r}, '***')"


class EXTERNAL:
    """SASL EXTERNAL: identity from the TLS client certificate; empty response."""

    mechanism = "EXTERNAL"

    def initial_response(self) -> bytes:
        return b""

    def handle_challenge(self, challenge: bytes) -> bytes:
        return b""

    def __repr__(self) -> str:
        return "EXTERNAL()"


class TokenPLAIN(PLAIN):
    """PLAIN whose password is a token that expires, refreshed by ``fetch``.

    ``fetch()`` returns a token and its lifetime in seconds (``None``: for
    ever): RabbitMQ's OAuth 2 plugin takes the token as the password (the
    username is ignored).  See :class:`RefreshableSecret`.
    """

    def __init__(self, fetch: Callable[[], tuple[str, float | None]], username: str = "") -> None:
        token, lifetime = fetch()
        super().__init__(username, token)
        self._fetch = fetch
        self._lifetime = lifetime

    def secret_lifetime(self) -> float | None:
        return self._lifetime

    def refresh_secret(self) -> bytes:
        token, self._lifetime = self._fetch()
        self.password = token
        return token.encode()

    def __repr__(self) -> str:
        return f"TokenPLAIN({self.username!r}, '***')"
