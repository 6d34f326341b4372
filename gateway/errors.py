"""Errors a client can act on: each carries `extensions.code` (graphql-core copies it)."""

from __future__ import annotations

import re

from graphql import GraphQLError
from strawberry.types import ExecutionContext


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


_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*\Z")


def refuse_before_parse(execution_context: ExecutionContext, error: GraphQLError) -> None:
    """Refuse an operation before its document is parsed or validated, on every transport
    alike: strawberry runs nothing of an operation that has errors before validation (an
    exception raised there would end a WebSocket operation without an answer). A
    placeholder with the operation the request names (strawberry looks it up) stands in
    for the refused document."""
    name = execution_context.operation_name
    name = name if name and _NAME.match(name) else "Refused"
    execution_context.query = f"query {name} {{ __typename }}"
    execution_context.graphql_document = None
    execution_context.pre_execution_errors = [error]


_SHOWN = 40


def shown(value: object) -> str:
    """A client's value as quoted in a refusal: its start only, lone surrogates escaped."""
    text = repr(value).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
