"""Where the gateway's own log lines go: JSON objects, one per line, on stderr, each with
the request id of the request it belongs to; the audit log to its own file when
SMARTGATE_AUDIT_LOG names one (one JSON object per line as well)."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

AUDIT_LOGGER = "smartgate.audit"

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
"""The id of the request being served (from or added to X-Request-ID)."""

_PAIR = re.compile(r"(\w+)=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)")


class JsonLines(logging.Formatter):
    """A record as one JSON object: time, level, logger, request id, the message, and the
    message's key=value pairs as fields of their own."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": current_request_id.get(),
        }
        for key, value in _PAIR.findall(message):
            if key not in line:
                line[key] = value.strip("'\"")
        line["message"] = message
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: str, audit_file: Path | None = None) -> None:
    """Send `smartgate` records at `level` to stderr as JSON lines; audit records always go
    out (to `audit_file` alone when given), whatever the level."""
    gateway = logging.getLogger("smartgate")
    gateway.setLevel(level.upper())
    if not any(getattr(h, "smartgate", False) for h in gateway.handlers):
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(JsonLines())
        stderr.smartgate = True  # type: ignore[attr-defined]
        gateway.addHandler(stderr)
    audit = logging.getLogger(AUDIT_LOGGER)
    audit.setLevel(logging.INFO)
    if audit_file is not None:
        audit_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(audit_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(message)s"))
        audit.addHandler(handler)
        audit.propagate = False
