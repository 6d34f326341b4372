"""Where log lines go: JSON objects, one per line, on stderr, the gateway's and uvicorn's
alike, each with the request id of the request it belongs to; the audit log to its own
file when SMARTGATE_AUDIT_LOG names one, in the same format."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

AUDIT_LOGGER = "smartgate.audit"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

FIELDS = "fields"
"""A record's `extra` key for fields of its own, written at the top level of its line
(the audit log's `sub`, `roles`, `personal_fields`, ...)."""

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
"""The id of the request being served (from or added to X-Request-ID)."""

_PAIR = re.compile(r"(\w+)=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)")
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")
"""The arguments of uvicorn's access line `'%s - "%s %s HTTP/%s" %d'`, as fields."""


class JsonLines(logging.Formatter):
    """A record as one JSON object: time, level, logger, request id, the message's
    key=value pairs (or a record's own fields, or an access line's parts) as fields of
    their own, and the message."""

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
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            line.update(zip(_ACCESS_FIELDS, record.args, strict=False))
        line.update(getattr(record, FIELDS, None) or {})
        line["message"] = message
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def access_lines(level: str) -> bool:
    """Whether uvicorn's access lines pass `level`. When they do not, uvicorn is told so
    (`access_log=False`) and does not compose a line per request only to drop it."""
    return logging.getLevelName(level.upper()) <= logging.INFO


def configure_logging(level: str, audit_file: Path | None = None) -> None:
    """Send `smartgate` and uvicorn records at `level` to stderr as JSON lines; audit
    records always go out (to `audit_file` alone when given), whatever the level.

    uvicorn is then run with `log_config=None`, so that it keeps these handlers."""
    for name in ("smartgate", *UVICORN_LOGGERS):
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        if name in ("uvicorn.error", "uvicorn.access"):
            logger.handlers = []  # their lines go up to `uvicorn`'s handler
            logger.propagate = True
            continue
        if name == "uvicorn":
            logger.propagate = False  # as uvicorn's own configuration has it
        if not any(getattr(h, "smartgate", False) for h in logger.handlers):
            stderr = logging.StreamHandler(sys.stderr)
            stderr.setFormatter(JsonLines())
            stderr.smartgate = True  # type: ignore[attr-defined]
            logger.addHandler(stderr)
    audit = logging.getLogger(AUDIT_LOGGER)
    audit.setLevel(logging.INFO)
    if audit_file is not None:
        audit_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(audit_file, encoding="utf-8")
        handler.setFormatter(JsonLines())
        audit.addHandler(handler)
        audit.propagate = False
