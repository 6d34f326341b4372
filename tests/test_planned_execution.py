"""The planned engine (`gateway.execution`) answers exactly what graphql-core answers.

Two gateways on the same databases, one planned and one executed by graphql-core, are
asked the same documents as the same callers, one after the other. Their answers must
agree: `data`, every error's message, path, locations and extensions (as in
`tests.conftest.comparable`), their audit lines, and the SQL statements each sent (a
count graphql-core sends too: as `tests.conftest.Reference` says, some counts depend on
which source answers first, with either engine).

The documents are those `tests/test_schema_properties.py` makes from the schema (every
root field, arguments through variables or literals, valid and hostile values, fields
with arguments below), dressed here with aliases, the same field twice, fragments,
inline fragments, and `@include`/`@skip` on variables that are true, false, or null where
they may not be. Targeted tests cover null propagation through non-null fields, a source
that is down, fields refused to STAFF and ANALYST callers, and the audit of personal
fields.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    parse,
    parse_const_value,
    print_ast,
    type_from_ast,
)
from graphql.execution import Executor
from hypothesis import event, given
from hypothesis import strategies as st

from gateway.access.audit import audit_log
from gateway.execution import PlanCache, PlannedExecution
from gateway.execution.attribute_reads import plain_attribute
from gateway.execution.completion import ListCompletion, NonNullCompletion, ObjectCompletion
from gateway.execution.plans import FieldPlan, SelectionPlan
from gateway.logs import FIELDS
from gateway.schema import build_schema
from gateway.settings import AccessSettings, SettingsError
from tests import test_schema_properties as properties
from tests.conftest import (
    RERUNS,
    Databases,
    Gateway,
    close_gateway,
    comparable,
    free_port,
    open_gateway,
    seeded,
    settle,
    token,
)
from tests.test_schema_properties import (
    ROLES,
    SCHEMA,
    NoLiteral,
    Operation,
    Seeded,
    Values,
    bearer_of,
    examples,
    literal,
    operations,
    unlimited,
)

# The valid values of test_schema_properties.py, read from this file's own databases
# (`props_db` below), with the fixtures they are read with.
seeded_values = properties.seeded_values
legacy = properties.legacy
production = properties.production

Draw = Callable[..., Any]
"""hypothesis's `draw`, of a composite strategy or of `st.data()`."""

# -- two engines, one question --------------------------------------------------------------


@dataclass
class Engines:
    planned: Gateway
    core: Gateway


async def engines_on(db: Databases, **changes: Any) -> Engines:
    """A planned gateway and a graphql-core one on `db`, without the suite's reference
    (this file compares them itself), without a rate limit or a limit of aliases (dressed
    documents have many), with `changes` to settings."""
    base = dataclasses.replace(unlimited(db, production=False), **changes)
    roles = {
        role: dataclasses.replace(limits, max_aliases=None)
        for role, limits in base.access.role_limits.items()
    }
    access = dataclasses.replace(base.access, max_aliases=10_000, role_limits=roles)
    base = dataclasses.replace(base, access=access)
    core_access = dataclasses.replace(access, execution="graphql-core")
    return Engines(
        planned=await open_gateway(db, base, differential=False),
        core=await open_gateway(
            db, dataclasses.replace(base, access=core_access), differential=False
        ),
    )


async def close_engines(engines: Engines) -> None:
    await close_gateway(engines.planned)
    await close_gateway(engines.core)


@dataclass
class Answer:
    status: int
    body: Any
    statements: int
    audit: dict[str, Any] | None


async def ask(gw: Gateway, bearer: str | None, document: str, variables: dict[str, Any]) -> Answer:
    caller = gw.as_caller(bearer)
    before, tasks = gw.statements(), asyncio.all_tasks()
    with audit_lines() as lines:
        response = await caller.post(document, variables)
    await settle(tasks)
    request_id = response.headers.get("x-request-id")
    line = next((dict(f) for f in lines if f.get("request_id") == request_id), None)
    for varying in ("time", "request_id"):
        (line or {}).pop(varying, None)
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return Answer(response.status_code, body, gw.statements() - before, line)


async def both(
    engines: Engines, bearer: str | None, document: str, variables: dict[str, Any] | None = None
) -> Answer:
    """The planned gateway's answer, once graphql-core gave the same (asked again, as in
    `tests.conftest.Reference`, where that depends on which source answers first)."""
    planned = await ask(engines.planned, bearer, document, variables or {})
    tries: list[Answer] = []
    while len(tries) <= RERUNS:
        core = await ask(engines.core, bearer, document, variables or {})
        tries.append(core)
        if same(planned, core):
            return planned
    shown = f"{document}\nvariables: {json.dumps(variables)[:2000]}"
    core = tries[0]
    assert planned.status == core.status, shown
    answers = (planned.body, core.body)
    if all(isinstance(body, dict) for body in answers):
        answers = (comparable(planned.body), comparable(core.body))
    assert answers[0] == answers[1], (
        f"{shown}\nplanned:      {json.dumps(planned.body)[:3000]}"
        f"\ngraphql-core: {json.dumps(core.body)[:3000]}"
    )
    assert planned.audit == core.audit, shown
    seen = [t.statements for t in tries]
    raise AssertionError(f"statements: planned {planned.statements}, graphql-core {seen}\n{shown}")


def same(planned: Answer, core: Answer) -> bool:
    if (planned.status, planned.statements, planned.audit) != (
        core.status,
        core.statements,
        core.audit,
    ):
        return False
    if isinstance(planned.body, dict) and isinstance(core.body, dict):
        return comparable(planned.body) == comparable(core.body)
    return bool(planned.body == core.body)


@contextmanager
def audit_lines() -> Iterator[list[dict[str, Any]]]:
    """The fields of the audit lines logged in the block."""
    lines: list[dict[str, Any]] = []

    class Keep(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            lines.append(dict(getattr(record, FIELDS, None) or {}))
            return True

    keep, level = Keep(), audit_log.level
    audit_log.addFilter(keep)
    audit_log.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        audit_log.setLevel(level)
        audit_log.removeFilter(keep)


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


# -- documents, dressed -------------------------------------------------------------------


@dataclass
class Dressing:
    """What dressing a document added: fragments and the switch variables."""

    fragments: list[FragmentDefinitionNode]
    declared: list[VariableDefinitionNode]
    variables: dict[str, Any]


def dressed(draw: Draw, operation: Operation) -> tuple[str, dict[str, Any]]:
    """`operation`'s document with aliases, repeated fields, fragments, inline fragments
    and switches drawn for its fields, and the variables it then takes."""
    document = parse(operation.document)
    query = document.definitions[0]
    assert isinstance(query, OperationDefinitionNode)
    dressing = Dressing([], [], {})
    root = SCHEMA.query_type
    assert root is not None
    selection = dress(draw, query.selection_set, root, dressing)
    declared = list(query.variable_definitions or ())
    variables = dict(operation.variables)
    if declared and draw(st.integers(0, 4)) == 0:
        nulled(declared, variables, draw(st.integers(0, len(declared) - 1)))
    dressed_query = OperationDefinitionNode(
        operation=query.operation,
        name=query.name,
        variable_definitions=(*declared, *dressing.declared),
        directives=query.directives,
        selection_set=selection,
    )
    text = print_ast(DocumentNode(definitions=(dressed_query, *dressing.fragments)))
    return text, {**variables, **dressing.variables}


def nulled(declared: list[VariableDefinitionNode], variables: dict[str, Any], index: int) -> None:
    """The variable at `index`, if it is of a non-null type and given, declared nullable
    with its value as default and given null: validation lets it through to an argument
    that may not be null, and coercing that argument fails at execution."""
    definition = declared[index]
    name = definition.variable.name.value
    if not isinstance(definition.type, NonNullTypeNode) or variables.get(name) is None:
        return
    try:
        default = parse_const_value(
            literal(variables[name], type_from_ast(SCHEMA, definition.type))
        )
    except (NoLiteral, GraphQLError):
        return
    event("dressed: null for an argument that may not be null")
    declared[index] = VariableDefinitionNode(
        variable=definition.variable,
        type=definition.type.type,
        default_value=default,
        directives=(),
    )
    variables[name] = None


def dress(
    draw: Draw, selection_set: SelectionSetNode, parent: GraphQLObjectType, made: Dressing
) -> SelectionSetNode:
    selections: list[SelectionNode] = []
    for selection in selection_set.selections:
        assert isinstance(selection, FieldNode)
        field = selection
        if field.selection_set is not None:
            child = get_named_type(parent.fields[field.name.value].type)
            assert isinstance(child, GraphQLObjectType)
            field = copy_field(field, selection_set=dress(draw, field.selection_set, child, made))
        n = len(made.declared) + len(made.fragments) + len(selections)
        if draw(st.integers(0, 4)) == 0:
            field = copy_field(field, alias=NameNode(value=f"a{n}"))
            event("dressed: alias")
        dressed_field: SelectionNode = field
        if draw(st.integers(0, 5)) == 0:
            dressed_field = switched(draw, field, made)
        how = draw(st.integers(0, 9))
        if how == 0:
            event("dressed: inline fragment")
            condition = NamedTypeNode(name=NameNode(value=parent.name))
            dressed_field = InlineFragmentNode(
                type_condition=condition if draw(st.booleans()) else None,
                directives=(),
                selection_set=SelectionSetNode(selections=(dressed_field,)),
            )
        elif how == 1:
            event("dressed: fragment")
            name = f"F{len(made.fragments)}"
            made.fragments.append(
                FragmentDefinitionNode(
                    name=NameNode(value=name),
                    type_condition=NamedTypeNode(name=NameNode(value=parent.name)),
                    directives=(),
                    selection_set=SelectionSetNode(selections=(dressed_field,)),
                )
            )
            dressed_field = FragmentSpreadNode(name=NameNode(value=name), directives=())
        elif how == 2:
            event("dressed: the same field twice")
            selections.append(field)  # merged with its twin below, or answered twice
            if draw(st.booleans()):
                dressed_field = copy_field(field, alias=NameNode(value=f"twin{n}"))
        selections.append(dressed_field)
    if draw(st.integers(0, 9)) == 0:
        selections.insert(draw(st.integers(0, len(selections))), typename())
    return SelectionSetNode(selections=tuple(selections))


def switched(draw: Draw, field: FieldNode, made: Dressing) -> FieldNode:
    """`field` with `@include` or `@skip` on a variable of its own: true or false, or null
    given to a `Boolean` with a default (which the directive's `Boolean!` refuses)."""
    directive = draw(st.sampled_from(["include", "skip"]))
    name = f"s{len(made.declared)}"
    value = draw(st.sampled_from([True, False, True, False, None]))
    event(f"dressed: @{directive}(if: {value})")
    variable = VariableNode(name=NameNode(value=name))
    boolean = NamedTypeNode(name=NameNode(value="Boolean"))
    made.declared.append(
        VariableDefinitionNode(
            variable=variable,
            type=NonNullTypeNode(type=boolean) if value is not None else boolean,
            default_value=BooleanValueNode(value=True) if value is None else None,
            directives=(),
        )
    )
    made.variables[name] = value
    switch = DirectiveNode(
        name=NameNode(value=directive),
        arguments=(ArgumentNode(name=NameNode(value="if"), value=variable),),
    )
    return copy_field(field, directives=(*(field.directives or ()), switch))


def copy_field(field: FieldNode, **changes: Any) -> FieldNode:
    keys = ("alias", "name", "arguments", "directives", "selection_set")
    return FieldNode(**{key: getattr(field, key) for key in keys} | changes)


def typename() -> FieldNode:
    return FieldNode(name=NameNode(value="__typename"), arguments=(), directives=())


QUERY_ROOT = SCHEMA.query_type
assert QUERY_ROOT is not None
ASKABLE = GraphQLObjectType(
    "Query",
    {name: f for name, f in QUERY_ROOT.fields.items() if name != "sources"},
)
"""The root fields to ask: `sources` answers latencies and times of the moment."""


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def props_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    """Databases of this file's own (`seeded_values` adds budget lines to them)."""
    return await seeded(pg_server, tmp_path_factory.mktemp("planned"), "planned", "small")


@pytest.fixture(scope="module")
async def engines(props_db: Databases) -> AsyncIterator[Engines]:
    pair = await engines_on(props_db)
    yield pair
    await close_engines(pair)


# -- the properties -----------------------------------------------------------------------


@examples(in_ci=80)
@given(data=st.data())
async def test_a_dressed_query_is_answered_alike_by_both_engines(
    engines: Engines, seeded_values: Seeded, data: st.DataObject
) -> None:
    hostility = data.draw(st.sampled_from([0, 0, 5, 20]), label="hostility")
    values = Values(seeded_values, hostility)
    operation = data.draw(operations(values, "query", ASKABLE), label="operation")
    document, variables = dressed(data.draw, operation)
    role = data.draw(st.sampled_from(ROLES), label="caller")
    bearer = bearer_of(role, seeded_values, data.draw(st.integers(0, 99)))
    answer = await both(engines, bearer, document, variables)
    if isinstance(answer.body, dict):
        event(f"codes: {' '.join(sorted({str(c) for c in codes(answer.body)})) or 'none'}")


async def test_a_plan_serves_again_and_its_switches_choose_between_plans(
    engines: Engines, seeded_values: Seeded
) -> None:
    query = """query($withName: Boolean!, $code: String!) {
      department(code: $code) { code name @include(if: $withName) budget { ceiling } }
    }"""
    for with_name in (True, False, True, False):
        variables = {"withName": with_name, "code": seeded_values.department}
        body = (await both(engines, engines.planned.token, query, variables)).body
        assert ("name" in body["data"]["department"]) is with_name


# -- null propagation, refusals, audit, a source down ----------------------------------------


async def test_a_refused_non_null_field_nulls_its_nearest_nullable_parent(
    engines: Engines, seeded_values: Seeded
) -> None:
    """STAFF read departments but not their service level (payments), a non-null field."""
    staff = token("STAFF", seeded_values.staff)
    nested = """query($code: String!) { department(code: $code) {
      code serviceLevel(from: "2026-01-01", to: "2026-12-31") { finished } } }"""
    body = (await both(engines, staff, nested, {"code": seeded_values.department})).body
    assert body["data"] == {"department": None}
    assert [e["path"] for e in body["errors"]] == [["department", "serviceLevel"]]
    listed = """{ departments { code
      serviceLevel(from: "2026-01-01", to: "2026-12-31") { finished } } }"""
    body = (await both(engines, staff, listed)).body
    assert body["data"] is None, "a non-null list of non-null departments: nothing is left"
    assert codes(body) == ["FORBIDDEN"]


async def test_fields_refused_to_staff_and_analysts_are_refused_alike(
    engines: Engines, seeded_values: Seeded
) -> None:
    query = """query($nip: Nip!) {
      employee(nip: $nip) { name birthDate gender
        activities(from: "2026-10-01", to: "2026-10-31") { minutes description }
        allowance(period: "2026-10") { expected } }
      employees(first: 5) { edges { node { nip birthDate supervisor { name } } } }
      paymentRequests(first: 3) { edges { node { number } } }
    }"""
    variables = {"nip": seeded_values.staff}
    for caller in (token("STAFF", seeded_values.nips[0]), token("ANALYST")):
        body = (await both(engines, caller, query, variables)).body
        assert "FORBIDDEN" in codes(body)


async def test_reads_of_personal_fields_are_audited_alike(
    engines: Engines, seeded_values: Seeded
) -> None:
    query = """query Birthdays { employees(first: 10) { edges { node {
      nip birthDate gender activities(from: "2026-10-01", to: "2026-10-31") { description }
    } } } }"""
    answer = await both(engines, engines.planned.token, query)
    assert answer.audit is not None
    assert set(answer.audit["personal_fields"]) >= {"Employee.birthDate", "Employee.gender"}
    assert len(answer.audit["personal_fields"]["Employee.birthDate"]) == 10


async def test_a_source_that_is_down_fails_the_same_fields(props_db: Databases) -> None:
    """sppspm on a port nobody listens on: its fields are SOURCE_UNAVAILABLE, e-kin's are
    served (the breaker is kept closed, so that every statement fails alike)."""
    down = dataclasses.replace(
        props_db, sppspm_dsn=f"postgresql://postgres@127.0.0.1:{free_port()}/down"
    )
    pair = await engines_on(down, breaker_failures=1_000)
    try:
        query = """{ employees(first: 4) { edges { node {
          nip name unit { name } department { name } financeRoles { role }
          allowance(period: "2026-10") { expected paid }
        } } } }"""
        body = (await both(pair, pair.planned.token, query)).body
        assert body["data"]["employees"]["edges"], "e-kin's part is served"
        assert set(codes(body)) == {"SOURCE_UNAVAILABLE"}
        body = (await both(pair, pair.planned.token, "{ departments { code } }")).body
        assert body["data"] is None and codes(body) == ["SOURCE_UNAVAILABLE"]
    finally:
        await close_engines(pair)


# -- plans, the setting, attribute reads ----------------------------------------------------


def keys_below(field: FieldPlan) -> list[str]:
    """The response keys of the selection below a field, through its wrapping types."""
    completion = field.completion
    while not isinstance(completion, ObjectCompletion):
        assert isinstance(completion, NonNullCompletion | ListCompletion), completion
        completion = (
            completion.inner if isinstance(completion, NonNullCompletion) else completion.item
        )
    return [f.key for f in completion.selection.fields]


def test_plans_are_kept_by_operation_and_switches_and_introspection_is_left_alone() -> None:
    document = parse(
        "query($name: Boolean!) { departments { ...Names code @skip(if: $name) } }"
        " fragment Names on Department { name @include(if: $name) code }"
    )
    cache = PlanCache()

    def planned_with(name: bool) -> SelectionPlan | None:
        executor = Executor.build(SCHEMA, document, raw_variable_values={"name": name})
        assert isinstance(executor, Executor)
        return cache.plan(executor)

    with_name = planned_with(True)
    assert with_name is not None and planned_with(True) is with_name
    assert keys_below(with_name.fields[0]) == ["name", "code"]
    without = planned_with(False)
    assert without is not None and without is not with_name
    assert keys_below(without.fields[0]) == ["code"]
    introspection = Executor.build(SCHEMA, parse("{ __schema { queryType { name } } }"))
    assert isinstance(introspection, Executor)
    assert cache.plan(introspection) is None


def test_smartgate_execution_chooses_the_engine() -> None:
    default = build_schema(AccessSettings())
    assert issubclass(default.execution_context_class, PlannedExecution)
    core = build_schema(AccessSettings.from_env({"SMARTGATE_EXECUTION": "graphql-core"}))
    assert not issubclass(core.execution_context_class, PlannedExecution)
    with pytest.raises(SettingsError, match="SMARTGATE_EXECUTION='fast' is not one of"):
        AccessSettings.from_env({"SMARTGATE_EXECUTION": "fast"})


def test_every_field_read_as_an_attribute_answers_what_its_resolver_answers() -> None:
    read = 0
    for type_ in SCHEMA.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            attribute = plain_attribute(field)
            if attribute is None:
                continue
            read += 1
            source = type("Source", (), {attribute: object()})()
            assert field.resolve is not None
            assert field.resolve(source, None) is getattr(source, attribute), f"{type_.name}.{name}"
    assert read > 100, "most leaves are plain attributes"


def test_guarded_and_resolved_fields_are_never_read_as_attributes() -> None:
    employee = SCHEMA.type_map["Employee"]
    assert isinstance(employee, GraphQLObjectType)
    assert plain_attribute(employee.fields["name"]) == "name"
    for name in ("birthDate", "gender", "unit", "supervisor"):  # guarded, or a resolver
        assert plain_attribute(employee.fields[name]) is None, name
