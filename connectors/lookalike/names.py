"""Look-alike Indonesian (mostly Javanese) personal names, academic titles and NIP spellings.

Javanese names have no family name: one to three given names, as 'Sri Wahyuni',
'Bambang Sutrisno' or 'Dwi Ratna Sari'. Titles go before (gelar depan: 'dr.', 'Ir.')
or after the name (gelar belakang: 'S.Kom., M.T.').
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from connectors.nip import dotted, spaced

_MALE_FIRST = (
    "Agus",
    "Ahmad",
    "Andi",
    "Anang",
    "Arif",
    "Bambang",
    "Bayu",
    "Budi",
    "Dimas",
    "Dwi",
    "Eko",
    "Fajar",
    "Galih",
    "Gunawan",
    "Hadi",
    "Hendro",
    "Heru",
    "Imam",
    "Joko",
    "Kukuh",
    "Muhammad",
    "Nugroho",
    "Priyo",
    "Rudi",
    "Rizky",
    "Setyo",
    "Slamet",
    "Sugeng",
    "Teguh",
    "Tri",
    "Wahyu",
    "Yoga",
    "Yusuf",
    "Aditya",
    "Bagus",
    "Catur",
    "Danang",
    "Edi",
    "Fery",
    "Hari",
    "Iwan",
    "Yudi",
    "Didik",
    "Ari",
    "Adi",
    "Sigit",
    "Widi",
    "Rahmat",
    "Ilham",
)
_MALE_LAST = (
    "Santoso",
    "Wibowo",
    "Prasetyo",
    "Susilo",
    "Purnomo",
    "Widodo",
    "Kurniawan",
    "Hidayat",
    "Saputra",
    "Firmansyah",
    "Setiawan",
    "Nugroho",
    "Sutrisno",
    "Haryanto",
    "Suryadi",
    "Pratama",
    "Wicaksono",
    "Raharjo",
    "Sulistyo",
    "Budiman",
    "Hartono",
    "Mulyono",
    "Triyono",
    "Darmawan",
    "Rachmadi",
    "Supriyadi",
    "Wijaya",
    "Gunadi",
    "Hermawan",
    "Prabowo",
    "Utomo",
    "Yulianto",
    "Ardiansyah",
    "Sasongko",
    "Cahyono",
    "Permana",
)
_FEMALE_FIRST = (
    "Sri",
    "Endang",
    "Siti",
    "Dewi",
    "Ratna",
    "Yuni",
    "Retno",
    "Rini",
    "Tutik",
    "Puji",
    "Dyah",
    "Ayu",
    "Kartika",
    "Indah",
    "Nur",
    "Fitri",
    "Nurul",
    "Anisa",
    "Putri",
    "Novita",
    "Diah",
    "Eka",
    "Ika",
    "Mega",
    "Ratih",
    "Wulan",
    "Sekar",
    "Dwi",
    "Tri",
    "Lina",
    "Yanti",
    "Astuti",
    "Erna",
    "Heni",
    "Nanik",
    "Umi",
    "Winarti",
    "Titik",
    "Rina",
    "Desi",
)
_FEMALE_LAST = (
    "Wahyuni",
    "Lestari",
    "Sulistyowati",
    "Rahayu",
    "Anggraini",
    "Maharani",
    "Handayani",
    "Susanti",
    "Purwaningsih",
    "Kusumawati",
    "Setyaningsih",
    "Rahmawati",
    "Hartati",
    "Pratiwi",
    "Wulandari",
    "Puspitasari",
    "Nurhayati",
    "Safitri",
    "Permatasari",
    "Kurniasih",
    "Widyastuti",
    "Utami",
    "Yuliana",
    "Marlina",
    "Sari",
    "Ningsih",
    "Damayanti",
    "Oktaviani",
    "Fatmawati",
    "Indrawati",
    "Mulyani",
    "Suryani",
)


def person_name(rng: random.Random, female: bool) -> str:
    """A given name of two or three words, e.g. 'Bambang Sutrisno', 'Dwi Ratna Sari'."""
    first = _FEMALE_FIRST if female else _MALE_FIRST
    last = _FEMALE_LAST if female else _MALE_LAST
    if rng.random() < 0.25:
        middle = rng.choice(first)
        name = f"{rng.choice(first)} {middle} {rng.choice(last)}"
        if len(set(name.split())) == 3:
            return name
    return f"{rng.choice(first)} {rng.choice(last)}"


@dataclass(frozen=True, slots=True)
class Titles:
    before: str | None
    after: str | None


# Degrees per field of work: (bachelor-level, master-level).
_DEGREES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "general": (("S.E.", "S.H.", "S.Sos.", "S.IP.", "S.AP."), ("M.M.", "M.Si.", "M.H.", "M.AP.")),
    "finance": (("S.E.", "S.Ak.", "S.E., Ak."), ("M.M.", "M.Si.", "M.Ak.")),
    "ict": (("S.Kom.", "S.T.", "S.Si."), ("M.T.", "M.Kom.", "M.Cs.")),
    "works": (("S.T.", "S.T.", "S.Ars."), ("M.T.", "M.Eng.", "M.Sc.")),
    "health": (("S.K.M.", "S.Kep., Ns.", "S.Farm., Apt."), ("M.Kes.", "M.K.M.", "M.P.H.")),
    "education": (("S.Pd.", "S.Pd.", "S.Pd.", "S.Pd.I.", "S.Si."), ("M.Pd.", "M.Pd.")),
    "law": (("S.H.",), ("M.H.", "M.Kn.")),
}
_SECTOR_FIELD = {
    "finance": "finance",
    "revenue": "finance",
    "ict": "ict",
    "works": "works",
    "transport": "works",
    "environment": "works",
    "health": "health",
    "hospital": "health",
    "education": "education",
    "secretariat": "law",
    "order": "law",
    "audit": "finance",
}


def titles(
    rng: random.Random,
    sector: str,
    kelas: int,
    *,
    medical: str | None = None,
    born_before_1975: bool = False,
) -> Titles:
    """Academic titles that fit a person's field and position class.

    `medical` is 'dokter', 'dokter gigi', 'perawat' or 'bidan' for health staff whose
    title comes from their profession ('dr.', 'drg.', 'A.Md.Kep.', 'A.Md.Keb.').
    """
    if medical == "dokter":
        return Titles("dr.", rng.choice((None, None, "M.Kes.", "Sp.PD", "Sp.A")))
    if medical == "dokter gigi":
        return Titles("drg.", None)
    if medical == "perawat":
        return Titles(None, rng.choice(("A.Md.Kep.", "A.Md.Kep.", "S.Kep., Ns.")))
    if medical == "bidan":
        return Titles(None, rng.choice(("A.Md.Keb.", "A.Md.Keb.", "S.Tr.Keb.")))
    bachelor, master = _DEGREES[_SECTOR_FIELD.get(sector, "general")]
    if kelas <= 6:
        after = rng.choice((None, None, None, "A.Md.", "A.Md.Kom.", rng.choice(bachelor)))
        return Titles(None, after)
    degree = rng.choice(bachelor)
    if kelas >= 12 or (kelas >= 9 and rng.random() < 0.3):
        degree = f"{degree}, {rng.choice(master)}"
    before = None
    roll = rng.random()
    if kelas >= 14 and roll < 0.25:
        before = "Dr."
    elif sector == "works" and born_before_1975 and roll < 0.5:
        before, degree = "Ir.", rng.choice(master)
    elif born_before_1975 and roll < 0.08:
        before, degree = "Drs.", rng.choice(master)
    return Titles(before, degree)


def display_name(name: str, before: str | None, after: str | None) -> str:
    """The name as written on documents: 'Dr. Budi Santoso, S.Kom., M.T.'."""
    text = f"{before} {name}" if before else name
    return f"{text}, {after}" if after else text


def spell(nip: str, rng: random.Random) -> str:
    """One of the three ways sppspm users write an 18-digit NIP, mostly spaced."""
    return rng.choices((spaced(nip), dotted(nip), nip), weights=(60, 25, 15))[0]
