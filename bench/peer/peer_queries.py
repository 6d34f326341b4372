"""The four queries of issue 13, as each side asks them, and their answers reduced to
plain rows so that the two sides can be compared.

The gateway speaks the contract (`status: DISBURSED`, times with `+07:00`, 18-digit NIPs);
PostGraphile returns sppspm's own columns (`status` 0-3, an SPM's `status_spm`, WIB clock
times without a zone, NIPs as sppspm spells them). Reducing an answer turns both into the
same rows: the contract's words for the legacy codes (as shared/legacy-systems.md defines
them), instants compared as WIB clock times, money as `Decimal`. NIPs are kept twice: as
each side gives them, so that sppspm's spellings show up as differences, and with only
their digits, so that what differs besides the spelling shows up too (the gateway names
a person through e-kin, and has no one for an NIP that e-kin does not know).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.domain import WIB
from tests.test_statement_counts import DEPARTMENT_DASHBOARD

Row = dict[str, Any]
Tables = dict[str, dict[tuple[Any, ...], Row]]
"""An answer reduced: table name -> row key -> column -> value."""

FISCAL_YEAR = 2026
DEPARTMENT_CODE = "1.02.0.00.0.00.01.0000"  # the health office, in both fiscal years

# What a ledger shows of one payment request, in the gateway's words.
GATEWAY_LEDGER_NODE = """
  number amount status requestedAt
  budgetLine { accountCode description ceiling remaining }
  history { document from to at by { nip } }
"""

# The same for PostGraphile: the remaining money is a computed column (bench_copy.sql), the
# history comes from three virtual relations (postgraphile.tags.json5).
POSTGRAPHILE_LEDGER_FRAGMENTS = """
fragment Ledger on Spp {
  nomorSpp nilai status tglSpp
  anggaranByIdAnggaran { kodeRekening uraian pagu sisa }
  riwayatSpp(condition: {dokumen: "SPP"}) { nodes { ...Change } }
  spmByIdSpp {
    statusSpm
    riwayatSpm(condition: {dokumen: "SPM"}) { nodes { ...Change } }
    sp2DByIdSpm { riwayatSp2D(condition: {dokumen: "SP2D"}) { nodes { ...Change } } }
  }
}
fragment Change on RiwayatStatus { dokumen statusLama statusBaru waktu nip }
"""

# Q1 ledger: the 200 newest payment requests of the year, each with its department, budget
# line and full history (SPP, SPM and SP2D status changes). PostGraphile's department of a
# request is a computed column: a request's code may be a sub-unit's.
Q1_GATEWAY = f"""{{
  paymentRequests(first: 200, filter: {{fiscalYear: {FISCAL_YEAR}}}) {{
    edges {{ node {{ department {{ code name }} {GATEWAY_LEDGER_NODE} }} }}
  }}
}}"""
Q1_POSTGRAPHILE = f"""{{
  allSpps(
    first: 200, condition: {{tahun: {FISCAL_YEAR}}}, orderBy: [TGL_SPP_DESC, PRIMARY_KEY_DESC]
  ) {{
    nodes {{ departemen {{ kodeSkpd namaSkpd }} ...Ledger }}
  }}
}}
{POSTGRAPHILE_LEDGER_FRAGMENTS}"""

# Q2 tiny: one department by code; what every request pays for HTTP, auth and execution.
Q2_GATEWAY = f"""{{
  department(code: "{DEPARTMENT_CODE}", fiscalYear: {FISCAL_YEAR}) {{ code name fiscalYear }}
}}"""
Q2_POSTGRAPHILE = f"""{{
  skpdByTahunAndKodeSkpd(tahun: {FISCAL_YEAR}, kodeSkpd: "{DEPARTMENT_CODE}") {{
    kodeSkpd namaSkpd tahun
  }}
}}"""

# Q3 large: every department of the year with its 40 newest requests, each with its budget
# line and history (about 2,000 requests: what field-by-field execution costs).
Q3_GATEWAY = f"""{{
  departments(fiscalYear: {FISCAL_YEAR}) {{
    code name
    paymentRequests(first: 40) {{ edges {{ node {{ {GATEWAY_LEDGER_NODE} }} }} }}
  }}
}}"""
Q3_POSTGRAPHILE = f"""{{
  departemenTahun(tahunAnggaran: {FISCAL_YEAR}) {{
    nodes {{ kodeSkpd namaSkpd permintaan(first: 40) {{ nodes {{ ...Ledger }} }} }}
  }}
}}
{POSTGRAPHILE_LEDGER_FRAGMENTS}"""

# Q4 department dashboard, every department with 50 staff and 20 requests, across e-kin and
# sppspm: the query whose statements tests/test_statement_counts.py pins. PostGraphile serves
# one database, so it has no counterpart; the gateway is compared with its own statements
# run by hand (the SQL floor, peer_floor.py).
Q4_GATEWAY = DEPARTMENT_DASHBOARD


# -- reducing answers to rows ----------------------------------------------------------------

# The contract's words for sppspm's codes (shared/legacy-systems.md, "Lifecycle").
SPP_STATUS = ("DRAFT", "SUBMITTED", "VERIFIED", "REJECTED")
# An SPM's own code as the request's status: any SPM that exists counts as issued.
SPM_STATUS_AS_REQUEST = ("ORDER_ISSUED", "ORDER_ISSUED", "DISBURSED", "ORDER_REJECTED")


def wib_clock(text: str) -> datetime:
    """An instant as a WIB clock time without a zone, as sppspm stores it."""
    moment = datetime.fromisoformat(text)
    return moment.astimezone(WIB).replace(tzinfo=None) if moment.tzinfo else moment


def money(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def request_status(spp_status: int, order: dict[str, Any] | None) -> str:
    if order is None:
        return SPP_STATUS[spp_status]
    if order["sp2DByIdSpm"] is not None:
        return "DISBURSED"
    return "ORDER_REJECTED" if order["statusSpm"] == 3 else "ORDER_ISSUED"


def document_status(document: str, code: int | None) -> str | None:
    if code is None:
        return None
    if document == "SPP":
        return SPP_STATUS[code]
    return SPM_STATUS_AS_REQUEST[code] if document == "SPM" else "DISBURSED"


def _pair(node: dict[str, Any] | None, first: str, second: str) -> tuple[Any, Any] | None:
    """Two fields of a node asked for, as one column; None when not asked for or null."""
    return (node[first], node[second]) if node else None


def gateway_ledger(tables: Tables, nodes: list[dict[str, Any]], department: str = "") -> None:
    """Requests and history rows of the gateway's ledger nodes, in list order."""
    for position, node in enumerate(nodes):
        line = node["budgetLine"] or {}
        tables["requests"][(node["number"],)] = {
            "list": department,
            "position": position,
            "amount": money(node["amount"]),
            "status": node["status"],
            "requested at": wib_clock(node["requestedAt"]),
            "department": _pair(node.get("department"), "code", "name"),
            "budget line": (line.get("accountCode"), line.get("description")),
            "ceiling": money(line.get("ceiling")),
            "remaining": money(line.get("remaining")),
        }
        for change in node["history"]:
            at = wib_clock(change["at"])
            key = (node["number"], change["document"], at, change["from"], change["to"])
            nip = (change["by"] or {}).get("nip")
            tables["history"][key] = {"by": nip, "by, digits only": nip}


def postgraphile_ledger(tables: Tables, nodes: list[dict[str, Any]], department: str = "") -> None:
    """The same rows from PostGraphile's ledger nodes."""
    for position, node in enumerate(nodes):
        line = node["anggaranByIdAnggaran"] or {}
        order = node["spmByIdSpp"]
        tables["requests"][(node["nomorSpp"],)] = {
            "list": department,
            "position": position,
            "amount": money(node["nilai"]),
            "status": request_status(node["status"], order),
            "requested at": wib_clock(node["tglSpp"]),
            "department": _pair(node.get("departemen"), "kodeSkpd", "namaSkpd"),
            "budget line": (line.get("kodeRekening"), line.get("uraian")),
            "ceiling": money(line.get("pagu")),
            "remaining": money(line.get("sisa")),
        }
        changes = node["riwayatSpp"]["nodes"]
        if order is not None:
            changes = changes + order["riwayatSpm"]["nodes"]
            if order["sp2DByIdSpm"] is not None:
                changes = changes + order["sp2DByIdSpm"]["riwayatSp2D"]["nodes"]
        for change in changes:
            document = change["dokumen"]
            key = (
                node["nomorSpp"],
                document,
                wib_clock(change["waktu"]),
                document_status(document, change["statusLama"]),
                document_status(document, change["statusBaru"]),
            )
            nip = change["nip"]
            tables["history"][key] = {"by": nip, "by, digits only": re.sub(r"\D", "", nip)}


def new_tables() -> Tables:
    return {"requests": {}, "history": {}}


def q1_gateway_rows(data: dict[str, Any]) -> Tables:
    tables = new_tables()
    gateway_ledger(tables, [e["node"] for e in data["paymentRequests"]["edges"]])
    return tables


def q1_postgraphile_rows(data: dict[str, Any]) -> Tables:
    tables = new_tables()
    postgraphile_ledger(tables, data["allSpps"]["nodes"])
    return tables


def q2_gateway_rows(data: dict[str, Any]) -> Tables:
    d = data["department"]
    return {"department": {(d["code"],): {"name": d["name"], "year": d["fiscalYear"]}}}


def q2_postgraphile_rows(data: dict[str, Any]) -> Tables:
    k = data["skpdByTahunAndKodeSkpd"]
    return {"department": {(k["kodeSkpd"],): {"name": k["namaSkpd"], "year": k["tahun"]}}}


def q3_gateway_rows(data: dict[str, Any]) -> Tables:
    tables = new_tables()
    tables["departments"] = {}
    for position, department in enumerate(data["departments"]):
        tables["departments"][(department["code"],)] = {
            "position": position,
            "name": department["name"],
        }
        nodes = [e["node"] for e in department["paymentRequests"]["edges"]]
        gateway_ledger(tables, nodes, department["code"])
    return tables


def q3_postgraphile_rows(data: dict[str, Any]) -> Tables:
    tables = new_tables()
    tables["departments"] = {}
    for position, department in enumerate(data["departemenTahun"]["nodes"]):
        tables["departments"][(department["kodeSkpd"],)] = {
            "position": position,
            "name": department["namaSkpd"],
        }
        nodes = department["permintaan"]["nodes"]
        postgraphile_ledger(tables, nodes, department["kodeSkpd"])
    return tables


Reduce = Callable[[dict[str, Any]], Tables]


@dataclass(frozen=True)
class PeerQuery:
    """One query of the bench: the gateway's document and, when PostGraphile can answer
    it, PostGraphile's, with how each answer reduces to rows."""

    name: str
    title: str
    gateway: str
    postgraphile: str | None = None
    gateway_rows: Reduce | None = None
    postgraphile_rows: Reduce | None = None


QUERIES = {
    q.name: q
    for q in (
        PeerQuery(
            "Q1", "ledger", Q1_GATEWAY, Q1_POSTGRAPHILE, q1_gateway_rows, q1_postgraphile_rows
        ),
        PeerQuery("Q2", "tiny", Q2_GATEWAY, Q2_POSTGRAPHILE, q2_gateway_rows, q2_postgraphile_rows),
        PeerQuery(
            "Q3", "large", Q3_GATEWAY, Q3_POSTGRAPHILE, q3_gateway_rows, q3_postgraphile_rows
        ),
        PeerQuery("Q4", "dashboard", Q4_GATEWAY),
    )
}


# -- comparing -------------------------------------------------------------------------------


def differences(gateway: Tables, postgraphile: Tables) -> list[str]:
    """What differs between two reduced answers, one line per table and column: rows only
    one side has, and per column how many rows disagree, with the first example."""
    lines = []
    for table in sorted(gateway.keys() | postgraphile.keys()):
        ours, theirs = gateway.get(table, {}), postgraphile.get(table, {})
        only_ours, only_theirs = ours.keys() - theirs.keys(), theirs.keys() - ours.keys()
        if only_ours or only_theirs:
            lines.append(
                f"{table}: {len(only_ours)} rows only the gateway has"
                f" (e.g. {next(iter(only_ours), None)}), {len(only_theirs)} only PostGraphile"
                f" (e.g. {next(iter(only_theirs), None)})"
            )
        shared = sorted(ours.keys() & theirs.keys(), key=repr)
        columns = sorted({c for key in shared for c in ours[key]})
        for column in columns:
            differing = [k for k in shared if ours[k].get(column) != theirs[k].get(column)]
            if differing:
                k = differing[0]
                lines.append(
                    f"{table}.{column}: {len(differing)} of {len(shared)} rows differ, e.g."
                    f" {k}: gateway {ours[k].get(column)!r},"
                    f" PostGraphile {theirs[k].get(column)!r}"
                )
    return lines


def row_count(tables: Tables) -> str:
    return ", ".join(f"{len(rows)} {name}" for name, rows in sorted(tables.items()))
