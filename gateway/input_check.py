"""One check of every argument and input field at the edge, before any SQL runs.

graphql-core has already checked types, and the custom scalars their spelling
(`gateway.schema.scalars`). What remains is what the sources could choke on or what
could never match, checked here for the whole operation at once:

* every String and ID, wherever it appears: no NUL character (PostgreSQL text cannot
  hold one), no lone surrogate (it has no UTF-8 encoding), and at most
  `MAX_TEXT` characters unless a rule below lets it fill its column;
* the rules in `RULES`, by schema coordinate: a value compared with or written to a
  legacy column fits that column (the connectors declare their columns), fiscal years lie
  in the calendar's years, `first` is a page size, `after` is a cursor of its list (an
  event id on a subscription);
* a filter's `not` and `anyOf` nest at most `MAX_FILTER_NESTING` levels deep.

`refusals` walks an operation (fragments once each) and returns what it refuses: for
queries and subscriptions, GraphQL errors with `extensions.code` BAD_USER_INPUT and
`extensions.argument` naming the argument; for the root fields of a mutation, refusals
the mutation's payload reports as a `UserError` (INVALID_INPUT, naming the input field),
since the contract puts a mutation's expected failures there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)

from connectors.columns import Column, Numeric, Text, Whole
from connectors.ekin import columns as ekin
from connectors.sppspm import columns as sppspm
from connectors.stats import MAX_GROUPS
from connectors.working_days import FIRST_YEAR, LAST_YEAR
from gateway import cursors
from gateway.day_windows import check_filter_window
from gateway.document_memo import DocumentMemo
from gateway.errors import BadUserInput, shown
from gateway.events.ids import EventId

MAX_TEXT = 1_000
"""The longest string an argument may be when no rule names the column it goes to."""

MAX_REFUSALS = 20
"""An operation is refused with at most this many errors."""

NESTING_FIELDS = frozenset({"not", "anyOf"})
MAX_FILTER_NESTING = 3
"""How deep a filter's `not` and `anyOf` may nest (the analytics contract's bound)."""

Check = Callable[[Any], None]
"""A rule: raises BadUserInput (its message without the argument's name) to refuse."""


@dataclass(frozen=True, slots=True)
class Fits:
    """The rule that a value fits a legacy column as its connector declares it."""

    column: Column

    def __call__(self, value: Any) -> None:
        column = self.column
        if isinstance(column, Text):
            if column.max_length is not None and len(value) > column.max_length:
                raise BadUserInput(
                    f"{len(value):,} characters; {column.column} holds at most {column.max_length}"
                )
        elif isinstance(column, Whole):
            if not column.low <= value <= column.high:
                raise BadUserInput(f"{value} is outside {column.low} to {column.high}")
        elif not _fits_numeric(value, column):
            raise BadUserInput(
                f"{shown(str(value))} does not fit {column.column}: at most"
                f" {column.largest} with {column.scale} decimals"
            )


def fits(column: Column) -> Check:
    return Fits(column)


def _fits_numeric(value: Decimal, column: Numeric) -> bool:
    exponent = value.as_tuple().exponent
    return abs(value) <= column.largest and isinstance(exponent, int) and -exponent <= column.scale


def groups_first(value: int) -> None:
    """How many groups a statistics field may answer with."""
    if not 0 <= value <= MAX_GROUPS:
        raise BadUserInput(f"first must be 0 to {MAX_GROUPS:,}, got {value}")


def fiscal_year(value: int) -> None:
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise BadUserInput(
            f"{value} is not a fiscal year this gateway serves ({FIRST_YEAR} to {LAST_YEAR})"
        )


def cursor_of(kind: str, decode: Callable[[str, str], object]) -> Check:
    def check(value: str) -> None:
        decode(kind, value)

    return check


@dataclass(frozen=True, slots=True)
class KeyOf:
    """The rule that an ID is a key the column can hold: digits, within its range."""

    column: Whole

    def __call__(self, value: Any) -> None:
        text = str(value)
        if not (text.isascii() and text.isdigit() and len(text) <= 10):
            raise BadUserInput(f"{shown(text)} is no {self.column.column}: expected digits")
        if not self.column.low <= int(text) <= self.column.high:
            raise BadUserInput(f"{text} is outside {self.column.low} to {self.column.high}")


RULES: Mapping[str, Check] = {
    # fiscal years (sppspm's tahun is a smallint; the calendar spans the years served)
    "Query.department.fiscalYear": fiscal_year,
    "Query.departments.fiscalYear": fiscal_year,
    "Query.dataIssues.fiscalYear": fiscal_year,
    "Employee.financeRoles.fiscalYear": fiscal_year,
    "PaymentRequestFilter.fiscalYear": fiscal_year,
    "PaymentRequestFilter.fiscalYearIn": fiscal_year,
    "BudgetLineFilter.fiscalYear": fiscal_year,
    "BudgetLineFilter.fiscalYearIn": fiscal_year,
    "SubmitPaymentRequestInput.fiscalYear": fiscal_year,
    # pages
    "Query.employees.first": cursors.check_first,
    "Query.paymentRequests.first": cursors.check_first,
    "Query.allowances.first": cursors.check_first,
    "Department.employees.first": cursors.check_first,
    "Department.paymentRequests.first": cursors.check_first,
    "Budget.lines.first": cursors.check_first,
    "Query.paymentRequestStats.first": groups_first,
    "Query.allowanceStats.first": groups_first,
    "Query.activityStats.first": groups_first,
    "Query.employeeStats.first": groups_first,
    "Query.employees.after": cursors.check_employee_cursor,
    "Department.employees.after": cursors.check_employee_cursor,
    "Query.activities.first": cursors.check_first,
    "Query.activities.after": cursors.check_activity_cursor,
    # windows of days (each filter in not and anyOf carries its own)
    "Query.activities.filter": check_filter_window,
    "Query.activityStats.filter": check_filter_window,
    "ActivityFilter.not": check_filter_window,
    "ActivityFilter.anyOf": check_filter_window,
    "Query.allowances.after": cursors.check_allowance_cursor,
    "Budget.lines.after": cursors.check_line_cursor,
    "Query.budgetLines.first": cursors.check_first,
    "Query.budgetLines.after": cursors.check_line_cursor,
    "Query.paymentRequests.after": cursors.check_payment_cursor,
    "Subscription.paymentRequestEvents.after": EventId.check,
    "Subscription.activityEvents.after": EventId.check,
    "Department.paymentRequests.after": cursors.check_payment_cursor,
    # e-kin columns
    "EmployeeFilter.nameContains": fits(ekin.NAME),
    "EmployeeFilter.rank": fits(ekin.RANK),
    "EmployeeFilter.unitId": fits(ekin.UNIT_ID),
    "EmployeeFilter.unitIdIn": fits(ekin.UNIT_ID),
    "EmployeeFilter.rankIn": fits(ekin.RANK),
    "ActivityFilter.unitId": fits(ekin.UNIT_ID),
    "ActivityFilter.unitIdIn": fits(ekin.UNIT_ID),
    "LogActivityInput.description": fits(ekin.ACTIVITY_DESCRIPTION),
    "LogActivityInput.output": fits(ekin.ACTIVITY_OUTPUT),
    "LogActivityInput.volume": fits(ekin.ACTIVITY_VOLUME),
    "LogActivityInput.idempotencyKey": fits(ekin.IDEMPOTENCY_KEY),
    "ReviewActivityInput.note": fits(ekin.REVIEW_NOTE),
    "ReviewActivityInput.idempotencyKey": fits(ekin.IDEMPOTENCY_KEY),
    # sppspm columns
    "Query.department.code": fits(sppspm.FINANCE_CODE),
    "Query.allowances.departmentCode": fits(sppspm.FINANCE_CODE),
    "AllowanceFilter.departmentCode": fits(sppspm.FINANCE_CODE),
    "AllowanceFilter.departmentCodeIn": fits(sppspm.FINANCE_CODE),
    "Query.serviceLevel.departmentCode": fits(sppspm.FINANCE_CODE),
    "EmployeeFilter.departmentCode": fits(sppspm.FINANCE_CODE),
    "EmployeeFilter.departmentCodeIn": fits(sppspm.FINANCE_CODE),
    "ActivityFilter.departmentCode": fits(sppspm.FINANCE_CODE),
    "ActivityFilter.departmentCodeIn": fits(sppspm.FINANCE_CODE),
    "PaymentRequestFilter.departmentCode": fits(sppspm.FINANCE_CODE),
    "PaymentRequestFilter.departmentCodeIn": fits(sppspm.FINANCE_CODE),
    "PaymentRequestFilter.accountCodePrefix": fits(sppspm.ACCOUNT_CODE),
    "PaymentRequestFilter.budgetLineId": KeyOf(sppspm.BUDGET_LINE_ID),
    "BudgetLineFilter.departmentCode": fits(sppspm.FINANCE_CODE),
    "BudgetLineFilter.departmentCodeIn": fits(sppspm.FINANCE_CODE),
    "BudgetLineFilter.accountCodePrefix": fits(sppspm.ACCOUNT_CODE),
    "SubmitPaymentRequestInput.departmentCode": fits(sppspm.FINANCE_CODE),
    "Subscription.paymentRequestEvents.departmentCode": fits(sppspm.FINANCE_CODE),
    "Query.paymentRequest.number": fits(sppspm.REQUEST_NUMBER),
    "VerifyPaymentRequestInput.number": fits(sppspm.REQUEST_NUMBER),
    "IssuePaymentOrderInput.number": fits(sppspm.REQUEST_NUMBER),
    "IssueDisbursementInput.number": fits(sppspm.REQUEST_NUMBER),
    "PaymentRequestFilter.minAmount": fits(sppspm.AMOUNT),
    "PaymentRequestFilter.maxAmount": fits(sppspm.AMOUNT),
    "SubmitPaymentRequestInput.purpose": fits(sppspm.PURPOSE),
    "SubmitPaymentRequestInput.idempotencyKey": fits(sppspm.IDEMPOTENCY_KEY),
    "VerifyPaymentRequestInput.reason": fits(sppspm.REJECTION_REASON),
    "VerifyPaymentRequestInput.idempotencyKey": fits(sppspm.IDEMPOTENCY_KEY),
    "IssuePaymentOrderInput.reason": fits(sppspm.REJECTION_REASON),
    "IssuePaymentOrderInput.idempotencyKey": fits(sppspm.IDEMPOTENCY_KEY),
    "IssueDisbursementInput.reason": fits(sppspm.REJECTION_REASON),
    "IssueDisbursementInput.idempotencyKey": fits(sppspm.IDEMPOTENCY_KEY),
}
"""What each argument and input field must satisfy beyond its type, by coordinate
("Type.field.argument" or "InputType.field")."""


def check_rules_against(schema: GraphQLSchema, rules: Mapping[str, Check] = RULES) -> None:
    """Every coordinate of `rules` names an argument or input field of `schema`: a rule
    left behind by a rename would silently check nothing."""
    for coordinate in rules:
        if not _exists(schema, coordinate.split(".")):
            raise LookupError(f"input rule {coordinate} names nothing in the schema")


def _exists(schema: GraphQLSchema, parts: list[str]) -> bool:
    named = schema.get_type(parts[0])
    if isinstance(named, GraphQLInputObjectType) and len(parts) == 2:
        return parts[1] in named.fields
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType) and len(parts) == 3:
        found = named.fields.get(parts[1])
        return found is not None and parts[2] in found.args
    return False


@dataclass(slots=True)
class Refusals:
    """What `refusals` found: errors of the operation, and refusals of mutation fields
    by their response key, each as (input field, message)."""

    errors: list[GraphQLError] = field(default_factory=list)
    mutation_inputs: dict[str, tuple[str, str]] = field(default_factory=dict)


REFUSE_NOTHING: DocumentMemo[bool] = DocumentMemo(maxsize=512)
"""Operations sent without variables whose arguments were found to refuse nothing, kept
for the same document sent again. Only those: a refusal is found again each time, so no
error object is shared between answers."""


def refusals(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> Refusals:
    """Check every argument of the operation that will run (validated already)."""
    if variables:
        return _refusals(schema, document, operation_name, variables)
    found: Refusals | None = None

    def refuses_nothing() -> bool:
        nonlocal found
        found = _refusals(schema, document, operation_name, None)
        return not found.errors and not found.mutation_inputs

    if REFUSE_NOTHING.get(schema, document, operation_name, refuses_nothing):
        return Refusals()
    return found or _refusals(schema, document, operation_name, None)


def _refusals(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> Refusals:
    found = Refusals()
    operation = _operation(document, operation_name)
    if operation is None:
        return found
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), dict(variables or {})
    )
    if not isinstance(coerced, VariableValues):
        return found  # graphql-core refuses these variables itself, with its own errors
    root = schema.get_root_type(operation.operation)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, coerced, found)
    walk.selections(
        operation.selection_set, root, mutation=operation.operation is OperationType.MUTATION
    )
    return found


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name is not None and definition.name.value == name)
        ):
            return definition
    return None


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        found: Refusals,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.found = found
        self.seen: set[str] = set()

    def selections(
        self, node: SelectionSetNode | None, parent: GraphQLNamedType | None, mutation: bool = False
    ) -> None:
        if node is None or len(self.found.errors) >= MAX_REFUSALS:
            return
        for selection in node.selections:
            if not self.switches_hold(selection):
                continue
            if isinstance(selection, FieldNode):
                self.field(selection, parent, mutation)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                self.selections(
                    selection.selection_set,
                    self.schema.get_type(condition.name.value) if condition else parent,
                    mutation,
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in self.seen:
                    self.seen.add(name)
                    on_type = self.schema.get_type(fragment.type_condition.name.value)
                    self.selections(fragment.selection_set, on_type, mutation)

    def switches_hold(self, selection: SelectionNode) -> bool:
        """Whether `@include`/`@skip`'s `if` has a value. A variable declared nullable with
        a default passes validation in that `Boolean!` place, but null given for it is
        no answer to "include?": refused here rather than failing the execution."""
        for directive in (GraphQLIncludeDirective, GraphQLSkipDirective):
            try:
                get_directive_values(directive, selection, self.variables)
            except GraphQLError as exc:
                name = f"@{directive.name}"
                self._refuse(selection, name, "if", _coercion_problem(exc), mutation=False)
                return False
        return True

    def field(self, node: FieldNode, parent: GraphQLNamedType | None, mutation: bool) -> None:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return
        definition = parent.fields.get(node.name.value)
        if definition is None:  # __typename and introspection
            return
        if definition.args:
            where = f"{parent.name}.{node.name.value}"
            try:
                args = get_argument_values(definition, node, self.variables)
            except GraphQLError as exc:  # null from a variable with a default, in a `T!` place
                # an error even in a mutation: graphql-core would fail before its resolver
                problem = _coercion_problem(exc)
                self._refuse(node, where, _argument_of(exc), problem, mutation=False)
                return
            for name, argument in definition.args.items():
                for path, message in _problems(
                    argument.type, f"{where}.{name}", name, args.get(name)
                ):
                    self._refuse(node, where, path, message, mutation)
        self.selections(node.selection_set, get_named_type(definition.type))

    def _refuse(
        self, node: SelectionNode, where: str, path: str, message: str, mutation: bool
    ) -> None:
        if mutation and isinstance(node, FieldNode):
            key = node.alias.value if node.alias else node.name.value
            field_path = path.removeprefix("input.")
            self.found.mutation_inputs.setdefault(key, (field_path, f"{field_path}: {message}"))
            return
        if len(self.found.errors) < MAX_REFUSALS:
            self.found.errors.append(
                GraphQLError(
                    f"{where}({path}): {message}",
                    node,
                    extensions={"code": "BAD_USER_INPUT", "argument": path},
                )
            )


def _argument_of(error: GraphQLError) -> str:
    """The argument graphql-core's coercion error names ("Argument 'code' has ...")."""
    _, quoted, rest = error.message.partition("Argument '")
    return rest.partition("'")[0] if quoted else "?"


def _coercion_problem(error: GraphQLError) -> str:
    """graphql-core's reason, without its "Argument 'x' has invalid value: " preamble,
    and with GraphQL's word for nothing rather than Python's."""
    reason = error.message.partition("invalid value: ")[2] or error.message
    return reason.replace("not to be None", "not to be null")


def _problems(
    type_: GraphQLInputType, coordinate: str, path: str, value: Any, nesting: int = 0
) -> Iterable[tuple[str, str]]:
    """(path, message) for each part of `value` that breaks a rule; `nesting` counts the
    filters (`not`, `anyOf`) the value lies in."""
    if value is None:
        return
    if isinstance(type_, GraphQLNonNull):
        yield from _problems(type_.of_type, coordinate, path, value, nesting)
        return
    if isinstance(type_, GraphQLList):
        for index, item in enumerate(value):
            yield from _problems(type_.of_type, coordinate, f"{path}.{index}", item, nesting)
        return
    rule = RULES.get(coordinate)
    if isinstance(type_, GraphQLInputObjectType):
        for name, input_field in type_.fields.items():
            inner = nesting + (name in NESTING_FIELDS)
            if inner > MAX_FILTER_NESTING and value.get(name) is not None:
                yield (
                    f"{path}.{name}",
                    f"not and anyOf nest at most {MAX_FILTER_NESTING} levels deep",
                )
                continue
            yield from _problems(
                input_field.type, f"{type_.name}.{name}", f"{path}.{name}", value.get(name), inner
            )
    elif isinstance(type_, GraphQLScalarType) and type_.name in ("String", "ID"):
        column_bound = isinstance(rule, Fits) and isinstance(rule.column, Text)
        problem = _text_problem(str(value), column_bound)
        if problem is not None:
            yield path, problem
            return
    if rule is not None:
        try:
            rule(value)
        except BadUserInput as refusal:
            yield path, str(refusal)


def _text_problem(text: str, column_bound: bool) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate, which is no character"
    if not column_bound and len(text) > MAX_TEXT:
        return f"{len(text):,} characters; at most {MAX_TEXT:,}"
    return None
