"""Where e-kin meets sppspm: the crosswalk and NIP matching, in one place.

Resolvers never join the two systems themselves; they call these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from connectors.ekin.records import ExpectedAllowance
from connectors.sppspm.records import AllowancePayments
from gateway.crosswalk import Crosswalk, department_code_of, is_department_code
from gateway.errors import BadUserInput, NotFound

DepartmentKey = tuple[int, str]  # (fiscal year, OPD-level finance code)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """An employee's allowance for a period: expected by e-kin's rule, paid by sppspm."""

    nip: str
    period: str
    basis: Decimal
    percent: int
    expected: Decimal
    paid: Decimal
    in_process: Decimal
    request_ids: tuple[int, ...] = field(default=())

    @property
    def difference(self) -> Decimal:
        return self.paid - self.expected

    @property
    def status(self) -> str:
        if self.paid == 0:
            return "NOT_DUE" if self.expected == 0 else "UNPAID"
        if self.paid == self.expected:
            return "MATCHED"
        return "UNDERPAID" if self.paid < self.expected else "OVERPAID"


def reconcile(expected: ExpectedAllowance, payments: AllowancePayments | None) -> Reconciliation:
    paid = payments.paid if payments else Decimal(0)
    in_process = payments.in_process if payments else Decimal(0)
    ids = tuple(payments.request_ids) if payments else ()
    return Reconciliation(
        expected.nip,
        expected.period,
        expected.basis,
        expected.percent,
        expected.expected,
        paid,
        in_process,
        ids,
    )


def reconcile_all(
    expected: Mapping[str, ExpectedAllowance], payments: Mapping[str, AllowancePayments]
) -> list[Reconciliation]:
    """Every employee with an expectation, by NIP; payments to unknown NIPs are data issues."""
    return [reconcile(expected[nip], payments.get(nip)) for nip in sorted(expected)]


def department_of_unit(
    crosswalk: Crosswalk, fiscal_year: int, unit_id: int
) -> DepartmentKey | None:
    code = crosswalk.department_of(fiscal_year, unit_id)
    return (fiscal_year, code) if code else None


def opd_key(fiscal_year: int, finance_code: str) -> DepartmentKey:
    """The department a finance code (possibly a sub-unit code) belongs to."""
    return (fiscal_year, department_code_of(finance_code))


def require_department_code(code: str, argument: str = "code") -> str:
    if not is_department_code(code):
        raise BadUserInput(
            f"{argument}: {code!r} is not a department code; expected an OPD-level finance code"
            " ending in .0000, for example 1.02.0.00.0.00.01.0000",
            argument=argument,
        )
    return code


def units_of_department(crosswalk: Crosswalk, fiscal_year: int, code: str) -> list[int]:
    """e-kin units of a department for a year; an unknown department is an error."""
    require_department_code(code, "departmentCode")
    units = crosswalk.units_of(fiscal_year, code)
    if not units:
        raise NotFound(
            f"departmentCode: no e-kin unit is mapped to {code} in {fiscal_year}",
            argument="departmentCode",
        )
    return units
