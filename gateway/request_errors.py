"""GraphQL request errors: a document that does not parse, does not validate, or whose
variables do not coerce to their types. On every transport each carries a code the client
can act on, and in production none suggests names the caller did not ask for ("Did you
mean ...?" would map the schema for anyone): graphql-core's own `hide_suggestions`, in
validation and in the coercion of variables alike.

Errors that already carry a code (a query refused for its cost, an operation refused before
parsing) keep theirs."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, GraphQLSyntaxError, validate
from graphql.execution import Executor
from graphql.validation import ASTValidationRule
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from gateway.errors import BadUserInput, refuse_before_parse

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = BadUserInput.code
"""Variables that do not coerce are the client's input, like a resolver's bad input."""


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    """`error`, given `extensions.code` = `code` unless it has a code already."""
    extensions = error.extensions or {}
    if "code" not in extensions:
        error.extensions = {**extensions, "code": code}
    return error


class ParseOrRefuse(ParserCache):
    """strawberry's cached parse, but a document that does not parse refuses its operation
    (`refuse_before_parse`) with `GRAPHQL_PARSE_FAILED`, on every transport alike. Raised
    out of the hook, the syntax error would end a WebSocket operation without an answer;
    and as a `GraphQLSyntaxError` strawberry closes the whole socket (4400) rather than
    answer the one operation, so the refusal is a plain error with the same message and
    locations."""

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.query is not None:
            try:
                ec.graphql_document = self.cached_parse_document(ec.query, **ec.parse_options)
            except GraphQLSyntaxError as error:  # the token limit's refusal too
                refusal = GraphQLError(
                    error.message,
                    source=error.source,
                    positions=error.positions,
                    extensions={"code": PARSE_FAILED},
                )
                refuse_before_parse(ec, refusal)
        yield


class ValidDocuments:
    """The documents found valid lately, so that a document sent again (the parser cache
    hands back the same object for the same text) is not validated again: validation is
    most of the cost of a small query. Validity depends on the schema, the document and the
    rules alone, never on the caller. Only valid documents are kept: an invalid one is
    validated again, so its errors are never shared between answers. Bounded, least
    recently used first out."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._valid: OrderedDict[tuple[int, int, tuple[type, ...], bool], tuple[Any, Any]]
        self._valid = OrderedDict()

    def check(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
        hide_suggestions: bool,
    ) -> list[GraphQLError]:
        key = (id(schema), id(document), rules, hide_suggestions)
        kept = self._valid.get(key)
        if kept is not None and kept[0] is schema and kept[1] is document:  # not an id reused
            self._valid.move_to_end(key)
            return []
        errors = validate(schema, document, rules, hide_suggestions=hide_suggestions)
        if not errors:
            self._valid[key] = (schema, document)
            if len(self._valid) > self.maxsize:
                self._valid.popitem(last=False)
        return errors


VALID_DOCUMENTS = ValidDocuments(maxsize=512)


class ValidateOrRefuse(SchemaExtension):
    """Validates the document with the rules strawberry would use (its own two and those
    the extensions added), suggestions hidden when `hide_suggestions`, and codes each error
    `GRAPHQL_VALIDATION_FAILED`; a document found valid lately is not validated again
    (`VALID_DOCUMENTS`). strawberry then skips its own validation. Listed after the
    extensions that refuse a document before validation, so a refused one is not validated."""

    def __init__(self, *, hide_suggestions: bool) -> None:
        self.hide_suggestions = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        if ec.pre_execution_errors is None and document is not None and ec.validation_rules:
            # strawberry's own validate_document adds these two to the context's rules
            rules = (*ec.validation_rules, MaybeNullValidationRule, OneOfInputValidationRule)
            errors = VALID_DOCUMENTS.check(
                ec.schema._schema, document, rules, self.hide_suggestions
            )
            ec.pre_execution_errors = [with_code(error, VALIDATION_FAILED) for error in errors]
        yield


class CoercionRefusals(Executor):
    """Mixed into the gateway's executor: its refusals before execution (variables that
    do not coerce to their types) are `BAD_USER_INPUT`, with suggestions unless `suggest`
    is off. A mixin, so this module needs nothing of the executor it is mixed into."""

    suggest = True

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> list[GraphQLError] | Executor:
        kwargs["hide_suggestions"] = kwargs.get("hide_suggestions", False) or not cls.suggest
        built = super().build(*args, **kwargs)
        if isinstance(built, list):
            return [with_code(error, BAD_USER_INPUT) for error in built]
        return built
