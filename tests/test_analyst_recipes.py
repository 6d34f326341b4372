"""The recipes of docs/analysts.md, each run as the demo's analyst on the demo data (the
small scale, seed 1): every one answers without an error and finds something."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from tests.conftest import Databases, Gateway, settings_for, token, uvicorn_serving

ANALYSTS = Path(__file__).resolve().parent.parent / "docs" / "analysts.md"


def section() -> str:
    return ANALYSTS.read_text()


def recipes() -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", section(), re.DOTALL)


def found_something(data: Any) -> bool:
    """Whether an answer holds a group, an edge or a positive count somewhere."""
    if isinstance(data, dict):
        return any(
            (key in ("groups", "edges") and bool(value))
            or (key == "count" and isinstance(value, int) and value > 0)
            or found_something(value)
            for key, value in data.items()
        )
    if isinstance(data, list):
        return any(found_something(item) for item in data)
    return False


def test_the_docs_have_the_recipes_the_issue_asks_for() -> None:
    assert len(recipes()) >= 10


@pytest.mark.parametrize("recipe", recipes(), ids=lambda r: " ".join(r.split())[2:40])
async def test_each_recipe_answers_on_the_demo_data(gateway: Gateway, recipe: str) -> None:
    analyst = gateway.as_caller(token("ANALYST", "demo-analyst"))
    body = await analyst.query(recipe)
    assert "errors" not in body, body["errors"]
    assert found_something(body["data"]), body["data"]


async def test_the_notebook_recipe_reads_an_answer_over_plain_http(small_db: Databases) -> None:
    """The notebook recipe's `ask`, run as written against a served gateway; its answer
    has the shape `pandas.json_normalize` flattens (pandas itself is not needed here)."""
    python = re.findall(r"```python\n(.*?)```", section(), re.DOTALL)[0]
    ask_source = python.split("\ndata = ", 1)[0].replace("import pandas as pd\n", "")
    namespace: dict[str, Any] = {}
    exec(ask_source, namespace)  # noqa: S102 (the README's own code)
    async with uvicorn_serving(create_app(settings_for(small_db))) as base:
        query = re.search(r'data = ask\(\s*"""(.*?)"""', python, re.DOTALL)
        assert query is not None
        data = await asyncio.to_thread(
            namespace["ask"], query.group(1), token("ANALYST"), f"http://{base}/graphql"
        )
    groups = data["paymentRequestStats"]["groups"]
    assert groups and {"key", "disbursedNet"} <= set(groups[0])
    assert isinstance(json.loads(json.dumps(groups))[0]["disbursedNet"]["sum"], str)
