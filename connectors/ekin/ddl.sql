-- e-kin tables exactly as the legacy system has them (see shared/legacy-systems.md).
-- Used only to build look-alike databases for the demo, tests and benchmarks.
create table skpd (
    id          serial primary key,
    nama_skpd   varchar(200) not null,
    singkatan   varchar(30),
    induk_id    integer null references skpd(id),
    aktif       boolean not null default true
);

create table jabatan (
    id            serial primary key,
    nama_jabatan  varchar(200) not null,
    jenis         varchar(12) not null check (jenis in ('STRUKTURAL','FUNGSIONAL','PELAKSANA')),
    kelas_jabatan smallint not null check (kelas_jabatan between 1 and 17),
    id_skpd       integer not null references skpd(id),
    id_atasan     integer null references jabatan(id)
);

create table pegawai (
    nip                 char(18) primary key,
    nama                varchar(150) not null,
    gelar_depan         varchar(20),
    gelar_belakang      varchar(40),
    jns_kel             varchar(9) not null check (jns_kel in ('laki-laki','perempuan')),
    tanggal_lahir       date not null,
    status_kepegawaian  varchar(4) not null check (status_kepegawaian in ('PNS','PPPK')),
    golongan            varchar(6),
    id_skpd             integer not null references skpd(id),
    id_jabatan          integer not null references jabatan(id),
    aktif               boolean not null default true,
    updated_at          timestamptz not null default now()
);

create table kinerja (
    id                  bigserial primary key,
    nip                 char(18) not null references pegawai(nip),
    tgl_mulai           timestamptz not null,
    tgl_selesai         timestamptz not null check (tgl_selesai > tgl_mulai),
    jenis_kinerja       varchar(16) not null
                        check (jenis_kinerja in ('kinerja','perjalanan_dinas','cuti','izin','sakit')),
    rincian_kinerja     text not null,
    output              varchar(100),
    volume              integer,
    durasi_menit        integer not null check (durasi_menit between 1 and 720),
    approve             boolean null,
    keterangan_approve  text,
    approved_by         char(18) null references pegawai(nip),
    approved_at         timestamptz,
    ref_eksternal       varchar(64) unique,
    created_at          timestamptz not null default now()
);
create index kinerja_nip_tgl_mulai_idx on kinerja (nip, tgl_mulai);

create table skp_bulanan (
    nip             char(18) references pegawai(nip),
    periode         char(7),
    nilai_skp       numeric(5,2) not null check (nilai_skp between 0 and 100),
    menit_kinerja   integer not null,
    menit_efektif   integer not null,
    dihitung_pada   timestamptz not null,
    primary key (nip, periode)
);

create table tpp_basis (
    kelas_jabatan   smallint,
    tgl_berlaku     date,
    nilai           numeric(14,2) not null,
    primary key (kelas_jabatan, tgl_berlaku)
);

create table tpp_persentase (
    tgl_berlaku     date,
    batas_bawah     numeric(5,2),
    persen          smallint not null,
    primary key (tgl_berlaku, batas_bawah)
);
