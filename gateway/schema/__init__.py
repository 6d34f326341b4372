"""The GraphQL schema, one module per domain; `build_schema` assembles it with the access
guard and the query-safety extensions."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from connectors.source import SourceUnavailable, TimeBudgetExceeded
from gateway.access.guard import guard_schema
from gateway.access.limits import QueryLimitsExtension
from gateway.access.trusted import TrustedDocumentsOnly
from gateway.acyclic_executor import AcyclicExecutor
from gateway.errors import GatewayError
from gateway.execution import PlanCache, planned
from gateway.extension_hooks import KnownHooksRunner
from gateway.input_check import check_rules_against
from gateway.metrics import RequestMetrics
from gateway.operation_scope import EventScopedExecutor, OperationScope
from gateway.request_errors import CoercionRefusals, ParseOrRefuse, ValidateOrRefuse
from gateway.schema.mutation import Mutation
from gateway.schema.query import Query
from gateway.schema.scalars import SCALARS
from gateway.schema.subscription import Subscription
from gateway.settings import AccessSettings
from gateway.tracing import OperationSpan

log = logging.getLogger("smartgate")

EXPECTED_ERRORS = (GatewayError, SourceUnavailable, TimeBudgetExceeded)


def is_unexpected(error: GraphQLError) -> bool:
    """A resolver crash, as opposed to a refusal, bad input or an unavailable source.
    Errors without an original error are the client's (syntax, validation), and so are
    graphql-core's own errors before execution (no path) that wrap one of its errors, as
    for a variable that does not coerce: what counts is what they wrap in the end."""
    original = error.original_error
    if error.path is None:
        while isinstance(original, GraphQLError):
            original = original.original_error
    return original is not None and not isinstance(original, EXPECTED_ERRORS)


def _request_id(execution_context: ExecutionContext | None) -> str | None:
    context = execution_context.context if execution_context else None
    return getattr(context, "request_id", None)


@dataclasses.dataclass
class GatewayExecutionContext(ExecutionContext):
    """strawberry's execution context, with the operation's name and type worked out once
    per document: strawberry's properties walk the document's definitions again on every
    read (and look the type's enum member up by value), some ten reads a request between
    its stages, the extensions and the audit line. What they answer or raise is
    strawberry's own; a failure is not kept."""

    _name_of: tuple[DocumentNode | None, str | None] | None = dataclasses.field(
        default=None, init=False, repr=False
    )
    _type_of: tuple[DocumentNode, OperationType] | None = dataclasses.field(
        default=None, init=False, repr=False
    )

    @property
    def operation_name(self) -> str | None:
        document, known = self.graphql_document, self._name_of
        if known is None or known[0] is not document:
            known = self._name_of = (document, super().operation_name)
        return known[1]

    @property
    def operation_type(self) -> OperationType:
        document, known = self.graphql_document, self._type_of
        if known is None or known[0] is not document:
            kind = super().operation_type  # raises without a document or operation
            assert document is not None
            known = self._type_of = (document, kind)
        return known[1]


class GatewaySchema(strawberry.Schema):
    """Logs crashes with their traceback and request id; expected errors at debug. Its
    extensions' hooks are found once per class (`gateway.extension_hooks`), and its
    execution contexts know their operation once found (`GatewayExecutionContext`)."""

    def _create_execution_context(  # noqa: PLR0917 - strawberry's signature
        self,
        query: str | None,
        allowed_operation_types: Iterable[OperationType],
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionContext:
        return GatewayExecutionContext(
            query=query,
            schema=self,
            allowed_operations=allowed_operation_types,
            context=context_value,
            root_value=root_value,
            variables=variable_values,
            provided_operation_name=operation_name,
            operation_extensions=operation_extensions,
        )

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return KnownHooksRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        request_id = _request_id(execution_context)
        for error in errors:
            if is_unexpected(error):
                log.error(
                    "event=resolver_error request_id=%s path=%s",
                    request_id,
                    error.path,
                    exc_info=error.original_error,
                )
            else:
                log.debug("event=graphql_error request_id=%s error=%r", request_id, error.message)


class MaskUnexpectedErrors(MaskErrors):
    """In production a crash reaches the client as a request id, never as its message."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = _request_id(self.execution_context)
        return GraphQLError(
            f"internal error; quote request id {request_id} to the operators",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL", "requestId": request_id},
        )


class GatewayExecutor(AcyclicExecutor, CoercionRefusals, EventScopedExecutor):
    """graphql-core's executor, each event of a subscription scoped as an operation,
    variables that do not coerce refused as the client's input, and no reference cycle
    through the executor (freed with its answer, not by the garbage collector)."""


class QuietExecutor(GatewayExecutor):
    """The executor of production: no suggestions in its refusals."""

    suggest = False


def build_schema(access: AccessSettings | None = None) -> strawberry.Schema:
    settings = access or AccessSettings()
    # No suggestions ("Did you mean ...?") in production, for any name: see request_errors.
    quiet = settings.production
    # Classes or factories, never shared instances: strawberry makes one per request.
    extensions: list[Callable[[], SchemaExtension]] = [
        OperationSpan,  # first, so the operation's span holds everything else
        RequestMetrics,
        OperationScope,  # admission before anything is parsed
        TrustedDocumentsOnly,  # a no-op unless the app has a manifest
        partial(ParseOrRefuse, maxsize=256),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        QueryLimitsExtension,
        partial(ValidateOrRefuse, hide_suggestions=quiet),  # after the refusals before it
    ]
    if settings.production:
        extensions += [DisableIntrospection, MaskUnexpectedErrors]
    executor: type[GatewayExecutor] = QuietExecutor if quiet else GatewayExecutor
    if settings.execution == "planned":
        executor = planned(executor, PlanCache())  # a cache of its own for this schema
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=executor,
        config=StrawberryConfig(
            scalar_map=SCALARS,
            batching_config={"max_operations": settings.max_batch},
        ),
    )
    guard_schema(schema._schema)
    check_rules_against(schema._schema)  # no input rule names something renamed
    return schema


def print_schema() -> str:
    return build_schema().as_str() + "\n"
