"""What could not be joined between the systems, reported instead of dropped."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from connectors.ekin.records import Unit
from connectors.nip import InvalidNip, normalise_nip, pns_digits_are_valid
from connectors.sppspm.records import OrphanLine, RawNip
from gateway.context import SourcePair
from gateway.crosswalk import Crosswalk


@dataclass(frozen=True, slots=True)
class DataIssue:
    kind: str  # UNMAPPED_UNIT, UNKNOWN_PERSON, INVALID_NIP or ORPHAN_RECORD
    source: str  # ekin, sppspm or crosswalk
    key: str
    detail: str


async def find_data_issues(
    sources: SourcePair, crosswalk: Crosswalk, fiscal_year: int
) -> list[DataIssue]:
    """All issues of a fiscal year, in a stable order (kind, source, key)."""
    units, people, spellings, orphans = await asyncio.gather(
        sources.ekin.all_units(),
        sources.ekin.all_nips(),
        sources.sppspm.nip_spellings(fiscal_year),
        sources.sppspm.orphan_allowance_lines(fiscal_year),
    )
    issues = [
        *unit_issues(units, crosswalk, fiscal_year),
        *ekin_nip_issues(people),
        *sppspm_nip_issues(spellings, {nip for nip, _ in people}),
        *orphan_line_issues(orphans),
    ]
    return sorted(issues, key=lambda i: (i.kind, i.source, i.key))


def unit_issues(units: list[Unit], crosswalk: Crosswalk, fiscal_year: int) -> Iterator[DataIssue]:
    """Active units the crosswalk does not map, and mapped units e-kin does not have."""
    mapped = crosswalk.mapped_units(fiscal_year)
    for unit in units:
        if unit.active and unit.id not in mapped:
            detail = f"{unit.name} has no finance code for {fiscal_year} in the crosswalk"
            yield DataIssue("UNMAPPED_UNIT", "ekin", str(unit.id), detail)
    for unit_id in sorted(mapped - {u.id for u in units}):
        detail = f"the crosswalk maps e-kin unit {unit_id} for {fiscal_year}, which e-kin lacks"
        yield DataIssue("ORPHAN_RECORD", "crosswalk", str(unit_id), detail)


def ekin_nip_issues(people: Iterable[tuple[str, str]]) -> Iterator[DataIssue]:
    """PNS numbers whose digits are not a birth date, appointment month and sex code."""
    for nip, employment in people:
        if employment == "PNS" and not pns_digits_are_valid(nip):
            detail = "digits do not hold a birth date, appointment month and sex code"
            yield DataIssue("INVALID_NIP", "ekin", nip, detail)


def sppspm_nip_issues(spellings: Iterable[RawNip], staff: set[str]) -> Iterator[DataIssue]:
    """NIPs in sppspm that cannot be read, or that name nobody in e-kin."""
    for raw in spellings:
        where = f"{raw.record} {raw.key}"
        try:
            nip = normalise_nip(raw.spelling)
        except InvalidNip as exc:
            yield DataIssue("INVALID_NIP", "sppspm", raw.spelling, f"{where}: {exc}")
            continue
        if nip not in staff:
            detail = f"{where} names {raw.spelling!r}, who is not an e-kin employee"
            yield DataIssue("UNKNOWN_PERSON", "sppspm", nip, detail)


def orphan_line_issues(orphans: Iterable[OrphanLine]) -> Iterator[DataIssue]:
    for line in orphans:
        detail = f"an allowance line on {line.request_number}, which is not an LS-TPP request"
        yield DataIssue("ORPHAN_RECORD", "sppspm", f"allowance line {line.line_id}", detail)
