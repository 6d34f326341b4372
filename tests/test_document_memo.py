"""What an operation sent without variables decides alone (its query limits' measures, the
check of its arguments) is worked out once for the same document; with variables, or when
an argument is refused, it is worked out every time."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from graphql import GraphQLSchema, parse

from gateway import input_check
from gateway.access import limits
from gateway.document_memo import DocumentMemo
from tests.conftest import Gateway


@pytest.fixture
def worked_out(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often each is worked out while the test runs."""
    counts = {"measure": 0, "refusals": 0}
    measure, refusals = limits.measure, input_check._refusals

    def counted_measure(*args: Any) -> Any:
        counts["measure"] += 1
        return measure(*args)

    def counted_refusals(*args: Any) -> Any:
        counts["refusals"] += 1
        return refusals(*args)

    monkeypatch.setattr(limits, "measure", counted_measure)
    monkeypatch.setattr(input_check, "_refusals", counted_refusals)
    return counts


def _unique(query: str) -> str:
    """`query` under an operation name no other test sends: a document of its own."""
    return f"query Memo{uuid.uuid4().hex} {query}"


async def test_a_document_sent_again_without_variables_is_worked_out_once(
    gateway: Gateway, worked_out: dict[str, int]
) -> None:
    query = _unique("{ employees(first: 3) { totalCount edges { node { nip } } } }")
    bodies = [(await gateway.post(query)).json() for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2] and "errors" not in bodies[0]
    assert worked_out == {"measure": 1, "refusals": 1}


async def test_with_variables_each_request_is_worked_out(
    gateway: Gateway, worked_out: dict[str, int]
) -> None:
    query = "query($n: Int) { employees(first: $n) { totalCount } }"
    for n in (1, 2, 3):
        assert "errors" not in (await gateway.post(query, {"n": n})).json()
    assert worked_out == {"measure": 3, "refusals": 3}


async def test_a_refused_argument_is_refused_every_time_afresh(
    gateway: Gateway, worked_out: dict[str, int]
) -> None:
    query = _unique("{ employees(first: -1) { totalCount } }")
    errors = [(await gateway.post(query)).json()["errors"] for _ in range(3)]
    assert errors[0] == errors[1] == errors[2]
    assert [e["extensions"]["code"] for e in errors[0]] == ["BAD_USER_INPUT"]
    assert worked_out["refusals"] == 3


async def test_a_query_over_its_limits_is_refused_every_time(
    gateway: Gateway, worked_out: dict[str, int]
) -> None:
    """Its measures are kept, the refusal is made for each request."""
    query = _unique(
        "{ employees(first: 500) { edges { node { subordinates { subordinates"
        " { subordinates { nip } } } } } } }"
    )
    bodies = [(await gateway.post(query)).json() for _ in range(2)]
    assert bodies[0] == bodies[1]
    assert bodies[0]["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert worked_out["measure"] == 1


def test_the_memo_knows_documents_by_identity_and_forgets_the_oldest() -> None:
    memo: DocumentMemo[int] = DocumentMemo(maxsize=2)
    schema = GraphQLSchema()
    made: list[str] = []

    def make(label: str) -> Any:
        def made_now() -> int:
            made.append(label)
            return len(made)

        return made_now

    first, same_text = parse("{ a }"), parse("{ a }")
    assert memo.get(schema, first, None, make("first")) == 1
    assert memo.get(schema, first, None, make("again")) == 1
    assert memo.get(schema, same_text, None, make("same text")) == 2  # another object
    assert memo.get(schema, first, "Named", make("named")) == 3
    assert len(memo) == 2
    assert memo.get(schema, first, None, make("forgotten")) == 4  # the oldest went
    assert made == ["first", "same text", "named", "forgotten"]
