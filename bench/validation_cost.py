"""What graphql-core's validation costs for the worst documents the gateway accepts.

    python bench/validation_cost.py              # 7 runs per document
    python bench/validation_cost.py --runs 15

For each hostile shape (duplicate fields, fragments spread side by side, overlapping fields
with arguments, nested duplicates, variables, many operations, inline fragments,
directives, ...) it builds the largest document the default limits accept: 5,000 tokens;
an ADMIN's depth, aliases and cost for the operation that runs; the document's selections
and overlaps. It prints the document's size, the median time graphql-core's `validate`
takes on it against the gateway's schema and the limit one size more would exceed; then the
worst of them, apart for those only the token limit bounds; then the real queries that must
stay accepted; then, for contrast, refused documents: what measuring them costs, and what
validating them would have cost. Figures depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import graphql
from graphql import GraphQLError, GraphQLSchema

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.access.limits import QueryLimits, check, measure, measure_document  # noqa: E402
from gateway.schema import build_schema  # noqa: E402
from gateway.settings import DEFAULT_ROLE_LIMITS, AccessSettings  # noqa: E402
from tests.test_statement_counts import PINNED  # noqa: E402
from tests.test_validation_cost import GRAPHIQL_INTROSPECTION  # noqa: E402

SETTINGS = AccessSettings()
LIMITS = QueryLimits(
    SETTINGS.max_depth,
    SETTINGS.max_aliases,
    DEFAULT_ROLE_LIMITS["ADMIN"].cost,
    SETTINGS.max_selections,
    SETTINGS.max_overlaps,
)

# The operation that runs is the first; what follows it is validated all the same.
RUN = "query Run { __typename }\n"


def _fragments(count: int, body: Callable[[int], str], on: str = "Query") -> str:
    return "\n".join(f"fragment F{i} on {on} {{ {body(i)} }}" for i in range(count))


def _spreads(count: int) -> str:
    return " ".join(f"...F{i}" for i in range(count))


SHAPES: dict[str, Callable[[int], str]] = {
    "duplicate me { nip }": lambda n: "{ " + "me { nip } " * n + "}",
    "duplicate leaf nip": lambda n: "{ me { " + "nip " * n + "} }",
    "duplicates with literal arguments": lambda n: (
        "{ " + 'employees(first: 1, after: "a", filter: { nameContains: "b", rank: "c" }) '
        "{ totalCount } " * n + "}"
    ),
    "duplicates with variable arguments": lambda n: (
        "query ($year: Int, $period: Period!) { me { "
        + "financeRoles(fiscalYear: $year) { role } performance(period: $period) { score } " * n
        + "} }"
    ),
    "duplicates with differing arguments": lambda n: (
        RUN
        + "query Hidden { me { "
        + " ".join(f"roles: financeRoles(fiscalYear: {i}) {{ role }}" for i in range(n))
        + " } }"
    ),
    "same alias, different fields": lambda n: (
        RUN
        + "query Hidden { me { "
        + " ".join(f"x: {('nip', 'name', 'rank')[i % 3]}" for i in range(n))
        + " } }"
    ),
    "duplicates with directives": lambda n: (
        "query ($x: Boolean!) { me { " + "nip @include(if: $x) @skip(if: false) " * n + "} }"
    ),
    "nested duplicates": lambda n: "{ " + "me { supervisor { supervisor { nip } } } " * n + "}",
    "inline fragment duplicates": lambda n: (
        "{ me { " + "... on Employee { nip name supervisor { nip } } " * n + "} }"
    ),
    "fragments side by side, distinct fields": lambda n: (
        RUN
        + "query Hidden { "
        + _spreads(n)
        + " }\n"
        + _fragments(n, lambda i: f"a{i}: sources {{ name }}")
    ),
    "fragments side by side, same field": lambda n: (
        "{ me { " + _spreads(n) + " } }\n" + _fragments(n, lambda i: "nip name", on="Employee")
    ),
    "fragments side by side, me { nip }": lambda n: (
        "{ " + _spreads(n) + " }\n" + _fragments(n, lambda i: "me { nip }")
    ),
    "fragments in sibling fields": lambda n: (
        RUN
        + "query Hidden { me { "
        + " ".join(f"supervisor {{ ...F{i} }}" for i in range(n))
        + " } }\n"
        + _fragments(n, lambda i: "nip", on="Employee")
    ),
    "a chain of fragments": lambda n: (
        "{ me { ...F0 } }\n"
        + _fragments(n, lambda i: f"nip ...F{i + 1}", on="Employee")
        + f"\nfragment F{n} on Employee {{ nip }}"
    ),
    "one fragment spread in many places": lambda n: (
        RUN
        + "query Hidden { me { "
        + " ".join(f"a{i}: supervisor {{ nip ...E }}" for i in range(n))
        + " } }\nfragment E on Employee { nip name rank }"
    ),
    "many operations": lambda n: "\n".join(f"query Q{i} {{ me {{ nip name }} }}" for i in range(n)),
    "many operations, one fragment": lambda n: (
        "\n".join(f"query Q{i} {{ ...F }}" for i in range(n))
        + "\nfragment F on Query { me { nip name supervisor { nip } } }"
    ),
    "many variables": lambda n: (
        RUN
        + "query Hidden("
        + " ".join(f"$v{i}: Int = {i}" for i in range(n))
        + ") { me { "
        + " ".join(f"a{i}: financeRoles(fiscalYear: $v{i}) {{ role }}" for i in range(n))
        + " } }"
    ),
    "distinct aliases": lambda n: (
        RUN + "query Hidden { me { " + " ".join(f"a{i}: nip" for i in range(n)) + " } }"
    ),
    "50 duplicates beside many variables": lambda n: (
        "{ " + 'employees(first: 1, after: "a", filter: { nameContains: "b", rank: "c" }) '
        "{ totalCount } "
        * 50
        + "}\nquery Hidden("
        + " ".join(f"$v{i}: Int = {i}" for i in range(n))
        + ") { me { "
        + " ".join(f"a{i}: financeRoles(fiscalYear: $v{i}) {{ role }}" for i in range(n))
        + " } }"
    ),
    "a long list literal": lambda n: (
        RUN
        + 'query Hidden { employee(nip: ["'
        + '", "'.join(str(i) for i in range(n))
        + '"]) { nip } }'
    ),
}


def shape(schema: GraphQLSchema, document: str) -> tuple[int, int, GraphQLError | None]:
    """Selections, overlaps and the refusal (None: accepted) of `document`; a document over
    the token limit raises GraphQLSyntaxError."""
    parsed = graphql.parse(document, max_tokens=SETTINGS.max_tokens)
    counted = measure_document(parsed)
    error = check(measure(schema, parsed, None, None), LIMITS, "ADMIN", counted)
    return counted.selections, counted.overlaps, error


def refusal(schema: GraphQLSchema, document: str) -> str | None:
    """The limit that refuses `document`, None when it is accepted."""
    try:
        error = shape(schema, document)[2]
    except graphql.GraphQLSyntaxError:
        return "tokens"
    return None if error is None else str((error.extensions or {})["limit"])


def accepted(schema: GraphQLSchema, document: str) -> bool:
    return refusal(schema, document) is None


def largest(schema: GraphQLSchema, make: Callable[[int], str]) -> int:
    """The largest n for which `make(n)` is accepted (0 when even 1 is not)."""
    low, high = 0, 1
    while accepted(schema, make(high)):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if accepted(schema, make(middle)):
            low = middle
        else:
            high = middle
    return low


def tokens(document: str) -> int:
    lexer = graphql.language.Lexer(graphql.Source(document))
    count = 0
    while lexer.advance().kind != graphql.language.TokenKind.EOF:
        count += 1
    return count


def validation_ms(schema: GraphQLSchema, document: str, runs: int) -> float:
    parsed = graphql.parse(document)
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        graphql.validate(schema, parsed)
        times.append((time.perf_counter() - begin) * 1000)
    return statistics.median(times)


def row(schema: GraphQLSchema, name: str, document: str, runs: int, note: str = "") -> float:
    selections, overlaps, _ = shape(schema, document)
    ms = validation_ms(schema, document, runs)
    print(f"{name:44} {tokens(document):6,} {selections:10,} {overlaps:10,} {ms:9.1f}  {note}")
    return ms


def main(runs: int) -> None:
    schema = build_schema()._schema
    print(
        f"limits: {SETTINGS.max_tokens:,} tokens; depth {LIMITS.max_depth}, aliases "
        f"{LIMITS.max_aliases}, cost {LIMITS.max_cost:,} (ADMIN); selections "
        f"{LIMITS.max_selections:,}, overlaps {LIMITS.max_overlaps:,}; median of {runs} runs\n"
    )
    header = f"{'':44} {'tokens':>6} {'selections':>10} {'overlaps':>10} {'validate':>9}"
    print("largest accepted document of each shape (n)\n" + header + " ms  one more: refused on")
    worst: dict[bool, tuple[str, float]] = {}
    for name, make in SHAPES.items():
        n = largest(schema, make)
        bound = refusal(schema, make(n + 1)) or ""
        ms = row(schema, f"{name} ({n:,})", make(n), runs, bound)
        by_new_limits = bound in ("selections", "overlaps")
        if ms > worst.get(by_new_limits, ("", 0.0))[1]:
            worst[by_new_limits] = (name, ms)
    for by_new_limits, (name, ms) in sorted(worst.items(), reverse=True):
        bounded = "selections or overlaps" if by_new_limits else "other limits (tokens)"
        print(f"worst accepted, bounded by {bounded}: {name}, {ms:.1f} ms")

    print("\nreal queries, accepted\n" + header + " ms")
    real = {"GraphiQL introspection": GRAPHIQL_INTROSPECTION}
    real |= {name: query for name, (query, _) in PINNED.items()}
    for name, document in real.items():
        assert accepted(schema, document), name
        row(schema, name, document, runs)

    print("\nrefused, for contrast\n" + header + f" ms {'measure':>9} ms  refused on")
    refused = {
        "1,200 x me { nip }": SHAPES["duplicate me { nip }"](1200),
        "400 fragments of me { nip }": SHAPES["fragments side by side, me { nip }"](400),
    }
    for name, document in refused.items():
        parsed = graphql.parse(document, max_tokens=SETTINGS.max_tokens)
        begin = time.perf_counter()
        counted = measure_document(parsed)
        error = check(measure(schema, parsed, None, None), LIMITS, "ADMIN", counted)
        measure_ms = (time.perf_counter() - begin) * 1000
        assert error is not None and error.extensions is not None, name
        ms = validation_ms(schema, document, runs)
        print(
            f"{name:44} {tokens(document):6,} {counted.selections:10,} {counted.overlaps:10,} "
            f"{ms:9.1f} {measure_ms:12.2f}  {error.extensions['limit']}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    main(parser.parse_args().runs)
