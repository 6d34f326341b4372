"""Employee, Position and Activity."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from connectors.ekin.records import Activity as ActivityRecord
from connectors.ekin.records import Person, PersonFilter, VisibleRows
from connectors.ekin.records import Position as PositionRecord
from gateway import cursors
from gateway.access.policy import EmployeeSubject
from gateway.context import Info
from gateway.resolvers import finance as finance_resolvers
from gateway.resolvers import organisation as organisation_resolvers
from gateway.resolvers import people as resolve
from gateway.resolvers import performance as performance_resolvers
from gateway.schema import enums, finance, organisation, performance
from gateway.schema.refs import (
    AllowanceRef,
    DepartmentRef,
    FinanceRoleRef,
    MonthlyPerformanceRef,
    WorkUnitRef,
)
from gateway.schema.scalars import Nip, Period


@strawberry.input
class EmployeeFilter:
    department_code: str | None = None
    unit_id: int | None = None
    name_contains: str | None = None
    rank: str | None = None
    employment_type: enums.EmploymentType | None = None
    active: bool | None = None

    def person_filter(self, visible: VisibleRows | None) -> PersonFilter:
        """The filter as the connector takes it, with the caller's row rule."""
        name = self.name_contains.strip() if self.name_contains else None
        return PersonFilter(name or None, self.rank, self.employment_type, self.active, visible)

    def scope_excludes(self, department_code: str) -> bool:
        """Inside a department, a filter naming another department matches nobody."""
        return self.department_code is not None and self.department_code != department_code


PERSONAL = "Personal: null, with a FORBIDDEN error, for roles that may not read it."


def cursor_of(person: Person) -> str:
    return cursors.encode("employee", person.nip)


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

    @strawberry.field
    async def position(self, info: Info) -> Position:
        record = await resolve.position(info.context, self.position_id)
        assert record is not None, f"position {self.position_id} of {self.nip} is missing"
        return Position.from_record(record)

    @strawberry.field
    async def unit(self, info: Info) -> WorkUnitRef:
        ctx = info.context
        record = await organisation_resolvers.unit(ctx, self.unit_id)
        assert record is not None, f"unit {self.unit_id} of {self.nip} is missing"
        return organisation.WorkUnit.from_record(record, ctx.fiscal_year)

    @strawberry.field(description="The department of the employee's unit in the current year.")
    async def department(self, info: Info) -> DepartmentRef | None:
        ctx = info.context
        record = await organisation_resolvers.unit_department(ctx, self.unit_id, ctx.fiscal_year)
        return organisation.Department.from_record(record) if record else None

    @strawberry.field(description="The holder of the nearest occupied position above.")
    async def supervisor(self, info: Info) -> Employee | None:
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

    @strawberry.field
    async def allowance(self, info: Info, period: Period) -> AllowanceRef | None:
        record = await performance_resolvers.allowance(info.context, self.nip, period)
        return performance.Allowance.from_record(record) if record else None

    @strawberry.field(description="Appointments in sppspm's pejabat; all years when omitted.")
    async def finance_roles(
        self, info: Info, fiscal_year: int | None = None
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


async def employee_or_none(info: Info, nip: str | None) -> Employee | None:
    """An e-kin employee for an NIP found in another system; None when e-kin has nobody."""
    if nip is None:
        return None
    record = await resolve.person(info.context, nip)
    return Employee.from_record(record) if record else None


__all__ = ["Activity", "Employee", "EmployeeFilter", "Position"]
