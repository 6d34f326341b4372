"""What an operation of a parsed document decides alone, kept for documents sent again.

The parser cache hands back the same document object for the same text
(`gateway.request_errors.ParseOrRefuse`), so a client that sends one query again and again
(a dashboard, a persisted query) sends the same object. What depends only on it, the
schema and the operation's name, with no variables, need not be worked out again: the
query limits' measures and the check of its arguments. Each use keeps its own memo.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from graphql import DocumentNode, GraphQLSchema

T = TypeVar("T")


class DocumentMemo(Generic[T]):
    """Values by (schema, document, operation name), the least recently used dropped
    past `maxsize`. Keyed by identity; the schema and document are held while their
    value is, so neither id can name another object meanwhile."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._kept: OrderedDict[
            tuple[int, int, str | None], tuple[GraphQLSchema, DocumentNode, T]
        ] = OrderedDict()

    def get(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        make: Callable[[], T],
    ) -> T:
        key = (id(schema), id(document), operation_name)
        kept = self._kept.get(key)
        if kept is not None and kept[0] is schema and kept[1] is document:
            self._kept.move_to_end(key)
            return kept[2]
        value = make()
        self._kept[key] = (schema, document, value)
        if len(self._kept) > self.maxsize:
            self._kept.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._kept)
