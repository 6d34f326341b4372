"""Payment requests, their orders, disbursements and history; finance roles."""

from __future__ import annotations

from collections.abc import Awaitable

from connectors.domain import PaymentOrderBy
from connectors.paging import Page
from connectors.sppspm.records import (
    BudgetLine,
    Official,
    PaymentFilter,
    PaymentRequest,
    PaymentScope,
    StatusChange,
)
from gateway import cursors
from gateway.context import OperationContext
from gateway.errors import BadUserInput
from gateway.joins import require_department_code
from gateway.loaders import RequestPageArgs


def payment_request(ctx: OperationContext, number: str) -> Awaitable[PaymentRequest | None]:
    return ctx.loaders.request_by_number.load(number)


async def payment_requests_by_id(ctx: OperationContext, ids: list[int]) -> list[PaymentRequest]:
    found = await ctx.loaders.request.load_many(ids)
    return [r for r in found if r is not None]


def scope_of(department_code: str | None, fiscal_year: int | None) -> PaymentScope:
    if department_code is not None:
        require_department_code(department_code, "departmentCode")
    return PaymentScope(department_code, fiscal_year)


def page_args(
    payment_filter: PaymentFilter,
    orders: tuple[PaymentOrderBy, ...],
    first: int | None,
    after: str | None,
) -> RequestPageArgs:
    """What a page of payment requests is read by, each part checked (BAD_USER_INPUT)."""
    size = cursors.page_size(first)
    _check_filter(payment_filter)
    return (payment_filter, orders, cursors.request_after(orders, after), size)


def payment_requests(
    ctx: OperationContext, scope: PaymentScope, args: RequestPageArgs
) -> Awaitable[Page[PaymentRequest]]:
    return ctx.loaders.request_pages.load((scope, args))


def page_budget_lines(
    ctx: OperationContext, scope: PaymentScope, args: RequestPageArgs
) -> Awaitable[dict[int, BudgetLine]]:
    """The budget lines of the requests on that page, as `page_histories`."""
    return ctx.loaders.request_page_budget_lines.load((scope, args))


def page_histories(
    ctx: OperationContext, scope: PaymentScope, args: RequestPageArgs
) -> Awaitable[dict[int, list[StatusChange]]]:
    """The history of each request on the page `payment_requests` reads with the same
    arguments, read beside the page rather than after it (`history` of each request
    waits for the page's rows); with those of the other pages of its batch."""
    return ctx.loaders.request_page_histories.load((scope, args))


async def count_payment_requests(
    ctx: OperationContext, scope: PaymentScope, payment_filter: PaymentFilter
) -> int:
    return await ctx.loaders.request_counts.load((scope, payment_filter))


def _check_filter(f: PaymentFilter) -> None:
    """Ranges the wrong way round are a mistake, not a question (at any depth)."""
    if f.requested_from and f.requested_to and f.requested_to < f.requested_from:
        raise BadUserInput("filter.requestedTo is before filter.requestedFrom", argument="filter")
    if f.disbursed_from and f.disbursed_to and f.disbursed_to < f.disbursed_from:
        raise BadUserInput("filter.disbursedTo is before filter.disbursedFrom", argument="filter")
    if f.min_amount is not None and f.max_amount is not None and f.max_amount < f.min_amount:
        raise BadUserInput("filter.maxAmount is below filter.minAmount", argument="filter")
    for nested in (f.none_of, *(f.any_of or ())):
        if nested is not None:
            _check_filter(nested)


def history(ctx: OperationContext, request_id: int) -> Awaitable[list[StatusChange]]:
    return ctx.loaders.history.load(request_id)


def finance_roles(
    ctx: OperationContext, nip: str, fiscal_year: int | None
) -> Awaitable[list[Official]]:
    return ctx.loaders.officials.load((nip, fiscal_year))
