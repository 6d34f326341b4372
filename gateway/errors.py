"""Errors a client can act on: each carries `extensions.code` (graphql-core copies it)."""

from __future__ import annotations


class GatewayError(Exception):
    """An error raised in a resolver that reaches the client with a stable code."""

    code = "INTERNAL"

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message)
        self.extensions: dict[str, object] = {"code": self.code, **extensions}


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"


class NotFound(GatewayError):
    code = "NOT_FOUND"


class Unauthenticated(GatewayError):
    """No usable credentials for what was asked."""

    code = "UNAUTHENTICATED"


class Forbidden(GatewayError):
    """The caller is known but its roles do not allow this."""

    code = "FORBIDDEN"


class RateLimited(GatewayError):
    """Too many requests for the caller's role; `retryAfter` says how many seconds."""

    code = "RATE_LIMITED"
