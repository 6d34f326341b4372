"""Words the look-alike data is written in: position titles, activity descriptions,
budget lines, vendors and rejection notes, as Semarang's systems would hold them."""

from __future__ import annotations

# (title, kelas jabatan, profession for titles) of functional positions per sector.
Functional = tuple[str, int, str | None]

SECTOR_FUNCTIONAL: dict[str, tuple[Functional, ...]] = {
    "general": (
        ("Analis Kebijakan Ahli Muda", 9, None),
        ("Analis Kebijakan Ahli Pertama", 8, None),
        ("Perencana Ahli Pertama", 8, None),
        ("Pranata Komputer Terampil", 6, None),
    ),
    "secretariat": (
        ("Analis Hukum Ahli Pertama", 8, None),
        ("Perancang Peraturan Perundang-undangan Ahli Muda", 9, None),
        ("Analis Kebijakan Ahli Muda", 9, None),
        ("Pengelola Pengadaan Barang/Jasa Ahli Pertama", 8, None),
    ),
    "health": (
        ("Epidemiolog Kesehatan Ahli Muda", 9, None),
        ("Administrator Kesehatan Ahli Pertama", 8, None),
        ("Penyuluh Kesehatan Masyarakat Ahli Pertama", 8, None),
        ("Pranata Laboratorium Kesehatan Terampil", 6, None),
        ("Sanitarian Ahli Pertama", 8, None),
    ),
    "hospital": (
        ("Dokter Ahli Muda", 9, "dokter"),
        ("Perawat Ahli Pertama", 8, "perawat"),
        ("Perawat Terampil", 6, "perawat"),
        ("Bidan Terampil", 6, "bidan"),
        ("Apoteker Ahli Pertama", 8, None),
        ("Radiografer Terampil", 6, None),
        ("Perekam Medis Terampil", 6, None),
    ),
    "education": (
        ("Pengawas Sekolah Ahli Madya", 9, None),
        ("Penilik Ahli Muda", 9, None),
        ("Analis Kebijakan Ahli Pertama", 8, None),
    ),
    "works": (
        ("Teknik Jalan dan Jembatan Ahli Pertama", 8, None),
        ("Teknik Pengairan Ahli Pertama", 8, None),
        ("Teknik Tata Bangunan dan Perumahan Ahli Muda", 9, None),
        ("Penata Ruang Ahli Pertama", 8, None),
    ),
    "ict": (
        ("Pranata Komputer Ahli Pertama", 8, None),
        ("Pranata Komputer Ahli Muda", 9, None),
        ("Pranata Hubungan Masyarakat Ahli Pertama", 8, None),
        ("Statistisi Ahli Pertama", 8, None),
        ("Sandiman Ahli Pertama", 8, None),
    ),
    "finance": (
        ("Analis Keuangan Pusat dan Daerah Ahli Muda", 9, None),
        ("Analis Keuangan Pusat dan Daerah Ahli Pertama", 8, None),
        ("Pengelola Pengadaan Barang/Jasa Ahli Pertama", 8, None),
        ("Penilai Pemerintah Ahli Pertama", 8, None),
    ),
    "revenue": (
        ("Penilai Pajak Bumi dan Bangunan Ahli Pertama", 8, None),
        ("Analis Keuangan Pusat dan Daerah Ahli Pertama", 8, None),
        ("Pranata Komputer Terampil", 6, None),
    ),
    "planning": (
        ("Perencana Ahli Muda", 9, None),
        ("Perencana Ahli Pertama", 8, None),
        ("Peneliti Ahli Pertama", 8, None),
        ("Statistisi Ahli Pertama", 8, None),
    ),
    "audit": (
        ("Auditor Ahli Muda", 9, None),
        ("Auditor Ahli Pertama", 8, None),
        ("Pengawas Penyelenggaraan Urusan Pemerintahan Daerah Ahli Pertama", 8, None),
        ("Auditor Terampil", 6, None),
    ),
    "order": (
        ("Polisi Pamong Praja Terampil", 6, None),
        ("Polisi Pamong Praja Mahir", 7, None),
        ("Polisi Pamong Praja Ahli Pertama", 8, None),
        ("Analis Kebencanaan Ahli Pertama", 8, None),
    ),
    "population": (
        ("Administrator Database Kependudukan Ahli Pertama", 8, None),
        ("Administrator Database Kependudukan Terampil", 6, None),
        ("Pranata Komputer Terampil", 6, None),
    ),
    "district": (
        ("Analis Kebijakan Ahli Pertama", 8, None),
        ("Pranata Komputer Terampil", 6, None),
    ),
    "environment": (
        ("Pengendali Dampak Lingkungan Ahli Pertama", 8, None),
        ("Pengendali Dampak Lingkungan Ahli Muda", 9, None),
        ("Pengawas Lingkungan Hidup Ahli Pertama", 8, None),
    ),
    "transport": (
        ("Penguji Kendaraan Bermotor Terampil", 6, None),
        ("Penguji Kendaraan Bermotor Ahli Pertama", 8, None),
        ("Analis Kebijakan Ahli Pertama", 8, None),
    ),
    "social": (
        ("Pekerja Sosial Ahli Pertama", 8, None),
        ("Penyuluh Sosial Ahli Pertama", 8, None),
        ("Penyuluh Keluarga Berencana Ahli Pertama", 8, None),
    ),
    "economy": (
        ("Pengawas Koperasi Ahli Pertama", 8, None),
        ("Penyuluh Pertanian Ahli Pertama", 8, None),
        ("Penera Ahli Pertama", 8, None),
        ("Analis Perdagangan Ahli Pertama", 8, None),
    ),
    "culture": (
        ("Pamong Budaya Ahli Pertama", 8, None),
        ("Adyatama Kepariwisataan dan Ekonomi Kreatif Ahli Pertama", 8, None),
        ("Analis Kebijakan Ahli Pertama", 8, None),
    ),
}

# (title, kelas jabatan) of executive (pelaksana) positions, Permenpan-RB 45/2022 naming.
EXECUTIVE: tuple[tuple[str, int], ...] = (
    ("Pengadministrasi Perkantoran", 5),
    ("Operator Layanan Operasional", 5),
    ("Pengolah Data dan Informasi", 6),
    ("Pengelola Umum Operasional", 6),
    ("Penata Layanan Operasional", 7),
)

# (title, kelas, profession, weight) of the staff of a puskesmas.
PUSKESMAS_STAFF: tuple[tuple[str, int, str | None, int], ...] = (
    ("Dokter Ahli Pertama", 8, "dokter", 3),
    ("Dokter Ahli Muda", 9, "dokter", 1),
    ("Dokter Gigi Ahli Pertama", 8, "dokter gigi", 1),
    ("Perawat Terampil", 6, "perawat", 4),
    ("Perawat Ahli Pertama", 8, "perawat", 2),
    ("Bidan Terampil", 6, "bidan", 3),
    ("Bidan Ahli Pertama", 8, "bidan", 1),
    ("Apoteker Ahli Pertama", 8, None, 1),
    ("Pranata Laboratorium Kesehatan Terampil", 6, None, 1),
    ("Nutrisionis Terampil", 6, None, 1),
    ("Sanitarian Terampil", 6, None, 1),
    ("Perekam Medis Terampil", 6, None, 1),
)

SCHOOL_STAFF: tuple[tuple[str, int, int], ...] = (
    ("Guru Ahli Pertama", 7, 4),
    ("Guru Ahli Muda", 8, 3),
    ("Guru Ahli Madya", 9, 2),
)

# Activity descriptions per theme: (rincian, output unit, lowest volume, highest volume).
Activity = tuple[str, str, int, int]

ACTIVITIES: dict[str, tuple[Activity, ...]] = {
    "general": (
        ("Menyusun draf surat dinas dan nota dinas", "Dokumen", 1, 6),
        ("Mengagendakan surat masuk dan surat keluar", "Surat", 5, 40),
        ("Menginput data kegiatan ke aplikasi SIPD", "Data", 5, 60),
        ("Mengikuti rapat koordinasi internal", "Kegiatan", 1, 1),
        ("Menyusun laporan bulanan capaian kinerja", "Laporan", 1, 1),
        ("Mengarsipkan dokumen kegiatan", "Berkas", 5, 30),
        ("Menyiapkan bahan paparan pimpinan", "Bahan", 1, 3),
        ("Melakukan rekapitulasi data pelayanan", "Data", 10, 80),
    ),
    "leader": (
        ("Memimpin rapat koordinasi pelaksanaan program", "Kegiatan", 1, 1),
        ("Memberikan arahan dan disposisi surat masuk", "Disposisi", 5, 30),
        ("Melakukan monitoring dan evaluasi pelaksanaan kegiatan", "Laporan", 1, 2),
        ("Memverifikasi dan menandatangani dokumen kegiatan", "Dokumen", 3, 20),
        ("Mengikuti rapat pimpinan di Balai Kota", "Kegiatan", 1, 1),
        ("Membina dan menilai kinerja bawahan", "Pegawai", 1, 10),
    ),
    "finance": (
        ("Memverifikasi kelengkapan dokumen SPJ", "Berkas", 3, 25),
        ("Menyusun dokumen SPP-LS dan kelengkapannya", "Dokumen", 1, 5),
        ("Mencatat transaksi pada buku kas umum", "Transaksi", 5, 50),
        ("Menyetorkan potongan pajak ke kas negara", "Setoran", 1, 10),
        ("Menyusun laporan pertanggungjawaban bendahara", "Laporan", 1, 1),
        ("Merekonsiliasi realisasi belanja dengan BPKAD", "Kegiatan", 1, 1),
    ),
    "puskesmas": (
        ("Melakukan pemeriksaan pasien poli umum", "Pasien", 8, 40),
        ("Melaksanakan pelayanan kesehatan ibu dan anak", "Pasien", 3, 20),
        ("Melaksanakan imunisasi dasar di posyandu", "Balita", 5, 40),
        ("Melakukan kunjungan rumah pasien TB", "Kunjungan", 1, 6),
        ("Menginput data pelayanan ke SIMPUS", "Data", 20, 120),
        ("Melaksanakan penyuluhan kesehatan masyarakat", "Kegiatan", 1, 2),
        ("Melayani resep obat pasien", "Resep", 20, 90),
    ),
    "school": (
        ("Melaksanakan pembelajaran tatap muka di kelas", "Jam Pelajaran", 2, 8),
        ("Menyusun modul ajar Kurikulum Merdeka", "Modul", 1, 2),
        ("Mengoreksi hasil asesmen sumatif peserta didik", "Lembar", 20, 120),
        ("Melaksanakan bimbingan dan konseling siswa", "Siswa", 2, 15),
        ("Mengikuti kegiatan komunitas belajar guru", "Kegiatan", 1, 1),
        ("Menginput nilai peserta didik ke aplikasi rapor", "Siswa", 20, 64),
    ),
    "kelurahan": (
        ("Melayani pembuatan surat pengantar KTP dan KK warga", "Surat", 3, 25),
        ("Melaksanakan verifikasi data DTKS", "Keluarga", 5, 40),
        ("Mendampingi kegiatan posyandu dan PKK", "Kegiatan", 1, 1),
        ("Melaksanakan patroli wilayah bersama Linmas", "Kegiatan", 1, 1),
        ("Melayani legalisasi dokumen kependudukan", "Dokumen", 3, 20),
        ("Menghadiri rapat koordinasi di kecamatan", "Kegiatan", 1, 1),
    ),
    "ict": (
        ("Memelihara server dan jaringan data center", "Perangkat", 1, 10),
        ("Mengembangkan modul aplikasi layanan publik", "Modul", 1, 2),
        ("Menangani tiket gangguan layanan aplikasi", "Tiket", 2, 20),
        ("Memperbarui konten website resmi pemerintah kota", "Konten", 2, 10),
        ("Memantau dashboard Semarang Command Center", "Laporan", 1, 1),
    ),
    "works": (
        ("Melakukan pengawasan pekerjaan peningkatan jalan", "Lokasi", 1, 3),
        ("Menyusun rencana anggaran biaya pekerjaan drainase", "Dokumen", 1, 2),
        ("Melakukan survei lapangan pengaduan jalan rusak", "Lokasi", 1, 5),
        ("Memeriksa laporan kemajuan pekerjaan konstruksi", "Laporan", 1, 3),
    ),
    "order": (
        ("Melaksanakan patroli ketertiban umum", "Kegiatan", 1, 2),
        ("Melaksanakan penertiban pedagang kaki lima", "Lokasi", 1, 4),
        ("Melaksanakan piket siaga di posko", "Kegiatan", 1, 1),
        ("Menyusun berita acara penegakan perda", "Dokumen", 1, 5),
    ),
    "population": (
        ("Melayani perekaman KTP elektronik", "Pemohon", 10, 60),
        ("Memverifikasi berkas permohonan akta kelahiran", "Berkas", 10, 50),
        ("Melayani penerbitan kartu keluarga", "Dokumen", 10, 60),
        ("Melakukan konsolidasi data kependudukan", "Data", 100, 900),
    ),
}

KINERJA_REJECTIONS = (
    "Uraian kegiatan kurang jelas, mohon dilengkapi",
    "Kegiatan bukan tugas pokok jabatan",
    "Waktu kegiatan melebihi jam kerja",
    "Bukti dukung kegiatan belum diunggah",
    "Aktivitas tercatat ganda",
)

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

# Budget: (sub-kegiatan suffix after the urusan prefix, sub-kegiatan name).
SALARY_SUB_ACTIVITY = ("01.2.02.0001", "Penyediaan Gaji dan Tunjangan ASN")
SALARY_ACCOUNT = ("5.1.01.01.01.0001", "Belanja Gaji Pokok PNS")
ALLOWANCE_ACCOUNT = ("5.1.01.02.01.0001", "Tambahan Penghasilan berdasarkan Beban Kerja PNS")

GENERAL_SUB_ACTIVITIES: tuple[tuple[str, str], ...] = (
    ("01.2.01.0001", "Penyusunan Dokumen Perencanaan Perangkat Daerah"),
    ("01.2.06.0001", "Penyediaan Komponen Instalasi Listrik/Penerangan Bangunan Kantor"),
    ("01.2.06.0002", "Penyediaan Peralatan dan Perlengkapan Kantor"),
    ("01.2.06.0004", "Penyediaan Bahan Logistik Kantor"),
    ("01.2.06.0009", "Penyelenggaraan Rapat Koordinasi dan Konsultasi SKPD"),
    ("01.2.08.0002", "Penyediaan Jasa Komunikasi, Sumber Daya Air dan Listrik"),
    ("01.2.08.0004", "Penyediaan Jasa Pelayanan Umum Kantor"),
    ("01.2.09.0001", "Penyediaan Jasa Pemeliharaan, Biaya Pemeliharaan, dan Pajak Kendaraan"),
)

SECTOR_SUB_ACTIVITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "health": (
        ("02.2.02.0020", "Pengelolaan Pelayanan Kesehatan Dasar Melalui Pendekatan Keluarga"),
        ("02.2.02.0011", "Pengelolaan Pelayanan Kesehatan Ibu dan Anak"),
        ("02.2.02.0035", "Pengelolaan Surveilans Kesehatan"),
    ),
    "hospital": (("02.2.02.0038", "Pelayanan Kesehatan Rujukan pada BLUD RSUD"),),
    "education": (
        ("02.2.02.0001", "Pembangunan Ruang Kelas Baru"),
        ("02.2.02.0023", "Pengelolaan Dana BOS Sekolah Menengah Pertama"),
    ),
    "works": (
        ("04.2.01.0016", "Rehabilitasi Jalan"),
        ("03.2.04.0003", "Pembangunan Sistem Drainase Perkotaan"),
    ),
    "ict": (
        (
            "03.2.02.0004",
            "Pengembangan Aplikasi dan Proses Bisnis Pemerintahan Berbasis Elektronik",
        ),
        ("03.2.02.0007", "Penyelenggaraan Sistem Jaringan Intra Pemerintah Daerah"),
    ),
    "finance": (
        ("02.2.04.0006", "Koordinasi dan Pelaksanaan Akuntansi dan Pelaporan Keuangan Daerah"),
    ),
    "district": (
        ("02.2.01.0003", "Fasilitasi Kegiatan Pemberdayaan Masyarakat Kelurahan"),
        ("04.2.01.0004", "Pelaksanaan Kegiatan Ketenteraman dan Ketertiban Umum"),
    ),
    "culture": (
        ("02.2.01.0001", "Penyelenggaraan Festival Budaya Daerah"),
        ("02.2.02.0002", "Pengelolaan Destinasi Wisata Kota Lama"),
    ),
    "order": (("02.2.01.0002", "Penegakan Peraturan Daerah dan Peraturan Kepala Daerah"),),
    "environment": (("02.2.01.0006", "Pengelolaan Sampah di Tempat Pemrosesan Akhir"),),
    "transport": (("02.2.01.0012", "Penyediaan Layanan Angkutan Massal Perkotaan"),),
}

# (kode rekening, uraian) of goods-and-services and capital spending.
GOODS_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("5.1.02.01.01.0024", "Belanja Alat/Bahan untuk Kegiatan Kantor-Alat Tulis Kantor"),
    ("5.1.02.01.01.0026", "Belanja Alat/Bahan untuk Kegiatan Kantor-Bahan Cetak"),
    ("5.1.02.01.01.0052", "Belanja Makanan dan Minuman Rapat"),
    ("5.1.02.02.01.0026", "Belanja Jasa Tenaga Administrasi"),
    ("5.1.02.02.01.0030", "Belanja Jasa Tenaga Kebersihan"),
    ("5.1.02.02.01.0061", "Belanja Tagihan Listrik"),
    ("5.1.02.02.01.0063", "Belanja Kawat/Faksimili/Internet/TV Berlangganan"),
    ("5.1.02.03.02.0035", "Belanja Pemeliharaan Alat Angkutan-Kendaraan Dinas Bermotor"),
    ("5.1.02.04.01.0001", "Belanja Perjalanan Dinas Biasa"),
    ("5.1.02.04.01.0003", "Belanja Perjalanan Dinas Dalam Kota"),
    ("5.2.02.05.01.0005", "Belanja Modal Alat Kantor Lainnya"),
    ("5.2.02.10.01.0002", "Belanja Modal Personal Computer"),
    ("5.1.02.02.01.0003", "Honorarium Narasumber atau Pembahas"),
    ("5.1.02.01.01.0036", "Belanja Obat-Obatan"),
)

VENDORS = (
    "CV Sinar Jaya Abadi",
    "CV Karya Mandiri",
    "PT Semarang Multimedia Nusantara",
    "CV Sumber Rejeki",
    "PT Jaya Konstruksi Pratama",
    "CV Berkah Sejahtera",
    "PT Telkom Indonesia (Persero) Tbk",
    "PT PLN (Persero) UP3 Semarang",
    "CV Mitra Usaha Mandiri",
    "Toko Alat Tulis Merdeka",
    "PT Kimia Farma Apotek",
    "CV Citra Grafika",
    "Katering Bu Darmi",
    "PT Tunas Auto Graha",
)

SPP_REJECTIONS = (
    "Lampiran SPJ belum lengkap",
    "Kode rekening tidak sesuai DPA",
    "Tanda tangan PPTK belum ada",
    "Bukti potong pajak belum dilampirkan",
    "Nilai SPP tidak sesuai kuitansi",
    "Nomor rekening penerima tidak sesuai kontrak",
)

SPM_REJECTIONS = (
    "SPM tidak sesuai dengan SPP",
    "Rekening penerima tidak valid",
    "Dokumen kontrak belum diunggah",
    "Potongan pajak tidak sesuai ketentuan",
    "Sisa kas tidak mencukupi, ajukan kembali",
)
