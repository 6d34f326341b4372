"""NIP (civil-servant number) spellings: e-kin writes 18 digits, sppspm adds spaces or dots."""

from __future__ import annotations

import re
from datetime import date

_SEPARATORS = re.compile(r"[\s.]")
_GROUPED = re.compile(r"[0-9]{8}[ .][0-9]{6}[ .][0-9][ .][0-9]{3}")


class InvalidNip(ValueError):
    """A string that is not an NIP in any of the accepted spellings."""


_KNOWN: dict[str, str] = {}
"""Spellings already normalised: a page of rows names the same officials again and again."""
_KNOWN_KEPT = 65536  # a city has some tens of thousands of NIPs, each in up to 3 spellings
_KNOWN_LONGEST = 32  # an NIP with a little padding; longer strings are not kept


def normalise_nip(value: str) -> str:
    """Return the 18-digit form of an NIP written as digits, spaced or dotted.

    Accepts '198609262015051001', '19860926 201505 1 001' and '19860926.201505.1.001'.
    Raises InvalidNip for anything else.
    """
    known = _KNOWN.get(value)
    if known is not None:
        return known
    digits = _normalised(value)
    if len(value) <= _KNOWN_LONGEST and len(_KNOWN) < _KNOWN_KEPT:
        _KNOWN[value] = digits
    return digits


def _normalised(value: str) -> str:
    text = value.strip()
    if len(text) == 18 and text.isascii() and text.isdigit():
        return text  # e-kin's spelling, and most of sppspm's: nothing to take out
    digits = _SEPARATORS.sub("", text)
    if len(digits) != 18 or not (digits.isascii() and digits.isdigit()):
        raise InvalidNip(f"{value!r} is not an NIP: expected 18 digits")
    if text != digits and not _is_grouped(text):
        raise InvalidNip(f"{value!r} is not an NIP: groups must be 8 6 1 3 digits")
    return digits


def _is_grouped(text: str) -> bool:
    """8, 6, 1 and 3 digits, each group after the first led by a space or a dot."""
    return _GROUPED.fullmatch(text) is not None


def try_normalise_nip(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalise_nip(value)
    except InvalidNip:
        return None


def spellings(nip: str) -> tuple[str, str, str]:
    """The three ways sppspm may store an 18-digit NIP, for index-friendly lookups."""
    return (
        nip,
        f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}",
        f"{nip[:8]}.{nip[8:14]}.{nip[14]}.{nip[15:]}",
    )


def spaced(nip: str) -> str:
    return spellings(nip)[1]


def dotted(nip: str) -> str:
    return spellings(nip)[2]


def pns_digits_are_valid(nip: str) -> bool:
    """For PNS: digits 1-8 are a birth date, 9-14 an appointment month, 15 the sex (1 or 2)."""
    try:
        date(int(nip[:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return False
    year, month = int(nip[8:12]), int(nip[12:14])
    return 1950 <= year <= 2100 and 1 <= month <= 12 and nip[14] in "12"
