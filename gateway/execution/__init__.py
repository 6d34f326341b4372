"""The gateway's own execution engine: each query planned once, then run by the plan.

Why the project has one: graphql-core's execution is a faithful port of graphql-js's
generic executor, which rediscovers for every field of every object what to do with it:
it collects the selection set again, looks the field up, builds a resolve info, coerces
the arguments, calls the resolver (through strawberry's wrapper, even for a plain
attribute), asks whether the answer is awaitable and completes it by walking its type.
On a page of 200 payment requests that is more than half of the request's time. The
fast servers of other languages plan instead (graphql-jit compiles each query to a
function, Hot Chocolate compiles each operation, Grafast under PostGraphile v5 plans
each one): a validated operation becomes a plan once, and requests run the plan. No
Python library does that over strawberry and graphql-core, so it lives here, small,
beside the executor it speeds up:

* `plans`: what a plan holds, and how an operation is planned;
* `completion`: how a field's value is completed, chosen by its type at planning time;
* `compiled`: each selection's plan as a Python function with a block per field;
* `attribute_reads`: which fields are provably plain attribute reads;
* `resolver_calls`: which resolvers can be called without strawberry's wrapper (inside
  the same access guard), and which of them read nothing of a resolve info but its
  context (`reads_only_context`), so that none is made for them;
* `gathering`: graphql-core's `gather_with_cancel`, with a counter instead of
  `asyncio.gather`;
* `plan_cache`: plans by operation and `@include`/`@skip` variables, bounded;
* `executor`: running a plan with graphql-core's shape of execution (same resolvers,
  same order, same gathering of awaitables, so the same DataLoader batches and SQL
  statements, the same errors and null propagation).

The resolvers called are the graphql-core schema's, wrapped by strawberry and by the
access guard (`gateway.access.guard`), or, where `resolver_calls` proves the call the
same, the resolver function inside the same guard; so access control and the audit trail
are exactly those of graphql-core's execution. `SMARTGATE_EXECUTION=graphql-core` turns the
engine off.

graphql-core runs, unchanged:

* mutations (their root fields run one after another, their time is their SQL, and they
  cannot be compared by running them twice) and subscriptions (a long-lived stream, each
  event run by `operation_scope.EventScopedExecutor`);
* operations selecting `__schema` or `__type` (introspection is rare and generic);
* operations that cannot be planned ahead: a `@include`/`@skip` whose variable does not
  coerce (the error is graphql-core's to give, at its place), `@defer`, `@stream`,
  fragment arguments, selections nested too deeply to plan, and types whose objects need
  a decision at run time (interfaces, unions, object types with `is_type_of`: the schema
  has none today);
* requests with resolver middleware (a strawberry extension with a `resolve` hook: the
  gateway has none) or an abort signal;
* inside a plan, values of a list field that are not a plain iterable of values (an
  async iterable, awaitable items): completed by graphql-core's own methods.
"""

from gateway.execution.executor import PlannedExecution, planned
from gateway.execution.plan_cache import PlanCache

__all__ = ["PlanCache", "PlannedExecution", "planned"]
