"""TPP (tambahan penghasilan pegawai) tables of the demo data and the allowance rule.

The rule is the one in legacy-systems.md ("Allowance rule"): basis of the employee's
kelas jabatan valid on the period's first day, times the percent of the band their SKP
score falls in, rounded half-up to whole rupiah.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from connectors.lookalike.calendar import month_of

_RAISE = date(2026, 7, 1)

# Basis per kelas jabatan 1..17: the 2022 values and the raise from 1 July 2026.
TPP_BASIS: dict[date, dict[int, int]] = {
    date(2022, 1, 1): dict(
        enumerate(
            (
                2_000_000, 2_150_000, 2_300_000, 2_400_000, 2_500_000, 2_900_000,
                3_400_000, 4_000_000, 4_800_000, 5_800_000, 7_000_000, 9_000_000,
                11_500_000, 15_000_000, 18_500_000, 21_000_000, 23_500_000,
            ),
            start=1,
        )
    ),
    _RAISE: dict(
        enumerate(
            (
                2_150_000, 2_300_000, 2_450_000, 2_550_000, 2_650_000, 3_100_000,
                3_600_000, 4_250_000, 5_100_000, 6_150_000, 7_400_000, 9_550_000,
                12_200_000, 15_900_000, 19_600_000, 22_250_000, 25_000_000,
            ),
            start=1,
        )
    ),
}  # fmt: skip

# Perwal Semarang 76/2021 art. 6: (lowest score of the band, percent of the basis paid).
TPP_BANDS: dict[date, tuple[tuple[int, int], ...]] = {
    date(2022, 1, 1): ((90, 100), (80, 85), (70, 70), (60, 55), (50, 40), (40, 25), (0, 0)),
}

SCORE_EDGES: tuple[Decimal, ...] = tuple(
    Decimal(v)
    for v in (
        "90.00",
        "89.99",
        "80.00",
        "79.99",
        "70.00",
        "60.00",
        "59.99",
        "50.00",
        "40.00",
        "39.99",
    )
)
"""SKP scores the demo data puts exactly on (or one cent under) a band edge each month."""


def expected_allowance(kelas: int, score: Decimal | None, period: str) -> Decimal:
    """The allowance due for one employee and period 'YYYY-MM'; no SKP score gives 0."""
    if score is None:
        return Decimal(0)
    year, month = month_of(period)
    first_day = date(year, month, 1)
    basis = Decimal(TPP_BASIS[max(d for d in TPP_BASIS if d <= first_day)][kelas])
    bands = TPP_BANDS[max(d for d in TPP_BANDS if d <= first_day)]
    percent = max((lower, pct) for lower, pct in bands if lower <= score)[1]
    return (basis * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
