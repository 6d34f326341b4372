"""The contract's enums, registered from the connectors' domain vocabulary."""

from __future__ import annotations

import enum

import strawberry

from connectors.domain import (  # noqa: E402
    ActivityDimension,
    ActivityKind,
    Document,
    EmployeeDimension,
    EmploymentType,
    FinanceRoleKind,
    Gender,
    LsKind,
    PaymentRequestDimension,  # noqa: E402
    PaymentStatus,
    PaymentType,
    PositionKind,
)
from connectors.domain import BudgetLineOrderBy as BudgetLineOrder  # noqa: E402
from connectors.domain import OrderStatus as PaymentOrderStatus  # noqa: E402
from connectors.domain import PaymentOrderBy as PaymentRequestOrder  # noqa: E402
from connectors.domain import ReviewStatus as ActivityStatus  # noqa: E402
from connectors.ekin.records import ActivityOrderBy as ActivityOrder  # noqa: E402
from connectors.ekin.records import EmployeeOrderBy as EmployeeOrder  # noqa: E402
from connectors.stats import StatsOrderBy as StatsOrder  # noqa: E402
from connectors.stats import TimeBucket  # noqa: E402
from gateway.joins import AllowanceDimension  # noqa: E402
from gateway.joins import AllowanceOrderBy as AllowanceOrder  # noqa: E402

# strawberry.enum registers the domain enums in place; the names are the contract's.
for _enum in (
    ActivityKind,
    Document,
    EmploymentType,
    FinanceRoleKind,
    Gender,
    LsKind,
    PaymentStatus,
    PaymentType,
    PositionKind,
):
    strawberry.enum(_enum)
strawberry.enum(PaymentOrderStatus, name="PaymentOrderStatus")
strawberry.enum(PaymentRequestOrder, name="PaymentRequestOrder")
strawberry.enum(BudgetLineOrder, name="BudgetLineOrder")
strawberry.enum(ActivityStatus, name="ActivityStatus")
strawberry.enum(
    EmployeeOrder,
    name="EmployeeOrder",
    description="NAME: the name without titles (pegawai.nama). RANK: up the golongan ladder,"
    " I/a to IV/e, then the PPPK grades V to XVII by numeral; no golongan sorts last.",
)
strawberry.enum(
    ActivityOrder,
    name="ActivityOrder",
    description="STARTS_AT: when the activity starts. MINUTES: its duration in minutes.",
)
strawberry.enum(AllowanceOrder, name="AllowanceOrder")
strawberry.enum(
    TimeBucket,
    name="TimeBucket",
    description="WIB calendar buckets, labelled 2026-10-07 (DAY), 2026-W41 (WEEK, the ISO"
    " week), 2026-10 (MONTH), 2026-Q4 (QUARTER), 2026 (YEAR).",
)
strawberry.enum(
    StatsOrder,
    name="StatsOrder",
    description="How groups are ordered. SUM is the subject's main measure: a payment"
    " request's amount, an activity's minutes, an allowance's difference (employees: the"
    " count). Ties are broken by the key, ascending.",
)
strawberry.enum(
    PaymentRequestDimension,
    name="PaymentRequestDimension",
    description="DEPARTMENT: the OPD code with its sub-units, in its fiscal year. REQUESTED"
    " and DISBURSED: the time bucket of requestedAt and of the SP2D's date.",
)
strawberry.enum(
    ActivityDimension,
    name="ActivityDimension",
    description="DEPARTMENT: the department the crosswalk of the current fiscal year maps"
    " the owner's unit to (a unit it maps to none groups as a null department). UNIT and"
    " EMPLOYEE: the owner's e-kin unit and the owner. STARTED: the time bucket of the"
    " start, in WIB.",
)
strawberry.enum(
    EmployeeDimension,
    name="EmployeeDimension",
    description="DEPARTMENT: as for activities, of the employee's unit. RANK: the golongan;"
    " KEY orders it up the ladder (I/a to IV/e, then the PPPK grades), no golongan last."
    " POSITION_KIND: the kind of the employee's position.",
)

strawberry.enum(
    AllowanceDimension,
    name="AllowanceDimension",
    description="DEPARTMENT: of the employee's unit through the crosswalk of the period's"
    " year; for an NIP that e-kin does not know, of the requests that pay it. STATUS: the"
    " row's AllowanceStatus. PERIOD: the month. EMPLOYMENT_TYPE and POSITION_KIND: e-kin's"
    " (none for an NIP that e-kin does not know).",
)


@strawberry.enum
class AllowanceStatus(enum.Enum):
    MATCHED = "MATCHED"
    UNDERPAID = "UNDERPAID"
    OVERPAID = "OVERPAID"
    UNPAID = "UNPAID"
    NOT_DUE = "NOT_DUE"
    UNKNOWN_EMPLOYEE = "UNKNOWN_EMPLOYEE"


@strawberry.enum
class BreakerState(enum.Enum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


@strawberry.enum
class DataIssueKind(enum.Enum):
    UNMAPPED_UNIT = "UNMAPPED_UNIT"
    UNKNOWN_PERSON = "UNKNOWN_PERSON"
    INVALID_NIP = "INVALID_NIP"
    ORPHAN_RECORD = "ORPHAN_RECORD"
