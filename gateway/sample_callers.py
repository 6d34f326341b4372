"""Sample callers of every role, and records to try writes with, picked from the data: the
demo prints them, and the docs' examples use the demo's (tests/test_doc_examples.py)."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.domain import (
    BudgetLineOrderBy,
    FinanceRoleKind,
)
from connectors.ekin.records import Person, PersonFilter
from connectors.sppspm.records import BudgetLineFilter, Official, PaymentScope
from gateway.access.caller import Role
from gateway.context import Services
from gateway.crosswalk import department_code_of


@dataclass(frozen=True, slots=True)
class SampleCaller:
    role: Role
    sub: str
    dept: str | None
    who: str


@dataclass(frozen=True, slots=True)
class Samples:
    """A department of the data, who works there and acts for it, and a budget line of
    it to write against."""

    department: str
    head: Person  # the staff member with the most people below (STAFF)
    report: Person  # someone directly below the head
    verifier: Official  # PPK_SKPD of the department
    budget_user: Official  # PA of the department
    treasury: Official  # a KUASA_BUD of the year
    budget_line_id: int  # the department's line with the most money remaining

    def callers(self) -> list[SampleCaller]:
        dept = self.department
        return [
            SampleCaller(Role.STAFF, self.head.nip, None, f"{self.head.name}, with staff below"),
            SampleCaller(Role.DEPT_SYSTEM, "demo-dept-system", dept, f"the system of {dept}"),
            SampleCaller(
                Role.FINANCE, self.verifier.nip, None, f"{self.verifier.name}, PPK-SKPD of {dept}"
            ),
            SampleCaller(Role.ANALYST, "demo-analyst", None, "a city analyst"),
            SampleCaller(Role.ADMIN, "demo-admin", None, "an operator"),
        ]


async def sample_callers(services: Services, fiscal_year: int) -> list[SampleCaller]:
    """One caller per role around one department: its PPK-SKPD (FINANCE), its system
    (DEPT_SYSTEM) and the staff member there with the most people below (STAFF)."""
    return (await samples(services, fiscal_year)).callers()


async def samples(services: Services, fiscal_year: int) -> Samples:
    """The department whose PPK-SKPD e-kin knows and whose units the crosswalk maps, first
    by code, with its people, its officials and the budget line to submit against. (The
    docs' examples then write a new activity and a new request and take them through
    their steps.)"""
    officials = await services.sppspm.officials_of_year(fiscal_year)
    known = await services.ekin.known_nips([o.nip for o in officials])
    known_officials = [o for o in officials if o.nip in known]

    def appointed(role: FinanceRoleKind, department: str | None) -> Official:
        return next(
            o
            for o in known_officials
            if o.role is role and (department is None or department_code_of(o.code) == department)
        )

    verifier = next(
        o
        for o in known_officials
        if o.role is FinanceRoleKind.VERIFIER
        and services.crosswalk.units_of(fiscal_year, department_code_of(o.code))
    )
    dept = department_code_of(verifier.code)
    units = services.crosswalk.units_of(fiscal_year, dept)
    pages = await services.ekin.people_pages({dept: units}, PersonFilter(active=True), None, 500)
    people = pages[dept].items
    below = await services.ekin.subordinates([p.position_id for p in people])
    head = max(people, key=lambda p: (len(below.get(p.position_id, [])), p.nip))
    reports = below[head.position_id]
    scope = {0: PaymentScope(dept, fiscal_year)}
    lines = await services.sppspm.budget_line_pages(
        scope, BudgetLineFilter(), [BudgetLineOrderBy.REMAINING_DESC], None, 1
    )
    return Samples(
        department=dept,
        head=head,
        report=reports[0],
        verifier=verifier,
        budget_user=appointed(FinanceRoleKind.BUDGET_USER, dept),
        treasury=appointed(FinanceRoleKind.TREASURY, None),
        budget_line_id=lines[0].items[0].id,
    )
