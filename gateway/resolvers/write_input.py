"""What every write's input shares, checked before anything is written. What fits the
legacy columns (length, NUL characters, ranges) is checked earlier, at the edge, for
every input alike (`gateway.input_check`)."""

from __future__ import annotations

import hashlib

from connectors.ekin.columns import IDEMPOTENCY_KEY as EKIN_KEY
from connectors.refusal import RefusalCode, WriteRefused
from connectors.sppspm.columns import IDEMPOTENCY_KEY
from gateway.access.caller import Caller


def check_key(key: str | None) -> None:
    """An idempotency key, when given, is not empty."""
    if key is not None and not key:
        raise WriteRefused(
            RefusalCode.INVALID_INPUT, "idempotencyKey must not be empty", "idempotencyKey"
        )


def required_text(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise WriteRefused(RefusalCode.INVALID_INPUT, f"{field} must not be empty", field)
    return text


def optional_text(value: str | None) -> str | None:
    """Blank text is no text."""
    text = value.strip() if value is not None else None
    return text or None


CALLER_TAG_LENGTH = 16
IDEMPOTENCY_KEY_LENGTH = min(IDEMPOTENCY_KEY.max_length or 64, EKIN_KEY.max_length or 64)


def caller_key(caller: Caller, key: str | None) -> str | None:
    """The idempotency key as the source stores it: the caller's own, so the same key from
    two callers names two writes. `<tag>:<key>`, the tag being the first 16 hex digits of
    the SHA-256 of the token's `sub`; a key too long to fit beside the tag in
    `ref_eksternal` (64 characters) is kept as `<tag>#<SHA-256 of the key>`, cut to fit.
    The same caller and key always give the same reference, so a retry finds its write."""
    if key is None:
        return None
    tag = hashlib.sha256((caller.sub or "").encode()).hexdigest()[:CALLER_TAG_LENGTH]
    room = IDEMPOTENCY_KEY_LENGTH - CALLER_TAG_LENGTH - 1
    if len(key) <= room:
        return f"{tag}:{key}"
    return f"{tag}#{hashlib.sha256(key.encode()).hexdigest()[:room]}"
