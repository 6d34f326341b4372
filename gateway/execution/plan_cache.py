"""Plans kept by operation and by the values of the variables that `@include` and `@skip`
read: bounded, the least recently used out first.

strawberry's parser cache (`ParseOrRefuse`) hands the same document, and so the same
operation node, to every request with the same text, so a plan is found by the identity
of the operation node. Each entry holds its node, so that identity cannot be reused
while the entry lives. An operation that cannot be planned is remembered as such and
runs on graphql-core.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator

from graphql import (
    DirectiveNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLSkipDirective,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.execution import Executor

from gateway.execution.plans import SelectionPlan, Unplannable, plan_operation

SWITCHES = frozenset({GraphQLIncludeDirective.name, GraphQLSkipDirective.name})

MISSING = object()
"""A switch variable the request did not give (unlike one given as null)."""


class OperationPlans:
    """The plans of one operation, by the values of its switches."""

    __slots__ = ("operation", "plans", "switches")

    def __init__(self, executor: Executor) -> None:
        self.operation = executor.operation
        selection_sets = [self.operation.selection_set]
        selection_sets += [f.selection_set for f in executor.fragment_definitions.values()]
        self.switches = tuple(sorted({name for s in selection_sets for name in switches(s)}))
        self.plans: OrderedDict[Hashable, SelectionPlan | None] = OrderedDict()


class PlanCache:
    """At most `operations` operations, each with at most `variants` plans (combinations
    of its switches)."""

    def __init__(self, operations: int = 256, variants: int = 16) -> None:
        self.operations = operations
        self.variants = variants
        self._entries: OrderedDict[int, OperationPlans] = OrderedDict()

    def plan(self, executor: Executor) -> SelectionPlan | None:
        """The plan of the executor's operation; None when graphql-core must run it."""
        entry = self._entry(executor)
        coerced = executor.variable_values.coerced
        key = tuple(coerced.get(name, MISSING) for name in entry.switches)
        plans = entry.plans
        if key in plans:
            plans.move_to_end(key)
            return plans[key]
        try:
            plan: SelectionPlan | None = plan_operation(executor)
        except (Unplannable, GraphQLError, RecursionError):
            # graphql-core runs it, and answers what planning ran into as it does
            plan = None
        plans[key] = plan
        if len(plans) > self.variants:
            plans.popitem(last=False)
        return plan

    def _entry(self, executor: Executor) -> OperationPlans:
        operation: OperationDefinitionNode = executor.operation
        entries = self._entries
        entry = entries.get(id(operation))
        if entry is not None and entry.operation is operation:
            entries.move_to_end(id(operation))
            return entry
        entry = entries[id(operation)] = OperationPlans(executor)
        if len(entries) > self.operations:
            entries.popitem(last=False)
        return entry


def switches(selection_set: SelectionSetNode | None) -> Iterator[str]:
    """The variables that `@include` and `@skip` read in a selection set, at any depth."""
    for selection in selection_set.selections if selection_set else ():
        yield from _read_by(selection.directives or ())
        yield from switches(getattr(selection, "selection_set", None))


def _read_by(directives: Iterable[DirectiveNode]) -> Iterator[str]:
    for directive in directives:
        if directive.name.value in SWITCHES:
            for argument in directive.arguments or ():
                if isinstance(argument.value, VariableNode):
                    yield argument.value.name.value
