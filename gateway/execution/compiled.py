"""A selection's plan compiled to a Python function, as graphql-jit compiles a query.

Run as a loop, a plan's selection asks each field's kind and reads its key, attribute
and completion from the plan as it goes: for a large answer (tens of thousands of
objects, a few fields each) that loop was most of the engine's time. Compiled, each
selection becomes a function with one straight block per field, in response order, in
which what the plan knows is written in: the key, the attribute read (`source.number`),
the class whose values are kept as they are, a met enum member's name, the field's
completion. Each block does what graphql-core's `execute_field` does for its field, with
the same calls for whatever is not a plain value; `PlannedExecution.execute_selection`
calls `SelectionPlan.compiled`, and the engine's tests (tests/test_planned_execution.py,
the differential runs of the suite) hold it to graphql-core's answers.

What goes into the source is the plan's own: response keys and type names are GraphQL
names (the parser allows nothing else), written as string literals; an attribute is
written as one only when it is a Python identifier, else read by `getattr`. Everything
else is passed in by name (`F0`, `C0`, ...), never written as text.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql.pyutils import Path

from gateway.execution.completion import PLAIN_TYPES, LeafCompletion, NoValue, new_path

if TYPE_CHECKING:
    from gateway.execution.executor import PlannedExecution
    from gateway.execution.plans import FieldPlan, SelectionPlan

Compiled = Callable[["PlannedExecution", Any, Path | None], Any]


def compiled(plan: SelectionPlan) -> Compiled:
    """The function that runs `plan` on one source object (`execute_selection`)."""
    namespace: dict[str, Any] = {"PLAIN_TYPES": PLAIN_TYPES, "new_path": new_path, "Path": Path}
    parent = repr(plan.type.name)
    lines = [
        "def selection(run, source, path):",
        "    results = {}",
        "    awaitable_keys = None",
        "    is_awaitable = run.is_awaitable",
        "    try:",
    ]
    for index, field in enumerate(plan.fields):
        namespace[f"F{index}"] = field
        lines += _field(index, field, parent, namespace)
    if not plan.fields:  # every field skipped: an empty object
        lines.append("        pass")
    lines += [
        "    except Exception:",
        "        if awaitable_keys:",
        "            # as graphql-core does: started siblings settle in the background",
        "            run.settle_in_background([results[key] for key in awaitable_keys])",
        "        raise",
        "    if awaitable_keys is None:",
        "        return results",
        "    return run.gathered_fields(results, awaitable_keys)",
    ]
    source = "\n".join(lines)
    code = compile(source, f"<selection on {plan.type.name}>", "exec")
    exec(code, namespace)  # noqa: S102 - our own source, see the module
    function: Compiled = namespace["selection"]
    return function


def _field(index: int, field: FieldPlan, parent: str, namespace: dict[str, Any]) -> list[str]:
    """The block of one field: its value read, or resolved, and completed."""
    key = repr(field.key)
    awaited = [
        "            if awaitable_keys is None:",
        f"                awaitable_keys = [{key}]",
        "            else:",
        f"                awaitable_keys.append({key})",
    ]
    if field.kind == field.TYPENAME:
        return [f"        results[{key}] = {parent}"]
    if field.kind == field.ATTRIBUTE and field.leaf:
        namespace[f"C{index}"] = field.completion.complete
        attribute = field.attribute
        assert attribute is not None
        if attribute.isidentifier() and not keyword.iskeyword(attribute):
            read = f"source.{attribute}"
        else:
            read = f"getattr(source, {attribute!r})"
        kept: list[str] = []
        branch = "if"
        if field.unchanged is not NoValue:  # a string or boolean kept as it is
            kept = [
                f"            if value.__class__ is {field.unchanged.__name__}:",
                f"                results[{key}] = value",
            ]
            branch = "elif"
        completion = field.completion
        if isinstance(completion, LeafCompletion) and completion.enum is not None:
            # a member whose name the completion has met: its name, as the completion
            # would answer (`LeafCompletion.names`)
            namespace[f"E{index}"], namespace[f"N{index}"] = completion.enum, completion.names
            kept = [
                f"            if value.__class__ is E{index} and"
                f" (name := N{index}.get(id(value))) is not None:",
                f"                results[{key}] = name",
            ]
            branch = "elif"
        return [
            "        try:",
            f"            value = {read}",
            *kept,
            f"            {branch} value.__class__ not in PLAIN_TYPES and is_awaitable(value):",
            f"                field_path = new_path(Path, (path, {key}, {parent}))",
            f"                later = run.completed_later(F{index}, None, field_path, value)",
            f"                results[{key}] = later",
            *["    " + line for line in awaited],
            "            else:",
            f"                results[{key}] = C{index}(run, F{index}, None, None, value)",
            "        except Exception as raw_error:",
            f"            run.leaf_failed(raw_error, F{index}, path)",
            f"            results[{key}] = None",
        ]
    return [
        f"        field_path = new_path(Path, (path, {key}, {parent}))",
        f"        result = run.execute_field_plan(F{index}, source, field_path)",
        f"        results[{key}] = result",
        "        if result.__class__ not in PLAIN_TYPES and is_awaitable(result):",
        *awaited,
    ]
