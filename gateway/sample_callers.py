"""Sample callers of every role, picked from the data: the demo prints a token for each."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.domain import FinanceRoleKind
from connectors.ekin.records import PersonFilter
from gateway.access.caller import Role
from gateway.context import Services
from gateway.crosswalk import department_code_of


@dataclass(frozen=True, slots=True)
class SampleCaller:
    role: Role
    sub: str
    dept: str | None
    who: str


async def sample_callers(services: Services, fiscal_year: int) -> list[SampleCaller]:
    """One caller per role around one department: its PPK-SKPD (FINANCE), its system
    (DEPT_SYSTEM) and the staff member there with the most people below (STAFF)."""
    officials = await services.sppspm.officials_of_year(fiscal_year)
    verifiers = [o for o in officials if o.role is FinanceRoleKind.VERIFIER]
    known = await services.ekin.known_nips([o.nip for o in verifiers])
    verifier = next(
        o
        for o in verifiers
        if o.nip in known and services.crosswalk.units_of(fiscal_year, department_code_of(o.code))
    )
    dept = department_code_of(verifier.code)
    units = services.crosswalk.units_of(fiscal_year, dept)
    pages = await services.ekin.people_pages({dept: units}, PersonFilter(active=True), None, 500)
    people = pages[dept].items
    below = await services.ekin.subordinates([p.position_id for p in people])
    head = max(people, key=lambda p: (len(below.get(p.position_id, [])), p.nip))
    return [
        SampleCaller(Role.STAFF, head.nip, None, f"{head.name}, with staff below"),
        SampleCaller(Role.DEPT_SYSTEM, "demo-dept-system", dept, f"the system of {dept}"),
        SampleCaller(Role.FINANCE, verifier.nip, None, f"{verifier.name}, PPK-SKPD of {dept}"),
        SampleCaller(Role.ANALYST, "demo-analyst", None, "a city analyst"),
        SampleCaller(Role.ADMIN, "demo-admin", None, "an operator"),
    ]
