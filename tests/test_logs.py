"""The audit log can go to its own file, one JSON object per line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.logs import AUDIT_LOGGER, configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    loggers = [logging.getLogger("smartgate"), logging.getLogger(AUDIT_LOGGER)]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        for handler in lg.handlers[:]:
            if handler not in handlers:
                handler.close()
        lg.handlers, lg.level, lg.propagate = handlers, level, propagate


def test_audit_lines_go_to_their_own_file_at_any_level(
    tmp_path: Path, restored_logging: None
) -> None:
    audit_file = tmp_path / "logs" / "audit.jsonl"
    configure_logging("error", audit_file)
    logging.getLogger(AUDIT_LOGGER).info(json.dumps({"event": "audit", "sub": "x"}))
    logging.getLogger("smartgate").info("not an audit line")
    lines = audit_file.read_text().splitlines()
    assert [json.loads(line)["sub"] for line in lines] == ["x"]
