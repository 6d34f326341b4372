"""The access policy: what each role may read, and which rows and objects it may see.

The contract's "Who may do what" table, written once. Every field of the schema belongs
to a topic (see `gateway.access.rules`); a role reads a topic within its scope:

| role        | topics                                              | scope                     |
|-------------|-----------------------------------------------------|---------------------------|
| STAFF       | directory, people, personal, activities, activity   | own record and everyone   |
|             | text, performance                                   | below in the position     |
|             |                                                     | chain; all departments    |
| DEPT_SYSTEM | all but data quality                                | its own department        |
| FINANCE     | directory, people, performance, payments, data      | everything                |
|             | quality                                             |                           |
| ANALYST     | all but personal and activity text                  | everything                |
| ADMIN       | all                                                 | everything                |

Anonymous callers read health only. A caller with several roles gets the union: a
field is readable when one of its roles reads the topic and sees the object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from connectors.domain import FinanceRoleKind
from connectors.ekin.records import VisibleRows
from connectors.sppspm.records import Official
from gateway.access.caller import Caller, Role
from gateway.crosswalk import Crosswalk, department_code_of
from gateway.errors import Forbidden, Unauthenticated


class Topic(StrEnum):
    HEALTH = "health"
    DIRECTORY = "directory"  # departments, units, budgets
    PEOPLE = "people"  # who works where: name, position, unit, appointments
    PERSONAL = "personal"  # birth date, gender
    ACTIVITIES = "activities"  # daily activities: times, kinds, minutes, review state
    ACTIVITY_TEXT = "activity text"  # what people wrote about their day
    PERFORMANCE = "performance"  # one person's monthly score and allowance
    PAYMENTS = "payments"  # payment requests, orders, disbursements, reconciliations
    AGGREGATES = "aggregates"  # department performance, service levels
    DATA_QUALITY = "data quality"  # what could not be joined


PERSONAL_TOPICS = frozenset({Topic.PERSONAL, Topic.ACTIVITY_TEXT})
"""Reads of these topics are written to the audit log."""

_ALL = frozenset(Topic)
ROLE_TOPICS: dict[Role, frozenset[Topic]] = {
    Role.STAFF: frozenset(
        {
            Topic.HEALTH,
            Topic.DIRECTORY,
            Topic.PEOPLE,
            Topic.PERSONAL,
            Topic.ACTIVITIES,
            Topic.ACTIVITY_TEXT,
            Topic.PERFORMANCE,
        }
    ),
    Role.DEPT_SYSTEM: _ALL - {Topic.DATA_QUALITY},
    Role.FINANCE: frozenset(
        {
            Topic.HEALTH,
            Topic.DIRECTORY,
            Topic.PEOPLE,
            Topic.PERFORMANCE,
            Topic.PAYMENTS,
            Topic.DATA_QUALITY,
        }
    ),
    Role.ANALYST: _ALL - PERSONAL_TOPICS,
    Role.ADMIN: _ALL,
}
ANONYMOUS_TOPICS = frozenset({Topic.HEALTH})

_CITY_WIDE = frozenset({Role.ADMIN, Role.ANALYST, Role.FINANCE})
"""Roles whose scope is the whole city. Each reads people, directory and payments, so a
caller with one of them sees every employee, department and payment request."""
_EVERY_DEPARTMENTS: dict[Role, frozenset[Topic]] = {
    Role.STAFF: frozenset({Topic.DIRECTORY})  # departments' names and budgets
}
"""Topics a role that is not city-wide reads of every department (in `_staff_sees` too)."""


@dataclass(frozen=True, slots=True)
class EmployeeSubject:
    nip: str
    unit_id: int
    position_id: int


@dataclass(frozen=True, slots=True)
class DepartmentSubject:
    code: str  # OPD-level or sub-unit finance code
    fiscal_year: int


@dataclass(frozen=True, slots=True)
class PaymentSubject:
    code: str  # the request's (possibly sub-unit) finance code
    fiscal_year: int


Subject = EmployeeSubject | DepartmentSubject | PaymentSubject

SUBJECT_TOPIC: dict[type, Topic] = {
    EmployeeSubject: Topic.PEOPLE,
    DepartmentSubject: Topic.DIRECTORY,
    PaymentSubject: Topic.PAYMENTS,
}


class FinanceAction(StrEnum):
    """The steps only appointed officials take, and the appointment each needs."""

    VERIFY = "verify"
    ISSUE_ORDER = "issueOrder"
    ISSUE_DISBURSEMENT = "issueDisbursement"


APPOINTMENT_FOR: dict[FinanceAction, FinanceRoleKind] = {
    FinanceAction.VERIFY: FinanceRoleKind.VERIFIER,  # PPK_SKPD of the department
    FinanceAction.ISSUE_ORDER: FinanceRoleKind.BUDGET_USER,  # PA of the department
    FinanceAction.ISSUE_DISBURSEMENT: FinanceRoleKind.TREASURY,  # KUASA_BUD, city-wide
}


PositionsBelowFetch = Callable[[str], Awaitable[frozenset[int]]]
AppointmentsFetch = Callable[[str], Awaitable[list[Official]]]


class Access:
    """The policy applied to one operation's caller, ready when built: `Access.of` reads
    what the rules need from the sources first."""

    def __init__(
        self,
        caller: Caller,
        crosswalk: Crosswalk,
        fiscal_year: int,
        appointments: AppointmentsFetch,
        positions_below: frozenset[int] = frozenset(),
    ) -> None:
        self.caller = caller
        self._crosswalk = crosswalk
        self._fiscal_year = fiscal_year
        self._staff_positions = positions_below
        self._appointments = appointments
        self._department = (
            department_code_of(caller.department)
            if caller.department and caller.has(Role.DEPT_SYSTEM)
            else None
        )
        # A city-wide role sees every employee, department and payment request, so the
        # guard need not admit them one by one (field rules still apply).
        self.sees_every_object = any(role in _CITY_WIDE for role in caller.roles)

    @classmethod
    async def of(
        cls,
        caller: Caller,
        crosswalk: Crosswalk,
        fiscal_year: int,
        positions_below: PositionsBelowFetch,
        appointments: AppointmentsFetch,
    ) -> Access:
        """The policy for `caller`, with a STAFF caller's positions below read (one
        statement); other callers cost nothing."""
        nip = caller.nip
        below = (
            await positions_below(nip)
            if caller.has(Role.STAFF) and nip is not None
            else frozenset[int]()
        )
        return cls(caller, crosswalk, fiscal_year, appointments, below)

    # -- topics and objects ----------------------------------------------------------

    def reads(self, topic: Topic) -> bool:
        """Whether any of the caller's roles reads this topic somewhere."""
        if topic in ANONYMOUS_TOPICS:
            return True
        return any(topic in ROLE_TOPICS[role] for role in self.caller.roles)

    def require(self, topic: Topic, what: str) -> None:
        """Refuse `what` unless some role reads the topic; anonymous callers are told to
        authenticate, known callers that they lack the role."""
        if self.reads(topic):
            return
        if self.caller.anonymous:
            raise Unauthenticated(f"{what} needs a bearer token; anonymous callers read health")
        roles = ", ".join(sorted(self.caller.roles))
        raise Forbidden(f"{what}: {topic} data is not readable with roles {roles}", topic=topic)

    def permits(self, topic: Topic, subject: Subject | None) -> bool:
        """Whether a role that reads `topic` also sees `subject`."""
        if subject is None:
            return self.reads(topic)
        return any(
            topic in ROLE_TOPICS[role] and self._sees(role, subject) for role in self.caller.roles
        )

    def admits(self, subject: Subject) -> bool:
        """Whether the caller may see this object at all."""
        return self.permits(SUBJECT_TOPIC[type(subject)], subject)

    def _sees(self, role: Role, subject: Subject) -> bool:
        if role in _CITY_WIDE:
            return True
        if role is Role.STAFF:
            return self._staff_sees(subject)
        return self._department_sees(subject)

    def _staff_sees(self, subject: Subject) -> bool:
        if isinstance(subject, DepartmentSubject):
            return True
        if isinstance(subject, EmployeeSubject):
            return subject.nip == self.caller.nip or subject.position_id in self._staff_positions
        return False

    def _department_sees(self, subject: Subject) -> bool:
        if self._department is None:
            return False
        if isinstance(subject, EmployeeSubject):
            return subject.unit_id in self._department_units
        return department_code_of(subject.code) == self._department

    @cached_property
    def _department_units(self) -> frozenset[int]:
        assert self._department is not None
        return frozenset(self._crosswalk.units_of(self._fiscal_year, self._department))

    # -- row rules, applied in SQL -------------------------------------------------

    def _sees_everything(self, topic: Topic) -> bool:
        return any(
            topic in ROLE_TOPICS[role]
            and (role in _CITY_WIDE or topic in _EVERY_DEPARTMENTS.get(role, ()))
            for role in self.caller.roles
        )

    def people_rows(self, topic: Topic = Topic.PEOPLE) -> VisibleRows | None:
        """The employees a list may hold: None for everybody. With `topic` ACTIVITIES,
        the owners of the activities a list may hold (FINANCE sees every employee but
        reads no activity; DEPT_SYSTEM and STAFF read both within their scope)."""
        if self._sees_everything(topic):
            return None
        units: frozenset[int] = frozenset()
        positions: frozenset[int] = frozenset()
        nips: list[str] = []
        if self._department is not None:
            units = self._department_units
        nip = self.caller.nip
        if self.caller.has(Role.STAFF) and nip is not None:
            positions = self._staff_positions
            nips = [nip]
        return VisibleRows(tuple(sorted(units)), tuple(sorted(positions)), tuple(nips))

    def department_scope(self, topic: Topic, requested: str | None, argument: str) -> str | None:
        """The department a list of `topic` is narrowed to. A department system is held to
        its own department (naming another is refused); other callers get what they asked
        for (None: the whole city), narrowed further by their row rules."""
        own = self._department
        if own is None or self._sees_everything(topic):
            return requested
        if requested is not None and department_code_of(requested) != own:
            raise Forbidden(
                f"{argument}: this token acts for department {own}, not {requested}",
                argument=argument,
            )
        return requested or own

    def departments_scope(
        self, topic: Topic, requested: str | None, listed: Sequence[str] | None, argument: str
    ) -> str | None:
        """`department_scope` of a filter that names a department (`argument`) and a list
        of them (`argument` + "In"): a department system may name only its own in either."""
        for index, code in enumerate(listed or ()):
            self.department_scope(topic, code, f"{argument}In.{index}")
        return self.department_scope(topic, requested, argument)

    # -- finance powers --------------------------------------------------------------

    async def may(self, action: FinanceAction, subject: PaymentSubject) -> bool:
        """Whether the caller may take this step on a request of this department and year:
        ADMIN, or FINANCE with the appointment in pejabat for that year."""
        if self.caller.has(Role.ADMIN):
            return True
        nip = self.caller.nip
        if not self.caller.has(Role.FINANCE) or nip is None:
            return False
        needed = APPOINTMENT_FOR[action]
        department = department_code_of(subject.code)
        return any(
            official.fiscal_year == subject.fiscal_year
            and official.role is needed
            and (
                needed is FinanceRoleKind.TREASURY
                or department_code_of(official.code) == department
            )
            for official in await self._appointments(nip)
        )

    # -- writes ----------------------------------------------------------------------
    # The contract's writes column. ANALYST writes nothing; FINANCE only takes the steps
    # its appointments allow (`may`); ADMIN writes everything.

    def may_log_for(self, owner: EmployeeSubject) -> bool:
        """STAFF log their own activities; a department system those of its staff."""
        if self.caller.has(Role.ADMIN):
            return True
        if self.caller.has(Role.STAFF) and owner.nip == self.caller.nip:
            return True
        return self._department is not None and owner.unit_id in self._department_units

    def may_review(self, owner: EmployeeSubject) -> bool:
        """Only the supervisor chain reviews: a STAFF caller whose position is above the
        owner's in e-kin's position chain (never their own activity)."""
        if self.caller.has(Role.ADMIN):
            return True
        return (
            self.caller.has(Role.STAFF)
            and owner.nip != self.caller.nip
            and owner.position_id in self._staff_positions
        )

    def may_submit_for(self, finance_code: str) -> bool:
        """A department system submits payment requests of its own department."""
        if self.caller.has(Role.ADMIN):
            return True
        return self._department is not None and department_code_of(finance_code) == self._department
