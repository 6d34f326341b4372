"""Document numbers as sppspm writes them.

An SPP is numbered per finance code and fiscal year, an SPM likewise, an SP2D per fiscal
year city-wide; each sequence runs from 1 without gaps. The sequence number is the first
group of an SPP number and the third group of the others.
"""

from __future__ import annotations

from datetime import datetime

CITY_CODE = "33.74"  # Kota Semarang in the national region code


def request_number(sequence: int, kind: str, code: str, fiscal_year: int) -> str:
    """'000123/SPP-LS/1.03.0.00.0.00.01.0000/2026'"""
    return f"{sequence:06d}/SPP-{kind}/{code}/{fiscal_year}"


def order_number(sequence: int, kind: str, code: str, issued: datetime, fiscal_year: int) -> str:
    """'33.74/03.0/000097/LS/1.03.0.00.0.00.01.0000/P2/7/2026'"""
    return f"{CITY_CODE}/03.0/{sequence:06d}/{kind}/{code}/P2/{issued.month}/{fiscal_year}"


def disbursement_number(
    sequence: int, kind: str, code: str, issued: datetime, fiscal_year: int
) -> str:
    """'33.74/04.0/000051/LS/1.03.0.00.0.00.01.0000/M/7/2026'"""
    return f"{CITY_CODE}/04.0/{sequence:06d}/{kind}/{code}/M/{issued.month}/{fiscal_year}"
