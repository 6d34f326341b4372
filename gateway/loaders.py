"""Per-request DataLoaders: every nested field asks a loader, every loader asks a connector
once per batch. Created fresh for each request, never shared between requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Hashable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from aiodataloader import DataLoader
from opentelemetry.trace import NoOpTracer, Tracer

from connectors.domain import BudgetLineOrderBy, PaymentOrderBy, ReviewStatus
from connectors.ekin.connector import EkinConnector
from connectors.ekin.records import (
    Activity,
    EmployeeOrderBy,
    ExpectedAllowance,
    MonthlyScore,
    Person,
    PersonFilter,
    Placed,
    Position,
    Unit,
    UnitsPerformance,
)
from connectors.paging import Page
from connectors.sppspm.connector import SppspmConnector
from connectors.sppspm.records import (
    AllowancePayments,
    BudgetLine,
    BudgetLineFilter,
    FinanceUnit,
    Money,
    Official,
    PaymentFilter,
    PaymentRequest,
    PaymentScope,
    RequestSteps,
    StatusChange,
)
from gateway.crosswalk import Crosswalk, department_code_of
from gateway.joins import DepartmentKey
from gateway.timebound.clock import ClockState

K = TypeVar("K", bound=Hashable)
A = TypeVar("A", bound=Hashable)
V = TypeVar("V")

UnitScope = tuple[int, ...]  # e-kin unit ids, sorted
RequestPageArgs = tuple[PaymentFilter, tuple[PaymentOrderBy, ...], tuple[Any, ...] | None, int]
"""A page of payment requests: filter, ordering, the sort values it starts after, rows."""
BudgetLinePageArgs = tuple[
    BudgetLineFilter, tuple[BudgetLineOrderBy, ...], tuple[Any, ...] | None, int
]
"""A page of budget lines: filter, ordering, the sort values it starts after, rows."""
PeoplePageArgs = tuple[PersonFilter, tuple[EmployeeOrderBy, ...], tuple[Any, ...] | None, int]
"""A page of employees: filter, normalised ordering, the position it starts after, rows."""


def _traced(
    tracer: Tracer, name: str, batch: Callable[[list[Any]], Awaitable[list[Any]]]
) -> Callable[[list[Any]], Coroutine[Any, Any, list[Any]]]:
    """The batch function in a span of its own: one span per loader batch."""

    async def traced(keys: list[Any]) -> list[Any]:
        with tracer.start_as_current_span(f"loader {name}") as span:
            span.set_attribute("smartgate.batch_size", len(keys))
            return await batch(keys)

    return traced


def by_key(
    fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], missing: Callable[[], Any] = lambda: None
) -> DataLoader[K, Any]:
    """A loader over a connector method that maps a batch of keys to values."""

    async def batch(keys: list[K]) -> list[Any]:
        found = await fetch(list(dict.fromkeys(keys)))
        return [found[k] if k in found else missing() for k in keys]

    return DataLoader(batch)


def by_key_and_args(
    fetch: Callable[[list[K], A], Awaitable[Mapping[K, V]]],
    missing: Callable[[], Any] = lambda: None,
) -> DataLoader[tuple[K, A], Any]:
    """A loader whose keys are (key, arguments): one statement per distinct arguments."""

    async def batch(keys: list[tuple[K, A]]) -> list[Any]:
        groups: dict[A, list[K]] = {}
        for key, args in keys:
            groups.setdefault(args, []).append(key)
        found: dict[tuple[K, A], Any] = {}
        for args, group in groups.items():
            values = await fetch(list(dict.fromkeys(group)), args)
            found.update({(k, args): v for k, v in values.items()})
        return [found[k] if k in found else missing() for k in keys]

    return DataLoader(batch)


class Loaders:
    """All loaders of one request."""

    def __init__(
        self,
        ekin: EkinConnector,
        sppspm: SppspmConnector,
        crosswalk: Crosswalk,
        tracer: Tracer | None = None,
    ) -> None:
        self._crosswalk = crosswalk

        # e-kin
        self.unit: DataLoader[int, Unit | None] = by_key(ekin.units)
        self.position: DataLoader[int, Position | None] = by_key(ekin.positions)
        self.person: DataLoader[str, Person | None] = by_key(ekin.people)
        self.supervisor: DataLoader[int, Person | None] = by_key(ekin.supervisors)
        self.subordinates: DataLoader[int, list[Person]] = by_key(ekin.subordinates, list)
        self.activities: DataLoader[
            tuple[str, tuple[date, date, ReviewStatus | None]], list[Activity]
        ] = by_key_and_args(lambda nips, a: ekin.activities(nips, *a), list)
        self.monthly_score: DataLoader[tuple[str, str], MonthlyScore | None] = by_key_and_args(
            ekin.monthly_scores
        )
        self.expected_allowance: DataLoader[tuple[str, str], ExpectedAllowance | None] = (
            by_key_and_args(lambda nips, period: ekin.expected_allowances(period, nips=nips))
        )

        async def people_pages(
            scopes: list[UnitScope], args: PeoplePageArgs
        ) -> Mapping[UnitScope, Page[Placed[Person]]]:
            return await ekin.ordered_people_pages({scope: scope for scope in scopes}, *args)

        async def people_counts(
            scopes: list[UnitScope], person_filter: PersonFilter
        ) -> Mapping[UnitScope, int]:
            return await ekin.people_counts({scope: scope for scope in scopes}, person_filter)

        async def performance(
            keys: list[DepartmentKey], period: str
        ) -> Mapping[DepartmentKey, UnitsPerformance]:
            return await ekin.units_performance(self.unit_scopes(keys), period)

        self.people_page: DataLoader[tuple[UnitScope, PeoplePageArgs], Page[Placed[Person]]] = (
            by_key_and_args(people_pages, Page)
        )
        self.people_count: DataLoader[tuple[UnitScope, PersonFilter], int] = by_key_and_args(
            people_counts, int
        )
        self.department_performance: DataLoader[tuple[DepartmentKey, str], UnitsPerformance] = (
            by_key_and_args(performance)
        )

        # sppspm
        self.finance_unit: DataLoader[tuple[int, str], FinanceUnit | None] = by_key(
            sppspm.finance_units
        )
        self.officials: DataLoader[tuple[str, int | None], list[Official]] = by_key_and_args(
            sppspm.officials, list
        )
        self.request: DataLoader[int, PaymentRequest | None] = by_key(sppspm.requests_by_id)
        self.request_by_number: DataLoader[str, PaymentRequest | None] = by_key(
            sppspm.requests_by_number
        )
        self.history: DataLoader[int, list[StatusChange]] = by_key(sppspm.histories, list)
        self.request_steps: DataLoader[int, RequestSteps | None] = by_key(sppspm.request_steps)
        self.steps_of_year: DataLoader[int, list[RequestSteps]] = by_key(
            sppspm.steps_of_years, list
        )

        async def submitted_between(
            codes: list[str | None], days: tuple[date, date]
        ) -> dict[str | None, list[RequestSteps]]:
            city = None in codes
            named = [code for code in codes if code is not None]
            found = await sppspm.steps_submitted_between(None if city else named, *days)
            result: dict[str | None, list[RequestSteps]] = {code: [] for code in codes}
            for steps in found:
                department = department_code_of(steps.code)
                if department in result:
                    result[department].append(steps)
                if city:
                    result[None].append(steps)
            return result

        self.steps_submitted: DataLoader[
            tuple[str | None, tuple[date, date]], list[RequestSteps]
        ] = by_key_and_args(submitted_between, list)
        self.budget_line: DataLoader[int, BudgetLine | None] = by_key(sppspm.budget_lines)
        self.budget_totals: DataLoader[PaymentScope, Money] = by_key(
            lambda scopes: sppspm.budget_totals({s: s for s in scopes})
        )
        self.request_pages: DataLoader[
            tuple[PaymentScope, RequestPageArgs], Page[PaymentRequest]
        ] = by_key_and_args(
            lambda scopes, a: sppspm.request_pages({s: s for s in scopes}, *a), Page
        )
        self.request_counts: DataLoader[tuple[PaymentScope, PaymentFilter], int] = by_key_and_args(
            lambda scopes, f: sppspm.request_counts({s: s for s in scopes}, f), int
        )
        self.budget_line_pages: DataLoader[
            tuple[PaymentScope, BudgetLinePageArgs], Page[BudgetLine]
        ] = by_key_and_args(
            lambda scopes, a: sppspm.budget_line_pages({s: s for s in scopes}, *a), Page
        )
        self.budget_line_counts: DataLoader[tuple[PaymentScope, BudgetLineFilter], int] = (
            by_key_and_args(
                lambda scopes, f: sppspm.budget_line_counts({s: s for s in scopes}, f), int
            )
        )
        self.clock_states: dict[int, dict[int, ClockState]] = {}
        """Service-clock states of every request of a fiscal year (0: of all), by id:
        worked out once per operation (`gateway.resolvers.service_level`)."""
        self.allowance_payments: DataLoader[tuple[str, str], AllowancePayments | None] = (
            by_key_and_args(lambda nips, period: sppspm.allowance_payments(period, nips))
        )

        if tracer is not None and not isinstance(tracer, NoOpTracer):
            for name, loader in vars(self).items():
                if isinstance(loader, DataLoader):
                    loader.batch_load_fn = _traced(tracer, name, loader.batch_load_fn)

    def unit_scopes(self, keys: Sequence[DepartmentKey]) -> dict[DepartmentKey, list[int]]:
        """e-kin units of each department, through the crosswalk of its fiscal year."""
        return {key: self._crosswalk.units_of(*key) for key in keys}
