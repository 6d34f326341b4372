"""What could not be joined between the systems, reported instead of dropped."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from connectors.nip import InvalidNip, normalise_nip, pns_digits_are_valid
from gateway.context import Services


@dataclass(frozen=True, slots=True)
class DataIssue:
    kind: str  # UNMAPPED_UNIT, UNKNOWN_PERSON, INVALID_NIP or ORPHAN_RECORD
    source: str  # ekin, sppspm or crosswalk
    key: str
    detail: str


async def find_data_issues(services: Services, fiscal_year: int) -> list[DataIssue]:
    """All issues of a fiscal year, in a stable order (kind, source, key)."""
    units, people, spellings, orphans = await asyncio.gather(
        services.ekin.all_units(),
        services.ekin.all_nips(),
        services.sppspm.nip_spellings(fiscal_year),
        services.sppspm.orphan_allowance_lines(fiscal_year),
    )
    issues: list[DataIssue] = []
    mapped = services.crosswalk.mapped_units(fiscal_year)
    known_units = {u.id for u in units}
    for unit in units:
        if unit.active and unit.id not in mapped:
            issues.append(
                DataIssue(
                    "UNMAPPED_UNIT",
                    "ekin",
                    str(unit.id),
                    f"{unit.name} has no finance code for {fiscal_year} in the crosswalk",
                )
            )
    for unit_id in sorted(mapped - known_units):
        issues.append(
            DataIssue(
                "ORPHAN_RECORD",
                "crosswalk",
                str(unit_id),
                f"the crosswalk maps e-kin unit {unit_id} for {fiscal_year}, which e-kin lacks",
            )
        )
    known_nips = set()
    for nip, employment in people:
        known_nips.add(nip)
        if employment == "PNS" and not pns_digits_are_valid(nip):
            issues.append(
                DataIssue(
                    "INVALID_NIP",
                    "ekin",
                    nip,
                    "digits do not hold a birth date,"
                    " appointment month and sex code as a PNS number must",
                )
            )
    for raw in spellings:
        where = f"{raw.record} {raw.key}"
        try:
            nip = normalise_nip(raw.spelling)
        except InvalidNip as exc:
            issues.append(DataIssue("INVALID_NIP", "sppspm", raw.spelling, f"{where}: {exc}"))
            continue
        if nip not in known_nips:
            issues.append(
                DataIssue(
                    "UNKNOWN_PERSON",
                    "sppspm",
                    nip,
                    f"{where} names {raw.spelling!r}, who is not an e-kin employee",
                )
            )
    for line in orphans:
        issues.append(
            DataIssue(
                "ORPHAN_RECORD",
                "sppspm",
                f"allowance line {line.line_id}",
                f"an allowance line on {line.request_number}, which is not an LS-TPP request",
            )
        )
    return sorted(issues, key=lambda i: (i.kind, i.source, i.key))
