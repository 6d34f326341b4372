"""submitPaymentRequest and the officials' steps: the write rules around sppspm's writes."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from decimal import Decimal

from connectors.domain import LsKind, OrderStatus, PaymentStatus, PaymentType
from connectors.refusal import RefusalCode, WriteRefused
from connectors.sppspm import writes
from connectors.sppspm.columns import ALLOWANCE_AMOUNT
from connectors.sppspm.records import Decision, NewPaymentRequest, PaymentRequest, Step
from gateway.access.policy import FinanceAction, PaymentSubject
from gateway.context import OperationContext
from gateway.crosswalk import FINANCE_CODE, department_code_of
from gateway.errors import Forbidden
from gateway.resolvers.write_input import caller_key, check_key, optional_text, required_text

ACTION_OF = {
    Step.VERIFY: FinanceAction.VERIFY,
    Step.ORDER: FinanceAction.ISSUE_ORDER,
    Step.DISBURSE: FinanceAction.ISSUE_DISBURSEMENT,
}
_APPOINTEE = {
    Step.VERIFY: "the PPK_SKPD appointed in pejabat for the request's department and year",
    Step.ORDER: "the PA appointed in pejabat for the request's department and year",
    Step.DISBURSE: "the KUASA_BUD appointed in pejabat for the request's year",
}


async def may_take_now(
    ctx: OperationContext,
    step: Step,
    subject: PaymentSubject,
    status: PaymentStatus,
    order: OrderStatus | None,
) -> bool:
    """Whether the caller may take `step` on a request now: the request is in the status
    the step starts from (`writes.legal_now`) and the caller's appointment allows it. What
    `decide` would accept, short of the idempotent replay of a step already taken."""
    return writes.legal_now(step, status, order) and await ctx.access.may(ACTION_OF[step], subject)


async def _reloaded(ctx: OperationContext, request_id: int) -> PaymentRequest:
    """The request as it stands after the write (never from this request's caches)."""
    found = await ctx.services.sppspm.requests_by_id([request_id])
    return found[request_id]


async def submit_payment_request(ctx: OperationContext, draft: NewPaymentRequest) -> PaymentRequest:
    """Check a new request's shape, its department and its allowance lines, then write it."""
    if not FINANCE_CODE.match(draft.code):
        raise WriteRefused(
            RefusalCode.UNKNOWN_DEPARTMENT,
            f"{draft.code!r} is not a finance code such as 1.02.0.00.0.00.01.0000",
            "departmentCode",
        )
    if not ctx.access.may_submit_for(draft.code):
        raise Forbidden(
            "submitPaymentRequest: a department system submits for its own department;"
            f" this token does not act for {department_code_of(draft.code)}"
        )
    check_key(draft.idempotency_key)
    draft = replace(
        draft,
        purpose=required_text(draft.purpose, "purpose"),
        idempotency_key=caller_key(ctx.caller, draft.idempotency_key),
    )
    writes.check_amount(draft.amount, "amount")
    _check_type(draft)
    await _check_allowance_lines(ctx, draft)
    request_id = await writes.submit(ctx.services.sppspm, draft)
    return await _reloaded(ctx, request_id)


def _check_type(draft: NewPaymentRequest) -> None:
    def refuse(message: str, field: str) -> WriteRefused:
        return WriteRefused(RefusalCode.INVALID_TYPE, message, field)

    if draft.type is PaymentType.LS and draft.ls_kind is None:
        raise refuse("an LS request names its lsKind", "lsKind")
    if draft.type is not PaymentType.LS and draft.ls_kind is not None:
        raise refuse(f"lsKind is only given for LS requests, not {draft.type.value}", "lsKind")
    if draft.type is PaymentType.UP and draft.budget_line_id is not None:
        raise refuse("a UP request (uang persediaan) has no budget line", "budgetLineId")
    if draft.type is not PaymentType.UP and draft.budget_line_id is None:
        raise refuse(f"a {draft.type.value} request names its budget line", "budgetLineId")
    allowance = draft.ls_kind is LsKind.ALLOWANCE
    if allowance and not draft.allowance_lines:
        raise refuse("an LS ALLOWANCE (TPP) request lists who is paid", "allowanceLines")
    if not allowance and draft.allowance_lines:
        raise refuse("allowanceLines belong to LS ALLOWANCE (TPP) requests only", "allowanceLines")


async def _check_allowance_lines(ctx: OperationContext, draft: NewPaymentRequest) -> None:
    """Lines pay existing employees of the request's department, once per month each,
    and add up to the request's amount."""
    lines = draft.allowance_lines
    if not lines:
        return
    for index, line in enumerate(lines):
        if (
            line.amount < 0
            or line.amount > ALLOWANCE_AMOUNT.largest
            or line.amount != line.amount.quantize(writes.CENT)
        ):
            raise WriteRefused(
                RefusalCode.INVALID_AMOUNT,
                f"allowance line {index}: {line.amount} is not an amount of rupiah",
                f"allowanceLines.{index}.amount",
            )
    twice = [key for key, n in Counter((a.nip, a.period) for a in lines).items() if n > 1]
    if twice:
        nip, period = twice[0]
        raise WriteRefused(
            RefusalCode.INVALID_INPUT,
            f"{nip} is paid twice for {period}; give one line per employee and month",
            "allowanceLines",
        )
    total = sum((a.amount for a in lines), start=writes.ZERO)
    if total != draft.amount:
        raise WriteRefused(
            RefusalCode.AMOUNT_MISMATCH,
            f"the allowance lines add up to {total}, not to the amount {draft.amount}",
            "amount",
        )
    people = await ctx.loaders.person.load_many([a.nip for a in lines])
    department = department_code_of(draft.code)
    for index, (line, person) in enumerate(zip(lines, people, strict=True)):
        # An unknown NIP is told apart from another department's employee by nobody.
        if person is None or (
            ctx.crosswalk.department_of(draft.fiscal_year, person.unit_id) != department
        ):
            raise WriteRefused(
                RefusalCode.UNKNOWN_EMPLOYEE,
                f"{line.nip} is not an employee of {department} in {draft.fiscal_year}",
                f"allowanceLines.{index}.nip",
            )


async def decide(
    ctx: OperationContext,
    step: Step,
    number: str,
    approve: bool,
    reason: str | None,
    net_amount: Decimal | None,
    idempotency_key: str | None,
) -> PaymentRequest:
    """Take a step on the request with this number, as the official appointed for it."""
    refused = Forbidden(f"only {_APPOINTEE[step]} takes this step on {number}")
    request = await ctx.loaders.request_by_number.load(number)
    if request is None:
        if not ctx.access.sees_every_object:
            raise refused  # which numbers exist is no business of this caller
        raise WriteRefused(
            RefusalCode.UNKNOWN_PAYMENT_REQUEST,
            f"no payment request is numbered {number}",
            "number",
        )
    subject = PaymentSubject(request.code, request.fiscal_year)
    if not await ctx.access.may(ACTION_OF[step], subject):
        raise refused
    actor = ctx.caller.nip
    if actor is None:
        raise WriteRefused(
            RefusalCode.NIP_REQUIRED,
            "sppspm records who took each step by NIP; this token's sub is not an NIP",
            "number",
        )
    check_key(idempotency_key)
    decision = Decision(
        step,
        request.id,
        approve,
        actor,
        reason=optional_text(reason),
        net_amount=net_amount,
        idempotency_key=idempotency_key,
    )
    await writes.decide(ctx.services.sppspm, decision)
    return await _reloaded(ctx, request.id)
