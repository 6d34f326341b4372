"""Every root field, mutation and subscription of the schema, asked with random and hostile
values for each argument and input field (and for the arguments of fields one level below):
nothing crashes. No answer is a 5xx, every error carries `extensions.code` and none is
INTERNAL (a crash's traceback is quoted from the log by its request id), and a mutation
that is refused leaves the legacy tables as they were.

The operations come from the built schema (`build_schema()._schema`), not from a list kept
here, so a new field, argument or input field is tried without touching this file. Each
operation passes its arguments through variables, so any JSON value reaches the gateway,
wrong types included; some arguments are written as literals instead. Values are valid
ones from the seeded database mixed with hostile ones (huge and tiny numbers, NaN, NUL,
lone surrogates, very long text, unicode digits, wrong JSON types, forged cursors,
impossible dates), and near misses of valid text (a final newline, other digits). Most
mutations start from a valid input of the seed with one or two values changed, so that
the bad value reaches the write's own checks; one test tries every near miss of every text
of a valid input exhaustively. Subscriptions run on a real socket (graphql-transport-ws).

In CI each property runs a few hundred derandomised examples (about half a minute for the
file). To search harder: SMARTGATE_PROPERTY_EXAMPLES=1000 pytest tests/test_schema_properties.py
runs that many fresh random examples per property.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import dataclasses
import json
import logging
import math
import os
import re
import string
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLType,
    Undefined,
    coerce_input_value,
    get_named_type,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from websockets.asyncio.client import ClientConnection, connect

from connectors.domain import WIB
from connectors.nip import dotted, spaced
from gateway.app import create_app
from gateway.crosswalk import Crosswalk
from gateway.input_check import MAX_FILTER_NESTING
from gateway.schema import build_schema
from gateway.settings import DEFAULT_ROLE_LIMITS, Settings
from tests.conftest import (
    Databases,
    Gateway,
    close_gateway,
    open_gateway,
    seeded,
    settings_for,
    token,
    uvicorn_serving,
)

SCHEMA = build_schema()._schema
YEAR = 2026

_ASKED = int(os.environ.get("SMARTGATE_PROPERTY_EXAMPLES", "0") or 0)


def examples(in_ci: int) -> Any:
    """Hypothesis settings: `in_ci` derandomised examples, or SMARTGATE_PROPERTY_EXAMPLES
    fresh ones."""
    return settings(
        max_examples=_ASKED or in_ci,
        deadline=None,
        derandomize=not _ASKED,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# -- documents, from the schema -----------------------------------------------------------

Tree = dict[str, "Tree | None"]
"""A selection set: response key (with its arguments) to its own selection, None for a leaf."""

_WRAPPER_LEAVES = {"totalCount", "cursor"}


def is_leaf(type_: GraphQLType) -> bool:
    return isinstance(get_named_type(type_), GraphQLScalarType | GraphQLEnumType)


def base_selection(obj: GraphQLObjectType, depth: int) -> Tree:
    """Every leaf without arguments, and the objects below without arguments down to
    `depth` levels; connections, edges and payloads (nothing of their own but counts and
    cursors) do not use up a level, so `edges { node { ... } }` and `errors { ... }` are
    always there."""
    tree: Tree = {n: None for n, f in obj.fields.items() if not f.args and is_leaf(f.type)}
    below = depth if tree.keys() <= _WRAPPER_LEAVES else depth - 1
    if depth > 0:
        for name, f in obj.fields.items():
            child = get_named_type(f.type)
            if not f.args and isinstance(child, GraphQLObjectType):
                tree[name] = base_selection(child, below)
    return tree or {"__typename": None}


@dataclass(frozen=True)
class Nested:
    """A field with arguments below a root field, reached through fields without any."""

    path: tuple[str, ...]
    parent: GraphQLObjectType
    name: str

    @property
    def field(self) -> GraphQLField:
        return self.parent.fields[self.name]


def nested_fields(obj: GraphQLObjectType, steps: int = 4) -> list[Nested]:
    """Each object field with arguments reachable from `obj`, by its shortest path."""
    found: list[Nested] = []
    seen = {obj.name}
    queue: list[tuple[tuple[str, ...], GraphQLObjectType]] = [((), obj)]
    while queue:
        path, parent = queue.pop(0)
        for name, f in parent.fields.items():
            child = get_named_type(f.type)
            if not isinstance(child, GraphQLObjectType):
                continue
            if f.args:
                found.append(Nested(path, parent, name))
            elif len(path) < steps and child.name not in seen:
                seen.add(child.name)
                queue.append(((*path, name), child))
    return found


def render(tree: Tree) -> str:
    return " ".join(k if v is None else f"{k} {{ {render(v)} }}" for k, v in tree.items())


_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


class NoLiteral(Exception):
    """A value GraphQL cannot spell as a literal (NaN, a key that is no name)."""


def literal(value: Any, type_: GraphQLType | None) -> str:
    """`value` written as a GraphQL literal for an argument of `type_` (None: unknown)."""
    named = get_named_type(type_) if type_ is not None else None
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NoLiteral
        return repr(value)
    if isinstance(value, str):
        if isinstance(named, GraphQLEnumType) and _NAME.fullmatch(value):
            return value
        return json.dumps(value)  # GraphQL strings take JSON's escapes
    inner = type_
    while isinstance(inner, GraphQLNonNull):
        inner = inner.of_type
    if isinstance(value, list):
        item = inner.of_type if isinstance(inner, GraphQLList) else None
        return "[" + ", ".join(literal(v, item) for v in value) + "]"
    fields = named.fields if isinstance(named, GraphQLInputObjectType) else {}
    parts = []
    for key, v in value.items():
        if not _NAME.fullmatch(key):
            raise NoLiteral
        parts.append(f"{key}: {literal(v, fields[key].type if key in fields else None)}")
    return "{" + ", ".join(parts) + "}"


@dataclass
class Operation:
    kind: str
    field: str
    document: str
    variables: dict[str, Any]

    def body(self) -> str:
        """The request body, encoded here: lone surrogates travel as \\ud800 escapes, and
        NaN and Infinity as the bare words no JSON parser should take."""
        return json.dumps({"query": self.document, "variables": self.variables}, allow_nan=True)

    def shown(self) -> str:
        return f"{self.document}\nvariables: {json.dumps(self.variables)[:2000]}"


# -- values -------------------------------------------------------------------------------


def forged(value: Any) -> str:
    """A cursor made by hand: base64 of any JSON (NaN as the bare word)."""
    raw = value if isinstance(value, str) else json.dumps(value, allow_nan=True)
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")


CURSOR_TAGS = ["employee", "allowance", "line", "payment:REQUESTED_AT_DESC"]
CURSOR_TAGS += ["payment:REQUESTED_AT_ASC", "payment:AMOUNT_DESC", "payment:AMOUNT_ASC"]
CURSOR_TAGS += ["payment:NUMBER_ASC", "payment:DISBURSED_AT_DESC,AMOUNT_ASC"]
CURSOR_TAGS += ["line:CEILING_DESC", "line:ABSORPTION_ASC,REMAINING_DESC"]
CURSOR_TAGS += ["employee:NAME_ASC", "employee:RANK_DESC,NIP_ASC", "activity:STARTS_AT_ASC"]
CURSOR_TAGS += ["activity:MINUTES_DESC,STARTS_AT_ASC"]

FORGED_CURSORS = [
    forged(["employee", 5]),
    forged(["employee", "19860926\u00002015051001"]),
    forged(["employee", "١" * 18]),
    forged(["employee", None]),
    forged(["allowance", ["x"]]),
    forged(["line", 2**40]),
    forged(["line", 0]),
    forged(["line", -1]),
    forged(["line", 1.0]),
    forged(["line", True]),
    forged('["line",1e400]'),
    forged('["line",NaN]'),
    forged(["payment:AMOUNT_DESC", ["1e400", 1]]),
    forged(["payment:AMOUNT_DESC", ["NaN", 1]]),
    forged(["payment:AMOUNT_ASC", ["0.001", 1]]),
    forged(["payment:AMOUNT_ASC", ["1", 2**40]]),
    forged(["payment:REQUESTED_AT_DESC", ["2026-01-01T00:00:00", 2**40]]),
    forged(["payment:REQUESTED_AT_DESC", ["2026-01-01T00:00:00+07:00", 5]]),
    forged(["payment:REQUESTED_AT_ASC", ["0001-01-01T00:00:00", 1]]),
    forged(["payment:REQUESTED_AT_ASC", ["2026-02-30T00:00:00", 1]]),
    forged(["payment:REQUESTED_AT_ASC", ["9999-12-31T23:59:59", 1]]),
    forged(["payment:REQUESTED_AT_ASC", ["2026-01-01T00:00:00", 1, 2]]),
    forged("[]"),
    forged("{}"),
    forged("null"),
    forged('"employee"'),
    forged("\ud800"),
    base64.urlsafe_b64encode(b"\xff\xfe[]").decode(),
    "%%%",
    "====",
    "A" * 201,
]

INTS = [0, 1, -1, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**53 + 1, 2**63, -(2**63) - 1]
INTS += [10**400, -(10**400), 32767, 32768, 65536, 70000, 501, 1999, 2101, 9999]
FLOATS = [1.5, -0.0, 1e308, -1e308, 1e-308, 5e-324, 2026.0, math.nan, math.inf, -math.inf]

TEXTS = ["", " ", "\t\n ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\udc00\ud800"]
TEXTS += ["١٢٣", "１２３", "٢٠٢٦", "\u200b", "\ufeff", "💥", "e\u0301", "null", "NaN"]
TEXTS += ["' or 1=1 --", "%", "_", "\\", "$1", "{}", "[]", "0", "-1", "1e400", "Infinity"]

NIPS = ["12345", "1" * 19, "1" * 40, "١" * 18, "19860926201505100\x001", "19860926 2015051001"]
NIPS += ["19860926-201505-1-001", "1986.0926.2015.0510.01", " " * 18, "198609262015051001 x"]

PERIODS = ["2026-13", "2026-00", "9999-01", "0000-01", "1999-12", "2101-01", "2026-1"]
PERIODS += ["2026-01-01", "202601", "٢٠٢٦-٠١", "2026-01 ", "+2026-01", "2026/01"]

DATES = ["0000-01-01", "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "20260101"]
DATES += ["2026-01-01T00:00", "2026-1-1", "+2026-01-01", " 2026-01-01", "1999-12-31"]
DATES += ["2101-01-01", "2000-01-01", "2100-12-31", "٢٠٢٦-٠١-٠١", "2026-W01-1"]

MOMENTS = ["2026-01-01T08:00:00", "2026-01-01T08:00", "0000-01-01T00:00:00+07:00"]
MOMENTS += ["9999-12-31T23:59:59Z", "2026-02-30T08:00:00+07:00", "2026-01-01T25:00:00+07:00"]
MOMENTS += ["2026-01-01T08:00:00+99:99", "2026-01-01T08:00:00.1234567+07:00", "2026-01-01"]
MOMENTS += ["2026-01-01 08:00:00+07:00", "2026-01-01T08:00:00+24:00", "1999-12-31T23:59:59Z"]
MOMENTS += ["2100-12-31T23:59:59-12:00", "2000-01-01T00:00:00+14:00"]

AMOUNTS = ["1e400", "1e-400", "NaN", "-Infinity", "sNaN", "1.005", "-5", "0", "-0.00"]
AMOUNTS += ["100000000000000000", "9" * 41, "1e20", "123456789012345678901.12345678901234567890"]
AMOUNTS += ["0.00000000000000000001", "  1  ", "1_000", "1,5", "١٠٠", ".5", "5.", "1e+5"]
AMOUNTS += ["99999999999999.995", "9999999999999999.99", "10000000000000000", "0.01"]

JUNK: SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(FLOATS),
    st.text(max_size=5),
    st.lists(st.integers(-2, 2), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(-2, 2), max_size=2),
)
"""Values of the wrong JSON type for most places."""

LONG_TEXT = st.one_of(
    st.builds(lambda c, n: c * n, st.sampled_from("a9 .%"), st.integers(10_000, 100_000)),
    st.builds(lambda c, n: c * n, st.sampled_from(["ä", "١", "💥"]), st.integers(10_000, 35_000)),
)
"""Within the 256 KiB body limit (a non-ASCII character travels as a 6- or 12-byte escape)."""

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
"""Any code points, lone surrogates and NUL included."""

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
"""Any JSON value, NaN and Infinity included."""

ANY_CURSOR = st.builds(
    lambda tag, value: forged([tag, value]), st.sampled_from(CURSOR_TAGS), ANY_JSON
)
"""A cursor of any list this API has, holding anything."""


_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_EDITS: list[Callable[[str], str]] = [
    lambda t: t + "\n",
    lambda t: "\n" + t,
    lambda t: f" {t} ",
    lambda t: t + "\x00",
    lambda t: t[:1] + "\ud800" + t[1:],
    lambda t: t.translate(_DIGITS),
    lambda t: t[:4].translate(_DIGITS) + t[4:],
    lambda t: t.replace("0", "\uff10"),  # fullwidth
    lambda t: t.replace("-", "\u2011"),  # non-breaking hyphen
    lambda t: t[:-1],
    lambda t: t + t[-1:],
    lambda t: t.lower(),
]


def near_misses(valid: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """Valid text with one edit: a newline or space around it, a NUL or lone surrogate
    inside, other digits (Arabic-Indic, fullwidth), a character less or more."""
    return st.tuples(valid, st.sampled_from(_EDITS)).map(
        lambda pair: pair[1](pair[0]) if isinstance(pair[0], str) else pair[0]
    )


@dataclass(frozen=True)
class Seeded:
    """Valid values, read from the property test's own database."""

    nips: list[str]
    staff: str  # an employee with people below
    departments: list[str]  # finance codes of the year, with their sub-units
    department: str  # the OPD-level code of `staff`'s unit
    requests: list[str]
    activities: list[str]
    lines: list[str]
    units: list[int]
    officials: list[str]  # PPK_SKPD and PA of `department`, and KUASA_BUD
    cursors: list[str]
    inputs: dict[str, list[dict[str, Any]]]
    """Valid inputs by input type, as clients send them: the start of most mutations, so
    that an edit of one field reaches the write's own rules (budget, transitions, keys)."""


class Values:
    """Strategies for the values of each input type, by the schema: valid ones from the
    seeded data, hostile ones `hostility` percent of the time. `focused`: an input that
    has valid examples is one of them with exactly one value changed, or none."""

    def __init__(self, seeded: Seeded, hostility: int, focused: bool = False) -> None:
        self.seeded = seeded
        self.hostility = hostility
        self.focused = focused
        self.building: list[str] = []  # the input types whose values are being built
        self.built: dict[tuple[str, int], tuple[SearchStrategy[Any], SearchStrategy[Any]]] = {}
        """(valid, hostile) values of an input type at a depth of itself (filters nest)."""

    def of(self, type_: GraphQLInputType, name: str) -> SearchStrategy[Any]:
        """Values for an argument or input field `name` of this type: valid ones, null
        now and then where it may be null, and hostile ones `hostility` percent of the
        time (null included where it may not be)."""
        valid, hostile = self.parts(type_, name)
        nullable = not isinstance(type_, GraphQLNonNull)
        if self.focused and get_named_type(type_).name in self.seeded.inputs:
            return valid

        def pick(k: int) -> SearchStrategy[Any]:
            if k >= 100 - self.hostility:
                return hostile if nullable else st.one_of(hostile, st.none())
            if nullable and k < 10:
                return st.none()
            return valid

        return st.integers(0, 99).flatmap(pick)

    def parts(
        self, type_: GraphQLInputType, name: str
    ) -> tuple[SearchStrategy[Any], SearchStrategy[Any]]:
        """(valid, hostile) values of a type, recursively for lists and input objects."""
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(inner, GraphQLList):
            item = self.of(inner.of_type, name)
            valid: SearchStrategy[Any] = st.lists(item, max_size=3)
            hostile: SearchStrategy[Any] = st.one_of(item, st.lists(item, min_size=30))
        elif isinstance(inner, GraphQLInputObjectType):
            depth = self.building.count(inner.name)
            if depth > MAX_FILTER_NESTING + 1:
                # filters in `not` and `anyOf`: down to one level deeper than the edge lets
                # through, so that refusal is tried too
                return st.none(), st.none()
            if (inner.name, depth) in self.built:
                return self.built[inner.name, depth]
            fields = inner.fields
            self.building.append(inner.name)
            try:
                required = {
                    n: self.of(f.type, n)
                    for n, f in fields.items()
                    if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
                }
                optional = {n: self.of(f.type, n) for n, f in fields.items() if n not in required}
            finally:
                self.building.pop()
            valid = st.fixed_dictionaries(required, optional=optional)
            templates = self.seeded.inputs.get(inner.name)
            if templates and self.focused:
                valid = st.sampled_from(templates).flatmap(lambda t: self.edited(inner, t, 1))
            elif templates:
                edited = st.sampled_from(templates).flatmap(lambda t: self.edited(inner, t))
                valid = st.one_of(edited, edited, edited, valid)
            hostile = st.one_of(
                valid.map(lambda d: {**d, "unknownField": 1}),
                st.fixed_dictionaries({n: JUNK for n in fields}),
                st.just([]),
            )
            self.built[inner.name, depth] = valid, st.one_of(hostile, JUNK)
        else:
            assert isinstance(inner, GraphQLScalarType | GraphQLEnumType)
            valid, hostile = self.named(inner, name)
            hostile = st.one_of(hostile, near_misses(valid))
        return valid, st.one_of(hostile, JUNK)

    def edited(
        self, type_: GraphQLInputObjectType, template: dict[str, Any], most: int = 2
    ) -> SearchStrategy[Any]:
        """`template` as it is, or with up to `most` of its values replaced, at any depth
        (a field left out is given, a list item or the whole list changed), so that a bad
        value meets an otherwise good input and reaches the write's own checks. Text is
        mostly replaced by a near miss of itself."""
        places = list(_places(type_, template, ()))

        @st.composite
        def edit(draw: st.DrawFn) -> Any:
            value = copy.deepcopy(template)
            chosen = draw(
                st.lists(st.sampled_from(places), min_size=min(most, 1), max_size=most, unique=True)
            )
            for path, place_type, name in chosen:
                valid, hostile = self.parts(place_type, name)
                other = st.one_of(valid, hostile, st.none())
                now = _at(value, path)
                if isinstance(now, str):
                    other = st.one_of(near_misses(st.just(now)), other)
                _put(value, path, draw(other))
            return value

        return edit()

    def named(
        self, type_: GraphQLScalarType | GraphQLEnumType, name: str
    ) -> tuple[SearchStrategy[Any], SearchStrategy[Any]]:
        """(valid, hostile) values of a scalar or enum, the valid ones by argument name
        where the name says which source key it is."""
        if isinstance(type_, GraphQLEnumType):
            names = sorted(type_.values)
            return st.sampled_from(names), st.one_of(
                st.sampled_from([n.lower() for n in names] + ["NONSENSE", ""]), st.just(1)
            )
        s = self.seeded
        scalar = type_.name
        if scalar == "Int":
            valid_ints = {
                "fiscalYear": st.sampled_from([YEAR, YEAR - 1]),
                "first": st.sampled_from([0, 1, 2, 5]),
                "unitId": st.sampled_from(s.units),
                "unitIdIn": st.sampled_from(s.units),
            }.get(name, st.integers(0, 5))
            return valid_ints, st.one_of(
                st.sampled_from(INTS), st.integers(), st.sampled_from(FLOATS), st.just("5")
            )
        if scalar == "Boolean":
            return st.booleans(), st.sampled_from(["true", 0, 1, "yes"])
        if scalar == "Nip":
            nip = st.sampled_from(s.nips)
            return st.one_of(
                nip, nip.map(spaced), nip.map(dotted), st.from_regex(r"\A[0-9]{18}\Z")
            ), st.one_of(st.sampled_from(NIPS), ANY_TEXT, st.just(int(s.nips[0])))
        if scalar == "Period":
            months = [f"{y}-{m:02d}" for y in (YEAR - 1, YEAR) for m in range(1, 13)]
            return st.sampled_from(months), st.one_of(st.sampled_from(PERIODS), ANY_TEXT)
        if scalar == "Date":
            days = st.dates(date(YEAR - 1, 7, 1), date(YEAR, 12, 31)).map(date.isoformat)
            return days, st.one_of(st.sampled_from(DATES), ANY_TEXT, st.just(20260101))
        if scalar == "DateTime":
            # a few mornings of 2027, clear of the seeded activities: some pairs make a period
            start = datetime(YEAR + 1, 1, 4, 7, tzinfo=WIB)
            moments = st.builds(
                lambda d, m: (start + timedelta(days=d, minutes=30 * m)).isoformat(),
                st.integers(0, 3),
                st.integers(0, 20),
            )
            return moments, st.one_of(st.sampled_from(MOMENTS), ANY_TEXT)
        if scalar == "Decimal":
            amounts = st.decimals(min_value="0.01", max_value="10000000", places=2).map(str)
            return st.one_of(amounts, st.sampled_from(["1500000.00", 250000, 1.5])), st.one_of(
                st.sampled_from(AMOUNTS), st.sampled_from(INTS), st.sampled_from(FLOATS), ANY_TEXT
            )
        # String, ID and any scalar added later: text, a source key where the name says so
        hostile = st.one_of(
            st.sampled_from(TEXTS),
            ANY_TEXT,
            LONG_TEXT,
            st.sampled_from(FORGED_CURSORS),
            ANY_CURSOR,
        )
        pools: dict[str, list[Any]] = {
            "code": s.departments,
            "departmentCode": s.departments,
            "number": s.requests,
            "activityId": s.activities,
            "budgetLineId": s.lines,
            "departmentCodeIn": s.departments,
            "accountCodePrefix": ["5.1.02", "5.1", "5.2.02.01", "5"],
            "after": s.cursors,
            "nameContains": ["Budi", "a", "Siti", "S.Kom"],
            "rank": ["III/a", "IV/b", "II/c"],
            "rankIn": ["III/a", "IV/b", "II/c", "IX"],
        }
        if name in pools:
            return st.sampled_from(pools[name]), hostile
        words = st.text(string.ascii_letters + " ", min_size=1, max_size=30)
        if name == "idempotencyKey":
            return st.text(string.ascii_letters, min_size=1, max_size=12), hostile
        return st.one_of(words, st.sampled_from(["Menyusun laporan", "Belanja ATK"])), hostile


Path = tuple[str | int, ...]


def _places(
    type_: GraphQLInputType, value: Any, path: Path
) -> Iterator[tuple[Path, GraphQLInputType, str]]:
    """Every place of `value` (an input of `type_`) that an edit may change: each input
    field, given or not, each list item, each list, with its type and name."""
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLInputObjectType) and isinstance(value, dict):
        for name, input_field in inner.fields.items():
            yield (*path, name), input_field.type, name
            if name in value:
                yield from _places(input_field.type, value[name], (*path, name))
    elif isinstance(inner, GraphQLList) and isinstance(value, list):
        name = str(path[-1]) if path else ""
        for index, item in enumerate(value):
            yield (*path, index), inner.of_type, name
            yield from _places(inner.of_type, item, (*path, index))


def _at(value: Any, path: Path) -> Any:
    """What `value` holds at `path`, None if nothing."""
    with contextlib.suppress(LookupError, TypeError):
        for step in path:
            value = value[step]
        return value
    return None


def _put(value: Any, path: Path, new: Any) -> None:
    """`new` at `path` in `value`, unless an earlier edit took the way there away."""
    *way, last = path
    with contextlib.suppress(LookupError, TypeError):
        for step in way:
            value = value[step]
        value[last] = new


@st.composite
def operations(draw: st.DrawFn, values: Values, kind: str, root: GraphQLObjectType) -> Operation:
    """One operation on a root field of `root`, with up to three fields with arguments
    below it (none when `values` are focused on one change); every argument through a
    variable or, now and then, as a literal."""
    name = draw(st.sampled_from(sorted(root.fields)))
    definition = root.fields[name]
    declared: list[str] = []
    variables: dict[str, Any] = {}

    def arguments(f: GraphQLField) -> str:
        given = []
        for arg_name, arg in f.args.items():
            required = isinstance(arg.type, GraphQLNonNull)
            left_out = draw(st.integers(0, 19)) == 0 or (not required and draw(st.booleans()))
            if left_out and not values.focused:
                continue  # left out: its default, or a missing required argument
            value = draw(values.of(arg.type, arg_name))
            if draw(st.integers(0, 4)) == 0:
                try:
                    given.append(f"{arg_name}: {literal(value, arg.type)}")
                    continue
                except NoLiteral:
                    pass
            variable = f"v{len(declared)}"
            declared.append(f"${variable}: {arg.type}")
            if value is not None or draw(st.booleans()):
                variables[variable] = value  # else not sent at all
            given.append(f"{arg_name}: ${variable}")
        return f"({', '.join(given)})" if given else ""

    key = name + arguments(definition)
    named = get_named_type(definition.type)
    if isinstance(named, GraphQLObjectType):
        tree = base_selection(named, 1)
        candidates = nested_fields(named)
        chosen = (
            draw(st.lists(st.sampled_from(candidates), max_size=3, unique=True))
            if candidates and not values.focused
            else []
        )
        for nested in chosen:
            event(f"below: {nested.parent.name}.{nested.name}")
            node = tree
            for step in nested.path:
                child = node.get(step)
                if child is None:
                    child = node[step] = {"__typename": None}
                node = child
            below = get_named_type(nested.field.type)
            assert isinstance(below, GraphQLObjectType)
            node[nested.name + arguments(nested.field)] = base_selection(below, 1)
        key += f" {{ {render(tree)} }}"
    head = f"{kind}({', '.join(declared)})" if declared else kind
    return Operation(kind, name, f"{head} {{ {key} }}", variables)


# -- callers ------------------------------------------------------------------------------

ROLES = ["ADMIN", "ADMIN", "ADMIN", "STAFF", "DEPT_SYSTEM", "FINANCE", "ANALYST", None]
WRITERS = ["ADMIN", "ADMIN", "ADMIN", "STAFF", "DEPT_SYSTEM", "FINANCE"]


def bearer_of(role: str | None, seeded: Seeded, pick: int) -> str | None:
    """A token of `role` (None: anonymous) for a real person or department of the seed."""
    if role is None:
        return None
    if role == "STAFF":
        return token(role, seeded.staff)
    if role == "DEPT_SYSTEM":
        return token(role, "props-system", seeded.department)
    official = seeded.officials[pick % len(seeded.officials)]
    if role == "FINANCE" or (role == "ADMIN" and pick % 2):
        return token(role, official)  # one who may take the steps of payment requests
    return token(role, f"props-{role.lower()}")


# -- the app under test -------------------------------------------------------------------


class Crashes(logging.Handler):
    """The gateway's log records of crashes, to quote a crash's traceback by request id."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def of(self, request_id: str | None) -> str:
        formatter = logging.Formatter()
        found = [
            record.getMessage()
            + ("\n" + formatter.formatException(record.exc_info) if record.exc_info else "")
            for record in self.records
            if request_id and request_id in record.getMessage()
        ]
        return "\n".join(found) or f"no log record with request id {request_id}"


@contextmanager
def crash_log() -> Iterator[Crashes]:
    handler = Crashes()
    logger = logging.getLogger("smartgate")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def unlimited(db: Databases, production: bool) -> Settings:
    """The app's settings, without a rate limit that thousands of examples would hit."""
    limits = {
        role: dataclasses.replace(limit, requests_per_minute=1_000_000)
        for role, limit in DEFAULT_ROLE_LIMITS.items()
    }
    return settings_for(db, production=production, role_limits=limits)


@pytest.fixture(scope="module")
async def props_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return await seeded(pg_server, tmp_path_factory.mktemp("props"), "props", "small")


@pytest.fixture(scope="module")
async def production(props_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(props_db, unlimited(props_db, production=True))
    yield gw
    await close_gateway(gw)


@pytest.fixture(scope="module")
async def development(props_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(props_db, unlimited(props_db, production=False))
    yield gw
    await close_gateway(gw)


@pytest.fixture(scope="module")
def crashes() -> Iterator[Crashes]:
    with crash_log() as handler:
        yield handler


@dataclass
class Legacy:
    """Direct SQL on the property test's databases."""

    ekin: asyncpg.Connection
    sppspm: asyncpg.Connection

    async def tables(self) -> dict[str, tuple[int, int]]:
        """For each table a mutation writes, its row count and the newest transaction that
        inserted or updated one of its rows (`xmin`): any committed write moves one of them,
        and reading them costs a few milliseconds (a checksum of every row, forty)."""
        found: dict[str, tuple[int, int]] = {}
        for conn, tables in ((self.ekin, EKIN_TABLES), (self.sppspm, SPPSPM_TABLES)):
            rows = await conn.fetch(
                " union all ".join(
                    f"select '{t}', count(*), coalesce(max(xmin::text::int8), 0) from {t}"
                    for t in tables
                )
            )
            found |= {row[0]: (row[1], row[2]) for row in rows}
        return found


EKIN_TABLES = ("kinerja",)
SPPSPM_TABLES = ("spp", "spm", "sp2d", "riwayat_status", "tpp_rincian")


@pytest.fixture(scope="module")
async def legacy(props_db: Databases) -> AsyncIterator[Legacy]:
    async with AsyncExitStack() as stack:
        ekin = await asyncpg.connect(props_db.ekin_dsn)
        stack.push_async_callback(ekin.close)
        sppspm = await asyncpg.connect(props_db.sppspm_dsn)
        stack.push_async_callback(sppspm.close)
        yield Legacy(ekin, sppspm)


CURSORS = """
query($d: String!) {
  employees(first: 2) { pageInfo { endCursor } }
  allowances(period: "2026-03", first: 2) { pageInfo { endCursor } }
  byTime: paymentRequests(first: 2) { pageInfo { endCursor } }
  byAmount: paymentRequests(first: 2, orderBy: AMOUNT_ASC) { pageInfo { endCursor } }
  bySp2d: paymentRequests(first: 2, orderBy: [DISBURSED_AT_DESC, NUMBER_ASC]) {
    pageInfo { endCursor } }
  lines: budgetLines(first: 2, orderBy: [ABSORPTION_DESC]) { pageInfo { endCursor } }
  byRank: employees(first: 2, orderBy: [RANK_DESC, NAME_ASC]) { pageInfo { endCursor } }
  activities(first: 2, filter: {from: "2026-10-01", to: "2026-10-31"}, orderBy: [MINUTES_DESC]) {
    pageInfo { endCursor } }
  department(code: $d) { budget { lines(first: 2) { pageInfo { endCursor } } } }
}
"""


def _found(data: Any) -> Iterator[str]:
    """Every endCursor in a response."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "endCursor" and isinstance(value, str):
                yield value
            else:
                yield from _found(value)


@pytest.fixture(scope="module")
async def seeded_values(props_db: Databases, legacy: Legacy, production: Gateway) -> Seeded:
    ekin, sppspm = legacy.ekin, legacy.sppspm
    crosswalk = Crosswalk.load(props_db.crosswalk)
    codes = sorted({code for year, code in crosswalk.codes() if year == YEAR})
    head = await ekin.fetchrow(
        "select p.nip, p.id_skpd from pegawai p where p.aktif and exists"
        " (select 1 from jabatan j where j.id_atasan = p.id_jabatan) order by p.nip limit 1"
    )
    assert head is not None
    department = crosswalk.department_of(YEAR, head["id_skpd"])
    assert department is not None
    staff = await ekin.fetch(
        "select nip from pegawai where aktif and id_skpd = any($1::int[]) order by nip limit 20",
        crosswalk.units_of(YEAR, department),
    )
    nips = [r["nip"] for r in await ekin.fetch("select nip from pegawai order by nip limit 200")]
    pending = await ekin.fetch(
        "select id from kinerja where approve is null order by id desc limit 30"
    )
    requests = await sppspm.fetch(
        "select s.nomor_spp, s.nilai, s.status, m.status_spm, d.id as sp2d from spp s"
        " left join spm m on m.id_spp = s.id left join sp2d d on d.id_spm = m.id"
        " where s.tahun = $1 order by s.id",
        YEAR,
    )
    lines = [
        await sppspm.fetchval(
            "insert into anggaran (tahun, kode_skpd, kode_sub_kegiatan, kode_rekening, uraian,"
            " pagu) values ($1, $2, '1.02.01.2.01.0001', '5.1.02.01.01.0024', 'Belanja uji',"
            " $3) returning id",
            YEAR,
            department,
            Decimal(pagu),
        )
        for pagu in ("900000000000", "5000000")  # the first never runs out
    ]
    officials = await sppspm.fetch(
        "select distinct nip from pejabat where tahun = $1 and"
        " (peran = 'KUASA_BUD' or (kode_skpd = $2 and peran in ('PPK_SKPD', 'PA')))",
        YEAR,
        department,
    )
    data = await production.data(CURSORS, {"d": department})
    return Seeded(
        nips=nips,
        staff=head["nip"],
        departments=codes,
        department=department,
        requests=[r["nomor_spp"] for r in requests],
        activities=[str(r["id"]) for r in pending],
        lines=[str(line) for line in lines],
        units=[r[0] for r in await ekin.fetch("select id from skpd order by id limit 20")],
        officials=[digits_of(r["nip"]) for r in officials],
        cursors=list(_found(data)),
        inputs=valid_inputs(
            department, [r["nip"] for r in staff], [r["id"] for r in pending], requests, lines
        )
        | filter_inputs(department, [r["nip"] for r in staff]),
    )


def valid_inputs(
    department: str,
    staff: list[str],
    pending: list[int],
    requests: list[asyncpg.Record],
    lines: list[int],
) -> dict[str, list[dict[str, Any]]]:
    """Inputs each mutation would accept from an administrator with an official's NIP."""
    morning = datetime(YEAR + 1, 2, 1, 8, tzinfo=WIB)
    submitted = [r for r in requests if r["status"] == 1 and r["status_spm"] is None]
    verified = [r for r in requests if r["status"] == 2 and r["status_spm"] is None]
    ordered = [r for r in requests if r["status_spm"] in (0, 1, 2) and r["sp2d"] is None]
    first, second = staff[:2]
    line = str(lines[0])
    return {
        "LogActivityInput": [
            {
                "nip": nip,
                "kind": "WORK",
                "startsAt": (morning + timedelta(days=day)).isoformat(),
                "endsAt": (morning + timedelta(days=day, minutes=90)).isoformat(),
                "description": "Menyusun laporan kegiatan",
                "output": "Laporan",
                "volume": 1,
            }
            for nip in staff[:5]
            for day in range(6)
        ],
        "ReviewActivityInput": [
            {"activityId": str(i), "approve": n % 2 == 0, "note": "Kurang lengkap"}
            for n, i in enumerate(pending)
        ],
        "SubmitPaymentRequestInput": [
            {
                "departmentCode": department,
                "type": "LS",
                "lsKind": "GOODS_SERVICES",
                "budgetLineId": line,
                "amount": "1000000.00",
                "purpose": "Pengadaan alat tulis kantor",
            },
            {
                "departmentCode": department,
                "type": "GU",
                "budgetLineId": str(lines[1]),
                "amount": "250000",
                "purpose": "Ganti uang persediaan",
            },
            {"departmentCode": department, "type": "UP", "amount": 5000000, "purpose": "UP"},
            {
                "departmentCode": department,
                "type": "LS",
                "lsKind": "ALLOWANCE",
                "budgetLineId": line,
                "amount": "3500000.00",
                "purpose": "TPP Oktober 2026",
                "allowanceLines": [
                    {"nip": spaced(first), "period": "2026-10", "amount": "2000000.00"},
                    {"nip": second, "period": "2026-10", "amount": "1500000.00"},
                ],
            },
        ],
        "VerifyPaymentRequestInput": [
            {"number": r["nomor_spp"], "approve": n % 3 > 0, "reason": "Dokumen kurang"}
            for n, r in enumerate(submitted[:20])
        ],
        "IssuePaymentOrderInput": [
            {"number": r["nomor_spp"], "approve": n % 3 > 0, "reason": "Dokumen kurang"}
            for n, r in enumerate(verified[:20])
        ],
        "IssueDisbursementInput": [
            {"number": r["nomor_spp"], "approve": True, "netAmount": str(r["nilai"])}
            for r in ordered[:20]
        ]
        + [
            {"number": r["nomor_spp"], "approve": False, "reason": "SPM salah"} for r in ordered[:5]
        ],
    }


def filter_inputs(department: str, staff: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Filters whose required fields are hard to hit at random: windows of days of the
    seeded activities, in the order and at most the 366 days the edge asks for."""
    return {
        "ActivityFilter": [
            {"from": "2026-10-01", "to": "2026-10-31"},
            {
                "from": "2025-11-01",
                "to": "2026-10-31",
                "departmentCode": department,
                "statusIn": ["PENDING", "REJECTED"],
                "not": {"from": "2026-10-01", "to": "2026-10-07", "kindIn": ["LEAVE"]},
            },
            {
                "from": "2026-10-01",
                "to": "2026-10-31",
                "anyOf": [
                    {"from": "2026-10-02", "to": "2026-10-02", "nip": staff[0]},
                    {"from": "2026-10-01", "to": "2026-10-31", "nipIn": staff[1:4]},
                ],
            },
        ]
    }


def digits_of(nip: str) -> str:
    """pejabat spells NIPs its own ways; a token carries the digits."""
    return re.sub(r"[ .]", "", nip)


# -- what every answer must satisfy -------------------------------------------------------


async def ask(gw: Gateway, bearer: str | None, operation: Operation, accept: str) -> httpx.Response:
    headers = {"Content-Type": "application/json", "Accept": accept}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return await gw.client.post("/graphql", content=operation.body(), headers=headers)


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def errors_of(body: Any) -> list[dict[str, Any]]:
    errors = body.get("errors") if isinstance(body, dict) else None
    return errors if isinstance(errors, list) else []


def assert_no_crash(
    status: int, body: Any, operation: Operation, crashes: Crashes, request_id: str | None
) -> None:
    """No 5xx; every error has a code, and none is INTERNAL."""
    where = f"{operation.shown()}\nrequest id {request_id}"
    assert status < 500, f"HTTP {status} for\n{where}\n{body}\n{crashes.of(request_id)}"
    for error in errors_of(body):
        code = (error.get("extensions") or {}).get("code")
        assert code is not None, f"an error without a code: {error}\nfor\n{where}"
        assert code != "INTERNAL", f"a crash: {error}\nfor\n{where}\n{crashes.of(request_id)}"


def refused(body: Any, field: str) -> bool:
    """Whether a mutation's answer says nothing was written: no payload, or a payload
    with errors. (An error below a written payload, such as a personal field the caller
    may not read back, does not undo the write.)"""
    data = body.get("data") if isinstance(body, dict) else None
    payload = data.get(field) if isinstance(data, dict) else None
    return not isinstance(payload, dict) or payload.get("errors") != []


def outcome(operation: Operation, status: int, body: Any) -> None:
    """What came of an example, for --hypothesis-show-statistics."""
    codes = sorted({str((e.get("extensions") or {}).get("code")) for e in errors_of(body)})
    event(f"{operation.kind} {operation.field}: HTTP {status} {' '.join(codes) or 'no error'}")
    data = body.get("data") if isinstance(body, dict) else None
    payload = data.get(operation.field) if isinstance(data, dict) else None
    if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
        user = sorted({str(e.get("code")) for e in payload["errors"]})
        event(f"{operation.field} payload: {' '.join(user) or 'written'}")


ACCEPT = st.sampled_from(["application/json", "application/graphql-response+json"])


async def one_example(
    gw: Gateway,
    data: st.DataObject,
    seeded: Seeded,
    kind: str,
    crashes: Crashes,
    legacy: Legacy | None = None,
    focused: bool = False,
) -> None:
    hostility = 0 if focused else data.draw(st.sampled_from([0, 5, 20, 50]), label="hostility")
    root = {"query": SCHEMA.query_type, "mutation": SCHEMA.mutation_type}[kind]
    assert root is not None
    values = Values(seeded, hostility, focused)
    operation = data.draw(operations(values, kind, root), label="operation")
    role = data.draw(st.sampled_from(WRITERS if focused else ROLES), label="caller")
    bearer = bearer_of(role, seeded, data.draw(st.integers(0, 99)))
    before = await legacy.tables() if legacy else None
    response = await ask(gw, bearer, operation, data.draw(ACCEPT))
    body = json_of(response)
    request_id = response.headers.get("x-request-id")
    assert_no_crash(response.status_code, body, operation, crashes, request_id)
    outcome(operation, response.status_code, body)
    if legacy and refused(body, operation.field):
        assert await legacy.tables() == before, (
            f"a refused mutation wrote rows:\n{operation.shown()}\n{body}"
        )


# -- the properties -----------------------------------------------------------------------


@examples(in_ci=250)
@given(data=st.data())
async def test_no_query_crashes_whatever_its_arguments(
    production: Gateway, seeded_values: Seeded, crashes: Crashes, data: st.DataObject
) -> None:
    await one_example(production, data, seeded_values, "query", crashes)


@examples(in_ci=200)
@given(data=st.data())
async def test_no_mutation_crashes_and_a_refused_one_writes_nothing(
    production: Gateway,
    seeded_values: Seeded,
    crashes: Crashes,
    legacy: Legacy,
    data: st.DataObject,
) -> None:
    await one_example(production, data, seeded_values, "mutation", crashes, legacy)


@examples(in_ci=150)
@given(data=st.data())
async def test_one_bad_value_in_a_valid_mutation_is_refused_without_a_write(
    production: Gateway,
    seeded_values: Seeded,
    crashes: Crashes,
    legacy: Legacy,
    data: st.DataObject,
) -> None:
    """A valid input with one value changed (a near miss of the valid text, a hostile or
    another valid value, a field added or taken out) reaches the checks of the write."""
    await one_example(production, data, seeded_values, "mutation", crashes, legacy, focused=True)


@examples(in_ci=40)
@given(data=st.data(), kind=st.sampled_from(["query", "mutation"]))
async def test_in_development_every_error_has_a_code(
    development: Gateway,
    seeded_values: Seeded,
    crashes: Crashes,
    legacy: Legacy,
    data: st.DataObject,
    kind: str,
) -> None:
    """Without production's masking a crash would show its own message, without a code."""
    await one_example(development, data, seeded_values, kind, crashes, legacy)


def test_every_argument_of_the_schema_is_reached() -> None:
    """The documents the properties send can name every field and argument of the schema
    that takes one (one level below a root field): none is left out by construction."""
    reachable = set()
    for root in (SCHEMA.query_type, SCHEMA.mutation_type, SCHEMA.subscription_type):
        assert root is not None
        for name, f in root.fields.items():
            reachable |= {f"{root.name}.{name}.{a}" for a in f.args}
            named = get_named_type(f.type)
            if isinstance(named, GraphQLObjectType):
                for nested in nested_fields(named):
                    reachable |= {
                        f"{nested.parent.name}.{nested.name}.{a}" for a in nested.field.args
                    }
    with_arguments = {
        f"{t.name}.{n}.{a}"
        for t in SCHEMA.type_map.values()
        if isinstance(t, GraphQLObjectType) and not t.name.startswith("__")
        for n, f in t.fields.items()
        for a in f.args
    }
    assert with_arguments <= reachable, with_arguments - reachable


async def test_the_valid_inputs_are_valid_for_the_schema(seeded_values: Seeded) -> None:
    for name, inputs in seeded_values.inputs.items():
        type_ = SCHEMA.get_type(name)
        assert isinstance(type_, GraphQLInputObjectType), name
        assert inputs, f"the seed has no valid {name}"
        for example in inputs:
            coerce_input_value(example, GraphQLNonNull(type_))  # raises what does not fit


def near_miss_inputs(
    type_: GraphQLInputObjectType, templates: list[dict[str, Any]]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every near miss (`_EDITS`) of every text of the valid input with the most text,
    each in a copy of the next valid input of the same shape: earlier writes (an activity
    logged, a request verified) refuse a repeat before it reaches the check it is for."""

    def texts(template: dict[str, Any]) -> list[Path]:
        return [p for p, _, _ in _places(type_, template, ()) if isinstance(_at(template, p), str)]

    richest = max(templates, key=lambda t: len(texts(t)))
    alike = [t for t in templates if t.keys() == richest.keys()]
    made = 0
    for path in texts(richest):
        for edit in _EDITS:
            sent = copy.deepcopy(alike[made % len(alike)])
            made += 1
            changed = edit(_at(sent, path))
            _put(sent, path, changed)
            yield f"{'.'.join(map(str, path))} = {changed!r}", sent


async def test_every_near_miss_of_a_valid_mutation_is_refused_without_a_write(
    production: Gateway, seeded_values: Seeded, crashes: Crashes, legacy: Legacy
) -> None:
    """Exhaustively, what the properties above reach only by chance: one text of a valid
    input spelled almost right (a trailing newline, other digits, a NUL, a character
    less), sent by an administrator with an official's NIP, who may write anything."""
    mutation = SCHEMA.mutation_type
    assert mutation is not None
    bearer = token("ADMIN", seeded_values.officials[0])
    failures = []
    for name, f in mutation.fields.items():
        payload = get_named_type(f.type)
        assert isinstance(payload, GraphQLObjectType)
        selection = render(base_selection(payload, 1))
        for arg_name, arg in f.args.items():
            named = get_named_type(arg.type)
            templates = seeded_values.inputs.get(named.name)
            if not isinstance(named, GraphQLInputObjectType) or not templates:
                continue
            document = f"mutation($a: {arg.type}) {{ {name}({arg_name}: $a) {{ {selection} }} }}"
            for change, sent in near_miss_inputs(named, templates):
                operation = Operation("mutation", name, document, {"a": sent})
                before = await legacy.tables()
                response = await ask(production, bearer, operation, "application/json")
                body = json_of(response)
                try:
                    request_id = response.headers.get("x-request-id")
                    assert_no_crash(response.status_code, body, operation, crashes, request_id)
                    if refused(body, name):
                        assert await legacy.tables() == before, f"a refusal wrote rows: {body}"
                except AssertionError as failure:
                    failures.append(f"{name} with {change}: {failure}")
    assert not failures, "\n\n".join(failures)


# -- subscriptions, over graphql-transport-ws ---------------------------------------------


@dataclass
class Sockets:
    """A production gateway on a real socket, with one WebSocket per caller."""

    url: str
    stack: AsyncExitStack
    open: dict[str | None, ClientConnection]

    async def of(self, bearer: str | None) -> ClientConnection:
        if bearer not in self.open:
            ws = await self.stack.enter_async_context(
                connect(f"ws://{self.url}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
            )
            payload = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            self.open[bearer] = ws
        return self.open[bearer]


@pytest.fixture(scope="module")
async def sockets(props_db: Databases) -> AsyncIterator[Sockets]:
    app = create_app(unlimited(props_db, production=True))
    async with uvicorn_serving(app) as base, AsyncExitStack() as stack:
        yield Sockets(base, stack, {})


LISTENING_S = 0.3
"""How long a subscription may stay silent before it counts as accepted and listening."""

_next_id = iter(range(1, 1 << 30))


@examples(in_ci=30)
@given(data=st.data())
async def test_no_subscription_crashes_whatever_its_arguments(
    sockets: Sockets, seeded_values: Seeded, crashes: Crashes, data: st.DataObject
) -> None:
    """A refusal comes back at once as an error message; an accepted subscription stays
    silent, listening for events, until it is completed."""
    hostility = data.draw(st.sampled_from([0, 20, 50]), label="hostility")
    root = SCHEMA.subscription_type
    assert root is not None
    values = Values(seeded_values, hostility)
    operation = data.draw(operations(values, "subscription", root), label="operation")
    role = data.draw(st.sampled_from(ROLES), label="caller")
    ws = await sockets.of(bearer_of(role, seeded_values, data.draw(st.integers(0, 99))))
    operation_id = str(next(_next_id))
    payload = {"query": operation.document, "variables": operation.variables}
    message = {"id": operation_id, "type": "subscribe", "payload": payload}
    await ws.send(json.dumps(message, allow_nan=True))
    answer = await _answer_to(ws, operation_id)
    if answer is None:  # accepted: it listens for events
        event(f"subscription {operation.field}: listening")
        await ws.send(json.dumps({"id": operation_id, "type": "complete"}))
        return
    body = {"errors": answer["payload"]} if answer["type"] == "error" else answer["payload"]
    assert_no_crash(200, body, operation, crashes, _request_id_in(body))
    outcome(operation, 200, body)


async def _answer_to(ws: ClientConnection, operation_id: str) -> dict[str, Any] | None:
    """The first message for `operation_id`, or None if it stays silent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LISTENING_S
    while (left := deadline - loop.time()) > 0:
        try:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), left))
        except TimeoutError:
            return None
        if message.get("id") == operation_id:
            return message
    return None


def _request_id_in(body: Any) -> str | None:
    for error in errors_of(body):
        found = (error.get("extensions") or {}).get("requestId")
        if found:
            return str(found)
    return None


# -- request bodies that are no JSON ------------------------------------------------------


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
async def test_nan_and_infinity_are_no_json(production: Gateway, word: str) -> None:
    """JSON has no NaN or Infinity: a body with them is no GraphQL-over-HTTP request."""
    body = '{"query": "query($y: Int) { departments(fiscalYear: $y) { code } }",'
    body += f' "variables": {{"y": {word}}}}}'
    response = await production.client.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {production.token}"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
