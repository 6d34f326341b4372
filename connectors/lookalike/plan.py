"""The organisation plan shared by both look-alike databases.

One plan fixes, for a scale, the e-kin units (ids, names, parents, headcounts), the
finance codes per fiscal year (sppspm `skpd` rows) and the crosswalk between them. It
does not depend on the seed number: the same scale always gives the same organisation,
and the seed only varies people, activities and payments.

On purpose, like real data: some active e-kin units have no crosswalk entry, one e-kin
unit is inactive, and one OPD's finance code changed between 2025 and 2026.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.lookalike.catalogue import (
    FINANCE_AGENCY,
    RECODED_OPD,
    OpdSpec,
    Scale,
    SubUnitSpec,
    UnitKind,
    all_opds,
)

FISCAL_YEARS: tuple[int, ...] = (2025, 2026)
SCALES: tuple[str, ...] = tuple(s.value for s in Scale)


@dataclass(frozen=True, slots=True)
class Unit:
    """One e-kin `skpd` row and what the generators need to staff it."""

    ekin_id: int
    name: str
    abbreviation: str | None
    parent_id: int | None
    kind: UnitKind
    opd_key: str
    headcount: int
    active: bool
    mapped: bool
    own_code_suffix: str | None  # e.g. '0001' when the unit has its own finance sub-unit code


@dataclass(frozen=True, slots=True)
class Opd:
    """An OPD: the e-kin office unit plus its sub-units, and its codes per fiscal year."""

    key: str
    name: str
    abbreviation: str
    sector: str
    divisions: tuple[str, ...]
    head_title: str
    head_class: int
    codes: tuple[tuple[int, str], ...]  # (fiscal year, department code)
    finance_names: tuple[tuple[int, str], ...]
    unit_ids: tuple[int, ...]  # the office first, then the sub-units

    @property
    def office_id(self) -> int:
        return self.unit_ids[0]

    def code(self, year: int) -> str:
        """The department code (last group 0000) in a fiscal year."""
        return dict(self.codes)[year]

    def finance_name(self, year: int) -> str:
        return dict(self.finance_names)[year]


@dataclass(frozen=True, slots=True)
class FinanceUnit:
    """One sppspm `skpd` row: a department or sub-unit code in a fiscal year."""

    year: int
    code: str
    name: str
    opd_key: str
    owner_unit_id: int  # the e-kin unit whose head is the PA of this code

    @property
    def is_department(self) -> bool:
        return self.code.endswith(".0000")


@dataclass(frozen=True, slots=True)
class Plan:
    scale: Scale
    opds: tuple[Opd, ...]
    units: tuple[Unit, ...]
    finance_units: tuple[FinanceUnit, ...]
    activity_months: tuple[str, ...]  # 'YYYY-MM' months with e-kin activities and SKP
    payment_request_target: int

    def unit(self, unit_id: int) -> Unit:
        """The unit with this e-kin id (ids run 1..n in plan order)."""
        return self.units[unit_id - 1]

    def opd(self, key: str) -> Opd:
        """The OPD with this key, e.g. 'DINKES' or 'KEC01'."""
        for opd in self.opds:
            if opd.key == key:
                return opd
        raise KeyError(key)

    def opd_of_unit(self, unit_id: int) -> Opd:
        """The OPD a unit belongs to, whether or not the crosswalk maps it."""
        return self.opd(self.unit(unit_id).opd_key)

    @property
    def finance_agency(self) -> Opd:
        """BPKAD: its code is where the KUASA_BUD is appointed."""
        return self.opd(FINANCE_AGENCY)

    @property
    def recoded_opd(self) -> Opd:
        """The OPD whose department code differs between 2025 and 2026."""
        return self.opd(RECODED_OPD)

    def finance_code(self, year: int, unit_id: int) -> str | None:
        """The crosswalk code of a unit in a fiscal year; None for units left unmapped."""
        unit = self.unit(unit_id)
        if not (unit.active and unit.mapped):
            return None
        department = self.opd(unit.opd_key).code(year)
        if unit.own_code_suffix:
            return department[:-4] + unit.own_code_suffix
        return department

    def crosswalk_rows(self) -> list[tuple[int, int, str]]:
        """(fiscal year, e-kin unit id, finance code): the crosswalk an administrator
        would maintain for this organisation."""
        return [
            (year, unit.ekin_id, code)
            for year in FISCAL_YEARS
            for unit in self.units
            if (code := self.finance_code(year, unit.ekin_id)) is not None
        ]

    def unmapped_unit_ids(self) -> tuple[int, ...]:
        """Active e-kin units that have no crosswalk entry in any fiscal year."""
        return tuple(u.ekin_id for u in self.units if u.active and not u.mapped)


_ACTIVITY_MONTHS = {
    Scale.SMALL: ("2026-09", "2026-10"),
    Scale.MEDIUM: ("2026-09", "2026-10"),
    Scale.CITY: ("2026-10",),
}
_PAYMENT_REQUESTS = {Scale.SMALL: 400, Scale.MEDIUM: 3_000, Scale.CITY: 15_000}
_OFFICE_SHARE = {Scale.SMALL: (0.10, 14), Scale.MEDIUM: (0.25, 20), Scale.CITY: (1.0, 14)}
_SUBUNIT_HEADCOUNT = {
    Scale.SMALL: {UnitKind.PUSKESMAS: 16, UnitKind.KELURAHAN: 4, UnitKind.UPTD: 6},
    Scale.MEDIUM: {
        UnitKind.PUSKESMAS: 24,
        UnitKind.KELURAHAN: 5,
        UnitKind.UPTD: 12,
        UnitKind.SEKOLAH: 20,
    },
}


def parse_scale(scale: str) -> Scale:
    """The Scale named `scale`; ValueError naming the choices otherwise."""
    try:
        return Scale(scale)
    except ValueError:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}") from None


def build_plan(scale: str) -> Plan:
    """The organisation of Semarang at the given scale ('small', 'medium' or 'city')."""
    size = parse_scale(scale)
    units: list[Unit] = []
    opds: list[Opd] = []
    finance_units: list[FinanceUnit] = []
    for spec in all_opds():
        if spec.min_scale.rank > size.rank:
            continue
        office = _add_unit(units, spec, None, _office_headcount(spec, size))
        unit_ids = [office.ekin_id]
        for sub in spec.subunits:
            if sub.min_scale.rank <= size.rank:
                unit_ids.append(_add_unit(units, spec, sub, _subunit_headcount(sub, size)).ekin_id)
        opd = Opd(
            key=spec.key,
            name=spec.ekin_name,
            abbreviation=spec.abbreviation,
            sector=spec.sector,
            divisions=spec.divisions,
            head_title=spec.head_title,
            head_class=spec.head_class,
            codes=tuple((year, _department_code(spec, year)) for year in FISCAL_YEARS),
            finance_names=tuple((year, _finance_name(spec, year)) for year in FISCAL_YEARS),
            unit_ids=tuple(unit_ids),
        )
        opds.append(opd)
        for year in FISCAL_YEARS:
            finance_units.append(
                FinanceUnit(year, opd.code(year), opd.finance_name(year), opd.key, office.ekin_id)
            )
            for unit_id in unit_ids[1:]:
                unit = units[unit_id - 1]
                sub_spec = _sub_spec(spec, unit.name)
                if unit.own_code_suffix and sub_spec.finance_name:
                    code = opd.code(year)[:-4] + unit.own_code_suffix
                    finance_units.append(
                        FinanceUnit(year, code, sub_spec.finance_name, opd.key, unit_id)
                    )
    finance_units.sort(key=lambda f: (f.year, f.code))
    return Plan(
        scale=size,
        opds=tuple(opds),
        units=tuple(units),
        finance_units=tuple(finance_units),
        activity_months=_ACTIVITY_MONTHS[size],
        payment_request_target=_PAYMENT_REQUESTS[size],
    )


def _add_unit(units: list[Unit], spec: OpdSpec, sub: SubUnitSpec | None, headcount: int) -> Unit:
    parent_id = None if sub is None else _office_id(units, spec.key)
    unit = Unit(
        ekin_id=len(units) + 1,
        name=spec.ekin_name if sub is None else sub.name,
        abbreviation=spec.abbreviation if sub is None else sub.abbreviation,
        parent_id=parent_id,
        kind=UnitKind.OPD if sub is None else sub.kind,
        opd_key=spec.key,
        headcount=headcount,
        active=True if sub is None else sub.active,
        mapped=True if sub is None else sub.mapped,
        own_code_suffix=None if sub is None else sub.own_code,
    )
    units.append(unit)
    return unit


def _office_id(units: list[Unit], opd_key: str) -> int:
    return next(u.ekin_id for u in units if u.opd_key == opd_key and u.kind is UnitKind.OPD)


def _sub_spec(spec: OpdSpec, name: str) -> SubUnitSpec:
    return next(s for s in spec.subunits if s.name == name)


def _office_headcount(spec: OpdSpec, size: Scale) -> int:
    share, minimum = _OFFICE_SHARE[size]
    return max(minimum, round(spec.headcount * share))


def _subunit_headcount(sub: SubUnitSpec, size: Scale) -> int:
    if not sub.active:
        return 0
    return _SUBUNIT_HEADCOUNT.get(size, {}).get(sub.kind, sub.headcount)


def _department_code(spec: OpdSpec, year: int) -> str:
    return spec.code_2026 if year >= 2026 and spec.code_2026 else spec.code


def _finance_name(spec: OpdSpec, year: int) -> str:
    if year >= 2026 and spec.finance_name_2026:
        return spec.finance_name_2026
    return spec.finance_name
