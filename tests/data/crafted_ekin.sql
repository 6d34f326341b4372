-- A tiny e-kin with one case per rule edge; see tests/test_crafted.py for what each row tests.
insert into skpd (id, nama_skpd, singkatan, induk_id, aktif) values
  (1, 'Dinas Kesehatan', 'DINKES', null, true),
  (2, 'UPTD Puskesmas Pandanaran', null, 1, true),
  (3, 'UPTD Laboratorium Kesehatan', 'LABKES', 1, true);

insert into jabatan (id, nama_jabatan, jenis, kelas_jabatan, id_skpd, id_atasan) values
  (1, 'Kepala Dinas Kesehatan', 'STRUKTURAL', 15, 1, null),
  (2, 'Kepala Puskesmas Pandanaran', 'STRUKTURAL', 11, 2, 1),
  (3, 'Dokter Ahli Muda', 'FUNGSIONAL', 9, 2, 2),
  (4, 'Pengadministrasi Umum', 'PELAKSANA', 5, 2, 2),
  (5, 'Sekretaris Dinas Kesehatan', 'STRUKTURAL', 13, 1, 1),
  (6, 'Pengelola Keuangan', 'PELAKSANA', 6, 1, 5);

insert into pegawai (nip, nama, gelar_depan, gelar_belakang, jns_kel, tanggal_lahir,
                     status_kepegawaian, golongan, id_skpd, id_jabatan, aktif) values
  ('197001011995031001', 'Hendrar Wibowo', 'dr.', 'M.Kes.', 'laki-laki', '1970-01-01', 'PNS', 'IV/c', 1, 1, true),
  ('198001012005012002', 'Sri Lestari', 'drg.', null, 'perempuan', '1980-01-01', 'PNS', 'III/d', 2, 2, true),
  ('198609262015051001', 'Budi Santoso', 'Dr.', 'S.Kom., M.T.', 'laki-laki', '1986-09-26', 'PNS', 'III/b', 2, 3, true),
  ('199001012020121001', 'Agus Salim', null, null, 'laki-laki', '1990-01-01', 'PNS', 'II/c', 2, 4, true),
  ('198501012010011001', 'Joko Purnomo', null, 'A.Md.', 'laki-laki', '1985-01-01', 'PNS', 'II/d', 2, 4, false),
  ('199202022019032001', 'Dewi Anggraini', null, 'S.E.', 'perempuan', '1992-02-02', 'PNS', 'III/a', 1, 6, true),
  ('199303032020011001', 'Rina Kusuma', null, null, 'perempuan', '1993-03-03', 'PNS', 'II/a', 2, 4, true),
  ('199505052022212001', 'Wahyu Hidayat', null, 'S.Kom.', 'laki-laki', '1995-05-05', 'PPPK', 'IX', 3, 4, true);

insert into tpp_basis (kelas_jabatan, tgl_berlaku, nilai) values
  (5, '2022-01-01', 2500000), (6, '2022-01-01', 2700000), (9, '2022-01-01', 3333333),
  (11, '2022-01-01', 8000000), (15, '2022-01-01', 20000000), (15, '2026-07-01', 22000000);

insert into tpp_persentase (tgl_berlaku, batas_bawah, persen) values
  ('2022-01-01', 90, 100), ('2022-01-01', 80, 85), ('2022-01-01', 70, 70),
  ('2022-01-01', 60, 55), ('2022-01-01', 50, 40), ('2022-01-01', 40, 25), ('2022-01-01', 0, 0);

insert into skp_bulanan (nip, periode, nilai_skp, menit_kinerja, menit_efektif, dihitung_pada) values
  ('197001011995031001', '2026-06', 90.00, 6000, 6300, '2026-07-01 01:00+07'),
  ('197001011995031001', '2026-10', 90.00, 6000, 6600, '2026-11-01 01:00+07'),
  ('198001012005012002', '2026-10', 89.99, 5900, 6600, '2026-11-01 01:00+07'),
  ('198609262015051001', '2026-10', 65.00, 4000, 6600, '2026-11-01 01:00+07'),
  ('198501012010011001', '2026-10', 80.00, 5000, 6600, '2026-11-01 01:00+07'),
  ('199202022019032001', '2026-10', 39.99, 2000, 6600, '2026-11-01 01:00+07'),
  ('199303032020011001', '2026-10', 75.00, 4800, 6600, '2026-11-01 01:00+07');

insert into kinerja (id, nip, tgl_mulai, tgl_selesai, jenis_kinerja, rincian_kinerja, output, volume,
                     durasi_menit, approve, keterangan_approve, approved_by, approved_at) values
  (1, '198609262015051001', '2026-10-05 08:00+07', '2026-10-05 10:00+07', 'kinerja',
   'Pelayanan poli umum', 'pasien', 12, 120, true, null, '198001012005012002', '2026-10-06 09:00+07'),
  (2, '198609262015051001', '2026-10-05 10:30+07', '2026-10-05 12:00+07', 'kinerja',
   'Rapat koordinasi', 'notulen', 1, 90, false, 'Tidak relevan', '198001012005012002', '2026-10-06 09:05+07'),
  (3, '198609262015051001', '2026-10-31 08:00+07', '2026-10-31 09:00+07', 'kinerja',
   'Laporan bulanan', 'laporan', 1, 60, null, null, null, null),
  (4, '198609262015051001', '2026-11-01 06:30+07', '2026-11-01 07:00+07', 'kinerja',
   'Di luar periode', null, null, 30, null, null, null, null);
select setval('skpd_id_seq', 3), setval('jabatan_id_seq', 6), setval('kinerja_id_seq', 4);
