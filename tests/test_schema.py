"""The printed schema at the root is what the code serves."""

from __future__ import annotations

from pathlib import Path

from gateway.schema import print_schema

ROOT = Path(__file__).parent.parent


def test_schema_graphql_equals_the_served_schema() -> None:
    printed = (ROOT / "schema.graphql").read_text()
    assert printed == print_schema(), (
        "schema.graphql is stale: run `smartgate export-schema > schema.graphql`"
    )


def test_fields_from_another_source_are_nullable() -> None:
    sdl = print_schema()
    for line in (
        "units: [WorkUnit!]\n",
        "department: Department\n",
        "allowance(period: Period!): Allowance\n",
        "treasurer: Employee\n",
    ):
        assert line in sdl, line
    assert "financeRoles(fiscalYear: Int = null): [FinanceRole!]\n" in sdl
    assert "EmployeeConnection\n" in sdl.split("type Department")[1].split("}")[0]
