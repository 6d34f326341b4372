"""Strawberry's schema-extension hooks, found once per extension class, not per request.

For every request strawberry makes a context manager per stage (operation, parsing,
validation, execution) and asks each of the schema's extensions in turn, through
`inspect`, whether its class defines that stage's hook and of which kind, then wraps the
hook bound to the request's extension with `contextlib` (copying its name and docstring);
and it asks every extension for results to add to the response. With the gateway's eight
extensions that is 32 look-ups and a dozen wrappers per request, about a tenth of a tiny
query's time. What they find depends only on the extension's class (strawberry looks the
hook up on `type(extension)`), so `KnownHooksRunner` finds it once per class and stage:
the hooks entered, their order and their kind are strawberry's own (a plain or coroutine
function is still wrapped per request, by strawberry's `from_callable`).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

Maker = Callable[[SchemaExtension], WrappedHook]
"""How a class's hook for a stage is wrapped for one extension, as strawberry wraps it."""

_FOUND: dict[tuple[type[SchemaExtension], str], Maker | None] = {}
"""By extension class and stage; None when the class leaves the stage to the default."""


def _find(cls: type[SchemaExtension], hook_name: str) -> Maker | None:
    """What `ExtensionContextManagerBase.get_hook` finds on `cls`, as a maker."""
    hook = getattr(cls, hook_name)
    if hook is getattr(SchemaExtension, hook_name):
        return None
    if inspect.isgeneratorfunction(hook):
        return partial(_wrapped, contextlib.contextmanager(hook), False)
    if inspect.isasyncgenfunction(hook):
        return partial(_wrapped, contextlib.asynccontextmanager(hook), True)
    if callable(hook):  # a plain or coroutine function: strawberry wraps it per request
        return partial(ExtensionContextManagerBase.from_callable, func=hook)
    raise ValueError(f"Hook {hook_name} on {cls.__name__} must be callable, received {hook!r}")


def _wrapped(
    factory: Callable[[SchemaExtension], Any], is_async: bool, extension: SchemaExtension
) -> WrappedHook:
    return WrappedHook(extension=extension, hook=partial(factory, extension), is_async=is_async)


class KnownHooks(ExtensionContextManagerBase):
    """A stage's context manager whose hooks are found once per extension class."""

    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        key = (type(extension), self.HOOK_NAME)
        if key in _FOUND:
            make = _FOUND[key]
        else:
            make = _FOUND[key] = _find(type(extension), self.HOOK_NAME)
        return None if make is None else make(extension)


class KnownOperationHooks(KnownHooks, OperationContextManager):
    pass


class KnownValidationHooks(KnownHooks, ValidationContextManager):
    pass


class KnownParsingHooks(KnownHooks, ParsingContextManager):
    pass


class KnownExecutingHooks(KnownHooks, ExecutingContextManager):
    pass


class KnownHooksRunner(SchemaExtensionsRunner):
    """strawberry's runner, with each stage's hooks found once per extension class and
    results asked only of extensions whose class has any to give."""

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
