"""Opaque cursors: base64 of a tagged JSON value, so a cursor of one list fails on another."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from gateway.errors import BadUserInput

DEFAULT_FIRST = 50
MAX_FIRST = 500


def encode(kind: str, value: Any) -> str:
    raw = json.dumps([kind, value], separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(kind: str, cursor: str | None) -> Any:
    """The value inside a cursor made by `encode(kind, ...)`; None when no cursor."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise BadUserInput("after: not a cursor this API gave out", argument="after") from exc
    if tag != kind:
        raise BadUserInput("after: this cursor belongs to another list", argument="after")
    return value


def decode_str(kind: str, cursor: str | None) -> str | None:
    """`decode` for lists keyed by a string (an NIP)."""
    value = decode(kind, cursor)
    if value is not None and not isinstance(value, str):
        raise BadUserInput(f"after: not a cursor of {kind}s", argument="after")
    return value


def decode_int(kind: str, cursor: str | None) -> int | None:
    """`decode` for lists keyed by a number (an id)."""
    value = decode(kind, cursor)
    if value is not None and not isinstance(value, int):
        raise BadUserInput(f"after: not a cursor of {kind}s", argument="after")
    return value


def page_size(first: int | None) -> int:
    """`first` defaults to 50 and may not exceed 500."""
    if first is None:
        return DEFAULT_FIRST
    if first < 0:
        raise BadUserInput(f"first must be 0 or more, got {first}", argument="first")
    if first > MAX_FIRST:
        raise BadUserInput(
            f"first may be at most {MAX_FIRST}, got {first}: page with `after`", argument="first"
        )
    return first
