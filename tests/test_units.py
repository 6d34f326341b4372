"""Pure rules that need no database: NIP spellings, crosswalk files, settings, cursors."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import nip
from connectors.domain import WIB, Document, OrderStatus, PaymentStatus, PaymentType
from connectors.ekin.connector import expected_allowance, full_name
from connectors.nip import InvalidNip, normalise_nip, pns_digits_are_valid, spellings
from connectors.sppspm.connector import from_wib, made
from connectors.sppspm.records import Disbursement as DisbursementRecord
from connectors.sppspm.records import PaymentOrder as PaymentOrderRecord
from connectors.sppspm.records import PaymentRequest as PaymentRequestRecord
from connectors.sppspm.records import StatusChange as StatusChangeRecord
from gateway import cursors
from gateway.crosswalk import Crosswalk, CrosswalkEntry, CrosswalkError
from gateway.errors import BadUserInput
from gateway.joins import Reconciliation
from gateway.schema import people
from gateway.schema.finance import StatusChange
from gateway.schema.scalars import serialize_datetime
from gateway.settings import Settings, SettingsError


@pytest.mark.parametrize(
    "spelling", ["198609262015051001", "19860926 201505 1 001", "19860926.201505.1.001"]
)
def test_every_nip_spelling_normalises_to_18_digits(spelling: str) -> None:
    assert normalise_nip(spelling) == "198609262015051001"


@pytest.mark.parametrize(
    "bad", ["", "12345", "1986092620150510011", "19860926-201505-1-001", "1986 0926201505 1001"]
)
def test_malformed_nip_is_refused(bad: str) -> None:
    for _ in range(2):  # a refusal is not kept as an answer
        with pytest.raises(InvalidNip):
            normalise_nip(bad)


def test_nip_spellings_are_normalised_alike_when_asked_again() -> None:
    padded = " " * 40 + "19860926.201505.1.001"
    for spelling in ("19860926 201505 1 001", "19860926 201505.1 001", padded):
        assert normalise_nip(spelling) == normalise_nip(spelling) == "198609262015051001"
    assert padded not in nip._KNOWN, "long strings are not kept"
    assert "19860926 201505 1 001" in nip._KNOWN


def test_spellings_round_trip() -> None:
    for spelling in spellings("198609262015051001"):
        assert normalise_nip(spelling) == "198609262015051001"


def test_pns_digits_hold_birth_date_appointment_and_sex() -> None:
    assert pns_digits_are_valid("198609262015051001")
    assert not pns_digits_are_valid("198613262015051001")  # month 13
    assert not pns_digits_are_valid("198609262015053001")  # sex digit 3


def test_full_name_carries_titles() -> None:
    assert full_name("Dr.", "Budi Santoso", "S.Kom., M.T.") == "Dr. Budi Santoso, S.Kom., M.T."
    assert full_name(None, "Sri Wahyuni", None) == "Sri Wahyuni"
    assert full_name(" ", "Sri Wahyuni", "") == "Sri Wahyuni"


def _expected(score: str | None, basis: str = "3333333", persen: int | None = 55, active=True):
    row = {
        "nip": "198609262015051001",
        "aktif": active,
        "nilai_skp": Decimal(score) if score is not None else None,
        "basis": Decimal(basis),
        "persen": persen,
        "id_skpd": 2,
        "status_kepegawaian": "PNS",
        "jenis": "FUNGSIONAL",
    }
    return expected_allowance(row, "2026-10")


def test_allowance_rounds_half_up_to_whole_rupiah() -> None:
    # 3,333,333 x 55% = 1,833,333.15 -> 1,833,333 ; 3,333,330 x 55% = 1,833,331.50 -> 1,833,332
    assert _expected("65").expected == Decimal("1833333")
    assert _expected("65", basis="3333330").expected == Decimal("1833332")


def test_allowance_is_zero_when_inactive_or_unscored() -> None:
    assert _expected("95", persen=100, active=False).expected == 0
    unscored = _expected(None, persen=None)
    assert unscored.expected == 0 and unscored.percent == 0


def _reconciled(expected: str, paid: str) -> str:
    return Reconciliation(
        "1" * 18, "2026-10", Decimal(0), 0, Decimal(expected), Decimal(paid), Decimal(0)
    ).status


def test_reconciliation_statuses() -> None:
    assert _reconciled("0", "0") == "NOT_DUE"
    assert _reconciled("100", "100") == "MATCHED"
    assert _reconciled("100", "0") == "UNPAID"
    assert _reconciled("100", "40") == "UNDERPAID"
    assert _reconciled("100", "140") == "OVERPAID"
    assert _reconciled("0", "10") == "OVERPAID"


def test_crosswalk_reads_comments_and_header() -> None:
    text = "# demo\nfiscal_year,ekin_unit_id,finance_code\n2026,3,1.02.0.00.0.00.01.0001\n"
    crosswalk = Crosswalk.parse(text)
    assert crosswalk.department_of(2026, 3) == "1.02.0.00.0.00.01.0000"
    assert crosswalk.units_of(2026, "1.02.0.00.0.00.01.0000") == [3]
    assert crosswalk.department_of(2025, 3) is None


@given(
    st.dictionaries(
        st.tuples(st.sampled_from([2025, 2026]), st.integers(1, 40)),
        st.tuples(st.integers(1, 3), st.integers(0, 2)),
    )
)
def test_crosswalk_units_of_a_department_are_those_of_its_entries(
    mapped: dict[tuple[int, int], tuple[int, int]],
) -> None:
    """`units_of`, indexed once, answers what a scan of the entries would, in order."""
    crosswalk = Crosswalk(
        CrosswalkEntry(year, unit, f"1.0{department}.0.00.0.00.01.000{sub}")
        for (year, unit), (department, sub) in mapped.items()
    )
    for year in (2025, 2026, 2027):
        for department in (1, 2, 3, 4):
            code = f"1.0{department}.0.00.0.00.01.0000"
            scanned = sorted(
                e.ekin_unit_id
                for e in crosswalk.entries
                if e.fiscal_year == year and e.department_code == code
            )
            units = crosswalk.units_of(year, code)
            assert units == scanned
            units.append(0)  # the caller's own list: the next caller's is unchanged
            assert crosswalk.units_of(year, code) == scanned


def test_crosswalk_refuses_a_unit_mapped_twice() -> None:
    text = (
        "fiscal_year,ekin_unit_id,finance_code\n"
        "2026,3,1.02.0.00.0.00.01.0000\n2026,3,1.03.0.00.0.00.01.0000\n"
    )
    with pytest.raises(CrosswalkError, match="mapped twice"):
        Crosswalk.parse(text, source="cw.csv")


@pytest.mark.parametrize(
    "row, message",
    [("2026,x,1.02.0.00.0.00.01.0000", "not a number"), ("2026,3,1.02", "not of the form")],
)
def test_crosswalk_refuses_malformed_rows(row: str, message: str) -> None:
    with pytest.raises(CrosswalkError, match=message):
        Crosswalk.parse(f"fiscal_year,ekin_unit_id,finance_code\n{row}\n")


def test_crosswalk_round_trips_through_csv(tmp_path: Path) -> None:
    original = Crosswalk.parse(
        "fiscal_year,ekin_unit_id,finance_code\n2025,1,1.02.0.00.0.00.01.0000\n"
    )
    original.write(tmp_path / "cw.csv")
    assert Crosswalk.load(tmp_path / "cw.csv").entries == original.entries


def test_missing_setting_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="SMARTGATE_EKIN_DSN is not set"):
        Settings.from_env({})


def test_invalid_port_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "cw.csv").write_text("fiscal_year,ekin_unit_id,finance_code\n")
    env = {
        "SMARTGATE_EKIN_DSN": "postgresql:///ekin",
        "SMARTGATE_SPPSPM_DSN": "postgresql:///sppspm",
        "SMARTGATE_CROSSWALK": str(tmp_path / "cw.csv"),
        "SMARTGATE_PORT": "eighty",
    }
    with pytest.raises(SettingsError, match="SMARTGATE_PORT"):
        Settings.from_env(env)
    with pytest.raises(SettingsError, match="SMARTGATE_CROSSWALK"):
        Settings.from_env({**env, "SMARTGATE_CROSSWALK": str(tmp_path / "missing.csv")})


def test_cursor_of_one_list_is_refused_by_another() -> None:
    cursor = cursors.encode("employee", "198609262015051001")
    assert cursors.decode("employee", cursor) == "198609262015051001"
    with pytest.raises(BadUserInput):
        cursors.decode("allowance", cursor)
    with pytest.raises(BadUserInput):
        cursors.decode("employee", "not-a-cursor!")


def test_first_is_capped_at_500() -> None:
    assert cursors.page_size(None) == 50
    assert cursors.page_size(500) == 500
    with pytest.raises(BadUserInput, match="at most 500"):
        cursors.page_size(501)


MOMENTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
OFFSETS = st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))


@settings(max_examples=300)
@given(MOMENTS, st.none() | OFFSETS)
def test_a_moment_is_written_as_isoformat_writes_it_in_wib(
    moment: datetime, offset: timedelta | None
) -> None:
    """`serialize_datetime` writes with orjson what `isoformat` writes: microseconds only
    when there are any, the WIB offset; a naive moment is UTC."""
    value = moment if offset is None else moment.replace(tzinfo=timezone(offset))
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    expected = aware.astimezone(WIB).isoformat()
    assert serialize_datetime(value) == expected


@settings(max_examples=300)
@given(MOMENTS)
def test_a_wib_clock_time_gets_its_zone_as_replace_gives_it(moment: datetime) -> None:
    made = from_wib(moment)
    assert made == moment.replace(tzinfo=WIB)
    assert made.tzinfo is WIB and made.isoformat() == moment.replace(tzinfo=WIB).isoformat()


def test_a_status_change_is_made_from_its_record_as_its_constructor_makes_it() -> None:
    """`StatusChange.from_record` sets the dataclass's fields without calling it: every
    field, and nothing the constructor would do besides (no `__post_init__`)."""
    record = StatusChangeRecord(
        Document.SPM,
        PaymentStatus.VERIFIED,
        PaymentStatus.ORDER_ISSUED,
        datetime(2026, 10, 1, 8, tzinfo=WIB),
        "198609262015051001",
        "noted",
    )
    found = people.Found({})
    made = StatusChange.from_record(record, found)
    constructed = StatusChange(
        document=Document.SPM,
        from_=PaymentStatus.VERIFIED,
        to=PaymentStatus.ORDER_ISSUED,
        at=record.at,
        note="noted",
        by_nip="198609262015051001",
        by_found=found,
    )
    assert vars(made) == vars(constructed)
    assert set(vars(made)) == {f.name for f in dataclasses.fields(StatusChange) if f.init}
    assert not hasattr(StatusChange, "__post_init__")


def test_a_record_made_from_its_fields_is_the_one_its_constructor_makes() -> None:
    """`made` fills a frozen record's fields without calling its `__init__`: the same
    object, every field set, still frozen."""
    at = datetime(2026, 10, 1, 8, tzinfo=WIB)
    examples: list[Any] = [
        PaymentOrderRecord("000001/SPM", at, OrderStatus.SENT, "no", "198609262015051001"),
        DisbursementRecord("000001/SP2D", at, Decimal("90.00"), None),
        PaymentRequestRecord(
            7,
            "000001/SPP-LS",
            2026,
            "1.02.0.00.0.00.01.0000",
            PaymentType.LS,
            None,
            None,
            Decimal("100.00"),
            "TPP",
            None,
            at,
            PaymentStatus.DRAFT,
            None,
            None,
            None,
        ),
    ]
    for record in examples:
        cls = type(record)
        fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
        copy = made(cls, fields)
        assert type(copy) is cls and copy == record and vars(copy) == vars(record)
        assert not hasattr(cls, "__post_init__")
        with pytest.raises(dataclasses.FrozenInstanceError):
            copy.number = "changed"
