"""Per-request DataLoaders: every nested field asks a loader, every loader asks a connector
once per batch. Created fresh for each request, never shared between requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from aiodataloader import DataLoader, Loader, dispatch_queue_batch
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


def observed(loading: Awaitable[V]) -> Awaitable[V]:
    """`loading` (a loader's future), its failure marked as seen when it comes: a load
    asked ahead that nothing awaits in the end (what needed it failed first) then fails
    quietly instead of being logged as an error nobody retrieved."""
    if isinstance(loading, asyncio.Future):
        loading.add_done_callback(_seen)
    return loading


def _seen(done: asyncio.Future[Any]) -> None:
    if not done.cancelled():
        done.exception()


async def answers_if_asked(
    loads: Mapping[K, Awaitable[V]] | None,
) -> dict[K, V | BaseException] | None:
    """`answers`, or None for loads that were not asked (a field nobody selected)."""
    return None if loads is None else await answers(loads)


async def answers(loads: Mapping[K, Awaitable[V]]) -> dict[K, V | BaseException]:
    """Each load's answer, or the error it failed with, by key. The loads were all asked
    before this is called, so those of one loader share a batch; they are awaited in turn
    rather than gathered (no task each): once a batch is answered its loads wait no more.
    A failure is kept for the field that reads it, as its own load would have failed it."""
    answered: dict[K, V | BaseException] = {}
    for key, loading in loads.items():
        try:
            answered[key] = await loading
        except Exception as error:  # noqa: BLE001 - see the docstring
            answered[key] = error
    return answered


def answer_of(answered: Mapping[K, V | BaseException], key: K) -> V:
    """A load's answer from `answers`, or its failure raised (for the field reading it)."""
    value = answered[key]
    if isinstance(value, BaseException):
        raise value
    return value


def _traced(
    tracer: Tracer, name: str, batch: Callable[[list[Any]], Awaitable[list[Any]]]
) -> Callable[[list[Any]], Coroutine[Any, Any, list[Any]]]:
    """The batch function in a span of its own: one span per loader batch."""

    async def traced(keys: list[Any]) -> list[Any]:
        with tracer.start_as_current_span(f"loader {name}") as span:
            span.set_attribute("smartgate.batch_size", len(keys))
            return await batch(keys)

    return traced


class BatchLoader(DataLoader[K, V]):
    """aiodataloader's DataLoader, with each batch started by the task that takes its
    queue. aiodataloader's first load of a tick schedules a callback, which makes a task,
    which takes the queue and makes another task, which runs the batch a loop iteration
    later. Here the task that takes the queue runs the batch itself: the same keys,
    taken at the same moment (statements per request are unchanged), one task and one
    loop iteration fewer (3-5 µs of CPU a batch)."""

    def __init__(
        self,
        batch_load_fn: Callable[[list[K]], Coroutine[Any, Any, list[V]]],
        **options: Any,
    ) -> None:
        super().__init__(batch_load_fn, **options)
        self._lean = (
            self.batch
            and self.cache
            and not self.max_batch_size
            and options.get("get_cache_key") is None
            and not hasattr(type(self), "get_cache_key")  # else the key is not its own
            and options.get("cache_map") is None
        )
        """Batched and cached by the key itself, in a dict, batches of any size: what
        `load` does then is decided here once (a dashboard asks 9,500 loads)."""

    def load(self, key: K) -> asyncio.Future[V]:
        """aiodataloader's `load`, for a `_lean` loader without its per-call look-ups:
        the cached future of `key`, else a new one, cached and queued (the first of a
        tick takes the queue soon, `do_resolve_reject`)."""
        if key is None or not self._lean:
            return super().load(key)
        future = self._cache.get(key)
        if future is None:
            future = self._cache[key] = self.loop.create_future()
            queue = self._queue
            queue.append(Loader(key=key, future=future))
            if len(queue) == 1:
                self.loop.call_soon(self._take_queue_soon)
        return future

    def do_resolve_reject(self, key: K, future: asyncio.Future[V]) -> None:
        if not self.batch or self.max_batch_size:
            super().do_resolve_reject(key, future)
            return
        self._queue.append(Loader(key=key, future=future))
        if len(self._queue) == 1:
            self.loop.call_soon(self._take_queue_soon)

    def _take_queue_soon(self) -> None:
        task = self.loop.create_task(self._dispatch())
        _DISPATCHING.add(task)  # a task the loop alone refers to may be collected
        task.add_done_callback(_DISPATCHING.discard)

    async def _dispatch(self) -> None:
        queue, self._queue = self._queue, []
        await dispatch_queue_batch(self, queue)


_DISPATCHING: set[asyncio.Task[None]] = set()


def by_key(
    fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], missing: Callable[[], Any] = lambda: None
) -> DataLoader[K, Any]:
    """A loader over a connector method that maps a batch of keys to values."""

    async def batch(keys: list[K]) -> list[Any]:
        found = await fetch(list(dict.fromkeys(keys)))
        return [found[k] if k in found else missing() for k in keys]

    return BatchLoader(batch)


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

    return BatchLoader(batch)


class Loaders:
    """All loaders of one request, each made the first time the request asks for it: most
    requests use two or three of them, and making one costs more than a small query's own
    work. The annotations below are the loaders; `_factories` says how each is made."""

    # e-kin
    unit: DataLoader[int, Unit | None]
    position: DataLoader[int, Position | None]
    person: DataLoader[str, Person | None]
    supervisor: DataLoader[int, Person | None]
    subordinates: DataLoader[int, list[Person]]
    activities: DataLoader[tuple[str, tuple[date, date, ReviewStatus | None]], list[Activity]]
    monthly_score: DataLoader[tuple[str, str], MonthlyScore | None]
    expected_allowance: DataLoader[tuple[str, str], ExpectedAllowance | None]
    people_page: DataLoader[tuple[UnitScope, PeoplePageArgs], Page[Placed[Person]]]
    people_count: DataLoader[tuple[UnitScope, PersonFilter], int]
    department_performance: DataLoader[tuple[DepartmentKey, str], UnitsPerformance]
    # sppspm
    finance_unit: DataLoader[tuple[int, str], FinanceUnit | None]
    officials: DataLoader[tuple[str, int | None], list[Official]]
    request: DataLoader[int, PaymentRequest | None]
    request_by_number: DataLoader[str, PaymentRequest | None]
    history: DataLoader[int, list[StatusChange]]
    request_steps: DataLoader[int, RequestSteps | None]
    steps_of_year: DataLoader[int, list[RequestSteps]]
    steps_submitted: DataLoader[tuple[str | None, tuple[date, date]], list[RequestSteps]]
    budget_line: DataLoader[int, BudgetLine | None]
    budget_totals: DataLoader[PaymentScope, Money]
    request_pages: DataLoader[tuple[PaymentScope, RequestPageArgs], Page[PaymentRequest]]
    request_page_histories: DataLoader[
        tuple[PaymentScope, RequestPageArgs], dict[int, list[StatusChange]]
    ]
    request_page_budget_lines: DataLoader[
        tuple[PaymentScope, RequestPageArgs], dict[int, BudgetLine]
    ]
    request_counts: DataLoader[tuple[PaymentScope, PaymentFilter], int]
    budget_line_pages: DataLoader[tuple[PaymentScope, BudgetLinePageArgs], Page[BudgetLine]]
    budget_line_counts: DataLoader[tuple[PaymentScope, BudgetLineFilter], int]
    allowance_payments: DataLoader[tuple[str, str], AllowancePayments | None]

    def __init__(
        self,
        ekin: EkinConnector,
        sppspm: SppspmConnector,
        crosswalk: Crosswalk,
        tracer: Tracer | None = None,
    ) -> None:
        self._crosswalk = crosswalk
        self._tracer = None if tracer is None or isinstance(tracer, NoOpTracer) else tracer
        self._ekin = ekin
        self._sppspm = sppspm
        self.clock_states: dict[int, dict[int, ClockState]] = {}
        """Service-clock states of every request of a fiscal year (0: of all), by id:
        worked out once per operation (`gateway.resolvers.service_level`)."""

    def release(self) -> None:
        """Forget what the operation loaded, once its answer is made. Some loaders' batch
        functions refer back to these loaders, a cycle that reference counting cannot
        free: without this, everything an operation loaded (every record of a page and its
        histories) would wait for the garbage collector, which would walk it again and
        again. Each loader is emptied and let go, which ends the cycle: the operation is
        freed with its answer. A load asked afterwards (a sibling settling in the
        background) loads afresh, with a loader made then."""
        for name, value in list(vars(self).items()):
            if isinstance(value, DataLoader):
                value.clear_all()
                delattr(self, name)
        self.clock_states.clear()

    def __getattr__(self, name: str) -> DataLoader[Any, Any]:
        """The loader `name`, made now: called only while the request has none yet."""
        make = _FACTORIES.get(name)
        if make is None:
            raise AttributeError(f"{type(self).__name__} has no loader {name!r}")
        loader = make(self, self._ekin, self._sppspm)
        if self._tracer is not None:
            loader.batch_load_fn = _traced(self._tracer, name, loader.batch_load_fn)
        setattr(self, name, loader)
        return loader

    def unit_scopes(self, keys: Sequence[DepartmentKey]) -> dict[DepartmentKey, list[int]]:
        """e-kin units of each department, through the crosswalk of its fiscal year."""
        return {key: self._crosswalk.units_of(*key) for key in keys}


# -- how each loader is made ------------------------------------------------------------------


async def _people_pages(
    loaders: Loaders, scopes: list[UnitScope], args: PeoplePageArgs
) -> Mapping[UnitScope, Page[Placed[Person]]]:
    return await loaders._ekin.ordered_people_pages({scope: scope for scope in scopes}, *args)


async def _people_counts(
    loaders: Loaders, scopes: list[UnitScope], person_filter: PersonFilter
) -> Mapping[UnitScope, int]:
    return await loaders._ekin.people_counts({scope: scope for scope in scopes}, person_filter)


async def _performance(
    loaders: Loaders, keys: list[DepartmentKey], period: str
) -> Mapping[DepartmentKey, UnitsPerformance]:
    return await loaders._ekin.units_performance(loaders.unit_scopes(keys), period)


async def _about_pages(
    loaders: Loaders,
    scopes: list[PaymentScope],
    args: RequestPageArgs,
    of_pages: Callable[..., Awaitable[dict[PaymentScope, dict[int, V]]]],
    of_ids: Callable[[list[int]], Awaitable[dict[int, V]]],
    ids_of: Callable[[Page[PaymentRequest]], list[int]],
) -> dict[PaymentScope, dict[int, V]]:
    """What a statement about the requests on pages reads (`of_pages`: their history,
    their budget lines), for pages of several groups read in one statement (a department's
    each): one that finds the pages itself, sent beside them. For one group's page (a top-N
    of one ranking) it waits for the page and asks by ids (`of_ids`) instead: that page
    comes back soon, and finding it again would cost PostgreSQL about as much as waiting
    gains (bench/peer's Q1, 200 of the city's requests: its throughput went from 0.80-0.94x
    PostGraphile's to 0.59-0.67x)."""
    if len(scopes) > 1:
        return await of_pages({scope: scope for scope in scopes}, *args)
    (scope,) = scopes
    ids = ids_of(await loaders.request_pages.load((scope, args)))
    return {scope: await of_ids(ids) if ids else {}}


def _request_ids(page: Page[PaymentRequest]) -> list[int]:
    return [r.id for r in page.items]


def _line_ids(page: Page[PaymentRequest]) -> list[int]:
    return list(dict.fromkeys(r.budget_line_id for r in page.items if r.budget_line_id is not None))


async def _submitted_between(
    loaders: Loaders, codes: list[str | None], days: tuple[date, date]
) -> dict[str | None, list[RequestSteps]]:
    city = None in codes
    named = [code for code in codes if code is not None]
    found = await loaders._sppspm.steps_submitted_between(None if city else named, *days)
    result: dict[str | None, list[RequestSteps]] = {code: [] for code in codes}
    for steps in found:
        department = department_code_of(steps.code)
        if department in result:
            result[department].append(steps)
        if city:
            result[None].append(steps)
    return result


Factory = Callable[[Loaders, EkinConnector, SppspmConnector], DataLoader[Any, Any]]

_FACTORIES: dict[str, Factory] = {
    # e-kin
    "unit": lambda _, ekin, __: by_key(ekin.units),
    "position": lambda _, ekin, __: by_key(ekin.positions),
    "person": lambda _, ekin, __: by_key(ekin.people),
    "supervisor": lambda _, ekin, __: by_key(ekin.supervisors),
    "subordinates": lambda _, ekin, __: by_key(ekin.subordinates, list),
    "activities": lambda _, ekin, __: by_key_and_args(
        lambda nips, a: ekin.activities(nips, *a), list
    ),
    "monthly_score": lambda _, ekin, __: by_key_and_args(ekin.monthly_scores),
    "expected_allowance": lambda _, ekin, __: by_key_and_args(
        lambda nips, period: ekin.expected_allowances(period, nips=nips)
    ),
    "people_page": lambda loaders, _, __: by_key_and_args(
        lambda scopes, args: _people_pages(loaders, scopes, args), Page
    ),
    "people_count": lambda loaders, _, __: by_key_and_args(
        lambda scopes, f: _people_counts(loaders, scopes, f), int
    ),
    "department_performance": lambda loaders, _, __: by_key_and_args(
        lambda keys, period: _performance(loaders, keys, period)
    ),
    # sppspm
    "finance_unit": lambda _, __, sppspm: by_key(sppspm.finance_units),
    "officials": lambda _, __, sppspm: by_key_and_args(sppspm.officials, list),
    "request": lambda _, __, sppspm: by_key(sppspm.requests_by_id),
    "request_by_number": lambda _, __, sppspm: by_key(sppspm.requests_by_number),
    "history": lambda _, __, sppspm: by_key(sppspm.histories, list),
    "request_steps": lambda _, __, sppspm: by_key(sppspm.request_steps),
    "steps_of_year": lambda _, __, sppspm: by_key(sppspm.steps_of_years, list),
    "steps_submitted": lambda loaders, _, __: by_key_and_args(
        lambda codes, days: _submitted_between(loaders, codes, days), list
    ),
    "budget_line": lambda _, __, sppspm: by_key(sppspm.budget_lines),
    "budget_totals": lambda _, __, sppspm: by_key(
        lambda scopes: sppspm.budget_totals({s: s for s in scopes})
    ),
    "request_pages": lambda _, __, sppspm: by_key_and_args(
        lambda scopes, a: sppspm.request_pages({s: s for s in scopes}, *a), Page
    ),
    "request_page_histories": lambda loaders, _, sppspm: by_key_and_args(
        lambda scopes, a: _about_pages(
            loaders, scopes, a, sppspm.request_page_histories, sppspm.histories, _request_ids
        ),
        dict,
    ),
    "request_page_budget_lines": lambda loaders, _, sppspm: by_key_and_args(
        lambda scopes, a: _about_pages(
            loaders, scopes, a, sppspm.request_page_budget_lines, sppspm.budget_lines, _line_ids
        ),
        dict,
    ),
    "request_counts": lambda _, __, sppspm: by_key_and_args(
        lambda scopes, f: sppspm.request_counts({s: s for s in scopes}, f), int
    ),
    "budget_line_pages": lambda _, __, sppspm: by_key_and_args(
        lambda scopes, a: sppspm.budget_line_pages({s: s for s in scopes}, *a), Page
    ),
    "budget_line_counts": lambda _, __, sppspm: by_key_and_args(
        lambda scopes, f: sppspm.budget_line_counts({s: s for s in scopes}, f), int
    ),
    "allowance_payments": lambda _, __, sppspm: by_key_and_args(
        lambda nips, period: sppspm.allowance_payments(period, nips)
    ),
}
assert set(_FACTORIES) == set(Loaders.__annotations__), "a loader without a factory, or back"
