"""Where e-kin meets sppspm: the crosswalk and NIP matching, in one place.

Resolvers never join the two systems themselves; they call these functions.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from connectors.domain import EmploymentType, PositionKind
from connectors.ekin.records import ExpectedAllowance
from connectors.sppspm.records import AllowancePayments
from gateway.crosswalk import Crosswalk, department_code_of, is_department_code
from gateway.errors import BadUserInput, NotFound

DepartmentKey = tuple[int, str]  # (fiscal year, OPD-level finance code)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """An employee's allowance for a period: expected by e-kin's rule, paid by sppspm.

    `known` is False for an NIP that sppspm pays and e-kin does not know: nothing is
    expected of nobody, and its status is UNKNOWN_EMPLOYEE whatever was paid, so that
    the reconciliation's sums equal sppspm's."""

    nip: str
    period: str
    basis: Decimal
    percent: int
    expected: Decimal
    paid: Decimal
    in_process: Decimal
    request_ids: tuple[int, ...] = field(default=())
    known: bool = True

    @property
    def difference(self) -> Decimal:
        return self.paid - self.expected

    @property
    def status(self) -> str:
        if not self.known:
            return "UNKNOWN_EMPLOYEE"
        if self.paid == 0:
            return "NOT_DUE" if self.expected == 0 else "UNPAID"
        if self.paid == self.expected:
            return "MATCHED"
        return "UNDERPAID" if self.paid < self.expected else "OVERPAID"


_NOTHING = Decimal(0)


def reconcile(expected: ExpectedAllowance, payments: AllowancePayments | None) -> Reconciliation:
    paid = payments.paid if payments else _NOTHING
    in_process = payments.in_process if payments else _NOTHING
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


def unknown_employee(payments: AllowancePayments) -> Reconciliation:
    """What sppspm pays an NIP that e-kin does not know: nothing is expected."""
    zero = Decimal(0)
    return Reconciliation(
        payments.nip,
        payments.period,
        zero,
        0,
        zero,
        payments.paid,
        payments.in_process,
        tuple(payments.request_ids),
        known=False,
    )


def reconcile_all(
    expected: Mapping[str, ExpectedAllowance],
    payments: Mapping[str, AllowancePayments],
    unknown: Mapping[str, AllowancePayments] | None = None,
) -> list[Reconciliation]:
    """Every employee with an expectation, and every NIP of `unknown` (paid by sppspm,
    not known to e-kin; reported in `dataIssues` too), by NIP."""
    rows = [reconcile(expected[nip], payments.get(nip)) for nip in expected]
    rows += [unknown_employee(p) for nip, p in (unknown or {}).items() if nip not in expected]
    return sorted(rows, key=lambda r: r.nip)


def payments_per_employee(
    by_unit: Mapping[tuple[str, str], AllowancePayments],
    paid_by: Callable[[str], bool] | None = None,
) -> dict[str, AllowancePayments]:
    """Payments per (NIP, finance code of the paying request) added up per NIP, over the
    requests whose code `paid_by` accepts (all when None)."""
    result: dict[str, AllowancePayments] = {}
    for (nip, code), part in by_unit.items():
        if paid_by is not None and not paid_by(code):
            continue
        total = result.setdefault(nip, AllowancePayments(nip, part.period))
        total.paid += part.paid
        total.in_process += part.in_process
        for request_id in part.request_ids:
            if request_id not in total.request_ids:
                total.request_ids.append(request_id)
    return result


def of_department(department_code: str) -> Callable[[str], bool]:
    """Whether a finance code is the department's own or one of its sub-units'."""
    return lambda code: department_code_of(code) == department_code


@dataclass(frozen=True, slots=True)
class AllowanceLedger:
    """Both sides of the allowance reconciliation for some periods, each source read once:
    e-kin's expectations (period -> NIP) and sppspm's TPP lines (period -> (NIP, finance
    code of the paying request)). When `expected` holds only some units' staff, `staff`
    holds the other NIPs e-kin knows among those the scope's requests pay."""

    expected: Mapping[str, Mapping[str, ExpectedAllowance]]
    lines: Mapping[str, Mapping[tuple[str, str], AllowancePayments]]
    staff: frozenset[str] = frozenset()

    def knows(self, period: str, nip: str) -> bool:
        return nip in self.expected[period] or nip in self.staff

    def strangers(self, period: str) -> dict[tuple[str, str], AllowancePayments]:
        """The lines of a period paid to NIPs that e-kin does not know."""
        return {k: p for k, p in self.lines[period].items() if not self.knows(period, k[0])}

    def unknown_by_department(self, period: str) -> dict[str, dict[str, AllowancePayments]]:
        """What sppspm pays NIPs that e-kin does not know, per department whose requests
        (its code or a sub-unit's) pay them, with that department's lines only: what each
        department's list holds of them."""
        strangers = self.strangers(period)
        codes = sorted({department_code_of(code) for _nip, code in strangers})
        return {code: payments_per_employee(strangers, of_department(code)) for code in codes}

    def rows(self, period: str, department_code: str | None) -> list[Reconciliation]:
        """The reconciliation of a period, by NIP: every employee of `expected` with all
        they are paid wherever from, and the NIPs that e-kin does not know: for the city
        with all their lines, for a department those its requests pay, with those lines."""
        payments = payments_per_employee(self.lines[period])
        if department_code is None:
            unknown = payments_per_employee(self.strangers(period))
        else:
            unknown = self.unknown_by_department(period).get(department_code, {})
        return reconcile_all(self.expected[period], payments, unknown)


@dataclass(frozen=True, slots=True)
class AllowanceFact:
    """A row of the reconciliation as statistics group it: the department of the
    employee's unit through the crosswalk of the period's year (of the paying requests
    for an NIP that e-kin does not know), and e-kin's employment type and position kind
    (None for such an NIP)."""

    row: Reconciliation
    department: DepartmentKey | None
    employment_type: EmploymentType | None
    position_kind: PositionKind | None


def allowance_facts(
    ledger: AllowanceLedger, crosswalk: Crosswalk, period: str
) -> Iterator[AllowanceFact]:
    """Every row of a period's reconciliation, each in one department (or none): an
    employee's row (all they are paid, wherever from) in their unit's, none for a unit the
    crosswalk does not map; an NIP that e-kin does not know once in each department whose
    requests pay it, with those requests' lines, as that department's list shows it. The
    parts of such an NIP add up to the city's row."""
    year = int(period[:4])
    expected = ledger.expected[period]
    payments = payments_per_employee(ledger.lines[period])
    departments: dict[int, DepartmentKey | None] = {}  # per unit: a city is 12,000 rows
    for nip, employee in expected.items():
        unit = employee.unit_id
        if unit not in departments:
            departments[unit] = department_of_unit(crosswalk, year, unit)
        yield AllowanceFact(
            reconcile(employee, payments.get(nip)),
            departments[unit],
            employee.employment_type,
            employee.position_kind,
        )
    for code, unknown in ledger.unknown_by_department(period).items():
        for part in unknown.values():
            yield AllowanceFact(unknown_employee(part), (year, code), None, None)


class AllowanceDimension(enum.Enum):
    """What allowance statistics group by."""

    DEPARTMENT = "DEPARTMENT"
    STATUS = "STATUS"
    PERIOD = "PERIOD"
    EMPLOYMENT_TYPE = "EMPLOYMENT_TYPE"
    POSITION_KIND = "POSITION_KIND"


class AllowanceOrderBy(enum.Enum):
    """How a client orders the reconciliation (`AllowanceOrder`); the NIP breaks ties."""

    NIP_ASC = "NIP_ASC"
    NIP_DESC = "NIP_DESC"
    EXPECTED_ASC = "EXPECTED_ASC"
    EXPECTED_DESC = "EXPECTED_DESC"
    PAID_ASC = "PAID_ASC"
    PAID_DESC = "PAID_DESC"
    DIFFERENCE_ASC = "DIFFERENCE_ASC"
    DIFFERENCE_DESC = "DIFFERENCE_DESC"


def sort_value(order: AllowanceOrderBy, row: Reconciliation) -> Decimal | str:
    """The value of `row` that `order` sorts by."""
    key = order.name.rsplit("_", 1)[0]
    if key == "NIP":
        return row.nip
    if key == "EXPECTED":
        return row.expected
    if key == "PAID":
        return row.paid
    return row.difference


def _descending(order: AllowanceOrderBy) -> bool:
    return order.name.endswith("_DESC")


def ordered(
    rows: Iterable[Reconciliation], orders: Sequence[AllowanceOrderBy]
) -> list[Reconciliation]:
    """`rows` in these orderings, applied in turn, then by NIP."""
    result = sorted(rows, key=lambda r: r.nip)
    for order in reversed(orders):  # stable sorts: the first ordering is applied last
        result.sort(key=lambda r: sort_value(order, r), reverse=_descending(order))  # noqa: B023
    return result


def comes_after(
    row: Reconciliation,
    orders: Sequence[AllowanceOrderBy],
    values: Sequence[Decimal | str],
    nip: str,
) -> bool:
    """Whether `row` comes after the row whose sort values in `orders` are `values` and
    whose NIP is `nip`, in these orderings then by NIP."""
    for order, value in zip(orders, values, strict=True):
        mine = sort_value(order, row)
        if mine != value:
            greater = mine > value  # type: ignore[operator]  # same key, same type
            return not greater if _descending(order) else greater
    return row.nip > nip


def department_of_unit(
    crosswalk: Crosswalk, fiscal_year: int, unit_id: int
) -> DepartmentKey | None:
    code = crosswalk.department_of(fiscal_year, unit_id)
    return (fiscal_year, code) if code else None


def unit_departments(crosswalk: Crosswalk, fiscal_year: int) -> dict[int, str]:
    """The department code of every e-kin unit the crosswalk maps in a year, for e-kin's
    statements that group by department (an unmapped unit is absent: no department)."""
    return {
        e.ekin_unit_id: e.department_code for e in crosswalk.entries if e.fiscal_year == fiscal_year
    }


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


def units_of_departments(
    crosswalk: Crosswalk, fiscal_year: int, codes: Iterable[str], argument: str
) -> tuple[int, ...]:
    """e-kin units of any of these departments for a year, as a filter's condition: a code
    that is no department code is an error, a department no unit is mapped to adds none."""
    units: set[int] = set()
    for code in codes:
        require_department_code(code, argument)
        units.update(crosswalk.units_of(fiscal_year, code))
    return tuple(sorted(units))
