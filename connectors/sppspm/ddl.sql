-- sppspm tables exactly as the legacy system has them (see shared/legacy-systems.md).
-- Used only to build look-alike databases for the demo, tests and benchmarks.
create table skpd (
    tahun       smallint,
    kode_skpd   varchar(22),
    nama_skpd   varchar(200) not null,
    primary key (tahun, kode_skpd)
);

create table pejabat (
    id          serial primary key,
    tahun       smallint not null,
    kode_skpd   varchar(22) not null,
    nip         varchar(21) not null,
    nama        varchar(150) not null,
    peran       varchar(24) not null
                check (peran in ('BENDAHARA_PENGELUARAN','PPTK','PPK_SKPD','PA','KUASA_BUD')),
    foreign key (tahun, kode_skpd) references skpd
);

create table anggaran (
    id                  serial primary key,
    tahun               smallint not null,
    kode_skpd           varchar(22) not null,
    kode_sub_kegiatan   varchar(20) not null,
    kode_rekening       varchar(20) not null,
    uraian              varchar(250) not null,
    pagu                numeric(18,2) not null check (pagu >= 0),
    foreign key (tahun, kode_skpd) references skpd
);

create table spp (
    id              serial primary key,
    nomor_spp       varchar(80) not null unique,
    tahun           smallint not null,
    kode_skpd       varchar(22) not null,
    jenis           varchar(2) not null check (jenis in ('UP','GU','TU','LS')),
    jenis_ls        varchar(12) null check (jenis_ls in ('GAJI','TPP','BARANG_JASA')),
    id_anggaran     integer null references anggaran(id),
    nilai           numeric(18,2) not null check (nilai > 0),
    uraian          text not null,
    nip_bendahara   varchar(21) not null,
    tgl_spp         timestamp without time zone not null,
    status          smallint not null default 0 check (status between 0 and 3),
    ket_ditolak     text,
    ref_eksternal   varchar(64) unique,
    created_at      timestamp without time zone not null,
    foreign key (tahun, kode_skpd) references skpd
);

create table spm (
    id              serial primary key,
    id_spp          integer not null unique references spp(id),
    nomor_spm       varchar(80) not null unique,
    tgl_spm         timestamp without time zone not null,
    status_spm      smallint not null default 1 check (status_spm between 0 and 3),
    ket_ditolak     text,
    nip_pa          varchar(21) not null
);

create table sp2d (
    id              serial primary key,
    id_spm          integer not null unique references spm(id),
    nomor_sp2d      varchar(80) not null unique,
    tgl_sp2d        timestamp without time zone not null,
    nilai_bersih    numeric(18,2) not null,
    nip_kuasa_bud   varchar(21) not null
);

create table riwayat_status (
    id              bigserial primary key,
    dokumen         varchar(4) not null check (dokumen in ('SPP','SPM','SP2D')),
    id_dokumen      integer not null,
    status_lama     smallint null,
    status_baru     smallint not null,
    nip             varchar(21) not null,
    waktu           timestamp without time zone not null,
    catatan         text
);

create table tpp_rincian (
    id              serial primary key,
    id_spp          integer not null references spp(id),
    periode         char(7) not null,
    nip             varchar(21) not null,
    nilai           numeric(14,2) not null check (nilai >= 0)
);

create table hari_libur (
    tanggal         date primary key,
    keterangan      varchar(120) not null,
    jenis           varchar(12) not null check (jenis in ('NASIONAL','CUTI_BERSAMA','LOKAL'))
);
