"""PaymentRequest with its order, disbursement and history; FinanceRole."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import strawberry

from connectors.domain import PaymentOrderBy
from connectors.sppspm.records import Disbursement as DisbursementRecord
from connectors.sppspm.records import Official, PaymentFilter, PaymentScope
from connectors.sppspm.records import PaymentOrder as PaymentOrderRecord
from connectors.sppspm.records import PaymentRequest as PaymentRequestRecord
from connectors.sppspm.records import StatusChange as StatusChangeRecord
from gateway import cursors
from gateway.access.policy import FinanceAction, PaymentSubject
from gateway.context import Info
from gateway.joins import opd_key
from gateway.resolvers import finance as resolve
from gateway.resolvers import organisation as organisation_resolvers
from gateway.resolvers import service_level as service_level_resolvers
from gateway.schema import enums, organisation, people
from gateway.schema.pagination import Connection, connection
from gateway.schema.refs import BudgetLineRef, DepartmentRef, EmployeeRef
from gateway.schema.service_level import ServiceClock
from gateway.timebound.clock import ClockState


@strawberry.input
class PaymentRequestFilter:
    department_code: str | None = None
    fiscal_year: int | None = None
    status: enums.PaymentStatus | None = None
    type: enums.PaymentType | None = None
    requested_from: date | None = strawberry.field(default=None, description="WIB day, inclusive.")
    requested_to: date | None = strawberry.field(default=None, description="WIB day, inclusive.")
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    clock_state: ClockState | None = strawberry.field(
        default=None, description="Requests whose service clock is in this state now."
    )

    def payment_filter(self) -> PaymentFilter:
        return PaymentFilter(
            fiscal_year=self.fiscal_year,
            status=self.status,
            type=self.type,
            requested_from=self.requested_from,
            requested_to=self.requested_to,
            min_amount=self.min_amount,
            max_amount=self.max_amount,
        )


@strawberry.type
class PaymentOrder:
    number: str
    issued_at: datetime
    status: enums.PaymentOrderStatus
    authorizer_nip: strawberry.Private[str | None]

    @strawberry.field(description="The PA who issued the SPM.")
    async def authorizer(self, info: Info) -> EmployeeRef | None:
        return await people.employee_or_none(info, self.authorizer_nip)

    @classmethod
    def from_record(cls, order: PaymentOrderRecord) -> PaymentOrder:
        return cls(
            number=order.number,
            issued_at=order.issued_at,
            status=order.status,
            authorizer_nip=order.authorizer_nip,
        )


@strawberry.type
class Disbursement:
    number: str
    issued_at: datetime
    net_amount: Decimal
    authorizer_nip: strawberry.Private[str | None]

    @strawberry.field(description="The Kuasa BUD who issued the SP2D.")
    async def authorizer(self, info: Info) -> EmployeeRef | None:
        return await people.employee_or_none(info, self.authorizer_nip)

    @classmethod
    def from_record(cls, d: DisbursementRecord) -> Disbursement:
        return cls(
            number=d.number,
            issued_at=d.issued_at,
            net_amount=d.net_amount,
            authorizer_nip=d.authorizer_nip,
        )


@strawberry.type
class StatusChange:
    document: enums.Document
    from_: enums.PaymentStatus | None = strawberry.field(name="from")
    to: enums.PaymentStatus
    at: datetime
    note: str | None
    by_nip: strawberry.Private[str | None]

    @strawberry.field
    async def by(self, info: Info) -> EmployeeRef | None:
        return await people.employee_or_none(info, self.by_nip)

    @classmethod
    def from_record(cls, change: StatusChangeRecord) -> StatusChange:
        return cls(
            document=change.document,
            from_=change.from_status,
            to=change.to_status,
            at=change.at,
            note=change.note,
            by_nip=change.by_nip,
        )


@strawberry.type(description="An SPP, with its SPM and SP2D when they exist.")
class PaymentRequest:
    id: strawberry.ID
    number: str
    fiscal_year: int
    type: enums.PaymentType
    ls_kind: enums.LsKind | None
    amount: Decimal
    purpose: str
    requested_at: datetime
    status: enums.PaymentStatus
    rejection_reason: str | None
    order: PaymentOrder | None
    disbursement: Disbursement | None
    code: strawberry.Private[str]
    budget_line_id: strawberry.Private[int | None]
    treasurer_nip: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, r: PaymentRequestRecord) -> PaymentRequest:
        return cls(
            id=strawberry.ID(str(r.id)),
            number=r.number,
            fiscal_year=r.fiscal_year,
            type=r.type,
            ls_kind=r.ls_kind,
            amount=r.amount,
            purpose=r.purpose,
            requested_at=r.requested_at,
            status=r.status,
            rejection_reason=r.rejection_reason,
            order=PaymentOrder.from_record(r.order) if r.order else None,
            disbursement=Disbursement.from_record(r.disbursement) if r.disbursement else None,
            code=r.code,
            budget_line_id=r.budget_line_id,
            treasurer_nip=r.treasurer_nip,
        )

    def access_subject(self) -> PaymentSubject:
        return PaymentSubject(self.code, self.fiscal_year)

    @strawberry.field
    async def department(self, info: Info) -> DepartmentRef | None:
        record = await organisation_resolvers.department_by_key(
            info.context, opd_key(self.fiscal_year, self.code)
        )
        return organisation.Department.from_record(record) if record else None

    @strawberry.field
    async def budget_line(self, info: Info) -> BudgetLineRef | None:
        if self.budget_line_id is None:
            return None
        record = await organisation_resolvers.budget_line(info.context, self.budget_line_id)
        return organisation.BudgetLine.from_record(record) if record else None

    @strawberry.field(description="The BENDAHARA_PENGELUARAN as an e-kin employee.")
    async def treasurer(self, info: Info) -> EmployeeRef | None:
        return await people.employee_or_none(info, self.treasurer_nip)

    @strawberry.field(description="What the caller may do with this request.")
    async def viewer_can(self, info: Info) -> FinancePowers:
        access, subject = info.context.access, self.access_subject()
        return FinancePowers(
            verify=await access.may(FinanceAction.VERIFY, subject),
            issue_order=await access.may(FinanceAction.ISSUE_ORDER, subject),
            issue_disbursement=await access.may(FinanceAction.ISSUE_DISBURSEMENT, subject),
        )

    @strawberry.field(description="The service clock of the last stage the request reached.")
    async def clock(self, info: Info) -> ServiceClock:
        return ServiceClock.from_record(
            await service_level_resolvers.clock(info.context, int(self.id))
        )

    @strawberry.field
    async def history(self, info: Info) -> list[StatusChange]:
        records = await resolve.history(info.context, int(self.id))
        return [StatusChange.from_record(r) for r in records]


@strawberry.type(
    description="Which steps the caller's appointments in pejabat allow on a request, for its"
    " department and fiscal year. The request's status is not considered: the mutation checks"
    " that the step is legal now."
)
class FinancePowers:
    verify: bool = strawberry.field(description="As PPK_SKPD of the department.")
    issue_order: bool = strawberry.field(description="As PA of the department.")
    issue_disbursement: bool = strawberry.field(description="As KUASA_BUD.")


@strawberry.type(description="An appointment in sppspm's pejabat for one fiscal year.")
class FinanceRole:
    fiscal_year: int
    role: enums.FinanceRoleKind
    code: strawberry.Private[str]

    @classmethod
    def from_record(cls, official: Official) -> FinanceRole:
        return cls(fiscal_year=official.fiscal_year, role=official.role, code=official.code)

    @strawberry.field
    async def department(self, info: Info) -> DepartmentRef | None:
        record = await organisation_resolvers.department_by_key(
            info.context, opd_key(self.fiscal_year, self.code)
        )
        return organisation.Department.from_record(record) if record else None


async def request_connection(
    info: Info,
    scope: PaymentScope,
    f: PaymentRequestFilter,
    order: PaymentOrderBy,
    first: int | None,
    after: str | None,
) -> Connection[PaymentRequest]:
    ctx = info.context
    payment_filter = f.payment_filter()
    if f.clock_state is not None:
        ids = await service_level_resolvers.requests_in_state(
            ctx, scope, f.fiscal_year, f.clock_state
        )
        payment_filter = replace(payment_filter, ids=ids)
    page = await resolve.payment_requests(ctx, scope, payment_filter, order, first, after)
    return connection(
        page.items,
        page.has_next,
        lambda r: cursors.request_cursor(order, r),
        PaymentRequest.from_record,
        lambda: resolve.count_payment_requests(ctx, scope, payment_filter),
    )
