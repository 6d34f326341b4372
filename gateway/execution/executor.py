"""Runs a plan: graphql-core's executor with its per-field discovery taken out.

`PlannedExecution` is mixed into the gateway's executor class. For a query it finds
the operation's plan and runs it; for anything else, and for what the planner leaves
(see the package), it is graphql-core's executor unchanged.

Running a plan keeps graphql-core's shape of execution exactly, because the answers,
their errors and the SQL a request sends depend on it: fields are resolved in the same
order, each resolver that returns an awaitable is wrapped and gathered with its
siblings where graphql-core gathers (as `gather_with_cancel` does, see `gathering`: one
task per awaitable, the single one awaited directly), so DataLoader batches fill on the
same ticks; errors are located and nulled by graphql-core's own `handle_field_error`.
What is left out is what the plan already knows: which fields a selection has, their
definitions, literal arguments, the branches of `complete_value`, and for plain
attribute reads the resolve info, strawberry's wrapper and the response path (made only
for an error).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from graphql import ExecutionResult, GraphQLError, GraphQLOutputType, GraphQLResolveInfo
from graphql.execution import Executor
from graphql.execution.values import get_argument_values
from graphql.language import OperationType
from graphql.pyutils import Path

from gateway.execution.completion import PLAIN_TYPES, learning
from gateway.execution.gathering import gathered
from gateway.execution.plan_cache import PlanCache
from gateway.execution.plans import FieldPlan, SelectionPlan

E = TypeVar("E", bound=Executor)

ATTRIBUTE = FieldPlan.ATTRIBUTE


class PlannedExecution(Executor):
    """Runs planned queries (mixed in before the executor it plans for)."""

    plans: PlanCache
    """One cache per schema: `planned` makes a class per schema."""

    run_arguments: dict[FieldPlan, dict[str, Any]]
    """Arguments that name variables, coerced once per run."""

    context_only: ContextOnly
    """What resolvers that read only the context get for a resolve info."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        if (
            serially is not None
            or self.operation.operation is not OperationType.QUERY
            or self.abort_signal is not None
            or (self.middleware_manager is not None and self.middleware_manager.middlewares)
        ):
            return super().execute_operation(serially)
        plan = self.plans.plan(self)
        if plan is None:
            return super().execute_operation(serially)
        self.run_arguments = {}
        self.is_awaitable = learning(self.is_awaitable)
        self.context_only = ContextOnly(self.context_value)
        return self.run(plan)

    def run(self, plan: SelectionPlan) -> Any:
        """graphql-core's `execute_operation` for a query, on a plan."""
        try:
            result = self.execute_selection(plan, self.root_value, None)
            if self.is_awaitable(result):
                return self.awaited_response(result)
            data = result
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        return self.finish(self.build_response(data))

    async def awaited_response(self, result: Awaitable[dict[str, Any]]) -> ExecutionResult:
        try:
            data = await result
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.build_response(None)  # type: ignore[return-value]
        except Exception:
            await self.cancel_incremental_work()
            self.run_async_work_finished_hook()
            raise
        return self.build_response(data)  # type: ignore[return-value]

    def execute_selection(self, plan: SelectionPlan, source: Any, path: Path | None) -> Any:
        """graphql-core's `execute_fields` (with `execute_field` inlined) on a plan: each
        field read, or resolved and completed, in response order; awaitables gathered.
        The plan's own function does it (`compiled`)."""
        return plan.compiled(self, source, path)

    def leaf_failed(self, raw_error: Exception, field: FieldPlan, path: Path | None) -> None:
        """An attribute read as a leaf failed: handled at its path, made now."""
        field_path = Path(path, field.key, field.parent.name)
        self.handle_field_error(raw_error, field.definition.type, field.details, field_path)

    def execute_field_plan(self, field: FieldPlan, source: Any, path: Path) -> Any:
        """graphql-core's `execute_field`: resolve (or read), then complete."""
        info: GraphQLResolveInfo | None = None
        return_type = field.definition.type
        try:
            if field.kind == ATTRIBUTE:
                result = getattr(source, field.attribute)  # type: ignore[arg-type]
            elif field.context_only:
                # no resolve info made: the resolver reads only its context; a completion
                # that needs one makes it (`info_of`)
                arguments = field.arguments
                if arguments is None:
                    arguments = self.arguments_of(field)
                result = field.resolve(source, self.context_only, **arguments)
            else:
                info = self.build_resolve_info(field.definition, field.nodes, field.parent, path)
                arguments = field.arguments
                if arguments is None:
                    arguments = self.arguments_of(field)
                resolve = field.resolve or self.field_resolver
                result = resolve(source, info, **arguments)
            if result.__class__ not in PLAIN_TYPES and self.is_awaitable(result):
                return self.completed_later(field, info, path, result)
            completed = field.completion.complete(self, field, info, path, result)
            if completed.__class__ not in PLAIN_TYPES and self.is_awaitable(completed):
                return self.settled(completed, return_type, field, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field.details, path)
            return None
        return completed

    def arguments_of(self, field: FieldPlan) -> dict[str, Any]:
        """Arguments that name variables, coerced on first use in this run. A failure is
        not kept: each use fails afresh, as in graphql-core."""
        arguments = self.run_arguments.get(field)
        if arguments is None:
            details = field.details[0]
            arguments = self.run_arguments[field] = get_argument_values(
                field.definition,
                details.node,
                self.variable_values,
                details.fragment_variable_values,
                self.hide_suggestions,
            )
        return arguments

    def info_of(
        self, field: FieldPlan, info: GraphQLResolveInfo | None, path: Path
    ) -> GraphQLResolveInfo:
        """The field's resolve info, made now for a field read without one (`path` may be
        an item's: the field's is above its list indices)."""
        if info is not None:
            return info
        while isinstance(path.key, int):
            path = path.prev  # type: ignore[assignment]
        return self.build_resolve_info(field.definition, field.nodes, field.parent, path)

    async def completed_later(
        self, field: FieldPlan, info: GraphQLResolveInfo | None, path: Path, result: Any
    ) -> Any:
        """graphql-core's `complete_awaitable_value`."""
        try:
            resolved = await result
            completed = field.completion.complete(self, field, info, path, resolved)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.definition.type, field.details, path)
            completed = None
        return completed

    async def settled(
        self, completed: Awaitable[Any], type_: GraphQLOutputType, field: FieldPlan, path: Path
    ) -> Any:
        """A completion that finishes later, its failure handled at `path`."""
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, type_, field.details, path)
            return None

    async def gathered_fields(self, results: dict[str, Any], keys: list[str]) -> dict[str, Any]:
        if len(keys) == 1:
            results[keys[0]] = await results[keys[0]]
        else:
            awaited = await gathered([results[key] for key in keys])
            results.update(zip(keys, awaited, strict=True))
        return results

    async def gathered_items(self, completed: list[Any], indices: list[int]) -> list[Any]:
        if len(indices) == 1:
            completed[indices[0]] = await completed[indices[0]]
        else:
            awaited = await gathered([completed[index] for index in indices])
            for index, value in zip(indices, awaited, strict=True):
                completed[index] = value
        return completed


class ContextOnly:
    """The operation's context, standing for a resolve info (`FieldPlan.context_only`)."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


def planned(executor: type[E], cache: PlanCache) -> type[E]:
    """`executor` running planned queries, with `cache` for plans of its schema's
    operations."""
    attributes: dict[str, Any] = {"plans": cache, "__doc__": executor.__doc__}
    return type(f"Planned{executor.__name__}", (PlannedExecution, executor), attributes)
