"""Query limits: depth, aliases and cost are measured before validation, in linear time,
and a query over a limit is refused with a message naming the limit and the excess."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import graphql
import pytest
import strawberry
from graphql import GraphQLSchema
from strawberry.schema.config import StrawberryConfig

from gateway.access.limits import (
    DEFAULT_MAX_OVERLAPS,
    DEFAULT_MAX_SELECTIONS,
    MAX_MERGED_NAMES,
    DocumentShape,
    QueryLimits,
    QueryLimitsExtension,
    QueryShape,
    check,
    measure,
    measure_document,
)
from gateway.schema import build_schema
from gateway.schema.query import Query
from gateway.schema.scalars import SCALARS
from gateway.settings import AccessSettings

LIMITS = QueryLimits(max_depth=12, max_aliases=50, max_cost=50_000)


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def shape_of(
    schema: GraphQLSchema,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> QueryShape:
    return measure(schema, graphql.parse(query), operation_name, variables)


def nested_supervisors(depth: int) -> str:
    """`employee { supervisor { ... { name } } }` with `depth` levels of fields."""
    inner = depth - 2
    return '{ employee(nip: "1") { ' + "supervisor { " * inner + "name" + " }" * inner + " } }"


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


# Cost: hand-checked numbers.


def test_cost_of_a_connection_with_a_nested_list_is_first_times_each_level(
    schema: GraphQLSchema,
) -> None:
    shape = shape_of(
        schema, "{ employees(first: 100) { edges { node { subordinates { name } } } } }"
    )
    # employees 100 + edges 100 + node 100 + subordinates 100 * 10
    assert shape == QueryShape(depth=5, aliases=0, cost=1_300)


def test_cost_counts_object_fields_only_and_uses_the_list_table(schema: GraphQLSchema) -> None:
    query = """{
      departments { name budget { ceiling } units { name parent { name } } }
      me { name position { grade } activities(from: "2024-01-01", to: "2024-01-31") { minutes } }
      sources { name }
    }"""
    # departments 60, budget 60, units 60*10, parent 600; me 1, position 1, activities 40;
    # sources 2
    assert shape_of(schema, query).cost == 60 + 60 + 600 + 600 + 1 + 1 + 40 + 2


def test_a_connection_without_first_counts_the_default_page_of_fifty(
    schema: GraphQLSchema,
) -> None:
    query = '{ department(code: "X") { budget { lines { edges { node { id } } } } } }'
    # department 1, budget 1, lines 50, edges 50, node 50
    assert shape_of(schema, query).cost == 1 + 1 + 50 + 50 + 50


def test_a_list_missing_from_the_table_counts_twenty() -> None:
    other = graphql.build_schema("type Query { things: [Thing!]! } type Thing { id: ID }")
    assert shape_of(other, "{ things { id } }").cost == 20


def test_first_beyond_500_is_counted_as_500_through_three_nested_connections(
    schema: GraphQLSchema,
) -> None:
    query = """{ employees(first: 100000) { edges { node { department {
        employees(first: 100000) { edges { node { department {
          paymentRequests(first: 100000) { edges { node { number } } } } } } } } } } } }"""
    shape = shape_of(schema, query)
    # employees, edges, node, department at 500; the same at 500^2; paymentRequests,
    # edges, node at 500^3
    assert shape.cost == 4 * 500 + 4 * 500**2 + 3 * 500**3 == 376_002_000
    assert shape.depth == 12
    error = check(shape, LIMITS, "ANALYST")
    assert error is not None
    assert error.message == (
        "query cost 376,002,000 exceeds the ANALYST limit of 50,000 by 375,952,000 "
        "(cost multiplies list sizes: lower `first` or select fewer nested lists)"
    )
    assert error.extensions == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "cost",
        "allowed": 50_000,
        "actual": 376_002_000,
    }


CONNECTION_BY_VARIABLE = "query ($n: Int) { employees(first: $n) { edges { node { name } } } }"


@pytest.mark.parametrize(
    ("variables", "cost"),
    [
        ({"n": 7}, 3 * 7),
        ({"n": 100000}, 3 * 500),
        ({"n": -5}, 0),
        ({"n": None}, 3 * 50),
        ({}, 3 * 50),
        (None, 3 * 50),
    ],
)
def test_first_given_by_a_variable_is_honoured(
    schema: GraphQLSchema, variables: dict[str, Any] | None, cost: int
) -> None:
    assert shape_of(schema, CONNECTION_BY_VARIABLE, variables).cost == cost


def test_a_variables_default_stands_in_when_the_request_omits_it(schema: GraphQLSchema) -> None:
    query = "query ($n: Int = 30) { employees(first: $n) { edges { node { name } } } }"
    assert shape_of(schema, query).cost == 3 * 30
    assert shape_of(schema, query, {"n": 2}).cost == 3 * 2


def test_a_negative_or_missing_first_literal_counts_zero_or_fifty(schema: GraphQLSchema) -> None:
    assert shape_of(schema, "{ employees(first: -1) { totalCount } }").cost == 0
    assert shape_of(schema, "{ employees(first: null) { totalCount } }").cost == 50
    assert shape_of(schema, "{ employees { totalCount } }").cost == 50


def test_fields_of_a_fragment_are_looked_up_on_its_type_condition(schema: GraphQLSchema) -> None:
    query = """
      { employees(first: 10) { edges { node { ...People } } } }
      fragment People on Employee { subordinates { ... on Employee { financeRoles { role } } } }
    """
    # employees 10, edges 10, node 10, subordinates 10*10, financeRoles 100*4
    assert shape_of(schema, query).cost == 10 + 10 + 10 + 100 + 400


def test_unknown_fields_add_depth_and_aliases_but_no_cost(schema: GraphQLSchema) -> None:
    shape = shape_of(schema, "{ nothing { x: deeper { deepest } } me { name } }")
    assert shape == QueryShape(depth=3, aliases=1, cost=1)


def test_an_unknown_operation_name_measures_as_nothing(schema: GraphQLSchema) -> None:
    shape = shape_of(schema, "query A { me { name } }", operation_name="B")
    assert shape == QueryShape(0, 0, 0)


def test_the_named_operation_is_measured_else_the_first(schema: GraphQLSchema) -> None:
    query = "query A { me { name } } query B { departments { name } }"
    assert shape_of(schema, query).cost == 1
    assert shape_of(schema, query, operation_name="B").cost == 60


def test_typename_and_introspection_add_no_depth_or_cost(schema: GraphQLSchema) -> None:
    shape = shape_of(schema, graphql.get_introspection_query())
    assert shape == QueryShape(0, 0, 0)
    assert shape_of(schema, "{ me { __typename } }") == QueryShape(1, 0, 1)


# Depth and aliases.


def test_a_query_fifty_deep_is_refused_with_its_actual_depth(schema: GraphQLSchema) -> None:
    shape = shape_of(schema, nested_supervisors(50))
    assert shape.depth == 50
    error = check(shape, LIMITS, "STAFF")
    assert error is not None
    assert error.message == "query depth 50 exceeds the limit of 12 by 38"
    assert error.extensions == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "depth",
        "allowed": 12,
        "actual": 50,
    }


def test_a_thousand_aliases_are_refused(schema: GraphQLSchema) -> None:
    shape = shape_of(schema, aliases(1000))
    assert shape == QueryShape(depth=0, aliases=1000, cost=0)
    error = check(shape, LIMITS, "STAFF")
    assert error is not None
    assert error.message == "1,000 aliases exceed the limit of 50 by 950"
    assert error.extensions is not None
    assert error.extensions["limit"] == "aliases"


def test_aliases_behind_a_fragment_count_once_per_spread(schema: GraphQLSchema) -> None:
    ten = " ".join(f"n{i}: name" for i in range(10))
    query = f"""
      {{ me {{ ...Names boss: supervisor {{ ...Names }} subordinates {{ ...Names }} }} }}
      fragment Names on Employee {{ {ten} }}
    """
    assert shape_of(schema, query).aliases == 3 * 10 + 1


def test_depth_is_checked_before_aliases_and_aliases_before_cost(schema: GraphQLSchema) -> None:
    everything = QueryShape(depth=13, aliases=51, cost=50_001)
    for shape, limit in [
        (everything, "depth"),
        (QueryShape(12, 51, 50_001), "aliases"),
        (QueryShape(12, 50, 50_001), "cost"),
    ]:
        error = check(shape, LIMITS, "STAFF")
        assert error is not None and error.extensions is not None
        assert error.extensions["limit"] == limit


def test_a_normal_query_is_within_limits(schema: GraphQLSchema) -> None:
    query = """query Mine($period: Period!) {
      me { name unit { name } department { code name }
           performance(period: $period) { score } allowance(period: $period) { paid status } }
      employees(first: 20, filter: { nameContains: "budi" }) {
        totalCount edges { cursor node { nip name position { name grade } } } }
    }"""
    shape = shape_of(schema, query, {"period": "2024-05"})
    assert shape == QueryShape(depth=5, aliases=0, cost=1 + 1 + 1 + 1 + 1 + 20 * 4)
    assert check(shape, LIMITS, "STAFF") is None


def test_a_query_exactly_at_every_limit_passes() -> None:
    assert check(QueryShape(12, 50, 50_000), LIMITS, "STAFF") is None


# Hostile documents are measured in linear time.


def fragment_bomb(levels: int) -> str:
    """F0 spreads F1 twice, F1 spreads F2 twice, ...; each fragment adds one aliased list."""
    fragments = [
        f"fragment F{i} on Employee {{ x{i}: subordinates {{ name }} ...F{i + 1} ...F{i + 1} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Employee {{ x{levels}: subordinates {{ name }} }}")
    return "{ me { ...F0 } }\n" + "\n".join(fragments)


def test_a_fragment_bomb_is_measured_quickly_with_its_exponential_counts(
    schema: GraphQLSchema,
) -> None:
    document = graphql.parse(fragment_bomb(40))
    started = time.perf_counter()
    shape = measure(schema, document, None, None)
    elapsed = time.perf_counter() - started
    # F40 holds one aliased `subordinates` (cost 10); each Fi adds one and twice F(i+1),
    # so F0 expands to 2^41 - 1 of them; `me` costs 1 on top.
    expansions = 2**41 - 1
    assert shape == QueryShape(depth=3, aliases=expansions, cost=1 + 10 * expansions)
    assert elapsed < 0.5
    error = check(shape, LIMITS, "STAFF")
    assert error is not None
    assert error.message == (
        "2,199,023,255,551 aliases exceed the limit of 50 by 2,199,023,255,501"
    )


def test_a_cyclic_fragment_contributes_nothing_past_the_cycle(schema: GraphQLSchema) -> None:
    query = """
      { me { ...A } }
      fragment A on Employee { name boss: supervisor { ...B } }
      fragment B on Employee { name subordinates { ...A } }
    """
    # me 1 + supervisor 1 + subordinates 10; the inner spread of A adds nothing
    assert shape_of(schema, query) == QueryShape(depth=3, aliases=1, cost=12)
    assert shape_of(schema, "{ me { ...S } } fragment S on Employee { ...S }") == QueryShape(
        1, 0, 1
    )


def test_a_chain_of_fragments_deeper_than_the_cap_is_reported_too_deep(
    schema: GraphQLSchema,
) -> None:
    chain = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(500))
    shape = shape_of(schema, "{ ...F0 }\n" + chain + "\nfragment F500 on Query { me { name } }")
    assert shape.depth == 201


def test_an_astronomical_cost_is_reported_by_its_order() -> None:
    error = check(QueryShape(1, 0, 10**5000), LIMITS, "STAFF")
    assert error is not None
    assert error.message.startswith("query cost more than 10^4,999 exceeds the STAFF limit")
    assert error.extensions is not None
    assert error.extensions["actual"] == "more than 10^4,999"


# The extension refuses before validation and before any resolver runs.


@pytest.fixture(scope="module")
def limited_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        config=StrawberryConfig(scalar_map=SCALARS),
        extensions=[QueryLimitsExtension],
    )


def limited_context(role: str = "STAFF") -> SimpleNamespace:
    # No services: a resolver reached by mistake would fail loudly.
    return SimpleNamespace(query_limits=LIMITS, limits_role=role)


async def test_the_extension_refuses_an_over_cost_query_without_running_resolvers(
    limited_schema: strawberry.Schema,
) -> None:
    result = await limited_schema.execute(
        """query ($n: Int) { employees(first: $n) { edges { node {
          subordinates { activities(from: "2024-01-01", to: "2024-01-31") { minutes } } } } } }""",
        variable_values={"n": 500},
        context_value=limited_context("ANALYST"),
    )
    # employees, edges, node 500 each; subordinates 5,000; activities 200,000
    assert result.data is None
    assert result.errors is not None and len(result.errors) == 1
    error = result.errors[0]
    assert error.message.startswith(
        "query cost 206,500 exceeds the ANALYST limit of 50,000 by 156,500"
    )
    assert error.extensions == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "cost",
        "allowed": 50_000,
        "actual": 206_500,
    }


async def test_the_extension_refuses_before_validation_would_complain(
    limited_schema: strawberry.Schema,
) -> None:
    # Unknown fields would fail validation; the depth refusal comes first.
    query = "{ " + "x { " * 20 + "y" + " }" * 20 + " }"
    result = await limited_schema.execute(query, context_value=limited_context())
    assert result.errors is not None and len(result.errors) == 1
    assert result.errors[0].message == "query depth 21 exceeds the limit of 12 by 9"


async def test_the_extension_refuses_a_fragment_bomb(limited_schema: strawberry.Schema) -> None:
    result = await limited_schema.execute(fragment_bomb(40), context_value=limited_context())
    assert result.errors is not None and len(result.errors) == 1
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["limit"] == "aliases"


async def test_a_query_within_limits_runs_normally(limited_schema: strawberry.Schema) -> None:
    result = await limited_schema.execute("{ __typename }", context_value=limited_context())
    assert result.errors is None
    assert result.data == {"__typename": "Query"}


async def test_without_limits_in_the_context_nothing_is_refused(
    limited_schema: strawberry.Schema,
) -> None:
    result = await limited_schema.execute(aliases(1000), context_value=SimpleNamespace())
    assert result.errors is None
    assert result.data is not None and len(result.data) == 1000


# What validation compares: selections and overlaps of the whole document.


def counted(query: str) -> DocumentShape:
    return measure_document(graphql.parse(query))


def test_selections_count_every_expansion_of_a_fragment() -> None:
    query = """
      { me { ...Names boss: supervisor { ...Names } } }
      fragment Names on Employee { nip name }
    """
    # me, 2 from Names, supervisor, 2 from Names again; each spread weighs the fields of the
    # selection set it is spread into: 3 in `me`, 2 in `supervisor`
    assert counted(query) == DocumentShape(selections=6, overlaps=3 + 2)


def test_duplicate_fields_overlap_by_the_product_of_their_sizes() -> None:
    # three `me { nip }` of size 2: three pairs of 2 * 2
    assert counted("{ me { nip } me { nip } me { nip } }").overlaps == 12
    # two leaves of size 1: one pair
    assert counted("{ me { nip nip } }").overlaps == 1
    # different response names do not overlap
    assert counted("{ me { nip } boss: me { nip } }").overlaps == 0


def test_the_issues_document_has_2400_selections_and_overlaps_by_millions() -> None:
    shape = counted("{ " + "me { nip } " * 1200 + "}")
    assert shape == DocumentShape(selections=2_400, overlaps=1_200 * 1_199 // 2 * 4)
    error = check(QueryShape(2, 0, 1_200), LIMITS, "STAFF", shape)
    assert error is not None
    assert error.message == "2,400 field selections exceed the limit of 500 by 1,900"
    assert error.extensions == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "selections",
        "allowed": 500,
        "actual": 2_400,
    }


def test_fragments_spread_side_by_side_are_compared_with_each_other_and_the_fields() -> None:
    query = """
      { ...A ...B sources { name } }
      fragment A on Query { me { nip } }
      fragment B on Query { me { name } }
    """
    # the two `me` of size 2 overlap by 4; 2 spreads: 1 pair, and 2 * 3 fields beside them
    assert counted(query) == DocumentShape(selections=6, overlaps=4 + 1 + 2 * 3)


def test_inline_fragments_merge_into_the_selection_set_around_them() -> None:
    assert counted("{ me { nip ... on Employee { nip } ... { nip } } }").overlaps == 3


def test_every_definition_counts_not_only_the_operation_that_runs() -> None:
    query = """
      query Run { __typename }
      query Hidden { me { nip } me { nip } }
      fragment Unused on Query { me { nip } }
      fragment Unused on Query { me { name } }
    """
    # 1 + 4 + 2 + 2, the second definition of Unused included; Hidden overlaps by 4
    assert counted(query) == DocumentShape(selections=9, overlaps=4)


def test_a_fragment_spread_by_an_operation_counts_once_per_spread_not_again_alone() -> None:
    query = "{ me { ...N } boss: me { ...N } } fragment N on Employee { nip }"
    # 2 `me`, 2 expansions of N; each spread beside one field
    assert counted(query) == DocumentShape(selections=4, overlaps=2)


def test_a_cyclic_spread_counts_nothing_past_the_cycle() -> None:
    shape = counted("{ me { ...S } } fragment S on Employee { nip ...S }")
    assert shape.selections == 2


def test_a_fragment_bomb_is_counted_quickly_with_its_exponential_counts() -> None:
    document = graphql.parse(fragment_bomb(40))
    started = time.perf_counter()
    shape = measure_document(document)
    elapsed = time.perf_counter() - started
    # `me`, then `subordinates { name }` in each of the 2^41 - 1 expansions of a fragment
    assert shape.selections == 1 + 2 * (2**41 - 1)
    assert shape.overlaps > 2**80
    assert elapsed < 0.5


def test_past_the_merge_cap_a_spread_overlaps_every_field_beside_it() -> None:
    names = " ".join(f"a{i}: nip" for i in range(1_000))
    document = graphql.parse(
        "{ me { " + "...G " * 101 + "} } fragment G on Employee { " + names + " }"
    )
    started = time.perf_counter()
    shape = measure_document(document)
    assert time.perf_counter() - started < 0.5
    # 100 spreads merge 100,000 names: each name 100 times, so C(100, 2) pairs per name;
    # the 101st overlaps all 100,000 fields beside it; 101 spreads, 101,000 fields
    by_name = 1_000 * (100 * 99 // 2)
    assert MAX_MERGED_NAMES == 100_000
    assert shape.overlaps == by_name + 1_000 * 100_000 + 101 * 100 // 2 + 101 * 101_000


def test_a_document_nested_deeper_than_validation_allows_counts_as_too_deep(
    schema: GraphQLSchema,
) -> None:
    chain = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(200))
    query = "query Run { __typename }\nquery Hidden { ...F0 }\n" + chain
    query += "\nfragment F200 on Query { __typename }"
    document = graphql.parse(query)
    shape = counted(query)
    assert shape.too_deep
    error = check(measure(schema, document, "Run", None), LIMITS, "STAFF", shape)
    assert error is not None
    assert error.message == "query depth 201 exceeds the limit of 12 by 189"


def test_selections_and_overlaps_are_checked_after_depth_aliases_and_cost() -> None:
    over = DocumentShape(selections=501, overlaps=5_001)
    for shape, document, limit in [
        (QueryShape(13, 51, 50_001), over, "depth"),
        (QueryShape(12, 51, 50_001), over, "aliases"),
        (QueryShape(12, 50, 50_001), over, "cost"),
        (QueryShape(12, 50, 50_000), over, "selections"),
        (QueryShape(12, 50, 50_000), DocumentShape(500, 5_001), "overlaps"),
    ]:
        error = check(shape, LIMITS, "STAFF", document)
        assert error is not None and error.extensions is not None
        assert error.extensions["limit"] == limit
    assert check(QueryShape(12, 50, 50_000), LIMITS, "STAFF", DocumentShape(500, 5_000)) is None


def test_the_overlap_refusal_says_what_to_change() -> None:
    error = check(QueryShape(2, 0, 100), LIMITS, "STAFF", DocumentShape(200, 19_800))
    assert error is not None
    assert error.message == (
        "field overlaps 19,800 exceed the limit of 5,000 by 14,800 (fields that share a "
        "response name in one selection set, and fragments spread side by side, are compared "
        "pair by pair: select each field once)"
    )


def test_selection_and_overlap_limits_are_read_from_the_environment() -> None:
    settings = AccessSettings.from_env(
        {"SMARTGATE_MAX_SELECTIONS": "800", "SMARTGATE_MAX_OVERLAPS": "20000"}
    )
    assert (settings.max_selections, settings.max_overlaps) == (800, 20_000)
    defaults = AccessSettings.from_env({})
    assert (defaults.max_selections, defaults.max_overlaps) == (
        DEFAULT_MAX_SELECTIONS,
        DEFAULT_MAX_OVERLAPS,
    )


async def test_the_extension_refuses_overlapping_duplicates_before_validation(
    limited_schema: strawberry.Schema,
) -> None:
    query = "{ nothing " + "me { nip } " * 100 + "}"
    result = await limited_schema.execute(query, context_value=limited_context())
    # validation would report the unknown field; the refusal comes first
    assert result.errors is not None and len(result.errors) == 1
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["limit"] == "overlaps"


# Limits per role: analysts compare months side by side.


def test_alias_limits_are_per_role_with_the_global_limit_for_roles_without_one() -> None:
    defaults = AccessSettings()
    assert defaults.limits_of(frozenset({"ANALYST"})).max_aliases == 200
    assert defaults.limits_of(frozenset({"ADMIN"})).max_aliases == 30
    assert defaults.limits_of(frozenset()).max_aliases == 30  # anonymous

    settings = AccessSettings.from_env(
        {
            "SMARTGATE_MAX_ALIASES": "10",
            "SMARTGATE_STAFF_MAX_ALIASES": "15",
            "SMARTGATE_ANALYST_MAX_ALIASES": "60",
        }
    )
    aliases_of = {
        role: settings.limits_of(frozenset({role})).max_aliases
        for role in ("STAFF", "DEPT_SYSTEM", "ANALYST", "ADMIN")
    }
    assert aliases_of == {"STAFF": 15, "DEPT_SYSTEM": 10, "ANALYST": 60, "ADMIN": 10}
    assert settings.limits_of(frozenset({"STAFF", "ANALYST"})).max_aliases == 60
    # without a setting of its own, ANALYST keeps its default whatever the global limit
    global_only = AccessSettings.from_env({"SMARTGATE_MAX_ALIASES": "10"})
    assert global_only.limits_of(frozenset({"ANALYST"})).max_aliases == 200


def test_analyst_limits_are_sized_for_their_work() -> None:
    analyst = AccessSettings().limits_of(frozenset({"ANALYST"}))
    assert (analyst.cost, analyst.time_budget_ms, analyst.requests_per_minute) == (
        250_000,
        60_000,
        600,
    )
    with pytest.raises(ValueError, match="SMARTGATE_ANALYST_MAX_ALIASES=-1 is out of range"):
        AccessSettings.from_env({"SMARTGATE_ANALYST_MAX_ALIASES": "-1"})


def month_by_month() -> str:
    """A year of the reconciliation side by side: three aliased questions a month."""
    months = []
    for month in range(1, 13):
        period = f"2026-{month:02d}"
        months.append(
            f'm{month}: allowances(period: "{period}", first: 500) {{ totalCount edges {{ node'
            " { expected paid difference employee { name department { name } } } } }"
            f' u{month}: allowances(period: "{period}", status: UNDERPAID) {{ totalCount }}'
            f' o{month}: allowances(period: "{period}", status: OVERPAID) {{ totalCount }}'
        )
    return "query MonthByMonth { " + " ".join(months) + " }"


def test_a_month_by_month_comparison_fits_analyst_limits_but_not_the_old_ones(
    schema: GraphQLSchema,
) -> None:
    document = graphql.parse(month_by_month())
    shape = measure(schema, document, None, None)
    assert shape.aliases == 36
    settings = AccessSettings()
    analyst = settings.limits_of(frozenset({"ANALYST"}))
    assert analyst.max_aliases is not None
    limits = QueryLimits(settings.max_depth, analyst.max_aliases, analyst.cost)
    assert check(shape, limits, "ANALYST", measure_document(document)) is None
    before = QueryLimits(settings.max_depth, max_aliases=30, max_cost=100_000)
    refused = check(shape, before, "ANALYST")
    assert refused is not None and refused.extensions is not None
    assert refused.extensions["limit"] == "aliases"


def test_a_statistics_field_costs_its_first_plus_the_records_its_keys_name(
    schema: GraphQLSchema,
) -> None:
    query = """{ paymentRequestStats(first: 100, groupBy: [DEPARTMENT, TREASURER]) {
        total { count amount { sum avg } }
        groups { key { status department { name } treasurer { name } } count amount { sum } }
    } }"""
    assert shape_of(schema, query).cost == 100 * (1 + 2)
    bare = "{ paymentRequestStats { total { count } groups { key { status } count } } }"
    assert shape_of(schema, bare).cost == 1_000  # the default first
    most = "{ paymentRequestStats(first: 99999) { groups { count } } }"
    assert shape_of(schema, most).cost == 10_000  # first counts at most 10,000
