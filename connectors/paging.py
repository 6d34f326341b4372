"""Keyset pages shared by the connectors: a page is rows plus whether more follow."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

MAX_PAGE = 500


@dataclass(slots=True)
class Page(Generic[T]):
    """At most `first` items after the cursor, and whether the list goes on."""

    items: list[T] = field(default_factory=list)
    has_next: bool = False


def cut(rows: list[T], first: int) -> Page[T]:
    """Turn `first + 1` fetched rows into a page: the extra row only says more follow."""
    return Page(rows[:first], len(rows) > first)
