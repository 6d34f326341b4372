"""The root Mutation: what department systems, staff and officials push.

Expected business failures come back in the payload's `errors` with a stable code
(`connectors.refusal.RefusalCode`); nothing is written then. Authorisation failures are
GraphQL errors with `extensions.code` FORBIDDEN. Every input takes an optional
`idempotencyKey`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, TypeVar

import strawberry

from connectors.ekin.records import NewActivity
from connectors.refusal import RefusalCode, WriteRefused
from connectors.sppspm.records import AllowanceLine, NewPaymentRequest, PaymentRequest, Step
from gateway.context import Info, OperationContext
from gateway.resolvers import activity_writes, payment_writes
from gateway.schema import enums, finance, people
from gateway.schema.scalars import Nip, Period

T = TypeVar("T")

KEY = (
    "Optional, 1-64 characters. The same key with the same input returns the first result"
    " and changes nothing; with another input it is refused with IDEMPOTENCY_CONFLICT."
)


UserErrorCode = strawberry.enum(
    RefusalCode,
    name="UserErrorCode",
    description="Why a mutation wrote nothing. INVALID_INPUT: an input field breaks a rule of"
    " its own (text with a NUL character, longer than its column, a number out of range).",
)


@strawberry.type(description="An expected failure of a mutation: nothing was written.")
class UserError:
    code: RefusalCode
    message: str
    field: str | None = strawberry.field(
        description="The input field at fault, if one is (allowanceLines.2.amount)."
    )

    @classmethod
    def of(cls, refusal: WriteRefused) -> UserError:
        return cls(code=refusal.code, message=refusal.message, field=refusal.field)


async def refused_or(
    info: Info, write: Callable[[], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """The write's result, or why nothing was written as the payload's errors: an input
    the edge refused (`gateway.input_check`), or a refusal of the write's own rules."""
    refused = info.context.input_refusals.get(str(info.path.key))
    if refused is not None:
        field, message = refused
        return None, [UserError(code=RefusalCode.INVALID_INPUT, message=message, field=field)]
    try:
        return await write(), []
    except WriteRefused as refusal:
        return None, [UserError.of(refusal)]


# -- e-kin -------------------------------------------------------------------------------


@strawberry.input
class LogActivityInput:
    kind: enums.ActivityKind
    starts_at: datetime
    ends_at: datetime = strawberry.field(
        description="After startsAt; the activity's minutes follow (1 to 720)."
    )
    description: str
    nip: Nip | None = strawberry.field(default=None, description="Defaults to the caller.")
    output: str | None = None
    volume: int | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)

    def draft(self) -> NewActivity:
        return NewActivity(
            nip=self.nip or "",
            kind=self.kind,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            description=self.description,
            output=self.output,
            volume=self.volume,
            idempotency_key=self.idempotency_key,
        )


@strawberry.input
class ReviewActivityInput:
    activity_id: strawberry.ID
    approve: bool
    note: str | None = strawberry.field(default=None, description="Required to reject.")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type
class LogActivityPayload:
    activity: people.Activity | None
    errors: list[UserError]


@strawberry.type
class ReviewActivityPayload:
    activity: people.Activity | None
    errors: list[UserError]


def _activity(written: activity_writes.Written | None) -> people.Activity | None:
    return people.Activity.from_record(written.activity, written.owner) if written else None


# -- sppspm ------------------------------------------------------------------------------


@strawberry.input
class AllowanceLineInput:
    nip: Nip
    period: Period
    amount: Decimal


@strawberry.input
class SubmitPaymentRequestInput:
    department_code: str = strawberry.field(
        description="The finance code the request is made under: the department's, or one"
        " of its sub-units'."
    )
    type: enums.PaymentType
    amount: Decimal
    purpose: str
    ls_kind: enums.LsKind | None = strawberry.field(default=None, description="For LS only.")
    budget_line_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required except for UP."
    )
    allowance_lines: list[AllowanceLineInput] | None = strawberry.field(
        default=None, description="For LS ALLOWANCE (TPP): they add up to the amount."
    )
    fiscal_year: int | None = strawberry.field(
        default=None, description="Defaults to the current fiscal year."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)

    def draft(self, ctx: OperationContext) -> NewPaymentRequest:
        return NewPaymentRequest(
            fiscal_year=self.fiscal_year or ctx.fiscal_year,
            code=self.department_code.strip(),
            type=self.type,
            ls_kind=self.ls_kind,
            budget_line_id=_line_id(self.budget_line_id),
            amount=self.amount,
            purpose=self.purpose,
            allowance_lines=tuple(
                AllowanceLine(a.nip, a.period, a.amount) for a in self.allowance_lines or ()
            ),
            idempotency_key=self.idempotency_key,
        )


def _line_id(value: strawberry.ID | None) -> int | None:
    if value is None:
        return None
    # anggaran.id is a serial (int4): nine digits always fit
    return record_id(value, RefusalCode.UNKNOWN_BUDGET_LINE, "budgetLineId", "budget line", 9)


def record_id(
    value: strawberry.ID, unknown: RefusalCode, field: str, what: str, digits: int = 18
) -> int:
    """A source key given as an ID; one that is no key of the source names nothing."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > digits:
        raise WriteRefused(unknown, f"{what} {text!r} does not exist", field)
    return int(text)


@strawberry.input
class VerifyPaymentRequestInput:
    number: str
    approve: bool
    reason: str | None = strawberry.field(default=None, description="Required to reject.")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class IssuePaymentOrderInput:
    number: str
    approve: bool
    reason: str | None = strawberry.field(default=None, description="Required to reject.")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class IssueDisbursementInput:
    number: str
    approve: bool
    reason: str | None = strawberry.field(default=None, description="Required to reject.")
    net_amount: Decimal | None = strawberry.field(
        default=None, description="Required to approve: positive, not above the amount."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type
class SubmitPaymentRequestPayload:
    payment_request: finance.PaymentRequest | None
    errors: list[UserError]


@strawberry.type
class PaymentRequestPayload:
    payment_request: finance.PaymentRequest | None
    errors: list[UserError]


StepInput = VerifyPaymentRequestInput | IssuePaymentOrderInput | IssueDisbursementInput


async def _step(info: Info, step: Step, given: StepInput) -> PaymentRequestPayload:
    request, errors = await refused_or(
        info,
        lambda: payment_writes.decide(
            info.context,
            step,
            given.number.strip(),
            given.approve,
            given.reason,
            getattr(given, "net_amount", None),
            given.idempotency_key,
        ),
    )
    return PaymentRequestPayload(payment_request=_request(request), errors=errors)


def _request(record: PaymentRequest | None) -> finance.PaymentRequest | None:
    return finance.PaymentRequest.from_record(record) if record else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Log a daily activity (pending review). STAFF log their own; a department"
        " system those of its staff."
    )
    async def log_activity(
        self, info: Info, input_: Annotated[LogActivityInput, strawberry.argument(name="input")]
    ) -> LogActivityPayload:
        written, errors = await refused_or(
            info, lambda: activity_writes.log_activity(info.context, input_.draft())
        )
        return LogActivityPayload(activity=_activity(written), errors=errors)

    @strawberry.mutation(
        description="Approve or reject a pending activity; only a supervisor above its owner"
        " in e-kin's position chain."
    )
    async def review_activity(
        self, info: Info, input_: Annotated[ReviewActivityInput, strawberry.argument(name="input")]
    ) -> ReviewActivityPayload:
        async def review() -> activity_writes.Written:
            return await activity_writes.review_activity(
                info.context,
                record_id(
                    input_.activity_id, RefusalCode.UNKNOWN_ACTIVITY, "activityId", "activity"
                ),
                input_.approve,
                input_.note,
                input_.idempotency_key,
            )

        written, errors = await refused_or(info, review)
        return ReviewActivityPayload(activity=_activity(written), errors=errors)

    @strawberry.mutation(
        description="Submit a payment request (SPP, status SUBMITTED) for a department. Its"
        " budget line must have room for the amount."
    )
    async def submit_payment_request(
        self,
        info: Info,
        input_: Annotated[SubmitPaymentRequestInput, strawberry.argument(name="input")],
    ) -> SubmitPaymentRequestPayload:
        async def submit() -> PaymentRequest:
            draft = input_.draft(info.context)  # refuses an id that names no budget line
            return await payment_writes.submit_payment_request(info.context, draft)

        request, errors = await refused_or(info, submit)
        return SubmitPaymentRequestPayload(payment_request=_request(request), errors=errors)

    @strawberry.mutation(
        description="Accept (VERIFIED) or reject a submitted request, as its department's PPK_SKPD."
    )
    async def verify_payment_request(
        self,
        info: Info,
        input_: Annotated[VerifyPaymentRequestInput, strawberry.argument(name="input")],
    ) -> PaymentRequestPayload:
        return await _step(info, Step.VERIFY, input_)

    @strawberry.mutation(
        description="Issue the SPM of a verified request (ORDER_ISSUED), or reject the"
        " request, as its department's PA."
    )
    async def issue_payment_order(
        self,
        info: Info,
        input_: Annotated[IssuePaymentOrderInput, strawberry.argument(name="input")],
    ) -> PaymentRequestPayload:
        return await _step(info, Step.ORDER, input_)

    @strawberry.mutation(
        description="Issue the SP2D of an ordered request (DISBURSED), or reject its SPM"
        " (ORDER_REJECTED), as KUASA_BUD."
    )
    async def issue_disbursement(
        self,
        info: Info,
        input_: Annotated[IssueDisbursementInput, strawberry.argument(name="input")],
    ) -> PaymentRequestPayload:
        return await _step(info, Step.DISBURSE, input_)
