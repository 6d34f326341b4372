-- What PostGraphile needs to answer the peer bench's queries over sppspm, run on the bench
-- copy only (peer_sppspm_postgraphile), never on the database the gateway reads.
-- The relations of riwayat_status are declared in postgraphile.tags.json5.

-- Computed columns: values the gateway derives, as SQL functions PostGraphile exposes.

-- Spp.departemen: the OPD-level department of the request's (possibly sub-unit) code.
create function spp_departemen(s spp) returns skpd
language sql stable as $$
    select k.* from skpd k
    where k.tahun = s.tahun and k.kode_skpd = left(s.kode_skpd, 18) || '0000'
$$;

-- Anggaran.sisa: the line's ceiling minus what is committed on it (requests that are not
-- rejected and whose SPM, if any, is not rejected), as the gateway's `remaining`.
create function anggaran_sisa(a anggaran) returns numeric
language sql stable as $$
    select a.pagu - coalesce(sum(s.nilai), 0)
    from spp s left join spm m on m.id_spp = s.id
    where s.id_anggaran = a.id and s.status <> 3 and (m.status_spm is null or m.status_spm <> 3)
$$;

-- Query.departemenTahun: the OPD-level departments of a fiscal year, by code.
create function departemen_tahun(tahun_anggaran smallint) returns setof skpd
language sql stable as $$
    select * from skpd
    where tahun = tahun_anggaran and right(kode_skpd, 4) = '0000'
    order by kode_skpd
$$;

-- Skpd.permintaan: the department's requests, its sub-unit codes' included, newest first
-- (then by id, as the gateway's default order).
create function skpd_permintaan(k skpd) returns setof spp
language sql stable as $$
    select s.* from spp s
    where s.tahun = k.tahun and left(s.kode_skpd, 18) = left(k.kode_skpd, 18)
    order by s.tgl_spp desc, s.id desc
$$;

-- Indexes. The amber preset offers conditions, orderings and backward relations only on
-- indexed columns, and its correlated subqueries would scan without them.
create index spp_id_anggaran_idx on spp (id_anggaran);
create index spp_tahun_kode_skpd_idx on spp (tahun, kode_skpd);
create index spp_tgl_spp_idx on spp (tgl_spp);
create index spp_department_idx on spp (tahun, left(kode_skpd, 18), tgl_spp desc, id desc);
create index anggaran_tahun_kode_skpd_idx on anggaran (tahun, kode_skpd);
create index riwayat_status_dokumen_idx on riwayat_status (dokumen, id_dokumen);
