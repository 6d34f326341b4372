"""What the filter inputs and orderings share: a field beside its `...In` list, department
codes, how an ordering is applied."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

from gateway.joins import require_department_code

V = TypeVar("V", bound=Hashable)

DEPARTMENT_CODE = (
    "The department, with its sub-units. At the top of a list it is the department listed,"
    " which a department system may name only as its own; inside `not` and `anyOf` a"
    " condition like any other."
)
DEPARTMENT_CODE_IN = "One of these departments, each with its sub-units."

PAYMENT_ORDER = (
    "Applied in order, then by id; default [REQUESTED_AT_DESC]. DISBURSED_AT puts requests"
    " without an SP2D last either way."
)
LINE_ORDER = (
    "Applied in order, then by id; default: by id. ABSORPTION puts lines whose ceiling is 0"
    " last either way."
)


def values_of(one: V | None, many: list[V] | None) -> tuple[V, ...] | None:
    """The values a field and its `...In` list allow together (both must hold): None for
    any value, () for none."""
    if many is None:
        return None if one is None else (one,)
    return tuple(v for v in dict.fromkeys(many) if one is None or v == one)


def department_codes(
    one: str | None, many: list[str] | None, argument: str
) -> tuple[str, ...] | None:
    """The departments a filter's `departmentCode` and `departmentCodeIn` allow, each an
    OPD-level code (standing for its sub-units too)."""
    codes = values_of(one, many)
    if codes is None:
        return None
    return tuple(require_department_code(code, argument) for code in codes)
