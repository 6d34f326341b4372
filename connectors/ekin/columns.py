"""e-kin's columns that inputs are written to or compared with (legacy-systems.md)."""

from __future__ import annotations

from connectors.columns import INT4, Text, Whole

NAME = Text("pegawai.nama", 150)
RANK = Text("pegawai.golongan", 6)
UNIT_ID = Whole("skpd.id", *INT4)
ACTIVITY_DESCRIPTION = Text("kinerja.rincian_kinerja")
ACTIVITY_OUTPUT = Text("kinerja.output", 100)
ACTIVITY_VOLUME = Whole("kinerja.volume", 0, INT4[1])
ACTIVITY_MINUTES = Whole("kinerja.durasi_menit", 1, 720)  # its check constraint
REVIEW_NOTE = Text("kinerja.keterangan_approve")
IDEMPOTENCY_KEY = Text("kinerja.ref_eksternal", 64)
