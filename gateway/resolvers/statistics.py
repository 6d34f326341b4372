"""Statistics for analysts, read through the analytics pools (`OperationContext.analytics`)
whoever asks: ad-hoc questions never hold the frontends' connections."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connectors.domain import PaymentRequestDimension
from connectors.sppspm.records import PaymentFilter, PaymentScope, RequestStatsGroup
from connectors.stats import StatsOrderBy, TimeBucket
from gateway.context import OperationContext
from gateway.timebound.clock import ClockState


async def payment_request_stats(
    ctx: OperationContext,
    scope: PaymentScope,
    payment_filter: PaymentFilter,
    group_by: Sequence[PaymentRequestDimension],
    bucket: TimeBucket,
    order_by: Sequence[StatsOrderBy],
    first: int,
    clock_states: Mapping[int, ClockState],
) -> tuple[RequestStatsGroup, list[RequestStatsGroup]]:
    return await ctx.analytics.sppspm.request_stats(
        scope,
        payment_filter,
        list(dict.fromkeys(group_by)),
        bucket,
        order_by,
        first,
        {request_id: state.value for request_id, state in clock_states.items()},
    )
