"""Events as JSON, for the Redis stream every gateway process reads.

The records are frozen dataclasses of a few kinds of values (Decimal, datetime, date,
enums, nested records, optionals); each is written as JSON's nearest kind (Decimal and
dates as strings, enums by value) and read back by the field's declared type, so an
event read from the stream equals the event published.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def encode(event: object) -> bytes:
    return json.dumps(_plain(event), separators=(",", ":")).encode()


def decode(kind: type[T], data: bytes | str) -> T:
    return typing.cast(T, _typed(kind, json.loads(data)))


def _plain(value: object) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal | datetime | date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} cannot be written to the event stream")


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _typed(kind: Any, value: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [k for k in typing.get_args(kind) if k is not type(None)]
        return _typed(inner, value)
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(kind)
        items = [_typed(inner, v) for v in value]
        return items if origin is list else tuple(items)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        return kind(**{name: _typed(hints[name], v) for name, v in value.items()})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if kind is Decimal:
        return Decimal(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    return value
