"""The GraphQL schema, one module per domain; `build_schema` assembles it."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from gateway.schema.query import Query
from gateway.schema.scalars import SCALARS


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query, config=StrawberryConfig(scalar_map=SCALARS))


def print_schema() -> str:
    return build_schema().as_str() + "\n"
