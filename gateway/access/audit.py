"""The audit log: one JSON line per mutation and per request that read personal fields.

Logged to the `smartgate.audit` logger, so operators can route it to its own file. A
line holds when, the request id, who (`sub`, roles), what (operation name and the
SHA-256 of the document) and whose personal fields were read, by field. Variables are
never logged: they can hold personal data themselves.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from graphql import OperationType
from strawberry.extensions import SchemaExtension

audit_log = logging.getLogger("smartgate.audit")


def document_hash(query: str | None) -> str | None:
    return hashlib.sha256(query.encode()).hexdigest() if query else None


class AuditTrail:
    """What one request read that the audit log must show."""

    def __init__(self) -> None:
        self.personal: dict[str, set[str]] = {}

    def personal_read(self, field: str, nip: str) -> None:
        self.personal.setdefault(field, set()).add(nip)


class AuditLog(SchemaExtension):
    """Writes the request's audit line once the operation has run."""

    def on_operation(self) -> Iterator[None]:
        yield
        ec = self.execution_context
        ctx = ec.context
        trail: AuditTrail | None = getattr(ctx, "audit", None)
        if trail is None:
            return
        try:
            mutation = ec.operation_type is OperationType.MUTATION
        except RuntimeError:  # the document did not parse
            mutation = False
        if not trail.personal and not mutation:
            return
        caller = ctx.caller
        line = {
            "event": "audit",
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": ctx.request_id,
            "sub": caller.sub,
            "roles": sorted(caller.roles),
            "operation_type": "mutation" if mutation else "query",
            "operation_name": ec.operation_name,
            "document_sha256": document_hash(ec.query),
            "variables": "redacted" if ec.variables else None,
            "personal_fields": {
                field: sorted(nips) for field, nips in sorted(trail.personal.items())
            },
            "errors": len(ec.result.errors or []) if ec.result else 0,
        }
        audit_log.info(json.dumps(line, ensure_ascii=False))
