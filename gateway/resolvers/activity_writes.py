"""logActivity and reviewActivity: the write rules around e-kin's writes."""

from __future__ import annotations

from dataclasses import dataclass, replace

from connectors.ekin import writes
from connectors.ekin.records import Activity, NewActivity, Person, Review
from connectors.refusal import RefusalCode, WriteRefused
from gateway.access.policy import EmployeeSubject
from gateway.context import OperationContext
from gateway.errors import Forbidden
from gateway.resolvers.write_input import check_key, optional_text, required_text

MAX_OUTPUT = 100  # kinerja.output is varchar(100)


@dataclass(frozen=True, slots=True)
class Written:
    """An activity as it stands after the write, with its owner for the access rules."""

    activity: Activity
    owner: EmployeeSubject


def subject_of(person: Person) -> EmployeeSubject:
    return EmployeeSubject(person.nip, person.unit_id, person.position_id)


async def _owner(ctx: OperationContext, nip: str) -> Person:
    person = await ctx.loaders.person.load(nip)
    if person is None:
        raise WriteRefused(RefusalCode.UNKNOWN_EMPLOYEE, f"e-kin has no employee {nip}", "nip")
    return person


async def _written(ctx: OperationContext, activity_id: int, owner: Person) -> Written:
    found = await ctx.services.ekin.activities_by_id([activity_id])
    return Written(found[activity_id], subject_of(owner))


async def log_activity(ctx: OperationContext, draft: NewActivity) -> Written:
    """Log an activity; an empty `nip` stands for the caller's own."""
    nip = draft.nip or ctx.caller.nip
    if nip is None:
        raise WriteRefused(
            RefusalCode.NIP_REQUIRED, "name the employee: this token's sub is not an NIP", "nip"
        )
    owner = await _owner(ctx, nip)
    if not ctx.access.may_log_for(subject_of(owner)):
        raise Forbidden(
            "logActivity: STAFF log their own activities and a department system those of"
            f" its staff; {nip} is neither for this caller"
        )
    check_key(draft.idempotency_key)
    activity = replace(
        draft,
        nip=nip,
        description=required_text(draft.description, "description"),
        output=optional_text(draft.output, "output", MAX_OUTPUT),
    )
    if activity.volume is not None and activity.volume < 0:
        raise WriteRefused(RefusalCode.INVALID_INPUT, "volume must not be negative", "volume")
    activity_id = await writes.log(ctx.services.ekin, activity)
    return await _written(ctx, activity_id, owner)


async def review_activity(
    ctx: OperationContext,
    activity_id: int,
    approve: bool,
    note: str | None,
    idempotency_key: str | None,
) -> Written:
    """Approve or reject a pending activity as its owner's supervisor."""
    check_key(idempotency_key)
    found = await ctx.services.ekin.activities_by_id([activity_id])
    if activity_id not in found:
        raise WriteRefused(
            RefusalCode.UNKNOWN_ACTIVITY, f"activity {activity_id} does not exist", "activityId"
        )
    owner = await _owner(ctx, found[activity_id].nip)
    if not ctx.access.may_review(subject_of(owner)):
        raise Forbidden(
            "reviewActivity: only a supervisor above the owner in e-kin's position chain"
            " reviews an activity"
        )
    reviewer = ctx.caller.nip
    if reviewer is not None and await ctx.loaders.person.load(reviewer) is None:
        reviewer = None  # an administrator's client that is no employee
    note = optional_text(note, "note", None)
    await writes.review(
        ctx.services.ekin, Review(activity_id, approve, note, reviewer), idempotency_key
    )
    return await _written(ctx, activity_id, owner)
