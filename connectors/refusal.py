"""Why a source refused a write: a stable code a client can act on, and nothing written."""

from __future__ import annotations

from enum import StrEnum


class RefusalCode(StrEnum):
    """The codes of refused writes, as clients see them in `UserError.code`."""

    INVALID_INPUT = "INVALID_INPUT"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    REASON_REQUIRED = "REASON_REQUIRED"
    NIP_REQUIRED = "NIP_REQUIRED"
    # e-kin
    UNKNOWN_EMPLOYEE = "UNKNOWN_EMPLOYEE"
    INACTIVE_EMPLOYEE = "INACTIVE_EMPLOYEE"
    UNKNOWN_ACTIVITY = "UNKNOWN_ACTIVITY"
    INVALID_PERIOD = "INVALID_PERIOD"
    OVERLAPPING_ACTIVITY = "OVERLAPPING_ACTIVITY"
    # sppspm
    UNKNOWN_DEPARTMENT = "UNKNOWN_DEPARTMENT"
    NO_TREASURER = "NO_TREASURER"
    INVALID_TYPE = "INVALID_TYPE"
    UNKNOWN_BUDGET_LINE = "UNKNOWN_BUDGET_LINE"
    BUDGET_LINE_MISMATCH = "BUDGET_LINE_MISMATCH"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    UNKNOWN_PAYMENT_REQUEST = "UNKNOWN_PAYMENT_REQUEST"


class WriteRefused(Exception):
    """A write the rules do not allow. Raised before anything is written, or inside the
    write's transaction, which then rolls back: either way the source is unchanged."""

    def __init__(self, code: RefusalCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def key_reused(what: str) -> WriteRefused:
    """The idempotency key was used before with another input."""
    return WriteRefused(
        RefusalCode.IDEMPOTENCY_CONFLICT,
        f"this idempotency key was used for another {what} input; repeat the same input,"
        f" or use a new key for a new {what}",
        "idempotencyKey",
    )


def decided_otherwise(what: str) -> WriteRefused:
    """A step repeated with a key, but the step was taken with another decision."""
    return WriteRefused(
        RefusalCode.IDEMPOTENCY_CONFLICT,
        f"{what} was already taken with another decision; a repeat with the same idempotency"
        " key must repeat the same input",
        "idempotencyKey",
    )


def require_reason(approve: bool, reason: str | None, field: str) -> None:
    """A rejection says why."""
    if not approve and not (reason and reason.strip()):
        raise WriteRefused(RefusalCode.REASON_REQUIRED, "a rejection must give its reason", field)
