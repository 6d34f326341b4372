"""PaymentRequest with its order, disbursement and history; FinanceRole."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, NamedTuple, TypeVar

import strawberry

from connectors.domain import PaymentOrderBy
from connectors.sppspm.records import (
    DEFAULT_ORDER,
    FinanceUnit,
    Official,
    PaymentFilter,
    PaymentScope,
    Step,
)
from connectors.sppspm.records import BudgetLine as BudgetLineRecord
from connectors.sppspm.records import Disbursement as DisbursementRecord
from connectors.sppspm.records import PaymentOrder as PaymentOrderRecord
from connectors.sppspm.records import PaymentRequest as PaymentRequestRecord
from connectors.sppspm.records import StatusChange as StatusChangeRecord
from gateway import cursors
from gateway.access.policy import PaymentSubject
from gateway.context import Info, OperationContext
from gateway.errors import BadUserInput
from gateway.execution.resolver_calls import reads_only_context
from gateway.joins import DepartmentKey, opd_key
from gateway.loaders import answer_of, answers, answers_if_asked, observed
from gateway.resolvers import finance as resolve
from gateway.resolvers import organisation as organisation_resolvers
from gateway.resolvers import service_level as service_level_resolvers
from gateway.resolvers.payment_writes import may_take_now
from gateway.schema import enums, organisation, people
from gateway.schema.filtering import (
    DEPARTMENT_CODE,
    DEPARTMENT_CODE_IN,
    department_codes,
    values_of,
)
from gateway.schema.pagination import Connection, connection, count_ahead
from gateway.schema.refs import BudgetLineRef, DepartmentRef, EmployeeRef
from gateway.schema.scalars import Nip
from gateway.schema.service_level import ServiceClock
from gateway.timebound.clock import ClockState


@strawberry.input(
    description="Every field given must hold. A list of values (`...In`) holds when the"
    " value is one of them; an empty list matches nothing. `not` and `anyOf` nest at most"
    " 3 levels deep."
)
class PaymentRequestFilter:
    department_code: str | None = strawberry.field(default=None, description=DEPARTMENT_CODE)
    department_code_in: list[str] | None = strawberry.field(
        default=None, description=DEPARTMENT_CODE_IN
    )
    fiscal_year: int | None = None
    fiscal_year_in: list[int] | None = None
    status: enums.PaymentStatus | None = None
    status_in: list[enums.PaymentStatus] | None = None
    type: enums.PaymentType | None = None
    type_in: list[enums.PaymentType] | None = None
    ls_kind: enums.LsKind | None = strawberry.field(
        default=None, description="LS requests of this kind (others have none)."
    )
    ls_kind_in: list[enums.LsKind] | None = None
    treasurer_nip: Nip | None = strawberry.field(
        default=None, description="The BENDAHARA_PENGELUARAN who made the request."
    )
    budget_line_id: strawberry.ID | None = strawberry.field(
        default=None, description="Requests on this budget line (its `anggaran.id`)."
    )
    account_code_prefix: str | None = strawberry.field(
        default=None,
        description='The budget line\'s account code starts with this, e.g. "5.1.02"'
        " (UP requests have no budget line).",
    )
    requested_from: date | None = strawberry.field(default=None, description="WIB day, inclusive.")
    requested_to: date | None = strawberry.field(default=None, description="WIB day, inclusive.")
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    disbursed_from: date | None = strawberry.field(
        default=None, description="WIB day of the SP2D, inclusive (requests without one fail)."
    )
    disbursed_to: date | None = strawberry.field(
        default=None, description="WIB day of the SP2D, inclusive (requests without one fail)."
    )
    clock_state: ClockState | None = strawberry.field(
        default=None, description="Requests whose service clock is in this state now."
    )
    clock_state_in: list[ClockState] | None = strawberry.field(
        default=None, description="Requests whose service clock is in one of these states now."
    )
    not_: PaymentRequestFilter | None = strawberry.field(
        default=None, name="not", description="None of what this filter matches."
    )
    any_of: list[PaymentRequestFilter] | None = strawberry.field(
        default=None, description="At least one of these filters holds; [] matches nothing."
    )

    def parts(self) -> Iterator[PaymentRequestFilter]:
        """This filter and every filter nested in it."""
        yield self
        for nested in (self.not_, *(self.any_of or ())):
            if nested is not None:
                yield from nested.parts()

    def clock_states(self) -> frozenset[ClockState] | None:
        """The states this filter (not those nested) asks a request's clock to be in."""
        states = values_of(self.clock_state, self.clock_state_in)
        return frozenset(states) if states is not None else None

    def payment_filter(
        self, clock_ids: Mapping[frozenset[ClockState], tuple[int, ...]], top: bool = True
    ) -> PaymentFilter:
        """The connector's filter; `clock_ids` holds the requests in each set of clock
        states. At the top of a list `departmentCode` is the list's scope, not a
        condition."""
        states = self.clock_states()
        return PaymentFilter(
            fiscal_years=values_of(self.fiscal_year, self.fiscal_year_in),
            statuses=values_of(self.status, self.status_in),
            types=values_of(self.type, self.type_in),
            ls_kinds=values_of(self.ls_kind, self.ls_kind_in),
            department_codes=department_codes(
                None if top else self.department_code,
                self.department_code_in,
                "filter.departmentCode",
            ),
            treasurer_nip=self.treasurer_nip,
            budget_line_id=_line_id(self.budget_line_id),
            account_code_prefix=self.account_code_prefix,
            requested_from=self.requested_from,
            requested_to=self.requested_to,
            min_amount=self.min_amount,
            max_amount=self.max_amount,
            disbursed_from=self.disbursed_from,
            disbursed_to=self.disbursed_to,
            ids=clock_ids[states] if states is not None else None,
            none_of=self.not_.payment_filter(clock_ids, top=False) if self.not_ else None,
            any_of=tuple(g.payment_filter(clock_ids, top=False) for g in self.any_of)
            if self.any_of is not None
            else None,
        )


def _line_id(value: strawberry.ID | None) -> int | None:
    """A budget line's id (`gateway.input_check` has checked that it fits anggaran.id)."""
    if value is None:
        return None
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        raise BadUserInput(f"filter.budgetLineId: {text!r} is no budget line id")
    return int(text)


async def payment_filter_of(
    ctx: OperationContext, scope: PaymentScope, f: PaymentRequestFilter
) -> PaymentFilter:
    """The connector's filter for a list of `scope`, every clock condition of the filter
    turned into the ids of the requests in those states (worked out once per operation)."""
    wanted = {states for part in f.parts() if (states := part.clock_states()) is not None}
    clock_ids = await service_level_resolvers.requests_in_states(ctx, years_of(scope, f), wanted)
    return f.payment_filter(clock_ids)


def years_of(scope: PaymentScope, f: PaymentRequestFilter) -> tuple[int, ...] | None:
    """The fiscal years a list can hold requests of (None: any year)."""
    years = values_of(f.fiscal_year, f.fiscal_year_in)
    if scope.fiscal_year is None:
        return years
    return (scope.fiscal_year,) if years is None or scope.fiscal_year in years else ()


@strawberry.type
class PaymentOrder:
    number: str
    issued_at: datetime
    status: enums.PaymentOrderStatus
    authorizer_nip: strawberry.Private[str | None]
    people_ahead: strawberry.Private[people.Found | None] = None
    """Its request's page looked its authorizer up (`PageAhead`)."""

    @strawberry.field(description="The PA who issued the SPM.")
    @reads_only_context
    def authorizer(self, info: Info) -> EmployeeRef | None:
        if self.people_ahead is None:
            return people.employee_or_none(info, self.authorizer_nip)  # type: ignore[return-value]
        return self.people_ahead.employee(self.authorizer_nip)

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
    people_ahead: strawberry.Private[people.Found | None] = None
    """Its request's page looked its authorizer up (`PageAhead`)."""

    @strawberry.field(description="The Kuasa BUD who issued the SP2D.")
    @reads_only_context
    def authorizer(self, info: Info) -> EmployeeRef | None:
        if self.people_ahead is None:
            return people.employee_or_none(info, self.authorizer_nip)  # type: ignore[return-value]
        return self.people_ahead.employee(self.authorizer_nip)

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
    by_found: strawberry.Private[people.Found | None] = None

    @strawberry.field
    def by(self) -> EmployeeRef | None:
        # Looked up with the rest of its history (`PaymentRequest.history`): a plain read
        # here rather than one awaited load per change, thousands in a ledger.
        return self.by_found.employee(self.by_nip) if self.by_found else None

    @classmethod
    def from_record(
        cls, change: StatusChangeRecord, found: people.Found | None = None
    ) -> StatusChange:
        # What `cls(document=..., ...)` makes, every field given, in half the time: a
        # type called with keywords builds a dict of them first, and a page of histories
        # makes tens of thousands of these (tests/test_units.py compares the two).
        made = object.__new__(cls)
        made.__dict__ = {
            "document": change.document,
            "from_": change.from_status,
            "to": change.to_status,
            "at": change.at,
            "note": change.note,
            "by_nip": change.by_nip,
            "by_found": found,
        }
        return made


K = TypeVar("K")
V = TypeVar("V")


class WithPage(NamedTuple):
    """Loads about the requests on a page, asked with the page (`PageAhead`)."""

    histories: Awaitable[dict[int, list[StatusChangeRecord]]] | None
    budget_lines: Awaitable[dict[int, BudgetLineRecord]] | None


class FromPage(Generic[K, V]):
    """The answers for `keys` that one load about a page's requests holds (`WithPage`),
    `missing` where it holds nothing, as `answers` gives them: the error that load failed
    with, for each key, if it failed."""

    __slots__ = ("keys", "missing", "page")

    def __init__(self, page: Awaitable[Mapping[K, V]], keys: Iterable[K], missing: V) -> None:
        self.page, self.keys, self.missing = page, keys, missing

    async def answers(self) -> dict[K, V | BaseException]:
        try:
            found = await self.page
        except Exception as error:  # noqa: BLE001 - kept for each key, as `answers` does
            return dict.fromkeys(self.keys, error)
        return {key: found.get(key, self.missing) for key in self.keys}


async def _answered(
    loads: Mapping[K, Awaitable[V]] | FromPage[K, V] | None,
) -> dict[K, V | BaseException] | None:
    """`answers_if_asked`, for loads asked each or read from a page's (`FromPage`)."""
    if isinstance(loads, FromPage):
        return await loads.answers()
    return await answers_if_asked(loads)


class PageAhead:
    """What a page of payment requests loaded for its requests before their fields asked:
    for each of `department`, `budgetLine`, `history` (with who made each change), the
    `treasurer` and the authorizers of `order` and `disbursement` that the query selects
    below the page's nodes, every request's at once. Those fields then read their answer
    here instead of each awaiting a load of its own (a coroutine and a task each,
    thousands on a large page). The loads are the same ones, asked in one go so they are
    batched as before, and a load that failed fails only the fields that read it, with
    its own error. A request found another way has no `PageAhead`: its fields load for
    themselves (they return the awaitable of that load, which graphql-core and the
    planned engine await as any other)."""

    __slots__ = ("budget_lines", "departments", "found", "histories", "people")

    def __init__(self) -> None:
        self.departments: dict[DepartmentKey, FinanceUnit | None | BaseException] | None = None
        self.budget_lines: dict[int, BudgetLineRecord | None | BaseException] | None = None
        self.histories: dict[int, list[StatusChangeRecord] | BaseException] | None = None
        self.found: people.Found | None = None
        """Who made each change of the histories."""
        self.people: people.Found | None = None
        """The treasurers, and the authorizers of orders and disbursements."""

    @classmethod
    async def load(
        cls,
        info: Info,
        requests: Sequence[PaymentRequest],
        below: tuple[str, ...],
        with_page: WithPage = WithPage(None, None),
    ) -> PageAhead | None:
        """The loads for `requests`, the nodes found at `below` under the field being
        resolved; None when the query selects none of those fields. What `with_page`
        holds, asked with the page the requests are on, is read instead of asking for
        each request's."""

        def selected(*names: str) -> bool:
            return people.selects_below(info, *below, *names)

        ctx = info.context
        departments: dict[DepartmentKey, Awaitable[FinanceUnit | None]] | None = None
        lines: (
            Mapping[int, Awaitable[BudgetLineRecord | None]]
            | FromPage[int, BudgetLineRecord | None]
            | None
        ) = None
        histories: (
            Mapping[int, Awaitable[list[StatusChangeRecord]]]
            | FromPage[int, list[StatusChangeRecord]]
            | None
        ) = None
        if selected("department"):
            keys = dict.fromkeys(opd_key(r.fiscal_year, r.code) for r in requests)
            departments = {k: organisation_resolvers.department_by_key(ctx, k) for k in keys}
        if selected("budgetLine"):
            ids = dict.fromkeys(r.budget_line_id for r in requests if r.budget_line_id is not None)
            if with_page.budget_lines is None:
                lines = {i: organisation_resolvers.budget_line(ctx, i) for i in ids}
            else:
                lines = FromPage(with_page.budget_lines, ids, None)
        if selected("history"):
            if with_page.histories is None:
                histories = {int(r.id): resolve.history(ctx, int(r.id)) for r in requests}
            else:
                histories = FromPage(with_page.histories, [int(r.id) for r in requests], [])
        nips: list[str | None] = []
        if selected("treasurer"):
            nips += [r.treasurer_nip for r in requests]
        if selected("order", "authorizer"):
            nips += [r.order.authorizer_nip for r in requests if r.order]
        if selected("disbursement", "authorizer"):
            nips += [r.disbursement.authorizer_nip for r in requests if r.disbursement]
        persons = people.Found.asked(info, nips)  # a page's treasurers and authorizers
        if departments is None and lines is None and histories is None and not nips:
            return None
        ahead = cls()
        # every load above was asked before the first of them is awaited here; the
        # histories first, so that who made their changes is asked as soon as they come,
        # while the others may still be on their way
        ahead.histories = answered = await _answered(histories)
        who = None
        if answered is not None and selected("history", "by"):
            changes = (c for h in answered.values() if isinstance(h, list) for c in h)
            who = people.Found.asked(info, [c.by_nip for c in changes])
        ahead.departments = await answers_if_asked(departments)
        ahead.budget_lines = await _answered(lines)
        if nips:
            ahead.people = people.Found(await answers(persons))
        if who is not None:
            ahead.found = people.Found(await answers(who))
        return ahead


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
    ahead: strawberry.Private[PageAhead | None] = None
    """What its page loaded for it, when it was found on a page (`PageAhead`)."""

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

    # `department`, `budgetLine` and `history` read what the request's page loaded ahead;
    # without it they return the awaitable of their own load (see `PageAhead`)

    @strawberry.field
    @reads_only_context
    def department(self, info: Info) -> DepartmentRef | None:
        key = opd_key(self.fiscal_year, self.code)
        ahead = self.ahead.departments if self.ahead else None
        if ahead is None:
            return self._department(info, key)  # type: ignore[return-value]
        record = answer_of(ahead, key)
        return organisation.Department.from_record(record) if record else None

    async def _department(self, info: Info, key: DepartmentKey) -> DepartmentRef | None:
        record = await organisation_resolvers.department_by_key(info.context, key)
        return organisation.Department.from_record(record) if record else None

    @strawberry.field
    @reads_only_context
    def budget_line(self, info: Info) -> BudgetLineRef | None:
        if self.budget_line_id is None:
            return None
        ahead = self.ahead.budget_lines if self.ahead else None
        if ahead is None:
            return self._budget_line(info, self.budget_line_id)  # type: ignore[return-value]
        record = answer_of(ahead, self.budget_line_id)
        return organisation.BudgetLine.from_record(record) if record else None

    async def _budget_line(self, info: Info, line_id: int) -> BudgetLineRef | None:
        record = await organisation_resolvers.budget_line(info.context, line_id)
        return organisation.BudgetLine.from_record(record) if record else None

    @strawberry.field(description="The BENDAHARA_PENGELUARAN as an e-kin employee.")
    @reads_only_context
    def treasurer(self, info: Info) -> EmployeeRef | None:
        ahead = self.ahead.people if self.ahead else None
        if ahead is None:
            return people.employee_or_none(info, self.treasurer_nip)  # type: ignore[return-value]
        return ahead.employee(self.treasurer_nip)

    @strawberry.field(description="Which steps the caller may take on this request now.")
    async def viewer_can(self, info: Info) -> FinancePowers:
        subject, order = self.access_subject(), self.order.status if self.order else None

        async def now(step: Step) -> bool:
            return await may_take_now(info.context, step, subject, self.status, order)

        return FinancePowers(
            verify=await now(Step.VERIFY),
            issue_order=await now(Step.ORDER),
            issue_disbursement=await now(Step.DISBURSE),
        )

    @strawberry.field(description="The service clock of the last stage the request reached.")
    async def clock(self, info: Info) -> ServiceClock:
        return ServiceClock.from_record(
            await service_level_resolvers.clock(info.context, int(self.id))
        )

    @strawberry.field
    def history(self, info: Info) -> list[StatusChange]:
        ahead = self.ahead
        if ahead is None or ahead.histories is None:
            return self._history(info)  # type: ignore[return-value]
        records = answer_of(ahead.histories, int(self.id))
        return [StatusChange.from_record(r, ahead.found) for r in records]

    async def _history(self, info: Info) -> list[StatusChange]:
        records = await resolve.history(info.context, int(self.id))
        found = None
        if people.selects_below(info, "by"):
            found = await people.Found.look_up(info, [r.by_nip for r in records])
        return [StatusChange.from_record(r, found) for r in records]


@strawberry.type(
    description="Which steps the caller may take on a request now: true when the caller's"
    " appointment in pejabat for the request's department and fiscal year allows the step"
    " (or the caller is ADMIN) and the request is in the status the step starts from. So at"
    " most one is true, and none once the request is rejected or disbursed."
)
class FinancePowers:
    verify: bool = strawberry.field(
        description="verifyPaymentRequest: as PPK_SKPD of the department, on a SUBMITTED request."
    )
    issue_order: bool = strawberry.field(
        description="issuePaymentOrder: as PA of the department, on a VERIFIED request."
    )
    issue_disbursement: bool = strawberry.field(
        description="issueDisbursement: as KUASA_BUD, on an ORDER_ISSUED request whose SPM is SENT."
    )


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


def payment_orders(order_by: list[PaymentOrderBy] | None) -> tuple[PaymentOrderBy, ...]:
    """The orderings a list is sorted by: those asked for (a key asked for again adds
    nothing), else newest first."""
    return cursors.canonical(order_by or ()) or DEFAULT_ORDER


async def request_connection(
    info: Info,
    scope: PaymentScope,
    f: PaymentRequestFilter,
    order_by: list[PaymentOrderBy] | None,
    first: int | None,
    after: str | None,
) -> Connection[PaymentRequest]:
    ctx = info.context
    payment_filter = await payment_filter_of(ctx, scope, f)
    orders = payment_orders(order_by)
    args = resolve.page_args(payment_filter, orders, first, after)
    below = ("edges", "node")
    # asked with the page rather than after it; seen even if the page fails and nothing
    # reads them
    with_page = WithPage(
        observed(resolve.page_histories(ctx, scope, args))
        if people.selects_below(info, *below, "history")
        else None,
        observed(resolve.page_budget_lines(ctx, scope, args))
        if people.selects_below(info, *below, "budgetLine")
        else None,
    )
    count = count_ahead(
        people.selects_below(info, "totalCount"),
        lambda: resolve.count_payment_requests(ctx, scope, payment_filter),
    )
    page = await resolve.payment_requests(ctx, scope, args)
    requests = {id(r): PaymentRequest.from_record(r) for r in page.items}
    ahead = await PageAhead.load(info, list(requests.values()), below, with_page)
    for request in requests.values():
        request.ahead = ahead
        if ahead is not None and ahead.people is not None:
            if request.order:
                request.order.people_ahead = ahead.people
            if request.disbursement:
                request.disbursement.people_ahead = ahead.people
    return connection(
        page.items,
        page.has_next,
        lambda r: cursors.request_cursor(orders, r),
        lambda r: requests[id(r)],
        count,
    )
