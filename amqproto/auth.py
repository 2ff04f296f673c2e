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

from typing import Protocol, runtime_checkable

from .wire.table import encode_table

__all__ = ["Authentication", "PLAIN", "AMQPLAIN", "EXTERNAL"]


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
