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


# -- entering and leaving: the same as strawberry's exit stack ---------------------------

BEHAVIOURS = ("passes", "suppresses", "replaces", "raises")
"""What a generator hook does at its `yield`: lets an exception through, swallows it,
raises another in its place, or raises its own even when none came."""
KINDS = ("generator", "async generator", "function", "coroutine function")


def _scripted(kind: str, behaviour: str) -> type[SchemaExtension]:
    """An extension whose on_operation hook, of `kind`, logs what it sees."""

    def seen(self: Any, exc: BaseException | None) -> None:
        self.log.append((self.name, "left", None if exc is None else repr(exc)))

    def after(self: Any, exc: BaseException | None) -> None:
        seen(self, exc)
        if behaviour == "raises" or (behaviour == "replaces" and exc is not None):
            raise LookupError(f"{self.name} {behaviour}")
        if exc is not None and behaviour == "passes":
            raise exc

    def generator(self: Any) -> Iterator[None]:
        self.log.append((self.name, "entered", None))
        try:
            yield
        except Exception as exc:
            after(self, exc)
        else:
            after(self, None)

    async def async_generator(self: Any) -> AsyncIterator[None]:
        self.log.append((self.name, "entered", None))
        try:
            yield
        except Exception as exc:
            after(self, exc)
        else:
            after(self, None)

    def function(self: Any) -> None:
        self.log.append((self.name, "called", None))

    async def coroutine_function(self: Any) -> None:
        self.log.append((self.name, "called", None))

    hook = {
        "generator": generator,
        "async generator": async_generator,
        "function": function,
        "coroutine function": coroutine_function,
    }[kind]
    return type(f"Scripted_{kind}_{behaviour}", (SchemaExtension,), {"on_operation": hook})


SCRIPTED = {(k, b): _scripted(k, b) for k in KINDS for b in BEHAVIOURS}


def _extensions(script: list[tuple[str, str]], log: list[Any]) -> list[SchemaExtension]:
    made = []
    for number, (kind, behaviour) in enumerate(script):
        extension = SCRIPTED[kind, behaviour]()
        extension.name = f"hook {number}"  # type: ignore[attr-defined]
        extension.log = log  # type: ignore[attr-defined]
        made.append(extension)
    return made


def _outcome(exc: BaseException | None) -> str | None:
    return None if exc is None else f"{exc!r} context {exc.__context__!r}"


async def _run(
    stage: type[ExtensionContextManagerBase],
    script: list[tuple[str, str]],
    body_fails: bool,
    sync: bool = False,
) -> tuple[list[Any], str | None]:
    """What the hooks logged, and what left the stage, entered with `with` when `sync`."""
    log: list[Any] = []
    manager = stage(_extensions(script, log))

    def body() -> None:
        log.append(("body", "ran", None))
        if body_fails:
            raise ValueError("body")

    try:
        if sync:
            with manager:
                body()
        else:
            async with manager:
                body()
    except Exception as exc:
        return log, _outcome(exc)
    return log, None


SCRIPTS = [[(kind, behaviour)] for kind in KINDS for behaviour in BEHAVIOURS] + [
    [(k1, b1), (k2, b2), (k3, b3)]
    for k1, b1, k2, b2, k3, b3 in [
        ("generator", "passes", "async generator", "suppresses", "generator", "passes"),
        ("generator", "passes", "generator", "replaces", "async generator", "passes"),
        ("async generator", "suppresses", "generator", "raises", "generator", "replaces"),
        ("generator", "replaces", "function", "passes", "async generator", "raises"),
        ("async generator", "passes", "coroutine function", "passes", "generator", "suppresses"),
        ("generator", "raises", "generator", "raises", "generator", "passes"),
        ("generator", "suppresses", "generator", "passes", "generator", "replaces"),
    ]
]


@pytest.mark.parametrize("body_fails", [False, True])
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: " / ".join(map(" ".join, s)))
async def test_hooks_are_entered_and_left_as_strawberry_does(
    script: list[tuple[str, str]], body_fails: bool
) -> None:
    """Each hook sees what it saw under strawberry's exit stack, and the same exception (or
    none) leaves the stage, with the same context; without async hooks, synchronously
    too (strawberry refuses an async hook there, after entering those before it)."""
    modes = [False]
    if not any(kind in ("async generator", "coroutine function") for kind, _ in script):
        modes.append(True)
    for sync in modes:
        expected = await _run(OperationContextManager, script, body_fails, sync)
        assert await _run(KnownOperationHooks, script, body_fails, sync) == expected


async def test_a_hook_that_fails_on_entry_leaves_those_entered_before_it() -> None:
    """Where strawberry leaves them suspended at their `yield` for the collector."""
    log: list[Any] = []

    class Refuses(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            raise PermissionError("no")
            yield

    extensions = [*_extensions([("async generator", "passes"), ("generator", "passes")], log)]
    with pytest.raises(PermissionError):
        async with KnownOperationHooks([*extensions, Refuses()]):
            log.append(("body", "ran", None))
    assert log == [
        ("hook 0", "entered", None),
        ("hook 1", "entered", None),
        ("hook 1", "left", "PermissionError('no')"),
        ("hook 0", "left", "PermissionError('no')"),
    ]
