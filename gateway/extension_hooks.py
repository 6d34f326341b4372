"""Strawberry's schema-extension hooks, run without strawberry's per-request machinery.

For every request strawberry makes a context manager per stage (operation, parsing,
validation, execution) and asks each of the schema's extensions in turn, through
`inspect`, whether its class defines that stage's hook and of which kind. It wraps each
hook found with `contextlib` and enters them on an `AsyncExitStack`; and it asks every
extension for results to add to the response. With the gateway's eight extensions that
is 32 look-ups, nine context managers, four exit stacks and their callbacks per request.

What strawberry finds depends only on the extension's class (it looks the hook up on
`type(extension)`), so it is found here once per class and stage (`hook_of`), and each
`Stage` runs its hooks itself, as `contextlib.contextmanager` and `asynccontextmanager`
on an exit stack would: a generator hook runs to its `yield` on entry, in the
extensions' order; on exit, last entered first, it is resumed, or the exception leaving
the stage is thrown in at its `yield`, and it may suppress that exception or raise
another, which the hooks entered before it then see. As in strawberry, whose stage drops
what its exit stack answers, an exception a hook suppressed still leaves the stage. A
plain or coroutine function hook is called on entry (strawberry's `from_callable`). The
hooks entered, their order and their kind are strawberry's own; tests/test_extension_hooks.py
compares them, and what each hook sees and what leaves the stage when hooks pass,
suppress, replace or raise exceptions.

One difference, on a path no hook of the gateway takes: when a hook fails on entry,
strawberry leaves the hooks entered before it suspended at their `yield` (the exception
propagates out of its exit stack's entry), so their `finally` blocks run whenever the
collector closes them. Here they are left at once, with that exception.
"""

from __future__ import annotations

import inspect
from asyncio import iscoroutinefunction
from collections.abc import AsyncGenerator, Callable, Generator
from types import TracebackType
from typing import Any, NamedTuple

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

GENERATOR, ASYNC_GENERATOR, FUNCTION, COROUTINE_FUNCTION = "generator", "async", "plain", "coro"
"""The kinds of hook strawberry accepts."""
ASYNC_KINDS = (ASYNC_GENERATOR, COROUTINE_FUNCTION)


class Hook(NamedTuple):
    """A stage's hook of one request's extension."""

    kind: str
    function: Callable[[SchemaExtension], Any]
    """The hook as its class defines it, called with the extension."""
    extension: SchemaExtension

    @property
    def is_async(self) -> bool:
        return self.kind in ASYNC_KINDS


_FOUND: dict[tuple[type[SchemaExtension], str], tuple[str, Callable[..., Any]] | None] = {}
"""By extension class and stage; None when the class leaves the stage to the default."""


def hook_of(cls: type[SchemaExtension], hook_name: str) -> tuple[str, Callable[..., Any]] | None:
    """What `ExtensionContextManagerBase.get_hook` finds on `cls`, and its kind."""
    key = (cls, hook_name)
    if key in _FOUND:
        return _FOUND[key]
    hook = getattr(cls, hook_name)
    found: tuple[str, Callable[..., Any]] | None
    if hook is getattr(SchemaExtension, hook_name):
        found = None
    elif inspect.isgeneratorfunction(hook):
        found = GENERATOR, hook
    elif inspect.isasyncgenfunction(hook):
        found = ASYNC_GENERATOR, hook
    elif callable(hook):
        found = (COROUTINE_FUNCTION if iscoroutinefunction(hook) else FUNCTION), hook
    else:
        raise ValueError(f"Hook {hook_name} on {cls.__name__} must be callable, received {hook!r}")
    _FOUND[key] = found
    return found


_TABLES: dict[tuple[tuple[type[SchemaExtension], ...], str], list[tuple[int, str, Any]]] = {}
"""By the classes of a request's extensions, in order, and stage: which of them have a
hook for the stage, its kind and function. A schema's requests all have the same."""


def hook_table(extensions: list[SchemaExtension], hook_name: str) -> list[tuple[int, str, Any]]:
    """(position, kind, function) of each of `extensions`' hooks for `hook_name`."""
    key = (tuple(map(type, extensions)), hook_name)
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = [
            (i, *found)
            for i, extension in enumerate(extensions)
            if (found := hook_of(type(extension), hook_name)) is not None
        ]
    return table


class Stage(ExtensionContextManagerBase):
    """One stage's hooks for one request, entered and left as an exit stack of
    `contextlib` managers would (see the module)."""

    __slots__ = ("entered",)

    hooks: list[Hook]  # type: ignore[assignment]

    def __init__(self, extensions: list[SchemaExtension]) -> None:
        self.hooks = [
            Hook(kind, function, extensions[i])
            for i, kind, function in hook_table(extensions, self.HOOK_NAME)
        ]
        self.entered: list[tuple[str, Any]] = []
        """(kind, generator) of each generator hook entered, in order."""

    def __enter__(self) -> None:
        try:
            for hook in self.hooks:
                if hook.is_async:
                    raise RuntimeError(
                        f"SchemaExtension hook {hook.extension}.{self.HOOK_NAME} "
                        "failed to complete synchronously."
                    )
                self._enter(hook)
        except BaseException as exc:
            self._leave_all(exc)
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self._leave_all(exc_val)

    async def __aenter__(self) -> None:
        try:
            for hook in self.hooks:
                if hook.kind == ASYNC_GENERATOR:
                    generator = hook.function(hook.extension)
                    try:
                        await generator.__anext__()
                    except StopAsyncIteration:
                        raise RuntimeError("generator didn't yield") from None
                    self.entered.append((ASYNC_GENERATOR, generator))
                elif hook.kind == COROUTINE_FUNCTION:
                    await hook.function(hook.extension)
                else:
                    self._enter(hook)
        except BaseException as exc:
            await self._aleave_all(exc)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self._aleave_all(exc_val)

    def _enter(self, hook: Hook) -> None:
        """Enter a hook that runs synchronously."""
        if hook.kind == FUNCTION:
            hook.function(hook.extension)
            return
        generator = hook.function(hook.extension)
        try:
            next(generator)
        except StopIteration:
            raise RuntimeError("generator didn't yield") from None
        self.entered.append((GENERATOR, generator))

    def _leave_all(self, exc: BaseException | None) -> None:
        if not self.entered:  # nothing to resume or throw into: `exc` goes on as it is
            return
        outcome = Unwinding(exc)
        while self.entered:
            _, generator = self.entered.pop()
            try:
                outcome.left(_leave(generator, outcome.exc))
            except BaseException as raised:
                outcome.raised(raised)
        outcome.finish()

    async def _aleave_all(self, exc: BaseException | None) -> None:
        if not self.entered:  # nothing to resume or throw into: `exc` goes on as it is
            return
        outcome = Unwinding(exc)
        while self.entered:
            kind, generator = self.entered.pop()
            try:
                if kind == ASYNC_GENERATOR:
                    outcome.left(await _aleave(generator, outcome.exc))
                else:
                    outcome.left(_leave(generator, outcome.exc))
            except BaseException as raised:
                outcome.raised(raised)
        outcome.finish()


class Unwinding:
    """The exception leaving a stage as its hooks are left, last entered first: what
    `ExitStack.__exit__` keeps while it calls its exit callbacks."""

    __slots__ = ("exc", "pending")

    def __init__(self, exc: BaseException | None) -> None:
        self.exc = exc
        """What the next hook to leave sees."""
        self.pending = False
        """Whether a hook raised an exception of its own, to be raised at the end."""

    def left(self, suppress: bool) -> None:
        if suppress:
            self.exc, self.pending = None, False

    def raised(self, exc: BaseException) -> None:
        if self.exc is not None and exc is not self.exc and exc.__context__ is None:
            exc.__context__ = self.exc
        self.exc, self.pending = exc, True

    def finish(self) -> None:
        """Raise what a hook raised, if one did (the last such)."""
        if self.pending:
            assert self.exc is not None
            exc, context = self.exc, self.exc.__context__
            try:
                raise exc
            except BaseException:
                exc.__context__ = context  # as it was, not the exception being handled
                raise


def _leave(generator: Generator[Any, None, None], exc: BaseException | None) -> bool:
    """`contextlib.contextmanager`'s exit: resume the hook, or throw `exc` into it;
    whether it suppressed `exc`."""
    if exc is None:
        try:
            next(generator)
        except StopIteration:
            return False
        try:
            raise RuntimeError("generator didn't stop")
        finally:
            generator.close()
    traceback = exc.__traceback__
    try:
        generator.throw(exc)
    except BaseException as raised:
        return _thrown_back(raised, exc, traceback, StopIteration, (StopIteration,))
    try:
        raise RuntimeError("generator didn't stop after throw()")
    finally:
        generator.close()


async def _aleave(generator: AsyncGenerator[Any, None], exc: BaseException | None) -> bool:
    """`contextlib.asynccontextmanager`'s exit, as `_leave`."""
    if exc is None:
        try:
            await generator.__anext__()
        except StopAsyncIteration:
            return False
        try:
            raise RuntimeError("generator didn't stop")
        finally:
            await generator.aclose()
    traceback = exc.__traceback__
    try:
        await generator.athrow(exc)
    except BaseException as raised:
        stops = (StopIteration, StopAsyncIteration)
        return _thrown_back(raised, exc, traceback, StopAsyncIteration, stops)
    try:
        raise RuntimeError("generator didn't stop after athrow()")
    finally:
        await generator.aclose()


def _thrown_back(
    raised: BaseException,
    exc: BaseException,
    traceback: TracebackType | None,
    stopped: type[BaseException],
    stops: tuple[type[BaseException], ...],
) -> bool:
    """What contextlib makes of what a hook raised once `exc` was thrown into it:
    `stopped` (it ended) suppresses `exc` unless it is `exc`; `exc` itself, or the
    RuntimeError Python turns a thrown `stops` exception into, lets `exc` go on, with its
    traceback as it was; anything else is raised in its place."""
    if isinstance(raised, stopped):
        return raised is not exc
    if raised is exc or (
        isinstance(raised, RuntimeError) and isinstance(exc, stops) and raised.__cause__ is exc
    ):
        exc.__traceback__ = traceback
        return False
    raise raised


class KnownOperationHooks(Stage, OperationContextManager):
    __slots__ = ()


class KnownValidationHooks(Stage, ValidationContextManager):
    __slots__ = ()


class KnownParsingHooks(Stage, ParsingContextManager):
    __slots__ = ()


class KnownExecutingHooks(Stage, ExecutingContextManager):
    __slots__ = ()


class KnownHooksRunner(SchemaExtensionsRunner):
    """strawberry's runner, with each stage's hooks found once per extension class and
    run as `Stage`s, and results asked only of extensions whose class has any to give."""

    def operation(self) -> OperationContextManager:
        return KnownOperationHooks(self.extensions)

    def validation(self) -> ValidationContextManager:
        return KnownValidationHooks(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return KnownParsingHooks(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return KnownExecutingHooks(self.extensions)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self.extensions:
            # the default `get_results` gives nothing: not asked
            if type(extension).get_results is not SchemaExtension.get_results:
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data
