"""logActivity and reviewActivity: the write rules around e-kin's writes."""

from __future__ import annotations

from dataclasses import dataclass, replace

from connectors.ekin import writes
from connectors.ekin.records import Activity, NewActivity, Person, Review
from connectors.refusal import RefusalCode, WriteRefused
from gateway.access.policy import EmployeeSubject
from gateway.context import OperationContext
from gateway.errors import Forbidden
from gateway.resolvers.write_input import caller_key, check_key, optional_text, required_text


@dataclass(frozen=True, slots=True)
class Written:
    """An activity as it stands after the write, with its owner for the access rules."""

    activity: Activity
    owner: EmployeeSubject


def subject_of(person: Person) -> EmployeeSubject:
    return EmployeeSubject(person.nip, person.unit_id, person.position_id)


async def _owner(ctx: OperationContext, nip: str, refused: Forbidden) -> Person:
    """The employee an activity is of. A caller who does not see every employee is told
    of an unknown NIP what it is told of one it may not write for (`refused`): which NIPs
    exist is no business of theirs."""
    person = await ctx.loaders.person.load(nip)
    if person is None:
        if not ctx.access.sees_every_object:
            raise refused
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
    refused = Forbidden(
        "logActivity: STAFF log their own activities and a department system those of"
        f" its staff; {nip} is neither for this caller"
    )
    owner = await _owner(ctx, nip, refused)
    if not ctx.access.may_log_for(subject_of(owner)):
        raise refused
    check_key(draft.idempotency_key)
    activity = replace(
        draft,
        nip=nip,
        idempotency_key=caller_key(ctx.caller, draft.idempotency_key),
        description=required_text(draft.description, "description"),
        output=optional_text(draft.output),
    )
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
    refused = Forbidden(
        "reviewActivity: only a supervisor above the owner in e-kin's position chain"
        " reviews an activity"
    )
    found = await ctx.services.ekin.activities_by_id([activity_id])
    if activity_id not in found:
        if not ctx.access.sees_every_object:
            raise refused  # as for an activity the caller may not see
        raise WriteRefused(
            RefusalCode.UNKNOWN_ACTIVITY, f"activity {activity_id} does not exist", "activityId"
        )
    owner = await _owner(ctx, found[activity_id].nip, refused)
    if not ctx.access.may_review(subject_of(owner)):
        raise refused
    reviewer = ctx.caller.nip
    if reviewer is not None and await ctx.loaders.person.load(reviewer) is None:
        reviewer = None  # an administrator's client that is no employee
    note = optional_text(note)
    await writes.review(
        ctx.services.ekin, Review(activity_id, approve, note, reviewer), idempotency_key
    )
    return await _written(ctx, activity_id, owner)
