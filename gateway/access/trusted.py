"""Trusted documents: in production, optionally only operations from an allow-list run.

The manifest is JSON, either `{"<sha256>": "<document>", ...}` or Apollo's persisted
query manifest (`{"format": "apollo-persisted-query-manifest", "operations": [{"id",
"body", ...}]}`). Every hash is checked against its document when the file is loaded.
A request names a document by the Apollo extension `extensions.persistedQuery.sha256Hash`
(existing Apollo clients work unchanged), or sends the text itself, which is accepted
only when its hash is in the manifest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.errors import refuse_before_parse


class TrustedDocumentsError(ValueError):
    """A manifest that cannot be used; the message names the file and the entry."""


class DocumentNotTrusted(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class TrustedDocuments:
    def __init__(self, documents: Mapping[str, str]) -> None:
        self._documents = dict(documents)

    def __len__(self) -> int:
        return len(self._documents)

    @classmethod
    def load(cls, path: Path) -> TrustedDocuments:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise TrustedDocumentsError(f"{path}: {exc}") from None
        if isinstance(data, dict) and isinstance(data.get("operations"), list):
            pairs = [(op.get("id"), op.get("body")) for op in data["operations"]]
        elif isinstance(data, dict):
            pairs = list(data.items())
        else:
            raise TrustedDocumentsError(f"{path}: expected a JSON object of hash: document")
        documents: dict[str, str] = {}
        for key, body in pairs:
            if not isinstance(key, str) or not isinstance(body, str):
                raise TrustedDocumentsError(f"{path}: entry {key!r} is not hash: document")
            if sha256(body) != key.lower():
                raise TrustedDocumentsError(f"{path}: {key} is not the SHA-256 of its document")
            documents[key.lower()] = body
        return cls(documents)

    def resolve(self, data: dict[str, Any]) -> str:
        """The document a request may run; raises DocumentNotTrusted."""
        wanted = _requested_hash(data)
        query = data.get("query")
        if wanted is None:
            if not isinstance(query, str):
                raise DocumentNotTrusted("neither a query nor a persistedQuery hash was sent")
            wanted = sha256(query)
        document = self._documents.get(wanted)
        if document is None:
            raise DocumentNotTrusted(
                f"document {wanted} is not in this gateway's trusted documents"
            )
        if isinstance(query, str) and query and query != document:
            raise DocumentNotTrusted("the query sent does not match its persisted hash")
        return document


def _requested_hash(data: dict[str, Any]) -> str | None:
    extensions = data.get("extensions")
    if isinstance(extensions, dict):
        persisted = extensions.get("persistedQuery")
        if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
            return str(persisted["sha256Hash"]).lower()
    return None


class TrustedDocumentsOnly(SchemaExtension):
    """Runs an operation only as the manifest has it, whatever the transport (POST, GET,
    a batch, a WebSocket): before parsing, the text is replaced by the trusted one or
    the operation is refused."""

    def on_operation(self) -> Iterator[None]:
        ec = self.execution_context
        trusted: TrustedDocuments | None = getattr(
            getattr(ec.context, "services", None), "trusted_documents", None
        )
        if trusted is not None and not ec.pre_execution_errors:
            request = {"query": ec.query, "extensions": ec.operation_extensions}
            try:
                ec.query = trusted.resolve(request)
            except DocumentNotTrusted as exc:
                refuse_before_parse(
                    ec, GraphQLError(exc.message, extensions={"code": "PERSISTED_QUERY_NOT_FOUND"})
                )
        yield
