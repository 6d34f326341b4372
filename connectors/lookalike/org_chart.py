"""The positions (e-kin `jabatan`) of every unit and the supervisor chain between them.

Every OPD head reports to the Sekretaris Daerah; inside an OPD the chain runs staff ->
head of division or sub-division -> secretary -> head. Sub-units hang below their OPD:
a puskesmas or UPTD head reports to the OPD head, a lurah to the camat, a school head
to the division for that school level.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from connectors.lookalike.catalogue import UnitKind
from connectors.lookalike.plan import Opd, Plan, Unit
from connectors.lookalike.wording import ACTIVITIES, EXECUTIVE, PUSKESMAS_STAFF, SCHOOL_STAFF
from connectors.lookalike.wording import SECTOR_FUNCTIONAL as FUNCTIONAL

STRUKTURAL, FUNGSIONAL, PELAKSANA = "STRUKTURAL", "FUNGSIONAL", "PELAKSANA"


class Duty(StrEnum):
    """What a position is in the organisation; it decides the finance roles in sppspm."""

    KEPALA = "KEPALA"  # head of the unit (kepala, camat, lurah, kepala puskesmas/sekolah)
    SEKRETARIS = "SEKRETARIS"
    KABID = "KABID"  # head of a division (bidang, bagian, inspektur pembantu)
    KASI = "KASI"  # head of a section (kecamatan, kelurahan)
    KASUBBAG = "KASUBBAG"
    KEUANGAN = "KEUANGAN"  # head of the finance sub-division: PPK-SKPD material
    BENDAHARA = "BENDAHARA"
    STAF = "STAF"


FILL_ORDER = (
    Duty.KEPALA,
    Duty.KEUANGAN,
    Duty.BENDAHARA,
    Duty.SEKRETARIS,
    Duty.KABID,
    Duty.KASI,
    Duty.KASUBBAG,
)
"""Which single-holder positions a small unit fills first."""


@dataclass(frozen=True, slots=True)
class Position:
    id: int
    name: str
    kind: str  # STRUKTURAL, FUNGSIONAL or PELAKSANA
    kelas: int
    unit: Unit
    superior: int | None
    duty: Duty
    weight: int  # 0: held by exactly one person; else its share of the remaining headcount
    profession: str | None  # dokter, dokter gigi, perawat, bidan: decides the titles
    theme: str  # key of wording.ACTIVITIES

    @property
    def single(self) -> bool:
        return self.weight == 0


class OrgChart:
    """All positions of a plan, numbered in creation order (the `jabatan.id`)."""

    def __init__(self, plan: Plan) -> None:
        self.positions: list[Position] = []
        self.by_unit: dict[int, list[Position]] = defaultdict(list)
        self._top: int | None = None  # the Sekretaris Daerah
        self._heads: dict[str, int] = {}
        self._divisions: dict[str, list[Position]] = defaultdict(list)
        for opd in plan.opds:
            for unit in (plan.unit(i) for i in opd.unit_ids):
                if not unit.active:
                    continue
                if unit.kind is UnitKind.OPD:
                    self._office(unit, opd)
                elif unit.kind is UnitKind.KELURAHAN:
                    self._kelurahan(unit, self._heads[opd.key])
                elif unit.kind is UnitKind.SEKOLAH:
                    self._school(unit, opd)
                else:
                    self._uptd(unit, opd)

    def superior_chain(self, position_id: int) -> list[int]:
        """Ids of the positions above the given one, nearest first."""
        chain: list[int] = []
        superior = self.positions[position_id - 1].superior
        while superior is not None:
            chain.append(superior)
            superior = self.positions[superior - 1].superior
        return chain

    def _add(
        self,
        unit: Unit,
        spec: tuple[str, str, int, Duty],
        superior: int | None,
        weight: int = 0,
        theme: str = "general",
        profession: str | None = None,
    ) -> Position:
        name, kind, kelas, duty = spec
        position = Position(
            len(self.positions) + 1,
            name,
            kind,
            kelas,
            unit,
            superior,
            duty,
            weight,
            profession,
            theme,
        )
        self.positions.append(position)
        self.by_unit[unit.ekin_id].append(position)
        return position

    def _office(self, unit: Unit, opd: Opd) -> None:
        district = opd.sector == "district"
        head = self._add(
            unit, (opd.head_title, STRUKTURAL, opd.head_class, Duty.KEPALA), self._top, 0, "leader"
        ).id
        self._heads[opd.key] = head
        self._top = self._top or head
        secretary_title = {
            "SETDA": "Asisten Administrasi Umum",
            "RSUD": "Wakil Direktur Umum dan Keuangan",
        }.get(opd.key, f"Sekretaris {opd.name}")
        secretary_class = 13 if opd.key == "SETDA" else (11 if district else 12)
        secretary = self._add(
            unit, (secretary_title, STRUKTURAL, secretary_class, Duty.SEKRETARIS), head, 0, "leader"
        ).id
        theme = sector_theme(opd.sector)
        functional = FUNCTIONAL.get(opd.sector, FUNCTIONAL["general"])
        for index, division in enumerate(opd.divisions):
            title = division if division.startswith("Inspektur") else f"Kepala {division}"
            duty = Duty.KASI if district else Duty.KABID
            chief = self._add(
                unit, (title, STRUKTURAL, 9 if district else 12, duty), head, 0, "leader"
            )
            self._divisions[opd.key].append(chief)
            for offset in (0, 1):
                f_title, f_class, profession = functional[(2 * index + offset) % len(functional)]
                spec = (f_title, FUNGSIONAL, f_class, Duty.STAF)
                self._add(unit, spec, chief.id, 3, theme, profession)
            e_title, e_class = EXECUTIVE[index % len(EXECUTIVE)]
            self._add(unit, (e_title, PELAKSANA, e_class, Duty.STAF), chief.id, 2, theme)
        general = self._add(
            unit,
            ("Kepala Subbagian Umum dan Kepegawaian", STRUKTURAL, 9, Duty.KASUBBAG),
            secretary,
            0,
            "leader",
        ).id
        finance_title = (
            "Kepala Subbagian Perencanaan dan Keuangan" if district else "Kepala Subbagian Keuangan"
        )
        finance = self._add(
            unit, (finance_title, STRUKTURAL, 9 if district else 10, Duty.KEUANGAN), secretary, 0,
            "finance",
        ).id  # fmt: skip
        self._add(unit, ("Bendahara", PELAKSANA, 7, Duty.BENDAHARA), finance, 0, "finance")
        spec = ("Penata Laporan Keuangan", PELAKSANA, 7, Duty.STAF)
        self._add(unit, spec, finance, 1, "finance")
        self._add(unit, ("Pengadministrasi Perkantoran", PELAKSANA, 5, Duty.STAF), general, 2)
        self._add(unit, ("Pengelola Umum Operasional", PELAKSANA, 6, Duty.STAF), general, 1)

    def _kelurahan(self, unit: Unit, camat: int) -> None:
        place = unit.name.removeprefix("Kelurahan ")
        lurah = self._add(unit, (f"Lurah {place}", STRUKTURAL, 10, Duty.KEPALA), camat, 0, "leader")
        spec = (f"Sekretaris Kelurahan {place}", STRUKTURAL, 9, Duty.SEKRETARIS)
        secretary = self._add(unit, spec, lurah.id, 0, "kelurahan")
        if unit.headcount >= 6:
            for section in ("Pemerintahan dan Ketenteraman", "Kesejahteraan dan Pemberdayaan"):
                spec = (f"Kepala Seksi {section} Kelurahan {place}", STRUKTURAL, 9, Duty.KASI)
                self._add(unit, spec, lurah.id, 0, "kelurahan")
        for title, kelas in (EXECUTIVE[0], EXECUTIVE[1], EXECUTIVE[4]):
            self._add(unit, (title, PELAKSANA, kelas, Duty.STAF), secretary.id, 2, "kelurahan")

    def _school(self, unit: Unit, opd: Opd) -> None:
        level = "Dasar" if unit.name.startswith("SD") else "Menengah Pertama"
        supervisor = next(
            (d.id for d in self._divisions[opd.key] if level in d.name), self._heads[opd.key]
        )
        spec = (f"Kepala {unit.name}", FUNGSIONAL, 9, Duty.KEPALA)
        head = self._add(unit, spec, supervisor, 0, "leader")
        for title, kelas, weight in SCHOOL_STAFF:
            self._add(unit, (title, FUNGSIONAL, kelas, Duty.STAF), head.id, weight, "school")
        self._add(unit, ("Pengadministrasi Perkantoran", PELAKSANA, 5, Duty.STAF), head.id, 1)

    def _uptd(self, unit: Unit, opd: Opd) -> None:
        puskesmas = unit.kind is UnitKind.PUSKESMAS
        spec = (f"Kepala {unit.name}", STRUKTURAL, 10, Duty.KEPALA)
        doctor = "dokter" if puskesmas else None
        head = self._add(unit, spec, self._heads[opd.key], 0, "leader", doctor).id
        spec = (f"Kepala Subbagian Tata Usaha {unit.name}", STRUKTURAL, 9, Duty.KEUANGAN)
        admin = self._add(unit, spec, head, 0, "finance").id
        if unit.own_code_suffix:
            self._add(unit, ("Bendahara", PELAKSANA, 7, Duty.BENDAHARA), admin, 0, "finance")
        if puskesmas:
            for title, kelas, profession, weight in PUSKESMAS_STAFF:
                spec = (title, FUNGSIONAL, kelas, Duty.STAF)
                self._add(unit, spec, head, weight, "puskesmas", profession)
        else:
            for title, kelas, profession in FUNCTIONAL.get(opd.sector, FUNCTIONAL["general"])[:2]:
                spec = (title, FUNGSIONAL, kelas, Duty.STAF)
                self._add(unit, spec, head, 3, sector_theme(opd.sector), profession)
        for title, kelas in (EXECUTIVE[0], EXECUTIVE[2]):
            self._add(unit, (title, PELAKSANA, kelas, Duty.STAF), admin, 2)


def sector_theme(sector: str) -> str:
    """The activity theme (key of wording.ACTIVITIES) of a sector's staff."""
    themes = {"hospital": "puskesmas", "health": "general", "district": "kelurahan"}
    theme = themes.get(sector, sector)
    return theme if theme in ACTIVITIES else "general"
