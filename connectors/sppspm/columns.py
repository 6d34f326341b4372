"""sppspm's columns that inputs are written to or compared with (legacy-systems.md)."""

from __future__ import annotations

from connectors.columns import INT4, Numeric, Text, Whole

FINANCE_CODE = Text("skpd.kode_skpd", 22)
REQUEST_NUMBER = Text("spp.nomor_spp", 80)
PURPOSE = Text("spp.uraian")
REJECTION_REASON = Text("spp.ket_ditolak")
AMOUNT = Numeric("spp.nilai", 18, 2)
ALLOWANCE_AMOUNT = Numeric("tpp_rincian.nilai", 14, 2)
IDEMPOTENCY_KEY = Text("spp.ref_eksternal", 64)
ACCOUNT_CODE = Text("anggaran.kode_rekening", 20)
BUDGET_LINE_ID = Whole("anggaran.id", 1, INT4[1])  # a serial
