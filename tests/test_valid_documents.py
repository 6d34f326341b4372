"""A document found valid is not validated again; anything else is, every time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway import request_errors
from tests.conftest import Databases, Gateway, close_gateway, open_gateway, settings_for


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The documents graphql-core validates while the test runs."""
    seen: list[Any] = []
    validate = request_errors.validate

    def counted(schema: Any, document: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(document)
        return validate(schema, document, *args, **kwargs)

    monkeypatch.setattr(request_errors, "validate", counted)
    return seen


@pytest.fixture(scope="module")
async def production(small_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(small_db, settings_for(small_db, production=True))
    yield gw
    await close_gateway(gw)


async def test_a_valid_document_sent_again_is_not_validated_again(
    gateway: Gateway, validations: list[Any]
) -> None:
    query = "query Names { departments { code name } }"
    first = await gateway.data(query)
    assert await gateway.data(query) == first
    assert await gateway.as_caller(None).query(query)  # another caller, the same document
    assert len(validations) == 1


async def test_an_invalid_document_is_refused_every_time_with_the_same_errors(
    gateway: Gateway, validations: list[Any]
) -> None:
    query = "{ departments { codez } }"
    answers = [await gateway.query(query) for _ in range(3)]
    assert answers[0]["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert answers[0] == answers[1] == answers[2]
    assert len(validations) == 3


async def test_valid_under_one_schema_is_still_checked_under_another(
    gateway: Gateway, production: Gateway
) -> None:
    """Production adds a rule (no introspection): a document valid in development is not
    taken as valid there."""
    query = "{ __schema { queryType { name } } }"
    assert (await gateway.data(query))["__schema"]["queryType"]["name"] == "Query"
    refused = await production.query(query)
    assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_the_documents_kept_are_bounded() -> None:
    from graphql import build_schema, parse

    schema = build_schema("type Query { a: Int }")
    kept = request_errors.ValidDocuments(maxsize=2)
    documents = [parse("{ a }") for _ in range(3)]
    for document in documents:
        assert kept.check(schema, document, (), False) == []
    assert len(kept._valid) == 2
    assert [d for _, d in kept._valid.values()] == documents[1:]
