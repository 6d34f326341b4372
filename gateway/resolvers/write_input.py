"""Checks every write's input shares, before anything is written."""

from __future__ import annotations

from connectors.refusal import RefusalCode, WriteRefused

MAX_KEY = 64  # ref_eksternal is varchar(64)


def _no_nul(text: str, field: str) -> str:
    # PostgreSQL text cannot hold the NUL character; say so instead of failing the write.
    if "\x00" in text:
        raise WriteRefused(RefusalCode.INVALID_INPUT, f"{field} contains a NUL character", field)
    return text


def check_key(key: str | None) -> None:
    """An idempotency key is 1 to 64 characters."""
    if key is not None:
        _no_nul(key, "idempotencyKey")
    if key is not None and not 1 <= len(key) <= MAX_KEY:
        raise WriteRefused(
            RefusalCode.INVALID_INPUT,
            f"idempotencyKey must be 1 to {MAX_KEY} characters, not {len(key)}",
            "idempotencyKey",
        )


def required_text(value: str, field: str) -> str:
    text = _no_nul(value, field).strip()
    if not text:
        raise WriteRefused(RefusalCode.INVALID_INPUT, f"{field} must not be empty", field)
    return text


def optional_text(value: str | None, field: str, limit: int | None) -> str | None:
    text = _no_nul(value, field).strip() if value is not None else None
    if not text:
        return None
    if limit is not None and len(text) > limit:
        raise WriteRefused(
            RefusalCode.INVALID_INPUT,
            f"{field} has {len(text)} characters; at most {limit} are kept",
            field,
        )
    return text
