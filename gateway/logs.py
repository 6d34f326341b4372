"""Where the gateway's own log lines go: stderr, and the audit log to its own file when
SMARTGATE_AUDIT_LOG names one (one JSON object per line)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

AUDIT_LOGGER = "smartgate.audit"


def configure_logging(level: str, audit_file: Path | None = None) -> None:
    """Send `smartgate` records at `level` to stderr; audit records always go out (to
    `audit_file` alone when given), whatever the level."""
    gateway = logging.getLogger("smartgate")
    gateway.setLevel(level.upper())
    if not any(getattr(h, "smartgate", False) for h in gateway.handlers):
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
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
