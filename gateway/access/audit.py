"""The audit log: one JSON line per mutation and per request that read personal fields,
its fields at the top level of the line (see gateway/logs.py).

Logged to the `smartgate.audit` logger, so operators can route it to its own file. A
line holds when, the request id, who (`sub`, roles), what (operation name and the
SHA-256 of the document) and whose personal fields were read, by field. Variables are
never logged: they can hold personal data themselves.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from gateway.access.caller import Caller
from gateway.logs import FIELDS

audit_log = logging.getLogger("smartgate.audit")


def document_hash(query: str | None) -> str | None:
    return hashlib.sha256(query.encode()).hexdigest() if query else None


class AuditTrail:
    """What one request read that the audit log must show."""

    def __init__(self) -> None:
        self.personal: dict[str, set[str]] = {}

    def personal_read(self, field: str, nip: str) -> None:
        self.personal.setdefault(field, set()).add(nip)


def write_line(
    caller: Caller,
    request_id: str,
    trail: AuditTrail,
    mutation: bool,
    operation_name: str | None,
    query: str | None,
    variables: object,
    errors: int,
) -> None:
    """The audit line of one operation (or one subscription event), when it is a mutation
    or read personal fields; nothing otherwise."""
    if not trail.personal and not mutation:
        return
    line = {
        "event": "audit",
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": request_id,
        "sub": caller.sub,
        "roles": sorted(caller.roles),
        "operation_type": "mutation" if mutation else "query",
        "operation_name": operation_name,
        "document_sha256": document_hash(query),
        "variables": "redacted" if variables else None,
        "personal_fields": {field: sorted(nips) for field, nips in sorted(trail.personal.items())},
        "errors": errors,
    }
    # The fields go at the top level of the JSON line (gateway.logs.JsonLines), so `jq`
    # reads them as they are; the message only names the operation.
    audit_log.info(
        "audit %s %s by %s",
        line["operation_type"],
        operation_name or "(anonymous operation)",
        caller.sub,
        extra={FIELDS: line},
    )
