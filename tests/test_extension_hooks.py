"""The extension hooks found once per class (`gateway.extension_hooks`) are those strawberry
finds per request: the same extensions, in the same order, of the same kind, entering the
same hooks; and an extension's results reach the response as they did."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
)

from gateway.extension_hooks import (
    KnownExecutingHooks,
    KnownHooksRunner,
    KnownOperationHooks,
    KnownParsingHooks,
    KnownValidationHooks,
)
from gateway.schema import GatewaySchema, build_schema
from gateway.settings import AccessSettings

STAGES: list[tuple[type[ExtensionContextManagerBase], type[ExtensionContextManagerBase]]] = [
    (OperationContextManager, KnownOperationHooks),
    (ValidationContextManager, KnownValidationHooks),
    (ParsingContextManager, KnownParsingHooks),
    (ExecutingContextManager, KnownExecutingHooks),
]

ENTERED: list[str] = []


class EveryKind(SchemaExtension):
    """One hook of each kind strawberry accepts: generator, async generator, coroutine
    function and plain function."""

    def on_operation(self) -> Iterator[None]:
        ENTERED.append("operation")
        yield
        ENTERED.append("operation done")

    async def on_validate(self) -> AsyncIterator[None]:
        ENTERED.append("validate")
        yield
        ENTERED.append("validate done")

    async def on_parse(self) -> None:  # type: ignore[override]
        ENTERED.append("parse")

    def on_execute(self) -> None:  # type: ignore[override]
        ENTERED.append("execute")

    def get_results(self) -> dict[str, Any]:
        return {"everyKind": len(ENTERED)}


def _described(manager: ExtensionContextManagerBase) -> list[tuple[str, bool]]:
    return [(type(hook.extension).__name__, hook.is_async) for hook in manager.hooks]


@pytest.mark.parametrize("production", [False, True])
def test_each_stage_finds_the_hooks_strawberry_finds(production: bool) -> None:
    schema = build_schema(AccessSettings(production=production))
    extensions = [*schema.get_extensions(), EveryKind()]
    for strawberrys, known in STAGES:
        expected = _described(strawberrys(extensions))
        assert expected, f"no extension hooks {strawberrys.HOOK_NAME}: nothing compared"
        assert _described(known(extensions)) == expected
        assert _described(known(extensions)) == expected  # the second time, from the cache


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"


async def test_hooks_of_every_kind_run_and_results_reach_the_response() -> None:
    schema = GatewaySchema(query=Query, extensions=[EveryKind])
    runner = schema.create_extensions_runner(None, [])  # type: ignore[arg-type]
    assert isinstance(runner, KnownHooksRunner)
    for _ in range(2):
        ENTERED.clear()
        result = await schema.execute("{ hello }")
        assert result.data == {"hello": "hi"}
        assert ENTERED == [
            "operation",
            "parse",
            "validate",
            "validate done",
            "execute",
            "operation done",
        ]
        assert result.extensions == {"everyKind": 6}  # asked after the operation ended
