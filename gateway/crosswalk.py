"""The crosswalk: which finance code each e-kin unit belongs to, per fiscal year.

e-kin has no finance codes and sppspm has no e-kin ids, so the gateway keeps this
mapping itself, maintained by an administrator as a CSV file:

    # comment lines start with '#'
    fiscal_year,ekin_unit_id,finance_code
    2026,12,1.02.0.00.0.00.01.0000
    2026,31,1.02.0.00.0.00.01.0001

Several units may map to one code; one unit maps to at most one code per year.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

FINANCE_CODE = re.compile(r"^\d\.\d{2}\.\d\.\d{2}\.\d\.\d{2}\.\d{2}\.\d{4}\Z", re.ASCII)
HEADER = ("fiscal_year", "ekin_unit_id", "finance_code")


class CrosswalkError(ValueError):
    """The crosswalk file cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class CrosswalkEntry:
    fiscal_year: int
    ekin_unit_id: int
    finance_code: str

    @property
    def department_code(self) -> str:
        return department_code_of(self.finance_code)


def department_code_of(finance_code: str) -> str:
    """The OPD-level code of a finance code: the same code with the last group '0000'."""
    return finance_code[:-4] + "0000"


def is_department_code(code: str) -> bool:
    return bool(FINANCE_CODE.match(code)) and code.endswith(".0000")


class Crosswalk:
    """Validated, indexed crosswalk entries."""

    def __init__(self, entries: Iterable[CrosswalkEntry]) -> None:
        self.entries = tuple(entries)
        self._by_unit: dict[tuple[int, int], str] = {}
        units: dict[tuple[int, str], list[int]] = {}
        for entry in self.entries:
            self._by_unit[(entry.fiscal_year, entry.ekin_unit_id)] = entry.finance_code
            units.setdefault((entry.fiscal_year, entry.department_code), []).append(
                entry.ekin_unit_id
            )
        # a department's units by year and code, worked out once: a dashboard of every
        # department asks for each department's units several times
        self._units = {key: tuple(sorted(ids)) for key, ids in units.items()}

    def finance_code(self, fiscal_year: int, unit_id: int) -> str | None:
        return self._by_unit.get((fiscal_year, unit_id))

    def department_of(self, fiscal_year: int, unit_id: int) -> str | None:
        code = self.finance_code(fiscal_year, unit_id)
        return department_code_of(code) if code else None

    def units_of(self, fiscal_year: int, department_code: str) -> list[int]:
        """e-kin unit ids whose code lies in the department (its own code or a sub-unit),
        in order."""
        return list(self._units.get((fiscal_year, department_code), ()))

    def mapped_units(self, fiscal_year: int) -> set[int]:
        return {e.ekin_unit_id for e in self.entries if e.fiscal_year == fiscal_year}

    def codes(self) -> set[tuple[int, str]]:
        return {(e.fiscal_year, e.finance_code) for e in self.entries}

    @classmethod
    def load(cls, path: Path) -> Crosswalk:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CrosswalkError(f"{path}: cannot read crosswalk ({exc.strerror})") from exc
        return cls.parse(text, source=str(path))

    @classmethod
    def parse(cls, text: str, source: str = "crosswalk") -> Crosswalk:
        lines = [
            (number, line)
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
        if not lines or tuple(c.strip() for c in lines[0][1].split(",")) != HEADER:
            raise CrosswalkError(f"{source}: the first row must be the header {','.join(HEADER)}")
        entries: list[CrosswalkEntry] = []
        seen: dict[tuple[int, int], int] = {}
        for number, line in lines[1:]:
            fields = [f.strip() for f in next(csv.reader([line]))]
            if len(fields) != 3:
                raise CrosswalkError(f"{source}:{number}: expected 3 fields, found {len(fields)}")
            year_text, unit_text, code = fields
            if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
                raise CrosswalkError(f"{source}:{number}: fiscal_year {year_text!r} is not a year")
            if not (unit_text.isascii() and unit_text.isdigit()):
                raise CrosswalkError(
                    f"{source}:{number}: ekin_unit_id {unit_text!r} is not a number"
                )
            if not FINANCE_CODE.match(code):
                raise CrosswalkError(
                    f"{source}:{number}: finance_code {code!r} is not of the form"
                    " 1.03.0.00.0.00.01.0000"
                )
            key = (int(year_text), int(unit_text))
            if key in seen:
                raise CrosswalkError(
                    f"{source}:{number}: unit {key[1]} is mapped twice for {key[0]}"
                    f" (first on line {seen[key]})"
                )
            seen[key] = number
            entries.append(CrosswalkEntry(key[0], key[1], code))
        return cls(entries)

    def to_csv(self) -> str:
        out = io.StringIO()
        out.write("# SMART Gateway crosswalk: e-kin unit -> finance code, per fiscal year\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for e in sorted(self.entries, key=lambda e: (e.fiscal_year, e.ekin_unit_id)):
            writer.writerow((e.fiscal_year, e.ekin_unit_id, e.finance_code))
        return out.getvalue()

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_csv(), encoding="utf-8")
