"""Static facts about Semarang's organisations that the demo plan is cut from.

Finance codes follow Permendagri 90/2019 (urusan.bidang.urusan2.bidang2.urusan3.bidang3.
unit.sub-unit). Headcounts are for the city scale; smaller scales shrink them.
Names and codes are realistic but this is look-alike data, not an official register.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class UnitKind(StrEnum):
    OPD = "OPD"
    UPTD = "UPTD"
    PUSKESMAS = "PUSKESMAS"
    KELURAHAN = "KELURAHAN"
    SEKOLAH = "SEKOLAH"


class Scale(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    CITY = "city"

    @property
    def rank(self) -> int:
        return list(Scale).index(self)


@dataclass(frozen=True, slots=True)
class SubUnitSpec:
    """An e-kin sub-unit (UPTD, puskesmas, kelurahan, school) of an OPD."""

    name: str
    kind: UnitKind
    headcount: int
    min_scale: Scale = Scale.CITY
    abbreviation: str | None = None
    own_code: str | None = None  # last group of its own finance sub-unit code, e.g. '0001'
    finance_name: str | None = None
    mapped: bool = True  # False: the administrator never added it to the crosswalk
    active: bool = True


@dataclass(frozen=True, slots=True)
class OpdSpec:
    """An OPD: its e-kin office unit, finance codes per fiscal year and sub-units."""

    key: str
    ekin_name: str
    abbreviation: str
    finance_name: str
    code: str
    sector: str
    headcount: int
    divisions: tuple[str, ...]
    head_title: str
    head_class: int
    min_scale: Scale = Scale.CITY
    code_2026: str | None = None  # set when the office was re-coded for 2026
    finance_name_2026: str | None = None
    subunits: tuple[SubUnitSpec, ...] = field(default=())


def _pkm(name: str, scale: Scale = Scale.CITY, own_code: str | None = None) -> SubUnitSpec:
    return SubUnitSpec(
        name=f"UPTD Puskesmas {name}",
        kind=UnitKind.PUSKESMAS,
        headcount=38,
        min_scale=scale,
        abbreviation=f"PKM {name.upper()}",
        own_code=own_code,
        finance_name=f"UPTD PUSKESMAS {name.upper()}" if own_code else None,
    )


_S, _M, _C = Scale.SMALL, Scale.MEDIUM, Scale.CITY

_PUSKESMAS = (
    _pkm("Poncol", _S),
    _pkm("Halmahera", _S, "0001"),
    _pkm("Pandanaran", _S, "0002"),
    _pkm("Bandarharjo", _M, "0003"),
    _pkm("Karangayu", _M, "0004"),
    _pkm("Ngesrep", _M),
    _pkm("Miroto", _M),
    _pkm("Kedungmundu", _M, "0005"),
    _pkm("Bulu Lor"),
    _pkm("Bugangan"),
    _pkm("Karangdoro"),
    _pkm("Lamper Tengah"),
    _pkm("Lebdosari"),
    _pkm("Manyaran"),
    _pkm("Krobokan"),
    _pkm("Ngemplak Simongan"),
    _pkm("Gayamsari"),
    _pkm("Candilama"),
    _pkm("Kagok"),
    _pkm("Pegandan"),
    _pkm("Genuk"),
    _pkm("Bangetayu"),
    _pkm("Tlogosari Wetan", own_code="0006"),
    _pkm("Tlogosari Kulon"),
    _pkm("Rowosari"),
    _pkm("Padangsari"),
    _pkm("Srondol"),
    _pkm("Pudakpayung"),
    _pkm("Gunungpati", own_code="0007"),
    _pkm("Sekaran"),
    _pkm("Mijen", own_code="0008"),
    _pkm("Karangmalang"),
    _pkm("Tambakaji"),
    _pkm("Purwoyoso"),
    _pkm("Ngaliyan", own_code="0009"),
    _pkm("Mangkang"),
    _pkm("Karanganyar"),
)

_DINKES_UPTD = (
    # Opened in 2025; the crosswalk administrator never added it (UNMAPPED_UNIT on purpose).
    SubUnitSpec(
        "UPTD Laboratorium Kesehatan Daerah",
        UnitKind.UPTD,
        20,
        _S,
        "LABKESDA",
        mapped=False,
    ),
    # Merged into the health office in 2024; e-kin keeps the row, inactive, with no staff.
    SubUnitSpec(
        "UPTD Gudang Farmasi Kota", UnitKind.UPTD, 0, _S, "GFK", mapped=False, active=False
    ),
)

_SMP = tuple(
    SubUnitSpec(
        f"SMP Negeri {n} Semarang",
        UnitKind.SEKOLAH,
        42,
        _M if n <= 6 else _C,
        f"SMPN {n} SMG",
    )
    for n in range(1, 45)
)


@dataclass(frozen=True, slots=True)
class KecamatanSpec:
    name: str
    kelurahan: tuple[str, ...]
    min_scale: Scale = Scale.CITY


def _kec(name: str, scale: Scale, kelurahan: tuple[str, ...]) -> KecamatanSpec:
    return KecamatanSpec(name, kelurahan, scale)


# The 16 kecamatan and their 177 kelurahan; the kecamatan number is the unit group of
# its finance code (7.01.0.00.0.00.NN.0000).
KECAMATAN: tuple[KecamatanSpec, ...] = (
    _kec("Semarang Tengah", _S, (
        "Bangunharjo", "Brumbungan", "Gabahan", "Jagalan", "Karangkidul", "Kauman", "Kembangsari",
        "Kranggan", "Miroto", "Pandansari", "Pekunden", "Pendrikan Kidul", "Pendrikan Lor",
        "Purwodinatan", "Sekayu",
    )),
    _kec("Semarang Utara", _M, (
        "Bandarharjo", "Bulu Lor", "Dadapsari", "Kuningan", "Panggung Kidul", "Panggung Lor",
        "Plombokan", "Purwosari", "Tanjung Mas",
    )),
    _kec("Semarang Timur", _C, (
        "Bugangan", "Karangtempel", "Karangturi", "Kebonagung", "Kemijen", "Mlatibaru",
        "Mlatiharjo", "Rejomulyo", "Rejosari", "Sarirejo",
    )),
    _kec("Semarang Selatan", _C, (
        "Barusari", "Bulustalan", "Lamper Kidul", "Lamper Lor", "Lamper Tengah", "Mugassari",
        "Peterongan", "Pleburan", "Randusari", "Wonodri",
    )),
    _kec("Semarang Barat", _C, (
        "Bojongsalaman", "Bongsari", "Cabean", "Gisikdrono", "Kalibanteng Kidul",
        "Kalibanteng Kulon", "Karangayu", "Kembangarum", "Krapyak", "Krobokan", "Manyaran",
        "Ngemplak Simongan", "Salamanmloyo", "Tambakharjo", "Tawangmas", "Tawangsari",
    )),
    _kec("Gayamsari", _S, (
        "Gayamsari", "Kaligawe", "Pandean Lamper", "Sambirejo", "Sawah Besar", "Siwalan",
        "Tambakrejo",
    )),
    _kec("Candisari", _M, (
        "Candi", "Jatingaleh", "Jomblang", "Kaliwiru", "Karanganyar Gunung", "Tegalsari",
        "Wonotingal",
    )),
    _kec("Gajahmungkur", _M, (
        "Bendan Duwur", "Bendan Ngisor", "Bendungan", "Gajahmungkur", "Karangrejo", "Lempongsari",
        "Petompon", "Sampangan",
    )),
    _kec("Genuk", _C, (
        "Bangetayu Kulon", "Bangetayu Wetan", "Banjardowo", "Gebangsari", "Genuksari",
        "Karangroto", "Kudu", "Muktiharjo Lor", "Penggaron Lor", "Sembungharjo", "Terboyo Kulon",
        "Terboyo Wetan", "Trimulyo",
    )),
    _kec("Pedurungan", _C, (
        "Gemah", "Kalicari", "Muktiharjo Kidul", "Palebon", "Pedurungan Kidul", "Pedurungan Lor",
        "Pedurungan Tengah", "Penggaron Kidul", "Plamongan Sari", "Tlogomulyo", "Tlogosari Kulon",
        "Tlogosari Wetan",
    )),
    _kec("Tembalang", _C, (
        "Bulusan", "Jangli", "Kedungmundu", "Kramas", "Mangunharjo", "Meteseh", "Rowosari",
        "Sambiroto", "Sendangguwo", "Sendangmulyo", "Tandang", "Tembalang",
    )),
    _kec("Banyumanik", _C, (
        "Banyumanik", "Gedawang", "Jabungan", "Ngesrep", "Padangsari", "Pedalangan",
        "Pudakpayung", "Srondol Kulon", "Srondol Wetan", "Sumurboto", "Tinjomoyo",
    )),
    _kec("Gunungpati", _C, (
        "Cepoko", "Gunungpati", "Jatirejo", "Kalisegoro", "Kandri", "Mangunsari", "Ngijo",
        "Nongkosawit", "Pakintelan", "Patemon", "Plalangan", "Pongangan", "Sadeng", "Sekaran",
        "Sukorejo", "Sumurejo",
    )),
    _kec("Mijen", _C, (
        "Bubakan", "Cangkiran", "Jatibarang", "Jatisari", "Karangmalang", "Kedungpane", "Mijen",
        "Ngadirgo", "Pesantren", "Polaman", "Purwosari", "Tambangan", "Wonolopo", "Wonoplumbon",
    )),
    _kec("Ngaliyan", _C, (
        "Bambankerep", "Beringin", "Gondoriyo", "Kalipancur", "Ngaliyan", "Podorejo", "Purwoyoso",
        "Tambakaji", "Wates", "Wonosari",
    )),
    _kec("Tugu", _M, (
        "Jerakah", "Karanganyar", "Mangkang Kulon", "Mangkang Wetan", "Mangunharjo", "Randugarut",
        "Tugurejo",
    )),
)  # fmt: skip

# Sekolah dasar negeri, named after the kelurahan they stand in (two per kelurahan for the
# first ones), as the city names them: 'SD Negeri Pekunden 01'.
_SD_KELURAHAN = tuple(k for kec in KECAMATAN for k in kec.kelurahan)[:50]
_SD = tuple(
    SubUnitSpec(
        f"SD Negeri {kel} {n:02d}",
        UnitKind.SEKOLAH,
        20,
        _M if i < 6 else _C,
        None,
    )
    for i, (kel, n) in enumerate((k, n) for k in _SD_KELURAHAN for n in (1, 2))
)

_BIDANG_UMUM = ("Bidang Perencanaan dan Evaluasi", "Bidang Pelayanan", "Bidang Pengembangan")


def _opd(
    key: str,
    name: str,
    abbreviation: str,
    code: str,
    sector: str,
    headcount: int,
    divisions: tuple[str, ...] = _BIDANG_UMUM,
    *,
    head_title: str | None = None,
    head_class: int = 14,
    min_scale: Scale = Scale.CITY,
    subunits: tuple[SubUnitSpec, ...] = (),
    code_2026: str | None = None,
    finance_name_2026: str | None = None,
) -> OpdSpec:
    return OpdSpec(
        key=key,
        ekin_name=name,
        abbreviation=abbreviation,
        finance_name=name.upper(),
        code=code,
        sector=sector,
        headcount=headcount,
        divisions=divisions,
        head_title=head_title or f"Kepala {name}",
        head_class=head_class,
        min_scale=min_scale,
        code_2026=code_2026,
        finance_name_2026=finance_name_2026,
        subunits=subunits,
    )


FINANCE_AGENCY = "BPKAD"
"""Key of the finance agency: home of the KUASA_BUD."""

RECODED_OPD = "DISBUDPAR"
"""Key of the OPD whose finance code changed between fiscal years 2025 and 2026."""

OPDS: tuple[OpdSpec, ...] = (
    _opd(
        "SETDA",
        "Sekretariat Daerah",
        "SETDA",
        "4.01.0.00.0.00.01.0000",
        "secretariat",
        300,
        (
            "Bagian Tata Pemerintahan",
            "Bagian Hukum",
            "Bagian Organisasi",
            "Bagian Pengadaan Barang dan Jasa",
            "Bagian Umum",
        ),
        head_title="Sekretaris Daerah",
        head_class=16,
        min_scale=_S,
    ),
    _opd(
        "SETWAN",
        "Sekretariat DPRD",
        "SETWAN",
        "4.02.0.00.0.00.01.0000",
        "secretariat",
        150,
        ("Bagian Umum", "Bagian Persidangan dan Perundang-undangan", "Bagian Keuangan"),
        head_title="Sekretaris DPRD",
        min_scale=_M,
    ),
    _opd(
        "INSPEKTORAT",
        "Inspektorat",
        "INSPEKTORAT",
        "6.01.0.00.0.00.01.0000",
        "audit",
        110,
        (
            "Inspektur Pembantu Wilayah I",
            "Inspektur Pembantu Wilayah II",
            "Inspektur Pembantu Wilayah III",
            "Inspektur Pembantu Khusus",
        ),
        head_title="Inspektur",
        min_scale=_M,
    ),
    _opd(
        "BAPPEDA",
        "Badan Perencanaan Pembangunan Daerah",
        "BAPPEDA",
        "5.01.5.05.0.00.01.0000",
        "planning",
        95,
        (
            "Bidang Perencanaan Pemerintahan dan Pembangunan Manusia",
            "Bidang Perencanaan Perekonomian dan Sumber Daya Alam",
            "Bidang Perencanaan Infrastruktur dan Kewilayahan",
            "Bidang Perencanaan, Pengendalian dan Evaluasi",
        ),
        head_class=15,
        min_scale=_M,
    ),
    _opd(
        "BPKAD",
        "Badan Pengelolaan Keuangan dan Aset Daerah",
        "BPKAD",
        "5.02.0.00.0.00.01.0000",
        "finance",
        165,
        ("Bidang Anggaran", "Bidang Perbendaharaan", "Bidang Akuntansi", "Bidang Aset"),
        head_class=15,
        min_scale=_S,
    ),
    _opd(
        "BAPENDA",
        "Badan Pendapatan Daerah",
        "BAPENDA",
        "5.02.0.00.0.00.02.0000",
        "revenue",
        210,
        (
            "Bidang Pajak Daerah I",
            "Bidang Pajak Daerah II",
            "Bidang Pajak Bumi dan Bangunan",
            "Bidang Retribusi dan Pendapatan Lain",
        ),
        head_class=15,
    ),
    _opd(
        "BKPP",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        "BKPSDM",
        "5.03.5.04.0.00.01.0000",
        "general",
        85,
        (
            "Bidang Pengadaan dan Informasi Kepegawaian",
            "Bidang Mutasi dan Promosi",
            "Bidang Pengembangan Kompetensi Aparatur",
        ),
        head_class=15,
    ),
    _opd(
        "BRIDA",
        "Badan Riset dan Inovasi Daerah",
        "BRIDA",
        "5.05.0.00.0.00.01.0000",
        "planning",
        45,
        ("Bidang Riset", "Bidang Inovasi Daerah", "Bidang Kemitraan dan Difusi"),
        head_class=15,
    ),
    _opd(
        "KESBANGPOL",
        "Badan Kesatuan Bangsa dan Politik",
        "KESBANGPOL",
        "8.01.0.00.0.00.01.0000",
        "general",
        55,
        (
            "Bidang Ideologi dan Wawasan Kebangsaan",
            "Bidang Politik Dalam Negeri",
            "Bidang Ketahanan Ekonomi, Sosial dan Budaya",
        ),
        head_class=15,
    ),
    _opd(
        "DISDIK",
        "Dinas Pendidikan",
        "DISDIK",
        "1.01.0.00.0.00.01.0000",
        "education",
        150,
        (
            "Bidang Pembinaan Sekolah Dasar",
            "Bidang Pembinaan Sekolah Menengah Pertama",
            "Bidang Pendidikan Anak Usia Dini dan Pendidikan Nonformal",
            "Bidang Pendidik dan Tenaga Kependidikan",
        ),
        min_scale=_M,
        subunits=_SMP + _SD,
    ),
    _opd(
        "DINKES",
        "Dinas Kesehatan",
        "DINKES",
        "1.02.0.00.0.00.01.0000",
        "health",
        175,
        (
            "Bidang Kesehatan Masyarakat",
            "Bidang Pencegahan dan Pengendalian Penyakit",
            "Bidang Pelayanan Kesehatan",
            "Bidang Sumber Daya Kesehatan",
        ),
        min_scale=_S,
        subunits=_PUSKESMAS + _DINKES_UPTD,
    ),
    _opd(
        "RSUD",
        "RSUD K.R.M.T. Wongsonegoro",
        "RSWN",
        "1.02.0.00.0.00.02.0000",
        "hospital",
        640,
        ("Bidang Pelayanan Medik", "Bidang Keperawatan", "Bidang Penunjang", "Bagian Keuangan"),
        head_title="Direktur RSUD K.R.M.T. Wongsonegoro",
    ),
    _opd(
        "DPU",
        "Dinas Pekerjaan Umum",
        "DPU",
        "1.03.0.00.0.00.01.0000",
        "works",
        250,
        (
            "Bidang Bina Marga",
            "Bidang Sumber Daya Air dan Drainase",
            "Bidang Cipta Karya",
            "Bidang Bina Konstruksi",
        ),
        min_scale=_S,
    ),
    _opd(
        "DISTARU",
        "Dinas Penataan Ruang",
        "DISTARU",
        "1.03.0.00.0.00.02.0000",
        "works",
        95,
        ("Bidang Perencanaan Tata Ruang", "Bidang Pemanfaatan Ruang", "Bidang Pengendalian"),
    ),
    _opd(
        "DISPERKIM",
        "Dinas Perumahan dan Kawasan Permukiman",
        "DISPERKIM",
        "1.04.2.10.0.00.01.0000",
        "works",
        140,
        ("Bidang Perumahan", "Bidang Kawasan Permukiman", "Bidang Pertamanan dan Pemakaman"),
    ),
    _opd(
        "SATPOLPP",
        "Satuan Polisi Pamong Praja",
        "SATPOL PP",
        "1.05.0.00.0.00.01.0000",
        "order",
        300,
        (
            "Bidang Penegakan Perundang-undangan Daerah",
            "Bidang Ketertiban Umum dan Ketenteraman Masyarakat",
            "Bidang Perlindungan Masyarakat",
        ),
        min_scale=_M,
    ),
    _opd(
        "DAMKAR",
        "Dinas Pemadam Kebakaran",
        "DAMKAR",
        "1.05.0.00.0.00.02.0000",
        "order",
        180,
        ("Bidang Pencegahan", "Bidang Pemadaman dan Penyelamatan", "Bidang Sarana Prasarana"),
    ),
    _opd(
        "BPBD",
        "Badan Penanggulangan Bencana Daerah",
        "BPBD",
        "1.05.0.00.0.00.03.0000",
        "order",
        70,
        (
            "Bidang Pencegahan dan Kesiapsiagaan",
            "Bidang Kedaruratan dan Logistik",
            "Bidang Rehabilitasi dan Rekonstruksi",
        ),
    ),
    _opd(
        "DINSOS",
        "Dinas Sosial",
        "DINSOS",
        "1.06.0.00.0.00.01.0000",
        "social",
        90,
        (
            "Bidang Rehabilitasi Sosial",
            "Bidang Perlindungan dan Jaminan Sosial",
            "Bidang Pemberdayaan Sosial",
        ),
    ),
    _opd(
        "DISNAKER",
        "Dinas Tenaga Kerja",
        "DISNAKER",
        "2.07.0.00.0.00.01.0000",
        "economy",
        70,
        (
            "Bidang Pelatihan dan Produktivitas",
            "Bidang Penempatan Tenaga Kerja",
            "Bidang Hubungan Industrial",
        ),
    ),
    _opd(
        "DP3A",
        "Dinas Pemberdayaan Perempuan dan Perlindungan Anak",
        "DP3A",
        "2.08.0.00.0.00.01.0000",
        "social",
        55,
        (
            "Bidang Pemberdayaan Perempuan",
            "Bidang Perlindungan Anak",
            "Bidang Data dan Informasi Gender",
        ),
    ),
    _opd(
        "DISHANPAN",
        "Dinas Ketahanan Pangan",
        "DISHANPAN",
        "2.09.0.00.0.00.01.0000",
        "economy",
        55,
        (
            "Bidang Ketersediaan Pangan",
            "Bidang Distribusi dan Cadangan Pangan",
            "Bidang Keamanan Pangan",
        ),
    ),
    _opd(
        "DLH",
        "Dinas Lingkungan Hidup",
        "DLH",
        "2.11.0.00.0.00.01.0000",
        "environment",
        200,
        (
            "Bidang Pengelolaan Sampah dan Limbah B3",
            "Bidang Pengendalian Pencemaran",
            "Bidang Penataan dan Peningkatan Kapasitas",
        ),
        min_scale=_M,
        subunits=(
            SubUnitSpec(
                "UPTD Tempat Pemrosesan Akhir Jatibarang",
                UnitKind.UPTD,
                45,
                _M,
                "UPTD TPA",
                own_code="0001",
                finance_name="UPTD TEMPAT PEMROSESAN AKHIR JATIBARANG",
            ),
        ),
    ),
    _opd(
        "DISDUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil",
        "DISDUKCAPIL",
        "2.12.0.00.0.00.01.0000",
        "population",
        150,
        (
            "Bidang Pelayanan Pendaftaran Penduduk",
            "Bidang Pelayanan Pencatatan Sipil",
            "Bidang Pengelolaan Informasi Administrasi Kependudukan",
            "Bidang Pemanfaatan Data dan Inovasi Pelayanan",
        ),
        min_scale=_M,
    ),
    _opd(
        "DP2KB",
        "Dinas Pengendalian Penduduk dan Keluarga Berencana",
        "DP2KB",
        "2.14.0.00.0.00.01.0000",
        "social",
        70,
        ("Bidang Pengendalian Penduduk", "Bidang Keluarga Berencana", "Bidang Ketahanan Keluarga"),
    ),
    _opd(
        "DISHUB",
        "Dinas Perhubungan",
        "DISHUB",
        "2.15.0.00.0.00.01.0000",
        "transport",
        280,
        ("Bidang Lalu Lintas", "Bidang Angkutan", "Bidang Perparkiran", "Bidang Sarana Prasarana"),
        min_scale=_M,
        subunits=(
            SubUnitSpec(
                "BLU UPTD Trans Semarang",
                UnitKind.UPTD,
                30,
                _C,
                "TRANS SMG",
                own_code="0001",
                finance_name="BLU UPTD TRANS SEMARANG",
            ),
            SubUnitSpec("UPTD Terminal Mangkang", UnitKind.UPTD, 20, _M, "TERMINAL"),
        ),
    ),
    _opd(
        "DISKOMINFO",
        "Dinas Komunikasi, Informatika, Statistik dan Persandian",
        "DISKOMINFO",
        "2.16.2.20.2.21.01.0000",
        "ict",
        100,
        (
            "Bidang Informasi dan Komunikasi Publik",
            "Bidang Aplikasi Informatika",
            "Bidang Infrastruktur Teknologi Informasi",
            "Bidang Statistik dan Persandian",
        ),
        min_scale=_S,
        subunits=(
            # Set up in 2025 to run the command centre; missing from the crosswalk on purpose.
            SubUnitSpec(
                "UPTD Semarang Command Center",
                UnitKind.UPTD,
                20,
                _S,
                "SCC",
                mapped=False,
            ),
        ),
    ),
    _opd(
        "DISKOPUMKM",
        "Dinas Koperasi dan Usaha Mikro",
        "DINKOP UM",
        "2.17.0.00.0.00.01.0000",
        "economy",
        55,
        (
            "Bidang Kelembagaan Koperasi",
            "Bidang Pemberdayaan Usaha Mikro",
            "Bidang Pengawasan Koperasi",
        ),
    ),
    _opd(
        "DPMPTSP",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        "DPMPTSP",
        "2.18.0.00.0.00.01.0000",
        "economy",
        80,
        (
            "Bidang Penanaman Modal",
            "Bidang Pelayanan Perizinan",
            "Bidang Pengaduan dan Pengendalian",
        ),
    ),
    _opd(
        "DISPORA",
        "Dinas Kepemudaan dan Olahraga",
        "DISPORA",
        "2.19.0.00.0.00.01.0000",
        "culture",
        60,
        ("Bidang Kepemudaan", "Bidang Olahraga", "Bidang Sarana Prasarana"),
    ),
    _opd(
        "DISBUDPAR",
        "Dinas Kebudayaan dan Pariwisata",
        "DISBUDPAR",
        "2.22.3.26.0.00.01.0000",
        "culture",
        90,
        ("Bidang Kebudayaan", "Bidang Destinasi Pariwisata", "Bidang Pemasaran Pariwisata"),
        min_scale=_S,
        code_2026="3.26.2.22.0.00.01.0000",
        finance_name_2026="DINAS PARIWISATA DAN KEBUDAYAAN",
    ),
    _opd(
        "DISARPUS",
        "Dinas Arsip dan Perpustakaan",
        "DISARPUS",
        "2.23.2.24.0.00.01.0000",
        "general",
        60,
        ("Bidang Kearsipan", "Bidang Perpustakaan", "Bidang Layanan dan Pelestarian"),
    ),
    _opd(
        "DISKAN",
        "Dinas Perikanan",
        "DISKAN",
        "3.25.0.00.0.00.01.0000",
        "economy",
        45,
        (
            "Bidang Perikanan Tangkap",
            "Bidang Perikanan Budidaya",
            "Bidang Pengolahan dan Pemasaran",
        ),
    ),
    _opd(
        "DISTAN",
        "Dinas Pertanian",
        "DISTAN",
        "3.27.0.00.0.00.01.0000",
        "economy",
        75,
        ("Bidang Tanaman Pangan dan Hortikultura", "Bidang Peternakan", "Bidang Kesehatan Hewan"),
    ),
    _opd(
        "DISDAG",
        "Dinas Perdagangan",
        "DISDAG",
        "3.30.0.00.0.00.01.0000",
        "economy",
        120,
        ("Bidang Pengelolaan Pasar", "Bidang Perdagangan Dalam Negeri", "Bidang Metrologi"),
        subunits=tuple(
            SubUnitSpec(f"UPTD Pasar Wilayah {w}", UnitKind.UPTD, 25, _C, f"PASAR {w}")
            for w in ("I", "II", "III", "IV")
        ),
    ),
    _opd(
        "DISPERIN",
        "Dinas Perindustrian",
        "DISPERIN",
        "3.31.0.00.0.00.01.0000",
        "economy",
        45,
        (
            "Bidang Industri Agro dan Kimia",
            "Bidang Industri Logam dan Aneka",
            "Bidang Pengembangan Industri",
        ),
    ),
)


def kecamatan_opd(number: int, spec: KecamatanSpec) -> OpdSpec:
    """The OPD of the number-th kecamatan (1-based), with its kelurahan as sub-units."""
    kelurahan = tuple(
        SubUnitSpec(
            f"Kelurahan {name}",
            UnitKind.KELURAHAN,
            8,
            spec.min_scale,
            f"KEL {name.upper()}",
        )
        for name in spec.kelurahan
    )
    return _opd(
        f"KEC{number:02d}",
        f"Kecamatan {spec.name}",
        f"KEC {spec.name.upper()}",
        f"7.01.0.00.0.00.{number:02d}.0000",
        "district",
        30,
        (
            "Seksi Pemerintahan",
            "Seksi Ketenteraman dan Ketertiban Umum",
            "Seksi Kesejahteraan Sosial",
            "Seksi Pemberdayaan Masyarakat",
            "Seksi Pelayanan Umum",
        ),
        head_title=f"Camat {spec.name}",
        head_class=13,
        min_scale=spec.min_scale,
        subunits=kelurahan,
    )


def all_opds() -> tuple[OpdSpec, ...]:
    """Every OPD of the city scale, kecamatan last, in a fixed order."""
    return OPDS + tuple(kecamatan_opd(i, spec) for i, spec in enumerate(KECAMATAN, start=1))
