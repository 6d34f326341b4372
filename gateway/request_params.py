"""The parameters of a GraphQL-over-HTTP request (`query`, `operationName`, `variables`,
`extensions`), read from a JSON body or a GET query string and checked as the
GraphQL-over-HTTP spec has them. Anything else is a `MalformedRequest`, which the edge
answers with 400, before any GraphQL runs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import orjson
from strawberry.http import GraphQLRequestData

MAX_JSON_DEPTH = 32
"""Deeper than any GraphQL request needs (the deepest input of the schema nests four
levels), and shallow enough that nothing downstream recurses far on a request's values."""

_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
"""A digit run orjson may read differently: it reads an integer beyond 64 bits as a float."""


class MalformedRequest(ValueError):
    """Not a well-formed GraphQL-over-HTTP request; the message says what is wrong."""


def _not_json(word: str) -> object:
    raise ValueError(f"{word} is not JSON")


def decode_json(text: str | bytes, what: str) -> object:
    """`text` decoded as JSON, refused if it is not JSON or nests deeper than
    `MAX_JSON_DEPTH` (checked before decoding, so nothing recurses on it). `what` names
    it in the message ("the request body")."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if nests_deeper_than(raw, MAX_JSON_DEPTH):
        raise _too_deep(what)
    if _LONG_DIGITS.search(raw) is None:
        # orjson reads what it accepts as json does (it refuses NaN and Infinity too) and
        # several times faster; what it refuses (a byte order mark, a lone surrogate,
        # 1e400) json is asked about, for its answer or its message.
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(raw, parse_constant=_not_json)
    except RecursionError:  # unbalanced brackets, which the count above cannot measure
        raise _too_deep(what) from None
    except ValueError as exc:  # also invalid UTF-8, and integers too long to convert
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise MalformedRequest(f"{what} is not JSON: {reason}") from None


def _too_deep(what: str) -> MalformedRequest:
    return MalformedRequest(f"{what} nests JSON deeper than {MAX_JSON_DEPTH} levels")


def nests_deeper_than(raw: bytes, levels: int) -> bool:
    """Whether the arrays and objects of a JSON text nest deeper than `levels`, brackets
    inside strings aside. Once the text is reduced to its brackets, each pass removes the
    innermost level (every `[]`), so the check costs `levels` linear passes whatever the
    depth; every step is a bytes method, not a Python loop over the text."""
    if raw.count(b"[") + raw.count(b"{") <= levels:
        return False  # as many openings at most as levels: nothing can nest deeper
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[::2])
    brackets = outside_strings.translate(_AS_SQUARE, _NOT_BRACKETS)
    for _ in range(levels):
        brackets = brackets.replace(b"[]", b"")
    return b"[]" in brackets


def from_json_body(body: bytes) -> GraphQLRequestData | list[GraphQLRequestData]:
    """The operation of a JSON body (an object), or those of a batch (a list of objects)."""
    payload = decode_json(body, "the request body")
    if isinstance(payload, list):
        if not payload:
            raise MalformedRequest(
                "the request body is an empty batch: send at least one operation"
            )
        return [_operation(item, f"batch item {n}") for n, item in enumerate(payload)]
    return _operation(payload, "the request body")


def from_query_string(params: Mapping[str, Any]) -> GraphQLRequestData:
    """The operation of a GET request: `variables` and `extensions` are JSON text."""
    operation: dict[str, object] = {k: params.get(k) for k in ("query", "operationName")}
    for name in ("variables", "extensions"):
        text = params.get(name)
        operation[name] = decode_json(text, f"the {name} parameter") if text else None
    return _operation(operation, "the query string")


def _operation(item: object, where: str) -> GraphQLRequestData:
    if not isinstance(item, dict):
        raise MalformedRequest(f"{where} must be a JSON object with a query, not {_kind(item)}")
    query, name = item.get("query"), item.get("operationName")
    variables, extensions = item.get("variables"), item.get("extensions")
    for key, value, allowed in (
        ("query", query, str),
        ("operationName", name, str),
        ("variables", variables, dict),
        ("extensions", extensions, dict),
    ):
        if value is not None and not isinstance(value, allowed):
            expected = "a string" if allowed is str else "an object"
            raise MalformedRequest(f"{where}: {key} must be {expected} or null, not {_kind(value)}")
    return GraphQLRequestData(
        query=query, variables=variables, operation_name=name, extensions=extensions
    )


def _kind(value: object) -> str:
    """The JSON kind of a decoded value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"
