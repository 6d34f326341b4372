"""Employee, Position and Activity."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Annotated, TypeVar

import strawberry
from graphql.pyutils import Path
from strawberry.types.nodes import SelectedField, Selection

from connectors.ekin.records import Activity as ActivityRecord
from connectors.ekin.records import ActivityFilter as ActivityCondition
from connectors.ekin.records import (
    ActivityOrderBy,
    EmployeeOrderBy,
    OwnedActivity,
    Person,
    PersonFilter,
    VisibleRows,
    normal_order,
)
from connectors.ekin.records import Position as PositionRecord
from connectors.sppspm.records import Official
from gateway import cursors
from gateway.access.policy import EmployeeSubject, Topic
from gateway.context import Info, OperationContext
from gateway.crosswalk import Crosswalk
from gateway.day_windows import check_window, wib_range
from gateway.errors import BadUserInput
from gateway.execution.resolver_calls import reads_only_context
from gateway.joins import Reconciliation, units_of_department, units_of_departments
from gateway.loaders import answer_of, answers, answers_if_asked
from gateway.resolvers import finance as finance_resolvers
from gateway.resolvers import organisation as organisation_resolvers
from gateway.resolvers import people as resolve
from gateway.resolvers import performance as performance_resolvers
from gateway.schema import enums, finance, organisation, performance
from gateway.schema.filtering import values_of
from gateway.schema.pagination import Connection, connection, count_ahead
from gateway.schema.refs import (
    AllowanceRef,
    DepartmentRef,
    FinanceRoleRef,
    MonthlyPerformanceRef,
    WorkUnitRef,
)
from gateway.schema.scalars import Nip, Period, parse_period

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Departments:
    """Department codes as conditions on e-kin units, through the crosswalk of a year."""

    crosswalk: Crosswalk
    fiscal_year: int

    def scope(self, code: str) -> tuple[int, ...]:
        """The units of the department a list is scoped to: unknown is NOT_FOUND."""
        return tuple(units_of_department(self.crosswalk, self.fiscal_year, code))

    def units(self, codes: Sequence[str], argument: str) -> tuple[int, ...]:
        """The units of any of these departments (a department without units: none)."""
        return units_of_departments(self.crosswalk, self.fiscal_year, codes, argument)


def units_condition(
    departments: Departments,
    scope: tuple[int, ...] | None,
    codes: Sequence[str] | None,
    unit_id: int | None,
    unit_ids: Sequence[int] | None,
) -> tuple[int, ...] | None:
    """The units all the given fields allow (None: no condition): a department scope, any
    of some departments, one unit, any of some units."""
    allowed: set[int] | None = None if scope is None else set(scope)
    for units in (
        None if codes is None else departments.units(codes, "departmentCodeIn"),
        None if unit_id is None else (unit_id,),
        unit_ids,
    ):
        if units is not None:
            allowed = set(units) if allowed is None else allowed & set(units)
    return None if allowed is None else tuple(sorted(allowed))


ALL_HOLD = (
    "Every field given holds. A field `xIn` holds for any of its values (an empty list"
    " matches nothing); `not` matches everything its filter does not match; `anyOf`"
    " matches what one of its filters matches (an empty list matches nothing). `not` and"
    " `anyOf` nest at most 3 deep."
)


@strawberry.input(description=f"Narrows an employee list. {ALL_HOLD}")
class EmployeeFilter:
    department_code: str | None = strawberry.field(
        default=None,
        description="Staff of the department's e-kin units in the current fiscal year. At"
        " the top of `employees(filter:)` it is also the list's scope: a department system"
        " may name only its own, and an unknown department is NOT_FOUND.",
    )
    department_code_in: list[str] | None = strawberry.field(
        default=None, description="Staff of any of these departments."
    )
    unit_id: int | None = strawberry.field(default=None, description="An e-kin unit (skpd.id).")
    unit_id_in: list[int] | None = None
    name_contains: str | None = strawberry.field(
        default=None, description="Part of the name without titles, in any case."
    )
    rank: str | None = strawberry.field(default=None, description="A golongan: III/a, IX.")
    rank_in: list[str] | None = None
    employment_type: enums.EmploymentType | None = None
    employment_type_in: list[enums.EmploymentType] | None = None
    active: bool | None = None
    not_: EmployeeFilter | None = strawberry.field(
        name="not",
        default=None,
        description="None of what this filter matches (an employee without a rank is not"
        " matched by `rank`, so `not: {rank: ...}` keeps them).",
    )
    any_of: list[EmployeeFilter] | None = strawberry.field(
        default=None, description="At least one of these filters."
    )

    def person_filter(
        self, departments: Departments, visible: VisibleRows | None, scope: str | None = None
    ) -> PersonFilter:
        """The filter as the connector takes it, with the caller's row rule. `scope`: the
        department the list is scoped to, in place of this filter's departmentCode."""
        units = departments.scope(scope) if scope is not None else None
        return replace(self._condition(departments, units), visible=visible)

    def _condition(self, departments: Departments, scope: tuple[int, ...] | None) -> PersonFilter:
        if self.department_code is not None:
            plain = departments.units([self.department_code], "departmentCode")
            scope = plain if scope is None else tuple(u for u in scope if u in plain)
        name = self.name_contains.strip() if self.name_contains else None
        return PersonFilter(
            name_contains=name or None,
            rank=self.rank,
            employment_type=self.employment_type,
            active=self.active,
            unit_ids=units_condition(
                departments, scope, self.department_code_in, self.unit_id, self.unit_id_in
            ),
            rank_in=_tuple(self.rank_in),
            employment_type_in=_tuple(self.employment_type_in),
            none_of=self.not_._condition(departments, None) if self.not_ else None,
            any_of=None
            if self.any_of is None
            else tuple(f._condition(departments, None) for f in self.any_of),
        )

    def scope_excludes(self, department_code: str) -> bool:
        """Inside a department, a filter naming another department matches nobody."""
        return self.department_code is not None and self.department_code != department_code


def _tuple(values: Sequence[T] | None) -> tuple[T, ...] | None:
    return None if values is None else tuple(values)


def employee_order(order_by: Sequence[EmployeeOrderBy] | None) -> tuple[EmployeeOrderBy, ...]:
    """An ordering of employees as it sorts (default: by NIP)."""
    return normal_order(order_by, EmployeeOrderBy.NIP_ASC, "NIP")


EMPLOYEE_ORDER_BY = (
    "Applied in order, then by NIP in the direction of the last; default [NIP_ASC]. A"
    " cursor belongs to the ordering it was given out in."
)
ACTIVITY_ORDER_BY = (
    "Applied in order, then by id in the direction of the last; default [STARTS_AT_ASC]."
    " A cursor belongs to the ordering it was given out in."
)


def city_employee_filter(ctx: OperationContext, f: EmployeeFilter) -> PersonFilter:
    """The filter of `employees(filter:)`: its departmentCode (a department system's own
    when it names none) is the list's scope, each departmentCodeIn is held to the caller's
    departments as well, and the caller's row rule applies."""
    code = ctx.access.departments_scope(
        Topic.PEOPLE, f.department_code, f.department_code_in, "filter.departmentCode"
    )
    departments = Departments(ctx.crosswalk, ctx.fiscal_year)
    return f.person_filter(departments, ctx.access.people_rows(), scope=code)


async def employee_connection(
    info: Info,
    scope: tuple[int, ...] | None,
    person_filter: PersonFilter,
    order_by: Sequence[EmployeeOrderBy] | None,
    first: int | None,
    after: str | None,
) -> Connection[Employee]:
    """A page of employees of some units (None: the city), with its cursors and count."""
    ctx = info.context
    order = employee_order(order_by)
    size, position = resolve.page_args(order, first, after)
    count = count_ahead(
        selects_below(info, "totalCount"),
        lambda: resolve.count_employees(ctx, scope, person_filter),
    )
    page = await resolve.employees(ctx, scope, person_filter, order, size, position)
    employees = {id(placed): Employee.from_record(placed.item) for placed in page.items}
    ahead = await EmployeesAhead.load(info, list(employees.values()), ("edges", "node"))
    for employee in employees.values():
        employee.ahead = ahead
    return connection(
        page.items,
        page.has_next,
        lambda placed: cursors.employee_cursor(order, placed.position),
        lambda placed: employees[id(placed)],
        count,
    )


class EmployeesAhead:
    """What a page of employees loaded for its employees before their fields asked: the
    `position`, `supervisor`, `financeRoles` and `allowance` of each, when the query
    selects them below the page's nodes, every employee's at once (as `finance.PageAhead`
    does for payment requests). The fields read their answers instead of each awaiting a
    load in a task of its own; an employee found another way has no `EmployeesAhead` and
    its fields load for themselves. A field with arguments is loaded ahead when every
    selection of it asks for the same ones, and read only by a field asked for those."""

    __slots__ = ("allowances", "finance_roles", "positions", "supervisors")

    def __init__(self) -> None:
        self.positions: dict[int, PositionRecord | None | BaseException] | None = None
        self.supervisors: dict[int, Person | None | BaseException] | None = None
        self.finance_roles: tuple[int | None, dict[str, list[Official] | BaseException]] | None
        self.finance_roles = None
        """The fiscal year asked for (None: all years), and each employee's roles in it."""
        self.allowances: tuple[str, dict[str, Reconciliation | None | BaseException]] | None
        self.allowances = None
        """The period asked for, and the allowance of each employee whose allowance the
        caller may read (the others' fields are refused by their guard, as before)."""

    @classmethod
    async def load(
        cls, info: Info, employees: Sequence[Employee], below: tuple[str, ...]
    ) -> EmployeesAhead | None:
        ctx = info.context
        ids = dict.fromkeys(e.position_id for e in employees)
        positions = supervisors = None
        if selects_below(info, *below, "position"):
            positions = {i: resolve.position(ctx, i) for i in ids}
        if selects_below(info, *below, "supervisor"):
            supervisors = {i: resolve.supervisor(ctx, i) for i in ids}
        roles = _finance_roles_ahead(info, employees, below)
        allowances = _allowances_ahead(info, employees, below)
        if positions is None and supervisors is None and roles is None and allowances is None:
            return None
        ahead = cls()
        # every load above was asked before the first of them is awaited here
        ahead.positions = await answers_if_asked(positions)
        ahead.supervisors = await answers_if_asked(supervisors)
        if roles is not None:
            year, loading = roles
            ahead.finance_roles = (year, await answers(loading))
        if allowances is not None:
            answered = await performance_resolvers.reconciled(allowances)
            ahead.allowances = (allowances.period, answered)
        return ahead


def _finance_roles_ahead(
    info: Info, employees: Sequence[Employee], below: tuple[str, ...]
) -> tuple[int | None, dict[str, Awaitable[list[Official]]]] | None:
    """The fiscal year and each employee's load of `financeRoles`, asked now, when every
    selection of it below the page asks for the same year (or none)."""
    years = {a.get("fiscalYear") for a in arguments_below(info, *below, "financeRoles")}
    if len(years) != 1:
        return None
    year = years.pop()
    if year is not None and type(year) is not int:
        return None
    nips = dict.fromkeys(e.nip for e in employees)
    return year, {n: finance_resolvers.finance_roles(info.context, n, year) for n in nips}


def _allowances_ahead(
    info: Info, employees: Sequence[Employee], below: tuple[str, ...]
) -> performance_resolvers.AllowancesAsked | None:
    """The loads of `allowance` of each employee whose allowance the caller may read,
    asked now, when every selection of it below the page asks for the same period, one
    the `Period` scalar accepts (else each field says what is wrong)."""
    periods = {a.get("period") for a in arguments_below(info, *below, "allowance")}
    if len(periods) != 1:
        return None
    period = periods.pop()
    if not isinstance(period, str) or not _is_period(period):
        return None
    access = info.context.access
    readable = dict.fromkeys(
        e.nip for e in employees if access.permits(Topic.PERFORMANCE, e.access_subject())
    )
    return performance_resolvers.allowances_ahead(info.context, readable, period)


PERSONAL = "Personal: null, with a FORBIDDEN error, for roles that may not read it."


@strawberry.type(description="A civil servant as e-kin knows them.")
class Employee:
    nip: Nip
    name: str = strawberry.field(description='With titles: "Dr. Budi Santoso, S.Kom., M.T."')
    gender: enums.Gender | None = strawberry.field(description=PERSONAL)
    birth_date: date | None = strawberry.field(description=PERSONAL)
    employment_type: enums.EmploymentType
    rank: str | None
    active: bool
    unit_id: strawberry.Private[int]
    position_id: strawberry.Private[int]
    ahead: strawberry.Private[EmployeesAhead | None] = None
    """What its page loaded for it, when it was found on a page (`EmployeesAhead`)."""

    def access_subject(self) -> EmployeeSubject:
        return EmployeeSubject(self.nip, self.unit_id, self.position_id)

    @classmethod
    def from_record(cls, person: Person) -> Employee:
        return cls(
            nip=Nip(person.nip),
            name=person.name,
            gender=person.gender,
            birth_date=person.birth_date,
            employment_type=person.employment_type,
            rank=person.rank,
            active=person.active,
            unit_id=person.unit_id,
            position_id=person.position_id,
        )

    # `position` and `supervisor` read what the employee's page loaded ahead; without it
    # they return the awaitable of their own load (see `EmployeesAhead`)

    @strawberry.field
    @reads_only_context
    def position(self, info: Info) -> Position:
        ahead = self.ahead.positions if self.ahead else None
        if ahead is None:
            return self._position(info)  # type: ignore[return-value]
        return self._position_of(answer_of(ahead, self.position_id))

    async def _position(self, info: Info) -> Position:
        return self._position_of(await resolve.position(info.context, self.position_id))

    def _position_of(self, record: PositionRecord | None) -> Position:
        assert record is not None, f"position {self.position_id} of {self.nip} is missing"
        return Position.from_record(record)

    @strawberry.field
    @reads_only_context
    async def unit(self, info: Info) -> WorkUnitRef:
        ctx = info.context
        record = await organisation_resolvers.unit(ctx, self.unit_id)
        assert record is not None, f"unit {self.unit_id} of {self.nip} is missing"
        return organisation.WorkUnit.from_record(record, ctx.fiscal_year)

    @strawberry.field(description="The department of the employee's unit in the current year.")
    @reads_only_context
    async def department(self, info: Info) -> DepartmentRef | None:
        ctx = info.context
        record = await organisation_resolvers.unit_department(ctx, self.unit_id, ctx.fiscal_year)
        return organisation.Department.from_record(record) if record else None

    @strawberry.field(description="The holder of the nearest occupied position above.")
    @reads_only_context
    def supervisor(self, info: Info) -> Employee | None:
        ahead = self.ahead.supervisors if self.ahead else None
        if ahead is None:
            return self._supervisor(info)  # type: ignore[return-value]
        record = answer_of(ahead, self.position_id)
        return Employee.from_record(record) if record else None

    async def _supervisor(self, info: Info) -> Employee | None:
        record = await resolve.supervisor(info.context, self.position_id)
        return Employee.from_record(record) if record else None

    @strawberry.field(description="Holders of the positions directly below this one.")
    async def subordinates(self, info: Info) -> list[Employee]:
        records = await resolve.subordinates(info.context, self.position_id)
        return [Employee.from_record(r) for r in records]

    @strawberry.field(description="Activities that start on the days from..to (WIB).")
    async def activities(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        status: enums.ActivityStatus | None = None,
    ) -> list[Activity] | None:
        records = await resolve.activities(info.context, self.nip, from_, to, status)
        return [Activity.from_record(r, self.access_subject()) for r in records]

    @strawberry.field
    async def performance(self, info: Info, period: Period) -> MonthlyPerformanceRef | None:
        record = await performance_resolvers.monthly_score(info.context, self.nip, period)
        return performance.MonthlyPerformance.from_record(record) if record else None

    # like `financeRoles`: what the page loaded ahead for the same period, else its own
    @strawberry.field
    @reads_only_context
    def allowance(self, info: Info, period: Period) -> AllowanceRef | None:
        ahead = self.ahead.allowances if self.ahead else None
        if ahead is None or ahead[0] != period or self.nip not in ahead[1]:
            return self._allowance(info, period)  # type: ignore[return-value]
        record = answer_of(ahead[1], self.nip)
        return performance.Allowance.from_record(record) if record else None

    async def _allowance(self, info: Info, period: Period) -> AllowanceRef | None:
        record = await performance_resolvers.allowance(info.context, self.nip, period)
        return performance.Allowance.from_record(record) if record else None

    # like `position`: what the page loaded ahead for the same fiscal year, else its own
    @strawberry.field(description="Appointments in sppspm's pejabat; all years when omitted.")
    @reads_only_context
    def finance_roles(
        self, info: Info, fiscal_year: int | None = None
    ) -> list[FinanceRoleRef] | None:
        ahead = self.ahead.finance_roles if self.ahead else None
        if ahead is None or ahead[0] != fiscal_year:
            return self._finance_roles(info, fiscal_year)  # type: ignore[return-value]
        return [finance.FinanceRole.from_record(r) for r in answer_of(ahead[1], self.nip)]

    async def _finance_roles(
        self, info: Info, fiscal_year: int | None
    ) -> list[FinanceRoleRef] | None:
        records = await finance_resolvers.finance_roles(info.context, self.nip, fiscal_year)
        return [finance.FinanceRole.from_record(r) for r in records]


@strawberry.type
class Position:
    name: str
    kind: enums.PositionKind
    grade: int = strawberry.field(description="Kelas jabatan, 1-17.")

    @classmethod
    def from_record(cls, position: PositionRecord) -> Position:
        return cls(name=position.name, kind=position.kind, grade=position.grade)


@strawberry.type(description="A daily activity logged in e-kin.")
class Activity:
    id: strawberry.ID
    kind: enums.ActivityKind
    starts_at: datetime
    ends_at: datetime
    description: str | None = strawberry.field(description=PERSONAL)
    output: str | None = strawberry.field(description=PERSONAL)
    volume: int | None
    minutes: int
    status: enums.ActivityStatus
    review_note: str | None = strawberry.field(description=PERSONAL)
    reviewed_at: datetime | None
    nip: strawberry.Private[str]
    reviewer_nip: strawberry.Private[str | None]
    owner: strawberry.Private[EmployeeSubject]

    def access_subject(self) -> EmployeeSubject:
        """An activity is seen with its owner's record."""
        return self.owner

    @classmethod
    def from_record(cls, activity: ActivityRecord, owner: EmployeeSubject) -> Activity:
        return cls(
            id=strawberry.ID(str(activity.id)),
            kind=activity.kind,
            starts_at=activity.starts_at,
            ends_at=activity.ends_at,
            description=activity.description,
            output=activity.output,
            volume=activity.volume,
            minutes=activity.minutes,
            status=activity.status,
            review_note=activity.review_note,
            reviewed_at=activity.reviewed_at,
            nip=activity.nip,
            reviewer_nip=activity.reviewed_by,
            owner=owner,
        )

    @strawberry.field
    async def employee(self, info: Info) -> Employee | None:
        record = await resolve.person(info.context, self.nip)
        return Employee.from_record(record) if record else None

    @strawberry.field
    async def reviewed_by(self, info: Info) -> Employee | None:
        if self.reviewer_nip is None:
            return None
        record = await resolve.person(info.context, self.reviewer_nip)
        return Employee.from_record(record) if record else None

    @classmethod
    def owned(cls, owned: OwnedActivity) -> Activity:
        """An activity of a list, seen with its owner's record as the list read it."""
        activity = owned.activity
        owner = EmployeeSubject(activity.nip, owned.owner_unit_id, owned.owner_position_id)
        return cls.from_record(activity, owner)


@strawberry.input(
    description="Narrows an activity list to the activities that start on the WIB days"
    f" from..to (at most 366 days). {ALL_HOLD}"
    " A filter inside `not` or `anyOf` carries its own from..to: one more condition, that"
    " the activity starts within that window too."
)
class ActivityFilter:
    from_: date = strawberry.field(name="from", description="The first WIB day.")
    to: date = strawberry.field(description="The last WIB day, included.")
    department_code: str | None = strawberry.field(
        default=None,
        description="Activities of the staff of the department's e-kin units in the current"
        " fiscal year. At the top of `activities(filter:)` a department system may name"
        " only its own, and an unknown department is NOT_FOUND.",
    )
    department_code_in: list[str] | None = None
    unit_id: int | None = strawberry.field(
        default=None, description="Activities of the staff of an e-kin unit (skpd.id)."
    )
    unit_id_in: list[int] | None = None
    nip: Nip | None = strawberry.field(default=None, description="Activities of one employee.")
    nip_in: list[Nip] | None = None
    status_in: list[enums.ActivityStatus] | None = None
    kind_in: list[enums.ActivityKind] | None = None
    not_: ActivityFilter | None = strawberry.field(
        name="not", default=None, description="None of what this filter matches."
    )
    any_of: list[ActivityFilter] | None = strawberry.field(
        default=None, description="At least one of these filters."
    )

    def condition(self, departments: Departments, scope: str | None) -> ActivityCondition:
        """The filter as the connector takes it. `scope`: the department the list is
        scoped to, in place of this filter's departmentCode (None: as a plain condition)."""
        check_window(self.from_, self.to)
        starts_from, starts_before = wib_range(self.from_, self.to)
        if scope is not None:
            units: tuple[int, ...] | None = departments.scope(scope)
        elif self.department_code is not None:
            units = departments.units([self.department_code], "departmentCode")
        else:
            units = None
        owners = values_of(self.nip, self.nip_in)
        return ActivityCondition(
            starts_from=starts_from,
            starts_before=starts_before,
            unit_ids=units_condition(
                departments, units, self.department_code_in, self.unit_id, self.unit_id_in
            ),
            nips=owners,
            statuses=_tuple(self.status_in),
            kinds=_tuple(self.kind_in),
            none_of=self.not_.condition(departments, None) if self.not_ else None,
            any_of=None
            if self.any_of is None
            else tuple(f.condition(departments, None) for f in self.any_of),
        )


def activity_order(order_by: Sequence[ActivityOrderBy] | None) -> tuple[ActivityOrderBy, ...]:
    """An ordering of activities as it sorts (default: by start, earliest first)."""
    return normal_order(order_by, ActivityOrderBy.STARTS_AT_ASC)


def city_activity_condition(ctx: OperationContext, f: ActivityFilter) -> ActivityCondition:
    """The condition of `activities(filter:)`: its departmentCode (a department system's
    own when it names none) is the list's scope, each departmentCodeIn is held to the
    caller's departments as well, and the caller's row rule on the owners applies."""
    code = ctx.access.departments_scope(
        Topic.ACTIVITIES, f.department_code, f.department_code_in, "filter.departmentCode"
    )
    departments = Departments(ctx.crosswalk, ctx.fiscal_year)
    return replace(f.condition(departments, code), visible=ctx.access.people_rows(Topic.ACTIVITIES))


async def activity_connection(
    info: Info,
    f: ActivityFilter,
    order_by: Sequence[ActivityOrderBy] | None,
    first: int | None,
    after: str | None,
) -> Connection[Activity]:
    """The activities a filter matches that the caller may see (in SQL: a department
    system those of its units, STAFF their own and those below them)."""
    ctx = info.context
    condition = city_activity_condition(ctx, f)
    order = activity_order(order_by)
    page = await resolve.activity_page(ctx, condition, order, first, after)
    return connection(
        page.items,
        page.has_next,
        lambda placed: cursors.activity_cursor(order, placed.position),
        lambda placed: Activity.owned(placed.item),
        lambda: resolve.count_activities(ctx, condition),
    )


class Found:
    """e-kin's people for some NIPs found in another system, looked up together (one
    load each, batched with every other lookup of the level): what a list of records
    that each name a person needs, so that the person field reads instead of awaiting.
    A lookup that failed fails the field that reads it, as its own load would have."""

    __slots__ = ("_employees", "_people")

    def __init__(self, people: dict[str, Person | None | BaseException]) -> None:
        self._people = people
        self._employees: dict[str, Employee] = {}
        """Each person made an employee once: a request's history names few people."""

    @classmethod
    async def look_up(cls, info: Info, nips: Iterable[str | None]) -> Found:
        return cls(await answers(cls.asked(info, nips)))

    @staticmethod
    def asked(info: Info, nips: Iterable[str | None]) -> dict[str, Awaitable[Person | None]]:
        """The loads of these people, asked now (they join the level's batch), by NIP:
        `Found(await answers(...))` once the caller is ready to wait."""
        load = info.context.loaders.person.load
        # each person asked once: a page's thousands of status changes name far fewer
        return {nip: load(nip) for nip in dict.fromkeys(nips) if nip is not None}

    def employee(self, nip: str | None) -> Employee | None:
        """The employee of `nip`, None when there is none or e-kin has nobody."""
        if nip is None:
            return None
        made = self._employees.get(nip)
        if made is not None:
            return made
        person = self._people[nip]
        if isinstance(person, BaseException):
            raise person
        if not person:
            return None
        made = self._employees[nip] = Employee.from_record(person)
        return made


def selects_below(info: Info, *names: str) -> bool:
    """Whether the field being resolved selects a field called `names[0]` on its type, and
    that one a field called `names[1]`, and so on: through fragments, leaving out what
    `@skip`/`@include` leave out. Worked out once per operation and field path (a list's
    items share it)."""
    path: Path | None = info.path
    keys: list[str | int] = [len(names), *names]
    while path is not None:
        if isinstance(path.key, str):
            keys.append(path.key)
        path = path.prev
    known = info.context.selects
    key = tuple(keys)
    found = known.get(key)
    if found is None:
        found = known[key] = any(_selects(node.selections, names) for node in info.selected_fields)
    return found


def _is_period(value: str) -> bool:
    """Whether `value` is a period the `Period` scalar accepts."""
    try:
        parse_period(value)
    except BadUserInput:
        return False
    return True


def arguments_below(info: Info, *names: str) -> list[dict[str, object]]:
    """The arguments, as written (variables given their values), of each selection of the
    field at `names` below the field being resolved (see `selects_below`)."""
    found: list[dict[str, object]] = []
    for node in info.selected_fields:
        _arguments(node.selections, names, found)
    return found


def _arguments(
    selections: Iterable[Selection], names: tuple[str, ...], found: list[dict[str, object]]
) -> None:
    for selection in selections:
        if not _included(selection):
            continue
        if not isinstance(selection, SelectedField):
            _arguments(selection.selections, names, found)
        elif selection.name == names[0]:
            if len(names) == 1:
                found.append(selection.arguments)
            else:
                _arguments(selection.selections, names[1:], found)


def _included(selection: Selection) -> bool:
    """Whether `@skip`/`@include` keep `selection` (their arguments already resolved)."""
    directives = selection.directives
    skipped = directives.get("skip", {}).get("if")
    return not skipped and bool(directives.get("include", {}).get("if", True))


def _selects(selections: Iterable[Selection], names: tuple[str, ...]) -> bool:
    for selection in selections:
        if not _included(selection):
            continue
        if isinstance(selection, SelectedField):
            if selection.name == names[0] and (
                len(names) == 1 or _selects(selection.selections, names[1:])
            ):
                return True
        elif _selects(selection.selections, names):
            return True
    return False


async def employee_or_none(info: Info, nip: str | None) -> Employee | None:
    """An e-kin employee for an NIP found in another system; None when e-kin has nobody."""
    if nip is None:
        return None
    record = await resolve.person(info.context, nip)
    return Employee.from_record(record) if record else None


__all__ = ["Activity", "ActivityFilter", "Employee", "EmployeeFilter", "Position"]
