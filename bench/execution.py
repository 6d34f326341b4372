"""The planned engine against graphql-core's executor, on the same seeded databases.

    python bench/execution.py                    # medium scale, 20 runs per query
    python bench/execution.py --scale small --runs 50

Two gateways on the same databases, alike but for `SMARTGATE_EXECUTION`, are asked each
query in turn (the order alternating from run to run, after two warm-up runs each).
Prints, per query and engine: fields in the answer, statements, median latency, median
CPU time of the process, fields per second; then graphql-core's median over the planned
engine's. Figures depend on the machine and its load; only the ratios within a run mean
anything. It prints; it asserts nothing.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, replace
from typing import Any

from seeded_gateway import arguments, seeded_gateway

from tests.conftest import Databases, Gateway, close_gateway, open_gateway
from tests.test_statement_counts import DEPARTMENT_DASHBOARD, PAYMENT_LEDGER, STAFF_DIRECTORY

TINY = "query($code: String!) { department(code: $code) { code name fiscalYear } }"

DEPARTMENTS_WITH_REQUESTS = """{ departments { code name
  paymentRequests(first: 40) { edges { node {
    number status amount budgetLine { description remaining }
    history { document to at by { nip } }
  } } }
} }"""

QUERIES = {
    "tiny: one department": TINY,
    "ledger: 200 requests": PAYMENT_LEDGER,
    "departments x 40 requests": DEPARTMENTS_WITH_REQUESTS,
    "staff directory": STAFF_DIRECTORY,
    "department dashboard": DEPARTMENT_DASHBOARD,
}


@dataclass
class Timing:
    fields: int
    statements: int
    latency_ms: list[float]
    cpu_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latency_ms)

    def line(self, engine: str) -> str:
        per_second = self.fields / (self.median_ms / 1000)
        return (
            f"  {engine:13} fields={self.fields:6}  statements={self.statements:2}"
            f"  median={self.median_ms:8.1f} ms  cpu={statistics.median(self.cpu_ms):8.1f} ms"
            f"  {per_second:10,.0f} fields/s"
        )


def fields_in(value: Any) -> int:
    """Fields in an answer: every key of every object."""
    if isinstance(value, dict):
        return len(value) + sum(fields_in(v) for v in value.values())
    if isinstance(value, list):
        return sum(fields_in(v) for v in value)
    return 0


async def once(gateway: Gateway, query: str, variables: dict[str, Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    await gateway.data(query, variables)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


async def measure(scale: str, runs: int) -> None:
    async with seeded_gateway(scale) as planned:
        settings = planned.services.settings
        databases = Databases(settings.ekin_dsn, settings.sppspm_dsn, settings.crosswalk)
        core_access = replace(settings.access, execution="graphql-core")
        core = await open_gateway(
            databases, replace(settings, access=core_access), differential=False
        )
        try:
            departments = await planned.data("{ departments { code } }")
            variables = {"code": departments["departments"][0]["code"]}
            engines = {"planned": planned, "graphql-core": core}
            for name, query in QUERIES.items():
                timings = {}
                for engine, gateway in engines.items():
                    statements = await gateway.counted(query, variables)
                    answer = await gateway.data(query, variables)
                    timings[engine] = Timing(fields_in(answer), statements, [], [])
                for run in range(runs):
                    order = list(engines.items())
                    for engine, gateway in order if run % 2 else reversed(order):
                        wall, cpu = await once(gateway, query, variables)
                        timings[engine].latency_ms.append(wall)
                        timings[engine].cpu_ms.append(cpu)
                ratio = timings["graphql-core"].median_ms / timings["planned"].median_ms
                print(f"{name}: graphql-core / planned = {ratio:.2f}x")
                for engine, timing in timings.items():
                    print(timing.line(engine))
        finally:
            await close_gateway(core)


if __name__ == "__main__":
    args = arguments(__doc__, scale="medium", runs=20)
    asyncio.run(measure(args.scale, args.runs))
